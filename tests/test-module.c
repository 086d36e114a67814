/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The life of one module, without GTK: a module made by hand over a folder
 * of its own, rebuilt by a shell command that waits and "builds" a library
 * this build made (tests/fixtures), loaded by the real loader, swapped by a
 * hook that only counts. What is checked is what the module owes and does:
 * a build when content changes and only then, one reload for a change made
 * during a build, no retry of a failed content, cancellation, calls from
 * the hooks. */
#include "config.h"

#include <dlfcn.h>
#include <hotnode.h>

#include "hot-module-private.h"
#include "test-utils.h"

#define DEADLINE_S 30

typedef struct
{
  char           *dir;
  char           *source;
  char           *header;
  char           *build_dir;
  HotModuleInfo   info;
  HotModuleShared shared;
  HotModule      *module;
  const char     *script; /* the rebuild command, run by sh */
  char           *output;
  guint           swaps;
  guint           rebuilds; /* times the rebuild command was asked for */
  guint           finished;
  GError         *last_error;
  GAsyncResult   *from_hook; /* a rebuild asked for by the finished hook */
  gboolean        rebuild_from_hook;
} Fixture;

static gboolean
has_custom_rebuilder (HotModule *module,
                      gpointer   user_data)
{
  return TRUE;
}

static GStrv
custom_rebuilder (HotModule *module,
                  char     **output,
                  GError   **error,
                  gpointer   user_data)
{
  Fixture *fixture = user_data;

  fixture->rebuilds++;
  *output = g_strdup (fixture->output);
  return g_strdupv ((char *[]){ (char *) "sh", (char *) "-c", (char *) fixture->script, NULL });
}

static gboolean
swap (HotModule     *module,
      HotGeneration *generation,
      GError       **error,
      gpointer       user_data)
{
  Fixture *fixture = user_data;

  fixture->swaps++;
  return TRUE;
}

static void
finished (HotModule    *module,
          const GError *error,
          gpointer      user_data)
{
  Fixture *fixture = user_data;

  fixture->finished++;
  g_clear_error (&fixture->last_error);
  fixture->last_error = error ? g_error_copy (error) : NULL;

  if (fixture->rebuild_from_hook)
    {
      fixture->rebuild_from_hook = FALSE;
      hot_module_rebuild_async (module, NULL, test_store_result, &fixture->from_hook);
    }
}

static void
inputs_changed (HotModule *module,
                gpointer   user_data)
{
}

static gboolean
may_unload (HotModule     *module,
            HotGeneration *generation,
            gpointer       user_data)
{
  return TRUE;
}

static const HotModuleHooks hooks = {
  has_custom_rebuilder,
  custom_rebuilder,
  swap,
  finished,
  inputs_changed,
  may_unload,
};

static void
write_file (const char *path,
            const char *contents)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *private_dir = NULL;

  fixture->dir = g_dir_make_tmp ("hotnode-test-module-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->source = g_build_filename (fixture->dir, "panel.c", NULL);
  fixture->header = g_build_filename (fixture->dir, "panel.h", NULL);
  /* Files in the build folder are the build's, not inputs. */
  fixture->build_dir = g_build_filename (fixture->dir, "build", NULL);
  g_assert_cmpint (g_mkdir (fixture->build_dir, 0755), ==, 0);
  write_file (fixture->source, "int panel = 0;\n");
  write_file (fixture->header, "#define PANEL 0\n");
  private_dir = g_build_filename (fixture->dir, "private", NULL);
  fixture->output = g_test_build_filename (G_TEST_BUILT, "fixtures", "libalpha-gen2.so", NULL);
  fixture->script = "true";

  fixture->info.name = (char *) "alpha";
  fixture->info.build_dir = fixture->build_dir;
  fixture->info.output = fixture->output;
  fixture->info.target = (char *) "libalpha.so";
  fixture->info.sources = g_strdupv ((char *[]){ fixture->source, NULL });
  fixture->info.source_dirs = g_strdupv ((char *[]){ fixture->dir, NULL });
  fixture->info.commands = g_hash_table_new (g_str_hash, g_str_equal);

  fixture->shared.loader = hot_loader_new (private_dir, &error);
  g_assert_no_error (error);
  fixture->shared.statics = hot_static_registry_new ();
  fixture->shared.digests = hot_digest_cache_new ();
  fixture->shared.quarantine = g_ptr_array_new ();
  fixture->shared.fast_path = HOT_FAST_PATH_OFF;
  fixture->shared.load_timeout_ms = 20000;

  fixture->module = hot_module_new (&fixture->info, &fixture->shared, &hooks, fixture);
  hot_module_add_headers (fixture->module, fixture->source, (const char *const[]){ fixture->header, NULL });
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  g_assert_false (hot_module_is_busy (fixture->module));
  g_clear_pointer (&fixture->module, hot_module_free);
  g_clear_object (&fixture->shared.loader);
  g_clear_pointer (&fixture->shared.statics, hot_static_registry_free);
  g_clear_pointer (&fixture->shared.digests, hot_digest_cache_free);
  g_clear_pointer (&fixture->shared.quarantine, g_ptr_array_unref);
  g_strfreev (fixture->info.sources);
  g_strfreev (fixture->info.source_dirs);
  g_hash_table_unref (fixture->info.commands);
  g_clear_error (&fixture->last_error);
  g_clear_object (&fixture->from_hook);
  test_remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->source);
  g_free (fixture->header);
  g_free (fixture->build_dir);
  g_free (fixture->output);
}

/* Tells the module that @path was saved, as the watcher does. */
static gboolean
saved (Fixture    *fixture,
       const char *path)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();

  g_ptr_array_add (paths, (gpointer) path);
  return hot_module_files_changed (fixture->module, paths, g_get_monotonic_time ());
}

static gboolean
deadline_passed (gpointer user_data)
{
  g_error ("%s did not happen within %d s", (const char *) user_data, DEADLINE_S);
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until @count builds have ended and the module is idle. */
static void
wait_for_builds (Fixture *fixture,
                 guint    count)
{
  g_autofree char *what = g_strdup_printf ("the end of build %u", count);
  guint            deadline = g_timeout_add_seconds (DEADLINE_S, deadline_passed, what);

  while (fixture->finished < count || hot_module_is_busy (fixture->module))
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (deadline);
}

static void
test_owed_by_content (Fixture      *fixture,
                      gconstpointer data)
{
  g_autofree char *notes = g_build_filename (fixture->dir, "NOTES.txt", NULL);

  g_test_summary ("A build is owed when what a source or a header holds changes, and only then: "
                  "saving the same text, or a file the module is not built from, builds nothing");

  g_assert_true (saved (fixture, fixture->source));
  g_assert_false (hot_module_is_busy (fixture->module));

  write_file (notes, "not an input\n");
  g_assert_false (saved (fixture, notes));

  write_file (fixture->source, "int panel = 1;\n");
  g_assert_true (saved (fixture, fixture->source));
  g_assert_true (hot_module_is_busy (fixture->module));
  wait_for_builds (fixture, 1);
  g_assert_no_error (fixture->last_error);
  g_assert_cmpuint (fixture->swaps, ==, 1);

  /* The same text once more: a new file, the same content. */
  write_file (fixture->source, "int panel = 1;\n");
  saved (fixture, fixture->source);
  g_assert_false (hot_module_is_busy (fixture->module));

  /* A header the source includes. */
  write_file (fixture->header, "#define PANEL 1\n");
  g_assert_true (saved (fixture, fixture->header));
  wait_for_builds (fixture, 2);
  g_assert_cmpuint (fixture->swaps, ==, 2);
}

static void
test_change_during_build (Fixture      *fixture,
                          gconstpointer data)
{
  g_test_summary ("A change during a build stops it and builds again: one reload, of the last content, "
                  "and the stopped build is not reported");

  fixture->script = "sleep 0.5";
  write_file (fixture->source, "int panel = 1;\n");
  saved (fixture, fixture->source);
  g_assert_true (hot_module_is_busy (fixture->module));
  test_run_main_loop_for (100);

  write_file (fixture->source, "int panel = 2;\n");
  saved (fixture, fixture->source);
  wait_for_builds (fixture, 1);

  g_assert_no_error (fixture->last_error);
  g_assert_cmpuint (fixture->finished, ==, 1);
  g_assert_cmpuint (fixture->swaps, ==, 1);
  saved (fixture, fixture->source);
  g_assert_false (hot_module_is_busy (fixture->module));
}

static void
test_failure_not_retried (Fixture      *fixture,
                          gconstpointer data)
{
  g_test_summary ("Content whose build failed is not built again by itself; new content is");

  fixture->script = "echo 'panel.c:1:1: error: expected expression'; exit 1";
  write_file (fixture->source, "int panel = ;\n");
  saved (fixture, fixture->source);
  wait_for_builds (fixture, 1);
  g_assert_error (fixture->last_error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD);

  saved (fixture, fixture->source);
  g_assert_false (hot_module_is_busy (fixture->module));

  fixture->script = "true";
  write_file (fixture->source, "int panel = 3;\n");
  saved (fixture, fixture->source);
  wait_for_builds (fixture, 2);
  g_assert_no_error (fixture->last_error);
  g_assert_cmpuint (fixture->swaps, ==, 1);
}

static void
test_failure_undone (Fixture      *fixture,
                     gconstpointer data)
{
  HotStatus *status = hot_module_get_status (fixture->module);

  g_test_summary ("A mistake undone (the files back to what the live code was built from) clears "
                  "the failure with no build; the same mistake saved again is built and fails again");

  fixture->script = "echo 'panel.c:1:1: error: expected expression'; exit 1";
  write_file (fixture->source, "int panel = ;\n");
  saved (fixture, fixture->source);
  wait_for_builds (fixture, 1);
  g_assert_error (fixture->last_error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD);
  g_assert_nonnull (hot_status_get_error (status));
  g_assert_cmpuint (g_list_model_get_n_items (hot_status_get_diagnostics (status)), ==, 1);

  g_test_expect_message ("Hotnode", G_LOG_LEVEL_MESSAGE, "*“alpha” is back to what its live code was built from*");
  write_file (fixture->source, "int panel = 0;\n");
  saved (fixture, fixture->source);
  g_test_assert_expected_messages ();
  g_assert_false (hot_module_is_busy (fixture->module));
  g_assert_null (hot_status_get_error (status));
  g_assert_cmpuint (g_list_model_get_n_items (hot_status_get_diagnostics (status)), ==, 0);
  g_assert_cmpuint (hot_status_get_rebuild_count (status), ==, 1);
  g_assert_cmpuint (fixture->rebuilds, ==, 1);

  /* The same mistake again: it is built (and fails) again. */
  write_file (fixture->source, "int panel = ;\n");
  saved (fixture, fixture->source);
  wait_for_builds (fixture, 2);
  g_assert_cmpuint (fixture->rebuilds, ==, 2);
  g_assert_nonnull (hot_status_get_error (status));
}

static void
test_live_failure_stays (Fixture      *fixture,
                         gconstpointer data)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  HotStatus *status = hot_module_get_status (fixture->module);

  g_test_summary ("A failed build of the live content itself (asked for) is not cleared by a save "
                  "that leaves the content as it was");

  fixture->script = "echo 'ld: cannot find -lmissing'; exit 1";
  hot_module_rebuild_async (fixture->module, NULL, test_store_result, &result);
  wait_for_builds (fixture, 1);
  g_assert_false (hot_module_rebuild_finish (result, &error));
  g_assert_nonnull (hot_status_get_error (status));

  write_file (fixture->source, "int panel = 0;\n");
  saved (fixture, fixture->source);
  g_assert_false (hot_module_is_busy (fixture->module));
  g_assert_nonnull (hot_status_get_error (status));
}

static void
test_cancel (Fixture      *fixture,
             gconstpointer data)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  g_test_summary ("Cancelling stops the build; the waiting call ends with G_IO_ERROR_CANCELLED, and the "
                  "same content is not built again by itself");

  fixture->script = "sleep 30";
  write_file (fixture->source, "int panel = 4;\n");
  hot_module_rebuild_async (fixture->module, NULL, test_store_result, &result);
  g_assert_true (hot_module_is_busy (fixture->module));
  hot_module_cancel (fixture->module);

  g_assert_false (hot_module_rebuild_finish (test_wait_for_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (hot_module_is_busy (fixture->module));
  g_assert_cmpuint (fixture->swaps, ==, 0);

  saved (fixture, fixture->source);
  g_assert_false (hot_module_is_busy (fixture->module));
}

static void
test_rebuild_from_hook (Fixture      *fixture,
                        gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  g_test_summary ("A rebuild asked for from the finished hook starts after the build that ended, "
                  "and its call ends with that second build");

  fixture->rebuild_from_hook = TRUE;
  write_file (fixture->source, "int panel = 5;\n");
  saved (fixture, fixture->source);

  g_assert_true (hot_module_rebuild_finish (test_wait_for_result (&fixture->from_hook), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fixture->finished, ==, 2);
  g_assert_cmpuint (fixture->swaps, ==, 2);
}

static void
test_changed_unseen (Fixture      *fixture,
                     gconstpointer data)
{
  g_autofree char *script = NULL;

  g_test_summary ("A source that changes during a build, before its event comes, is built again before "
                  "anything is loaded: the live code is labelled with what it was built from");

  /* The "build" itself rewrites the source: no event will say so. */
  script = g_strdup_printf ("printf 'int panel = 7;\\n' > '%s'", fixture->source);
  fixture->script = script;
  write_file (fixture->source, "int panel = 6;\n");
  saved (fixture, fixture->source);
  wait_for_builds (fixture, 1);

  g_assert_no_error (fixture->last_error);
  g_assert_cmpuint (fixture->swaps, ==, 1);
  saved (fixture, fixture->source);
  g_assert_false (hot_module_is_busy (fixture->module));
}

static void
test_headers_learnt_during_build (Fixture      *fixture,
                                  gconstpointer data)
{
  g_autofree char *other = g_build_filename (fixture->dir, "other.h", NULL);

  g_test_summary ("Headers learnt of while a build runs (ninja's deps log read at start) count with "
                  "what they hold: the build is loaded, not started again");

  write_file (other, "#define OTHER 1\n");
  fixture->script = "sleep 0.3";
  write_file (fixture->source, "int panel = 8;\n");
  saved (fixture, fixture->source);
  test_run_main_loop_for (50);
  hot_module_add_headers (fixture->module, fixture->source, (const char *const[]){ other, NULL });
  wait_for_builds (fixture, 1);

  g_assert_no_error (fixture->last_error);
  g_assert_cmpuint (fixture->rebuilds, ==, 1);
  g_assert_cmpuint (fixture->swaps, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* Loaded modules need libhotnode-1.so: an app has it for good (see
   * test-bad-input.c). */
  g_assert_nonnull (dlopen ("libhotnode-1.so.0", RTLD_NOW | RTLD_NODELETE));

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/Hotnode/Module/owed-by-content", test_owed_by_content);
  ADD ("/Hotnode/Module/change-during-build", test_change_during_build);
  ADD ("/Hotnode/Module/failure-not-retried", test_failure_not_retried);
  ADD ("/Hotnode/Module/failure-undone", test_failure_undone);
  ADD ("/Hotnode/Module/live-failure-stays", test_live_failure_stays);
  ADD ("/Hotnode/Module/cancel", test_cancel);
  ADD ("/Hotnode/Module/rebuild-from-hook", test_rebuild_from_hook);
  ADD ("/Hotnode/Module/changed-unseen", test_changed_unseen);
  ADD ("/Hotnode/Module/headers-learnt-during-build", test_headers_learnt_during_build);

#undef ADD

  return g_test_run ();
}
