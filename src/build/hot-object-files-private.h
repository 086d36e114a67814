/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hot-inputs-private.h"
#include "hot-project-private.h"

G_BEGIN_DECLS

/* What the build system's objects of one module were compiled from. */
typedef struct _HotObjectFiles HotObjectFiles;

HotObjectFiles *hot_object_files_new (const HotModuleInfo *info,
                                      HotInputs           *inputs,
                                      GHashTable          *snapshot);
void            hot_object_files_free (HotObjectFiles *self);
void            hot_object_files_complete (HotObjectFiles *self);
GHashTable     *hot_object_files_reusable (HotObjectFiles *self,
                                           GHashTable     *wanted);
void            hot_object_files_date_back_stale (HotObjectFiles *self,
                                                  GHashTable     *wanted);
void            hot_object_files_built (HotObjectFiles *self,
                                        GHashTable     *snapshot);
void            hot_object_files_stopped (HotObjectFiles *self,
                                          GHashTable     *snapshot);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotObjectFiles, hot_object_files_free)

G_END_DECLS
