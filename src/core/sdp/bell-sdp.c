/* bell-sdp.c: the SDP model (RFC 8866), its parser, typed attribute views and builders.
 *
 * The attribute list is the truth: typed views (formats, direction, crypto ...) are derived
 * from it and from the m= format list by media_derive()/session_derive(), after a parse and
 * after every change made through the API, so what is printed and what is read always agree.
 */
#define G_LOG_DOMAIN "bell-sdp"

#include "bell-sdp.h"
#include "bell-secret.h"
#include "bell-str.h"

#include <stdarg.h>
#include <string.h>

G_DEFINE_QUARK (bell-sdp-error-quark, bell_sdp_error)

/* ------------------------------------------------------------------------------------------ */
/* Tables */

typedef struct
{
  guint8      pt;
  const char *encoding;
  guint       clock_rate;
  guint       channels;
} StaticPayload;

/* RFC 3551 §6, tables 4 and 5: the payload types a receiver must know without a=rtpmap. */
static const StaticPayload static_payloads[] = {
  { 0, "PCMU", 8000, 1 },   { 3, "GSM", 8000, 1 },     { 4, "G723", 8000, 1 },
  { 5, "DVI4", 8000, 1 },   { 6, "DVI4", 16000, 1 },   { 7, "LPC", 8000, 1 },
  { 8, "PCMA", 8000, 1 },   { 9, "G722", 8000, 1 },    { 10, "L16", 44100, 2 },
  { 11, "L16", 44100, 1 },  { 12, "QCELP", 8000, 1 },  { 13, "CN", 8000, 1 },
  { 14, "MPA", 90000, 0 },  { 15, "G728", 8000, 1 },   { 16, "DVI4", 11025, 1 },
  { 17, "DVI4", 22050, 1 }, { 18, "G729", 8000, 1 },   { 25, "CelB", 90000, 0 },
  { 26, "JPEG", 90000, 0 }, { 28, "nv", 90000, 0 },    { 31, "H261", 90000, 0 },
  { 32, "MPV", 90000, 0 },  { 33, "MP2T", 90000, 0 },  { 34, "H263", 90000, 0 },
};

static const char *const direction_names[] = {
  [BELL_SDP_DIRECTION_SENDRECV] = "sendrecv",
  [BELL_SDP_DIRECTION_SENDONLY] = "sendonly",
  [BELL_SDP_DIRECTION_RECVONLY] = "recvonly",
  [BELL_SDP_DIRECTION_INACTIVE] = "inactive",
};

gboolean
bell_sdp_static_payload (guint pt, const char **encoding, guint *clock_rate, guint *channels)
{
  for (guint i = 0; i < G_N_ELEMENTS (static_payloads); i++)
    if (static_payloads[i].pt == pt)
      {
        if (encoding)
          *encoding = static_payloads[i].encoding;
        if (clock_rate)
          *clock_rate = static_payloads[i].clock_rate;
        if (channels)
          *channels = static_payloads[i].channels;
        return TRUE;
      }
  return FALSE;
}

const char *
bell_sdp_direction_to_string (BellSdpDirection dir)
{
  if (dir <= BELL_SDP_DIRECTION_NONE || dir > BELL_SDP_DIRECTION_INACTIVE)
    return NULL;
  return direction_names[dir];
}

BellSdpDirection
bell_sdp_direction_reverse (BellSdpDirection dir)
{
  switch (dir)
    {
    case BELL_SDP_DIRECTION_SENDONLY:
      return BELL_SDP_DIRECTION_RECVONLY;
    case BELL_SDP_DIRECTION_RECVONLY:
      return BELL_SDP_DIRECTION_SENDONLY;
    default:
      return dir;
    }
}

static BellSdpDirection
direction_from_name (const char *name)
{
  for (guint d = BELL_SDP_DIRECTION_SENDRECV; d <= BELL_SDP_DIRECTION_INACTIVE; d++)
    if (g_ascii_strcasecmp (name, direction_names[d]) == 0)
      return (BellSdpDirection) d;
  return BELL_SDP_DIRECTION_NONE;
}

/* ------------------------------------------------------------------------------------------ */
/* Lexical helpers */

/* token-char of RFC 8866 §9: visible ASCII but the separators "(),/:;<=>?@[\]. */
static gboolean
is_token_char (char c)
{
  return c > 0x20 && c < 0x7f && !strchr ("\"(),/:;<=>?@[\\]", c);
}

static gboolean
is_token (BellStr s)
{
  if (s.len == 0)
    return FALSE;
  for (gsize i = 0; i < s.len; i++)
    if (!is_token_char (s.p[i]))
      return FALSE;
  return TRUE;
}

static gboolean
is_digits (BellStr s)
{
  if (s.len == 0)
    return FALSE;
  for (gsize i = 0; i < s.len; i++)
    if (!g_ascii_isdigit (s.p[i]))
      return FALSE;
  return TRUE;
}

static gboolean
is_space (char c)
{
  return c == ' ' || c == '\t';
}

/* Takes the next field of *rest, fields being separated by runs of spaces or tabs (RFC 8866
 * wants exactly one space; senders that pad are common enough to accept). */
static gboolean
next_field (BellStr *rest, BellStr *field)
{
  const char *p = rest->p, *end = rest->p + rest->len, *start;

  while (p < end && is_space (*p))
    p++;
  if (p == end)
    {
      *rest = (BellStr){ end, 0 };
      return FALSE;
    }
  start = p;
  while (p < end && !is_space (*p))
    p++;
  *field = (BellStr){ start, (gsize) (p - start) };
  *rest = (BellStr){ p, (gsize) (end - p) };
  return TRUE;
}

static BellStr
trim_start (BellStr s)
{
  while (s.len > 0 && is_space (s.p[0]))
    s.p++, s.len--;
  return s;
}

static BellStr
trim_end (BellStr s)
{
  while (s.len > 0 && is_space (s.p[s.len - 1]))
    s.len--;
  return s;
}

/* Splits s at the first c: *before and *after (empty when there is no c). */
static gboolean
split_at (BellStr s, char c, BellStr *before, BellStr *after)
{
  const char *at = s.len ? memchr (s.p, c, s.len) : NULL;

  if (at == NULL)
    {
      *before = s;
      *after = (BellStr){ s.p + s.len, 0 };
      return FALSE;
    }
  *before = (BellStr){ s.p, (gsize) (at - s.p) };
  *after = (BellStr){ at + 1, (gsize) (s.p + s.len - at - 1) };
  return TRUE;
}

static gboolean
parse_uint (BellStr s, guint64 max, guint64 *out)
{
  return is_digits (s) && bell_str_to_uint64 (s, max, out);
}

/* A C string from the API: one line of SDP text, no control character. */
static gboolean
is_text (const char *s)
{
  for (; *s; s++)
    if ((guchar) *s < 0x20 ? *s != '\t' : *s == 0x7f)
      return FALSE;
  return TRUE;
}

/* One field of a structured line (o= username): text without blanks. */
static gboolean
is_field (const char *s)
{
  return s != NULL && *s && is_text (s) && !strpbrk (s, " \t");
}

static gboolean
is_token_cstr (const char *s)
{
  return s != NULL && is_token (bell_str (s));
}

/* ------------------------------------------------------------------------------------------ */
/* Addresses */

static gboolean
is_ipv4 (BellStr s)
{
  guint parts = 0, digits = 0, value = 0;

  for (gsize i = 0; i < s.len; i++)
    {
      if (g_ascii_isdigit (s.p[i]))
        {
          value = value * 10 + (guint) (s.p[i] - '0');
          if (++digits > 3 || value > 255)
            return FALSE;
        }
      else if (s.p[i] == '.' && digits > 0 && parts < 3)
        {
          parts++;
          digits = value = 0;
        }
      else
        return FALSE;
    }
  return parts == 3 && digits > 0;
}

/* An FQDN, loosely: letters, digits, '-', '_' and '.', with at least one letter so it cannot be
 * a mistyped IPv4 address. */
static gboolean
is_fqdn (BellStr s)
{
  gboolean letter = FALSE;

  if (s.len == 0 || s.len > 255)
    return FALSE;
  for (gsize i = 0; i < s.len; i++)
    {
      char c = s.p[i];
      if (g_ascii_isalpha (c))
        letter = TRUE;
      else if (!g_ascii_isdigit (c) && c != '-' && c != '.' && c != '_')
        return FALSE;
    }
  return letter;
}

static gboolean
is_ipv6 (BellStr s)
{
  char buf[64];

  /* Longest IPv6 text with an IPv4 tail is 45 characters; a zone may follow. */
  if (s.len == 0 || s.len >= sizeof buf || !memchr (s.p, ':', s.len))
    return FALSE;
  memcpy (buf, s.p, s.len);
  buf[s.len] = '\0';
  return g_hostname_is_ip_address (buf);
}

/* "IN" <addrtype> <address> of c=, o= and a=rtcp. Returns why not, or NULL. An IP literal gets
 * the type of its family whatever the line says: Apple's RAOP writes "IN IP4 fe80::..."
 * (sdp-transform's alac.sdp), and what a consumer needs is the family of the address. */
static const char *
check_address (BellStr nettype, BellStr addrtype, BellStr address, BellSdpAddrType *type)
{
  if (!bell_str_equal_ci_lit (nettype, "in"))
    return "unknown network type (only IN is)";
  if (bell_str_equal_ci_lit (addrtype, "ip4"))
    *type = BELL_SDP_ADDR_IP4;
  else if (bell_str_equal_ci_lit (addrtype, "ip6"))
    *type = BELL_SDP_ADDR_IP6;
  else
    return "bad address type (IP4 or IP6)";
  if (is_ipv4 (address))
    *type = BELL_SDP_ADDR_IP4;
  else if (is_ipv6 (address))
    *type = BELL_SDP_ADDR_IP6;
  else if (!is_fqdn (address))
    return *type == BELL_SDP_ADDR_IP4 ? "bad IPv4 address" : "bad IPv6 address";
  return NULL;
}

static BellSdpAddrType
addrtype_of (const char *address)
{
  return strchr (address, ':') ? BELL_SDP_ADDR_IP6 : BELL_SDP_ADDR_IP4;
}

static gboolean
is_valid_address (const char *address)
{
  BellSdpAddrType type;
  const char *ip = strchr (address, ':') ? "IP6" : "IP4";

  return check_address (BELL_STR_LIT ("IN"), bell_str (ip), bell_str (address), &type) == NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Allocation */

static BellSdpAttr *
attr_new (BellStr name, BellStr value, gboolean has_value)
{
  BellSdpAttr *attr = g_new0 (BellSdpAttr, 1);

  attr->name = bell_str_dup (name);
  attr->value = has_value ? g_strndup (value.p ? value.p : "", value.len) : NULL;
  return attr;
}

static void
attr_free (gpointer data)
{
  BellSdpAttr *attr = data;

  g_free (attr->name);
  bell_secret_free (attr->value);   /* a=crypto values carry SRTP keys */
  g_free (attr);
}

static gpointer
attr_copy (gconstpointer src, gpointer user_data)
{
  const BellSdpAttr *attr = src;
  BellSdpAttr *copy = g_new0 (BellSdpAttr, 1);

  copy->name = g_strdup (attr->name);
  copy->value = g_strdup (attr->value);
  return copy;
}

static void
line_free (gpointer data)
{
  BellSdpLine *line = data;

  g_free (line->value);
  g_free (line);
}

static gpointer
line_copy (gconstpointer src, gpointer user_data)
{
  const BellSdpLine *line = src;
  BellSdpLine *copy = g_new0 (BellSdpLine, 1);

  copy->type = line->type;
  copy->value = g_strdup (line->value);
  return copy;
}

static void
connection_free (BellSdpConnection *conn)
{
  if (conn == NULL)
    return;
  g_free (conn->address);
  g_free (conn);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellSdpConnection, connection_free)

static BellSdpConnection *
connection_copy (const BellSdpConnection *conn)
{
  BellSdpConnection *copy;

  if (conn == NULL)
    return NULL;
  copy = g_memdup2 (conn, sizeof *conn);
  copy->address = g_strdup (conn->address);
  return copy;
}

static BellSdpConnection *
connection_new (const char *address)
{
  BellSdpConnection *conn = g_new0 (BellSdpConnection, 1);

  conn->addrtype = addrtype_of (address);
  conn->address = g_strdup (address);
  return conn;
}

static gpointer
str_copy (gconstpointer src, gpointer user_data)
{
  return g_strdup (src);
}

static void
time_free (gpointer data)
{
  BellSdpTime *t = data;

  g_ptr_array_unref (t->repeats);
  g_free (t);
}

static BellSdpTime *
time_new (guint64 start, guint64 stop)
{
  BellSdpTime *t = g_new0 (BellSdpTime, 1);

  t->start = start;
  t->stop = stop;
  t->repeats = g_ptr_array_new_with_free_func (g_free);
  return t;
}

static gpointer
time_copy (gconstpointer src, gpointer user_data)
{
  const BellSdpTime *t = src;
  BellSdpTime *copy = time_new (t->start, t->stop);

  g_ptr_array_extend (copy->repeats, t->repeats, str_copy, NULL);
  return copy;
}

static void
format_free (gpointer data)
{
  BellSdpFormat *format = data;

  g_free (format->encoding);
  g_free (format->fmtp);
  g_free (format);
}

static void
key_param_free (gpointer data)
{
  BellSdpKeyParam *kp = data;

  g_free (kp->method);
  bell_secret_free (kp->key);
  g_free (kp);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellSdpKeyParam, key_param_free)

static void
crypto_free (gpointer data)
{
  BellSdpCrypto *crypto = data;

  if (crypto == NULL)
    return;
  g_free (crypto->suite);
  g_ptr_array_unref (crypto->key_params);
  g_free (crypto->session_params);
  g_free (crypto);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellSdpCrypto, crypto_free)

static BellSdpMedia *
media_alloc (void)
{
  BellSdpMedia *media = g_new0 (BellSdpMedia, 1);

  media->n_ports = 1;
  media->fmts = g_ptr_array_new_with_free_func (g_free);
  media->bandwidths = g_ptr_array_new_with_free_func (g_free);
  media->attributes = g_ptr_array_new_with_free_func (attr_free);
  media->other_lines = g_ptr_array_new_with_free_func (line_free);
  media->formats = g_ptr_array_new_with_free_func (format_free);
  media->cryptos = g_ptr_array_new_with_free_func (crypto_free);
  return media;
}

void
bell_sdp_media_free (BellSdpMedia *media)
{
  if (media == NULL)
    return;
  g_free (media->media);
  g_free (media->proto);
  g_ptr_array_unref (media->fmts);
  g_free (media->title);
  connection_free (media->connection);
  g_ptr_array_unref (media->bandwidths);
  g_free (media->key);
  g_ptr_array_unref (media->attributes);
  g_ptr_array_unref (media->other_lines);
  g_ptr_array_unref (media->formats);
  g_free (media->rtcp_address);
  g_ptr_array_unref (media->cryptos);
  g_free (media->mid);
  g_free (media->label);
  g_free (media);
}

static void
media_free_cb (gpointer data)
{
  bell_sdp_media_free (data);
}

static BellSdpSession *
session_alloc (void)
{
  BellSdpSession *session = g_new0 (BellSdpSession, 1);

  session->emails = g_ptr_array_new_with_free_func (g_free);
  session->phones = g_ptr_array_new_with_free_func (g_free);
  session->bandwidths = g_ptr_array_new_with_free_func (g_free);
  session->times = g_ptr_array_new_with_free_func (time_free);
  session->attributes = g_ptr_array_new_with_free_func (attr_free);
  session->other_lines = g_ptr_array_new_with_free_func (line_free);
  session->media = g_ptr_array_new_with_free_func (media_free_cb);
  return session;
}

void
bell_sdp_session_free (BellSdpSession *session)
{
  if (session == NULL)
    return;
  g_free (session->origin.username);
  g_free (session->origin.sess_id);
  g_free (session->origin.address);
  g_free (session->name);
  g_free (session->info);
  g_free (session->uri);
  g_ptr_array_unref (session->emails);
  g_ptr_array_unref (session->phones);
  connection_free (session->connection);
  g_ptr_array_unref (session->bandwidths);
  g_ptr_array_unref (session->times);
  g_free (session->zone);
  g_free (session->key);
  g_ptr_array_unref (session->attributes);
  g_ptr_array_unref (session->other_lines);
  g_ptr_array_unref (session->media);
  g_free (session);
}

/* ------------------------------------------------------------------------------------------ */
/* Typed attribute views */

/* A leading payload type "<pt> ..." of rtpmap, fmtp and rtcp-fb; *rest is what follows the
 * spaces after it. */
static gboolean
leading_pt (const char *value, guint *pt, BellStr *rest)
{
  BellStr s = bell_str (value), field;
  guint64 v;

  if (value == NULL || !next_field (&s, &field) || !parse_uint (field, BELL_SDP_MAX_PT, &v))
    return FALSE;
  *pt = (guint) v;
  *rest = trim_start (s);
  return TRUE;
}

/* a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>] */
static gboolean
parse_rtpmap (const char *value, guint *pt, BellStr *encoding, guint *rate, guint *channels)
{
  BellStr rest, name, after, rate_s, channels_s, more;
  guint64 v;

  if (!leading_pt (value, pt, &rest) || !next_field (&rest, &name) || rest.len != 0)
    return FALSE;
  split_at (name, '/', encoding, &after);
  if (!is_token (*encoding))
    return FALSE;
  if (split_at (after, '/', &rate_s, &channels_s))
    {
      if (split_at (channels_s, '/', &channels_s, &more) || !parse_uint (channels_s, 255, &v)
          || v == 0)
        return FALSE;
      *channels = (guint) v;
    }
  else
    *channels = 0;
  if (!parse_uint (rate_s, G_MAXUINT32, &v) || v == 0)
    return FALSE;
  *rate = (guint) v;
  return TRUE;
}

static gboolean
is_base64 (BellStr s)
{
  if (s.len == 0)
    return FALSE;
  for (gsize i = 0; i < s.len; i++)
    if (!g_ascii_isalnum (s.p[i]) && s.p[i] != '+' && s.p[i] != '/' && s.p[i] != '=')
      return FALSE;
  return TRUE;
}

/* key-param = key-method ":" key-info; for inline: key||salt ["|" lifetime] ["|" MKI ":" length]
 * (RFC 4568 §9.2, §6.1). */
static BellSdpKeyParam *
parse_key_param (BellStr s)
{
  g_autoptr(BellSdpKeyParam) kp = NULL;
  BellStr method, info, key, rest, part;
  guint64 v;
  guint extra = 0;

  if (!split_at (s, ':', &method, &info) || !is_token (method) || info.len == 0)
    return NULL;
  kp = g_new0 (BellSdpKeyParam, 1);
  kp->method = bell_str_dup (method);
  if (!bell_str_equal_ci_lit (method, "inline"))
    {
      kp->key = bell_str_dup (info);
      return g_steal_pointer (&kp);
    }
  split_at (info, '|', &key, &rest);
  if (!is_base64 (key))
    return NULL;
  kp->key = bell_str_dup (key);
  for (gboolean more = key.len < info.len; more; extra++)
    {
      BellStr mki, length;

      more = split_at (rest, '|', &part, &rest);
      if (extra >= 2 || kp->mki_length)
        return NULL;  /* nothing after the MKI, at most lifetime and MKI */
      if (split_at (part, ':', &mki, &length))
        {
          if (!parse_uint (mki, G_MAXUINT64, &kp->mki) || !parse_uint (length, 128, &v) || v == 0)
            return NULL;
          kp->mki_length = (guint) v;
        }
      else if (extra == 0 && part.len > 2 && part.p[0] == '2' && part.p[1] == '^')
        {
          if (!parse_uint ((BellStr){ part.p + 2, part.len - 2 }, 63, &v))
            return NULL;
          kp->lifetime = G_GUINT64_CONSTANT (1) << v;
        }
      else if (extra != 0 || !parse_uint (part, G_MAXUINT64, &kp->lifetime) || kp->lifetime == 0)
        return NULL;
    }
  return g_steal_pointer (&kp);
}

/* a=crypto:<tag> <crypto-suite> <key-params> [<session-param>]* (RFC 4568 §9.1) */
static BellSdpCrypto *
parse_crypto (const char *value)
{
  g_autoptr(BellSdpCrypto) crypto = NULL;
  BellStr rest = bell_str (value), tag, suite, params, one;
  guint64 v;

  if (value == NULL || !next_field (&rest, &tag) || tag.len > 9 || !parse_uint (tag, 999999999, &v)
      || !next_field (&rest, &suite) || !is_token (suite) || !next_field (&rest, &params))
    return NULL;
  crypto = g_new0 (BellSdpCrypto, 1);
  crypto->tag = (guint) v;
  crypto->suite = bell_str_dup (suite);
  crypto->key_params = g_ptr_array_new_with_free_func (key_param_free);
  for (gboolean more = TRUE; more;)
    {
      BellSdpKeyParam *kp;

      more = split_at (params, ';', &one, &params);
      if ((kp = parse_key_param (one)) == NULL)
        return NULL;
      g_ptr_array_add (crypto->key_params, kp);
    }
  rest = trim_start (rest);
  if (rest.len)
    crypto->session_params = bell_str_dup (rest);
  return g_steal_pointer (&crypto);
}

/* a=rtcp:<port> [<nettype> <addrtype> <connection-address>] (RFC 3605 §2.1) */
static gboolean
parse_rtcp (const char *value, guint *port, BellSdpAddrType *type, BellStr *address)
{
  BellStr rest = bell_str (value), field, nettype, addrtype;
  guint64 v;

  *address = BELL_STR_NULL;
  if (value == NULL || !next_field (&rest, &field) || !parse_uint (field, 65535, &v) || v == 0)
    return FALSE;
  *port = (guint) v;
  if (!next_field (&rest, &nettype))
    return TRUE;
  return next_field (&rest, &addrtype) && next_field (&rest, address) && rest.len == 0
         && check_address (nettype, addrtype, *address, type) == NULL;
}

/* a=ptime:20 or, from some senders, a=ptime:0.125: milliseconds, the fraction dropped. */
static guint
parse_ms (const char *value)
{
  BellStr whole, fraction;
  guint64 v;

  if (value == NULL)
    return 0;
  if (split_at (bell_str (value), '.', &whole, &fraction) && !is_digits (fraction))
    return 0;
  return parse_uint (whole, G_MAXUINT32, &v) ? (guint) v : 0;
}

static gboolean
attr_is (const BellSdpAttr *attr, const char *name)
{
  return g_ascii_strcasecmp (attr->name, name) == 0;
}

static gboolean
media_fmt_pt (const char *fmt, guint *pt)
{
  guint64 v;

  if (!parse_uint (bell_str (fmt), BELL_SDP_MAX_PT, &v))
    return FALSE;
  *pt = (guint) v;
  return TRUE;
}

/* Rebuilds the typed views of media from its format list and attributes. */
static void
media_derive (BellSdpMedia *media)
{
  BellSdpFormat *by_pt[BELL_SDP_MAX_PT + 1] = { NULL };
  gboolean have_ptime = FALSE, have_maxptime = FALSE;

  g_ptr_array_set_size (media->formats, 0);
  g_ptr_array_set_size (media->cryptos, 0);
  g_clear_pointer (&media->rtcp_address, g_free);
  g_clear_pointer (&media->mid, g_free);
  g_clear_pointer (&media->label, g_free);
  media->direction = BELL_SDP_DIRECTION_NONE;
  media->ptime = media->maxptime = media->rtcp_port = 0;
  media->rtcp_addrtype = BELL_SDP_ADDR_IP4;
  media->rtcp_mux = FALSE;

  if (bell_sdp_media_is_rtp (media))
    for (guint i = 0; i < media->fmts->len; i++)
      {
        BellSdpFormat *format;
        const char *encoding;
        guint pt;

        if (!media_fmt_pt (media->fmts->pdata[i], &pt) || by_pt[pt])
          continue;
        format = g_new0 (BellSdpFormat, 1);
        format->pt = (guint8) pt;
        if (bell_sdp_static_payload (pt, &encoding, &format->clock_rate, &format->channels))
          format->encoding = g_strdup (encoding);
        /* A static type says nothing of channels unless its rtpmap does. */
        format->channels = format->channels > 1 ? format->channels : 0;
        by_pt[pt] = format;
        g_ptr_array_add (media->formats, format);
      }

  for (guint i = 0; i < media->attributes->len; i++)
    {
      const BellSdpAttr *attr = media->attributes->pdata[i];
      BellSdpDirection dir;
      BellStr encoding, rest;
      guint pt, rate, channels;

      if (attr_is (attr, "rtpmap"))
        {
          /* The first rtpmap of a listed type counts; one for a type not listed is ignored. */
          if (parse_rtpmap (attr->value, &pt, &encoding, &rate, &channels) && by_pt[pt]
              && !by_pt[pt]->has_rtpmap)
            {
              g_free (by_pt[pt]->encoding);
              by_pt[pt]->encoding = bell_str_dup (encoding);
              by_pt[pt]->clock_rate = rate;
              by_pt[pt]->channels = channels;
              by_pt[pt]->has_rtpmap = TRUE;
            }
        }
      else if (attr_is (attr, "fmtp"))
        {
          if (leading_pt (attr->value, &pt, &rest) && by_pt[pt] && by_pt[pt]->fmtp == NULL)
            by_pt[pt]->fmtp = bell_str_dup (rest);
        }
      else if (attr_is (attr, "ptime"))
        {
          if (!have_ptime)
            media->ptime = parse_ms (attr->value);
          have_ptime = TRUE;
        }
      else if (attr_is (attr, "maxptime"))
        {
          if (!have_maxptime)
            media->maxptime = parse_ms (attr->value);
          have_maxptime = TRUE;
        }
      else if ((dir = direction_from_name (attr->name)) != BELL_SDP_DIRECTION_NONE)
        {
          /* A flag only: "a=sendonly:x" is another attribute. The first one counts. */
          if (attr->value == NULL && media->direction == BELL_SDP_DIRECTION_NONE)
            media->direction = dir;
        }
      else if (attr_is (attr, "rtcp"))
        {
          BellStr address;
          BellSdpAddrType type;
          guint port;

          /* The first one that parses counts (invalid.sdp has "a=rtcp:1 IN IP7 X"). */
          if (media->rtcp_port == 0 && parse_rtcp (attr->value, &port, &type, &address))
            {
              media->rtcp_port = port;
              media->rtcp_addrtype = type;
              media->rtcp_address = bell_str_dup (address);
            }
        }
      else if (attr_is (attr, "rtcp-mux"))
        media->rtcp_mux = TRUE;
      else if (attr_is (attr, "crypto"))
        {
          BellSdpCrypto *crypto = parse_crypto (attr->value);
          if (crypto)
            g_ptr_array_add (media->cryptos, crypto);
        }
      else if (attr_is (attr, "mid"))
        {
          if (media->mid == NULL && attr->value)
            media->mid = g_strdup (attr->value);
        }
      else if (attr_is (attr, "label"))
        {
          if (media->label == NULL && attr->value)
            media->label = g_strdup (attr->value);
        }
    }
}

static void
session_derive (BellSdpSession *session)
{
  session->direction = BELL_SDP_DIRECTION_NONE;
  for (guint i = 0; i < session->attributes->len; i++)
    {
      const BellSdpAttr *attr = session->attributes->pdata[i];
      BellSdpDirection dir = direction_from_name (attr->name);

      if (dir != BELL_SDP_DIRECTION_NONE && attr->value == NULL)
        {
          session->direction = dir;
          break;
        }
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Parser */

typedef struct
{
  GError   **error;
  guint      line;              /* 1-based number of the line being parsed */
  char       type;              /* its type letter, 0 before one is known */
  gboolean   seen_v, seen_o, seen_s;
  guint      n_attributes;
  BellSdpMedia *media;          /* the media description being parsed; NULL: session part */
  guint      media_line[BELL_SDP_MAX_MEDIA];
} Parser;

/* What of the input an error message quotes: ASCII only, so any log can show it. */
static char *
quote (BellStr s)
{
  gsize n = MIN (s.len, 60);
  char *out = g_malloc (n + 4);

  for (gsize i = 0; i < n; i++)
    out[i] = ((guchar) s.p[i] >= 0x20 && (guchar) s.p[i] < 0x7f) ? s.p[i] : '?';
  strcpy (out + n, s.len > n ? "..." : "");
  return out;
}

static gboolean G_GNUC_PRINTF (2, 3)
fail (Parser *p, const char *fmt, ...)
{
  g_autofree char *why = NULL;
  va_list args;

  va_start (args, fmt);
  why = g_strdup_vprintf (fmt, args);
  va_end (args);
  if (p->type)
    g_set_error (p->error, BELL_SDP_ERROR, BELL_SDP_ERROR_MALFORMED, "SDP line %u (%c=): %s",
                 p->line, p->type, why);
  else
    g_set_error (p->error, BELL_SDP_ERROR, BELL_SDP_ERROR_MALFORMED, "SDP line %u: %s", p->line,
                 why);
  return FALSE;
}

static gboolean
fail_field (Parser *p, const char *why, BellStr field)
{
  g_autofree char *shown = quote (field);

  return fail (p, "%s “%s”", why, shown);
}

/* A number field: not a number and too large are told apart, as a sender will want to know. */
static gboolean
number (Parser *p, BellStr field, guint64 max, const char *what, guint64 *out)
{
  g_autofree char *shown = quote (field);

  if (!is_digits (field))
    return fail (p, "%s “%s” is not a number", what, shown);
  if (!bell_str_to_uint64 (field, max, out))
    return fail (p, "%s “%s” is out of range (at most %" G_GUINT64_FORMAT ")", what, shown, max);
  return TRUE;
}

static gboolean
no_more_fields (Parser *p, BellStr rest)
{
  BellStr extra;

  if (next_field (&rest, &extra))
    return fail_field (p, "unexpected field", extra);
  return TRUE;
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> */
static gboolean
parse_origin (Parser *p, BellSdpSession *session, BellStr value)
{
  BellStr f[6];
  const char *why;

  for (guint i = 0; i < G_N_ELEMENTS (f); i++)
    if (!next_field (&value, &f[i]))
      return fail (p, "%u fields where 6 are needed", i);
  if (!no_more_fields (p, value))
    return FALSE;
  if (!is_digits (f[1]))
    return fail_field (p, "session id is not a number:", f[1]);
  if (!number (p, f[2], G_MAXUINT64, "session version", &session->origin.sess_version))
    return FALSE;
  if ((why = check_address (f[3], f[4], f[5], &session->origin.addrtype)) != NULL)
    {
      g_autofree char *shown = quote ((BellStr){ f[3].p, (gsize) (f[5].p + f[5].len - f[3].p) });
      return fail (p, "%s in “%s”", why, shown);
    }
  session->origin.username = bell_str_dup (f[0]);
  session->origin.sess_id = bell_str_dup (f[1]);
  session->origin.address = bell_str_dup (f[5]);
  return TRUE;
}

/* c=<nettype> <addrtype> <connection-address>, the address with /ttl[/count] for IPv4
 * multicast, /count for IPv6 (RFC 8866 §5.7). */
static gboolean
parse_connection (Parser *p, BellStr value, BellSdpConnection **out)
{
  g_autoptr(BellSdpConnection) conn = g_new0 (BellSdpConnection, 1);
  BellStr nettype, addrtype, field, address, suffix, first, second;
  const char *why;
  guint64 v;

  if (!next_field (&value, &nettype) || !next_field (&value, &addrtype)
      || !next_field (&value, &field))
    return fail (p, "needs <nettype> <addrtype> <address>");
  if (!no_more_fields (p, value))
    return FALSE;
  split_at (field, '/', &address, &suffix);
  if ((why = check_address (nettype, addrtype, address, &conn->addrtype)) != NULL)
    {
      BellStr all = { nettype.p, (gsize) (field.p + field.len - nettype.p) };
      g_autofree char *shown = quote (all);
      return fail (p, "%s in “%s”", why, shown);
    }
  if (address.len < field.len)
    {
      gboolean two = split_at (suffix, '/', &first, &second);
      if (conn->addrtype == BELL_SDP_ADDR_IP6)
        {
          if (two)
            return fail_field (p, "an IPv6 address takes one /<count>:", field);
          if (!number (p, first, 65535, "address count", &v))
            return FALSE;
          conn->n_addresses = (guint) v;
        }
      else
        {
          if (!number (p, first, 255, "TTL", &v))
            return FALSE;
          conn->ttl = (guint) v;
          if (two)
            {
              if (!number (p, second, 65535, "address count", &v))
                return FALSE;
              conn->n_addresses = (guint) v;
            }
        }
      if ((two || conn->addrtype == BELL_SDP_ADDR_IP6) && conn->n_addresses == 0)
        return fail_field (p, "address count 0 in", field);
    }
  conn->address = bell_str_dup (address);
  *out = g_steal_pointer (&conn);
  return TRUE;
}

static gboolean
parse_time (Parser *p, BellSdpSession *session, BellStr value)
{
  BellStr start, stop;
  guint64 a, b;

  if (!next_field (&value, &start) || !next_field (&value, &stop))
    return fail (p, "needs <start-time> <stop-time>");
  if (!no_more_fields (p, value) || !number (p, start, G_MAXUINT64, "start time", &a)
      || !number (p, stop, G_MAXUINT64, "stop time", &b))
    return FALSE;
  g_ptr_array_add (session->times, time_new (a, b));
  return TRUE;
}

static gboolean
is_proto (BellStr s)
{
  BellStr part, rest = s;

  /* proto = token *("/" token) */
  for (gboolean more = TRUE; more;)
    {
      more = split_at (rest, '/', &part, &rest);
      if (!is_token (part))
        return FALSE;
    }
  return TRUE;
}

/* m=<media> <port>[/<number of ports>] <proto> <fmt> ... */
static gboolean
parse_media (Parser *p, BellSdpSession *session, BellStr value)
{
  g_autoptr(BellSdpMedia) media = media_alloc ();
  guint8 seen[BELL_SDP_MAX_PT + 1] = { 0 };
  BellStr name, ports, port, count, proto, fmt;
  gboolean rtp;
  guint64 v;

  if (!p->seen_o)
    return fail (p, "m= before the o= line");
  if (!p->seen_s)
    return fail (p, "m= before the s= line");
  if (session->media->len >= BELL_SDP_MAX_MEDIA)
    return fail (p, "more than %u m= lines", BELL_SDP_MAX_MEDIA);
  if (!next_field (&value, &name) || !next_field (&value, &ports) || !next_field (&value, &proto))
    return fail (p, "needs <media> <port> <proto> <fmt>...");
  if (!is_token (name))
    return fail_field (p, "bad media type", name);
  if (split_at (ports, '/', &port, &count))
    {
      if (!number (p, count, 65535, "number of ports", &v))
        return FALSE;
      if (v == 0)
        return fail_field (p, "bad number of ports in", ports);
      media->n_ports = (guint) v;
    }
  if (!is_digits (port))
    return fail_field (p, "bad port", port);
  if (!number (p, port, 65535, "port", &v))
    return FALSE;
  media->port = (guint) v;
  if (!is_proto (proto))
    return fail_field (p, "bad transport protocol", proto);
  media->media = bell_str_dup (name);
  media->proto = bell_str_dup (proto);
  rtp = bell_sdp_media_is_rtp (media);

  while (next_field (&value, &fmt))
    {
      if (media->fmts->len >= BELL_SDP_MAX_FORMATS)
        return fail (p, "more than %u formats", BELL_SDP_MAX_FORMATS);
      if (rtp)
        {
          g_autofree char *shown = quote (fmt);
          if (!is_digits (fmt))
            return fail (p, "payload type “%s” is not a number", shown);
          if (!bell_str_to_uint64 (fmt, BELL_SDP_MAX_PT, &v))
            return fail (p, "payload type %s is over %u", shown, BELL_SDP_MAX_PT);
          if (seen[v]++)
            return fail (p, "payload type %s is listed twice", shown);
        }
      else if (!is_token (fmt))
        return fail_field (p, "bad format", fmt);
      g_ptr_array_add (media->fmts, bell_str_dup (fmt));
    }
  if (media->fmts->len == 0)
    return fail (p, "m= line without a format");

  p->media_line[session->media->len] = p->line;
  p->media = media;
  g_ptr_array_add (session->media, g_steal_pointer (&media));
  return TRUE;
}

static gboolean
parse_attribute (Parser *p, GPtrArray *attributes, BellStr value)
{
  BellStr name, rest;
  gboolean has_value = split_at (value, ':', &name, &rest);

  if (!is_token (name))
    return fail_field (p, "attribute name is not a token:", name);
  if (++p->n_attributes > BELL_SDP_MAX_ATTRIBUTES)
    return fail (p, "more than %u attributes", BELL_SDP_MAX_ATTRIBUTES);
  g_ptr_array_add (attributes, attr_new (name, rest, has_value));
  return TRUE;
}

/* Sets a field that may appear once per section. */
static gboolean
set_once (Parser *p, char **field, BellStr value)
{
  if (*field != NULL)
    return fail (p, "a second %c= line", p->type);
  *field = bell_str_dup (value);
  return TRUE;
}

static gboolean
parse_line (Parser *p, BellSdpSession *session, BellStr line)
{
  BellSdpMedia *media = p->media;
  BellStr value;

  if (line.len < 2 || line.p[1] != '=' || !g_ascii_islower (line.p[0]))
    return fail_field (p, "not a <type>=<value> line:", line);
  p->type = line.p[0];
  value = (BellStr){ line.p + 2, line.len - 2 };

  if (!p->seen_v && p->type != 'v')
    return fail (p, "the description must start with v=0");
  if (media && strchr ("vosuepzrt", p->type))
    return fail (p, "%c= belongs before the first m= line", p->type);

  switch (p->type)
    {
    case 'v':
      if (p->seen_v)
        return fail (p, "a second v= line");
      if (!bell_str_equal_cstr (value, "0"))
        return fail_field (p, "version is not 0:", value);
      p->seen_v = TRUE;
      return TRUE;

    case 'o':
      if (p->seen_o)
        return fail (p, "a second o= line");
      p->seen_o = TRUE;
      return parse_origin (p, session, value);

    case 's':
      if (p->seen_s)
        return fail (p, "a second s= line");
      p->seen_s = TRUE;
      session->name = bell_str_dup (value);
      return TRUE;

    case 'i':
      return set_once (p, media ? &media->title : &session->info, value);

    case 'u':
      return set_once (p, &session->uri, value);

    case 'e':
      g_ptr_array_add (session->emails, bell_str_dup (value));
      return TRUE;

    case 'p':
      g_ptr_array_add (session->phones, bell_str_dup (value));
      return TRUE;

    case 'c':
      {
        BellSdpConnection **conn = media ? &media->connection : &session->connection;
        if (*conn)
          return fail (p, "a second c= line (layered multicast is not supported)");
        return parse_connection (p, value, conn);
      }

    case 'b':
      g_ptr_array_add (media ? media->bandwidths : session->bandwidths, bell_str_dup (value));
      return TRUE;

    case 't':
      return parse_time (p, session, value);

    case 'r':
      if (session->times->len == 0)
        return fail (p, "r= without a t= line before it");
      g_ptr_array_add (((BellSdpTime *) g_ptr_array_index (session->times,
                                                           session->times->len - 1))->repeats,
                       bell_str_dup (value));
      return TRUE;

    case 'z':
      return set_once (p, &session->zone, value);

    case 'k':
      return set_once (p, media ? &media->key : &session->key, value);

    case 'a':
      return parse_attribute (p, media ? media->attributes : session->attributes, value);

    case 'm':
      return parse_media (p, session, value);

    default:
      {
        /* RFC 8866 §5: a receiver ignores a type it does not know; we keep it for printing. */
        BellSdpLine *kept = g_new0 (BellSdpLine, 1);
        kept->type = p->type;
        kept->value = bell_str_dup (value);
        g_ptr_array_add (media ? media->other_lines : session->other_lines, kept);
        return TRUE;
      }
    }
}

/* NUL, bare CR and other control characters are refused: nothing in SDP needs them, and a
 * NUL would cut the C strings the model hands out. */
static gboolean
check_characters (Parser *p, BellStr line)
{
  for (gsize i = 0; i < line.len; i++)
    {
      guchar c = (guchar) line.p[i];
      if ((c < 0x20 && c != '\t') || c == 0x7f)
        {
          if (c == '\r')
            return fail (p, "carriage return inside the line (column %zu)", i + 1);
          return fail (p, "control character 0x%02x (column %zu)", c, i + 1);
        }
    }
  return TRUE;
}

static gboolean
finish (Parser *p, BellSdpSession *session)
{
  p->type = 0;
  if (!p->seen_v)
    {
      p->line = 1;
      return fail (p, "empty description: the description must start with v=0");
    }
  if (!p->seen_o)
    return fail (p, "no o= line");
  if (!p->seen_s)
    return fail (p, "no s= line");
  /* RFC 8866 §5.9 wants one t=; senders forget it, and "t=0 0" is what they mean. */
  if (session->times->len == 0)
    g_ptr_array_add (session->times, time_new (0, 0));

  for (guint i = 0; i < session->media->len; i++)
    {
      BellSdpMedia *media = session->media->pdata[i];

      /* A media with port 0 carries nothing, so it may lack an address (RFC 3264 §6 answers
       * and RTSP descriptions do). */
      if (media->connection == NULL && session->connection == NULL && media->port != 0)
        {
          p->line = p->media_line[i];
          p->type = 'm';
          return fail (p, "m=%s has no c= line and the session has none", media->media);
        }
      media_derive (media);
    }
  session_derive (session);
  return TRUE;
}

BellSdpSession *
bell_sdp_session_parse (const char *text, gsize len, GError **error)
{
  g_autoptr(BellSdpSession) session = NULL;
  Parser p = { .error = error };
  const char *pos, *end;

  g_return_val_if_fail (text != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (len > BELL_SDP_MAX_SIZE)
    {
      g_set_error (error, BELL_SDP_ERROR, BELL_SDP_ERROR_MALFORMED,
                   "SDP of %zu bytes is over the limit of %u", (size_t) len, BELL_SDP_MAX_SIZE);
      return NULL;
    }
  session = session_alloc ();
  pos = text ? text : "";
  end = pos + len;
  while (pos < end)
    {
      const char *nl = memchr (pos, '\n', (gsize) (end - pos));
      BellStr line = { pos, (gsize) ((nl ? nl : end) - pos) };

      pos = nl ? nl + 1 : end;
      p.line++;
      p.type = 0;
      if (line.len > 0 && line.p[line.len - 1] == '\r')
        line.len--;
      if (!check_characters (&p, line))
        return NULL;
      /* Trailing blanks carry nothing ("s= " is how RFC 8866 writes an empty name). */
      line = trim_end (line);
      if (line.len == 0)
        continue;
      if (!parse_line (&p, session, line))
        return NULL;
    }
  if (!finish (&p, session))
    return NULL;
  return g_steal_pointer (&session);
}

/* ------------------------------------------------------------------------------------------ */
/* Attribute lists, shared by session and media */

static const BellSdpAttr *
attrs_find (GPtrArray *attrs, const char *name, const BellSdpAttr *prev)
{
  guint i = 0;

  if (prev != NULL)
    {
      while (i < attrs->len && attrs->pdata[i] != prev)
        i++;
      i++;
    }
  for (; i < attrs->len; i++)
    if (attr_is (attrs->pdata[i], name))
      return attrs->pdata[i];
  return NULL;
}

static guint
attrs_remove_if (GPtrArray *attrs, gboolean (*match) (const BellSdpAttr *, gconstpointer),
                 gconstpointer data)
{
  guint removed = 0;

  for (guint i = attrs->len; i-- > 0;)
    if (match (attrs->pdata[i], data))
      {
        g_ptr_array_remove_index (attrs, i);
        removed++;
      }
  return removed;
}

static gboolean
match_name (const BellSdpAttr *attr, gconstpointer name)
{
  return attr_is (attr, name);
}

static gboolean
match_direction (const BellSdpAttr *attr, gconstpointer unused)
{
  return attr->value == NULL && direction_from_name (attr->name) != BELL_SDP_DIRECTION_NONE;
}

/* A line as the builder writes it: no trailing blank, which a parse would drop. */
static BellSdpAttr *
attr_new_cstr (const char *name, const char *value)
{
  BellStr v = value ? trim_end (bell_str (value)) : BELL_STR_NULL;

  return attr_new (bell_str (name), v, value != NULL);
}

/* Puts name[:value] in place of the first attribute match() takes, removing the others, or
 * appends it when there is none; with name NULL only removes. */
static void
attrs_replace (GPtrArray *attrs, gboolean (*match) (const BellSdpAttr *, gconstpointer),
               gconstpointer data, const char *name, const char *value)
{
  guint first = attrs->len;

  for (guint i = 0; i < attrs->len; i++)
    if (match (attrs->pdata[i], data))
      {
        first = i;
        break;
      }
  attrs_remove_if (attrs, match, data);
  if (name != NULL)
    g_ptr_array_insert (attrs, (gint) first, attr_new_cstr (name, value));
}

static void
direction_set (GPtrArray *attrs, BellSdpDirection dir)
{
  attrs_replace (attrs, match_direction, NULL, bell_sdp_direction_to_string (dir), NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Building sessions */

BellSdpSession *
bell_sdp_session_new (const char *username, guint64 sess_id, guint64 sess_version,
                      const char *address)
{
  BellSdpSession *session;

  g_return_val_if_fail (username == NULL || is_field (username), NULL);
  g_return_val_if_fail (address != NULL && is_valid_address (address), NULL);

  session = session_alloc ();
  bell_sdp_session_set_origin (session, username, sess_id, sess_version, address);
  session->name = g_strdup ("-");
  session->connection = connection_new (address);
  g_ptr_array_add (session->times, time_new (0, 0));
  return session;
}

void
bell_sdp_session_set_origin (BellSdpSession *session, const char *username, guint64 sess_id,
                             guint64 sess_version, const char *address)
{
  g_return_if_fail (session != NULL);
  g_return_if_fail (username == NULL || is_field (username));
  g_return_if_fail (address != NULL && is_valid_address (address));

  g_free (session->origin.username);
  g_free (session->origin.sess_id);
  g_free (session->origin.address);
  session->origin.username = g_strdup (username ? username : "-");
  session->origin.sess_id = g_strdup_printf ("%" G_GUINT64_FORMAT, sess_id);
  session->origin.sess_version = sess_version;
  session->origin.addrtype = addrtype_of (address);
  session->origin.address = g_strdup (address);
}

void
bell_sdp_session_set_name (BellSdpSession *session, const char *name)
{
  g_return_if_fail (session != NULL);
  g_return_if_fail (name != NULL && is_text (name));

  g_free (session->name);
  session->name = bell_str_dup (trim_end (bell_str (name)));
}

void
bell_sdp_session_set_connection (BellSdpSession *session, const char *address)
{
  g_return_if_fail (session != NULL);
  g_return_if_fail (address == NULL || is_valid_address (address));

  g_clear_pointer (&session->connection, connection_free);
  if (address)
    session->connection = connection_new (address);
}

void
bell_sdp_session_set_direction (BellSdpSession *session, BellSdpDirection dir)
{
  g_return_if_fail (session != NULL);
  g_return_if_fail (dir <= BELL_SDP_DIRECTION_INACTIVE);

  direction_set (session->attributes, dir);
  session_derive (session);
}

void
bell_sdp_session_add_attribute (BellSdpSession *session, const char *name, const char *value)
{
  g_return_if_fail (session != NULL);
  g_return_if_fail (is_token_cstr (name));
  g_return_if_fail (value == NULL || is_text (value));

  g_ptr_array_add (session->attributes, attr_new_cstr (name, value));
  session_derive (session);
}

guint
bell_sdp_session_remove_attributes (BellSdpSession *session, const char *name)
{
  guint removed;

  g_return_val_if_fail (session != NULL && name != NULL, 0);

  removed = attrs_remove_if (session->attributes, match_name, name);
  session_derive (session);
  return removed;
}

const BellSdpAttr *
bell_sdp_session_find_attribute (const BellSdpSession *session, const char *name,
                                 const BellSdpAttr *prev)
{
  g_return_val_if_fail (session != NULL && name != NULL, NULL);

  return attrs_find (session->attributes, name, prev);
}

BellSdpMedia *
bell_sdp_session_add_media (BellSdpSession *session, BellSdpMedia *media)
{
  g_return_val_if_fail (session != NULL, NULL);
  g_return_val_if_fail (media != NULL, NULL);

  if (session->media->len >= BELL_SDP_MAX_MEDIA)
    {
      bell_sdp_media_free (media);
      return NULL;
    }
  g_ptr_array_add (session->media, media);
  return media;
}

/* ------------------------------------------------------------------------------------------ */
/* Building media */

BellSdpMedia *
bell_sdp_media_new (const char *media_type, guint port, const char *proto)
{
  BellSdpMedia *media;

  g_return_val_if_fail (is_token_cstr (media_type), NULL);
  g_return_val_if_fail (port <= 65535, NULL);
  g_return_val_if_fail (proto != NULL && is_proto (bell_str (proto)), NULL);

  media = media_alloc ();
  media->media = g_strdup (media_type);
  media->port = port;
  media->proto = g_strdup (proto);
  return media;
}

gboolean
bell_sdp_media_is_rtp (const BellSdpMedia *media)
{
  BellStr part, rest;

  g_return_val_if_fail (media != NULL, FALSE);

  /* RTP/AVP, RTP/SAVPF, UDP/TLS/RTP/SAVP, TCP/RTP/AVP ...: an "RTP" component. */
  rest = bell_str (media->proto);
  for (gboolean more = TRUE; more;)
    {
      more = split_at (rest, '/', &part, &rest);
      if (bell_str_equal_ci_lit (part, "rtp"))
        return TRUE;
    }
  return FALSE;
}

/* Is attr an rtpmap, fmtp or rtcp-fb for the payload type *data (G_MAXUINT: for any)? */
static gboolean
match_format_attr (const BellSdpAttr *attr, gconstpointer data)
{
  guint wanted = *(const guint *) data, pt;
  BellStr rest;

  if (!attr_is (attr, "rtpmap") && !attr_is (attr, "fmtp") && !attr_is (attr, "rtcp-fb"))
    return FALSE;
  return leading_pt (attr->value, &pt, &rest) && (wanted == G_MAXUINT || pt == wanted);
}

/* Where a new rtpmap/fmtp goes: after the last of them, else first, so they stay together. */
static guint
format_attr_position (const BellSdpMedia *media)
{
  for (guint i = media->attributes->len; i-- > 0;)
    if (attr_is (media->attributes->pdata[i], "rtpmap")
        || attr_is (media->attributes->pdata[i], "fmtp"))
      return i + 1;
  return 0;
}

gboolean
bell_sdp_media_add_format (BellSdpMedia *media, guint pt, const char *encoding,
                           guint clock_rate, guint channels, const char *fmtp)
{
  guint at;

  g_return_val_if_fail (media != NULL, FALSE);
  g_return_val_if_fail (pt <= BELL_SDP_MAX_PT, FALSE);
  g_return_val_if_fail (bell_sdp_media_is_rtp (media), FALSE);
  g_return_val_if_fail (encoding == NULL || (is_token_cstr (encoding) && clock_rate > 0), FALSE);
  g_return_val_if_fail (fmtp == NULL || is_text (fmtp), FALSE);

  if (bell_sdp_media_find_format (media, pt) || media->fmts->len >= BELL_SDP_MAX_FORMATS)
    return FALSE;
  /* Lines for pt while it was not listed were ignored; listed now, they would take over from
   * the ones added here (the first rtpmap counts). */
  attrs_remove_if (media->attributes, match_format_attr, &pt);
  g_ptr_array_add (media->fmts, g_strdup_printf ("%u", pt));
  at = format_attr_position (media);
  if (encoding)
    {
      g_autofree char *value = channels > 1
        ? g_strdup_printf ("%u %s/%u/%u", pt, encoding, clock_rate, channels)
        : g_strdup_printf ("%u %s/%u", pt, encoding, clock_rate);
      g_ptr_array_insert (media->attributes, (gint) at++, attr_new_cstr ("rtpmap", value));
    }
  if (fmtp)
    {
      g_autofree char *value = g_strdup_printf ("%u %s", pt, fmtp);
      g_ptr_array_insert (media->attributes, (gint) at, attr_new_cstr ("fmtp", value));
    }
  media_derive (media);
  return TRUE;
}

gboolean
bell_sdp_media_add_raw_format (BellSdpMedia *media, const char *fmt)
{
  guint pt;

  g_return_val_if_fail (media != NULL, FALSE);
  g_return_val_if_fail (is_token_cstr (fmt), FALSE);

  if (media->fmts->len >= BELL_SDP_MAX_FORMATS)
    return FALSE;
  if (bell_sdp_media_is_rtp (media)
      && (!media_fmt_pt (fmt, &pt) || bell_sdp_media_find_format (media, pt)))
    return FALSE;
  g_ptr_array_add (media->fmts, g_strdup (fmt));
  media_derive (media);
  return TRUE;
}

gboolean
bell_sdp_media_remove_format (BellSdpMedia *media, guint pt)
{
  gboolean found = FALSE;
  guint p;

  g_return_val_if_fail (media != NULL, FALSE);

  for (guint i = media->fmts->len; i-- > 0;)
    if (media_fmt_pt (media->fmts->pdata[i], &p) && p == pt)
      {
        g_ptr_array_remove_index (media->fmts, i);
        found = TRUE;
      }
  if (found)
    {
      attrs_remove_if (media->attributes, match_format_attr, &pt);
      media_derive (media);
    }
  return found;
}

void
bell_sdp_media_clear_formats (BellSdpMedia *media)
{
  guint any = G_MAXUINT;

  g_return_if_fail (media != NULL);

  g_ptr_array_set_size (media->fmts, 0);
  attrs_remove_if (media->attributes, match_format_attr, &any);
  media_derive (media);
}

void
bell_sdp_media_set_direction (BellSdpMedia *media, BellSdpDirection dir)
{
  g_return_if_fail (media != NULL);
  g_return_if_fail (dir <= BELL_SDP_DIRECTION_INACTIVE);

  direction_set (media->attributes, dir);
  media_derive (media);
}

void
bell_sdp_media_set_connection (BellSdpMedia *media, const char *address)
{
  g_return_if_fail (media != NULL);
  g_return_if_fail (address == NULL || is_valid_address (address));

  g_clear_pointer (&media->connection, connection_free);
  if (address)
    media->connection = connection_new (address);
}

static void
media_set_number (BellSdpMedia *media, const char *name, guint value)
{
  g_autofree char *text = value ? g_strdup_printf ("%u", value) : NULL;

  attrs_replace (media->attributes, match_name, name, value ? name : NULL, text);
  media_derive (media);
}

void
bell_sdp_media_set_ptime (BellSdpMedia *media, guint ptime)
{
  g_return_if_fail (media != NULL);
  media_set_number (media, "ptime", ptime);
}

void
bell_sdp_media_set_maxptime (BellSdpMedia *media, guint maxptime)
{
  g_return_if_fail (media != NULL);
  media_set_number (media, "maxptime", maxptime);
}

void
bell_sdp_media_set_rtcp (BellSdpMedia *media, guint port, const char *address)
{
  g_autofree char *value = NULL;

  g_return_if_fail (media != NULL);
  g_return_if_fail (port <= 65535);
  g_return_if_fail (address == NULL || is_valid_address (address));

  if (port && address)
    value = g_strdup_printf ("%u IN %s %s", port,
                             addrtype_of (address) == BELL_SDP_ADDR_IP6 ? "IP6" : "IP4", address);
  else if (port)
    value = g_strdup_printf ("%u", port);
  attrs_replace (media->attributes, match_name, "rtcp", port ? "rtcp" : NULL, value);
  media_derive (media);
}

void
bell_sdp_media_set_rtcp_mux (BellSdpMedia *media, gboolean rtcp_mux)
{
  g_return_if_fail (media != NULL);

  attrs_replace (media->attributes, match_name, "rtcp-mux", rtcp_mux ? "rtcp-mux" : NULL, NULL);
  media_derive (media);
}

void
bell_sdp_media_add_attribute (BellSdpMedia *media, const char *name, const char *value)
{
  g_return_if_fail (media != NULL);
  g_return_if_fail (is_token_cstr (name));
  g_return_if_fail (value == NULL || is_text (value));

  g_ptr_array_add (media->attributes, attr_new_cstr (name, value));
  media_derive (media);
}

guint
bell_sdp_media_remove_attributes (BellSdpMedia *media, const char *name)
{
  guint removed;

  g_return_val_if_fail (media != NULL && name != NULL, 0);

  removed = attrs_remove_if (media->attributes, match_name, name);
  media_derive (media);
  return removed;
}

const BellSdpAttr *
bell_sdp_media_find_attribute (const BellSdpMedia *media, const char *name,
                               const BellSdpAttr *prev)
{
  g_return_val_if_fail (media != NULL && name != NULL, NULL);

  return attrs_find (media->attributes, name, prev);
}

gboolean
bell_sdp_media_add_crypto (BellSdpMedia *media, guint tag, const char *suite,
                           const char *key_params, const char *session_params)
{
  g_autoptr(BellSecret) value = NULL;
  g_autoptr(BellSdpCrypto) check = NULL;
  char tag_text[16];

  g_return_val_if_fail (media != NULL, FALSE);
  g_return_val_if_fail (suite != NULL && key_params != NULL, FALSE);

  if (!is_field (suite) || !is_field (key_params)
      || (session_params && !is_text (session_params)))
    return FALSE;
  /* Joined in one exact allocation (no printf buffer that grows): the key is wiped with it. */
  g_snprintf (tag_text, sizeof tag_text, "%u", tag);
  value = g_strconcat (tag_text, " ", suite, " ", key_params, session_params ? " " : "",
                       session_params, NULL);
  /* What we print must be what the peer (and our own parser) reads back. */
  check = parse_crypto (value);
  if (check == NULL || check->tag != tag || g_strcmp0 (check->suite, suite) != 0)
    return FALSE;
  g_ptr_array_add (media->attributes, attr_new_cstr ("crypto", value));
  media_derive (media);
  return TRUE;
}

void
bell_sdp_media_clear_crypto (BellSdpMedia *media)
{
  g_return_if_fail (media != NULL);

  attrs_remove_if (media->attributes, match_name, "crypto");
  media_derive (media);
}

/* ------------------------------------------------------------------------------------------ */
/* Copies */

BellSdpMedia *
bell_sdp_media_copy (const BellSdpMedia *media)
{
  BellSdpMedia *copy;

  g_return_val_if_fail (media != NULL, NULL);

  copy = media_alloc ();
  copy->media = g_strdup (media->media);
  copy->port = media->port;
  copy->n_ports = media->n_ports;
  copy->proto = g_strdup (media->proto);
  g_ptr_array_extend (copy->fmts, media->fmts, str_copy, NULL);
  copy->title = g_strdup (media->title);
  copy->connection = connection_copy (media->connection);
  g_ptr_array_extend (copy->bandwidths, media->bandwidths, str_copy, NULL);
  copy->key = g_strdup (media->key);
  g_ptr_array_extend (copy->attributes, media->attributes, attr_copy, NULL);
  g_ptr_array_extend (copy->other_lines, media->other_lines, line_copy, NULL);
  media_derive (copy);
  return copy;
}

static gpointer
media_copy_cb (gconstpointer src, gpointer user_data)
{
  return bell_sdp_media_copy (src);
}

BellSdpSession *
bell_sdp_session_copy (const BellSdpSession *session)
{
  BellSdpSession *copy;

  g_return_val_if_fail (session != NULL, NULL);

  copy = session_alloc ();
  copy->origin = session->origin;
  copy->origin.username = g_strdup (session->origin.username);
  copy->origin.sess_id = g_strdup (session->origin.sess_id);
  copy->origin.address = g_strdup (session->origin.address);
  copy->name = g_strdup (session->name);
  copy->info = g_strdup (session->info);
  copy->uri = g_strdup (session->uri);
  g_ptr_array_extend (copy->emails, session->emails, str_copy, NULL);
  g_ptr_array_extend (copy->phones, session->phones, str_copy, NULL);
  copy->connection = connection_copy (session->connection);
  g_ptr_array_extend (copy->bandwidths, session->bandwidths, str_copy, NULL);
  g_ptr_array_extend (copy->times, session->times, time_copy, NULL);
  copy->zone = g_strdup (session->zone);
  copy->key = g_strdup (session->key);
  g_ptr_array_extend (copy->attributes, session->attributes, attr_copy, NULL);
  g_ptr_array_extend (copy->other_lines, session->other_lines, line_copy, NULL);
  g_ptr_array_extend (copy->media, session->media, media_copy_cb, NULL);
  session_derive (copy);
  return copy;
}

/* ------------------------------------------------------------------------------------------ */
/* Equality */

static gboolean
strs_equal (GPtrArray *a, GPtrArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (g_strcmp0 (a->pdata[i], b->pdata[i]) != 0)
      return FALSE;
  return TRUE;
}

static gboolean
attrs_equal (GPtrArray *a, GPtrArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    {
      const BellSdpAttr *x = a->pdata[i], *y = b->pdata[i];
      if (g_strcmp0 (x->name, y->name) != 0 || g_strcmp0 (x->value, y->value) != 0)
        return FALSE;
    }
  return TRUE;
}

static gboolean
lines_equal (GPtrArray *a, GPtrArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    {
      const BellSdpLine *x = a->pdata[i], *y = b->pdata[i];
      if (x->type != y->type || g_strcmp0 (x->value, y->value) != 0)
        return FALSE;
    }
  return TRUE;
}

static gboolean
connection_equal (const BellSdpConnection *a, const BellSdpConnection *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return a->addrtype == b->addrtype && g_strcmp0 (a->address, b->address) == 0
         && a->ttl == b->ttl && a->n_addresses == b->n_addresses;
}

static gboolean
media_equal (const BellSdpMedia *a, const BellSdpMedia *b)
{
  return g_strcmp0 (a->media, b->media) == 0 && a->port == b->port && a->n_ports == b->n_ports
         && g_strcmp0 (a->proto, b->proto) == 0 && strs_equal (a->fmts, b->fmts)
         && g_strcmp0 (a->title, b->title) == 0 && connection_equal (a->connection, b->connection)
         && strs_equal (a->bandwidths, b->bandwidths) && g_strcmp0 (a->key, b->key) == 0
         && attrs_equal (a->attributes, b->attributes)
         && lines_equal (a->other_lines, b->other_lines);
}

gboolean
bell_sdp_session_equal (const BellSdpSession *a, const BellSdpSession *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (g_strcmp0 (a->origin.username, b->origin.username) != 0
      || g_strcmp0 (a->origin.sess_id, b->origin.sess_id) != 0
      || a->origin.sess_version != b->origin.sess_version
      || a->origin.addrtype != b->origin.addrtype
      || g_strcmp0 (a->origin.address, b->origin.address) != 0
      || g_strcmp0 (a->name, b->name) != 0 || g_strcmp0 (a->info, b->info) != 0
      || g_strcmp0 (a->uri, b->uri) != 0 || !strs_equal (a->emails, b->emails)
      || !strs_equal (a->phones, b->phones) || !connection_equal (a->connection, b->connection)
      || !strs_equal (a->bandwidths, b->bandwidths) || g_strcmp0 (a->zone, b->zone) != 0
      || g_strcmp0 (a->key, b->key) != 0 || !attrs_equal (a->attributes, b->attributes)
      || !lines_equal (a->other_lines, b->other_lines) || a->times->len != b->times->len
      || a->media->len != b->media->len)
    return FALSE;
  for (guint i = 0; i < a->times->len; i++)
    {
      const BellSdpTime *x = a->times->pdata[i], *y = b->times->pdata[i];
      if (x->start != y->start || x->stop != y->stop || !strs_equal (x->repeats, y->repeats))
        return FALSE;
    }
  for (guint i = 0; i < a->media->len; i++)
    if (!media_equal (a->media->pdata[i], b->media->pdata[i]))
      return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* Offer/answer helpers */

BellSdpDirection
bell_sdp_media_get_direction (const BellSdpSession *session, const BellSdpMedia *media)
{
  g_return_val_if_fail (media != NULL, BELL_SDP_DIRECTION_SENDRECV);

  if (media->direction != BELL_SDP_DIRECTION_NONE)
    return media->direction;
  if (session && session->direction != BELL_SDP_DIRECTION_NONE)
    return session->direction;
  return BELL_SDP_DIRECTION_SENDRECV;
}

const BellSdpConnection *
bell_sdp_media_get_connection (const BellSdpSession *session, const BellSdpMedia *media)
{
  g_return_val_if_fail (media != NULL, NULL);

  if (media->connection)
    return media->connection;
  return session ? session->connection : NULL;
}

gboolean
bell_sdp_media_is_held (const BellSdpSession *session, const BellSdpMedia *media)
{
  const BellSdpConnection *conn;
  BellSdpDirection dir;

  g_return_val_if_fail (media != NULL, FALSE);

  dir = bell_sdp_media_get_direction (session, media);
  if (dir == BELL_SDP_DIRECTION_SENDONLY || dir == BELL_SDP_DIRECTION_INACTIVE)
    return TRUE;
  /* RFC 3264 §8.4: hold used to be c=0.0.0.0 (RFC 2543); it must still be understood. */
  conn = bell_sdp_media_get_connection (session, media);
  return conn && conn->addrtype == BELL_SDP_ADDR_IP4 && g_str_equal (conn->address, "0.0.0.0");
}

const BellSdpFormat *
bell_sdp_media_find_format (const BellSdpMedia *media, guint pt)
{
  g_return_val_if_fail (media != NULL, NULL);

  for (guint i = 0; i < media->formats->len; i++)
    {
      const BellSdpFormat *format = media->formats->pdata[i];
      if (format->pt == pt)
        return format;
    }
  return NULL;
}

const BellSdpFormat *
bell_sdp_media_find_format_by_name (const BellSdpMedia *media, const char *encoding,
                                    guint clock_rate)
{
  g_return_val_if_fail (media != NULL && encoding != NULL, NULL);

  for (guint i = 0; i < media->formats->len; i++)
    {
      const BellSdpFormat *format = media->formats->pdata[i];
      if (format->encoding && g_ascii_strcasecmp (format->encoding, encoding) == 0
          && (clock_rate == 0 || format->clock_rate == clock_rate))
        return format;
    }
  return NULL;
}
