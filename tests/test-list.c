/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hot cells in a GtkGridView: the factory makes each cell a hot node whose
 * arguments hold a "slot" (a GListStore of zero or one item); bind puts the
 * item in the slot, unbind empties it, and the node's constructor shows the
 * slot's item and follows it. A reload rebuilds every visible cell, bound
 * to its item, and the selection stays; nothing holds the list items, so
 * everything is finalized with the view. */
#include "config.h"

#include <hotnode.h>

#include "test-utils.h"

#define N_ITEMS 600

static const char *next_variant;

/* The factory, as an app writes it */

static void
cell_setup (GtkSignalListItemFactory *factory,
            GtkListItem              *item)
{
  /* The slot holds the model's item, never the GtkListItem, which owns
   * the cell (and so, through the proxy, the arguments). */
  GListStore  *slot = g_list_store_new (G_TYPE_OBJECT);
  HotNodeArgs *args = hot_node_args_new ();

  hot_node_args_set_object (args, "slot", slot);
  gtk_list_item_set_child (item, hot_node_new ("alpha_cell", args));
  g_object_set_data_full (G_OBJECT (item), "hot-slot", slot, g_object_unref);
  hot_node_args_unref (args);
}

static void
cell_bind (GtkSignalListItemFactory *factory,
           GtkListItem              *item)
{
  GListStore *slot = g_object_get_data (G_OBJECT (item), "hot-slot");
  gpointer    bound[] = { gtk_list_item_get_item (item) };

  g_list_store_splice (slot, 0, g_list_model_get_n_items (G_LIST_MODEL (slot)), bound, 1);
}

static void
cell_unbind (GtkSignalListItemFactory *factory,
             GtkListItem              *item)
{
  g_list_store_remove_all (g_object_get_data (G_OBJECT (item), "hot-slot"));
}

/* The test */

static void
collect_cells (GtkWidget *widget,
               GPtrArray *cells)
{
  if (HOT_IS_NODE (widget))
    {
      g_ptr_array_add (cells, widget);
      return;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    collect_cells (child, cells);
}

/* Each cell shows "generation: item N" for the item its list item holds. */
static guint
check_cells (GPtrArray *cells,
             int        generation)
{
  guint checked = 0;

  for (guint i = 0; i < cells->len; i++)
    {
      GtkWidget       *proxy = g_ptr_array_index (cells, i);
      GtkWidget       *label = hot_node_get_child (HOT_NODE_PROXY (proxy));
      GtkListItem     *item = g_object_get_data (G_OBJECT (gtk_widget_get_parent (proxy)), "hotnode-test-item");
      g_autofree char *expected = NULL;

      if (item == NULL || gtk_list_item_get_item (item) == NULL)
        continue;
      expected = g_strdup_printf ("%d: %s", generation,
                                  gtk_string_object_get_string (gtk_list_item_get_item (item)));
      g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (label)), ==, expected);
      g_assert_cmpuint (hot_node_get_generation (HOT_NODE_PROXY (proxy)), ==,
                        generation == 0 ? 0 : hot_status_get_generation (hot_reload_lookup_status (hot_reload_get_default (), "alpha")));
      checked++;
    }

  return checked;
}

/* Notes each list item on its cell's parent (the view's row widget), to
 * find the item from a cell in check_cells (). */
static void
cell_bind_note (GtkSignalListItemFactory *factory,
                GtkListItem              *item)
{
  GtkWidget *cell = gtk_list_item_get_child (item);

  if (gtk_widget_get_parent (cell) != NULL)
    g_object_set_data (G_OBJECT (gtk_widget_get_parent (cell)), "hotnode-test-item", item);
}

static void
fill_store (GListStore *store)
{
  for (guint i = 0; i < N_ITEMS; i++)
    {
      g_autofree char *text = g_strdup_printf ("item %u", i);
      g_autoptr (GtkStringObject) object = gtk_string_object_new (text);

      g_list_store_append (store, object);
    }
}

/* The model's items are the store's alone. */
static void
assert_items_released (GListStore *store)
{
  for (guint i = 0; i < N_ITEMS; i++)
    {
      GObject *object = g_list_model_get_item (G_LIST_MODEL (store), i);

      g_assert_cmpuint (object->ref_count, ==, 2);
      g_object_unref (object);
    }
}

static void
test_grid_view (void)
{
  HotReload *service = hot_reload_get_default ();
  g_autoptr (GListStore) store = g_list_store_new (GTK_TYPE_STRING_OBJECT);
  g_autoptr (GtkSingleSelection) selection = NULL;
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  g_autoptr (GPtrArray) cells = g_ptr_array_new ();
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *scroller = gtk_scrolled_window_new ();
  GtkWidget *view;
  guint      before, after;

  g_test_summary ("A GtkGridView whose factory makes hot cells bound through their arguments: a reload rebuilds "
                  "every visible cell with its item, the selection stays, and nothing leaks or cycles");

  fill_store (store);
  selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (store)));
  gtk_single_selection_set_selected (selection, 3);

  g_signal_connect (factory, "setup", G_CALLBACK (cell_setup), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (cell_bind), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (cell_bind_note), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (cell_unbind), NULL);
  view = gtk_grid_view_new (g_object_ref (GTK_SELECTION_MODEL (selection)), g_object_ref (factory));
  gtk_grid_view_set_max_columns (GTK_GRID_VIEW (view), 6);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), view);
  gtk_window_set_child (GTK_WINDOW (window), scroller);
  gtk_window_set_default_size (GTK_WINDOW (window), 400, 300);
  gtk_window_present (GTK_WINDOW (window));
  test_wait_for_frame (window);
  test_wait_for_frame (window);

  collect_cells (view, cells);
  before = check_cells (cells, 0);
  g_test_message ("%u cells, %u bound", cells->len, before);
  g_assert_cmpuint (before, >, 6);
  g_assert_cmpuint (before, <, N_ITEMS);

  next_variant = "libalpha-gen2.so";
  hot_reload_rebuild_async (service, "alpha", NULL, test_store_result, &result);
  g_assert_true (hot_reload_rebuild_finish (service, test_wait_for_result (&result), &error));
  g_assert_no_error (error);
  test_wait_for_frame (window);

  /* Every bound cell: new code, same item. */
  g_ptr_array_set_size (cells, 0);
  collect_cells (view, cells);
  after = check_cells (cells, 2);
  g_assert_cmpuint (after, ==, before);
  g_assert_cmpuint (gtk_single_selection_get_selected (selection), ==, 3);
  g_assert_true (gtk_grid_view_get_model (GTK_GRID_VIEW (view)) == GTK_SELECTION_MODEL (selection));

  /* Scrolled: recycled cells show their new items with the new code. */
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller)),
                            gtk_adjustment_get_upper (gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller))));
  test_wait_for_frame (window);
  test_wait_for_frame (window);
  g_ptr_array_set_size (cells, 0);
  collect_cells (view, cells);
  g_assert_cmpuint (check_cells (cells, 2), >, 6);

  /* Everything goes with the view: cells, their slots and arguments; the
   * model's items are the store's alone again. */
  for (guint i = 0; i < cells->len; i++)
    g_object_add_weak_pointer (g_ptr_array_index (cells, i), &cells->pdata[i]);
  gtk_window_destroy (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  for (guint i = 0; i < cells->len; i++)
    g_assert_null (cells->pdata[i]);
  g_assert_finalize_object (g_steal_pointer (&factory));
  g_assert_finalize_object (g_steal_pointer (&selection));
  assert_items_released (store);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *private_dir = NULL;
  int              status;

  if (!test_init_hot_reload (&argc, &argv, &private_dir))
    return 0;

  hot_reload_set_rebuilder (hot_reload_get_default (), test_prebuilt_rebuilder, &next_variant, NULL);
  g_test_add_func ("/Hotnode/List/grid-view", test_grid_view);

  status = g_test_run ();
  test_remove_tree (private_dir);

  return status;
}
