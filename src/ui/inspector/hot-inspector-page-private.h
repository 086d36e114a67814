/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

#include "hot-reload.h"

G_BEGIN_DECLS

#define HOT_TYPE_INSPECTOR_PAGE (hot_inspector_page_get_type ())

G_DECLARE_FINAL_TYPE (HotInspectorPage, hot_inspector_page, HOT, INSPECTOR_PAGE, GtkWidget)

GtkWidget *hot_inspector_page_new (HotReload  *service,
                                   GListModel *statuses);
void       hot_inspector_page_register (void);

G_END_DECLS
