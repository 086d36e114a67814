/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hot-inputs-private.h"

/*
 * What a module is built from, as content. A reload is owed exactly when
 * the fingerprint of some source (its content and the content of every
 * header it includes) differs from the one the live generation was built
 * from: saves that change nothing (an editor's temporary file, the same
 * text written twice, a file of another module) owe none, and a build that
 * was cancelled or failed can never make an edit look built.
 *
 * Digests are cached by stat identity, so a fingerprint costs a stat per
 * input and a read only of what changed. Headers come from the build's
 * dependency information (ninja's deps log, the compiler's depfiles): a
 * header outside every module folder is an input like any other.
 */

#define MISSING "missing"

/* File times are coarse (a kernel tick, a few ms): a file rewritten with
 * the same size within the tick it was read in keeps its stat identity. An
 * entry read that soon after the file's last change is "racy" (as git
 * calls it) and is read again at every look until it is older. */
#define RACY_NS (G_GINT64_CONSTANT (100) * 1000000)

typedef struct
{
  dev_t    device;
  ino_t    inode;
  off_t    size;
  gint64   modified; /* ns */
  gint64   changed;  /* ns */
  gboolean racy;
  char    *digest;
} DigestEntry;

struct _HotDigestCache
{
  GHashTable *entries; /* path → DigestEntry */
};

struct _HotInputs
{
  const HotModuleInfo *info;
  HotDigestCache      *cache;
  GHashTable          *deps;      /* source → GHashTable set of header paths */
  GHashTable          *objects;   /* object relative to the build folder → source */
  GHashTable          *resources; /* set of files read at run time (.ui), not compiled */
};

static void
digest_entry_free (gpointer data)
{
  DigestEntry *entry = data;

  g_free (entry->digest);
  g_free (entry);
}

static gint64
nanoseconds (const struct timespec *time)
{
  return time->tv_sec * G_GINT64_CONSTANT (1000000000) + time->tv_nsec;
}

static void
set_identity (DigestEntry       *entry,
              const struct stat *st)
{
  entry->device = st->st_dev;
  entry->inode = st->st_ino;
  entry->size = st->st_size;
  entry->modified = nanoseconds (&st->st_mtim);
  entry->changed = nanoseconds (&st->st_ctim);
}

static gboolean
same_identity (const DigestEntry *entry,
               const struct stat *st)
{
  return entry->device == st->st_dev && entry->inode == st->st_ino && entry->size == st->st_size &&
         entry->modified == nanoseconds (&st->st_mtim) && entry->changed == nanoseconds (&st->st_ctim);
}

HotDigestCache *
hot_digest_cache_new (void)
{
  HotDigestCache *self = g_new0 (HotDigestCache, 1);

  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, digest_entry_free);

  return self;
}

void
hot_digest_cache_free (HotDigestCache *self)
{
  g_hash_table_unref (self->entries);
  g_free (self);
}

/**
 * hot_digest_cache_get:
 * @self: a cache
 * @path: a file
 *
 * Returns: (transfer none): a digest of @path's content, or "missing" when
 *   it cannot be read; valid until the next call for the same path
 */
const char *
hot_digest_cache_get (HotDigestCache *self,
                      const char     *path)
{
  g_autofree char *contents = NULL;
  DigestEntry     *entry;
  struct stat      st, after;
  gsize            length;

  if (stat (path, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_hash_table_remove (self->entries, path);
      return MISSING;
    }

  entry = g_hash_table_lookup (self->entries, path);
  if (entry != NULL && !entry->racy && same_identity (entry, &st))
    return entry->digest;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    {
      g_hash_table_remove (self->entries, path);
      return MISSING;
    }

  entry = g_new0 (DigestEntry, 1);
  set_identity (entry, &st);
  entry->digest = g_compute_checksum_for_data (G_CHECKSUM_SHA1, (const guchar *) contents, length);
  /* Changed while it was read (a save half done), or so recently that a
   * rewrite would not show in its times: read again next time. */
  if ((off_t) length != st.st_size || stat (path, &after) != 0 || !same_identity (entry, &after) ||
      g_get_real_time () * 1000 - MAX (entry->modified, entry->changed) < RACY_NS)
    entry->racy = TRUE;
  g_hash_table_replace (self->entries, g_strdup (path), entry);

  return entry->digest;
}

/**
 * hot_inputs_new:
 * @info: the module; must outlive the inputs
 * @cache: the digests; must outlive the inputs
 *
 * Returns: (transfer full): the module's inputs, its sources only until
 *   headers are added
 */
HotInputs *
hot_inputs_new (const HotModuleInfo *info,
                HotDigestCache      *cache)
{
  HotInputs *self = g_new0 (HotInputs, 1);

  self->info = info;
  self->cache = cache;
  self->deps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_hash_table_unref);
  self->objects = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->resources = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  hot_inputs_update_sources (self);

  return self;
}

/**
 * hot_inputs_update_sources:
 * @self: inputs
 *
 * Takes the module's sources and objects from its description again, after
 * meson regenerated the build: a new source is an input (its headers come
 * with hot_inputs_add_deps ()), a source the module no longer has is not.
 */
void
hot_inputs_update_sources (HotInputs *self)
{
  const HotModuleInfo *info = self->info;
  g_autoptr (GHashTable) wanted = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer       source;
  gpointer       command;

  for (guint i = 0; info->sources[i]; i++)
    {
      g_hash_table_add (wanted, info->sources[i]);
      if (!g_hash_table_contains (self->deps, info->sources[i]))
        g_hash_table_insert (self->deps, g_strdup (info->sources[i]),
                             g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL));
    }
  g_hash_table_iter_init (&iter, self->deps);
  while (g_hash_table_iter_next (&iter, &source, NULL))
    if (!g_hash_table_contains (wanted, source))
      g_hash_table_iter_remove (&iter);

  g_hash_table_remove_all (self->objects);
  g_hash_table_iter_init (&iter, info->commands);
  while (g_hash_table_iter_next (&iter, &source, &command))
    {
      const char *object = ((HotCompileCommand *) command)->object;

      if (g_str_has_prefix (object, info->build_dir) && object[strlen (info->build_dir)] == G_DIR_SEPARATOR)
        object += strlen (info->build_dir) + 1;
      g_hash_table_insert (self->objects, g_strdup (object), g_strdup (source));
    }
}

void
hot_inputs_free (HotInputs *self)
{
  g_hash_table_unref (self->deps);
  g_hash_table_unref (self->objects);
  g_hash_table_unref (self->resources);
  g_free (self);
}

/* Headers of the system and files the build writes are not the user's. */
static gboolean
is_user_file (HotInputs  *self,
              const char *path)
{
  const char *build_dir = self->info->build_dir;

  if (g_str_has_prefix (path, "/usr/") || g_str_has_prefix (path, "/opt/"))
    return FALSE;

  return !(g_str_has_prefix (path, build_dir) && path[strlen (build_dir)] == G_DIR_SEPARATOR);
}

/**
 * hot_inputs_add_deps:
 * @self: inputs
 * @source: a source of the module
 * @deps: the files the compiler read for it, relative to the build folder
 *   or absolute
 *
 * Adds to what @source is built from. Sets only grow: a header that is no
 * longer included costs, at worst, a reload that changes nothing visible.
 */
void
hot_inputs_add_deps (HotInputs         *self,
                     const char        *source,
                     const char *const *deps)
{
  GHashTable *set = g_hash_table_lookup (self->deps, source);

  if (set == NULL)
    return;

  for (guint i = 0; deps[i]; i++)
    {
      g_autofree char *lexical = g_canonicalize_filename (deps[i], self->info->build_dir);
      char            *path = realpath (lexical, NULL);

      if (path == NULL)
        path = g_steal_pointer (&lexical);
      if (!g_str_equal (path, source) && is_user_file (self, path))
        g_hash_table_add (set, path);
      else
        free (path);
    }
}

/**
 * hot_inputs_add_resources:
 * @self: inputs
 * @files: files the module's code reads at run time (templates in a
 *   GResource), absolute and canonical
 *
 * Adds inputs that are not compiled: a change of one owes a reload, which
 * needs no compiler (hot_inputs_only_resources_differ ()).
 */
void
hot_inputs_add_resources (HotInputs         *self,
                          const char *const *files)
{
  for (guint i = 0; files[i]; i++)
    g_hash_table_add (self->resources, g_strdup (files[i]));
}

/* Whether @a and @b differ in inputs added with hot_inputs_add_resources ()
 * (@resources) and in the others (@others). */
static void
compare_kinds (HotInputs  *self,
               GHashTable *a,
               GHashTable *b,
               gboolean   *resources,
               gboolean   *others)
{
  g_autoptr (GPtrArray) files = hot_inputs_list_files (self);

  *resources = *others = FALSE;
  for (guint i = 0; i < files->len; i++)
    {
      const char *path = g_ptr_array_index (files, i);
      const char *digest = g_hash_table_lookup (a, path);

      if (digest != NULL && g_strcmp0 (digest, g_hash_table_lookup (b, path)) == 0)
        continue;
      if (g_hash_table_contains (self->resources, path))
        *resources = TRUE;
      else
        *others = TRUE;
    }
}

/**
 * hot_inputs_only_resources_differ:
 * @self: inputs
 * @a: a snapshot
 * @b: a snapshot
 *
 * Returns: whether @a and @b differ, and only in inputs added with
 *   hot_inputs_add_resources ()
 */
gboolean
hot_inputs_only_resources_differ (HotInputs  *self,
                                  GHashTable *a,
                                  GHashTable *b)
{
  gboolean resources, others;

  if (a == NULL || b == NULL)
    return FALSE;

  compare_kinds (self, a, b, &resources, &others);
  return resources && !others;
}

/**
 * hot_inputs_resources_differ:
 * @self: inputs
 * @a: a snapshot
 * @b: a snapshot
 *
 * Returns: whether @a and @b differ in inputs added with
 *   hot_inputs_add_resources (), whatever else differs
 */
gboolean
hot_inputs_resources_differ (HotInputs  *self,
                             GHashTable *a,
                             GHashTable *b)
{
  gboolean resources, others;

  if (a == NULL || b == NULL)
    return FALSE;

  compare_kinds (self, a, b, &resources, &others);
  return resources;
}

/**
 * hot_inputs_read_ninja_deps:
 * @self: inputs
 * @ninja_output: what `ninja -t deps` printed
 *
 * Takes the headers of the module's objects from ninja's deps log.
 *
 * Returns: how many of the module's objects it had deps for
 */
guint
hot_inputs_read_ninja_deps (HotInputs  *self,
                            const char *ninja_output)
{
  g_autoptr (GStrvBuilder) deps = NULL;
  const char *line = ninja_output;
  const char *source = NULL;
  guint       found = 0;

  while (line != NULL && *line != '\0')
    {
      const char      *end = strchr (line, '\n');
      g_autofree char *text = end ? g_strndup (line, end - line) : g_strdup (line);

      line = end ? end + 1 : NULL;
      if (text[0] == ' ' && source != NULL)
        {
          g_strv_builder_add (deps, g_strstrip (text));
          continue;
        }

      if (source != NULL)
        {
          g_auto (GStrv) list = g_strv_builder_end (deps);

          hot_inputs_add_deps (self, source, (const char *const *) list);
          found++;
        }
      g_clear_pointer (&deps, g_strv_builder_unref);
      source = NULL;

      /* "<object>: #deps N, deps mtime M (VALID)" */
      if (strstr (text, ": #deps ") != NULL)
        {
          *strstr (text, ": #deps ") = '\0';
          source = g_hash_table_lookup (self->objects, text);
          if (source != NULL)
            deps = g_strv_builder_new ();
        }
    }

  if (source != NULL)
    {
      g_auto (GStrv) list = g_strv_builder_end (deps);

      hot_inputs_add_deps (self, source, (const char *const *) list);
      found++;
    }

  return found;
}

/**
 * hot_inputs_read_depfile:
 * @self: inputs
 * @source: a source of the module
 * @depfile: a make-style dependency file the compiler wrote for it
 * @directory: where the compiler ran: relative paths start there
 *
 * Returns: whether @depfile could be read
 */
gboolean
hot_inputs_read_depfile (HotInputs  *self,
                         const char *source,
                         const char *depfile,
                         const char *directory)
{
  g_autofree char *contents = NULL;
  g_autoptr (GStrvBuilder) deps = g_strv_builder_new ();
  g_auto (GStrv) list = NULL;
  char    *colon;
  GString *word = g_string_new (NULL);

  if (!g_file_get_contents (depfile, &contents, NULL, NULL) || (colon = strstr (contents, ": ")) == NULL)
    {
      g_string_free (word, TRUE);
      return FALSE;
    }

  /* "target: dep dep \\\n dep": words split by blanks, "\\ " is a space. */
  for (const char *p = colon + 2;; p++)
    {
      if (*p == '\\' && (p[1] == ' ' || p[1] == '#'))
        g_string_append_c (word, *++p);
      else if (*p == '\\' && p[1] == '\n')
        p++;
      else if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\0')
        {
          if (word->len > 0)
            g_strv_builder_add (deps, word->str);
          g_string_truncate (word, 0);
          if (*p == '\0')
            break;
        }
      else
        g_string_append_c (word, *p);
    }
  g_string_free (word, TRUE);

  list = g_strv_builder_end (deps);
  for (guint i = 0; list[i]; i++)
    {
      char *absolute = g_canonicalize_filename (list[i], directory);

      g_free (list[i]);
      list[i] = absolute;
    }
  hot_inputs_add_deps (self, source, (const char *const *) list);

  return TRUE;
}

/**
 * hot_inputs_contains:
 * @self: inputs
 * @path: an absolute, canonical path
 *
 * Returns: whether the module is built from @path
 */
gboolean
hot_inputs_contains (HotInputs  *self,
                     const char *path)
{
  GHashTableIter iter;
  gpointer       set;

  if (g_hash_table_contains (self->deps, path) || g_hash_table_contains (self->resources, path))
    return TRUE;

  g_hash_table_iter_init (&iter, self->deps);
  while (g_hash_table_iter_next (&iter, NULL, &set))
    if (g_hash_table_contains (set, path))
      return TRUE;

  return FALSE;
}

/**
 * hot_inputs_list_files:
 * @self: inputs
 *
 * Returns: (transfer container) (element-type utf8): every file the module
 *   is built from, each once
 */
GPtrArray *
hot_inputs_list_files (HotInputs *self)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray     *files = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer       source, set;

  g_hash_table_iter_init (&iter, self->deps);
  while (g_hash_table_iter_next (&iter, &source, &set))
    {
      GHashTableIter headers;
      gpointer       header;

      if (g_hash_table_add (seen, source))
        g_ptr_array_add (files, source);
      g_hash_table_iter_init (&headers, set);
      while (g_hash_table_iter_next (&headers, &header, NULL))
        if (g_hash_table_add (seen, header))
          g_ptr_array_add (files, header);
    }
  g_hash_table_iter_init (&iter, self->resources);
  while (g_hash_table_iter_next (&iter, &source, NULL))
    if (g_hash_table_add (seen, source))
      g_ptr_array_add (files, source);

  return files;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/**
 * hot_inputs_snapshot:
 * @self: inputs
 *
 * Reads (through the cache) the digest of every input as it is now.
 *
 * Returns: (transfer full): path → digest
 */
GHashTable *
hot_inputs_snapshot (HotInputs *self)
{
  GHashTable *snapshot = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  hot_inputs_complete (self, snapshot);

  return snapshot;
}

/**
 * hot_inputs_complete:
 * @self: inputs
 * @snapshot: path → digest
 *
 * Adds to @snapshot the inputs it lacks (headers learnt of since it was
 * taken), with their digest now: what the build that found them read.
 */
void
hot_inputs_complete (HotInputs  *self,
                     GHashTable *snapshot)
{
  g_autoptr (GPtrArray) files = hot_inputs_list_files (self);

  for (guint i = 0; i < files->len; i++)
    {
      const char *path = g_ptr_array_index (files, i);

      if (!g_hash_table_contains (snapshot, path))
        g_hash_table_insert (snapshot, g_strdup (path), g_strdup (hot_digest_cache_get (self->cache, path)));
    }
}

/**
 * hot_inputs_same:
 * @self: inputs
 * @a: (nullable): a snapshot
 * @b: (nullable): a snapshot
 *
 * Returns: whether @a and @b agree on every input of the module
 */
gboolean
hot_inputs_same (HotInputs  *self,
                 GHashTable *a,
                 GHashTable *b)
{
  g_autoptr (GPtrArray) files = NULL;

  if (a == NULL || b == NULL)
    return a == b;

  files = hot_inputs_list_files (self);
  for (guint i = 0; i < files->len; i++)
    {
      const char *path = g_ptr_array_index (files, i);
      const char *digest = g_hash_table_lookup (a, path);

      if (digest == NULL || g_strcmp0 (digest, g_hash_table_lookup (b, path)) != 0)
        return FALSE;
    }

  return TRUE;
}

static char *
fingerprint (HotInputs  *self,
             GHashTable *snapshot,
             const char *source,
             gboolean    with_source)
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);
  g_autofree gpointer *headers = NULL;
  GHashTable          *set = g_hash_table_lookup (self->deps, source);
  guint                n_headers;

  g_return_val_if_fail (set != NULL, NULL);

  if (with_source)
    g_checksum_update (checksum, (const guchar *) (g_hash_table_lookup (snapshot, source) ?: "unknown"), -1);
  headers = g_hash_table_get_keys_as_array (set, &n_headers);
  qsort (headers, n_headers, sizeof (gpointer), compare_strings);
  for (guint i = 0; i < n_headers; i++)
    {
      const char *header = headers[i];

      g_checksum_update (checksum, (const guchar *) header, strlen (header) + 1);
      g_checksum_update (checksum, (const guchar *) (g_hash_table_lookup (snapshot, header) ?: "unknown"), -1);
    }

  return g_strdup (g_checksum_get_string (checksum));
}

/**
 * hot_inputs_fingerprint:
 * @self: inputs
 * @snapshot: a snapshot
 * @source: a source of the module
 *
 * Returns: (transfer full): a digest of what @source compiles from in
 *   @snapshot: its content and its headers' ("unknown" for a file the
 *   snapshot lacks)
 */
char *
hot_inputs_fingerprint (HotInputs  *self,
                        GHashTable *snapshot,
                        const char *source)
{
  return fingerprint (self, snapshot, source, TRUE);
}

/**
 * hot_inputs_headers_fingerprint:
 * @self: inputs
 * @snapshot: a snapshot
 * @source: a source of the module
 *
 * Returns: (transfer full): a digest of the headers @source includes in
 *   @snapshot, for caches of what they hold (preprocessed headers)
 */
char *
hot_inputs_headers_fingerprint (HotInputs  *self,
                                GHashTable *snapshot,
                                const char *source)
{
  return fingerprint (self, snapshot, source, FALSE);
}

/**
 * hot_inputs_fingerprints:
 * @self: inputs
 * @snapshot: a snapshot
 *
 * Returns: (transfer full): source → hot_inputs_fingerprint()
 */
GHashTable *
hot_inputs_fingerprints (HotInputs  *self,
                         GHashTable *snapshot)
{
  GHashTable    *fingerprints = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter iter;
  gpointer       source;

  g_hash_table_iter_init (&iter, self->deps);
  while (g_hash_table_iter_next (&iter, &source, NULL))
    g_hash_table_insert (fingerprints, g_strdup (source), hot_inputs_fingerprint (self, snapshot, source));

  return fingerprints;
}
