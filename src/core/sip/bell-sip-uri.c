/* bell-sip-uri.c: sip:, sips: and tel: URIs (RFC 3261 §19.1, §25.1; RFC 3966). */
#define G_LOG_DOMAIN "bell-sip"

#include "bell-sip-uri.h"
#include "bell-sip-error.h"
#include "bell-sip-private.h"

#include <string.h>

gsize
bell_hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return (gsize) (c - '0');
  if (c >= 'a' && c <= 'f')
    return (gsize) (c - 'a' + 10);
  if (c >= 'A' && c <= 'F')
    return (gsize) (c - 'A' + 10);
  return 16;
}

const char *
bell_scan_escaped (const char *p, const char *end, guint16 cls)
{
  while (p < end)
    {
      if (bell_cc (*p, cls))
        p++;
      else if (*p == '%' && end - p >= 3 && bell_cc (p[1], BELL_CC_HEX) && bell_cc (p[2], BELL_CC_HEX))
        p += 3;
      else
        break;
    }
  return p;
}

static gboolean
uri_error (GError **error, const char *text, gsize len, const char *why)
{
  g_set_error (error, BELL_SIP_ERROR, BELL_SIP_ERROR_BAD_URI, "bad URI “%.*s”: %s",
               (int) MIN (len, 200), text, why);
  return FALSE;
}

/* IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each at most 255. */
static gboolean
is_ipv4 (const char *p, gsize len)
{
  int parts = 0, digits = 0, value = 0;

  for (gsize i = 0; i < len; i++)
    {
      if (p[i] >= '0' && p[i] <= '9')
        {
          value = value * 10 + (p[i] - '0');
          if (++digits > 3 || value > 255)
            return FALSE;
        }
      else if (p[i] == '.' && digits > 0 && parts < 3)
        {
          parts++;
          digits = value = 0;
        }
      else
        return FALSE;
    }
  return parts == 3 && digits > 0;
}

/* hostname = *( domainlabel "." ) toplabel [ "." ]: labels of alphanumerics with inner '-'.
 * The characters were checked by the caller's scan; this checks the label structure. */
static gboolean
is_hostname (const char *p, gsize len)
{
  if (len == 0 || p[0] == '.' || p[0] == '-')
    return FALSE;
  for (const char *d = memchr (p, '.', len); d; d = memchr (d + 1, '.', len - (gsize) (d + 1 - p)))
    {
      /* no empty label, no label ending or starting with '-' */
      if (d[-1] == '.' || d[-1] == '-' || (d + 1 < p + len && d[1] == '-'))
        return FALSE;
      if (d + 1 == p + len)
        break;
    }
  return p[len - 1] != '-' && !(len == 1 && p[0] == '.');
}

/* IPv6reference = "[" IPv6address "]". RFC 5118 §4.10 wants both the RFC 3261 ABNF (which
 * allows ":::" before an IPv4 tail) and RFC 4291 forms accepted, so this checks the characters
 * and the group shape, not the exact grammar. */
static gboolean
is_ipv6_reference (const char *p, gsize len)
{
  int colons = 0, group = 0;

  if (len < 4 || p[0] != '[' || p[len - 1] != ']')
    return FALSE;
  for (gsize i = 1; i + 1 < len; i++)
    {
      char c = p[i];
      if (c == ':')
        {
          colons++;
          group = 0;
        }
      else if (bell_cc (c, BELL_CC_HEX) || c == '.')
        {
          if (++group > 15)  /* an IPv4 tail is at most 15 characters */
            return FALSE;
        }
      else
        return FALSE;
    }
  return colons >= 2 && colons <= 8;
}

gboolean
bell_sip_host_classify (const char *p, gsize len, BellHostType *type)
{
  if (len > 0 && p[0] == '[')
    {
      *type = BELL_HOST_IPV6;
      return is_ipv6_reference (p, len);
    }
  /* Only a name ending in a digit can be an IPv4 address: try that first for those. */
  if (len > 0 && g_ascii_isdigit (p[len - 1]) && is_ipv4 (p, len))
    {
      *type = BELL_HOST_IPV4;
      return TRUE;
    }
  *type = BELL_HOST_NAME;
  for (gsize i = 0; i < len; i++)
    if (!bell_cc (p[i], BELL_CC_HOST))
      return FALSE;
  return is_hostname (p, len);
}

/* Parses host[:port] from [p, end); returns the end of what it took or NULL. */
const char *
bell_sip_parse_hostport (const char *p, const char *end, BellStr *host, BellHostType *type,
                         guint16 *port)
{
  const char *h = p;
  guint64 v;

  if (p < end && *p == '[')
    {
      const char *close = memchr (p, ']', (gsize) (end - p));
      if (!close)
        return NULL;
      p = close + 1;
    }
  else
    {
      /* Label by label: a tight loop over alphanumerics, '-' only inside a label, '.' between
       * labels and once at the end. */
      for (;;)
        {
          const char *label = p;
          while (p < end && bell_cc (*p, BELL_CC_ALNUM))
            p++;
          if (p < end && *p == '-')
            {
              while (p < end && (bell_cc (*p, BELL_CC_ALNUM) || *p == '-'))
                p++;
              if (p[-1] == '-' || *label == '-')
                return NULL;
            }
          if (p == label)
            {
              /* an empty label is only allowed as the root after a final '.' */
              if (label == h || label[-1] != '.' || (label - h) < 2)
                return NULL;
              break;
            }
          if (p < end && *p == '.')
            p++;
          else
            break;
        }
      /* Only a host ending in a digit can be an IPv4 address (a toplabel starts with ALPHA). */
      if (g_ascii_isdigit (p[-1]) && is_ipv4 (h, (gsize) (p - h)))
        *type = BELL_HOST_IPV4;
      else
        *type = BELL_HOST_NAME;
    }
  if (*h == '[')
    {
      if (!is_ipv6_reference (h, (gsize) (p - h)))
        return NULL;
      *type = BELL_HOST_IPV6;
    }
  *host = (BellStr){ h, (gsize) (p - h) };
  *port = 0;
  if (p < end && *p == ':')
    {
      const char *d = ++p;
      while (p < end && *p >= '0' && *p <= '9')
        p++;
      if (!bell_str_to_uint64 ((BellStr){ d, (gsize) (p - d) }, 65535, &v) || v == 0)
        return NULL;
      *port = (guint16) v;
    }
  return p;
}

static gboolean
parse_headers (BellStr headers)
{
  const char *p = headers.p, *end = headers.p + headers.len;

  /* headers = "?" header *( "&" header ); header = hname "=" hvalue */
  for (;;)
    {
      const char *name = p;
      p = bell_scan_escaped (p, end, BELL_CC_HNV);
      if (p == name || p >= end || *p != '=')
        return FALSE;
      p = bell_scan_escaped (p + 1, end, BELL_CC_HNV);
      if (p == end)
        return TRUE;
      if (*p != '&')
        return FALSE;
      p++;
    }
}

static gboolean
parse_sip (BellSipUri *uri, const char *p, const char *end, GError **error)
{
  const char *text = uri->text.p;
  gsize tlen = uri->text.len;
  const char *at = memchr (p, '@', (gsize) (end - p));

  if (at)
    {
      const char *colon = memchr (p, ':', (gsize) (at - p));
      const char *uend = colon ? colon : at;
      if (bell_scan_escaped (p, uend, BELL_CC_USER) != uend || uend == p)
        return uri_error (error, text, tlen, "invalid user part");
      uri->user = (BellStr){ p, (gsize) (uend - p) };
      if (colon)
        {
          if (bell_scan_escaped (colon + 1, at, BELL_CC_PASSWORD) != at)
            return uri_error (error, text, tlen, "invalid password");
          uri->password = (BellStr){ colon + 1, (gsize) (at - colon - 1) };
        }
      p = at + 1;
    }

  p = bell_sip_parse_hostport (p, end, &uri->host, &uri->host_type, &uri->port);
  if (!p)
    return uri_error (error, text, tlen, "invalid host or port");

  if (p < end && *p == ';')
    {
      const char *s = p;
      const char *q = memchr (p, '?', (gsize) (end - p));
      p = q ? q : end;
      uri->params = (BellStr){ s, (gsize) (p - s) };
      if (!bell_params_validate (uri->params, BELL_PARAMS_URI))
        return uri_error (error, text, tlen, "invalid parameter");
    }
  if (p < end && *p == '?')
    {
      uri->headers = (BellStr){ p + 1, (gsize) (end - p - 1) };
      if (!parse_headers (uri->headers))
        return uri_error (error, text, tlen, "invalid header part");
      p = end;
    }
  if (p != end)
    return uri_error (error, text, tlen, "unexpected character after the host");
  return TRUE;
}

/* telephone-subscriber (RFC 3966 §3): a number with visual separators, then ;parameters. */
static gboolean
parse_tel (BellSipUri *uri, const char *p, const char *end, GError **error)
{
  const char *n = p;
  gboolean digit = FALSE;

  if (p < end && *p == '+')
    p++;
  for (; p < end && bell_cc (*p, BELL_CC_TEL) && *p != '+'; p++)
    digit |= bell_cc (*p, BELL_CC_HEX) || *p == '*' || *p == '#';
  if (!digit)
    return uri_error (error, uri->text.p, uri->text.len, "a tel: URI needs a number");
  uri->user = (BellStr){ n, (gsize) (p - n) };
  if (p < end)
    {
      uri->params = (BellStr){ p, (gsize) (end - p) };
      if (*p != ';' || !bell_params_validate (uri->params, BELL_PARAMS_URI))
        return uri_error (error, uri->text.p, uri->text.len, "invalid tel: parameter");
    }
  return TRUE;
}

gboolean
bell_sip_uri_parse (BellSipUri *uri, const char *text, gsize len, GError **error)
{
  const char *p = text, *end = text + len;
  const char *colon;

  memset (uri, 0, sizeof *uri);
  uri->text = (BellStr){ text, len };

  /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
  colon = memchr (text, ':', len);
  if (!colon || colon == text || !g_ascii_isalpha (text[0]))
    return uri_error (error, text, len, "no scheme");
  for (p = text; p < colon; p++)
    if (!bell_cc (*p, BELL_CC_SCHEME))
      return uri_error (error, text, len, "invalid scheme");
  uri->scheme_str = (BellStr){ text, (gsize) (colon - text) };
  p = colon + 1;

  if (bell_str_equal_ci_lit (uri->scheme_str, "sip"))
    uri->scheme = BELL_URI_SCHEME_SIP;
  else if (bell_str_equal_ci_lit (uri->scheme_str, "sips"))
    uri->scheme = BELL_URI_SCHEME_SIPS;
  else if (bell_str_equal_ci_lit (uri->scheme_str, "tel"))
    uri->scheme = BELL_URI_SCHEME_TEL;
  else
    uri->scheme = BELL_URI_SCHEME_OTHER;

  switch (uri->scheme)
    {
    case BELL_URI_SCHEME_SIP:
    case BELL_URI_SCHEME_SIPS:
      return parse_sip (uri, p, end, error);
    case BELL_URI_SCHEME_TEL:
      return parse_tel (uri, p, end, error);
    case BELL_URI_SCHEME_OTHER:
    default:
      /* absoluteURI: kept opaque; it just may not contain what ends a URI in a header. */
      for (const char *q = p; q < end; q++)
        if ((guchar) *q <= ' ' || *q == '<' || *q == '>' || *q == '"' || (guchar) *q == 0x7f)
          return uri_error (error, text, len, "invalid character");
      if (p == end)
        return uri_error (error, text, len, "empty URI");
      uri->opaque = (BellStr){ p, (gsize) (end - p) };
      return TRUE;
    }
}

/* Re-points every slice of src (which points into src->text) into new_text. */
static void
uri_rebase (BellSipUri *uri, const BellSipUri *src, const char *new_text)
{
  BellStr *const fields[] = { &uri->text, &uri->scheme_str, &uri->user, &uri->password,
                              &uri->host, &uri->params, &uri->headers, &uri->opaque };

  *uri = *src;
  for (gsize i = 0; i < G_N_ELEMENTS (fields); i++)
    if (fields[i]->p)
      fields[i]->p = new_text + (fields[i]->p - src->text.p);
}

BellSipUri *
bell_sip_uri_copy (const BellSipUri *uri)
{
  /* One block: the struct, then its text. */
  BellSipUri *copy = g_malloc (sizeof *copy + uri->text.len + 1);
  char *text = (char *) (copy + 1);

  memcpy (text, uri->text.p, uri->text.len);
  text[uri->text.len] = '\0';
  uri_rebase (copy, uri, text);
  return copy;
}

BellSipUri *
bell_sip_uri_new (const char *text, GError **error)
{
  BellSipUri tmp;

  g_return_val_if_fail (text != NULL, NULL);
  if (!bell_sip_uri_parse (&tmp, text, strlen (text), error))
    return NULL;
  return bell_sip_uri_copy (&tmp);
}

void
bell_sip_uri_free (BellSipUri *uri)
{
  g_free (uri);
}

gboolean
bell_sip_uri_is_sip (const BellSipUri *uri)
{
  return uri->scheme == BELL_URI_SCHEME_SIP || uri->scheme == BELL_URI_SCHEME_SIPS;
}

char *
bell_sip_uri_to_string (const BellSipUri *uri)
{
  return bell_str_dup (uri->text);
}

char *
bell_sip_uri_text_for_server (const char *text)
{
  if (g_str_has_prefix (text, "sip:") || g_str_has_prefix (text, "sips:"))
    return g_strdup (text);
  return g_strconcat ("sip:", text, NULL);
}

char *
bell_sip_uri_to_loose_route (const BellSipUri *uri)
{
  g_autofree char *text = bell_sip_uri_to_string (uri);
  BellStr lr;

  return g_strdup_printf ("<%s%s>", text, bell_sip_uri_get_param (uri, "lr", &lr) ? "" : ";lr");
}

/* Next decoded byte of an escaped slice; returns FALSE at the end. */
static inline gboolean
next_unescaped (const char **p, const char *end, guchar *c)
{
  if (*p >= end)
    return FALSE;
  if (**p == '%' && end - *p >= 3 && bell_hex_value ((*p)[1]) < 16 && bell_hex_value ((*p)[2]) < 16)
    {
      *c = (guchar) (bell_hex_value ((*p)[1]) << 4 | bell_hex_value ((*p)[2]));
      *p += 3;
    }
  else
    {
      *c = (guchar) **p;
      *p += 1;
    }
  return TRUE;
}

static gboolean
unescaped_equal (BellStr a, BellStr b, gboolean ci)
{
  const char *pa, *ea, *pb, *eb;
  guchar ca, cb;

  if (a.len == 0 || b.len == 0)
    return a.len == b.len;
  pa = a.p, ea = a.p + a.len, pb = b.p, eb = b.p + b.len;

  for (;;)
    {
      gboolean ha = next_unescaped (&pa, ea, &ca);
      gboolean hb = next_unescaped (&pb, eb, &cb);
      if (!ha || !hb)
        return ha == hb;
      if (ci ? g_ascii_tolower (ca) != g_ascii_tolower (cb) : ca != cb)
        return FALSE;
    }
}

static gboolean
find_param (BellStr params, BellStr name, BellStr *value)
{
  BellStr n, v;

  while (bell_params_next (&params, &n, &v))
    if (unescaped_equal (n, name, TRUE))
      {
        if (value)
          *value = v;
        return TRUE;
      }
  return FALSE;
}

gboolean
bell_sip_uri_get_param (const BellSipUri *uri, const char *name, BellStr *value)
{
  return find_param (uri->params, bell_str (name), value);
}

/* Iterates "a=b&c=d". */
static gboolean
headers_next (BellStr *rest, BellStr *name, BellStr *value)
{
  const char *p, *end, *amp, *eq;

  if (rest->len == 0)
    return FALSE;
  p = rest->p;
  end = rest->p + rest->len;
  amp = memchr (p, '&', rest->len);
  if (!amp)
    amp = end;
  eq = memchr (p, '=', (gsize) (amp - p));
  *name = (BellStr){ p, (gsize) ((eq ? eq : amp) - p) };
  *value = eq ? (BellStr){ eq + 1, (gsize) (amp - eq - 1) } : (BellStr){ amp, 0 };
  *rest = amp < end ? (BellStr){ amp + 1, (gsize) (end - amp - 1) } : (BellStr){ end, 0 };
  return TRUE;
}

gboolean
bell_sip_uri_get_header (const BellSipUri *uri, const char *name, BellStr *value)
{
  BellStr rest = uri->headers, n, v;

  while (headers_next (&rest, &n, &v))
    if (unescaped_equal (n, bell_str (name), TRUE))
      {
        if (value)
          *value = v;
        return TRUE;
      }
  return FALSE;
}

/* Is the parameter at name the first of that name in params? Later duplicates are ignored
 * everywhere (a lookup finds the first), so comparisons must ignore them too. */
static gboolean
is_first_occurrence (BellStr params, BellStr name)
{
  BellStr rest = params, n, v;

  while (bell_params_next (&rest, &n, &v))
    if (unescaped_equal (n, name, TRUE))
      return n.p == name.p;
  return FALSE;
}

/* §19.1.4: user, ttl, method, maddr and transport must match when either URI has them; other
 * parameters only when both have them. */
static gboolean
params_equal (BellStr a, BellStr b)
{
  static const char *const must_match[] = { "user", "ttl", "method", "maddr", "transport" };
  BellStr rest = a, n, va, vb;

  for (gsize i = 0; i < G_N_ELEMENTS (must_match); i++)
    {
      gboolean ha = find_param (a, bell_str (must_match[i]), &va);
      gboolean hb = find_param (b, bell_str (must_match[i]), &vb);
      if (ha != hb || (ha && !unescaped_equal (va, vb, TRUE)))
        return FALSE;
    }
  while (bell_params_next (&rest, &n, &va))
    if (is_first_occurrence (a, n) && find_param (b, n, &vb) && !unescaped_equal (va, vb, TRUE))
      return FALSE;
  return TRUE;
}

/* Header components are never ignored: each one must be in both, in any order. */
static gboolean
headers_subset (BellStr a, BellStr b)
{
  BellStr rest = a, n, va;

  while (headers_next (&rest, &n, &va))
    {
      BellStr rb = b, nb, vb;
      gboolean found = FALSE;
      while (!found && headers_next (&rb, &nb, &vb))
        found = unescaped_equal (n, nb, TRUE) && unescaped_equal (va, vb, FALSE);
      if (!found)
        return FALSE;
    }
  return TRUE;
}

/* RFC 3966 §4: numbers compare without visual separators, parameters all must match. */
static gboolean
tel_number_equal (BellStr a, BellStr b)
{
  gsize i = 0, j = 0;

  for (;;)
    {
      while (i < a.len && strchr ("-.()", a.p[i]))
        i++;
      while (j < b.len && strchr ("-.()", b.p[j]))
        j++;
      if (i == a.len || j == b.len)
        return i == a.len && j == b.len;
      if (g_ascii_tolower (a.p[i]) != g_ascii_tolower (b.p[j]))
        return FALSE;
      i++, j++;
    }
}

static gboolean
params_all_equal (BellStr a, BellStr b)
{
  BellStr rest = a, n, va, vb;
  guint count_a = 0, count_b = 0;

  while (bell_params_next (&rest, &n, &va))
    {
      if (!is_first_occurrence (a, n))
        continue;
      count_a++;
      if (!find_param (b, n, &vb) || !unescaped_equal (va, vb, TRUE))
        return FALSE;
    }
  rest = b;
  while (bell_params_next (&rest, &n, &vb))
    count_b += is_first_occurrence (b, n);
  return count_a == count_b;
}

gboolean
bell_sip_uri_equal (const BellSipUri *a, const BellSipUri *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (a->scheme != b->scheme)
    return FALSE;
  switch (a->scheme)
    {
    case BELL_URI_SCHEME_TEL:
      return tel_number_equal (a->user, b->user) && params_all_equal (a->params, b->params);
    case BELL_URI_SCHEME_OTHER:
      return bell_str_equal_ci (a->scheme_str, b->scheme_str) &&
             unescaped_equal (a->opaque, b->opaque, FALSE);
    case BELL_URI_SCHEME_SIP:
    case BELL_URI_SCHEME_SIPS:
    default:
      break;
    }

  if (bell_str_is_set (a->user) != bell_str_is_set (b->user) ||
      !unescaped_equal (a->user, b->user, FALSE) ||
      bell_str_is_set (a->password) != bell_str_is_set (b->password) ||
      !unescaped_equal (a->password, b->password, FALSE))
    return FALSE;
  if (!bell_str_equal_ci (a->host, b->host) || a->port != b->port)
    return FALSE;
  return params_equal (a->params, b->params) &&
         headers_subset (a->headers, b->headers) && headers_subset (b->headers, a->headers);
}

char *
bell_sip_uri_dup_user (const BellSipUri *uri, gsize *len)
{
  return bell_uri_unescape (uri->user, len);
}

char *
bell_uri_unescape (BellStr s, gsize *out_len)
{
  char *out = g_malloc (s.len + 1);
  gsize n = 0;

  for (gsize i = 0; i < s.len; i++)
    {
      if (s.p[i] == '%')
        {
          if (i + 2 >= s.len)
            {
              g_free (out);
              return NULL;
            }
          gsize hi = bell_hex_value (s.p[i + 1]), lo = bell_hex_value (s.p[i + 2]);
          if (hi > 15 || lo > 15)
            {
              g_free (out);
              return NULL;
            }
          out[n++] = (char) (hi << 4 | lo);
          i += 2;
        }
      else
        out[n++] = s.p[i];
    }
  out[n] = '\0';
  if (out_len)
    *out_len = n;
  return out;
}

char *
bell_uri_escape (const char *raw, gsize len, BellUriPart part)
{
  static const guint16 classes[] = {
    [BELL_URI_PART_USER] = BELL_CC_UNRESERVED | BELL_CC_USER,
    [BELL_URI_PART_PASSWORD] = BELL_CC_UNRESERVED | BELL_CC_PASSWORD,
    [BELL_URI_PART_PARAM] = BELL_CC_UNRESERVED | BELL_CC_PARAM,
    [BELL_URI_PART_HEADER] = BELL_CC_UNRESERVED | BELL_CC_HNV,
  };
  GString *out = g_string_sized_new (len + 8);

  g_return_val_if_fail (part < G_N_ELEMENTS (classes), NULL);
  for (gsize i = 0; i < len; i++)
    {
      /* ';' and '?' are legal in a user part, but escaping them keeps the URI unambiguous when
       * it is later put in a header without angle brackets. */
      if (bell_cc (raw[i], classes[part]) && raw[i] != ';' && raw[i] != '?')
        g_string_append_c (out, raw[i]);
      else
        g_string_append_printf (out, "%%%02X", (guchar) raw[i]);
    }
  return g_string_free (out, FALSE);
}
