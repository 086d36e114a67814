/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "hot-node.h"
#include "hot-widget-state-kinds-private.h"
#include "hot-widget-state-private.h"

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

#define INITIAL_KEY "hot-widget-state-initial"

/* Walking a tree */

typedef void (*VisitFunc) (GtkWidget                *widget,
                           const HotWidgetStateKind *kind,
                           gpointer                  data);

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
record_visit (GtkWidget                *widget,
              const HotWidgetStateKind *kind,
              gpointer                  data)
{
  if (kind != NULL && g_object_get_data (G_OBJECT (widget), INITIAL_KEY) == NULL)
    g_object_set_data_full (G_OBJECT (widget), INITIAL_KEY, kind->save (widget), (GDestroyNotify) g_variant_unref);
}

static void
walk (GtkWidget *widget,
      VisitFunc  visit,
      gpointer   data)
{
  const HotWidgetStateKind *kind = hot_widget_state_kind_of (widget);

  visit (widget, kind, data);
  if (kind != NULL && kind->leaf)
    return;

  for (GtkWidget *child = first_child (widget); child != NULL; child = next_sibling (child))
    walk (child, visit, data);
}

/**
 * hot_widget_state_record:
 * @root: a tree a constructor built
 *
 * Records the state each stateful widget of @root starts with (the ones
 * recorded already keep their record): what a reload compares with to know
 * what the user changed.
 */
void
hot_widget_state_record (GtkWidget *root)
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
  const HotWidgetStateKind *kind = hot_widget_state_kind_of (widget);
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
  const HotWidgetStateKind *kind = hot_widget_state_kind_of (old);
  g_autoptr (GVariant) now = kind->save (old);
  g_autoptr (GVariant) changed = hot_widget_state_changed_entries (g_object_get_data (G_OBJECT (old), INITIAL_KEY), now);

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
 * hot_widget_state_carry:
 * @node_name: the proxy's node, for the log
 * @old_root: the proxy's child
 * @new_root: the child about to replace it, not in a window yet
 *
 * Records the state @new_root starts with, then gives its widgets what the
 * user changed in their counterparts in @old_root. Call
 * hot_widget_state_carry_finish() once @new_root is in place.
 *
 * Returns: (transfer full): what is left to do after the swap
 */
HotWidgetStateCarry *
hot_widget_state_carry (const char *node_name,
                        GtkWidget  *old_root,
                        GtkWidget  *new_root)
{
  HotWidgetStateCarry *carry = g_new0 (HotWidgetStateCarry, 1);
  Tree                 old_tree, new_tree;
  GtkWidget           *focus;

  hot_widget_state_record (new_root);
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
        carry->cursor = hot_widget_state_editable_save (focus);
    }

  tree_clear (&old_tree);
  tree_clear (&new_tree);

  return carry;
}

/**
 * hot_widget_state_carry_finish:
 * @carry: (transfer full): what hot_widget_state_carry() left to do
 *
 * Gives the focus to the counterpart of the widget that had it, without
 * changing its selection. Frees @carry.
 */
void
hot_widget_state_carry_finish (HotWidgetStateCarry *carry)
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
        hot_widget_state_editable_set_cursor (GTK_EDITABLE (carry->focus), carry->cursor);
    }

  g_clear_object (&carry->focus);
  g_clear_pointer (&carry->cursor, g_variant_unref);
  g_free (carry);
}
