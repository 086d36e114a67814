/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hot-widget-state-kinds-private.h"
#include "hot-stateful.h"

/*
 * The kinds of widgets whose state a reload carries (see the table at the
 * top of hot-widget-state.c): how each saves its state as a dictionary and gives
 * the changed entries to its counterpart.
 */

#define SCROLL_FRAMES 10

/* Dictionaries */

static GVariant *
dict_end (GVariantDict *dict)
{
  return g_variant_ref_sink (g_variant_dict_end (dict));
}

static gboolean
has_key (GVariant   *dict,
         const char *key)
{
  g_autoptr (GVariant) value = g_variant_lookup_value (dict, key, NULL);

  return value != NULL;
}

/* The entries of @now that @initial does not have with the same value. */
GVariant *
hot_widget_state_changed_entries (GVariant *initial,
                                  GVariant *now)
{
  GVariantDict dict;
  GVariantIter iter;
  const char  *key;
  GVariant    *value;

  g_variant_dict_init (&dict, NULL);
  g_variant_iter_init (&iter, now);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autoptr (GVariant) before = initial ? g_variant_lookup_value (initial, key, NULL) : NULL;

      if (before == NULL || !g_variant_equal (before, value))
        g_variant_dict_insert_value (&dict, key, value);
      g_variant_unref (value);
    }

  return dict_end (&dict);
}

/* Kinds */

static GVariant *
stateful_save (GtkWidget *widget)
{
  g_autoptr (GVariant) state = hot_stateful_save_state (HOT_STATEFUL (widget));
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  if (state != NULL)
    g_variant_dict_insert_value (&dict, "state", state);

  return dict_end (&dict);
}

static void
stateful_restore (GtkWidget *widget,
                  GVariant  *changed,
                  GVariant  *now,
                  GtkWidget *old)
{
  g_autoptr (GVariant) state = g_variant_lookup_value (changed, "state", NULL);

  if (state != NULL)
    hot_stateful_restore_state (HOT_STATEFUL (widget), state);
}

static GVariant *
spin_save (GtkWidget *widget)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "value", "d", gtk_spin_button_get_value (GTK_SPIN_BUTTON (widget)));

  return dict_end (&dict);
}

static void
spin_restore (GtkWidget *widget,
              GVariant  *changed,
              GVariant  *now,
              GtkWidget *old)
{
  double value;

  if (g_variant_lookup (changed, "value", "d", &value))
    gtk_spin_button_set_value (GTK_SPIN_BUTTON (widget), value);
}

GVariant *
hot_widget_state_editable_save (GtkWidget *widget)
{
  GtkEditable *editable = GTK_EDITABLE (widget);
  int          position = gtk_editable_get_position (editable);
  int          start = position, end = position;
  GVariantDict dict;

  gtk_editable_get_selection_bounds (editable, &start, &end);
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "text", "s", gtk_editable_get_text (editable));
  g_variant_dict_insert (&dict, "cursor", "(iii)", position, start, end);

  return dict_end (&dict);
}

/* The cursor and the selection, the selection bound where it was. */
void
hot_widget_state_editable_set_cursor (GtkEditable *editable,
                                      GVariant    *now)
{
  int position, start, end;

  if (!g_variant_lookup (now, "cursor", "(iii)", &position, &start, &end))
    return;

  if (start == end)
    gtk_editable_set_position (editable, position);
  else
    gtk_editable_select_region (editable, position == start ? end : start, position);
}

static void
editable_restore (GtkWidget *widget,
                  GVariant  *changed,
                  GVariant  *now,
                  GtkWidget *old)
{
  GtkEditable *editable = GTK_EDITABLE (widget);
  const char  *text;

  if (g_variant_lookup (changed, "text", "&s", &text))
    gtk_editable_set_text (editable, text);
  if (has_key (changed, "cursor") && g_variant_lookup (now, "text", "&s", &text) &&
      g_strcmp0 (gtk_editable_get_text (editable), text) == 0)
    hot_widget_state_editable_set_cursor (editable, now);
}

static GVariant *
text_view_save (GtkWidget *widget)
{
  GtkTextBuffer   *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (widget));
  GtkTextIter      start, end, insert, bound;
  g_autofree char *text = NULL;
  GVariantDict     dict;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, TRUE);
  gtk_text_buffer_get_iter_at_mark (buffer, &insert, gtk_text_buffer_get_insert (buffer));
  gtk_text_buffer_get_iter_at_mark (buffer, &bound, gtk_text_buffer_get_selection_bound (buffer));
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "text", "s", text);
  g_variant_dict_insert (&dict, "cursor", "(ii)", gtk_text_iter_get_offset (&insert),
                         gtk_text_iter_get_offset (&bound));

  return dict_end (&dict);
}

static void
text_view_restore (GtkWidget *widget,
                   GVariant  *changed,
                   GVariant  *now,
                   GtkWidget *old)
{
  GtkTextBuffer   *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (widget));
  GtkTextBuffer   *old_buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (old));
  GtkTextIter      start, end, insert, bound;
  g_autofree char *text = NULL;
  const char      *old_text;
  int              insert_offset, bound_offset;

  /* A buffer of the app's, shared by both: nothing to carry. */
  if (buffer == old_buffer)
    return;

  if (g_variant_lookup (changed, "text", "&s", &old_text))
    gtk_text_buffer_set_text (buffer, old_text, -1);
  if (!has_key (changed, "cursor") || !g_variant_lookup (now, "text", "&s", &old_text))
    return;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, TRUE);
  if (g_strcmp0 (text, old_text) != 0 || !g_variant_lookup (now, "cursor", "(ii)", &insert_offset, &bound_offset))
    return;
  gtk_text_buffer_get_iter_at_offset (buffer, &insert, insert_offset);
  gtk_text_buffer_get_iter_at_offset (buffer, &bound, bound_offset);
  gtk_text_buffer_select_range (buffer, &insert, &bound);
}

/* Scrolling: the new content has no size before it is laid out, and a
 * list resets a value set while it configures its adjustment. The value is
 * set at the start of each frame until the adjustment can hold it, for up
 * to SCROLL_FRAMES frames. */
typedef struct
{
  GtkAdjustment *adjustment;
  double         target;
  guint          frames;
} Scroll;

static void
scroll_free (gpointer data)
{
  Scroll *scroll = data;

  g_object_unref (scroll->adjustment);
  g_free (scroll);
}

static gboolean
scroll_tick (GtkWidget     *widget,
             GdkFrameClock *clock,
             gpointer       data)
{
  Scroll *scroll = data;
  double  room = gtk_adjustment_get_upper (scroll->adjustment) - gtk_adjustment_get_page_size (scroll->adjustment);

  if (room < scroll->target && ++scroll->frames < SCROLL_FRAMES)
    return G_SOURCE_CONTINUE;

  gtk_adjustment_set_value (scroll->adjustment, scroll->target);
  return G_SOURCE_REMOVE;
}

static void
scroll_later (GtkWidget     *widget,
              GtkAdjustment *adjustment,
              double         target)
{
  Scroll *scroll = g_new0 (Scroll, 1);

  scroll->adjustment = g_object_ref (adjustment);
  scroll->target = target;
  gtk_widget_add_tick_callback (widget, scroll_tick, scroll, scroll_free);
}

static GVariant *
scrolled_save (GtkWidget *widget)
{
  GtkScrolledWindow *scrolled = GTK_SCROLLED_WINDOW (widget);
  GVariantDict       dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "hadjustment", "d",
                         gtk_adjustment_get_value (gtk_scrolled_window_get_hadjustment (scrolled)));
  g_variant_dict_insert (&dict, "vadjustment", "d",
                         gtk_adjustment_get_value (gtk_scrolled_window_get_vadjustment (scrolled)));

  return dict_end (&dict);
}

static void
scrolled_restore (GtkWidget *widget,
                  GVariant  *changed,
                  GVariant  *now,
                  GtkWidget *old)
{
  GtkScrolledWindow *scrolled = GTK_SCROLLED_WINDOW (widget);
  double             value;

  if (g_variant_lookup (changed, "hadjustment", "d", &value))
    scroll_later (widget, gtk_scrolled_window_get_hadjustment (scrolled), value);
  if (g_variant_lookup (changed, "vadjustment", "d", &value))
    scroll_later (widget, gtk_scrolled_window_get_vadjustment (scrolled), value);
}

static GVariant *
range_save (GtkWidget *widget)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "value", "d", gtk_range_get_value (GTK_RANGE (widget)));

  return dict_end (&dict);
}

static void
range_restore (GtkWidget *widget,
               GVariant  *changed,
               GVariant  *now,
               GtkWidget *old)
{
  double value;

  if (g_variant_lookup (changed, "value", "d", &value))
    gtk_range_set_value (GTK_RANGE (widget), value);
}

/* Toggles, switches and expanders: one boolean property. */
static const char *
boolean_property (GtkWidget *widget)
{
  return GTK_IS_EXPANDER (widget) ? "expanded" : "active";
}

static GVariant *
boolean_save (GtkWidget *widget)
{
  GVariantDict dict;
  gboolean     value;

  g_object_get (widget, boolean_property (widget), &value, NULL);
  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, boolean_property (widget), "b", value);

  return dict_end (&dict);
}

static void
boolean_restore (GtkWidget *widget,
                 GVariant  *changed,
                 GVariant  *now,
                 GtkWidget *old)
{
  gboolean value;

  if (g_variant_lookup (changed, boolean_property (widget), "b", &value))
    g_object_set (widget, boolean_property (widget), value, NULL);
}

static GVariant *
stack_save (GtkWidget *widget)
{
  GtkStack    *stack = GTK_STACK (widget);
  GtkWidget   *visible = gtk_stack_get_visible_child (stack);
  const char  *name = gtk_stack_get_visible_child_name (stack);
  GVariantDict dict;
  guint        index = 0;

  g_variant_dict_init (&dict, NULL);
  if (name != NULL)
    g_variant_dict_insert (&dict, "page", "s", name);
  else if (visible != NULL)
    {
      for (GtkWidget *child = gtk_widget_get_first_child (widget); child && child != visible;
           child = gtk_widget_get_next_sibling (child))
        index++;
      g_variant_dict_insert (&dict, "index", "u", index);
    }

  return dict_end (&dict);
}

static void
stack_restore (GtkWidget *widget,
               GVariant  *changed,
               GVariant  *now,
               GtkWidget *old)
{
  GtkStack   *stack = GTK_STACK (widget);
  const char *name;
  guint       index;

  if (g_variant_lookup (changed, "page", "&s", &name) && gtk_stack_get_child_by_name (stack, name) != NULL)
    gtk_stack_set_visible_child_name (stack, name);
  else if (g_variant_lookup (changed, "index", "u", &index))
    {
      GtkWidget *child = gtk_widget_get_first_child (widget);

      for (; child != NULL && index > 0; index--)
        child = gtk_widget_get_next_sibling (child);
      if (child != NULL)
        gtk_stack_set_visible_child (stack, child);
    }
}

static GVariant *
notebook_save (GtkWidget *widget)
{
  GVariantDict dict;

  g_variant_dict_init (&dict, NULL);
  g_variant_dict_insert (&dict, "page", "i", gtk_notebook_get_current_page (GTK_NOTEBOOK (widget)));

  return dict_end (&dict);
}

static void
notebook_set_page (GtkNotebook *notebook,
                   int          page)
{
  if (page < gtk_notebook_get_n_pages (notebook))
    gtk_notebook_set_current_page (notebook, page);
}

static void
notebook_rooted (GtkWidget  *widget,
                 GParamSpec *pspec,
                 gpointer    page)
{
  if (gtk_widget_get_root (widget) == NULL)
    return;

  g_signal_handlers_disconnect_by_func (widget, notebook_rooted, page);
  notebook_set_page (GTK_NOTEBOOK (widget), GPOINTER_TO_INT (page));
}

static void
notebook_restore (GtkWidget *widget,
                  GVariant  *changed,
                  GVariant  *now,
                  GtkWidget *old)
{
  int page;

  if (!g_variant_lookup (changed, "page", "i", &page))
    return;

  /* GTK 4.8's notebook asks its root for the focus when it switches
   * pages: it switches once it is in the window. */
  if (gtk_widget_get_root (widget) == NULL)
    g_signal_connect (widget, "notify::root", G_CALLBACK (notebook_rooted), GINT_TO_POINTER (page));
  else
    notebook_set_page (GTK_NOTEBOOK (widget), page);
}

static GVariant *
paned_save (GtkWidget *widget)
{
  GVariantDict dict;
  gboolean     position_set;

  g_object_get (widget, "position-set", &position_set, NULL);
  g_variant_dict_init (&dict, NULL);
  if (position_set)
    g_variant_dict_insert (&dict, "position", "i", gtk_paned_get_position (GTK_PANED (widget)));

  return dict_end (&dict);
}

static void
paned_restore (GtkWidget *widget,
               GVariant  *changed,
               GVariant  *now,
               GtkWidget *old)
{
  int position;

  if (g_variant_lookup (changed, "position", "i", &position))
    gtk_paned_set_position (GTK_PANED (widget), position);
}

/* The list model a list or grid view shows, under its selection model. */
static GtkSelectionModel *
view_get_selection (GtkWidget *widget)
{
  return GTK_IS_LIST_VIEW (widget) ? gtk_list_view_get_model (GTK_LIST_VIEW (widget))
                                   : gtk_grid_view_get_model (GTK_GRID_VIEW (widget));
}

static GListModel *
view_get_items (GtkWidget *widget)
{
  GtkSelectionModel *selection = view_get_selection (widget);

  if (GTK_IS_SINGLE_SELECTION (selection))
    return gtk_single_selection_get_model (GTK_SINGLE_SELECTION (selection));
  if (GTK_IS_MULTI_SELECTION (selection))
    return gtk_multi_selection_get_model (GTK_MULTI_SELECTION (selection));
  if (GTK_IS_NO_SELECTION (selection))
    return gtk_no_selection_get_model (GTK_NO_SELECTION (selection));
  return G_LIST_MODEL (selection);
}

static GVariant *
view_save (GtkWidget *widget)
{
  GtkSelectionModel *selection = view_get_selection (widget);
  GVariantDict       dict;
  GVariantBuilder    positions;

  g_variant_dict_init (&dict, NULL);
  if (selection == NULL)
    return dict_end (&dict);

  {
    g_autoptr (GtkBitset) selected = gtk_selection_model_get_selection (selection);
    GtkBitsetIter iter;
    guint         position;

    g_variant_builder_init (&positions, G_VARIANT_TYPE ("au"));
    for (gboolean more = gtk_bitset_iter_init_first (&iter, selected, &position); more;
         more = gtk_bitset_iter_next (&iter, &position))
      g_variant_builder_add (&positions, "u", position);
  }
  g_variant_dict_insert (&dict, "selection", "au", &positions);

  return dict_end (&dict);
}

static void
view_restore (GtkWidget *widget,
              GVariant  *changed,
              GVariant  *now,
              GtkWidget *old)
{
  GtkSelectionModel *selection = view_get_selection (widget);
  g_autoptr (GVariant) positions = g_variant_lookup_value (changed, "selection", G_VARIANT_TYPE ("au"));
  g_autoptr (GtkBitset) selected = gtk_bitset_new_empty ();
  g_autoptr (GtkBitset) mask = NULL;
  const guint32 *items;
  gsize          n;

  /* Only over the same items, and not when the selection is shared. */
  if (positions == NULL || selection == NULL || selection == view_get_selection (old) ||
      view_get_items (widget) != view_get_items (old))
    return;

  items = g_variant_get_fixed_array (positions, &n, sizeof (guint32));
  if (GTK_IS_SINGLE_SELECTION (selection))
    {
      gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (selection),
                                         n > 0 ? items[0] : GTK_INVALID_LIST_POSITION);
      return;
    }

  for (gsize i = 0; i < n; i++)
    gtk_bitset_add (selected, items[i]);
  mask = gtk_bitset_new_range (0, g_list_model_get_n_items (G_LIST_MODEL (selection)));
  gtk_selection_model_set_selection (selection, selected, mask);
}

static GType
range_get_type (void)
{
  return GTK_TYPE_RANGE;
}

static const HotWidgetStateKind kinds[] = {
  { hot_stateful_get_type, stateful_save, stateful_restore, FALSE },
  { gtk_spin_button_get_type, spin_save, spin_restore, TRUE },
  { gtk_editable_get_type, hot_widget_state_editable_save, editable_restore, TRUE },
  { gtk_text_view_get_type, text_view_save, text_view_restore, TRUE },
  { gtk_scrolled_window_get_type, scrolled_save, scrolled_restore, FALSE },
  { range_get_type, range_save, range_restore, TRUE },
  { gtk_toggle_button_get_type, boolean_save, boolean_restore, TRUE },
  { gtk_check_button_get_type, boolean_save, boolean_restore, TRUE },
  { gtk_switch_get_type, boolean_save, boolean_restore, TRUE },
  { gtk_expander_get_type, boolean_save, boolean_restore, FALSE },
  { gtk_stack_get_type, stack_save, stack_restore, FALSE },
  { gtk_notebook_get_type, notebook_save, notebook_restore, FALSE },
  { gtk_paned_get_type, paned_save, paned_restore, FALSE },
  { gtk_list_view_get_type, view_save, view_restore, TRUE },
  { gtk_grid_view_get_type, view_save, view_restore, TRUE },
};

const HotWidgetStateKind *
hot_widget_state_kind_of (GtkWidget *widget)
{
  GType type = G_OBJECT_TYPE (widget);

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_type_is_a (type, kinds[i].get_type ()))
      {
        /* A scrollbar's adjustment is someone else's. */
        if (kinds[i].save == range_save && GTK_IS_SCROLLBAR (widget))
          return NULL;
        return &kinds[i];
      }

  return NULL;
}
