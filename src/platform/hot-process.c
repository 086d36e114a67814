/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "hot-process-private.h"

/*
 * Build commands as processes (Linux). Each command leads a process group of
 * its own, so that cancelling stops everything it started (compilers under
 * ninja, say), and it receives SIGTERM when the app dies, however it dies,
 * so that no build outlives the app that asked for it.
 *
 * A Run is owned by its GTask (as task data) until the task is done:
 *
 *   reading    read_bytes_async () on the merged output until its end; with
 *              HOT_PROCESS_CAP_OUTPUT only the first and the last
 *              HOT_PROCESS_OUTPUT_KEPT / 2 bytes are kept, the middle is
 *              read and counted (the command never blocks on a full pipe)
 *   waiting    wait_async () until the command exits
 *   done       the task returned the subprocess (the output as task data)
 *              or an error; the hold goes with the Run
 *
 * Cancelled while reading or waiting, the task returns
 * G_IO_ERROR_CANCELLED at once, and a Stopping takes the subprocess and the
 * hold over, in the background:
 *
 *   terminating  SIGTERM sent to the group; wait_async () on the command,
 *                the group looked at every STOP_POLL_MS
 *   killing      STOP_GRACE_MS after SIGTERM, a group that still has a
 *                process gets SIGKILL (a script that ignores SIGTERM, or
 *                its children)
 *   stopped      the command has exited and no process of its group runs
 *                (zombies do not count), or it was killed STOP_GRACE_MS ago
 *                (a process stuck in the kernel): the hold is released, and
 *                with it the build folder's lock (hot-rebuilder.c), so the
 *                next build in that folder starts as soon as the last one
 *                is gone
 */

#define READ_SIZE (64 * 1024)
#define STOP_GRACE_MS 2000
#define STOP_POLL_MS 50

typedef struct
{
  GSubprocess    *subprocess;
  HotProcessFlags flags;
  GByteArray     *head; /* everything, or with a cap its first half */
  GByteArray     *tail; /* with a cap: the end, up to twice its half */
  guint64         n_read;
  gpointer        hold;
  GDestroyNotify  release_hold;
} Run;

typedef struct
{
  GSubprocess   *subprocess;
  pid_t          group;
  gint64         terminated_at;
  gint64         killed_at; /* 0 until SIGKILL */
  gboolean       exited;
  guint          poll_id;
  gpointer       hold;
  GDestroyNotify release_hold;
} Stopping;

/* In the child, between fork and exec: async-signal-safe calls only. */
static void
child_setup (gpointer user_data)
{
  pid_t parent = GPOINTER_TO_INT (user_data);

  setpgid (0, 0);

  /* Dies with the app, even by SIGKILL; it stops its own children (ninja
   * does). The signal comes when the thread that forked ends: GSubprocess
   * forks in the calling thread, the main thread of the app. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
  if (getppid () != parent)
    _exit (127); /* the app died before prctl() took hold */
}

static void
drop_hold (gpointer      *hold,
           GDestroyNotify release)
{
  gpointer held = g_steal_pointer (hold);

  if (held != NULL && release != NULL)
    release (held);
}

static void
run_free (gpointer data)
{
  Run *run = data;

  drop_hold (&run->hold, run->release_hold);
  g_clear_object (&run->subprocess);
  g_clear_pointer (&run->head, g_byte_array_unref);
  g_clear_pointer (&run->tail, g_byte_array_unref);
  g_free (run);
}

/* Stopping */

static void
stopping_free (Stopping *stopping)
{
  g_clear_handle_id (&stopping->poll_id, g_source_remove);
  drop_hold (&stopping->hold, stopping->release_hold);
  g_clear_object (&stopping->subprocess);
  g_free (stopping);
}

/* Whether a process of @group still runs. A zombie does not: it stays in
 * its group until its parent reaps it, and an orphan's new parent (PID 1 of
 * a container, say) may never do so. */
static gboolean
group_exists (pid_t group)
{
  g_autoptr (GDir) proc = NULL;
  const char *name;

  if (kill (-group, 0) != 0 && errno == ESRCH)
    return FALSE;

  proc = g_dir_open ("/proc", 0, NULL);
  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *stat = NULL;
      const char      *end;
      char             state;
      long long        parent, process_group;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_build_filename ("/proc", name, "stat", NULL);
      /* "pid (comm) state ppid pgrp ...", comm may hold anything */
      if (!g_file_get_contents (path, &stat, NULL, NULL) || (end = strrchr (stat, ')')) == NULL ||
          sscanf (end + 1, " %c %lld %lld", &state, &parent, &process_group) != 3)
        continue;
      if (process_group == group && state != 'Z' && state != 'X')
        return TRUE;
    }

  return proc == NULL; /* cannot tell: as if it ran */
}

/* terminating → killing → stopped; frees @stopping when stopped and says
 * so. */
static gboolean
stopping_check (Stopping *stopping)
{
  gint64   now = g_get_monotonic_time ();
  gboolean exists = group_exists (stopping->group);

  if (exists && stopping->killed_at == 0 &&
      now - stopping->terminated_at >= STOP_GRACE_MS * G_TIME_SPAN_MILLISECOND)
    {
      g_debug ("Build process group %d still runs %d ms after SIGTERM: sending SIGKILL", (int) stopping->group,
               STOP_GRACE_MS);
      kill (-stopping->group, SIGKILL);
      stopping->killed_at = now;
    }

  if (!stopping->exited ||
      (exists && (stopping->killed_at == 0 || now - stopping->killed_at < STOP_GRACE_MS * G_TIME_SPAN_MILLISECOND)))
    return FALSE;

  g_debug ("Build process group %d stopped", (int) stopping->group);
  stopping_free (stopping);
  return TRUE;
}

static gboolean
stopping_poll (gpointer data)
{
  Stopping *stopping = data;
  guint     id = stopping->poll_id;

  /* This source ends by returning, not through stopping_free (). */
  stopping->poll_id = 0;
  if (stopping_check (stopping))
    return G_SOURCE_REMOVE;
  stopping->poll_id = id;

  return G_SOURCE_CONTINUE;
}

static void
stopping_leader_exited (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  Stopping *stopping = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  stopping->exited = TRUE;
  stopping_check (stopping);
}

/* reading or waiting → cancelled: the group is stopped in the background
 * and @task returns now. */
static void
stop_in_background (GTask *task)
{
  Run        *run = g_task_get_task_data (task);
  const char *identifier = g_subprocess_get_identifier (run->subprocess);
  Stopping   *stopping;

  if (identifier == NULL)
    {
      /* It has exited and been reaped; its group is left to itself. */
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s", _ ("The build was cancelled"));
      return;
    }

  stopping = g_new0 (Stopping, 1);
  stopping->subprocess = g_steal_pointer (&run->subprocess);
  stopping->group = (pid_t) g_ascii_strtoll (identifier, NULL, 10);
  stopping->hold = g_steal_pointer (&run->hold);
  stopping->release_hold = run->release_hold;
  stopping->terminated_at = g_get_monotonic_time ();
  kill (-stopping->group, SIGTERM);
  g_subprocess_wait_async (stopping->subprocess, NULL, stopping_leader_exited, stopping);
  stopping->poll_id = g_timeout_add (STOP_POLL_MS, stopping_poll, stopping);

  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s", _ ("The build was cancelled"));
}

/* Reading and waiting */

static void
keep_output (Run          *run,
             const guint8 *data,
             gsize         size)
{
  const gsize half = HOT_PROCESS_OUTPUT_KEPT / 2;

  run->n_read += size;
  if ((run->flags & HOT_PROCESS_CAP_OUTPUT) == 0)
    {
      g_byte_array_append (run->head, data, size);
      return;
    }

  if (run->head->len < half)
    {
      gsize n = MIN (size, half - run->head->len);

      g_byte_array_append (run->head, data, n);
      data += n;
      size -= n;
    }
  if (size == 0)
    return;

  g_byte_array_append (run->tail, data, size);
  if (run->tail->len > 2 * half)
    g_byte_array_remove_range (run->tail, 0, run->tail->len - half);
}

/* What was kept: the head, a line saying how much was left out, the
 * tail. */
static GBytes *
take_output (Run *run)
{
  const gsize half = HOT_PROCESS_OUTPUT_KEPT / 2;
  GByteArray *output = g_steal_pointer (&run->head);
  gsize       tail_start = run->tail->len > half ? run->tail->len - half : 0;
  guint64     left_out = run->n_read - output->len - (run->tail->len - tail_start);

  if (left_out > 0)
    {
      g_autofree char *left_out_text = g_strdup_printf ("%" G_GUINT64_FORMAT, left_out);
      g_autofree char *n_read_text = g_strdup_printf ("%" G_GUINT64_FORMAT, run->n_read);
      g_autofree char *line = g_strdup_printf (_ ("\n[hotnode: %s bytes of output left out here, %s in all]\n"),
                                               left_out_text, n_read_text);

      g_byte_array_append (output, (const guint8 *) line, strlen (line));
    }
  g_byte_array_append (output, run->tail->data + tail_start, run->tail->len - tail_start);

  return g_byte_array_free_to_bytes (output);
}

static void
process_waited (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  if (!g_subprocess_wait_finish (run->subprocess, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        stop_in_background (task);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, g_object_ref (run->subprocess), g_object_unref);
}

static void
output_read (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (bytes == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        stop_in_background (task);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (g_bytes_get_size (bytes) == 0)
    {
      g_subprocess_wait_async (run->subprocess, cancellable, process_waited, g_steal_pointer (&task));
      return;
    }

  keep_output (run, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_input_stream_read_bytes_async (G_INPUT_STREAM (source), READ_SIZE, G_PRIORITY_DEFAULT, cancellable, output_read,
                                   g_steal_pointer (&task));
}

/**
 * hot_process_run_full_async:
 * @argv: the command
 * @cwd: where it runs
 * @flags: %HOT_PROCESS_CAP_OUTPUT to keep only the start and the end of
 *   what it writes
 * @hold: (nullable) (transfer full): released with @release_hold once no
 *   process of the command's group runs any more (or the command could not
 *   start)
 * @release_hold: (nullable): releases @hold
 * @cancellable: (nullable): stops the command and everything it started
 * @callback: called once the command has ended, or at once when cancelled
 * @user_data: data for @callback
 *
 * Runs @argv in a process group of its own, its standard output and error
 * read together (all of it, however much, so it never waits on a full
 * pipe). Cancelling completes the call at once with %G_IO_ERROR_CANCELLED
 * and stops the group in the background: SIGTERM, then SIGKILL for what is
 * left after 2 s; @hold is released when the group is gone, which is the
 * moment another command may take the command's place.
 *
 * The command receives SIGTERM when the app ends, even by SIGKILL
 * (`PR_SET_PDEATHSIG`); it is meant to stop its own children then, as ninja
 * does. The kernel sends it when the calling thread ends, so call this from
 * a thread that lives as long as the app (the main thread).
 */
void
hot_process_run_full_async (const char *const  *argv,
                            const char         *cwd,
                            HotProcessFlags     flags,
                            gpointer            hold,
                            GDestroyNotify      release_hold,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = NULL;
  Run *run;

  g_return_if_fail (argv != NULL && argv[0] != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, hot_process_run_full_async);
  g_task_set_check_cancellable (task, FALSE);
  run = g_new0 (Run, 1);
  run->flags = flags;
  run->head = g_byte_array_new ();
  run->tail = g_byte_array_new ();
  run->hold = hold;
  run->release_hold = release_hold;
  g_task_set_task_data (task, run, run_free);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_cwd (launcher, cwd);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, GINT_TO_POINTER (getpid ()), NULL);
  run->subprocess = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (run->subprocess == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_input_stream_read_bytes_async (g_subprocess_get_stdout_pipe (run->subprocess), READ_SIZE, G_PRIORITY_DEFAULT,
                                   cancellable, output_read, g_steal_pointer (&task));
}

/**
 * hot_process_run_async:
 * @argv: the command
 * @cwd: where it runs
 * @cancellable: (nullable): stops the command and everything it started
 * @callback: called once the command has ended, or at once when cancelled
 * @user_data: data for @callback
 *
 * hot_process_run_full_async () with all of the output kept and nothing
 * held.
 */
void
hot_process_run_async (const char *const  *argv,
                       const char         *cwd,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  hot_process_run_full_async (argv, cwd, HOT_PROCESS_FLAGS_NONE, NULL, NULL, cancellable, callback, user_data);
}

/**
 * hot_process_run_finish:
 * @result: the result given to the callback
 * @output: (out) (transfer full): what the command wrote (with
 *   %HOT_PROCESS_CAP_OUTPUT, its start and its end around a line saying
 *   how much was left out)
 * @error: return location for a #GError: %G_IO_ERROR_CANCELLED, or why it
 *   could not run
 *
 * Returns: (transfer full) (nullable): the ended process, to read how it
 *   ended, or %NULL
 */
GSubprocess *
hot_process_run_finish (GAsyncResult *result,
                        GBytes      **output,
                        GError      **error)
{
  GSubprocess *subprocess;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (output != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  subprocess = g_task_propagate_pointer (G_TASK (result), error);
  if (subprocess != NULL)
    *output = take_output (g_task_get_task_data (G_TASK (result)));

  return subprocess;
}
