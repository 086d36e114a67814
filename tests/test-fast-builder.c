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
#include <fcntl.h>
#include <sys/stat.h>

#include "hot-compile-command-private.h"
#include "hot-fast-builder-private.h"
#include "hot-fast-tcc-private.h"
#include "hot-inputs-private.h"
#include "hot-link-stubs-private.h"
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
/* The demo's counter module, as the demo app uses it (nested nodes,
 * GObject types, a template); its source is under demo/, not fixtures/,
 * and it is built with the demo (-Ddemo=true). */
static const Module counter_module = { "counter", "../../demo/counter/counter.c", "the demo", NULL, NULL };
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
  {
    g_autofree char *path = g_build_filename (g_getenv ("HOTNODE_SOURCE_ROOT"), "tests", "fixtures",
                                              fixture->module->source, NULL);

    fixture->source = g_canonicalize_filename (path, NULL);
  }
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

/* Builds the module as if its source had been saved with other content:
 * the source is compiled again. */
static char *
build_edited (Fixture        *fixture,
              HotFastBuilder *builder)
{
  g_autoptr (GHashTable) edited = hot_inputs_snapshot (fixture->inputs);

  g_hash_table_insert (edited, g_strdup (fixture->source), g_strdup ("another content"));
  return build_from (builder, edited, NULL);
}

/* Whether the fixture's module was built; the test skips when not. */
static gboolean
module_built (Fixture *fixture)
{
  g_autofree char *reason = NULL;

  if (fixture->info != NULL)
    return TRUE;
  reason = g_strdup_printf ("module %s is not built (it needs %s)", fixture->module->name,
                            fixture->module->package);
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

  second = build_edited (fixture, builder);
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
  again = build_edited (fixture, builder);
  assert_loads_and_builds (fixture, again);
  g_assert_false (g_file_test (copy, G_FILE_TEST_EXISTS));
}

static void
test_work_dir_gone (Fixture      *fixture,
                    gconstpointer data)
{
  g_autoptr (HotFastBuilder) builder = NULL;
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
  g_test_expect_message ("Hotnode", G_LOG_LEVEL_MESSAGE, "The fast path's folder * is gone or was made again*");
  again = build_edited (fixture, builder);
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

/* Writes @text over each file of the builder's folder whose name ends in
 * @suffix, or after what it holds when @append; returns how many. */
static guint
rewrite_work_files (Fixture    *fixture,
                    const char *suffix,
                    const char *text,
                    gboolean    append)
{
  g_autoptr (GDir) dir = g_dir_open (fixture->work_dir, 0, NULL);
  const char *name;
  guint       rewritten = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, suffix))
      {
        g_autofree char *path = g_build_filename (fixture->work_dir, name, NULL);
        g_autofree char *contents = NULL;
        g_autofree char *rewrite = NULL;
        g_autoptr (GError) error = NULL;

        if (append)
          {
            g_file_get_contents (path, &contents, NULL, &error);
            g_assert_no_error (error);
          }
        rewrite = g_strconcat (contents ? contents : "", text, NULL);
        g_file_set_contents (path, rewrite, -1, &error);
        g_assert_no_error (error);
        rewritten++;
      }

  return rewritten;
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
  g_assert_cmpuint (rewrite_work_files (fixture, ".prelude.h", "this is no C;\n", FALSE), ==, g_strv_length (fixture->info->sources));
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

static void
test_shorter_source (Fixture      *fixture,
                     gconstpointer data)
{
  g_autoptr (HotFastBuilder) builder = NULL;
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

  g_assert_cmpuint (rewrite_work_files (fixture, ".o.c", "\nthis is what a longer version left;\n", TRUE), >, 0);
  built = build_edited (fixture, builder);
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

/* The sections whose bytes depend on the order of the symbols in the
 * symbol tables, which is that of ld.gold's hash table of symbols and so
 * depends on how many symbols it read: the tables, their strings, the
 * relocations (by symbol index), the dynamic section and version tables
 * (by string offset); and the build ID, a digest of the whole file. */
static const char *const symbol_order_sections[] = { ".dynsym", ".dynstr", ".gnu.hash", ".hash",
                                                     ".gnu.version", ".gnu.version_d", ".gnu.version_r",
                                                     ".dynamic", ".rela.dyn", ".rela.plt", ".symtab",
                                                     ".strtab", ".note.gnu.build-id", NULL };

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

/* A line of readelf without the index of a symbol ("N:") or the info
 * word of a relocation (symbol index and type). */
static char *
summary_line (char *text)
{
  g_auto (GStrv) words = g_strsplit_set (g_strstrip (text), " ", -1);
  g_autoptr (GStrvBuilder) line = g_strv_builder_new ();
  g_auto (GStrv) joined = NULL;
  guint n = 0;

  for (guint j = 0; words[j]; j++)
    if (words[j][0] != '\0')
      {
        if (!(n == 0 && g_str_has_suffix (words[j], ":")) &&
            !(n == 1 && strlen (words[j]) == 16 && g_ascii_isxdigit (text[0]) && text[1] != 'x'))
          g_strv_builder_add (line, words[j]);
        n++;
      }
  joined = g_strv_builder_end (line);

  return g_strjoinv (" ", joined);
}

/* What of @path's symbols, relocations, dynamic section and versions
 * does not depend on the symbols' order: readelf's lines, sorted, without
 * the symbols' indexes, and without the table of each symbol's version by
 * index (the symbols' lines name their versions). */
static char *
symbols_summary (const char *path)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GPtrArray) kept = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) summary = g_string_new (NULL);

  g_autoptr (GRegex) version_table = g_regex_new ("^\\s*[0-9a-f]{3}:\\s+[0-9]+h?\\s+\\(", 0, 0, NULL);

  g_assert_true (run ((const char *[]){ "readelf", "-W", "--dyn-syms", "--syms", "-r", "-d", "-V", path, NULL }, NULL,
                      &text));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (!g_regex_match (version_table, lines[i], 0, NULL))
      g_ptr_array_add (kept, summary_line (lines[i]));
  g_ptr_array_sort (kept, compare_strings);
  for (guint i = 0; i < kept->len; i++)
    g_string_append_printf (summary, "%s\n", (char *) g_ptr_array_index (kept, i));

  return g_string_free (g_steal_pointer (&summary), FALSE);
}

/* Asserts that the libraries at @a and @b are the same: the same bytes,
 * or the same bytes but in the sections that hold the symbols in ld.gold's
 * order (symbol_order_sections), which hold the same symbols and
 * relocations. */
static void
assert_same_library (const char *a,
                     const char *b)
{
  g_autofree char *one = NULL, *two = NULL;
  g_autofree char *one_symbols = NULL, *two_symbols = NULL;
  gsize            one_len, two_len;
  const ElfW (Ehdr) * header;
  const ElfW (Shdr) * sections;
  const char *names;

  g_assert_true (g_file_get_contents (a, &one, &one_len, NULL));
  g_assert_true (g_file_get_contents (b, &two, &two_len, NULL));
  if (one_len == two_len && memcmp (one, two, one_len) == 0)
    return;

  /* The same layout: headers, section table, every other section. */
  g_assert_cmpuint (one_len, ==, two_len);
  header = (const ElfW (Ehdr) *) one;
  g_assert_cmpmem (one, header->e_phoff + header->e_phnum * sizeof (ElfW (Phdr)), two,
                   header->e_phoff + header->e_phnum * sizeof (ElfW (Phdr)));
  g_assert_cmpmem (one + header->e_shoff, header->e_shnum * sizeof (ElfW (Shdr)), two + header->e_shoff,
                   header->e_shnum * sizeof (ElfW (Shdr)));
  sections = (const ElfW (Shdr) *) (one + header->e_shoff);
  names = one + sections[header->e_shstrndx].sh_offset;
  for (guint i = 1; i < header->e_shnum; i++)
    if (sections[i].sh_type != SHT_NOBITS && !g_strv_contains (symbol_order_sections, names + sections[i].sh_name))
      g_assert_cmpmem (one + sections[i].sh_offset, sections[i].sh_size, two + sections[i].sh_offset,
                       sections[i].sh_size);

  /* The same symbols and relocations, whatever their order. */
  one_symbols = symbols_summary (a);
  two_symbols = symbols_summary (b);
  g_assert_cmpstr (one_symbols, ==, two_symbols);
}

/* Waits for the link stubs @builder is making. */
static void
wait_for_stubs (HotFastBuilder *builder)
{
  while (hot_fast_builder_making_link_stubs (builder))
    g_main_context_iteration (NULL, TRUE);
}

static void
test_link_stubs (Fixture      *fixture,
                 gconstpointer data)
{
  g_autoptr (HotFastBuilder) builder = NULL;
  g_autoptr (HotLibrary) library = NULL;
  g_autoptr (HotTable) table = hot_table_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *gold = g_find_program_in_path ("ld.gold");
  g_autofree char *tcc = g_find_program_in_path ("tcc");
  g_autofree char *output = NULL;
  g_autofree char *again = NULL;
  g_autofree char *real = NULL;
  g_autofree char *real_path = NULL;
  g_autofree char *stubs_dir = NULL;
  gsize            real_len;

  g_test_summary ("A fast build's link against stubs of the shared libraries (only the symbols the objects "
                  "name) makes the library the link against the real ones makes, byte for byte; the first "
                  "link is against the real ones while the stubs are made");

  if (!module_built (fixture))
    return;
  if (gold == NULL || tcc == NULL)
    {
      g_test_skip ("ld.gold or tcc is not installed");
      return;
    }

  builder = hot_fast_builder_new (fixture->info, HOT_FAST_PATH_TCC, fixture->inputs);
  output = build (fixture, builder);
  g_assert_false (hot_fast_builder_linked_with_stubs (builder));
  g_assert_true (g_file_get_contents (output, &real, &real_len, NULL));
  real_path = g_build_filename (fixture->private_dir, "real.so", NULL);
  g_assert_true (g_file_set_contents (real_path, real, real_len, NULL));

  wait_for_stubs (builder);
  again = build (fixture, builder);
  g_assert_true (hot_fast_builder_linked_with_stubs (builder));
  g_assert_cmpstr (again, ==, output);
  assert_same_library (real_path, again);

  /* The stubs are there, and small. */
  stubs_dir = g_build_filename (fixture->work_dir, "link-stubs", "g1", NULL);
  g_assert_true (g_file_test (stubs_dir, G_FILE_TEST_IS_DIR));

  library = hot_loader_load (fixture->loader, fixture->module->name, again, &error);
  g_assert_no_error (error);
  g_assert_true (hot_table_add_image (table, library->image, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (hot_table_get_nodes (table)->len, >, 0);
}

/* Compiles @code into @object with cc, position-independent. */
static void
compile_object (const char *dir,
                const char *code,
                const char *object)
{
  g_autofree char *source = g_strconcat (object, ".c", NULL);
  g_autofree char *flags = NULL;
  g_auto (GStrv) words = NULL;
  g_autoptr (GStrvBuilder) argv = g_strv_builder_new ();
  g_auto (GStrv) command = NULL;

  g_assert_true (g_file_set_contents (source, code, -1, NULL));
  flags = run_in (dir, (const char *[]){ "pkg-config", "--cflags", "gtk4", NULL });
  g_assert_true (g_shell_parse_argv (g_strstrip (flags), NULL, &words, NULL));
  g_strv_builder_addv (argv, (const char *[]){ "cc", "-fPIC", "-c", "-o", object, source, NULL });
  g_strv_builder_addv (argv, (const char **) words);
  command = g_strv_builder_end (argv);
  g_free (run_in (dir, (const char *const *) command));
}

/* The direct link command of the module, with @extra objects after its own. */
static GStrv
direct_link_argv (Fixture           *fixture,
                  const char        *output,
                  const char *const *extra)
{
  g_autofree char *ninja = g_find_program_in_path ("ninja");
  g_autofree char *gold = g_find_program_in_path ("ld.gold");
  g_autofree char *commands = NULL;
  g_autofree char *printed = NULL;
  g_autoptr (GHashTable) none = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GStrvBuilder) ask = g_strv_builder_new ();
  g_autoptr (GStrvBuilder) with_extra = g_strv_builder_new ();
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) link_argv = NULL;
  g_auto (GStrv) driver_argv = NULL;
  g_auto (GStrv) ask_argv = NULL;

  commands = run_in (fixture->info->build_dir, (const char *[]){ ninja, "-t", "commands", "-s", fixture->info->target, NULL });
  link_argv = hot_link_command_parse (commands, fixture->info->target, &error);
  g_assert_no_error (error);
  driver_argv = hot_link_command_argv ((const char *const *) link_argv, fixture->info->build_dir, none, none,
                                       output, NULL, TRUE);
  /* The extra objects go after -o's value, before the libraries. */
  for (guint i = 0; driver_argv[i]; i++)
    {
      g_strv_builder_add (with_extra, driver_argv[i]);
      if (i > 0 && g_str_equal (driver_argv[i - 1], "-o"))
        g_strv_builder_addv (with_extra, (const char **) extra);
    }
  g_strfreev (driver_argv);
  driver_argv = g_strv_builder_end (with_extra);
  g_strv_builder_addv (ask, (const char **) driver_argv);
  g_strv_builder_add (ask, "-###");
  ask_argv = g_strv_builder_end (ask);
  printed = run_in (fixture->info->build_dir, (const char *const *) ask_argv);

  return hot_link_command_direct ((const char *const *) driver_argv, printed, gold);
}

/* Waits for @stubs to be made, then returns the stubbed command for @argv. */
static GStrv
stubbed_argv (HotLinkStubs *stubs,
              GStrv         argv,
              const char   *cwd)
{
  GStrv stubbed = hot_link_stubs_argv (stubs, (const char *const *) argv, cwd);

  if (stubbed != NULL)
    return stubbed;
  while (hot_link_stubs_is_busy (stubs))
    g_main_context_iteration (NULL, TRUE);
  return hot_link_stubs_argv (stubs, (const char *const *) argv, cwd);
}

/* Links with @argv and with @stubbed: the same library. */
static void
assert_same_link (Fixture    *fixture,
                  GStrv       argv,
                  GStrv       stubbed,
                  const char *output)
{
  g_autofree char *real = g_strconcat (output, ".real", NULL);

  g_free (run_in (fixture->info->build_dir, (const char *const *) argv));
  g_assert_cmpint (g_rename (output, real), ==, 0);
  g_free (run_in (fixture->info->build_dir, (const char *const *) stubbed));
  assert_same_library (real, output);
}

static void
test_link_stubs_grow (Fixture      *fixture,
                      gconstpointer data)
{
  g_autofree char *gold = g_find_program_in_path ("ld.gold");
  g_autofree char *output = g_build_filename (fixture->private_dir, "lib.so", NULL);
  g_autofree char *old_object = g_build_filename (fixture->private_dir, "old.o", NULL);
  g_autofree char *new_object = g_build_filename (fixture->private_dir, "new.o", NULL);
  g_autofree char *stubs_dir = g_build_filename (fixture->private_dir, "stubs", NULL);
  g_autoptr (HotLinkStubs) stubs = NULL;
  g_autoptr (HotLibrary) library = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) argv = NULL;
  g_auto (GStrv) stubbed = NULL;

  g_test_summary ("When an object starts calling a GTK function the link stubs were not made for, the link is "
                  "against the real libraries, the stubs are made again with it, and the library linked "
                  "against them is the same, byte for byte, and loads");

  if (gold == NULL)
    {
      g_test_skip ("ld.gold is not installed");
      return;
    }

  compile_object (fixture->private_dir,
                  "#include <gtk/gtk.h>\nint hot_test_extra (GtkWidget *w) { return gtk_widget_get_width (w); }\n",
                  old_object);
  /* The same function, calling a GTK function no object of the module calls. */
  compile_object (fixture->private_dir,
                  "#include <gtk/gtk.h>\nint hot_test_extra (GtkWidget *w) { return gtk_widget_get_width (w) + "
                  "gtk_level_bar_get_inverted (GTK_LEVEL_BAR (w)); }\n",
                  new_object);

  argv = direct_link_argv (fixture, output, (const char *[]){ old_object, NULL });
  if (argv == NULL)
    {
      g_test_skip ("the build's compiler is not gcc with collect2");
      return;
    }
  stubs = hot_link_stubs_new (stubs_dir, "cc");
  stubbed = stubbed_argv (stubs, argv, fixture->info->build_dir);
  g_assert_nonnull (stubbed);
  g_assert_false (g_strv_equal ((const char *const *) stubbed, (const char *const *) argv));
  assert_same_link (fixture, argv, stubbed, output);

  /* The new object, in the old one's place: not covered by the stubs. */
  g_assert_cmpint (g_rename (new_object, old_object), ==, 0);
  g_clear_pointer (&stubbed, g_strfreev);
  stubbed = hot_link_stubs_argv (stubs, (const char *const *) argv, fixture->info->build_dir);
  g_assert_null (stubbed);
  g_assert_true (hot_link_stubs_is_busy (stubs));
  stubbed = stubbed_argv (stubs, argv, fixture->info->build_dir);
  g_assert_nonnull (stubbed);
  assert_same_link (fixture, argv, stubbed, output);

  library = hot_loader_load (fixture->loader, fixture->module->name, output, &error);
  g_assert_no_error (error);
}

static void
test_link_stubs_changed (Fixture      *fixture,
                         gconstpointer data)
{
  g_autofree char *gold = g_find_program_in_path ("ld.gold");
  g_autofree char *output = g_build_filename (fixture->private_dir, "lib.so", NULL);
  g_autofree char *stubs_dir = g_build_filename (fixture->private_dir, "stubs", NULL);
  g_autofree char *stub = NULL;
  g_autoptr (HotLinkStubs) stubs = NULL;
  g_auto (GStrv) argv = NULL;
  g_auto (GStrv) stubbed = NULL;
  g_auto (GStrv) again = NULL;

  g_test_summary ("Link stubs that were removed or changed are not used: the link is against the real "
                  "libraries until they are made again");

  if (gold == NULL)
    {
      g_test_skip ("ld.gold is not installed");
      return;
    }

  argv = direct_link_argv (fixture, output, (const char *[]){ NULL });
  if (argv == NULL)
    {
      g_test_skip ("the build's compiler is not gcc with collect2");
      return;
    }
  stubs = hot_link_stubs_new (stubs_dir, "cc");
  stubbed = stubbed_argv (stubs, argv, fixture->info->build_dir);
  g_assert_nonnull (stubbed);
  for (guint i = 0; stubbed[i] && stub == NULL; i++)
    if (g_str_has_prefix (stubbed[i], stubs_dir))
      stub = g_strdup (stubbed[i]);
  g_assert_nonnull (stub);

  g_assert_true (g_file_set_contents (stub, "not a library", -1, NULL));
  again = hot_link_stubs_argv (stubs, (const char *const *) argv, fixture->info->build_dir);
  g_assert_null (again);
  g_clear_pointer (&again, g_strfreev);
  again = stubbed_argv (stubs, argv, fixture->info->build_dir);
  g_assert_nonnull (again);
  assert_same_link (fixture, argv, again, output);
}

static void
test_link_stubs_fallback (Fixture      *fixture,
                          gconstpointer data)
{
  g_autoptr (HotFastBuilder) builder = NULL;
  g_autofree char *gold = g_find_program_in_path ("ld.gold");
  g_autofree char *tcc = g_find_program_in_path ("tcc");
  g_autofree char *output = NULL;
  g_autofree char *again = NULL;
  g_autofree char *third = NULL;
  g_autofree char *real_path = g_build_filename (fixture->private_dir, "real.so", NULL);
  g_autofree char *stubs_dir = g_build_filename (fixture->work_dir, "link-stubs", "g1", NULL);
  g_autofree char *stub = NULL;
  g_autoptr (GDir) dir = NULL;
  const char     *name;
  GStatBuf        before, after;
  struct timespec times[2];
  FILE           *file;

  g_test_summary ("A link with link stubs that fails (here a stub spoilt in place, its size and time kept) "
                  "runs again against the real libraries: the build succeeds with the same library");

  if (gold == NULL || tcc == NULL)
    {
      g_test_skip ("ld.gold or tcc is not installed");
      return;
    }

  builder = hot_fast_builder_new (fixture->info, HOT_FAST_PATH_TCC, fixture->inputs);
  output = build (fixture, builder);
  g_assert_cmpint (g_rename (output, real_path), ==, 0);
  wait_for_stubs (builder);

  /* GTK's stub (the sanitizers' libraries come first in their build). */
  dir = g_dir_open (stubs_dir, 0, NULL);
  g_assert_nonnull (dir);
  while (stub == NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, "-libgtk-4.so"))
      stub = g_build_filename (stubs_dir, name, NULL);
  g_assert_nonnull (stub);
  g_assert_cmpint (g_stat (stub, &before), ==, 0);
  file = fopen (stub, "r+");
  g_assert_nonnull (file);
  g_assert_cmpint (fwrite ("spoilt!", 1, 7, file), ==, 7);
  g_assert_cmpint (fclose (file), ==, 0);
  times[0] = before.st_atim;
  times[1] = before.st_mtim;
  g_assert_cmpint (utimensat (AT_FDCWD, stub, times, 0), ==, 0);
  g_assert_cmpint (g_stat (stub, &after), ==, 0);
  g_assert_cmpint (after.st_mtim.tv_nsec, ==, before.st_mtim.tv_nsec);
  g_assert_cmpint (after.st_size, ==, before.st_size);

  again = build (fixture, builder);
  g_assert_false (hot_fast_builder_linked_with_stubs (builder));
  assert_same_library (real_path, again);

  /* The stubs are not used again for that link command. */
  third = build (fixture, builder);
  g_assert_false (hot_fast_builder_linked_with_stubs (builder));
  g_assert_false (hot_fast_builder_making_link_stubs (builder));
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
  ADD ("/Hotnode/FastBuilder/link-stubs", &gamma_module, test_link_stubs);
  ADD ("/Hotnode/FastBuilder/link-stubs-counter", &counter_module, test_link_stubs);
  ADD ("/Hotnode/FastBuilder/link-stubs-adwaita", &adwaita_module, test_link_stubs);
  ADD ("/Hotnode/FastBuilder/link-stubs-sourceview", &sourceview_module, test_link_stubs);
  ADD ("/Hotnode/FastBuilder/link-stubs-grow", &gamma_module, test_link_stubs_grow);
  ADD ("/Hotnode/FastBuilder/link-stubs-changed", &gamma_module, test_link_stubs_changed);
  ADD ("/Hotnode/FastBuilder/link-stubs-fallback", &gamma_module, test_link_stubs_fallback);

#undef ADD

  g_test_add_func ("/Hotnode/FastBuilder/pruned-prelude", test_pruned_prelude);

  return g_test_run ();
}
