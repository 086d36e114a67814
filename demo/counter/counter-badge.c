/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A widget type with a composite template in the counter module: edit
 * counter-badge.ui (no compiler runs) or this file while the demo runs
 * with HOT_RELOAD=1, and save. */
#include <hotnode.h>

#include "counter-badge.h"

struct _CounterBadge
{
  GtkBox    parent_instance;
  GtkLabel *label;
};

G_DEFINE_FINAL_TYPE (CounterBadge, counter_badge, GTK_TYPE_BOX)

static void
counter_badge_double (GtkButton    *button,
                      CounterBadge *self)
{
  g_autofree char *text = g_strconcat (gtk_label_get_label (self->label), " ×2", NULL);

  gtk_label_set_label (self->label, text);
}

static void
counter_badge_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), COUNTER_TYPE_BADGE);
  G_OBJECT_CLASS (counter_badge_parent_class)->dispose (object);
}

static void
counter_badge_class_init (CounterBadgeClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = counter_badge_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/org/hotnode/demo/counter/counter-badge.ui");
  gtk_widget_class_bind_template_child (widget_class, CounterBadge, label);
  gtk_widget_class_bind_template_callback (widget_class, counter_badge_double);
}

static void
counter_badge_init (CounterBadge *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
counter_badge_new (void)
{
  return g_object_new (COUNTER_TYPE_BADGE, NULL);
}
