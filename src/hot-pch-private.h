/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hot-project-private.h"

G_BEGIN_DECLS

GStrv hot_pch_prepare (const char              *header,
                       gboolean                 tcc,
                       const HotCompileCommand *command,
                       gboolean                *ready,
                       GError                 **error);

G_END_DECLS
