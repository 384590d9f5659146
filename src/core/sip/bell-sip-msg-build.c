/* bell-sip-msg-build.c: building messages for the layers above, and printing them. */
#define G_LOG_DOMAIN "bell-sip"

#include "bell-log-redact.h"
#include "bell-secret.h"
#include "bell-sip-msg-private.h"
#include "bell-sip-private.h"

#include <stdio.h>
#include <string.h>

static const char *
default_reason (guint status)
{
  switch (status)
    {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 181: return "Call Is Being Forwarded";
    case 182: return "Queued";
    case 183: return "Session Progress";
    case 200: return "OK";
    case 202: return "Accepted";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Moved Temporarily";
    case 305: return "Use Proxy";
    case 380: return "Alternative Service";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 413: return "Request Entity Too Large";
    case 414: return "Request-URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Unsupported URI Scheme";
    case 420: return "Bad Extension";
    case 421: return "Extension Required";
    case 422: return "Session Interval Too Small";
    case 423: return "Interval Too Brief";
    case 480: return "Temporarily Unavailable";
    case 481: return "Call/Transaction Does Not Exist";
    case 482: return "Loop Detected";
    case 483: return "Too Many Hops";
    case 484: return "Address Incomplete";
    case 485: return "Ambiguous";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 488: return "Not Acceptable Here";
    case 489: return "Bad Event";
    case 491: return "Request Pending";
    case 493: return "Undecipherable";
    case 500: return "Server Internal Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Server Time-out";
    case 505: return "Version Not Supported";
    case 513: return "Message Too Large";
    case 600: return "Busy Everywhere";
    case 603: return "Decline";
    case 604: return "Does Not Exist Anywhere";
    case 606: return "Not Acceptable";
    default:  return "Unknown";
    }
}

BellSipMsg *
bell_sip_msg_new_request (BellSipMethod method, const char *method_name, const char *request_uri,
                          GError **error)
{
  g_autoptr(BellSipMsg) msg = NULL;
  const char *name = method != BELL_SIP_METHOD_UNKNOWN ? bell_sip_method_to_string (method)
                                                       : method_name;
  char *uri;

  g_return_val_if_fail (name != NULL && *name != '\0', NULL);
  g_return_val_if_fail (request_uri != NULL, NULL);

  for (const char *c = name; *c; c++)
    if (!bell_cc (*c, BELL_CC_TOKEN))
      {
        g_set_error (error, BELL_SIP_ERROR, BELL_SIP_ERROR_MALFORMED, "invalid method “%s”", name);
        return NULL;
      }
  msg = _bell_sip_msg_new_empty ();
  msg->is_request = TRUE;
  msg->method_str = bell_str (bell_arena_strndup (&msg->arena, name, strlen (name)));
  msg->method = bell_sip_method_from_str (msg->method_str);
  uri = bell_arena_strndup (&msg->arena, request_uri, strlen (request_uri));
  if (!bell_sip_uri_parse (&msg->ruri, uri, strlen (uri), error))
    return NULL;
  return g_steal_pointer (&msg);
}

BellSipMsg *
bell_sip_msg_new_response (guint status, const char *reason)
{
  BellSipMsg *msg;

  g_return_val_if_fail (status >= 100 && status <= 699, NULL);
  msg = _bell_sip_msg_new_empty ();
  msg->status = status;
  if (!reason)
    reason = default_reason (status);
  msg->reason = bell_str (bell_arena_strndup (&msg->arena, reason, strlen (reason)));
  return msg;
}

/* Copies one parsed header into msg, as text, so msg does not point into src. */
static void
copy_header (BellSipMsg *msg, const BellSipHeader *h, const char *suffix)
{
  const char *why = NULL;
  gsize suffix_len = suffix ? strlen (suffix) : 0;
  gsize len = h->value.len + suffix_len;
  char *value = bell_arena_alloc (&msg->arena, len + 1);
  const char *name = bell_arena_strndup (&msg->arena, h->name.p, h->name.len);

  /* By length: a quoted-pair may hold a NUL (RFC 4475 §3.1.1.2). */
  memcpy (value, h->value.p, h->value.len);
  memcpy (value + h->value.len, suffix ? suffix : "", suffix_len);
  value[len] = '\0';
  if (!_bell_sip_msg_add_line (msg, msg->n_headers, h->id, bell_str (name), (BellStr){ value, len },
                               0, &why))
    {
      /* The source parsed, so this should not happen; if it does, leave the header out
       * rather than send something broken. */
      g_warning ("could not copy a %.*s header into a response: %s", BELL_STR_PRINTF (h->name), why);
      bell_sip_msg_reindex (msg);
      return;
    }
  msg->headers[msg->n_headers - 1].joined = h->joined && msg->n_headers > 1 &&
                                             msg->headers[msg->n_headers - 2].id == h->id;
}

static void
copy_all (BellSipMsg *msg, const BellSipMsg *req, BellSipHdrId id)
{
  for (const BellSipHeader *h = bell_sip_msg_find (req, id); h; h = bell_sip_msg_find_next (req, id, h))
    copy_header (msg, h, NULL);
}

BellSipMsg *
bell_sip_msg_new_response_to (const BellSipMsg *req, guint status, const char *reason,
                              const char *to_tag)
{
  BellSipMsg *msg;
  const BellSipHeader *to;
  BellSipMethod method;

  g_return_val_if_fail (req != NULL && req->is_request, NULL);

  msg = bell_sip_msg_new_response (status, reason);
  copy_all (msg, req, BELL_SIP_HDR_VIA);
  copy_all (msg, req, BELL_SIP_HDR_FROM);
  to = bell_sip_msg_find (req, BELL_SIP_HDR_TO);
  if (to)
    {
      g_autofree char *suffix = NULL;
      /* §8.2.6.2: a UAS adds a tag unless the request had one; 100 Trying needs none. */
      if (to_tag && status > 100 && !bell_str_is_set (to->parsed.name_addr->tag))
        suffix = g_strdup_printf (";tag=%s", to_tag);
      copy_header (msg, to, suffix);
    }
  copy_all (msg, req, BELL_SIP_HDR_CALL_ID);
  copy_all (msg, req, BELL_SIP_HDR_CSEQ);
  copy_all (msg, req, BELL_SIP_HDR_TIMESTAMP);

  method = req->method;
  if (status > 100 && status < 300 &&
      (method == BELL_SIP_METHOD_INVITE || method == BELL_SIP_METHOD_SUBSCRIBE ||
       method == BELL_SIP_METHOD_REFER))
    copy_all (msg, req, BELL_SIP_HDR_RECORD_ROUTE);
  return msg;
}

/* The value of the first raw header line named long_name or compact (folding not followed:
 * good enough to answer garbage). */
static char *
raw_header_value (const char *data, gsize len, const char *long_name, char compact)
{
  const char *p = data, *end = data + len;

  while (p < end)
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      const char *le = nl ? nl : end, *colon = memchr (p, ':', (gsize) (le - p)), *ne;

      if (le == p || (le == p + 1 && *p == '\r'))
        break;  /* end of the header section */
      if (colon)
        {
          for (ne = colon; ne > p && (ne[-1] == ' ' || ne[-1] == '\t'); ne--)
            ;
          if (((gsize) (ne - p) == strlen (long_name) && g_ascii_strncasecmp (p, long_name, (gsize) (ne - p)) == 0) ||
              (ne - p == 1 && g_ascii_tolower (*p) == compact))
            {
              BellStr v = bell_str_trim ((BellStr){ colon + 1, (gsize) (le - colon - 1) });
              return v.len ? g_strndup (v.p, v.len) : NULL;
            }
        }
      p = le + 1;
    }
  return NULL;
}

BellSipMsg *
bell_sip_msg_new_error_response_raw (const char *data, gsize len, const GError *parse_error)
{
  static const struct { const char *name; char compact; } copied[] = {
    { "Via", 'v' }, { "From", 'f' }, { "To", 't' }, { "Call-ID", 'i' }, { "CSeq", 0 },
  };
  g_autoptr(BellSipMsg) msg = NULL;
  g_autoptr(GString) warning = g_string_new ("399 bellbird \"");
  const char *nl;
  guint status;

  while (len > 0 && (*data == '\r' || *data == '\n'))
    data++, len--;
  nl = memchr (data, '\n', len);
  if (!nl || len < 4 || g_ascii_strncasecmp (data, "SIP/", 4) == 0)
    return NULL;  /* not a request line: a bad response is dropped */
  len = MIN (len, BELL_SIP_MAX_MESSAGE_SIZE);
  status = parse_error && g_error_matches (parse_error, BELL_SIP_ERROR, BELL_SIP_ERROR_VERSION)
             ? 505 : 400;
  msg = bell_sip_msg_new_response (status, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (copied); i++)
    {
      g_autofree char *value = raw_header_value (data, len, copied[i].name, copied[i].compact);
      /* A Via of another SIP version is why we answer 505: answer it in 2.0, same branch. */
      if (value && i == 0 && g_ascii_strncasecmp (value, "SIP/", 4) == 0 &&
          strncmp (value + 4, "2.0", 3) != 0)
        {
          const char *slash = strchr (value + 4, '/');
          if (slash)
            {
              char *fixed = g_strconcat ("SIP/2.0", slash, NULL);
              g_free (value);
              value = fixed;
            }
        }
      if (value && bell_sip_msg_add_header (msg, copied[i].name, value, NULL))
        {
          /* §8.2.6.2: a final response names the UAS with a To tag. */
          if (i == 2 && !bell_str_is_set (bell_sip_msg_get_to (msg)->tag))
            {
              bell_sip_msg_remove_headers (msg, BELL_SIP_HDR_TO, NULL);
              bell_sip_msg_add_headerf (msg, "To", NULL, "%s;tag=bellbird-err%08x", value,
                                        g_random_int ());
            }
          continue;
        }
      /* A broken CSeq is often the very error (RFC 4475 §3.1.2.4): the client matches our
       * answer by branch and by the method, which the request line gives. */
      if (g_str_equal (copied[i].name, "CSeq"))
        {
          const char *sp = memchr (data, ' ', (gsize) (nl - data));
          g_autofree char *method = sp ? g_strndup (data, (gsize) (sp - data)) : NULL;
          if (method && bell_sip_msg_add_headerf (msg, "CSeq", NULL, "0 %s", method))
            continue;
        }
      /* Without the others we cannot say who the answer is for. */
      return NULL;
    }
  for (const char *c = parse_error ? parse_error->message : "malformed request"; *c; c++)
    {
      if (*c == '"' || *c == '\\')
        g_string_append_c (warning, '\\');
      if ((guchar) *c >= 0x20 && *c != 0x7f)
        g_string_append_c (warning, *c);
    }
  g_string_append_c (warning, '"');
  if (!bell_sip_msg_add_header (msg, "Warning", warning->str, NULL))
    bell_sip_msg_add_header (msg, "Warning", "399 bellbird \"malformed request\"", NULL);
  return g_steal_pointer (&msg);
}

static gboolean
add_text (BellSipMsg *msg, gboolean prepend, const char *name, const char *value, gsize value_len,
          GError **error)
{
  guint before = msg->n_headers;
  BellSipHdrId id;
  const char *why = NULL;
  guint pos = msg->n_headers;
  char *n, *v;

  for (const char *c = name; *c; c++)
    if (!bell_cc (*c, BELL_CC_TOKEN))
      {
        g_set_error (error, BELL_SIP_ERROR, BELL_SIP_ERROR_MALFORMED, "invalid header name “%s”", name);
        return FALSE;
      }
  if (*name == '\0' || memchr (value, '\r', value_len) || memchr (value, '\n', value_len))
    {
      g_set_error (error, BELL_SIP_ERROR, BELL_SIP_ERROR_MALFORMED,
                   "invalid header “%s”: empty name or a line break in the value", name);
      return FALSE;
    }
  id = bell_sip_hdr_id_from_name (name, strlen (name));
  if (prepend)
    pos = msg->first[id] ? msg->first[id] - 1u : 0;
  n = bell_arena_strndup (&msg->arena, name, strlen (name));
  v = bell_arena_strndup (&msg->arena, value, value_len);
  if (_bell_sip_msg_add_line (msg, pos, id, bell_str (n), (BellStr){ v, value_len }, 0, &why))
    return TRUE;

  /* Roll back the elements of this value that did get in. */
  if (msg->n_headers > before)
    {
      guint added = msg->n_headers - before;
      memmove (&msg->headers[pos], &msg->headers[pos + added],
               sizeof (BellSipHeader) * (msg->n_headers - pos - added));
      msg->n_headers = before;
    }
  bell_sip_msg_reindex (msg);
  g_set_error (error, BELL_SIP_ERROR, BELL_SIP_ERROR_MALFORMED, "invalid %s header “%s”: %s",
               name, value, why);
  return FALSE;
}

gboolean
bell_sip_msg_add_header (BellSipMsg *msg, const char *name, const char *value, GError **error)
{
  g_return_val_if_fail (msg != NULL && name != NULL && value != NULL, FALSE);
  return add_text (msg, FALSE, name, value, strlen (value), error);
}

gboolean
bell_sip_msg_prepend_header (BellSipMsg *msg, const char *name, const char *value, GError **error)
{
  g_return_val_if_fail (msg != NULL && name != NULL && value != NULL, FALSE);
  return add_text (msg, TRUE, name, value, strlen (value), error);
}

gboolean
bell_sip_msg_add_headerf (BellSipMsg *msg, const char *name, GError **error, const char *fmt, ...)
{
  g_autofree char *value = NULL;
  va_list args;

  va_start (args, fmt);
  value = g_strdup_vprintf (fmt, args);
  va_end (args);
  return bell_sip_msg_add_header (msg, name, value, error);
}

static void
remove_at (BellSipMsg *msg, guint i)
{
  BellSipHdrId id = msg->headers[i].id;

  /* The next element of the same list now starts its own line. */
  if (i + 1 < msg->n_headers && msg->headers[i + 1].id == id && msg->headers[i + 1].joined &&
      !msg->headers[i].joined)
    msg->headers[i + 1].joined = FALSE;
  memmove (&msg->headers[i], &msg->headers[i + 1], sizeof (BellSipHeader) * (msg->n_headers - i - 1));
  msg->n_headers--;
}

guint
bell_sip_msg_remove_headers (BellSipMsg *msg, BellSipHdrId id, const char *name)
{
  guint removed = 0;

  g_return_val_if_fail (id != BELL_SIP_HDR_OTHER || name != NULL, 0);
  for (guint i = msg->n_headers; i-- > 0;)
    {
      const BellSipHeader *h = &msg->headers[i];
      if (h->id == id && (id != BELL_SIP_HDR_OTHER || bell_str_equal_ci_cstr (h->name, name)))
        {
          remove_at (msg, i);
          removed++;
        }
    }
  bell_sip_msg_reindex (msg);
  return removed;
}

gboolean
bell_sip_msg_remove_first (BellSipMsg *msg, BellSipHdrId id)
{
  g_return_val_if_fail (id < BELL_SIP_HDR_N_IDS, FALSE);
  if (!msg->first[id])
    return FALSE;
  remove_at (msg, msg->first[id] - 1u);
  bell_sip_msg_reindex (msg);
  return TRUE;
}

void
bell_sip_msg_set_body (BellSipMsg *msg, const char *content_type, const void *data, gsize len)
{
  char number[24];

  g_return_if_fail (msg != NULL && (data != NULL || len == 0));

  bell_sip_msg_remove_headers (msg, BELL_SIP_HDR_CONTENT_TYPE, NULL);
  bell_sip_msg_remove_headers (msg, BELL_SIP_HDR_CONTENT_LENGTH, NULL);
  if (content_type && !bell_sip_msg_add_header (msg, "Content-Type", content_type, NULL))
    g_critical ("invalid Content-Type “%s”", content_type);
  msg->body = len ? memcpy (bell_arena_alloc (&msg->arena, len), data, len) : "";
  msg->body_len = len;
  g_snprintf (number, sizeof number, "%" G_GSIZE_FORMAT, len);
  bell_sip_msg_add_header (msg, "Content-Length", number, NULL);
}

/* Printing */

typedef enum
{
  PRINT_WIRE,
  PRINT_LOG,      /* credentials replaced, for debug logs */
} PrintMode;

static gboolean
is_credentials (BellSipHdrId id)
{
  return id == BELL_SIP_HDR_AUTHORIZATION || id == BELL_SIP_HDR_PROXY_AUTHORIZATION;
}

/* The response and cnonce of Digest credentials are what an eavesdropper brute-forces the
 * password from: logs show the other parameters, never those. */
static void
append_redacted_auth (GString *out, const BellSipHeader *h)
{
  BellStr rest = h->parsed.auth->params, n, v;
  gboolean first = TRUE;

  g_string_append_len (out, h->parsed.auth->scheme.p, (gssize) h->parsed.auth->scheme.len);
  g_string_append_c (out, ' ');
  while (bell_sip_auth_next (&rest, &n, &v))
    {
      g_string_append_printf (out, "%s%.*s=", first ? "" : ", ", BELL_STR_PRINTF (n));
      if (bell_str_equal_ci_cstr (n, "response") || bell_str_equal_ci_cstr (n, "cnonce"))
        g_string_append (out, "\"…\"");
      else
        g_string_append_len (out, v.p, (gssize) v.len);
      first = FALSE;
    }
}

static GString *
print_msg (const BellSipMsg *msg, PrintMode mode)
{
  GString *out = g_string_sized_new (512 + msg->body_len + msg->n_headers * 48);

  if (msg->is_request)
    {
      g_string_append_len (out, msg->method_str.p, (gssize) msg->method_str.len);
      g_string_append_c (out, ' ');
      g_string_append_len (out, msg->ruri.text.p, (gssize) msg->ruri.text.len);
      g_string_append (out, " SIP/2.0");
    }
  else
    {
      g_string_append_printf (out, "SIP/2.0 %03u ", msg->status);
      g_string_append_len (out, msg->reason.p, (gssize) msg->reason.len);
    }

  for (guint i = 0; i < msg->n_headers; i++)
    {
      const BellSipHeader *h = &msg->headers[i];
      /* Framing is the printer's: one Content-Length, the body's, where the first one was. */
      if (h->id == BELL_SIP_HDR_CONTENT_LENGTH)
        {
          if (i + 1 == msg->first[BELL_SIP_HDR_CONTENT_LENGTH])
            g_string_append_printf (out, "\r\n%.*s: %" G_GSIZE_FORMAT, BELL_STR_PRINTF (h->name),
                                    msg->body_len);
          continue;
        }
      if (h->joined && i > 0)
        g_string_append (out, ", ");
      else
        {
          g_string_append (out, "\r\n");
          g_string_append_len (out, h->name.p, (gssize) h->name.len);
          g_string_append (out, ": ");
        }
      if (mode == PRINT_LOG && is_credentials (h->id))
        append_redacted_auth (out, h);
      else
        g_string_append_len (out, h->value.p, (gssize) h->value.len);
    }
  /* A message without Content-Length gets one, as a stream transport requires (§18.3). */
  if (!msg->first[BELL_SIP_HDR_CONTENT_LENGTH])
    g_string_append_printf (out, "\r\nContent-Length: %" G_GSIZE_FORMAT, msg->body_len);
  g_string_append (out, "\r\n\r\n");
  if (mode == PRINT_LOG)
    bell_log_redact_append (out, msg->body, msg->body_len);   /* SDES keys out of logs */
  else
    g_string_append_len (out, msg->body, (gssize) msg->body_len);
  return out;
}

char *
bell_sip_msg_to_string (const BellSipMsg *msg, gsize *len)
{
  GString *out = print_msg (msg, PRINT_WIRE);

  if (len)
    *len = out->len;
  return g_string_free (out, FALSE);
}

GBytes *
bell_sip_msg_to_bytes (const BellSipMsg *msg)
{
  GString *out = print_msg (msg, PRINT_WIRE);
  gsize len = out->len;

  /* A body may be SDP with SRTP keys: the copy for the wire (kept for retransmissions) is
   * wiped when it goes, as the message is. */
  if (msg->body_len > 0)
    return bell_secret_bytes_new_take (g_string_free (out, FALSE), len);
  return g_string_free_to_bytes (out);
}

char *
bell_sip_msg_to_log_string (const BellSipMsg *msg)
{
  return g_string_free (print_msg (msg, PRINT_LOG), FALSE);
}
