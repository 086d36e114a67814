/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hot-proxy-list-private.h"

/*
 * HotProxyList: the live proxies of a service, as a GListModel of HotNode
 * in the order they were made. It holds them weakly: a proxy is added when
 * it is made and removed when it is finalized, so the list never keeps a
 * widget alive (what reads an item holds it for as long as it keeps it).
 *
 *   proxies  HotNode, not owned: each has a weak reference whose
 *            notification removes it, then emits items-changed (the
 *            proxy is out of the list before anyone hears of it)
 */

struct _HotProxyList
{
  GObject parent_instance;

  GPtrArray *proxies;
};

static void hot_proxy_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HotProxyList, hot_proxy_list, G_TYPE_OBJECT, G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, hot_proxy_list_model_init))

static void
proxy_finalized (gpointer data,
                 GObject *where_the_object_was)
{
  HotProxyList *self = data;
  guint         position;

  if (!g_ptr_array_find (self->proxies, where_the_object_was, &position))
    g_assert_not_reached ();

  g_ptr_array_remove_index (self->proxies, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
}

static void
hot_proxy_list_dispose (GObject *object)
{
  HotProxyList *self = HOT_PROXY_LIST (object);

  guint n = self->proxies->len;

  for (guint i = 0; i < n; i++)
    g_object_weak_unref (g_ptr_array_index (self->proxies, i), proxy_finalized, self);
  g_ptr_array_set_size (self->proxies, 0);
  if (n > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, n, 0);

  G_OBJECT_CLASS (hot_proxy_list_parent_class)->dispose (object);
}

static void
hot_proxy_list_finalize (GObject *object)
{
  HotProxyList *self = HOT_PROXY_LIST (object);

  g_ptr_array_unref (self->proxies);

  G_OBJECT_CLASS (hot_proxy_list_parent_class)->finalize (object);
}

static GType
hot_proxy_list_get_item_type (GListModel *model)
{
  return HOT_TYPE_NODE;
}

static guint
hot_proxy_list_get_n_items (GListModel *model)
{
  return HOT_PROXY_LIST (model)->proxies->len;
}

static gpointer
hot_proxy_list_get_item (GListModel *model,
                         guint       position)
{
  HotProxyList *self = HOT_PROXY_LIST (model);

  if (position >= self->proxies->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->proxies, position));
}

static void
hot_proxy_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = hot_proxy_list_get_item_type;
  iface->get_n_items = hot_proxy_list_get_n_items;
  iface->get_item = hot_proxy_list_get_item;
}

static void
hot_proxy_list_class_init (HotProxyListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hot_proxy_list_dispose;
  object_class->finalize = hot_proxy_list_finalize;
}

static void
hot_proxy_list_init (HotProxyList *self)
{
  self->proxies = g_ptr_array_new ();
}

HotProxyList *
hot_proxy_list_new (void)
{
  return g_object_new (HOT_TYPE_PROXY_LIST, NULL);
}

/* A proxy just made: listed until it is finalized. */
void
hot_proxy_list_add (HotProxyList *self,
                    HotNode      *proxy)
{
  g_assert (HOT_IS_PROXY_LIST (self));
  g_assert (HOT_IS_NODE (proxy));

  g_ptr_array_add (self->proxies, proxy);
  g_object_weak_ref (G_OBJECT (proxy), proxy_finalized, self);
  g_list_model_items_changed (G_LIST_MODEL (self), self->proxies->len - 1, 0, 1);
}

/* The proxies (HotNode, not owned), for instantiation to walk. */
GPtrArray *
hot_proxy_list_get_array (HotProxyList *self)
{
  g_assert (HOT_IS_PROXY_LIST (self));

  return self->proxies;
}
