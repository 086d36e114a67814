/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "hot-module-private.h"
#include "hot-node.h"
#include "hot-project-private.h"
#include "hot-proxy-list-private.h"
#include "hot-reload.h"
#include "hot-watcher-private.h"

G_BEGIN_DECLS

/* The service's state, shared by hot-reload.c (the public object) and
 * hot-reload-setup.c (how its parts are wired). */
struct _HotReload
{
  GObject parent_instance;

  gboolean        enabled;
  GError         *setup_error;
  HotModuleShared shared;

  HotProject   *project;
  HotWatcher   *watcher;
  GHashTable   *modules;      /* name → HotModule */
  GListStore   *status_model; /* HotStatus */
  GHashTable   *node_modules; /* node name → HotModule */
  GHashTable   *not_inputs;   /* paths said to be part of no module */
  HotProxyList *proxies;      /* the live HotNode proxies, weak; what the UI follows */

  HotRebuilderFunc rebuilder;
  gpointer         rebuilder_data;
  GDestroyNotify   rebuilder_destroy;

  guint      prepare_id;      /* the timeout that starts preparing the fast paths */
  guint      unload_check_id; /* an idle: a window closed, generations may go */
  guint      reread_id;       /* an idle: meson regenerated the build */
  gboolean   reread_pending;  /* a module was busy at the last reading: again when it is done */
  GPtrArray *to_prepare;      /* HotModule, one after the other */
};

gboolean   hot_reload_setup (HotReload *self,
                             GError   **error);
void       hot_reload_forget_proxies (HotReload *self);
HotModule *hot_reload_lookup_module (HotReload  *self,
                                     const char *name,
                                     GError    **error);
void       hot_reload_emit_reloaded (HotReload  *self,
                                     const char *module);
void       hot_reload_emit_failed (HotReload    *self,
                                   const char   *module,
                                   const GError *error);

G_END_DECLS
