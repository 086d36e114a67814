/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

#include "hot-node-private.h"
#include "hot-status.h"

G_BEGIN_DECLS

GtkWidget *hot_window_overlay_ensure (GtkWindow  *window,
                                      GListModel *statuses,
                                      const char *source_root);
GtkWidget *hot_window_overlay_get_popover (GtkWindow *window);
void       hot_window_overlay_place (HotNode    *proxy,
                                     GListModel *statuses,
                                     const char *source_root);
void       hot_window_overlay_wait_for_paint (HotStatus  *status,
                                              GListModel *proxies);

G_END_DECLS
