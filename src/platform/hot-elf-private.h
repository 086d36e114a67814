/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean hot_elf_check (const char *contents,
                        gsize       length,
                        const char *path,
                        GError    **error);
char   **hot_elf_read_needed (const char *contents,
                              gsize       length,
                              char      **runpath);
gboolean hot_elf_make_sections_writable (const char        *object_path,
                                         const char *const *names,
                                         GError           **error);

/* A symbol a shared object defines (hot_elf_read_dynamic_symbols ()). */
typedef struct
{
  char    *name;
  guint64  index; /* in its .dynsym */
  guint8   type;  /* STT_* */
  guint8   bind;  /* STB_* */
  guint8   other; /* st_other: the visibility */
  guint16  shndx; /* st_shndx: SHN_ABS, SHN_COMMON or a section */
  guint64  size;
  gboolean versioned; /* has a version other than the base one */
  char    *version;   /* its name, NULL if not known */
} HotElfSymbol;

gboolean    hot_elf_read_object_names (const char *contents,
                                       gsize       length,
                                       GHashTable *names);
gboolean    hot_elf_read_archive_names (const char *contents,
                                        gsize       length,
                                        GHashTable *names);
GHashTable *hot_elf_read_dynamic_symbols (const char *contents,
                                          gsize       length,
                                          char      **soname);

G_END_DECLS
