/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

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
