/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "hot-build-step-private.h"

#include "hot-diagnostic-private.h"
#include "hot-process-private.h"
#include "hot-error.h"

/*
 * One step of a fast build (hot-fast-builder.c): a command run as a
 * process group of its own, whose output, cleaned, is read when it
 * succeeds; when it fails, its first error (not an "In file included
 * from" line) is the build's error, unless the step's failed callback
 * lets the build go on.
 * The build is a GTask that goes from step to step: each step holds it
 * while its process runs.
 */

typedef struct
{
  GTask             *task;
  HotBuildStepDone   done;
  HotBuildStepFailed failed;
  HotBuildStepNext   next;
  char              *what; /* for messages: "tcc", "ninja", … */
} Step;

static void
step_free (Step *step)
{
  g_object_unref (step->task);
  g_free (step->what);
  g_free (step);
}

static void
step_finished (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Step *step = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) output = NULL;
  g_autoptr (GSubprocess) subprocess = hot_process_run_finish (result, &output, &error);
  g_autofree char *text = NULL;

  if (subprocess == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_prefix_error (&error, _ ("could not run %s: "), step->what);
      g_task_return_error (step->task, g_steal_pointer (&error));
      step_free (step);
      return;
    }

  /* Valid UTF-8, without colours. */
  text = hot_diagnostic_clean_output (g_bytes_get_size (output) > 0 ? g_bytes_get_data (output, NULL) : "",
                                      g_bytes_get_size (output));
  if (!g_subprocess_get_successful (subprocess))
    {
      g_autofree char *first_error = hot_build_step_first_error (text);

      if (step->failed != NULL && step->failed (step->task, text, first_error))
        step->next (g_object_ref (step->task));
      else
        g_task_return_new_error (step->task, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD, _ ("%s failed: %s"),
                                 step->what, first_error ? first_error : _ ("no output"));
    }
  else if (!step->done (step->task, text, &error))
    g_task_return_error (step->task, g_steal_pointer (&error));
  else
    step->next (g_object_ref (step->task));

  step_free (step);
}

/**
 * hot_build_step_first_error:
 * @output: what a compiler printed, cleaned
 *
 * Returns: (transfer full) (nullable): the first line of @output that
 *   says "error" (gcc's "FILE:LINE:COLUMN: error: ...", tcc's "FILE:LINE:
 *   error: ..."), else its first line that is not an "In file included
 *   from" one, else %NULL
 */
char *
hot_build_step_first_error (const char *output)
{
  g_auto (GStrv) lines = g_strsplit (output, "\n", -1);
  const char *first = NULL;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = g_strstrip (lines[i]);

      if (*line == '\0' || g_str_has_prefix (line, "In file included from") ||
          (g_str_has_prefix (line, "from ") && g_str_has_suffix (line, ",")))
        continue;
      if (strstr (line, ": error: ") != NULL || strstr (line, ": fatal error: ") != NULL ||
          g_str_has_prefix (line, "error: "))
        return g_strdup (line);
      if (first == NULL)
        first = line;
    }

  return g_strdup (first);
}

/**
 * hot_build_step_run:
 * @task: the build; taken
 * @argv: (array zero-terminated=1): the command
 * @cwd: where it runs
 * @what: what runs, for messages: "tcc", "ninja", "linking"…
 * @done: reads its output when it succeeds
 * @failed: (nullable): reads its output when it fails, and says whether
 *   the build goes on
 * @next: goes on with the build after @done or @failed
 *
 * Runs @argv in @cwd in a process group of its own; @done reads its output
 * when it succeeds and the build goes on with @next; the build fails when
 * the command or @done does.
 */
void
hot_build_step_run (GTask             *task,
                    const char *const *argv,
                    const char        *cwd,
                    const char        *what,
                    HotBuildStepDone   done,
                    HotBuildStepFailed failed,
                    HotBuildStepNext   next)
{
  Step *step = g_new0 (Step, 1);

  step->task = task;
  step->done = done;
  step->failed = failed;
  step->next = next;
  step->what = g_strdup (what);
  hot_process_run_async (argv, cwd, g_task_get_cancellable (task), step_finished, step);
}
