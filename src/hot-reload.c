/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <signal.h>
#include <string.h>

#include "hot-enums.h"
#include "hot-reload-private.h"
#include "hot-diagnostic-private.h"
#include "hot-fast-builder-private.h"
#include "hot-loader-private.h"
#include "hot-node-private.h"
#include "hot-overlay-private.h"
#include "hot-project-private.h"
#include "hot-status-private.h"
#include "hot-table-private.h"
#include "hot-watcher-private.h"

/**
 * HotReload:
 *
 * The hot reload service. With `HOT_RELOAD=1` in the environment it finds
 * the app's meson build folder, learns which `shared_module()` each hot node
 * and hot static comes from, watches the modules' source folders, and on a
 * save rebuilds the module, loads the new library, points its statics at the
 * app's storage and rebuilds every live #HotNode of that module, all in the
 * main loop. Without it, it does nothing and costs nothing.
 *
 * ## States of a module
 *
 * idle → building (the fast path, #HotReload:fast-path, when only C sources
 * changed, falling back to the rebuilder, each process in a process group
 * of its own; `HotStatus:building`) → loading (copy and `dlopen` in a worker
 * thread, with a deadline: `HotReload:load-timeout`) → live (static patching,
 * then every new child built under a crash guard before any is swapped in,
 * in the main loop) → idle. A rebuild asked for while building cancels the
 * running build and starts again when it has stopped; one asked for while
 * loading waits for the load. The last save always wins. Pending
 * hot_reload_rebuild_async() calls complete when a build ends that started
 * after they were made.
 *
 * ## Ownership
 *
 * The service owns the project description, the loader, the static registry
 * (which owns adopted statics) and one #HotStatus per module. Loaded
 * generations are not closed, unless #HotReload:unload-generations is on and
 * nothing they built is alive: widgets, closures and types they made may be
 * alive anywhere in the app. A generation whose constructor crashed, and
 * what it built, go to the quarantine, never freed. Proxies are held weakly.
 */

#define DEBOUNCE_MS 50
#define SETTLE_MS 5
#define PREPARE_DELAY_MS 1000
#define DEFAULT_LOAD_TIMEOUT_MS 20000

typedef struct _HotModule HotModule;

/* When each stage of a reload ended (g_get_monotonic_time (); 0: did not
 * happen). See HotStatus:timings. */
typedef struct
{
  gint64      changed;
  gint64      debounced;
  gint64      build_started;
  gint64      build_finished;
  gint64      copied;
  gint64      opened;
  gint64      patched;
  gint64      rebuilt;
  const char *builder;
} HotReloadTimes;

typedef struct
{
  HotLibrary *library;
  HotTable   *table;
  HotModule  *module;
  guint       live_widgets; /* children it built that are still alive */
  guint       unload_id;    /* a pending check, in an idle */
} HotGeneration;

struct _HotModule
{
  HotReload           *service;
  const HotModuleInfo *info;
  HotStatus           *status;
  GPtrArray           *generations; /* HotGeneration, oldest first */
  gboolean             name_clash_reported;
  GPtrArray           *changed_paths; /* saved since the running build started */
  gint64               changed_at;    /* the first event of those */
  gint64               debounced_at;
  HotFastBuilder      *fast_builder;
  char                *fast_path_declined; /* why, as last logged */

  /* The running build (from start_build () to finish_build ()), or the
   * preparation of the fast path (prepare_fast_path ()), if any. */
  GCancellable  *cancellable;
  gboolean       loading; /* the built library is being loaded */
  char          *output;
  HotReloadTimes times;
  GPtrArray     *waiting; /* GTask, completed when the running build ends */
  GPtrArray     *queued;  /* GTask, for the build after the running one */

  /* Waiting for the first frame after a reload, for HotStatus:timings. */
  GdkFrameClock *paint_clock;
  gulong         paint_handler;
  gint64         painted_at;
  guint          painted_idle;
};

struct _HotReload
{
  GObject parent_instance;

  gboolean    enabled;
  GError     *setup_error;
  guint       load_timeout_ms;
  gboolean    unload_generations;
  HotFastPath fast_path;

  HotProject        *project;
  HotLoader         *loader;
  HotStaticRegistry *statics;
  HotWatcher        *watcher;
  GHashTable        *modules;      /* name → HotModule */
  GListStore        *status_model; /* HotStatus */
  GHashTable        *node_modules; /* node name → HotModule */
  GPtrArray         *proxies;      /* HotNode, weak */
  GPtrArray         *quarantine;   /* what crashed code made: never freed */

  HotRebuilderFunc rebuilder;
  gpointer         rebuilder_data;
  GDestroyNotify   rebuilder_destroy;

  guint      prepare_id; /* the timeout that starts preparing the fast paths */
  GPtrArray *to_prepare; /* HotModule, one after the other */
};

G_DEFINE_FINAL_TYPE (HotReload, hot_reload, G_TYPE_OBJECT)

static void
stop_waiting_for_paint (HotModule *module)
{
  if (module->paint_clock != NULL)
    g_clear_signal_handler (&module->paint_handler, module->paint_clock);
  g_clear_object (&module->paint_clock);
  g_clear_handle_id (&module->painted_idle, g_source_remove);
}

/**
 * hot_reload_error_quark:
 *
 * Returns: the #GQuark of %HOT_RELOAD_ERROR
 */
GQuark
hot_reload_error_quark (void)
{
  return g_quark_from_static_string ("hot-reload-error-quark");
}

enum
{
  PROP_0,
  PROP_ENABLED,
  PROP_LOAD_TIMEOUT,
  PROP_UNLOAD_GENERATIONS,
  PROP_FAST_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_HOT_RELOAD,
  SIGNAL_RELOAD_FAILED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Binds the library's translations; every type with strings calls it. */
void
hot_i18n_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      g_once_init_leave (&initialized, 1);
    }
}

/* HOT_RELOAD=1 turns hot reload on; unset, empty or 0 leaves it off. */
static gboolean
hot_reload_env_enabled (void)
{
  static gsize enabled = 0;

  if (g_once_init_enter (&enabled))
    {
      const char *value = g_getenv ("HOT_RELOAD");
      gsize       result = 1;

      if (value != NULL && g_str_equal (value, "1"))
        result = 2;
      else if (value != NULL && *value != '\0' && !g_str_equal (value, "0"))
        g_warning ("HOT_RELOAD=%s is not understood: set HOT_RELOAD=1 to turn hot reload on, "
                   "or 0 to leave it off. Hot reload stays off.",
                   value);
      g_once_init_leave (&enabled, result);
    }

  return enabled == 2;
}

/* The tables of the executable and the shared libraries linked into it: the
 * code that runs before any reload, and all of it when hot reload is off. */
static HotTable *
get_host_table (void)
{
  static HotTable *host_table;

  if (g_once_init_enter (&host_table))
    g_once_init_leave (&host_table, hot_table_new_for_host ());

  return host_table;
}

static GtkWidget *
placeholder_new (const char *name)
{
  g_autofree char *text = NULL;
  GtkWidget       *label;

  hot_i18n_init ();
  text = g_strdup_printf (_ ("Unknown hot node “%s”"), name);
  label = gtk_label_new (text);
  gtk_widget_add_css_class (label, "error");
  gtk_widget_set_tooltip_text (label, _ ("No HOT_NODE of this name is linked into the app or any loaded module"));

  return label;
}

/* A constructor's result, or a placeholder when it cannot be a proxy's
 * child (NULL, or a widget that already has a parent). */
static GtkWidget *
checked_widget (const HotNodeEntry *entry,
                GtkWidget          *widget)
{
  if (widget != NULL && gtk_widget_get_parent (widget) == NULL)
    return widget;

  g_warning ("Hot node “%s” (%s:%u) returned %s; showing a placeholder",
             entry->name, entry->file, entry->line,
             widget == NULL ? "NULL" : "a widget that already has a parent");
  return placeholder_new (entry->name);
}

/* Calls a constructor of the app's own code. */
static GtkWidget *
instantiate_entry (const HotNodeEntry *entry,
                   HotNodeArgs        *args)
{
  return checked_widget (entry, entry->func (args));
}

typedef struct
{
  const HotNodeEntry *entry;
  HotNodeArgs        *args;
  GtkWidget          *widget;
} Construction;

static void
run_constructor (gpointer data)
{
  Construction *construction = data;

  construction->widget = construction->entry->func (construction->args);
}

/* Calls a constructor of a loaded generation under the guard. On a crash
 * (or past the deadline) it records the crash on @module's status, sets
 * @error and returns NULL. */
static GtkWidget *
instantiate_guarded (HotReload          *self,
                     HotModule          *module,
                     const HotNodeEntry *entry,
                     HotNodeArgs        *args,
                     GError            **error)
{
  Construction     construction = { entry, args, NULL };
  HotCrash         crash;
  g_autofree char *signal_name = NULL;

  if (hot_guard_call (run_constructor, &construction, self->load_timeout_ms, &crash))
    return checked_widget (entry, construction.widget);

  signal_name = hot_signal_name (crash.signal);
  hot_status_set_crash (module->status, entry->name, crash.signal, crash.backtrace);
  if (crash.timed_out)
    g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_CRASHED,
                 _ ("The new code of hot node “%s” did not return within %u ms and was stopped"),
                 entry->name, self->load_timeout_ms);
  else
    g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_CRASHED,
                 _ ("The new code of hot node “%s” crashed with %s (%s)"),
                 entry->name, signal_name, g_strsignal (crash.signal));
  hot_crash_clear (&crash);

  return NULL;
}

/* Closes @generation if it may be: unloading is on, it is not its module's
 * newest, nothing it built is alive and it registered no GType (GType
 * cannot forget one). What else its code may have left behind (a handler
 * on an app object, a timeout) hotnode cannot see: hence opt-in. */
static gboolean
unload_if_unused (gpointer data)
{
  HotGeneration *generation = data;
  HotModule     *module = generation->module;
  HotLibrary    *library = generation->library;

  generation->unload_id = 0;

  if (!module->service->unload_generations || generation->live_widgets > 0 ||
      generation == g_ptr_array_index (module->generations, module->generations->len - 1) ||
      hot_image_get_type_count (library->image) > 0)
    return G_SOURCE_REMOVE;

  g_debug ("Unloading generation %u of module “%s”: nothing of it is in use", library->generation,
           module->info->name);
  hot_image_forget (library->image);
  generation->library = NULL;
  g_ptr_array_remove (module->generations, generation);
  hot_library_free (library);

  return G_SOURCE_REMOVE;
}

/* In an idle: never close code from a finalizer that may be running it. */
static void
schedule_unload_check (HotGeneration *generation)
{
  if (generation->unload_id == 0)
    generation->unload_id = g_idle_add (unload_if_unused, generation);
}

static void
schedule_unload_checks (HotModule *module)
{
  for (guint i = 0; i < module->generations->len; i++)
    schedule_unload_check (g_ptr_array_index (module->generations, i));
}

static void
generation_widget_finalized (gpointer data,
                             GObject *where_the_object_was)
{
  HotGeneration *generation = data;

  if (--generation->live_widgets == 0)
    schedule_unload_check (generation);
}

static void
track_widget (HotGeneration *generation,
              GtkWidget     *widget)
{
  generation->live_widgets++;
  g_object_weak_ref (G_OBJECT (widget), generation_widget_finalized, generation);
}

static void
hot_generation_free (gpointer data)
{
  HotGeneration *generation = data;

  /* The library stays loaded on purpose: see "Ownership" above. */
  g_clear_handle_id (&generation->unload_id, g_source_remove);
  g_clear_pointer (&generation->table, hot_table_free);
  g_free (generation);
}

static void
hot_module_free (gpointer data)
{
  HotModule *module = data;

  g_assert (module->cancellable == NULL);
  stop_waiting_for_paint (module);
  g_clear_object (&module->fast_builder);
  g_free (module->fast_path_declined);
  g_clear_object (&module->status);
  g_clear_pointer (&module->generations, g_ptr_array_unref);
  g_clear_pointer (&module->waiting, g_ptr_array_unref);
  g_clear_pointer (&module->queued, g_ptr_array_unref);
  g_clear_pointer (&module->changed_paths, g_ptr_array_unref);
  g_free (module->output);
  g_free (module);
}

static HotGeneration *
hot_module_get_live (HotModule *module)
{
  if (module->generations->len == 0)
    return NULL;

  return g_ptr_array_index (module->generations, module->generations->len - 1);
}

/* The newest code that has @name: a generation of @module, else the host
 * (@found NULL). */
static const HotNodeEntry *
find_entry (HotModule      *module,
            const char     *name,
            HotGeneration **found)
{
  for (guint i = module ? module->generations->len : 0; i > 0; i--)
    {
      HotGeneration      *generation = g_ptr_array_index (module->generations, i - 1);
      const HotNodeEntry *entry = hot_table_lookup_node (generation->table, name);

      if (entry != NULL)
        {
          *found = generation;
          return entry;
        }
    }

  *found = NULL;
  return hot_table_lookup_node (get_host_table (), name);
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static int
proxy_area (HotNode *proxy)
{
  return gtk_widget_get_width (GTK_WIDGET (proxy)) * gtk_widget_get_height (GTK_WIDGET (proxy));
}

/* Each window that holds proxies gets one overlay, on its largest proxy
 * (the first one mapped until sizes are known). */
static void
place_overlay (HotReload *self,
               HotNode   *proxy)
{
  GtkRoot  *root = gtk_widget_get_root (GTK_WIDGET (proxy));
  GWeakRef *slot;
  g_autoptr (GtkWidget) overlay = NULL;
  GtkWidget *holder;

  if (root == NULL)
    return;

  slot = g_object_get_data (G_OBJECT (root), "hotnode-overlay");
  if (slot == NULL)
    {
      slot = g_new0 (GWeakRef, 1);
      g_weak_ref_init (slot, NULL);
      g_object_set_data_full (G_OBJECT (root), "hotnode-overlay", slot, weak_ref_free);
    }

  overlay = g_weak_ref_get (slot);
  if (overlay == NULL)
    {
      overlay = g_object_ref_sink (hot_overlay_new (G_LIST_MODEL (self->status_model)));
      g_weak_ref_set (slot, overlay);
      hot_node_set_overlay (proxy, overlay);
      return;
    }

  holder = gtk_widget_get_ancestor (overlay, HOT_TYPE_NODE);
  if (holder == GTK_WIDGET (proxy) || (holder != NULL && proxy_area (proxy) <= proxy_area (HOT_NODE_PROXY (holder))))
    return;

  if (holder != NULL)
    hot_node_set_overlay (HOT_NODE_PROXY (holder), NULL);
  hot_node_set_overlay (proxy, overlay);
}

static void
proxy_mapped (HotNode   *proxy,
              HotReload *self)
{
  place_overlay (self, proxy);
}

static void
proxy_finalized (gpointer data,
                 GObject *where_the_object_was)
{
  HotReload *self = data;

  g_ptr_array_remove_fast (self->proxies, where_the_object_was);
}

static void
hot_reload_dispose (GObject *object)
{
  HotReload *self = HOT_RELOAD (object);

  for (guint i = 0; self->proxies && i < self->proxies->len; i++)
    g_object_weak_unref (g_ptr_array_index (self->proxies, i), proxy_finalized, self);
  g_clear_pointer (&self->proxies, g_ptr_array_unref);
  g_clear_object (&self->watcher);
  g_clear_handle_id (&self->prepare_id, g_source_remove);
  g_clear_pointer (&self->to_prepare, g_ptr_array_unref);

  if (self->rebuilder_destroy != NULL)
    g_clear_pointer (&self->rebuilder_data, self->rebuilder_destroy);
  self->rebuilder = NULL;

  G_OBJECT_CLASS (hot_reload_parent_class)->dispose (object);
}

static void
hot_reload_finalize (GObject *object)
{
  HotReload *self = HOT_RELOAD (object);

  g_clear_pointer (&self->node_modules, g_hash_table_unref);
  g_clear_pointer (&self->modules, g_hash_table_unref);
  g_clear_object (&self->status_model);
  g_clear_pointer (&self->statics, hot_static_registry_free);
  g_clear_object (&self->loader);
  g_clear_pointer (&self->project, hot_project_free);
  g_clear_error (&self->setup_error);

  G_OBJECT_CLASS (hot_reload_parent_class)->finalize (object);
}

static void
hot_reload_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  HotReload *self = HOT_RELOAD (object);

  switch (prop_id)
    {
    case PROP_ENABLED:
      g_value_set_boolean (value, self->enabled);
      break;
    case PROP_LOAD_TIMEOUT:
      g_value_set_uint (value, self->load_timeout_ms);
      break;
    case PROP_UNLOAD_GENERATIONS:
      g_value_set_boolean (value, self->unload_generations);
      break;
    case PROP_FAST_PATH:
      g_value_set_enum (value, self->fast_path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hot_reload_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  HotReload *self = HOT_RELOAD (object);

  switch (prop_id)
    {
    case PROP_LOAD_TIMEOUT:
      hot_reload_set_load_timeout (self, g_value_get_uint (value));
      break;
    case PROP_UNLOAD_GENERATIONS:
      hot_reload_set_unload_generations (self, g_value_get_boolean (value));
      break;
    case PROP_FAST_PATH:
      hot_reload_set_fast_path (self, g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
hot_reload_class_init (HotReloadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hot_reload_dispose;
  object_class->finalize = hot_reload_finalize;
  object_class->get_property = hot_reload_get_property;
  object_class->set_property = hot_reload_set_property;

  /**
   * HotReload:enabled:
   *
   * Whether hot reload is on (`HOT_RELOAD=1` in the environment at start).
   */
  properties[PROP_ENABLED] =
      g_param_spec_boolean ("enabled", NULL, NULL, FALSE,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * HotReload:load-timeout:
   *
   * How long loading a new library may take, in milliseconds, before the
   * load is given up (a constructor in it that never returns). The default,
   * 20 seconds, can be changed with `HOT_RELOAD_LOAD_TIMEOUT` (in seconds).
   */
  properties[PROP_LOAD_TIMEOUT] =
      g_param_spec_uint ("load-timeout", NULL, NULL, 1, G_MAXUINT, DEFAULT_LOAD_TIMEOUT_MS,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * HotReload:unload-generations:
   *
   * Whether to close the libraries of older generations that nothing uses
   * any more: not the newest of their module, no widget they built alive,
   * no GType registered. Off by default (or with `HOT_RELOAD_UNLOAD=1`):
   * code of a closed generation that is still reachable some other way (a
   * handler it connected to one of the app's objects, a timeout it added)
   * would crash the app when it runs. Turn it on for long sessions whose
   * hot nodes only touch the widgets they build.
   */
  properties[PROP_UNLOAD_GENERATIONS] =
      g_param_spec_boolean ("unload-generations", NULL, NULL, FALSE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  /**
   * HotReload:fast-path:
   *
   * How a module is rebuilt when only its C sources changed. The default,
   * %HOT_FAST_PATH_TCC, compiles them with tcc when it is installed (a few
   * times faster than gcc) and links them with the module's other objects;
   * `HOT_RELOAD_FAST_PATH` (`tcc`, `pch` or `off`) changes it. A header or
   * another file changed, a compiler error, or a missing tool send the build
   * to ninja, with the reason in the log: the result is the same, only
   * later. Not used when a rebuilder is set (hot_reload_set_rebuilder(),
   * `HOT_RELOAD_REBUILDER`).
   */
  properties[PROP_FAST_PATH] =
      g_param_spec_enum ("fast-path", NULL, NULL, HOT_TYPE_FAST_PATH, HOT_FAST_PATH_TCC,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * HotReload::hot-reload:
   * @self: the service
   * @module: the module whose new generation is live
   *
   * Emitted in the main loop, once per reload, after a module's new library
   * is loaded and every live proxy of the module has been rebuilt.
   */
  signals[SIGNAL_HOT_RELOAD] =
      g_signal_new ("hot-reload", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                    G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * HotReload::reload-failed:
   * @self: the service
   * @module: the module that failed to rebuild or load
   * @error: what went wrong
   *
   * Emitted in the main loop when a rebuild or a load fails. The previous
   * generation stays live.
   */
  signals[SIGNAL_RELOAD_FAILED] =
      g_signal_new ("reload-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                    0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                    G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                    G_TYPE_ERROR);

  hot_i18n_init ();
}

static void
hot_reload_init (HotReload *self)
{
  self->modules = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, hot_module_free);
  self->status_model = g_list_store_new (HOT_TYPE_STATUS);
  self->node_modules = g_hash_table_new (g_str_hash, g_str_equal);
  self->proxies = g_ptr_array_new ();
  self->quarantine = g_ptr_array_new ();
  self->load_timeout_ms = DEFAULT_LOAD_TIMEOUT_MS;
  self->fast_path = HOT_FAST_PATH_TCC;
}

static int
compare_status (gconstpointer a,
                gconstpointer b,
                gpointer      user_data)
{
  return g_strcmp0 (hot_status_get_module ((HotStatus *) a), hot_status_get_module ((HotStatus *) b));
}

static HotModule *
ensure_module (HotReload           *self,
               const HotModuleInfo *info)
{
  HotModule *module = g_hash_table_lookup (self->modules, info->name);

  if (module != NULL && module->info == info)
    return module;

  if (module != NULL)
    {
      /* The second one's nodes stay the app's code; nothing is mixed up. */
      if (!module->name_clash_reported)
        g_warning ("Two hot modules are named “%s” (%s and %s); only the first reloads. "
                   "Give one of them another name.",
                   info->name, module->info->output, info->output);
      module->name_clash_reported = TRUE;
      return NULL;
    }

  module = g_new0 (HotModule, 1);
  module->service = self;
  module->info = info;
  module->status = hot_status_new (info->name, info->source_dirs[0]);
  module->generations = g_ptr_array_new_with_free_func (hot_generation_free);
  module->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  module->queued = g_ptr_array_new_with_free_func (g_object_unref);
  module->changed_paths = g_ptr_array_new_with_free_func (g_free);
  g_hash_table_insert (self->modules, info->name, module);
  g_list_store_insert_sorted (self->status_model, module->status, compare_status, NULL);

  return module;
}

static void
watcher_changed (HotWatcher *watcher,
                 GStrv       paths,
                 gint64      first_event,
                 gpointer    user_data)
{
  HotReload     *self = user_data;
  GHashTableIter iter;
  HotModule     *module;

  g_hash_table_iter_init (&iter, self->modules);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &module))
    {
      gboolean touched = FALSE;

      for (guint i = 0; paths[i]; i++)
        for (guint j = 0; module->info->source_dirs[j]; j++)
          {
            const char *dir = module->info->source_dirs[j];

            if (g_str_has_prefix (paths[i], dir) && paths[i][strlen (dir)] == G_DIR_SEPARATOR)
              {
                g_ptr_array_add (module->changed_paths, g_strdup (paths[i]));
                touched = TRUE;
                break;
              }
          }

      if (touched)
        {
          if (module->changed_at == 0)
            module->changed_at = first_event;
          module->debounced_at = g_get_monotonic_time ();
          hot_reload_rebuild (self, module->info->name);
        }
    }
}

static gboolean prepare_fast_paths (gpointer user_data);

/* Finds the build, the modules the host's entries come from, and starts
 * watching their sources. A module whose name another one already has is
 * left out (NULL from ensure_module ()). */
static gboolean
hot_reload_setup (HotReload *self,
                  GError   **error)
{
  g_autofree char *build_dir = g_strdup (g_getenv ("HOT_RELOAD_BUILD_DIR"));
  HotTable        *host = get_host_table ();
  GPtrArray       *nodes = hot_table_get_nodes (host);
  GPtrArray       *host_statics = hot_table_get_statics (host);
  GHashTableIter   iter;
  HotModule       *module;

  if (build_dir == NULL)
    {
      g_autofree char *exe_dir = hot_loader_get_executable_dir ();

      build_dir = hot_project_find_build_dir (exe_dir ? exe_dir : ".", error);
      if (build_dir == NULL)
        return FALSE;
    }

  self->project = hot_project_load (build_dir, error);
  if (self->project == NULL)
    return FALSE;

  self->loader = hot_loader_new (g_getenv ("HOT_RELOAD_PRIVATE_DIR"), error);
  if (self->loader == NULL)
    return FALSE;

  self->statics = hot_static_registry_new ();
  hot_static_registry_capture (self->statics, host);

  self->unload_generations = g_strcmp0 (g_getenv ("HOT_RELOAD_UNLOAD"), "1") == 0;

  if (g_getenv ("HOT_RELOAD_FAST_PATH") != NULL)
    {
      const char *const names[] = { "off", "tcc", "pch" };
      const char       *name = g_getenv ("HOT_RELOAD_FAST_PATH");
      guint             i;

      for (i = 0; i < G_N_ELEMENTS (names) && !g_str_equal (name, names[i]); i++)
        ;
      if (i < G_N_ELEMENTS (names))
        self->fast_path = (HotFastPath) i;
      else
        g_warning ("HOT_RELOAD_FAST_PATH=%s is none of off, tcc and pch; using tcc", name);
    }

  if (g_getenv ("HOT_RELOAD_LOAD_TIMEOUT") != NULL)
    {
      double seconds = g_ascii_strtod (g_getenv ("HOT_RELOAD_LOAD_TIMEOUT"), NULL);

      if (seconds > 0)
        self->load_timeout_ms = (guint) MIN (seconds * 1000, G_MAXUINT);
      else
        g_warning ("HOT_RELOAD_LOAD_TIMEOUT=%s is not a number of seconds; loads may take %u ms",
                   g_getenv ("HOT_RELOAD_LOAD_TIMEOUT"), self->load_timeout_ms);
    }

  for (guint i = 0; i < nodes->len; i++)
    {
      const HotNodeEntry  *entry = g_ptr_array_index (nodes, i);
      const HotModuleInfo *info = hot_project_lookup_source (self->project, entry->file);

      if (info != NULL)
        {
          HotModule *owner = ensure_module (self, info);

          if (owner != NULL)
            g_hash_table_insert (self->node_modules, (gpointer) entry->name, owner);
        }
    }
  for (guint i = 0; i < host_statics->len; i++)
    {
      const HotStaticEntry *entry = g_ptr_array_index (host_statics, i);
      const HotModuleInfo  *info = hot_project_lookup_source (self->project, entry->file);

      if (info != NULL)
        ensure_module (self, info);
    }

  self->watcher = hot_watcher_new (DEBOUNCE_MS, SETTLE_MS);
  hot_watcher_ignore (self->watcher, hot_project_get_build_dir (self->project));
  g_signal_connect_object (self->watcher, "changed", G_CALLBACK (watcher_changed), self, 0);
  g_hash_table_iter_init (&iter, self->modules);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &module))
    for (guint i = 0; module->info->source_dirs[i]; i++)
      hot_watcher_add_dir (self->watcher, module->info->source_dirs[i]);

  /* A second after start: the app has drawn its window, and nobody saves a
   * file sooner. */
  self->prepare_id = g_timeout_add_full (G_PRIORITY_LOW, PREPARE_DELAY_MS, prepare_fast_paths, self, NULL);

  g_debug ("Hot reload is on: build %s, %u hot modules",
           hot_project_get_build_dir (self->project), g_hash_table_size (self->modules));

  return TRUE;
}

/**
 * hot_reload_get_default:
 *
 * Gets the hot reload service of the process. It is on when the environment
 * has `HOT_RELOAD=1` at the first call; its problems finding the build are
 * logged once, and the app goes on with the code linked into it.
 *
 * Returns: (transfer none): the service
 */
HotReload *
hot_reload_get_default (void)
{
  static HotReload *default_service;

  if (g_once_init_enter (&default_service))
    {
      HotReload *self = g_object_new (HOT_TYPE_RELOAD, NULL);

      self->enabled = hot_reload_env_enabled ();
      if (self->enabled && !hot_reload_setup (self, &self->setup_error))
        g_warning ("Hot reload is on but cannot work: %s", self->setup_error->message);

      g_once_init_leave (&default_service, self);
    }

  return default_service;
}

/**
 * hot_node_new:
 * @name: the name given to HOT_NODE()
 * @args: (nullable): arguments for the constructor
 *
 * Builds the widget of the hot node @name. With hot reload off this calls
 * the constructor linked into the app and returns its widget. With hot
 * reload on it returns a #HotNode proxy holding the widget built by the
 * newest generation that has the node; the proxy rebuilds its child each
 * time the node's module is reloaded, with the same @args.
 *
 * An unknown @name gives a placeholder widget that names it, and a warning.
 *
 * Returns: (transfer floating): the widget
 */
GtkWidget *
hot_node_new (const char  *name,
              HotNodeArgs *args)
{
  HotReload          *self;
  HotModule          *module;
  const HotNodeEntry *entry;
  HotNode            *proxy;
  HotGeneration      *generation;

  g_return_val_if_fail (name != NULL, NULL);

  if (!hot_reload_env_enabled ())
    {
      entry = hot_table_lookup_node (get_host_table (), name);
      if (entry == NULL)
        {
          g_warning ("No hot node is named “%s”; showing a placeholder", name);
          return placeholder_new (name);
        }
      return instantiate_entry (entry, args);
    }

  self = hot_reload_get_default ();
  module = g_hash_table_lookup (self->node_modules, name);
  proxy = hot_node_new_proxy (name, module ? module->info->name : NULL, args);

  entry = find_entry (module, name, &generation);
  if (entry != NULL && generation != NULL)
    {
      g_autoptr (GError) error = NULL;
      GtkWidget *child = instantiate_guarded (self, module, entry, args, &error);

      if (child != NULL)
        {
          track_widget (generation, child);
          hot_node_set_child (proxy, child, generation->library->generation);
        }
      else
        {
          /* The new code crashed: use the app's own. */
          g_warning ("%s; using the app's own code for this proxy", error->message);
          entry = hot_table_lookup_node (get_host_table (), name);
          hot_node_set_child (proxy, entry ? instantiate_entry (entry, args) : placeholder_new (name), 0);
        }
    }
  else if (entry != NULL)
    {
      hot_node_set_child (proxy, instantiate_entry (entry, args), 0);
    }
  else
    {
      g_warning ("No hot node is named “%s”; showing a placeholder until a module defines it", name);
      hot_node_set_child (proxy, placeholder_new (name), 0);
    }

  g_ptr_array_add (self->proxies, proxy);
  g_object_weak_ref (G_OBJECT (proxy), proxy_finalized, self);
  g_signal_connect (proxy, "map", G_CALLBACK (proxy_mapped), self);

  return GTK_WIDGET (proxy);
}

/**
 * hot_reload_get_enabled:
 * @self: the service
 *
 * Returns: whether hot reload is on
 */
gboolean
hot_reload_get_enabled (HotReload *self)
{
  g_return_val_if_fail (HOT_IS_RELOAD (self), FALSE);

  return self->enabled;
}

/**
 * hot_reload_get_load_timeout:
 * @self: the service
 *
 * Returns: how long loading a new library may take, in milliseconds
 */
guint
hot_reload_get_load_timeout (HotReload *self)
{
  g_return_val_if_fail (HOT_IS_RELOAD (self), 0);

  return self->load_timeout_ms;
}

/**
 * hot_reload_set_load_timeout:
 * @self: the service
 * @timeout_ms: how long loading a new library may take, in milliseconds
 *
 * Sets #HotReload:load-timeout.
 */
void
hot_reload_set_load_timeout (HotReload *self,
                             guint      timeout_ms)
{
  g_return_if_fail (HOT_IS_RELOAD (self));
  g_return_if_fail (timeout_ms > 0);

  if (self->load_timeout_ms == timeout_ms)
    return;

  self->load_timeout_ms = timeout_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOAD_TIMEOUT]);
}

/**
 * hot_reload_get_unload_generations:
 * @self: the service
 *
 * Returns: whether unused older generations are closed
 */
gboolean
hot_reload_get_unload_generations (HotReload *self)
{
  g_return_val_if_fail (HOT_IS_RELOAD (self), FALSE);

  return self->unload_generations;
}

/**
 * hot_reload_set_unload_generations:
 * @self: the service
 * @unload: whether to close unused older generations
 *
 * Sets #HotReload:unload-generations. Turning it on closes the unused ones
 * there are, in the next idle.
 */
void
hot_reload_set_unload_generations (HotReload *self,
                                   gboolean   unload)
{
  GHashTableIter iter;
  HotModule     *module;

  g_return_if_fail (HOT_IS_RELOAD (self));

  unload = !!unload;
  if (self->unload_generations == unload)
    return;

  self->unload_generations = unload;
  g_hash_table_iter_init (&iter, self->modules);
  while (unload && g_hash_table_iter_next (&iter, NULL, (gpointer *) &module))
    schedule_unload_checks (module);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNLOAD_GENERATIONS]);
}

/**
 * hot_reload_get_fast_path:
 * @self: the service
 *
 * Returns: how modules are rebuilt when only C sources changed
 *   (#HotReload:fast-path)
 */
HotFastPath
hot_reload_get_fast_path (HotReload *self)
{
  g_return_val_if_fail (HOT_IS_RELOAD (self), HOT_FAST_PATH_OFF);

  return self->fast_path;
}

/**
 * hot_reload_set_fast_path:
 * @self: the service
 * @fast_path: how to rebuild modules when only C sources changed
 *
 * Sets #HotReload:fast-path. Takes effect from the next build.
 */
void
hot_reload_set_fast_path (HotReload  *self,
                          HotFastPath fast_path)
{
  g_return_if_fail (HOT_IS_RELOAD (self));
  g_return_if_fail (fast_path <= HOT_FAST_PATH_GCC_PCH);

  if (self->fast_path == fast_path)
    return;

  self->fast_path = fast_path;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAST_PATH]);
}

/**
 * hot_reload_get_status:
 * @self: the service
 *
 * Gets the status of every hot module, one #HotStatus each. Empty when hot
 * reload is off.
 *
 * Returns: (transfer none): a list model of #HotStatus
 */
GListModel *
hot_reload_get_status (HotReload *self)
{
  g_return_val_if_fail (HOT_IS_RELOAD (self), NULL);

  return G_LIST_MODEL (self->status_model);
}

/**
 * hot_reload_lookup_status:
 * @self: the service
 * @module: a module name
 *
 * Returns: (transfer none) (nullable): the status of @module
 */
HotStatus *
hot_reload_lookup_status (HotReload  *self,
                          const char *module)
{
  HotModule *found;

  g_return_val_if_fail (HOT_IS_RELOAD (self), NULL);
  g_return_val_if_fail (module != NULL, NULL);

  found = g_hash_table_lookup (self->modules, module);

  return found ? found->status : NULL;
}

/**
 * hot_reload_set_rebuilder:
 * @self: the service
 * @rebuilder: (nullable): chooses the command that rebuilds a module
 * @user_data: data for @rebuilder
 * @destroy: (nullable): frees @user_data
 *
 * Sets how modules are rebuilt, ahead of `HOT_RELOAD_REBUILDER` and the
 * default (`ninja -C <build folder> <module library>`).
 */
void
hot_reload_set_rebuilder (HotReload       *self,
                          HotRebuilderFunc rebuilder,
                          gpointer         user_data,
                          GDestroyNotify   destroy)
{
  g_return_if_fail (HOT_IS_RELOAD (self));

  if (self->rebuilder_destroy != NULL)
    self->rebuilder_destroy (self->rebuilder_data);

  self->rebuilder = rebuilder;
  self->rebuilder_data = user_data;
  self->rebuilder_destroy = destroy;
}

/* Whether the app or the user chose how modules are rebuilt. */
static gboolean
has_custom_rebuilder (HotReload *self)
{
  const char *env_rebuilder = g_getenv ("HOT_RELOAD_REBUILDER");

  return self->rebuilder != NULL || (env_rebuilder != NULL && *env_rebuilder != '\0');
}

/* Replaces the placeholders of HOT_RELOAD_REBUILDER in one argument. */
static char *
expand_placeholders (const char          *arg,
                     const HotModuleInfo *info)
{
  const struct
  {
    const char *name;
    const char *value;
  } placeholders[] = {
    { "{module}", info->name },
    { "{source_dir}", info->source_dirs[0] },
    { "{build_dir}", info->build_dir },
    { "{output}", info->output },
    { "{target}", info->target },
  };
  GString *expanded = g_string_new (arg);

  for (guint i = 0; i < G_N_ELEMENTS (placeholders); i++)
    g_string_replace (expanded, placeholders[i].name, placeholders[i].value, 0);

  return g_string_free (expanded, FALSE);
}

/* The command that rebuilds @module, and the file it writes. */
static char **
choose_rebuilder (HotReload *self,
                  HotModule *module,
                  char     **output,
                  GError   **error)
{
  const HotModuleInfo *info = module->info;
  const char          *env_rebuilder = g_getenv ("HOT_RELOAD_REBUILDER");
  g_auto (GStrv) argv = NULL;
  g_autofree char *ninja = NULL;

  *output = g_strdup (info->output);

  if (self->rebuilder != NULL)
    {
      argv = self->rebuilder (self, info->name, output, self->rebuilder_data);
      if (argv != NULL)
        return g_steal_pointer (&argv);
    }

  if (env_rebuilder != NULL && *env_rebuilder != '\0')
    {
      g_autoptr (GError) parse_error = NULL;
      int argc;

      if (!g_shell_parse_argv (env_rebuilder, &argc, &argv, &parse_error))
        {
          g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                       _ ("HOT_RELOAD_REBUILDER cannot be read as a command line: %s"),
                       parse_error->message);
          return NULL;
        }
      for (int i = 0; i < argc; i++)
        {
          char *expanded = expand_placeholders (argv[i], info);

          g_free (argv[i]);
          argv[i] = expanded;
        }
      return g_steal_pointer (&argv);
    }

  ninja = g_find_program_in_path ("ninja");
  if (ninja == NULL)
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                   _ ("Cannot rebuild module “%s”: ninja is not in PATH. Install it, or set HOT_RELOAD_REBUILDER."),
                   info->name);
      return NULL;
    }

  argv = g_new0 (char *, 5);
  argv[0] = g_steal_pointer (&ninja);
  argv[1] = g_strdup ("-C");
  argv[2] = g_strdup (info->build_dir);
  argv[3] = g_strdup (info->target);
  return g_steal_pointer (&argv);
}

/* The end of a cleaned build log: what a person reads first. */
static char *
build_log_tail (const char *log)
{
  gsize len = strlen (log);

  if (len > 8192)
    return g_strdup_printf ("…%s", g_utf8_find_next_char (log + len - 8192, NULL));

  return g_strchomp (g_strdup (log));
}

static void start_build (HotModule *module);

/* Rebuilds every live proxy of @module (and proxies waiting for a node that
 * @generation now has) from @generation, in two steps: all new children are
 * built first, under the guard, and swapped in only if none crashed. */
static gboolean
reinstantiate_proxies (HotReload     *self,
                       HotModule     *module,
                       HotGeneration *generation,
                       GError       **error)
{
  g_autoptr (GPtrArray) proxies = g_ptr_array_new_full (self->proxies->len, g_object_unref);
  g_autoptr (GPtrArray) children = g_ptr_array_new ();
  const char *module_name = module->info->name;

  /* Constructors may create or drop proxies: work on a held copy. */
  for (guint i = 0; i < self->proxies->len; i++)
    g_ptr_array_add (proxies, g_object_ref (g_ptr_array_index (self->proxies, i)));

  for (guint i = 0; i < proxies->len; i++)
    {
      HotNode            *proxy = g_ptr_array_index (proxies, i);
      const char         *name = hot_node_get_node_name (proxy);
      const char         *proxy_module = hot_node_get_module (proxy);
      const HotNodeEntry *entry = hot_table_lookup_node (generation->table, name);
      GtkWidget          *child = NULL;

      if (proxy_module != NULL && !g_str_equal (proxy_module, module_name))
        entry = NULL;
      else if (proxy_module != NULL && entry == NULL)
        g_message ("Hot node “%s” is no longer in module “%s”; its proxy keeps its previous widget",
                   name, module_name);

      if (entry != NULL)
        {
          child = instantiate_guarded (self, module, entry, hot_node_get_args (proxy), error);
          if (child == NULL)
            {
              /* Roll back. What the new code built so far stays alive,
               * unused: destroying it would run that code again. */
              g_ptr_array_extend_and_steal (self->quarantine, g_steal_pointer (&children));
              return FALSE;
            }
          g_object_ref_sink (child);
        }
      g_ptr_array_add (children, child);
    }

  for (guint i = 0; i < proxies->len; i++)
    {
      HotNode   *proxy = g_ptr_array_index (proxies, i);
      GtkWidget *child = g_ptr_array_index (children, i);

      if (child == NULL)
        continue;
      hot_node_set_module (proxy, module_name);
      track_widget (generation, child);
      hot_node_set_child (proxy, child, generation->library->generation);
      g_object_unref (child);
    }

  return TRUE;
}

/* Patches a newly loaded library's statics and makes it the live
 * generation of @module; a refused library is closed (none of its code ran). */
static gboolean
make_generation_live (HotReload  *self,
                      HotModule  *module,
                      HotLibrary *loaded,
                      GError    **error)
{
  g_autoptr (HotLibrary) library = loaded;
  g_autoptr (HotTable) table = NULL;
  HotGeneration *generation;
  GPtrArray     *nodes;

  module->times.copied = library->copied_at;
  module->times.opened = library->opened_at;

  table = hot_table_new ();
  if (!hot_table_add_image (table, library->image, error) ||
      !hot_static_registry_patch (self->statics, table, error))
    return FALSE;
  module->times.patched = g_get_monotonic_time ();

  generation = g_new0 (HotGeneration, 1);
  generation->library = g_steal_pointer (&library);
  generation->table = g_steal_pointer (&table);
  generation->module = module;

  if (!reinstantiate_proxies (self, module, generation, error))
    {
      /* Its code ran: it stays loaded, and is never used again. */
      g_ptr_array_add (self->quarantine, generation);
      return FALSE;
    }
  module->times.rebuilt = g_get_monotonic_time ();
  g_ptr_array_add (module->generations, generation);
  schedule_unload_checks (module);

  nodes = hot_table_get_nodes (generation->table);
  for (guint i = 0; i < nodes->len; i++)
    {
      const HotNodeEntry *entry = g_ptr_array_index (nodes, i);

      /* Interned: the generation's own strings may be unloaded. */
      g_hash_table_insert (self->node_modules, (gpointer) g_intern_string (entry->name), module);
    }

  return TRUE;
}

static void
complete_tasks (GPtrArray    *tasks,
                const GError *error)
{
  for (guint i = 0; i < tasks->len; i++)
    {
      GTask *task = g_ptr_array_index (tasks, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }
  g_ptr_array_set_size (tasks, 0);
}

/* The rebuilds asked for while a build ran wait for the next one. */
static void
promote_queued (HotModule *module)
{
  g_ptr_array_extend_and_steal (module->waiting, g_steal_pointer (&module->queued));
  module->queued = g_ptr_array_new_with_free_func (g_object_unref);
}

static GError *
cancelled_error (HotModule *module)
{
  return g_error_new (HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_CANCELLED, _ ("The build of module “%s” was cancelled"),
                      module->info->name);
}

static GVariant *
times_to_variant (const HotReloadTimes *times)
{
  const struct
  {
    const char *name;
    gint64      value;
  } stages[] = {
    { "changed", times->changed },
    { "debounced", times->debounced },
    { "build-started", times->build_started },
    { "build-finished", times->build_finished },
    { "copied", times->copied },
    { "opened", times->opened },
    { "patched", times->patched },
    { "rebuilt", times->rebuilt },
  };
  g_auto (GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  for (guint i = 0; i < G_N_ELEMENTS (stages); i++)
    if (stages[i].value != 0)
      g_variant_builder_add (&builder, "{sv}", stages[i].name, g_variant_new_int64 (stages[i].value));
  g_variant_builder_add (&builder, "{sv}", "builder", g_variant_new_string (times->builder));

  return g_variant_builder_end (&builder);
}

static void
publish_painted (gpointer user_data)
{
  HotModule *module = user_data;
  g_autoptr (GVariantDict) timings = g_variant_dict_new (hot_status_get_timings (module->status));

  module->painted_idle = 0;
  g_variant_dict_insert (timings, "painted", "x", module->painted_at);
  hot_status_set_timings (module->status, g_variant_dict_end (timings));
}

static void
reload_painted (GdkFrameClock *clock,
                gpointer       user_data)
{
  HotModule *module = user_data;

  /* Published from an idle: what listens to the status may change widgets,
   * which is not for the middle of a frame. */
  module->painted_at = g_get_monotonic_time ();
  g_clear_signal_handler (&module->paint_handler, clock);
  g_clear_object (&module->paint_clock);
  module->painted_idle = g_idle_add_once (publish_painted, module);
}

/* Publishes the times of the reload that just went live, and adds the
 * moment its first frame is painted when it comes. */
static void
publish_times (HotModule *module)
{
  HotReload *self = module->service;

  stop_waiting_for_paint (module);
  hot_status_set_timings (module->status, times_to_variant (&module->times));

  for (guint i = 0; i < self->proxies->len; i++)
    {
      HotNode       *proxy = g_ptr_array_index (self->proxies, i);
      GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (proxy));

      if (clock == NULL || g_strcmp0 (hot_node_get_module (proxy), module->info->name) != 0)
        continue;

      module->paint_clock = g_object_ref (clock);
      module->paint_handler = g_signal_connect (clock, "after-paint", G_CALLBACK (reload_painted), module);
      gtk_widget_queue_draw (GTK_WIDGET (proxy));
      break;
    }
}

/* Ends the running build of @module, well (@error NULL) or not, with the
 * compiler's @diagnostics if it failed. */
static void
finish_build (HotModule    *module,
              const GError *error,
              GListModel   *diagnostics)
{
  HotReload     *self = module->service;
  HotGeneration *live;
  gboolean       cancelled = error && g_error_matches (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_CANCELLED);
  GTimeSpan      duration = g_get_monotonic_time () - module->times.build_started;

  g_clear_object (&module->cancellable);
  g_clear_pointer (&module->output, g_free);

  /* Cancelled with rebuilds waiting: a newer save did it. (Cancelled by
   * hot_reload_cancel (), nothing waits: it promoted them to fail.) */
  if (cancelled && module->queued->len > 0)
    {
      g_debug ("Build of module “%s” cancelled by a newer change; building again", module->info->name);
      promote_queued (module);
      start_build (module);
      return;
    }

  live = hot_module_get_live (module);
  if (!cancelled)
    hot_status_finish_build (module->status, duration, error, diagnostics,
                             live ? live->library->generation : 0);
  else
    hot_status_set_building (module->status, FALSE);

  if (error == NULL)
    {
      g_message ("Reloaded module “%s” in %.0f ms (%s)", module->info->name, duration / 1000.0,
                 module->times.builder);
      publish_times (module);
      g_signal_emit (self, signals[SIGNAL_HOT_RELOAD], 0, module->info->name);
    }
  else if (!cancelled)
    {
      const char *backtrace = hot_status_get_crash_backtrace (module->status);

      g_warning ("Reloading module “%s” failed; the previous code stays live.\n%s%s%s",
                 module->info->name, error->message,
                 backtrace ? "\n" : "", backtrace ? backtrace : "");
      g_signal_emit (self, signals[SIGNAL_RELOAD_FAILED], 0, module->info->name, error);
    }

  complete_tasks (module->waiting, error);

  if (module->queued->len > 0)
    {
      promote_queued (module);
      start_build (module);
    }
}

static void
generation_loaded (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  HotModule *module = user_data;
  g_autoptr (GError) error = NULL;
  HotLibrary *library = hot_loader_load_finish (HOT_LOADER (source), result, &error);

  module->loading = FALSE;
  if (library != NULL)
    make_generation_live (module->service, module, library, &error);
  finish_build (module, error, NULL);
}

/* The build wrote @module->output: load it in a worker thread; the module
 * stays busy until it is live or refused. */
static void
load_output (HotModule *module)
{
  module->times.build_finished = g_get_monotonic_time ();
  module->loading = TRUE;
  hot_loader_load_async (module->service->loader, module->info->name, module->output,
                         module->service->load_timeout_ms, generation_loaded, module);
}

static void
build_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  HotModule *module = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) output = NULL;
  g_autoptr (GListModel) diagnostics = NULL;
  g_autoptr (GSubprocess) subprocess = hot_process_run_finish (result, &output, &error);

  if (subprocess == NULL)
    {
      g_autoptr (GError) run_error = g_steal_pointer (&error);

      if (g_error_matches (run_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        error = cancelled_error (module);
      else if (run_error->domain == G_SPAWN_ERROR)
        g_set_error (&error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                     _ ("Could not run the rebuilder of module “%s”: %s"), module->info->name, run_error->message);
      else
        g_set_error (&error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                     _ ("Could not read the output of the build of module “%s”: %s"), module->info->name,
                     run_error->message);
    }
  else if (!g_subprocess_get_successful (subprocess))
    {
      gsize            length;
      const char      *data = g_bytes_get_data (output, &length);
      g_autofree char *log = hot_diagnostic_clean_output (data, length);
      g_autofree char *tail = build_log_tail (log);

      diagnostics = hot_diagnostic_parse (log, module->info->build_dir,
                                          (const char *const *) module->info->sources);
      if (g_subprocess_get_if_signaled (subprocess))
        g_set_error (&error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                     _ ("The rebuilder of module “%s” was killed by signal %d (%s):\n%s"),
                     module->info->name, g_subprocess_get_term_sig (subprocess),
                     g_strsignal (g_subprocess_get_term_sig (subprocess)), tail);
      else
        g_set_error (&error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                     _ ("Building module “%s” failed:\n%s"), module->info->name, tail);
    }
  else if (!g_file_test (module->output, G_FILE_TEST_EXISTS))
    {
      g_set_error (&error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BUILD,
                   _ ("The rebuilder of module “%s” finished without error but wrote no library at %s"),
                   module->info->name, module->output);
    }
  else
    {
      /* The build's objects are current again: fast builds start over. */
      if (module->fast_builder != NULL)
        hot_fast_builder_forget (module->fast_builder);
      load_output (module);
      return;
    }

  finish_build (module, error, diagnostics);
}

/* Runs the rebuilder: a callback's, HOT_RELOAD_REBUILDER or ninja. */
static void
start_rebuilder (HotModule *module)
{
  HotReload *self = module->service;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) argv = NULL;

  argv = choose_rebuilder (self, module, &module->output, &error);
  if (argv == NULL)
    {
      finish_build (module, error, NULL);
      return;
    }

  g_debug ("Rebuilding module “%s”: %s", module->info->name, argv[0]);
  hot_process_run_async ((const char *const *) argv, module->info->build_dir, module->cancellable, build_done, module);
}

static void
fast_build_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  HotModule *module = user_data;
  g_autoptr (GError) error = NULL;

  module->output = hot_fast_builder_build_finish (HOT_FAST_BUILDER (source), result, &error);
  if (module->output != NULL)
    {
      load_output (module);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autoptr (GError) cancelled = cancelled_error (module);

      finish_build (module, cancelled, NULL);
      return;
    }

  g_message ("Fast rebuild of module “%s” not possible (%s); building it with ninja",
             module->info->name, error->message);
  module->times.builder = "ninja";
  start_rebuilder (module);
}

/* The fast builder of @module, or NULL when the fast path is off or a
 * rebuilder was chosen (theirs to make fast). */
static HotFastBuilder *
ensure_fast_builder (HotReload *self,
                     HotModule *module)
{
  if (self->fast_path == HOT_FAST_PATH_OFF || has_custom_rebuilder (self))
    return NULL;

  if (module->fast_builder == NULL || hot_fast_builder_get_mode (module->fast_builder) != self->fast_path)
    {
      g_clear_object (&module->fast_builder);
      module->fast_builder = hot_fast_builder_new (module->info, self->fast_path);
    }

  return module->fast_builder;
}

/* The fast builder of @module when a fast build can rebuild what changed,
 * or NULL; logs why not when it is on but cannot. */
static HotFastBuilder *
choose_fast_builder (HotReload *self,
                     HotModule *module,
                     GPtrArray *changed_paths)
{
  g_autoptr (GError) reason = NULL;
  HotFastBuilder *fast_builder = ensure_fast_builder (self, module);

  if (fast_builder == NULL)
    return NULL;

  if (!hot_fast_builder_can_build (fast_builder, changed_paths, &reason))
    {
      /* Once per reason in a row: "tcc is not installed" at every save
       * says nothing new. */
      if (g_strcmp0 (module->fast_path_declined, reason->message) != 0)
        g_message ("Fast rebuild of module “%s” not possible (%s); building it with ninja",
                   module->info->name, reason->message);
      g_free (module->fast_path_declined);
      module->fast_path_declined = g_strdup (reason->message);
      return NULL;
    }

  g_clear_pointer (&module->fast_path_declined, g_free);
  return fast_builder;
}

static void prepare_next_fast_path (HotReload *self);

static void
fast_path_prepared (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  HotModule *module = user_data;
  g_autoptr (GError) error = NULL;

  if (!hot_fast_builder_prepare_finish (HOT_FAST_BUILDER (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Could not prepare the fast path of module “%s”: %s", module->info->name, error->message);

  g_clear_object (&module->cancellable);

  /* hot_reload_cancel () during the preparation */
  if (module->waiting->len > 0)
    {
      g_autoptr (GError) cancelled = cancelled_error (module);

      complete_tasks (module->waiting, cancelled);
    }

  /* A save during the preparation stopped it: build now. */
  if (module->queued->len > 0)
    {
      promote_queued (module);
      start_build (module);
    }

  prepare_next_fast_path (module->service);
}

/* One module at a time: preparing is a few compiler runs a module, and the
 * app has just started. A module that is building prepares as it builds. */
static void
prepare_next_fast_path (HotReload *self)
{
  while (self->to_prepare != NULL && self->to_prepare->len > 0)
    {
      HotModule      *module = g_ptr_array_steal_index (self->to_prepare, 0);
      HotFastBuilder *fast_builder = ensure_fast_builder (self, module);

      if (fast_builder == NULL || module->cancellable != NULL)
        continue;

      module->cancellable = g_cancellable_new ();
      hot_fast_builder_prepare_async (fast_builder, module->cancellable, fast_path_prepared, module);
      return;
    }
}

/* Before the first save, does what a fast build does once (finding tools,
 * tcc preludes, the precompiled header), so that the first save is as fast
 * as the next ones. Runs like a build: a save stops it. */
static gboolean
prepare_fast_paths (gpointer user_data)
{
  HotReload     *self = user_data;
  GHashTableIter iter;
  HotModule     *module;

  self->prepare_id = 0;
  self->to_prepare = g_ptr_array_new ();

  g_hash_table_iter_init (&iter, self->modules);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &module))
    g_ptr_array_add (self->to_prepare, module);
  prepare_next_fast_path (self);

  return G_SOURCE_REMOVE;
}

static void
start_build (HotModule *module)
{
  HotReload *self = module->service;
  g_autoptr (GPtrArray) changed_paths = g_steal_pointer (&module->changed_paths);
  HotFastBuilder *fast_builder;

  g_assert (module->cancellable == NULL);

  module->changed_paths = g_ptr_array_new_with_free_func (g_free);
  memset (&module->times, 0, sizeof module->times);
  module->times.changed = module->changed_at;
  module->times.debounced = module->debounced_at;
  module->times.build_started = g_get_monotonic_time ();
  module->changed_at = module->debounced_at = 0;
  module->cancellable = g_cancellable_new ();
  hot_status_set_building (module->status, TRUE);

  /* Sizes are known by now: move each window's overlay where it shows best. */
  for (guint i = 0; i < self->proxies->len; i++)
    place_overlay (self, g_ptr_array_index (self->proxies, i));

  /* What was saved up to now is what this build must compile. */
  hot_module_info_mark_stale (module->info, changed_paths);

  fast_builder = choose_fast_builder (self, module, changed_paths);
  if (fast_builder != NULL)
    {
      module->times.builder = self->fast_path == HOT_FAST_PATH_TCC ? "tcc" : "gcc-pch";
      hot_fast_builder_build_async (fast_builder, changed_paths, module->cancellable, fast_build_done, module);
      return;
    }

  module->times.builder = has_custom_rebuilder (self) ? "custom" : "ninja";
  start_rebuilder (module);
}

static HotModule *
lookup_module (HotReload  *self,
               const char *name,
               GError    **error)
{
  HotModule *module;

  if (!self->enabled)
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_DISABLED,
                   _ ("Hot reload is off; run the app with HOT_RELOAD=1"));
      return NULL;
    }

  if (self->setup_error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->setup_error));
      return NULL;
    }

  module = g_hash_table_lookup (self->modules, name);
  if (module == NULL)
    g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_UNKNOWN_MODULE,
                 _ ("No hot module is named “%s”"), name);

  return module;
}

/**
 * hot_reload_rebuild_async:
 * @self: the service
 * @module: a module name
 * @cancellable: (nullable): a #GCancellable to stop waiting (the build goes
 *   on; use hot_reload_cancel() to stop it)
 * @callback: called when a build that started after this call has ended
 * @user_data: data for @callback
 *
 * Rebuilds @module and loads the result. A build already running is
 * cancelled and started again, so the result reflects the sources as they
 * are now.
 */
void
hot_reload_rebuild_async (HotReload          *self,
                          const char         *module,
                          GCancellable       *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  HotModule *found;

  g_return_if_fail (HOT_IS_RELOAD (self));
  g_return_if_fail (module != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, hot_reload_rebuild_async);
  g_task_set_check_cancellable (task, TRUE);

  found = lookup_module (self, module, &error);
  if (found == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (found->cancellable != NULL)
    {
      /* A build is stopped and started again; a load cannot be stopped, the
       * next build waits for it. */
      g_ptr_array_add (found->queued, g_steal_pointer (&task));
      if (!found->loading)
        g_cancellable_cancel (found->cancellable);
      return;
    }

  g_ptr_array_add (found->waiting, g_steal_pointer (&task));
  start_build (found);
}

/**
 * hot_reload_rebuild_finish:
 * @self: the service
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Returns: %TRUE when the new generation is live, %FALSE with an error in
 *   %HOT_RELOAD_ERROR (or %G_IO_ERROR_CANCELLED) otherwise
 */
gboolean
hot_reload_rebuild_finish (HotReload    *self,
                           GAsyncResult *result,
                           GError      **error)
{
  g_return_val_if_fail (HOT_IS_RELOAD (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == hot_reload_rebuild_async, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * hot_reload_rebuild:
 * @self: the service
 * @module: a module name
 *
 * Rebuilds @module and loads the result, as a save in its sources does.
 * Listen to #HotReload::hot-reload and #HotReload::reload-failed, or use
 * hot_reload_rebuild_async(), to learn the outcome.
 */
void
hot_reload_rebuild (HotReload  *self,
                    const char *module)
{
  g_return_if_fail (HOT_IS_RELOAD (self));
  g_return_if_fail (module != NULL);

  hot_reload_rebuild_async (self, module, NULL, NULL, NULL);
}

/**
 * hot_reload_cancel:
 * @self: the service
 * @module: a module name
 *
 * Stops the running build of @module, if any. Pending
 * hot_reload_rebuild_async() calls end with %HOT_RELOAD_ERROR_CANCELLED.
 */
void
hot_reload_cancel (HotReload  *self,
                   const char *module)
{
  HotModule *found;

  g_return_if_fail (HOT_IS_RELOAD (self));
  g_return_if_fail (module != NULL);

  found = g_hash_table_lookup (self->modules, module);
  if (found == NULL || found->cancellable == NULL || found->loading)
    return;

  promote_queued (found);
  g_cancellable_cancel (found->cancellable);
}
