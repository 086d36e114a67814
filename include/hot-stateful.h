/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(_HOTNODE_INSIDE) && !defined(HOTNODE_COMPILATION)
#error "Only <hotnode.h> can be included directly."
#endif

#include <gtk/gtk.h>

#include "hotnode-version.h"

G_BEGIN_DECLS

#define HOT_TYPE_STATEFUL (hot_stateful_get_type ())

HOTNODE_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (HotStateful, hot_stateful, HOT, STATEFUL, GtkWidget)

/**
 * HotStatefulInterface:
 * @save_state: returns the widget's state, or %NULL when it has none to
 *   give
 * @restore_state: takes a state that @save_state of the widget's
 *   counterpart in the previous generation returned
 *
 * The interface a custom widget implements to keep its own state across a
 * hot reload.
 *
 * Since: 0.1
 */
struct _HotStatefulInterface
{
  GTypeInterface g_iface;

  GVariant *(*save_state) (HotStateful *self);
  void (*restore_state) (HotStateful *self,
                         GVariant    *state);
};

HOTNODE_AVAILABLE_IN_ALL
GVariant *hot_stateful_save_state (HotStateful *self);
HOTNODE_AVAILABLE_IN_ALL
void hot_stateful_restore_state (HotStateful *self,
                                 GVariant    *state);

G_END_DECLS
