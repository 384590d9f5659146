/* test-sip-transport.c: the transport layer over loopback UDP and TCP, against itself and
 * against raw sockets that misbehave. */
#include <gio/gio.h>
#include <string.h>
#include <sys/socket.h>
#include <glib/gstdio.h>

#include <libsoup/soup.h>

#include "bell-sip-transport.h"

#define TIMEOUT_MS 5000

typedef struct
{
  BellClock        *clock;
  BellSipTransport *a;
  BellSipTransport *b;
  GPtrArray        *got_a;     /* BellSipMsg received by a */
  GPtrArray        *got_b;
  GPtrArray        *flows_b;   /* the flow of each message b got */
  GPtrArray        *failed_a;  /* GError copies from a's flow-failed */
} Fixture;

static void
on_message (BellSipTransport *t, BellSipMsg *msg, BellSipFlow *flow, gpointer user_data)
{
  Fixture *f = user_data;

  if (t == f->a)
    g_ptr_array_add (f->got_a, bell_sip_msg_ref (msg));
  else
    {
      g_ptr_array_add (f->got_b, bell_sip_msg_ref (msg));
      g_ptr_array_add (f->flows_b, bell_sip_flow_ref (flow));
    }
}

static void
on_flow_failed (BellSipTransport *t, BellSipFlow *flow, GError *error, gpointer user_data)
{
  Fixture *f = user_data;

  if (t == f->a)
    g_ptr_array_add (f->failed_a, g_error_copy (error));
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  gboolean virtual_clock = GPOINTER_TO_INT (data);

  f->clock = virtual_clock ? bell_clock_new_virtual () : NULL;
  f->a = bell_sip_transport_new (f->clock);
  f->b = bell_sip_transport_new (f->clock);
  f->got_a = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_sip_msg_unref);
  f->got_b = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_sip_msg_unref);
  f->flows_b = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_sip_flow_unref);
  f->failed_a = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  g_signal_connect (f->a, "message", G_CALLBACK (on_message), f);
  g_signal_connect (f->b, "message", G_CALLBACK (on_message), f);
  g_signal_connect (f->a, "flow-failed", G_CALLBACK (on_flow_failed), f);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->a);
  g_clear_object (&f->b);
  /* Let the connection reapers run. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_ptr_array_unref (f->got_a);
  g_ptr_array_unref (f->got_b);
  g_ptr_array_unref (f->flows_b);
  g_ptr_array_unref (f->failed_a);
  g_clear_pointer (&f->clock, bell_clock_unref);
}

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until *count reaches want (or the condition function says so). */
static void
wait_for_count (GPtrArray *array, guint want)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (TIMEOUT_MS, on_timeout, &timed_out);

  while (array->len < want && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  g_assert_cmpuint (array->len, >=, want);
}

static void
spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, on_timeout, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static BellSipMsg *
make_options (const char *ruri, const char *call_id, gsize padding)
{
  g_autoptr(GError) error = NULL;
  BellSipMsg *msg = bell_sip_msg_new_request (BELL_SIP_METHOD_OPTIONS, NULL, ruri, &error);

  g_assert_no_error (error);
  g_assert_true (bell_sip_msg_add_header (msg, "From", "<sip:alice@127.0.0.1>;tag=a1", NULL));
  g_assert_true (bell_sip_msg_add_header (msg, "To", "<sip:bob@127.0.0.1>", NULL));
  g_assert_true (bell_sip_msg_add_header (msg, "Call-ID", call_id, NULL));
  g_assert_true (bell_sip_msg_add_header (msg, "CSeq", "1 OPTIONS", NULL));
  g_assert_true (bell_sip_msg_add_header (msg, "Max-Forwards", "70", NULL));
  if (padding)
    {
      g_autofree char *text = g_strnfill (padding, 'x');
      bell_sip_msg_set_body (msg, "text/plain", text, padding);
    }
  return msg;
}

static GInetSocketAddress *
loopback (const char *ip, guint16 port)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (ip);
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (inet, port));
}

typedef struct
{
  gboolean     done;
  BellSipFlow *flow;
  GError      *error;
} SendResult;

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SendResult *r = user_data;

  r->flow = bell_sip_transport_send_request_finish (BELL_SIP_TRANSPORT (source), result,
                                                    &r->error);
  r->done = TRUE;
}

/* Sends and waits for the send to finish; returns the flow (or NULL and sets *error). */
static BellSipFlow *
send_request (BellSipTransport *t, BellSipMsg *msg, BellSipTransportKind kind,
              GInetSocketAddress *to, GError **error)
{
  SendResult r = { FALSE, NULL, NULL };
  BellSipTarget target = { kind, to, "127.0.0.1", NULL };
  g_autofree char *branch = g_strdup_printf ("z9hG4bK%08x", g_random_int ());
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (TIMEOUT_MS, on_timeout, &timed_out);

  bell_sip_transport_send_request_async (t, msg, &target, branch, NULL, on_sent, &r);
  while (!r.done && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (r.done);
  g_source_remove (id);
  if (r.error)
    g_propagate_error (error, r.error);
  return r.flow;
}

static void
test_udp_exchange (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) request = make_options ("sip:bob@127.0.0.1", "udp-1@test", 0);
  g_autoptr(BellSipMsg) response = NULL;
  g_autoptr(BellSipFlow) flow = NULL;
  g_autoptr(GInetSocketAddress) to_b = NULL;
  const BellSipVia *via;
  guint16 port_a;

  g_assert_true (bell_sip_transport_listen (f->a, BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, &error));
  g_assert_true (bell_sip_transport_listen (f->b, BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, &error));
  port_a = bell_sip_transport_get_port (f->a, BELL_SIP_TRANSPORT_UDP, G_SOCKET_FAMILY_IPV4);
  g_assert_cmpuint (port_a, >, 0);
  to_b = loopback ("127.0.0.1", bell_sip_transport_get_port (f->b, BELL_SIP_TRANSPORT_UDP,
                                                             G_SOCKET_FAMILY_IPV4));

  flow = send_request (f->a, request, BELL_SIP_TRANSPORT_UDP, to_b, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bell_sip_flow_get_kind (flow), ==, BELL_SIP_TRANSPORT_UDP);
  wait_for_count (f->got_b, 1);

  /* b saw our Via, completed with where it really came from (RFC 3581). */
  via = bell_sip_msg_get_via (f->got_b->pdata[0]);
  g_assert_true (bell_str_equal_cstr (via->transport, "UDP"));
  g_assert_true (bell_str_equal_cstr (via->host, "127.0.0.1"));
  g_assert_cmpuint (via->port, ==, port_a);
  g_assert_true (via->has_rport);
  g_assert_cmpuint (via->rport, ==, port_a);
  g_assert_true (bell_str_equal_cstr (via->received, "127.0.0.1"));
  g_assert_true (bell_sip_via_has_rfc3261_branch (via));

  response = bell_sip_msg_new_response_to (f->got_b->pdata[0], 200, NULL, "b1");
  g_assert_true (bell_sip_transport_send_response (f->b, response, f->flows_b->pdata[0], &error));
  g_assert_no_error (error);
  wait_for_count (f->got_a, 1);
  g_assert_cmpuint (bell_sip_msg_get_status (f->got_a->pdata[0]), ==, 200);
  /* a learnt how b sees it. */
  g_assert_nonnull (bell_sip_flow_get_public (flow));
  g_assert_cmpuint (g_inet_socket_address_get_port (bell_sip_flow_get_public (flow)), ==, port_a);
}

static void
test_tcp_exchange_and_reuse (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) r1 = make_options ("sip:bob@127.0.0.1", "tcp-1@test", 0);
  g_autoptr(BellSipMsg) r2 = make_options ("sip:bob@127.0.0.1", "tcp-2@test", 0);
  g_autoptr(BellSipMsg) response = NULL;
  g_autoptr(BellSipFlow) f1 = NULL;
  g_autoptr(BellSipFlow) f2 = NULL;
  g_autoptr(GInetSocketAddress) to_b = NULL;

  g_assert_true (bell_sip_transport_listen (f->b, BELL_SIP_TRANSPORT_TCP, "127.0.0.1", 0, &error));
  to_b = loopback ("127.0.0.1", bell_sip_transport_get_port (f->b, BELL_SIP_TRANSPORT_TCP,
                                                             G_SOCKET_FAMILY_IPV4));
  f1 = send_request (f->a, r1, BELL_SIP_TRANSPORT_TCP, to_b, &error);
  g_assert_no_error (error);
  f2 = send_request (f->a, r2, BELL_SIP_TRANSPORT_TCP, to_b, &error);
  g_assert_no_error (error);
  /* §18.1.1: the second request reuses the connection. */
  g_assert_true (f1 == f2);
  g_assert_true (bell_sip_flow_is_open (f1));
  wait_for_count (f->got_b, 2);
  g_assert_true (f->flows_b->pdata[0] == f->flows_b->pdata[1]);
  g_assert_cmpint (bell_sip_flow_get_kind (f->flows_b->pdata[0]), ==, BELL_SIP_TRANSPORT_TCP);
  g_assert_true (bell_str_equal_cstr (bell_sip_msg_get_via (f->got_b->pdata[0])->transport, "TCP"));

  response = bell_sip_msg_new_response_to (f->got_b->pdata[1], 200, NULL, "b1");
  g_assert_true (bell_sip_transport_send_response (f->b, response, f->flows_b->pdata[1], &error));
  wait_for_count (f->got_a, 1);
  g_assert_true (bell_str_equal_cstr (bell_sip_msg_get_call_id (f->got_a->pdata[0]), "tcp-2@test"));
}

/* §18.1.1: a request over 1300 bytes for UDP goes over TCP, with a TCP Via. */
static void
test_large_request_uses_tcp (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) request = make_options ("sip:bob@127.0.0.1", "big-1@test", 2000);
  g_autoptr(BellSipFlow) flow = NULL;
  g_autoptr(GInetSocketAddress) to_b = NULL;
  guint16 port;

  g_assert_true (bell_sip_transport_listen (f->a, BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, &error));
  /* The same number for UDP and TCP: retry while another process holds the TCP one. */
  for (int attempt = 0; attempt < 20; attempt++)
    {
      g_clear_error (&error);
      g_assert_true (bell_sip_transport_listen (f->b, BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, &error));
      port = bell_sip_transport_get_port (f->b, BELL_SIP_TRANSPORT_UDP, G_SOCKET_FAMILY_IPV4);
      if (bell_sip_transport_listen (f->b, BELL_SIP_TRANSPORT_TCP, "127.0.0.1", port, &error))
        break;
    }
  g_assert_no_error (error);
  to_b = loopback ("127.0.0.1", port);

  flow = send_request (f->a, request, BELL_SIP_TRANSPORT_UDP, to_b, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bell_sip_flow_get_kind (flow), ==, BELL_SIP_TRANSPORT_TCP);
  wait_for_count (f->got_b, 1);
  g_assert_cmpint (bell_sip_flow_get_kind (f->flows_b->pdata[0]), ==, BELL_SIP_TRANSPORT_TCP);
  g_assert_true (bell_str_equal_cstr (bell_sip_msg_get_via (f->got_b->pdata[0])->transport, "TCP"));
  g_assert_cmpuint (bell_sip_msg_count (f->got_b->pdata[0], BELL_SIP_HDR_VIA), ==, 1);
}

/* ... and when the peer has no TCP, over UDP after all. */
static void
test_large_request_falls_back_to_udp (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) request = make_options ("sip:bob@127.0.0.1", "big-2@test", 2000);
  g_autoptr(BellSipFlow) flow = NULL;
  g_autoptr(GInetSocketAddress) to_b = NULL;

  g_assert_true (bell_sip_transport_listen (f->a, BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, &error));
  g_assert_true (bell_sip_transport_listen (f->b, BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, &error));
  to_b = loopback ("127.0.0.1", bell_sip_transport_get_port (f->b, BELL_SIP_TRANSPORT_UDP,
                                                             G_SOCKET_FAMILY_IPV4));
  flow = send_request (f->a, request, BELL_SIP_TRANSPORT_UDP, to_b, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bell_sip_flow_get_kind (flow), ==, BELL_SIP_TRANSPORT_UDP);
  wait_for_count (f->got_b, 1);
  g_assert_true (bell_str_equal_cstr (bell_sip_msg_get_via (f->got_b->pdata[0])->transport, "UDP"));
  g_assert_cmpuint (bell_sip_msg_count (f->got_b->pdata[0], BELL_SIP_HDR_VIA), ==, 1);
}

static GSocket *
raw_udp (void)
{
  g_autoptr(GSocketAddress) any = G_SOCKET_ADDRESS (loopback ("127.0.0.1", 0));
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, 0, NULL);

  g_assert_true (g_socket_bind (s, any, FALSE, NULL));
  g_socket_set_timeout (s, 5);
  return s;
}

/* A request that does not parse is answered 400 with the reason; garbage is dropped; the
 * transport keeps serving. */
static void
test_malformed_udp (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) raw = raw_udp ();
  g_autoptr(GInetSocketAddress) to_b = NULL;
  g_autoptr(BellSipMsg) reply = NULL;
  const char *bad =
    "OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKbad1\r\n"
    "From: <sip:x@127.0.0.1>;tag=1\r\n"
    "To: <sip:bob@127.0.0.1>\r\n"
    "Call-ID: bad-1@test\r\n"
    "CSeq: 99999999999 OPTIONS\r\n"
    "Content-Length: 0\r\n\r\n";
  const char *version = "OPTIONS sip:bob@127.0.0.1 SIP/3.0\r\n"
                        "Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKbad2\r\n"
                        "From: <sip:x@127.0.0.1>;tag=1\r\nTo: <sip:bob@127.0.0.1>\r\n"
                        "Call-ID: bad-2@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
  char buf[4096];
  gssize n;
  BellSipTransportStats stats;
  BellStr warning;

  g_assert_true (bell_sip_transport_listen (f->b, BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, &error));
  to_b = loopback ("127.0.0.1", bell_sip_transport_get_port (f->b, BELL_SIP_TRANSPORT_UDP,
                                                             G_SOCKET_FAMILY_IPV4));
  g_assert_cmpint (g_socket_send_to (raw, G_SOCKET_ADDRESS (to_b), "\x01\x02garbage\r\n", 11,
                                     NULL, NULL), ==, 11);
  g_assert_cmpint (g_socket_send_to (raw, G_SOCKET_ADDRESS (to_b), bad, strlen (bad), NULL, NULL),
                   ==, (gssize) strlen (bad));
  spin (100);

  g_socket_set_blocking (raw, FALSE);
  n = g_socket_receive (raw, buf, sizeof buf, NULL, NULL);
  g_assert_cmpint (n, >, 0);
  reply = bell_sip_msg_parse (buf, (gsize) n, BELL_SIP_PARSE_DATAGRAM, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bell_sip_msg_get_status (reply), ==, 400);
  g_assert_true (bell_str_equal_cstr (bell_sip_msg_get_call_id (reply), "bad-1@test"));
  warning = bell_sip_msg_find (reply, BELL_SIP_HDR_WARNING)->value;
  g_assert_nonnull (g_strstr_len (warning.p, (gssize) warning.len, "line 6"));
  g_clear_pointer (&reply, bell_sip_msg_unref);

  g_assert_cmpint (g_socket_send_to (raw, G_SOCKET_ADDRESS (to_b), version, strlen (version), NULL,
                                     NULL), ==, (gssize) strlen (version));
  spin (100);
  n = g_socket_receive (raw, buf, sizeof buf, NULL, NULL);
  g_assert_cmpint (n, >, 0);
  reply = bell_sip_msg_parse (buf, (gsize) n, BELL_SIP_PARSE_DATAGRAM, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bell_sip_msg_get_status (reply), ==, 505);

  bell_sip_transport_get_stats (f->b, &stats);
  g_assert_cmpuint (stats.rejected_malformed, ==, 2);
  g_assert_cmpuint (stats.dropped_malformed, ==, 1);
  g_assert_cmpuint (f->got_b->len, ==, 0);

  /* Still serving. */
  {
    g_autoptr(BellSipMsg) ok = make_options ("sip:bob@127.0.0.1", "after@test", 0);
    g_autoptr(BellSipFlow) flow = NULL;
    g_assert_true (bell_sip_transport_listen (f->a, BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, &error));
    flow = send_request (f->a, ok, BELL_SIP_TRANSPORT_UDP, to_b, &error);
    g_assert_no_error (error);
    wait_for_count (f->got_b, 1);
  }
}

static GSocket *
raw_tcp_connect (guint16 port)
{
  g_autoptr(GSocketAddress) to = G_SOCKET_ADDRESS (loopback ("127.0.0.1", port));
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);

  g_socket_set_timeout (s, 5);
  g_assert_true (g_socket_connect (s, to, NULL, NULL));
  return s;
}

/* Reads from a raw socket while the main loop runs (the transport is in this thread). */
static gssize
raw_read (GSocket *s, char *buf, gsize len)
{
  for (int i = 0; i < TIMEOUT_MS / 10; i++)
    {
      g_autoptr(GError) error = NULL;
      gssize n;

      g_socket_set_blocking (s, FALSE);
      n = g_socket_receive (s, buf, len, NULL, &error);
      if (n >= 0)
        return n;
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return -1;
      spin (10);
    }
  return -2;
}

/* A stream that cannot be framed (an endless header) is cut off; other peers go on. */
static void
test_tcp_oversize_and_garbage (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) hog = NULL;
  g_autoptr(GSocket) bad_cl = NULL;
  g_autoptr(GSocket) truncated = NULL;
  g_autoptr(GInetSocketAddress) to_b = NULL;
  g_autofree char *junk = g_strnfill (64 * 1024, 'A');
  BellSipTransportStats stats;
  guint16 port;
  char buf[256];
  gssize n = 0;

  g_assert_true (bell_sip_transport_listen (f->b, BELL_SIP_TRANSPORT_TCP, "127.0.0.1", 0, &error));
  port = bell_sip_transport_get_port (f->b, BELL_SIP_TRANSPORT_TCP, G_SOCKET_FAMILY_IPV4);
  to_b = loopback ("127.0.0.1", port);

  /* 1: a header that never ends: 512 KiB of one line. */
  hog = raw_tcp_connect (port);
  g_socket_send (hog, "OPTIONS sip:x@y SIP/2.0\r\nX-Long: ", 33, NULL, NULL);
  for (int i = 0; i < 8; i++)
    {
      if (g_socket_send (hog, junk, 64 * 1024, NULL, NULL) < 0)
        break;
      spin (5);
    }
  n = raw_read (hog, buf, sizeof buf);
  g_assert_cmpint (n, <=, 0);   /* closed by the transport (EOF or reset) */

  /* 2: a negative Content-Length. */
  bad_cl = raw_tcp_connect (port);
  {
    const char *m = "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nContent-Length: -5\r\n\r\n";
    g_socket_send (bad_cl, m, strlen (m), NULL, NULL);
  }
  n = raw_read (bad_cl, buf, sizeof buf);
  g_assert_cmpint (n, <=, 0);

  /* 3: half a message, then the peer closes. */
  truncated = raw_tcp_connect (port);
  g_socket_send (truncated, "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP", 48, NULL, NULL);
  spin (50);
  g_socket_close (truncated, NULL);
  spin (50);

  bell_sip_transport_get_stats (f->b, &stats);
  g_assert_cmpuint (stats.connections_closed_overflow, ==, 2);
  g_assert_cmpuint (f->got_b->len, ==, 0);

  /* Another peer is served as usual. */
  {
    g_autoptr(BellSipMsg) ok = make_options ("sip:bob@127.0.0.1", "after-tcp@test", 0);
    g_autoptr(BellSipFlow) flow = send_request (f->a, ok, BELL_SIP_TRANSPORT_TCP, to_b, &error);
    g_assert_no_error (error);
    wait_for_count (f->got_b, 1);
  }
}

/* A peer that connects and never reads what we send is cut off at the pending-bytes limit:
 * its own, or (total) the one of all connections together. */
static void
never_reads (Fixture *f, gboolean total)
{
  BellSipTransportConfig config = {
    .max_pending_bytes = total ? 16 * 1024 * 1024 : 64 * 1024,
    .max_pending_total = total ? 64 * 1024 : 0,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) lazy = NULL;
  g_autoptr(BellSipMsg) request = NULL;
  g_autoptr(GInetSocketAddress) to_b = NULL;
  BellSipTransportStats stats;
  gboolean failed = FALSE;
  guint16 port;
  g_autofree char *text = NULL;

  bell_sip_transport_configure (f->b, &config);
  g_assert_true (bell_sip_transport_listen (f->b, BELL_SIP_TRANSPORT_TCP, "127.0.0.1", 0, &error));
  port = bell_sip_transport_get_port (f->b, BELL_SIP_TRANSPORT_TCP, G_SOCKET_FAMILY_IPV4);
  to_b = loopback ("127.0.0.1", port);
  lazy = raw_tcp_connect (port);
  /* Make the kernel buffer small so the limit is reached soon. */
  g_socket_set_option (lazy, SOL_SOCKET, SO_RCVBUF, 4096, NULL);
  text = g_strdup_printf ("OPTIONS sip:bob@127.0.0.1 SIP/2.0\r\n"
                          "Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKlazy\r\n"
                          "From: <sip:x@127.0.0.1>;tag=1\r\nTo: <sip:bob@127.0.0.1>\r\n"
                          "Call-ID: lazy@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
  g_socket_send (lazy, text, strlen (text), NULL, NULL);
  wait_for_count (f->got_b, 1);

  request = bell_sip_msg_ref (f->got_b->pdata[0]);
  for (int i = 0; i < 4000 && !failed; i++)
    {
      g_autoptr(BellSipMsg) response = bell_sip_msg_new_response_to (request, 200, NULL, "z");
      g_autofree char *body = g_strnfill (16 * 1024, 'b');
      g_autoptr(GError) send_error = NULL;
      bell_sip_msg_set_body (response, "text/plain", body, strlen (body));
      failed = !bell_sip_transport_send_response (f->b, response, f->flows_b->pdata[0],
                                                  &send_error);
      g_main_context_iteration (NULL, FALSE);
    }
  g_assert_true (failed);
  bell_sip_transport_get_stats (f->b, &stats);
  g_assert_cmpuint (stats.connections_closed_slow, ==, 1);
  g_assert_false (bell_sip_flow_is_open (f->flows_b->pdata[0]));
}

static void
test_peer_never_reads (Fixture *f, gconstpointer data)
{
  never_reads (f, FALSE);
}

static void
test_peers_never_read_in_total (Fixture *f, gconstpointer data)
{
  never_reads (f, TRUE);
}

/* RFC 5626 §4.4.1: a CRLF-CRLF ping gets a CRLF pong; a missing pong fails the flow. */
static void
test_keepalive (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketListener) silent = g_socket_listener_new ();
  g_autoptr(GSocket) pinger = NULL;
  g_autoptr(BellSipMsg) r1 = make_options ("sip:bob@127.0.0.1", "ka-1@test", 0);
  g_autoptr(BellSipFlow) flow = NULL;
  g_autoptr(GInetSocketAddress) to_silent = NULL;
  g_autoptr(GSocketConnection) accepted = NULL;
  char buf[16];
  gssize n;
  guint16 port, silent_port;
  guint ka;

  g_assert_true (bell_sip_transport_listen (f->b, BELL_SIP_TRANSPORT_TCP, "127.0.0.1", 0, &error));
  port = bell_sip_transport_get_port (f->b, BELL_SIP_TRANSPORT_TCP, G_SOCKET_FAMILY_IPV4);

  /* b answers a raw client's ping. */
  pinger = raw_tcp_connect (port);
  g_socket_send (pinger, "\r\n\r\n", 4, NULL, NULL);
  n = raw_read (pinger, buf, sizeof buf);
  g_assert_cmpint (n, ==, 2);
  g_assert_cmpmem (buf, 2, "\r\n", 2);

  /* a pings a server that never answers: after the interval and 10 s, the flow fails. */
  silent_port = g_socket_listener_add_any_inet_port (silent, NULL, &error);
  g_assert_no_error (error);
  to_silent = loopback ("127.0.0.1", silent_port);
  flow = send_request (f->a, r1, BELL_SIP_TRANSPORT_TCP, to_silent, &error);
  g_assert_no_error (error);
  accepted = g_socket_listener_accept (silent, NULL, NULL, &error);
  g_assert_no_error (error);
  ka = bell_sip_transport_keepalive_start (f->a, flow, 30);
  g_assert_cmpuint (ka, >, 0);
  bell_clock_advance (f->clock, 30 * 1000);
  spin (50);
  n = g_socket_receive (g_socket_connection_get_socket (accepted), buf, sizeof buf, NULL, NULL);
  g_assert_cmpint (n, >=, 4);  /* the OPTIONS first, then the ping: read until the ping */
  g_assert_cmpuint (f->failed_a->len, ==, 0);
  bell_clock_advance (f->clock, 10 * 1000);
  g_assert_cmpuint (f->failed_a->len, ==, 1);
  g_assert_error ((GError *) f->failed_a->pdata[0], BELL_SIP_TRANSPORT_ERROR,
                  BELL_SIP_TRANSPORT_ERROR_TIMEOUT);
  g_assert_false (bell_sip_flow_is_open (flow));
  bell_sip_transport_keepalive_stop (f->a, ka);
}

/* Connections nobody uses close after the idle timeout; a keep-alive pins them. */
static void
test_idle_timeout (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) r1 = make_options ("sip:bob@127.0.0.1", "idle-1@test", 0);
  g_autoptr(BellSipFlow) flow = NULL;
  g_autoptr(GInetSocketAddress) to_b = NULL;

  g_assert_true (bell_sip_transport_listen (f->b, BELL_SIP_TRANSPORT_TCP, "127.0.0.1", 0, &error));
  to_b = loopback ("127.0.0.1", bell_sip_transport_get_port (f->b, BELL_SIP_TRANSPORT_TCP,
                                                             G_SOCKET_FAMILY_IPV4));
  flow = send_request (f->a, r1, BELL_SIP_TRANSPORT_TCP, to_b, &error);
  g_assert_no_error (error);
  wait_for_count (f->got_b, 1);
  bell_clock_advance (f->clock, 299 * 1000);
  g_assert_true (bell_sip_flow_is_open (flow));
  bell_clock_advance (f->clock, 2 * 1000);
  g_assert_false (bell_sip_flow_is_open (flow));
  g_assert_cmpuint (f->failed_a->len, ==, 0);  /* an idle close is not a failure */
}

/* A peer that connects and says nothing (half-open) is closed after the idle timeout. */
static void
test_half_open_peer (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) silent = NULL;
  char buf[16];
  guint16 port;

  g_assert_true (bell_sip_transport_listen (f->b, BELL_SIP_TRANSPORT_TCP, "127.0.0.1", 0, &error));
  port = bell_sip_transport_get_port (f->b, BELL_SIP_TRANSPORT_TCP, G_SOCKET_FAMILY_IPV4);
  silent = raw_tcp_connect (port);
  spin (50);   /* accepted */
  bell_clock_advance (f->clock, 299 * 1000);
  g_socket_set_blocking (silent, FALSE);
  g_assert_cmpint (g_socket_receive (silent, buf, sizeof buf, NULL, NULL), <, 0);  /* still open */
  bell_clock_advance (f->clock, 2 * 1000);
  g_assert_cmpint (raw_read (silent, buf, sizeof buf), ==, 0);   /* closed by b */
}

static void
test_connect_refused (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) r1 = make_options ("sip:bob@127.0.0.1", "refused@test", 0);
  g_autoptr(GSocketListener) l = g_socket_listener_new ();
  g_autoptr(GInetSocketAddress) to = NULL;
  g_autoptr(BellSipFlow) flow = NULL;
  guint16 port = g_socket_listener_add_any_inet_port (l, NULL, NULL);

  g_socket_listener_close (l);  /* a port nobody listens on */
  to = loopback ("127.0.0.1", port);
  flow = send_request (f->a, r1, BELL_SIP_TRANSPORT_TCP, to, &error);
  g_assert_null (flow);
  g_assert_error (error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_UNREACHABLE);
  g_assert_nonnull (strstr (error->message, "127.0.0.1"));
}

static void
test_ipv6_udp (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) request = make_options ("sip:bob@[::1]", "v6@test", 0);
  g_autoptr(GInetSocketAddress) to_b = NULL;
  g_autoptr(BellSipFlow) flow = NULL;
  const BellSipVia *via;

  if (!bell_sip_transport_listen (f->b, BELL_SIP_TRANSPORT_UDP, "::1", 0, &error))
    {
      g_test_skip ("no IPv6 loopback here");
      return;
    }
  g_assert_true (bell_sip_transport_listen (f->a, BELL_SIP_TRANSPORT_UDP, "::1", 0, &error));
  to_b = loopback ("::1", bell_sip_transport_get_port (f->b, BELL_SIP_TRANSPORT_UDP,
                                                       G_SOCKET_FAMILY_IPV6));
  flow = send_request (f->a, request, BELL_SIP_TRANSPORT_UDP, to_b, &error);
  g_assert_no_error (error);
  wait_for_count (f->got_b, 1);
  via = bell_sip_msg_get_via (f->got_b->pdata[0]);
  g_assert_true (bell_str_equal_cstr (via->host, "[::1]"));
  g_assert_cmpint (via->host_type, ==, BELL_HOST_IPV6);
}

static void
remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *file = g_build_filename (path, name, NULL);
      g_remove (file);
    }
  g_rmdir (path);
}

static gboolean
run_command (const char *cwd, const char *command)
{
  g_auto(GStrv) argv = NULL;
  int status = -1;

  if (!g_shell_parse_argv (command, NULL, &argv, NULL))
    return FALSE;
  return g_spawn_sync (cwd, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                       G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, NULL) &&
         g_spawn_check_wait_status (status, NULL);
}

/* TLS with an account's own CA (a target's tls_ca_file) while the transport's default is the
 * system store, which does not know our test CA. */
static void
test_tls_account_ca (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bellbird-tls-XXXXXX", NULL);
  g_autofree char *ca = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *cert = g_build_filename (dir, "srv.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "srv.key", NULL);
  g_autoptr(GInetSocketAddress) to_b = NULL;
  g_autoptr(BellSipMsg) r1 = make_options ("sips:bob@127.0.0.1", "tls-1@test", 0);
  g_autoptr(BellSipMsg) r2 = make_options ("sips:bob@127.0.0.1", "tls-2@test", 0);
  BellSipTransportConfig config = { 0 };
  BellSipTarget target = { BELL_SIP_TRANSPORT_TLS, NULL, "127.0.0.1", NULL, NULL };
  SendResult r = { FALSE, NULL, NULL };

  g_autofree char *openssl = g_find_program_in_path ("openssl");

  if (!openssl ||
      !run_command (dir, "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem "
                         "-days 2 -subj /CN=Bellbird-Test-CA") ||
      !run_command (dir, "openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr "
                         "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1") ||
      !run_command (dir, "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key "
                         "-CAcreateserial -out srv.pem -days 2 -copy_extensions copy"))
    {
      remove_dir (dir);
      g_test_skip ("the openssl command cannot make test certificates here");
      return;
    }
  config.tls_cert_file = cert;
  config.tls_key_file = key;
  bell_sip_transport_configure (f->b, &config);
  g_assert_true (bell_sip_transport_listen (f->b, BELL_SIP_TRANSPORT_TLS, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  to_b = loopback ("127.0.0.1", bell_sip_transport_get_port (f->b, BELL_SIP_TRANSPORT_TLS,
                                                             G_SOCKET_FAMILY_IPV4));
  target.address = to_b;

  /* Without the account's CA: refused, and the reason says why. */
  bell_sip_transport_send_request_async (f->a, r1, &target, "z9hG4bKtls1", NULL, on_sent, &r);
  while (!r.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (r.error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_TLS);
  g_assert_nonnull (strstr (r.error->message, "not trusted"));
  g_clear_error (&r.error);

  /* With it: verified, delivered. */
  r = (SendResult){ FALSE, NULL, NULL };
  target.tls_ca_file = ca;
  bell_sip_transport_send_request_async (f->a, r2, &target, "z9hG4bKtls2", NULL, on_sent, &r);
  while (!r.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (r.error);
  g_assert_cmpint (bell_sip_flow_get_kind (r.flow), ==, BELL_SIP_TRANSPORT_TLS);
  wait_for_count (f->got_b, 1);
  g_assert_true (bell_str_equal_cstr (bell_sip_msg_get_call_id (f->got_b->pdata[0]), "tls-2@test"));
  bell_sip_flow_unref (r.flow);
  remove_dir (dir);
}

/* A SIP-over-WebSocket server (RFC 7118) that answers every request 200 OK. */
static void
on_ws_server_message (SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer data)
{
  g_autoptr(BellSipMsg) request = bell_sip_msg_parse (g_bytes_get_data (message, NULL),
                                                      g_bytes_get_size (message),
                                                      BELL_SIP_PARSE_DATAGRAM, NULL);
  g_autoptr(BellSipMsg) response = NULL;
  g_autofree char *text = NULL;

  *(guint *) data += 1;
  if (!request || !bell_sip_msg_is_request (request))
    return;
  response = bell_sip_msg_new_response_to (request, 200, NULL, "ws1");
  text = bell_sip_msg_to_string (response, NULL);
  soup_websocket_connection_send_text (ws, text);
}

static void
on_ws_server_connected (SoupServer *server, SoupServerMessage *msg, const char *path,
                        SoupWebsocketConnection *ws, gpointer data)
{
  g_object_set_data_full (G_OBJECT (server), "ws", g_object_ref (ws), g_object_unref);
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_server_message), data);
}

static void
test_ws_exchange (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(BellSipMsg) request = make_options ("sip:127.0.0.1;transport=ws", "ws-1@test", 0);
  g_autoptr(GSList) uris = NULL;
  g_autofree char *url = NULL;
  const char *protocols[] = { "sip", NULL };
  SendResult r = { FALSE, NULL, NULL };
  BellSipTarget target = { BELL_SIP_TRANSPORT_WS, NULL, NULL, NULL };
  guint server_got = 0;
  const BellSipVia *via;

  soup_server_add_websocket_handler (server, "/sip", NULL, (char **) protocols,
                                     on_ws_server_connected, &server_got, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  uris = soup_server_get_uris (server);
  url = g_strdup_printf ("ws://127.0.0.1:%d/sip", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  target.url = url;

  bell_sip_transport_send_request_async (f->a, request, &target, "z9hG4bKws1", NULL, on_sent, &r);
  while (!r.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (r.error);
  g_assert_cmpint (bell_sip_flow_get_kind (r.flow), ==, BELL_SIP_TRANSPORT_WS);
  g_assert_true (bell_sip_flow_is_open (r.flow));
  wait_for_count (f->got_a, 1);
  g_assert_cmpuint (bell_sip_msg_get_status (f->got_a->pdata[0]), ==, 200);
  g_assert_cmpuint (server_got, ==, 1);
  /* RFC 7118 §5.2: the Via of a WebSocket client names a .invalid host. */
  via = bell_sip_msg_get_via (f->got_a->pdata[0]);
  g_assert_true (bell_str_equal_cstr (via->transport, "WS"));
  g_assert_true (via->host.len > 8 &&
                 memcmp (via->host.p + via->host.len - 8, ".invalid", 8) == 0);

  /* The other way: the server sends us a request over the same WebSocket, we answer on it. */
  {
    SoupWebsocketConnection *ws = g_object_get_data (G_OBJECT (server), "ws");
    g_autoptr(BellSipMsg) answer = NULL;
    const char *options =
      "OPTIONS sip:alice@df7jal23ls0d.invalid;transport=ws SIP/2.0\r\n"
      "Via: SIP/2.0/WS 127.0.0.1;branch=z9hG4bKfromserver\r\n"
      "From: <sip:server@127.0.0.1>;tag=s1\r\nTo: <sip:alice@127.0.0.1>\r\n"
      "Call-ID: ws-2@test\r\nCSeq: 7 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
    g_assert_nonnull (ws);
    soup_websocket_connection_send_text (ws, options);
    wait_for_count (f->got_a, 2);
    g_assert_true (bell_sip_msg_is_request (f->got_a->pdata[1]));
    answer = bell_sip_msg_new_response_to (f->got_a->pdata[1], 200, NULL, "c1");
    g_assert_true (bell_sip_transport_send_response (f->a, answer, r.flow, &error));
    g_assert_no_error (error);
    {
      gboolean timed_out = FALSE;
      guint id = g_timeout_add (TIMEOUT_MS, on_timeout, &timed_out);
      while (server_got < 2 && !timed_out)
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpuint (server_got, ==, 2);   /* our 200 reached the server */
      g_source_remove (id);
    }
  }
  bell_sip_flow_unref (r.flow);
  soup_server_disconnect (server);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn, virtual_clock) \
  g_test_add (path, Fixture, GINT_TO_POINTER (virtual_clock), fixture_setup, fn, fixture_teardown)
  ADD ("/sip/transport/udp-exchange", test_udp_exchange, FALSE);
  ADD ("/sip/transport/tcp-exchange-and-reuse", test_tcp_exchange_and_reuse, FALSE);
  ADD ("/sip/transport/large-request-uses-tcp", test_large_request_uses_tcp, FALSE);
  ADD ("/sip/transport/large-request-falls-back-to-udp", test_large_request_falls_back_to_udp, FALSE);
  ADD ("/sip/transport/malformed-udp", test_malformed_udp, FALSE);
  ADD ("/sip/transport/tcp-oversize-and-garbage", test_tcp_oversize_and_garbage, FALSE);
  ADD ("/sip/transport/peer-never-reads", test_peer_never_reads, FALSE);
  ADD ("/sip/transport/peers-never-read-in-total", test_peers_never_read_in_total, FALSE);
  ADD ("/sip/transport/keepalive", test_keepalive, TRUE);
  ADD ("/sip/transport/idle-timeout", test_idle_timeout, TRUE);
  ADD ("/sip/transport/half-open-peer", test_half_open_peer, TRUE);
  ADD ("/sip/transport/connect-refused", test_connect_refused, FALSE);
  ADD ("/sip/transport/ipv6-udp", test_ipv6_udp, FALSE);
  ADD ("/sip/transport/ws-exchange", test_ws_exchange, FALSE);
  ADD ("/sip/transport/tls-account-ca", test_tls_account_ca, FALSE);
#undef ADD

  return g_test_run ();
}
