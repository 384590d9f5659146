/* test-rtp-socket.c: the RTP/RTCP socket pair on real loopback sockets, IPv4 and IPv6.
 *
 * Two BellRtpSockets play the two ends of a call, on the default main context iterated by the
 * test; plain GSockets play peers that send what a BellRtpSocket would not (malformed, forged,
 * replayed packets, or packets from an address nobody signalled) and look at what arrives on
 * the wire. On loopback a datagram is queued at the receiver when sendto() returns, so a plain
 * socket's "nothing arrived" is checked right after the send it would have seen. */
#include <string.h>

#include <gio/gio.h>

#include "bell-loss-model.h"
#include "bell-rtp-socket.h"
#include "bell-srtp.h"

#define AES_CM_80 BELL_SRTP_SUITE_AES_CM_128_HMAC_SHA1_80
/* No loop below spins longer than this. */
#define WAIT_US   (10 * G_USEC_PER_SEC)
/* Packets each sending thread sends, and how far it may run ahead of what arrived. */
#define N_THREAD_PACKETS 300
#define MAX_IN_FLIGHT    40

/* ---- helpers ------------------------------------------------------------------------------ */

typedef struct
{
  guint8   data[BELL_RTP_MAX_RECEIVE];
  gsize    len;
  gboolean rtcp;
} Packet;

typedef struct
{
  BellRtpSocket *socket;
  GPtrArray     *packets;      /* Packet, as delivered */
  gint           delivered;    /* atomic: read by sending threads */
} Peer;

static void
on_receive (BellRtpSocket *socket, const guint8 *data, gsize len, gboolean rtcp,
            gpointer user_data)
{
  Peer *peer = user_data;
  Packet *p = g_new0 (Packet, 1);

  g_assert_true (socket == peer->socket);
  g_assert_cmpuint (len, <=, sizeof p->data);
  memcpy (p->data, data, len);
  p->len = len;
  p->rtcp = rtcp;
  g_ptr_array_add (peer->packets, p);
  g_atomic_int_inc (&peer->delivered);
}

static GSocketFamily
family_of (const char *address)
{
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (address);

  g_assert_nonnull (ip);
  return g_inet_address_get_family (ip);
}

static Peer *
peer_new (const char *address)
{
  g_autoptr(GError) error = NULL;
  Peer *peer = g_new0 (Peer, 1);

  peer->socket = bell_rtp_socket_new (address, family_of (address), NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (peer->socket);
  peer->packets = g_ptr_array_new_with_free_func (g_free);
  bell_rtp_socket_set_receive_func (peer->socket, on_receive, peer, NULL);
  return peer;
}

static void
peer_free (Peer *peer)
{
  bell_rtp_socket_unref (peer->socket);
  g_ptr_array_unref (peer->packets);
  g_free (peer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Peer, peer_free)

static guint16
peer_port (Peer *peer)
{
  return bell_rtp_socket_get_port (peer->socket);
}

static BellRtpStats
stats_of (Peer *peer)
{
  BellRtpStats stats;

  memset (&stats, 0xff, sizeof stats);
  bell_rtp_socket_get_stats (peer->socket, &stats);
  return stats;
}

static Packet *
packet_at (Peer *peer, guint i)
{
  g_assert_cmpuint (i, <, peer->packets->len);
  return peer->packets->pdata[i];
}

/* Iterates the default context until cond holds; fails after WAIT_US. */
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

/* Runs whatever is ready now (what loopback already queued). */
static void
drain (void)
{
  for (int i = 0; i < 20; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (500);
    }
}

/* An RTP packet (RFC 3550 §5.1) with the given first two bytes' payload type (marker included),
 * sequence number and SSRC, and a patterned payload. Returns its length. */
static gsize
build_rtp (guint8 *buf, guint8 pt, guint16 seq, guint32 ssrc, gsize payload_len)
{
  buf[0] = 0x80;
  buf[1] = pt;
  buf[2] = (guint8) (seq >> 8);
  buf[3] = (guint8) seq;
  buf[4] = 0;
  buf[5] = 0;
  buf[6] = (guint8) (seq >> 8);        /* timestamp */
  buf[7] = (guint8) seq;
  buf[8] = (guint8) (ssrc >> 24);
  buf[9] = (guint8) (ssrc >> 16);
  buf[10] = (guint8) (ssrc >> 8);
  buf[11] = (guint8) ssrc;
  for (gsize i = 0; i < payload_len; i++)
    buf[12 + i] = (guint8) (i * 7 + seq);
  return 12 + payload_len;
}

/* An RTCP sender report without report blocks (RFC 3550 §6.4.1), 28 bytes. */
static gsize
build_rtcp (guint8 *buf, guint32 ssrc, guint8 fill)
{
  buf[0] = 0x80;
  buf[1] = 200;
  buf[2] = 0;
  buf[3] = 6;
  buf[4] = (guint8) (ssrc >> 24);
  buf[5] = (guint8) (ssrc >> 16);
  buf[6] = (guint8) (ssrc >> 8);
  buf[7] = (guint8) ssrc;
  memset (buf + 8, fill, 20);
  return 28;
}

static void
send_rtp_ok (Peer *from, const guint8 *data, gsize len)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (bell_rtp_socket_send_rtp (from->socket, data, len, &error));
  g_assert_no_error (error);
}

static void
send_rtcp_ok (Peer *from, const guint8 *data, gsize len)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (bell_rtp_socket_send_rtcp (from->socket, data, len, &error));
  g_assert_no_error (error);
}

static void
send_fails (Peer *from, gboolean rtcp, const guint8 *data, gsize len, GQuark domain, int code)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = rtcp ? bell_rtp_socket_send_rtcp (from->socket, data, len, &error)
                     : bell_rtp_socket_send_rtp (from->socket, data, len, &error);

  g_assert_false (ok);
  g_assert_error (error, domain, code);
}

static void
assert_packet (Packet *p, gboolean rtcp, const guint8 *data, gsize len)
{
  g_assert_cmpint (p->rtcp, ==, rtcp);
  g_assert_cmpmem (p->data, p->len, data, len);
}

static void
assert_destination (GInetSocketAddress *to, const char *address, guint16 port)
{
  g_autofree char *ip = NULL;

  g_assert_nonnull (to);
  ip = g_inet_address_to_string (g_inet_socket_address_get_address (to));
  g_assert_cmpstr (ip, ==, address);
  g_assert_cmpuint (g_inet_socket_address_get_port (to), ==, port);
  g_object_unref (to);
}

/* The two ends of a call, each sending to the other's signalled address. */
static void
connect_peers (Peer *a, Peer *b, const char *address, gboolean rtcp_mux)
{
  bell_rtp_socket_set_remote (a->socket, address, peer_port (b), 0, rtcp_mux);
  bell_rtp_socket_set_remote (b->socket, address, peer_port (a), 0, rtcp_mux);
}

/* ---- plain sockets ------------------------------------------------------------------------ */

static GSocket *
raw_new (const char *address, guint16 port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (address);
  g_autoptr(GSocketAddress) where = g_inet_socket_address_new (ip, port);
  GSocket *socket = g_socket_new (g_inet_address_get_family (ip), G_SOCKET_TYPE_DATAGRAM,
                                  G_SOCKET_PROTOCOL_UDP, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, where, FALSE, &error));
  g_assert_no_error (error);
  g_socket_set_timeout (socket, WAIT_US / G_USEC_PER_SEC);
  return socket;
}

static guint16
raw_port (GSocket *socket)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (socket, NULL);

  g_assert_nonnull (local);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

static void
raw_send (GSocket *socket, const char *address, guint16 port, const guint8 *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (address);
  g_autoptr(GSocketAddress) to = g_inet_socket_address_new (ip, port);

  g_assert_cmpint (g_socket_send_to (socket, to, (const char *) data, len, NULL, &error), ==,
                   (gssize) len);
  g_assert_no_error (error);
}

/* Blocks (at most WAIT_US) for one datagram. */
static gsize
raw_receive (GSocket *socket, guint8 *buf, gsize cap)
{
  g_autoptr(GError) error = NULL;
  gssize n = g_socket_receive (socket, (char *) buf, cap, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpint (n, >=, 0);
  return (gsize) n;
}

static void
raw_assert_nothing (GSocket *socket)
{
  g_assert_cmpint (g_socket_condition_check (socket, G_IO_IN), ==, 0);
}

/* Whether port (on address) can be bound now, i.e. no socket holds it. */
static gboolean
port_is_free (const char *address, guint16 port)
{
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (address);
  g_autoptr(GSocketAddress) where = g_inet_socket_address_new (ip, port);
  g_autoptr(GSocket) socket = g_socket_new (g_inet_address_get_family (ip),
                                            G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP,
                                            NULL);

  return g_socket_bind (socket, where, FALSE, NULL);
}

static gboolean
have_address (const char *address)
{
  return port_is_free (address, 0);
}

/* Skips the test when the loopback address of its family is missing (IPv6 off). */
static gboolean
skip_without (const char *address)
{
  if (have_address (address))
    return FALSE;
  g_test_skip_printf ("no %s on this machine", address);
  return TRUE;
}

/* ---- SRTP --------------------------------------------------------------------------------- */

static char *
make_key (void)
{
  g_autoptr(GError) error = NULL;
  char *key = NULL;

  g_assert_true (bell_srtp_make_key (AES_CM_80, &key, &error));
  g_assert_no_error (error);
  return key;
}

static BellSrtpSession *
new_session (const char *local, const char *remote)
{
  g_autoptr(GError) error = NULL;
  BellSrtpSession *s = bell_srtp_session_new (AES_CM_80, local, remote, &error);

  g_assert_no_error (error);
  g_assert_nonnull (s);
  return s;
}

/* Keys a and b crosswise, as the two ends of a call are. */
static void
key_peers (Peer *a, Peer *b)
{
  char *ka = make_key (), *kb = make_key ();

  bell_rtp_socket_set_srtp (a->socket, new_session (ka, kb));
  bell_rtp_socket_set_srtp (b->socket, new_session (kb, ka));
  bell_srtp_key_free (ka);
  bell_srtp_key_free (kb);
}

/* A protected copy of plain in out; returns its length. */
static gsize
protect (BellSrtpSession *s, gboolean rtcp, const guint8 *plain, gsize len, guint8 *out,
         gsize cap)
{
  g_autoptr(GError) error = NULL;

  memcpy (out, plain, len);
  g_assert_true (rtcp ? bell_srtp_protect_rtcp (s, out, &len, cap, &error)
                      : bell_srtp_protect (s, out, &len, cap, &error));
  g_assert_no_error (error);
  return len;
}

/* ---- binding ------------------------------------------------------------------------------ */

static void
test_bind (gconstpointer data)
{
  const char *address = data;
  g_autoptr(Peer) a = NULL;
  g_autoptr(GPtrArray) more = g_ptr_array_new_with_free_func ((GDestroyNotify) peer_free);
  g_autoptr(GHashTable) ports = g_hash_table_new (NULL, NULL);
  BellRtpStats zero = { 0 }, stats;

  if (skip_without (address))
    return;
  a = peer_new (address);
  g_assert_cmpuint (peer_port (a), !=, 0);
  g_assert_cmpuint (peer_port (a) % 2, ==, 0);
  g_assert_cmpint (bell_rtp_socket_get_family (a->socket), ==, family_of (address));
  /* Both ports are ours alone. */
  g_assert_false (port_is_free (address, peer_port (a)));
  g_assert_false (port_is_free (address, peer_port (a) + 1));
  g_assert_null (bell_rtp_socket_dup_destination (a->socket));
  g_assert_null (bell_rtp_socket_dup_rtcp_destination (a->socket));
  g_assert_false (bell_rtp_socket_is_latched (a->socket, FALSE));
  stats = stats_of (a);
  g_assert_cmpmem (&stats, sizeof stats, &zero, sizeof zero);

  /* Many at once: each an even port of its own, its RTCP port next to it. */
  g_hash_table_add (ports, GUINT_TO_POINTER (peer_port (a)));
  for (int i = 0; i < 20; i++)
    {
      Peer *p = peer_new (address);

      g_ptr_array_add (more, p);
      g_assert_cmpuint (peer_port (p) % 2, ==, 0);
      g_assert_false (g_hash_table_contains (ports, GUINT_TO_POINTER (peer_port (p))));
      g_hash_table_add (ports, GUINT_TO_POINTER (peer_port (p)));
      g_assert_false (port_is_free (address, peer_port (p) + 1));
    }
}

static void
test_bind_any (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellRtpSocket) s = bell_rtp_socket_new (NULL, G_SOCKET_FAMILY_IPV4, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (s);
  g_assert_cmpuint (bell_rtp_socket_get_port (s) % 2, ==, 0);
  /* Bound to 0.0.0.0: the loopback address can't take the port either. */
  g_assert_false (port_is_free ("127.0.0.1", bell_rtp_socket_get_port (s)));
}

static void
test_bind_errors (void)
{
  static const struct
  {
    const char   *address;
    GSocketFamily family;
  } bad[] = {
    { "not-an-address", G_SOCKET_FAMILY_IPV4 },
    { "localhost", G_SOCKET_FAMILY_IPV4 },
    { "::1", G_SOCKET_FAMILY_IPV4 },
    { "127.0.0.1", G_SOCKET_FAMILY_IPV6 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      BellRtpSocket *s = bell_rtp_socket_new (bad[i].address, bad[i].family, NULL, &error);

      g_assert_null (s);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
    }

  /* An address this host does not have (TEST-NET-1). */
  {
    g_autoptr(GError) error = NULL;
    BellRtpSocket *s = bell_rtp_socket_new ("192.0.2.1", G_SOCKET_FAMILY_IPV4, NULL, &error);

    g_assert_null (s);
    g_assert_nonnull (error);
    g_assert_true (g_str_has_prefix (error->message, "cannot bind RTP: "));
  }
}

/* ---- sending and receiving ---------------------------------------------------------------- */

static void
test_exchange (gconstpointer data)
{
  const char *address = data;
  g_autoptr(Peer) a = NULL;
  g_autoptr(Peer) b = NULL;
  guint8 pkt[3][200];
  gsize len[3];
  BellRtpStats sa, sb;

  if (skip_without (address))
    return;
  a = peer_new (address);
  b = peer_new (address);
  connect_peers (a, b, address, FALSE);
  assert_destination (bell_rtp_socket_dup_destination (a->socket), address, peer_port (b));
  assert_destination (bell_rtp_socket_dup_rtcp_destination (a->socket), address,
                      peer_port (b) + 1);

  for (int i = 0; i < 3; i++)
    {
      len[i] = build_rtp (pkt[i], 0, (guint16) (100 + i), 0x1111, 160);
      send_rtp_ok (a, pkt[i], len[i]);
    }
  WAIT_FOR (b->packets->len == 3);
  for (int i = 0; i < 3; i++)
    assert_packet (packet_at (b, i), FALSE, pkt[i], len[i]);

  for (int i = 0; i < 2; i++)
    {
      len[i] = build_rtp (pkt[i], 8, (guint16) (7000 + i), 0x2222, 80);
      send_rtp_ok (b, pkt[i], len[i]);
    }
  WAIT_FOR (a->packets->len == 2);
  for (int i = 0; i < 2; i++)
    assert_packet (packet_at (a, i), FALSE, pkt[i], len[i]);

  /* Each latched to where the other sends from, here the signalled address. */
  g_assert_true (bell_rtp_socket_is_latched (a->socket, FALSE));
  g_assert_true (bell_rtp_socket_is_latched (b->socket, FALSE));
  g_assert_false (bell_rtp_socket_is_latched (b->socket, TRUE));
  assert_destination (bell_rtp_socket_dup_destination (b->socket), address, peer_port (a));

  sa = stats_of (a);
  sb = stats_of (b);
  g_assert_cmpuint (sa.rtp_sent, ==, 3);
  g_assert_cmpuint (sa.bytes_sent, ==, 3 * 172);
  g_assert_cmpuint (sa.rtp_received, ==, 2);
  g_assert_cmpuint (sa.bytes_received, ==, 2 * 92);
  g_assert_cmpuint (sb.rtp_sent, ==, 2);
  g_assert_cmpuint (sb.bytes_sent, ==, 2 * 92);
  g_assert_cmpuint (sb.rtp_received, ==, 3);
  g_assert_cmpuint (sb.bytes_received, ==, 3 * 172);
  g_assert_cmpuint (sa.rtcp_sent + sa.rtcp_received + sb.rtcp_sent + sb.rtcp_received, ==, 0);
  g_assert_cmpuint (sa.dropped_foreign + sa.dropped_malformed + sa.srtp_failed, ==, 0);
  g_assert_cmpuint (sb.dropped_foreign + sb.dropped_malformed + sb.srtp_failed, ==, 0);
}

static void
test_rtcp (gconstpointer data)
{
  const char *address = data;
  g_autoptr(Peer) a = NULL;
  g_autoptr(Peer) b = NULL;
  guint8 sr[64], rtp[64];
  gsize sr_len, rtp_len;

  if (skip_without (address))
    return;
  a = peer_new (address);
  b = peer_new (address);
  connect_peers (a, b, address, FALSE);

  sr_len = build_rtcp (sr, 0x1111, 0xab);
  send_rtcp_ok (a, sr, sr_len);
  WAIT_FOR (b->packets->len == 1);
  assert_packet (packet_at (b, 0), TRUE, sr, sr_len);
  /* It came to port + 1, from port + 1: B's RTCP flow latched there, RTP's did not. */
  g_assert_true (bell_rtp_socket_is_latched (b->socket, TRUE));
  g_assert_false (bell_rtp_socket_is_latched (b->socket, FALSE));
  assert_destination (bell_rtp_socket_dup_rtcp_destination (b->socket), address,
                      peer_port (a) + 1);

  send_rtcp_ok (b, sr, sr_len);
  WAIT_FOR (a->packets->len == 1);
  assert_packet (packet_at (a, 0), TRUE, sr, sr_len);

  /* Without rtcp-mux, what comes to the RTP port is RTP, whatever its payload type. */
  rtp_len = build_rtp (rtp, 200, 1, 0x1111, 16);
  send_rtp_ok (a, rtp, rtp_len);
  WAIT_FOR (b->packets->len == 2);
  assert_packet (packet_at (b, 1), FALSE, rtp, rtp_len);

  g_assert_cmpuint (stats_of (a).rtcp_sent, ==, 1);
  g_assert_cmpuint (stats_of (a).rtcp_received, ==, 1);
  g_assert_cmpuint (stats_of (a).rtp_sent, ==, 1);
  g_assert_cmpuint (stats_of (b).rtcp_received, ==, 1);
  g_assert_cmpuint (stats_of (b).rtp_received, ==, 1);
  g_assert_cmpuint (stats_of (b).bytes_received, ==, sr_len + rtp_len);
}

static void
test_rtcp_mux (gconstpointer data)
{
  const char *address = data;
  g_autoptr(Peer) a = NULL;
  g_autoptr(Peer) b = NULL;
  g_autoptr(GSocket) elsewhere = NULL;
  guint8 sr[64], pkt[4][64];
  gsize sr_len, len[4];
  /* RFC 5761 §4: payload types 64-95 after the marker bit are RTCP. */
  static const struct
  {
    guint8   pt;
    gboolean rtcp;
  } kinds[] = {
    { 0x00, FALSE },   /* PCMU */
    { 0xe0, FALSE },   /* marker, PT 96 */
    { 0x48, TRUE },    /* PT 72: an SR's type without the marker bit */
    { 0xdf, TRUE },    /* 223, the last RTCP type */
  };

  if (skip_without (address))
    return;
  a = peer_new (address);
  b = peer_new (address);
  elsewhere = raw_new (address, 0);
  /* With rtcp-mux the a=rtcp port is not where RTCP goes. */
  bell_rtp_socket_set_remote (a->socket, address, peer_port (b), raw_port (elsewhere), TRUE);
  bell_rtp_socket_set_remote (b->socket, address, peer_port (a), 0, TRUE);
  assert_destination (bell_rtp_socket_dup_rtcp_destination (a->socket), address, peer_port (b));

  sr_len = build_rtcp (sr, 0x1111, 0x5a);
  send_rtcp_ok (a, sr, sr_len);
  raw_assert_nothing (elsewhere);
  WAIT_FOR (b->packets->len == 1);
  assert_packet (packet_at (b, 0), TRUE, sr, sr_len);
  /* It came to the RTP port from A's RTP port: the RTP flow latched. */
  g_assert_true (bell_rtp_socket_is_latched (b->socket, FALSE));
  g_assert_true (bell_rtp_socket_is_latched (b->socket, TRUE));

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      len[i] = build_rtp (pkt[i], kinds[i].pt, (guint16) i, 0x1111, 20);
      send_rtp_ok (a, pkt[i], len[i]);
    }
  WAIT_FOR (b->packets->len == 1 + G_N_ELEMENTS (kinds));
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    assert_packet (packet_at (b, 1 + i), kinds[i].rtcp, pkt[i], len[i]);

  send_rtcp_ok (b, sr, sr_len);
  WAIT_FOR (a->packets->len == 1);
  assert_packet (packet_at (a, 0), TRUE, sr, sr_len);

  g_assert_cmpuint (stats_of (a).rtcp_sent, ==, 1);
  g_assert_cmpuint (stats_of (a).rtp_sent, ==, 4);
  g_assert_cmpuint (stats_of (b).rtcp_received, ==, 3);
  g_assert_cmpuint (stats_of (b).rtp_received, ==, 2);
  g_assert_cmpuint (stats_of (a).rtcp_received, ==, 1);
  raw_assert_nothing (elsewhere);
}

/* ---- symmetric RTP ------------------------------------------------------------------------ */

/* B's SDP names port X (a plain socket standing for what B's NAT does not forward), but B
 * sends from its real port: once A hears B, A answers there. */
static void
test_latching (gconstpointer data)
{
  const char *address = data;
  g_autoptr(Peer) a = NULL;
  g_autoptr(Peer) b = NULL;
  g_autoptr(GSocket) x = NULL;
  g_autoptr(GSocket) x_rtcp = NULL;
  guint8 pkt[64], got[BELL_RTP_MAX_RECEIVE], sr[64];
  gsize len, sr_len;

  if (skip_without (address))
    return;
  a = peer_new (address);
  b = peer_new (address);
  x = raw_new (address, 0);
  x_rtcp = raw_new (address, 0);
  bell_rtp_socket_set_remote (a->socket, address, raw_port (x), raw_port (x_rtcp), FALSE);
  bell_rtp_socket_set_remote (b->socket, address, peer_port (a), 0, FALSE);

  /* Before B is heard, A sends where the SDP says. */
  len = build_rtp (pkt, 0, 1, 0xaaaa, 20);
  send_rtp_ok (a, pkt, len);
  g_assert_cmpmem (got, raw_receive (x, got, sizeof got), pkt, len);
  assert_destination (bell_rtp_socket_dup_destination (a->socket), address, raw_port (x));

  len = build_rtp (pkt, 0, 1, 0xbbbb, 20);
  send_rtp_ok (b, pkt, len);
  WAIT_FOR (a->packets->len == 1);
  g_assert_true (bell_rtp_socket_is_latched (a->socket, FALSE));
  assert_destination (bell_rtp_socket_dup_destination (a->socket), address, peer_port (b));

  len = build_rtp (pkt, 0, 2, 0xaaaa, 20);
  send_rtp_ok (a, pkt, len);
  WAIT_FOR (b->packets->len == 1);
  assert_packet (packet_at (b, 0), FALSE, pkt, len);
  raw_assert_nothing (x);

  /* RTCP latches on its own: still the signalled port until B's RTCP arrives. */
  assert_destination (bell_rtp_socket_dup_rtcp_destination (a->socket), address,
                      raw_port (x_rtcp));
  sr_len = build_rtcp (sr, 0xbbbb, 1);
  send_rtcp_ok (b, sr, sr_len);
  WAIT_FOR (a->packets->len == 2);
  assert_destination (bell_rtp_socket_dup_rtcp_destination (a->socket), address,
                      peer_port (b) + 1);
  send_rtcp_ok (a, sr, sr_len);
  WAIT_FOR (b->packets->len == 2);
  assert_packet (packet_at (b, 1), TRUE, sr, sr_len);
  raw_assert_nothing (x_rtcp);

  /* A new SDP forgets both latches. */
  bell_rtp_socket_set_remote (a->socket, address, raw_port (x), raw_port (x_rtcp), FALSE);
  g_assert_false (bell_rtp_socket_is_latched (a->socket, FALSE));
  g_assert_false (bell_rtp_socket_is_latched (a->socket, TRUE));
  send_rtp_ok (a, pkt, len);
  g_assert_cmpmem (got, raw_receive (x, got, sizeof got), pkt, len);
  send_rtcp_ok (a, sr, sr_len);
  g_assert_cmpmem (got, raw_receive (x_rtcp, got, sizeof got), sr, sr_len);
}

/* Once latched, packets from a third address are dropped and counted, not followed. */
static void
test_foreign (gconstpointer data)
{
  const char *address = data;
  g_autoptr(Peer) a = NULL;
  g_autoptr(Peer) b = NULL;
  g_autoptr(Peer) c = NULL;
  guint8 pkt[64], sr[64];
  gsize len, sr_len;
  BellRtpStats stats;

  if (skip_without (address))
    return;
  a = peer_new (address);
  b = peer_new (address);
  c = peer_new (address);
  connect_peers (a, b, address, FALSE);
  bell_rtp_socket_set_remote (c->socket, address, peer_port (a), 0, FALSE);

  len = build_rtp (pkt, 0, 1, 0xbbbb, 20);
  sr_len = build_rtcp (sr, 0xbbbb, 2);
  send_rtp_ok (b, pkt, len);
  send_rtcp_ok (b, sr, sr_len);
  WAIT_FOR (a->packets->len == 2);

  len = build_rtp (pkt, 0, 1, 0xcccc, 20);
  sr_len = build_rtcp (sr, 0xcccc, 3);
  send_rtp_ok (c, pkt, len);
  send_rtcp_ok (c, sr, sr_len);
  send_rtp_ok (c, pkt, len);
  WAIT_FOR (stats_of (a).dropped_foreign == 3);
  stats = stats_of (a);
  g_assert_cmpuint (stats.rtp_received, ==, 1);
  g_assert_cmpuint (stats.rtcp_received, ==, 1);
  g_assert_cmpuint (stats.dropped_malformed + stats.srtp_failed, ==, 0);
  g_assert_cmpuint (a->packets->len, ==, 2);
  assert_destination (bell_rtp_socket_dup_destination (a->socket), address, peer_port (b));
  assert_destination (bell_rtp_socket_dup_rtcp_destination (a->socket), address,
                      peer_port (b) + 1);

  /* B is still heard. */
  len = build_rtp (pkt, 0, 2, 0xbbbb, 20);
  send_rtp_ok (b, pkt, len);
  WAIT_FOR (a->packets->len == 3);
}

static void
test_malformed (gconstpointer data)
{
  const char *address = data;
  g_autoptr(Peer) a = NULL;
  g_autoptr(GSocket) bad = NULL;
  g_autoptr(GSocket) good = NULL;
  guint8 pkt[1600];
  gsize len;

  if (skip_without (address))
    return;
  a = peer_new (address);
  bad = raw_new (address, 0);
  good = raw_new (address, 0);

  /* To the RTP port: too short, version 0, version 3, one byte more than we receive, and much
   * more. */
  len = build_rtp (pkt, 0, 1, 0x1234, 0);
  raw_send (bad, address, peer_port (a), pkt, 11);
  pkt[0] = 0x00;
  raw_send (bad, address, peer_port (a), pkt, 12);
  pkt[0] = 0xc0;
  raw_send (bad, address, peer_port (a), pkt, 12);
  len = build_rtp (pkt, 0, 1, 0x1234, BELL_RTP_MAX_RECEIVE + 1 - 12);
  raw_send (bad, address, peer_port (a), pkt, len);
  len = build_rtp (pkt, 0, 1, 0x1234, sizeof pkt - 12);
  raw_send (bad, address, peer_port (a), pkt, len);
  /* To the RTCP port: shorter than a header and an SSRC, and version 1. */
  len = build_rtcp (pkt, 0x1234, 0);
  raw_send (bad, address, peer_port (a) + 1, pkt, 7);
  pkt[0] = 0x40;
  raw_send (bad, address, peer_port (a) + 1, pkt, len);

  WAIT_FOR (stats_of (a).dropped_malformed == 7);
  g_assert_cmpuint (a->packets->len, ==, 0);
  g_assert_false (bell_rtp_socket_is_latched (a->socket, FALSE));
  g_assert_false (bell_rtp_socket_is_latched (a->socket, TRUE));

  /* The smallest and the largest that pass. */
  len = build_rtp (pkt, 0, 2, 0x1234, 0);
  raw_send (good, address, peer_port (a), pkt, len);
  len = build_rtp (pkt, 0, 3, 0x1234, BELL_RTP_MAX_RECEIVE - 12);
  raw_send (good, address, peer_port (a), pkt, len);
  WAIT_FOR (a->packets->len == 2);    /* the RTCP port is another socket: no set order */
  len = build_rtcp (pkt, 0x1234, 0);
  raw_send (good, address, peer_port (a) + 1, pkt, 8);
  WAIT_FOR (a->packets->len == 3);
  g_assert_cmpuint (packet_at (a, 0)->len, ==, 12);
  g_assert_cmpuint (packet_at (a, 1)->len, ==, BELL_RTP_MAX_RECEIVE);
  g_assert_cmpuint (packet_at (a, 2)->len, ==, 8);
  g_assert_true (packet_at (a, 2)->rtcp);
  g_assert_cmpuint (stats_of (a).dropped_malformed, ==, 7);
  g_assert_cmpuint (stats_of (a).bytes_received, ==, 12 + BELL_RTP_MAX_RECEIVE + 8);
}

static void
test_send_errors (gconstpointer data)
{
  const char *address = data;
  const char *other_family = family_of (address) == G_SOCKET_FAMILY_IPV6 ? "127.0.0.1" : "::1";
  const char *any = family_of (address) == G_SOCKET_FAMILY_IPV6 ? "::" : "0.0.0.0";
  g_autoptr(Peer) a = NULL;
  g_autoptr(Peer) b = NULL;
  guint8 pkt[BELL_RTP_MAX_SEND + 1];
  gsize len;

  if (skip_without (address))
    return;
  a = peer_new (address);
  b = peer_new (address);
  len = build_rtp (pkt, 0, 1, 0x1234, 20);

  /* Nowhere to send: no set_remote, or an unusable one. */
  send_fails (a, FALSE, pkt, len, BELL_RTP_SOCKET_ERROR, BELL_RTP_SOCKET_ERROR_NO_REMOTE);
  send_fails (a, TRUE, pkt, len, BELL_RTP_SOCKET_ERROR, BELL_RTP_SOCKET_ERROR_NO_REMOTE);
  {
    const char *unusable[] = { NULL, "example.org", other_family, any };

    for (guint i = 0; i < G_N_ELEMENTS (unusable); i++)
      {
        bell_rtp_socket_set_remote (a->socket, unusable[i], peer_port (b), 0, FALSE);
        send_fails (a, FALSE, pkt, len, BELL_RTP_SOCKET_ERROR, BELL_RTP_SOCKET_ERROR_NO_REMOTE);
        g_assert_null (bell_rtp_socket_dup_destination (a->socket));
      }
  }
  bell_rtp_socket_set_remote (a->socket, address, 0, 0, FALSE);
  send_fails (a, FALSE, pkt, len, BELL_RTP_SOCKET_ERROR, BELL_RTP_SOCKET_ERROR_NO_REMOTE);
  /* Port 65535 has no port + 1 for RTCP. */
  bell_rtp_socket_set_remote (a->socket, address, G_MAXUINT16, 0, FALSE);
  send_fails (a, TRUE, pkt, len, BELL_RTP_SOCKET_ERROR, BELL_RTP_SOCKET_ERROR_NO_REMOTE);
  g_assert_null (bell_rtp_socket_dup_rtcp_destination (a->socket));
  g_assert_cmpuint (stats_of (a).rtp_sent + stats_of (a).rtcp_sent, ==, 0);

  /* One datagram's worth and no more. */
  connect_peers (a, b, address, FALSE);
  len = build_rtp (pkt, 0, 2, 0x1234, BELL_RTP_MAX_SEND - 12);
  send_rtp_ok (a, pkt, len);
  send_fails (a, FALSE, pkt, len + 1, BELL_RTP_SOCKET_ERROR, BELL_RTP_SOCKET_ERROR_TOO_BIG);
  send_fails (a, TRUE, pkt, len + 1, BELL_RTP_SOCKET_ERROR, BELL_RTP_SOCKET_ERROR_TOO_BIG);
  WAIT_FOR (b->packets->len == 1);
  g_assert_cmpuint (packet_at (b, 0)->len, ==, BELL_RTP_MAX_SEND);

  /* With SRTP the trailer counts too (10 bytes for RTP, 14 for RTCP with this suite). */
  key_peers (a, b);
  len = build_rtp (pkt, 0, 3, 0x1234, BELL_RTP_MAX_SEND - 10 - 12);
  send_rtp_ok (a, pkt, len);
  len = build_rtp (pkt, 0, 4, 0x1234, BELL_RTP_MAX_SEND - 10 - 12 + 1);
  send_fails (a, FALSE, pkt, len, BELL_RTP_SOCKET_ERROR, BELL_RTP_SOCKET_ERROR_TOO_BIG);
  len = build_rtcp (pkt, 0x1234, 0);
  send_rtcp_ok (a, pkt, BELL_RTP_MAX_SEND - 14);
  send_fails (a, TRUE, pkt, BELL_RTP_MAX_SEND - 14 + 1, BELL_RTP_SOCKET_ERROR,
              BELL_RTP_SOCKET_ERROR_TOO_BIG);
  WAIT_FOR (b->packets->len == 3);
  g_assert_cmpuint (packet_at (b, 1)->len, ==, BELL_RTP_MAX_SEND - 10);
  g_assert_cmpuint (packet_at (b, 2)->len, ==, BELL_RTP_MAX_SEND - 14);

  /* SRTP refuses a sequence number it protected before, and what is not RTP. */
  len = build_rtp (pkt, 0, 3, 0x1234, 20);
  send_fails (a, FALSE, pkt, len, BELL_SRTP_ERROR, BELL_SRTP_ERROR_REPLAY);
  send_fails (a, FALSE, pkt, 4, BELL_SRTP_ERROR, BELL_SRTP_ERROR_PACKET);

  /* Closed: refused, and closing again is harmless. */
  bell_rtp_socket_close (a->socket);
  len = build_rtp (pkt, 0, 5, 0x1234, 20);
  send_fails (a, FALSE, pkt, len, BELL_RTP_SOCKET_ERROR, BELL_RTP_SOCKET_ERROR_CLOSED);
  send_fails (a, TRUE, pkt, len, BELL_RTP_SOCKET_ERROR, BELL_RTP_SOCKET_ERROR_CLOSED);
  bell_rtp_socket_close (a->socket);
  g_assert_cmpuint (stats_of (a).rtp_sent, ==, 2);
  g_assert_cmpuint (stats_of (a).rtcp_sent, ==, 1);
}

/* ---- SRTP --------------------------------------------------------------------------------- */

static void
test_srtp_round_trip (gconstpointer data)
{
  gboolean rtcp_mux = GPOINTER_TO_INT (data);
  const char *address = "127.0.0.1";
  g_autoptr(Peer) a = peer_new (address);
  g_autoptr(Peer) b = peer_new (address);
  guint8 pkt[4][200];
  gsize len[4];
  BellRtpStats sa, sb;

  connect_peers (a, b, address, rtcp_mux);
  key_peers (a, b);

  len[0] = build_rtp (pkt[0], 0, 1, 0xaaaa, 160);
  len[1] = build_rtcp (pkt[1], 0xaaaa, 7);
  len[2] = build_rtp (pkt[2], 0, 2, 0xaaaa, 160);
  /* One at a time: without rtcp-mux RTP and RTCP come on two sockets, in no set order. */
  send_rtp_ok (a, pkt[0], len[0]);
  WAIT_FOR (b->packets->len == 1);
  send_rtcp_ok (a, pkt[1], len[1]);
  WAIT_FOR (b->packets->len == 2);
  send_rtp_ok (a, pkt[2], len[2]);
  WAIT_FOR (b->packets->len == 3);
  assert_packet (packet_at (b, 0), FALSE, pkt[0], len[0]);
  assert_packet (packet_at (b, 1), TRUE, pkt[1], len[1]);
  assert_packet (packet_at (b, 2), FALSE, pkt[2], len[2]);

  len[3] = build_rtp (pkt[3], 8, 900, 0xbbbb, 80);
  send_rtp_ok (b, pkt[3], len[3]);
  WAIT_FOR (a->packets->len == 1);
  send_rtcp_ok (b, pkt[1], len[1]);
  WAIT_FOR (a->packets->len == 2);
  assert_packet (packet_at (a, 0), FALSE, pkt[3], len[3]);
  assert_packet (packet_at (a, 1), TRUE, pkt[1], len[1]);

  /* On the wire each packet carried its tag (10 bytes), SRTCP its index too (14). */
  sa = stats_of (a);
  sb = stats_of (b);
  g_assert_cmpuint (sa.bytes_sent, ==, 2 * (172 + 10) + 28 + 14);
  g_assert_cmpuint (sb.bytes_received, ==, sa.bytes_sent);
  g_assert_cmpuint (sb.bytes_sent, ==, 92 + 10 + 28 + 14);
  g_assert_cmpuint (sa.bytes_received, ==, sb.bytes_sent);
  g_assert_cmpuint (sb.rtp_received, ==, 2);
  g_assert_cmpuint (sb.rtcp_received, ==, 1);
  g_assert_cmpuint (sa.srtp_failed + sb.srtp_failed + sa.dropped_foreign + sb.dropped_foreign,
                    ==, 0);

  /* Back to plain RTP on both sides (a re-INVITE without crypto). */
  bell_rtp_socket_set_srtp (a->socket, NULL);
  bell_rtp_socket_set_srtp (b->socket, NULL);
  send_rtp_ok (a, pkt[0], len[0]);
  WAIT_FOR (b->packets->len == 4);
  assert_packet (packet_at (b, 3), FALSE, pkt[0], len[0]);
  g_assert_cmpuint (stats_of (b).bytes_received, ==, sb.bytes_received + 172);
}

/* Plain sockets stand for the peer, protecting with `peer` (keyed as B would be): what they send
 * can be tampered with, replayed, or come from a second address. */
static void
test_srtp_latching (gconstpointer data)
{
  const char *address = data;
  g_autoptr(Peer) a = NULL;
  g_autoptr(GSocket) r1 = NULL;
  g_autoptr(GSocket) r2 = NULL;
  g_autoptr(BellSrtpSession) peer = NULL;
  guint8 plain[4][64], wire[4][256], got[BELL_RTP_MAX_RECEIVE];
  gsize plain_len[4], wire_len[4], n;
  char *ka, *kb;

  if (skip_without (address))
    return;
  a = peer_new (address);
  r1 = raw_new (address, 0);
  r2 = raw_new (address, 0);
  ka = make_key ();
  kb = make_key ();
  bell_rtp_socket_set_srtp (a->socket, new_session (ka, kb));
  peer = new_session (kb, ka);
  bell_srtp_key_free (ka);
  bell_srtp_key_free (kb);
  bell_rtp_socket_set_remote (a->socket, address, raw_port (r1), 0, FALSE);

  for (int i = 0; i < 4; i++)
    {
      plain_len[i] = build_rtp (plain[i], 0, (guint16) (10 + i), 0xbbbb, 40);
      wire_len[i] = protect (peer, FALSE, plain[i], plain_len[i], wire[i], sizeof wire[i]);
    }

  /* Forged before any latch: a tampered packet and a plain one fail, and latch nothing. */
  wire[0][wire_len[0] - 1] ^= 0x01;
  raw_send (r1, address, peer_port (a), wire[0], wire_len[0]);
  raw_send (r1, address, peer_port (a), plain[0], plain_len[0]);
  WAIT_FOR (stats_of (a).srtp_failed == 2);
  g_assert_false (bell_rtp_socket_is_latched (a->socket, FALSE));

  /* The real thing latches. */
  raw_send (r1, address, peer_port (a), wire[1], wire_len[1]);
  WAIT_FOR (a->packets->len == 1);
  assert_packet (packet_at (a, 0), FALSE, plain[1], plain_len[1]);
  g_assert_true (bell_rtp_socket_is_latched (a->socket, FALSE));
  assert_destination (bell_rtp_socket_dup_destination (a->socket), address, raw_port (r1));

  /* What A sends is SRTP on the wire. */
  send_rtp_ok (a, plain[3], plain_len[3]);
  n = raw_receive (r1, got, sizeof got);
  g_assert_cmpuint (n, ==, plain_len[3] + 10);
  g_assert_true (memcmp (got + 12, plain[3] + 12, plain_len[3] - 12) != 0);
  g_assert_true (bell_srtp_unprotect (peer, got, &n, NULL));
  g_assert_cmpmem (got, n, plain[3], plain_len[3]);

  /* From the latched address: a replay and a forgery fail SRTP. */
  raw_send (r1, address, peer_port (a), wire[1], wire_len[1]);
  raw_send (r1, address, peer_port (a), wire[0], wire_len[0]);
  WAIT_FOR (stats_of (a).srtp_failed == 4);
  /* From elsewhere the same are foreign, and move nothing. */
  raw_send (r2, address, peer_port (a), wire[1], wire_len[1]);
  raw_send (r2, address, peer_port (a), wire[0], wire_len[0]);
  raw_send (r2, address, peer_port (a), plain[2], plain_len[2]);
  WAIT_FOR (stats_of (a).dropped_foreign == 3);
  assert_destination (bell_rtp_socket_dup_destination (a->socket), address, raw_port (r1));
  g_assert_cmpuint (a->packets->len, ==, 1);

  /* An authentic packet from a new address: the peer moved, and A follows. */
  raw_send (r2, address, peer_port (a), wire[2], wire_len[2]);
  WAIT_FOR (a->packets->len == 2);
  assert_packet (packet_at (a, 1), FALSE, plain[2], plain_len[2]);
  assert_destination (bell_rtp_socket_dup_destination (a->socket), address, raw_port (r2));
  send_rtp_ok (a, plain[0], plain_len[0]);
  n = raw_receive (r2, got, sizeof got);
  g_assert_true (bell_srtp_unprotect (peer, got, &n, NULL));
  g_assert_cmpmem (got, n, plain[0], plain_len[0]);
  raw_assert_nothing (r1);
  /* r1 is the SDP's own address, which may always take the latch back (bell-rtp-latch.h), but
   * only by authenticating: a plain packet from it fails SRTP and moves nothing. */
  raw_send (r1, address, peer_port (a), plain[2], plain_len[2]);
  WAIT_FOR (stats_of (a).srtp_failed == 5);
  assert_destination (bell_rtp_socket_dup_destination (a->socket), address, raw_port (r2));

  /* SRTCP on its own port latches and re-latches the same way. */
  {
    guint8 sr[64], srtcp[2][128];
    gsize sr_len = build_rtcp (sr, 0xbbbb, 9), srtcp_len[2];

    for (int i = 0; i < 2; i++)
      srtcp_len[i] = protect (peer, TRUE, sr, sr_len, srtcp[i], sizeof srtcp[i]);
    raw_send (r1, address, peer_port (a) + 1, srtcp[0], srtcp_len[0]);
    WAIT_FOR (a->packets->len == 3);
    assert_packet (packet_at (a, 2), TRUE, sr, sr_len);
    assert_destination (bell_rtp_socket_dup_rtcp_destination (a->socket), address,
                        raw_port (r1));
    raw_send (r2, address, peer_port (a) + 1, sr, sr_len);
    WAIT_FOR (stats_of (a).dropped_foreign == 4);
    raw_send (r2, address, peer_port (a) + 1, srtcp[1], srtcp_len[1]);
    WAIT_FOR (a->packets->len == 4);
    assert_destination (bell_rtp_socket_dup_rtcp_destination (a->socket), address,
                        raw_port (r2));
  }
  g_assert_cmpuint (stats_of (a).srtp_failed, ==, 5);
  g_assert_cmpuint (stats_of (a).dropped_malformed, ==, 0);
}

/* ---- threads ------------------------------------------------------------------------------ */

typedef struct
{
  Peer    *from;
  Peer    *to;
  gboolean rtcp;
} Sender;

/* Sends N_THREAD_PACKETS, never more than MAX_IN_FLIGHT ahead of what the receiver has had
 * (both threads' packets count), so that loopback never overflows the receive buffer. */
static gpointer
sender_thread (gpointer data)
{
  Sender *s = data;

  for (guint i = 0; i < N_THREAD_PACKETS; i++)
    {
      guint8 pkt[256];
      gsize len = s->rtcp ? build_rtcp (pkt, 0xaaaa, (guint8) i)
                          : build_rtp (pkt, 0, (guint16) i, 0xaaaa, 160);
      gint64 end = g_get_monotonic_time () + WAIT_US;
      BellRtpStats stats;

      for (;;)
        {
          bell_rtp_socket_get_stats (s->from->socket, &stats);
          if (stats.rtp_sent + stats.rtcp_sent <
              (guint64) g_atomic_int_get (&s->to->delivered) + MAX_IN_FLIGHT)
            break;
          g_assert_cmpint (g_get_monotonic_time (), <, end);
          g_usleep (100);
        }
      if (s->rtcp)
        send_rtcp_ok (s->from, pkt, len);
      else
        send_rtp_ok (s->from, pkt, len);
    }
  return NULL;
}

static void
test_threads_send (void)
{
  const char *address = "127.0.0.1";
  g_autoptr(Peer) a = peer_new (address);
  g_autoptr(Peer) b = peer_new (address);
  Sender rtp = { a, b, FALSE }, rtcp = { a, b, TRUE };
  GThread *threads[2];
  guint rtp_seen = 0, rtcp_seen = 0;

  connect_peers (a, b, address, FALSE);
  key_peers (a, b);
  threads[0] = g_thread_new ("rtp-sender", sender_thread, &rtp);
  threads[1] = g_thread_new ("rtcp-sender", sender_thread, &rtcp);
  /* Meanwhile this thread receives, and sends the other way. */
  for (guint i = 0; i < 50; i++)
    {
      guint8 pkt[64];
      gsize len = build_rtp (pkt, 0, (guint16) i, 0xbbbb, 20);

      send_rtp_ok (b, pkt, len);
      g_main_context_iteration (NULL, FALSE);
    }
  WAIT_FOR (b->packets->len == 2 * N_THREAD_PACKETS && a->packets->len == 50);
  g_thread_join (threads[0]);
  g_thread_join (threads[1]);

  /* Each thread's packets arrive intact, in the order it sent them. */
  for (guint i = 0; i < b->packets->len; i++)
    {
      Packet *p = packet_at (b, i);
      guint8 want[256];
      gsize want_len = p->rtcp ? build_rtcp (want, 0xaaaa, (guint8) rtcp_seen++)
                               : build_rtp (want, 0, (guint16) rtp_seen++, 0xaaaa, 160);

      assert_packet (p, p->rtcp, want, want_len);
    }
  g_assert_cmpuint (rtp_seen, ==, N_THREAD_PACKETS);
  g_assert_cmpuint (rtcp_seen, ==, N_THREAD_PACKETS);
  g_assert_cmpuint (stats_of (b).srtp_failed, ==, 0);
  g_assert_cmpuint (stats_of (a).srtp_failed, ==, 0);
}

typedef struct
{
  BellRtpSocket *socket;
  gint           sent;        /* atomic */
  gboolean       unref_at_end;
} Flood;

/* Sends until the socket is closed under it. */
static gpointer
flood_thread (gpointer data)
{
  Flood *f = data;
  guint8 pkt[64];
  gint64 end = g_get_monotonic_time () + WAIT_US;

  for (guint16 seq = 0;; seq++)
    {
      g_autoptr(GError) error = NULL;
      gsize len = build_rtp (pkt, 0, seq, 0xaaaa, 40);

      g_assert_cmpint (g_get_monotonic_time (), <, end);
      if (bell_rtp_socket_send_rtp (f->socket, pkt, len, &error))
        g_atomic_int_inc (&f->sent);
      else if (g_error_matches (error, BELL_RTP_SOCKET_ERROR, BELL_RTP_SOCKET_ERROR_CLOSED))
        break;
      else
        g_assert_true (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK));
      if (seq % 64 == 0)
        g_thread_yield ();
    }
  if (f->unref_at_end)
    bell_rtp_socket_unref (f->socket);
  return NULL;
}

/* close() on this thread while another thread sends: the sender stops with CLOSED, and both
 * ports are free again. Then the other way round: the last reference goes on the sender's
 * thread after this one dropped its own. */
static void
test_threads_close (void)
{
  const char *address = "127.0.0.1";
  g_autoptr(Peer) a = peer_new (address);
  g_autoptr(Peer) b = peer_new (address);
  Flood flood = { a->socket, 0, FALSE };
  GThread *thread;
  guint16 port = peer_port (a);

  connect_peers (a, b, address, FALSE);
  key_peers (a, b);
  thread = g_thread_new ("flood", flood_thread, &flood);
  WAIT_FOR (g_atomic_int_get (&flood.sent) >= 200 && b->packets->len > 0);
  bell_rtp_socket_close (a->socket);
  g_thread_join (thread);
  g_assert_cmpuint (stats_of (a).rtp_sent, ==, (guint) g_atomic_int_get (&flood.sent));
  g_assert_true (port_is_free (address, port));
  g_assert_true (port_is_free (address, port + 1));

  {
    g_autoptr(GError) error = NULL;
    BellRtpSocket *c = bell_rtp_socket_new (address, G_SOCKET_FAMILY_IPV4, NULL, &error);
    Flood owner = { bell_rtp_socket_ref (c), 0, TRUE };

    g_assert_no_error (error);
    port = bell_rtp_socket_get_port (c);
    bell_rtp_socket_set_remote (c, address, peer_port (b), 0, FALSE);
    thread = g_thread_new ("owner", flood_thread, &owner);
    WAIT_FOR (g_atomic_int_get (&owner.sent) >= 100);
    bell_rtp_socket_unref (c);        /* not the last: sending goes on */
    g_atomic_int_set (&owner.sent, 0);
    WAIT_FOR (g_atomic_int_get (&owner.sent) >= 100);
    bell_rtp_socket_close (c);        /* through the thread's reference */
    g_thread_join (thread);
    g_assert_true (port_is_free (address, port));
  }
}

/* ---- lifetime ----------------------------------------------------------------------------- */

static void
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
}

static void
on_receive_unexpected (BellRtpSocket *socket, const guint8 *data, gsize len, gboolean rtcp,
                       gpointer user_data)
{
  g_assert_not_reached ();
}

static void
test_unref_closes (void)
{
  gboolean destroyed = FALSE, replaced = FALSE;
  g_autoptr(GError) error = NULL;
  BellRtpSocket *s = bell_rtp_socket_new ("127.0.0.1", G_SOCKET_FAMILY_IPV4, NULL, &error);
  BellRtpSocket *extra;
  guint16 port;

  g_assert_no_error (error);
  port = bell_rtp_socket_get_port (s);
  bell_rtp_socket_set_receive_func (s, on_receive_unexpected, &replaced, set_flag);
  bell_rtp_socket_set_receive_func (s, on_receive_unexpected, &destroyed, set_flag);
  g_assert_true (replaced);
  g_assert_false (destroyed);
  bell_rtp_socket_set_srtp (s, NULL);

  extra = bell_rtp_socket_ref (s);
  g_assert_true (extra == s);
  bell_rtp_socket_unref (s);
  g_assert_false (port_is_free ("127.0.0.1", port));
  g_assert_false (destroyed);
  bell_rtp_socket_unref (extra);
  g_assert_true (destroyed);
  g_assert_true (port_is_free ("127.0.0.1", port));
  g_assert_true (port_is_free ("127.0.0.1", port + 1));
  drain ();
}

/* After close the socket still answers, and takes no new receive function or session. */
static void
test_after_close (void)
{
  g_autoptr(Peer) a = peer_new ("127.0.0.1");
  gboolean destroyed = FALSE;
  BellRtpStats stats;
  char *ka = make_key (), *kb = make_key ();

  bell_rtp_socket_close (a->socket);
  bell_rtp_socket_set_receive_func (a->socket, on_receive_unexpected, &destroyed, set_flag);
  g_assert_true (destroyed);
  bell_rtp_socket_set_srtp (a->socket, new_session (ka, kb));
  bell_rtp_socket_set_remote (a->socket, "127.0.0.1", 9, 0, FALSE);
  bell_rtp_socket_get_stats (a->socket, &stats);
  g_assert_cmpuint (stats.rtp_sent, ==, 0);
  g_assert_cmpuint (bell_rtp_socket_get_port (a->socket) % 2, ==, 0);
  bell_srtp_key_free (ka);
  bell_srtp_key_free (kb);
  drain ();
}

typedef struct
{
  guint calls;
} Closer;

/* Drops the last reference from inside the receive function. */
static void
on_receive_unref (BellRtpSocket *socket, const guint8 *data, gsize len, gboolean rtcp,
                  gpointer user_data)
{
  Closer *closer = user_data;

  closer->calls++;
  bell_rtp_socket_unref (socket);
}

static void
test_unref_in_callback (void)
{
  g_autoptr(Peer) a = peer_new ("127.0.0.1");
  g_autoptr(GError) error = NULL;
  BellRtpSocket *b = bell_rtp_socket_new ("127.0.0.1", G_SOCKET_FAMILY_IPV4, NULL, &error);
  Closer closer = { 0 };
  guint16 port;
  guint8 pkt[64];
  gsize len = build_rtp (pkt, 0, 1, 0xaaaa, 20);

  g_assert_no_error (error);
  port = bell_rtp_socket_get_port (b);
  bell_rtp_socket_set_receive_func (b, on_receive_unref, &closer, NULL);
  bell_rtp_socket_set_remote (a->socket, "127.0.0.1", port, 0, FALSE);
  /* Several queued: the first call frees the socket, the rest are never read. */
  for (int i = 0; i < 5; i++)
    send_rtp_ok (a, pkt, len);
  WAIT_FOR (closer.calls == 1);
  drain ();
  g_assert_cmpuint (closer.calls, ==, 1);
  g_assert_true (port_is_free ("127.0.0.1", port));
}

/* ---- test loss ---------------------------------------------------------------------------- */

#define N_LOSS_PACKETS 400

/* The test loss both ways: a loses bursts of what it sends, b randomly of what it receives. The
 * packets that arrive are exactly those the two models, replayed from the same seeds, let
 * through (so a run drops the same ones as the next); the stats count each drop on its side;
 * RTCP always goes. */
static void
test_loss (gconstpointer data)
{
  const char *address = data;
  const BellRtpTestLoss send = { .send = 0.3, .send_burst = 3, .seed = 9 };
  const BellRtpTestLoss receive = { .receive = 0.2, .receive_burst = 1, .seed = 4 };
  g_autoptr(BellLossModel) send_model = bell_loss_model_new (0.3, 3, 9);
  g_autoptr(BellLossModel) receive_model = bell_loss_model_new (0.2, 1, 4 + 1);
  g_autoptr(GArray) expected = g_array_new (FALSE, FALSE, sizeof (guint16));
  g_autoptr(Peer) a = NULL;
  g_autoptr(Peer) b = NULL;
  guint send_dropped = 0, receive_dropped = 0;
  BellRtpTestLoss got;
  BellRtpStats sa, sb;
  guint8 pkt[200];
  gsize len;

  if (skip_without (address))
    return;
  a = peer_new (address);
  b = peer_new (address);
  connect_peers (a, b, address, FALSE);
  bell_rtp_socket_get_test_loss (a->socket, &got);
  g_assert_cmpfloat (got.send, ==, 0);
  g_assert_cmpfloat (got.receive, ==, 0);
  bell_rtp_socket_set_test_loss (a->socket, &send);
  bell_rtp_socket_set_test_loss (b->socket, &receive);
  bell_rtp_socket_get_test_loss (a->socket, &got);
  g_assert_cmpmem (&got, sizeof got, &send, sizeof send);

  for (guint16 seq = 0; seq < N_LOSS_PACKETS; seq++)
    {
      if (bell_loss_model_drop (send_model))
        send_dropped++;
      else if (bell_loss_model_drop (receive_model))
        receive_dropped++;
      else
        g_array_append_val (expected, seq);
    }
  /* A tenth of the packets at a time: loopback's queue is not a test subject. */
  for (guint16 seq = 0; seq < N_LOSS_PACKETS; seq++)
    {
      len = build_rtp (pkt, 0, seq, 0x1234, 160);
      send_rtp_ok (a, pkt, len);
      if (seq % 40 == 39)
        drain ();
    }
  len = build_rtcp (pkt, 0x1234, 0x5a);
  send_rtcp_ok (a, pkt, len);
  WAIT_FOR (b->packets->len == expected->len + 1);
  drain ();
  g_assert_cmpuint (b->packets->len, ==, expected->len + 1);

  for (guint i = 0, rtp = 0; i < b->packets->len; i++)
    {
      Packet *p = packet_at (b, i);

      if (p->rtcp)
        continue;
      g_assert_cmpuint (rtp, <, expected->len);
      g_assert_cmpuint ((guint) (p->data[2] << 8 | p->data[3]), ==,
                        g_array_index (expected, guint16, rtp));
      rtp++;
    }
  sa = stats_of (a);
  sb = stats_of (b);
  g_assert_cmpuint (sa.dropped_test, ==, send_dropped);
  g_assert_cmpuint (sa.rtp_sent, ==, N_LOSS_PACKETS - send_dropped);
  g_assert_cmpuint (sa.rtcp_sent, ==, 1);
  g_assert_cmpuint (sa.dropped_test_received, ==, 0);
  g_assert_cmpuint (sb.dropped_test_received, ==, receive_dropped);
  g_assert_cmpuint (sb.rtp_received, ==, expected->len);
  g_assert_cmpuint (sb.rtcp_received, ==, 1);
  g_assert_cmpuint (sb.dropped_test, ==, 0);
  /* Roughly what was asked, too (400 packets: loose). */
  g_assert_cmpuint (send_dropped, >, 60);
  g_assert_cmpuint (send_dropped, <, 180);
  g_assert_cmpuint (receive_dropped, >, 25);
  g_assert_cmpuint (receive_dropped, <, 90);

  /* set_loss is random send loss; the receive side stays. */
  bell_rtp_socket_set_loss (b->socket, 0.5, 3);
  bell_rtp_socket_get_test_loss (b->socket, &got);
  g_assert_cmpfloat (got.send, ==, 0.5);
  g_assert_cmpfloat (got.send_burst, ==, 1);
  g_assert_cmpfloat (got.receive, ==, 0.2);
  g_assert_cmpuint (got.seed, ==, 3);
}

/* ---- main --------------------------------------------------------------------------------- */

static void
add_both (const char *name, GTestDataFunc func)
{
  static const char *addresses[] = { "127.0.0.1", "::1" };
  static const char *families[] = { "ipv4", "ipv6" };

  for (guint i = 0; i < G_N_ELEMENTS (addresses); i++)
    {
      g_autofree char *path = g_strdup_printf ("/rtp-socket/%s/%s", families[i], name);

      g_test_add_data_func (path, addresses[i], func);
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add_both ("bind", test_bind);
  g_test_add_func ("/rtp-socket/bind/any", test_bind_any);
  g_test_add_func ("/rtp-socket/bind/errors", test_bind_errors);
  add_both ("exchange", test_exchange);
  add_both ("rtcp", test_rtcp);
  add_both ("rtcp-mux", test_rtcp_mux);
  add_both ("latching", test_latching);
  add_both ("foreign", test_foreign);
  add_both ("malformed", test_malformed);
  add_both ("send-errors", test_send_errors);
  add_both ("test-loss", test_loss);
  g_test_add_data_func ("/rtp-socket/srtp/round-trip", GINT_TO_POINTER (FALSE),
                        test_srtp_round_trip);
  g_test_add_data_func ("/rtp-socket/srtp/round-trip-mux", GINT_TO_POINTER (TRUE),
                        test_srtp_round_trip);
  add_both ("srtp-latching", test_srtp_latching);
  g_test_add_func ("/rtp-socket/threads/send", test_threads_send);
  g_test_add_func ("/rtp-socket/threads/close-while-sending", test_threads_close);
  g_test_add_func ("/rtp-socket/life/unref-closes", test_unref_closes);
  g_test_add_func ("/rtp-socket/life/after-close", test_after_close);
  g_test_add_func ("/rtp-socket/life/unref-in-callback", test_unref_in_callback);

  return g_test_run ();
}
