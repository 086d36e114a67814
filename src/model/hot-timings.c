/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "hot-timings-private.h"

/**
 * hot_timings_to_variant:
 * @self: timings
 *
 * Returns: (transfer floating): the stages that happened and the builder,
 *   as HotStatus:timings has them (`a{sv}`)
 */
GVariant *
hot_timings_to_variant (const HotTimings *self)
{
  const struct
  {
    const char *name;
    gint64      value;
  } stages[] = {
    { "changed", self->changed },
    { "debounced", self->debounced },
    { "build-started", self->build_started },
    { "build-finished", self->build_finished },
    { "copied", self->copied },
    { "opened", self->opened },
    { "patched", self->patched },
    { "rebuilt", self->rebuilt },
  };
  g_auto (GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE_VARDICT);

  for (guint i = 0; i < G_N_ELEMENTS (stages); i++)
    if (stages[i].value != 0)
      g_variant_builder_add (&builder, "{sv}", stages[i].name, g_variant_new_int64 (stages[i].value));
  g_variant_builder_add (&builder, "{sv}", "builder", g_variant_new_string (self->builder ? self->builder : "none"));

  return g_variant_builder_end (&builder);
}
