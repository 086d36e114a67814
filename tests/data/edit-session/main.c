/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The app of the edit-session test: alpha_panel in one window, beta_panel
 * in another. With --remote it reads commands on standard input:
 *
 *   show             one line: "show" then name=text for every label whose
 *                    name has a dot, in every window, in order (a name
 *                    shown twice is printed twice)
 *   click NAME       clicks the button named NAME: "clicked NAME"
 *   status MODULE    "status MODULE rebuilds=N generation=N building=0|1
 *                    error=none|<first line of the error>"
 *   quit
 *
 * and prints "ready" once the first window is painted, "reloaded MODULE"
 * on HotReload::hot-reload and "failed MODULE <first line>" on
 * HotReload::reload-failed. */
#include <gio/gunixinputstream.h>
#include <hotnode.h>

typedef struct
{
  GtkApplication   *app;
  GtkWidget        *window;
  GDataInputStream *input;
} App;

static void
emit_line (const char *format,
           ...) G_GNUC_PRINTF (1, 2);

static void
emit_line (const char *format,
           ...)
{
  va_list args;

  va_start (args, format);
  vprintf (format, args);
  va_end (args);
  putchar ('\n');
  fflush (stdout);
}

static void
append_labels (GtkWidget *widget,
               GString   *line)
{
  if (GTK_IS_LABEL (widget) && strchr (gtk_widget_get_name (widget), '.') != NULL)
    g_string_append_printf (line, " %s=%s", gtk_widget_get_name (widget), gtk_label_get_text (GTK_LABEL (widget)));

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    append_labels (child, line);
}

static GtkWidget *
find_widget (GtkWidget  *root,
             const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, name);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static void
run_command (App        *app,
             const char *line)
{
  g_auto (GStrv) words = g_strsplit (line, " ", 2);

  if (words[0] == NULL)
    return;

  if (g_str_equal (words[0], "quit"))
    {
      g_application_quit (G_APPLICATION (app->app));
    }
  else if (g_str_equal (words[0], "show"))
    {
      GListModel *toplevels = gtk_window_get_toplevels ();
      g_autoptr (GString) text = g_string_new ("show");

      for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
        {
          g_autoptr (GtkWidget) window = g_list_model_get_item (toplevels, i);

          append_labels (window, text);
        }
      emit_line ("%s", text->str);
    }
  else if (g_str_equal (words[0], "click") && words[1] != NULL)
    {
      GtkWidget *button = find_widget (app->window, words[1]);

      if (button == NULL || !GTK_IS_BUTTON (button))
        {
          emit_line ("error no button named %s", words[1]);
          return;
        }
      g_signal_emit_by_name (button, "clicked");
      emit_line ("clicked %s", words[1]);
    }
  else if (g_str_equal (words[0], "status") && words[1] != NULL)
    {
      HotStatus       *status = hot_reload_lookup_status (hot_reload_get_default (), words[1]);
      const GError    *error;
      g_autofree char *first_line = NULL;

      if (status == NULL)
        {
          emit_line ("error no module named %s", words[1]);
          return;
        }
      error = hot_status_get_error (status);
      first_line = g_strdup (error != NULL ? error->message : "none");
      first_line[strcspn (first_line, "\n")] = '\0';
      emit_line ("status %s rebuilds=%u generation=%u building=%d error=%s", words[1],
                 hot_status_get_rebuild_count (status), hot_status_get_generation (status),
                 hot_status_get_building (status), first_line);
    }
  else
    {
      emit_line ("error unknown command %s", line);
    }
}

static void
line_read (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  App             *app = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (app->input, result, NULL, NULL);

  if (line == NULL)
    {
      /* The test that drove us is gone. */
      g_application_quit (G_APPLICATION (app->app));
      return;
    }

  run_command (app, g_strstrip (line));
  g_data_input_stream_read_line_async (app->input, G_PRIORITY_DEFAULT, NULL, line_read, app);
}

static void
on_hot_reload (HotReload  *service,
               const char *module,
               App        *app)
{
  emit_line ("reloaded %s", module);
}

static void
on_reload_failed (HotReload    *service,
                  const char   *module,
                  const GError *error,
                  App          *app)
{
  g_autofree char *first_line = g_strdup (error->message);

  first_line[strcspn (first_line, "\n")] = '\0';
  emit_line ("failed %s %s", module, first_line);
}

static void
first_frame_painted (GdkFrameClock *clock,
                     App           *app)
{
  g_signal_handlers_disconnect_by_func (clock, first_frame_painted, app);
  emit_line ("ready");
}

static void
window_mapped (GtkWidget *window,
               App       *app)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint", G_CALLBACK (first_frame_painted), app);
}

static void
activate (GtkApplication *application,
          App            *app)
{
  HotReload *service = hot_reload_get_default ();
  GtkWidget *second = gtk_application_window_new (application);
  g_autoptr (GInputStream) stdin_stream = g_unix_input_stream_new (STDIN_FILENO, FALSE);

  g_signal_connect (service, "hot-reload", G_CALLBACK (on_hot_reload), app);
  g_signal_connect (service, "reload-failed", G_CALLBACK (on_reload_failed), app);

  app->window = gtk_application_window_new (application);
  gtk_window_set_title (GTK_WINDOW (app->window), "alpha");
  gtk_window_set_child (GTK_WINDOW (app->window), hot_node_new ("alpha_panel", NULL));
  g_signal_connect (app->window, "map", G_CALLBACK (window_mapped), app);

  gtk_window_set_title (GTK_WINDOW (second), "beta");
  gtk_window_set_child (GTK_WINDOW (second), hot_node_new ("beta_panel", NULL));

  app->input = g_data_input_stream_new (stdin_stream);
  g_data_input_stream_read_line_async (app->input, G_PRIORITY_DEFAULT, NULL, line_read, app);

  gtk_window_present (GTK_WINDOW (second));
  gtk_window_present (GTK_WINDOW (app->window));
}

int
main (int   argc,
      char *argv[])
{
  App app = { 0 };
  int status;

  /* Only --remote is known; it is the only way this app runs. */
  app.app = gtk_application_new ("org.hotnode.EditSession", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app.app, "activate", G_CALLBACK (activate), &app);
  status = g_application_run (G_APPLICATION (app.app), 0, NULL);

  g_clear_object (&app.input);
  g_clear_object (&app.app);

  return status;
}
