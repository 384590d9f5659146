/* bell-rtcp.c: RTCP reports, RFC 3550 §6 and appendix A, for one remote source. */
#define G_LOG_DOMAIN "bell-media"

#include "bell-rtcp.h"

#include <string.h>

#define RTP_HEADER      12
#define RTP_SEQ_MOD     (1u << 16)
/* RFC 3550 A.1: how far ahead a sequence number may jump, and how far behind it may fall, and
 * still belong to the stream; how many packets in sequence make a new source valid. */
#define MAX_DROPOUT     3000
#define MAX_MISORDER    100
#define MIN_SEQUENTIAL  2

#define RTCP_HEADER     4
#define SR_SENDER_INFO  20
#define REPORT_BLOCK    24
#define CNAME_MAX       255
/* Seconds from 1900 (NTP) to 1970 (Unix). */
#define NTP_UNIX_OFFSET G_GUINT64_CONSTANT (2208988800)

typedef struct
{
  gboolean valid;          /* some RTP came from it */
  guint32  ssrc;
  guint8   payload_type;   /* of the packet the jitter baseline comes from */

  /* A.1 */
  guint16  max_seq;
  guint32  cycles;         /* wraps of the sequence number, shifted left 16 */
  guint32  base_seq;
  guint32  bad_seq;
  guint    probation;
  guint64  received;
  guint64  expected_prior;
  guint64  received_prior;

  /* A.8 */
  gboolean have_transit;
  gint64   last_arrival_us;
  guint32  last_timestamp;
  double   jitter;         /* in timestamp units */

  gboolean heard;          /* since the last report */
  double   fraction_lost;  /* of the last interval */
  gboolean reported;       /* fraction_lost is of a finished interval */
} Source;

struct _BellRtcpSession
{
  guint32  ssrc;
  guint    clock_rate;
  char    *cname;

  gboolean have_wall;
  gint64   wall_offset_us;  /* real time - monotonic time */

  /* Sender */
  guint64  packets_sent;
  guint64  octets_sent;
  gboolean sent_since_report;
  guint32  last_rtp_timestamp;
  gint64   last_rtp_sent_us;

  /* Receiver */
  Source   src;

  /* The remote's last SR, for our LSR/DLSR. */
  gboolean have_lsr;
  guint32  lsr_ssrc;
  guint32  lsr;
  gint64   lsr_arrival_us;

  /* The remote's last report block about us. */
  gboolean have_remote_report;
  guint64  remote_reports;
  double   remote_fraction_lost;
  gint32   remote_packets_lost;
  double   remote_jitter_ms;
  double   rtt_ms;
  gboolean bye_received;
  guint64  rtcp_received;   /* compound packets from another SSRC than ours */

  gboolean reported_once;
};

/* ------------------------------------------------------------------------------------------ */
/* Helpers */

static inline guint16
get16 (const guint8 *p)
{
  return (guint16) (p[0] << 8 | p[1]);
}

static inline guint32
get32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static inline void
put16 (guint8 *p, guint16 v)
{
  p[0] = (guint8) (v >> 8);
  p[1] = (guint8) v;
}

static inline void
put32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

/* A common RTCP header: version 2, padding bit clear, count, type, length in words - 1. */
static void
put_header (guint8 *p, guint count, guint8 type, gsize len)
{
  g_assert (count < 32 && len % 4 == 0 && len >= RTCP_HEADER);
  p[0] = (guint8) (0x80 | count);
  p[1] = type;
  put16 (p + 2, (guint16) (len / 4 - 1));
}

/* The payload length of an RTP packet (RFC 3550 §5.1, §5.3.1), FALSE when it is not one. */
static gboolean
rtp_payload_len (const guint8 *rtp, gsize len, gsize *payload)
{
  gsize header;

  if (rtp == NULL || len < RTP_HEADER || rtp[0] >> 6 != 2)
    return FALSE;
  header = RTP_HEADER + 4 * (gsize) (rtp[0] & 0x0f);
  if (rtp[0] & 0x10)
    {
      if (len < header + 4)
        return FALSE;
      header += 4 + 4 * (gsize) get16 (rtp + header + 2);
    }
  if (len < header)
    return FALSE;
  len -= header;
  if (rtp[0] & 0x20)
    {
      if (len == 0 || rtp[header + len - 1] == 0 || rtp[header + len - 1] > len)
        return FALSE;
      len -= rtp[header + len - 1];
    }
  *payload = len;
  return TRUE;
}

/* How many bytes of str to send in an item of at most max bytes: all of it, or a prefix cut
 * before a UTF-8 continuation byte (any cut, should str not be UTF-8 at all). */
static gsize
utf8_cut (const char *str, gsize max)
{
  gsize len = strlen (str), n = max;

  if (len <= max)
    return len;
  while (n > 0 && ((guchar) str[n] & 0xc0) == 0x80)
    n--;
  return n > 0 ? n : max;
}

static gint64
wall_us (BellRtcpSession *s, gint64 now_us)
{
  if (!s->have_wall)
    {
      s->wall_offset_us = g_get_real_time () - now_us;
      s->have_wall = TRUE;
    }
  return now_us + s->wall_offset_us;
}

/* 64-bit NTP timestamp: seconds since 1900 in the high half, the fraction in the low one. */
static guint64
ntp_time (BellRtcpSession *s, gint64 now_us)
{
  gint64 real = wall_us (s, now_us);
  guint64 sec = (guint64) (real / G_USEC_PER_SEC) + NTP_UNIX_OFFSET;
  guint64 usec = (guint64) (real % G_USEC_PER_SEC);

  /* A wall clock before 1970 is broken anyway; keep the arithmetic defined. */
  if (real < 0)
    sec = NTP_UNIX_OFFSET, usec = 0;
  return sec << 32 | (usec << 32) / G_USEC_PER_SEC;
}

/* The middle 32 bits, as LSR carries it and RTT is computed in (units of 1/65536 s). */
static inline guint32
ntp_middle (guint64 ntp)
{
  return (guint32) (ntp >> 16);
}

static double
units_to_ms (BellRtcpSession *s, double units)
{
  return units * 1000.0 / s->clock_rate;
}

/* ------------------------------------------------------------------------------------------ */
/* Session */

static char *
random_cname (void)
{
  guint8 bytes[12];

  /* RFC 7022 §4.2: a per-session random CNAME of at least 96 bits. */
  for (gsize i = 0; i < sizeof bytes; i++)
    bytes[i] = (guint8) g_random_int_range (0, 256);
  return g_base64_encode (bytes, sizeof bytes);
}

BellRtcpSession *
bell_rtcp_session_new (guint32 our_ssrc, guint clock_rate, const char *cname)
{
  BellRtcpSession *s;

  g_return_val_if_fail (clock_rate >= 1000 && clock_rate <= 192000, NULL);

  s = g_new0 (BellRtcpSession, 1);
  s->ssrc = our_ssrc;
  s->clock_rate = clock_rate;
  if (cname != NULL && cname[0] != '\0')
    s->cname = g_strndup (cname, utf8_cut (cname, CNAME_MAX));
  else
    s->cname = random_cname ();
  s->rtt_ms = -1;
  return s;
}

void
bell_rtcp_session_free (BellRtcpSession *s)
{
  if (s == NULL)
    return;
  g_free (s->cname);
  g_free (s);
}

guint32
bell_rtcp_session_get_ssrc (BellRtcpSession *s)
{
  g_return_val_if_fail (s != NULL, 0);

  return s->ssrc;
}

const char *
bell_rtcp_session_get_cname (BellRtcpSession *s)
{
  g_return_val_if_fail (s != NULL, NULL);

  return s->cname;
}

void
bell_rtcp_session_set_wall_clock (BellRtcpSession *s, gint64 now_us, gint64 real_us)
{
  g_return_if_fail (s != NULL);

  s->wall_offset_us = real_us - now_us;
  s->have_wall = TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* Sender side */

void
bell_rtcp_on_rtp_sent (BellRtcpSession *s, const guint8 *rtp, gsize len, gint64 now_us)
{
  gsize payload;

  g_return_if_fail (s != NULL);

  if (!rtp_payload_len (rtp, len, &payload))
    return;
  s->packets_sent++;
  s->octets_sent += payload;
  s->sent_since_report = TRUE;
  s->last_rtp_timestamp = get32 (rtp + 4);
  s->last_rtp_sent_us = now_us;
  wall_us (s, now_us);
}

/* ------------------------------------------------------------------------------------------ */
/* Receiver side */

/* RFC 3550 A.1 init_seq(). */
static void
init_seq (Source *src, guint16 seq)
{
  src->base_seq = seq;
  src->max_seq = seq;
  src->bad_seq = RTP_SEQ_MOD + 1;   /* so seq == bad_seq is false */
  src->cycles = 0;
  src->received = 0;
  src->received_prior = 0;
  src->expected_prior = 0;
  src->reported = FALSE;
  src->fraction_lost = 0;
}

/* RFC 3550 A.1 update_seq(): whether the packet counts. */
static gboolean
update_seq (Source *src, guint16 seq)
{
  guint16 udelta = (guint16) (seq - src->max_seq);

  if (src->probation)
    {
      /* Packets must be in sequence for the source to be valid. */
      if (seq == (guint16) (src->max_seq + 1))
        {
          src->probation--;
          src->max_seq = seq;
          if (src->probation == 0)
            {
              init_seq (src, seq);
              src->received++;
              return TRUE;
            }
        }
      else
        {
          src->probation = MIN_SEQUENTIAL - 1;
          src->max_seq = seq;
        }
      return FALSE;
    }
  else if (udelta < MAX_DROPOUT)
    {
      /* In order, with a permissible gap. */
      if (seq < src->max_seq)
        src->cycles += RTP_SEQ_MOD;
      src->max_seq = seq;
    }
  else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER)
    {
      /* A very large jump. Two packets in sequence after it mean the other side restarted
       * without telling us (or changed its numbering): start over from there. */
      if (seq == src->bad_seq)
        {
          init_seq (src, seq);
          src->have_transit = FALSE;
        }
      else
        {
          src->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
          return FALSE;
        }
    }
  /* else: a duplicate or a reordered packet; counted, as in A.1 (hence negative losses). */
  src->received++;
  return TRUE;
}

/* RFC 3550 A.8 with doubles: J += (|D| - J) / 16, D = (Rj - Ri) - (Sj - Si) in timestamp
 * units, from the previous packet's arrival and timestamp to this one's. */
static void
update_jitter (BellRtcpSession *s, guint8 pt, guint32 timestamp, gint64 arrival_us)
{
  Source *src = &s->src;

  if (src->have_transit && pt == src->payload_type)
    {
      double arrival_delta, d;

      if (timestamp == src->last_timestamp)
        return;
      arrival_delta = (double) (arrival_us - src->last_arrival_us) * s->clock_rate / G_USEC_PER_SEC;
      d = arrival_delta - (double) (gint32) (timestamp - src->last_timestamp);
      src->jitter += (ABS (d) - src->jitter) / 16.0;
    }
  src->have_transit = TRUE;
  src->payload_type = pt;
  src->last_arrival_us = arrival_us;
  src->last_timestamp = timestamp;
}

gboolean
bell_rtcp_on_rtp_received (BellRtcpSession *s, const guint8 *rtp, gsize len, gint64 arrival_us)
{
  Source *src;
  gsize payload;
  guint32 ssrc;
  guint16 seq;
  gboolean counted;

  g_return_val_if_fail (s != NULL, FALSE);

  if (!rtp_payload_len (rtp, len, &payload))
    return FALSE;
  src = &s->src;
  ssrc = get32 (rtp + 8);
  seq = get16 (rtp + 2);
  if (!src->valid || ssrc != src->ssrc)
    {
      /* A new source: on probation until MIN_SEQUENTIAL packets come in sequence. */
      memset (src, 0, sizeof *src);
      src->valid = TRUE;
      src->ssrc = ssrc;
      init_seq (src, seq);
      src->max_seq = (guint16) (seq - 1);
      src->probation = MIN_SEQUENTIAL;
      s->bye_received = FALSE;
    }
  counted = update_seq (src, seq);
  /* A rejected jump says nothing of the network's jitter; probation packets in sequence do. */
  if (counted || src->probation > 0)
    update_jitter (s, rtp[1] & 0x7f, get32 (rtp + 4), arrival_us);
  if (counted)
    src->heard = TRUE;
  return counted;
}

/* ------------------------------------------------------------------------------------------ */
/* Reports */

/* Whether the report carries a block about the remote source. */
static gboolean
has_block (BellRtcpSession *s)
{
  return s->src.valid && s->src.probation == 0 && s->src.heard;
}

static gsize
sdes_len (BellRtcpSession *s)
{
  /* Header, SSRC, CNAME item (type, length, text), at least one null octet, to 32 bits. */
  gsize chunk = 4 + 2 + strlen (s->cname) + 1;

  return RTCP_HEADER + (chunk + 3) / 4 * 4;
}

static gsize
report_len (BellRtcpSession *s)
{
  gsize len = s->sent_since_report ? RTCP_HEADER + 4 + SR_SENDER_INFO : RTCP_HEADER + 4;

  if (has_block (s))
    len += REPORT_BLOCK;
  return len + sdes_len (s);
}

static gint64
expected_packets (const Source *src)
{
  guint32 extended_max = src->cycles + src->max_seq;

  return (gint64) extended_max - (gint64) src->base_seq + 1;
}

/* RFC 3550 A.3, closing the interval: fills one report block. */
static void
write_block (BellRtcpSession *s, gint64 now_us, guint8 *p)
{
  Source *src = &s->src;
  gint64 expected = expected_packets (src);
  gint64 lost = expected - (gint64) src->received;
  gint64 expected_interval = expected - (gint64) src->expected_prior;
  gint64 received_interval = (gint64) src->received - (gint64) src->received_prior;
  gint64 lost_interval = expected_interval - received_interval;
  guint fraction = 0;
  guint32 lsr = 0, dlsr = 0;

  src->expected_prior = (guint64) MAX (expected, 0);
  src->received_prior = src->received;
  if (expected_interval > 0 && lost_interval > 0)
    {
      fraction = (guint) ((lost_interval << 8) / expected_interval);
      src->fraction_lost = (double) lost_interval / (double) expected_interval;
    }
  else
    src->fraction_lost = 0;
  src->reported = TRUE;
  lost = CLAMP (lost, -0x800000, 0x7fffff);

  if (s->have_lsr && s->lsr_ssrc == src->ssrc)
    {
      gint64 delay = MAX (now_us - s->lsr_arrival_us, 0);
      lsr = s->lsr;
      dlsr = (guint32) MIN (delay * 65536 / G_USEC_PER_SEC, G_MAXUINT32);
    }

  put32 (p, src->ssrc);
  put32 (p + 4, (guint32) MIN (fraction, 255) << 24 | ((guint32) lost & 0xffffff));
  put32 (p + 8, src->cycles + src->max_seq);
  put32 (p + 12, (guint32) MIN (src->jitter, (double) G_MAXUINT32));
  put32 (p + 16, lsr);
  put32 (p + 20, dlsr);
  src->heard = FALSE;
}

static gsize
write_report (BellRtcpSession *s, gint64 now_us, guint8 *buf)
{
  gboolean block = has_block (s);
  guint8 *p = buf;
  gsize len;

  if (s->sent_since_report)
    {
      guint64 ntp = ntp_time (s, now_us);
      /* The RTP time that goes with the NTP time: the last packet's, moved on by the clock. */
      gint64 since = MAX (now_us - s->last_rtp_sent_us, 0);
      guint32 rtp_ts = s->last_rtp_timestamp +
                       (guint32) ((guint64) since * s->clock_rate / G_USEC_PER_SEC);

      len = RTCP_HEADER + 4 + SR_SENDER_INFO + (block ? REPORT_BLOCK : 0);
      put_header (p, block, BELL_RTCP_SR, len);
      put32 (p + 4, s->ssrc);
      put32 (p + 8, (guint32) (ntp >> 32));
      put32 (p + 12, (guint32) ntp);
      put32 (p + 16, rtp_ts);
      put32 (p + 20, (guint32) s->packets_sent);
      put32 (p + 24, (guint32) s->octets_sent);
      p += RTCP_HEADER + 4 + SR_SENDER_INFO;
    }
  else
    {
      len = RTCP_HEADER + 4 + (block ? REPORT_BLOCK : 0);
      put_header (p, block, BELL_RTCP_RR, len);
      put32 (p + 4, s->ssrc);
      p += RTCP_HEADER + 4;
    }
  if (block)
    {
      write_block (s, now_us, p);
      p += REPORT_BLOCK;
    }
  s->sent_since_report = FALSE;
  s->reported_once = TRUE;

  /* SDES (§6.5): one chunk, our CNAME, then null octets up to the next 32-bit boundary. */
  len = sdes_len (s);
  memset (p, 0, len);
  put_header (p, 1, BELL_RTCP_SDES, len);
  put32 (p + 4, s->ssrc);
  p[8] = BELL_RTCP_SDES_CNAME;
  p[9] = (guint8) strlen (s->cname);
  memcpy (p + 10, s->cname, p[9]);
  p += len;

  return (gsize) (p - buf);
}

gsize
bell_rtcp_build_report (BellRtcpSession *s, gint64 now_us, guint8 *buf, gsize cap)
{
  g_return_val_if_fail (s != NULL, 0);
  g_return_val_if_fail (buf != NULL || cap == 0, 0);

  if (report_len (s) > cap)
    return 0;
  return write_report (s, now_us, buf);
}

gsize
bell_rtcp_build_bye (BellRtcpSession *s, gint64 now_us, const char *reason, guint8 *buf,
                     gsize cap)
{
  gsize reason_len = 0, bye_len, len;
  guint8 *p;

  g_return_val_if_fail (s != NULL, 0);
  g_return_val_if_fail (buf != NULL || cap == 0, 0);

  if (reason != NULL)
    reason_len = utf8_cut (reason, CNAME_MAX);
  /* §6.6: header, our SSRC, then a length-prefixed reason padded with nulls to 32 bits. */
  bye_len = RTCP_HEADER + 4 + (reason_len > 0 ? (1 + reason_len + 3) / 4 * 4 : 0);
  if (report_len (s) + bye_len > cap)
    return 0;

  len = write_report (s, now_us, buf);
  p = buf + len;
  memset (p, 0, bye_len);
  put_header (p, 1, BELL_RTCP_BYE, bye_len);
  put32 (p + 4, s->ssrc);
  if (reason_len > 0)
    {
      p[8] = (guint8) reason_len;
      memcpy (p + 9, reason, reason_len);
    }
  return len + bye_len;
}

/* ------------------------------------------------------------------------------------------ */
/* Receiving RTCP */

/* RFC 3550 A.2, and each packet long enough for what its count says it holds. */
static gboolean
rtcp_valid (const guint8 *data, gsize len)
{
  gsize off = 0;

  if (data == NULL || len < RTCP_HEADER + 4 || len % 4 != 0)
    return FALSE;
  if (data[1] != BELL_RTCP_SR && data[1] != BELL_RTCP_RR)
    return FALSE;
  while (off < len)
    {
      const guint8 *p = data + off;
      gsize plen, need;
      guint count;

      if (len - off < RTCP_HEADER || p[0] >> 6 != 2)
        return FALSE;
      plen = ((gsize) get16 (p + 2) + 1) * 4;
      if (plen > len - off)
        return FALSE;
      count = p[0] & 0x1f;
      if (p[0] & 0x20)
        {
          /* Padding only on the last packet, counted by its last octet, never into the header. */
          guint8 pad = p[plen - 1];
          if (off + plen != len || pad == 0 || pad > plen - RTCP_HEADER)
            return FALSE;
        }
      switch (p[1])
        {
        case BELL_RTCP_SR:
          need = RTCP_HEADER + 4 + SR_SENDER_INFO + count * REPORT_BLOCK;
          break;
        case BELL_RTCP_RR:
          need = RTCP_HEADER + 4 + count * REPORT_BLOCK;
          break;
        case BELL_RTCP_BYE:
          need = RTCP_HEADER + count * 4;
          break;
        default:
          need = RTCP_HEADER;
          break;
        }
      if (p[0] & 0x20)
        need += p[plen - 1];
      if (need > plen)
        return FALSE;
      off += plen;
    }
  return TRUE;
}

/* A report block about our stream: the remote's view of it, and the round trip. */
static void
take_block (BellRtcpSession *s, const guint8 *b, gint64 now_us)
{
  guint32 word = get32 (b + 4);
  guint32 lsr = get32 (b + 16);
  guint32 dlsr = get32 (b + 20);
  gint32 lost = (gint32) (word & 0xffffff);

  if (lost & 0x800000)
    lost -= 0x1000000;   /* 24-bit two's complement */
  s->have_remote_report = TRUE;
  s->remote_reports++;
  s->remote_fraction_lost = (double) (word >> 24) / 256.0;
  s->remote_packets_lost = lost;
  s->remote_jitter_ms = units_to_ms (s, get32 (b + 12));

  /* §6.4.1: RTT = A - LSR - DLSR, all in 1/65536 s, A being when the report arrived. LSR 0
   * means the remote has no SR of ours yet; a negative result, that the remote's DLSR or LSR
   * is wrong, so it is not believed. */
  if (lsr != 0)
    {
      guint32 arrival = ntp_middle (ntp_time (s, now_us));
      gint32 rtt = (gint32) (arrival - lsr - dlsr);
      if (rtt >= 0)
        s->rtt_ms = (double) rtt * 1000.0 / 65536.0;
    }
}

gboolean
bell_rtcp_on_rtcp_received (BellRtcpSession *s, const guint8 *data, gsize len, gint64 now_us)
{
  gsize off = 0;

  g_return_val_if_fail (s != NULL, FALSE);

  if (!rtcp_valid (data, len))
    return FALSE;
  /* The first packet is an SR or RR (rtcp_valid): its sender's SSRC says whose it is. */
  if (get32 (data + 4) != s->ssrc)
    s->rtcp_received++;
  while (off < len)
    {
      const guint8 *p = data + off;
      gsize plen = ((gsize) get16 (p + 2) + 1) * 4;
      guint count = p[0] & 0x1f;
      const guint8 *blocks = NULL;

      switch (p[1])
        {
        case BELL_RTCP_SR:
          /* Our own packets looped back say nothing about the remote. */
          if (get32 (p + 4) == s->ssrc)
            break;
          s->have_lsr = TRUE;
          s->lsr_ssrc = get32 (p + 4);
          s->lsr = ntp_middle ((guint64) get32 (p + 8) << 32 | get32 (p + 12));
          s->lsr_arrival_us = now_us;
          blocks = p + RTCP_HEADER + 4 + SR_SENDER_INFO;
          break;
        case BELL_RTCP_RR:
          if (get32 (p + 4) != s->ssrc)
            blocks = p + RTCP_HEADER + 4;
          break;
        case BELL_RTCP_BYE:
          for (guint i = 0; i < count; i++)
            if (s->src.valid && get32 (p + RTCP_HEADER + 4 * i) == s->src.ssrc)
              s->bye_received = TRUE;
          break;
        default:
          /* SDES, APP, feedback, XR: nothing we use. */
          break;
        }
      for (guint i = 0; blocks != NULL && i < count; i++)
        if (get32 (blocks + i * REPORT_BLOCK) == s->ssrc)
          take_block (s, blocks + i * REPORT_BLOCK, now_us);
      off += plen;
    }
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* Statistics and timing */

void
bell_rtcp_get_stats (BellRtcpSession *s, BellRtcpStats *out)
{
  const Source *src;

  g_return_if_fail (s != NULL);
  g_return_if_fail (out != NULL);

  src = &s->src;
  memset (out, 0, sizeof *out);
  out->packets_sent = s->packets_sent;
  out->octets_sent = s->octets_sent;
  if (src->valid && src->probation == 0)
    {
      gint64 expected = expected_packets (src);

      out->receiving = TRUE;
      out->remote_ssrc = src->ssrc;
      out->packets_received = src->received;
      out->packets_expected = (guint64) MAX (expected, 0);
      out->packets_lost = expected - (gint64) src->received;
      if (src->reported)
        out->fraction_lost = src->fraction_lost;
      else if (expected > 0 && out->packets_lost > 0)
        out->fraction_lost = (double) out->packets_lost / (double) expected;
      out->jitter_ms = units_to_ms (s, src->jitter);
    }
  out->have_remote_report = s->have_remote_report;
  out->remote_reports = s->remote_reports;
  out->remote_fraction_lost = s->remote_fraction_lost;
  out->remote_packets_lost = s->remote_packets_lost;
  out->remote_jitter_ms = s->remote_jitter_ms;
  out->rtt_ms = s->rtt_ms;
  out->bye_received = s->bye_received;
  out->rtcp_received = s->rtcp_received;
}

guint
bell_rtcp_next_interval_ms (BellRtcpSession *s)
{
  double nominal;

  g_return_val_if_fail (s != NULL, BELL_RTCP_INTERVAL_MS);

  /* §6.2: with two members and audio, the bandwidth share never exceeds Tmin's, so the interval
   * is Tmin (halved at the start, so a call shows figures early), randomised by [0.5, 1.5] so
   * that reports of many sessions do not fall into step. */
  nominal = s->reported_once ? BELL_RTCP_INTERVAL_MS : BELL_RTCP_INTERVAL_MS / 2.0;
  return (guint) (nominal * g_random_double_range (0.5, 1.5) + 0.5);
}
