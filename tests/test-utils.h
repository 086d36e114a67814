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
  g_setenv ("HOT_RELOAD", "1", TRUE);
  g_test_init (argc, argv, NULL);

  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display\n");
      return FALSE;
    }

  *private_dir = g_dir_make_tmp ("hotnode-test-XXXXXX", NULL);
  g_setenv ("HOT_RELOAD_PRIVATE_DIR", *private_dir, TRUE);

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
