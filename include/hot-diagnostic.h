/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(_HOTNODE_INSIDE) && !defined(HOTNODE_COMPILATION)
#error "Only <hotnode.h> can be included directly."
#endif

#include <glib-object.h>

#include "hotnode-version.h"

G_BEGIN_DECLS

/**
 * HotDiagnosticSeverity:
 * @HOT_DIAGNOSTIC_ERROR: an error (fatal errors included)
 * @HOT_DIAGNOSTIC_WARNING: a warning
 * @HOT_DIAGNOSTIC_NOTE: a note that explains the diagnostic before it
 *
 * How serious a compiler diagnostic is.
 *
 * Since: 0.1
 */
typedef enum
{
  HOT_DIAGNOSTIC_ERROR,
  HOT_DIAGNOSTIC_WARNING,
  HOT_DIAGNOSTIC_NOTE,
} HotDiagnosticSeverity;

#define HOT_TYPE_DIAGNOSTIC (hot_diagnostic_get_type ())

HOTNODE_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (HotDiagnostic, hot_diagnostic, HOT, DIAGNOSTIC, GObject)

HOTNODE_AVAILABLE_IN_ALL
const char *hot_diagnostic_get_file (HotDiagnostic *self);
HOTNODE_AVAILABLE_IN_ALL
const char *hot_diagnostic_get_path (HotDiagnostic *self);
HOTNODE_AVAILABLE_IN_ALL
guint hot_diagnostic_get_line (HotDiagnostic *self);
HOTNODE_AVAILABLE_IN_ALL
guint hot_diagnostic_get_column (HotDiagnostic *self);
HOTNODE_AVAILABLE_IN_ALL
HotDiagnosticSeverity hot_diagnostic_get_severity (HotDiagnostic *self);
HOTNODE_AVAILABLE_IN_ALL
const char *hot_diagnostic_get_message (HotDiagnostic *self);
HOTNODE_AVAILABLE_IN_ALL
const char *hot_diagnostic_get_source_line (HotDiagnostic *self);
HOTNODE_AVAILABLE_IN_ALL
const char *const *hot_diagnostic_get_included_from (HotDiagnostic *self);
HOTNODE_AVAILABLE_IN_ALL
char *hot_diagnostic_to_string (HotDiagnostic *self) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
