/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "hot-error.h"
#include "hot-table-private.h"

/*
 * The tables HOT_NODE() and HOT_STATIC() write into the `hot_nodes` and
 * `hot_statics` linker sections of each image. This file indexes them, keeps
 * the list of host images (registered by a constructor in each of them), and
 * patches the statics of new generations to the host's storage.
 */

struct _HotTable
{
  GHashTable *nodes;   /* name → HotNodeEntry */
  GHashTable *statics; /* owned key → HotStaticEntry */
  GPtrArray  *node_list;
  GPtrArray  *static_list;
};

/* One static of the registry: the host's storage (or an adopted copy), its
 * identity (size and type as spelt), and its initial value for resets. */
typedef struct
{
  gsize    size;
  char    *type;
  char    *file;
  gpointer storage;
  gpointer initial;
  gboolean owned;
} HotStaticSlot;

struct _HotStaticRegistry
{
  GHashTable *slots; /* owned key → HotStaticSlot */
};

G_LOCK_DEFINE_STATIC (registered_images);
static GPtrArray *registered_images;

G_LOCK_DEFINE_STATIC (generations);
static GHashTable *generations; /* HotImage of a loaded module → its number */
static GHashTable *type_counts; /* HotImage → how many types it registered */
static GHashTable *type_names;  /* HotImage → (name in the source → interned registered name) */

void
hot_image_register (const HotImage *image)
{
  g_return_if_fail (image != NULL);

  G_LOCK (registered_images);
  if (registered_images == NULL)
    registered_images = g_ptr_array_new ();
  /* Every translation unit of an image registers the same image. */
  if (!g_ptr_array_find (registered_images, image, NULL))
    g_ptr_array_add (registered_images, (gpointer) image);
  G_UNLOCK (registered_images);
}

/* Called by the loader once a generation's image is known (any thread). */
void
hot_image_set_generation (const HotImage *image,
                          guint           generation)
{
  G_LOCK (generations);
  if (generations == NULL)
    generations = g_hash_table_new (NULL, NULL);
  g_hash_table_insert (generations, (gpointer) image, GUINT_TO_POINTER (generation));
  G_UNLOCK (generations);
}

const char *
hot_module_type_name (const HotImage *image,
                      const char     *name)
{
  static guint     unknown_images;
  guint            generation;
  g_autofree char *unique = NULL;
  GHashTable      *names;

  g_return_val_if_fail (name != NULL, NULL);

  G_LOCK (generations);
  generation = generations ? GPOINTER_TO_UINT (g_hash_table_lookup (generations, image)) : 0;
  if (type_counts == NULL)
    type_counts = g_hash_table_new (NULL, NULL);
  g_hash_table_insert (type_counts, (gpointer) image,
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (type_counts, image)) + 1));

  /* A module opened by something else than the loader still gets a name of
   * its own. */
  if (generation == 0)
    unique = g_strdup_printf ("%s__hotx%u", name, g_atomic_int_add (&unknown_images, 1));
  else
    unique = g_strdup_printf ("%s__hot%u", name, generation);

  if (type_names == NULL)
    type_names = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_hash_table_unref);
  names = g_hash_table_lookup (type_names, image);
  if (names == NULL)
    {
      names = g_hash_table_new (g_str_hash, g_str_equal);
      g_hash_table_insert (type_names, (gpointer) image, names);
    }
  g_hash_table_insert (names, (gpointer) g_intern_string (name), (gpointer) g_intern_string (unique));
  G_UNLOCK (generations);

  return g_intern_string (unique);
}

/* The name @image registered a type under for @name, or NULL. Called with
 * the lock held. */
static const char *
registered_type_name (const HotImage *image,
                      const char     *name,
                      gsize           length)
{
  g_autofree char *key = g_strndup (name, length);
  GHashTable      *names = type_names ? g_hash_table_lookup (type_names, image) : NULL;

  return names ? g_hash_table_lookup (names, key) : NULL;
}

/* Appends the attributes of one start tag (@tag to @end, without the
 * brackets), with the values of `class` and `parent` renamed. */
static void
rewrite_tag (const HotImage *image,
             GString        *out,
             const char     *tag,
             const char     *end)
{
  const char *p = tag;

  while (p < end)
    {
      const char *equals = memchr (p, '=', end - p);
      const char *name, *value, *close;
      const char *renamed;
      char        quote;

      if (equals == NULL || equals + 1 >= end)
        break;
      value = equals + 1;
      while (value < end && g_ascii_isspace (*value))
        value++;
      quote = value < end ? *value : 0;
      close = (quote == '"' || quote == '\'') ? memchr (value + 1, quote, end - value - 1) : NULL;
      if (close == NULL)
        break;

      name = equals;
      while (name > p && g_ascii_isspace (name[-1]))
        name--;
      while (name > p && (g_ascii_isalnum (name[-1]) || name[-1] == '-' || name[-1] == '_'))
        name--;
      renamed = NULL;
      if ((equals - name >= 5 && strncmp (name, "class", 5) == 0 && !g_ascii_isalnum (name[5])) ||
          (equals - name >= 6 && strncmp (name, "parent", 6) == 0 && !g_ascii_isalnum (name[6])))
        renamed = registered_type_name (image, value + 1, close - value - 1);

      g_string_append_len (out, p, value + 1 - p);
      g_string_append_len (out, renamed ? renamed : value + 1, renamed ? (gssize) strlen (renamed) : close - value - 1);
      p = close;
    }
  g_string_append_len (out, p, end - p);
}

/* hot_module_template_rewrite: (documented in hot-macros.h)
 *
 * Renames, in the `class` and `parent` attributes of `<template>` and
 * `<object>` elements, the types that @image registered to the names it
 * registered them under (hot_module_type_name()), so that a template of
 * a generation describes that generation's types. Everything else is kept
 * byte for byte (line numbers of errors stay right). Called by the wrappers
 * `<hotnode.h>` puts into hot modules; not for direct use. Returns the
 * rewritten XML. */
GBytes *
hot_module_template_rewrite (const HotImage *image,
                             GBytes         *xml)
{
  gsize       size;
  const char *data = g_bytes_get_data (xml, &size);
  const char *end = data + size;
  const char *p = data;
  GString    *out = g_string_sized_new (size + 64);

  G_LOCK (generations);
  while (p < end)
    {
      const char *open = memchr (p, '<', end - p);
      const char *name, *close;
      gsize       name_length;

      if (open == NULL)
        break;
      name = open + 1;
      name_length = 0;
      while (name + name_length < end && (g_ascii_isalnum (name[name_length]) || name[name_length] == '_'))
        name_length++;
      close = memchr (open, '>', end - open);
      g_string_append_len (out, p, name + name_length - p);
      p = name + name_length;
      if (close != NULL && ((name_length == 8 && strncmp (name, "template", 8) == 0) ||
                            (name_length == 6 && strncmp (name, "object", 6) == 0)))
        {
          rewrite_tag (image, out, p, close);
          p = close;
        }
    }
  G_UNLOCK (generations);
  g_string_append_len (out, p, end - p);

  return g_string_free_to_bytes (out);
}

/* How many GTypes a loaded module registered: such a module can never be
 * closed (GType cannot unregister them). */
guint
hot_image_get_type_count (const HotImage *image)
{
  guint count;

  G_LOCK (generations);
  count = type_counts ? GPOINTER_TO_UINT (g_hash_table_lookup (type_counts, image)) : 0;
  G_UNLOCK (generations);

  return count;
}

/* Before a module is closed: its address may be reused by the next one. */
void
hot_image_forget (const HotImage *image)
{
  G_LOCK (generations);
  if (generations != NULL)
    g_hash_table_remove (generations, image);
  if (type_counts != NULL)
    g_hash_table_remove (type_counts, image);
  if (type_names != NULL)
    g_hash_table_remove (type_names, image);
  G_UNLOCK (generations);
}

/**
 * hot_table_get_host:
 *
 * Returns: (transfer none): the tables of the executable and the shared
 *   libraries linked into it: the code that runs before any reload, and
 *   all of it when hot reload is off
 */
HotTable *
hot_table_get_host (void)
{
  static HotTable *host_table;

  if (g_once_init_enter (&host_table))
    g_once_init_leave (&host_table, hot_table_new_for_host ());

  return host_table;
}

const HotImage *const *
hot_image_get_registered (guint *n_images)
{
  const HotImage *const *images = NULL;

  G_LOCK (registered_images);
  *n_images = registered_images ? registered_images->len : 0;
  if (registered_images)
    images = (const HotImage *const *) registered_images->pdata;
  G_UNLOCK (registered_images);

  return images;
}

gboolean
hot_image_check_abi (const HotImage *image,
                     const char     *where,
                     GError        **error)
{
  if (image->abi != HOT_ABI_VERSION || image->size != sizeof (HotImage))
    {
      g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_ABI,
                   _ ("%s was built against hotnode ABI %u, this app uses ABI %u: rebuild it against this hotnode"),
                   where, image->abi, HOT_ABI_VERSION);
      return FALSE;
    }
  return TRUE;
}

char *
hot_static_entry_dup_key (const HotStaticEntry *entry)
{
  return g_strconcat (entry->file, ":", entry->name, NULL);
}

HotTable *
hot_table_new (void)
{
  HotTable *self = g_new0 (HotTable, 1);

  self->nodes = g_hash_table_new (g_str_hash, g_str_equal);
  self->statics = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->node_list = g_ptr_array_new ();
  self->static_list = g_ptr_array_new ();

  return self;
}

void
hot_table_free (HotTable *self)
{
  g_clear_pointer (&self->nodes, g_hash_table_unref);
  g_clear_pointer (&self->statics, g_hash_table_unref);
  g_clear_pointer (&self->node_list, g_ptr_array_unref);
  g_clear_pointer (&self->static_list, g_ptr_array_unref);
  g_free (self);
}

static gboolean
check_entry_abi (guint32     abi,
                 const char *file,
                 const char *name,
                 GError    **error)
{
  if (abi == HOT_ABI_VERSION)
    return TRUE;

  g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_ABI,
               _ ("Entry “%s” of %s was built against hotnode ABI %u, this app uses ABI %u"),
               name ? name : "?", file ? file : "?", abi, HOT_ABI_VERSION);
  return FALSE;
}

/* What is missing from an entry that HOT_NODE () or HOT_STATIC () would
 * have filled, or NULL. */
static const char *
node_entry_lacks (const HotNodeEntry *entry)
{
  if (entry->name == NULL || *entry->name == '\0')
    return _ ("name");
  if (entry->file == NULL || *entry->file == '\0')
    return _ ("file");
  if (entry->func == NULL)
    return _ ("function");
  return NULL;
}

static const char *
static_entry_lacks (const HotStaticEntry *entry)
{
  if (entry->name == NULL || *entry->name == '\0')
    return _ ("name");
  if (entry->file == NULL || *entry->file == '\0')
    return _ ("file");
  if (entry->size == 0)
    return _ ("size");
  if (entry->ref == NULL || entry->storage == NULL)
    return _ ("storage");
  if (entry->type == NULL || *entry->type == '\0')
    return _ ("type");
  return NULL;
}

static gboolean
check_entry (const char *table,
             guint       index,
             const char *lacks,
             const char *name,
             const char *file,
             GError    **error)
{
  if (lacks == NULL)
    return TRUE;

  g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_BAD_ENTRY,
               _ ("Entry %u of the %s table (“%s” in %s) has no %s: it was not made by HOT_NODE () or "
                  "HOT_STATIC (); remove the code that writes it"),
               index, table, name && *name ? name : "?", file && *file ? file : "?", lacks);
  return FALSE;
}

/**
 * hot_table_add_image:
 * @self: a table
 * @image: an image's tables
 * @error: return location for a [struct@GLib.Error]
 *
 * Adds every entry of @image. On error nothing is added: a node name or a
 * static key that is already in the table gives
 * %HOT_RELOAD_ERROR_DUPLICATE_KEY, a foreign ABI %HOT_RELOAD_ERROR_ABI.
 */
gboolean
hot_table_add_image (HotTable       *self,
                     const HotImage *image,
                     GError        **error)
{
  g_autoptr (GHashTable) new_nodes = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) new_statics = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter iter;
  gpointer       key, value;

  g_assert (self != NULL);
  g_assert (image != NULL);

  for (HotNodeEntry *entry = image->nodes_start; entry && entry < image->nodes_end; entry++)
    {
      const HotNodeEntry *other;

      if (!check_entry_abi (entry->abi, entry->file, entry->name, error) ||
          !check_entry ("hot_nodes", entry - image->nodes_start, node_entry_lacks (entry), entry->name, entry->file,
                        error))
        return FALSE;

      other = g_hash_table_lookup (self->nodes, entry->name);
      if (other == NULL)
        other = g_hash_table_lookup (new_nodes, entry->name);
      if (other != NULL)
        {
          g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_DUPLICATE_KEY,
                       _ ("Hot node “%s” is defined twice: %s:%u and %s:%u"),
                       entry->name, other->file, other->line, entry->file, entry->line);
          return FALSE;
        }
      g_hash_table_insert (new_nodes, (gpointer) entry->name, entry);
    }

  for (HotStaticEntry *entry = image->statics_start; entry && entry < image->statics_end; entry++)
    {
      g_autofree char *static_key = NULL;

      if (!check_entry_abi (entry->abi, entry->file, entry->name, error) ||
          !check_entry ("hot_statics", entry - image->statics_start, static_entry_lacks (entry), entry->name,
                        entry->file, error))
        return FALSE;

      static_key = hot_static_entry_dup_key (entry);
      if (g_hash_table_contains (self->statics, static_key) ||
          g_hash_table_contains (new_statics, static_key))
        {
          g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_DUPLICATE_KEY,
                       _ ("Hot static “%s” is defined twice in %s"),
                       entry->name, entry->file);
          return FALSE;
        }
      g_hash_table_insert (new_statics, g_steal_pointer (&static_key), entry);
    }

  g_hash_table_iter_init (&iter, new_nodes);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_hash_table_insert (self->nodes, key, value);
      g_ptr_array_add (self->node_list, value);
    }

  g_hash_table_iter_init (&iter, new_statics);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_hash_table_iter_steal (&iter);
      g_hash_table_insert (self->statics, key, value);
      g_ptr_array_add (self->static_list, value);
    }

  return TRUE;
}

/**
 * hot_table_new_for_host:
 *
 * Indexes the tables of the executable and of the shared libraries linked
 * into it: the code that runs before any reload. An image that cannot be
 * added (another ABI, a name defined in two images) is left out with a
 * warning.
 *
 * Returns: (transfer full): a new table
 */
HotTable *
hot_table_new_for_host (void)
{
  HotTable              *self = hot_table_new ();
  const HotImage *const *images;
  guint                  n_images;

  images = hot_image_get_registered (&n_images);
  for (guint i = 0; i < n_images; i++)
    {
      g_autoptr (GError) error = NULL;

      if (!hot_image_check_abi (images[i], _ ("An image of this app"), &error) ||
          !hot_table_add_image (self, images[i], &error))
        g_warning ("Ignoring the hot nodes of an image of this app: %s", error->message);
    }

  return self;
}

const HotNodeEntry *
hot_table_lookup_node (HotTable   *self,
                       const char *name)
{
  return g_hash_table_lookup (self->nodes, name);
}

GPtrArray *
hot_table_get_nodes (HotTable *self)
{
  return self->node_list;
}

GPtrArray *
hot_table_get_statics (HotTable *self)
{
  return self->static_list;
}

static void
hot_static_slot_free (gpointer data)
{
  HotStaticSlot *slot = data;

  if (slot->owned)
    g_free (slot->storage);
  g_free (slot->initial);
  g_free (slot->type);
  g_free (slot->file);
  g_free (slot);
}

/* A slot for @entry over @storage, which holds the initial value now. */
static HotStaticSlot *
slot_new (const HotStaticEntry *entry,
          gpointer              storage,
          gboolean              owned)
{
  HotStaticSlot *slot = g_new0 (HotStaticSlot, 1);

  slot->size = entry->size;
  slot->type = g_strdup (entry->type);
  slot->file = g_strdup (entry->file);
  slot->storage = storage;
  slot->initial = g_memdup2 (storage, entry->size);
  slot->owned = owned;

  return slot;
}

HotStaticRegistry *
hot_static_registry_new (void)
{
  HotStaticRegistry *self = g_new0 (HotStaticRegistry, 1);

  self->slots = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, hot_static_slot_free);

  return self;
}

void
hot_static_registry_free (HotStaticRegistry *self)
{
  g_clear_pointer (&self->slots, g_hash_table_unref);
  g_free (self);
}

/**
 * hot_static_registry_capture:
 * @self: a registry
 * @host: the host's table
 *
 * Registers the host's own storage of each of its statics, with a copy of
 * what it holds now as the value a reset gives back. The table has already
 * refused duplicate keys.
 */
void
hot_static_registry_capture (HotStaticRegistry *self,
                             HotTable          *host)
{
  for (guint i = 0; i < host->static_list->len; i++)
    {
      const HotStaticEntry *entry = g_ptr_array_index (host->static_list, i);

      g_hash_table_replace (self->slots, hot_static_entry_dup_key (entry), slot_new (entry, *entry->ref, FALSE));
    }
}

/**
 * hot_static_registry_patch:
 * @self: a registry
 * @generation: the table of a newly loaded generation
 * @error: return location for a [struct@GLib.Error]
 *
 * Points every static of @generation at the registered storage of its key,
 * adopting the statics the registry does not know yet. Sizes and types are
 * checked first: on %HOT_RELOAD_ERROR_STATIC_SIZE or
 * %HOT_RELOAD_ERROR_STATIC_TYPE nothing has been patched.
 */
gboolean
hot_static_registry_patch (HotStaticRegistry *self,
                           HotTable          *generation,
                           GError           **error)
{
  GPtrArray *statics = generation->static_list;

  for (guint i = 0; i < statics->len; i++)
    {
      const HotStaticEntry *entry = g_ptr_array_index (statics, i);
      g_autofree char      *key = hot_static_entry_dup_key (entry);
      HotStaticSlot        *slot = g_hash_table_lookup (self->slots, key);

      if (slot != NULL && slot->size != entry->size)
        {
          g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_STATIC_SIZE,
                       _ ("Hot static “%s” in %s changed its size from %lu to %u bytes; "
                          "restart the app to change its type, or give it a new name"),
                       entry->name, entry->file, (unsigned long) slot->size, entry->size);
          return FALSE;
        }
      if (slot != NULL && g_strcmp0 (slot->type, entry->type) != 0)
        {
          g_set_error (error, HOT_RELOAD_ERROR, HOT_RELOAD_ERROR_STATIC_TYPE,
                       _ ("Hot static “%s” in %s changed its type from “%s” to “%s”; "
                          "restart the app to change its type, or give it a new name"),
                       entry->name, entry->file, slot->type, entry->type);
          return FALSE;
        }
    }

  for (guint i = 0; i < statics->len; i++)
    {
      const HotStaticEntry *entry = g_ptr_array_index (statics, i);
      g_autofree char      *key = hot_static_entry_dup_key (entry);
      HotStaticSlot        *slot = g_hash_table_lookup (self->slots, key);

      if (slot == NULL)
        {
          slot = slot_new (entry, g_memdup2 (entry->storage, entry->size), TRUE);
          g_debug ("Adopted new hot static %s", key);
          g_hash_table_insert (self->slots, g_steal_pointer (&key), slot);
        }
      *entry->ref = slot->storage;
    }

  return TRUE;
}

gpointer
hot_static_registry_lookup (HotStaticRegistry *self,
                            const char        *key)
{
  HotStaticSlot *slot = g_hash_table_lookup (self->slots, key);

  return slot ? slot->storage : NULL;
}

/**
 * hot_static_registry_reset:
 * @self: a registry
 * @in_module: whether a static of this file is one to reset
 * @user_data: for @in_module
 *
 * Gives the statics @in_module picks the value they had when the registry
 * learnt of them: the host's at capture, an adopted one's initial value.
 *
 * Returns: how many statics were reset
 */
guint
hot_static_registry_reset (HotStaticRegistry *self,
                           gboolean (*in_module) (const char *file, gpointer user_data),
                           gpointer user_data)
{
  GHashTableIter iter;
  HotStaticSlot *slot;
  guint          count = 0;

  g_hash_table_iter_init (&iter, self->slots);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &slot))
    if (in_module (slot->file, user_data))
      {
        memcpy (slot->storage, slot->initial, slot->size);
        count++;
      }

  return count;
}
