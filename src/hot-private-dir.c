/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hot-private-dir-private.h"
#include "hot-reload.h"

/*
 * The private folder the loaded copies go to (Linux: process ids, /proc):
 *
 *   <base>/                       0700, owned by the user, checked
 *   <base>/run-<pid>-XXXXXX/      one per process, unpredictable name
 *
 * Folders of processes that are gone (crashed or killed) are removed when a
 * folder is created; the folders of this process are removed at exit.
 */

static GPtrArray *own_dirs; /* removed at exit */

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
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
    remove_tree (g_ptr_array_index (own_dirs, i));
}

static gboolean
process_is_gone (const char *run_dir_name)
{
  guint64 pid;

  if (!g_str_has_prefix (run_dir_name, "run-"))
    return FALSE;
  pid = g_ascii_strtoull (run_dir_name + strlen ("run-"), NULL, 10);
  if (pid == 0 || pid == (guint64) getpid ())
    return FALSE;

  return kill ((pid_t) pid, 0) != 0 && errno == ESRCH;
}

static void
remove_stale_runs (const char *base_dir)
{
  g_autoptr (GDir) dir = g_dir_open (base_dir, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      if (process_is_gone (name))
        {
          g_autofree char *path = g_build_filename (base_dir, name, NULL);

          g_debug ("Removing %s, left by a process that is gone", path);
          remove_tree (path);
        }
    }
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
 * in it, removed at exit.
 *
 * Returns: (transfer full): the folder, or %NULL with
 *   %HOT_RELOAD_ERROR_PRIVATE_DIR
 */
char *
hot_private_dir_create (const char *base_dir,
                        GError    **error)
{
  g_autofree char *template = NULL;

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

  if (own_dirs == NULL)
    {
      own_dirs = g_ptr_array_new ();
      atexit (hot_private_dir_remove_own);
    }
  g_ptr_array_add (own_dirs, g_strdup (template));

  return g_steal_pointer (&template);
}
