/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE /* gettid, SIGEV_THREAD_ID, REG_RIP, dlinfo: this file is the Linux one */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <glib/gi18n-lib.h>
#include <link.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "hot-guard-private.h"
#include "hot-reload.h"

/*
 * Guarded calls (Linux): running code of a new generation so that a crash in
 * it, or code of it that never returns, comes back as a report instead of
 * ending the process.
 *
 * Crashes. While any thread is in a guarded call, handlers of ours for
 * SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT and SIGTRAP replace the app's
 * (process-wide; guard_users counts the threads in one, app_handlers keeps
 * the app's); when the last such call ends the app's are put back. A crash
 * jumps to the innermost guarded call of the thread it happened in; in a
 * thread outside any, it goes to the app's handler as if we were not here.
 * Crashes are caught wherever they happen: no code needs registering.
 *
 * Nesting. A constructor may build another hot node, which is a guarded call
 * inside a guarded call. Each call keeps a HotGuard on its own stack (its
 * jump buffer and the call it is nested in), and per thread:
 *
 *   guard_current   the innermost call; NULL outside any. A call sets it to
 *                   itself on entry and back to its outer call on every way
 *                   out (return, crash, deadline).
 *   guard_deadline  the call whose deadline is armed; NULL when none. It is
 *                   the outermost call that asked for one: calls nested in it
 *                   run under its deadline and arm none (their own
 *                   timeout_ms is ignored). When it passes, that call is the
 *                   one stopped, with every call nested in it.
 *   guard_timer     the timer of guard_deadline.
 *
 * The deadline. The timer sends a real-time signal of ours (deadline_signal:
 * the app's SIGALRM stays the app's) to the thread of the call. Its handler
 * is installed once and stays, so a late one is ignored. It stops the call
 * only when the thread was interrupted in registered code (guarded_code:
 * the generations' own code, hot_guard_add_library()); anywhere else (in
 * malloc, in GLib holding a lock, in a GType class_init) it returns, and the
 * timer's interval brings it back RETRY_MS later. The call that armed the
 * timer deletes it before it clears guard_deadline, and the handler does
 * nothing once that is NULL.
 *
 * guarded_code is appended to under a lock and read by the handler without
 * one: a fixed array whose count grows atomically after an entry is
 * written; removing a library empties its entries' ranges, and entries are
 * never reused.
 */

#define RETRY_MS 5
#define MAX_CODE_RANGES 4096

static const int guarded_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP };

typedef struct _HotGuard HotGuard;
struct _HotGuard
{
  sigjmp_buf jump;
  HotGuard  *outer;
};

/* Per thread: a signal in another thread is none of ours. */
static _Thread_local HotGuard *volatile guard_current;
static _Thread_local HotGuard *volatile guard_deadline;
static _Thread_local timer_t               guard_timer;
static _Thread_local volatile sig_atomic_t guard_signal;
static _Thread_local void                 *guard_frames[48];
static _Thread_local volatile int          guard_n_frames;

/* The app's own handlers, set aside while any thread is in a guarded call. */
G_LOCK_DEFINE_STATIC (guard_handlers);
static guint            guard_users;
static struct sigaction app_handlers[G_N_ELEMENTS (guarded_signals)];

static int deadline_signal; /* 0 until installed, -1 when none was free */

typedef struct
{
  gpointer start; /* atomic */
  gpointer end;   /* atomic; end <= start for a removed range */
  gpointer owner; /* the dlopen handle, or NULL */
} CodeRange;

G_LOCK_DEFINE_STATIC (guarded_code);
static CodeRange guarded_code[MAX_CODE_RANGES];
static int       n_guarded_code; /* atomic */

/* The instruction the signal interrupted; NULL where this is not known,
 * and then the deadline never stops anything. */
static gconstpointer
interrupted_pc (const void *context)
{
  const ucontext_t *ucontext = context;

#if defined(__x86_64__)
  return (gconstpointer) ucontext->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
  return (gconstpointer) ucontext->uc_mcontext.pc;
#else
  (void) ucontext;
  return NULL;
#endif
}

/* Async-signal-safe. */
static gboolean
is_guarded_code (gconstpointer pc)
{
  int n = g_atomic_int_get (&n_guarded_code);

  for (int i = 0; pc != NULL && i < n; i++)
    {
      const char *start = g_atomic_pointer_get (&guarded_code[i].start);
      const char *end = g_atomic_pointer_get (&guarded_code[i].end);

      if ((const char *) pc >= start && (const char *) pc < end)
        return TRUE;
    }

  return FALSE;
}

static gboolean
add_range (gconstpointer start,
           gsize         size,
           gpointer      owner)
{
  gboolean added = FALSE;
  int      n;

  G_LOCK (guarded_code);
  n = g_atomic_int_get (&n_guarded_code);
  if (n < MAX_CODE_RANGES)
    {
      guarded_code[n].owner = owner;
      g_atomic_pointer_set (&guarded_code[n].start, (gpointer) start);
      g_atomic_pointer_set (&guarded_code[n].end, (gpointer) ((const char *) start + size));
      g_atomic_int_set (&n_guarded_code, n + 1);
      added = TRUE;
    }
  G_UNLOCK (guarded_code);

  if (!added)
    g_warning_once ("More than %d pieces of code to guard: the deadline stops no further library", MAX_CODE_RANGES);

  return added;
}

static void
crash_handler (int        signum,
               siginfo_t *info,
               void      *context)
{
  if (guard_current == NULL)
    {
      /* Not a guarded call (another thread): hand the signal to what the app
       * had, as if we were not here. */
      for (guint i = 0; i < G_N_ELEMENTS (guarded_signals); i++)
        {
          const struct sigaction *app = &app_handlers[i];

          if (guarded_signals[i] != signum)
            continue;
          if ((app->sa_flags & SA_SIGINFO) != 0)
            app->sa_sigaction (signum, info, context);
          else if (app->sa_handler == SIG_IGN)
            return;
          else if (app->sa_handler != SIG_DFL)
            app->sa_handler (signum);
          else
            {
              signal (signum, SIG_DFL);
              raise (signum);
            }
          return;
        }
      return;
    }

  guard_signal = signum;
  guard_n_frames = backtrace (guard_frames, G_N_ELEMENTS (guard_frames));
  siglongjmp (guard_current->jump, 1);
}

static void
deadline_handler (int        signum,
                  siginfo_t *info,
                  void      *context)
{
  HotGuard *owner = guard_deadline;

  /* Late, or not from our timer: ours to ignore. */
  if (owner == NULL || info->si_code != SI_TIMER)
    return;

  /* Not in the generation's own code: never abandon malloc, GLib or GTK
   * half way. The timer's interval tries again. */
  if (!is_guarded_code (interrupted_pc (context)))
    return;

  guard_signal = SIGALRM;
  guard_n_frames = backtrace (guard_frames, G_N_ELEMENTS (guard_frames));
  siglongjmp (owner->jump, 1);
}

/* Picks a real-time signal that nobody handles, once, and keeps our
 * handler on it for the life of the process. */
static int
ensure_deadline_signal (void)
{
  static gsize installed;

  if (g_once_init_enter (&installed))
    {
      struct sigaction action = { 0 };
      int              chosen = -1;

      action.sa_sigaction = deadline_handler;
      action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
      sigemptyset (&action.sa_mask);

      /* The lowest few are the ones apps take first. */
      for (int signum = SIGRTMIN + 4; signum <= SIGRTMAX && chosen < 0; signum++)
        {
          struct sigaction current;

          if (sigaction (signum, NULL, &current) == 0 &&
              (current.sa_flags & SA_SIGINFO) == 0 && current.sa_handler == SIG_DFL &&
              sigaction (signum, &action, NULL) == 0)
            chosen = signum;
        }

      deadline_signal = chosen;
      g_once_init_leave (&installed, 1);
    }

  return deadline_signal;
}

static void
guard_handlers_acquire (void)
{
  struct sigaction action = { 0 };

  action.sa_sigaction = crash_handler;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset (&action.sa_mask);

  G_LOCK (guard_handlers);
  if (guard_users++ == 0)
    for (guint i = 0; i < G_N_ELEMENTS (guarded_signals); i++)
      sigaction (guarded_signals[i], &action, &app_handlers[i]);
  G_UNLOCK (guard_handlers);
}

static void
guard_handlers_release (void)
{
  G_LOCK (guard_handlers);
  if (--guard_users == 0)
    for (guint i = 0; i < G_N_ELEMENTS (guarded_signals); i++)
      sigaction (guarded_signals[i], &app_handlers[i], NULL);
  G_UNLOCK (guard_handlers);
}

/* A stack for the handlers, so that a stack overflow is caught too, freed
 * when the thread ends. A thread that has one already (ASan gives each
 * thread its own) keeps it. */
static void
release_alternate_stack (gpointer stack)
{
  stack_t disable = { .ss_flags = SS_DISABLE };

  sigaltstack (&disable, NULL);
  g_free (stack);
}

static GPrivate alternate_stack = G_PRIVATE_INIT (release_alternate_stack);

static void
ensure_alternate_stack (void)
{
  stack_t current, stack = { 0 };

  if (g_private_get (&alternate_stack) == NULL &&
      (sigaltstack (NULL, &current) != 0 || (current.ss_flags & SS_DISABLE) != 0))
    {
      stack.ss_size = MAX (SIGSTKSZ, 64 * 1024);
      stack.ss_sp = g_malloc (stack.ss_size);
      if (sigaltstack (&stack, NULL) == 0)
        g_private_set (&alternate_stack, stack.ss_sp);
      else
        g_free (stack.ss_sp);
    }

  /* backtrace() loads libgcc on its first call: not in a handler. */
  guard_n_frames = backtrace (guard_frames, 1);
}

static gboolean
arm_deadline (guint    timeout_ms,
              GError **error)
{
  struct sigevent   event = { 0 };
  struct itimerspec deadline = { 0 };
  int               signum = ensure_deadline_signal ();

  if (signum < 0)
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_FAILED,
                   _ ("New code was not run: every real-time signal is taken by the app, and "
                      "hotnode needs one to stop code that does not return"));
      return FALSE;
    }

  /* The deadline signals this thread, not whichever thread the kernel picks. */
  event.sigev_notify = SIGEV_THREAD_ID;
  event.sigev_signo = signum;
  event._sigev_un._tid = gettid (); /* sigev_notify_thread_id, not spelled out by glibc 2.36 */
  if (timer_create (CLOCK_MONOTONIC, &event, &guard_timer) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_FAILED,
                   _ ("New code was not run: could not create the timer that stops it after %u ms (%s); "
                      "check the limit of pending signals (ulimit -i)"),
                   timeout_ms, g_strerror (saved_errno));
      return FALSE;
    }

  deadline.it_value.tv_sec = timeout_ms / 1000;
  deadline.it_value.tv_nsec = (long) (timeout_ms % 1000) * 1000000;
  deadline.it_interval.tv_nsec = RETRY_MS * 1000000L;
  timer_settime (guard_timer, 0, &deadline, NULL);

  return TRUE;
}

/* Where @frame (a return address, or the faulting instruction when
 * @exact) is in the source, as `file:line`, by `addr2line` on the object
 * that holds it; NULL when that object has no debug information, when the
 * frame is not in a generation's code, or with no addr2line (binutils
 * comes with gcc; hotnode does not need it otherwise). Only after a crash,
 * never in a handler. */
static char *
frame_source (gconstpointer frame,
              gboolean      exact)
{
  g_autofree char *addr2line = NULL;
  g_autofree char *address = NULL;
  g_autofree char *out = NULL;
  g_autofree char *object = NULL;
  Dl_info          info;
  int              status;

  if (!is_guarded_code (frame) || dladdr (frame, &info) == 0 || info.dli_fname == NULL ||
      (addr2line = g_find_program_in_path ("addr2line")) == NULL)
    return NULL;

  address = g_strdup_printf ("%#" G_GINTPTR_MODIFIER "x",
                             (gintptr) ((const char *) frame - (const char *) info.dli_fbase - (exact ? 0 : 1)));
  object = g_strdup (info.dli_fname);
  if (!g_spawn_sync (NULL, (char *[]){ addr2line, (char *) "-e", object, address, NULL }, NULL,
                     G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status, NULL) ||
      !g_spawn_check_wait_status (status, NULL) || out == NULL)
    return NULL;

  /* "file:line", "file:line (discriminator 2)", or "??:0" / "file:?". */
  out[strcspn (out, " \n")] = '\0';
  if (g_str_has_prefix (out, "??") || g_str_has_suffix (out, ":?") || g_str_has_suffix (out, ":0"))
    return NULL;

  return g_steal_pointer (&out);
}

static void
fill_crash (HotCrash *crash)
{
  g_autoptr (GString) frames = g_string_new (NULL);
  char **symbols; /* one block: array and strings, for free() */
  guint  resolved = 0;

  crash->signal = guard_signal;
  crash->timed_out = guard_signal == SIGALRM;
  symbols = backtrace_symbols (guard_frames, guard_n_frames);
  /* Skip the handler and the signal trampoline. The first frame of the
   * generation's code is given its source line (" at file:line"). */
  for (int i = 2; symbols != NULL && i < guard_n_frames; i++)
    {
      g_autofree char *where = resolved < 1 ? frame_source (guard_frames[i], i == 2) : NULL;

      resolved += where != NULL;
      g_string_append_printf (frames, "%s%s%s\n", symbols[i], where ? " at " : "", where ? where : "");
    }
  free (symbols);
  crash->backtrace = g_string_free (g_steal_pointer (&frames), FALSE);
}

/**
 * hot_guard_call:
 * @func: the function to call
 * @data: its argument
 * @timeout_ms: how long it may run; 0 for no limit. Ignored in a call nested
 *   in one that has a deadline already: the outer deadline covers both.
 * @crash: (out caller-allocates): what happened, when it returns %FALSE;
 *   zeroed on every path
 * @error: return location for a #GError
 *
 * Calls @func in the calling thread so that a crash in it (SIGSEGV, SIGBUS,
 * SIGFPE, SIGILL, abort() and failed assertions, traps) or running past
 * @timeout_ms in registered code (hot_guard_add_library()) returns %FALSE
 * with a report in @crash, instead of ending the process. Whatever @func was
 * doing is abandoned where it was: memory it allocated leaks, and objects it
 * was changing may be half changed. Past the deadline, code that is not
 * registered (GLib, GTK, the app) runs on until the thread is back in
 * registered code; a deadline reports `SIGALRM` with @crash->timed_out set.
 *
 * Calls nest: a guarded call inside @func catches what happens inside it,
 * and @func goes on after it.
 *
 * Returns: %TRUE when @func returned normally; %FALSE when it crashed or
 *   was stopped (@crash says how), or when the deadline could not be set up
 *   (@error says why, @func was not called)
 */
gboolean
hot_guard_call (HotGuardFunc func,
                gpointer     data,
                guint        timeout_ms,
                HotCrash    *crash,
                GError     **error)
{
  HotGuard          guard;
  volatile gboolean returned = FALSE;
  gboolean          owns_deadline;

  g_return_val_if_fail (crash != NULL, FALSE);
  memset (crash, 0, sizeof (HotCrash));
  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  guard.outer = guard_current;
  owns_deadline = timeout_ms > 0 && guard_deadline == NULL;

  if (guard.outer == NULL)
    {
      ensure_alternate_stack ();
      guard_handlers_acquire ();
    }

  if (owns_deadline && !arm_deadline (timeout_ms, error))
    {
      if (guard.outer == NULL)
        guard_handlers_release ();
      return FALSE;
    }

  if (sigsetjmp (guard.jump, 1) == 0)
    {
      guard_current = &guard;
      if (owns_deadline)
        guard_deadline = &guard;
      func (data);
      returned = TRUE;
    }

  /* Here after a return, a crash in this call (not in one nested in it,
   * which lands in its own), or the deadline this call armed. */
  if (owns_deadline)
    {
      timer_delete (guard_timer);
      guard_deadline = NULL;
    }
  guard_current = guard.outer;
  if (guard.outer == NULL)
    guard_handlers_release ();

  if (!returned)
    fill_crash (crash);

  return returned;
}

/**
 * hot_guard_add_code:
 * @start: the first instruction of a piece of code
 * @size: its length in bytes
 *
 * Lets the deadline of hot_guard_call() stop code running between @start
 * and @start + @size.
 *
 * Returns: %FALSE when too many pieces are registered already
 */
gboolean
hot_guard_add_code (gconstpointer start,
                    gsize         size)
{
  g_return_val_if_fail (start != NULL, FALSE);

  return add_range (start, size, NULL);
}

typedef struct
{
  struct link_map *map;
  gpointer         handle;
  gboolean         found;
  gboolean         added;
} FindLibrary;

static int
add_executable_segments (struct dl_phdr_info *info,
                         size_t               size,
                         void                *data)
{
  FindLibrary *find = data;

  if (info->dlpi_addr != find->map->l_addr || g_strcmp0 (info->dlpi_name, find->map->l_name) != 0)
    return 0;

  find->found = find->added = TRUE;
  for (guint i = 0; i < info->dlpi_phnum; i++)
    {
      const ElfW (Phdr) *segment = &info->dlpi_phdr[i];

      if (segment->p_type == PT_LOAD && (segment->p_flags & PF_X) != 0)
        find->added &= add_range ((gconstpointer) (info->dlpi_addr + segment->p_vaddr),
                                  segment->p_memsz, find->handle);
    }

  return 1;
}

/**
 * hot_guard_add_library:
 * @handle: what dlopen() returned
 *
 * Lets the deadline of hot_guard_call() stop code of the library @handle
 * (its executable segments) that runs past it.
 *
 * Returns: %FALSE when the library was not found, or too many pieces of code
 *   are registered already
 */
gboolean
hot_guard_add_library (gpointer handle)
{
  FindLibrary find = { NULL, handle, FALSE, FALSE };

  g_return_val_if_fail (handle != NULL, FALSE);

  if (dlinfo (handle, RTLD_DI_LINKMAP, &find.map) != 0 || find.map == NULL)
    return FALSE;

  dl_iterate_phdr (add_executable_segments, &find);

  return find.found && find.added;
}

/**
 * hot_guard_remove_library:
 * @handle: a handle given to hot_guard_add_library()
 *
 * Forgets the code of @handle, before it is closed: the address range may
 * hold other code afterwards.
 */
void
hot_guard_remove_library (gpointer handle)
{
  int n;

  g_return_if_fail (handle != NULL);

  G_LOCK (guarded_code);
  n = g_atomic_int_get (&n_guarded_code);
  for (int i = 0; i < n; i++)
    if (guarded_code[i].owner == handle)
      {
        g_atomic_pointer_set (&guarded_code[i].end, NULL);
        guarded_code[i].owner = NULL;
      }
  G_UNLOCK (guarded_code);
}

/**
 * hot_crash_clear:
 * @crash: what hot_guard_call() filled in
 *
 * Frees what @crash holds.
 */
void
hot_crash_clear (HotCrash *crash)
{
  g_clear_pointer (&crash->backtrace, g_free);
}

/**
 * hot_signal_name:
 * @signum: a signal
 *
 * Returns: (transfer full): the signal's name, as `SIGSEGV`
 */
char *
hot_signal_name (int signum)
{
  const char *abbreviation = sigabbrev_np (signum);

  return abbreviation ? g_strconcat ("SIG", abbreviation, NULL) : g_strdup_printf ("signal %d", signum);
}
