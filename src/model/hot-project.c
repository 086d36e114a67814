/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "hot-project-private.h"
#include "hot-error.h"

/*
 * A hot module is a meson shared_module() built from the same sources as the
 * app. Meson compiles every target from the build folder, so the `__FILE__`
 * of an entry is the same relative path in the app and in the module; the
 * build's introspection data maps that path back to the module, its output
 * and its source folders. The app's meson.build needs no flags per module.
 */

#define INTRO_TARGETS "meson-info" G_DIR_SEPARATOR_S "intro-targets.json"
#define COMPILE_COMMANDS "compile_commands.json"

struct _HotProject
{
  char       *build_dir;
  char       *source_dir; /* meson-info.json's source folder, or NULL */
  GPtrArray  *modules;    /* HotModuleInfo */
  GHashTable *sources;    /* canonical source path → HotModuleInfo */
};

static void
hot_module_info_free (gpointer data)
{
  HotModuleInfo *info = data;

  g_free (info->name);
  g_free (info->build_dir);
  g_free (info->output);
  g_free (info->target);
  g_strfreev (info->sources);
  g_strfreev (info->source_dirs);
  g_clear_pointer (&info->commands, g_hash_table_unref);
  g_free (info);
}

static void
hot_compile_command_free (gpointer data)
{
  HotCompileCommand *command = data;

  g_free (command->directory);
  g_free (command->file);
  g_free (command->object);
  g_strfreev (command->argv);
  g_free (command);
}

/* Resolves symbolic links when the file exists, so that paths reached through
 * different links compare equal; otherwise only removes "." and "..". */
static char *
canonical_path (const char *path,
                const char *relative_to)
{
  g_autofree char *lexical = g_canonicalize_filename (path, relative_to);
  char            *real = realpath (lexical, NULL);

  if (real == NULL)
    return g_steal_pointer (&lexical);
  return real;
}

/* What hotnode trusts
 *
 * hotnode runs the commands of a build folder (ninja, and the compile and
 * link lines of its compile_commands.json and build.ninja) as the user. It
 * uses a folder only when no other user can have written what it reads
 * there: the folder and the files it reads belong to the user and only the
 * user can write them, and every folder above it belongs to the user or to
 * root and cannot be written by others, unless it has the sticky bit (as
 * /tmp), where nobody but an entry's owner can replace that entry. A folder
 * or file that the user's own private group may write (a group of the
 * user's name with no other member, as distributions that give users umask
 * 002 make) counts as the user's. */

/* The group @gid into @group, its strings in @buffer (free it). */
static gboolean
lookup_group (gid_t         gid,
              struct group *group,
              char        **buffer)
{
  long          size = sysconf (_SC_GETGR_R_SIZE_MAX);
  struct group *found = NULL;

  if (size <= 0)
    size = 16384;
  *buffer = g_malloc (size);

  return getgrgid_r (gid, group, *buffer, size, &found) == 0 && found != NULL;
}

static char *
group_name (gid_t gid)
{
  g_autofree char *buffer = NULL;
  struct group     group;

  if (lookup_group (gid, &group, &buffer))
    return g_strdup (group.gr_name);

  return g_strdup_printf ("%u", (guint) gid);
}

static gboolean
is_private_group (gid_t gid)
{
  const char      *user = g_get_user_name ();
  g_autofree char *buffer = NULL;
  struct group     group;

  if (gid != getgid () || !lookup_group (gid, &group, &buffer) || g_strcmp0 (group.gr_name, user) != 0)
    return FALSE;
  for (guint i = 0; group.gr_mem != NULL && group.gr_mem[i] != NULL; i++)
    if (!g_str_equal (group.gr_mem[i], user))
      return FALSE;

  return TRUE;
}

/* Why someone else may have written what @st describes, or NULL. Above the
 * build folder, root's folders and sticky folders are fine. */
static char *
untrusted_reason (const struct stat *st,
                  gboolean           above)
{
  gboolean sticky = above && S_ISDIR (st->st_mode) && (st->st_mode & S_ISVTX) != 0;

  if (st->st_uid != getuid () && !(above && st->st_uid == 0))
    return g_strdup_printf (_ ("it belongs to another user (uid %u)"), (guint) st->st_uid);
  if ((st->st_mode & S_IWOTH) != 0 && !sticky)
    return g_strdup (_ ("every user can write to it"));
  if ((st->st_mode & S_IWGRP) != 0 && !sticky && !is_private_group (st->st_gid))
    {
      g_autofree char *group = group_name (st->st_gid);

      return g_strdup_printf (_ ("the users of group “%s” can write to it"), group);
    }

  return NULL;
}

static void
set_untrusted_error (GError    **error,
                     const char *build_dir,
                     const char *path,
                     const char *reason)
{
  if (g_str_equal (path, build_dir))
    g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_UNSAFE_BUILD_DIR,
                 _ ("Refusing the build folder %s: %s. hotnode runs a build folder’s commands only when nobody "
                    "else can have written it; make it yours and writable only by you (chmod go-w)"),
                 build_dir, reason);
  else
    g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_UNSAFE_BUILD_DIR,
                 _ ("Refusing the build folder %s: %s, %s. hotnode runs a build folder’s commands only when nobody "
                    "else can have written them; make it yours and writable only by you (chmod go-w)"),
                 build_dir, path, reason);
}

/* Opens @path, a file of the build folder, and checks who may have written
 * it. Returns -1 with @error when it is refused; -1 with no error when it
 * does not exist and !@required. */
static int
open_trusted_file (const char *build_dir,
                   const char *path,
                   gboolean    required,
                   GError    **error)
{
  g_autofree char *reason = NULL;
  struct stat      st;
  int              fd = g_open (path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
  int              saved_errno = errno;

  if (fd < 0)
    {
      if (saved_errno == ENOENT && !required)
        return -1;
      if (saved_errno == ELOOP)
        set_untrusted_error (error, build_dir, path, _ ("it is a symbolic link"));
      else
        g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_NO_BUILD_DIR, _ ("Could not open %s: %s"), path,
                     g_strerror (saved_errno));
      return -1;
    }

  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    reason = g_strdup (_ ("it is not a regular file"));
  else
    reason = untrusted_reason (&st, FALSE);
  if (reason != NULL)
    {
      set_untrusted_error (error, build_dir, path, reason);
      close (fd);
      return -1;
    }

  return fd;
}

/* Reads a JSON file of the build folder into @parser, once it is trusted.
 * FALSE with no error when it does not exist and !@required. */
static gboolean
load_trusted_json (const char *build_dir,
                   const char *path,
                   gboolean    required,
                   JsonParser *parser,
                   GError    **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GString) contents = g_string_new (NULL);
  int    fd = open_trusted_file (build_dir, path, required, error);
  char   buffer[65536];
  gssize n;

  if (fd < 0)
    return FALSE;

  while ((n = read (fd, buffer, sizeof buffer)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          close (fd);
          g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_NO_BUILD_DIR, _ ("Could not read %s: %s"), path,
                       g_strerror (saved_errno));
          return FALSE;
        }
      g_string_append_len (contents, buffer, n);
    }
  close (fd);

  if (!json_parser_load_from_data (parser, contents->str, contents->len, &local_error))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_NO_BUILD_DIR, _ ("Could not read %s: %s"), path,
                   local_error->message);
      return FALSE;
    }

  return TRUE;
}

/**
 * hot_project_check_build_dir:
 * @build_dir: a build folder, absolute and canonical
 * @error: return location for a #GError
 *
 * Checks that nobody but the user can have written @build_dir, the folders
 * above it, its `meson-info/` folder and files, `build.ninja` and
 * `compile_commands.json` (see "What hotnode trusts" above).
 *
 * Returns: %TRUE when hotnode may use it; %FALSE with
 *   %HOT_RELOAD_ERROR_UNSAFE_BUILD_DIR naming the path and the reason
 */
gboolean
hot_project_check_build_dir (const char *build_dir,
                             GError    **error)
{
  const char      *files[] = { "build.ninja", COMPILE_COMMANDS };
  g_autofree char *dir = g_strdup (build_dir);
  g_autofree char *meson_info = g_build_filename (build_dir, "meson-info", NULL);
  g_autoptr (GDir) listing = NULL;
  const char *name;

  while (TRUE)
    {
      g_autofree char *reason = NULL;
      g_autofree char *parent = NULL;
      struct stat      st;

      if (g_lstat (dir, &st) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_NO_BUILD_DIR, _ ("Could not read the folder %s: %s"),
                       dir, g_strerror (saved_errno));
          return FALSE;
        }
      reason = untrusted_reason (&st, !g_str_equal (dir, build_dir));
      if (reason != NULL)
        {
          set_untrusted_error (error, build_dir, dir, reason);
          return FALSE;
        }

      parent = g_path_get_dirname (dir);
      if (g_str_equal (parent, dir))
        break;
      g_free (dir);
      dir = g_steal_pointer (&parent);
    }

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (build_dir, files[i], NULL);
      g_autoptr (GError) local_error = NULL;
      int fd = open_trusted_file (build_dir, path, FALSE, &local_error);

      if (fd >= 0)
        close (fd);
      else if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }

  listing = g_dir_open (meson_info, 0, NULL);
  if (listing != NULL)
    {
      g_autofree char *reason = NULL;
      struct stat      st;

      if (g_lstat (meson_info, &st) != 0 || !S_ISDIR (st.st_mode))
        reason = g_strdup (_ ("it is not a folder"));
      else
        reason = untrusted_reason (&st, FALSE);
      if (reason != NULL)
        {
          set_untrusted_error (error, build_dir, meson_info, reason);
          return FALSE;
        }
    }
  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (meson_info, name, NULL);
      int              fd;

      if (!g_str_has_suffix (name, ".json"))
        continue;
      fd = open_trusted_file (build_dir, path, TRUE, error);
      if (fd < 0)
        return FALSE;
      close (fd);
    }

  return TRUE;
}

/* JSON as it may come: any member may be missing or of another type. */

static const char *
node_string (JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static const char *
member_string (JsonObject *object,
               const char *member)
{
  return node_string (object ? json_object_get_member (object, member) : NULL);
}

static JsonArray *
member_array (JsonObject *object,
              const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static JsonObject *
element_object (JsonArray *array,
                guint      index)
{
  JsonNode *node = json_array_get_element (array, index);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static const char *
element_string (JsonArray *array,
                guint      index)
{
  return node_string (json_array_get_element (array, index));
}

/* Whether an executable target of @targets writes @executable. */
static gboolean
targets_build (JsonArray  *targets,
               const char *build_dir,
               const char *executable)
{
  for (guint i = 0; i < json_array_get_length (targets); i++)
    {
      JsonObject *target = element_object (targets, i);
      JsonArray  *filenames = member_array (target, "filename");

      if (g_strcmp0 (member_string (target, "type"), "executable") != 0)
        continue;
      for (guint j = 0; filenames != NULL && j < json_array_get_length (filenames); j++)
        {
          const char      *filename = element_string (filenames, j);
          g_autofree char *path = filename ? canonical_path (filename, build_dir) : NULL;

          if (path != NULL && g_str_equal (path, executable))
            return TRUE;
        }
    }

  return FALSE;
}

/**
 * hot_project_find_build_dir:
 * @executable: the running executable, absolute
 * @error: return location for a #GError
 *
 * Finds the meson build folder that built @executable: the nearest folder
 * above it with a `meson-info/`, which must pass
 * hot_project_check_build_dir () and list @executable among its targets. A
 * `meson-info/` that does not describe the app (the app copied under
 * another build, or under someone else's folder) is never used.
 *
 * Returns: (transfer full): the build folder, or %NULL with
 *   %HOT_RELOAD_ERROR_NO_BUILD_DIR or %HOT_RELOAD_ERROR_UNSAFE_BUILD_DIR
 */
char *
hot_project_find_build_dir (const char *executable,
                            GError    **error)
{
  g_autofree char *path = g_str_has_suffix (executable, " (deleted)")
                              ? g_strndup (executable, strlen (executable) - strlen (" (deleted)"))
                              : g_strdup (executable);
  g_autofree char *exe = canonical_path (path, NULL);
  g_autofree char *dir = g_path_get_dirname (exe);

  while (TRUE)
    {
      g_autofree char *intro = g_build_filename (dir, INTRO_TARGETS, NULL);
      g_autofree char *parent = NULL;

      if (g_file_test (intro, G_FILE_TEST_EXISTS))
        {
          g_autoptr (JsonParser) parser = json_parser_new ();
          JsonNode *root;

          if (!hot_project_check_build_dir (dir, error) || !load_trusted_json (dir, intro, TRUE, parser, error))
            return NULL;
          root = json_parser_get_root (parser);
          if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root) || !targets_build (json_node_get_array (root), dir, exe))
            {
              g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_NO_BUILD_DIR,
                           _ ("The meson build folder %s above the app did not build it (%s is none of its "
                              "targets); set HOT_RELOAD_BUILD_DIR to the app’s build folder"),
                           dir, exe);
              return NULL;
            }
          return g_steal_pointer (&dir);
        }

      parent = g_path_get_dirname (dir);
      if (g_str_equal (parent, dir))
        break;
      g_free (dir);
      dir = g_steal_pointer (&parent);
    }

  g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_NO_BUILD_DIR,
               _ ("No meson build folder contains %s; run the app from its build folder or set HOT_RELOAD_BUILD_DIR"),
               exe);
  return NULL;
}

static HotModuleInfo *
module_info_from_target (const char *build_dir,
                         JsonObject *target)
{
  g_autoptr (GPtrArray) sources = g_ptr_array_new_null_terminated (0, g_free, TRUE);
  g_autoptr (GPtrArray) dirs = g_ptr_array_new_null_terminated (0, g_free, TRUE);
  JsonArray     *filenames = member_array (target, "filename");
  JsonArray     *target_sources = member_array (target, "target_sources");
  const char    *name = member_string (target, "name");
  const char    *output = filenames && json_array_get_length (filenames) > 0 ? element_string (filenames, 0) : NULL;
  HotModuleInfo *info;

  if (name == NULL || output == NULL || !g_path_is_absolute (output) || target_sources == NULL)
    return NULL;

  for (guint i = 0; i < json_array_get_length (target_sources); i++)
    {
      JsonArray *files = member_array (element_object (target_sources, i), "sources");

      for (guint j = 0; files && j < json_array_get_length (files); j++)
        {
          const char      *file = element_string (files, j);
          char            *source;
          g_autofree char *dir = NULL;

          if (file == NULL || *file == '\0')
            continue;
          source = canonical_path (file, build_dir);
          dir = g_path_get_dirname (source);
          g_ptr_array_add (sources, source);
          if (!g_ptr_array_find_with_equal_func (dirs, dir, g_str_equal, NULL))
            g_ptr_array_add (dirs, g_steal_pointer (&dir));
        }
    }
  if (sources->len == 0)
    return NULL;

  info = g_new0 (HotModuleInfo, 1);
  info->name = g_strdup (name);
  info->build_dir = g_strdup (build_dir);
  info->output = g_strdup (output);
  if (g_str_has_prefix (info->output, build_dir) && info->output[strlen (build_dir)] == G_DIR_SEPARATOR)
    info->target = g_strdup (info->output + strlen (build_dir) + 1);
  else
    info->target = g_strdup (info->output);
  info->sources = (GStrv) g_ptr_array_steal (sources, NULL);
  info->source_dirs = (GStrv) g_ptr_array_steal (dirs, NULL);
  info->commands = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, hot_compile_command_free);

  return info;
}

/* The command line of an entry: its "arguments", or its "command" split as
 * a POSIX shell would. NULL with @why when there is none to run. */
static GStrv
command_argv (JsonObject *command,
              char      **why)
{
  JsonNode   *arguments_node = json_object_get_member (command, "arguments");
  JsonNode   *line_node = json_object_get_member (command, "command");
  const char *line = member_string (command, "command");
  g_autoptr (GError) error = NULL;
  GStrv argv = NULL;

  if (arguments_node != NULL)
    {
      JsonArray *arguments = member_array (command, "arguments");
      guint      length = arguments ? json_array_get_length (arguments) : 0;

      if (arguments == NULL)
        {
          *why = g_strdup (_ ("“arguments” is not a list"));
          return NULL;
        }
      if (length == 0)
        {
          *why = g_strdup (_ ("“arguments” is empty"));
          return NULL;
        }
      argv = g_new0 (char *, length + 1);
      for (guint i = 0; i < length; i++)
        {
          const char *argument = element_string (arguments, i);

          if (argument == NULL)
            {
              *why = g_strdup_printf (_ ("argument %u is not a string"), i);
              g_strfreev (argv);
              return NULL;
            }
          argv[i] = g_strdup (argument);
        }
      return argv;
    }

  if (line_node == NULL)
    *why = g_strdup (_ ("it has neither “arguments” nor “command”"));
  else if (line == NULL)
    *why = g_strdup (_ ("“command” is not a string"));
  else if (!g_shell_parse_argv (line, NULL, &argv, &error))
    *why = g_strdup_printf (_ ("“command” cannot be split into arguments: %s"), error->message);

  return argv;
}

/* How each module source is compiled. meson puts a target's objects in
 * "<its output>.p/", which tells the module's entry from the app's for the
 * same source. Without the file, builds still work: only
 * hot_module_info_mark_stale () and the fast path have nothing to go on.
 * An entry that cannot be used (no file, no command, members of the wrong
 * type) is left out with a log line. */
static void
load_compile_commands (HotProject *self)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (self->build_dir, COMPILE_COMMANDS, NULL);
  JsonNode        *root;
  JsonArray       *commands;

  if (!load_trusted_json (self->build_dir, path, FALSE, parser, &error))
    {
      if (error != NULL)
        g_message ("Not using %s: %s", path, error->message);
      return;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    {
      g_message ("Not using %s: it is not a list of compile commands", path);
      return;
    }

  commands = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (commands); i++)
    {
      JsonObject          *entry = element_object (commands, i);
      const char          *file, *output, *directory;
      const HotModuleInfo *info;
      HotCompileCommand   *command;
      g_autofree char     *source = NULL;
      g_autofree char     *object = NULL;
      g_autofree char     *object_dir = NULL;
      g_autofree char     *why = NULL;
      GStrv                argv;

      if (entry == NULL)
        {
          g_message ("Entry %u of %s is not an object: left out", i, path);
          continue;
        }
      file = member_string (entry, "file");
      output = member_string (entry, "output");
      directory = member_string (entry, "directory");
      if (json_object_has_member (entry, "directory") && directory == NULL)
        {
          g_message ("Entry %u of %s has a “directory” that is not a string: left out", i, path);
          continue;
        }
      if (directory == NULL)
        directory = self->build_dir;
      if (file == NULL || *file == '\0' || output == NULL || *output == '\0')
        {
          g_message ("Entry %u of %s has no “%s” string: left out", i, path, file == NULL || *file == '\0' ? "file" : "output");
          continue;
        }

      source = canonical_path (file, directory);
      info = g_hash_table_lookup (self->sources, source);
      if (info == NULL)
        continue;

      object = g_canonicalize_filename (output, directory);
      object_dir = g_strconcat (info->output, ".p", G_DIR_SEPARATOR_S, NULL);
      if (!g_str_has_prefix (object, object_dir))
        continue;

      argv = command_argv (entry, &why);
      if (argv == NULL)
        {
          g_message ("Entry %u of %s (%s) has no command to run: %s; left out", i, path, file, why);
          continue;
        }

      command = g_new0 (HotCompileCommand, 1);
      command->directory = g_strdup (directory);
      command->file = g_strdup (file);
      command->object = g_steal_pointer (&object);
      command->argv = argv;
      g_hash_table_replace (info->commands, g_steal_pointer (&source), command);
    }
}

static gboolean
is_c_source_or_header (const char *path)
{
  const char *suffixes[] = { ".c", ".h", ".cc", ".cpp", ".cxx", ".hh", ".hpp", ".inc" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    if (g_str_has_suffix (path, suffixes[i]))
      return TRUE;

  return FALSE;
}

/**
 * hot_module_info_mark_stale:
 * @info: a module
 * @changed_paths: files that changed since the module's last build started
 *
 * Makes sure the next build recompiles what changed. ninja decides by
 * modification times, and a file saved while the compiler was running can
 * end up older than the object built from its previous content: then ninja
 * would say there is nothing to do. Dating the objects of the changed
 * sources (all of the module's objects for a changed header) back to 1970
 * makes ninja rebuild them whatever the timing. The sources are untouched.
 */
void
hot_module_info_mark_stale (const HotModuleInfo *info,
                            GPtrArray           *changed_paths)
{
  struct utimbuf epoch = { 0, 0 };
  gboolean       all = FALSE;

  for (guint i = 0; i < changed_paths->len && !all; i++)
    {
      const char              *path = g_ptr_array_index (changed_paths, i);
      const HotCompileCommand *command = g_hash_table_lookup (info->commands, path);

      if (command != NULL)
        g_utime (command->object, &epoch);
      else if (is_c_source_or_header (path) && g_file_test (path, G_FILE_TEST_IS_REGULAR))
        all = TRUE;
    }

  if (all)
    {
      GHashTableIter     iter;
      HotCompileCommand *command;

      g_hash_table_iter_init (&iter, info->commands);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &command))
        g_utime (command->object, &epoch);
    }
}

/* The project's source folder, from meson-info/meson-info.json. */
static void
load_source_dir (HotProject *self)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *path = g_build_filename (self->build_dir, "meson-info", "meson-info.json", NULL);
  JsonNode        *root, *directories;
  const char      *source;

  if (!load_trusted_json (self->build_dir, path, FALSE, parser, NULL))
    return;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      (directories = json_object_get_member (json_node_get_object (root), "directories")) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (directories))
    return;
  source = member_string (json_node_get_object (directories), "source");
  if (source != NULL && g_path_is_absolute (source))
    self->source_dir = canonical_path (source, NULL);
}

/* Indexes the modules' sources: the first module built from a source has
 * it. */
static void
index_sources (HotProject *self)
{
  g_hash_table_remove_all (self->sources);
  for (guint i = 0; i < self->modules->len; i++)
    {
      HotModuleInfo *info = g_ptr_array_index (self->modules, i);

      for (guint j = 0; info->sources[j]; j++)
        if (!g_hash_table_contains (self->sources, info->sources[j]))
          g_hash_table_insert (self->sources, info->sources[j], info);
    }
}

/**
 * hot_project_load:
 * @build_dir: a meson build folder
 * @error: return location for a #GError
 *
 * Reads the shared modules of a meson build, once
 * hot_project_check_build_dir () trusts it.
 *
 * Returns: (transfer full): the project, or %NULL with
 *   %HOT_RELOAD_ERROR_NO_BUILD_DIR or %HOT_RELOAD_ERROR_UNSAFE_BUILD_DIR
 */
HotProject *
hot_project_load (const char *build_dir,
                  GError    **error)
{
  g_autoptr (HotProject) self = g_new0 (HotProject, 1);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *intro = NULL;
  JsonNode        *root;
  JsonArray       *targets;

  self->build_dir = canonical_path (build_dir, NULL);
  self->modules = g_ptr_array_new_with_free_func (hot_module_info_free);
  self->sources = g_hash_table_new (g_str_hash, g_str_equal);

  if (!hot_project_check_build_dir (self->build_dir, error))
    return NULL;

  intro = g_build_filename (self->build_dir, INTRO_TARGETS, NULL);
  if (!load_trusted_json (self->build_dir, intro, TRUE, parser, error))
    {
      g_prefix_error (error, _ ("Could not read the build description: "));
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_NO_BUILD_DIR,
                   _ ("The build description %s is not a list of targets"), intro);
      return NULL;
    }

  targets = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (targets); i++)
    {
      JsonObject    *target = element_object (targets, i);
      HotModuleInfo *info;

      if (g_strcmp0 (member_string (target, "type"), "shared module") != 0)
        continue;

      info = module_info_from_target (self->build_dir, target);
      if (info == NULL)
        {
          g_debug ("Target %u of %s is a shared module without a name, a library or sources: left out", i, intro);
          continue;
        }

      g_ptr_array_add (self->modules, info);
    }
  index_sources (self);

  load_compile_commands (self);
  load_source_dir (self);

  return g_steal_pointer (&self);
}

static gboolean
same_commands (GHashTable *a,
               GHashTable *b)
{
  GHashTableIter     iter;
  const char        *source;
  HotCompileCommand *command;

  if (g_hash_table_size (a) != g_hash_table_size (b))
    return FALSE;

  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, (gpointer *) &source, (gpointer *) &command))
    {
      HotCompileCommand *other = g_hash_table_lookup (b, source);

      if (other == NULL || g_strcmp0 (command->directory, other->directory) != 0 ||
          g_strcmp0 (command->file, other->file) != 0 || g_strcmp0 (command->object, other->object) != 0 ||
          !g_strv_equal ((const char *const *) command->argv, (const char *const *) other->argv))
        return FALSE;
    }

  return TRUE;
}

/* Whether @a and @b build the same library from the same sources with the
 * same commands. */
static gboolean
same_module (const HotModuleInfo *a,
             const HotModuleInfo *b)
{
  return g_str_equal (a->output, b->output) &&
         g_strv_equal ((const char *const *) a->sources, (const char *const *) b->sources) &&
         same_commands (a->commands, b->commands);
}

/**
 * hot_project_update:
 * @self: a project
 * @fresh: the same build folder, read again after meson regenerated it
 * @may_change: (scope call): whether a module's description may change now
 *   (nothing of it in use by a build)
 * @user_data: for @may_change
 * @changed: (out) (transfer container): the modules whose description
 *   changed, in place: their sources, their library or how their sources
 *   are compiled
 * @added: (out) (transfer container): the modules that are new
 *
 * Takes from @fresh what changed. A module that is no longer in the build
 * keeps its description; one that @may_change refuses is left as it was.
 *
 * Returns: whether every change was taken
 */
gboolean
hot_project_update (HotProject *self,
                    HotProject *fresh,
                    gboolean (*may_change) (const HotModuleInfo *info,
                                            gpointer             user_data),
                    gpointer    user_data,
                    GPtrArray **changed,
                    GPtrArray **added)
{
  gboolean all = TRUE;

  *changed = g_ptr_array_new ();
  *added = g_ptr_array_new ();

  while (fresh->modules->len > 0)
    {
      HotModuleInfo *info = g_ptr_array_steal_index (fresh->modules, 0);
      HotModuleInfo *old = NULL;

      for (guint i = 0; i < self->modules->len && old == NULL; i++)
        if (g_str_equal (((HotModuleInfo *) g_ptr_array_index (self->modules, i))->name, info->name))
          old = g_ptr_array_index (self->modules, i);

      if (old == NULL)
        {
          g_ptr_array_add (self->modules, info);
          g_ptr_array_add (*added, info);
          continue;
        }

      if (same_module (old, info))
        ;
      else if (!may_change (old, user_data))
        all = FALSE;
      else
        {
          /* The same struct: every holder of the module's description
           * sees the new one. */
          g_free (old->output);
          g_free (old->target);
          g_strfreev (old->sources);
          g_strfreev (old->source_dirs);
          g_hash_table_unref (old->commands);
          old->output = g_steal_pointer (&info->output);
          old->target = g_steal_pointer (&info->target);
          old->sources = g_steal_pointer (&info->sources);
          old->source_dirs = g_steal_pointer (&info->source_dirs);
          old->commands = g_steal_pointer (&info->commands);
          g_ptr_array_add (*changed, old);
        }
      hot_module_info_free (info);
    }

  g_hash_table_remove_all (fresh->sources);
  index_sources (self);
  g_free (self->source_dir);
  self->source_dir = g_steal_pointer (&fresh->source_dir);

  return all;
}

void
hot_project_free (HotProject *self)
{
  g_clear_pointer (&self->sources, g_hash_table_unref);
  g_clear_pointer (&self->modules, g_ptr_array_unref);
  g_free (self->build_dir);
  g_free (self->source_dir);
  g_free (self);
}

const char *
hot_project_get_build_dir (HotProject *self)
{
  return self->build_dir;
}

/* The project's source folder; NULL when the build does not say. */
const char *
hot_project_get_source_dir (HotProject *self)
{
  return self->source_dir;
}

/**
 * hot_project_lookup_source:
 * @self: a project
 * @file: a source file as the compiler saw it: absolute, or relative to the
 *   build folder
 *
 * Returns: (nullable): the shared module built from @file
 */
const HotModuleInfo *
hot_project_lookup_source (HotProject *self,
                           const char *file)
{
  g_autofree char *path = canonical_path (file, self->build_dir);

  return g_hash_table_lookup (self->sources, path);
}
