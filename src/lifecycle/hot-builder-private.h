/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "hot-rebuilder-private.h"

G_BEGIN_DECLS

#define HOT_TYPE_BUILDER (hot_builder_get_type ())

G_DECLARE_INTERFACE (HotBuilder, hot_builder, HOT, BUILDER, GObject)

/* What builds a module's library from its inputs: the fast path, the
 * app's rebuilder or ninja (hot-builders.c), or a test's. */
struct _HotBuilderInterface
{
  GTypeInterface g_iface;

  void (*build_async) (HotBuilder         *self,
                       GHashTable         *snapshot,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data);
  char *(*build_finish) (HotBuilder    *self,
                         GAsyncResult  *result,
                         GListModel   **diagnostics,
                         HotBuildLock **lock,
                         GError       **error);
  const char *(*get_name) (HotBuilder *self);
};

void        hot_builder_build_async (HotBuilder         *self,
                                     GHashTable         *snapshot,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
char       *hot_builder_build_finish (HotBuilder    *self,
                                      GAsyncResult  *result,
                                      GListModel   **diagnostics,
                                      HotBuildLock **lock,
                                      GError       **error);
const char *hot_builder_get_name (HotBuilder *self);

G_END_DECLS
