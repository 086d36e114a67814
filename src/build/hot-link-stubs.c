/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <ar.h>
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "hot-link-stubs-private.h"

#include "hot-elf-private.h"

/*
 * HotLinkStubs: stand-ins for the shared libraries of a link. ld.gold
 * spends most of a fast build's link reading the symbol tables of the
 * shared libraries on the command line (~18,000 symbols for GTK's, of
 * which a module uses a hundred). A stub of a library has the same
 * SONAME and defines, with the same type, binding, size and version, the
 * symbols of the real one that the link's objects and archives name, and
 * no others: resolving those names against it gives what resolving them
 * against the real library gives, so the linker writes the same library
 * reading a few hundred symbols: the same code, data, relocations and
 * dependencies; only the order of the dynamic symbols (and so their
 * indexes, the string offsets and the build ID) may differ, as gold sizes
 * its symbol hash table by what it read (test-fast-builder /link-stubs
 * compares the two both ways).
 *
 * Stubs are made on a worker thread, by the build's compiler driver from a
 * generated assembler file, after a link that could not use them (the
 * first, or one whose objects name a symbol the stubs were not made for):
 * that link runs against the real libraries, and the next ones use the
 * stubs. A link uses them only when its command is the one they were made
 * for, every name of its objects is one they were made for, and every
 * library and archive they were made from is the file it was (device,
 * inode, size, modification time); otherwise it links as before. A
 * library the stubs cannot stand for (no SONAME, a symbol that is
 * thread-local, absolute, common, not of default visibility, or without
 * a version in a versioned library) is linked as it is.
 *
 * What a linker script names (libc.so's GROUP) is not read: such a file
 * is left on the command line as it is, and the archives it names hold
 * only what the C library's own symbols need.
 */

struct _HotLinkStubs
{
  GObject parent_instance;

  char         *dir;        /* where the generations of stubs go */
  char         *driver;     /* the compiler driver that makes them */
  guint         generation; /* of the last stubs started */
  guint         running;    /* the generation being made, or 0 */
  GCancellable *cancellable;
  char         *refused; /* the link command stubs failed for: never again */
  GHashTable   *objects; /* object path → ObjectNames, cached */
  struct Stubs *current; /* the stubs made last, or NULL */
};

G_DEFINE_FINAL_TYPE (HotLinkStubs, hot_link_stubs, G_TYPE_OBJECT)

/* What a file was when it was read. */
typedef struct
{
  char   *path;
  dev_t   dev;
  ino_t   ino;
  gint64  mtime_ns;
  goffset size;
} Watched;

typedef struct
{
  Watched     file;
  GHashTable *names;
} ObjectNames;

typedef struct Stubs
{
  char       *argv_key; /* the link command they are for, joined */
  GStrv       argv;     /* it with the stubs in place of the libraries */
  GHashTable *names;    /* the names they were made for */
  GArray     *watched;  /* Watched: the files they were made from, and the stubs */
  char       *dir;      /* their generation's folder */
} Stubs;

static void
watched_clear (gpointer data)
{
  g_free (((Watched *) data)->path);
}

static void
object_names_free (gpointer data)
{
  ObjectNames *object = data;

  watched_clear (&object->file);
  g_clear_pointer (&object->names, g_hash_table_unref);
  g_free (object);
}

static void
stubs_free (Stubs *stubs)
{
  g_free (stubs->argv_key);
  g_strfreev (stubs->argv);
  g_clear_pointer (&stubs->names, g_hash_table_unref);
  g_clear_pointer (&stubs->watched, g_array_unref);
  g_free (stubs->dir);
  g_free (stubs);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Stubs, stubs_free)

static void
hot_link_stubs_finalize (GObject *object)
{
  HotLinkStubs *self = HOT_LINK_STUBS (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->current, stubs_free);
  g_clear_pointer (&self->objects, g_hash_table_unref);
  g_free (self->refused);
  g_free (self->dir);
  g_free (self->driver);

  G_OBJECT_CLASS (hot_link_stubs_parent_class)->finalize (object);
}

static void
hot_link_stubs_class_init (HotLinkStubsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hot_link_stubs_finalize;
}

static void
hot_link_stubs_init (HotLinkStubs *self)
{
  self->objects = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, object_names_free);
  self->cancellable = g_cancellable_new ();
}

/**
 * hot_link_stubs_new:
 * @dir: a folder of the caller's, made when stubs are
 * @driver: the compiler driver of the build's link command
 *
 * Returns: (transfer full): stubs for the links of one module
 */
HotLinkStubs *
hot_link_stubs_new (const char *dir,
                    const char *driver)
{
  HotLinkStubs *self = g_object_new (HOT_TYPE_LINK_STUBS, NULL);

  self->dir = g_strdup (dir);
  self->driver = g_strdup (driver);

  return self;
}

/* Whether @path is still the file @file was, and stats it into @file
 * when @fill. */
static gboolean
watch (Watched    *file,
       const char *path,
       gboolean    fill)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode))
    return FALSE;
  if (fill)
    {
      file->path = g_strdup (path);
      file->dev = st.st_dev;
      file->ino = st.st_ino;
      file->mtime_ns = (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st.st_mtim.tv_nsec;
      file->size = st.st_size;
      return TRUE;
    }

  return file->dev == st.st_dev && file->ino == st.st_ino && file->size == st.st_size &&
         file->mtime_ns == (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st.st_mtim.tv_nsec;
}

/* The options of ld.gold that take the next argument as their value. */
static gboolean
takes_value (const char *option)
{
  static const char *const options[] = { "-o", "-m", "-z", "-soname", "-h", "-dynamic-linker", "-rpath",
                                         "-rpath-link", "-T", "-e", "-u", "-y", "-Y", "-Map", "-a", "-A",
                                         "-L", "-l", "-F", "-f", "-P", "-R", "--version-script",
                                         "--dynamic-list", "--exclude-libs", "-plugin", "-plugin-opt",
                                         "--sysroot", "-Ttext", "-Tdata", "-Tbss", "--defsym", "-init",
                                         "-fini", NULL };

  return g_strv_contains (options, option);
}

/* A file named on the command line of a link. */
typedef struct
{
  guint index; /* of its argument */
  char *path;  /* where the linker finds it */
} Input;

static void
input_clear (gpointer data)
{
  g_free (((Input *) data)->path);
}

/* Where ld.gold finds `-l@name`: in the -L folders in their order, the
 * shared library before the archive unless @only_static. */
static char *
find_library (GPtrArray  *folders,
              const char *name,
              gboolean    only_static)
{
  for (guint i = 0; i < folders->len; i++)
    {
      g_autofree char *shared = NULL;
      g_autofree char *archive = NULL;

      if (name[0] == ':')
        {
          char *exact = g_build_filename (g_ptr_array_index (folders, i), name + 1, NULL);

          if (g_file_test (exact, G_FILE_TEST_IS_REGULAR))
            return exact;
          g_free (exact);
          continue;
        }
      shared = g_strdup_printf ("%s/lib%s.so", (char *) g_ptr_array_index (folders, i), name);
      archive = g_strdup_printf ("%s/lib%s.a", (char *) g_ptr_array_index (folders, i), name);
      if (!only_static && g_file_test (shared, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&shared);
      if (g_file_test (archive, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&archive);
    }

  return NULL;
}

/* The files the linker reads for @argv, run in @cwd, in order; FALSE when
 * the command has what is not followed here (a response file, a sysroot,
 * a library not found, a folder that is not absolute). */
static gboolean
list_inputs (const char *const *argv,
             const char        *cwd,
             GArray            *inputs)
{
  g_autoptr (GPtrArray) folders = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) static_stack = g_array_new (FALSE, FALSE, sizeof (gboolean));
  gboolean only_static = FALSE;

  for (guint i = 1; argv[i]; i++)
    {
      if (g_str_has_prefix (argv[i], "-L") && argv[i][2] != '\0')
        g_ptr_array_add (folders, g_canonicalize_filename (argv[i] + 2, cwd));
      else if (g_str_equal (argv[i], "-L") && argv[i + 1] != NULL)
        g_ptr_array_add (folders, g_canonicalize_filename (argv[i + 1], cwd));
      else if (argv[i][0] == '@' || g_str_has_prefix (argv[i], "--sysroot") ||
               g_str_has_prefix (argv[i], "-L=") || g_str_has_prefix (argv[i], "-T") ||
               g_str_has_prefix (argv[i], "--script"))
        return FALSE;
    }

  for (guint i = 1; argv[i]; i++)
    {
      const char *arg = argv[i];
      Input       input = { i, NULL };

      if (g_str_equal (arg, "-Bstatic") || g_str_equal (arg, "-static") || g_str_equal (arg, "-dn") ||
          g_str_equal (arg, "-non_shared"))
        only_static = TRUE;
      else if (g_str_equal (arg, "-Bdynamic") || g_str_equal (arg, "-dy") || g_str_equal (arg, "-call_shared"))
        only_static = FALSE;
      else if (g_str_equal (arg, "--push-state"))
        g_array_append_val (static_stack, only_static);
      else if (g_str_equal (arg, "--pop-state") && static_stack->len > 0)
        {
          only_static = g_array_index (static_stack, gboolean, static_stack->len - 1);
          g_array_set_size (static_stack, static_stack->len - 1);
        }
      else if (g_str_equal (arg, "--pop-state"))
        return FALSE;
      else if (g_str_has_prefix (arg, "-l") || (g_str_has_prefix (arg, "--library=")))
        {
          const char *name = arg[1] == 'l' ? arg + 2 : arg + strlen ("--library=");

          if (name[0] == '\0' && argv[i + 1] != NULL)
            name = argv[++i];
          input.path = find_library (folders, name, only_static);
          if (input.path == NULL)
            return FALSE;
          g_array_append_val (inputs, input);
        }
      else if (arg[0] == '-')
        {
          if (takes_value (arg))
            i++;
          if (argv[i] == NULL)
            return FALSE;
        }
      else
        {
          input.path = g_canonicalize_filename (arg, cwd);
          g_array_append_val (inputs, input);
        }
    }

  return TRUE;
}

/* Adds the symbol names @argv's options name to @names: --wrap=S makes
 * references to S ones to __wrap_S, and to __real_S ones to S. FALSE for
 * an option that names symbols in a way not followed here (--defsym). */
static gboolean
add_option_names (const char *const *argv,
                  GHashTable        *names)
{
  static const char *const with_name[] = { "-u", "-e", "-init", "-fini", "-y", NULL };
  static const char *const prefixes[] = { "--undefined=", "--require-defined=", "--entry=", "--trace-symbol=",
                                          "-init=", "-fini=", NULL };

  for (guint i = 1; argv[i]; i++)
    {
      if (g_str_has_prefix (argv[i], "--defsym") || g_str_has_prefix (argv[i], "-defsym") ||
          g_str_equal (argv[i], "--wrap") || g_str_equal (argv[i], "-wrap"))
        return FALSE;
      if (g_str_has_prefix (argv[i], "--wrap="))
        {
          const char *name = argv[i] + strlen ("--wrap=");

          g_hash_table_add (names, g_strdup (name));
          g_hash_table_add (names, g_strconcat ("__wrap_", name, NULL));
          g_hash_table_add (names, g_strconcat ("__real_", name, NULL));
        }
      else if (g_strv_contains (with_name, argv[i]) && argv[i + 1] != NULL)
        g_hash_table_add (names, g_strdup (argv[++i]));
      else
        for (guint j = 0; prefixes[j]; j++)
          if (g_str_has_prefix (argv[i], prefixes[j]))
            g_hash_table_add (names, g_strdup (argv[i] + strlen (prefixes[j])));
    }

  return TRUE;
}

/* Adds the names of the relocatable object @path to @names, from the
 * cache when it is the file it was. */
static gboolean
add_object_names (HotLinkStubs *self,
                  const char   *path,
                  GHashTable   *names)
{
  ObjectNames   *object = g_hash_table_lookup (self->objects, path);
  GHashTableIter iter;
  gpointer       name;

  if (object == NULL || !watch (&object->file, path, FALSE))
    {
      g_autofree char *contents = NULL;
      gsize            length;

      object = g_new0 (ObjectNames, 1);
      object->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      /* Stated first: a file changed while it is read is read again next time. */
      if (!watch (&object->file, path, TRUE) || !g_file_get_contents (path, &contents, &length, NULL) ||
          !hot_elf_read_object_names (contents, length, object->names))
        {
          object_names_free (object);
          g_hash_table_remove (self->objects, path);
          return FALSE;
        }
      g_hash_table_replace (self->objects, g_strdup (path), object);
    }

  g_hash_table_iter_init (&iter, object->names);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    g_hash_table_add (names, g_strdup (name));

  return TRUE;
}

/* What a worker needs to make stubs. */
typedef struct
{
  GStrv       argv;
  char       *cwd;
  char       *dir; /* the generation's folder */
  char       *driver;
  char       *keep; /* the folder of the stubs in use, kept */
  guint       generation;
  GHashTable *names;
} Making;

static void
making_free (gpointer data)
{
  Making *making = data;

  g_strfreev (making->argv);
  g_free (making->cwd);
  g_free (making->dir);
  g_free (making->driver);
  g_free (making->keep);
  g_clear_pointer (&making->names, g_hash_table_unref);
  g_free (making);
}

/* Whether the assembler takes @name as it is. */
static gboolean
plain_name (const char *name)
{
  for (const char *c = name; *c; c++)
    if (!g_ascii_isalnum (*c) && *c != '_' && *c != '.' && *c != '$')
      return FALSE;

  return name[0] != '\0' && !g_ascii_isdigit (name[0]);
}

static int
by_index (gconstpointer a,
          gconstpointer b)
{
  const HotElfSymbol *x = *(HotElfSymbol *const *) a;
  const HotElfSymbol *y = *(HotElfSymbol *const *) b;

  return x->index < y->index ? -1 : x->index > y->index;
}

/* The assembler source and version script of the stub of a library whose
 * symbols are @symbols, for @names; NULL with the reason in @why when one
 * of them cannot be stood for. */
static gboolean
write_stub_sources (GHashTable *symbols,
                    GHashTable *names,
                    GString    *assembler,
                    GString    *script,
                    char      **why)
{
  g_autoptr (GPtrArray) used = g_ptr_array_new ();
  g_autoptr (GHashTable) by_version = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                             (GDestroyNotify) g_ptr_array_unref);
  g_autoptr (GPtrArray) version_order = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer       name, value;
  gboolean       versioned = FALSE;

  g_hash_table_iter_init (&iter, symbols);
  while (g_hash_table_iter_next (&iter, &name, &value))
    {
      HotElfSymbol *symbol = value;

      versioned |= symbol->versioned;
      if (g_hash_table_contains (names, name))
        g_ptr_array_add (used, symbol);
    }
  g_ptr_array_sort (used, by_index);

  g_string_append (assembler, "\t.text\n");
  for (guint i = 0; i < used->len; i++)
    {
      HotElfSymbol *symbol = g_ptr_array_index (used, i);
      const char   *type;

      switch (symbol->type)
        {
        case STT_NOTYPE:
          type = "@notype";
          break;
        case STT_OBJECT:
          type = "@object";
          break;
        case STT_FUNC:
          type = "@function";
          break;
        case STT_GNU_IFUNC:
          type = "@gnu_indirect_function";
          break;
        default:
          type = NULL;
          break;
        }
      if (type == NULL || symbol->shndx == SHN_ABS || symbol->shndx == SHN_COMMON ||
          symbol->shndx >= SHN_LORESERVE || ELF64_ST_VISIBILITY (symbol->other) != STV_DEFAULT ||
          (symbol->bind != STB_GLOBAL && symbol->bind != STB_WEAK) || !plain_name (symbol->name) ||
          (versioned && symbol->version == NULL) || (symbol->version != NULL && !plain_name (symbol->version)))
        {
          *why = g_strdup_printf ("%s (type %u, binding %u, section %u, visibility %u%s)", symbol->name,
                                  symbol->type, symbol->bind, symbol->shndx,
                                  ELF64_ST_VISIBILITY (symbol->other), versioned ? ", versioned" : "");
          return FALSE;
        }

      g_string_append_printf (assembler, "\t%s %s\n\t.type %s, %s\n\t.size %s, %" G_GUINT64_FORMAT "\n%s:\n",
                              symbol->bind == STB_WEAK ? ".weak" : ".globl", symbol->name, symbol->name,
                              type, symbol->name, symbol->size, symbol->name);
      if (symbol->version != NULL)
        {
          GPtrArray *list = g_hash_table_lookup (by_version, symbol->version);

          if (list == NULL)
            {
              list = g_ptr_array_new ();
              g_hash_table_insert (by_version, symbol->version, list);
              g_ptr_array_add (version_order, symbol->version);
            }
          g_ptr_array_add (list, symbol->name);
        }
    }
  g_string_append (assembler, "\tnop\n\t.section .note.GNU-stack,\"\",@progbits\n");

  if (!versioned)
    {
      g_string_append (script, used->len > 0 ? "{\n  global:\n" : "{\n");
      for (guint i = 0; i < used->len; i++)
        g_string_append_printf (script, "    %s;\n", ((HotElfSymbol *) g_ptr_array_index (used, i))->name);
      g_string_append (script, "  local: *;\n};\n");
      return TRUE;
    }

  for (guint i = 0; i < version_order->len; i++)
    {
      GPtrArray *list = g_hash_table_lookup (by_version, g_ptr_array_index (version_order, i));

      g_string_append_printf (script, "%s {\n  global:\n", (char *) g_ptr_array_index (version_order, i));
      for (guint j = 0; j < list->len; j++)
        g_string_append_printf (script, "    %s;\n", (char *) g_ptr_array_index (list, j));
      if (i == 0)
        g_string_append (script, "  local: *;\n");
      g_string_append (script, "};\n");
    }
  if (version_order->len == 0)
    g_string_append (script, "{\n  local: *;\n};\n");

  return TRUE;
}

/* Makes the stub of the shared library @path at @stub; FALSE with the
 * reason in @why when it cannot stand for it (nothing is wrong: the
 * library is linked as it is), or with @error when making it failed. */
static gboolean
make_stub (Making     *making,
           const char *path,
           const char *stub,
           GBytes     *library,
           char      **why,
           GError    **error)
{
  g_autoptr (GHashTable) symbols = NULL;
  g_autoptr (GString) assembler = g_string_new (NULL);
  g_autoptr (GString) script = g_string_new (NULL);
  g_autofree char *soname = NULL;
  g_autofree char *assembler_path = g_strconcat (stub, ".s", NULL);
  g_autofree char *script_path = g_strconcat (stub, ".map", NULL);
  g_autofree char *soname_option = NULL;
  g_autofree char *script_option = NULL;
  g_autofree char *output = NULL;
  const char     **argv;
  int              status;

  symbols = hot_elf_read_dynamic_symbols (g_bytes_get_data (library, NULL), g_bytes_get_size (library),
                                          &soname);
  if (symbols == NULL || soname == NULL)
    {
      *why = g_strdup (symbols == NULL ? "its symbols could not be read" : "it has no SONAME");
      return FALSE;
    }
  if (!write_stub_sources (symbols, making->names, assembler, script, why))
    return FALSE;

  if (!g_file_set_contents (assembler_path, assembler->str, assembler->len, error) ||
      !g_file_set_contents (script_path, script->str, script->len, error))
    return FALSE;

  soname_option = g_strconcat ("-Wl,-soname,", soname, NULL);
  script_option = g_strconcat ("-Wl,--version-script=", script_path, NULL);
  argv = (const char *[]){ making->driver, "-shared", "-nostdlib", "-x", "assembler", "-o", stub,
                           assembler_path, soname_option, script_option, NULL };
  if (!g_spawn_sync (making->dir, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &output, &status,
                     error) ||
      !g_spawn_check_wait_status (status, NULL))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", making->driver, output ? output : "");
      return FALSE;
    }

  return TRUE;
}

/* Removes the folders of the generations before @making's. */
static void
remove_old_generations (const char *dir,
                        const char *keep)
{
  g_autoptr (GDir) folder = g_dir_open (dir, 0, NULL);
  const char *name;

  while (folder != NULL && (name = g_dir_read_name (folder)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autoptr (GDir) generation = NULL;
      const char *file;

      if (g_str_equal (path, keep) || !g_str_has_prefix (name, "g"))
        continue;
      generation = g_dir_open (path, 0, NULL);
      while (generation != NULL && (file = g_dir_read_name (generation)) != NULL)
        {
          g_autofree char *file_path = g_build_filename (path, file, NULL);

          g_unlink (file_path);
        }
      g_rmdir (path);
    }
}

/* The worker: reads the link's archives and libraries, and makes a stub
 * of each library that one can stand for. */
static void
make_stubs (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  Making *making = task_data;
  g_autoptr (GArray) inputs = g_array_new (FALSE, TRUE, sizeof (Input));
  g_autoptr (Stubs) stubs = g_new0 (Stubs, 1);
  g_autoptr (GStrvBuilder) argv = g_strv_builder_new ();
  g_autoptr (GPtrArray) replaced = g_ptr_array_new_full (0, g_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) libraries = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr (GArray) library_inputs = g_array_new (FALSE, FALSE, sizeof (guint));

  g_array_set_clear_func (inputs, input_clear);
  stubs->watched = g_array_new (FALSE, TRUE, sizeof (Watched));
  g_array_set_clear_func (stubs->watched, watched_clear);
  stubs->names = g_hash_table_ref (making->names);
  stubs->dir = g_strdup (making->dir);
  stubs->argv_key = g_strjoinv ("\n", making->argv);

  if (!list_inputs ((const char *const *) making->argv, making->cwd, inputs))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "the link command has what stubs do not follow");
      return;
    }

  {
    g_autofree char *parent = g_path_get_dirname (making->dir);

    remove_old_generations (parent, making->keep);
  }
  if (g_mkdir_with_parents (making->dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s: %s", making->dir,
                               g_strerror (saved_errno));
      return;
    }

  /* The archives' and other objects' names first: a stub holds every
   * name of the link's objects and archives its library defines. */
  for (guint i = 0; i < inputs->len; i++)
    {
      Input  *input = &g_array_index (inputs, Input, i);
      Watched file = { 0 };
      g_autoptr (GBytes) bytes = NULL;
      char       *read = NULL;
      const char *contents;
      gsize       length;

      if (g_str_has_suffix (input->path, ".o"))
        continue;
      /* Read, not mapped: a library rewritten in place while it is read
       * would raise SIGBUS. */
      if (!watch (&file, input->path, TRUE) || !g_file_get_contents (input->path, &read, &length, &error))
        {
          watched_clear (&file);
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", input->path,
                                   error ? error->message : "not a regular file");
          return;
        }
      bytes = g_bytes_new_take (read, length);
      contents = read;

      if (length >= SARMAG && memcmp (contents, ARMAG, SARMAG) == 0)
        {
          if (!hot_elf_read_archive_names (contents, length, stubs->names))
            {
              watched_clear (&file);
              g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: an archive not read",
                                       input->path);
              return;
            }
        }
      else if (length >= sizeof (Elf64_Ehdr) && memcmp (contents, ELFMAG, SELFMAG) == 0)
        {
          guint16 type;

          memcpy (&type, contents + G_STRUCT_OFFSET (Elf64_Ehdr, e_type), sizeof type);
          if (type == ET_DYN)
            {
              /* A shared library, made a stub of below. */
              g_ptr_array_add (libraries, g_steal_pointer (&bytes));
              g_array_append_val (library_inputs, i);
            }
          else if (type != ET_REL || !hot_elf_read_object_names (contents, length, stubs->names))
            {
              watched_clear (&file);
              g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: an object not read",
                                       input->path);
              return;
            }
        }
      else
        {
          /* A linker script: the linker reads it and what it names as ever. */
          watched_clear (&file);
          continue;
        }
      g_array_append_val (stubs->watched, file);
    }

  for (guint i = 0; i < libraries->len; i++)
    {
      Input           *input = &g_array_index (inputs, Input, g_array_index (library_inputs, guint, i));
      g_autofree char *basename = g_path_get_basename (input->path);
      g_autofree char *stub = g_strdup_printf ("%s/%u-%s", making->dir, i, basename);
      g_autofree char *why = NULL;
      Watched          file = { 0 };

      if (g_cancellable_set_error_if_cancelled (cancellable, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      if (!make_stub (making, input->path, stub, g_ptr_array_index (libraries, i), &why, &error))
        {
          if (error != NULL)
            {
              g_prefix_error (&error, "%s: ", input->path);
              g_task_return_error (task, g_steal_pointer (&error));
              return;
            }
          g_debug ("No link stub for %s: %s", input->path, why);
          continue;
        }
      if (!watch (&file, stub, TRUE))
        {
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s was not made", stub);
          return;
        }
      g_array_append_val (stubs->watched, file);
      g_ptr_array_set_size (replaced, MAX (replaced->len, input->index + 1));
      g_ptr_array_index (replaced, input->index) = g_steal_pointer (&stub);
    }

  for (guint i = 0; making->argv[i]; i++)
    {
      const char *stub = i < replaced->len ? g_ptr_array_index (replaced, i) : NULL;

      /* "-l name": the name goes with the option. */
      if (stub != NULL && (g_str_equal (making->argv[i], "-l") || g_str_equal (making->argv[i], "--library=")))
        {
          g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "-l apart from its name");
          return;
        }
      g_strv_builder_add (argv, stub ? stub : making->argv[i]);
    }
  stubs->argv = g_strv_builder_end (argv);

  g_task_return_pointer (task, g_steal_pointer (&stubs), (GDestroyNotify) stubs_free);
}

static void
stubs_made (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  HotLinkStubs *self = HOT_LINK_STUBS (source);
  g_autoptr (GError) error = NULL;
  Making *making = g_task_get_task_data (G_TASK (result));
  Stubs  *stubs = g_task_propagate_pointer (G_TASK (result), &error);

  if (making->generation != self->running)
    {
      g_clear_pointer (&stubs, stubs_free);
      return;
    }
  self->running = 0;
  if (stubs == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Could not make link stubs (the fast path links against the real libraries): %s",
                 error->message);
      return;
    }
  g_clear_pointer (&self->current, stubs_free);
  self->current = stubs;
}

/* Whether @stubs are for @key and their files are as they were made. */
static gboolean
stubs_current (Stubs      *stubs,
               const char *key)
{
  if (stubs == NULL || !g_str_equal (stubs->argv_key, key))
    return FALSE;
  for (guint i = 0; i < stubs->watched->len; i++)
    {
      Watched *file = &g_array_index (stubs->watched, Watched, i);

      if (!watch (file, file->path, FALSE))
        {
          g_debug ("%s changed since the link stubs were made", file->path);
          return FALSE;
        }
    }

  return TRUE;
}

/**
 * hot_link_stubs_argv:
 * @self: link stubs
 * @argv: the linker's command for a link (ld.gold's, run alone)
 * @cwd: the folder it runs in
 *
 * The command for the link with stubs in place of its shared libraries,
 * when there are stubs for every name its objects have. When there are
 * none, stubs are made on a worker thread for the next link (unless they
 * are being made): this one runs with @argv.
 *
 * Returns: (transfer full) (nullable): the command, or %NULL
 */
GStrv
hot_link_stubs_argv (HotLinkStubs      *self,
                     const char *const *argv,
                     const char        *cwd)
{
  g_autoptr (GArray) inputs = g_array_new (FALSE, TRUE, sizeof (Input));
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *key = g_strjoinv ("\n", (char **) argv);
  gboolean         covered;
  GTask           *task;
  Making          *making;

  g_return_val_if_fail (HOT_IS_LINK_STUBS (self), NULL);

  if (g_strcmp0 (key, self->refused) == 0)
    return NULL;

  g_array_set_clear_func (inputs, input_clear);
  if (!list_inputs (argv, cwd, inputs) || !add_option_names (argv, names))
    {
      g_debug ("The link command has what link stubs do not follow: linking against the real libraries");
      return NULL;
    }
  for (guint i = 0; i < inputs->len; i++)
    {
      const char *path = g_array_index (inputs, Input, i).path;

      if (g_str_has_suffix (path, ".o") && !add_object_names (self, path, names))
        {
          g_debug ("Could not read the symbols of %s: linking against the real libraries", path);
          return NULL;
        }
    }

  covered = stubs_current (self->current, key);
  if (covered)
    {
      GHashTableIter iter;
      gpointer       name;

      g_hash_table_iter_init (&iter, names);
      while (covered && g_hash_table_iter_next (&iter, &name, NULL))
        covered = g_hash_table_contains (self->current->names, name);
      if (!covered)
        g_debug ("The link names %s, which the link stubs were not made for: linking against the real "
                 "libraries, and making them again",
                 (char *) name);
    }
  if (covered)
    return g_strdupv (self->current->argv);

  if (self->running != 0)
    return NULL;

  /* Made again for the names of the stubs there were too, so that a name
   * a link dropped does not make them again when it comes back. */
  if (self->current != NULL && g_str_equal (self->current->argv_key, key))
    {
      GHashTableIter iter;
      gpointer       name;

      g_hash_table_iter_init (&iter, self->current->names);
      while (g_hash_table_iter_next (&iter, &name, NULL))
        g_hash_table_add (names, g_strdup (name));
    }

  making = g_new0 (Making, 1);
  making->argv = g_strdupv ((char **) argv);
  making->cwd = g_strdup (cwd);
  making->dir = g_strdup_printf ("%s/g%u", self->dir, ++self->generation);
  making->driver = g_strdup (self->driver);
  making->keep = g_strdup (self->current ? self->current->dir : "");
  making->generation = self->generation;
  making->names = g_steal_pointer (&names);

  self->running = self->generation;
  task = g_task_new (self, self->cancellable, stubs_made, NULL);
  g_task_set_source_tag (task, hot_link_stubs_argv);
  g_task_set_task_data (task, making, making_free);
  g_task_run_in_thread (task, make_stubs);
  g_object_unref (task);

  return NULL;
}

/**
 * hot_link_stubs_is_busy:
 * @self: link stubs
 *
 * Returns: whether stubs are being made
 */
gboolean
hot_link_stubs_is_busy (HotLinkStubs *self)
{
  g_return_val_if_fail (HOT_IS_LINK_STUBS (self), FALSE);

  return self->running != 0;
}

/**
 * hot_link_stubs_failed:
 * @self: link stubs
 * @argv: the link command (without stubs) whose link with stubs failed
 *
 * A link with stubs failed: that link command never uses stubs again (the
 * caller links against the real libraries).
 */
void
hot_link_stubs_failed (HotLinkStubs      *self,
                       const char *const *argv)
{
  g_return_if_fail (HOT_IS_LINK_STUBS (self));

  g_free (self->refused);
  self->refused = g_strjoinv ("\n", (char **) argv);
  g_clear_pointer (&self->current, stubs_free);
}

/**
 * hot_link_stubs_acquit:
 * @self: link stubs
 *
 * The link that failed with stubs failed against the real libraries too:
 * its command may use stubs again (made again for the next link).
 */
void
hot_link_stubs_acquit (HotLinkStubs *self)
{
  g_return_if_fail (HOT_IS_LINK_STUBS (self));

  g_clear_pointer (&self->refused, g_free);
}
