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

/* Our offer: PCMU and PCMA always, telephone-event, ptime 20, sendrecv at our address. */
static void
test_offer (void)
{
  g_autoptr(BellSdpNegotiator) n = negotiator (NULL);
  g_autofree char *offer = bell_sdp_negotiator_offer (n, FALSE);
  g_autoptr(BellSdpSession) sdp = parse (offer);
  g_autofree char *m = m_line (sdp, 0);
  const BellSdpMedia *audio = sdp->media->pdata[0];

  g_assert_cmpstr (m, ==, "audio 40000 RTP/AVP 0 8 101");
  g_assert_cmpstr (bell_sdp_media_find_format (audio, 101)->encoding, ==, "telephone-event");
  g_assert_cmpuint (audio->ptime, ==, 20);
  g_assert_cmpint (bell_sdp_media_get_direction (sdp, audio), ==, BELL_SDP_DIRECTION_SENDRECV);
  g_assert_cmpstr (bell_sdp_media_get_connection (sdp, audio)->address, ==, "192.0.2.1");
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
  g_assert_cmpstr (m2, ==, "audio 40000 RTP/AVP 8 0 101");
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
  g_test_add_func ("/sdp/negotiate/answer-order-and-refusal", test_answer_order_and_refusal);
  g_test_add_func ("/sdp/negotiate/hold", test_hold);
  g_test_add_func ("/sdp/negotiate/reoffer", test_reoffer_keeps_codec_and_origin);
  g_test_add_func ("/sdp/negotiate/refusals", test_refusals);
  g_test_add_func ("/sdp/negotiate/srtp", test_srtp_between_two);
  g_test_add_func ("/sdp/negotiate/srtp-refusals", test_srtp_refusals);
  return g_test_run ();
}
