/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hot-actions-private.h"

/*
 * The commands of the developer overlay and the Inspector's page, once, as
 * the actions of a group the composition root inserts on each window that
 * shows a hot node (and the page on itself) under the prefix "hotnode".
 * Each takes the module's name and calls the service's public API:
 *
 *   hotnode.reset-state  (s)  hot_reload_reset (): statics back to their
 *                             first values, proxies built afresh
 *   hotnode.rebuild      (s)  hot_reload_rebuild ()
 *   hotnode.cancel       (s)  hot_reload_cancel ()
 *
 * The group holds a reference on its service.
 */

static void
reset_state_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  const char *module = g_variant_get_string (parameter, NULL);
  g_autoptr (GError) error = NULL;

  if (!hot_reload_reset (user_data, module, &error))
    g_warning ("Could not reset module “%s”: %s", module, error->message);
}

static void
rebuild_activated (GSimpleAction *action,
                   GVariant      *parameter,
                   gpointer       user_data)
{
  hot_reload_rebuild (user_data, g_variant_get_string (parameter, NULL));
}

static void
cancel_activated (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  hot_reload_cancel (user_data, g_variant_get_string (parameter, NULL));
}

/**
 * hot_actions_new:
 * @service: the service the actions call
 *
 * Makes the group of the overlay's and the Inspector page's commands, to be
 * inserted under %HOT_ACTIONS_PREFIX.
 *
 * Returns: (transfer full): the group
 */
GActionGroup *
hot_actions_new (HotReload *service)
{
  const GActionEntry entries[] = {
    { "reset-state", reset_state_activated, "s", NULL, NULL, { 0 } },
    { "rebuild", rebuild_activated, "s", NULL, NULL, { 0 } },
    { "cancel", cancel_activated, "s", NULL, NULL, { 0 } },
  };
  GSimpleActionGroup *group = g_simple_action_group_new ();

  g_return_val_if_fail (HOT_IS_RELOAD (service), NULL);

  g_action_map_add_action_entries (G_ACTION_MAP (group), entries, G_N_ELEMENTS (entries), service);
  g_object_set_data_full (G_OBJECT (group), "hotnode-service", g_object_ref (service), g_object_unref);

  return G_ACTION_GROUP (group);
}
