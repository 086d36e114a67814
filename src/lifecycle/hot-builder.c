/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hot-builder-private.h"

/*
 * HotBuilder: the seam between a module's lifecycle and what compiles it.
 * A build turns the inputs as they were in a snapshot into a library file;
 * HotBuildRun loads it. Builders know nothing of the module's states.
 */

G_DEFINE_INTERFACE (HotBuilder, hot_builder, G_TYPE_OBJECT)

static void
hot_builder_default_init (HotBuilderInterface *iface)
{
}

/**
 * hot_builder_build_async:
 * @self: a builder
 * @snapshot: the inputs (file → digest) the build is made from
 * @cancellable: (nullable): stops the build
 * @callback: called when the library is written, or the build failed
 * @user_data: for @callback
 *
 * Builds the module's library from its inputs as they are.
 */
void
hot_builder_build_async (HotBuilder         *self,
                         GHashTable         *snapshot,
                         GCancellable       *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer            user_data)
{
  g_return_if_fail (HOT_IS_BUILDER (self));

  HOT_BUILDER_GET_IFACE (self)->build_async (self, snapshot, cancellable, callback, user_data);
}

/**
 * hot_builder_build_finish:
 * @self: a builder
 * @result: the result given to the callback
 * @diagnostics: (out) (optional) (transfer full): what the compiler said,
 *   or %NULL
 * @lock: (out) (optional) (transfer full): a lock that keeps other builds
 *   from writing the library until it is copied, or %NULL
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the library the build wrote, or %NULL
 */
char *
hot_builder_build_finish (HotBuilder    *self,
                          GAsyncResult  *result,
                          GListModel   **diagnostics,
                          HotBuildLock **lock,
                          GError       **error)
{
  g_autoptr (GListModel) own_diagnostics = NULL;
  g_autoptr (HotBuildLock) own_lock = NULL;
  char *output;

  g_return_val_if_fail (HOT_IS_BUILDER (self), NULL);

  output = HOT_BUILDER_GET_IFACE (self)->build_finish (self, result, &own_diagnostics, &own_lock, error);
  if (diagnostics != NULL)
    *diagnostics = g_steal_pointer (&own_diagnostics);
  if (lock != NULL)
    *lock = g_steal_pointer (&own_lock);

  return output;
}

/**
 * hot_builder_get_name:
 * @self: a builder
 *
 * Returns: what builds, for the timings ("tcc", "ninja"…); once a build
 *   started, what that build runs
 */
const char *
hot_builder_get_name (HotBuilder *self)
{
  g_return_val_if_fail (HOT_IS_BUILDER (self), NULL);

  return HOT_BUILDER_GET_IFACE (self)->get_name (self);
}
