/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hot-build-run-private.h"
#include "hot-builders-private.h"
#include "hot-fast-builder-private.h"
#include "hot-module-private.h"
#include "hot-object-files-private.h"
#include "hot-rebuilder-private.h"

/*
 * HotModule: the life of one hot module, from a change of its inputs to a
 * new generation on screen. No GTK here: the service swaps the widgets
 * through HotModuleHooks.swap, and reports through .finished.
 *
 * ## What is owed
 *
 * Every snapshot below maps each input file (sources and the headers they
 * include) to a digest of its content.
 *
 *   live       what the live generation was built from (at start: the
 *              inputs as they are, which the app was built from)
 *   attempted  what the last failed build was made from, until a build
 *              succeeds or the inputs are back to `live`: the same content
 *              is not built again by itself
 *   building   what the running build started from
 *   objects    what the build system's objects were compiled from
 *              (hot-object-files.c), less the sources whose object a stopped
 *              build may have rewritten since
 *
 * Inputs are compiled (sources, headers) or read at run time (`.ui` files
 * of the app's GResources): when only the latter differ from `live`, the
 * "build" compiles the resources and loads the live library again, with no
 * C compiler (BUILDING then LOADING, as any build).
 *
 * A build is owed when the inputs now differ from `live` and from
 * `attempted`. Which files were saved, in which order and how, does not
 * matter: a cancelled, failed or superseded build cannot leave an edit out,
 * and a save that changes no content (an editor's temporary file, the same
 * text twice, another module's file) owes nothing.
 *
 * When the inputs are back to `live` after a build of other content failed
 * (a mistake undone), the failure is cleared from the status: it said
 * nothing of what the files hold now, and the live code is theirs.
 *
 * ## States
 *
 *   state      | running                 | inputs change         | rebuild_async ()        | cancel ()
 *   -----------+-------------------------+-----------------------+-------------------------+------------------
 *   IDLE       | nothing                 | back to live? clear   | → BUILDING, forced      | nothing
 *              |                         |   the failure; owed?  |                         |
 *              |                         |   → BUILDING          |                         |
 *   PREPARING  | fast path preparation   | owed? stop it; → IDLE | queued; stop it; → IDLE | stop it
 *   BUILDING   | HotBuildRun: resources, | differ from building? | queued; stop it: → IDLE,| stop it, fail the
 *              | builder (processes)     |   stop it; → IDLE,    |   then BUILDING again   |   waiting calls
 *              |                         |   then again if owed  |                         |
 *   LOADING    | copy and dlopen (thread)| noted: after the load | queued                  | nothing: a load
 *              |                         |   owed? → BUILDING    |                         |   cannot stop
 *   HELD       | nothing: a generation   | differ from building? | queued                  | drop it, fail the
 *              |   loaded, statics       |   drop it; → IDLE,    |                         |   waiting calls
 *              |   patched, not swapped  |   then BUILDING       |                         |
 *
 * BUILDING and LOADING run one HotBuildRun (hot-build-run.c): the
 * resources, the builder (HotModuleHooks.make_builder's, or the fast path
 * with the rebuilder behind it, or the rebuilder: hot-builders.c), then
 * the copy and the load. It changes nothing here: its "loading" signal is
 * BUILDING → LOADING, and its end is handled below (run_done ()).
 *
 * BUILDING → LOADING only when the inputs at the end of the build are what
 * it started from (an event may come late): otherwise it is built again.
 * LOADING ends in the main loop: statics patched, HotModuleHooks.swap,
 * and the generation is live; or the library is refused; or, while the app
 * holds the module's reloads (hot_module_inhibit (), counted), → HELD.
 * The last hot_module_uninhibit () swaps the held generation in from an
 * idle (HELD → LOADING → the swap → IDLE, as a load ends); a change of
 * the inputs while held drops it and builds again, so that what goes live
 * on release is what the files hold then. In IDLE, a source that is empty
 * (a save half done) holds the build for up to a second. Every build ends
 * in build_ended (), which goes to IDLE, then reports, then
 * completes the calls that waited for it, and last starts the next build
 * if one is owed or was asked for, unless a handler started one already
 * (go_on ()).
 *
 * ## Ownership
 *
 * `waiting`: GTasks completed by the running build; `queued`: GTasks of
 * calls made while it ran, completed by the next build. The module owns its
 * generations (newest last); generations whose code failed go to the
 * shared quarantine and are never closed. A HotBuildRun gives the module
 * the generation it loaded, which is then live, held, or refused.
 */

typedef enum
{
  STATE_IDLE,
  STATE_PREPARING,
  STATE_BUILDING,
  STATE_LOADING,
  STATE_HELD,
} State;

struct _HotModule
{
  const HotModuleInfo  *info;
  HotModuleShared      *shared;
  const HotModuleHooks *hooks;
  gpointer              hooks_data;
  HotStatus            *status;
  HotInputs            *inputs;
  HotFastBuilder       *fast_builder;
  char                 *fast_path_declined; /* why, as last logged */
  GPtrArray            *generations;        /* HotGeneration, newest last */

  GHashTable     *live;
  GHashTable     *attempted;
  HotObjectFiles *objects;

  State         state;
  GCancellable *cancellable; /* of the running preparation or build */
  GHashTable   *building;
  gboolean      resources_pending; /* the build registered resources, kept only if it goes live */
  gboolean      cancel_requested;  /* by hot_module_cancel () */
  GPtrArray    *waiting;
  GPtrArray    *queued;
  GTask        *preparation;
  HotTimings    times;
  gint64        changed_at; /* first event since the last build started */

  guint          inhibit_count; /* hot_module_inhibit () calls not yet released */
  HotGeneration *held;          /* STATE_HELD: loaded, statics patched, not swapped */
  guint          release_id;    /* the idle that swaps the held generation in */

  GCancellable *deps_cancellable; /* reading ninja's deps: lives with the module */
  guint         empty_wait_id;    /* a source is empty: a save is half done */
  guint         empty_waits;
};

static void            start_build (HotModule *self);
static void            build_ended (HotModule    *self,
                                    const GError *error,
                                    GListModel   *diagnostics);
static void            swap_held (HotModule *self);
static void            drop_held (HotModule *self);
static HotFastBuilder *ensure_fast_builder (HotModule *self);

/**
 * hot_module_new:
 * @info: what the build says of the module; must outlive it
 * @shared: what the app's modules share; must outlive it
 * @hooks: what the module asks of its owner
 * @user_data: for @hooks
 *
 * Returns: (transfer full): the module, with the inputs as they are now
 *   taken for what the app was built from
 */
HotModule *
hot_module_new (const HotModuleInfo  *info,
                HotModuleShared      *shared,
                const HotModuleHooks *hooks,
                gpointer              user_data)
{
  HotModule *self = g_new0 (HotModule, 1);

  self->info = info;
  self->shared = shared;
  self->hooks = hooks;
  self->hooks_data = user_data;
  self->status = hot_status_new (info->name, info->source_dirs[0]);
  self->inputs = hot_inputs_new (info, shared->digests);
  self->generations = g_ptr_array_new_with_free_func ((GDestroyNotify) hot_generation_free);
  self->live = hot_inputs_snapshot (self->inputs);
  self->objects = hot_object_files_new (info, self->inputs, self->live);
  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  self->queued = g_ptr_array_new_with_free_func (g_object_unref);
  self->deps_cancellable = g_cancellable_new ();

  return self;
}

void
hot_module_free (HotModule *self)
{
  g_cancellable_cancel (self->deps_cancellable);
  g_clear_object (&self->deps_cancellable);
  g_clear_handle_id (&self->empty_wait_id, g_source_remove);
  g_clear_handle_id (&self->release_id, g_source_remove);
  if (self->state == STATE_HELD)
    {
      drop_held (self);
      g_clear_object (&self->cancellable);
    }
  g_assert (self->cancellable == NULL);
  g_clear_object (&self->fast_builder);
  g_free (self->fast_path_declined);
  g_clear_object (&self->status);
  g_clear_pointer (&self->generations, g_ptr_array_unref);
  g_clear_pointer (&self->live, g_hash_table_unref);
  g_clear_pointer (&self->attempted, g_hash_table_unref);
  g_clear_pointer (&self->objects, hot_object_files_free);
  g_clear_pointer (&self->waiting, g_ptr_array_unref);
  g_clear_pointer (&self->queued, g_ptr_array_unref);
  g_clear_pointer (&self->inputs, hot_inputs_free);
  g_free (self);
}

const HotModuleInfo *
hot_module_get_info (HotModule *self)
{
  return self->info;
}

const char *
hot_module_get_name (HotModule *self)
{
  return self->info->name;
}

HotStatus *
hot_module_get_status (HotModule *self)
{
  return self->status;
}

HotInputs *
hot_module_get_inputs (HotModule *self)
{
  return self->inputs;
}

GPtrArray *
hot_module_get_generations (HotModule *self)
{
  return self->generations;
}

HotGeneration *
hot_module_get_live (HotModule *self)
{
  if (self->generations->len == 0)
    return NULL;

  return g_ptr_array_index (self->generations, self->generations->len - 1);
}

/* Whether a build, a load or a preparation is under way. */
gboolean
hot_module_is_busy (HotModule *self)
{
  return self->state != STATE_IDLE;
}

/* Whether the inputs now owe a build. */
static gboolean
build_owed (HotModule  *self,
            GHashTable *now)
{
  return !hot_inputs_same (self->inputs, self->live, now) && !hot_inputs_same (self->inputs, self->attempted, now);
}

/* A build of other content failed, and the inputs now hold again what the
 * live generation was built from: the failure says nothing of them. A
 * failure of the live content itself (a forced rebuild) still holds. */
static void
clear_undone_failure (HotModule  *self,
                      GHashTable *now)
{
  if (self->attempted == NULL || hot_inputs_same (self->inputs, self->attempted, self->live) ||
      !hot_inputs_same (self->inputs, self->live, now))
    return;

  g_clear_pointer (&self->attempted, g_hash_table_unref);
  if (hot_status_get_error (self->status) == NULL)
    return;

  g_message ("Module “%s” is back to what its live code was built from: the failure is cleared", self->info->name);
  hot_status_clear_failure (self->status);
}

/* Every snapshot knows every input: a header learnt of since counts with
 * what it holds now, which is what the build that found it read. */
static void
complete_snapshots (HotModule *self)
{
  hot_inputs_complete (self->inputs, self->live);
  hot_object_files_complete (self->objects);
  if (self->attempted != NULL)
    hot_inputs_complete (self->inputs, self->attempted);
  /* Headers learnt of while a build runs: it reads them as they are. */
  if (self->building != NULL)
    hot_inputs_complete (self->inputs, self->building);
}

#define EMPTY_WAIT_MS 100
#define EMPTY_WAITS_MAX 10

static void reconsider (HotModule *self);

static gboolean
empty_wait_over (gpointer user_data)
{
  HotModule *self = user_data;

  self->empty_wait_id = 0;
  reconsider (self);

  return G_SOURCE_REMOVE;
}

/* An empty source is a save half done (truncated, then written): building
 * it would report a failure that the rest of the save undoes. It is given
 * up to a second. */
static gboolean
wait_for_empty_source (HotModule *self)
{
  gboolean empty = FALSE;

  for (guint i = 0; self->info->sources[i] && !empty; i++)
    {
      GStatBuf st;

      empty = g_stat (self->info->sources[i], &st) == 0 && st.st_size == 0;
    }

  if (!empty || self->empty_waits >= EMPTY_WAITS_MAX)
    {
      self->empty_waits = 0;
      return FALSE;
    }

  self->empty_waits++;
  if (self->empty_wait_id == 0)
    self->empty_wait_id = g_timeout_add (EMPTY_WAIT_MS, empty_wait_over, self);
  return TRUE;
}

/* Reconsiders the module after a change or at the end of something. */
static void
reconsider (HotModule *self)
{
  g_autoptr (GHashTable) now = hot_inputs_snapshot (self->inputs);

  switch (self->state)
    {
    case STATE_IDLE:
      clear_undone_failure (self, now);
      if (build_owed (self, now) && !wait_for_empty_source (self))
        start_build (self);
      break;
    case STATE_PREPARING:
      if (build_owed (self, now))
        g_cancellable_cancel (self->cancellable);
      break;
    case STATE_BUILDING:
      if (!hot_inputs_same (self->inputs, self->building, now))
        {
          g_debug ("Inputs of module “%s” changed during its build: building again", self->info->name);
          g_cancellable_cancel (self->cancellable);
        }
      break;
    case STATE_HELD:
      if (!hot_inputs_same (self->inputs, self->building, now))
        {
          g_autoptr (GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "superseded");

          g_debug ("Inputs of module “%s” changed while its reload was held: building again", self->info->name);
          drop_held (self);
          build_ended (self, error, NULL);
        }
      break;
    case STATE_LOADING:
    default:
      break;
    }
}

static void
deps_listed (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  HotModule *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *deps = hot_rebuilder_list_deps_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* the module is gone */

  if (deps == NULL)
    {
      g_debug ("Could not learn the headers of module “%s”: %s", self->info->name, error->message);
      return;
    }

  hot_inputs_read_ninja_deps (self->inputs, deps);
  complete_snapshots (self);
  self->hooks->inputs_changed (self, self->hooks_data);
}

/**
 * hot_module_read_deps:
 * @self: a module
 *
 * Learns the headers of the module's sources from ninja's deps log, in the
 * background.
 */
void
hot_module_read_deps (HotModule *self)
{
  hot_rebuilder_list_deps_async (self->info, self->deps_cancellable, deps_listed, self);
}

/**
 * hot_module_add_headers:
 * @self: a module
 * @source: one of its sources
 * @headers: files it includes
 *
 * Adds to what @source is built from, as the build's dependency
 * information would; the headers count with what they hold now.
 */
void
hot_module_add_headers (HotModule         *self,
                        const char        *source,
                        const char *const *headers)
{
  hot_inputs_add_deps (self->inputs, source, headers);
  complete_snapshots (self);
  self->hooks->inputs_changed (self, self->hooks_data);
}

/**
 * hot_module_add_resources:
 * @self: a module
 * @files: files its code reads at run time (templates in a GResource)
 *
 * Adds inputs that need no compiler; they count with what they hold now.
 */
void
hot_module_add_resources (HotModule         *self,
                          const char *const *files)
{
  hot_inputs_add_resources (self->inputs, files);
  complete_snapshots (self);
  self->hooks->inputs_changed (self, self->hooks_data);
}

/**
 * hot_module_files_changed:
 * @self: a module
 * @paths: (element-type utf8): files saved, absolute and canonical
 * @first_event: when the first event of the save came
 *
 * Returns: whether @paths has inputs of the module (then it builds if
 *   their content owes it)
 */
gboolean
hot_module_files_changed (HotModule *self,
                          GPtrArray *paths,
                          gint64     first_event)
{
  gboolean ours = FALSE;

  for (guint i = 0; i < paths->len && !ours; i++)
    ours = hot_inputs_contains (self->inputs, g_ptr_array_index (paths, i));
  if (!ours)
    return FALSE;

  if (self->changed_at == 0)
    self->changed_at = first_event;
  reconsider (self);

  return TRUE;
}

/* Tasks */

static GError *
cancelled_error (HotModule *self)
{
  return g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, _ ("The build of module “%s” was cancelled"),
                      self->info->name);
}

/* Returns a call's result, once: a call whose own cancellable fired has
 * returned already. */
static void
return_task (GTask        *task,
             const GError *error)
{
  GCancellable *cancellable = g_task_get_cancellable (task);
  gulong        handler = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (task), "hot-cancel-handler"));

  if (g_object_get_data (G_OBJECT (task), "hot-returned") != NULL)
    return;
  g_object_set_data (G_OBJECT (task), "hot-returned", GINT_TO_POINTER (TRUE));
  if (handler != 0)
    g_cancellable_disconnect (cancellable, handler);

  if (error != NULL)
    g_task_return_error (task, g_error_copy (error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
complete_tasks (GPtrArray    *tasks,
                const GError *error)
{
  for (guint i = 0; i < tasks->len; i++)
    return_task (g_ptr_array_index (tasks, i), error);
}

/* In an idle after a call's own cancellable fired: it ends now, with
 * G_IO_ERROR_CANCELLED; the build goes on for the others. */
static gboolean
return_cancelled_task (gpointer data)
{
  GTask     *task = data;
  HotModule *self = g_task_get_task_data (task);
  g_autoptr (GError) error = cancelled_error (self);

  g_ptr_array_remove (self->waiting, task);
  g_ptr_array_remove (self->queued, task);
  return_task (task, error);

  return G_SOURCE_REMOVE;
}

static void
task_cancelled (GCancellable *cancellable,
                GTask        *task)
{
  g_idle_add_full (G_PRIORITY_DEFAULT, return_cancelled_task, g_object_ref (task), g_object_unref);
}

/* After a build or a preparation: the calls made meanwhile (@calls, taken)
 * wait for the next build, which starts now if the module is idle and a
 * call or the inputs ask for one. */
static void
go_on (HotModule *self,
       GPtrArray *calls)
{
  g_ptr_array_extend_and_steal (self->waiting, calls);
  if (self->state != STATE_IDLE)
    return;

  if (self->waiting->len > 0)
    start_build (self);
  else
    reconsider (self);
}

/* Ends the running build, well (@error NULL) or not. */
static void
build_ended (HotModule    *self,
             const GError *error,
             GListModel   *diagnostics)
{
  g_autoptr (GHashTable) built = g_steal_pointer (&self->building);
  g_autoptr (GPtrArray) done = g_steal_pointer (&self->waiting);
  g_autoptr (GPtrArray) next = g_steal_pointer (&self->queued);
  gboolean       cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  gboolean       by_request = self->cancel_requested;
  GTimeSpan      duration = g_get_monotonic_time () - self->times.build_started;
  HotGeneration *live = hot_module_get_live (self);

  /* Resources registered for this build stay only if its code went live:
   * a later generation reads what the live one was made with. */
  if (self->resources_pending)
    hot_resources_settle (self->shared->resources, error == NULL);
  self->resources_pending = FALSE;

  self->state = STATE_IDLE;
  self->cancel_requested = FALSE;
  g_clear_object (&self->cancellable);
  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  self->queued = g_ptr_array_new_with_free_func (g_object_unref);

  /* Stopped by a change or a newer call: build again, silently, for the
   * calls that wait and those made since. */
  if (cancelled && !by_request)
    {
      g_ptr_array_extend_and_steal (self->waiting, g_steal_pointer (&done));
      go_on (self, g_steal_pointer (&next));
      if (self->state == STATE_IDLE)
        hot_status_set_building (self->status, FALSE);
      return;
    }

  if (cancelled)
    {
      /* hot_module_cancel (): the calls made since fail too, and the
       * content it was building is not built again by itself. */
      g_ptr_array_extend_and_steal (done, g_steal_pointer (&next));
      next = g_ptr_array_new_with_free_func (g_object_unref);
      g_clear_pointer (&self->attempted, g_hash_table_unref);
      self->attempted = g_hash_table_ref (built);
      hot_status_set_building (self->status, FALSE);
    }
  else
    {
      if (error != NULL)
        {
          g_clear_pointer (&self->attempted, g_hash_table_unref);
          self->attempted = g_hash_table_ref (built);
        }
      if (error == NULL)
        hot_status_set_timings (self->status, hot_timings_to_variant (&self->times));
      hot_status_finish_build (self->status, duration, error, diagnostics, live ? live->number : 0);
    }
  complete_snapshots (self);

  /* Last: handlers may call back into the module. */
  self->hooks->finished (self, error, self->hooks_data);
  complete_tasks (done, error);

  go_on (self, g_steal_pointer (&next));
}

/**
 * hot_module_rebuild_async:
 * @self: a module
 * @cancellable: (nullable): stops waiting for the build (not the build)
 * @callback: called when a build that started after this call has ended
 * @user_data: for @callback
 *
 * Builds and loads the module whether or not its inputs changed. A build
 * under way is stopped and started again, so that the result is what the
 * inputs are now.
 */
void
hot_module_rebuild_async (HotModule          *self,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, hot_module_rebuild_async);
  g_task_set_task_data (task, self, NULL);
  g_task_set_check_cancellable (task, FALSE);
  if (cancellable != NULL)
    g_object_set_data (G_OBJECT (task), "hot-cancel-handler",
                       GSIZE_TO_POINTER (g_cancellable_connect (cancellable, G_CALLBACK (task_cancelled), task,
                                                                NULL)));

  switch (self->state)
    {
    case STATE_IDLE:
      g_ptr_array_add (self->waiting, task);
      start_build (self);
      break;
    case STATE_PREPARING:
    case STATE_BUILDING:
      g_ptr_array_add (self->queued, task);
      g_cancellable_cancel (self->cancellable);
      break;
    case STATE_LOADING:
    case STATE_HELD:
    default:
      g_ptr_array_add (self->queued, task);
      break;
    }
}

gboolean
hot_module_rebuild_finish (GAsyncResult *result,
                           GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * hot_module_cancel:
 * @self: a module
 *
 * Stops the running build (or preparation). The calls that wait for it end
 * with %G_IO_ERROR_CANCELLED; the same content is not built again until
 * the inputs change or a rebuild is asked for. A load cannot be stopped.
 */
void
hot_module_cancel (HotModule *self)
{
  if (self->state == STATE_HELD)
    {
      g_autoptr (GError) error = cancelled_error (self);

      self->cancel_requested = TRUE;
      drop_held (self);
      build_ended (self, error, NULL);
      return;
    }

  if (self->state != STATE_BUILDING && self->state != STATE_PREPARING)
    return;

  self->cancel_requested = TRUE;
  g_cancellable_cancel (self->cancellable);
}

/**
 * hot_module_inhibit:
 * @self: a module
 *
 * Holds the module's reloads: builds and loads go on, but a loaded
 * generation waits (HELD) until as many hot_module_uninhibit () calls.
 */
void
hot_module_inhibit (HotModule *self)
{
  self->inhibit_count++;
  g_clear_handle_id (&self->release_id, g_source_remove);
}

static gboolean
release_held (gpointer user_data)
{
  HotModule *self = user_data;

  self->release_id = 0;
  if (self->state == STATE_HELD && self->inhibit_count == 0)
    swap_held (self);

  return G_SOURCE_REMOVE;
}

/**
 * hot_module_uninhibit:
 * @self: a module
 *
 * Releases one hot_module_inhibit (). At the last one, a held generation
 * is swapped in, from an idle: never inside the caller.
 */
void
hot_module_uninhibit (HotModule *self)
{
  g_return_if_fail (self->inhibit_count > 0);

  if (--self->inhibit_count == 0 && self->state == STATE_HELD && self->release_id == 0)
    self->release_id = g_idle_add (release_held, self);
}

/* Preparing the fast path */

static void
fast_path_prepared (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  HotModule *self = user_data;
  g_autoptr (GTask) task = g_steal_pointer (&self->preparation);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) next = g_steal_pointer (&self->queued);
  gboolean by_request = self->cancel_requested;

  if (!hot_fast_builder_prepare_finish (HOT_FAST_BUILDER (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Could not prepare the fast path of module “%s”: %s", self->info->name, error->message);

  self->state = STATE_IDLE;
  self->cancel_requested = FALSE;
  g_clear_object (&self->cancellable);
  self->queued = g_ptr_array_new_with_free_func (g_object_unref);
  g_task_return_boolean (task, TRUE);

  if (by_request)
    {
      g_autoptr (GError) cancelled = cancelled_error (self);

      complete_tasks (next, cancelled);
    }
  else
    go_on (self, g_steal_pointer (&next));
}

/**
 * hot_module_prepare_async:
 * @self: a module
 * @callback: called when the preparation is over
 * @user_data: for @callback
 *
 * Does, before the first save, what a fast build does once (tools, tcc
 * preludes, the precompiled header). Runs like a build: a change or a
 * call stops it.
 */
void
hot_module_prepare_async (HotModule          *self,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  GTask          *task = g_task_new (NULL, NULL, callback, user_data);
  HotFastBuilder *fast_builder = NULL;

  if (self->state == STATE_IDLE && !self->hooks->has_custom_rebuilder (self, self->hooks_data))
    fast_builder = ensure_fast_builder (self);
  if (fast_builder == NULL)
    {
      g_task_return_boolean (task, FALSE);
      g_object_unref (task);
      return;
    }

  self->state = STATE_PREPARING;
  self->cancellable = g_cancellable_new ();
  self->preparation = task;
  hot_fast_builder_prepare_async (fast_builder, self->cancellable, fast_path_prepared, self);
}

/**
 * hot_module_info_changed:
 * @self: a module that is not busy
 *
 * Its description (hot_module_get_info ()) changed in place: meson
 * regenerated the build, and the module has other sources or compiles them
 * otherwise. A removed source is no longer an input, a new one is, the
 * fast builder starts over with the new commands, and the headers are
 * learnt again. The live code was built from the old sources: the module
 * is built again, so that what the window shows is built from what the
 * build now says (and from a new source saved before the build was read
 * again).
 */
void
hot_module_info_changed (HotModule *self)
{
  g_return_if_fail (self->state == STATE_IDLE);

  hot_inputs_update_sources (self->inputs);
  complete_snapshots (self);
  g_clear_object (&self->fast_builder);
  g_clear_pointer (&self->fast_path_declined, g_free);
  self->hooks->inputs_changed (self, self->hooks_data);
  hot_module_read_deps (self);
  hot_module_rebuild_async (self, NULL, NULL, NULL);
}

/* Building: what builds, and the run */

static HotFastBuilder *
ensure_fast_builder (HotModule *self)
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

/* The fast builder when it can build the module, or NULL; logs why not
 * once per reason in a row ("tcc is not installed" at every save says
 * nothing new). */
static HotFastBuilder *
choose_fast_builder (HotModule *self)
{
  g_autoptr (GError) reason = NULL;
  HotFastBuilder *fast_builder = ensure_fast_builder (self);

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

/* The app's rebuilder or HOT_RELOAD_REBUILDER, as the hooks say. */
static GStrv
rebuild_command (char   **output,
                 GError **error,
                 gpointer user_data)
{
  HotModule *self = user_data;

  return self->hooks->custom_rebuilder (self, output, error, self->hooks_data);
}

/* The rebuilder ended: after ninja, what its objects were compiled from. */
static void
rebuilder_ended (GHashTable *snapshot,
                 gboolean    by_ninja,
                 gboolean    success,
                 gpointer    user_data)
{
  HotModule *self = user_data;

  if (!by_ninja)
    {
      if (success)
        hot_module_read_deps (self); /* a custom command may have run ninja */
      return;
    }

  if (!success)
    {
      hot_object_files_stopped (self->objects, snapshot);
      return;
    }

  hot_object_files_built (self->objects, snapshot);
  /* The build system's objects are current: fast builds start over. */
  if (self->fast_builder != NULL)
    hot_fast_builder_forget (self->fast_builder);
  hot_module_read_deps (self);
}

/* What compiles the build that starts: the hooks' builder; or the fast
 * path when it can build the module, with the rebuilder behind it; or the
 * rebuilder (the app's, or ninja). */
static void
choose_builders (HotModule   *self,
                 HotBuilder **builder,
                 HotBuilder **fallback)
{
  g_autoptr (HotBuilder) rebuilder = NULL;
  HotFastBuilder *fast_builder;
  gboolean        custom;

  if (self->hooks->make_builder != NULL)
    *builder = self->hooks->make_builder (self, self->hooks_data);
  if (*builder != NULL)
    return;

  custom = self->hooks->has_custom_rebuilder (self, self->hooks_data);
  rebuilder = hot_rebuild_builder_new (self->info, self->objects, custom ? rebuild_command : NULL, rebuilder_ended,
                                       self);
  /* A rebuilder of the app's is theirs to make fast. */
  fast_builder = custom ? NULL : choose_fast_builder (self);
  if (fast_builder == NULL)
    {
      *builder = g_steal_pointer (&rebuilder);
      return;
    }

  {
    g_autoptr (GHashTable) reusable = hot_object_files_reusable (self->objects, self->building);

    *builder = hot_fast_path_builder_new (fast_builder, reusable);
    *fallback = g_steal_pointer (&rebuilder);
  }
}

static void run_done (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data);

/* BUILDING → LOADING: the library is written, from what the build started
 * from. */
static void
run_loading (HotBuildRun *run,
             HotModule   *self)
{
  self->times.build_finished = g_get_monotonic_time ();
  self->state = STATE_LOADING;
}

/* IDLE → BUILDING. Files read at run time changed (templates in a
 * GResource): the resources are compiled again from them, whatever builds
 * the code (the fast path links the module's old resource object, and ours
 * are in front of the module's own copies, hot_resources_raise ()). When
 * only they changed, no compiler: the live code is loaded again from its
 * built file, unless a build since (of another instance of the app, say)
 * replaced it. */
static void
start_build (HotModule *self)
{
  g_autoptr (HotBuilder) builder = NULL;
  g_autoptr (HotBuilder) fallback = NULL;
  g_autoptr (HotBuildRun) run = NULL;
  HotGeneration *live = hot_module_get_live (self);
  HotBuildPlan   plan = { 0 };

  g_assert (self->state == STATE_IDLE);

  self->state = STATE_BUILDING;
  self->building = hot_inputs_snapshot (self->inputs);
  self->cancellable = g_cancellable_new ();
  self->resources_pending = FALSE;
  memset (&self->times, 0, sizeof self->times);
  self->times.changed = self->changed_at;
  self->times.debounced = self->changed_at ? g_get_monotonic_time () : 0;
  self->times.build_started = g_get_monotonic_time ();
  self->changed_at = 0;
  hot_status_set_building (self->status, TRUE);

  plan.info = self->info;
  plan.inputs = self->inputs;
  plan.snapshot = self->building;
  plan.loader = self->shared->loader;
  plan.load_timeout_ms = self->shared->load_timeout_ms;
  if (self->shared->resources != NULL && hot_inputs_resources_differ (self->inputs, self->live, self->building))
    {
      const char *built = live != NULL && live->library != NULL ? hot_library_get_built_path (live->library) : NULL;

      plan.resources = self->shared->resources;
      if (hot_inputs_only_resources_differ (self->inputs, self->live, self->building) &&
          (live == NULL || live->library == NULL || built != NULL))
        plan.reload = built != NULL ? built : self->info->output;
    }
  if (plan.reload == NULL)
    {
      choose_builders (self, &builder, &fallback);
      plan.builder = builder;
      plan.fallback = fallback;
    }

  run = hot_build_run_new (&plan);
  g_signal_connect (run, "loading", G_CALLBACK (run_loading), self);
  hot_build_run_async (run, self->cancellable, run_done, self);
}

/* Loading and going live */

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
static void
swap_held (HotModule *self)
{
  g_autoptr (GError) error = NULL;
  HotGeneration *generation = g_steal_pointer (&self->held);

  g_assert (self->state == STATE_HELD);

  self->state = STATE_LOADING;
  hot_status_set_held (self->status, FALSE);
  swap_in (self, generation, &error);
  build_ended (self, error, NULL);
}

/* HELD: the held generation will not go live (a change, a cancel, the
 * module's end). None of its code ran but its loader's. */
static void
drop_held (HotModule *self)
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

/* Patches the statics of a loaded generation (@generation, taken) and has
 * the service swap its widgets in, or holds it (STATE_HELD). One refused
 * before any of its code ran is closed; one whose code failed goes to the
 * quarantine. */
static gboolean
make_live (HotModule     *self,
           HotGeneration *generation,
           GError       **error)
{
  self->times.copied = generation->library->copied_at;
  self->times.opened = generation->library->opened_at;

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

/* The run ended: a generation loaded (made live, held or refused), or the
 * build failed or was stopped. */
static void
run_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  HotModule   *self = user_data;
  HotBuildRun *run = HOT_BUILD_RUN (source);
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) diagnostics = NULL;
  HotGeneration *generation = hot_build_run_finish (run, result, &diagnostics, &error);

  self->resources_pending = hot_build_run_get_resources_pending (run);
  self->times.builder = hot_build_run_get_builder_name (run);
  if (generation != NULL && make_live (self, generation, &error) && self->state == STATE_HELD)
    return;
  build_ended (self, error, diagnostics);
}
