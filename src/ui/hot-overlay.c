/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <signal.h>
#include <string.h>

#include "hot-actions-private.h"
#include "hot-diagnostic.h"
#include "hot-overlay-private.h"
#include "hot-overlay-rows-private.h"
#include "hot-i18n-private.h"
#include "hot-reload.h"

/*
 * HotOverlay: what the developer sees of hot reload in the window. It shows
 * a list model of HotStatus and knows nothing of builds:
 *
 *   hidden      nothing is building, nothing failed, no recent reload
 *   building    a spinner and the modules that are building
 *   reloaded    a short toast after a good build (HOT_OVERLAY_TOAST_SECONDS),
 *               with a button that starts the module afresh (the action
 *               "hotnode.reset-state" of the window: hot-actions.c)
 *   restored    a short toast when a failure is cleared without a build (the
 *               files are back to what the live code was built from)
 *   held        per module whose reloads the app holds, a line saying so
 *   failed      per failed module, a panel with the compiler's diagnostics
 *               (location, message, source line) or the crash report or the
 *               error; it stays until the module's next good build and can
 *               be collapsed
 *
 * Several can show at once. The overlay takes no keyboard focus; only its
 * buttons (a failure panel's collapse button, its own action
 * "overlay.toggle-collapsed"; a toast's reset button) and the failure
 * panel's scroll bar take clicks.
 *
 * hot-window-overlay.c places it, one per window, in a popover of the window: its
 * maximum size (set from the window's) keeps it inside the window, and the
 * diagnostics scroll when they do not fit. Paths are shown relative to the
 * project's source root when they are inside it.
 *
 * A build can print thousands of diagnostics. A failure panel shows the
 * first HOT_OVERLAY_MAX_DIAGNOSTICS in a list view that makes rows only for
 * those in view (a row is built when it scrolls into view and dropped when
 * it leaves), and under it, when there are more, how many of how many it
 * shows. The list and its rows take no clicks and no focus: the wheel over
 * them scrolls the scrolled window they are in.
 */

#define HOT_OVERLAY_TOAST_SECONDS 4
/* A build can print thousands: the first ones are what to fix. */
#define HOT_OVERLAY_MAX_DIAGNOSTICS 200

struct _HotOverlay
{
  GtkWidget parent_instance;

  GListModel *statuses;
  GHashTable *collapsed; /* module names whose failure panel is collapsed */
  GHashTable *counts;    /* module name → last rebuild count seen */
  GHashTable *failed;    /* module names whose status has an error */
  GPtrArray  *toasts;    /* module names reloaded or restored recently */
  GHashTable *restored;  /* those of the toasts that were restored */
  guint       toast_id;
  char       *source_root; /* paths under it are shown relative to it */
  int         max_width;   /* -1: unbounded */
  int         max_height;

  GtkWidget *box;
};

G_DEFINE_FINAL_TYPE (HotOverlay, hot_overlay, GTK_TYPE_WIDGET)

enum
{
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void hot_overlay_update (HotOverlay *self);
static void toggle_collapsed_activated (GtkWidget  *widget,
                                        const char *action_name,
                                        GVariant   *parameter);

static void
hot_overlay_dispose (GObject *object)
{
  HotOverlay *self = HOT_OVERLAY (object);

  g_clear_handle_id (&self->toast_id, g_source_remove);
  if (self->statuses != NULL)
    {
      for (guint i = 0; i < g_list_model_get_n_items (self->statuses); i++)
        {
          g_autoptr (GObject) status = g_list_model_get_item (self->statuses, i);

          g_signal_handlers_disconnect_by_data (status, self);
        }
      g_signal_handlers_disconnect_by_data (self->statuses, self);
    }
  g_clear_object (&self->statuses);
  g_clear_pointer (&self->box, gtk_widget_unparent);

  G_OBJECT_CLASS (hot_overlay_parent_class)->dispose (object);
}

static void
hot_overlay_finalize (GObject *object)
{
  HotOverlay *self = HOT_OVERLAY (object);

  g_hash_table_unref (self->collapsed);
  g_hash_table_unref (self->counts);
  g_hash_table_unref (self->failed);
  g_ptr_array_unref (self->toasts);
  g_hash_table_unref (self->restored);
  g_free (self->source_root);

  G_OBJECT_CLASS (hot_overlay_parent_class)->finalize (object);
}

static void
ensure_css (GdkDisplay *display)
{
  /* Opaque (nothing of the app shows through), one colour a severity. */
  static const char css[] =
      "popover.hotnode-popover { padding: 0; }\n"
      "popover.hotnode-popover > contents { padding: 0; border-radius: 8px; box-shadow: none;\n"
      "  border: 1px solid #5e5e5e; background-color: #1e1e1e; color: #f2f2f2; }\n"
      ".hotnode-overlay { padding: 8px 12px; }\n"
      ".hotnode-overlay label { color: #f2f2f2; }\n"
      ".hotnode-overlay .hotnode-location { font-family: monospace; color: #b8b8b8; }\n"
      ".hotnode-overlay .hotnode-source, .hotnode-overlay .hotnode-caret { font-family: monospace; }\n"
      ".hotnode-overlay .hotnode-failed, .hotnode-overlay .hotnode-error { color: #ff7b63; font-weight: bold; }\n"
      ".hotnode-overlay .hotnode-warning { color: #f8c44e; font-weight: bold; }\n"
      ".hotnode-overlay .hotnode-note { color: #78b9ff; font-weight: bold; }\n"
      ".hotnode-overlay .hotnode-caret.hotnode-error { color: #ff7b63; }\n"
      ".hotnode-overlay .hotnode-caret.hotnode-warning { color: #f8c44e; }\n"
      ".hotnode-overlay .hotnode-caret.hotnode-note { color: #78b9ff; }\n"
      ".hotnode-overlay button { color: #f2f2f2; }\n"
      ".hotnode-overlay scrollbar { background-color: #2e2e2e; }\n"
      /* The diagnostics' list: the panel's background, no item spacing. */
      ".hotnode-overlay .hotnode-diagnostics, .hotnode-overlay .hotnode-diagnostics > child {\n"
      "  padding: 0; background: none; border-radius: 0; outline: none; }\n"
      ".hotnode-overlay .hotnode-diagnostics > child box { border-spacing: 0; margin: 0; }\n"
      "separator.hotnode-separator { background-color: #5e5e5e; min-height: 1px; }\n";
  g_autoptr (GtkCssProvider) provider = NULL;

  if (g_object_get_data (G_OBJECT (display), "hotnode-css") != NULL)
    return;

  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_data (provider, css, -1);
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  g_object_set_data_full (G_OBJECT (display), "hotnode-css", g_steal_pointer (&provider), g_object_unref);
}

static void
hot_overlay_root (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (hot_overlay_parent_class)->root (widget);

  ensure_css (gtk_widget_get_display (widget));
}

/* Never a target itself: only its buttons and scroll bars are. */
static gboolean
hot_overlay_contains (GtkWidget *widget,
                      double     x,
                      double     y)
{
  return FALSE;
}

static void
hot_overlay_measure (GtkWidget     *widget,
                     GtkOrientation orientation,
                     int            for_size,
                     int           *minimum,
                     int           *natural,
                     int           *minimum_baseline,
                     int           *natural_baseline)
{
  HotOverlay *self = HOT_OVERLAY (widget);
  int         limit = orientation == GTK_ORIENTATION_HORIZONTAL ? self->max_width : self->max_height;

  if (orientation == GTK_ORIENTATION_VERTICAL && self->max_width >= 0)
    {
      int min_width;

      gtk_widget_measure (self->box, GTK_ORIENTATION_HORIZONTAL, -1, &min_width, NULL, NULL, NULL);
      for_size = for_size < 0 ? MAX (min_width, self->max_width) : for_size;
    }
  gtk_widget_measure (self->box, orientation, for_size, minimum, natural, NULL, NULL);
  /* Never larger than the window allows: what does not fit scrolls. */
  if (limit >= 0)
    *natural = MAX (*minimum, MIN (*natural, limit));
}

static GtkSizeRequestMode
hot_overlay_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
hot_overlay_size_allocate (GtkWidget *widget,
                           int        width,
                           int        height,
                           int        baseline)
{
  HotOverlay *self = HOT_OVERLAY (widget);

  gtk_widget_size_allocate (self->box, &(GtkAllocation){ 0, 0, width, height }, -1);
}

static void
hot_overlay_class_init (HotOverlayClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hot_overlay_dispose;
  object_class->finalize = hot_overlay_finalize;
  widget_class->root = hot_overlay_root;
  widget_class->contains = hot_overlay_contains;
  widget_class->measure = hot_overlay_measure;
  widget_class->get_request_mode = hot_overlay_get_request_mode;
  widget_class->size_allocate = hot_overlay_size_allocate;

  gtk_widget_class_set_css_name (widget_class, "hotnodeoverlay");

  /* The content was rebuilt: what holds the overlay may size it again. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);

  gtk_widget_class_install_action (widget_class, "overlay.toggle-collapsed", "s", toggle_collapsed_activated);

  hot_i18n_init ();
}

static void
hot_overlay_init (HotOverlay *self)
{
  self->collapsed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->failed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->toasts = g_ptr_array_new_with_free_func (g_free);
  self->restored = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->max_width = -1;
  self->max_height = -1;

  gtk_widget_set_focusable (GTK_WIDGET (self), FALSE);
}

static gboolean
toast_done (gpointer user_data)
{
  HotOverlay *self = user_data;

  self->toast_id = 0;
  g_ptr_array_set_size (self->toasts, 0);
  g_hash_table_remove_all (self->restored);
  hot_overlay_update (self);

  return G_SOURCE_REMOVE;
}

/* A new result replaces the toast of the one before; @restored says which
 * toast, when there is one. */
static void
replace_toast (HotOverlay *self,
               const char *module,
               gboolean    show,
               gboolean    restored)
{
  guint toast;

  if (g_ptr_array_find_with_equal_func (self->toasts, module, g_str_equal, &toast))
    g_ptr_array_remove_index (self->toasts, toast);
  g_hash_table_remove (self->restored, module);
  if (!show)
    return;

  /* The failure is gone: the next one shows expanded again. */
  g_hash_table_remove (self->collapsed, module);
  g_ptr_array_add (self->toasts, g_strdup (module));
  if (restored)
    g_hash_table_add (self->restored, g_strdup (module));
  g_clear_handle_id (&self->toast_id, g_source_remove);
  self->toast_id = g_timeout_add_seconds (HOT_OVERLAY_TOAST_SECONDS, toast_done, self);
}

static void
status_changed (HotStatus  *status,
                GParamSpec *pspec,
                HotOverlay *self)
{
  const char *module = hot_status_get_module (status);
  guint       count = hot_status_get_rebuild_count (status);
  gboolean    failed = hot_status_get_error (status) != NULL;

  if (count != GPOINTER_TO_UINT (g_hash_table_lookup (self->counts, module)))
    {
      g_hash_table_replace (self->counts, g_strdup (module), GUINT_TO_POINTER (count));
      replace_toast (self, module, !failed, FALSE);
    }
  else if (!failed && g_hash_table_contains (self->failed, module))
    {
      /* Cleared with no build: a mistake undone. */
      replace_toast (self, module, TRUE, TRUE);
    }

  if (failed)
    g_hash_table_add (self->failed, g_strdup (module));
  else
    g_hash_table_remove (self->failed, module);

  hot_overlay_update (self);
}

static void
watch_status (HotOverlay *self,
              HotStatus  *status)
{
  g_hash_table_replace (self->counts, g_strdup (hot_status_get_module (status)),
                        GUINT_TO_POINTER (hot_status_get_rebuild_count (status)));
  if (hot_status_get_error (status) != NULL)
    g_hash_table_add (self->failed, g_strdup (hot_status_get_module (status)));
  g_signal_connect_object (status, "notify", G_CALLBACK (status_changed), self, 0);
}

static void
statuses_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  HotOverlay *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr (HotStatus) status = g_list_model_get_item (model, i);

      watch_status (self, status);
    }

  hot_overlay_update (self);
}

/* overlay.toggle-collapsed (s): a failure panel's "Hide" and "Show". */
static void
toggle_collapsed_activated (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  HotOverlay *self = HOT_OVERLAY (widget);
  const char *module = g_variant_get_string (parameter, NULL);

  if (!g_hash_table_remove (self->collapsed, module))
    g_hash_table_add (self->collapsed, g_strdup (module));
  hot_overlay_update (self);
}

static GtkWidget *
failure_header_new (HotOverlay *self,
                    HotStatus  *status,
                    gboolean    collapsed)
{
  const char      *module = hot_status_get_module (status);
  const GError    *error = hot_status_get_error (status);
  GtkWidget       *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget       *button = gtk_button_new_with_label (collapsed ? _ ("Show") : _ ("Hide"));
  GtkWidget       *title;
  g_autofree char *title_text = NULL;

  if (g_error_matches (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD))
    title_text = g_strdup_printf (_ ("%s: the build failed"), module);
  else if (hot_status_get_crash_node (status) != NULL)
    title_text = g_strdup_printf (_ ("%s: the new code crashed; the previous code is still running"), module);
  else
    title_text = g_strdup_printf (_ ("%s: the reload failed"), module);
  title = hot_overlay_label_new (title_text, "hotnode-failed");
  gtk_widget_set_hexpand (title, TRUE);

  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "overlay.toggle-collapsed");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", module);
  gtk_widget_set_focusable (button, FALSE);
  gtk_widget_set_focus_on_click (button, FALSE);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);

  gtk_box_append (GTK_BOX (header), title);
  gtk_box_append (GTK_BOX (header), button);

  return header;
}

static void
diagnostic_setup (GtkSignalListItemFactory *factory,
                  GtkListItem              *item,
                  gpointer                  user_data)
{
  gtk_list_item_set_activatable (item, FALSE);
  gtk_list_item_set_selectable (item, FALSE);
}

/* A row is built when it comes into view and dropped when it leaves. */
static void
diagnostic_bind (GtkSignalListItemFactory *factory,
                 GtkListItem              *item,
                 gpointer                  user_data)
{
  const char *source_root = g_object_get_data (G_OBJECT (factory), "source-root");
  GtkWidget  *row = hot_overlay_diagnostic_row_new (source_root, gtk_list_item_get_item (item));

  /* Spaced as a box with a spacing of 10 spaces its children. */
  gtk_widget_set_margin_top (row, gtk_list_item_get_position (item) > 0 ? 10 : 0);
  gtk_list_item_set_child (item, row);
}

static void
diagnostic_unbind (GtkSignalListItemFactory *factory,
                   GtkListItem              *item,
                   gpointer                  user_data)
{
  gtk_list_item_set_child (item, NULL);
}

/* The first HOT_OVERLAY_MAX_DIAGNOSTICS of @diagnostics, a row for each one
 * in view only. It takes no clicks and no focus: the scrolled window around
 * it gets the wheel. */
static GtkWidget *
diagnostic_list_new (HotOverlay *self,
                     GListModel *diagnostics)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkSliceListModel  *slice = gtk_slice_list_model_new (g_object_ref (diagnostics), 0, HOT_OVERLAY_MAX_DIAGNOSTICS);
  GtkWidget          *list;

  g_signal_connect (factory, "setup", G_CALLBACK (diagnostic_setup), NULL);
  g_object_set_data_full (G_OBJECT (factory), "source-root", g_strdup (self->source_root), g_free);
  g_signal_connect (factory, "bind", G_CALLBACK (diagnostic_bind), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (diagnostic_unbind), NULL);
  /* A grid of one column, not a GtkListView: GTK 4.8's list view keeps up
   * to 200 rows around its anchor whatever its height, so it would make a
   * row for each of the 200; a grid view keeps 30 rows and the two beside
   * them, and never shows more than 30 rows at once (rows grow to fill its
   * height). */
  list = gtk_grid_view_new (GTK_SELECTION_MODEL (gtk_no_selection_new (G_LIST_MODEL (slice))), factory);
  gtk_grid_view_set_max_columns (GTK_GRID_VIEW (list), 1);
  gtk_widget_add_css_class (list, "hotnode-diagnostics");
  gtk_widget_set_can_target (list, FALSE);
  gtk_widget_set_can_focus (list, FALSE);

  return list;
}

static GtkWidget *
failure_panel_new (HotOverlay *self,
                   HotStatus  *status)
{
  const GError *error = hot_status_get_error (status);
  GListModel   *diagnostics = hot_status_get_diagnostics (status);
  guint         n_diagnostics = g_list_model_get_n_items (diagnostics);
  gboolean      collapsed = g_hash_table_contains (self->collapsed, hot_status_get_module (status));
  GtkWidget    *panel = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget    *scroller;

  gtk_box_append (GTK_BOX (panel), failure_header_new (self, status, collapsed));
  if (collapsed)
    return panel;

  /* The diagnostics scroll when the window is too small for them, with a
   * scroll bar that stays visible. */
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_overlay_scrolling (GTK_SCROLLED_WINDOW (scroller), FALSE);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_propagate_natural_width (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_widget_set_vexpand (scroller, TRUE);
  gtk_widget_set_focusable (scroller, FALSE);

  if (n_diagnostics > 0)
    {
      /* A crash with diagnostics is rare: its report goes above them. */
      if (hot_status_get_crash_node (status) != NULL)
        gtk_box_append (GTK_BOX (panel), hot_overlay_crash_report_new (self->source_root, status));
      gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), diagnostic_list_new (self, diagnostics));
    }
  else
    {
      GtkWidget *body = gtk_box_new (GTK_ORIENTATION_VERTICAL, 10);

      gtk_widget_set_can_target (body, FALSE);
      if (hot_status_get_crash_node (status) != NULL)
        gtk_box_append (GTK_BOX (body), hot_overlay_crash_report_new (self->source_root, status));
      else
        gtk_box_append (GTK_BOX (body), hot_overlay_label_new (error->message, "hotnode-source"));
      gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), body);
    }
  gtk_box_append (GTK_BOX (panel), scroller);

  if (n_diagnostics > HOT_OVERLAY_MAX_DIAGNOSTICS)
    {
      g_autofree char *more = g_strdup_printf (
          g_dngettext (GETTEXT_PACKAGE, "The first %u of %u diagnostic are shown; the log has all of them",
                       "The first %u of %u diagnostics are shown; the log has all of them", n_diagnostics),
          HOT_OVERLAY_MAX_DIAGNOSTICS, n_diagnostics);

      gtk_box_append (GTK_BOX (panel), hot_overlay_label_new (more, "hotnode-location"));
    }

  return panel;
}

/* "Reloaded counter", and a button that starts the module afresh; or
 * "counter is back to its live code". */
static GtkWidget *
toast_new (HotOverlay *self,
           const char *module)
{
  GtkWidget       *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gboolean         restored = g_hash_table_contains (self->restored, module);
  g_autofree char *text = restored ? g_strdup_printf (_ ("%s is back to its live code"), module)
                                   : g_strdup_printf (_ ("Reloaded %s"), module);
  g_autofree char *name = g_strdup_printf ("reset-%s", module);
  GtkWidget       *label = gtk_label_new (text);
  GtkWidget       *button;

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_set_can_target (label, FALSE);
  gtk_box_append (GTK_BOX (row), label);
  if (restored)
    return row;

  button = gtk_button_new_with_label (_ ("Reset state"));
  gtk_widget_set_name (button, name);
  gtk_widget_set_tooltip_text (button, _ ("Start the module afresh: its statics back to their first values, "
                                          "its widgets built again without carried state"));
  gtk_widget_set_focusable (button, FALSE);
  gtk_widget_set_focus_on_click (button, FALSE);
  gtk_widget_add_css_class (button, "flat");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), HOT_ACTIONS_PREFIX ".reset-state");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", module);
  gtk_box_append (GTK_BOX (row), button);

  return row;
}

static GtkWidget *
bubble_new (GtkWidget *content,
            gboolean   takes_input)
{
  GtkWidget *bubble = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);

  gtk_widget_add_css_class (bubble, "hotnode-overlay");
  gtk_widget_set_can_target (bubble, takes_input);
  gtk_widget_set_vexpand (bubble, takes_input);
  gtk_box_append (GTK_BOX (bubble), content);
  gtk_widget_set_hexpand (content, TRUE);

  return bubble;
}

/* Bubbles of one box, one under the other, with a line between two. */
static void
append_bubble (HotOverlay *self,
               GtkWidget  *bubble)
{
  if (gtk_widget_get_first_child (self->box) != NULL)
    {
      GtkWidget *separator = gtk_separator_new (GTK_ORIENTATION_HORIZONTAL);

      gtk_widget_add_css_class (separator, "hotnode-separator");
      gtk_box_append (GTK_BOX (self->box), separator);
    }
  gtk_box_append (GTK_BOX (self->box), bubble);
}

/* Rebuilds the overlay's content from the statuses. */
static void
hot_overlay_update (HotOverlay *self)
{
  g_autoptr (GString) building = g_string_new (NULL);
  guint    n_shown = 0;
  gboolean takes_input = FALSE;

  g_clear_pointer (&self->box, gtk_widget_unparent);
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));

  for (guint i = 0; self->statuses && i < g_list_model_get_n_items (self->statuses); i++)
    {
      g_autoptr (HotStatus) status = g_list_model_get_item (self->statuses, i);

      const char *const *vanished = hot_status_get_vanished_nodes (status);

      if (hot_status_get_building (status))
        g_string_append_printf (building, "%s%s", building->len ? ", " : "", hot_status_get_module (status));
      else if (hot_status_get_error (status) != NULL)
        {
          append_bubble (self, bubble_new (failure_panel_new (self, status), TRUE));
          takes_input = TRUE;
          n_shown++;
        }

      if (hot_status_get_held (status))
        {
          g_autofree char *text = g_strdup_printf (_ ("%s: the app holds its reloads; the new code waits"),
                                                   hot_status_get_module (status));

          append_bubble (self, bubble_new (hot_overlay_label_new (text, "hotnode-warning"), FALSE));
          n_shown++;
        }

      if (vanished != NULL)
        {
          g_autofree char *names = g_strjoinv (", ", (char **) vanished);
          g_autofree char *text = g_strdup_printf (_ ("%s no longer has %s: shown as it was"),
                                                   hot_status_get_module (status), names);
          GtkWidget       *label = hot_overlay_label_new (text, "hotnode-warning");

          append_bubble (self, bubble_new (label, FALSE));
          n_shown++;
        }
    }

  if (building->len > 0)
    {
      GtkWidget       *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
      g_autofree char *text = g_strdup_printf (_ ("Building %s…"), building->str);

      gtk_box_append (GTK_BOX (row), gtk_spinner_new ());
      gtk_spinner_start (GTK_SPINNER (gtk_widget_get_first_child (row)));
      gtk_box_append (GTK_BOX (row), gtk_label_new (text));
      append_bubble (self, bubble_new (row, FALSE));
      n_shown++;
    }

  for (guint i = 0; i < self->toasts->len; i++)
    {
      GtkWidget *bubble = bubble_new (toast_new (self, g_ptr_array_index (self->toasts, i)), TRUE);

      /* Only its button takes clicks. */
      gtk_widget_set_vexpand (bubble, FALSE);
      append_bubble (self, bubble);
      takes_input = TRUE;
      n_shown++;
    }

  /* The spinner only shows: clicks on it reach nothing of the overlay. */
  gtk_widget_set_can_target (self->box, takes_input);
  gtk_widget_set_visible (GTK_WIDGET (self), n_shown > 0);
  g_signal_emit (self, signals[CHANGED], 0);
}

/* Keeps the overlay within @width × @height (-1: no limit); what does not
 * fit scrolls. */
void
hot_overlay_set_max_size (HotOverlay *self,
                          int         width,
                          int         height)
{
  g_return_if_fail (HOT_IS_OVERLAY (self));

  if (self->max_width == width && self->max_height == height)
    return;

  self->max_width = width;
  self->max_height = height;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

/* Paths under @source_root (absolute, or NULL) are shown relative to it. */
void
hot_overlay_set_source_root (HotOverlay *self,
                             const char *source_root)
{
  g_return_if_fail (HOT_IS_OVERLAY (self));

  if (g_strcmp0 (self->source_root, source_root) == 0)
    return;

  g_free (self->source_root);
  self->source_root = source_root ? g_canonicalize_filename (source_root, NULL) : NULL;
  hot_overlay_update (self);
}

/**
 * hot_overlay_new:
 * @statuses: a list model of #HotStatus
 *
 * Returns: (transfer floating): a new overlay showing @statuses
 */
GtkWidget *
hot_overlay_new (GListModel *statuses)
{
  HotOverlay *self;

  g_return_val_if_fail (G_IS_LIST_MODEL (statuses), NULL);

  self = g_object_new (HOT_TYPE_OVERLAY, NULL);
  self->statuses = g_object_ref (statuses);
  g_signal_connect_object (statuses, "items-changed", G_CALLBACK (statuses_changed), self, 0);
  statuses_changed (statuses, 0, 0, g_list_model_get_n_items (statuses), self);

  return GTK_WIDGET (self);
}

static void
append_text (GtkWidget *widget,
             GString   *text)
{
  if (GTK_IS_LABEL (widget))
    g_string_append_printf (text, "%s\n", gtk_label_get_text (GTK_LABEL (widget)));
  else if (GTK_IS_BUTTON (widget))
    {
      g_string_append_printf (text, "[%s]\n", gtk_button_get_label (GTK_BUTTON (widget)));
      return;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    append_text (child, text);
}

/**
 * hot_overlay_get_text:
 * @self: an overlay
 *
 * Returns: (transfer full): the text the overlay shows, a label or a
 *   `[button]` a line; empty when it is hidden
 */
char *
hot_overlay_get_text (HotOverlay *self)
{
  GString *text = g_string_new (NULL);

  g_return_val_if_fail (HOT_IS_OVERLAY (self), NULL);

  if (gtk_widget_get_visible (GTK_WIDGET (self)))
    append_text (self->box, text);

  return g_string_free (text, FALSE);
}
