/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What HOT_PROCESS_CAP_OUTPUT keeps of a command's output: the first and
 * the last half of this. */
#define HOT_PROCESS_OUTPUT_KEPT (512 * 1024)

typedef enum
{
  HOT_PROCESS_FLAGS_NONE = 0,
  HOT_PROCESS_CAP_OUTPUT = 1 << 0,
} HotProcessFlags;

void hot_process_run_full_async (const char *const  *argv,
                                 const char         *cwd,
                                 HotProcessFlags     flags,
                                 gpointer            hold,
                                 GDestroyNotify      release_hold,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data);

void         hot_process_run_async (const char *const  *argv,
                                    const char         *cwd,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data);
GSubprocess *hot_process_run_finish (GAsyncResult *result,
                                     GBytes      **output,
                                     GError      **error);

G_END_DECLS
