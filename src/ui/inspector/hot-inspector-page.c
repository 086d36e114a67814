/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "hot-inspector-page-private.h"

#include "hot-actions-private.h"
#include "hot-diagnostic.h"
#include "hot-guard-private.h"
#include "hot-i18n-private.h"
#include "hot-node.h"
#include "hot-reload-private.h"
#include "hot-status.h"

/*
 * HotInspectorPage: the "Hot Reload" page of the GTK Inspector
 * (GTK_DEBUG=interactive, or Ctrl+Shift+D). GTK makes one with
 * g_object_new () for each extension of the `gtk-inspector-page` point,
 * reads its `title`, and sets its `object` to whatever the inspector
 * selects.
 *
 * It shows, per module of a list model of HotStatus, the live generation,
 * whether it builds, the last build's time and builder, the stages of the
 * last reload, and what went wrong (diagnostics, error, crash, vanished
 * nodes), with "Rebuild now", "Cancel" and "Reset state"; and the
 * service's live proxies with their node names: selecting one highlights
 * it in its window. It observes the statuses and the service's list of
 * proxies; nothing calls it when a build starts or a proxy is made. Its
 * buttons activate the "hotnode" actions (hot-actions.c), which the page
 * inserts on itself for its service: the inspector's window is not the
 * app's.
 *
 * - service:   the service whose modules it rebuilds and whose proxies it
 *              lists (hot_reload_get_default () unless given)
 * - statuses:  the list model shown (the service's unless given)
 * - object:    what the inspector selected; a widget inside a hot node
 *              selects that node's row
 * - modules:   a list box bound to statuses; each row updates itself on
 *              its status's notify
 * - proxies:   a list box bound to the service's proxies
 *              (hot_reload_get_proxies ()); each row updates itself on its
 *              proxy's notify
 */

#define HIGHLIGHT_MS 1500

struct _HotInspectorPage
{
  GtkWidget parent_instance;

  HotReload  *service;
  GListModel *statuses;
  GObject    *object;

  GtkWidget *scrolled;
  GtkWidget *modules;
  GtkWidget *proxies;
  GtkWidget *no_proxies;
};

G_DEFINE_FINAL_TYPE (HotInspectorPage, hot_inspector_page, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_SERVICE,
  PROP_STATUSES,
  PROP_OBJECT,
  PROP_TITLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
hot_inspector_page_dispose (GObject *object)
{
  HotInspectorPage *self = HOT_INSPECTOR_PAGE (object);

  g_clear_pointer (&self->scrolled, gtk_widget_unparent);
  g_clear_object (&self->statuses);
  g_clear_object (&self->service);
  g_clear_object (&self->object);

  G_OBJECT_CLASS (hot_inspector_page_parent_class)->dispose (object);
}

static void
hot_inspector_page_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  HotInspectorPage *self = HOT_INSPECTOR_PAGE (object);

  switch (prop_id)
    {
    case PROP_SERVICE:
      g_value_set_object (value, self->service);
      break;
    case PROP_STATUSES:
      g_value_set_object (value, self->statuses);
      break;
    case PROP_OBJECT:
      g_value_set_object (value, self->object);
      break;
    case PROP_TITLE:
      g_value_set_string (value, _ ("Hot Reload"));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void select_proxy_of (HotInspectorPage *self,
                             GObject          *object);

static void
hot_inspector_page_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  HotInspectorPage *self = HOT_INSPECTOR_PAGE (object);

  switch (prop_id)
    {
    case PROP_SERVICE:
      self->service = g_value_dup_object (value);
      break;
    case PROP_STATUSES:
      self->statuses = g_value_dup_object (value);
      break;
    case PROP_OBJECT:
      if (g_set_object (&self->object, g_value_get_object (value)))
        {
          select_proxy_of (self, self->object);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ensure_css (GdkDisplay *display)
{
  static const char css[] =
      ".hotnode-highlight { outline: 3px solid #3584e4; outline-offset: -3px;\n"
      "                     background-color: rgba(53, 132, 228, 0.25); }\n"
      ".hotnode-inspector-stages { font-family: monospace; font-size: smaller; }\n"
      ".hotnode-inspector-problem { font-family: monospace; color: #c01c28; }\n";
  g_autoptr (GtkCssProvider) provider = NULL;

  if (g_object_get_data (G_OBJECT (display), "hotnode-inspector-css") != NULL)
    return;

  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_data (provider, css, -1);
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  g_object_set_data_full (G_OBJECT (display), "hotnode-inspector-css", g_steal_pointer (&provider), g_object_unref);
}

/* The stages of HotStatus:timings in the order they happen, each shown as
 * the time since the stage before it. */
static const struct
{
  const char *key;
  const char *label;
} stages[] = {
  { "changed", NULL },
  { "debounced", N_ ("debounce") },
  { "build-started", N_ ("start") },
  { "build-finished", N_ ("build") },
  { "copied", N_ ("copy") },
  { "opened", N_ ("dlopen") },
  { "patched", N_ ("statics") },
  { "rebuilt", N_ ("proxies") },
  { "painted", N_ ("paint") },
};

static char *
format_stages (GVariant *timings)
{
  g_autoptr (GString) text = g_string_new (NULL);
  gint64 first = 0, previous = 0;

  for (guint i = 0; i < G_N_ELEMENTS (stages); i++)
    {
      gint64 moment;

      if (!g_variant_lookup (timings, stages[i].key, "x", &moment))
        continue;
      if (previous != 0 && stages[i].label != NULL)
        g_string_append_printf (text, "%s%s %.1f ms", text->len ? " · " : "", _ (stages[i].label),
                                (moment - previous) / 1000.0);
      if (first == 0)
        first = moment;
      previous = moment;
    }
  if (previous > first)
    g_string_append_printf (text, "%s%s %.1f ms", text->len ? " · " : "", _ ("total"), (previous - first) / 1000.0);

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char *
format_state (HotStatus *status)
{
  g_autoptr (GString) text = g_string_new (NULL);
  GVariant   *timings = hot_status_get_timings (status);
  const char *builder = NULL;
  guint       rebuilds = hot_status_get_rebuild_count (status);

  if (hot_status_get_generation (status) == 0)
    g_string_append (text, _ ("Generation 0 (the app’s own code)"));
  else
    g_string_append_printf (text, _ ("Generation %u"), hot_status_get_generation (status));
  g_string_append (text, " · ");
  g_string_append (text, hot_status_get_building (status) ? _ ("building…") : _ ("idle"));
  if (hot_status_get_held (status))
    g_string_append_printf (text, " · %s", _ ("held by the app"));
  g_string_append (text, " · ");
  g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%u rebuild", "%u rebuilds", rebuilds), rebuilds);
  if (rebuilds > 0)
    {
      g_string_append (text, " · ");
      if (timings != NULL && g_variant_lookup (timings, "builder", "&s", &builder))
        g_string_append_printf (text, _ ("last build %.0f ms with %s"),
                                hot_status_get_last_duration (status) / 1000.0, builder);
      else
        g_string_append_printf (text, _ ("last build %.0f ms"), hot_status_get_last_duration (status) / 1000.0);
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* What went wrong last, or an empty string. */
static char *
format_problem (HotStatus *status)
{
  g_autoptr (GString) text = g_string_new (NULL);
  const GError      *error = hot_status_get_error (status);
  GListModel        *diagnostics = hot_status_get_diagnostics (status);
  const char *const *vanished = hot_status_get_vanished_nodes (status);
  guint              n_diagnostics = diagnostics ? g_list_model_get_n_items (diagnostics) : 0;

  if (hot_status_get_crash_node (status) != NULL)
    {
      g_autofree char *signal_name = hot_signal_name (hot_status_get_crash_signal (status));

      g_string_append_printf (text, _ ("Crashed in %s (%s)"), hot_status_get_crash_node (status), signal_name);
      g_string_append_c (text, '\n');
      if (hot_status_get_crash_backtrace (status) != NULL)
        g_string_append (text, hot_status_get_crash_backtrace (status));
    }
  else if (error != NULL && n_diagnostics == 0)
    g_string_append (text, error->message);

  for (guint i = 0; i < n_diagnostics; i++)
    {
      g_autoptr (HotDiagnostic) diagnostic = g_list_model_get_item (diagnostics, i);
      g_autofree char *line = hot_diagnostic_to_string (diagnostic);

      if (text->len > 0 && text->str[text->len - 1] != '\n')
        g_string_append_c (text, '\n');
      g_string_append (text, line);
    }

  if (vanished != NULL && vanished[0] != NULL)
    {
      g_autofree char *nodes = g_strjoinv (", ", (char **) vanished);

      if (text->len > 0 && text->str[text->len - 1] != '\n')
        g_string_append_c (text, '\n');
      g_string_append_printf (text, _ ("No longer in the module: %s"), nodes);
    }

  while (text->len > 0 && text->str[text->len - 1] == '\n')
    g_string_truncate (text, text->len - 1);

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
module_row_update (HotStatus  *status,
                   GParamSpec *pspec,
                   GtkWidget  *row)
{
  GtkWidget       *state = g_object_get_data (G_OBJECT (row), "hotnode-state");
  GtkWidget       *stages_label = g_object_get_data (G_OBJECT (row), "hotnode-stages");
  GtkWidget       *problem = g_object_get_data (G_OBJECT (row), "hotnode-problem");
  GtkWidget       *cancel = g_object_get_data (G_OBJECT (row), "hotnode-cancel");
  GVariant        *timings = hot_status_get_timings (status);
  g_autofree char *state_text = format_state (status);
  g_autofree char *stages_text = timings ? format_stages (timings) : g_strdup (_ ("No reload yet"));
  g_autofree char *problem_text = format_problem (status);

  gtk_label_set_text (GTK_LABEL (state), state_text);
  gtk_label_set_text (GTK_LABEL (stages_label), stages_text);
  gtk_label_set_text (GTK_LABEL (problem), problem_text);
  gtk_widget_set_visible (problem, problem_text[0] != '\0');
  /* On the button's box: an actionable's own sensitivity is its action's. */
  gtk_widget_set_sensitive (cancel, hot_status_get_building (status));
}

static GtkWidget *
new_label (const char *css_class)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);

  return label;
}

/* A button named "@name-@module" that activates hotnode.@action (@module). */
static GtkWidget *
new_module_button (const char *label,
                   const char *name,
                   const char *action,
                   const char *module)
{
  GtkWidget       *button = gtk_button_new_with_label (label);
  g_autofree char *widget_name = g_strdup_printf ("%s-%s", name, module);
  g_autofree char *action_name = g_strdup_printf ("%s.%s", HOT_ACTIONS_PREFIX, action);

  gtk_widget_set_name (button, widget_name);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action_name);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", module);

  return button;
}

static GtkWidget *
create_module_row (gpointer item,
                   gpointer user_data)
{
  HotStatus  *status = item;
  const char *module = hot_status_get_module (status);
  GtkWidget  *row = gtk_list_box_row_new ();
  GtkWidget  *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget  *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget  *title = new_label ("heading");
  GtkWidget  *state = new_label (NULL);
  GtkWidget  *stages_label = new_label ("hotnode-inspector-stages");
  GtkWidget  *problem = new_label ("hotnode-inspector-problem");
  GtkWidget  *cancel = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);

  gtk_box_append (GTK_BOX (cancel), new_module_button (_ ("Cancel"), "cancel", "cancel", module));
  gtk_label_set_text (GTK_LABEL (title), module);
  gtk_widget_set_hexpand (title, TRUE);
  gtk_box_append (GTK_BOX (header), title);
  gtk_box_append (GTK_BOX (header), new_module_button (_ ("Rebuild now"), "rebuild", "rebuild", module));
  gtk_box_append (GTK_BOX (header), cancel);
  gtk_box_append (GTK_BOX (header), new_module_button (_ ("Reset state"), "reset", "reset-state", module));

  gtk_box_append (GTK_BOX (box), header);
  gtk_box_append (GTK_BOX (box), state);
  gtk_box_append (GTK_BOX (box), stages_label);
  gtk_box_append (GTK_BOX (box), problem);
  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 8);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);

  g_object_set_data (G_OBJECT (row), "hotnode-state", state);
  g_object_set_data (G_OBJECT (row), "hotnode-stages", stages_label);
  g_object_set_data (G_OBJECT (row), "hotnode-problem", problem);
  g_object_set_data (G_OBJECT (row), "hotnode-cancel", cancel);
  g_signal_connect_object (status, "notify", G_CALLBACK (module_row_update), row, 0);
  module_row_update (status, NULL, row);

  return row;
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static gboolean
remove_highlight (gpointer data)
{
  g_autoptr (GtkWidget) proxy = g_weak_ref_get (data);

  if (proxy != NULL)
    gtk_widget_remove_css_class (proxy, "hotnode-highlight");

  return G_SOURCE_REMOVE;
}

/* Marks @proxy for a moment, the way the inspector flashes a widget. */
static void
highlight (GtkWidget *proxy)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  ensure_css (gtk_widget_get_display (proxy));
  gtk_widget_add_css_class (proxy, "hotnode-highlight");
  g_weak_ref_init (ref, proxy);
  g_timeout_add_full (G_PRIORITY_DEFAULT, HIGHLIGHT_MS, remove_highlight, ref, weak_ref_free);
}

static void
proxy_selected (GtkListBox    *list,
                GtkListBoxRow *row,
                gpointer       user_data)
{
  g_autoptr (GtkWidget) proxy = NULL;

  if (row == NULL)
    return;
  proxy = g_weak_ref_get (g_object_get_data (G_OBJECT (row), "hotnode-proxy"));
  if (proxy != NULL)
    highlight (proxy);
}

static void
select_proxy_of (HotInspectorPage *self,
                 GObject          *object)
{
  GtkWidget *node = NULL;

  if (GTK_IS_WIDGET (object))
    node = HOT_IS_NODE (object) ? GTK_WIDGET (object) : gtk_widget_get_ancestor (GTK_WIDGET (object), HOT_TYPE_NODE);
  if (node == NULL)
    return;

  for (GtkWidget *row = gtk_widget_get_first_child (self->proxies); row; row = gtk_widget_get_next_sibling (row))
    {
      g_autoptr (GtkWidget) proxy = g_weak_ref_get (g_object_get_data (G_OBJECT (row), "hotnode-proxy"));

      if (proxy == node)
        {
          gtk_list_box_select_row (GTK_LIST_BOX (self->proxies), GTK_LIST_BOX_ROW (row));
          return;
        }
    }
}

static void
proxy_row_update (HotNode    *proxy,
                  GParamSpec *pspec,
                  GtkWidget  *label)
{
  g_autofree char *text = NULL;

  if (hot_node_get_module (proxy) != NULL)
    text = g_strdup_printf (_ ("%s — module %s, generation %u"), hot_node_get_node_name (proxy),
                            hot_node_get_module (proxy), hot_node_get_generation (proxy));
  else
    text = g_strdup (hot_node_get_node_name (proxy));
  gtk_label_set_text (GTK_LABEL (label), text);
}

/* Holds the proxy weakly: the list box keeps its rows, not its items. */
static GtkWidget *
create_proxy_row (gpointer item,
                  gpointer user_data)
{
  HotNode   *proxy = item;
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *label = new_label (NULL);
  GWeakRef  *ref = g_new0 (GWeakRef, 1);

  proxy_row_update (proxy, NULL, label);
  g_signal_connect_object (proxy, "notify::module", G_CALLBACK (proxy_row_update), label, 0);
  g_signal_connect_object (proxy, "notify::generation", G_CALLBACK (proxy_row_update), label, 0);
  gtk_label_set_selectable (GTK_LABEL (label), FALSE);
  gtk_widget_set_margin_top (label, 4);
  gtk_widget_set_margin_bottom (label, 4);
  gtk_widget_set_margin_start (label, 12);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), label);

  g_weak_ref_init (ref, proxy);
  g_object_set_data_full (G_OBJECT (row), "hotnode-proxy", ref, weak_ref_free);

  return row;
}

/* A proxy was made or finalized: the rows follow by themselves. */
static void
proxies_changed (GListModel       *proxies,
                 guint             position,
                 guint             removed,
                 guint             added,
                 HotInspectorPage *self)
{
  gtk_widget_set_visible (self->no_proxies, g_list_model_get_n_items (proxies) == 0);
  if (added > 0 && self->object != NULL)
    select_proxy_of (self, self->object);
}

static GtkWidget *
new_heading (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "title-4");
  gtk_widget_add_css_class (label, "heading");

  return label;
}

static void
hot_inspector_page_constructed (GObject *object)
{
  HotInspectorPage *self = HOT_INSPECTOR_PAGE (object);
  GtkWidget        *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GListModel       *proxies;
  GActionGroup     *actions;

  G_OBJECT_CLASS (hot_inspector_page_parent_class)->constructed (object);

  if (self->service == NULL)
    self->service = g_object_ref (hot_reload_get_default ());
  if (self->statuses == NULL)
    self->statuses = g_object_ref (hot_reload_get_status (self->service));
  proxies = hot_reload_get_proxies (self->service);
  actions = hot_actions_new (self->service);
  gtk_widget_insert_action_group (GTK_WIDGET (self), HOT_ACTIONS_PREFIX, actions);
  g_object_unref (actions);

  self->modules = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->modules), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (self->modules, "boxed-list");
  gtk_widget_add_css_class (self->modules, "frame");
  gtk_list_box_bind_model (GTK_LIST_BOX (self->modules), self->statuses, create_module_row, self, NULL);

  self->proxies = gtk_list_box_new ();
  gtk_widget_add_css_class (self->proxies, "frame");
  g_signal_connect (self->proxies, "row-selected", G_CALLBACK (proxy_selected), self);
  gtk_list_box_bind_model (GTK_LIST_BOX (self->proxies), proxies, create_proxy_row, self, NULL);
  self->no_proxies = new_label ("dim-label");
  gtk_label_set_text (GTK_LABEL (self->no_proxies), _ ("No hot node is alive."));

  gtk_box_append (GTK_BOX (box), new_heading (_ ("Modules")));
  gtk_box_append (GTK_BOX (box), self->modules);
  gtk_box_append (GTK_BOX (box), new_heading (_ ("Live proxies")));
  gtk_box_append (GTK_BOX (box), self->proxies);
  gtk_box_append (GTK_BOX (box), self->no_proxies);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  gtk_widget_set_margin_start (box, 18);
  gtk_widget_set_margin_end (box, 18);

  self->scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scrolled), box);
  gtk_widget_set_parent (self->scrolled, GTK_WIDGET (self));

  g_signal_connect_object (proxies, "items-changed", G_CALLBACK (proxies_changed), self, 0);
  proxies_changed (proxies, 0, 0, g_list_model_get_n_items (proxies), self);
}

static void
hot_inspector_page_class_init (HotInspectorPageClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = hot_inspector_page_constructed;
  object_class->dispose = hot_inspector_page_dispose;
  object_class->get_property = hot_inspector_page_get_property;
  object_class->set_property = hot_inspector_page_set_property;

  properties[PROP_SERVICE] =
      g_param_spec_object ("service", NULL, NULL, HOT_TYPE_RELOAD,
                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUSES] =
      g_param_spec_object ("statuses", NULL, NULL, G_TYPE_LIST_MODEL,
                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* What GtkInspector gives and reads. */
  properties[PROP_OBJECT] =
      g_param_spec_object ("object", NULL, NULL, G_TYPE_OBJECT,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_TITLE] =
      g_param_spec_string ("title", NULL, NULL, NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  hot_i18n_init ();
}

static void
hot_inspector_page_init (HotInspectorPage *self)
{
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
}

/**
 * hot_inspector_page_new:
 * @service: (nullable): the service to rebuild with and list the proxies of
 * @statuses: (nullable): a list model of [class@Hot.Status]
 *
 * A page as the inspector makes it, for the service's own statuses when
 * @statuses is %NULL.
 *
 * Returns: (transfer floating): the page
 */
GtkWidget *
hot_inspector_page_new (HotReload  *service,
                        GListModel *statuses)
{
  return g_object_new (HOT_TYPE_INSPECTOR_PAGE, "service", service, "statuses", statuses, NULL);
}

/**
 * hot_inspector_page_register:
 *
 * Adds the page to the GTK Inspector, as libadwaita adds its own. GTK 4.8
 * registers the `gtk-inspector-page` extension point in gtk_init ();
 * registering it here too returns the same point, and lets the inspector
 * find the page when hot reload was set up before gtk_init ().
 */
void
hot_inspector_page_register (void)
{
  g_io_extension_point_register ("gtk-inspector-page");
  g_io_extension_point_implement ("gtk-inspector-page", HOT_TYPE_INSPECTOR_PAGE, "hotnode", 10);
}
