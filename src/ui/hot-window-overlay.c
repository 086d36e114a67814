/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hot-overlay-private.h"
#include "hot-status-private.h"
#include "hot-window-overlay-private.h"

/*
 * What hot reload does per window: one developer overlay, and the moment
 * the first frame after a reload is painted, for HotStatus:timings.
 *
 * The overlay is the child of a GtkPopover whose parent is the window
 * itself, so gtk_window_get_child () stays the app's, none of the app's
 * widgets is reparented, and no hot node, however small, clips it. The
 * popover has no arrow, does not hide on outside clicks and takes no
 * keyboard focus; it sits at the bottom of the window, centred, at most as
 * wide as the window and two thirds of its height (the
 * diagnostics scroll), and is placed again at each new size of the
 * window's surface. A window gets its overlay when its first hot node is
 * mapped and keeps it while it lives, hot nodes mapped or not.
 *
 * WindowOverlay, data of the window ("hotnode-overlay"):
 *   window   the window (not owned: the data goes with it)
 *   popover  a child of the window, unparented at the window's "destroy"
 *   overlay  the HotOverlay, the popover's child
 *   surface  the window's surface while it is realized (not owned), whose
 *            "layout" handler places the popover again
 *   sync_id  an idle that shows, hides or places the popover, before the
 *            window's next frame: never from inside a layout (GTK would
 *            lay the window out again and again)
 */

#define OVERLAY_MARGIN 12

typedef struct
{
  GtkWidget   *window;
  GtkWidget   *popover;
  GtkWidget   *overlay;
  GdkSurface  *surface;
  gulong       layout_handler;
  guint        sync_id;
  GdkRectangle area;  /* where the popover was placed last */
  gboolean     dirty; /* the overlay's content changed since */
} WindowOverlay;

static void
window_overlay_stop (WindowOverlay *wo)
{
  g_clear_handle_id (&wo->sync_id, g_source_remove);
}

static void
window_overlay_free (gpointer data)
{
  WindowOverlay *wo = data;

  if (wo->surface != NULL)
    g_clear_signal_handler (&wo->layout_handler, wo->surface);
  window_overlay_stop (wo);
  g_free (wo);
}

/* Where the overlay may go, in the window's coordinates: the whole width
 * of the window (the app's child may be narrower, a centred grid say), down
 * to the bottom of the window's child. */
static void
content_area (WindowOverlay *wo,
              GdkRectangle  *area)
{
  GtkWidget      *child = gtk_window_get_child (GTK_WINDOW (wo->window));
  graphene_rect_t bounds;

  *area = (GdkRectangle){ 0, 0, gtk_widget_get_width (wo->window), gtk_widget_get_height (wo->window) };
  if (child != NULL && gtk_widget_get_height (child) > 0 && gtk_widget_compute_bounds (child, wo->window, &bounds) &&
      bounds.origin.y + bounds.size.height < area->height)
    area->height = bounds.origin.y + bounds.size.height;
}

/* Shows the popover when the overlay has something to show and the window
 * is mapped, at the bottom of the window's content, within the window. */
static gboolean
window_overlay_sync (gpointer user_data)
{
  WindowOverlay *wo = user_data;
  gboolean       show = gtk_widget_get_visible (wo->overlay) && gtk_widget_get_mapped (wo->window);
  GdkRectangle   area;

  window_overlay_stop (wo);
  content_area (wo, &area);
  show = show && area.width > 2 * OVERLAY_MARGIN && area.height > 2 * OVERLAY_MARGIN;

  if (show && !gdk_rectangle_equal (&area, &wo->area))
    {
      /* The popover's border is 1 px on each side. */
      hot_overlay_set_max_size (HOT_OVERLAY (wo->overlay), area.width - 2 * OVERLAY_MARGIN - 2,
                                MAX (48, area.height * 2 / 3));
      gtk_popover_set_pointing_to (GTK_POPOVER (wo->popover),
                                   &(GdkRectangle){ area.x + OVERLAY_MARGIN, area.y + area.height - OVERLAY_MARGIN,
                                                    area.width - 2 * OVERLAY_MARGIN, 1 });
    }

  /* Presented again when the window's size or the overlay's content
   * changed (a popover does not size itself to a new content at once). */
  if (show && !gtk_widget_get_visible (wo->popover))
    gtk_popover_popup (GTK_POPOVER (wo->popover));
  else if (!show && gtk_widget_get_visible (wo->popover))
    gtk_popover_popdown (GTK_POPOVER (wo->popover));
  else if (show && (wo->dirty || !gdk_rectangle_equal (&area, &wo->area)))
    gtk_popover_present (GTK_POPOVER (wo->popover));
  if (show)
    {
      wo->area = area;
      wo->dirty = FALSE;
    }

  return G_SOURCE_REMOVE;
}

/* Before the window's next frame; never from inside a layout (GTK would
 * lay the window out again and again). */
static void
window_overlay_sync_later (WindowOverlay *wo)
{
  if (wo->sync_id == 0)
    wo->sync_id = g_idle_add_full (GDK_PRIORITY_REDRAW - 5, window_overlay_sync, wo, NULL);
}

static void
overlay_visible_changed (GtkWidget     *overlay,
                         GParamSpec    *pspec,
                         WindowOverlay *wo)
{
  window_overlay_sync_later (wo);
}

static void
overlay_changed (GtkWidget     *overlay,
                 WindowOverlay *wo)
{
  wo->dirty = TRUE;
  window_overlay_sync_later (wo);
}

static void
window_unmapped (GtkWidget     *window,
                 WindowOverlay *wo)
{
  window_overlay_sync_later (wo);
}

static void
surface_layout (GdkSurface    *surface,
                int            width,
                int            height,
                WindowOverlay *wo)
{
  window_overlay_sync_later (wo);
}

static void
window_mapped (GtkWidget     *window,
               WindowOverlay *wo)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));

  if (surface != wo->surface)
    {
      if (wo->surface != NULL)
        g_clear_signal_handler (&wo->layout_handler, wo->surface);
      wo->surface = surface;
      wo->layout_handler = g_signal_connect_after (surface, "layout", G_CALLBACK (surface_layout), wo);
    }
  window_overlay_sync_later (wo);
}

static void
window_unrealized (GtkWidget     *window,
                   WindowOverlay *wo)
{
  if (wo->surface != NULL)
    g_clear_signal_handler (&wo->layout_handler, wo->surface);
  wo->surface = NULL;
  window_overlay_stop (wo);
}

static void
window_destroyed (GtkWidget     *window,
                  WindowOverlay *wo)
{
  window_unrealized (window, wo);
  window_overlay_stop (wo);
  g_clear_pointer (&wo->popover, gtk_widget_unparent);
}

/**
 * hot_window_overlay_ensure:
 * @window: a window
 * @statuses: what the overlay shows: the #HotStatus of every module
 * @source_root: (nullable): the project's source folder: paths in it are
 *   shown relative to it
 *
 * Gives @window its developer overlay, once.
 *
 * Returns: (transfer none): the window's #HotOverlay
 */
GtkWidget *
hot_window_overlay_ensure (GtkWindow  *window,
                           GListModel *statuses,
                           const char *source_root)
{
  WindowOverlay *wo = g_object_get_data (G_OBJECT (window), "hotnode-overlay");

  if (wo != NULL)
    return wo->overlay;

  wo = g_new0 (WindowOverlay, 1);
  wo->window = GTK_WIDGET (window);
  wo->overlay = hot_overlay_new (statuses);
  hot_overlay_set_source_root (HOT_OVERLAY (wo->overlay), source_root);
  wo->popover = gtk_popover_new ();
  gtk_widget_add_css_class (wo->popover, "hotnode-popover");
  gtk_popover_set_autohide (GTK_POPOVER (wo->popover), FALSE);
  gtk_popover_set_has_arrow (GTK_POPOVER (wo->popover), FALSE);
  gtk_popover_set_position (GTK_POPOVER (wo->popover), GTK_POS_TOP);
  gtk_widget_set_focusable (wo->popover, FALSE);
  gtk_popover_set_child (GTK_POPOVER (wo->popover), wo->overlay);
  gtk_widget_set_parent (wo->popover, wo->window);
  g_object_set_data_full (G_OBJECT (window), "hotnode-overlay", wo, window_overlay_free);

  g_signal_connect (wo->overlay, "notify::visible", G_CALLBACK (overlay_visible_changed), wo);
  g_signal_connect (wo->overlay, "changed", G_CALLBACK (overlay_changed), wo);
  g_signal_connect (window, "map", G_CALLBACK (window_mapped), wo);
  g_signal_connect (window, "unmap", G_CALLBACK (window_unmapped), wo);
  g_signal_connect (window, "unrealize", G_CALLBACK (window_unrealized), wo);
  g_signal_connect (window, "destroy", G_CALLBACK (window_destroyed), wo);
  if (gtk_widget_get_mapped (wo->window))
    window_mapped (wo->window, wo);

  return wo->overlay;
}

/**
 * hot_window_overlay_get_popover:
 * @window: a window
 *
 * Returns: (transfer none) (nullable): the popover holding @window's
 *   overlay, or %NULL when it has none
 */
GtkWidget *
hot_window_overlay_get_popover (GtkWindow *window)
{
  WindowOverlay *wo = g_object_get_data (G_OBJECT (window), "hotnode-overlay");

  return wo ? wo->popover : NULL;
}

typedef struct
{
  GWeakRef    window;
  GListModel *statuses;
  char       *source_root;
} PendingOverlay;

static void
pending_overlay_free (gpointer data)
{
  PendingOverlay *pending = data;

  g_weak_ref_clear (&pending->window);
  g_object_unref (pending->statuses);
  g_free (pending->source_root);
  g_free (pending);
}

static gboolean
add_pending_overlay (gpointer data)
{
  PendingOverlay *pending = data;
  g_autoptr (GtkWindow) window = g_weak_ref_get (&pending->window);

  if (window != NULL)
    {
      g_object_set_data (G_OBJECT (window), "hotnode-overlay-pending", NULL);
      hot_window_overlay_ensure (window, pending->statuses, pending->source_root);
    }

  return G_SOURCE_REMOVE;
}

/**
 * hot_window_overlay_place:
 * @proxy: a proxy just mapped
 * @statuses: what the overlay shows: the #HotStatus of every module
 * @source_root: (nullable): the project's source folder
 *
 * Gives @proxy's window its overlay, if it has none yet: from an idle, as
 * a child added to a window in the middle of its mapping would cost the
 * window its first allocation.
 */
void
hot_window_overlay_place (HotNode    *proxy,
                          GListModel *statuses,
                          const char *source_root)
{
  GtkRoot        *root = gtk_widget_get_root (GTK_WIDGET (proxy));
  PendingOverlay *pending;

  if (!GTK_IS_WINDOW (root) || g_object_get_data (G_OBJECT (root), "hotnode-overlay") != NULL ||
      g_object_get_data (G_OBJECT (root), "hotnode-overlay-pending") != NULL)
    return;

  pending = g_new0 (PendingOverlay, 1);
  g_weak_ref_init (&pending->window, root);
  pending->statuses = g_object_ref (statuses);
  pending->source_root = g_strdup (source_root);
  g_object_set_data (G_OBJECT (root), "hotnode-overlay-pending", pending);
  g_idle_add_full (G_PRIORITY_DEFAULT, add_pending_overlay, pending, pending_overlay_free);
}

/* Waiting for the first frame after a reload; kept on the status. */
typedef struct
{
  HotStatus     *status;
  GWeakRef       proxy; /* the proxy whose window is painted */
  GdkFrameClock *clock;
  gulong         handler;
  gint64         painted_at;
  guint          idle_id;
} PaintWait;

static void
paint_wait_stop (PaintWait *wait)
{
  /* A clock whose window is gone has dropped its handlers already. */
  if (wait->clock != NULL && wait->handler != 0 && g_signal_handler_is_connected (wait->clock, wait->handler))
    g_signal_handler_disconnect (wait->clock, wait->handler);
  wait->handler = 0;
  g_clear_object (&wait->clock);
  g_clear_handle_id (&wait->idle_id, g_source_remove);
}

static void
paint_wait_free (gpointer data)
{
  PaintWait *wait = data;

  paint_wait_stop (wait);
  g_weak_ref_clear (&wait->proxy);
  g_free (wait);
}

static void
publish_painted (gpointer user_data)
{
  PaintWait *wait = user_data;
  g_autoptr (GVariantDict) timings = g_variant_dict_new (hot_status_get_timings (wait->status));

  wait->idle_id = 0;
  g_variant_dict_insert (timings, "painted", "x", wait->painted_at);
  hot_status_set_timings (wait->status, g_variant_dict_end (timings));
}

static void
reload_painted (GdkFrameClock *clock,
                gpointer       user_data)
{
  PaintWait *wait = user_data;
  g_autoptr (HotNode) proxy = g_weak_ref_get (&wait->proxy);
  GtkWidget *child = proxy ? hot_node_get_child (proxy) : NULL;

  /* Not the frame with the new child yet: a window that grows for it waits
   * for its new size, while a popover on the same clock may paint. */
  if (child != NULL && gtk_widget_get_mapped (GTK_WIDGET (proxy)) && gtk_widget_get_width (child) == 0)
    return;

  /* Published from an idle: what listens to the status may change widgets,
   * which is not for the middle of a frame. */
  wait->painted_at = g_get_monotonic_time ();
  g_clear_signal_handler (&wait->handler, clock);
  g_clear_object (&wait->clock);
  wait->idle_id = g_idle_add_once (publish_painted, wait);
}

/**
 * hot_window_overlay_wait_for_paint:
 * @status: the status of a module just reloaded
 * @proxies: a list model of every live #HotNode
 *
 * Adds "painted" to @status's timings when the first frame of a window
 * showing the module has been painted.
 */
void
hot_window_overlay_wait_for_paint (HotStatus  *status,
                                   GListModel *proxies)
{
  PaintWait *wait = g_object_get_data (G_OBJECT (status), "hotnode-paint-wait");

  if (wait == NULL)
    {
      wait = g_new0 (PaintWait, 1);
      wait->status = status;
      g_weak_ref_init (&wait->proxy, NULL);
      g_object_set_data_full (G_OBJECT (status), "hotnode-paint-wait", wait, paint_wait_free);
    }
  paint_wait_stop (wait);

  for (guint i = 0; i < g_list_model_get_n_items (proxies); i++)
    {
      g_autoptr (HotNode) proxy = g_list_model_get_item (proxies, i);
      GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (proxy));

      if (clock == NULL || g_strcmp0 (hot_node_get_module (proxy), hot_status_get_module (status)) != 0)
        continue;

      g_weak_ref_set (&wait->proxy, proxy);
      wait->clock = g_object_ref (clock);
      wait->handler = g_signal_connect (clock, "after-paint", G_CALLBACK (reload_painted), wait);
      gtk_widget_queue_draw (GTK_WIDGET (proxy));
      break;
    }
}
