/* bell-sip-header-parse.c: typed views of the headers the stack reads (RFC 3261 §20, §25.1).
 *
 * Each parser takes a header value (unfolded and trimmed) and fills a struct in the message
 * arena, or names what is wrong with it. Parsers of list elements (Via, Contact, ...) stop where
 * their element ends and say so in *stop, so a list is split while it is parsed, in one pass.
 */
#define G_LOG_DOMAIN "bell-sip"

#include "bell-sip-msg-private.h"
#include "bell-sip-private.h"

#include <string.h>

#define MAX_DELTA_SECONDS G_MAXUINT32

static inline BellStr
span (const char *a, const char *b)
{
  return (BellStr){ a, (gsize) (b - a) };
}

static const char *
scan_token (const char *p, const char *end)
{
  while (p < end && bell_cc (*p, BELL_CC_TOKEN))
    p++;
  return p;
}

/* Header parameters from p up to the end of the element: sets *params and *stop. */
static gboolean
take_params (const char *p, const char *end, BellParamFunc func, gpointer data, BellStr *params,
             const char **stop)
{
  const char *e = bell_params_scan (p, end, BELL_PARAMS_HEADER, func, data);

  if (!e)
    return FALSE;
  *params = bell_str_trim (span (p, e));
  *stop = e;
  return TRUE;
}

typedef struct
{
  gpointer    target;
  const char *why;
} ParamContext;

static gboolean
on_via_param (BellStr name, BellStr value, gpointer user_data)
{
  ParamContext *ctx = user_data;
  BellSipVia *via = ctx->target;
  guint64 v;

  if (bell_str_equal_ci_lit (name, "branch"))
    {
      if (value.len == 0)
        return (ctx->why = "empty branch"), FALSE;
      via->branch = value;
    }
  else if (bell_str_equal_ci_lit (name, "received"))
    {
      BellHostType type;
      /* RFC 5118 §4.5: an IPv6 received may come with or without brackets. */
      if (value.len == 0)
        return (ctx->why = "empty received"), FALSE;
      if (value.p[0] != '[' && memchr (value.p, ':', value.len))
        {
          for (gsize i = 0; i < value.len; i++)
            if (!bell_cc (value.p[i], BELL_CC_HEX) && value.p[i] != ':' && value.p[i] != '.')
              return (ctx->why = "invalid received address"), FALSE;
        }
      else if (!bell_sip_host_classify (value.p, value.len, &type) || type == BELL_HOST_NAME)
        return (ctx->why = "invalid received address"), FALSE;
      via->received = value;
    }
  else if (bell_str_equal_ci_lit (name, "rport"))
    {
      via->has_rport = TRUE;
      if (value.len && (!bell_str_to_uint64 (value, 65535, &v) || v == 0))
        return (ctx->why = "invalid rport"), FALSE;
      via->rport = value.len ? (guint16) v : 0;
    }
  else if (bell_str_equal_ci_lit (name, "maddr"))
    via->maddr = value;
  else if (bell_str_equal_ci_lit (name, "ttl"))
    {
      if (!bell_str_to_uint64 (value, 255, &v))
        return (ctx->why = "invalid ttl"), FALSE;
      via->ttl = (gint) v;
    }
  return TRUE;
}

/* via-parm = sent-protocol LWS sent-by *( SEMI via-params ) */
static gboolean
parse_via (BellArena *arena, BellSipHeader *h, const char **stop, const char **why)
{
  const char *p = h->value.p, *end = p + h->value.len, *t;
  BellSipVia *via = bell_arena_new0 (arena, BellSipVia, 1);
  guint64 v;

  via->ttl = -1;
  h->parsed.via = via;

  /* sent-protocol = protocol-name SLASH protocol-version SLASH transport, SLASH = SWS "/" SWS */
  t = scan_token (p, end);
  if (!bell_str_equal_ci_lit (span (p, t), "sip"))
    return (*why = "sent-protocol is not SIP"), FALSE;
  p = t;
  bell_skip_lws (&p, end);
  if (p >= end || *p++ != '/')
    return (*why = "no '/' in sent-protocol"), FALSE;
  bell_skip_lws (&p, end);
  t = scan_token (p, end);
  if (!bell_str_equal_cstr (span (p, t), "2.0"))
    return (*why = "SIP version is not 2.0"), FALSE;
  p = t;
  bell_skip_lws (&p, end);
  if (p >= end || *p++ != '/')
    return (*why = "no transport in sent-protocol"), FALSE;
  bell_skip_lws (&p, end);
  t = scan_token (p, end);
  if (t == p)
    return (*why = "no transport in sent-protocol"), FALSE;
  via->transport = span (p, t);
  p = t;
  if (p >= end || !bell_is_lws (*p))
    return (*why = "no space before sent-by"), FALSE;
  bell_skip_lws (&p, end);

  /* sent-by = host [ COLON port ]; COLON allows LWS around it. */
  t = bell_sip_parse_hostport (p, end, &via->host, &via->host_type, &via->port);
  if (!t)
    {
      const char *colon;
      /* Retry with LWS before ':' removed from consideration: "host : 5060". */
      for (t = p; t < end && bell_cc (*t, BELL_CC_HOST); t++)
        ;
      colon = t;
      bell_skip_lws (&colon, end);
      if (colon == t || colon >= end || *colon != ':')
        return (*why = "invalid sent-by"), FALSE;
      if (!bell_sip_host_classify (p, (gsize) (t - p), &via->host_type))
        return (*why = "invalid sent-by host"), FALSE;
      via->host = span (p, t);
      colon++;
      bell_skip_lws (&colon, end);
      t = colon;
      while (t < end && *t >= '0' && *t <= '9')
        t++;
      if (!bell_str_to_uint64 (span (colon, t), 65535, &v) || v == 0)
        return (*why = "invalid sent-by port"), FALSE;
      via->port = (guint16) v;
    }
  p = t;
  bell_skip_lws (&p, end);
  {
    ParamContext ctx = { via, NULL };
    if (!take_params (p, end, on_via_param, &ctx, &via->params, stop))
      return (*why = ctx.why ? ctx.why : "invalid parameter"), FALSE;
  }
  return TRUE;
}

/* q-value = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), as thousandths. */
static gboolean
parse_qvalue (BellStr s, gint *q1000)
{
  gint v, scale = 100;

  if (s.len == 0 || (s.p[0] != '0' && s.p[0] != '1') || s.len > 5 || (s.len > 1 && s.p[1] != '.'))
    return FALSE;
  v = (s.p[0] - '0') * 1000;
  for (gsize i = 2; i < s.len; i++, scale /= 10)
    {
      if (s.p[i] < '0' || s.p[i] > '9')
        return FALSE;
      v += (s.p[i] - '0') * scale;
    }
  if (v > 1000)
    return FALSE;
  *q1000 = v;
  return TRUE;
}

static gboolean
on_name_addr_param (BellStr name, BellStr value, gpointer user_data)
{
  ParamContext *ctx = user_data;
  BellSipHeader *h = ctx->target;
  BellSipNameAddr *na = h->parsed.name_addr;
  guint64 v;

  if (bell_str_equal_ci_lit (name, "tag"))
    {
      if (value.len == 0)
        return (ctx->why = "empty tag"), FALSE;
      na->tag = value;
    }
  else if (h->id != BELL_SIP_HDR_CONTACT)
    return TRUE;
  else if (bell_str_equal_ci_lit (name, "expires"))
    {
      if (!bell_str_to_uint64 (value, MAX_DELTA_SECONDS, &v))
        return (ctx->why = "invalid expires parameter"), FALSE;
      na->expires = (gint64) v;
    }
  else if (bell_str_equal_ci_lit (name, "q"))
    {
      if (!parse_qvalue (value, &na->q1000))
        return (ctx->why = "invalid q parameter"), FALSE;
    }
  return TRUE;
}

/* name-addr / addr-spec with header parameters (From, To, Contact, Route, ...). */
static gboolean
parse_name_addr (BellArena *arena, BellSipHeader *h, const char **stop, const char **why)
{
  const char *p = h->value.p, *end = p + h->value.len;
  BellSipNameAddr *na = bell_arena_new0 (arena, BellSipNameAddr, 1);
  const char *uri_start, *uri_end;

  na->expires = -1;
  na->q1000 = -1;
  h->parsed.name_addr = na;

  if (h->id == BELL_SIP_HDR_CONTACT && p < end && *p == '*')
    {
      const char *t = p + 1;
      bell_skip_lws (&t, end);
      if (t == end || *t == ',')
        {
          na->star = TRUE;
          *stop = t;
          return TRUE;
        }
    }

  if (p < end && *p == '"')
    {
      const char *q = bell_scan_quoted (p, end);
      if (!q)
        return (*why = "unterminated quoted string"), FALSE;
      na->display = span (p, q);
      p = q;
      bell_skip_lws (&p, end);
      if (p >= end || *p != '<')
        return (*why = "quoted display name without <address>"), FALSE;
    }
  else
    {
      /* display-name = *(token LWS): if tokens are followed by '<' they were the name. */
      const char *t = p, *last = p;
      while (t < end)
        {
          const char *e = scan_token (t, end);
          if (e == t)
            break;
          last = e;
          t = e;
          bell_skip_lws (&t, end);
        }
      if (t < end && *t == '<')
        {
          na->display = span (p, last);
          p = t;
        }
    }

  if (p < end && *p == '<')
    {
      const char *gt = memchr (p, '>', (gsize) (end - p));
      if (!gt)
        return (*why = "no closing '>'"), FALSE;
      uri_start = p + 1;
      uri_end = gt;
      p = gt + 1;
    }
  else
    {
      /* addr-spec: ends at LWS, ';' (its would-be URI parameters are header parameters,
       * §20.10) or the ',' of the next list element, and may not hold '?' (§20: an address
       * with a header part needs angle brackets). */
      uri_start = p;
      while (p < end && *p != ';' && *p != ',' && !bell_is_lws (*p))
        {
          if (*p == '?' || *p == '"' || *p == '<' || *p == '>')
            return (*why = "an address with '?' or quotes needs <>"), FALSE;
          p++;
        }
      uri_end = p;
    }
  if (uri_start == uri_end)
    return (*why = "empty address"), FALSE;
  if (!bell_sip_uri_parse (&na->uri, uri_start, (gsize) (uri_end - uri_start), NULL))
    return (*why = "invalid URI"), FALSE;

  bell_skip_lws (&p, end);
  {
    ParamContext ctx = { h, NULL };
    if (!take_params (p, end, on_name_addr_param, &ctx, &na->params, stop))
      return (*why = ctx.why ? ctx.why : "invalid parameter"), FALSE;
  }
  return TRUE;
}

/* callid = word [ "@" word ] */
static gboolean
is_callid (BellStr s)
{
  const char *at = NULL;

  if (s.len == 0)
    return FALSE;
  for (gsize i = 0; i < s.len; i++)
    {
      if (G_LIKELY (bell_cc (s.p[i], BELL_CC_WORD)))
        continue;
      if (s.p[i] != '@' || at || i == 0 || i + 1 == s.len)
        return FALSE;
      at = s.p + i;
    }
  return TRUE;
}

/* number LWS Method (CSeq), or number LWS number LWS Method (RAck) */
static gboolean
parse_number_method (const char **pp, const char *end, guint32 *num, const char **why)
{
  const char *p = *pp, *t = p;
  guint64 v;

  while (t < end && *t >= '0' && *t <= '9')
    t++;
  if (!bell_str_to_uint64 (span (p, t), G_MAXUINT32, &v))
    return (*why = "sequence number is not a 32-bit number"), FALSE;
  *num = (guint32) v;
  if (t >= end || !bell_is_lws (*t))
    return (*why = "no method after the number"), FALSE;
  bell_skip_lws (&t, end);
  *pp = t;
  return TRUE;
}

static gboolean
parse_method_tail (const char *p, const char *end, BellStr *method_str, BellSipMethod *method,
                   const char **why)
{
  const char *t = scan_token (p, end);

  if (t == p || t != end)
    return (*why = "invalid method"), FALSE;
  *method_str = span (p, t);
  *method = bell_sip_method_from_str (*method_str);
  return TRUE;
}

static gboolean
parse_cseq (BellArena *arena, BellSipHeader *h, const char **why)
{
  const char *p = h->value.p, *end = p + h->value.len;
  BellSipCSeq *cseq = bell_arena_new0 (arena, BellSipCSeq, 1);

  h->parsed.cseq = cseq;
  return parse_number_method (&p, end, &cseq->seq, why) &&
         parse_method_tail (p, end, &cseq->method_str, &cseq->method, why);
}

static gboolean
parse_rack (BellArena *arena, BellSipHeader *h, const char **why)
{
  const char *p = h->value.p, *end = p + h->value.len;
  BellSipRAck *rack = bell_arena_new0 (arena, BellSipRAck, 1);

  h->parsed.rack = rack;
  return parse_number_method (&p, end, &rack->seq, why) &&
         parse_number_method (&p, end, &rack->cseq, why) &&
         parse_method_tail (p, end, &rack->method_str, &rack->method, why);
}

static gboolean
parse_number (BellSipHeader *h, guint64 max, const char **why)
{
  if (!bell_str_to_uint64 (h->value, max, &h->parsed.number))
    return (*why = "not a number in range"), FALSE;
  return TRUE;
}

/* challenge / credentials: auth-scheme LWS auth-param *(COMMA auth-param) */
static gboolean
parse_auth (BellArena *arena, BellSipHeader *h, const char **why)
{
  const char *p = h->value.p, *end = p + h->value.len, *t;
  BellSipAuth *auth = bell_arena_new0 (arena, BellSipAuth, 1);

  h->parsed.auth = auth;
  if (h->id != BELL_SIP_HDR_AUTHENTICATION_INFO)
    {
      t = scan_token (p, end);
      if (t == p || (t < end && !bell_is_lws (*t)))
        return (*why = "invalid auth scheme"), FALSE;
      auth->scheme = span (p, t);
      p = t;
      bell_skip_lws (&p, end);
    }
  auth->params = span (p, end);

  /* Each element is token EQUAL ( token / quoted-string ), separated by commas. */
  while (p < end)
    {
      t = scan_token (p, end);
      if (t == p)
        return (*why = "invalid auth parameter"), FALSE;
      p = t;
      bell_skip_lws (&p, end);
      if (p >= end || *p != '=')
        {
          /* Other schemes may carry a token68 blob; Digest may not. */
          if (bell_str_equal_ci_lit (auth->scheme, "digest"))
            return (*why = "auth parameter without a value"), FALSE;
          for (; p < end; p++)
            if ((guchar) *p < 0x20 || *p == 0x7f)
              return (*why = "control character"), FALSE;
          return TRUE;
        }
      p++;
      bell_skip_lws (&p, end);
      if (p < end && *p == '"')
        {
          p = bell_scan_quoted (p, end);
          if (!p)
            return (*why = "unterminated quoted string"), FALSE;
        }
      else
        {
          t = p;
          while (p < end && *p != ',' && !bell_is_lws (*p))
            {
              if ((guchar) *p < 0x20 || *p == 0x7f)
                return (*why = "control character"), FALSE;
              p++;
            }
          if (t == p)
            return (*why = "empty auth parameter"), FALSE;
        }
      bell_skip_lws (&p, end);
      if (p < end)
        {
          if (*p != ',')
            return (*why = "expected ',' between auth parameters"), FALSE;
          p++;
          bell_skip_lws (&p, end);
          if (p == end)
            return (*why = "trailing ','"), FALSE;
        }
    }
  return TRUE;
}

/* media-type = m-type SLASH m-subtype *(SEMI m-parameter); Accept also allows '*' */
static gboolean
parse_media_type (BellArena *arena, BellSipHeader *h, const char **stop, const char **why)
{
  const char *p = h->value.p, *end = p + h->value.len, *t;
  BellSipMediaType *mt = bell_arena_new0 (arena, BellSipMediaType, 1);

  h->parsed.media_type = mt;
  t = scan_token (p, end);
  if (t == p)
    return (*why = "invalid media type"), FALSE;
  mt->type = span (p, t);
  p = t;
  bell_skip_lws (&p, end);
  if (p >= end || *p++ != '/')
    return (*why = "media type without '/'"), FALSE;
  bell_skip_lws (&p, end);
  t = scan_token (p, end);
  if (t == p)
    return (*why = "invalid media subtype"), FALSE;
  mt->subtype = span (p, t);
  p = t;
  bell_skip_lws (&p, end);
  if (!take_params (p, end, NULL, NULL, &mt->params, stop))
    return (*why = "invalid parameter"), FALSE;
  return TRUE;
}

/* A leading token (or delta-seconds, or callid for Replaces) followed by generic params. */
static gboolean
parse_token_params (BellArena *arena, BellSipHeader *h, const char **stop, const char **why)
{
  const char *p = h->value.p, *end = p + h->value.len, *t;
  BellSipTokenParams *tp = bell_arena_new0 (arena, BellSipTokenParams, 1);
  gboolean numeric = h->id == BELL_SIP_HDR_RETRY_AFTER || h->id == BELL_SIP_HDR_SESSION_EXPIRES ||
                     h->id == BELL_SIP_HDR_MIN_SE;

  h->parsed.token_params = tp;
  t = p;
  if (h->id == BELL_SIP_HDR_REPLACES)
    while (t < end && *t != ';' && !bell_is_lws (*t))
      t++;
  else
    t = scan_token (p, end);
  tp->value = span (p, t);
  if (t == p)
    return (*why = "empty value"), FALSE;
  if (h->id == BELL_SIP_HDR_REPLACES && !is_callid (tp->value))
    return (*why = "invalid Call-ID"), FALSE;
  if (numeric && !bell_str_to_uint64 (tp->value, MAX_DELTA_SECONDS, &tp->number))
    return (*why = "not a number in range"), FALSE;
  p = t;
  bell_skip_lws (&p, end);
  /* Retry-After = delta-seconds [ comment ] *( SEMI retry-param ) */
  if (h->id == BELL_SIP_HDR_RETRY_AFTER && p < end && *p == '(')
    {
      int depth = 0;
      for (; p < end; p++)
        {
          if ((guchar) *p < 0x20 || *p == 0x7f)
            return (*why = "control character in a comment"), FALSE;
          if (*p == '\\' && p + 1 < end)
            p++;
          else if (*p == '(')
            depth++;
          else if (*p == ')' && --depth == 0)
            break;
        }
      if (p >= end)
        return (*why = "unterminated comment"), FALSE;
      p++;
      bell_skip_lws (&p, end);
    }
  if (!take_params (p, end, NULL, NULL, &tp->params, stop))
    return (*why = "invalid parameter"), FALSE;
  return TRUE;
}

/* Option tags, methods, codings, languages, Call-IDs: a comma-separated list kept as one
 * header (reading it is a scan, splitting it would cost a header slot per token). Codings and
 * languages may carry parameters. */
static gboolean
parse_token_list (BellSipHeader *h, const char **why)
{
  const char *p = h->value.p, *end = p + h->value.len;
  gboolean with_params = h->id == BELL_SIP_HDR_ACCEPT_ENCODING ||
                         h->id == BELL_SIP_HDR_ACCEPT_LANGUAGE;

  while (p < end)
    {
      const char *t = p;
      if (h->id == BELL_SIP_HDR_IN_REPLY_TO)
        {
          while (t < end && *t != ',' && !bell_is_lws (*t))
            t++;
          if (!is_callid (span (p, t)))
            return (*why = "invalid Call-ID"), FALSE;
        }
      else
        {
          t = scan_token (p, end);
          if (t == p)
            return (*why = "invalid token"), FALSE;
        }
      p = t;
      bell_skip_lws (&p, end);
      if (with_params && p < end && *p == ';')
        {
          const char *comma = memchr (p, ',', (gsize) (end - p));
          const char *pend = comma ? comma : end;
          if (!bell_params_validate (bell_str_trim (span (p, pend)), BELL_PARAMS_HEADER))
            return (*why = "invalid parameter"), FALSE;
          p = pend;
        }
      if (p < end)
        {
          if (*p != ',')
            return (*why = "expected ',' between tokens"), FALSE;
          p++;
          bell_skip_lws (&p, end);
          if (p == end)
            return (*why = "empty list element"), FALSE;
        }
    }
  return TRUE;
}

gboolean
bell_sip_token_list_next (BellStr *rest, BellStr *token)
{
  const char *p = rest->p, *end = rest->p + rest->len, *t;

  while (p < end && (*p == ',' || bell_is_lws (*p)))
    p++;
  if (p >= end)
    return FALSE;
  t = p;
  while (t < end && *t != ',' && *t != ';' && !bell_is_lws (*t))
    t++;
  *token = span (p, t);
  while (t < end && *t != ',')
    t++;
  *rest = span (t, end);
  return TRUE;
}

/* warning-value = warn-code SP warn-agent SP warn-text; warn-code = 3DIGIT */
static gboolean
parse_warning (BellArena *arena, BellSipHeader *h, const char **stop, const char **why)
{
  const char *p = h->value.p, *end = p + h->value.len, *t;
  BellSipWarning *w = bell_arena_new0 (arena, BellSipWarning, 1);

  h->parsed.warning = w;
  if (end - p < 4 || !g_ascii_isdigit (p[0]) || !g_ascii_isdigit (p[1]) ||
      !g_ascii_isdigit (p[2]) || p[3] != ' ')
    return (*why = "warn-code is not three digits"), FALSE;
  w->code = (guint) ((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
  p += 4;
  t = p;
  while (t < end && *t != ' ' && (guchar) *t > 0x20 && *t != 0x7f)
    t++;
  if (t == p || t >= end || *t != ' ')
    return (*why = "invalid warn-agent"), FALSE;
  w->agent = span (p, t);
  p = t + 1;
  t = p < end && *p == '"' ? bell_scan_quoted (p, end) : NULL;
  if (!t)
    return (*why = "warn-text is not a quoted string"), FALSE;
  w->text = span (p, t);
  bell_skip_lws (&t, end);
  *stop = t;
  return TRUE;
}

gboolean
bell_sip_header_parse_value (BellArena *arena, BellSipHeader *h, const char **stop,
                             const char **why)
{
  *stop = h->value.p + h->value.len;
  switch (h->id)
    {
    case BELL_SIP_HDR_VIA:
      return parse_via (arena, h, stop, why);
    case BELL_SIP_HDR_FROM:
    case BELL_SIP_HDR_TO:
    case BELL_SIP_HDR_CONTACT:
    case BELL_SIP_HDR_ROUTE:
    case BELL_SIP_HDR_RECORD_ROUTE:
    case BELL_SIP_HDR_REFER_TO:
    case BELL_SIP_HDR_REFERRED_BY:
    case BELL_SIP_HDR_REPLY_TO:
    case BELL_SIP_HDR_PATH:
    case BELL_SIP_HDR_SERVICE_ROUTE:
    case BELL_SIP_HDR_P_ASSERTED_IDENTITY:
    case BELL_SIP_HDR_ALERT_INFO:
    case BELL_SIP_HDR_CALL_INFO:
    case BELL_SIP_HDR_ERROR_INFO:
      return parse_name_addr (arena, h, stop, why);
    case BELL_SIP_HDR_CALL_ID:
      if (!is_callid (h->value))
        return (*why = "invalid Call-ID"), FALSE;
      return TRUE;
    case BELL_SIP_HDR_CSEQ:
      return parse_cseq (arena, h, why);
    case BELL_SIP_HDR_RACK:
      return parse_rack (arena, h, why);
    case BELL_SIP_HDR_MAX_FORWARDS:
      return parse_number (h, 255, why);
    case BELL_SIP_HDR_CONTENT_LENGTH:
    case BELL_SIP_HDR_EXPIRES:
    case BELL_SIP_HDR_MIN_EXPIRES:
      return parse_number (h, MAX_DELTA_SECONDS, why);
    case BELL_SIP_HDR_RSEQ:
      if (!parse_number (h, G_MAXUINT32, why))
        return FALSE;
      if (h->parsed.number == 0)
        return (*why = "RSeq must be at least 1"), FALSE;
      return TRUE;
    case BELL_SIP_HDR_AUTHORIZATION:
    case BELL_SIP_HDR_PROXY_AUTHORIZATION:
    case BELL_SIP_HDR_WWW_AUTHENTICATE:
    case BELL_SIP_HDR_PROXY_AUTHENTICATE:
    case BELL_SIP_HDR_AUTHENTICATION_INFO:
      return parse_auth (arena, h, why);
    case BELL_SIP_HDR_CONTENT_TYPE:
    case BELL_SIP_HDR_ACCEPT:
      return parse_media_type (arena, h, stop, why);
    case BELL_SIP_HDR_EVENT:
    case BELL_SIP_HDR_SUBSCRIPTION_STATE:
    case BELL_SIP_HDR_SESSION_EXPIRES:
    case BELL_SIP_HDR_MIN_SE:
    case BELL_SIP_HDR_RETRY_AFTER:
    case BELL_SIP_HDR_REASON:
    case BELL_SIP_HDR_CONTENT_DISPOSITION:
    case BELL_SIP_HDR_REPLACES:
      return parse_token_params (arena, h, stop, why);
    case BELL_SIP_HDR_ALLOW:
    case BELL_SIP_HDR_ALLOW_EVENTS:
    case BELL_SIP_HDR_SUPPORTED:
    case BELL_SIP_HDR_REQUIRE:
    case BELL_SIP_HDR_PROXY_REQUIRE:
    case BELL_SIP_HDR_UNSUPPORTED:
    case BELL_SIP_HDR_CONTENT_ENCODING:
    case BELL_SIP_HDR_CONTENT_LANGUAGE:
    case BELL_SIP_HDR_ACCEPT_ENCODING:
    case BELL_SIP_HDR_ACCEPT_LANGUAGE:
    case BELL_SIP_HDR_IN_REPLY_TO:
      return parse_token_list (h, why);
    case BELL_SIP_HDR_WARNING:
      return parse_warning (arena, h, stop, why);
    case BELL_SIP_HDR_OTHER:
    case BELL_SIP_HDR_DATE:
    case BELL_SIP_HDR_MIME_VERSION:
    case BELL_SIP_HDR_ORGANIZATION:
    case BELL_SIP_HDR_PRIORITY:
    case BELL_SIP_HDR_SERVER:
    case BELL_SIP_HDR_SUBJECT:
    case BELL_SIP_HDR_TIMESTAMP:
    case BELL_SIP_HDR_USER_AGENT:
    case BELL_SIP_HDR_N_IDS:
    default:
      return TRUE;
    }
}

gboolean
bell_sip_header_is_text (BellSipHdrId id)
{
  switch (id)
    {
    case BELL_SIP_HDR_OTHER:
    case BELL_SIP_HDR_DATE:
    case BELL_SIP_HDR_MIME_VERSION:
    case BELL_SIP_HDR_ORGANIZATION:
    case BELL_SIP_HDR_PRIORITY:
    case BELL_SIP_HDR_SERVER:
    case BELL_SIP_HDR_SUBJECT:
    case BELL_SIP_HDR_TIMESTAMP:
    case BELL_SIP_HDR_USER_AGENT:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Headers whose value may be empty: token lists (an empty Supported says "none") and text. */
gboolean
bell_sip_header_may_be_empty (BellSipHdrId id)
{
  switch (id)
    {
    case BELL_SIP_HDR_ACCEPT:
    case BELL_SIP_HDR_ACCEPT_ENCODING:
    case BELL_SIP_HDR_ACCEPT_LANGUAGE:
    case BELL_SIP_HDR_ALLOW:
    case BELL_SIP_HDR_SUPPORTED:
    case BELL_SIP_HDR_UNSUPPORTED:
    case BELL_SIP_HDR_OTHER:
    case BELL_SIP_HDR_SUBJECT:
    case BELL_SIP_HDR_ORGANIZATION:
    case BELL_SIP_HDR_USER_AGENT:
    case BELL_SIP_HDR_SERVER:
    case BELL_SIP_HDR_DATE:
    case BELL_SIP_HDR_TIMESTAMP:
    case BELL_SIP_HDR_PRIORITY:
    case BELL_SIP_HDR_MIME_VERSION:
      return TRUE;
    default:
      return FALSE;
    }
}
