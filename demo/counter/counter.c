/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The counter module of the demo. Edit this file while the demo runs with
 * HOT_RELOAD=1 and save: the panel is rebuilt from the new code, and the
 * count, a HOT_STATIC, is what it was. */
#include <hotnode.h>

#include "counter-badge.h"

HOT_STATIC (int, clicks, 0);

static void
show_clicks (GtkLabel *value)
{
  g_autofree char *text = g_strdup_printf ("%d", HOT_STATIC_REF (clicks));

  gtk_label_set_text (value, text);
}

static void
add_clicked (GtkButton *button,
             GtkLabel  *value)
{
  HOT_STATIC_REF (clicks) += 1;
  show_clicks (value);
}

static void
reset_clicked (GtkButton *button,
               GtkLabel  *value)
{
  HOT_STATIC_REF (clicks) = 0;
  show_clicks (value);
}

/* The module's style sheet, once a display: every generation of this code
 * finds the provider the first one added, and hot reload loads the sheet
 * again into it when counter.css is saved. */
static void
ensure_style (GdkDisplay *display)
{
  GtkCssProvider *provider;

  if (g_object_get_data (G_OBJECT (display), "counter-style") != NULL)
    return;

  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, "/org/hotnode/demo/counter/counter.css");
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  g_object_set_data_full (G_OBJECT (display), "counter-style", provider, g_object_unref);
}

HOT_NODE (counter_panel)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *title = gtk_label_new ("Count the clicks");
  GtkWidget *value = gtk_label_new (NULL);
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *add = gtk_button_new_with_label ("Add one");
  GtkWidget *reset = gtk_button_new_with_label ("Reset");
  GtkWidget *hint = gtk_label_new ("Edit demo/counter/counter.c and save:\nthis panel is rebuilt, the count stays.");

  ensure_style (gdk_display_get_default ());

  gtk_widget_set_name (title, "counter-title");
  gtk_widget_add_css_class (title, "title-2");
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_label_set_justify (GTK_LABEL (title), GTK_JUSTIFY_CENTER);
  gtk_label_set_max_width_chars (GTK_LABEL (title), 24);

  gtk_widget_set_name (value, "counter-value");
  gtk_widget_add_css_class (value, "title-1");
  show_clicks (GTK_LABEL (value));

  gtk_widget_set_name (add, "counter-add");
  gtk_widget_add_css_class (add, "suggested-action");
  g_signal_connect (add, "clicked", G_CALLBACK (add_clicked), value);
  g_signal_connect (reset, "clicked", G_CALLBACK (reset_clicked), value);
  gtk_widget_set_halign (buttons, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (buttons), add);
  gtk_box_append (GTK_BOX (buttons), reset);

  gtk_widget_add_css_class (hint, "dim-label");
  gtk_label_set_justify (GTK_LABEL (hint), GTK_JUSTIFY_CENTER);

  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), value);
  gtk_box_append (GTK_BOX (box), buttons);
  gtk_box_append (GTK_BOX (box), counter_badge_new ());
  gtk_box_append (GTK_BOX (box), hint);
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);

  return box;
}
