#define G_LOG_DOMAIN "bell-str"

#include "bell-str.h"

gboolean
bell_str_equal_ci (BellStr a, BellStr b)
{
  return a.len == b.len && (a.len == 0 || g_ascii_strncasecmp (a.p, b.p, a.len) == 0);
}

gboolean
bell_str_equal_ci_cstr (BellStr a, const char *b)
{
  return bell_str_equal_ci (a, bell_str (b));
}

char *
bell_str_dup (BellStr s)
{
  return s.p ? g_strndup (s.p, s.len) : NULL;
}

static inline gboolean
is_lws (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

BellStr
bell_str_trim (BellStr s)
{
  while (s.len > 0 && is_lws (s.p[0]))
    {
      s.p++;
      s.len--;
    }
  while (s.len > 0 && is_lws (s.p[s.len - 1]))
    s.len--;
  return s;
}

gboolean
bell_str_to_uint64 (BellStr s, guint64 max, guint64 *out)
{
  guint64 v = 0;

  if (s.len == 0)
    return FALSE;
  for (gsize i = 0; i < s.len; i++)
    {
      unsigned d = (unsigned char) s.p[i] - '0';
      if (d > 9)
        return FALSE;
      /* Reject before overflowing: long digit strings are an attack (RFC 4475 §3.1.2.4). */
      if (v > (max - d) / 10)
        return FALSE;
      v = v * 10 + d;
    }
  *out = v;
  return TRUE;
}
