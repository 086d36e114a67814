/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(_HOTNODE_INSIDE) && !defined(HOTNODE_COMPILATION)
#error "Only <hotnode.h> can be included directly."
#endif

/* GLib only, as gioerror.h: the layers of the library below the widgets
 * include this header, never hot-reload.h, and are built without GTK. */

#include <glib.h>

#include "hotnode-version.h"

G_BEGIN_DECLS

/**
 * HOT_RELOAD_ERROR:
 *
 * Error domain of hot reload: builds, loads and static patching. Errors in
 * this domain are from the [error@Hot.ReloadError] enumeration.
 *
 * Since: 0.1
 */
#define HOT_RELOAD_ERROR (hot_reload_error_quark ())

/**
 * HotReloadError:
 * @HOT_RELOAD_ERROR_FAILED: a failure with no more specific code
 * @HOT_RELOAD_ERROR_DISABLED: hot reload is off (`HOT_RELOAD` is not `1`)
 * @HOT_RELOAD_ERROR_UNKNOWN_MODULE: no hot module has that name
 * @HOT_RELOAD_ERROR_NO_BUILD_DIR: the build folder of the app was not found
 * @HOT_RELOAD_ERROR_BUILD: the rebuild command failed
 * @HOT_RELOAD_ERROR_CANCELLED: not used since 0.1: a cancelled call ends with
 *   %G_IO_ERROR_CANCELLED, as in GIO
 * @HOT_RELOAD_ERROR_LOAD: the built library could not be copied or loaded
 * @HOT_RELOAD_ERROR_ABI: the library was built against another hotnode ABI
 * @HOT_RELOAD_ERROR_DUPLICATE_KEY: two entries of one image share a key
 * @HOT_RELOAD_ERROR_STATIC_SIZE: a static changed its size under the same key
 * @HOT_RELOAD_ERROR_PRIVATE_DIR: the private folder for loaded copies is
 *   unusable
 * @HOT_RELOAD_ERROR_CRASHED: a constructor of the new code crashed or never
 *   returned; the reload was rolled back (details on [class@Hot.Status])
 * @HOT_RELOAD_ERROR_UNKNOWN_NODE: a constructor asked for a hot node that no
 *   code defines
 * @HOT_RELOAD_ERROR_LOGGED: the new code logged warnings or criticals while
 *   its widgets were built; the reload was rolled back
 * @HOT_RELOAD_ERROR_STATIC_TYPE: a static changed its type (as spelt in the
 *   source) under the same key, keeping its size. Since: 0.1
 * @HOT_RELOAD_ERROR_UNSAFE_BUILD_DIR: the build folder, a folder above it or
 *   a file hotnode reads in it belongs to another user or others can write
 *   to it: hotnode does not run its commands. Since: 0.1
 * @HOT_RELOAD_ERROR_BAD_ENTRY: an entry of a `hot_nodes` or `hot_statics`
 *   table is malformed (no name, no file, no function, a static of size 0).
 *   Since: 0.1
 *
 * Error codes of %HOT_RELOAD_ERROR.
 *
 * Since: 0.1
 */
typedef enum
{
  HOT_RELOAD_ERROR_FAILED,
  HOT_RELOAD_ERROR_DISABLED,
  HOT_RELOAD_ERROR_UNKNOWN_MODULE,
  HOT_RELOAD_ERROR_NO_BUILD_DIR,
  HOT_RELOAD_ERROR_BUILD,
  HOT_RELOAD_ERROR_CANCELLED,
  HOT_RELOAD_ERROR_LOAD,
  HOT_RELOAD_ERROR_ABI,
  HOT_RELOAD_ERROR_DUPLICATE_KEY,
  HOT_RELOAD_ERROR_STATIC_SIZE,
  HOT_RELOAD_ERROR_PRIVATE_DIR,
  HOT_RELOAD_ERROR_CRASHED,
  HOT_RELOAD_ERROR_UNKNOWN_NODE,
  HOT_RELOAD_ERROR_LOGGED,
  HOT_RELOAD_ERROR_STATIC_TYPE,
  HOT_RELOAD_ERROR_UNSAFE_BUILD_DIR,
  HOT_RELOAD_ERROR_BAD_ENTRY,
} HotReloadError;

HOTNODE_AVAILABLE_IN_ALL
GQuark hot_reload_error_quark (void);

/**
 * HotFastPath:
 * @HOT_FAST_PATH_OFF: always rebuild with the build system
 * @HOT_FAST_PATH_TCC: compile the saved sources with tcc and link them with
 *   the module's other objects
 * @HOT_FAST_PATH_GCC_PCH: compile the saved sources with the build's own
 *   compiler and a precompiled `<gtk/gtk.h>`, and link them the same way
 *
 * How a module is rebuilt when only its C sources changed; see
 * [property@Hot.Reload:fast-path]. Anything a fast path cannot do goes to the
 * build system, with the reason in the log.
 *
 * Since: 0.1
 */
typedef enum
{
  HOT_FAST_PATH_OFF,
  HOT_FAST_PATH_TCC,
  HOT_FAST_PATH_GCC_PCH,
} HotFastPath;

G_END_DECLS
