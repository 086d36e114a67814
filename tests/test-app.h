/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The demo as a user's own meson project, and the demo app driven through
 * --remote: shared by the end-to-end test and the save-to-paint benchmark. */
#pragma once

#include "test-utils.h"

/* How the copied app gets hotnode: through pkg-config (the uninstalled
 * files of this build), or either way docs/getting-started.md tells a user: a wrap file
 * with a copy of the source in subprojects/, or a hotnode installed with
 * meson install into a prefix of its own. */
typedef enum
{
  HOTNODE_FROM_PKG_CONFIG,
  HOTNODE_FROM_WRAP,
  HOTNODE_INSTALLED,
} HotnodeSource;

typedef struct
{
  HotnodeSource source;
  char         *tmp_dir;
  char         *project_dir;
  char         *build_dir;
  char         *prefix;          /* HOTNODE_INSTALLED: where it went */
  char         *pkg_config_path; /* PKG_CONFIG_PATH while the app is built */
  char         *ld_library_path; /* LD_LIBRARY_PATH while it runs, or NULL */
} TestProject;

typedef struct
{
  GSubprocess      *process;
  GOutputStream    *to_app;
  GDataInputStream *from_app;
} TestApp;

/* Runs @argv with @pkg_config_path as PKG_CONFIG_PATH; a failure fails
 * the test, with the output in the log. */
static inline gboolean
test_run_checked_with (const char *const *argv,
                       const char        *pkg_config_path)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                        G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *output = NULL;

  g_subprocess_launcher_setenv (launcher, "PKG_CONFIG_PATH", pkg_config_path, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &output, NULL, &error);
  g_assert_no_error (error);

  if (!g_subprocess_get_successful (process))
    {
      g_test_message ("%s failed:\n%s", argv[0], output);
      g_test_fail ();
      return FALSE;
    }

  return TRUE;
}

/* Runs @argv with the uninstalled hotnode of this build on
 * PKG_CONFIG_PATH. */
static inline gboolean
test_run_checked (const char *const *argv)
{
  g_autofree char *pkg_config_path = g_build_filename (g_getenv ("HOTNODE_BUILD_ROOT"), "meson-uninstalled", NULL);

  return test_run_checked_with (argv, pkg_config_path);
}

static inline void
test_copy_file (const char *from,
                const char *to)
{
  g_autoptr (GFile) source = g_file_new_for_path (from);
  g_autoptr (GFile) destination = g_file_new_for_path (to);
  g_autoptr (GFile) parent = g_file_get_parent (destination);
  g_autoptr (GError) error = NULL;

  g_file_make_directory_with_parents (parent, NULL, NULL);
  g_file_copy (source, destination, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
}

/* Copies the folder @from into @to, recursively (new files, new times),
 * leaving out the entries of @from itself that @skip names (NULL: none). */
static inline void
test_copy_tree_except (const char *from,
                       const char *to,
                       gboolean (*skip) (const char *name))
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = g_dir_open (from, 0, &error);
  const char *name;

  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (to, 0755), ==, 0);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *source = g_build_filename (from, name, NULL);
      g_autofree char *destination = g_build_filename (to, name, NULL);

      if (skip != NULL && skip (name))
        continue;
      if (g_file_test (source, G_FILE_TEST_IS_DIR))
        test_copy_tree_except (source, destination, NULL);
      else
        test_copy_file (source, destination);
    }
}

/* Copies the folder @from into @to, recursively (new files, new times). */
static inline void
test_copy_tree (const char *from,
                const char *to)
{
  test_copy_tree_except (from, to, NULL);
}

static inline gboolean
test_is_build_or_vcs (const char *name)
{
  return g_str_has_prefix (name, "build") || g_str_has_prefix (name, "_build") || g_str_equal (name, ".git");
}

/* hotnode's source tree as a user would copy it: without build folders or
 * version control. */
static inline void
test_copy_source_tree (const char *to)
{
  test_copy_tree_except (g_getenv ("HOTNODE_SOURCE_ROOT"), to, test_is_build_or_vcs);
}

/* Copies the demo into a new project in a new temporary folder named
 * after @tmp_template. */
static inline void
test_project_init (TestProject  *project,
                   const char   *tmp_template,
                   HotnodeSource source)
{
  const char      *demo_files[] = { "meson.build", "main.c", "demo-shot.c", "demo-shot.h", "counter/counter.c", "counter/counter-badge.c",
                                    "counter/counter-badge.h", "counter/counter-badge.ui",
                                    "counter/counter.css", "counter/counter.gresource.xml", "form/form.c" };
  g_autofree char *top_meson = NULL;
  g_autoptr (GError) error = NULL;

  project->source = source;
  project->tmp_dir = g_dir_make_tmp (tmp_template, &error);
  g_assert_no_error (error);
  project->project_dir = g_build_filename (project->tmp_dir, "app", NULL);
  project->build_dir = g_build_filename (project->project_dir, "build", NULL);
  project->pkg_config_path = g_build_filename (g_getenv ("HOTNODE_BUILD_ROOT"), "meson-uninstalled", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (demo_files); i++)
    {
      g_autofree char *from = g_build_filename (g_getenv ("HOTNODE_SOURCE_ROOT"), "demo", demo_files[i], NULL);
      g_autofree char *to = g_build_filename (project->project_dir, "demo", demo_files[i], NULL);

      test_copy_file (from, to);
    }

  /* The two ways of docs/getting-started.md. A wrap: hotnode's source in subprojects/hotnode
   * and the shipped example as subprojects/hotnode.wrap, with nothing on
   * PKG_CONFIG_PATH, so that dependency () falls back to it. Installed:
   * meson install into a prefix (done by test_project_build ()), found
   * through PKG_CONFIG_PATH, run with LD_LIBRARY_PATH. */
  if (source == HOTNODE_FROM_WRAP)
    {
      g_autofree char *subprojects = g_build_filename (project->project_dir, "subprojects", NULL);
      g_autofree char *copy = g_build_filename (subprojects, "hotnode", NULL);
      g_autofree char *example = g_build_filename (g_getenv ("HOTNODE_SOURCE_ROOT"), "subprojects", "hotnode.wrap.example", NULL);
      g_autofree char *wrap = g_build_filename (subprojects, "hotnode.wrap", NULL);

      test_copy_source_tree (copy);
      test_copy_file (example, wrap);
      g_free (project->pkg_config_path);
      project->pkg_config_path = g_strdup ("");
    }
  else if (source == HOTNODE_INSTALLED)
    {
      /* Outside the project's folder, whose name has a non-ASCII letter:
       * meson 1.0 fails to decode what pkg-config prints for such a
       * prefix (UnicodeDecodeError), whatever hotnode does. */
      project->prefix = g_dir_make_tmp ("hotnode-e2e-prefix-XXXXXX", &error);
      g_assert_no_error (error);
      g_free (project->pkg_config_path);
      project->pkg_config_path = g_build_filename (project->prefix, "lib", "pkgconfig", NULL);
      project->ld_library_path = g_build_filename (project->prefix, "lib", NULL);
    }

  top_meson = g_build_filename (project->project_dir, "meson.build", NULL);
  g_file_set_contents (top_meson,
                       "project('hotnode-e2e', 'c', default_options: ['c_std=gnu11'])\n"
                       "subdir('demo')\n",
                       -1, &error);
  g_assert_no_error (error);
}

/* Configures and builds the project as the suite is built (sanitizers or
 * not). */
static inline gboolean
test_project_build (TestProject *project)
{
  g_autofree char *sanitize_option = g_strdup_printf ("-Db_sanitize=%s", g_getenv ("HOTNODE_SANITIZE") ?: "none");

  if (project->source == HOTNODE_INSTALLED)
    {
      g_autofree char *hotnode_build = g_build_filename (project->tmp_dir, "hotnode-build", NULL);
      g_autofree char *prefix_option = g_strdup_printf ("--prefix=%s", project->prefix);

      if (!test_run_checked_with ((const char *const[]){ "meson", "setup", hotnode_build,
                                                         g_getenv ("HOTNODE_SOURCE_ROOT"), prefix_option,
                                                         "--libdir=lib", "-Ddemo=false", "-Dtests=false",
                                                         sanitize_option, "-Db_lundef=false", NULL },
                                  "") ||
          !test_run_checked_with ((const char *const[]){ "meson", "install", "-C", hotnode_build, NULL }, ""))
        return FALSE;
    }

  return test_run_checked_with ((const char *const[]){ "meson", "setup", project->build_dir, project->project_dir,
                                                       sanitize_option, "-Db_lundef=false", NULL },
                                project->pkg_config_path) &&
         test_run_checked_with ((const char *const[]){ "ninja", "-C", project->build_dir, NULL },
                                project->pkg_config_path);
}

static inline void
test_project_clear (TestProject *project)
{
  if (project->tmp_dir != NULL)
    test_remove_tree (project->tmp_dir);
  if (project->prefix != NULL)
    test_remove_tree (project->prefix);
  g_clear_pointer (&project->tmp_dir, g_free);
  g_clear_pointer (&project->project_dir, g_free);
  g_clear_pointer (&project->build_dir, g_free);
  g_clear_pointer (&project->prefix, g_free);
  g_clear_pointer (&project->pkg_config_path, g_free);
  g_clear_pointer (&project->ld_library_path, g_free);
}

/* Replaces @from by @to in the project's file @name, once; saved as most
 * editors save (a new file renamed over the old). */
static inline void
test_project_edit (TestProject *project,
                   const char  *name,
                   const char  *from,
                   const char  *to)
{
  g_autofree char *path = g_build_filename (project->project_dir, name, NULL);
  g_autofree char *contents = NULL;
  g_autoptr (GString) edited = NULL;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  edited = g_string_new (contents);
  g_assert_cmpuint (g_string_replace (edited, from, to, 1), ==, 1);
  g_file_set_contents (path, edited->str, -1, &error);
  g_assert_no_error (error);
}

/* Starts the project's demo with --remote; @launcher has the environment. */
static inline void
test_app_start (TestApp             *app,
                GSubprocessLauncher *launcher,
                TestProject         *project)
{
  g_autofree char *app_path = g_build_filename (project->build_dir, "demo", "hotnode-demo", NULL);
  g_autoptr (GError) error = NULL;

  g_subprocess_launcher_set_flags (launcher, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  /* The tests run with fatal warnings; the app logs each failed build as a
   * warning, by design, and must live on. */
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "gc-friendly", TRUE);
  if (project->ld_library_path != NULL)
    g_subprocess_launcher_setenv (launcher, "LD_LIBRARY_PATH", project->ld_library_path, TRUE);
  app->process = g_subprocess_launcher_spawn (launcher, &error, app_path, "--remote", NULL);
  g_assert_no_error (error);
  app->to_app = g_object_ref (g_subprocess_get_stdin_pipe (app->process));
  app->from_app = g_data_input_stream_new (g_subprocess_get_stdout_pipe (app->process));
}

static inline void
test_app_stop (TestApp *app)
{
  if (app->process != NULL)
    {
      g_subprocess_force_exit (app->process);
      g_subprocess_wait (app->process, NULL, NULL);
    }
  g_clear_object (&app->to_app);
  g_clear_object (&app->from_app);
  g_clear_object (&app->process);
}

static inline void
test_app_send (TestApp    *app,
               const char *format,
               ...) G_GNUC_PRINTF (2, 3);

static inline void
test_app_send (TestApp    *app,
               const char *format,
               ...)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *command = NULL;
  va_list          args;

  va_start (args, format);
  command = g_strdup_vprintf (format, args);
  va_end (args);

  g_output_stream_printf (app->to_app, NULL, NULL, &error, "%s\n", command);
  g_assert_no_error (error);
  g_output_stream_flush (app->to_app, NULL, &error);
  g_assert_no_error (error);
}

/* Reads the app's lines until one starts with @prefix; a failed reload
 * (unless that is what is expected) or the end of the app fails the test. */
static inline char *
test_app_expect_line (TestApp    *app,
                      const char *prefix)
{
  while (TRUE)
    {
      g_autoptr (GError) error = NULL;
      char *line = g_data_input_stream_read_line_utf8 (app->from_app, NULL, NULL, &error);

      g_assert_no_error (error);
      if (line == NULL)
        g_error ("The app ended while the test waited for “%s”", prefix);
      if (g_str_has_prefix (line, "failed ") && !g_str_has_prefix (prefix, "failed "))
        g_error ("The app reports a failed reload: %s", line);
      if (g_str_has_prefix (line, prefix))
        return line;
      g_free (line);
    }
}

/* Asks the app what @widget_name shows until it is @expected; @what says
 * which step of the test waited. Fails after a minute, with the last text
 * seen, rather than hang the suite until meson's timeout. */
static inline void
test_app_wait_for_text (TestApp    *app,
                        const char *widget_name,
                        const char *expected,
                        const char *what)
{
  g_autofree char *prefix = g_strdup_printf ("text %s ", widget_name);
  g_autofree char *last = NULL;
  gint64           deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *line = NULL;

      test_app_send (app, "text %s", widget_name);
      line = test_app_expect_line (app, prefix);
      if (g_str_equal (line + strlen (prefix), expected))
        return;
      g_free (last);
      last = g_strdup (line + strlen (prefix));
      g_usleep (50 * 1000);
    }
  g_error ("%s: after 60 s, %s shows “%s”, not “%s”", what, widget_name, last, expected);
}

/* Copies the meson project in @folder (a complete one, with its own
 * project ()) into a new temporary folder named after @tmp_template; it
 * finds hotnode through pkg-config. */
static inline void
test_project_init_from_folder (TestProject *project,
                               const char  *tmp_template,
                               const char  *folder)
{
  g_autoptr (GError) error = NULL;

  project->source = HOTNODE_FROM_PKG_CONFIG;
  project->tmp_dir = g_dir_make_tmp (tmp_template, &error);
  g_assert_no_error (error);
  project->project_dir = g_build_filename (project->tmp_dir, "app", NULL);
  project->build_dir = g_build_filename (project->project_dir, "build", NULL);
  project->pkg_config_path = g_build_filename (g_getenv ("HOTNODE_BUILD_ROOT"), "meson-uninstalled", NULL);
  test_copy_tree (folder, project->project_dir);
}

typedef struct
{
  char    *line;
  GError  *error;
  gboolean done;
} TestLineRead;

static inline void
test_line_read (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  TestLineRead *read = user_data;

  read->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, &read->error);
  read->done = TRUE;
}

static inline void
test_cancel_read (gpointer cancellable)
{
  g_cancellable_cancel (cancellable);
}

/* Reads the app's next line, giving up at @deadline (monotonic time):
 * NULL with @error set when the app ended (G_IO_ERROR_CLOSED) or said
 * nothing in time (G_IO_ERROR_TIMED_OUT). */
static inline char *
test_app_read_line_before (TestApp *app,
                           gint64   deadline,
                           GError **error)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  TestLineRead read = { 0 };
  gint64       left_ms = MAX (deadline - g_get_monotonic_time (), 0) / 1000;
  guint        timeout = g_timeout_add_once ((guint) MIN (left_ms, G_MAXUINT), test_cancel_read, cancellable);

  g_data_input_stream_read_line_async (app->from_app, G_PRIORITY_DEFAULT, cancellable, test_line_read, &read);
  while (!read.done)
    g_main_context_iteration (NULL, TRUE);
  if (!g_cancellable_is_cancelled (cancellable))
    g_source_remove (timeout);

  if (read.error != NULL && g_error_matches (read.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_clear_error (&read.error);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "The app said nothing before the deadline");
      return NULL;
    }
  if (read.error != NULL)
    {
      g_propagate_error (error, read.error);
      return NULL;
    }
  if (read.line == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED, "The app ended");

  return read.line;
}
