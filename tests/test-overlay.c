/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The developer overlay in a real window under Xvfb, through each of its
 * states, driven by real HotStatus objects. Saves a PNG of each state to the
 * test log folder. With HOTNODE_TEST_LANGUAGE=de it runs in German from the
 * catalogues this build compiled. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <hotnode.h>
#include <signal.h>

#include "hot-node-private.h"
#include "hot-overlay-private.h"
#include "hot-status-private.h"
#include "hot-window-overlay-private.h"
#include "test-captures.h"
#include "test-utils.h"

typedef struct
{
  const char *building;
  const char *crashed;
  const char *failed;
  const char *hide;
  const char *show;
  const char *reloaded;
  const char *held;
  const char *restored;
  const char *more;
} Strings;

static const Strings english = {
  "Building counter…", "counter: the new code crashed; the previous code is still running", "counter: the build failed", "[Hide]", "[Show]", "Reloaded counter",
  "counter: the app holds its reloads; the new code waits", "counter is back to its live code",
  "The first 200 of 5000 diagnostics are shown; the log has all of them"
};
static const Strings german = {
  "counter wird gebaut …", "counter: Der neue Code ist abgestürzt; der vorige Code läuft weiter", "counter: Der Build ist fehlgeschlagen", "[Verbergen]", "[Zeigen]", "counter neu geladen",
  "counter: Die Anwendung hält seine Neuladevorgänge an; der neue Code wartet",
  "counter läuft wieder mit seinem aktuellen Code", "Die ersten 200 von 5000 Meldungen werden angezeigt; das Protokoll enthält alle"
};

static const Strings *expected;

typedef struct
{
  GtkWidget  *window;
  GtkWidget  *entry;
  GtkWidget  *overlay;
  GListStore *statuses;
  HotStatus  *counter;
} Fixture;

/* Runs the main loop until the window and its overlay show what changed:
 * the overlay's popover is placed after the window's next frame, and takes
 * a frame of its own to show its new size (hot-window-overlay.c). */
static void
wait_for_overlay (GtkWidget *window)
{
  GtkWidget *popover = hot_window_overlay_get_popover (GTK_WINDOW (window));
  gint64     deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;

  test_wait_for_frame (window);
  test_wait_for_frame (window);
  while (popover != NULL && gtk_widget_get_mapped (popover))
    {
      GtkWidget *overlay = gtk_popover_get_child (GTK_POPOVER (popover));
      int        width, height;

      gtk_widget_measure (overlay, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &width, NULL, NULL);
      gtk_widget_measure (overlay, GTK_ORIENTATION_VERTICAL, width, NULL, &height, NULL, NULL);
      if (gtk_widget_get_width (overlay) == width && gtk_widget_get_height (overlay) == height)
        break;
      if (g_get_monotonic_time () > deadline)
        g_error ("The overlay is %d×%d after 2 s, not %d×%d", gtk_widget_get_width (overlay),
                 gtk_widget_get_height (overlay), width, height);
      test_wait_for_frame (popover);
    }
}

/* The window as it is seen: its own rendering, and the overlay's popover
 * (a surface of its own) drawn where it is. */
static cairo_surface_t *
render_seen (GtkWidget *window)
{
  g_autoptr (GdkTexture) texture = NULL;
  GtkWidget       *popover = hot_window_overlay_get_popover (GTK_WINDOW (window));
  int              width = gtk_widget_get_width (window);
  int              height = gtk_widget_get_height (window);
  cairo_surface_t *image = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  cairo_t         *cr = cairo_create (image);

  wait_for_overlay (window);
  texture = test_render (window, &GRAPHENE_RECT_INIT (0, 0, width, height));
  cairo_surface_flush (image);
  gdk_texture_download (texture, cairo_image_surface_get_data (image), cairo_image_surface_get_stride (image));
  cairo_surface_mark_dirty (image);

  if (popover != NULL && gtk_widget_get_mapped (popover))
    {
      g_autoptr (GdkTexture) popover_texture = NULL;
      GdkSurface      *surface = gtk_native_get_surface (GTK_NATIVE (popover));
      int              pw = gdk_surface_get_width (surface);
      int              ph = gdk_surface_get_height (surface);
      cairo_surface_t *part = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, pw, ph);

      popover_texture = test_render (popover, &GRAPHENE_RECT_INIT (0, 0, pw, ph));
      gdk_texture_download (popover_texture, cairo_image_surface_get_data (part), cairo_image_surface_get_stride (part));
      cairo_surface_mark_dirty (part);
      cairo_set_source_surface (cr, part, gdk_popup_get_position_x (GDK_POPUP (surface)),
                                gdk_popup_get_position_y (GDK_POPUP (surface)));
      cairo_paint (cr);
      cairo_surface_destroy (part);
    }
  cairo_destroy (cr);

  return image;
}

static void
save_screenshot (GtkWidget  *window,
                 const char *state)
{
  const char      *language = g_getenv ("HOTNODE_TEST_LANGUAGE");
  g_autofree char *name = g_strdup_printf ("overlay-%s%s%s.png", state, language ? "-" : "", language ? language : "");
  g_autofree char *path = g_build_filename (g_getenv ("HOTNODE_TEST_OUTPUT_DIR"), name, NULL);
  cairo_surface_t *image = render_seen (window);

  g_mkdir_with_parents (g_getenv ("HOTNODE_TEST_OUTPUT_DIR"), 0755);
  g_assert_cmpint (cairo_surface_write_to_png (image, path), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy (image);
  g_test_message ("Saved %s", path);
}

/* Where the overlay's popover is, in the window's coordinates. */
static void
overlay_bounds (GtkWidget    *window,
                GdkRectangle *bounds)
{
  GtkWidget  *popover = hot_window_overlay_get_popover (GTK_WINDOW (window));
  GdkSurface *surface;

  wait_for_overlay (window);
  g_assert_nonnull (popover);
  g_assert_true (gtk_widget_get_mapped (popover));
  surface = gtk_native_get_surface (GTK_NATIVE (popover));
  *bounds = (GdkRectangle){ gdk_popup_get_position_x (GDK_POPUP (surface)), gdk_popup_get_position_y (GDK_POPUP (surface)),
                            gdk_surface_get_width (surface), gdk_surface_get_height (surface) };
}

static void
assert_inside_window (GtkWidget *window)
{
  GdkRectangle bounds;

  overlay_bounds (window, &bounds);
  g_test_message ("Overlay at %d,%d, %d×%d in a window of %d×%d", bounds.x, bounds.y, bounds.width, bounds.height,
                  gtk_widget_get_width (window), gtk_widget_get_height (window));
  g_assert_cmpint (bounds.x, >=, 0);
  g_assert_cmpint (bounds.y, >=, 0);
  g_assert_cmpint (bounds.x + bounds.width, <=, gtk_widget_get_width (window));
  g_assert_cmpint (bounds.y + bounds.height, <=, gtk_widget_get_height (window));
}

static char *
diagnostics_dir (void)
{
  return g_test_build_filename (G_TEST_DIST, "data", "diagnostics", NULL);
}

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  g_autoptr (HotStatus) form = hot_status_new ("form", "/src/form");
  g_autofree char *source_root = diagnostics_dir ();

  fixture->counter = hot_status_new ("counter", "/src/counter");
  fixture->statuses = g_list_store_new (HOT_TYPE_STATUS);
  g_list_store_append (fixture->statuses, fixture->counter);
  g_list_store_append (fixture->statuses, form);

  fixture->entry = gtk_entry_new ();
  gtk_box_append (GTK_BOX (content), gtk_label_new ("The app's own widgets"));
  gtk_box_append (GTK_BOX (content), fixture->entry);
  gtk_widget_set_margin_top (content, 24);
  gtk_widget_set_margin_start (content, 24);
  gtk_widget_set_margin_end (content, 24);

  fixture->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 760, 400);
  gtk_window_set_child (GTK_WINDOW (fixture->window), content);
  gtk_window_present (GTK_WINDOW (fixture->window));
  fixture->overlay = hot_window_overlay_ensure (GTK_WINDOW (fixture->window), G_LIST_MODEL (fixture->statuses),
                                                source_root);
  /* One overlay a window, and the window's child stays the app's. */
  g_assert_true (hot_window_overlay_ensure (GTK_WINDOW (fixture->window), G_LIST_MODEL (fixture->statuses), NULL) ==
                 fixture->overlay);
  g_assert_true (gtk_window_get_child (GTK_WINDOW (fixture->window)) == content);
  gtk_widget_grab_focus (fixture->entry);
  test_wait_for_frame (fixture->window);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  g_clear_object (&fixture->counter);
  g_clear_object (&fixture->statuses);
}

static char *
overlay_text (Fixture *fixture)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (fixture->window));

  /* Whatever the overlay shows, the app keeps the keyboard focus (an
   * entry's focus is its inner text widget). */
  g_assert_nonnull (focus);
  g_assert_true (focus == fixture->entry || gtk_widget_is_ancestor (focus, fixture->entry));

  return hot_overlay_get_text (HOT_OVERLAY (fixture->overlay));
}

static void
assert_shows (Fixture    *fixture,
              const char *expected_text)
{
  g_autofree char *text = overlay_text (fixture);

  if (strstr (text, expected_text) == NULL)
    g_error ("The overlay does not show “%s”; it shows:\n%s", expected_text, text);
}

/* The overlay is in a surface of its own: clicks beside it reach the app.
 * In it, only a failure panel's button takes clicks (@panel_has_button);
 * its text takes none. */
static void
assert_passes_clicks (Fixture *fixture,
                      gboolean panel_has_button)
{
  GtkWidget   *popover = hot_window_overlay_get_popover (GTK_WINDOW (fixture->window));
  GdkRectangle bounds;
  GtkWidget   *picked;
  GtkWidget   *button = NULL;

  overlay_bounds (fixture->window, &bounds);
  picked = gtk_widget_pick (fixture->window, bounds.x / 2, bounds.y + bounds.height / 2, GTK_PICK_DEFAULT);
  g_assert_nonnull (picked);
  g_assert_false (gtk_widget_is_ancestor (picked, popover));

  /* A point of the overlay's text. */
  picked = gtk_widget_pick (popover, 16, bounds.height / 2, GTK_PICK_DEFAULT);
  g_assert_true (picked == NULL || (!GTK_IS_LABEL (picked) && gtk_widget_get_ancestor (picked, GTK_TYPE_BUTTON) == NULL));

  for (GtkWidget *w = gtk_widget_get_first_child (fixture->overlay); w != NULL && button == NULL;)
    {
      if (GTK_IS_BUTTON (w))
        button = w;
      else if (gtk_widget_get_first_child (w) != NULL)
        w = gtk_widget_get_first_child (w);
      else
        {
          while (w != NULL && gtk_widget_get_next_sibling (w) == NULL)
            w = w == fixture->overlay ? NULL : gtk_widget_get_parent (w);
          w = w ? gtk_widget_get_next_sibling (w) : NULL;
        }
    }
  g_assert_cmpint (button != NULL, ==, panel_has_button);
  if (button != NULL)
    {
      graphene_rect_t button_bounds;

      /* The panel's "Hide" is the overlay's own action, with the module. */
      g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), ==, "overlay.toggle-collapsed");
      g_assert_cmpstr (g_variant_get_string (gtk_actionable_get_action_target_value (GTK_ACTIONABLE (button)), NULL),
                       ==, "counter");

      g_assert_true (gtk_widget_compute_bounds (button, popover, &button_bounds));
      picked = gtk_widget_pick (popover, button_bounds.origin.x + button_bounds.size.width / 2,
                                button_bounds.origin.y + button_bounds.size.height / 2, GTK_PICK_DEFAULT);
      g_assert_true (picked == button || gtk_widget_is_ancestor (picked, button));
    }
}

/* Clicks the first button below @root; the overlay rebuilds its content on
 * the click, so the walk stops there. */
static gboolean
click_button (GtkWidget *root)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_BUTTON (child))
        {
          g_signal_emit_by_name (child, "clicked");
          return TRUE;
        }
      if (click_button (child))
        return TRUE;
    }

  return FALSE;
}

/* What the window's hotnode.reset-state was activated with. */
static void
store_module (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  char **asked = user_data;

  g_free (*asked);
  *asked = g_variant_dup_string (parameter, NULL);
}

static void
test_states (Fixture      *fixture,
             gconstpointer data)
{
  g_autoptr (GError) error = g_error_new_literal (HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD, "Building module “counter” failed");
  g_autoptr (GListModel) diagnostics = test_capture_parse ("gcc-warning-and-error");
  g_autofree char *hidden = NULL;
  g_autofree char *text = NULL;
  g_autofree char *source_root = diagnostics_dir ();
  g_autofree char *crash = NULL;

  g_test_summary ("The overlay is hidden, then shows building, the diagnostics of a failed "
                  "build (collapsible), and a toast after a good build; it never takes focus, "
                  "and only the failure panel takes clicks");

  hidden = overlay_text (fixture);
  g_assert_cmpstr (hidden, ==, "");
  g_assert_false (gtk_widget_get_visible (fixture->overlay));

  hot_status_set_building (fixture->counter, TRUE);
  assert_shows (fixture, expected->building);
  save_screenshot (fixture->window, "building");

  assert_passes_clicks (fixture, FALSE);

  hot_status_finish_build (fixture->counter, 420000, error, diagnostics, 0);
  assert_passes_clicks (fixture, TRUE);
  assert_shows (fixture, expected->failed);
  assert_shows (fixture, expected->hide);
  /* Paths relative to the source root. */
  assert_shows (fixture, "\nsrc/warning-and-error.c:12:10\n");
  g_assert_null (strstr (text = overlay_text (fixture), "../src"));
  g_clear_pointer (&text, g_free);
  assert_shows (fixture, "‘missing_value’ undeclared (first use in this function)");
  assert_shows (fixture, "return missing_value + 1;");
  save_screenshot (fixture->window, "failed");

  assert_inside_window (fixture->window);
  g_assert_true (click_button (fixture->overlay));
  assert_shows (fixture, expected->failed);
  assert_shows (fixture, expected->show);
  text = overlay_text (fixture);
  g_assert_null (strstr (text, "missing_value"));
  g_clear_pointer (&text, g_free);
  save_screenshot (fixture->window, "collapsed");

  /* A crash of the new code: the node, the signal, the frames. */
  g_clear_error (&error);
  error = g_error_new_literal (HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_CRASHED, "crashed");
  crash = g_strdup_printf ("/run/user/1000/hotnode/run-42-Ab12Cd/counter-3.so(counter_panel+0x1d) [0x7f00deadbeef] at "
                           "%s/src/warning-and-error.c:12\n"
                           "/usr/lib/libhotnode-1.so.0(+0x9a21) [0x7f00cafe0000]\n",
                           source_root);
  hot_status_set_crash (fixture->counter, "counter_panel", SIGSEGV, crash);
  hot_status_finish_build (fixture->counter, 410000, error, NULL, 0);
  g_assert_true (click_button (fixture->overlay)); /* it was collapsed */
  assert_shows (fixture, expected->crashed);
  assert_shows (fixture, "counter_panel");
  /* The private copy is named by its module; the line is relative. */
  assert_shows (fixture, "counter, generation 3 (counter_panel+0x1d)");
  assert_shows (fixture, "at src/warning-and-error.c:12\n");
  g_assert_null (strstr (text = overlay_text (fixture), "run-42"));
  g_clear_pointer (&text, g_free);
  save_screenshot (fixture->window, "crashed");

  /* A new failure keeps the panel collapsed; a good build removes it. */
  g_assert_true (click_button (fixture->overlay));
  hot_status_set_building (fixture->counter, TRUE);
  assert_shows (fixture, expected->building);
  hot_status_finish_build (fixture->counter, 380000, NULL, NULL, 1);
  g_clear_pointer (&text, g_free);
  text = overlay_text (fixture);
  g_assert_null (strstr (text, expected->failed));
  assert_shows (fixture, expected->reloaded);
  save_screenshot (fixture->window, "reloaded");

  /* The toast's button activates the window's hotnode.reset-state with the
   * module (the composition root inserts the group: test-actions.c). */
  {
    GtkWidget         *reset = test_find_named (fixture->overlay, "reset-counter");
    g_autofree char   *asked = NULL;
    const GActionEntry entries[] = { { "reset-state", store_module, "s", NULL, NULL, { 0 } } };
    g_autoptr (GSimpleActionGroup) group = g_simple_action_group_new ();

    g_action_map_add_action_entries (G_ACTION_MAP (group), entries, G_N_ELEMENTS (entries), &asked);
    gtk_widget_insert_action_group (fixture->window, "hotnode", G_ACTION_GROUP (group));
    g_assert_nonnull (reset);
    g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (reset)), ==, "hotnode.reset-state");
    g_assert_cmpstr (g_variant_get_string (gtk_actionable_get_action_target_value (GTK_ACTIONABLE (reset)), NULL), ==,
                     "counter");
    g_assert_true (gtk_widget_is_sensitive (reset));
    g_signal_emit_by_name (reset, "clicked");
    g_assert_cmpstr (asked, ==, "counter");
    gtk_widget_insert_action_group (fixture->window, "hotnode", NULL);
  }

  /* Reloads held by the app: said, until released. */
  hot_status_set_held (fixture->counter, TRUE);
  assert_shows (fixture, expected->held);
  hot_status_set_held (fixture->counter, FALSE);

  /* The toast goes away by itself. */
  while (gtk_widget_get_visible (fixture->overlay))
    g_main_context_iteration (NULL, TRUE);
  g_clear_pointer (&text, g_free);
  text = overlay_text (fixture);
  g_assert_cmpstr (text, ==, "");
}

static void
test_restored (Fixture      *fixture,
               gconstpointer data)
{
  g_autoptr (GError) error = g_error_new_literal (HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD, "Building module “counter” failed");
  g_autoptr (GListModel) diagnostics = test_capture_parse ("gcc-warning-and-error");
  g_autofree char *text = NULL;

  g_test_summary ("A failure cleared with no build (the files are back to the live code) takes the "
                  "failure panel away and says so, with no Reset state button");

  hot_status_finish_build (fixture->counter, 420000, error, diagnostics, 0);
  assert_shows (fixture, expected->failed);

  hot_status_clear_failure (fixture->counter);
  assert_shows (fixture, expected->restored);
  text = overlay_text (fixture);
  g_assert_null (strstr (text, expected->failed));
  g_assert_null (strstr (text, "missing_value"));
  g_assert_null (strstr (text, expected->reloaded));
  g_assert_null (test_find_named (fixture->overlay, "reset-counter"));
  save_screenshot (fixture->window, "restored");

  /* A good build after it is a reload again. */
  hot_status_finish_build (fixture->counter, 380000, NULL, NULL, 1);
  assert_shows (fixture, expected->reloaded);
  g_clear_pointer (&text, g_free);
  text = overlay_text (fixture);
  g_assert_null (strstr (text, expected->restored));
}

/* The widgets below @root (itself included) with the CSS class @css_class. */
static guint
count_with_class (GtkWidget  *root,
                  const char *css_class)
{
  guint n = gtk_widget_has_css_class (root, css_class) ? 1 : 0;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    n += count_with_class (child, css_class);

  return n;
}

static GtkWidget *
find_of_type (GtkWidget *root,
              GType      type)
{
  if (g_type_is_a (G_OBJECT_TYPE (root), type))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_of_type (child, type);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static void
test_many_diagnostics (Fixture      *fixture,
                       gconstpointer data)
{
  g_autoptr (GError) error = g_error_new_literal (HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD, "Building module “counter” failed");
  g_autoptr (GString) output = g_string_new (NULL);
  g_autoptr (GListModel) diagnostics = NULL;
  g_autoptr (GListModel) shown = NULL;
  g_autofree char *text = NULL;
  GtkWidget       *popover = hot_window_overlay_get_popover (GTK_WINDOW (fixture->window));
  GtkWidget       *list;
  GtkWidget       *scroller;
  GtkWidget       *picked;
  graphene_rect_t  list_bounds;
  GtkAdjustment   *adjustment;
  guint            n_rows;
  gint64           deadline;

  g_test_summary ("A build with thousands of diagnostics shows the first 200 in a list that makes rows only for "
                  "what is in view, and says how many the log has");

  for (guint i = 1; i <= 5000; i++)
    g_string_append_printf (output, "../src/panel.c:%u:1: error: mistake number %u\n", i, i);
  diagnostics = hot_diagnostic_parse (output->str, "/nonexistent", NULL);
  g_assert_cmpuint (g_list_model_get_n_items (diagnostics), ==, 5000);

  hot_status_finish_build (fixture->counter, 420000, error, diagnostics, 0);
  assert_shows (fixture, "mistake number 1\n");
  assert_shows (fixture, "mistake number 2\n");
  assert_shows (fixture, expected->more);
  assert_inside_window (fixture->window);
  save_screenshot (fixture->window, "many");

  /* A list of the first 200, with a row widget only for those in view. */
  list = find_of_type (fixture->overlay, GTK_TYPE_LIST_BASE);
  g_assert_nonnull (list);
  g_object_get (list, "model", &shown, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (shown), ==, 200);
  n_rows = count_with_class (fixture->overlay, "hotnode-diagnostic");
  g_test_message ("%u diagnostic rows exist", n_rows);
  g_assert_cmpuint (n_rows, >, 0);
  g_assert_cmpuint (n_rows, <, 200);
  text = overlay_text (fixture);
  g_assert_null (strstr (text, "mistake number 200\n"));
  g_clear_pointer (&text, g_free);

  /* Neither the list nor its rows take clicks: the wheel over them
   * reaches the scrolled window. */
  scroller = gtk_widget_get_ancestor (list, GTK_TYPE_SCROLLED_WINDOW);
  g_assert_true (gtk_widget_compute_bounds (list, popover, &list_bounds));
  picked = gtk_widget_pick (popover, list_bounds.origin.x + list_bounds.size.width / 2,
                            list_bounds.origin.y + list_bounds.size.height / 2, GTK_PICK_DEFAULT);
  g_assert_true (picked == scroller);

  /* At its end, the 200th and not the 201st. The list learns the heights
   * of rows as it shows them: scroll to the end until it stays there. */
  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  for (;;)
    {
      gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment));
      test_wait_for_frame (fixture->window);
      text = overlay_text (fixture);
      if (strstr (text, "mistake number 200\n") != NULL)
        break;
      if (g_get_monotonic_time () > deadline)
        g_error ("At the end of the list after 5 s, the overlay does not show the 200th diagnostic; it "
                 "shows:\n%s",
                 text);
      g_clear_pointer (&text, g_free);
    }
  g_assert_null (strstr (text, "mistake number 201\n"));
  g_assert_null (strstr (text, "mistake number 1\n"));
  n_rows = count_with_class (fixture->overlay, "hotnode-diagnostic");
  g_test_message ("%u diagnostic rows exist at the end of the list", n_rows);
  g_assert_cmpuint (n_rows, <, 200);
  assert_shows (fixture, expected->more);
  save_screenshot (fixture->window, "many-end");
}

/* The labels below @root, in order. */
static void
collect_labels (GtkWidget *root,
                GPtrArray *labels)
{
  if (GTK_IS_LABEL (root))
    g_ptr_array_add (labels, root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    collect_labels (child, labels);
}

static GtkWidget *
find_label (GtkWidget  *root,
            const char *text)
{
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();

  collect_labels (root, labels);
  for (guint i = 0; i < labels->len; i++)
    if (g_str_equal (gtk_label_get_text (g_ptr_array_index (labels, i)), text))
      return g_ptr_array_index (labels, i);

  g_error ("No label “%s” in the overlay", text);
  return NULL;
}

static void
assert_colour (GtkWidget  *label,
               const char *expected_colour)
{
  GdkRGBA colour, expected_rgba;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (label), &colour);
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_assert_true (gdk_rgba_parse (&expected_rgba, expected_colour));
  if (!gdk_rgba_equal (&colour, &expected_rgba))
    g_error ("“%s” is %s, not %s", gtk_label_get_text (GTK_LABEL (label)), gdk_rgba_to_string (&colour),
             expected_colour);
}

static void
test_diagnostics (Fixture      *fixture,
                  gconstpointer data)
{
  g_autoptr (GError) error = g_error_new_literal (HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD, "failed");
  g_autoptr (GListModel) diagnostics = test_capture_parse ("gcc-warning-and-error");
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();
  GtkWidget       *source;
  GtkWidget       *caret = NULL;
  char            *severity;
  cairo_surface_t *image;
  GdkRectangle     bounds;
  guint32          pixel;

  g_test_summary ("A failed build's diagnostics: one colour a severity, paths relative to the source root, the "
                  "source line unwrapped with a caret under the column, on an opaque panel");

  hot_status_finish_build (fixture->counter, 420000, error, diagnostics, 0);
  assert_shows (fixture, expected->failed);
  test_wait_for_frame (fixture->window);

  assert_colour (find_label (fixture->overlay, severity = g_strdup_printf ("%s:", _ ("error"))), "#ff7b63");
  g_free (severity);
  assert_colour (find_label (fixture->overlay, severity = g_strdup_printf ("%s:", _ ("warning"))), "#f8c44e");
  g_free (severity);
  assert_colour (find_label (fixture->overlay, severity = g_strdup_printf ("%s:", _ ("note"))), "#78b9ff");
  g_free (severity);

  /* `  return missing_value + 1;` at column 10: the caret under the m. */
  source = find_label (fixture->overlay, "  return missing_value + 1;");
  g_assert_false (gtk_label_get_wrap (GTK_LABEL (source)));
  g_assert_cmpint (gtk_label_get_ellipsize (GTK_LABEL (source)), ==, PANGO_ELLIPSIZE_END);
  collect_labels (fixture->overlay, labels);
  for (guint i = 0; i + 1 < labels->len; i++)
    if (g_ptr_array_index (labels, i) == source)
      caret = g_ptr_array_index (labels, i + 1);
  g_assert_nonnull (caret);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (caret)), ==, "         ^");
  assert_colour (caret, "#ff7b63");
  find_label (fixture->overlay, "src/warning-and-error.c:12:10");

  /* Opaque: the app's widgets do not show through the middle of the panel. */
  overlay_bounds (fixture->window, &bounds);
  image = render_seen (fixture->window);
  pixel = *(guint32 *) (cairo_image_surface_get_data (image) + (bounds.y + bounds.height - 4) * cairo_image_surface_get_stride (image) +
                        (bounds.x + 4) * 4);
  g_assert_cmphex (pixel, ==, 0xff1e1e1e);
  cairo_surface_destroy (image);
  save_screenshot (fixture->window, "diagnostics");
}

/* Many diagnostics in a small window: the panel stays inside the window
 * and its scroll bar shows. */
static void
test_scrolls (Fixture      *fixture,
              gconstpointer data)
{
  g_autoptr (GError) error = g_error_new_literal (HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD, "failed");
  g_autoptr (GListStore) diagnostics = g_list_store_new (HOT_TYPE_DIAGNOSTIC);
  g_autoptr (GListModel) captured = test_capture_parse ("gcc-warning-and-error");
  GtkWidget *scroller;
  GtkWidget *bar;

  g_test_summary ("Diagnostics that do not fit scroll, with a visible scroll bar, inside the window");

  for (guint i = 0; i < 10; i++)
    for (guint j = 0; j < g_list_model_get_n_items (captured); j++)
      {
        g_autoptr (HotDiagnostic) diagnostic = g_list_model_get_item (captured, j);

        g_list_store_append (diagnostics, diagnostic);
      }
  hot_status_finish_build (fixture->counter, 420000, error, G_LIST_MODEL (diagnostics), 0);
  assert_shows (fixture, expected->failed);
  assert_inside_window (fixture->window);

  scroller = gtk_widget_get_ancestor (find_label (fixture->overlay, "  return missing_value + 1;"), GTK_TYPE_SCROLLED_WINDOW);
  bar = gtk_scrolled_window_get_vscrollbar (GTK_SCROLLED_WINDOW (scroller));
  g_assert_true (gtk_widget_get_mapped (bar));
  g_assert_false (gtk_scrolled_window_get_overlay_scrolling (GTK_SCROLLED_WINDOW (scroller)));
  g_assert_cmpint (gtk_widget_get_width (bar), >, 0);
  save_screenshot (fixture->window, "scrolls");

  /* A larger window: placed again, still inside, at the bottom. */
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 900, 640);
  test_wait_for_frame (fixture->window);
  test_wait_for_frame (fixture->window);
  g_assert_cmpint (gtk_widget_get_height (fixture->window), ==, 640);
  assert_inside_window (fixture->window);
  {
    GdkRectangle bounds;

    overlay_bounds (fixture->window, &bounds);
    g_assert_cmpint (bounds.y + bounds.height, >, 640 - 40);
  }
}

/* A grid of small hot nodes (the cells of a list, say): the overlay is
 * the window's, not a cell's. */
static void
test_many_small_nodes (void)
{
  g_autoptr (GListStore) statuses = g_list_store_new (HOT_TYPE_STATUS);
  g_autoptr (HotStatus) status = hot_status_new ("cells", "/src/cells");
  g_autoptr (GError) error = g_error_new_literal (HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD, "failed");
  g_autoptr (GListModel) diagnostics = test_capture_parse ("gcc-warning-and-error");
  g_autofree char *source_root = diagnostics_dir ();
  GtkWidget       *window = gtk_window_new ();
  GtkWidget       *grid = gtk_grid_new ();
  GtkWidget       *overlay;
  HotNode         *nodes[36];
  GdkRectangle     bounds;

  g_test_summary ("With a 6×6 grid of 40-px hot nodes, the failure panel is larger than any node and inside the "
                  "window; the window's child stays the app's");

  g_list_store_append (statuses, status);
  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    {
      GtkWidget *cell = gtk_label_new ("·");

      nodes[i] = hot_node_new_proxy ("cell", "cells", NULL);
      gtk_widget_set_size_request (cell, 40, 40);
      hot_node_set_child (nodes[i], cell, 0);
      gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (nodes[i]), i % 6, i / 6, 1, 1);
    }
  gtk_widget_set_halign (grid, GTK_ALIGN_CENTER);
  gtk_window_set_default_size (GTK_WINDOW (window), 480, 360);
  gtk_window_set_child (GTK_WINDOW (window), grid);
  gtk_window_present (GTK_WINDOW (window));
  test_wait_for_frame (window);

  /* As the service does when each proxy is mapped. */
  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    hot_window_overlay_place (nodes[i], G_LIST_MODEL (statuses), source_root);
  overlay = hot_window_overlay_ensure (GTK_WINDOW (window), G_LIST_MODEL (statuses), source_root);
  g_assert_true (gtk_window_get_child (GTK_WINDOW (window)) == grid);
  for (guint i = 0; i < G_N_ELEMENTS (nodes); i++)
    g_assert_false (gtk_widget_is_ancestor (overlay, GTK_WIDGET (nodes[i])));

  hot_status_finish_build (status, 420000, error, diagnostics, 0);
  test_wait_for_frame (window);
  overlay_bounds (window, &bounds);
  g_assert_cmpint (bounds.width, >, 6 * 40);
  g_assert_cmpint (bounds.height, >, 40);
  assert_inside_window (window);
  save_screenshot (window, "grid");

  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  const char *language = g_getenv ("HOTNODE_TEST_LANGUAGE");

  if (language != NULL)
    g_setenv ("LANGUAGE", language, TRUE);
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display\n");
      return 0;
    }

  expected = &english;
  if (language != NULL)
    {
      g_assert_cmpstr (language, ==, "de");
      expected = &german;
      /* The library binds its catalogues when its types are first used;
       * point them at the ones this build compiled. */
      g_type_class_unref (g_type_class_ref (HOT_TYPE_OVERLAY));
      bindtextdomain (GETTEXT_PACKAGE, g_getenv ("HOTNODE_LOCALE_DIR"));
    }

  g_test_add ("/Hotnode/Overlay/states", Fixture, NULL, fixture_set_up, test_states, fixture_tear_down);
  g_test_add ("/Hotnode/Overlay/many-diagnostics", Fixture, NULL, fixture_set_up, test_many_diagnostics,
              fixture_tear_down);
  g_test_add ("/Hotnode/Overlay/restored", Fixture, NULL, fixture_set_up, test_restored, fixture_tear_down);
  g_test_add ("/Hotnode/Overlay/diagnostics", Fixture, NULL, fixture_set_up, test_diagnostics, fixture_tear_down);
  g_test_add ("/Hotnode/Overlay/scrolls", Fixture, NULL, fixture_set_up, test_scrolls, fixture_tear_down);
  g_test_add_func ("/Hotnode/Overlay/many-small-nodes", test_many_small_nodes);

  return g_test_run ();
}
