/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "hot-inputs-private.h"
#include "hot-project-private.h"

G_BEGIN_DECLS

/* The fast builder's tcc path for one module. */
typedef struct _HotFastTcc HotFastTcc;

HotFastTcc *hot_fast_tcc_new (const char *tcc,
                              const char *header,
                              const char *work_dir,
                              const char *build_dir,
                              HotInputs  *inputs);
void        hot_fast_tcc_free (HotFastTcc *self);
void        hot_fast_tcc_forget (HotFastTcc *self);
char       *hot_fast_tcc_find_runtime (const char *search_dirs,
                                       GError    **error);
gboolean    hot_fast_tcc_start_prelude (HotFastTcc              *self,
                                        const HotCompileCommand *command,
                                        const char              *source,
                                        GHashTable              *snapshot,
                                        char                   **prologue,
                                        char                   **key,
                                        GCancellable            *cancellable,
                                        GAsyncReadyCallback      callback,
                                        gpointer                 user_data);
gboolean    hot_fast_tcc_prelude_finish (HotFastTcc   *self,
                                         const char   *key,
                                         GAsyncResult *result,
                                         GError      **error);
GStrv       hot_fast_tcc_compile_argv (HotFastTcc              *self,
                                       const HotCompileCommand *command,
                                       const char              *source,
                                       const char              *prologue,
                                       const char              *key,
                                       const char              *object,
                                       char                   **copy_dir,
                                       char                   **pruned_key,
                                       GError                 **error);
gboolean    hot_fast_tcc_start_pruning (HotFastTcc         *self,
                                        const char         *source,
                                        const char         *prologue,
                                        const char         *key,
                                        const char         *object,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
gboolean    hot_fast_tcc_pruning_finish (HotFastTcc   *self,
                                         GAsyncResult *result,
                                         GError      **error);
void        hot_fast_tcc_refuse_pruning (HotFastTcc *self,
                                         const char *source,
                                         const char *pruned_key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotFastTcc, hot_fast_tcc_free)

G_END_DECLS
