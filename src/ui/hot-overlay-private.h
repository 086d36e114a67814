/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define HOT_TYPE_OVERLAY (hot_overlay_get_type ())

G_DECLARE_FINAL_TYPE (HotOverlay, hot_overlay, HOT, OVERLAY, GtkWidget)

GtkWidget *hot_overlay_new (GListModel *statuses);
char      *hot_overlay_get_text (HotOverlay *self);
void       hot_overlay_set_max_size (HotOverlay *self,
                                     int         width,
                                     int         height);
void       hot_overlay_set_source_root (HotOverlay *self,
                                        const char *source_root);

G_END_DECLS
