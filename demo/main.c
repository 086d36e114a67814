/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hotnode demo: a window with two hot nodes, from two hot modules.
 *
 *   hotnode-demo            a normal run; with HOT_RELOAD=1, edit
 *                           demo/counter/counter.c, counter-badge.ui,
 *                           counter.css or demo/form/form.c
 *   hotnode-demo --tour DIR runs the tour by itself (for machines with no
 *                           screen): clicks, edits counter.c, waits for the
 *                           reload, edits counter.css, saves screenshots to
 *                           DIR, restores the files
 *   hotnode-demo --remote   reads commands on standard input and prints
 *                           events, for tests and the benchmark: click NAME,
 *                           set NAME TEXT, text NAME, overlay, status MODULE,
 *                           shot FILE, quit; it prints ready (first frame
 *                           painted), reloaded/failed MODULE, and timings
 *                           MODULE {…} (HotStatus:timings, once painted)
 */
#include <gio/gunixinputstream.h>
#include <hotnode.h>

#include "demo-shot.h"

#ifndef DEMO_SOURCE_DIR
#define DEMO_SOURCE_DIR "."
#endif

#define TOUR_ORIGINAL "\"Count the clicks\""
#define TOUR_EDITED "\"Edited while running: the count stayed\""

typedef struct
{
  GtkApplication   *app;
  GtkWidget        *window;
  GtkWidget        *status;
  char             *tour_dir;
  gboolean          remote;
  GDataInputStream *input;

  /* The tour */
  char  *counter_path;
  char  *counter_original;
  char  *style_path;
  char  *style_original;
  int    tour_step;
  gint64 saved_at;
  gint64 reloaded_at;
} Demo;

static void tour_next (Demo *demo);

static void
emit_line (const char *format,
           ...) G_GNUC_PRINTF (1, 2);

/* One line on standard output, flushed: the remote protocol and the tour's
 * report. */
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

static GtkWidget *
find_by_css_name (GtkWidget  *root,
                  const char *css_name)
{
  if (g_str_equal (gtk_widget_get_css_name (root), css_name))
    return root;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_by_css_name (child, css_name);

      if (found != NULL)
        return found;
    }

  return NULL;
}

/* The labels and buttons of a widget, as one line. */
static void
append_texts (GtkWidget *widget,
              GString   *line)
{
  if (GTK_IS_LABEL (widget) || GTK_IS_BUTTON (widget))
    {
      g_string_append_printf (line, "%s%s", line->len ? " | " : "",
                              GTK_IS_LABEL (widget) ? gtk_label_get_text (GTK_LABEL (widget))
                                                    : gtk_button_get_label (GTK_BUTTON (widget)));
      return;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    append_texts (child, line);
}

static const char *
widget_text (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget))
    return gtk_label_get_text (GTK_LABEL (widget));
  if (GTK_IS_EDITABLE (widget))
    return gtk_editable_get_text (GTK_EDITABLE (widget));
  if (GTK_IS_BUTTON (widget))
    return gtk_button_get_label (GTK_BUTTON (widget));
  return "";
}

typedef struct
{
  Demo  *demo;
  char  *path;
  gulong handler;
  void (*then) (Demo *demo);
} PendingShot;

static void
shot_after_paint (GdkFrameClock *clock,
                  PendingShot   *shot)
{
  g_autoptr (GError) error = NULL;

  g_signal_handler_disconnect (clock, shot->handler);

  if (demo_save_png (shot->demo->window, shot->path, &error))
    emit_line ("shot %s", shot->path);
  else
    emit_line ("error %s", error->message);

  if (shot->then != NULL)
    shot->then (shot->demo);

  g_free (shot->path);
  g_free (shot);
}

/* Saves a PNG of the window once the next frame is painted, so that what
 * changed since is laid out and drawn. */
static void
shoot_after_next_frame (Demo       *demo,
                        const char *path,
                        void (*then) (Demo *demo))
{
  PendingShot   *shot = g_new0 (PendingShot, 1);
  GdkFrameClock *clock = gtk_widget_get_frame_clock (demo->window);

  shot->demo = demo;
  shot->path = g_strdup (path);
  shot->then = then;
  shot->handler = g_signal_connect (clock, "after-paint", G_CALLBACK (shot_after_paint), shot);
  gtk_widget_queue_draw (demo->window);
}

static void
update_status (Demo *demo)
{
  HotReload  *service = hot_reload_get_default ();
  GListModel *model = hot_reload_get_status (service);
  g_autoptr (GString) text = g_string_new (NULL);

  if (!hot_reload_get_enabled (service))
    {
      gtk_label_set_text (GTK_LABEL (demo->status), "Hot reload is off: run with HOT_RELOAD=1");
      return;
    }

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (HotStatus) status = g_list_model_get_item (model, i);

      if (text->len > 0)
        g_string_append (text, "   ·   ");
      g_string_append_printf (text, "%s: ", hot_status_get_module (status));
      if (hot_status_get_building (status))
        g_string_append (text, "building…");
      else if (hot_status_get_error (status) != NULL)
        g_string_append (text, "build failed, see the log");
      else if (hot_status_get_rebuild_count (status) == 0)
        g_string_append (text, "watching");
      else
        g_string_append_printf (text, "generation %u, %.0f ms",
                                hot_status_get_generation (status),
                                hot_status_get_last_duration (status) / 1000.0);
    }

  gtk_label_set_text (GTK_LABEL (demo->status), text->str);
}

static void
status_changed (HotStatus  *status,
                GParamSpec *pspec,
                Demo       *demo)
{
  GVariant *timings = hot_status_get_timings (status);

  update_status (demo);

  /* Once a reload is on screen, where its time went (for the benchmark). */
  if (demo->remote && g_str_equal (pspec->name, "timings") &&
      g_variant_lookup (timings, "painted", "x", NULL))
    {
      g_autofree char *text = g_variant_print (timings, TRUE);

      emit_line ("timings %s %s", hot_status_get_module (status), text);
    }
}

static void
run_command (Demo       *demo,
             const char *line)
{
  g_auto (GStrv) words = g_strsplit (line, " ", 3);
  GtkWidget *widget = NULL;

  if (words[0] == NULL)
    return;

  if (words[1] != NULL)
    widget = find_widget (demo->window, words[1]);

  if (g_str_equal (words[0], "quit"))
    {
      g_application_quit (G_APPLICATION (demo->app));
    }
  else if (g_str_equal (words[0], "status") && words[1] != NULL)
    {
      HotStatus  *status = hot_reload_lookup_status (hot_reload_get_default (), words[1]);
      const char *builder = "none";

      if (status != NULL && hot_status_get_timings (status) != NULL)
        g_variant_lookup (hot_status_get_timings (status), "builder", "&s", &builder);
      if (status == NULL)
        emit_line ("error no module named %s", words[1]);
      else
        emit_line ("status %s building=%d rebuilds=%u generation=%u builder=%s", words[1],
                   hot_status_get_building (status), hot_status_get_rebuild_count (status),
                   hot_status_get_generation (status), builder);
    }
  else if (g_str_equal (words[0], "overlay"))
    {
      /* What hot reload shows in the window: its overlay's text. */
      GtkWidget *overlay = find_by_css_name (demo->window, "hotnodeoverlay");
      g_autoptr (GString) texts = g_string_new (NULL);

      if (overlay != NULL && gtk_widget_get_visible (overlay))
        append_texts (overlay, texts);
      emit_line ("overlay %s", texts->str);
    }
  else if (g_str_equal (words[0], "shot") && words[1] != NULL)
    {
      shoot_after_next_frame (demo, words[1], NULL);
    }
  else if (widget == NULL)
    {
      emit_line ("error no widget named %s", words[1] ? words[1] : "(none)");
    }
  else if (g_str_equal (words[0], "click"))
    {
      g_signal_emit_by_name (widget, "clicked");
      emit_line ("clicked %s", words[1]);
    }
  else if (g_str_equal (words[0], "set") && GTK_IS_EDITABLE (widget))
    {
      gtk_editable_set_text (GTK_EDITABLE (widget), words[2] ? words[2] : "");
      emit_line ("set %s", words[1]);
    }
  else if (g_str_equal (words[0], "text"))
    {
      emit_line ("text %s %s", words[1], widget_text (widget));
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
  Demo *demo = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_finish_utf8 (demo->input, result, NULL, &error);

  if (line == NULL)
    {
      /* The test that drove us is gone. */
      g_application_quit (G_APPLICATION (demo->app));
      return;
    }

  run_command (demo, g_strstrip (line));
  g_data_input_stream_read_line_async (demo->input, G_PRIORITY_DEFAULT, NULL, line_read, demo);
}

static void
on_hot_reload (HotReload  *service,
               const char *module,
               Demo       *demo)
{
  emit_line ("reloaded %s", module);

  if (demo->tour_dir != NULL && g_str_equal (module, "counter"))
    {
      demo->reloaded_at = g_get_monotonic_time ();
      tour_next (demo);
    }
}

static void
on_reload_failed (HotReload    *service,
                  const char   *module,
                  const GError *error,
                  Demo         *demo)
{
  g_autofree char *first_line = g_strdup (error->message);

  first_line[strcspn (first_line, "\n")] = '\0';
  emit_line ("failed %s %s", module, first_line);

  if (demo->tour_dir != NULL && g_str_equal (module, "counter"))
    tour_next (demo);
}

static void
restore_counter (Demo *demo)
{
  g_autoptr (GError) error = NULL;

  if (demo->counter_original == NULL)
    return;

  if (!g_file_set_contents (demo->counter_path, demo->counter_original, -1, &error))
    g_printerr ("Could not restore %s: %s\n", demo->counter_path, error->message);
  g_clear_pointer (&demo->counter_original, g_free);
}

static void
restore_style (Demo *demo)
{
  g_autoptr (GError) error = NULL;

  if (demo->style_original == NULL)
    return;

  if (!g_file_set_contents (demo->style_path, demo->style_original, -1, &error))
    g_printerr ("Could not restore %s: %s\n", demo->style_path, error->message);
  g_clear_pointer (&demo->style_original, g_free);
}

static void
tour_shot (Demo       *demo,
           const char *name,
           void (*then) (Demo *demo))
{
  g_autofree char *path = g_build_filename (demo->tour_dir, name, NULL);

  shoot_after_next_frame (demo, path, then);
}

static gboolean
tour_next_later (gpointer user_data)
{
  tour_next (user_data);

  return G_SOURCE_REMOVE;
}

/* Changes the colour of the count in counter.css, as an editor saves. */
static void
tour_edit_style (Demo *demo)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) edited = NULL;

  demo->style_path = g_build_filename (DEMO_SOURCE_DIR, "counter", "counter.css", NULL);
  if (!g_file_get_contents (demo->style_path, &demo->style_original, NULL, &error) ||
      strstr (demo->style_original, "#1c71d8") == NULL)
    {
      emit_line ("tour: cannot edit %s: %s", demo->style_path, error ? error->message : "it was changed by hand");
      g_clear_pointer (&demo->style_original, g_free);
      g_application_quit (G_APPLICATION (demo->app));
      return;
    }
  emit_line ("tour: changing the colour of the count in %s", demo->style_path);
  edited = g_string_new (demo->style_original);
  g_string_replace (edited, "#1c71d8", "#c01c28", 1);
  g_file_set_contents (demo->style_path, edited->str, -1, NULL);
  /* No compiler, no new generation: the sheet is loaded again at once. */
  g_timeout_add (500, tour_next_later, demo);
}

static gboolean
tour_timeout (gpointer user_data)
{
  Demo *demo = user_data;

  emit_line ("tour: no reload after 60 s; is HOT_RELOAD=1 set? See the log above.");
  restore_counter (demo);
  restore_style (demo);
  g_application_quit (G_APPLICATION (demo->app));

  return G_SOURCE_REMOVE;
}

static void
tour_write (Demo       *demo,
            const char *from,
            const char *to)
{
  g_autoptr (GString) edited = g_string_new (demo->counter_original);

  g_string_replace (edited, from, to, 1);
  demo->saved_at = g_get_monotonic_time ();
  g_file_set_contents (demo->counter_path, edited->str, -1, NULL);
}

/* The tour, one step per event: shown → clicked → edited and reloaded →
 * broken and reported → restored and reloaded → style sheet edited →
 * restored → quit. */
static void
tour_next (Demo *demo)
{
  g_autoptr (GError) error = NULL;
  GtkWidget *value;

  switch (demo->tour_step++)
    {
    case 0:
      tour_shot (demo, "1-start.png", tour_next);
      break;

    case 1:
      for (int i = 0; i < 3; i++)
        run_command (demo, "click counter-add");
      run_command (demo, "set form-name Ada");
      run_command (demo, "click form-submit");
      tour_shot (demo, "2-used.png", tour_next);
      break;

    case 2:
      demo->counter_path = g_build_filename (DEMO_SOURCE_DIR, "counter", "counter.c", NULL);
      if (!g_file_get_contents (demo->counter_path, &demo->counter_original, NULL, &error) ||
          strstr (demo->counter_original, TOUR_ORIGINAL) == NULL)
        {
          emit_line ("tour: cannot edit %s: %s", demo->counter_path,
                     error ? error->message : "it was changed by hand");
          g_clear_pointer (&demo->counter_original, g_free);
          g_application_quit (G_APPLICATION (demo->app));
          return;
        }
      emit_line ("tour: editing %s as an editor would, then waiting for the reload", demo->counter_path);
      tour_write (demo, TOUR_ORIGINAL, TOUR_EDITED);
      g_timeout_add_seconds (60, tour_timeout, demo);
      break;

    case 3:
      value = find_widget (demo->window, "counter-value");
      emit_line ("tour: save to reload %.0f ms; the count after the reload is %s",
                 (demo->reloaded_at - demo->saved_at) / 1000.0, widget_text (value));
      tour_shot (demo, "3-reloaded.png", tour_next);
      break;

    case 4:
      emit_line ("tour: save to painted %.0f ms", (g_get_monotonic_time () - demo->saved_at) / 1000.0);
      emit_line ("tour: saving a syntax error (a missing semicolon)");
      tour_write (demo, TOUR_ORIGINAL ");", TOUR_EDITED ")");
      break;

    case 5:
      emit_line ("tour: the build failed; the panel keeps working and the window shows why");
      /* The overlay is a popover: a surface of its own, sized a moment
       * after the window's frame. */
      g_timeout_add (300, tour_next_later, demo);
      break;

    case 6:
      tour_shot (demo, "4-error.png", tour_next);
      break;

    case 7:
      emit_line ("tour: restoring %s", demo->counter_path);
      restore_counter (demo);
      break;

    case 8:
      tour_edit_style (demo);
      break;

    case 9:
      tour_shot (demo, "5-style.png", tour_next);
      break;

    case 10:
      emit_line ("tour: restoring %s", demo->style_path);
      restore_style (demo);
      g_timeout_add (500, tour_next_later, demo);
      break;

    default:
      emit_line ("tour: done, screenshots are in %s", demo->tour_dir);
      g_application_quit (G_APPLICATION (demo->app));
      break;
    }
}

static void
first_frame_painted (GdkFrameClock *clock,
                     Demo          *demo)
{
  g_signal_handlers_disconnect_by_func (clock, first_frame_painted, demo);
  emit_line ("ready");
}

static void
window_mapped (GtkWidget *window,
               Demo      *demo)
{
  /* Ready when the window's first frame is on screen. */
  if (demo->remote)
    g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint", G_CALLBACK (first_frame_painted), demo);
  if (demo->tour_dir != NULL)
    tour_next (demo);
}

static GtkWidget *
framed (GtkWidget *child)
{
  GtkWidget *frame = gtk_frame_new (NULL);

  gtk_widget_set_margin_top (child, 18);
  gtk_widget_set_margin_bottom (child, 18);
  gtk_widget_set_margin_start (child, 18);
  gtk_widget_set_margin_end (child, 18);
  gtk_frame_set_child (GTK_FRAME (frame), child);
  gtk_widget_set_hexpand (frame, TRUE);

  return frame;
}

static void
activate (GtkApplication *app,
          Demo           *demo)
{
  HotReload  *service = hot_reload_get_default ();
  GListModel *model = hot_reload_get_status (service);
  g_autoptr (HotNodeArgs) form_args = hot_node_args_new ();
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *panels = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);

  hot_node_args_set_string (form_args, "greeting", "Welcome aboard");

  gtk_box_set_homogeneous (GTK_BOX (panels), TRUE);
  gtk_box_append (GTK_BOX (panels), framed (hot_node_new ("counter_panel", NULL)));
  gtk_box_append (GTK_BOX (panels), framed (hot_node_new ("signup_form", form_args)));
  gtk_widget_set_vexpand (panels, TRUE);

  demo->status = gtk_label_new (NULL);
  gtk_widget_add_css_class (demo->status, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (demo->status), 0);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (GObject) status = g_list_model_get_item (model, i);

      g_signal_connect (status, "notify", G_CALLBACK (status_changed), demo);
    }
  update_status (demo);

  gtk_widget_set_margin_top (content, 12);
  gtk_widget_set_margin_bottom (content, 12);
  gtk_widget_set_margin_start (content, 12);
  gtk_widget_set_margin_end (content, 12);
  gtk_box_append (GTK_BOX (content), panels);
  gtk_box_append (GTK_BOX (content), demo->status);

  demo->window = gtk_application_window_new (app);
  gtk_window_set_title (GTK_WINDOW (demo->window), "hotnode demo");
  gtk_window_set_default_size (GTK_WINDOW (demo->window), 760, 400);
  gtk_window_set_child (GTK_WINDOW (demo->window), content);
  g_signal_connect (demo->window, "map", G_CALLBACK (window_mapped), demo);

  g_signal_connect (service, "hot-reload", G_CALLBACK (on_hot_reload), demo);
  g_signal_connect (service, "reload-failed", G_CALLBACK (on_reload_failed), demo);

  if (demo->remote)
    {
      g_autoptr (GInputStream) stdin_stream = g_unix_input_stream_new (STDIN_FILENO, FALSE);

      demo->input = g_data_input_stream_new (stdin_stream);
      g_data_input_stream_read_line_async (demo->input, G_PRIORITY_DEFAULT, NULL, line_read, demo);
    }

  gtk_window_present (GTK_WINDOW (demo->window));
}

int
main (int   argc,
      char *argv[])
{
  Demo               demo = { 0 };
  gboolean           remote = FALSE;
  g_autofree char   *tour_dir = NULL;
  const GOptionEntry entries[] = {
    { "tour", 0, 0, G_OPTION_ARG_FILENAME, &tour_dir, "Run the tour by itself and save screenshots to DIR", "DIR" },
    { "remote", 0, 0, G_OPTION_ARG_NONE, &remote, "Take commands on standard input (for tests)", NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  int status;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  demo.remote = remote;
  demo.tour_dir = tour_dir;
  if (tour_dir != NULL)
    g_mkdir_with_parents (tour_dir, 0755);

  demo.app = gtk_application_new ("org.hotnode.Demo", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (demo.app, "activate", G_CALLBACK (activate), &demo);
  status = g_application_run (G_APPLICATION (demo.app), 0, NULL);

  restore_counter (&demo);
  g_clear_object (&demo.input);
  g_clear_object (&demo.app);
  g_free (demo.counter_path);

  return status;
}
