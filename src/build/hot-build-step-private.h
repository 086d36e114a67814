/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Reads the output of a step that succeeded; FALSE with @error fails the
 * build. */
typedef gboolean (*HotBuildStepDone) (GTask      *task,
                                      const char *output,
                                      GError    **error);

/* Reads the output of a step that failed, with its first error; TRUE when
 * the build can go on (with the next step) all the same. */
typedef gboolean (*HotBuildStepFailed) (GTask      *task,
                                        const char *output,
                                        const char *first_error);

/* Goes on with the build; takes @task. */
typedef void (*HotBuildStepNext) (GTask *task);

void  hot_build_step_run (GTask             *task,
                          const char *const *argv,
                          const char        *cwd,
                          const char        *what,
                          HotBuildStepDone   done,
                          HotBuildStepFailed failed,
                          HotBuildStepNext   next);
char *hot_build_step_first_error (const char *output);

G_END_DECLS
