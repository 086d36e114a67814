/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "hot-node-private.h"
#include "hot-state-private.h"
#include "hot-stateful.h"

/*
 * State across a reload: before a proxy's new child replaces the old one,
 * what the user did to the old widgets is carried to their counterparts.
 *
 * What is carried, by kind (the first kind a widget is wins):
 *
 *   HotStateful            what save_state () returns
 *   GtkSpinButton          value
 *   GtkEditable            text; cursor and selection when the text is the same
 *   GtkTextView            text; cursor and selection when the text is the same
 *   GtkScrolledWindow      both adjustments' values (applied again as the new
 *                          content is laid out, for up to 10 frames)
 *   GtkRange (not a GtkScrollbar)  value
 *   GtkToggleButton, GtkCheckButton, GtkSwitch  active
 *   GtkExpander            expanded
 *   GtkStack               the visible child, by name or else by position
 *   GtkNotebook            the current page
 *   GtkPaned               position, once the user moved it (position-set)
 *   GtkListView, GtkGridView  the selection, when the new view shows the
 *                          same list model (the selection model's model);
 *                          their scroll is their scrolled window's
 *
 * plus the keyboard focus: when it was inside the old child, the old focus
 * widget's counterpart grabs it once the new child is in place.
 *
 * Which widgets are counterparts: every widget of a tree gets a key. A
 * widget with a name (gtk_widget_set_name ()) or a GtkBuildable id is keyed
 * by it ("#name", "#name~2" for the second of the same name, in tree
 * order); any other widget by its parent's key and its place among its
 * siblings of the same type ("#form/GtkEntry[1]"). Types are compared
 * without a generation's suffix (MyThing__hot3 is MyThing). The widgets
 * with the same key and type are counterparts; what finds none is said
 * with g_debug ().
 *
 * What is carried is what the user changed: each stateful widget's state is
 * recorded when its tree is first put in a proxy (what its constructor
 * made), and only the entries that differ from that record are carried.
 * So a new constructor's changed default (another initial text, page or
 * toggle) shows where the user had not changed it, and the user's input
 * wins where they had.
 *
 * A kind's leaf widgets (editables, text views, buttons, switches, list
 * views) are not walked into; proxies are walked into their child, unless
 * they opted out (hot_node_set_keep_state ()).
 */

#define INITIAL_KEY "hot-state-initial"
#define SCROLL_FRAMES 10

typedef struct
{
  GType (*get_type) (void);
  GVariant *(*save) (GtkWidget *widget);
  /* @changed: the entries that differ from the initial state; @now: the
   * whole state of @old */
  void (*restore) (GtkWidget *widget,
                   GVariant  *changed,
                   GVariant  *now,
                   GtkWidget *old);
  gboolean leaf;
} Kind;

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
static GVariant *
changed_entries (GVariant *initial,
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

static GVariant *
editable_save (GtkWidget *widget)
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
static void
editable_set_cursor (GtkEditable *editable,
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
    editable_set_cursor (editable, now);
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

static const Kind kinds[] = {
  { hot_stateful_get_type, stateful_save, stateful_restore, FALSE },
  { gtk_spin_button_get_type, spin_save, spin_restore, TRUE },
  { gtk_editable_get_type, editable_save, editable_restore, TRUE },
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

static const Kind *
kind_of (GtkWidget *widget)
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

/* Walking a tree */

typedef void (*VisitFunc) (GtkWidget  *widget,
                           const Kind *kind,
                           gpointer    data);

/* The children a walk goes into: a proxy's child only (not its overlay),
 * and none of a proxy that keeps no state. */
static GtkWidget *
first_child (GtkWidget *widget)
{
  if (HOT_IS_NODE (widget))
    return hot_node_get_keep_state (HOT_NODE_PROXY (widget)) ? hot_node_get_child (HOT_NODE_PROXY (widget)) : NULL;

  return gtk_widget_get_first_child (widget);
}

static GtkWidget *
next_sibling (GtkWidget *widget)
{
  GtkWidget *parent = gtk_widget_get_parent (widget);

  /* A proxy's child is its only one. */
  if (parent != NULL && GTK_IS_OVERLAY (parent) && HOT_IS_NODE (gtk_widget_get_parent (parent)))
    return NULL;

  return gtk_widget_get_next_sibling (widget);
}

static void
record_visit (GtkWidget  *widget,
              const Kind *kind,
              gpointer    data)
{
  if (kind != NULL && g_object_get_data (G_OBJECT (widget), INITIAL_KEY) == NULL)
    g_object_set_data_full (G_OBJECT (widget), INITIAL_KEY, kind->save (widget), (GDestroyNotify) g_variant_unref);
}

static void
walk (GtkWidget *widget,
      VisitFunc  visit,
      gpointer   data)
{
  const Kind *kind = kind_of (widget);

  visit (widget, kind, data);
  if (kind != NULL && kind->leaf)
    return;

  for (GtkWidget *child = first_child (widget); child != NULL; child = next_sibling (child))
    walk (child, visit, data);
}

/**
 * hot_state_record:
 * @root: a tree a constructor built
 *
 * Records the state each stateful widget of @root starts with (the ones
 * recorded already keep their record): what a reload compares with to know
 * what the user changed.
 */
void
hot_state_record (GtkWidget *root)
{
  walk (root, record_visit, NULL);
}

/* Keys */

typedef struct
{
  GHashTable *widgets; /* key (owned) → GtkWidget */
  GHashTable *keys;    /* GtkWidget → its key (owned by @widgets) */
  GPtrArray  *stateful;
} Tree;

static void
tree_clear (Tree *tree)
{
  g_clear_pointer (&tree->keys, g_hash_table_unref);
  g_clear_pointer (&tree->widgets, g_hash_table_unref);
  g_clear_pointer (&tree->stateful, g_ptr_array_unref);
}

/* A type's name without a generation's suffix: MyThing__hot3 is MyThing. */
static gsize
type_name_length (GtkWidget *widget)
{
  const char *name = G_OBJECT_TYPE_NAME (widget);
  const char *suffix = strstr (name, "__hot");

  return suffix ? (gsize) (suffix - name) : strlen (name);
}

static gboolean
same_type (GtkWidget *a,
           GtkWidget *b)
{
  gsize length = type_name_length (a);

  return length == type_name_length (b) && strncmp (G_OBJECT_TYPE_NAME (a), G_OBJECT_TYPE_NAME (b), length) == 0;
}

/* The name the app gave @widget, or its GtkBuildable id, or NULL. */
static const char *
given_name (GtkWidget *widget)
{
  const char *name = gtk_widget_get_name (widget);

  if (name != NULL && strcmp (name, G_OBJECT_TYPE_NAME (widget)) != 0)
    return name;

  return gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget));
}

static void
tree_add (Tree       *tree,
          GtkWidget  *widget,
          const char *parent_key,
          GHashTable *counts)
{
  const char *name = given_name (widget);
  char       *key;

  if (name != NULL)
    {
      key = g_strdup_printf ("#%s", name);
      for (guint n = 2; g_hash_table_contains (tree->widgets, key); n++)
        {
          g_free (key);
          key = g_strdup_printf ("#%s~%u", name, n);
        }
    }
  else
    {
      g_autofree char *type = g_strndup (G_OBJECT_TYPE_NAME (widget), type_name_length (widget));
      guint            index = GPOINTER_TO_UINT (g_hash_table_lookup (counts, type));

      key = g_strdup_printf ("%s/%s[%u]", parent_key, type, index);
      g_hash_table_insert (counts, g_steal_pointer (&type), GUINT_TO_POINTER (index + 1));
    }

  g_hash_table_insert (tree->widgets, key, widget);
  g_hash_table_insert (tree->keys, widget, key);
}

static void
tree_walk (Tree       *tree,
           GtkWidget  *widget,
           const char *key)
{
  const Kind *kind = kind_of (widget);
  g_autoptr (GHashTable) counts = NULL;

  if (kind != NULL)
    g_ptr_array_add (tree->stateful, widget);
  if (kind != NULL && kind->leaf)
    return;

  counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (GtkWidget *child = first_child (widget); child != NULL; child = next_sibling (child))
    {
      tree_add (tree, child, key, counts);
      tree_walk (tree, child, g_hash_table_lookup (tree->keys, child));
    }
}

static void
tree_init (Tree      *tree,
           GtkWidget *root)
{
  const char *name = given_name (root);
  char       *key = name ? g_strdup_printf ("#%s", name) : g_strdup (".");

  tree->widgets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  tree->keys = g_hash_table_new (NULL, NULL);
  tree->stateful = g_ptr_array_new ();
  g_hash_table_insert (tree->widgets, key, root);
  g_hash_table_insert (tree->keys, root, key);
  tree_walk (tree, root, key);
}

/* Carrying */

struct _HotStateCarry
{
  GtkWidget *focus;  /* the old focus widget's counterpart, held */
  GVariant  *cursor; /* its state, when it is an editable */
};

static void
carry_widget (const char *node_name,
              GtkWidget  *old,
              const char *key,
              GtkWidget  *counterpart)
{
  const Kind *kind = kind_of (old);
  g_autoptr (GVariant) now = kind->save (old);
  g_autoptr (GVariant) changed = changed_entries (g_object_get_data (G_OBJECT (old), INITIAL_KEY), now);

  if (g_variant_n_children (changed) == 0)
    return;

  if (counterpart == NULL || !same_type (old, counterpart))
    {
      g_debug ("Hot node “%s”: the state of %s (%s) is not carried: the new widgets have no %s there", node_name,
               key, G_OBJECT_TYPE_NAME (old), G_OBJECT_TYPE_NAME (old));
      return;
    }

  kind->restore (counterpart, changed, now, old);
}

/* The widget of @tree that had the focus of @root's window, or NULL. */
static GtkWidget *
find_focus (Tree      *tree,
            GtkWidget *root)
{
  GtkRoot   *window = gtk_widget_get_root (root);
  GtkWidget *focus = window ? gtk_root_get_focus (window) : NULL;

  if (focus == NULL || (focus != root && !gtk_widget_is_ancestor (focus, root)))
    return NULL;

  while (focus != NULL && !g_hash_table_contains (tree->keys, focus))
    focus = gtk_widget_get_parent (focus);

  return focus;
}

/**
 * hot_state_carry:
 * @node_name: the proxy's node, for the log
 * @old_root: the proxy's child
 * @new_root: the child about to replace it, not in a window yet
 *
 * Records the state @new_root starts with, then gives its widgets what the
 * user changed in their counterparts in @old_root. Call
 * hot_state_carry_finish() once @new_root is in place.
 *
 * Returns: (transfer full): what is left to do after the swap
 */
HotStateCarry *
hot_state_carry (const char *node_name,
                 GtkWidget  *old_root,
                 GtkWidget  *new_root)
{
  HotStateCarry *carry = g_new0 (HotStateCarry, 1);
  Tree           old_tree, new_tree;
  GtkWidget     *focus;

  hot_state_record (new_root);
  tree_init (&old_tree, old_root);
  tree_init (&new_tree, new_root);

  for (guint i = 0; i < old_tree.stateful->len; i++)
    {
      GtkWidget  *old = g_ptr_array_index (old_tree.stateful, i);
      const char *key = g_hash_table_lookup (old_tree.keys, old);

      carry_widget (node_name, old, key, g_hash_table_lookup (new_tree.widgets, key));
    }

  focus = find_focus (&old_tree, old_root);
  if (focus != NULL)
    {
      const char *key = g_hash_table_lookup (old_tree.keys, focus);
      GtkWidget  *counterpart = g_hash_table_lookup (new_tree.widgets, key);

      if (counterpart != NULL && same_type (focus, counterpart))
        carry->focus = g_object_ref (counterpart);
      else
        g_debug ("Hot node “%s”: the focus is not carried: the new widgets have no %s at %s", node_name,
                 G_OBJECT_TYPE_NAME (focus), key);
      if (carry->focus != NULL && GTK_IS_EDITABLE (focus) && !GTK_IS_SPIN_BUTTON (focus))
        carry->cursor = editable_save (focus);
    }

  tree_clear (&old_tree);
  tree_clear (&new_tree);

  return carry;
}

/**
 * hot_state_carry_finish:
 * @carry: (transfer full): what hot_state_carry() left to do
 *
 * Gives the focus to the counterpart of the widget that had it, without
 * changing its selection. Frees @carry.
 */
void
hot_state_carry_finish (HotStateCarry *carry)
{
  const char *text;

  if (carry->focus != NULL && gtk_widget_get_root (carry->focus) != NULL)
    {
      if (GTK_IS_ENTRY (carry->focus))
        gtk_entry_grab_focus_without_selecting (GTK_ENTRY (carry->focus));
      else if (GTK_IS_TEXT (carry->focus))
        gtk_text_grab_focus_without_selecting (GTK_TEXT (carry->focus));
      else
        gtk_widget_grab_focus (carry->focus);
      if (carry->cursor != NULL && g_variant_lookup (carry->cursor, "text", "&s", &text) &&
          g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (carry->focus)), text) == 0)
        editable_set_cursor (GTK_EDITABLE (carry->focus), carry->cursor);
    }

  g_clear_object (&carry->focus);
  g_clear_pointer (&carry->cursor, g_variant_unref);
  g_free (carry);
}
