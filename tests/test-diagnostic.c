/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The compiler output parser, on real gcc 12 and clang 14 output captured in
 * tests/data/diagnostics (see its README), and on gcc run now. */
#include "config.h"

#include <hotnode.h>

#include "hot-diagnostic-private.h"
#include "test-captures.h"
#include "test-utils.h"

typedef struct
{
  const char           *file;
  guint                 line;
  guint                 column;
  HotDiagnosticSeverity severity;
  const char           *message; /* a prefix for the non-UTF-8 case */
  const char           *included_from[3];
} Expected;

#define E HOT_DIAGNOSTIC_ERROR
#define W HOT_DIAGNOSTIC_WARNING
#define N HOT_DIAGNOSTIC_NOTE

typedef struct
{
  const char *capture;
  const char *source_line; /* of the first diagnostic */
  Expected    diagnostics[5];
} Case;

static const Case cases[] = {
  { "gcc-syntax", "x = x + 1", { { "../src/syntax.c", 7, 12, E, "expected ‘;’ before ‘sink’" } } },
  { "clang-syntax", "x = x + 1", { { "../src/syntax.c", 7, 12, E, "expected ';' after expression" } } },
  { "gcc-include-chain", NULL, { { "../inc/inner.h", 9, 1, E, "unknown type name ‘widget_t’", { "../inc/outer.h:3", "../src/chain.c:1" } } } },
  { "clang-include-chain", NULL, { { "../inc/inner.h", 9, 1, E, "unknown type name 'widget_t'", { "../inc/outer.h:3", "../src/chain.c:1" } } } },
  { "gcc-notes", NULL, { { "../src/notes.c", 3, 6, E, "conflicting types for ‘g’; have ‘char(int)’" }, { "../src/notes.c", 1, 5, N, "previous declaration of ‘g’ with type ‘int(int)’" } } },
  { "clang-notes", NULL, { { "../src/notes.c", 3, 6, E, "conflicting types for 'g'" }, { "../src/notes.c", 1, 5, N, "previous declaration is here" } } },
  { "gcc-warning-and-error", NULL, { { "../src/warning-and-error.c", 4, 7, W, "unused variable ‘unused’ [-Wunused-variable]" }, { "../src/warning-and-error.c", 12, 10, E, "‘missing_value’ undeclared (first use in this function)" }, { "../src/warning-and-error.c", 12, 10, N, "each undeclared identifier is reported only once for each function it appears in" }, { "../src/warning-and-error.c", 13, 1, W, "control reaches end of non-void function [-Wreturn-type]" } } },
  { "clang-warning-and-error", NULL, { { "../src/warning-and-error.c", 4, 7, W, "unused variable 'unused' [-Wunused-variable]" }, { "../src/warning-and-error.c", 12, 10, E, "use of undeclared identifier 'missing_value'" } } },
  { "gcc-non-utf8", NULL, { { "../src/non-utf8.c", 2, 2, E, "#error caf" } } },
  { "clang-non-utf8", NULL, { { "../src/non-utf8.c", 2, 2, E, "caf" } } },
  { "gcc-fatal", NULL, { { "../src/fatal.c", 2, 10, E, "does-not-exist.h: No such file or directory" } } },
  { "clang-fatal", NULL, { { "../src/fatal.c", 2, 10, E, "'does-not-exist.h' file not found" } } },
};

static GListModel *
parse_capture (const char *name)
{
  g_autofree char *clean = test_capture_clean (name);

  g_assert_true (g_utf8_validate (clean, -1, NULL));
  g_assert_null (strchr (clean, '\x1b'));

  return test_capture_parse_text (clean);
}

static void
assert_case (gconstpointer data)
{
  const Case      *test_case = data;
  g_autofree char *color_name = g_strconcat (test_case->capture, "-color", NULL);
  g_autoptr (GListModel) plain = parse_capture (test_case->capture);
  g_autoptr (GListModel) color = parse_capture (color_name);
  guint n_expected = 0;

  g_test_summary ("A captured compiler output, plain and coloured, parses into the expected "
                  "diagnostics");

  while (n_expected < G_N_ELEMENTS (test_case->diagnostics) && test_case->diagnostics[n_expected].file)
    n_expected++;
  g_assert_cmpuint (g_list_model_get_n_items (plain), ==, n_expected);
  g_assert_cmpuint (g_list_model_get_n_items (color), ==, n_expected);

  for (guint i = 0; i < n_expected; i++)
    {
      const Expected *expected = &test_case->diagnostics[i];
      g_autoptr (HotDiagnostic) diagnostic = g_list_model_get_item (plain, i);
      g_autoptr (HotDiagnostic) colored = g_list_model_get_item (color, i);
      g_autofree char   *plain_text = hot_diagnostic_to_string (diagnostic);
      g_autofree char   *color_text = hot_diagnostic_to_string (colored);
      const char *const *chain = hot_diagnostic_get_included_from (diagnostic);

      g_assert_cmpstr (plain_text, ==, color_text);
      g_assert_cmpstr (hot_diagnostic_get_file (diagnostic), ==, expected->file);
      g_assert_true (g_str_has_suffix (hot_diagnostic_get_path (diagnostic), expected->file + strlen ("..")));
      g_assert_true (g_path_is_absolute (hot_diagnostic_get_path (diagnostic)));
      g_assert_cmpuint (hot_diagnostic_get_line (diagnostic), ==, expected->line);
      g_assert_cmpuint (hot_diagnostic_get_column (diagnostic), ==, expected->column);
      g_assert_cmpint (hot_diagnostic_get_severity (diagnostic), ==, expected->severity);
      if (strstr (test_case->capture, "non-utf8"))
        g_assert_true (g_str_has_prefix (hot_diagnostic_get_message (diagnostic), expected->message));
      else
        g_assert_cmpstr (hot_diagnostic_get_message (diagnostic), ==, expected->message);

      if (expected->included_from[0] == NULL)
        g_assert_null (chain);
      else
        g_assert_cmpstrv (chain, expected->included_from);
    }

  if (test_case->source_line != NULL)
    {
      g_autoptr (HotDiagnostic) first = g_list_model_get_item (plain, 0);

      g_assert_cmpstr (hot_diagnostic_get_source_line (first), ==, test_case->source_line);
    }
}

static void
test_live_gcc (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hotnode-test-diagnostic-XXXXXX", NULL);
  g_autofree char *source = g_build_filename (dir, "broken.c", NULL);
  g_autoptr (GSubprocess) gcc = NULL;
  g_autoptr (GListModel) diagnostics = NULL;
  g_autoptr (HotDiagnostic) first = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *output = NULL;
  g_autofree char *clean = NULL;

  g_test_summary ("The gcc of this machine, run now with colours on, parses");

  g_file_set_contents (source, "int\nf (void)\n{\n  return 1 +;\n}\n", -1, &error);
  g_assert_no_error (error);
  gcc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE, &error,
                          "gcc", "-fdiagnostics-color=always", "-c", "-o", "/dev/null", source, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (gcc, NULL, NULL, &output, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_subprocess_get_successful (gcc));

  clean = hot_diagnostic_clean_output (output, -1);
  diagnostics = hot_diagnostic_parse (clean, dir, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (diagnostics), >=, 1);
  first = g_list_model_get_item (diagnostics, 0);
  g_assert_cmpstr (hot_diagnostic_get_path (first), ==, source);
  g_assert_cmpuint (hot_diagnostic_get_line (first), ==, 4);
  g_assert_cmpint (hot_diagnostic_get_severity (first), ==, HOT_DIAGNOSTIC_ERROR);
  g_assert_cmpstr (hot_diagnostic_get_source_line (first), ==, "return 1 +;");

  test_remove_tree (dir);
}

static void
test_known_source (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hotnode-test-diagnostic-XXXXXX", NULL);
  g_autofree char *source_dir = g_build_filename (dir, "app", "src", NULL);
  g_autofree char *source = g_build_filename (source_dir, "broken.c", NULL);
  g_autofree char *build_dir = g_build_filename (dir, "elsewhere", "build", NULL);
  const char      *sources[] = { "/nonexistent/other.c", source, NULL };
  g_autoptr (GListModel) diagnostics = NULL;
  g_autoptr (HotDiagnostic) first = NULL;
  g_autoptr (HotDiagnostic) second = NULL;
  g_autoptr (GError) error = NULL;

  g_test_summary ("A relative path that names no file from the build folder (the build "
                  "folder outside the source tree, a compiler run elsewhere) is found among "
                  "the build's sources, with its source line");

  g_assert_cmpint (g_mkdir_with_parents (source_dir, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (build_dir, 0755), ==, 0);
  g_file_set_contents (source, "int\nf (void)\n{\n  return 1 +;\n}\n", -1, &error);
  g_assert_no_error (error);

  diagnostics = hot_diagnostic_parse ("../src/broken.c:4:13: error: expected expression before ‘;’ token\n"
                                      "../src/missing.c:1:1: error: not a known source\n",
                                      build_dir, sources);
  g_assert_cmpuint (g_list_model_get_n_items (diagnostics), ==, 2);
  first = g_list_model_get_item (diagnostics, 0);
  g_assert_cmpstr (hot_diagnostic_get_file (first), ==, "../src/broken.c");
  g_assert_cmpstr (hot_diagnostic_get_path (first), ==, source);
  g_assert_cmpstr (hot_diagnostic_get_source_line (first), ==, "return 1 +;");

  /* Nothing known by that name: relative to the build folder, no line. */
  second = g_list_model_get_item (diagnostics, 1);
  g_assert_true (g_str_has_prefix (hot_diagnostic_get_path (second), dir));
  g_assert_true (g_str_has_suffix (hot_diagnostic_get_path (second), "/elsewhere/src/missing.c"));
  g_assert_null (hot_diagnostic_get_source_line (second));

  test_remove_tree (dir);
}

static void
test_large_output (void)
{
  g_autoptr (GString) output = g_string_new (NULL);
  g_autoptr (GListModel) diagnostics = NULL;
  g_autofree char *clean = NULL;

  g_test_summary ("Megabytes of output with stray bytes parse, keeping every diagnostic");

  for (guint i = 0; i < 20000; i++)
    g_string_append_printf (output, "noise \xff\xfe line %u with some padding to make it long enough\n"
                                    "../a.c:%u:1: warning: number %u\n",
                            i, i + 1, i);

  clean = hot_diagnostic_clean_output (output->str, output->len);
  diagnostics = hot_diagnostic_parse (clean, "/nonexistent", NULL);
  g_assert_cmpuint (g_list_model_get_n_items (diagnostics), ==, 20000);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/Hotnode/Diagnostic/%s", cases[i].capture);

      g_test_add_data_func (path, &cases[i], assert_case);
    }
  g_test_add_func ("/Hotnode/Diagnostic/live-gcc", test_live_gcc);
  g_test_add_func ("/Hotnode/Diagnostic/known-source", test_known_source);
  g_test_add_func ("/Hotnode/Diagnostic/large-output", test_large_output);

  return g_test_run ();
}
