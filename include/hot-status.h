/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(_HOTNODE_INSIDE) && !defined(HOTNODE_COMPILATION)
#error "Only <hotnode.h> can be included directly."
#endif

#include <gio/gio.h>

#include "hotnode-version.h"

G_BEGIN_DECLS

#define HOT_TYPE_STATUS (hot_status_get_type ())

HOTNODE_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (HotStatus, hot_status, HOT, STATUS, GObject)

HOTNODE_AVAILABLE_IN_ALL
const char *hot_status_get_module (HotStatus *self);
HOTNODE_AVAILABLE_IN_ALL
const char *hot_status_get_source_dir (HotStatus *self);
HOTNODE_AVAILABLE_IN_ALL
gboolean hot_status_get_building (HotStatus *self);
HOTNODE_AVAILABLE_IN_ALL
gboolean hot_status_get_held (HotStatus *self);
HOTNODE_AVAILABLE_IN_ALL
guint hot_status_get_rebuild_count (HotStatus *self);
HOTNODE_AVAILABLE_IN_ALL
GTimeSpan hot_status_get_last_duration (HotStatus *self);
HOTNODE_AVAILABLE_IN_ALL
const GError *hot_status_get_error (HotStatus *self);
HOTNODE_AVAILABLE_IN_ALL
GListModel *hot_status_get_diagnostics (HotStatus *self);
HOTNODE_AVAILABLE_IN_ALL
guint hot_status_get_generation (HotStatus *self);
HOTNODE_AVAILABLE_IN_ALL
const char *hot_status_get_crash_node (HotStatus *self);
HOTNODE_AVAILABLE_IN_ALL
int hot_status_get_crash_signal (HotStatus *self);
HOTNODE_AVAILABLE_IN_ALL
const char *hot_status_get_crash_backtrace (HotStatus *self);
HOTNODE_AVAILABLE_IN_ALL
GVariant *hot_status_get_timings (HotStatus *self);
HOTNODE_AVAILABLE_IN_ALL
const char *const *hot_status_get_vanished_nodes (HotStatus *self);

G_END_DECLS
