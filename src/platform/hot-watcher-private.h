/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HOT_TYPE_WATCHER (hot_watcher_get_type ())

G_DECLARE_FINAL_TYPE (HotWatcher, hot_watcher, HOT, WATCHER, GObject)

HotWatcher *hot_watcher_new (guint debounce_ms,
                             guint settle_ms);
void        hot_watcher_add_dir (HotWatcher *self,
                                 const char *path);
void        hot_watcher_add_file (HotWatcher *self,
                                  const char *path);
void        hot_watcher_ignore (HotWatcher *self,
                                const char *path);

G_END_DECLS
