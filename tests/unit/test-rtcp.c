/* test-rtcp.c: RTCP reports and statistics (RFC 3550 §6, appendix A).
 *
 * Sessions are fed RTP packets made here with simulated clocks: sequence handling, losses and
 * jitter are checked against hand-computed values, reports byte by byte at their offsets, and
 * two sessions exchange RTP and reports over a simulated network with a known delay.
 */
#include <string.h>

#include <glib.h>

#include "bell-rtcp.h"

#define SSRC_A 0x11223344u
#define SSRC_B 0xa0b0c0d0u
#define PT_PCMU 0
#define PT_EVENT 101

/* ------------------------------------------------------------------------------------------ */
/* Helpers */

static guint32
get32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static guint16
get16 (const guint8 *p)
{
  return (guint16) (p[0] << 8 | p[1]);
}

static void
put32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

/* A plain RTP packet: 12-byte header and payload_len bytes of payload. */
static gsize
make_rtp (guint8 *buf, guint8 pt, guint16 seq, guint32 ts, guint32 ssrc, gsize payload_len)
{
  buf[0] = 0x80;
  buf[1] = pt;
  buf[2] = (guint8) (seq >> 8);
  buf[3] = (guint8) seq;
  put32 (buf + 4, ts);
  put32 (buf + 8, ssrc);
  memset (buf + 12, 0xd5, payload_len);
  return 12 + payload_len;
}

/* Receives one PCMU packet of seq (timestamp 160 per sequence number) at arrival_us. */
static gboolean
receive (BellRtcpSession *s, guint32 ssrc, guint16 seq, gint64 arrival_us)
{
  guint8 pkt[12 + 160];
  gsize len = make_rtp (pkt, PT_PCMU, seq, (guint32) seq * 160, ssrc, 160);

  return bell_rtcp_on_rtp_received (s, pkt, len, arrival_us);
}

static void
receive_seqs (BellRtcpSession *s, const guint *seqs, gsize n)
{
  for (gsize i = 0; i < n; i++)
    receive (s, SSRC_A, (guint16) seqs[i], (gint64) i * 20000);
}

/* The compound packet's first report block (after an SR's or RR's fixed part). */
static const guint8 *
first_block (const guint8 *buf, gsize len)
{
  gsize fixed = buf[1] == BELL_RTCP_SR ? 28 : 8;

  g_assert_cmpuint (buf[0] & 0x1f, ==, 1);
  g_assert_cmpuint (len, >=, fixed + 24);
  return buf + fixed;
}

static gint32
block_lost (const guint8 *block)
{
  gint32 lost = (gint32) (get32 (block + 4) & 0xffffff);
  return lost & 0x800000 ? lost - 0x1000000 : lost;
}

/* ------------------------------------------------------------------------------------------ */
/* Sequence numbers (A.1) */

static void
test_seq_in_order (void)
{
  g_autoptr(BellRtcpSession) s = bell_rtcp_session_new (SSRC_B, 8000, "b@test");
  BellRtcpStats st;

  /* On probation: the first packet is not counted, the second makes the source valid. */
  g_assert_false (receive (s, SSRC_A, 1000, 0));
  bell_rtcp_get_stats (s, &st);
  g_assert_false (st.receiving);
  g_assert_true (receive (s, SSRC_A, 1001, 20000));
  for (guint seq = 1002; seq < 1100; seq++)
    g_assert_true (receive (s, SSRC_A, (guint16) seq, (seq - 1000) * 20000));

  bell_rtcp_get_stats (s, &st);
  g_assert_true (st.receiving);
  g_assert_cmphex (st.remote_ssrc, ==, SSRC_A);
  g_assert_cmpuint (st.packets_received, ==, 99);
  g_assert_cmpuint (st.packets_expected, ==, 99);
  g_assert_cmpint (st.packets_lost, ==, 0);
  g_assert_cmpfloat (st.fraction_lost, ==, 0);
  g_assert_cmpfloat_with_epsilon (st.jitter_ms, 0, 1e-9);
}

static void
test_seq_reordered (void)
{
  g_autoptr(BellRtcpSession) s = bell_rtcp_session_new (SSRC_B, 8000, "b@test");
  static const guint seqs[] = { 1, 2, 3, 5, 4, 6, 8, 7, 9 };
  BellRtcpStats st;
  guint8 buf[BELL_RTCP_MAX_PACKET];
  gsize len;

  receive_seqs (s, seqs, G_N_ELEMENTS (seqs));
  bell_rtcp_get_stats (s, &st);
  g_assert_cmpuint (st.packets_received, ==, 8);
  g_assert_cmpuint (st.packets_expected, ==, 8);
  g_assert_cmpint (st.packets_lost, ==, 0);

  len = bell_rtcp_build_report (s, 200000, buf, sizeof buf);
  g_assert_cmpuint (get32 (first_block (buf, len) + 8), ==, 9);   /* extended highest seq */
}

static void
test_seq_duplicates (void)
{
  g_autoptr(BellRtcpSession) s = bell_rtcp_session_new (SSRC_B, 8000, "b@test");
  static const guint seqs[] = { 1, 2, 3, 3, 4, 4, 5 };
  BellRtcpStats st;
  guint8 buf[BELL_RTCP_MAX_PACKET];
  gsize len;

  receive_seqs (s, seqs, G_N_ELEMENTS (seqs));
  bell_rtcp_get_stats (s, &st);
  /* A.1 counts duplicates as received, A.3 then gives a negative loss. */
  g_assert_cmpuint (st.packets_received, ==, 6);
  g_assert_cmpuint (st.packets_expected, ==, 4);
  g_assert_cmpint (st.packets_lost, ==, -2);
  g_assert_cmpfloat (st.fraction_lost, ==, 0);

  len = bell_rtcp_build_report (s, 200000, buf, sizeof buf);
  g_assert_cmpint (block_lost (first_block (buf, len)), ==, -2);
  g_assert_cmpuint (first_block (buf, len)[4], ==, 0);             /* fraction: never < 0 */
}

static void
test_seq_wrap (void)
{
  g_autoptr(BellRtcpSession) s = bell_rtcp_session_new (SSRC_B, 8000, "b@test");
  BellRtcpStats st;
  guint8 buf[BELL_RTCP_MAX_PACKET];
  gsize len;
  guint n = 0;

  for (guint seq = 65530; seq < 65536 + 10; seq++, n++)
    receive (s, SSRC_A, (guint16) seq, (gint64) n * 20000);
  /* A late packet from before the wrap is not a second wrap. */
  receive (s, SSRC_A, 65534, (gint64) n * 20000);

  bell_rtcp_get_stats (s, &st);
  g_assert_cmpuint (st.packets_expected, ==, 15);   /* 65531 .. 65536 + 9 */
  g_assert_cmpuint (st.packets_received, ==, 16);
  g_assert_cmpint (st.packets_lost, ==, -1);

  len = bell_rtcp_build_report (s, (gint64) n * 20000, buf, sizeof buf);
  g_assert_cmpuint (get32 (first_block (buf, len) + 8), ==, 65536 + 9);
}

static void
test_seq_jump (void)
{
  g_autoptr(BellRtcpSession) s = bell_rtcp_session_new (SSRC_B, 8000, "b@test");
  BellRtcpStats st;
  guint8 buf[BELL_RTCP_MAX_PACKET];
  gsize len;
  gint64 t = 0;

  for (guint seq = 100; seq <= 110; seq++, t += 20000)
    receive (s, SSRC_A, (guint16) seq, t);

  /* One stray packet far ahead is not believed, and the stream goes on as before. */
  g_assert_false (receive (s, SSRC_A, 30000, t));
  g_assert_true (receive (s, SSRC_A, 111, t += 20000));
  bell_rtcp_get_stats (s, &st);
  g_assert_cmpuint (st.packets_received, ==, 11);
  g_assert_cmpint (st.packets_lost, ==, 0);

  /* Two in sequence after a jump: the sender restarted, the counts start over there. */
  g_assert_false (receive (s, SSRC_A, 20000, t += 20000));
  g_assert_true (receive (s, SSRC_A, 20001, t += 20000));
  bell_rtcp_get_stats (s, &st);
  g_assert_cmpuint (st.packets_received, ==, 1);
  g_assert_cmpuint (st.packets_expected, ==, 1);
  for (guint seq = 20002; seq < 20010; seq++)
    g_assert_true (receive (s, SSRC_A, (guint16) seq, t += 20000));
  bell_rtcp_get_stats (s, &st);
  g_assert_cmpuint (st.packets_received, ==, 9);
  g_assert_cmpint (st.packets_lost, ==, 0);
  len = bell_rtcp_build_report (s, t, buf, sizeof buf);
  g_assert_cmpuint (get32 (first_block (buf, len) + 8), ==, 20009);

  /* A new SSRC starts over, on probation; out of sequence there, probation starts again. */
  g_assert_false (receive (s, SSRC_B + 1, 5, t += 20000));
  g_assert_false (receive (s, SSRC_B + 1, 7, t += 20000));
  bell_rtcp_get_stats (s, &st);
  g_assert_false (st.receiving);
  g_assert_true (receive (s, SSRC_B + 1, 8, t += 20000));
  bell_rtcp_get_stats (s, &st);
  g_assert_true (st.receiving);
  g_assert_cmphex (st.remote_ssrc, ==, SSRC_B + 1);
  g_assert_cmpuint (st.packets_received, ==, 1);
}

/* ------------------------------------------------------------------------------------------ */
/* Losses (A.3) */

static void
test_loss_every_fifth (void)
{
  g_autoptr(BellRtcpSession) s = bell_rtcp_session_new (SSRC_B, 8000, "b@test");
  BellRtcpStats st;
  guint8 buf[BELL_RTCP_MAX_PACKET];
  gsize len;
  guint seq = 1;
  gint64 t = 0;

  /* A first interval without loss. */
  for (; seq <= 50; seq++, t += 20000)
    receive (s, SSRC_A, (guint16) seq, t);
  len = bell_rtcp_build_report (s, t, buf, sizeof buf);
  g_assert_cmpuint (first_block (buf, len)[4], ==, 0);

  /* Then 100 packets of which every fifth is lost. */
  for (guint i = 0; i < 100; i++, seq++, t += 20000)
    if (i % 5 != 0)
      receive (s, SSRC_A, (guint16) seq, t);

  bell_rtcp_get_stats (s, &st);
  g_assert_cmpint (st.packets_lost, ==, 20);
  g_assert_cmpfloat (st.fraction_lost, ==, 0);   /* of the last interval: none lost */

  len = bell_rtcp_build_report (s, t, buf, sizeof buf);
  g_assert_cmpuint (first_block (buf, len)[4], ==, 51);   /* 20 * 256 / 100 */
  g_assert_cmpint (block_lost (first_block (buf, len)), ==, 20);
  bell_rtcp_get_stats (s, &st);
  g_assert_cmpfloat_with_epsilon (st.fraction_lost, 0.2, 1e-12);
  g_assert_cmpint (st.packets_lost, ==, 20);
  g_assert_cmpuint (st.packets_expected, ==, 149);

  /* A clean interval after it: the fraction goes back to 0, the cumulative loss stays. */
  for (guint i = 0; i < 20; i++, seq++, t += 20000)
    receive (s, SSRC_A, (guint16) seq, t);
  len = bell_rtcp_build_report (s, t, buf, sizeof buf);
  g_assert_cmpuint (first_block (buf, len)[4], ==, 0);
  g_assert_cmpint (block_lost (first_block (buf, len)), ==, 20);
}

static void
test_loss_clamped (void)
{
  g_autoptr(BellRtcpSession) s = bell_rtcp_session_new (SSRC_B, 8000, "b@test");
  BellRtcpStats st;
  guint8 buf[BELL_RTCP_MAX_PACKET];
  gsize len;
  guint32 seq = 1;

  /* Jumps just under MAX_DROPOUT lose 2998 packets each: past the 24-bit field's range. */
  receive (s, SSRC_A, 1, 0);
  receive (s, SSRC_A, 2, 0);
  for (guint i = 0; i < 2900; i++)
    receive (s, SSRC_A, (guint16) (seq += 2999), 0);
  bell_rtcp_get_stats (s, &st);
  g_assert_cmpint (st.packets_lost, >, 0x7fffff);

  len = bell_rtcp_build_report (s, 0, buf, sizeof buf);
  g_assert_cmpint (block_lost (first_block (buf, len)), ==, 0x7fffff);
}

/* ------------------------------------------------------------------------------------------ */
/* Jitter (A.8) */

static void
test_jitter (void)
{
  g_autoptr(BellRtcpSession) s = bell_rtcp_session_new (SSRC_B, 8000, "b@test");
  /* 20 ms packets (160 units at 8 kHz) arriving at these times (ms). */
  static const guint arrival_ms[] = { 0, 20, 50, 60, 80, 105 };
  BellRtcpStats st;
  guint8 buf[BELL_RTCP_MAX_PACKET];
  gsize len;
  /* |D| in units: 0, 80, 80, 0, 40; J += (|D| - J) / 16:
   *   J = 0, 5, 9.6875, 9.08203125, 11.014404296875 */
  const double expected = 11.014404296875;

  for (guint i = 0; i < G_N_ELEMENTS (arrival_ms); i++)
    receive (s, SSRC_A, (guint16) (7 + i), (gint64) arrival_ms[i] * 1000 + 5000000);

  bell_rtcp_get_stats (s, &st);
  g_assert_cmpfloat_with_epsilon (st.jitter_ms, expected / 8, 1e-9);
  len = bell_rtcp_build_report (s, 6000000, buf, sizeof buf);
  g_assert_cmpuint (get32 (first_block (buf, len) + 12), ==, 11);
}

static void
test_jitter_dtmf (void)
{
  g_autoptr(BellRtcpSession) s = bell_rtcp_session_new (SSRC_B, 8000, "b@test");
  BellRtcpStats st;
  guint8 pkt[200];
  gint64 t = 0;
  guint16 seq = 1;
  guint32 ts = 0;

  /* Audio, a telephone-event (one timestamp over six packets), audio again, all on time. */
  for (guint i = 0; i < 10; i++, t += 20000, ts += 160)
    bell_rtcp_on_rtp_received (s, pkt, make_rtp (pkt, PT_PCMU, seq++, ts, SSRC_A, 160), t);
  for (guint i = 0; i < 6; i++, t += 20000)
    bell_rtcp_on_rtp_received (s, pkt, make_rtp (pkt, PT_EVENT, seq++, ts, SSRC_A, 4), t);
  ts += 6 * 160;
  for (guint i = 0; i < 10; i++, t += 20000, ts += 160)
    bell_rtcp_on_rtp_received (s, pkt, make_rtp (pkt, PT_PCMU, seq++, ts, SSRC_A, 160), t);

  bell_rtcp_get_stats (s, &st);
  g_assert_cmpuint (st.packets_received, ==, 25);
  g_assert_cmpfloat_with_epsilon (st.jitter_ms, 0, 1e-9);
}

/* ------------------------------------------------------------------------------------------ */
/* Report layout */

static void
check_sdes (const guint8 *p, gsize len, guint32 ssrc, const char *cname)
{
  gsize n = strlen (cname);
  gsize sdes_len = (get16 (p + 2) + 1u) * 4;

  g_assert_cmpuint (len, ==, sdes_len);
  g_assert_cmphex (p[0], ==, 0x81);   /* V=2, P=0, SC=1 */
  g_assert_cmpuint (p[1], ==, BELL_RTCP_SDES);
  g_assert_cmphex (get32 (p + 4), ==, ssrc);
  g_assert_cmpuint (p[8], ==, BELL_RTCP_SDES_CNAME);
  g_assert_cmpuint (p[9], ==, n);
  g_assert_cmpmem (p + 10, n, cname, n);
  /* At least one null octet ends the item list; nulls up to the 32-bit boundary, no more. */
  g_assert_cmpuint (10 + n + 1, <=, sdes_len);
  g_assert_cmpuint (sdes_len, <, 10 + n + 1 + 4);
  for (gsize i = 10 + n; i < sdes_len; i++)
    g_assert_cmpuint (p[i], ==, 0);
}

static void
test_sr_layout (void)
{
  g_autoptr(BellRtcpSession) s = bell_rtcp_session_new (SSRC_A, 8000, "alice@example.org");
  const gint64 unix_sec = 1700000000;
  guint8 pkt[12 + 160], buf[BELL_RTCP_MAX_PACKET];
  gsize len;
  guint64 frac;

  /* Monotonic 0 is 1700000000.5 s of wall-clock time. */
  bell_rtcp_session_set_wall_clock (s, 0, unix_sec * G_USEC_PER_SEC + 500000);
  for (guint i = 0; i < 3; i++)
    bell_rtcp_on_rtp_sent (s, pkt, make_rtp (pkt, PT_PCMU, (guint16) (40 + i), 1000 + i * 160,
                                             SSRC_A, 160), i * 20000);

  len = bell_rtcp_build_report (s, 50000, buf, sizeof buf);
  g_assert_cmpuint (len, ==, 28 + 28);   /* SDES: 8 + 2 + 17 + 1 null */
  g_assert_cmphex (buf[0], ==, 0x80);                      /* V=2, P=0, RC=0 */
  g_assert_cmpuint (buf[1], ==, BELL_RTCP_SR);
  g_assert_cmpuint (get16 (buf + 2), ==, 28 / 4 - 1);
  g_assert_cmphex (get32 (buf + 4), ==, SSRC_A);
  g_assert_cmpuint (get32 (buf + 8), ==, unix_sec + 2208988800u);   /* NTP seconds */
  frac = (G_GUINT64_CONSTANT (550000) << 32) / 1000000;
  g_assert_cmpuint (get32 (buf + 12), ==, frac);                    /* .55 s */
  g_assert_cmpuint (get32 (buf + 16), ==, 1320 + 80);      /* last ts + 10 ms at 8 kHz */
  g_assert_cmpuint (get32 (buf + 20), ==, 3);               /* packets */
  g_assert_cmpuint (get32 (buf + 24), ==, 480);             /* payload octets */
  check_sdes (buf + 28, len - 28, SSRC_A, "alice@example.org");

  /* Nothing sent since: an RR, without a block (nothing received either). */
  len = bell_rtcp_build_report (s, 5000000, buf, sizeof buf);
  g_assert_cmpuint (len, ==, 8 + 28);
  g_assert_cmphex (buf[0], ==, 0x80);
  g_assert_cmpuint (buf[1], ==, BELL_RTCP_RR);
  g_assert_cmpuint (get16 (buf + 2), ==, 1);
  g_assert_cmphex (get32 (buf + 4), ==, SSRC_A);
  check_sdes (buf + 8, len - 8, SSRC_A, "alice@example.org");
}

static void
test_rr_layout (void)
{
  g_autoptr(BellRtcpSession) a = bell_rtcp_session_new (SSRC_A, 8000, "a");
  g_autoptr(BellRtcpSession) b = bell_rtcp_session_new (SSRC_B, 8000, "bob");
  guint8 pkt[12 + 160], buf[BELL_RTCP_MAX_PACKET];
  const guint8 *block;
  gsize len;
  guint32 lsr;

  for (guint seq = 1; seq <= 10; seq++)
    if (seq != 6)
      receive (b, SSRC_A, (guint16) seq, seq * 20000);

  /* B has sent nothing: an RR with one block about A, no LSR yet. */
  len = bell_rtcp_build_report (b, 300000, buf, sizeof buf);
  g_assert_cmpuint (len, ==, 8 + 24 + 16);
  g_assert_cmphex (buf[0], ==, 0x81);                       /* RC=1 */
  g_assert_cmpuint (buf[1], ==, BELL_RTCP_RR);
  g_assert_cmpuint (get16 (buf + 2), ==, 7);
  g_assert_cmphex (get32 (buf + 4), ==, SSRC_B);
  block = buf + 8;
  g_assert_cmphex (get32 (block), ==, SSRC_A);
  g_assert_cmpuint (block[4], ==, 256 / 9);                 /* 1 of 2..10 lost */
  g_assert_cmpint (block_lost (block), ==, 1);
  g_assert_cmpuint (get32 (block + 8), ==, 10);
  g_assert_cmpuint (get32 (block + 12), ==, 0);             /* jitter */
  g_assert_cmpuint (get32 (block + 16), ==, 0);             /* LSR */
  g_assert_cmpuint (get32 (block + 20), ==, 0);             /* DLSR */
  check_sdes (buf + 32, len - 32, SSRC_B, "bob");

  /* Nothing heard since the report: no block. */
  len = bell_rtcp_build_report (b, 400000, buf, sizeof buf);
  g_assert_cmpuint (buf[0] & 0x1f, ==, 0);
  g_assert_cmpuint (len, ==, 8 + 16);

  /* A's SR reaches B; B's next report (an SR now) echoes it: LSR its NTP's middle 32 bits,
   * DLSR the 1.5 s B held it, in 1/65536 s. */
  bell_rtcp_on_rtp_sent (a, pkt, make_rtp (pkt, PT_PCMU, 1, 0, SSRC_A, 160), 0);
  len = bell_rtcp_build_report (a, 1000, buf, sizeof buf);
  lsr = get32 (buf + 8) << 16 | get32 (buf + 12) >> 16;
  g_assert_true (bell_rtcp_on_rtcp_received (b, buf, len, 500000));
  {
    BellRtcpStats st;
    guint8 own[BELL_RTCP_MAX_PACKET];

    /* The peer's packet counts (the media timeout's sign of life); one of B's own SSRC
     * (looped back), not. */
    memcpy (own, buf, len);
    own[4] = SSRC_B >> 24, own[5] = SSRC_B >> 16 & 0xff, own[6] = SSRC_B >> 8 & 0xff;
    own[7] = SSRC_B & 0xff;
    g_assert_true (bell_rtcp_on_rtcp_received (b, own, len, 500000));
    bell_rtcp_get_stats (b, &st);
    g_assert_cmpuint (st.rtcp_received, ==, 1);
  }
  receive (b, SSRC_A, 11, 510000);
  bell_rtcp_on_rtp_sent (b, pkt, make_rtp (pkt, PT_PCMU, 9, 0, SSRC_B, 160), 600000);
  len = bell_rtcp_build_report (b, 2000000, buf, sizeof buf);
  g_assert_cmpuint (buf[1], ==, BELL_RTCP_SR);
  g_assert_cmphex (buf[0], ==, 0x81);
  g_assert_cmpuint (get16 (buf + 2), ==, (28 + 24) / 4 - 1);
  block = first_block (buf, len);
  g_assert_cmphex (get32 (block), ==, SSRC_A);
  g_assert_cmpuint (get32 (block + 8), ==, 11);
  g_assert_cmpuint (get32 (block + 16), ==, lsr);
  g_assert_cmpuint (get32 (block + 20), ==, 3 * 65536 / 2);
  check_sdes (buf + 52, len - 52, SSRC_B, "bob");
}

static void
test_sdes_padding (void)
{
  guint8 buf[BELL_RTCP_MAX_PACKET];
  g_autoptr(GString) name = g_string_new (NULL);

  /* Every remainder modulo 4 of the CNAME's length. */
  for (guint n = 1; n <= 12; n++)
    {
      g_autoptr(BellRtcpSession) s = NULL;
      gsize len;

      g_string_append_c (name, (char) ('a' + n));
      s = bell_rtcp_session_new (SSRC_A, 8000, name->str);
      len = bell_rtcp_build_report (s, 0, buf, sizeof buf);
      g_assert_cmpuint (len % 4, ==, 0);
      check_sdes (buf + 8, len - 8, SSRC_A, name->str);
    }

  /* Longer than an item holds: 255 bytes, cut before a UTF-8 character, not inside it. */
  {
    g_autoptr(BellRtcpSession) s = NULL;
    g_autoptr(GString) long_name = g_string_new (NULL);
    gsize len;

    for (guint i = 0; i < 127; i++)
      g_string_append (long_name, "é");          /* 2 bytes: 254 */
    g_string_append (long_name, "€x");         /* 3 bytes from 254 */
    s = bell_rtcp_session_new (SSRC_A, 8000, long_name->str);
    g_assert_cmpuint (strlen (bell_rtcp_session_get_cname (s)), ==, 254);
    g_assert_true (g_utf8_validate (bell_rtcp_session_get_cname (s), -1, NULL));
    len = bell_rtcp_build_report (s, 0, buf, sizeof buf);
    check_sdes (buf + 8, len - 8, SSRC_A, bell_rtcp_session_get_cname (s));
  }

  /* None given: a random one (RFC 7022). */
  {
    g_autoptr(BellRtcpSession) s1 = bell_rtcp_session_new (SSRC_A, 8000, NULL);
    g_autoptr(BellRtcpSession) s2 = bell_rtcp_session_new (SSRC_A, 8000, "");

    g_assert_cmpuint (strlen (bell_rtcp_session_get_cname (s1)), >=, 16);
    g_assert_cmpstr (bell_rtcp_session_get_cname (s1), !=, bell_rtcp_session_get_cname (s2));
  }
}

static void
test_report_too_small (void)
{
  g_autoptr(BellRtcpSession) s = bell_rtcp_session_new (SSRC_B, 8000, "b");
  guint8 buf[BELL_RTCP_MAX_PACKET], pkt[12 + 160];
  gsize full;

  for (guint seq = 1; seq <= 5; seq++)
    receive (s, SSRC_A, (guint16) seq, seq * 20000);
  bell_rtcp_on_rtp_sent (s, pkt, make_rtp (pkt, PT_PCMU, 1, 0, SSRC_B, 160), 0);

  /* Too small: nothing written, nothing changed (still an SR with a block afterwards). */
  g_assert_cmpuint (bell_rtcp_build_report (s, 1, buf, 28 + 24 + 12 - 4), ==, 0);
  g_assert_cmpuint (bell_rtcp_build_report (s, 1, NULL, 0), ==, 0);
  g_assert_cmpuint (bell_rtcp_build_bye (s, 1, "bye", buf, 28 + 24 + 12), ==, 0);
  full = bell_rtcp_build_report (s, 1, buf, 28 + 24 + 12);
  g_assert_cmpuint (full, ==, 28 + 24 + 12);
  g_assert_cmpuint (buf[1], ==, BELL_RTCP_SR);
  g_assert_cmpuint (buf[0] & 0x1f, ==, 1);
}

static void
test_rtp_sent_counts (void)
{
  g_autoptr(BellRtcpSession) s = bell_rtcp_session_new (SSRC_A, 8000, "a");
  BellRtcpStats st;
  guint8 pkt[256];
  gsize len;

  /* Two CSRCs, a one-word extension and 3 octets of padding around 100 octets of payload. */
  len = make_rtp (pkt, PT_PCMU, 1, 0, SSRC_A, 8 + 8 + 100 + 3);
  pkt[0] = 0x80 | 0x20 | 0x10 | 2;
  pkt[20] = 0xbe, pkt[21] = 0xde, pkt[22] = 0, pkt[23] = 1;
  pkt[len - 1] = 3;
  bell_rtcp_on_rtp_sent (s, pkt, len, 0);

  /* Not RTP: not counted. */
  bell_rtcp_on_rtp_sent (s, pkt, 11, 0);
  pkt[len - 1] = 200;                                     /* padding beyond the payload */
  bell_rtcp_on_rtp_sent (s, pkt, len, 0);
  pkt[len - 1] = 3;
  pkt[0] = 0x40;                                           /* version 1 */
  bell_rtcp_on_rtp_sent (s, pkt, len, 0);
  pkt[0] = 0x80 | 0x0f;                                    /* 15 CSRCs in 16 bytes */
  bell_rtcp_on_rtp_sent (s, pkt, 16, 0);
  g_assert_false (bell_rtcp_on_rtp_received (s, pkt, 16, 0));

  bell_rtcp_get_stats (s, &st);
  g_assert_cmpuint (st.packets_sent, ==, 1);
  g_assert_cmpuint (st.octets_sent, ==, 100);
}

/* ------------------------------------------------------------------------------------------ */
/* Two sessions over a simulated network */

typedef struct
{
  gint64   deliver_ms;     /* on the network's clock */
  gboolean to_a;
  gboolean rtcp;
  gsize    len;
  guint8   data[BELL_RTCP_MAX_PACKET];
} InFlight;

typedef struct
{
  BellRtcpSession *a, *b;
  gint64           offset_a_us;   /* each side's monotonic clock is the network's plus this */
  gint64           offset_b_us;
  guint            delay_ms;      /* one way */
  GArray          *flight;        /* InFlight */
  guint            a_to_b_rtp;
  guint            drop_a_every;  /* 0: none */
  gint64           now_ms;        /* the network's clock */
} Net;

static void
net_send (Net *net, gint64 now_ms, gboolean from_a, gboolean rtcp, const guint8 *data,
          gsize len)
{
  InFlight f = { .deliver_ms = now_ms + net->delay_ms, .to_a = !from_a, .rtcp = rtcp,
                 .len = len };

  g_assert_cmpuint (len, <=, sizeof f.data);
  memcpy (f.data, data, len);
  g_array_append_val (net->flight, f);
}

static void
net_deliver (Net *net, gint64 now_ms)
{
  for (guint i = 0; i < net->flight->len;)
    {
      InFlight *f = &g_array_index (net->flight, InFlight, i);
      BellRtcpSession *to = f->to_a ? net->a : net->b;
      gint64 now_us = now_ms * 1000 + (f->to_a ? net->offset_a_us : net->offset_b_us);

      if (f->deliver_ms > now_ms)
        {
          i++;
          continue;
        }
      if (f->rtcp)
        g_assert_true (bell_rtcp_on_rtcp_received (to, f->data, f->len, now_us));
      else
        bell_rtcp_on_rtp_received (to, f->data, f->len, now_us);
      g_array_remove_index (net->flight, i);
    }
}

/* Both sides send 20 ms of audio every 20 ms; A reports at 1 s, 6 s..., B at 3.5 s, 8.5 s...
 * Runs the network's clock on to until_ms. */
static void
net_run (Net *net, gint64 until_ms)
{
  guint8 pkt[12 + 160], buf[BELL_RTCP_MAX_PACKET];

  for (; net->now_ms <= until_ms; net->now_ms++)
    {
      gint64 ms = net->now_ms;
      gint64 ta = ms * 1000 + net->offset_a_us, tb = ms * 1000 + net->offset_b_us;
      gsize len;

      net_deliver (net, ms);
      if (ms % 20 == 0)
        {
          guint16 seq = (guint16) (ms / 20);

          len = make_rtp (pkt, PT_PCMU, (guint16) (seq + 30000), (guint32) ms * 8, SSRC_A, 160);
          bell_rtcp_on_rtp_sent (net->a, pkt, len, ta);
          if (net->drop_a_every == 0 || ++net->a_to_b_rtp % net->drop_a_every != 0)
            net_send (net, ms, TRUE, FALSE, pkt, len);
          len = make_rtp (pkt, PT_PCMU, seq, (guint32) ms * 8 + 12345, SSRC_B, 160);
          bell_rtcp_on_rtp_sent (net->b, pkt, len, tb);
          net_send (net, ms, FALSE, FALSE, pkt, len);
        }
      if (ms % 5000 == 1000)
        {
          len = bell_rtcp_build_report (net->a, ta, buf, sizeof buf);
          g_assert_cmpuint (len, >, 0);
          net_send (net, ms, TRUE, TRUE, buf, len);
        }
      if (ms % 5000 == 3500)
        {
          len = bell_rtcp_build_report (net->b, tb, buf, sizeof buf);
          g_assert_cmpuint (len, >, 0);
          net_send (net, ms, FALSE, TRUE, buf, len);
        }
    }
}

static void
test_round_trip (void)
{
  Net net = {
    .a = bell_rtcp_session_new (SSRC_A, 8000, "a@test"),
    .b = bell_rtcp_session_new (SSRC_B, 8000, "b@test"),
    .offset_a_us = 1000000,
    .offset_b_us = G_GINT64_CONSTANT (987654321012),
    .delay_ms = 40,
    .flight = g_array_new (FALSE, FALSE, sizeof (InFlight)),
    .drop_a_every = 10,
  };
  BellRtcpStats sa, sb;

  /* Until B's first report reached A: A knows the round trip, B not yet. */
  net_run (&net, 3600);
  bell_rtcp_get_stats (net.a, &sa);
  bell_rtcp_get_stats (net.b, &sb);
  g_assert_true (sa.have_remote_report);
  g_assert_cmpfloat_with_epsilon (sa.rtt_ms, 2.0 * net.delay_ms, 1.0);
  g_assert_cmpfloat (sb.rtt_ms, ==, -1);
  /* B's view of A's stream, as B reported it to A: every tenth packet lost. */
  g_assert_cmpfloat_with_epsilon (sa.remote_fraction_lost, 0.1, 1.0 / 256 + 0.01);
  g_assert_cmpint (sa.remote_packets_lost, >=, 16);
  g_assert_cmpint (sa.remote_packets_lost, <=, 17);
  g_assert_cmpfloat_with_epsilon (sa.remote_jitter_ms, 0, 0.2);
  g_assert_cmpfloat_with_epsilon (sb.fraction_lost, 0.1, 0.01);

  /* After A's second report, B knows it too. */
  net_run (&net, 6100);
  bell_rtcp_get_stats (net.b, &sb);
  g_assert_true (sb.have_remote_report);
  g_assert_cmpfloat_with_epsilon (sb.rtt_ms, 2.0 * net.delay_ms, 1.0);
  g_assert_cmpfloat_with_epsilon (sb.remote_fraction_lost, 0, 1e-9);
  g_assert_cmpint (sb.remote_packets_lost, ==, 0);

  bell_rtcp_session_free (net.a);
  bell_rtcp_session_free (net.b);
  g_array_unref (net.flight);
}

/* ------------------------------------------------------------------------------------------ */
/* BYE */

static void
test_bye (void)
{
  g_autoptr(BellRtcpSession) a = bell_rtcp_session_new (SSRC_A, 8000, "a@test");
  g_autoptr(BellRtcpSession) b = bell_rtcp_session_new (SSRC_B, 8000, "b@test");
  guint8 pkt[12 + 160], buf[BELL_RTCP_MAX_PACKET];
  const guint8 *bye;
  BellRtcpStats st;
  gsize len, off;

  bell_rtcp_on_rtp_sent (a, pkt, make_rtp (pkt, PT_PCMU, 1, 0, SSRC_A, 160), 0);
  for (guint seq = 1; seq <= 3; seq++)
    receive (b, SSRC_A, (guint16) seq, seq * 20000);

  len = bell_rtcp_build_bye (a, 100000, "hung up", buf, sizeof buf);
  /* SR, SDES, then BYE: count 1, our SSRC, a length-prefixed reason padded to 32 bits. */
  g_assert_cmpuint (buf[1], ==, BELL_RTCP_SR);
  off = (get16 (buf + 2) + 1u) * 4;
  g_assert_cmpuint (buf[off + 1], ==, BELL_RTCP_SDES);
  off += (get16 (buf + off + 2) + 1u) * 4;
  bye = buf + off;
  g_assert_cmpuint (len - off, ==, 4 + 4 + 8);
  g_assert_cmphex (bye[0], ==, 0x81);
  g_assert_cmpuint (bye[1], ==, BELL_RTCP_BYE);
  g_assert_cmpuint (get16 (bye + 2), ==, 3);
  g_assert_cmphex (get32 (bye + 4), ==, SSRC_A);
  g_assert_cmpuint (bye[8], ==, 7);
  g_assert_cmpmem (bye + 9, 7, "hung up", 7);

  bell_rtcp_get_stats (b, &st);
  g_assert_false (st.bye_received);
  g_assert_true (bell_rtcp_on_rtcp_received (b, buf, len, 120000));
  bell_rtcp_get_stats (b, &st);
  g_assert_true (st.bye_received);

  /* Without a reason: header and SSRC only. */
  len = bell_rtcp_build_bye (a, 200000, NULL, buf, sizeof buf);
  g_assert_cmpuint (buf[1], ==, BELL_RTCP_RR);
  g_assert_cmpuint (buf[len - 7], ==, BELL_RTCP_BYE);
  g_assert_cmpuint (get16 (buf + len - 6), ==, 1);
  g_assert_cmphex (get32 (buf + len - 4), ==, SSRC_A);
}

/* ------------------------------------------------------------------------------------------ */
/* Malformed RTCP (A.2) */

/* A compound RR (one block about SSRC_A, LSR set) + SDES, as B would send it to A. */
static gsize
make_rr (guint8 *buf, gsize cap)
{
  g_autoptr(BellRtcpSession) b = bell_rtcp_session_new (SSRC_B, 8000, "b@test");
  gsize len;

  for (guint seq = 1; seq <= 5; seq++)
    receive (b, SSRC_A, (guint16) seq, seq * 20000);
  len = bell_rtcp_build_report (b, 200000, buf, cap);
  g_assert_cmpuint (len, ==, 8 + 24 + 20);
  put32 (buf + 8 + 16, 0x12345678);   /* LSR */
  return len;
}

static gboolean
accepts (const guint8 *data, gsize len)
{
  g_autoptr(BellRtcpSession) a = bell_rtcp_session_new (SSRC_A, 8000, "a@test");
  BellRtcpStats st;
  gboolean ok = bell_rtcp_on_rtcp_received (a, data, len, 1000000);

  /* A rejected packet leaves no trace. */
  bell_rtcp_get_stats (a, &st);
  if (!ok)
    g_assert_false (st.have_remote_report);
  return ok;
}

static void
test_malformed (void)
{
  guint8 good[BELL_RTCP_MAX_PACKET], buf[BELL_RTCP_MAX_PACKET + 64];
  gsize len = make_rr (good, sizeof good);
  static const guint8 app[] = { 0x80, BELL_RTCP_APP, 0, 2, 0, 0, 0, 1, 'n', 'a', 'm', 'e' };

  g_assert_true (accepts (good, len));
  g_assert_true (accepts (good, 32));   /* the RR alone */

  /* Truncated anywhere else. */
  for (gsize n = 0; n < len; n++)
    if (n != 32)
      g_assert_false (accepts (good, n));
  g_assert_false (accepts (NULL, 0));

  /* Bad version, on the first packet and on a later one. */
  memcpy (buf, good, len);
  buf[0] = (guint8) ((buf[0] & 0x3f) | 0x40);
  g_assert_false (accepts (buf, len));
  memcpy (buf, good, len);
  buf[32] = (guint8) (buf[32] & 0x3f);
  g_assert_false (accepts (buf, len));

  /* A length beyond the buffer, on the first and on the last packet. */
  memcpy (buf, good, len);
  buf[3] = 200;
  g_assert_false (accepts (buf, len));
  memcpy (buf, good, len);
  buf[32 + 3] += 1;
  g_assert_false (accepts (buf, len));

  /* Lengths adding up to less than the datagram: trailing junk. */
  memcpy (buf, good, len);
  memset (buf + len, 0, 4);
  g_assert_false (accepts (buf, len + 4));

  /* Zero length: a header alone cannot hold the RR's SSRC, let alone its block. */
  memcpy (buf, good, len);
  buf[2] = buf[3] = 0;
  g_assert_false (accepts (buf, len));
  memcpy (buf, good, 8);
  buf[0] = 0x80;
  buf[2] = buf[3] = 0;
  g_assert_false (accepts (buf, 8));

  /* A count of blocks more than the length holds. */
  memcpy (buf, good, len);
  buf[0] = 0x82;
  g_assert_false (accepts (buf, len));

  /* First packet not SR or RR: SDES or APP first. */
  g_assert_false (accepts (good + 32, len - 32));
  g_assert_false (accepts (app, sizeof app));

  /* Padding: not on the first packet of a compound; on the last one, counted sensibly. */
  memcpy (buf, good, len);
  buf[0] |= 0x20;
  g_assert_false (accepts (buf, len));
  memcpy (buf, good, len);
  buf[32] |= 0x20;
  buf[len - 1] = 0;
  g_assert_false (accepts (buf, len));
  buf[len - 1] = 200;
  g_assert_false (accepts (buf, len));
  buf[len - 1] = 4;
  g_assert_true (accepts (buf, len));

  /* An APP packet after the report is skipped. */
  memcpy (buf, good, len);
  memcpy (buf + len, app, sizeof app);
  g_assert_true (accepts (buf, len + sizeof app));
}

static void
test_fuzz (void)
{
  guint8 good[BELL_RTCP_MAX_PACKET], buf[BELL_RTCP_MAX_PACKET];
  gsize good_len = make_rr (good, sizeof good);
  g_autoptr(BellRtcpSession) a = bell_rtcp_session_new (SSRC_A, 8000, "a@test");
  guint accepted = 0;

  /* Random bytes, and the good packet with bytes changed and cut: ASan watches the reads. */
  for (guint i = 0; i < 20000; i++)
    {
      gsize len = (gsize) g_test_rand_int_range (0, (gint) sizeof buf);
      g_autofree guint8 *copy = NULL;

      if (i % 2 == 0)
        {
          for (gsize j = 0; j < len; j++)
            buf[j] = (guint8) g_test_rand_int_range (0, 256);
          if (len > 0)
            buf[0] = (guint8) ((buf[0] & 0x3f) | 0x80);
          if (len > 1)
            buf[1] = (guint8) g_test_rand_int_range (200, 202);
        }
      else
        {
          memcpy (buf, good, good_len);
          for (guint k = 0; k < 3; k++)
            {
              gint at = g_test_rand_int_range (0, (gint) good_len);
              buf[at] = (guint8) g_test_rand_int_range (0, 256);
            }
          len = (gsize) g_test_rand_int_range (0, (gint) good_len + 1);
        }
      /* An exact-size heap copy, so that reading one byte too far is caught. */
      copy = g_memdup2 (buf, len);
      if (bell_rtcp_on_rtcp_received (a, copy, len, i * 1000))
        accepted++;
      bell_rtcp_on_rtp_received (a, copy, len, i * 1000);
    }
  g_test_message ("%u of 20000 accepted", accepted);
}

/* ------------------------------------------------------------------------------------------ */
/* Report interval (§6.2) */

static void
test_interval (void)
{
  g_autoptr(BellRtcpSession) s = bell_rtcp_session_new (SSRC_A, 8000, "a");
  guint8 buf[BELL_RTCP_MAX_PACKET];
  guint min = G_MAXUINT, max = 0;
  double sum = 0;

  for (guint i = 0; i < 1000; i++)
    {
      guint ms = bell_rtcp_next_interval_ms (s);
      g_assert_cmpuint (ms, >=, 1250);
      g_assert_cmpuint (ms, <=, 3750);
    }
  bell_rtcp_build_report (s, 0, buf, sizeof buf);
  for (guint i = 0; i < 1000; i++)
    {
      guint ms = bell_rtcp_next_interval_ms (s);
      g_assert_cmpuint (ms, >=, 2500);
      g_assert_cmpuint (ms, <=, 7500);
      min = MIN (min, ms);
      max = MAX (max, ms);
      sum += ms;
    }
  /* Spread over the range, centred on 5 s. */
  g_assert_cmpuint (min, <, 3000);
  g_assert_cmpuint (max, >, 7000);
  g_assert_cmpfloat_with_epsilon (sum / 1000, 5000, 250);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/rtcp/seq/in-order", test_seq_in_order);
  g_test_add_func ("/rtcp/seq/reordered", test_seq_reordered);
  g_test_add_func ("/rtcp/seq/duplicates", test_seq_duplicates);
  g_test_add_func ("/rtcp/seq/wrap", test_seq_wrap);
  g_test_add_func ("/rtcp/seq/jump", test_seq_jump);
  g_test_add_func ("/rtcp/loss/every-fifth", test_loss_every_fifth);
  g_test_add_func ("/rtcp/loss/clamped", test_loss_clamped);
  g_test_add_func ("/rtcp/jitter/hand-computed", test_jitter);
  g_test_add_func ("/rtcp/jitter/dtmf", test_jitter_dtmf);
  g_test_add_func ("/rtcp/report/sr-layout", test_sr_layout);
  g_test_add_func ("/rtcp/report/rr-layout", test_rr_layout);
  g_test_add_func ("/rtcp/report/sdes-padding", test_sdes_padding);
  g_test_add_func ("/rtcp/report/too-small", test_report_too_small);
  g_test_add_func ("/rtcp/report/rtp-sent-counts", test_rtp_sent_counts);
  g_test_add_func ("/rtcp/round-trip", test_round_trip);
  g_test_add_func ("/rtcp/bye", test_bye);
  g_test_add_func ("/rtcp/receive/malformed", test_malformed);
  g_test_add_func ("/rtcp/receive/fuzz", test_fuzz);
  g_test_add_func ("/rtcp/interval", test_interval);

  return g_test_run ();
}
