/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the tests. */
#pragma once

#include <glib/gstdio.h>
#include <gio/gio.h>
#include <gtk/gtk.h>
#include <hotnode.h>

static inline void
test_store_result (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Runs the default main context until an async call stored its result. */
static inline GAsyncResult *
test_wait_for_result (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *result;
}

static inline void
test_remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        test_remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* For tests of the service with HOT_RELOAD=1: turns it on before anything
 * reads it, and keeps the loaded copies in a folder of the test's own (to
 * remove with test_remove_tree ()). Prints the TAP skip and returns FALSE
 * when there is no display. */
static inline gboolean
test_init_hot_reload (int    *argc,
                      char ***argv,
                      char  **private_dir)
{
  g_setenv ("HOT_RELOAD", "1", TRUE);
  g_test_init (argc, argv, NULL);

  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display\n");
      return FALSE;
    }

  *private_dir = g_dir_make_tmp ("hotnode-test-XXXXXX", NULL);
  g_setenv ("HOT_RELOAD_PRIVATE_DIR", *private_dir, TRUE);

  return TRUE;
}

/* A rebuilder that builds nothing: its "build" names a generation meson
 * already built, `*(const char **) user_data` in tests/fixtures. */
static inline char **
test_prebuilt_rebuilder (HotReload  *service,
                         const char *module,
                         char      **output_path,
                         gpointer    user_data)
{
  const char *const *variant = user_data;
  const char        *argv[] = { "true", NULL };

  g_free (*output_path);
  *output_path = g_test_build_filename (G_TEST_BUILT, "fixtures", *variant, NULL);

  return g_strdupv ((char **) argv);
}
