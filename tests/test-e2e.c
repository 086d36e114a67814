/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* End to end, as a user works: copy the demo into a new meson project that
 * finds hotnode through pkg-config, build it with meson and ninja, run it
 * with HOT_RELOAD=1, use it, edit a source file of its counter module on
 * disk, and check the running window: the new code is live, the HOT_STATIC
 * count and the other module's state are kept. PNGs of the window before and
 * after go to the test log folder. */
#include "config.h"

#include <hotnode.h>
#include <unistd.h>
#include <utime.h>

#include "test-utils.h"

#define TITLE_BEFORE "Count the clicks"
#define TITLE_AFTER "Rebuilt by the end-to-end test"

typedef struct
{
  char             *tmp_dir;
  char             *project_dir;
  char             *build_dir;
  GSubprocess      *app;
  GOutputStream    *to_app;
  GDataInputStream *from_app;
} Fixture;

static void
run_checked (const char *const *argv)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                        G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autofree char *pkg_config_path = g_build_filename (g_getenv ("HOTNODE_BUILD_ROOT"), "meson-uninstalled", NULL);
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
    }
}

static void
copy_file (const char *from,
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

/* How the copied app gets hotnode: through pkg-config (the uninstalled
 * files of this build), or as a meson subproject. */
typedef enum
{
  HOTNODE_FROM_PKG_CONFIG,
  HOTNODE_FROM_SUBPROJECT,
} HotnodeSource;

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  HotnodeSource    source = GPOINTER_TO_INT (data);
  const char      *demo_files[] = { "meson.build", "main.c", "counter/counter.c", "form/form.c" };
  g_autofree char *top_meson = NULL;
  g_autoptr (GError) error = NULL;

  /* A space and non-ASCII letters in every path: nothing may go through a
   * shell or assume ASCII. */
  fixture->tmp_dir = g_dir_make_tmp ("hotnode e2e ü-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->project_dir = g_build_filename (fixture->tmp_dir, "app", NULL);
  fixture->build_dir = g_build_filename (fixture->project_dir, "build", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (demo_files); i++)
    {
      g_autofree char *from = g_build_filename (g_getenv ("HOTNODE_SOURCE_ROOT"), "demo", demo_files[i], NULL);
      g_autofree char *to = g_build_filename (fixture->project_dir, "demo", demo_files[i], NULL);

      copy_file (from, to);
    }

  top_meson = g_build_filename (fixture->project_dir, "meson.build", NULL);
  if (source == HOTNODE_FROM_SUBPROJECT)
    {
      g_autofree char *subprojects = g_build_filename (fixture->project_dir, "subprojects", NULL);
      g_autofree char *link = g_build_filename (subprojects, "hotnode", NULL);

      g_assert_cmpint (g_mkdir_with_parents (subprojects, 0755), ==, 0);
      g_assert_cmpint (symlink (g_getenv ("HOTNODE_SOURCE_ROOT"), link), ==, 0);
      g_file_set_contents (top_meson,
                           "project('hotnode-e2e', 'c', default_options: ['c_std=gnu11'])\n"
                           "subproject('hotnode')\n"
                           "subdir('demo')\n",
                           -1, &error);
    }
  else
    {
      g_file_set_contents (top_meson,
                           "project('hotnode-e2e', 'c', default_options: ['c_std=gnu11'])\n"
                           "subdir('demo')\n",
                           -1, &error);
    }
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  if (fixture->app != NULL)
    {
      g_subprocess_force_exit (fixture->app);
      g_subprocess_wait (fixture->app, NULL, NULL);
    }
  g_clear_object (&fixture->to_app);
  g_clear_object (&fixture->from_app);
  g_clear_object (&fixture->app);
  test_remove_tree (fixture->tmp_dir);
  g_free (fixture->tmp_dir);
  g_free (fixture->project_dir);
  g_free (fixture->build_dir);
}

static void
send_command (Fixture    *fixture,
              const char *format,
              ...) G_GNUC_PRINTF (2, 3);

static void
send_command (Fixture    *fixture,
              const char *format,
              ...)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *command = NULL;
  va_list          args;

  va_start (args, format);
  command = g_strdup_vprintf (format, args);
  va_end (args);

  g_output_stream_printf (fixture->to_app, NULL, NULL, &error, "%s\n", command);
  g_assert_no_error (error);
  g_output_stream_flush (fixture->to_app, NULL, &error);
  g_assert_no_error (error);
}

/* Reads the app's lines until one starts with @prefix; a failed reload
 * (unless that is what is expected) or the end of the app fails the test. */
static char *
expect_line (Fixture    *fixture,
             const char *prefix)
{
  while (TRUE)
    {
      g_autoptr (GError) error = NULL;
      char *line = g_data_input_stream_read_line_utf8 (fixture->from_app, NULL, NULL, &error);

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

static void
assert_text (Fixture    *fixture,
             const char *widget_name,
             const char *expected)
{
  g_autofree char *prefix = g_strdup_printf ("text %s ", widget_name);
  g_autofree char *line = NULL;

  send_command (fixture, "text %s", widget_name);
  line = expect_line (fixture, prefix);
  g_assert_cmpstr (line + strlen (prefix), ==, expected);
}

/* Asks until @widget_name shows @expected. A save can make more than one
 * reload (its events may straddle the debounce), so the test waits for
 * what matters, the content, not for a count of reloads; the test's
 * timeout bounds the wait. */
static void
wait_for_text (Fixture    *fixture,
               const char *widget_name,
               const char *expected)
{
  g_autofree char *prefix = g_strdup_printf ("text %s ", widget_name);

  while (TRUE)
    {
      g_autofree char *line = NULL;

      send_command (fixture, "text %s", widget_name);
      line = expect_line (fixture, prefix);
      if (g_str_equal (line + strlen (prefix), expected))
        return;
      g_usleep (50 * 1000);
    }
}

static void
write_counter_source (const char *path,
                      const char *source,
                      const char *from,
                      const char *to)
{
  g_autoptr (GString) edited = g_string_new (source);
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (g_string_replace (edited, from, to, 1), ==, 1);
  /* The way most editors save: a new file renamed over the old one. */
  g_file_set_contents (path, edited->str, -1, &error);
  g_assert_no_error (error);
}

static char *
overlay_text (Fixture *fixture)
{
  char *line;

  send_command (fixture, "overlay");
  line = expect_line (fixture, "overlay");
  memmove (line, line + strlen ("overlay"), strlen (line) - strlen ("overlay") + 1);

  return g_strstrip (line);
}

static guint
rebuild_count (Fixture *fixture)
{
  g_autofree char *line = NULL;
  const char      *count;

  send_command (fixture, "status counter");
  line = expect_line (fixture, "status counter ");
  count = strstr (line, "rebuilds=");
  g_assert_nonnull (count);

  return (guint) g_ascii_strtoull (count + strlen ("rebuilds="), NULL, 10);
}

/* 200 saves in about two seconds end with the last one live, after at most
 * three builds that ran to their end (the others were cancelled). */
static void
save_storm (Fixture    *fixture,
            const char *counter_path,
            const char *source)
{
  guint            before = rebuild_count (fixture);
  g_autofree char *final_title = NULL;
  g_autofree char *line = NULL;

  for (int i = 0; i < 200; i++)
    {
      g_autofree char *title = g_strdup_printf ("\"Storm %d\"", i);

      write_counter_source (counter_path, source, "\"" TITLE_BEFORE "\"", title);
      g_usleep (10 * 1000);
    }

  /* Ask until the last save shows; the test's timeout bounds the wait. */
  final_title = g_strdup ("text counter-title Storm 199");
  while (line == NULL || !g_str_equal (line, final_title))
    {
      g_clear_pointer (&line, g_free);
      g_usleep (100 * 1000);
      send_command (fixture, "text counter-title");
      line = expect_line (fixture, "text counter-title");
    }

  g_test_message ("Save storm: %u builds ran to their end for 200 saves", rebuild_count (fixture) - before);
  g_assert_cmpuint (rebuild_count (fixture) - before, <=, 3);
  assert_text (fixture, "counter-value", "5");
}

static void
screenshot (Fixture    *fixture,
            const char *name)
{
  g_autofree char *test_name = g_path_get_basename (g_test_get_path ());
  g_autofree char *file_name = g_strdup_printf ("%s-%s", test_name, name);
  g_autofree char *path = g_build_filename (g_getenv ("HOTNODE_TEST_OUTPUT_DIR"), file_name, NULL);
  g_autofree char *line = NULL;

  send_command (fixture, "shot %s", path);
  line = expect_line (fixture, "shot ");
  g_assert_cmpstr (line + strlen ("shot "), ==, path);
  g_test_message ("Saved %s", path);
}

static void
test_edit_reload (Fixture      *fixture,
                  gconstpointer data)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autofree char *app_path = g_build_filename (fixture->build_dir, "demo", "hotnode-demo", NULL);
  g_autofree char *private_dir = g_build_filename (fixture->tmp_dir, "private", NULL);
  g_autofree char *counter_path = g_build_filename (fixture->project_dir, "demo", "counter", "counter.c", NULL);
  g_autofree char *source = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *reloaded = NULL;
  g_autofree char *sanitize_option = NULL;
  g_autofree char *overlay = NULL;
  gint64           saved_at;

  g_test_summary ("A user's meson app with a hot module: build, run with HOT_RELOAD=1, "
                  "edit the module's source, and see the new code live with its state kept; "
                  "a syntax error keeps the old code and shows where; the fix goes live");

  sanitize_option = g_strdup_printf ("-Db_sanitize=%s", g_getenv ("HOTNODE_SANITIZE") ?: "none");
  run_checked ((const char *const[]){ "meson", "setup", fixture->build_dir, fixture->project_dir,
                                      sanitize_option, "-Db_lundef=false", NULL });
  run_checked ((const char *const[]){ "ninja", "-C", fixture->build_dir, NULL });
  if (g_test_failed ())
    return;

  g_mkdir_with_parents (g_getenv ("HOTNODE_TEST_OUTPUT_DIR"), 0755);
  g_mkdir_with_parents (private_dir, 0700);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "HOT_RELOAD", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "HOT_RELOAD_PRIVATE_DIR", private_dir, TRUE);
  fixture->app = g_subprocess_launcher_spawn (launcher, &error, app_path, "--remote", NULL);
  g_assert_no_error (error);
  fixture->to_app = g_object_ref (g_subprocess_get_stdin_pipe (fixture->app));
  fixture->from_app = g_data_input_stream_new (g_subprocess_get_stdout_pipe (fixture->app));

  g_free (expect_line (fixture, "ready"));
  for (int i = 0; i < 3; i++)
    send_command (fixture, "click counter-add");
  send_command (fixture, "set form-name Grace");
  assert_text (fixture, "counter-value", "3");
  assert_text (fixture, "counter-title", TITLE_BEFORE);
  screenshot (fixture, "before.png");

  g_file_get_contents (counter_path, &source, NULL, &error);
  g_assert_no_error (error);
  saved_at = g_get_monotonic_time ();
  write_counter_source (counter_path, source, "\"" TITLE_BEFORE "\"", "\"" TITLE_AFTER "\"");

  reloaded = expect_line (fixture, "reloaded ");
  g_assert_cmpstr (reloaded, ==, "reloaded counter");
  g_test_message ("Save to reloaded: %.0f ms", (g_get_monotonic_time () - saved_at) / 1000.0);

  wait_for_text (fixture, "counter-title", TITLE_AFTER);
  assert_text (fixture, "counter-value", "3");
  assert_text (fixture, "form-name", "Grace");
  screenshot (fixture, "after.png");

  /* The new code runs the old state on: one more click counts from 3. */
  send_command (fixture, "click counter-add");
  assert_text (fixture, "counter-value", "4");

  /* A syntax error: the build fails, the window says where, and the
   * previous code stays live and working. */
  write_counter_source (counter_path, source, "\"" TITLE_BEFORE "\");", "\"" TITLE_AFTER "\")");
  g_free (expect_line (fixture, "failed counter"));
  overlay = overlay_text (fixture);
  g_test_message ("Overlay after the syntax error: %s", overlay);
  g_assert_nonnull (strstr (overlay, "counter: the build failed"));
  g_assert_nonnull (strstr (overlay, "demo/counter/counter.c:"));
  assert_text (fixture, "counter-title", TITLE_AFTER);
  send_command (fixture, "click counter-add");
  assert_text (fixture, "counter-value", "5");
  screenshot (fixture, "error.png");

  /* Fixed: the new code is live, the failure is gone from the window. */
  write_counter_source (counter_path, source, "\"" TITLE_BEFORE "\"", "\"Fixed\"");
  wait_for_text (fixture, "counter-title", "Fixed");
  assert_text (fixture, "counter-value", "5");
  g_clear_pointer (&overlay, g_free);
  overlay = overlay_text (fixture);
  g_assert_null (strstr (overlay, "failed"));

  /* A save that ninja would take for older than the object built before it
   * (a file saved while the compiler ran, on a ninja that decides by
   * modification time): it must be built all the same. */
  {
    struct utimbuf long_ago = { 1000000000, 1000000000 };

    write_counter_source (counter_path, source, "\"" TITLE_BEFORE "\"", "\"Older than its object\"");
    g_assert_cmpint (g_utime (counter_path, &long_ago), ==, 0);
    wait_for_text (fixture, "counter-title", "Older than its object");
  }

  save_storm (fixture, counter_path, source);

  send_command (fixture, "quit");
  g_subprocess_wait_check (fixture->app, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&fixture->app);

  /* The loaded copies went with the app. */
  {
    g_autoptr (GDir) dir = g_dir_open (private_dir, 0, &error);

    g_assert_no_error (error);
    g_assert_null (g_dir_read_name (dir));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_print ("1..0 # SKIP no display\n");
      return 0;
    }

  g_test_add ("/Hotnode/E2E/edit-reload", Fixture, GINT_TO_POINTER (HOTNODE_FROM_PKG_CONFIG),
              fixture_set_up, test_edit_reload, fixture_tear_down);
  g_test_add ("/Hotnode/E2E/subproject", Fixture, GINT_TO_POINTER (HOTNODE_FROM_SUBPROJECT),
              fixture_set_up, test_edit_reload, fixture_tear_down);

  return g_test_run ();
}
