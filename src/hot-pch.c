/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "hot-pch-private.h"

#include "hot-compile-command-private.h"

/*
 * The header every fast compile includes first (see hot-fast-builder.c):
 * for tcc, a compatibility header; for the build's own compiler,
 * <gtk/gtk.h>, precompiled once per module with the flags of the first
 * source compiled and kept across runs while nothing it includes changes.
 */

static const char tcc_compat[] =
    "/* Written by hotnode for its tcc fast path; see hot-fast-builder.c. */\n"
    "#include <sys/cdefs.h>\n"
    "#undef __attribute__\n"
    "#define __has_attribute(x) _hot_tcc_has_##x\n"
    "#define _hot_tcc_has_cleanup 1\n"
    "#define _hot_tcc_has___cleanup__ 1\n";

static const char pch_header[] =
    "/* Written by hotnode for its precompiled-header fast path. */\n"
    "#include <gtk/gtk.h>\n";

/* Whether the precompiled header of an earlier run can be used: the same
 * header, and nothing it includes changed since (its dependency file). */
static gboolean
pch_is_current (const char *header_path,
                const char *pch_output)
{
  g_autofree char *depfile = g_strconcat (pch_output, ".d", NULL);
  g_autofree char *header = NULL;
  g_autofree char *deps = NULL;
  g_autoptr (GString) dep = g_string_new (NULL);
  const char *p;
  GStatBuf    pch_stat;

  if (!g_file_get_contents (header_path, &header, NULL, NULL) || !g_str_equal (header, pch_header) ||
      !g_file_get_contents (depfile, &deps, NULL, NULL) || g_stat (pch_output, &pch_stat) != 0 ||
      (p = strstr (deps, ": ")) == NULL)
    return FALSE;

  /* "target: dep dep\<newline> dep", a space in a path escaped as "\ ". */
  for (p += 2;; p++)
    {
      if (p[0] == '\\' && (p[1] == ' ' || p[1] == '\n'))
        {
          if (p[1] == ' ')
            g_string_append_c (dep, ' ');
          p++;
        }
      else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\0')
        {
          GStatBuf dep_stat;

          if (dep->len > 0 && (g_stat (dep->str, &dep_stat) != 0 || dep_stat.st_mtime > pch_stat.st_mtime))
            return FALSE;
          g_string_truncate (dep, 0);
          if (*p == '\0')
            return TRUE;
        }
      else
        g_string_append_c (dep, *p);
    }
}

/**
 * hot_pch_prepare:
 * @header: where the header goes
 * @tcc: whether the header is tcc's compatibility header, or the one to
 *   precompile
 * @command: the compile command whose flags precompile the header
 * @ready: (out): set when the header can be used as it is
 * @error: return location for a #GError
 *
 * Writes tcc's compatibility header or the header to precompile; in PCH
 * mode, returns the command that precompiles it with the flags of
 * @command (NULL when an earlier run's is still good).
 *
 * Returns: (transfer full) (nullable): the command to run before the
 *   header is ready, or %NULL: then either @ready is set or @error is
 */
GStrv
hot_pch_prepare (const char              *header,
                 gboolean                 tcc,
                 const HotCompileCommand *command,
                 gboolean                *ready,
                 GError                 **error)
{
  g_autofree char *pch_output = g_strconcat (header, ".gch", NULL);
  const char      *contents = tcc ? tcc_compat : pch_header;

  if (!tcc && pch_is_current (header, pch_output))
    {
      *ready = TRUE;
      return NULL;
    }

  if (!g_file_set_contents (header, contents, -1, error))
    return NULL;
  if (tcc)
    {
      *ready = TRUE;
      return NULL;
    }

  return hot_compile_command_gcc_argv (command, header, NULL, pch_output);
}
