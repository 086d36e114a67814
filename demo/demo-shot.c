/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Screenshots of the demo's window, for its tour and the tests. */
#include "demo-shot.h"

/* What @widget (a native: the window, or a popover) draws, in @cr at
 * @x, @y. */
static gboolean
paint_native (GtkWidget *widget,
              cairo_t   *cr,
              int        x,
              int        y)
{
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  int              width = gtk_widget_get_width (widget);
  int              height = gtk_widget_get_height (widget);
  GskRenderer     *renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  cairo_surface_t *image;

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL || renderer == NULL)
    return FALSE;

  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  image = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  gdk_texture_download (texture, cairo_image_surface_get_data (image), cairo_image_surface_get_stride (image));
  cairo_surface_mark_dirty (image);
  cairo_set_source_surface (cr, image, x, y);
  cairo_paint (cr);
  cairo_surface_destroy (image);

  return TRUE;
}

/* A PNG of the window as it is seen: its popovers (hot reload's overlay is
 * one) are surfaces of their own, drawn where they are. */
gboolean
demo_save_png (GtkWidget  *widget,
               const char *path,
               GError    **error)
{
  cairo_surface_t *image = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, gtk_widget_get_width (widget),
                                                       gtk_widget_get_height (widget));
  cairo_t         *cr = cairo_create (image);
  gboolean         painted = paint_native (widget, cr, 0, 0);
  cairo_status_t   status;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); painted && child;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_POPOVER (child) && gtk_widget_get_mapped (child))
      {
        GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (child));

        paint_native (child, cr, gdk_popup_get_position_x (GDK_POPUP (surface)),
                      gdk_popup_get_position_y (GDK_POPUP (surface)));
      }
  cairo_destroy (cr);
  status = painted ? cairo_surface_write_to_png (image, path) : CAIRO_STATUS_SUCCESS;
  cairo_surface_destroy (image);

  if (!painted)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Nothing to save: the window is not shown");
      return FALSE;
    }
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Could not write %s: %s", path,
                   cairo_status_to_string (status));
      return FALSE;
    }

  return TRUE;
}
