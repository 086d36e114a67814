/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* State across a reload, with HOT_RELOAD=1, through the public API: the
 * alpha fixture's "alpha_form" (tests/fixtures/alpha/alpha-state.c) holds a
 * widget of every kind that has state; the test changes them as a user
 * would, reloads alpha from a prebuilt generation, and looks at the new
 * widgets. */
#include "config.h"

#include <hotnode.h>

#include "test-utils.h"

static const char *next_variant;
static guint       reloads;

typedef struct
{
  GtkStringList *items;
  GtkWidget     *window;
  GtkWidget     *proxy;
} Fixture;

/* Reloads alpha from the next prebuilt generation (they alternate, so each
 * reload shows other defaults). */
static void
reload (void)
{
  static const char *variants[] = { "libalpha-gen2.so", "libalpha-gen3.so", "libalpha-gen4.so" };
  HotReload         *service = hot_reload_get_default ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  next_variant = variants[reloads++ % G_N_ELEMENTS (variants)];
  hot_reload_rebuild_async (service, "alpha", NULL, test_store_result, &result);
  g_assert_true (hot_reload_rebuild_finish (service, test_wait_for_result (&result), &error));
  g_assert_no_error (error);
}

static int
variant_generation (void)
{
  return atoi (next_variant + strlen ("libalpha-gen"));
}

static GtkWidget *
find (GtkWidget  *root,
      const char *name,
      GType       type)
{
  if ((name != NULL && g_strcmp0 (gtk_widget_get_name (root), name) == 0) ||
      (name == NULL && G_TYPE_CHECK_INSTANCE_TYPE (root, type)))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find (child, name, type);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/* The widget named @name in the proxy's child. */
static GtkWidget *
named (Fixture    *fixture,
       const char *name)
{
  GtkWidget *found = find (hot_node_get_child (HOT_NODE_PROXY (fixture->proxy)), name, G_TYPE_NONE);

  g_assert_nonnull (found);
  return found;
}

/* The second entry of the form, which has no name. */
static GtkEditable *
second_entry (Fixture *fixture)
{
  GtkWidget *first = named (fixture, "name");

  return GTK_EDITABLE (gtk_widget_get_next_sibling (first));
}

static GtkWidget *
check_button (Fixture *fixture)
{
  return find (hot_node_get_child (HOT_NODE_PROXY (fixture->proxy)), NULL, GTK_TYPE_CHECK_BUTTON);
}

static GtkAdjustment *
list_adjustment (Fixture *fixture)
{
  return gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (named (fixture, "scroller")));
}

static GtkSingleSelection *
list_selection (Fixture *fixture)
{
  GtkWidget *view = gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (named (fixture, "scroller")));

  return GTK_SINGLE_SELECTION (gtk_list_view_get_model (GTK_LIST_VIEW (view)));
}

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  g_autoptr (HotNodeArgs) args = hot_node_args_new ();

  fixture->items = gtk_string_list_new (NULL);
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *item = g_strdup_printf ("item %u", i);

      gtk_string_list_append (fixture->items, item);
    }
  hot_node_args_set_object (args, "items", fixture->items);

  fixture->proxy = hot_node_new ("alpha_form", args);
  g_assert_true (HOT_IS_NODE (fixture->proxy));
  fixture->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 420, 700);
  gtk_window_set_child (GTK_WINDOW (fixture->window), fixture->proxy);
  gtk_window_present (GTK_WINDOW (fixture->window));
  test_wait_for_frame (fixture->window);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  g_object_add_weak_pointer (G_OBJECT (fixture->proxy), (gpointer *) &fixture->proxy);
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  g_assert_null (fixture->proxy);
  g_assert_finalize_object (fixture->items);
}

static void
test_by_name (Fixture      *fixture,
              gconstpointer data)
{
  GtkWidget *old_entry = named (fixture, "name");
  int        old_position;

  g_test_summary ("An entry found by its name keeps the text typed into it, with the cursor and the selection");

  gtk_editable_set_text (GTK_EDITABLE (old_entry), "typed by the user");
  gtk_editable_select_region (GTK_EDITABLE (old_entry), 3, 9);
  old_position = gtk_editable_get_position (GTK_EDITABLE (old_entry));
  reload ();

  {
    GtkEditable *entry = GTK_EDITABLE (named (fixture, "name"));
    int          start, end;

    g_assert_true (GTK_WIDGET (entry) != old_entry);
    g_assert_cmpstr (gtk_editable_get_text (entry), ==, "typed by the user");
    g_assert_true (gtk_editable_get_selection_bounds (entry, &start, &end));
    g_assert_cmpint (start, ==, 3);
    g_assert_cmpint (end, ==, 9);
    g_assert_cmpint (gtk_editable_get_position (entry), ==, old_position);
  }
}

static void
test_by_position (Fixture      *fixture,
                  gconstpointer data)
{
  GtkWidget *old_check = check_button (fixture);

  g_test_summary ("Widgets without a name are matched by type and place: an entry and a check button");

  gtk_editable_set_text (second_entry (fixture), "mine");
  gtk_check_button_set_active (GTK_CHECK_BUTTON (old_check), TRUE);
  reload ();

  g_assert_true (check_button (fixture) != old_check);
  g_assert_cmpstr (gtk_editable_get_text (second_entry (fixture)), ==, "mine");
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (check_button (fixture))));
  g_assert_false (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (named (fixture, "toggle"))));
}

static void
test_new_default (Fixture      *fixture,
                  gconstpointer data)
{
  g_autofree char *expected = NULL;

  g_test_summary ("What the user did not change shows the new code's default; over two reloads, what "
                  "they changed stays");

  gtk_editable_set_text (GTK_EDITABLE (named (fixture, "name")), "typed");
  reload ();
  expected = g_strdup_printf ("default %d", variant_generation ());
  g_assert_cmpstr (gtk_editable_get_text (second_entry (fixture)), ==, expected);
  reload ();
  g_free (expected);
  expected = g_strdup_printf ("default %d", variant_generation ());
  g_assert_cmpstr (gtk_editable_get_text (second_entry (fixture)), ==, expected);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (named (fixture, "name"))), ==, "typed");
}

static void
test_kinds (Fixture      *fixture,
            gconstpointer data)
{
  GtkTextBuffer   *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (named (fixture, "text")));
  GtkTextIter      start, end;
  g_autofree char *text = NULL;
  int              turns = 0;

  g_test_summary ("Each kind of widget keeps what the user changed: toggles, switch, spin button, scale, "
                  "text view, expander, stack, notebook, paned, and a custom widget through HotStateful");

  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (named (fixture, "toggle")), TRUE);
  gtk_switch_set_active (GTK_SWITCH (named (fixture, "switch")), TRUE);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (named (fixture, "spin")), 42);
  gtk_range_set_value (GTK_RANGE (named (fixture, "scale")), 7);
  gtk_text_buffer_set_text (buffer, "a note", -1);
  gtk_expander_set_expanded (GTK_EXPANDER (named (fixture, "expander")), TRUE);
  gtk_stack_set_visible_child_name (GTK_STACK (named (fixture, "stack")), "second");
  gtk_notebook_set_current_page (GTK_NOTEBOOK (named (fixture, "notebook")), 2);
  gtk_paned_set_position (GTK_PANED (named (fixture, "paned")), 77);
  g_object_set (named (fixture, "dial"), "turns", 1234, NULL);
  reload ();

  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (named (fixture, "toggle"))));
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (named (fixture, "switch"))));
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (named (fixture, "spin"))), ==, 42);
  g_assert_cmpfloat (gtk_range_get_value (GTK_RANGE (named (fixture, "scale"))), ==, 7);
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (named (fixture, "text")));
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, TRUE);
  g_assert_cmpstr (text, ==, "a note");
  g_assert_true (gtk_expander_get_expanded (GTK_EXPANDER (named (fixture, "expander"))));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (named (fixture, "stack"))), ==, "second");
  g_assert_cmpint (gtk_notebook_get_current_page (GTK_NOTEBOOK (named (fixture, "notebook"))), ==, 2);
  g_assert_cmpint (gtk_paned_get_position (GTK_PANED (named (fixture, "paned"))), ==, 77);
  /* The new generation's own type, which the app knows by its interface. */
  g_assert_true (HOT_IS_STATEFUL (named (fixture, "dial")));
  g_object_get (named (fixture, "dial"), "turns", &turns, NULL);
  g_assert_cmpint (turns, ==, 1234);
}

/* Runs frames until @adjustment has @value, or fails after 2 s. */
static void
wait_for_value (Fixture       *fixture,
                GtkAdjustment *adjustment,
                double         value)
{
  gint64 deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;

  while (!G_APPROX_VALUE (gtk_adjustment_get_value (adjustment), value, 0.5))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The list was not scrolled to %.0f within 2 s (it is at %.0f)", value,
                 gtk_adjustment_get_value (adjustment));
      test_wait_for_frame (fixture->window);
    }
}

static void
test_list (Fixture      *fixture,
           gconstpointer data)
{
  g_test_summary ("A list over the app's model keeps its scroll position and its selection");

  gtk_single_selection_set_selected (list_selection (fixture), 30);
  gtk_adjustment_set_value (list_adjustment (fixture), 500);
  wait_for_value (fixture, list_adjustment (fixture), 500);
  reload ();

  g_assert_cmpuint (gtk_single_selection_get_selected (list_selection (fixture)), ==, 30);
  wait_for_value (fixture, list_adjustment (fixture), 500);
}

static GtkWidget *
window_focus (Fixture *fixture)
{
  return gtk_root_get_focus (GTK_ROOT (fixture->window));
}

static void
test_focus (Fixture      *fixture,
            gconstpointer data)
{
  GtkWidget *entry;

  g_test_summary ("The keyboard focus stays in the second entry, with the cursor where it was");

  entry = GTK_WIDGET (second_entry (fixture));
  gtk_widget_grab_focus (entry);
  gtk_editable_set_text (GTK_EDITABLE (entry), "focused");
  gtk_editable_set_position (GTK_EDITABLE (entry), 2);
  g_assert_true (gtk_widget_is_ancestor (window_focus (fixture), entry));
  reload ();

  entry = GTK_WIDGET (second_entry (fixture));
  g_assert_nonnull (window_focus (fixture));
  g_assert_true (gtk_widget_is_ancestor (window_focus (fixture), entry));
  g_assert_cmpint (gtk_editable_get_position (GTK_EDITABLE (entry)), ==, 2);
}

static void
test_keep_state_off (Fixture      *fixture,
                     gconstpointer data)
{
  g_autofree char *expected = NULL;

  g_test_summary ("A proxy that keeps no state starts afresh at each reload");

  g_assert_true (hot_node_get_keep_state (HOT_NODE_PROXY (fixture->proxy)));
  hot_node_set_keep_state (HOT_NODE_PROXY (fixture->proxy), FALSE);
  gtk_editable_set_text (GTK_EDITABLE (named (fixture, "name")), "typed");
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check_button (fixture)), TRUE);
  reload ();

  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (named (fixture, "name"))), ==, "");
  g_assert_false (gtk_check_button_get_active (GTK_CHECK_BUTTON (check_button (fixture))));
  expected = g_strdup_printf ("form %d", variant_generation ());
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (named (fixture, "title"))), ==, expected);
}

static void
save_screenshot (Fixture    *fixture,
                 const char *name)
{
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *path = g_build_filename (g_getenv ("HOTNODE_TEST_OUTPUT_DIR"), name, NULL);

  test_wait_for_frame (fixture->window);
  texture = test_render (fixture->window, &GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (fixture->window),
                                                               gtk_widget_get_height (fixture->window)));
  g_mkdir_with_parents (g_getenv ("HOTNODE_TEST_OUTPUT_DIR"), 0755);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Saved %s", path);
}

static void
test_screenshots (Fixture      *fixture,
                  gconstpointer data)
{
  g_test_summary ("Before and after a reload with typed text, a scrolled list and a ticked box: "
                  "state-before.png and state-after.png in the test output folder");

  if (g_getenv ("HOTNODE_TEST_OUTPUT_DIR") == NULL)
    {
      g_test_skip ("HOTNODE_TEST_OUTPUT_DIR is not set");
      return;
    }

  gtk_editable_set_text (GTK_EDITABLE (named (fixture, "name")), "typed before the reload");
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check_button (fixture)), TRUE);
  gtk_single_selection_set_selected (list_selection (fixture), 18);
  gtk_adjustment_set_value (list_adjustment (fixture), 300);
  wait_for_value (fixture, list_adjustment (fixture), 300);
  save_screenshot (fixture, "state-before.png");
  reload ();
  wait_for_value (fixture, list_adjustment (fixture), 300);
  /* The list lays its rows out again in the frame after the scroll. */
  test_wait_for_frame (fixture->window);
  save_screenshot (fixture, "state-after.png");
}

static void
test_reset (Fixture      *fixture,
            gconstpointer data)
{
  HotReload *service = hot_reload_get_default ();
  GtkWidget *clicks = g_object_ref_sink (hot_node_new ("alpha_clicks", NULL));
  g_autoptr (GError) error = NULL;
  g_autofree char *title = NULL;

  g_test_summary ("A reset rebuilds the module's proxies with the live code, carrying no state, and gives "
                  "its statics their first values");

  gtk_editable_set_text (GTK_EDITABLE (named (fixture, "name")), "typed");
  reload ();
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (named (fixture, "name"))), ==, "typed");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (hot_node_get_child (HOT_NODE_PROXY (clicks)))), !=, "clicks 1");

  g_assert_true (hot_reload_reset (service, "alpha", &error));
  g_assert_no_error (error);

  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (named (fixture, "name"))), ==, "");
  title = g_strdup_printf ("form %d", variant_generation ());
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (named (fixture, "title"))), ==, title);
  /* alpha_count went back to 0, and the rebuilt node counted once. */
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (hot_node_get_child (HOT_NODE_PROXY (clicks)))), ==, "clicks 1");

  g_assert_false (hot_reload_reset (service, "no-such-module", &error));
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_UNKNOWN_MODULE);
  g_assert_finalize_object (clicks);
}

static void
test_one_handler (gconstpointer data)
{
  gboolean   unloading = GPOINTER_TO_INT (data);
  GtkWidget *button = g_object_ref_sink (gtk_button_new ());
  g_autoptr (HotNodeArgs) args = hot_node_args_new ();
  GtkWidget *proxy;
  guint      first_source;

  if (unloading)
    g_test_summary ("With unloading on, the older generations of a node that connected to an app object "
                    "(tied to its widget) are closed once their widgets are gone, and a click runs the "
                    "live one's handler, once, and nothing closed");
  else
    g_test_summary ("A node that connects to an object of the app with g_signal_connect_object () and owns "
                    "its timeout with hot_node_own_source (): after three reloads one handler runs and the "
                    "first timeout is gone");

  hot_reload_set_unload_generations (hot_reload_get_default (), unloading);
  hot_node_args_set_object (args, "button", button);
  proxy = g_object_ref_sink (hot_node_new ("alpha_listener", args));
  first_source = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "alpha-source"));
  g_assert_nonnull (g_main_context_find_source_by_id (NULL, first_source));

  for (int i = 0; i < 3; i++)
    reload ();
  /* Older generations are closed from idles. */
  test_run_main_loop_for (200);

  g_assert_null (g_main_context_find_source_by_id (NULL, first_source));
  g_signal_emit_by_name (button, "clicked");
  g_assert_cmpint (GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "alpha-clicks")), ==, 1);

  hot_reload_set_unload_generations (hot_reload_get_default (), FALSE);
  g_assert_finalize_object (proxy);
  g_clear_pointer (&args, hot_node_args_unref);
  g_assert_finalize_object (button);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *private_dir = NULL;
  int              status;

  if (!test_init_hot_reload (&argc, &argv, &private_dir))
    return 0;

  hot_reload_set_rebuilder (hot_reload_get_default (), test_prebuilt_rebuilder, &next_variant, NULL);

#define ADD(path, func) g_test_add ("/Hotnode/State/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("by-name", test_by_name);
  ADD ("by-position", test_by_position);
  ADD ("new-default", test_new_default);
  ADD ("kinds", test_kinds);
  ADD ("list", test_list);
  ADD ("focus", test_focus);
  ADD ("keep-state-off", test_keep_state_off);
  ADD ("screenshots", test_screenshots);
  ADD ("reset", test_reset);
#undef ADD
  g_test_add_data_func ("/Hotnode/State/one-handler", GINT_TO_POINTER (FALSE), test_one_handler);
  g_test_add_data_func ("/Hotnode/State/one-handler-unloading", GINT_TO_POINTER (TRUE), test_one_handler);

  status = g_test_run ();
  test_remove_tree (private_dir);

  return status;
}
