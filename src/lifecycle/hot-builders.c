/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hot-builders-private.h"

/*
 * The builders a module has unless its hooks give one, as HotBuilders:
 * the fast path (HotFastBuilder, with the build system's objects it may
 * link as they are), and the rebuilder, which runs the app's command or
 * ninja (hot-rebuilder.c). What ninja leaves in the build folder is the
 * module's to note: the rebuilder says when it ended.
 */

/* The fast path */

struct _HotFastPathBuilder
{
  GObject         parent_instance;
  HotFastBuilder *fast_builder;
  GHashTable     *reusable;
};

static void hot_fast_path_builder_iface_init (HotBuilderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HotFastPathBuilder, hot_fast_path_builder, G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (HOT_TYPE_BUILDER, hot_fast_path_builder_iface_init))

static void
hot_fast_path_builder_finalize (GObject *object)
{
  HotFastPathBuilder *self = HOT_FAST_PATH_BUILDER (object);

  g_clear_object (&self->fast_builder);
  g_clear_pointer (&self->reusable, g_hash_table_unref);

  G_OBJECT_CLASS (hot_fast_path_builder_parent_class)->finalize (object);
}

static void
hot_fast_path_builder_class_init (HotFastPathBuilderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hot_fast_path_builder_finalize;
}

static void
hot_fast_path_builder_init (HotFastPathBuilder *self)
{
}

static void
fast_build_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  char   *output = hot_fast_builder_build_finish (HOT_FAST_BUILDER (source), result, &error);

  if (output == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, output, g_free);
}

static void
hot_fast_path_builder_build_async (HotBuilder         *builder,
                                   GHashTable         *snapshot,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  HotFastPathBuilder *self = HOT_FAST_PATH_BUILDER (builder);
  GTask              *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, hot_fast_path_builder_build_async);
  hot_fast_builder_build_async (self->fast_builder, snapshot, self->reusable, cancellable, fast_build_done, task);
}

static char *
hot_fast_path_builder_build_finish (HotBuilder    *builder,
                                    GAsyncResult  *result,
                                    GListModel   **diagnostics,
                                    HotBuildLock **lock,
                                    GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static const char *
hot_fast_path_builder_get_name (HotBuilder *builder)
{
  HotFastPathBuilder *self = HOT_FAST_PATH_BUILDER (builder);

  return hot_fast_builder_get_mode (self->fast_builder) == HOT_FAST_PATH_TCC ? "tcc" : "gcc-pch";
}

static void
hot_fast_path_builder_iface_init (HotBuilderInterface *iface)
{
  iface->build_async = hot_fast_path_builder_build_async;
  iface->build_finish = hot_fast_path_builder_build_finish;
  iface->get_name = hot_fast_path_builder_get_name;
}

/**
 * hot_fast_path_builder_new:
 * @fast_builder: a fast builder that can build its module
 * @reusable: the build system's objects it may link as they are
 *
 * Returns: (transfer full): a builder on the fast path
 */
HotBuilder *
hot_fast_path_builder_new (HotFastBuilder *fast_builder,
                           GHashTable     *reusable)
{
  HotFastPathBuilder *self = g_object_new (HOT_TYPE_FAST_PATH_BUILDER, NULL);

  self->fast_builder = g_object_ref (fast_builder);
  self->reusable = g_hash_table_ref (reusable);

  return HOT_BUILDER (self);
}

/* The app's command, or ninja */

struct _HotRebuildBuilder
{
  GObject               parent_instance;
  const HotModuleInfo  *info;
  HotObjectFiles       *objects;
  HotRebuildCommandFunc command;
  HotRebuildEndedFunc   ended;
  gpointer              user_data;
  const char           *name;
};

typedef struct
{
  HotRebuildBuilder *self;
  GHashTable        *snapshot;
  gboolean           by_ninja;
  GListModel        *diagnostics;
  HotBuildLock      *lock;
} RebuildData;

static void
rebuild_data_free (RebuildData *data)
{
  g_clear_pointer (&data->snapshot, g_hash_table_unref);
  g_clear_object (&data->diagnostics);
  g_clear_pointer (&data->lock, hot_build_lock_unref);
  g_free (data);
}

static void hot_rebuild_builder_iface_init (HotBuilderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HotRebuildBuilder, hot_rebuild_builder, G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (HOT_TYPE_BUILDER, hot_rebuild_builder_iface_init))

static void
hot_rebuild_builder_class_init (HotRebuildBuilderClass *klass)
{
}

static void
hot_rebuild_builder_init (HotRebuildBuilder *self)
{
  self->name = "ninja";
}

static void
rebuilder_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  RebuildData *data = g_task_get_task_data (task);
  GError      *error = NULL;
  char        *output = hot_rebuilder_run_finish (result, &data->diagnostics, &data->lock, &error);

  data->self->ended (data->snapshot, data->by_ninja, output != NULL, data->self->user_data);
  if (output == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, output, g_free);
}

static void
hot_rebuild_builder_build_async (HotBuilder         *builder,
                                 GHashTable         *snapshot,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  HotRebuildBuilder *self = HOT_REBUILD_BUILDER (builder);
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr (GError) error = NULL;
  g_autofree char *output = NULL;
  g_auto (GStrv) argv = NULL;
  RebuildData *data = g_new0 (RebuildData, 1);

  g_task_set_source_tag (task, hot_rebuild_builder_build_async);
  data->self = self;
  data->snapshot = g_hash_table_ref (snapshot);
  g_task_set_task_data (task, data, (GDestroyNotify) rebuild_data_free);

  if (self->command != NULL)
    argv = self->command (&output, &error, self->user_data);
  if (argv == NULL && error == NULL)
    {
      argv = hot_rebuilder_ninja_argv (self->info, &error);
      g_free (output);
      output = g_strdup (self->info->output);
      data->by_ninja = TRUE;
      self->name = "ninja";
      hot_object_files_date_back_stale (self->objects, snapshot);
    }
  else
    self->name = "custom";

  if (argv == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_debug ("Rebuilding module “%s”: %s", self->info->name, argv[0]);
  hot_rebuilder_run_async (self->info, (const char *const *) argv, output, cancellable, rebuilder_done,
                           g_steal_pointer (&task));
}

static char *
hot_rebuild_builder_build_finish (HotBuilder    *builder,
                                  GAsyncResult  *result,
                                  GListModel   **diagnostics,
                                  HotBuildLock **lock,
                                  GError       **error)
{
  RebuildData *data = g_task_get_task_data (G_TASK (result));

  *diagnostics = g_steal_pointer (&data->diagnostics);
  *lock = g_steal_pointer (&data->lock);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static const char *
hot_rebuild_builder_get_name (HotBuilder *builder)
{
  return HOT_REBUILD_BUILDER (builder)->name;
}

static void
hot_rebuild_builder_iface_init (HotBuilderInterface *iface)
{
  iface->build_async = hot_rebuild_builder_build_async;
  iface->build_finish = hot_rebuild_builder_build_finish;
  iface->get_name = hot_rebuild_builder_get_name;
}

/**
 * hot_rebuild_builder_new:
 * @info: the module; must outlive the builder
 * @objects: what the build system's objects were compiled from; must
 *   outlive the builder
 * @command: (nullable): the app's rebuild command, asked for at each build
 * @ended: called when the command or ninja ended, before the build returns
 * @user_data: for @command and @ended
 *
 * Returns: (transfer full): a builder that runs the app's command, or ninja
 */
HotBuilder *
hot_rebuild_builder_new (const HotModuleInfo  *info,
                         HotObjectFiles       *objects,
                         HotRebuildCommandFunc command,
                         HotRebuildEndedFunc   ended,
                         gpointer              user_data)
{
  HotRebuildBuilder *self = g_object_new (HOT_TYPE_REBUILD_BUILDER, NULL);

  self->info = info;
  self->objects = objects;
  self->command = command;
  self->ended = ended;
  self->user_data = user_data;

  return HOT_BUILDER (self);
}
