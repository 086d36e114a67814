/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(_HOTNODE_INSIDE) && !defined(HOTNODE_COMPILATION)
#error "Only <hotnode.h> can be included directly."
#endif

#include <glib-object.h>

#include "hotnode-version.h"

G_BEGIN_DECLS

#define HOT_TYPE_NODE_ARGS (hot_node_args_get_type ())

typedef struct _HotNodeArgs HotNodeArgs;

HOTNODE_AVAILABLE_IN_ALL
GType hot_node_args_get_type (void) G_GNUC_CONST;

HOTNODE_AVAILABLE_IN_ALL
HotNodeArgs *hot_node_args_new (void) G_GNUC_WARN_UNUSED_RESULT;
HOTNODE_AVAILABLE_IN_ALL
HotNodeArgs *hot_node_args_ref (HotNodeArgs *self);
HOTNODE_AVAILABLE_IN_ALL
void hot_node_args_unref (HotNodeArgs *self);

HOTNODE_AVAILABLE_IN_ALL
void hot_node_args_set_value (HotNodeArgs *self,
                              const char  *key,
                              GVariant    *value);
HOTNODE_AVAILABLE_IN_ALL
GVariant *hot_node_args_get_value (HotNodeArgs        *self,
                                   const char         *key,
                                   const GVariantType *expected_type);

HOTNODE_AVAILABLE_IN_ALL
void hot_node_args_set_int (HotNodeArgs *self,
                            const char  *key,
                            gint64       value);
HOTNODE_AVAILABLE_IN_ALL
gint64 hot_node_args_get_int (HotNodeArgs *self,
                              const char  *key,
                              gint64       default_value);

HOTNODE_AVAILABLE_IN_ALL
void hot_node_args_set_double (HotNodeArgs *self,
                               const char  *key,
                               double       value);
HOTNODE_AVAILABLE_IN_ALL
double hot_node_args_get_double (HotNodeArgs *self,
                                 const char  *key,
                                 double       default_value);

HOTNODE_AVAILABLE_IN_ALL
void hot_node_args_set_boolean (HotNodeArgs *self,
                                const char  *key,
                                gboolean     value);
HOTNODE_AVAILABLE_IN_ALL
gboolean hot_node_args_get_boolean (HotNodeArgs *self,
                                    const char  *key,
                                    gboolean     default_value);

HOTNODE_AVAILABLE_IN_ALL
void hot_node_args_set_string (HotNodeArgs *self,
                               const char  *key,
                               const char  *value);
HOTNODE_AVAILABLE_IN_ALL
const char *hot_node_args_get_string (HotNodeArgs *self,
                                      const char  *key,
                                      const char  *default_value);

HOTNODE_AVAILABLE_IN_ALL
void hot_node_args_set_object (HotNodeArgs *self,
                               const char  *key,
                               gpointer     object);
HOTNODE_AVAILABLE_IN_ALL
gpointer hot_node_args_get_object (HotNodeArgs *self,
                                   const char  *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotNodeArgs, hot_node_args_unref)

G_END_DECLS
