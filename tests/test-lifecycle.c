/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rows of the states table at the top of hot-module.c, driven without
 * a compiler: a real module whose builder is the test's (through
 * HotModuleHooks.make_builder). Each build waits until the test completes
 * it, with a library this build made (tests/fixtures), which the real
 * loader copies and opens; or fails it; or it ends cancelled when the
 * module stops it, as a killed process would. What the builder read is the
 * source as it was when the build started. Last, HotBuildRun on its own:
 * the fallback builder, a stop, inputs that changed unseen. */
#include "config.h"

#include <dlfcn.h>
#include <hotnode.h>

#include "hot-build-run-private.h"
#include "hot-module-private.h"
#include "test-utils.h"

#define DEADLINE_S 30

/* A fake builder */

#define TEST_TYPE_BUILDER (test_builder_get_type ())
G_DECLARE_FINAL_TYPE (TestBuilder, test_builder, TEST, BUILDER, GObject)

typedef struct
{
  GTask *task;
  char  *source_text; /* what the source held when the build started */
  guint  cancelled_id;
} FakeBuild;

struct _TestBuilder
{
  GObject    parent_instance;
  char      *source;
  GPtrArray *builds;  /* FakeBuild, every build asked for, oldest first */
  GPtrArray *pending; /* FakeBuild, not ended yet */
};

static void test_builder_iface_init (HotBuilderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestBuilder, test_builder, G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (HOT_TYPE_BUILDER, test_builder_iface_init))

static void
fake_build_free (FakeBuild *build)
{
  g_clear_object (&build->task);
  g_free (build->source_text);
  g_free (build);
}

static void
test_builder_finalize (GObject *object)
{
  TestBuilder *self = TEST_BUILDER (object);

  g_assert_cmpuint (self->pending->len, ==, 0);
  g_ptr_array_unref (self->pending);
  g_ptr_array_unref (self->builds);
  g_free (self->source);

  G_OBJECT_CLASS (test_builder_parent_class)->finalize (object);
}

static void
test_builder_class_init (TestBuilderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_builder_finalize;
}

static void
test_builder_init (TestBuilder *self)
{
  self->builds = g_ptr_array_new_with_free_func ((GDestroyNotify) fake_build_free);
  self->pending = g_ptr_array_new ();
}

/* Ends @build, once: @output is the library it "wrote", or NULL for
 * @error. */
static void
fake_build_end (TestBuilder *self,
                FakeBuild   *build,
                const char  *output,
                GError      *error)
{
  g_assert_true (g_ptr_array_remove (self->pending, build));
  if (build->cancelled_id != 0)
    g_cancellable_disconnect (g_task_get_cancellable (build->task), build->cancelled_id);
  build->cancelled_id = 0;
  if (output != NULL)
    g_task_return_pointer (build->task, g_strdup (output), g_free);
  else
    g_task_return_error (build->task, error);
}

/* A stopped build ends later, as a killed process does: never inside the
 * module's own call to g_cancellable_cancel (). */
static gboolean
end_cancelled (gpointer user_data)
{
  FakeBuild   *build = user_data;
  TestBuilder *self = g_task_get_source_object (build->task);

  if (g_ptr_array_find (self->pending, build, NULL))
    fake_build_end (self, build, NULL, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped"));

  return G_SOURCE_REMOVE;
}

static void
build_cancelled (GCancellable *cancellable,
                 FakeBuild    *build)
{
  g_idle_add (end_cancelled, build);
}

static void
test_builder_build_async (HotBuilder         *builder,
                          GHashTable         *snapshot,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  TestBuilder *self = TEST_BUILDER (builder);
  FakeBuild   *build = g_new0 (FakeBuild, 1);

  build->task = g_task_new (self, cancellable, callback, user_data);
  g_file_get_contents (self->source, &build->source_text, NULL, NULL);
  g_ptr_array_add (self->builds, build);
  g_ptr_array_add (self->pending, build);
  if (cancellable != NULL)
    build->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (build_cancelled), build, NULL);
}

static char *
test_builder_build_finish (HotBuilder    *builder,
                           GAsyncResult  *result,
                           GListModel   **diagnostics,
                           HotBuildLock **lock,
                           GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static const char *
test_builder_get_name (HotBuilder *builder)
{
  return "test";
}

static void
test_builder_iface_init (HotBuilderInterface *iface)
{
  iface->build_async = test_builder_build_async;
  iface->build_finish = test_builder_build_finish;
  iface->get_name = test_builder_get_name;
}

/* The fixture: one module over a folder of its own */

typedef struct
{
  char           *dir;
  char           *source;
  char           *output;
  HotModuleInfo   info;
  HotModuleShared shared;
  HotModule      *module;
  TestBuilder    *builder;
  TestBuilder    *watched; /* whose builds running_build () waits for: builder unless a test says */
  guint           swaps;
  guint           finished;
  GError         *last_error;
  gboolean        rebuild_in_swap; /* the swap hook calls rebuild_async () */
  GAsyncResult   *from_swap;
} Fixture;

static gboolean
has_custom_rebuilder (HotModule *module,
                      gpointer   user_data)
{
  g_assert_not_reached ();
}

static GStrv
custom_rebuilder (HotModule *module,
                  char     **output,
                  GError   **error,
                  gpointer   user_data)
{
  g_assert_not_reached ();
}

static gboolean
swap (HotModule     *module,
      HotGeneration *generation,
      GError       **error,
      gpointer       user_data)
{
  Fixture *fixture = user_data;

  fixture->swaps++;
  if (fixture->rebuild_in_swap)
    {
      fixture->rebuild_in_swap = FALSE;
      hot_module_rebuild_async (module, NULL, test_store_result, &fixture->from_swap);
    }

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

static HotBuilder *
make_builder (HotModule *module,
              gpointer   user_data)
{
  Fixture *fixture = user_data;

  return g_object_ref (HOT_BUILDER (fixture->builder));
}

static const HotModuleHooks hooks = {
  .has_custom_rebuilder = has_custom_rebuilder,
  .custom_rebuilder = custom_rebuilder,
  .swap = swap,
  .finished = finished,
  .inputs_changed = inputs_changed,
  .may_unload = may_unload,
  .make_builder = make_builder,
};

static void
write_source (Fixture    *fixture,
              const char *contents)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (fixture->source, contents, -1, &error);
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *private_dir = NULL;
  g_autofree char *build_dir = NULL;

  fixture->dir = g_dir_make_tmp ("hotnode-test-lifecycle-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->source = g_build_filename (fixture->dir, "panel.c", NULL);
  build_dir = g_build_filename (fixture->dir, "build", NULL);
  g_assert_cmpint (g_mkdir (build_dir, 0755), ==, 0);
  private_dir = g_build_filename (fixture->dir, "private", NULL);
  write_source (fixture, "int panel = 0;\n");
  fixture->output = g_test_build_filename (G_TEST_BUILT, "fixtures", "libalpha-gen2.so", NULL);

  fixture->info.name = (char *) "alpha";
  fixture->info.build_dir = g_steal_pointer (&build_dir);
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

  fixture->builder = g_object_new (TEST_TYPE_BUILDER, NULL);
  fixture->builder->source = g_strdup (fixture->source);
  fixture->watched = fixture->builder;
  fixture->module = hot_module_new (&fixture->info, &fixture->shared, &hooks, fixture);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  g_assert_false (hot_module_is_busy (fixture->module));
  g_clear_pointer (&fixture->module, hot_module_free);
  g_clear_object (&fixture->builder);
  g_clear_object (&fixture->shared.loader);
  g_clear_pointer (&fixture->shared.statics, hot_static_registry_free);
  g_clear_pointer (&fixture->shared.digests, hot_digest_cache_free);
  g_clear_pointer (&fixture->shared.quarantine, g_ptr_array_unref);
  g_free (fixture->info.build_dir);
  g_strfreev (fixture->info.sources);
  g_strfreev (fixture->info.source_dirs);
  g_hash_table_unref (fixture->info.commands);
  g_clear_error (&fixture->last_error);
  g_clear_object (&fixture->from_swap);
  test_remove_tree (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->source);
  g_free (fixture->output);
}

/* Tells the module that the source was saved, as the watcher does. */
static void
saved (Fixture *fixture)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new ();

  g_ptr_array_add (paths, fixture->source);
  g_assert_true (hot_module_files_changed (fixture->module, paths, g_get_monotonic_time ()));
}

static gboolean
deadline_passed (gpointer user_data)
{
  g_error ("%s did not happen within %d s", (const char *) user_data, DEADLINE_S);
  return G_SOURCE_REMOVE;
}

typedef gboolean (*Condition) (Fixture *fixture);

static void
run_until (Fixture    *fixture,
           Condition   condition,
           const char *what)
{
  guint deadline = g_timeout_add_seconds (DEADLINE_S, deadline_passed, (gpointer) what);

  while (!condition (fixture))
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (deadline);
}

static gboolean
is_idle (Fixture *fixture)
{
  return !hot_module_is_busy (fixture->module);
}

static gboolean
is_held (Fixture *fixture)
{
  return hot_status_get_held (hot_module_get_status (fixture->module));
}

static gboolean
build_cancelled_now (FakeBuild *build)
{
  return g_cancellable_is_cancelled (g_task_get_cancellable (build->task));
}

/* The build that runs: not ended, not stopped (a stopped one ends soon). */
static FakeBuild *
find_running_build (Fixture *fixture)
{
  FakeBuild *found = NULL;

  for (guint i = 0; i < fixture->watched->pending->len; i++)
    {
      FakeBuild *build = g_ptr_array_index (fixture->watched->pending, i);

      if (!build_cancelled_now (build))
        {
          g_assert_null (found);
          found = build;
        }
    }

  return found;
}

static gboolean
has_running_build (Fixture *fixture)
{
  return find_running_build (fixture) != NULL;
}

static guint
n_builds (Fixture *fixture)
{
  return fixture->builder->builds->len;
}

static FakeBuild *
build_at (Fixture *fixture,
          guint    index)
{
  g_assert_cmpuint (index, <, n_builds (fixture));
  return g_ptr_array_index (fixture->builder->builds, index);
}

/* Waits for the build that runs. */
static FakeBuild *
running_build (Fixture *fixture)
{
  run_until (fixture, has_running_build, "a build");
  return find_running_build (fixture);
}

static void
complete_build (Fixture *fixture)
{
  fake_build_end (fixture->watched, running_build (fixture), fixture->output, NULL);
}

static void
fail_build (Fixture *fixture)
{
  fake_build_end (fixture->watched, running_build (fixture), NULL,
                  g_error_new_literal (HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD, "panel.c:1:1: error: expected"));
}

/* The tests */

static void
test_change_while_building (Fixture      *fixture,
                            gconstpointer data)
{
  g_test_summary ("BUILDING, the inputs change: the build is stopped and the module builds again from the "
                  "newest inputs; one reload, and the stopped build is not reported");

  write_source (fixture, "int panel = 1;\n");
  saved (fixture);
  g_assert_cmpstr (running_build (fixture)->source_text, ==, "int panel = 1;\n");

  write_source (fixture, "int panel = 2;\n");
  saved (fixture);
  g_assert_true (build_cancelled_now (build_at (fixture, 0)));

  g_assert_cmpstr (running_build (fixture)->source_text, ==, "int panel = 2;\n");
  g_assert_cmpuint (n_builds (fixture), ==, 2);
  complete_build (fixture);
  run_until (fixture, is_idle, "the end of the build");

  g_assert_no_error (fixture->last_error);
  g_assert_cmpuint (fixture->finished, ==, 1);
  g_assert_cmpuint (fixture->swaps, ==, 1);
  g_assert_nonnull (hot_module_get_live (fixture->module));
  /* What went live is what the files hold: nothing more is owed. */
  saved (fixture);
  g_assert_false (hot_module_is_busy (fixture->module));
  g_assert_cmpuint (n_builds (fixture), ==, 2);
}

static void
test_failure_undone (Fixture      *fixture,
                     gconstpointer data)
{
  HotStatus *status = hot_module_get_status (fixture->module);

  g_test_summary ("IDLE, a failed build shown, the inputs back to the live content: the failure is cleared "
                  "with no build");

  write_source (fixture, "int panel = ;\n");
  saved (fixture);
  fail_build (fixture);
  run_until (fixture, is_idle, "the end of the build");
  g_assert_error (fixture->last_error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD);
  g_assert_nonnull (hot_status_get_error (status));

  g_test_expect_message ("Hotnode", G_LOG_LEVEL_MESSAGE, "*“alpha” is back to what its live code was built from*");
  write_source (fixture, "int panel = 0;\n");
  saved (fixture);
  g_test_assert_expected_messages ();

  g_assert_false (hot_module_is_busy (fixture->module));
  g_assert_null (hot_status_get_error (status));
  g_assert_cmpuint (n_builds (fixture), ==, 1);
}

static void
test_failure_not_retried (Fixture      *fixture,
                          gconstpointer data)
{
  g_test_summary ("IDLE after a failed build: the same content saved again owes nothing; other content does");

  write_source (fixture, "int panel = ;\n");
  saved (fixture);
  fail_build (fixture);
  run_until (fixture, is_idle, "the end of the build");

  write_source (fixture, "int panel = ;\n");
  saved (fixture);
  g_assert_false (hot_module_is_busy (fixture->module));
  g_assert_cmpuint (n_builds (fixture), ==, 1);

  write_source (fixture, "int panel = 3;\n");
  saved (fixture);
  g_assert_cmpstr (running_build (fixture)->source_text, ==, "int panel = 3;\n");
  complete_build (fixture);
  run_until (fixture, is_idle, "the end of the build");
  g_assert_no_error (fixture->last_error);
  g_assert_cmpuint (fixture->swaps, ==, 1);
}

static void
test_cancel_building (Fixture      *fixture,
                      gconstpointer data)
{
  g_autoptr (GAsyncResult) waiting = NULL;
  g_autoptr (GError) error = NULL;

  g_test_summary ("BUILDING, cancel (): the build stops, the waiting calls and those made since fail with "
                  "G_IO_ERROR_CANCELLED, and the same content is not built again by itself");

  write_source (fixture, "int panel = 4;\n");
  hot_module_rebuild_async (fixture->module, NULL, test_store_result, &waiting);
  running_build (fixture);
  hot_module_cancel (fixture->module);
  g_assert_true (build_cancelled_now (build_at (fixture, 0)));

  g_assert_false (hot_module_rebuild_finish (test_wait_for_result (&waiting), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  run_until (fixture, is_idle, "the end of the build");
  g_assert_error (fixture->last_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (fixture->swaps, ==, 0);

  saved (fixture);
  g_assert_false (hot_module_is_busy (fixture->module));
  g_assert_cmpuint (n_builds (fixture), ==, 1);
}

static void
test_cancel_held (Fixture      *fixture,
                  gconstpointer data)
{
  g_autoptr (GAsyncResult) waiting = NULL;
  g_autoptr (GError) error = NULL;

  g_test_summary ("HELD, cancel (): the held generation is dropped, the waiting call fails with "
                  "G_IO_ERROR_CANCELLED, and releasing swaps nothing");

  hot_module_inhibit (fixture->module);
  write_source (fixture, "int panel = 5;\n");
  hot_module_rebuild_async (fixture->module, NULL, test_store_result, &waiting);
  complete_build (fixture);
  run_until (fixture, is_held, "the hold");

  hot_module_cancel (fixture->module);
  g_assert_false (hot_module_rebuild_finish (test_wait_for_result (&waiting), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (hot_module_is_busy (fixture->module));
  g_assert_false (is_held (fixture));

  hot_module_uninhibit (fixture->module);
  test_run_main_loop_for (50);
  g_assert_cmpuint (fixture->swaps, ==, 0);
  g_assert_null (hot_module_get_live (fixture->module));
}

static void
test_held_then_released (Fixture      *fixture,
                         gconstpointer data)
{
  g_test_summary ("LOADING while the app holds reloads: → HELD, nothing swapped; the last uninhibit () swaps "
                  "the held generation in, from an idle");

  hot_module_inhibit (fixture->module);
  hot_module_inhibit (fixture->module);
  write_source (fixture, "int panel = 6;\n");
  saved (fixture);
  complete_build (fixture);
  run_until (fixture, is_held, "the hold");
  g_assert_true (hot_module_is_busy (fixture->module));
  g_assert_cmpuint (fixture->swaps, ==, 0);
  g_assert_cmpuint (fixture->finished, ==, 0);

  hot_module_uninhibit (fixture->module);
  test_run_main_loop_for (50);
  g_assert_true (is_held (fixture));
  g_assert_cmpuint (fixture->swaps, ==, 0);

  hot_module_uninhibit (fixture->module);
  g_assert_cmpuint (fixture->swaps, ==, 0); /* not inside the call */
  run_until (fixture, is_idle, "the swap");
  g_assert_false (is_held (fixture));
  g_assert_cmpuint (fixture->swaps, ==, 1);
  g_assert_cmpuint (fixture->finished, ==, 1);
  g_assert_no_error (fixture->last_error);
  g_assert_nonnull (hot_module_get_live (fixture->module));
}

static void
test_change_while_held (Fixture      *fixture,
                        gconstpointer data)
{
  g_test_summary ("HELD, the inputs change: the held generation is dropped and the module builds again, so "
                  "that what goes live on release is what the files hold then");

  hot_module_inhibit (fixture->module);
  write_source (fixture, "int panel = 7;\n");
  saved (fixture);
  complete_build (fixture);
  run_until (fixture, is_held, "the hold");

  write_source (fixture, "int panel = 8;\n");
  saved (fixture);
  g_assert_false (is_held (fixture));
  g_assert_cmpstr (running_build (fixture)->source_text, ==, "int panel = 8;\n");
  g_assert_cmpuint (n_builds (fixture), ==, 2);
  complete_build (fixture);
  run_until (fixture, is_held, "the second hold");

  hot_module_uninhibit (fixture->module);
  run_until (fixture, is_idle, "the swap");
  g_assert_cmpuint (fixture->swaps, ==, 1);
  g_assert_cmpuint (fixture->finished, ==, 1);
  g_assert_no_error (fixture->last_error);
  saved (fixture);
  g_assert_false (hot_module_is_busy (fixture->module));
  g_assert_cmpuint (n_builds (fixture), ==, 2);
}

static void
test_rebuild_while_building (Fixture      *fixture,
                             gconstpointer data)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  g_test_summary ("BUILDING, rebuild_async (): the call is queued, the build stopped and started again; the "
                  "call ends with the build that started after it");

  write_source (fixture, "int panel = 9;\n");
  saved (fixture);
  running_build (fixture);

  hot_module_rebuild_async (fixture->module, NULL, test_store_result, &result);
  g_assert_true (build_cancelled_now (build_at (fixture, 0)));
  complete_build (fixture);
  g_assert_cmpuint (n_builds (fixture), ==, 2);

  g_assert_true (hot_module_rebuild_finish (test_wait_for_result (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fixture->swaps, ==, 1);
  g_assert_cmpuint (fixture->finished, ==, 1);
}

static void
test_rebuild_while_loading (Fixture      *fixture,
                            gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  g_test_summary ("LOADING, rebuild_async () (here from the swap itself): the call is queued, and a new "
                  "build starts once the load ended");

  fixture->rebuild_in_swap = TRUE;
  write_source (fixture, "int panel = 10;\n");
  saved (fixture);
  complete_build (fixture);

  complete_build (fixture);
  g_assert_true (hot_module_rebuild_finish (test_wait_for_result (&fixture->from_swap), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_builds (fixture), ==, 2);
  g_assert_cmpuint (fixture->swaps, ==, 2);
  g_assert_cmpuint (fixture->finished, ==, 2);
}

/* HotBuildRun on its own */

static void
count_loading (HotBuildRun *run,
               guint       *count)
{
  (*count)++;
}

static HotBuildRun *
new_run (Fixture     *fixture,
         TestBuilder *builder,
         TestBuilder *fallback,
         guint       *loading)
{
  HotInputs *inputs = hot_module_get_inputs (fixture->module);
  g_autoptr (GHashTable) snapshot = hot_inputs_snapshot (inputs);
  HotBuildPlan plan = {
    .info = &fixture->info,
    .inputs = inputs,
    .snapshot = snapshot,
    .builder = HOT_BUILDER (builder),
    .fallback = fallback ? HOT_BUILDER (fallback) : NULL,
    .loader = fixture->shared.loader,
    .load_timeout_ms = fixture->shared.load_timeout_ms,
  };
  HotBuildRun *run = hot_build_run_new (&plan);

  g_signal_connect (run, "loading", G_CALLBACK (count_loading), loading);
  return run;
}

static TestBuilder *
new_builder (Fixture *fixture)
{
  TestBuilder *builder = g_object_new (TEST_TYPE_BUILDER, NULL);

  builder->source = g_strdup (fixture->source);
  return builder;
}

/* A generation no module took: closed, as a dropped one is. */
static void
drop_generation (Fixture       *fixture,
                 HotGeneration *generation)
{
  if (hot_generation_unload (generation))
    hot_generation_free (generation);
  else
    g_ptr_array_add (fixture->shared.quarantine, generation);
}

static void
test_run_fallback (Fixture      *fixture,
                   gconstpointer data)
{
  g_autoptr (TestBuilder) fallback = new_builder (fixture);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) diagnostics = NULL;
  guint loading = 0;
  g_autoptr (HotBuildRun) run = new_run (fixture, fixture->builder, fallback, &loading);
  HotGeneration *generation;

  g_test_summary ("A run whose builder fails (the fast path) builds with its fallback (ninja), then loads the "
                  "library and returns the generation, not live: the module's hooks are not called");

  hot_build_run_async (run, NULL, test_store_result, &result);
  g_test_expect_message ("Hotnode", G_LOG_LEVEL_MESSAGE, "*Fast rebuild of module “alpha” not possible*");
  fail_build (fixture);
  fixture->watched = fallback;
  complete_build (fixture);
  generation = hot_build_run_finish (run, test_wait_for_result (&result), &diagnostics, &error);
  g_test_assert_expected_messages ();

  g_assert_no_error (error);
  g_assert_nonnull (generation);
  g_assert_null (diagnostics);
  g_assert_cmpuint (loading, ==, 1);
  g_assert_cmpuint (fallback->builds->len, ==, 1);
  g_assert_null (generation->snapshot);
  g_assert_cmpuint (fixture->swaps, ==, 0);
  g_assert_cmpuint (fixture->finished, ==, 0);
  g_assert_false (hot_module_is_busy (fixture->module));
  drop_generation (fixture, generation);
}

static void
test_run_cancelled (Fixture      *fixture,
                    gconstpointer data)
{
  g_autoptr (TestBuilder) fallback = new_builder (fixture);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  guint loading = 0;
  g_autoptr (HotBuildRun) run = new_run (fixture, fixture->builder, fallback, &loading);

  g_test_summary ("A run stopped during its build ends with G_IO_ERROR_CANCELLED: no fallback, no load");

  hot_build_run_async (run, cancellable, test_store_result, &result);
  running_build (fixture);
  g_cancellable_cancel (cancellable);

  g_assert_null (hot_build_run_finish (run, test_wait_for_result (&result), NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (fallback->builds->len, ==, 0);
  g_assert_cmpuint (loading, ==, 0);
}

static void
test_run_inputs_changed (Fixture      *fixture,
                         gconstpointer data)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  guint loading = 0;
  g_autoptr (HotBuildRun) run = new_run (fixture, fixture->builder, NULL, &loading);

  g_test_summary ("A source changed during the build, its event not come yet: the library is not loaded, and "
                  "the run ends with G_IO_ERROR_CANCELLED, for the module to build again");

  hot_build_run_async (run, NULL, test_store_result, &result);
  running_build (fixture);
  write_source (fixture, "int panel = 11;\n");
  complete_build (fixture);

  g_assert_null (hot_build_run_finish (run, test_wait_for_result (&result), NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (loading, ==, 0);
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

  ADD ("/Hotnode/Lifecycle/building/change", test_change_while_building);
  ADD ("/Hotnode/Lifecycle/building/rebuild", test_rebuild_while_building);
  ADD ("/Hotnode/Lifecycle/building/cancel", test_cancel_building);
  ADD ("/Hotnode/Lifecycle/idle/failure-undone", test_failure_undone);
  ADD ("/Hotnode/Lifecycle/idle/failure-not-retried", test_failure_not_retried);
  ADD ("/Hotnode/Lifecycle/loading/rebuild", test_rebuild_while_loading);
  ADD ("/Hotnode/Lifecycle/held/release", test_held_then_released);
  ADD ("/Hotnode/Lifecycle/held/change", test_change_while_held);
  ADD ("/Hotnode/Lifecycle/held/cancel", test_cancel_held);
  ADD ("/Hotnode/Lifecycle/run/fallback", test_run_fallback);
  ADD ("/Hotnode/Lifecycle/run/cancelled", test_run_cancelled);
  ADD ("/Hotnode/Lifecycle/run/inputs-changed", test_run_inputs_changed);

#undef ADD

  return g_test_run ();
}
