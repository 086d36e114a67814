/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <string.h>

#include "hot-fast-builder-private.h"

#include "hot-build-step-private.h"
#include "hot-compile-command-private.h"
#include "hot-elf-private.h"
#include "hot-fast-tcc-private.h"
#include "hot-inputs-private.h"
#include "hot-link-stubs-private.h"
#include "hot-pch-private.h"
#include "hot-tcc-prelude-private.h"

/*
 * HotFastBuilder: rebuilds one hot module without the build system, which
 * spends most of a rebuild on what the edit did not touch. Each changed
 * source is compiled alone, with its flags from compile_commands.json, into
 * a folder of hotnode's in the build folder; the module's own link command
 * (`ninja -t commands -s`) then links those objects with the build's
 * objects of the other sources into a library of its own. The build's own
 * files are never written.
 *
 * Two compilers:
 * - tcc, several times faster than gcc -O0 on a GTK file. Three things make
 *   its objects work in a gcc-built module: a compatibility header (glibc's
 *   sys/cdefs.h defines __attribute__ away for compilers that are not GCC,
 *   which would drop the table sections and weak symbols; GLib declares
 *   g_autoptr () only for compilers that say they have the cleanup
 *   attribute, which tcc has), table sections made writable after the
 *   compile (tcc makes them read-only, and their relocations would become
 *   text relocations), and, at link time, tcc's runtime library (va_arg)
 *   and -z noexecstack (tcc objects do not say what stack they need). Its
 *   compiles are cut to a fifth by preludes (see hot-tcc-prelude.c),
 *   pruned to what each source reaches (hot-fast-tcc.c); a compile with a
 *   pruned prelude that fails, or warns of an implicit declaration, runs
 *   again with the whole prelude before anything is reported.
 * - the build's own compiler with a precompiled header: the system headers
 *   the source starts with (<gtk/gtk.h>, <adwaita.h>, ...), made once per
 *   set of headers and flags (see hot-pch.c).
 *
 * A source whose headers tcc does not compile (tcc's first error is in a
 * header, not in the source) is compiled with the build's compiler and a
 * precompiled header from then on: the set of headers (the key of its
 * prelude: prologue, flags and what the headers hold) is remembered, and
 * tcc's error is logged once. A header that does not precompile is
 * remembered too: its sources are compiled without one.
 *
 * The builder's folder is in the build folder. When it is gone (the build
 * folder was deleted and set up again) or is another one, everything that
 * was in it is forgotten at the start of the next build: the preludes, the
 * objects, the link command.
 *
 * Each object compiled here is known by the fingerprint of what it was
 * compiled from (hot-inputs.c): a build compiles exactly the sources whose
 * content (or headers) neither an object of its own nor the build
 * system's object was compiled from, whichever files were saved and
 * whatever earlier builds were stopped. An object being rewritten is
 * forgotten first. Every failure is an error for the caller, which
 * falls back to the build system, so the user gets the same result either
 * way, only later. Links use gold when it is installed and the build chose
 * no linker, run alone with the command gcc gives for the link (see
 * hot_link_command_direct ()), against stubs of the shared libraries once
 * they are made (see hot-link-stubs.c).
 *
 * Beside this file: the compile and link commands (hot-compile-command.c),
 * the header every compile includes first (hot-pch.c), the tcc path's
 * runtime and preludes (hot-fast-tcc.c), and the running of each step
 * (hot-build-step.c).
 */

#define WORK_DIR_NAME "hotnode-fast"

static const char *const table_sections[] = { "hot_nodes", "hot_statics", NULL };

struct _HotFastBuilder
{
  GObject parent_instance;

  const HotModuleInfo *info;
  HotInputs           *inputs;
  HotFastPath          mode;
  char                *work_dir;
  GStatBuf             work_dir_stat; /* of the folder it made, once made */
  gboolean             work_dir_made;
  char                *tcc;            /* tcc's path, in tcc mode */
  char                *gold;           /* ld.gold's path, if installed */
  char                *link_key;       /* the link command gcc was last asked about (-###), joined */
  GStrv                direct_link;    /* the linker's own command for it, or NULL */
  gboolean             stubs_enabled;  /* unless HOTNODE_LINK_STUBS=0 */
  HotLinkStubs        *stubs;          /* for direct links, once one ran */
  gboolean             last_stubbed;   /* the last link was with stubs */
  char                *tcc_runtime;    /* libtcc1.a, once known */
  char                *header;         /* tcc's compatibility header */
  gboolean             header_ready;   /* written */
  GHashTable          *tcc_refused;    /* prelude key → tcc's first error: compiled with gcc */
  GHashTable          *pch_failed;     /* precompiled header that did not precompile */
  GStrv                link_argv;      /* the build's link command */
  GHashTable          *object_sources; /* the build's object → source */
  GHashTable          *objects;        /* source → object compiled here */
  GHashTable          *object_inputs;  /* source → fingerprint it was compiled from */
  HotFastTcc          *fast_tcc;       /* tcc's preludes, in tcc mode */
};

G_DEFINE_FINAL_TYPE (HotFastBuilder, hot_fast_builder, G_TYPE_OBJECT)

static void
hot_fast_builder_finalize (GObject *object)
{
  HotFastBuilder *self = HOT_FAST_BUILDER (object);

  g_free (self->work_dir);
  g_free (self->tcc);
  g_free (self->tcc_runtime);
  g_free (self->gold);
  g_free (self->link_key);
  g_strfreev (self->direct_link);
  g_clear_object (&self->stubs);
  g_free (self->header);
  g_strfreev (self->link_argv);
  g_clear_pointer (&self->tcc_refused, g_hash_table_unref);
  g_clear_pointer (&self->pch_failed, g_hash_table_unref);
  g_clear_pointer (&self->object_sources, g_hash_table_unref);
  g_clear_pointer (&self->objects, g_hash_table_unref);
  g_clear_pointer (&self->object_inputs, g_hash_table_unref);
  g_clear_pointer (&self->fast_tcc, hot_fast_tcc_free);

  G_OBJECT_CLASS (hot_fast_builder_parent_class)->finalize (object);
}

static void
hot_fast_builder_class_init (HotFastBuilderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hot_fast_builder_finalize;
}

static void
hot_fast_builder_init (HotFastBuilder *self)
{
  self->object_sources = g_hash_table_new (g_str_hash, g_str_equal);
  self->objects = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->object_inputs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->tcc_refused = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->pch_failed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * hot_fast_builder_new:
 * @info: the module; must outlive the builder
 * @mode: %HOT_FAST_PATH_TCC or %HOT_FAST_PATH_GCC_PCH
 * @inputs: what the module is built from; must outlive the builder. Each
 *   compile adds the headers the compiler read to it.
 *
 * Returns: (transfer full): a fast builder for @info
 */
HotFastBuilder *
hot_fast_builder_new (const HotModuleInfo *info,
                      HotFastPath          mode,
                      HotInputs           *inputs)
{
  HotFastBuilder    *self = g_object_new (HOT_TYPE_FAST_BUILDER, NULL);
  GHashTableIter     iter;
  const char        *source;
  HotCompileCommand *command;

  g_return_val_if_fail (mode != HOT_FAST_PATH_OFF, NULL);

  self->info = info;
  self->inputs = inputs;
  self->mode = mode;
  self->work_dir = g_build_filename (info->build_dir, WORK_DIR_NAME, info->name, NULL);
  self->gold = g_find_program_in_path ("ld.gold");
  self->stubs_enabled = self->gold != NULL && g_strcmp0 (g_getenv ("HOTNODE_LINK_STUBS"), "0") != 0;
  if (mode == HOT_FAST_PATH_TCC)
    {
      self->tcc = g_find_program_in_path ("tcc");
      self->header = g_build_filename (self->work_dir, "hot-tcc-compat.h", NULL);
      self->fast_tcc = hot_fast_tcc_new (self->tcc, self->header, self->work_dir, info->build_dir, inputs);
    }

  g_hash_table_iter_init (&iter, info->commands);
  while (g_hash_table_iter_next (&iter, (gpointer *) &source, (gpointer *) &command))
    g_hash_table_insert (self->object_sources, command->object, (gpointer) source);

  return self;
}

/**
 * hot_fast_builder_get_mode:
 * @self: a fast builder
 *
 * Returns: the compiler the fast builder uses
 */
HotFastPath
hot_fast_builder_get_mode (HotFastBuilder *self)
{
  g_return_val_if_fail (HOT_IS_FAST_BUILDER (self), HOT_FAST_PATH_OFF);

  return self->mode;
}

/**
 * hot_fast_builder_can_build:
 * @self: a fast builder
 * @error: return location for the reason it cannot
 *
 * Tells whether the fast builder's tools are there. Whether each source
 * can be compiled shows when it is.
 */
gboolean
hot_fast_builder_can_build (HotFastBuilder *self,
                            GError        **error)
{
  g_return_val_if_fail (HOT_IS_FAST_BUILDER (self), FALSE);

  if (self->mode == HOT_FAST_PATH_TCC && self->tcc == NULL)
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                   _ ("tcc is not installed (Debian and Ubuntu: package tcc)"));
      return FALSE;
    }

  /* A source the build has no command for would never be compiled here:
   * its old object would be linked, and the reload would not be what the
   * file holds. */
  for (guint i = 0; self->info->sources[i] != NULL; i++)
    {
      const char              *source = self->info->sources[i];
      const HotCompileCommand *command = g_hash_table_lookup (self->info->commands, source);

      if (g_str_has_suffix (source, ".c") && (command == NULL || command->argv == NULL))
        {
          g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                       _ ("compile_commands.json has no command for %s"), source);
          return FALSE;
        }
    }

  return TRUE;
}

/* Where the object of @source compiled here goes. */
static char *
object_path (HotFastBuilder          *self,
             const HotCompileCommand *command)
{
  g_autofree char *basename = g_path_get_basename (command->object);

  return g_build_filename (self->work_dir, basename, NULL);
}

/**
 * hot_fast_builder_compile_argv:
 * @self: a fast builder
 * @source: a source of the module (absolute, canonical)
 * @object: the object to write
 *
 * The command a fast build compiles @source with.
 *
 * Returns: (transfer full) (nullable): the command line, or %NULL when the
 *   build has no command for @source
 */
GStrv
hot_fast_builder_compile_argv (HotFastBuilder *self,
                               const char     *source,
                               const char     *object)
{
  const HotCompileCommand *command;

  g_return_val_if_fail (HOT_IS_FAST_BUILDER (self), NULL);

  command = g_hash_table_lookup (self->info->commands, source);
  if (command == NULL || command->argv == NULL)
    return NULL;

  if (self->mode == HOT_FAST_PATH_TCC)
    return hot_fast_tcc_compile_argv (self->fast_tcc, command, source, NULL, NULL, object, NULL, NULL, NULL);

  {
    g_autofree char *contents = NULL;
    g_autofree char *prologue = NULL;
    g_autofree char *header = NULL;

    if (g_file_get_contents (source, &contents, NULL, NULL))
      prologue = hot_tcc_source_prologue (contents);
    header = prologue ? hot_pch_header_path (self->work_dir, command, prologue) : NULL;
    return hot_compile_command_gcc_argv (command, header, object, NULL);
  }
}

typedef struct
{
  GPtrArray  *sources;     /* still to compile */
  char       *object;      /* of the running compile */
  char       *prelude_key; /* tcc: of the source to compile, once known */
  char       *prologue;
  gboolean    by_gcc;         /* the source is compiled by the build's compiler */
  gboolean    pch_checked;    /* gcc: its precompiled header is current, or it has none */
  char       *pch;            /* gcc: its precompiled header, if any */
  char       *copy_dir;       /* where the compile runs, if not the build folder */
  char       *pruned_key;     /* tcc: what the running compile's pruned prelude is for */
  gboolean    pruned_checked; /* tcc: the source's pruned prelude is written, or it has none */
  gboolean    whole_again;    /* tcc: the running compile is with the whole prelude, after a pruned one failed */
  char       *output;
  char       *link_asked;   /* the link command gcc was asked about (-###) */
  gboolean    stubbed;      /* the link running is with link stubs */
  gboolean    stubs_failed; /* a link with link stubs failed */
  gboolean    prepare_only; /* hot_fast_builder_prepare_async () */
  GHashTable *snapshot;     /* what the build builds: the inputs' digests */
  GHashTable *wanted;       /* source → fingerprint, from @snapshot */
} BuildJob;

static void
build_job_free (gpointer data)
{
  BuildJob *job = data;

  g_ptr_array_unref (job->sources);
  g_free (job->object);
  g_free (job->prelude_key);
  g_free (job->prologue);
  g_free (job->pch);
  g_free (job->copy_dir);
  g_free (job->pruned_key);
  g_free (job->link_asked);
  g_free (job->output);
  g_clear_pointer (&job->snapshot, g_hash_table_unref);
  g_clear_pointer (&job->wanted, g_hash_table_unref);
  g_free (job);
}

static void build_next (GTask *task);

/* What is known of the source the build is at is for the next one. */
static void
job_next_source (BuildJob *job)
{
  g_ptr_array_remove_index (job->sources, 0);
  g_clear_pointer (&job->prelude_key, g_free);
  g_clear_pointer (&job->prologue, g_free);
  g_clear_pointer (&job->pch, g_free);
  g_clear_pointer (&job->copy_dir, g_free);
  g_clear_pointer (&job->pruned_key, g_free);
  job->by_gcc = FALSE;
  job->pch_checked = FALSE;
  job->whole_again = FALSE;
  job->pruned_checked = FALSE;
}

/* Runs @argv in @cwd (NULL: the build folder); @done reads its output
 * and the build goes on, or fails unless @failed lets it go on (see
 * hot-build-step.c). Takes @task. */
static void
run_step (GTask             *task,
          const char *const *argv,
          const char        *cwd,
          const char        *what,
          HotBuildStepDone   done,
          HotBuildStepFailed failed)
{
  HotFastBuilder *self = g_task_get_source_object (task);

  hot_build_step_run (task, argv, cwd ? cwd : self->info->build_dir, what, done, failed, build_next);
}

static gboolean
runtime_found (GTask      *task,
               const char *output,
               GError    **error)
{
  HotFastBuilder *self = g_task_get_source_object (task);

  self->tcc_runtime = hot_fast_tcc_find_runtime (output, error);
  return self->tcc_runtime != NULL;
}

static gboolean
link_command_found (GTask      *task,
                    const char *output,
                    GError    **error)
{
  HotFastBuilder *self = g_task_get_source_object (task);

  self->link_argv = hot_link_command_parse (output, self->info->target, error);
  return self->link_argv != NULL;
}

static gboolean
pch_made (GTask      *task,
          const char *output,
          GError    **error)
{
  BuildJob *job = g_task_get_task_data (task);

  job->pch_checked = TRUE;
  return TRUE;
}

/* A header that does not precompile: its sources are compiled without
 * one (the compile shows what is wrong). */
static gboolean
pch_failed (GTask      *task,
            const char *output,
            const char *first_error)
{
  HotFastBuilder *self = g_task_get_source_object (task);
  BuildJob       *job = g_task_get_task_data (task);

  g_message ("Could not precompile the headers of %s (%s); compiling it without a precompiled header",
             (const char *) g_ptr_array_index (job->sources, 0), first_error ? first_error : "no output");
  g_hash_table_add (self->pch_failed, g_steal_pointer (&job->pch));
  job->pch_checked = TRUE;
  return TRUE;
}

/* Whether tcc's first error is in a header rather than in @command's
 * source (or its copy): "FILE:LINE: error: ...". */
static gboolean
error_in_header (const HotCompileCommand *command,
                 const char              *source,
                 const char              *first_error)
{
  const char      *colon = first_error ? strchr (first_error, ':') : NULL;
  g_autofree char *file = NULL;

  if (colon == NULL || !g_ascii_isdigit (colon[1]))
    return FALSE;
  file = g_strndup (first_error, colon - first_error);
  return !g_str_equal (file, command->file) && !g_str_equal (file, source) && !g_str_has_suffix (file, ".o.c");
}

/* A compile with a pruned prelude that failed, or warned of an implicit
 * declaration: the source is compiled again with the whole prelude. */
static void
prune_failed (HotFastBuilder *self,
              BuildJob       *job,
              const char     *first_error)
{
  const char *source = g_ptr_array_index (job->sources, 0);

  g_debug ("The pruned tcc prelude of %s did not do (%s); compiling it with the whole prelude", source,
           first_error ? first_error : "no output");
  hot_fast_tcc_refuse_pruning (self->fast_tcc, source, job->pruned_key);
  g_clear_pointer (&job->pruned_key, g_free);
  g_clear_pointer (&job->object, g_free);
  g_clear_pointer (&job->copy_dir, g_free);
  job->whole_again = TRUE;
}

/* A tcc compile that failed: when the error is in a header, the source is
 * compiled by gcc, now and from now on, and tcc's error is logged once. */
static gboolean
tcc_failed (GTask      *task,
            const char *output,
            const char *first_error)
{
  HotFastBuilder          *self = g_task_get_source_object (task);
  BuildJob                *job = g_task_get_task_data (task);
  const char              *source = g_ptr_array_index (job->sources, 0);
  const HotCompileCommand *command = g_hash_table_lookup (self->info->commands, source);

  g_autofree char *error_text = NULL;

  if (job->pruned_key != NULL)
    {
      prune_failed (self, job, first_error);
      return TRUE;
    }
  /* The whole prelude failed too: the error is not the pruning's. */
  if (job->whole_again)
    hot_fast_tcc_refuse_pruning (self->fast_tcc, source, NULL);

  if (job->prelude_key == NULL || !error_in_header (command, source, first_error))
    return FALSE;

  /* tcc puts the prelude's folder before the names of its line markers. */
  error_text = g_str_has_prefix (first_error, self->work_dir) && first_error[strlen (self->work_dir)] == '/' &&
                       first_error[strlen (self->work_dir) + 1] == '/'
                   ? g_strdup (first_error + strlen (self->work_dir) + 1)
                   : g_strdup (first_error);

  g_message ("tcc does not compile the headers %s includes (%s); compiling it with %s and a precompiled "
             "header from now on",
             source, error_text, hot_compile_command_compiler (command));
  g_hash_table_insert (self->tcc_refused, g_strdup (job->prelude_key), g_steal_pointer (&error_text));
  g_clear_pointer (&job->object, g_free);
  g_clear_pointer (&job->copy_dir, g_free);
  return TRUE;
}

static gboolean
source_compiled (GTask      *task,
                 const char *output,
                 GError    **error)
{
  HotFastBuilder  *self = g_task_get_source_object (task);
  BuildJob        *job = g_task_get_task_data (task);
  const char      *source = g_ptr_array_index (job->sources, 0);
  g_autofree char *depfile = g_strconcat (job->object, ".d", NULL);

  /* A declaration pruned away that the code calls. */
  if (job->pruned_key != NULL && strstr (output, "implicit declaration") != NULL)
    {
      g_autofree char *first = hot_build_step_first_error (output);

      prune_failed (self, job, first);
      return TRUE;
    }

  if (!job->by_gcc && !hot_elf_make_sections_writable (job->object, table_sections, error))
    return FALSE;

  /* Headers met for the first time count with what they hold now: what
   * the compiler just read. */
  if (hot_inputs_read_depfile (self->inputs, source, depfile, job->copy_dir ? job->copy_dir : self->info->build_dir))
    hot_inputs_complete (self->inputs, job->snapshot);
  g_hash_table_replace (self->objects, g_strdup (source), g_steal_pointer (&job->object));
  g_hash_table_replace (self->object_inputs, g_strdup (source),
                        hot_inputs_fingerprint (self->inputs, job->snapshot, source));
  job_next_source (job);
  return TRUE;
}

static gboolean
linked (GTask      *task,
        const char *output,
        GError    **error)
{
  HotFastBuilder *self = g_task_get_source_object (task);
  BuildJob       *job = g_task_get_task_data (task);

  self->last_stubbed = job->stubbed;
  return TRUE;
}

/* A link with stubs that failed: linked again against the real libraries
 * (a failure of theirs is reported as the link's), and that link command
 * uses stubs again only if that fails too (real_link_failed ()). */
static gboolean
stubbed_link_failed (GTask      *task,
                     const char *output,
                     const char *first_error)
{
  HotFastBuilder *self = g_task_get_source_object (task);
  BuildJob       *job = g_task_get_task_data (task);

  g_debug ("The link with link stubs failed (%s); linking against the real libraries",
           first_error ? first_error : "no output");
  hot_link_stubs_failed (self->stubs, (const char *const *) self->direct_link);
  g_clear_pointer (&job->output, g_free);
  job->stubbed = FALSE;
  job->stubs_failed = TRUE;
  return TRUE;
}

/* A link against the real libraries that failed: the build's error. When
 * one with stubs had failed first, the stubs were not at fault. */
static gboolean
real_link_failed (GTask      *task,
                  const char *output,
                  const char *first_error)
{
  HotFastBuilder *self = g_task_get_source_object (task);
  BuildJob       *job = g_task_get_task_data (task);

  if (job->stubs_failed && self->stubs != NULL)
    hot_link_stubs_acquit (self->stubs);
  return FALSE;
}

/* gcc printed the commands of the link it was asked about: the linker's
 * own, if there is one to run alone, is kept for that link command
 * (self->link_key). */
static gboolean
link_driver_asked (GTask      *task,
                   const char *output,
                   GError    **error)
{
  HotFastBuilder *self = g_task_get_source_object (task);
  BuildJob       *job = g_task_get_task_data (task);
  g_auto (GStrv) argv = g_strsplit (job->link_asked, "\n", -1);

  g_strfreev (self->direct_link);
  self->direct_link = hot_link_command_direct ((const char *const *) argv, output, self->gold);
  g_free (self->link_key);
  self->link_key = g_steal_pointer (&job->link_asked);
  return TRUE;
}

/* The end of a prelude's making: remembered, and the build goes on. */
static void
prelude_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GTask          *task = user_data;
  HotFastBuilder *self = g_task_get_source_object (task);
  BuildJob       *job = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  if (!hot_fast_tcc_prelude_finish (self->fast_tcc, job->prelude_key, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  build_next (task);
}

/* The end of a pruning: the build goes on. */
static void
pruned (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  GTask          *task = user_data;
  HotFastBuilder *self = g_task_get_source_object (task);
  g_autoptr (GError) error = NULL;

  if (!hot_fast_tcc_pruning_finish (self->fast_tcc, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  build_next (task);
}

/* @argv (taken) with a dependency file beside @object; @source's object is
 * about to be rewritten: until it is done, it is no one's. */
static GStrv
compile_step_begin (HotFastBuilder *self,
                    const char     *source,
                    const char     *object,
                    GStrv           argv)
{
  g_autoptr (GStrvBuilder) with_depfile = g_strv_builder_new ();
  g_autofree char *depfile = g_strconcat (object, ".d", NULL);

  g_strv_builder_addv (with_depfile, (const char **) argv);
  g_strv_builder_addv (with_depfile, (const char *[]){ "-MD", "-MF", depfile, NULL });
  g_strfreev (argv);
  g_hash_table_remove (self->objects, source);
  g_hash_table_remove (self->object_inputs, source);

  return g_strv_builder_end (with_depfile);
}

/* The next step for the first source still to compile by gcc: its
 * precompiled header, or its compile. Takes @task. */
static void
compile_next_by_gcc (GTask *task)
{
  HotFastBuilder          *self = g_task_get_source_object (task);
  BuildJob                *job = g_task_get_task_data (task);
  const char              *source = g_ptr_array_index (job->sources, 0);
  const HotCompileCommand *command = g_hash_table_lookup (self->info->commands, source);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) argv = NULL;

  if (!job->pch_checked)
    {
      g_autofree char *contents = NULL;

      if (job->prologue == NULL && g_file_get_contents (source, &contents, NULL, NULL))
        job->prologue = hot_tcc_source_prologue (contents);
      g_clear_pointer (&job->pch, g_free);
      argv = hot_pch_prepare (self->work_dir, command, job->prologue ? job->prologue : "", &job->pch, &error);
      if (argv != NULL && !g_hash_table_contains (self->pch_failed, job->pch))
        {
          run_step (task, (const char *const *) argv, NULL, _ ("precompiling headers"), pch_made, pch_failed);
          return;
        }
      if (error != NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
          return;
        }
      if (job->pch != NULL && g_hash_table_contains (self->pch_failed, job->pch))
        g_clear_pointer (&job->pch, g_free);
      job->pch_checked = TRUE;
      g_clear_pointer (&argv, g_strfreev);
    }

  if (job->prepare_only)
    {
      job_next_source (job);
      build_next (task);
      return;
    }

  g_free (job->object);
  job->object = object_path (self, command);
  argv = hot_compile_command_gcc_argv (command, job->pch, job->object, NULL);
  argv = compile_step_begin (self, source, job->object, argv);
  run_step (task, (const char *const *) argv, NULL, hot_compile_command_compiler (command), source_compiled, NULL);
}

/* The next step for the first source still to compile: tcc's
 * compatibility header, the source's tcc prelude, or its compile (by gcc
 * when tcc does not compile its headers). Takes @task. */
static void
compile_next (GTask *task)
{
  HotFastBuilder          *self = g_task_get_source_object (task);
  BuildJob                *job = g_task_get_task_data (task);
  const char              *source = g_ptr_array_index (job->sources, 0);
  const HotCompileCommand *command = g_hash_table_lookup (self->info->commands, source);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) argv = NULL;

  if (self->mode == HOT_FAST_PATH_GCC_PCH)
    {
      job->by_gcc = TRUE;
      compile_next_by_gcc (task);
      return;
    }

  if (!self->header_ready)
    {
      if (!hot_pch_write_tcc_header (self->header, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
          return;
        }
      self->header_ready = TRUE;
    }

  if (job->prelude_key == NULL &&
      hot_fast_tcc_start_prelude (self->fast_tcc, command, source, job->snapshot, &job->prologue,
                                  &job->prelude_key, g_task_get_cancellable (task), prelude_done, task))
    return;

  /* Headers tcc does not compile: gcc, without trying tcc again. */
  if (job->prelude_key != NULL && g_hash_table_contains (self->tcc_refused, job->prelude_key))
    {
      job->by_gcc = TRUE;
      compile_next_by_gcc (task);
      return;
    }

  if (job->prepare_only)
    {
      job_next_source (job);
      build_next (task);
      return;
    }

  g_free (job->object);
  job->object = object_path (self, command);
  if (!job->pruned_checked)
    {
      job->pruned_checked = TRUE;
      if (hot_fast_tcc_start_pruning (self->fast_tcc, source, job->prologue, job->prelude_key, job->object,
                                      g_task_get_cancellable (task), pruned, task))
        return;
    }
  g_clear_pointer (&job->copy_dir, g_free);
  g_clear_pointer (&job->pruned_key, g_free);
  argv = hot_fast_tcc_compile_argv (self->fast_tcc, command, source, job->prologue, job->prelude_key,
                                    job->object, &job->copy_dir, &job->pruned_key, &error);
  if (argv == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  argv = compile_step_begin (self, source, job->object, argv);
  /* A copy for the prelude is compiled in its folder (see hot_fast_tcc_compile_argv ()). */
  run_step (task, (const char *const *) argv, job->copy_dir, "tcc", source_compiled, tcc_failed);
}

/* The next step of the build: what is found once (tcc's runtime, the link
 * command), the compiles, the link. Takes @task. */
static void
build_next (GTask *task)
{
  HotFastBuilder *self = g_task_get_source_object (task);
  BuildJob       *job = g_task_get_task_data (task);

  if (self->mode == HOT_FAST_PATH_TCC && self->tcc_runtime == NULL)
    {
      run_step (task, (const char *[]){ self->tcc, "-print-search-dirs", NULL }, NULL, "tcc", runtime_found, NULL);
    }
  else if (self->link_argv == NULL)
    {
      g_autofree char *ninja = g_find_program_in_path ("ninja");

      if (ninja == NULL)
        {
          g_task_return_new_error (task, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                                   _ ("ninja is not in PATH"));
          g_object_unref (task);
          return;
        }
      run_step (task, (const char *[]){ ninja, "-t", "commands", "-s", self->info->target, NULL },
                NULL, "ninja", link_command_found, NULL);
    }
  else if (job->sources->len > 0)
    {
      compile_next (task);
    }
  else if (job->prepare_only)
    {
      g_task_return_pointer (task, NULL, NULL);
      g_object_unref (task);
    }
  else if (job->output == NULL)
    {
      g_autofree char *basename = g_path_get_basename (self->info->output);
      g_autofree char *output = g_build_filename (self->work_dir, basename, NULL);
      g_autofree char *key = NULL;
      g_auto (GStrv) argv = NULL;

      argv = hot_link_command_argv ((const char *const *) self->link_argv, self->info->build_dir,
                                    self->object_sources, self->objects, output,
                                    self->mode == HOT_FAST_PATH_TCC ? self->tcc_runtime : NULL, self->gold != NULL);

      /* A link command not seen before: gcc says what it would run
       * (-###), and the linker runs alone from then on. */
      key = g_strjoinv ("\n", argv);
      if (self->gold != NULL && g_strcmp0 (key, self->link_key) != 0 &&
          g_strv_contains ((const char *const *) argv, "-fuse-ld=gold"))
        {
          g_autoptr (GStrvBuilder) ask = g_strv_builder_new ();
          g_auto (GStrv) ask_argv = NULL;

          g_strv_builder_addv (ask, (const char **) argv);
          g_strv_builder_add (ask, "-###");
          ask_argv = g_strv_builder_end (ask);
          g_free (job->link_asked);
          job->link_asked = g_steal_pointer (&key);
          run_step (task, (const char *const *) ask_argv, NULL, _ ("linking"), link_driver_asked, NULL);
          return;
        }

      job->output = g_steal_pointer (&output);
      if (self->direct_link != NULL && g_strcmp0 (key, self->link_key) == 0)
        {
          g_auto (GStrv) stubbed = NULL;

          /* Against stubs of the shared libraries when there are (see
           * hot-link-stubs.c), once: a link with them that fails runs
           * again without. */
          if (self->stubs == NULL && self->stubs_enabled)
            {
              g_autofree char *stubs_dir = g_build_filename (self->work_dir, "link-stubs", NULL);

              /* Made by the build's compiler driver, as an assembler source. */
              self->stubs = hot_link_stubs_new (stubs_dir, self->link_argv[0]);
            }
          if (self->stubs != NULL && !job->stubs_failed)
            stubbed = hot_link_stubs_argv (self->stubs, (const char *const *) self->direct_link,
                                           self->info->build_dir);
          job->stubbed = stubbed != NULL;
          if (stubbed != NULL)
            run_step (task, (const char *const *) stubbed, NULL, _ ("linking"), linked, stubbed_link_failed);
          else
            run_step (task, (const char *const *) self->direct_link, NULL, _ ("linking"), linked,
                      real_link_failed);
        }
      else
        run_step (task, (const char *const *) argv, NULL, _ ("linking"), linked, NULL);
    }
  else
    {
      g_task_return_pointer (task, g_strdup (job->output), g_free);
      g_object_unref (task);
    }
}

/* Forgets what was in the builder's folder: the preludes, the
 * compatibility header, the objects, the link command (the build folder
 * was set up again). What tcc does not compile and the runtime stay. */
static void
forget_work_dir (HotFastBuilder *self)
{
  g_hash_table_remove_all (self->objects);
  g_hash_table_remove_all (self->object_inputs);
  g_hash_table_remove_all (self->pch_failed);
  g_clear_pointer (&self->link_argv, g_strfreev);
  g_clear_pointer (&self->link_key, g_free);
  g_clear_pointer (&self->direct_link, g_strfreev);
  g_clear_object (&self->stubs);
  self->header_ready = FALSE;
  if (self->fast_tcc != NULL)
    hot_fast_tcc_forget (self->fast_tcc);
}

/* When the folder the builder made is gone, or another is in its place,
 * the builder starts over. */
static void
check_work_dir (HotFastBuilder *self)
{
  GStatBuf st;

  if (self->work_dir_made &&
      (g_stat (self->work_dir, &st) != 0 || st.st_dev != self->work_dir_stat.st_dev ||
       st.st_ino != self->work_dir_stat.st_ino))
    {
      g_message ("The fast path's folder %s is gone or was made again (the build folder was set up again?); "
                 "making its preludes, headers and objects again",
                 self->work_dir);
      forget_work_dir (self);
      self->work_dir_made = FALSE;
    }
}

/* Makes the builder's folder. */
static gboolean
work_dir_ready (HotFastBuilder *self,
                GError        **error)
{
  check_work_dir (self);
  if (g_mkdir_with_parents (self->work_dir, 0700) != 0 || g_stat (self->work_dir, &self->work_dir_stat) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD, _ ("could not create %s: %s"),
                   self->work_dir, g_strerror (saved_errno));
      return FALSE;
    }
  self->work_dir_made = TRUE;

  return TRUE;
}

static void
start_job (HotFastBuilder     *self,
           BuildJob           *job,
           GCancellable       *cancellable,
           GAsyncReadyCallback callback,
           gpointer            user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (GError) error = NULL;

  g_task_set_source_tag (task, start_job);
  g_task_set_task_data (task, job, build_job_free);

  if (!work_dir_ready (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  build_next (task);
}

/**
 * hot_fast_builder_build_async:
 * @self: a fast builder
 * @snapshot: what to build: the digests of the module's inputs
 * @reusable: the sources whose object in the build folder was compiled
 *   from @snapshot
 * @cancellable: (nullable): stops the build and its processes
 * @callback: called with the library, or the reason it was not built
 * @user_data: data for @callback
 *
 * Compiles every source of the module that neither an object of its own
 * nor a @reusable one was compiled from as it is in @snapshot, and links.
 */
void
hot_fast_builder_build_async (HotFastBuilder     *self,
                              GHashTable         *snapshot,
                              GHashTable         *reusable,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  BuildJob      *job;
  GHashTableIter iter;
  gpointer       source;

  g_return_if_fail (HOT_IS_FAST_BUILDER (self));

  /* Before its objects are looked at: they may be gone. */
  check_work_dir (self);

  job = g_new0 (BuildJob, 1);
  job->sources = g_ptr_array_new_with_free_func (g_free);
  job->snapshot = g_hash_table_ref (snapshot);
  job->wanted = hot_inputs_fingerprints (self->inputs, snapshot);

  g_hash_table_iter_init (&iter, self->info->commands);
  while (g_hash_table_iter_next (&iter, &source, NULL))
    {
      const char *wanted = g_hash_table_lookup (job->wanted, source);

      if (g_hash_table_contains (reusable, source))
        {
          /* The build's own object is as good: link that one. */
          g_hash_table_remove (self->objects, source);
          g_hash_table_remove (self->object_inputs, source);
        }
      else if (g_strcmp0 (g_hash_table_lookup (self->object_inputs, source), wanted) != 0)
        g_ptr_array_add (job->sources, g_strdup (source));
    }

  start_job (self, job, cancellable, callback, user_data);
}

/**
 * hot_fast_builder_prepare_async:
 * @self: a fast builder
 * @cancellable: (nullable): stops the preparation and its processes
 * @callback: called when it is done
 * @user_data: data for @callback
 *
 * Does ahead of the first save what a fast build does once: finds tcc's
 * runtime and the module's link command, and makes the tcc prelude of
 * each source (or the precompiled header). Compiles and links nothing.
 */
void
hot_fast_builder_prepare_async (HotFastBuilder     *self,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  BuildJob      *job;
  GHashTableIter iter;
  gpointer       source;

  g_return_if_fail (HOT_IS_FAST_BUILDER (self));

  job = g_new0 (BuildJob, 1);
  job->prepare_only = TRUE;
  job->sources = g_ptr_array_new_with_free_func (g_free);
  job->snapshot = hot_inputs_snapshot (self->inputs);
  g_hash_table_iter_init (&iter, self->info->commands);
  while (g_hash_table_iter_next (&iter, &source, NULL))
    if (g_str_has_suffix (source, ".c"))
      g_ptr_array_add (job->sources, g_strdup (source));

  start_job (self, job, cancellable, callback, user_data);
}

/**
 * hot_fast_builder_prepare_finish:
 * @self: a fast builder
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: whether everything was prepared
 */
gboolean
hot_fast_builder_prepare_finish (HotFastBuilder *self,
                                 GAsyncResult   *result,
                                 GError        **error)
{
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  g_task_propagate_pointer (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  return TRUE;
}

/**
 * hot_fast_builder_build_finish:
 * @self: a fast builder
 * @result: the result given to the callback
 * @error: return location for a #GError: %HOT_RELOAD_ERROR_BUILD with the
 *   reason, or %G_IO_ERROR_CANCELLED
 *
 * Returns: (transfer full): the library built, or %NULL
 */
char *
hot_fast_builder_build_finish (HotFastBuilder *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * hot_fast_builder_forget:
 * @self: a fast builder
 *
 * The build system has built the module from the sources as they are: the
 * next fast build links the build's objects again, and reads the link
 * command again (the build may have been configured again). tcc preludes
 * stay: they are dropped when a file other than a source changes.
 */
void
hot_fast_builder_forget (HotFastBuilder *self)
{
  g_return_if_fail (HOT_IS_FAST_BUILDER (self));

  g_hash_table_remove_all (self->objects);
  g_hash_table_remove_all (self->object_inputs);
  g_clear_pointer (&self->link_argv, g_strfreev);
  g_clear_pointer (&self->link_key, g_free);
  g_clear_pointer (&self->direct_link, g_strfreev);
}

/**
 * hot_fast_builder_making_link_stubs:
 * @self: a fast builder
 *
 * Returns: whether link stubs are being made (see hot-link-stubs.c)
 */
gboolean
hot_fast_builder_making_link_stubs (HotFastBuilder *self)
{
  g_return_val_if_fail (HOT_IS_FAST_BUILDER (self), FALSE);

  return self->stubs != NULL && hot_link_stubs_is_busy (self->stubs);
}

/**
 * hot_fast_builder_linked_with_stubs:
 * @self: a fast builder
 *
 * Returns: whether its last link was against link stubs
 */
gboolean
hot_fast_builder_linked_with_stubs (HotFastBuilder *self)
{
  g_return_val_if_fail (HOT_IS_FAST_BUILDER (self), FALSE);

  return self->last_stubbed;
}
