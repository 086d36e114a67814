/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "hot-instantiate-private.h"
#include "hot-rebuilder-private.h"
#include "hot-reload-private.h"
#include "hot-settings-private.h"
#include "hot-style-private.h"

/*
 * How the service's parts are wired: the build found and read, a HotModule
 * for each shared module that hot nodes come from, the watcher on every
 * file those modules are built from, the modules' hooks (rebuild commands,
 * swapping widgets, reports), and how hot_node_new () finds the newest
 * code. The public object is in hot-reload.c.
 */

/* After an event that may be followed by more writes (a write before the
 * file is closed, a deletion). */
#define DEBOUNCE_MS 50
/* After an event that ends a save (a file closed after writing, renamed
 * into place). The watcher hands over every event the kernel has queued
 * when it reads, so a save's events never straddle this; it covers only
 * events not made yet: between an editor closing its temporary file and
 * renaming it over the file (g_file_set_contents (): 0.67 ms at most in
 * 500 saves on a 2-core machine at load 8; GLib editors' temporary files
 * are hidden, and ignored). The files of a save-all come further apart
 * (vim's :wall syncs each one: ~4 ms) and may start a build each: that
 * costs no correctness, since a build whose inputs change while it runs
 * is cancelled and started again (hot-module.c), and they come sooner
 * than any build ends. Was 5 ms. */
#define SETTLE_MS 2
#define PREPARE_DELAY_MS 1000

static gboolean prepare_fast_paths (gpointer user_data);

/* What style sheets need of the service (see hot-style.c) */

static char *
style_resolve (const char *resource_path,
               gpointer    user_data)
{
  HotReload *self = user_data;

  return self->shared.resources ? g_strdup (hot_resources_lookup_file (self->shared.resources, resource_path)) : NULL;
}

static void
style_watch (const char *file,
             gpointer    user_data)
{
  HotReload *self = user_data;

  hot_watcher_add_file (self->watcher, file);
}

static const HotStyleHooks style_hooks = {
  style_resolve,
  style_watch,
};

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

  /* The new library may have registered resources of its own: the ones
   * compiled from the files as they are now stay in front. */
  if (self->shared.resources != NULL)
    hot_resources_raise (self->shared.resources);

  if (!hot_instantiate_generation (module, generation, hot_proxy_list_get_array (self->proxies), self->shared.quarantine, TRUE, error))
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

static void schedule_project_reread (HotReload *self);

static void
module_finished (HotModule    *module,
                 const GError *error,
                 gpointer      user_data)
{
  HotReload  *self = user_data;
  const char *name = hot_module_get_name (module);
  HotStatus  *status = hot_module_get_status (module);

  /* A new description of the build waited for this module to be idle. */
  if (self->reread_pending)
    schedule_project_reread (self);

  if (error == NULL)
    {
      GTimeSpan   duration = hot_status_get_last_duration (status);
      GVariant   *timings = hot_status_get_timings (status);
      const char *builder = "none";

      if (timings != NULL)
        g_variant_lookup (timings, "builder", "&s", &builder);
      g_message ("Reloaded module “%s” in %.0f ms (%s)", name, duration / 1000.0, builder);
      hot_reload_emit_reloaded (self, name);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      const char *backtrace = hot_status_get_crash_backtrace (status);

      g_warning ("Reloading module “%s” failed; the previous code stays live.\n%s%s%s", name, error->message,
                 backtrace ? "\n" : "", backtrace ? backtrace : "");
      hot_reload_emit_failed (self, name, error);
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

#define OPENED_AT "hotnode-opened-at"

/* A window opened after a generation went live may be that generation's
 * (a dialog its code opened, whose handlers are its code): while one is
 * open, the generation stays loaded. */
static gboolean
module_may_unload (HotModule     *module,
                   HotGeneration *generation,
                   gpointer       user_data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);
      gint64 *opened_at = g_object_get_data (window, OPENED_AT);

      if (opened_at != NULL && *opened_at > generation->live_since)
        return FALSE;
    }

  return TRUE;
}

static const HotModuleHooks module_hooks = {
  module_has_custom_rebuilder,
  module_custom_rebuilder,
  module_swap,
  module_finished,
  module_inputs_changed,
  module_may_unload,
};

/* In an idle: the window may be closing from a handler of the very code
 * that would be closed. */
static gboolean
check_unloads (gpointer user_data)
{
  HotReload     *self = user_data;
  GHashTableIter iter;
  HotModule     *module;

  self->unload_check_id = 0;
  g_hash_table_iter_init (&iter, self->modules);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &module))
    hot_module_check_unload (module);

  return G_SOURCE_REMOVE;
}

static void
toplevels_changed (GListModel *toplevels,
                   guint       position,
                   guint       removed,
                   guint       added,
                   HotReload  *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);
      gint64 *opened_at;

      if (g_object_get_data (window, OPENED_AT) != NULL)
        continue;
      opened_at = g_new (gint64, 1);
      *opened_at = g_get_monotonic_time ();
      g_object_set_data_full (window, OPENED_AT, opened_at, g_free);
    }

  if (removed > 0 && self->shared.unload_generations && self->unload_check_id == 0)
    self->unload_check_id = g_idle_add (check_unloads, self);
}

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

  hot_proxy_list_add (self->proxies, proxy);
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

/* Whether a source of @module names @resource_path: its code loads the
 * resource (a template, a builder file). @texts (source → contents) keeps
 * what was read for the next question of the same pass. */
static gboolean
module_mentions (HotModule  *module,
                 const char *resource_path,
                 GHashTable *texts)
{
  const HotModuleInfo *info = hot_module_get_info (module);

  for (guint i = 0; info->sources[i]; i++)
    {
      const char *contents = g_hash_table_lookup (texts, info->sources[i]);

      if (contents == NULL && !g_hash_table_contains (texts, info->sources[i]))
        {
          char *read = NULL;

          g_file_get_contents (info->sources[i], &read, NULL, NULL);
          g_hash_table_insert (texts, g_strdup (info->sources[i]), read);
          contents = read;
        }
      if (contents != NULL && strstr (contents, resource_path))
        return TRUE;
    }

  return FALSE;
}

static GHashTable *
source_texts_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/* The resource path of @file when it is a file of the app's GResources
 * that a module's code may read at run time (style sheets are loaded again
 * into their providers instead, see hot-style.c), or NULL. */
static const char *
module_resource_path (HotReload  *self,
                      const char *file)
{
  if (self->shared.resources == NULL || g_str_has_suffix (file, ".css"))
    return NULL;

  return hot_resources_get_resource_path (self->shared.resources, file);
}

/* @file, a file of the app's GResources, is owed to the modules whose
 * sources name its resource path now: it becomes an input of each (read
 * at run time, so a save reloads them with no compiler, see hot-module.c).
 * Returns whether any module has it. */
static gboolean
give_resource_to_users (HotReload  *self,
                        const char *file,
                        GHashTable *texts)
{
  const char    *resource_path = module_resource_path (self, file);
  const char    *one[] = { file, NULL };
  GHashTableIter iter;
  HotModule     *module;
  gboolean       used = FALSE;

  if (resource_path == NULL)
    return FALSE;

  g_hash_table_iter_init (&iter, self->modules);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &module))
    if (hot_inputs_contains (hot_module_get_inputs (module), file))
      used = TRUE;
    else if (module_mentions (module, resource_path, texts))
      {
        hot_module_add_resources (module, one);
        used = TRUE;
      }

  return used;
}

/* The files of the app's GResources are inputs of the modules whose
 * sources name their resource path, and of no other: a file no module
 * names is watched only to say that a save of it reloads nothing. */
static void
add_resource_inputs (HotReload *self)
{
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GHashTable) texts = source_texts_new ();

  self->shared.resources = hot_resources_new (hot_project_get_build_dir (self->project));
  files = hot_resources_list_files (self->shared.resources, NULL);
  for (guint i = 0; i < files->len; i++)
    {
      const char *file = g_ptr_array_index (files, i);

      if (module_resource_path (self, file) == NULL)
        continue;
      give_resource_to_users (self, file, texts);
      hot_watcher_add_file (self->watcher, file);
    }
}

/* A file of the app's GResources was saved: the modules that name it now
 * have it as an input (a module may have started using it since). Returns
 * whether it is one that no module uses, said in the log. */
static gboolean
resource_saved_unused (HotReload  *self,
                       const char *path)
{
  const char *resource_path = module_resource_path (self, path);
  g_autoptr (GHashTable) texts = source_texts_new ();

  if (resource_path == NULL || give_resource_to_users (self, path, texts) ||
      !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return FALSE;

  g_message (_ ("Not reloaded: %s is not used by any hot module (no source of a hot module names its resource "
                "path %s)"),
             path, resource_path);
  return TRUE;
}

/* The modules the app's own nodes and statics come from. Adds the modules
 * it makes to @created. */
static void
attach_modules (HotReload *self,
                GPtrArray *created)
{
  HotTable  *host = hot_table_get_host ();
  GPtrArray *nodes = hot_table_get_nodes (host);
  GPtrArray *host_statics = hot_table_get_statics (host);
  HotModule *module;

  for (guint i = 0; i < nodes->len + host_statics->len; i++)
    {
      const HotNodeEntry   *node = i < nodes->len ? g_ptr_array_index (nodes, i) : NULL;
      const HotStaticEntry *entry = node ? NULL : g_ptr_array_index (host_statics, i - nodes->len);
      const HotModuleInfo  *info = hot_project_lookup_source (self->project, node ? node->file : entry->file);
      gboolean              known = info != NULL && g_hash_table_contains (self->modules, info->name);

      if (info == NULL || (module = ensure_module (self, info)) == NULL)
        continue;
      if (node != NULL && !g_hash_table_contains (self->node_modules, node->name))
        g_hash_table_insert (self->node_modules, (gpointer) node->name, module);
      if (!known && created != NULL)
        g_ptr_array_add (created, module);
    }
}

static gboolean
module_may_change (const HotModuleInfo *info,
                   gpointer             user_data)
{
  HotReload *self = user_data;
  HotModule *module = g_hash_table_lookup (self->modules, info->name);

  return module == NULL || hot_module_get_info (module) != info || !hot_module_is_busy (module);
}

/* meson regenerated the build (a meson.build changed and ninja ran): a
 * module's new or renamed sources become its inputs, a removed one is no
 * longer watched, a new module with the app's nodes reloads. A module that
 * is building takes its new description once it is done. */
static gboolean
reread_project (gpointer user_data)
{
  HotReload *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (HotProject) fresh = NULL;
  g_autoptr (GPtrArray) changed = NULL;
  g_autoptr (GPtrArray) added = NULL;
  g_autoptr (GPtrArray) created = g_ptr_array_new ();
  gboolean complete;

  self->reread_id = 0;
  fresh = hot_project_load (hot_project_get_build_dir (self->project), &error);
  if (fresh == NULL)
    {
      /* meson may be writing it still: its last file brings another look. */
      g_message ("The build folder changed but could not be read again (%s); hot reload goes on with what it "
                 "knew of the build",
                 error->message);
      return G_SOURCE_REMOVE;
    }

  complete = hot_project_update (self->project, fresh, module_may_change, self, &changed, &added);
  self->reread_pending = !complete;

  for (guint i = 0; i < changed->len; i++)
    {
      const HotModuleInfo *info = g_ptr_array_index (changed, i);
      HotModule           *module = g_hash_table_lookup (self->modules, info->name);

      if (module != NULL && hot_module_get_info (module) == info)
        {
          g_message ("Module “%s” is built from other sources or with other commands since meson regenerated the "
                     "build: %u sources",
                     info->name, g_strv_length (info->sources));
          hot_module_info_changed (module);
        }
    }

  attach_modules (self, created);
  for (guint i = 0; i < created->len; i++)
    {
      HotModule *module = g_ptr_array_index (created, i);

      g_message ("New hot module “%s” since meson regenerated the build", hot_module_get_name (module));
      watch_inputs (self, module);
      hot_module_read_deps (module);
      if (self->to_prepare != NULL)
        g_ptr_array_add (self->to_prepare, module);
    }

  return G_SOURCE_REMOVE;
}

static void
schedule_project_reread (HotReload *self)
{
  if (self->reread_id == 0)
    self->reread_id = g_idle_add (reread_project, self);
}

/* Whether @path is meson's description of the build, which it writes
 * again when it regenerates the build. */
static gboolean
is_build_description (HotReload  *self,
                      const char *path)
{
  g_autofree char *meson_info = g_build_filename (hot_project_get_build_dir (self->project), "meson-info", NULL);
  g_autofree char *dir = g_path_get_dirname (path);

  return g_str_equal (dir, meson_info);
}

static void
watcher_changed (HotWatcher *watcher,
                 GStrv       paths,
                 gint64      first_event,
                 gpointer    user_data)
{
  HotReload *self = user_data;
  g_autoptr (GPtrArray) saved = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) claimed = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  HotModule     *module;

  /* A style sheet is loaded again, and built by nobody; meson's
   * description of the build is read again. */
  for (guint i = 0; paths[i]; i++)
    {
      g_ptr_array_add (saved, g_strdup (paths[i]));
      if (is_build_description (self, paths[i]))
        {
          g_hash_table_add (claimed, g_ptr_array_index (saved, i));
          if (g_str_has_suffix (paths[i], G_DIR_SEPARATOR_S "intro-targets.json") ||
              g_str_has_suffix (paths[i], G_DIR_SEPARATOR_S "meson-info.json"))
            schedule_project_reread (self);
        }
      else if (hot_style_file_changed (paths[i]) || resource_saved_unused (self, paths[i]))
        g_hash_table_add (claimed, g_ptr_array_index (saved, i));
    }

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

/* Finds the build, the modules the host's entries come from, and starts
 * watching what they are built from. */
gboolean
hot_reload_setup (HotReload *self,
                  GError   **error)
{
  g_autofree char *build_dir = g_strdup (hot_settings_get ()->build_dir);
  g_autofree char *intro = NULL;
  HotModule       *module;
  GHashTableIter   iter;

  /* HOT_RELOAD_BUILD_DIR, or the build folder that built the executable;
   * hot_project_load () refuses either when someone else may have written
   * it. */
  if (build_dir == NULL)
    {
      g_autofree char *executable = g_file_read_link ("/proc/self/exe", NULL);

      build_dir = hot_project_find_build_dir (executable ? executable : "", error);
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
  hot_static_registry_capture (self->shared.statics, hot_table_get_host ());
  self->shared.digests = hot_digest_cache_new ();

  attach_modules (self, NULL);

  self->watcher = hot_watcher_new (DEBOUNCE_MS, SETTLE_MS);
  g_signal_connect_object (self->watcher, "changed", G_CALLBACK (watcher_changed), self, 0);
  add_resource_inputs (self);
  hot_style_set_hooks (&style_hooks, self);
  g_hash_table_iter_init (&iter, self->modules);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &module))
    {
      watch_inputs (self, module);
      hot_module_read_deps (module);
    }

  /* meson writes its description again when it regenerates the build. */
  intro = g_build_filename (hot_project_get_build_dir (self->project), "meson-info", "intro-targets.json", NULL);
  hot_watcher_add_file (self->watcher, intro);

  g_signal_connect_object (gtk_window_get_toplevels (), "items-changed", G_CALLBACK (toplevels_changed), self, 0);
  hot_instantiate_set_resolver (&resolver, self);

  /* A second after start: the app has drawn its window, and nobody saves a
   * file sooner. */
  self->prepare_id = g_timeout_add_full (G_PRIORITY_LOW, PREPARE_DELAY_MS, prepare_fast_paths, self, NULL);

  g_debug ("Hot reload is on: build %s, %u hot modules", hot_project_get_build_dir (self->project),
           g_hash_table_size (self->modules));

  return TRUE;
}

static void prepare_next_fast_path (HotReload *self);

static void
fast_path_prepared (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  HotReload *self = user_data;

  /* A preparing module is busy too, and its end is no build's: a new
   * description of the build that waited for it is read again now. */
  if (self->reread_pending)
    schedule_project_reread (self);
  prepare_next_fast_path (self);
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

/* Before the service goes: the proxies and style sheets are no longer
 * its. */
void
hot_reload_forget_proxies (HotReload *self)
{
  hot_style_set_hooks (NULL, NULL);
  g_clear_object (&self->proxies);
}
