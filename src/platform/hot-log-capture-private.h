/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _HotLogCapture HotLogCapture;

HotLogCapture *hot_log_capture_begin (void) G_GNUC_WARN_UNUSED_RESULT;
GPtrArray     *hot_log_capture_end (HotLogCapture *capture) G_GNUC_WARN_UNUSED_RESULT;
gboolean       hot_log_capture_is_supported (void);

G_END_DECLS
