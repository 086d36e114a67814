/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

#include "hot-module-private.h"
#include "hot-node-private.h"

G_BEGIN_DECLS

/* How hot_node_new () finds the newest code of a node (set by the service
 * when hot reload is on). */
typedef struct
{
  /* The newest entry of @name: of a loaded generation (*@generation, of
   * *@module), or of the app (*@generation NULL), or NULL. */
  const HotNodeEntry *(*lookup) (const char     *name,
                                 HotGeneration **generation,
                                 HotModule     **module,
                                 gpointer        user_data);
  /* A proxy was made: the service keeps it. */
  void (*proxy_made) (HotNode *proxy,
                      gpointer user_data);
  guint (*timeout_ms) (gpointer user_data);
} HotResolver;

void       hot_instantiate_set_resolver (const HotResolver *resolver,
                                         gpointer           user_data);
GtkWidget *hot_instantiate_node (const char  *name,
                                 HotNodeArgs *args);
gboolean   hot_instantiate_generation (HotModule     *module,
                                       HotGeneration *generation,
                                       GPtrArray     *proxies,
                                       GPtrArray     *quarantine,
                                       gboolean       keep_state,
                                       GError       **error);

G_END_DECLS
