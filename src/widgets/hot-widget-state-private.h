/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* What a reload carries from a proxy's old child to its new one: see the
 * top of hot-widget-state.c. */
typedef struct _HotStateCarry HotWidgetStateCarry;

void                 hot_widget_state_record (GtkWidget *root);
HotWidgetStateCarry *hot_widget_state_carry (const char *node_name,
                                             GtkWidget  *old_root,
                                             GtkWidget  *new_root);
void                 hot_widget_state_carry_finish (HotWidgetStateCarry *carry);

G_END_DECLS
