/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

JsonNode *bench_summary (double *values,
                         guint   n);
double    bench_median_of (JsonNode *node);
gboolean  bench_save_to_paint (JsonObject *figures,
                               guint       runs);
