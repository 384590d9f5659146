/* test-rtp-latch.c: whose RTP a call listens to (issue 10, media hygiene).
 *
 * The rules (bell-rtp-latch.h) on their own, with the time given by the test: who may latch
 * first, that other sources are rejected once latched, the two ways the latch moves (SRTP that
 * authenticates; plain RTP with the latched SSRC after the quiet time) and a new SDP's reset.
 * Then the same through a real BellRtpSocket on loopback: a stranger's packets never reach the
 * receive function, are counted and logged once, the plain move after 2 s of silence, and a
 * re-offer. (SRTP moves through the socket: test-rtp-socket's srtp-latching.) */
#include <string.h>

#include <gio/gio.h>

#include "bell-rtp-latch.h"
#include "bell-rtp-socket.h"

#define SEC       G_USEC_PER_SEC
#define WAIT_US   (10 * G_USEC_PER_SEC)
#define PEER_SSRC 0x5eed1234u

/* ---- the rules ---------------------------------------------------------------------------- */

static GInetSocketAddress *
addr (const char *ip, guint16 port)
{
  GSocketAddress *a = g_inet_socket_address_new_from_string (ip, port);

  g_assert_nonnull (a);
  return G_INET_SOCKET_ADDRESS (a);
}

static BellRtpLatchVerdict
check (BellRtpLatch *latch, const char *ip, guint16 port, guint32 ssrc, gint64 now)
{
  g_autoptr(GInetSocketAddress) from = addr (ip, port);

  return bell_rtp_latch_check (latch, from, ssrc, now);
}

static gboolean
accept_from (BellRtpLatch *latch, const char *ip, guint16 port, guint32 ssrc, gint64 now)
{
  g_autoptr(GInetSocketAddress) from = addr (ip, port);

  return bell_rtp_latch_accept (latch, from, ssrc, now, NULL);
}

static void
assert_latched (BellRtpLatch *latch, const char *ip, guint16 port)
{
  GInetSocketAddress *l = bell_rtp_latch_get_latched (latch);
  g_autofree char *got = NULL;

  g_assert_nonnull (l);
  got = g_inet_address_to_string (g_inet_socket_address_get_address (l));
  g_assert_cmpstr (got, ==, ip);
  g_assert_cmpuint (g_inet_socket_address_get_port (l), ==, port);
}

static BellRtpLatch *
latch_for (const char *signalled_ip, guint16 port)
{
  BellRtpLatch *latch = bell_rtp_latch_new (BELL_RTP_LATCH_QUIET_RTP);

  if (signalled_ip)
    {
      g_autoptr(GInetSocketAddress) s = addr (signalled_ip, port);

      bell_rtp_latch_reset (latch, s);
    }
  return latch;
}

static gboolean
may_be_peer (const char *signalled, const char *from)
{
  g_autoptr(GInetAddress) s = signalled ? g_inet_address_new_from_string (signalled) : NULL;
  g_autoptr(GInetAddress) f = g_inet_address_new_from_string (from);

  g_assert_true (signalled == NULL || s != NULL);
  g_assert_nonnull (f);
  return bell_rtp_latch_may_be_peer (s, f);
}

/* A public SDP address: only that host may latch, from any port; strangers are rejected. */
static void
test_first_public (void)
{
  g_autoptr(BellRtpLatch) latch = latch_for ("192.0.2.7", 40000);

  g_assert_null (bell_rtp_latch_get_latched (latch));
  g_assert_cmpint (check (latch, "198.51.100.9", 40000, PEER_SSRC, 0), ==, BELL_RTP_LATCH_REJECT);
  g_assert_cmpint (check (latch, "192.0.2.8", 40000, PEER_SSRC, 0), ==, BELL_RTP_LATCH_REJECT);
  g_assert_cmpint (check (latch, "192.0.2.7", 40000, PEER_SSRC, 0), ==, BELL_RTP_LATCH_FIRST);
  /* A NAT that keeps the address but maps the port. */
  g_assert_cmpint (check (latch, "192.0.2.7", 51234, PEER_SSRC, 0), ==, BELL_RTP_LATCH_FIRST);
  g_assert_null (bell_rtp_latch_get_latched (latch));   /* check changes nothing */

  g_assert_true (accept_from (latch, "192.0.2.7", 51234, PEER_SSRC, 10));
  assert_latched (latch, "192.0.2.7", 51234);
  g_assert_cmpuint (bell_rtp_latch_get_ssrc (latch), ==, PEER_SSRC);
  /* Now another port of that host is another source, but the SDP's very address and port
   * takes over at once, whatever it carries. */
  g_assert_cmpint (check (latch, "192.0.2.7", 40002, PEER_SSRC, 20), ==, BELL_RTP_LATCH_REJECT);
  g_assert_cmpint (check (latch, "192.0.2.7", 51234, 0x1111, 20), ==, BELL_RTP_LATCH_KEEP);
  g_assert_cmpint (check (latch, "192.0.2.7", 40000, 0x1111, 20), ==, BELL_RTP_LATCH_MOVE);
}

/* Which SDP addresses say nothing about where packets come from (a peer behind NAT). */
static void
test_first_private (void)
{
  static const char *unroutable[] = {
    "10.1.2.3", "172.16.0.1", "172.31.255.254", "192.168.1.5", "100.64.0.1", "100.127.255.254",
    "169.254.3.4", "127.0.0.1", "0.0.0.0", "fd00::1", "fc12::5", "fe80::1", "::1",
  };
  static const char *routable[] = {
    "192.0.2.7", "172.32.0.1", "172.15.255.1", "100.128.0.1", "100.63.255.255", "11.0.0.1",
    "2001:db8::7", "fe00::1",
  };

  for (guint i = 0; i < G_N_ELEMENTS (unroutable); i++)
    {
      const char *from = strchr (unroutable[i], ':') ? "2001:db8:9::9" : "203.0.113.9";

      if (!may_be_peer (unroutable[i], from))
        g_error ("SDP address %s: a packet from %s should latch", unroutable[i], from);
    }
  for (guint i = 0; i < G_N_ELEMENTS (routable); i++)
    {
      const char *from = strchr (routable[i], ':') ? "2001:db8:9::9" : "203.0.113.9";

      if (may_be_peer (routable[i], from))
        g_error ("SDP address %s: a packet from %s should be rejected", routable[i], from);
      g_assert_true (may_be_peer (routable[i], routable[i]));
    }
  /* Nothing usable signalled (no SDP yet, another family): anyone. */
  g_assert_true (may_be_peer (NULL, "203.0.113.9"));
  g_assert_true (may_be_peer ("2001:db8::7", "203.0.113.9"));
  /* IPv6: the SDP's /64 (privacy addresses), not a neighbouring one. */
  g_assert_true (may_be_peer ("2001:db8:1:2::5", "2001:db8:1:2:aaaa:bbbb:cccc:dddd"));
  g_assert_false (may_be_peer ("2001:db8:1:2::5", "2001:db8:1:3::5"));

  {
    g_autoptr(BellRtpLatch) latch = latch_for ("192.168.1.5", 40000);
    g_autoptr(BellRtpLatch) none = latch_for (NULL, 0);

    g_assert_cmpint (check (latch, "203.0.113.9", 3000, 1, 0), ==, BELL_RTP_LATCH_FIRST);
    g_assert_cmpint (check (none, "203.0.113.9", 3000, 1, 0), ==, BELL_RTP_LATCH_FIRST);
  }
}

/* Once latched, every other source is rejected, whatever it carries, while the peer talks;
 * rejections are counted, and logged once per new source, at most once a second. */
static void
test_drop (void)
{
  g_autoptr(BellRtpLatch) latch = latch_for ("192.168.1.5", 40000);
  g_autoptr(GInetSocketAddress) x = addr ("203.0.113.66", 5000);
  g_autoptr(GInetSocketAddress) y = addr ("203.0.113.66", 5002);
  gint64 t = 5 * SEC;

  g_assert_true (accept_from (latch, "203.0.113.9", 3000, PEER_SSRC, t));
  for (int i = 1; i <= 50; i++)
    {
      /* The peer every 20 ms; the stranger in between, with a random SSRC and with the
       * peer's own. */
      t += 10000;
      g_assert_cmpint (check (latch, "203.0.113.66", 5000, 0xdead0000u + i, t), ==,
                       BELL_RTP_LATCH_REJECT);
      g_assert_cmpint (check (latch, "203.0.113.66", 5000, PEER_SSRC, t), ==,
                       BELL_RTP_LATCH_REJECT);
      g_assert_cmpint (check (latch, "203.0.113.9", 3001, PEER_SSRC, t), ==,
                       BELL_RTP_LATCH_REJECT);
      t += 10000;
      g_assert_cmpint (check (latch, "203.0.113.9", 3000, PEER_SSRC, t), ==, BELL_RTP_LATCH_KEEP);
      g_assert_false (accept_from (latch, "203.0.113.9", 3000, PEER_SSRC, t));
    }
  assert_latched (latch, "203.0.113.9", 3000);

  /* The log: x's first, then nothing more of x; y within the second is counted, not logged;
   * y after it is; back to x after another second is again. */
  g_assert_true (bell_rtp_latch_note_rejected (latch, x, t));
  g_assert_false (bell_rtp_latch_note_rejected (latch, x, t + 1));
  g_assert_false (bell_rtp_latch_note_rejected (latch, x, t + 5 * SEC));
  t += 5 * SEC;
  g_assert_true (bell_rtp_latch_note_rejected (latch, y, t));
  g_assert_false (bell_rtp_latch_note_rejected (latch, x, t + SEC / 2));
  g_assert_true (bell_rtp_latch_note_rejected (latch, x, t + SEC));
  g_assert_cmpuint (bell_rtp_latch_get_rejected (latch), ==, 6);
}

/* SRTP: a packet that authenticates moves the latch from anywhere at once (the caller accepts
 * it without asking check()), even before any latch while the SDP names a public address. */
static void
test_srtp_move (void)
{
  g_autoptr(BellRtpLatch) latch = latch_for ("192.0.2.7", 40000);

  g_assert_cmpint (check (latch, "198.51.100.9", 7000, PEER_SSRC, 0), ==, BELL_RTP_LATCH_REJECT);
  g_assert_true (accept_from (latch, "198.51.100.9", 7000, PEER_SSRC, 0));
  assert_latched (latch, "198.51.100.9", 7000);
  g_assert_true (accept_from (latch, "198.51.100.10", 7002, PEER_SSRC, 20000));
  assert_latched (latch, "198.51.100.10", 7002);
  g_assert_cmpint (check (latch, "198.51.100.9", 7000, PEER_SSRC, 40000), ==,
                   BELL_RTP_LATCH_REJECT);

  /* A move tells where from (for the log); staying tells nothing. */
  {
    g_autoptr(GInetSocketAddress) to = addr ("198.51.100.11", 7004);
    g_autoptr(GInetSocketAddress) previous = NULL;
    g_autoptr(GInetSocketAddress) none = NULL;
    g_autofree char *ip = NULL;

    g_assert_true (bell_rtp_latch_accept (latch, to, PEER_SSRC, 60000, &previous));
    g_assert_nonnull (previous);
    ip = g_inet_address_to_string (g_inet_socket_address_get_address (previous));
    g_assert_cmpstr (ip, ==, "198.51.100.10");
    g_assert_cmpuint (g_inet_socket_address_get_port (previous), ==, 7002);
    g_assert_false (bell_rtp_latch_accept (latch, to, PEER_SSRC, 80000, &none));
    g_assert_null (none);
    assert_latched (latch, "198.51.100.11", 7004);
  }
}

/* Plain RTP: a new source with the latched SSRC takes over once the latched one has been silent
 * for the quiet time, not before; with another SSRC never. The SSRC followed is the last one
 * the latched source used. */
static void
test_silent_same_ssrc (void)
{
  g_autoptr(BellRtpLatch) latch = latch_for ("192.168.1.5", 40000);
  gint64 t = 100 * SEC;

  g_assert_true (accept_from (latch, "203.0.113.9", 3000, 0x1111, t));
  /* The peer restarts its stream with a new SSRC: followed. */
  t += 20000;
  g_assert_cmpint (check (latch, "203.0.113.9", 3000, PEER_SSRC, t), ==, BELL_RTP_LATCH_KEEP);
  g_assert_false (accept_from (latch, "203.0.113.9", 3000, PEER_SSRC, t));
  g_assert_cmpuint (bell_rtp_latch_get_ssrc (latch), ==, PEER_SSRC);

  /* Its NAT rebinds: the same SSRC from a new port, while the old one was just heard. */
  g_assert_cmpint (check (latch, "203.0.113.9", 4000, PEER_SSRC, t + 20000), ==,
                   BELL_RTP_LATCH_REJECT);
  g_assert_cmpint (check (latch, "203.0.113.9", 4000, PEER_SSRC,
                          t + BELL_RTP_LATCH_QUIET_RTP - 1), ==, BELL_RTP_LATCH_REJECT);
  /* The old SSRC is no key any more, nor any other. */
  g_assert_cmpint (check (latch, "203.0.113.9", 4000, 0x1111, t + BELL_RTP_LATCH_QUIET_RTP), ==,
                   BELL_RTP_LATCH_REJECT);
  g_assert_cmpint (check (latch, "203.0.113.9", 4000, PEER_SSRC + 1,
                          t + 10 * BELL_RTP_LATCH_QUIET_RTP), ==, BELL_RTP_LATCH_REJECT);
  t += BELL_RTP_LATCH_QUIET_RTP;
  g_assert_cmpint (check (latch, "203.0.113.9", 4000, PEER_SSRC, t), ==, BELL_RTP_LATCH_MOVE);
  g_assert_true (accept_from (latch, "203.0.113.9", 4000, PEER_SSRC, t));
  assert_latched (latch, "203.0.113.9", 4000);
  /* The old source is a stranger now, until the new one falls silent in turn. */
  g_assert_cmpint (check (latch, "203.0.113.9", 3000, PEER_SSRC, t + 20000), ==,
                   BELL_RTP_LATCH_REJECT);

  /* RTCP's quiet time is longer. */
  {
    g_autoptr(BellRtpLatch) rtcp = bell_rtp_latch_new (BELL_RTP_LATCH_QUIET_RTCP);

    g_assert_true (accept_from (rtcp, "203.0.113.9", 3001, PEER_SSRC, 0));
    g_assert_cmpint (check (rtcp, "203.0.113.9", 4001, PEER_SSRC, 5 * SEC), ==,
                     BELL_RTP_LATCH_REJECT);
    g_assert_cmpint (check (rtcp, "203.0.113.9", 4001, PEER_SSRC, BELL_RTP_LATCH_QUIET_RTCP), ==,
                     BELL_RTP_LATCH_MOVE);
  }
}

/* A re-offer that names a new address forgets the latch and its SSRC: the old source is judged
 * as any before a first latch. */
static void
test_reoffer (void)
{
  g_autoptr(BellRtpLatch) latch = latch_for ("192.0.2.7", 40000);
  g_autoptr(GInetSocketAddress) moved = addr ("198.51.100.20", 41000);

  g_assert_true (accept_from (latch, "192.0.2.7", 40000, PEER_SSRC, 0));
  bell_rtp_latch_reset (latch, moved);
  g_assert_null (bell_rtp_latch_get_latched (latch));
  g_assert_cmpuint (bell_rtp_latch_get_ssrc (latch), ==, 0);
  g_assert_true (bell_rtp_latch_get_signalled (latch) == moved);
  g_assert_cmpint (check (latch, "192.0.2.7", 40000, PEER_SSRC, 60 * SEC), ==,
                   BELL_RTP_LATCH_REJECT);
  g_assert_cmpint (check (latch, "198.51.100.20", 41000, 0x77, 60 * SEC), ==,
                   BELL_RTP_LATCH_FIRST);
  g_assert_true (accept_from (latch, "198.51.100.20", 41000, 0x77, 60 * SEC));
  assert_latched (latch, "198.51.100.20", 41000);
  /* Counts stay across a reset. */
  g_assert_true (bell_rtp_latch_note_rejected (latch, moved, 0));
  bell_rtp_latch_reset (latch, NULL);
  g_assert_cmpuint (bell_rtp_latch_get_rejected (latch), ==, 1);
  g_assert_cmpint (check (latch, "192.0.2.7", 40000, PEER_SSRC, 61 * SEC), ==,
                   BELL_RTP_LATCH_FIRST);
}

/* ---- through the socket ------------------------------------------------------------------- */

typedef struct
{
  BellRtpSocket *socket;
  GPtrArray     *packets;    /* GBytes, as delivered */
} Receiver;

static void
on_receive (BellRtpSocket *socket, const guint8 *data, gsize len, gboolean rtcp,
            gpointer user_data)
{
  Receiver *r = user_data;

  g_assert_false (rtcp);
  g_ptr_array_add (r->packets, g_bytes_new (data, len));
}

#define WAIT_FOR(cond)                                                                   \
  G_STMT_START                                                                           \
  {                                                                                      \
    gint64 wait_end_ = g_get_monotonic_time () + WAIT_US;                                \
    while (!(cond))                                                                      \
      {                                                                                  \
        if (g_get_monotonic_time () > wait_end_)                                         \
          g_error ("timed out waiting for %s", #cond);                                   \
        if (!g_main_context_iteration (NULL, FALSE))                                     \
          g_usleep (200);                                                                \
      }                                                                                  \
  }                                                                                      \
  G_STMT_END

static GSocket *
raw_new (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                       G_SOCKET_PROTOCOL_UDP, &error);
  g_autoptr(GInetSocketAddress) any = addr ("127.0.0.1", 0);

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (s, G_SOCKET_ADDRESS (any), FALSE, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&s);
}

static guint16
raw_port (GSocket *s)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (s, NULL);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

static void
raw_send_rtp (GSocket *s, guint16 to_port, guint16 seq, guint32 ssrc)
{
  g_autoptr(GInetSocketAddress) to = addr ("127.0.0.1", to_port);
  g_autoptr(GError) error = NULL;
  guint8 pkt[12 + 160] = { 0x80, 0 };

  pkt[2] = (guint8) (seq >> 8);
  pkt[3] = (guint8) seq;
  pkt[8] = (guint8) (ssrc >> 24);
  pkt[9] = (guint8) (ssrc >> 16);
  pkt[10] = (guint8) (ssrc >> 8);
  pkt[11] = (guint8) ssrc;
  memset (pkt + 12, 0xff, 160);
  g_assert_cmpint (g_socket_send_to (s, G_SOCKET_ADDRESS (to), (const char *) pkt, sizeof pkt,
                                     NULL, &error), ==, sizeof pkt);
  g_assert_no_error (error);
}

static BellRtpStats
stats_of (BellRtpSocket *s)
{
  BellRtpStats stats;

  bell_rtp_socket_get_stats (s, &stats);
  return stats;
}

static guint16
destination_port (BellRtpSocket *s)
{
  g_autoptr(GInetSocketAddress) to = bell_rtp_socket_dup_destination (s);

  g_assert_nonnull (to);
  return g_inet_socket_address_get_port (to);
}

static guint16
seq_of (Receiver *r, guint i)
{
  const guint8 *d = g_bytes_get_data (r->packets->pdata[i], NULL);

  return (guint16) (d[2] << 8 | d[3]);
}

/* A call's socket hears its peer (p1; its SDP names port sdp, as behind a NAT), then a stranger
 * (x) on loopback: x's packets never reach the receive function, whatever SSRC they carry, are
 * counted in dropped_foreign, and logged once. The peer moves to p2 (same SSRC) and, after 2 s
 * of silence on p1, is followed; p1 is then the stranger. The SDP's own port takes over at once.
 * A re-offer naming p1 starts over. */
static void
test_socket (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) p1 = raw_new ();
  g_autoptr(GSocket) p2 = raw_new ();
  g_autoptr(GSocket) x = raw_new ();
  g_autoptr(GSocket) sdp = raw_new ();
  Receiver r = { NULL, g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref) };
  guint16 port;
  gint64 silent_since;

  r.socket = bell_rtp_socket_new ("127.0.0.1", G_SOCKET_FAMILY_IPV4, NULL, &error);
  g_assert_no_error (error);
  port = bell_rtp_socket_get_port (r.socket);
  bell_rtp_socket_set_receive_func (r.socket, on_receive, &r, NULL);
  bell_rtp_socket_set_remote (r.socket, "127.0.0.1", raw_port (sdp), 0, FALSE);

  raw_send_rtp (p1, port, 1, PEER_SSRC);
  WAIT_FOR (r.packets->len == 1);
  g_assert_true (bell_rtp_socket_is_latched (r.socket, FALSE));

  g_test_expect_message ("bell-rtp-socket", G_LOG_LEVEL_MESSAGE,
                         "RTP from 127.0.0.1 port * dropped: the call's peer sends from "
                         "127.0.0.1 port *");
  for (guint16 i = 0; i < 10; i++)
    {
      raw_send_rtp (x, port, (guint16) (1000 + i), 0xbad00000u + i);
      raw_send_rtp (x, port, (guint16) (2 + i), PEER_SSRC);   /* the peer's SSRC, next seq */
    }
  raw_send_rtp (p1, port, 2, PEER_SSRC);
  WAIT_FOR (stats_of (r.socket).dropped_foreign == 20 && r.packets->len == 2);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (seq_of (&r, 1), ==, 2);
  g_assert_cmpuint (stats_of (r.socket).rtp_received, ==, 2);
  g_assert_cmpuint (destination_port (r.socket), ==, raw_port (p1));

  /* p2 with the peer's SSRC while p1 talks: rejected (no new log line: within the second). */
  raw_send_rtp (p2, port, 3, PEER_SSRC);
  WAIT_FOR (stats_of (r.socket).dropped_foreign == 21);
  silent_since = g_get_monotonic_time ();
  raw_send_rtp (p1, port, 3, PEER_SSRC);
  WAIT_FOR (r.packets->len == 3);

  /* p1 falls silent for 2 s: p2 with the SSRC takes over, with a log line saying so. */
  while (g_get_monotonic_time () - silent_since < BELL_RTP_LATCH_QUIET_RTP + SEC / 10)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  g_test_expect_message ("bell-rtp-socket", G_LOG_LEVEL_MESSAGE,
                         "RTP now comes from 127.0.0.1 port *, no longer 127.0.0.1 port *: the "
                         "peer's address changed (its SSRC, after the old address fell silent)");
  raw_send_rtp (p2, port, 4, PEER_SSRC);
  WAIT_FOR (r.packets->len == 4);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (seq_of (&r, 3), ==, 4);
  g_assert_cmpuint (destination_port (r.socket), ==, raw_port (p2));

  /* p1 is now the stranger (a new source for the log). */
  g_test_expect_message ("bell-rtp-socket", G_LOG_LEVEL_MESSAGE, "RTP from 127.0.0.1 port *");
  raw_send_rtp (p1, port, 5, PEER_SSRC);
  WAIT_FOR (stats_of (r.socket).dropped_foreign == 22);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (r.packets->len, ==, 4);

  /* The SDP's own port: at once, though p2 was just heard. */
  g_test_expect_message ("bell-rtp-socket", G_LOG_LEVEL_MESSAGE, "RTP now comes from *");
  raw_send_rtp (sdp, port, 5, 0x0ddba11u);
  WAIT_FOR (r.packets->len == 5);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (destination_port (r.socket), ==, raw_port (sdp));

  /* A re-offer (the SDP names p1's port again): the latch starts over, and p1 latches. */
  bell_rtp_socket_set_remote (r.socket, "127.0.0.1", raw_port (p1), 0, FALSE);
  g_assert_false (bell_rtp_socket_is_latched (r.socket, FALSE));
  raw_send_rtp (p1, port, 6, PEER_SSRC);
  WAIT_FOR (r.packets->len == 6);
  g_assert_cmpuint (destination_port (r.socket), ==, raw_port (p1));
  g_assert_cmpuint (stats_of (r.socket).dropped_foreign, ==, 22);
  g_assert_cmpuint (stats_of (r.socket).srtp_failed + stats_of (r.socket).dropped_malformed, ==,
                    0);

  bell_rtp_socket_unref (r.socket);
  g_ptr_array_unref (r.packets);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/rtp-latch/first/public", test_first_public);
  g_test_add_func ("/rtp-latch/first/private", test_first_private);
  g_test_add_func ("/rtp-latch/drop", test_drop);
  g_test_add_func ("/rtp-latch/srtp-move", test_srtp_move);
  g_test_add_func ("/rtp-latch/silent-same-ssrc", test_silent_same_ssrc);
  g_test_add_func ("/rtp-latch/reoffer", test_reoffer);
  g_test_add_func ("/rtp-latch/socket", test_socket);

  return g_test_run ();
}
