/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Module alpha: its panel shows the tokens of this file and of
 * alpha-inside.h, a click count kept across reloads, and two nodes of its
 * own: alpha_detail (this module) and beta_panel (module beta). */
#include <hotnode.h>

#include "alpha-inside.h"

#define A1_TOKEN "a1-v0"

HOT_STATIC (int, clicks, 0);

static GtkWidget *
token_label (const char *name,
             const char *token)
{
  GtkWidget *label = gtk_label_new (token);

  gtk_widget_set_name (label, name);

  return label;
}

static void
show_clicks (GtkLabel *label)
{
  g_autofree char *text = g_strdup_printf ("%d", HOT_STATIC_REF (clicks));

  gtk_label_set_text (label, text);
}

static void
add_clicked (GtkButton *button,
             GtkLabel  *label)
{
  HOT_STATIC_REF (clicks) += 1;
  show_clicks (label);
}

HOT_NODE (alpha_panel)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *clicks = token_label ("alpha.clicks", NULL);
  GtkWidget *add = gtk_button_new_with_label ("Add one");

  show_clicks (GTK_LABEL (clicks));
  gtk_widget_set_name (add, "alpha-add");
  g_signal_connect (add, "clicked", G_CALLBACK (add_clicked), clicks);

  gtk_box_append (GTK_BOX (box), token_label ("alpha.a1", A1_TOKEN));
  gtk_box_append (GTK_BOX (box), token_label ("alpha.alpha-inside", ALPHA_INSIDE_TOKEN));
  gtk_box_append (GTK_BOX (box), clicks);
  gtk_box_append (GTK_BOX (box), add);
  gtk_box_append (GTK_BOX (box), hot_node_new ("alpha_detail", NULL));
  gtk_box_append (GTK_BOX (box), hot_node_new ("beta_panel", NULL));

  return box;
}
