/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "hot-diagnostic.h"

G_BEGIN_DECLS

char       *hot_diagnostic_clean_output (const char *output,
                                         gssize      length);
GListModel *hot_diagnostic_parse (const char        *output,
                                  const char        *build_dir,
                                  const char *const *sources);
const char *hot_diagnostic_get_source_text (HotDiagnostic *self);

G_END_DECLS
