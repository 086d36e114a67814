/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* End to end, as a user works: copy the demo into a new meson project that
 * gets hotnode one of the ways docs/getting-started.md shows (installed with meson
 * install and found through pkg-config, or through a wrap file with a copy
 * of the source in subprojects/), build it with meson and ninja, run it
 * with HOT_RELOAD=1, use it, edit a source file of its counter module on
 * disk, and check the running window: the new code is live, the HOT_STATIC
 * count and the other module's state are kept. PNGs of the window before and
 * after go to the test log folder. */
#include "config.h"

#include <hotnode.h>
#include <unistd.h>
#include <utime.h>

#include "test-app.h"

#define TITLE_BEFORE "Count the clicks"
#define TITLE_AFTER "Rebuilt by the end-to-end test"

typedef struct
{
  TestProject project;
  TestApp     app;
} Fixture;

/* The two ways of getting hotnode of docs/getting-started.md: the default fast path with an
 * installed hotnode, the precompiled header one through the wrap. */
typedef struct
{
  HotnodeSource source;
  const char   *fast_path;   /* HOT_RELOAD_FAST_PATH */
  const char   *builder;     /* what builds a plain edit */
  const char   *gnu_builder; /* what builds an edit tcc rejects */
} Variant;

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  /* A space and non-ASCII letters in every path: nothing may go through a
   * shell or assume ASCII. */
  const Variant *variant = data;

  test_project_init (&fixture->project, "hotnode e2e ü-XXXXXX", variant->source);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  test_app_stop (&fixture->app);
  test_project_clear (&fixture->project);
}

static void
assert_text (Fixture    *fixture,
             const char *widget_name,
             const char *expected)
{
  g_autofree char *prefix = g_strdup_printf ("text %s ", widget_name);
  g_autofree char *line = NULL;

  test_app_send (&fixture->app, "text %s", widget_name);
  line = test_app_expect_line (&fixture->app, prefix);
  g_assert_cmpstr (line + strlen (prefix), ==, expected);
}

static void
write_counter_source (const char *path,
                      const char *source,
                      const char *from,
                      const char *to)
{
  g_autoptr (GString) edited = g_string_new (source);
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (g_string_replace (edited, from, to, 1), ==, 1);
  /* The way most editors save: a new file renamed over the old one. */
  g_file_set_contents (path, edited->str, -1, &error);
  g_assert_no_error (error);
}

static char *
overlay_text (Fixture *fixture)
{
  char *line;

  test_app_send (&fixture->app, "overlay");
  line = test_app_expect_line (&fixture->app, "overlay");
  memmove (line, line + strlen ("overlay"), strlen (line) - strlen ("overlay") + 1);

  return g_strstrip (line);
}

/* Asks until the overlay shows @expected (the test's timeout bounds it). */
static void
wait_for_overlay (Fixture    *fixture,
                  const char *expected)
{
  while (TRUE)
    {
      g_autofree char *overlay = overlay_text (fixture);

      if (strstr (overlay, expected) != NULL)
        return;
      g_usleep (50 * 1000);
    }
}

static guint
rebuild_count (Fixture *fixture)
{
  g_autofree char *line = NULL;
  const char      *count;

  test_app_send (&fixture->app, "status counter");
  line = test_app_expect_line (&fixture->app, "status counter ");
  count = strstr (line, "rebuilds=");
  g_assert_nonnull (count);

  return (guint) g_ascii_strtoull (count + strlen ("rebuilds="), NULL, 10);
}

/* One number of the counter module's status line ("building=", …). */
static guint
status_value (Fixture    *fixture,
              const char *key)
{
  g_autofree char *line = NULL;
  const char      *value;

  test_app_send (&fixture->app, "status counter");
  line = test_app_expect_line (&fixture->app, "status counter ");
  value = strstr (line, key);
  g_assert_nonnull (value);

  return (guint) g_ascii_strtoull (value + strlen (key), NULL, 10);
}

/* Asks until the counter module builds nothing, and returns the title its
 * live code shows then; the test's timeout bounds the wait. */
static char *
settled_title (Fixture *fixture)
{
  while (TRUE)
    {
      g_autofree char *line = NULL;

      if (status_value (fixture, "building=") == 0)
        {
          test_app_send (&fixture->app, "text counter-title");
          line = test_app_expect_line (&fixture->app, "text counter-title ");
          /* Still nothing building: the title is the settled code's. */
          if (status_value (fixture, "building=") == 0)
            return g_strdup (line + strlen ("text counter-title "));
        }
      g_usleep (100 * 1000);
    }
}

/* 200 saves in about two seconds end with the last one live, the
 * HOT_STATIC count kept, and no build of an older save reported as good
 * after it: once nothing builds, the live code is the last save's, and it
 * stays so. How many builds ran to their end depends on the machine's
 * speed (4 to 20 on a loaded 2-core machine): it is reported, not
 * asserted. */
static void
save_storm (Fixture    *fixture,
            const char *counter_path,
            const char *source)
{
  guint            before = rebuild_count (fixture);
  g_autofree char *title = NULL;
  g_autofree char *overlay = NULL;

  for (int i = 0; i < 200; i++)
    {
      g_autofree char *storm_title = g_strdup_printf ("\"Storm %d\"", i);

      write_counter_source (counter_path, source, "\"" TITLE_BEFORE "\"", storm_title);
      g_usleep (10 * 1000);
    }

  test_app_wait_for_text (&fixture->app, "counter-title", "Storm 199", "The last save of the storm");
  title = settled_title (fixture);
  g_assert_cmpstr (title, ==, "Storm 199");

  /* A build of an older save that ends late must not replace it. */
  g_usleep (G_USEC_PER_SEC);
  g_clear_pointer (&title, g_free);
  title = settled_title (fixture);
  g_assert_cmpstr (title, ==, "Storm 199");
  overlay = overlay_text (fixture);
  g_assert_null (strstr (overlay, "failed"));

  g_test_message ("Save storm: %u builds ran to their end for 200 saves", rebuild_count (fixture) - before);
  assert_text (fixture, "counter-value", "5");
}

static void
screenshot (Fixture    *fixture,
            const char *name)
{
  g_autofree char *test_name = g_path_get_basename (g_test_get_path ());
  g_autofree char *file_name = g_strdup_printf ("%s-%s", test_name, name);
  g_autofree char *path = g_build_filename (g_getenv ("HOTNODE_TEST_OUTPUT_DIR"), file_name, NULL);
  g_autofree char *line = NULL;

  test_app_send (&fixture->app, "shot %s", path);
  line = test_app_expect_line (&fixture->app, "shot ");
  g_assert_cmpstr (line + strlen ("shot "), ==, path);
  g_test_message ("Saved %s", path);
}

/* Which build made the live code of the counter module. */
static void
assert_builder (Fixture    *fixture,
                const char *expected)
{
  g_autofree char *line = NULL;
  g_autofree char *builder = g_strdup_printf (" builder=%s", expected);

  test_app_send (&fixture->app, "status counter");
  line = test_app_expect_line (&fixture->app, "status counter ");
  g_assert_true (g_str_has_suffix (line, builder));
}

/* Files saved beside the module's sources that it is not built from (notes,
 * a style sheet, a build folder inside the tree) start no build; the next
 * save of a source makes exactly one. */
static void
saved_beside_the_module (Fixture    *fixture,
                         const char *counter_path,
                         const char *source)
{
  g_autofree char *dir = g_path_get_dirname (counter_path);
  g_autofree char *notes = g_build_filename (dir, "NOTES.txt", NULL);
  g_autofree char *style = g_build_filename (dir, "style.css", NULL);
  g_autofree char *inner_build = g_build_filename (dir, "build-release", NULL);
  g_autofree char *built = g_build_filename (inner_build, "counter.c.o", NULL);
  g_autoptr (GError) error = NULL;
  guint before = rebuild_count (fixture);

  g_assert_cmpint (g_mkdir_with_parents (inner_build, 0755), ==, 0);
  for (int i = 0; i < 3; i++)
    {
      g_file_set_contents (notes, "remember to water the plants\n", -1, &error);
      g_assert_no_error (error);
      g_file_set_contents (style, "label { color: red; }\n", -1, &error);
      g_assert_no_error (error);
      g_file_set_contents (built, "not an object\n", -1, &error);
      g_assert_no_error (error);
      g_usleep (100 * 1000);
    }

  write_counter_source (counter_path, source, "\"" TITLE_BEFORE "\"", "\"After notes\"");
  test_app_wait_for_text (&fixture->app, "counter-title", "After notes", "A save beside files that are not inputs");
  g_assert_cmpuint (rebuild_count (fixture), ==, before + 1);

  g_unlink (notes);
  g_unlink (style);
  g_unlink (built);
  g_rmdir (inner_build);

  write_counter_source (counter_path, source, "\"" TITLE_BEFORE "\"", "\"" TITLE_AFTER "\"");
  test_app_wait_for_text (&fixture->app, "counter-title", TITLE_AFTER, "A save after those files went");
}

/* The counter's templated badge: a .ui save reloads it with no compiler,
 * the count kept; malformed XML is reported at its line, the old badge
 * kept; putting the file back reloads again. */
static void
template_edits (Fixture *fixture)
{
  g_autofree char *ui_path = g_build_filename (fixture->project.project_dir, "demo", "counter", "counter-badge.ui", NULL);
  g_autofree char *ui = NULL;
  g_autofree char *overlay = NULL;
  g_autoptr (GError) error = NULL;
  gint64 saved_at;
  guint  count;

  g_file_get_contents (ui_path, &ui, NULL, &error);
  g_assert_no_error (error);
  assert_text (fixture, "counter-badge", "Made from a template");

  saved_at = g_get_monotonic_time ();
  write_counter_source (ui_path, ui, "Made from a template", "Edited by the end-to-end test");
  test_app_wait_for_text (&fixture->app, "counter-badge", "Edited by the end-to-end test", "The template saved");
  g_test_message ("Template save to shown: %.0f ms", (g_get_monotonic_time () - saved_at) / 1000.0);
  assert_builder (fixture, "resources");
  assert_text (fixture, "counter-value", "5");

  write_counter_source (ui_path, ui, "</interface>", "</interfac>");
  g_free (test_app_expect_line (&fixture->app, "failed counter"));
  overlay = overlay_text (fixture);
  g_test_message ("Overlay after a malformed template: %s", overlay);
  g_assert_nonnull (strstr (overlay, "counter-badge.ui:"));
  assert_text (fixture, "counter-badge", "Edited by the end-to-end test");

  /* Put back as it was live: the failure goes, with no build. */
  count = rebuild_count (fixture);
  write_counter_source (ui_path, ui, "Made from a template", "Edited by the end-to-end test");
  wait_for_overlay (fixture, "counter is back to its live code");
  g_clear_pointer (&overlay, g_free);
  overlay = overlay_text (fixture);
  g_assert_null (strstr (overlay, "failed"));
  g_assert_cmpuint (rebuild_count (fixture), ==, count);

  write_counter_source (ui_path, ui, "Made from a template", "Made from a template");
  test_app_wait_for_text (&fixture->app, "counter-badge", "Made from a template", "The template restored");
}

/* The template and the code saved together: the code is built (by the
 * variant's builder) and its new generation reads the template as saved,
 * not the one the module's library was last linked with. */
static void
template_and_code_edits (Fixture    *fixture,
                         const char *counter_path,
                         const char *source)
{
  g_autofree char *ui_path = g_build_filename (fixture->project.project_dir, "demo", "counter", "counter-badge.ui", NULL);
  g_autofree char *ui = NULL;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (ui_path, &ui, NULL, &error);
  g_assert_no_error (error);

  write_counter_source (ui_path, ui, "Made from a template", "Saved with its code");
  write_counter_source (counter_path, source, "\"" TITLE_BEFORE "\"", "\"Saved with its template\"");
  test_app_wait_for_text (&fixture->app, "counter-title", "Saved with its template", "Template and code saved at once: the code");
  test_app_wait_for_text (&fixture->app, "counter-badge", "Saved with its code", "Template and code saved at once: the template");

  write_counter_source (ui_path, ui, "Made from a template", "Made from a template");
  test_app_wait_for_text (&fixture->app, "counter-badge", "Made from a template", "The template restored after both");
}

static void
test_edit_reload (Fixture      *fixture,
                  gconstpointer data)
{
  const Variant *variant = data;
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *private_dir = g_build_filename (fixture->project.tmp_dir, "private", NULL);
  g_autofree char *counter_path = g_build_filename (fixture->project.project_dir, "demo", "counter", "counter.c", NULL);
  g_autofree char *source = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *reloaded = NULL;
  g_autofree char *overlay = NULL;
  gint64           saved_at;

  g_test_summary ("A user's meson app with a hot module: build, run with HOT_RELOAD=1, "
                  "edit the module's source, and see the new code live with its state kept; "
                  "a syntax error keeps the old code and shows where; the fix goes live");

  if (!test_project_build (&fixture->project))
    return;
  /* hotnode came the way the variant says, and no other. */
  {
    g_autofree char *subproject_build = g_build_filename (fixture->project.build_dir, "subprojects", "hotnode", NULL);

    g_assert_true (g_file_test (subproject_build, G_FILE_TEST_IS_DIR) == (variant->source == HOTNODE_FROM_WRAP));
  }

  g_mkdir_with_parents (g_getenv ("HOTNODE_TEST_OUTPUT_DIR"), 0755);
  g_mkdir_with_parents (private_dir, 0700);

  g_subprocess_launcher_setenv (launcher, "HOT_RELOAD", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "HOT_RELOAD_PRIVATE_DIR", private_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "HOT_RELOAD_FAST_PATH", variant->fast_path, TRUE);
  test_app_start (&fixture->app, launcher, &fixture->project);

  g_free (test_app_expect_line (&fixture->app, "ready"));
  for (int i = 0; i < 3; i++)
    test_app_send (&fixture->app, "click counter-add");
  test_app_send (&fixture->app, "set form-name Grace");
  assert_text (fixture, "counter-value", "3");
  assert_text (fixture, "counter-title", TITLE_BEFORE);
  screenshot (fixture, "before.png");

  g_file_get_contents (counter_path, &source, NULL, &error);
  g_assert_no_error (error);
  saved_at = g_get_monotonic_time ();
  write_counter_source (counter_path, source, "\"" TITLE_BEFORE "\"", "\"" TITLE_AFTER "\"");

  reloaded = test_app_expect_line (&fixture->app, "reloaded ");
  g_assert_cmpstr (reloaded, ==, "reloaded counter");
  g_test_message ("Save to reloaded: %.0f ms", (g_get_monotonic_time () - saved_at) / 1000.0);

  test_app_wait_for_text (&fixture->app, "counter-title", TITLE_AFTER, "The counter saved");
  assert_text (fixture, "counter-value", "3");
  assert_text (fixture, "form-name", "Grace");
  assert_builder (fixture, variant->builder);
  saved_beside_the_module (fixture, counter_path, source);
  screenshot (fixture, "after.png");

  /* The new code runs the old state on: one more click counts from 3. */
  test_app_send (&fixture->app, "click counter-add");
  assert_text (fixture, "counter-value", "4");

  /* A syntax error: the build fails, the window says where, and the
   * previous code stays live and working. */
  write_counter_source (counter_path, source, "\"" TITLE_BEFORE "\");", "\"" TITLE_AFTER "\")");
  g_free (test_app_expect_line (&fixture->app, "failed counter"));
  overlay = overlay_text (fixture);
  g_test_message ("Overlay after the syntax error: %s", overlay);
  g_assert_nonnull (strstr (overlay, "counter: the build failed"));
  g_assert_nonnull (strstr (overlay, "demo/counter/counter.c:"));
  assert_text (fixture, "counter-title", TITLE_AFTER);
  test_app_send (&fixture->app, "click counter-add");
  assert_text (fixture, "counter-value", "5");
  screenshot (fixture, "error.png");

  /* The mistake undone, as it was live: the failure goes, with no build;
   * the same mistake again fails again. */
  {
    guint count = rebuild_count (fixture);

    write_counter_source (counter_path, source, "\"" TITLE_BEFORE "\"", "\"" TITLE_AFTER "\"");
    wait_for_overlay (fixture, "counter is back to its live code");
    g_clear_pointer (&overlay, g_free);
    overlay = overlay_text (fixture);
    g_assert_null (strstr (overlay, "failed"));
    g_assert_cmpuint (rebuild_count (fixture), ==, count);
    screenshot (fixture, "restored.png");

    write_counter_source (counter_path, source, "\"" TITLE_BEFORE "\");", "\"" TITLE_AFTER "\")");
    g_free (test_app_expect_line (&fixture->app, "failed counter"));
  }

  /* Fixed: the new code is live, the failure is gone from the window. */
  write_counter_source (counter_path, source, "\"" TITLE_BEFORE "\"", "\"Fixed\"");
  test_app_wait_for_text (&fixture->app, "counter-title", "Fixed", "The mistake fixed");
  assert_text (fixture, "counter-value", "5");
  g_clear_pointer (&overlay, g_free);
  overlay = overlay_text (fixture);
  g_assert_null (strstr (overlay, "failed"));

  template_edits (fixture);
  template_and_code_edits (fixture, counter_path, source);

  /* GNU C that tcc does not take: the fast path hands the build to ninja,
   * and the result is the same. */
  write_counter_source (counter_path, source, "\"" TITLE_BEFORE "\"",
                        "({ __auto_type title = \"Built by gcc\"; title; })");
  test_app_wait_for_text (&fixture->app, "counter-title", "Built by gcc", "A source tcc refuses");
  assert_text (fixture, "counter-value", "5");
  assert_builder (fixture, variant->gnu_builder);

  /* A save that ninja would take for older than the object built before it
   * (a file saved while the compiler ran, on a ninja that decides by
   * modification time): it must be built all the same. */
  {
    struct utimbuf long_ago = { 1000000000, 1000000000 };

    write_counter_source (counter_path, source, "\"" TITLE_BEFORE "\"", "\"Older than its object\"");
    g_assert_cmpint (g_utime (counter_path, &long_ago), ==, 0);
    test_app_wait_for_text (&fixture->app, "counter-title", "Older than its object", "A source older than its object");
  }

  save_storm (fixture, counter_path, source);

  test_app_send (&fixture->app, "quit");
  g_subprocess_wait_check (fixture->app.process, NULL, &error);
  g_assert_no_error (error);
  test_app_stop (&fixture->app);

  /* The loaded copies went with the app. */
  {
    g_autoptr (GDir) dir = g_dir_open (private_dir, 0, &error);

    g_assert_no_error (error);
    g_assert_null (g_dir_read_name (dir));
  }
}

static const Variant installed_tcc = { HOTNODE_INSTALLED, "tcc", "tcc", "ninja" };
static const Variant wrap_pch = { HOTNODE_FROM_WRAP, "pch", "gcc-pch", "gcc-pch" };

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_print ("1..0 # SKIP no display\n");
      return 0;
    }

  g_test_add ("/Hotnode/E2E/installed", Fixture, &installed_tcc, fixture_set_up, test_edit_reload,
              fixture_tear_down);
  g_test_add ("/Hotnode/E2E/wrap", Fixture, &wrap_pch, fixture_set_up, test_edit_reload, fixture_tear_down);

  return g_test_run ();
}
