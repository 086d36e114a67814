/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gtk/gtk.h>

gboolean demo_save_png (GtkWidget  *window,
                        const char *path,
                        GError    **error);
