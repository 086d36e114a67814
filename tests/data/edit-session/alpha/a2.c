/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Module alpha, second file: a node that alpha_panel builds, showing this
 * file's token and the shared header's. */
#include <hotnode.h>

#include "shared.h"

#define A2_TOKEN "a2-v0"

HOT_NODE (alpha_detail)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *a2 = gtk_label_new (A2_TOKEN);
  GtkWidget *shared = gtk_label_new (SHARED_TOKEN);

  gtk_widget_set_name (a2, "alpha.a2");
  gtk_widget_set_name (shared, "alpha.shared");
  gtk_box_append (GTK_BOX (box), a2);
  gtk_box_append (GTK_BOX (box), shared);

  return box;
}
