/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE /* RTLD_NEXT, RTLD_DEFAULT, dladdr */
#include "config.h"

#include "hot-style-private.h"

#include <dlfcn.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "hot-diagnostic-private.h"
#include "hot-reload.h"
#include "hot-settings-private.h"
#include "hot-status-private.h"

/*
 * Style sheets reloaded without a compiler. A style sheet that the app or a
 * hot module loads into a GtkCssProvider is loaded again into the same
 * provider when its file is saved: changed and removed rules apply, and no
 * provider piles up on the display. Nothing is built and no generation is
 * made.
 *
 * # Which providers
 *
 * - gtk_css_provider_load_from_resource (), _from_file () and _from_path ()
 *   are defined here too, exported, and interposed on GTK's the way
 *   hot-log-capture.c interposes g_log_set_writer_func (): the process binds
 *   every call to the first definition in load order, ours when the app
 *   links hotnode before GTK (pkg-config's order). Ours calls GTK's (found
 *   with dlsym (RTLD_NEXT)) and, with hot reload on, remembers the provider
 *   and where its sheet came from. With hot reload off it only forwards.
 *   A `resource://` GFile given to _from_file () is a resource path, as
 *   AdwApplication loads its `style.css`. hot_style_loaders_interposed ()
 *   checks, through dlsym (RTLD_DEFAULT), that the process binds them to
 *   ours; when it does not, the service says so once.
 * - hot_reload_watch_style () names a provider and its file explicitly (an
 *   executable that links hotnode statically, or a sheet loaded from data).
 *
 * A resource path is mapped to its source file by the service (the
 * `.gresource.xml` files of the build, hot-resources.c); until the service
 * is set up, sheets wait with their resource path. Once a sheet's file is
 * known it is watched, and a load from its resource path reads the file
 * (so a new generation of a module that loads its sheet again gets what the
 * file holds now, not what was compiled into the app).
 *
 * # What the window shows
 *
 * Each sheet with a known file has a HotStatus (named after the file) in
 * hot_style_get_statuses (), which the overlay shows next to the modules'
 * (it is not one of HotReload's statuses: a sheet is not a module). A
 * reload collects GtkCssProvider::parsing-error into diagnostics with the
 * file, line and column; a sheet with errors is reported failed (GTK
 * applies the rules it could read), a clean one "Reloaded".
 *
 * Ownership: `sheets` (Sheet) and `statuses` live for the process, in the
 * main thread. A Sheet holds its provider weakly, its status strongly; when
 * the provider is finalized, its Sheet and status go.
 */

typedef struct
{
  GWeakRef   provider;
  char      *resource_path; /* or NULL */
  char      *file;          /* the source file, absolute, or NULL (not known yet) */
  HotStatus *status;        /* once the file is known */
  GString   *report;        /* parsing errors of the load running */
  guint      generation;
} Sheet;

static GPtrArray           *sheets;
static GListStore          *statuses;
static const HotStyleHooks *hooks;
static gpointer             hooks_data;

typedef void (*LoadFromResource) (GtkCssProvider *, const char *);
typedef void (*LoadFromFile) (GtkCssProvider *, GFile *);
typedef void (*LoadFromPath) (GtkCssProvider *, const char *);

/* GTK's own @name: the next definition after ours, or GTK's when hotnode
 * is linked into the executable after GTK. */
static gpointer
real_function (const char *name)
{
  gpointer function = dlsym (RTLD_NEXT, name);

  if (function == NULL)
    {
      void *gtk = dlopen ("libgtk-4.so.1", RTLD_LAZY | RTLD_NOLOAD);

      function = gtk ? dlsym (gtk, name) : NULL;
    }
  if (function == NULL)
    g_error ("hotnode: GTK's %s () was not found: %s", name, dlerror ());

  return function;
}

static void
real_load_from_file (GtkCssProvider *provider,
                     GFile          *file)
{
  static LoadFromFile real;

  if (real == NULL)
    real = (LoadFromFile) real_function ("gtk_css_provider_load_from_file");
  real (provider, file);
}

static void
parsing_error (GtkCssProvider *provider,
               GtkCssSection  *section,
               const GError   *error,
               Sheet          *sheet)
{
  const GtkCssLocation *start = gtk_css_section_get_start_location (section);
  GFile                *file = gtk_css_section_get_file (section);
  g_autofree char      *path = file ? g_file_get_path (file) : NULL;
  gboolean              warning = error->domain == GTK_CSS_PARSER_WARNING;

  /* Not ours to collect: what GTK says when nobody listens. */
  if (sheet->report == NULL)
    {
      g_autofree char *where = gtk_css_section_to_string (section);

      g_warning ("Theme parser %s: %s: %s", warning ? "warning" : "error", where, error->message);
      return;
    }
  g_string_append_printf (sheet->report, "%s:%" G_GSIZE_FORMAT ":%" G_GSIZE_FORMAT ": %s: %s\n",
                          path ? path : sheet->file, start->lines + 1, start->line_chars + 1,
                          warning ? "warning" : "error", error->message);
}

/* The provider is finalized: its sheet goes, and its status unless another
 * provider holds the same file. */
static void
provider_finalized (gpointer data,
                    GObject *where_the_provider_was)
{
  Sheet   *sheet = data;
  gboolean shared = FALSE;
  guint    position;

  g_ptr_array_remove (sheets, sheet);
  for (guint i = 0; i < sheets->len; i++)
    shared |= ((Sheet *) g_ptr_array_index (sheets, i))->status == sheet->status;
  if (sheet->status != NULL && !shared && g_list_store_find (statuses, sheet->status, &position))
    g_list_store_remove (statuses, position);
  g_weak_ref_clear (&sheet->provider);
  g_clear_object (&sheet->status);
  g_free (sheet->resource_path);
  g_free (sheet->file);
  g_free (sheet);
}

/* How many providers are followed; for tests. */
guint
hot_style_count_sheets (void)
{
  return sheets ? sheets->len : 0;
}

static Sheet *
sheet_lookup (GtkCssProvider *provider)
{
  for (guint i = 0; sheets != NULL && i < sheets->len; i++)
    {
      Sheet *sheet = g_ptr_array_index (sheets, i);
      g_autoptr (GtkCssProvider) held = g_weak_ref_get (&sheet->provider);

      if (held == provider)
        return sheet;
    }

  return NULL;
}

/* The sheet's file is known: it gets a status and is watched. */
static void
sheet_set_file (Sheet      *sheet,
                const char *file)
{
  g_autofree char *name = NULL;
  g_autofree char *dir = NULL;

  if (file == NULL || g_strcmp0 (sheet->file, file) == 0)
    return;

  g_free (sheet->file);
  sheet->file = g_canonicalize_filename (file, NULL);
  if (sheet->status == NULL)
    {
      name = g_path_get_basename (sheet->file);
      dir = g_path_get_dirname (sheet->file);
      sheet->status = hot_status_new (name, dir);
      g_list_store_append (statuses, sheet->status);
    }
  if (hooks != NULL)
    hooks->watch (sheet->file, hooks_data);
}

static void
sheet_resolve (Sheet *sheet)
{
  g_autofree char *file = NULL;

  if (sheet->file != NULL || sheet->resource_path == NULL || hooks == NULL)
    return;

  file = hooks->resolve (sheet->resource_path, hooks_data);
  sheet_set_file (sheet, file);
}

/* Remembers that @provider holds the sheet of @resource_path or @file. */
static Sheet *
track (GtkCssProvider *provider,
       const char     *resource_path,
       const char     *file)
{
  Sheet *sheet = sheet_lookup (provider);

  g_assert (GTK_IS_CSS_PROVIDER (provider));

  if (sheets == NULL)
    {
      sheets = g_ptr_array_new ();
      statuses = g_list_store_new (HOT_TYPE_STATUS);
    }

  if (sheet == NULL)
    {
      sheet = g_new0 (Sheet, 1);
      g_weak_ref_init (&sheet->provider, provider);
      g_object_weak_ref (G_OBJECT (provider), provider_finalized, sheet);
      g_signal_connect_data (provider, "parsing-error", G_CALLBACK (parsing_error), sheet, NULL, 0);
      g_ptr_array_add (sheets, sheet);
    }

  if (g_strcmp0 (sheet->resource_path, resource_path) != 0)
    {
      g_free (sheet->resource_path);
      sheet->resource_path = g_strdup (resource_path);
      if (resource_path != NULL)
        g_clear_pointer (&sheet->file, g_free);
    }
  sheet_set_file (sheet, file);
  sheet_resolve (sheet);

  return sheet;
}

/* Loads the sheet's file into its provider and reports how it went. */
static void
sheet_reload (Sheet *sheet)
{
  g_autoptr (GtkCssProvider) provider = g_weak_ref_get (&sheet->provider);
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) diagnostics = NULL;
  gint64 start = g_get_monotonic_time ();

  if (provider == NULL || sheet->file == NULL)
    return;

  file = g_file_new_for_path (sheet->file);
  sheet->report = g_string_new (NULL);
  real_load_from_file (provider, file);
  if (sheet->report->len > 0)
    {
      diagnostics = hot_diagnostic_parse (sheet->report->str, "/", NULL);
      error = g_error_new (HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_FAILED,
                           _ ("The style sheet %s has errors:\n%s"), sheet->file, sheet->report->str);
      g_warning ("%s", error->message);
    }
  else
    g_message ("Reloaded style sheet %s in %.1f ms", sheet->file, (g_get_monotonic_time () - start) / 1000.0);
  g_string_free (g_steal_pointer (&sheet->report), TRUE);

  hot_status_finish_build (sheet->status, g_get_monotonic_time () - start, error, diagnostics, ++sheet->generation);
}

/**
 * hot_style_loaders_interposed:
 *
 * Whether the process binds GTK's three loaders to hotnode's definitions
 * (see the top of this file): otherwise the sheets that GTK, libadwaita or
 * the app load with them are not followed.
 *
 * Returns: %TRUE when the loaders are hotnode's
 */
gboolean
hot_style_loaders_interposed (void)
{
  static const char *const names[] = {
    "gtk_css_provider_load_from_resource",
    "gtk_css_provider_load_from_file",
    "gtk_css_provider_load_from_path",
  };
  Dl_info own_info;

  if (dladdr ((void *) real_function, &own_info) == 0)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      void   *bound = dlsym (RTLD_DEFAULT, names[i]);
      Dl_info bound_info;

      if (bound == NULL || dladdr (bound, &bound_info) == 0 || bound_info.dli_fbase != own_info.dli_fbase)
        return FALSE;
    }

  return TRUE;
}

/**
 * hot_style_set_hooks:
 * @new_hooks: how the service maps resource paths to files and watches
 *   files
 * @data: for @new_hooks
 *
 * Called once the service is set up: the sheets known so far get their
 * files and are watched.
 */
void
hot_style_set_hooks (const HotStyleHooks *new_hooks,
                     gpointer             data)
{
  static gboolean told;

  hooks = new_hooks;
  hooks_data = data;

  /* Said once: an app that lists GTK or libadwaita before hotnode among
   * its dependencies gets GTK's loaders, and no sheet of theirs reloads. */
  if (hooks != NULL && !told && !hot_style_loaders_interposed ())
    {
      g_message ("Style sheets loaded with gtk_css_provider_load_from_resource (), _from_file () or _from_path () "
                 "are not reloaded: the app is linked with GTK or libadwaita before hotnode, so their calls go "
                 "to GTK's. List hotnode's dependency first, or name each sheet with hot_reload_watch_style ()");
      told = TRUE;
    }

  for (guint i = 0; hooks != NULL && sheets != NULL && i < sheets->len; i++)
    {
      Sheet *sheet = g_ptr_array_index (sheets, i);

      sheet_resolve (sheet);
      if (sheet->file != NULL)
        hooks->watch (sheet->file, hooks_data);
    }
}

/**
 * hot_style_file_changed:
 * @path: a file saved, absolute
 *
 * Loads @path again into every provider that holds it.
 *
 * Returns: whether @path is a style sheet that some provider holds
 */
gboolean
hot_style_file_changed (const char *path)
{
  g_autofree char *canonical = g_canonicalize_filename (path, NULL);
  gboolean         found = FALSE;

  for (guint i = 0; sheets != NULL && i < sheets->len; i++)
    {
      Sheet *sheet = g_ptr_array_index (sheets, i);

      if (g_strcmp0 (sheet->file, canonical) == 0)
        {
          sheet_reload (sheet);
          found = TRUE;
        }
    }

  return found;
}

/**
 * hot_style_get_statuses:
 *
 * Returns: (transfer none): a #HotStatus for each style sheet whose file is
 *   known, named after the file
 */
GListModel *
hot_style_get_statuses (void)
{
  if (statuses == NULL)
    {
      sheets = g_ptr_array_new ();
      statuses = g_list_store_new (HOT_TYPE_STATUS);
    }

  return G_LIST_MODEL (statuses);
}

/**
 * hot_reload_watch_style:
 * @self: the service
 * @provider: a provider that holds a style sheet
 * @source: the file the sheet is read from
 *
 * With hot reload on, loads @source again into @provider each time it is
 * saved, with no compiler: changed and removed rules apply, and parse
 * errors are shown in the window with their file and line. Sheets loaded
 * with gtk_css_provider_load_from_resource (), _from_file () or
 * _from_path () are found without this call when the app links hotnode
 * dynamically; this is for the others (a sheet loaded from data, say).
 * With hot reload off it does nothing.
 *
 * Since: 0.1
 */
void
hot_reload_watch_style (HotReload      *self,
                        GtkCssProvider *provider,
                        GFile          *source)
{
  g_autofree char *path = NULL;

  g_return_if_fail (HOT_IS_RELOAD (self));
  g_return_if_fail (GTK_IS_CSS_PROVIDER (provider));
  g_return_if_fail (G_IS_FILE (source));

  if (!hot_reload_get_enabled (self))
    return;

  path = g_file_get_path (source);
  g_return_if_fail (path != NULL);
  track (provider, NULL, path);
}

/* GTK's loaders, with hot reload on remembered (see the top of this file). */

__attribute__ ((visibility ("default"))) void
gtk_css_provider_load_from_resource (GtkCssProvider *provider,
                                     const char     *resource_path)
{
  static LoadFromResource real;
  Sheet                  *sheet;

  if (real == NULL)
    real = (LoadFromResource) real_function ("gtk_css_provider_load_from_resource");
  if (!hot_settings_get ()->enabled || !GTK_IS_CSS_PROVIDER (provider) || resource_path == NULL)
    {
      real (provider, resource_path);
      return;
    }

  sheet = track (provider, resource_path, NULL);
  if (sheet->file != NULL)
    {
      g_autoptr (GFile) file = g_file_new_for_path (sheet->file);

      real_load_from_file (provider, file);
    }
  else
    real (provider, resource_path);
}

__attribute__ ((visibility ("default"))) void
gtk_css_provider_load_from_file (GtkCssProvider *provider,
                                 GFile          *file)
{
  g_autofree char *path = NULL;

  /* resource:///org/example/App/style.css, as AdwApplication loads it. */
  if (hot_settings_get ()->enabled && G_IS_FILE (file) && g_file_has_uri_scheme (file, "resource"))
    {
      g_autofree char *uri = g_file_get_uri (file);
      g_autofree char *resource_path = g_uri_unescape_string (uri + strlen ("resource://"), NULL);

      if (resource_path != NULL)
        {
          gtk_css_provider_load_from_resource (provider, resource_path);
          return;
        }
    }

  real_load_from_file (provider, file);
  if (hot_settings_get ()->enabled && GTK_IS_CSS_PROVIDER (provider) && G_IS_FILE (file) &&
      (path = g_file_get_path (file)) != NULL)
    track (provider, NULL, path);
}

__attribute__ ((visibility ("default"))) void
gtk_css_provider_load_from_path (GtkCssProvider *provider,
                                 const char     *path)
{
  static LoadFromPath real;

  if (real == NULL)
    real = (LoadFromPath) real_function ("gtk_css_provider_load_from_path");
  real (provider, path);
  if (hot_settings_get ()->enabled && GTK_IS_CSS_PROVIDER (provider) && path != NULL)
    {
      g_autofree char *absolute = g_canonicalize_filename (path, NULL);

      track (provider, NULL, absolute);
    }
}
