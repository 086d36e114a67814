/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The process runner: output, cancellation, and no build outliving the app.
 * Processes are found by a unique argument in /proc. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/types.h>

#include <hotnode.h>

#include "hot-process-private.h"

#define DEADLINE (10 * G_TIME_SPAN_SECOND)

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* A `sleep` that nothing else on the machine runs. */
static char *
unique_sleep_argument (void)
{
  return g_strdup_printf ("3600.%d%06u", (int) getpid (), (guint) g_random_int_range (0, 1000000));
}

/* The live `sleep @argument` (not a zombie: its cmdline is empty), or 0. */
static pid_t
find_sleep (const char *argument)
{
  g_autofree char *wanted = g_strdup_printf ("sleep%c%s", '\0', argument);
  gsize            wanted_length = strlen ("sleep") + 1 + strlen (argument) + 1;
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while (proc && (name = g_dir_read_name (proc)))
    {
      g_autofree char *path = g_build_filename ("/proc", name, "cmdline", NULL);
      g_autofree char *contents = NULL;
      gsize            length;

      if (g_ascii_isdigit (name[0]) && g_file_get_contents (path, &contents, &length, NULL) &&
          length == wanted_length && memcmp (contents, wanted, length) == 0)
        return (pid_t) g_ascii_strtoll (name, NULL, 10);
    }

  return 0;
}

/* Waits until `sleep @argument` is there (or gone). */
static gboolean
wait_for_sleep (const char *argument,
                gboolean    present)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE;

  while ((find_sleep (argument) != 0) != present)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (20 * 1000);
    }

  return TRUE;
}

static void
kill_leftover (const char *argument)
{
  pid_t pid;

  while ((pid = find_sleep (argument)) != 0)
    {
      kill (pid, SIGKILL);
      g_usleep (20 * 1000);
    }
}

static GAsyncResult *
wait_for_result (GAsyncResult **result,
                 const char    *what)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE;

  while (*result == NULL)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("%s did not complete within %d s", what, (int) (DEADLINE / G_TIME_SPAN_SECOND));
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }

  return *result;
}

static void
test_output (void)
{
  const char *const argv[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GSubprocess) subprocess = NULL;
  g_autoptr (GBytes) output = NULL;
  g_autoptr (GError) error = NULL;

  g_test_summary ("A command's output and error are read together, and how it ended is there to read");

  hot_process_run_async (argv, g_get_tmp_dir (), NULL, store_result, &result);
  subprocess = hot_process_run_finish (wait_for_result (&result, "The command"), &output, &error);
  g_assert_no_error (error);
  g_assert_nonnull (subprocess);
  g_assert_true (g_subprocess_get_if_exited (subprocess));
  g_assert_cmpint (g_subprocess_get_exit_status (subprocess), ==, 3);
  g_assert_cmpmem (g_bytes_get_data (output, NULL), g_bytes_get_size (output), "out\nerr\n", 8);
}

static void
test_cancel (void)
{
  g_autofree char  *argument = unique_sleep_argument ();
  const char *const argv[] = { "sleep", argument, NULL };
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GSubprocess) subprocess = NULL;
  g_autoptr (GBytes) output = NULL;
  g_autoptr (GError) error = NULL;

  g_test_summary ("A cancelled command is stopped, and the call completes with G_IO_ERROR_CANCELLED");

  hot_process_run_async (argv, g_get_tmp_dir (), cancellable, store_result, &result);
  g_assert_true (wait_for_sleep (argument, TRUE));
  g_cancellable_cancel (cancellable);

  subprocess = hot_process_run_finish (wait_for_result (&result, "The cancelled command"), &output, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (subprocess);
  if (!wait_for_sleep (argument, FALSE))
    {
      kill_leftover (argument);
      g_test_fail_printf ("The cancelled command (sleep %s) still runs", argument);
    }
}

/* What a hold saw when it was released. */
typedef struct
{
  gboolean    released;
  const char *sleeps[2]; /* each gone when released */
  gboolean    sleeps_gone;
} Hold;

static void
release_hold (gpointer data)
{
  Hold *hold = data;

  hold->released = TRUE;
  hold->sleeps_gone = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (hold->sleeps); i++)
    if (hold->sleeps[i] != NULL && find_sleep (hold->sleeps[i]) != 0)
      hold->sleeps_gone = FALSE;
}

static void
test_cancel_escalates (void)
{
  g_autofree char  *first = unique_sleep_argument ();
  g_autofree char  *second = unique_sleep_argument ();
  g_autofree char  *script = g_strdup_printf ("trap '' TERM; sleep %s & sleep %s; wait", first, second);
  const char *const argv[] = { "sh", "-c", script, NULL };
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GSubprocess) subprocess = NULL;
  g_autoptr (GBytes) output = NULL;
  g_autoptr (GError) error = NULL;
  Hold   hold = { FALSE, { first, second }, FALSE };
  gint64 deadline;

  g_test_summary ("A cancelled command whose processes ignore SIGTERM (a script rebuilder with trap, and its "
                  "children) completes at once with G_IO_ERROR_CANCELLED; every process of its group is "
                  "killed in the background, and what it held is released only once they are all gone");

  hot_process_run_full_async (argv, g_get_tmp_dir (), HOT_PROCESS_FLAGS_NONE, &hold, release_hold, cancellable,
                              store_result, &result);
  g_assert_true (wait_for_sleep (first, TRUE));
  g_assert_true (wait_for_sleep (second, TRUE));
  g_cancellable_cancel (cancellable);

  subprocess = hot_process_run_finish (wait_for_result (&result, "The cancelled command"), &output, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (subprocess);
  /* The call did not wait for them: they ignore SIGTERM, and only the
   * SIGKILL that follows it in the background ends them. */
  g_assert_false (hold.released);
  g_assert_true (find_sleep (first) != 0 && find_sleep (second) != 0);

  deadline = g_get_monotonic_time () + DEADLINE;
  while (!hold.released)
    {
      if (g_get_monotonic_time () > deadline)
        {
          kill_leftover (first);
          kill_leftover (second);
          g_error ("The group of the cancelled command was not stopped within %d s", (int) (DEADLINE / G_TIME_SPAN_SECOND));
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  if (!hold.sleeps_gone)
    {
      kill_leftover (first);
      kill_leftover (second);
      g_test_fail_printf ("The hold was released while a process of the group still ran");
    }
  g_assert_cmpint (find_sleep (first), ==, 0);
  g_assert_cmpint (find_sleep (second), ==, 0);
}

static void
test_output_capped (void)
{
  const char *const argv[] = { "seq", "1", "2000000", NULL };
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GSubprocess) subprocess = NULL;
  g_autoptr (GBytes) output = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *in_all = NULL;
  const char      *text;
  gsize            length;
  guint64          expected = 0;
  Hold             hold = { 0 };

  g_test_summary ("With a cap, a command's 15 MB of output is read to its end, and only its start and its end "
                  "are kept, around a line saying how much was left out");

  for (guint64 i = 1; i <= 2000000; i++)
    for (guint64 rest = i; rest > 0; rest /= 10)
      expected++;
  expected += 2000000; /* the newlines */
  in_all = g_strdup_printf (", %" G_GUINT64_FORMAT " in all]", expected);

  hot_process_run_full_async (argv, g_get_tmp_dir (), HOT_PROCESS_CAP_OUTPUT, &hold, release_hold, NULL,
                              store_result, &result);
  subprocess = hot_process_run_finish (wait_for_result (&result, "seq"), &output, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (subprocess));

  text = g_bytes_get_data (output, &length);
  g_test_message ("Kept %" G_GSIZE_FORMAT " bytes of %" G_GUINT64_FORMAT, length, expected);
  g_assert_cmpuint (length, <=, HOT_PROCESS_OUTPUT_KEPT + 200);
  g_assert_true (g_str_has_prefix (text, "1\n2\n3\n"));
  g_assert_true (length > 16 && memcmp (text + length - 16, "1999999\n2000000\n", 16) == 0);
  g_assert_nonnull (g_strstr_len (text, length, " bytes of output left out here"));
  g_assert_nonnull (g_strstr_len (text, length, in_all));

  /* The hold went with the command. */
  g_clear_object (&result);
  g_assert_true (hold.released);
}

/* The app of the next test: starts a long sleep through the runner, says
 * so, and waits to be killed. */
static int
run_app (const char *argument)
{
  const char *const argv[] = { "sleep", argument, NULL };

  hot_process_run_async (argv, g_get_tmp_dir (), NULL, NULL, NULL);
  while (TRUE)
    g_main_context_iteration (NULL, TRUE);

  return 0;
}

static void
test_dies_with_app (void)
{
  g_autofree char *argument = unique_sleep_argument ();
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autoptr (GSubprocess) app = NULL;
  g_autoptr (GError) error = NULL;

  g_test_summary ("A command started by an app that is killed (SIGKILL) ends with it");

  app = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, self, "--app", argument, NULL);
  g_assert_no_error (error);
  if (!wait_for_sleep (argument, TRUE))
    {
      g_subprocess_force_exit (app);
      g_test_fail_printf ("The app never started sleep %s", argument);
      return;
    }

  g_subprocess_send_signal (app, SIGKILL);
  g_subprocess_wait (app, NULL, &error);
  g_assert_no_error (error);

  if (!wait_for_sleep (argument, FALSE))
    {
      kill_leftover (argument);
      g_test_fail_printf ("sleep %s outlived the app that started it by %d s", argument,
                          (int) (DEADLINE / G_TIME_SPAN_SECOND));
    }
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 3 && strcmp (argv[1], "--app") == 0)
    return run_app (argv[2]);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Hotnode/Process/output", test_output);
  g_test_add_func ("/Hotnode/Process/cancel", test_cancel);
  g_test_add_func ("/Hotnode/Process/cancel-escalates", test_cancel_escalates);
  g_test_add_func ("/Hotnode/Process/output-capped", test_output_capped);
  g_test_add_func ("/Hotnode/Process/dies-with-app", test_dies_with_app);

  return g_test_run ();
}
