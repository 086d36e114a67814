/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define COUNTER_TYPE_BADGE (counter_badge_get_type ())
G_DECLARE_FINAL_TYPE (CounterBadge, counter_badge, COUNTER, BADGE, GtkBox)

GtkWidget *counter_badge_new (void);

G_END_DECLS
