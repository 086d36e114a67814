/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Capturing the warnings and criticals a piece of code logs. g_test_init ()
 * makes warnings and criticals fatal: a capture must keep its own from
 * aborting, and leave everything else as fatal as it was, which the
 * subprocess tests check. */
#include "config.h"

#include <gtk/gtk.h>

#include "hot-log-capture-private.h"

/* A template widget whose template names another class, as a reloaded
 * module's type with a generation suffix meets its unchanged .ui file. */
#define TEST_TYPE_MISNAMED (test_misnamed_get_type ())
G_DECLARE_FINAL_TYPE (TestMisnamed, test_misnamed, TEST, MISNAMED, GtkWidget)

struct _TestMisnamed
{
  GtkWidget  parent_instance;
  GtkWidget *label;
};

G_DEFINE_FINAL_TYPE (TestMisnamed, test_misnamed, GTK_TYPE_WIDGET)

static void
test_misnamed_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), TEST_TYPE_MISNAMED);

  G_OBJECT_CLASS (test_misnamed_parent_class)->dispose (object);
}

static void
test_misnamed_class_init (TestMisnamedClass *klass)
{
  static const char ui[] =
      "<interface>"
      "  <template class=\"TestOther\" parent=\"GtkWidget\">"
      "    <child><object class=\"GtkLabel\" id=\"label\"/></child>"
      "  </template>"
      "</interface>";
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  g_autoptr (GBytes) bytes = g_bytes_new_static (ui, sizeof ui - 1);

  G_OBJECT_CLASS (klass)->dispose = test_misnamed_dispose;
  gtk_widget_class_set_template (widget_class, bytes);
  gtk_widget_class_bind_template_child (widget_class, TestMisnamed, label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
test_misnamed_init (TestMisnamed *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

static void
fail_return_if_fail (void)
{
  g_object_ref (NULL);
}

static void
log_structured_warning (const char *text)
{
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_WARNING, "MESSAGE", "structured %s", text);
}

static void
assert_messages (GPtrArray         *messages,
                 const char *const *patterns)
{
  guint n_patterns = patterns ? g_strv_length ((char **) patterns) : 0;

  if (n_patterns == 0)
    {
      g_assert_null (messages);
      return;
    }

  g_assert_nonnull (messages);
  for (guint i = 0; i < messages->len; i++)
    g_test_message ("captured: %s", (const char *) g_ptr_array_index (messages, i));
  g_assert_cmpuint (messages->len, ==, n_patterns);
  for (guint i = 0; i < n_patterns; i++)
    g_assert_true (g_pattern_match_simple (patterns[i], g_ptr_array_index (messages, i)));
}

static void
test_return_if_fail (void)
{
  g_autoptr (GPtrArray) messages = NULL;
  HotLogCapture *capture;

  g_test_summary ("A g_return_if_fail () critical (the old g_log () way) is "
                  "captured, and does not abort though g_test_init () made "
                  "criticals fatal");

  g_assert_true (hot_log_capture_is_supported ());
  capture = hot_log_capture_begin ();
  fail_return_if_fail ();
  messages = hot_log_capture_end (capture);

  assert_messages (messages, (const char *[]){ "GLib-GObject-CRITICAL: g_object_ref: assertion*failed", NULL });
}

static void
test_structured (void)
{
  g_autoptr (GPtrArray) messages = NULL;
  HotLogCapture *capture;

  g_test_summary ("A g_log_structured () warning is captured, domain, level "
                  "and formatted text");

  capture = hot_log_capture_begin ();
  log_structured_warning ("seven");
  messages = hot_log_capture_end (capture);

  assert_messages (messages, (const char *[]){ G_LOG_DOMAIN "-WARNING: structured seven", NULL });
}

static void
test_gtk_template (void)
{
  g_autoptr (GPtrArray) messages = NULL;
  HotLogCapture *capture;
  GtkWidget     *widget;

  g_test_summary ("GTK's own critical (structured in GTK 4.8) when a "
                  "template names another class is captured");

  capture = hot_log_capture_begin ();
  widget = g_object_ref_sink (g_object_new (TEST_TYPE_MISNAMED, NULL));
  messages = hot_log_capture_end (capture);

  g_assert_nonnull (messages);
  g_assert_cmpuint (messages->len, >=, 1);
  g_assert_true (g_pattern_match_simple ("Gtk-CRITICAL: Error building template class 'TestMisnamed'*"
                                         "Parsed template definition for type 'TestOther', "
                                         "expected type 'TestMisnamed'",
                                         g_ptr_array_index (messages, 0)));
  g_assert_finalize_object (widget);
}

static void
test_empty (void)
{
  HotLogCapture *capture;

  g_test_summary ("A capture in which nothing was logged, or only messages "
                  "below warnings, returns NULL");

  capture = hot_log_capture_begin ();
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_MESSAGE, "MESSAGE", "only a message");
  g_assert_null (hot_log_capture_end (capture));
}

static void
test_outside (void)
{
  g_test_summary ("Messages outside a capture are not captured, and stay "
                  "as fatal as g_test_init () made them");

  if (g_test_subprocess ())
    {
      HotLogCapture *capture = hot_log_capture_begin ();

      g_assert_null (hot_log_capture_end (capture));
      fail_return_if_fail ();
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*GLib-GObject-*CRITICAL*g_object_ref: assertion*");
}

static void
test_before (void)
{
  g_autoptr (GPtrArray) messages = NULL;
  HotLogCapture *capture;

  g_test_summary ("A message logged before a capture began is not in it");

  g_test_expect_message ("GLib-GObject", G_LOG_LEVEL_CRITICAL, "*g_object_ref*");
  fail_return_if_fail ();
  g_test_assert_expected_messages ();

  capture = hot_log_capture_begin ();
  log_structured_warning ("inside");
  messages = hot_log_capture_end (capture);

  assert_messages (messages, (const char *[]){ "*structured inside", NULL });
}

static void
test_nested (void)
{
  g_autoptr (GPtrArray) outer_messages = NULL;
  g_autoptr (GPtrArray) inner_messages = NULL;
  HotLogCapture *outer, *inner;

  g_test_summary ("Captures nest: a message belongs to the innermost one, "
                  "and the outer one goes on after the inner ended");

  outer = hot_log_capture_begin ();
  log_structured_warning ("a");
  inner = hot_log_capture_begin ();
  log_structured_warning ("b");
  fail_return_if_fail ();
  inner_messages = hot_log_capture_end (inner);
  log_structured_warning ("c");
  outer_messages = hot_log_capture_end (outer);

  assert_messages (inner_messages, (const char *[]){ "*structured b", "*CRITICAL*g_object_ref*", NULL });
  assert_messages (outer_messages, (const char *[]){ "*structured a", "*structured c", NULL });
}

static void
test_printed (void)
{
  g_test_summary ("Captured messages are still written to stderr as usual, "
                  "and are not fatal");

  if (g_test_subprocess ())
    {
      HotLogCapture *capture = hot_log_capture_begin ();
      g_autoptr (GPtrArray) messages = NULL;

      fail_return_if_fail ();
      log_structured_warning ("printed");
      messages = hot_log_capture_end (capture);
      g_assert_cmpuint (messages->len, ==, 2);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*GLib-GObject-CRITICAL*g_object_ref: assertion*" G_LOG_DOMAIN "-WARNING*structured printed*");
  g_test_trap_assert_stdout_unmatched ("*Bail out*");
}

static gpointer
log_in_thread (gpointer data)
{
  if (GPOINTER_TO_INT (data))
    g_warning ("old-way warning of a thread");
  else
    log_structured_warning ("warning of a thread");

  return NULL;
}

static void
capture_while_thread_logs (gboolean old_way)
{
  HotLogCapture *capture = hot_log_capture_begin ();
  GThread       *thread = g_thread_new ("logger", log_in_thread, GINT_TO_POINTER (old_way));

  g_thread_join (thread);
  g_assert_null (hot_log_capture_end (capture));
}

static void
test_other_thread (gconstpointer data)
{
  gboolean old_way = GPOINTER_TO_INT (data);

  g_test_summary ("Another thread's warning while a capture is open is not "
                  "captured, and is written as usual");

  if (g_test_subprocess ())
    {
      g_log_set_always_fatal (G_LOG_FATAL_MASK);
      capture_while_thread_logs (old_way);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*WARNING*warning of a thread*");
}

static void
test_other_thread_fatal (gconstpointer data)
{
  gboolean old_way = GPOINTER_TO_INT (data);

  g_test_summary ("Another thread's warning while a capture is open stays "
                  "as fatal as g_test_init () made it");

  if (g_test_subprocess ())
    {
      capture_while_thread_logs (old_way);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*WARNING*warning of a thread*");
}

static guint app_writer_calls;

static GLogWriterOutput
app_writer (GLogLevelFlags   log_level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  g_assert_true (user_data == &app_writer_calls);
  app_writer_calls++;

  return g_log_writer_default (log_level, fields, n_fields, NULL);
}

static void
capture_one_warning (void)
{
  HotLogCapture *capture = hot_log_capture_begin ();
  g_autoptr (GPtrArray) messages = NULL;

  log_structured_warning ("with the app's writer");
  messages = hot_log_capture_end (capture);
  g_assert_cmpuint (messages->len, ==, 1);
}

static void
test_app_writer (gconstpointer data)
{
  gboolean before = GPOINTER_TO_INT (data);

  g_test_summary ("An app may set its writer before or after the first "
                  "capture: nothing aborts, captures work, and the app's "
                  "writer gets every message with its data");

  if (g_test_subprocess ())
    {
      if (before)
        g_log_set_writer_func (app_writer, &app_writer_calls, NULL);
      capture_one_warning ();
      if (!before)
        {
          g_log_set_writer_func (app_writer, &app_writer_calls, NULL);
          capture_one_warning ();
        }
      g_assert_cmpuint (app_writer_calls, ==, 1);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*structured with the app's writer*");
}

static void
test_app_writer_twice (void)
{
  g_test_summary ("A second g_log_set_writer_func () fails as GLib's does");

  if (g_test_subprocess ())
    {
      g_log_set_writer_func (app_writer, &app_writer_calls, NULL);
      g_log_set_writer_func (app_writer, &app_writer_calls, NULL);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*g_log_set_writer_func() called multiple times*");
}

int
main (int   argc,
      char *argv[])
{
  /* Captures exist for reloads: with hot reload off, an app's writer goes
   * to GLib untouched. */
  g_setenv ("HOT_RELOAD", "1", TRUE);
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display\n");
      return 0;
    }

  g_test_add_func ("/Hotnode/LogCapture/return-if-fail", test_return_if_fail);
  g_test_add_func ("/Hotnode/LogCapture/structured", test_structured);
  g_test_add_func ("/Hotnode/LogCapture/gtk-template", test_gtk_template);
  g_test_add_func ("/Hotnode/LogCapture/empty", test_empty);
  g_test_add_func ("/Hotnode/LogCapture/outside", test_outside);
  g_test_add_func ("/Hotnode/LogCapture/before", test_before);
  g_test_add_func ("/Hotnode/LogCapture/nested", test_nested);
  g_test_add_func ("/Hotnode/LogCapture/printed", test_printed);
  g_test_add_data_func ("/Hotnode/LogCapture/other-thread/structured", GINT_TO_POINTER (FALSE), test_other_thread);
  g_test_add_data_func ("/Hotnode/LogCapture/other-thread/old-way", GINT_TO_POINTER (TRUE), test_other_thread);
  g_test_add_data_func ("/Hotnode/LogCapture/other-thread-fatal/structured", GINT_TO_POINTER (FALSE), test_other_thread_fatal);
  g_test_add_data_func ("/Hotnode/LogCapture/other-thread-fatal/old-way", GINT_TO_POINTER (TRUE), test_other_thread_fatal);
  g_test_add_data_func ("/Hotnode/LogCapture/app-writer/before", GINT_TO_POINTER (TRUE), test_app_writer);
  g_test_add_data_func ("/Hotnode/LogCapture/app-writer/after", GINT_TO_POINTER (FALSE), test_app_writer);
  g_test_add_func ("/Hotnode/LogCapture/app-writer/twice", test_app_writer_twice);

  return g_test_run ();
}
