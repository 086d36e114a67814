/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The app's GResource bundles compiled again from their files: a builder
 * file a node loads with gtk_builder_new_from_resource () gives what the
 * file holds now, after a save, with no C compiler. A project is made by
 * hand in a temporary folder: a .gresource.xml beside a meson.build the
 * build's introspection names, and a builder file. */
#include "config.h"

#include <glib/gstdio.h>
#include <hotnode.h>
#include <signal.h>
#include <unistd.h>

#include "hot-resources-private.h"
#include "test-utils.h"

#define RESOURCE "/org/hotnode/test/panel.ui"

typedef struct
{
  char *dir;
  char *builder_file;
  char *build_dir;
} Fixture;

static void
write_file (const char *path,
            const char *contents)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
write_builder_file (Fixture    *fixture,
                    const char *label)
{
  g_autofree char *xml = g_strdup_printf ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                          "<interface>\n"
                                          "  <object class=\"GtkLabel\" id=\"label\">\n"
                                          "    <property name=\"label\">%s</property>\n"
                                          "  </object>\n"
                                          "</interface>\n",
                                          label);

  write_file (fixture->builder_file, xml);
}

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *source_dir = NULL;
  g_autofree char *meson_info = NULL;
  g_autofree char *files = NULL;

  fixture->dir = g_dir_make_tmp ("hotnode-test-resources-XXXXXX", &error);
  g_assert_no_error (error);
  source_dir = g_build_filename (fixture->dir, "src", NULL);
  fixture->build_dir = g_build_filename (fixture->dir, "build", NULL);
  meson_info = g_build_filename (fixture->build_dir, "meson-info", NULL);
  g_assert_cmpint (g_mkdir_with_parents (source_dir, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (meson_info, 0755), ==, 0);

  fixture->builder_file = g_build_filename (source_dir, "panel.ui", NULL);
  write_builder_file (fixture, "first");
  files = g_build_filename (source_dir, "panel.gresource.xml", NULL);
  write_file (files, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<gresources>\n"
                     "  <gresource prefix=\"/org/hotnode/test\">\n"
                     "    <file>panel.ui</file>\n"
                     "  </gresource>\n"
                     "</gresources>\n");
  g_free (files);
  files = g_build_filename (source_dir, "meson.build", NULL);
  write_file (files, "# stands for the app's build file\n");
  g_free (files);

  /* What meson's introspection says of the build files. */
  files = g_strdup_printf ("[\"%s/meson.build\"]", source_dir);
  {
    g_autofree char *intro = g_build_filename (meson_info, "intro-buildsystem_files.json", NULL);

    write_file (intro, files);
  }
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  test_remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->builder_file);
  g_free (fixture->build_dir);
}

static void
update (HotResources *resources)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  hot_resources_update_async (resources, NULL, test_store_result, &result);
  g_assert_true (hot_resources_update_finish (resources, test_wait_for_result (&result), NULL, &error));
  g_assert_no_error (error);
}

/* The label the builder file gives, read as a node would. */
static char *
built_label (void)
{
  g_autoptr (GtkBuilder) builder = gtk_builder_new_from_resource (RESOURCE);

  return g_strdup (gtk_label_get_label (GTK_LABEL (gtk_builder_get_object (builder, "label"))));
}

static void
test_builder_file (Fixture      *fixture,
                   gconstpointer data)
{
  g_autoptr (HotResources) resources = hot_resources_new (fixture->build_dir);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  g_test_summary ("A builder file loaded from a GResource gives what its file holds after a save: the "
                  "bundle is compiled again and registered over the older copy");

  g_assert_cmpstr (hot_resources_get_resource_path (resources, fixture->builder_file), ==, RESOURCE);
  g_assert_cmpstr (hot_resources_lookup_file (resources, RESOURCE), ==, fixture->builder_file);

  update (resources);
  first = built_label ();
  g_assert_cmpstr (first, ==, "first");

  write_builder_file (fixture, "second");
  update (resources);
  second = built_label ();
  g_assert_cmpstr (second, ==, "second");
}

static void
test_settle (Fixture      *fixture,
             gconstpointer data)
{
  g_autoptr (HotResources) resources = hot_resources_new (fixture->build_dir);
  g_autofree char *kept = NULL;
  g_autofree char *reverted = NULL;

  g_test_summary ("Resources compiled for a reload that did not go live are replaced by those the live code "
                  "was made with: a later generation never reads a template whose reload failed");

  update (resources);
  hot_resources_settle (resources, TRUE);
  kept = built_label ();
  g_assert_cmpstr (kept, ==, "first");

  write_builder_file (fixture, "second");
  update (resources);
  hot_resources_settle (resources, FALSE);
  reverted = built_label ();
  g_assert_cmpstr (reverted, ==, "first");
}

static gboolean
count_turn (gpointer user_data)
{
  (*(guint *) user_data)++;
  return G_SOURCE_CONTINUE;
}

/* A folder in front of PATH, set before GTK starts its threads (setenv ()
 * then is not safe): its glib-compile-resources runs the real one, or,
 * while a file "stand-in" is beside it, records its pid and process group
 * in the file that one names and sleeps. */
static char *bin_dir;

static void
test_compile_async (Fixture      *fixture,
                    gconstpointer data)
{
  g_autoptr (HotResources) resources = hot_resources_new (fixture->build_dir);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *stand_in = g_build_filename (bin_dir, "stand-in", NULL);
  g_autofree char *record = g_build_filename (fixture->dir, "compiler-pid", NULL);
  g_autofree char *recorded = NULL;
  guint            turns = 0, idle;
  gint64           deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  GPid             pid;

  g_test_summary ("glib-compile-resources runs without blocking the main loop, in a process group of its "
                  "own; a cancelled update ends at once with G_IO_ERROR_CANCELLED and stops it");

  write_file (stand_in, record);
  hot_resources_update_async (resources, cancellable, test_store_result, &result);

  idle = g_idle_add (count_turn, &turns);
  while (!g_file_get_contents (record, &recorded, NULL, NULL))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The stand-in glib-compile-resources did not start within 10 s");
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (idle);
  g_unlink (stand_in);
  g_assert_cmpuint (turns, >, 0);
  g_assert_null (result);

  {
    g_auto (GStrv) fields = g_strsplit_set (g_strstrip (recorded), " ", -1);

    pid = (GPid) g_ascii_strtoll (fields[0], NULL, 10);
    g_assert_cmpint (g_strv_length (fields), >=, 2);
    g_assert_cmpint (g_ascii_strtoll (fields[g_strv_length (fields) - 1], NULL, 10), ==, pid);
    g_assert_cmpint (pid, !=, getpgrp ());
  }

  g_cancellable_cancel (cancellable);
  g_assert_false (hot_resources_update_finish (resources, test_wait_for_result (&result), NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* Stopped: the process is gone within the escalation's 2 s. */
  while (kill (pid, 0) == 0)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The cancelled glib-compile-resources (pid %d) is still running", (int) pid);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *compiler = NULL;
  g_autofree char *real = g_find_program_in_path ("glib-compile-resources");
  g_autofree char *script = NULL;
  g_autofree char *path = NULL;
  int              status;

  bin_dir = g_dir_make_tmp ("hotnode-test-resources-bin-XXXXXX", NULL);
  compiler = g_build_filename (bin_dir, "glib-compile-resources", NULL);
  script = g_strdup_printf ("#!/bin/sh\n"
                            "here=$(dirname \"$0\")\n"
                            "if [ -e \"$here/stand-in\" ]; then\n"
                            "  record=$(cat \"$here/stand-in\")\n"
                            "  echo \"$$ $(ps -o pgid= $$)\" > \"$record.tmp\" && mv \"$record.tmp\" \"$record\"\n"
                            "  exec sleep 60\n"
                            "fi\n"
                            "exec '%s' \"$@\"\n",
                            real ? real : "glib-compile-resources");
  write_file (compiler, script);
  g_chmod (compiler, 0755);
  path = g_strconcat (bin_dir, ":", g_getenv ("PATH"), NULL);
  g_setenv ("PATH", path, TRUE);

  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      test_remove_tree (bin_dir);
      g_print ("1..0 # SKIP no display\n");
      return 0;
    }

  g_test_add ("/Hotnode/Resources/builder-file", Fixture, NULL, fixture_set_up, test_builder_file,
              fixture_tear_down);
  g_test_add ("/Hotnode/Resources/settle", Fixture, NULL, fixture_set_up, test_settle, fixture_tear_down);
  g_test_add ("/Hotnode/Resources/compile-async", Fixture, NULL, fixture_set_up, test_compile_async,
              fixture_tear_down);

  status = g_test_run ();
  test_remove_tree (bin_dir);
  g_free (bin_dir);

  return status;
}
