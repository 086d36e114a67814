/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void         hot_process_run_async (const char *const  *argv,
                                    const char         *cwd,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data);
GSubprocess *hot_process_run_finish (GAsyncResult *result,
                                     GBytes      **output,
                                     GError      **error);

G_END_DECLS
