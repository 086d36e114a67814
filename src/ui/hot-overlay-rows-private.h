/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

#include "hot-diagnostic.h"
#include "hot-status.h"

G_BEGIN_DECLS

GtkWidget *hot_overlay_label_new (const char *text,
                                  const char *css_class);
GtkWidget *hot_overlay_line_label_new (const char *text,
                                       const char *css_class,
                                       const char *css_class2);
char      *hot_overlay_display_path (const char *source_root,
                                     const char *path);
GtkWidget *hot_overlay_diagnostic_row_new (const char    *source_root,
                                           HotDiagnostic *diagnostic);
GtkWidget *hot_overlay_crash_report_new (const char *source_root,
                                         HotStatus  *status);

G_END_DECLS
