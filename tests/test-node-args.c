/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <hotnode.h>

static void
test_values (void)
{
  g_autoptr (HotNodeArgs) args = hot_node_args_new ();

  g_test_summary ("Typed values round-trip; unset keys and NULL args give the default");

  hot_node_args_set_int (args, "count", 7);
  hot_node_args_set_double (args, "ratio", 0.5);
  hot_node_args_set_boolean (args, "on", TRUE);
  hot_node_args_set_string (args, "title", "Hello");

  g_assert_cmpint (hot_node_args_get_int (args, "count", -1), ==, 7);
  g_assert_cmpfloat (hot_node_args_get_double (args, "ratio", 0), ==, 0.5);
  g_assert_true (hot_node_args_get_boolean (args, "on", FALSE));
  g_assert_cmpstr (hot_node_args_get_string (args, "title", NULL), ==, "Hello");

  g_assert_cmpint (hot_node_args_get_int (args, "unset", 3), ==, 3);
  g_assert_cmpint (hot_node_args_get_int (NULL, "count", 4), ==, 4);
  g_assert_cmpstr (hot_node_args_get_string (NULL, "title", "x"), ==, "x");

  hot_node_args_set_value (args, "count", NULL);
  g_assert_cmpint (hot_node_args_get_int (args, "count", -1), ==, -1);
}

static void
test_type_mismatch (void)
{
  g_autoptr (HotNodeArgs) args = hot_node_args_new ();

  g_test_summary ("A value of another type gives the default and a warning naming the key");

  hot_node_args_set_string (args, "count", "seven");
  g_test_expect_message ("Hotnode", G_LOG_LEVEL_WARNING, "*“count”*");
  g_assert_cmpint (hot_node_args_get_int (args, "count", 9), ==, 9);
  g_test_assert_expected_messages ();
}

static void
test_objects_and_refs (void)
{
  HotNodeArgs *args = hot_node_args_new ();
  GObject     *object = g_object_new (G_TYPE_OBJECT, NULL);
  GValue       value = G_VALUE_INIT;

  g_test_summary ("Objects are held by the args; the boxed type refs and unrefs");

  g_object_add_weak_pointer (object, (gpointer *) &object);
  hot_node_args_set_object (args, "model", object);
  g_object_unref (object);
  g_assert_nonnull (object);
  g_assert_true (hot_node_args_get_object (args, "model") == object);

  g_value_init (&value, HOT_TYPE_NODE_ARGS);
  g_value_set_boxed (&value, args);
  hot_node_args_unref (args);
  g_assert_true (hot_node_args_get_object (g_value_get_boxed (&value), "model") == object);
  g_value_unset (&value);

  g_assert_null (object);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Hotnode/NodeArgs/values", test_values);
  g_test_add_func ("/Hotnode/NodeArgs/type-mismatch", test_type_mismatch);
  g_test_add_func ("/Hotnode/NodeArgs/objects", test_objects_and_refs);

  return g_test_run ();
}
