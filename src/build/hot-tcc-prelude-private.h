/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "hot-prelude-prune-private.h"

G_BEGIN_DECLS

char    *hot_tcc_source_prologue (const char *contents);
char    *hot_tcc_repair_definitions (const char *text,
                                     gsize       length);
char    *hot_tcc_find_aliases (const char *text,
                               gsize       length,
                               const char *cwd);
char    *hot_tcc_prelude_key (const char        *prologue,
                              const char *const *flags,
                              const char        *headers);
void     hot_tcc_prelude_make_async (const char *const  *flags,
                                     const char         *prologue,
                                     const char         *work_dir,
                                     const char         *key,
                                     const char         *cwd,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
gboolean hot_tcc_prelude_make_finish (GAsyncResult     *result,
                                      char            **prelude,
                                      HotPreludeIndex **index,
                                      GError          **error);
gboolean hot_tcc_prelude_write_copy (const char *source,
                                     const char *prologue,
                                     const char *file,
                                     const char *copy_path,
                                     gboolean   *written,
                                     GError    **error);

G_END_DECLS
