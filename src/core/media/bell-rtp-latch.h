/* bell-rtp-latch.h: whose RTP (or RTCP) a call listens to: symmetric RTP's latch, and the
 * rules for who may take it over (issue 10, media hygiene).
 *
 * A UDP port takes datagrams from anyone. Once the call's peer has been heard, its source
 * (address and port, and the SSRC its packets carry) is the latched one: packets from any other
 * source are dropped before SRTP, RED, the statistics or the decoder see them, so that a stranger
 * who finds the port cannot talk into the call or steer where our audio goes.
 *
 * Who latches first (nothing latched yet, e.g. at the call's start or after a new SDP):
 *   - a source at the SDP's address (any port: a NAT may map the port, and a peer may send
 *     from another port than it receives on; for IPv6 any address of the same /64, where
 *     privacy addresses come and go);
 *   - any source when the SDP's address cannot be where packets come from: a private one
 *     (RFC 1918, RFC 6598 shared 100.64/10, link-local, loopback, IPv6 ULA fc00::/7) named by a
 *     peer behind NAT that has no idea of its public address, or none usable (no SDP address,
 *     0.0.0.0, another family);
 *   - with SRTP, any source whose packet authenticates (the caller tells: only the peer has
 *     its key).
 * Plain RTP from elsewhere while the SDP names a public address is dropped: the peer named its
 * address, and a public address it does not send from is a misconfiguration that SRTP cures.
 *
 * Who takes over a latched flow (the peer's address really changed: a NAT rebinding, a move
 * from Wi-Fi to mobile data):
 *   - with SRTP, a source whose packet authenticates;
 *   - with plain RTP, a source whose packet carries the latched SSRC once the latched source
 *     has been silent for the latch's quiet time (BELL_RTP_LATCH_QUIET_RTP for RTP);
 *   - the very address and port the SDP names (a stranger who latched first, while a private
 *     SDP address let anyone, cannot keep the peer out);
 *   - a new SDP naming another address (bell_rtp_latch_reset()).
 *
 * Plain arithmetic, no lock and no clock of its own: the caller passes the monotonic time in
 * microseconds, so tests decide how time passes. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* How long the latched RTP source must be silent before a plain RTP packet with its SSRC from
 * elsewhere may take over: 2 s. Audio comes every 10-60 ms; Opus DTX sends one packet every
 * 400 ms in silence and a Wi-Fi stall or a jitter spike lasts a few hundred ms, so a latched
 * peer that is really there is never silent that long, and a stranger who learnt the SSRC
 * cannot race it while it talks. A peer whose address changed is heard again after about 2 s,
 * the length of dropout people put up with on a handover. (A sender that stops entirely in
 * silence, RFC 3389 comfort noise, may go quiet that long; a takeover then still needs its
 * SSRC, which only an on-path observer sees.) */
#define BELL_RTP_LATCH_QUIET_RTP  (2 * G_USEC_PER_SEC)
/* The same for RTCP on its own port: RTCP comes every 5 s (RFC 3550 §6.2, randomised to 2.5-
 * 7.5 s), so silence means more than the longest regular gap plus a lost report's worth. */
#define BELL_RTP_LATCH_QUIET_RTCP (10 * G_USEC_PER_SEC)

/* How often at most a rejected source is logged (bell_rtp_latch_note_rejected()). */
#define BELL_RTP_LATCH_LOG_INTERVAL G_USEC_PER_SEC

typedef enum
{
  BELL_RTP_LATCH_REJECT, /* another source, which may not take over: drop the packet */
  BELL_RTP_LATCH_KEEP,   /* the latched source */
  BELL_RTP_LATCH_FIRST,  /* nothing latched yet, and this source may latch */
  BELL_RTP_LATCH_MOVE,   /* another source that may take over (the SDP's own address and port,
                          * or the latched one is silent and this one carries its SSRC) */
} BellRtpLatchVerdict;

typedef struct _BellRtpLatch BellRtpLatch;

/* quiet_us: the silence after which a plain packet with the latched SSRC may move the latch
 * (BELL_RTP_LATCH_QUIET_RTP or _RTCP). Nothing signalled, nothing latched. */
BellRtpLatch       *bell_rtp_latch_new        (gint64              quiet_us);
void                bell_rtp_latch_free       (BellRtpLatch       *latch);
/* A new SDP: signalled is the address it names (NULL: none usable). Forgets the latched
 * source and its SSRC; the counts stay. */
void                bell_rtp_latch_reset      (BellRtpLatch       *latch,
                                               GInetSocketAddress *signalled);
/* The verdict for a packet that did NOT authenticate (plain RTP, or SRTP that failed) from
 * `from` carrying ssrc (RTP: the header's SSRC; RTCP: the sender's), at now. Changes nothing. */
BellRtpLatchVerdict bell_rtp_latch_check      (BellRtpLatch       *latch,
                                               GInetSocketAddress *from,
                                               guint32             ssrc,
                                               gint64              now);
/* The packet is taken: from becomes (or stays) the latched source, with ssrc, heard at now.
 * For a packet that check() did not reject, or one that SRTP authenticated (which may move the
 * latch from anywhere). TRUE when the latched source changed (a first latch or a move); then
 * previous (when not NULL) gets the source it moved from (transfer full; NULL after a first
 * latch). */
gboolean            bell_rtp_latch_accept     (BellRtpLatch       *latch,
                                               GInetSocketAddress *from,
                                               guint32             ssrc,
                                               gint64              now,
                                               GInetSocketAddress **previous);
/* A packet from `from` was dropped as not the peer's: counted. TRUE when it deserves a log
 * line: the first from a source other than the last one logged, and no more often than
 * BELL_RTP_LATCH_LOG_INTERVAL (a flood from many ports logs once a second, not per port). */
gboolean            bell_rtp_latch_note_rejected (BellRtpLatch     *latch,
                                                  GInetSocketAddress *from,
                                                  gint64            now);

/* The latched source (NULL: none yet) and its SSRC; the signalled address (NULL: none). */
GInetSocketAddress *bell_rtp_latch_get_latched (BellRtpLatch      *latch);
guint32             bell_rtp_latch_get_ssrc    (BellRtpLatch      *latch);
GInetSocketAddress *bell_rtp_latch_get_signalled (BellRtpLatch    *latch);
/* Packets noted by bell_rtp_latch_note_rejected() since the latch was made. */
guint64             bell_rtp_latch_get_rejected (BellRtpLatch     *latch);

/* Whether a packet from address may be the peer that signalled `signalled` before any latch
 * (the rules above, without SRTP). Exposed for the tests. */
gboolean            bell_rtp_latch_may_be_peer (GInetAddress      *signalled,
                                                GInetAddress      *address);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellRtpLatch, bell_rtp_latch_free)

G_END_DECLS
