/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* New code that crashes or never returns while a generation loads or
 * builds its widgets: rolled back where it can be, the app ending with a
 * report where it cannot, a crash of the app's own code left alone. Each
 * runs in a child process. */
#include "config.h"

#include <hotnode.h>
#include <signal.h>

#include "test-alpha.h"

/* A load that leaves glibc's library loader to a thread that will never
 * let go of it: stuck in a constructor. */
typedef struct
{
  const char *variant;
  guint       timeout_ms; /* room for a load on a busy machine, unless it must pass */
  int         code;
  const char *reason; /* in the error */
} StuckLoad;

static const StuckLoad never_returns = { "libalpha-stuck.so", 1000, HOT_RELOAD_ERROR_LOAD, "1000 ms" };

static void
test_stuck_load (gconstpointer data)
{
  const StuckLoad *stuck = data;

  if (g_test_subprocess ())
    {
      g_autoptr (GError) error = NULL;
      GtkWidget *proxy = test_new_proxy ("alpha_label", NULL);
      GtkWidget *child = hot_node_get_child (HOT_NODE_PROXY (proxy));

      hot_reload_set_load_timeout (hot_reload_get_default (), stuck->timeout_ms);
      error = test_alpha_reload_expecting_failure (stuck->variant, stuck->code);
      g_assert_nonnull (strstr (error->message, stuck->reason));
      g_clear_error (&error);
      g_assert_true (hot_node_get_child (HOT_NODE_PROXY (proxy)) == child);

      /* The app goes on; while the load holds glibc's loader, later loads
       * fail at once and say why. */
      error = test_alpha_reload_expecting_failure ("libalpha-gen2.so", HOT_RELOAD_ERROR_LOAD);
      g_assert_nonnull (strstr (error->message, "restart"));
      g_assert_true (hot_node_get_child (HOT_NODE_PROXY (proxy)) == child);

      g_assert_finalize_object (proxy);
      /* Returning lets the process exit, which must not hang on the lock. */
      return;
    }

  g_test_summary ("A library whose constructor never returns while it loads does not take the app "
                  "down: it keeps its widgets, reports it, and still exits");

  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_passed ();
}

static void
test_init_crash (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (GError) error = NULL;
      GtkWidget *proxy = test_new_proxy ("alpha_label", NULL);

      hot_reload_set_load_timeout (hot_reload_get_default (), 20000);
      test_alpha_reload ("libalpha-init-crash.so", &error);
      g_test_message ("Still running, showing %p", hot_node_get_child (HOT_NODE_PROXY (proxy)));
      g_assert_not_reached ();
    }

  g_test_summary ("A library that crashes in its ELF constructor while dlopen () loads it (with glibc's "
                  "loader locked) ends the app of that signal, with a report saying so, and does not hang");

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, 0);
  g_assert_false (g_test_trap_reached_timeout ());
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*hotnode: SIGSEGV*while loading the new library of module “alpha”*"
                             "cannot roll back safely*");
}

typedef struct
{
  const char *name;
  const char *variant;
  int         signal;
} CrashCase;

/* Crashes in the new code's own frames: rolled back. */
static const CrashCase crash_cases[] = {
  { "segv", "libalpha-crash-segv.so", SIGSEGV },
  { "fpe", "libalpha-crash-fpe.so", SIGFPE },
  { "endless", "libalpha-crash-loop.so", SIGALRM },
  { "ill", "libalpha-crash-ill.so", SIGILL },
  { "stack-overflow", "libalpha-crash-overflow.so", SIGSEGV },
  { "bus", "libalpha-crash-bus.so", SIGBUS },
};

static void
test_crash_abort (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (GError) error = NULL;
      GtkWidget *label = test_new_proxy ("alpha_label", NULL);

      hot_reload_set_load_timeout (hot_reload_get_default (), 20000);
      test_alpha_reload ("libalpha-crash-abort.so", &error);
      g_test_message ("Still running, showing %p", hot_node_get_child (HOT_NODE_PROXY (label)));
      g_assert_not_reached ();
    }

  g_test_summary ("abort () (a failed g_assert ()) called by a new generation's constructor happens inside "
                  "the C library, which cannot be rolled back: the app ends of SIGABRT, with a report "
                  "saying so, and does not hang");

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, 0);
  g_assert_false (g_test_trap_reached_timeout ());
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*hotnode: SIGABRT*hot node “alpha_label”, inside other code*"
                             "cannot roll back safely*");
}

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGALRM };

/* The handler of each fatal signal, as the app has them. */
static void
save_handlers (struct sigaction *handlers)
{
  for (guint i = 0; i < G_N_ELEMENTS (fatal_signals); i++)
    sigaction (fatal_signals[i], NULL, &handlers[i]);
}

static void
assert_handlers_unchanged (const struct sigaction *before)
{
  struct sigaction now[G_N_ELEMENTS (fatal_signals)];

  save_handlers (now);
  for (guint i = 0; i < G_N_ELEMENTS (fatal_signals); i++)
    {
      /* (glibc adds SA_RESTORER to the flags of whatever it installs.) */
      g_assert_true (now[i].sa_sigaction == before[i].sa_sigaction);
    }
}

static void
test_crash (gconstpointer data)
{
  const CrashCase *crash_case = data;

  if (g_test_subprocess ())
    {
      struct sigaction handlers[G_N_ELEMENTS (fatal_signals)];

      HotReload *service = hot_reload_get_default ();
      HotStatus *status = hot_reload_lookup_status (service, "alpha");
      g_autoptr (GError) error = NULL;
      g_autofree char *addr2line = NULL;
      /* First: its inner node crashes inside the outer one's guard. */
      GtkWidget *outer = test_new_proxy ("alpha_outer", NULL);
      GtkWidget *clicks = test_new_proxy ("alpha_clicks", NULL);
      GtkWidget *label = test_new_proxy ("alpha_label", NULL);
      GtkWidget *outer_child = hot_node_get_child (HOT_NODE_PROXY (outer));
      GtkWidget *clicks_child = hot_node_get_child (HOT_NODE_PROXY (clicks));
      GtkWidget *label_child = hot_node_get_child (HOT_NODE_PROXY (label));

      save_handlers (handlers);
      /* Long enough for any load and constructor on a busy machine; the
       * endless one runs into it. */
      hot_reload_set_load_timeout (service, 2000);
      error = test_alpha_reload_expecting_failure (crash_case->variant, HOT_RELOAD_ERROR_CRASHED);
      g_clear_error (&error);

      /* Rolled back: no proxy changed, not even the one built before the
       * crash; the crash is reported. */
      g_assert_true (hot_node_get_child (HOT_NODE_PROXY (outer)) == outer_child);
      g_assert_true (hot_node_get_child (HOT_NODE_PROXY (label)) == label_child);
      g_assert_true (hot_node_get_child (HOT_NODE_PROXY (clicks)) == clicks_child);
      g_assert_cmpstr (hot_status_get_crash_node (status), ==, "alpha_label");
      g_assert_cmpint (hot_status_get_crash_signal (status), ==, crash_case->signal);
      g_assert_nonnull (hot_status_get_crash_backtrace (status));
      g_test_message ("Backtrace:\n%s", hot_status_get_crash_backtrace (status));
      /* The crashing line, when binutils' addr2line is there to read the
       * module's debug information. */
      if (crash_case->signal == SIGSEGV && (addr2line = g_find_program_in_path ("addr2line")) != NULL)
        g_assert_nonnull (strstr (hot_status_get_crash_backtrace (status), "alpha.c:"));

      /* Alive: the next good save loads normally. */
      g_assert_true (test_alpha_reload ("libalpha-gen2.so", &error));
      g_assert_no_error (error);
      g_assert_cmpstr (test_proxy_text (label), ==, "alpha generation 2");
      g_assert_null (hot_status_get_crash_node (status));
      g_assert_finalize_object (outer);

      /* The guard is gone again: the app's own handlers are back. */
      assert_handlers_unchanged (handlers);

      g_assert_finalize_object (label);
      g_assert_finalize_object (clicks);
      return;
    }

  g_test_summary ("A crash (or an endless loop) in a new generation's constructor rolls the "
                  "reload back: the app lives on, reports it, and loads the next good save");

  /* A child process: if containment failed, only it would die. */
  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_passed ();
}

static void
test_crash_outside_hot_code (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (GError) error = NULL;
      GtkWidget *label = test_new_proxy ("alpha_label", NULL);

      g_assert_true (test_alpha_reload ("libalpha-gen3.so", &error));
      g_assert_cmpstr (test_proxy_text (label), ==, "alpha generation 3");

      /* A crash in the app's own code, after a reload: the process dies of
       * it as it would without hotnode. */
      raise (SIGSEGV);
      g_assert_not_reached ();
    }

  g_test_summary ("A crash outside a new generation's constructors is not caught: the app "
                  "dies of it as without hotnode");

  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stdout_unmatched ("*crashed*");
}

int
main (int   argc,
      char *argv[])
{
  if (!test_alpha_init (&argc, &argv))
    return 0;

  g_test_add_data_func ("/Hotnode/Reload/load-deadline", &never_returns, test_stuck_load);
  g_test_add_func ("/Hotnode/Reload/init-crash", test_init_crash);
  g_test_add_func ("/Hotnode/Reload/crash-outside-hot-code", test_crash_outside_hot_code);
  g_test_add_func ("/Hotnode/Reload/crash-abort", test_crash_abort);
  for (guint i = 0; i < G_N_ELEMENTS (crash_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/Hotnode/Reload/crash/%s", crash_cases[i].name);

      g_test_add_data_func (path, &crash_cases[i], test_crash);
    }

  return test_alpha_run ();
}
