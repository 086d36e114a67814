/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The service with HOT_RELOAD=1, through the public API only. The program
 * links tests/fixtures/alpha and beta; the service finds the modules of the
 * same names in this build's meson introspection. Generations are libraries
 * meson built from alpha.c with other macros: the rebuilder runs `true` and
 * names one of them as its output. */
#include "config.h"

#include <hotnode.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include "test-utils.h"

int alpha_get_count (void);

static const char        *next_variant;
static char              *private_dir; /* where the loader's copies go */
static const char *const *rebuild_argv; /* instead of `true`, when set */
static const char        *rebuild_output;
static gboolean           use_env_rebuilder; /* let HOT_RELOAD_REBUILDER decide */
static guint              reload_count;
static guint              failure_count;
static GThread           *main_thread;

static char **
test_rebuilder (HotReload  *service,
                const char *module,
                char      **output_path,
                gpointer    user_data)
{
  const char *true_argv[] = { "true", NULL };

  g_assert_cmpstr (module, ==, "alpha");
  /* The default output is the module's own library in this build. */
  g_assert_true (g_str_has_suffix (*output_path, "tests/fixtures/libalpha.so"));

  if (use_env_rebuilder)
    return NULL;

  g_free (*output_path);
  if (rebuild_output != NULL)
    *output_path = g_strdup (rebuild_output);
  else
    *output_path = g_test_build_filename (G_TEST_BUILT, "fixtures", next_variant, NULL);

  return g_strdupv ((char **) (rebuild_argv ? rebuild_argv : true_argv));
}

static void
on_hot_reload (HotReload  *service,
               const char *module,
               gpointer    user_data)
{
  g_assert_cmpstr (module, ==, "alpha");
  g_assert_true (g_thread_self () == main_thread);
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  reload_count++;
}

static void
on_reload_failed (HotReload    *service,
                  const char   *module,
                  const GError *error,
                  gpointer      user_data)
{
  g_assert_cmpstr (module, ==, "alpha");
  g_assert_nonnull (error);
  failure_count++;
}

/* Reloads alpha from @variant; returns whether the new generation is live. */
static gboolean
reload_to (const char *variant,
           GError    **error)
{
  HotReload *service = hot_reload_get_default ();
  g_autoptr (GAsyncResult) result = NULL;

  next_variant = variant;
  hot_reload_rebuild_async (service, "alpha", NULL, test_store_result, &result);

  return hot_reload_rebuild_finish (service, test_wait_for_result (&result), error);
}

/* Reloads alpha from @variant, which must fail with @code; returns the error. */
static GError *
reload_expecting_failure (const char *variant,
                          int         code)
{
  GError *error = NULL;

  g_test_expect_message ("Hotnode", G_LOG_LEVEL_WARNING, "Reloading module “alpha” failed*");
  g_assert_false (reload_to (variant, &error));
  g_test_assert_expected_messages ();
  g_assert_error (error, HOT_RELOAD_ERROR, code);

  return error;
}

static GtkWidget *
new_proxy (const char  *name,
           HotNodeArgs *args)
{
  GtkWidget *widget = g_object_ref_sink (hot_node_new (name, args));

  g_assert_true (HOT_IS_NODE (widget));

  return widget;
}

static const char *
child_text (GtkWidget *proxy)
{
  return gtk_label_get_text (GTK_LABEL (hot_node_get_child (HOT_NODE_PROXY (proxy))));
}

static void
test_proxy (void)
{
  HotReload  *service = hot_reload_get_default ();
  GListModel *model = hot_reload_get_status (service);
  GtkWidget  *proxy;
  HotStatus  *status;

  g_test_summary ("With HOT_RELOAD=1 hot_node_new returns a proxy around the executable's "
                  "widget, and the service lists the modules the app's nodes come from");

  g_assert_true (hot_reload_get_enabled (service));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  g_assert_nonnull (hot_reload_lookup_status (service, "alpha"));
  g_assert_nonnull (hot_reload_lookup_status (service, "beta"));
  /* The empty module has no entry in the app: it is not a hot module. */
  g_assert_null (hot_reload_lookup_status (service, "empty"));

  status = hot_reload_lookup_status (service, "alpha");
  g_assert_true (g_str_has_suffix (hot_status_get_source_dir (status), "tests/fixtures/alpha"));
  g_assert_cmpuint (hot_status_get_generation (status), ==, 0);
  g_assert_false (hot_status_get_building (status));

  proxy = new_proxy ("alpha_label", NULL);
  g_assert_cmpstr (hot_node_get_node_name (HOT_NODE_PROXY (proxy)), ==, "alpha_label");
  g_assert_cmpstr (hot_node_get_module (HOT_NODE_PROXY (proxy)), ==, "alpha");
  g_assert_cmpuint (hot_node_get_generation (HOT_NODE_PROXY (proxy)), ==, 0);
  g_assert_cmpstr (child_text (proxy), ==, "alpha generation 0");
  g_assert_finalize_object (proxy);
}

/* Called by the alpha-calls-app generation: a function only the app has. */
char *alpha_app_describe (int generation);

char *
alpha_app_describe (int generation)
{
  return g_strdup_printf ("the app describes generation %d", generation);
}

static void
test_module_calls_app (void)
{
  g_autoptr (GError) error = NULL;
  GtkWidget *alpha;

  g_test_summary ("A module may call a function of the app: dependency ('hotnode-1') exports the "
                  "app's functions");

  alpha = new_proxy ("alpha_label", NULL);
  g_assert_true (reload_to ("libalpha-calls-app.so", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (child_text (alpha), ==, "the app describes generation 16");

  g_assert_finalize_object (alpha);
}

static void
test_reinstantiate (void)
{
  HotReload *service = hot_reload_get_default ();
  HotStatus *status = hot_reload_lookup_status (service, "alpha");
  g_autoptr (HotNodeArgs) args = hot_node_args_new ();
  g_autoptr (GError) error = NULL;
  GtkWidget *alpha, *beta, *beta_child;
  guint      reloads = reload_count;
  guint      rebuilds = hot_status_get_rebuild_count (status);

  g_test_summary ("A reload rebuilds every proxy of the module by name, once, in the main loop, "
                  "and leaves the other module's proxies alone");

  hot_node_args_set_string (args, "text", "kept");
  alpha = new_proxy ("alpha_label", NULL);
  beta = new_proxy ("beta_label", args);
  beta_child = hot_node_get_child (HOT_NODE_PROXY (beta));
  g_assert_cmpstr (child_text (beta), ==, "kept");

  g_assert_true (reload_to ("libalpha-gen2.so", &error));
  g_assert_no_error (error);

  g_assert_cmpstr (child_text (alpha), ==, "alpha generation 2");
  g_assert_cmpuint (hot_node_get_generation (HOT_NODE_PROXY (alpha)), ==, hot_status_get_generation (status));
  g_assert_cmpuint (hot_status_get_generation (status), >, 0);
  g_assert_true (hot_node_get_child (HOT_NODE_PROXY (beta)) == beta_child);
  g_assert_cmpuint (hot_node_get_generation (HOT_NODE_PROXY (beta)), ==, 0);

  g_assert_cmpuint (reload_count, ==, reloads + 1);
  g_assert_cmpuint (hot_status_get_rebuild_count (status), ==, rebuilds + 1);
  g_assert_null (hot_status_get_error (status));
  g_assert_false (hot_status_get_building (status));

  /* A proxy made now gets the newest generation's widget. */
  g_assert_finalize_object (alpha);
  alpha = new_proxy ("alpha_label", NULL);
  g_assert_cmpstr (child_text (alpha), ==, "alpha generation 2");

  g_assert_finalize_object (alpha);
  g_assert_finalize_object (beta);
}

static void
test_static_survives (void)
{
  g_autoptr (GError) error = NULL;
  GtkWidget       *proxy = new_proxy ("alpha_clicks", NULL);
  int              start = alpha_get_count ();
  const char      *variants[] = { "libalpha-gen3.so", "libalpha-gen4.so", "libalpha-gen2.so" };
  g_autofree char *expected = NULL;

  g_test_summary ("A HOT_STATIC keeps its value over three reloads: new code reads and writes "
                  "the host's storage");

  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_assert_true (reload_to (variants[i], &error));
      g_assert_no_error (error);
    }

  /* Each generation's constructor counted once, into the host's storage. */
  g_assert_cmpint (alpha_get_count (), ==, start + 3);
  expected = g_strdup_printf ("clicks %d", start + 3);
  g_assert_cmpstr (child_text (proxy), ==, expected);

  g_assert_finalize_object (proxy);
}

static void
test_static_adopted (void)
{
  g_autoptr (GError) error = NULL;
  GtkWidget *proxy;

  g_test_summary ("A static new in a generation is adopted with its initial value and survives "
                  "the next reload; a node new in a generation can be instantiated");

  g_assert_true (reload_to ("libalpha-fresh.so", &error));
  g_assert_no_error (error);

  proxy = new_proxy ("alpha_fresh_label", NULL);
  g_assert_cmpstr (child_text (proxy), ==, "fresh 43");
  g_assert_cmpstr (hot_node_get_module (HOT_NODE_PROXY (proxy)), ==, "alpha");

  g_assert_true (reload_to ("libalpha-fresh.so", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (child_text (proxy), ==, "fresh 44");

  g_assert_finalize_object (proxy);
}

/* A reload of @variant (or with the rebuilder set up by the caller) must fail
 * with @code and change nothing; the next good build must clear the error. */
static void
assert_refused (const char *variant,
                int         code)
{
  HotStatus *status = hot_reload_lookup_status (hot_reload_get_default (), "alpha");
  g_autoptr (GError) error = NULL;
  GtkWidget *proxy = new_proxy ("alpha_label", NULL);
  GtkWidget *child = hot_node_get_child (HOT_NODE_PROXY (proxy));
  guint      generation = hot_status_get_generation (status);
  guint      reloads = reload_count, failures = failure_count;

  error = reload_expecting_failure (variant, code);
  rebuild_argv = NULL;
  rebuild_output = NULL;
  use_env_rebuilder = FALSE;
  g_clear_error (&error);

  g_assert_true (hot_node_get_child (HOT_NODE_PROXY (proxy)) == child);
  g_assert_cmpuint (hot_status_get_generation (status), ==, generation);
  g_assert_nonnull (hot_status_get_error (status));
  g_assert_true (g_error_matches (hot_status_get_error (status), HOT_RELOAD_ERROR, code));
  g_assert_cmpuint (reload_count, ==, reloads);
  g_assert_cmpuint (failure_count, ==, failures + 1);

  /* The next good build clears the error. */
  g_assert_true (reload_to ("libalpha-gen3.so", &error));
  g_assert_no_error (error);
  g_assert_null (hot_status_get_error (status));
  g_assert_cmpstr (child_text (proxy), ==, "alpha generation 3");

  g_assert_finalize_object (proxy);
}

static void
test_size_mismatch (void)
{
  g_test_summary ("A static that changed size refuses the load; the old generation stays live");
  assert_refused ("libalpha-size.so", HOT_RELOAD_ERROR_STATIC_SIZE);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

static void
test_inhibit (void)
{
  HotReload *service = hot_reload_get_default ();
  HotStatus *status = hot_reload_lookup_status (service, "alpha");
  GtkWidget *proxy = new_proxy ("alpha_label", NULL);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *before = g_strdup (child_text (proxy));
  gint64           deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  guint            notified = 0;
  gulong           handler = g_signal_connect (status, "notify::held", G_CALLBACK (count_notify), &notified);

  g_test_summary ("While the app holds a module's reloads, a rebuild builds and loads but the proxies keep "
                  "the old code (HotStatus:held); the last release swaps the new code in");

  hot_reload_inhibit (service, "alpha");
  hot_reload_inhibit (service, NULL);
  next_variant = g_str_equal (before, "alpha generation 4") ? "libalpha-gen3.so" : "libalpha-gen4.so";
  hot_reload_rebuild_async (service, "alpha", NULL, test_store_result, &result);
  while (!hot_status_get_held (status))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The reload of alpha was not held within 20 s");
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpuint (notified, ==, 1);
  g_assert_false (hot_status_get_building (status));
  g_assert_null (result);
  g_assert_cmpstr (child_text (proxy), ==, before);

  /* One release of two: still held. */
  hot_reload_uninhibit (service, "alpha");
  test_run_main_loop_for (100);
  g_assert_null (result);
  g_assert_true (hot_status_get_held (status));
  g_assert_cmpstr (child_text (proxy), ==, before);

  hot_reload_uninhibit (service, NULL);
  g_assert_cmpstr (child_text (proxy), ==, before);
  g_assert_true (hot_reload_rebuild_finish (service, test_wait_for_result (&result), &error));
  g_assert_no_error (error);
  g_assert_false (hot_status_get_held (status));
  g_assert_cmpuint (notified, ==, 2);
  g_assert_cmpstr (child_text (proxy), !=, before);
  g_assert_true (g_str_has_prefix (child_text (proxy), "alpha generation "));

  g_signal_handler_disconnect (status, handler);
  g_assert_finalize_object (proxy);
}

static void
test_type_change (void)
{
  g_test_summary ("A static whose type changed but not its size (int to float) refuses the load with "
                  "STATIC_TYPE: its bytes are never read as another type");
  assert_refused ("libalpha-type.so", HOT_RELOAD_ERROR_STATIC_TYPE);
}

static void
test_duplicate_key (void)
{
  g_test_summary ("A duplicate static key refuses the load; the old generation stays live");
  assert_refused ("libalpha-duplicate.so", HOT_RELOAD_ERROR_DUPLICATE_KEY);
}

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
test_foreign_abi (void)
{
  g_test_summary ("A module built against another hotnode ABI is refused before any of its "
                  "code runs");
  assert_refused ("libalpha-foreign-abi.so", HOT_RELOAD_ERROR_ABI);
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
  rebuild_argv = argv;
  assert_refused (NULL, HOT_RELOAD_ERROR_BUILD);
  g_signal_handler_disconnect (status, handler);

  /* The good build at the end of assert_refused() emptied the list. */
  g_assert_cmpuint (n_errors, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (hot_status_get_diagnostics (status)), ==, 0);
}

static void
test_rebuilder_not_found (void)
{
  const char *argv[] = { "/nonexistent/rebuilder", NULL };

  g_test_summary ("A rebuilder that cannot be run is a BUILD error");
  rebuild_argv = argv;
  assert_refused (NULL, HOT_RELOAD_ERROR_BUILD);
}

static void
test_rebuilder_killed (void)
{
  const char *argv[] = { "sh", "-c", "kill -KILL $$", NULL };

  g_test_summary ("A rebuilder killed by a signal is a BUILD error");
  rebuild_argv = argv;
  assert_refused (NULL, HOT_RELOAD_ERROR_BUILD);
}

static void
test_rebuilder_no_library (void)
{
  g_test_summary ("A rebuilder that succeeds without writing the library is a BUILD error");
  rebuild_output = "/nonexistent/libalpha.so";
  assert_refused (NULL, HOT_RELOAD_ERROR_BUILD);
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
  use_env_rebuilder = TRUE;
  assert_refused (NULL, HOT_RELOAD_ERROR_BUILD);

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
  use_env_rebuilder = TRUE;
  assert_refused (NULL, HOT_RELOAD_ERROR_BUILD);

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

  rebuild_argv = argv;
  assert_refused (NULL, HOT_RELOAD_ERROR_BUILD);
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

  rebuild_argv = argv;
  hot_reload_rebuild_async (hot_reload_get_default (), "alpha", NULL, test_store_result, result);
  rebuild_argv = NULL;

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
  GtkWidget *proxy = new_proxy ("alpha_label", NULL);
  guint      reloads = reload_count;
  guint      rebuilds = hot_status_get_rebuild_count (status);
  int        sleeper;

  g_test_summary ("A rebuild asked for during a build cancels it, with every process it "
                  "started, and builds again: one load, of the final content");

  sleeper = start_slow_build (pid_file, &first);
  g_assert_true (hot_status_get_building (status));

  next_variant = "libalpha-gen2.so";
  hot_reload_rebuild_async (service, "alpha", NULL, test_store_result, &second);

  g_assert_true (hot_reload_rebuild_finish (service, test_wait_for_result (&second), &error));
  g_assert_no_error (error);
  g_assert_true (hot_reload_rebuild_finish (service, test_wait_for_result (&first), &error));
  g_assert_no_error (error);

  g_assert_cmpuint (reload_count, ==, reloads + 1);
  g_assert_cmpuint (hot_status_get_rebuild_count (status), ==, rebuilds + 1);
  g_assert_cmpstr (child_text (proxy), ==, "alpha generation 2");
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
  guint reloads = reload_count, failures = failure_count;
  int   sleeper;

  g_test_summary ("hot_reload_cancel() stops the build and every process it started");

  sleeper = start_slow_build (pid_file, &result);
  hot_reload_cancel (service, "alpha");

  g_assert_false (hot_reload_rebuild_finish (service, test_wait_for_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (hot_status_get_building (status));
  g_assert_cmpuint (hot_status_get_rebuild_count (status), ==, rebuilds);
  g_assert_cmpuint (reload_count, ==, reloads);
  g_assert_cmpuint (failure_count, ==, failures);
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
  next_variant = again->variant;
  hot_reload_rebuild_async (service, module, NULL, test_store_result, &again->result);
}

static void
test_reentrant (void)
{
  HotReload *service = hot_reload_get_default ();
  g_autoptr (GError) error = NULL;
  GtkWidget *label = new_proxy ("alpha_label", NULL);
  Again      again = { "libalpha-gen4.so", FALSE, NULL };
  guint      reloads = reload_count;
  gulong     handler;

  g_test_summary ("A hot-reload handler may ask for another rebuild: its call completes with "
                  "the result of a build that started after it, and that build is live");

  handler = g_signal_connect (service, "hot-reload", G_CALLBACK (rebuild_from_handler), &again);
  g_assert_true (reload_to ("libalpha-gen3.so", &error));
  g_assert_no_error (error);
  g_assert_true (again.asked);

  g_assert_true (hot_reload_rebuild_finish (service, test_wait_for_result (&again.result), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (reload_count, ==, reloads + 2);
  g_assert_cmpstr (child_text (label), ==, "alpha generation 4");

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

static void
test_vanished (void)
{
  g_autoptr (GError) error = NULL;
  GtkWidget *label = new_proxy ("alpha_label", NULL);
  GtkWidget *clicks = new_proxy ("alpha_clicks", NULL);
  GtkWidget *label_child = hot_node_get_child (HOT_NODE_PROXY (label));
  GtkWidget *clicks_child = hot_node_get_child (HOT_NODE_PROXY (clicks));

  g_test_summary ("A proxy whose node vanished keeps its child and says so, on the module's status");

  g_test_expect_message ("Hotnode", G_LOG_LEVEL_MESSAGE, "*“alpha_label” is no longer in module “alpha”*");
  g_test_expect_message ("Hotnode", G_LOG_LEVEL_MESSAGE, "Reloaded module “alpha”*");
  g_assert_true (reload_to ("libalpha-vanish.so", &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  g_assert_true (hot_node_get_child (HOT_NODE_PROXY (label)) == label_child);
  g_assert_true (hot_node_get_child (HOT_NODE_PROXY (clicks)) != clicks_child);
  g_assert_cmpstrv (hot_status_get_vanished_nodes (hot_reload_lookup_status (hot_reload_get_default (), "alpha")),
                    ((const char *[]){ "alpha_label", NULL }));

  /* It comes back with the next generation that has it. */
  g_assert_true (reload_to ("libalpha-gen4.so", &error));
  g_assert_cmpstr (child_text (label), ==, "alpha generation 4");
  g_assert_null (hot_status_get_vanished_nodes (hot_reload_lookup_status (hot_reload_get_default (), "alpha")));

  g_assert_finalize_object (label);
  g_assert_finalize_object (clicks);
}

static void
test_unknown (void)
{
  HotReload *service = hot_reload_get_default ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GtkWidget *proxy;

  g_test_summary ("An unknown node gives a proxy with a placeholder; an unknown module an error");

  g_test_expect_message ("Hotnode", G_LOG_LEVEL_WARNING, "*“nowhere”*");
  proxy = new_proxy ("nowhere", NULL);
  g_test_assert_expected_messages ();
  g_assert_nonnull (strstr (child_text (proxy), "nowhere"));
  g_assert_null (hot_node_get_module (HOT_NODE_PROXY (proxy)));
  g_assert_finalize_object (proxy);

  hot_reload_rebuild_async (service, "nope", NULL, test_store_result, &result);
  g_assert_false (hot_reload_rebuild_finish (service, test_wait_for_result (&result), &error));
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_UNKNOWN_MODULE);
}

/* The text of the @index-th child of the box an alpha_outer proxy holds,
 * looking through proxies. */
static const char *
outer_part (GtkWidget *outer,
            guint      index)
{
  GtkWidget *part = gtk_widget_get_first_child (hot_node_get_child (HOT_NODE_PROXY (outer)));

  for (guint i = 0; i < index; i++)
    part = gtk_widget_get_next_sibling (part);
  if (HOT_IS_NODE (part))
    part = hot_node_get_child (HOT_NODE_PROXY (part));

  return gtk_label_get_text (GTK_LABEL (part));
}

static void
test_nested (void)
{
  g_autoptr (GError) error = NULL;
  GtkWidget *outer = new_proxy ("alpha_outer", NULL);
  guint      reloads;

  g_test_summary ("A node that builds another node of its module: after each reload both come "
                  "from the new generation (a node added in the same save too), every time");

  for (guint i = 0; i < 2; i++)
    {
      reloads = reload_count;
      g_assert_true (reload_to ("libalpha-gen15.so", &error));
      g_assert_no_error (error);
      g_assert_cmpuint (reload_count, ==, reloads + 1);
      g_assert_cmpstr (outer_part (outer, 0), ==, "outer 15");
      g_assert_cmpstr (outer_part (outer, 1), ==, "alpha generation 15");
    }

  g_assert_true (reload_to ("libalpha-added.so", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (outer_part (outer, 0), ==, "outer 13");
  g_assert_cmpstr (outer_part (outer, 1), ==, "alpha generation 13");
  g_assert_cmpstr (outer_part (outer, 2), ==, "added in the same save");

  g_assert_finalize_object (outer);
}

static void
test_nested_vanished (void)
{
  g_autoptr (GError) error = NULL;
  GtkWidget *outer = new_proxy ("alpha_outer", NULL);
  GtkWidget *child = hot_node_get_child (HOT_NODE_PROXY (outer));

  g_test_summary ("New code that asks for a node its module no longer has is not built from an "
                  "older generation: the reload fails and says which node");

  error = reload_expecting_failure ("libalpha-vanish.so", HOT_RELOAD_ERROR_UNKNOWN_NODE);
  g_assert_nonnull (strstr (error->message, "alpha_label"));
  g_assert_true (hot_node_get_child (HOT_NODE_PROXY (outer)) == child);

  g_assert_finalize_object (outer);
}

/* Whether the loaded copy of alpha's generation @number is still there:
 * a closed generation's copy is removed with it. */
static gboolean
copy_exists (guint number)
{
  g_autoptr (GDir) dir = g_dir_open (private_dir, 0, NULL);
  g_autofree char *name = g_strdup_printf ("alpha-%u.so", number);
  const char *run;

  while (dir != NULL && (run = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (private_dir, run, name, NULL);

      if (g_file_test (path, G_FILE_TEST_EXISTS))
        return TRUE;
    }

  return FALSE;
}

static void
test_copies_removed (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = g_dir_open (private_dir, 0, NULL);
  GtkWidget  *label = new_proxy ("alpha_label", NULL);
  const char *run;
  guint       n_links = 0;

  g_test_summary ("A loaded copy's file is removed once dlopen has mapped it (a link to the built library "
                  "takes its place), and its code runs on");

  g_assert_true (reload_to ("libalpha-gen2.so", &error));
  g_assert_no_error (error);
  g_assert_true (reload_to ("libalpha.so", &error));
  g_assert_no_error (error);

  while (dir != NULL && (run = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *run_path = g_build_filename (private_dir, run, NULL);
      g_autoptr (GDir) copies = g_dir_open (run_path, 0, NULL);
      const char *name;

      while (copies != NULL && (name = g_dir_read_name (copies)) != NULL)
        {
          g_autofree char *path = g_build_filename (run_path, name, NULL);

          if (!g_str_has_suffix (name, ".so"))
            continue;
          if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK))
            g_error ("The loaded copy %s is still there", path);
          n_links++;
        }
    }
  g_assert_cmpuint (n_links, >=, 2);

  /* The code of the newest generation, whose copy is gone, builds widgets. */
  g_assert_true (GTK_IS_LABEL (hot_node_get_child (HOT_NODE_PROXY (label))));
  g_assert_finalize_object (label);
}

static void
test_unload_open_window (void)
{
  HotReload *service = hot_reload_get_default ();
  g_autoptr (GError) error = NULL;
  GtkWidget *label = new_proxy ("alpha_label", NULL);
  GtkWidget *dialog;
  guint      first;

  g_test_summary ("With unloading on, a generation stays loaded while a window opened since it went "
                  "live is open (a dialog its code may have opened), and goes once it is closed");

  g_assert_true (reload_to ("libalpha-gen2.so", &error));
  first = hot_node_get_generation (HOT_NODE_PROXY (label));
  g_assert_true (copy_exists (first));

  hot_reload_set_unload_generations (service, TRUE);
  dialog = gtk_window_new ();
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_true (reload_to ("libalpha-gen3.so", &error));
  g_assert_cmpuint (hot_node_get_generation (HOT_NODE_PROXY (label)), !=, first);
  test_run_main_loop_for (200);
  g_assert_true (copy_exists (first));

  gtk_window_destroy (GTK_WINDOW (dialog));
  test_run_main_loop_for (200);
  g_assert_false (copy_exists (first));

  hot_reload_set_unload_generations (service, FALSE);
  g_assert_finalize_object (label);
}

static void
test_logged (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (GError) error = NULL;
      GtkWidget *proxy = new_proxy ("alpha_logs", NULL);
      GtkWidget *child = hot_node_get_child (HOT_NODE_PROXY (proxy));

      /* As in an app: warnings are written, not fatal. (The test
       * framework's expected messages would swallow GTK's critical before
       * anything else saw it.) */
      g_log_set_always_fatal (G_LOG_FATAL_MASK);
      g_assert_false (reload_to ("libalpha-logs.so", &error));
      g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOGGED);
      g_assert_nonnull (strstr (error->message, "gtk_widget_set_size_request"));
      g_assert_true (hot_node_get_child (HOT_NODE_PROXY (proxy)) == child);
      g_assert_cmpstr (child_text (proxy), ==, "quiet");

      g_assert_finalize_object (proxy);
      return;
    }

  g_test_summary ("New code that makes GTK log a critical while its widgets are built is not "
                  "reported as reloaded: the previous widgets stay, the messages are in the error "
                  "and still in the log");

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDOUT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*Gtk-CRITICAL*gtk_widget_set_size_request*Reloading module “alpha” failed*");
}

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
      GtkWidget *proxy = new_proxy ("alpha_label", NULL);
      GtkWidget *child = hot_node_get_child (HOT_NODE_PROXY (proxy));

      hot_reload_set_load_timeout (hot_reload_get_default (), stuck->timeout_ms);
      error = reload_expecting_failure (stuck->variant, stuck->code);
      g_assert_nonnull (strstr (error->message, stuck->reason));
      g_clear_error (&error);
      g_assert_true (hot_node_get_child (HOT_NODE_PROXY (proxy)) == child);

      /* The app goes on; while the load holds glibc's loader, later loads
       * fail at once and say why. */
      error = reload_expecting_failure ("libalpha-gen2.so", HOT_RELOAD_ERROR_LOAD);
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
      GtkWidget *proxy = new_proxy ("alpha_label", NULL);

      hot_reload_set_load_timeout (hot_reload_get_default (), 20000);
      reload_to ("libalpha-init-crash.so", &error);
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
      GtkWidget *label = new_proxy ("alpha_label", NULL);

      hot_reload_set_load_timeout (hot_reload_get_default (), 20000);
      reload_to ("libalpha-crash-abort.so", &error);
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
      GtkWidget *outer = new_proxy ("alpha_outer", NULL);
      GtkWidget *clicks = new_proxy ("alpha_clicks", NULL);
      GtkWidget *label = new_proxy ("alpha_label", NULL);
      GtkWidget *outer_child = hot_node_get_child (HOT_NODE_PROXY (outer));
      GtkWidget *clicks_child = hot_node_get_child (HOT_NODE_PROXY (clicks));
      GtkWidget *label_child = hot_node_get_child (HOT_NODE_PROXY (label));

      save_handlers (handlers);
      /* Long enough for any load and constructor on a busy machine; the
       * endless one runs into it. */
      hot_reload_set_load_timeout (service, 2000);
      error = reload_expecting_failure (crash_case->variant, HOT_RELOAD_ERROR_CRASHED);
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
      g_assert_true (reload_to ("libalpha-gen2.so", &error));
      g_assert_no_error (error);
      g_assert_cmpstr (child_text (label), ==, "alpha generation 2");
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
      GtkWidget *label = new_proxy ("alpha_label", NULL);

      g_assert_true (reload_to ("libalpha-gen3.so", &error));
      g_assert_cmpstr (child_text (label), ==, "alpha generation 3");

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
  HotReload       *service;
  int              status;

  if (!test_init_hot_reload (&argc, &argv, &private_dir))
    return 0;

  main_thread = g_thread_self ();
  service = hot_reload_get_default ();
  hot_reload_set_rebuilder (service, test_rebuilder, NULL, NULL);
  g_signal_connect (service, "hot-reload", G_CALLBACK (on_hot_reload), NULL);
  g_signal_connect (service, "reload-failed", G_CALLBACK (on_reload_failed), NULL);

  /* In order: each builds on the generations the ones before loaded. */
  g_test_add_func ("/Hotnode/Reload/proxy", test_proxy);
  g_test_add_func ("/Hotnode/Reload/reinstantiate", test_reinstantiate);
  g_test_add_func ("/Hotnode/Reload/module-calls-app", test_module_calls_app);
  g_test_add_func ("/Hotnode/Reload/static-survives", test_static_survives);
  g_test_add_func ("/Hotnode/Reload/static-adopted", test_static_adopted);
  g_test_add_func ("/Hotnode/Reload/size-mismatch", test_size_mismatch);
  g_test_add_func ("/Hotnode/Reload/type-change", test_type_change);
  g_test_add_func ("/Hotnode/Reload/inhibit", test_inhibit);
  g_test_add_func ("/Hotnode/Reload/duplicate-key", test_duplicate_key);
  g_test_add_func ("/Hotnode/Reload/foreign-abi", test_foreign_abi);
  g_test_add_func ("/Hotnode/Reload/build-failure", test_build_failure);
  g_test_add_func ("/Hotnode/Reload/rebuilder-not-found", test_rebuilder_not_found);
  g_test_add_func ("/Hotnode/Reload/rebuilder-killed", test_rebuilder_killed);
  g_test_add_func ("/Hotnode/Reload/rebuilder-no-library", test_rebuilder_no_library);
  g_test_add_func ("/Hotnode/Reload/env-rebuilder", test_env_rebuilder);
  g_test_add_func ("/Hotnode/Reload/rebuilder-floods", test_rebuilder_floods);
  g_test_add_func ("/Hotnode/Reload/rebuilder-not-utf8", test_rebuilder_not_utf8);
  g_test_add_func ("/Hotnode/Reload/rebuild-again", test_rebuild_again);
  g_test_add_func ("/Hotnode/Reload/cancel", test_cancel);
  g_test_add_func ("/Hotnode/Reload/reentrant", test_reentrant);
  g_test_add_func ("/Hotnode/Reload/call-cancelled", test_call_cancelled);
  g_test_add_data_func ("/Hotnode/Reload/load-deadline", &never_returns, test_stuck_load);
  g_test_add_func ("/Hotnode/Reload/init-crash", test_init_crash);
  g_test_add_func ("/Hotnode/Reload/crash-outside-hot-code", test_crash_outside_hot_code);
  g_test_add_func ("/Hotnode/Reload/crash-abort", test_crash_abort);
  for (guint i = 0; i < G_N_ELEMENTS (crash_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/Hotnode/Reload/crash/%s", crash_cases[i].name);

      g_test_add_data_func (path, &crash_cases[i], test_crash);
    }
  g_test_add_func ("/Hotnode/Reload/vanished", test_vanished);
  g_test_add_func ("/Hotnode/Reload/unknown", test_unknown);
  g_test_add_func ("/Hotnode/Reload/nested", test_nested);
  g_test_add_func ("/Hotnode/Reload/nested-vanished", test_nested_vanished);
  g_test_add_func ("/Hotnode/Reload/logged", test_logged);
  g_test_add_func ("/Hotnode/Reload/unload-open-window", test_unload_open_window);
  g_test_add_func ("/Hotnode/Reload/copies-removed", test_copies_removed);

  status = g_test_run ();
  test_remove_tree (private_dir);
  g_free (private_dir);

  return status;
}
