/* bell-sdp-negotiate.h: one call's side of the offer/answer model (RFC 3264) for its audio.
 *
 * A negotiator knows what we can do (our address and RTP port, the user's codec order) and
 * keeps what was agreed: it makes our offers and answers, reads the peer's, and says what the
 * media layer should do (where to send, which payload types, which directions). One session
 * per call: the o= line stays the same and its version goes up with each new description.
 *
 * Codecs: Opus (RFC 7587), G.722, PCMU and PCMA (RFC 3551); PCMU and PCMA are always offered.
 * With them: RED (RFC 2198) for each of them, each primary with up to three
 * redundant blocks of itself ("a=fmtp:<red> 0/0/0/0": RFC 2198 §5 names every block, and we
 * send at most as many as the agreed fmtp names), and telephone-event (RFC 4733) at 8000 Hz,
 * and at 48000 Hz too when Opus is offered, so that events can run on the clock of the codec
 * they go with.
 *
 * One red type per codec because RFC 2198 §5's fmtp is a fixed layout (primary, then each
 * redundant block): "0/8" would mean PCMU carrying PCMA, not "PCMU or PCMA". Answerers
 * without audio RED (Asterisk has RED for T.140 text only; FreeSWITCH, baresip) leave the red
 * types out of their answers, as baresip 1.0 does, and the call goes on without. We take RED
 * only of the codec agreed, with up to 8 blocks of that codec alone. Opus's in-band FEC
 * rebuilds only the frame before a packet; RED's copies reach further back (WebRTC's
 * red/48000/2 for Opus is the same).
 *
 * The default offer (codecs NULL, nothing else set), whose m= line lists the codecs in order,
 * then RED, then the events (RED is no codec of its own: an answerer that picks the first
 * format it knows must not pick it, and we read the first codec of an answer the same way):
 *
 *   m=audio <port> RTP/AVP 111 9 0 8 123 124 121 122 110 101
 *   a=rtpmap:111 opus/48000/2
 *   a=fmtp:111 useinbandfec=1; usedtx=0; maxaveragebitrate=32000
 *   a=rtpmap:9 G722/8000
 *   a=rtpmap:0 PCMU/8000
 *   a=rtpmap:8 PCMA/8000
 *   a=rtpmap:123 red/48000/2
 *   a=fmtp:123 111/111/111/111
 *   a=rtpmap:124 red/8000
 *   a=fmtp:124 9/9/9/9
 *   a=rtpmap:121 red/8000
 *   a=fmtp:121 0/0/0/0
 *   a=rtpmap:122 red/8000
 *   a=fmtp:122 8/8/8/8
 *   a=rtpmap:110 telephone-event/48000
 *   a=fmtp:110 0-16
 *   a=rtpmap:101 telephone-event/8000
 *   a=fmtp:101 0-16
 *   a=ptime:20
 *
 * Dynamic payload numbers stay what they were within a call (RFC 3264 §8.3.2): a re-offer
 * reuses those of the codec, RED and telephone-event in use, and picks others around them.
 */
#pragma once

#include <glib.h>
#include "bell-sdp.h"

G_BEGIN_DECLS

/* SRTP keyed by SDES (RFC 4568). */
typedef enum
{
  BELL_SDP_SRTP_AUTO,        /* optional when the signalling is encrypted (TLS), else off:
                              * keys in a=crypto travel in the clear over UDP or TCP */
  BELL_SDP_SRTP_OFF,
  BELL_SDP_SRTP_OPTIONAL,    /* offer RTP/AVP with a=crypto; plain RTP if the peer ignores it */
  BELL_SDP_SRTP_MANDATORY,   /* offer RTP/SAVP; no call without SRTP */
} BellSdpSrtpPolicy;

gboolean bell_sdp_srtp_policy_from_string (const char *text, BellSdpSrtpPolicy *policy);

/* The codecs offered, in this order, when the user chose none. */
#define BELL_SDP_DEFAULT_CODECS "opus,G722,PCMU,PCMA"

/* Maximum Opus bitrate (bits/s) we ask the peer to send us by default, and in low-bandwidth
 * mode: 32 kb/s carries wideband speech with its in-band FEC; 16 kb/s still does, narrower. */
#define BELL_SDP_OPUS_BITRATE      32000
#define BELL_SDP_OPUS_BITRATE_LOW  16000

typedef struct
{
  const char        *address;          /* our media address: an IP literal */
  guint              rtp_port;         /* 0: no media socket (every stream inactive) */
  const char *const *codecs;           /* encoding names, most wanted first, of "opus",
                                        * "G722", "PCMU", "PCMA" (any case; others are kept
                                        * but never offered); NULL: opus, G722, PCMU, PCMA.
                                        * PCMU and PCMA are added at the end when missing. */
  guint              ptime;            /* ms per packet we want to receive (a=ptime); 0: 20,
                                        * or 40 with low_bandwidth */
  gboolean           rtcp_mux;         /* offer a=rtcp-mux (RFC 5761) */
  BellSdpSrtpPolicy  srtp;
  guint              max_bitrate;      /* Opus bits/s we want to receive at most (our fmtp
                                        * maxaveragebitrate, clamped to 6000..510000); 0:
                                        * BELL_SDP_OPUS_BITRATE */
  gboolean           low_bandwidth;    /* a narrow stream for mobile data or a slow uplink:
                                        * Opus moves first (when the list has it) and we ask
                                        * for at most BELL_SDP_OPUS_BITRATE_LOW; our a=ptime
                                        * defaults to 40 (half the packets: less header) */
  gboolean           no_redundancy;    /* offer and accept no RED, tell the peer our decoder
                                        * takes no Opus FEC (useinbandfec=0) and plan none to
                                        * send: the "FEC/RED off" comparison */
} BellSdpLocal;

/* What the media layer does once an offer/answer is complete. */
typedef struct
{
  gboolean  active;            /* an audio stream was agreed (port not 0) */
  char     *remote_address;    /* where the peer wants our RTP */
  guint     remote_port;
  guint     remote_rtcp_port;  /* a=rtcp, else port + 1; the RTP port with rtcp-mux */
  gboolean  rtcp_mux;
  guint     pt;                /* the codec's payload type (the offer's number, §6.1) */
  char     *encoding;          /* upper case: "OPUS", "G722", "PCMU", "PCMA" */
  guint     clock_rate;        /* the RTP clock: 48000 Opus, 8000 G.722 (RFC 3551 §4.5.2) and
                                * G.711 */
  guint     audio_rate;        /* the rate the codec samples at: 48000 Opus, 16000 G.722, 8000
                                * G.711 */
  guint     channels;          /* the rtpmap's channel count, 1 when absent; always 2 for Opus,
                                * whose rtpmap says 2 whatever it carries (RFC 7587 §7): we
                                * send mono (stereo/sprop-stereo of the peer are ignored) */
  guint     ptime;             /* ms per packet we send: the peer's a=ptime (within its
                                * a=maxptime), else 20 (Opus: else our own, any frame length
                                * decodes), made one we can send: 10..60 in steps of 10, for
                                * Opus 10, 20, 40 or 60, never longer than asked */
  gint      dtmf_pt;           /* telephone-event payload type; -1: the peer has none */
  guint     dtmf_clock_rate;   /* its clock: the codec's when the peer has events on that
                                * clock (48000 with Opus), else 8000 (Asterisk offers Opus
                                * with telephone-event/8000 only); 0 without dtmf_pt */
  /* Opus (RFC 7587 §6.1: the peer's a=fmtp says what its decoder wants; FALSE/0 otherwise). */
  gboolean  opus_fec;          /* the peer's decoder uses in-band FEC (useinbandfec=1): send it
                                * (never with BellSdpLocal.no_redundancy) */
  guint     max_bitrate;       /* bits/s the peer takes at most (maxaveragebitrate, clamped
                                * to 6000..510000); 0: it did not say */
  gboolean  dtx;               /* the peer prefers DTX (usedtx=1) */
  guint     max_playback_rate; /* the most the peer plays (maxplaybackrate, 8000..48000): no
                                * use coding wider; 0: it did not say (48000) */
  /* RED (RFC 2198): redundant blocks of the codec itself. */
  gint      red_pt;            /* red payload type (on the codec's clock) carrying pt; -1: no
                                * RED agreed */
  guint     red_primary_pt;    /* the payload type RED carries (= pt); 0 without red_pt */
  guint     red_max_distance;  /* copies of earlier frames a packet we send may carry: the
                                * agreed fmtp's blocks less the primary */
  gboolean  send;              /* we send RTP */
  gboolean  recv;              /* we expect RTP */
  /* SRTP (NULL suite: plain RTP). Keys as SDES key params; never logged. */
  char     *srtp_suite;
  char     *srtp_local_key;
  char     *srtp_remote_key;
} BellSdpMediaPlan;

typedef struct _BellSdpNegotiator BellSdpNegotiator;

BellSdpNegotiator *bell_sdp_negotiator_new  (const BellSdpLocal *local);
void               bell_sdp_negotiator_free (BellSdpNegotiator *n);

/* Our media address changed (or became known): the next descriptions carry it. */
void  bell_sdp_negotiator_set_address  (BellSdpNegotiator *n, const char *address);
/* Our RTP port changed (a socket of another address family), before any offer/answer. */
void  bell_sdp_negotiator_set_port     (BellSdpNegotiator *n, guint rtp_port);
/* Is the signalling encrypted (TLS)? Decides BELL_SDP_SRTP_AUTO. */
void  bell_sdp_negotiator_set_secure   (BellSdpNegotiator *n, gboolean secure);
/* The call is over: our SDES keys, the plan's keys and the SDP we sent last are wiped and
 * forgotten (an offer or answer made after this would carry new keys). */
void  bell_sdp_negotiator_forget_keys  (BellSdpNegotiator *n);

/* Our offer (hold: sendonly, or inactive when the peer holds us too, RFC 3264 §8.4). A
 * re-offer puts the codec in use first, so the call keeps it. */
char *bell_sdp_negotiator_offer        (BellSdpNegotiator *n, gboolean hold);
/* Our answer to the peer's offer: the first audio stream taken with the codec the call already
 * uses if the offer still has it, else the first of our codecs it offers (its payload numbers
 * kept; Opus only at 48000, any channel count, answered opus/48000/2 with our fmtp), with the
 * offer's RED of that codec when it is G.711 and the offer's telephone-event on the codec's
 * clock (else at 8000); the other streams refused with port 0. NULL with an error when nothing
 * is acceptable (the call layer answers 488). */
char *bell_sdp_negotiator_answer       (BellSdpNegotiator *n, const char *offer, gboolean hold,
                                        GError **error);
/* The peer's answer to our last offer: its first format we offered as a codec (the answer's
 * rtpmap, if any, saying the same), our RED of it when the answer keeps that type as red, its
 * telephone-event on the codec's clock (else at 8000); the codec's parameters from the
 * answer's fmtp. */
gboolean bell_sdp_negotiator_apply_answer (BellSdpNegotiator *n, const char *answer,
                                           GError **error);
/* The peer refused our offer (488): with SRTP optional, the next offers go without a=crypto
 * (TRUE); FALSE when there is nothing weaker to offer. */
gboolean bell_sdp_negotiator_drop_srtp (BellSdpNegotiator *n);
/* The agreed media (valid until the next call on n). */
const BellSdpMediaPlan *bell_sdp_negotiator_get_plan (BellSdpNegotiator *n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellSdpNegotiator, bell_sdp_negotiator_free)

G_END_DECLS
