/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "hot-compile-command-private.h"
#include "hot-inputs-private.h"
#include "hot-project-private.h"
#include "hot-error.h"

G_BEGIN_DECLS

#define HOT_TYPE_FAST_BUILDER (hot_fast_builder_get_type ())

G_DECLARE_FINAL_TYPE (HotFastBuilder, hot_fast_builder, HOT, FAST_BUILDER, GObject)

HotFastBuilder *hot_fast_builder_new (const HotModuleInfo *info,
                                      HotFastPath          mode,
                                      HotInputs           *inputs);
HotFastPath     hot_fast_builder_get_mode (HotFastBuilder *self);
gboolean        hot_fast_builder_can_build (HotFastBuilder *self,
                                            GError        **error);
void            hot_fast_builder_build_async (HotFastBuilder     *self,
                                              GHashTable         *snapshot,
                                              GHashTable         *reusable,
                                              GCancellable       *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
char           *hot_fast_builder_build_finish (HotFastBuilder *self,
                                               GAsyncResult   *result,
                                               GError        **error);
void            hot_fast_builder_prepare_async (HotFastBuilder     *self,
                                                GCancellable       *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer            user_data);
gboolean        hot_fast_builder_prepare_finish (HotFastBuilder *self,
                                                 GAsyncResult   *result,
                                                 GError        **error);
void            hot_fast_builder_forget (HotFastBuilder *self);
gboolean        hot_fast_builder_making_link_stubs (HotFastBuilder *self);
gboolean        hot_fast_builder_linked_with_stubs (HotFastBuilder *self);
GStrv           hot_fast_builder_compile_argv (HotFastBuilder *self,
                                               const char     *source,
                                               const char     *object);

G_END_DECLS
