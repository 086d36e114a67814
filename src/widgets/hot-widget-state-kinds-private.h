/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* One kind of widget with state: see hot-widget-state-kinds.c. */
typedef struct
{
  GType (*get_type) (void);
  GVariant *(*save) (GtkWidget *widget);
  /* @changed: the entries that differ from the initial state; @now: the
   * whole state of @old */
  void (*restore) (GtkWidget *widget,
                   GVariant  *changed,
                   GVariant  *now,
                   GtkWidget *old);
  gboolean leaf;
} HotWidgetStateKind;

const HotWidgetStateKind *hot_widget_state_kind_of (GtkWidget *widget);
GVariant                 *hot_widget_state_changed_entries (GVariant *initial,
                                                            GVariant *now);
GVariant                 *hot_widget_state_editable_save (GtkWidget *widget);
void                      hot_widget_state_editable_set_cursor (GtkEditable *editable,
                                                                GVariant    *now);

G_END_DECLS
