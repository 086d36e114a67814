/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "hot-prelude-prune-private.h"

/*
 * Pruned tcc preludes. A prelude (hot-tcc-prelude.c) holds every
 * declaration of <gtk/gtk.h> and the like, 3 to 4 MB, and tcc spends most
 * of a compile reading them; a module's source reaches a few hundred.
 *
 * The index splits a prelude into what it is made of, once, on a worker
 * thread:
 * - directives (`#define`, line markers, `#pragma`…), a line each; the
 *   identifiers of each macro's body are remembered under its name;
 * - items: top-level declarations, ending at a `;` outside any bracket,
 *   and function definitions, ending at the `}` of their body. For each
 *   item, the names it declares (typedef names, struct, union and enum
 *   tags, enum constants, functions, variables: the identifier a
 *   declarator ends with) and the identifiers it uses (all of its own).
 *   An item that declares no name found this way is always kept.
 *
 * Pruning for a source (hot_prelude_index_prune ()) starts from the
 * identifiers of its code, adds those of the macros they name, then of
 * the items that declare any of them, and so on; the items and the
 * macros reached are kept in their order with the other directives, the
 * rest replaced by their newlines (a header's line numbers stay). Names
 * a macro makes by pasting (`T##_autoptr`) are found by the pieces it
 * pastes: a name that is such a piece joined to an identifier is reached
 * with that identifier. Finding the names is a heuristic, not a C parser:
 * it errs on keeping too much, and what it could miss makes the compile
 * fail (an undeclared name) or warn (an implicit declaration), which the
 * fast builder answers by compiling with the whole prelude.
 */

typedef enum
{
  TOKEN_IDENT,
  TOKEN_PUNCT,
  TOKEN_OTHER,
} TokenKind;

typedef struct
{
  TokenKind kind;
  guint     id;    /* TOKEN_IDENT: the identifier's */
  char      punct; /* TOKEN_PUNCT: the character */
} Token;

typedef struct
{
  gsize start;
  gsize end;
  gint  item;  /* -1: always kept, unless @macro is set */
  guint macro; /* a `#define`: the id of the macro, else G_MAXUINT */
} Segment;

enum
{
  KW_STRUCT,
  KW_UNION,
  KW_ENUM,
  KW_ATTRIBUTE,
  KW_ATTRIBUTE2,
  KW_ASM,
  KW_ASM2,
  KW_ASM3,
  KW_TYPEOF,
  KW_TYPEOF2,
  KW_TYPEOF3,
  KW_ALIGNAS,
  KW_ALIGNOF,
  KW_ALIGNOF2,
  KW_SIZEOF,
  KW_STATIC_ASSERT,
  KW_DECLSPEC,
  N_KEYWORDS,
};

static const char *const keywords[N_KEYWORDS] = {
  "struct",
  "union",
  "enum",
  "__attribute__",
  "__attribute",
  "__asm__",
  "__asm",
  "asm",
  "__typeof__",
  "__typeof",
  "typeof",
  "_Alignas",
  "_Alignof",
  "__alignof__",
  "sizeof",
  "_Static_assert",
  "__declspec",
};

struct _HotPreludeIndex
{
  char         *text;
  gsize         length;
  GStringChunk *names;
  GHashTable   *ids;      /* name → id + 1 */
  GArray       *segments; /* of Segment, in order */
  guint         n_items;
  GArray       *use_starts; /* item → its first use in @uses; one more at the end */
  GArray       *uses;       /* of ids */
  GArray       *always;     /* of items that declare no name found */
  GPtrArray    *declarers;  /* id → GArray of the items declaring it, or NULL */
  GPtrArray    *macro_uses; /* id → GArray of the ids of its macro bodies, or NULL */
  GArray       *stamps;     /* id → the last item it was counted in, + 1 */
  GPtrArray    *id_names;   /* id → its name (in @names) */
  GArray       *is_macro;   /* id → whether a `#define` names it (guint8) */
  GHashTable   *fragments;  /* identifiers macros paste to their arguments (`##`) */
};

static gboolean
is_ident_start (char c)
{
  return g_ascii_isalpha (c) || c == '_' || c == '$';
}

static gboolean
is_ident_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '$';
}

/* Skips a string or character literal starting at @p (its quote). */
static const char *
skip_literal (const char *p,
              const char *end)
{
  char quote = *p++;

  while (p < end && *p != quote && *p != '\n')
    p += *p == '\\' && p + 1 < end ? 2 : 1;

  return p < end && *p == quote ? p + 1 : p;
}

/* Reads the token at @p (not a space), to @token; returns its end. Comments
 * are read as TOKEN_OTHER. */
static const char *
read_token (const char  *p,
            const char  *end,
            Token       *token,
            const char **ident_end)
{
  *ident_end = NULL;
  if (is_ident_start (*p))
    {
      const char *q = p + 1;

      while (q < end && is_ident_char (*q))
        q++;
      /* A prefixed literal: L"…", u8'…'. */
      if (q < end && (*q == '"' || *q == '\''))
        {
          token->kind = TOKEN_OTHER;
          return skip_literal (q, end);
        }
      token->kind = TOKEN_IDENT;
      *ident_end = q;
      return q;
    }
  if (g_ascii_isdigit (*p) || (*p == '.' && p + 1 < end && g_ascii_isdigit (p[1])))
    {
      const char *q = p + 1;

      while (q < end && (is_ident_char (*q) || *q == '.' ||
                         ((*q == '+' || *q == '-') && strchr ("eEpP", q[-1]) != NULL)))
        q++;
      token->kind = TOKEN_OTHER;
      return q;
    }
  if (*p == '"' || *p == '\'')
    {
      token->kind = TOKEN_OTHER;
      return skip_literal (p, end);
    }
  if (*p == '/' && p + 1 < end && p[1] == '*')
    {
      const char *close = g_strstr_len (p + 2, end - p - 2, "*/");

      token->kind = TOKEN_OTHER;
      return close ? close + 2 : end;
    }
  if (*p == '/' && p + 1 < end && p[1] == '/')
    {
      const char *newline = memchr (p, '\n', end - p);

      token->kind = TOKEN_OTHER;
      return newline ? newline : end;
    }

  token->kind = TOKEN_PUNCT;
  token->punct = *p;
  return p + 1;
}

static guint
intern (HotPreludeIndex *index,
        const char      *name,
        gsize            length)
{
  char     buffer[256];
  char    *key = length < sizeof buffer ? buffer : g_strndup (name, length);
  gpointer value;
  guint    id;

  if (key == buffer)
    {
      memcpy (buffer, name, length);
      buffer[length] = '\0';
    }
  value = g_hash_table_lookup (index->ids, key);
  if (value != NULL)
    id = GPOINTER_TO_UINT (value) - 1;
  else
    {
      char *stored = g_string_chunk_insert_len (index->names, name, length);

      id = index->declarers->len;
      g_hash_table_insert (index->ids, stored, GUINT_TO_POINTER (id + 1));
      g_ptr_array_add (index->declarers, NULL);
      g_ptr_array_add (index->macro_uses, NULL);
      g_ptr_array_add (index->id_names, stored);
      g_array_append_val (index->is_macro, (guint8){ 0 });
      g_array_append_val (index->stamps, (guint){ 0 });
    }
  if (key != buffer)
    g_free (key);

  return id;
}

/* The id of @name, or G_MAXUINT when the prelude has no such identifier. */
static guint
lookup (HotPreludeIndex *index,
        const char      *name,
        gsize            length)
{
  char     buffer[256];
  gpointer value;

  if (length >= sizeof buffer)
    {
      g_autofree char *key = g_strndup (name, length);

      value = g_hash_table_lookup (index->ids, key);
    }
  else
    {
      memcpy (buffer, name, length);
      buffer[length] = '\0';
      value = g_hash_table_lookup (index->ids, buffer);
    }

  return value ? GPOINTER_TO_UINT (value) - 1 : G_MAXUINT;
}

static void
add_to (GPtrArray *lists,
        guint      at,
        guint      value)
{
  GArray *list = g_ptr_array_index (lists, at);

  if (list == NULL)
    {
      list = g_array_new (FALSE, FALSE, sizeof (guint));
      g_ptr_array_index (lists, at) = list;
    }
  g_array_append_val (list, value);
}

static void
free_list (gpointer list)
{
  if (list != NULL)
    g_array_unref (list);
}

/* An identifier a macro pastes to another (not one of its parameters,
 * @params: "(a, b…"). */
static void
add_fragment (HotPreludeIndex *index,
              const char      *params,
              const char      *name,
              gsize            length)
{
  char *fragment;

  while (length > 0 && (name[length - 1] == ' ' || name[length - 1] == '\t'))
    length--;
  fragment = g_strndup (name, length);
  if (params != NULL)
    {
      g_auto (GStrv) names = g_strsplit_set (params + 1, ", \t", -1);

      if (g_strv_contains ((const char *const *) names, fragment) || g_str_equal (fragment, "__VA_ARGS__"))
        {
          g_free (fragment);
          return;
        }
    }
  g_hash_table_add (index->fragments, fragment);
}

/* A `#define` line: the identifiers of its body count for its name.
 * Returns the id of the macro it defines, or G_MAXUINT. */
static guint
read_directive (HotPreludeIndex *index,
                const char      *p,
                const char      *end)
{
  g_autofree char *params = NULL;
  const char      *name;
  const char      *last_ident = NULL;
  const char      *last_ident_end = NULL;
  gboolean         pasted = FALSE;
  guint            name_id;

  p++; /* # */
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  if (end - p < 7 || strncmp (p, "define", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
    return G_MAXUINT;
  p += 7;
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  name = p;
  while (p < end && is_ident_char (*p))
    p++;
  if (p == name)
    return G_MAXUINT;
  name_id = intern (index, name, p - name);
  g_array_index (index->is_macro, guint8, name_id) = TRUE;
  if (p < end && *p == '(')
    {
      const char *close = memchr (p, ')', end - p);

      params = g_strndup (p, close ? close - p : 0);
    }

  while (p < end)
    {
      const char *start = p;
      const char *ident_end;
      Token       token;

      if (g_ascii_isspace (*p) || *p == '\\')
        {
          p++;
          continue;
        }
      p = read_token (p, end, &token, &ident_end);
      if (token.kind == TOKEN_PUNCT && token.punct == '#' && p < end && *p == '#')
        {
          p++;
          pasted = TRUE;
          /* The identifier before. */
          if (last_ident != NULL && last_ident_end == start)
            add_fragment (index, params, last_ident, last_ident_end - last_ident);
          continue;
        }
      if (token.kind == TOKEN_IDENT)
        {
          add_to (index->macro_uses, name_id, intern (index, start, ident_end - start));
          if (pasted)
            add_fragment (index, params, start, ident_end - start);
          last_ident = start;
          last_ident_end = ident_end;
          /* Spaces between an identifier and a ## count as nothing. */
          while (p < end && (*p == ' ' || *p == '\t'))
            p++;
          last_ident_end = p;
        }
      pasted = FALSE;
    }

  return name_id;
}

static gboolean
is_punct (const Token *tokens,
          guint        n_tokens,
          guint        at,
          const char  *set)
{
  return at < n_tokens && tokens[at].kind == TOKEN_PUNCT && strchr (set, tokens[at].punct) != NULL;
}

static gboolean
is_keyword (const guint *keyword_ids,
            const Token *token,
            guint        first,
            guint        last)
{
  if (token->kind != TOKEN_IDENT)
    return FALSE;
  for (guint k = first; k <= last; k++)
    if (token->id == keyword_ids[k])
      return TRUE;
  return FALSE;
}

/* The index of the bracket closing the one at @at, or @n_tokens. */
static guint
matching (const Token *tokens,
          guint        n_tokens,
          guint        at)
{
  int depth = 0;

  for (guint i = at; i < n_tokens; i++)
    {
      if (is_punct (tokens, n_tokens, i, "([{"))
        depth++;
      else if (is_punct (tokens, n_tokens, i, ")]}") && --depth == 0)
        return i;
    }
  return n_tokens;
}

/* Whether the identifier at @at ends a declarator: what follows it is
 * `;`, `,`, `=`, `:`, `[`, an attribute, a parameter list or the end
 * (inside a `(*…)` group: `)` too). */
static gboolean
ends_declarator (const guint *keyword_ids,
                 const Token *tokens,
                 guint        n_tokens,
                 guint        at,
                 gboolean     in_group)
{
  guint next = at + 1;

  if (is_keyword (keyword_ids, &tokens[at], KW_STRUCT, N_KEYWORDS - 1))
    return FALSE;
  if (next == n_tokens || is_punct (tokens, n_tokens, next, ";,=:["))
    return TRUE;
  if (in_group && is_punct (tokens, n_tokens, next, ")"))
    return TRUE;
  if (is_punct (tokens, n_tokens, next, "("))
    return !is_punct (tokens, n_tokens, next + 1, "*^");
  return is_keyword (keyword_ids, &tokens[next], KW_ATTRIBUTE, KW_ASM3);
}

/* The names the item of @tokens declares, as ids, to @declared; whether
 * it declares an object (a declarator not followed by a parameter list)
 * to @object. */
static void
find_declared (const guint *keyword_ids,
               const Token *tokens,
               guint        n_tokens,
               GArray      *declared,
               gboolean    *object)
{
  int depth = 0;

  *object = FALSE;

  for (guint i = 0; i < n_tokens; i++)
    {
      const Token *token = &tokens[i];

      /* Tags, at any depth, and enum constants. */
      if (is_keyword (keyword_ids, token, KW_STRUCT, KW_ENUM))
        {
          guint brace = i + 1;

          if (brace < n_tokens && tokens[brace].kind == TOKEN_IDENT)
            brace++;
          if (is_punct (tokens, n_tokens, brace, "{"))
            {
              if (brace == i + 2)
                g_array_append_val (declared, tokens[i + 1].id);
              if (token->id == keyword_ids[KW_ENUM])
                {
                  guint close = matching (tokens, n_tokens, brace);
                  int   inner = 0;

                  for (guint k = brace + 1; k < close; k++)
                    {
                      if (inner == 0 && tokens[k].kind == TOKEN_IDENT && is_punct (tokens, n_tokens, k - 1, "{,"))
                        g_array_append_val (declared, tokens[k].id);
                      if (is_punct (tokens, n_tokens, k, "([{"))
                        inner++;
                      else if (is_punct (tokens, n_tokens, k, ")]}"))
                        inner--;
                    }
                }
            }
        }

      /* Attributes and the like hold no declarator. */
      if (is_keyword (keyword_ids, token, KW_ATTRIBUTE, N_KEYWORDS - 1) &&
          !is_keyword (keyword_ids, token, KW_STRUCT, KW_ENUM) && is_punct (tokens, n_tokens, i + 1, "("))
        {
          i = matching (tokens, n_tokens, i + 1);
          continue;
        }

      if (depth == 0 && token->kind == TOKEN_IDENT && ends_declarator (keyword_ids, tokens, n_tokens, i, FALSE))
        {
          g_array_append_val (declared, token->id);
          if (!is_punct (tokens, n_tokens, i + 1, "("))
            *object = TRUE;
        }

      /* A declarator in brackets: `(*name) (…)`. */
      if (depth == 0 && is_punct (tokens, n_tokens, i, "(") && is_punct (tokens, n_tokens, i + 1, "*^"))
        {
          guint close = matching (tokens, n_tokens, i);

          for (guint k = i + 2; k < close; k++)
            if (tokens[k].kind == TOKEN_IDENT && ends_declarator (keyword_ids, tokens, close, k, TRUE))
              {
                g_array_append_val (declared, tokens[k].id);
                *object = TRUE;
                break;
              }
          i = close;
          continue;
        }

      if (is_punct (tokens, n_tokens, i, "([{"))
        depth++;
      else if (is_punct (tokens, n_tokens, i, ")]}"))
        depth--;
    }
}

typedef struct
{
  HotPreludeIndex *index;
  guint            keyword_ids[N_KEYWORDS];
  guint            static_id;
  guint            extern_id;
  guint            typedef_id;
  GArray          *tokens;   /* of the item being read */
  GArray          *declared; /* scratch */
} Reader;

/* Whether @id is at the top level of the item of @tokens. */
static gboolean
has_specifier (const Token *tokens,
               guint        n_tokens,
               guint        id)
{
  int depth = 0;

  for (guint i = 0; i < n_tokens; i++)
    {
      if (depth == 0 && tokens[i].kind == TOKEN_IDENT && tokens[i].id == id)
        return TRUE;
      if (is_punct (tokens, n_tokens, i, "([{"))
        depth++;
      else if (is_punct (tokens, n_tokens, i, ")]}"))
        depth--;
    }
  return FALSE;
}

/* The item of @reader's tokens is read whole; @body: it is a function
 * definition. */
static void
finish_item (Reader  *reader,
             gboolean body)
{
  HotPreludeIndex *index = reader->index;
  const Token     *tokens = (const Token *) reader->tokens->data;
  guint            n_tokens = reader->tokens->len;
  guint            item = index->n_items++;
  gboolean         object;
  gboolean         is_static;

  g_array_set_size (reader->declared, 0);
  find_declared (reader->keyword_ids, tokens, n_tokens, reader->declared, &object);
  is_static = has_specifier (tokens, n_tokens, reader->static_id);
  /* Kept whatever the source uses: what declares no name found, and
   * what the compiler makes a symbol of anyway (a function or object
   * defined with external linkage, a weak one in a header). */
  if (reader->declared->len == 0 || (body && !is_static) ||
      (!body && object && !is_static && !has_specifier (tokens, n_tokens, reader->extern_id) &&
       !has_specifier (tokens, n_tokens, reader->typedef_id)))
    g_array_append_val (index->always, item);
  for (guint i = 0; i < reader->declared->len; i++)
    {
      guint   id = g_array_index (reader->declared, guint, i);
      GArray *list = g_ptr_array_index (index->declarers, id);

      /* Once per item. */
      if (list == NULL || g_array_index (list, guint, list->len - 1) != item)
        add_to (index->declarers, id, item);
    }

  for (guint i = 0; i < reader->tokens->len; i++)
    {
      guint *stamp;

      if (tokens[i].kind != TOKEN_IDENT)
        continue;
      stamp = &g_array_index (index->stamps, guint, tokens[i].id);
      if (*stamp == item + 1)
        continue;
      *stamp = item + 1;
      g_array_append_val (index->uses, tokens[i].id);
    }
  g_array_append_val (index->use_starts, index->uses->len);
  g_array_set_size (reader->tokens, 0);
}

static void
add_segment (HotPreludeIndex *index,
             gsize            start,
             gsize            end,
             gint             item)
{
  if (end > start)
    g_array_append_val (index->segments, ((Segment){ start, end, item, G_MAXUINT }));
}

/* A name a macro can make by pasting a fragment to an identifier S (see
 * add_fragment ()), such as `GtkWidget_autoptr`, is reached when S is. */
static void
link_pasted_names (HotPreludeIndex *index)
{
  guint n_ids = index->declarers->len;

  for (guint id = 0; id < n_ids; id++)
    {
      const char *name = g_ptr_array_index (index->id_names, id);
      gsize       length = strlen (name);
      char        buffer[256];

      if ((g_ptr_array_index (index->declarers, id) == NULL && !g_array_index (index->is_macro, guint8, id)) ||
          length >= sizeof buffer)
        continue;
      for (gsize k = 1; k < length; k++)
        {
          guint other = G_MAXUINT;

          memcpy (buffer, name, k);
          buffer[k] = '\0';
          if (g_hash_table_contains (index->fragments, buffer))
            other = lookup (index, name + k, length - k);
          if (other != G_MAXUINT)
            add_to (index->macro_uses, other, id);
          if (g_hash_table_contains (index->fragments, name + k) && (other = lookup (index, name, k)) != G_MAXUINT)
            add_to (index->macro_uses, other, id);
        }
    }
}

/**
 * hot_prelude_index_new:
 * @text: (transfer full): a tcc prelude: tcc's preprocessed output, its
 *   definitions kept, nul-terminated
 * @length: the length of @text
 *
 * Reads @text once: its directives, and its items with the names they
 * declare and the identifiers they use (see above). Takes a few tens of
 * milliseconds on <gtk/gtk.h>: meant for a worker thread.
 *
 * Returns: (transfer full): the index of @text, which it keeps
 */
HotPreludeIndex *
hot_prelude_index_new (char *text,
                       gsize length)
{
  HotPreludeIndex *index = g_atomic_rc_box_new0 (HotPreludeIndex);
  Reader           reader = { index };
  const char      *p;
  const char      *end;
  const char      *line_begin;
  gboolean         line_start = TRUE;
  gboolean         in_item = FALSE;
  gboolean         in_body = FALSE; /* of a function definition */
  gboolean         after_attribute = FALSE;
  gboolean         group_is_attribute = FALSE;
  int              depth = 0;
  gsize            segment_start = 0;
  Token            previous = { TOKEN_OTHER };

  g_return_val_if_fail (text != NULL && text[length] == '\0', NULL);

  index->text = text;
  index->length = length;
  index->names = g_string_chunk_new (64 * 1024);
  index->ids = g_hash_table_new (g_str_hash, g_str_equal);
  index->segments = g_array_new (FALSE, FALSE, sizeof (Segment));
  index->use_starts = g_array_new (FALSE, FALSE, sizeof (guint));
  index->uses = g_array_new (FALSE, FALSE, sizeof (guint));
  index->always = g_array_new (FALSE, FALSE, sizeof (guint));
  index->declarers = g_ptr_array_new_with_free_func (free_list);
  index->macro_uses = g_ptr_array_new_with_free_func (free_list);
  index->stamps = g_array_new (FALSE, FALSE, sizeof (guint));
  index->id_names = g_ptr_array_new ();
  index->is_macro = g_array_new (FALSE, FALSE, sizeof (guint8));
  index->fragments = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  reader.tokens = g_array_new (FALSE, FALSE, sizeof (Token));
  reader.declared = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint k = 0; k < N_KEYWORDS; k++)
    reader.keyword_ids[k] = intern (index, keywords[k], strlen (keywords[k]));
  reader.static_id = intern (index, "static", strlen ("static"));
  reader.extern_id = intern (index, "extern", strlen ("extern"));
  reader.typedef_id = intern (index, "typedef", strlen ("typedef"));
  g_array_append_val (index->use_starts, (guint){ 0 });

  p = line_begin = index->text;
  end = index->text + length;
  while (p < end)
    {
      const char *start = p;
      const char *ident_end;
      Token       token = { TOKEN_OTHER };

      if (*p == '\n')
        {
          line_start = TRUE;
          line_begin = ++p;
          continue;
        }
      if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' || *p == '\v')
        {
          p++;
          continue;
        }
      if (*p == '\\' && p + 1 < end && p[1] == '\n')
        {
          p += 2;
          line_begin = p;
          continue;
        }

      if (line_start && *p == '#')
        {
          const char *directive_end = p;

          /* With its continuation lines. */
          while (TRUE)
            {
              const char *newline = memchr (directive_end, '\n', end - directive_end);

              if (newline == NULL)
                {
                  directive_end = end;
                  break;
                }
              directive_end = newline + 1;
              if (newline == p || newline[-1] != '\\')
                break;
            }
          add_segment (index, segment_start, line_begin - index->text, in_item ? (gint) index->n_items : -1);
          add_segment (index, line_begin - index->text, directive_end - index->text, -1);
          g_array_index (index->segments, Segment, index->segments->len - 1).macro =
              read_directive (index, p, directive_end);
          segment_start = directive_end - index->text;
          p = line_begin = directive_end;
          continue;
        }
      line_start = FALSE;

      p = read_token (p, end, &token, &ident_end);
      if (token.kind == TOKEN_OTHER && *start == '/')
        continue; /* a comment */
      if (token.kind == TOKEN_IDENT)
        token.id = intern (index, start, ident_end - start);

      if (!in_item)
        {
          add_segment (index, segment_start, start - index->text, -1);
          segment_start = start - index->text;
          in_item = TRUE;
          in_body = FALSE;
          after_attribute = FALSE;
          depth = 0;
          previous.kind = TOKEN_OTHER;
        }
      g_array_append_val (reader.tokens, token);

      if (token.kind == TOKEN_PUNCT && (token.punct == '(' || token.punct == '[' || token.punct == '{'))
        {
          if (depth == 0 && token.punct == '(')
            group_is_attribute = is_keyword (reader.keyword_ids, &previous, KW_ATTRIBUTE, N_KEYWORDS - 1);
          /* A body after a parameter list (not after an attribute). */
          if (depth == 0 && token.punct == '{' && previous.kind == TOKEN_PUNCT && previous.punct == ')' &&
              !after_attribute)
            in_body = TRUE;
          depth++;
        }
      else if (token.kind == TOKEN_PUNCT && (token.punct == ')' || token.punct == ']' || token.punct == '}'))
        {
          if (depth > 0)
            depth--;
          if (depth == 0 && token.punct == ')')
            after_attribute = group_is_attribute;
        }

      if (depth == 0 && token.kind == TOKEN_PUNCT &&
          (token.punct == ';' || (token.punct == '}' && in_body)))
        {
          add_segment (index, segment_start, p - index->text, index->n_items);
          segment_start = p - index->text;
          finish_item (&reader, in_body);
          in_item = FALSE;
        }
      previous = token;
    }

  if (in_item)
    {
      add_segment (index, segment_start, length, index->n_items);
      g_array_append_val (index->always, index->n_items);
      finish_item (&reader, in_body);
    }
  else
    add_segment (index, segment_start, length, -1);

  link_pasted_names (index);

  g_array_unref (reader.tokens);
  g_array_unref (reader.declared);
  g_clear_pointer (&index->stamps, g_array_unref);
  g_clear_pointer (&index->fragments, g_hash_table_unref);

  return index;
}

static void
index_clear (gpointer data)
{
  HotPreludeIndex *index = data;

  g_free (index->text);
  g_string_chunk_free (index->names);
  g_hash_table_unref (index->ids);
  g_array_unref (index->segments);
  g_array_unref (index->use_starts);
  g_array_unref (index->uses);
  g_array_unref (index->always);
  g_ptr_array_unref (index->declarers);
  g_ptr_array_unref (index->macro_uses);
  g_ptr_array_unref (index->id_names);
  g_array_unref (index->is_macro);
}

/**
 * hot_prelude_index_ref:
 * @index: an index
 *
 * An index does not change once made: a worker thread may prune with it
 * while it holds a reference.
 *
 * Returns: (transfer full): @index
 */
HotPreludeIndex *
hot_prelude_index_ref (HotPreludeIndex *index)
{
  return g_atomic_rc_box_acquire (index);
}

/**
 * hot_prelude_index_unref:
 * @index: an index
 */
void
hot_prelude_index_unref (HotPreludeIndex *index)
{
  g_atomic_rc_box_release_full (index, index_clear);
}

/**
 * hot_prelude_index_get_n_items:
 * @index: an index
 *
 * Returns: how many items (declarations and definitions) the prelude has
 */
guint
hot_prelude_index_get_n_items (HotPreludeIndex *index)
{
  return index->n_items;
}

/* Calls @func on each identifier of @code. */
static void
foreach_identifier (const char *code,
                    void (*func) (const char *name, gsize length, gpointer data),
                    gpointer data)
{
  const char *end = code + strlen (code);
  const char *p = code;

  while (p < end)
    {
      const char *start = p;
      const char *ident_end;
      Token       token;

      if (g_ascii_isspace (*p) || *p == '\\')
        {
          p++;
          continue;
        }
      p = read_token (p, end, &token, &ident_end);
      if (token.kind == TOKEN_IDENT)
        func (start, ident_end - start, data);
    }
}

static void
add_name (const char *name,
          gsize       length,
          gpointer    data)
{
  g_hash_table_add (data, g_strndup (name, length));
}

static gint
compare_names (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/**
 * hot_prelude_names_key:
 * @code: a source's code, its prologue blanked out
 *
 * Returns: (transfer full): a checksum of the identifiers @code names,
 *   whatever their order and number: two codes naming the same ones
 *   prune a prelude the same way
 */
char *
hot_prelude_names_key (const char *code)
{
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);
  g_autofree gpointer *sorted = NULL;
  guint                n_names;

  g_return_val_if_fail (code != NULL, NULL);

  foreach_identifier (code, add_name, names);
  sorted = g_hash_table_get_keys_as_array (names, &n_names);
  g_qsort_with_data (sorted, n_names, sizeof (gpointer), compare_names, NULL);
  for (guint i = 0; i < n_names; i++)
    g_checksum_update (checksum, sorted[i], strlen (sorted[i]) + 1);

  return g_strdup (g_checksum_get_string (checksum));
}

typedef struct
{
  HotPreludeIndex *index;
  GArray          *pending; /* ids */
} Seeds;

static void
add_seed (const char *name,
          gsize       length,
          gpointer    data)
{
  Seeds *seeds = data;
  guint  id = lookup (seeds->index, name, length);

  if (id != G_MAXUINT)
    g_array_append_val (seeds->pending, id);
}

static void
keep_item (HotPreludeIndex *index,
           guint            item,
           gboolean        *kept,
           GArray          *pending)
{
  guint first = g_array_index (index->use_starts, guint, item);
  guint last = g_array_index (index->use_starts, guint, item + 1);

  if (kept[item])
    return;
  kept[item] = TRUE;
  g_array_append_vals (pending, &g_array_index (index->uses, guint, first), last - first);
}

/**
 * hot_prelude_index_prune:
 * @index: the index of a prelude
 * @code: the code of a source compiled with the prelude, its prologue
 *   blanked out
 * @length: (out) (optional): the length of the result
 * @n_kept: (out) (optional): how many items were kept
 *
 * Returns: (transfer full): the prelude with only its directives and the
 *   items @code reaches (see above), in their order; the other items'
 *   lines are left empty
 */
char *
hot_prelude_index_prune (HotPreludeIndex *index,
                         const char      *code,
                         gsize           *length,
                         guint           *n_kept)
{
  g_autofree gboolean *kept = g_new0 (gboolean, index->n_items + 1);
  g_autofree guint8   *seen = g_new0 (guint8, index->declarers->len);
  g_autoptr (GArray) pending = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GString) pruned = g_string_sized_new (index->length / 4);
  Seeds seeds = { index, pending };
  guint count = 0;

  g_return_val_if_fail (index != NULL, NULL);
  g_return_val_if_fail (code != NULL, NULL);

  foreach_identifier (code, add_seed, &seeds);
  for (guint i = 0; i < index->always->len; i++)
    keep_item (index, g_array_index (index->always, guint, i), kept, pending);

  while (pending->len > 0)
    {
      guint   id = g_array_index (pending, guint, pending->len - 1);
      GArray *macro;
      GArray *declarers;

      g_array_set_size (pending, pending->len - 1);
      if (seen[id])
        continue;
      seen[id] = TRUE;
      macro = g_ptr_array_index (index->macro_uses, id);
      if (macro != NULL)
        g_array_append_vals (pending, macro->data, macro->len);
      declarers = g_ptr_array_index (index->declarers, id);
      for (guint i = 0; declarers != NULL && i < declarers->len; i++)
        keep_item (index, g_array_index (declarers, guint, i), kept, pending);
    }

  for (guint i = 0; i < index->segments->len; i++)
    {
      const Segment *segment = &g_array_index (index->segments, Segment, i);
      const char    *start = index->text + segment->start;
      const char    *end = index->text + segment->end;

      if (segment->macro != G_MAXUINT ? seen[segment->macro] : segment->item < 0 || kept[segment->item])
        {
          g_string_append_len (pruned, start, end - start);
          continue;
        }
      for (const char *newline = memchr (start, '\n', end - start); newline != NULL;
           newline = memchr (newline + 1, '\n', end - newline - 1))
        g_string_append_c (pruned, '\n');
    }

  for (guint i = 0; i < index->n_items; i++)
    count += kept[i];
  if (length != NULL)
    *length = pruned->len;
  if (n_kept != NULL)
    *n_kept = count;

  return g_string_free (g_steal_pointer (&pruned), FALSE);
}
