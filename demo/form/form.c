/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The form module of the demo: a sign-up form built from HotNodeArgs. */
#include <hotnode.h>

static void
submit_clicked (GtkButton *button,
                GtkWidget *grid)
{
  GtkWidget       *name = g_object_get_data (G_OBJECT (grid), "name");
  GtkWidget       *subscribe = g_object_get_data (G_OBJECT (grid), "subscribe");
  GtkWidget       *summary = g_object_get_data (G_OBJECT (grid), "summary");
  HotNodeArgs     *args = g_object_get_data (G_OBJECT (grid), "args");
  const char      *text = gtk_editable_get_text (GTK_EDITABLE (name));
  g_autofree char *message = NULL;

  if (*text == '\0')
    {
      gtk_label_set_text (GTK_LABEL (summary), "Please enter your name.");
      return;
    }

  message = g_strdup_printf ("%s, %s!%s",
                             hot_node_args_get_string (args, "greeting", "Welcome"), text,
                             gtk_check_button_get_active (GTK_CHECK_BUTTON (subscribe))
                                 ? " You will get our news."
                                 : "");
  gtk_label_set_text (GTK_LABEL (summary), message);
}

static GtkWidget *
field_label (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_widget_set_halign (label, GTK_ALIGN_END);
  gtk_widget_add_css_class (label, "dim-label");

  return label;
}

HOT_NODE (signup_form)
{
  GtkWidget *grid = gtk_grid_new ();
  GtkWidget *title = gtk_label_new ("Sign up");
  GtkWidget *name = gtk_entry_new ();
  GtkWidget *email = gtk_entry_new ();
  GtkWidget *subscribe = gtk_check_button_new_with_label ("Send me the newsletter");
  GtkWidget *submit = gtk_button_new_with_label ("Sign up");
  GtkWidget *summary = gtk_label_new (NULL);

  gtk_grid_set_row_spacing (GTK_GRID (grid), 8);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_widget_set_valign (grid, GTK_ALIGN_CENTER);

  gtk_widget_add_css_class (title, "title-2");
  gtk_widget_set_name (name, "form-name");
  gtk_entry_set_placeholder_text (GTK_ENTRY (name), "Ada Lovelace");
  gtk_widget_set_hexpand (name, TRUE);
  gtk_widget_set_name (email, "form-email");
  gtk_entry_set_placeholder_text (GTK_ENTRY (email), "ada@example.org");
  gtk_widget_set_name (subscribe, "form-subscribe");
  gtk_widget_set_name (submit, "form-submit");
  gtk_widget_add_css_class (submit, "suggested-action");
  gtk_widget_set_name (summary, "form-summary");
  gtk_label_set_wrap (GTK_LABEL (summary), TRUE);

  g_object_set_data (G_OBJECT (grid), "name", name);
  g_object_set_data (G_OBJECT (grid), "subscribe", subscribe);
  g_object_set_data (G_OBJECT (grid), "summary", summary);
  if (args != NULL)
    g_object_set_data_full (G_OBJECT (grid), "args", hot_node_args_ref (args),
                            (GDestroyNotify) hot_node_args_unref);
  g_signal_connect (submit, "clicked", G_CALLBACK (submit_clicked), grid);

  gtk_grid_attach (GTK_GRID (grid), title, 0, 0, 2, 1);
  gtk_grid_attach (GTK_GRID (grid), field_label ("Name"), 0, 1, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), name, 1, 1, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), field_label ("Email"), 0, 2, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), email, 1, 2, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), subscribe, 1, 3, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), submit, 1, 4, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), summary, 0, 5, 2, 1);

  return grid;
}
