/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "hot-fast-tcc-private.h"

#include "hot-compile-command-private.h"
#include "hot-reload.h"
#include "hot-tcc-prelude-private.h"

/*
 * The fast builder's tcc path for one module (see hot-fast-builder.c):
 * where tcc's runtime library is, the preludes of the module's sources,
 * each made once per prologue, flags and headers' content (see
 * hot-tcc-prelude.c), and the command that compiles a source with its
 * prelude. Runs no process but the making of a prelude.
 */

struct _HotFastTcc
{
  char       *tcc;       /* tcc's path */
  char       *header;    /* tcc's compatibility header (hot-pch.c) */
  char       *work_dir;  /* the fast builder's folder */
  char       *build_dir; /* where preludes are made */
  HotInputs  *inputs;
  GHashTable *preludes; /* prologue key → its prelude, "" if none */
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

  if (!hot_tcc_prelude_make_finish (result, &prelude, error))
    return FALSE;

  if (prelude != NULL)
    g_hash_table_insert (self->preludes, g_strdup (key), g_steal_pointer (&prelude));
  return TRUE;
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
                           GError                 **error)
{
  const char      *prelude = key ? g_hash_table_lookup (self->preludes, key) : NULL;
  g_autofree char *source_dir = NULL;
  g_autofree char *object_name = NULL;
  g_autofree char *copy_name = NULL;
  g_autofree char *copy_path = NULL;
  gboolean         written = FALSE;

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
  return hot_compile_command_tcc_argv (command, self->tcc, prelude, source_dir,
                                       (const char *[]){ "-fPIC", "-c", copy_name, "-o", object, NULL });
}
