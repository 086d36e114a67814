/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The crash guard: crashes come back as reports, guards nest, and the
 * deadline stops registered code only, on a signal of its own. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include <hotnode.h>

#include "hot-guard-private.h"

/* The code the deadline may stop: this section, registered in main(). */
#define GUARDED_CODE __attribute__ ((noinline, used, section ("hotnode_test_guarded")))
extern const char __start_hotnode_test_guarded[];
extern const char __stop_hotnode_test_guarded[];

static volatile int never_set;

GUARDED_CODE static void
spin_forever (gpointer data)
{
  while (never_set == 0)
    ;
}

static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGALRM };

static void
save_handlers (struct sigaction *handlers)
{
  for (guint i = 0; i < G_N_ELEMENTS (crash_signals); i++)
    sigaction (crash_signals[i], NULL, &handlers[i]);
}

static void
assert_handlers_unchanged (const struct sigaction *before)
{
  struct sigaction now[G_N_ELEMENTS (crash_signals)];

  save_handlers (now);
  for (guint i = 0; i < G_N_ELEMENTS (crash_signals); i++)
    g_assert_true (now[i].sa_sigaction == before[i].sa_sigaction);
}

static void
raise_segv (gpointer data)
{
  raise (SIGSEGV);
}

static void
count_call (gpointer data)
{
  int *calls = data;

  (*calls)++;
}

static void
test_returns (void)
{
  HotCrash crash;
  int      calls = 0;
  g_autoptr (GError) error = NULL;

  g_test_summary ("A guarded call that returns reports no crash and leaves nothing armed");

  /* Garbage first: every path must set the report. */
  memset (&crash, 0xA5, sizeof crash);
  g_assert_true (hot_guard_call (count_call, &calls, 1000, &crash, &error));
  g_assert_no_error (error);
  g_assert_cmpint (calls, ==, 1);
  g_assert_cmpint (crash.signal, ==, 0);
  g_assert_false (crash.timed_out);
  g_assert_null (crash.backtrace);
}

static void
test_crash (void)
{
  struct sigaction handlers[G_N_ELEMENTS (crash_signals)];
  HotCrash         crash;
  g_autoptr (GError) error = NULL;

  g_test_summary ("A crash in a guarded call comes back as a report; the app's handlers are back after it");

  save_handlers (handlers);
  g_assert_false (hot_guard_call (raise_segv, NULL, 0, &crash, &error));
  g_assert_no_error (error);
  g_assert_cmpint (crash.signal, ==, SIGSEGV);
  g_assert_false (crash.timed_out);
  g_assert_nonnull (crash.backtrace);
  hot_crash_clear (&crash);
  assert_handlers_unchanged (handlers);
}

typedef struct
{
  HotGuardFunc inner_func;
  guint        inner_timeout_ms;
  gboolean     inner_returned;
  HotCrash     inner_crash;
  gboolean     outer_went_on;
} Nest;

static void
run_nested (gpointer data)
{
  Nest *nest = data;
  g_autoptr (GError) error = NULL;

  nest->inner_returned = hot_guard_call (nest->inner_func, NULL, nest->inner_timeout_ms, &nest->inner_crash, &error);
  g_assert_no_error (error);
  nest->outer_went_on = TRUE;
}

static void
test_nested_crash (void)
{
  struct sigaction handlers[G_N_ELEMENTS (crash_signals)];
  Nest             nest = { raise_segv, 0 };
  HotCrash         crash;
  g_autoptr (GError) error = NULL;

  g_test_summary ("A crash in a guarded call nested in another is caught by the inner call; the outer "
                  "one goes on and returns normally");

  save_handlers (handlers);
  g_assert_true (hot_guard_call (run_nested, &nest, 2000, &crash, &error));
  g_assert_no_error (error);
  g_assert_cmpint (crash.signal, ==, 0);
  g_assert_null (crash.backtrace);

  g_assert_false (nest.inner_returned);
  g_assert_cmpint (nest.inner_crash.signal, ==, SIGSEGV);
  g_assert_true (nest.outer_went_on);
  hot_crash_clear (&nest.inner_crash);

  /* Still one guard's worth of state: a crash now lands in a new call. */
  g_assert_false (hot_guard_call (raise_segv, NULL, 0, &crash, &error));
  g_assert_cmpint (crash.signal, ==, SIGSEGV);
  hot_crash_clear (&crash);
  assert_handlers_unchanged (handlers);
}

static void
sleep_past_deadline (gpointer data)
{
  gint64 *slept = data;
  gint64  start = g_get_monotonic_time ();

  /* Code the guard does not know: it must run on, however long it takes. */
  while (g_get_monotonic_time () - start < 300 * G_TIME_SPAN_MILLISECOND)
    g_usleep (1000);
  *slept = g_get_monotonic_time () - start;
}

static void
test_deadline_spares_other_code (void)
{
  HotCrash crash;
  gint64   slept = 0;
  g_autoptr (GError) error = NULL;

  g_test_summary ("Past its deadline, a guarded call running code that is not registered (GLib, the app) "
                  "is not interrupted: it returns normally");

  g_assert_true (hot_guard_call (sleep_past_deadline, &slept, 50, &crash, &error));
  g_assert_no_error (error);
  g_assert_cmpint (slept, >=, 300 * G_TIME_SPAN_MILLISECOND);
  g_assert_false (crash.timed_out);
}

static void
test_deadline_stops_registered_code (void)
{
  HotCrash crash;
  gint64   start = g_get_monotonic_time ();
  g_autoptr (GError) error = NULL;

  g_test_summary ("A guarded call looping in registered code is stopped at its deadline");

  g_assert_false (hot_guard_call (spin_forever, NULL, 100, &crash, &error));
  g_assert_no_error (error);
  g_assert_true (crash.timed_out);
  g_assert_cmpint (crash.signal, ==, SIGALRM);
  g_assert_nonnull (crash.backtrace);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_TIME_SPAN_SECOND);
  hot_crash_clear (&crash);
}

static void
test_nested_deadline (void)
{
  Nest     nest = { spin_forever, 0 };
  HotCrash crash;
  int      calls = 0;
  g_autoptr (GError) error = NULL;

  g_test_summary ("The outer call's deadline stops a call nested in it, and the outer call is the one "
                  "reported stopped");

  g_assert_false (hot_guard_call (run_nested, &nest, 100, &crash, &error));
  g_assert_no_error (error);
  g_assert_true (crash.timed_out);
  g_assert_false (nest.outer_went_on);
  hot_crash_clear (&crash);

  /* Nothing left armed or installed. */
  g_assert_true (hot_guard_call (count_call, &calls, 0, &crash, &error));
  g_assert_cmpint (calls, ==, 1);
}

static void
test_inner_deadline (void)
{
  Nest     nest = { spin_forever, 100 };
  HotCrash crash;
  g_autoptr (GError) error = NULL;

  g_test_summary ("A call with a deadline nested in one without is stopped alone; the outer call goes on");

  g_assert_true (hot_guard_call (run_nested, &nest, 0, &crash, &error));
  g_assert_no_error (error);
  g_assert_false (nest.inner_returned);
  g_assert_true (nest.inner_crash.timed_out);
  g_assert_true (nest.outer_went_on);
  hot_crash_clear (&nest.inner_crash);
}

static volatile sig_atomic_t app_alarms;

static void
app_alarm_handler (int signum)
{
  app_alarms++;
}

static void
raise_alarm (gpointer data)
{
  raise (SIGALRM);
}

static void
test_app_alarm (void)
{
  struct sigaction action = { 0 }, previous;
  HotCrash         crash;
  g_autoptr (GError) error = NULL;

  g_test_summary ("SIGALRM is the app's: raised inside a guarded call or after one, it reaches the app's "
                  "handler and stops nothing");

  action.sa_handler = app_alarm_handler;
  sigemptyset (&action.sa_mask);
  sigaction (SIGALRM, &action, &previous);
  app_alarms = 0;

  g_assert_true (hot_guard_call (raise_alarm, NULL, 1000, &crash, &error));
  g_assert_no_error (error);
  g_assert_cmpint (app_alarms, ==, 1);

  raise (SIGALRM);
  g_assert_cmpint (app_alarms, ==, 2);

  sigaction (SIGALRM, &previous, NULL);
}

static void
test_no_timer (void)
{
  if (g_test_subprocess ())
    {
      struct rlimit none = { 0, 0 };
      HotCrash      crash;
      int           calls = 0;
      g_autoptr (GError) error = NULL;

      /* With no signal allowed to be queued, timer_create() fails. */
      g_assert_cmpint (setrlimit (RLIMIT_SIGPENDING, &none), ==, 0);
      g_assert_false (hot_guard_call (count_call, &calls, 1000, &crash, &error));
      g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_FAILED);
      g_assert_cmpint (calls, ==, 0);
      g_assert_cmpint (crash.signal, ==, 0);
      g_test_message ("%s", error->message);
      return;
    }

  g_test_summary ("When its deadline cannot be armed, a guarded call fails with an error instead of "
                  "running without one");

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_assert_true (hot_guard_add_code (__start_hotnode_test_guarded,
                                     __stop_hotnode_test_guarded - __start_hotnode_test_guarded));

  g_test_add_func ("/Hotnode/Guard/returns", test_returns);
  g_test_add_func ("/Hotnode/Guard/crash", test_crash);
  g_test_add_func ("/Hotnode/Guard/nested-crash", test_nested_crash);
  g_test_add_func ("/Hotnode/Guard/deadline-spares-other-code", test_deadline_spares_other_code);
  g_test_add_func ("/Hotnode/Guard/deadline-stops-registered-code", test_deadline_stops_registered_code);
  g_test_add_func ("/Hotnode/Guard/nested-deadline", test_nested_deadline);
  g_test_add_func ("/Hotnode/Guard/inner-deadline", test_inner_deadline);
  g_test_add_func ("/Hotnode/Guard/app-alarm", test_app_alarm);
  g_test_add_func ("/Hotnode/Guard/no-timer", test_no_timer);

  return g_test_run ();
}
