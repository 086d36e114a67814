/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean hot_file_write (const char *path,
                         const char *contents,
                         gsize       length,
                         int         mode,
                         GError    **error);

G_END_DECLS
