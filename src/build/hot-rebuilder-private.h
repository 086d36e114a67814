/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "hot-project-private.h"

G_BEGIN_DECLS

typedef struct _HotBuildLock HotBuildLock;

HotBuildLock *hot_build_lock_ref (HotBuildLock *lock);
void          hot_build_lock_unref (HotBuildLock *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotBuildLock, hot_build_lock_unref)

GStrv hot_rebuilder_argv_from_env (const HotModuleInfo *info,
                                   const char          *command_line,
                                   GError             **error);
GStrv hot_rebuilder_ninja_argv (const HotModuleInfo *info,
                                GError             **error);
void  hot_rebuilder_run_async (const HotModuleInfo *info,
                               const char *const   *argv,
                               const char          *output,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data);
char *hot_rebuilder_run_finish (GAsyncResult  *result,
                                GListModel   **diagnostics,
                                HotBuildLock **lock,
                                GError       **error);

void  hot_rebuilder_list_deps_async (const HotModuleInfo *info,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
char *hot_rebuilder_list_deps_finish (GAsyncResult *result,
                                      GError      **error);

G_END_DECLS
