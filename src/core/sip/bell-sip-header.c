/* bell-sip-header.c: header names and the parameter grammar shared by all headers. */
#define G_LOG_DOMAIN "bell-sip"

#include "bell-sip-header.h"
#include "bell-sip-private.h"

#include <string.h>

typedef struct
{
  const char *name;
  char        compact;  /* RFC 3261 §7.3.3 and later RFCs' compact form, or 0 */
  gboolean    list;     /* its grammar is a comma-separated list */
} HdrInfo;

static const HdrInfo hdr_info[BELL_SIP_HDR_N_IDS] = {
  [BELL_SIP_HDR_OTHER] = { NULL, 0, FALSE },
  [BELL_SIP_HDR_ACCEPT] = { "Accept", 0, TRUE },
  [BELL_SIP_HDR_ACCEPT_ENCODING] = { "Accept-Encoding", 0, TRUE },
  [BELL_SIP_HDR_ACCEPT_LANGUAGE] = { "Accept-Language", 0, TRUE },
  [BELL_SIP_HDR_ALERT_INFO] = { "Alert-Info", 0, TRUE },
  [BELL_SIP_HDR_ALLOW] = { "Allow", 0, TRUE },
  [BELL_SIP_HDR_ALLOW_EVENTS] = { "Allow-Events", 'u', TRUE },
  [BELL_SIP_HDR_AUTHENTICATION_INFO] = { "Authentication-Info", 0, FALSE },
  [BELL_SIP_HDR_AUTHORIZATION] = { "Authorization", 0, FALSE },
  [BELL_SIP_HDR_CALL_ID] = { "Call-ID", 'i', FALSE },
  [BELL_SIP_HDR_CALL_INFO] = { "Call-Info", 0, TRUE },
  [BELL_SIP_HDR_CONTACT] = { "Contact", 'm', TRUE },
  [BELL_SIP_HDR_CONTENT_DISPOSITION] = { "Content-Disposition", 0, FALSE },
  [BELL_SIP_HDR_CONTENT_ENCODING] = { "Content-Encoding", 'e', TRUE },
  [BELL_SIP_HDR_CONTENT_LANGUAGE] = { "Content-Language", 0, TRUE },
  [BELL_SIP_HDR_CONTENT_LENGTH] = { "Content-Length", 'l', FALSE },
  [BELL_SIP_HDR_CONTENT_TYPE] = { "Content-Type", 'c', FALSE },
  [BELL_SIP_HDR_CSEQ] = { "CSeq", 0, FALSE },
  [BELL_SIP_HDR_DATE] = { "Date", 0, FALSE },
  [BELL_SIP_HDR_ERROR_INFO] = { "Error-Info", 0, TRUE },
  [BELL_SIP_HDR_EVENT] = { "Event", 'o', FALSE },
  [BELL_SIP_HDR_EXPIRES] = { "Expires", 0, FALSE },
  [BELL_SIP_HDR_FROM] = { "From", 'f', FALSE },
  [BELL_SIP_HDR_IN_REPLY_TO] = { "In-Reply-To", 0, TRUE },
  [BELL_SIP_HDR_MAX_FORWARDS] = { "Max-Forwards", 0, FALSE },
  [BELL_SIP_HDR_MIME_VERSION] = { "MIME-Version", 0, FALSE },
  [BELL_SIP_HDR_MIN_EXPIRES] = { "Min-Expires", 0, FALSE },
  [BELL_SIP_HDR_MIN_SE] = { "Min-SE", 0, FALSE },
  [BELL_SIP_HDR_ORGANIZATION] = { "Organization", 0, FALSE },
  [BELL_SIP_HDR_P_ASSERTED_IDENTITY] = { "P-Asserted-Identity", 0, TRUE },
  [BELL_SIP_HDR_PATH] = { "Path", 0, TRUE },
  [BELL_SIP_HDR_PRIORITY] = { "Priority", 0, FALSE },
  [BELL_SIP_HDR_PROXY_AUTHENTICATE] = { "Proxy-Authenticate", 0, FALSE },
  [BELL_SIP_HDR_PROXY_AUTHORIZATION] = { "Proxy-Authorization", 0, FALSE },
  [BELL_SIP_HDR_PROXY_REQUIRE] = { "Proxy-Require", 0, TRUE },
  [BELL_SIP_HDR_RACK] = { "RAck", 0, FALSE },
  [BELL_SIP_HDR_REASON] = { "Reason", 0, TRUE },
  [BELL_SIP_HDR_RECORD_ROUTE] = { "Record-Route", 0, TRUE },
  [BELL_SIP_HDR_REFER_TO] = { "Refer-To", 'r', FALSE },
  [BELL_SIP_HDR_REFERRED_BY] = { "Referred-By", 'b', FALSE },
  [BELL_SIP_HDR_REPLACES] = { "Replaces", 0, FALSE },
  [BELL_SIP_HDR_REPLY_TO] = { "Reply-To", 0, FALSE },
  [BELL_SIP_HDR_REQUIRE] = { "Require", 0, TRUE },
  [BELL_SIP_HDR_RETRY_AFTER] = { "Retry-After", 0, FALSE },
  [BELL_SIP_HDR_ROUTE] = { "Route", 0, TRUE },
  [BELL_SIP_HDR_RSEQ] = { "RSeq", 0, FALSE },
  [BELL_SIP_HDR_SERVER] = { "Server", 0, FALSE },
  [BELL_SIP_HDR_SERVICE_ROUTE] = { "Service-Route", 0, TRUE },
  [BELL_SIP_HDR_SESSION_EXPIRES] = { "Session-Expires", 'x', FALSE },
  [BELL_SIP_HDR_SUBJECT] = { "Subject", 's', FALSE },
  [BELL_SIP_HDR_SUBSCRIPTION_STATE] = { "Subscription-State", 0, FALSE },
  [BELL_SIP_HDR_SUPPORTED] = { "Supported", 'k', TRUE },
  [BELL_SIP_HDR_TIMESTAMP] = { "Timestamp", 0, FALSE },
  [BELL_SIP_HDR_TO] = { "To", 't', FALSE },
  [BELL_SIP_HDR_UNSUPPORTED] = { "Unsupported", 0, TRUE },
  [BELL_SIP_HDR_USER_AGENT] = { "User-Agent", 0, FALSE },
  [BELL_SIP_HDR_VIA] = { "Via", 'v', TRUE },
  [BELL_SIP_HDR_WARNING] = { "Warning", 0, TRUE },
  [BELL_SIP_HDR_WWW_AUTHENTICATE] = { "WWW-Authenticate", 0, FALSE },
};

/* Open-addressing table keyed by (length, first, last letter): one probe and one
 * case-insensitive compare for nearly every header of a real message. */
#define NAME_SLOTS 256
static guint8 name_slots[NAME_SLOTS];   /* id + 1, 0 = empty */
static BellSipHdrId compact_ids[128];

static inline guint
name_hash (const char *name, gsize len)
{
  return ((guint) len * 37u + (guint) g_ascii_tolower (name[0]) * 7u +
          (guint) g_ascii_tolower (name[len - 1]) * 3u) % NAME_SLOTS;
}

static void
build_name_table (void)
{
  for (guint id = 1; id < BELL_SIP_HDR_N_IDS; id++)
    {
      const char *name = hdr_info[id].name;
      guint h = name_hash (name, strlen (name));
      while (name_slots[h])
        h = (h + 1) % NAME_SLOTS;
      name_slots[h] = (guint8) (id + 1);
      if (hdr_info[id].compact)
        compact_ids[(guchar) hdr_info[id].compact] = id;
    }
}

BellSipHdrId
bell_sip_hdr_id_from_name (const char *name, gsize len)
{
  static gsize initialized = 0;
  guint h;

  if (g_once_init_enter (&initialized))
    {
      build_name_table ();
      g_once_init_leave (&initialized, 1);
    }
  if (len == 0)
    return BELL_SIP_HDR_OTHER;
  if (len == 1)
    {
      guchar c = (guchar) g_ascii_tolower (name[0]);
      return c < 128 ? compact_ids[c] : BELL_SIP_HDR_OTHER;
    }
  for (h = name_hash (name, len); name_slots[h]; h = (h + 1) % NAME_SLOTS)
    {
      const char *candidate = hdr_info[name_slots[h] - 1].name;
      if (strlen (candidate) == len && g_ascii_strncasecmp (candidate, name, len) == 0)
        return (BellSipHdrId) (name_slots[h] - 1);
    }
  return BELL_SIP_HDR_OTHER;
}

const char *
bell_sip_hdr_id_to_name (BellSipHdrId id)
{
  g_return_val_if_fail (id < BELL_SIP_HDR_N_IDS, NULL);
  return hdr_info[id].name;
}

gboolean
bell_sip_hdr_id_is_list (BellSipHdrId id)
{
  return id < BELL_SIP_HDR_N_IDS && hdr_info[id].list;
}

const char *
bell_scan_quoted (const char *p, const char *end)
{
  g_assert (p < end && *p == '"');
  for (p++; p < end; p++)
    {
      if (*p == '"')
        return p + 1;
      if (*p == '\\')
        {
          /* quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F): never CR or LF. */
          if (p + 1 >= end || p[1] == '\r' || p[1] == '\n' || (guchar) p[1] > 0x7f)
            return NULL;
          p++;
        }
      else if (*p == '\r' || *p == '\n')
        return NULL;
    }
  return NULL;
}

/* gen-value = token / host / quoted-string: host adds the IPv6 reference characters. */
static inline gboolean
is_gen_value_char (char c)
{
  return bell_cc (c, BELL_CC_TOKEN) || c == '[' || c == ']' || c == ':';
}

gboolean
bell_params_validate (BellStr params, BellParamsKind kind)
{
  const char *p = params.p, *end = params.p + params.len;

  while (p < end)
    {
      const char *n;

      if (*p != ';')
        return FALSE;
      p++;
      if (kind == BELL_PARAMS_URI)
        {
          /* uri-parameter = pname [ "=" pvalue ], both 1*paramchar */
          n = p;
          p = bell_scan_escaped (p, end, BELL_CC_PARAM);
          if (p == n)
            return FALSE;
          if (p < end && *p == '=')
            {
              n = ++p;
              p = bell_scan_escaped (p, end, BELL_CC_PARAM);
              if (p == n)
                return FALSE;
            }
          continue;
        }

      bell_skip_lws (&p, end);
      n = p;
      while (p < end && bell_cc (*p, BELL_CC_TOKEN))
        p++;
      if (p == n)
        return FALSE;
      bell_skip_lws (&p, end);
      if (p < end && *p == '=')
        {
          p++;
          bell_skip_lws (&p, end);
          if (p < end && *p == '"')
            {
              p = bell_scan_quoted (p, end);
              if (!p)
                return FALSE;
            }
          else
            {
              n = p;
              while (p < end && is_gen_value_char (*p))
                p++;
              if (p == n)
                return FALSE;
            }
          bell_skip_lws (&p, end);
        }
    }
  return TRUE;
}

gboolean
bell_params_next (BellStr *rest, BellStr *name, BellStr *value)
{
  const char *p = rest->p, *end = rest->p + rest->len, *n;

  /* Works for both kinds: URI params simply never contain LWS or quotes. */
  while (p < end && (*p == ';' || bell_is_lws (*p)))
    p++;
  if (p >= end)
    {
      *rest = (BellStr){ end, 0 };
      return FALSE;
    }
  n = p;
  while (p < end && *p != '=' && *p != ';' && !bell_is_lws (*p))
    p++;
  *name = (BellStr){ n, (gsize) (p - n) };
  bell_skip_lws (&p, end);
  if (p < end && *p == '=')
    {
      p++;
      bell_skip_lws (&p, end);
      n = p;
      if (p < end && *p == '"')
        {
          const char *q = bell_scan_quoted (p, end);
          p = q ? q : end;
        }
      else
        while (p < end && *p != ';' && !bell_is_lws (*p))
          p++;
      *value = (BellStr){ n, (gsize) (p - n) };
    }
  else
    *value = (BellStr){ p, 0 };
  *rest = (BellStr){ p, (gsize) (end - p) };
  return TRUE;
}

gboolean
bell_sip_params_get (BellStr params, const char *name, BellStr *value)
{
  BellStr n, v;
  gsize len = strlen (name);

  while (bell_params_next (&params, &n, &v))
    if (n.len == len && g_ascii_strncasecmp (n.p, name, len) == 0)
      {
        if (value)
          *value = v;
        return TRUE;
      }
  return FALSE;
}

gboolean
bell_sip_auth_next (BellStr *rest, BellStr *name, BellStr *value)
{
  const char *p = rest->p, *end = rest->p + rest->len, *n, *v;

  /* auth-param *(COMMA auth-param); commas inside quoted strings do not count. */
  while (p < end && (*p == ',' || bell_is_lws (*p)))
    p++;
  n = p;
  while (p < end && bell_cc (*p, BELL_CC_TOKEN))
    p++;
  if (p == n)
    {
      *rest = (BellStr){ end, 0 };
      return FALSE;
    }
  *name = (BellStr){ n, (gsize) (p - n) };
  bell_skip_lws (&p, end);
  if (p < end && *p == '=')
    {
      p++;
      bell_skip_lws (&p, end);
    }
  v = p;
  if (p < end && *p == '"')
    {
      const char *q = bell_scan_quoted (p, end);
      p = q ? q : end;
    }
  else
    while (p < end && *p != ',' && !bell_is_lws (*p))
      p++;
  *value = (BellStr){ v, (gsize) (p - v) };
  *rest = (BellStr){ p, (gsize) (end - p) };
  return TRUE;
}

gboolean
bell_sip_auth_get (const BellSipAuth *auth, const char *name, BellStr *value)
{
  BellStr rest = auth->params, n, v;

  while (bell_sip_auth_next (&rest, &n, &v))
    if (bell_str_equal_ci_cstr (n, name))
      {
        if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"')
          v.p++, v.len -= 2;
        if (value)
          *value = v;
        return TRUE;
      }
  return FALSE;
}

char *
bell_sip_unquote (BellStr quoted)
{
  GString *out;
  gsize i = 0, len = quoted.len;

  if (len >= 2 && quoted.p[0] == '"' && quoted.p[len - 1] == '"')
    i = 1, len--;
  out = g_string_sized_new (len);
  for (; i < len; i++)
    {
      if (quoted.p[i] == '\\' && i + 1 < len)
        i++;
      g_string_append_c (out, quoted.p[i]);
    }
  return g_string_free (out, FALSE);
}

gboolean
bell_sip_via_has_rfc3261_branch (const BellSipVia *via)
{
  return via->branch.len > 7 && memcmp (via->branch.p, "z9hG4bK", 7) == 0;
}
