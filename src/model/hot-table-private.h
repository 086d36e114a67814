/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hot-macros.h"

G_BEGIN_DECLS

/* An index over the tables of one or more images: node entries by name,
 * static entries by key ("file:name"). Knows nothing of GTK. */
typedef struct _HotTable HotTable;

HotTable           *hot_table_new (void);
HotTable           *hot_table_new_for_host (void);
HotTable           *hot_table_get_host (void);
void                hot_table_free (HotTable *self);
gboolean            hot_table_add_image (HotTable       *self,
                                         const HotImage *image,
                                         GError        **error);
const HotNodeEntry *hot_table_lookup_node (HotTable   *self,
                                           const char *name);
GPtrArray          *hot_table_get_nodes (HotTable *self);
GPtrArray          *hot_table_get_statics (HotTable *self);

gboolean               hot_image_check_abi (const HotImage *image,
                                            const char     *where,
                                            GError        **error);
const HotImage *const *hot_image_get_registered (guint *n_images);
void                   hot_image_set_generation (const HotImage *image,
                                                 guint           generation);
guint                  hot_image_get_type_count (const HotImage *image);
void                   hot_image_forget (const HotImage *image);

char *hot_static_entry_dup_key (const HotStaticEntry *entry);

/* The host's statics by key. Patching points a generation's statics at the
 * storage registered under their key, and adopts statics new to the registry
 * (the registry then owns a copy of their initial value). */
typedef struct _HotStaticRegistry HotStaticRegistry;

HotStaticRegistry *hot_static_registry_new (void);
void               hot_static_registry_free (HotStaticRegistry *self);
void               hot_static_registry_capture (HotStaticRegistry *self,
                                                HotTable          *host);
gboolean           hot_static_registry_patch (HotStaticRegistry *self,
                                              HotTable          *generation,
                                              GError           **error);
gpointer           hot_static_registry_lookup (HotStaticRegistry *self,
                                               const char        *key);
guint              hot_static_registry_reset (HotStaticRegistry *self,
                                              gboolean (*in_module) (const char *file, gpointer user_data),
                                              gpointer user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotTable, hot_table_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotStaticRegistry, hot_static_registry_free)

G_END_DECLS
