/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Module beta: a panel that the app shows in its second window, and that
 * alpha_panel builds too. */
#include <hotnode.h>

#include "shared.h"

#define B1_TOKEN "b1-v0"

HOT_NODE (beta_panel)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *b1 = gtk_label_new (B1_TOKEN);
  GtkWidget *shared = gtk_label_new (SHARED_TOKEN);

  gtk_widget_set_name (b1, "beta.b1");
  gtk_widget_set_name (shared, "beta.shared");
  gtk_box_append (GTK_BOX (box), b1);
  gtk_box_append (GTK_BOX (box), shared);

  return box;
}
