/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The loaded generations' files: a loaded copy is removed once mapped, and
 * with unloading on a generation stays loaded while a window opened since it
 * went live is open. */
#include "config.h"

#include <hotnode.h>

#include "test-alpha.h"

/* Whether the loaded copy of alpha's generation @number is still there:
 * a closed generation's copy is removed with it. */
static gboolean
copy_exists (guint number)
{
  g_autoptr (GDir) dir = g_dir_open (test_alpha.private_dir, 0, NULL);
  g_autofree char *name = g_strdup_printf ("alpha-%u.so", number);
  const char      *run;

  while (dir != NULL && (run = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (test_alpha.private_dir, run, name, NULL);

      if (g_file_test (path, G_FILE_TEST_EXISTS))
        return TRUE;
    }

  return FALSE;
}

static void
test_copies_removed (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = g_dir_open (test_alpha.private_dir, 0, NULL);
  GtkWidget  *label = test_new_proxy ("alpha_label", NULL);
  const char *run;
  guint       n_links = 0;

  g_test_summary ("A loaded copy's file is removed once dlopen has mapped it (a link to the built library "
                  "takes its place), and its code runs on");

  g_assert_true (test_alpha_reload ("libalpha-gen2.so", &error));
  g_assert_no_error (error);
  g_assert_true (test_alpha_reload ("libalpha.so", &error));
  g_assert_no_error (error);

  while (dir != NULL && (run = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *run_path = g_build_filename (test_alpha.private_dir, run, NULL);
      g_autoptr (GDir) copies = g_dir_open (run_path, 0, NULL);
      const char *name;

      while (copies != NULL && (name = g_dir_read_name (copies)) != NULL)
        {
          g_autofree char *path = g_build_filename (run_path, name, NULL);

          if (!g_str_has_suffix (name, ".so"))
            continue;
          if (!g_file_test (path, G_FILE_TEST_IS_SYMLINK))
            g_error ("The loaded copy %s is still there", path);
          n_links++;
        }
    }
  g_assert_cmpuint (n_links, >=, 2);

  /* The code of the newest generation, whose copy is gone, builds widgets. */
  g_assert_true (GTK_IS_LABEL (hot_node_get_child (HOT_NODE_PROXY (label))));
  g_assert_finalize_object (label);
}

static void
test_unload_open_window (void)
{
  HotReload *service = hot_reload_get_default ();
  g_autoptr (GError) error = NULL;
  GtkWidget *label = test_new_proxy ("alpha_label", NULL);
  GtkWidget *dialog;
  guint      first;

  g_test_summary ("With unloading on, a generation stays loaded while a window opened since it went "
                  "live is open (a dialog its code may have opened), and goes once it is closed");

  g_assert_true (test_alpha_reload ("libalpha-gen2.so", &error));
  first = hot_node_get_generation (HOT_NODE_PROXY (label));
  g_assert_true (copy_exists (first));

  hot_reload_set_unload_generations (service, TRUE);
  dialog = gtk_window_new ();
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_true (test_alpha_reload ("libalpha-gen3.so", &error));
  g_assert_cmpuint (hot_node_get_generation (HOT_NODE_PROXY (label)), !=, first);
  test_run_main_loop_for (200);
  g_assert_true (copy_exists (first));

  gtk_window_destroy (GTK_WINDOW (dialog));
  test_run_main_loop_for (200);
  g_assert_false (copy_exists (first));

  hot_reload_set_unload_generations (service, FALSE);
  g_assert_finalize_object (label);
}

int
main (int   argc,
      char *argv[])
{
  if (!test_alpha_init (&argc, &argv))
    return 0;

  g_test_add_func ("/Hotnode/Reload/unload-open-window", test_unload_open_window);
  g_test_add_func ("/Hotnode/Reload/copies-removed", test_copies_removed);

  return test_alpha_run ();
}
