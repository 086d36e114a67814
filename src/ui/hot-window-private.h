/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

#include "hot-node-private.h"
#include "hot-status.h"

G_BEGIN_DECLS

typedef void (*HotWindowResetFunc) (const char *module,
                                    gpointer    user_data);

void hot_window_set_reset_func (HotWindowResetFunc func,
                                gpointer           user_data);

GtkWidget *hot_window_ensure_overlay (GtkWindow  *window,
                                      GListModel *statuses,
                                      const char *source_root);
GtkWidget *hot_window_get_overlay_popover (GtkWindow *window);
void       hot_window_place_overlay (HotNode    *proxy,
                                     GListModel *statuses,
                                     const char *source_root);
void       hot_window_wait_for_paint (HotStatus *status,
                                      GPtrArray *proxies);

G_END_DECLS
