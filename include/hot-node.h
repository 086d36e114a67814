/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(_HOTNODE_INSIDE) && !defined(HOTNODE_COMPILATION)
#error "Only <hotnode.h> can be included directly."
#endif

#include <gtk/gtk.h>

#include "hot-node-args.h"
#include "hotnode-version.h"

G_BEGIN_DECLS

#define HOT_TYPE_NODE (hot_node_get_type ())

/* Declared by hand: G_DECLARE_FINAL_TYPE would define a HOT_NODE() cast, and
 * HOT_NODE() is the macro that defines hot node constructors. The cast is
 * HOT_NODE_PROXY(). */
typedef struct _HotNode HotNode;
typedef struct
{
  GtkWidgetClass parent_class;
} HotNodeClass;

HOTNODE_AVAILABLE_IN_ALL
GType hot_node_get_type (void) G_GNUC_CONST;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotNode, g_object_unref)

/**
 * HOT_NODE_PROXY:
 * @ptr: a [class@Hot.Node]
 *
 * Casts @ptr to [class@Hot.Node], checking its type.
 *
 * Since: 0.1
 */
#define HOT_NODE_PROXY(ptr) (G_TYPE_CHECK_INSTANCE_CAST ((ptr), HOT_TYPE_NODE, HotNode))

/**
 * HOT_IS_NODE:
 * @ptr: an instance
 *
 * Whether @ptr is a [class@Hot.Node] proxy.
 *
 * Since: 0.1
 */
#define HOT_IS_NODE(ptr) (G_TYPE_CHECK_INSTANCE_TYPE ((ptr), HOT_TYPE_NODE))

HOTNODE_AVAILABLE_IN_ALL
GtkWidget *hot_node_new (const char  *name,
                         HotNodeArgs *args) G_GNUC_WARN_UNUSED_RESULT;

HOTNODE_AVAILABLE_IN_ALL
const char *hot_node_get_node_name (HotNode *self);
HOTNODE_AVAILABLE_IN_ALL
const char *hot_node_get_module (HotNode *self);
HOTNODE_AVAILABLE_IN_ALL
HotNodeArgs *hot_node_get_args (HotNode *self);
HOTNODE_AVAILABLE_IN_ALL
GtkWidget *hot_node_get_child (HotNode *self);
HOTNODE_AVAILABLE_IN_ALL
guint hot_node_get_generation (HotNode *self);
HOTNODE_AVAILABLE_IN_ALL
gboolean hot_node_get_keep_state (HotNode *self);
HOTNODE_AVAILABLE_IN_ALL
void hot_node_set_keep_state (HotNode *self,
                              gboolean keep_state);

HOTNODE_AVAILABLE_IN_ALL
void hot_node_own_source (GtkWidget *widget,
                          guint      source_id);
HOTNODE_AVAILABLE_IN_ALL
void hot_node_own_binding (GtkWidget *widget,
                           GBinding  *binding);

G_END_DECLS
