/* fuzz-sdp-negotiate.c: libFuzzer harness for the SDP offer/answer negotiator
 * (bell-sdp-negotiate.h).
 *
 * Each input is taken, under four local setups (codec orders, rtcp-mux, SRTP off/optional,
 * low bandwidth, no redundancy), both as the peer's offer to answer and as the peer's answer to
 * our default offer. What must hold whatever the peer sends:
 *   - every refusal comes with a GError, every success without one;
 *   - our answer parses back, has as many m= lines as the offer in the same order and kinds
 *     (RFC 3264 §6), keeps every refused stream (port 0 in the offer) at port 0, takes exactly
 *     one stream: an audio stream of the offer's transport, whose every payload type is one the
 *     offer has, with the same encoding and clock (we never name a codec the offer lacked),
 *     a direction the offered one allows (§6.1), rtcp-mux and a=crypto only when offered (with
 *     the offer's tag and suite, RFC 4568 §7.1.2);
 *   - the plan agrees with what we said: the codec of our first format, its RED and
 *     telephone-event types among our formats, the peer's address and port, send/receive
 *     within our direction, SRTP exactly when our answer has a=crypto; its figures in range;
 *   - an answer we apply chooses a codec we offered and that the answer names, RED and SRTP
 *     only as offered;
 *   - our next offer parses, keeps the session id, does not lower the version and puts the
 *     codec in use first (the call keeps it);
 *   - after an answer of ours, the same negotiator's re-offer is answerable by a negotiator
 *     with the same setup, and that answer is accepted back: we always understand ourselves.
 *
 * A broken invariant calls fail() (abort) after saying what broke, so libFuzzer keeps the
 * input. Built as a libFuzzer target (-Dfuzz=true, clang) and, renamed, into fuzz-replay.
 */
#define G_LOG_DOMAIN "fuzz-sdp-negotiate"

#include "fuzz-common.h"
#include "bell-sdp.h"
#include "bell-sdp-negotiate.h"

static BellSdpSession *
parse_ours (const char *text, const char *what)
{
  g_autoptr(GError) error = NULL;
  BellSdpSession *s = bell_sdp_session_parse (text, strlen (text), &error);

  if (s == NULL)
    fail ("our %s does not parse: %s\n%s", what, error->message, text);
  if (s->media->len == 0)
    fail ("our %s has no stream:\n%s", what, text);
  return s;
}

static gboolean
is_red (const BellSdpFormat *f)
{
  return f->encoding && g_ascii_strcasecmp (f->encoding, "red") == 0;
}

static gboolean
is_event (const BellSdpFormat *f)
{
  return f->encoding && g_ascii_strcasecmp (f->encoding, "telephone-event") == 0;
}

/* The plan's own coherence, whoever made it. */
static void
check_plan (const BellSdpMediaPlan *p)
{
  gboolean opus, g722;

  if (!p->active)
    fail ("a negotiation succeeded with no active plan");
  if (p->encoding == NULL || p->remote_address == NULL || p->remote_address[0] == '\0')
    fail ("active plan without codec or address");
  touch (bell_str (p->remote_address));
  opus = g_str_equal (p->encoding, "OPUS");
  g722 = g_str_equal (p->encoding, "G722");
  if (!opus && !g722 && !g_str_equal (p->encoding, "PCMU") && !g_str_equal (p->encoding, "PCMA"))
    fail ("plan encoding %s", p->encoding);
  if (p->remote_port == 0 || p->remote_port > 65535 || p->remote_rtcp_port == 0 ||
      p->remote_rtcp_port > 65536)
    fail ("plan ports %u/%u", p->remote_port, p->remote_rtcp_port);
  if (p->rtcp_mux && p->remote_rtcp_port != p->remote_port)
    fail ("rtcp-mux with RTCP on port %u, RTP on %u", p->remote_rtcp_port, p->remote_port);
  if (p->pt > BELL_SDP_MAX_PT || p->dtmf_pt > BELL_SDP_MAX_PT || p->red_pt > BELL_SDP_MAX_PT ||
      p->dtmf_pt < -1 || p->red_pt < -1)
    fail ("payload types %u/%d/%d", p->pt, p->dtmf_pt, p->red_pt);
  if (p->dtmf_pt >= 0 && ((guint) p->dtmf_pt == p->pt || p->dtmf_pt == p->red_pt))
    fail ("telephone-event on payload type %d of another format", p->dtmf_pt);
  if (p->red_pt >= 0 && ((guint) p->red_pt == p->pt || p->red_primary_pt != p->pt ||
                         p->red_max_distance < 1 || p->red_max_distance > 8))
    fail ("RED %d of %u (codec %u), distance %u", p->red_pt, p->red_primary_pt, p->pt,
          p->red_max_distance);
  if (p->red_pt < 0 && (p->red_primary_pt || p->red_max_distance))
    fail ("RED figures without RED");
  if (p->dtmf_pt >= 0 && p->dtmf_clock_rate != 8000 && p->dtmf_clock_rate != p->clock_rate)
    fail ("telephone-event at %u Hz with a codec at %u", p->dtmf_clock_rate, p->clock_rate);
  if (p->dtmf_pt < 0 && p->dtmf_clock_rate)
    fail ("telephone-event clock without telephone-event");
  if (p->ptime < 10 || p->ptime > 60 || p->ptime % 10 || (opus && p->ptime == 30) ||
      (opus && p->ptime == 50))
    fail ("ptime %u for %s", p->ptime, p->encoding);
  if (p->max_bitrate && (p->max_bitrate < 6000 || p->max_bitrate > 510000))
    fail ("bitrate %u", p->max_bitrate);
  if (p->max_playback_rate && (p->max_playback_rate < 8000 || p->max_playback_rate > 48000))
    fail ("playback rate %u", p->max_playback_rate);
  if (opus ? p->channels != 2 || p->clock_rate != 48000 || p->audio_rate != 48000
           : p->channels != 1 || p->clock_rate != 8000 ||
             p->audio_rate != (g722 ? 16000u : 8000u))
    fail ("%s at %u/%u Hz, %u channels", p->encoding, p->clock_rate, p->audio_rate, p->channels);
  if (!opus && (p->opus_fec || p->max_bitrate || p->dtx || p->max_playback_rate))
    fail ("Opus parameters for %s", p->encoding);
  if ((p->srtp_suite == NULL) != (p->srtp_local_key == NULL) ||
      (p->srtp_suite == NULL) != (p->srtp_remote_key == NULL))
    fail ("SRTP suite and keys do not go together");
  if (p->srtp_suite && (p->srtp_local_key[0] == '\0' || p->srtp_remote_key[0] == '\0'))
    fail ("empty SRTP key");
}

/* Does direction dir (ours) say that we send / receive? */
static gboolean
dir_sends (BellSdpDirection dir)
{
  return dir == BELL_SDP_DIRECTION_SENDRECV || dir == BELL_SDP_DIRECTION_SENDONLY;
}

static gboolean
dir_receives (BellSdpDirection dir)
{
  return dir == BELL_SDP_DIRECTION_SENDRECV || dir == BELL_SDP_DIRECTION_RECVONLY;
}

/* Our answer to offer (both parsed) against RFC 3264 §6 and against the plan. */
static void
check_answer (const BellSdpSession *offer, const BellSdpSession *answer,
              const BellSdpMediaPlan *p, gboolean srtp_allowed)
{
  const BellSdpMedia *taken = NULL, *offered = NULL;
  const BellSdpFormat *first;
  BellSdpDirection od, ad;

  if (answer->media->len != offer->media->len)
    fail ("answer has %u streams, the offer %u", answer->media->len, offer->media->len);
  for (guint i = 0; i < answer->media->len; i++)
    {
      const BellSdpMedia *am = answer->media->pdata[i], *om = offer->media->pdata[i];

      if (g_strcmp0 (am->media, om->media) != 0)
        fail ("stream %u answered as %s, offered as %s", i, am->media, om->media);
      if (om->port == 0 && am->port != 0)
        fail ("stream %u refused in the offer but answered on port %u", i, am->port);
      if (am->port == 0)
        continue;
      if (taken)
        fail ("two streams taken (%u and an earlier one)", i);
      taken = am;
      offered = om;
    }
  if (taken == NULL)
    fail ("an answer that takes no stream");
  if (!g_str_equal (taken->media, "audio") || g_strcmp0 (taken->proto, offered->proto) != 0)
    fail ("took %s over %s, offered over %s", taken->media, taken->proto, offered->proto);
  if (taken->formats->len == 0)
    fail ("taken stream without formats");

  /* Never a payload type, encoding or clock the offer lacked. */
  for (guint i = 0; i < taken->formats->len; i++)
    {
      const BellSdpFormat *f = taken->formats->pdata[i];
      const BellSdpFormat *o = bell_sdp_media_find_format (offered, f->pt);

      if (o == NULL)
        fail ("answer names payload type %u, which the offer lacks", f->pt);
      if (f->encoding == NULL || o->encoding == NULL ||
          g_ascii_strcasecmp (f->encoding, o->encoding) != 0 || f->clock_rate != o->clock_rate)
        fail ("answer's %u is %s/%u, the offer's %s/%u", f->pt, f->encoding, f->clock_rate,
              o->encoding, o->clock_rate);
    }

  /* The plan is what the answer says. */
  first = taken->formats->pdata[0];
  if (first->pt != p->pt || g_ascii_strcasecmp (first->encoding, p->encoding) != 0)
    fail ("answer's first format %u %s, plan %u %s", first->pt, first->encoding, p->pt,
          p->encoding);
  if (p->red_pt >= 0 && !(bell_sdp_media_find_format (taken, (guint) p->red_pt) &&
                          is_red (bell_sdp_media_find_format (taken, (guint) p->red_pt))))
    fail ("plan's RED %d is not red in the answer", p->red_pt);
  if (p->dtmf_pt >= 0 && !(bell_sdp_media_find_format (taken, (guint) p->dtmf_pt) &&
                           is_event (bell_sdp_media_find_format (taken, (guint) p->dtmf_pt))))
    fail ("plan's telephone-event %d is not one in the answer", p->dtmf_pt);
  for (guint i = 0; i < taken->formats->len; i++)
    {
      const BellSdpFormat *f = taken->formats->pdata[i];
      if ((is_red (f) && (gint) f->pt != p->red_pt) || (is_event (f) && (gint) f->pt != p->dtmf_pt))
        fail ("answer has %s %u the plan does not use", f->encoding, f->pt);
    }
  if (p->remote_port != offered->port)
    fail ("plan sends to port %u, the offer says %u", p->remote_port, offered->port);
  {
    const BellSdpConnection *conn = bell_sdp_media_get_connection (offer, offered);
    if (conn == NULL || g_strcmp0 (conn->address, p->remote_address) != 0)
      fail ("plan sends to %s, the offer says %s", p->remote_address,
            conn ? conn->address : "(none)");
  }

  /* §6.1 directions. */
  od = bell_sdp_media_get_direction (offer, offered);
  ad = bell_sdp_media_get_direction (answer, taken);
  if ((dir_sends (ad) && !dir_receives (od)) || (dir_receives (ad) && !dir_sends (od)))
    fail ("answered %s to %s", bell_sdp_direction_to_string (ad),
          bell_sdp_direction_to_string (od));
  if ((p->send && !dir_sends (ad)) || (p->recv && !dir_receives (ad)))
    fail ("plan sends %d receives %d with our direction %s", p->send, p->recv,
          bell_sdp_direction_to_string (ad));

  if (taken->rtcp_mux && !offered->rtcp_mux)
    fail ("rtcp-mux answered without being offered");
  if (p->rtcp_mux && !taken->rtcp_mux)
    fail ("plan muxes RTCP the answer does not");

  /* RFC 4568 §7.1.2: one a=crypto, the tag and suite of one offered. */
  if (taken->cryptos->len > 1)
    fail ("%u a=crypto in the answer", taken->cryptos->len);
  if (taken->cryptos->len == 1)
    {
      const BellSdpCrypto *c = taken->cryptos->pdata[0];
      gboolean found = FALSE;

      if (!srtp_allowed)
        fail ("a=crypto answered with SRTP off");
      for (guint i = 0; i < offered->cryptos->len && !found; i++)
        {
          const BellSdpCrypto *o = offered->cryptos->pdata[i];
          found = o->tag == c->tag && g_ascii_strcasecmp (o->suite, c->suite) == 0;
        }
      if (!found)
        fail ("a=crypto:%u %s is none the offer made", c->tag, c->suite);
      if (p->srtp_suite == NULL || g_ascii_strcasecmp (p->srtp_suite, c->suite) != 0)
        fail ("plan's SRTP %s, the answer's %s", p->srtp_suite, c->suite);
    }
  else if (p->srtp_suite)
    fail ("plan has SRTP %s, the answer no a=crypto", p->srtp_suite);
}

/* The peer's answer applied to our offer: what the plan took must come from both. */
static void
check_applied (const BellSdpSession *offer, const BellSdpSession *answer,
               const BellSdpMediaPlan *p)
{
  const BellSdpMedia *ours = offer->media->pdata[0], *theirs = answer->media->pdata[0];
  const BellSdpFormat *codec = bell_sdp_media_find_format (ours, p->pt);

  if (codec == NULL || codec->encoding == NULL ||
      g_ascii_strcasecmp (codec->encoding, p->encoding) != 0)
    fail ("plan's codec %u %s is not one we offered", p->pt, p->encoding);
  if (bell_sdp_media_find_format (theirs, p->pt) == NULL)
    fail ("plan's codec %u is not in the answer", p->pt);
  if (p->red_pt >= 0 && !(bell_sdp_media_find_format (ours, (guint) p->red_pt) &&
                          is_red (bell_sdp_media_find_format (ours, (guint) p->red_pt)) &&
                          bell_sdp_media_find_format (theirs, (guint) p->red_pt)))
    fail ("plan's RED %d was not offered and answered", p->red_pt);
  if (p->dtmf_pt >= 0 && bell_sdp_media_find_format (theirs, (guint) p->dtmf_pt) == NULL)
    fail ("plan's telephone-event %d is not in the answer", p->dtmf_pt);
  if (p->srtp_suite && ours->cryptos->len == 0)
    fail ("plan has SRTP we did not offer");
  if (p->rtcp_mux && !(ours->rtcp_mux && theirs->rtcp_mux))
    fail ("plan muxes RTCP without both sides saying so");
  if (p->remote_port != theirs->port)
    fail ("plan sends to port %u, the answer says %u", p->remote_port, theirs->port);
}

/* Our next offer after a negotiation: same session, version not lowered, codec in use first. */
static void
check_reoffer (const char *text, const BellSdpSession *before, const BellSdpMediaPlan *p)
{
  g_autoptr(BellSdpSession) s = parse_ours (text, "re-offer");
  const BellSdpMedia *m = s->media->pdata[0];
  const BellSdpFormat *first;

  if (g_strcmp0 (s->origin.sess_id, before->origin.sess_id) != 0 ||
      s->origin.sess_version < before->origin.sess_version)
    fail ("re-offer o= %s %" G_GUINT64_FORMAT " after %s %" G_GUINT64_FORMAT,
          s->origin.sess_id, s->origin.sess_version, before->origin.sess_id,
          before->origin.sess_version);
  if (m->formats->len == 0)
    fail ("re-offer without formats");
  first = m->formats->pdata[0];
  if (first->pt != p->pt || first->encoding == NULL ||
      g_ascii_strcasecmp (first->encoding, p->encoding) != 0)
    fail ("re-offer starts with %u %s, the call uses %u %s", first->pt, first->encoding, p->pt,
          p->encoding);
}

/* Our re-offer must be answerable by ourselves, and that answer acceptable to us. */
static void
check_self_round (BellSdpNegotiator *n, const char *reoffer, const BellSdpLocal *local)
{
  g_autoptr(BellSdpNegotiator) peer = bell_sdp_negotiator_new (local);
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = bell_sdp_negotiator_answer (peer, reoffer, FALSE, &error);

  if (answer == NULL)
    fail ("we refuse our own re-offer: %s\n%s", error->message, reoffer);
  check_plan (bell_sdp_negotiator_get_plan (peer));
  if (!bell_sdp_negotiator_apply_answer (n, answer, &error))
    fail ("we refuse our own answer: %s\n%s", error->message, answer);
  check_plan (bell_sdp_negotiator_get_plan (n));
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
  static const char *const orders[][4] = {
    { NULL }, { "PCMA", "PCMU", NULL }, { "G722", "opus", NULL }, { "PCMU", NULL },
  };
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(BellSdpSession) input = NULL;

  /* The negotiator takes NUL-terminated text: an embedded NUL cannot reach it. */
  if (strlen (text) != size)
    return 0;
  input = bell_sdp_session_parse (text, size, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (orders); i++)
    {
      BellSdpLocal local = {
        .address = "192.0.2.1", .rtp_port = 40000,
        .codecs = i ? orders[i] : NULL, .rtcp_mux = i & 1,
        .srtp = i == 2 ? BELL_SDP_SRTP_OPTIONAL : BELL_SDP_SRTP_OFF,
        .low_bandwidth = i == 3, .no_redundancy = i == 1,
      };
      g_autoptr(BellSdpNegotiator) n = bell_sdp_negotiator_new (&local);
      g_autoptr(BellSdpNegotiator) m = bell_sdp_negotiator_new (&local);
      g_autoptr(GError) e1 = NULL;
      g_autoptr(GError) e2 = NULL;
      g_autofree char *answer = bell_sdp_negotiator_answer (n, text, FALSE, &e1);
      g_autofree char *offer = NULL;

      /* The input as the peer's offer. */
      if (answer == NULL)
        {
          if (e1 == NULL)
            fail ("no answer and no error");
        }
      else
        {
          g_autoptr(BellSdpSession) parsed = parse_ours (answer, "answer");
          const BellSdpMediaPlan *p = bell_sdp_negotiator_get_plan (n);
          g_autofree char *reoffer = NULL;

          if (e1 != NULL)
            fail ("an answer and an error: %s", e1->message);
          if (input == NULL)
            fail ("an answer to an offer that does not parse");
          check_plan (p);
          check_answer (input, parsed, p, local.srtp != BELL_SDP_SRTP_OFF);
          reoffer = bell_sdp_negotiator_offer (n, i == 2);
          check_reoffer (reoffer, parsed, p);
          check_self_round (n, reoffer, &local);
        }

      /* The input as the peer's answer to our offer. */
      offer = bell_sdp_negotiator_offer (m, FALSE);
      if (!bell_sdp_negotiator_apply_answer (m, text, &e2))
        {
          if (e2 == NULL)
            fail ("answer refused without an error");
        }
      else
        {
          g_autoptr(BellSdpSession) ours = parse_ours (offer, "offer");
          const BellSdpMediaPlan *p = bell_sdp_negotiator_get_plan (m);
          g_autofree char *reoffer = NULL;

          if (e2 != NULL)
            fail ("answer taken with an error: %s", e2->message);
          if (input == NULL)
            fail ("an answer taken that does not parse");
          check_plan (p);
          check_applied (ours, input, p);
          reoffer = bell_sdp_negotiator_offer (m, FALSE);
          check_reoffer (reoffer, ours, p);
        }
    }
  return 0;
}
