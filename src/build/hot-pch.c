/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "hot-pch-private.h"

#include "hot-compile-command-private.h"

/*
 * The header every fast compile includes first (see hot-fast-builder.c):
 * for tcc, a compatibility header; for the build's own compiler, the
 * headers the source starts with, precompiled.
 *
 * What is precompiled for a source is the start of its prologue (the lines
 * only the preprocessor reads, hot_tcc_source_prologue ()) up to its last
 * `#include <...>`: <adwaita.h>, <gtksourceview/gtksource.h>, whatever the
 * module uses, with the definitions and the includes before them (a
 * "config.h", a _GNU_SOURCE), in their order, so the system headers see
 * what they see without the precompiled header. The project's own headers
 * included after the first system header are left out: they change while
 * the app runs, and each change would precompile again; the source includes
 * them itself. When the source's prologue then includes the same headers
 * again, their guards skip them. A precompiled header is named by a
 * checksum of its text and the flags, kept across runs, and made again when
 * a header it read is newer.
 */

static const char tcc_compat[] =
    "/* Written by hotnode for its tcc fast path; see hot-fast-builder.c. */\n"
    "#include <sys/cdefs.h>\n"
    "#undef __attribute__\n"
    "#define __has_attribute(x) _hot_tcc_has_##x\n"
    "#define _hot_tcc_has_cleanup 1\n"
    "#define _hot_tcc_has___cleanup__ 1\n";

/**
 * hot_pch_write_tcc_header:
 * @path: where tcc's compatibility header goes
 * @error: return location for a #GError
 *
 * Returns: whether the header was written
 */
gboolean
hot_pch_write_tcc_header (const char *path,
                          GError    **error)
{
  return g_file_set_contents (path, tcc_compat, -1, error);
}

/* Whether the directive at @text is `#include <...>` (TRUE) or `#include
 * "..."` (FALSE: @quoted set). */
static gboolean
is_system_include (const char *text,
                   gboolean   *quoted)
{
  while (*text == ' ' || *text == '\t')
    text++;
  if (*text++ != '#')
    return FALSE;
  while (*text == ' ' || *text == '\t')
    text++;
  if (!g_str_has_prefix (text, "include"))
    return FALSE;
  text += strlen ("include");
  while (*text == ' ' || *text == '\t')
    text++;
  *quoted = *text == '"';
  return *text == '<';
}

/**
 * hot_pch_header_text:
 * @prologue: the prologue of a source (hot_tcc_source_prologue ())
 *
 * Returns: (transfer full) (nullable): the header to precompile for a
 *   source with @prologue (see above), or %NULL when it includes no system
 *   header
 */
char *
hot_pch_header_text (const char *prologue)
{
  g_auto (GStrv) lines = g_strsplit (prologue, "\n", -1);
  g_autoptr (GString) text = g_string_new ("/* Written by hotnode for its precompiled-header fast path. */\n");
  gsize    end = 0; /* the length of @text up to the last system include */
  gboolean seen_system = FALSE;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      gboolean quoted = FALSE;
      gboolean system = is_system_include (lines[i], &quoted);

      /* A directive's continuation lines go with it. */
      if (quoted && seen_system)
        {
          while (g_str_has_suffix (lines[i], "\\") && lines[i + 1] != NULL)
            i++;
          continue;
        }
      g_string_append_printf (text, "%s\n", lines[i]);
      if (system)
        {
          seen_system = TRUE;
          end = text->len;
        }
    }

  if (!seen_system)
    return NULL;
  g_string_truncate (text, end);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Whether the precompiled header of an earlier run can be used: the same
 * header, and nothing it includes changed since (its dependency file,
 * whose relative paths are the compiler's, from @directory: not the
 * app's, which may run from anywhere). */
static gboolean
pch_is_current (const char *header_path,
                const char *pch_text,
                const char *pch_output,
                const char *directory)
{
  g_autofree char *depfile = g_strconcat (pch_output, ".d", NULL);
  g_autofree char *header = NULL;
  g_autofree char *deps = NULL;
  g_autoptr (GString) dep = g_string_new (NULL);
  const char *p;
  GStatBuf    pch_stat;

  if (!g_file_get_contents (header_path, &header, NULL, NULL) || !g_str_equal (header, pch_text) ||
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
          g_autofree char *path = NULL;
          GStatBuf         dep_stat;

          if (dep->len > 0)
            {
              path = g_path_is_absolute (dep->str) ? g_strdup (dep->str)
                                                   : g_build_filename (directory, dep->str, NULL);
              if (g_stat (path, &dep_stat) != 0 || dep_stat.st_mtime > pch_stat.st_mtime)
                return FALSE;
            }
          g_string_truncate (dep, 0);
          if (*p == '\0')
            return TRUE;
        }
      else
        g_string_append_c (dep, *p);
    }
}

/* The header precompiled from @text for sources compiled by @command:
 * named by what it holds and the flags (a precompiled header is used only
 * with the flags it was made with). */
static char *
header_path (const char              *work_dir,
             const HotCompileCommand *command,
             const char              *text)
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);
  g_autofree char *name = NULL;

  g_checksum_update (checksum, (const guchar *) text, -1);
  for (guint i = 0; command->argv[i]; i++)
    if (!g_str_equal (command->argv[i], command->file) && !g_str_equal (command->argv[i], command->object))
      g_checksum_update (checksum, (const guchar *) command->argv[i], strlen (command->argv[i]) + 1);
  g_checksum_update (checksum, (const guchar *) command->directory, -1);
  name = g_strdup_printf ("hot-pch-%.16s.h", g_checksum_get_string (checksum));

  return g_build_filename (work_dir, name, NULL);
}

/**
 * hot_pch_header_path:
 * @work_dir: the folder precompiled headers go to
 * @command: how the build compiles the source
 * @prologue: the source's prologue (hot_tcc_source_prologue ())
 *
 * Returns: (transfer full) (nullable): the header a source with @prologue
 *   includes first, precompiled (see above), or %NULL when it includes no
 *   system header
 */
char *
hot_pch_header_path (const char              *work_dir,
                     const HotCompileCommand *command,
                     const char              *prologue)
{
  g_autofree char *text = hot_pch_header_text (prologue);

  return text ? header_path (work_dir, command, text) : NULL;
}

/**
 * hot_pch_prepare:
 * @work_dir: the folder precompiled headers go to
 * @command: how the build compiles the source
 * @prologue: the source's prologue (hot_tcc_source_prologue ())
 * @header: (out) (transfer full): the header to include first,
 *   precompiled once the command returned has run; %NULL when the source
 *   includes no system header (it is compiled without one)
 * @error: return location for a #GError
 *
 * Writes the header to precompile for a source with @prologue compiled by
 * @command (see above), unless an earlier one is current.
 *
 * Returns: (transfer full) (nullable): the command that precompiles
 *   @header, or %NULL: then @header can be used as it is, or @error is set
 */
GStrv
hot_pch_prepare (const char              *work_dir,
                 const HotCompileCommand *command,
                 const char              *prologue,
                 char                   **header,
                 GError                 **error)
{
  g_autofree char *text = hot_pch_header_text (prologue);
  g_autofree char *path = NULL;
  g_autofree char *pch_output = NULL;
  g_auto (GStrv) argv = NULL;

  *header = NULL;
  if (text == NULL)
    return NULL;

  path = header_path (work_dir, command, text);
  pch_output = g_strconcat (path, ".gch", NULL);
  if (pch_is_current (path, text, pch_output, command->directory))
    {
      *header = g_steal_pointer (&path);
      return NULL;
    }

  /* gcc would read the old one while it makes the new one. */
  g_unlink (pch_output);
  if (!g_file_set_contents (path, text, -1, error))
    return NULL;
  argv = hot_compile_command_gcc_argv (command, path, NULL, pch_output);
  *header = g_steal_pointer (&path);
  return g_steal_pointer (&argv);
}
