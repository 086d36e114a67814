/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <signal.h>
#include <string.h>

#include "hot-overlay-rows-private.h"

#include "hot-diagnostic-private.h"

/*
 * The rows of the overlay's failure panel (hot-overlay.c): a compiler
 * diagnostic (location, severity in its colour, message, the source line and
 * a caret under the column) and a crash report (node, signal, source line
 * when the debug information has it, frames). Paths inside the project's
 * source root are shown relative to it.
 */

/* Source lines longer than this are cut around the diagnostic's column. */
#define HOT_OVERLAY_SOURCE_CHARS 100
#define HOT_OVERLAY_TABSTOP 8

/* A label of the failure panel: wrapped at word boundaries, 20 to 80
 * characters wide; it takes no clicks. */
GtkWidget *
hot_overlay_label_new (const char *text,
                       const char *css_class)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_width_chars (GTK_LABEL (label), 20);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 80);
  gtk_widget_set_can_target (label, FALSE);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);

  return label;
}

/* A line of code or a path: one line, never wrapped, cut at the end with
 * an ellipsis when the panel is narrower. */
GtkWidget *
hot_overlay_line_label_new (const char *text,
                            const char *css_class,
                            const char *css_class2)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_single_line_mode (GTK_LABEL (label), TRUE);
  gtk_widget_set_can_target (label, FALSE);
  gtk_widget_add_css_class (label, css_class);
  if (css_class2 != NULL)
    gtk_widget_add_css_class (label, css_class2);

  return label;
}

static const char *
severity_name (HotDiagnosticSeverity severity)
{
  switch (severity)
    {
    case HOT_DIAGNOSTIC_WARNING:
      return _ ("warning");
    case HOT_DIAGNOSTIC_NOTE:
      return _ ("note");
    case HOT_DIAGNOSTIC_ERROR:
    default:
      return _ ("error");
    }
}

static const char *
severity_class (HotDiagnosticSeverity severity)
{
  switch (severity)
    {
    case HOT_DIAGNOSTIC_WARNING:
      return "hotnode-warning";
    case HOT_DIAGNOSTIC_NOTE:
      return "hotnode-note";
    case HOT_DIAGNOSTIC_ERROR:
    default:
      return "hotnode-error";
    }
}

/* @path relative to the source root when it is inside it. */
char *
hot_overlay_display_path (const char *source_root,
                          const char *path)
{
  g_autofree char *canonical = NULL;
  gsize            length;

  if (source_root == NULL || path == NULL || !g_path_is_absolute (path))
    return g_strdup (path);

  canonical = g_canonicalize_filename (path, NULL);
  length = strlen (source_root);
  if (g_str_has_prefix (canonical, source_root) && canonical[length] == G_DIR_SEPARATOR)
    return g_strdup (canonical + length + 1);

  return g_steal_pointer (&canonical);
}

/* The source line with tabs expanded, cut around @column when it is long,
 * and a caret line with `^` under @column (0 for none). GCC counts columns
 * as displayed, from 1, with tabs to the next multiple of 8
 * (-fdiagnostics-column-unit=display, -ftabstop=8: its defaults). */
static void
source_and_caret (const char *source_line,
                  guint       column,
                  char      **source,
                  char      **caret)
{
  g_autoptr (GString) expanded = g_string_new (NULL);
  glong chars = 0;
  glong start = 0;
  glong caret_at = column > 0 ? (glong) column - 1 : -1;
  char *cut;

  for (const char *p = source_line; *p; p = g_utf8_next_char (p), chars++)
    {
      if (*p != '\t')
        g_string_append_unichar (expanded, g_utf8_get_char (p));
      else
        for (g_string_append_c (expanded, ' '), chars++; chars % HOT_OVERLAY_TABSTOP != 0; chars++)
          g_string_append_c (expanded, ' ');
      if (*p == '\t')
        chars--;
    }

  if (chars > HOT_OVERLAY_SOURCE_CHARS && caret_at > HOT_OVERLAY_SOURCE_CHARS / 2)
    start = MIN (caret_at - HOT_OVERLAY_SOURCE_CHARS / 2, chars - HOT_OVERLAY_SOURCE_CHARS);
  cut = g_utf8_substring (expanded->str, start, MIN (chars, start + HOT_OVERLAY_SOURCE_CHARS));
  *source = start > 0 ? g_strconcat ("…", cut, NULL) : g_strdup (cut);
  g_free (cut);

  *caret = NULL;
  if (caret_at >= start && caret_at <= chars)
    {
      g_autofree char *spaces = g_strnfill (caret_at - start + (start > 0 ? 1 : 0), ' ');

      *caret = g_strconcat (spaces, "^", NULL);
    }
}

/* A diagnostic: its location, its severity in its colour and its message,
 * the source line and a caret under the column. The widget has the CSS
 * class `hotnode-diagnostic`. */
GtkWidget *
hot_overlay_diagnostic_row_new (const char    *source_root,
                                HotDiagnostic *diagnostic)
{
  GtkWidget            *row = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget            *message_row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  HotDiagnosticSeverity severity = hot_diagnostic_get_severity (diagnostic);
  const char           *path = hot_diagnostic_get_path (diagnostic);
  g_autofree char      *file = hot_overlay_display_path (source_root, path ? path : hot_diagnostic_get_file (diagnostic));
  g_autofree char      *location = NULL;
  g_autofree char      *severity_text = g_strdup_printf ("%s:", severity_name (severity));
  GtkWidget            *severity_label = gtk_label_new (severity_text);

  if (hot_diagnostic_get_column (diagnostic) > 0)
    location = g_strdup_printf ("%s:%u:%u", file, hot_diagnostic_get_line (diagnostic),
                                hot_diagnostic_get_column (diagnostic));
  else
    location = g_strdup_printf ("%s:%u", file, hot_diagnostic_get_line (diagnostic));

  gtk_widget_set_valign (severity_label, GTK_ALIGN_START);
  gtk_widget_set_can_target (severity_label, FALSE);
  gtk_widget_add_css_class (severity_label, severity_class (severity));
  gtk_box_append (GTK_BOX (message_row), severity_label);
  gtk_box_append (GTK_BOX (message_row), hot_overlay_label_new (hot_diagnostic_get_message (diagnostic), NULL));
  gtk_widget_set_can_target (message_row, FALSE);

  gtk_box_append (GTK_BOX (row), hot_overlay_line_label_new (location, "hotnode-location", NULL));
  gtk_box_append (GTK_BOX (row), message_row);
  if (hot_diagnostic_get_source_text (diagnostic) != NULL)
    {
      g_autofree char *source = NULL;
      g_autofree char *caret = NULL;

      source_and_caret (hot_diagnostic_get_source_text (diagnostic), hot_diagnostic_get_column (diagnostic), &source,
                        &caret);
      gtk_box_append (GTK_BOX (row), hot_overlay_line_label_new (source, "hotnode-source", NULL));
      if (caret != NULL)
        gtk_box_append (GTK_BOX (row), hot_overlay_line_label_new (caret, "hotnode-caret", severity_class (severity)));
    }
  gtk_widget_add_css_class (row, "hotnode-diagnostic");
  gtk_widget_set_can_target (row, FALSE);

  return row;
}

/* A frame of backtrace_symbols () with the private copy of a generation
 * (`…/run-…/counter-3.so(counter_panel+0x1d) [0x…]`) named by its module
 * (`counter, generation 3: counter_panel+0x1d`), and a `file:line` that
 * hot-guard.c added made relative to the source root. */
static char *
frame_text (const char *source_root,
            const char *frame,
            const char *module)
{
  g_autofree char *object = NULL;
  g_autofree char *base = NULL;
  g_autofree char *prefix = g_strdup_printf ("%s-", module);
  const char      *paren = strchr (frame, '(');
  const char      *at = strstr (frame, " at ");
  g_autofree char *where = NULL;
  g_autofree char *rest = NULL;

  if (at != NULL)
    where = hot_overlay_display_path (source_root, at + strlen (" at "));
  rest = g_strndup (paren ? paren : frame, (at ? at : frame + strlen (frame)) - (paren ? paren : frame));
  if (paren == NULL)
    return where ? g_strdup_printf ("%s at %s", rest, where) : g_strdup (rest);

  object = g_strndup (frame, paren - frame);
  base = g_path_get_basename (object);
  if (g_str_has_prefix (base, prefix) && g_str_has_suffix (base, ".so") &&
      g_ascii_isdigit (base[strlen (prefix)]))
    {
      guint64          generation = g_ascii_strtoull (base + strlen (prefix), NULL, 10);
      g_autofree char *name = g_strdup_printf (_ ("%s, generation %u"), module, (guint) generation);

      g_free (object);
      object = g_steal_pointer (&name);
    }
  else
    {
      g_free (object);
      object = g_steal_pointer (&base);
    }

  return where ? g_strdup_printf ("%s %s at %s", object, rest, where) : g_strdup_printf ("%s %s", object, rest);
}

/* The node that crashed, how, where when the debug information says, and
 * the frames. */
GtkWidget *
hot_overlay_crash_report_new (const char *source_root,
                              HotStatus  *status)
{
  GtkWidget       *report = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  const char      *backtrace = hot_status_get_crash_backtrace (status);
  const char      *module = hot_status_get_module (status);
  const char      *node = hot_status_get_crash_node (status);
  int              signum = hot_status_get_crash_signal (status);
  const char      *at = backtrace ? strstr (backtrace, " at ") : NULL;
  g_autofree char *where = NULL;
  g_autofree char *what = NULL;
  g_auto (GStrv) frames = NULL;

  if (at != NULL)
    {
      g_autofree char *line = g_strndup (at + strlen (" at "), strcspn (at + strlen (" at "), "\n"));

      where = hot_overlay_display_path (source_root, line);
    }

  if (signum == SIGALRM)
    what = g_strdup_printf (_ ("Hot node “%s” did not return in time and was stopped"), node);
  else
    what = g_strdup_printf (_ ("Hot node “%s”: %s (signal %d)"), node, g_strsignal (signum), signum);
  gtk_box_append (GTK_BOX (report), hot_overlay_label_new (what, NULL));
  if (where != NULL)
    {
      g_autofree char *text = g_strdup_printf (_ ("at %s"), where);

      gtk_box_append (GTK_BOX (report), hot_overlay_line_label_new (text, "hotnode-location", NULL));
    }
  else
    gtk_box_append (GTK_BOX (report), hot_overlay_label_new (_ ("The source line is unknown (no debug information)"),
                                                             "hotnode-location"));

  frames = g_strsplit (backtrace ? backtrace : "", "\n", 12);
  for (guint i = 0; frames[i] && i < 10; i++)
    if (*frames[i] != '\0')
      {
        g_autofree char *text = frame_text (source_root, frames[i], module);

        gtk_box_append (GTK_BOX (report), hot_overlay_line_label_new (text, "hotnode-source", NULL));
      }
  gtk_widget_set_can_target (report, FALSE);

  return report;
}
