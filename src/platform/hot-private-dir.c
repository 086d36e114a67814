/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hot-private-dir-private.h"
#include "hot-error.h"
#include "hot-file-private.h"

/*
 * The private folder the loaded copies go to (Linux: process ids, /proc):
 *
 *   <base>/                       0700, owned by the user, checked
 *   <base>/run-<pid>-XXXXXX/      one per process, unpredictable name
 *   <base>/run-.../hotnode-run    the marker: hotnode made this folder
 *
 * Folders of processes that are gone (crashed or killed) are removed when a
 * folder is created; the folders of this process are removed at exit. Only
 * what hotnode made is removed: a folder whose name is exactly
 * `run-<pid>-XXXXXX` (XXXXXX as g_mkdtemp () makes it), that is a real
 * folder (not a link to one), this user's, with the marker in it. Removal
 * goes through file descriptors opened with O_NOFOLLOW and unlinkat (): a
 * link inside is removed, never followed.
 */

#define MARKER_NAME "hotnode-run"
#define MARKER_TEXT "A folder of hotnode's loaded copies; removed when its process is gone.\n"
#define MAX_DEPTH 16 /* copies are files; a deeper tree is not ours */

static GPtrArray *own_dirs; /* removed at exit */

/* Removes what the folder @fd holds, not following links, then closes
 * @fd. */
static void
empty_dir_at (int   fd,
              guint depth)
{
  DIR           *dir = fdopendir (fd);
  struct dirent *entry;

  if (dir == NULL)
    {
      close (fd);
      return;
    }

  while ((entry = readdir (dir)) != NULL)
    {
      struct stat st;
      int         child;

      if (g_str_equal (entry->d_name, ".") || g_str_equal (entry->d_name, ".."))
        continue;
      if (fstatat (dirfd (dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        continue;
      if (!S_ISDIR (st.st_mode))
        {
          unlinkat (dirfd (dir), entry->d_name, 0);
          continue;
        }
      if (depth >= MAX_DEPTH)
        continue;
      child = openat (dirfd (dir), entry->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (child < 0)
        continue;
      empty_dir_at (child, depth + 1);
      unlinkat (dirfd (dir), entry->d_name, AT_REMOVEDIR);
    }
  closedir (dir);
}

/* Removes the run folder @name of @parent_fd when it is a folder of this
 * user's (not a link) holding hotnode's marker. */
static void
remove_run_dir_at (int         parent_fd,
                   const char *name)
{
  struct stat before, opened, marker;
  int         fd;

  if (fstatat (parent_fd, name, &before, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR (before.st_mode) ||
      before.st_uid != getuid ())
    return;

  fd = openat (parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return;
  /* The folder opened is the one looked at, and hotnode made it. */
  if (fstat (fd, &opened) != 0 || opened.st_dev != before.st_dev || opened.st_ino != before.st_ino ||
      fstatat (fd, MARKER_NAME, &marker, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG (marker.st_mode))
    {
      g_debug ("Not removing %s: it has no marker of hotnode's", name);
      close (fd);
      return;
    }

  empty_dir_at (fd, 0);
  unlinkat (parent_fd, name, AT_REMOVEDIR);
}

/* Removes the run folder at @path (see remove_run_dir_at ()). */
static void
remove_run_dir (const char *path)
{
  g_autofree char *parent = g_path_get_dirname (path);
  g_autofree char *name = g_path_get_basename (path);
  int              parent_fd = open (parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (parent_fd < 0)
    return;
  remove_run_dir_at (parent_fd, name);
  close (parent_fd);
}

/**
 * hot_private_dir_remove_own:
 *
 * Removes the folders this process created, with the copies in them. Run
 * at exit (and by the loader when it exits without finalizers).
 */
void
hot_private_dir_remove_own (void)
{
  for (guint i = 0; own_dirs && i < own_dirs->len; i++)
    remove_run_dir (g_ptr_array_index (own_dirs, i));
}

/* The process id of a run folder named exactly `run-<pid>-XXXXXX`, with
 * XXXXXX of g_mkdtemp ()'s letters; 0 for any other name. */
static pid_t
run_dir_pid (const char *name)
{
  const char *digits = name + strlen ("run-");
  const char *end;
  guint64     pid;

  if (!g_str_has_prefix (name, "run-") || !g_ascii_isdigit (*digits) || *digits == '0')
    return 0;
  for (end = digits; g_ascii_isdigit (*end); end++)
    ;
  if (end - digits > 10 || *end != '-' || strlen (end + 1) != 6)
    return 0;
  for (const char *letter = end + 1; *letter; letter++)
    if (!g_ascii_isalnum (*letter))
      return 0;

  pid = g_ascii_strtoull (digits, NULL, 10);
  if (pid > G_MAXINT32)
    return 0;

  return (pid_t) pid;
}

static void
remove_stale_runs (const char *base_dir)
{
  int            base_fd = open (base_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR           *dir = base_fd >= 0 ? fdopendir (dup (base_fd)) : NULL;
  struct dirent *entry;

  while (dir != NULL && (entry = readdir (dir)) != NULL)
    {
      pid_t pid = run_dir_pid (entry->d_name);

      if (pid == 0 || pid == getpid () || kill (pid, 0) == 0 || errno != ESRCH)
        continue;
      g_debug ("Removing %s/%s, left by a process that is gone", base_dir, entry->d_name);
      remove_run_dir_at (base_fd, entry->d_name);
    }

  if (dir != NULL)
    closedir (dir);
  if (base_fd >= 0)
    close (base_fd);
}

static gboolean
ensure_private_base (const char *base_dir,
                     GError    **error)
{
  struct stat st;

  if (g_mkdir_with_parents (base_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_PRIVATE_DIR,
                   _ ("Could not create the private folder %s: %s"),
                   base_dir, g_strerror (saved_errno));
      return FALSE;
    }

  if (lstat (base_dir, &st) != 0 || !S_ISDIR (st.st_mode))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_PRIVATE_DIR,
                   _ ("The private folder %s is not a folder"), base_dir);
      return FALSE;
    }

  if (st.st_uid != getuid () || (st.st_mode & 0077) != 0)
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_PRIVATE_DIR,
                   _ ("Refusing to load code from %s: it must be owned by you and closed to others (chmod 700)"),
                   base_dir);
      return FALSE;
    }

  return TRUE;
}

/**
 * hot_private_dir_create:
 * @base_dir: where private folders go
 * @error: return location for a #GError
 *
 * Checks @base_dir (made if missing: 0700, this user's), removes the
 * folders of processes that are gone, and makes a folder of this process
 * in it, with hotnode's marker, removed at exit.
 *
 * Returns: (transfer full): the folder, or %NULL with
 *   %HOT_RELOAD_ERROR_PRIVATE_DIR
 */
char *
hot_private_dir_create (const char *base_dir,
                        GError    **error)
{
  g_autofree char *template = NULL;
  g_autofree char *marker = NULL;
  g_autoptr (GError) local_error = NULL;

  if (!ensure_private_base (base_dir, error))
    return NULL;

  remove_stale_runs (base_dir);

  template = g_strdup_printf ("%s/run-%d-XXXXXX", base_dir, (int) getpid ());
  if (g_mkdtemp_full (template, 0700) == NULL)
    {
      int saved_errno = errno;

      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_PRIVATE_DIR,
                   _ ("Could not create a private folder in %s: %s"), base_dir, g_strerror (saved_errno));
      return NULL;
    }

  marker = g_build_filename (template, MARKER_NAME, NULL);
  if (!hot_file_write (marker, MARKER_TEXT, strlen (MARKER_TEXT), 0400, &local_error))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_PRIVATE_DIR,
                   _ ("Could not create a private folder in %s: %s"), base_dir, local_error->message);
      g_rmdir (template);
      return NULL;
    }

  if (own_dirs == NULL)
    {
      own_dirs = g_ptr_array_new ();
      atexit (hot_private_dir_remove_own);
    }
  g_ptr_array_add (own_dirs, g_strdup (template));

  return g_steal_pointer (&template);
}
