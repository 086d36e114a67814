/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The service with HOT_RELOAD=1, through the public API only, for the tests
 * of what a reload does (test-reload, test-statics, test-rebuilder,
 * test-rebuild-calls, test-reload-crash, test-generations). The program
 * links tests/fixtures/alpha and beta; the service finds the modules of the
 * same names in this build's meson introspection. Generations are libraries
 * meson built from alpha.c with other macros: the rebuilder runs `true` and
 * names one of them as its output, unless the test says otherwise. */
#pragma once

#include "test-utils.h"

typedef struct
{
  const char        *next_variant;      /* the generation the next build names */
  const char *const *rebuild_argv;      /* instead of `true`, when set */
  const char        *rebuild_output;    /* instead of next_variant, when set */
  gboolean           use_env_rebuilder; /* let HOT_RELOAD_REBUILDER decide */
  guint              reload_count;      /* HotReload::hot-reload emissions */
  guint              failure_count;     /* HotReload::reload-failed emissions */
  GThread           *main_thread;
  char              *private_dir; /* where the loader's copies go */
} TestAlpha;

static TestAlpha test_alpha;

static inline char **
test_alpha_rebuilder (HotReload  *service,
                      const char *module,
                      char      **output_path,
                      gpointer    user_data)
{
  const char *true_argv[] = { "true", NULL };

  g_assert_cmpstr (module, ==, "alpha");
  /* The default output is the module's own library in this build. */
  g_assert_true (g_str_has_suffix (*output_path, "tests/fixtures/libalpha.so"));

  if (test_alpha.use_env_rebuilder)
    return NULL;

  g_free (*output_path);
  if (test_alpha.rebuild_output != NULL)
    *output_path = g_strdup (test_alpha.rebuild_output);
  else
    *output_path = g_test_build_filename (G_TEST_BUILT, "fixtures", test_alpha.next_variant, NULL);

  return g_strdupv ((char **) (test_alpha.rebuild_argv ? test_alpha.rebuild_argv : true_argv));
}

static inline void
test_alpha_reloaded (HotReload  *service,
                     const char *module,
                     gpointer    user_data)
{
  g_assert_cmpstr (module, ==, "alpha");
  g_assert_true (g_thread_self () == test_alpha.main_thread);
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  test_alpha.reload_count++;
}

static inline void
test_alpha_reload_failed (HotReload    *service,
                          const char   *module,
                          const GError *error,
                          gpointer      user_data)
{
  g_assert_cmpstr (module, ==, "alpha");
  g_assert_nonnull (error);
  test_alpha.failure_count++;
}

/* test_init_hot_reload (), with the service's rebuilder and signals
 * watched; FALSE when there is no display (the skip is printed). */
static inline gboolean
test_alpha_init (int    *argc,
                 char ***argv)
{
  HotReload *service;

  if (!test_init_hot_reload (argc, argv, &test_alpha.private_dir))
    return FALSE;

  test_alpha.main_thread = g_thread_self ();
  service = hot_reload_get_default ();
  hot_reload_set_rebuilder (service, test_alpha_rebuilder, NULL, NULL);
  g_signal_connect (service, "hot-reload", G_CALLBACK (test_alpha_reloaded), NULL);
  g_signal_connect (service, "reload-failed", G_CALLBACK (test_alpha_reload_failed), NULL);

  return TRUE;
}

/* g_test_run (), then the loader's copies are removed. */
static inline int
test_alpha_run (void)
{
  int status = g_test_run ();

  test_remove_tree (test_alpha.private_dir);
  g_clear_pointer (&test_alpha.private_dir, g_free);

  return status;
}

/* Reloads alpha from @variant; returns whether the new generation is live. */
static inline gboolean
test_alpha_reload (const char *variant,
                   GError    **error)
{
  HotReload *service = hot_reload_get_default ();
  g_autoptr (GAsyncResult) result = NULL;

  test_alpha.next_variant = variant;
  hot_reload_rebuild_async (service, "alpha", NULL, test_store_result, &result);

  return hot_reload_rebuild_finish (service, test_wait_for_result (&result), error);
}

/* Reloads alpha from @variant, which must fail with @code; returns the error. */
static inline GError *
test_alpha_reload_expecting_failure (const char *variant,
                                     int         code)
{
  GError *error = NULL;

  g_test_expect_message ("Hotnode", G_LOG_LEVEL_WARNING, "Reloading module “alpha” failed*");
  g_assert_false (test_alpha_reload (variant, &error));
  g_test_assert_expected_messages ();
  g_assert_error (error, HOT_RELOAD_ERROR, code);

  return error;
}

static inline GtkWidget *
test_new_proxy (const char  *name,
                HotNodeArgs *args)
{
  GtkWidget *widget = g_object_ref_sink (hot_node_new (name, args));

  g_assert_true (HOT_IS_NODE (widget));

  return widget;
}

/* The text of the label a proxy holds. */
static inline const char *
test_proxy_text (GtkWidget *proxy)
{
  return gtk_label_get_text (GTK_LABEL (hot_node_get_child (HOT_NODE_PROXY (proxy))));
}

/* A reload of @variant (or with the rebuilder set up by the caller) must fail
 * with @code and change nothing; the next good build must clear the error. */
static inline void
test_alpha_assert_refused (const char *variant,
                           int         code)
{
  HotStatus *status = hot_reload_lookup_status (hot_reload_get_default (), "alpha");
  g_autoptr (GError) error = NULL;
  GtkWidget *proxy = test_new_proxy ("alpha_label", NULL);
  GtkWidget *child = hot_node_get_child (HOT_NODE_PROXY (proxy));
  guint      generation = hot_status_get_generation (status);
  guint      reloads = test_alpha.reload_count, failures = test_alpha.failure_count;

  error = test_alpha_reload_expecting_failure (variant, code);
  test_alpha.rebuild_argv = NULL;
  test_alpha.rebuild_output = NULL;
  test_alpha.use_env_rebuilder = FALSE;
  g_clear_error (&error);

  g_assert_true (hot_node_get_child (HOT_NODE_PROXY (proxy)) == child);
  g_assert_cmpuint (hot_status_get_generation (status), ==, generation);
  g_assert_nonnull (hot_status_get_error (status));
  g_assert_true (g_error_matches (hot_status_get_error (status), HOT_RELOAD_ERROR, code));
  g_assert_cmpuint (test_alpha.reload_count, ==, reloads);
  g_assert_cmpuint (test_alpha.failure_count, ==, failures + 1);

  /* The next good build clears the error. */
  g_assert_true (test_alpha_reload ("libalpha-gen3.so", &error));
  g_assert_no_error (error);
  g_assert_null (hot_status_get_error (status));
  g_assert_cmpstr (test_proxy_text (proxy), ==, "alpha generation 3");

  g_assert_finalize_object (proxy);
}
