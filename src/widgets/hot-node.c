/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hot-node-private.h"

/**
 * HotNode:
 *
 * The proxy widget [ctor@Hot.Node.new] returns when hot reload is on. It holds
 * one child, the widget its node's constructor built, and swaps it in place
 * when the node's module is reloaded. It lays its child out as #AdwBin does
 * and adds nothing to the accessibility tree.
 *
 * A proxy knows its node's name, module and arguments; it knows nothing of
 * builds. [class@Hot.Reload] re-instantiates it.
 *
 * ## CSS nodes
 *
 * `HotNode` has a single CSS node with name `hotnode`.
 *
 * Since: 0.1
 */

struct _HotNode
{
  GtkWidget parent_instance;

  char        *node_name;
  char        *module;
  HotNodeArgs *args;
  GtkWidget   *layers; /* GtkOverlay holding the child */
  GtkWidget   *child;
  guint        generation;
  gboolean     keep_state;
};

G_DEFINE_FINAL_TYPE (HotNode, hot_node, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_NODE_NAME,
  PROP_MODULE,
  PROP_ARGS,
  PROP_CHILD,
  PROP_GENERATION,
  PROP_KEEP_STATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
hot_node_dispose (GObject *object)
{
  HotNode *self = HOT_NODE_PROXY (object);

  self->child = NULL;
  g_clear_pointer (&self->layers, gtk_widget_unparent);

  G_OBJECT_CLASS (hot_node_parent_class)->dispose (object);
}

static void
hot_node_finalize (GObject *object)
{
  HotNode *self = HOT_NODE_PROXY (object);

  g_free (self->node_name);
  g_free (self->module);
  g_clear_pointer (&self->args, hot_node_args_unref);

  G_OBJECT_CLASS (hot_node_parent_class)->finalize (object);
}

static void
hot_node_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  HotNode *self = HOT_NODE_PROXY (object);

  switch (prop_id)
    {
    case PROP_NODE_NAME:
      g_value_set_string (value, self->node_name);
      break;
    case PROP_MODULE:
      g_value_set_string (value, self->module);
      break;
    case PROP_ARGS:
      g_value_set_boxed (value, self->args);
      break;
    case PROP_CHILD:
      g_value_set_object (value, self->child);
      break;
    case PROP_GENERATION:
      g_value_set_uint (value, self->generation);
      break;
    case PROP_KEEP_STATE:
      g_value_set_boolean (value, self->keep_state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hot_node_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  HotNode *self = HOT_NODE_PROXY (object);

  switch (prop_id)
    {
    case PROP_NODE_NAME:
      self->node_name = g_value_dup_string (value);
      break;
    case PROP_ARGS:
      self->args = g_value_dup_boxed (value);
      break;
    case PROP_KEEP_STATE:
      hot_node_set_keep_state (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hot_node_compute_expand (GtkWidget *widget,
                         gboolean  *hexpand,
                         gboolean  *vexpand)
{
  HotNode *self = HOT_NODE_PROXY (widget);

  *hexpand = self->child && gtk_widget_compute_expand (self->child, GTK_ORIENTATION_HORIZONTAL);
  *vexpand = self->child && gtk_widget_compute_expand (self->child, GTK_ORIENTATION_VERTICAL);
}

static void
hot_node_class_init (HotNodeClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hot_node_dispose;
  object_class->finalize = hot_node_finalize;
  object_class->get_property = hot_node_get_property;
  object_class->set_property = hot_node_set_property;

  widget_class->compute_expand = hot_node_compute_expand;

  /**
   * HotNode:node-name:
   *
   * The name of the node, as given to HOT_NODE() and [ctor@Hot.Node.new].
   *
   * Since: 0.1
   */
  properties[PROP_NODE_NAME] =
      g_param_spec_string ("node-name", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * HotNode:module:
   *
   * The hot module the node is defined in, or %NULL when it is in none (or
   * in no module yet: then every reload looks for it again).
   *
   * Since: 0.1
   */
  properties[PROP_MODULE] =
      g_param_spec_string ("module", NULL, NULL, NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * HotNode:args:
   *
   * The arguments every generation of the constructor gets.
   *
   * Since: 0.1
   */
  properties[PROP_ARGS] =
      g_param_spec_boxed ("args", NULL, NULL, HOT_TYPE_NODE_ARGS,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * HotNode:child:
   *
   * The widget the constructor built.
   *
   * Since: 0.1
   */
  properties[PROP_CHILD] =
      g_param_spec_object ("child", NULL, NULL, GTK_TYPE_WIDGET,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * HotNode:generation:
   *
   * The generation of the module that built the child; 0 for the
   * executable's own code.
   *
   * Since: 0.1
   */
  properties[PROP_GENERATION] =
      g_param_spec_uint ("generation", NULL, NULL, 0, G_MAXUINT, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * HotNode:keep-state:
   *
   * Whether a reload carries what the user changed in the old child (text,
   * toggles, scroll positions, pages, the focus, …) to the new one. On by
   * default; turn it off for a node that must start afresh at each reload.
   *
   * Since: 0.1
   */
  properties[PROP_KEEP_STATE] =
      g_param_spec_boolean ("keep-state", NULL, NULL, TRUE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "hotnode");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GENERIC);
}

static void
hot_node_init (HotNode *self)
{
  self->keep_state = TRUE;
  self->layers = gtk_overlay_new ();
  gtk_widget_set_parent (self->layers, GTK_WIDGET (self));
}

HotNode *
hot_node_new_proxy (const char  *name,
                    const char  *module,
                    HotNodeArgs *args)
{
  HotNode *self = g_object_new (HOT_TYPE_NODE,
                                "node-name", name,
                                "args", args,
                                NULL);

  self->module = g_strdup (module);

  return self;
}

void
hot_node_set_module (HotNode    *self,
                     const char *module)
{
  g_assert (HOT_IS_NODE (self));

  if (g_strcmp0 (self->module, module) == 0)
    return;

  g_free (self->module);
  self->module = g_strdup (module);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODULE]);
}

/* Swaps the child in place. The old child is unparented: it goes away unless
 * something else holds it. */
void
hot_node_set_child (HotNode   *self,
                    GtkWidget *child,
                    guint      generation)
{
  g_assert (HOT_IS_NODE (self));
  g_assert (GTK_IS_WIDGET (child));
  g_assert (gtk_widget_get_parent (child) == NULL);

  g_object_freeze_notify (G_OBJECT (self));

  self->child = child;
  gtk_overlay_set_child (GTK_OVERLAY (self->layers), child);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHILD]);

  if (self->generation != generation)
    {
      self->generation = generation;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GENERATION]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

/**
 * hot_node_get_node_name:
 * @self: a proxy
 *
 * Gets the node's name.
 *
 * Returns: the node's name
 *
 * Since: 0.1
 */
const char *
hot_node_get_node_name (HotNode *self)
{
  g_return_val_if_fail (HOT_IS_NODE (self), NULL);

  return self->node_name;
}

/**
 * hot_node_get_module:
 * @self: a proxy
 *
 * Gets the module the node is defined in.
 *
 * Returns: (nullable): the module the node is defined in
 *
 * Since: 0.1
 */
const char *
hot_node_get_module (HotNode *self)
{
  g_return_val_if_fail (HOT_IS_NODE (self), NULL);

  return self->module;
}

/**
 * hot_node_get_args:
 * @self: a proxy
 *
 * Gets the node's arguments.
 *
 * Returns: (transfer none) (nullable): the node's arguments
 *
 * Since: 0.1
 */
HotNodeArgs *
hot_node_get_args (HotNode *self)
{
  g_return_val_if_fail (HOT_IS_NODE (self), NULL);

  return self->args;
}

/**
 * hot_node_get_child:
 * @self: a proxy
 *
 * Gets the widget the constructor built.
 *
 * Returns: (transfer none) (nullable): the widget the constructor built
 *
 * Since: 0.1
 */
GtkWidget *
hot_node_get_child (HotNode *self)
{
  g_return_val_if_fail (HOT_IS_NODE (self), NULL);

  return self->child;
}

/**
 * hot_node_get_generation:
 * @self: a proxy
 *
 * Gets the generation that built the child; 0 for the executable's code.
 *
 * Returns: the generation that built the child; 0 for the executable's code
 *
 * Since: 0.1
 */
guint
hot_node_get_generation (HotNode *self)
{
  g_return_val_if_fail (HOT_IS_NODE (self), 0);

  return self->generation;
}

/**
 * hot_node_get_keep_state:
 * @self: a proxy
 *
 * Gets [property@Hot.Node:keep-state].
 *
 * Returns: whether a reload carries the user's changes to the new child
 *
 * Since: 0.1
 */
gboolean
hot_node_get_keep_state (HotNode *self)
{
  g_return_val_if_fail (HOT_IS_NODE (self), FALSE);

  return self->keep_state;
}

/**
 * hot_node_set_keep_state:
 * @self: a proxy
 * @keep_state: whether a reload carries the user's changes
 *
 * Sets [property@Hot.Node:keep-state]. A proxy that keeps no state is not
 * walked into when an outer node carries its own state either.
 *
 * Since: 0.1
 */
void
hot_node_set_keep_state (HotNode *self,
                         gboolean keep_state)
{
  g_return_if_fail (HOT_IS_NODE (self));

  keep_state = !!keep_state;
  if (self->keep_state == keep_state)
    return;

  self->keep_state = keep_state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEEP_STATE]);
}

static void
owned_source_finalized (gpointer data,
                        GObject *where_the_object_was)
{
  GSource *source = data;

  g_source_destroy (source);
  g_source_unref (source);
}

/**
 * hot_node_own_source:
 * @widget: a widget a node built
 * @source_id: a source of the default main context (g_timeout_add(),
 *   g_idle_add(), …)
 *
 * Ties the source to the life of @widget: it is removed when @widget is
 * finalized, so that a reload, which drops the old widgets, leaves no
 * timeout of the old code running. Removing it earlier is fine.
 *
 * Signal handlers on the app's objects are tied the same way by connecting
 * them with g_signal_connect_object(), @widget as the object.
 *
 * Since: 0.1
 */
void
hot_node_own_source (GtkWidget *widget,
                     guint      source_id)
{
  GSource *source;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (source_id > 0);

  source = g_main_context_find_source_by_id (NULL, source_id);
  g_return_if_fail (source != NULL);

  g_object_weak_ref (G_OBJECT (widget), owned_source_finalized, g_source_ref (source));
}

static void
owned_binding_finalized (gpointer data,
                         GObject *where_the_object_was)
{
  GWeakRef *ref = data;
  g_autoptr (GObject) binding = g_weak_ref_get (ref);

  if (binding != NULL)
    g_binding_unbind (G_BINDING (binding));
  g_weak_ref_clear (ref);
  g_free (ref);
}

/**
 * hot_node_own_binding:
 * @widget: a widget a node built
 * @binding: a binding, between objects of the app, say
 *
 * Ties @binding to the life of @widget: it is unbound when @widget is
 * finalized. (A binding whose source or target is @widget, or one of its
 * children, needs nothing: it goes with them.)
 *
 * Since: 0.1
 */
void
hot_node_own_binding (GtkWidget *widget,
                      GBinding  *binding)
{
  GWeakRef *ref;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (G_IS_BINDING (binding));

  ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, binding);
  g_object_weak_ref (G_OBJECT (widget), owned_binding_finalized, ref);
}
