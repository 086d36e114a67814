/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The developer overlay in a real window under Xvfb, through each of its
 * states, driven by real HotStatus objects. Saves a PNG of each state to the
 * test log folder. With HOTNODE_TEST_LANGUAGE=de it runs in German from the
 * catalogues this build compiled. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <hotnode.h>
#include <signal.h>

#include "hot-diagnostic-private.h"
#include "hot-overlay-private.h"
#include "hot-status-private.h"
#include "test-utils.h"

typedef struct
{
  const char *building;
  const char *crashed;
  const char *failed;
  const char *hide;
  const char *show;
  const char *reloaded;
} Strings;

static const Strings english = {
  "Building counter…", "counter: the new code crashed; the previous code is still running", "counter: the build failed", "[Hide]", "[Show]", "Reloaded counter"
};
static const Strings german = {
  "counter wird gebaut …", "counter: Der neue Code ist abgestürzt; der vorige Code läuft weiter", "counter: Der Build ist fehlgeschlagen", "[Verbergen]", "[Zeigen]", "counter neu geladen"
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

static void
save_screenshot (Fixture    *fixture,
                 const char *state)
{
  g_autoptr (GdkTexture) texture = NULL;
  const char      *language = g_getenv ("HOTNODE_TEST_LANGUAGE");
  g_autofree char *name = g_strdup_printf ("overlay-%s%s%s.png", state, language ? "-" : "", language ? language : "");
  g_autofree char *path = g_build_filename (g_getenv ("HOTNODE_TEST_OUTPUT_DIR"), name, NULL);

  test_wait_for_frame (fixture->window);
  texture = test_render (fixture->window, &GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (fixture->window),
                                                               gtk_widget_get_height (fixture->window)));
  g_mkdir_with_parents (g_getenv ("HOTNODE_TEST_OUTPUT_DIR"), 0755);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Saved %s", path);
}

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  GtkWidget *layers = gtk_overlay_new ();
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  g_autoptr (HotStatus) form = hot_status_new ("form", "/src/form");

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

  fixture->overlay = hot_overlay_new (G_LIST_MODEL (fixture->statuses));
  gtk_overlay_set_child (GTK_OVERLAY (layers), content);
  gtk_overlay_add_overlay (GTK_OVERLAY (layers), fixture->overlay);

  fixture->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 760, 400);
  gtk_window_set_child (GTK_WINDOW (fixture->window), layers);
  gtk_window_present (GTK_WINDOW (fixture->window));
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

/* Clicks beside the overlay's content, and in the middle of it, must reach
 * the app; only a failure panel (@panel_takes_clicks) catches the latter. */
static void
assert_passes_clicks (Fixture *fixture,
                      gboolean panel_takes_clicks)
{
  GtkWidget      *content = gtk_widget_get_first_child (fixture->overlay);
  graphene_rect_t bounds;
  GtkWidget      *picked;

  test_wait_for_frame (fixture->window);
  g_assert_true (gtk_widget_compute_bounds (content, fixture->window, &bounds));

  picked = gtk_widget_pick (fixture->window, bounds.origin.x / 2, bounds.origin.y + bounds.size.height / 2, GTK_PICK_DEFAULT);
  g_assert_nonnull (picked);
  g_assert_false (picked == fixture->overlay || gtk_widget_is_ancestor (picked, fixture->overlay));

  picked = gtk_widget_pick (fixture->window, bounds.origin.x + bounds.size.width / 2,
                            bounds.origin.y + bounds.size.height / 2, GTK_PICK_DEFAULT);
  g_assert_nonnull (picked);
  g_assert_cmpint (picked == fixture->overlay || gtk_widget_is_ancestor (picked, fixture->overlay), ==, panel_takes_clicks);
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

static GListModel *
captured_diagnostics (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "diagnostics", "gcc-warning-and-error.txt", NULL);
  g_autofree char *build_dir = g_test_build_filename (G_TEST_DIST, "data", "diagnostics", "build", NULL);
  g_autofree char *raw = NULL;
  g_autofree char *clean = NULL;
  gsize            length;

  g_assert_true (g_file_get_contents (path, &raw, &length, NULL));
  clean = hot_diagnostic_clean_output (raw, length);

  return hot_diagnostic_parse (clean, build_dir, NULL);
}

static void
test_states (Fixture      *fixture,
             gconstpointer data)
{
  g_autoptr (GError) error = g_error_new_literal (HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD, "Building module “counter” failed");
  g_autoptr (GListModel) diagnostics = captured_diagnostics ();
  g_autofree char *hidden = NULL;
  g_autofree char *text = NULL;

  g_test_summary ("The overlay is hidden, then shows building, the diagnostics of a failed "
                  "build (collapsible), and a toast after a good build; it never takes focus, "
                  "and only the failure panel takes clicks");

  hidden = overlay_text (fixture);
  g_assert_cmpstr (hidden, ==, "");
  g_assert_false (gtk_widget_get_visible (fixture->overlay));

  hot_status_set_building (fixture->counter, TRUE);
  assert_shows (fixture, expected->building);
  save_screenshot (fixture, "building");

  assert_passes_clicks (fixture, FALSE);

  hot_status_finish_build (fixture->counter, 420000, error, diagnostics, 0);
  assert_passes_clicks (fixture, TRUE);
  assert_shows (fixture, expected->failed);
  assert_shows (fixture, expected->hide);
  assert_shows (fixture, "../src/warning-and-error.c:12:10");
  assert_shows (fixture, "‘missing_value’ undeclared (first use in this function)");
  assert_shows (fixture, "return missing_value + 1;");
  save_screenshot (fixture, "failed");

  g_assert_true (click_button (fixture->overlay));
  assert_shows (fixture, expected->failed);
  assert_shows (fixture, expected->show);
  text = overlay_text (fixture);
  g_assert_null (strstr (text, "missing_value"));
  save_screenshot (fixture, "collapsed");

  /* A crash of the new code: the node, the signal, the frames. */
  g_clear_error (&error);
  error = g_error_new_literal (HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_CRASHED, "crashed");
  hot_status_set_crash (fixture->counter, "counter_panel", SIGSEGV,
                        "libcounter-3.so(counter_panel+0x1d) [0x7f00deadbeef]\nlibhotnode-1.so.0(+0x9a21) [0x7f00cafe0000]\n");
  hot_status_finish_build (fixture->counter, 410000, error, NULL, 0);
  g_assert_true (click_button (fixture->overlay)); /* it was collapsed */
  assert_shows (fixture, expected->crashed);
  assert_shows (fixture, "counter_panel");
  assert_shows (fixture, "libcounter-3.so(counter_panel+0x1d)");
  save_screenshot (fixture, "crashed");

  /* A new failure keeps the panel collapsed; a good build removes it. */
  g_assert_true (click_button (fixture->overlay));
  hot_status_set_building (fixture->counter, TRUE);
  assert_shows (fixture, expected->building);
  hot_status_finish_build (fixture->counter, 380000, NULL, NULL, 1);
  g_clear_pointer (&text, g_free);
  text = overlay_text (fixture);
  g_assert_null (strstr (text, expected->failed));
  assert_shows (fixture, expected->reloaded);
  save_screenshot (fixture, "reloaded");

  /* The toast goes away by itself. */
  while (gtk_widget_get_visible (fixture->overlay))
    g_main_context_iteration (NULL, TRUE);
  g_clear_pointer (&text, g_free);
  text = overlay_text (fixture);
  g_assert_cmpstr (text, ==, "");
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

  return g_test_run ();
}
