/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "hot-builder-private.h"
#include "hot-fast-builder-private.h"
#include "hot-object-files-private.h"
#include "hot-project-private.h"

G_BEGIN_DECLS

/* The app's rebuild command, or %NULL without error for ninja. */
typedef GStrv (*HotRebuildCommandFunc) (char   **output,
                                        GError **error,
                                        gpointer user_data);
/* The rebuilder ended (@success: it wrote the library); @by_ninja: it ran
 * ninja, whose objects are the build system's. */
typedef void (*HotRebuildEndedFunc) (GHashTable *snapshot,
                                     gboolean    by_ninja,
                                     gboolean    success,
                                     gpointer    user_data);

#define HOT_TYPE_FAST_PATH_BUILDER (hot_fast_path_builder_get_type ())

G_DECLARE_FINAL_TYPE (HotFastPathBuilder, hot_fast_path_builder, HOT, FAST_PATH_BUILDER, GObject)

HotBuilder *hot_fast_path_builder_new (HotFastBuilder *fast_builder,
                                       GHashTable     *reusable);

#define HOT_TYPE_REBUILD_BUILDER (hot_rebuild_builder_get_type ())

G_DECLARE_FINAL_TYPE (HotRebuildBuilder, hot_rebuild_builder, HOT, REBUILD_BUILDER, GObject)

HotBuilder *hot_rebuild_builder_new (const HotModuleInfo  *info,
                                     HotObjectFiles       *objects,
                                     HotRebuildCommandFunc command,
                                     HotRebuildEndedFunc   ended,
                                     gpointer              user_data);

G_END_DECLS
