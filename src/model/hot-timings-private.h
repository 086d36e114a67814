/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* When each stage of a reload ended (g_get_monotonic_time (); 0: it did
 * not happen), and which builder built it: HotStatus:timings. */
typedef struct
{
  gint64      changed;
  gint64      debounced;
  gint64      build_started;
  gint64      build_finished;
  gint64      copied;
  gint64      opened;
  gint64      patched;
  gint64      rebuilt;
  const char *builder; /* static */
} HotTimings;

GVariant *hot_timings_to_variant (const HotTimings *self);

G_END_DECLS
