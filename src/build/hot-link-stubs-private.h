/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define HOT_TYPE_LINK_STUBS (hot_link_stubs_get_type ())
G_DECLARE_FINAL_TYPE (HotLinkStubs, hot_link_stubs, HOT, LINK_STUBS, GObject)

HotLinkStubs *hot_link_stubs_new (const char *dir,
                                  const char *driver);
GStrv         hot_link_stubs_argv (HotLinkStubs      *self,
                                   const char *const *argv,
                                   const char        *cwd);
gboolean      hot_link_stubs_is_busy (HotLinkStubs *self);
void          hot_link_stubs_failed (HotLinkStubs      *self,
                                     const char *const *argv);

void hot_link_stubs_acquit (HotLinkStubs *self);

G_END_DECLS
