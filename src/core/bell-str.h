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

gboolean  bell_str_equal_ci      (BellStr a, BellStr b);
gboolean  bell_str_equal_ci_cstr (BellStr a, const char *b);
char     *bell_str_dup           (BellStr s);
BellStr   bell_str_trim          (BellStr s);
/* Parses 1*DIGIT as a whole; FALSE on empty, non-digit or a value above max. */
gboolean  bell_str_to_uint64     (BellStr s, guint64 max, guint64 *out);

G_END_DECLS
