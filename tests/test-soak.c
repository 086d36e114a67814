/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Many reloads in one process: open files must not grow; mappings and
 * memory are reported, and stay bounded once unloading is on.
 * HOTNODE_SOAK_RELOADS sets the count of each phase (200 here; the issue's
 * soak is 1000). */
#include "config.h"

#include <hotnode.h>

#include "test-utils.h"

int alpha_get_count (void);

static const char *next_variant;

static guint
count_lines (const char *path)
{
  g_autofree char *contents = NULL;
  guint            n = 0;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  for (const char *c = contents; *c; c++)
    n += *c == '\n';

  return n;
}

#define OPEN_FILES_SLACK 2

static guint
count_open_files (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  while (g_dir_read_name (dir) != NULL)
    n++;

  return n;
}

static guint64
resident_kib (void)
{
  g_autofree char *statm = NULL;
  g_auto (GStrv) fields = NULL;

  g_assert_true (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL));
  fields = g_strsplit (statm, " ", -1);

  return g_ascii_strtoull (fields[1], NULL, 10) * (sysconf (_SC_PAGESIZE) / 1024);
}

typedef struct
{
  guint   reloads;
  guint   open_files;
  guint   mappings;
  guint64 rss_kib;
} Sample;

static Sample
sample (guint reloads)
{
  Sample s = { reloads, count_open_files (), count_lines ("/proc/self/maps"), resident_kib () };

  g_test_message ("after %5u reloads: %3u open files, %5u mappings, %7" G_GUINT64_FORMAT " KiB resident",
                  s.reloads, s.open_files, s.mappings, s.rss_kib);
  return s;
}

static void
reload_alpha (guint i)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  HotReload *service = hot_reload_get_default ();

  next_variant = i % 2 ? "libalpha-gen3.so" : "libalpha-gen2.so";
  hot_reload_rebuild_async (service, "alpha", NULL, test_store_result, &result);
  g_assert_true (hot_reload_rebuild_finish (service, test_wait_for_result (&result), &error));
  g_assert_no_error (error);
}

static guint
count_files (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  guint       n = 0;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      n += g_file_test (child, G_FILE_TEST_IS_DIR) ? count_files (child) : 1;
    }

  return n;
}

static void
test_soak (void)
{
  HotReload *service = hot_reload_get_default ();
  guint      count = MAX (20, (guint) g_ascii_strtoull (g_getenv ("HOTNODE_SOAK_RELOADS") ?: "200", NULL, 10));
  GtkWidget *proxy = g_object_ref_sink (hot_node_new ("alpha_clicks", NULL));
  Sample     start = { 0 }, kept, swept, end;
  int        clicks_before = alpha_get_count ();
  guint      i;

  g_test_summary ("Reloads in a loop keep the number of open files flat; every generation "
                  "stays loaded by default, and with unloading on, mappings stay bounded");

  /* The first reloads warm up what GLib opens once (inotify, the loader
   * thread's wakeups): the baseline is taken after them. */
  for (i = 0; i < count; i++)
    {
      if (i == 10)
        start = sample (i);
      else if (i == count / 10 && i > 10)
        sample (i);
      reload_alpha (i);
    }
  kept = sample (count);

  /* A leak would be one file a reload, hundreds here; a process that has
   * just ended can hold one for a moment (its child watch). */
  g_assert_cmpuint (kept.open_files, <=, start.open_files + OPEN_FILES_SLACK);
  /* By default every generation stays loaded (see the README): mappings grow
   * with the reloads, and by no more than a few per generation. */
  g_assert_cmpuint (kept.mappings - start.mappings, <=, 8 * (count - 10));
  g_test_message ("kept: %.1f mappings, %.1f KiB resident per reload",
                  (double) (kept.mappings - start.mappings) / (count - 10),
                  (double) (kept.rss_kib - start.rss_kib) / (count - 10));

  /* Unloading on: the unused generations go, and stay gone. */
  hot_reload_set_unload_generations (service, TRUE);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  swept = sample (count);
  g_assert_cmpuint (swept.mappings, <, kept.mappings);
  for (; i < 2 * count; i++)
    reload_alpha (i);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  end = sample (2 * count);

  g_assert_cmpuint (end.open_files, <=, start.open_files + OPEN_FILES_SLACK);
  g_assert_cmpuint (end.mappings, <=, swept.mappings + 16);
  /* Only the live generation's copy is left in the private folder. */
  g_assert_cmpuint (count_files (g_getenv ("HOT_RELOAD_PRIVATE_DIR")), <=, 2);

  /* The proxy was rebuilt every time, counting into the app's storage. */
  g_assert_cmpint (alpha_get_count (), ==, clicks_before + (int) (2 * count));

  hot_reload_set_unload_generations (service, FALSE);
  g_assert_finalize_object (proxy);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *private_dir = NULL;
  int              status;

  if (!test_init_hot_reload (&argc, &argv, &private_dir))
    return 0;
  hot_reload_set_rebuilder (hot_reload_get_default (), test_prebuilt_rebuilder, &next_variant, NULL);

  g_test_add_func ("/Hotnode/Soak/reloads", test_soak);

  status = g_test_run ();
  test_remove_tree (private_dir);

  return status;
}
