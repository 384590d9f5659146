/* fuzz-sdp.c: libFuzzer harness for the SDP parser, printer and builders.
 *
 * For every input:
 *   - parse; a failure must come with a BELL_SDP_ERROR_MALFORMED GError whose message names
 *     the line ("SDP line N");
 *   - read every field and typed view, and ask every helper, so ASan sees each string and
 *     the views agree with the lines they come from;
 *   - print, re-parse the printout: it must parse, to an equal session, and print to the same
 *     bytes; the printout with bare LF line ends must parse to the same session too;
 *   - copy, check the copy is equal, then turn the copy into an answer the way offer/answer
 *     does (new origin and address, formats removed and added, direction reversed, crypto
 *     replaced) and require the same print/parse round trip of the result.
 *
 * Any broken invariant calls abort() after printing what differs, so libFuzzer keeps the input.
 * Built twice: as a real libFuzzer target (-Dfuzz=true, clang) and, with BELL_FUZZ_ENTRY
 * renamed, into the fuzz-replay unit test that runs the seed corpus with any compiler.
 */
#define G_LOG_DOMAIN "fuzz-sdp"

#include "fuzz-common.h"
#include "bell-sdp.h"

static void
touch_cstr (const char *s)
{
  if (s != NULL)
    touch (bell_str (s));
}

static void
touch_strs (GPtrArray *strs)
{
  for (guint i = 0; i < strs->len; i++)
    {
      if (strs->pdata[i] == NULL)
        fail ("NULL string in a list");
      touch_cstr (strs->pdata[i]);
    }
}

static void
touch_attributes (GPtrArray *attrs, GPtrArray *lines)
{
  for (guint i = 0; i < attrs->len; i++)
    {
      const BellSdpAttr *attr = attrs->pdata[i];
      if (attr->name == NULL || attr->name[0] == '\0')
        fail ("attribute %u has no name", i);
      touch_cstr (attr->name);
      touch_cstr (attr->value);
    }
  for (guint i = 0; i < lines->len; i++)
    {
      const BellSdpLine *line = lines->pdata[i];
      if (line->type < 'a' || line->type > 'z' || line->value == NULL)
        fail ("kept line %u of type 0x%02x", i, (guchar) line->type);
      touch_cstr (line->value);
    }
}

static void
touch_connection (const BellSdpConnection *conn)
{
  if (conn == NULL)
    return;
  if (conn->address == NULL || conn->address[0] == '\0')
    fail ("connection without an address");
  if (conn->addrtype != BELL_SDP_ADDR_IP4 && conn->addrtype != BELL_SDP_ADDR_IP6)
    fail ("connection of address type %d", conn->addrtype);
  touch_cstr (conn->address);
  sink ^= (guint8) conn->ttl ^ (guint8) conn->n_addresses;
}

static void
check_direction (BellSdpDirection dir, gboolean none_allowed)
{
  if (dir > BELL_SDP_DIRECTION_INACTIVE || (!none_allowed && dir == BELL_SDP_DIRECTION_NONE))
    fail ("direction %d", dir);
}

static void
exercise_media (const BellSdpSession *session, const BellSdpMedia *m)
{
  const BellSdpConnection *conn;

  touch_cstr (m->media);
  touch_cstr (m->proto);
  touch_strs (m->fmts);
  touch_cstr (m->title);
  touch_connection (m->connection);
  touch_strs (m->bandwidths);
  touch_cstr (m->key);
  touch_attributes (m->attributes, m->other_lines);
  if (m->port > 65535 || m->n_ports == 0 || m->n_ports > 65535)
    fail ("m= port %u/%u", m->port, m->n_ports);

  if (bell_sdp_media_is_rtp (m) ? m->formats->len != m->fmts->len : m->formats->len != 0)
    fail ("%u typed formats for %u formats of %s", m->formats->len, m->fmts->len, m->proto);
  for (guint i = 0; i < m->formats->len; i++)
    {
      const BellSdpFormat *f = m->formats->pdata[i];
      const BellSdpFormat *by_name;

      if (f->pt > BELL_SDP_MAX_PT)
        fail ("payload type %u", f->pt);
      if (bell_sdp_media_find_format (m, f->pt) != f)
        fail ("find_format (%u) does not find it", f->pt);
      touch_cstr (f->encoding);
      touch_cstr (f->fmtp);
      if (f->has_rtpmap && (f->encoding == NULL || f->clock_rate == 0))
        fail ("rtpmap of %u without encoding or rate", f->pt);
      if (f->encoding)
        {
          by_name = bell_sdp_media_find_format_by_name (m, f->encoding, f->clock_rate);
          if (by_name == NULL || g_ascii_strcasecmp (by_name->encoding, f->encoding) != 0
              || by_name->clock_rate != f->clock_rate)
            fail ("find_format_by_name (%s/%u) misses", f->encoding, f->clock_rate);
        }
    }
  for (guint i = 0; i < m->cryptos->len; i++)
    {
      const BellSdpCrypto *c = m->cryptos->pdata[i];

      if (c->suite == NULL || c->key_params->len == 0 || c->tag > 999999999)
        fail ("crypto %u without suite or key", i);
      touch_cstr (c->suite);
      touch_cstr (c->session_params);
      for (guint k = 0; k < c->key_params->len; k++)
        {
          const BellSdpKeyParam *kp = c->key_params->pdata[k];
          if (kp->method == NULL || kp->key == NULL || kp->key[0] == '\0' || kp->mki_length > 128)
            fail ("crypto %u key %u incomplete", i, k);
          touch_cstr (kp->method);
          touch_cstr (kp->key);
          sink ^= (guint8) kp->lifetime ^ (guint8) kp->mki;
        }
    }
  touch_cstr (m->rtcp_address);
  touch_cstr (m->mid);
  touch_cstr (m->label);
  if (m->rtcp_address && m->rtcp_port == 0)
    fail ("rtcp address without a port");
  sink ^= (guint8) m->ptime ^ (guint8) m->maxptime ^ (guint8) m->rtcp_mux;

  check_direction (m->direction, TRUE);
  check_direction (bell_sdp_media_get_direction (session, m), FALSE);
  conn = bell_sdp_media_get_connection (session, m);
  if (conn == NULL && m->port != 0)
    fail ("m=%s with port %u has no connection", m->media, m->port);
  touch_connection (conn);
  sink ^= (guint8) bell_sdp_media_is_held (session, m);
}

static void
exercise (const BellSdpSession *s)
{
  touch_cstr (s->origin.username);
  touch_cstr (s->origin.sess_id);
  touch_cstr (s->origin.address);
  if (s->origin.username == NULL || s->origin.sess_id == NULL || s->origin.address == NULL)
    fail ("incomplete origin");
  touch_cstr (s->name);
  touch_cstr (s->info);
  touch_cstr (s->uri);
  touch_strs (s->emails);
  touch_strs (s->phones);
  touch_connection (s->connection);
  touch_strs (s->bandwidths);
  if (s->times->len == 0)
    fail ("no t=");
  for (guint i = 0; i < s->times->len; i++)
    touch_strs (((BellSdpTime *) s->times->pdata[i])->repeats);
  touch_cstr (s->zone);
  touch_cstr (s->key);
  touch_attributes (s->attributes, s->other_lines);
  check_direction (s->direction, TRUE);
  if (s->media->len > BELL_SDP_MAX_MEDIA)
    fail ("%u media", s->media->len);
  for (guint i = 0; i < s->media->len; i++)
    exercise_media (s, s->media->pdata[i]);
}

static void
dump (const char *label, const char *text, gsize len)
{
  fprintf (stderr, "---- %s (%zu bytes) ----\n", label, (size_t) len);
  fwrite (text, 1, len, stderr);
  fprintf (stderr, "\n---- end of %s ----\n", label);
}

static void
check_round_trip (const BellSdpSession *session, const char *what)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSdpSession) again = NULL, lf = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *printed2 = NULL, *bare = NULL;
  gsize len = 0, len2 = 0;
  g_autofree char *printed = bell_sdp_session_to_string (session, &len);

  if (printed == NULL || len != strlen (printed))
    fail ("%s: to_string gave no text or an embedded NUL", what);
  bytes = bell_sdp_session_to_bytes (session);
  if (g_bytes_get_size (bytes) != len || memcmp (g_bytes_get_data (bytes, NULL), printed, len))
    fail ("%s: to_bytes and to_string differ", what);

  again = bell_sdp_session_parse (printed, len, &error);
  if (again == NULL)
    {
      dump ("printed", printed, len);
      fail ("%s: the printout does not parse: %s", what, error->message);
    }
  if (!bell_sdp_session_equal (session, again))
    {
      dump ("printed", printed, len);
      fail ("%s: the printout parses to another session", what);
    }
  printed2 = bell_sdp_session_to_string (again, &len2);
  if (len != len2 || memcmp (printed, printed2, len) != 0)
    {
      dump ("first print", printed, len);
      dump ("second print", printed2, len2);
      fail ("%s: printing the re-parsed session gives other bytes", what);
    }
  exercise (again);

  /* RFC 8866 §5: a bare LF ends a line as well as CRLF does. */
  {
    g_auto(GStrv) lines = g_strsplit (printed, "\r\n", -1);
    bare = g_strjoinv ("\n", lines);
  }
  lf = bell_sdp_session_parse (bare, strlen (bare), &error);
  if (lf == NULL || !bell_sdp_session_equal (session, lf))
    {
      dump ("with LF", bare, strlen (bare));
      fail ("%s: the printout with bare LF does not parse to the same session", what);
    }
}

static guint
count_attributes (const BellSdpSession *s)
{
  guint n = s->attributes->len;

  for (guint i = 0; i < s->media->len; i++)
    n += ((BellSdpMedia *) s->media->pdata[i])->attributes->len;
  return n;
}

/* What an answerer does to a copy of an offer (RFC 3264 §6). */
static void
check_builders (const BellSdpSession *session)
{
  g_autoptr(BellSdpSession) answer = bell_sdp_session_copy (session);
  g_autofree char *printed = NULL;
  gsize len = 0;

  if (!bell_sdp_session_equal (session, answer))
    fail ("a copy is not equal to its original");
  exercise (answer);

  bell_sdp_session_set_origin (answer, "bellbird", 1, session->origin.sess_version + 1,
                               "192.0.2.1");
  bell_sdp_session_set_connection (answer, "2001:db8::1");
  bell_sdp_session_set_direction (answer, BELL_SDP_DIRECTION_NONE);
  if (session->direction != BELL_SDP_DIRECTION_NONE && answer->direction != BELL_SDP_DIRECTION_NONE)
    fail ("set_direction (NONE) left a session direction");
  for (guint i = 0; i < answer->media->len; i++)
    {
      BellSdpMedia *m = answer->media->pdata[i];
      BellSdpDirection dir = bell_sdp_media_get_direction (session, session->media->pdata[i]);

      if (bell_sdp_media_is_rtp (m))
        {
          guint free_pt = BELL_SDP_MAX_PT + 1;

          /* Keep the first format only, then add telephone-event on a free type. */
          while (m->formats->len > 1)
            {
              guint pt = ((BellSdpFormat *) m->formats->pdata[1])->pt;
              if (!bell_sdp_media_remove_format (m, pt))
                fail ("remove_format (%u) did not find a listed type", pt);
              if (bell_sdp_media_find_format (m, pt))
                fail ("remove_format (%u) left it", pt);
            }
          for (guint pt = 96; pt <= BELL_SDP_MAX_PT && free_pt > BELL_SDP_MAX_PT; pt++)
            if (!bell_sdp_media_find_format (m, pt))
              free_pt = pt;
          if (free_pt <= BELL_SDP_MAX_PT)
            {
              const BellSdpFormat *f;
              if (!bell_sdp_media_add_format (m, free_pt, "telephone-event", 8000, 0, "0-16"))
                fail ("add_format (%u) refused", free_pt);
              f = bell_sdp_media_find_format (m, free_pt);
              if (f == NULL || g_strcmp0 (f->encoding, "telephone-event") != 0
                  || g_strcmp0 (f->fmtp, "0-16") != 0)
                fail ("add_format (%u) gives no such typed format", free_pt);
            }
          bell_sdp_media_clear_crypto (m);
          if (!bell_sdp_media_add_crypto (m, 1, "AES_CM_128_HMAC_SHA1_80",
                                          "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31",
                                          NULL)
              || m->cryptos->len != 1)
            fail ("add_crypto after clear_crypto does not give one crypto");
          bell_sdp_media_set_ptime (m, 20);
          bell_sdp_media_set_rtcp_mux (m, TRUE);
          if (m->ptime != 20 || !m->rtcp_mux)
            fail ("set_ptime/set_rtcp_mux not seen in the typed view");
        }
      bell_sdp_media_set_direction (m, bell_sdp_direction_reverse (dir));
      if (m->direction != bell_sdp_direction_reverse (dir))
        fail ("set_direction not seen in the typed view");
      bell_sdp_media_set_connection (m, NULL);
      bell_sdp_media_add_attribute (m, "x-fuzz", NULL);
      exercise_media (answer, m);
    }

  /* The builder does not enforce the parser's limits: only check what the parser takes. */
  printed = bell_sdp_session_to_string (answer, &len);
  if (len <= BELL_SDP_MAX_SIZE && count_attributes (answer) <= BELL_SDP_MAX_ATTRIBUTES)
    check_round_trip (answer, "answer built from a copy");
}

int
BELL_FUZZ_INIT (int *argc, char ***argv)
{
  /* A g_return_if_fail or g_warning reached from input is a bug to keep. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

int
BELL_FUZZ_ENTRY (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSdpSession) session = NULL;

  session = bell_sdp_session_parse ((const char *) data, size, &error);
  if (session == NULL)
    {
      if (error == NULL || error->domain != BELL_SDP_ERROR
          || error->code != BELL_SDP_ERROR_MALFORMED)
        fail ("parse failed without a BELL_SDP_ERROR_MALFORMED");
      if (!g_str_has_prefix (error->message, "SDP "))
        fail ("error message does not name the line: %s", error->message);
      return 0;
    }
  if (error != NULL)
    fail ("parse succeeded but set an error: %s", error->message);

  exercise (session);
  check_round_trip (session, "parsed session");
  check_builders (session);
  return 0;
}
