/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The build as data: which build folder hotnode trusts, and what it makes
 * of meson's files when they hold what meson would never write. Real
 * folders and files in a temporary folder; tests that give a file to
 * another user need root and are skipped otherwise. */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hotnode.h>

#include "hot-project-private.h"
#include "hot-reload-private.h"
#include "test-utils.h"

#define NOBODY 65534

typedef struct
{
  char *tmp_dir;
  char *build_dir;  /* <tmp>/parent/build, with meson-info and the files */
  char *executable; /* <build>/app/the-app, a target of the build */
} Fixture;

static void
write_file (const char *path,
            const char *contents)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (chmod (path, 0644), ==, 0);
}

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *meson_info = NULL;
  g_autofree char *app_dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *targets = NULL;
  g_autofree char *commands = NULL;

  fixture->tmp_dir = g_dir_make_tmp ("hotnode-test-project-XXXXXX", &error);
  g_assert_no_error (error);
  g_assert_cmpint (chmod (fixture->tmp_dir, 0755), ==, 0);
  fixture->build_dir = g_build_filename (fixture->tmp_dir, "parent", "build", NULL);
  meson_info = g_build_filename (fixture->build_dir, "meson-info", NULL);
  app_dir = g_build_filename (fixture->build_dir, "app", NULL);
  g_assert_cmpint (g_mkdir_with_parents (meson_info, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (app_dir, 0755), ==, 0);
  g_assert_cmpint (chmod (fixture->build_dir, 0755), ==, 0);
  path = g_build_filename (fixture->tmp_dir, "parent", NULL);
  g_assert_cmpint (chmod (path, 0755), ==, 0);
  g_clear_pointer (&path, g_free);

  fixture->executable = g_build_filename (app_dir, "the-app", NULL);
  write_file (fixture->executable, "");
  targets = g_strdup_printf ("[{\"name\": \"the-app\", \"type\": \"executable\", \"filename\": [\"%s\"]},"
                             " {\"name\": \"mod\", \"type\": \"shared module\", \"filename\": [\"%s/app/libmod.so\"],"
                             "  \"target_sources\": [{\"sources\": [\"%s/mod.c\"]}]}]",
                             fixture->executable, fixture->build_dir, fixture->tmp_dir);
  path = g_build_filename (meson_info, "intro-targets.json", NULL);
  write_file (path, targets);
  g_clear_pointer (&path, g_free);
  path = g_build_filename (meson_info, "meson-info.json", NULL);
  write_file (path, "{\"directories\": {\"source\": \"/nonexistent\"}}");
  g_clear_pointer (&path, g_free);
  path = g_build_filename (fixture->build_dir, "build.ninja", NULL);
  write_file (path, "");
  g_clear_pointer (&path, g_free);
  commands = g_strdup_printf ("[{\"directory\": \"%s\", \"file\": \"../../mod.c\", \"output\": \"app/libmod.so.p/mod.c.o\","
                              "  \"command\": \"cc -c ../../mod.c\"}]",
                              fixture->build_dir);
  path = g_build_filename (fixture->build_dir, "compile_commands.json", NULL);
  write_file (path, commands);
  g_clear_pointer (&path, g_free);
  path = g_build_filename (fixture->tmp_dir, "mod.c", NULL);
  write_file (path, "int x;\n");
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  test_remove_tree (fixture->tmp_dir);
  g_free (fixture->tmp_dir);
  g_free (fixture->build_dir);
  g_free (fixture->executable);
}

static char *
in_build (Fixture    *fixture,
          const char *name)
{
  return g_build_filename (fixture->build_dir, name, NULL);
}

/* Both ways in refuse @fixture's build folder: found from the app, and
 * named (HOT_RELOAD_BUILD_DIR); the message names @path and @reason. */
static void
assert_refused (Fixture    *fixture,
                const char *path,
                const char *reason)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *found = hot_project_find_build_dir (fixture->executable, &error);
  g_autoptr (HotProject) project = NULL;

  g_assert_null (found);
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_UNSAFE_BUILD_DIR);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, reason));
  g_clear_error (&error);

  project = hot_project_load (fixture->build_dir, &error);
  g_assert_null (project);
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_UNSAFE_BUILD_DIR);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, reason));
}

static void
assert_accepted (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *found = hot_project_find_build_dir (fixture->executable, &error);
  g_autoptr (HotProject) project = NULL;
  g_autofree char     *source = g_build_filename (fixture->tmp_dir, "mod.c", NULL);
  const HotModuleInfo *info;

  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, fixture->build_dir);
  project = hot_project_load (found, &error);
  g_assert_no_error (error);
  info = hot_project_lookup_source (project, source);
  g_assert_nonnull (info);
  g_assert_cmpstr (info->name, ==, "mod");
  g_assert_cmpuint (g_hash_table_size (info->commands), ==, 1);
}

static gboolean
skip_unless_root (void)
{
  if (getuid () == 0)
    return FALSE;
  g_test_skip ("Only root can give a file to another user");
  return TRUE;
}

static void
test_trusted (Fixture      *fixture,
              gconstpointer data)
{
  g_test_summary ("The user's own build folder, which built the app, is used");

  assert_accepted (fixture);
}

static void
test_other_writable (Fixture      *fixture,
                     gconstpointer data)
{
  g_test_summary ("A build folder every user can write to is refused, naming it and why");

  g_assert_cmpint (chmod (fixture->build_dir, 0757), ==, 0);
  assert_refused (fixture, fixture->build_dir, "every user can write");
}

static void
test_group_writable (Fixture      *fixture,
                     gconstpointer data)
{
  g_test_summary ("A build folder that another group can write to is refused; the user's own private group "
                  "may");

  if (skip_unless_root ())
    return;

  /* root's group is root's alone: a private group. */
  g_assert_cmpint (chmod (fixture->build_dir, 0775), ==, 0);
  assert_accepted (fixture);

  g_assert_cmpint (chown (fixture->build_dir, 0, NOBODY), ==, 0);
  assert_refused (fixture, fixture->build_dir, "can write to it");
}

static void
test_other_owner (Fixture      *fixture,
                  gconstpointer data)
{
  g_test_summary ("An app under another user's build folder does not run that folder's commands");

  if (skip_unless_root ())
    return;

  g_assert_cmpint (chown (fixture->build_dir, NOBODY, NOBODY), ==, 0);
  assert_refused (fixture, fixture->build_dir, "belongs to another user");
}

static void
test_files (Fixture      *fixture,
            gconstpointer data)
{
  const char *files[] = { "build.ninja", "compile_commands.json", "meson-info/intro-targets.json",
                          "meson-info/meson-info.json" };

  g_test_summary ("build.ninja, compile_commands.json and meson-info's files that others can write, or that "
                  "another user owns, or that are links, are refused, naming the file");

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = in_build (fixture, files[i]);
      g_autofree char *moved = g_strconcat (path, ".real", NULL);

      g_assert_cmpint (chmod (path, 0646), ==, 0);
      assert_refused (fixture, path, "every user can write");
      g_assert_cmpint (chmod (path, 0644), ==, 0);
      assert_accepted (fixture);

      if (getuid () == 0)
        {
          g_assert_cmpint (chown (path, NOBODY, NOBODY), ==, 0);
          assert_refused (fixture, path, "belongs to another user");
          g_assert_cmpint (chown (path, 0, 0), ==, 0);
        }

      g_assert_cmpint (g_rename (path, moved), ==, 0);
      g_assert_cmpint (symlink (moved, path), ==, 0);
      assert_refused (fixture, path, "symbolic link");
      g_assert_cmpint (g_unlink (path), ==, 0);
      g_assert_cmpint (g_rename (moved, path), ==, 0);
    }

  {
    g_autofree char *meson_info = in_build (fixture, "meson-info");

    g_assert_cmpint (chmod (meson_info, 0757), ==, 0);
    assert_refused (fixture, meson_info, "every user can write");
  }
}

static void
test_above (Fixture      *fixture,
            gconstpointer data)
{
  g_autofree char *parent = g_path_get_dirname (fixture->build_dir);

  g_test_summary ("A folder above the build folder that others can write to is refused unless it is sticky "
                  "(as /tmp); one of another user (not root) is refused");

  g_assert_cmpint (chmod (parent, 0777), ==, 0);
  assert_refused (fixture, parent, "every user can write");
  g_assert_cmpint (chmod (parent, 01777), ==, 0);
  assert_accepted (fixture);
  g_assert_cmpint (chmod (parent, 0755), ==, 0);

  if (getuid () != 0)
    return;
  g_assert_cmpint (chown (parent, NOBODY, NOBODY), ==, 0);
  assert_refused (fixture, parent, "belongs to another user");
}

static void
test_not_the_app (Fixture      *fixture,
                  gconstpointer data)
{
  g_autofree char *elsewhere = in_build (fixture, "copies");
  g_autofree char *copy = g_build_filename (elsewhere, "the-app", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *found = NULL;

  g_test_summary ("A meson-info above the app that does not list it (the app copied under another build) "
                  "is not used");

  g_assert_cmpint (g_mkdir_with_parents (elsewhere, 0755), ==, 0);
  write_file (copy, "");
  found = hot_project_find_build_dir (copy, &error);
  g_assert_null (found);
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_NO_BUILD_DIR);
  g_assert_nonnull (strstr (error->message, fixture->build_dir));
  g_assert_nonnull (strstr (error->message, "did not build it"));
}

static void
test_app_keeps_running (Fixture      *fixture,
                        gconstpointer data)
{
  g_test_summary ("An app whose build folder is refused runs on with hot reload off, saying why");

  if (g_test_subprocess ())
    {
      HotReload *reload;
      g_autoptr (GError) error = NULL;

      /* The warning is the point: it must not end the app. */
      g_log_set_always_fatal (G_LOG_FATAL_MASK);
      g_setenv ("HOT_RELOAD", "1", TRUE);
      g_setenv ("HOT_RELOAD_BUILD_DIR", g_getenv ("HOTNODE_TEST_BUILD_DIR"), TRUE);
      reload = hot_reload_get_default ();
      g_assert_null (hot_reload_lookup_module (reload, "mod", &error));
      g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_UNSAFE_BUILD_DIR);
      g_print ("still running\n");
      return;
    }

  g_assert_cmpint (chmod (fixture->build_dir, 0757), ==, 0);
  g_setenv ("HOTNODE_TEST_BUILD_DIR", fixture->build_dir, TRUE);
  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*still running*");
  g_test_trap_assert_stderr ("*cannot work: Refusing the build folder*every user can write*");
}

static void
write_commands (Fixture    *fixture,
                const char *entries)
{
  g_autofree char *path = in_build (fixture, "compile_commands.json");
  g_autofree char *json = g_strdup_printf ("[%s]", entries);

  write_file (path, json);
}

static void
test_bad_commands (Fixture      *fixture,
                   gconstpointer data)
{
  g_autofree char *source = g_build_filename (fixture->tmp_dir, "mod.c", NULL);
  g_autoptr (HotProject) project = NULL;
  g_autoptr (GError) error = NULL;
  const HotModuleInfo     *info;
  const HotCompileCommand *command;
  const struct
  {
    const char *entry;
    const char *logged;
  } bad[] = {
    { "{\"file\": \"../../mod.c\", \"output\": \"app/libmod.so.p/mod.c.o\", \"command\": \"\"}",
      "*Entry 0 of*(../../mod.c) has no command to run*cannot be split*" },
    { "{\"file\": \"../../mod.c\", \"output\": \"app/libmod.so.p/mod.c.o\", \"arguments\": []}",
      "*Entry 0 of*has no command to run: “arguments” is empty*" },
    { "{\"file\": \"../../mod.c\", \"output\": \"app/libmod.so.p/mod.c.o\", \"arguments\": [\"cc\", 3]}",
      "*Entry 0 of*has no command to run: argument 1 is not a string*" },
    { "{\"file\": \"../../mod.c\", \"output\": \"app/libmod.so.p/mod.c.o\", \"arguments\": \"cc\"}",
      "*Entry 0 of*has no command to run: “arguments” is not a list*" },
    { "{\"file\": \"../../mod.c\", \"output\": \"app/libmod.so.p/mod.c.o\", \"command\": 7}",
      "*Entry 0 of*has no command to run: “command” is not a string*" },
    { "{\"file\": \"../../mod.c\", \"output\": \"app/libmod.so.p/mod.c.o\"}",
      "*Entry 0 of*has no command to run: it has neither*" },
    { "{\"output\": \"app/libmod.so.p/mod.c.o\", \"command\": \"cc -c ../../mod.c\"}",
      "*Entry 0 of*has no “file” string: left out*" },
    { "{\"file\": [\"../../mod.c\"], \"output\": \"app/libmod.so.p/mod.c.o\", \"command\": \"cc -c ../../mod.c\"}",
      "*Entry 0 of*has no “file” string: left out*" },
    { "{\"file\": \"../../mod.c\", \"command\": \"cc -c ../../mod.c\"}", "*Entry 0 of*has no “output” string*" },
    { "{\"directory\": {}, \"file\": \"../../mod.c\", \"output\": \"x.o\", \"command\": \"cc\"}",
      "*Entry 0 of*“directory” that is not a string: left out*" },
    { "[\"cc\"]", "*Entry 0 of*is not an object: left out*" },
    { "null", "*Entry 0 of*is not an object: left out*" },
  };

  g_test_summary ("compile_commands.json entries with an empty command, empty arguments, no file, members of "
                  "the wrong type: each is left out with a log line naming it, the good ones are used");

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *entries = g_strdup_printf ("%s, {\"directory\": \"%s\", \"file\": \"../../mod.c\", \"output\": "
                                                  "\"app/libmod.so.p/other.o\", \"arguments\": [\"cc\", \"-c\"]}",
                                                  bad[i].entry, fixture->build_dir);

      write_commands (fixture, entries);
      g_test_expect_message ("Hotnode", G_LOG_LEVEL_MESSAGE, bad[i].logged);
      project = hot_project_load (fixture->build_dir, &error);
      g_test_assert_expected_messages ();
      g_assert_no_error (error);
      info = hot_project_lookup_source (project, source);
      g_assert_nonnull (info);
      /* The good entry after it, for the same source, is the one kept. */
      command = g_hash_table_lookup (info->commands, source);
      g_assert_nonnull (command);
      g_assert_nonnull (command->argv);
      g_assert_cmpstr (command->argv[0], ==, "cc");
      g_assert_true (g_str_has_suffix (command->object, "other.o"));
      g_clear_pointer (&project, hot_project_free);
    }

  /* Only bad entries: the module has no commands, and no crash. */
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      write_commands (fixture, bad[i].entry);
      g_test_expect_message ("Hotnode", G_LOG_LEVEL_MESSAGE, bad[i].logged);
      project = hot_project_load (fixture->build_dir, &error);
      g_test_assert_expected_messages ();
      g_assert_no_error (error);
      info = hot_project_lookup_source (project, source);
      g_assert_cmpuint (g_hash_table_size (info->commands), ==, 0);
      g_clear_pointer (&project, hot_project_free);
    }

  /* Not a list at all. */
  write_commands (fixture, "");
  {
    g_autofree char *path = in_build (fixture, "compile_commands.json");

    write_file (path, "{\"file\": 1}");
  }
  g_test_expect_message ("Hotnode", G_LOG_LEVEL_MESSAGE, "*not a list of compile commands*");
  project = hot_project_load (fixture->build_dir, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
}

static void
test_bad_targets (Fixture      *fixture,
                  gconstpointer data)
{
  g_autofree char *path = in_build (fixture, "meson-info/intro-targets.json");
  g_autofree char *targets = NULL;
  g_autofree char *source = g_build_filename (fixture->tmp_dir, "mod.c", NULL);
  g_autoptr (HotProject) project = NULL;
  g_autoptr (GError) error = NULL;
  const HotModuleInfo *info;

  g_test_summary ("Targets of the wrong shape in intro-targets.json are left out, the good one is used");

  targets = g_strdup_printf ("[7, null, \"x\", {\"type\": 3}, {\"type\": \"shared module\"},"
                             " {\"type\": \"shared module\", \"name\": \"a\", \"filename\": \"x\"},"
                             " {\"type\": \"shared module\", \"name\": \"b\", \"filename\": [4],"
                             "  \"target_sources\": []},"
                             " {\"type\": \"shared module\", \"name\": \"c\", \"filename\": [\"/c.so\"],"
                             "  \"target_sources\": [5, {\"sources\": 6}, {\"sources\": [null, 8, \"\"]}]},"
                             " {\"name\": \"mod\", \"type\": \"shared module\", \"filename\": [\"%s/app/libmod.so\"],"
                             "  \"target_sources\": [{\"sources\": [\"%s\"]}]}]",
                             fixture->build_dir, source);
  write_file (path, targets);

  project = hot_project_load (fixture->build_dir, &error);
  g_assert_no_error (error);
  info = hot_project_lookup_source (project, source);
  g_assert_nonnull (info);
  g_assert_cmpstr (info->name, ==, "mod");

  write_file (path, "{\"targets\": []}");
  g_clear_pointer (&project, hot_project_free);
  project = hot_project_load (fixture->build_dir, &error);
  g_assert_null (project);
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_NO_BUILD_DIR);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/Hotnode/Project/trusted", test_trusted);
  ADD ("/Hotnode/Project/other-writable", test_other_writable);
  ADD ("/Hotnode/Project/group-writable", test_group_writable);
  ADD ("/Hotnode/Project/other-owner", test_other_owner);
  ADD ("/Hotnode/Project/files", test_files);
  ADD ("/Hotnode/Project/above", test_above);
  ADD ("/Hotnode/Project/not-the-app", test_not_the_app);
  ADD ("/Hotnode/Project/app-keeps-running", test_app_keeps_running);
  ADD ("/Hotnode/Project/bad-commands", test_bad_commands);
  ADD ("/Hotnode/Project/bad-targets", test_bad_targets);

#undef ADD

  return g_test_run ();
}
