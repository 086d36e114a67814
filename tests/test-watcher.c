/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The watcher on real files: each way editors save makes one "changed",
 * after which the file holds its final content; temporary files and ignored
 * folders make none; a quiet watcher arms no timer. */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "hot-watcher-private.h"
#include "test-utils.h"

/* Wider than the service's 50 ms: one save must fall in one interval even on
 * a loaded machine. */
#define DEBOUNCE_MS 250
#define SETTLE_MS 50

typedef struct
{
  char       *dir;
  HotWatcher *watcher;
  guint       n_changed;
  GPtrArray  *paths;    /* of the last emission */
  char       *expected; /* the content the watched file must have then */
  char       *watched;  /* that file */
} Fixture;

static void
on_changed (HotWatcher *watcher,
            GStrv       paths,
            gint64      first_event,
            Fixture    *fixture)
{
  /* When the first event came: before the debounce ended, now. */
  g_assert_cmpint (first_event, >, 0);
  g_assert_cmpint (first_event, <, g_get_monotonic_time ());

  fixture->n_changed++;
  g_ptr_array_set_size (fixture->paths, 0);
  for (guint i = 0; paths[i]; i++)
    g_ptr_array_add (fixture->paths, g_strdup (paths[i]));

  if (fixture->expected != NULL)
    {
      g_autofree char *contents = NULL;

      g_assert_true (g_file_get_contents (fixture->watched, &contents, NULL, NULL));
      g_assert_cmpstr (contents, ==, fixture->expected);
    }
}

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  g_autofree char *build = NULL;

  fixture->dir = g_dir_make_tmp ("hotnode-test-watcher-XXXXXX", NULL);
  fixture->watched = g_build_filename (fixture->dir, "panel.c", NULL);
  fixture->paths = g_ptr_array_new_with_free_func (g_free);
  g_assert_true (g_file_set_contents (fixture->watched, "int a;\n", -1, NULL));

  build = g_build_filename (fixture->dir, "build", NULL);
  g_assert_cmpint (g_mkdir (build, 0755), ==, 0);

  fixture->watcher = hot_watcher_new (GPOINTER_TO_UINT (data) ?: DEBOUNCE_MS, SETTLE_MS);
  hot_watcher_ignore (fixture->watcher, build);
  hot_watcher_add_dir (fixture->watcher, fixture->dir);
  g_signal_connect (fixture->watcher, "changed", G_CALLBACK (on_changed), fixture);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  g_clear_object (&fixture->watcher);
  test_remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->watched);
  g_free (fixture->expected);
  g_ptr_array_unref (fixture->paths);
}

/* Several debounce intervals: long enough for any further emission of the
 * same save to show. */
static void
run_quiet_period (void)
{
  test_run_main_loop_for (DEBOUNCE_MS * 6);
}

/* After one save: exactly one emission, then silence, and no timer left. */
static void
assert_one_change (Fixture *fixture)
{
  GMainContext *context = g_main_context_default ();
  GPollFD       fds[16];
  int           timeout = 0;
  int           max_priority;
  int           n_fds;

  while (fixture->n_changed == 0)
    g_main_context_iteration (NULL, TRUE);
  run_quiet_period ();
  g_assert_cmpuint (fixture->n_changed, ==, 1);

  /* Nothing is armed: the main loop would sleep until the next event. */
  g_assert_true (g_main_context_acquire (context));
  g_main_context_prepare (context, &max_priority);
  n_fds = g_main_context_query (context, max_priority, &timeout, fds, G_N_ELEMENTS (fds));
  g_main_context_check (context, max_priority, fds, MIN (n_fds, (int) G_N_ELEMENTS (fds)));
  g_main_context_release (context);
  g_assert_cmpint (timeout, ==, -1);
}

static void
expect_final (Fixture    *fixture,
              const char *content)
{
  g_free (fixture->expected);
  fixture->expected = g_strdup (content);
}

/* Writes @path directly, creating it if needed, as editors write their
 * swap and backup files. */
static void
write_in_place (const char *path,
                const char *content)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, content, strlen (content)), ==, (gssize) strlen (content));
  g_assert_cmpint (close (fd), ==, 0);
}

static void
test_write_in_place (Fixture      *fixture,
                     gconstpointer data)
{
  g_test_summary ("Writing a file in place (truncate, write, close) is one change");

  expect_final (fixture, "int b;\n");
  write_in_place (fixture->watched, "int b;\n");
  assert_one_change (fixture);
  g_assert_cmpstr (g_ptr_array_index (fixture->paths, 0), ==, fixture->watched);
}

static void
test_rename_over (Fixture      *fixture,
                  gconstpointer data)
{
  g_test_summary ("A temporary file renamed over the file (gedit, vim, g_file_set_contents) "
                  "is one change");

  expect_final (fixture, "int c;\n");
  g_assert_true (g_file_set_contents (fixture->watched, "int c;\n", -1, NULL));
  assert_one_change (fixture);
  g_assert_true (g_ptr_array_find_with_equal_func (fixture->paths, fixture->watched, g_str_equal, NULL));
}

static void
test_delete_create (Fixture      *fixture,
                    gconstpointer data)
{
  g_test_summary ("Deleting the file and creating it again is one change");

  expect_final (fixture, "int d;\n");
  g_assert_cmpint (g_unlink (fixture->watched), ==, 0);
  g_assert_true (g_file_set_contents (fixture->watched, "int d;\n", -1, NULL));
  assert_one_change (fixture);
}

static void
test_several_writes (Fixture      *fixture,
                     gconstpointer data)
{
  g_test_summary ("Several writes to one file within milliseconds are one change, "
                  "seen with the last content");

  expect_final (fixture, "int e3;\n");
  write_in_place (fixture->watched, "int e1;\n");
  write_in_place (fixture->watched, "int e2;\n");
  g_assert_true (g_file_set_contents (fixture->watched, "int e3;\n", -1, NULL));
  assert_one_change (fixture);
}

static void
test_two_files (Fixture      *fixture,
                gconstpointer data)
{
  g_autofree char *header = g_build_filename (fixture->dir, "panel.h", NULL);

  g_test_summary ("A save that touches two files is one change naming both");

  expect_final (fixture, "int f;\n");
  g_assert_true (g_file_set_contents (header, "extern int f;\n", -1, NULL));
  g_assert_true (g_file_set_contents (fixture->watched, "int f;\n", -1, NULL));
  assert_one_change (fixture);
  g_assert_true (g_ptr_array_find_with_equal_func (fixture->paths, header, g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (fixture->paths, fixture->watched, g_str_equal, NULL));
}

static void
test_new_folder (Fixture      *fixture,
                 gconstpointer data)
{
  g_autofree char *folder = g_build_filename (fixture->dir, "widgets", NULL);
  g_autofree char *file = g_build_filename (folder, "row.c", NULL);

  g_test_summary ("A new file in a new folder is one change, and the new folder is watched "
                  "from then on");

  g_assert_cmpint (g_mkdir (folder, 0755), ==, 0);
  g_assert_true (g_file_set_contents (file, "int g;\n", -1, NULL));
  assert_one_change (fixture);

  fixture->n_changed = 0;
  g_free (fixture->watched);
  fixture->watched = g_strdup (file);
  expect_final (fixture, "int h;\n");
  g_assert_true (g_file_set_contents (file, "int h;\n", -1, NULL));
  assert_one_change (fixture);
  g_assert_true (g_ptr_array_find_with_equal_func (fixture->paths, file, g_str_equal, NULL));
}

static void
test_ignored (Fixture      *fixture,
              gconstpointer data)
{
  const char *names[] = { ".panel.c.swp", "panel.c~", "#panel.c#", "4913", ".hidden", "build/panel.o" };

  g_test_summary ("Editor temporary files, hidden files and ignored folders make no change");

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (fixture->dir, names[i], NULL);

      write_in_place (path, "x");
    }
  run_quiet_period ();
  g_assert_cmpuint (fixture->n_changed, ==, 0);

  /* A real edit right after still counts. */
  write_in_place (fixture->watched, "int i;\n");
  assert_one_change (fixture);
}

static void
test_settle (Fixture      *fixture,
             gconstpointer data)
{
  int fd;

  g_test_summary ("A file still open for writing waits for the debounce (a minute here); "
                  "closing it ends the save, and the change comes after the short settle");

  expect_final (fixture, "int j;\n");
  fd = open (fixture->watched, O_WRONLY | O_TRUNC);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, "int j;\n", 7), ==, 7);
  test_run_main_loop_for (SETTLE_MS * 6);
  g_assert_cmpuint (fixture->n_changed, ==, 0);

  g_assert_cmpint (close (fd), ==, 0);
  while (fixture->n_changed == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (fixture->n_changed, ==, 1);
}

static void
test_folder_again (Fixture      *fixture,
                   gconstpointer data)
{
  g_autofree char *folder = g_build_filename (fixture->dir, "widgets", NULL);
  g_autofree char *file = g_build_filename (folder, "row.c", NULL);

  g_test_summary ("A watched folder deleted and made again is watched again");

  g_assert_cmpint (g_mkdir (folder, 0755), ==, 0);
  assert_one_change (fixture);
  g_assert_cmpint (g_rmdir (folder), ==, 0);
  run_quiet_period ();
  g_assert_cmpint (g_mkdir (folder, 0755), ==, 0);
  run_quiet_period ();

  fixture->n_changed = 0;
  g_free (fixture->watched);
  fixture->watched = g_strdup (file);
  expect_final (fixture, "int m;\n");
  g_assert_true (g_file_set_contents (file, "int m;\n", -1, NULL));
  assert_one_change (fixture);
  g_assert_true (g_ptr_array_find_with_equal_func (fixture->paths, file, g_str_equal, NULL));
}

static void
test_prompt (Fixture      *fixture,
             gconstpointer data)
{
  g_autofree char *build = g_build_filename (fixture->dir, "build", NULL);

  g_test_summary ("Each of many saves of one file in quick succession is seen in the main loop's "
                  "next iterations, without blocking, in order and with its own content: file events "
                  "are read as they come (GLib's inotify backend reads them on a thread of its own, "
                  "and waits 100 ms after a read that held only IN_MODIFY)");

  /* No settle: the end of a save emits at once. */
  g_clear_object (&fixture->watcher);
  fixture->watcher = hot_watcher_new (60000, 0);
  hot_watcher_ignore (fixture->watcher, build);
  hot_watcher_add_dir (fixture->watcher, fixture->dir);
  g_signal_connect (fixture->watcher, "changed", G_CALLBACK (on_changed), fixture);

  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *content = g_strdup_printf ("int k%u;\n", i);

      /* Truncated, written, closed: IN_MODIFY, then IN_CLOSE_WRITE. */
      expect_final (fixture, content);
      write_in_place (fixture->watched, content);
      for (guint j = 0; j < 10 && fixture->n_changed == i; j++)
        g_main_context_iteration (NULL, FALSE);
      g_assert_cmpuint (fixture->n_changed, ==, i + 1);
      g_assert_cmpuint (fixture->paths->len, ==, 1);
      g_assert_cmpstr (g_ptr_array_index (fixture->paths, 0), ==, fixture->watched);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/Hotnode/Watcher/write-in-place", test_write_in_place);
  ADD ("/Hotnode/Watcher/rename-over", test_rename_over);
  ADD ("/Hotnode/Watcher/delete-create", test_delete_create);
  ADD ("/Hotnode/Watcher/several-writes", test_several_writes);
  ADD ("/Hotnode/Watcher/two-files", test_two_files);
  ADD ("/Hotnode/Watcher/new-folder", test_new_folder);
  ADD ("/Hotnode/Watcher/ignored", test_ignored);
  ADD ("/Hotnode/Watcher/prompt", test_prompt);
  ADD ("/Hotnode/Watcher/folder-again", test_folder_again);
  g_test_add ("/Hotnode/Watcher/settle", Fixture, GUINT_TO_POINTER (60000), fixture_set_up, test_settle,
              fixture_tear_down);

#undef ADD

  return g_test_run ();
}
