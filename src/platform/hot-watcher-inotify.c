/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gio.h>
#include <glib-unix.h>

#include "hot-watcher-inotify-private.h"

/*
 * HotInotify: the watcher's file events read from inotify directly, on the
 * main context, as soon as the kernel has them. GLib's inotify backend
 * reads them on its worker thread and, after a read that held only
 * IN_MODIFY, waits 100 ms before it reads again ("boredom"): one save in
 * ten or so waited that long before its build started.
 *
 * One inotify descriptor for every folder, each folder watched alone (as
 * inotify does: not recursive); the watcher adds the folders below. A
 * folder that is deleted or moved is forgotten (IN_IGNORED after
 * IN_DELETE_SELF, or the watch dropped on IN_MOVE_SELF) and reported, so
 * that the watcher can watch it again when it comes back.
 *
 * Owns: the descriptor and its GSource (on the thread-default context of
 * hot_inotify_new ()), and the table of watch descriptors → folder paths.
 */

#if HAVE_INOTIFY

#include <errno.h>
#include <sys/inotify.h>
#include <unistd.h>

#define WATCH_MASK                                                                                     \
  (IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | \
   IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)

struct _HotInotify
{
  int          fd;
  GSource     *source;
  GHashTable  *folders; /* watch descriptor → folder path */
  HotWatchFunc func;
  gpointer     user_data;
};

static void
handle_event (HotInotify                 *self,
              const struct inotify_event *event)
{
  const char      *folder = g_hash_table_lookup (self->folders, GINT_TO_POINTER (event->wd));
  g_autofree char *path = NULL;
  gboolean         is_dir = (event->mask & IN_ISDIR) != 0;

  if (folder == NULL)
    return;

  if (event->mask & IN_IGNORED)
    {
      g_autofree char *gone = g_strdup (folder);

      g_hash_table_remove (self->folders, GINT_TO_POINTER (event->wd));
      self->func (gone, HOT_WATCH_EVENT_GONE, TRUE, self->user_data);
      return;
    }

  /* The folder is somewhere else now: its path is wrong. Dropping the
   * watch brings IN_IGNORED, which forgets it. */
  if (event->mask & IN_MOVE_SELF)
    {
      inotify_rm_watch (self->fd, event->wd);
      return;
    }

  if (event->len == 0 || event->name[0] == '\0')
    return;

  path = g_build_filename (folder, event->name, NULL);
  if (event->mask & IN_CLOSE_WRITE)
    self->func (path, HOT_WATCH_EVENT_DONE, is_dir, self->user_data);
  else if (event->mask & IN_MOVED_TO)
    self->func (path, HOT_WATCH_EVENT_MOVED_IN, is_dir, self->user_data);
  else if (event->mask & IN_CREATE)
    self->func (path, HOT_WATCH_EVENT_CREATED, is_dir, self->user_data);
  else if (event->mask & (IN_MODIFY | IN_DELETE | IN_MOVED_FROM))
    self->func (path, HOT_WATCH_EVENT_CHANGED, is_dir, self->user_data);
}

static gboolean
readable (int          fd,
          GIOCondition condition,
          gpointer     user_data)
{
  HotInotify *self = user_data;
  char        buffer[4096] __attribute__ ((aligned (__alignof__(struct inotify_event))));

  /* Everything queued now: a save's events come together. */
  for (;;)
    {
      gssize n = read (fd, buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;

      for (gssize offset = 0; offset < n;)
        {
          const struct inotify_event *event = (const struct inotify_event *) (buffer + offset);

          if (event->mask & IN_Q_OVERFLOW)
            g_debug ("inotify's queue overflowed: file events were lost");
          else
            handle_event (self, event);
          offset += sizeof (struct inotify_event) + event->len;
        }
    }

  return G_SOURCE_CONTINUE;
}

/**
 * hot_inotify_new:
 * @func: called with each event
 * @user_data: for @func
 *
 * Returns: (transfer full) (nullable): a reader with no folder yet, or
 *   %NULL when inotify is not available (no descriptor left, say)
 */
HotInotify *
hot_inotify_new (HotWatchFunc func,
                 gpointer     user_data)
{
  HotInotify *self;
  int         fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);

  if (fd < 0)
    {
      g_debug ("No inotify (%s): file events come from GFileMonitor", g_strerror (errno));
      return NULL;
    }

  self = g_new0 (HotInotify, 1);
  self->fd = fd;
  self->func = func;
  self->user_data = user_data;
  self->folders = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->source = g_unix_fd_source_new (fd, G_IO_IN);
  g_source_set_callback (self->source, G_SOURCE_FUNC (readable), self, NULL);
  g_source_set_static_name (self->source, "[hotnode] inotify");
  g_source_attach (self->source, g_main_context_get_thread_default ());

  return self;
}

/**
 * hot_inotify_add_dir:
 * @self: a reader
 * @path: a folder
 * @error: where the reason goes when it cannot be watched
 *
 * Watches the files of @path (not the folders below it).
 *
 * Returns: whether @path is watched
 */
gboolean
hot_inotify_add_dir (HotInotify *self,
                     const char *path,
                     GError    **error)
{
  int wd = inotify_add_watch (self->fd, path, WATCH_MASK);

  if (wd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "inotify_add_watch: %s",
                   g_strerror (saved_errno));
      return FALSE;
    }

  /* The same folder by another path keeps the path it was first added by. */
  if (!g_hash_table_contains (self->folders, GINT_TO_POINTER (wd)))
    g_hash_table_insert (self->folders, GINT_TO_POINTER (wd), g_strdup (path));

  return TRUE;
}

void
hot_inotify_free (HotInotify *self)
{
  if (self == NULL)
    return;

  g_source_destroy (self->source);
  g_source_unref (self->source);
  close (self->fd);
  g_hash_table_unref (self->folders);
  g_free (self);
}

#else /* !HAVE_INOTIFY */

HotInotify *
hot_inotify_new (HotWatchFunc func,
                 gpointer     user_data)
{
  return NULL;
}

gboolean
hot_inotify_add_dir (HotInotify *self,
                     const char *path,
                     GError    **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "no inotify");
  return FALSE;
}

void
hot_inotify_free (HotInotify *self)
{
}

#endif /* HAVE_INOTIFY */
