/* fuzz-rtp.c: libFuzzer harness for the media receive path: everything a peer's datagrams
 * reach in a call, without sockets or GStreamer.
 *
 * One input is one call:
 *   byte 0   the call: bits 0-1 SRTP suite (AES_CM_128_HMAC_SHA1_80, _32, AEAD_AES_128_GCM,
 *            3: plain RTP), bits 2-3 key params (plain, MKI, a lifetime of 5 packets, 1-byte
 *            MKI), bit 4 rtcp-mux, bit 5 a 48 kHz clock (else 8 kHz), bit 6 a 300-byte CNAME,
 *            bit 7 a telephone-event receiver;
 *   byte 1   the telephone-event payload type (low 7 bits); bit 7 RED (RFC 2198) agreed, its
 *            payload type the event's + 21 (101 gives 122, Bellbird's RED for PCMA). The
 *            call's codec is PCMA (8) at 8 kHz, Opus (111, whose decoder takes FEC) at 48 kHz,
 *            20 ms a packet;
 *   then     packets, each [ctl] [aux] [length, 16 bits big-endian] [bytes] (a length past the
 *            end takes what is left). ctl: bit 0 RTCP (to the RTCP port, or muxed), bit 1 sent
 *            as it is instead of SRTP-protected (a forgery), bit 2 one bit of the protected
 *            packet flipped at a position aux picks (with bit 1: protect into a buffer one byte
 *            too small first), bit 3 after it we send an RTP packet (unless aux bit 0) and a
 *            report, built first into aux * 3 bytes, bits 4-7 how far the clock moves first.
 *            Each packet is also a frame we send: aux bits 1-3 set the RED encoder's distance,
 *            aux bit 7 a payload type of aux's low 7 bits instead of the codec's, the clock
 *            step moves the frame's timestamp (the longest one restarts the encoder).
 * Raw packets make sense as inputs too: the whole input goes through as one packet first.
 *
 * What runs, with the invariants checked (abort() on a broken one, so libFuzzer keeps it):
 *   - the whole input as an SRTP and as an SRTCP packet, unprotected by fixed sessions made
 *     once per suite and key kind, keyed for a peer that never sends: it never authenticates,
 *     fails with an AUTH or REPLAY BELL_SRTP_ERROR, and is counted once;
 *   - the whole input delivered as an RTP packet, then as an RTCP packet, then each packet.
 *     The peer protects it with a pair of sessions made for this call: protect fails exactly
 *     for what is not RTP/RTCP, a replay, a used-up lifetime or a buffer too small (or, under
 *     AES-GCM, an RTP header past 2048 bytes), leaving the buffer as it was, and otherwise adds exactly the overhead and keeps the header. Our
 *     socket judges it as bell-rtp-socket.c handle_datagram() does (RTCP port or muxed payload
 *     type, size, version); our session unprotects it: an authentic packet must come back
 *     byte for byte (for RTP while both ends have seen the same packets, so that they agree on
 *     the rollover counter), a forged or flipped one must not authenticate, a failure is
 *     counted once. Then the media session takes it as bell-media-session.c on_received()
 *     does: RTCP to bell_rtcp_on_rtcp_received(), RTP to bell_rtcp_on_rtp_received() and,
 *     past the CSRCs, header extension and padding (bell_rtp_packet_parse(), which both
 *     use), its payload to bell_dtmf_receiver_push() when the payload type is
 *     telephone-event, a RED packet split by bell_red_parse() into its copies and primary
 *     (receive_red()), a packet of the codec's type and each usable copy to the frame tally;
 *   - RED: a payload splits into blocks inside it whose headers, lengths and primary add up
 *     to it, each copy's offset in 14 bits and length in 10 (as the header bytes say), and
 *     it splits the same with room for exactly its blocks and not with one less; a payload
 *     refused is one RFC 2198 cannot have made (checked by a walk of its headers);
 *   - the frame tally: frames == packets + red + fec + concealed after every arrival, no
 *     count ever falls, an arrival taken once is a duplicate right after (of either source)
 *     and changes nothing, and no more frames count as come in a packet (or a RED copy) than
 *     arrivals of that kind were taken; at the end of the call a new numbering starting
 *     where none of the numbers the call saw is near is taken from its second packet on;
 *   - our RED encoder, fed every packet as a frame: its payload splits back into exactly the
 *     frames it should repeat (the last `distance` ones, newest first while each one's offset
 *     fits 14 bits and its size 10), with their data, payload types and offsets, then the
 *     frame; into one byte less it gives 0 and forgets nothing;
 *   - the DTMF receiver: digits are keys with bounded durations, a push that returns FALSE is
 *     counted once as malformed or late, and a payload parses and writes back to itself;
 *   - RTCP: the statistics stay in range after every packet; our reports (SR or RR, into too
 *     small a buffer first, which must give 0) are well-formed compounds with our SSRC and
 *     CNAME that our own parser takes without changing anything, and go through our SRTCP
 *     protect and the peer's unprotect intact; the call ends with a BYE whose reason comes
 *     from the input, checked the same way.
 *
 * Seeds of calls with RED, Opus, sequence jumps and the encoder's limits: corpus/rtp/.
 *
 * Built twice: as a libFuzzer target (-Dfuzz=true, clang) and, with BELL_FUZZ_ENTRY renamed,
 * into the fuzz-replay unit test that runs the seeds and crash files with any compiler.
 */
#define G_LOG_DOMAIN "fuzz-rtp"

#include <math.h>

#include "fuzz-common.h"
#include "bell-dtmf.h"
#include "bell-frame-tally.h"
#include "bell-jitter-target.h"
#include "bell-playout.h"
#include "bell-rtcp.h"
#include "bell-rtp-packet.h"
#include "bell-rtp-red.h"
#include "bell-rtp-socket.h"
#include "bell-srtp.h"

#define RTP_HEADER   12
#define RTCP_HEADER  8
#define OUR_SSRC     0x5eed0001u
#define NO_SRTP      3
#define N_VARIANTS   4
#define MAX_PACKETS  256
#define DTMF_KEYS    "0123456789*#ABCD!"
#define PT_PCMA      8
#define PT_OPUS      111
#define PTIME_MS     20
/* As many blocks as bell-media-session.c receive_red() takes. */
#define RED_BLOCKS   8
#define RED_HEADER   4
#define RTP_GCM_MAX_AAD 2048

enum { CTL_RTCP = 1, CTL_FORGED = 2, CTL_TAMPER = 4, CTL_REPORT = 8 };
enum { PORT_RTP, PORT_RTCP };
enum { KEY_OURS, KEY_PEER, KEY_NOBODY, N_KEYS };

/* Key params after the base64 key: ours, then the peer's, per variant. Variant 2 lets the
 * peer's key protect 5 RTP and 5 RTCP packets only (and our key 5 reports). */
static const char *const variant_suffix[N_VARIANTS][2] = {
  { "", "" },
  { "|2^20|1:4", "|2^20|2:4" },
  { "|5", "|5" },
  { "|1:1", "|200:1" },
};

/* Clock steps before a packet, in microseconds: mostly a packet time, sometimes a long gap. */
static const gint64 clock_steps[16] = {
  0, 1000, 5000, 10000, 20000, 20000, 20000, 20000,
  30000, 40000, 60000, 100000, 500000, 1000000, 60000000, 3600000000,
};

static gboolean available[BELL_SRTP_N_SUITES];
static BellSrtpSession *fixed[BELL_SRTP_N_SUITES][N_VARIANTS];
static char *long_cname;
/* BELL_FUZZ_RTP_SKIP_MKI32 set: no calls under AES_CM_128_HMAC_SHA1_32 with an MKI, whose
 * SRTCP libsrtp 2.5 cannot unprotect (it looks for the MKI where SRTP's 4-byte tag would
 * start, not SRTCP's 10-byte one): to fuzz the rest while that finding stands. */
static gboolean skip_mki32;

typedef struct
{
  BellSrtpSuite     suite;
  BellSrtpSession  *ours, *peer;   /* NULL without SRTP */
  gboolean          lifetime;      /* variant 2: protect may run out of key */
  gboolean          mux;
  const char       *cname;
  guint             clock_rate;
  BellRtcpSession  *rtcp;
  BellDtmfReceiver *dtmf;
  gint              dtmf_pt;
  gint64            now;
  /* SSRCs of RTP packets the peer protected that did not reach our unprotect or did not pass
   * it: for the others both ends have seen the same packets and so agree on the rollover
   * counter, and the next authentic packet must pass. */
  guint32           out_of_step[16];
  guint             n_out_of_step;   /* past 16: all of them */
  guint16           our_seq;
  guint32           our_ts;
  guint             digits;
  gboolean          peer_took_our_ssrc;   /* an RTP packet came with our SSRC */
  /* Receiving audio, as bell-media-session.c: the codec's payload type, RED's (-1: none). */
  guint             pt;
  gint              red_pt;
  guint             frame_ticks;
  gboolean          opus;            /* the decoder takes FEC once frames go missing */
  BellFrameTally   *tally;
  BellFrameCounts   counts;          /* as last read */
  guint64           taken[2];        /* arrivals the tally took, by BellFrameSource */
  guint8            seen[65536 / 8]; /* sequence numbers handed to it, as a bitmap */
  guint16           last_seq;        /* the last one */
  BellJitterTarget *jitter;
  /* PCMA: the playout of a call that records, or plays to nothing (bell-playout-src.c), fed
   * beside the jitter target of one that plays to a speaker. */
  BellPlayout      *playout;
  gint64            next_due;        /* when its next frame is due, 0 before the first */
  guint64           frames_out;      /* taken out of it */
  gboolean          recv_lossy, decoder_fec;
  guint             red_seen;
  /* Sending: our RED encoder, and the frames it was given (newest first) as it should
   * remember them. */
  BellRedEncoder   *red;
  guint32           red_ts;
  struct { guint8 pt; guint32 ts; const guint8 *data; gsize len; } sent[BELL_RED_MAX_DISTANCE];
  guint             n_sent;
} Call;

static void
touch_bytes (const guint8 *p, gsize len)
{
  for (gsize i = 0; i < len; i++)
    sink ^= p[i];
}

static guint32
get32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static void
put32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

/* RFC 3550 §5.1, §5.3.1: the header length, 0 when there is no whole header in len bytes.
 * What bell-srtp protects: anything else must be refused. */
static gsize
rtp_header_length (const guint8 *buf, gsize len)
{
  gsize hlen = RTP_HEADER;

  if (len < hlen || buf[0] >> 6 != 2)
    return 0;
  hlen += 4 * (gsize) (buf[0] & 0x0f);
  if (buf[0] & 0x10)
    {
      if (len < hlen + 4)
        return 0;
      hlen += 4 + 4 * (((gsize) buf[hlen + 2] << 8) | buf[hlen + 3]);
    }
  return hlen <= len ? hlen : 0;
}

/* ---- statistics and reports --------------------------------------------------------------- */

static void
check_stats (Call *c)
{
  BellRtcpStats st;

  bell_rtcp_get_stats (c->rtcp, &st);
  if (!(st.fraction_lost >= 0 && st.fraction_lost <= 1))
    fail ("fraction lost %g", st.fraction_lost);
  if (!(st.remote_fraction_lost >= 0 && st.remote_fraction_lost < 1))
    fail ("remote fraction lost %g", st.remote_fraction_lost);
  if (!(st.jitter_ms >= 0 && isfinite (st.jitter_ms)))
    fail ("jitter %g ms", st.jitter_ms);
  if (!(st.remote_jitter_ms >= 0 && isfinite (st.remote_jitter_ms)))
    fail ("remote jitter %g ms", st.remote_jitter_ms);
  if (!(st.rtt_ms == -1 || (st.rtt_ms >= 0 && st.rtt_ms <= 32768000)))
    fail ("round trip %g ms", st.rtt_ms);
  if (!st.receiving && (st.packets_received || st.packets_expected || st.packets_lost))
    fail ("counts of a remote source not received");
  if (st.receiving && st.packets_lost > 0 && (guint64) st.packets_lost > st.packets_expected)
    fail ("%" G_GINT64_FORMAT " lost of %" G_GUINT64_FORMAT " expected", st.packets_lost,
          st.packets_expected);
}

/* A compound we built: RTCP headers that add up to len, SR or RR first with our SSRC, our
 * CNAME in an SDES, and with bye, a BYE for us last whose reason is a prefix of reason. */
static void
check_own_compound (Call *c, const guint8 *buf, gsize len, const char *reason)
{
  gboolean have_cname = FALSE;
  const guint8 *last = NULL;
  gsize off = 0;

  if (len == 0 || len % 4 != 0 || len > BELL_RTCP_MAX_PACKET)
    fail ("own RTCP compound of %zu bytes", (size_t) len);
  if ((buf[1] != BELL_RTCP_SR && buf[1] != BELL_RTCP_RR) || (buf[0] & 0x1f) > 1)
    fail ("own compound starts with type %u count %u", buf[1], buf[0] & 0x1f);
  while (off < len)
    {
      const guint8 *p = buf + off;
      gsize plen = (((gsize) p[2] << 8 | p[3]) + 1) * 4;

      if (len - off < 8 || p[0] >> 6 != 2 || (p[0] & 0x20) || plen > len - off)
        fail ("own RTCP packet at %zu malformed", (size_t) off);
      if (get32 (p + 4) != OUR_SSRC)
        fail ("own RTCP packet of type %u with SSRC %08x", p[1], get32 (p + 4));
      if (p[1] == BELL_RTCP_SDES)
        {
          gsize n = strlen (c->cname);
          if (plen < 10 || p[8] != BELL_RTCP_SDES_CNAME || 10 + (gsize) p[9] > plen)
            fail ("own SDES malformed");
          if (p[9] == 0 || (gsize) p[9] > MIN (n, 255) || memcmp (p + 10, c->cname, p[9]) != 0)
            fail ("own CNAME of %u bytes is not a prefix of ours", p[9]);
          if (n <= 255 && p[9] != n)
            fail ("own CNAME cut to %u of %zu bytes", p[9], (size_t) n);
          have_cname = TRUE;
        }
      last = p;
      off += plen;
    }
  if (!have_cname)
    fail ("own compound without SDES CNAME");
  if (reason != NULL)
    {
      gsize n = strlen (reason);
      gsize plen = (((gsize) last[2] << 8 | last[3]) + 1) * 4;

      if (last[1] != BELL_RTCP_BYE || (last[0] & 0x1f) != 1)
        fail ("own BYE missing");
      if (n > 0 && (plen < 9 || (gsize) last[8] > MIN (n, 255) || last[8] == 0
                    || 9 + (gsize) last[8] > plen || memcmp (last + 9, reason, last[8]) != 0))
        fail ("own BYE reason is not a prefix of the one given");
      if (n == 0 && plen != 8)
        fail ("own BYE of %zu bytes without a reason", (size_t) plen);
    }
}

/* Our report went out: through our SRTCP and the peer's, it must arrive as it left. */
static void
srtcp_round_trip (Call *c, const guint8 *report, gsize len)
{
  g_autoptr(GError) error = NULL;
  gsize cap = len + BELL_SRTP_MAX_OVERHEAD, n = len;
  g_autofree guint8 *buf = g_malloc (cap);

  memcpy (buf, report, len);
  if (!bell_srtp_protect_rtcp (c->ours, buf, &n, cap, &error))
    {
      if (!c->lifetime || !g_error_matches (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_KEY_EXPIRED))
        fail ("our report does not protect: %s", error->message);
      return;
    }
  if (n != len + bell_srtp_session_get_overhead (c->ours, TRUE))
    fail ("protected report of %zu bytes from %zu", (size_t) n, (size_t) len);
  if (!bell_srtp_unprotect_rtcp (c->peer, buf, &n, &error))
    fail ("the peer cannot unprotect our report: %s", error->message);
  if (n != len || memcmp (buf, report, len) != 0)
    fail ("our report arrives changed by SRTCP");
}

static void
check_own_report (Call *c, const guint8 *buf, gsize len, const char *reason)
{
  BellRtcpStats before, after;

  check_own_compound (c, buf, len, reason);
  /* Our own packets looped back say nothing about the remote. */
  bell_rtcp_get_stats (c->rtcp, &before);
  if (!bell_rtcp_on_rtcp_received (c->rtcp, buf, len, c->now))
    fail ("our own %s of %zu bytes does not parse", reason ? "BYE" : "report", (size_t) len);
  bell_rtcp_get_stats (c->rtcp, &after);
  /* Except that our BYE names the remote source when it took our SSRC. */
  if (c->peer_took_our_ssrc)
    before.bye_received = after.bye_received;
  if (memcmp (&before, &after, sizeof before) != 0)
    fail ("our own report looped back changed the statistics");
  if (c->ours)
    srtcp_round_trip (c, buf, len);
}

static void
send_and_report (Call *c, guint8 aux)
{
  guint8 buf[BELL_RTCP_MAX_PACKET];
  gsize small = (gsize) aux * 3, len;
  guint interval;

  if (!(aux & 1))
    {
      guint8 rtp[RTP_HEADER + 160] = { 0x80, 0 };

      rtp[2] = (guint8) (c->our_seq >> 8);
      rtp[3] = (guint8) c->our_seq++;
      put32 (rtp + 4, c->our_ts);
      c->our_ts += 160;
      put32 (rtp + 8, OUR_SSRC);
      bell_rtcp_on_rtp_sent (c->rtcp, rtp, sizeof rtp, c->now);
    }
  len = bell_rtcp_build_report (c->rtcp, c->now, buf, MIN (small, sizeof buf));
  if (len == 0)
    len = bell_rtcp_build_report (c->rtcp, c->now, buf, sizeof buf);
  else if (len > small)
    fail ("a report of %zu bytes built into %zu", (size_t) len, (size_t) small);
  if (len == 0)
    fail ("no report fits in BELL_RTCP_MAX_PACKET");
  check_own_report (c, buf, len, NULL);

  interval = bell_rtcp_next_interval_ms (c->rtcp);
  if (interval < BELL_RTCP_INTERVAL_MS / 4 || interval > BELL_RTCP_INTERVAL_MS * 3 / 2)
    fail ("next report in %u ms", interval);
}

/* ---- DTMF --------------------------------------------------------------------------------- */

static void
on_digit (char digit, guint duration_ms, gpointer user_data)
{
  Call *c = user_data;

  if (digit == '\0' || strchr (DTMF_KEYS, digit) == NULL)
    fail ("digit 0x%02x reported", (guchar) digit);
  if (duration_ms > G_MAXUINT16 * 1000u / c->clock_rate)
    fail ("digit %c of %u ms at %u Hz", digit, duration_ms, c->clock_rate);
  c->digits++;
}

static void
push_dtmf (Call *c, const guint8 *payload, gsize len, guint32 ts, guint16 seq, gboolean marker)
{
  guint malformed = bell_dtmf_receiver_get_malformed (c->dtmf);
  guint late = bell_dtmf_receiver_get_late (c->dtmf);
  guint digits = c->digits;
  BellDtmfPayload p;
  gboolean taken;

  if (bell_dtmf_payload_parse (payload, len, &p))
    {
      guint8 again[BELL_DTMF_PAYLOAD_SIZE];

      if (len < BELL_DTMF_PAYLOAD_SIZE)
        fail ("a %zu-byte telephone-event payload parsed", (size_t) len);
      bell_dtmf_payload_write (&p, again);
      /* The R bit is not kept. */
      if (again[0] != payload[0] || again[1] != (payload[1] & ~0x40) ||
          again[2] != payload[2] || again[3] != payload[3])
        fail ("telephone-event payload does not write back as it parsed");
    }
  else if (len >= BELL_DTMF_PAYLOAD_SIZE)
    fail ("a %zu-byte telephone-event payload does not parse", (size_t) len);

  taken = bell_dtmf_receiver_push (c->dtmf, payload, len, ts, seq, marker);
  malformed = bell_dtmf_receiver_get_malformed (c->dtmf) - malformed;
  late = bell_dtmf_receiver_get_late (c->dtmf) - late;
  if (taken ? malformed + late != 0 : malformed + late != 1)
    fail ("push returned %d, counted %u malformed and %u late", taken, malformed, late);
  if (c->digits - digits > 1 || (!taken && c->digits != digits))
    fail ("one push reported %u digits", c->digits - digits);
}

/* ---- RED and the frame tally -------------------------------------------------------------- */

static void
check_counts (Call *c, const BellFrameCounts *n)
{
  const BellFrameCounts *o = &c->counts;

  if (n->frames != n->packets + n->red + n->fec + n->concealed)
    fail ("%" G_GUINT64_FORMAT " frames of %" G_GUINT64_FORMAT " packets, %" G_GUINT64_FORMAT
          " red, %" G_GUINT64_FORMAT " fec, %" G_GUINT64_FORMAT " concealed", n->frames,
          n->packets, n->red, n->fec, n->concealed);
  if (n->frames < o->frames || n->packets < o->packets || n->red < o->red || n->fec < o->fec ||
      n->concealed < o->concealed)
    fail ("a frame count fell");
  if (n->packets > c->taken[BELL_FRAME_PACKET] || n->red > c->taken[BELL_FRAME_RED])
    fail ("%" G_GUINT64_FORMAT " frames from packets and %" G_GUINT64_FORMAT " from RED of %"
          G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT " taken", n->packets, n->red,
          c->taken[BELL_FRAME_PACKET], c->taken[BELL_FRAME_RED]);
}

/* bell_frame_tally_arrived() with its invariants. */
static gboolean
tally_arrived (Call *c, guint16 seq, BellFrameSource source)
{
  BellFrameCounts now;
  gboolean news = bell_frame_tally_arrived (c->tally, seq, source);

  c->seen[seq / 8] |= (guint8) (1 << (seq % 8));
  c->last_seq = seq;
  if (news)
    c->taken[source]++;
  bell_frame_tally_get (c->tally, &now);
  check_counts (c, &now);
  c->counts = now;
  if (news)
    {
      /* The same frame again, from either source, is a duplicate and changes nothing. */
      if (bell_frame_tally_arrived (c->tally, seq, BELL_FRAME_PACKET) ||
          bell_frame_tally_arrived (c->tally, seq, BELL_FRAME_RED))
        fail ("frame %u taken twice in a row", seq);
      bell_frame_tally_get (c->tally, &now);
      if (memcmp (&now, &c->counts, sizeof now) != 0)
        fail ("a duplicate of frame %u changed the counts", seq);
    }
  return news;
}

/* The sender numbers anew (a new source behind a relay): wherever it starts, its second
 * packet is taken. From a number none of those the call saw is within 130 of, so that it is
 * no late packet of the stream (those may be refused as too late). */
static void
new_numbering (Call *c, guint16 from)
{
  const guint free_run = 132;
  guint run = 0, i;
  guint16 a;

  for (i = 0; i < 65536 + free_run; i++)
    {
      guint16 s = (guint16) (from + i);

      run = c->seen[s / 8] & (1 << (s % 8)) ? 0 : run + 1;
      if (run == free_run)
        break;
    }
  if (run < free_run)
    return;
  /* None of a .. a + 131 seen: a + 1 may be refused as a stray, a + 2 must not. */
  a = (guint16) (from + i + 1 - free_run);
  tally_arrived (c, (guint16) (a + 1), BELL_FRAME_PACKET);
  for (guint k = 2; k <= 3; k++)
    if (!tally_arrived (c, (guint16) (a + k), BELL_FRAME_PACKET))
      fail ("a new numbering from %u not taken at its packet %u", (guint16) (a + 1), k);
}

static guint
red_block_len (const guint8 *h)
{
  return (guint) (h[2] & 0x03) << 8 | h[3];
}

/* RFC 2198 §3 by a walk of the headers: the number of blocks of payload, 0 when it cannot be
 * one (no primary header, a header cut short, more than max blocks, data past the end). */
static guint
red_walk (const guint8 *p, gsize len, guint max)
{
  gsize pos = 0, data = 0;
  guint n = 0;

  while (pos < len && n < max && (p[pos] & 0x80))
    {
      if (len - pos < RED_HEADER)
        return 0;
      data += red_block_len (p + pos);
      pos += RED_HEADER;
      n++;
    }
  if (pos >= len || n >= max)
    return 0;
  return pos + 1 + data <= len ? n + 1 : 0;
}

/* bell_red_parse() on payload, with its invariants; the number of blocks, 0 if refused. */
static guint
red_parse (const guint8 *p, gsize len, BellRedBlock *blocks, guint max)
{
  guint n = 0, walked = red_walk (p, len, max), n2 = 0;
  BellRedBlock again[RED_BLOCKS];
  const guint8 *data;

  if (!bell_red_parse (p, len, blocks, max, &n))
    {
      if (walked)
        fail ("a RED payload of %zu bytes with %u blocks refused", (size_t) len, walked);
      return 0;
    }
  if (n != walked || n == 0 || n > max)
    fail ("a RED payload of %zu bytes split into %u blocks, not %u", (size_t) len, n, walked);
  data = p + RED_HEADER * (n - 1) + 1;
  for (guint i = 0; i < n; i++)
    {
      const guint8 *h = p + RED_HEADER * i;
      gboolean primary = i + 1 == n;

      if (blocks[i].data != data || blocks[i].len > (gsize) (p + len - data))
        fail ("RED block %u of %u not where it should be in the payload", i, n);
      if (blocks[i].pt != (h[0] & 0x7f) || !!(h[0] & 0x80) == primary)
        fail ("RED block %u of %u: payload type or F bit", i, n);
      if (primary ? blocks[i].ts_offset != 0 || data + blocks[i].len != p + len
                  : blocks[i].ts_offset > 0x3fff || blocks[i].len > 0x3ff ||
                    blocks[i].len != red_block_len (h) ||
                    blocks[i].ts_offset != ((guint32) h[1] << 6 | h[2] >> 2))
        fail ("RED block %u of %u: offset %u length %zu", i, n, blocks[i].ts_offset,
              (size_t) blocks[i].len);
      touch_bytes (blocks[i].data, blocks[i].len);
      data += blocks[i].len;
    }
  /* Room for exactly its blocks is enough; one less is not. */
  if (!bell_red_parse (p, len, again, n, &n2) || n2 != n)
    fail ("a RED payload of %u blocks does not split into room for %u", n, n);
  for (guint i = 0; i < n; i++)
    if (again[i].pt != blocks[i].pt || again[i].ts_offset != blocks[i].ts_offset ||
        again[i].data != blocks[i].data || again[i].len != blocks[i].len)
      fail ("a RED payload splits otherwise into room for its %u blocks", n);
  if (bell_red_parse (p, len, again, n - 1, &n2))
    fail ("a RED payload of %u blocks split into room for %u", n, n - 1);
  return n;
}

/* bell-media-session.c playout_latency() as for a speaker (rtpjitterbuffer's depth): RED's
 * copies are let in by it; the recording's playout below (playout_put()) takes the same frames. */
static guint
playout_latency (Call *c)
{
  guint ms = bell_jitter_target_get_ms (c->jitter);

  if (c->recv_lossy && c->red_seen)
    ms += c->red_seen * PTIME_MS;
  return ms;
}

/* bell-playout-src.c bell_playout_src_put() for nothing (take_due(), then the packet): keep
 * in step with it. Every frame taken out has a frame's length within a step's; each is played
 * or concealed, and counted once. */
#define MAX_CATCH_UP 100

static void
playout_put (Call *c, guint16 seq, guint32 timestamp, gboolean marker, const guint8 *payload,
             gsize len)
{
  gint16 pcm[PTIME_MS * 8 + BELL_PLAYOUT_STEP_MAX];
  guint frame = PTIME_MS * 8, n = 0;
  BellPlayoutStats stats;

  if (!c->playout)
    return;
  if (bell_playout_get_start_us (c->playout) >= 0)
    {
      if (!c->next_due)
        c->next_due = bell_playout_get_start_us (c->playout);
      while (c->next_due <= c->now && n++ < MAX_CATCH_UP)
        {
          guint got = bell_playout_get (c->playout, c->next_due, pcm);

          if (got + BELL_PLAYOUT_STEP_MAX < frame || got > frame + BELL_PLAYOUT_STEP_MAX)
            fail ("the playout gave a frame of %u samples (%u expected, within %u)", got, frame,
                  BELL_PLAYOUT_STEP_MAX);
          touch_bytes ((const guint8 *) pcm, got * sizeof pcm[0]);
          c->frames_out++;
          c->next_due += (gint64) got * G_USEC_PER_SEC / 8000;
        }
      if (c->next_due <= c->now)
        c->next_due = c->now;
    }
  bell_playout_put (c->playout, seq, timestamp, marker, payload, len, c->now);
  bell_playout_get_stats (c->playout, &stats);
  if (stats.played + stats.concealed != c->frames_out)
    fail ("the playout counts %" G_GUINT64_FORMAT " played and %" G_GUINT64_FORMAT
          " concealed of %" G_GUINT64_FORMAT " frames taken out", stats.played, stats.concealed,
          c->frames_out);
}

/* bell-media-session.c receive_red(): keep in step with it. */
static void
receive_red (Call *c, const guint8 *data, const BellRtpHeader *rtp)
{
  BellRedBlock blocks[RED_BLOCKS];
  guint n = red_parse (data + rtp->payload_offset, rtp->payload_len, blocks, RED_BLOCKS);

  if (!n)
    return;
  c->red_seen = n - 1;
  for (guint i = 0; i + 1 < n; i++)
    {
      guint back = blocks[i].ts_offset / c->frame_ticks;

      if (blocks[i].pt != c->pt || !back || blocks[i].ts_offset % c->frame_ticks ||
          back * PTIME_MS > playout_latency (c))
        continue;
      if (tally_arrived (c, (guint16) (rtp->seq - back), BELL_FRAME_RED))
        playout_put (c, (guint16) (rtp->seq - back), rtp->timestamp - blocks[i].ts_offset, FALSE,
                     blocks[i].data, blocks[i].len);
    }
  if (blocks[n - 1].pt == c->pt && tally_arrived (c, rtp->seq, BELL_FRAME_PACKET))
    playout_put (c, rtp->seq, rtp->timestamp, rtp->marker, blocks[n - 1].data, blocks[n - 1].len);
}

/* bell-media-session.c on_received() past the telephone events: the codec's packets and RED's
 * to the tally, FEC in the Opus decoder once frames go missing, the playout's depth. */
static void
receive_audio (Call *c, const guint8 *data, const BellRtpHeader *rtp)
{
  guint64 missed = c->counts.frames - c->counts.packets;
  gboolean lossy;

  if (c->red_pt >= 0 && (gint) rtp->pt == c->red_pt)
    receive_red (c, data, rtp);
  else if (rtp->pt != c->pt || !tally_arrived (c, rtp->seq, BELL_FRAME_PACKET))
    return;
  else
    playout_put (c, rtp->seq, rtp->timestamp, rtp->marker, data + rtp->payload_offset,
                 rtp->payload_len);
  lossy = c->recv_lossy || c->counts.frames - c->counts.packets > missed;
  if (lossy && c->opus && !c->decoder_fec)
    {
      c->decoder_fec = TRUE;
      bell_frame_tally_set_fec (c->tally, TRUE);
    }
  bell_jitter_target_update (c->jitter, c->now, rtp->timestamp);
  c->recv_lossy = lossy;
}

/* Our RED encoder sends frame p (len bytes): it must repeat exactly the frames it should. */
static void
red_send (Call *c, const guint8 *p, gsize len, guint8 ctl, guint8 aux)
{
  guint distance = (aux >> 1) & 7, use = 0, n;
  guint8 pt = aux & 0x80 ? aux & 0x7f : (guint8) c->pt;
  gsize need, got;
  g_autofree guint8 *out = NULL;
  BellRedBlock blocks[RED_BLOCKS];

  if (ctl >> 4 == G_N_ELEMENTS (clock_steps) - 1)
    {
      bell_red_encoder_reset (c->red);
      c->n_sent = 0;
    }
  c->red_ts += (guint32) (clock_steps[ctl >> 4] * c->clock_rate / G_USEC_PER_SEC);
  bell_red_encoder_set_distance (c->red, distance);
  if (bell_red_encoder_get_distance (c->red) != MIN (distance, BELL_RED_MAX_DISTANCE))
    fail ("RED distance %u set, %u got", distance, bell_red_encoder_get_distance (c->red));

  /* The newest frames, as long as each one's offset and size fit RFC 2198's header. */
  need = 1 + len;
  while (use < MIN (distance, c->n_sent))
    {
      guint32 offset = c->red_ts - c->sent[use].ts;

      if (offset == 0 || offset > 0x3fff || c->sent[use].len > 0x3ff)
        break;
      need += RED_HEADER + c->sent[use].len;
      use++;
    }
  out = g_malloc (need);
  if (bell_red_encoder_wrap (c->red, pt, c->red_ts, p, len, out, need - 1) != 0)
    fail ("a RED payload of %zu bytes wrapped into %zu", (size_t) need, (size_t) need - 1);
  got = bell_red_encoder_wrap (c->red, pt, c->red_ts, p, len, out, need);
  if (got != need)
    fail ("a RED payload of %zu bytes with %u copies, not %zu", (size_t) got, use,
          (size_t) need);
  n = red_parse (out, got, blocks, RED_BLOCKS);
  if (n != use + 1)
    fail ("our RED payload splits into %u blocks, not %u", n, use + 1);
  for (guint i = 0; i < use; i++)
    {
      const BellRedBlock *b = &blocks[i];
      guint k = use - 1 - i;   /* oldest first */

      if (b->pt != (c->sent[k].pt & 0x7f) || b->ts_offset != c->red_ts - c->sent[k].ts ||
          b->len != c->sent[k].len || memcmp (b->data, c->sent[k].data, b->len) != 0)
        fail ("our RED copy %u of %u is not the frame sent %u before", i, use, k + 1);
    }
  if (blocks[use].pt != (pt & 0x7f) || blocks[use].len != len ||
      memcmp (blocks[use].data, p, len) != 0)
    fail ("our RED primary is not the frame");
  /* The input outlives the call: the frames are kept by reference. */
  memmove (&c->sent[1], &c->sent[0], sizeof c->sent[0] * (BELL_RED_MAX_DISTANCE - 1));
  c->sent[0].pt = pt;
  c->sent[0].ts = c->red_ts;
  c->sent[0].data = p;
  c->sent[0].len = len;
  c->n_sent = MIN (c->n_sent + 1, BELL_RED_MAX_DISTANCE);
}

/* ---- the receive path --------------------------------------------------------------------- */

/* bell-media-session.c on_received(), without GStreamer: keep in step with it. */
static void
media_on_received (Call *c, const guint8 *data, gsize len, gboolean rtcp)
{
  BellRtpHeader rtp;

  if (rtcp)
    {
      bell_rtcp_on_rtcp_received (c->rtcp, data, len, c->now);
      return;
    }
  if (len < RTP_HEADER)
    return;
  if (get32 (data + 8) == OUR_SSRC)
    c->peer_took_our_ssrc = TRUE;
  bell_rtcp_on_rtp_received (c->rtcp, data, len, c->now);
  if (!bell_rtp_packet_parse (data, len, &rtp))
    return;
  if ((gint) rtp.pt == c->dtmf_pt && c->dtmf)
    {
      push_dtmf (c, data + rtp.payload_offset, rtp.payload_len, rtp.timestamp, rtp.seq,
                 rtp.marker);
      return;
    }
  /* The audio goes to the jitter buffer as a copy of the whole packet. */
  touch_bytes (data, len);
  receive_audio (c, data, &rtp);
}

/* bell-rtp-socket.c: RFC 5761 §4, payload types 64-95 after the marker bit are RTCP. */
static gboolean
is_muxed_rtcp (const guint8 *data, gsize len)
{
  guint pt = len >= 2 ? (data[1] & 0x7f) : 0;

  return pt >= 64 && pt <= 95;
}

/* bell-rtp-socket.c well_formed(): what is dropped before SRTP. */
static gboolean
well_formed (const guint8 *data, gsize len, gboolean rtcp)
{
  return len <= BELL_RTP_MAX_RECEIVE && len >= (rtcp ? RTCP_HEADER : RTP_HEADER) &&
         data[0] >> 6 == 2;
}

static gboolean
in_step (Call *c, const guint8 *rtp)
{
  if (c->n_out_of_step > G_N_ELEMENTS (c->out_of_step))
    return FALSE;
  for (guint i = 0; i < c->n_out_of_step; i++)
    if (c->out_of_step[i] == get32 (rtp + 8))
      return FALSE;
  return TRUE;
}

/* An RTP packet the peer protected did not come through. */
static void
lost_step (Call *c, const guint8 *rtp)
{
  if (!in_step (c, rtp))
    return;
  if (c->n_out_of_step < G_N_ELEMENTS (c->out_of_step))
    c->out_of_step[c->n_out_of_step] = get32 (rtp + 8);
  c->n_out_of_step++;
}

/* The peer protects p; FALSE (with the reason checked) when it will not. */
static gboolean
peer_protect (Call *c, guint8 *buf, gsize *n, gsize cap, gboolean rtcp)
{
  g_autoptr(GError) error = NULL;
  gsize len = *n;
  g_autofree guint8 *before = g_memdup2 (buf, len ? len : 1);
  gsize header = rtcp ? RTCP_HEADER : rtp_header_length (buf, len);
  gboolean valid = rtcp ? len >= RTCP_HEADER && buf[0] >> 6 == 2 : header > 0;
  gboolean ok = rtcp ? bell_srtp_protect_rtcp (c->peer, buf, n, cap, &error)
                     : bell_srtp_protect (c->peer, buf, n, cap, &error);

  if (!ok)
    {
      if (error == NULL || error->domain != BELL_SRTP_ERROR)
        fail ("protect failed without a BELL_SRTP_ERROR");
      if (*n != len || memcmp (buf, before, len) != 0)
        fail ("a failed protect changed the packet");
      if (!valid && error->code != BELL_SRTP_ERROR_PACKET)
        fail ("protect of a non-%s packet: %s", rtcp ? "RTCP" : "RTP", error->message);
      /* libsrtp's AES-GCM built on NSS (Debian's) authenticates at most 2048 bytes of RTP
       * header (its MAX_AD_SIZE), and may have counted the packet first: no header of ours
       * comes near (12 bytes), and our socket takes no datagram past 1500. */
      if (valid && !rtcp && header > RTP_GCM_MAX_AAD &&
          c->suite == BELL_SRTP_SUITE_AEAD_AES_128_GCM && error->code == BELL_SRTP_ERROR_INTERNAL)
        {
          lost_step (c, before);
          return FALSE;
        }
      if (valid && !(error->code == BELL_SRTP_ERROR_REPLAY && !rtcp) &&
          !(error->code == BELL_SRTP_ERROR_KEY_EXPIRED && c->lifetime))
        fail ("protect of a %zu-byte %s packet: %s", (size_t) len, rtcp ? "RTCP" : "RTP",
              error->message);
      return FALSE;
    }
  if (!valid)
    fail ("protect took a %zu-byte packet that is not %s", (size_t) len, rtcp ? "RTCP" : "RTP");
  if (*n != len + bell_srtp_session_get_overhead (c->peer, rtcp))
    fail ("protect made %zu bytes of %zu", (size_t) *n, (size_t) len);
  if (memcmp (buf, before, header) != 0)
    fail ("protect changed the %s header", rtcp ? "RTCP" : "RTP");
  return TRUE;
}

/* The peer sends p (len bytes): protected unless forged, maybe with a bit flipped; our socket
 * judges it, SRTP checks it, the media session takes it. */
static void
deliver (Call *c, const guint8 *p, gsize len, guint8 ctl, guint8 aux)
{
  gboolean sent_rtcp = (ctl & CTL_RTCP) != 0, forged = (ctl & CTL_FORGED) != 0;
  gboolean tamper = (ctl & CTL_TAMPER) != 0, protected = FALSE, rtcp, authentic = TRUE;
  gsize cap = len + BELL_SRTP_MAX_OVERHEAD, n = len;
  g_autofree guint8 *wire = g_malloc (cap);
  g_autofree guint8 *dgram = NULL;
  int port;

  memcpy (wire, p, len);
  if (c->peer && !forged)
    protected = peer_protect (c, wire, &n, cap, sent_rtcp);
  else if (c->peer && tamper)
    {
      /* No room for the trailer: refused, the buffer as it was. */
      g_autoptr(GError) error = NULL;
      gsize overhead = bell_srtp_session_get_overhead (c->peer, sent_rtcp), m = len;
      gboolean ok = sent_rtcp
        ? bell_srtp_protect_rtcp (c->peer, wire, &m, len + overhead - 1, &error)
        : bell_srtp_protect (c->peer, wire, &m, len + overhead - 1, &error);

      if (ok || !g_error_matches (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_PACKET) ||
          m != len || memcmp (wire, p, len) != 0)
        fail ("protect into a buffer one byte short did not fail cleanly");
    }
  if (protected && tamper)
    wire[aux % n] ^= (guint8) (0x80 >> (aux >> 5));

  port = sent_rtcp && !c->mux ? PORT_RTCP : PORT_RTP;
  rtcp = port == PORT_RTCP || (c->mux && is_muxed_rtcp (wire, n));
  if (!well_formed (wire, n, rtcp))
    {
      if (protected && !sent_rtcp)
        lost_step (c, p);
      return;
    }

  /* A datagram of its own size, so that ASan sees any read past it. */
  dgram = g_memdup2 (wire, n);
  if (c->ours)
    {
      g_autoptr(GError) error = NULL;
      gboolean expect = protected && !tamper && rtcp == sent_rtcp && (rtcp || in_step (c, p));
      gsize tag = bell_srtp_suite_get_overhead (c->suite, rtcp) - (rtcp ? 4 : 0);
      gsize wire_len = n;
      guint64 replayed, failed, ok_before, ok_after;

      bell_srtp_session_get_stats (c->ours, &replayed, &failed, NULL, &ok_before);
      authentic = rtcp ? bell_srtp_unprotect_rtcp (c->ours, dgram, &n, &error)
                       : bell_srtp_unprotect (c->ours, dgram, &n, &error);
      if (authentic)
        {
          /* A forgery that passes a tag of 80 bits or more is a broken check; one in 2^32
           * gets past SRTP's 32-bit tag by luck. */
          if ((!protected || tamper) && tag >= 10)
            fail ("a %s %s packet authenticated", protected ? "tampered" : "forged",
                  rtcp ? "SRTCP" : "SRTP");
          if (protected && !tamper && rtcp == sent_rtcp && (n != len || memcmp (dgram, p, len)))
            fail ("an authentic %s packet of %zu bytes unprotects to %zu other bytes",
                  rtcp ? "SRTCP" : "SRTP", (size_t) len, (size_t) n);
          if (n > wire_len)
            fail ("unprotect grew the packet from %zu to %zu bytes", (size_t) wire_len,
                  (size_t) n);
        }
      else
        {
          guint64 r2, f2;

          if (expect)
            fail ("an authentic %s packet (%zu bytes, %zu protected) does not unprotect: %s",
                  rtcp ? "SRTCP" : "SRTP", (size_t) len, (size_t) n, error->message);
          if (error == NULL || error->domain != BELL_SRTP_ERROR ||
              (error->code != BELL_SRTP_ERROR_AUTH && error->code != BELL_SRTP_ERROR_REPLAY))
            fail ("unprotect failed without an AUTH or REPLAY error");
          bell_srtp_session_get_stats (c->ours, &r2, &f2, NULL, NULL);
          if (r2 + f2 != replayed + failed + 1)
            fail ("a failed unprotect not counted once");
          if (protected && !sent_rtcp)
            lost_step (c, p);
          return;
        }
      bell_srtp_session_get_stats (c->ours, NULL, NULL, NULL, &ok_after);
      if (ok_after != ok_before + 1)
        fail ("an unprotected packet not counted once");
    }
  media_on_received (c, dgram, n, rtcp);
}

/* ---- one call ----------------------------------------------------------------------------- */

static void
forged_on_fixed (const uint8_t *data, size_t size, guint variant)
{
  for (guint s = 0; s < BELL_SRTP_N_SUITES; s++)
    for (int rtcp = 0; rtcp <= 1 && fixed[s][variant]; rtcp++)
      {
        BellSrtpSession *session = fixed[s][variant];
        g_autoptr(GError) error = NULL;
        g_autofree guint8 *buf = g_memdup2 (data, size ? size : 1);
        guint64 replayed, failed, ok, r2, f2, ok2;
        gsize n = size;
        gboolean passed;

        bell_srtp_session_get_stats (session, &replayed, &failed, NULL, &ok);
        passed = rtcp ? bell_srtp_unprotect_rtcp (session, buf, &n, &error)
                      : bell_srtp_unprotect (session, buf, &n, &error);
        bell_srtp_session_get_stats (session, &r2, &f2, NULL, &ok2);
        if (passed)
          {
            if (bell_srtp_suite_get_overhead (s, rtcp) - (rtcp ? 4 : 0) >= 10)
              fail ("a forged %s packet authenticated", rtcp ? "SRTCP" : "SRTP");
            continue;
          }
        if (error == NULL || error->domain != BELL_SRTP_ERROR ||
            (error->code != BELL_SRTP_ERROR_AUTH && error->code != BELL_SRTP_ERROR_REPLAY))
          fail ("unprotect failed without an AUTH or REPLAY error");
        if (r2 + f2 != replayed + failed + 1 || ok2 != ok)
          fail ("a failed unprotect not counted once");
      }
}

/* Key params: key||salt from a pattern of which key it is, changed by tweak. */
static char *
make_key (BellSrtpSuite suite, guint variant, guint which, guint32 tweak)
{
  gsize len = bell_srtp_suite_get_key_length (suite) + bell_srtp_suite_get_salt_length (suite);
  guint8 master[32];
  g_autofree char *b64 = NULL;

  for (gsize i = 0; i < len; i++)
    master[i] = (guint8) (0x11 * (which + 1) + 7 * i + suite) ^ (guint8) (tweak >> (8 * (i % 4)));
  b64 = g_base64_encode (master, len);
  return g_strconcat ("inline:", b64, variant_suffix[variant][which == KEY_OURS ? 0 : 1], NULL);
}

/* The keys of a call depend on its input, so that a packet protected in one call is a
 * forgery in any other: libFuzzer cannot carry an authentic one over (from a comparison it
 * saw, say) and make a forgery look accepted. */
static gboolean
call_start (Call *c, guint8 config, guint8 dtmf_pt, guint32 input_hash)
{
  g_autofree char *ours = NULL, *peer = NULL;
  guint suite = config & 3, variant = (config >> 2) & 3;

  memset (c, 0, sizeof *c);
  c->mux = (config & 0x10) != 0;
  c->clock_rate = config & 0x20 ? 48000 : 8000;
  c->cname = config & 0x40 ? long_cname : "fuzz@bellbird.invalid";
  c->now = 1000 * G_USEC_PER_SEC;
  c->our_seq = 4242;
  c->our_ts = 160000;
  if (suite != NO_SRTP)
    {
      g_autoptr(GError) error = NULL;

      if (!available[suite])
        return FALSE;
      c->suite = (BellSrtpSuite) suite;
      c->lifetime = variant == 2;
      if (skip_mki32 && suite == BELL_SRTP_SUITE_AES_CM_128_HMAC_SHA1_32 && variant % 2)
        return FALSE;
      if (fixed[suite][variant] == NULL)
        return FALSE;   /* key params bell-srtp refuses (see BELL_FUZZ_INIT) */
      ours = make_key (suite, variant, KEY_OURS, input_hash);
      peer = make_key (suite, variant, KEY_PEER, input_hash);
      c->ours = bell_srtp_session_new (c->suite, ours, peer, &error);
      if (c->ours)
        c->peer = bell_srtp_session_new (c->suite, peer, ours, &error);
      if (c->peer == NULL)
        fail ("SRTP sessions of %s: %s", bell_srtp_suite_to_name (c->suite), error->message);
    }
  c->rtcp = bell_rtcp_session_new (OUR_SSRC, c->clock_rate, c->cname);
  bell_rtcp_session_set_wall_clock (c->rtcp, c->now,
                                    G_GINT64_CONSTANT (1700000000) * G_USEC_PER_SEC);
  if (config & 0x80)
    {
      c->dtmf = bell_dtmf_receiver_new (c->clock_rate, on_digit, c, NULL);
      c->dtmf_pt = dtmf_pt & 0x7f;
    }
  else
    c->dtmf_pt = -1;
  c->red_pt = dtmf_pt & 0x80 ? ((dtmf_pt & 0x7f) + 21) & 0x7f : -1;
  c->opus = c->clock_rate == 48000;
  c->pt = c->opus ? PT_OPUS : PT_PCMA;
  c->frame_ticks = PTIME_MS * (c->clock_rate / 1000);
  c->tally = bell_frame_tally_new ();
  c->jitter = bell_jitter_target_new (c->clock_rate);
  if (!c->opus)
    c->playout = bell_playout_new (BELL_PLAYOUT_PCMA, PTIME_MS, 60);
  c->red = bell_red_encoder_new ();
  c->red_ts = input_hash;
  return TRUE;
}

static void
call_end (Call *c, const uint8_t *data, size_t size)
{
  guint8 buf[BELL_RTCP_MAX_PACKET];
  g_autofree char *reason = g_strndup ((const char *) data, MIN (size, 300));
  gsize len = bell_rtcp_build_bye (c->rtcp, c->now, reason, buf, sizeof buf);

  if (len == 0)
    fail ("no BYE fits in BELL_RTCP_MAX_PACKET");
  check_own_report (c, buf, len, reason);
  check_stats (c);

  new_numbering (c, (guint16) (c->last_seq + c->red_ts));
  bell_dtmf_receiver_free (c->dtmf);
  bell_frame_tally_free (c->tally);
  bell_jitter_target_free (c->jitter);
  bell_playout_free (c->playout);
  bell_red_encoder_free (c->red);
  bell_rtcp_session_free (c->rtcp);
  bell_srtp_session_free (c->ours);
  bell_srtp_session_free (c->peer);
}

int
BELL_FUZZ_INIT (int *argc, char ***argv)
{
  GString *cname = g_string_new (NULL);

  /* A g_return_if_fail or g_warning reached from input is a bug to keep. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  skip_mki32 = g_getenv ("BELL_FUZZ_RTP_SKIP_MKI32") != NULL;

  for (guint s = 0; s < BELL_SRTP_N_SUITES; s++)
    {
      available[s] = bell_srtp_suite_is_available (s);
      for (guint v = 0; v < N_VARIANTS && available[s]; v++)
        {
          g_autoptr(GError) error = NULL;
          g_autofree char *ours = make_key (s, v, KEY_OURS, 0);
          g_autofree char *nobody = make_key (s, v, KEY_NOBODY, 0);

          /* Keyed for packets from nobody: whatever arrives there is a forgery. Key params
           * bell-srtp refuses as unsupported (an MKI with some suite, say) are left out. */
          fixed[s][v] = bell_srtp_session_new (s, ours, nobody, &error);
          if (fixed[s][v] == NULL &&
              !g_error_matches (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_UNSUPPORTED))
            fail ("SRTP session of %s: %s", bell_srtp_suite_to_name (s), error->message);
        }
    }
  /* 300 bytes of two-byte UTF-8: cut to 254 at a character boundary. */
  while (cname->len < 300)
    g_string_append (cname, "\xc3\xa9");
  long_cname = g_string_free (cname, FALSE);
  return 0;
}

int
BELL_FUZZ_ENTRY (const uint8_t *data, size_t size)
{
  Call call, *c = &call;
  guint32 hash = 2166136261u;
  size_t off = 2;
  guint packets = 0;

  if (size < 2)
    return 0;
  for (size_t i = 0; i < size; i++)
    hash = (hash ^ data[i]) * 16777619u;   /* FNV-1a */
  if (!call_start (c, data[0], data[1], hash))
    return 0;

  /* The whole input as a forgery, as one RTP packet and as one RTCP packet. */
  forged_on_fixed (data, size, (data[0] >> 2) & 3);
  deliver (c, data, size, 0, 0);
  check_stats (c);
  deliver (c, data, size, CTL_RTCP, 0);
  check_stats (c);

  /* Then as a stream of packets. */
  while (size - off >= 4 && packets++ < MAX_PACKETS)
    {
      guint8 ctl = data[off], aux = data[off + 1];
      size_t len = MIN ((size_t) (data[off + 2] << 8 | data[off + 3]), size - off - 4);

      off += 4;
      c->now += clock_steps[ctl >> 4];
      deliver (c, data + off, len, ctl, aux);
      check_stats (c);
      if (ctl & CTL_REPORT)
        send_and_report (c, aux);
      red_send (c, data + off, len, ctl, aux);
      off += len;
    }

  call_end (c, data + 2, size - 2);
  return 0;
}
