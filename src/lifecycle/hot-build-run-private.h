/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "hot-builder-private.h"
#include "hot-generation-private.h"
#include "hot-inputs-private.h"
#include "hot-loader-private.h"
#include "hot-project-private.h"
#include "hot-resources-private.h"

G_BEGIN_DECLS

/* What one build of a module needs. */
typedef struct
{
  const HotModuleInfo *info;
  HotInputs           *inputs;    /* to check, before the load, that they are still @snapshot */
  GHashTable          *snapshot;  /* what is built */
  HotResources        *resources; /* compiled first, or NULL */
  HotBuilder          *builder;   /* NULL: only resources changed, @reload is loaded again */
  HotBuilder          *fallback;  /* builds when @builder fails, or NULL */
  const char          *reload;
  HotLoader           *loader;
  guint                load_timeout_ms;
} HotBuildPlan;

#define HOT_TYPE_BUILD_RUN (hot_build_run_get_type ())

G_DECLARE_FINAL_TYPE (HotBuildRun, hot_build_run, HOT, BUILD_RUN, GObject)

HotBuildRun   *hot_build_run_new (const HotBuildPlan *plan);
void           hot_build_run_async (HotBuildRun        *self,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data);
HotGeneration *hot_build_run_finish (HotBuildRun  *self,
                                     GAsyncResult *result,
                                     GListModel  **diagnostics,
                                     GError      **error);
const char    *hot_build_run_get_builder_name (HotBuildRun *self);
gboolean       hot_build_run_get_resources_pending (HotBuildRun *self);

G_END_DECLS
