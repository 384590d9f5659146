/* test-sip-dialog.c: dialog creation, routing of in-dialog requests and what they check
 * (RFC 3261 §12). */
#include <string.h>

#include "bell-sip-dialog.h"

static BellSipMsg *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  BellSipMsg *msg = bell_sip_msg_parse (text, strlen (text), BELL_SIP_PARSE_DATAGRAM, &error);

  g_assert_no_error (error);
  return msg;
}

static const char *invite_text =
  "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
  "Via: SIP/2.0/UDP p2.example.com;branch=z9hG4bKp2\r\n"
  "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1\r\n"
  "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKuac\r\n"
  "Record-Route: <sip:p2.example.com;lr>\r\n"
  "Record-Route: <sip:p1.example.com;lr>\r\n"
  "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
  "To: Bob <sip:bob@biloxi.example.com>\r\n"
  "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
  "CSeq: 314159 INVITE\r\n"
  "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
  "Max-Forwards: 68\r\n"
  "Content-Length: 0\r\n\r\n";

static void
assert_header (BellSipMsg *msg, BellSipHdrId id, guint index, const char *expected)
{
  const BellSipHeader *h = bell_sip_msg_find (msg, id);

  for (guint i = 0; i < index && h; i++)
    h = bell_sip_msg_find_next (msg, id, h);
  g_assert_nonnull (h);
  g_assert_cmpmem (h->value.p, h->value.len, expected, strlen (expected));
}

/* §12.1.1: the UAS takes the route set in order and the caller's Contact as remote target. */
static void
test_uas_bye (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) invite = parse (invite_text);
  g_autoptr(BellSipDialog) d = bell_sip_dialog_new_uas (invite, "bob-tag", "sip:bob@192.0.2.4",
                                                        &error);
  g_autoptr(BellSipMsg) bye = NULL;
  const BellSipCSeq *cseq;

  g_assert_no_error (error);
  g_assert_cmpint (bell_sip_dialog_get_state (d), ==, BELL_SIP_DIALOG_EARLY);
  g_assert_cmpstr (bell_sip_dialog_get_remote_target (d), ==, "sip:alice@pc33.atlanta.example.com");
  bye = bell_sip_dialog_new_request (d, BELL_SIP_METHOD_BYE, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (bell_sip_msg_get_request_uri (bye)->text.p, bell_sip_msg_get_request_uri (bye)->text.len,
                   "sip:alice@pc33.atlanta.example.com", 34);
  assert_header (bye, BELL_SIP_HDR_ROUTE, 0, "<sip:p2.example.com;lr>");
  assert_header (bye, BELL_SIP_HDR_ROUTE, 1, "<sip:p1.example.com;lr>");
  assert_header (bye, BELL_SIP_HDR_FROM, 0, "Bob <sip:bob@biloxi.example.com>;tag=bob-tag");
  assert_header (bye, BELL_SIP_HDR_TO, 0, "Alice <sip:alice@atlanta.example.com>;tag=1928301774");
  assert_header (bye, BELL_SIP_HDR_CALL_ID, 0, "a84b4c76e66710@pc33.atlanta.example.com");
  cseq = bell_sip_msg_get_cseq (bye);
  g_assert_cmpint (cseq->method, ==, BELL_SIP_METHOD_BYE);
  g_assert_cmpuint (cseq->seq, ==, bell_sip_dialog_get_local_seq (d));
  g_assert_true (bell_sip_dialog_matches (d, invite) == FALSE);   /* no To tag yet */
}

/* §12.1.2: the UAC reverses the route set of the 2xx; ACK keeps the INVITE's CSeq. */
static void
test_uac_ack_and_route_set (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) invite = parse (invite_text);
  g_autoptr(BellSipMsg) ok = bell_sip_msg_new_response_to (invite, 200, NULL, "bob-tag");
  g_autoptr(BellSipDialog) d = NULL;
  g_autoptr(BellSipMsg) ack = NULL;
  g_autoptr(BellSipMsg) bye = NULL;
  const char *const *routes;

  bell_sip_msg_add_header (ok, "Contact", "<sip:bob@192.0.2.4>", NULL);
  d = bell_sip_dialog_new_uac (invite, ok, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bell_sip_dialog_get_state (d), ==, BELL_SIP_DIALOG_CONFIRMED);
  routes = bell_sip_dialog_get_route_set (d);
  g_assert_cmpstr (routes[0], ==, "<sip:p1.example.com;lr>");
  g_assert_cmpstr (routes[1], ==, "<sip:p2.example.com;lr>");
  g_assert_null (routes[2]);

  ack = bell_sip_dialog_new_ack (d, 314159, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bell_sip_msg_get_cseq (ack)->seq, ==, 314159);
  g_assert_cmpint (bell_sip_msg_get_cseq (ack)->method, ==, BELL_SIP_METHOD_ACK);
  g_assert_true (bell_str_equal_cstr (bell_sip_msg_get_request_uri (ack)->text, "sip:bob@192.0.2.4"));

  bye = bell_sip_dialog_new_request (d, BELL_SIP_METHOD_BYE, &error);
  g_assert_cmpuint (bell_sip_msg_get_cseq (bye)->seq, ==, 314160);
  assert_header (bye, BELL_SIP_HDR_FROM, 0, "Alice <sip:alice@atlanta.example.com>;tag=1928301774");
  assert_header (bye, BELL_SIP_HDR_TO, 0, "Bob <sip:bob@biloxi.example.com>;tag=bob-tag");

  /* The responses to our requests match, the dialog's key is the same from both sides. */
  g_assert_true (bell_sip_dialog_matches (d, ok));
  {
    g_autofree char *key = bell_sip_dialog_key_for (ok, FALSE);
    g_assert_cmpstr (key, ==, bell_sip_dialog_get_key (d));
  }
}

/* §12.2.1.1: a first route without ;lr is a strict router: it becomes the Request-URI. */
static void
test_strict_routing (void)
{
  g_autoptr(GError) error = NULL;
  GString *text = g_string_new (invite_text);
  g_autoptr(BellSipMsg) invite = NULL;
  g_autoptr(BellSipDialog) d = NULL;
  g_autoptr(BellSipMsg) bye = NULL;

  g_string_replace (text, "<sip:p2.example.com;lr>", "<sip:p2.example.com>", 1);
  invite = parse (text->str);
  g_string_free (text, TRUE);
  d = bell_sip_dialog_new_uas (invite, "t", "sip:bob@192.0.2.4", &error);
  g_assert_no_error (error);
  bye = bell_sip_dialog_new_request (d, BELL_SIP_METHOD_BYE, &error);
  g_assert_no_error (error);
  g_assert_true (bell_str_equal_cstr (bell_sip_msg_get_request_uri (bye)->text, "sip:p2.example.com"));
  assert_header (bye, BELL_SIP_HDR_ROUTE, 0, "<sip:p1.example.com;lr>");
  assert_header (bye, BELL_SIP_HDR_ROUTE, 1, "<sip:alice@pc33.atlanta.example.com>");
  g_assert_cmpuint (bell_sip_msg_count (bye, BELL_SIP_HDR_ROUTE), ==, 2);
}

/* §12.2.2: an older CSeq gets 500; a re-INVITE's Contact is the new remote target. */
static void
test_receive_requests (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) invite = parse (invite_text);
  g_autoptr(BellSipDialog) d = bell_sip_dialog_new_uas (invite, "bob-tag", NULL, &error);
  g_autoptr(BellSipMsg) reinvite = NULL;
  g_autoptr(BellSipMsg) old = NULL;
  g_autoptr(BellSipMsg) ack = NULL;
  GString *t;

  t = g_string_new (invite_text);
  g_string_replace (t, "CSeq: 314159 INVITE", "CSeq: 314160 INVITE", 1);
  g_string_replace (t, "To: Bob <sip:bob@biloxi.example.com>", "To: Bob <sip:bob@biloxi.example.com>;tag=bob-tag", 1);
  g_string_replace (t, "<sip:alice@pc33.atlanta.example.com>", "<sip:alice@192.0.2.99:5070>", 1);
  reinvite = parse (t->str);
  g_string_free (t, TRUE);
  g_assert_true (bell_sip_dialog_matches (d, reinvite));
  g_assert_cmpuint (bell_sip_dialog_receive_request (d, reinvite), ==, 0);
  g_assert_cmpstr (bell_sip_dialog_get_remote_target (d), ==, "sip:alice@192.0.2.99:5070");

  t = g_string_new (invite_text);
  g_string_replace (t, "CSeq: 314159 INVITE", "CSeq: 300000 BYE", 1);
  g_string_replace (t, "INVITE sip:", "BYE sip:", 1);
  old = parse (t->str);
  g_string_free (t, TRUE);
  g_assert_cmpuint (bell_sip_dialog_receive_request (d, old), ==, 500);

  /* The ACK carries the INVITE's number and confirms the dialog. */
  t = g_string_new (invite_text);
  g_string_replace (t, "CSeq: 314159 INVITE", "CSeq: 314160 ACK", 1);
  g_string_replace (t, "INVITE sip:", "ACK sip:", 1);
  ack = parse (t->str);
  g_string_free (t, TRUE);
  g_assert_cmpuint (bell_sip_dialog_receive_request (d, ack), ==, 0);
  g_assert_cmpint (bell_sip_dialog_get_state (d), ==, BELL_SIP_DIALOG_CONFIRMED);
}

/* An early dialog from a 180; the 200 confirms it and replaces its route set (§12.1.2). */
static void
test_early_then_confirmed (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) invite = parse (invite_text);
  g_autoptr(BellSipMsg) ringing = bell_sip_msg_new_response_to (invite, 180, NULL, "bob-tag");
  g_autoptr(BellSipMsg) ok = bell_sip_msg_new_response_to (invite, 200, NULL, "bob-tag");
  g_autoptr(BellSipDialog) d = NULL;
  g_autoptr(BellSipMsg) no_tag = bell_sip_msg_new_response_to (invite, 180, NULL, NULL);

  g_assert_null (bell_sip_dialog_new_uac (invite, no_tag, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  d = bell_sip_dialog_new_uac (invite, ringing, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bell_sip_dialog_get_state (d), ==, BELL_SIP_DIALOG_EARLY);
  bell_sip_msg_remove_headers (ok, BELL_SIP_HDR_RECORD_ROUTE, NULL);
  bell_sip_msg_add_header (ok, "Record-Route", "<sip:only.example.com;lr>", NULL);
  bell_sip_msg_add_header (ok, "Contact", "<sip:bob@192.0.2.7>", NULL);
  bell_sip_dialog_update_from_response (d, ok);
  g_assert_cmpint (bell_sip_dialog_get_state (d), ==, BELL_SIP_DIALOG_CONFIRMED);
  g_assert_cmpstr (bell_sip_dialog_get_route_set (d)[0], ==, "<sip:only.example.com;lr>");
  g_assert_null (bell_sip_dialog_get_route_set (d)[1]);
  g_assert_cmpstr (bell_sip_dialog_get_remote_target (d), ==, "sip:bob@192.0.2.7");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sip/dialog/uas-bye", test_uas_bye);
  g_test_add_func ("/sip/dialog/uac-ack-and-route-set", test_uac_ack_and_route_set);
  g_test_add_func ("/sip/dialog/strict-routing", test_strict_routing);
  g_test_add_func ("/sip/dialog/receive-requests", test_receive_requests);
  g_test_add_func ("/sip/dialog/early-then-confirmed", test_early_then_confirmed);

  return g_test_run ();
}
