/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib.h>
#include <string.h>

/*
 * The layers of src/, read from the sources: a file includes headers of its
 * own folder and of the folders below it, never above (the build enforces
 * GTK's absence below the widgets; this checks the rest), and no files
 * include each other in a circle. A file and its -private.h are one unit:
 * "hot-node" is hot-node.c, hot-node-private.h and include/hot-node.h.
 */

/* From the bottom up; the composition root (src/ itself) is above all. */
static const char *const layers[] = {
  "base",
  "model",
  "platform",
  "build",
  "lifecycle",
  "widgets",
  "service",
  "ui",
  "ui/inspector",
  "",
};

/* The layer of each public header of include/ (by what it needs). */
static const struct
{
  const char *header;
  const char *layer;
} public_headers[] = {
  { "config.h", "base" },
  { "hotnode-version.h", "base" },
  { "hot-enums.h", "base" },
  { "hot-error.h", "base" },
  { "hot-macros.h", "model" },
  { "hot-node-args.h", "model" },
  { "hot-diagnostic.h", "model" },
  { "hot-status.h", "model" },
  { "hot-node.h", "widgets" },
  { "hot-stateful.h", "widgets" },
  { "hot-reload.h", "service" },
  { "hotnode.h", "" },
};

typedef struct
{
  GHashTable *rank;     /* file name → layer index */
  GHashTable *includes; /* unit → GPtrArray of "file name\tincluded header" */
  GHashTable *edges;    /* unit → GHashTable of units */
  GPtrArray  *errors;
} Sources;

static int
layer_index (const char *layer)
{
  for (guint i = 0; i < G_N_ELEMENTS (layers); i++)
    if (g_str_equal (layers[i], layer))
      return i;
  g_assert_not_reached ();
}

/* hot-node-private.h, hot-node.c, hot-node.h → hot-node */
static char *
unit_of (const char *name)
{
  g_autofree char *stem = g_strdup (name);
  char            *dot = strrchr (stem, '.');

  if (dot != NULL)
    *dot = '\0';
  if (g_str_has_suffix (stem, "-private"))
    stem[strlen (stem) - strlen ("-private")] = '\0';

  return g_steal_pointer (&stem);
}

static void
scan_folder (Sources    *sources,
             const char *root,
             const char *layer)
{
  g_autofree char *path = g_build_filename (root, layer, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = g_dir_open (path, 0, &error);
  const char *name;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = NULL;
      g_autofree char *text = NULL;
      g_auto (GStrv) lines = NULL;

      if (!g_str_has_suffix (name, ".c") && !g_str_has_suffix (name, ".h"))
        continue;
      g_assert_false (g_hash_table_contains (sources->rank, name));
      g_hash_table_insert (sources->rank, g_strdup (name), GINT_TO_POINTER (layer_index (layer)));

      file = g_build_filename (path, name, NULL);
      g_file_get_contents (file, &text, NULL, &error);
      g_assert_no_error (error);
      lines = g_strsplit (text, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        {
          const char      *line = g_strchug (lines[i]);
          const char      *start, *end;
          g_autofree char *unit = unit_of (name);
          GPtrArray       *list;

          if (!g_str_has_prefix (line, "#include \""))
            continue;
          start = line + strlen ("#include \"");
          end = strchr (start, '"');
          g_assert_nonnull (end);

          list = g_hash_table_lookup (sources->includes, unit);
          if (list == NULL)
            {
              list = g_ptr_array_new_with_free_func (g_free);
              g_hash_table_insert (sources->includes, g_strdup (unit), list);
            }
          g_ptr_array_add (list, g_strdup_printf ("%s\t%.*s", name, (int) (end - start), start));
        }
    }
}

static void
sources_free (Sources *sources)
{
  g_hash_table_unref (sources->rank);
  g_hash_table_unref (sources->includes);
  g_hash_table_unref (sources->edges);
  g_ptr_array_unref (sources->errors);
  g_free (sources);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Sources, sources_free)

/* Reads src/ and checks each include against the layers. */
static Sources *
sources_read (void)
{
  const char      *source_root = g_getenv ("HOTNODE_SOURCE_ROOT");
  g_autofree char *root = NULL;
  Sources         *sources = g_new0 (Sources, 1);
  GHashTableIter   iter;
  const char      *unit;
  GPtrArray       *list;

  g_assert_nonnull (source_root);
  root = g_build_filename (source_root, "src", NULL);
  sources->rank = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sources->includes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  sources->edges = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_hash_table_unref);
  sources->errors = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < G_N_ELEMENTS (layers); i++)
    scan_folder (sources, root, layers[i]);
  for (guint i = 0; i < G_N_ELEMENTS (public_headers); i++)
    g_hash_table_insert (sources->rank, g_strdup (public_headers[i].header),
                         GINT_TO_POINTER (layer_index (public_headers[i].layer)));

  g_hash_table_iter_init (&iter, sources->includes);
  while (g_hash_table_iter_next (&iter, (gpointer *) &unit, (gpointer *) &list))
    {
      GHashTable *targets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

      g_hash_table_insert (sources->edges, g_strdup (unit), targets);
      for (guint i = 0; i < list->len; i++)
        {
          g_auto (GStrv) parts = g_strsplit (g_ptr_array_index (list, i), "\t", 2);
          gpointer         from, to;
          g_autofree char *target = NULL;

          g_assert_true (g_hash_table_lookup_extended (sources->rank, parts[0], NULL, &from));
          if (!g_hash_table_lookup_extended (sources->rank, parts[1], NULL, &to))
            {
              g_ptr_array_add (sources->errors,
                               g_strdup_printf ("%s includes %s, which is in no layer", parts[0], parts[1]));
              continue;
            }
          if (GPOINTER_TO_INT (to) > GPOINTER_TO_INT (from))
            g_ptr_array_add (sources->errors,
                             g_strdup_printf ("%s (%s/) includes %s of a layer above (%s/)", parts[0],
                                              layers[GPOINTER_TO_INT (from)], parts[1], layers[GPOINTER_TO_INT (to)]));
          target = unit_of (parts[1]);
          if (!g_str_equal (target, unit))
            g_hash_table_add (targets, g_steal_pointer (&target));
        }
    }

  return sources;
}

/* Depth first; @path is the units being visited, a unit met again on it
 * closes a circle. */
static gboolean
find_circle (Sources    *sources,
             const char *unit,
             GPtrArray  *path,
             GHashTable *done)
{
  GHashTable    *targets;
  GHashTableIter iter;
  const char    *target;

  for (guint i = 0; i < path->len; i++)
    if (g_str_equal (g_ptr_array_index (path, i), unit))
      {
        g_autoptr (GString) circle = g_string_new (NULL);

        for (guint j = i; j < path->len; j++)
          g_string_append_printf (circle, "%s → ", (char *) g_ptr_array_index (path, j));
        g_string_append (circle, unit);
        g_ptr_array_add (sources->errors, g_strdup_printf ("a circle: %s", circle->str));
        return TRUE;
      }
  if (g_hash_table_contains (done, unit))
    return FALSE;

  targets = g_hash_table_lookup (sources->edges, unit);
  g_ptr_array_add (path, (gpointer) unit);
  if (targets != NULL)
    {
      g_hash_table_iter_init (&iter, targets);
      while (g_hash_table_iter_next (&iter, (gpointer *) &target, NULL))
        if (find_circle (sources, target, path, done))
          return TRUE;
    }
  g_ptr_array_remove_index (path, path->len - 1);
  g_hash_table_add (done, g_strdup (unit));

  return FALSE;
}

static void
assert_no_errors (Sources *sources)
{
  for (guint i = 0; i < sources->errors->len; i++)
    g_test_message ("%s", (char *) g_ptr_array_index (sources->errors, i));
  if (sources->errors->len > 0)
    g_test_fail_printf ("%s", (char *) g_ptr_array_index (sources->errors, 0));
}

static void
test_no_include_from_above (void)
{
  g_autoptr (Sources) sources = NULL;

  g_test_summary ("No file of src/ includes a header of a folder above its own");

  sources = sources_read ();
  /* The check sees something: the service includes the widgets' headers. */
  g_assert_cmpuint (g_hash_table_size (sources->includes), >, 40);
  assert_no_errors (sources);
}

static void
test_no_circle (void)
{
  g_autoptr (Sources) sources = sources_read ();
  g_autoptr (GHashTable) done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) path = g_ptr_array_new ();
  GHashTableIter iter;
  const char    *unit;

  g_test_summary ("No files of src/ include each other in a circle (a file and its -private.h are one)");

  g_ptr_array_set_size (sources->errors, 0);
  g_hash_table_iter_init (&iter, sources->edges);
  while (g_hash_table_iter_next (&iter, (gpointer *) &unit, NULL))
    if (find_circle (sources, unit, path, done))
      break;
  assert_no_errors (sources);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Hotnode/Layers/no-include-from-above", test_no_include_from_above);
  g_test_add_func ("/Hotnode/Layers/no-circle", test_no_circle);

  return g_test_run ();
}
