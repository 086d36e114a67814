/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "hot-diagnostic-private.h"

/**
 * HotDiagnostic:
 *
 * One message of the compiler, read from a failed build's output: where it
 * points (file, line, column), how serious it is, what it says, the source
 * line it points at, and the chain of includes that led there. gcc's and
 * clang's formats are understood, coloured or not.
 *
 * Since: 0.1
 */

struct _HotDiagnostic
{
  GObject parent_instance;

  char                 *file;
  char                 *path;
  guint                 line;
  guint                 column;
  HotDiagnosticSeverity severity;
  char                 *message;
  char                 *source_line;
  char                 *source_text; /* the same, indentation kept */
  GStrv                 included_from;
};

G_DEFINE_FINAL_TYPE (HotDiagnostic, hot_diagnostic, G_TYPE_OBJECT)

static void
hot_diagnostic_finalize (GObject *object)
{
  HotDiagnostic *self = HOT_DIAGNOSTIC (object);

  g_free (self->file);
  g_free (self->path);
  g_free (self->message);
  g_free (self->source_line);
  g_free (self->source_text);
  g_strfreev (self->included_from);

  G_OBJECT_CLASS (hot_diagnostic_parent_class)->finalize (object);
}

static void
hot_diagnostic_class_init (HotDiagnosticClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hot_diagnostic_finalize;
}

static void
hot_diagnostic_init (HotDiagnostic *self)
{
}

/**
 * hot_diagnostic_get_file:
 * @self: a diagnostic
 *
 * Gets the file, as the compiler named it.
 *
 * Returns: the file, as the compiler named it
 *
 * Since: 0.1
 */
const char *
hot_diagnostic_get_file (HotDiagnostic *self)
{
  g_return_val_if_fail (HOT_IS_DIAGNOSTIC (self), NULL);

  return self->file;
}

/**
 * hot_diagnostic_get_path:
 * @self: a diagnostic
 *
 * Gets the file as an absolute path.
 *
 * Returns: the file as an absolute path
 *
 * Since: 0.1
 */
const char *
hot_diagnostic_get_path (HotDiagnostic *self)
{
  g_return_val_if_fail (HOT_IS_DIAGNOSTIC (self), NULL);

  return self->path;
}

/**
 * hot_diagnostic_get_line:
 * @self: a diagnostic
 *
 * Gets the line, from 1.
 *
 * Returns: the line, from 1
 *
 * Since: 0.1
 */
guint
hot_diagnostic_get_line (HotDiagnostic *self)
{
  g_return_val_if_fail (HOT_IS_DIAGNOSTIC (self), 0);

  return self->line;
}

/**
 * hot_diagnostic_get_column:
 * @self: a diagnostic
 *
 * Gets the column, from 1; 0 when the compiler gave none.
 *
 * Returns: the column, from 1; 0 when the compiler gave none
 *
 * Since: 0.1
 */
guint
hot_diagnostic_get_column (HotDiagnostic *self)
{
  g_return_val_if_fail (HOT_IS_DIAGNOSTIC (self), 0);

  return self->column;
}

/**
 * hot_diagnostic_get_severity:
 * @self: a diagnostic
 *
 * Gets how serious it is.
 *
 * Returns: how serious it is
 *
 * Since: 0.1
 */
HotDiagnosticSeverity
hot_diagnostic_get_severity (HotDiagnostic *self)
{
  g_return_val_if_fail (HOT_IS_DIAGNOSTIC (self), HOT_DIAGNOSTIC_ERROR);

  return self->severity;
}

/**
 * hot_diagnostic_get_message:
 * @self: a diagnostic
 *
 * Gets what the compiler says.
 *
 * Returns: what the compiler says
 *
 * Since: 0.1
 */
const char *
hot_diagnostic_get_message (HotDiagnostic *self)
{
  g_return_val_if_fail (HOT_IS_DIAGNOSTIC (self), NULL);

  return self->message;
}

/* The source line with its indentation, tabs and all: columns count in it. */
const char *
hot_diagnostic_get_source_text (HotDiagnostic *self)
{
  g_return_val_if_fail (HOT_IS_DIAGNOSTIC (self), NULL);

  return self->source_text;
}

/**
 * hot_diagnostic_get_source_line:
 * @self: a diagnostic
 *
 * Gets the source line it points at, as the file was when the build ended.
 *
 * Returns: (nullable): the source line it points at, as the file was when
 *   the build ended
 *
 * Since: 0.1
 */
const char *
hot_diagnostic_get_source_line (HotDiagnostic *self)
{
  g_return_val_if_fail (HOT_IS_DIAGNOSTIC (self), NULL);

  return self->source_line;
}

/**
 * hot_diagnostic_get_included_from:
 * @self: a diagnostic
 *
 * Gets the includes that led to the file, innermost first, each as
 * `file:line`.
 *
 * Returns: (transfer none) (nullable): the includes that led to the file,
 *   innermost first, each as `file:line`
 *
 * Since: 0.1
 */
const char *const *
hot_diagnostic_get_included_from (HotDiagnostic *self)
{
  g_return_val_if_fail (HOT_IS_DIAGNOSTIC (self), NULL);

  return (const char *const *) self->included_from;
}

/**
 * hot_diagnostic_to_string:
 * @self: a diagnostic
 *
 * Formats the diagnostic as the compiler would print it.
 *
 * Returns: (transfer full): the diagnostic as compilers print it:
 *   `file:line:column: severity: message`
 *
 * Since: 0.1
 */
char *
hot_diagnostic_to_string (HotDiagnostic *self)
{
  const char *severity;

  g_return_val_if_fail (HOT_IS_DIAGNOSTIC (self), NULL);

  switch (self->severity)
    {
    case HOT_DIAGNOSTIC_WARNING:
      severity = "warning";
      break;
    case HOT_DIAGNOSTIC_NOTE:
      severity = "note";
      break;
    case HOT_DIAGNOSTIC_ERROR:
    default:
      severity = "error";
      break;
    }

  if (self->column > 0)
    return g_strdup_printf ("%s:%u:%u: %s: %s", self->file, self->line, self->column, severity, self->message);

  return g_strdup_printf ("%s:%u: %s: %s", self->file, self->line, severity, self->message);
}

/* Like g_strsplit (@text, "\n", -1), in one pass: under AddressSanitizer,
 * g_strsplit's strstr () measures the rest of the text at every line, which
 * made a few megabytes of compiler output take tens of seconds. */
static GStrv
split_lines (const char *text)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_null_terminated (0, g_free, TRUE);
  const char *end = text + strlen (text);

  for (const char *line = text;;)
    {
      const char *newline = memchr (line, '\n', end - line);

      if (newline == NULL)
        {
          g_ptr_array_add (lines, g_strndup (line, end - line));
          break;
        }
      g_ptr_array_add (lines, g_strndup (line, newline - line));
      line = newline + 1;
    }

  return (GStrv) g_ptr_array_steal (lines, NULL);
}

/**
 * hot_diagnostic_clean_output:
 * @output: a build's output, in any encoding
 * @length: its length, or -1 when nul-terminated
 *
 * Makes a build's output readable as text: valid UTF-8, without the
 * terminal's colour and hyperlink sequences.
 *
 * Returns: (transfer full): the text
 */
char *
hot_diagnostic_clean_output (const char *output,
                             gssize      length)
{
  static GRegex   *escapes;
  g_autofree char *valid = NULL;
  char            *clean;

  if (g_once_init_enter (&escapes))
    g_once_init_leave (&escapes, g_regex_new ("\x1b\\[[0-9;]*[A-Za-z]|\x1b\\]8;[^\x07\x1b]*(?:\x07|\x1b\\\\)",
                                              G_REGEX_OPTIMIZE, 0, NULL));

  valid = g_utf8_make_valid (output ? output : "", length);
  clean = g_regex_replace_literal (escapes, valid, -1, 0, "", 0, NULL);

  return clean ? clean : g_steal_pointer (&valid);
}

/* Line @number (from 1) of @path, as it is. */
static char *
read_source_line (GHashTable *cache,
                  const char *path,
                  guint       number)
{
  GStrv lines = g_hash_table_lookup (cache, path);

  if (!g_hash_table_contains (cache, path))
    {
      g_autofree char *contents = NULL;
      gsize            length;

      if (g_file_get_contents (path, &contents, &length, NULL))
        {
          g_autofree char *valid = g_utf8_make_valid (contents, length);

          lines = split_lines (valid);
        }
      g_hash_table_insert (cache, g_strdup (path), lines);
    }

  if (lines == NULL || number == 0 || number > g_strv_length (lines))
    return NULL;

  return g_strchomp (g_strdup (lines[number - 1]));
}

/* @file without its leading "./" and "../" components: "tests/a.c" for
 * "../../tests/a.c". */
static const char *
path_tail (const char *file)
{
  while (TRUE)
    {
      if (g_str_has_prefix (file, "./"))
        file += 2;
      else if (g_str_has_prefix (file, "../"))
        file += 3;
      else
        return file;
    }
}

/* Where @file, as the compiler named it, is: relative to @build_dir when
 * such a file exists there; otherwise the one of @sources whose path ends
 * with it (a rebuild command may run the compiler in another folder, and
 * a build folder need not be inside the source tree); otherwise relative to
 * @build_dir all the same (the file may be gone). */
static char *
resolve_path (const char        *file,
              const char        *build_dir,
              const char *const *sources)
{
  g_autofree char *from_build_dir = g_canonicalize_filename (file, build_dir);
  const char      *tail = path_tail (file);
  gsize            tail_length = strlen (tail);

  if (g_path_is_absolute (file) || g_file_test (from_build_dir, G_FILE_TEST_EXISTS) || tail_length == 0)
    return g_steal_pointer (&from_build_dir);

  for (guint i = 0; sources != NULL && sources[i] != NULL; i++)
    {
      gsize length = strlen (sources[i]);

      if (length > tail_length && sources[i][length - tail_length - 1] == G_DIR_SEPARATOR &&
          g_str_equal (sources[i] + length - tail_length, tail))
        return g_strdup (sources[i]);
    }

  return g_steal_pointer (&from_build_dir);
}

/**
 * hot_diagnostic_parse:
 * @output: a build's output, as hot_diagnostic_clean_output() returns it
 * @build_dir: the folder the compiler ran in, to resolve relative paths
 * @sources: (nullable): absolute paths of the files the build compiles, for
 *   relative paths that name no file in @build_dir
 *
 * Reads the diagnostics of gcc and clang from a build's output. Lines that
 * are not diagnostics (commands, source excerpts, "In function" context) are
 * skipped; "In file included from" chains go to the diagnostic that follows
 * them.
 *
 * Returns: (transfer full): a list model of [class@Hot.Diagnostic]
 */
GListModel *
hot_diagnostic_parse (const char        *output,
                      const char        *build_dir,
                      const char *const *sources)
{
  static GRegex *diagnostic_regex, *include_regex;
  g_autoptr (GListStore) diagnostics = g_list_store_new (HOT_TYPE_DIAGNOSTIC);
  g_autoptr (GHashTable) source_lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_strfreev);
  g_autoptr (GHashTable) paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GPtrArray) includes = g_ptr_array_new_null_terminated (0, g_free, TRUE);
  g_auto (GStrv) lines = NULL;

  if (g_once_init_enter (&diagnostic_regex))
    g_once_init_leave (&diagnostic_regex,
                       g_regex_new ("^(.+?):([0-9]+):(?:([0-9]+):)? *(fatal error|error|warning|note): *(.*)$",
                                    G_REGEX_OPTIMIZE, 0, NULL));
  if (g_once_init_enter (&include_regex))
    g_once_init_leave (&include_regex,
                       g_regex_new ("^(In file included from| +from) (.+?):([0-9]+)(?::[0-9]+)?[:,]$",
                                    G_REGEX_OPTIMIZE, 0, NULL));

  lines = split_lines (output);
  for (guint i = 0; lines[i]; i++)
    {
      g_autoptr (GMatchInfo) match = NULL;
      g_autoptr (HotDiagnostic) diagnostic = NULL;
      g_autofree char *severity = NULL;
      g_autofree char *line_number = NULL;
      g_autofree char *column = NULL;

      g_strchomp (lines[i]);

      if (g_regex_match (include_regex, lines[i], 0, &match))
        {
          g_autofree char *lead = g_match_info_fetch (match, 1);
          g_autofree char *file = g_match_info_fetch (match, 2);
          g_autofree char *number = g_match_info_fetch (match, 3);
          char            *include = g_strdup_printf ("%s:%s", file, number);

          /* gcc goes outwards with " from" lines; clang starts every line
           * with "In file included from" and goes inwards. */
          if (lead[0] == 'I' && includes->len > 0)
            g_ptr_array_insert (includes, 0, include);
          else
            g_ptr_array_add (includes, include);
          continue;
        }
      g_clear_pointer (&match, g_match_info_free);

      if (!g_regex_match (diagnostic_regex, lines[i], 0, &match))
        continue;

      diagnostic = g_object_new (HOT_TYPE_DIAGNOSTIC, NULL);
      diagnostic->file = g_match_info_fetch (match, 1);
      diagnostic->path = g_strdup (g_hash_table_lookup (paths, diagnostic->file));
      if (diagnostic->path == NULL)
        {
          diagnostic->path = resolve_path (diagnostic->file, build_dir, sources);
          g_hash_table_insert (paths, g_strdup (diagnostic->file), g_strdup (diagnostic->path));
        }
      line_number = g_match_info_fetch (match, 2);
      diagnostic->line = (guint) g_ascii_strtoull (line_number, NULL, 10);
      column = g_match_info_fetch (match, 3);
      diagnostic->column = column ? (guint) g_ascii_strtoull (column, NULL, 10) : 0;
      severity = g_match_info_fetch (match, 4);
      if (g_str_equal (severity, "warning"))
        diagnostic->severity = HOT_DIAGNOSTIC_WARNING;
      else if (g_str_equal (severity, "note"))
        diagnostic->severity = HOT_DIAGNOSTIC_NOTE;
      else
        diagnostic->severity = HOT_DIAGNOSTIC_ERROR;
      diagnostic->message = g_match_info_fetch (match, 5);
      diagnostic->source_text = read_source_line (source_lines, diagnostic->path, diagnostic->line);
      diagnostic->source_line = diagnostic->source_text ? g_strchug (g_strdup (diagnostic->source_text)) : NULL;
      if (includes->len > 0)
        {
          diagnostic->included_from = (GStrv) g_ptr_array_steal (includes, NULL);
          includes = g_ptr_array_new_null_terminated (0, g_free, TRUE);
        }

      g_list_store_append (diagnostics, diagnostic);
    }

  return G_LIST_MODEL (g_steal_pointer (&diagnostics));
}
