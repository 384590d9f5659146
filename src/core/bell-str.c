#define G_LOG_DOMAIN "bell-str"

#include "bell-str.h"

char *
bell_str_dup (BellStr s)
{
  return s.p ? g_strndup (s.p, s.len) : NULL;
}

gboolean
bell_str_to_uint64 (BellStr s, guint64 max, guint64 *out)
{
  guint64 v = 0;

  if (s.len == 0)
    return FALSE;
  /* Up to 19 digits cannot overflow 64 bits: the common case needs no division. */
  if (s.len < 20)
    {
      for (gsize i = 0; i < s.len; i++)
        {
          unsigned d = (unsigned char) s.p[i] - '0';
          if (d > 9)
            return FALSE;
          v = v * 10 + d;
        }
      if (v > max)
        return FALSE;
      *out = v;
      return TRUE;
    }
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
