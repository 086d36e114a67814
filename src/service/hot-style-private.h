/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* What the service does for style sheets: the source file of a resource
 * path (transfer full, or NULL), and watching a file. */
typedef struct
{
  char *(*resolve) (const char *resource_path,
                    gpointer    data);
  void (*watch) (const char *file,
                 gpointer    data);
} HotStyleHooks;

void        hot_style_set_hooks (const HotStyleHooks *hooks,
                                 gpointer             data);
gboolean    hot_style_file_changed (const char *path);
GListModel *hot_style_get_statuses (void);
guint       hot_style_count_sheets (void);
gboolean    hot_style_loaders_interposed (void);

G_END_DECLS
