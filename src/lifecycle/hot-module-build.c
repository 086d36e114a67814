/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "hot-module-build-private.h"
#include "hot-rebuilder-private.h"

/*
 * The BUILDING and LOADING states of a module (the table is at the top of
 * hot-module.c): choosing the builder (the fast path, or the app's
 * rebuilder, or ninja), what the build system's objects hold afterwards,
 * loading the library the build wrote, patching its statics and having the
 * service swap its widgets in. Every way out ends in
 * hot_module_build_ended ().
 */

/* Fast path and rebuilder */

HotFastBuilder *
hot_module_ensure_fast_builder (HotModule *self)
{
  if (self->shared->fast_path == HOT_FAST_PATH_OFF)
    return NULL;

  if (self->fast_builder == NULL || hot_fast_builder_get_mode (self->fast_builder) != self->shared->fast_path)
    {
      g_clear_object (&self->fast_builder);
      self->fast_builder = hot_fast_builder_new (self->info, self->shared->fast_path, self->inputs);
    }

  return self->fast_builder;
}

/* After ninja: what its objects were compiled from. */
static void
ninja_ended (HotModule *self,
             gboolean   success)
{
  if (!success)
    {
      hot_object_files_stopped (self->objects, self->building);
      return;
    }

  hot_object_files_built (self->objects, self->building);
  /* The build system's objects are current: fast builds start over. */
  if (self->fast_builder != NULL)
    hot_fast_builder_forget (self->fast_builder);
  hot_module_read_deps (self);
}

static void load_output (HotModule  *self,
                         const char *output);

static void
rebuilder_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  HotModule *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) diagnostics = NULL;
  g_autoptr (HotBuildLock) lock = NULL;
  g_autofree char *output = hot_rebuilder_run_finish (result, &diagnostics, &lock, &error);

  /* Held until the library is copied: no other build writes it before. */
  self->build_lock = g_steal_pointer (&lock);
  if (self->by_ninja)
    ninja_ended (self, output != NULL);
  else if (output != NULL)
    hot_module_read_deps (self); /* a custom command may have run ninja */

  if (output != NULL)
    load_output (self, output);
  else
    hot_module_build_ended (self, error, diagnostics);
}

/* Runs the app's rebuilder or HOT_RELOAD_REBUILDER (as the hooks say), or
 * ninja. */
static void
start_rebuilder (HotModule *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *output = NULL;
  g_auto (GStrv) argv = NULL;

  if (self->hooks->has_custom_rebuilder (self, self->hooks_data))
    argv = self->hooks->custom_rebuilder (self, &output, &error, self->hooks_data);
  if (argv == NULL && error == NULL)
    {
      argv = hot_rebuilder_ninja_argv (self->info, &error);
      g_free (output);
      output = g_strdup (self->info->output);
      self->by_ninja = TRUE;
      self->times.builder = "ninja";
      hot_object_files_date_back_stale (self->objects, self->building);
    }
  else
    self->times.builder = "custom";

  if (argv == NULL)
    {
      hot_module_build_ended (self, error, NULL);
      return;
    }

  g_debug ("Rebuilding module “%s”: %s", self->info->name, argv[0]);
  hot_rebuilder_run_async (self->info, (const char *const *) argv, output, self->cancellable, rebuilder_done, self);
}

static void
fast_build_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  HotModule *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *output = hot_fast_builder_build_finish (HOT_FAST_BUILDER (source), result, &error);

  if (output != NULL)
    {
      load_output (self, output);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      hot_module_build_ended (self, error, NULL);
      return;
    }

  g_message ("Fast rebuild of module “%s” not possible (%s); building it with ninja", self->info->name,
             error->message);
  start_rebuilder (self);
}

/* The fast builder when it can build the module, or NULL; logs why not
 * once per reason in a row ("tcc is not installed" at every save says
 * nothing new). */
static HotFastBuilder *
choose_fast_builder (HotModule *self)
{
  g_autoptr (GError) reason = NULL;
  HotFastBuilder *fast_builder = hot_module_ensure_fast_builder (self);

  if (fast_builder == NULL)
    return NULL;

  if (!hot_fast_builder_can_build (fast_builder, &reason))
    {
      if (g_strcmp0 (self->fast_path_declined, reason->message) != 0)
        g_message ("Fast rebuild of module “%s” not possible (%s); building it with ninja", self->info->name,
                   reason->message);
      g_free (self->fast_path_declined);
      self->fast_path_declined = g_strdup (reason->message);
      return NULL;
    }

  g_clear_pointer (&self->fast_path_declined, g_free);
  return fast_builder;
}

static void start_compile (HotModule *self);

static void
resources_updated (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  HotModule *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) diagnostics = NULL;
  HotGeneration *live = hot_module_get_live (self);
  const char    *built = live != NULL && live->library != NULL ? hot_library_get_built_path (live->library) : NULL;

  self->resources_pending = TRUE;
  if (!hot_resources_update_finish (self->shared->resources, result, &diagnostics, &error))
    {
      hot_module_build_ended (self, error, diagnostics);
      return;
    }

  /* Code changed too: it is built next, and reads these resources. */
  if (self->resources_first)
    {
      start_compile (self);
      return;
    }

  /* A new copy of the same code: new type names, so class_init runs
   * again and reads the templates as they are now. (start_resources_reload ()
   * checked that the live code's built file is still there.) */
  load_output (self, built != NULL ? built : self->info->output);
}

/* Files read at run time changed (templates in a GResource): the
 * resources are compiled again from them, whatever builds the code (the
 * fast path links the module's old resource object, and ours are in front
 * of the module's own copies, hot_resources_raise ()). When only they
 * changed, no compiler: the same code is loaded again. */
static gboolean
start_resources_update (HotModule *self)
{
  HotGeneration *live = hot_module_get_live (self);

  if (self->shared->resources == NULL || !hot_inputs_resources_differ (self->inputs, self->live, self->building))
    return FALSE;

  /* The live code is loaded again from its built file: a build since (of
   * another instance of the app, say) means building. */
  self->resources_first = !hot_inputs_only_resources_differ (self->inputs, self->live, self->building) ||
                          (live != NULL && live->library != NULL && hot_library_get_built_path (live->library) == NULL);
  if (!self->resources_first)
    self->times.builder = "resources";
  hot_resources_update_async (self->shared->resources, self->cancellable, resources_updated, self);
  return TRUE;
}

void
hot_module_start_build (HotModule *self)
{
  g_assert (self->state == STATE_IDLE);

  self->state = STATE_BUILDING;
  self->building = hot_inputs_snapshot (self->inputs);
  self->cancellable = g_cancellable_new ();
  self->by_ninja = FALSE;
  self->resources_first = FALSE;
  self->resources_pending = FALSE;
  memset (&self->times, 0, sizeof self->times);
  self->times.changed = self->changed_at;
  self->times.debounced = self->changed_at ? g_get_monotonic_time () : 0;
  self->times.build_started = g_get_monotonic_time ();
  self->changed_at = 0;
  hot_status_set_building (self->status, TRUE);

  if (!start_resources_update (self))
    start_compile (self);
}

/* Builds the module's code, on the fast path or with its rebuilder. */
static void
start_compile (HotModule *self)
{
  HotFastBuilder *fast_builder;

  /* A rebuilder of the app's is theirs to make fast. */
  fast_builder = self->hooks->has_custom_rebuilder (self, self->hooks_data) ? NULL : choose_fast_builder (self);
  if (fast_builder != NULL)
    {
      g_autoptr (GHashTable) reusable = hot_object_files_reusable (self->objects, self->building);

      self->times.builder = self->shared->fast_path == HOT_FAST_PATH_TCC ? "tcc" : "gcc-pch";
      hot_fast_builder_build_async (fast_builder, self->building, reusable, self->cancellable, fast_build_done,
                                    self);
      return;
    }

  start_rebuilder (self);
}

/* Loading and swapping */

static void
unload_idle (HotGeneration *generation,
             gpointer       user_data)
{
  hot_module_check_unload (user_data);
}

/**
 * hot_module_check_unload:
 * @self: a module
 *
 * Closes the superseded generations that nothing uses, when unloading is
 * on (HotReload:unload-generations).
 */
void
hot_module_check_unload (HotModule *self)
{
  if (!self->shared->unload_generations)
    return;

  for (guint i = self->generations->len; i > 1; i--)
    {
      HotGeneration *generation = g_ptr_array_index (self->generations, i - 2);

      if (self->hooks->may_unload (self, generation, self->hooks_data) && hot_generation_unload (generation))
        {
          g_debug ("Unloaded generation %u of module “%s”: nothing of it is in use", generation->number,
                   self->info->name);
          g_ptr_array_remove_index (self->generations, i - 2);
        }
    }
}

/* Has the service swap the widgets of @generation in; its code failed:
 * it goes to the quarantine. */
static gboolean
swap_in (HotModule     *self,
         HotGeneration *generation,
         GError       **error)
{
  if (!self->hooks->swap (self, generation, error, self->hooks_data))
    {
      g_ptr_array_add (self->shared->quarantine, generation);
      return FALSE;
    }
  self->times.rebuilt = g_get_monotonic_time ();

  generation->snapshot = g_hash_table_ref (self->building);
  generation->live_since = g_get_monotonic_time ();
  generation->idle_func = unload_idle;
  generation->idle_data = self;
  g_ptr_array_add (self->generations, generation);
  g_clear_pointer (&self->live, g_hash_table_unref);
  self->live = g_hash_table_ref (self->building);
  g_clear_pointer (&self->attempted, g_hash_table_unref);
  hot_module_check_unload (self);

  return TRUE;
}

/* LOADING → HELD: the app holds the module's reloads. */
static void
hold (HotModule     *self,
      HotGeneration *generation)
{
  g_debug ("Module “%s”: generation %u waits for the app to release its reloads", self->info->name,
           generation->number);
  self->state = STATE_HELD;
  self->held = generation;
  hot_status_set_building (self->status, FALSE);
  hot_status_set_held (self->status, TRUE);
}

/* HELD → LOADING → (build_ended) IDLE: released; the held generation
 * goes live. */
void
hot_module_swap_held (HotModule *self)
{
  g_autoptr (GError) error = NULL;
  HotGeneration *generation = g_steal_pointer (&self->held);

  g_assert (self->state == STATE_HELD);

  self->state = STATE_LOADING;
  hot_status_set_held (self->status, FALSE);
  swap_in (self, generation, &error);
  hot_module_build_ended (self, error, NULL);
}

/* HELD: the held generation will not go live (a change, a cancel, the
 * module's end). None of its code ran but its loader's. */
void
hot_module_drop_held (HotModule *self)
{
  HotGeneration *generation = g_steal_pointer (&self->held);

  g_assert (self->state == STATE_HELD);

  self->state = STATE_LOADING;
  hot_status_set_held (self->status, FALSE);
  if (hot_generation_unload (generation))
    hot_generation_free (generation);
  else
    g_ptr_array_add (self->shared->quarantine, generation);
}

/* Patches the statics of a loaded library and has the service swap its
 * widgets in, or holds it (STATE_HELD). A library refused before any of
 * its code ran is closed; one whose code failed goes to the quarantine. */
static gboolean
make_live (HotModule  *self,
           HotLibrary *library,
           GError    **error)
{
  HotGeneration *generation;

  self->times.copied = library->copied_at;
  self->times.opened = library->opened_at;

  generation = hot_generation_new (library, error);
  if (generation == NULL)
    return FALSE;

  if (!hot_static_registry_patch (self->shared->statics, generation->table, error))
    {
      hot_generation_unload (generation);
      hot_generation_free (generation);
      return FALSE;
    }
  self->times.patched = g_get_monotonic_time ();

  if (self->inhibit_count > 0)
    {
      hold (self, generation);
      return TRUE;
    }

  return swap_in (self, generation, error);
}

static void
library_loaded (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  HotModule *self = user_data;
  g_autoptr (GError) error = NULL;
  HotLibrary *library = hot_loader_load_finish (HOT_LOADER (source), result, &error);

  g_clear_pointer (&self->build_lock, hot_build_lock_unref);
  if (library != NULL && make_live (self, library, &error) && self->state == STATE_HELD)
    return;
  hot_module_build_ended (self, error, NULL);
}

/* The build wrote @output: load it in a worker thread. A load cannot be
 * stopped: changes wait for it. */
static void
load_output (HotModule  *self,
             const char *output)
{
  g_autoptr (GHashTable) now = hot_inputs_snapshot (self->inputs);

  /* An input changed during the build and its event has not come yet
   * (GLib's inotify source can hold one ~100 ms): what the compiler read is
   * not known, so this library is not what the build is labelled with.
   * Build again instead, silently, as the event would have made it. */
  if (!hot_inputs_same (self->inputs, self->building, now))
    {
      g_autoptr (GError) changed = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                        "inputs changed during the build");

      g_debug ("Inputs of module “%s” changed during its build: building again", self->info->name);
      g_clear_pointer (&self->build_lock, hot_build_lock_unref);
      hot_module_build_ended (self, changed, NULL);
      return;
    }

  self->times.build_finished = g_get_monotonic_time ();
  self->state = STATE_LOADING;
  hot_loader_load_async (self->shared->loader, self->info->name, output, self->shared->load_timeout_ms,
                         library_loaded, self);
}
