/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "hot-status.h"

G_BEGIN_DECLS

HotStatus *hot_status_new (const char *module,
                           const char *source_dir);
void       hot_status_set_building (HotStatus *self,
                                    gboolean   building);
void       hot_status_set_held (HotStatus *self,
                                gboolean   held);
void       hot_status_finish_build (HotStatus    *self,
                                    GTimeSpan     duration,
                                    const GError *error,
                                    GListModel   *diagnostics,
                                    guint         generation);
void       hot_status_clear_failure (HotStatus *self);

void hot_status_set_timings (HotStatus *self,
                             GVariant  *timings);
void hot_status_set_vanished_nodes (HotStatus         *self,
                                    const char *const *nodes);
void hot_status_set_crash (HotStatus  *self,
                           const char *node,
                           int         signum,
                           const char *backtrace);

G_END_DECLS
