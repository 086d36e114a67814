/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hot-project-private.h"

G_BEGIN_DECLS

/* The digests of files' contents, read again only when a file's stat
 * identity (device, inode, size, times) changes. */
typedef struct _HotDigestCache HotDigestCache;

HotDigestCache *hot_digest_cache_new (void);
void            hot_digest_cache_free (HotDigestCache *self);
const char     *hot_digest_cache_get (HotDigestCache *self,
                                      const char     *path);

/* What one module is built from: its sources (from the build's compile
 * commands) and the headers each includes (from the compiler's dependency
 * information), wherever they live. System headers and files the build
 * generates are left out: they change only with the system or the build. */
typedef struct _HotInputs HotInputs;

HotInputs *hot_inputs_new (const HotModuleInfo *info,
                           HotDigestCache      *cache);
void       hot_inputs_free (HotInputs *self);
void       hot_inputs_update_sources (HotInputs *self);
void       hot_inputs_add_deps (HotInputs         *self,
                                const char        *source,
                                const char *const *deps);
guint      hot_inputs_read_ninja_deps (HotInputs  *self,
                                       const char *ninja_output);
gboolean   hot_inputs_read_depfile (HotInputs  *self,
                                    const char *source,
                                    const char *depfile,
                                    const char *directory);
void       hot_inputs_add_resources (HotInputs         *self,
                                     const char *const *files);
gboolean   hot_inputs_resources_differ (HotInputs  *self,
                                        GHashTable *a,
                                        GHashTable *b);
gboolean   hot_inputs_only_resources_differ (HotInputs  *self,
                                             GHashTable *a,
                                             GHashTable *b);
gboolean   hot_inputs_contains (HotInputs  *self,
                                const char *path);
GPtrArray *hot_inputs_list_files (HotInputs *self);

/* A snapshot: path → digest of every input at one moment (what a build
 * started from, what the live generation was built from). */
GHashTable *hot_inputs_snapshot (HotInputs *self);
void        hot_inputs_complete (HotInputs  *self,
                                 GHashTable *snapshot);
gboolean    hot_inputs_same (HotInputs  *self,
                             GHashTable *a,
                             GHashTable *b);
char       *hot_inputs_fingerprint (HotInputs  *self,
                                    GHashTable *snapshot,
                                    const char *source);
char       *hot_inputs_headers_fingerprint (HotInputs  *self,
                                            GHashTable *snapshot,
                                            const char *source);
GHashTable *hot_inputs_fingerprints (HotInputs  *self,
                                     GHashTable *snapshot);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotDigestCache, hot_digest_cache_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotInputs, hot_inputs_free)

G_END_DECLS
