/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "hot-watcher-private.h"

#include "hot-watcher-inotify-private.h"

/*
 * HotWatcher: watches folders recursively, folders created later included,
 * and emits "changed" with the changed paths once the events have been
 * quiet for a while, so one save emits once whatever the editor does. The
 * while is short (settle_ms) after an event that ends a save, a file closed
 * after writing or renamed into place, and longer (debounce_ms) after one
 * that may be followed by more writes.
 *
 * States: idle (no timeout) → pending (a timeout armed by the first event;
 * each further event moves it) → idle again when it fires. inotify wakes the
 * process only on events: nothing polls.
 *
 * The events: on Linux, read from inotify by hot-watcher-inotify.c, on the
 * main context as they come; elsewhere, or for a folder inotify refuses
 * (no watch left), from a GFileMonitor.
 */

struct _HotWatcher
{
  GObject parent_instance;

  guint       debounce_ms;
  guint       settle_ms;
  HotInotify *inotify;     /* NULL without inotify */
  GHashTable *monitors;    /* watched folder → its GFileMonitor, or NULL (inotify's) */
  GPtrArray  *ignored;     /* paths whose events are dropped */
  GHashTable *pending;     /* changed paths since the last emission */
  gint64      first_event; /* of the pending ones, g_get_monotonic_time () */
  gboolean    recursive;   /* folders created in watched ones are watched */
  guint       timeout_id;
};

G_DEFINE_FINAL_TYPE (HotWatcher, hot_watcher, G_TYPE_OBJECT)

enum
{
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void inotify_event (const char   *path,
                           HotWatchEvent event,
                           gboolean      is_dir,
                           gpointer      user_data);

static void
monitor_free (gpointer monitor)
{
  if (monitor != NULL)
    g_object_unref (monitor);
}

static void
hot_watcher_dispose (GObject *object)
{
  HotWatcher *self = HOT_WATCHER (object);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->monitors != NULL)
    {
      GHashTableIter iter;
      gpointer       monitor;

      g_hash_table_iter_init (&iter, self->monitors);
      while (g_hash_table_iter_next (&iter, NULL, &monitor))
        if (monitor != NULL)
          g_signal_handlers_disconnect_by_data (monitor, self);
    }
  g_clear_pointer (&self->monitors, g_hash_table_unref);
  g_clear_pointer (&self->inotify, hot_inotify_free);

  G_OBJECT_CLASS (hot_watcher_parent_class)->dispose (object);
}

static void
hot_watcher_finalize (GObject *object)
{
  HotWatcher *self = HOT_WATCHER (object);

  g_clear_pointer (&self->ignored, g_ptr_array_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);

  G_OBJECT_CLASS (hot_watcher_parent_class)->finalize (object);
}

static void
hot_watcher_class_init (HotWatcherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hot_watcher_dispose;
  object_class->finalize = hot_watcher_finalize;

  /* HotWatcher::changed: (paths: GStrv) the files that changed,
   * (first_event: gint64) when the first of their events came */
  signals[CHANGED] =
      g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRV, G_TYPE_INT64);
}

static void
hot_watcher_init (HotWatcher *self)
{
  self->monitors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, monitor_free);
  self->ignored = g_ptr_array_new_with_free_func (g_free);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

HotWatcher *
hot_watcher_new (guint debounce_ms,
                 guint settle_ms)
{
  HotWatcher *self = g_object_new (HOT_TYPE_WATCHER, NULL);

  self->debounce_ms = debounce_ms;
  self->settle_ms = settle_ms;
  self->inotify = hot_inotify_new (inotify_event, self);

  return self;
}

static gboolean
is_ignored (HotWatcher *self,
            GFile      *file)
{
  g_autofree char *basename = g_file_get_basename (file);
  g_autofree char *path = g_file_get_path (file);
  gsize            len;

  if (basename == NULL || path == NULL)
    return TRUE;

  /* Hidden files, and the temporary files of vim, emacs and gedit. */
  len = strlen (basename);
  if (basename[0] == '.' || basename[0] == '#' || basename[len - 1] == '~' ||
      g_str_equal (basename, "4913") || g_str_has_suffix (basename, ".swp") ||
      g_str_has_suffix (basename, ".swx"))
    return TRUE;

  for (guint i = 0; i < self->ignored->len; i++)
    {
      const char *ignored = g_ptr_array_index (self->ignored, i);
      gsize       ignored_len = strlen (ignored);

      if (strncmp (path, ignored, ignored_len) == 0 &&
          (path[ignored_len] == '\0' || path[ignored_len] == G_DIR_SEPARATOR))
        return TRUE;
    }

  return FALSE;
}

static gboolean
debounce_done (gpointer user_data)
{
  HotWatcher *self = user_data;
  g_autoptr (GPtrArray) paths = g_ptr_array_new_null_terminated (0, g_free, TRUE);
  GHashTableIter iter;
  gpointer       path;

  self->timeout_id = 0;

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, &path, NULL))
    {
      g_hash_table_iter_steal (&iter);
      g_ptr_array_add (paths, path);
    }

  g_signal_emit (self, signals[CHANGED], 0, (GStrv) paths->pdata, self->first_event);

  return G_SOURCE_REMOVE;
}

/* @complete: the event ends a save (close after writing, rename into
 * place); the next one, if any, comes within milliseconds. */
static void
note_change (HotWatcher *self,
             GFile      *file,
             gboolean    complete)
{
  if (file == NULL || is_ignored (self, file))
    return;

  if (g_hash_table_size (self->pending) == 0)
    self->first_event = g_get_monotonic_time ();
  g_hash_table_add (self->pending, g_file_get_path (file));
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  self->timeout_id = g_timeout_add (complete ? self->settle_ms : self->debounce_ms, debounce_done, self);
}

static void
handle_event (HotWatcher   *self,
              GFile        *file,
              HotWatchEvent event,
              gboolean      is_dir)
{
  switch (event)
    {
    case HOT_WATCH_EVENT_CREATED:
    case HOT_WATCH_EVENT_MOVED_IN:
      if (self->recursive && is_dir && !is_ignored (self, file))
        {
          g_autofree char *path = g_file_get_path (file);

          hot_watcher_add_dir (self, path);
        }
      note_change (self, file, event == HOT_WATCH_EVENT_MOVED_IN);
      break;

    case HOT_WATCH_EVENT_DONE:
      note_change (self, file, TRUE);
      break;

    case HOT_WATCH_EVENT_CHANGED:
      note_change (self, file, FALSE);
      break;

    case HOT_WATCH_EVENT_GONE:
      {
        /* Watched again if it comes back into a watched folder. */
        g_autofree char *path = g_file_get_path (file);

        g_hash_table_remove (self->monitors, path);
      }
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
inotify_event (const char   *path,
               HotWatchEvent event,
               gboolean      is_dir,
               gpointer      user_data)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);

  handle_event (user_data, file, event, is_dir);
}

static gboolean
is_folder (GFile *file)
{
  return g_file_query_file_type (file, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL) == G_FILE_TYPE_DIRECTORY;
}

static void
monitor_changed (GFileMonitor     *monitor,
                 GFile            *file,
                 GFile            *other_file,
                 GFileMonitorEvent event,
                 gpointer          user_data)
{
  HotWatcher *self = user_data;

  switch (event)
    {
    case G_FILE_MONITOR_EVENT_CREATED:
    case G_FILE_MONITOR_EVENT_MOVED_IN:
      handle_event (self, file, event == G_FILE_MONITOR_EVENT_CREATED ? HOT_WATCH_EVENT_CREATED : HOT_WATCH_EVENT_MOVED_IN,
                    self->recursive && is_folder (file));
      break;

    case G_FILE_MONITOR_EVENT_RENAMED:
      if (other_file != NULL)
        handle_event (self, other_file, HOT_WATCH_EVENT_DONE, FALSE);
      break;

    case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
      handle_event (self, file, HOT_WATCH_EVENT_DONE, FALSE);
      break;

    case G_FILE_MONITOR_EVENT_CHANGED:
    case G_FILE_MONITOR_EVENT_DELETED:
    case G_FILE_MONITOR_EVENT_MOVED_OUT:
      handle_event (self, file, HOT_WATCH_EVENT_CHANGED, FALSE);
      break;

    case G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED:
    case G_FILE_MONITOR_EVENT_PRE_UNMOUNT:
    case G_FILE_MONITOR_EVENT_UNMOUNTED:
    case G_FILE_MONITOR_EVENT_MOVED:
    default:
      break;
    }
}

static gboolean
watch_folder (HotWatcher *self,
              const char *path)
{
  g_autoptr (GFile) dir = g_file_new_for_path (path);
  g_autoptr (GFileMonitor) monitor = NULL;
  g_autoptr (GError) error = NULL;

  if (g_hash_table_contains (self->monitors, path))
    return TRUE;

  if (self->inotify != NULL)
    {
      if (hot_inotify_add_dir (self->inotify, path, &error))
        {
          g_hash_table_insert (self->monitors, g_strdup (path), NULL);
          return TRUE;
        }
      g_debug ("Watching %s with GFileMonitor: %s", path, error->message);
      g_clear_error (&error);
    }

  monitor = g_file_monitor_directory (dir, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (monitor == NULL)
    {
      g_warning ("Cannot watch %s for changes: %s", path, error->message);
      return FALSE;
    }
  g_file_monitor_set_rate_limit (monitor, 0);
  g_signal_connect (monitor, "changed", G_CALLBACK (monitor_changed), self);
  g_hash_table_insert (self->monitors, g_strdup (path), g_steal_pointer (&monitor));

  return TRUE;
}

/* Watches the folder of @path (not the folders below it): its events and
 * those of the other files there are emitted. */
void
hot_watcher_add_file (HotWatcher *self,
                      const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);

  g_return_if_fail (HOT_IS_WATCHER (self));

  watch_folder (self, dir);
}

/* Watches @path and every folder below it, now and later. */
void
hot_watcher_add_dir (HotWatcher *self,
                     const char *path)
{
  g_autoptr (GFile) dir = g_file_new_for_path (path);
  g_autoptr (GFileEnumerator) children = NULL;
  GFileInfo *info;

  g_return_if_fail (HOT_IS_WATCHER (self));

  if (g_hash_table_contains (self->monitors, path) || is_ignored (self, dir))
    return;

  if (!watch_folder (self, path))
    return;
  self->recursive = TRUE;

  children = g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (children && (info = g_file_enumerator_next_file (children, NULL, NULL)))
    {
      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        {
          g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);

          hot_watcher_add_dir (self, child);
        }
      g_object_unref (info);
    }
}

/* Drops events for @path and everything below it (a build folder inside the
 * source tree, say). */
void
hot_watcher_ignore (HotWatcher *self,
                    const char *path)
{
  g_return_if_fail (HOT_IS_WATCHER (self));

  g_ptr_array_add (self->ignored, g_strdup (path));
}
