/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the tests. */
#pragma once

#include <glib/gstdio.h>
#include <gio/gio.h>
#include <gtk/gtk.h>
#include <hotnode.h>

static inline void
test_store_result (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Runs the default main context until an async call stored its result. */
static inline GAsyncResult *
test_wait_for_result (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *result;
}

static inline void
test_remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        test_remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* For tests of the service with HOT_RELOAD=1: turns it on before anything
 * reads it, and keeps the loaded copies in a folder of the test's own (to
 * remove with test_remove_tree ()). Prints the TAP skip and returns FALSE
 * when there is no display. */
static inline gboolean
test_init_hot_reload (int    *argc,
                      char ***argv,
                      char  **private_dir)
{
  /* The environment is set before GTK starts its threads: setenv () while
   * another thread reads the environment can crash (it did, at the start
   * of a test, once in a few full runs). */
  g_setenv ("HOT_RELOAD", "1", TRUE);
  *private_dir = g_dir_make_tmp ("hotnode-test-XXXXXX", NULL);
  g_setenv ("HOT_RELOAD_PRIVATE_DIR", *private_dir, TRUE);
  g_test_init (argc, argv, NULL);

  if (!gtk_init_check ())
    {
      g_rmdir (*private_dir);
      g_clear_pointer (private_dir, g_free);
      g_print ("1..0 # SKIP no display\n");
      return FALSE;
    }

  return TRUE;
}

/* A rebuilder that builds nothing: its "build" names a generation meson
 * already built, `*(const char **) user_data` in tests/fixtures. */
static inline char **
test_prebuilt_rebuilder (HotReload  *service,
                         const char *module,
                         char      **output_path,
                         gpointer    user_data)
{
  const char *const *variant = user_data;
  const char        *argv[] = { "true", NULL };

  g_free (*output_path);
  *output_path = g_test_build_filename (G_TEST_BUILT, "fixtures", *variant, NULL);

  return g_strdupv ((char **) argv);
}

static inline void
test_frame_painted (GdkFrameClock *clock,
                    gboolean      *painted)
{
  *painted = TRUE;
}

/* Runs the main loop until @window has painted a frame with what changed. */
static inline void
test_wait_for_frame (GtkWidget *window)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);
  gboolean       painted = FALSE;
  gulong         handler = g_signal_connect (clock, "after-paint", G_CALLBACK (test_frame_painted), &painted);

  gtk_widget_queue_draw (window);
  while (!painted)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (clock, handler);
}

/* What @widget draws in @area (its own coordinates), rendered as its window
 * renders it. Call it after test_wait_for_frame (). */
static inline GdkTexture *
test_render (GtkWidget             *widget,
             const graphene_rect_t *area)
{
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;

  gdk_paintable_snapshot (paintable, snapshot, gtk_widget_get_width (widget), gtk_widget_get_height (widget));
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);

  return gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)), node, area);
}

static inline gboolean
test_set_flag (gpointer flag)
{
  *(gboolean *) flag = TRUE;

  return G_SOURCE_REMOVE;
}

/* Runs the main loop for @ms milliseconds: a wait, never a measurement. */
static inline void
test_run_main_loop_for (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, test_set_flag, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static inline gboolean
test_has_render_node (GtkWidget *widget)
{
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;

  gdk_paintable_snapshot (paintable, snapshot, gtk_widget_get_width (widget), gtk_widget_get_height (widget));
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));

  return node != NULL;
}

/* The colour of the middle of @widget in its window, once painted (cairo's
 * ARGB in native order, without alpha). */
static inline guint32
test_painted_color (GtkWidget *widget)
{
  g_autoptr (GdkTexture) texture = NULL;
  GtkWidget      *window = GTK_WIDGET (gtk_widget_get_root (widget));
  graphene_rect_t bounds;
  guint32         pixel;

  g_assert_true (gtk_widget_compute_bounds (widget, window, &bounds));
  g_assert_cmpfloat (bounds.size.width, >, 0);
  /* Something shown since the frame (hot reload's overlay, say) may have
   * the window laid out again first. */
  while (!gtk_widget_get_mapped (widget) || gtk_widget_get_width (widget) == 0 || !test_has_render_node (window))
    test_wait_for_frame (window);
  texture = test_render (window, &GRAPHENE_RECT_INIT ((int) (bounds.origin.x + bounds.size.width / 2),
                                                      (int) (bounds.origin.y + bounds.size.height / 2), 1, 1));
  gdk_texture_download (texture, (guchar *) &pixel, 4);

  return pixel & 0x00ffffff;
}

static inline void
test_frame_time (GdkFrameClock *clock,
                 gint64        *painted_at)
{
  *painted_at = g_get_monotonic_time ();
}

/* Saves @css into @path as an editor does (a new file renamed over the old)
 * and runs the main loop until @widget is painted in @color; returns the
 * milliseconds from the save to the end of that frame. Fails after 5 s. */
static inline double
test_save_style_and_wait (const char *path,
                          const char *css,
                          GtkWidget  *widget,
                          guint32     color)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  gint64         painted_at = 0;
  gint64         checked = 0;
  gint64         saved_at;
  gint64         deadline;
  gulong         handler = g_signal_connect (clock, "after-paint", G_CALLBACK (test_frame_time), &painted_at);

  g_assert_true (g_file_set_contents (path, css, -1, NULL));
  saved_at = g_get_monotonic_time ();
  deadline = saved_at + 5 * G_USEC_PER_SEC;
  for (;;)
    {
      g_main_context_iteration (NULL, FALSE);
      if (painted_at != checked)
        {
          guint32 seen = test_painted_color (widget);

          /* The frame that showed it (test_painted_color () may wait). */
          checked = painted_at;
          if (seen == color)
            break;
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("%s was saved 5 s ago and the window is not painted in #%06x: it is #%06x", path, color,
                 test_painted_color (widget));
      if (!g_main_context_pending (NULL))
        g_usleep (500);
    }
  g_signal_handler_disconnect (clock, handler);

  return (checked - saved_at) / 1000.0;
}

/* The widget named @name under @root, or NULL. */
static inline GtkWidget *
test_find_named (GtkWidget  *root,
                 const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = test_find_named (child, name);

      if (found != NULL)
        return found;
    }

  return NULL;
}
