/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "hot-fast-tcc-private.h"

#include "hot-compile-command-private.h"
#include "hot-error.h"
#include "hot-file-private.h"
#include "hot-tcc-prelude-private.h"

/*
 * The fast builder's tcc path for one module (see hot-fast-builder.c):
 * where tcc's runtime library is, the preludes of the module's sources,
 * each made once per prologue, flags and headers' content (see
 * hot-tcc-prelude.c), and the command that compiles a source with its
 * prelude. Runs no process but the making of a prelude.
 *
 * A source is compiled with its prelude pruned to what its code reaches
 * (hot-prelude-prune.c), a header of its own in the folder, written again
 * (on a worker thread, hot_fast_tcc_start_pruning ()) only when the set
 * of identifiers its code names changed. When that
 * compile fails or warns of an implicit declaration, the builder compiles
 * again with the whole prelude (hot_fast_tcc_refuse_pruning ()) before
 * it reports anything: the pruned prelude of that source with those
 * identifiers is not used again, unless the whole one fails too (the
 * error was the source's).
 */

struct _HotFastTcc
{
  char       *tcc;       /* tcc's path */
  char       *header;    /* tcc's compatibility header (hot-pch.c) */
  char       *work_dir;  /* the fast builder's folder */
  char       *build_dir; /* where preludes are made */
  HotInputs  *inputs;
  GHashTable *preludes; /* prologue key → its prelude, "" if none */
  GHashTable *indexes;  /* prologue key → the index of its prelude */
  GHashTable *pruned;   /* source → "KEY NAMES" its pruned prelude was written for */
  GHashTable *refused;  /* source → "KEY NAMES" whose pruned prelude failed */
};

/**
 * hot_fast_tcc_new:
 * @tcc: (nullable): tcc's path
 * @header: tcc's compatibility header, included first
 * @work_dir: the fast builder's folder, for preludes and copies
 * @build_dir: the build folder, where preludes are made
 * @inputs: what the module is built from; must outlive the result
 *
 * Returns: (transfer full): the tcc path of a module, without preludes
 */
HotFastTcc *
hot_fast_tcc_new (const char *tcc,
                  const char *header,
                  const char *work_dir,
                  const char *build_dir,
                  HotInputs  *inputs)
{
  HotFastTcc *self = g_new0 (HotFastTcc, 1);

  self->tcc = g_strdup (tcc);
  self->header = g_strdup (header);
  self->work_dir = g_strdup (work_dir);
  self->build_dir = g_strdup (build_dir);
  self->inputs = inputs;
  self->preludes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->indexes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) hot_prelude_index_unref);
  self->pruned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->refused = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  return self;
}

/**
 * hot_fast_tcc_free:
 * @self: the tcc path of a module
 *
 * Frees @self and forgets its preludes (their files stay).
 */
void
hot_fast_tcc_free (HotFastTcc *self)
{
  g_free (self->tcc);
  g_free (self->header);
  g_free (self->work_dir);
  g_free (self->build_dir);
  g_hash_table_unref (self->preludes);
  g_hash_table_unref (self->indexes);
  g_hash_table_unref (self->pruned);
  g_hash_table_unref (self->refused);
  g_free (self);
}

/**
 * hot_fast_tcc_forget:
 * @self: the tcc path of a module
 *
 * Forgets the preludes made: their files are gone (the build folder was
 * deleted); they are made again when next needed.
 */
void
hot_fast_tcc_forget (HotFastTcc *self)
{
  g_hash_table_remove_all (self->preludes);
  g_hash_table_remove_all (self->indexes);
  g_hash_table_remove_all (self->pruned);
}

/**
 * hot_fast_tcc_find_runtime:
 * @search_dirs: the output of `tcc -print-search-dirs`
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): tcc's runtime library libtcc1.a,
 *   which a link of tcc's objects needs (va_arg), or %NULL when there is
 *   none
 */
char *
hot_fast_tcc_find_runtime (const char *search_dirs,
                           GError    **error)
{
  g_auto (GStrv) lines = g_strsplit (search_dirs, "\n", -1);
  g_autofree char *runtime = NULL;

  /* "libtcc1:\n  <path>", or only "install: <dir>" in older versions. */
  for (guint i = 0; lines[i] && runtime == NULL; i++)
    {
      if (g_str_equal (g_strstrip (lines[i]), "libtcc1:") && lines[i + 1] != NULL)
        runtime = g_strdup (g_strstrip (lines[i + 1]));
      else if (g_str_has_prefix (lines[i], "install:"))
        runtime = g_build_filename (g_strstrip (lines[i] + strlen ("install:")), "libtcc1.a", NULL);
    }

  if (runtime == NULL || !g_file_test (runtime, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                   _ ("tcc's runtime library libtcc1.a was not found"));
      return NULL;
    }

  return g_steal_pointer (&runtime);
}

/**
 * hot_fast_tcc_start_prelude:
 * @self: the tcc path of a module
 * @command: how the build compiles @source
 * @source: a source of the module (absolute, canonical)
 * @snapshot: what the build builds: the inputs' digests
 * @prologue: (out) (transfer full): @source's prologue, when it could be
 *   read
 * @key: (out) (transfer full): the key of its prelude, when it could be
 *   read
 * @cancellable: (nullable): stops the making of the prelude
 * @callback: called when the prelude is made, if that was started
 * @user_data: data for @callback
 *
 * The first time a prologue is seen with given flags, its prelude is made
 * (see hot-tcc-prelude.c).
 *
 * Returns: whether that was started: then @callback is called
 */
gboolean
hot_fast_tcc_start_prelude (HotFastTcc              *self,
                            const HotCompileCommand *command,
                            const char              *source,
                            GHashTable              *snapshot,
                            char                   **prologue,
                            char                   **key,
                            GCancellable            *cancellable,
                            GAsyncReadyCallback      callback,
                            gpointer                 user_data)
{
  g_autofree char *headers = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *source_dir = g_path_get_dirname (source);
  g_auto (GStrv) flags = hot_compile_command_tcc_argv (command, self->tcc, self->header, source_dir, (const char *[]){ NULL });

  g_clear_pointer (prologue, g_free);
  if (!g_file_get_contents (source, &contents, NULL, NULL))
    return FALSE;
  *prologue = hot_tcc_source_prologue (contents);
  /* The headers' content too: a prelude holds what they said. */
  headers = hot_inputs_headers_fingerprint (self->inputs, snapshot, source);
  *key = hot_tcc_prelude_key (*prologue, (const char *const *) flags, headers);

  if (g_hash_table_contains (self->preludes, *key))
    return FALSE;
  if (**prologue == '\0')
    {
      g_hash_table_insert (self->preludes, g_strdup (*key), g_strdup (""));
      return FALSE;
    }

  hot_tcc_prelude_make_async ((const char *const *) flags, *prologue, self->work_dir, *key,
                              self->build_dir, cancellable, callback, user_data);
  return TRUE;
}

/**
 * hot_fast_tcc_prelude_finish:
 * @self: the tcc path of a module
 * @key: the key of the prelude
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * The end of a prelude's making: remembered under @key.
 *
 * Returns: whether it was made (or there is none to make)
 */
gboolean
hot_fast_tcc_prelude_finish (HotFastTcc   *self,
                             const char   *key,
                             GAsyncResult *result,
                             GError      **error)
{
  g_autofree char *prelude = NULL;
  HotPreludeIndex *index = NULL;

  if (!hot_tcc_prelude_make_finish (result, &prelude, &index, error))
    return FALSE;

  if (prelude != NULL)
    g_hash_table_insert (self->preludes, g_strdup (key), g_steal_pointer (&prelude));
  if (index != NULL)
    g_hash_table_insert (self->indexes, g_strdup (key), index);
  return TRUE;
}

/* Whether @source has a pruned prelude to compile with: then its path
 * (for @object) to @path, what it is pruned for ("KEY NAMES") to
 * @pruned_key and the code it is pruned for to @code (optional). */
static gboolean
pruned_prelude_for (HotFastTcc *self,
                    const char *source,
                    const char *prologue,
                    const char *key,
                    const char *object,
                    char      **path,
                    char      **pruned_key,
                    char      **code)
{
  g_autofree char *contents = NULL;
  g_autofree char *names = NULL;
  g_autofree char *object_name = NULL;
  g_autofree char *name = NULL;

  if (prologue == NULL || key == NULL || !g_hash_table_contains (self->indexes, key) ||
      !g_file_get_contents (source, &contents, NULL, NULL) || !g_str_has_prefix (contents, prologue))
    return FALSE;
  names = hot_prelude_names_key (contents + strlen (prologue));
  *pruned_key = g_strconcat (key, " ", names, NULL);
  if (g_strcmp0 (g_hash_table_lookup (self->refused, source), *pruned_key) == 0)
    {
      g_clear_pointer (pruned_key, g_free);
      return FALSE;
    }

  object_name = g_path_get_basename (object);
  name = g_strconcat (object_name, ".prelude.h", NULL);
  *path = g_build_filename (self->work_dir, name, NULL);
  if (code != NULL)
    *code = g_strdup (contents + strlen (prologue));
  return TRUE;
}

/* Whether @source's pruned prelude is written for @pruned_key. */
static gboolean
pruned_prelude_current (HotFastTcc *self,
                        const char *source,
                        const char *path,
                        const char *pruned_key)
{
  return g_strcmp0 (g_hash_table_lookup (self->pruned, source), pruned_key) == 0 &&
         g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

typedef struct
{
  HotPreludeIndex *index;
  char            *source;
  char            *code;
  char            *path;
  char            *pruned_key;
  guint            n_kept;
} PruneData;

static void
prune_data_free (gpointer data)
{
  PruneData *prune = data;

  hot_prelude_index_unref (prune->index);
  g_free (prune->source);
  g_free (prune->code);
  g_free (prune->path);
  g_free (prune->pruned_key);
  g_free (prune);
}

/* On a worker thread. */
static void
prune_in_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  PruneData       *prune = task_data;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  gsize length;

  if (g_task_return_error_if_cancelled (task))
    return;
  text = hot_prelude_index_prune (prune->index, prune->code, &length, &prune->n_kept);
  /* The builder's own file: no need to reach the disk before the compile. */
  if (!hot_file_write (prune->path, text, length, 0666, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * hot_fast_tcc_start_pruning:
 * @self: the tcc path of a module
 * @source: a source of the module (absolute, canonical)
 * @prologue: (nullable): @source's prologue, from
 *   hot_fast_tcc_start_prelude()
 * @key: (nullable): the key of its prelude
 * @object: the object the compile writes
 * @cancellable: (nullable): stops the pruning
 * @callback: called when the pruned prelude is written, if that was started
 * @user_data: data for @callback
 *
 * Writes @source's pruned prelude on a worker thread when the identifiers
 * its code names are not those it was last pruned for (see
 * hot-prelude-prune.c); hot_fast_tcc_compile_argv () then compiles with
 * it.
 *
 * Returns: whether that was started: then @callback is called
 */
gboolean
hot_fast_tcc_start_pruning (HotFastTcc         *self,
                            const char         *source,
                            const char         *prologue,
                            const char         *key,
                            const char         *object,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autofree char *path = NULL;
  g_autofree char *pruned_key = NULL;
  g_autofree char *code = NULL;
  PruneData       *prune;

  if (!pruned_prelude_for (self, source, prologue, key, object, &path, &pruned_key, &code) ||
      pruned_prelude_current (self, source, path, pruned_key))
    return FALSE;

  g_hash_table_remove (self->pruned, source);
  prune = g_new0 (PruneData, 1);
  prune->index = hot_prelude_index_ref (g_hash_table_lookup (self->indexes, key));
  prune->source = g_strdup (source);
  prune->code = g_steal_pointer (&code);
  prune->path = g_steal_pointer (&path);
  prune->pruned_key = g_steal_pointer (&pruned_key);
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, hot_fast_tcc_start_pruning);
  g_task_set_task_data (task, prune, prune_data_free);
  g_task_run_in_thread (task, prune_in_thread);
  return TRUE;
}

/**
 * hot_fast_tcc_pruning_finish:
 * @self: the tcc path of a module
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * The end of a pruning: when the pruned prelude could not be written,
 * the source is compiled with the whole one.
 *
 * Returns: %FALSE with %G_IO_ERROR_CANCELLED when the pruning was
 *   cancelled
 */
gboolean
hot_fast_tcc_pruning_finish (HotFastTcc   *self,
                             GAsyncResult *result,
                             GError      **error)
{
  PruneData *prune = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_debug ("Could not write the pruned prelude %s: %s", prune->path, local_error->message);
      return TRUE;
    }

  g_debug ("Pruned the tcc prelude of %s to %u of %u items", prune->source, prune->n_kept,
           hot_prelude_index_get_n_items (prune->index));
  g_hash_table_replace (self->pruned, g_strdup (prune->source), g_strdup (prune->pruned_key));
  return TRUE;
}

/**
 * hot_fast_tcc_refuse_pruning:
 * @self: the tcc path of a module
 * @source: a source of the module
 * @pruned_key: (nullable): what its pruned prelude was written for, from
 *   hot_fast_tcc_compile_argv (); %NULL: use it again
 *
 * The compile of @source with a pruned prelude failed: its next compiles
 * with the same identifiers use the whole prelude. With %NULL, the whole
 * one failed too: the pruned one is used again.
 */
void
hot_fast_tcc_refuse_pruning (HotFastTcc *self,
                             const char *source,
                             const char *pruned_key)
{
  if (pruned_key != NULL)
    g_hash_table_replace (self->refused, g_strdup (source), g_strdup (pruned_key));
  else
    g_hash_table_remove (self->refused, source);
}

/**
 * hot_fast_tcc_compile_argv:
 * @self: the tcc path of a module
 * @command: how the build compiles @source
 * @source: a source of the module (absolute, canonical)
 * @prologue: (nullable): @source's prologue, from
 *   hot_fast_tcc_start_prelude()
 * @key: (nullable): the key of its prelude, from
 *   hot_fast_tcc_start_prelude()
 * @object: the object to write
 * @copy_dir: (out) (optional) (transfer full): where the command runs, when
 *   it compiles a copy of @source with its prelude
 * @pruned_key: (out) (optional) (transfer full): when the prelude is a
 *   pruned one, what it was pruned for (see
 *   hot_fast_tcc_refuse_pruning ()); else %NULL
 * @error: return location for a #GError
 *
 * The command compiling @source with tcc: with its prelude if it has one.
 *
 * Returns: (transfer full) (nullable): the command line, or %NULL with
 *   @error
 */
GStrv
hot_fast_tcc_compile_argv (HotFastTcc              *self,
                           const HotCompileCommand *command,
                           const char              *source,
                           const char              *prologue,
                           const char              *key,
                           const char              *object,
                           char                   **copy_dir,
                           char                   **pruned_key,
                           GError                 **error)
{
  const char      *prelude = key ? g_hash_table_lookup (self->preludes, key) : NULL;
  g_autofree char *pruned = NULL;
  g_autofree char *pruned_for = NULL;
  g_autofree char *source_dir = NULL;
  g_autofree char *object_name = NULL;
  g_autofree char *copy_name = NULL;
  g_autofree char *copy_path = NULL;
  gboolean         written = FALSE;

  if (pruned_key != NULL)
    *pruned_key = NULL;

  if (prelude != NULL && *prelude != '\0')
    {
      object_name = g_path_get_basename (object);
      copy_name = g_strconcat (object_name, ".c", NULL);
      copy_path = g_build_filename (self->work_dir, copy_name, NULL);
      if (!hot_tcc_prelude_write_copy (source, prologue, command->file, copy_path, &written, error))
        return NULL;
    }
  if (!written)
    return hot_compile_command_tcc_argv (command, self->tcc, self->header, NULL,
                                         (const char *[]){ "-fPIC", "-c", command->file, "-o", object, NULL });

  /* tcc prefixes a #line file name with the folder of the file it reads:
   * the copy is given without one, from its own folder. Its "includes" are
   * found through the source's folder, given first. */
  source_dir = g_path_get_dirname (source);
  if (copy_dir != NULL)
    *copy_dir = g_strdup (self->work_dir);
  /* Its pruned prelude, when hot_fast_tcc_start_pruning () wrote it for
   * the code as it is. */
  if (pruned_key != NULL && pruned_prelude_for (self, source, prologue, key, object, &pruned, &pruned_for, NULL) &&
      pruned_prelude_current (self, source, pruned, pruned_for))
    {
      prelude = pruned;
      *pruned_key = g_steal_pointer (&pruned_for);
    }
  return hot_compile_command_tcc_argv (command, self->tcc, prelude, source_dir,
                                       (const char *[]){ "-fPIC", "-c", copy_name, "-o", object, NULL });
}
