/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Compiler output captured from real gcc and clang runs (tests/data/
 * diagnostics), for the tests that read diagnostics. */
#pragma once

#include "hot-diagnostic-private.h"

/* The capture @name, its colours removed and made valid UTF-8. */
static inline char *
test_capture_clean (const char *name)
{
  g_autofree char *file_name = g_strconcat (name, ".txt", NULL);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "diagnostics", file_name, NULL);
  g_autofree char *raw = NULL;
  g_autoptr (GError) error = NULL;
  gsize length;

  g_file_get_contents (path, &raw, &length, &error);
  g_assert_no_error (error);

  return hot_diagnostic_clean_output (raw, length);
}

/* The diagnostics of @clean, with paths relative to the capture's build
 * folder. */
static inline GListModel *
test_capture_parse_text (const char *clean)
{
  g_autofree char *build_dir = g_test_build_filename (G_TEST_DIST, "data", "diagnostics", "build", NULL);

  return hot_diagnostic_parse (clean, build_dir, NULL);
}

/* The diagnostics of the capture @name. */
static inline GListModel *
test_capture_parse (const char *name)
{
  g_autofree char *clean = test_capture_clean (name);

  return test_capture_parse_text (clean);
}
