/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <utime.h>
#include <stdlib.h>
#include <string.h>

#include "hot-project-private.h"
#include "hot-reload.h"

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

/**
 * hot_project_find_build_dir:
 * @start_dir: the folder to start from, usually the executable's
 * @error: return location for a #GError
 *
 * Finds the meson build folder that contains @start_dir.
 *
 * Returns: (transfer full): the build folder, or %NULL with
 *   %HOT_RELOAD_ERROR_NO_BUILD_DIR
 */
char *
hot_project_find_build_dir (const char *start_dir,
                            GError    **error)
{
  g_autofree char *dir = canonical_path (start_dir, NULL);

  while (TRUE)
    {
      g_autofree char *intro = g_build_filename (dir, INTRO_TARGETS, NULL);
      g_autofree char *parent = NULL;

      if (g_file_test (intro, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&dir);

      parent = g_path_get_dirname (dir);
      if (g_str_equal (parent, dir))
        break;
      g_free (dir);
      dir = g_steal_pointer (&parent);
    }

  g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_NO_BUILD_DIR,
               _ ("No meson build folder contains %s; run the app from its build folder or set HOT_RELOAD_BUILD_DIR"),
               start_dir);
  return NULL;
}

static HotModuleInfo *
module_info_from_target (const char *build_dir,
                         JsonObject *target)
{
  g_autoptr (GPtrArray) sources = g_ptr_array_new_null_terminated (0, g_free, TRUE);
  g_autoptr (GPtrArray) dirs = g_ptr_array_new_null_terminated (0, g_free, TRUE);
  JsonArray     *filenames = json_object_get_array_member (target, "filename");
  JsonArray     *target_sources = json_object_get_array_member (target, "target_sources");
  HotModuleInfo *info;

  if (filenames == NULL || json_array_get_length (filenames) == 0 || target_sources == NULL)
    return NULL;

  for (guint i = 0; i < json_array_get_length (target_sources); i++)
    {
      JsonObject *group = json_array_get_object_element (target_sources, i);
      JsonArray  *files = group ? json_object_get_array_member (group, "sources") : NULL;

      for (guint j = 0; files && j < json_array_get_length (files); j++)
        {
          char            *source = canonical_path (json_array_get_string_element (files, j), build_dir);
          g_autofree char *dir = g_path_get_dirname (source);

          g_ptr_array_add (sources, source);
          if (!g_ptr_array_find_with_equal_func (dirs, dir, g_str_equal, NULL))
            g_ptr_array_add (dirs, g_steal_pointer (&dir));
        }
    }

  info = g_new0 (HotModuleInfo, 1);
  info->name = g_strdup (json_object_get_string_member (target, "name"));
  info->build_dir = g_strdup (build_dir);
  info->output = g_strdup (json_array_get_string_element (filenames, 0));
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
 * a POSIX shell would. */
static GStrv
command_argv (JsonObject *command)
{
  JsonArray  *arguments = json_object_has_member (command, "arguments")
                              ? json_object_get_array_member (command, "arguments")
                              : NULL;
  const char *line = json_object_get_string_member_with_default (command, "command", NULL);
  GStrv       argv = NULL;

  if (arguments != NULL)
    {
      argv = g_new0 (char *, json_array_get_length (arguments) + 1);
      for (guint i = 0; i < json_array_get_length (arguments); i++)
        argv[i] = g_strdup (json_array_get_string_element (arguments, i));
    }
  else if (line != NULL && !g_shell_parse_argv (line, NULL, &argv, NULL))
    argv = NULL;

  return argv;
}

/* How each module source is compiled. meson puts a target's objects in
 * "<its output>.p/", which tells the module's entry from the app's for the
 * same source. Without the file, builds still work: only
 * hot_module_info_mark_stale () and the fast path have nothing to go on. */
static void
load_compile_commands (HotProject *self)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *path = g_build_filename (self->build_dir, COMPILE_COMMANDS, NULL);
  JsonNode        *root;
  JsonArray       *commands;

  if (!json_parser_load_from_file (parser, path, NULL))
    return;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_ARRAY (root))
    return;

  commands = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (commands); i++)
    {
      JsonObject          *entry = json_array_get_object_element (commands, i);
      const char          *file, *output, *directory;
      const HotModuleInfo *info;
      HotCompileCommand   *command;
      g_autofree char     *source = NULL;
      g_autofree char     *object = NULL;
      g_autofree char     *object_dir = NULL;

      if (entry == NULL)
        continue;
      file = json_object_get_string_member_with_default (entry, "file", NULL);
      output = json_object_get_string_member_with_default (entry, "output", NULL);
      directory = json_object_get_string_member_with_default (entry, "directory", self->build_dir);
      if (file == NULL || output == NULL)
        continue;

      source = canonical_path (file, directory);
      info = g_hash_table_lookup (self->sources, source);
      if (info == NULL)
        continue;

      object = g_canonicalize_filename (output, directory);
      object_dir = g_strconcat (info->output, ".p", G_DIR_SEPARATOR_S, NULL);
      if (!g_str_has_prefix (object, object_dir))
        continue;

      command = g_new0 (HotCompileCommand, 1);
      command->directory = g_strdup (directory);
      command->file = g_strdup (file);
      command->object = g_steal_pointer (&object);
      command->argv = command_argv (entry);
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
  JsonObject      *directories;
  JsonNode        *root;
  const char      *source;

  if (!json_parser_load_from_file (parser, path, NULL))
    return;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root) ||
      (directories = json_object_get_object_member (json_node_get_object (root), "directories")) == NULL)
    return;
  source = json_object_get_string_member_with_default (directories, "source", NULL);
  if (source != NULL && g_path_is_absolute (source))
    self->source_dir = canonical_path (source, NULL);
}

/**
 * hot_project_load:
 * @build_dir: a meson build folder
 * @error: return location for a #GError
 *
 * Reads the shared modules of a meson build.
 *
 * Returns: (transfer full): the project, or %NULL with
 *   %HOT_RELOAD_ERROR_NO_BUILD_DIR
 */
HotProject *
hot_project_load (const char *build_dir,
                  GError    **error)
{
  g_autoptr (HotProject) self = g_new0 (HotProject, 1);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local_error = NULL;
  g_autofree char *intro = NULL;
  JsonNode        *root;

  self->build_dir = canonical_path (build_dir, NULL);
  self->modules = g_ptr_array_new_with_free_func (hot_module_info_free);
  self->sources = g_hash_table_new (g_str_hash, g_str_equal);

  intro = g_build_filename (self->build_dir, INTRO_TARGETS, NULL);
  if (!json_parser_load_from_file (parser, intro, &local_error))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_NO_BUILD_DIR,
                   _ ("Could not read the build description %s: %s"),
                   intro, local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_NO_BUILD_DIR,
                   _ ("The build description %s is not a list of targets"), intro);
      return NULL;
    }

  for (guint i = 0; i < json_array_get_length (json_node_get_array (root)); i++)
    {
      JsonObject    *target = json_array_get_object_element (json_node_get_array (root), i);
      HotModuleInfo *info;

      if (target == NULL ||
          g_strcmp0 (json_object_get_string_member_with_default (target, "type", ""), "shared module") != 0)
        continue;

      info = module_info_from_target (self->build_dir, target);
      if (info == NULL)
        continue;

      g_ptr_array_add (self->modules, info);
      for (guint j = 0; info->sources[j]; j++)
        if (!g_hash_table_contains (self->sources, info->sources[j]))
          g_hash_table_insert (self->sources, info->sources[j], info);
    }

  load_compile_commands (self);
  load_source_dir (self);

  return g_steal_pointer (&self);
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
