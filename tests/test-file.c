/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The files hotnode writes for itself: what they hold afterwards is what
 * was written, and only that. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "hot-file-private.h"
#include "test-utils.h"

static void
test_shorter (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  gsize    length;
  GStatBuf st;

  g_test_summary ("A file written again with fewer bytes holds only those (GLib 2.74's "
                  "g_file_set_contents_full () without flags kept the old tail)");

  dir = g_dir_make_tmp ("hotnode-test-file-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "copy.c", NULL);

  g_assert_true (hot_file_write (path, "int long_name_of_a_function (void);\n", 36, 0640, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0640);

  g_assert_true (hot_file_write (path, "int f;\n", 7, 0640, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_cmpstr (contents, ==, "int f;\n");
  g_assert_cmpuint (length, ==, 7);

  test_remove_tree (dir);
}

static void
test_error (void)
{
  g_autoptr (GError) error = NULL;

  g_test_summary ("A file that cannot be written gives a G_FILE_ERROR naming it");

  g_assert_false (hot_file_write ("/nonexistent-hotnode-folder/file", "x", 1, 0600, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_nonnull (strstr (error->message, "/nonexistent-hotnode-folder/file"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Hotnode/File/shorter", test_shorter);
  g_test_add_func ("/Hotnode/File/error", test_error);

  return g_test_run ();
}
