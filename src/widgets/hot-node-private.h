/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "hot-node.h"

G_BEGIN_DECLS

HotNode *hot_node_new_proxy (const char  *name,
                             const char  *module,
                             HotNodeArgs *args);
void     hot_node_set_module (HotNode    *self,
                              const char *module);
void     hot_node_set_child (HotNode   *self,
                             GtkWidget *child,
                             guint      generation);

G_END_DECLS
