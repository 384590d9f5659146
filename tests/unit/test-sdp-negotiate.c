/* test-sdp-negotiate.c: offer/answer (RFC 3264) as one call's negotiator does it. */
#include <glib.h>
#include <string.h>

#include "bell-sdp-negotiate.h"

static const char *const pcma_first[] = { "PCMA", "PCMU", NULL };

static BellSdpNegotiator *
negotiator (const char *const *codecs)
{
  BellSdpLocal local = { .address = "192.0.2.1", .rtp_port = 40000, .codecs = codecs };

  return bell_sdp_negotiator_new (&local);
}

static BellSdpSession *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  BellSdpSession *sdp = bell_sdp_session_parse (text, strlen (text), &error);

  g_assert_no_error (error);
  return sdp;
}

static char *
m_line (const BellSdpSession *sdp, guint i)
{
  const BellSdpMedia *m = sdp->media->pdata[i];
  g_autofree char *fmts = NULL;

  g_ptr_array_add (m->fmts, NULL);
  fmts = g_strjoinv (" ", (char **) m->fmts->pdata);
  g_ptr_array_remove_index (m->fmts, m->fmts->len - 1);
  return g_strdup_printf ("%s %u %s %s", m->media, m->port, m->proto, fmts);
}

/* The lines of an SDP text without its o= line (its session id is random), CRLF checked. */
static GStrv
lines_without_origin (const char *text)
{
  g_auto(GStrv) lines = NULL;
  g_autoptr(GStrvBuilder) kept = g_strv_builder_new ();

  g_assert_true (g_str_has_suffix (text, "\r\n"));
  lines = g_strsplit (text, "\r\n", -1);
  for (guint i = 0; lines[i] && lines[i + 1]; i++)
    if (!g_str_has_prefix (lines[i], "o="))
      g_strv_builder_add (kept, lines[i]);
  return g_strv_builder_end (kept);
}

static void
assert_lines (const char *text, const char *const *want)
{
  g_auto(GStrv) got = lines_without_origin (text);

  for (guint i = 0; want[i] || got[i]; i++)
    {
      if (g_strcmp0 (got[i], want[i]) != 0)
        g_error ("line %u: got \"%s\", want \"%s\"\n%s", i, got[i] ? got[i] : "(end)",
                 want[i] ? want[i] : "(end)", text);
    }
}

/* Our default offer, line by line: Opus with our fmtp, G.722, PCMU, PCMA, RED for Opus, G.722 and
 * each G.711 codec (four blocks: the primary and up to three copies), telephone-event at 48000
 * and 8000, ptime 20, sendrecv at our address. */
static void
test_offer (void)
{
  static const char *const want[] = {
    "v=0", "s=-", "c=IN IP4 192.0.2.1", "t=0 0",
    "m=audio 40000 RTP/AVP 111 9 0 8 123 124 121 122 110 101",
    "a=rtpmap:111 opus/48000/2",
    "a=fmtp:111 useinbandfec=1; usedtx=0; maxaveragebitrate=32000",
    "a=rtpmap:9 G722/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:123 red/48000/2",
    "a=fmtp:123 111/111/111/111",
    "a=rtpmap:124 red/8000",
    "a=fmtp:124 9/9/9/9",
    "a=rtpmap:121 red/8000",
    "a=fmtp:121 0/0/0/0",
    "a=rtpmap:122 red/8000",
    "a=fmtp:122 8/8/8/8",
    "a=rtpmap:110 telephone-event/48000",
    "a=fmtp:110 0-16",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-16",
    "a=ptime:20",
    "a=sendrecv",
    NULL,
  };
  g_autoptr(BellSdpNegotiator) n = negotiator (NULL);
  g_autofree char *offer = bell_sdp_negotiator_offer (n, FALSE);
  g_autoptr(BellSdpSession) sdp = parse (offer);
  const BellSdpMedia *audio = sdp->media->pdata[0];

  assert_lines (offer, want);
  g_assert_cmpint (bell_sdp_media_get_direction (sdp, audio), ==, BELL_SDP_DIRECTION_SENDRECV);
  g_assert_cmpstr (sdp->origin.username, ==, "bellbird");
}

/* The user's order; PCMU and PCMA added; unknown names kept out of the m= line; no Opus means
 * no telephone-event/48000. */
static void
test_offer_user_order (void)
{
  static const char *const g711[] = { "pcma", "iLBC", NULL };
  static const char *const wide[] = { "G722", "OPUS", NULL };
  g_autoptr(BellSdpNegotiator) a = negotiator (g711);
  g_autoptr(BellSdpNegotiator) b = negotiator (wide);
  g_autofree char *oa = bell_sdp_negotiator_offer (a, FALSE);
  g_autofree char *ob = bell_sdp_negotiator_offer (b, FALSE);
  g_autoptr(BellSdpSession) sa = parse (oa), sb = parse (ob);
  g_autofree char *ma = m_line (sa, 0), *mb = m_line (sb, 0);

  g_assert_cmpstr (ma, ==, "audio 40000 RTP/AVP 8 0 122 121 101");
  g_assert_cmpstr (mb, ==, "audio 40000 RTP/AVP 9 111 0 8 124 123 121 122 110 101");
  g_assert_null (strstr (oa, "telephone-event/48000"));
  g_assert_nonnull (strstr (oa, "a=fmtp:122 8/8/8/8\r\n"));
}

/* Low bandwidth: Opus first at 16 kb/s and a=ptime 40; an explicit bitrate is clamped to
 * Opus's range (RFC 7587 §6.1); no_redundancy: no RED, useinbandfec=0. */
static void
test_offer_options (void)
{
  static const char *const g711_opus[] = { "PCMU", "opus", NULL };
  static const char *const g711[] = { "PCMU", NULL };
  BellSdpLocal low = { .address = "192.0.2.1", .rtp_port = 40000, .codecs = g711_opus,
                       .low_bandwidth = TRUE };
  BellSdpLocal low_g711 = { .address = "192.0.2.1", .rtp_port = 40000, .codecs = g711,
                            .low_bandwidth = TRUE };
  BellSdpLocal fast = { .address = "192.0.2.1", .rtp_port = 40000, .max_bitrate = 900000 };
  BellSdpLocal slow = { .address = "192.0.2.1", .rtp_port = 40000, .max_bitrate = 10 };
  BellSdpLocal plain = { .address = "192.0.2.1", .rtp_port = 40000, .no_redundancy = TRUE };
  g_autoptr(BellSdpNegotiator) n1 = bell_sdp_negotiator_new (&low);
  g_autoptr(BellSdpNegotiator) n2 = bell_sdp_negotiator_new (&low_g711);
  g_autoptr(BellSdpNegotiator) n3 = bell_sdp_negotiator_new (&fast);
  g_autoptr(BellSdpNegotiator) n4 = bell_sdp_negotiator_new (&slow);
  g_autoptr(BellSdpNegotiator) n5 = bell_sdp_negotiator_new (&plain);
  g_autofree char *o1 = bell_sdp_negotiator_offer (n1, FALSE);
  g_autofree char *o2 = bell_sdp_negotiator_offer (n2, FALSE);
  g_autofree char *o3 = bell_sdp_negotiator_offer (n3, FALSE);
  g_autofree char *o4 = bell_sdp_negotiator_offer (n4, FALSE);
  g_autofree char *o5 = bell_sdp_negotiator_offer (n5, FALSE);
  g_autoptr(BellSdpSession) s1 = parse (o1), s2 = parse (o2), s5 = parse (o5);
  g_autofree char *m1 = m_line (s1, 0), *m2 = m_line (s2, 0), *m5 = m_line (s5, 0);

  g_assert_cmpstr (m1, ==, "audio 40000 RTP/AVP 111 0 8 123 121 122 110 101");
  g_assert_nonnull (strstr (o1, "a=fmtp:111 useinbandfec=1; usedtx=0; "
                                "maxaveragebitrate=16000\r\n"));
  g_assert_nonnull (strstr (o1, "a=ptime:40\r\n"));
  /* The user left Opus out: low bandwidth does not bring it back. */
  g_assert_cmpstr (m2, ==, "audio 40000 RTP/AVP 0 8 121 122 101");
  g_assert_nonnull (strstr (o3, "maxaveragebitrate=510000\r\n"));
  g_assert_nonnull (strstr (o4, "maxaveragebitrate=6000\r\n"));
  g_assert_nonnull (strstr (o4, "a=ptime:20\r\n"));
  g_assert_cmpstr (m5, ==, "audio 40000 RTP/AVP 111 9 0 8 110 101");
  g_assert_nonnull (strstr (o5, "a=fmtp:111 useinbandfec=0; usedtx=0; "
                                "maxaveragebitrate=32000\r\n"));
  g_assert_null (strstr (o5, "red/"));
}

/* The answer takes the user's first codec the offer has, with the offer's payload numbers,
 * and refuses the video stream with port 0 (RFC 3264 §6). */
static void
test_answer_order_and_refusal (void)
{
  static const char offer[] =
    "v=0\r\no=alice 2890844526 2890844526 IN IP4 198.51.100.7\r\ns=-\r\n"
    "c=IN IP4 198.51.100.7\r\nt=0 0\r\n"
    "m=audio 49170 RTP/AVP 0 8 97\r\na=rtpmap:97 telephone-event/8000\r\n"
    "m=video 51372 RTP/AVP 31\r\n";
  g_autoptr(BellSdpNegotiator) n = negotiator (pcma_first);
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = bell_sdp_negotiator_answer (n, offer, FALSE, &error);
  g_autoptr(BellSdpSession) sdp = NULL;
  g_autofree char *audio = NULL, *video = NULL;
  const BellSdpMediaPlan *plan = bell_sdp_negotiator_get_plan (n);

  g_assert_no_error (error);
  sdp = parse (answer);
  audio = m_line (sdp, 0);
  video = m_line (sdp, 1);
  g_assert_cmpstr (audio, ==, "audio 40000 RTP/AVP 8 97");
  g_assert_cmpstr (video, ==, "video 0 RTP/AVP 31");
  g_assert_true (plan->active && plan->send && plan->recv);
  g_assert_cmpstr (plan->encoding, ==, "PCMA");
  g_assert_cmpuint (plan->pt, ==, 8);
  g_assert_cmpint (plan->dtmf_pt, ==, 97);
  g_assert_cmpstr (plan->remote_address, ==, "198.51.100.7");
  g_assert_cmpuint (plan->remote_port, ==, 49170);
  g_assert_cmpuint (plan->remote_rtcp_port, ==, 49171);
}

/* Hold both ways (RFC 3264 §8.4): the peer's sendonly is answered recvonly and we send
 * nothing; our hold offer is sendonly; c=0.0.0.0 (RFC 2543) is a hold too. */
static void
test_hold (void)
{
  static const char held[] =
    "v=0\r\no=alice 1 2 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
    "m=audio 49170 RTP/AVP 0\r\na=sendonly\r\n";
  static const char old_hold[] =
    "v=0\r\no=alice 1 3 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
    "m=audio 49170 RTP/AVP 0\r\n";
  g_autoptr(BellSdpNegotiator) n = negotiator (NULL);
  g_autofree char *a1 = bell_sdp_negotiator_answer (n, held, FALSE, NULL);
  g_autoptr(BellSdpSession) s1 = parse (a1);
  const BellSdpMediaPlan *plan = bell_sdp_negotiator_get_plan (n);
  g_autofree char *offer = NULL, *a2 = NULL;
  g_autoptr(BellSdpSession) s2 = NULL, s3 = NULL;

  g_assert_cmpint (bell_sdp_media_get_direction (s1, s1->media->pdata[0]), ==,
                   BELL_SDP_DIRECTION_RECVONLY);
  g_assert_false (plan->send);
  g_assert_true (plan->recv);
  /* Holding a call that holds us: inactive. */
  offer = bell_sdp_negotiator_offer (n, TRUE);
  s2 = parse (offer);
  g_assert_cmpint (bell_sdp_media_get_direction (s2, s2->media->pdata[0]), ==,
                   BELL_SDP_DIRECTION_INACTIVE);
  a2 = bell_sdp_negotiator_answer (n, old_hold, FALSE, NULL);
  s3 = parse (a2);
  g_assert_false (bell_sdp_negotiator_get_plan (n)->send);
}

/* A re-offer leads with the codec in use; the o= line stays, its version + 1 on a change and
 * the same for an identical description (RFC 3264 §8). */
static void
test_reoffer_keeps_codec_and_origin (void)
{
  static const char answer[] =
    "v=0\r\no=bob 7 7 IN IP4 198.51.100.9\r\ns=-\r\nc=IN IP4 198.51.100.9\r\nt=0 0\r\n"
    "m=audio 5004 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\n";
  g_autoptr(BellSdpNegotiator) n = negotiator (NULL);
  g_autofree char *o1 = bell_sdp_negotiator_offer (n, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *o2 = NULL, *o3 = NULL, *o4 = NULL;
  g_autoptr(BellSdpSession) s1 = parse (o1), s2 = NULL, s3 = NULL, s4 = NULL;
  g_autofree char *m2 = NULL;

  g_assert_true (bell_sdp_negotiator_apply_answer (n, answer, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (bell_sdp_negotiator_get_plan (n)->encoding, ==, "PCMA");
  o2 = bell_sdp_negotiator_offer (n, FALSE);
  s2 = parse (o2);
  m2 = m_line (s2, 0);
  /* PCMA in use first, with its telephone-event number; the rest in our order. */
  g_assert_cmpstr (m2, ==, "audio 40000 RTP/AVP 8 111 9 0 122 123 124 121 110 101");
  g_assert_cmpstr (s2->origin.sess_id, ==, s1->origin.sess_id);
  g_assert_cmpuint (s2->origin.sess_version, ==, s1->origin.sess_version + 1);
  o3 = bell_sdp_negotiator_offer (n, FALSE);
  s3 = parse (o3);
  g_assert_cmpuint (s3->origin.sess_version, ==, s2->origin.sess_version);
  o4 = bell_sdp_negotiator_offer (n, TRUE);
  s4 = parse (o4);
  g_assert_cmpuint (s4->origin.sess_version, ==, s3->origin.sess_version + 1);
}

/* What cannot be negotiated gets a reason, never a crash. */
static void
test_refusals (void)
{
  static const char g729_only[] =
    "v=0\r\no=a 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
    "m=audio 49170 RTP/AVP 18\r\n";
  static const char rejected[] =
    "v=0\r\no=b 1 1 IN IP4 198.51.100.9\r\ns=-\r\nc=IN IP4 198.51.100.9\r\nt=0 0\r\n"
    "m=audio 0 RTP/AVP 0\r\n";
  static const char foreign[] =
    "v=0\r\no=b 1 1 IN IP4 198.51.100.9\r\ns=-\r\nc=IN IP4 198.51.100.9\r\nt=0 0\r\n"
    "m=audio 5004 RTP/AVP 18\r\n";
  g_autoptr(BellSdpNegotiator) n = negotiator (NULL);
  static const char two_streams[] =
    "v=0\r\no=a 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
    "m=audio 49172 RTP/AVP 97\r\na=rtpmap:97 iLBC/8000\r\n"
    "m=audio 49174 RTP/AVP 98\r\na=rtpmap:98 telephone-event/8000\r\n";
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, e5 = NULL, e6 = NULL;
  g_autofree char *offer = NULL;

  g_assert_null (bell_sdp_negotiator_answer (n, g729_only, FALSE, &e1));
  g_assert_cmpstr (e1->message, ==, "no common audio codec (we take OPUS, G722, PCMU, PCMA)");
  /* Two audio streams, neither with our codecs: one reason (ASan: and no leak). */
  g_assert_null (bell_sdp_negotiator_answer (n, two_streams, FALSE, &e6));
  g_assert_nonnull (strstr (e6->message, "no common audio codec"));
  g_assert_null (bell_sdp_negotiator_answer (n, "v=0\r\nm=audio x\r\n", FALSE, &e2));
  g_assert_nonnull (e2);
  g_assert_false (bell_sdp_negotiator_apply_answer (n, rejected, &e3));   /* no offer yet */
  offer = bell_sdp_negotiator_offer (n, FALSE);
  g_assert_false (bell_sdp_negotiator_apply_answer (n, rejected, &e4));
  g_assert_nonnull (strstr (e4->message, "refused"));
  g_assert_false (bell_sdp_negotiator_apply_answer (n, foreign, &e5));
}

/* Offers of real peers (their style; addresses and numbers as they write them). */
#define SESSION(user, addr) \
  "v=0\r\no=" user " 1 1 IN IP4 " addr "\r\ns=-\r\nc=IN IP4 " addr "\r\nt=0 0\r\n"

/* Asterisk 18 with codec_opus: Opus with useinbandfec, events at 8000 only. */
static const char asterisk_offer[] =
  SESSION ("root", "198.51.100.10")
  "m=audio 10000 RTP/AVP 107 9 0 8 101\r\n"
  "a=rtpmap:107 opus/48000/2\r\na=fmtp:107 useinbandfec=1\r\n"
  "a=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
  "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
  "a=ptime:20\r\na=maxptime:150\r\na=sendrecv\r\n";

/* FreeSWITCH 1.10: parameters with blanks (and its ptime inside them), events on both clocks,
 * comfort noise. */
static const char freeswitch_offer[] =
  SESSION ("FreeSWITCH", "198.51.100.11")
  "m=audio 16384 RTP/AVP 102 9 0 8 100 101 13\r\n"
  "a=rtpmap:102 opus/48000/2\r\n"
  "a=fmtp:102 useinbandfec=1; maxaveragebitrate=30000; maxplaybackrate=48000; ptime=20; "
  "minptime=10; maxptime=40\r\n"
  "a=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
  "a=rtpmap:100 telephone-event/48000\r\na=fmtp:100 0-16\r\n"
  "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
  "a=rtpmap:13 CN/8000\r\na=ptime:20\r\n";

/* baresip 1.0 (captured from Debian's, modules g711, g722, opus): G.711 first, Opus stereo. */
static const char baresip_offer[] =
  SESSION ("-", "127.0.0.1")
  "a=tool:baresip 1.0.0\r\n"
  "m=audio 15162 RTP/AVP 0 8 9 96 101\r\n"
  "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:9 G722/8000\r\n"
  "a=rtpmap:96 opus/48000/2\r\na=fmtp:96 stereo=1;sprop-stereo=1\r\n"
  "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
  "a=sendrecv\r\na=label:1\r\na=rtcp-rsize\r\na=minptime:20\r\na=ptime:20\r\n";

/* A WebRTC browser's audio behind a gateway that speaks RTP/AVP: RED for Opus, DTX asked. */
static const char webrtc_offer[] =
  SESSION ("-", "203.0.113.5")
  "m=audio 50000 RTP/AVP 111 63 9 0 8 13 110 126\r\n"
  "a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\n"
  "a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\r\n"
  "a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\n"
  "a=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
  "a=rtpmap:13 CN/8000\r\na=rtpmap:110 telephone-event/48000\r\n"
  "a=rtpmap:126 telephone-event/8000\r\na=rtcp-mux\r\na=sendrecv\r\n";

static char *
answer_ok (BellSdpNegotiator *n, const char *offer)
{
  g_autoptr(GError) error = NULL;
  char *answer = bell_sdp_negotiator_answer (n, offer, FALSE, &error);

  g_assert_no_error (error);
  g_assert_nonnull (answer);
  return answer;
}

static char *
answer_m_line (BellSdpNegotiator *n, const char *offer)
{
  g_autofree char *answer = answer_ok (n, offer);
  g_autoptr(BellSdpSession) sdp = parse (answer);

  return m_line (sdp, 0);
}

/* Asterisk: Opus under its number, our own fmtp and opus/48000/2 in the answer, the events at
 * 8000 (all it has); the plan says what its decoder wants (FEC) and what it did not say. */
static void
test_answer_asterisk (void)
{
  g_autoptr(BellSdpNegotiator) n = negotiator (NULL);
  g_autofree char *answer = answer_ok (n, asterisk_offer);
  g_autoptr(BellSdpSession) sdp = parse (answer);
  g_autofree char *m = m_line (sdp, 0);
  const BellSdpMediaPlan *plan = bell_sdp_negotiator_get_plan (n);

  g_assert_cmpstr (m, ==, "audio 40000 RTP/AVP 107 101");
  g_assert_nonnull (strstr (answer, "a=rtpmap:107 opus/48000/2\r\n"));
  g_assert_nonnull (strstr (answer, "a=fmtp:107 useinbandfec=1; usedtx=0; "
                                    "maxaveragebitrate=32000\r\n"));
  g_assert_nonnull (strstr (answer, "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"));
  g_assert_true (plan->active && plan->send && plan->recv);
  g_assert_cmpstr (plan->encoding, ==, "OPUS");
  g_assert_cmpuint (plan->pt, ==, 107);
  g_assert_cmpuint (plan->clock_rate, ==, 48000);
  g_assert_cmpuint (plan->audio_rate, ==, 48000);
  g_assert_cmpuint (plan->channels, ==, 2);
  g_assert_cmpuint (plan->ptime, ==, 20);
  g_assert_true (plan->opus_fec);
  g_assert_cmpuint (plan->max_bitrate, ==, 0);
  g_assert_cmpuint (plan->max_playback_rate, ==, 0);
  g_assert_false (plan->dtx);
  g_assert_cmpint (plan->dtmf_pt, ==, 101);
  g_assert_cmpuint (plan->dtmf_clock_rate, ==, 8000);
  g_assert_cmpint (plan->red_pt, ==, -1);
}

/* FreeSWITCH: its bitrate cap read through the blanks, events on Opus's clock; with G.722
 * first in our order, G.722 (RTP clock 8000, audio 16000) and the 8000 events. */
static void
test_answer_freeswitch (void)
{
  static const char *const g722_first[] = { "G722", "opus", NULL };
  g_autoptr(BellSdpNegotiator) n = negotiator (NULL);
  g_autoptr(BellSdpNegotiator) w = negotiator (g722_first);
  g_autofree char *m = answer_m_line (n, freeswitch_offer);
  g_autofree char *mw = answer_m_line (w, freeswitch_offer);
  const BellSdpMediaPlan *plan = bell_sdp_negotiator_get_plan (n);
  const BellSdpMediaPlan *wide = bell_sdp_negotiator_get_plan (w);

  g_assert_cmpstr (m, ==, "audio 40000 RTP/AVP 102 100");
  g_assert_cmpstr (plan->encoding, ==, "OPUS");
  g_assert_true (plan->opus_fec);
  g_assert_cmpuint (plan->max_bitrate, ==, 30000);
  g_assert_cmpuint (plan->max_playback_rate, ==, 48000);
  g_assert_cmpint (plan->dtmf_pt, ==, 100);
  g_assert_cmpuint (plan->dtmf_clock_rate, ==, 48000);

  g_assert_cmpstr (mw, ==, "audio 40000 RTP/AVP 9 101");
  g_assert_cmpstr (wide->encoding, ==, "G722");
  g_assert_cmpuint (wide->pt, ==, 9);
  g_assert_cmpuint (wide->clock_rate, ==, 8000);
  g_assert_cmpuint (wide->audio_rate, ==, 16000);
  g_assert_cmpuint (wide->channels, ==, 1);
  g_assert_false (wide->opus_fec);
  g_assert_cmpint (wide->dtmf_pt, ==, 101);
  g_assert_cmpuint (wide->dtmf_clock_rate, ==, 8000);
  g_assert_cmpint (wide->red_pt, ==, -1);
}

/* baresip: our order wins over its (Opus, not its first PCMU); its stereo wishes do not make
 * us send stereo and it asks no FEC; a PCMA-first user gets PCMA. */
static void
test_answer_baresip (void)
{
  g_autoptr(BellSdpNegotiator) n = negotiator (NULL);
  g_autoptr(BellSdpNegotiator) a = negotiator (pcma_first);
  g_autofree char *m = answer_m_line (n, baresip_offer);
  g_autofree char *ma = answer_m_line (a, baresip_offer);
  const BellSdpMediaPlan *plan = bell_sdp_negotiator_get_plan (n);

  g_assert_cmpstr (m, ==, "audio 40000 RTP/AVP 96 101");
  g_assert_cmpstr (plan->encoding, ==, "OPUS");
  g_assert_cmpuint (plan->channels, ==, 2);
  g_assert_false (plan->opus_fec);
  g_assert_false (plan->dtx);
  g_assert_cmpuint (plan->dtmf_clock_rate, ==, 8000);
  g_assert_cmpstr (ma, ==, "audio 40000 RTP/AVP 8 101");
  g_assert_cmpstr (bell_sdp_negotiator_get_plan (a)->encoding, ==, "PCMA");
}

/* baresip's answer to our default offer (captured): Opus under our number, all its codecs
 * listed, events at 8000 only. */
static void
test_apply_baresip_answer (void)
{
  static const char answer[] =
    SESSION ("-", "127.0.0.1")
    "a=tool:baresip 1.0.0\r\n"
    "m=audio 15164 RTP/AVP 111 9 0 8 101\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 stereo=1;sprop-stereo=1\r\n"
    "a=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n"
    "a=sendrecv\r\na=label:1\r\na=minptime:20\r\na=ptime:20\r\n";
  g_autoptr(BellSdpNegotiator) n = negotiator (NULL);
  g_autofree char *offer = bell_sdp_negotiator_offer (n, FALSE);
  g_autoptr(GError) error = NULL;
  const BellSdpMediaPlan *plan = bell_sdp_negotiator_get_plan (n);

  g_assert_true (bell_sdp_negotiator_apply_answer (n, answer, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (plan->encoding, ==, "OPUS");
  g_assert_cmpuint (plan->pt, ==, 111);
  g_assert_cmpuint (plan->channels, ==, 2);
  g_assert_false (plan->opus_fec);
  g_assert_cmpint (plan->dtmf_pt, ==, 101);
  g_assert_cmpuint (plan->dtmf_clock_rate, ==, 8000);
  g_assert_cmpint (plan->red_pt, ==, -1);
  g_assert_cmpstr (plan->remote_address, ==, "127.0.0.1");
  g_assert_cmpuint (plan->remote_port, ==, 15164);
}

/* PBX answers to our default offer: FreeSWITCH takes Opus with the 48000 events and says its
 * cap; Asterisk without Opus takes G.722 by its static number alone (no rtpmap), the 8000
 * events; a G.711-only PBX answers PCMA and leaves our red types out. */
static void
test_apply_pbx_answers (void)
{
  static const char freeswitch[] =
    SESSION ("FreeSWITCH", "198.51.100.11")
    "m=audio 16386 RTP/AVP 111 110\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 useinbandfec=1; maxaveragebitrate=24000; maxplaybackrate=16000\r\n"
    "a=rtpmap:110 telephone-event/48000\r\na=fmtp:110 0-16\r\na=ptime:20\r\n";
  static const char asterisk[] =
    SESSION ("root", "198.51.100.10")
    "m=audio 10002 RTP/AVP 9 101\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n";
  static const char g711[] =
    SESSION ("pbx", "198.51.100.12")
    "m=audio 10004 RTP/AVP 8 101\r\n"
    "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n";
  static const char *const answers[] = { freeswitch, asterisk, g711 };
  static const struct
  {
    const char *encoding;
    guint       pt, clock_rate, audio_rate, max_bitrate, max_playback_rate;
    gint        dtmf_pt;
    guint       dtmf_clock_rate;
  } want[] = {
    { "OPUS", 111, 48000, 48000, 24000, 16000, 110, 48000 },
    { "G722", 9, 8000, 16000, 0, 0, 101, 8000 },
    { "PCMA", 8, 8000, 8000, 0, 0, 101, 8000 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      g_autoptr(BellSdpNegotiator) n = negotiator (NULL);
      g_autofree char *offer = bell_sdp_negotiator_offer (n, FALSE);
      const BellSdpMediaPlan *plan = bell_sdp_negotiator_get_plan (n);
      g_autoptr(GError) error = NULL;

      g_assert_true (bell_sdp_negotiator_apply_answer (n, answers[i], &error));
      g_assert_no_error (error);
      g_assert_cmpstr (plan->encoding, ==, want[i].encoding);
      g_assert_cmpuint (plan->pt, ==, want[i].pt);
      g_assert_cmpuint (plan->clock_rate, ==, want[i].clock_rate);
      g_assert_cmpuint (plan->audio_rate, ==, want[i].audio_rate);
      g_assert_cmpuint (plan->max_bitrate, ==, want[i].max_bitrate);
      g_assert_cmpuint (plan->max_playback_rate, ==, want[i].max_playback_rate);
      g_assert_cmpint (plan->dtmf_pt, ==, want[i].dtmf_pt);
      g_assert_cmpuint (plan->dtmf_clock_rate, ==, want[i].dtmf_clock_rate);
      g_assert_cmpint (plan->red_pt, ==, -1);
      g_assert_true (plan->send && plan->recv);
    }
}

/* WebRTC: Opus with its RED (two blocks: we send at most one copy) and the 48000 events. DTX
 * as asked. */
static void
test_answer_webrtc (void)
{
  g_autoptr(BellSdpNegotiator) n = negotiator (NULL);
  g_autofree char *answer = answer_ok (n, webrtc_offer);
  g_autoptr(BellSdpSession) sdp = parse (answer);
  g_autofree char *m = m_line (sdp, 0);
  const BellSdpMediaPlan *plan = bell_sdp_negotiator_get_plan (n);

  g_assert_cmpstr (m, ==, "audio 40000 RTP/AVP 111 63 110");
  g_assert_nonnull (strstr (answer, "a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\n"));
  g_assert_nonnull (strstr (answer, "a=rtpmap:110 telephone-event/48000\r\na=fmtp:110 0-16\r\n"));
  g_assert_true (plan->opus_fec);
  g_assert_true (plan->dtx);
  g_assert_cmpint (plan->red_pt, ==, 63);
  g_assert_cmpuint (plan->red_primary_pt, ==, 111);
  g_assert_cmpuint (plan->red_max_distance, ==, 1);
  g_assert_cmpint (plan->dtmf_pt, ==, 110);
  g_assert_cmpuint (plan->dtmf_clock_rate, ==, 48000);
  g_assert_true (plan->rtcp_mux == FALSE);   /* our local.rtcp_mux is off here */
}

/* Two Bellbirds: Opus both ways with RED, each plan with the other's wishes; the low-bandwidth
 * one asks 16 kb/s and 40 ms packets. */
static void
test_bellbird_to_bellbird_opus (void)
{
  BellSdpLocal low = { .address = "192.0.2.2", .rtp_port = 41000, .low_bandwidth = TRUE };
  g_autoptr(BellSdpNegotiator) a = negotiator (NULL);
  g_autoptr(BellSdpNegotiator) b = bell_sdp_negotiator_new (&low);
  g_autofree char *offer = bell_sdp_negotiator_offer (a, FALSE);
  g_autofree char *answer = answer_ok (b, offer);
  g_autoptr(GError) error = NULL;
  const BellSdpMediaPlan *pa = bell_sdp_negotiator_get_plan (a);
  const BellSdpMediaPlan *pb = bell_sdp_negotiator_get_plan (b);

  g_assert_true (bell_sdp_negotiator_apply_answer (a, answer, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (pa->encoding, ==, "OPUS");
  g_assert_cmpstr (pb->encoding, ==, "OPUS");
  g_assert_cmpuint (pa->pt, ==, 111);
  g_assert_cmpuint (pb->pt, ==, 111);
  g_assert_true (pa->opus_fec && pb->opus_fec);
  g_assert_cmpuint (pa->max_bitrate, ==, 16000);   /* b asks little */
  g_assert_cmpuint (pb->max_bitrate, ==, 32000);
  g_assert_cmpuint (pa->ptime, ==, 40);
  g_assert_cmpuint (pb->ptime, ==, 20);
  g_assert_cmpint (pa->dtmf_pt, ==, 110);
  g_assert_cmpint (pb->dtmf_pt, ==, 110);
  g_assert_cmpuint (pa->dtmf_clock_rate, ==, 48000);
  /* RED for Opus both ways (the low-bandwidth side starts with no copies: bell-media-session). */
  g_assert_cmpint (pa->red_pt, ==, 123);
  g_assert_cmpint (pb->red_pt, ==, 123);
  g_assert_cmpuint (pa->red_max_distance, ==, 3);
}

/* RED for G.711 between two Bellbirds: the answer keeps the red type of the chosen codec only,
 * both plans have it; a side with no_redundancy answers without it; a peer's "FEC off" is
 * obeyed in our plan too. */
static void
test_red_between_two (void)
{
  static const char *const pcmu[] = { "PCMU", NULL };
  BellSdpLocal plain = { .address = "192.0.2.3", .rtp_port = 42000, .no_redundancy = TRUE };
  g_autoptr(BellSdpNegotiator) a = negotiator (pcmu);
  g_autoptr(BellSdpNegotiator) b = negotiator (pcma_first);
  g_autoptr(BellSdpNegotiator) c = bell_sdp_negotiator_new (&plain);
  g_autoptr(BellSdpNegotiator) d = negotiator (pcmu);
  g_autofree char *offer = bell_sdp_negotiator_offer (a, FALSE);
  g_autofree char *answer = answer_ok (b, offer);
  g_autofree char *offer2 = bell_sdp_negotiator_offer (d, FALSE);
  g_autofree char *answer2 = answer_ok (c, offer2);
  g_autoptr(BellSdpSession) sdp = parse (answer), sdp2 = parse (answer2);
  g_autofree char *m = m_line (sdp, 0), *m2 = m_line (sdp2, 0);
  g_autoptr(GError) error = NULL;
  const BellSdpMediaPlan *pa = bell_sdp_negotiator_get_plan (a);
  const BellSdpMediaPlan *pb = bell_sdp_negotiator_get_plan (b);

  /* b prefers PCMA: PCMA with its red (122, 8/8/8/8); PCMU's red (121) is left out. Up to
   * three copies each way. */
  g_assert_cmpstr (m, ==, "audio 40000 RTP/AVP 8 122 101");
  g_assert_nonnull (strstr (answer, "a=rtpmap:122 red/8000\r\na=fmtp:122 8/8/8/8\r\n"));
  g_assert_cmpint (pb->red_pt, ==, 122);
  g_assert_cmpuint (pb->red_primary_pt, ==, 8);
  g_assert_cmpuint (pb->red_max_distance, ==, 3);
  g_assert_true (bell_sdp_negotiator_apply_answer (a, answer, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (pa->encoding, ==, "PCMA");
  g_assert_cmpint (pa->red_pt, ==, 122);
  g_assert_cmpuint (pa->red_primary_pt, ==, 8);
  g_assert_cmpuint (pa->red_max_distance, ==, 3);
  g_assert_cmpuint (pa->audio_rate, ==, 8000);

  g_assert_cmpstr (m2, ==, "audio 42000 RTP/AVP 0 101");
  g_assert_cmpint (bell_sdp_negotiator_get_plan (c)->red_pt, ==, -1);
  g_assert_true (bell_sdp_negotiator_apply_answer (d, answer2, &error));
  g_assert_cmpint (bell_sdp_negotiator_get_plan (d)->red_pt, ==, -1);
}

/* RED only as RFC 2198 §5 describes it and only of the codec itself: mixed, looping, unknown,
 * malformed or on another clock is not taken; two redundant blocks are. */
static void
test_red_hostile (void)
{
  static const struct
  {
    const char *lines;
    gint        red_pt;
  } cases[] = {
    { "a=rtpmap:97 red/8000\r\na=fmtp:97 0/0\r\n", 97 },
    { "a=rtpmap:97 red/8000\r\na=fmtp:97 0/0/0\r\n", 97 },
    { "a=rtpmap:97 red/8000\r\na=fmtp:97 0 / 0\r\n", 97 },
    { "a=rtpmap:97 red/8000\r\na=fmtp:97 0/8\r\n", -1 },
    { "a=rtpmap:97 red/8000\r\na=fmtp:97 97/97\r\n", -1 },
    { "a=rtpmap:97 red/8000\r\na=fmtp:97 0\r\n", -1 },
    { "a=rtpmap:97 red/8000\r\na=fmtp:97 0/abc\r\n", -1 },
    { "a=rtpmap:97 red/8000\r\na=fmtp:97 0/99999999999999999999999\r\n", -1 },
    { "a=rtpmap:97 red/8000\r\na=fmtp:97 0/0/0/0/0/0/0/0/0/0/0/0\r\n", -1 },
    { "a=rtpmap:97 red/8000\r\na=fmtp:97 //\r\n", -1 },
    { "a=rtpmap:97 red/8000\r\n", -1 },
    { "a=rtpmap:97 red/16000\r\na=fmtp:97 0/0\r\n", -1 },
    { "a=fmtp:97 0/0\r\n", -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *offer = g_strconcat (SESSION ("x", "198.51.100.7"),
                                            "m=audio 49170 RTP/AVP 0 97\r\n", cases[i].lines,
                                            NULL);
      g_autoptr(BellSdpNegotiator) n = negotiator (NULL);
      g_autofree char *answer = answer_ok (n, offer);
      const BellSdpMediaPlan *plan = bell_sdp_negotiator_get_plan (n);

      g_test_message ("case %u: %s", i, cases[i].lines);
      g_assert_cmpstr (plan->encoding, ==, "PCMU");
      g_assert_cmpint (plan->red_pt, ==, cases[i].red_pt);
      g_assert_true ((strstr (answer, "red/8000") != NULL) == (cases[i].red_pt >= 0));
    }
}

/* Opus as it should not come: on another clock (not taken), one channel (taken, answered
 * /2), parameters that are garbage or out of range (ignored or clamped); G722/16000 is not
 * G.722; a dynamic type without rtpmap is nothing. */
static void
test_hostile_codecs (void)
{
  static const struct
  {
    const char *formats;
    const char *encoding;      /* NULL: refused */
    guint       max_bitrate;
    gboolean    fec;
  } cases[] = {
    { "96\r\na=rtpmap:96 opus/8000/2", NULL, 0, FALSE },
    { "96 0\r\na=rtpmap:96 opus/8000", "PCMU", 0, FALSE },
    { "96\r\na=rtpmap:96 OPUS/48000/1", "OPUS", 0, FALSE },
    { "96\r\na=rtpmap:96 opus/48000", "OPUS", 0, FALSE },
    { "96\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 maxaveragebitrate=99999999999999999999999",
      "OPUS", 0, FALSE },
    { "96\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 maxaveragebitrate=1000000;useinbandfec=1",
      "OPUS", 510000, TRUE },
    { "96\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 MaxAverageBitrate = 100 ; UseInbandFEC = 1",
      "OPUS", 6000, TRUE },
    { "96\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 ;;==;useinbandfec;usedtx=;maxaveragebitrate=-5",
      "OPUS", 0, FALSE },
    { "96\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=yes; maxaveragebitrate=0x100",
      "OPUS", 0, FALSE },
    { "96\r\na=rtpmap:96 opus/48000/2\r\na=fmtp:96 maxplaybackrate=4;sprop-maxcapturerate=x",
      "OPUS", 0, FALSE },
    { "9 8\r\na=rtpmap:9 G722/16000", "PCMA", 0, FALSE },
    { "96 97 8\r\na=fmtp:96 useinbandfec=1", "PCMA", 0, FALSE },
    { "0\r\na=rtpmap:0 PCMU/8000/2", NULL, 0, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *offer = g_strconcat (SESSION ("x", "198.51.100.7"),
                                            "m=audio 49170 RTP/AVP ", cases[i].formats, "\r\n",
                                            NULL);
      g_autoptr(BellSdpNegotiator) n = negotiator (NULL);
      g_autoptr(GError) error = NULL;
      g_autofree char *answer = bell_sdp_negotiator_answer (n, offer, FALSE, &error);
      const BellSdpMediaPlan *plan = bell_sdp_negotiator_get_plan (n);

      g_test_message ("case %u: %s", i, cases[i].formats);
      if (!cases[i].encoding)
        {
          g_assert_null (answer);
          g_assert_error (error, BELL_SDP_ERROR, BELL_SDP_ERROR_MALFORMED);
          g_assert_nonnull (strstr (error->message, "codec"));
          continue;
        }
      g_assert_no_error (error);
      g_assert_cmpstr (plan->encoding, ==, cases[i].encoding);
      g_assert_cmpuint (plan->max_bitrate, ==, cases[i].max_bitrate);
      g_assert_cmpint (plan->opus_fec, ==, cases[i].fec);
      /* A playback rate below Opus's narrowest is its narrowest. */
      g_assert_cmpuint (plan->max_playback_rate, ==,
                        strstr (cases[i].formats, "maxplaybackrate=4") ? 8000 : 0);
      if (g_str_equal (cases[i].encoding, "OPUS"))
        {
          g_assert_cmpuint (plan->channels, ==, 2);
          g_assert_nonnull (strstr (answer, "a=rtpmap:96 opus/48000/2\r\n"));
        }
    }
}

/* The peer's a=ptime made one we can send. */
static void
test_ptime (void)
{
  static const struct
  {
    const char *codec;
    const char *ptime;
    guint       want;
  } cases[] = {
    { "0", "a=ptime:30\r\n", 30 }, { "0", "a=ptime:25\r\n", 20 }, { "0", "a=ptime:1\r\n", 10 },
    { "0", "a=ptime:5000\r\n", 60 }, { "0", "", 20 },
    { "96\r\na=rtpmap:96 opus/48000/2", "a=ptime:30\r\n", 20 },
    { "96\r\na=rtpmap:96 opus/48000/2", "a=ptime:40\r\n", 40 },
    { "96\r\na=rtpmap:96 opus/48000/2", "a=ptime:120\r\n", 60 },
    { "96\r\na=rtpmap:96 opus/48000/2", "", 20 },
    { "0", "a=ptime:40\r\na=maxptime:30\r\n", 30 },
    { "96\r\na=rtpmap:96 opus/48000/2", "a=maxptime:30\r\n", 20 },
    { "96\r\na=rtpmap:96 opus/48000/2", "a=ptime:60\r\na=maxptime:40\r\n", 40 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *offer = g_strconcat (SESSION ("x", "198.51.100.7"),
                                            "m=audio 49170 RTP/AVP ", cases[i].codec, "\r\n",
                                            cases[i].ptime, NULL);
      g_autoptr(BellSdpNegotiator) n = negotiator (NULL);
      g_autofree char *answer = answer_ok (n, offer);

      g_assert_cmpuint (bell_sdp_negotiator_get_plan (n)->ptime, ==, cases[i].want);
    }
}

/* Within a call the dynamic numbers stay (RFC 3264 §8.3.2): after answering an offer whose
 * Opus is 96 and whose events are 111, our re-offer keeps both and puts nothing else there. */
static void
test_reoffer_keeps_numbers (void)
{
  static const char offer[] =
    SESSION ("x", "198.51.100.7")
    "m=audio 49170 RTP/AVP 96 0 111\r\n"
    "a=rtpmap:96 opus/48000/2\r\na=rtpmap:111 telephone-event/8000\r\n";
  g_autoptr(BellSdpNegotiator) n = negotiator (NULL);
  g_autofree char *answer = answer_ok (n, offer);
  g_autofree char *reoffer = bell_sdp_negotiator_offer (n, FALSE);
  g_autoptr(BellSdpSession) sdp = parse (reoffer);
  g_autofree char *m = m_line (sdp, 0);
  const BellSdpMedia *audio = sdp->media->pdata[0];

  g_assert_cmpstr (m, ==, "audio 40000 RTP/AVP 96 9 0 8 123 124 121 122 110 111");
  g_assert_cmpstr (bell_sdp_media_find_format (audio, 96)->encoding, ==, "opus");
  g_assert_cmpstr (bell_sdp_media_find_format (audio, 111)->encoding, ==, "telephone-event");
  g_assert_cmpuint (bell_sdp_media_find_format (audio, 111)->clock_rate, ==, 8000);
  g_assert_cmpuint (bell_sdp_media_find_format (audio, 110)->clock_rate, ==, 48000);
}

/* An answer whose rtpmap contradicts our offer: that format is not the codec, nor RED. */
static void
test_apply_answer_contradicting (void)
{
  static const char *const pcmu[] = { "PCMU", NULL };
  static const char answer[] =
    SESSION ("y", "198.51.100.9")
    "m=audio 5004 RTP/AVP 111 0 121\r\n"
    "a=rtpmap:111 iLBC/8000\r\na=rtpmap:121 iLBC/8000\r\n";
  static const char answer_red_bare[] =
    SESSION ("y", "198.51.100.9")
    "m=audio 5004 RTP/AVP 0 121\r\na=rtpmap:121 red/8000\r\n";
  g_autoptr(BellSdpNegotiator) n = negotiator (NULL);
  g_autoptr(BellSdpNegotiator) u = negotiator (pcmu);
  g_autofree char *offer = bell_sdp_negotiator_offer (n, FALSE);
  g_autofree char *offer2 = bell_sdp_negotiator_offer (u, FALSE);
  g_autoptr(GError) error = NULL;

  g_assert_true (bell_sdp_negotiator_apply_answer (n, answer, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (bell_sdp_negotiator_get_plan (n)->encoding, ==, "PCMU");
  g_assert_cmpint (bell_sdp_negotiator_get_plan (n)->red_pt, ==, -1);
  /* A red type without its fmtp in the answer: ours says what it carries. */
  g_assert_true (bell_sdp_negotiator_apply_answer (u, answer_red_bare, &error));
  g_assert_cmpint (bell_sdp_negotiator_get_plan (u)->red_pt, ==, 121);
  g_assert_cmpuint (bell_sdp_negotiator_get_plan (u)->red_primary_pt, ==, 0);
}

/* What every plan must hold, whatever the peer wrote. */
static void
assert_plan_sane (const BellSdpMediaPlan *p)
{
  static const char *const names[] = { "OPUS", "G722", "PCMU", "PCMA", NULL };
  gboolean opus;

  if (!p->active)
    return;
  g_assert_nonnull (p->remote_address);
  g_assert_true (g_strv_contains (names, p->encoding));
  opus = g_str_equal (p->encoding, "OPUS");
  g_assert_cmpuint (p->pt, <=, 127);
  g_assert_cmpint (p->dtmf_pt, >=, -1);
  g_assert_cmpint (p->dtmf_pt, <=, 127);
  g_assert_cmpint (p->red_pt, >=, -1);
  g_assert_cmpint (p->red_pt, <=, 127);
  g_assert_cmpuint (p->clock_rate, ==, opus ? 48000 : 8000);
  g_assert_cmpuint (p->channels, ==, opus ? 2 : 1);
  g_assert_cmpuint (p->audio_rate, ==,
                    opus ? 48000 : g_str_equal (p->encoding, "G722") ? 16000 : 8000);
  if (p->dtmf_pt >= 0)
    g_assert_true (p->dtmf_clock_rate == 8000 || p->dtmf_clock_rate == p->clock_rate);
  else
    g_assert_cmpuint (p->dtmf_clock_rate, ==, 0);
  if (p->red_pt >= 0)
    {
      g_assert_cmpuint (p->red_primary_pt, ==, p->pt);
      g_assert_cmpuint (p->red_max_distance, >=, 1);
      g_assert_cmpuint (p->red_max_distance, <=, 7);
      g_assert_cmpint (p->red_pt, !=, (gint) p->pt);
    }
  g_assert_cmpuint (p->ptime, >=, 10);
  g_assert_cmpuint (p->ptime, <=, 60);
  g_assert_true (p->max_bitrate == 0 || (p->max_bitrate >= 6000 && p->max_bitrate <= 510000));
  g_assert_true (opus || (!p->opus_fec && !p->dtx && !p->max_bitrate && !p->max_playback_rate));
  g_assert_true (p->max_playback_rate == 0 ||
                 (p->max_playback_rate >= 8000 && p->max_playback_rate <= 48000));
}

/* One random change to an SDP text: a number, a name or a separator swapped for a hostile one,
 * a line dropped or doubled. */
static char *
mutate (GRand *rand, const char *text)
{
  static const char *const words[] = {
    "0", "8", "9", "96", "111", "127", "128", "4294967296", "99999999999999999999", "",
    "opus", "OPUS", "red", "telephone-event", "G722", "PCMU", "PCMA", "8000", "16000", "48000",
    "/", ";", "=", " ", "0/0", "111/111", "useinbandfec=1", "maxaveragebitrate=", "-1",
  };
  g_auto(GStrv) lines = g_strsplit (text, "\r\n", -1);
  guint n = g_strv_length (lines);
  guint at = (guint) g_rand_int_range (rand, 0, (gint) n);
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      const char *line = lines[i];
      if (i == at)
        switch (g_rand_int_range (rand, 0, 4))
          {
          case 0:   /* dropped */
            continue;
          case 1:   /* doubled */
            g_string_append_printf (out, "%s\r\n", line);
            break;
          default:  /* a stretch of it replaced by a word */
            {
              gsize len = strlen (line);
              gsize from = len ? (gsize) g_rand_int_range (rand, 0, (gint) len) : 0;
              gsize cut = MIN (len - from, (gsize) g_rand_int_range (rand, 0, 6));
              g_string_append_len (out, line, (gssize) from);
              g_string_append (out, words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
              g_string_append_printf (out, "%s%s", line + from + cut, lines[i + 1] ? "\r\n" : "");
              continue;
            }
          }
      g_string_append_printf (out, "%s%s", line, lines[i + 1] ? "\r\n" : "");
    }
  return g_string_free (out, FALSE);
}

/* Real peers' descriptions bent at random (a fixed seed: the same inputs every run), taken as
 * offers and as answers: each is taken or refused with an error, the plan always holds
 * together and our next offer parses. */
static void
test_mutations (void)
{
  const char *const seeds[] = { asterisk_offer, freeswitch_offer, baresip_offer, webrtc_offer };
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261126);
  guint taken = 0;

  for (guint i = 0; i < 4000; i++)
    {
      g_autofree char *text = g_strdup (seeds[i % G_N_ELEMENTS (seeds)]);
      g_autoptr(BellSdpNegotiator) n = negotiator (i % 3 ? NULL : pcma_first);
      g_autoptr(BellSdpNegotiator) m = negotiator (NULL);
      g_autoptr(GError) e1 = NULL, e2 = NULL;
      g_autofree char *answer = NULL, *offer = NULL, *reoffer = NULL;
      g_autoptr(BellSdpSession) s1 = NULL, s2 = NULL;

      for (gint k = g_rand_int_range (rand, 1, 5); k > 0; k--)
        {
          char *next = mutate (rand, text);
          g_free (text);
          text = next;
        }
      answer = bell_sdp_negotiator_answer (n, text, FALSE, &e1);
      g_assert_true ((answer == NULL) == (e1 != NULL));
      if (answer)
        {
          taken++;
          s1 = parse (answer);
          assert_plan_sane (bell_sdp_negotiator_get_plan (n));
          reoffer = bell_sdp_negotiator_offer (n, FALSE);
          s2 = parse (reoffer);
        }
      offer = bell_sdp_negotiator_offer (m, FALSE);
      if (bell_sdp_negotiator_apply_answer (m, text, &e2))
        assert_plan_sane (bell_sdp_negotiator_get_plan (m));
      else
        g_assert_error (e2, BELL_SDP_ERROR, BELL_SDP_ERROR_MALFORMED);
    }
  /* The mutations leave most descriptions usable: the test reaches the plans. */
  g_assert_cmpuint (taken, >, 1000);
}

static BellSdpNegotiator *
negotiator_srtp (BellSdpSrtpPolicy srtp)
{
  BellSdpLocal local = { .address = "192.0.2.1", .rtp_port = 40000, .srtp = srtp };

  return bell_sdp_negotiator_new (&local);
}

/* SDES (RFC 4568) between two negotiators: optional offers RTP/AVP with a=crypto, mandatory
 * RTP/SAVP; the answer takes the first line it can use with its own key; each side then keys
 * its SRTP with its own key out and the other's in. */
static void
test_srtp_between_two (void)
{
  g_autoptr(BellSdpNegotiator) a = negotiator_srtp (BELL_SDP_SRTP_OPTIONAL);
  g_autoptr(BellSdpNegotiator) b = negotiator_srtp (BELL_SDP_SRTP_MANDATORY);
  g_autoptr(GError) error = NULL;
  g_autofree char *offer = bell_sdp_negotiator_offer (a, FALSE);
  g_autofree char *answer = NULL;
  g_autoptr(BellSdpSession) o = parse (offer), an = NULL;
  const BellSdpMediaPlan *pa, *pb;

  g_assert_cmpstr (((BellSdpMedia *) o->media->pdata[0])->proto, ==, "RTP/AVP");
  g_assert_cmpuint (((BellSdpMedia *) o->media->pdata[0])->cryptos->len, >=, 2);
  answer = bell_sdp_negotiator_answer (b, offer, FALSE, &error);
  g_assert_no_error (error);
  an = parse (answer);
  g_assert_cmpuint (((BellSdpMedia *) an->media->pdata[0])->cryptos->len, ==, 1);
  g_assert_true (bell_sdp_negotiator_apply_answer (a, answer, &error));
  g_assert_no_error (error);
  pa = bell_sdp_negotiator_get_plan (a);
  pb = bell_sdp_negotiator_get_plan (b);
  g_assert_nonnull (pa->srtp_suite);
  g_assert_cmpstr (pa->srtp_suite, ==, pb->srtp_suite);
  g_assert_nonnull (strstr (pb->srtp_remote_key, pa->srtp_local_key));
  g_assert_nonnull (strstr (pa->srtp_remote_key, pb->srtp_local_key));
  g_assert_cmpstr (pa->srtp_local_key, !=, pb->srtp_local_key);
}

/* Policies that cannot meet: mandatory refuses a plain offer (488 upstream), off refuses
 * RTP/SAVP; optional meeting a peer that ignores a=crypto gets plain RTP; a mandatory offer
 * answered without a=crypto fails. */
static void
test_srtp_refusals (void)
{
  static const char plain_offer[] =
    "v=0\r\no=a 1 1 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 198.51.100.7\r\nt=0 0\r\n"
    "m=audio 49170 RTP/AVP 0\r\n";
  static const char plain_answer[] =
    "v=0\r\no=b 1 1 IN IP4 198.51.100.9\r\ns=-\r\nc=IN IP4 198.51.100.9\r\nt=0 0\r\n"
    "m=audio 5004 RTP/AVP 0\r\n";
  g_autoptr(BellSdpNegotiator) mand = negotiator_srtp (BELL_SDP_SRTP_MANDATORY);
  g_autoptr(BellSdpNegotiator) off = negotiator_srtp (BELL_SDP_SRTP_OFF);
  g_autoptr(BellSdpNegotiator) opt = negotiator_srtp (BELL_SDP_SRTP_OPTIONAL);
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;
  g_autofree char *savp = bell_sdp_negotiator_offer (mand, FALSE);
  g_autofree char *o2 = NULL;

  g_assert_null (bell_sdp_negotiator_answer (mand, plain_offer, FALSE, &e1));
  g_assert_nonnull (strstr (e1->message, "requires SRTP"));
  g_assert_null (bell_sdp_negotiator_answer (off, savp, FALSE, &e2));
  g_assert_nonnull (strstr (e2->message, "SRTP"));
  o2 = bell_sdp_negotiator_offer (opt, FALSE);
  g_assert_true (bell_sdp_negotiator_apply_answer (opt, plain_answer, NULL));
  g_assert_null (bell_sdp_negotiator_get_plan (opt)->srtp_suite);
  g_assert_false (bell_sdp_negotiator_apply_answer (mand, plain_answer, &e3));
  g_assert_nonnull (strstr (e3->message, "SRTP"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sdp/negotiate/offer", test_offer);
  g_test_add_func ("/sdp/negotiate/offer-user-order", test_offer_user_order);
  g_test_add_func ("/sdp/negotiate/offer-options", test_offer_options);
  g_test_add_func ("/sdp/negotiate/answer-order-and-refusal", test_answer_order_and_refusal);
  g_test_add_func ("/sdp/negotiate/answer-asterisk", test_answer_asterisk);
  g_test_add_func ("/sdp/negotiate/answer-freeswitch", test_answer_freeswitch);
  g_test_add_func ("/sdp/negotiate/answer-baresip", test_answer_baresip);
  g_test_add_func ("/sdp/negotiate/apply-baresip-answer", test_apply_baresip_answer);
  g_test_add_func ("/sdp/negotiate/apply-pbx-answers", test_apply_pbx_answers);
  g_test_add_func ("/sdp/negotiate/answer-webrtc", test_answer_webrtc);
  g_test_add_func ("/sdp/negotiate/bellbird-opus", test_bellbird_to_bellbird_opus);
  g_test_add_func ("/sdp/negotiate/red", test_red_between_two);
  g_test_add_func ("/sdp/negotiate/red-hostile", test_red_hostile);
  g_test_add_func ("/sdp/negotiate/hostile-codecs", test_hostile_codecs);
  g_test_add_func ("/sdp/negotiate/ptime", test_ptime);
  g_test_add_func ("/sdp/negotiate/reoffer-numbers", test_reoffer_keeps_numbers);
  g_test_add_func ("/sdp/negotiate/apply-answer-contradicting", test_apply_answer_contradicting);
  g_test_add_func ("/sdp/negotiate/mutations", test_mutations);
  g_test_add_func ("/sdp/negotiate/hold", test_hold);
  g_test_add_func ("/sdp/negotiate/reoffer", test_reoffer_keeps_codec_and_origin);
  g_test_add_func ("/sdp/negotiate/refusals", test_refusals);
  g_test_add_func ("/sdp/negotiate/srtp", test_srtp_between_two);
  g_test_add_func ("/sdp/negotiate/srtp-refusals", test_srtp_refusals);
  return g_test_run ();
}
