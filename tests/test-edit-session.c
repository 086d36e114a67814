/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The reload contract under a randomized edit session, for each builder.
 *
 * tests/data/edit-session is a user's app with two hot modules: alpha
 * (alpha/a1.c, alpha/a2.c and alpha/alpha-inside.h) and beta (beta/b1.c),
 * and a header outside both folders that both include (common/shared.h).
 * Every input carries one token ("a1-v0"); the nodes show the tokens they
 * were built from in labels named module.input. alpha_panel builds
 * alpha_detail (its own module) and beta_panel (the other module), and
 * beta_panel is in a second window too.
 *
 * The test builds the app, runs it with HOT_RELOAD=1, and plays a seeded
 * script of bursts: 1 to 3 saves, 0 to 300 ms apart, each a new token in one
 * input written the way an editor writes (in place, temp file and rename,
 * truncated then written, written twice, two files at once, one file twice),
 * sometimes with a syntax error that a later save fixes. After each burst
 * it asks the window until it shows what the files say, then checks what
 * the contract says of the burst:
 *
 *   - every label of a module with no syntax error shows the token of the
 *     current content of its input; a module with one shows tokens it had
 *     at the previous quiet point or that were saved in the burst, the same
 *     in every copy of a node, and reports the failure;
 *   - no reload for a module none of whose inputs changed, at least one for
 *     one whose inputs changed and that builds, never more than saves;
 *   - no failure reported for a module that had no syntax error;
 *   - 300 ms later, no newer generation went live (a late reload);
 *   - the HOT_STATIC click count is what it was set to at the start.
 *
 * HOTNODE_EDIT_SESSION_BURSTS sets the number of bursts (10 here, 300 in
 * the edit-session-long benchmark); --seed replays a session. */
#include "config.h"

#include <fcntl.h>
#include <hotnode.h>
#include <unistd.h>

#include "test-app.h"

#define DEFAULT_BURSTS 10
#define SETTLE_DEADLINE_S 30
#define MAX_MISSES 3
#define REPLY_DEADLINE_S 30
#define LATE_WINDOW_MS 300
#define POLL_MS 50
#define MAX_VIOLATIONS 8

enum
{
  ALPHA,
  BETA,
  N_MODULES
};

static const char *const module_names[N_MODULES] = { "alpha", "beta" };

enum
{
  INPUT_A1,
  INPUT_A2,
  INPUT_ALPHA_INSIDE,
  INPUT_B1,
  INPUT_SHARED,
  N_INPUTS
};

/* The files the modules are built from, and which modules each feeds. */
static const struct
{
  const char *key;
  const char *path;
  guint       modules; /* a mask of 1 << module */
} inputs[N_INPUTS] = {
  [INPUT_A1] = { "a1", "alpha/a1.c", 1 << ALPHA },
  [INPUT_A2] = { "a2", "alpha/a2.c", 1 << ALPHA },
  [INPUT_ALPHA_INSIDE] = { "alpha-inside", "alpha/alpha-inside.h", 1 << ALPHA },
  [INPUT_B1] = { "b1", "beta/b1.c", 1 << BETA },
  [INPUT_SHARED] = { "shared", "common/shared.h", (1 << ALPHA) | (1 << BETA) },
};

#define NO_INPUT N_INPUTS

/* What the windows show: each label, the module whose node makes it, the
 * input whose token it shows, and how many of it there are (beta_panel is
 * in both windows). */
static const struct
{
  const char *name;
  guint       module;
  guint       input; /* NO_INPUT: the click count */
  guint       copies;
} labels[] = {
  { "alpha.a1", ALPHA, INPUT_A1, 1 },
  { "alpha.alpha-inside", ALPHA, INPUT_ALPHA_INSIDE, 1 },
  { "alpha.a2", ALPHA, INPUT_A2, 1 },
  { "alpha.shared", ALPHA, INPUT_SHARED, 1 },
  { "alpha.clicks", ALPHA, NO_INPUT, 1 },
  { "beta.b1", BETA, INPUT_B1, 2 },
  { "beta.shared", BETA, INPUT_SHARED, 2 },
};

#define N_LABELS G_N_ELEMENTS (labels)
#define CLICKS_LABEL 4

typedef struct
{
  const char *fast_path; /* HOT_RELOAD_FAST_PATH */
  const char *program;   /* what it needs installed */
} Builder;

/* How a save reaches the disk. */
typedef enum
{
  SAVE_IN_PLACE,            /* truncate and write, one open */
  SAVE_RENAME,              /* a temporary file renamed over the input */
  SAVE_TRUNCATE_THEN_WRITE, /* truncated, written 20–80 ms later, two opens */
  SAVE_TOUCHES,             /* written, then the same content written again */
  N_SAVE_KINDS
} SaveKind;

static const char *const save_kind_names[N_SAVE_KINDS] = { "in-place", "rename", "truncate-then-write", "touches" };

/* What one burst did, and what the app said during it. */
typedef struct
{
  guint      saves[N_MODULES];      /* saves of an input of the module */
  gboolean   had_error[N_MODULES];  /* a syntax error at some point */
  GPtrArray *saved_good[N_INPUTS];  /* tokens saved without an error */
  guint      reloaded[N_MODULES];   /* "reloaded" lines */
  guint      failed[N_MODULES];     /* "failed" lines */
  GString   *failures[N_MODULES];   /* their messages */
  GString   *script;                /* what was saved, for the log */
  guint      generation[N_MODULES]; /* at the quiet point */
} Burst;

typedef struct
{
  const Builder *builder;
  TestProject    project;
  TestApp        app;
  char          *paths[N_INPUTS];
  char          *original[N_INPUTS];
  guint          version[N_INPUTS];
  gboolean       broken[N_INPUTS]; /* the input's content does not compile */
  char          *good[N_INPUTS];   /* the token of its last content that did */
  char          *shown[N_LABELS];  /* what each label showed at the last quiet point */
  const char    *clicks;           /* what the HOT_STATIC count must show */
  Burst         *burst;            /* the one being played, or NULL */
  guint          bursts;
  guint          checks;
  guint          violations;
  guint          misses; /* quiet points never reached */
  guint          restarts;
  guint          total_reloaded[N_MODULES];
  guint          total_failed[N_MODULES];
} Fixture;

static char *seed;

static void
burst_free (Burst *burst)
{
  for (guint i = 0; i < N_INPUTS; i++)
    g_ptr_array_unref (burst->saved_good[i]);
  for (guint m = 0; m < N_MODULES; m++)
    g_string_free (burst->failures[m], TRUE);
  g_string_free (burst->script, TRUE);
  g_free (burst);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Burst, burst_free)

static void
fixture_set_up (Fixture      *fixture,
                gconstpointer data)
{
  /* A space and a non-ASCII letter in every path, as test-e2e. */
  g_autofree char *folder = g_test_build_filename (G_TEST_DIST, "data", "edit-session", NULL);

  test_project_init_from_folder (&fixture->project, "hotnode edit-session ü-XXXXXX", folder);

  for (guint i = 0; i < N_INPUTS; i++)
    {
      g_autoptr (GError) error = NULL;

      fixture->paths[i] = g_build_filename (fixture->project.project_dir, inputs[i].path, NULL);
      g_file_get_contents (fixture->paths[i], &fixture->original[i], NULL, &error);
      g_assert_no_error (error);
      fixture->good[i] = g_strdup_printf ("%s-v0", inputs[i].key);
    }
  for (guint l = 0; l < N_LABELS; l++)
    fixture->shown[l] = g_strdup (labels[l].input == NO_INPUT ? "0" : fixture->good[labels[l].input]);
  fixture->clicks = "0";
  g_assert_cmpstr (labels[CLICKS_LABEL].name, ==, "alpha.clicks");
}

static void
fixture_tear_down (Fixture      *fixture,
                   gconstpointer data)
{
  test_app_stop (&fixture->app);
  test_project_clear (&fixture->project);
  for (guint i = 0; i < N_INPUTS; i++)
    {
      g_free (fixture->paths[i]);
      g_free (fixture->original[i]);
      g_free (fixture->good[i]);
    }
  for (guint l = 0; l < N_LABELS; l++)
    g_free (fixture->shown[l]);
  g_clear_pointer (&fixture->burst, burst_free);
}

static void
violation (Fixture    *fixture,
           const char *format,
           ...) G_GNUC_PRINTF (2, 3);

/* A breach of the contract: logged with the burst and the seed, and the
 * test fails; the session goes on (up to MAX_VIOLATIONS) to find more. */
static void
violation (Fixture    *fixture,
           const char *format,
           ...)
{
  g_autofree char *message = NULL;
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  fixture->violations++;
  g_test_message ("VIOLATION (%s, burst %u, --seed=%s): %s", g_test_get_path (), fixture->bursts, seed, message);
  g_test_fail ();
}

static gboolean
module_broken (Fixture *fixture,
               guint    module)
{
  for (guint i = 0; i < N_INPUTS; i++)
    if (fixture->broken[i] && (inputs[i].modules & (1 << module)))
      return TRUE;

  return FALSE;
}

/* An event line ("reloaded alpha", "failed beta …"): counted in the burst. */
static gboolean
take_event (Fixture    *fixture,
            const char *line)
{
  gboolean reloaded = g_str_has_prefix (line, "reloaded ");
  gboolean failed = g_str_has_prefix (line, "failed ");
  Burst   *burst = fixture->burst;

  if (!reloaded && !failed)
    return FALSE;

  for (guint m = 0; m < N_MODULES; m++)
    {
      const char *rest = line + strlen (reloaded ? "reloaded " : "failed ");

      if (!g_str_has_prefix (rest, module_names[m]) ||
          (rest[strlen (module_names[m])] != '\0' && rest[strlen (module_names[m])] != ' '))
        continue;

      if (reloaded)
        fixture->total_reloaded[m]++;
      else
        fixture->total_failed[m]++;

      if (burst == NULL)
        {
          /* Before the first burst: nothing was saved yet. */
          violation (fixture, "The app reported '%s' before any save", line);
        }
      else if (reloaded)
        {
          burst->reloaded[m]++;
        }
      else
        {
          burst->failed[m]++;
          g_string_append_printf (burst->failures[m], "\n    %s", line);
        }
      return TRUE;
    }

  violation (fixture, "The app reported an event for no module of the fixture: %s", line);
  return TRUE;
}

/* Sends @command and returns the app's reply, the first line starting with
 * @reply; the events before it go to the burst. NULL (and the test fails)
 * when the app ends or says nothing for REPLY_DEADLINE_S. */
static char *
ask (Fixture    *fixture,
     const char *command,
     const char *reply)
{
  gint64 deadline = g_get_monotonic_time () + REPLY_DEADLINE_S * G_USEC_PER_SEC;

  test_app_send (&fixture->app, "%s", command);
  while (TRUE)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *line = test_app_read_line_before (&fixture->app, deadline, &error);

      if (line == NULL)
        {
          violation (fixture, "No reply '%s...' to '%s' within %d s: %s", reply, command, REPLY_DEADLINE_S,
                     error->message);
          return NULL;
        }
      if (take_event (fixture, line))
        continue;
      if (g_str_has_prefix (line, reply))
        return g_steal_pointer (&line);
      if (g_str_has_prefix (line, "error "))
        g_error ("The app did not understand the test: %s", line);
    }
}

/* The values of @name on a "show" line, in order. */
static GPtrArray *
shown_values (GStrv       words,
              const char *name)
{
  GPtrArray *values = g_ptr_array_new ();
  gsize      length = strlen (name);

  for (guint w = 1; words[w] != NULL; w++)
    if (g_str_has_prefix (words[w], name) && words[w][length] == '=')
      g_ptr_array_add (values, words[w] + length + 1);

  return values;
}

/* Whether @value may show on a label of @label's module: the one token
 * its input's current content gives when the module builds; when it does
 * not, what the label showed at the previous quiet point, or a good token
 * its input held during the burst (at its start or saved in it): any of
 * them may have made it into a build between two saves, before the
 * error. */
static gboolean
value_expected (Fixture    *fixture,
                guint       label,
                const char *value,
                GString    *expected)
{
  guint input = labels[label].input;

  if (input == NO_INPUT)
    {
      g_string_append (expected, fixture->clicks);
      return g_str_equal (value, fixture->clicks);
    }

  if (!module_broken (fixture, labels[label].module))
    {
      g_string_append (expected, fixture->good[input]);
      return g_str_equal (value, fixture->good[input]);
    }

  g_string_append_printf (expected, "one of {%s", fixture->shown[label]);
  for (guint i = 0; fixture->burst && i < fixture->burst->saved_good[input]->len; i++)
    g_string_append_printf (expected, ", %s", (char *) g_ptr_array_index (fixture->burst->saved_good[input], i));
  g_string_append_printf (expected, "} (module %s has a syntax error)", module_names[labels[label].module]);

  if (g_str_equal (value, fixture->shown[label]))
    return TRUE;
  for (guint i = 0; fixture->burst && i < fixture->burst->saved_good[input]->len; i++)
    if (g_str_equal (value, g_ptr_array_index (fixture->burst->saved_good[input], i)))
      return TRUE;

  return FALSE;
}

/* Compares a "show" line with the model; says what differs in @why. On a
 * match, @shown gets each label's value. */
static gboolean
labels_match (Fixture    *fixture,
              const char *show,
              GString    *why,
              char      **shown)
{
  g_auto (GStrv) words = g_strsplit (show, " ", -1);
  gboolean match = TRUE;

  for (guint l = 0; l < N_LABELS; l++)
    {
      g_autoptr (GPtrArray) values = shown_values (words, labels[l].name);
      g_autoptr (GString) expected = g_string_new (NULL);
      gboolean ok = values->len == labels[l].copies;

      for (guint v = 0; ok && v < values->len; v++)
        {
          g_string_truncate (expected, 0);
          ok = value_expected (fixture, l, g_ptr_array_index (values, v), expected) &&
               g_str_equal (g_ptr_array_index (values, v), g_ptr_array_index (values, 0));
        }
      if (!ok)
        {
          g_autofree char *list = NULL;

          g_ptr_array_add (values, NULL);
          list = g_strjoinv (", ", (GStrv) values->pdata);
          if (expected->len == 0)
            value_expected (fixture, l, "", expected);
          g_string_append_printf (why, "\n    %s showed [%s], expected %u x %s", labels[l].name, list,
                                  labels[l].copies, expected->str);
          match = FALSE;
        }
      else if (shown != NULL)
        {
          shown[l] = g_strdup (g_ptr_array_index (values, 0));
        }
    }

  return match;
}

/* "status MODULE …": the generation and whether an error is set. */
static gboolean
ask_status (Fixture  *fixture,
            guint     module,
            guint    *generation,
            gboolean *building,
            char    **error)
{
  g_autofree char *command = g_strdup_printf ("status %s", module_names[module]);
  g_autofree char *prefix = g_strdup_printf ("status %s ", module_names[module]);
  g_autofree char *line = ask (fixture, command, prefix);
  const char      *field;

  if (line == NULL)
    return FALSE;

  field = strstr (line, " generation=");
  g_assert_nonnull (field);
  *generation = (guint) g_ascii_strtoull (field + strlen (" generation="), NULL, 10);
  field = strstr (line, " building=");
  g_assert_nonnull (field);
  *building = field[strlen (" building=")] == '1';
  field = strstr (line, " error=");
  g_assert_nonnull (field);
  *error = g_strdup (field + strlen (" error="));

  return TRUE;
}

/* Writes @content to @path with one open, truncating. */
static void
write_in_place (const char *path,
                const char *content)
{
  int    fd = g_open (path, O_WRONLY | O_TRUNC, 0);
  gsize  length = strlen (content);
  gssize written = 0;

  g_assert_cmpint (fd, >=, 0);
  while ((gsize) written < length)
    {
      gssize n = write (fd, content + written, length - written);

      g_assert_cmpint (n, >, 0);
      written += n;
    }
  g_assert_cmpint (close (fd), ==, 0);
}

static void
save_content (const char *path,
              const char *content,
              SaveKind    kind)
{
  g_autoptr (GError) error = NULL;

  switch (kind)
    {
    case SAVE_IN_PLACE:
      write_in_place (path, content);
      break;

    case SAVE_RENAME:
      g_file_set_contents (path, content, -1, &error);
      g_assert_no_error (error);
      break;

    case SAVE_TRUNCATE_THEN_WRITE:
      {
        int fd = g_open (path, O_WRONLY | O_TRUNC, 0);

        g_assert_cmpint (fd, >=, 0);
        g_assert_cmpint (close (fd), ==, 0);
        g_usleep (g_test_rand_int_range (20, 81) * 1000);
        write_in_place (path, content);
      }
      break;

    case SAVE_TOUCHES:
      write_in_place (path, content);
      write_in_place (path, content);
      break;

    case N_SAVE_KINDS:
    default:
      g_assert_not_reached ();
    }
}

/* Saves a new version of @input: a new token, with a syntax error if
 * @broken; updates the model and the burst. */
static void
save_input (Fixture *fixture,
            guint    input,
            SaveKind kind,
            gboolean broken)
{
  Burst           *burst = fixture->burst;
  g_autofree char *original_token = g_strdup_printf ("\"%s-v0\"", inputs[input].key);
  g_autofree char *token = g_strdup_printf ("%s-v%u", inputs[input].key, ++fixture->version[input]);
  g_autofree char *replacement = g_strdup_printf ("\"%s\"%s", token, broken ? " syntax error" : "");
  g_autoptr (GString) content = g_string_new (fixture->original[input]);

  g_assert_cmpuint (g_string_replace (content, original_token, replacement, 0), ==, 1);
  save_content (fixture->paths[input], content->str, kind);

  g_string_append_printf (burst->script, " %s %s %s%s;", inputs[input].key, token, save_kind_names[kind],
                          broken ? " SYNTAX-ERROR" : "");
  fixture->broken[input] = broken;
  if (!broken)
    {
      g_free (fixture->good[input]);
      fixture->good[input] = g_strdup (token);
      g_ptr_array_add (burst->saved_good[input], g_strdup (token));
    }
  for (guint m = 0; m < N_MODULES; m++)
    if (inputs[input].modules & (1 << m))
      {
        burst->saves[m]++;
        burst->had_error[m] |= module_broken (fixture, m);
      }
}

/* An input to save: half of the time a broken one, if any, so that errors
 * get fixed. */
static guint
pick_input (Fixture *fixture)
{
  guint broken[N_INPUTS];
  guint n_broken = 0;

  for (guint i = 0; i < N_INPUTS; i++)
    if (fixture->broken[i])
      broken[n_broken++] = i;

  if (n_broken > 0 && g_test_rand_bit ())
    return broken[g_test_rand_int_range (0, n_broken)];

  return g_test_rand_int_range (0, N_INPUTS);
}

static SaveKind
pick_plain_save (void)
{
  return g_test_rand_bit () ? SAVE_IN_PLACE : SAVE_RENAME;
}

/* One step of a burst: a save, two files at once, or one file twice. */
static void
play_step (Fixture *fixture)
{
  guint choice = g_test_rand_int_range (0, 10);

  if (choice < 6)
    {
      /* One save, any way; one in six has a syntax error. */
      SaveKind kind = g_test_rand_int_range (0, N_SAVE_KINDS);
      gboolean broken = g_test_rand_int_range (0, 6) == 0;

      save_input (fixture, pick_input (fixture), broken ? pick_plain_save () : kind, broken);
    }
  else if (choice < 8)
    {
      /* Several files at once: two inputs within 5 ms. */
      guint first = pick_input (fixture);
      guint second = (first + g_test_rand_int_range (1, N_INPUTS)) % N_INPUTS;

      g_string_append (fixture->burst->script, " [at once:");
      save_input (fixture, first, pick_plain_save (), FALSE);
      g_usleep (g_test_rand_int_range (0, 5001));
      save_input (fixture, second, pick_plain_save (), FALSE);
      g_string_append (fixture->burst->script, " ]");
    }
  else
    {
      /* The same file twice within 50 ms, the second with a new token. */
      guint input = pick_input (fixture);

      g_string_append (fixture->burst->script, " [twice:");
      save_input (fixture, input, pick_plain_save (), FALSE);
      g_usleep (g_test_rand_int_range (0, 50001));
      save_input (fixture, input, pick_plain_save (), FALSE);
      g_string_append (fixture->burst->script, " ]");
    }
}

static Burst *
burst_new (Fixture *fixture)
{
  Burst *burst = g_new0 (Burst, 1);

  for (guint i = 0; i < N_INPUTS; i++)
    {
      burst->saved_good[i] = g_ptr_array_new_with_free_func (g_free);
      /* What the file holds as the burst starts: a build during the burst,
       * between its saves, may be made of it (an error fixed by the first
       * save, say, before another file of the module breaks). */
      if (!fixture->broken[i])
        g_ptr_array_add (burst->saved_good[i], g_strdup (fixture->good[i]));
    }
  for (guint m = 0; m < N_MODULES; m++)
    {
      burst->failures[m] = g_string_new (NULL);
      burst->had_error[m] = module_broken (fixture, m);
    }
  burst->script = g_string_new (NULL);

  return burst;
}

typedef enum
{
  QUIET,
  NOT_QUIET, /* the deadline passed: the app is in a state the model does not know */
  APP_GONE,
} Outcome;

/* Asks the window until it shows what the files say, and the modules left
 * with a syntax error have reported a failure, for SETTLE_DEADLINE_S at
 * most. */
static Outcome
wait_for_quiet_point (Fixture *fixture)
{
  gint64 deadline = g_get_monotonic_time () + SETTLE_DEADLINE_S * G_USEC_PER_SEC;
  Burst *burst = fixture->burst;

  while (TRUE)
    {
      g_autofree char *show = ask (fixture, "show", "show");
      g_autoptr (GString) why = g_string_new (NULL);
      char    *shown[N_LABELS] = { NULL };
      gboolean match;

      if (show == NULL)
        return APP_GONE;

      match = labels_match (fixture, show, why, shown);
      for (guint m = 0; burst != NULL && m < N_MODULES; m++)
        if (module_broken (fixture, m) && burst->saves[m] > 0 && burst->failed[m] == 0)
          {
            g_string_append_printf (why, "\n    module %s has a syntax error but no failure was reported",
                                    module_names[m]);
            match = FALSE;
          }

      if (match)
        {
          for (guint l = 0; l < N_LABELS; l++)
            {
              g_free (fixture->shown[l]);
              fixture->shown[l] = shown[l];
            }
          fixture->checks++;
          return QUIET;
        }
      for (guint l = 0; l < N_LABELS; l++)
        g_free (shown[l]);

      if (g_get_monotonic_time () > deadline)
        {
          if (burst != NULL)
            for (guint m = 0; m < N_MODULES; m++)
              g_string_append_printf (why, "\n    module %s: %u saves, %u reloads, %u failures%s", module_names[m],
                                      burst->saves[m], burst->reloaded[m], burst->failed[m],
                                      burst->failures[m]->str);
          violation (fixture, "%d s after the burst, the window does not show what the files say:%s",
                     SETTLE_DEADLINE_S, why->str);
          return NOT_QUIET;
        }
      g_usleep (POLL_MS * 1000);
    }
}

/* What the app reported during the burst, whether or not it became quiet:
 * no reload for a module none of whose inputs changed, never more reloads
 * than saves, a failure only for a module that had a syntax error. */
static void
check_events (Fixture *fixture)
{
  Burst *burst = fixture->burst;

  for (guint m = 0; m < N_MODULES; m++)
    {
      const char *name = module_names[m];

      if (burst->saves[m] == 0 && burst->reloaded[m] > 0)
        violation (fixture, "Module %s reloaded %u times though none of its inputs changed", name,
                   burst->reloaded[m]);
      else
        fixture->checks++;

      if (burst->reloaded[m] > burst->saves[m])
        violation (fixture, "Module %s reloaded %u times for %u saves of its inputs", name, burst->reloaded[m],
                   burst->saves[m]);
      else
        fixture->checks++;

      if (burst->failed[m] > 0 && !burst->had_error[m])
        violation (fixture, "Module %s had no syntax error in this burst, yet reported %u failures:%s", name,
                   burst->failed[m], burst->failures[m]->str);
      else
        fixture->checks++;
    }
}

/* Once the burst is quiet: LATE_WINDOW_MS later the window shows the same,
 * no newer generation went live, the new code was reported, and the
 * status says what the window shows. FALSE if the app is gone. */
static gboolean
check_quiet (Fixture *fixture)
{
  Burst *burst = fixture->burst;

  for (guint m = 0; m < N_MODULES; m++)
    {
      gboolean building;
      char    *error = NULL;

      if (!ask_status (fixture, m, &burst->generation[m], &building, &error))
        return FALSE;
      g_free (error);
    }

  g_usleep (LATE_WINDOW_MS * 1000);

  {
    g_autofree char *show = ask (fixture, "show", "show");
    g_autoptr (GString) why = g_string_new (NULL);

    if (show == NULL)
      return FALSE;
    if (labels_match (fixture, show, why, NULL))
      fixture->checks++;
    else
      violation (fixture, "%d ms after the window showed what the files say, it shows something else:%s",
                 LATE_WINDOW_MS, why->str);
  }

  for (guint m = 0; m < N_MODULES; m++)
    {
      const char      *name = module_names[m];
      guint            generation;
      gboolean         building;
      g_autofree char *error = NULL;

      if (!ask_status (fixture, m, &generation, &building, &error))
        return FALSE;

      if (burst->saves[m] > 0 && !module_broken (fixture, m) && burst->reloaded[m] == 0)
        violation (fixture, "Module %s shows its new code but reported no reload", name);
      else
        fixture->checks++;

      if (generation != burst->generation[m])
        violation (fixture,
                   "Module %s: generation %u went live %d ms after the window showed the saved content "
                   "(generation %u then): a late reload",
                   name, generation, LATE_WINDOW_MS, burst->generation[m]);
      else
        fixture->checks++;

      if (!building && module_broken (fixture, m) && burst->saves[m] > 0 && g_str_equal (error, "none"))
        violation (fixture, "Module %s has a syntax error, but its status has no error", name);
      else if (!building && !module_broken (fixture, m) && !g_str_equal (error, "none"))
        violation (fixture, "Module %s builds, but its status has an error: %s", name, error);
      else
        fixture->checks++;
    }

  return TRUE;
}

/* Plays one burst and checks it. */
static Outcome
play_burst (Fixture *fixture,
            gboolean fix_everything)
{
  guint   steps = g_test_rand_int_range (1, 4);
  Outcome outcome;

  fixture->bursts++;
  fixture->burst = burst_new (fixture);

  if (fix_everything)
    {
      for (guint i = 0; i < N_INPUTS; i++)
        if (fixture->broken[i])
          save_input (fixture, i, pick_plain_save (), FALSE);
    }
  else
    {
      for (guint s = 0; s < steps; s++)
        {
          if (s > 0)
            {
              guint gap = g_test_rand_int_range (0, 301);

              g_string_append_printf (fixture->burst->script, " +%ums;", gap);
              g_usleep (gap * 1000);
            }
          play_step (fixture);
        }
    }
  g_test_message ("Burst %u:%s", fixture->bursts, fixture->burst->script->str);

  outcome = wait_for_quiet_point (fixture);
  if (outcome == QUIET && !check_quiet (fixture))
    outcome = APP_GONE;
  check_events (fixture);
  if (outcome == QUIET)
    g_test_message ("  quiet; reloads alpha %u, beta %u; failures alpha %u, beta %u", fixture->burst->reloaded[ALPHA],
                    fixture->burst->reloaded[BETA], fixture->burst->failed[ALPHA], fixture->burst->failed[BETA]);
  g_clear_pointer (&fixture->burst, burst_free);

  return outcome;
}

static guint
n_bursts (void)
{
  const char *value = g_getenv ("HOTNODE_EDIT_SESSION_BURSTS");
  guint64     bursts = DEFAULT_BURSTS;

  if (value != NULL && !g_ascii_string_to_unsigned (value, 10, 1, G_MAXUINT, &bursts, NULL))
    g_error ("HOTNODE_EDIT_SESSION_BURSTS=%s is not a number of bursts", value);

  return (guint) bursts;
}

static void
app_ended (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *done = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *done = TRUE;
}

static void
stop_app (Fixture *fixture)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  gboolean done = FALSE;
  guint    timeout;

  test_app_send (&fixture->app, "quit");
  timeout = g_timeout_add_once (REPLY_DEADLINE_S * 1000, test_cancel_read, cancellable);
  g_subprocess_wait_async (fixture->app.process, cancellable, app_ended, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  if (g_cancellable_is_cancelled (cancellable))
    {
      g_test_message ("The app did not quit within %d s of 'quit'", REPLY_DEADLINE_S);
      g_test_fail ();
      return;
    }
  g_source_remove (timeout);
  if (!g_subprocess_get_successful (fixture->app.process))
    {
      g_test_message ("The app did not end well after 'quit' (status %d)", g_subprocess_get_status (fixture->app.process));
      g_test_fail ();
    }
}

/* Starts the app, waits until it shows the v0 tokens (its own build: the
 * code linked into it) and clicks once: the HOT_STATIC count to keep. */
static gboolean
start_app (Fixture *fixture)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *private_dir = g_build_filename (fixture->project.tmp_dir, "private", NULL);
  g_autofree char *app_path = g_build_filename (fixture->project.build_dir, "edit-session", NULL);
  g_autofree char *ready = NULL;
  g_autofree char *clicked = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (private_dir, 0700), ==, 0);
  g_subprocess_launcher_setenv (launcher, "HOT_RELOAD", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "HOT_RELOAD_PRIVATE_DIR", private_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "HOT_RELOAD_FAST_PATH", fixture->builder->fast_path, TRUE);
  /* The app logs each failed build as a warning, by design: not fatal. */
  g_subprocess_launcher_setenv (launcher, "G_DEBUG", "gc-friendly", TRUE);
  fixture->app.process = g_subprocess_launcher_spawn (launcher, &error, app_path, "--remote", NULL);
  g_assert_no_error (error);
  fixture->app.to_app = g_object_ref (g_subprocess_get_stdin_pipe (fixture->app.process));
  fixture->app.from_app = g_data_input_stream_new (g_subprocess_get_stdout_pipe (fixture->app.process));

  for (guint l = 0; l < N_LABELS; l++)
    {
      g_free (fixture->shown[l]);
      fixture->shown[l] = g_strdup (labels[l].input == NO_INPUT ? "0" : fixture->good[labels[l].input]);
    }
  fixture->clicks = "0";

  ready = ask (fixture, "show", "ready");
  if (ready == NULL || wait_for_quiet_point (fixture) != QUIET)
    return FALSE;

  clicked = ask (fixture, "click alpha-add", "clicked alpha-add");
  fixture->clicks = "1";

  return clicked != NULL && wait_for_quiet_point (fixture) == QUIET;
}

/* After a quiet point that never came, the app is in a state the model
 * does not know: the errors are fixed, the app rebuilt by ninja and
 * started again, so that the session can look for more. */
static gboolean
restart_app (Fixture *fixture)
{
  g_test_message ("Restarting the app from a fresh build, to go on from a known state");
  test_app_stop (&fixture->app);
  fixture->restarts++;

  fixture->burst = burst_new (fixture);
  for (guint i = 0; i < N_INPUTS; i++)
    if (fixture->broken[i])
      save_input (fixture, i, SAVE_IN_PLACE, FALSE);
  g_clear_pointer (&fixture->burst, burst_free);

  return test_run_checked ((const char *const[]){ "ninja", "-C", fixture->project.build_dir, NULL }) &&
         start_app (fixture);
}

static void
test_edit_session (Fixture      *fixture,
                   gconstpointer data)
{
  g_autofree char *program = NULL;
  guint            bursts = n_bursts ();
  gint64           started;
  Outcome          outcome = QUIET;

  g_test_summary ("A seeded random edit session on an app with two hot modules, nested nodes and a "
                  "header they share, saved the ways editors save, with syntax errors: after each "
                  "burst every node shows the current content of its inputs, and each module "
                  "reloaded only if its inputs changed, at most once a save, and failed only on "
                  "a syntax error");

  fixture->builder = data;
  program = g_find_program_in_path (fixture->builder->program);
  if (program == NULL)
    {
      g_autofree char *reason = g_strdup_printf ("%s is not installed: no session with HOT_RELOAD_FAST_PATH=%s",
                                                 fixture->builder->program, fixture->builder->fast_path);

      g_test_skip (reason);
      return;
    }

  if (!test_project_build (&fixture->project) || !start_app (fixture))
    return;

  g_test_message ("%s: %u bursts, --seed=%s", g_test_get_path (), bursts, seed);
  started = g_get_monotonic_time ();
  while (fixture->bursts < bursts && fixture->violations < MAX_VIOLATIONS)
    {
      outcome = play_burst (fixture, FALSE);
      if (outcome == NOT_QUIET && ++fixture->misses < MAX_MISSES && restart_app (fixture))
        outcome = QUIET;
      if (outcome != QUIET)
        break;
    }

  /* The end: every error fixed, everything live, the count kept. */
  if (outcome == QUIET && (module_broken (fixture, ALPHA) || module_broken (fixture, BETA)))
    {
      g_test_message ("Fixing the syntax errors left");
      outcome = play_burst (fixture, TRUE);
    }

  g_test_message ("%s: %u bursts in %.1f s, %u checks passed, %u violations, %u restarts; reloads alpha %u, "
                  "beta %u; failures alpha %u, beta %u; --seed=%s",
                  g_test_get_path (), fixture->bursts, (g_get_monotonic_time () - started) / 1e6, fixture->checks,
                  fixture->violations, fixture->restarts, fixture->total_reloaded[ALPHA],
                  fixture->total_reloaded[BETA], fixture->total_failed[ALPHA], fixture->total_failed[BETA], seed);

  if (outcome != APP_GONE)
    stop_app (fixture);
}

static const Builder builder_tcc = { "tcc", "tcc" };
static const Builder builder_pch = { "pch", "gcc" };
static const Builder builder_ninja = { "off", "ninja" };

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autofree char *seed_arg = NULL;
  char           **test_argv;
  int              test_argc;

  /* The seed, to print with each violation: the one given, or a new one
   * given to GLib as if it had been. */
  for (int i = 0; i < argc; i++)
    {
      if (g_str_has_prefix (argv[i], "--seed="))
        seed = argv[i] + strlen ("--seed=");
      else if (g_str_equal (argv[i], "--seed") && i + 1 < argc)
        seed = argv[i + 1];
      g_ptr_array_add (args, argv[i]);
    }
  if (seed == NULL)
    {
      seed_arg = g_strdup_printf ("--seed=R02S%08x%08x%08x%08x", g_random_int (), g_random_int (), g_random_int (),
                                  g_random_int ());
      seed = seed_arg + strlen ("--seed=");
      g_ptr_array_add (args, seed_arg);
    }
  /* Each builder's session runs even when another one failed. */
  g_ptr_array_add (args, (char *) "--keep-going");
  g_ptr_array_add (args, NULL);
  test_argv = (char **) args->pdata;
  test_argc = args->len - 1;

  g_test_init (&test_argc, &test_argv, NULL);

  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_print ("1..0 # SKIP no display\n");
      return 0;
    }

  g_test_add ("/Hotnode/EditSession/tcc", Fixture, &builder_tcc, fixture_set_up, test_edit_session,
              fixture_tear_down);
  g_test_add ("/Hotnode/EditSession/pch", Fixture, &builder_pch, fixture_set_up, test_edit_session,
              fixture_tear_down);
  g_test_add ("/Hotnode/EditSession/ninja", Fixture, &builder_ninja, fixture_set_up, test_edit_session,
              fixture_tear_down);

  return g_test_run ();
}
