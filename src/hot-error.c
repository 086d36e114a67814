/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hot-reload.h"

/**
 * hot_reload_error_quark:
 *
 * Returns: the #GQuark of %HOT_RELOAD_ERROR
 */
/* clang-format off */
G_DEFINE_QUARK (hot-reload-error-quark, hot_reload_error)
/* clang-format on */
