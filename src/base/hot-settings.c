/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hot-enums.h"
#include "hot-settings-private.h"

/*
 * The environment hotnode reads, in one place, each variable once, with a
 * warning a person can act on for a value it does not understand.
 */

#define DEFAULT_LOAD_TIMEOUT_MS 20000

static gboolean
read_enabled (void)
{
  const char *value = g_getenv ("HOT_RELOAD");

  if (value != NULL && g_str_equal (value, "1"))
    return TRUE;

  if (value != NULL && *value != '\0' && !g_str_equal (value, "0"))
    g_warning ("HOT_RELOAD=%s is not understood: set HOT_RELOAD=1 to turn hot reload on, "
               "or 0 to leave it off. Hot reload stays off.",
               value);
  return FALSE;
}

static HotFastPath
read_fast_path (void)
{
  const char *value = g_getenv ("HOT_RELOAD_FAST_PATH");
  g_autoptr (GEnumClass) enum_class = NULL;
  GEnumValue *found;

  if (value == NULL)
    return HOT_FAST_PATH_TCC;

  enum_class = g_type_class_ref (HOT_TYPE_FAST_PATH);
  found = g_enum_get_value_by_nick (enum_class, g_str_equal (value, "pch") ? "gcc-pch" : value);
  if (found != NULL)
    return found->value;

  g_warning ("HOT_RELOAD_FAST_PATH=%s is none of tcc, pch (or gcc-pch) and off; using tcc", value);
  return HOT_FAST_PATH_TCC;
}

static guint
read_load_timeout (void)
{
  const char *value = g_getenv ("HOT_RELOAD_LOAD_TIMEOUT");
  double      seconds;

  if (value == NULL)
    return DEFAULT_LOAD_TIMEOUT_MS;

  seconds = g_ascii_strtod (value, NULL);
  if (seconds > 0)
    return (guint) MIN (seconds * 1000, G_MAXUINT);

  g_warning ("HOT_RELOAD_LOAD_TIMEOUT=%s is not a number of seconds; loads may take %u ms", value,
             DEFAULT_LOAD_TIMEOUT_MS);
  return DEFAULT_LOAD_TIMEOUT_MS;
}

/**
 * hot_settings_get:
 *
 * Returns: (transfer none): the settings of the process, read from the
 *   environment at the first call
 */
const HotSettings *
hot_settings_get (void)
{
  static HotSettings settings;
  static gsize       initialized;

  if (g_once_init_enter (&initialized))
    {
      settings.enabled = read_enabled ();
      settings.fast_path = read_fast_path ();
      settings.load_timeout_ms = read_load_timeout ();
      settings.unload = g_strcmp0 (g_getenv ("HOT_RELOAD_UNLOAD"), "1") == 0;
      settings.build_dir = g_intern_string (g_getenv ("HOT_RELOAD_BUILD_DIR"));
      settings.private_dir = g_intern_string (g_getenv ("HOT_RELOAD_PRIVATE_DIR"));
      g_once_init_leave (&initialized, 1);
    }

  return &settings;
}

/**
 * hot_settings_get_rebuilder:
 *
 * `HOT_RELOAD_REBUILDER` is read at each build: a test or a shell may
 * change it while the app runs.
 *
 * Returns: (nullable): the rebuild command line, or %NULL when unset or
 *   empty
 */
const char *
hot_settings_get_rebuilder (void)
{
  const char *value = g_getenv ("HOT_RELOAD_REBUILDER");

  return value != NULL && *value != '\0' ? value : NULL;
}
