/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Save to paint, on the demo copied into a project of its own (as the
 * end-to-end test does): the demo runs with HOT_RELOAD=1 and --remote, the
 * benchmark saves counter.c as an editor does (a new file renamed over the
 * old) and reads back HotStatus:timings, whose stages the library stamps
 * itself, up to the frame painted after the reload. Side by side, the
 * same edit built by ninja alone, the file compiled alone by gcc and by
 * tcc, and a restart of the app. Each builder is measured over SAVES
 * saves; then counter.c grown to 1,000 lines (GTK code of the same kind
 * appended) with the tcc fast path. Before, the checked-in widgets on
 * GtkSourceView and libadwaita of tests/fixtures rebuilt by the tcc fast
 * path alone (widget_build_fast_ms: no app, no frame). */
#include "config.h"

#include <hotnode.h>
#include <json-glib/json-glib.h>

#include "bench-save-to-paint.h"
#include "hot-fast-builder-private.h"
#include "hot-project-private.h"
#include "test-app.h"

#define TITLE "\"Count the clicks\""

/* Saves measured per builder (after 2 to warm up). */
#define SAVES 31

/* The stages of HotStatus:timings, in order. */
static const char *const stages[] = {
  "changed",
  "debounced",
  "build-started",
  "build-finished",
  "copied",
  "opened",
  "patched",
  "rebuilt",
  "painted",
};

typedef struct
{
  TestProject project;
  char       *counter_path;
  char       *original;
  guint       edits;
} Bench;

/* Saves counter.c with a title no save had before, and returns it. */
static char *
save_edit (Bench *bench)
{
  g_autoptr (GString) source = g_string_new (bench->original);
  g_autoptr (GError) error = NULL;
  char            *title = g_strdup_printf ("Edit %u", ++bench->edits);
  g_autofree char *quoted = g_strdup_printf ("\"%s\"", title);

  g_string_replace (source, TITLE, quoted, 1);
  g_file_set_contents (bench->counter_path, source->str, source->len, &error);
  g_assert_no_error (error);

  return title;
}

/* @original with functions of GTK code appended, up to about @lines lines
 * in all. */
static char *
grown_source (const char *original,
              guint       lines)
{
  g_autoptr (GString) source = g_string_new (original);
  guint n_lines = 0;

  for (const char *p = original; *p; p++)
    n_lines += *p == '\n';
  for (guint i = 0; n_lines < lines; i++)
    {
      g_string_append_printf (source,
                              "\n"
                              "G_GNUC_UNUSED static GtkWidget *\n"
                              "grown_row_%u (const char *text)\n"
                              "{\n"
                              "  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, %u);\n"
                              "  GtkWidget *label = gtk_label_new (text);\n"
                              "  GtkWidget *button = gtk_button_new_with_label (\"Row %u\");\n"
                              "\n"
                              "  gtk_widget_set_hexpand (label, TRUE);\n"
                              "  gtk_label_set_xalign (GTK_LABEL (label), 0.0f);\n"
                              "  gtk_widget_add_css_class (button, \"flat\");\n"
                              "  gtk_box_append (GTK_BOX (box), label);\n"
                              "  gtk_box_append (GTK_BOX (box), button);\n"
                              "  return box;\n"
                              "}\n",
                              i, i % 12, i);
      n_lines += 15;
    }

  return g_string_free (g_steal_pointer (&source), FALSE);
}

static double
elapsed_ms (gint64 since)
{
  return (g_get_monotonic_time () - since) / 1000.0;
}

static JsonNode *
summary_node (GArray *values)
{
  return bench_summary ((double *) values->data, values->len);
}

/* Sets "<prefix><suffix>_ms". */
static void
set_summary (JsonObject *figures,
             const char *prefix,
             const char *suffix,
             GArray     *values)
{
  g_autofree char *key = g_strconcat (prefix, suffix, "_ms", NULL);

  json_object_set_member (figures, key, summary_node (values));
}

static GArray *
doubles_new (void)
{
  return g_array_new (FALSE, FALSE, sizeof (double));
}

/* Runs @argv in the project's build folder, quietly; fails the run if it
 * fails. Returns how long it took, in ms. */
static double
run_timed (Bench             *bench,
           const char *const *argv)
{
  g_autoptr (GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  g_subprocess_launcher_set_cwd (launcher, bench->project.build_dir);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_wait_check (process, NULL, &error);
  g_assert_no_error (error);

  return elapsed_ms (start);
}

/* The command that compiles counter.c alone: the build's own (@fast_path
 * "off") or a fast path's, writing an object outside the project. */
static GStrv
alone_argv (Bench      *bench,
            const char *fast_path)
{
  g_autoptr (HotProject) project = NULL;
  g_autoptr (HotFastBuilder) builder = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char     *object = g_build_filename (bench->project.tmp_dir, "alone.o", NULL);
  g_autofree char     *source = realpath (bench->counter_path, NULL);
  const HotModuleInfo *info;

  project = hot_project_load (bench->project.build_dir, &error);
  g_assert_no_error (error);
  info = hot_project_lookup_source (project, source);
  g_assert_nonnull (info);

  if (!g_str_equal (fast_path, "off"))
    {
      g_autoptr (HotDigestCache) digests = hot_digest_cache_new ();
      g_autoptr (HotInputs) inputs = hot_inputs_new (info, digests);

      builder = hot_fast_builder_new (info, g_str_equal (fast_path, "tcc") ? HOT_FAST_PATH_TCC : HOT_FAST_PATH_GCC_PCH,
                                      inputs);
      return hot_fast_builder_compile_argv (builder, source, object);
    }

  return hot_compile_command_argv (g_hash_table_lookup (info->commands, source), object);
}

/* The app with hot reload on, rebuilding through @fast_path; one save and
 * its timings per run. Fills "save_to_paint<suffix>_ms" and the breakdown,
 * and @alone_key: before each save, the file compiled alone by the same
 * compiler (in the same minute of the machine's life, as noisy as it is). */
static void
measure_reloads (Bench      *bench,
                 const char *fast_path,
                 const char *suffix,
                 const char *alone_key,
                 guint       runs,
                 JsonObject *figures)
{
  g_auto (GStrv) compile_argv = alone_argv (bench, fast_path);
  g_autoptr (GArray) alone = doubles_new ();
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *private_dir = g_build_filename (bench->project.tmp_dir, "private", NULL);
  g_autoptr (GArray) totals = doubles_new ();
  g_autoptr (GArray) builds = doubles_new ();
  g_autoptr (GArray) debounces = doubles_new ();
  g_autoptr (GArray) overheads = doubles_new ();
  g_autoptr (GPtrArray) steps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  g_autoptr (JsonObject) breakdown = json_object_new ();
  const char *expected_builder = g_str_equal (fast_path, "off") ? "ninja" : g_str_equal (fast_path, "pch") ? "gcc-pch"
                                                                                                           : "tcc";
  TestApp     app = { 0 };

  g_mkdir_with_parents (private_dir, 0700);
  g_subprocess_launcher_setenv (launcher, "HOT_RELOAD", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "HOT_RELOAD_PRIVATE_DIR", private_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "HOT_RELOAD_FAST_PATH", fast_path, TRUE);
  test_app_start (&app, launcher, &bench->project);
  g_free (test_app_expect_line (&app, "ready"));

  for (guint i = 0; i < G_N_ELEMENTS (stages); i++)
    g_ptr_array_add (steps, doubles_new ());

  /* Two saves to warm up: caches, and what a fast path prepares once. */
  for (guint run = 0; run < runs + 2; run++)
    {
      g_autofree char *title = NULL;
      g_autoptr (GVariant) timings = NULL;
      gint64      saved, stamps[G_N_ELEMENTS (stages)] = { 0 };
      const char *builder;
      double      total;

      /* After the warm-up the fast paths' prelude and header exist. */
      if (run >= 2)
        {
          /* counter.c compiled alone, the floor under any rebuild. */
          double ms = run_timed (bench, (const char *const *) compile_argv);

          g_array_append_val (alone, ms);
        }

      saved = g_get_monotonic_time ();
      title = save_edit (bench);

      /* A save may make two reloads (its events straddling the debounce):
       * the one to measure is the one the whole save went into. */
      do
        {
          g_autofree char *line = test_app_expect_line (&app, "timings counter ");
          g_autoptr (GError) error = NULL;

          g_clear_pointer (&timings, g_variant_unref);
          timings = g_variant_parse (G_VARIANT_TYPE_VARDICT, line + strlen ("timings counter "), NULL, NULL, &error);
          g_assert_no_error (error);
          g_assert_true (g_variant_lookup (timings, "changed", "x", &stamps[0]));
        }
      while (stamps[0] < saved);

      for (guint i = 1; i < G_N_ELEMENTS (stages); i++)
        g_assert_true (g_variant_lookup (timings, stages[i], "x", &stamps[i]));
      g_assert_true (g_variant_lookup (timings, "builder", "&s", &builder));
      g_assert_cmpstr (builder, ==, expected_builder);

      /* What is painted is the new code. */
      {
        g_autofree char *line = NULL;

        test_app_send (&app, "text counter-title");
        line = test_app_expect_line (&app, "text counter-title ");
        g_assert_cmpstr (line + strlen ("text counter-title "), ==, title);
      }

      if (run < 2)
        continue;

      total = (stamps[G_N_ELEMENTS (stages) - 1] - saved) / 1000.0;
      g_array_append_val (totals, total);
      for (guint i = 0; i < G_N_ELEMENTS (stages); i++)
        {
          double ms = (stamps[i] - (i > 0 ? stamps[i - 1] : saved)) / 1000.0;

          g_array_append_val (g_ptr_array_index (steps, i), ms);
        }
      {
        double build = (stamps[3] - stamps[2]) / 1000.0;
        double debounce = (stamps[1] - stamps[0]) / 1000.0;
        double overhead = total - build - debounce;

        g_array_append_val (builds, build);
        g_array_append_val (debounces, debounce);
        g_array_append_val (overheads, overhead);
      }
    }

  test_app_send (&app, "quit");
  g_subprocess_wait (app.process, NULL, NULL);
  test_app_stop (&app);
  test_remove_tree (private_dir);

  /* Each stage: from the end of the one before ("changed": from the save). */
  for (guint i = 0; i < G_N_ELEMENTS (stages); i++)
    json_object_set_member (breakdown, stages[i], summary_node (g_ptr_array_index (steps, i)));
  set_summary (figures, "save_to_paint", suffix, totals);
  set_summary (figures, "build", suffix, builds);
  set_summary (figures, "overhead", suffix, overheads);
  json_object_set_member (figures, alone_key, summary_node (alone));
  if (*suffix == '\0')
    json_object_set_member (figures, "debounce_ms", summary_node (debounces));
  {
    g_autofree char *key = g_strconcat ("breakdown", suffix, "_ms", NULL);

    json_object_set_object_member (figures, key, g_steal_pointer (&breakdown));
  }
}

/* The same edit rebuilt by ninja alone, as a user would by hand. */
static JsonNode *
measure_raw_builds (Bench *bench,
                    guint  runs)
{
  g_autoptr (GArray) times = doubles_new ();

  for (guint run = 0; run < runs; run++)
    {
      g_autofree char *title = save_edit (bench);
      double           ms = run_timed (bench, (const char *const[]){ "ninja", "demo/libcounter.so", NULL });

      g_array_append_val (times, ms);
    }

  return summary_node (times);
}

/* What a user does without hot reload: quit, rebuild, start the app again
 * and wait for its window's first frame. */
static JsonNode *
measure_restarts (Bench *bench,
                  guint  runs)
{
  g_autoptr (GArray) times = doubles_new ();

  for (guint run = 0; run < runs; run++)
    {
      g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
      g_autofree char *title = save_edit (bench);
      g_autofree char *line = NULL;
      gint64           start = g_get_monotonic_time ();
      TestApp          app = { 0 };
      double           ms;

      run_timed (bench, (const char *const[]){ "ninja", NULL });
      g_subprocess_launcher_unsetenv (launcher, "HOT_RELOAD");
      test_app_start (&app, launcher, &bench->project);
      g_free (test_app_expect_line (&app, "ready"));
      ms = elapsed_ms (start);
      g_array_append_val (times, ms);

      test_app_send (&app, "text counter-title");
      line = test_app_expect_line (&app, "text counter-title ");
      g_assert_cmpstr (line + strlen ("text counter-title "), ==, title);
      test_app_send (&app, "quit");
      g_subprocess_wait (app.process, NULL, NULL);
      test_app_stop (&app);
    }

  return summary_node (times);
}

/* A checked-in widget on GtkSourceView or libadwaita (tests/fixtures),
 * rebuilt by the tcc fast path in this build folder after an edit: the
 * build alone (compile and link), without an app to paint it. NULL when
 * the module is not built (its package is not installed). */
static JsonNode *
measure_fixture_builds (const char *fixture_source,
                        guint       saves)
{
  g_autoptr (HotProject) project = NULL;
  g_autoptr (HotDigestCache) digests = hot_digest_cache_new ();
  g_autoptr (HotInputs) inputs = NULL;
  g_autoptr (HotFastBuilder) builder = NULL;
  g_autoptr (GArray) times = doubles_new ();
  g_autoptr (GHashTable) reusable = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GError) error = NULL;
  g_autofree char     *path = g_build_filename (g_getenv ("HOTNODE_SOURCE_ROOT"), "tests", "fixtures", fixture_source,
                                                NULL);
  g_autofree char     *source = g_canonicalize_filename (path, NULL);
  const HotModuleInfo *info;

  project = hot_project_load (g_getenv ("HOTNODE_BUILD_ROOT"), &error);
  g_assert_no_error (error);
  info = hot_project_lookup_source (project, source);
  if (info == NULL)
    return NULL;
  inputs = hot_inputs_new (info, digests);
  builder = hot_fast_builder_new (info, HOT_FAST_PATH_TCC, inputs);

  /* Two to warm up: the prelude, the runtime, the link command. */
  for (guint run = 0; run < saves + 2; run++)
    {
      g_autoptr (GHashTable) edited = hot_inputs_snapshot (inputs);
      g_autoptr (GAsyncResult) result = NULL;
      g_autofree char *output = NULL;
      gint64           start;
      double           ms;

      /* Another content each time: the source is compiled again. */
      g_hash_table_insert (edited, g_strdup (source), g_strdup_printf ("bench edit %u", run));
      start = g_get_monotonic_time ();
      hot_fast_builder_build_async (builder, edited, reusable, NULL, test_store_result, &result);
      output = hot_fast_builder_build_finish (builder, test_wait_for_result (&result), &error);
      g_assert_no_error (error);
      ms = elapsed_ms (start);
      if (run >= 2)
        g_array_append_val (times, ms);
    }

  return summary_node (times);
}

/**
 * bench_save_to_paint:
 * @figures: where the figures go
 * @runs: measured runs of each (saves: SAVES, or one when @runs is)
 *
 * Returns: %FALSE when the demo project could not be built
 */
gboolean
bench_save_to_paint (JsonObject *figures,
                     guint       runs)
{
  Bench bench = { 0 };
  g_autoptr (GError) error = NULL;
  /* One of each when the benchmark runs once (bench-once). */
  guint saves = runs == 1 ? 1 : MAX (runs, SAVES);
  /* HOTNODE_BENCH_ONLY=fast: the tcc fast path's saves alone (the
   * figures of a change to it, before and after, in a minute). */
  gboolean fast_only = g_strcmp0 (g_getenv ("HOTNODE_BENCH_ONLY"), "fast") == 0;

  if (!fast_only)
    {
      g_autoptr (JsonObject) widgets = json_object_new ();
      const char *const fixtures[][2] = { { "sourceview", "sourceview/sourceview.c" },
                                          { "adwaita", "adwaita/adwaita.c" } };

      for (guint i = 0; i < G_N_ELEMENTS (fixtures); i++)
        {
          JsonNode *node = measure_fixture_builds (fixtures[i][1], saves);

          if (node != NULL)
            json_object_set_member (widgets, fixtures[i][0], node);
        }
      json_object_set_object_member (figures, "widget_build_fast_ms", g_steal_pointer (&widgets));
    }

  test_project_init (&bench.project, "hotnode-bench-XXXXXX", HOTNODE_FROM_PKG_CONFIG);
  if (!test_project_build (&bench.project))
    {
      test_project_clear (&bench.project);
      return FALSE;
    }
  bench.counter_path = g_build_filename (bench.project.project_dir, "demo", "counter", "counter.c", NULL);
  g_file_get_contents (bench.counter_path, &bench.original, NULL, &error);
  g_assert_no_error (error);

  if (fast_only)
    {
      measure_reloads (&bench, "tcc", "_fast", "tu_compile_tcc_ms", saves, figures);
      test_project_clear (&bench.project);
      g_free (bench.counter_path);
      g_free (bench.original);
      return TRUE;
    }
  measure_reloads (&bench, "off", "", "tu_compile_gcc_ms", saves, figures);
  measure_reloads (&bench, "tcc", "_fast", "tu_compile_tcc_ms", saves, figures);
  measure_reloads (&bench, "pch", "_pch", "tu_compile_pch_ms", saves, figures);
  json_object_set_member (figures, "raw_build_ms", measure_raw_builds (&bench, runs));
  json_object_set_member (figures, "restart_ms", measure_restarts (&bench, runs));

  /* counter.c grown to 1,000 lines, built once by ninja as it is. */
  {
    g_autofree char *grown = grown_source (bench.original, 1000);

    g_free (bench.original);
    bench.original = g_steal_pointer (&grown);
    g_file_set_contents (bench.counter_path, bench.original, -1, &error);
    g_assert_no_error (error);
    run_timed (&bench, (const char *const[]){ "ninja", NULL });
    measure_reloads (&bench, "tcc", "_fast_1000", "tu_compile_tcc_1000_ms", saves, figures);
  }

  test_project_clear (&bench.project);
  g_free (bench.counter_path);
  g_free (bench.original);

  return TRUE;
}
