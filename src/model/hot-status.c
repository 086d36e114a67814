/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hot-diagnostic.h"
#include "hot-status-private.h"

/**
 * HotStatus:
 *
 * The state of one hot module: whether it is building, how many rebuilds
 * ended, how long the last took and what went wrong, if anything. One per
 * module, in the list model of [method@Hot.Reload.get_status]; notifications
 * come in the main loop.
 *
 * Since: 0.1
 */

struct _HotStatus
{
  GObject parent_instance;

  char       *module;
  char       *source_dir;
  gboolean    building;
  gboolean    held;
  guint       rebuild_count;
  GTimeSpan   last_duration;
  GError     *error;
  GListModel *diagnostics;
  guint       generation;
  char       *crash_node;
  int         crash_signal;
  char       *crash_backtrace;
  GVariant   *timings;
  GStrv       vanished_nodes;
};

G_DEFINE_FINAL_TYPE (HotStatus, hot_status, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_MODULE,
  PROP_SOURCE_DIR,
  PROP_BUILDING,
  PROP_REBUILD_COUNT,
  PROP_LAST_DURATION,
  PROP_ERROR,
  PROP_DIAGNOSTICS,
  PROP_GENERATION,
  PROP_CRASH_NODE,
  PROP_CRASH_SIGNAL,
  PROP_CRASH_BACKTRACE,
  PROP_TIMINGS,
  PROP_VANISHED_NODES,
  PROP_HELD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
hot_status_finalize (GObject *object)
{
  HotStatus *self = HOT_STATUS (object);

  g_free (self->module);
  g_free (self->source_dir);
  g_clear_error (&self->error);
  g_clear_object (&self->diagnostics);
  g_free (self->crash_node);
  g_free (self->crash_backtrace);
  g_clear_pointer (&self->timings, g_variant_unref);
  g_strfreev (self->vanished_nodes);

  G_OBJECT_CLASS (hot_status_parent_class)->finalize (object);
}

static void
hot_status_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  HotStatus *self = HOT_STATUS (object);

  switch (prop_id)
    {
    case PROP_MODULE:
      g_value_set_string (value, self->module);
      break;
    case PROP_SOURCE_DIR:
      g_value_set_string (value, self->source_dir);
      break;
    case PROP_BUILDING:
      g_value_set_boolean (value, self->building);
      break;
    case PROP_HELD:
      g_value_set_boolean (value, self->held);
      break;
    case PROP_REBUILD_COUNT:
      g_value_set_uint (value, self->rebuild_count);
      break;
    case PROP_LAST_DURATION:
      g_value_set_int64 (value, self->last_duration);
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    case PROP_DIAGNOSTICS:
      g_value_set_object (value, self->diagnostics);
      break;
    case PROP_GENERATION:
      g_value_set_uint (value, self->generation);
      break;
    case PROP_CRASH_NODE:
      g_value_set_string (value, self->crash_node);
      break;
    case PROP_CRASH_SIGNAL:
      g_value_set_int (value, self->crash_signal);
      break;
    case PROP_CRASH_BACKTRACE:
      g_value_set_string (value, self->crash_backtrace);
      break;
    case PROP_TIMINGS:
      g_value_set_variant (value, self->timings);
      break;
    case PROP_VANISHED_NODES:
      g_value_set_boxed (value, self->vanished_nodes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hot_status_class_init (HotStatusClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hot_status_finalize;
  object_class->get_property = hot_status_get_property;

  /**
   * HotStatus:module:
   *
   * The module's name: the name of its meson `shared_module()`.
   *
   * Since: 0.1
   */
  properties[PROP_MODULE] =
      g_param_spec_string ("module", NULL, NULL, NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * HotStatus:source-dir:
   *
   * The folder of the module's first source file.
   *
   * Since: 0.1
   */
  properties[PROP_SOURCE_DIR] =
      g_param_spec_string ("source-dir", NULL, NULL, NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * HotStatus:building:
   *
   * Whether a rebuild of the module is running.
   *
   * Since: 0.1
   */
  properties[PROP_BUILDING] =
      g_param_spec_boolean ("building", NULL, NULL, FALSE,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * HotStatus:held:
   *
   * Whether a new generation of the module is built and loaded but waits
   * to be swapped in, because the app holds the module's reloads
   * (hot_reload_inhibit()).
   *
   * Since: 0.1
   */
  properties[PROP_HELD] =
      g_param_spec_boolean ("held", NULL, NULL, FALSE,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * HotStatus:rebuild-count:
   *
   * How many rebuilds ended, well or not (cancelled ones excepted).
   *
   * Since: 0.1
   */
  properties[PROP_REBUILD_COUNT] =
      g_param_spec_uint ("rebuild-count", NULL, NULL, 0, G_MAXUINT, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * HotStatus:last-duration:
   *
   * How long the last rebuild and load took, in microseconds.
   *
   * Since: 0.1
   */
  properties[PROP_LAST_DURATION] =
      g_param_spec_int64 ("last-duration", NULL, NULL, 0, G_MAXINT64, 0,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * HotStatus:error:
   *
   * What went wrong in the last rebuild or load, or %NULL after a good one.
   *
   * Since: 0.1
   */
  properties[PROP_ERROR] =
      g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * HotStatus:diagnostics:
   *
   * The compiler's diagnostics from the last rebuild, a list model of
   * [class@Hot.Diagnostic]; empty after a good build.
   *
   * Since: 0.1
   */
  properties[PROP_DIAGNOSTICS] =
      g_param_spec_object ("diagnostics", NULL, NULL, G_TYPE_LIST_MODEL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * HotStatus:generation:
   *
   * The number of the module's live generation; 0 while the executable's
   * own code is live.
   *
   * Since: 0.1
   */
  properties[PROP_GENERATION] =
      g_param_spec_uint ("generation", NULL, NULL, 0, G_MAXUINT, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * HotStatus:crash-node:
   *
   * The hot node whose new code crashed (or never returned) in the last
   * reload, or %NULL. The reload was rolled back.
   *
   * Since: 0.1
   */
  properties[PROP_CRASH_NODE] =
      g_param_spec_string ("crash-node", NULL, NULL, NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * HotStatus:crash-signal:
   *
   * The signal of that crash (`SIGSEGV`, …; `SIGALRM` when the constructor
   * ran past its deadline), or 0.
   *
   * Since: 0.1
   */
  properties[PROP_CRASH_SIGNAL] =
      g_param_spec_int ("crash-signal", NULL, NULL, 0, G_MAXINT, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * HotStatus:crash-backtrace:
   *
   * Where it crashed, one frame a line, innermost first, or %NULL.
   *
   * Since: 0.1
   */
  properties[PROP_CRASH_BACKTRACE] =
      g_param_spec_string ("crash-backtrace", NULL, NULL, NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * HotStatus:timings:
   *
   * Where the time of the last good reload went, or %NULL before one: a
   * `a{sv}` dictionary of the moments each stage ended, as
   * g_get_monotonic_time() values (`x`, microseconds): "changed" (the first
   * file event), "debounced", "build-started", "build-finished", "copied",
   * "opened" (`dlopen`), "patched" (statics), "rebuilt" (proxies) and
   * "painted" (the next frame of a window showing the module, notified
   * again when it comes), and "builder" (`s`): "tcc", "gcc-pch" (the fast
   * paths), "ninja" or "custom". A reload asked for with
   * [method@Hot.Reload.rebuild] has no "changed" nor "debounced".
   *
   * Since: 0.1
   */
  properties[PROP_TIMINGS] =
      g_param_spec_variant ("timings", NULL, NULL, G_VARIANT_TYPE_VARDICT, NULL,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * HotStatus:vanished-nodes:
   *
   * The hot nodes that live proxies show but the module's live generation
   * no longer has (renamed or removed in the source): their proxies keep
   * the widget an earlier generation built. %NULL when there are none.
   *
   * Since: 0.1
   */
  properties[PROP_VANISHED_NODES] =
      g_param_spec_boxed ("vanished-nodes", NULL, NULL, G_TYPE_STRV,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
hot_status_init (HotStatus *self)
{
  self->diagnostics = G_LIST_MODEL (g_list_store_new (HOT_TYPE_DIAGNOSTIC));
}

HotStatus *
hot_status_new (const char *module,
                const char *source_dir)
{
  HotStatus *self = g_object_new (HOT_TYPE_STATUS, NULL);

  self->module = g_strdup (module);
  self->source_dir = g_strdup (source_dir);

  return self;
}

void
hot_status_set_building (HotStatus *self,
                         gboolean   building)
{
  g_assert (HOT_IS_STATUS (self));

  building = !!building;
  if (self->building == building)
    return;

  self->building = building;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUILDING]);
}

void
hot_status_set_held (HotStatus *self,
                     gboolean   held)
{
  g_assert (HOT_IS_STATUS (self));

  held = !!held;
  if (self->held == held)
    return;

  self->held = held;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HELD]);
}

/* The error, the diagnostics and, when @error is NULL, the crash of the
 * last result. */
static void
set_result (HotStatus    *self,
            const GError *error,
            GListModel   *diagnostics)
{
  if (self->error != NULL || error != NULL)
    {
      g_clear_error (&self->error);
      self->error = error ? g_error_copy (error) : NULL;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }

  if (diagnostics != NULL || g_list_model_get_n_items (self->diagnostics) > 0)
    {
      g_clear_object (&self->diagnostics);
      self->diagnostics = diagnostics ? g_object_ref (diagnostics)
                                      : G_LIST_MODEL (g_list_store_new (HOT_TYPE_DIAGNOSTIC));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DIAGNOSTICS]);
    }

  if (error == NULL)
    hot_status_set_crash (self, NULL, 0, NULL);
}

/* Records the end of a rebuild; @error is NULL after a good one, and
 * @diagnostics NULL when the compiler said nothing. */
void
hot_status_finish_build (HotStatus    *self,
                         GTimeSpan     duration,
                         const GError *error,
                         GListModel   *diagnostics,
                         guint         generation)
{
  g_assert (HOT_IS_STATUS (self));

  g_object_freeze_notify (G_OBJECT (self));

  self->rebuild_count++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REBUILD_COUNT]);

  self->last_duration = duration;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_DURATION]);

  set_result (self, error, diagnostics);

  if (self->generation != generation)
    {
      self->generation = generation;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GENERATION]);
    }

  hot_status_set_building (self, FALSE);

  g_object_thaw_notify (G_OBJECT (self));
}

/* The module's files hold again what its live generation was built from:
 * the failure of other content they held meanwhile no longer applies. The
 * rebuild count stays (nothing was built). */
void
hot_status_clear_failure (HotStatus *self)
{
  g_assert (HOT_IS_STATUS (self));

  g_object_freeze_notify (G_OBJECT (self));
  set_result (self, NULL, NULL);
  g_object_thaw_notify (G_OBJECT (self));
}

/* Records the crash of @node's new code; @node NULL clears it. */
void
hot_status_set_crash (HotStatus  *self,
                      const char *node,
                      int         signum,
                      const char *backtrace)
{
  g_assert (HOT_IS_STATUS (self));

  if (node == NULL && self->crash_node == NULL)
    return;

  g_object_freeze_notify (G_OBJECT (self));
  g_free (self->crash_node);
  self->crash_node = g_strdup (node);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CRASH_NODE]);
  self->crash_signal = node ? signum : 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CRASH_SIGNAL]);
  g_free (self->crash_backtrace);
  self->crash_backtrace = node ? g_strdup (backtrace) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CRASH_BACKTRACE]);
  g_object_thaw_notify (G_OBJECT (self));
}

/**
 * hot_status_get_crash_node:
 * @self: a status
 *
 * Gets the node whose new code crashed in the last reload.
 *
 * Returns: (nullable): the node whose new code crashed in the last reload
 *
 * Since: 0.1
 */
const char *
hot_status_get_crash_node (HotStatus *self)
{
  g_return_val_if_fail (HOT_IS_STATUS (self), NULL);

  return self->crash_node;
}

/**
 * hot_status_get_crash_signal:
 * @self: a status
 *
 * Gets the signal of that crash, or 0.
 *
 * Returns: the signal of that crash, or 0
 *
 * Since: 0.1
 */
int
hot_status_get_crash_signal (HotStatus *self)
{
  g_return_val_if_fail (HOT_IS_STATUS (self), 0);

  return self->crash_signal;
}

/**
 * hot_status_get_crash_backtrace:
 * @self: a status
 *
 * Gets where it crashed, one frame a line.
 *
 * Returns: (nullable): where it crashed, one frame a line
 *
 * Since: 0.1
 */
const char *
hot_status_get_crash_backtrace (HotStatus *self)
{
  g_return_val_if_fail (HOT_IS_STATUS (self), NULL);

  return self->crash_backtrace;
}

/**
 * hot_status_get_module:
 * @self: a status
 *
 * Gets the module's name.
 *
 * Returns: the module's name
 *
 * Since: 0.1
 */
const char *
hot_status_get_module (HotStatus *self)
{
  g_return_val_if_fail (HOT_IS_STATUS (self), NULL);

  return self->module;
}

/**
 * hot_status_get_source_dir:
 * @self: a status
 *
 * Gets the folder of the module's first source file.
 *
 * Returns: the folder of the module's first source file
 *
 * Since: 0.1
 */
const char *
hot_status_get_source_dir (HotStatus *self)
{
  g_return_val_if_fail (HOT_IS_STATUS (self), NULL);

  return self->source_dir;
}

/**
 * hot_status_get_building:
 * @self: a status
 *
 * Gets whether a rebuild is running.
 *
 * Returns: whether a rebuild is running
 *
 * Since: 0.1
 */
gboolean
hot_status_get_building (HotStatus *self)
{
  g_return_val_if_fail (HOT_IS_STATUS (self), FALSE);

  return self->building;
}

/**
 * hot_status_get_held:
 * @self: a status
 *
 * Gets [property@Hot.Status:held].
 *
 * Returns: whether a new generation waits for the app to release the
 *   module's reloads (#HotStatus:held)
 *
 * Since: 0.1
 */
gboolean
hot_status_get_held (HotStatus *self)
{
  g_return_val_if_fail (HOT_IS_STATUS (self), FALSE);

  return self->held;
}

/**
 * hot_status_get_rebuild_count:
 * @self: a status
 *
 * Gets how many rebuilds ended.
 *
 * Returns: how many rebuilds ended
 *
 * Since: 0.1
 */
guint
hot_status_get_rebuild_count (HotStatus *self)
{
  g_return_val_if_fail (HOT_IS_STATUS (self), 0);

  return self->rebuild_count;
}

/**
 * hot_status_get_last_duration:
 * @self: a status
 *
 * Gets how long the last rebuild and load took, in microseconds.
 *
 * Returns: how long the last rebuild and load took, in microseconds
 *
 * Since: 0.1
 */
GTimeSpan
hot_status_get_last_duration (HotStatus *self)
{
  g_return_val_if_fail (HOT_IS_STATUS (self), 0);

  return self->last_duration;
}

/**
 * hot_status_get_error:
 * @self: a status
 *
 * Gets what went wrong in the last rebuild, or %NULL.
 *
 * Returns: (nullable): what went wrong in the last rebuild, or %NULL
 *
 * Since: 0.1
 */
const GError *
hot_status_get_error (HotStatus *self)
{
  g_return_val_if_fail (HOT_IS_STATUS (self), NULL);

  return self->error;
}

/**
 * hot_status_get_diagnostics:
 * @self: a status
 *
 * Gets the last rebuild's diagnostics, a list model of
 * [class@Hot.Diagnostic].
 *
 * Returns: (transfer none): the last rebuild's diagnostics, a list model of
 *   [class@Hot.Diagnostic]
 *
 * Since: 0.1
 */
GListModel *
hot_status_get_diagnostics (HotStatus *self)
{
  g_return_val_if_fail (HOT_IS_STATUS (self), NULL);

  return self->diagnostics;
}

/**
 * hot_status_get_generation:
 * @self: a status
 *
 * Gets the live generation; 0 while the executable's code is live.
 *
 * Returns: the live generation; 0 while the executable's code is live
 *
 * Since: 0.1
 */
guint
hot_status_get_generation (HotStatus *self)
{
  g_return_val_if_fail (HOT_IS_STATUS (self), 0);

  return self->generation;
}

/**
 * hot_status_get_timings:
 * @self: a status
 *
 * Gets the stages of the last good reload ([property@Hot.Status:timings]), or
 * %NULL.
 *
 * Returns: (transfer none) (nullable): the stages of the last good reload
 *   ([property@Hot.Status:timings]), or %NULL
 *
 * Since: 0.1
 */
GVariant *
hot_status_get_timings (HotStatus *self)
{
  g_return_val_if_fail (HOT_IS_STATUS (self), NULL);

  return self->timings;
}

void
hot_status_set_timings (HotStatus *self,
                        GVariant  *timings)
{
  g_assert (HOT_IS_STATUS (self));

  g_clear_pointer (&self->timings, g_variant_unref);
  self->timings = g_variant_ref_sink (timings);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMINGS]);
}

/**
 * hot_status_get_vanished_nodes:
 * @self: a status
 *
 * Gets the nodes of live proxies that the module no longer has
 * ([property@Hot.Status:vanished-nodes]).
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): the nodes
 * of live proxies that the module no longer has
 * ([property@Hot.Status:vanished-nodes])
 *
 * Since: 0.1
 */
const char *const *
hot_status_get_vanished_nodes (HotStatus *self)
{
  g_return_val_if_fail (HOT_IS_STATUS (self), NULL);

  return (const char *const *) self->vanished_nodes;
}

void
hot_status_set_vanished_nodes (HotStatus         *self,
                               const char *const *nodes)
{
  g_assert (HOT_IS_STATUS (self));

  if (nodes != NULL && nodes[0] == NULL)
    nodes = NULL;
  if ((nodes == NULL && self->vanished_nodes == NULL) ||
      (nodes != NULL && self->vanished_nodes != NULL &&
       g_strv_equal (nodes, (const char *const *) self->vanished_nodes)))
    return;

  g_strfreev (self->vanished_nodes);
  self->vanished_nodes = g_strdupv ((char **) nodes);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VANISHED_NODES]);
}
