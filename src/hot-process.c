/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "hot-process-private.h"

/*
 * Build commands as processes (Linux). Each command leads a process group of
 * its own, so that cancelling stops everything it started (compilers under
 * ninja, say), and it receives SIGTERM when the app dies, however it dies,
 * so that no build outlives the app that asked for it.
 *
 * A run's GTask holds a reference to the subprocess until it completes:
 *
 *   running    communicate_async() reads the merged output
 *   stopping   cancelled: SIGTERM sent to the group, wait_async() until the
 *              command exits, then G_IO_ERROR_CANCELLED
 *   done       the task returned the subprocess (output as task data) or
 *              an error
 */

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
process_exited_after_cancel (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data)
{
  GTask *task = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s", _ ("The build was cancelled"));
  g_object_unref (task);
}

static void
process_communicated (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GSubprocess *subprocess = G_SUBPROCESS (source);
  GTask       *task = user_data;
  g_autoptr (GBytes) output = NULL;
  g_autoptr (GError) error = NULL;

  if (!g_subprocess_communicate_finish (subprocess, result, &output, NULL, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* Stop the whole group, and report once it is gone: the next
           * build may run in the same folder. */
          const char *identifier = g_subprocess_get_identifier (subprocess);

          if (identifier != NULL)
            kill (-(pid_t) g_ascii_strtoll (identifier, NULL, 10), SIGTERM);
          g_subprocess_wait_async (subprocess, NULL, process_exited_after_cancel, task);
          return;
        }
      g_task_return_error (task, g_steal_pointer (&error));
    }
  else
    {
      g_task_set_task_data (task, g_steal_pointer (&output), (GDestroyNotify) g_bytes_unref);
      g_task_return_pointer (task, g_object_ref (subprocess), g_object_unref);
    }
  g_object_unref (task);
}

/**
 * hot_process_run_async:
 * @argv: the command
 * @cwd: where it runs
 * @cancellable: (nullable): stops the command and everything it started
 * @callback: called once the command has ended
 * @user_data: data for @callback
 *
 * Runs @argv in a process group of its own, its standard output and error
 * read together. Cancelling sends SIGTERM to the group and completes, with
 * %G_IO_ERROR_CANCELLED, once the command has exited.
 *
 * The command receives SIGTERM when the app ends, even by SIGKILL
 * (`PR_SET_PDEATHSIG`); it is meant to stop its own children then, as ninja
 * does. The kernel sends it when the calling thread ends, so call this from
 * a thread that lives as long as the app (the main thread).
 */
void
hot_process_run_async (const char *const  *argv,
                       const char         *cwd,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) subprocess = NULL;
  g_autoptr (GError) error = NULL;
  GTask *task;

  g_return_if_fail (argv != NULL && argv[0] != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, hot_process_run_async);
  g_task_set_check_cancellable (task, FALSE);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_cwd (launcher, cwd);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, GINT_TO_POINTER (getpid ()), NULL);
  subprocess = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (subprocess == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  g_subprocess_communicate_async (subprocess, NULL, cancellable, process_communicated, task);
}

/**
 * hot_process_run_finish:
 * @result: the result given to the callback
 * @output: (out) (transfer full): what the command wrote
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
    *output = g_bytes_ref (g_task_get_task_data (G_TASK (result)));

  return subprocess;
}
