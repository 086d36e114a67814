/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which modules a file of the app's GResources is owed to: the demo copied
 * into a project of its own, with one more builder file in the counter's
 * GResource that no module's code names. Saving it reloads nothing and the
 * log says why; saving the counter's template, which counter-badge.c
 * names, reloads the counter module and no other. */
#include "config.h"

#include <string.h>

#include "test-app.h"

#define UNUSED_UI                                \
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
  "<interface>\n"                                \
  "  <object class=\"GtkLabel\" id=\"spare\">\n" \
  "    <property name=\"label\">%s</property>\n" \
  "  </object>\n"                                \
  "</interface>\n"

typedef struct
{
  TestProject project;
  TestApp     app;
  char       *log; /* the app's standard error */
} Fixture;

typedef struct
{
  guint building;
  guint rebuilds;
  guint generation;
} Status;

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  test_project_init (&fixture->project, "hotnode-resource-users-XXXXXX", HOTNODE_FROM_PKG_CONFIG);
  fixture->log = g_build_filename (fixture->project.tmp_dir, "app.log", NULL);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  test_app_stop (&fixture->app);
  test_project_clear (&fixture->project);
  g_free (fixture->log);
}

/* Saved as most editors save (a new file renamed over the old). */
static void
write_file (Fixture    *fixture,
            const char *name,
            const char *contents)
{
  g_autofree char *path = g_build_filename (fixture->project.project_dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
edit (Fixture    *fixture,
      const char *name,
      const char *from,
      const char *to)
{
  test_project_edit (&fixture->project, name, from, to);
}

static Status
module_status (Fixture    *fixture,
               const char *module)
{
  g_autofree char *prefix = g_strdup_printf ("status %s ", module);
  g_autofree char *line = NULL;
  Status           status;

  test_app_send (&fixture->app, "status %s", module);
  line = test_app_expect_line (&fixture->app, prefix);
  g_assert_cmpint (sscanf (line + strlen (prefix), "building=%u rebuilds=%u generation=%u", &status.building,
                           &status.rebuilds, &status.generation),
                   ==, 3);

  return status;
}

/* Asks until nothing builds in @module; at most 60 s. */
static Status
settled_status (Fixture    *fixture,
                const char *module)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      Status status = module_status (fixture, module);

      if (status.building == 0)
        return status;
      g_usleep (50 * 1000);
    }
  g_error ("Module “%s” is still building after 60 s", module);
}

/* Waits until the app's log has a line with @text; at most 60 s. */
static void
wait_for_log (Fixture    *fixture,
              const char *text)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *log = NULL;

      if (g_file_get_contents (fixture->log, &log, NULL, NULL) && strstr (log, text) != NULL)
        return;
      g_usleep (50 * 1000);
    }
  g_error ("After 60 s, the app's log has no line with “%s”", text);
}

static char *
overlay_text (Fixture *fixture)
{
  test_app_send (&fixture->app, "overlay");
  return test_app_expect_line (&fixture->app, "overlay");
}

static void
test_owed_to_users (Fixture      *fixture,
                    gconstpointer data)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *private_dir = g_build_filename (fixture->project.tmp_dir, "private", NULL);
  g_autofree char *unused_path = g_build_filename (fixture->project.project_dir, "demo", "counter", "spare.ui", NULL);
  g_autofree char *unused_ui = g_strdup_printf (UNUSED_UI, "Spare");
  g_autofree char *edited_ui = g_strdup_printf (UNUSED_UI, "Spare, edited");
  g_autofree char *expected_log = NULL;
  g_autofree char *overlay = NULL;
  Status           counter, form, now;

  g_test_summary ("A file of the app's GResources is owed only to the modules whose sources name its resource "
                  "path: a builder file no module names reloads nothing when saved and the log says so; the "
                  "template a module names reloads that module and no other");

  /* One more file in the counter's GResource, named by no code. */
  write_file (fixture, "demo/counter/spare.ui", unused_ui);
  edit (fixture, "demo/counter/counter.gresource.xml", "<file>counter.css</file>",
        "<file>counter.css</file>\n    <file>spare.ui</file>");
  if (!test_project_build (&fixture->project))
    return;

  g_mkdir_with_parents (private_dir, 0700);
  g_subprocess_launcher_setenv (launcher, "HOT_RELOAD", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "HOT_RELOAD_PRIVATE_DIR", private_dir, TRUE);
  g_subprocess_launcher_set_stderr_file_path (launcher, fixture->log);
  test_app_start (&fixture->app, launcher, &fixture->project);
  g_free (test_app_expect_line (&fixture->app, "ready"));

  counter = settled_status (fixture, "counter");
  form = settled_status (fixture, "form");

  /* Nobody's: nothing is built or loaded, the log says why. */
  write_file (fixture, "demo/counter/spare.ui", edited_ui);
  expected_log = g_strdup_printf ("Not reloaded: %s is not used by any hot module", unused_path);
  wait_for_log (fixture, expected_log);
  now = settled_status (fixture, "counter");
  g_assert_cmpuint (now.rebuilds, ==, counter.rebuilds);
  g_assert_cmpuint (now.generation, ==, counter.generation);
  now = settled_status (fixture, "form");
  g_assert_cmpuint (now.rebuilds, ==, form.rebuilds);
  g_assert_cmpuint (now.generation, ==, form.generation);
  overlay = overlay_text (fixture);
  g_assert_null (strstr (overlay, "Reloaded"));

  /* The counter's template, which counter-badge.c names: the counter
   * reloads, with no compiler; the form does not. */
  edit (fixture, "demo/counter/counter-badge.ui", "Made from a template", "Edited for its module");
  test_app_wait_for_text (&fixture->app, "counter-badge", "Edited for its module", "The template the counter names, saved");
  now = settled_status (fixture, "counter");
  g_assert_cmpuint (now.rebuilds, ==, counter.rebuilds + 1);
  g_assert_cmpuint (now.generation, >, counter.generation);
  now = settled_status (fixture, "form");
  g_assert_cmpuint (now.rebuilds, ==, form.rebuilds);
  g_assert_cmpuint (now.generation, ==, form.generation);

  test_app_send (&fixture->app, "quit");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/Hotnode/ResourceUsers/owed-to-users", Fixture, NULL, fixture_set_up, test_owed_to_users,
              fixture_tear_down);

  return g_test_run ();
}
