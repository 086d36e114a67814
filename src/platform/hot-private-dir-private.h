/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *hot_private_dir_create (const char *base_dir,
                              GError    **error);
void  hot_private_dir_remove_own (void);

G_END_DECLS
