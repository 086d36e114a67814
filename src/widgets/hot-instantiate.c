/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "hot-guard-private.h"
#include "hot-i18n-private.h"
#include "hot-instantiate-private.h"
#include "hot-log-capture-private.h"
#include "hot-widget-state-private.h"

/*
 * Building widgets from hot nodes: the app's own constructors, or a loaded
 * generation's under the crash guard.
 *
 * A reload is a pass (hot_instantiate_generation ()): every proxy of the
 * module gets a new child from the new generation, all built before any is
 * swapped in. Constructors may build other hot nodes, of their module or
 * another, to any depth: while the pass runs, the new generation is found
 * first (so an inner node of the same module, even one added in the same
 * save, comes from the new code), inner guards nest in the outer one, and
 * a failure anywhere inside (a crash, an unknown node, a node whose new
 * code failed, a warning or critical logged while the pass built its
 * widgets: an empty templated widget, say) fails the pass: nothing on
 * screen changes, and the messages are in the report. Proxies inside
 * another proxy of the pass are not rebuilt on their own: their outer
 * node builds them again.
 *
 * Before a new child replaces the old one, what the user changed in the
 * old widgets is carried to the new ones (hot-widget-state.c), unless the pass
 * is a reset or the proxy keeps no state.
 */

typedef struct
{
  HotModule     *module;
  HotGeneration *generation; /* NULL: the app's own code */
  HotTable      *table;      /* the generation's, or the app's */
  GError        *error;      /* the first failure inside the pass */
} Pass;

static const HotResolver *resolver;
static gpointer           resolver_data;
static GPtrArray         *passes;       /* Pass, innermost last */
static GPtrArray         *constructing; /* HotNodeEntry under the guard, innermost last */

void
hot_instantiate_set_resolver (const HotResolver *new_resolver,
                              gpointer           user_data)
{
  resolver = new_resolver;
  resolver_data = user_data;
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

static Pass *
current_pass (void)
{
  return passes != NULL && passes->len > 0 ? g_ptr_array_index (passes, passes->len - 1) : NULL;
}

/* Fails the running pass, if any, with the first error. */
static void
fail_pass (GError *error)
{
  Pass *pass = current_pass ();

  if (pass != NULL && pass->error == NULL)
    pass->error = error;
  else
    g_error_free (error);
}

/* A constructor's result, or a placeholder when it cannot be a proxy's
 * child (NULL, or a widget that already has a parent). */
static GtkWidget *
checked_widget (const HotNodeEntry *entry,
                GtkWidget          *widget,
                GError            **error)
{
  if (widget != NULL && gtk_widget_get_parent (widget) == NULL)
    return widget;

  g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_FAILED,
               _ ("Hot node “%s” (%s:%u) returned %s"), entry->name, entry->file, entry->line,
               widget == NULL ? _ ("NULL") : _ ("a widget that already has a parent"));
  return NULL;
}

typedef struct
{
  const HotNodeEntry *entry;
  HotNodeArgs        *args;
  GtkWidget          *widget;
} Construction;

/* Calls the generation's code directly: a crash in that code comes back
 * through this frame. */
HOT_GUARD_ENTRY static void
run_constructor (gpointer data)
{
  Construction *construction = data;

  construction->widget = construction->entry->func (construction->args);
}

/* Calls a constructor of a loaded generation under the guard; on a crash
 * records it on @module's status. */
static GtkWidget *
instantiate_guarded (HotModule          *module,
                     const HotNodeEntry *entry,
                     HotNodeArgs        *args,
                     GError            **error)
{
  Construction     construction = { entry, args, NULL };
  guint            timeout_ms = resolver->timeout_ms (resolver_data);
  HotCrash         crash = { 0 };
  g_autofree char *signal_name = NULL;
  g_autoptr (GError) guard_error = NULL;
  guint    depth;
  gboolean returned;

  if (constructing == NULL)
    constructing = g_ptr_array_new ();
  depth = constructing->len;
  g_ptr_array_add (constructing, (gpointer) entry);
  returned = hot_guard_call (HOT_GUARD_NODE, entry->name, run_constructor, &construction, timeout_ms, &crash,
                             &guard_error);
  /* A deadline lands in the outermost guard: the node that was running is
   * the innermost one still on the stack. */
  if (!returned && guard_error == NULL)
    entry = g_ptr_array_index (constructing, constructing->len - 1);
  g_ptr_array_set_size (constructing, depth);

  if (returned)
    return checked_widget (entry, construction.widget, error);

  if (guard_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&guard_error));
      return NULL;
    }

  signal_name = hot_signal_name (crash.signal);
  hot_status_set_crash (hot_module_get_status (module), entry->name, crash.signal, crash.backtrace);
  if (crash.timed_out)
    g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_CRASHED,
                 _ ("The new code of hot node “%s” did not return within %u ms and was stopped"), entry->name,
                 timeout_ms);
  else
    g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_CRASHED,
                 _ ("The new code of hot node “%s” crashed with %s (%s)"), entry->name, signal_name,
                 g_strsignal (crash.signal));
  hot_crash_clear (&crash);

  return NULL;
}

/* The newest entry of @name: the generations of the running passes first. */
static const HotNodeEntry *
lookup (const char     *name,
        HotGeneration **generation,
        HotModule     **module)
{
  for (guint i = passes ? passes->len : 0; i > 0; i--)
    {
      Pass               *pass = g_ptr_array_index (passes, i - 1);
      const HotNodeEntry *entry = hot_table_lookup_node (pass->table, name);

      if (entry != NULL)
        {
          *generation = pass->generation;
          *module = pass->module;
          return entry;
        }
    }

  return resolver->lookup (name, generation, module, resolver_data);
}

/* Whether @module is being reloaded by a running pass with another
 * generation than @generation. */
static gboolean
reloading (HotModule     *module,
           HotGeneration *generation)
{
  for (guint i = 0; module != NULL && passes != NULL && i < passes->len; i++)
    {
      Pass *pass = g_ptr_array_index (passes, i);

      if (pass->module == module && pass->generation != generation)
        return TRUE;
    }

  return FALSE;
}

/**
 * hot_instantiate_node:
 * @name: a node's name
 * @args: (nullable): its arguments
 *
 * What hot_node_new() does: with hot reload off, the app's constructor; on,
 * a proxy holding the newest code's widget. Inside a reload pass, a failure
 * fails the pass; elsewhere it falls back to the app's own code, or a
 * placeholder.
 *
 * Returns: (transfer floating): the widget
 */
GtkWidget *
hot_instantiate_node (const char  *name,
                      HotNodeArgs *args)
{
  g_autoptr (GError) error = NULL;
  HotGeneration      *generation = NULL;
  HotModule          *module = NULL;
  const HotNodeEntry *entry;
  const HotNodeEntry *host_entry;
  HotNode            *proxy;
  GtkWidget          *child = NULL;

  if (resolver == NULL)
    {
      host_entry = hot_table_lookup_node (hot_table_get_host (), name);
      if (host_entry != NULL)
        child = checked_widget (host_entry, host_entry->func (args), &error);
      if (child != NULL)
        return child;
      if (error != NULL)
        g_warning ("%s; showing a placeholder", error->message);
      else
        g_warning ("No hot node is named “%s”; showing a placeholder", name);
      return placeholder_new (name);
    }

  /* The child first: a deadline that stops a constructor leaves nothing
   * of this call behind. */
  entry = lookup (name, &generation, &module);
  if (entry != NULL && reloading (module, generation))
    {
      /* The new code asks for a node its generation no longer has: the
       * older code of it would not be what is on disk. */
      g_set_error (&error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_UNKNOWN_NODE,
                   _ ("Hot node “%s” is no longer in module “%s”"), name, hot_module_get_name (module));
      entry = NULL;
    }

  if (entry != NULL && generation != NULL)
    child = instantiate_guarded (module, entry, args, &error);
  else if (entry != NULL)
    child = checked_widget (entry, entry->func (args), &error);
  else if (error == NULL)
    g_set_error (&error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_UNKNOWN_NODE,
                 _ ("No hot node is named “%s”"), name);

  if (child != NULL && generation != NULL)
    hot_generation_track (generation, G_OBJECT (child));

  if (child == NULL && current_pass () != NULL)
    {
      /* Inside a reload: the reload fails, and says why. */
      fail_pass (g_steal_pointer (&error));
      child = placeholder_new (name);
    }
  else if (child == NULL)
    {
      host_entry = generation != NULL ? hot_table_lookup_node (hot_table_get_host (), name) : NULL;
      g_warning ("%s; %s", error->message,
                 host_entry ? "using the app's own code for this proxy" : "showing a placeholder");
      if (host_entry != NULL)
        child = checked_widget (host_entry, host_entry->func (args), NULL);
      if (child == NULL)
        child = placeholder_new (name);
      generation = NULL;
    }

  proxy = hot_node_new_proxy (name, module ? hot_module_get_name (module) : NULL, args);
  hot_widget_state_record (child);
  hot_node_set_child (proxy, child, generation ? generation->number : 0);
  resolver->proxy_made (proxy, resolver_data);

  return GTK_WIDGET (proxy);
}

/* Whether @proxy lies inside another proxy of @proxies. */
static gboolean
inside_another (HotNode    *proxy,
                GHashTable *set)
{
  for (GtkWidget *up = gtk_widget_get_parent (GTK_WIDGET (proxy)); up != NULL; up = gtk_widget_get_parent (up))
    if (HOT_IS_NODE (up) && g_hash_table_contains (set, up))
      return TRUE;

  return FALSE;
}

/* The proxies a reload of @module rebuilds, held: those of its nodes, and
 * those waiting for a node @generation has, less those inside another of
 * them (their outer node builds them again). */
static GPtrArray *
find_targets (HotModule *module,
              HotTable  *table,
              GPtrArray *proxies)
{
  GPtrArray  *targets = g_ptr_array_new_with_free_func (g_object_unref);
  const char *module_name = hot_module_get_name (module);
  g_autoptr (GHashTable) set = g_hash_table_new (NULL, NULL);

  for (guint i = 0; i < proxies->len; i++)
    {
      HotNode    *proxy = g_ptr_array_index (proxies, i);
      const char *proxy_module = hot_node_get_module (proxy);

      if (g_strcmp0 (proxy_module, module_name) == 0 ||
          (proxy_module == NULL && hot_table_lookup_node (table, hot_node_get_node_name (proxy))))
        g_hash_table_add (set, proxy);
    }

  /* Constructors may make or drop proxies: the targets are held. */
  for (guint i = 0; i < proxies->len; i++)
    {
      HotNode *proxy = g_ptr_array_index (proxies, i);

      if (g_hash_table_contains (set, proxy) && !inside_another (proxy, set))
        g_ptr_array_add (targets, g_object_ref (proxy));
    }

  return targets;
}

/* A generation's code runs under the guard; the app's own as it is. */
static GtkWidget *
build_child (Pass               *pass,
             const HotNodeEntry *entry,
             HotNodeArgs        *args,
             GError            **error)
{
  if (pass->generation == NULL)
    return checked_widget (entry, entry->func (args), error);

  return instantiate_guarded (pass->module, entry, args, error);
}

/* Builds a child for each target from the pass's generation (NULL for a
 * node it no longer has, named in @vanished). On a failure, returns FALSE
 * with what was built so far in @children. */
static gboolean
build_children (Pass         *pass,
                GPtrArray    *targets,
                GPtrArray    *children,
                GStrvBuilder *vanished,
                GError      **error)
{
  const char *module_name = hot_module_get_name (pass->module);

  for (guint i = 0; i < targets->len; i++)
    {
      HotNode            *proxy = g_ptr_array_index (targets, i);
      const char         *name = hot_node_get_node_name (proxy);
      const HotNodeEntry *entry = hot_table_lookup_node (pass->table, name);
      GtkWidget          *child = NULL;

      if (entry == NULL)
        {
          g_message ("Hot node “%s” is no longer in module “%s”; its proxy keeps its previous widget", name,
                     module_name);
          g_strv_builder_add (vanished, name);
        }
      else if ((child = build_child (pass, entry, hot_node_get_args (proxy), error)) == NULL)
        return FALSE;
      else
        g_ptr_array_add (children, g_object_ref_sink (child));

      /* A node it built failed: so does this one. */
      if (pass->error != NULL)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&pass->error), _ ("Building hot node “%s”: "), name);
          return FALSE;
        }
      if (child == NULL)
        g_ptr_array_add (children, NULL);
    }

  return TRUE;
}

/* The messages GTK or GLib logged while a reload built its widgets, as the
 * reload's error. */
static void
set_logged_error (GError    **error,
                  const char *module_name,
                  GPtrArray  *logged)
{
  g_autoptr (GString) messages = g_string_new (NULL);

  for (guint i = 0; i < MIN (logged->len, 10); i++)
    g_string_append_printf (messages, "\n%s", (const char *) g_ptr_array_index (logged, i));
  if (logged->len > 10)
    g_string_append (messages, "\n…");

  g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_LOGGED,
               g_dngettext (GETTEXT_PACKAGE,
                            "The new code of module “%s” logged %u warning or critical while its widgets were built:%s",
                            "The new code of module “%s” logged %u warnings or criticals while its widgets were built:%s",
                            logged->len),
               module_name, logged->len, messages->str);
}

/* Puts @child in @proxy, with the state of the child it replaces. */
static void
swap_child (HotModule     *module,
            HotNode       *proxy,
            GtkWidget     *child,
            HotGeneration *generation,
            gboolean       keep_state)
{
  GtkWidget           *old = hot_node_get_child (proxy);
  HotWidgetStateCarry *carry = NULL;

  if (keep_state && old != NULL && hot_node_get_keep_state (proxy))
    carry = hot_widget_state_carry (hot_node_get_node_name (proxy), old, child);
  else
    hot_widget_state_record (child);

  hot_node_set_module (proxy, hot_module_get_name (module));
  if (generation != NULL)
    hot_generation_track (generation, G_OBJECT (child));
  hot_node_set_child (proxy, child, generation ? generation->number : 0);
  if (carry != NULL)
    hot_widget_state_carry_finish (carry);
}

/**
 * hot_instantiate_generation:
 * @module: the module reloaded
 * @generation: (nullable): its new generation, statics patched; %NULL for
 *   the app's own code
 * @proxies: (element-type HotNode): every live proxy
 * @quarantine: where what failed code built goes (never freed)
 * @keep_state: whether to carry the user's changes to the new children
 * @error: return location for a #GError
 *
 * Rebuilds every proxy of @module's nodes from @generation: builds all new
 * children first, then swaps them in, each getting the state of the child
 * it replaces (with @keep_state, for the proxies that keep theirs). A proxy
 * whose node the generation no longer has keeps its child, and the
 * module's status says so.
 *
 * Returns: whether every child was built (otherwise nothing changed)
 */
gboolean
hot_instantiate_generation (HotModule     *module,
                            HotGeneration *generation,
                            GPtrArray     *proxies,
                            GPtrArray     *quarantine,
                            gboolean       keep_state,
                            GError       **error)
{
  HotTable *table = generation ? generation->table : hot_table_get_host ();
  g_autoptr (GPtrArray) targets = find_targets (module, table, proxies);
  g_autoptr (GPtrArray) children = g_ptr_array_new ();
  g_autoptr (GPtrArray) logged = NULL;
  g_autoptr (GStrvBuilder) vanished = g_strv_builder_new ();
  g_auto (GStrv) vanished_nodes = NULL;
  Pass           pass = { module, generation, table, NULL };
  HotLogCapture *capture;
  gboolean       built;

  if (passes == NULL)
    passes = g_ptr_array_new ();
  g_ptr_array_add (passes, &pass);
  capture = hot_log_capture_begin ();
  built = build_children (&pass, targets, children, vanished, error);
  logged = hot_log_capture_end (capture);
  g_ptr_array_remove_index (passes, passes->len - 1);
  g_clear_error (&pass.error);

  if (!built)
    {
      /* What the failed code built stays alive, unused: destroying it
       * would run that code again. */
      g_ptr_array_extend_and_steal (quarantine, g_steal_pointer (&children));
      return FALSE;
    }

  if (logged != NULL && logged->len > 0)
    {
      /* Its code ran to the end: what it built may go. */
      set_logged_error (error, hot_module_get_name (module), logged);
      for (guint i = 0; i < children->len; i++)
        g_clear_object ((GtkWidget **) &children->pdata[i]);
      return FALSE;
    }

  vanished_nodes = g_strv_builder_end (vanished);
  hot_status_set_vanished_nodes (hot_module_get_status (module), (const char *const *) vanished_nodes);

  for (guint i = 0; i < targets->len; i++)
    {
      HotNode   *proxy = g_ptr_array_index (targets, i);
      GtkWidget *child = g_ptr_array_index (children, i);

      if (child == NULL)
        continue;
      swap_child (module, proxy, child, generation, keep_state);
      g_object_unref (child);
    }

  return TRUE;
}
