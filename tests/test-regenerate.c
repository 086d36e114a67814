/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* meson regenerating the build while the app runs: the demo copied into a
 * project of its own, its meson.build changed (a source of the counter
 * module replaced by a new file, the form module added), ninja run as a
 * user runs it, and then the new files edited: the window shows their new
 * code. */
#include "config.h"

#include <string.h>

#include "test-app.h"

#define HEADING_BEFORE "Heading from its own file"
#define HEADING_MIDDLE "Heading from the module's new file"
#define HEADING_AFTER "Heading edited in the new file"

typedef struct
{
  TestProject project;
  TestApp     app;
} Fixture;

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  test_project_init (&fixture->project, "hotnode-regenerate-XXXXXX", HOTNODE_FROM_PKG_CONFIG);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  test_app_stop (&fixture->app);
  test_project_clear (&fixture->project);
}

static void
edit (Fixture    *fixture,
      const char *name,
      const char *from,
      const char *to)
{
  test_project_edit (&fixture->project, name, from, to);
}

static void
write_source (Fixture    *fixture,
              const char *name,
              const char *contents)
{
  g_autofree char *path = g_build_filename (fixture->project.project_dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static char *
heading_source (const char *text)
{
  return g_strdup_printf ("const char *counter_heading (void);\n"
                          "const char *\ncounter_heading (void)\n{\n  return \"%s\";\n}\n",
                          text);
}

/* A tcc for the app that takes its time before it answers what the fast
 * path asks first: the module is preparing its fast path (a second after
 * the app starts) while meson regenerates the build. */
static char *
slow_tcc_path (Fixture *fixture)
{
  g_autofree char *bin = g_build_filename (fixture->project.tmp_dir, "slow-bin", NULL);
  g_autofree char *script = g_build_filename (bin, "tcc", NULL);
  g_autofree char *tcc = g_find_program_in_path ("tcc");
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (tcc);
  contents = g_strdup_printf ("#!/bin/sh\n"
                              "if [ \"$1\" = -print-search-dirs ]; then sleep 6; fi\n"
                              "exec '%s' \"$@\"\n",
                              tcc);
  g_mkdir_with_parents (bin, 0700);
  g_file_set_contents (script, contents, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (script, 0700), ==, 0);

  return g_strdup_printf ("%s:%s", bin, g_getenv ("PATH"));
}

static void
test_regenerate (Fixture      *fixture,
                 gconstpointer data)
{
  gboolean slow_preparation = GPOINTER_TO_INT (data);
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *private_dir = g_build_filename (fixture->project.tmp_dir, "private", NULL);
  g_autofree char *title_source = heading_source (HEADING_BEFORE);
  g_autofree char *middle_source = heading_source (HEADING_MIDDLE);
  g_autofree char *edited_source = heading_source (HEADING_AFTER);

  g_test_summary ("meson regenerates the build while the app runs: a module whose sources changed is built "
                  "again from them and its new source is an input, a new shared module with the app's nodes "
                  "reloads");

  /* Before the first build: the counter's title comes from a file of its
   * own, and the form is no module yet. */
  write_source (fixture, "demo/counter/counter-title.c", title_source);
  edit (fixture, "demo/counter/counter.c", "GtkWidget *title = gtk_label_new (\"Count the clicks\");",
        "const char *counter_heading (void);\n  GtkWidget *title = gtk_label_new (counter_heading ());");
  edit (fixture, "demo/meson.build", "files('counter/counter.c', 'counter/counter-badge.c')",
        "files('counter/counter.c', 'counter/counter-badge.c', 'counter/counter-title.c')");
  edit (fixture, "demo/meson.build", "shared_module('form', form_sources, dependencies: hotnode_module)\n", "");
  if (!test_project_build (&fixture->project))
    return;

  g_mkdir_with_parents (private_dir, 0700);
  g_subprocess_launcher_setenv (launcher, "HOT_RELOAD", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "HOT_RELOAD_PRIVATE_DIR", private_dir, TRUE);
  if (slow_preparation)
    {
      g_autofree char *path = slow_tcc_path (fixture);

      g_subprocess_launcher_setenv (launcher, "PATH", path, TRUE);
    }
  test_app_start (&fixture->app, launcher, &fixture->project);
  g_free (test_app_expect_line (&fixture->app, "ready"));
  test_app_wait_for_text (&fixture->app, "counter-title", HEADING_BEFORE, "The app as built");

  /* The user moves the code to another file, adds the form module and
   * runs ninja, which regenerates the build. The old file stays, no
   * longer built. */
  write_source (fixture, "demo/counter/counter-heading.c", middle_source);
  edit (fixture, "demo/meson.build", "'counter/counter-title.c'", "'counter/counter-heading.c'");
  edit (fixture, "demo/meson.build", "executable(",
        "shared_module('form', form_sources, dependencies: hotnode_module)\n\nexecutable(");
  if (!test_run_checked_with ((const char *const[]){ "ninja", "-C", fixture->project.build_dir, NULL },
                              fixture->project.pkg_config_path))
    return;

  /* The module is built again from its new sources... */
  test_app_wait_for_text (&fixture->app, "counter-title", HEADING_MIDDLE, "The build was regenerated");
  /* ...and the new file is its input: an edit of it reloads. */
  write_source (fixture, "demo/counter/counter-heading.c", edited_source);
  test_app_wait_for_text (&fixture->app, "counter-title", HEADING_AFTER, "The new source was edited");

  /* The new module reloads its node. */
  edit (fixture, "demo/form/form.c", "gtk_button_new_with_label (\"Sign up\")",
        "gtk_button_new_with_label (\"Join\")");
  test_app_wait_for_text (&fixture->app, "form-submit", "Join", "The source of the new module was edited");

  test_app_send (&fixture->app, "quit");
}

/* The build folder deleted and set up again while the app runs, as a user
 * does when meson's build is in a bad state: the next save reloads from
 * the new build. */
static void
test_setup_again (Fixture      *fixture,
                  gconstpointer data)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *private_dir = g_build_filename (fixture->project.tmp_dir, "private", NULL);

  g_test_summary ("the build folder is deleted and set up again while the app runs: a save after it reloads "
                  "from the new build");

  if (!test_project_build (&fixture->project))
    return;

  g_mkdir_with_parents (private_dir, 0700);
  g_subprocess_launcher_setenv (launcher, "HOT_RELOAD", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "HOT_RELOAD_PRIVATE_DIR", private_dir, TRUE);
  test_app_start (&fixture->app, launcher, &fixture->project);
  g_free (test_app_expect_line (&fixture->app, "ready"));
  test_app_wait_for_text (&fixture->app, "counter-title", "Count the clicks", "The app as built");

  test_remove_tree (fixture->project.build_dir);
  if (!test_project_build (&fixture->project))
    return;

  edit (fixture, "demo/counter/counter.c", "gtk_label_new (\"Count the clicks\")",
        "gtk_label_new (\"Counted by the new build\")");
  test_app_wait_for_text (&fixture->app, "counter-title", "Counted by the new build", "Saved after the build was set up again");

  test_app_send (&fixture->app, "quit");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/Hotnode/Regenerate/rename-and-new-module", Fixture, GINT_TO_POINTER (FALSE), fixture_set_up,
              test_regenerate, fixture_tear_down);
  /* The new description is taken once the preparation is over (it was
   * never taken before: the module was busy, and nothing asked again). */
  g_test_add ("/Hotnode/Regenerate/while-preparing", Fixture, GINT_TO_POINTER (TRUE), fixture_set_up,
              test_regenerate, fixture_tear_down);
  g_test_add ("/Hotnode/Regenerate/setup-again", Fixture, NULL, fixture_set_up, test_setup_again,
              fixture_tear_down);

  return g_test_run ();
}
