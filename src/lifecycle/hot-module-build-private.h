/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "hot-fast-builder-private.h"
#include "hot-module-private.h"
#include "hot-object-files-private.h"
#include "hot-rebuilder-private.h"

G_BEGIN_DECLS

/* A module's state, shared by hot-module.c (what is owed, the states and
 * their transitions, the calls) and hot-module-build.c (running a build,
 * loading its library, making it live). See the top of hot-module.c. */

typedef enum
{
  STATE_IDLE,
  STATE_PREPARING,
  STATE_BUILDING,
  STATE_LOADING,
  STATE_HELD,
} State;

struct _HotModule
{
  const HotModuleInfo  *info;
  HotModuleShared      *shared;
  const HotModuleHooks *hooks;
  gpointer              hooks_data;
  HotStatus            *status;
  HotInputs            *inputs;
  HotFastBuilder       *fast_builder;
  char                 *fast_path_declined; /* why, as last logged */
  GPtrArray            *generations;        /* HotGeneration, newest last */

  GHashTable     *live;
  GHashTable     *attempted;
  HotObjectFiles *objects;

  State         state;
  GCancellable *cancellable; /* of the running preparation or build */
  GHashTable   *building;
  gboolean      by_ninja;          /* the running build runs ninja */
  gboolean      resources_first;   /* the running build compiles the resources, then the code */
  gboolean      resources_pending; /* it registered resources, kept only if it goes live */
  HotBuildLock *build_lock;        /* the rebuilder's, from its end until its library is copied */
  gboolean      cancel_requested;  /* by hot_module_cancel () */
  GPtrArray    *waiting;
  GPtrArray    *queued;
  GTask        *preparation;
  HotTimings    times;
  gint64        changed_at; /* first event since the last build started */

  guint          inhibit_count; /* hot_module_inhibit () calls not yet released */
  HotGeneration *held;          /* STATE_HELD: loaded, statics patched, not swapped */
  guint          release_id;    /* the idle that swaps the held generation in */

  GCancellable *deps_cancellable; /* reading ninja's deps: lives with the module */
  guint         empty_wait_id;    /* a source is empty: a save is half done */
  guint         empty_waits;
};

void            hot_module_start_build (HotModule *self);
void            hot_module_build_ended (HotModule    *self,
                                        const GError *error,
                                        GListModel   *diagnostics);
HotFastBuilder *hot_module_ensure_fast_builder (HotModule *self);
void            hot_module_swap_held (HotModule *self);
void            hot_module_drop_held (HotModule *self);

G_END_DECLS
