/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How the build compiles one source of a module (compile_commands.json). */
typedef struct
{
  char *directory; /* where the command runs */
  char *file;      /* the source as the compiler is given it: its `__FILE__` */
  char *object;    /* absolute */
  GStrv argv;
} HotCompileCommand;

/* What the app's build says about one shared module. */
typedef struct
{
  char       *name;
  char       *build_dir;
  char       *output;  /* absolute path of the library the build writes */
  char       *target;  /* the output relative to build_dir: the ninja target */
  GStrv       sources; /* absolute, canonical */
  GStrv       source_dirs;
  GHashTable *commands; /* source → HotCompileCommand, from compile_commands.json */
} HotModuleInfo;

/* The shared modules of a meson build folder, from its introspection data
 * (meson-info/intro-targets.json). Knows nothing of GTK. */
typedef struct _HotProject HotProject;

gboolean             hot_project_check_build_dir (const char *build_dir,
                                                  GError    **error);
char                *hot_project_find_build_dir (const char *executable,
                                                 GError    **error);
HotProject          *hot_project_load (const char *build_dir,
                                       GError    **error);
void                 hot_project_free (HotProject *self);
gboolean             hot_project_update (HotProject *self,
                                         HotProject *fresh,
                                         gboolean (*may_change) (const HotModuleInfo *info,
                                                     gpointer             user_data),
                                         gpointer    user_data,
                                         GPtrArray **changed,
                                         GPtrArray **added);
const char          *hot_project_get_build_dir (HotProject *self);
const char          *hot_project_get_source_dir (HotProject *self);
const HotModuleInfo *hot_project_lookup_source (HotProject *self,
                                                const char *file);
void                 hot_module_info_mark_stale (const HotModuleInfo *info,
                                                 GPtrArray           *changed_paths);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HotProject, hot_project_free)

G_END_DECLS
