/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>

#include "hot-loader-private.h"
#include "hot-table-private.h"

G_BEGIN_DECLS

/* One loaded generation of a module: its library, the index of its tables,
 * and how many objects its constructors built are still alive. */
typedef struct _HotGeneration HotGeneration;

typedef void (*HotGenerationIdleFunc) (HotGeneration *generation,
                                       gpointer       user_data);

struct _HotGeneration
{
  HotLibrary *library; /* NULL once unloaded */
  HotTable   *table;
  GHashTable *snapshot; /* the inputs it was built from, or NULL */
  guint       number;
  guint       live_objects;
  gint64      live_since; /* g_get_monotonic_time () when it went live */

  HotGenerationIdleFunc idle_func; /* called, from an idle, when live_objects drops to 0 */
  gpointer              idle_data;
  guint                 idle_id;
};

HotGeneration *hot_generation_new (HotLibrary *library,
                                   GError    **error);
void           hot_generation_free (HotGeneration *self);
void           hot_generation_track (HotGeneration *self,
                                     GObject       *object);
gboolean       hot_generation_unload (HotGeneration *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotGeneration, hot_generation_free)

G_END_DECLS
