/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Two instances of one app, built with meson into one build folder, both
 * with HOT_RELOAD=1 on the ninja path: every save makes both run ninja in
 * that folder. Builds take turns through the folder's lock, so neither
 * loads a library while the other's ninja writes it, nor links objects the
 * other's compiler is writing: after a run of saves both show the last one,
 * and neither ever reported a failed reload.
 *
 * The project is built with a compiler that writes shared libraries the
 * slow way, in place: half of the file, a pause, then all of it (a linker
 * on a slow disk). Without the lock one instance copies the library while
 * the other's link writes it, and refuses it as truncated. */
#include "config.h"

#include <glib/gstdio.h>
#include <hotnode.h>

#include "test-app.h"

#define TITLE "Count the clicks"

/* cc, but a shared library (-shared ... -o FILE) is written in two steps
 * into FILE, half a second apart. */
static const char slow_linker[] =
    "#!/bin/sh\n"
    "out= prev= shared=0\n"
    "for a do\n"
    "  [ \"$prev\" = -o ] && out=$a\n"
    "  [ \"$a\" = -shared ] && shared=1\n"
    "  prev=$a\n"
    "done\n"
    "[ $shared = 1 ] && [ -n \"$out\" ] || exec cc \"$@\"\n"
    "tmp=$out.slow-link prev= first=1\n"
    "for a do\n"
    "  [ $first = 1 ] && set -- && first=0\n"
    "  if [ \"$prev\" = -o ]; then set -- \"$@\" \"$tmp\"; else set -- \"$@\" \"$a\"; fi\n"
    "  prev=$a\n"
    "done\n"
    "cc \"$@\" || exit\n"
    "head -c $(($(stat -c %s \"$tmp\") / 2)) \"$tmp\" > \"$out\"\n"
    "sleep 0.5\n"
    "cat \"$tmp\" > \"$out\" && rm -f \"$tmp\"\n";
#define N_SAVES 12

typedef struct
{
  TestProject project;
  TestApp     apps[2];
} Fixture;

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  test_project_init (&fixture->project, "hotnode-instances-XXXXXX", HOTNODE_FROM_PKG_CONFIG);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  for (guint i = 0; i < G_N_ELEMENTS (fixture->apps); i++)
    test_app_stop (&fixture->apps[i]);
  test_project_clear (&fixture->project);
}

/* One number of the counter module's status line ("building=", …). */
static guint
status_value (TestApp    *app,
              const char *key)
{
  g_autofree char *line = NULL;
  const char      *value;

  test_app_send (app, "status counter");
  line = test_app_expect_line (app, "status counter ");
  value = strstr (line, key);
  g_assert_nonnull (value);

  return (guint) g_ascii_strtoull (value + strlen (key), NULL, 10);
}

/* Asks until @app builds nothing and shows @expected; a failed reload in
 * between fails the test (test_app_expect_line ()). */
static void
wait_for_settled_title (TestApp    *app,
                        const char *expected,
                        guint       which)
{
  gint64 deadline = g_get_monotonic_time () + 240 * G_TIME_SPAN_SECOND;

  while (TRUE)
    {
      g_autofree char *line = NULL;

      if (status_value (app, "building=") == 0)
        {
          test_app_send (app, "text counter-title");
          line = test_app_expect_line (app, "text counter-title ");
          if (g_str_equal (line + strlen ("text counter-title "), expected) && status_value (app, "building=") == 0)
            return;
        }
      if (g_get_monotonic_time () > deadline)
        g_error ("Instance %u does not show “%s” 240 s after the last save (it shows %s)", which, expected, line);
      g_usleep (100 * 1000);
    }
}

static void
test_two_instances (Fixture      *fixture,
                    gconstpointer data)
{
  g_autofree char *counter_path = g_build_filename (fixture->project.project_dir, "demo", "counter", "counter.c", NULL);
  g_autofree char *source = NULL;
  g_autofree char *last = NULL;
  g_autoptr (GError) error = NULL;

  g_test_summary ("Two instances of one app with HOT_RELOAD=1 sharing a build folder, both building with ninja "
                  "at every save: both end live on the last save, with no failed reload on the way");

  {
    g_autofree char *compiler = g_build_filename (fixture->project.tmp_dir, "slow-linker", NULL);

    g_file_set_contents (compiler, slow_linker, -1, &error);
    g_assert_no_error (error);
    g_assert_cmpint (g_chmod (compiler, 0755), ==, 0);
    g_setenv ("CC", compiler, TRUE);
  }
  if (!test_project_build (&fixture->project))
    return;

  for (guint i = 0; i < G_N_ELEMENTS (fixture->apps); i++)
    {
      g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
      g_autofree char *name = g_strdup_printf ("private-%u", i);
      g_autofree char *private_dir = g_build_filename (fixture->project.tmp_dir, name, NULL);

      g_assert_cmpint (g_mkdir_with_parents (private_dir, 0700), ==, 0);
      g_subprocess_launcher_setenv (launcher, "HOT_RELOAD", "1", TRUE);
      g_subprocess_launcher_setenv (launcher, "HOT_RELOAD_PRIVATE_DIR", private_dir, TRUE);
      g_subprocess_launcher_setenv (launcher, "HOT_RELOAD_FAST_PATH", "off", TRUE);
      test_app_start (&fixture->apps[i], launcher, &fixture->project);
    }
  for (guint i = 0; i < G_N_ELEMENTS (fixture->apps); i++)
    g_free (test_app_expect_line (&fixture->apps[i], "ready"));

  g_file_get_contents (counter_path, &source, NULL, &error);
  g_assert_no_error (error);

  /* Saves as fast as a build takes: each starts two ninjas, and the next
   * one stops them (or not) half way. */
  for (guint i = 0; i < N_SAVES; i++)
    {
      g_autoptr (GString) edited = g_string_new (source);

      g_free (last);
      last = g_strdup_printf ("Save %u", i);
      g_assert_cmpuint (g_string_replace (edited, "\"" TITLE "\"", "\"Save %u\"", 1), ==, 1);
      g_string_replace (edited, "Save %u", last, 1);
      g_file_set_contents (counter_path, edited->str, -1, &error);
      g_assert_no_error (error);
      g_usleep ((i % 3 == 2 ? 1500 : 150) * 1000);
    }

  for (guint i = 0; i < G_N_ELEMENTS (fixture->apps); i++)
    wait_for_settled_title (&fixture->apps[i], last, i);
  for (guint i = 0; i < G_N_ELEMENTS (fixture->apps); i++)
    g_test_message ("Instance %u: %u builds ran to their end", i, status_value (&fixture->apps[i], "rebuilds="));
}

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

  g_test_add ("/Hotnode/Instances/shared-build-folder", Fixture, NULL, fixture_set_up, test_two_instances,
              fixture_tear_down);

  return g_test_run ();
}
