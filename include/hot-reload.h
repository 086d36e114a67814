/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(_HOTNODE_INSIDE) && !defined(HOTNODE_COMPILATION)
#error "Only <hotnode.h> can be included directly."
#endif

#include <gio/gio.h>
#include <gtk/gtk.h>

#include "hot-error.h"
#include "hot-status.h"
#include "hotnode-version.h"

G_BEGIN_DECLS

#define HOT_TYPE_RELOAD (hot_reload_get_type ())

HOTNODE_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (HotReload, hot_reload, HOT, RELOAD, GObject)

/**
 * HotRebuilderFunc:
 * @self: the service
 * @module: the module to rebuild
 * @output_path: (inout): on entry, the library the default build writes; set
 *   it to the file your command writes, if that is another one
 * @user_data: the data given to [method@Hot.Reload.set_rebuilder]
 *
 * Chooses how a module is rebuilt. The command runs without a shell, in the
 * build folder, with the app's environment.
 *
 * Returns: (transfer full) (nullable): the command line to run, or %NULL to
 *   use `HOT_RELOAD_REBUILDER` or the default build
 *
 * Since: 0.1
 */
typedef char **(*HotRebuilderFunc) (HotReload  *self,
                                    const char *module,
                                    char      **output_path,
                                    gpointer    user_data);

HOTNODE_AVAILABLE_IN_ALL
HotReload *hot_reload_get_default (void);

HOTNODE_AVAILABLE_IN_ALL
gboolean hot_reload_get_enabled (HotReload *self);

HOTNODE_AVAILABLE_IN_ALL
void hot_reload_watch_style (HotReload      *self,
                             GtkCssProvider *provider,
                             GFile          *source);

HOTNODE_AVAILABLE_IN_ALL
guint hot_reload_get_load_timeout (HotReload *self);
HOTNODE_AVAILABLE_IN_ALL
void hot_reload_set_load_timeout (HotReload *self,
                                  guint      timeout_ms);

HOTNODE_AVAILABLE_IN_ALL
gboolean hot_reload_get_unload_generations (HotReload *self);
HOTNODE_AVAILABLE_IN_ALL
void hot_reload_set_unload_generations (HotReload *self,
                                        gboolean   unload);

HOTNODE_AVAILABLE_IN_ALL
HotFastPath hot_reload_get_fast_path (HotReload *self);
HOTNODE_AVAILABLE_IN_ALL
void hot_reload_set_fast_path (HotReload  *self,
                               HotFastPath fast_path);

HOTNODE_AVAILABLE_IN_ALL
GListModel *hot_reload_get_status (HotReload *self);

HOTNODE_AVAILABLE_IN_ALL
GListModel *hot_reload_get_proxies (HotReload *self);

HOTNODE_AVAILABLE_IN_ALL
HotStatus *hot_reload_lookup_status (HotReload  *self,
                                     const char *module);

HOTNODE_AVAILABLE_IN_ALL
void hot_reload_set_rebuilder (HotReload       *self,
                               HotRebuilderFunc rebuilder,
                               gpointer         user_data,
                               GDestroyNotify   destroy);

HOTNODE_AVAILABLE_IN_ALL
void hot_reload_rebuild (HotReload  *self,
                         const char *module);

HOTNODE_AVAILABLE_IN_ALL
void hot_reload_rebuild_async (HotReload          *self,
                               const char         *module,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data);
HOTNODE_AVAILABLE_IN_ALL
gboolean hot_reload_rebuild_finish (HotReload    *self,
                                    GAsyncResult *result,
                                    GError      **error);

HOTNODE_AVAILABLE_IN_ALL
void hot_reload_cancel (HotReload  *self,
                        const char *module);

HOTNODE_AVAILABLE_IN_ALL
void hot_reload_inhibit (HotReload  *self,
                         const char *module);
HOTNODE_AVAILABLE_IN_ALL
void hot_reload_uninhibit (HotReload  *self,
                           const char *module);
HOTNODE_AVAILABLE_IN_ALL
gboolean hot_reload_reset (HotReload  *self,
                           const char *module,
                           GError    **error);

G_END_DECLS
