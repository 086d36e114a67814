/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Calls of hot_reload_rebuild_async () that meet: one during a build
 * cancels it and builds again, hot_reload_cancel () and a call's own
 * cancellable stop what they should (with every process the build
 * started), and a hot-reload handler may ask for another rebuild. */
#include "config.h"

#include <hotnode.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "test-alpha.h"

static gboolean
process_is_gone (int pid)
{
  g_autofree char *stat_path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  const char      *state;

  if (!g_file_get_contents (stat_path, &stat, NULL, NULL))
    return TRUE;
  /* A zombie nobody reaped (PID 1 of a container may not) is gone too. */
  state = strrchr (stat, ')');
  return state != NULL && (state[2] == 'Z' || state[2] == 'X');
}

/* The signal reached @pid with its group; wait for it to act, and for the
 * build folder's lock, which the cancelled build holds until its group is
 * gone, to be free again (the next test may run in a subprocess while this
 * one waits for it). */
static void
wait_until_gone (int pid)
{
  g_autofree char *lock_path = g_build_filename (g_getenv ("HOTNODE_BUILD_ROOT"), "hotnode-ninja.lock", NULL);
  gint64           deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  int              fd;

  while (!process_is_gone (pid))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Process %d of the cancelled build still runs after 10 s", pid);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }

  fd = open (lock_path, O_RDWR | O_CLOEXEC);
  g_assert_cmpint (fd, >=, 0);
  while (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The cancelled build still holds %s after 10 s", lock_path);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  close (fd);
}

/* Starts a rebuild whose command leaves a `sleep` in the background, writes
 * its pid to @pid_file and waits; returns the pid once it is written. */
static int
start_slow_build (const char    *pid_file,
                  GAsyncResult **result)
{
  g_autofree char *script = g_strdup_printf ("sleep 60 & echo $! > '%s.tmp' && mv '%s.tmp' '%s'; wait",
                                             pid_file, pid_file, pid_file);
  const char      *argv[] = { "sh", "-c", script, NULL };
  g_autofree char *contents = NULL;

  test_alpha.rebuild_argv = argv;
  hot_reload_rebuild_async (hot_reload_get_default (), "alpha", NULL, test_store_result, result);
  test_alpha.rebuild_argv = NULL;

  /* Nothing in the main loop wakes up for the file: poll for it. */
  while (!g_file_get_contents (pid_file, &contents, NULL, NULL))
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }

  return (int) g_ascii_strtoll (contents, NULL, 10);
}

static void
test_rebuild_again (void)
{
  HotReload       *service = hot_reload_get_default ();
  HotStatus       *status = hot_reload_lookup_status (service, "alpha");
  g_autofree char *dir = g_dir_make_tmp ("hotnode-test-slow-XXXXXX", NULL);
  g_autofree char *pid_file = g_build_filename (dir, "pid", NULL);
  g_autoptr (GAsyncResult) first = NULL;
  g_autoptr (GAsyncResult) second = NULL;
  g_autoptr (GError) error = NULL;
  GtkWidget *proxy = test_new_proxy ("alpha_label", NULL);
  guint      reloads = test_alpha.reload_count;
  guint      rebuilds = hot_status_get_rebuild_count (status);
  int        sleeper;

  g_test_summary ("A rebuild asked for during a build cancels it, with every process it "
                  "started, and builds again: one load, of the final content");

  sleeper = start_slow_build (pid_file, &first);
  g_assert_true (hot_status_get_building (status));

  test_alpha.next_variant = "libalpha-gen2.so";
  hot_reload_rebuild_async (service, "alpha", NULL, test_store_result, &second);

  g_assert_true (hot_reload_rebuild_finish (service, test_wait_for_result (&second), &error));
  g_assert_no_error (error);
  g_assert_true (hot_reload_rebuild_finish (service, test_wait_for_result (&first), &error));
  g_assert_no_error (error);

  g_assert_cmpuint (test_alpha.reload_count, ==, reloads + 1);
  g_assert_cmpuint (hot_status_get_rebuild_count (status), ==, rebuilds + 1);
  g_assert_cmpstr (test_proxy_text (proxy), ==, "alpha generation 2");
  wait_until_gone (sleeper);

  g_assert_finalize_object (proxy);
  test_remove_tree (dir);
}

static void
test_cancel (void)
{
  HotReload       *service = hot_reload_get_default ();
  HotStatus       *status = hot_reload_lookup_status (service, "alpha");
  g_autofree char *dir = g_dir_make_tmp ("hotnode-test-slow-XXXXXX", NULL);
  g_autofree char *pid_file = g_build_filename (dir, "pid", NULL);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  guint rebuilds = hot_status_get_rebuild_count (status);
  guint reloads = test_alpha.reload_count, failures = test_alpha.failure_count;
  int   sleeper;

  g_test_summary ("hot_reload_cancel() stops the build and every process it started");

  sleeper = start_slow_build (pid_file, &result);
  hot_reload_cancel (service, "alpha");

  g_assert_false (hot_reload_rebuild_finish (service, test_wait_for_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (hot_status_get_building (status));
  g_assert_cmpuint (hot_status_get_rebuild_count (status), ==, rebuilds);
  g_assert_cmpuint (test_alpha.reload_count, ==, reloads);
  g_assert_cmpuint (test_alpha.failure_count, ==, failures);
  wait_until_gone (sleeper);

  test_remove_tree (dir);
}

typedef struct
{
  const char   *variant; /* for the rebuild the handler asks for */
  gboolean      asked;
  GAsyncResult *result;
} Again;

static void
rebuild_from_handler (HotReload  *service,
                      const char *module,
                      Again      *again)
{
  if (again->asked)
    return;
  again->asked = TRUE;
  test_alpha.next_variant = again->variant;
  hot_reload_rebuild_async (service, module, NULL, test_store_result, &again->result);
}

static void
test_reentrant (void)
{
  HotReload *service = hot_reload_get_default ();
  g_autoptr (GError) error = NULL;
  GtkWidget *label = test_new_proxy ("alpha_label", NULL);
  Again      again = { "libalpha-gen4.so", FALSE, NULL };
  guint      reloads = test_alpha.reload_count;
  gulong     handler;

  g_test_summary ("A hot-reload handler may ask for another rebuild: its call completes with "
                  "the result of a build that started after it, and that build is live");

  handler = g_signal_connect (service, "hot-reload", G_CALLBACK (rebuild_from_handler), &again);
  g_assert_true (test_alpha_reload ("libalpha-gen3.so", &error));
  g_assert_no_error (error);
  g_assert_true (again.asked);

  g_assert_true (hot_reload_rebuild_finish (service, test_wait_for_result (&again.result), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (test_alpha.reload_count, ==, reloads + 2);
  g_assert_cmpstr (test_proxy_text (label), ==, "alpha generation 4");

  g_signal_handler_disconnect (service, handler);
  g_clear_object (&again.result);
  g_assert_finalize_object (label);
}

static void
test_call_cancelled (void)
{
  HotReload       *service = hot_reload_get_default ();
  HotStatus       *status = hot_reload_lookup_status (service, "alpha");
  g_autofree char *dir = g_dir_make_tmp ("hotnode-test-slow-XXXXXX", NULL);
  g_autofree char *pid_file = g_build_filename (dir, "pid", NULL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GAsyncResult) build = NULL;
  g_autoptr (GAsyncResult) waited = NULL;
  g_autoptr (GError) error = NULL;
  int sleeper;

  g_test_summary ("A call whose own cancellable is cancelled ends at once with G_IO_ERROR_CANCELLED; "
                  "the build goes on for the other callers");

  sleeper = start_slow_build (pid_file, &build);
  hot_reload_rebuild_async (service, "alpha", cancellable, test_store_result, &waited);
  g_cancellable_cancel (cancellable);

  g_assert_false (hot_reload_rebuild_finish (service, test_wait_for_result (&waited), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_true (hot_status_get_building (status));

  g_clear_error (&error);
  hot_reload_cancel (service, "alpha");
  g_assert_false (hot_reload_rebuild_finish (service, test_wait_for_result (&build), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  wait_until_gone (sleeper);

  test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  if (!test_alpha_init (&argc, &argv))
    return 0;

  g_test_add_func ("/Hotnode/Reload/rebuild-again", test_rebuild_again);
  g_test_add_func ("/Hotnode/Reload/cancel", test_cancel);
  g_test_add_func ("/Hotnode/Reload/reentrant", test_reentrant);
  g_test_add_func ("/Hotnode/Reload/call-cancelled", test_call_cancelled);

  return test_alpha_run ();
}
