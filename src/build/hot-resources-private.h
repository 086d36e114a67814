/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The app's GResource bundles (`.gresource.xml` in the project's folders),
 * compiled again at run time from their source files and registered over
 * the copies compiled into the app: templates and builder files are read
 * from what the files hold now, with no C compiler. Knows nothing of GTK. */
typedef struct _HotResources HotResources;

HotResources *hot_resources_new (const char *build_dir);
void          hot_resources_free (HotResources *self);
GPtrArray    *hot_resources_list_files (HotResources *self,
                                        const char   *suffix);
const char   *hot_resources_get_resource_path (HotResources *self,
                                               const char   *file);
const char   *hot_resources_lookup_file (HotResources *self,
                                         const char   *resource_path);
void          hot_resources_update_async (HotResources       *self,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
gboolean      hot_resources_update_finish (HotResources *self,
                                           GAsyncResult *result,
                                           GListModel  **diagnostics,
                                           GError      **error);
void          hot_resources_raise (HotResources *self);
void          hot_resources_settle (HotResources *self,
                                    gboolean      live);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotResources, hot_resources_free)

G_END_DECLS
