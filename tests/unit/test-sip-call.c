/* test-sip-call.c: the call state machine against a scripted peer in the same process.
 *
 * Two transports on loopback share one virtual clock: "ua" runs the BellSipCall under test
 * (this file dispatches to it what the core would), "peer" is a scripted user agent on its own
 * BellSipTransactions. Timers only move when a test advances the clock, so session timers of
 * minutes and the random waits after a 491 are checked exactly, in milliseconds.
 */
#include <gio/gio.h>
#include <string.h>

#include "bell-sip-call.h"
#include "bell-sip-dialog.h"
#include "virtual-time.h"

#define PEER_TAG "peer-tag-1"
#define SDP_ANSWER "v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
                   "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

typedef struct
{
  BellSipMsg *msg;
  gint64      at_ms;
} Got;

typedef struct
{
  BellClock           *clock;

  BellSipTransport    *peer_transport;
  BellSipTransactions *peer_txns;
  guint16              peer_port;
  GPtrArray           *got;             /* Got: requests the peer received (ACK too) */
  BellSipDialog       *peer_dialog;     /* the peer's side of the call */
  /* How the peer answers */
  const char          *ok_extra;        /* a header line for its 200 to the INVITE */
  guint                first_invite;    /* status for the first INVITE (0: 200) */
  guint                reinvite_status; /* status for the next re-INVITE (0: 200), then 200 */
  gboolean             reliable_183;    /* 183 with 100rel + SDP (sent twice), 200 after PRACK */
  gboolean             forked_200;      /* a second 200 to the INVITE, from another fork */
  BellSipTransaction  *held_invite;     /* the INVITE waiting for its PRACK */

  BellSipTransport    *ua_transport;
  BellSipTransactions *ua_txns;
  BellSipCall         *call;
  GPtrArray           *ua_responses;    /* responses the ua got to requests the peer sent */
} Fixture;

static void
got_free (gpointer data)
{
  Got *g = data;

  bell_sip_msg_unref (g->msg);
  g_free (g);
}

static guint
count_got (Fixture *f, BellSipMethod method)
{
  guint n = 0;

  for (guint i = 0; i < f->got->len; i++)
    n += bell_sip_msg_get_method (((Got *) f->got->pdata[i])->msg) == method;
  return n;
}

/* The n-th (from 0) request of that method the peer received. */
static Got *
nth_got (Fixture *f, BellSipMethod method, guint n)
{
  for (guint i = 0; i < f->got->len; i++)
    if (bell_sip_msg_get_method (((Got *) f->got->pdata[i])->msg) == method && n-- == 0)
      return f->got->pdata[i];
  g_assert_not_reached ();
}

static char *
header_value (BellSipMsg *msg, BellSipHdrId id)
{
  const BellSipHeader *h = bell_sip_msg_find (msg, id);

  return h ? bell_str_dup (h->value) : NULL;
}

/* The peer */

static char *
peer_contact (Fixture *f)
{
  return g_strdup_printf ("sip:peer@127.0.0.1:%u", f->peer_port);
}

static void
respond_ok (Fixture *f, BellSipTransaction *txn, BellSipMsg *request, gboolean sdp,
            const char *extra)
{
  g_autoptr(BellSipMsg) ok = bell_sip_msg_new_response_to (request, 200, NULL, PEER_TAG);
  g_autofree char *contact = peer_contact (f);

  bell_sip_msg_add_headerf (ok, "Contact", NULL, "<%s>", contact);
  if (extra)
    {
      const char *colon = strchr (extra, ':');
      g_autofree char *name = g_strndup (extra, (gsize) (colon - extra));
      bell_sip_msg_add_header (ok, name, colon + 2, NULL);
    }
  if (sdp)
    bell_sip_msg_set_body (ok, "application/sdp", SDP_ANSWER, strlen (SDP_ANSWER));
  g_assert_true (bell_sip_transaction_respond (txn, ok, NULL));
}

static void
send_reliable_183 (Fixture *f, BellSipTransaction *txn, BellSipMsg *request)
{
  g_autoptr(BellSipMsg) progress = bell_sip_msg_new_response_to (request, 183, NULL, PEER_TAG);
  g_autofree char *contact = peer_contact (f);

  bell_sip_msg_add_headerf (progress, "Contact", NULL, "<%s>", contact);
  bell_sip_msg_add_header (progress, "Require", "100rel", NULL);
  bell_sip_msg_add_header (progress, "RSeq", "1", NULL);
  bell_sip_msg_set_body (progress, "application/sdp", SDP_ANSWER, strlen (SDP_ANSWER));
  g_assert_true (bell_sip_transaction_respond (txn, progress, NULL));
}

static void
on_peer_request (BellSipTransactions *txns, BellSipTransaction *txn, BellSipMsg *request,
                 gpointer data)
{
  Fixture *f = data;
  Got *g = g_new0 (Got, 1);
  BellSipMethod method = bell_sip_msg_get_method (request);
  gboolean initial = method == BELL_SIP_METHOD_INVITE && !bell_str_is_set (bell_sip_msg_get_to (request)->tag);

  g->msg = bell_sip_msg_ref (request);
  g->at_ms = vt_now_ms (f->clock);
  g_ptr_array_add (f->got, g);

  if (initial && f->first_invite == 422)
    {
      /* RFC 4028 §8.1: too short for the peer; it says how long it wants. */
      g_autoptr(BellSipMsg) too_small = bell_sip_msg_new_response_to (request, 422, NULL, PEER_TAG);
      bell_sip_msg_add_header (too_small, "Min-SE", "3600", NULL);
      g_assert_true (bell_sip_transaction_respond (txn, too_small, NULL));
      f->first_invite = 0;
      return;
    }
  if (initial)
    {
      g_autofree char *contact = peer_contact (f);
      g_clear_pointer (&f->peer_dialog, bell_sip_dialog_unref);
      f->peer_dialog = bell_sip_dialog_new_uas (request, PEER_TAG, contact, NULL);
      if (f->reliable_183)
        {
          /* Twice: the second copy is what a lost PRACK makes the UAS send again. */
          send_reliable_183 (f, txn, request);
          send_reliable_183 (f, txn, request);
          f->held_invite = bell_sip_transaction_ref (txn);
          return;
        }
      respond_ok (f, txn, request, TRUE, f->ok_extra);
      if (f->forked_200)
        {
          /* What a forking proxy passes on when two phones answer (§13.2.2.4). */
          g_autoptr(BellSipMsg) other = bell_sip_msg_new_response_to (request, 200, NULL, "fork-tag-2");
          g_autofree char *contact2 = peer_contact (f);
          bell_sip_msg_add_headerf (other, "Contact", NULL, "<%s>", contact2);
          bell_sip_msg_set_body (other, "application/sdp", SDP_ANSWER, strlen (SDP_ANSWER));
          g_assert_true (bell_sip_transport_send_on_flow (f->peer_transport, other,
                                                          bell_sip_transaction_get_flow (txn), NULL));
        }
      return;
    }
  switch (method)
    {
    case BELL_SIP_METHOD_INVITE:
      bell_sip_dialog_receive_request (f->peer_dialog, request);
      if (f->reinvite_status)
        {
          bell_sip_transaction_respond_status (txn, f->reinvite_status, NULL, NULL);
          f->reinvite_status = 0;
        }
      else
        respond_ok (f, txn, request, TRUE, f->ok_extra);
      break;
    case BELL_SIP_METHOD_PRACK:
      bell_sip_transaction_respond_status (txn, 200, NULL, NULL);
      if (f->held_invite)
        {
          /* The offer/answer is done in the 183: the 200 carries no SDP. */
          respond_ok (f, f->held_invite, bell_sip_transaction_get_request (f->held_invite), FALSE, NULL);
          g_clear_pointer (&f->held_invite, bell_sip_transaction_unref);
        }
      break;
    default:
      bell_sip_transaction_respond_status (txn, 200, NULL, NULL);
      break;
    }
}

static void
on_peer_ack (BellSipTransactions *txns, BellSipMsg *ack, BellSipFlow *flow, gpointer data)
{
  Fixture *f = data;
  Got *g = g_new0 (Got, 1);

  g->msg = bell_sip_msg_ref (ack);
  g->at_ms = vt_now_ms (f->clock);
  g_ptr_array_add (f->got, g);
}

/* The user agent: what BellCore does with what arrives for its calls. */

static void
on_ua_request (BellSipTransactions *txns, BellSipTransaction *txn, BellSipMsg *request,
               gpointer data)
{
  Fixture *f = data;

  if (f->call && bell_sip_call_matches (f->call, request))
    bell_sip_call_handle_request (f->call, txn, request);
  else
    bell_sip_transaction_respond_status (txn, 481, NULL, NULL);
}

static void
on_ua_ack (BellSipTransactions *txns, BellSipMsg *ack, BellSipFlow *flow, gpointer data)
{
  Fixture *f = data;

  if (f->call)
    bell_sip_call_handle_ack (f->call, ack);
}

static void
on_ua_stray (BellSipTransactions *txns, BellSipMsg *response, BellSipFlow *flow, gpointer data)
{
  Fixture *f = data;

  if (f->call)
    bell_sip_call_handle_stray (f->call, response);
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->clock = bell_clock_new_virtual ();
  f->peer_transport = vt_listening_transport (f->clock, FALSE);
  f->peer_port = bell_sip_transport_get_port (f->peer_transport, BELL_SIP_TRANSPORT_UDP,
                                              G_SOCKET_FAMILY_IPV4);
  f->peer_txns = bell_sip_transactions_new (f->peer_transport, f->clock);
  g_signal_connect (f->peer_txns, "request", G_CALLBACK (on_peer_request), f);
  g_signal_connect (f->peer_txns, "ack", G_CALLBACK (on_peer_ack), f);
  f->got = g_ptr_array_new_with_free_func (got_free);

  f->ua_transport = vt_listening_transport (f->clock, FALSE);
  f->ua_txns = bell_sip_transactions_new (f->ua_transport, f->clock);
  g_signal_connect (f->ua_txns, "request", G_CALLBACK (on_ua_request), f);
  g_signal_connect (f->ua_txns, "ack", G_CALLBACK (on_ua_ack), f);
  g_signal_connect (f->ua_txns, "stray-response", G_CALLBACK (on_ua_stray), f);
  f->ua_responses = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_sip_msg_unref);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->call);
  g_clear_pointer (&f->held_invite, bell_sip_transaction_unref);
  g_clear_pointer (&f->peer_dialog, bell_sip_dialog_unref);
  g_clear_object (&f->ua_txns);
  g_clear_object (&f->ua_transport);
  g_clear_object (&f->peer_txns);
  g_clear_object (&f->peer_transport);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_ptr_array_unref (f->got);
  g_ptr_array_unref (f->ua_responses);
  bell_clock_unref (f->clock);
}

/* Places a call from the ua to the peer and waits until it is connected. */
static void
call_peer (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = g_strdup_printf ("sip:peer@127.0.0.1:%u", f->peer_port);
  BellSipOfferAnswer oa = bell_sip_sdp_interim_new ();

  f->call = bell_sip_call_new_outgoing (f->ua_txns, uri, "sip:alice@127.0.0.1",
                                        BELL_SIP_TRANSPORT_UDP, &oa, &error);
  g_assert_no_error (error);
  bell_sip_call_start (f->call);
  VT_WAIT_FOR (bell_sip_call_get_state (f->call) == BELL_CALL_CONNECTED && count_got (f, BELL_SIP_METHOD_ACK) >= 1);
}

/* The peer sends a request in its dialog (a re-INVITE, UPDATE, ...); the ua's answer comes to
 * f->ua_responses. */
static BellSipTarget *
ua_target (Fixture *f)
{
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) ua = g_inet_socket_address_new (lo, bell_sip_transport_get_port (f->ua_transport,
                                                                                              BELL_SIP_TRANSPORT_UDP,
                                                                                              G_SOCKET_FAMILY_IPV4));
  BellSipTarget target = { BELL_SIP_TRANSPORT_UDP, G_INET_SOCKET_ADDRESS (ua), "127.0.0.1", NULL, NULL };

  return bell_sip_target_copy (&target);
}

static void
on_peer_ack_sent (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(BellSipFlow) flow = bell_sip_transport_send_request_finish (BELL_SIP_TRANSPORT (source),
                                                                        result, NULL);
  g_assert_nonnull (flow);
}

static void
on_peer_response (BellSipTransaction *txn, BellSipMsg *response, const GError *error, gpointer data)
{
  Fixture *f = data;
  guint status = response ? bell_sip_msg_get_status (response) : 0;

  if (status < 200)
    return;
  g_ptr_array_add (f->ua_responses, bell_sip_msg_ref (response));
  /* The peer's ACK for a 2xx to its re-INVITE, with an answer when the 2xx made the offer. */
  if (status < 300 && bell_sip_msg_get_method (response) == BELL_SIP_METHOD_INVITE)
    {
      g_autoptr(BellSipMsg) ack = bell_sip_dialog_new_ack (f->peer_dialog, bell_sip_msg_get_cseq (response)->seq, NULL);
      BellSipTarget *target = ua_target (f);
      gsize len = 0;
      g_autofree char *branch = g_strdup_printf ("z9hG4bKpeer%08x", g_random_int ());

      bell_sip_msg_peek_body (bell_sip_transaction_get_request (txn), &len);
      if (!len)
        bell_sip_msg_set_body (ack, "application/sdp", SDP_ANSWER, strlen (SDP_ANSWER));
      bell_sip_transport_send_request_async (f->peer_transport, ack, target, branch, NULL,
                                             on_peer_ack_sent, NULL);
      bell_sip_target_free (target);
    }
}

static void
peer_send (Fixture *f, BellSipMethod method, const char *sdp)
{
  g_autoptr(BellSipMsg) request = bell_sip_dialog_new_request (f->peer_dialog, method, NULL);
  g_autoptr(GPtrArray) targets = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_sip_target_free);
  g_autoptr(BellSipTransaction) txn = NULL;

  if (sdp)
    bell_sip_msg_set_body (request, "application/sdp", sdp, strlen (sdp));
  g_ptr_array_add (targets, ua_target (f));
  txn = bell_sip_transactions_send (f->peer_txns, request, targets, on_peer_response, f, NULL);
}

/* Tests */

/* RFC 4028: the peer makes us the refresher of a 90 s session: a re-INVITE at 45 s, with the
 * interval and refresher=uac, and again 45 s after that refresh's 2xx. */
static void
test_session_timer_we_refresh (Fixture *f, gconstpointer data)
{
  g_autofree char *se = NULL;
  gint64 start;

  f->ok_extra = "Session-Expires: 90;refresher=uac";
  call_peer (f);
  start = vt_now_ms (f->clock);
  se = header_value (nth_got (f, BELL_SIP_METHOD_INVITE, 0)->msg, BELL_SIP_HDR_SESSION_EXPIRES);
  g_assert_cmpstr (se, ==, "1800");
  VT_RUN_UNTIL (f->clock, start + 46000, count_got (f, BELL_SIP_METHOD_INVITE) == 2);
  g_assert_cmpint (nth_got (f, BELL_SIP_METHOD_INVITE, 1)->at_ms - start, ==, 45000);
  g_clear_pointer (&se, g_free);
  se = header_value (nth_got (f, BELL_SIP_METHOD_INVITE, 1)->msg, BELL_SIP_HDR_SESSION_EXPIRES);
  g_assert_cmpstr (se, ==, "90;refresher=uac");
  VT_RUN_UNTIL (f->clock, start + 91000, count_got (f, BELL_SIP_METHOD_INVITE) == 3);
  g_assert_cmpint (nth_got (f, BELL_SIP_METHOD_INVITE, 2)->at_ms - start, ==, 90000);
  g_assert_cmpuint (count_got (f, BELL_SIP_METHOD_ACK), ==, 3);
  g_assert_cmpint (bell_sip_call_get_state (f->call), ==, BELL_CALL_CONNECTED);
}

/* The peer refreshes a 90 s session and stops: we hang up at 90 - min(32, 90/3) = 60 s. */
static void
test_session_timer_peer_silent (Fixture *f, gconstpointer data)
{
  gint64 start;

  f->ok_extra = "Session-Expires: 90;refresher=uas";
  call_peer (f);
  start = vt_now_ms (f->clock);
  vt_run_until (f->clock, start + 59000);
  g_assert_cmpint (bell_sip_call_get_state (f->call), ==, BELL_CALL_CONNECTED);
  g_assert_cmpuint (count_got (f, BELL_SIP_METHOD_INVITE), ==, 1);   /* we do not refresh */
  VT_RUN_UNTIL (f->clock, start + 61000, bell_sip_call_get_state (f->call) == BELL_CALL_ENDED);
  g_assert_cmpuint (count_got (f, BELL_SIP_METHOD_BYE), ==, 1);
  g_assert_cmpint (nth_got (f, BELL_SIP_METHOD_BYE, 0)->at_ms - start, ==, 60000);
  g_assert_nonnull (strstr (bell_sip_call_get_reason (f->call), "session expired"));
}

/* A peer re-INVITE restarts the timer of a session the peer refreshes. */
static void
test_session_timer_peer_refreshes (Fixture *f, gconstpointer data)
{
  gint64 start;

  f->ok_extra = "Session-Expires: 90;refresher=uas";
  call_peer (f);
  start = vt_now_ms (f->clock);
  vt_run_until (f->clock, start + 40000);
  /* The refresh (without Session-Expires, so it also ends the timer, RFC 4028 §9). */
  peer_send (f, BELL_SIP_METHOD_INVITE, SDP_ANSWER);
  VT_WAIT_FOR (f->ua_responses->len == 1);
  g_assert_cmpuint (bell_sip_msg_get_status (f->ua_responses->pdata[0]), ==, 200);
  vt_run_until (f->clock, start + 200000);
  g_assert_cmpint (bell_sip_call_get_state (f->call), ==, BELL_CALL_CONNECTED);
}

/* 422 Session Interval Too Small: the INVITE again, CSeq + 1, asking for the Min-SE given. */
static void
test_session_timer_422 (Fixture *f, gconstpointer data)
{
  g_autofree char *se = NULL;
  g_autofree char *min_se = NULL;
  BellSipMsg *first, *second;

  f->first_invite = 422;
  call_peer (f);
  g_assert_cmpuint (count_got (f, BELL_SIP_METHOD_INVITE), ==, 2);
  first = nth_got (f, BELL_SIP_METHOD_INVITE, 0)->msg;
  second = nth_got (f, BELL_SIP_METHOD_INVITE, 1)->msg;
  g_assert_cmpuint (bell_sip_msg_get_cseq (second)->seq, ==, bell_sip_msg_get_cseq (first)->seq + 1);
  g_assert_true (bell_str_equal (bell_sip_msg_get_call_id (first), bell_sip_msg_get_call_id (second)));
  se = header_value (second, BELL_SIP_HDR_SESSION_EXPIRES);
  min_se = header_value (second, BELL_SIP_HDR_MIN_SE);
  g_assert_cmpstr (se, ==, "3600");
  g_assert_cmpstr (min_se, ==, "3600");
}

/* Our hold re-INVITE crosses the peer's: 491; we placed the call, so we wait 2.1-4 s (§14.1). */
static void
test_glare_491 (Fixture *f, gconstpointer data)
{
  gint64 refused;

  call_peer (f);
  f->reinvite_status = 491;
  bell_sip_call_hold (f->call, TRUE);
  /* (The ACK of the 491 stays in the peer's transaction.) */
  VT_WAIT_FOR (count_got (f, BELL_SIP_METHOD_INVITE) == 2);
  vt_settle ();
  refused = vt_now_ms (f->clock);
  g_assert_false (bell_sip_call_get_hold (f->call));
  VT_RUN_UNTIL (f->clock, refused + 4001, count_got (f, BELL_SIP_METHOD_INVITE) == 3);
  g_assert_cmpint (nth_got (f, BELL_SIP_METHOD_INVITE, 2)->at_ms - refused, >=, 2100);
  g_assert_cmpint (nth_got (f, BELL_SIP_METHOD_INVITE, 2)->at_ms - refused, <=, 4000);
  VT_WAIT_FOR (bell_sip_call_get_hold (f->call));
  /* The CSeq moved on with each re-INVITE; the Call-ID and tags did not. */
  g_assert_cmpuint (bell_sip_msg_get_cseq (nth_got (f, BELL_SIP_METHOD_INVITE, 2)->msg)->seq, ==,
                    bell_sip_msg_get_cseq (nth_got (f, BELL_SIP_METHOD_INVITE, 1)->msg)->seq + 1);
}

/* A re-INVITE from the peer while ours waits for its answer gets 491 (§14.2). */
static void
test_glare_we_refuse (Fixture *f, gconstpointer data)
{
  call_peer (f);
  /* The peer sits on our re-INVITE: it answers only when the test says. */
  g_signal_handlers_block_by_func (f->peer_txns, on_peer_request, f);
  bell_sip_call_hold (f->call, TRUE);
  vt_settle ();
  peer_send (f, BELL_SIP_METHOD_INVITE, SDP_ANSWER);
  VT_WAIT_FOR (f->ua_responses->len == 1);
  g_assert_cmpuint (bell_sip_msg_get_status (f->ua_responses->pdata[0]), ==, 491);
  g_signal_handlers_unblock_by_func (f->peer_txns, on_peer_request, f);
}

/* RFC 3262: a reliable 183 (sent twice) is PRACKed once, with RAck "1 <INVITE CSeq> INVITE";
 * its SDP is the answer, so the 200 without SDP connects the call. */
static void
test_prack (Fixture *f, gconstpointer data)
{
  g_autofree char *rack = NULL;
  g_autofree char *expected = NULL;

  f->reliable_183 = TRUE;
  call_peer (f);
  g_assert_cmpuint (count_got (f, BELL_SIP_METHOD_PRACK), ==, 1);
  rack = header_value (nth_got (f, BELL_SIP_METHOD_PRACK, 0)->msg, BELL_SIP_HDR_RACK);
  expected = g_strdup_printf ("1 %u INVITE", bell_sip_msg_get_cseq (nth_got (f, BELL_SIP_METHOD_INVITE, 0)->msg)->seq);
  g_assert_cmpstr (rack, ==, expected);
  g_assert_cmpstr (bell_sip_call_get_remote_sdp (f->call), ==, SDP_ANSWER);
  vt_run_until (f->clock, vt_now_ms (f->clock) + 1000);
  g_assert_cmpuint (count_got (f, BELL_SIP_METHOD_PRACK), ==, 1);
  g_assert_cmpint (bell_sip_call_get_state (f->call), ==, BELL_CALL_CONNECTED);
}

/* The peer holds us (sendonly), then takes us off hold with an offerless re-INVITE: our
 * offer goes in the 200 and the answer in its ACK. */
static void
test_remote_hold_offerless_resume (Fixture *f, gconstpointer data)
{
  static const char *const held = "v=0\r\no=peer 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
                                  "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendonly\r\n";
  call_peer (f);
  peer_send (f, BELL_SIP_METHOD_INVITE, held);
  VT_WAIT_FOR (f->ua_responses->len == 1);
  g_assert_true (bell_sip_call_get_remote_hold (f->call));
  peer_send (f, BELL_SIP_METHOD_INVITE, NULL);
  VT_WAIT_FOR (f->ua_responses->len == 2);
  {
    BellSipMsg *ok = f->ua_responses->pdata[1];
    gsize len = 0;
    g_assert_cmpuint (bell_sip_msg_get_status (ok), ==, 200);
    g_assert_nonnull (bell_sip_msg_peek_body (ok, &len));
    g_assert_cmpuint (len, >, 0);
  }
  /* The peer's ACK carries a sendrecv answer: it no longer holds us, and the 200 is not sent
   * again (the ACK stopped it). */
  VT_WAIT_FOR (!bell_sip_call_get_remote_hold (f->call));
  vt_run_until (f->clock, vt_now_ms (f->clock) + 40000);
  g_assert_cmpint (bell_sip_call_get_state (f->call), ==, BELL_CALL_CONNECTED);
}

static const char *
to_tag_of (BellSipMsg *msg, char **out)
{
  *out = bell_str_dup (bell_sip_msg_get_to (msg)->tag);
  return *out;
}

/* Two 200s with different To tags (a fork answered too): the call keeps the first; the
 * other fork gets its ACK, then a BYE (RFC 3261 §13.2.2.4). */
static void
test_forked_200 (Fixture *f, gconstpointer data)
{
  g_autofree char *t0 = NULL, *t1 = NULL, *tb = NULL;

  f->forked_200 = TRUE;
  call_peer (f);
  VT_WAIT_FOR (count_got (f, BELL_SIP_METHOD_ACK) == 2 && count_got (f, BELL_SIP_METHOD_BYE) == 1);
  g_assert_cmpstr (to_tag_of (nth_got (f, BELL_SIP_METHOD_ACK, 0)->msg, &t0), ==, PEER_TAG);
  g_assert_cmpstr (to_tag_of (nth_got (f, BELL_SIP_METHOD_ACK, 1)->msg, &t1), ==, "fork-tag-2");
  g_assert_cmpstr (to_tag_of (nth_got (f, BELL_SIP_METHOD_BYE, 0)->msg, &tb), ==, "fork-tag-2");
  vt_settle ();
  g_assert_cmpint (bell_sip_call_get_state (f->call), ==, BELL_CALL_CONNECTED);
}

/* An outbound proxy: the INVITE goes to the proxy with a pre-loaded Route (;lr added), for a
 * callee whose own host does not even resolve; the dialog then goes by the 2xx's Contact. */
static void
test_outbound_proxy (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *proxy = g_strdup_printf ("sip:127.0.0.1:%u", f->peer_port);
  g_autofree char *route = NULL, *expected = NULL, *ruri = NULL;
  BellSipOfferAnswer oa = bell_sip_sdp_interim_new ();
  BellSipMsg *invite;

  f->call = bell_sip_call_new_outgoing (f->ua_txns, "sip:bob@callee.invalid", "sip:alice@127.0.0.1",
                                        BELL_SIP_TRANSPORT_UDP, &oa, &error);
  g_assert_no_error (error);
  g_assert_false (bell_sip_call_set_outbound_proxy (f->call, "tel:+4930123", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_true (bell_sip_call_set_outbound_proxy (f->call, proxy, &error));
  bell_sip_call_start (f->call);
  VT_WAIT_FOR (bell_sip_call_get_state (f->call) == BELL_CALL_CONNECTED && count_got (f, BELL_SIP_METHOD_ACK) >= 1);
  invite = nth_got (f, BELL_SIP_METHOD_INVITE, 0)->msg;
  ruri = bell_str_dup (bell_sip_msg_get_request_uri (invite)->text);
  g_assert_cmpstr (ruri, ==, "sip:bob@callee.invalid");
  route = header_value (invite, BELL_SIP_HDR_ROUTE);
  expected = g_strdup_printf ("<%s;lr>", proxy);
  g_assert_cmpstr (route, ==, expected);
  bell_sip_call_hangup (f->call);
  VT_WAIT_FOR (count_got (f, BELL_SIP_METHOD_BYE) == 1);
  /* No Record-Route from the "proxy": the BYE carries no Route. */
  g_assert_null (bell_sip_msg_find (nth_got (f, BELL_SIP_METHOD_BYE, 0)->msg, BELL_SIP_HDR_ROUTE));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, setup, fn, teardown)
  ADD ("/call/session-timer/we-refresh", test_session_timer_we_refresh);
  ADD ("/call/session-timer/peer-silent", test_session_timer_peer_silent);
  ADD ("/call/session-timer/peer-refreshes", test_session_timer_peer_refreshes);
  ADD ("/call/session-timer/422", test_session_timer_422);
  ADD ("/call/glare/491-back-off", test_glare_491);
  ADD ("/call/glare/we-refuse", test_glare_we_refuse);
  ADD ("/call/prack", test_prack);
  ADD ("/call/forked-200", test_forked_200);
  ADD ("/call/outbound-proxy", test_outbound_proxy);
  ADD ("/call/remote-hold-offerless-resume", test_remote_hold_offerless_resume);
  return g_test_run ();
}
