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

/* Our default offer, line by line: Opus with our fmtp, G.722, PCMU, PCMA, RED for each G.711
 * codec, telephone-event at 48000 and 8000, ptime 20, sendrecv at our address. */
static void
test_offer (void)
{
  static const char *const want[] = {
    "v=0", "s=-", "c=IN IP4 192.0.2.1", "t=0 0",
    "m=audio 40000 RTP/AVP 111 9 0 8 121 122 110 101",
    "a=rtpmap:111 opus/48000/2",
    "a=fmtp:111 useinbandfec=1; usedtx=0; maxaveragebitrate=32000",
    "a=rtpmap:9 G722/8000",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:121 red/8000",
    "a=fmtp:121 0/0",
    "a=rtpmap:122 red/8000",
    "a=fmtp:122 8/8",
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
  g_assert_cmpstr (mb, ==, "audio 40000 RTP/AVP 9 111 0 8 121 122 110 101");
  g_assert_null (strstr (oa, "telephone-event/48000"));
  g_assert_nonnull (strstr (oa, "a=fmtp:122 8/8\r\n"));
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

  g_assert_cmpstr (m1, ==, "audio 40000 RTP/AVP 111 0 8 121 122 110 101");
  g_assert_nonnull (strstr (o1, "a=fmtp:111 useinbandfec=1; usedtx=0; maxaveragebitrate=16000\r\n"));
  g_assert_nonnull (strstr (o1, "a=ptime:40\r\n"));
  /* The user left Opus out: low bandwidth does not bring it back. */
  g_assert_cmpstr (m2, ==, "audio 40000 RTP/AVP 0 8 121 122 101");
  g_assert_nonnull (strstr (o3, "maxaveragebitrate=510000\r\n"));
  g_assert_nonnull (strstr (o4, "maxaveragebitrate=6000\r\n"));
  g_assert_nonnull (strstr (o4, "a=ptime:20\r\n"));
  g_assert_cmpstr (m5, ==, "audio 40000 RTP/AVP 111 9 0 8 110 101");
  g_assert_nonnull (strstr (o5, "a=fmtp:111 useinbandfec=0; usedtx=0; maxaveragebitrate=32000\r\n"));
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

  g_assert_cmpint (bell_sdp_media_get_direction (s1, s1->media->pdata[0]), ==, BELL_SDP_DIRECTION_RECVONLY);
  g_assert_false (plan->send);
  g_assert_true (plan->recv);
  /* Holding a call that holds us: inactive. */
  offer = bell_sdp_negotiator_offer (n, TRUE);
  s2 = parse (offer);
  g_assert_cmpint (bell_sdp_media_get_direction (s2, s2->media->pdata[0]), ==, BELL_SDP_DIRECTION_INACTIVE);
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
  g_assert_cmpstr (m2, ==, "audio 40000 RTP/AVP 8 111 9 0 122 121 110 101");
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
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, e5 = NULL;
  g_autofree char *offer = NULL;

  g_assert_null (bell_sdp_negotiator_answer (n, g729_only, FALSE, &e1));
  g_assert_nonnull (strstr (e1->message, "codec"));
  g_assert_null (bell_sdp_negotiator_answer (n, "v=0\r\nm=audio x\r\n", FALSE, &e2));
  g_assert_nonnull (e2);
  g_assert_false (bell_sdp_negotiator_apply_answer (n, rejected, &e3));   /* no offer yet */
  offer = bell_sdp_negotiator_offer (n, FALSE);
  g_assert_false (bell_sdp_negotiator_apply_answer (n, rejected, &e4));
  g_assert_nonnull (strstr (e4->message, "refused"));
  g_assert_false (bell_sdp_negotiator_apply_answer (n, foreign, &e5));
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
  g_test_add_func ("/sdp/negotiate/hold", test_hold);
  g_test_add_func ("/sdp/negotiate/reoffer", test_reoffer_keeps_codec_and_origin);
  g_test_add_func ("/sdp/negotiate/refusals", test_refusals);
  g_test_add_func ("/sdp/negotiate/srtp", test_srtp_between_two);
  g_test_add_func ("/sdp/negotiate/srtp-refusals", test_srtp_refusals);
  return g_test_run ();
}
