/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Style sheets reloaded without a compiler: a sheet loaded into a
 * GtkCssProvider is loaded again into it when its file is saved (changed
 * and removed rules apply, nothing piles up), parse errors are shown in the
 * window with the file and line, and no module is built. Pixels under Xvfb. */
#include "config.h"

#include <hotnode.h>

#include "test-utils.h"

#define RED 0xff0000
#define BLUE 0x0000ff
#define GREEN 0x00ff00

typedef struct
{
  char           *dir;
  char           *path;
  GtkCssProvider *provider;
  GtkWidget      *window;
  GtkWidget      *box;
} Fixture;

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  /* The service first: it watches what is loaded from then on. */
  g_assert_true (hot_reload_get_enabled (hot_reload_get_default ()));

  fixture->dir = g_dir_make_tmp ("hotnode-style-XXXXXX", NULL);
  fixture->path = g_build_filename (fixture->dir, "panel.css", NULL);
  g_assert_true (g_file_set_contents (fixture->path, ".hot-style-box { background-color: rgb(255,0,0); }\n", -1, NULL));

  fixture->provider = gtk_css_provider_new ();
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (fixture->provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);

  fixture->box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (fixture->box, "hot-style-box");
  gtk_widget_set_size_request (fixture->box, 60, 60);
  gtk_box_append (GTK_BOX (content), fixture->box);
  /* A hot node: the window gets the overlay. */
  gtk_box_append (GTK_BOX (content), hot_node_new ("alpha_label", NULL));
  fixture->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 400, 300);
  gtk_window_set_child (GTK_WINDOW (fixture->window), content);
  gtk_window_present (GTK_WINDOW (fixture->window));
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  gtk_style_context_remove_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (fixture->provider));
  g_assert_finalize_object (fixture->provider);
  test_remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->path);
}

static guint
generation_of (const char *module)
{
  HotStatus *status = hot_reload_lookup_status (hot_reload_get_default (), module);

  return status ? hot_status_get_generation (status) : 0;
}

/* The labels of the window's overlay, a line each. */
static void
append_labels (GtkWidget *widget,
               GString   *text)
{
  if (GTK_IS_LABEL (widget))
    g_string_append_printf (text, "%s\n", gtk_label_get_text (GTK_LABEL (widget)));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    append_labels (child, text);
}

static char *
overlay_text (GtkWidget *window)
{
  GString *text = g_string_new (NULL);

  for (GtkWidget *child = gtk_widget_get_first_child (window); child; child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_POPOVER (child) && gtk_widget_get_visible (child))
      append_labels (child, text);

  return g_string_free (text, FALSE);
}

static void
wait_for_overlay (GtkWidget  *window,
                  const char *expected)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *text = overlay_text (window);

      if (strstr (text, expected) != NULL)
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("The overlay does not show “%s” after 5 s; it shows:\n%s", expected, text);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
test_reload (Fixture      *fixture,
             gconstpointer data)
{
  g_autoptr (GPtrArray) modules = NULL;
  guint   alpha_generation = generation_of ("alpha");
  double  changed_ms, removed_ms;
  guint32 background;

  g_test_summary ("A sheet loaded with gtk_css_provider_load_from_path () is loaded again into the same provider "
                  "when saved: a changed rule and a removed one apply, and no module is built");

  test_wait_for_frame (fixture->window);
  background = test_painted_color (fixture->box);
  gtk_css_provider_load_from_path (fixture->provider, fixture->path);
  test_wait_for_frame (fixture->window);
  g_assert_cmphex (test_painted_color (fixture->box), ==, RED);

  changed_ms = test_save_style_and_wait (fixture->path, ".hot-style-box { background-color: rgb(0,0,255); }\n",
                                         fixture->box, BLUE);
  g_test_message ("Save to the new style painted: %.1f ms", changed_ms);

  /* Removed: the window's own background shows (an older copy of the sheet
   * in another provider would keep it blue). */
  /* A second later, as a person saves again (not within GLib's inotify
   * backoff of ~100 ms after a burst of events). */
  test_run_main_loop_for (1000);
  removed_ms = test_save_style_and_wait (fixture->path, "/* nothing */\n", fixture->box, background);
  g_test_message ("Save to the rule removed: %.1f ms", removed_ms);
  g_assert_cmphex (test_painted_color (fixture->box), !=, BLUE);

  g_assert_cmpuint (generation_of ("alpha"), ==, alpha_generation);
  wait_for_overlay (fixture->window, "Reloaded panel.css");
}

static void
test_parse_error (Fixture      *fixture,
                  gconstpointer data)
{
  g_autofree char *location = g_strdup_printf ("panel.css:2:");

  g_test_summary ("A sheet with an error: the error is shown in the window with the file and line, the rules GTK "
                  "could read apply; the fix removes the report");

  gtk_css_provider_load_from_path (fixture->provider, fixture->path);
  test_wait_for_frame (fixture->window);

  g_test_expect_message ("Hotnode", G_LOG_LEVEL_WARNING, "*panel.css has errors*");
  test_save_style_and_wait (fixture->path,
                            ".hot-style-box { background-color: rgb(0,255,0); }\n"
                            ".hot-style-box { colour: nonsense; }\n",
                            fixture->box, GREEN);
  g_test_assert_expected_messages ();
  wait_for_overlay (fixture->window, "panel.css: the reload failed");
  wait_for_overlay (fixture->window, location);

  test_save_style_and_wait (fixture->path, ".hot-style-box { background-color: rgb(255,0,0); }\n", fixture->box, RED);
  wait_for_overlay (fixture->window, "Reloaded panel.css");
  {
    g_autofree char *text = overlay_text (fixture->window);

    g_assert_null (strstr (text, "the reload failed"));
  }
}

static void
test_watch_style (Fixture      *fixture,
                  gconstpointer data)
{
  g_autoptr (GFile) file = g_file_new_for_path (fixture->path);

  g_test_summary ("hot_reload_watch_style () names a provider loaded some other way (from data) and its file");

  gtk_css_provider_load_from_data (fixture->provider, ".hot-style-box { background-color: rgb(255,0,0); }", -1);
  hot_reload_watch_style (hot_reload_get_default (), fixture->provider, file);
  test_wait_for_frame (fixture->window);
  g_assert_cmphex (test_painted_color (fixture->box), ==, RED);

  test_save_style_and_wait (fixture->path, ".hot-style-box { background-color: rgb(0,0,255); }\n", fixture->box, BLUE);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *private_dir = NULL;
  int              status;

  if (!test_init_hot_reload (&argc, &argv, &private_dir))
    return 0;

  g_test_add ("/Hotnode/Style/reload", Fixture, NULL, fixture_set_up, test_reload, fixture_tear_down);
  g_test_add ("/Hotnode/Style/parse-error", Fixture, NULL, fixture_set_up, test_parse_error, fixture_tear_down);
  g_test_add ("/Hotnode/Style/watch-style", Fixture, NULL, fixture_set_up, test_watch_style, fixture_tear_down);

  status = g_test_run ();
  test_remove_tree (private_dir);

  return status;
}
