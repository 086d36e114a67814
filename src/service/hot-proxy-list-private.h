/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "hot-node.h"

G_BEGIN_DECLS

#define HOT_TYPE_PROXY_LIST (hot_proxy_list_get_type ())

G_DECLARE_FINAL_TYPE (HotProxyList, hot_proxy_list, HOT, PROXY_LIST, GObject)

HotProxyList *hot_proxy_list_new (void);
void          hot_proxy_list_add (HotProxyList *self,
                                  HotNode      *proxy);
GPtrArray    *hot_proxy_list_get_array (HotProxyList *self);

G_END_DECLS
