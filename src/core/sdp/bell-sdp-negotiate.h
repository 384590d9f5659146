/* bell-sdp-negotiate.h: one call's side of the offer/answer model (RFC 3264) for its audio.
 *
 * A negotiator knows what we can do (our address and RTP port, the user's codec order) and
 * keeps what was agreed: it makes our offers and answers, reads the peer's, and says what the
 * media layer should do (where to send, which payload types, which directions). One session
 * per call: the o= line stays the same and its version goes up with each new description.
 * PCMU and PCMA are always offered; telephone-event (RFC 4733) too.
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

typedef struct
{
  const char        *address;          /* our media address: an IP literal */
  guint              rtp_port;         /* 0: no media socket (every stream inactive) */
  const char *const *codecs;           /* encoding names, most wanted first; NULL: PCMU, PCMA.
                                        * PCMU and PCMA are added at the end when missing. */
  guint              ptime;            /* ms per packet we send; 0: 20 */
  gboolean           rtcp_mux;         /* offer a=rtcp-mux (RFC 5761) */
  BellSdpSrtpPolicy  srtp;
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
  char     *encoding;          /* "PCMU", "PCMA" */
  guint     clock_rate;
  guint     ptime;             /* the peer's a=ptime, else 20 */
  gint      dtmf_pt;           /* telephone-event payload type; -1: the peer has none */
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

/* Our offer (hold: sendonly, or inactive when the peer holds us too, RFC 3264 §8.4). A
 * re-offer puts the codec in use first, so the call keeps it. */
char *bell_sdp_negotiator_offer        (BellSdpNegotiator *n, gboolean hold);
/* Our answer to the peer's offer: the first audio stream taken with the codec the call already
 * uses if the offer still has it, else the first of our codecs it offers (its payload numbers
 * kept), the others refused with port 0. NULL with an error
 * when nothing is acceptable (the call layer answers 488). */
char *bell_sdp_negotiator_answer       (BellSdpNegotiator *n, const char *offer, gboolean hold,
                                        GError **error);
/* The peer's answer to our last offer. */
gboolean bell_sdp_negotiator_apply_answer (BellSdpNegotiator *n, const char *answer,
                                           GError **error);
/* The peer refused our offer (488): with SRTP optional, the next offers go without a=crypto
 * (TRUE); FALSE when there is nothing weaker to offer. */
gboolean bell_sdp_negotiator_drop_srtp (BellSdpNegotiator *n);
/* The agreed media (valid until the next call on n). */
const BellSdpMediaPlan *bell_sdp_negotiator_get_plan (BellSdpNegotiator *n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellSdpNegotiator, bell_sdp_negotiator_free)

G_END_DECLS
