/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The crash guard: crashes in a generation's own code come back as
 * reports, crashes it cannot roll back end the process with a report,
 * guards nest, and the deadline stops registered code only, on a signal of
 * its own. */
#include "config.h"

#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <gio/gio.h>

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

/* A NULL dereference in registered code, called by the guard itself. */
GUARDED_CODE __attribute__ ((no_sanitize ("address", "undefined"))) static void
fault_segv (gpointer data)
{
  *(volatile int *) (gsize) never_set = 1;
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
  g_assert_true (hot_guard_call (HOT_GUARD_NODE, "test", count_call, &calls, 1000, &crash, &error));
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

  g_test_summary ("A crash in registered code called by a guarded call comes back as a report; the app's "
                  "handlers are back after it");

  save_handlers (handlers);
  g_assert_false (hot_guard_call (HOT_GUARD_NODE, "test", fault_segv, NULL, 0, &crash, &error));
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

  nest->inner_returned = hot_guard_call (HOT_GUARD_NODE, "test", nest->inner_func, NULL, nest->inner_timeout_ms, &nest->inner_crash, &error);
  g_assert_no_error (error);
  nest->outer_went_on = TRUE;
}

static void
test_nested_crash (void)
{
  struct sigaction handlers[G_N_ELEMENTS (crash_signals)];
  Nest             nest = { fault_segv, 0 };
  HotCrash         crash;
  g_autoptr (GError) error = NULL;

  g_test_summary ("A crash in a guarded call nested in another is caught by the inner call; the outer "
                  "one goes on and returns normally");

  save_handlers (handlers);
  g_assert_true (hot_guard_call (HOT_GUARD_NODE, "test", run_nested, &nest, 2000, &crash, &error));
  g_assert_no_error (error);
  g_assert_cmpint (crash.signal, ==, 0);
  g_assert_null (crash.backtrace);

  g_assert_false (nest.inner_returned);
  g_assert_cmpint (nest.inner_crash.signal, ==, SIGSEGV);
  g_assert_true (nest.outer_went_on);
  hot_crash_clear (&nest.inner_crash);

  /* Still one guard's worth of state: a crash now lands in a new call. */
  g_assert_false (hot_guard_call (HOT_GUARD_NODE, "test", fault_segv, NULL, 0, &crash, &error));
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

  g_assert_true (hot_guard_call (HOT_GUARD_NODE, "test", sleep_past_deadline, &slept, 50, &crash, &error));
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

  g_assert_false (hot_guard_call (HOT_GUARD_NODE, "test", spin_forever, NULL, 100, &crash, &error));
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

  g_assert_false (hot_guard_call (HOT_GUARD_NODE, "test", run_nested, &nest, 100, &crash, &error));
  g_assert_no_error (error);
  g_assert_true (crash.timed_out);
  g_assert_false (nest.outer_went_on);
  hot_crash_clear (&crash);

  /* Nothing left armed or installed. */
  g_assert_true (hot_guard_call (HOT_GUARD_NODE, "test", count_call, &calls, 0, &crash, &error));
  g_assert_cmpint (calls, ==, 1);
}

static void
test_inner_deadline (void)
{
  Nest     nest = { spin_forever, 100 };
  HotCrash crash;
  g_autoptr (GError) error = NULL;

  g_test_summary ("A call with a deadline nested in one without is stopped alone; the outer call goes on");

  g_assert_true (hot_guard_call (HOT_GUARD_NODE, "test", run_nested, &nest, 0, &crash, &error));
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

  g_assert_true (hot_guard_call (HOT_GUARD_NODE, "test", raise_alarm, NULL, 1000, &crash, &error));
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
      g_assert_false (hot_guard_call (HOT_GUARD_NODE, "test", count_call, &calls, 1000, &crash, &error));
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

/* Generations of the crashes fixture (tests/fixtures/crashes), loaded as
 * hotnode loads one: opened, its code registered. */
static gpointer
open_generation (const char *file)
{
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "fixtures", file, NULL);
  gpointer         handle = dlopen (path, RTLD_NOW | RTLD_LOCAL);

  if (handle == NULL)
    g_error ("Could not open %s: %s", path, dlerror ());
  g_assert_true (hot_guard_add_library (handle));

  return handle;
}

static HotGuardFunc
generation_function (gpointer    handle,
                     const char *name)
{
  HotGuardFunc func = (HotGuardFunc) dlsym (handle, name);

  g_assert_nonnull (func);
  return func;
}

static void
test_recovered (gconstpointer data)
{
  const char      *file = data;
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "fixtures", file, NULL);
  gpointer         handle;
  HotCrash         crash;
  int              calls = 0;
  g_autoptr (GError) error = NULL;

  g_test_summary ("A NULL dereference in a loaded generation's own code (built by gcc, with unwind tables, "
                  "or by tcc, with frame pointers only) comes back as a report, and the app goes on");

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("tcc is not installed: no generation built by it");
      return;
    }

  handle = open_generation (file);
  for (int i = 0; i < 2; i++)
    {
      g_assert_false (hot_guard_call (HOT_GUARD_NODE, "crashes_null", generation_function (handle, "crashes_null"),
                                      NULL, 5000, &crash, &error));
      g_assert_no_error (error);
      g_assert_cmpint (crash.signal, ==, SIGSEGV);
      g_assert_false (crash.timed_out);
      g_assert_nonnull (crash.backtrace);
      g_test_message ("Backtrace:\n%s", crash.backtrace);
      hot_crash_clear (&crash);
    }

  /* Alive, and the guard with it. */
  g_assert_true (hot_guard_call (HOT_GUARD_NODE, "test", count_call, &calls, 1000, &crash, &error));
  g_assert_cmpint (calls, ==, 1);
  hot_guard_remove_library (handle);
}

static void
test_deadline_tcc (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "fixtures", "libcrashes-tcc.so", NULL);
  gpointer         handle;
  HotCrash         crash;
  g_autoptr (GError) error = NULL;

  g_test_summary ("The deadline stops a loop in a generation built by tcc (no unwind tables)");

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("tcc is not installed: no generation built by it");
      return;
    }

  handle = open_generation ("libcrashes-tcc.so");
  g_assert_false (hot_guard_call (HOT_GUARD_NODE, "crashes_spin", generation_function (handle, "crashes_spin"), NULL,
                                  100, &crash, &error));
  g_assert_no_error (error);
  g_assert_true (crash.timed_out);
  hot_crash_clear (&crash);
  hot_guard_remove_library (handle);
}

static void
test_slots_reused (void)
{
  gpointer handle = open_generation ("libcrashes.so");
  HotCrash crash;
  g_autoptr (GError) error = NULL;

  g_test_summary ("Code of libraries removed from the guard leaves room for later ones: after more libraries "
                  "than the guard holds at once came and went, the deadline still stops a new one");

  hot_guard_remove_library (handle);
  for (int i = 0; i < 5000; i++)
    {
      g_assert_true (hot_guard_add_library (handle));
      hot_guard_remove_library (handle);
    }

  g_assert_true (hot_guard_add_library (handle));
  g_assert_false (hot_guard_call (HOT_GUARD_NODE, "crashes_spin", generation_function (handle, "crashes_spin"), NULL,
                                  100, &crash, &error));
  g_assert_no_error (error);
  g_assert_true (crash.timed_out);
  hot_crash_clear (&crash);
  hot_guard_remove_library (handle);
}

/* The crashes hotnode cannot roll back, each in a child process of its
 * own that must end of the signal, with the report, and never hang. */
typedef struct
{
  const char *library;
  const char *function; /* NULL: the crash is in dlopen () */
  int         signal;
  const char *where; /* in the report */
} Unrecoverable;

static const Unrecoverable double_free = { "libcrashes.so", "crashes_double_free", SIGABRT, "inside other code" };
/* g_error () ends in G_BREAKPOINT (): SIGTRAP. */
static const Unrecoverable g_error_call = { "libcrashes.so", "crashes_g_error", SIGTRAP, "inside other code" };
static const Unrecoverable class_init = { "libcrashes.so", "crashes_class_init", SIGSEGV, "called back through" };
static const Unrecoverable class_init_tcc = { "libcrashes-tcc.so", "crashes_class_init", SIGSEGV, "called back" };
static const Unrecoverable constructor = { "libcrashes-constructor.so", NULL, SIGSEGV, "while loading" };

static void
open_library (gpointer data)
{
  dlopen (data, RTLD_NOW | RTLD_LOCAL);
}

/* The child: runs @function of @library under the guard, or opens
 * @library under a guard of a load. Returns only if the guard came back. */
static int
crash_child (const char *library,
             const char *function)
{
  struct rlimit no_core = { 0, 0 };
  HotCrash      crash;
  gboolean      returned;

  setrlimit (RLIMIT_CORE, &no_core);
  if (function == NULL)
    {
      returned = hot_guard_call (HOT_GUARD_LOAD, "crashes", open_library, (gpointer) library, 0, &crash, NULL);
    }
  else
    {
      gpointer handle = dlopen (library, RTLD_NOW | RTLD_LOCAL);

      g_assert_nonnull (handle);
      g_assert_true (hot_guard_add_library (handle));
      returned =
          hot_guard_call (HOT_GUARD_NODE, function, generation_function (handle, function), NULL, 5000, &crash, NULL);
    }

  printf ("The guard came back: returned %d, signal %d\n", returned, crash.signal);
  return 3;
}

typedef struct
{
  GMainLoop *loop;
  char      *out;
  char      *err;
  gboolean   done;
} Communication;

static void
child_communicated (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Communication *communication = user_data;
  g_autoptr (GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &communication->out, &communication->err,
                                        &error);
  g_assert_no_error (error);
  communication->done = TRUE;
  g_main_loop_quit (communication->loop);
}

static gboolean
child_deadline_passed (gpointer user_data)
{
  g_main_loop_quit (((Communication *) user_data)->loop);
  return G_SOURCE_REMOVE;
}

static void
test_unrecoverable (gconstpointer data)
{
  const Unrecoverable *crash = data;
  g_autofree char     *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char     *library = g_test_build_filename (G_TEST_BUILT, "fixtures", crash->library, NULL);
  g_autofree char     *signal_name = hot_signal_name (crash->signal);
  g_autofree char     *expected = g_strdup_printf ("hotnode: %s", signal_name);
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr (GSubprocess) child = NULL;
  g_autoptr (GError) error = NULL;
  Communication communication = { loop };
  guint         deadline;
  gboolean      sanitized = FALSE;

  g_test_summary ("A crash hotnode cannot roll back (inside free () or g_error (), in a class_init GLib runs, "
                  "in an ELF constructor dlopen () runs) ends the process of its signal, after a report on "
                  "stderr, and does not hang");

#if defined(__SANITIZE_ADDRESS__)
  sanitized = TRUE;
#endif

  if (!g_file_test (library, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("tcc is not installed: no generation built by it");
      return;
    }

  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error, self,
                            "--crash-child", library, crash->function, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (child, NULL, NULL, child_communicated, &communication);
  deadline = g_timeout_add_seconds (20, child_deadline_passed, &communication);
  g_main_loop_run (loop);
  if (!communication.done)
    {
      g_subprocess_force_exit (child);
      g_error ("The child that crashed in %s did not end within 20 s: it hangs", crash->function ?: "dlopen");
    }
  g_source_remove (deadline);
  g_subprocess_wait (child, NULL, NULL);

  g_test_message ("stderr of the child:\n%s", communication.err);
  g_assert_null (strstr (communication.out, "The guard came back"));

  if (sanitized && crash == &double_free)
    {
      /* AddressSanitizer finds the double free before glibc does, and ends
       * the process itself. */
      g_assert_false (g_subprocess_get_successful (child));
      g_assert_nonnull (strstr (communication.err, "double-free"));
    }
  else
    {
      g_assert_nonnull (strstr (communication.err, expected));
      g_assert_nonnull (strstr (communication.err, crash->where));
      g_assert_nonnull (strstr (communication.err, "cannot roll back safely"));
      /* AddressSanitizer's handler of SIGSEGV ends the process with an
       * exit status; without it the signal is what ends it. */
      if (sanitized && crash->signal == SIGSEGV)
        g_assert_false (g_subprocess_get_successful (child));
      else
        {
          g_assert_true (g_subprocess_get_if_signaled (child));
          g_assert_cmpint (g_subprocess_get_term_sig (child), ==, crash->signal);
        }
    }

  g_free (communication.out);
  g_free (communication.err);
}

int
main (int   argc,
      char *argv[])
{
  if (argc >= 3 && strcmp (argv[1], "--crash-child") == 0)
    return crash_child (argv[2], argv[3]);

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
  g_test_add_data_func ("/Hotnode/Guard/recovered/gcc", "libcrashes.so", test_recovered);
  g_test_add_data_func ("/Hotnode/Guard/recovered/tcc", "libcrashes-tcc.so", test_recovered);
  g_test_add_func ("/Hotnode/Guard/deadline-tcc", test_deadline_tcc);
  g_test_add_func ("/Hotnode/Guard/slots-reused", test_slots_reused);
  g_test_add_data_func ("/Hotnode/Guard/unrecoverable/double-free", &double_free, test_unrecoverable);
  g_test_add_data_func ("/Hotnode/Guard/unrecoverable/g-error", &g_error_call, test_unrecoverable);
  g_test_add_data_func ("/Hotnode/Guard/unrecoverable/class-init", &class_init, test_unrecoverable);
  g_test_add_data_func ("/Hotnode/Guard/unrecoverable/class-init-tcc", &class_init_tcc, test_unrecoverable);
  g_test_add_data_func ("/Hotnode/Guard/unrecoverable/constructor", &constructor, test_unrecoverable);

  return g_test_run ();
}
