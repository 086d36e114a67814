/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tcc preludes of the fast builder's tcc path: prologues, the repair
 * of tcc's output, their making off the main thread, and their pruning. */
#include "config.h"

#include "hot-tcc-prelude-private.h"
#include "test-utils.h"

static void
test_prologue (void)
{
  g_autofree char *prologue = NULL;
  g_autofree char *none = NULL;

  g_test_summary ("A source's prologue is its blank lines, comments and directives (with their "
                  "continuation lines) up to the first line of code");

  prologue = hot_tcc_source_prologue ("/* SPDX */\n"
                                      "// a comment\n"
                                      "#include <gtk/gtk.h>\n"
                                      "\n"
                                      "  #define TWO_LINES(x) \\\n"
                                      "    (x)\n"
                                      "/* a comment\n"
                                      "   over two lines */\n"
                                      "static int x;\n"
                                      "#define AFTER 1\n");
  g_assert_cmpstr (prologue, ==,
                   "/* SPDX */\n"
                   "// a comment\n"
                   "#include <gtk/gtk.h>\n"
                   "\n"
                   "  #define TWO_LINES(x) \\\n"
                   "    (x)\n");

  none = hot_tcc_source_prologue ("int x;\n#include <stdio.h>\n");
  g_assert_cmpstr (none, ==, "");
}

static void
test_repair (void)
{
  const char       text[] = "int x;\n"
                            "#define __BASE_FILE__ \"prologue.c\"\n"
                            "#define CONCAT(a, b) a <a6> b\n"
                            "#define LOG(format, __VA_ARGS__) g_log (format, __VA_ARGS__)\n"
                            "#define PLAIN 1\n"
                            "last";
  g_autofree char *repaired = hot_tcc_repair_definitions (text, strlen (text));
  g_autofree char *empty = hot_tcc_repair_definitions ("", 0);

  g_test_summary ("tcc's definitions are repaired: ## for <a6>, ... for variadic parameters, "
                  "no __BASE_FILE__; every line, the last one too, ends with a newline");

  g_assert_cmpstr (repaired, ==,
                   "int x;\n"
                   "#define CONCAT(a, b) a ## b\n"
                   "#define LOG(format, ...) g_log (format, __VA_ARGS__)\n"
                   "#define PLAIN 1\n"
                   "last\n");
  g_assert_cmpstr (empty, ==, "\n");
}

static void
test_cancelled (void)
{
  g_autofree char *work_dir = g_dir_make_tmp ("hotnode-test-prelude-XXXXXX", NULL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *prelude = NULL;
  const char      *flags[] = { "true", NULL };

  g_test_summary ("A cancelled making of a prelude completes with G_IO_ERROR_CANCELLED");

  g_cancellable_cancel (cancellable);
  hot_tcc_prelude_make_async (flags, "#include <stdio.h>\n", work_dir, "key", work_dir, cancellable,
                              test_store_result, &result);
  g_assert_false (hot_tcc_prelude_make_finish (test_wait_for_result (&result), &prelude, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (prelude);

  test_remove_tree (work_dir);
}

static char *
make_prelude (const char *work_dir,
              const char *prologue,
              GError    **error)
{
  g_autofree char *tcc = g_find_program_in_path ("tcc");
  const char      *flags[] = { tcc, NULL };
  g_autofree char *key = hot_tcc_prelude_key (prologue, flags, "");
  g_autoptr (GAsyncResult) result = NULL;
  char *prelude = NULL;

  hot_tcc_prelude_make_async (flags, prologue, work_dir, key, work_dir, NULL, test_store_result, &result);
  if (!hot_tcc_prelude_make_finish (test_wait_for_result (&result), &prelude, NULL, error))
    return NULL;

  return prelude;
}

static void
test_made (void)
{
  g_autofree char *tcc = g_find_program_in_path ("tcc");
  g_autofree char *work_dir = NULL;
  g_autofree char *prelude = NULL;
  g_autofree char *none = NULL;
  g_autofree char *contents = NULL;
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GError) error = NULL;
  const char *name;

  g_test_summary ("tcc preprocesses a prologue into a repaired prelude, and its output is removed; "
                  "a prologue tcc cannot preprocess has no prelude");

  if (tcc == NULL)
    {
      g_test_skip ("tcc is not installed");
      return;
    }

  work_dir = g_dir_make_tmp ("hotnode-test-prelude-XXXXXX", NULL);
  prelude = make_prelude (work_dir, "#include <stdio.h>\n", &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (prelude, work_dir));
  g_assert_true (g_str_has_suffix (prelude, ".h"));
  g_file_get_contents (prelude, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (contents, "printf"));
  g_assert_null (strstr (contents, "#define __BASE_FILE__ "));

  none = make_prelude (work_dir, "#include <hotnode-no-such-header.h>\n", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (none, ==, "");

  dir = g_dir_open (work_dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_false (g_str_has_suffix (name, ".i"));

  test_remove_tree (work_dir);
}

/* Writes @contents to @name under @dir, with its folders. */
static char *
write_file (const char *dir,
            const char *name,
            const char *contents)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *folder = g_path_get_dirname (path);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);

  return g_steal_pointer (&path);
}

/* How many times @needle is in @haystack. */
static guint
count_in (const char *haystack,
          const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    n++;

  return n;
}

static void
test_pragma_once (void)
{
  g_autofree char *tcc = g_find_program_in_path ("tcc");
  g_autofree char *work_dir = NULL;
  g_autofree char *prelude = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *copy = NULL;
  g_autofree char *object = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) compile = NULL;
  const char *prologue = "#include \"inc/once.h\"\n"
                         "#include \"inc/twice.h\"\n"
                         "#include \"inc/sub/dir/other.h\"\n";

  g_test_summary ("A #pragma once header that tcc reads a second time under another name (GtkSourceView "
                  "5's \"../../gtksourcetypes.h\") is in the prelude once, as gcc reads it, so its inline "
                  "functions compile; a header without #pragma once stays in it each time it is included");

  if (tcc == NULL)
    {
      g_test_skip ("tcc is not installed");
      return;
    }

  work_dir = g_dir_make_tmp ("hotnode-test-prelude-XXXXXX", NULL);
  g_free (write_file (work_dir, "inc/once.h", "#pragma once\n"
                                              "#include \"twice.h\"\n"
                                              "static inline int once_function (void) { return 1; }\n"));
  g_free (write_file (work_dir, "inc/twice.h", "extern int twice_declared;\n"));
  g_free (write_file (work_dir, "inc/sub/dir/other.h", "#pragma once\n"
                                                       "#include \"../../once.h\"\n"));

  prelude = make_prelude (work_dir, prologue, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (prelude, &contents, NULL, NULL));
  g_assert_cmpuint (count_in (contents, "once_function"), ==, 1);
  /* Once from once.h, once from the prologue: with a dropped entry, none
   * of the files it includes is dropped outside it. */
  g_assert_cmpuint (count_in (contents, "twice_declared"), ==, 2);

  copy = write_file (work_dir, "copy.c", "int use (void) { return once_function (); }\n");
  object = g_build_filename (work_dir, "copy.o", NULL);
  compile = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, tcc, "-include", prelude, "-c", copy, "-o",
                              object, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (compile, NULL, &error));
  g_assert_no_error (error);

  test_remove_tree (work_dir);
}

/* A prelude as tcc writes it: directives, and declarations one after the
 * other, some on one line. */
static const char prune_prelude[] =
    "# 1 \"prelude.c\"\n"
    "#define MAKE_WIDGET(x) make_widget (x)\n"
    "#define AUTOPTR(T) T##_autoptr\n"
    "typedef struct _Widget Widget;\n"
    "struct _Widget { int size; Color color; };\n"
    "typedef enum { RED, GREEN } Color;\n"
    "typedef enum { LEFT, RIGHT } Side;\n"
    "Widget *make_widget (int size) __attribute__ ((warn_unused_result));\n"
    "void unused_function (Side side);\n"
    "typedef Widget *Widget_autoptr;\n"
    "typedef void (*Callback) (Widget *widget);\n"
    "extern int unused_variable; static inline int twice (int x) { return x * 2; }\n"
    "# 12 \"other.h\"\n"
    "__attribute__ ((weak)) int weak_hook (void) { return 1; }\n"
    "int defined_object = 3;\n"
    "_Static_assert (sizeof (int) == 4, \"int\");\n";

static void
test_prune (void)
{
  g_autoptr (HotPreludeIndex) index = NULL;
  g_autofree char *pruned = NULL;
  g_autofree char *names = NULL;
  g_autofree char *same_names = NULL;
  g_autofree char *other_names = NULL;
  gsize            length;
  guint            n_kept;

  g_test_summary ("A pruned prelude keeps its directives, the declarations a source's code reaches through "
                  "its identifiers, its macros (pasted names too) and what those use, what declares no name "
                  "and what is defined with external linkage; the other lines are left empty");

  index = hot_prelude_index_new (g_strdup (prune_prelude), strlen (prune_prelude));
  g_assert_cmpuint (hot_prelude_index_get_n_items (index), ==, 13);
  pruned = hot_prelude_index_prune (index, "void f (Callback c) { AUTOPTR (Widget) w = MAKE_WIDGET (1); }\n",
                                    &length, &n_kept);
  g_assert_cmpuint (length, ==, strlen (pruned));
  g_assert_cmpstr (pruned, ==,
                   "# 1 \"prelude.c\"\n"
                   "#define MAKE_WIDGET(x) make_widget (x)\n"
                   "#define AUTOPTR(T) T##_autoptr\n"
                   "typedef struct _Widget Widget;\n"
                   "struct _Widget { int size; Color color; };\n"
                   "typedef enum { RED, GREEN } Color;\n"
                   "\n"
                   "Widget *make_widget (int size) __attribute__ ((warn_unused_result));\n"
                   "\n"
                   "typedef Widget *Widget_autoptr;\n"
                   "typedef void (*Callback) (Widget *widget);\n"
                   " \n"
                   "# 12 \"other.h\"\n"
                   "__attribute__ ((weak)) int weak_hook (void) { return 1; }\n"
                   "int defined_object = 3;\n"
                   "_Static_assert (sizeof (int) == 4, \"int\");\n");
  g_assert_cmpuint (n_kept, ==, 9);

  /* An enum constant reaches its enum; a name on a line with another
   * declaration keeps only its own. */
  g_clear_pointer (&pruned, g_free);
  pruned = hot_prelude_index_prune (index, "int g (void) { return twice (LEFT); }", NULL, NULL);
  g_assert_nonnull (strstr (pruned, "typedef enum { LEFT, RIGHT } Side;\n"));
  g_assert_nonnull (strstr (pruned, "\n static inline int twice (int x) { return x * 2; }\n"));
  g_assert_null (strstr (pruned, "unused"));
  g_assert_null (strstr (pruned, "Color"));

  /* The names key: the same identifiers in another order and number, or
   * other literals, are the same; another identifier is not. */
  names = hot_prelude_names_key ("a (b, \"c d\"); // e\n");
  same_names = hot_prelude_names_key ("b (a, a, \"x\"); /* e */ a;");
  other_names = hot_prelude_names_key ("a (b, c);");
  g_assert_cmpstr (names, ==, same_names);
  g_assert_cmpstr (names, !=, other_names);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Hotnode/TccPrelude/prologue", test_prologue);
  g_test_add_func ("/Hotnode/TccPrelude/repair", test_repair);
  g_test_add_func ("/Hotnode/TccPrelude/cancelled", test_cancelled);
  g_test_add_func ("/Hotnode/TccPrelude/made", test_made);
  g_test_add_func ("/Hotnode/TccPrelude/pragma-once", test_pragma_once);
  g_test_add_func ("/Hotnode/TccPrelude/prune", test_prune);

  return g_test_run ();
}
