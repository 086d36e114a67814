/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <string.h>

#include "hot-diagnostic-private.h"
#include "hot-fast-builder-private.h"
#include "hot-elf-private.h"
#include "hot-inputs-private.h"
#include "hot-process-private.h"
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
 *   compiles are halved by preludes (see hot-tcc-prelude.c).
 * - the build's own compiler with a precompiled <gtk/gtk.h>, made once per
 *   module with the flags of the first source compiled.
 *
 * Each object compiled here is known by the fingerprint of what it was
 * compiled from (hot-inputs.c): a build compiles exactly the sources whose
 * content (or headers) neither an object of its own nor the build
 * system's object was compiled from, whichever files were saved and
 * whatever earlier builds were stopped. An object being rewritten is
 * forgotten first. Every failure is an error for the caller, which
 * falls back to the build system, so the user gets the same result either
 * way, only later. Links use gold when it is installed and the build chose
 * no linker.
 */

#define WORK_DIR_NAME "hotnode-fast"

static const char *const table_sections[] = { "hot_nodes", "hot_statics", NULL };

static const char tcc_compat[] =
    "/* Written by hotnode for its tcc fast path; see hot-fast-builder.c. */\n"
    "#include <sys/cdefs.h>\n"
    "#undef __attribute__\n"
    "#define __has_attribute(x) _hot_tcc_has_##x\n"
    "#define _hot_tcc_has_cleanup 1\n"
    "#define _hot_tcc_has___cleanup__ 1\n";

static const char pch_header[] =
    "/* Written by hotnode for its precompiled-header fast path. */\n"
    "#include <gtk/gtk.h>\n";

struct _HotFastBuilder
{
  GObject parent_instance;

  const HotModuleInfo *info;
  HotInputs           *inputs;
  HotFastPath          mode;
  char                *work_dir;
  char                *tcc;            /* tcc's path, in tcc mode */
  gboolean             gold;           /* ld.gold is installed */
  char                *tcc_runtime;    /* libtcc1.a, once known */
  char                *header;         /* tcc's compatibility header, or the PCH header */
  gboolean             header_ready;   /* written (and precompiled) */
  GStrv                link_argv;      /* the build's link command */
  GHashTable          *object_sources; /* the build's object → source */
  GHashTable          *objects;        /* source → object compiled here */
  GHashTable          *object_inputs;  /* source → fingerprint it was compiled from */
  GHashTable          *preludes;       /* tcc: prologue key → its prelude, "" if none */
};

G_DEFINE_FINAL_TYPE (HotFastBuilder, hot_fast_builder, G_TYPE_OBJECT)

static void
hot_fast_builder_finalize (GObject *object)
{
  HotFastBuilder *self = HOT_FAST_BUILDER (object);

  g_free (self->work_dir);
  g_free (self->tcc);
  g_free (self->tcc_runtime);
  g_free (self->header);
  g_strfreev (self->link_argv);
  g_clear_pointer (&self->object_sources, g_hash_table_unref);
  g_clear_pointer (&self->objects, g_hash_table_unref);
  g_clear_pointer (&self->object_inputs, g_hash_table_unref);
  g_clear_pointer (&self->preludes, g_hash_table_unref);

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
  self->preludes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
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
  g_autofree char   *gold = NULL;
  GHashTableIter     iter;
  const char        *source;
  HotCompileCommand *command;

  g_return_val_if_fail (mode != HOT_FAST_PATH_OFF, NULL);

  self->info = info;
  self->inputs = inputs;
  self->mode = mode;
  self->work_dir = g_build_filename (info->build_dir, WORK_DIR_NAME, info->name, NULL);
  gold = g_find_program_in_path ("ld.gold");
  self->gold = gold != NULL;
  if (mode == HOT_FAST_PATH_TCC)
    {
      self->tcc = g_find_program_in_path ("tcc");
      self->header = g_build_filename (self->work_dir, "hot-tcc-compat.h", NULL);
    }
  else
    self->header = g_build_filename (self->work_dir, "hot-pch.h", NULL);

  g_hash_table_iter_init (&iter, info->commands);
  while (g_hash_table_iter_next (&iter, (gpointer *) &source, (gpointer *) &command))
    g_hash_table_insert (self->object_sources, command->object, (gpointer) source);

  return self;
}

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

  return TRUE;
}

/* Where the compiler of @argv is: after a wrapper such as ccache. */
static guint
compiler_position (char **argv)
{
  g_autofree char *first = g_path_get_basename (argv[0]);

  if (argv[1] != NULL && (g_str_equal (first, "ccache") || g_str_equal (first, "sccache")))
    return 1;
  return 0;
}

/* The build's command for @command, writing @object instead, without
 * dependency files; with the precompiled header first when @with_pch. When
 * @pch_output is set, the command precompiles the header instead. */
static GStrv
gcc_argv (const HotCompileCommand *command,
          const char              *include,
          const char              *object,
          const char              *pch_output)
{
  const char *const dependency_options[] = { "-MF", "-MQ", "-MT", "-o", NULL };
  g_autoptr (GStrvBuilder) argv = g_strv_builder_new ();
  guint compiler = compiler_position (command->argv);

  for (guint i = 0; command->argv[i]; i++)
    {
      const char *arg = command->argv[i];

      if (g_strv_contains (dependency_options, arg))
        {
          if (command->argv[i + 1] != NULL)
            i++;
          continue;
        }
      if (g_str_equal (arg, "-MD") || g_str_equal (arg, "-MMD"))
        continue;
      if (pch_output != NULL && (g_str_equal (arg, "-c") || g_str_equal (arg, command->file)))
        continue;

      g_strv_builder_add (argv, arg);
      if (i == compiler && include != NULL)
        g_strv_builder_addv (argv, (const char *[]){ "-include", include, "-Winvalid-pch", NULL });
    }

  if (pch_output != NULL)
    {
      g_autofree char *depfile = g_strconcat (pch_output, ".d", NULL);

      g_strv_builder_addv (argv, (const char *[]){ "-MD", "-MF", depfile, "-x", "c-header", include, "-o",
                                                   pch_output, NULL });
    }
  else
    g_strv_builder_addv (argv, (const char *[]){ "-o", object, NULL });

  return g_strv_builder_end (argv);
}

/* tcc takes the build's include paths (made absolute: a compile may run
 * in another folder) and macros, and nothing of its warning, optimisation
 * or code generation options. */
static GStrv
tcc_argv (HotFastBuilder          *self,
          const HotCompileCommand *command,
          const char              *include,
          const char              *source_dir,
          const char *const       *tail)
{
  const char *const path_options[] = { "-I", "-D", "-U", "-include", "-isystem", "-iquote", "-idirafter", NULL };
  g_autoptr (GStrvBuilder) argv = g_strv_builder_new ();

  g_strv_builder_addv (argv, (const char *[]){ self->tcc, "-include", include, NULL });
  if (source_dir != NULL)
    g_strv_builder_addv (argv, (const char *[]){ "-I", source_dir, NULL });

  for (guint i = compiler_position (command->argv) + 1; command->argv[i]; i++)
    {
      const char *arg = command->argv[i];

      if (g_strv_contains (path_options, arg) && command->argv[i + 1] != NULL)
        {
          g_autofree char *value = g_str_equal (arg, "-D") || g_str_equal (arg, "-U")
                                       ? g_strdup (command->argv[i + 1])
                                       : g_canonicalize_filename (command->argv[i + 1], command->directory);

          g_strv_builder_addv (argv, (const char *[]){ arg, value, NULL });
          i++;
          continue;
        }
      if (g_str_has_prefix (arg, "-I") && arg[2] != '\0')
        {
          g_autofree char *dir = g_canonicalize_filename (arg + 2, command->directory);

          g_strv_builder_add_many (argv, "-I", dir, NULL);
        }
      else if (g_str_has_prefix (arg, "-D") || g_str_has_prefix (arg, "-U"))
        g_strv_builder_add (argv, arg);
      if (g_str_equal (arg, "-pthread"))
        g_strv_builder_add (argv, arg);
    }

  g_strv_builder_addv (argv, (const char **) tail);

  return g_strv_builder_end (argv);
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
 * hot_compile_command_argv:
 * @command: how the build compiles a source
 * @object: the object to write
 *
 * Returns: (transfer full): the build's own command for the source, writing
 *   @object instead of the build's object, without dependency files
 */
GStrv
hot_compile_command_argv (const HotCompileCommand *command,
                          const char              *object)
{
  return gcc_argv (command, NULL, object, NULL);
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
    return tcc_argv (self, command, self->header, NULL,
                     (const char *[]){ "-fPIC", "-c", command->file, "-o", object, NULL });
  return gcc_argv (command, self->header, object, NULL);
}

static gboolean
uses_chosen_linker (char **argv)
{
  for (guint i = 0; argv[i]; i++)
    if (g_str_has_prefix (argv[i], "-fuse-ld="))
      return TRUE;

  return FALSE;
}

/* The build's link command, writing @output, with the objects compiled
 * here in place of the build's. */
static GStrv
link_argv (HotFastBuilder *self,
           const char     *output)
{
  g_autoptr (GStrvBuilder) argv = g_strv_builder_new ();

  for (guint i = 0; self->link_argv[i]; i++)
    {
      g_autofree char *path = g_canonicalize_filename (self->link_argv[i], self->info->build_dir);
      const char      *source = g_hash_table_lookup (self->object_sources, path);
      const char      *object = source ? g_hash_table_lookup (self->objects, source) : NULL;

      if (i > 0 && g_str_equal (self->link_argv[i - 1], "-o"))
        g_strv_builder_add (argv, output);
      else
        g_strv_builder_add (argv, object ? object : self->link_argv[i]);
    }

  if (self->mode == HOT_FAST_PATH_TCC)
    g_strv_builder_addv (argv, (const char *[]){ self->tcc_runtime, "-Wl,-z,noexecstack", NULL });

  /* gold reads the libraries' symbol tables in about two thirds of the
   * time of the default linker; a linker the build chose stays. */
  if (self->gold && !uses_chosen_linker (self->link_argv))
    g_strv_builder_add (argv, "-fuse-ld=gold");

  return g_strv_builder_end (argv);
}

typedef struct
{
  GPtrArray *sources;     /* still to compile */
  char      *object;      /* of the running compile */
  char      *prelude_key; /* tcc: of the source to compile, once known */
  char      *prologue;
  char      *copy_dir; /* where the compile runs, if not the build folder */
  char      *output;
  gboolean   prepare_only; /* hot_fast_builder_prepare_async () */
  GHashTable *snapshot;    /* what the build builds: the inputs' digests */
  GHashTable *wanted;      /* source → fingerprint, from @snapshot */
} BuildJob;

static void
build_job_free (gpointer data)
{
  BuildJob *job = data;

  g_ptr_array_unref (job->sources);
  g_free (job->object);
  g_free (job->prelude_key);
  g_free (job->prologue);
  g_free (job->copy_dir);
  g_free (job->output);
  g_clear_pointer (&job->snapshot, g_hash_table_unref);
  g_clear_pointer (&job->wanted, g_hash_table_unref);
  g_free (job);
}

typedef gboolean (*StepDone) (HotFastBuilder *self,
                              BuildJob       *job,
                              const char     *output,
                              GError        **error);

typedef struct
{
  GTask   *task;
  StepDone done;
  StepDone failed; /* NULL: a failure fails the build */
  char    *what;   /* for messages: "tcc", "ninja", … */
} Step;

static void
step_free (Step *step)
{
  g_object_unref (step->task);
  g_free (step->what);
  g_free (step);
}

static void build_next (GTask *task);

static void
step_finished (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Step *step = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) output = NULL;
  g_autoptr (GSubprocess) subprocess = hot_process_run_finish (result, &output, &error);
  g_autofree char *text = NULL;

  if (subprocess == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_prefix_error (&error, _ ("could not run %s: "), step->what);
      g_task_return_error (step->task, g_steal_pointer (&error));
      step_free (step);
      return;
    }

  /* Valid UTF-8, without colours. */
  text = hot_diagnostic_clean_output (g_bytes_get_size (output) > 0 ? g_bytes_get_data (output, NULL) : "",
                                      g_bytes_get_size (output));
  if (!g_subprocess_get_successful (subprocess) && step->failed != NULL)
    {
      step->failed (g_task_get_source_object (step->task), g_task_get_task_data (step->task), text, NULL);
      build_next (g_object_ref (step->task));
    }
  else if (!g_subprocess_get_successful (subprocess))
    {
      g_auto (GStrv) lines = g_strsplit (g_strstrip (text), "\n", 4);

      g_task_return_new_error (step->task, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                               _ ("%s failed: %s"), step->what,
                               lines[0] && *lines[0] ? lines[0] : _ ("no output"));
    }
  else if (!step->done (g_task_get_source_object (step->task), g_task_get_task_data (step->task), text, &error))
    g_task_return_error (step->task, g_steal_pointer (&error));
  else
    build_next (g_object_ref (step->task));

  step_free (step);
}

/* Runs @argv in @cwd (NULL: the build folder) in a process group of its
 * own; @done reads its output when it succeeds; when it fails, @failed does
 * and the build goes on, or the build fails if @failed is NULL. Takes
 * @task. */
static void
run_step (GTask             *task,
          const char *const *argv,
          const char        *cwd,
          const char        *what,
          StepDone           done,
          StepDone           failed)
{
  HotFastBuilder *self = g_task_get_source_object (task);
  Step           *step = g_new0 (Step, 1);

  step->task = task;
  step->done = done;
  step->failed = failed;
  step->what = g_strdup (what);
  hot_process_run_async (argv, cwd ? cwd : self->info->build_dir, g_task_get_cancellable (task), step_finished,
                         step);
}

static gboolean
runtime_found (HotFastBuilder *self,
               BuildJob       *job,
               const char     *output,
               GError        **error)
{
  g_auto (GStrv) lines = g_strsplit (output, "\n", -1);

  /* "libtcc1:\n  <path>", or only "install: <dir>" in older versions. */
  for (guint i = 0; lines[i] && self->tcc_runtime == NULL; i++)
    {
      if (g_str_equal (g_strstrip (lines[i]), "libtcc1:") && lines[i + 1] != NULL)
        self->tcc_runtime = g_strdup (g_strstrip (lines[i + 1]));
      else if (g_str_has_prefix (lines[i], "install:"))
        self->tcc_runtime = g_build_filename (g_strstrip (lines[i] + strlen ("install:")), "libtcc1.a", NULL);
    }

  if (self->tcc_runtime == NULL || !g_file_test (self->tcc_runtime, G_FILE_TEST_IS_REGULAR))
    {
      g_clear_pointer (&self->tcc_runtime, g_free);
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                   _ ("tcc's runtime library libtcc1.a was not found"));
      return FALSE;
    }

  return TRUE;
}

static gboolean
link_command_found (HotFastBuilder *self,
                    BuildJob       *job,
                    const char     *output,
                    GError        **error)
{
  g_auto (GStrv) lines = g_strsplit (output, "\n", -1);
  g_auto (GStrv) argv = NULL;
  guint       n_lines = g_strv_length (lines);
  const char *line = NULL;

  /* The last command is the link; meson writes it without a shell. */
  for (guint i = n_lines; i > 0 && line == NULL; i--)
    if (*g_strstrip (lines[i - 1]) != '\0')
      line = lines[i - 1];

  if (line == NULL || strstr (line, "&&") != NULL || !g_shell_parse_argv (line, NULL, &argv, NULL) ||
      !g_strv_contains ((const char *const *) argv, "-o"))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                   _ ("ninja gives no link command for %s"), self->info->target);
      return FALSE;
    }

  self->link_argv = g_steal_pointer (&argv);
  return TRUE;
}

static gboolean
header_ready (HotFastBuilder *self,
              BuildJob       *job,
              const char     *output,
              GError        **error)
{
  self->header_ready = TRUE;
  return TRUE;
}

static gboolean
source_compiled (HotFastBuilder *self,
                 BuildJob       *job,
                 const char     *output,
                 GError        **error)
{
  const char      *source = g_ptr_array_index (job->sources, 0);
  g_autofree char *depfile = g_strconcat (job->object, ".d", NULL);

  if (self->mode == HOT_FAST_PATH_TCC &&
      !hot_elf_make_sections_writable (job->object, table_sections, error))
    return FALSE;

  /* Headers met for the first time count with what they hold now: what
   * the compiler just read. */
  if (hot_inputs_read_depfile (self->inputs, source, depfile, job->copy_dir ? job->copy_dir : self->info->build_dir))
    hot_inputs_complete (self->inputs, job->snapshot);
  g_hash_table_replace (self->objects, g_strdup (source), g_steal_pointer (&job->object));
  g_hash_table_replace (self->object_inputs, g_strdup (source),
                        hot_inputs_fingerprint (self->inputs, job->snapshot, source));
  g_ptr_array_remove_index (job->sources, 0);
  g_clear_pointer (&job->prelude_key, g_free);
  g_clear_pointer (&job->copy_dir, g_free);
  return TRUE;
}

static gboolean
linked (HotFastBuilder *self,
        BuildJob       *job,
        const char     *output,
        GError        **error)
{
  return TRUE;
}

/* Whether the precompiled header of an earlier run can be used: the same
 * header, and nothing it includes changed since (its dependency file). */
static gboolean
pch_is_current (HotFastBuilder *self,
                const char     *pch_output)
{
  g_autofree char *depfile = g_strconcat (pch_output, ".d", NULL);
  g_autofree char *header = NULL;
  g_autofree char *deps = NULL;
  g_autoptr (GString) dep = g_string_new (NULL);
  const char *p;
  GStatBuf    pch_stat;

  if (!g_file_get_contents (self->header, &header, NULL, NULL) || !g_str_equal (header, pch_header) ||
      !g_file_get_contents (depfile, &deps, NULL, NULL) || g_stat (pch_output, &pch_stat) != 0 ||
      (p = strstr (deps, ": ")) == NULL)
    return FALSE;

  /* "target: dep dep\<newline> dep", a space in a path escaped as "\ ". */
  for (p += 2;; p++)
    {
      if (p[0] == '\\' && (p[1] == ' ' || p[1] == '\n'))
        {
          if (p[1] == ' ')
            g_string_append_c (dep, ' ');
          p++;
        }
      else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\0')
        {
          GStatBuf dep_stat;

          if (dep->len > 0 && (g_stat (dep->str, &dep_stat) != 0 || dep_stat.st_mtime > pch_stat.st_mtime))
            return FALSE;
          g_string_truncate (dep, 0);
          if (*p == '\0')
            return TRUE;
        }
      else
        g_string_append_c (dep, *p);
    }
}

/* Writes tcc's compatibility header or the header to precompile; in PCH
 * mode, returns the command that precompiles it with the flags of
 * @command (NULL when an earlier run's is still good). */
static GStrv
prepare_header (HotFastBuilder          *self,
                const HotCompileCommand *command,
                GError                 **error)
{
  g_autofree char *pch_output = g_strconcat (self->header, ".gch", NULL);
  const char      *contents = self->mode == HOT_FAST_PATH_TCC ? tcc_compat : pch_header;

  if (self->mode == HOT_FAST_PATH_GCC_PCH && pch_is_current (self, pch_output))
    {
      self->header_ready = TRUE;
      return NULL;
    }

  if (!g_file_set_contents (self->header, contents, -1, error))
    return NULL;
  if (self->mode == HOT_FAST_PATH_TCC)
    {
      self->header_ready = TRUE;
      return NULL;
    }

  return gcc_argv (command, self->header, NULL, pch_output);
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
  g_autofree char *prelude = NULL;

  if (!hot_tcc_prelude_make_finish (result, &prelude, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  if (prelude != NULL)
    g_hash_table_insert (self->preludes, g_strdup (job->prelude_key), g_steal_pointer (&prelude));
  build_next (task);
}

/* The first time a prologue is seen with given flags, its prelude is made
 * (see hot-tcc-prelude.c). Returns whether that was started. */
static gboolean
start_prelude (GTask                   *task,
               const HotCompileCommand *command,
               const char              *source)
{
  HotFastBuilder  *self = g_task_get_source_object (task);
  BuildJob        *job = g_task_get_task_data (task);
  g_autofree char *headers = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *source_dir = g_path_get_dirname (source);
  g_auto (GStrv) flags = tcc_argv (self, command, self->header, source_dir, (const char *[]){ NULL });

  g_clear_pointer (&job->prologue, g_free);
  if (!g_file_get_contents (source, &contents, NULL, NULL))
    return FALSE;
  job->prologue = hot_tcc_source_prologue (contents);
  /* The headers' content too: a prelude holds what they said. */
  headers = hot_inputs_headers_fingerprint (self->inputs, job->snapshot, source);
  job->prelude_key = hot_tcc_prelude_key (job->prologue, (const char *const *) flags, headers);

  if (g_hash_table_contains (self->preludes, job->prelude_key))
    return FALSE;
  if (*job->prologue == '\0')
    {
      g_hash_table_insert (self->preludes, g_strdup (job->prelude_key), g_strdup (""));
      return FALSE;
    }

  hot_tcc_prelude_make_async ((const char *const *) flags, job->prologue, self->work_dir, job->prelude_key,
                              self->info->build_dir, g_task_get_cancellable (task), prelude_done, task);
  return TRUE;
}

/* The command compiling @source with tcc: with its prelude if it has one. */
static GStrv
tcc_compile_argv (HotFastBuilder          *self,
                  BuildJob                *job,
                  const HotCompileCommand *command,
                  const char              *source,
                  GError                 **error)
{
  const char      *prelude = job->prelude_key ? g_hash_table_lookup (self->preludes, job->prelude_key) : NULL;
  g_autofree char *source_dir = g_path_get_dirname (source);
  g_autofree char *object_name = NULL;
  g_autofree char *copy_name = NULL;
  g_autofree char *copy_path = NULL;
  gboolean         written = FALSE;

  if (prelude == NULL || *prelude == '\0')
    return hot_fast_builder_compile_argv (self, source, job->object);

  object_name = g_path_get_basename (job->object);
  copy_name = g_strconcat (object_name, ".c", NULL);
  copy_path = g_build_filename (self->work_dir, copy_name, NULL);
  if (!hot_tcc_prelude_write_copy (source, job->prologue, command->file, copy_path, &written, error))
    return NULL;
  if (!written)
    return hot_fast_builder_compile_argv (self, source, job->object);

  /* tcc prefixes a #line file name with the folder of the file it reads:
   * the copy is given without one, from its own folder. Its "includes" are
   * found through the source's folder, given first. */
  job->copy_dir = g_strdup (self->work_dir);
  return tcc_argv (self, command, prelude, source_dir,
                   (const char *[]){ "-fPIC", "-c", copy_name, "-o", job->object, NULL });
}

static void
build_next (GTask *task)
{
  HotFastBuilder *self = g_task_get_source_object (task);
  BuildJob       *job = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

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
      const char              *source = g_ptr_array_index (job->sources, 0);
      const HotCompileCommand *command = g_hash_table_lookup (self->info->commands, source);
      g_auto (GStrv) argv = NULL;

      if (!self->header_ready)
        {
          argv = prepare_header (self, command, &error);
          if (argv != NULL)
            run_step (task, (const char *const *) argv, NULL, _ ("precompiling <gtk/gtk.h>"), header_ready, NULL);
          else if (error != NULL)
            {
              g_task_return_error (task, g_steal_pointer (&error));
              g_object_unref (task);
            }
          else
            build_next (task);
          return;
        }

      if (self->mode == HOT_FAST_PATH_TCC && job->prelude_key == NULL && start_prelude (task, command, source))
        return;

      if (job->prepare_only)
        {
          g_ptr_array_remove_index (job->sources, 0);
          g_clear_pointer (&job->prelude_key, g_free);
          build_next (task);
          return;
        }

      g_free (job->object);
      job->object = object_path (self, command);
      if (self->mode == HOT_FAST_PATH_TCC)
        argv = tcc_compile_argv (self, job, command, source, &error);
      else
        argv = hot_fast_builder_compile_argv (self, source, job->object);
      if (argv == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
          return;
        }
      {
        g_autoptr (GStrvBuilder) with_depfile = g_strv_builder_new ();
        g_autofree char *depfile = g_strconcat (job->object, ".d", NULL);

        g_strv_builder_addv (with_depfile, (const char **) argv);
        g_strv_builder_addv (with_depfile, (const char *[]){ "-MD", "-MF", depfile, NULL });
        g_strfreev (argv);
        argv = g_strv_builder_end (with_depfile);
      }
      /* The object is rewritten: until it is done, it is no one's. */
      g_hash_table_remove (self->objects, source);
      g_hash_table_remove (self->object_inputs, source);
      /* A copy for the prelude is compiled in its folder (see tcc_compile_argv ()). */
      run_step (task, (const char *const *) argv, job->copy_dir,
                self->mode == HOT_FAST_PATH_TCC ? "tcc" : command->argv[compiler_position (command->argv)],
                source_compiled, NULL);
    }
  else if (job->prepare_only)
    {
      g_task_return_pointer (task, NULL, NULL);
      g_object_unref (task);
    }
  else if (job->output == NULL)
    {
      g_autofree char *basename = g_path_get_basename (self->info->output);
      g_auto (GStrv) argv = NULL;

      job->output = g_build_filename (self->work_dir, basename, NULL);
      argv = link_argv (self, job->output);
      run_step (task, (const char *const *) argv, NULL, _ ("linking"), linked, NULL);
    }
  else
    {
      g_task_return_pointer (task, g_strdup (job->output), g_free);
      g_object_unref (task);
    }
}

static void
start_job (HotFastBuilder     *self,
           BuildJob           *job,
           GCancellable       *cancellable,
           GAsyncReadyCallback callback,
           gpointer            user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, start_job);
  g_task_set_task_data (task, job, build_job_free);

  if (g_mkdir_with_parents (self->work_dir, 0700) != 0)
    {
      g_task_return_new_error (task, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                               _ ("could not create %s: %s"), self->work_dir, g_strerror (errno));
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
}
