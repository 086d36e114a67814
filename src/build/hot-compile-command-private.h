/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "hot-project-private.h"

G_BEGIN_DECLS

const char *hot_compile_command_compiler (const HotCompileCommand *command);
GStrv       hot_compile_command_argv (const HotCompileCommand *command,
                                      const char              *object);
GStrv       hot_compile_command_gcc_argv (const HotCompileCommand *command,
                                          const char              *include,
                                          const char              *object,
                                          const char              *pch_output);
GStrv       hot_compile_command_tcc_argv (const HotCompileCommand *command,
                                          const char              *tcc,
                                          const char              *include,
                                          const char              *source_dir,
                                          const char *const       *tail);
GStrv       hot_link_command_parse (const char *commands,
                                    const char *target,
                                    GError    **error);
GStrv       hot_link_command_argv (const char *const *link_argv,
                                   const char        *build_dir,
                                   GHashTable        *object_sources,
                                   GHashTable        *objects,
                                   const char        *output,
                                   const char        *tcc_runtime,
                                   gboolean           gold);
GStrv       hot_link_command_direct (const char *const *driver_argv,
                                     const char        *driver_output,
                                     const char        *gold);

G_END_DECLS
