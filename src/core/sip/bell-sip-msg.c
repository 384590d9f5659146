/* bell-sip-msg.c: parsing and framing of SIP messages (RFC 3261 §7, §18.3, §25). */
#define G_LOG_DOMAIN "bell-sip"

#include "bell-secret.h"
#include "bell-sip-msg-private.h"
#include "bell-sip-private.h"

#include <string.h>

G_DEFINE_BOXED_TYPE (BellSipMsg, bell_sip_msg, bell_sip_msg_ref, bell_sip_msg_unref)

#define INITIAL_HEADERS 24

/* One allocation: the struct, then the first arena block, then (when parsing) the copy of the
 * input. A parsed message rarely needs a second block. */
static BellSipMsg *
msg_alloc (gsize arena_size, gsize copy_size, char **copy)
{
  BellSipMsg *msg = g_malloc (sizeof (BellSipMsg) + arena_size + copy_size);

  memset (msg, 0, sizeof *msg);
  msg->ref_count = 1;
  bell_arena_init (&msg->arena, msg + 1, arena_size);
  if (copy)
    *copy = (char *) (msg + 1) + arena_size;
  msg->headers = bell_arena_new (&msg->arena, BellSipHeader, INITIAL_HEADERS);
  msg->headers_cap = INITIAL_HEADERS;
  return msg;
}

BellSipMsg *
_bell_sip_msg_new_empty (void)
{
  return msg_alloc (2048, 0, NULL);
}

BellSipMsg *
bell_sip_msg_ref (BellSipMsg *msg)
{
  g_return_val_if_fail (msg != NULL, NULL);
  g_atomic_int_inc (&msg->ref_count);
  return msg;
}

void
bell_sip_msg_unref (BellSipMsg *msg)
{
  g_return_if_fail (msg != NULL);
  if (g_atomic_int_dec_and_test (&msg->ref_count))
    {
      bell_secret_wipe ((char *) msg->body, msg->body_len);   /* SDP: SRTP keys */
      bell_arena_clear (&msg->arena);
      g_free (msg);
    }
}

void
bell_sip_msg_wipe_body (BellSipMsg *msg)
{
  if (msg)
    bell_secret_wipe ((char *) msg->body, msg->body_len);
}

BellSipHeader *
bell_sip_msg_insert_slot (BellSipMsg *msg, guint index)
{
  BellSipHeader *h;

  if (msg->n_headers >= BELL_SIP_MAX_HEADERS)
    return NULL;
  if (msg->n_headers == msg->headers_cap)
    {
      BellSipHeader *grown = bell_arena_new (&msg->arena, BellSipHeader, msg->headers_cap * 2);
      memcpy (grown, msg->headers, sizeof (BellSipHeader) * msg->n_headers);
      msg->headers = grown;
      msg->headers_cap *= 2;
    }
  if (index < msg->n_headers)
    memmove (&msg->headers[index + 1], &msg->headers[index],
             sizeof (BellSipHeader) * (msg->n_headers - index));
  h = &msg->headers[index];
  memset (h, 0, sizeof *h);
  msg->n_headers++;
  return h;
}

void
bell_sip_msg_reindex (BellSipMsg *msg)
{
  memset (msg->first, 0, sizeof msg->first);
  for (guint i = msg->n_headers; i-- > 0;)
    msg->first[msg->headers[i].id] = (guint16) (i + 1);
}

/* Adds one header line (name and value already delimited) to msg at index pos; a list header
 * becomes one header per element, split as the elements are parsed. On failure what was added
 * of it stays (the caller rolls back or fails the whole message). */
gboolean
_bell_sip_msg_add_line (BellSipMsg *msg, guint pos, BellSipHdrId id, BellStr name,
                        BellStr value, guint line, const char **why)
{
  const char *p, *end;
  gboolean joined = FALSE;

  value = bell_str_trim (value);
  if (value.len == 0 && !bell_sip_header_may_be_empty (id))
    {
      *why = "empty value";
      return FALSE;
    }
  p = value.p;
  end = value.p + value.len;
  for (;;)
    {
      BellSipHeader *h = bell_sip_msg_insert_slot (msg, pos);
      const char *stop;

      if (!h)
        {
          *why = "too many headers";
          return FALSE;
        }
      h->id = id;
      h->name = name;
      h->value = (BellStr){ p, (gsize) (end - p) };
      h->line = line;
      h->joined = joined;
      if (pos + 1 == msg->n_headers)
        {
          if (!msg->first[id])
            msg->first[id] = (guint16) msg->n_headers;
        }
      else
        bell_sip_msg_reindex (msg);  /* inserted before others: indexes moved */
      pos++;

      if (value.len == 0)
        return TRUE;
      if (!bell_sip_header_parse_value (&msg->arena, h, &stop, why))
        return FALSE;
      if (stop == end)
        return TRUE;
      h->value = bell_str_trim ((BellStr){ p, (gsize) (stop - p) });
      if (*stop != ',' || !bell_sip_hdr_id_splits (id))
        {
          *why = "unexpected text after the value";
          return FALSE;
        }
      p = stop + 1;
      bell_skip_lws (&p, end);
      if (p == end)
        {
          *why = "empty list element";
          return FALSE;
        }
      joined = TRUE;
    }
}

/* What of the input an error message quotes: printable, however hostile the bytes. */
static char *
printable (BellStr what)
{
  gsize n = MIN (what.len, 80);
  char *out = g_malloc (n + 1);

  for (gsize i = 0; i < n; i++)
    out[i] = ((guchar) what.p[i] < 0x20 || what.p[i] == 0x7f) ? '?' : what.p[i];
  out[n] = '\0';
  return out;
}

static gboolean
fail (GError **error, BellSipError code, guint line, const char *why, BellStr what)
{
  if (what.len)
    {
      g_autofree char *shown = printable (what);
      g_set_error (error, BELL_SIP_ERROR, code, "line %u: %s: %s", line, why, shown);
    }
  else
    g_set_error (error, BELL_SIP_ERROR, code, "line %u: %s", line, why);
  return FALSE;
}

static inline gboolean
is_control (guchar c)
{
  return c < 0x20 || c == 0x7f;
}

/* Is there a control character in [start, end) (one line, its line end excluded) that is not
 * a tab and not escaped by a backslash? Eight bytes at a time: almost every word has no byte
 * below 0x20 and no DEL, and needs one test. end must have 8 readable bytes after it (the
 * parser's copy is padded, BELL_SIP_MSG_PADDING). */
static gboolean
has_bare_control (const char *start, const char *end)
{
  const guint64 ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;

  for (const char *p = start; p < end; p += 8)
    {
      guint64 w, lows, dels;
      gsize n = MIN (8, (gsize) (end - p));

      memcpy (&w, p, 8);
      if (n < 8)
        w |= ~0ull << (8 * n);   /* pad with 0xff: neither low nor DEL */
      lows = (w - 0x20 * ones) & ~w & highs;
      dels = ((w ^ (0x7f * ones)) - ones) & ~(w ^ (0x7f * ones)) & highs;
      if (G_LIKELY (!(lows | dels)))
        continue;
      for (gsize i = 0; i < n; i++)
        if (is_control ((guchar) p[i]) && p[i] != '\t' && !(p + i > start && (p + i)[-1] == '\\'))
          return TRUE;
    }
  return FALSE;
}

/* SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; "SIP" is case-insensitive (RFC 3261 §25). */
static gboolean
is_sip_version_form (BellStr s)
{
  gsize i = 4, d1, d2;

  if (s.len < 7 || !bell_mem_equal_ci (s.p, "SIP/", 4))
    return FALSE;
  for (d1 = i; i < s.len && g_ascii_isdigit (s.p[i]); i++)
    ;
  if (i == d1 || i >= s.len || s.p[i] != '.')
    return FALSE;
  for (d2 = ++i; i < s.len && g_ascii_isdigit (s.p[i]); i++)
    ;
  return i > d2 && i == s.len;
}

static gboolean
is_sip_2_0 (BellStr s)
{
  return s.len == 7 && bell_mem_equal_ci (s.p, "SIP/2.0", 7);
}

static gboolean
parse_status_line (BellSipMsg *msg, const char *p, const char *end, GError **error)
{
  const char *sp = memchr (p, ' ', (gsize) (end - p));
  BellStr version = { p, (gsize) ((sp ? sp : end) - p) };
  const char *code;

  if (!is_sip_version_form (version))
    return fail (error, BELL_SIP_ERROR_MALFORMED, 1, "invalid status line", version);
  if (!is_sip_2_0 (version))
    return fail (error, BELL_SIP_ERROR_VERSION, 1, "unsupported SIP version", version);
  if (!sp)
    return fail (error, BELL_SIP_ERROR_MALFORMED, 1, "no status code", BELL_STR_NULL);
  code = sp + 1;
  /* Status-Code = 3DIGIT, then SP Reason-Phrase (which may be empty). */
  if (end - code < 3 || !g_ascii_isdigit (code[0]) || !g_ascii_isdigit (code[1]) ||
      !g_ascii_isdigit (code[2]) || (end - code > 3 && code[3] != ' '))
    return fail (error, BELL_SIP_ERROR_MALFORMED, 1, "status code is not three digits",
                 (BellStr){ code, (gsize) MIN (end - code, 12) });
  msg->status = (guint) ((code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0'));
  if (msg->status < 100 || msg->status > 699)
    return fail (error, BELL_SIP_ERROR_MALFORMED, 1, "status code out of range",
                 (BellStr){ code, 3 });
  msg->reason = end - code > 3 ? (BellStr){ code + 4, (gsize) (end - code - 4) }
                               : (BellStr){ end, 0 };
  if (has_bare_control (msg->reason.p, end))
    return fail (error, BELL_SIP_ERROR_MALFORMED, 1, "control character in the reason phrase",
                 BELL_STR_NULL);
  return TRUE;
}

static gboolean
parse_request_line (BellSipMsg *msg, const char *p, const char *end, GError **error)
{
  BellStr parts[3];
  guint n = 0;

  /* Method SP Request-URI SP SIP-Version. Runs of SP and trailing SP are tolerated
   * (RFC 4475 §3.1.2.9, §3.1.2.10); LWS inside the Request-URI makes a fourth part. */
  while (p < end)
    {
      const char *s;
      while (p < end && *p == ' ')
        p++;
      if (p >= end)
        break;
      s = p;
      while (p < end && *p != ' ')
        p++;
      if (n == 3)
        return fail (error, BELL_SIP_ERROR_MALFORMED, 1,
                     "request line has more than three elements (space in the Request-URI?)",
                     (BellStr){ s, (gsize) (p - s) });
      parts[n++] = (BellStr){ s, (gsize) (p - s) };
    }
  if (n < 3)
    return fail (error, BELL_SIP_ERROR_MALFORMED, 1, "request line needs method, URI and version",
                 BELL_STR_NULL);
  for (gsize i = 0; i < parts[0].len; i++)
    if (!bell_cc (parts[0].p[i], BELL_CC_TOKEN))
      return fail (error, BELL_SIP_ERROR_MALFORMED, 1, "invalid method", parts[0]);
  if (!is_sip_version_form (parts[2]))
    return fail (error, BELL_SIP_ERROR_MALFORMED, 1, "invalid SIP version", parts[2]);
  if (!is_sip_2_0 (parts[2]))
    return fail (error, BELL_SIP_ERROR_VERSION, 1, "unsupported SIP version", parts[2]);
  msg->is_request = TRUE;
  msg->method_str = parts[0];
  msg->method = bell_sip_method_from_str (parts[0]);
  if (!bell_sip_uri_parse (&msg->ruri, parts[1].p, parts[1].len, NULL))
    return fail (error, BELL_SIP_ERROR_MALFORMED, 1, "invalid Request-URI", parts[1]);
  return TRUE;
}

/* Where the line starting at p ends; folded continuation lines are joined by turning their
 * CRLF into spaces (LWS is equivalent to SP, §7.3.1). */
static const char *
line_end_unfolding (char *p, char *end, guint *extra_lines)
{
  for (;;)
    {
      char *nl = memchr (p, '\n', (gsize) (end - p));
      if (!nl)
        return NULL;
      if (nl + 1 < end && (nl[1] == ' ' || nl[1] == '\t'))
        {
          *nl = ' ';
          if (nl > p && nl[-1] == '\r')
            nl[-1] = ' ';
          (*extra_lines)++;
          p = nl + 1;
          continue;
        }
      return nl;
    }
}

static gboolean
parse_header_line (BellSipMsg *msg, const char *p, const char *end, guint line, GError **error)
{
  const char *n = p, *why = NULL, *colon = memchr (p, ':', (gsize) (end - p)), *ne;
  BellStr name;
  BellSipHdrId id;

  if (!colon)
    return fail (error, BELL_SIP_ERROR_MALFORMED, line, "not a header (no ':')",
                 (BellStr){ n, (gsize) MIN (end - n, 40) });
  /* header-name HCOLON: LWS may stand before the colon. */
  for (ne = colon; ne > n && (ne[-1] == ' ' || ne[-1] == '\t'); ne--)
    ;
  name = (BellStr){ n, (gsize) (ne - n) };
  /* A known name is made of token characters by definition; check only the others. */
  id = name.len ? bell_sip_hdr_id_lookup_padded (name.p, name.len) : BELL_SIP_HDR_OTHER;
  if (id == BELL_SIP_HDR_OTHER)
    {
      gsize i = 0;
      while (i < name.len && bell_cc (name.p[i], BELL_CC_TOKEN))
        i++;
      if (name.len == 0 || i != name.len)
        return fail (error, BELL_SIP_ERROR_MALFORMED, line, "not a header (invalid name)",
                     (BellStr){ n, (gsize) MIN (end - n, 40) });
    }
  p = colon + 1;
  /* Control characters (NUL, a bare CR, ESC, DEL ...) are only legal escaped in a quoted
   * string (quoted-pair, §25.1): a bare CR would let a header end early at a peer that takes
   * it for a line end, a NUL cut a value short. Typed parsers accept only their grammar's
   * characters; free text is checked here. */
  if (bell_sip_header_is_text (id) && has_bare_control (p, end))
    return fail (error, BELL_SIP_ERROR_MALFORMED, line, "control character in a header",
                 (BellStr){ n, (gsize) MIN (end - n, 40) });
  if (!_bell_sip_msg_add_line (msg, msg->n_headers, id, name, (BellStr){ p, (gsize) (end - p) },
                               line, &why))
    {
      char label[128];
      g_snprintf (label, sizeof label, "invalid %.*s header (%s)", (int) MIN (name.len, 30),
                  name.p, why);
      return fail (error, g_strcmp0 (why, "too many headers") == 0 ? BELL_SIP_ERROR_TOO_LARGE
                                                                  : BELL_SIP_ERROR_MALFORMED,
                   line, label, bell_str_trim ((BellStr){ p, (gsize) MIN (end - p, 60) }));
    }
  return TRUE;
}

static gboolean
parse_into (BellSipMsg *msg, char *buf, gsize len, BellSipParseFlags flags, GError **error)
{
  char *p = buf, *end = buf + len;
  const char *eol;
  guint line = 1, extra = 0;
  guint64 cl;

  eol = memchr (p, '\n', len);
  if (!eol)
    return fail (error, BELL_SIP_ERROR_MALFORMED, 1, "no end of the start line", BELL_STR_NULL);
  {
    const char *le = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
    gboolean ok = (le - p >= 4 && bell_mem_equal_ci (p, "SIP/", 4))
                    ? parse_status_line (msg, p, le, error)
                    : parse_request_line (msg, p, le, error);
    if (!ok)
      return FALSE;
  }
  p = (char *) eol + 1;

  for (line = 2;; line += 1 + extra)
    {
      const char *le;
      extra = 0;
      if (p >= end)
        return fail (error, BELL_SIP_ERROR_MALFORMED, line,
                     "headers not terminated by an empty line", BELL_STR_NULL);
      if (*p == '\n')
        {
          p++;
          break;
        }
      if (*p == '\r' && p + 1 < end && p[1] == '\n')
        {
          p += 2;
          break;
        }
      if (*p == ' ' || *p == '\t')
        return fail (error, BELL_SIP_ERROR_MALFORMED, line, "continuation line without a header",
                     BELL_STR_NULL);
      eol = line_end_unfolding (p, end, &extra);
      if (!eol)
        return fail (error, BELL_SIP_ERROR_MALFORMED, line,
                     "headers not terminated by an empty line", BELL_STR_NULL);
      le = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
      if (!parse_header_line (msg, p, le, line, error))
        return FALSE;
      p = (char *) eol + 1;
    }

  if (msg->first[BELL_SIP_HDR_CONTENT_LENGTH])
    {
      const BellSipHeader *h = &msg->headers[msg->first[BELL_SIP_HDR_CONTENT_LENGTH] - 1];
      cl = h->parsed.number;
      /* On a stream, framing by two different lengths cannot be trusted (RFC 4475 §3.3.9). */
      if (flags & BELL_SIP_PARSE_STREAM)
        for (const BellSipHeader *o = bell_sip_msg_find_next (msg, BELL_SIP_HDR_CONTENT_LENGTH, h);
             o; o = bell_sip_msg_find_next (msg, BELL_SIP_HDR_CONTENT_LENGTH, o))
          if (o->parsed.number != cl)
            return fail (error, BELL_SIP_ERROR_MALFORMED, o->line,
                         "conflicting Content-Length headers", BELL_STR_NULL);
      if (cl > (guint64) (end - p))
        {
          g_set_error (error, BELL_SIP_ERROR, BELL_SIP_ERROR_TRUNCATED,
                       "line %u: Content-Length %" G_GUINT64_FORMAT
                       " is larger than the %" G_GSIZE_FORMAT " bytes of body received",
                       h->line, cl, (gsize) (end - p));
          return FALSE;
        }
    }
  else if (flags & BELL_SIP_PARSE_STREAM)
    {
      /* §18.3: a stream message without Content-Length has no body. */
      if (p != end)
        return fail (error, BELL_SIP_ERROR_MALFORMED, line,
                     "a body without Content-Length on a stream transport", BELL_STR_NULL);
      cl = 0;
    }
  else
    cl = (guint64) (end - p);   /* datagram without Content-Length: the rest (§18.3) */
  msg->body = p;
  msg->body_len = (gsize) cl;   /* trailing octets of a datagram are discarded (§18.3) */

  /* A request whose CSeq names another method cannot be matched to anything (§8.1.1.5). */
  if (msg->is_request && msg->first[BELL_SIP_HDR_CSEQ])
    {
      const BellSipHeader *h = &msg->headers[msg->first[BELL_SIP_HDR_CSEQ] - 1];
      if (!bell_str_equal (h->parsed.cseq->method_str, msg->method_str))
        return fail (error, BELL_SIP_ERROR_MALFORMED, h->line,
                     "CSeq method does not match the request method", h->parsed.cseq->method_str);
    }
  return TRUE;
}

BellSipMsg *
bell_sip_msg_parse (const char *data, gsize len, BellSipParseFlags flags, GError **error)
{
  BellSipMsg *msg;
  char *copy;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* CRLFs before the start line are ignored (§7.5). */
  while (len > 0 && (*data == '\r' || *data == '\n'))
    data++, len--;
  if (len == 0)
    {
      g_set_error_literal (error, BELL_SIP_ERROR, BELL_SIP_ERROR_MALFORMED, "line 1: empty message");
      return NULL;
    }
  if (len > BELL_SIP_MAX_MESSAGE_SIZE)
    {
      g_set_error (error, BELL_SIP_ERROR, BELL_SIP_ERROR_TOO_LARGE,
                   "line 1: message of %" G_GSIZE_FORMAT " bytes is over the limit of %d", len,
                   BELL_SIP_MAX_MESSAGE_SIZE);
      return NULL;
    }

  msg = msg_alloc (1024 + 2 * len, len + BELL_SIP_MSG_PADDING, &copy);
  memcpy (copy, data, len);
  memset (copy + len, 0, BELL_SIP_MSG_PADDING);
  if (!parse_into (msg, copy, len, flags, error))
    {
      bell_sip_msg_unref (msg);
      return NULL;
    }
  return msg;
}

/* Finds "Content-Length"/"l" in a raw header section without a full parse; a folded value
 * (continuation lines, §7.3.1) is followed. */
static gboolean
frame_content_length (const char *p, const char *end, guint64 *cl, guint *bad_line,
                      const char **why)
{
  gboolean found = FALSE;
  guint line = 1;

  while (p < end)
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      const char *le = nl ? nl : end, *q = p;
      while (q < le && bell_cc (*q, BELL_CC_TOKEN))
        q++;
      if (bell_sip_hdr_id_from_name (p, (gsize) (q - p)) == BELL_SIP_HDR_CONTENT_LENGTH)
        {
          g_autoptr(GString) value = g_string_new (NULL);
          guint64 number;
          *bad_line = line;
          while (q < le && (*q == ' ' || *q == '\t'))
            q++;
          if (q >= le || *q != ':')
            return (*why = "invalid Content-Length"), FALSE;
          g_string_append_len (value, q + 1, le - q - 1);
          while (le < end && le + 1 < end && (le[1] == ' ' || le[1] == '\t'))
            {
              const char *next = le + 1, *nnl = memchr (next, '\n', (gsize) (end - next));
              le = nnl ? nnl : end;
              g_string_append_len (value, next, le - next);
              line++;
            }
          if (!bell_str_to_uint64 (bell_str_trim ((BellStr){ value->str, value->len }),
                                   BELL_SIP_MAX_MESSAGE_SIZE, &number))
            return (*why = "invalid or too large Content-Length"), FALSE;
          if (found && number != *cl)
            return (*why = "conflicting Content-Length headers"), FALSE;
          *cl = number;
          found = TRUE;
        }
      p = le + 1;
      line++;
    }
  if (!found)
    *cl = 0;
  return TRUE;
}

BellSipFrameResult
bell_sip_frame (const char *data, gsize len, gsize *skip, gsize *msg_len, GError **error)
{
  gsize s = 0, hdr_end = 0;
  guint64 cl = 0;
  guint bad_line = 0;
  const char *why = NULL, *p, *end = data + len;

  *skip = 0;
  *msg_len = 0;
  while (s < len && (data[s] == '\r' || data[s] == '\n'))
    s++;
  *skip = s;
  if (s == len)
    return BELL_SIP_FRAME_NEED_MORE;

  /* The header section ends at the first empty line. */
  for (p = data + s; p < end;)
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      if (!nl)
        break;
      if (nl + 1 < end && nl[1] == '\n')
        {
          hdr_end = (gsize) (nl + 2 - data);
          break;
        }
      if (nl + 2 < end && nl[1] == '\r' && nl[2] == '\n')
        {
          hdr_end = (gsize) (nl + 3 - data);
          break;
        }
      p = nl + 1;
    }
  if (hdr_end == 0)
    {
      if (len - s > BELL_SIP_MAX_MESSAGE_SIZE)
        {
          g_set_error (error, BELL_SIP_ERROR, BELL_SIP_ERROR_TOO_LARGE,
                       "header section over %d bytes", BELL_SIP_MAX_MESSAGE_SIZE);
          return BELL_SIP_FRAME_MALFORMED;
        }
      return BELL_SIP_FRAME_NEED_MORE;
    }
  if (!frame_content_length (data + s, data + hdr_end, &cl, &bad_line, &why))
    {
      g_set_error (error, BELL_SIP_ERROR, BELL_SIP_ERROR_MALFORMED,
                   "line %u: cannot frame the message: %s", bad_line, why);
      return BELL_SIP_FRAME_MALFORMED;
    }
  if (hdr_end - s + cl > BELL_SIP_MAX_MESSAGE_SIZE)
    {
      g_set_error (error, BELL_SIP_ERROR, BELL_SIP_ERROR_TOO_LARGE,
                   "message over %d bytes", BELL_SIP_MAX_MESSAGE_SIZE);
      return BELL_SIP_FRAME_MALFORMED;
    }
  if (len < hdr_end + cl)
    return BELL_SIP_FRAME_NEED_MORE;
  *msg_len = hdr_end - s + (gsize) cl;
  return BELL_SIP_FRAME_COMPLETE;
}

/* Accessors */

gboolean
bell_sip_msg_is_request (const BellSipMsg *msg)
{
  return msg->is_request;
}

BellSipMethod
bell_sip_msg_get_method (const BellSipMsg *msg)
{
  const BellSipCSeq *cseq;

  if (msg->is_request)
    return msg->method;
  cseq = bell_sip_msg_get_cseq (msg);
  return cseq ? cseq->method : BELL_SIP_METHOD_UNKNOWN;
}

BellStr
bell_sip_msg_get_method_str (const BellSipMsg *msg)
{
  const BellSipCSeq *cseq;

  if (msg->is_request)
    return msg->method_str;
  cseq = bell_sip_msg_get_cseq (msg);
  return cseq ? cseq->method_str : BELL_STR_NULL;
}

const BellSipUri *
bell_sip_msg_get_request_uri (const BellSipMsg *msg)
{
  return msg->is_request ? &msg->ruri : NULL;
}

guint
bell_sip_msg_get_status (const BellSipMsg *msg)
{
  return msg->status;
}

BellStr
bell_sip_msg_get_reason (const BellSipMsg *msg)
{
  return msg->reason;
}

guint
bell_sip_msg_get_n_headers (const BellSipMsg *msg)
{
  return msg->n_headers;
}

const BellSipHeader *
bell_sip_msg_get_header_at (const BellSipMsg *msg, guint index)
{
  g_return_val_if_fail (index < msg->n_headers, NULL);
  return &msg->headers[index];
}

const BellSipHeader *
bell_sip_msg_find (const BellSipMsg *msg, BellSipHdrId id)
{
  g_return_val_if_fail (id < BELL_SIP_HDR_N_IDS, NULL);
  return msg->first[id] ? &msg->headers[msg->first[id] - 1] : NULL;
}

const BellSipHeader *
bell_sip_msg_find_next (const BellSipMsg *msg, BellSipHdrId id, const BellSipHeader *prev)
{
  guint i;

  if (!prev)
    return bell_sip_msg_find (msg, id);
  g_return_val_if_fail (prev >= msg->headers && prev < msg->headers + msg->n_headers, NULL);
  for (i = (guint) (prev - msg->headers) + 1; i < msg->n_headers; i++)
    if (msg->headers[i].id == id)
      return &msg->headers[i];
  return NULL;
}

const BellSipHeader *
bell_sip_msg_find_by_name (const BellSipMsg *msg, const char *name)
{
  BellSipHdrId id = bell_sip_hdr_id_from_name (name, strlen (name));

  if (id != BELL_SIP_HDR_OTHER)
    return bell_sip_msg_find (msg, id);
  for (guint i = 0; i < msg->n_headers; i++)
    if (msg->headers[i].id == BELL_SIP_HDR_OTHER && bell_str_equal_ci_cstr (msg->headers[i].name, name))
      return &msg->headers[i];
  return NULL;
}

guint
bell_sip_msg_count (const BellSipMsg *msg, BellSipHdrId id)
{
  guint n = 0;

  for (const BellSipHeader *h = bell_sip_msg_find (msg, id); h; h = bell_sip_msg_find_next (msg, id, h))
    n++;
  return n;
}

gboolean
bell_sip_msg_has_token (const BellSipMsg *msg, BellSipHdrId id, const char *token)
{
  for (const BellSipHeader *h = bell_sip_msg_find (msg, id); h; h = bell_sip_msg_find_next (msg, id, h))
    {
      BellStr rest = h->value, t;
      while (bell_sip_token_list_next (&rest, &t))
        /* Methods are case-sensitive, option tags and event packages are not. */
        if (id == BELL_SIP_HDR_ALLOW ? bell_str_equal_cstr (t, token)
                                     : bell_str_equal_ci_cstr (t, token))
          return TRUE;
    }
  return FALSE;
}

const BellSipVia *
bell_sip_msg_get_via (const BellSipMsg *msg)
{
  const BellSipHeader *h = bell_sip_msg_find (msg, BELL_SIP_HDR_VIA);
  return h ? h->parsed.via : NULL;
}

const BellSipNameAddr *
bell_sip_msg_get_from (const BellSipMsg *msg)
{
  const BellSipHeader *h = bell_sip_msg_find (msg, BELL_SIP_HDR_FROM);
  return h ? h->parsed.name_addr : NULL;
}

const BellSipNameAddr *
bell_sip_msg_get_to (const BellSipMsg *msg)
{
  const BellSipHeader *h = bell_sip_msg_find (msg, BELL_SIP_HDR_TO);
  return h ? h->parsed.name_addr : NULL;
}

const BellSipNameAddr *
bell_sip_msg_get_contact (const BellSipMsg *msg)
{
  const BellSipHeader *h = bell_sip_msg_find (msg, BELL_SIP_HDR_CONTACT);
  return h ? h->parsed.name_addr : NULL;
}

const BellSipCSeq *
bell_sip_msg_get_cseq (const BellSipMsg *msg)
{
  const BellSipHeader *h = bell_sip_msg_find (msg, BELL_SIP_HDR_CSEQ);
  return h ? h->parsed.cseq : NULL;
}

BellStr
bell_sip_msg_get_call_id (const BellSipMsg *msg)
{
  const BellSipHeader *h = bell_sip_msg_find (msg, BELL_SIP_HDR_CALL_ID);
  return h ? h->value : BELL_STR_NULL;
}

gboolean
bell_sip_msg_get_number (const BellSipMsg *msg, BellSipHdrId id, guint64 *value)
{
  const BellSipHeader *h;

  g_return_val_if_fail (id == BELL_SIP_HDR_CONTENT_LENGTH || id == BELL_SIP_HDR_MAX_FORWARDS ||
                        id == BELL_SIP_HDR_EXPIRES || id == BELL_SIP_HDR_MIN_EXPIRES ||
                        id == BELL_SIP_HDR_RSEQ, FALSE);
  h = bell_sip_msg_find (msg, id);
  if (!h)
    return FALSE;
  *value = h->parsed.number;
  return TRUE;
}

GBytes *
bell_sip_msg_get_body (const BellSipMsg *msg)
{
  return g_bytes_new (msg->body, msg->body_len);
}

const char *
bell_sip_msg_peek_body (const BellSipMsg *msg, gsize *len)
{
  *len = msg->body_len;
  return msg->body;
}
