/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "hot-compile-command-private.h"

#include "hot-error.h"

/*
 * The fast path's compile and link commands, made from the build's own:
 * each source's compile command (compile_commands.json) becomes a gcc
 * command that writes an object of the fast builder's, or a tcc command
 * with only what tcc takes of it; the module's link command (the last line
 * of `ninja -t commands -s`) links the objects compiled by the fast builder
 * in place of the build's. Knows nothing of processes: commands are data.
 */

/* Where the compiler of @argv is: after a wrapper such as ccache. */
static guint
compiler_position (char **argv)
{
  g_autofree char *first = g_path_get_basename (argv[0]);

  if (argv[1] != NULL && (g_str_equal (first, "ccache") || g_str_equal (first, "sccache")))
    return 1;
  return 0;
}

/**
 * hot_compile_command_compiler:
 * @command: how the build compiles a source
 *
 * Returns: (transfer none): the compiler of @command, after a wrapper such
 *   as ccache
 */
const char *
hot_compile_command_compiler (const HotCompileCommand *command)
{
  return command->argv[compiler_position (command->argv)];
}

/**
 * hot_compile_command_gcc_argv:
 * @command: how the build compiles a source
 * @include: (nullable): a header to include first, precompiled
 * @object: (nullable): the object to write; unused with @pch_output
 * @pch_output: (nullable): where to write @include precompiled instead
 *
 * The build's command for @command, writing @object instead, without
 * dependency files; with the precompiled header first when @include is
 * set. When @pch_output is set, the command precompiles the header
 * instead.
 *
 * Returns: (transfer full): the command line
 */
GStrv
hot_compile_command_gcc_argv (const HotCompileCommand *command,
                              const char              *include,
                              const char              *object,
                              const char              *pch_output)
{
  const char *const dependency_options[] = { "-MF", "-MQ", "-MT", "-o", NULL };
  g_autoptr (GStrvBuilder) argv = g_strv_builder_new ();
  guint compiler = compiler_position (command->argv);

  for (guint i = 0; command->argv[i]; i++)
    {
      const char *arg = command->argv[i];

      if (g_strv_contains (dependency_options, arg))
        {
          if (command->argv[i + 1] != NULL)
            i++;
          continue;
        }
      if (g_str_equal (arg, "-MD") || g_str_equal (arg, "-MMD"))
        continue;
      if (pch_output != NULL && (g_str_equal (arg, "-c") || g_str_equal (arg, command->file)))
        continue;

      g_strv_builder_add (argv, arg);
      if (i == compiler && include != NULL)
        g_strv_builder_addv (argv, (const char *[]){ "-include", include, "-Winvalid-pch", NULL });
    }

  if (pch_output != NULL)
    {
      g_autofree char *depfile = g_strconcat (pch_output, ".d", NULL);

      g_strv_builder_addv (argv, (const char *[]){ "-MD", "-MF", depfile, "-x", "c-header", include, "-o",
                                                   pch_output, NULL });
    }
  else
    g_strv_builder_addv (argv, (const char *[]){ "-o", object, NULL });

  return g_strv_builder_end (argv);
}

/**
 * hot_compile_command_argv:
 * @command: how the build compiles a source
 * @object: the object to write
 *
 * Returns: (transfer full): the build's own command for the source, writing
 *   @object instead of the build's object, without dependency files
 */
GStrv
hot_compile_command_argv (const HotCompileCommand *command,
                          const char              *object)
{
  return hot_compile_command_gcc_argv (command, NULL, object, NULL);
}

/**
 * hot_compile_command_tcc_argv:
 * @command: how the build compiles a source
 * @tcc: tcc's path
 * @include: a header to include first
 * @source_dir: (nullable): a folder to search for includes first
 * @tail: (array zero-terminated=1): what to add at the end: the source,
 *   the object…
 *
 * tcc takes the build's include paths (made absolute: a compile may run
 * in another folder) and macros, and nothing of its warning, optimisation
 * or code generation options.
 *
 * Returns: (transfer full): the tcc command line
 */
GStrv
hot_compile_command_tcc_argv (const HotCompileCommand *command,
                              const char              *tcc,
                              const char              *include,
                              const char              *source_dir,
                              const char *const       *tail)
{
  const char *const path_options[] = { "-I", "-D", "-U", "-include", "-isystem", "-iquote", "-idirafter", NULL };
  g_autoptr (GStrvBuilder) argv = g_strv_builder_new ();

  g_strv_builder_addv (argv, (const char *[]){ tcc, "-include", include, NULL });
  if (source_dir != NULL)
    g_strv_builder_addv (argv, (const char *[]){ "-I", source_dir, NULL });

  for (guint i = compiler_position (command->argv) + 1; command->argv[i]; i++)
    {
      const char *arg = command->argv[i];

      if (g_strv_contains (path_options, arg) && command->argv[i + 1] != NULL)
        {
          g_autofree char *value = g_str_equal (arg, "-D") || g_str_equal (arg, "-U")
                                       ? g_strdup (command->argv[i + 1])
                                       : g_canonicalize_filename (command->argv[i + 1], command->directory);

          g_strv_builder_addv (argv, (const char *[]){ arg, value, NULL });
          i++;
          continue;
        }
      if (g_str_has_prefix (arg, "-I") && arg[2] != '\0')
        {
          g_autofree char *dir = g_canonicalize_filename (arg + 2, command->directory);

          g_strv_builder_add_many (argv, "-I", dir, NULL);
        }
      else if (g_str_has_prefix (arg, "-D") || g_str_has_prefix (arg, "-U"))
        g_strv_builder_add (argv, arg);
      if (g_str_equal (arg, "-pthread"))
        g_strv_builder_add (argv, arg);
    }

  g_strv_builder_addv (argv, (const char **) tail);

  return g_strv_builder_end (argv);
}

/**
 * hot_link_command_parse:
 * @commands: the output of `ninja -t commands -s` for @target
 * @target: the module's ninja target, for the message
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the link command of @target, or
 *   %NULL when @commands ends with none
 */
GStrv
hot_link_command_parse (const char *commands,
                        const char *target,
                        GError    **error)
{
  g_auto (GStrv) lines = g_strsplit (commands, "\n", -1);
  g_auto (GStrv) argv = NULL;
  guint       n_lines = g_strv_length (lines);
  const char *line = NULL;

  /* The last command is the link; meson writes it without a shell. */
  for (guint i = n_lines; i > 0 && line == NULL; i--)
    if (*g_strstrip (lines[i - 1]) != '\0')
      line = lines[i - 1];

  if (line == NULL || strstr (line, "&&") != NULL || !g_shell_parse_argv (line, NULL, &argv, NULL) ||
      !g_strv_contains ((const char *const *) argv, "-o"))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                   _ ("ninja gives no link command for %s"), target);
      return NULL;
    }

  return g_steal_pointer (&argv);
}

static gboolean
uses_chosen_linker (const char *const *argv)
{
  for (guint i = 0; argv[i]; i++)
    if (g_str_has_prefix (argv[i], "-fuse-ld="))
      return TRUE;

  return FALSE;
}

/**
 * hot_link_command_argv:
 * @link_argv: (array zero-terminated=1): the build's link command
 * @build_dir: the build folder, where @link_argv runs
 * @object_sources: (element-type filename filename): the build's objects
 *   (absolute) → their source
 * @objects: (element-type filename filename): source → the object to link
 *   in place of the build's
 * @output: the library to write
 * @tcc_runtime: (nullable): tcc's runtime library, when objects were
 *   compiled with tcc
 * @gold: whether ld.gold is installed
 *
 * Returns: (transfer full): the build's link command, writing @output,
 *   with the objects of @objects in place of the build's
 */
GStrv
hot_link_command_argv (const char *const *link_argv,
                       const char        *build_dir,
                       GHashTable        *object_sources,
                       GHashTable        *objects,
                       const char        *output,
                       const char        *tcc_runtime,
                       gboolean           gold)
{
  g_autoptr (GStrvBuilder) argv = g_strv_builder_new ();

  for (guint i = 0; link_argv[i]; i++)
    {
      g_autofree char *path = g_canonicalize_filename (link_argv[i], build_dir);
      const char      *source = g_hash_table_lookup (object_sources, path);
      const char      *object = source ? g_hash_table_lookup (objects, source) : NULL;

      if (i > 0 && g_str_equal (link_argv[i - 1], "-o"))
        g_strv_builder_add (argv, output);
      else
        g_strv_builder_add (argv, object ? object : link_argv[i]);
    }

  if (tcc_runtime != NULL)
    g_strv_builder_addv (argv, (const char *[]){ tcc_runtime, "-Wl,-z,noexecstack", NULL });

  /* gold reads the libraries' symbol tables in about two thirds of the
   * time of the default linker; a linker the build chose stays. */
  if (gold && !uses_chosen_linker (link_argv))
    g_strv_builder_add (argv, "-fuse-ld=gold");

  return g_strv_builder_end (argv);
}

/**
 * hot_link_command_direct:
 * @driver_argv: (array zero-terminated=1): a link command by gcc, with
 *   `-fuse-ld=gold` (from hot_link_command_argv ())
 * @driver_output: what gcc printed given @driver_argv and `-###`
 * @gold: the path of ld.gold
 *
 * gcc links by running collect2, which runs the linker: two programs
 * started, and gcc's own start, for nothing a link of objects that are
 * not LTO's needs (5–10 ms a link). The linker's command is collect2's,
 * without the LTO plugin's arguments: the same library, byte for byte.
 *
 * Returns: (transfer full) (nullable): ld.gold's command for the same link,
 *   or %NULL when there is none to run alone (another driver, another
 *   linker, LTO)
 */
GStrv
hot_link_command_direct (const char *const *driver_argv,
                         const char        *driver_output,
                         const char        *gold)
{
  g_auto (GStrv) lines = g_strsplit (driver_output, "\n", -1);
  g_autoptr (GStrvBuilder) argv = g_strv_builder_new ();
  g_auto (GStrv) collect2 = NULL;
  gboolean by_gold = FALSE;

  for (guint i = 0; driver_argv[i]; i++)
    if (g_str_has_prefix (driver_argv[i], "-flto"))
      return NULL;

  for (guint i = 0; lines[i] && collect2 == NULL; i++)
    {
      g_auto (GStrv) words = NULL;
      g_autofree char *program = NULL;

      if (!g_shell_parse_argv (lines[i], NULL, &words, NULL))
        continue;
      program = g_path_get_basename (words[0]);
      if (g_str_equal (program, "collect2"))
        collect2 = g_steal_pointer (&words);
    }
  if (collect2 == NULL)
    return NULL;

  g_strv_builder_add (argv, gold);
  for (guint i = 1; collect2[i]; i++)
    {
      if (g_str_equal (collect2[i], "-plugin") && collect2[i + 1] != NULL)
        i++;
      else if (g_str_equal (collect2[i], "-fuse-ld=gold"))
        by_gold = TRUE;
      else if (g_str_has_prefix (collect2[i], "-fuse-ld=") || g_str_equal (collect2[i], "-flto"))
        return NULL;
      else if (!g_str_has_prefix (collect2[i], "-plugin-opt="))
        g_strv_builder_add (argv, collect2[i]);
    }

  return by_gold ? g_strv_builder_end (argv) : NULL;
}
