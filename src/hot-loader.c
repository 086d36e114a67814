/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE /* gettid, SIGEV_THREAD_ID: this file is the Linux one */
#include "config.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <execinfo.h>
#include <setjmp.h>
#include <link.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hot-loader-private.h"
#include "hot-reload.h"
#include "hot-table-private.h"

/*
 * HotLoader: the Linux part of hot reload (dlopen, /proc, process ids). It
 * knows nothing of widgets.
 *
 * glibc hands back the handle it already has for a file (same device and
 * inode) even when the file changed, and the build overwrites its output in
 * place, so each generation is copied into a private folder first:
 *
 *   <base>/                       0700, owned by the user, checked
 *   <base>/run-<pid>-XXXXXX/      one per process, unpredictable name
 *   <base>/run-.../<module>-<generation>.so   0500
 *
 * Folders of processes that are gone (crashed or killed) are removed when a
 * loader starts; the folder of this process is removed at exit. Libraries are
 * opened RTLD_LOCAL, so a generation's symbols never interpose with the
 * executable's or another generation's, and accepted generations are never
 * closed: widgets, closures and GTypes of theirs may be alive.
 *
 * A copy has another $ORIGIN than the built file, so before opening it the
 * loader reads its ELF dynamic section and opens, from where the build put
 * them, the dependencies its RUNPATH finds relative to $ORIGIN.
 *
 * The service loads in a worker thread with a deadline
 * (hot_loader_load_async()): an ELF constructor that never returns costs a
 * stuck thread, not the app.
 */

#if defined(__x86_64__)
#define HOST_ELF_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define HOST_ELF_MACHINE EM_AARCH64
#elif defined(__i386__)
#define HOST_ELF_MACHINE EM_386
#elif defined(__arm__)
#define HOST_ELF_MACHINE EM_ARM
#elif defined(__riscv)
#define HOST_ELF_MACHINE EM_RISCV
#elif defined(__powerpc64__)
#define HOST_ELF_MACHINE EM_PPC64
#elif defined(__s390x__)
#define HOST_ELF_MACHINE EM_S390
#else
#define HOST_ELF_MACHINE EM_NONE
#endif

#if __SIZEOF_POINTER__ == 8
#define HOST_ELF_CLASS ELFCLASS64
#else
#define HOST_ELF_CLASS ELFCLASS32
#endif

struct _HotLoader
{
  GObject parent_instance;

  char    *base_dir;
  char    *private_dir;
  guint    n_loaded;
  gboolean stuck;
};

G_DEFINE_FINAL_TYPE (HotLoader, hot_loader, G_TYPE_OBJECT)

static GPtrArray *dirs_to_remove_at_exit;

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
remove_dirs_at_exit (void)
{
  for (guint i = 0; dirs_to_remove_at_exit && i < dirs_to_remove_at_exit->len; i++)
    remove_tree (g_ptr_array_index (dirs_to_remove_at_exit, i));
}

static gboolean
process_is_gone (const char *run_dir_name)
{
  guint64 pid;

  if (!g_str_has_prefix (run_dir_name, "run-"))
    return FALSE;
  pid = g_ascii_strtoull (run_dir_name + strlen ("run-"), NULL, 10);
  if (pid == 0 || pid == (guint64) getpid ())
    return FALSE;

  return kill ((pid_t) pid, 0) != 0 && errno == ESRCH;
}

static void
remove_stale_runs (const char *base_dir)
{
  g_autoptr (GDir) dir = g_dir_open (base_dir, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      if (process_is_gone (name))
        {
          g_autofree char *path = g_build_filename (base_dir, name, NULL);

          g_debug ("Removing %s, left by a process that is gone", path);
          remove_tree (path);
        }
    }
}

static gboolean
ensure_private_base (const char *base_dir,
                     GError    **error)
{
  struct stat st;

  if (g_mkdir_with_parents (base_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_PRIVATE_DIR,
                   _ ("Could not create the private folder %s: %s"),
                   base_dir, g_strerror (saved_errno));
      return FALSE;
    }

  if (lstat (base_dir, &st) != 0 || !S_ISDIR (st.st_mode))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_PRIVATE_DIR,
                   _ ("The private folder %s is not a folder"), base_dir);
      return FALSE;
    }

  if (st.st_uid != getuid () || (st.st_mode & 0077) != 0)
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_PRIVATE_DIR,
                   _ ("Refusing to load code from %s: it must be owned by you and closed to others (chmod 700)"),
                   base_dir);
      return FALSE;
    }

  return TRUE;
}

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

  if (!ensure_private_base (self->base_dir, error))
    return NULL;

  remove_stale_runs (self->base_dir);

  template = g_strdup_printf ("%s/run-%d-XXXXXX", self->base_dir, (int) getpid ());
  if (g_mkdtemp_full (template, 0700) == NULL)
    {
      int saved_errno = errno;

      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_PRIVATE_DIR,
                   _ ("Could not create a private folder in %s: %s"),
                   self->base_dir, g_strerror (saved_errno));
      return NULL;
    }
  self->private_dir = g_steal_pointer (&template);

  if (dirs_to_remove_at_exit == NULL)
    {
      dirs_to_remove_at_exit = g_ptr_array_new ();
      atexit (remove_dirs_at_exit);
    }
  g_ptr_array_add (dirs_to_remove_at_exit, g_strdup (self->private_dir));

  return g_steal_pointer (&self);
}

const char *
hot_loader_get_private_dir (HotLoader *self)
{
  g_return_val_if_fail (HOT_IS_LOADER (self), NULL);

  return self->private_dir;
}

/* Checks that @contents is a shared object this process can load. */
static gboolean
check_elf (const char *contents,
           gsize       length,
           const char *built_path,
           GError    **error)
{
  const ElfW (Ehdr) *header = (const ElfW (Ehdr) *) contents;

  if (length < sizeof (ElfW (Ehdr)) || memcmp (header->e_ident, ELFMAG, SELFMAG) != 0)
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD,
                   _ ("%s is not a shared library (no ELF header); check what the rebuilder writes"),
                   built_path);
      return FALSE;
    }

  if (header->e_ident[EI_CLASS] != HOST_ELF_CLASS ||
      (HOST_ELF_MACHINE != EM_NONE && header->e_machine != HOST_ELF_MACHINE))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD,
                   _ ("%s was built for another architecture (ELF machine %u, this process is %u)"),
                   built_path, header->e_machine, (guint) HOST_ELF_MACHINE);
      return FALSE;
    }

  if (header->e_type != ET_DYN || header->e_phoff == 0 ||
      header->e_phoff + (gsize) header->e_phnum * sizeof (ElfW (Phdr)) > length ||
      header->e_shoff + (gsize) header->e_shnum * header->e_shentsize > length)
    goto truncated;

  /* dlopen maps what the file lacks too, and touching it later raises
   * SIGBUS: every loaded segment must be in the file. */
  for (guint i = 0; i < header->e_phnum; i++)
    {
      const ElfW (Phdr) *segment = (const ElfW (Phdr) *) (contents + header->e_phoff) + i;

      if (segment->p_type == PT_LOAD && segment->p_offset + segment->p_filesz > length)
        goto truncated;
    }

  return TRUE;

truncated:
  g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD,
               _ ("%s is not a complete shared library (truncated, or not ET_DYN)"),
               built_path);
  return FALSE;
}

/**
 * hot_elf_make_sections_writable:
 * @object_path: a relocatable ELF object
 * @names: the sections to mark writable
 * @error: return location for a #GError
 *
 * Sets SHF_WRITE on the named sections of @object_path, in place. tcc gives
 * every section named with `__attribute__ ((section))` the flags of
 * read-only data, whatever its variables; the relocations of the table
 * entries would then make the linker write text relocations.
 *
 * Returns: %TRUE when the object is readable ELF (whether or not it has the
 *   sections), %FALSE with %HOT_RELOAD_ERROR_BUILD otherwise
 */
gboolean
hot_elf_make_sections_writable (const char        *object_path,
                                const char *const *names,
                                GError           **error)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) local_error = NULL;
  gsize length;
  ElfW (Ehdr) header;
  ElfW (Shdr) names_section;
  gboolean changed = FALSE;

  if (!g_file_get_contents (object_path, &contents, &length, &local_error))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                   _ ("Could not read the compiled object: %s"), local_error->message);
      return FALSE;
    }

  /* Headers are copied out: tcc does not align its section headers. */
  if (length >= sizeof header)
    memcpy (&header, contents, sizeof header);
  if (length < sizeof header || memcmp (header.e_ident, ELFMAG, SELFMAG) != 0 ||
      header.e_ident[EI_CLASS] != HOST_ELF_CLASS || header.e_type != ET_REL ||
      header.e_shentsize != sizeof (ElfW (Shdr)) || header.e_shstrndx >= header.e_shnum ||
      header.e_shoff + (gsize) header.e_shnum * sizeof (ElfW (Shdr)) > length)
    goto not_elf;

  memcpy (&names_section, contents + header.e_shoff + header.e_shstrndx * sizeof (ElfW (Shdr)),
          sizeof names_section);
  if (names_section.sh_offset + names_section.sh_size > length)
    goto not_elf;

  for (guint i = 0; i < header.e_shnum; i++)
    {
      char       *place = contents + header.e_shoff + i * sizeof (ElfW (Shdr));
      const char *name;
      ElfW (Shdr) section;

      memcpy (&section, place, sizeof section);
      name = contents + names_section.sh_offset + section.sh_name;
      if (section.sh_name >= names_section.sh_size ||
          memchr (name, '\0', names_section.sh_size - section.sh_name) == NULL)
        continue;
      if (g_strv_contains (names, name) && (section.sh_flags & SHF_WRITE) == 0)
        {
          section.sh_flags |= SHF_WRITE;
          memcpy (place, &section, sizeof section);
          changed = TRUE;
        }
    }

  if (changed && !g_file_set_contents (object_path, contents, length, &local_error))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                   _ ("Could not write the compiled object: %s"), local_error->message);
      return FALSE;
    }

  return TRUE;

not_elf:
  g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
               _ ("%s is not an ELF object of this architecture"), object_path);
  return FALSE;
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

/* The file offset of a virtual address, through the PT_LOAD segments. */
static gsize
vaddr_to_offset (const ElfW (Phdr) * phdrs,
                 guint n_phdrs,
                 ElfW (Addr) vaddr)
{
  for (guint i = 0; i < n_phdrs; i++)
    if (phdrs[i].p_type == PT_LOAD && vaddr >= phdrs[i].p_vaddr &&
        vaddr < phdrs[i].p_vaddr + phdrs[i].p_filesz)
      return vaddr - phdrs[i].p_vaddr + phdrs[i].p_offset;

  return 0;
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
  const ElfW (Ehdr) *header = (const ElfW (Ehdr) *) contents;
  const ElfW (Phdr) *phdrs = (const ElfW (Phdr) *) (contents + header->e_phoff);
  const ElfW (Dyn) *dynamic = NULL;
  g_autofree char *origin = g_path_get_dirname (built_path);
  g_auto (GStrv) search_dirs = NULL;
  gsize    n_dynamic = 0, strtab = 0, runpath = 0;
  gboolean has_runpath = FALSE;

  for (guint i = 0; i < header->e_phnum; i++)
    if (phdrs[i].p_type == PT_DYNAMIC && phdrs[i].p_offset + phdrs[i].p_filesz <= length)
      {
        dynamic = (const ElfW (Dyn) *) (contents + phdrs[i].p_offset);
        n_dynamic = phdrs[i].p_filesz / sizeof (ElfW (Dyn));
      }

  for (gsize i = 0; i < n_dynamic && dynamic[i].d_tag != DT_NULL; i++)
    {
      if (dynamic[i].d_tag == DT_STRTAB)
        strtab = vaddr_to_offset (phdrs, header->e_phnum, dynamic[i].d_un.d_ptr);
      else if (dynamic[i].d_tag == DT_RUNPATH || dynamic[i].d_tag == DT_RPATH)
        {
          runpath = dynamic[i].d_un.d_val;
          has_runpath = TRUE;
        }
    }

  if (strtab == 0 || !has_runpath || strtab + runpath >= length)
    return;

  search_dirs = g_strsplit (contents + strtab + runpath, ":", -1);
  for (guint i = 0; search_dirs[i]; i++)
    {
      GString *dir = g_string_new (search_dirs[i]);

      g_string_replace (dir, "${ORIGIN}", origin, 0);
      g_string_replace (dir, "$ORIGIN", origin, 0);
      g_free (search_dirs[i]);
      search_dirs[i] = g_string_free (dir, FALSE);
    }

  for (gsize i = 0; i < n_dynamic && dynamic[i].d_tag != DT_NULL; i++)
    {
      const char *needed;
      gpointer    loaded;

      if (dynamic[i].d_tag != DT_NEEDED || strtab + dynamic[i].d_un.d_val >= length)
        continue;

      needed = contents + strtab + dynamic[i].d_un.d_val;
      loaded = dlopen (needed, RTLD_LAZY | RTLD_NOLOAD);
      if (loaded != NULL)
        {
          dlclose (loaded);
          continue;
        }

      for (guint j = 0; search_dirs[j]; j++)
        {
          g_autofree char *candidate = g_build_filename (search_dirs[j], needed, NULL);

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

  if (!check_elf (contents, length, job->built_path, error) ||
      !check_trusted (job->built_path, error))
    return NULL;
  preload_origin_dependencies (contents, length, job->built_path);

  copy_name = g_strdup_printf ("%s-%u.so", job->module, job->generation);
  copy_path = g_build_filename (job->private_dir, copy_name, NULL);
  if (!g_file_set_contents_full (copy_path, contents, length,
                                 G_FILE_SET_CONTENTS_NONE, 0500, &local_error))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD,
                   _ ("Could not copy the built library to the private folder: %s"),
                   local_error->message);
      return NULL;
    }

  return g_steal_pointer (&copy_path);
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
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD,
                   _ ("Could not load %s (built as %s): %s"),
                   copy_path, job->built_path, dlerror ());
      g_unlink (copy_path);
      return NULL;
    }

  library = g_new0 (HotLibrary, 1);
  library->module = g_strdup (job->module);
  library->path = g_steal_pointer (&copy_path);
  library->generation = job->generation;
  library->handle = handle;
  library->copied_at = copied_at;
  library->opened_at = g_get_monotonic_time ();

  image = dlsym (handle, "hot_module_image");
  if (image == NULL)
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD,
                   _ ("%s is not a hot module: build it with dependency('hotnode-module-1')"),
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

  remove_dirs_at_exit ();
  fflush (NULL);
  _exit (status);
}

/* One load, on a thread of its own: a thread that crashed or hangs inside
 * dlopen must never run anything else. The thread fills in the result; the
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
  HotCrash    crash;
  gboolean    crashed;
} LoadRun;

/* The stuck or crashed load may hold glibc's loader lock: refuse further
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

  if (run->crashed)
    {
      g_autofree char *signal_name = hot_signal_name (run->crash.signal);

      /* It died inside dlopen, where glibc holds its loader lock. */
      if (!run->answered)
        mark_loader_stuck (self);
      g_clear_error (&run->error);
      g_set_error (&run->error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_CRASHED,
                   _ ("Loading the new library crashed with %s (%s) in one of its constructors. "
                      "The previous code stays live; restart the app to load new code.\n%s"),
                   signal_name, g_strsignal (run->crash.signal), run->crash.backtrace);
    }
  else if (run->answered)
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

static void release_alternate_stack (void);

static gpointer
load_thread (gpointer data)
{
  LoadRun *run = data;

  run->crashed = !hot_guard_call (run_load, run, 0, &run->crash);
  release_alternate_stack ();
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
 * never returns, or crashes, cannot take the app down. Such a thread may
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
 * hot_library_free:
 * @library: a library
 *
 * Closes a library whose code was never called (a refused generation) and
 * removes its copy.
 */
void
hot_library_free (HotLibrary *library)
{
  if (library->handle != NULL)
    dlclose (library->handle);
  if (library->path != NULL)
    g_unlink (library->path);
  g_free (library->module);
  g_free (library->path);
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

/* The child leads a new process group, so that a signal to the group
 * reaches everything it starts (compilers under ninja, say). */
static void
lead_process_group (gpointer user_data)
{
  setpgid (0, 0);
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
 * read together. Cancelling sends SIGTERM to the group and completes once
 * the command has exited.
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

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, hot_process_run_async);
  g_task_set_check_cancellable (task, FALSE);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_cwd (launcher, cwd);
  g_subprocess_launcher_set_child_setup (launcher, lead_process_group, NULL, NULL);
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

  subprocess = g_task_propagate_pointer (G_TASK (result), error);
  if (subprocess != NULL)
    *output = g_bytes_ref (g_task_get_task_data (G_TASK (result)));

  return subprocess;
}

/*
 * Guarded calls: running the constructors of a new generation so that a
 * crash in them (or a constructor that never returns) comes back as a report
 * instead of ending the process. The handlers are installed only for the
 * duration of the call and the previous ones restored after it, so crashes
 * anywhere else behave exactly as without hotnode.
 */

static const int guarded_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGALRM };

/* Per thread: a signal in another thread is none of ours. */
static _Thread_local sigjmp_buf *volatile guard_jump;
static _Thread_local volatile sig_atomic_t guard_signal;
static _Thread_local void                 *guard_frames[48];
static _Thread_local volatile int          guard_n_frames;

/* The app's own handlers, set aside while any thread is in a guarded call. */
G_LOCK_DEFINE_STATIC (guard_handlers);
static guint            guard_users;
static struct sigaction app_handlers[G_N_ELEMENTS (guarded_signals)];

static void
guard_handler (int        signum,
               siginfo_t *info,
               void      *context)
{
  if (guard_jump == NULL)
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
  siglongjmp (*guard_jump, 1);
}

static void
guard_handlers_acquire (void)
{
  struct sigaction action = { 0 };

  action.sa_sigaction = guard_handler;
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

/* A stack for the handler, so that a stack overflow is caught too. A thread
 * that has one already (ASan gives each thread its own) keeps it. */
static _Thread_local gpointer alternate_stack;

static void
ensure_alternate_stack (void)
{
  stack_t current, stack = { 0 };

  if (alternate_stack == NULL &&
      (sigaltstack (NULL, &current) != 0 || (current.ss_flags & SS_DISABLE) != 0))
    {
      stack.ss_size = MAX (SIGSTKSZ, 64 * 1024);
      stack.ss_sp = alternate_stack = g_malloc (stack.ss_size);
      sigaltstack (&stack, NULL);
    }

  /* backtrace() loads libgcc on its first call: not in the handler. */
  guard_n_frames = backtrace (guard_frames, 1);
}

/* For a thread that ends: its stack, if it is ours, goes with it. */
static void
release_alternate_stack (void)
{
  stack_t disable = { .ss_flags = SS_DISABLE };

  if (alternate_stack == NULL)
    return;

  sigaltstack (&disable, NULL);
  g_clear_pointer (&alternate_stack, g_free);
}

/**
 * hot_guard_call:
 * @func: the function to call
 * @data: its argument
 * @timeout_ms: how long it may run; 0 for no limit
 * @crash: (out caller-allocates): what happened, when it returns %FALSE
 *
 * Calls @func in the calling thread so that a crash in it
 * (SIGSEGV, SIGBUS, SIGFPE, SIGILL, abort() and failed assertions, traps) or
 * running past @timeout_ms returns %FALSE with a report, instead of ending
 * the process. Whatever @func was doing is abandoned where it was: memory it
 * allocated leaks, and objects it was changing may be half changed.
 *
 * Returns: whether @func returned normally
 */
gboolean
hot_guard_call (HotGuardFunc func,
                gpointer     data,
                guint        timeout_ms,
                HotCrash    *crash)
{
  struct sigevent   event = { 0 };
  struct itimerspec deadline = { 0 };
  timer_t           timer;
  gboolean          has_timer = FALSE;
  sigjmp_buf        jump;
  volatile gboolean returned = FALSE;

  g_return_val_if_fail (func != NULL, FALSE);
  g_return_val_if_fail (crash != NULL, FALSE);
  g_return_val_if_fail (guard_jump == NULL, FALSE);

  ensure_alternate_stack ();
  memset (crash, 0, sizeof (HotCrash));

  guard_handlers_acquire ();

  /* The deadline signals this thread, not whichever thread the kernel picks. */
  if (timeout_ms > 0)
    {
      event.sigev_notify = SIGEV_THREAD_ID;
      event.sigev_signo = SIGALRM;
      event._sigev_un._tid = gettid (); /* sigev_notify_thread_id, not spelled out by glibc 2.36 */
      has_timer = timer_create (CLOCK_MONOTONIC, &event, &timer) == 0;
      deadline.it_value.tv_sec = timeout_ms / 1000;
      deadline.it_value.tv_nsec = (long) (timeout_ms % 1000) * 1000000;
      if (has_timer)
        timer_settime (timer, 0, &deadline, NULL);
    }

  if (sigsetjmp (jump, 1) == 0)
    {
      guard_jump = &jump;
      func (data);
      returned = TRUE;
    }
  guard_jump = NULL;

  if (has_timer)
    timer_delete (timer);
  guard_handlers_release ();

  if (!returned)
    {
      g_autoptr (GString) frames = g_string_new (NULL);
      char **symbols; /* one block: array and strings, for free() */

      crash->signal = guard_signal;
      crash->timed_out = guard_signal == SIGALRM;
      symbols = backtrace_symbols (guard_frames, guard_n_frames);
      /* Skip the handler and the signal trampoline. */
      for (int i = 2; symbols != NULL && i < guard_n_frames; i++)
        g_string_append_printf (frames, "%s\n", symbols[i]);
      free (symbols);
      crash->backtrace = g_string_free (g_steal_pointer (&frames), FALSE);
    }

  return returned;
}

void
hot_crash_clear (HotCrash *crash)
{
  g_clear_pointer (&crash->backtrace, g_free);
}

/**
 * hot_signal_name:
 * @signum: a signal
 *
 * Returns: the signal's name, as `SIGSEGV`
 */
char *
hot_signal_name (int signum)
{
  const char *abbreviation = sigabbrev_np (signum);

  return abbreviation ? g_strconcat ("SIG", abbreviation, NULL) : g_strdup_printf ("signal %d", signum);
}
