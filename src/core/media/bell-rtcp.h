/* bell-rtcp.h: RTCP sender/receiver reports and the call statistics they give (RFC 3550 §6).
 *
 * Pure packet logic: no sockets, no timers. The media session hands the session every RTP
 * packet it sends and receives and every RTCP packet that arrives, asks when the next report is
 * due, and sends what bell_rtcp_build_report() writes:
 *
 *   rtcp = bell_rtcp_session_new (our_ssrc, 8000, cname);
 *   bell_rtcp_on_rtp_sent (rtcp, packet, len, g_get_monotonic_time ());
 *   bell_rtcp_on_rtp_received (rtcp, packet, len, g_get_monotonic_time ());
 *   bell_rtcp_on_rtcp_received (rtcp, data, len, g_get_monotonic_time ());
 *   ...every bell_rtcp_next_interval_ms (rtcp)...
 *   len = bell_rtcp_build_report (rtcp, g_get_monotonic_time (), buf, sizeof buf);
 *   ...at hang-up...
 *   len = bell_rtcp_build_bye (rtcp, g_get_monotonic_time (), NULL, buf, sizeof buf);
 *
 * Times: every now_us / arrival_us is monotonic (g_get_monotonic_time() or a test's simulated
 * clock); intervals, jitter and DLSR come from them. The NTP timestamps of our SRs are the wall
 * clock: g_get_real_time() is read once, at the session's first timed call (or given with
 * bell_rtcp_session_set_wall_clock()), and moved on by the monotonic time after that, so a
 * wall-clock step mid-call (an NTP daemon correcting) cannot skew the round-trip time, and a
 * test with simulated clocks gets exact values. The RTT only compares our own NTP times with
 * each other (our SR's, echoed as LSR), so the two ends' clocks need not agree.
 *
 * One remote source is tracked: the SSRC of the latest RTP packet; another SSRC starts its
 * statistics over. Sequence numbers follow RFC 3550 A.1 (a new source is on probation for two
 * packets in sequence, the first of which is not counted, as there), losses A.3, jitter A.8
 * (not updated by a packet with the previous one's timestamp, and started over at a payload
 * type change, so that DTMF events in the same stream do not read as jitter).
 *
 * The session does not lock: it belongs to the thread that drives it.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BELL_RTCP_SR   200
#define BELL_RTCP_RR   201
#define BELL_RTCP_SDES 202
#define BELL_RTCP_BYE  203
#define BELL_RTCP_APP  204

#define BELL_RTCP_SDES_CNAME 1
/* Nominal report interval for a two-party call (RFC 3550 §6.2 Tmin); the first is half. */
#define BELL_RTCP_INTERVAL_MS 5000
/* Enough for any report or BYE we build (SR + one block + SDES with a 255-byte CNAME + BYE
 * with a 255-byte reason). */
#define BELL_RTCP_MAX_PACKET 640

typedef struct
{
  /* Our stream, as counted by bell_rtcp_on_rtp_sent(). */
  guint64  packets_sent;
  guint64  octets_sent;           /* payload octets, without header or padding (as in SRs) */

  /* The remote stream: counts since its SSRC last changed (or it resynchronised). */
  gboolean receiving;             /* a remote source has passed its probation */
  guint32  remote_ssrc;
  guint64  packets_received;
  guint64  packets_expected;
  gint64   packets_lost;          /* expected - received: negative with duplicates */
  double   fraction_lost;         /* 0..1, in the last report interval (before the first report:
                                   * since the start) */
  double   jitter_ms;             /* interarrival jitter */

  /* Our stream as the remote sees it: its last report block about our SSRC. */
  gboolean have_remote_report;
  guint64  remote_reports;        /* report blocks about our stream so far */
  double   remote_fraction_lost;  /* 0..1 */
  gint32   remote_packets_lost;   /* cumulative, 24-bit signed on the wire */
  double   remote_jitter_ms;
  double   rtt_ms;                /* round trip from LSR/DLSR; -1 while unknown */
  gboolean bye_received;          /* the remote source said BYE */
  guint64  rtcp_received;         /* valid compound packets from another SSRC than ours */
} BellRtcpStats;

typedef struct _BellRtcpSession BellRtcpSession;

/* cname: our SDES CNAME (at most 255 bytes are sent); NULL makes a random one (RFC 7022).
 * clock_rate: the RTP clock of the audio payload, 1000-192000 Hz. */
BellRtcpSession *bell_rtcp_session_new         (guint32 our_ssrc, guint clock_rate,
                                                const char *cname);
void             bell_rtcp_session_free        (BellRtcpSession *s);
guint32          bell_rtcp_session_get_ssrc    (BellRtcpSession *s);
const char      *bell_rtcp_session_get_cname   (BellRtcpSession *s);
/* Ties monotonic now_us to the wall-clock time real_us (µs since 1970) for NTP timestamps. */
void             bell_rtcp_session_set_wall_clock (BellRtcpSession *s, gint64 now_us,
                                                   gint64 real_us);

/* Sender side: one call per RTP packet sent, before SRTP. Packets that are not RTP version 2
 * with a consistent header are not counted. */
void             bell_rtcp_on_rtp_sent         (BellRtcpSession *s, const guint8 *rtp, gsize len,
                                                gint64 now_us);
/* Receiver side: one call per RTP packet received (after SRTP), of every payload type in the
 * stream, since they share its sequence numbers. Returns FALSE for a packet that is not RTP,
 * and for one the sequence checks do not count (still on probation, or a jump not yet
 * confirmed by its successor): informative, the packet need not be dropped. */
gboolean         bell_rtcp_on_rtp_received     (BellRtcpSession *s, const guint8 *rtp, gsize len,
                                                gint64 arrival_us);

/* Writes a compound report into buf: an SR when RTP was sent since the last report (else an
 * RR), with a report block about the remote source when RTP came from it since the last
 * report, then SDES with our CNAME. Returns its length, or 0 (and changes nothing) when it
 * does not fit in cap. Starts a new loss interval. */
gsize            bell_rtcp_build_report        (BellRtcpSession *s, gint64 now_us, guint8 *buf,
                                                gsize cap);
/* The same report followed by a BYE for our SSRC with an optional reason (≤ 255 bytes sent):
 * the last packet of a call. */
gsize            bell_rtcp_build_bye           (BellRtcpSession *s, gint64 now_us,
                                                const char *reason, guint8 *buf, gsize cap);

/* Takes in a compound RTCP packet (after SRTCP). FALSE, with nothing taken from it, when it is
 * malformed per RFC 3550 A.2: shorter than 8 bytes, a version other than 2, a first packet that
 * is not SR or RR, padding before the last packet, lengths that do not add up to len, an SR, RR
 * or BYE too short for its count. SDES and APP (and other types) are skipped. */
gboolean         bell_rtcp_on_rtcp_received    (BellRtcpSession *s, const guint8 *data, gsize len,
                                                gint64 now_us);

void             bell_rtcp_get_stats           (BellRtcpSession *s, BellRtcpStats *out);
/* Milliseconds until the next report (RFC 3550 §6.2 for two members at audio bit rates):
 * BELL_RTCP_INTERVAL_MS times a random factor in [0.5, 1.5], half of that before the first
 * report. No reconsideration, so no e - 3/2 compensation either. */
guint            bell_rtcp_next_interval_ms    (BellRtcpSession *s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellRtcpSession, bell_rtcp_session_free)

G_END_DECLS
