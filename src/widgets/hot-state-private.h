/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* What a reload carries from a proxy's old child to its new one: see the
 * top of hot-state.c. */
typedef struct _HotStateCarry HotStateCarry;

void           hot_state_record (GtkWidget *root);
HotStateCarry *hot_state_carry (const char *node_name,
                                GtkWidget  *old_root,
                                GtkWidget  *new_root);
void           hot_state_carry_finish (HotStateCarry *carry);

G_END_DECLS
