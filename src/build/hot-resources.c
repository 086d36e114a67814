/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hot-diagnostic-private.h"
#include "hot-process-private.h"
#include "hot-error.h"
#include "hot-resources-private.h"

/*
 * The app's GResource bundles, from their sources. Files compiled into a
 * GResource (gnome.compile_resources) are not read from disk at run time:
 * this finds each `.gresource.xml` that a custom target of the build is
 * made from (meson's intro-targets.json) or that lies beside one of the
 * project's meson.build files (intro-buildsystem_files.json), maps each
 * resource path to its source file, and on update compiles the bundles
 * again (glib-compile-resources, one after the other, each in a process
 * group of its own that dies with the app: hot-process.c) and registers
 * them.
 * GLib looks resources up newest registration first (g_resources_register
 * prepends), so ours win over the copies linked into the app, as long as
 * they stay the newest: hot_resources_raise () registers them again after
 * a library with resources of its own was loaded.
 *
 * An update is pending until hot_resources_settle () says whether the
 * code that read it went live: if not, each bundle goes back to what was
 * registered before (or to the app's own copy), so that what a later
 * generation reads is what the live code was made with, never a template
 * whose reload failed.
 *
 * Ownership: each Bundle owns its paths, the GResource it registered
 * (unregistered when it is replaced and when the bundle goes) and, while
 * an update is pending, the one registered before it.
 */

typedef struct
{
  char       *xml;        /* the .gresource.xml, absolute */
  char       *source_dir; /* where its files are */
  GHashTable *files;      /* source file → resource path */
  GResource  *registered; /* what we registered last, or NULL */
  gboolean    pending;    /* registered by an update not settled yet */
  GResource  *previous;   /* while pending: what was registered before, or NULL */
} Bundle;

struct _HotResources
{
  GPtrArray *bundles;  /* Bundle */
  char      *work_dir; /* where compiled bundles are written, briefly */
};

static void
bundle_free (gpointer data)
{
  Bundle *bundle = data;

  if (bundle->registered != NULL)
    {
      g_resources_unregister (bundle->registered);
      g_resource_unref (bundle->registered);
    }
  g_clear_pointer (&bundle->previous, g_resource_unref);
  g_hash_table_unref (bundle->files);
  g_free (bundle->xml);
  g_free (bundle->source_dir);
  g_free (bundle);
}

/* Reading a .gresource.xml */

typedef struct
{
  Bundle  *bundle;
  char    *prefix;
  char    *alias;
  GString *text; /* of the <file> element being read */
} ParseState;

static void
start_element (GMarkupParseContext *context,
               const char          *element,
               const char         **names,
               const char         **values,
               gpointer             user_data,
               GError             **error)
{
  ParseState *state = user_data;

  if (g_str_equal (element, "gresource"))
    {
      g_free (state->prefix);
      state->prefix = NULL;
      for (guint i = 0; names[i]; i++)
        if (g_str_equal (names[i], "prefix"))
          state->prefix = g_strdup (values[i]);
    }
  else if (g_str_equal (element, "file"))
    {
      g_clear_pointer (&state->alias, g_free);
      for (guint i = 0; names[i]; i++)
        if (g_str_equal (names[i], "alias"))
          state->alias = g_strdup (values[i]);
      state->text = g_string_new (NULL);
    }
}

static void
end_element (GMarkupParseContext *context,
             const char          *element,
             gpointer             user_data,
             GError             **error)
{
  ParseState      *state = user_data;
  g_autofree char *name = NULL;
  g_autofree char *file = NULL;
  char            *resource;

  if (!g_str_equal (element, "file") || state->text == NULL)
    return;

  name = g_strstrip (g_string_free (g_steal_pointer (&state->text), FALSE));
  file = g_canonicalize_filename (name, state->bundle->source_dir);
  resource = g_build_path ("/", "/", state->prefix ? state->prefix : "", state->alias ? state->alias : name, NULL);
  g_hash_table_insert (state->bundle->files, g_steal_pointer (&file), resource);
}

static void
text (GMarkupParseContext *context,
      const char          *text,
      gsize                length,
      gpointer             user_data,
      GError             **error)
{
  ParseState *state = user_data;

  if (state->text != NULL)
    g_string_append_len (state->text, text, length);
}

static Bundle *
bundle_read (const char *xml)
{
  static const GMarkupParser parser = { start_element, end_element, text, NULL, NULL };
  g_autoptr (GMarkupParseContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize            length;
  Bundle          *bundle = g_new0 (Bundle, 1);
  ParseState       state = { bundle, NULL, NULL, NULL };

  bundle->xml = g_strdup (xml);
  bundle->source_dir = g_path_get_dirname (xml);
  bundle->files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  context = g_markup_parse_context_new (&parser, 0, &state, NULL);
  if (!g_file_get_contents (xml, &contents, &length, &error) ||
      !g_markup_parse_context_parse (context, contents, length, &error) ||
      !g_markup_parse_context_end_parse (context, &error))
    g_debug ("Resources of %s not reloadable: %s", xml, error->message);

  g_free (state.prefix);
  g_free (state.alias);
  if (state.text != NULL)
    g_string_free (state.text, TRUE);

  return bundle;
}

/* The folders of the project's meson.build files. */
static GPtrArray *
project_dirs (const char *build_dir)
{
  g_autofree char *intro = g_build_filename (build_dir, "meson-info", "intro-buildsystem_files.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *dirs = g_ptr_array_new_with_free_func (g_free);
  JsonNode  *root;

  if (!json_parser_load_from_file (parser, intro, NULL))
    return dirs;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_ARRAY (root))
    return dirs;

  for (guint i = 0; i < json_array_get_length (json_node_get_array (root)); i++)
    {
      const char *file = json_array_get_string_element (json_node_get_array (root), i);
      char       *dir;

      if (file == NULL || !g_str_has_suffix (file, "meson.build"))
        continue;
      dir = g_path_get_dirname (file);
      if (g_hash_table_add (seen, dir))
        g_ptr_array_add (dirs, dir);
      else
        g_free (dir);
    }

  return dirs;
}

/* Adds @xml once. */
static void
add_bundle (HotResources *self,
            GHashTable   *seen,
            const char   *xml)
{
  g_autofree char *canonical = g_canonicalize_filename (xml, NULL);

  if (!g_file_test (canonical, G_FILE_TEST_IS_REGULAR) || g_hash_table_contains (seen, canonical))
    return;
  g_ptr_array_add (self->bundles, bundle_read (canonical));
  g_hash_table_add (seen, g_steal_pointer (&canonical));
}

/* The .gresource.xml inputs of the build's custom targets
 * (gnome.compile_resources). meson 1.0 names them relative to the top
 * source folder even when a subfolder's meson.build made the target: each
 * folder of a meson.build is tried too. */
static void
add_target_bundles (HotResources *self,
                    GHashTable   *seen,
                    const char   *build_dir,
                    GPtrArray    *dirs)
{
  g_autofree char *intro = g_build_filename (build_dir, "meson-info", "intro-targets.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  const char *root_dir = dirs->len > 0 ? g_ptr_array_index (dirs, 0) : "/";
  JsonArray  *targets;

  if (!json_parser_load_from_file (parser, intro, NULL) || !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return;
  targets = json_node_get_array (json_parser_get_root (parser));

  for (guint i = 0; i < json_array_get_length (targets); i++)
    {
      JsonObject *target = json_array_get_object_element (targets, i);
      JsonArray  *groups = target ? json_object_get_array_member (target, "target_sources") : NULL;

      for (guint j = 0; groups && j < json_array_get_length (groups); j++)
        {
          JsonObject *group = json_array_get_object_element (groups, j);
          JsonArray  *sources = group && json_object_has_member (group, "sources")
                                    ? json_object_get_array_member (group, "sources")
                                    : NULL;

          for (guint k = 0; sources && k < json_array_get_length (sources); k++)
            {
              const char *xml = json_array_get_string_element (sources, k);
              const char *relative;

              if (xml == NULL || !g_str_has_suffix (xml, ".gresource.xml"))
                continue;
              add_bundle (self, seen, xml);
              relative = g_str_has_prefix (xml, root_dir) ? xml + strlen (root_dir) : NULL;
              for (guint d = 1; relative && d < dirs->len; d++)
                {
                  g_autofree char *candidate = g_build_filename (g_ptr_array_index (dirs, d), relative, NULL);

                  add_bundle (self, seen, candidate);
                }
            }
        }
    }
}

/**
 * hot_resources_new:
 * @build_dir: the app's meson build folder
 *
 * Returns: (transfer full): the bundles of the project, found now
 */
HotResources *
hot_resources_new (const char *build_dir)
{
  HotResources *self = g_new0 (HotResources, 1);
  g_autoptr (GPtrArray) dirs = project_dirs (build_dir);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  self->bundles = g_ptr_array_new_with_free_func (bundle_free);
  add_target_bundles (self, seen, build_dir, dirs);
  for (guint i = 0; i < dirs->len; i++)
    {
      g_autoptr (GDir) dir = g_dir_open (g_ptr_array_index (dirs, i), 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        if (g_str_has_suffix (name, ".gresource.xml"))
          {
            g_autofree char *xml = g_build_filename (g_ptr_array_index (dirs, i), name, NULL);

            add_bundle (self, seen, xml);
          }
    }

  return self;
}

void
hot_resources_free (HotResources *self)
{
  g_clear_pointer (&self->bundles, g_ptr_array_unref);
  if (self->work_dir != NULL)
    g_rmdir (self->work_dir);
  g_free (self->work_dir);
  g_free (self);
}

/**
 * hot_resources_list_files:
 * @self: the resources
 * @suffix: (nullable): only files whose name ends so (".ui")
 *
 * Returns: (transfer container) (element-type utf8): source files of
 *   resources, and the `.gresource.xml` files when @suffix is %NULL
 */
GPtrArray *
hot_resources_list_files (HotResources *self,
                          const char   *suffix)
{
  GPtrArray *files = g_ptr_array_new ();

  for (guint i = 0; i < self->bundles->len; i++)
    {
      Bundle        *bundle = g_ptr_array_index (self->bundles, i);
      GHashTableIter iter;
      gpointer       file;

      if (suffix == NULL)
        g_ptr_array_add (files, bundle->xml);
      g_hash_table_iter_init (&iter, bundle->files);
      while (g_hash_table_iter_next (&iter, &file, NULL))
        if (suffix == NULL || g_str_has_suffix (file, suffix))
          g_ptr_array_add (files, file);
    }

  return files;
}

/* Returns: (nullable): the resource path @file is compiled to */
const char *
hot_resources_get_resource_path (HotResources *self,
                                 const char   *file)
{
  for (guint i = 0; i < self->bundles->len; i++)
    {
      Bundle     *bundle = g_ptr_array_index (self->bundles, i);
      const char *path = g_hash_table_lookup (bundle->files, file);

      if (path != NULL)
        return path;
    }

  return NULL;
}

/* Updating */

/* Checks that each XML file of @bundle is well-formed: GtkBuilder would
 * only say "<input>:line" later. Appends "file:line:column: error: ..."
 * to @report. */
static void
check_xml_files (Bundle  *bundle,
                 GString *report)
{
  static const GMarkupParser no_callbacks = { NULL, NULL, NULL, NULL, NULL };
  GHashTableIter             iter;
  gpointer                   file;

  g_hash_table_iter_init (&iter, bundle->files);
  while (g_hash_table_iter_next (&iter, &file, NULL))
    {
      g_autoptr (GMarkupParseContext) context = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *contents = NULL;
      gsize            length;
      int              line, column;

      if (!g_str_has_suffix (file, ".ui") && !g_str_has_suffix (file, ".xml"))
        continue;
      if (!g_file_get_contents (file, &contents, &length, NULL))
        continue; /* glib-compile-resources says so */

      context = g_markup_parse_context_new (&no_callbacks, 0, NULL, NULL);
      if (g_markup_parse_context_parse (context, contents, length, &error) &&
          g_markup_parse_context_end_parse (context, &error))
        continue;
      g_markup_parse_context_get_position (context, &line, &column);
      g_string_append_printf (report, "%s:%d:%d: error: %s\n", (const char *) file, line, column, error->message);
    }
}

/* One hot_resources_update_async (): the bundles compiled one after the
 * other, each by glib-compile-resources in a process group of its own that
 * dies with the app (hot-process.c), never blocking the main loop. */
typedef struct
{
  HotResources *self;
  guint         next;   /* the bundle to compile next */
  char         *target; /* the file being written */
  GString      *report; /* what went wrong, by file and line */
} Update;

static void
update_free (Update *update)
{
  if (update->target != NULL)
    g_unlink (update->target);
  g_free (update->target);
  g_string_free (update->report, TRUE);
  g_free (update);
}

static void compile_next (GTask *task);

/* Registers what the compiler wrote over the bundle's previous copy. */
static gboolean
bundle_register (Bundle     *bundle,
                 const char *target,
                 GString    *report)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GResource) resource = g_resource_load (target, &error);

  if (resource == NULL)
    {
      g_string_append_printf (report, "%s\n", error->message);
      return FALSE;
    }

  if (bundle->registered != NULL)
    g_resources_unregister (bundle->registered);
  /* The first update since the last settled one keeps what it replaces. */
  if (bundle->pending)
    g_clear_pointer (&bundle->registered, g_resource_unref);
  else
    bundle->previous = g_steal_pointer (&bundle->registered);
  bundle->pending = TRUE;
  bundle->registered = g_resource_ref (resource);
  g_resources_register (resource);

  return TRUE;
}

/**
 * hot_resources_settle:
 * @self: the resources
 * @live: whether the code that read the pending update went live
 *
 * Keeps the bundles the updates since the last call registered (@live), or
 * registers again what was registered before them (or nothing of ours: the
 * app's own copies), so that the resources are what the live code was
 * made with.
 */
void
hot_resources_settle (HotResources *self,
                      gboolean      live)
{
  for (guint i = 0; i < self->bundles->len; i++)
    {
      Bundle *bundle = g_ptr_array_index (self->bundles, i);

      if (!bundle->pending)
        continue;
      bundle->pending = FALSE;
      if (live)
        {
          g_clear_pointer (&bundle->previous, g_resource_unref);
          continue;
        }
      if (bundle->registered != NULL)
        {
          g_resources_unregister (bundle->registered);
          g_resource_unref (bundle->registered);
        }
      bundle->registered = g_steal_pointer (&bundle->previous);
      if (bundle->registered != NULL)
        g_resources_register (bundle->registered);
    }
}

static void
compiled (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Update *update = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) output = NULL;
  g_autoptr (GSubprocess) process = hot_process_run_finish (result, &output, &error);
  gboolean ok;

  if (process == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      g_string_append_printf (update->report, "glib-compile-resources: %s\n", error->message);
      ok = FALSE;
    }
  else if (!g_subprocess_get_successful (process))
    {
      g_autofree char *text = hot_diagnostic_clean_output (g_bytes_get_data (output, NULL), g_bytes_get_size (output));

      g_string_append (update->report, *text != '\0' ? text : "glib-compile-resources failed\n");
      ok = FALSE;
    }
  else
    {
      /* Only now: a cancelled update ends without touching the bundles,
       * which may be gone by then. */
      Bundle *bundle = g_ptr_array_index (update->self->bundles, update->next - 1);

      ok = bundle_register (bundle, update->target, update->report);
    }

  /* Mapped, or of no use: the file is no longer needed. */
  g_unlink (update->target);
  g_clear_pointer (&update->target, g_free);

  if (!ok)
    g_task_return_pointer (task, g_strdup (update->report->str), g_free);
  else
    compile_next (g_steal_pointer (&task));
}

static void
compile_next (GTask *task)
{
  Update       *update = g_task_get_task_data (task);
  HotResources *self = update->self;
  g_autoptr (GError) error = NULL;
  g_autofree char *sourcedir = NULL;
  g_autofree char *target_arg = NULL;
  Bundle          *bundle;
  static guint     counter;

  if (update->next == self->bundles->len)
    {
      g_task_return_pointer (task, NULL, NULL);
      g_object_unref (task);
      return;
    }

  if (self->work_dir == NULL)
    self->work_dir = g_dir_make_tmp ("hotnode-resources-XXXXXX", &error);
  if (self->work_dir == NULL)
    {
      g_task_return_pointer (task, g_strdup_printf ("%s\n", error->message), g_free);
      g_object_unref (task);
      return;
    }

  bundle = g_ptr_array_index (self->bundles, update->next++);
  update->target = g_strdup_printf ("%s/%u.gresource", self->work_dir, ++counter);
  sourcedir = g_strconcat ("--sourcedir=", bundle->source_dir, NULL);
  target_arg = g_strconcat ("--target=", update->target, NULL);
  hot_process_run_async ((const char *const[]){ "glib-compile-resources", sourcedir, target_arg, bundle->xml, NULL },
                         bundle->source_dir, g_task_get_cancellable (task), compiled, task);
}

/**
 * hot_resources_lookup_file:
 * @self: the resources
 * @resource_path: a resource path
 *
 * Returns: (nullable): the source file compiled into @resource_path, or
 *   %NULL when no bundle of the build has it
 */
const char *
hot_resources_lookup_file (HotResources *self,
                           const char   *resource_path)
{
  for (guint i = 0; i < self->bundles->len; i++)
    {
      Bundle        *bundle = g_ptr_array_index (self->bundles, i);
      GHashTableIter iter;
      gpointer       file, path;

      g_hash_table_iter_init (&iter, bundle->files);
      while (g_hash_table_iter_next (&iter, &file, &path))
        if (g_str_equal (path, resource_path))
          return file;
    }

  return NULL;
}

/**
 * hot_resources_update_async:
 * @self: the resources
 * @cancellable: (nullable): stops the compiler
 * @callback: called when every bundle is compiled and registered
 * @user_data: for @callback
 *
 * Checks the XML files of every bundle, compiles the bundles from their
 * files as they are now and registers them. The compiler runs in a process
 * group of its own that dies with the app; a cancelled update ends with
 * %G_IO_ERROR_CANCELLED and stops it.
 */
void
hot_resources_update_async (HotResources       *self,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  GTask  *task = g_task_new (NULL, cancellable, callback, user_data);
  Update *update = g_new0 (Update, 1);

  g_task_set_source_tag (task, hot_resources_update_async);
  update->self = self;
  update->report = g_string_new (NULL);
  g_task_set_task_data (task, update, (GDestroyNotify) update_free);

  for (guint i = 0; i < self->bundles->len; i++)
    check_xml_files (g_ptr_array_index (self->bundles, i), update->report);
  if (update->report->len > 0)
    {
      g_task_return_pointer (task, g_strdup (update->report->str), g_free);
      g_object_unref (task);
      return;
    }

  compile_next (task);
}

/**
 * hot_resources_update_finish:
 * @self: the resources
 * @result: the result
 * @diagnostics: (out) (optional) (transfer full): what was wrong, by file
 *   and line
 * @error: return location for a #GError
 *
 * Returns: whether every bundle is registered as its files are now
 */
gboolean
hot_resources_update_finish (HotResources *self,
                             GAsyncResult *result,
                             GListModel  **diagnostics,
                             GError      **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *report = NULL;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  report = g_task_propagate_pointer (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (report == NULL)
    return TRUE;

  if (diagnostics != NULL)
    *diagnostics = hot_diagnostic_parse (report, "/", NULL);
  g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD, _ ("The resources could not be compiled:\n%s"),
               report);
  return FALSE;
}

/**
 * hot_resources_raise:
 * @self: the resources
 *
 * Registers our bundles again, so that they are the newest: a library
 * loaded since may have registered its own copies (GLib registers static
 * resources at the next lookup, so that lookup is made first).
 */
void
hot_resources_raise (HotResources *self)
{
  g_auto (GStrv) children = g_resources_enumerate_children ("/", G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);

  for (guint i = 0; i < self->bundles->len; i++)
    {
      Bundle *bundle = g_ptr_array_index (self->bundles, i);

      if (bundle->registered == NULL)
        continue;
      g_resources_unregister (bundle->registered);
      g_resources_register (bundle->registered);
    }
}
