/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hot-error.h"

/**
 * hot_reload_error_quark:
 *
 * The error domain of hot reload; use %HOT_RELOAD_ERROR instead.
 *
 * Returns: the [type@GLib.Quark] of %HOT_RELOAD_ERROR
 *
 * Since: 0.1
 */
/* clang-format off */
G_DEFINE_QUARK (hot-reload-error-quark, hot_reload_error)
/* clang-format on */
