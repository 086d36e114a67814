/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean hot_elf_check (const char *contents,
                        gsize       length,
                        const char *path,
                        GError    **error);
char   **hot_elf_read_needed (const char *contents,
                              gsize       length,
                              char      **runpath);
gboolean hot_elf_make_sections_writable (const char        *object_path,
                                         const char *const *names,
                                         GError           **error);

G_END_DECLS
