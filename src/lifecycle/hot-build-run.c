/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "hot-build-run-private.h"

/*
 * HotBuildRun: one build of a module, from its inputs to a loaded
 * generation that is not live yet. Its steps:
 *
 *   resources  the app's GResources compiled again (when files read at run
 *              time changed); with no builder, the live library is loaded
 *              again: new type names, so class_init reads the templates
 *   compile    the builder; when it fails (but was not cancelled), the
 *              fallback (the fast path declined: ninja)
 *   load       copy and dlopen on a worker thread ("loading" is emitted
 *              first); it cannot be stopped. The builder's lock is held
 *              until the library is copied.
 *
 * The run knows nothing of the module's states: hot-module.c starts it,
 * moves to LOADING on "loading", and on its end makes the generation live,
 * holds it or refuses it.
 */

struct _HotBuildRun
{
  GObject parent_instance;

  const HotModuleInfo *info;
  HotInputs           *inputs;
  GHashTable          *snapshot;
  HotResources        *resources;
  HotBuilder          *builder;
  HotBuilder          *fallback;
  char                *reload;
  HotLoader           *loader;
  guint                load_timeout_ms;

  HotBuilder   *current;           /* the builder that runs or ran last */
  gboolean      resources_pending; /* resources registered: to settle */
  HotBuildLock *lock;
  GListModel   *diagnostics;
};

enum
{
  LOADING,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (HotBuildRun, hot_build_run, G_TYPE_OBJECT)

static void
hot_build_run_finalize (GObject *object)
{
  HotBuildRun *self = HOT_BUILD_RUN (object);

  g_clear_pointer (&self->snapshot, g_hash_table_unref);
  g_clear_object (&self->builder);
  g_clear_object (&self->fallback);
  g_free (self->reload);
  g_clear_object (&self->loader);
  g_clear_pointer (&self->lock, hot_build_lock_unref);
  g_clear_object (&self->diagnostics);

  G_OBJECT_CLASS (hot_build_run_parent_class)->finalize (object);
}

static void
hot_build_run_class_init (HotBuildRunClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hot_build_run_finalize;

  /* The build wrote the library, made from the snapshot: it is loaded
   * now, and cannot be stopped. */
  signals[LOADING] = g_signal_new ("loading", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);
}

static void
hot_build_run_init (HotBuildRun *self)
{
}

/**
 * hot_build_run_new:
 * @plan: what the build needs; its borrowed members (the module, its
 *   inputs and resources) must outlive the run
 *
 * Returns: (transfer full): a run, to start with hot_build_run_async ()
 */
HotBuildRun *
hot_build_run_new (const HotBuildPlan *plan)
{
  HotBuildRun *self;

  g_return_val_if_fail (plan->builder != NULL || plan->reload != NULL, NULL);

  self = g_object_new (HOT_TYPE_BUILD_RUN, NULL);
  self->info = plan->info;
  self->inputs = plan->inputs;
  self->snapshot = g_hash_table_ref (plan->snapshot);
  self->resources = plan->resources;
  self->builder = plan->builder ? g_object_ref (plan->builder) : NULL;
  self->fallback = plan->fallback ? g_object_ref (plan->fallback) : NULL;
  self->reload = g_strdup (plan->reload);
  self->loader = g_object_ref (plan->loader);
  self->load_timeout_ms = plan->load_timeout_ms;

  return self;
}

static void
return_error (GTask  *task,
              GError *error)
{
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
library_loaded (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask         *task = user_data;
  HotBuildRun   *self = g_task_get_source_object (task);
  GError        *error = NULL;
  HotLibrary    *library = hot_loader_load_finish (HOT_LOADER (source), result, &error);
  HotGeneration *generation = NULL;

  g_clear_pointer (&self->lock, hot_build_lock_unref);
  if (library != NULL)
    generation = hot_generation_new (library, &error);
  if (generation == NULL)
    {
      return_error (task, error);
      return;
    }

  g_task_return_pointer (task, generation, (GDestroyNotify) hot_generation_free);
  g_object_unref (task);
}

/* The build wrote @output: load it in a worker thread. */
static void
load (GTask      *task,
      const char *output)
{
  HotBuildRun *self = g_task_get_source_object (task);
  g_autoptr (GHashTable) now = hot_inputs_snapshot (self->inputs);

  /* An input changed during the build and its event has not come yet
   * (GLib's inotify source can hold one ~100 ms): what the compiler read is
   * not known, so this library is not what the build is labelled with. */
  if (!hot_inputs_same (self->inputs, self->snapshot, now))
    {
      g_debug ("Inputs of module “%s” changed during its build: building again", self->info->name);
      g_clear_pointer (&self->lock, hot_build_lock_unref);
      return_error (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "inputs changed during the build"));
      return;
    }

  g_signal_emit (self, signals[LOADING], 0);
  hot_loader_load_async (self->loader, self->info->name, output, self->load_timeout_ms, library_loaded, task);
}

static void compile (GTask      *task,
                     HotBuilder *builder);

static void
built (GObject      *source,
       GAsyncResult *result,
       gpointer      user_data)
{
  GTask           *task = user_data;
  HotBuildRun     *self = g_task_get_source_object (task);
  GError          *error = NULL;
  g_autofree char *output = NULL;

  g_clear_object (&self->diagnostics);
  output = hot_builder_build_finish (HOT_BUILDER (source), result, &self->diagnostics, &self->lock, &error);
  if (output != NULL)
    {
      g_clear_object (&self->diagnostics); /* warnings: the status shows none */
      load (task, output);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->current == self->fallback ||
      self->fallback == NULL)
    {
      return_error (task, error);
      return;
    }

  g_message ("Fast rebuild of module “%s” not possible (%s); building it with ninja", self->info->name,
             error->message);
  g_error_free (error);
  compile (task, self->fallback);
}

static void
compile (GTask      *task,
         HotBuilder *builder)
{
  HotBuildRun *self = g_task_get_source_object (task);

  self->current = builder;
  hot_builder_build_async (builder, self->snapshot, g_task_get_cancellable (task), built, task);
}

static void
resources_updated (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GTask       *task = user_data;
  HotBuildRun *self = g_task_get_source_object (task);
  GError      *error = NULL;

  self->resources_pending = TRUE;
  if (!hot_resources_update_finish (self->resources, result, &self->diagnostics, &error))
    {
      return_error (task, error);
      return;
    }
  g_clear_object (&self->diagnostics);

  /* Code changed too: it is built next, and reads these resources. */
  if (self->builder != NULL)
    compile (task, self->builder);
  else
    load (task, self->reload);
}

/**
 * hot_build_run_async:
 * @self: a run, not started yet
 * @cancellable: (nullable): stops the resources or the build (not a load)
 * @callback: called when the library is loaded, or the run failed
 * @user_data: for @callback
 *
 * Runs the build: resources, compile, copy and load.
 */
void
hot_build_run_async (HotBuildRun        *self,
                     GCancellable       *cancellable,
                     GAsyncReadyCallback callback,
                     gpointer            user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, hot_build_run_async);
  /* A loaded library is returned even if the cancellable fired during the
   * load: the caller decides. */
  g_task_set_check_cancellable (task, FALSE);

  if (self->resources != NULL)
    hot_resources_update_async (self->resources, cancellable, resources_updated, task);
  else
    compile (task, self->builder);
}

/**
 * hot_build_run_finish:
 * @self: a run
 * @result: the result given to the callback
 * @diagnostics: (out) (optional) (transfer full): what the compiler said
 *   of a failed build, or %NULL
 * @error: return location for a #GError; %G_IO_ERROR_CANCELLED when the
 *   cancellable fired or an input changed during the build
 *
 * Returns: (transfer full): the loaded generation, not live, or %NULL
 */
HotGeneration *
hot_build_run_finish (HotBuildRun  *self,
                      GAsyncResult *result,
                      GListModel  **diagnostics,
                      GError      **error)
{
  HotGeneration *generation;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  generation = g_task_propagate_pointer (G_TASK (result), error);
  if (diagnostics != NULL)
    *diagnostics = generation == NULL ? g_steal_pointer (&self->diagnostics) : NULL;

  return generation;
}

/**
 * hot_build_run_get_builder_name:
 * @self: a run
 *
 * Returns: what built (hot_builder_get_name ()), or "resources" when only
 *   they were compiled
 */
const char *
hot_build_run_get_builder_name (HotBuildRun *self)
{
  return self->current != NULL ? hot_builder_get_name (self->current) : "resources";
}

/**
 * hot_build_run_get_resources_pending:
 * @self: a run
 *
 * Returns: whether it registered new resources, which stay only if the
 *   generation goes live (hot_resources_settle ())
 */
gboolean
hot_build_run_get_resources_pending (HotBuildRun *self)
{
  return self->resources_pending;
}
