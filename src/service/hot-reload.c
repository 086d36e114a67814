/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "hot-enums.h"
#include "hot-i18n-private.h"
#include "hot-reload-private.h"
#include "hot-settings-private.h"
#include "hot-status-private.h"

/**
 * HotReload:
 *
 * The hot reload service. With `HOT_RELOAD=1` in the environment it finds
 * the app's meson build folder, learns which `shared_module()` each hot node
 * and hot static comes from and which files each module is built from
 * (sources, and the headers they include, wherever they are), watches those
 * files, and when their content changes rebuilds the module, loads the new
 * library, points its statics at the app's storage and rebuilds every live
 * [class@Hot.Node] of that module, all in the main loop. Without it, it does
 * nothing and costs nothing.
 *
 * The promise: after the last save has settled, every live hot node was
 * built by the newest generation of its module, compiled from what every
 * file the module is built from holds; each burst of saves reloads a module
 * at most once, and only a module whose inputs changed; and a reload is
 * reported good only when the new code is live and ran cleanly.
 *
 * The life of each module (states, what is owed) is in hot-module.c; how
 * widgets are built in hot-instantiate.c; how the watcher, the modules and
 * the widgets are wired in hot-reload-setup.c. This file is the public
 * object: its properties, signals and calls.
 *
 * ## Ownership
 *
 * The service owns the project description, the loader, the static registry
 * (which owns adopted statics), the modules (each with its [class@Hot.Status])
 * and the quarantine (what failed code made: never freed). Proxies are held
 * weakly ([property@Hot.Reload:proxies]).
 *
 * ## Actions
 *
 * Each window that shows a hot node gets a group of actions under the
 * prefix `hotnode`, which the developer overlay's and the GTK Inspector
 * page's buttons activate; each takes the module's name (`s`) and calls
 * the service:
 *
 * - `hotnode.reset-state`: [method@Hot.Reload.reset]
 * - `hotnode.rebuild`: [method@Hot.Reload.rebuild]
 * - `hotnode.cancel`: [method@Hot.Reload.cancel]
 *
 * An app may activate them as well, from a shortcut say:
 * `gtk_widget_activate_action (widget, "hotnode.rebuild", "s", "counter")`.
 *
 * Since: 0.1
 */

G_DEFINE_FINAL_TYPE (HotReload, hot_reload, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ENABLED,
  PROP_LOAD_TIMEOUT,
  PROP_UNLOAD_GENERATIONS,
  PROP_FAST_PATH,
  PROP_PROXIES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_HOT_RELOAD,
  SIGNAL_RELOAD_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
hot_reload_emit_reloaded (HotReload  *self,
                          const char *module)
{
  g_signal_emit (self, signals[SIGNAL_HOT_RELOAD], 0, module);
}

void
hot_reload_emit_failed (HotReload    *self,
                        const char   *module,
                        const GError *error)
{
  g_signal_emit (self, signals[SIGNAL_RELOAD_FAILED], 0, module, error);
}

static void
hot_reload_dispose (GObject *object)
{
  HotReload *self = HOT_RELOAD (object);

  hot_reload_forget_proxies (self);
  g_clear_object (&self->watcher);
  g_clear_handle_id (&self->prepare_id, g_source_remove);
  g_clear_handle_id (&self->unload_check_id, g_source_remove);
  g_clear_handle_id (&self->reread_id, g_source_remove);
  g_clear_pointer (&self->to_prepare, g_ptr_array_unref);

  if (self->rebuilder_destroy != NULL)
    g_clear_pointer (&self->rebuilder_data, self->rebuilder_destroy);
  self->rebuilder = NULL;

  G_OBJECT_CLASS (hot_reload_parent_class)->dispose (object);
}

static void
hot_reload_finalize (GObject *object)
{
  HotReload *self = HOT_RELOAD (object);

  g_clear_pointer (&self->node_modules, g_hash_table_unref);
  g_clear_pointer (&self->modules, g_hash_table_unref);
  g_clear_pointer (&self->not_inputs, g_hash_table_unref);
  g_clear_object (&self->status_model);
  g_clear_pointer (&self->shared.statics, hot_static_registry_free);
  g_clear_pointer (&self->shared.digests, hot_digest_cache_free);
  g_clear_pointer (&self->shared.resources, hot_resources_free);
  g_clear_object (&self->shared.loader);
  g_clear_pointer (&self->project, hot_project_free);
  g_clear_error (&self->setup_error);

  G_OBJECT_CLASS (hot_reload_parent_class)->finalize (object);
}

static void
hot_reload_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  HotReload *self = HOT_RELOAD (object);

  switch (prop_id)
    {
    case PROP_ENABLED:
      g_value_set_boolean (value, self->enabled);
      break;
    case PROP_LOAD_TIMEOUT:
      g_value_set_uint (value, self->shared.load_timeout_ms);
      break;
    case PROP_UNLOAD_GENERATIONS:
      g_value_set_boolean (value, self->shared.unload_generations);
      break;
    case PROP_FAST_PATH:
      g_value_set_enum (value, self->shared.fast_path);
      break;
    case PROP_PROXIES:
      g_value_set_object (value, self->proxies);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hot_reload_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  HotReload *self = HOT_RELOAD (object);

  switch (prop_id)
    {
    case PROP_LOAD_TIMEOUT:
      hot_reload_set_load_timeout (self, g_value_get_uint (value));
      break;
    case PROP_UNLOAD_GENERATIONS:
      hot_reload_set_unload_generations (self, g_value_get_boolean (value));
      break;
    case PROP_FAST_PATH:
      hot_reload_set_fast_path (self, g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hot_reload_class_init (HotReloadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hot_reload_dispose;
  object_class->finalize = hot_reload_finalize;
  object_class->get_property = hot_reload_get_property;
  object_class->set_property = hot_reload_set_property;

  /**
   * HotReload:enabled:
   *
   * Whether hot reload is on (`HOT_RELOAD=1` in the environment at start).
   *
   * Since: 0.1
   */
  properties[PROP_ENABLED] =
      g_param_spec_boolean ("enabled", NULL, NULL, FALSE,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * HotReload:load-timeout:
   *
   * How long loading a new library may take, in milliseconds, before the
   * load is given up (a constructor in it that never returns). The default,
   * 20 seconds, can be changed with `HOT_RELOAD_LOAD_TIMEOUT` (in seconds).
   *
   * Since: 0.1
   */
  properties[PROP_LOAD_TIMEOUT] =
      g_param_spec_uint ("load-timeout", NULL, NULL, 1, G_MAXUINT, 20000,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * HotReload:unload-generations:
   *
   * Whether to close the libraries of older generations that nothing uses
   * any more: not the newest of their module, no widget they built alive,
   * no GType registered. Off by default (or with `HOT_RELOAD_UNLOAD=1`):
   * code of a closed generation that is still reachable some other way (a
   * handler it connected to one of the app's objects, a timeout it added)
   * would crash the app when it runs. Turn it on for long sessions whose
   * hot nodes only touch the widgets they build.
   *
   * Since: 0.1
   */
  properties[PROP_UNLOAD_GENERATIONS] =
      g_param_spec_boolean ("unload-generations", NULL, NULL, FALSE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * HotReload:fast-path:
   *
   * How a module is rebuilt when its C sources or the headers they include
   * changed. The default, %HOT_FAST_PATH_TCC, compiles the sources whose
   * content or headers changed with tcc when it is installed (a few times
   * faster than gcc) and links them with the module's other objects; a
   * source whose headers tcc does not compile goes to the build's compiler
   * with a precompiled header. `HOT_RELOAD_FAST_PATH` (`tcc`, `pch` or
   * `off`) changes it. A fast build that fails for any other reason, a
   * source the build has no compile command for, or a missing tool send the
   * build to ninja, with the reason in the log: the result is the same,
   * only later. Not used when a rebuilder is set
   * ([method@Hot.Reload.set_rebuilder], `HOT_RELOAD_REBUILDER`).
   *
   * Since: 0.1
   */
  properties[PROP_FAST_PATH] =
      g_param_spec_enum ("fast-path", NULL, NULL, HOT_TYPE_FAST_PATH, HOT_FAST_PATH_TCC,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * HotReload:proxies:
   *
   * The live [class@Hot.Node] proxies, in the order they were made: see
   * [method@Hot.Reload.get_proxies].
   *
   * Since: 0.1
   */
  properties[PROP_PROXIES] =
      g_param_spec_object ("proxies", NULL, NULL, G_TYPE_LIST_MODEL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HotReload::hot-reload:
   * @self: the service
   * @module: the module whose new generation is live
   *
   * Emitted in the main loop, once per reload, after a module's new library
   * is loaded and every live proxy of the module has been rebuilt.
   *
   * Since: 0.1
   */
  signals[SIGNAL_HOT_RELOAD] =
      g_signal_new ("hot-reload", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                    G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * HotReload::reload-failed:
   * @self: the service
   * @module: the module that failed to rebuild or load
   * @error: what went wrong
   *
   * Emitted in the main loop when a rebuild or a load fails. The previous
   * generation stays live.
   *
   * Since: 0.1
   */
  signals[SIGNAL_RELOAD_FAILED] =
      g_signal_new ("reload-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                    G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                    G_TYPE_ERROR);

  hot_i18n_init ();
}

static void
hot_reload_init (HotReload *self)
{
  self->modules = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) hot_module_free);
  self->status_model = g_list_store_new (HOT_TYPE_STATUS);
  self->node_modules = g_hash_table_new (g_str_hash, g_str_equal);
  self->not_inputs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->proxies = hot_proxy_list_new ();
  self->shared.quarantine = g_ptr_array_new ();
  self->shared.load_timeout_ms = hot_settings_get ()->load_timeout_ms;
  self->shared.fast_path = hot_settings_get ()->fast_path;
  self->shared.unload_generations = hot_settings_get ()->unload;
}

/**
 * hot_reload_get_enabled:
 * @self: the service
 *
 * Gets whether hot reload is on.
 *
 * Returns: whether hot reload is on
 *
 * Since: 0.1
 */
gboolean
hot_reload_get_enabled (HotReload *self)
{
  g_return_val_if_fail (HOT_IS_RELOAD (self), FALSE);

  return self->enabled;
}

/**
 * hot_reload_get_load_timeout:
 * @self: the service
 *
 * Gets how long loading a new library may take, in milliseconds.
 *
 * Returns: how long loading a new library may take, in milliseconds
 *
 * Since: 0.1
 */
guint
hot_reload_get_load_timeout (HotReload *self)
{
  g_return_val_if_fail (HOT_IS_RELOAD (self), 0);

  return self->shared.load_timeout_ms;
}

/**
 * hot_reload_set_load_timeout:
 * @self: the service
 * @timeout_ms: how long loading a new library may take, in milliseconds
 *
 * Sets [property@Hot.Reload:load-timeout].
 *
 * Since: 0.1
 */
void
hot_reload_set_load_timeout (HotReload *self,
                             guint      timeout_ms)
{
  g_return_if_fail (HOT_IS_RELOAD (self));
  g_return_if_fail (timeout_ms > 0);

  if (self->shared.load_timeout_ms == timeout_ms)
    return;

  self->shared.load_timeout_ms = timeout_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOAD_TIMEOUT]);
}

/**
 * hot_reload_get_unload_generations:
 * @self: the service
 *
 * Gets whether unused older generations are closed.
 *
 * Returns: whether unused older generations are closed
 *
 * Since: 0.1
 */
gboolean
hot_reload_get_unload_generations (HotReload *self)
{
  g_return_val_if_fail (HOT_IS_RELOAD (self), FALSE);

  return self->shared.unload_generations;
}

/**
 * hot_reload_set_unload_generations:
 * @self: the service
 * @unload: whether to close unused older generations
 *
 * Sets [property@Hot.Reload:unload-generations]. Turning it on closes the
 * unused ones there are, in the next idle.
 *
 * Since: 0.1
 */
void
hot_reload_set_unload_generations (HotReload *self,
                                   gboolean   unload)
{
  GHashTableIter iter;
  HotModule     *module;

  g_return_if_fail (HOT_IS_RELOAD (self));

  unload = !!unload;
  if (self->shared.unload_generations == unload)
    return;

  self->shared.unload_generations = unload;
  g_hash_table_iter_init (&iter, self->modules);
  while (unload && g_hash_table_iter_next (&iter, NULL, (gpointer *) &module))
    hot_module_check_unload (module);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNLOAD_GENERATIONS]);
}

/**
 * hot_reload_get_fast_path:
 * @self: the service
 *
 * Gets how modules are rebuilt when only C sources changed
 * ([property@Hot.Reload:fast-path]).
 *
 * Returns: how modules are rebuilt when only C sources changed
 *   ([property@Hot.Reload:fast-path])
 *
 * Since: 0.1
 */
HotFastPath
hot_reload_get_fast_path (HotReload *self)
{
  g_return_val_if_fail (HOT_IS_RELOAD (self), HOT_FAST_PATH_OFF);

  return self->shared.fast_path;
}

/**
 * hot_reload_set_fast_path:
 * @self: the service
 * @fast_path: how to rebuild modules when only C sources changed
 *
 * Sets [property@Hot.Reload:fast-path]. Takes effect from the next build.
 *
 * Since: 0.1
 */
void
hot_reload_set_fast_path (HotReload  *self,
                          HotFastPath fast_path)
{
  g_return_if_fail (HOT_IS_RELOAD (self));
  g_return_if_fail (fast_path <= HOT_FAST_PATH_GCC_PCH);

  if (self->shared.fast_path == fast_path)
    return;

  self->shared.fast_path = fast_path;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAST_PATH]);
}

/**
 * hot_reload_get_status:
 * @self: the service
 *
 * Gets the status of every hot module, one [class@Hot.Status] each. Empty when
 * hot reload is off.
 *
 * Returns: (transfer none): a list model of [class@Hot.Status]
 *
 * Since: 0.1
 */
GListModel *
hot_reload_get_status (HotReload *self)
{
  g_return_val_if_fail (HOT_IS_RELOAD (self), NULL);

  return G_LIST_MODEL (self->status_model);
}

/**
 * hot_reload_get_proxies:
 * @self: the service
 *
 * Gets the live [class@Hot.Node] proxies, in the order they were made. A
 * proxy is added when [ctor@Hot.Node.new] makes it and removed when it is
 * finalized, with [signal@Gio.ListModel::items-changed] each time; the list
 * holds them weakly, so it never keeps a widget alive (an item read from it
 * is held by the reader). Empty when hot reload is off.
 *
 * The developer overlay and the GTK Inspector's page follow it.
 *
 * Returns: (transfer none): a list model of [class@Hot.Node]
 *
 * Since: 0.1
 */
GListModel *
hot_reload_get_proxies (HotReload *self)
{
  g_return_val_if_fail (HOT_IS_RELOAD (self), NULL);

  return G_LIST_MODEL (self->proxies);
}

/**
 * hot_reload_lookup_status:
 * @self: the service
 * @module: a module name
 *
 * Finds the status of one module, as [method@Hot.Reload.get_status] lists
 * it.
 *
 * Returns: (transfer none) (nullable): the status of @module
 *
 * Since: 0.1
 */
HotStatus *
hot_reload_lookup_status (HotReload  *self,
                          const char *module)
{
  HotModule *found;

  g_return_val_if_fail (HOT_IS_RELOAD (self), NULL);
  g_return_val_if_fail (module != NULL, NULL);

  found = g_hash_table_lookup (self->modules, module);

  return found ? hot_module_get_status (found) : NULL;
}

/**
 * hot_reload_set_rebuilder:
 * @self: the service
 * @rebuilder: (nullable): chooses the command that rebuilds a module
 * @user_data: data for @rebuilder
 * @destroy: (nullable): frees @user_data
 *
 * Sets how modules are rebuilt, ahead of `HOT_RELOAD_REBUILDER` and the
 * default (`ninja -C <build folder> <module library>`).
 *
 * Since: 0.1
 */
void
hot_reload_set_rebuilder (HotReload       *self,
                          HotRebuilderFunc rebuilder,
                          gpointer         user_data,
                          GDestroyNotify   destroy)
{
  g_return_if_fail (HOT_IS_RELOAD (self));

  if (self->rebuilder_destroy != NULL)
    self->rebuilder_destroy (self->rebuilder_data);

  self->rebuilder = rebuilder;
  self->rebuilder_data = user_data;
  self->rebuilder_destroy = destroy;
}

/* The module of that name, or an error saying why there is none. */
HotModule *
hot_reload_lookup_module (HotReload  *self,
                          const char *name,
                          GError    **error)
{
  HotModule *module;

  if (!self->enabled)
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_DISABLED,
                   _ ("Hot reload is off; run the app with HOT_RELOAD=1"));
      return NULL;
    }

  if (self->setup_error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->setup_error));
      return NULL;
    }

  module = g_hash_table_lookup (self->modules, name);
  if (module == NULL)
    g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_UNKNOWN_MODULE, _ ("No hot module is named “%s”"),
                 name);

  return module;
}

static void
module_rebuilt (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (hot_module_rebuild_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * hot_reload_rebuild_async:
 * @self: the service
 * @module: a module name
 * @cancellable: (nullable): a [class@Gio.Cancellable]: cancelling it ends this
 *   call at once with %G_IO_ERROR_CANCELLED (the build goes on; use
 *   [method@Hot.Reload.cancel] to stop it)
 * @callback: called when a build that started after this call has ended
 * @user_data: data for @callback
 *
 * Rebuilds @module and loads the result, whether or not its files changed.
 * A build already running is stopped and started again, so the result
 * reflects the files as they are now. @callback may call this function
 * again.
 *
 * Since: 0.1
 */
void
hot_reload_rebuild_async (HotReload          *self,
                          const char         *module,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  HotModule *found;

  g_return_if_fail (HOT_IS_RELOAD (self));
  g_return_if_fail (module != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hot_reload_rebuild_async);

  found = hot_reload_lookup_module (self, module, &error);
  if (found == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  hot_module_rebuild_async (found, cancellable, module_rebuilt, g_steal_pointer (&task));
}

/**
 * hot_reload_rebuild_finish:
 * @self: the service
 * @result: the result given to the callback
 * @error: return location for a [struct@GLib.Error]
 *
 * Finishes a call of [method@Hot.Reload.rebuild_async].
 *
 * Returns: %TRUE when the new generation is live, %FALSE with an error in
 *   %HOT_RELOAD_ERROR, or %G_IO_ERROR_CANCELLED, otherwise
 *
 * Since: 0.1
 */
gboolean
hot_reload_rebuild_finish (HotReload    *self,
                           GAsyncResult *result,
                           GError      **error)
{
  g_return_val_if_fail (HOT_IS_RELOAD (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == hot_reload_rebuild_async, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * hot_reload_rebuild:
 * @self: the service
 * @module: a module name
 *
 * Rebuilds @module and loads the result. Listen to
 * [signal@Hot.Reload::hot-reload] and [signal@Hot.Reload::reload-failed], or
 * use [method@Hot.Reload.rebuild_async], to learn the outcome.
 *
 * Since: 0.1
 */
void
hot_reload_rebuild (HotReload  *self,
                    const char *module)
{
  g_return_if_fail (HOT_IS_RELOAD (self));
  g_return_if_fail (module != NULL);

  hot_reload_rebuild_async (self, module, NULL, NULL, NULL);
}

/**
 * hot_reload_cancel:
 * @self: the service
 * @module: a module name
 *
 * Stops the running build of @module, if any, with every process it
 * started. Pending [method@Hot.Reload.rebuild_async] calls end with
 * %G_IO_ERROR_CANCELLED. The same files are not built again until one of
 * them changes or a rebuild is asked for. A load under way cannot be
 * stopped.
 *
 * Since: 0.1
 */
void
hot_reload_cancel (HotReload  *self,
                   const char *module)
{
  HotModule *found;

  g_return_if_fail (HOT_IS_RELOAD (self));
  g_return_if_fail (module != NULL);

  found = g_hash_table_lookup (self->modules, module);
  if (found != NULL)
    hot_module_cancel (found);
}
