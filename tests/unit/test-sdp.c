/* test-sdp.c: SDP model, parser, printer and builders (RFC 8866, RFC 3264, RFC 4568).
 *
 * Examples written here, RFC 3264 §10 / RFC 4317-style exchanges, every malformed case the
 * parser must refuse, and the corpus SDPs of BELL_CORPUS_DIR (sdp/sdp-transform and
 * sdp-offer-answer/pjmedia-sdp_neg_test), read from there, each parsed and round-tripped.
 */
#include <string.h>

#include <glib.h>

#include "bell-sdp.h"

/* ------------------------------------------------------------------------------------------ */
/* Helpers */

static BellSdpSession *
parse_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  BellSdpSession *session = bell_sdp_session_parse (text, strlen (text), &error);

  if (session == NULL)
    g_error ("did not parse: %s\n%s", error ? error->message : "(no GError)", text);
  g_assert_no_error (error);
  return session;
}

/* Printing, parsing the print and printing again: the same session, then the same bytes. */
static char *
assert_round_trip (const BellSdpSession *session)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSdpSession) again = NULL;
  g_autofree char *printed2 = NULL;
  gsize len = 0, len2 = 0;
  char *printed = bell_sdp_session_to_string (session, &len);

  g_assert_nonnull (printed);
  g_assert_cmpuint (len, ==, strlen (printed));
  again = bell_sdp_session_parse (printed, len, &error);
  if (again == NULL)
    g_error ("printed SDP does not parse: %s\n%s", error->message, printed);
  if (!bell_sdp_session_equal (session, again))
    g_error ("printed SDP parses to another session:\n%s", printed);
  printed2 = bell_sdp_session_to_string (again, &len2);
  g_assert_cmpstr (printed, ==, printed2);
  return printed;
}

static void
assert_malformed_len (const char *text, gsize len, const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSdpSession) session = bell_sdp_session_parse (text, len, &error);

  if (session != NULL)
    g_error ("parsed, but should not have:\n%.*s", (int) MIN (len, 2000), text);
  g_assert_error (error, BELL_SDP_ERROR, BELL_SDP_ERROR_MALFORMED);
  if (strstr (error->message, expected) == NULL)
    g_error ("error “%s” does not say “%s”", error->message, expected);
  g_test_message ("%s", error->message);
}

static void
assert_malformed (const char *text, const char *expected)
{
  assert_malformed_len (text, strlen (text), expected);
}

static const BellSdpMedia *
media_at (const BellSdpSession *session, guint i)
{
  g_assert_cmpuint (i, <, session->media->len);
  return session->media->pdata[i];
}

static const BellSdpFormat *
format_at (const BellSdpMedia *media, guint i)
{
  g_assert_cmpuint (i, <, media->formats->len);
  return media->formats->pdata[i];
}

static void
assert_format (const BellSdpFormat *format, guint pt, const char *encoding, guint rate,
               guint channels, const char *fmtp)
{
  g_assert_nonnull (format);
  g_assert_cmpuint (format->pt, ==, pt);
  g_assert_cmpstr (format->encoding, ==, encoding);
  g_assert_cmpuint (format->clock_rate, ==, rate);
  g_assert_cmpuint (format->channels, ==, channels);
  g_assert_cmpstr (format->fmtp, ==, fmtp);
}

#define HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"

/* ------------------------------------------------------------------------------------------ */
/* Parsing */

/* RFC 3264 §10.1: Alice offers audio and video. */
static const char rfc3264_offer[] =
  "v=0\r\n"
  "o=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com\r\n"
  "s=\r\n"
  "c=IN IP4 host.atlanta.example.com\r\n"
  "t=0 0\r\n"
  "m=audio 49170 RTP/AVP 0 8 97\r\n"
  "a=rtpmap:0 PCMU/8000\r\n"
  "a=rtpmap:8 PCMA/8000\r\n"
  "a=rtpmap:97 iLBC/8000\r\n"
  "m=video 51372 RTP/AVP 31 32\r\n"
  "a=rtpmap:31 H261/90000\r\n"
  "a=rtpmap:32 MPV/90000\r\n";

static void
test_parse_rfc3264_offer (void)
{
  g_autoptr(BellSdpSession) s = parse_ok (rfc3264_offer);
  g_autofree char *printed = NULL;
  const BellSdpMedia *audio, *video;
  const BellSdpTime *t;

  g_assert_cmpstr (s->origin.username, ==, "alice");
  g_assert_cmpstr (s->origin.sess_id, ==, "2890844526");
  g_assert_cmpuint (s->origin.sess_version, ==, 2890844526u);
  g_assert_cmpint (s->origin.addrtype, ==, BELL_SDP_ADDR_IP4);
  g_assert_cmpstr (s->origin.address, ==, "host.atlanta.example.com");
  g_assert_cmpstr (s->name, ==, "");
  g_assert_nonnull (s->connection);
  g_assert_cmpstr (s->connection->address, ==, "host.atlanta.example.com");
  g_assert_cmpuint (s->times->len, ==, 1);
  t = s->times->pdata[0];
  g_assert_cmpuint (t->start, ==, 0);
  g_assert_cmpuint (t->stop, ==, 0);
  g_assert_cmpuint (s->media->len, ==, 2);

  audio = media_at (s, 0);
  g_assert_cmpstr (audio->media, ==, "audio");
  g_assert_cmpuint (audio->port, ==, 49170);
  g_assert_cmpuint (audio->n_ports, ==, 1);
  g_assert_cmpstr (audio->proto, ==, "RTP/AVP");
  g_assert_true (bell_sdp_media_is_rtp (audio));
  g_assert_null (audio->connection);
  g_assert_cmpuint (audio->formats->len, ==, 3);
  assert_format (format_at (audio, 0), 0, "PCMU", 8000, 0, NULL);
  assert_format (format_at (audio, 1), 8, "PCMA", 8000, 0, NULL);
  assert_format (format_at (audio, 2), 97, "iLBC", 8000, 0, NULL);
  g_assert_true (format_at (audio, 2)->has_rtpmap);
  g_assert_cmpint (bell_sdp_media_get_direction (s, audio), ==, BELL_SDP_DIRECTION_SENDRECV);
  g_assert_false (bell_sdp_media_is_held (s, audio));
  g_assert_true (bell_sdp_media_get_connection (s, audio) == s->connection);

  video = media_at (s, 1);
  g_assert_cmpstr (video->media, ==, "video");
  assert_format (format_at (video, 0), 31, "H261", 90000, 0, NULL);
  assert_format (format_at (video, 1), 32, "MPV", 90000, 0, NULL);

  /* The canonical print of a canonical text is that text ("s=" becomes "s= "). */
  printed = assert_round_trip (s);
  g_assert_nonnull (strstr (printed, "\r\ns= \r\nc=IN IP4 host.atlanta.example.com\r\n"));
  g_assert_true (g_str_has_suffix (printed, "a=rtpmap:31 H261/90000\r\na=rtpmap:32 MPV/90000\r\n"));
}

/* RFC 3264 §10.1 Bob's answer and §10.2's later exchange: a stream refused with port 0, a
 * second audio stream, a change of direction. */
static void
test_parse_rfc3264_answers (void)
{
  g_autoptr(BellSdpSession) answer = parse_ok (
    "v=0\r\n"
    "o=bob 2808844564 2808844564 IN IP4 host.biloxi.example.com\r\n"
    "s=\r\n"
    "c=IN IP4 host.biloxi.example.com\r\n"
    "t=0 0\r\n"
    "m=audio 49174 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "m=video 0 RTP/AVP 32\r\n"
    "a=rtpmap:32 MPV/90000\r\n");
  g_autoptr(BellSdpSession) later = parse_ok (
    "v=0\r\n"
    "o=bob 2808844564 2808844565 IN IP4 host.biloxi.example.com\r\n"
    "s=\r\n"
    "c=IN IP4 host.biloxi.example.com\r\n"
    "t=0 0\r\n"
    "m=audio 49172 RTP/AVP 99\r\n"
    "a=rtpmap:99 iLBC/8000\r\n"
    "m=audio 48282 RTP/AVP 98\r\n"
    "c=IN IP4 host.biloxi.example.com\r\n"
    "a=rtpmap:98 telephone-event/8000\r\n"
    "a=sendonly\r\n"
    "m=video 0 RTP/AVP 31\r\n");
  g_autofree char *p1 = NULL, *p2 = NULL;

  g_assert_cmpuint (media_at (answer, 1)->port, ==, 0);
  g_assert_cmpuint (later->origin.sess_version, ==, 2808844565u);
  g_assert_cmpuint (later->media->len, ==, 3);
  assert_format (format_at (media_at (later, 0), 0), 99, "iLBC", 8000, 0, NULL);
  assert_format (format_at (media_at (later, 1), 0), 98, "telephone-event", 8000, 0, NULL);
  g_assert_cmpint (bell_sdp_media_get_direction (later, media_at (later, 1)), ==,
                   BELL_SDP_DIRECTION_SENDONLY);
  g_assert_true (bell_sdp_media_is_held (later, media_at (later, 1)));
  g_assert_false (bell_sdp_media_is_held (later, media_at (later, 0)));
  /* A rejected stream needs no rtpmap: 31 is static. */
  assert_format (format_at (media_at (later, 2), 0), 31, "H261", 90000, 0, NULL);
  p1 = assert_round_trip (answer);
  p2 = assert_round_trip (later);
}

/* RFC 4317 §2.4/§2.6 style: telephone-event with fmtp, a ptime, and hold both ways. */
static void
test_parse_rfc4317_dtmf_and_hold (void)
{
  g_autoptr(BellSdpSession) offer = parse_ok (
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com\r\n"
    "s=\r\n"
    "c=IN IP4 host.atlanta.example.com\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0 97 98\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:97 iLBC/8000\r\n"
    "a=rtpmap:98 telephone-event/8000\r\n"
    "a=fmtp:98 0-15\r\n"
    "a=ptime:20\r\n"
    "a=maxptime:40\r\n");
  g_autoptr(BellSdpSession) hold = parse_ok (
    "v=0\r\n"
    "o=alice 2890844526 2890844527 IN IP4 host.atlanta.example.com\r\n"
    "s=\r\n"
    "c=IN IP4 host.atlanta.example.com\r\n"
    "t=0 0\r\n"
    "a=sendonly\r\n"
    "m=audio 49170 RTP/AVP 0 97\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:97 iLBC/8000\r\n");
  /* RFC 2543 hold, still understood (RFC 3264 §8.4). */
  g_autoptr(BellSdpSession) old_hold = parse_ok (
    "v=0\r\n"
    "o=alice 2890844526 2890844528 IN IP4 host.atlanta.example.com\r\n"
    "s=\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0\r\n");
  const BellSdpMedia *m = media_at (offer, 0);
  g_autofree char *p1 = NULL, *p2 = NULL, *p3 = NULL;

  assert_format (bell_sdp_media_find_format (m, 98), 98, "telephone-event", 8000, 0, "0-15");
  g_assert_true (bell_sdp_media_find_format_by_name (m, "TELEPHONE-EVENT", 8000)
                 == bell_sdp_media_find_format (m, 98));
  g_assert_null (bell_sdp_media_find_format_by_name (m, "telephone-event", 16000));
  g_assert_true (bell_sdp_media_find_format_by_name (m, "pcmu", 0) == format_at (m, 0));
  g_assert_null (bell_sdp_media_find_format (m, 8));
  g_assert_cmpuint (m->ptime, ==, 20);
  g_assert_cmpuint (m->maxptime, ==, 40);

  /* Session-level direction is the default of every media. */
  g_assert_cmpint (hold->direction, ==, BELL_SDP_DIRECTION_SENDONLY);
  g_assert_cmpint (media_at (hold, 0)->direction, ==, BELL_SDP_DIRECTION_NONE);
  g_assert_cmpint (bell_sdp_media_get_direction (hold, media_at (hold, 0)), ==,
                   BELL_SDP_DIRECTION_SENDONLY);
  g_assert_true (bell_sdp_media_is_held (hold, media_at (hold, 0)));

  g_assert_cmpint (bell_sdp_media_get_direction (old_hold, media_at (old_hold, 0)), ==,
                   BELL_SDP_DIRECTION_SENDRECV);
  g_assert_true (bell_sdp_media_is_held (old_hold, media_at (old_hold, 0)));

  p1 = assert_round_trip (offer);
  p2 = assert_round_trip (hold);
  p3 = assert_round_trip (old_hold);
}

static void
test_parse_direction_override (void)
{
  g_autoptr(BellSdpSession) s = parse_ok (
    HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\na=inactive\r\n"
    "m=audio 1000 RTP/AVP 0\r\na=sendrecv\r\n"
    "m=audio 1002 RTP/AVP 0\r\na=recvonly\r\n"
    "m=audio 1004 RTP/AVP 0\r\n"
    "m=audio 1006 RTP/AVP 0\r\na=sendonly:junk\r\n");

  g_assert_cmpint (bell_sdp_media_get_direction (s, media_at (s, 0)), ==,
                   BELL_SDP_DIRECTION_SENDRECV);
  g_assert_false (bell_sdp_media_is_held (s, media_at (s, 0)));
  g_assert_cmpint (bell_sdp_media_get_direction (s, media_at (s, 1)), ==,
                   BELL_SDP_DIRECTION_RECVONLY);
  g_assert_false (bell_sdp_media_is_held (s, media_at (s, 1)));
  g_assert_cmpint (bell_sdp_media_get_direction (s, media_at (s, 2)), ==,
                   BELL_SDP_DIRECTION_INACTIVE);
  g_assert_true (bell_sdp_media_is_held (s, media_at (s, 2)));
  /* "sendonly" with a value is some other attribute, not a direction. */
  g_assert_cmpint (media_at (s, 3)->direction, ==, BELL_SDP_DIRECTION_NONE);
  g_assert_cmpint (bell_sdp_direction_reverse (BELL_SDP_DIRECTION_SENDONLY), ==,
                   BELL_SDP_DIRECTION_RECVONLY);
  g_assert_cmpint (bell_sdp_direction_reverse (BELL_SDP_DIRECTION_INACTIVE), ==,
                   BELL_SDP_DIRECTION_INACTIVE);
  g_assert_cmpstr (bell_sdp_direction_to_string (BELL_SDP_DIRECTION_RECVONLY), ==, "recvonly");
  g_assert_null (bell_sdp_direction_to_string (BELL_SDP_DIRECTION_NONE));
}

static void
test_parse_static_payloads (void)
{
  g_autoptr(BellSdpSession) s = NULL;
  const BellSdpMedia *m;
  const char *encoding = NULL;
  guint rate = 0, channels = 0;

  s = parse_ok (HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 1000 RTP/AVP 0 8 9 18 3 4 13 10 96\r\n"
                "a=rtpmap:9 G722/8000\r\n");
  m = media_at (s, 0);
  assert_format (format_at (m, 0), 0, "PCMU", 8000, 0, NULL);
  assert_format (format_at (m, 1), 8, "PCMA", 8000, 0, NULL);
  /* G.722's RTP clock is 8000 although it samples at 16 kHz (RFC 3551 §4.5.2). */
  assert_format (format_at (m, 2), 9, "G722", 8000, 0, NULL);
  g_assert_true (format_at (m, 2)->has_rtpmap);
  g_assert_false (format_at (m, 0)->has_rtpmap);
  assert_format (format_at (m, 3), 18, "G729", 8000, 0, NULL);
  assert_format (format_at (m, 4), 3, "GSM", 8000, 0, NULL);
  assert_format (format_at (m, 5), 4, "G723", 8000, 0, NULL);
  assert_format (format_at (m, 6), 13, "CN", 8000, 0, NULL);
  assert_format (format_at (m, 7), 10, "L16", 44100, 2, NULL);
  /* Dynamic without rtpmap: nothing known. */
  assert_format (format_at (m, 8), 96, NULL, 0, 0, NULL);

  g_assert_true (bell_sdp_static_payload (18, &encoding, &rate, &channels));
  g_assert_cmpstr (encoding, ==, "G729");
  g_assert_false (bell_sdp_static_payload (96, &encoding, &rate, &channels));
  g_assert_false (bell_sdp_static_payload (2, NULL, NULL, NULL));
}

static void
test_parse_rtpmap_fmtp (void)
{
  g_autoptr(BellSdpSession) s = parse_ok (
    HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 1000 RTP/AVP 111 0 101 102 103 104\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 minptime=10; useinbandfec=1\r\n"
    "a=rtpmap:0 PCMA/8000\r\n"          /* an rtpmap overrides the static name */
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=fmtp:101 0-11\r\n"               /* the first one counts */
    "a=rtpmap:102 bad\r\n"              /* no clock rate: no typed view */
    "a=rtpmap:103 L16/16000/\r\n"       /* trailing '/' */
    "a=rtpmap:104 L16/16000/0\r\n"      /* zero channels */
    "a=rtpmap:120 unlisted/8000\r\n"    /* a type not on the m= line is ignored */
    "a=fmtp:abc x\r\n");
  const BellSdpMedia *m = media_at (s, 0);
  g_autofree char *printed = NULL;

  assert_format (format_at (m, 0), 111, "opus", 48000, 2, "minptime=10; useinbandfec=1");
  assert_format (format_at (m, 1), 0, "PCMA", 8000, 0, NULL);
  assert_format (format_at (m, 2), 101, "telephone-event", 8000, 0, "0-16");
  assert_format (format_at (m, 3), 102, NULL, 0, 0, NULL);
  assert_format (format_at (m, 4), 103, NULL, 0, 0, NULL);
  assert_format (format_at (m, 5), 104, NULL, 0, 0, NULL);
  g_assert_null (bell_sdp_media_find_format (m, 120));
  /* Every line is kept, understood or not. */
  g_assert_cmpuint (m->attributes->len, ==, 11);
  printed = assert_round_trip (s);
  g_assert_nonnull (strstr (printed, "a=rtpmap:120 unlisted/8000\r\na=fmtp:abc x\r\n"));
}

static void
test_parse_rtcp (void)
{
  g_autoptr(BellSdpSession) s = parse_ok (
    HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 1000 RTP/AVP 0\r\na=rtcp:1001\r\n"
    "m=audio 1002 RTP/AVP 0\r\na=rtcp:53020 IN IP6 2001:db8::5\r\na=rtcp-mux\r\n"
    "m=audio 1004 RTP/AVP 0\r\na=rtcp:1 IN IP7 X\r\n"
    "m=audio 1006 RTP/AVP 0\r\na=rtcp:0\r\na=rtcp:70000\r\na=rtcp:9 IN IP4 192.0.2.9\r\n");

  g_assert_cmpuint (media_at (s, 0)->rtcp_port, ==, 1001);
  g_assert_null (media_at (s, 0)->rtcp_address);
  g_assert_false (media_at (s, 0)->rtcp_mux);
  g_assert_cmpuint (media_at (s, 1)->rtcp_port, ==, 53020);
  g_assert_cmpint (media_at (s, 1)->rtcp_addrtype, ==, BELL_SDP_ADDR_IP6);
  g_assert_cmpstr (media_at (s, 1)->rtcp_address, ==, "2001:db8::5");
  g_assert_true (media_at (s, 1)->rtcp_mux);
  /* A bad a=rtcp is kept but gives no view (sdp-transform's invalid.sdp). */
  g_assert_cmpuint (media_at (s, 2)->rtcp_port, ==, 0);
  g_assert_cmpuint (media_at (s, 2)->attributes->len, ==, 1);
  /* The first that parses. */
  g_assert_cmpuint (media_at (s, 3)->rtcp_port, ==, 9);
  g_assert_cmpstr (media_at (s, 3)->rtcp_address, ==, "192.0.2.9");
  g_free (assert_round_trip (s));
}

static void
test_parse_crypto (void)
{
  g_autoptr(BellSdpSession) s = parse_ok (
    HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 1000 RTP/SAVP 0\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32\r\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 "
    "inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:4;"
    "inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm|2^20|2:4 "
    "FEC_ORDER=FEC_SRTP UNENCRYPTED_SRTCP\r\n"
    "a=crypto:3 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==|1048576\r\n"
    "a=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==|7:4\r\n"
    "a=crypto:010 F8_128_HMAC_SHA1_80 FOO:opaque|thing\r\n"
    /* Refused ones, kept as attributes: */
    "a=crypto:1234567890 AES_CM_128_HMAC_SHA1_80 inline:AAAA\r\n"   /* tag over 9 digits */
    "a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:AAAA\r\n"
    "a=crypto:5 AES_CM_128_HMAC_SHA1_80\r\n"
    "a=crypto:6 AES_CM_128_HMAC_SHA1_80 inline:AA!A\r\n"
    "a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:AAAA|2^64\r\n"
    "a=crypto:8 AES_CM_128_HMAC_SHA1_80 inline:AAAA|1:0\r\n"
    "a=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:AAAA|1:4|2^20\r\n"
    "a=crypto:10 AES_CM_128_HMAC_SHA1_80 inline:AAAA|\r\n"
    "a=crypto:11 AES_CM_128_HMAC_SHA1_80 inline:\r\n");
  const BellSdpMedia *m = media_at (s, 0);
  const BellSdpCrypto *c;
  const BellSdpKeyParam *kp;

  g_assert_cmpuint (m->attributes->len, ==, 14);
  g_assert_cmpuint (m->cryptos->len, ==, 5);

  c = m->cryptos->pdata[0];
  g_assert_cmpuint (c->tag, ==, 1);
  g_assert_cmpstr (c->suite, ==, "AES_CM_128_HMAC_SHA1_80");
  g_assert_cmpuint (c->key_params->len, ==, 1);
  g_assert_null (c->session_params);
  kp = c->key_params->pdata[0];
  g_assert_cmpstr (kp->method, ==, "inline");
  g_assert_cmpstr (kp->key, ==, "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR");
  g_assert_cmpuint (kp->lifetime, ==, 1u << 20);
  g_assert_cmpuint (kp->mki, ==, 1);
  g_assert_cmpuint (kp->mki_length, ==, 32);

  c = m->cryptos->pdata[1];
  g_assert_cmpuint (c->tag, ==, 2);
  g_assert_cmpuint (c->key_params->len, ==, 2);
  kp = c->key_params->pdata[1];
  g_assert_cmpstr (kp->key, ==, "MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm");
  g_assert_cmpuint (kp->mki, ==, 2);
  g_assert_cmpuint (kp->mki_length, ==, 4);
  g_assert_cmpstr (c->session_params, ==, "FEC_ORDER=FEC_SRTP UNENCRYPTED_SRTCP");

  c = m->cryptos->pdata[2];
  g_assert_cmpstr (c->suite, ==, "AEAD_AES_128_GCM");
  kp = c->key_params->pdata[0];
  g_assert_cmpuint (kp->lifetime, ==, 1048576);
  g_assert_cmpuint (kp->mki_length, ==, 0);

  /* MKI without a lifetime. */
  kp = ((BellSdpCrypto *) m->cryptos->pdata[3])->key_params->pdata[0];
  g_assert_cmpuint (kp->lifetime, ==, 0);
  g_assert_cmpuint (kp->mki, ==, 7);
  g_assert_cmpuint (kp->mki_length, ==, 4);

  /* Another key method is kept whole; a leading zero in the tag is allowed. */
  c = m->cryptos->pdata[4];
  g_assert_cmpuint (c->tag, ==, 10);
  kp = c->key_params->pdata[0];
  g_assert_cmpstr (kp->method, ==, "FOO");
  g_assert_cmpstr (kp->key, ==, "opaque|thing");
  g_free (assert_round_trip (s));
}

static void
test_parse_mid_label_unknown (void)
{
  static const char text[] =
    "v=0\n"
    "o=- 1 1 IN IP4 192.0.2.1\n"
    "s=kept lines\n"
    "t=0 0\n"
    "a=group:BUNDLE a v\n"
    "a=x-session-thing\n"
    "f=unknown:yes\n"
    "m=audio 1000 RTP/AVP 0\n"
    "c=IN IP4 192.0.2.1\n"
    "a=mid:a\n"
    "a=label:1\n"
    "a=x-custom:some value\n"
    "a=empty:\n"
    "y=media level unknown\n"
    "a=after-unknown\n"
    "m=video 0 RTP/AVP 31\n"
    "a=mid:v\n";
  static const char expected[] =
    "v=0\r\n"
    "o=- 1 1 IN IP4 192.0.2.1\r\n"
    "s=kept lines\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE a v\r\n"
    "a=x-session-thing\r\n"
    "f=unknown:yes\r\n"
    "m=audio 1000 RTP/AVP 0\r\n"
    "c=IN IP4 192.0.2.1\r\n"
    "a=mid:a\r\n"
    "a=label:1\r\n"
    "a=x-custom:some value\r\n"
    "a=empty:\r\n"
    "a=after-unknown\r\n"
    "y=media level unknown\r\n"
    "m=video 0 RTP/AVP 31\r\n"
    "a=mid:v\r\n";
  g_autoptr(BellSdpSession) s = parse_ok (text);
  g_autofree char *printed = NULL;
  const BellSdpMedia *m = media_at (s, 0);
  const BellSdpAttr *attr;

  g_assert_cmpstr (m->mid, ==, "a");
  g_assert_cmpstr (m->label, ==, "1");
  g_assert_cmpstr (media_at (s, 1)->mid, ==, "v");
  attr = bell_sdp_media_find_attribute (m, "X-CUSTOM", NULL);
  g_assert_nonnull (attr);
  g_assert_cmpstr (attr->value, ==, "some value");
  g_assert_null (bell_sdp_media_find_attribute (m, "x-custom", attr));
  attr = bell_sdp_media_find_attribute (m, "empty", NULL);
  g_assert_cmpstr (attr->value, ==, "");
  attr = bell_sdp_session_find_attribute (s, "x-session-thing", NULL);
  g_assert_nonnull (attr);
  g_assert_null (attr->value);
  g_assert_cmpuint (s->other_lines->len, ==, 1);
  g_assert_cmpint (((BellSdpLine *) s->other_lines->pdata[0])->type, ==, 'f');
  g_assert_cmpuint (m->other_lines->len, ==, 1);

  /* LF in, CRLF out; unknown lines after the attributes of their section. */
  printed = assert_round_trip (s);
  g_assert_cmpstr (printed, ==, expected);
}

static void
test_parse_addresses (void)
{
  g_autoptr(BellSdpSession) s = parse_ok (
    "v=0\r\n"
    "o=- 1 1 IN IP6 2001:db8::1\r\n"
    "s=-\r\n"
    "c=IN IP6 2001:db8::2\r\n"
    "t=0 0\r\n"
    "m=audio 1000 RTP/AVP 0\r\n"
    "c=IN IP4 224.2.1.1/127/3\r\n"
    "m=audio 1002 RTP/AVP 0\r\n"
    "c=IN IP6 FF15::101/3\r\n"
    "m=audio 1004 RTP/AVP 0\r\n"
    "c=IN IP6 media.example.net\r\n"
    "m=audio 1006 RTP/AVP 0\r\n"
    "c=IN IP4 224.2.1.1/0\r\n"
    "m=audio 1008 RTP/AVP 0\r\n"
    "c=in ip6 ::ffff:192.0.2.1\r\n"
    /* The family of the literal wins over the line's type (Apple's RAOP). */
    "m=audio 1010 RTP/AVP 0\r\n"
    "c=IN IP4 fe80::5a55:caff:fe1a:e187\r\n"
    "m=audio 1012 RTP/AVP 0\r\n"
    "c=IN IP6 192.0.2.7\r\n");
  g_autofree char *printed = NULL;
  const BellSdpConnection *c;

  g_assert_cmpint (s->origin.addrtype, ==, BELL_SDP_ADDR_IP6);
  g_assert_cmpstr (s->origin.address, ==, "2001:db8::1");
  g_assert_cmpint (s->connection->addrtype, ==, BELL_SDP_ADDR_IP6);
  c = bell_sdp_media_get_connection (s, media_at (s, 0));
  g_assert_cmpint (c->addrtype, ==, BELL_SDP_ADDR_IP4);
  g_assert_cmpstr (c->address, ==, "224.2.1.1");
  g_assert_cmpuint (c->ttl, ==, 127);
  g_assert_cmpuint (c->n_addresses, ==, 3);
  c = media_at (s, 1)->connection;
  g_assert_cmpstr (c->address, ==, "FF15::101");
  g_assert_cmpuint (c->ttl, ==, 0);
  g_assert_cmpuint (c->n_addresses, ==, 3);
  g_assert_cmpstr (media_at (s, 2)->connection->address, ==, "media.example.net");
  g_assert_cmpuint (media_at (s, 3)->connection->ttl, ==, 0);
  g_assert_cmpstr (media_at (s, 4)->connection->address, ==, "::ffff:192.0.2.1");
  g_assert_false (bell_sdp_media_is_held (s, media_at (s, 0)));
  g_assert_cmpint (media_at (s, 5)->connection->addrtype, ==, BELL_SDP_ADDR_IP6);
  g_assert_cmpint (media_at (s, 6)->connection->addrtype, ==, BELL_SDP_ADDR_IP4);

  printed = assert_round_trip (s);
  g_assert_nonnull (strstr (printed, "c=IN IP6 fe80::5a55:caff:fe1a:e187\r\n"));
  g_assert_nonnull (strstr (printed, "c=IN IP4 192.0.2.7\r\n"));
  g_assert_nonnull (strstr (printed, "c=IN IP4 224.2.1.1/127/3\r\n"));
  g_assert_nonnull (strstr (printed, "c=IN IP6 FF15::101/3\r\n"));
  g_assert_nonnull (strstr (printed, "c=IN IP6 ::ffff:192.0.2.1\r\n"));
}

/* Lines in another order than §5's, all the kept types, padding: printed in §5's order. */
static void
test_parse_all_fields (void)
{
  static const char text[] =
    "v=0\r\n"
    "o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5\r\n"
    "s=SDP Seminar\r\n"
    "a=recvonly\r\n"
    "t=2873397496 2873404696\r\n"
    "r=7d 1h 0 25h\r\n"
    "t=0 0\r\n"
    "i=A Seminar on the session description protocol\r\n"
    "u=http://www.example.com/seminars/sdp.pdf\r\n"
    "e=j.doe@example.com (Jane Doe)\r\n"
    "e=other@example.com\r\n"
    "p=+1 617 555-6011\r\n"
    "c=IN IP4 224.2.17.12/127\r\n"
    "b=CT:128\r\n"
    "z=2882844526 -1h 2898848070 0\r\n"
    "k=prompt\r\n"
    "m=audio  49170/2   RTP/AVP  0   \r\n"
    "a=ptime:0.125\r\n"
    "k=clear:secret\r\n"
    "b=AS:64\r\n"
    "c=IN IP4 224.2.17.13/127\r\n"
    "i=the audio\r\n"
    "m=video 51372 RTP/AVP 99\r\n"
    "a=rtpmap:99 h263-1998/90000\r\n"
    "m=application 5000 TCP/BFCP *\r\n"
    "m=image 9 udptl t38\r\n";
  static const char expected[] =
    "v=0\r\n"
    "o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5\r\n"
    "s=SDP Seminar\r\n"
    "i=A Seminar on the session description protocol\r\n"
    "u=http://www.example.com/seminars/sdp.pdf\r\n"
    "e=j.doe@example.com (Jane Doe)\r\n"
    "e=other@example.com\r\n"
    "p=+1 617 555-6011\r\n"
    "c=IN IP4 224.2.17.12/127\r\n"
    "b=CT:128\r\n"
    "t=2873397496 2873404696\r\n"
    "r=7d 1h 0 25h\r\n"
    "t=0 0\r\n"
    "z=2882844526 -1h 2898848070 0\r\n"
    "k=prompt\r\n"
    "a=recvonly\r\n"
    "m=audio 49170/2 RTP/AVP 0\r\n"
    "i=the audio\r\n"
    "c=IN IP4 224.2.17.13/127\r\n"
    "b=AS:64\r\n"
    "k=clear:secret\r\n"
    "a=ptime:0.125\r\n"
    "m=video 51372 RTP/AVP 99\r\n"
    "a=rtpmap:99 h263-1998/90000\r\n"
    "m=application 5000 TCP/BFCP *\r\n"
    "m=image 9 udptl t38\r\n";
  g_autoptr(BellSdpSession) s = parse_ok (text);
  g_autofree char *printed = NULL;
  const BellSdpTime *t;

  g_assert_cmpstr (s->info, ==, "A Seminar on the session description protocol");
  g_assert_cmpuint (s->emails->len, ==, 2);
  g_assert_cmpuint (s->times->len, ==, 2);
  t = s->times->pdata[0];
  g_assert_cmpuint (t->start, ==, 2873397496u);
  g_assert_cmpuint (t->repeats->len, ==, 1);
  g_assert_cmpstr (t->repeats->pdata[0], ==, "7d 1h 0 25h");
  g_assert_cmpstr (s->zone, ==, "2882844526 -1h 2898848070 0");
  g_assert_cmpstr (s->key, ==, "prompt");
  g_assert_cmpuint (media_at (s, 0)->n_ports, ==, 2);
  g_assert_cmpuint (media_at (s, 0)->ptime, ==, 0);   /* 0.125 ms rounds down to nothing */
  g_assert_cmpstr (media_at (s, 0)->key, ==, "clear:secret");
  g_assert_cmpstr (media_at (s, 0)->title, ==, "the audio");
  g_assert_cmpuint (media_at (s, 0)->connection->ttl, ==, 127);
  assert_format (format_at (media_at (s, 1), 0), 99, "h263-1998", 90000, 0, NULL);
  /* Not RTP: formats are kept, without a typed view. */
  g_assert_false (bell_sdp_media_is_rtp (media_at (s, 2)));
  g_assert_cmpuint (media_at (s, 2)->formats->len, ==, 0);
  g_assert_cmpstr (media_at (s, 3)->fmts->pdata[0], ==, "t38");
  printed = assert_round_trip (s);
  g_assert_cmpstr (printed, ==, expected);
}

static void
test_parse_tolerance (void)
{
  g_autoptr(BellSdpSession) no_t = NULL, rtsp = NULL, blank = NULL, no_eol = NULL, mixed = NULL;
  g_autofree char *printed = NULL;

  /* No t=: "t=0 0" is what the sender meant. */
  no_t = parse_ok (HEAD "c=IN IP4 192.0.2.1\r\nm=audio 1 RTP/AVP 0\r\n");
  g_assert_cmpuint (no_t->times->len, ==, 1);
  printed = assert_round_trip (no_t);
  g_assert_nonnull (strstr (printed, "\r\nt=0 0\r\n"));

  /* Streams with port 0 need no address (RTSP, rejected streams). */
  rtsp = parse_ok (HEAD "m=audio 0 RTP/AVP 0\r\na=control:rtsp://example.com/a\r\n");
  g_assert_null (bell_sdp_media_get_connection (rtsp, media_at (rtsp, 0)));

  /* Blank lines, trailing blanks, tabs between fields, case of known attribute names. */
  blank = parse_ok ("\r\nv=0\r\n\r\no=-\t1 1 IN IP4 192.0.2.1 \r\ns=- \r\nc=IN IP4 192.0.2.1\r\n"
                    "t=0 0\r\nm=audio 1 RTP/AVP 0\r\na=SendOnly \r\na=PTIME:30\r\n\r\n\r\n");
  g_assert_cmpstr (blank->name, ==, "-");
  g_assert_cmpint (bell_sdp_media_get_direction (blank, media_at (blank, 0)), ==,
                   BELL_SDP_DIRECTION_SENDONLY);
  g_assert_cmpuint (media_at (blank, 0)->ptime, ==, 30);

  /* No line end after the last line; a mix of CRLF and LF. */
  no_eol = parse_ok (HEAD "c=IN IP4 192.0.2.1\nt=0 0\r\nm=audio 1 RTP/AVP 0");
  g_assert_cmpuint (no_eol->media->len, ==, 1);

  /* High bytes (UTF-8 session names) are not control characters. */
  mixed = parse_ok ("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=Caf\xc3\xa9\nc=IN IP4 192.0.2.1\n");
  g_assert_cmpstr (mixed->name, ==, "Caf\xc3\xa9");
  g_free (assert_round_trip (mixed));
}

/* ------------------------------------------------------------------------------------------ */
/* Malformed */

static void
test_malformed_start (void)
{
  assert_malformed ("", "SDP line 1: empty description");
  assert_malformed ("\r\n\r\n", "must start with v=0");
  assert_malformed ("o=- 1 1 IN IP4 192.0.2.1\r\nv=0\r\n",
                    "SDP line 1 (o=): the description must start with v=0");
  assert_malformed ("v=1\r\n", "SDP line 1 (v=): version is not 0");
  assert_malformed ("v=0\r\nv=0\r\n", "line 2 (v=): a second v= line");
  assert_malformed ("hello\r\n", "SDP line 1: not a <type>=<value> line");
  assert_malformed ("v=0\r\nX=1\r\n", "line 2: not a <type>=<value> line");
  assert_malformed ("v=0\r\n=1\r\n", "line 2: not a <type>=<value> line");
  assert_malformed ("v=0\r\na\r\n", "line 2: not a <type>=<value> line");
  assert_malformed ("v=0\r\ns=-\r\nm=audio 1 RTP/AVP 0\r\n", "line 3 (m=): m= before the o= line");
  assert_malformed ("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nm=audio 1 RTP/AVP 0\r\n",
                    "line 3 (m=): m= before the s= line");
  assert_malformed ("v=0\r\ns=-\r\nt=0 0\r\n", "line 3: no o= line");
  assert_malformed ("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n", "no s= line");
  assert_malformed (HEAD "o=- 1 1 IN IP4 192.0.2.1\r\n", "line 4 (o=): a second o= line");
  assert_malformed (HEAD "s=again\r\n", "line 4 (s=): a second s= line");
  assert_malformed (HEAD "i=a\r\ni=b\r\n", "line 5 (i=): a second i= line");
  assert_malformed (HEAD "c=IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\n",
                    "line 5 (c=): a second c=");
  assert_malformed (HEAD "r=7d 1h 0 25h\r\n", "line 4 (r=): r= without a t= line");
  assert_malformed (HEAD "c=IN IP4 192.0.2.1\r\nm=audio 1 RTP/AVP 0\r\nt=0 0\r\n",
                    "line 6 (t=): t= belongs before the first m= line");
  assert_malformed (HEAD "m=audio 0 RTP/AVP 0\r\nu=http://x\r\n", "u= belongs before");
}

static void
test_malformed_origin (void)
{
  assert_malformed ("v=0\r\no=- 1 1 IN IP4\r\ns=-\r\n", "line 2 (o=): 5 fields where 6 are needed");
  assert_malformed ("v=0\r\no=- 1 1 IN IP4 192.0.2.1 extra\r\ns=-\r\n", "unexpected field “extra”");
  assert_malformed ("v=0\r\no=- abc 1 IN IP4 192.0.2.1\r\ns=-\r\n", "session id is not a number");
  assert_malformed ("v=0\r\no=- 1 x1 IN IP4 192.0.2.1\r\ns=-\r\n",
                    "session version “x1” is not a number");
  assert_malformed ("v=0\r\no=- 1 18446744073709551616 IN IP4 192.0.2.1\r\ns=-\r\n",
                    "session version “18446744073709551616” is out of range");
  assert_malformed ("v=0\r\no=- 1 1 IN IP5 192.0.2.1\r\ns=-\r\n", "line 2 (o=): bad address type");
  assert_malformed ("v=0\r\no=- 1 1 ATM IP4 192.0.2.1\r\ns=-\r\n", "unknown network type");
  assert_malformed ("v=0\r\no=- 1 1 IN IP4 192.0.2.1/127\r\ns=-\r\n", "bad IPv4 address");
}

static void
test_malformed_connection (void)
{
  assert_malformed (HEAD "c=IN IP5 192.0.2.1\r\n",
                    "line 4 (c=): bad address type (IP4 or IP6) in “IN IP5 192.0.2.1”");
  assert_malformed (HEAD "c=IN IP4 300.1.1.1\r\n", "line 4 (c=): bad IPv4 address");
  assert_malformed (HEAD "c=IN IP4 1.2.3\r\n", "bad IPv4 address");
  assert_malformed (HEAD "c=IN IP4 2001:db8::g\r\n", "bad IPv4 address");
  assert_malformed (HEAD "c=IN IP6 192.0.2.1.\r\n", "bad IPv6 address");
  assert_malformed (HEAD "c=IN IP6 2001:db8:::1:2:3:4:5:6:7\r\n", "bad IPv6 address");
  assert_malformed (HEAD "c=IN IP4 bad_host!\r\n", "bad IPv4 address");
  assert_malformed (HEAD "c=IN IP4\r\n", "needs <nettype> <addrtype> <address>");
  assert_malformed (HEAD "c=IN IP4 224.2.1.1/256\r\n", "TTL “256” is out of range");
  assert_malformed (HEAD "c=IN IP4 224.2.1.1/x\r\n", "TTL “x” is not a number");
  assert_malformed (HEAD "c=IN IP4 224.2.1.1/1/0\r\n", "address count 0");
  assert_malformed (HEAD "c=IN IP4 224.2.1.1/1/99999999999999999999\r\n", "out of range");
  assert_malformed (HEAD "c=IN IP6 ff15::1/1/2\r\n", "an IPv6 address takes one /<count>");
  /* A media with a port and no address anywhere. */
  assert_malformed (HEAD "t=0 0\r\nm=audio 0 RTP/AVP 0\r\nm=audio 1000 RTP/AVP 0\r\na=sendrecv\r\n",
                    "SDP line 6 (m=): m=audio has no c= line and the session has none");
}

static void
test_malformed_media (void)
{
  assert_malformed (HEAD "c=IN IP4 192.0.2.1\r\nm=audio 99999 RTP/AVP 0\r\n",
                    "line 5 (m=): port “99999” is out of range (at most 65535)");
  assert_malformed (HEAD "c=IN IP4 192.0.2.1\r\nm=audio -1 RTP/AVP 0\r\n", "bad port “-1”");
  assert_malformed (HEAD "c=IN IP4 192.0.2.1\r\nm=audio port RTP/AVP 0\r\n", "bad port “port”");
  assert_malformed (HEAD "c=IN IP4 192.0.2.1\r\nm=audio 1/0 RTP/AVP 0\r\n", "bad number of ports");
  assert_malformed (HEAD "c=IN IP4 192.0.2.1\r\nm=audio 1/x RTP/AVP 0\r\n",
                    "number of ports “x” is not a number");
  assert_malformed (HEAD "c=IN IP4 192.0.2.1\r\nm=audio 1 RTP/AVP 128\r\n",
                    "line 5 (m=): payload type 128 is over 127");
  assert_malformed (HEAD "c=IN IP4 192.0.2.1\r\nm=audio 1 RTP/AVP 99999999999999999999999\r\n",
                    "is over 127");
  assert_malformed (HEAD "c=IN IP4 192.0.2.1\r\nm=audio 1 RTP/SAVP 0 PCMU\r\n",
                    "payload type “PCMU” is not a number");
  assert_malformed (HEAD "c=IN IP4 192.0.2.1\r\nm=audio 1 RTP/AVP 0x\r\n", "is not a number");
  assert_malformed (HEAD "c=IN IP4 192.0.2.1\r\nm=audio 1 RTP/AVP 0 8 0\r\n",
                    "payload type 0 is listed twice");
  assert_malformed (HEAD "c=IN IP4 192.0.2.1\r\nm=audio 1 RTP/AVP\r\n",
                    "m= line without a format");
  assert_malformed (HEAD "c=IN IP4 192.0.2.1\r\nm=audio 1 RTP/AVP \r\n",
                    "m= line without a format");
  assert_malformed (HEAD "c=IN IP4 192.0.2.1\r\nm=audio 1\r\n", "needs <media> <port>");
  assert_malformed (HEAD "c=IN IP4 192.0.2.1\r\nm=audio 1 RTP//AVP 0\r\n",
                    "bad transport protocol");
  assert_malformed (HEAD "c=IN IP4 192.0.2.1\r\nm=au:dio 1 RTP/AVP 0\r\n", "bad media type");
  assert_malformed (HEAD "c=IN IP4 192.0.2.1\r\nm=application 1 TCP/BFCP a,b\r\n", "bad format");
}

static void
test_malformed_numbers (void)
{
  assert_malformed (HEAD "t=abc 0\r\n", "line 4 (t=): start time “abc” is not a number");
  assert_malformed (HEAD "t=0 -1\r\n", "stop time “-1” is not a number");
  assert_malformed (HEAD "t=18446744073709551616 0\r\n",
                    "start time “18446744073709551616” is out of range");
  assert_malformed (HEAD "t=0\r\n", "needs <start-time> <stop-time>");
  assert_malformed (HEAD "t=0 0 0\r\n", "unexpected field");
}

static void
test_malformed_characters (void)
{
  static const char nul[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=a\0b\r\n";

  assert_malformed_len (nul, sizeof nul - 1, "SDP line 3: control character 0x00 (column 4)");
  assert_malformed ("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=a\x01" "b\r\n", "control character 0x01");
  assert_malformed ("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=a\x7f\r\n", "control character 0x7f");
  assert_malformed ("v=0\r\no=- 1 1 IN IP4 192.0.2.1\rs=-\r\n",
                    "SDP line 2: carriage return inside the line");
  assert_malformed ("v=0\r\r\n", "line 1: carriage return");
  assert_malformed ("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\na=x\x1b[2J\r\n",
                    "line 4: control character 0x1b");
  assert_malformed (HEAD "a=:value\r\n", "line 4 (a=): attribute name is not a token");
  assert_malformed (HEAD "a=\r\n", "attribute name is not a token");
  assert_malformed (HEAD "a=na me:value\r\n", "attribute name is not a token");
  /* Quoted input in an error is made printable. */
  assert_malformed (HEAD "c=IN IP4 caf\xc3\xa9\r\n", "“IN IP4 caf??”");
}

static void
test_malformed_limits (void)
{
  g_autoptr(GString) big = g_string_new (HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\n");
  g_autoptr(GString) media = g_string_new (big->str);
  g_autoptr(GString) formats = g_string_new (big->str);
  g_autoptr(GString) attrs = g_string_new (big->str);

  /* Lines of an unknown type: kept, and not counted as attributes. */
  while (big->len <= BELL_SDP_MAX_SIZE)
    g_string_append (big, "x=padding:0123456789012345678901234567890123456789\r\n");
  assert_malformed_len (big->str, big->len, "over the limit of 65536");
  /* Just under the limit is fine, however many lines. */
  g_string_truncate (big, BELL_SDP_MAX_SIZE - 64);
  g_string_truncate (big, (gsize) (strrchr (big->str, '\n') - big->str + 1));
  {
    g_autoptr(BellSdpSession) s = parse_ok (big->str);
    g_assert_cmpuint (s->other_lines->len, >, 1000);
    g_free (assert_round_trip (s));
  }

  for (guint i = 0; i <= BELL_SDP_MAX_MEDIA; i++)
    g_string_append_printf (media, "m=audio %u RTP/AVP 0\r\n", 1000 + 2 * i);
  assert_malformed (media->str, "line 70 (m=): more than 64 m= lines");
  g_string_truncate (media, (gsize) (strstr (media->str, "m=audio 1128 ") - media->str));
  {
    g_autoptr(BellSdpSession) s = parse_ok (media->str);
    g_assert_cmpuint (s->media->len, ==, 64);
    g_free (assert_round_trip (s));
  }

  g_string_append (formats, "m=application 9 UDP/BFCP");
  for (guint i = 0; i <= BELL_SDP_MAX_FORMATS; i++)
    g_string_append_printf (formats, " f%u", i);
  g_string_append (formats, "\r\n");
  assert_malformed (formats->str, "line 6 (m=): more than 256 formats");
  {
    /* Exactly 128 payload types: all of them. */
    g_autoptr(GString) all = g_string_new (HEAD "c=IN IP4 192.0.2.1\r\nm=audio 1 RTP/AVP");
    g_autoptr(BellSdpSession) s = NULL;
    for (guint pt = 0; pt <= BELL_SDP_MAX_PT; pt++)
      g_string_append_printf (all, " %u", pt);
    s = parse_ok (all->str);
    g_assert_cmpuint (media_at (s, 0)->formats->len, ==, 128);
  }

  for (guint i = 0; i <= BELL_SDP_MAX_ATTRIBUTES; i++)
    g_string_append_printf (attrs, "%sa=x:%u\r\n", i == 600 ? "m=audio 1 RTP/AVP 0\r\n" : "", i);
  assert_malformed (attrs->str, "line 1031 (a=): more than 1024 attributes");
}

/* ------------------------------------------------------------------------------------------ */
/* Building */

static void
test_build_offer (void)
{
  static const char expected[] =
    "v=0\r\n"
    "o=bellbird 42 1 IN IP4 192.0.2.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/SAVP 0 8 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n"
    "a=rtcp-mux\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
    "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj "
    "UNENCRYPTED_SRTCP\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=1\r\n";
  g_autoptr(BellSdpSession) s = bell_sdp_session_new ("bellbird", 42, 1, "192.0.2.10");
  g_autoptr(BellSdpSession) again = NULL;
  g_autofree char *printed = NULL;
  g_autoptr(GBytes) bytes = NULL;
  BellSdpMedia *audio, *video;
  const BellSdpCrypto *c;

  audio = bell_sdp_session_add_media (s, bell_sdp_media_new ("audio", 40000, "RTP/SAVP"));
  g_assert_true (bell_sdp_media_add_format (audio, 0, "PCMU", 8000, 1, NULL));
  g_assert_true (bell_sdp_media_add_format (audio, 8, "PCMA", 8000, 0, NULL));
  bell_sdp_media_set_ptime (audio, 20);
  g_assert_true (bell_sdp_media_add_format (audio, 101, "telephone-event", 8000, 0, "0-16"));
  g_assert_false (bell_sdp_media_add_format (audio, 8, "PCMA", 8000, 0, NULL));
  bell_sdp_media_set_direction (audio, BELL_SDP_DIRECTION_SENDRECV);
  bell_sdp_media_set_rtcp_mux (audio, TRUE);
  bell_sdp_media_set_rtcp_mux (audio, TRUE);
  g_assert_true (bell_sdp_media_add_crypto (audio, 1, "AES_CM_128_HMAC_SHA1_80",
                                            "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
                                            "|2^20|1:4",
                                            NULL));
  g_assert_true (bell_sdp_media_add_crypto (audio, 2, "AES_CM_128_HMAC_SHA1_32",
                                            "inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj",
                                            "UNENCRYPTED_SRTCP"));
  /* Refused: nothing added. */
  g_assert_false (bell_sdp_media_add_crypto (audio, 3, "AES_CM_128_HMAC_SHA1_80", "inline:", NULL));
  g_assert_false (bell_sdp_media_add_crypto (audio, 3, "A B", "inline:AAAA", NULL));
  g_assert_false (bell_sdp_media_add_crypto (audio, 3, "X", "inline:AA AA", NULL));
  g_assert_false (bell_sdp_media_add_crypto (audio, 1000000000, "X", "inline:AAAA", NULL));

  video = bell_sdp_session_add_media (s, bell_sdp_media_new ("video", 0, "RTP/AVP"));
  g_assert_true (bell_sdp_media_add_format (video, 96, "H264", 90000, 0, "packetization-mode=1"));

  g_assert_cmpuint (audio->formats->len, ==, 3);
  assert_format (format_at (audio, 2), 101, "telephone-event", 8000, 0, "0-16");
  g_assert_cmpuint (audio->ptime, ==, 20);
  g_assert_true (audio->rtcp_mux);
  g_assert_cmpuint (audio->cryptos->len, ==, 2);
  c = audio->cryptos->pdata[1];
  g_assert_cmpstr (c->session_params, ==, "UNENCRYPTED_SRTCP");

  printed = assert_round_trip (s);
  g_assert_cmpstr (printed, ==, expected);
  bytes = bell_sdp_session_to_bytes (s);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), expected,
                   strlen (expected));
  again = parse_ok (printed);
  g_assert_true (bell_sdp_session_equal (s, again));
}

static void
test_build_ipv6_and_setters (void)
{
  g_autoptr(BellSdpSession) s = bell_sdp_session_new (NULL, 7, 9, "2001:db8::10");
  g_autofree char *p1 = NULL, *p2 = NULL;
  BellSdpMedia *m;

  bell_sdp_session_set_name (s, "call ");
  m = bell_sdp_session_add_media (s, bell_sdp_media_new ("audio", 5004, "RTP/AVP"));
  g_assert_true (bell_sdp_media_add_format (m, 9, NULL, 0, 0, NULL));
  g_assert_true (bell_sdp_media_add_format (m, 111, "opus", 48000, 2, "useinbandfec=1"));
  bell_sdp_media_set_connection (m, "192.0.2.20");
  bell_sdp_media_set_rtcp (m, 5005, "2001:db8::11");
  bell_sdp_media_set_maxptime (m, 60);
  bell_sdp_media_add_attribute (m, "label", "main ");
  bell_sdp_session_add_attribute (s, "tool", "bellbird");
  bell_sdp_session_set_direction (s, BELL_SDP_DIRECTION_INACTIVE);

  assert_format (format_at (m, 0), 9, "G722", 8000, 0, NULL);
  assert_format (format_at (m, 1), 111, "opus", 48000, 2, "useinbandfec=1");
  g_assert_cmpuint (m->rtcp_port, ==, 5005);
  g_assert_cmpint (m->rtcp_addrtype, ==, BELL_SDP_ADDR_IP6);
  g_assert_cmpstr (m->label, ==, "main");
  g_assert_cmpuint (m->maxptime, ==, 60);
  g_assert_cmpint (s->direction, ==, BELL_SDP_DIRECTION_INACTIVE);
  g_assert_true (bell_sdp_media_is_held (s, m));
  p1 = assert_round_trip (s);
  g_assert_nonnull (strstr (p1, "o=- 7 9 IN IP6 2001:db8::10\r\ns=call\r\n"
                                "c=IN IP6 2001:db8::10\r\n"));
  g_assert_nonnull (strstr (p1, "m=audio 5004 RTP/AVP 9 111\r\nc=IN IP4 192.0.2.20\r\n"
                                "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n"
                                "a=rtcp:5005 IN IP6 2001:db8::11\r\na=maxptime:60\r\n"));
  g_assert_nonnull (strstr (p1, "a=tool:bellbird\r\na=inactive\r\nm="));

  /* Replacing in place, and removing. */
  bell_sdp_session_set_direction (s, BELL_SDP_DIRECTION_NONE);
  bell_sdp_media_set_rtcp (m, 0, NULL);
  bell_sdp_media_set_rtcp (m, 7000, NULL);
  bell_sdp_media_set_maxptime (m, 0);
  bell_sdp_media_set_connection (m, NULL);
  bell_sdp_session_set_connection (s, "media.example.com");
  g_assert_cmpuint (bell_sdp_media_remove_attributes (m, "LABEL"), ==, 1);
  g_assert_cmpuint (bell_sdp_session_remove_attributes (s, "tool"), ==, 1);
  g_assert_null (m->label);
  g_assert_cmpuint (m->rtcp_port, ==, 7000);
  g_assert_null (m->rtcp_address);
  g_assert_false (bell_sdp_media_is_held (s, m));
  p2 = assert_round_trip (s);
  g_assert_nonnull (strstr (p2, "c=IN IP4 media.example.com\r\nt=0 0\r\n"
                                "m=audio 5004 RTP/AVP 9 111\r\n"
                                "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n"
                                "a=rtcp:7000\r\n"));
}

/* An answer begins as a copy of the offer (RFC 3264 §6): the copy is independent. */
static void
test_build_answer_from_copy (void)
{
  g_autoptr(BellSdpSession) offer = parse_ok (
    HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 49170 RTP/AVP 0 8 97 101\r\n"
    "a=rtpmap:97 iLBC/8000\r\n"
    "a=fmtp:97 mode=30\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=rtcp-fb:97 nack\r\n"
    "a=rtcp-fb:* ccm fir\r\n"
    "a=sendonly\r\n"
    "a=x-keep:me\r\n"
    "m=video 51372 RTP/AVP 31\r\n");
  g_autoptr(BellSdpSession) answer = bell_sdp_session_copy (offer);
  g_autofree char *printed = NULL, *offer_before = bell_sdp_session_to_string (offer, NULL);
  g_autofree char *offer_after = NULL;
  BellSdpMedia *audio, *video;
  BellSdpDirection dir;

  g_assert_true (bell_sdp_session_equal (offer, answer));
  bell_sdp_session_set_origin (answer, "bob", 99, 1, "198.51.100.2");
  bell_sdp_session_set_connection (answer, "198.51.100.2");
  audio = answer->media->pdata[0];
  audio->port = 30000;
  g_assert_true (bell_sdp_media_remove_format (audio, 97));
  g_assert_false (bell_sdp_media_remove_format (audio, 97));
  g_assert_true (bell_sdp_media_remove_format (audio, 8));
  dir = bell_sdp_media_get_direction (answer, audio);
  bell_sdp_media_set_direction (audio, bell_sdp_direction_reverse (dir));
  video = answer->media->pdata[1];
  video->port = 0;

  g_assert_false (bell_sdp_session_equal (offer, answer));
  g_assert_cmpuint (audio->formats->len, ==, 2);
  assert_format (format_at (audio, 1), 101, "telephone-event", 8000, 0, "0-15");
  g_assert_cmpint (audio->direction, ==, BELL_SDP_DIRECTION_RECVONLY);
  printed = assert_round_trip (answer);
  g_assert_cmpstr (printed, ==,
                   "v=0\r\n"
                   "o=bob 99 1 IN IP4 198.51.100.2\r\n"
                   "s=-\r\n"
                   "c=IN IP4 198.51.100.2\r\n"
                   "t=0 0\r\n"
                   "m=audio 30000 RTP/AVP 0 101\r\n"
                   "a=rtpmap:101 telephone-event/8000\r\n"
                   "a=fmtp:101 0-15\r\n"
                   "a=rtcp-fb:* ccm fir\r\n"
                   "a=recvonly\r\n"
                   "a=x-keep:me\r\n"
                   "m=video 0 RTP/AVP 31\r\n");

  /* The offer did not move. */
  offer_after = bell_sdp_session_to_string (offer, NULL);
  g_assert_cmpstr (offer_before, ==, offer_after);
  g_assert_cmpuint (media_at (offer, 0)->formats->len, ==, 4);

  /* Clearing everything, then a fresh list. */
  bell_sdp_media_clear_formats (audio);
  g_assert_cmpuint (audio->fmts->len, ==, 0);
  g_assert_nonnull (bell_sdp_media_find_attribute (audio, "rtcp-fb", NULL));
  g_assert_true (bell_sdp_media_add_format (audio, 8, NULL, 0, 0, NULL));
  assert_format (format_at (audio, 0), 8, "PCMA", 8000, 0, NULL);
  g_free (assert_round_trip (answer));
}

/* Found by fuzz-sdp: an rtpmap for a type that is not listed must not take over when the type
 * is added (tests/fuzz/crashes/sdp-add-format-stale-rtpmap.sdp). */
static void
test_build_add_format_stale_lines (void)
{
  g_autoptr(BellSdpSession) s = parse_ok (
    HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n"
    "a=rtpmap:96 stale/8000\r\na=fmtp:96 stale\r\na=rtcp-fb:96 nack\r\na=sendrecv\r\n");
  BellSdpMedia *m = s->media->pdata[0];
  g_autofree char *printed = NULL;

  g_assert_null (bell_sdp_media_find_format (m, 96));
  g_assert_true (bell_sdp_media_add_format (m, 96, "telephone-event", 8000, 0, "0-16"));
  assert_format (bell_sdp_media_find_format (m, 96), 96, "telephone-event", 8000, 0, "0-16");
  printed = assert_round_trip (s);
  g_assert_true (g_str_has_suffix (printed, "m=audio 9 RTP/AVP 0 96\r\n"
                                            "a=rtpmap:96 telephone-event/8000\r\n"
                                            "a=fmtp:96 0-16\r\n"
                                            "a=sendrecv\r\n"));
}

static void
test_build_copy_media_and_crypto (void)
{
  g_autoptr(BellSdpSession) s = parse_ok (
    HEAD "c=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 1 RTP/SAVP 0\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==\r\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==\r\n");
  g_autoptr(BellSdpMedia) copy = bell_sdp_media_copy (media_at (s, 0));
  g_autoptr(BellSdpMedia) raw = bell_sdp_media_new ("application", 5000, "UDP/DTLS/SCTP");

  g_assert_cmpuint (copy->cryptos->len, ==, 2);
  bell_sdp_media_clear_crypto (copy);
  g_assert_cmpuint (copy->cryptos->len, ==, 0);
  g_assert_cmpuint (copy->attributes->len, ==, 0);
  g_assert_cmpuint (media_at (s, 0)->cryptos->len, ==, 2);

  g_assert_true (bell_sdp_media_add_raw_format (raw, "webrtc-datachannel"));
  g_assert_false (bell_sdp_media_is_rtp (raw));
  g_assert_true (bell_sdp_media_add_raw_format (copy, "96"));
  g_assert_false (bell_sdp_media_add_raw_format (copy, "96"));
  g_assert_false (bell_sdp_media_add_raw_format (copy, "200"));
  g_assert_false (bell_sdp_media_add_raw_format (copy, "t38"));
  assert_format (format_at (copy, 1), 96, NULL, 0, 0, NULL);

  g_assert_nonnull (bell_sdp_session_add_media (s, g_steal_pointer (&raw)));
  g_assert_cmpstr (media_at (s, 1)->fmts->pdata[0], ==, "webrtc-datachannel");
  g_free (assert_round_trip (s));
  /* Media above the limit is refused (and freed). */
  while (s->media->len < BELL_SDP_MAX_MEDIA)
    g_assert_nonnull (bell_sdp_session_add_media (s, bell_sdp_media_new ("audio", 0, "RTP/AVP")));
  g_assert_null (bell_sdp_session_add_media (s, bell_sdp_media_new ("audio", 0, "RTP/AVP")));
}

/* ------------------------------------------------------------------------------------------ */
/* Corpus */

typedef struct
{
  char       *path;
  char       *name;
  const char *refusal;   /* for a file that is not SDP: the error it must get */
} CorpusFile;

/* Files of the corpus that are not SDP and must be refused, with why. */
static const struct
{
  const char *name;
  const char *error;
  const char *why;
} corpus_not_sdp[] = {
  { "pjmedia/18-amr-amr-wb-offer-answerer-picks-amr-8000-telephone-event/step1-remote-offer.sdp",
    "SDP line 1 (a=): the description must start with v=0",
    "the extracted text starts at an a=rtpmap line: its v=, o=, s=, c=, t= and m= lines did not "
    "survive the extraction from pjproject's C literals (cases.json has the same sdp1)" },
};

static void
corpus_file_free (gpointer data)
{
  CorpusFile *file = data;

  g_free (file->path);
  g_free (file->name);
  g_free (file);
}

static void
test_corpus_missing (void)
{
  g_test_skip ("corpus not found (BELL_CORPUS_DIR)");
}

static void
test_corpus_file (gconstpointer data)
{
  const CorpusFile *file = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSdpSession) session = NULL, copy = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (file->path, &contents, &len, &error))
    g_error ("%s: %s", file->path, error->message);
  session = bell_sdp_session_parse (contents, len, &error);
  if (file->refusal)
    {
      g_assert_null (session);
      g_assert_error (error, BELL_SDP_ERROR, BELL_SDP_ERROR_MALFORMED);
      g_assert_cmpstr (error->message, ==, file->refusal);
      return;
    }
  if (session == NULL)
    g_error ("%s does not parse: %s", file->name, error->message);
  g_assert_cmpuint (session->times->len, >=, 1);
  g_free (assert_round_trip (session));
  copy = bell_sdp_session_copy (session);
  g_assert_true (bell_sdp_session_equal (session, copy));
  /* What every media's typed view says must agree with its lines. */
  for (guint i = 0; i < session->media->len; i++)
    {
      const BellSdpMedia *m = session->media->pdata[i];
      if (bell_sdp_media_is_rtp (m))
        g_assert_cmpuint (m->formats->len, ==, m->fmts->len);
      for (guint k = 0; k < m->formats->len; k++)
        {
          const BellSdpFormat *f = m->formats->pdata[k];
          g_assert_true (bell_sdp_media_find_format (m, f->pt) == f);
        }
    }
}

/* Assertions of sdp-transform's own test/parse.test.js on a few of its files. */
static BellSdpSession *
corpus_parse (const char *corpus, const char *rel)
{
  g_autofree char *path = g_build_filename (corpus, rel, NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize len;
  BellSdpSession *s;

  if (!g_file_get_contents (path, &contents, &len, &error))
    return NULL;
  s = bell_sdp_session_parse (contents, len, &error);
  g_assert_no_error (error);
  return s;
}

static void
test_corpus_oracle (gconstpointer data)
{
  const char *corpus = data;
  g_autoptr(BellSdpSession) normal = corpus_parse (corpus, "sdp/sdp-transform/normal.sdp");
  g_autoptr(BellSdpSession) hacky = corpus_parse (corpus, "sdp/sdp-transform/hacky.sdp");
  g_autoptr(BellSdpSession) invalid = corpus_parse (corpus, "sdp/sdp-transform/invalid.sdp");
  g_autoptr(BellSdpSession) jssip = corpus_parse (corpus, "sdp/sdp-transform/jssip.sdp");
  const BellSdpMedia *m;
  const BellSdpKeyParam *kp;

  if (!normal || !hacky || !invalid || !jssip)
    {
      g_test_skip ("sdp-transform files not found");
      return;
    }

  /* normal.sdp */
  g_assert_cmpstr (normal->origin.sess_id, ==, "20518");
  g_assert_cmpstr (normal->name, ==, "");
  g_assert_cmpstr (normal->connection->address, ==, "203.0.113.1");
  m = media_at (normal, 0);
  g_assert_cmpuint (m->port, ==, 54400);
  g_assert_cmpstr (m->proto, ==, "RTP/SAVPF");
  assert_format (format_at (m, 0), 0, "PCMU", 8000, 0, NULL);
  assert_format (format_at (m, 1), 96, "opus", 48000, 0, NULL);
  g_assert_cmpuint (m->ptime, ==, 20);
  g_assert_cmpint (m->direction, ==, BELL_SDP_DIRECTION_SENDRECV);
  m = media_at (normal, 1);
  assert_format (format_at (m, 0), 97, "H264", 90000, 0,
                 "profile-level-id=4d0028;packetization-mode=1;"
                 "sprop-parameter-sets=Z0IAH5WoFAFuQA==,aM48gA==");
  assert_format (format_at (m, 1), 98, "VP8", 90000, 0, "minptime=10; useinbandfec=1");
  g_assert_cmpuint (m->cryptos->len, ==, 1);
  kp = ((BellSdpCrypto *) m->cryptos->pdata[0])->key_params->pdata[0];
  g_assert_cmpstr (((BellSdpCrypto *) m->cryptos->pdata[0])->suite, ==, "AES_CM_128_HMAC_SHA1_32");
  g_assert_cmpstr (kp->key, ==, "keNcG3HezSNID7LmfDa9J4lfdUL8W1F7TNJKcbuy");
  g_assert_cmpuint (kp->lifetime, ==, 1 << 20);
  g_assert_cmpuint (kp->mki, ==, 1);
  g_assert_cmpuint (kp->mki_length, ==, 32);

  /* hacky.sdp */
  m = media_at (hacky, 0);
  g_assert_cmpuint (m->rtcp_port, ==, 1);
  g_assert_cmpstr (m->rtcp_address, ==, "0.0.0.0");
  g_assert_true (m->rtcp_mux);
  g_assert_cmpstr (m->mid, ==, "audio");
  g_assert_cmpstr (m->label, ==, "1");
  g_assert_cmpuint (m->maxptime, ==, 60);
  assert_format (format_at (m, 0), 111, "opus", 48000, 2, "minptime=10");
  g_assert_cmpuint (media_at (hacky, 1)->rtcp_port, ==, 12312);
  g_assert_null (media_at (hacky, 1)->rtcp_address);
  g_assert_cmpstr (media_at (hacky, 2)->proto, ==, "DTLS/SCTP");
  g_assert_cmpstr (media_at (hacky, 2)->fmts->pdata[0], ==, "5000");
  g_assert_cmpstr (media_at (hacky, 2)->bandwidths->pdata[0], ==, "AS:30");

  /* invalid.sdp: the bad a=rtcp and the f= line are kept, not understood. */
  m = media_at (invalid, 0);
  g_assert_cmpuint (m->rtcp_port, ==, 0);
  g_assert_cmpuint (m->other_lines->len, ==, 1);
  g_assert_cmpstr (((BellSdpLine *) m->other_lines->pdata[0])->value, ==, "invalid:yes");
  g_assert_nonnull (bell_sdp_media_find_attribute (m, "goo", NULL));

  /* jssip.sdp: two crypto lines. */
  m = media_at (jssip, 0);
  g_assert_cmpuint (m->cryptos->len, ==, 2);
  g_assert_cmpuint (((BellSdpCrypto *) m->cryptos->pdata[0])->tag, ==, 0);
  g_assert_cmpuint (m->rtcp_port, ==, 60017);
  g_assert_cmpstr (m->rtcp_address, ==, "193.84.77.194");
  g_assert_true (bell_sdp_media_find_format_by_name (m, "telephone-event", 8000) != NULL);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
collect (GPtrArray *files, const char *dir, const char *label)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);
      g_autofree char *sub = g_strdup_printf ("%s/%s", label, (char *) names->pdata[i]);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        collect (files, path, sub);
      else if (g_str_has_suffix (names->pdata[i], ".sdp"))
        {
          CorpusFile *file = g_new0 (CorpusFile, 1);
          file->path = g_steal_pointer (&path);
          file->name = g_steal_pointer (&sub);
          for (guint k = 0; k < G_N_ELEMENTS (corpus_not_sdp); k++)
            if (g_str_equal (file->name, corpus_not_sdp[k].name))
              {
                g_test_message ("%s is not SDP: %s", file->name, corpus_not_sdp[k].why);
                file->refusal = corpus_not_sdp[k].error;
              }
          g_ptr_array_add (files, file);
        }
    }
}

int
main (int argc, char *argv[])
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (corpus_file_free);
  const char *corpus;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sdp/parse/rfc3264-offer", test_parse_rfc3264_offer);
  g_test_add_func ("/sdp/parse/rfc3264-answers", test_parse_rfc3264_answers);
  g_test_add_func ("/sdp/parse/rfc4317-dtmf-and-hold", test_parse_rfc4317_dtmf_and_hold);
  g_test_add_func ("/sdp/parse/direction-override", test_parse_direction_override);
  g_test_add_func ("/sdp/parse/static-payloads", test_parse_static_payloads);
  g_test_add_func ("/sdp/parse/rtpmap-fmtp", test_parse_rtpmap_fmtp);
  g_test_add_func ("/sdp/parse/rtcp", test_parse_rtcp);
  g_test_add_func ("/sdp/parse/crypto", test_parse_crypto);
  g_test_add_func ("/sdp/parse/mid-label-unknown", test_parse_mid_label_unknown);
  g_test_add_func ("/sdp/parse/addresses", test_parse_addresses);
  g_test_add_func ("/sdp/parse/all-fields", test_parse_all_fields);
  g_test_add_func ("/sdp/parse/tolerance", test_parse_tolerance);
  g_test_add_func ("/sdp/malformed/start", test_malformed_start);
  g_test_add_func ("/sdp/malformed/origin", test_malformed_origin);
  g_test_add_func ("/sdp/malformed/connection", test_malformed_connection);
  g_test_add_func ("/sdp/malformed/media", test_malformed_media);
  g_test_add_func ("/sdp/malformed/numbers", test_malformed_numbers);
  g_test_add_func ("/sdp/malformed/characters", test_malformed_characters);
  g_test_add_func ("/sdp/malformed/limits", test_malformed_limits);
  g_test_add_func ("/sdp/build/offer", test_build_offer);
  g_test_add_func ("/sdp/build/ipv6-and-setters", test_build_ipv6_and_setters);
  g_test_add_func ("/sdp/build/answer-from-copy", test_build_answer_from_copy);
  g_test_add_func ("/sdp/build/add-format-stale-lines", test_build_add_format_stale_lines);
  g_test_add_func ("/sdp/build/copy-media-and-crypto", test_build_copy_media_and_crypto);

  corpus = g_getenv ("BELL_CORPUS_DIR");
  if (corpus != NULL)
    {
      g_autofree char *transform = g_build_filename (corpus, "sdp", "sdp-transform", NULL);
      g_autofree char *pjmedia = g_build_filename (corpus, "sdp-offer-answer",
                                                   "pjmedia-sdp_neg_test", NULL);
      collect (files, transform, "sdp-transform");
      collect (files, pjmedia, "pjmedia");
    }
  if (files->len == 0)
    g_test_add_func ("/sdp/corpus", test_corpus_missing);
  else
    {
      g_test_add_data_func ("/sdp/corpus/oracle", corpus, test_corpus_oracle);
      for (guint i = 0; i < files->len; i++)
        {
          const CorpusFile *file = files->pdata[i];
          g_autofree char *path = g_strdup_printf ("/sdp/corpus/%s", file->name);
          g_test_add_data_func (path, file, test_corpus_file);
        }
    }

  return g_test_run ();
}
