/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What hot_guard_call() caught. */
typedef struct
{
  int      signal; /* SIGSEGV, …; SIGALRM when it ran past its deadline */
  gboolean timed_out;
  char    *backtrace; /* one frame a line, innermost first */
} HotCrash;

typedef void (*HotGuardFunc) (gpointer data);

gboolean hot_guard_call (HotGuardFunc func,
                         gpointer     data,
                         guint        timeout_ms,
                         HotCrash    *crash,
                         GError     **error);
void     hot_crash_clear (HotCrash *crash);
char    *hot_signal_name (int signum);

gboolean hot_guard_add_code (gconstpointer start,
                             gsize         size);
gboolean hot_guard_add_library (gpointer handle);
void     hot_guard_remove_library (gpointer handle);

G_END_DECLS
