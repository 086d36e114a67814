/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hot-tcc-prelude-private.h"

#include "hot-diagnostic-private.h"
#include "hot-file-private.h"
#include "hot-prelude-prune-private.h"
#include "hot-process-private.h"

/*
 * tcc preludes, for the fast builder's tcc path (hot-fast-builder.c).
 *
 * tcc spends most of a compile reading the headers at the top of a source
 * (<gtk/gtk.h> is 3 MB once preprocessed). The first time a prologue (the
 * lines at the top of a source that only the preprocessor reads) is seen
 * with given flags, it is preprocessed once, its definitions kept: the
 * prelude, a header in the fast builder's folder. Sources with that
 * prologue are then compiled as a copy with the prologue blanked out (a
 * #line keeps __FILE__ and the line numbers) and the prelude included
 * instead. The machine code is the same.
 *
 * Making a prelude (hot_tcc_prelude_make_async ()) goes through three
 * states, and none of them keeps the main thread for long, whatever the
 * size of the preprocessed text:
 * - writing: the prologue goes to "tcc-KEY.c" (a few hundred bytes, on the
 *   caller's thread);
 * - preprocessing: `tcc -E -dD` writes "tcc-KEY.i", a process in a group
 *   of its own (hot_process_run_async ()); when it fails there is no
 *   prelude for that prologue (the result is "", "tcc-KEY.i" is removed);
 * - repairing: on a worker thread, "tcc-KEY.i" is read, walked line by line
 *   (memchr: a sanitizer's strstr measures the rest of the text on every
 *   call, which made a split of 3.6 MB quadratic), repaired, written to
 *   "tcc-KEY.h" and removed. The first time, when the walk finds a
 *   `#pragma once` header tcc read twice under two names (see
 *   hot_tcc_find_aliases ()), it writes "tcc-KEY.h.once.h" instead and the
 *   make goes back to preprocessing, with that header included first.
 *   Then the prelude is indexed for pruning (hot-prelude-prune.c): what
 *   each of its declarations declares and uses.
 * The task owns a MakeData for all three; a cancelled make completes with
 * G_IO_ERROR_CANCELLED (the process is killed, the thread stops within a
 * few thousand lines).
 */

/* How many lines the repair walks between looks at the cancellable. */
#define LINES_BETWEEN_CANCEL_CHECKS 4096

/* What a make gives. */
typedef struct
{
  char            *path;
  HotPreludeIndex *index;
} Made;

static void
made_free (gpointer data)
{
  Made *made = data;

  g_free (made->path);
  g_clear_pointer (&made->index, hot_prelude_index_unref);
  g_free (made);
}

typedef struct
{
  GStrv flags;         /* tcc and the flags the prologue's sources are compiled with */
  char *prologue_path; /* tcc-KEY.c: the prologue */
  char *raw_path;      /* tcc-KEY.i: tcc's output */
  char *path;          /* tcc-KEY.h: the prelude */
  char *aliases_path;  /* tcc-KEY.h.once.h: headers tcc reads twice, if it does */
  char *cwd;           /* where tcc runs */
} MakeData;

static void
make_data_free (gpointer data)
{
  MakeData *make = data;

  g_free (make->raw_path);
  g_strfreev (make->flags);
  g_free (make->prologue_path);
  g_free (make->path);
  g_free (make->aliases_path);
  g_free (make->cwd);
  g_free (make);
}

/* The start of the line after the one at @line, or @end. */
static const char *
next_line (const char *line,
           const char *end)
{
  const char *newline = memchr (line, '\n', end - line);

  return newline ? newline + 1 : end;
}

/**
 * hot_tcc_source_prologue:
 * @contents: a C source, nul-terminated
 *
 * Returns: (transfer full): the lines at the top of @contents that only
 *   the preprocessor reads (blank lines, comments and directives), up to
 *   the first line of code
 */
char *
hot_tcc_source_prologue (const char *contents)
{
  const char *contents_end = contents + strlen (contents);
  const char *line = contents;
  const char *end = contents; /* of the last directive */
  gboolean    in_comment = FALSE;

  while (line < contents_end)
    {
      const char *next = next_line (line, contents_end);
      const char *text = line;

      while (*text == ' ' || *text == '\t')
        text++;

      if (in_comment)
        in_comment = g_strstr_len (text, next - text, "*/") == NULL;
      else if (*text == '\n' || *text == '\0' || g_str_has_prefix (text, "//"))
        ;
      else if (g_str_has_prefix (text, "/*"))
        in_comment = g_strstr_len (text + 2, next - text - 2, "*/") == NULL;
      else if (*text == '#')
        {
          /* With its continuation lines. */
          while (next - line >= 2 && next[-1] == '\n' && next[-2] == '\\' && next < contents_end)
            next = next_line (next, contents_end);
          end = next;
        }
      else
        break;

      line = next;
    }

  return g_strndup (contents, end - contents);
}

/* One line of tcc's output, repaired, to @repaired. */
static void
repair_line (GString    *repaired,
             const char *text,
             gsize       length)
{
  g_autoptr (GString) line = g_string_new_len (text, length);

  if (g_str_has_prefix (line->str, "#define __BASE_FILE__ "))
    return;
  if (g_str_has_prefix (line->str, "#define "))
    {
      const char *name_end = line->str + strlen ("#define ") + strcspn (line->str + strlen ("#define "), "( ");
      const char *params_end = *name_end == '(' ? strchr (name_end, ')') : NULL;

      g_string_replace (line, "<a6>", "##", 0);
      if (params_end != NULL)
        {
          g_autofree char *params = g_strndup (name_end, params_end - name_end);
          g_autoptr (GString) fixed = g_string_new (params);

          if (g_string_replace (fixed, "__VA_ARGS__", "...", 0) > 0)
            {
              gssize position = name_end - line->str;

              g_string_erase (line, position, params_end - name_end);
              g_string_insert (line, position, fixed->str);
            }
        }
    }
  g_string_append_len (repaired, line->str, line->len);
  g_string_append_c (repaired, '\n');
}

/*
 * Headers tcc reads twice. tcc keys `#pragma once` by the name a file was
 * included under, so a header included once as "gtksourcetypes.h" and
 * once as "completion-providers/words/../../gtksourcetypes.h" (GtkSourceView
 * 5 does this) is read twice, and its inline functions are then defined
 * twice; gcc keys it by the file. The line markers of tcc's output name
 * the files it read: a `#pragma once` file named under a second name is an
 * alias. tcc is then run again with a header that marks each alias as read
 * (`#line 1 "ALIAS"` then `#pragma once`), so it reads each file once, as
 * gcc does.
 */

/* The file name of the line marker at @text (`# N "FILE"`, maybe with a
 * flag), or NULL. */
static char *
marker_file (const char *text,
             gsize       length)
{
  const char *end = text + length;
  const char *p = text + 2;
  const char *name_end;

  if (length < 4 || text[0] != '#' || text[1] != ' ' || !g_ascii_isdigit (*p))
    return NULL;
  while (p < end && g_ascii_isdigit (*p))
    p++;
  if (end - p < 3 || p[0] != ' ' || p[1] != '"')
    return NULL;
  p += 2;
  name_end = memchr (p, '"', end - p);
  /* A name with escapes could not be given back to tcc as it is. */
  if (name_end == NULL || memchr (p, '\\', name_end - p) != NULL)
    return NULL;

  return g_strndup (p, name_end - p);
}

/* Whether @path says `#pragma once` on a line of its own. */
static gboolean
has_pragma_once (const char *path)
{
  g_autofree char *contents = NULL;
  gsize            length;
  const char      *end;

  if (!g_file_get_contents (path, &contents, &length, NULL))
    return FALSE;
  end = contents + length;
  for (const char *line = contents; line < end; line = next_line (line, end))
    {
      const char *p = line;

      while (*p == ' ' || *p == '\t')
        p++;
      if (*p++ != '#')
        continue;
      while (*p == ' ' || *p == '\t')
        p++;
      if (!g_str_has_prefix (p, "pragma") || (p[6] != ' ' && p[6] != '\t'))
        continue;
      p += strlen ("pragma");
      while (*p == ' ' || *p == '\t')
        p++;
      if (g_str_has_prefix (p, "once") && strchr (" \t\r\n/", p[4]) != NULL)
        return TRUE;
    }

  return FALSE;
}

/**
 * hot_tcc_find_aliases:
 * @text: what `tcc -E` wrote
 * @length: the length of @text
 * @cwd: where tcc ran
 *
 * Returns: (transfer full): the header that marks each `#pragma once`
 *   file tcc read under a second name as read under that name (see
 *   above), or %NULL when tcc read none twice
 */
char *
hot_tcc_find_aliases (const char *text,
                      gsize       length,
                      const char *cwd)
{
  g_autoptr (GHashTable) first_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GString) aliases = NULL;
  const char *end = text + length;

  g_return_val_if_fail (text != NULL || length == 0, NULL);
  g_return_val_if_fail (cwd != NULL, NULL);

  for (const char *line = text; line < end; line = next_line (line, end))
    {
      const char      *newline = memchr (line, '\n', end - line);
      g_autofree char *name = line[0] == '#' ? marker_file (line, (newline ? newline : end) - line) : NULL;
      g_autofree char *path = NULL;
      char            *identity;
      const char      *first_name;
      GStatBuf         st;

      /* Each name once; "<command line>" and such are no files. */
      if (name == NULL || !g_hash_table_add (names, g_strdup (name)))
        continue;
      path = g_canonicalize_filename (name, cwd);
      if (g_stat (path, &st) != 0)
        continue;

      identity = g_strdup_printf ("%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT, (guint64) st.st_dev,
                                  (guint64) st.st_ino);
      first_name = g_hash_table_lookup (first_names, identity);
      if (first_name == NULL)
        {
          g_hash_table_insert (first_names, identity, g_strdup (name));
          continue;
        }
      g_free (identity);
      if (!has_pragma_once (path))
        continue;

      if (aliases == NULL)
        aliases = g_string_new ("/* Written by hotnode: headers tcc would read twice (hot-tcc-prelude.c). */\n");
      g_string_append_printf (aliases, "/* %s */\n#line 1 \"%s\"\n#pragma once\n", first_name, name);
    }

  return aliases ? g_string_free (g_steal_pointer (&aliases), FALSE) : NULL;
}

/* Returns NULL when @cancellable was cancelled on the way. */
static char *
repair_definitions (const char   *text,
                    gsize         length,
                    GCancellable *cancellable)
{
  g_autoptr (GString) repaired = g_string_sized_new (length + length / 16);
  const char *end = text + length;
  const char *line = text;
  guint       n_lines = 0;

  /* Every line, the last one too when it is empty (after a final newline),
   * as a split at each newline gives them. */
  while (TRUE)
    {
      const char *newline = memchr (line, '\n', end - line);
      const char *line_end = newline ? newline : end;

      repair_line (repaired, line, line_end - line);
      if (newline == NULL)
        break;
      line = newline + 1;

      if (++n_lines % LINES_BETWEEN_CANCEL_CHECKS == 0 && g_cancellable_is_cancelled (cancellable))
        return NULL;
    }

  return g_string_free (g_steal_pointer (&repaired), FALSE);
}

/**
 * hot_tcc_repair_definitions:
 * @text: what `tcc -E -dD` wrote
 * @length: the length of @text
 *
 * tcc -E -dD prints some definitions wrong: a ## as "<a6>", variadic
 * parameters as __VA_ARGS__; and its own __BASE_FILE__, which would clash.
 * Walks @text once, line by line.
 *
 * Returns: (transfer full): @text with those definitions repaired, every
 *   line ending with a newline
 */
char *
hot_tcc_repair_definitions (const char *text,
                            gsize       length)
{
  g_return_val_if_fail (text != NULL || length == 0, NULL);

  return repair_definitions (text ? text : "", length, NULL);
}

/**
 * hot_tcc_prelude_key:
 * @prologue: a source's prologue (hot_tcc_source_prologue ())
 * @flags: the tcc command line the source is compiled with, without the
 *   file names
 * @headers: what the headers the source includes hold (a digest)
 *
 * Returns: (transfer full): what names the prelude of @prologue with
 *   @flags and @headers: a checksum of them
 */
char *
hot_tcc_prelude_key (const char        *prologue,
                     const char *const *flags,
                     const char        *headers)
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);

  g_return_val_if_fail (prologue != NULL, NULL);
  g_return_val_if_fail (flags != NULL, NULL);

  g_checksum_update (checksum, (const guchar *) prologue, -1);
  for (guint i = 0; flags[i]; i++)
    g_checksum_update (checksum, (const guchar *) flags[i], strlen (flags[i]) + 1);
  g_checksum_update (checksum, (const guchar *) headers, -1);

  return g_strdup (g_checksum_get_string (checksum));
}

static char *
prelude_path (const char *work_dir,
              const char *key,
              const char *suffix)
{
  g_autofree char *name = g_strdup_printf ("tcc-%s%s", key, suffix);

  return g_build_filename (work_dir, name, NULL);
}

static void preprocessed (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data);

/* The preprocessing state: runs tcc. Takes @task. */
static void
preprocess (GTask *task)
{
  MakeData *make = g_task_get_task_data (task);
  g_autoptr (GStrvBuilder) argv = g_strv_builder_new ();
  g_auto (GStrv) command = NULL;
  g_autofree char *aliases_dir = NULL;
  g_autofree char *aliases_name = NULL;

  g_strv_builder_addv (argv, (const char **) make->flags);
  if (make->aliases_path != NULL)
    {
      /* tcc puts the folder of the file it reads before a #line name, even
       * an absolute one: the aliases are read from their own folder, by a
       * name without one (the flags' paths are absolute). */
      aliases_dir = g_path_get_dirname (make->aliases_path);
      aliases_name = g_path_get_basename (make->aliases_path);
      g_strv_builder_addv (argv, (const char *[]){ "-include", aliases_name, NULL });
    }
  g_strv_builder_addv (argv, (const char *[]){ "-E", "-dD", make->prologue_path, "-o", make->raw_path, NULL });
  command = g_strv_builder_end (argv);
  hot_process_run_async ((const char *const *) command, aliases_dir ? aliases_dir : make->cwd,
                         g_task_get_cancellable (task), preprocessed, task);
}

/* The repairing state, on a worker thread: returns NULL when tcc read a
 * header twice (the aliases are written), the prelude's Made when it is
 * written. */

static void
repair_in_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  MakeData *make = task_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *raw = NULL;
  g_autofree char *repaired = NULL;
  g_autofree char *aliases = NULL;
  gsize            length = 0;
  Made            *made;

  if (g_task_return_error_if_cancelled (task))
    return;

  if (!g_file_get_contents (make->raw_path, &raw, &length, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_unlink (make->raw_path);

  if (make->aliases_path == NULL && (aliases = hot_tcc_find_aliases (raw, length, make->cwd)) != NULL)
    {
      g_autofree char *aliases_path = g_strconcat (make->path, ".once.h", NULL);

      if (!g_file_set_contents (aliases_path, aliases, -1, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      make->aliases_path = g_steal_pointer (&aliases_path);
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  repaired = repair_definitions (raw, length, cancellable);
  if (repaired == NULL)
    {
      g_task_return_error_if_cancelled (task);
      return;
    }
  if (!g_file_set_contents (make->path, repaired, -1, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  made = g_new0 (Made, 1);
  made->path = g_strdup (make->path);
  length = strlen (repaired);
  made->index = hot_prelude_index_new (g_steal_pointer (&repaired), length);
  g_task_return_pointer (task, made, made_free);
}

/* The end of the repairing state. */
static void
repaired (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  GTask    *task = user_data;
  MakeData *make = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  Made *made = g_task_propagate_pointer (G_TASK (result), &error);

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (made == NULL)
    {
      g_debug ("tcc read #pragma once headers twice under two names; preprocessing again with %s",
               make->aliases_path);
      preprocess (g_steal_pointer (&task));
      return;
    }
  else
    g_task_return_pointer (task, made, made_free);

  g_object_unref (task);
}

/* The end of the preprocessing state. */
static void
preprocessed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  MakeData *make = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) output = NULL;
  g_autoptr (GSubprocess) subprocess = hot_process_run_finish (result, &output, &error);
  Made *made;

  if (subprocess == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_prefix_error (&error, _ ("could not run %s: "), "tcc");
      g_task_return_error (task, g_steal_pointer (&error));
    }
  else if (!g_subprocess_get_successful (subprocess))
    {
      g_autofree char *text = hot_diagnostic_clean_output (g_bytes_get_size (output) > 0
                                                               ? g_bytes_get_data (output, NULL)
                                                               : "",
                                                           g_bytes_get_size (output));

      g_debug ("No tcc prelude for %s; tcc reads the headers of sources with this prologue each time: %s",
               make->path, text);
      /* tcc leaves what it wrote before it failed. */
      g_unlink (make->raw_path);
      made = g_new0 (Made, 1);
      made->path = g_strdup ("");
      g_task_return_pointer (task, made, made_free);
    }
  else
    {
      /* The worker's task holds no reference of @task's: @task's data
       * lives until repaired () is called. */
      GCancellable *cancellable = g_task_get_cancellable (task);
      GTask        *repair = g_task_new (NULL, cancellable, repaired, g_steal_pointer (&task));

      g_task_set_task_data (repair, make, NULL);
      g_task_run_in_thread (repair, repair_in_thread);
      g_object_unref (repair);
    }
}

/**
 * hot_tcc_prelude_make_async:
 * @flags: the tcc command line the prologue's sources are compiled with,
 *   without the file names
 * @prologue: the prologue (hot_tcc_source_prologue ()), not empty
 * @work_dir: the folder the prelude goes to
 * @key: the prelude's key (hot_tcc_prelude_key ())
 * @cwd: where tcc runs
 * @cancellable: (nullable): stops tcc and the repair
 * @callback: called when the prelude is made, or not
 * @user_data: data for @callback
 *
 * Makes the prelude of @prologue: preprocesses it with tcc, then repairs
 * tcc's output on a worker thread. See the top of hot-tcc-prelude.c.
 */
void
hot_tcc_prelude_make_async (const char *const  *flags,
                            const char         *prologue,
                            const char         *work_dir,
                            const char         *key,
                            const char         *cwd,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  MakeData *make;

  g_return_if_fail (flags != NULL && flags[0] != NULL);
  g_return_if_fail (prologue != NULL && *prologue != '\0');
  g_return_if_fail (work_dir != NULL);
  g_return_if_fail (key != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, hot_tcc_prelude_make_async);
  make = g_new0 (MakeData, 1);
  make->flags = g_strdupv ((char **) flags);
  make->prologue_path = prelude_path (work_dir, key, ".c");
  make->raw_path = prelude_path (work_dir, key, ".i");
  make->path = prelude_path (work_dir, key, ".h");
  make->cwd = g_strdup (cwd);
  g_task_set_task_data (task, make, make_data_free);

  /* Without the prologue written, no prelude this time (nor remembered). */
  if (!g_file_set_contents (make->prologue_path, prologue, -1, NULL))
    {
      g_task_return_pointer (task, g_new0 (Made, 1), made_free);
      return;
    }

  preprocess (g_steal_pointer (&task));
}

/**
 * hot_tcc_prelude_make_finish:
 * @result: the result given to the callback
 * @prelude: (out) (transfer full) (nullable): the prelude's path; "" when
 *   tcc could not preprocess the prologue (its sources have no prelude);
 *   %NULL when the prologue could not be written (try again next time)
 * @index: (out) (transfer full) (optional) (nullable): the index of the
 *   prelude, for pruning it (hot-prelude-prune.c), when there is one
 * @error: return location for a #GError: %G_IO_ERROR_CANCELLED, or why
 *   tcc could not run or its output could not be read or written
 *
 * Returns: %FALSE with @error set when the prelude could not be made
 */
gboolean
hot_tcc_prelude_make_finish (GAsyncResult     *result,
                             char            **prelude,
                             HotPreludeIndex **index,
                             GError          **error)
{
  g_autoptr (GError) local_error = NULL;
  Made *made;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == hot_tcc_prelude_make_async, FALSE);
  g_return_val_if_fail (prelude != NULL, FALSE);

  *prelude = NULL;
  if (index != NULL)
    *index = NULL;
  made = g_task_propagate_pointer (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  *prelude = g_steal_pointer (&made->path);
  if (index != NULL)
    *index = g_steal_pointer (&made->index);
  made_free (made);
  return TRUE;
}

/**
 * hot_tcc_prelude_write_copy:
 * @source: a C source
 * @prologue: the prologue its prelude was made from
 * @file: the source's name as the compiler is given it (its `__FILE__`)
 * @copy_path: where the copy goes
 * @written: (out): whether the copy was written: %FALSE when @source no
 *   longer starts with @prologue (it is compiled without the prelude)
 * @error: return location for a #GError
 *
 * Writes the copy of @source that is compiled with the prelude: the
 * prologue blanked out, a #line keeping __FILE__ and the line numbers.
 *
 * Returns: %FALSE with @error set when @source could not be read or the
 *   copy written
 */
gboolean
hot_tcc_prelude_write_copy (const char *source,
                            const char *prologue,
                            const char *file,
                            const char *copy_path,
                            gboolean   *written,
                            GError    **error)
{
  g_autofree char *contents = NULL;
  g_autoptr (GString) copy = NULL;
  g_autoptr (GString) line_file = NULL;

  g_return_val_if_fail (source != NULL && prologue != NULL && file != NULL && copy_path != NULL, FALSE);
  g_return_val_if_fail (written != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *written = FALSE;
  if (!g_file_get_contents (source, &contents, NULL, error))
    return FALSE;
  if (!g_str_has_prefix (contents, prologue))
    return TRUE;

  /* A #line string takes \\ and \" escapes; other bytes as they are. */
  line_file = g_string_new (file);
  g_string_replace (line_file, "\\", "\\\\", 0);
  g_string_replace (line_file, "\"", "\\\"", 0);
  copy = g_string_new (NULL);
  g_string_append_printf (copy, "#line 1 \"%s\"\n", line_file->str);
  for (const char *p = prologue; *p; p++)
    if (*p == '\n')
      g_string_append_c (copy, '\n');
  g_string_append (copy, contents + strlen (prologue));

  /* The builder's own file: no need to reach the disk before the compile. */
  if (!hot_file_write (copy_path, copy->str, copy->len, 0666, error))
    return FALSE;

  *written = TRUE;
  return TRUE;
}
