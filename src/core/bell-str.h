/* bell-str.h: zero-copy string slices into a message buffer.
 *
 * The SIP parser never copies header text: every parsed field is a BellStr that points into the
 * buffer owned by its BellSipMsg (or by a standalone BellSipUri), valid as long as that owner.
 */
#pragma once

#include <glib.h>
#include <string.h>

G_BEGIN_DECLS

typedef struct
{
  const char *p;
  gsize       len;
} BellStr;

#define BELL_STR_NULL ((BellStr){ NULL, 0 })
#define BELL_STR_LIT(s) ((BellStr){ (s), sizeof (s) - 1 })
/* For printf: printf ("%.*s", BELL_STR_PRINTF (s)) */
#define BELL_STR_PRINTF(s) (int) (s).len, (s).p

static inline BellStr
bell_str (const char *cstr)
{
  return (BellStr){ cstr, cstr ? strlen (cstr) : 0 };
}

static inline gboolean
bell_str_is_set (BellStr s)
{
  return s.p != NULL;
}

static inline gboolean
bell_str_equal (BellStr a, BellStr b)
{
  return a.len == b.len && (a.len == 0 || memcmp (a.p, b.p, a.len) == 0);
}

static inline gboolean
bell_str_equal_cstr (BellStr a, const char *b)
{
  return bell_str_equal (a, bell_str (b));
}

static inline char
bell_ascii_lower (char c)
{
  return (char) (c + ((unsigned) ((unsigned char) c - 'A') < 26u) * 32);
}

/* ASCII case-insensitive comparison of n bytes: the parser's hot path, so no locale, no call. */
static inline gboolean
bell_mem_equal_ci (const char *a, const char *b, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (bell_ascii_lower (a[i]) != bell_ascii_lower (b[i]))
      return FALSE;
  return TRUE;
}

static inline gboolean
bell_str_equal_ci (BellStr a, BellStr b)
{
  return a.len == b.len && bell_mem_equal_ci (a.p, b.p, a.len);
}

static inline gboolean
bell_str_equal_ci_cstr (BellStr a, const char *b)
{
  return bell_str_equal_ci (a, bell_str (b));
}

/* Against a lowercase literal: only the literal's letters need folding, and c | 0x20 equals a
 * lowercase letter exactly when c is that letter in either case. */
static inline gboolean
bell_mem_equal_lower (const char *s, const char *lower, gsize n)
{
  for (gsize i = 0; i < n; i++)
    {
      char c = s[i];
      if (lower[i] >= 'a' && lower[i] <= 'z')
        c |= 0x20;
      if (c != lower[i])
        return FALSE;
    }
  return TRUE;
}

/* With a lowercase string literal: the length is known at compile time. */
#define bell_str_equal_ci_lit(s, lit) \
  ((s).len == sizeof (lit) - 1 && bell_mem_equal_lower ((s).p, (lit), sizeof (lit) - 1))

static inline BellStr
bell_str_trim (BellStr s)
{
  while (s.len > 0 && (s.p[0] == ' ' || s.p[0] == '\t' || s.p[0] == '\r' || s.p[0] == '\n'))
    s.p++, s.len--;
  while (s.len > 0 && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t' ||
                       s.p[s.len - 1] == '\r' || s.p[s.len - 1] == '\n'))
    s.len--;
  return s;
}

char     *bell_str_dup           (BellStr s);
/* Parses 1*DIGIT as a whole; FALSE on empty, non-digit or a value above max. */
gboolean  bell_str_to_uint64     (BellStr s, guint64 max, guint64 *out);

G_END_DECLS
