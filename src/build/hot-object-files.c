/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <utime.h>

#include "hot-object-files-private.h"

/*
 * The build system's objects of a module, and what they were compiled
 * from: the snapshot of the last build the build system finished, less the
 * sources whose object a build that was stopped or failed may have
 * rewritten since (`uncertain`). A fast build links an object of the build
 * system's only when it holds what is wanted; before the build system
 * runs, every other object is dated back so that it is compiled again,
 * whatever modification times say.
 */

struct _HotObjectFiles
{
  const HotModuleInfo *info;
  HotInputs           *inputs;
  GHashTable          *snapshot;
  GHashTable          *uncertain; /* set of sources */
};

/**
 * hot_object_files_new:
 * @info: the module; must outlive the result
 * @inputs: its inputs; must outlive the result
 * @snapshot: what the objects were compiled from
 *
 * Returns: (transfer full): the module's objects
 */
HotObjectFiles *
hot_object_files_new (const HotModuleInfo *info,
                      HotInputs           *inputs,
                      GHashTable          *snapshot)
{
  HotObjectFiles *self = g_new0 (HotObjectFiles, 1);

  self->info = info;
  self->inputs = inputs;
  self->snapshot = g_hash_table_ref (snapshot);
  self->uncertain = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  return self;
}

void
hot_object_files_free (HotObjectFiles *self)
{
  g_hash_table_unref (self->snapshot);
  g_hash_table_unref (self->uncertain);
  g_free (self);
}

/* Headers learnt of since count with what they hold now. */
void
hot_object_files_complete (HotObjectFiles *self)
{
  hot_inputs_complete (self->inputs, self->snapshot);
}

static gboolean
holds (HotObjectFiles *self,
       GHashTable     *wanted,
       const char     *source)
{
  g_autofree char *built = NULL;
  g_autofree char *asked = NULL;

  if (g_hash_table_contains (self->uncertain, source))
    return FALSE;

  built = hot_inputs_fingerprint (self->inputs, self->snapshot, source);
  asked = hot_inputs_fingerprint (self->inputs, wanted, source);

  return g_str_equal (built, asked);
}

/**
 * hot_object_files_reusable:
 * @self: the objects
 * @wanted: what a build builds
 *
 * Returns: (transfer container): the set of sources whose object holds what
 *   @wanted has
 */
GHashTable *
hot_object_files_reusable (HotObjectFiles *self,
                           GHashTable     *wanted)
{
  GHashTable    *reusable = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer       source;

  g_hash_table_iter_init (&iter, self->info->commands);
  while (g_hash_table_iter_next (&iter, &source, NULL))
    if (holds (self, wanted, source))
      g_hash_table_add (reusable, source);

  return reusable;
}

/**
 * hot_object_files_date_back_stale:
 * @self: the objects
 * @wanted: what the build system is about to build
 *
 * ninja decides by modification times, and a file saved while the compiler
 * ran can be older than the object built from its previous content: every
 * object that does not hold what @wanted has is dated back to 1970, so that
 * ninja compiles it again.
 */
void
hot_object_files_date_back_stale (HotObjectFiles *self,
                                  GHashTable     *wanted)
{
  struct utimbuf     epoch = { 0, 0 };
  GHashTableIter     iter;
  gpointer           source;
  HotCompileCommand *command;

  g_hash_table_iter_init (&iter, self->info->commands);
  while (g_hash_table_iter_next (&iter, &source, (gpointer *) &command))
    if (!holds (self, wanted, source))
      g_utime (command->object, &epoch);
}

/**
 * hot_object_files_built:
 * @self: the objects
 * @snapshot: what the build system finished building
 */
void
hot_object_files_built (HotObjectFiles *self,
                        GHashTable     *snapshot)
{
  g_hash_table_unref (self->snapshot);
  self->snapshot = g_hash_table_ref (snapshot);
  g_hash_table_remove_all (self->uncertain);
}

/**
 * hot_object_files_stopped:
 * @self: the objects
 * @snapshot: what the build system was building when it stopped or failed
 *
 * Any object it was to compile may have been written: they are no longer
 * known.
 */
void
hot_object_files_stopped (HotObjectFiles *self,
                          GHashTable     *snapshot)
{
  GHashTableIter iter;
  gpointer       source;

  g_hash_table_iter_init (&iter, self->info->commands);
  while (g_hash_table_iter_next (&iter, &source, NULL))
    if (!holds (self, snapshot, source))
      g_hash_table_add (self->uncertain, g_strdup (source));
}
