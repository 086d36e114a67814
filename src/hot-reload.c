/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "hot-enums.h"
#include "hot-fast-builder-private.h"
#include "hot-i18n-private.h"
#include "hot-instantiate-private.h"
#include "hot-loader-private.h"
#include "hot-module-private.h"
#include "hot-node-private.h"
#include "hot-overlay-private.h"
#include "hot-project-private.h"
#include "hot-rebuilder-private.h"
#include "hot-status-private.h"
#include "hot-table-private.h"
#include "hot-settings-private.h"
#include "hot-watcher-private.h"
#include "hot-window-private.h"

/**
 * HotReload:
 *
 * The hot reload service. With `HOT_RELOAD=1` in the environment it finds
 * the app's meson build folder, learns which `shared_module()` each hot node
 * and hot static comes from and which files each module is built from
 * (sources, and the headers they include, wherever they are), watches those
 * files, and when their content changes rebuilds the module, loads the new
 * library, points its statics at the app's storage and rebuilds every live
 * #HotNode of that module, all in the main loop. Without it, it does nothing
 * and costs nothing.
 *
 * The promise: after the last save has settled, every live hot node was
 * built by the newest generation of its module, compiled from what every
 * file the module is built from holds; each burst of saves reloads a module
 * at most once, and only a module whose inputs changed; and a reload is
 * reported good only when the new code is live and ran cleanly.
 *
 * The life of each module (states, what is owed) is in hot-module.c; how
 * widgets are built in hot-instantiate.c. This file wires the watcher to
 * the modules, the modules to the widgets, and reports.
 *
 * ## Ownership
 *
 * The service owns the project description, the loader, the static registry
 * (which owns adopted statics), the modules (each with its #HotStatus) and
 * the quarantine (what failed code made: never freed). Proxies are held
 * weakly.
 */

#define DEBOUNCE_MS 50
#define SETTLE_MS 5
#define PREPARE_DELAY_MS 1000

struct _HotReload
{
  GObject parent_instance;

  gboolean        enabled;
  GError         *setup_error;
  HotModuleShared shared;

  HotProject *project;
  HotWatcher *watcher;
  GHashTable *modules;      /* name → HotModule */
  GListStore *status_model; /* HotStatus */
  GHashTable *node_modules; /* node name → HotModule */
  GHashTable *not_inputs;   /* paths said to be part of no module */
  GPtrArray  *proxies;      /* HotNode, weak */

  HotRebuilderFunc rebuilder;
  gpointer         rebuilder_data;
  GDestroyNotify   rebuilder_destroy;

  guint      prepare_id; /* the timeout that starts preparing the fast paths */
  GPtrArray *to_prepare; /* HotModule, one after the other */
};

G_DEFINE_FINAL_TYPE (HotReload, hot_reload, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ENABLED,
  PROP_LOAD_TIMEOUT,
  PROP_UNLOAD_GENERATIONS,
  PROP_FAST_PATH,
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

static void
proxy_mapped (HotNode   *proxy,
              HotReload *self)
{
  hot_window_place_overlay (proxy, G_LIST_MODEL (self->status_model));
}

static void
proxy_finalized (gpointer data,
                 GObject *where_the_object_was)
{
  HotReload *self = data;

  g_ptr_array_remove_fast (self->proxies, where_the_object_was);
}

/* What the modules ask of the service */

static gboolean
module_has_custom_rebuilder (HotModule *module,
                             gpointer   user_data)
{
  HotReload *self = user_data;

  return self->rebuilder != NULL || hot_settings_get_rebuilder () != NULL;
}

static GStrv
module_custom_rebuilder (HotModule *module,
                         char     **output,
                         GError   **error,
                         gpointer   user_data)
{
  HotReload           *self = user_data;
  const HotModuleInfo *info = hot_module_get_info (module);
  const char          *env_rebuilder = hot_settings_get_rebuilder ();
  g_auto (GStrv) argv = NULL;

  *output = g_strdup (info->output);
  if (self->rebuilder != NULL)
    {
      argv = self->rebuilder (self, info->name, output, self->rebuilder_data);
      if (argv != NULL)
        return g_steal_pointer (&argv);
    }

  if (env_rebuilder != NULL)
    return hot_rebuilder_argv_from_env (info, env_rebuilder, error);

  return NULL;
}

static gboolean
module_swap (HotModule     *module,
             HotGeneration *generation,
             GError       **error,
             gpointer       user_data)
{
  HotReload *self = user_data;
  GPtrArray *nodes;

  /* Sizes are known by now: move each window's overlay where it shows best. */
  for (guint i = 0; i < self->proxies->len; i++)
    hot_window_place_overlay (g_ptr_array_index (self->proxies, i), G_LIST_MODEL (self->status_model));

  if (!hot_instantiate_generation (module, generation, self->proxies, self->shared.quarantine, error))
    return FALSE;

  nodes = hot_table_get_nodes (generation->table);
  for (guint i = 0; i < nodes->len; i++)
    {
      const HotNodeEntry *entry = g_ptr_array_index (nodes, i);

      /* Interned: the generation's own strings may be unloaded. */
      g_hash_table_insert (self->node_modules, (gpointer) g_intern_string (entry->name), module);
    }

  return TRUE;
}

static void
module_finished (HotModule    *module,
                 const GError *error,
                 gpointer      user_data)
{
  HotReload  *self = user_data;
  const char *name = hot_module_get_name (module);
  HotStatus  *status = hot_module_get_status (module);

  if (error == NULL)
    {
      GTimeSpan duration = hot_status_get_last_duration (status);
      GVariant   *timings = hot_status_get_timings (status);
      const char *builder = "none";

      if (timings != NULL)
        g_variant_lookup (timings, "builder", "&s", &builder);
      g_message ("Reloaded module “%s” in %.0f ms (%s)", name, duration / 1000.0, builder);
      hot_window_wait_for_paint (status, self->proxies);
      g_signal_emit (self, signals[SIGNAL_HOT_RELOAD], 0, name);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      const char *backtrace = hot_status_get_crash_backtrace (status);

      g_warning ("Reloading module “%s” failed; the previous code stays live.\n%s%s%s", name, error->message,
                 backtrace ? "\n" : "", backtrace ? backtrace : "");
      g_signal_emit (self, signals[SIGNAL_RELOAD_FAILED], 0, name, error);
    }
}

static void
watch_inputs (HotReload *self,
              HotModule *module)
{
  g_autoptr (GPtrArray) files = hot_inputs_list_files (hot_module_get_inputs (module));

  for (guint i = 0; i < files->len; i++)
    hot_watcher_add_file (self->watcher, g_ptr_array_index (files, i));
}

static void
module_inputs_changed (HotModule *module,
                       gpointer   user_data)
{
  watch_inputs (user_data, module);
}

static const HotModuleHooks module_hooks = {
  module_has_custom_rebuilder,
  module_custom_rebuilder,
  module_swap,
  module_finished,
  module_inputs_changed,
};

/* How hot_node_new () finds code */

static const HotNodeEntry *
resolve_node (const char     *name,
              HotGeneration **generation,
              HotModule     **module,
              gpointer        user_data)
{
  HotReload *self = user_data;
  HotModule *owner = g_hash_table_lookup (self->node_modules, name);

  *module = owner;
  *generation = NULL;
  for (guint i = owner ? hot_module_get_generations (owner)->len : 0; i > 0; i--)
    {
      HotGeneration      *candidate = g_ptr_array_index (hot_module_get_generations (owner), i - 1);
      const HotNodeEntry *entry = hot_table_lookup_node (candidate->table, name);

      if (entry != NULL)
        {
          *generation = candidate;
          return entry;
        }
    }

  return hot_table_lookup_node (hot_table_get_host (), name);
}

static void
proxy_made (HotNode *proxy,
            gpointer user_data)
{
  HotReload *self = user_data;

  g_ptr_array_add (self->proxies, proxy);
  g_object_weak_ref (G_OBJECT (proxy), proxy_finalized, self);
  g_signal_connect (proxy, "map", G_CALLBACK (proxy_mapped), self);
}

static guint
instantiation_timeout (gpointer user_data)
{
  HotReload *self = user_data;

  return self->shared.load_timeout_ms;
}

static const HotResolver resolver = {
  resolve_node,
  proxy_made,
  instantiation_timeout,
};

static void
hot_reload_dispose (GObject *object)
{
  HotReload *self = HOT_RELOAD (object);

  for (guint i = 0; self->proxies && i < self->proxies->len; i++)
    g_object_weak_unref (g_ptr_array_index (self->proxies, i), proxy_finalized, self);
  g_clear_pointer (&self->proxies, g_ptr_array_unref);
  g_clear_object (&self->watcher);
  g_clear_handle_id (&self->prepare_id, g_source_remove);
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
   */
  properties[PROP_UNLOAD_GENERATIONS] =
      g_param_spec_boolean ("unload-generations", NULL, NULL, FALSE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * HotReload:fast-path:
   *
   * How a module is rebuilt when only its C sources changed. The default,
   * %HOT_FAST_PATH_TCC, compiles them with tcc when it is installed (a few
   * times faster than gcc) and links them with the module's other objects;
   * `HOT_RELOAD_FAST_PATH` (`tcc`, `pch` or `off`) changes it. A header or
   * another file changed, a compiler error, or a missing tool send the build
   * to ninja, with the reason in the log: the result is the same, only
   * later. Not used when a rebuilder is set (hot_reload_set_rebuilder(),
   * `HOT_RELOAD_REBUILDER`).
   */
  properties[PROP_FAST_PATH] =
      g_param_spec_enum ("fast-path", NULL, NULL, HOT_TYPE_FAST_PATH, HOT_FAST_PATH_TCC,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HotReload::hot-reload:
   * @self: the service
   * @module: the module whose new generation is live
   *
   * Emitted in the main loop, once per reload, after a module's new library
   * is loaded and every live proxy of the module has been rebuilt.
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
  self->proxies = g_ptr_array_new ();
  self->shared.quarantine = g_ptr_array_new ();
  self->shared.load_timeout_ms = hot_settings_get ()->load_timeout_ms;
  self->shared.fast_path = hot_settings_get ()->fast_path;
  self->shared.unload_generations = hot_settings_get ()->unload;
}

static int
compare_status (gconstpointer a,
                gconstpointer b,
                gpointer      user_data)
{
  return g_strcmp0 (hot_status_get_module ((HotStatus *) a), hot_status_get_module ((HotStatus *) b));
}

static HotModule *
ensure_module (HotReload           *self,
               const HotModuleInfo *info)
{
  HotModule *module = g_hash_table_lookup (self->modules, info->name);

  if (module != NULL && hot_module_get_info (module) == info)
    return module;

  if (module != NULL)
    {
      /* The second one's nodes stay the app's code; nothing is mixed up. */
      g_warning ("Two hot modules are named “%s” (%s and %s); only the first reloads. "
                 "Give one of them another name.",
                 info->name, hot_module_get_info (module)->output, info->output);
      return NULL;
    }

  module = hot_module_new (info, &self->shared, &module_hooks, self);
  g_hash_table_insert (self->modules, info->name, module);
  g_list_store_insert_sorted (self->status_model, hot_module_get_status (module), compare_status, NULL);

  return module;
}

static void
watcher_changed (HotWatcher *watcher,
                 GStrv       paths,
                 gint64      first_event,
                 gpointer    user_data)
{
  HotReload     *self = user_data;
  g_autoptr (GPtrArray) saved = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) claimed = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  HotModule     *module;

  for (guint i = 0; paths[i]; i++)
    g_ptr_array_add (saved, g_strdup (paths[i]));

  g_hash_table_iter_init (&iter, self->modules);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &module))
    {
      HotInputs *inputs = hot_module_get_inputs (module);

      for (guint i = 0; i < saved->len; i++)
        if (hot_inputs_contains (inputs, g_ptr_array_index (saved, i)))
          g_hash_table_add (claimed, g_ptr_array_index (saved, i));
      hot_module_files_changed (module, saved, first_event);
    }

  /* A file saved beside the inputs that no module is built from: said
   * once. (Editors' temporary files are gone by now.) */
  for (guint i = 0; i < saved->len; i++)
    {
      const char *path = g_ptr_array_index (saved, i);

      if (!g_hash_table_contains (claimed, path) && !g_hash_table_contains (self->not_inputs, path) &&
          g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          g_message ("Not reloaded: %s is not part of any hot module", path);
          g_hash_table_add (self->not_inputs, g_strdup (path));
        }
    }
}

static gboolean prepare_fast_paths (gpointer user_data);

/* Finds the build, the modules the host's entries come from, and starts
 * watching what they are built from. */
static gboolean
hot_reload_setup (HotReload *self,
                  GError   **error)
{
  g_autofree char *build_dir = g_strdup (hot_settings_get ()->build_dir);
  HotTable        *host = hot_table_get_host ();
  GPtrArray       *nodes = hot_table_get_nodes (host);
  GPtrArray       *host_statics = hot_table_get_statics (host);
  GHashTableIter   iter;
  HotModule       *module;

  if (build_dir == NULL)
    {
      g_autofree char *exe_dir = hot_loader_get_executable_dir ();

      build_dir = hot_project_find_build_dir (exe_dir ? exe_dir : ".", error);
      if (build_dir == NULL)
        return FALSE;
    }

  self->project = hot_project_load (build_dir, error);
  if (self->project == NULL)
    return FALSE;

  self->shared.loader = hot_loader_new (hot_settings_get ()->private_dir, error);
  if (self->shared.loader == NULL)
    return FALSE;

  self->shared.statics = hot_static_registry_new ();
  hot_static_registry_capture (self->shared.statics, host);
  self->shared.digests = hot_digest_cache_new ();

  for (guint i = 0; i < nodes->len; i++)
    {
      const HotNodeEntry  *entry = g_ptr_array_index (nodes, i);
      const HotModuleInfo *info = hot_project_lookup_source (self->project, entry->file);

      if (info != NULL && (module = ensure_module (self, info)) != NULL)
        g_hash_table_insert (self->node_modules, (gpointer) entry->name, module);
    }
  for (guint i = 0; i < host_statics->len; i++)
    {
      const HotStaticEntry *entry = g_ptr_array_index (host_statics, i);
      const HotModuleInfo  *info = hot_project_lookup_source (self->project, entry->file);

      if (info != NULL)
        ensure_module (self, info);
    }

  self->watcher = hot_watcher_new (DEBOUNCE_MS, SETTLE_MS);
  g_signal_connect_object (self->watcher, "changed", G_CALLBACK (watcher_changed), self, 0);
  g_hash_table_iter_init (&iter, self->modules);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &module))
    {
      watch_inputs (self, module);
      hot_module_read_deps (module);
    }

  hot_instantiate_set_resolver (&resolver, self);

  /* A second after start: the app has drawn its window, and nobody saves a
   * file sooner. */
  self->prepare_id = g_timeout_add_full (G_PRIORITY_LOW, PREPARE_DELAY_MS, prepare_fast_paths, self, NULL);

  g_debug ("Hot reload is on: build %s, %u hot modules", hot_project_get_build_dir (self->project),
           g_hash_table_size (self->modules));

  return TRUE;
}

/**
 * hot_reload_get_default:
 *
 * Gets the hot reload service of the process. It is on when the environment
 * has `HOT_RELOAD=1` at the first call; its problems finding the build are
 * logged once, and the app goes on with the code linked into it.
 *
 * Returns: (transfer none): the service
 */
HotReload *
hot_reload_get_default (void)
{
  static HotReload *default_service;

  if (g_once_init_enter (&default_service))
    {
      HotReload *self = g_object_new (HOT_TYPE_RELOAD, NULL);

      self->enabled = hot_settings_get ()->enabled;
      if (self->enabled && !hot_reload_setup (self, &self->setup_error))
        g_warning ("Hot reload is on but cannot work: %s", self->setup_error->message);

      g_once_init_leave (&default_service, self);
    }

  return default_service;
}

/**
 * hot_reload_get_enabled:
 * @self: the service
 *
 * Returns: whether hot reload is on
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
 * Returns: how long loading a new library may take, in milliseconds
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
 * Sets #HotReload:load-timeout.
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
 * Returns: whether unused older generations are closed
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
 * Sets #HotReload:unload-generations. Turning it on closes the unused ones
 * there are, in the next idle.
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
 * Returns: how modules are rebuilt when only C sources changed
 *   (#HotReload:fast-path)
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
 * Sets #HotReload:fast-path. Takes effect from the next build.
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
 * Gets the status of every hot module, one #HotStatus each. Empty when hot
 * reload is off.
 *
 * Returns: (transfer none): a list model of #HotStatus
 */
GListModel *
hot_reload_get_status (HotReload *self)
{
  g_return_val_if_fail (HOT_IS_RELOAD (self), NULL);

  return G_LIST_MODEL (self->status_model);
}

/**
 * hot_reload_lookup_status:
 * @self: the service
 * @module: a module name
 *
 * Returns: (transfer none) (nullable): the status of @module
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

static void prepare_next_fast_path (HotReload *self);

static void
fast_path_prepared (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  prepare_next_fast_path (user_data);
}

/* One module at a time: preparing is a few compiler runs a module, and the
 * app has just started. A module that is building prepares as it builds. */
static void
prepare_next_fast_path (HotReload *self)
{
  if (self->to_prepare != NULL && self->to_prepare->len > 0)
    hot_module_prepare_async (g_ptr_array_steal_index (self->to_prepare, 0), fast_path_prepared, self);
}

/* Before the first save, does what a fast build does once (finding tools,
 * tcc preludes, the precompiled header), so that the first save is as fast
 * as the next ones. */
static gboolean
prepare_fast_paths (gpointer user_data)
{
  HotReload     *self = user_data;
  GHashTableIter iter;
  HotModule     *module;

  self->prepare_id = 0;
  self->to_prepare = g_ptr_array_new ();

  g_hash_table_iter_init (&iter, self->modules);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &module))
    g_ptr_array_add (self->to_prepare, module);
  prepare_next_fast_path (self);

  return G_SOURCE_REMOVE;
}

static HotModule *
lookup_module (HotReload  *self,
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
 * @cancellable: (nullable): a #GCancellable: cancelling it ends this call
 *   at once with %G_IO_ERROR_CANCELLED (the build goes on; use
 *   hot_reload_cancel() to stop it)
 * @callback: called when a build that started after this call has ended
 * @user_data: data for @callback
 *
 * Rebuilds @module and loads the result, whether or not its files changed.
 * A build already running is stopped and started again, so the result
 * reflects the files as they are now. @callback may call this function
 * again.
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

  found = lookup_module (self, module, &error);
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
 * @error: return location for a #GError
 *
 * Returns: %TRUE when the new generation is live, %FALSE with an error in
 *   %HOT_RELOAD_ERROR, or %G_IO_ERROR_CANCELLED, otherwise
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
 * Rebuilds @module and loads the result. Listen to #HotReload::hot-reload
 * and #HotReload::reload-failed, or use hot_reload_rebuild_async(), to
 * learn the outcome.
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
 * started. Pending hot_reload_rebuild_async() calls end with
 * %G_IO_ERROR_CANCELLED. The same files are not built again until one of
 * them changes or a rebuild is asked for. A load under way cannot be
 * stopped.
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
