/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE /* dladdr, RTLD_DEFAULT */
#include "config.h"

#include <dlfcn.h>
#include <unistd.h>

#include "hot-log-capture-private.h"

/*
 * HotLogCapture: the warnings and criticals that a piece of code logged in
 * the calling thread, so that a reload whose constructors log them can fail.
 *
 * # The two ways GLib logs (found by experiment, GLib 2.74.6, GTK 4.8.3)
 *
 * A program (see the commit that added this file) made GTK fail a
 * composite template (`<template class="Other">` for a type `Foo`) and fail
 * a `g_return_if_fail`, with its own writer function printing the fields:
 *
 *     [structured] Gtk lvl=8 file=../../../gtk/gtkwidget.c: Error building
 *         template class 'Foo' for an instance of type 'Foo': .:0:0 Parsed
 *         template definition for type 'Other', expected type 'Foo'
 *     [OLD g_log] Gtk lvl=8 file=: gtk_widget_set_size_request: assertion
 *         'width >= -1' failed
 *
 * Debian's GTK 4.8 is built with G_LOG_USE_STRUCTURED: its own g_critical ()
 * and g_warning () are g_log_structured_standard () (`nm -D libgtk-4.so.1`
 * lists it, with g_log_structured, g_log, g_logv), so they reach only the
 * writer function, never a log handler. Its g_return_if_fail () goes the old
 * way, g_return_if_fail_warning () → g_log () → g_logv () → the handler,
 * whose default, g_log_default_handler (), hands the message to the writer
 * too (with a first field GLIB_OLD_LOG_API=1). So the writer function is the
 * one place that sees both; a default log handler sees only the old way.
 *
 * # The mechanism
 *
 * A writer can be installed once in a process: GLib 2.74 aborts with
 * g_error () at a second g_log_set_writer_func (), and nothing in
 * gmessages.c tells whether a writer was set (log_writer_func is static and
 * read only by g_log_structured_array () and g_log_set_writer_func ()). So
 * this file defines g_log_set_writer_func () itself, exported, the way a
 * library interposes a libc function: the dynamic linker binds every call
 * of the app and its libraries to the first definition in load order, ours
 * when the app links hotnode before GLib (pkg-config's order: -lhotnode-1
 * … -lglib-2.0). Then we know for sure whether and which writer the app
 * set, whenever it sets it, and one writer of ours, installed with GLib's
 * own function, records what a capture wants and hands every message to
 * the app's writer, or to g_log_writer_default (). An app that sets its
 * writer before or after hotnode starts gets it called exactly as before,
 * and a second call still fails as GLib's does.
 *
 * hot_log_capture_is_supported () checks, through dlsym (RTLD_DEFAULT), that
 * the process binds g_log_set_writer_func () to this file. When it does not
 * (GLib loaded before hotnode), nothing is installed, captures are empty,
 * and a message says so once.
 *
 * # Fatal messages
 *
 * A capture is the handler of its thread's warnings and criticals: they
 * are data for the reload's report, not a reason to abort, also when
 * G_DEBUG=fatal-warnings/fatal-criticals or g_test_init () made them fatal
 * (the project's reload tests trigger criticals on purpose). While any
 * capture is open, g_log_set_always_fatal () is lowered by those two levels
 * (so g_logv () does not mark them fatal, the test framework does not print
 * "Bail out!", and g_log_writer_default () does not abort), and restored
 * when the last one ends. Messages of other threads in that window are made
 * as fatal as they would have been: structured ones get G_LOG_FLAG_FATAL
 * (g_log_writer_default () aborts on it), old ones abort here after being
 * written, as _g_log_abort () does. Captured messages are written as usual:
 * the developer still sees them in the terminal.
 *
 * # Limits
 *
 * - Interposition needs hotnode before GLib in the lookup order (see
 *   above); an executable that links hotnode statically has its symbols
 *   first anyway but must export g_log_set_writer_func (the tests do).
 * - G_LOG_LEVEL_ERROR is recorded but stays fatal (GLib forces it).
 * - An old-way message reaches the writer only through
 *   g_log_default_handler (): a handler installed with g_log_set_handler ()
 *   or g_log_set_default_handler () that does not call it hides its
 *   messages, and g_test_expect_message () swallows the ones it expects
 *   before any handler (they are expected, so not captured).
 * - Fatal masks of a domain (g_log_set_fatal_mask ()) and a test's
 *   g_test_log_set_fatal_handler () are not lowered or emulated; a writer of
 *   the app that decides fatality itself is not overridden.
 * - The window is process-wide: another thread changing the always-fatal
 *   mask while a capture is open has it overwritten at the end.
 */

#define CAPTURED_LEVELS (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)
#define LOWERED_LEVELS (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)

typedef void (*SetWriterFunc) (GLogWriterFunc, gpointer, GDestroyNotify);

struct _HotLogCapture
{
  HotLogCapture *parent; /* the capture this one is nested in, or NULL */
  GPtrArray     *messages;
};

/* The innermost capture open in this thread: a message belongs to it alone,
 * as an exception to the innermost handler. */
static GPrivate current_capture;

/* Process state, under lock:
 * - supported: -1 until checked, then whether calls bind to us;
 * - installed: our writer is GLib's (it stays so for the process's life);
 * - app_writer_set: the app called g_log_set_writer_func ();
 * - next_writer, next_data: where every message goes after us;
 * - window_depth: captures open in all threads; window_saved_mask: the
 *   always-fatal mask before the first of them. */
static GMutex         lock;
static int            supported = -1;
static gboolean       installed;
static gboolean       app_writer_set;
static GLogWriterFunc next_writer = g_log_writer_default;
static gpointer       next_data;
static guint          window_depth;
static GLogLevelFlags window_saved_mask;
/* The levels the window keeps from being fatal, 0 when none is open; read
 * without the lock by the writer. */
static gint window_lowered;

static SetWriterFunc
glib_set_writer_func (void)
{
  static SetWriterFunc func;

  if (func == NULL)
    {
      void *glib = dlopen ("libglib-2.0.so.0", RTLD_LAZY | RTLD_NOLOAD);

      if (glib != NULL)
        {
          func = (SetWriterFunc) dlsym (glib, "g_log_set_writer_func");
          dlclose (glib);
        }
    }

  return func;
}

static char *
format_message (GLogLevelFlags   log_level,
                const GLogField *fields,
                gsize            n_fields)
{
  const char      *domain = NULL;
  const char      *level;
  g_autofree char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
        domain = fields[i].value;
      else if (g_strcmp0 (fields[i].key, "MESSAGE") == 0 && message == NULL)
        message = fields[i].length < 0 ? g_strdup (fields[i].value)
                                       : g_strndup (fields[i].value, fields[i].length);
    }

  if (log_level & G_LOG_LEVEL_ERROR)
    level = "ERROR";
  else if (log_level & G_LOG_LEVEL_CRITICAL)
    level = "CRITICAL";
  else
    level = "WARNING";

  if (domain != NULL && *domain != '\0')
    return g_strdup_printf ("%s-%s: %s", domain, level, message ? message : "");
  return g_strdup_printf ("%s: %s", level, message ? message : "");
}

static GLogWriterOutput
capture_writer (GLogLevelFlags   log_level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         unused)
{
  HotLogCapture   *capture = g_private_get (&current_capture);
  gboolean         old_api = n_fields >= 1 && g_strcmp0 (fields[0].key, "GLIB_OLD_LOG_API") == 0;
  gboolean         abort_after = FALSE;
  GLogWriterFunc   writer;
  gpointer         writer_data;
  GLogWriterOutput result;

  if (capture != NULL && (log_level & CAPTURED_LEVELS))
    g_ptr_array_add (capture->messages, format_message (log_level, fields, n_fields));
  else if (capture == NULL && (log_level & g_atomic_int_get (&window_lowered)))
    {
      /* Another thread's message, in the window where a capture lowered
       * the fatal mask: as fatal as it would have been. */
      if (old_api)
        abort_after = TRUE;
      else
        log_level |= G_LOG_FLAG_FATAL;
    }

  g_mutex_lock (&lock);
  writer = next_writer;
  writer_data = next_data;
  g_mutex_unlock (&lock);

  result = writer (log_level, fields, n_fields, writer_data);

  if (abort_after)
    {
      /* What _g_log_abort () does on Unix. */
      if (g_test_subprocess ())
        _exit (1);
      G_BREAKPOINT ();
    }

  return result;
}

/* Called with lock held. */
static void
install_writer_locked (void)
{
  SetWriterFunc set_writer = glib_set_writer_func ();

  if (installed)
    return;

  g_assert (set_writer != NULL);
  set_writer (capture_writer, NULL, NULL);
  installed = TRUE;
}

/**
 * g_log_set_writer_func: (skip)
 *
 * hotnode's definition of GLib's function (see the comment at the top):
 * the app's writer becomes the one ours hands every message to. A second
 * call fails as GLib's does.
 */
__attribute__ ((visibility ("default"))) void
g_log_set_writer_func (GLogWriterFunc func,
                       gpointer       user_data,
                       GDestroyNotify user_data_free)
{
  SetWriterFunc glib_set = glib_set_writer_func ();

  g_return_if_fail (func != NULL);

  /* With hot reload off nothing is captured: the app's writer is GLib's
   * business alone, at no cost. */
  if (g_strcmp0 (g_getenv ("HOT_RELOAD"), "1") != 0 && glib_set != NULL)
    {
      glib_set (func, user_data, user_data_free);
      return;
    }

  g_mutex_lock (&lock);

  if (app_writer_set)
    {
      g_mutex_unlock (&lock);
      g_error ("g_log_set_writer_func() called multiple times");
      return;
    }

  app_writer_set = TRUE;
  next_writer = func;
  next_data = user_data;
  install_writer_locked ();

  g_mutex_unlock (&lock);
}

static gboolean
check_supported (void)
{
  void   *bound = dlsym (RTLD_DEFAULT, "g_log_set_writer_func");
  Dl_info bound_info, own_info;

  return bound != NULL && glib_set_writer_func () != NULL &&
         dladdr (bound, &bound_info) != 0 &&
         dladdr ((void *) capture_writer, &own_info) != 0 &&
         bound_info.dli_fbase == own_info.dli_fbase;
}

/**
 * hot_log_capture_is_supported:
 *
 * Whether captures see what is logged: the process binds
 * g_log_set_writer_func () to hotnode's definition (see the top of
 * hot-log-capture.c). The answer does not change.
 *
 * Returns: %TRUE when captures work
 */
gboolean
hot_log_capture_is_supported (void)
{
  gboolean result, first = FALSE;

  g_mutex_lock (&lock);
  if (supported < 0)
    {
      supported = check_supported ();
      first = TRUE;
    }
  result = supported;
  g_mutex_unlock (&lock);

  if (first && !result)
    g_message ("Log messages of reloaded code cannot be captured: "
               "GLib is loaded before hotnode, link hotnode first");

  return result;
}

/**
 * hot_log_capture_begin:
 *
 * Starts capturing the warnings, criticals and errors that the calling
 * thread logs, until hot_log_capture_end (). Captures nest: a message
 * belongs to the innermost one. While one is open, warnings and criticals
 * of its thread are not fatal (see the top of this file); they are still
 * written as usual.
 *
 * Returns: (transfer full): the capture, to hand to hot_log_capture_end ()
 *   in the same thread, innermost first
 */
HotLogCapture *
hot_log_capture_begin (void)
{
  HotLogCapture *capture = g_new0 (HotLogCapture, 1);

  capture->messages = g_ptr_array_new_with_free_func (g_free);

  if (hot_log_capture_is_supported ())
    {
      g_mutex_lock (&lock);
      install_writer_locked ();
      if (window_depth++ == 0)
        {
          window_saved_mask = g_log_set_always_fatal (G_LOG_FATAL_MASK);
          g_log_set_always_fatal (window_saved_mask & ~LOWERED_LEVELS);
          g_atomic_int_set (&window_lowered, window_saved_mask & LOWERED_LEVELS);
        }
      g_mutex_unlock (&lock);
    }

  capture->parent = g_private_get (&current_capture);
  g_private_set (&current_capture, capture);

  return capture;
}

/**
 * hot_log_capture_end:
 * @capture: (transfer full): the innermost capture of the calling thread
 *
 * Stops @capture and frees it.
 *
 * Returns: (transfer full) (nullable) (element-type utf8): the messages it
 *   captured, oldest first, each as "Domain-LEVEL: text" ("LEVEL: text"
 *   without a domain), or %NULL when there were none
 */
GPtrArray *
hot_log_capture_end (HotLogCapture *capture)
{
  g_autoptr (GPtrArray) messages = NULL;

  g_return_val_if_fail (capture != NULL, NULL);
  g_return_val_if_fail (capture == g_private_get (&current_capture), NULL);

  g_private_set (&current_capture, capture->parent);

  if (hot_log_capture_is_supported ())
    {
      g_mutex_lock (&lock);
      g_assert (window_depth > 0);
      if (--window_depth == 0)
        {
          g_atomic_int_set (&window_lowered, 0);
          g_log_set_always_fatal (window_saved_mask);
        }
      g_mutex_unlock (&lock);
    }

  messages = g_steal_pointer (&capture->messages);
  g_free (capture);

  if (messages->len == 0)
    return NULL;
  return g_steal_pointer (&messages);
}
