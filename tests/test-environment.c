/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The test environment itself: the tests must not depend on the GL driver
 * or the GIO modules the machine happens to have (tests/meson.build). */
#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>

#include "test-utils.h"

/* The time a file monitor may take to report a new file. */
#define EVENT_DEADLINE_US (5 * G_USEC_PER_SEC)

/* Fails the test for each library of the machine's that is mapped into
 * this process although the test environment should keep it out. */
static void
assert_nothing_from_the_machine_mapped (void)
{
  g_autofree char *maps = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) reported = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *module_dir = g_strconcat (HOTNODE_SYSTEM_GIO_MODULE_DIR, "/", NULL);
  gsize            length = 0;
  const char      *line = NULL;
  const char      *end = NULL;

  g_file_get_contents ("/proc/self/maps", &maps, &length, &error);
  g_assert_no_error (error);

  for (line = maps; line < maps + length; line = end + 1)
    {
      g_autofree char *text = NULL;
      const char      *path = NULL;

      end = memchr (line, '\n', maps + length - line) ?: maps + length;
      text = g_strndup (line, end - line);
      path = strchr (text, '/');
      if (path == NULL || g_hash_table_contains (reported, path))
        continue;

      if (g_str_has_prefix (path, module_dir))
        {
          g_test_message ("A GIO module of the machine is loaded: %s. The tests set "
                          "GIO_MODULE_DIR to an empty folder (tests/meson.build).",
                          path);
          g_test_fail ();
          g_hash_table_add (reported, g_strdup (path));
        }
      else if (strstr (path, "/libEGL_mesa") != NULL)
        {
          g_test_message ("Mesa's EGL driver is loaded: %s. The tests set "
                          "GDK_DEBUG=gl-disable (tests/meson.build).",
                          path);
          g_test_fail ();
          g_hash_table_add (reported, g_strdup (path));
        }
    }
}

static void
test_nothing_from_the_machine (void)
{
  g_autoptr (GSettingsBackend) backend = NULL;
  GtkWidget *window;

  g_test_summary ("Neither GIO modules from the machine's module folder nor Mesa's EGL "
                  "driver are mapped into a test that showed a window and used GIO");

  if (gdk_display_get_default () == NULL)
    {
      g_test_skip ("no display");
      return;
    }

  /* What makes GIO load its modules and GDK probe GL. */
  g_assert_true (G_IS_VFS (g_vfs_get_default ()));
  backend = g_settings_backend_get_default ();
  g_assert_nonnull (backend);
  window = gtk_window_new ();
  gtk_window_present (GTK_WINDOW (window));
  test_wait_for_frame (window);

  assert_nothing_from_the_machine_mapped ();

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
on_changed (GFileMonitor     *monitor,
            GFile            *file,
            GFile            *other_file,
            GFileMonitorEvent event,
            gboolean         *created)
{
  if (event == G_FILE_MONITOR_EVENT_CREATED)
    *created = TRUE;
}

static gboolean
on_deadline (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;

  return G_SOURCE_REMOVE;
}

static void
test_inotify_monitor (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp_dir = g_dir_make_tmp ("hotnode-environment-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr (GFile) dir = NULL;
  g_autoptr (GFileMonitor) monitor = NULL;
  gboolean created = FALSE;
  gboolean expired = FALSE;
  guint    deadline;

  g_test_summary ("Without the machine's GIO modules, folders are still watched with "
                  "inotify (built into libgio), and a new file is reported");

  g_assert_no_error (error);
  dir = g_file_new_for_path (tmp_dir);
  monitor = g_file_monitor_directory (dir, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (G_OBJECT_TYPE_NAME (monitor), ==, "GInotifyFileMonitor");
  g_signal_connect (monitor, "changed", G_CALLBACK (on_changed), &created);

  path = g_build_filename (tmp_dir, "saved.c", NULL);
  g_file_set_contents (path, "int x;\n", -1, &error);
  g_assert_no_error (error);

  deadline = g_timeout_add (EVENT_DEADLINE_US / 1000, on_deadline, &expired);
  while (!created && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (deadline);
  if (!created)
    g_error ("The file monitor did not report “%s” within %d s", path, (int) (EVENT_DEADLINE_US / G_USEC_PER_SEC));

  g_file_monitor_cancel (monitor);
  test_remove_tree (tmp_dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* Without a display the GIO part still runs; the window part skips. */
  gtk_init_check ();

  g_test_add_func ("/Hotnode/Environment/nothing-from-the-machine", test_nothing_from_the_machine);
  g_test_add_func ("/Hotnode/Environment/inotify-monitor", test_inotify_monitor);

  return g_test_run ();
}
