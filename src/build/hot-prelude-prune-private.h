/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What a tcc prelude declares and uses, item by item (hot-prelude-prune.c). */
typedef struct _HotPreludeIndex HotPreludeIndex;

HotPreludeIndex *hot_prelude_index_new (char *text,
                                        gsize length);
HotPreludeIndex *hot_prelude_index_ref (HotPreludeIndex *index);
void             hot_prelude_index_unref (HotPreludeIndex *index);
guint            hot_prelude_index_get_n_items (HotPreludeIndex *index);
char            *hot_prelude_names_key (const char *code);
char            *hot_prelude_index_prune (HotPreludeIndex *index,
                                          const char      *code,
                                          gsize           *length,
                                          guint           *n_kept);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotPreludeIndex, hot_prelude_index_unref)

G_END_DECLS
