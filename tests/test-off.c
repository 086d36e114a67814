/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hot reload off (HOT_RELOAD unset): hot_node_new is a plain call. */
#include "config.h"

#include <hotnode.h>

#include "test-utils.h"

static void
test_plain_widget (void)
{
  g_autoptr (HotNodeArgs) args = hot_node_args_new ();
  GtkWidget *widget;

  g_test_summary ("With hot reload off, hot_node_new returns the constructor's own widget");

  hot_node_args_set_string (args, "text", "from args");
  widget = g_object_ref_sink (hot_node_new ("beta_label", args));
  g_assert_true (GTK_IS_LABEL (widget));
  g_assert_false (HOT_IS_NODE (widget));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (widget)), ==, "from args");
  g_assert_finalize_object (widget);

  widget = g_object_ref_sink (hot_node_new ("alpha_label", NULL));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (widget)), ==, "alpha generation 0");
  g_assert_finalize_object (widget);
}

static void
test_unknown_name (void)
{
  GtkWidget *widget;

  g_test_summary ("An unknown name gives a placeholder naming it, and a warning");

  g_test_expect_message ("Hotnode", G_LOG_LEVEL_WARNING, "*“no_such_node”*");
  widget = g_object_ref_sink (hot_node_new ("no_such_node", NULL));
  g_test_assert_expected_messages ();

  g_assert_true (GTK_IS_LABEL (widget));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (widget)), "no_such_node"));
  g_assert_finalize_object (widget);
}

static void
test_bad_constructor (void)
{
  GtkWidget *widget;

  g_test_summary ("A constructor whose widget already has a parent gives a placeholder, not a crash");

  g_test_expect_message ("Hotnode", G_LOG_LEVEL_WARNING, "*“beta_parented”*already has a parent*");
  widget = g_object_ref_sink (hot_node_new ("beta_parented", NULL));
  g_test_assert_expected_messages ();

  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (widget)), "beta_parented"));
  g_assert_finalize_object (widget);
}

static void
test_garbage_setting (void)
{
  if (g_test_subprocess ())
    {
      GtkWidget *widget;

      g_setenv ("HOT_RELOAD", "yes please", TRUE);
      g_test_expect_message ("Hotnode", G_LOG_LEVEL_WARNING, "HOT_RELOAD=yes please is not understood*");
      widget = g_object_ref_sink (hot_node_new ("alpha_label", NULL));
      g_test_assert_expected_messages ();
      g_assert_false (HOT_IS_NODE (widget));
      g_assert_false (hot_reload_get_enabled (hot_reload_get_default ()));
      g_assert_finalize_object (widget);
      return;
    }

  g_test_summary ("HOT_RELOAD set to something else than 1 or 0 is reported and leaves hot reload off");

  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_passed ();
}

static void
test_service_off (void)
{
  HotReload *service = hot_reload_get_default ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GAsyncResult) result = NULL;

  g_test_summary ("The service exists, is off, lists no module and refuses to rebuild");

  g_assert_false (hot_reload_get_enabled (service));
  g_assert_cmpuint (g_list_model_get_n_items (hot_reload_get_status (service)), ==, 0);

  hot_reload_rebuild_async (service, "alpha", NULL, test_store_result, &result);
  g_assert_false (hot_reload_rebuild_finish (service, test_wait_for_result (&result), &error));
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_DISABLED);
}

int
main (int   argc,
      char *argv[])
{
  g_unsetenv ("HOT_RELOAD");
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display\n");
      return 0;
    }

  g_test_add_func ("/Hotnode/Off/plain-widget", test_plain_widget);
  g_test_add_func ("/Hotnode/Off/unknown-name", test_unknown_name);
  g_test_add_func ("/Hotnode/Off/bad-constructor", test_bad_constructor);
  g_test_add_func ("/Hotnode/Off/service", test_service_off);
  g_test_add_func ("/Hotnode/Off/garbage-setting", test_garbage_setting);

  return g_test_run ();
}
