/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* HOT_STATIC across reloads: the host's storage keeps its value, a static
 * new in a generation is adopted, and a static whose size or type changed,
 * or a duplicate key, refuses the load. */
#include "config.h"

#include <hotnode.h>

#include "test-alpha.h"

int alpha_get_count (void);

static void
test_static_survives (void)
{
  g_autoptr (GError) error = NULL;
  GtkWidget       *proxy = test_new_proxy ("alpha_clicks", NULL);
  int              start = alpha_get_count ();
  const char      *variants[] = { "libalpha-gen3.so", "libalpha-gen4.so", "libalpha-gen2.so" };
  g_autofree char *expected = NULL;

  g_test_summary ("A HOT_STATIC keeps its value over three reloads: new code reads and writes "
                  "the host's storage");

  for (guint i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_assert_true (test_alpha_reload (variants[i], &error));
      g_assert_no_error (error);
    }

  /* Each generation's constructor counted once, into the host's storage. */
  g_assert_cmpint (alpha_get_count (), ==, start + 3);
  expected = g_strdup_printf ("clicks %d", start + 3);
  g_assert_cmpstr (test_proxy_text (proxy), ==, expected);

  g_assert_finalize_object (proxy);
}

static void
test_static_adopted (void)
{
  g_autoptr (GError) error = NULL;
  GtkWidget *proxy;

  g_test_summary ("A static new in a generation is adopted with its initial value and survives "
                  "the next reload; a node new in a generation can be instantiated");

  g_assert_true (test_alpha_reload ("libalpha-fresh.so", &error));
  g_assert_no_error (error);

  proxy = test_new_proxy ("alpha_fresh_label", NULL);
  g_assert_cmpstr (test_proxy_text (proxy), ==, "fresh 43");
  g_assert_cmpstr (hot_node_get_module (HOT_NODE_PROXY (proxy)), ==, "alpha");

  g_assert_true (test_alpha_reload ("libalpha-fresh.so", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (test_proxy_text (proxy), ==, "fresh 44");

  g_assert_finalize_object (proxy);
}

static void
test_size_mismatch (void)
{
  g_test_summary ("A static that changed size refuses the load; the old generation stays live");
  test_alpha_assert_refused ("libalpha-size.so", HOT_RELOAD_ERROR_STATIC_SIZE);
}

static void
test_type_change (void)
{
  g_test_summary ("A static whose type changed but not its size (int to float) refuses the load with "
                  "STATIC_TYPE: its bytes are never read as another type");
  test_alpha_assert_refused ("libalpha-type.so", HOT_RELOAD_ERROR_STATIC_TYPE);
}

static void
test_duplicate_key (void)
{
  g_test_summary ("A duplicate static key refuses the load; the old generation stays live");
  test_alpha_assert_refused ("libalpha-duplicate.so", HOT_RELOAD_ERROR_DUPLICATE_KEY);
}

int
main (int   argc,
      char *argv[])
{
  if (!test_alpha_init (&argc, &argv))
    return 0;

  g_test_add_func ("/Hotnode/Reload/static-survives", test_static_survives);
  g_test_add_func ("/Hotnode/Reload/static-adopted", test_static_adopted);
  g_test_add_func ("/Hotnode/Reload/size-mismatch", test_size_mismatch);
  g_test_add_func ("/Hotnode/Reload/type-change", test_type_change);
  g_test_add_func ("/Hotnode/Reload/duplicate-key", test_duplicate_key);

  return test_alpha_run ();
}
