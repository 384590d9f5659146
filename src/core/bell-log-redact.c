/* bell-log-redact.c: secrets out of text bound for logs (SDES keys, MIKEY data, SDP k=). */
#define G_LOG_DOMAIN "bell-log"

#include "bell-log-redact.h"

#include <string.h>

static gboolean
has_prefix_ci (const char *p, const char *end, const char *prefix)
{
  gsize n = strlen (prefix);

  return (gsize) (end - p) >= n && g_ascii_strncasecmp (p, prefix, n) == 0;
}

static gboolean
is_line_end (char c)
{
  return c == '\r' || c == '\n';
}

/* The end of the token at p: up to white space, a line end, or (stop_at_bar) a '|'. */
static const char *
token_end (const char *p, const char *end, gboolean stop_at_bar)
{
  while (p < end && *p != ' ' && *p != '\t' && !is_line_end (*p) && *p != '\0' &&
         !(stop_at_bar && *p == '|'))
    p++;
  return p;
}

static const char *
line_end (const char *p, const char *end)
{
  while (p < end && !is_line_end (*p))
    p++;
  return p;
}

void
bell_log_redact_append (GString *out, const char *text, gsize len)
{
  const char *p = text, *end = text + len, *plain = text;
  gboolean line_start = TRUE;

  g_return_if_fail (out != NULL);
  g_return_if_fail (text != NULL || len == 0);

  while (p < end)
    {
      const char *keep = NULL, *skip = NULL;

      if (has_prefix_ci (p, end, "inline:"))
        {
          keep = p + strlen ("inline:");
          skip = token_end (keep, end, TRUE);
        }
      else if (line_start && has_prefix_ci (p, end, "a=key-mgmt:"))
        {
          /* "a=key-mgmt:mikey <data>": the protocol name is no secret, its data may be. */
          keep = token_end (p + strlen ("a=key-mgmt:"), end, FALSE);
          while (keep < end && (*keep == ' ' || *keep == '\t'))
            keep++;
          skip = line_end (keep, end);
        }
      else if (line_start && has_prefix_ci (p, end, "k="))
        {
          keep = p + 2;
          skip = line_end (keep, end);
        }

      if (keep != NULL && skip > keep)
        {
          g_string_append_len (out, plain, keep - plain);
          g_string_append (out, BELL_LOG_REDACTED);
          p = plain = skip;
          line_start = FALSE;
          continue;
        }
      line_start = *p == '\n';
      p++;
    }
  g_string_append_len (out, plain, end - plain);
}

char *
bell_log_redact (const char *text, gssize len)
{
  GString *out;
  gsize n;

  if (text == NULL)
    return NULL;
  n = len < 0 ? strlen (text) : (gsize) len;
  out = g_string_sized_new (n + 16);
  bell_log_redact_append (out, text, n);
  return g_string_free (out, FALSE);
}
