/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hot-project-private.h"

G_BEGIN_DECLS

gboolean hot_pch_write_tcc_header (const char *path,
                                   GError    **error);
char    *hot_pch_header_text (const char *prologue);
char    *hot_pch_header_path (const char              *work_dir,
                              const HotCompileCommand *command,
                              const char              *prologue);
GStrv    hot_pch_prepare (const char              *work_dir,
                          const HotCompileCommand *command,
                          const char              *prologue,
                          char                   **header,
                          GError                 **error);

G_END_DECLS
