/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE /* on_exit: this file is the Linux one */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hot-loader-private.h"
#include "hot-elf-private.h"
#include "hot-guard-private.h"
#include "hot-private-dir-private.h"
#include "hot-error.h"
#include "hot-file-private.h"
#include "hot-table-private.h"

/*
 * HotLoader: loads the generations of hot modules (Linux: dlopen, /proc,
 * process ids). It knows nothing of widgets.
 *
 * glibc hands back the handle it already has for a file (same device and
 * inode) even when the file changed, and the build overwrites its output in
 * place, so each generation is copied into a private folder first:
 *
 *   <base>/                       0700, owned by the user, checked
 *   <base>/run-<pid>-XXXXXX/      one per process, unpredictable name
 *   <base>/run-.../<module>-<generation>.so   0500, until dlopen () has
 *                                 mapped it; then a link to the built file
 *
 * (hot-private-dir.c). Libraries are
 * opened RTLD_LOCAL, so a generation's symbols never interpose with the
 * executable's or another generation's, and accepted generations are never
 * closed: widgets, closures and GTypes of theirs may be alive.
 *
 * A copy has another $ORIGIN than the built file, so before opening it the
 * loader reads its ELF dynamic section (hot-elf.c) and opens, from where the
 * build put them, the dependencies its RUNPATH finds relative to $ORIGIN.
 *
 * The code of every opened library is registered with the crash guard
 * (hot-guard.c), whose deadline may stop code of a generation only: a
 * constructor looping in it, never GLib or GTK under it.
 *
 * The service loads in a worker thread with a deadline
 * (hot_loader_load_async()): an ELF constructor that never returns costs a
 * stuck thread, not the app.
 */

struct _HotLoader
{
  GObject parent_instance;

  char    *base_dir;
  char    *private_dir;
  guint    n_loaded;
  gboolean stuck;
};

G_DEFINE_FINAL_TYPE (HotLoader, hot_loader, G_TYPE_OBJECT)

static void
hot_loader_finalize (GObject *object)
{
  HotLoader *self = HOT_LOADER (object);

  g_free (self->base_dir);
  g_free (self->private_dir);

  G_OBJECT_CLASS (hot_loader_parent_class)->finalize (object);
}

static void
hot_loader_class_init (HotLoaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = hot_loader_finalize;
}

static void
hot_loader_init (HotLoader *self)
{
}

/**
 * hot_loader_new:
 * @base_dir: (nullable): where private folders go; %NULL for
 *   `$XDG_RUNTIME_DIR/hotnode` (or the user cache folder)
 * @error: return location for a #GError
 *
 * Creates a loader with a private folder of its own, after removing the
 * folders of processes that are gone.
 *
 * Returns: (transfer full): a loader, or %NULL with
 *   %HOT_RELOAD_ERROR_PRIVATE_DIR
 */
HotLoader *
hot_loader_new (const char *base_dir,
                GError    **error)
{
  g_autoptr (HotLoader) self = g_object_new (HOT_TYPE_LOADER, NULL);
  g_autofree char *template = NULL;

  if (base_dir != NULL)
    self->base_dir = g_strdup (base_dir);
  else
    self->base_dir = g_build_filename (g_get_user_runtime_dir (), "hotnode", NULL);

  self->private_dir = hot_private_dir_create (self->base_dir, error);
  if (self->private_dir == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * hot_loader_get_private_dir:
 * @self: a loader
 *
 * Returns: the folder of this process where the loaded copies go
 */
const char *
hot_loader_get_private_dir (HotLoader *self)
{
  g_return_val_if_fail (HOT_IS_LOADER (self), NULL);

  return self->private_dir;
}

/* Code others could have written is not loaded: the library must belong to
 * this user (or root) and not be writable by everyone. (Group-writable is
 * fine: Debian's umask for users with a private group is 002.) */
static gboolean
check_trusted (const char *built_path,
               GError    **error)
{
  struct stat st;

  if (stat (built_path, &st) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD,
                   _ ("Could not check the built library %s: %s"), built_path, g_strerror (saved_errno));
      return FALSE;
    }

  if ((st.st_uid != getuid () && st.st_uid != 0) || (st.st_mode & S_IWOTH) != 0)
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD,
                   _ ("Refusing to load %s: every user can write it, or it is not yours (chmod o-w)"),
                   built_path);
      return FALSE;
    }

  return TRUE;
}

/* Opens the DT_NEEDED libraries that the RUNPATH (or RPATH) of the built
 * file finds through $ORIGIN and that are not loaded yet, so that the copy,
 * whose $ORIGIN is the private folder, finds them by soname. Anything else
 * is left to dlopen's own search. */
static void
preload_origin_dependencies (const char *contents,
                             gsize       length,
                             const char *built_path)
{
  g_autofree char *origin = g_path_get_dirname (built_path);
  g_autofree char *runpath = NULL;
  g_auto (GStrv) needed = hot_elf_read_needed (contents, length, &runpath);
  g_auto (GStrv) search_dirs = NULL;

  if (runpath == NULL)
    return;

  search_dirs = g_strsplit (runpath, ":", -1);
  for (guint i = 0; search_dirs[i]; i++)
    {
      GString *dir = g_string_new (search_dirs[i]);

      g_string_replace (dir, "${ORIGIN}", origin, 0);
      g_string_replace (dir, "$ORIGIN", origin, 0);
      g_free (search_dirs[i]);
      search_dirs[i] = g_string_free (dir, FALSE);
    }

  for (guint i = 0; needed[i]; i++)
    {
      gpointer loaded = dlopen (needed[i], RTLD_LAZY | RTLD_NOLOAD);

      if (loaded != NULL)
        {
          dlclose (loaded);
          continue;
        }

      for (guint j = 0; search_dirs[j]; j++)
        {
          g_autofree char *candidate = g_build_filename (search_dirs[j], needed[i], NULL);

          if (g_file_test (candidate, G_FILE_TEST_EXISTS) &&
              dlopen (candidate, RTLD_NOW | RTLD_LOCAL) != NULL)
            {
              g_debug ("Loaded %s for %s", candidate, built_path);
              break;
            }
        }
    }
}

/* What a load needs, copied so that a worker thread can do it. */
typedef struct
{
  char *private_dir;
  char *module;
  char *built_path;
  guint generation;
} LoadJob;

static LoadJob *
load_job_new (HotLoader  *self,
              const char *module,
              const char *built_path)
{
  LoadJob *job = g_new0 (LoadJob, 1);

  job->private_dir = g_strdup (self->private_dir);
  job->module = g_strdup (module);
  job->built_path = g_strdup (built_path);
  job->generation = ++self->n_loaded;

  return job;
}

static void
load_job_free (gpointer data)
{
  LoadJob *job = data;

  g_free (job->private_dir);
  g_free (job->module);
  g_free (job->built_path);
  g_free (job);
}

static char *
copy_to_private_dir (const LoadJob *job,
                     GError       **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *copy_name = NULL;
  g_autofree char *copy_path = NULL;
  g_autoptr (GError) local_error = NULL;
  gsize length;

  if (!g_file_get_contents (job->built_path, &contents, &length, &local_error))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD,
                   _ ("Could not read the built library: %s"), local_error->message);
      return NULL;
    }

  if (!hot_elf_check (contents, length, job->built_path, error) ||
      !check_trusted (job->built_path, error))
    return NULL;
  preload_origin_dependencies (contents, length, job->built_path);

  copy_name = g_strdup_printf ("%s-%u.so", job->module, job->generation);
  copy_path = g_build_filename (job->private_dir, copy_name, NULL);
  if (!hot_file_write (copy_path, contents, length, 0500, &local_error))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD,
                   _ ("Could not copy the built library to the private folder: %s"),
                   local_error->message);
      return NULL;
    }

  return g_steal_pointer (&copy_path);
}

/* dlopen ()'s error as one a person can act on: a symbol nobody defines is
 * most often a function of the app that the app does not export. */
static void
set_dlopen_error (const LoadJob *job,
                  const char    *copy_path,
                  const char    *message,
                  GError       **error)
{
  const char      *undefined = message ? strstr (message, "undefined symbol: ") : NULL;
  g_autofree char *symbol = NULL;

  if (undefined == NULL)
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD, _ ("Could not load %s (built as %s): %s"),
                   copy_path, job->built_path, message);
      return;
    }

  undefined += strlen ("undefined symbol: ");
  symbol = g_strndup (undefined, strcspn (undefined, " \t\n("));
  g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD,
               _ ("Could not load %s: it uses “%s”, which neither the app nor a library exports (%s). "
                  "If “%s” is a function of the app, add “export_dynamic: true” to the app’s executable () "
                  "in meson.build (dependency ('hotnode-1') adds -Wl,--export-dynamic)."),
               job->built_path, symbol, message, symbol);
}

static gint64
mtime_ns (const struct stat *st)
{
  return (gint64) st->st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st->st_mtim.tv_nsec;
}

/* The copy is mapped: its file is not needed any more, and a long session
 * would otherwise fill the private folder (tmpfs, memory) with one copy per
 * reload. A link to the built library takes its place, for what reads the
 * opened file by its name afterwards: addr2line in a crash report (through
 * dladdr ()). It reads the built library as it is then, which is the
 * generation's unless it has been rebuilt since; hot_library_get_built_path ()
 * says whether it has. */
static void
forget_copy (const LoadJob *job,
             HotLibrary    *library)
{
  g_autofree char *built = g_canonicalize_filename (job->built_path, NULL);
  struct stat      st;

  if (stat (built, &st) == 0)
    {
      library->built_path = g_strdup (built);
      library->built_dev = st.st_dev;
      library->built_ino = st.st_ino;
      library->built_size = st.st_size;
      library->built_mtime_ns = mtime_ns (&st);
    }

  if (g_unlink (library->path) != 0)
    {
      int saved_errno = errno;

      g_debug ("Could not remove the loaded copy %s: %s", library->path, g_strerror (saved_errno));
      return;
    }
  if (symlink (built, library->path) != 0)
    g_debug ("No link from %s to %s: crash reports of this generation name no source lines", library->path, built);
}

/* Copies, opens and checks a library; safe in any thread. */
static HotLibrary *
load_library (const LoadJob *job,
              GError       **error)
{
  g_autoptr (HotLibrary) library = NULL;
  g_autofree char *copy_path = NULL;
  gpointer         handle;
  const HotImage  *image;
  gint64           copied_at;

  copy_path = copy_to_private_dir (job, error);
  if (copy_path == NULL)
    return NULL;
  copied_at = g_get_monotonic_time ();

  handle = dlopen (copy_path, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL)
    {
      set_dlopen_error (job, copy_path, dlerror (), error);
      g_unlink (copy_path);
      return NULL;
    }
  if (!hot_guard_add_library (handle))
    g_debug ("The code of %s is not registered with the guard: its deadline cannot stop it", copy_path);

  library = g_new0 (HotLibrary, 1);
  library->module = g_strdup (job->module);
  library->path = g_steal_pointer (&copy_path);
  library->generation = job->generation;
  library->handle = handle;
  library->copied_at = copied_at;
  library->opened_at = g_get_monotonic_time ();
  forget_copy (job, library);

  image = dlsym (handle, "hot_module_image");
  if (image == NULL)
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD,
                   _ ("%s has no hot node table: none of its sources includes <hotnode.h> (an empty file in the middle "
                      "of a save?), or it is not built with dependency('hotnode-module-1')"),
                   job->built_path);
      return NULL;
    }

  if (!hot_image_check_abi (image, job->built_path, error))
    return NULL;

  library->image = image;
  hot_image_set_generation (image, job->generation);

  return g_steal_pointer (&library);
}

/**
 * hot_loader_load:
 * @self: a loader
 * @module: the module's name
 * @built_path: the library the build wrote
 * @error: return location for a #GError
 *
 * Copies @built_path to a new file of the private folder, opens it and
 * checks its ABI stamp, in the calling thread. No code of the library runs
 * except its ELF constructors.
 *
 * Returns: (transfer full): the library, or %NULL with %HOT_RELOAD_ERROR_LOAD
 *   or %HOT_RELOAD_ERROR_ABI
 */
HotLibrary *
hot_loader_load (HotLoader  *self,
                 const char *module,
                 const char *built_path,
                 GError    **error)
{
  LoadJob    *job;
  HotLibrary *library;

  g_return_val_if_fail (HOT_IS_LOADER (self), NULL);
  g_return_val_if_fail (module != NULL, NULL);
  g_return_val_if_fail (built_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  job = load_job_new (self, module, built_path);
  library = load_library (job, error);
  load_job_free (job);

  return library;
}

/* Loads that passed their deadline and may still hold glibc's loader lock. */
static int stuck_loads;

/* exit() would run the libraries' finalizers, and glibc takes its loader
 * lock for that: with a load stuck holding it, the process would hang at
 * exit. Registered on the first stuck load, this handler runs before them
 * and ends the process without them while a load is stuck. */
static void
exit_without_finalizers (int   status,
                         void *data)
{
  if (g_atomic_int_get (&stuck_loads) == 0)
    return;

  hot_private_dir_remove_own ();
  fflush (NULL);
  _exit (status);
}

/* One load, on a thread of its own: a thread that hangs inside dlopen must
 * never run anything else. The thread fills in the result; the
 * main loop owns the rest. */
typedef struct
{
  GTask   *task;
  LoadJob *job;
  guint    deadline_id;
  guint    timeout_ms;
  gboolean answered; /* the task has returned, by result or deadline */

  /* Written by the thread */
  HotLibrary *library;
  GError     *error;
  HotCrash    crash; /* never filled: a crash in a load ends the process */
} LoadRun;

/* The stuck load may hold glibc's loader lock: refuse further
 * loads, and let the process exit without the libraries' finalizers. */
static void
mark_loader_stuck (HotLoader *self)
{
  static gsize exit_handler_installed;

  self->stuck = TRUE;
  g_atomic_int_inc (&stuck_loads);
  if (g_once_init_enter (&exit_handler_installed))
    {
      on_exit (exit_without_finalizers, NULL);
      g_once_init_leave (&exit_handler_installed, 1);
    }
}

static void
run_load (gpointer data)
{
  LoadRun *run = data;

  run->library = load_library (run->job, &run->error);
}

static gboolean
load_thread_finished (gpointer data)
{
  LoadRun *run = data;
  g_autoptr (GTask) task = run->task;
  HotLoader *self = g_task_get_source_object (task);

  if (run->answered)
    {
      /* Past its deadline, it finished after all. The app went on without
       * it; its code may be running, so it stays loaded, unused, and the
       * loader works again. */
      g_message ("A load of module “%s” that passed its deadline finished after all; its library stays unused",
                 run->job->module);
      g_atomic_int_dec_and_test (&stuck_loads);
      self->stuck = FALSE;
      run->library = NULL;
    }

  if (!run->answered)
    {
      g_clear_handle_id (&run->deadline_id, g_source_remove);
      run->answered = TRUE;
      if (run->library != NULL)
        g_task_return_pointer (task, g_steal_pointer (&run->library), (GDestroyNotify) hot_library_free);
      else
        g_task_return_error (task, g_steal_pointer (&run->error));
    }

  g_clear_error (&run->error);
  hot_crash_clear (&run->crash);
  load_job_free (run->job);
  g_free (run);

  return G_SOURCE_REMOVE;
}

static gpointer
load_thread (gpointer data)
{
  LoadRun *run = data;

  /* No deadline of the guard's here: the main loop's gives up on the
   * thread instead. dlopen holds glibc's loader lock, so it must not be
   * jumped out of: a crash in a constructor ends the process with a report
   * saying so (HOT_GUARD_LOAD). The guard frees what it set up for the
   * thread when it ends. */
  hot_guard_call (HOT_GUARD_LOAD, run->job->module, run_load, run, 0, &run->crash, &run->error);
  g_main_context_invoke (g_task_get_context (run->task), load_thread_finished, run);

  return NULL;
}

/* The run is alive until its thread ends, which removes this source. */
static gboolean
load_deadline_passed (gpointer user_data)
{
  LoadRun *run = user_data;

  run->deadline_id = 0;
  run->answered = TRUE;
  mark_loader_stuck (g_task_get_source_object (run->task));

  g_task_return_new_error (run->task, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD,
                           _ ("Loading the new library did not finish within %u ms: a constructor in it "
                              "(or in a library it loads) does not return. The previous code stays live; "
                              "restart the app to load new code."),
                           run->timeout_ms);

  return G_SOURCE_REMOVE;
}

/**
 * hot_loader_load_async:
 * @self: a loader
 * @module: the module's name
 * @built_path: the library the build wrote
 * @timeout_ms: how long the load may take
 * @callback: called in the main loop with the result
 * @user_data: data for @callback
 *
 * Does what hot_loader_load() does on a thread of its own, under the crash
 * guard, and gives up after @timeout_ms: a library whose ELF constructor
 * never returns cannot take the app down. One that crashes ends the process
 * with a report saying so, as the crash would have without hotnode (the
 * loader's lock is held; nothing can be rolled back). A stuck thread may
 * hold glibc's loader lock, so afterwards every load fails at once (until a
 * stuck one ends), and exit() skips the libraries' finalizers (which would
 * wait for that lock forever).
 */
void
hot_loader_load_async (HotLoader          *self,
                       const char         *module,
                       const char         *built_path,
                       guint               timeout_ms,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  LoadRun *run;

  g_return_if_fail (HOT_IS_LOADER (self));
  g_return_if_fail (module != NULL);
  g_return_if_fail (built_path != NULL);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, hot_loader_load_async);

  if (self->stuck)
    {
      g_task_return_new_error (task, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD,
                               _ ("An earlier load never finished and still holds the system's library loader; "
                                  "restart the app to load new code"));
      return;
    }

  run = g_new0 (LoadRun, 1);
  run->task = g_object_ref (task);
  run->job = load_job_new (self, module, built_path);
  run->timeout_ms = timeout_ms;
  run->deadline_id = g_timeout_add (timeout_ms, load_deadline_passed, run);
  g_thread_unref (g_thread_new ("hotnode-load", load_thread, run));
}

/**
 * hot_loader_load_finish:
 * @self: a loader
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the library, or %NULL with an error
 */
HotLibrary *
hot_loader_load_finish (HotLoader    *self,
                        GAsyncResult *result,
                        GError      **error)
{
  g_return_val_if_fail (HOT_IS_LOADER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * hot_library_leave_loaded:
 * @library: a library
 *
 * Frees what describes @library and leaves its code loaded: widgets,
 * closures and types of its code may be alive anywhere in the app. Its
 * link in the private folder goes with the folder at exit.
 */
void
hot_library_leave_loaded (HotLibrary *library)
{
  g_free (library->module);
  g_free (library->path);
  g_free (library->built_path);
  g_free (library);
}

/**
 * hot_library_get_built_path:
 * @library: a library
 *
 * The built library that @library was copied from, if it is still the
 * file that was copied (same file, size and time): to load the same code
 * again.
 *
 * Returns: (nullable): its path, or %NULL when it changed or is gone
 */
const char *
hot_library_get_built_path (const HotLibrary *library)
{
  struct stat st;

  if (library->built_path == NULL || stat (library->built_path, &st) != 0 || st.st_dev != library->built_dev ||
      st.st_ino != library->built_ino || st.st_size != library->built_size || mtime_ns (&st) != library->built_mtime_ns)
    return NULL;

  return library->built_path;
}

/**
 * hot_library_free:
 * @library: a library
 *
 * Closes a library whose code was never called (a refused generation) and
 * removes its copy (or the link that took its place).
 */
void
hot_library_free (HotLibrary *library)
{
  if (library->handle != NULL)
    {
      hot_guard_remove_library (library->handle);
      dlclose (library->handle);
    }
  if (library->path != NULL)
    g_unlink (library->path);
  g_free (library->module);
  g_free (library->path);
  g_free (library->built_path);
  g_free (library);
}

/**
 * hot_loader_get_executable_dir:
 *
 * Returns: (transfer full) (nullable): the folder of the running executable
 */
char *
hot_loader_get_executable_dir (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);

  return exe ? g_path_get_dirname (exe) : NULL;
}
