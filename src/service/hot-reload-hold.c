/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hot-instantiate-private.h"
#include "hot-reload-private.h"

/*
 * What the app asks of a module's life beyond rebuilds: holding its
 * reloads while it must not change (inhibit, counted; the module's HELD
 * state, in hot-module.c), and starting it afresh (reset).
 */

/* Calls @func on @module, or on every module when it is %NULL. */
static void
for_modules (HotReload  *self,
             const char *module,
             void (*func) (HotModule *module))
{
  GHashTableIter iter;
  HotModule     *found;

  if (module != NULL)
    {
      found = g_hash_table_lookup (self->modules, module);
      if (found != NULL)
        func (found);
      return;
    }

  g_hash_table_iter_init (&iter, self->modules);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &found))
    func (found);
}

/**
 * hot_reload_inhibit:
 * @self: the service
 * @module: (nullable): a module name, or %NULL for every module
 *
 * Holds the reloads of @module while the app is in a state that must not
 * change under it (a dialog is open, a drag is under way, …). Saves still
 * build and load; the new code waits, and #HotStatus:held says so, until
 * as many hot_reload_uninhibit() calls release it. Then the newest build
 * goes live as any reload would, with #HotReload::hot-reload.
 *
 * Since: 0.1
 */
void
hot_reload_inhibit (HotReload  *self,
                    const char *module)
{
  g_return_if_fail (HOT_IS_RELOAD (self));

  for_modules (self, module, hot_module_inhibit);
}

/**
 * hot_reload_uninhibit:
 * @self: the service
 * @module: (nullable): what was given to hot_reload_inhibit()
 *
 * Releases one hot_reload_inhibit() of @module. At the last one, new code
 * that waited goes live, from the main loop (not inside this call).
 *
 * Since: 0.1
 */
void
hot_reload_uninhibit (HotReload  *self,
                      const char *module)
{
  g_return_if_fail (HOT_IS_RELOAD (self));

  for_modules (self, module, hot_module_uninhibit);
}

typedef struct
{
  HotProject          *project;
  const HotModuleInfo *info;
} StaticOwner;

static gboolean
static_in_module (const char *file,
                  gpointer    user_data)
{
  StaticOwner *owner = user_data;

  return hot_project_lookup_source (owner->project, file) == owner->info;
}

/* The module's live generation, or, before its first reload, the app's own
 * code as one. */
static HotGeneration *
live_or_host (HotModule *module)
{
  static HotGeneration host;

  if (hot_module_get_live (module) != NULL)
    return hot_module_get_live (module);

  host.table = hot_table_get_host ();
  return &host;
}

/**
 * hot_reload_reset:
 * @self: the service
 * @module: a module name
 * @error: return location for a #GError
 *
 * Starts @module afresh: its `HOT_STATIC`s get back the values they had
 * when the app started (or, for a static new since, when it was first
 * loaded), and every live proxy of its nodes is rebuilt by the live code
 * with nothing of the old widgets' state carried. A control for it is
 * meant for the developer overlay and the Inspector page.
 *
 * Returns: %TRUE when every proxy was rebuilt; %FALSE with an error in
 *   %HOT_RELOAD_ERROR otherwise (the statics are reset all the same)
 *
 * Since: 0.1
 */
gboolean
hot_reload_reset (HotReload  *self,
                  const char *module,
                  GError    **error)
{
  HotModule  *found;
  StaticOwner owner;

  g_return_val_if_fail (HOT_IS_RELOAD (self), FALSE);
  g_return_val_if_fail (module != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  found = hot_reload_lookup_module (self, module, error);
  if (found == NULL)
    return FALSE;

  owner.project = self->project;
  owner.info = hot_module_get_info (found);
  g_debug ("Reset %u hot statics of module “%s”",
           hot_static_registry_reset (self->shared.statics, static_in_module, &owner), module);

  return hot_instantiate_generation (found, live_or_host (found), hot_proxy_list_get_array (self->proxies), self->shared.quarantine, FALSE,
                                     error);
}
