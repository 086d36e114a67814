/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What happened to a path in a watched folder, as HotWatcher sorts it. */
typedef enum
{
  HOT_WATCH_EVENT_CHANGED,  /* written, deleted, moved away: more may come */
  HOT_WATCH_EVENT_DONE,     /* closed after writing: the end of a save */
  HOT_WATCH_EVENT_CREATED,  /* created: writes usually follow */
  HOT_WATCH_EVENT_MOVED_IN, /* renamed into place: the end of a save */
  HOT_WATCH_EVENT_GONE,     /* the watched folder itself is gone or moved */
} HotWatchEvent;

typedef void (*HotWatchFunc) (const char   *path,
                              HotWatchEvent event,
                              gboolean      is_dir,
                              gpointer      user_data);

typedef struct _HotInotify HotInotify;

HotInotify *hot_inotify_new (HotWatchFunc func,
                             gpointer     user_data);
gboolean    hot_inotify_add_dir (HotInotify *self,
                                 const char *path,
                                 GError    **error);
void        hot_inotify_free (HotInotify *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotInotify, hot_inotify_free)

G_END_DECLS
