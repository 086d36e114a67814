/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <ar.h>
#include <elf.h>
#include <glib/gi18n-lib.h>
#include <link.h>
#include <string.h>

#include "hot-elf-private.h"
#include "hot-error.h"

/*
 * Reading ELF files as bytes: the checks the loader makes before it opens a
 * built library, what the library needs from its own folder, and the one
 * edit the fast builder makes to the objects tcc writes. Nothing here opens
 * or runs code.
 */

#if defined(__x86_64__)
#define HOST_ELF_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define HOST_ELF_MACHINE EM_AARCH64
#elif defined(__i386__)
#define HOST_ELF_MACHINE EM_386
#elif defined(__arm__)
#define HOST_ELF_MACHINE EM_ARM
#elif defined(__riscv)
#define HOST_ELF_MACHINE EM_RISCV
#elif defined(__powerpc64__)
#define HOST_ELF_MACHINE EM_PPC64
#elif defined(__s390x__)
#define HOST_ELF_MACHINE EM_S390
#else
#define HOST_ELF_MACHINE EM_NONE
#endif

/* The headers of this process's class (ElfW () confuses clang-format). */
typedef ElfW (Phdr) HotElfPhdr;

#if __SIZEOF_POINTER__ == 8
#define HOST_ELF_CLASS ELFCLASS64
#else
#define HOST_ELF_CLASS ELFCLASS32
#endif

/* Whether @count items of @size bytes from @offset all lie inside a file
 * of @length bytes, with no arithmetic that can overflow: every offset,
 * size and count of a header is the file's to choose. */
static gboolean
in_file (guint64 offset,
         guint64 count,
         guint64 size,
         gsize   length)
{
  guint64 bytes;

  return g_uint64_checked_mul (&bytes, count, size) && offset <= length && bytes <= length - offset;
}

/* The program headers of @contents, when the ELF header's e_phoff,
 * e_phnum and e_phentsize describe a table inside the file; NULL if not. */
static const HotElfPhdr *
program_headers (const char *contents,
                 gsize       length)
{
  const ElfW (Ehdr) *header = (const ElfW (Ehdr) *) contents;

  if (length < sizeof (ElfW (Ehdr)) || header->e_phoff == 0 ||
      header->e_phentsize != sizeof (ElfW (Phdr)) ||
      header->e_phoff % G_ALIGNOF (ElfW (Phdr)) != 0 ||
      !in_file (header->e_phoff, header->e_phnum, sizeof (ElfW (Phdr)), length))
    return NULL;

  return (const HotElfPhdr *) (contents + header->e_phoff);
}

/**
 * hot_elf_check:
 * @contents: the bytes of a file, as g_malloc () aligns them
 * @length: their length
 * @path: the file's name, for messages
 * @error: return location for a #GError
 *
 * Checks that @contents is a complete shared object of this process's
 * architecture: its program and section header tables, its loaded
 * segments and its dynamic section are all in the file (dlopen maps what
 * the file lacks too, and touching it later raises SIGBUS), whatever
 * offsets and sizes its headers hold.
 *
 * Returns: whether it is, or %FALSE with %HOT_RELOAD_ERROR_LOAD
 */
gboolean
hot_elf_check (const char *contents,
               gsize       length,
               const char *path,
               GError    **error)
{
  const ElfW (Ehdr) *header = (const ElfW (Ehdr) *) contents;
  const HotElfPhdr *segments;

  if (length < sizeof (ElfW (Ehdr)) || memcmp (header->e_ident, ELFMAG, SELFMAG) != 0)
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD,
                   _ ("%s is not a shared library (no ELF header); check what the rebuilder writes"),
                   path);
      return FALSE;
    }

  if (header->e_ident[EI_CLASS] != HOST_ELF_CLASS ||
      (HOST_ELF_MACHINE != EM_NONE && header->e_machine != HOST_ELF_MACHINE))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD,
                   _ ("%s was built for another architecture (ELF machine %u, this process is %u)"),
                   path, header->e_machine, (guint) HOST_ELF_MACHINE);
      return FALSE;
    }

  segments = program_headers (contents, length);
  if (header->e_type != ET_DYN || segments == NULL ||
      (header->e_shnum > 0 && (header->e_shentsize != sizeof (ElfW (Shdr)) ||
                               !in_file (header->e_shoff, header->e_shnum, sizeof (ElfW (Shdr)), length))))
    goto truncated;

  /* dlopen maps what the file lacks too, and touching it later raises
   * SIGBUS: every loaded segment must be in the file. The dynamic section
   * is read before dlopen (hot_elf_read_needed ()). */
  for (guint i = 0; i < header->e_phnum; i++)
    {
      if ((segments[i].p_type == PT_LOAD || segments[i].p_type == PT_DYNAMIC) &&
          !in_file (segments[i].p_offset, segments[i].p_filesz, 1, length))
        goto truncated;
      if (segments[i].p_type == PT_DYNAMIC && segments[i].p_offset % G_ALIGNOF (ElfW (Dyn)) != 0)
        goto truncated;
    }

  return TRUE;

truncated:
  g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD,
               _ ("%s is not a complete shared library (truncated, not ET_DYN, or its ELF headers point "
                  "outside the file)"),
               path);
  return FALSE;
}

/* The file offset of a virtual address, through the PT_LOAD segments
 * (each checked to be in the file); 0 when no segment holds it. */
static gsize
vaddr_to_offset (const ElfW (Phdr) * phdrs,
                 guint n_phdrs,
                 gsize length,
                 ElfW (Addr) vaddr)
{
  for (guint i = 0; i < n_phdrs; i++)
    if (phdrs[i].p_type == PT_LOAD && in_file (phdrs[i].p_offset, phdrs[i].p_filesz, 1, length) &&
        vaddr >= phdrs[i].p_vaddr && vaddr - phdrs[i].p_vaddr < phdrs[i].p_filesz)
      return vaddr - phdrs[i].p_vaddr + phdrs[i].p_offset;

  return 0;
}

/* A string of the string table at @strtab (< @length), if it starts and
 * ends inside the file. */
static const char *
string_at (const char *contents,
           gsize       length,
           gsize       strtab,
           guint64     offset)
{
  if (offset >= length - strtab ||
      memchr (contents + strtab + offset, '\0', length - strtab - offset) == NULL)
    return NULL;

  return contents + strtab + offset;
}

/**
 * hot_elf_read_needed:
 * @contents: the bytes of a shared object that passed hot_elf_check()
 * @length: their length
 * @runpath: (out) (transfer full) (nullable): its RUNPATH (or RPATH) as
 *   written, `$ORIGIN` and all, or %NULL when it has none
 *
 * Reads the dynamic section of @contents.
 *
 * Returns: (transfer full): the DT_NEEDED names, in order; empty when the
 *   object has no dynamic section
 */
char **
hot_elf_read_needed (const char *contents,
                     gsize       length,
                     char      **runpath)
{
  const ElfW (Ehdr) *header = (const ElfW (Ehdr) *) contents;
  const HotElfPhdr *phdrs;
  const ElfW (Dyn) *dynamic = NULL;
  g_autoptr (GStrvBuilder) needed = g_strv_builder_new ();
  gsize    n_dynamic = 0, strtab = 0, path = 0;
  gboolean has_path = FALSE;

  g_return_val_if_fail (length >= sizeof (ElfW (Ehdr)), NULL);
  g_return_val_if_fail (runpath != NULL, NULL);

  *runpath = NULL;

  /* Checked again: nothing here trusts a header to point inside the file. */
  phdrs = program_headers (contents, length);
  if (phdrs == NULL)
    return g_strv_builder_end (needed);

  for (guint i = 0; i < header->e_phnum; i++)
    if (phdrs[i].p_type == PT_DYNAMIC && in_file (phdrs[i].p_offset, phdrs[i].p_filesz, 1, length) &&
        phdrs[i].p_offset % G_ALIGNOF (ElfW (Dyn)) == 0)
      {
        dynamic = (const ElfW (Dyn) *) (contents + phdrs[i].p_offset);
        n_dynamic = phdrs[i].p_filesz / sizeof (ElfW (Dyn));
      }

  for (gsize i = 0; i < n_dynamic && dynamic[i].d_tag != DT_NULL; i++)
    {
      if (dynamic[i].d_tag == DT_STRTAB)
        strtab = vaddr_to_offset (phdrs, header->e_phnum, length, dynamic[i].d_un.d_ptr);
      else if (dynamic[i].d_tag == DT_RUNPATH || dynamic[i].d_tag == DT_RPATH)
        {
          path = dynamic[i].d_un.d_val;
          has_path = TRUE;
        }
    }

  if (strtab == 0 || strtab >= length)
    return g_strv_builder_end (needed);

  if (has_path)
    *runpath = g_strdup (string_at (contents, length, strtab, path));

  for (gsize i = 0; i < n_dynamic && dynamic[i].d_tag != DT_NULL; i++)
    {
      const char *name = string_at (contents, length, strtab, dynamic[i].d_un.d_val);

      if (dynamic[i].d_tag == DT_NEEDED && name != NULL)
        g_strv_builder_add (needed, name);
    }

  return g_strv_builder_end (needed);
}

/**
 * hot_elf_make_sections_writable:
 * @object_path: a relocatable ELF object
 * @names: the sections to mark writable
 * @error: return location for a #GError
 *
 * Sets SHF_WRITE on the named sections of @object_path, in place. tcc gives
 * every section named with `__attribute__ ((section))` the flags of
 * read-only data, whatever its variables; the relocations of the table
 * entries would then make the linker write text relocations.
 *
 * Returns: %TRUE when the object is readable ELF (whether or not it has the
 *   sections), %FALSE with %HOT_RELOAD_ERROR_BUILD otherwise
 */
gboolean
hot_elf_make_sections_writable (const char        *object_path,
                                const char *const *names,
                                GError           **error)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) local_error = NULL;
  gsize length;
  ElfW (Ehdr) header;
  ElfW (Shdr) names_section;
  gboolean changed = FALSE;

  if (!g_file_get_contents (object_path, &contents, &length, &local_error))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                   _ ("Could not read the compiled object: %s"), local_error->message);
      return FALSE;
    }

  /* Headers are copied out: tcc does not align its section headers. */
  if (length >= sizeof header)
    memcpy (&header, contents, sizeof header);
  if (length < sizeof header || memcmp (header.e_ident, ELFMAG, SELFMAG) != 0 ||
      header.e_ident[EI_CLASS] != HOST_ELF_CLASS || header.e_type != ET_REL ||
      header.e_shentsize != sizeof (ElfW (Shdr)) || header.e_shstrndx >= header.e_shnum ||
      !in_file (header.e_shoff, header.e_shnum, sizeof (ElfW (Shdr)), length))
    goto not_elf;

  memcpy (&names_section, contents + header.e_shoff + header.e_shstrndx * sizeof (ElfW (Shdr)),
          sizeof names_section);
  if (!in_file (names_section.sh_offset, names_section.sh_size, 1, length))
    goto not_elf;

  for (guint i = 0; i < header.e_shnum; i++)
    {
      char       *place = contents + header.e_shoff + i * sizeof (ElfW (Shdr));
      const char *name;
      ElfW (Shdr) section;

      memcpy (&section, place, sizeof section);
      if (section.sh_name >= names_section.sh_size)
        continue;
      name = contents + names_section.sh_offset + section.sh_name;
      if (memchr (name, '\0', names_section.sh_size - section.sh_name) == NULL)
        continue;
      if (g_strv_contains (names, name) && (section.sh_flags & SHF_WRITE) == 0)
        {
          section.sh_flags |= SHF_WRITE;
          memcpy (place, &section, sizeof section);
          changed = TRUE;
        }
    }

  if (changed && !g_file_set_contents (object_path, contents, length, &local_error))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                   _ ("Could not write the compiled object: %s"), local_error->message);
      return FALSE;
    }

  return TRUE;

not_elf:
  g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
               _ ("%s is not an ELF object of this architecture"), object_path);
  return FALSE;
}

/* A copy of the section header @index of @contents (headers checked to
 * be in the file by the caller); tcc does not align its headers. */
static ElfW (Shdr) section_header (const char *contents,
                                   const ElfW (Ehdr) * header,
                                   guint index)
{
  ElfW (Shdr) section;

  memcpy (&section, contents + header->e_shoff + (gsize) index * sizeof (ElfW (Shdr)), sizeof section);
  return section;
}

/* The ELF header of @contents, copied, when it is of this process's class
 * with a section header table inside the file and of @type. */
static gboolean
read_header (const char *contents,
             gsize       length,
             guint       type,
             ElfW (Ehdr) * header)
{
  if (length < sizeof *header)
    return FALSE;
  memcpy (header, contents, sizeof *header);
  return memcmp (header->e_ident, ELFMAG, SELFMAG) == 0 && header->e_ident[EI_CLASS] == HOST_ELF_CLASS &&
         (HOST_ELF_MACHINE == EM_NONE || header->e_machine == HOST_ELF_MACHINE) && header->e_type == type &&
         header->e_shentsize == sizeof (ElfW (Shdr)) && header->e_shnum > 0 &&
         in_file (header->e_shoff, header->e_shnum, sizeof (ElfW (Shdr)), length);
}

/* The string at @offset of the string table section @strings, if it ends
 * inside it. */
static const char *
section_string (const char *contents,
                gsize       length,
                const ElfW (Shdr) * strings,
                guint64 offset)
{
  const char *start;

  if (!in_file (strings->sh_offset, strings->sh_size, 1, length) || offset >= strings->sh_size)
    return NULL;
  start = contents + strings->sh_offset + offset;
  return memchr (start, '\0', strings->sh_size - offset) != NULL ? start : NULL;
}

/**
 * hot_elf_read_object_names:
 * @contents: the bytes of a file
 * @length: their length
 * @names: (element-type utf8 utf8): a set the names are added to
 *
 * Adds the name of every global or weak symbol of the relocatable object
 * @contents, defined or not, to @names.
 *
 * Returns: whether @contents is a relocatable object of this architecture
 *   whose symbol table lies in the file
 */
gboolean
hot_elf_read_object_names (const char *contents,
                           gsize       length,
                           GHashTable *names)
{
  ElfW (Ehdr) header;

  if (!read_header (contents, length, ET_REL, &header))
    return FALSE;

  for (guint i = 0; i < header.e_shnum; i++)
    {
      ElfW (Shdr) table = section_header (contents, &header, i);
      ElfW (Shdr) strings;

      if (table.sh_type != SHT_SYMTAB)
        continue;
      if (table.sh_link >= header.e_shnum || table.sh_entsize != sizeof (ElfW (Sym)) ||
          !in_file (table.sh_offset, table.sh_size / sizeof (ElfW (Sym)), sizeof (ElfW (Sym)), length))
        return FALSE;
      strings = section_header (contents, &header, table.sh_link);
      for (guint64 j = 0; j < table.sh_size / sizeof (ElfW (Sym)); j++)
        {
          ElfW (Sym) symbol;
          const char *name;

          memcpy (&symbol, contents + table.sh_offset + j * sizeof symbol, sizeof symbol);
          if (ELF64_ST_BIND (symbol.st_info) == STB_LOCAL || symbol.st_name == 0)
            continue;
          name = section_string (contents, length, &strings, symbol.st_name);
          if (name == NULL)
            return FALSE;
          g_hash_table_add (names, g_strdup (name));
        }
    }

  return TRUE;
}

/**
 * hot_elf_read_archive_names:
 * @contents: the bytes of a file
 * @length: their length
 * @names: (element-type utf8 utf8): a set the names are added to
 *
 * Adds the names of the global and weak symbols of every member of the
 * `ar` archive @contents (see hot_elf_read_object_names ()).
 *
 * Returns: whether @contents is an archive (not a thin one) whose members
 *   are all relocatable objects of this architecture, or symbol tables
 */
gboolean
hot_elf_read_archive_names (const char *contents,
                            gsize       length,
                            GHashTable *names)
{
  gsize at = SARMAG;

  if (length < SARMAG || memcmp (contents, ARMAG, SARMAG) != 0)
    return FALSE;

  while (at < length)
    {
      char             size_text[11];
      guint64          size;
      char            *end;
      g_autofree char *member = NULL;

      if (length - at < 60 || memcmp (contents + at + 58, "`\n", 2) != 0)
        return FALSE;
      memcpy (size_text, contents + at + 48, 10);
      size_text[10] = '\0';
      size = g_ascii_strtoull (size_text, &end, 10);
      if (end == size_text || !in_file (at + 60, size, 1, length))
        return FALSE;

      /* The symbol index ("/", "/SYM64/") and the long names ("//"). */
      if (contents[at] != '/' || g_ascii_isdigit (contents[at + 1]))
        {
          /* A copy: a member starts at any even offset. */
          member = g_memdup2 (contents + at + 60, size);
          if (!hot_elf_read_object_names (member, size, names))
            return FALSE;
        }
      at += 60 + size + (size & 1);
    }

  return TRUE;
}

static void
hot_elf_symbol_free (gpointer data)
{
  HotElfSymbol *symbol = data;

  g_free (symbol->name);
  g_free (symbol->version);
  g_free (symbol);
}

/* The names of the version definitions of a shared object, by index;
 * FALSE when the section does not lie in the file. */
static gboolean
read_version_names (const char *contents,
                    gsize       length,
                    const ElfW (Ehdr) * header,
                    const ElfW (Shdr) * verdef,
                    GPtrArray *by_index)
{
  ElfW (Shdr) strings;
  guint64 at = 0;

  if (verdef->sh_link >= header->e_shnum || !in_file (verdef->sh_offset, verdef->sh_size, 1, length))
    return FALSE;
  strings = section_header (contents, header, verdef->sh_link);

  for (guint n = 0; n < verdef->sh_info; n++)
    {
      ElfW (Verdef) definition;
      ElfW (Verdaux) auxiliary;
      const char *name;
      guint       index;

      if (!in_file (at, 1, sizeof definition, verdef->sh_size))
        return FALSE;
      memcpy (&definition, contents + verdef->sh_offset + at, sizeof definition);
      if (definition.vd_cnt == 0 || !in_file (at + definition.vd_aux, 1, sizeof auxiliary, verdef->sh_size))
        return FALSE;
      memcpy (&auxiliary, contents + verdef->sh_offset + at + definition.vd_aux, sizeof auxiliary);
      name = section_string (contents, length, &strings, auxiliary.vda_name);
      index = definition.vd_ndx & 0x7fff;
      if (name == NULL || index > 0x7fff)
        return FALSE;
      if (by_index->len <= index)
        g_ptr_array_set_size (by_index, index + 1);
      /* The base definition names the object itself, not a version. */
      if ((definition.vd_flags & VER_FLG_BASE) == 0)
        {
          g_free (g_ptr_array_index (by_index, index));
          g_ptr_array_index (by_index, index) = g_strdup (name);
        }
      if (definition.vd_next == 0)
        break;
      at += definition.vd_next;
    }

  return TRUE;
}

/**
 * hot_elf_read_dynamic_symbols:
 * @contents: the bytes of a file
 * @length: their length
 * @soname: (out) (transfer full): its DT_SONAME, or %NULL when it has none
 *
 * Reads the symbols a shared object defines for others: its dynamic
 * symbols that are defined, global or weak, under their default version
 * (a version that is not the default one is not linked to by name).
 *
 * Returns: (transfer full) (nullable): name → #HotElfSymbol, or %NULL
 *   when @contents is not a shared object of this architecture whose
 *   tables lie in the file
 */
GHashTable *
hot_elf_read_dynamic_symbols (const char *contents,
                              gsize       length,
                              char      **soname)
{
  g_autoptr (GHashTable) symbols = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, hot_elf_symbol_free);
  g_autoptr (GPtrArray) versions = g_ptr_array_new_with_free_func (g_free);
  ElfW (Ehdr) header;
  ElfW (Shdr) dynsym = { 0 }, versym = { 0 }, dynamic = { 0 };
  ElfW (Shdr) strings;

  g_return_val_if_fail (soname != NULL, NULL);
  *soname = NULL;

  if (!read_header (contents, length, ET_DYN, &header))
    return NULL;

  for (guint i = 0; i < header.e_shnum; i++)
    {
      ElfW (Shdr) section = section_header (contents, &header, i);

      if (section.sh_type == SHT_DYNSYM)
        dynsym = section;
      else if (section.sh_type == SHT_GNU_versym)
        versym = section;
      else if (section.sh_type == SHT_DYNAMIC)
        dynamic = section;
      else if (section.sh_type == SHT_GNU_verdef &&
               !read_version_names (contents, length, &header, &section, versions))
        return NULL;
    }

  if (dynsym.sh_type != SHT_DYNSYM || dynsym.sh_link >= header.e_shnum ||
      dynsym.sh_entsize != sizeof (ElfW (Sym)) ||
      !in_file (dynsym.sh_offset, dynsym.sh_size / sizeof (ElfW (Sym)), sizeof (ElfW (Sym)), length) ||
      (versym.sh_type == SHT_GNU_versym &&
       !in_file (versym.sh_offset, dynsym.sh_size / sizeof (ElfW (Sym)), sizeof (ElfW (Half)), length)))
    return NULL;
  strings = section_header (contents, &header, dynsym.sh_link);

  if (dynamic.sh_type == SHT_DYNAMIC && dynamic.sh_link < header.e_shnum &&
      in_file (dynamic.sh_offset, dynamic.sh_size / sizeof (ElfW (Dyn)), sizeof (ElfW (Dyn)), length))
    {
      ElfW (Shdr) dynamic_strings = section_header (contents, &header, dynamic.sh_link);

      for (guint64 i = 0; i < dynamic.sh_size / sizeof (ElfW (Dyn)); i++)
        {
          ElfW (Dyn) entry;

          memcpy (&entry, contents + dynamic.sh_offset + i * sizeof entry, sizeof entry);
          if (entry.d_tag == DT_NULL)
            break;
          if (entry.d_tag == DT_SONAME)
            {
              g_free (*soname);
              *soname = g_strdup (section_string (contents, length, &dynamic_strings, entry.d_un.d_val));
            }
        }
    }

  for (guint64 i = 1; i < dynsym.sh_size / sizeof (ElfW (Sym)); i++)
    {
      ElfW (Sym) entry;
      ElfW (Half) version = 1;
      const char   *name;
      HotElfSymbol *symbol;
      guint         bind;

      memcpy (&entry, contents + dynsym.sh_offset + i * sizeof entry, sizeof entry);
      bind = ELF64_ST_BIND (entry.st_info);
      if (entry.st_shndx == SHN_UNDEF || (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE))
        continue;
      if (versym.sh_type == SHT_GNU_versym)
        memcpy (&version, contents + versym.sh_offset + i * sizeof version, sizeof version);
      /* Hidden: not the default version; 0: local. */
      if ((version & 0x8000) != 0 || version == 0)
        continue;
      name = section_string (contents, length, &strings, entry.st_name);
      if (name == NULL)
        {
          g_clear_pointer (soname, g_free);
          return NULL;
        }

      symbol = g_new0 (HotElfSymbol, 1);
      symbol->name = g_strdup (name);
      symbol->index = i;
      symbol->type = ELF64_ST_TYPE (entry.st_info);
      symbol->bind = bind;
      symbol->other = entry.st_other;
      symbol->shndx = entry.st_shndx;
      symbol->size = entry.st_size;
      symbol->versioned = version > 1;
      if (version > 1 && version < versions->len)
        symbol->version = g_strdup (g_ptr_array_index (versions, version));
      g_hash_table_replace (symbols, symbol->name, symbol);
    }

  return g_steal_pointer (&symbols);
}
