/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Two hot modules with the same name (tests/fixtures/twins): reported once;
 * the first reloads, the second's nodes stay the app's code. */
#include "config.h"

#include <hotnode.h>

#include "test-utils.h"

static void
test_same_name (void)
{
  HotReload *service;
  GtkWidget *one, *two;

  g_test_summary ("Two hot modules with one name: a warning naming both, and no mix-up");

  g_test_expect_message ("Hotnode", G_LOG_LEVEL_WARNING, "Two hot modules are named “twin”*");
  service = hot_reload_get_default ();
  g_test_assert_expected_messages ();

  g_assert_cmpuint (g_list_model_get_n_items (hot_reload_get_status (service)), ==, 1);
  one = g_object_ref_sink (hot_node_new ("twin_one", NULL));
  two = g_object_ref_sink (hot_node_new ("twin_two", NULL));
  /* One of them belongs to the module that reloads, the other to none. */
  g_assert_true ((hot_node_get_module (HOT_NODE_PROXY (one)) == NULL) !=
                 (hot_node_get_module (HOT_NODE_PROXY (two)) == NULL));

  g_assert_finalize_object (one);
  g_assert_finalize_object (two);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *private_dir = NULL;
  int              status;

  if (!test_init_hot_reload (&argc, &argv, &private_dir))
    return 0;
  g_test_add_func ("/Hotnode/Twins/same-name", test_same_name);

  status = g_test_run ();
  test_remove_tree (private_dir);

  return status;
}
