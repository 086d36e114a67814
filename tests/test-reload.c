/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a reload does to the app's proxies: each proxy of the module is
 * built again from the new generation, nodes that vanished or are unknown
 * keep or get a placeholder, nested nodes come from the same generation,
 * the app may hold reloads, and a load that is refused leaves the
 * previous widgets. */
#include "config.h"

#include <hotnode.h>

#include "test-alpha.h"

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

  proxy = test_new_proxy ("alpha_label", NULL);
  g_assert_cmpstr (hot_node_get_node_name (HOT_NODE_PROXY (proxy)), ==, "alpha_label");
  g_assert_cmpstr (hot_node_get_module (HOT_NODE_PROXY (proxy)), ==, "alpha");
  g_assert_cmpuint (hot_node_get_generation (HOT_NODE_PROXY (proxy)), ==, 0);
  g_assert_cmpstr (test_proxy_text (proxy), ==, "alpha generation 0");
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

  alpha = test_new_proxy ("alpha_label", NULL);
  g_assert_true (test_alpha_reload ("libalpha-calls-app.so", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (test_proxy_text (alpha), ==, "the app describes generation 16");

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
  guint      reloads = test_alpha.reload_count;
  guint      rebuilds = hot_status_get_rebuild_count (status);

  g_test_summary ("A reload rebuilds every proxy of the module by name, once, in the main loop, "
                  "and leaves the other module's proxies alone");

  hot_node_args_set_string (args, "text", "kept");
  alpha = test_new_proxy ("alpha_label", NULL);
  beta = test_new_proxy ("beta_label", args);
  beta_child = hot_node_get_child (HOT_NODE_PROXY (beta));
  g_assert_cmpstr (test_proxy_text (beta), ==, "kept");

  g_assert_true (test_alpha_reload ("libalpha-gen2.so", &error));
  g_assert_no_error (error);

  g_assert_cmpstr (test_proxy_text (alpha), ==, "alpha generation 2");
  g_assert_cmpuint (hot_node_get_generation (HOT_NODE_PROXY (alpha)), ==, hot_status_get_generation (status));
  g_assert_cmpuint (hot_status_get_generation (status), >, 0);
  g_assert_true (hot_node_get_child (HOT_NODE_PROXY (beta)) == beta_child);
  g_assert_cmpuint (hot_node_get_generation (HOT_NODE_PROXY (beta)), ==, 0);

  g_assert_cmpuint (test_alpha.reload_count, ==, reloads + 1);
  g_assert_cmpuint (hot_status_get_rebuild_count (status), ==, rebuilds + 1);
  g_assert_null (hot_status_get_error (status));
  g_assert_false (hot_status_get_building (status));

  /* A proxy made now gets the newest generation's widget. */
  g_assert_finalize_object (alpha);
  alpha = test_new_proxy ("alpha_label", NULL);
  g_assert_cmpstr (test_proxy_text (alpha), ==, "alpha generation 2");

  g_assert_finalize_object (alpha);
  g_assert_finalize_object (beta);
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
  GtkWidget *proxy = test_new_proxy ("alpha_label", NULL);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *before = g_strdup (test_proxy_text (proxy));
  gint64           deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  guint            notified = 0;
  gulong           handler = g_signal_connect (status, "notify::held", G_CALLBACK (count_notify), &notified);

  g_test_summary ("While the app holds a module's reloads, a rebuild builds and loads but the proxies keep "
                  "the old code (HotStatus:held); the last release swaps the new code in");

  hot_reload_inhibit (service, "alpha");
  hot_reload_inhibit (service, NULL);
  test_alpha.next_variant = g_str_equal (before, "alpha generation 4") ? "libalpha-gen3.so" : "libalpha-gen4.so";
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
  g_assert_cmpstr (test_proxy_text (proxy), ==, before);

  /* One release of two: still held. */
  hot_reload_uninhibit (service, "alpha");
  test_run_main_loop_for (100);
  g_assert_null (result);
  g_assert_true (hot_status_get_held (status));
  g_assert_cmpstr (test_proxy_text (proxy), ==, before);

  hot_reload_uninhibit (service, NULL);
  g_assert_cmpstr (test_proxy_text (proxy), ==, before);
  g_assert_true (hot_reload_rebuild_finish (service, test_wait_for_result (&result), &error));
  g_assert_no_error (error);
  g_assert_false (hot_status_get_held (status));
  g_assert_cmpuint (notified, ==, 2);
  g_assert_cmpstr (test_proxy_text (proxy), !=, before);
  g_assert_true (g_str_has_prefix (test_proxy_text (proxy), "alpha generation "));

  g_signal_handler_disconnect (status, handler);
  g_assert_finalize_object (proxy);
}

static void
test_foreign_abi (void)
{
  g_test_summary ("A module built against another hotnode ABI is refused before any of its "
                  "code runs");
  test_alpha_assert_refused ("libalpha-foreign-abi.so", HOT_RELOAD_ERROR_ABI);
}

static void
test_vanished (void)
{
  g_autoptr (GError) error = NULL;
  GtkWidget *label = test_new_proxy ("alpha_label", NULL);
  GtkWidget *clicks = test_new_proxy ("alpha_clicks", NULL);
  GtkWidget *label_child = hot_node_get_child (HOT_NODE_PROXY (label));
  GtkWidget *clicks_child = hot_node_get_child (HOT_NODE_PROXY (clicks));

  g_test_summary ("A proxy whose node vanished keeps its child and says so, on the module's status");

  g_test_expect_message ("Hotnode", G_LOG_LEVEL_MESSAGE, "*“alpha_label” is no longer in module “alpha”*");
  g_test_expect_message ("Hotnode", G_LOG_LEVEL_MESSAGE, "Reloaded module “alpha”*");
  g_assert_true (test_alpha_reload ("libalpha-vanish.so", &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  g_assert_true (hot_node_get_child (HOT_NODE_PROXY (label)) == label_child);
  g_assert_true (hot_node_get_child (HOT_NODE_PROXY (clicks)) != clicks_child);
  g_assert_cmpstrv (hot_status_get_vanished_nodes (hot_reload_lookup_status (hot_reload_get_default (), "alpha")),
                    ((const char *[]){ "alpha_label", NULL }));

  /* It comes back with the next generation that has it. */
  g_assert_true (test_alpha_reload ("libalpha-gen4.so", &error));
  g_assert_cmpstr (test_proxy_text (label), ==, "alpha generation 4");
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
  proxy = test_new_proxy ("nowhere", NULL);
  g_test_assert_expected_messages ();
  g_assert_nonnull (strstr (test_proxy_text (proxy), "nowhere"));
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
  GtkWidget *outer = test_new_proxy ("alpha_outer", NULL);
  guint      reloads;

  g_test_summary ("A node that builds another node of its module: after each reload both come "
                  "from the new generation (a node added in the same save too), every time");

  for (guint i = 0; i < 2; i++)
    {
      reloads = test_alpha.reload_count;
      g_assert_true (test_alpha_reload ("libalpha-gen15.so", &error));
      g_assert_no_error (error);
      g_assert_cmpuint (test_alpha.reload_count, ==, reloads + 1);
      g_assert_cmpstr (outer_part (outer, 0), ==, "outer 15");
      g_assert_cmpstr (outer_part (outer, 1), ==, "alpha generation 15");
    }

  g_assert_true (test_alpha_reload ("libalpha-added.so", &error));
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
  GtkWidget *outer = test_new_proxy ("alpha_outer", NULL);
  GtkWidget *child = hot_node_get_child (HOT_NODE_PROXY (outer));

  g_test_summary ("New code that asks for a node its module no longer has is not built from an "
                  "older generation: the reload fails and says which node");

  error = test_alpha_reload_expecting_failure ("libalpha-vanish.so", HOT_RELOAD_ERROR_UNKNOWN_NODE);
  g_assert_nonnull (strstr (error->message, "alpha_label"));
  g_assert_true (hot_node_get_child (HOT_NODE_PROXY (outer)) == child);

  g_assert_finalize_object (outer);
}

static void
test_logged (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (GError) error = NULL;
      GtkWidget *proxy = test_new_proxy ("alpha_logs", NULL);
      GtkWidget *child = hot_node_get_child (HOT_NODE_PROXY (proxy));

      /* As in an app: warnings are written, not fatal. (The test
       * framework's expected messages would swallow GTK's critical before
       * anything else saw it.) */
      g_log_set_always_fatal (G_LOG_FATAL_MASK);
      g_assert_false (test_alpha_reload ("libalpha-logs.so", &error));
      g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOGGED);
      g_assert_nonnull (strstr (error->message, "gtk_widget_set_size_request"));
      g_assert_true (hot_node_get_child (HOT_NODE_PROXY (proxy)) == child);
      g_assert_cmpstr (test_proxy_text (proxy), ==, "quiet");

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

int
main (int   argc,
      char *argv[])
{
  if (!test_alpha_init (&argc, &argv))
    return 0;

  /* First: it checks the generation the app started with. */
  g_test_add_func ("/Hotnode/Reload/proxy", test_proxy);
  g_test_add_func ("/Hotnode/Reload/reinstantiate", test_reinstantiate);
  g_test_add_func ("/Hotnode/Reload/module-calls-app", test_module_calls_app);
  g_test_add_func ("/Hotnode/Reload/inhibit", test_inhibit);
  g_test_add_func ("/Hotnode/Reload/foreign-abi", test_foreign_abi);
  g_test_add_func ("/Hotnode/Reload/vanished", test_vanished);
  g_test_add_func ("/Hotnode/Reload/unknown", test_unknown);
  g_test_add_func ("/Hotnode/Reload/nested", test_nested);
  g_test_add_func ("/Hotnode/Reload/nested-vanished", test_nested_vanished);
  g_test_add_func ("/Hotnode/Reload/logged", test_logged);

  return test_alpha_run ();
}
