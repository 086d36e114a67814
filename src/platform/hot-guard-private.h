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

/* What a guarded call runs, and so what a crash in it may come back from. */
typedef enum
{
  /* A generation's code (a node's constructor): a crash in that code,
   * called by nothing else, comes back as a report. */
  HOT_GUARD_NODE,
  /* dlopen () of a generation: its ELF constructors run with the system's
   * library loader locked, so no crash comes back: the process ends with
   * a report, as it would have ended without hotnode. */
  HOT_GUARD_LOAD,
} HotGuardKind;

typedef void (*HotGuardFunc) (gpointer data);

/* Marks a function given to hot_guard_call() that calls a generation's
 * code directly: a crash may come back only when the generation's code is
 * all there is between the crash and a return into such a function. */
#define HOT_GUARD_ENTRY __attribute__ ((noinline, section ("hotnode_guard_entry")))

gboolean hot_guard_call (HotGuardKind kind,
                         const char  *name,
                         HotGuardFunc func,
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
