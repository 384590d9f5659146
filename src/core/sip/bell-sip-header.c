/* bell-sip-header.c: header names and the parameter grammar shared by all headers. */
#define G_LOG_DOMAIN "bell-sip"

#include "bell-sip-header.h"
#include "bell-sip-msg-private.h"
#include "bell-sip-private.h"

#include <string.h>

enum
{
  SINGLE = 0,
  SPLIT,    /* a list whose elements become headers of their own (Via, Contact, ...) */
  TOKENS,   /* a list of tokens kept as one header (Allow, Supported, ...) */
};

typedef struct
{
  const char *name;
  char        compact;  /* RFC 3261 §7.3.3 and later RFCs' compact form, or 0 */
  int         list;
  gsize       len;      /* filled in with the lookup table: */
  char        lower[24];  /* the name in lowercase */
  /* The same as 64-bit words for the padded-buffer lookup: (word | fold) & keep == lower_w */
  guint64     lower_w[3];
  guint64     fold_w[3];
  guint64     keep_w[3];
} HdrInfo;

static HdrInfo hdr_info[BELL_SIP_HDR_N_IDS] = {
  [BELL_SIP_HDR_OTHER] = { NULL, 0, SINGLE },
  [BELL_SIP_HDR_ACCEPT] = { "Accept", 0, SPLIT },
  [BELL_SIP_HDR_ACCEPT_ENCODING] = { "Accept-Encoding", 0, TOKENS },
  [BELL_SIP_HDR_ACCEPT_LANGUAGE] = { "Accept-Language", 0, TOKENS },
  [BELL_SIP_HDR_ALERT_INFO] = { "Alert-Info", 0, SPLIT },
  [BELL_SIP_HDR_ALLOW] = { "Allow", 0, TOKENS },
  [BELL_SIP_HDR_ALLOW_EVENTS] = { "Allow-Events", 'u', TOKENS },
  [BELL_SIP_HDR_AUTHENTICATION_INFO] = { "Authentication-Info", 0, SINGLE },
  [BELL_SIP_HDR_AUTHORIZATION] = { "Authorization", 0, SINGLE },
  [BELL_SIP_HDR_CALL_ID] = { "Call-ID", 'i', SINGLE },
  [BELL_SIP_HDR_CALL_INFO] = { "Call-Info", 0, SPLIT },
  [BELL_SIP_HDR_CONTACT] = { "Contact", 'm', SPLIT },
  [BELL_SIP_HDR_CONTENT_DISPOSITION] = { "Content-Disposition", 0, SINGLE },
  [BELL_SIP_HDR_CONTENT_ENCODING] = { "Content-Encoding", 'e', TOKENS },
  [BELL_SIP_HDR_CONTENT_LANGUAGE] = { "Content-Language", 0, TOKENS },
  [BELL_SIP_HDR_CONTENT_LENGTH] = { "Content-Length", 'l', SINGLE },
  [BELL_SIP_HDR_CONTENT_TYPE] = { "Content-Type", 'c', SINGLE },
  [BELL_SIP_HDR_CSEQ] = { "CSeq", 0, SINGLE },
  [BELL_SIP_HDR_DATE] = { "Date", 0, SINGLE },
  [BELL_SIP_HDR_ERROR_INFO] = { "Error-Info", 0, SPLIT },
  [BELL_SIP_HDR_EVENT] = { "Event", 'o', SINGLE },
  [BELL_SIP_HDR_EXPIRES] = { "Expires", 0, SINGLE },
  [BELL_SIP_HDR_FROM] = { "From", 'f', SINGLE },
  [BELL_SIP_HDR_IN_REPLY_TO] = { "In-Reply-To", 0, TOKENS },
  [BELL_SIP_HDR_MAX_FORWARDS] = { "Max-Forwards", 0, SINGLE },
  [BELL_SIP_HDR_MIME_VERSION] = { "MIME-Version", 0, SINGLE },
  [BELL_SIP_HDR_MIN_EXPIRES] = { "Min-Expires", 0, SINGLE },
  [BELL_SIP_HDR_MIN_SE] = { "Min-SE", 0, SINGLE },
  [BELL_SIP_HDR_ORGANIZATION] = { "Organization", 0, SINGLE },
  [BELL_SIP_HDR_P_ASSERTED_IDENTITY] = { "P-Asserted-Identity", 0, SPLIT },
  [BELL_SIP_HDR_PATH] = { "Path", 0, SPLIT },
  [BELL_SIP_HDR_PRIORITY] = { "Priority", 0, SINGLE },
  [BELL_SIP_HDR_PROXY_AUTHENTICATE] = { "Proxy-Authenticate", 0, SINGLE },
  [BELL_SIP_HDR_PROXY_AUTHORIZATION] = { "Proxy-Authorization", 0, SINGLE },
  [BELL_SIP_HDR_PROXY_REQUIRE] = { "Proxy-Require", 0, TOKENS },
  [BELL_SIP_HDR_RACK] = { "RAck", 0, SINGLE },
  [BELL_SIP_HDR_REASON] = { "Reason", 0, SPLIT },
  [BELL_SIP_HDR_RECORD_ROUTE] = { "Record-Route", 0, SPLIT },
  [BELL_SIP_HDR_REFER_TO] = { "Refer-To", 'r', SINGLE },
  [BELL_SIP_HDR_REFERRED_BY] = { "Referred-By", 'b', SINGLE },
  [BELL_SIP_HDR_REPLACES] = { "Replaces", 0, SINGLE },
  [BELL_SIP_HDR_REPLY_TO] = { "Reply-To", 0, SINGLE },
  [BELL_SIP_HDR_REQUIRE] = { "Require", 0, TOKENS },
  [BELL_SIP_HDR_RETRY_AFTER] = { "Retry-After", 0, SINGLE },
  [BELL_SIP_HDR_ROUTE] = { "Route", 0, SPLIT },
  [BELL_SIP_HDR_RSEQ] = { "RSeq", 0, SINGLE },
  [BELL_SIP_HDR_SERVER] = { "Server", 0, SINGLE },
  [BELL_SIP_HDR_SERVICE_ROUTE] = { "Service-Route", 0, SPLIT },
  [BELL_SIP_HDR_SESSION_EXPIRES] = { "Session-Expires", 'x', SINGLE },
  [BELL_SIP_HDR_SUBJECT] = { "Subject", 's', SINGLE },
  [BELL_SIP_HDR_SUBSCRIPTION_STATE] = { "Subscription-State", 0, SINGLE },
  [BELL_SIP_HDR_SUPPORTED] = { "Supported", 'k', TOKENS },
  [BELL_SIP_HDR_TIMESTAMP] = { "Timestamp", 0, SINGLE },
  [BELL_SIP_HDR_TO] = { "To", 't', SINGLE },
  [BELL_SIP_HDR_UNSUPPORTED] = { "Unsupported", 0, TOKENS },
  [BELL_SIP_HDR_USER_AGENT] = { "User-Agent", 0, SINGLE },
  [BELL_SIP_HDR_VIA] = { "Via", 'v', SPLIT },
  [BELL_SIP_HDR_WARNING] = { "Warning", 0, SPLIT },
  [BELL_SIP_HDR_WWW_AUTHENTICATE] = { "WWW-Authenticate", 0, SINGLE },
};

/* Open-addressing table keyed by (length, first, last letter): one probe and one
 * case-insensitive compare for nearly every header of a real message. */
#define NAME_SLOTS 256
static guint8 name_slots[NAME_SLOTS];   /* id + 1, 0 = empty */
static BellSipHdrId compact_ids[128];

static inline guint
name_hash (const char *name, gsize len)
{
  /* | 0x20 folds letters; for other characters it only has to be the same on both sides. */
  return ((guint) len * 37u + (guint) (guchar) (name[0] | 0x20) * 7u +
          (guint) (guchar) (name[len - 1] | 0x20) * 3u) % NAME_SLOTS;
}

static void
build_name_table (void)
{
  for (guint id = 1; id < BELL_SIP_HDR_N_IDS; id++)
    {
      const char *name = hdr_info[id].name;
      guint h;
      hdr_info[id].len = strlen (name);
      g_assert (hdr_info[id].len < sizeof hdr_info[id].lower);
      for (gsize i = 0; i < hdr_info[id].len; i++)
        {
          guchar *lw = (guchar *) hdr_info[id].lower_w, *fw = (guchar *) hdr_info[id].fold_w;
          guchar *kw = (guchar *) hdr_info[id].keep_w;
          hdr_info[id].lower[i] = g_ascii_tolower (name[i]);
          lw[i] = (guchar) hdr_info[id].lower[i];
          fw[i] = g_ascii_isalpha (name[i]) ? 0x20 : 0;
          kw[i] = 0xff;
        }
      h = name_hash (name, hdr_info[id].len);
      while (name_slots[h])
        h = (h + 1) % NAME_SLOTS;
      name_slots[h] = (guint8) (id + 1);
      if (hdr_info[id].compact)
        compact_ids[(guchar) hdr_info[id].compact] = id;
    }
}

static inline void
ensure_name_table (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      build_name_table ();
      g_once_init_leave (&initialized, 1);
    }
}

static inline guint64
load64 (const char *p)
{
  guint64 v;
  memcpy (&v, p, sizeof v);
  return v;
}

BellSipHdrId
bell_sip_hdr_id_lookup_padded (const char *name, gsize len)
{
  guint h;

  ensure_name_table ();
  if (len <= 1 || len > 24)
    return bell_sip_hdr_id_from_name (name, len);
  for (h = name_hash (name, len); name_slots[h]; h = (h + 1) % NAME_SLOTS)
    {
      const HdrInfo *info = &hdr_info[name_slots[h] - 1];
      gsize k;
      if (info->len != len)
        continue;
      for (k = 0; k * 8 < len; k++)
        if (((load64 (name + 8 * k) | info->fold_w[k]) & info->keep_w[k]) != info->lower_w[k])
          break;
      if (k * 8 >= len)
        return (BellSipHdrId) (name_slots[h] - 1);
    }
  return BELL_SIP_HDR_OTHER;
}

BellSipHdrId
bell_sip_hdr_id_from_name (const char *name, gsize len)
{
  guint h;

  ensure_name_table ();
  if (len == 0)
    return BELL_SIP_HDR_OTHER;
  if (len == 1)
    {
      guchar c = (guchar) g_ascii_tolower (name[0]);
      return c < 128 ? compact_ids[c] : BELL_SIP_HDR_OTHER;
    }
  for (h = name_hash (name, len); name_slots[h]; h = (h + 1) % NAME_SLOTS)
    {
      const HdrInfo *info = &hdr_info[name_slots[h] - 1];
      if (info->len == len && bell_mem_equal_lower (name, info->lower, len))
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
  return id < BELL_SIP_HDR_N_IDS && hdr_info[id].list != SINGLE;
}

gboolean
bell_sip_hdr_id_splits (BellSipHdrId id)
{
  return id < BELL_SIP_HDR_N_IDS && hdr_info[id].list == SPLIT;
}

const char *
bell_scan_quoted (const char *p, const char *end)
{
  g_assert (p < end && *p == '"');
  for (p++; p < end; p++)
    {
      /* Most of a quoted string is plain qdtext: one table test a byte. */
      while (p < end && bell_cc (*p, BELL_CC_QDTEXT))
        p++;
      if (p >= end)
        break;
      if (*p == '"')
        return p + 1;
      if (*p == '\\')
        {
          /* quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F): never CR or LF. */
          if (p + 1 >= end || p[1] == '\r' || p[1] == '\n' || (guchar) p[1] > 0x7f)
            return NULL;
          p++;
        }
      else if (((guchar) *p < 0x20 && *p != '\t') || *p == 0x7f)
        return NULL;   /* qdtext: control characters only escaped */
    }
  return NULL;
}

/* gen-value = token / host / quoted-string: host adds the IPv6 reference characters. */
static inline gboolean
is_gen_value_char (char c)
{
  return bell_cc (c, BELL_CC_TOKEN) || c == '[' || c == ']' || c == ':';
}

const char *
bell_params_scan (const char *p, const char *end, BellParamsKind kind, BellParamFunc func,
                  gpointer user_data)
{
  while (p < end && *p == ';')
    {
      const char *n;
      BellStr name, value;

      p++;
      if (kind == BELL_PARAMS_URI)
        {
          /* uri-parameter = pname [ "=" pvalue ], both 1*paramchar */
          n = p;
          p = bell_scan_escaped (p, end, BELL_CC_PARAM);
          if (p == n)
            return NULL;
          name = (BellStr){ n, (gsize) (p - n) };
          value = (BellStr){ p, 0 };
          if (p < end && *p == '=')
            {
              n = ++p;
              p = bell_scan_escaped (p, end, BELL_CC_PARAM);
              if (p == n)
                return NULL;
              value = (BellStr){ n, (gsize) (p - n) };
            }
          if (func && !func (name, value, user_data))
            return NULL;
          continue;
        }

      /* generic-param = token [ EQUAL gen-value ], with LWS around ';' and '=' */
      bell_skip_lws (&p, end);
      n = p;
      while (p < end && bell_cc (*p, BELL_CC_TOKEN))
        p++;
      if (p == n)
        return NULL;
      name = (BellStr){ n, (gsize) (p - n) };
      bell_skip_lws (&p, end);
      value = (BellStr){ p, 0 };
      if (p < end && *p == '=')
        {
          p++;
          bell_skip_lws (&p, end);
          n = p;
          if (p < end && *p == '"')
            {
              p = bell_scan_quoted (p, end);
              if (!p)
                return NULL;
            }
          else
            {
              while (p < end && is_gen_value_char (*p))
                p++;
              if (p == n)
                return NULL;
            }
          value = (BellStr){ n, (gsize) (p - n) };
          bell_skip_lws (&p, end);
        }
      if (func && !func (name, value, user_data))
        return NULL;
    }
  return p;
}

gboolean
bell_params_parse (BellStr params, BellParamsKind kind, BellParamFunc func, gpointer user_data)
{
  return bell_params_scan (params.p, params.p + params.len, kind, func, user_data) ==
         params.p + params.len;
}

gboolean
bell_params_next (BellStr *rest, BellStr *name, BellStr *value)
{
  const char *p, *end, *n;

  if (rest->len == 0)
    return FALSE;   /* also keeps NULL + 0 out (an unset slice) */
  p = rest->p;
  end = rest->p + rest->len;

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
    if (n.len == len && bell_mem_equal_ci (n.p, name, len))
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
  const char *p, *end, *n, *v;

  if (rest->len == 0)
    return FALSE;
  p = rest->p;
  end = rest->p + rest->len;

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
