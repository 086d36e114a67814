/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rebuilder's command as the service runs it: a failing build and its
 * diagnostics, a command that cannot run, is killed, writes no library or
 * floods its output, and HOT_RELOAD_REBUILDER. */
#include "config.h"

#include <hotnode.h>

#include "test-alpha.h"

static void
on_diagnostics_changed (HotStatus  *status,
                        GParamSpec *pspec,
                        guint      *n_errors)
{
  GListModel *diagnostics = hot_status_get_diagnostics (status);

  *n_errors = g_list_model_get_n_items (diagnostics);
  if (*n_errors > 0)
    {
      g_autoptr (HotDiagnostic) first = g_list_model_get_item (diagnostics, 0);

      g_assert_cmpstr (hot_diagnostic_get_file (first), ==, "../tests/fixtures/alpha/alpha.c");
      g_assert_cmpuint (hot_diagnostic_get_line (first), ==, 40);
      g_assert_cmpuint (hot_diagnostic_get_column (first), ==, 3);
      g_assert_cmpstr (hot_diagnostic_get_message (first), ==, "expected ‘;’ before ‘}’ token");
      g_assert_nonnull (hot_diagnostic_get_source_line (first));
    }
}

static void
test_build_failure (void)
{
  const char *argv[] = { "sh", "-c", "printf '../tests/fixtures/alpha/alpha.c:40:3: \\033[01;31merror:\\033[m "
                                     "expected ‘;’ before ‘}’ token\\n' >&2; exit 1",
                         NULL };
  HotStatus  *status = hot_reload_lookup_status (hot_reload_get_default (), "alpha");
  guint       n_errors = 0;
  gulong      handler;

  g_test_summary ("A failing build reports its output and the parsed diagnostics; the old "
                  "generation stays live; a good build clears them");

  handler = g_signal_connect (status, "notify::diagnostics", G_CALLBACK (on_diagnostics_changed), &n_errors);
  test_alpha.rebuild_argv = argv;
  test_alpha_assert_refused (NULL, HOT_RELOAD_ERROR_BUILD);
  g_signal_handler_disconnect (status, handler);

  /* The good build at the end of test_alpha_assert_refused() emptied the list. */
  g_assert_cmpuint (n_errors, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (hot_status_get_diagnostics (status)), ==, 0);
}

static void
test_rebuilder_not_found (void)
{
  const char *argv[] = { "/nonexistent/rebuilder", NULL };

  g_test_summary ("A rebuilder that cannot be run is a BUILD error");
  test_alpha.rebuild_argv = argv;
  test_alpha_assert_refused (NULL, HOT_RELOAD_ERROR_BUILD);
}

static void
test_rebuilder_killed (void)
{
  const char *argv[] = { "sh", "-c", "kill -KILL $$", NULL };

  g_test_summary ("A rebuilder killed by a signal is a BUILD error");
  test_alpha.rebuild_argv = argv;
  test_alpha_assert_refused (NULL, HOT_RELOAD_ERROR_BUILD);
}

static void
test_rebuilder_no_library (void)
{
  g_test_summary ("A rebuilder that succeeds without writing the library is a BUILD error");
  test_alpha.rebuild_output = "/nonexistent/libalpha.so";
  test_alpha_assert_refused (NULL, HOT_RELOAD_ERROR_BUILD);
}

static void
test_env_rebuilder (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hotnode-test-env-XXXXXX", NULL);
  g_autofree char *record = g_build_filename (dir, "args", NULL);
  g_autofree char *command = g_strdup_printf ("sh -c 'printf \"%%s\\n\" \"$@\" > \"%s\"; exit 3' rebuilder "
                                              "{module} '{source_dir}' {build_dir} {output} {target} \"with space\"",
                                              record);
  g_autofree char *recorded = NULL;
  g_auto (GStrv) args = NULL;

  g_test_summary ("HOT_RELOAD_REBUILDER is split like a shell would, run without one, and "
                  "its placeholders are replaced");

  g_setenv ("HOT_RELOAD_REBUILDER", command, TRUE);
  test_alpha.use_env_rebuilder = TRUE;
  test_alpha_assert_refused (NULL, HOT_RELOAD_ERROR_BUILD);

  g_assert_true (g_file_get_contents (record, &recorded, NULL, NULL));
  args = g_strsplit (recorded, "\n", -1);
  g_assert_cmpuint (g_strv_length (args), ==, 7);
  g_assert_cmpstr (args[0], ==, "alpha");
  g_assert_true (g_str_has_suffix (args[1], "tests/fixtures/alpha"));
  g_assert_true (g_file_test (args[2], G_FILE_TEST_IS_DIR));
  g_assert_true (g_str_has_suffix (args[3], "tests/fixtures/libalpha.so"));
  g_assert_cmpstr (args[4], ==, "tests/fixtures/libalpha.so");
  g_assert_cmpstr (args[5], ==, "with space");

  /* A command line that cannot be split is a clear error too. */
  g_setenv ("HOT_RELOAD_REBUILDER", "sh -c 'unbalanced", TRUE);
  test_alpha.use_env_rebuilder = TRUE;
  test_alpha_assert_refused (NULL, HOT_RELOAD_ERROR_BUILD);

  g_unsetenv ("HOT_RELOAD_REBUILDER");
  test_remove_tree (dir);
}

typedef struct
{
  guint n_diagnostics;
  gsize longest_message;
} FailureSeen;

/* Records what a failed build left on the status, checking it is text. */
static void
record_failure (FailureSeen *seen,
                GParamSpec  *pspec,
                HotStatus   *status)
{
  GListModel   *diagnostics = hot_status_get_diagnostics (status);
  const GError *error = hot_status_get_error (status);

  if (error != NULL)
    {
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      seen->longest_message = MAX (seen->longest_message, strlen (error->message));
    }
  for (guint i = 0; i < g_list_model_get_n_items (diagnostics); i++)
    {
      g_autoptr (HotDiagnostic) diagnostic = g_list_model_get_item (diagnostics, i);

      g_assert_true (g_utf8_validate (hot_diagnostic_get_message (diagnostic), -1, NULL));
      seen->n_diagnostics++;
    }
}

static FailureSeen
refuse_recording (const char *const *argv)
{
  HotStatus  *status = hot_reload_lookup_status (hot_reload_get_default (), "alpha");
  FailureSeen seen = { 0 };
  gulong      handler = g_signal_connect_swapped (status, "notify", G_CALLBACK (record_failure), &seen);

  test_alpha.rebuild_argv = argv;
  test_alpha_assert_refused (NULL, HOT_RELOAD_ERROR_BUILD);
  g_signal_handler_disconnect (status, handler);

  return seen;
}

static void
test_rebuilder_floods (void)
{
  const char *argv[] = { "sh", "-c", "head -c 10000000 /dev/zero | tr '\\0' x; exit 1", NULL };
  FailureSeen seen;

  g_test_summary ("A rebuilder writing 10 MB of output fails cleanly, its message cut to the end");

  seen = refuse_recording (argv);
  g_assert_cmpuint (seen.longest_message, >, 8000);
  g_assert_cmpuint (seen.longest_message, <, 9000);
}

static void
test_rebuilder_not_utf8 (void)
{
  const char *argv[] = { "sh", "-c", "printf '../x.c:1:1: error: caf\\351 \\377\\376\\n'; exit 1", NULL };
  FailureSeen seen;

  g_test_summary ("A rebuilder writing bytes that are not UTF-8 fails cleanly, with readable text");

  seen = refuse_recording (argv);
  g_assert_cmpuint (seen.n_diagnostics, >=, 1);
}

int
main (int   argc,
      char *argv[])
{
  if (!test_alpha_init (&argc, &argv))
    return 0;

  g_test_add_func ("/Hotnode/Reload/build-failure", test_build_failure);
  g_test_add_func ("/Hotnode/Reload/rebuilder-not-found", test_rebuilder_not_found);
  g_test_add_func ("/Hotnode/Reload/rebuilder-killed", test_rebuilder_killed);
  g_test_add_func ("/Hotnode/Reload/rebuilder-no-library", test_rebuilder_no_library);
  g_test_add_func ("/Hotnode/Reload/env-rebuilder", test_env_rebuilder);
  g_test_add_func ("/Hotnode/Reload/rebuilder-floods", test_rebuilder_floods);
  g_test_add_func ("/Hotnode/Reload/rebuilder-not-utf8", test_rebuilder_not_utf8);

  return test_alpha_run ();
}
