/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hot-stateful.h"

/**
 * HotStateful:
 *
 * An interface for custom widgets that keep state of their own across a hot
 * reload.
 *
 * When a node is rebuilt, hotnode carries the state of the widgets GTK
 * ships (text, toggles, scroll positions, pages, …) from the old widgets to
 * their counterparts in the new ones (see `README.md`, "State across a
 * reload"). A widget of your own that implements `HotStateful` takes part
 * too: [vfunc@Hot.Stateful.save_state] is called on the old widget and, when
 * the state differs from the one it started with, the result is given to
 * [vfunc@Hot.Stateful.restore_state] of its counterpart, before the new
 * widget is shown.
 *
 * |[<!-- language="C" -->
 * static GVariant *
 * my_dial_save_state (HotStateful *stateful)
 * {
 *   return g_variant_new_double (MY_DIAL (stateful)->angle);
 * }
 *
 * static void
 * my_dial_restore_state (HotStateful *stateful,
 *                        GVariant    *state)
 * {
 *   if (g_variant_is_of_type (state, G_VARIANT_TYPE_DOUBLE))
 *     my_dial_set_angle (MY_DIAL (stateful), g_variant_get_double (state));
 * }
 * ]|
 *
 * The new code may have changed the state's shape: check the type of what
 * you are given.
 *
 * Since: 0.1
 */

G_DEFINE_INTERFACE (HotStateful, hot_stateful, GTK_TYPE_WIDGET)

static void
hot_stateful_default_init (HotStatefulInterface *iface)
{
}

/**
 * hot_stateful_save_state:
 * @self: a stateful widget
 *
 * Gets the state of @self that a reload should carry to its counterpart.
 *
 * Returns: (transfer full) (nullable): the state, or %NULL
 *
 * Since: 0.1
 */
GVariant *
hot_stateful_save_state (HotStateful *self)
{
  HotStatefulInterface *iface;
  GVariant             *state;

  g_return_val_if_fail (HOT_IS_STATEFUL (self), NULL);

  iface = HOT_STATEFUL_GET_IFACE (self);
  if (iface->save_state == NULL)
    return NULL;

  state = iface->save_state (self);

  return state ? g_variant_ref_sink (state) : NULL;
}

/**
 * hot_stateful_restore_state:
 * @self: a stateful widget
 * @state: what hot_stateful_save_state() of its counterpart returned
 *
 * Gives @self the state of its counterpart in the previous generation.
 *
 * Since: 0.1
 */
void
hot_stateful_restore_state (HotStateful *self,
                            GVariant    *state)
{
  HotStatefulInterface *iface;

  g_return_if_fail (HOT_IS_STATEFUL (self));
  g_return_if_fail (state != NULL);

  iface = HOT_STATEFUL_GET_IFACE (self);
  if (iface->restore_state != NULL)
    iface->restore_state (self, state);
}
