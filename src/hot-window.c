/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hot-overlay-private.h"
#include "hot-status-private.h"
#include "hot-window-private.h"

/*
 * What hot reload does per window: one developer overlay, laid over the
 * window's largest hot node, and the moment the first frame after a reload
 * is painted, for HotStatus:timings.
 */

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static int
proxy_area (HotNode *proxy)
{
  return gtk_widget_get_width (GTK_WIDGET (proxy)) * gtk_widget_get_height (GTK_WIDGET (proxy));
}

/**
 * hot_window_place_overlay:
 * @proxy: a proxy in a window
 * @statuses: what the overlay shows: the #HotStatus of every module
 *
 * Gives @proxy's window its overlay, or moves it onto @proxy when @proxy
 * is larger than the proxy holding it (the first one mapped holds it until
 * sizes are known).
 */
void
hot_window_place_overlay (HotNode    *proxy,
                          GListModel *statuses)
{
  GtkRoot  *root = gtk_widget_get_root (GTK_WIDGET (proxy));
  GWeakRef *slot;
  g_autoptr (GtkWidget) overlay = NULL;
  GtkWidget *holder;

  if (root == NULL)
    return;

  slot = g_object_get_data (G_OBJECT (root), "hotnode-overlay");
  if (slot == NULL)
    {
      slot = g_new0 (GWeakRef, 1);
      g_weak_ref_init (slot, NULL);
      g_object_set_data_full (G_OBJECT (root), "hotnode-overlay", slot, weak_ref_free);
    }

  overlay = g_weak_ref_get (slot);
  if (overlay == NULL)
    {
      overlay = g_object_ref_sink (hot_overlay_new (statuses));
      g_weak_ref_set (slot, overlay);
      hot_node_set_overlay (proxy, overlay);
      return;
    }

  holder = gtk_widget_get_ancestor (overlay, HOT_TYPE_NODE);
  if (holder == GTK_WIDGET (proxy) || (holder != NULL && proxy_area (proxy) <= proxy_area (HOT_NODE_PROXY (holder))))
    return;

  if (holder != NULL)
    hot_node_set_overlay (HOT_NODE_PROXY (holder), NULL);
  hot_node_set_overlay (proxy, overlay);
}

/* Waiting for the first frame after a reload; kept on the status. */
typedef struct
{
  HotStatus     *status;
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
  paint_wait_stop (data);
  g_free (data);
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

  /* Published from an idle: what listens to the status may change widgets,
   * which is not for the middle of a frame. */
  wait->painted_at = g_get_monotonic_time ();
  g_clear_signal_handler (&wait->handler, clock);
  g_clear_object (&wait->clock);
  wait->idle_id = g_idle_add_once (publish_painted, wait);
}

/**
 * hot_window_wait_for_paint:
 * @status: the status of a module just reloaded
 * @proxies: (element-type HotNode): every live proxy
 *
 * Adds "painted" to @status's timings when the first frame of a window
 * showing the module has been painted.
 */
void
hot_window_wait_for_paint (HotStatus *status,
                           GPtrArray *proxies)
{
  PaintWait *wait = g_object_get_data (G_OBJECT (status), "hotnode-paint-wait");

  if (wait == NULL)
    {
      wait = g_new0 (PaintWait, 1);
      wait->status = status;
      g_object_set_data_full (G_OBJECT (status), "hotnode-paint-wait", wait, paint_wait_free);
    }
  paint_wait_stop (wait);

  for (guint i = 0; i < proxies->len; i++)
    {
      HotNode       *proxy = g_ptr_array_index (proxies, i);
      GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (proxy));

      if (clock == NULL || g_strcmp0 (hot_node_get_module (proxy), hot_status_get_module (status)) != 0)
        continue;

      wait->clock = g_object_ref (clock);
      wait->handler = g_signal_connect (clock, "after-paint", G_CALLBACK (reload_painted), wait);
      gtk_widget_queue_draw (GTK_WIDGET (proxy));
      break;
    }
}
