/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "hot-reload.h"

G_BEGIN_DECLS

/* The prefix the group is inserted under: "hotnode.reset-state", … */
#define HOT_ACTIONS_PREFIX "hotnode"

GActionGroup *hot_actions_new (HotReload *service);

G_END_DECLS
