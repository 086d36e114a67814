/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The "hotnode" actions the overlay's and the Inspector page's buttons
 * activate, and the service's list of live proxies the UI follows, with
 * HOT_RELOAD=1 and the alpha fixture module in a window under Xvfb.
 * Rebuilds name a library meson already built (tests/fixtures). */
#include "config.h"

#include <hotnode.h>

#include "test-utils.h"

#define DEADLINE_S 20

static guint rebuilder_calls;

static char **
counting_rebuilder (HotReload  *service,
                    const char *module,
                    char      **output_path,
                    gpointer    user_data)
{
  static const char *variant = "libalpha-gen2.so";

  rebuilder_calls++;

  return test_prebuilt_rebuilder (service, module, output_path, &variant);
}

typedef struct
{
  GtkWidget *window;
  GtkWidget *proxy;
} Fixture;

/* A window showing a hot node, as an app has it. */
static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  fixture->proxy = hot_node_new ("alpha_label", NULL);
  g_assert_true (HOT_IS_NODE (fixture->proxy));
  fixture->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 320, 200);
  gtk_window_set_child (GTK_WINDOW (fixture->window), fixture->proxy);
  gtk_window_present (GTK_WINDOW (fixture->window));
  test_wait_for_frame (fixture->window);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
}

static void
on_hot_reload (HotReload  *service,
               const char *module,
               gpointer    user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
test_reset_state (Fixture      *fixture,
                  gconstpointer data)
{
  GtkWidget *child = hot_node_get_child (HOT_NODE_PROXY (fixture->proxy));

  g_test_summary ("A window that shows a hot node has the hotnode actions; hotnode.reset-state "
                  "builds the module's proxies afresh through the service");

  g_assert_true (gtk_widget_activate_action (fixture->proxy, "hotnode.reset-state", "s", "alpha"));
  g_assert_true (hot_node_get_child (HOT_NODE_PROXY (fixture->proxy)) != child);
  g_assert_nonnull (hot_node_get_child (HOT_NODE_PROXY (fixture->proxy)));
}

static void
test_rebuild (Fixture      *fixture,
              gconstpointer data)
{
  HotReload *service = hot_reload_get_default ();
  guint      calls = rebuilder_calls;
  gboolean   reloaded = FALSE;
  gint64     deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  gulong     handler = g_signal_connect (service, "hot-reload", G_CALLBACK (on_hot_reload), &reloaded);

  g_test_summary ("hotnode.rebuild rebuilds the module through the service; the window's proxy is "
                  "rebuilt by the new generation");

  g_assert_true (gtk_widget_activate_action (fixture->proxy, "hotnode.rebuild", "s", "alpha"));
  while (!reloaded)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("hotnode.rebuild did not reload alpha within %d s", DEADLINE_S);
      g_main_context_iteration (NULL, TRUE);
    }
  g_signal_handler_disconnect (service, handler);
  g_assert_cmpuint (rebuilder_calls, ==, calls + 1);
  g_assert_cmpuint (hot_node_get_generation (HOT_NODE_PROXY (fixture->proxy)), ==,
                    hot_status_get_generation (hot_reload_lookup_status (service, "alpha")));
  g_assert_cmpuint (hot_node_get_generation (HOT_NODE_PROXY (fixture->proxy)), >, 0);
}

static void
rebuilt (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GError **error = user_data;

  g_assert_false (hot_reload_rebuild_finish (HOT_RELOAD (source), result, error));
  g_assert_nonnull (*error);
}

static void
test_cancel (Fixture      *fixture,
             gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;

  g_test_summary ("hotnode.cancel stops the module's build through the service: a pending "
                  "rebuild ends cancelled");

  hot_reload_rebuild_async (hot_reload_get_default (), "alpha", NULL, rebuilt, &error);
  g_assert_true (gtk_widget_activate_action (fixture->proxy, "hotnode.cancel", "s", "alpha"));
  while (error == NULL)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The rebuild of alpha did not end within %d s", DEADLINE_S);
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
count_changes (GListModel *model,
               guint       position,
               guint       removed,
               guint       added,
               guint      *changes)
{
  changes[0] += removed;
  changes[1] += added;
}

static void
test_proxies (void)
{
  HotReload  *service = hot_reload_get_default ();
  GListModel *proxies = hot_reload_get_proxies (service);
  g_autoptr (GListModel) property = NULL;
  g_autoptr (GtkWidget) proxy = NULL;
  g_autoptr (HotNode) item = NULL;
  guint  changes[2] = { 0, 0 };
  guint  before = g_list_model_get_n_items (proxies);
  gulong handler = g_signal_connect (proxies, "items-changed", G_CALLBACK (count_changes), changes);

  g_test_summary ("HotReload:proxies lists each proxy from when it is made until it is finalized, "
                  "with items-changed, and keeps none alive");

  g_object_get (service, "proxies", &property, NULL);
  g_assert_true (property == proxies);
  g_assert_true (g_list_model_get_item_type (proxies) == HOT_TYPE_NODE);

  proxy = g_object_ref_sink (hot_node_new ("alpha_label", NULL));
  g_assert_cmpuint (changes[1], ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (proxies), ==, before + 1);
  item = g_list_model_get_item (proxies, before);
  g_assert_true (GTK_WIDGET (item) == proxy);
  g_clear_object (&item);

  g_assert_finalize_object (g_steal_pointer (&proxy));
  g_assert_cmpuint (changes[0], ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (proxies), ==, before);
  g_signal_handler_disconnect (proxies, handler);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *private_dir = NULL;
  int              status;

  if (!test_init_hot_reload (&argc, &argv, &private_dir))
    return 0;

  hot_reload_set_rebuilder (hot_reload_get_default (), counting_rebuilder, NULL, NULL);

  g_test_add_func ("/Hotnode/Actions/proxies", test_proxies);
  g_test_add ("/Hotnode/Actions/reset-state", Fixture, NULL, fixture_set_up, test_reset_state, fixture_tear_down);
  g_test_add ("/Hotnode/Actions/rebuild", Fixture, NULL, fixture_set_up, test_rebuild, fixture_tear_down);
  g_test_add ("/Hotnode/Actions/cancel", Fixture, NULL, fixture_set_up, test_cancel, fixture_tear_down);

  status = g_test_run ();
  test_remove_tree (private_dir);

  return status;
}
