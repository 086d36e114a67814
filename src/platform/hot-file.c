/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "hot-file-private.h"

/*
 * Files hotnode writes for itself (a source's copy for tcc, a pruned
 * prelude, a loaded library's copy, a marker), in place and with no
 * fsync (): nothing needs them to outlive a crash of the machine.
 *
 * Not g_file_set_contents_full (…, G_FILE_SET_CONTENTS_NONE, …): on GLib
 * 2.74 (Debian 12) it opens an existing file without O_TRUNC, so writing
 * fewer bytes than the file held leaves the old tail after them (a source
 * saved shorter compiled with the end of its previous version).
 */

static gboolean
fail (const char *path,
      int         saved_errno,
      GError    **error)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno), _ ("Could not write %s: %s"), path,
               g_strerror (saved_errno));
  return FALSE;
}

/**
 * hot_file_write:
 * @path: the file, made or replaced in place
 * @contents: what it holds from now on
 * @length: the length of @contents
 * @mode: the file's mode when it is made
 * @error: return location for a #GError, in %G_FILE_ERROR
 *
 * Returns: whether @path holds @contents, and only that
 */
gboolean
hot_file_write (const char *path,
                const char *contents,
                gsize       length,
                int         mode,
                GError    **error)
{
  int fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

  if (fd < 0)
    return fail (path, errno, error);

  while (length > 0)
    {
      gssize n = write (fd, contents, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          close (fd);
          return fail (path, saved_errno, error);
        }
      contents += n;
      length -= (gsize) n;
    }

  if (close (fd) < 0)
    return fail (path, errno, error);
  return TRUE;
}
