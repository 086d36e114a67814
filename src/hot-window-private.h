/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

#include "hot-node-private.h"
#include "hot-status.h"

G_BEGIN_DECLS

void hot_window_place_overlay (HotNode    *proxy,
                               GListModel *statuses);
void hot_window_wait_for_paint (HotStatus *status,
                                GPtrArray *proxies);

G_END_DECLS
