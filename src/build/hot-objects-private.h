/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hot-inputs-private.h"
#include "hot-project-private.h"

G_BEGIN_DECLS

/* What the build system's objects of one module were compiled from. */
typedef struct _HotObjects HotObjects;

HotObjects *hot_objects_new (const HotModuleInfo *info,
                             HotInputs           *inputs,
                             GHashTable          *snapshot);
void        hot_objects_free (HotObjects *self);
void        hot_objects_complete (HotObjects *self);
GHashTable *hot_objects_reusable (HotObjects *self,
                                  GHashTable *wanted);
void        hot_objects_date_back_stale (HotObjects *self,
                                         GHashTable *wanted);
void        hot_objects_built (HotObjects *self,
                               GHashTable *snapshot);
void        hot_objects_stopped (HotObjects *self,
                                 GHashTable *snapshot);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotObjects, hot_objects_free)

G_END_DECLS
