/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(_HOTNODE_INSIDE) && !defined(HOTNODE_COMPILATION)
#error "Only <hotnode.h> can be included directly."
#endif

#include <glib.h>

#include "hotnode-version.h"

G_BEGIN_DECLS

/**
 * HOT_ABI_VERSION:
 *
 * The version of the layout of the tables below. An image whose tables carry
 * another version is refused by the loader before any of its code runs.
 *
 * Since: 0.1
 */
#define HOT_ABI_VERSION 2

typedef struct _HotNodeArgs HotNodeArgs;

/**
 * HotNodeFunc: (skip)
 * @args: (nullable): the arguments given to [ctor@Hot.Node.new]
 *
 * A widget constructor, as defined by HOT_NODE().
 *
 * Returns: the new widget (floating)
 *
 * Since: 0.1
 */
typedef struct _GtkWidget *(*HotNodeFunc) (HotNodeArgs *args);

/**
 * HotNodeEntry: (skip)
 * @abi: %HOT_ABI_VERSION of the code that made the entry
 * @line: the line of the definition
 * @name: the node name, as given to HOT_NODE()
 * @file: the source file, as the compiler saw it (`__FILE__`)
 * @func: the constructor
 *
 * One entry of the `hot_nodes` linker section. Written by HOT_NODE(); never
 * made by hand.
 *
 * Since: 0.1
 */
typedef struct _HotNodeEntry
{
  guint32     abi;
  guint32     line;
  const char *name;
  const char *file;
  HotNodeFunc func;
} HotNodeEntry;

/**
 * HotStaticEntry: (skip)
 * @abi: %HOT_ABI_VERSION of the code that made the entry
 * @size: `sizeof` the value
 * @name: the static's name
 * @file: the source file, as the compiler saw it (`__FILE__`)
 * @ref: the address of the pointer that HOT_STATIC_REF() goes through
 * @storage: this image's own storage, holding the initial value
 * @type: the type as it is spelt in the source (`#type`): part of the
 *   static's identity, with its size (since ABI 2)
 *
 * One entry of the `hot_statics` linker section. Written by HOT_STATIC();
 * never made by hand.
 *
 * Since: 0.1
 */
typedef struct _HotStaticEntry
{
  guint32     abi;
  guint32     size;
  const char *name;
  const char *file;
  void      **ref;
  void       *storage;
  const char *type;
} HotStaticEntry;

/**
 * HotImage: (skip)
 * @abi: %HOT_ABI_VERSION
 * @size: `sizeof (HotImage)`
 * @nodes_start: first node entry of the image, or %NULL
 * @nodes_end: one past the last node entry, or %NULL
 * @statics_start: first static entry of the image, or %NULL
 * @statics_end: one past the last static entry, or %NULL
 *
 * The tables of one image: the executable, a shared library, or one loaded
 * generation of a hot module. Each image sees only its own entries.
 *
 * Since: 0.1
 */
typedef struct _HotImage
{
  guint32         abi;
  guint32         size;
  HotNodeEntry   *nodes_start;
  HotNodeEntry   *nodes_end;
  HotStaticEntry *statics_start;
  HotStaticEntry *statics_end;
} HotImage;

/**
 * hot_module_type_name: (skip)
 * @image: the tables of the calling hot module
 * @name: the name a type is registered under in the source
 *
 * Gives a type of a hot module generation its own name (`Name__hot3`), so
 * that each generation registers its own types and runs its own
 * `class_init`: GType never registers a name twice and cannot unregister
 * one. Called by the registration wrappers `<hotnode.h>` puts into hot
 * modules; not for direct use.
 *
 * Returns: (transfer none): an interned type name
 *
 * Since: 0.1
 */
HOTNODE_AVAILABLE_IN_ALL
const char *hot_module_type_name (const HotImage *image,
                                  const char     *name);

/**
 * hot_module_template_rewrite: (skip)
 * @image: the tables of the calling hot module
 * @xml: a GtkBuilder template
 *
 * Renames the types @image registered in the `class` and `parent`
 * attributes of the template's `<template>` and `<object>` elements to the
 * names this generation registered them under (hot_module_type_name()).
 * Called by the template wrappers `<hotnode.h>` puts into hot modules; not
 * for direct use.
 *
 * Returns: (transfer full): the rewritten template
 *
 * Since: 0.1
 */
HOTNODE_AVAILABLE_IN_ALL
GBytes *hot_module_template_rewrite (const HotImage *image,
                                     GBytes         *xml);

/**
 * hot_image_register: (skip)
 * @image: the tables of the calling image
 *
 * Tells hotnode about the tables of an image linked into the process. Called
 * from a constructor that `<hotnode.h>` emits; not for direct use.
 *
 * Since: 0.1
 */
HOTNODE_AVAILABLE_IN_ALL
void hot_image_register (const HotImage *image);

/* clang-format off */
#define _HOT_SECTION(section_name) \
  __attribute__ ((used, section (section_name), aligned (8)))

/**
 * HOT_NODE: (skip)
 * @node_name: the name of the constructor, a C identifier
 *
 * Defines a widget constructor `GtkWidget *node_name (HotNodeArgs *args)`
 * that [ctor@Hot.Node.new] can find by name and that hot reload rebuilds when
 * its module changes. The function body follows the macro:
 *
 * |[<!-- language="C" -->
 * HOT_NODE (counter_panel)
 * {
 *   return gtk_label_new ("Hello");
 * }
 * ]|
 *
 * The entry goes to a linker section of the image the code is linked into.
 * When the code is in a static library, link it with `link_whole` (or
 * `--whole-archive`): the linker drops unreferenced archive members, and
 * their entries with them.
 *
 * Since: 0.1
 */
#define HOT_NODE(node_name) \
  struct _GtkWidget *node_name (HotNodeArgs *args); \
  static HotNodeEntry _hot_node_entry_##node_name _HOT_SECTION ("hot_nodes") \
    = { HOT_ABI_VERSION, __LINE__, #node_name, __FILE__, node_name }; \
  struct _GtkWidget *node_name (HotNodeArgs *args)

/**
 * HOT_STATIC: (skip)
 * @type: the type of the value
 * @name: the name of the static, a C identifier unique in its file
 * @...: the initial value (braces allowed)
 *
 * Defines a static whose storage is the host's: when hot reload loads a new
 * generation of the module, the new code reads and writes the same storage
 * as the code before it, so the value survives reloads. Read and write it
 * with HOT_STATIC_REF(). The key is the file and the name; changing the type
 * under the same key makes the reload fail, never reinterpreting the bytes:
 * with %HOT_RELOAD_ERROR_STATIC_SIZE when its size changed, with
 * %HOT_RELOAD_ERROR_STATIC_TYPE when only its spelling did (`int` to
 * `float`). A change inside a struct type of the same name and size is not
 * seen: rename the static.
 *
 * Since: 0.1
 */
#define HOT_STATIC(type, name, ...) \
  static type _hot_static_storage_##name = __VA_ARGS__; \
  static type *_hot_static_ref_##name = &_hot_static_storage_##name; \
  static HotStaticEntry _hot_static_entry_##name _HOT_SECTION ("hot_statics") \
    = { HOT_ABI_VERSION, sizeof (type), #name, __FILE__, \
        (void **) &_hot_static_ref_##name, &_hot_static_storage_##name, #type }

/**
 * HOT_STATIC_REF: (skip)
 * @name: a static defined with HOT_STATIC()
 *
 * The static's value, as an lvalue: `HOT_STATIC_REF (clicks) += 1` works.
 *
 * Since: 0.1
 */
#define HOT_STATIC_REF(name) (*_hot_static_ref_##name)
/* clang-format on */

#if !defined(HOTNODE_COMPILATION)
/* Hidden and weak: every image binds these to its own section, and an image
 * with no entries sees NULL instead of another image's table. */
extern HotNodeEntry   __start_hot_nodes[] __attribute__ ((weak, visibility ("hidden")));
extern HotNodeEntry   __stop_hot_nodes[] __attribute__ ((weak, visibility ("hidden")));
extern HotStaticEntry __start_hot_statics[] __attribute__ ((weak, visibility ("hidden")));
extern HotStaticEntry __stop_hot_statics[] __attribute__ ((weak, visibility ("hidden")));

/* clang-format off */
#define _HOT_IMAGE_INIT \
  { HOT_ABI_VERSION, sizeof (HotImage), __start_hot_nodes, __stop_hot_nodes, \
    __start_hot_statics, __stop_hot_statics }
/* clang-format on */

#if defined(HOT_MODULE_SHARED)
/* A hot module (built with the hotnode-module-1 dependency): the loader reads
 * this one exported symbol; no code of the module runs to hand it over. */
__attribute__ ((weak, visibility ("default"))) const HotImage hot_module_image = _HOT_IMAGE_INIT;

/* hotnode-module-1 links modules with --wrap for GLib's type registration
 * functions: G_DEFINE_TYPE, G_DEFINE_INTERFACE, G_DEFINE_ENUM_TYPE,
 * G_DEFINE_BOXED_TYPE and friends in a module reach these wrappers, which
 * register the type under the generation's own name. */
#include <gio/gio.h>

/* clang-format off */
#define _HOT_WRAPPER __attribute__ ((weak, visibility ("hidden")))

GType __real_g_type_register_static_simple (GType, const gchar *, guint, GClassInitFunc, guint, GInstanceInitFunc, GTypeFlags);
GType __wrap_g_type_register_static_simple (GType, const gchar *, guint, GClassInitFunc, guint, GInstanceInitFunc, GTypeFlags);
_HOT_WRAPPER GType
__wrap_g_type_register_static_simple (GType parent, const gchar *name, guint class_size, GClassInitFunc class_init,
                                      guint instance_size, GInstanceInitFunc instance_init, GTypeFlags flags)
{
  return __real_g_type_register_static_simple (parent, hot_module_type_name (&hot_module_image, name), class_size,
                                               class_init, instance_size, instance_init, flags);
}

GType __real_g_type_register_static (GType, const gchar *, const GTypeInfo *, GTypeFlags);
GType __wrap_g_type_register_static (GType, const gchar *, const GTypeInfo *, GTypeFlags);
_HOT_WRAPPER GType
__wrap_g_type_register_static (GType parent, const gchar *name, const GTypeInfo *info, GTypeFlags flags)
{
  return __real_g_type_register_static (parent, hot_module_type_name (&hot_module_image, name), info, flags);
}

GType __real_g_enum_register_static (const gchar *, const GEnumValue *);
GType __wrap_g_enum_register_static (const gchar *, const GEnumValue *);
_HOT_WRAPPER GType
__wrap_g_enum_register_static (const gchar *name, const GEnumValue *values)
{
  return __real_g_enum_register_static (hot_module_type_name (&hot_module_image, name), values);
}

GType __real_g_flags_register_static (const gchar *, const GFlagsValue *);
GType __wrap_g_flags_register_static (const gchar *, const GFlagsValue *);
_HOT_WRAPPER GType
__wrap_g_flags_register_static (const gchar *name, const GFlagsValue *values)
{
  return __real_g_flags_register_static (hot_module_type_name (&hot_module_image, name), values);
}

GType __real_g_boxed_type_register_static (const gchar *, GBoxedCopyFunc, GBoxedFreeFunc);
GType __wrap_g_boxed_type_register_static (const gchar *, GBoxedCopyFunc, GBoxedFreeFunc);
_HOT_WRAPPER GType
__wrap_g_boxed_type_register_static (const gchar *name, GBoxedCopyFunc copy, GBoxedFreeFunc free_func)
{
  return __real_g_boxed_type_register_static (hot_module_type_name (&hot_module_image, name), copy, free_func);
}

GType __real_g_pointer_type_register_static (const gchar *);
GType __wrap_g_pointer_type_register_static (const gchar *);
_HOT_WRAPPER GType
__wrap_g_pointer_type_register_static (const gchar *name)
{
  return __real_g_pointer_type_register_static (hot_module_type_name (&hot_module_image, name));
}

/* Composite templates name their type (`<template class="Foo">`): a
 * generation's template must name the generation's type (`Foo__hot2`). */
struct _GtkWidgetClass;
void __real_gtk_widget_class_set_template (struct _GtkWidgetClass *, GBytes *);
void __wrap_gtk_widget_class_set_template (struct _GtkWidgetClass *, GBytes *);
_HOT_WRAPPER void
__wrap_gtk_widget_class_set_template (struct _GtkWidgetClass *widget_class, GBytes *template_bytes)
{
  GBytes *renamed = hot_module_template_rewrite (&hot_module_image, template_bytes);

  __real_gtk_widget_class_set_template (widget_class, renamed);
  g_bytes_unref (renamed);
}

void __wrap_gtk_widget_class_set_template_from_resource (struct _GtkWidgetClass *, const char *);
_HOT_WRAPPER void
__wrap_gtk_widget_class_set_template_from_resource (struct _GtkWidgetClass *widget_class, const char *resource_name)
{
  GError *error = NULL;
  GBytes *bytes = g_resources_lookup_data (resource_name, G_RESOURCE_LOOKUP_FLAGS_NONE, &error);

  if (bytes == NULL)
    {
      g_critical ("Unable to load resource for composite template for type '%s': %s",
                  G_OBJECT_CLASS_NAME (widget_class), error->message);
      g_error_free (error);
      return;
    }
  __wrap_gtk_widget_class_set_template (widget_class, bytes);
  g_bytes_unref (bytes);
}
/* clang-format on */
#else
__attribute__ ((weak, visibility ("hidden"))) const HotImage _hot_host_image = _HOT_IMAGE_INIT;

static void __attribute__ ((constructor, used))
_hot_host_image_register (void)
{
  hot_image_register (&_hot_host_image);
}
#endif
#endif

G_END_DECLS
