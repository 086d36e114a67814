/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE /* gettid, SIGEV_THREAD_ID, REG_RIP, dlinfo: this file is the Linux one */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h> /* backtrace_symbols */
#include <glib/gi18n-lib.h>
#include <link.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <unwind.h>

#include "hot-guard-private.h"
#include "hot-error.h"

/*
 * Guarded calls (Linux): running code of a new generation so that a crash in
 * it, or code of it that never returns, comes back as a report instead of
 * ending the process, when that can be done safely; and otherwise ends the
 * process with a report, as it would have ended without hotnode.
 *
 * Crashes. While any thread is in a guarded call, handlers of ours for
 * SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT and SIGTRAP replace the app's
 * (process-wide; guard_users counts the threads in one, app_handlers keeps
 * the app's); when the last such call ends the app's are put back. In a
 * thread outside any guarded call, a signal goes to the app's handler as if
 * we were not here.
 *
 * What may come back. Jumping out of a crash abandons every frame between
 * it and the guard. That is safe only for the generation's own code: a
 * frame of the C library, GLib, GTK or the dynamic loader may hold a lock
 * (malloc's, GType's class lock, the loader's) or be half way through its
 * own state (g_logv's depth), and jumping out of it hangs or aborts the app
 * later. So the handler judges, async-signal-safely (judge()):
 *
 *   - the interrupted instruction must be registered code (guarded_code:
 *     the generations' own code, hot_guard_add_library());
 *   - walking its callers back, every frame must be registered code, up to
 *     a return into a function marked HOT_GUARD_ENTRY (the one that calls
 *     the generation, or guard_invoke()). The walk uses the unwind tables
 *     (libgcc's unwinder, which finds them without a lock) and, where a
 *     frame has none (tcc writes none), its frame pointers, within the
 *     stack between the interrupted frame and the guard;
 *   - a crash lands in the innermost call (guard_current); the deadline in
 *     the call that armed it, so every call nested in that one must have
 *     been entered from the generation's or hotnode's own code (checked
 *     once when it is entered: entry_clean).
 *
 * Whatever cannot be proved is not recoverable. Then nothing comes back:
 * the handler writes a report to stderr with write () (no allocation, no
 * GLib), puts back the app's handler for that signal (or the default) and
 * lets the signal end the process as it would have: a fault is executed
 * again, a raised signal is raised again. A guard of kind HOT_GUARD_LOAD
 * (dlopen) never comes back. After a jump, the report is made by
 * hot_guard_call () in ordinary code (fill_crash ()).
 *
 * Nesting. A constructor may build another hot node, which is a guarded call
 * inside a guarded call. Each call keeps a HotGuard on its own stack (its
 * jump buffer, the call it is nested in, its kind and name, entry_clean),
 * and per thread:
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
 * only when judge () says the thread can be taken back to it; anywhere else
 * (in malloc, in GLib holding a lock, in a GType class_init) it returns, and
 * the timer's interval brings it back RETRY_MS later. The call that armed
 * the timer deletes it before it clears guard_deadline, and the handler
 * does nothing once that is NULL.
 *
 * guarded_code is a fixed array written under a lock and read by the
 * handlers without one. Each entry has a sequence number, odd while the
 * entry is being written: a reader that sees it odd, or changed by the time
 * it has read the range, does not use the entry. Removing a library empties
 * its entries, which are used again for later libraries; n_guarded_code is
 * how many entries were ever used.
 */

#define RETRY_MS 5
#define MAX_CODE_RANGES 4096

static const int guarded_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP };

typedef struct _HotGuard HotGuard;
struct _HotGuard
{
  sigjmp_buf   jump;
  HotGuard    *outer;
  HotGuardKind kind;
  const char  *name;        /* for the report, or NULL */
  gboolean     entry_clean; /* entered from the outer call's generation code
                             * through hotnode's own code only */
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
  guint    sequence; /* atomic; odd while the entry is written */
  gpointer start;    /* atomic */
  gpointer end;      /* atomic; NULL for an entry not in use */
  gpointer owner;    /* the dlopen handle, or NULL; under the lock */
} CodeRange;

G_LOCK_DEFINE_STATIC (guarded_code);
static CodeRange guarded_code[MAX_CODE_RANGES];
static int       n_guarded_code; /* atomic; entries ever used */

/* hotnode's own code (the image hot_guard_call () is in), which may be
 * between a nested guarded call and the generation's code that made it. */
static guintptr own_code_start, own_code_end;

/* The functions marked HOT_GUARD_ENTRY. */
extern const char __start_hotnode_guard_entry[] __attribute__ ((weak, visibility ("hidden")));
extern const char __stop_hotnode_guard_entry[] __attribute__ ((weak, visibility ("hidden")));

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
      CodeRange  *range = &guarded_code[i];
      guint       sequence = g_atomic_int_get (&range->sequence);
      const char *start, *end;

      if (sequence % 2 != 0)
        continue;
      start = g_atomic_pointer_get (&range->start);
      end = g_atomic_pointer_get (&range->end);
      /* Rewritten while it was read: a mix of two ranges. */
      if ((guint) g_atomic_int_get (&range->sequence) != sequence)
        continue;
      if ((const char *) pc >= start && (const char *) pc < end)
        return TRUE;
    }

  return FALSE;
}

/* Under the lock. */
static void
write_range (CodeRange    *range,
             gconstpointer start,
             gconstpointer end,
             gpointer      owner)
{
  g_atomic_int_inc (&range->sequence);
  g_atomic_pointer_set (&range->start, (gpointer) start);
  g_atomic_pointer_set (&range->end, (gpointer) end);
  range->owner = owner;
  g_atomic_int_inc (&range->sequence);
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
  for (int i = 0; i <= n && i < MAX_CODE_RANGES && !added; i++)
    if (i == n || g_atomic_pointer_get (&guarded_code[i].end) == NULL)
      {
        write_range (&guarded_code[i], start, (const char *) start + size, owner);
        if (i == n)
          g_atomic_int_set (&n_guarded_code, n + 1);
        added = TRUE;
      }
  G_UNLOCK (guarded_code);

  if (!added)
    g_warning_once ("More than %d pieces of code to guard at once: the deadline stops no further library",
                    MAX_CODE_RANGES);

  return added;
}

/* Judging a crash (or the deadline) where it happened: async-signal-safe,
 * no allocation, no lock. */

typedef enum
{
  VERDICT_CLEAN,       /* only the generation's code in between: jump */
  VERDICT_FOREIGN,     /* interrupted in code that is not a generation's */
  VERDICT_CALLED_BACK, /* a generation's code called through other code */
  VERDICT_UNPROVEN,    /* its callers could not be followed to the guard */
  VERDICT_LOADING,     /* in a guard around dlopen () */
} Verdict;

typedef enum
{
  FRAME_ENTRY,   /* a return into a HOT_GUARD_ENTRY function */
  FRAME_ALLOWED, /* a generation's code (or hotnode's, when allowed) */
  FRAME_OTHER,
} FrameKind;

typedef struct
{
  guintptr pc;        /* the interrupted instruction; 0 for the walker's caller */
  gboolean allow_own; /* hotnode's own code may be in between */
  gboolean record;    /* keep the frames in guard_frames */
  gboolean started;   /* the unwinder reached the interrupted frame */
  gboolean decided;
  Verdict  verdict;
  guintptr frame_pointer; /* of the last frame the unwinder reached */
  int      n_frames;
} Walk;

static FrameKind
classify_frame (guintptr address,
                gboolean allow_own)
{
  if (address >= (guintptr) __start_hotnode_guard_entry && address < (guintptr) __stop_hotnode_guard_entry)
    return FRAME_ENTRY;
  if (is_guarded_code ((gconstpointer) address) ||
      (allow_own && address >= own_code_start && address < own_code_end))
    return FRAME_ALLOWED;
  return FRAME_OTHER;
}

static void
record_frame (Walk    *walk,
              guintptr ip)
{
  if (walk->record && ip != 0 && walk->n_frames < (int) G_N_ELEMENTS (guard_frames))
    guard_frames[walk->n_frames++] = (void *) ip;
}

#if defined(__x86_64__)
#define FRAME_POINTER_REGISTER 6 /* rbp, in DWARF's numbering */
#endif

static _Unwind_Reason_Code
walk_unwound_frame (struct _Unwind_Context *context,
                    void                   *data)
{
  Walk    *walk = data;
  int      exact = 0;
  guintptr ip = _Unwind_GetIPInfo (context, &exact);

  if (!walk->started)
    {
      /* The handler's frames and the signal's: not the walk's. */
      if (walk->pc != 0 && ip != walk->pc)
        return _URC_NO_REASON;
      walk->started = TRUE;
      exact = walk->pc != 0;
    }

  record_frame (walk, ip);
  if (walk->decided)
    return walk->n_frames < (int) G_N_ELEMENTS (guard_frames) ? _URC_NO_REASON : _URC_END_OF_STACK;

  /* A return address is past its call: look at the call. */
  switch (classify_frame (exact ? ip : ip - 1, walk->allow_own))
    {
    case FRAME_ENTRY:
      walk->decided = TRUE;
      walk->verdict = VERDICT_CLEAN;
      /* Go on only to fill in the backtrace. */
      return walk->record ? _URC_NO_REASON : _URC_END_OF_STACK;
    case FRAME_ALLOWED:
#ifdef FRAME_POINTER_REGISTER
      walk->frame_pointer = _Unwind_GetGR (context, FRAME_POINTER_REGISTER);
#endif
      return _URC_NO_REASON;
    case FRAME_OTHER:
    default:
      walk->decided = TRUE;
      walk->verdict = VERDICT_CALLED_BACK;
      return _URC_END_OF_STACK;
    }
}

/* From a frame the unwinder could not go past (code with no unwind
 * tables, as tcc writes it): its frame pointer, the saved ones and return
 * addresses beside them, as long as they stay on the stack between @low
 * and @high and go up it. */
static Verdict
walk_frame_pointers (Walk    *walk,
                     guintptr frame_pointer,
                     guintptr low,
                     guintptr high)
{
#ifdef FRAME_POINTER_REGISTER
  for (;;)
    {
      const guintptr *frame = (const guintptr *) frame_pointer;
      guintptr        ret;

      if (frame_pointer < low || frame_pointer % sizeof (guintptr) != 0 || frame_pointer + 2 * sizeof (guintptr) > high)
        return VERDICT_UNPROVEN;

      ret = frame[1];
      record_frame (walk, ret);
      switch (classify_frame (ret - 1, walk->allow_own))
        {
        case FRAME_ENTRY:
          return VERDICT_CLEAN;
        case FRAME_ALLOWED:
          break;
        case FRAME_OTHER:
        default:
          return VERDICT_CALLED_BACK;
        }

      if (frame[0] <= frame_pointer)
        return VERDICT_UNPROVEN;
      frame_pointer = frame[0];
    }
#else
  return VERDICT_UNPROVEN;
#endif
}

/* Whether every frame from the interrupted instruction (@pc, with the
 * registers of @context) or, with @context NULL, from the caller back to
 * a return into a HOT_GUARD_ENTRY function is the generation's code (and,
 * with @allow_own, hotnode's own), on the stack below @high. */
static Verdict
walk_to_entry (guintptr    pc,
               const void *context,
               gboolean    allow_own,
               guintptr    high)
{
  Walk     walk = { pc, allow_own, context != NULL };
  guintptr low = (guintptr) &walk;
  guintptr frame_pointer = 0;

#if defined(__x86_64__)
  if (context != NULL)
    {
      const ucontext_t *ucontext = context;

      low = (guintptr) ucontext->uc_mcontext.gregs[REG_RSP];
      frame_pointer = (guintptr) ucontext->uc_mcontext.gregs[REG_RBP];
    }
#endif

  _Unwind_Backtrace (walk_unwound_frame, &walk);
  if (walk.decided)
    {
      if (walk.record)
        guard_n_frames = walk.n_frames;
      return walk.verdict;
    }

  /* The unwinder stopped in allowed code with no unwind tables. */
  if (walk.started)
    frame_pointer = walk.frame_pointer;
  else if (context == NULL)
    return VERDICT_UNPROVEN;
  walk.verdict = walk_frame_pointers (&walk, frame_pointer, low, high);
  if (walk.record)
    guard_n_frames = walk.n_frames;

  return walk.verdict;
}

/* Whether the thread can be taken back from the interrupted instruction
 * @pc (registers in @context) to @target. */
static Verdict
judge (gconstpointer pc,
       const void   *context,
       HotGuard     *target)
{
  Verdict verdict;

  if (target->kind == HOT_GUARD_LOAD)
    return VERDICT_LOADING;
  if (!is_guarded_code (pc))
    return VERDICT_FOREIGN;

  verdict = walk_to_entry ((guintptr) pc, context, FALSE, (guintptr) guard_current);
  for (HotGuard *guard = guard_current; verdict == VERDICT_CLEAN && guard != target; guard = guard->outer)
    if (!guard->entry_clean || guard->outer == NULL)
      verdict = VERDICT_CALLED_BACK;

  return verdict;
}

static void
write_text (const char *text)
{
  gsize length = text != NULL ? strlen (text) : 0;

  while (length > 0)
    {
      gssize written = write (STDERR_FILENO, text, length);

      if (written < 0 && errno == EINTR)
        continue;
      if (written <= 0)
        return;
      text += written;
      length -= written;
    }
}

static void
write_report (int       signum,
              HotGuard *guard,
              Verdict   verdict)
{
  const char *abbreviation = sigabbrev_np (signum);
  const char *description = sigdescr_np (signum);
  char        number[16];
  int         i = sizeof number;

  write_text ("hotnode: SIG");
  if (abbreviation != NULL)
    write_text (abbreviation);
  else
    {
      number[--i] = '\0';
      for (unsigned n = (unsigned) signum; i == (int) sizeof number - 1 || n > 0; n /= 10)
        number[--i] = (char) ('0' + n % 10);
      write_text (number + i);
    }
  if (description != NULL)
    {
      write_text (" (");
      write_text (description);
      write_text (")");
    }

  if (verdict == VERDICT_LOADING)
    {
      write_text (" while loading the new library of module “");
      write_text (guard->name != NULL ? guard->name : "?");
      write_text ("”: in an ELF constructor of it, or of a library it loads, run by dlopen () with the system's "
                  "library loader locked (or while hotnode read its tables).\n");
    }
  else
    {
      write_text (" in the new code of hot node “");
      write_text (guard->name != NULL ? guard->name : "?");
      if (verdict == VERDICT_FOREIGN)
        write_text ("”, inside other code it called (the C library, GLib, GTK, the app): abort (), g_error (), a "
                    "failed g_assert (), free () of memory freed already.\n");
      else if (verdict == VERDICT_CALLED_BACK)
        write_text ("”, called back through other code (the C library, GLib, GTK): a GObject class_init, a "
                    "signal handler, a callback.\n");
      else
        write_text ("”, whose callers could not be followed back to hotnode (code with neither unwind tables "
                    "nor frame pointers).\n");
    }

  write_text ("hotnode: that code may hold locks or be half way through changing its own state, so hotnode "
              "cannot roll back safely: the app ends as it would without hotnode.\n");
}

/* Whether the kernel sent @signum for the instruction that was interrupted,
 * which then runs again when the handler returns. */
static gboolean
is_fault (int              signum,
          const siginfo_t *info)
{
  return (signum == SIGSEGV || signum == SIGBUS || signum == SIGFPE || signum == SIGILL) && info->si_code > 0;
}

/* Ends the process as the signal would have without hotnode. */
static void
die_of (int        signum,
        siginfo_t *info,
        HotGuard  *guard,
        Verdict    verdict)
{
  guard_current = NULL;
  guard_deadline = NULL;
  write_report (signum, guard, verdict);

  for (guint i = 0; i < G_N_ELEMENTS (guarded_signals); i++)
    if (guarded_signals[i] == signum)
      sigaction (signum, &app_handlers[i], NULL);

  if (!is_fault (signum, info))
    raise (signum);
}

static void
crash_handler (int        signum,
               siginfo_t *info,
               void      *context)
{
  int       saved_errno = errno;
  HotGuard *guard;
  Verdict   verdict;

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

  guard = guard_current;
  verdict = judge (interrupted_pc (context), context, guard);
  if (verdict == VERDICT_CLEAN)
    {
      guard_signal = signum;
      siglongjmp (guard->jump, 1);
    }

  die_of (signum, info, guard, verdict);
  errno = saved_errno;
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

  /* Not in the generation's own code, or called back through other code:
   * never abandon malloc, GLib or GTK half way. The timer's interval tries
   * again. */
  if (judge (interrupted_pc (context), context, owner) != VERDICT_CLEAN)
    return;

  guard_signal = SIGALRM;
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

static int
find_own_segments (struct dl_phdr_info *info,
                   size_t               size,
                   void                *data)
{
  guintptr here = (guintptr) data;
  guintptr start = UINTPTR_MAX, end = 0;
  gboolean mine = FALSE;

  for (guint i = 0; i < info->dlpi_phnum; i++)
    {
      const ElfW (Phdr) *segment = &info->dlpi_phdr[i];
      guintptr segment_start = info->dlpi_addr + segment->p_vaddr;

      if (segment->p_type != PT_LOAD || (segment->p_flags & PF_X) == 0)
        continue;
      start = MIN (start, segment_start);
      end = MAX (end, segment_start + segment->p_memsz);
      mine |= here >= segment_start && here < segment_start + segment->p_memsz;
    }

  if (!mine)
    return 0;

  own_code_start = start;
  own_code_end = end;
  return 1;
}

/* hotnode's own code, once; and the unwinder's first call (which sets up
 * its tables and binds its symbols) made here, not in a handler. */
static void
find_own_code (void)
{
  static gsize found;

  if (g_once_init_enter (&found))
    {
      dl_iterate_phdr (find_own_segments, (void *) (guintptr) hot_guard_call);
      walk_to_entry (0, NULL, TRUE, 0);
      g_once_init_leave (&found, 1);
    }
}

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

  find_own_code ();
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
  /* From the interrupted instruction on. The first frame of the
   * generation's code is given its source line (" at file:line"). */
  for (int i = 0; symbols != NULL && i < guard_n_frames; i++)
    {
      g_autofree char *where = resolved < 1 ? frame_source (guard_frames[i], i == 0) : NULL;

      resolved += where != NULL;
      g_string_append_printf (frames, "%s%s%s\n", symbols[i], where ? " at " : "", where ? where : "");
    }
  free (symbols);
  crash->backtrace = g_string_free (g_steal_pointer (&frames), FALSE);
}

/* The call of a generation's code that a walk from a crash ends at, when
 * hot_guard_call () is given that code itself. */
HOT_GUARD_ENTRY static void
guard_invoke (HotGuardFunc func,
              gpointer     data)
{
  func (data);
  /* Not a tail call: this frame stays while @func runs. */
  __asm__ volatile("");
}

/**
 * hot_guard_call:
 * @kind: what @func runs
 * @name: (nullable): the node or module it is for, named in the report a
 *   crash that cannot come back ends the process with; it must stay valid
 *   during the call
 * @func: the function to call: the generation's code itself, or a function
 *   marked %HOT_GUARD_ENTRY that calls it
 * @data: its argument
 * @timeout_ms: how long it may run; 0 for no limit. Ignored in a call nested
 *   in one that has a deadline already: the outer deadline covers both.
 * @crash: (out caller-allocates): what happened, when it returns %FALSE;
 *   zeroed on every path
 * @error: return location for a #GError
 *
 * Calls @func in the calling thread so that a crash in a generation's own
 * code (SIGSEGV, SIGBUS, SIGFPE, SIGILL, traps, a stack overflow) or running
 * past @timeout_ms in it returns %FALSE with a report in @crash, instead of
 * ending the process. Code is a generation's when it is registered
 * (hot_guard_add_library()), and a crash comes back only when every frame
 * between it and @func is: a crash in the C library, GLib or GTK (abort (),
 * g_error (), a failed g_assert (), a double free), or in a generation's
 * code they called (a class_init, a callback), or in a guard of kind
 * %HOT_GUARD_LOAD, ends the process with a report on stderr, as the signal
 * would have ended it without hotnode. Whatever @func was doing is abandoned
 * where it was: memory it allocated leaks, and objects it was changing may
 * be half changed. Past the deadline, code that is not registered (GLib,
 * GTK, the app) runs on until the thread is back in the generation's own
 * code; a deadline reports `SIGALRM` with @crash->timed_out set.
 *
 * Calls nest: a guarded call inside @func catches what happens inside it,
 * and @func goes on after it.
 *
 * Returns: %TRUE when @func returned normally; %FALSE when it crashed or
 *   was stopped (@crash says how), or when the deadline could not be set up
 *   (@error says why, @func was not called)
 */
gboolean
hot_guard_call (HotGuardKind kind,
                const char  *name,
                HotGuardFunc func,
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
  guard.kind = kind;
  guard.name = name;
  owns_deadline = timeout_ms > 0 && guard_deadline == NULL;

  if (guard.outer == NULL)
    {
      ensure_alternate_stack ();
      guard_handlers_acquire ();
      guard.entry_clean = FALSE;
    }
  else
    {
      /* Whether the outer call's deadline may take the thread back through
       * here: only from the generation's code through hotnode's. */
      guard.entry_clean = walk_to_entry (0, NULL, TRUE, (guintptr) guard.outer) == VERDICT_CLEAN;
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
      guard_invoke (func, data);
      returned = TRUE;
    }

  /* Here after a return, a crash in this call (not in one nested in it,
   * which lands in its own), or the deadline this call armed. Nothing
   * before this point allocated or logged since the jump. */
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
      write_range (&guarded_code[i], NULL, NULL, NULL);
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
