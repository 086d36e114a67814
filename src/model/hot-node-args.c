/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "hot-node-args.h"

/**
 * HotNodeArgs:
 *
 * The arguments of a hot node: values by key as [struct@GLib.Variant], and
 * objects by key. A proxy keeps its arguments across reloads and hands the
 * same ones to every generation of its constructor. Values are typed and
 * serialised, so a struct that changed its layout in the new code cannot
 * misread them; a getter that finds a value of another type warns, naming the
 * key, and returns the default.
 *
 * All getters accept %NULL arguments and return the default.
 *
 * Since: 0.1
 */

struct _HotNodeArgs
{
  gatomicrefcount ref_count;
  GHashTable     *values;  /* owned key → GVariant */
  GHashTable     *objects; /* owned key → GObject */
};

G_DEFINE_BOXED_TYPE (HotNodeArgs, hot_node_args, hot_node_args_ref, hot_node_args_unref)

/**
 * hot_node_args_new:
 *
 * Creates empty arguments.
 *
 * Returns: (transfer full): new arguments
 *
 * Since: 0.1
 */
HotNodeArgs *
hot_node_args_new (void)
{
  HotNodeArgs *self = g_new0 (HotNodeArgs, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) g_variant_unref);
  self->objects = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);

  return self;
}

/**
 * hot_node_args_ref:
 * @self: arguments
 *
 * Takes a reference to @self.
 *
 * Returns: (transfer full): @self
 *
 * Since: 0.1
 */
HotNodeArgs *
hot_node_args_ref (HotNodeArgs *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);

  return self;
}

/**
 * hot_node_args_unref:
 * @self: (transfer full): arguments
 *
 * Drops a reference; the last one frees the arguments.
 *
 * Since: 0.1
 */
void
hot_node_args_unref (HotNodeArgs *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_hash_table_unref (self->values);
  g_hash_table_unref (self->objects);
  g_free (self);
}

/**
 * hot_node_args_set_value:
 * @self: arguments
 * @key: the key
 * @value: (nullable): the value; a floating reference is sunk. %NULL removes
 *   the key
 *
 * Sets the value of @key.
 *
 * Since: 0.1
 */
void
hot_node_args_set_value (HotNodeArgs *self,
                         const char  *key,
                         GVariant    *value)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (key != NULL);

  if (value == NULL)
    g_hash_table_remove (self->values, key);
  else
    g_hash_table_replace (self->values, g_strdup (key), g_variant_ref_sink (value));
}

/**
 * hot_node_args_get_value:
 * @self: (nullable): arguments
 * @key: the key
 * @expected_type: (nullable): the type the caller expects, or %NULL for any
 *
 * Looks up the value of @key. A value of another type than @expected_type is
 * reported with a warning that names the key, and not returned.
 *
 * Returns: (transfer none) (nullable): the value
 *
 * Since: 0.1
 */
GVariant *
hot_node_args_get_value (HotNodeArgs        *self,
                         const char         *key,
                         const GVariantType *expected_type)
{
  GVariant *value;

  g_return_val_if_fail (key != NULL, NULL);

  if (self == NULL)
    return NULL;

  value = g_hash_table_lookup (self->values, key);
  if (value != NULL && expected_type != NULL && !g_variant_is_of_type (value, expected_type))
    {
      g_autofree char *expected = g_variant_type_dup_string (expected_type);

      g_warning (_ ("Hot node argument “%s” is of type “%s”, the code expects “%s”; using the default"),
                 key, g_variant_get_type_string (value), expected);
      return NULL;
    }

  return value;
}

/**
 * hot_node_args_set_int:
 * @self: arguments
 * @key: the key
 * @value: the value
 *
 * Sets @key to a 64-bit integer.
 *
 * Since: 0.1
 */
void
hot_node_args_set_int (HotNodeArgs *self,
                       const char  *key,
                       gint64       value)
{
  hot_node_args_set_value (self, key, g_variant_new_int64 (value));
}

/**
 * hot_node_args_get_int:
 * @self: (nullable): arguments
 * @key: the key
 * @default_value: the value when @key is unset or not an integer
 *
 * Gets the integer value of @key.
 *
 * Returns: the integer value of @key
 *
 * Since: 0.1
 */
gint64
hot_node_args_get_int (HotNodeArgs *self,
                       const char  *key,
                       gint64       default_value)
{
  GVariant *value = hot_node_args_get_value (self, key, G_VARIANT_TYPE_INT64);

  return value ? g_variant_get_int64 (value) : default_value;
}

/**
 * hot_node_args_set_double:
 * @self: arguments
 * @key: the key
 * @value: the value
 *
 * Sets @key to a double.
 *
 * Since: 0.1
 */
void
hot_node_args_set_double (HotNodeArgs *self,
                          const char  *key,
                          double       value)
{
  hot_node_args_set_value (self, key, g_variant_new_double (value));
}

/**
 * hot_node_args_get_double:
 * @self: (nullable): arguments
 * @key: the key
 * @default_value: the value when @key is unset or not a double
 *
 * Gets the double value of @key.
 *
 * Returns: the double value of @key
 *
 * Since: 0.1
 */
double
hot_node_args_get_double (HotNodeArgs *self,
                          const char  *key,
                          double       default_value)
{
  GVariant *value = hot_node_args_get_value (self, key, G_VARIANT_TYPE_DOUBLE);

  return value ? g_variant_get_double (value) : default_value;
}

/**
 * hot_node_args_set_boolean:
 * @self: arguments
 * @key: the key
 * @value: the value
 *
 * Sets @key to a boolean.
 *
 * Since: 0.1
 */
void
hot_node_args_set_boolean (HotNodeArgs *self,
                           const char  *key,
                           gboolean     value)
{
  hot_node_args_set_value (self, key, g_variant_new_boolean (value));
}

/**
 * hot_node_args_get_boolean:
 * @self: (nullable): arguments
 * @key: the key
 * @default_value: the value when @key is unset or not a boolean
 *
 * Gets the boolean value of @key.
 *
 * Returns: the boolean value of @key
 *
 * Since: 0.1
 */
gboolean
hot_node_args_get_boolean (HotNodeArgs *self,
                           const char  *key,
                           gboolean     default_value)
{
  GVariant *value = hot_node_args_get_value (self, key, G_VARIANT_TYPE_BOOLEAN);

  return value ? g_variant_get_boolean (value) : default_value;
}

/**
 * hot_node_args_set_string:
 * @self: arguments
 * @key: the key
 * @value: the value
 *
 * Sets @key to a string.
 *
 * Since: 0.1
 */
void
hot_node_args_set_string (HotNodeArgs *self,
                          const char  *key,
                          const char  *value)
{
  g_return_if_fail (value != NULL);

  hot_node_args_set_value (self, key, g_variant_new_string (value));
}

/**
 * hot_node_args_get_string:
 * @self: (nullable): arguments
 * @key: the key
 * @default_value: (nullable): the value when @key is unset or not a string
 *
 * Gets the string value of @key, valid while @self holds it.
 *
 * Returns: (transfer none) (nullable): the string value of @key, valid while
 *   @self holds it
 *
 * Since: 0.1
 */
const char *
hot_node_args_get_string (HotNodeArgs *self,
                          const char  *key,
                          const char  *default_value)
{
  GVariant *value = hot_node_args_get_value (self, key, G_VARIANT_TYPE_STRING);

  return value ? g_variant_get_string (value, NULL) : default_value;
}

/**
 * hot_node_args_set_object:
 * @self: arguments
 * @key: the key
 * @object: (type GObject) (nullable): the object; %NULL removes the key
 *
 * Sets the object of @key, holding a reference to it. Objects are shared
 * with the app as they are: their class must not come from a hot module.
 *
 * Since: 0.1
 */
void
hot_node_args_set_object (HotNodeArgs *self,
                          const char  *key,
                          gpointer     object)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (key != NULL);
  g_return_if_fail (object == NULL || G_IS_OBJECT (object));

  if (object == NULL)
    g_hash_table_remove (self->objects, key);
  else
    g_hash_table_replace (self->objects, g_strdup (key), g_object_ref (object));
}

/**
 * hot_node_args_get_object:
 * @self: (nullable): arguments
 * @key: the key
 *
 * Gets the object of @key.
 *
 * Returns: (type GObject) (transfer none) (nullable): the object of @key
 *
 * Since: 0.1
 */
gpointer
hot_node_args_get_object (HotNodeArgs *self,
                          const char  *key)
{
  g_return_val_if_fail (key != NULL, NULL);

  return self ? g_hash_table_lookup (self->objects, key) : NULL;
}
