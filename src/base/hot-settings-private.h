/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>

#include "hot-error.h"

G_BEGIN_DECLS

/* Every HOT_RELOAD_* variable, read once. */
typedef struct
{
  gboolean    enabled;         /* HOT_RELOAD=1 */
  HotFastPath fast_path;       /* HOT_RELOAD_FAST_PATH: tcc, pch (gcc-pch), off */
  guint       load_timeout_ms; /* HOT_RELOAD_LOAD_TIMEOUT, in seconds */
  gboolean    unload;          /* HOT_RELOAD_UNLOAD=1 */
  const char *build_dir;       /* HOT_RELOAD_BUILD_DIR, or NULL */
  const char *private_dir;     /* HOT_RELOAD_PRIVATE_DIR, or NULL */
} HotSettings;

const HotSettings *hot_settings_get (void);
const char        *hot_settings_get_rebuilder (void);

G_END_DECLS
