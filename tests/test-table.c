/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Section tables, static patching and the loader, on real libraries built by
 * meson from tests/fixtures and opened with dlopen. No display needed. */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hotnode.h>

#include "hot-loader-private.h"
#include "hot-table-private.h"
#include "test-utils.h"

int alpha_get_count (void);

/* Libraries whose code tests called stay loaded, as the service keeps them. */
static GPtrArray *kept_libraries;

static void
keep_loaded (HotLibrary *library)
{
  if (kept_libraries == NULL)
    kept_libraries = g_ptr_array_new ();
  g_ptr_array_add (kept_libraries, library);
}

typedef struct
{
  char      *tmp_dir;
  HotLoader *loader;
} Fixture;

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fixture->tmp_dir = g_dir_make_tmp ("hotnode-test-table-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->loader = hot_loader_new (fixture->tmp_dir, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  g_clear_object (&fixture->loader);
  test_remove_tree (fixture->tmp_dir);
  g_free (fixture->tmp_dir);
}

static HotLibrary *
load_fixture (Fixture    *fixture,
              const char *module,
              const char *file_name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "fixtures", file_name, NULL);
  g_autoptr (GError) error = NULL;
  HotLibrary *library = hot_loader_load (fixture->loader, module, path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (library);

  return library;
}

static void
test_tables_per_image (Fixture      *fixture,
                       gconstpointer data)
{
  g_autoptr (HotTable) host = hot_table_new_for_host ();
  g_autoptr (HotTable) alpha_table = hot_table_new ();
  g_autoptr (HotTable) beta_table = hot_table_new ();
  g_autoptr (HotTable) empty_table = hot_table_new ();
  g_autoptr (HotLibrary) alpha = NULL;
  g_autoptr (HotLibrary) beta = NULL;
  g_autoptr (HotLibrary) empty = NULL;
  g_autoptr (GError) error = NULL;
  const HotNodeEntry *host_entry, *module_entry;

  g_test_summary ("The executable and each module see only their own entries, "
                  "and a module without entries sees an empty table");

  /* The executable links alpha.c and alpha-state.c (seven nodes) and beta.c
   * (two): it has all their nodes. */
  g_assert_nonnull (hot_table_lookup_node (host, "alpha_label"));
  g_assert_nonnull (hot_table_lookup_node (host, "alpha_clicks"));
  g_assert_nonnull (hot_table_lookup_node (host, "beta_label"));
  g_assert_cmpuint (hot_table_get_nodes (host)->len, ==, 9);
  g_assert_cmpuint (hot_table_get_statics (host)->len, ==, 1);

  alpha = load_fixture (fixture, "alpha", "libalpha.so");
  hot_table_add_image (alpha_table, alpha->image, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hot_table_get_nodes (alpha_table)->len, ==, 7);
  g_assert_null (hot_table_lookup_node (alpha_table, "beta_label"));

  /* Same name, another image: another function. */
  host_entry = hot_table_lookup_node (host, "alpha_label");
  module_entry = hot_table_lookup_node (alpha_table, "alpha_label");
  g_assert_nonnull (module_entry);
  g_assert_true (host_entry != module_entry);
  g_assert_true (host_entry->func != module_entry->func);
  g_assert_cmpstr (host_entry->file, ==, module_entry->file);

  beta = load_fixture (fixture, "beta", "libbeta.so");
  hot_table_add_image (beta_table, beta->image, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hot_table_get_nodes (beta_table)->len, ==, 2);
  g_assert_cmpuint (hot_table_get_statics (beta_table)->len, ==, 0);
  g_assert_nonnull (hot_table_lookup_node (beta_table, "beta_label"));

  empty = load_fixture (fixture, "empty", "libempty.so");
  g_assert_null (empty->image->nodes_start);
  g_assert_null (empty->image->statics_start);
  hot_table_add_image (empty_table, empty->image, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hot_table_get_nodes (empty_table)->len, ==, 0);
  g_assert_cmpuint (hot_table_get_statics (empty_table)->len, ==, 0);
}

static void
test_static_patch (Fixture      *fixture,
                   gconstpointer data)
{
  g_autoptr (HotTable) host = hot_table_new_for_host ();
  g_autoptr (HotStaticRegistry) registry = hot_static_registry_new ();
  const HotStaticEntry *host_static;
  gpointer              host_storage;

  g_test_summary ("Each generation's statics point at the host's storage, over three reloads");

  hot_static_registry_capture (registry, host);
  host_static = g_ptr_array_index (hot_table_get_statics (host), 0);
  host_storage = *host_static->ref;
  g_assert_true (host_storage == host_static->storage);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (HotLibrary) library = load_fixture (fixture, "alpha", "libalpha.so");
      g_autoptr (HotTable) table = hot_table_new ();
      g_autoptr (GError) error = NULL;
      const HotStaticEntry *entry;

      hot_table_add_image (table, library->image, &error);
      g_assert_no_error (error);
      entry = g_ptr_array_index (hot_table_get_statics (table), 0);

      /* Before patching, the new code reads its own storage. */
      g_assert_true (*entry->ref == entry->storage);

      hot_static_registry_patch (registry, table, &error);
      g_assert_no_error (error);
      g_assert_true (*entry->ref == host_storage);

      /* A write through the new generation is the host's value. */
      *(int *) *entry->ref += 10;
      g_assert_cmpint (alpha_get_count (), ==, 10 * (i + 1));

      keep_loaded (g_steal_pointer (&library));
    }
}

static void
test_static_adopted (Fixture      *fixture,
                     gconstpointer data)
{
  g_autoptr (HotTable) host = hot_table_new_for_host ();
  g_autoptr (HotStaticRegistry) registry = hot_static_registry_new ();
  g_autoptr (GError) error = NULL;
  gpointer adopted = NULL;

  g_test_summary ("A static new in this generation is adopted and keeps its value into the next");

  hot_static_registry_capture (registry, host);

  for (guint i = 0; i < 2; i++)
    {
      HotLibrary *library = load_fixture (fixture, "alpha", "libalpha-fresh.so");
      g_autoptr (HotTable) table = hot_table_new ();
      GPtrArray            *statics;
      const HotStaticEntry *fresh = NULL;

      hot_table_add_image (table, library->image, &error);
      g_assert_no_error (error);
      hot_static_registry_patch (registry, table, &error);
      g_assert_no_error (error);

      statics = hot_table_get_statics (table);
      for (guint j = 0; j < statics->len; j++)
        if (g_str_equal (((HotStaticEntry *) g_ptr_array_index (statics, j))->name, "alpha_fresh"))
          fresh = g_ptr_array_index (statics, j);
      g_assert_nonnull (fresh);

      if (i == 0)
        {
          /* Adopted: host storage, initialised from the library's value. */
          adopted = *fresh->ref;
          g_assert_true (adopted != fresh->storage);
          g_assert_cmpint (*(int *) adopted, ==, 42);
          *(int *) adopted = 7;
        }
      else
        {
          g_assert_true (*fresh->ref == adopted);
          g_assert_cmpint (*(int *) *fresh->ref, ==, 7);
        }
      keep_loaded (library);
    }
}

static void
test_static_size_mismatch (Fixture      *fixture,
                           gconstpointer data)
{
  g_autoptr (HotTable) host = hot_table_new_for_host ();
  g_autoptr (HotStaticRegistry) registry = hot_static_registry_new ();
  g_autoptr (HotLibrary) library = NULL;
  g_autoptr (HotTable) table = hot_table_new ();
  g_autoptr (GError) error = NULL;

  g_test_summary ("A static whose size changed is refused with STATIC_SIZE and nothing is patched");

  hot_static_registry_capture (registry, host);
  library = load_fixture (fixture, "alpha", "libalpha-size.so");
  hot_table_add_image (table, library->image, &error);
  g_assert_no_error (error);

  g_assert_false (hot_static_registry_patch (registry, table, &error));
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_STATIC_SIZE);
  g_assert_nonnull (strstr (error->message, "alpha_count"));

  for (guint i = 0; i < hot_table_get_statics (table)->len; i++)
    {
      const HotStaticEntry *entry = g_ptr_array_index (hot_table_get_statics (table), i);

      g_assert_true (*entry->ref == entry->storage);
    }
}

static void
test_static_type (Fixture      *fixture,
                  gconstpointer data)
{
  g_autoptr (HotTable) host = hot_table_new_for_host ();
  g_autoptr (HotStaticRegistry) registry = hot_static_registry_new ();
  g_autoptr (HotLibrary) library = NULL;
  g_autoptr (HotTable) table = hot_table_new ();
  g_autoptr (GError) error = NULL;

  g_test_summary ("A static whose type changed to one of the same size is refused with STATIC_TYPE, "
                  "naming both types, and nothing is patched");

  hot_static_registry_capture (registry, host);
  library = load_fixture (fixture, "alpha", "libalpha-type.so");
  hot_table_add_image (table, library->image, &error);
  g_assert_no_error (error);

  g_assert_false (hot_static_registry_patch (registry, table, &error));
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_STATIC_TYPE);
  g_assert_nonnull (strstr (error->message, "alpha_count"));
  g_assert_nonnull (strstr (error->message, "“int”"));
  g_assert_nonnull (strstr (error->message, "“float”"));

  for (guint i = 0; i < hot_table_get_statics (table)->len; i++)
    {
      const HotStaticEntry *entry = g_ptr_array_index (hot_table_get_statics (table), i);

      g_assert_cmpstr (entry->type, ==, g_str_equal (entry->name, "alpha_count") ? "float" : entry->type);
      g_assert_true (*entry->ref == entry->storage);
    }
}

static gboolean
any_file (const char *file,
          gpointer    user_data)
{
  return TRUE;
}

static void
test_static_reset (Fixture      *fixture,
                   gconstpointer data)
{
  g_autoptr (HotTable) host = hot_table_new_for_host ();
  g_autoptr (HotStaticRegistry) registry = hot_static_registry_new ();
  const HotStaticEntry *entry = g_ptr_array_index (hot_table_get_statics (host), 0);
  int                  *storage = *entry->ref;
  int                   initial = *storage;

  g_test_summary ("A reset gives each static the value it had when the registry captured it");

  g_assert_cmpstr (entry->type, ==, "int");
  hot_static_registry_capture (registry, host);
  *storage = initial + 41;
  g_assert_cmpuint (hot_static_registry_reset (registry, any_file, NULL), ==, 1);
  g_assert_cmpint (*storage, ==, initial);
}

static void
test_duplicate_key (Fixture      *fixture,
                    gconstpointer data)
{
  g_autoptr (HotLibrary) library = load_fixture (fixture, "alpha", "libalpha-duplicate.so");
  g_autoptr (HotTable) table = hot_table_new ();
  g_autoptr (GError) error = NULL;

  g_test_summary ("Two statics under one key in one image are refused with DUPLICATE_KEY");

  g_assert_false (hot_table_add_image (table, library->image, &error));
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_DUPLICATE_KEY);
  g_assert_nonnull (strstr (error->message, "alpha_shared"));
  /* Nothing of the refused image is in the table. */
  g_assert_cmpuint (hot_table_get_nodes (table)->len, ==, 0);
  g_assert_cmpuint (hot_table_get_statics (table)->len, ==, 0);
}

static void
test_bad_entry (Fixture      *fixture,
                gconstpointer data)
{
  const char *const cases[][2] = {
    { "libbad-node.so", "hot_nodes" },
    { "libbad-static.so", "hot_statics" },
  };

  g_test_summary ("A table entry without a name (a node; a static, of size 0) is refused with BAD_ENTRY, "
                  "naming the table and what is missing");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (HotLibrary) library = load_fixture (fixture, "bad", cases[i][0]);
      g_autoptr (HotTable) table = hot_table_new ();
      g_autoptr (GError) error = NULL;

      g_assert_false (hot_table_add_image (table, library->image, &error));
      g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BAD_ENTRY);
      g_test_message ("%s: %s", cases[i][0], error->message);
      g_assert_nonnull (strstr (error->message, cases[i][1]));
      g_assert_nonnull (strstr (error->message, "bad-entry.c"));
      g_assert_nonnull (strstr (error->message, "has no name"));
      /* Nothing of the refused image is in the table. */
      g_assert_cmpuint (hot_table_get_nodes (table)->len, ==, 0);
      g_assert_cmpuint (hot_table_get_statics (table)->len, ==, 0);
    }
}

static void
test_abi_mismatch (void)
{
  HotImage image = { HOT_ABI_VERSION + 1, sizeof (HotImage), NULL, NULL, NULL, NULL };
  g_autoptr (GError) error = NULL;

  g_test_summary ("An image stamped with another ABI is refused");

  g_assert_false (hot_image_check_abi (&image, "libfuture.so", &error));
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_ABI);
  g_assert_nonnull (strstr (error->message, "libfuture.so"));
}

static void
test_loader_copy_unique (Fixture      *fixture,
                         gconstpointer data)
{
  g_autoptr (HotLibrary) first = load_fixture (fixture, "alpha", "libalpha.so");
  g_autoptr (HotLibrary) second = load_fixture (fixture, "alpha", "libalpha.so");
  const char *private_dir = hot_loader_get_private_dir (fixture->loader);
  struct stat st;

  g_test_summary ("Each load is a new copy in a private 0700 folder, and a new handle");

  g_assert_cmpstr (first->path, !=, second->path);
  g_assert_true (first->handle != second->handle);
  g_assert_true (first->image != second->image);
  g_assert_cmpuint (second->generation, ==, first->generation + 1);
  g_assert_true (g_str_has_prefix (first->path, private_dir));

  g_assert_cmpint (stat (private_dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpint (st.st_uid, ==, getuid ());
  g_assert_cmpint (stat (first->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0022, ==, 0);
}

static void
test_loader_errors (Fixture      *fixture,
                    gconstpointer data)
{
  g_autofree char *plain = g_test_build_filename (G_TEST_BUILT, "fixtures", "libplain.so", NULL);
  g_autofree char *missing = g_build_filename (fixture->tmp_dir, "nope.so", NULL);
  g_autofree char *text = g_build_filename (fixture->tmp_dir, "text.so", NULL);
  g_autoptr (GError) error = NULL;

  g_test_summary ("A missing file, a file that is not a library and a library that is not "
                  "a hot module give LOAD errors that name the file");

  g_assert_null (hot_loader_load (fixture->loader, "x", missing, &error));
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD);
  g_assert_nonnull (strstr (error->message, "nope.so"));
  g_clear_error (&error);

  g_file_set_contents (text, "not an ELF file", -1, &error);
  g_assert_no_error (error);
  g_assert_null (hot_loader_load (fixture->loader, "x", text, &error));
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD);
  g_clear_error (&error);

  g_assert_null (hot_loader_load (fixture->loader, "x", plain, &error));
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD);
  g_assert_nonnull (strstr (error->message, "hotnode-module-1"));
}

static void
test_loader_private_dir (Fixture      *fixture,
                         gconstpointer data)
{
  g_autofree char *base = g_build_filename (fixture->tmp_dir, "base", NULL);
  g_autofree char *alive = g_strdup_printf ("%s/run-%d-abcdef", base, (int) getppid ());
  g_autofree char *stale = NULL;
  g_autofree char *stale_file = NULL;
  g_autofree char *ours = NULL;
  g_autoptr (HotLoader) loader = NULL;
  g_autoptr (GSubprocess) killed = NULL;
  g_autoptr (GError) error = NULL;

  g_test_summary ("Folders of processes that were killed are removed, those of live ones "
                  "kept; an open folder is refused");

  /* A process that had a private folder, killed. */
  killed = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "sleep", "60", NULL);
  g_assert_no_error (error);
  stale = g_strdup_printf ("%s/run-%s-abcdef", base, g_subprocess_get_identifier (killed));
  stale_file = g_build_filename (stale, "alpha-1.so", NULL);
  g_subprocess_force_exit (killed);
  g_subprocess_wait (killed, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpint (g_mkdir_with_parents (alive, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (stale, 0700), ==, 0);
  g_assert_cmpint (chmod (base, 0700), ==, 0);
  g_file_set_contents (stale_file, "old", -1, &error);
  g_assert_no_error (error);
  /* The marker hotnode writes in its folders (only those are removed). */
  {
    g_autofree char *marker = g_build_filename (stale, "hotnode-run", NULL);

    g_file_set_contents (marker, "", -1, &error);
    g_assert_no_error (error);
  }

  loader = hot_loader_new (base, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_test (stale, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (alive, G_FILE_TEST_IS_DIR));
  ours = g_strdup (hot_loader_get_private_dir (loader));
  g_assert_true (g_file_test (ours, G_FILE_TEST_IS_DIR));
  g_clear_object (&loader);

  g_assert_cmpint (chmod (base, 0755), ==, 0);
  loader = hot_loader_new (base, &error);
  g_assert_null (loader);
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_PRIVATE_DIR);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/Hotnode/Table/per-image", test_tables_per_image);
  ADD ("/Hotnode/Table/static-patch", test_static_patch);
  ADD ("/Hotnode/Table/static-adopted", test_static_adopted);
  ADD ("/Hotnode/Table/static-size-mismatch", test_static_size_mismatch);
  ADD ("/Hotnode/Table/static-type", test_static_type);
  ADD ("/Hotnode/Table/static-reset", test_static_reset);
  ADD ("/Hotnode/Table/duplicate-key", test_duplicate_key);
  ADD ("/Hotnode/Table/bad-entry", test_bad_entry);
  g_test_add_func ("/Hotnode/Table/abi-mismatch", test_abi_mismatch);
  ADD ("/Hotnode/Loader/copy-unique", test_loader_copy_unique);
  ADD ("/Hotnode/Loader/errors", test_loader_errors);
  ADD ("/Hotnode/Loader/private-dir", test_loader_private_dir);

#undef ADD

  return g_test_run ();
}
