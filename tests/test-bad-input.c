/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the loader is given that it must refuse, each with a clear error:
 * broken files, code others could have written, unusable private folders,
 * a full disk. Real files, real dlopen. */
#include "config.h"

#include <dlfcn.h>
#include <elf.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hotnode.h>

#include "hot-elf-private.h"
#include "hot-loader-private.h"
#include "test-utils.h"

typedef struct
{
  char      *tmp_dir;
  HotLoader *loader;
  char      *good;     /* a copy of a good module */
  char      *contents; /* its bytes */
  gsize      length;
} Fixture;

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  g_autofree char *built = g_test_build_filename (G_TEST_BUILT, "fixtures", "libalpha.so", NULL);
  g_autofree char *base = NULL;
  g_autoptr (GError) error = NULL;

  fixture->tmp_dir = g_dir_make_tmp ("hotnode-test-bad-input-XXXXXX", &error);
  g_assert_no_error (error);
  base = g_build_filename (fixture->tmp_dir, "private", NULL);
  fixture->loader = hot_loader_new (base, &error);
  g_assert_no_error (error);

  g_file_get_contents (built, &fixture->contents, &fixture->length, &error);
  g_assert_no_error (error);
  fixture->good = g_build_filename (fixture->tmp_dir, "libgood.so", NULL);
  g_file_set_contents (fixture->good, fixture->contents, fixture->length, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  g_clear_object (&fixture->loader);
  test_remove_tree (fixture->tmp_dir);
  g_free (fixture->tmp_dir);
  g_free (fixture->good);
  g_free (fixture->contents);
}

/* Writes @length bytes of @contents as a library and loads it: it must fail
 * with a LOAD error whose message contains @reason. */
static void
assert_refused (Fixture    *fixture,
                const char *contents,
                gsize       length,
                const char *reason)
{
  g_autofree char *path = g_build_filename (fixture->tmp_dir, "libbad.so", NULL);
  g_autoptr (GError) error = NULL;
  HotLibrary *library;

  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);
  library = hot_loader_load (fixture->loader, "alpha", path, &error);
  g_assert_null (library);
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD);
  if (strstr (error->message, reason) == NULL)
    g_error ("Expected “%s” in: %s", reason, error->message);
  g_test_message ("Refused: %s", error->message);
}

static void
test_empty (Fixture      *fixture,
            gconstpointer data)
{
  g_test_summary ("An empty file is refused");
  assert_refused (fixture, "", 0, "no ELF header");
}

static void
test_truncated (Fixture      *fixture,
                gconstpointer data)
{
  g_test_summary ("A library cut short is refused");
  assert_refused (fixture, fixture->contents, 200, "truncated");
  assert_refused (fixture, fixture->contents, fixture->length / 2, "truncated");
  assert_refused (fixture, fixture->contents, fixture->length - 1, "truncated");
}

static void
test_other_architecture (Fixture      *fixture,
                         gconstpointer data)
{
  g_autofree char *foreign = g_memdup2 (fixture->contents, fixture->length);

  g_test_summary ("A library built for another architecture is refused");

  ((Elf64_Ehdr *) foreign)->e_machine = EM_S390 == ((Elf64_Ehdr *) foreign)->e_machine ? EM_X86_64 : EM_S390;
  assert_refused (fixture, foreign, fixture->length, "another architecture");
}

/* The program header of the first segment of @type in @contents. */
static Elf64_Phdr *
find_segment (char   *contents,
              guint32 type)
{
  Elf64_Ehdr *header = (Elf64_Ehdr *) contents;

  for (guint i = 0; i < header->e_phnum; i++)
    {
      Elf64_Phdr *segment = (Elf64_Phdr *) (contents + header->e_phoff) + i;

      if (segment->p_type == type)
        return segment;
    }
  g_assert_not_reached ();
}

/* Headers whose offsets, sizes and counts add up past the end of the
 * address space, or point outside the file: refused before any of it is
 * read (without the checks, the loader read far outside the file and
 * crashed, or ASan reported it). */
static void
test_crafted_headers (Fixture      *fixture,
                      gconstpointer data)
{
  g_autofree char *bad = NULL;
  Elf64_Ehdr      *header;

  g_test_summary ("ELF headers with offsets and sizes that overflow or point outside the file are refused "
                  "with a clear error, nothing read out of bounds");

  if (sizeof (void *) != 8)
    {
      g_test_skip ("The crafted headers are 64-bit ones");
      return;
    }

#define FRESH() \
  (g_free (bad), bad = g_memdup2 (fixture->contents, fixture->length), header = (Elf64_Ehdr *) bad)

  /* e_phoff + e_phnum * e_phentsize wraps around to a small number. */
  FRESH ();
  header->e_phoff = G_MAXUINT64 - (guint64) header->e_phnum * sizeof (Elf64_Phdr) + 1 + 64;
  assert_refused (fixture, bad, fixture->length, "not a complete shared library");

  /* The same, made of the largest count: the table is 3.6 MB before the file. */
  FRESH ();
  header->e_phnum = G_MAXUINT16;
  header->e_phoff = G_MAXUINT64 - (guint64) G_MAXUINT16 * sizeof (Elf64_Phdr) + 1 + 64;
  assert_refused (fixture, bad, fixture->length, "not a complete shared library");

  /* A program header size that is not the one of this class. */
  FRESH ();
  header->e_phentsize = 8;
  assert_refused (fixture, bad, fixture->length, "not a complete shared library");

  /* Section headers past the end, by wrapping. */
  FRESH ();
  header->e_shoff = G_MAXUINT64 - (guint64) header->e_shnum * sizeof (Elf64_Shdr) + 1;
  assert_refused (fixture, bad, fixture->length, "not a complete shared library");

  /* A loaded segment whose offset and size wrap around. */
  FRESH ();
  find_segment (bad, PT_LOAD)->p_offset = G_MAXUINT64 - 4095;
  assert_refused (fixture, bad, fixture->length, "not a complete shared library");

  /* The dynamic section, read before dlopen, far outside the file with a
   * size that brings the sum back inside. */
  FRESH ();
  find_segment (bad, PT_DYNAMIC)->p_offset = G_GUINT64_CONSTANT (1) << 63;
  find_segment (bad, PT_DYNAMIC)->p_filesz = (G_GUINT64_CONSTANT (1) << 63) + 64;
  assert_refused (fixture, bad, fixture->length, "not a complete shared library");

  /* Misaligned dynamic section. */
  FRESH ();
  find_segment (bad, PT_DYNAMIC)->p_offset += 1;
  assert_refused (fixture, bad, fixture->length, "not a complete shared library");

#undef FRESH
}

/* Dynamic entries whose string offsets wrap around: hot_elf_read_needed ()
 * drops them (it read outside the file before). */
static void
test_crafted_dynamic_strings (Fixture      *fixture,
                              gconstpointer data)
{
  g_autofree char *bad = g_memdup2 (fixture->contents, fixture->length);
  g_autofree char *runpath = NULL;
  g_auto (GStrv) needed = NULL;
  g_auto (GStrv) good = NULL;
  Elf64_Phdr *dynamic_segment;
  Elf64_Dyn  *dynamic;
  guint       changed = 0;

  g_test_summary ("DT_NEEDED and DT_RUNPATH offsets that wrap around the string table are dropped, "
                  "nothing read out of bounds");

  if (sizeof (void *) != 8)
    {
      g_test_skip ("The crafted headers are 64-bit ones");
      return;
    }

  good = hot_elf_read_needed (fixture->contents, fixture->length, &runpath);
  g_clear_pointer (&runpath, g_free);
  g_assert_cmpuint (g_strv_length (good), >, 0);

  dynamic_segment = find_segment (bad, PT_DYNAMIC);
  dynamic = (Elf64_Dyn *) (bad + dynamic_segment->p_offset);
  for (guint i = 0; i < dynamic_segment->p_filesz / sizeof (Elf64_Dyn) && dynamic[i].d_tag != DT_NULL; i++)
    if (dynamic[i].d_tag == DT_NEEDED)
      {
        /* strtab + offset wraps to a few bytes before the string table */
        dynamic[i].d_un.d_val = G_MAXUINT64 - 15 - changed;
        changed++;
      }
  g_assert_cmpuint (changed, >, 0);

  needed = hot_elf_read_needed (bad, fixture->length, &runpath);
  g_assert_cmpuint (g_strv_length (needed), ==, g_strv_length (good) - changed);
}

/* A relocatable object for the fast builder's edit with section headers
 * far before the file: refused. */
static void
test_crafted_object (Fixture      *fixture,
                     gconstpointer data)
{
  g_autofree char *path = g_build_filename (fixture->tmp_dir, "bad.o", NULL);
  g_autoptr (GError) error = NULL;
  char        contents[256] = { 0 };
  Elf64_Ehdr *header = (Elf64_Ehdr *) contents;

  g_test_summary ("An object whose section header table wraps around is refused by the fast builder's edit");

  if (sizeof (void *) != 8)
    {
      g_test_skip ("The crafted headers are 64-bit ones");
      return;
    }

  memcpy (header->e_ident, ELFMAG, SELFMAG);
  header->e_ident[EI_CLASS] = ELFCLASS64;
  header->e_type = ET_REL;
  header->e_shentsize = sizeof (Elf64_Shdr);
  header->e_shnum = G_MAXUINT16;
  header->e_shstrndx = 1;
  header->e_shoff = G_MAXUINT64 - (guint64) G_MAXUINT16 * sizeof (Elf64_Shdr) + 1 + 64;
  g_file_set_contents (path, contents, sizeof contents, &error);
  g_assert_no_error (error);

  g_assert_false (hot_elf_make_sections_writable (path, (const char *const[]){ "hot_nodes", NULL }, &error));
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD);
}

static void
test_unresolved_symbol (Fixture      *fixture,
                        gconstpointer data)
{
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "fixtures", "libalpha-unresolved.so", NULL);
  g_autofree char *contents = NULL;
  gsize            length;

  g_test_summary ("A library needing a symbol nobody defines is refused, naming the symbol and how "
                  "to export the app's functions");

  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  assert_refused (fixture, contents, length, "alpha_nowhere_to_be_found");
  /* And the line that fixes it when the app has the function. */
  assert_refused (fixture, contents, length, "export_dynamic: true");
}

static void
test_writable_by_others (Fixture      *fixture,
                         gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  g_test_summary ("A library every user can write is refused");

  g_assert_cmpint (chmod (fixture->good, 0666), ==, 0);
  g_assert_null (hot_loader_load (fixture->loader, "alpha", fixture->good, &error));
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD);
  g_assert_nonnull (strstr (error->message, "chmod o-w"));
  g_clear_error (&error);

  /* Closed again, it loads. */
  g_assert_cmpint (chmod (fixture->good, 0644), ==, 0);
  hot_library_free (hot_loader_load (fixture->loader, "alpha", fixture->good, &error));
  g_assert_no_error (error);
}

static void
test_private_dir_not_ours (Fixture      *fixture,
                           gconstpointer data)
{
  g_autofree char *base = g_build_filename (fixture->tmp_dir, "someone-else", NULL);
  g_autoptr (GError) error = NULL;

  g_test_summary ("A private folder owned by another user is refused");

  if (getuid () != 0)
    {
      g_test_skip ("Only root can give a folder to another user here");
      return;
    }

  g_assert_cmpint (g_mkdir (base, 0700), ==, 0);
  g_assert_cmpint (chown (base, 65534, 65534), ==, 0);
  g_assert_null (hot_loader_new (base, &error));
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_PRIVATE_DIR);
}

static void
test_private_dir_not_writable (Fixture      *fixture,
                               gconstpointer data)
{
  g_autofree char *parent = g_build_filename (fixture->tmp_dir, "read-only", NULL);
  g_autofree char *base = g_build_filename (parent, "hotnode", NULL);
  g_autoptr (GError) error = NULL;

  g_test_summary ("A private folder that cannot be created is a clear error");

  if (getuid () == 0)
    {
      g_test_skip ("root writes into read-only folders");
      return;
    }

  g_assert_cmpint (g_mkdir (parent, 0500), ==, 0);
  g_assert_null (hot_loader_new (base, &error));
  g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_PRIVATE_DIR);
}

/* A pid that was a process of ours and is gone. */
static pid_t
dead_pid (void)
{
  pid_t pid = fork ();

  if (pid == 0)
    _exit (0);
  g_assert_cmpint (pid, >, 0);
  g_assert_cmpint (waitpid (pid, NULL, 0), ==, pid);

  return pid;
}

static char *
make_folder (const char *parent,
             const char *name,
             gboolean    with_marker)
{
  char            *path = g_build_filename (parent, name, NULL);
  g_autofree char *kept = g_build_filename (path, "kept.txt", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
  g_file_set_contents (kept, "a file of the user's\n", -1, &error);
  g_assert_no_error (error);
  if (with_marker)
    {
      g_autofree char *marker = g_build_filename (path, "hotnode-run", NULL);

      g_file_set_contents (marker, "", -1, &error);
      g_assert_no_error (error);
    }

  return path;
}

static void
test_stale_runs (Fixture      *fixture,
                 gconstpointer data)
{
  g_autofree char *base = g_build_filename (fixture->tmp_dir, "stale", NULL);
  g_autofree char *users = NULL;
  g_autofree char *stale = NULL;
  g_autofree char *escape = NULL;
  g_autofree char *unmarked = NULL;
  g_autofree char *alive = NULL;
  g_autofree char *link = NULL;
  g_autofree char *users_file = NULL;
  g_autoptr (HotLoader) loader = NULL;
  g_autoptr (GError) error = NULL;
  /* Names near the run folders' ("run-", pid, "-XXXXXX"), never removed */
  const char *near_names[][2] = { { "run-", "-abcde" }, { "run-", "-abcdefg" }, { "run-0", "-abcdef" }, { "run-", "-abc.ef" }, { "xrun-", "-abcdef" }, { "run-", "_abcdef" }, { "run-", "-abcdef.old" } };
  g_autoptr (GPtrArray) near = g_ptr_array_new_with_free_func (g_free);
  pid_t gone = dead_pid ();

  g_test_summary ("Only folders hotnode made for a process that is gone are removed: the exact name, a "
                  "real folder with hotnode's marker; a link is never followed, a folder of the user's "
                  "that a link points to is never emptied");

  g_assert_cmpint (g_mkdir_with_parents (base, 0700), ==, 0);
  users = make_folder (fixture->tmp_dir, "users-own", TRUE);
  users_file = g_build_filename (users, "kept.txt", NULL);

  {
    g_autofree char *name = g_strdup_printf ("run-%d-Ab1Cd2", (int) gone);
    g_autofree char *inner_link = NULL;

    stale = make_folder (base, name, TRUE);
    /* A link inside a stale run folder: removed, not followed. */
    inner_link = g_build_filename (stale, "escape", NULL);
    g_assert_cmpint (symlink (users, inner_link), ==, 0);
  }
  {
    g_autofree char *name = g_strdup_printf ("run-%d-Zz9Yy8", (int) gone);

    unmarked = make_folder (base, name, FALSE);
  }
  {
    g_autofree char *name = g_strdup_printf ("run-%d-LnK123", (int) gone);

    /* Named like a run folder, a link to the user's folder (which even
     * holds a marker). */
    link = g_build_filename (base, name, NULL);
    g_assert_cmpint (symlink (users, link), ==, 0);
  }
  {
    g_autofree char *name = g_strdup_printf ("run-%d-aLiVe1", (int) getppid ());

    alive = make_folder (base, name, TRUE);
  }
  for (guint i = 0; i < G_N_ELEMENTS (near_names); i++)
    {
      g_autofree char *name = g_strdup_printf ("%s%d%s", near_names[i][0], (int) gone, near_names[i][1]);

      g_ptr_array_add (near, make_folder (base, name, TRUE));
    }

  loader = hot_loader_new (base, &error);
  g_assert_no_error (error);

  g_assert_false (g_file_test (stale, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (users_file, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (g_file_test (unmarked, G_FILE_TEST_IS_DIR));
  g_assert_true (g_file_test (alive, G_FILE_TEST_IS_DIR));
  for (guint i = 0; i < near->len; i++)
    if (!g_file_test (g_ptr_array_index (near, i), G_FILE_TEST_IS_DIR))
      g_error ("%s was removed: its name is not one hotnode makes", (char *) g_ptr_array_index (near, i));

  /* The loader's own folder has the marker, and goes at its end like this. */
  {
    g_autofree char *own_marker = g_build_filename (hot_loader_get_private_dir (loader), "hotnode-run", NULL);

    g_assert_true (g_file_test (own_marker, G_FILE_TEST_IS_REGULAR));
  }
}

static void
test_disk_full (Fixture      *fixture,
                gconstpointer data)
{
  if (g_test_subprocess ())
    {
      struct rlimit limit = { 4096, 4096 };
      g_autoptr (GError) error = NULL;

      /* Past the limit writes fail with EFBIG, as on a full disk. */
      signal (SIGXFSZ, SIG_IGN);
      g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
      g_assert_null (hot_loader_load (fixture->loader, "alpha", fixture->good, &error));
      g_assert_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOAD);
      g_assert_nonnull (strstr (error->message, "copy"));
      return;
    }

  g_test_summary ("A copy that cannot be written (disk full) is a clear error");

  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_passed ();
}

/* Reads @length bytes of @contents, copied to a buffer of their size, with
 * every reader of symbols: none reads outside it (ASan says if one does). */
static gboolean
read_symbols (const char *contents,
              gsize       length)
{
  g_autofree char *copy = g_memdup2 (contents, length);
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) symbols = NULL;
  g_autofree char *soname = NULL;

  hot_elf_read_object_names (copy, length, names);
  hot_elf_read_archive_names (copy, length, names);
  symbols = hot_elf_read_dynamic_symbols (copy, length, &soname);
  return symbols != NULL;
}

static void
test_crafted_symbol_tables (Fixture      *fixture,
                            gconstpointer data)
{
  Elf64_Ehdr *header = (Elf64_Ehdr *) fixture->contents;
  g_autoptr (GHashTable) symbols = NULL;
  g_autofree char *soname = NULL;
  gsize            table_length = header->e_shnum * sizeof (Elf64_Shdr);
  const char      *archive = "!<arch>\n"
                             "member.o/       0           0     0     644     99999999  `\n";

  g_test_summary ("The readers of symbol tables (link stubs) read only inside the file, whatever its section "
                  "headers, version sections and archive headers say, and refuse what is cut short");

  symbols = hot_elf_read_dynamic_symbols (fixture->contents, fixture->length, &soname);
  g_assert_nonnull (symbols);
  g_assert_cmpuint (g_hash_table_size (symbols), >, 0);

  /* Cut short anywhere: the section headers are at the end. */
  g_assert_false (read_symbols (fixture->contents, header->e_shoff + table_length - 1));
  for (gsize length = 0; length < fixture->length; length += 97)
    read_symbols (fixture->contents, length);

  /* Every byte of the section header table set to 0xff, then to 0x80, one at a time. */
  for (gsize i = 0; i < table_length; i++)
    for (guint value = 0x80; value <= 0xff; value += 0x7f)
      {
        g_autofree char *crafted = g_memdup2 (fixture->contents, fixture->length);

        crafted[header->e_shoff + i] = (char) value;
        read_symbols (crafted, fixture->length);
      }

  /* An archive member larger than the archive. */
  {
    g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    g_autofree char *copy = g_memdup2 (archive, strlen (archive));

    g_assert_false (hot_elf_read_archive_names (copy, strlen (archive), names));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  /* Modules need libhotnode-1.so. An app has it loaded for good; this test
   * links hotnode's internals instead, so closing a refused module would
   * unload the library with it, and LeakSanitizer would count what its
   * copy had allocated as lost. */
  g_assert_nonnull (dlopen ("libhotnode-1.so.0", RTLD_NOW | RTLD_NODELETE));

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/Hotnode/BadInput/empty", test_empty);
  ADD ("/Hotnode/BadInput/truncated", test_truncated);
  ADD ("/Hotnode/BadInput/other-architecture", test_other_architecture);
  ADD ("/Hotnode/BadInput/crafted-headers", test_crafted_headers);
  ADD ("/Hotnode/BadInput/crafted-dynamic-strings", test_crafted_dynamic_strings);
  ADD ("/Hotnode/BadInput/crafted-object", test_crafted_object);
  ADD ("/Hotnode/BadInput/crafted-symbol-tables", test_crafted_symbol_tables);
  ADD ("/Hotnode/BadInput/unresolved-symbol", test_unresolved_symbol);
  ADD ("/Hotnode/BadInput/writable-by-others", test_writable_by_others);
  ADD ("/Hotnode/BadInput/private-dir-not-ours", test_private_dir_not_ours);
  ADD ("/Hotnode/BadInput/private-dir-not-writable", test_private_dir_not_writable);
  ADD ("/Hotnode/BadInput/stale-runs", test_stale_runs);
  ADD ("/Hotnode/BadInput/disk-full", test_disk_full);

#undef ADD

  return g_test_run ();
}
