/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hot-generation-private.h"

/*
 * A generation is one loaded copy of a module. Its states:
 *
 *   loaded → live (its module's newest) → superseded (a newer one is live)
 *          ↘ quarantined (its code crashed while building children: never
 *            used again, never closed)
 *   superseded → unloaded (only when unloading is on, nothing it built is
 *            alive and it registered no GType: hot-module.c decides)
 *
 * What a generation's code built and is alive holds it: every object its
 * constructors returned is tracked with a weak reference.
 */

/**
 * hot_generation_new:
 * @library: (transfer full): a loaded library
 * @error: return location for a #GError
 *
 * Indexes the tables of @library. On failure @library is closed: none of
 * its code ran.
 *
 * Returns: (transfer full): the generation, or %NULL
 */
HotGeneration *
hot_generation_new (HotLibrary *library,
                    GError    **error)
{
  g_autoptr (HotLibrary) owned = library;
  g_autoptr (HotTable) table = hot_table_new ();
  HotGeneration *self;

  if (!hot_table_add_image (table, library->image, error))
    return NULL;

  self = g_new0 (HotGeneration, 1);
  self->library = g_steal_pointer (&owned);
  self->table = g_steal_pointer (&table);
  self->number = library->generation;

  return self;
}

/* The library stays loaded on purpose (see hot_generation_unload ()). */
void
hot_generation_free (HotGeneration *self)
{
  g_clear_handle_id (&self->idle_id, g_source_remove);
  g_clear_pointer (&self->library, hot_library_leave_loaded);
  g_clear_pointer (&self->table, hot_table_free);
  g_clear_pointer (&self->snapshot, g_hash_table_unref);
  g_free (self);
}

static gboolean
nothing_alive (gpointer data)
{
  HotGeneration *self = data;

  self->idle_id = 0;
  if (self->live_objects == 0 && self->idle_func != NULL)
    self->idle_func (self, self->idle_data);

  return G_SOURCE_REMOVE;
}

/* Told from an idle: the finalizer that dropped the last object may be
 * running the generation's own code. */
static void
tracked_object_finalized (gpointer data,
                          GObject *where_the_object_was)
{
  HotGeneration *self = data;

  if (--self->live_objects == 0 && self->idle_func != NULL && self->idle_id == 0)
    self->idle_id = g_idle_add (nothing_alive, self);
}

/**
 * hot_generation_track:
 * @self: a generation
 * @object: an object its code built
 *
 * Counts @object as alive until it is finalized.
 */
void
hot_generation_track (HotGeneration *self,
                      GObject       *object)
{
  self->live_objects++;
  g_object_weak_ref (object, tracked_object_finalized, self);
}

/**
 * hot_generation_unload:
 * @self: a superseded generation
 *
 * Closes the library if nothing it built is alive and it registered no
 * GType (GType cannot forget a type).
 *
 * Returns: whether it was closed
 */
gboolean
hot_generation_unload (HotGeneration *self)
{
  if (self->library == NULL || self->live_objects > 0 || hot_image_get_type_count (self->library->image) > 0)
    return FALSE;

  hot_image_forget (self->library->image);
  g_clear_pointer (&self->library, hot_library_free);

  return TRUE;
}
