/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "hot-diagnostic-private.h"
#include "hot-process-private.h"
#include "hot-rebuilder-private.h"
#include "hot-error.h"

/*
 * The rebuilder: the command that rebuilds a module's library the way the
 * app's build does (ninja, HOT_RELOAD_REBUILDER or the app's own choice),
 * run in a process group of its own, its output (its first and last
 * 256 KiB) read into diagnostics when it fails. Knows nothing of GTK or of
 * what the module does with the library.
 *
 * Builds in one build folder take turns, in this app and in any other
 * process of hotnode's (two instances of one app, say): each holds an
 * exclusive flock () on `<build folder>/hotnode-ninja.lock` from before the
 * command starts until the library it wrote has been copied (the caller
 * keeps the HotBuildLock that hot_rebuilder_run_finish () hands it), or,
 * when the build is cancelled, until no process of the command's group is
 * left (hot-process.c). So no build writes a library another reads, and no
 * two ninjas write one folder's logs. The lock is waited for without
 * blocking: tried again every LOCK_POLL_MS while another holds it.
 *
 * A run's states:
 *
 *   locking    waiting for the lock (only while another build holds it)
 *   running    the command runs; hot-process.c holds a reference to the
 *              lock until its group is gone
 *   done       the task returned the library (the lock goes to the
 *              caller) or an error (the lock goes with the task)
 */

#define LOCK_NAME "hotnode-ninja.lock"
#define LOCK_POLL_MS 10

struct _HotBuildLock
{
  int fd;
};

static void
build_lock_clear (gpointer data)
{
  HotBuildLock *lock = data;

  close (lock->fd); /* releases the flock () */
}

/**
 * hot_build_lock_ref:
 * @lock: a held lock
 *
 * Returns: (transfer full): @lock
 */
HotBuildLock *
hot_build_lock_ref (HotBuildLock *lock)
{
  return g_atomic_rc_box_acquire (lock);
}

/**
 * hot_build_lock_unref:
 * @lock: a held lock
 *
 * Releases the build folder's lock with the last reference.
 */
void
hot_build_lock_unref (HotBuildLock *lock)
{
  g_atomic_rc_box_release_full (lock, build_lock_clear);
}

/* Replaces the placeholders of HOT_RELOAD_REBUILDER in one argument. */
static char *
expand_placeholders (const char          *arg,
                     const HotModuleInfo *info)
{
  const struct
  {
    const char *name;
    const char *value;
  } placeholders[] = {
    { "{module}", info->name },
    { "{source_dir}", info->source_dirs[0] },
    { "{build_dir}", info->build_dir },
    { "{output}", info->output },
    { "{target}", info->target },
  };
  GString *expanded = g_string_new (arg);

  for (guint i = 0; i < G_N_ELEMENTS (placeholders); i++)
    g_string_replace (expanded, placeholders[i].name, placeholders[i].value, 0);

  return g_string_free (expanded, FALSE);
}

/**
 * hot_rebuilder_argv_from_env:
 * @info: the module
 * @command_line: `HOT_RELOAD_REBUILDER`: split as a shell would, without
 *   one, placeholders replaced
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the command, or %NULL with %HOT_RELOAD_ERROR_BUILD
 */
GStrv
hot_rebuilder_argv_from_env (const HotModuleInfo *info,
                             const char          *command_line,
                             GError             **error)
{
  g_autoptr (GError) parse_error = NULL;
  g_auto (GStrv) argv = NULL;
  int argc;

  if (!g_shell_parse_argv (command_line, &argc, &argv, &parse_error))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                   _ ("HOT_RELOAD_REBUILDER cannot be read as a command line: %s"), parse_error->message);
      return NULL;
    }

  for (int i = 0; i < argc; i++)
    {
      char *expanded = expand_placeholders (argv[i], info);

      g_free (argv[i]);
      argv[i] = expanded;
    }

  return g_steal_pointer (&argv);
}

/**
 * hot_rebuilder_ninja_argv:
 * @info: the module
 * @error: return location for a #GError
 *
 * Returns: (transfer full): `ninja -C <build folder> <module library>`, or
 *   %NULL with %HOT_RELOAD_ERROR_BUILD when ninja is not installed
 */
GStrv
hot_rebuilder_ninja_argv (const HotModuleInfo *info,
                          GError             **error)
{
  g_autofree char *ninja = g_find_program_in_path ("ninja");

  if (ninja == NULL)
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                   _ ("Cannot rebuild module “%s”: ninja is not in PATH. Install it, or set HOT_RELOAD_REBUILDER."),
                   info->name);
      return NULL;
    }

  return g_strdupv ((char *[]){ ninja, (char *) "-C", info->build_dir, info->target, NULL });
}

/* The end of a cleaned build log: what a person reads first. */
static char *
build_log_tail (const char *log)
{
  gsize len = strlen (log);

  if (len > 8192)
    return g_strdup_printf ("…%s", g_utf8_find_next_char (log + len - 8192, NULL));

  return g_strchomp (g_strdup (log));
}

typedef struct
{
  const HotModuleInfo *info;
  char               **argv;
  char                *output;
  int                  lock_fd;     /* locking: not locked yet; -1: no lock */
  HotBuildLock        *lock;        /* running and done */
  guint                poll_id;     /* locking */
  gboolean             waited;      /* for another build: said so once */
  GListModel          *diagnostics; /* when the build failed */
} Run;

static void
run_free (gpointer data)
{
  Run *run = data;

  g_clear_handle_id (&run->poll_id, g_source_remove);
  if (run->lock_fd >= 0)
    close (run->lock_fd);
  g_clear_pointer (&run->lock, hot_build_lock_unref);
  g_strfreev (run->argv);
  g_free (run->output);
  g_clear_object (&run->diagnostics);
  g_free (run);
}

static void
rebuilder_exited (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) output = NULL;
  g_autoptr (GSubprocess) subprocess = hot_process_run_finish (result, &output, &error);
  const char *name = run->info->name;

  if (subprocess == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else if (error->domain == G_SPAWN_ERROR)
        g_task_return_new_error (task, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                                 _ ("Could not run the rebuilder of module “%s”: %s"), name, error->message);
      else
        g_task_return_new_error (task, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                                 _ ("Could not read the output of the build of module “%s”: %s"), name,
                                 error->message);
    }
  else if (!g_subprocess_get_successful (subprocess))
    {
      gsize            length;
      const char      *data = g_bytes_get_data (output, &length);
      g_autofree char *log = hot_diagnostic_clean_output (data, length);
      g_autofree char *tail = build_log_tail (log);

      run->diagnostics = hot_diagnostic_parse (log, run->info->build_dir, (const char *const *) run->info->sources);
      if (g_subprocess_get_if_signaled (subprocess))
        g_task_return_new_error (task, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                                 _ ("The rebuilder of module “%s” was killed by signal %d (%s):\n%s"), name,
                                 g_subprocess_get_term_sig (subprocess),
                                 g_strsignal (g_subprocess_get_term_sig (subprocess)), tail);
      else
        g_task_return_new_error (task, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                                 _ ("Building module “%s” failed:\n%s"), name, tail);
    }
  else if (!g_file_test (run->output, G_FILE_TEST_EXISTS))
    g_task_return_new_error (task, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                             _ ("The rebuilder of module “%s” finished without error but wrote no library at %s"),
                             name, run->output);
  else
    g_task_return_pointer (task, g_strdup (run->output), g_free);
}

/* locking → running */
static void
start_command (GTask *task)
{
  Run *run = g_task_get_task_data (task);

  if (run->lock_fd >= 0)
    {
      run->lock = g_atomic_rc_box_new (HotBuildLock);
      run->lock->fd = run->lock_fd;
      run->lock_fd = -1;
    }

  hot_process_run_full_async ((const char *const *) run->argv, run->info->build_dir, HOT_PROCESS_CAP_OUTPUT,
                              run->lock ? hot_build_lock_ref (run->lock) : NULL,
                              (GDestroyNotify) hot_build_lock_unref, g_task_get_cancellable (task),
                              rebuilder_exited, task);
}

/* locking: tries the lock; says whether it is settled (taken, or the run
 * is over). */
static gboolean
try_lock (GTask *task)
{
  Run *run = g_task_get_task_data (task);

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return TRUE;
    }

  if (flock (run->lock_fd, LOCK_EX | LOCK_NB) == 0)
    {
      start_command (task);
      return TRUE;
    }

  if (errno != EWOULDBLOCK && errno != EINTR)
    {
      int saved_errno = errno;

      g_debug ("Cannot lock %s/" LOCK_NAME " (%s): building module “%s” without it", run->info->build_dir,
               g_strerror (saved_errno), run->info->name);
      close (run->lock_fd);
      run->lock_fd = -1;
      start_command (task);
      return TRUE;
    }

  if (!run->waited)
    g_debug ("Module “%s” waits for another build in %s to end", run->info->name, run->info->build_dir);
  run->waited = TRUE;

  return FALSE;
}

static gboolean
lock_poll (gpointer user_data)
{
  GTask *task = user_data;
  Run   *run = g_task_get_task_data (task);
  guint  id = run->poll_id;

  /* The task may be gone when try_lock () returns TRUE. */
  run->poll_id = 0;
  if (try_lock (task))
    return G_SOURCE_REMOVE;
  run->poll_id = id;

  return G_SOURCE_CONTINUE;
}

/**
 * hot_rebuilder_run_async:
 * @info: the module
 * @argv: the command
 * @output: the library it writes
 * @cancellable: (nullable): stops the command and everything it started
 * @callback: called when it has ended, or at once when cancelled
 * @user_data: data for @callback
 *
 * Runs @argv in the build folder, in a process group of its own, once no
 * other build holds the build folder's lock (see the top of this file).
 */
void
hot_rebuilder_run_async (const HotModuleInfo *info,
                         const char *const   *argv,
                         const char          *output,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask           *task = g_task_new (NULL, cancellable, callback, user_data);
  Run             *run = g_new0 (Run, 1);
  g_autofree char *lock_path = g_build_filename (info->build_dir, LOCK_NAME, NULL);

  g_task_set_source_tag (task, hot_rebuilder_run_async);
  run->info = info;
  run->argv = g_strdupv ((char **) argv);
  run->output = g_strdup (output);
  run->lock_fd = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  g_task_set_task_data (task, run, run_free);

  if (run->lock_fd < 0)
    {
      int saved_errno = errno;

      g_debug ("Cannot open %s (%s): building module “%s” without the lock", lock_path, g_strerror (saved_errno),
               info->name);
      start_command (task);
      return;
    }

  if (!try_lock (task))
    run->poll_id = g_timeout_add (LOCK_POLL_MS, lock_poll, task);
}

/**
 * hot_rebuilder_run_finish:
 * @result: the result given to the callback
 * @diagnostics: (out) (transfer full) (optional): the compiler's messages,
 *   when the build failed
 * @lock: (out) (transfer full) (optional) (nullable): the build folder's
 *   lock, when the build succeeded: hold it until the library is copied
 *   (%NULL when the folder could not be locked)
 * @error: return location for a #GError: %HOT_RELOAD_ERROR_BUILD, or
 *   %G_IO_ERROR_CANCELLED
 *
 * Returns: (transfer full): the library built, or %NULL
 */
char *
hot_rebuilder_run_finish (GAsyncResult  *result,
                          GListModel   **diagnostics,
                          HotBuildLock **lock,
                          GError       **error)
{
  GTask *task = G_TASK (result);
  Run   *run = g_task_get_task_data (task);
  char  *output = g_task_propagate_pointer (task, error);

  if (diagnostics != NULL)
    *diagnostics = run->diagnostics ? g_object_ref (run->diagnostics) : NULL;
  if (lock != NULL)
    *lock = output != NULL && run->lock != NULL ? hot_build_lock_ref (run->lock) : NULL;

  return output;
}

static void
deps_listed (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) output = NULL;
  g_autoptr (GSubprocess) subprocess = hot_process_run_finish (result, &output, &error);

  if (subprocess == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (!g_subprocess_get_successful (subprocess))
    g_task_return_new_error (task, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD, "%s",
                             _ ("ninja could not list the headers of the module's objects"));
  else
    g_task_return_pointer (task, g_strndup (g_bytes_get_data (output, NULL), g_bytes_get_size (output)), g_free);
}

/**
 * hot_rebuilder_list_deps_async:
 * @info: the module
 * @cancellable: (nullable): stops it
 * @callback: called with what ninja printed
 * @user_data: data for @callback
 *
 * Asks ninja's deps log which files the compiler read for each of the
 * module's objects (`ninja -t deps`), for hot_inputs_read_ninja_deps().
 */
void
hot_rebuilder_list_deps_async (const HotModuleInfo *info,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr (GStrvBuilder) argv = g_strv_builder_new ();
  g_autofree char *ninja = g_find_program_in_path ("ninja");
  g_auto (GStrv) command = NULL;
  GHashTableIter     iter;
  HotCompileCommand *compile;

  g_task_set_source_tag (task, hot_rebuilder_list_deps_async);
  if (ninja == NULL || g_hash_table_size (info->commands) == 0)
    {
      g_task_return_new_error (task, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD, "%s",
                               _ ("ninja is not installed, or the build has no compile commands"));
      g_object_unref (task);
      return;
    }

  g_strv_builder_addv (argv, (const char *[]){ ninja, "-C", info->build_dir, "-t", "deps", NULL });
  g_hash_table_iter_init (&iter, info->commands);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &compile))
    {
      const char *object = compile->object;

      if (g_str_has_prefix (object, info->build_dir) && object[strlen (info->build_dir)] == G_DIR_SEPARATOR)
        object += strlen (info->build_dir) + 1;
      g_strv_builder_add (argv, object);
    }
  command = g_strv_builder_end (argv);
  hot_process_run_async ((const char *const *) command, info->build_dir, cancellable, deps_listed, task);
}

/**
 * hot_rebuilder_list_deps_finish:
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): what ninja printed, or %NULL
 */
char *
hot_rebuilder_list_deps_finish (GAsyncResult *result,
                                GError      **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
