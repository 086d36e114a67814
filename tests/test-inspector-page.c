/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The "Hot Reload" page of the GTK Inspector, made directly (as the
 * inspector makes it) in a window under Xvfb, with HOT_RELOAD=1 and the
 * alpha and beta fixture modules: its rows, its buttons, its proxies, and a
 * PNG of it in the test log folder. Rebuilds name a library meson already
 * built (tests/fixtures), as in test-reload.c. */
#include "config.h"

#include <hotnode.h>
#include <signal.h>

#include "hot-inspector-page-private.h"
#include "hot-status-private.h"
#include "test-captures.h"
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

  g_assert_cmpstr (module, ==, "alpha");
  rebuilder_calls++;

  return test_prebuilt_rebuilder (service, module, output_path, &variant);
}

typedef struct
{
  GtkWidget *window;
  GtkWidget *page;
} Fixture;

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  GListModel *statuses = (GListModel *) data;

  fixture->page = hot_inspector_page_new (hot_reload_get_default (), statuses);
  fixture->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 720, 640);
  gtk_window_set_child (GTK_WINDOW (fixture->window), fixture->page);
  gtk_window_present (GTK_WINDOW (fixture->window));
  test_wait_for_frame (fixture->window);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
}

/* Whether a label under @root shows a text containing @text. */
static gboolean
shows (GtkWidget  *root,
       const char *text)
{
  if (GTK_IS_LABEL (root) && gtk_widget_get_visible (root) &&
      strstr (gtk_label_get_text (GTK_LABEL (root)), text) != NULL)
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    if (shows (child, text))
      return TRUE;

  return FALSE;
}

static guint
count_rows (GtkWidget *list)
{
  guint rows = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (list); child; child = gtk_widget_get_next_sibling (child))
    rows += GTK_IS_LIST_BOX_ROW (child);

  return rows;
}

/* The page's list boxes: modules first, proxies second. */
static GtkWidget *
nth_list (GtkWidget *root,
          guint     *n)
{
  if (GTK_IS_LIST_BOX (root) && (*n)-- == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = nth_list (child, n);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static GtkWidget *
list_of (GtkWidget *page,
         guint      n)
{
  GtkWidget *list = nth_list (page, &n);

  g_assert_nonnull (list);

  return list;
}

/* @button activates @action with the module's name. */
static void
assert_action (GtkWidget  *button,
               const char *action,
               const char *module)
{
  GVariant *target;

  g_assert_nonnull (button);
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), ==, action);
  target = gtk_actionable_get_action_target_value (GTK_ACTIONABLE (button));
  g_assert_nonnull (target);
  g_assert_cmpstr (g_variant_get_string (target, NULL), ==, module);
}

static void
on_hot_reload (HotReload  *service,
               const char *module,
               gpointer    user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* Clicks "Rebuild now" of alpha and waits for the new code to be live. */
static void
rebuild_alpha (Fixture *fixture)
{
  GtkWidget *button = test_find_named (fixture->page, "rebuild-alpha");
  guint      calls = rebuilder_calls;
  gboolean   reloaded = FALSE;
  gint64     deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC;
  gulong     handler = g_signal_connect (hot_reload_get_default (), "hot-reload", G_CALLBACK (on_hot_reload), &reloaded);

  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
  while (!reloaded)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("“Rebuild now” did not reload alpha within %d s", DEADLINE_S);
      g_main_context_iteration (NULL, TRUE);
    }
  g_signal_handler_disconnect (hot_reload_get_default (), handler);
  g_assert_cmpuint (rebuilder_calls, ==, calls + 1);
}

static void
test_registered (void)
{
  GIOExtensionPoint *point = g_io_extension_point_lookup ("gtk-inspector-page");
  GIOExtension      *extension;
  g_autoptr (GtkWidget) page = NULL;
  g_autofree char *title = NULL;

  g_test_summary ("With hot reload on, the GTK Inspector finds the page through the "
                  "gtk-inspector-page extension point, and can read its title");

  g_assert_true (hot_reload_get_enabled (hot_reload_get_default ()));
  g_assert_nonnull (point);
  extension = g_io_extension_point_get_extension_by_name (point, "hotnode");
  g_assert_nonnull (extension);
  g_assert_true (g_io_extension_get_type (extension) == HOT_TYPE_INSPECTOR_PAGE);

  /* As GtkInspectorWindow makes it. */
  page = g_object_ref_sink (g_object_new (g_io_extension_get_type (extension), NULL));
  g_object_get (page, "title", &title, NULL);
  g_assert_cmpstr (title, ==, "Hot Reload");
  g_assert_true (g_object_class_find_property (G_OBJECT_GET_CLASS (page), "object") != NULL);
  g_object_set (page, "object", page, NULL);
}

static void
test_rows (Fixture      *fixture,
           gconstpointer data)
{
  g_autoptr (GtkWidget) proxy = NULL;
  GtkWidget *proxies = list_of (fixture->page, 1);

  g_test_summary ("One row per module of the status model, with its generation and state, whose buttons "
                  "activate the hotnode actions; the live proxies with their node names, following the "
                  "service's list of proxies");

  g_assert_cmpuint (count_rows (list_of (fixture->page, 0)), ==, 2);
  g_assert_true (shows (fixture->page, "alpha"));
  g_assert_true (shows (fixture->page, "beta"));
  g_assert_true (shows (fixture->page, "Generation 0"));
  g_assert_true (shows (fixture->page, "No reload yet"));
  g_assert_nonnull (test_find_named (fixture->page, "rebuild-beta"));
  g_assert_false (gtk_widget_is_sensitive (test_find_named (fixture->page, "cancel-alpha")));
  g_assert_true (gtk_widget_is_sensitive (test_find_named (fixture->page, "rebuild-alpha")));
  assert_action (test_find_named (fixture->page, "rebuild-beta"), "hotnode.rebuild", "beta");
  assert_action (test_find_named (fixture->page, "cancel-alpha"), "hotnode.cancel", "alpha");
  assert_action (test_find_named (fixture->page, "reset-alpha"), "hotnode.reset-state", "alpha");
  g_assert_cmpuint (count_rows (proxies), ==, 0);

  proxy = g_object_ref_sink (hot_node_new ("alpha_label", NULL));
  /* "Reset state" builds the module's proxies afresh (here from the app's
   * own code: nothing was reloaded yet). */
  {
    GtkWidget *child = hot_node_get_child (HOT_NODE_PROXY (proxy));

    g_signal_emit_by_name (test_find_named (fixture->page, "reset-alpha"), "clicked");
    g_assert_true (hot_node_get_child (HOT_NODE_PROXY (proxy)) != child);
  }
  g_assert_cmpuint (count_rows (proxies), ==, 1);
  g_assert_true (shows (proxies, "alpha_label — module alpha"));

  /* The inspector selecting the proxy selects its row. */
  g_object_set (fixture->page, "object", proxy, NULL);
  g_assert_nonnull (gtk_list_box_get_selected_row (GTK_LIST_BOX (proxies)));
  /* Selecting a row highlights its proxy for a moment. */
  g_assert_true (gtk_widget_has_css_class (proxy, "hotnode-highlight"));

  g_object_set (fixture->page, "object", NULL, NULL);
  g_assert_finalize_object (g_steal_pointer (&proxy));
  g_assert_cmpuint (count_rows (proxies), ==, 0);
}

static void
test_rebuild (Fixture      *fixture,
              gconstpointer data)
{
  HotStatus       *alpha = hot_reload_lookup_status (hot_reload_get_default (), "alpha");
  g_autofree char *generation = NULL;

  g_test_summary ("“Rebuild now” rebuilds the row's module through the service; the row "
                  "follows the status: generation, builder, stages");

  rebuild_alpha (fixture);
  generation = g_strdup_printf ("Generation %u", hot_status_get_generation (alpha));
  g_assert_cmpuint (hot_status_get_generation (alpha), >, 0);
  g_assert_true (shows (fixture->page, generation));
  g_assert_true (shows (fixture->page, "with custom"));
  g_assert_true (shows (fixture->page, "dlopen"));
}

static void
test_screenshot (Fixture      *fixture,
                 gconstpointer data)
{
  GListStore *statuses = G_LIST_STORE ((gpointer) data);
  g_autoptr (HotStatus) broken = hot_status_new ("counter", "/src/counter");
  g_autoptr (HotStatus) crashed = hot_status_new ("form", "/src/form");
  g_autoptr (GError) build_error = g_error_new_literal (HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD, "Building module “counter” failed");
  g_autoptr (GError) crash_error = g_error_new_literal (HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_CRASHED, "crashed");
  g_autoptr (GListModel) diagnostics = test_capture_parse ("gcc-warning-and-error");
  g_autoptr (GtkWidget) proxy = g_object_ref_sink (hot_node_new ("alpha_label", NULL));
  g_autoptr (GtkWidget) other = g_object_ref_sink (hot_node_new ("beta_label", NULL));
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *path = g_build_filename (g_getenv ("HOTNODE_TEST_OUTPUT_DIR"), "inspector-page.png", NULL);

  g_test_summary ("The page with a reloaded module, a failed build and a crash, saved as a PNG");

  rebuild_alpha (fixture);
  hot_status_finish_build (broken, 420000, build_error, diagnostics, 0);
  g_list_store_append (statuses, broken);
  hot_status_set_crash (crashed, "form_panel", SIGSEGV,
                        "libform-3.so(form_panel+0x1d) [0x7f00deadbeef]\nlibhotnode-1.so.0(+0x9a21) [0x7f00cafe0000]");
  hot_status_finish_build (crashed, 410000, crash_error, NULL, 2);
  g_list_store_append (statuses, crashed);

  g_assert_cmpuint (count_rows (list_of (fixture->page, 0)), ==, 4);
  g_assert_true (shows (fixture->page, "‘missing_value’ undeclared"));
  g_assert_true (shows (fixture->page, "Crashed in form_panel (SIGSEGV)"));
  g_assert_cmpuint (count_rows (list_of (fixture->page, 1)), ==, 2);

  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 720, 900);
  test_wait_for_frame (fixture->window);
  test_wait_for_frame (fixture->window);
  texture = test_render (fixture->window, &GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (fixture->window),
                                                               gtk_widget_get_height (fixture->window)));
  g_mkdir_with_parents (g_getenv ("HOTNODE_TEST_OUTPUT_DIR"), 0755);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Saved %s", path);

  g_list_store_remove (statuses, 3);
  g_list_store_remove (statuses, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *private_dir = NULL;
  g_autoptr (GListStore) statuses = NULL;
  HotReload *service;
  int        status;

  if (!test_init_hot_reload (&argc, &argv, &private_dir))
    return 0;

  service = hot_reload_get_default ();
  hot_reload_set_rebuilder (service, counting_rebuilder, NULL, NULL);

  /* The service's statuses in a store of the test's own, to add made-up
   * ones to. */
  statuses = g_list_store_new (HOT_TYPE_STATUS);
  for (guint i = 0; i < g_list_model_get_n_items (hot_reload_get_status (service)); i++)
    {
      g_autoptr (HotStatus) item = g_list_model_get_item (hot_reload_get_status (service), i);

      g_list_store_append (statuses, item);
    }

  g_test_add_func ("/Hotnode/InspectorPage/registered", test_registered);
  g_test_add ("/Hotnode/InspectorPage/rows", Fixture, statuses, fixture_set_up, test_rows, fixture_tear_down);
  g_test_add ("/Hotnode/InspectorPage/rebuild", Fixture, statuses, fixture_set_up, test_rebuild, fixture_tear_down);
  g_test_add ("/Hotnode/InspectorPage/screenshot", Fixture, statuses, fixture_set_up, test_screenshot,
              fixture_tear_down);

  status = g_test_run ();
  test_remove_tree (private_dir);

  return status;
}
