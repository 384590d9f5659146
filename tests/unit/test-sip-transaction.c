/* test-sip-transaction.c: the transaction state machines on a virtual clock, against a raw
 * UDP/TCP peer on loopback that we script by hand. */
#include <gio/gio.h>
#include <string.h>

#include "bell-sip-transaction.h"
#include "virtual-time.h"

#define WAIT_MS 2000

typedef struct
{
  BellClock           *clock;
  BellSipTransport    *transport;
  BellSipTransactions *txns;
  GSocket             *peer;          /* raw UDP peer */
  GInetSocketAddress  *peer_addr;
  GInetSocketAddress  *our_udp;
  GPtrArray           *responses;     /* what the client user got */
  GPtrArray           *errors;
  gint64               error_at_ms;
  GPtrArray           *requests;      /* server transactions handed to the user */
  GPtrArray           *strays;
  guint                auto_status;   /* server user answers this (0: does not answer) */
} Fixture;

static GInetSocketAddress *
addr (const char *ip, guint16 port)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (ip);
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (inet, port));
}

static void
on_request (BellSipTransactions *txns, BellSipTransaction *txn, BellSipMsg *request, gpointer data)
{
  Fixture *f = data;

  g_ptr_array_add (f->requests, bell_sip_transaction_ref (txn));
  if (f->auto_status)
    bell_sip_transaction_respond_status (txn, f->auto_status, NULL, "srv1");
}

static void
on_stray (BellSipTransactions *txns, BellSipMsg *response, BellSipFlow *flow, gpointer data)
{
  Fixture *f = data;
  g_ptr_array_add (f->strays, bell_sip_msg_ref (response));
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocketAddress) any = G_SOCKET_ADDRESS (addr ("127.0.0.1", 0));

  f->clock = bell_clock_new_virtual ();
  f->transport = bell_sip_transport_new (f->clock);
  g_assert_true (bell_sip_transport_listen (f->transport, BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0,
                                            &error));
  f->our_udp = addr ("127.0.0.1", bell_sip_transport_get_port (f->transport,
                                                               BELL_SIP_TRANSPORT_UDP,
                                                               G_SOCKET_FAMILY_IPV4));
  f->txns = bell_sip_transactions_new (f->transport, f->clock);
  f->peer = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, 0, &error);
  g_assert_true (g_socket_bind (f->peer, any, FALSE, &error));
  g_socket_set_blocking (f->peer, FALSE);
  bound = g_socket_get_local_address (f->peer, NULL);
  f->peer_addr = G_INET_SOCKET_ADDRESS (g_object_ref (bound));
  f->responses = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_sip_msg_unref);
  f->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  f->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_sip_transaction_unref);
  f->strays = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_sip_msg_unref);
  f->error_at_ms = -1;
  g_signal_connect (f->txns, "request", G_CALLBACK (on_request), f);
  g_signal_connect (f->txns, "stray-response", G_CALLBACK (on_stray), f);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_ptr_array_unref (f->requests);
  g_clear_object (&f->txns);
  g_clear_object (&f->transport);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_ptr_array_unref (f->responses);
  g_ptr_array_unref (f->errors);
  g_ptr_array_unref (f->strays);
  g_clear_object (&f->peer);
  g_clear_object (&f->peer_addr);
  g_clear_object (&f->our_udp);
  bell_clock_unref (f->clock);
}

#define settle() vt_settle ()

/* All datagrams the peer has received so far, parsed. */
static GPtrArray *
peer_drain (Fixture *f)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_sip_msg_unref);
  char buf[8192];
  gssize n;

  settle ();
  while ((n = g_socket_receive (f->peer, buf, sizeof buf, NULL, NULL)) > 0)
    {
      g_autoptr(GError) error = NULL;
      BellSipMsg *msg = bell_sip_msg_parse (buf, (gsize) n, BELL_SIP_PARSE_DATAGRAM, &error);
      g_assert_no_error (error);
      g_ptr_array_add (out, msg);
    }
  return out;
}

static void
peer_send (Fixture *f, BellSipMsg *msg)
{
  g_autoptr(GBytes) bytes = bell_sip_msg_to_bytes (msg);

  g_assert_cmpint (g_socket_send_to (f->peer, G_SOCKET_ADDRESS (f->our_udp),
                                     g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                     NULL, NULL), ==, (gssize) g_bytes_get_size (bytes));
  settle ();
}

static void
on_response (BellSipTransaction *txn, BellSipMsg *response, const GError *error, gpointer data)
{
  Fixture *f = data;

  if (response)
    g_ptr_array_add (f->responses, bell_sip_msg_ref (response));
  else
    {
      g_ptr_array_add (f->errors, g_error_copy (error));
      f->error_at_ms = bell_clock_now (f->clock) / 1000;
    }
}

static BellSipMsg *
make_request (BellSipMethod method, const char *call_id)
{
  BellSipMsg *msg = bell_sip_msg_new_request (method, NULL, "sip:peer@127.0.0.1", NULL);

  bell_sip_msg_add_header (msg, "From", "<sip:us@127.0.0.1>;tag=us1", NULL);
  bell_sip_msg_add_header (msg, "To", "<sip:peer@127.0.0.1>", NULL);
  bell_sip_msg_add_header (msg, "Call-ID", call_id, NULL);
  bell_sip_msg_add_headerf (msg, "CSeq", NULL, "1 %s", bell_sip_method_to_string (method));
  bell_sip_msg_add_header (msg, "Max-Forwards", "70", NULL);
  return msg;
}

static BellSipTransaction *
start_client (Fixture *f, BellSipMsg *request, BellSipTransportKind kind, GInetSocketAddress *to)
{
  g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_sip_target_free);
  BellSipTarget target = { kind, to, "127.0.0.1", NULL };

  g_ptr_array_add (targets, bell_sip_target_copy (&target));
  return bell_sip_transactions_send (f->txns, request, targets, on_response, f, NULL);
}

/* Advances the virtual clock timer by timer and notes when the peer got a copy. */
static GArray *
retransmission_times (Fixture *f, gint64 until_ms)
{
  GArray *times = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 due;

  while ((due = bell_clock_next_due (f->clock)) >= 0 &&
         bell_clock_now (f->clock) / 1000 + due <= until_ms)
    {
      g_autoptr(GPtrArray) got = NULL;
      bell_clock_advance (f->clock, (guint) due);
      got = peer_drain (f);
      for (guint i = 0; i < got->len; i++)
        {
          gint64 now = bell_clock_now (f->clock) / 1000;
          g_array_append_val (times, now);
        }
    }
  return times;
}

static void
assert_times (GArray *times, const gint64 *expected, guint n)
{
  g_assert_cmpuint (times->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpint (g_array_index (times, gint64, i), ==, expected[i]);
}

/* §17.1.1.2: INVITE over UDP is retransmitted at 0.5, 1, 2, 4 ... s; Timer B ends it at 32 s. */
static void
test_invite_client_udp (Fixture *f, gconstpointer data)
{
  g_autoptr(BellSipMsg) invite = make_request (BELL_SIP_METHOD_INVITE, "inv-udp@test");
  g_autoptr(BellSipTransaction) txn = start_client (f, invite, BELL_SIP_TRANSPORT_UDP, f->peer_addr);
  g_autoptr(GPtrArray) first = peer_drain (f);
  g_autoptr(GArray) times = NULL;
  static const gint64 expected[] = { 500, 1500, 3500, 7500, 15500, 31500 };

  g_assert_cmpuint (first->len, ==, 1);
  g_assert_cmpint (bell_sip_transaction_get_state (txn), ==, BELL_SIP_TXN_CALLING);
  times = retransmission_times (f, 40000);
  assert_times (times, expected, G_N_ELEMENTS (expected));
  g_assert_cmpuint (f->errors->len, ==, 1);
  g_assert_error ((GError *) f->errors->pdata[0], BELL_SIP_TXN_ERROR, BELL_SIP_TXN_ERROR_TIMEOUT);
  g_assert_cmpint (f->error_at_ms, ==, 32000);
  g_assert_cmpint (bell_sip_transaction_get_state (txn), ==, BELL_SIP_TXN_TERMINATED);
  g_assert_cmpuint (bell_sip_transactions_get_count (f->txns), ==, 0);
}

/* §17.1.2.2: non-INVITE back-off is capped at T2 = 4 s; Timer F at 32 s. */
static void
test_non_invite_client_udp (Fixture *f, gconstpointer data)
{
  g_autoptr(BellSipMsg) options = make_request (BELL_SIP_METHOD_OPTIONS, "opt-udp@test");
  g_autoptr(BellSipTransaction) txn = start_client (f, options, BELL_SIP_TRANSPORT_UDP, f->peer_addr);
  g_autoptr(GPtrArray) first = peer_drain (f);
  g_autoptr(GArray) times = NULL;
  static const gint64 expected[] = { 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500 };

  g_assert_cmpuint (first->len, ==, 1);
  times = retransmission_times (f, 40000);
  assert_times (times, expected, G_N_ELEMENTS (expected));
  g_assert_cmpint (f->error_at_ms, ==, 32000);
}

/* A provisional response moves a non-INVITE client to T2 retransmissions (§17.1.2.2). */
static void
test_non_invite_proceeding (Fixture *f, gconstpointer data)
{
  g_autoptr(BellSipMsg) options = make_request (BELL_SIP_METHOD_OPTIONS, "opt-1xx@test");
  g_autoptr(BellSipTransaction) txn = start_client (f, options, BELL_SIP_TRANSPORT_UDP, f->peer_addr);
  g_autoptr(GPtrArray) first = peer_drain (f);
  g_autoptr(BellSipMsg) trying = bell_sip_msg_new_response_to (first->pdata[0], 100, NULL, NULL);
  g_autoptr(GArray) times = NULL;
  static const gint64 expected[] = { 500, 4500, 8500 };

  peer_send (f, trying);
  g_assert_cmpint (bell_sip_transaction_get_state (txn), ==, BELL_SIP_TXN_PROCEEDING);
  g_assert_cmpuint (f->responses->len, ==, 1);
  times = retransmission_times (f, 9000);
  assert_times (times, expected, G_N_ELEMENTS (expected));
}

/* Over TCP nothing is retransmitted, and Timer B still ends the wait. */
static void
test_invite_client_tcp (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(BellSipMsg) invite = make_request (BELL_SIP_METHOD_INVITE, "inv-tcp@test");
  g_autoptr(BellSipTransaction) txn = NULL;
  g_autoptr(GInetSocketAddress) to = NULL;
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GArray) times = NULL;
  GSocket *s;
  char buf[8192];
  gssize total = 0, n;
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, &error);

  to = addr ("127.0.0.1", port);
  txn = start_client (f, invite, BELL_SIP_TRANSPORT_TCP, to);
  conn = g_socket_listener_accept (listener, NULL, NULL, &error);
  g_assert_no_error (error);
  s = g_socket_connection_get_socket (conn);
  g_socket_set_blocking (s, FALSE);
  settle ();
  while (bell_clock_next_due (f->clock) >= 0)
    {
      bell_clock_advance (f->clock, (guint) bell_clock_next_due (f->clock));
      settle ();
    }
  while ((n = g_socket_receive (s, buf, sizeof buf, NULL, NULL)) > 0)
    total += n;
  /* Exactly one INVITE on the wire. */
  {
    gsize skip = 0, msg_len = 0;
    g_assert_cmpint (bell_sip_frame (buf, (gsize) total, &skip, &msg_len, &error), ==,
                     BELL_SIP_FRAME_COMPLETE);
    g_assert_cmpuint (skip + msg_len, ==, (gsize) total);
  }
  g_assert_cmpint (f->error_at_ms, ==, 32000);
}

/* §17.1.1.3: a 486 is ACKed by the transaction, again for each retransmitted 486, and the user
 * hears of it once; Timer D then ends the transaction. */
static void
test_invite_client_failure_ack (Fixture *f, gconstpointer data)
{
  g_autoptr(BellSipMsg) invite = make_request (BELL_SIP_METHOD_INVITE, "inv-486@test");
  g_autoptr(BellSipTransaction) txn = start_client (f, invite, BELL_SIP_TRANSPORT_UDP, f->peer_addr);
  g_autoptr(GPtrArray) first = peer_drain (f);
  g_autoptr(BellSipMsg) busy = bell_sip_msg_new_response_to (first->pdata[0], 486, NULL, "p1");
  g_autoptr(GPtrArray) acks = NULL;
  g_autoptr(GPtrArray) acks2 = NULL;
  const BellSipNameAddr *to;

  peer_send (f, busy);
  acks = peer_drain (f);
  g_assert_cmpuint (acks->len, ==, 1);
  g_assert_cmpint (bell_sip_msg_get_method (acks->pdata[0]), ==, BELL_SIP_METHOD_ACK);
  to = bell_sip_msg_get_to (acks->pdata[0]);
  g_assert_true (bell_str_equal_cstr (to->tag, "p1"));
  g_assert_true (bell_str_equal (bell_sip_msg_get_via (acks->pdata[0])->branch,
                                 bell_sip_msg_get_via (first->pdata[0])->branch));
  g_assert_cmpuint (bell_sip_msg_get_cseq (acks->pdata[0])->seq, ==, 1);

  peer_send (f, busy);
  acks2 = peer_drain (f);
  g_assert_cmpuint (acks2->len, ==, 1);
  g_assert_cmpuint (f->responses->len, ==, 1);
  g_assert_cmpint (bell_sip_transaction_get_state (txn), ==, BELL_SIP_TXN_COMPLETED);
  bell_clock_advance (f->clock, 31999);
  g_assert_cmpint (bell_sip_transaction_get_state (txn), ==, BELL_SIP_TXN_COMPLETED);
  bell_clock_advance (f->clock, 1);
  g_assert_cmpint (bell_sip_transaction_get_state (txn), ==, BELL_SIP_TXN_TERMINATED);
}

/* RFC 6026: after a 2xx the client transaction passes further 2xx up (forks), then Timer M;
 * a 2xx after that is a stray for the dialog layer. */
static void
test_invite_client_accepted (Fixture *f, gconstpointer data)
{
  g_autoptr(BellSipMsg) invite = make_request (BELL_SIP_METHOD_INVITE, "inv-200@test");
  g_autoptr(BellSipTransaction) txn = start_client (f, invite, BELL_SIP_TRANSPORT_UDP, f->peer_addr);
  g_autoptr(GPtrArray) first = peer_drain (f);
  g_autoptr(BellSipMsg) ok1 = bell_sip_msg_new_response_to (first->pdata[0], 200, NULL, "fork1");
  g_autoptr(BellSipMsg) ok2 = bell_sip_msg_new_response_to (first->pdata[0], 200, NULL, "fork2");
  g_autoptr(GPtrArray) after = NULL;

  peer_send (f, ok1);
  g_assert_cmpint (bell_sip_transaction_get_state (txn), ==, BELL_SIP_TXN_ACCEPTED);
  peer_send (f, ok2);
  g_assert_cmpuint (f->responses->len, ==, 2);
  after = peer_drain (f);
  g_assert_cmpuint (after->len, ==, 0);   /* no ACK from the transaction for a 2xx */
  bell_clock_advance (f->clock, 32000);
  g_assert_cmpint (bell_sip_transaction_get_state (txn), ==, BELL_SIP_TXN_TERMINATED);
  peer_send (f, ok1);
  g_assert_cmpuint (f->strays->len, ==, 1);
  g_assert_cmpuint (f->responses->len, ==, 2);
}

/* §17.2.2: a non-INVITE server answers retransmissions with its last response; Timer J. */
static void
test_non_invite_server (Fixture *f, gconstpointer data)
{
  g_autoptr(BellSipMsg) options = make_request (BELL_SIP_METHOD_OPTIONS, "srv-opt@test");
  g_autoptr(GPtrArray) got = NULL;
  g_autoptr(GPtrArray) got2 = NULL;

  bell_sip_msg_prepend_header (options, "Via", "SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bKsrv1", NULL);
  f->auto_status = 200;
  peer_send (f, options);
  g_assert_cmpuint (f->requests->len, ==, 1);
  got = peer_drain (f);
  g_assert_cmpuint (got->len, ==, 1);
  g_assert_cmpuint (bell_sip_msg_get_status (got->pdata[0]), ==, 200);

  peer_send (f, options);
  g_assert_cmpuint (f->requests->len, ==, 1);
  got2 = peer_drain (f);
  g_assert_cmpuint (got2->len, ==, 1);
  g_assert_cmpuint (bell_sip_msg_get_status (got2->pdata[0]), ==, 200);
  g_assert_cmpint (bell_sip_transaction_get_state (f->requests->pdata[0]), ==,
                   BELL_SIP_TXN_COMPLETED);
  bell_clock_advance (f->clock, 32000);
  g_assert_cmpint (bell_sip_transaction_get_state (f->requests->pdata[0]), ==,
                   BELL_SIP_TXN_TERMINATED);
}

/* §17.2.1: 100 Trying after 200 ms of silence; a 486 is retransmitted (Timer G, capped at T2)
 * until the ACK, which Timer I then absorbs. */
static void
test_invite_server (Fixture *f, gconstpointer data)
{
  g_autoptr(BellSipMsg) invite = make_request (BELL_SIP_METHOD_INVITE, "srv-inv@test");
  g_autoptr(BellSipMsg) ack = NULL;
  g_autoptr(GPtrArray) trying = NULL;
  g_autoptr(GPtrArray) busy = NULL;
  g_autoptr(GArray) times = NULL;
  static const gint64 expected[] = { 700, 1700, 3700, 7700, 11700 };
  BellSipTransaction *txn;

  bell_sip_msg_prepend_header (invite, "Via", "SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bKinv1", NULL);
  peer_send (f, invite);
  g_assert_cmpuint (f->requests->len, ==, 1);
  txn = f->requests->pdata[0];
  bell_clock_advance (f->clock, 200);
  trying = peer_drain (f);
  g_assert_cmpuint (trying->len, ==, 1);
  g_assert_cmpuint (bell_sip_msg_get_status (trying->pdata[0]), ==, 100);

  g_assert_true (bell_sip_transaction_respond_status (txn, 486, NULL, "srv1"));
  busy = peer_drain (f);
  g_assert_cmpuint (bell_sip_msg_get_status (busy->pdata[0]), ==, 486);
  times = retransmission_times (f, 12000);
  assert_times (times, expected, G_N_ELEMENTS (expected));

  ack = make_request (BELL_SIP_METHOD_ACK, "srv-inv@test");
  bell_sip_msg_remove_headers (ack, BELL_SIP_HDR_TO, NULL);
  bell_sip_msg_add_header (ack, "To", "<sip:peer@127.0.0.1>;tag=srv1", NULL);
  bell_sip_msg_prepend_header (ack, "Via", "SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bKinv1", NULL);
  peer_send (f, ack);
  g_assert_cmpint (bell_sip_transaction_get_state (txn), ==, BELL_SIP_TXN_CONFIRMED);
  g_assert_cmpuint (f->requests->len, ==, 1);
  bell_clock_advance (f->clock, 4999);
  g_assert_cmpint (bell_sip_transaction_get_state (txn), ==, BELL_SIP_TXN_CONFIRMED);
  bell_clock_advance (f->clock, 1);
  g_assert_cmpint (bell_sip_transaction_get_state (txn), ==, BELL_SIP_TXN_TERMINATED);
}

/* Timer H: no ACK ever. */
static void
test_invite_server_no_ack (Fixture *f, gconstpointer data)
{
  g_autoptr(BellSipMsg) invite = make_request (BELL_SIP_METHOD_INVITE, "srv-noack@test");
  BellSipTransaction *txn;

  bell_sip_msg_prepend_header (invite, "Via", "SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bKnoack", NULL);
  f->auto_status = 603;
  peer_send (f, invite);
  txn = f->requests->pdata[0];
  bell_clock_advance (f->clock, 31999);
  g_assert_cmpint (bell_sip_transaction_get_state (txn), ==, BELL_SIP_TXN_COMPLETED);
  bell_clock_advance (f->clock, 1);
  g_assert_cmpint (bell_sip_transaction_get_state (txn), ==, BELL_SIP_TXN_TERMINATED);
}

/* §8.2.2.2: the same request by another path (other branch) gets 482. */
static void
test_merged_request (Fixture *f, gconstpointer data)
{
  g_autoptr(BellSipMsg) a = make_request (BELL_SIP_METHOD_INVITE, "merged@test");
  g_autoptr(BellSipMsg) b = make_request (BELL_SIP_METHOD_INVITE, "merged@test");
  g_autoptr(GPtrArray) got = NULL;

  bell_sip_msg_prepend_header (a, "Via", "SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bKpath1", NULL);
  bell_sip_msg_prepend_header (b, "Via", "SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bKpath2", NULL);
  peer_send (f, a);
  peer_send (f, b);
  g_assert_cmpuint (f->requests->len, ==, 1);
  got = peer_drain (f);
  g_assert_cmpuint (got->len, ==, 1);
  g_assert_cmpuint (bell_sip_msg_get_status (got->pdata[0]), ==, 482);
}

/* A request the user agent cannot accept is answered by the layer (RFC 4475 §3.3). */
static void
test_unsupported_require (Fixture *f, gconstpointer data)
{
  g_autoptr(BellSipMsg) options = make_request (BELL_SIP_METHOD_OPTIONS, "require@test");
  g_autoptr(GPtrArray) got = NULL;
  const BellSipHeader *unsupported;

  bell_sip_msg_prepend_header (options, "Via", "SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bKreq", NULL);
  bell_sip_msg_add_header (options, "Require", "nothingweknow", NULL);
  peer_send (f, options);
  g_assert_cmpuint (f->requests->len, ==, 0);
  got = peer_drain (f);
  g_assert_cmpuint (got->len, ==, 1);
  g_assert_cmpuint (bell_sip_msg_get_status (got->pdata[0]), ==, 420);
  unsupported = bell_sip_msg_find (got->pdata[0], BELL_SIP_HDR_UNSUPPORTED);
  g_assert_nonnull (unsupported);
  g_assert_true (bell_str_equal_cstr (unsupported->value, "nothingweknow"));
}

/* RFC 3263 §4.3: a target refusing the connection makes the transaction try the next one. */
static void
test_failover (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_sip_target_free);
  g_autoptr(GSocketListener) closed = g_socket_listener_new ();
  g_autoptr(GInetSocketAddress) dead = NULL;
  g_autoptr(BellSipMsg) options = make_request (BELL_SIP_METHOD_OPTIONS, "failover@test");
  g_autoptr(BellSipTransaction) txn = NULL;
  g_autoptr(GPtrArray) got = NULL;
  gboolean done = FALSE;
  guint16 port = g_socket_listener_add_any_inet_port (closed, NULL, NULL);
  BellSipTarget t1, t2;

  g_socket_listener_close (closed);
  dead = addr ("127.0.0.1", port);
  t1 = (BellSipTarget){ BELL_SIP_TRANSPORT_TCP, dead, "127.0.0.1", NULL };
  t2 = (BellSipTarget){ BELL_SIP_TRANSPORT_UDP, f->peer_addr, "127.0.0.1", NULL };
  g_ptr_array_add (targets, bell_sip_target_copy (&t1));
  g_ptr_array_add (targets, bell_sip_target_copy (&t2));
  txn = bell_sip_transactions_send (f->txns, options, targets, on_response, f, NULL);
  g_timeout_add (WAIT_MS, vt_set_flag, &done);
  while (!done)
    {
      g_autoptr(GPtrArray) some = peer_drain (f);
      if (some->len)
        {
          got = g_steal_pointer (&some);
          break;
        }
    }
  g_assert_nonnull (got);
  g_assert_cmpuint (got->len, ==, 1);
  g_assert_true (bell_str_equal_cstr (bell_sip_msg_get_via (got->pdata[0])->transport, "UDP"));
  g_assert_cmpuint (bell_sip_msg_count (got->pdata[0], BELL_SIP_HDR_VIA), ==, 1);
  g_assert_cmpuint (f->errors->len, ==, 0);
}

/* §9.1: a CANCEL copies the INVITE's branch, Call-ID, tags and CSeq number; not before a 1xx. */
static void
test_cancel_client (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) invite = make_request (BELL_SIP_METHOD_INVITE, "cancel@test");
  g_autoptr(BellSipTransaction) txn = start_client (f, invite, BELL_SIP_TRANSPORT_UDP, f->peer_addr);
  g_autoptr(GPtrArray) first = peer_drain (f);
  g_autoptr(BellSipMsg) ringing = bell_sip_msg_new_response_to (first->pdata[0], 180, NULL, "p1");
  g_autoptr(BellSipTransaction) cancel = NULL;
  g_autoptr(GPtrArray) got = NULL;
  BellSipMsg *c;

  g_assert_null (bell_sip_transactions_cancel (f->txns, txn, NULL, NULL, NULL, &error));
  g_assert_nonnull (error);   /* nothing heard yet */
  g_clear_error (&error);
  peer_send (f, ringing);
  cancel = bell_sip_transactions_cancel (f->txns, txn, on_response, f, NULL, &error);
  g_assert_no_error (error);
  got = peer_drain (f);
  g_assert_cmpuint (got->len, ==, 1);
  c = got->pdata[0];
  g_assert_cmpint (bell_sip_msg_get_method (c), ==, BELL_SIP_METHOD_CANCEL);
  g_assert_true (bell_str_equal (bell_sip_msg_get_via (c)->branch,
                                 bell_sip_msg_get_via (first->pdata[0])->branch));
  g_assert_cmpuint (bell_sip_msg_get_cseq (c)->seq, ==, bell_sip_msg_get_cseq (first->pdata[0])->seq);
  g_assert_false (bell_str_is_set (bell_sip_msg_get_to (c)->tag));
  g_assert_cmpuint (bell_sip_msg_count (c, BELL_SIP_HDR_VIA), ==, 1);
  {
    /* Its 200 goes to the CANCEL, not to the INVITE. */
    g_autoptr(BellSipMsg) ok = bell_sip_msg_new_response_to (c, 200, NULL, "p1");
    guint before = f->responses->len;
    peer_send (f, ok);
    g_assert_cmpuint (f->responses->len, ==, before + 1);
    g_assert_cmpint (bell_sip_transaction_get_state (cancel), !=, BELL_SIP_TXN_TRYING);
    g_assert_cmpint (bell_sip_transaction_get_state (txn), ==, BELL_SIP_TXN_PROCEEDING);
  }
}

/* §9.2: the server finds the INVITE a CANCEL is for. */
static void
test_cancel_server (Fixture *f, gconstpointer data)
{
  g_autoptr(BellSipMsg) invite = make_request (BELL_SIP_METHOD_INVITE, "srv-cancel@test");
  g_autoptr(BellSipMsg) cancel = make_request (BELL_SIP_METHOD_CANCEL, "srv-cancel@test");

  bell_sip_msg_prepend_header (invite, "Via", "SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bKc1", NULL);
  bell_sip_msg_prepend_header (cancel, "Via", "SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bKc1", NULL);
  bell_sip_msg_remove_headers (cancel, BELL_SIP_HDR_CSEQ, NULL);
  bell_sip_msg_add_header (cancel, "CSeq", "1 CANCEL", NULL);
  peer_send (f, invite);
  peer_send (f, cancel);
  g_assert_cmpuint (f->requests->len, ==, 2);   /* the INVITE, then the CANCEL */
  g_assert_true (bell_sip_transactions_find_invite (f->txns, bell_sip_transaction_get_request (f->requests->pdata[1])) ==
                 f->requests->pdata[0]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, setup, fn, teardown)
  ADD ("/sip/txn/invite-client-udp-retransmit-and-timer-b", test_invite_client_udp);
  ADD ("/sip/txn/non-invite-client-udp-capped-at-t2", test_non_invite_client_udp);
  ADD ("/sip/txn/non-invite-client-proceeding", test_non_invite_proceeding);
  ADD ("/sip/txn/invite-client-tcp-no-retransmit", test_invite_client_tcp);
  ADD ("/sip/txn/invite-client-failure-ack-and-timer-d", test_invite_client_failure_ack);
  ADD ("/sip/txn/invite-client-accepted-forks-timer-m", test_invite_client_accepted);
  ADD ("/sip/txn/non-invite-server-retransmit-timer-j", test_non_invite_server);
  ADD ("/sip/txn/invite-server-trying-timer-g-ack-timer-i", test_invite_server);
  ADD ("/sip/txn/invite-server-timer-h", test_invite_server_no_ack);
  ADD ("/sip/txn/merged-request-482", test_merged_request);
  ADD ("/sip/txn/unsupported-require-420", test_unsupported_require);
  ADD ("/sip/txn/failover-to-next-target", test_failover);
  ADD ("/sip/txn/cancel-client", test_cancel_client);
  ADD ("/sip/txn/cancel-server", test_cancel_server);
#undef ADD

  return g_test_run ();
}
