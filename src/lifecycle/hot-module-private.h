/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "hot-builder-private.h"
#include "hot-generation-private.h"
#include "hot-inputs-private.h"
#include "hot-loader-private.h"
#include "hot-project-private.h"
#include "hot-error.h"
#include "hot-resources-private.h"
#include "hot-status-private.h"
#include "hot-table-private.h"
#include "hot-timings-private.h"

G_BEGIN_DECLS

typedef struct _HotModule HotModule;

/* What the module asks of the service that owns it. */
typedef struct
{
  /* Whether the app chose how modules are rebuilt: no fast path then. */
  gboolean (*has_custom_rebuilder) (HotModule *module,
                                    gpointer   user_data);
  /* The app's own rebuild command (hot_reload_set_rebuilder (),
   * HOT_RELOAD_REBUILDER): %NULL without error for ninja. */
  GStrv (*custom_rebuilder) (HotModule *module,
                             char     **output,
                             GError   **error,
                             gpointer   user_data);
  /* Makes @generation live: rebuilds the module's proxies from it. Its
   * statics are patched already. %FALSE (with @error) when its code failed:
   * nothing changed on screen. */
  gboolean (*swap) (HotModule     *module,
                    HotGeneration *generation,
                    GError       **error,
                    gpointer       user_data);
  /* A build ended: live (%NULL), failed, or cancelled by
   * hot_module_cancel () (%G_IO_ERROR_CANCELLED). Called last. */
  void (*finished) (HotModule    *module,
                    const GError *error,
                    gpointer      user_data);
  /* The module learnt of more files it is built from. */
  void (*inputs_changed) (HotModule *module,
                          gpointer   user_data);
  /* Whether nothing outside the generation's widgets may still run its
   * code (a window opened since it went live, say); asked before an
   * unused generation is closed. */
  gboolean (*may_unload) (HotModule     *module,
                          HotGeneration *generation,
                          gpointer       user_data);
  /* Optional: what builds the module (a test's builder, say); %NULL, or no
   * hook, for the fast path, then the app's rebuilder or ninja. Asked at
   * each build that compiles. */
  HotBuilder *(*make_builder) (HotModule *module,
                               gpointer   user_data);
} HotModuleHooks;

/* What the modules of one app share. */
typedef struct
{
  HotLoader         *loader;
  HotStaticRegistry *statics;
  HotDigestCache    *digests;
  GPtrArray         *quarantine; /* what failed code is or built (generations, widgets): never freed */
  HotResources      *resources;  /* the app's GResource bundles, or NULL */
  HotFastPath        fast_path;
  guint              load_timeout_ms;
  gboolean           unload_generations;
} HotModuleShared;

HotModule           *hot_module_new (const HotModuleInfo  *info,
                                     HotModuleShared      *shared,
                                     const HotModuleHooks *hooks,
                                     gpointer              user_data);
void                 hot_module_free (HotModule *self);
const HotModuleInfo *hot_module_get_info (HotModule *self);
const char          *hot_module_get_name (HotModule *self);
HotStatus           *hot_module_get_status (HotModule *self);
HotInputs           *hot_module_get_inputs (HotModule *self);
HotGeneration       *hot_module_get_live (HotModule *self);
GPtrArray           *hot_module_get_generations (HotModule *self);
gboolean             hot_module_is_busy (HotModule *self);

void     hot_module_read_deps (HotModule *self);
void     hot_module_add_headers (HotModule         *self,
                                 const char        *source,
                                 const char *const *headers);
void     hot_module_add_resources (HotModule         *self,
                                   const char *const *files);
gboolean hot_module_files_changed (HotModule *self,
                                   GPtrArray *paths,
                                   gint64     first_event);
void     hot_module_prepare_async (HotModule          *self,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data);
void     hot_module_rebuild_async (HotModule          *self,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data);
gboolean hot_module_rebuild_finish (GAsyncResult *result,
                                    GError      **error);
void     hot_module_cancel (HotModule *self);
void     hot_module_inhibit (HotModule *self);
void     hot_module_uninhibit (HotModule *self);
void     hot_module_check_unload (HotModule *self);
void     hot_module_info_changed (HotModule *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotModule, hot_module_free)

G_END_DECLS
