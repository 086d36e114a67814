/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hot-actions-private.h"
#include "hot-inspector-page-private.h"
#include "hot-instantiate-private.h"
#include "hot-reload-private.h"
#include "hot-settings-private.h"
#include "hot-style-private.h"
#include "hot-window-overlay-private.h"

/*
 * The composition root: the one file that may include every layer. It
 * makes the default service and joins the UI to it; nothing below calls
 * up, and nothing calls the UI. The service knows nothing of windows: the
 * root follows its public list of proxies (HotReload:proxies) and, when a
 * proxy is mapped, inserts the "hotnode" actions (hot-actions.c) on its
 * window and places the window's overlay; it follows the service's public
 * HotReload::hot-reload signal to time the first frame after a reload. The
 * overlay's and the Inspector page's buttons activate those actions, which
 * call the service's public API.
 *
 * Two hooks stay global because the thing they serve is: how hot_node_new ()
 * finds the newest code (hot_instantiate_set_resolver (), one per process as
 * the node tables are) and the loaders interposed on GTK's (hot-style.c).
 */

/* What the overlay shows: the modules' statuses, then the style sheets'. */
static GListModel *
overlay_statuses (HotReload *self)
{
  GListModel *model = g_object_get_data (G_OBJECT (self), "hotnode-overlay-statuses");

  if (model == NULL)
    {
      GListStore *both = g_list_store_new (G_TYPE_LIST_MODEL);

      g_list_store_append (both, self->status_model);
      g_list_store_append (both, hot_style_get_statuses ());
      model = G_LIST_MODEL (gtk_flatten_list_model_new (G_LIST_MODEL (both)));
      g_object_set_data_full (G_OBJECT (self), "hotnode-overlay-statuses", model, g_object_unref);
    }

  return model;
}

static void
proxy_mapped (HotNode   *proxy,
              HotReload *self)
{
  GtkRoot *window = gtk_widget_get_root (GTK_WIDGET (proxy));

  /* Once per window: what its overlay's buttons activate. */
  if (GTK_IS_WINDOW (window) && g_object_get_data (G_OBJECT (window), "hotnode-actions") == NULL)
    {
      GActionGroup *actions = hot_actions_new (self);

      gtk_widget_insert_action_group (GTK_WIDGET (window), HOT_ACTIONS_PREFIX, actions);
      g_object_set_data_full (G_OBJECT (window), "hotnode-actions", actions, g_object_unref);
    }

  hot_window_overlay_place (proxy, overlay_statuses (self), hot_project_get_source_dir (self->project));
}

static void
proxies_changed (GListModel *proxies,
                 guint       position,
                 guint       removed,
                 guint       added,
                 HotReload  *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr (HotNode) proxy = g_list_model_get_item (proxies, i);

      g_signal_connect (proxy, "map", G_CALLBACK (proxy_mapped), self);
    }
}

/* The first frame each window paints after a reload, for HotStatus:timings. */
static void
reloaded (HotReload  *self,
          const char *module,
          gpointer    user_data)
{
  HotStatus *status = hot_reload_lookup_status (self, module);

  if (status != NULL)
    hot_window_overlay_wait_for_paint (status, hot_reload_get_proxies (self));
}

/**
 * hot_reload_get_default:
 *
 * Gets the hot reload service of the process. It is on when the environment
 * has `HOT_RELOAD=1` at the first call; its problems finding the build are
 * logged once, and the app goes on with the code linked into it.
 *
 * Returns: (transfer none): the service
 *
 * Since: 0.1
 */
HotReload *
hot_reload_get_default (void)
{
  static HotReload *default_service;

  if (g_once_init_enter (&default_service))
    {
      HotReload *self = g_object_new (HOT_TYPE_RELOAD, NULL);

      self->enabled = hot_settings_get ()->enabled;
      if (self->enabled && !hot_reload_setup (self, &self->setup_error))
        g_warning ("Hot reload is on but cannot work: %s", self->setup_error->message);
      else if (self->enabled)
        {
          g_signal_connect (hot_reload_get_proxies (self), "items-changed", G_CALLBACK (proxies_changed), self);
          g_signal_connect (self, "hot-reload", G_CALLBACK (reloaded), NULL);
          hot_inspector_page_register ();
        }

      g_once_init_leave (&default_service, self);
    }

  return default_service;
}

/**
 * hot_node_new:
 * @name: the name given to HOT_NODE()
 * @args: (nullable): arguments for the constructor
 *
 * Builds the widget of the hot node @name. With hot reload off this calls
 * the constructor linked into the app and returns its widget. With hot
 * reload on it returns a [class@Hot.Node] proxy holding the widget built by the
 * newest generation that has the node; the proxy rebuilds its child each
 * time the node's module is reloaded, with the same @args.
 *
 * An unknown @name gives a placeholder widget that names it, and a warning.
 *
 * Returns: (transfer floating): the widget
 *
 * Since: 0.1
 */
GtkWidget *
hot_node_new (const char  *name,
              HotNodeArgs *args)
{
  g_return_val_if_fail (name != NULL, NULL);

  /* With hot reload on, the service tells how to find the newest code. */
  if (hot_settings_get ()->enabled)
    hot_reload_get_default ();

  return hot_instantiate_node (name, args);
}
