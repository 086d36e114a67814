/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fast paths on real modules of this build (tests/fixtures/gamma, with
 * GObject types; sourceview and adwaita-fixture, on GtkSourceView 5 and
 * libadwaita; refused, whose header tcc does not take): compiled with the
 * real tcc or gcc, linked by the module's own link command, loaded with
 * the loader. */
#include "config.h"

#include <elf.h>
#include <hotnode.h>
#include <link.h>

#include "hot-compile-command-private.h"
#include "hot-fast-builder-private.h"
#include "hot-fast-tcc-private.h"
#include "hot-inputs-private.h"
#include "hot-pch-private.h"
#include "hot-loader-private.h"
#include "hot-project-private.h"
#include "hot-table-private.h"
#include "test-utils.h"

/* A fixture module: its folder and source under tests/fixtures, the
 * package it needs, a node of it and the type of the widget it builds. */
typedef struct
{
  const char *name;
  const char *source;
  const char *package;
  const char *node;
  const char *type_prefix;
} Module;

static const Module gamma_module = { "gamma", "gamma/gamma.c", NULL, "gamma_badge_node", "GammaBadge__hot" };
static const Module sourceview_module = { "sourceview", "sourceview/sourceview.c", "gtksourceview-5",
                                          "sourceview_view", "GtkSourceView" };
static const Module adwaita_module = { "adwaita-fixture", "adwaita/adwaita.c", "libadwaita-1", "adwaita_bin",
                                       "AdwBin" };
static const Module refused_module = { "refused", "refused/refused.c", NULL, "refused_label", "GtkLabel" };

typedef struct
{
  const Module        *module;
  HotProject          *project;
  const HotModuleInfo *info;
  char                *source;
  char                *private_dir;
  char                *work_dir; /* the fast builder's */
  HotLoader           *loader;
  HotDigestCache      *digests;
  HotInputs           *inputs;
} Fixture;

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->module = data ? data : &gamma_module;
  fixture->project = hot_project_load (g_getenv ("HOTNODE_BUILD_ROOT"), &error);
  g_assert_no_error (error);
  fixture->source = g_build_filename (g_getenv ("HOTNODE_SOURCE_ROOT"), "tests", "fixtures", fixture->module->source,
                                      NULL);
  fixture->info = hot_project_lookup_source (fixture->project, fixture->source);
  /* The build leaves out a module whose package is not installed. */
  if (fixture->info == NULL && fixture->module->package != NULL)
    return;
  g_assert_nonnull (fixture->info);
  g_assert_cmpstr (fixture->info->name, ==, fixture->module->name);

  /* What earlier runs left: each test starts from nothing. */
  fixture->work_dir = g_build_filename (fixture->info->build_dir, "hotnode-fast", fixture->module->name, NULL);
  test_remove_tree (fixture->work_dir);

  fixture->private_dir = g_dir_make_tmp ("hotnode-test-fast-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->loader = hot_loader_new (fixture->private_dir, &error);
  g_assert_no_error (error);
  fixture->digests = hot_digest_cache_new ();
  fixture->inputs = hot_inputs_new (fixture->info, fixture->digests);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  if (fixture->info == NULL)
    {
      g_free (fixture->source);
      hot_project_free (fixture->project);
      return;
    }
  g_clear_object (&fixture->loader);
  hot_inputs_free (fixture->inputs);
  hot_digest_cache_free (fixture->digests);
  test_remove_tree (fixture->private_dir);
  g_free (fixture->private_dir);
  g_free (fixture->work_dir);
  g_free (fixture->source);
  hot_project_free (fixture->project);
}

/* Whether the library at @path asks the dynamic loader to write into its
 * read-only segments (DT_TEXTREL). */
static gboolean
has_text_relocations (const char *path)
{
  g_autofree char *contents = NULL;
  gsize            length;
  const ElfW (Ehdr) * header;
  const ElfW (Phdr) * segments;

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  header = (const ElfW (Ehdr) *) contents;
  segments = (const ElfW (Phdr) *) (contents + header->e_phoff);
  for (guint i = 0; i < header->e_phnum; i++)
    {
      const ElfW (Dyn) *dynamic = (const ElfW (Dyn) *) (contents + segments[i].p_offset);

      if (segments[i].p_type != PT_DYNAMIC)
        continue;
      for (guint j = 0; j < segments[i].p_filesz / sizeof (ElfW (Dyn)) && dynamic[j].d_tag != DT_NULL; j++)
        if (dynamic[j].d_tag == DT_TEXTREL ||
            (dynamic[j].d_tag == DT_FLAGS && (dynamic[j].d_un.d_val & DF_TEXTREL)))
          return TRUE;
    }

  return FALSE;
}

/* Builds the module from @snapshot, reusing the build's object of the
 * sources in @reusable (NULL: none). */
static char *
build_from (HotFastBuilder *builder,
            GHashTable     *snapshot,
            GHashTable     *reusable)
{
  g_autoptr (GHashTable) none = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  char *output;

  g_assert_true (hot_fast_builder_can_build (builder, &error));
  g_assert_no_error (error);

  hot_fast_builder_build_async (builder, snapshot, reusable ? reusable : none, NULL, test_store_result, &result);
  output = hot_fast_builder_build_finish (builder, test_wait_for_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (output);

  return output;
}

/* Builds the module from its sources as they are. */
static char *
build (Fixture        *fixture,
       HotFastBuilder *builder)
{
  g_autoptr (GHashTable) snapshot = hot_inputs_snapshot (fixture->inputs);

  return build_from (builder, snapshot, NULL);
}

/* Whether the fixture's module was built; the test skips when not. */
static gboolean
module_built (Fixture *fixture)
{
  g_autofree char *reason = NULL;

  if (fixture->info != NULL)
    return TRUE;
  reason = g_strdup_printf ("%s is not installed (module %s not built)", fixture->module->package,
                            fixture->module->name);
  g_test_skip (reason);
  return FALSE;
}

/* Loads @output and builds its node's widget: a type of the generation's
 * own in gamma. */
static void
assert_loads_and_builds (Fixture    *fixture,
                         const char *output)
{
  g_autoptr (HotLibrary) library = NULL;
  g_autoptr (HotTable) table = hot_table_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char         *type_prefix = NULL;
  const HotCompileCommand *command = g_hash_table_lookup (fixture->info->commands, fixture->source);
  const HotNodeEntry      *entry;
  GtkWidget               *badge;

  library = hot_loader_load (fixture->loader, fixture->module->name, output, &error);
  g_assert_no_error (error);
  g_assert_true (hot_table_add_image (table, library->image, &error));
  g_assert_no_error (error);

  /* __FILE__ as the build gives it: the key of the module's statics. */
  entry = hot_table_lookup_node (table, fixture->module->node);
  g_assert_nonnull (entry);
  g_assert_cmpstr (entry->file, ==, command->file);

  /* Registered under a name of its own (the suffix is the generation's
   * when the loader and the module share one libhotnode; here the test
   * links a copy of the loader). */
  badge = g_object_ref_sink (entry->func (NULL));
  g_assert_true (g_str_has_prefix (G_OBJECT_TYPE_NAME (badge), fixture->module->type_prefix));
  g_object_unref (badge);

  /* Never closed: its types stay registered. */
  library->handle = NULL;
}

/* The tcc preludes in the work folder. */
static guint
count_preludes (Fixture *fixture)
{
  g_autoptr (GDir) dir = g_dir_open (fixture->work_dir, 0, NULL);
  const char *name;
  guint       preludes = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "tcc-") && g_str_has_suffix (name, ".h") && !g_str_has_suffix (name, ".once.h"))
      preludes++;

  return preludes;
}

/* The text of the first precompiled header in the work folder, or NULL. */
static char *
read_pch_header (Fixture *fixture)
{
  g_autoptr (GDir) dir = g_dir_open (fixture->work_dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "hot-pch-") && g_str_has_suffix (name, ".h"))
      {
        g_autofree char *path = g_build_filename (fixture->work_dir, name, NULL);
        g_autofree char *gch = g_strconcat (path, ".gch", NULL);
        char            *text = NULL;

        g_assert_true (g_file_test (gch, G_FILE_TEST_IS_REGULAR));
        g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
        return text;
      }

  return NULL;
}

static void
test_tcc (Fixture      *fixture,
          gconstpointer data)
{
  g_autoptr (HotFastBuilder) builder = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *tcc = g_find_program_in_path ("tcc");
  g_autofree char *output = NULL;
  g_autofree char *again = NULL;

  /* One prelude per source of the module. */
  g_test_summary ("Prepared before the first save, tcc compiles a module source with GObject types, the "
                  "module's link command links it without text relocations, and it loads with its own "
                  "types and __FILE__; builds use the prelude the preparation made");

  if (tcc == NULL)
    {
      g_test_skip ("tcc is not installed");
      return;
    }

  builder = hot_fast_builder_new (fixture->info, HOT_FAST_PATH_TCC, fixture->inputs);
  hot_fast_builder_prepare_async (builder, NULL, test_store_result, &result);
  g_assert_true (hot_fast_builder_prepare_finish (builder, test_wait_for_result (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_preludes (fixture), ==, g_strv_length (fixture->info->sources));

  output = build (fixture, builder);
  g_assert_true (g_str_has_prefix (output, fixture->work_dir));
  g_assert_false (has_text_relocations (output));
  assert_loads_and_builds (fixture, output);

  again = build (fixture, builder);
  assert_loads_and_builds (fixture, again);
  g_assert_cmpuint (count_preludes (fixture), ==, g_strv_length (fixture->info->sources));
}

static void
test_pch (Fixture      *fixture,
          gconstpointer data)
{
  g_autoptr (HotFastBuilder) builder = hot_fast_builder_new (fixture->info, HOT_FAST_PATH_GCC_PCH, fixture->inputs);
  g_autofree char *output = NULL;
  g_autofree char *header = NULL;

  g_test_summary ("The build's compiler with the headers the source starts with precompiled (<hotnode.h>) "
                  "builds a module source that loads with its own types");

  output = build (fixture, builder);
  assert_loads_and_builds (fixture, output);

  header = read_pch_header (fixture);
  g_assert_nonnull (header);
  g_assert_nonnull (strstr (header, "#include <hotnode.h>"));
}

/* Each precompiled header in the work folder, by name: when it was
 * written and its inode (a new file when it was made again). */
static GHashTable *
pchs_written (Fixture *fixture)
{
  GHashTable *written = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GDir) dir = g_dir_open (fixture->work_dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "hot-pch-") && g_str_has_suffix (name, ".h.gch"))
      {
        g_autofree char *path = g_build_filename (fixture->work_dir, name, NULL);
        GStatBuf         st;

        g_assert_cmpint (g_stat (path, &st), ==, 0);
        g_hash_table_insert (written, g_strdup (name),
                             g_strdup_printf ("%" G_GUINT64_FORMAT " %ld.%09ld", (guint64) st.st_ino,
                                              (long) st.st_mtim.tv_sec, (long) st.st_mtim.tv_nsec));
      }

  return written;
}

static void
test_pch_elsewhere (Fixture      *fixture,
                    gconstpointer data)
{
  g_autoptr (HotFastBuilder) builder = hot_fast_builder_new (fixture->info, HOT_FAST_PATH_GCC_PCH, fixture->inputs);
  g_autoptr (GHashTable) edited = hot_inputs_snapshot (fixture->inputs);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *cwd = g_get_current_dir ();
  g_autoptr (GHashTable) before = NULL;
  g_autoptr (GHashTable) after = NULL;
  GHashTableIter iter;
  const char    *name, *stamp;

  g_test_summary ("An app started from another folder than the build's reuses its precompiled header: the "
                  "headers gcc names relative to the build folder are found there");

  /* As an app started from its source folder. */
  g_assert_cmpint (g_chdir (fixture->private_dir), ==, 0);
  first = build (fixture, builder);
  before = pchs_written (fixture);
  g_assert_cmpuint (g_hash_table_size (before), >, 0);

  g_hash_table_insert (edited, g_strdup (fixture->source), g_strdup ("another content"));
  second = build_from (builder, edited, NULL);
  assert_loads_and_builds (fixture, second);
  after = pchs_written (fixture);
  g_hash_table_iter_init (&iter, before);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, (gpointer *) &stamp))
    g_assert_cmpstr (g_hash_table_lookup (after, name), ==, stamp);

  g_assert_cmpint (g_chdir (cwd), ==, 0);
}

/* When the fast builder's object of the fixture's source was written. */
static gint64
object_written (Fixture *fixture)
{
  const HotCompileCommand *command = g_hash_table_lookup (fixture->info->commands, fixture->source);
  g_autofree char         *name = g_path_get_basename (command->object);
  g_autofree char         *object = g_build_filename (fixture->work_dir, name, NULL);
  GStatBuf                 st;

  if (g_stat (object, &st) != 0)
    return 0;
  return st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st.st_mtim.tv_nsec;
}

static void
test_by_content (Fixture      *fixture,
                 gconstpointer data)
{
  g_autoptr (HotFastBuilder) builder = hot_fast_builder_new (fixture->info, HOT_FAST_PATH_GCC_PCH, fixture->inputs);
  g_autoptr (GHashTable) snapshot = hot_inputs_snapshot (fixture->inputs);
  g_autoptr (GHashTable) edited = hot_inputs_snapshot (fixture->inputs);
  g_autoptr (GHashTable) reusable = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *first = NULL, *second = NULL, *third = NULL, *fourth = NULL;
  gint64           written;

  g_test_summary ("A fast build compiles exactly the sources whose content (and headers) no object it may "
                  "link was compiled from, whichever files were saved: an object of its own is reused for "
                  "the same content, and the build's own object when it is as good");

  first = build_from (builder, snapshot, NULL);
  written = object_written (fixture);
  g_assert_cmpint (written, !=, 0);

  /* The same content: nothing is compiled. */
  second = build_from (builder, snapshot, NULL);
  g_assert_cmpint (object_written (fixture), ==, written);

  /* Other content (as if saved): compiled again. */
  g_hash_table_insert (edited, g_strdup (fixture->source), g_strdup ("another content"));
  third = build_from (builder, edited, NULL);
  g_assert_cmpint (object_written (fixture), !=, written);
  written = object_written (fixture);

  /* The build system's object holds the content asked for: it is linked,
   * and the object of its own, compiled from other content, is not kept. */
  g_hash_table_add (reusable, fixture->source);
  fourth = build_from (builder, snapshot, reusable);
  g_assert_cmpint (object_written (fixture), ==, written);
  assert_loads_and_builds (fixture, fourth);
  g_hash_table_remove_all (reusable);
  g_free (fourth);
  fourth = build_from (builder, edited, reusable);
  g_assert_cmpint (object_written (fixture), !=, written);
}

static void
test_without_tcc (Fixture      *fixture,
                  gconstpointer data)
{
  g_autoptr (HotFastBuilder) builder = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_strdup (g_getenv ("PATH"));

  g_test_summary ("Without tcc the tcc path declines, saying how to install it");

  g_setenv ("PATH", fixture->private_dir, TRUE);
  builder = hot_fast_builder_new (fixture->info, HOT_FAST_PATH_TCC, fixture->inputs);
  g_setenv ("PATH", path, TRUE);

  g_assert_false (hot_fast_builder_can_build (builder, &error));
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD);
  g_assert_nonnull (strstr (error->message, "tcc"));
}

static void
test_without_command (Fixture      *fixture,
                      gconstpointer data)
{
  g_autoptr (HotFastBuilder) builder = hot_fast_builder_new (fixture->info, HOT_FAST_PATH_TCC, fixture->inputs);
  g_autoptr (GError) error = NULL;
  gpointer key, command;

  g_test_summary ("A source the build has no compile command for (a bad entry left out) sends the "
                  "module to ninja: its old object is never linked as if it were what the file holds");

  g_assert_true (g_hash_table_steal_extended (fixture->info->commands, fixture->source, &key, &command));
  g_assert_false (hot_fast_builder_can_build (builder, &error));
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD);
  g_assert_nonnull (strstr (error->message, "no command for"));
  g_hash_table_insert (fixture->info->commands, key, command);
}

/* tcc, prepared and then building: the library loads and builds its node. */
static void
assert_tcc_builds (Fixture *fixture)
{
  g_autoptr (HotFastBuilder) builder = hot_fast_builder_new (fixture->info, HOT_FAST_PATH_TCC, fixture->inputs);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *output = NULL;

  hot_fast_builder_prepare_async (builder, NULL, test_store_result, &result);
  g_assert_true (hot_fast_builder_prepare_finish (builder, test_wait_for_result (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_preludes (fixture), ==, 1);

  output = build (fixture, builder);
  g_assert_false (has_text_relocations (output));
  assert_loads_and_builds (fixture, output);
}

static void
test_tcc_sourceview (Fixture      *fixture,
                     gconstpointer data)
{
  g_autofree char *tcc = g_find_program_in_path ("tcc");

  g_test_summary ("tcc compiles a source including <gtksourceview/gtksource.h>, which includes #pragma once "
                  "headers a second time under another name, with its prelude; it loads and builds a "
                  "GtkSourceView");

  if (!module_built (fixture))
    return;
  if (tcc == NULL)
    {
      g_test_skip ("tcc is not installed");
      return;
    }

  assert_tcc_builds (fixture);
}

static void
test_tcc_adwaita (Fixture      *fixture,
                  gconstpointer data)
{
  g_autofree char *tcc = g_find_program_in_path ("tcc");

  g_test_summary ("tcc compiles a source including <adwaita.h> with its prelude; it loads and builds an AdwBin");

  if (!module_built (fixture))
    return;
  if (tcc == NULL)
    {
      g_test_skip ("tcc is not installed");
      return;
    }

  assert_tcc_builds (fixture);
}

static void
test_pch_adwaita (Fixture      *fixture,
                  gconstpointer data)
{
  g_autoptr (HotFastBuilder) builder = NULL;
  g_autofree char         *output = NULL;
  g_autofree char         *header = NULL;
  g_autofree char         *depfile = NULL;
  g_autofree char         *deps = NULL;
  const HotCompileCommand *command;

  g_test_summary ("The precompiled header holds the system headers the source starts with (<adwaita.h>), "
                  "with the definition before them and without the project's header after them; the "
                  "compile uses it and the library loads");

  if (!module_built (fixture))
    return;

  builder = hot_fast_builder_new (fixture->info, HOT_FAST_PATH_GCC_PCH, fixture->inputs);
  output = build (fixture, builder);
  assert_loads_and_builds (fixture, output);

  header = read_pch_header (fixture);
  g_assert_nonnull (header);
  g_assert_nonnull (strstr (header, "#define ADWAITA_FIXTURE_TITLE"));
  g_assert_nonnull (strstr (header, "#include <adwaita.h>"));
  g_assert_null (strstr (header, "adwaita-fixture.h"));

  /* The compile read the precompiled header: of the headers, it read
   * only the project's own (gcc's depfile lists what it read). */
  command = g_hash_table_lookup (fixture->info->commands, fixture->source);
  {
    g_autofree char *name = g_path_get_basename (command->object);

    depfile = g_strdup_printf ("%s/%s.d", fixture->work_dir, name);
  }
  g_assert_true (g_file_get_contents (depfile, &deps, NULL, NULL));
  g_assert_nonnull (strstr (deps, "adwaita-fixture.h"));
  g_assert_null (strstr (deps, "/adwaita.h"));
}

static void
test_tcc_refused (Fixture      *fixture,
                  gconstpointer data)
{
  g_autoptr (HotFastBuilder) builder = NULL;
  g_autoptr (GHashTable) edited = NULL;
  g_autofree char         *tcc = g_find_program_in_path ("tcc");
  g_autofree char         *output = NULL;
  g_autofree char         *again = NULL;
  g_autofree char         *copy = NULL;
  g_autofree char         *header = NULL;
  const HotCompileCommand *command;

  g_test_summary ("A source whose header tcc does not compile is compiled by gcc with a precompiled header in "
                  "the same build, tcc's first error (file:line: message) logged once; the next build does "
                  "not try tcc again");

  if (tcc == NULL)
    {
      g_test_skip ("tcc is not installed");
      return;
    }

  /* The headers the source includes, as the app knows them from ninja's
   * deps log: the set of headers is the same from build to build. */
  command = g_hash_table_lookup (fixture->info->commands, fixture->source);
  {
    g_autofree char *target = g_strdup (command->object + strlen (fixture->info->build_dir) + 1);
    g_autofree char *deps = NULL;
    g_autoptr (GError) error = NULL;
    g_autoptr (GSubprocess) ninja = NULL;

    g_assert_true (g_str_has_prefix (command->object, fixture->info->build_dir));
    ninja = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "ninja", "-C", fixture->info->build_dir, "-t",
                              "deps", target, NULL);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_communicate_utf8 (ninja, NULL, NULL, &deps, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (hot_inputs_read_ninja_deps (fixture->inputs, deps), ==, 1);
  }

  builder = hot_fast_builder_new (fixture->info, HOT_FAST_PATH_TCC, fixture->inputs);
  g_test_expect_message ("Hotnode", G_LOG_LEVEL_MESSAGE, "tcc does not compile the headers *refused.c includes "
                                                         "(*refused-wide.h:5: error: *); compiling it with *");
  output = build (fixture, builder);
  g_test_assert_expected_messages ();
  assert_loads_and_builds (fixture, output);
  header = read_pch_header (fixture);
  g_assert_nonnull (header);
  g_assert_nonnull (strstr (header, "#include <hotnode.h>"));

  /* The copy tcc compiles with the prelude is not written again. */
  {
    g_autofree char *name = g_path_get_basename (command->object);

    copy = g_strdup_printf ("%s/%s.c", fixture->work_dir, name);
  }
  g_assert_true (g_file_test (copy, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (g_unlink (copy), ==, 0);
  edited = hot_inputs_snapshot (fixture->inputs);
  g_hash_table_insert (edited, g_strdup (fixture->source), g_strdup ("another content"));
  again = build_from (builder, edited, NULL);
  assert_loads_and_builds (fixture, again);
  g_assert_false (g_file_test (copy, G_FILE_TEST_EXISTS));
}

static void
test_work_dir_gone (Fixture      *fixture,
                    gconstpointer data)
{
  g_autoptr (HotFastBuilder) builder = NULL;
  g_autoptr (GHashTable) edited = NULL;
  g_autofree char *tcc = g_find_program_in_path ("tcc");
  g_autofree char *output = NULL;
  g_autofree char *again = NULL;

  g_test_summary ("When the builder's folder is deleted (the build folder set up again), the next build makes "
                  "its compatibility header, preludes and objects again, and says so");

  if (tcc == NULL)
    {
      g_test_skip ("tcc is not installed");
      return;
    }

  builder = hot_fast_builder_new (fixture->info, HOT_FAST_PATH_TCC, fixture->inputs);
  output = build (fixture, builder);
  assert_loads_and_builds (fixture, output);

  test_remove_tree (fixture->work_dir);
  edited = hot_inputs_snapshot (fixture->inputs);
  g_hash_table_insert (edited, g_strdup (fixture->source), g_strdup ("another content"));
  g_test_expect_message ("Hotnode", G_LOG_LEVEL_MESSAGE, "The fast path's folder * is gone or was made again*");
  again = build_from (builder, edited, NULL);
  g_test_assert_expected_messages ();
  assert_loads_and_builds (fixture, again);
  g_assert_cmpuint (count_preludes (fixture), ==, g_strv_length (fixture->info->sources));
}

/* Runs @argv in @cwd: its output to @output, whether it succeeded. */
static gboolean
run (const char *const *argv,
     const char        *cwd,
     char             **output)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = 0;

  g_spawn_sync (cwd, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (output != NULL)
    *output = g_strconcat (out, err, NULL);
  return g_spawn_check_wait_status (status, NULL);
}

/* What of @object must not change: its symbols, defined and undefined
 * (but tcc's numbered local labels), and its disassembled code. */
static char *
object_summary (const char *object)
{
  g_autofree char *symbols = NULL;
  g_autofree char *code = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GString) summary = g_string_new (NULL);
  const char *code_start;

  g_assert_true (run ((const char *[]){ "nm", object, NULL }, NULL, &symbols));
  g_assert_true (run ((const char *[]){ "objdump", "-d", "--no-show-raw-insn", object, NULL }, NULL, &code));
  lines = g_strsplit (symbols, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (strstr (lines[i], " L.") == NULL)
      g_string_append_printf (summary, "%s\n", lines[i]);
  /* Past the header naming the file. */
  code_start = strstr (code, "Disassembly");
  g_string_append (summary, code_start ? code_start : code);

  return g_string_free (g_steal_pointer (&summary), FALSE);
}

/* Compiles @source with its whole tcc prelude then with the pruned one:
 * the same object comes out, or both fail. */
static void
assert_pruned_compiles_the_same (HotProject *project,
                                 const char *tcc,
                                 const char *source)
{
  const HotModuleInfo     *info = hot_project_lookup_source (project, source);
  const HotCompileCommand *command = info ? g_hash_table_lookup (info->commands, source) : NULL;
  g_autofree char         *work_dir = NULL;
  g_autofree char         *header = NULL;
  g_autofree char         *prologue = NULL;
  g_autofree char         *key = NULL;
  g_autofree char         *whole_object = NULL;
  g_autofree char         *pruned_object = NULL;
  g_autofree char         *whole_dir = NULL;
  g_autofree char         *pruned_dir = NULL;
  g_autofree char         *pruned_key = NULL;
  g_autofree char         *whole_output = NULL;
  g_autofree char         *pruned_output = NULL;
  g_autofree char         *whole = NULL;
  g_autofree char         *pruned = NULL;
  g_auto (GStrv) whole_argv = NULL;
  g_auto (GStrv) pruned_argv = NULL;
  g_autoptr (HotDigestCache) digests = NULL;
  g_autoptr (GHashTable) snapshot = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  HotInputs  *inputs;
  HotFastTcc *fast_tcc;
  gboolean    whole_built;
  gboolean    pruned_built;

  /* A module whose package is not installed is not built. */
  if (command == NULL)
    {
      g_test_message ("%s: not in a module of this build", source);
      return;
    }

  work_dir = g_dir_make_tmp ("hotnode-test-prune-XXXXXX", &error);
  g_assert_no_error (error);
  header = g_build_filename (work_dir, "hot-tcc-compat.h", NULL);
  g_assert_true (hot_pch_write_tcc_header (header, &error));
  g_assert_no_error (error);
  digests = hot_digest_cache_new ();
  inputs = hot_inputs_new (info, digests);
  snapshot = hot_inputs_snapshot (inputs);
  fast_tcc = hot_fast_tcc_new (tcc, header, work_dir, info->build_dir, inputs);

  if (hot_fast_tcc_start_prelude (fast_tcc, command, source, snapshot, &prologue, &key, NULL, test_store_result,
                                  &result))
    {
      g_assert_true (hot_fast_tcc_prelude_finish (fast_tcc, key, test_wait_for_result (&result), &error));
      g_assert_no_error (error);
    }

  whole_object = g_build_filename (work_dir, "whole.o", NULL);
  whole_argv = hot_fast_tcc_compile_argv (fast_tcc, command, source, prologue, key, whole_object, &whole_dir, NULL,
                                          &error);
  g_assert_no_error (error);
  pruned_object = g_build_filename (work_dir, "pruned.o", NULL);
  g_clear_object (&result);
  if (hot_fast_tcc_start_pruning (fast_tcc, source, prologue, key, pruned_object, NULL, test_store_result, &result))
    {
      g_assert_true (hot_fast_tcc_pruning_finish (fast_tcc, test_wait_for_result (&result), &error));
      g_assert_no_error (error);
    }
  pruned_argv = hot_fast_tcc_compile_argv (fast_tcc, command, source, prologue, key, pruned_object, &pruned_dir,
                                           &pruned_key, &error);
  g_assert_no_error (error);

  whole_built = run ((const char *const *) whole_argv, whole_dir ? whole_dir : info->build_dir, &whole_output);
  pruned_built = run ((const char *const *) pruned_argv, pruned_dir ? pruned_dir : info->build_dir, &pruned_output);
  g_test_message ("%s: whole prelude %s, pruned %s", source, whole_built ? "built" : "failed",
                  pruned_key ? (pruned_built ? "built" : "failed") : "not made");
  if (!whole_built)
    g_assert_false (pruned_built);
  else
    {
      /* A source compiled with a prelude (as a copy, in its folder) has a
       * pruned one. */
      if (whole_dir != NULL)
        g_assert_nonnull (pruned_key);
      g_assert_true (pruned_built);
      g_assert_null (strstr (pruned_output, "implicit declaration"));
      whole = object_summary (whole_object);
      pruned = object_summary (pruned_object);
      g_assert_cmpstr (pruned, ==, whole);
    }

  hot_fast_tcc_free (fast_tcc);
  hot_inputs_free (inputs);
  test_remove_tree (work_dir);
}

/* The C sources under @dir, recursively, to @sources. */
static void
find_sources (const char *dir,
              GPtrArray  *sources)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_nonnull (handle);
  while ((name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        find_sources (path, sources);
      else if (g_str_has_suffix (name, ".c"))
        g_ptr_array_add (sources, g_steal_pointer (&path));
    }
}

static void
test_pruned_prelude (void)
{
  g_autofree char *tcc = g_find_program_in_path ("tcc");
  g_autofree char *fixtures = g_build_filename (g_getenv ("HOTNODE_SOURCE_ROOT"), "tests", "fixtures", NULL);
  g_autofree char *demo = g_build_filename (g_getenv ("HOTNODE_SOURCE_ROOT"), "demo", NULL);
  g_autoptr (GPtrArray) sources = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (HotProject) project = NULL;
  g_autoptr (GError) error = NULL;

  g_test_summary ("Every source of the fixtures and the demo compiles with its pruned tcc prelude into the object "
                  "its whole prelude gives (same symbols, same code), or fails with both");

  if (tcc == NULL)
    {
      g_test_skip ("tcc is not installed");
      return;
    }

  project = hot_project_load (g_getenv ("HOTNODE_BUILD_ROOT"), &error);
  g_assert_no_error (error);
  find_sources (fixtures, sources);
  find_sources (demo, sources);
  for (guint i = 0; i < sources->len; i++)
    {
      g_autofree char *source = g_canonicalize_filename (g_ptr_array_index (sources, i), NULL);

      assert_pruned_compiles_the_same (project, tcc, source);
    }
}

/* Whether the builder's object of @source was compiled by gcc, which says
 * so in it (tcc does not). */
static gboolean
compiled_by_gcc (Fixture    *fixture,
                 const char *source)
{
  const HotCompileCommand *command = g_hash_table_lookup (fixture->info->commands, source);
  g_autofree char         *name = g_path_get_basename (command->object);
  g_autofree char         *object = g_build_filename (fixture->work_dir, name, NULL);
  g_autofree char         *contents = NULL;
  gsize                    length;

  g_assert_true (g_file_get_contents (object, &contents, &length, NULL));
  for (gsize i = 0; i + 6 <= length; i++)
    if (memcmp (contents + i, "GCC: (", 6) == 0)
      return TRUE;
  return FALSE;
}

/* Writes @text over each pruned prelude in the builder's folder; returns
 * how many. */
static guint
spoil_pruned_preludes (Fixture    *fixture,
                       const char *text)
{
  g_autoptr (GDir) dir = g_dir_open (fixture->work_dir, 0, NULL);
  const char *name;
  guint       spoiled = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".prelude.h"))
      {
        g_autofree char *path = g_build_filename (fixture->work_dir, name, NULL);
        g_autoptr (GError) error = NULL;

        g_file_set_contents (path, text, -1, &error);
        g_assert_no_error (error);
        spoiled++;
      }

  return spoiled;
}

static void
test_pruned_fallback (Fixture      *fixture,
                      gconstpointer data)
{
  g_autoptr (HotFastBuilder) builder = NULL;
  g_autofree char *tcc = g_find_program_in_path ("tcc");
  g_autofree char *output = NULL;

  g_test_summary ("When a compile with a pruned tcc prelude fails, the source is compiled again with the whole "
                  "prelude and the build succeeds; the pruned one is not used again for the same code");

  if (tcc == NULL)
    {
      g_test_skip ("tcc is not installed");
      return;
    }

  builder = hot_fast_builder_new (fixture->info, HOT_FAST_PATH_TCC, fixture->inputs);
  output = build (fixture, builder);
  assert_loads_and_builds (fixture, output);

  /* The pruned preludes are reused while the sources name the same
   * identifiers: spoilt, each compile with one fails. */
  g_assert_cmpuint (spoil_pruned_preludes (fixture, "this is no C;\n"), ==, g_strv_length (fixture->info->sources));
  for (guint round = 0; round < 2; round++)
    {
      g_autoptr (GHashTable) edited = hot_inputs_snapshot (fixture->inputs);
      g_autofree char *content = g_strdup_printf ("another content %u", round);
      g_autofree char *built = NULL;

      g_hash_table_insert (edited, g_strdup (fixture->source), g_steal_pointer (&content));
      built = build_from (builder, edited, NULL);
      assert_loads_and_builds (fixture, built);
      /* By tcc still, not by gcc as for headers tcc does not take. */
      g_assert_false (compiled_by_gcc (fixture, fixture->source));
    }
}

/* Writes @text after each source copy tcc compiles in the builder's
 * folder (as a longer version of the source would have left them);
 * returns how many. */
static guint
lengthen_source_copies (Fixture    *fixture,
                        const char *text)
{
  g_autoptr (GDir) dir = g_dir_open (fixture->work_dir, 0, NULL);
  const char *name;
  guint       lengthened = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".o.c"))
      {
        g_autofree char *path = g_build_filename (fixture->work_dir, name, NULL);
        g_autofree char *contents = NULL;
        g_autofree char *longer = NULL;
        g_autoptr (GError) error = NULL;

        g_file_get_contents (path, &contents, NULL, &error);
        g_assert_no_error (error);
        longer = g_strconcat (contents, text, NULL);
        g_file_set_contents (path, longer, -1, &error);
        g_assert_no_error (error);
        lengthened++;
      }

  return lengthened;
}

static void
test_shorter_source (Fixture      *fixture,
                     gconstpointer data)
{
  g_autoptr (HotFastBuilder) builder = NULL;
  g_autoptr (GHashTable) edited = NULL;
  g_autofree char *tcc = g_find_program_in_path ("tcc");
  g_autofree char *output = NULL;
  g_autofree char *built = NULL;

  g_test_summary ("A source saved shorter than its last version is compiled by tcc from what it holds now: "
                  "the copy tcc compiles keeps nothing of the longer one");

  if (tcc == NULL)
    {
      g_test_skip ("tcc is not installed");
      return;
    }

  builder = hot_fast_builder_new (fixture->info, HOT_FAST_PATH_TCC, fixture->inputs);
  output = build (fixture, builder);
  assert_loads_and_builds (fixture, output);

  g_assert_cmpuint (lengthen_source_copies (fixture, "\nthis is what a longer version left;\n"), >, 0);
  edited = hot_inputs_snapshot (fixture->inputs);
  g_hash_table_insert (edited, g_strdup (fixture->source), g_strdup ("another content"));
  built = build_from (builder, edited, NULL);
  assert_loads_and_builds (fixture, built);
  g_assert_false (compiled_by_gcc (fixture, fixture->source));
}

/* Runs @argv in @dir; fails the test if it fails. Returns what it printed
 * (stdout and stderr). */
static char *
run_in (const char        *dir,
        const char *const *argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status;

  g_spawn_sync (dir, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s failed: %s%s", argv[0], out, err);

  return g_strconcat (out, err, NULL);
}

static void
test_direct_link (Fixture      *fixture,
                  gconstpointer data)
{
  g_autofree char *ninja = g_find_program_in_path ("ninja");
  g_autofree char *gold = g_find_program_in_path ("ld.gold");
  g_autofree char *commands = NULL;
  g_autofree char *printed = NULL;
  g_autofree char *by_driver = NULL;
  g_autofree char *direct = NULL;
  g_autofree char *by_driver_path = g_build_filename (fixture->private_dir, "by-driver.so", NULL);
  g_autofree char *output = g_build_filename (fixture->private_dir, "lib.so", NULL);
  g_autoptr (GHashTable) none = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GStrvBuilder) ask = g_strv_builder_new ();
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) link_argv = NULL;
  g_auto (GStrv) driver_argv = NULL;
  g_auto (GStrv) ask_argv = NULL;
  g_auto (GStrv) direct_argv = NULL;
  gsize by_driver_len, direct_len;

  g_test_summary ("The linker run alone, with the command gcc gives for the module's link (-###), "
                  "makes the library gcc makes, byte for byte");

  if (gold == NULL)
    {
      g_test_skip ("ld.gold is not installed");
      return;
    }

  commands = run_in (fixture->info->build_dir, (const char *[]){ ninja, "-t", "commands", "-s", fixture->info->target, NULL });
  link_argv = hot_link_command_parse (commands, fixture->info->target, &error);
  g_assert_no_error (error);
  driver_argv = hot_link_command_argv ((const char *const *) link_argv, fixture->info->build_dir, none, none,
                                       output, NULL, TRUE);
  g_strv_builder_addv (ask, (const char **) driver_argv);
  g_strv_builder_add (ask, "-###");
  ask_argv = g_strv_builder_end (ask);
  printed = run_in (fixture->info->build_dir, (const char *const *) ask_argv);
  direct_argv = hot_link_command_direct ((const char *const *) driver_argv, printed, gold);
  if (direct_argv == NULL)
    {
      g_test_skip ("the build's compiler is not gcc with collect2");
      return;
    }
  g_assert_cmpstr (direct_argv[0], ==, gold);
  for (guint i = 0; direct_argv[i]; i++)
    g_assert_false (g_str_has_prefix (direct_argv[i], "-plugin"));

  /* The same output (its name is in the library): the driver's moved away. */
  g_free (run_in (fixture->info->build_dir, (const char *const *) driver_argv));
  g_assert_cmpint (g_rename (output, by_driver_path), ==, 0);
  g_free (run_in (fixture->info->build_dir, (const char *const *) direct_argv));
  g_assert_true (g_file_get_contents (by_driver_path, &by_driver, &by_driver_len, NULL));
  g_assert_true (g_file_get_contents (output, &direct, &direct_len, NULL));
  g_assert_cmpmem (direct, direct_len, by_driver, by_driver_len);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

#define ADD(path, module, func) \
  g_test_add (path, Fixture, module, fixture_set_up, func, fixture_tear_down)

  ADD ("/Hotnode/FastBuilder/tcc", &gamma_module, test_tcc);
  ADD ("/Hotnode/FastBuilder/pch", &gamma_module, test_pch);
  ADD ("/Hotnode/FastBuilder/by-content", &gamma_module, test_by_content);
  ADD ("/Hotnode/FastBuilder/without-tcc", &gamma_module, test_without_tcc);
  ADD ("/Hotnode/FastBuilder/without-command", &gamma_module, test_without_command);
  ADD ("/Hotnode/FastBuilder/tcc-sourceview", &sourceview_module, test_tcc_sourceview);
  ADD ("/Hotnode/FastBuilder/tcc-adwaita", &adwaita_module, test_tcc_adwaita);
  ADD ("/Hotnode/FastBuilder/pch-adwaita", &adwaita_module, test_pch_adwaita);
  ADD ("/Hotnode/FastBuilder/tcc-refused", &refused_module, test_tcc_refused);
  ADD ("/Hotnode/FastBuilder/work-dir-gone", &gamma_module, test_work_dir_gone);
  ADD ("/Hotnode/FastBuilder/pruned-fallback", &gamma_module, test_pruned_fallback);
  ADD ("/Hotnode/FastBuilder/shorter-source", &gamma_module, test_shorter_source);
  ADD ("/Hotnode/FastBuilder/pch-elsewhere", &gamma_module, test_pch_elsewhere);
  ADD ("/Hotnode/FastBuilder/direct-link", &gamma_module, test_direct_link);

#undef ADD

  g_test_add_func ("/Hotnode/FastBuilder/pruned-prelude", test_pruned_prelude);

  return g_test_run ();
}
