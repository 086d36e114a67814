/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "hot-macros.h"

G_BEGIN_DECLS

/* One loaded generation of a hot module. */
typedef struct
{
  char           *module;
  char           *path;       /* the private copy that was opened (a link to built_path once mapped) */
  char           *built_path; /* what was copied, and its identity then */
  guint64         built_dev;
  guint64         built_ino;
  gint64          built_size;
  gint64          built_mtime_ns;
  guint           generation;
  gpointer        handle;
  const HotImage *image;
  gint64          copied_at; /* g_get_monotonic_time () */
  gint64          opened_at;
} HotLibrary;

void        hot_library_free (HotLibrary *library);
void        hot_library_leave_loaded (HotLibrary *library);
const char *hot_library_get_built_path (const HotLibrary *library);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotLibrary, hot_library_free)

#define HOT_TYPE_LOADER (hot_loader_get_type ())

G_DECLARE_FINAL_TYPE (HotLoader, hot_loader, HOT, LOADER, GObject)

HotLoader  *hot_loader_new (const char *base_dir,
                            GError    **error);
const char *hot_loader_get_private_dir (HotLoader *self);
HotLibrary *hot_loader_load (HotLoader  *self,
                             const char *module,
                             const char *built_path,
                             GError    **error);
void        hot_loader_load_async (HotLoader          *self,
                                   const char         *module,
                                   const char         *built_path,
                                   guint               timeout_ms,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data);
HotLibrary *hot_loader_load_finish (HotLoader    *self,
                                    GAsyncResult *result,
                                    GError      **error);

char *hot_loader_get_executable_dir (void);

G_END_DECLS
