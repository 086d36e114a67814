/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A libadwaita app's style.css: AdwApplication loads
 * `<resource base path>/style.css` from its GResource with
 * gtk_css_provider_load_from_file () on a resource:// GFile. hotnode follows
 * it back to its source file and loads that again into the same provider
 * when it is saved. A real AdwApplication, its style.css compiled into a
 * GResource by this build; the service's part (mapping a resource path to
 * its file through the build's .gresource.xml, watching it) is played by
 * the test, pixels under Xvfb. */
#include "config.h"

#include <adwaita.h>
#include <hotnode.h>

#ifndef HOT_TEST_GTK_FIRST
#include "hot-reload-private.h"
#include "hot-style-private.h"
#endif
#include "test-utils.h"

#define STYLE_RESOURCE "/org/hotnode/TestAdw/style.css"
#define RED 0xff0000
#define BLUE 0x0000ff

#ifndef HOT_TEST_GTK_FIRST
typedef struct
{
  char      *dir;
  char      *style; /* the source file of STYLE_RESOURCE */
  GPtrArray *watched;
  guint      resolved;
} Fixture;

static char *
resolve (const char *resource_path,
         gpointer    data)
{
  Fixture *fixture = data;

  if (!g_str_equal (resource_path, STYLE_RESOURCE))
    return NULL;
  fixture->resolved++;
  return g_strdup (fixture->style);
}

static void
watch (const char *file,
       gpointer    data)
{
  Fixture *fixture = data;

  g_ptr_array_add (fixture->watched, g_strdup (file));
}

static const HotStyleHooks hooks = { resolve, watch };

static void
activate (GApplication *app,
          Fixture      *fixture)
{
  GtkWidget *window = adw_application_window_new (GTK_APPLICATION (app));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);

  gtk_widget_add_css_class (box, "hot-adw-box");
  gtk_widget_set_size_request (box, 60, 60);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);
  gtk_window_present (GTK_WINDOW (window));

  /* What the GResource holds. */
  test_wait_for_frame (window);
  g_assert_cmphex (test_painted_color (box), ==, RED);
  g_assert_cmpuint (fixture->resolved, ==, 1);
  g_assert_cmpuint (fixture->watched->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->watched, 0), ==, fixture->style);

  /* Saved: the watcher says so, the same provider loads the file. */
  g_assert_true (g_file_set_contents (fixture->style, ".hot-adw-box { background-color: rgb(0,0,255); }\n", -1, NULL));
  g_assert_true (hot_style_file_changed (fixture->style));
  test_wait_for_frame (window);
  g_assert_cmphex (test_painted_color (box), ==, BLUE);

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_style_css (void)
{
  g_autoptr (AdwApplication) app = NULL;
  g_autoptr (GBytes) compiled = NULL;
  Fixture fixture = { 0 };
  guint   sheets_before;

  g_test_summary ("An AdwApplication's style.css, loaded from its GResource through a resource:// file, "
                  "is followed back to its source file and loaded again into its provider when saved");

  /* The service maps the resource path to its file through this build's
   * .gresource.xml; the test plays its part on a copy of the file. */
  {
    HotReload       *service = hot_reload_get_default ();
    g_autofree char *source = g_test_build_filename (G_TEST_DIST, "fixtures", "adw-app", "style.css", NULL);
    g_autofree char *canonical = g_canonicalize_filename (source, NULL);

    g_assert_true (hot_reload_get_enabled (service));
    g_assert_true (hot_style_loaders_interposed ());
    g_assert_nonnull (service->shared.resources);
    g_assert_cmpstr (hot_resources_lookup_file (service->shared.resources, STYLE_RESOURCE), ==, canonical);
  }

  fixture.dir = g_dir_make_tmp ("hotnode-test-adw-XXXXXX", NULL);
  fixture.style = g_build_filename (fixture.dir, "style.css", NULL);
  fixture.watched = g_ptr_array_new_with_free_func (g_free);
  compiled = g_resources_lookup_data (STYLE_RESOURCE, 0, NULL);
  g_assert_nonnull (compiled);
  g_assert_true (g_file_set_contents (fixture.style, g_bytes_get_data (compiled, NULL), g_bytes_get_size (compiled), NULL));
  hot_style_set_hooks (&hooks, &fixture);

  sheets_before = hot_style_count_sheets ();
  app = adw_application_new ("org.hotnode.TestAdw", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (activate), &fixture);
  g_assert_cmpint (g_application_run (G_APPLICATION (app), 0, NULL), ==, 0);
  g_assert_cmpuint (hot_style_count_sheets (), >, sheets_before);

  hot_style_set_hooks (NULL, NULL);
  test_remove_tree (fixture.dir);
  g_free (fixture.dir);
  g_free (fixture.style);
  g_ptr_array_unref (fixture.watched);
}

static void
test_providers_pruned (void)
{
  guint before = hot_style_count_sheets ();

  g_test_summary ("A provider that is finalized is no longer followed: its entry goes");

  for (guint i = 0; i < 100; i++)
    {
      g_autoptr (GtkCssProvider) provider = gtk_css_provider_new ();
      g_autoptr (GFile) file = g_file_new_for_uri ("resource://" STYLE_RESOURCE);

      gtk_css_provider_load_from_file (provider, file);
      g_assert_cmpuint (hot_style_count_sheets (), ==, before + 1);
    }
  g_assert_cmpuint (hot_style_count_sheets (), ==, before);
}
#endif

#ifdef HOT_TEST_GTK_FIRST
static void
test_gtk_first (void)
{
  g_test_summary ("An app linked with libadwaita and GTK before hotnode binds their calls to GTK's loaders: "
                  "the service says that style sheets are not reloaded and how to fix it");

  g_test_expect_message ("Hotnode", G_LOG_LEVEL_MESSAGE, "Style sheets loaded with*are not reloaded*");
  g_assert_true (hot_reload_get_enabled (hot_reload_get_default ()));
  g_test_assert_expected_messages ();
}
#endif

int
main (int   argc,
      char *argv[])
{
  g_autofree char *private_dir = NULL;
  int              status;

  if (!test_init_hot_reload (&argc, &argv, &private_dir))
    return 0;

#ifdef HOT_TEST_GTK_FIRST
  g_test_add_func ("/Hotnode/Adw/gtk-first", test_gtk_first);
#else
  g_test_add_func ("/Hotnode/Adw/style-css", test_style_css);
  g_test_add_func ("/Hotnode/Adw/providers-pruned", test_providers_pruned);
#endif

  status = g_test_run ();
  test_remove_tree (private_dir);

  return status;
}
