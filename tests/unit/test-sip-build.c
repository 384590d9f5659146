/* test-sip-build.c: building requests and responses, then printing and parsing them back. */
#include <string.h>

#include <glib.h>

#include "bell-sip-error.h"
#include "bell-sip-header.h"
#include "bell-sip-msg.h"
#include "sip-test-util.h"

#define assert_str_eq(s, expected)                                                      \
  G_STMT_START {                                                                        \
    BellStr _s = (s);                                                                   \
    g_autofree char *_got = bell_str_dup (_s);                                          \
    if (!bell_str_equal_cstr (_s, (expected)))                                          \
      g_error ("%s:%d: %s is \"%s\" (set: %d), expected \"%s\"", __FILE__, __LINE__, #s, \
               _got ? _got : "(null)", bell_str_is_set (_s), (expected));               \
  } G_STMT_END

#define assert_str_empty(s)                                                             \
  G_STMT_START {                                                                        \
    BellStr _s = (s);                                                                   \
    if (_s.len != 0)                                                                    \
      g_error ("%s:%d: %s is \"%.*s\", expected empty", __FILE__, __LINE__, #s,          \
               BELL_STR_PRINTF (_s));                                                   \
  } G_STMT_END

static void
add_ok (BellSipMsg *msg, const char *name, const char *value)
{
  g_autoptr(GError) error = NULL;

  if (!bell_sip_msg_add_header (msg, name, value, &error))
    g_error ("add_header (%s: %s) failed: %s", name, value, error ? error->message : "(no GError)");
  g_assert_no_error (error);
}

/* Prints msg and parses it back, as a peer would receive it. */
static BellSipMsg *
reparse (const BellSipMsg *msg, GBytes **out_bytes)
{
  g_autoptr(GBytes) bytes = bell_sip_msg_to_bytes (msg);
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  BellSipMsg *back = bell_sip_msg_parse (data, len, BELL_SIP_PARSE_STREAM, &error);

  if (back == NULL)
    g_error ("printed message does not parse: %s\n%.*s", error ? error->message : "?",
             (int) len, data);
  if (out_bytes)
    *out_bytes = g_steal_pointer (&bytes);
  return back;
}

static guint64
get_number (const BellSipMsg *msg, BellSipHdrId id)
{
  guint64 v = G_MAXUINT64;

  if (!bell_sip_msg_get_number (msg, id, &v))
    g_error ("header %s absent", bell_sip_hdr_id_to_name (id));
  return v;
}

/* The Content-Length printed in the text, read by hand rather than by our parser. */
static gint64
printed_content_length (const char *text, gsize len)
{
  g_autofree char *copy = g_strndup (text, len);
  const char *end = strstr (copy, "\r\n\r\n");
  g_auto(GStrv) lines = NULL;
  gint64 found = -1;
  guint n = 0;

  g_assert_nonnull (end);
  copy[end - copy] = '\0';
  lines = g_strsplit (copy, "\r\n", -1);
  for (guint i = 1; lines[i]; i++)
    {
      char *colon = strchr (lines[i], ':');
      g_autofree char *name = NULL;
      if (colon == NULL)
        continue;
      name = g_strstrip (g_strndup (lines[i], colon - lines[i]));
      if (g_ascii_strcasecmp (name, "Content-Length") == 0 || g_ascii_strcasecmp (name, "l") == 0)
        {
          found = g_ascii_strtoll (colon + 1, NULL, 10);
          n++;
        }
    }
  g_assert_cmpuint (n, ==, 1);
  return found;
}

static BellSipMsg *
new_invite (void)
{
  g_autoptr(GError) error = NULL;
  BellSipMsg *msg = bell_sip_msg_new_request (BELL_SIP_METHOD_INVITE, NULL,
                                              "sip:bob@biloxi.example.com", &error);

  g_assert_no_error (error);
  g_assert_nonnull (msg);
  add_ok (msg, "Via", "SIP/2.0/UDP pc33.atlanta.example.com:5066;branch=z9hG4bK776asdhds;rport");
  add_ok (msg, "Max-Forwards", "70");
  add_ok (msg, "To", "Bob <sip:bob@biloxi.example.com>");
  add_ok (msg, "From", "\"Alice Liddell\" <sip:alice@atlanta.example.com>;tag=1928301774");
  add_ok (msg, "Call-ID", "a84b4c76e66710@pc33.atlanta.example.com");
  add_ok (msg, "CSeq", "314159 INVITE");
  add_ok (msg, "Contact", "<sip:alice@pc33.atlanta.example.com:5066>");
  return msg;
}

static const char sdp[] =
  "v=0\r\n"
  "o=alice 2890844526 2890844526 IN IP4 pc33.atlanta.example.com\r\n"
  "s=-\r\n"
  "c=IN IP4 192.0.2.101\r\n"
  "t=0 0\r\n"
  "m=audio 49172 RTP/AVP 0\r\n"
  "a=rtpmap:0 PCMU/8000\r\n";

/* ------------------------------------------------------------------------------------------ */

static void
test_request (void)
{
  g_autoptr(BellSipMsg) msg = new_invite ();
  g_autoptr(BellSipMsg) back = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  const BellSipUri *ruri;
  const BellSipVia *via;
  const char *text;
  gsize len, blen;
  const char *body;

  g_assert_true (bell_sip_msg_is_request (msg));
  g_assert_cmpint (bell_sip_msg_get_method (msg), ==, BELL_SIP_METHOD_INVITE);
  assert_str_eq (bell_sip_msg_get_method_str (msg), "INVITE");
  ruri = bell_sip_msg_get_request_uri (msg);
  g_assert_nonnull (ruri);
  assert_str_eq (ruri->host, "biloxi.example.com");
  /* Known headers are typed as soon as they are added. */
  assert_str_eq (bell_sip_msg_get_via (msg)->branch, "z9hG4bK776asdhds");
  assert_str_eq (bell_sip_msg_get_from (msg)->tag, "1928301774");
  g_assert_cmpuint (bell_sip_msg_get_cseq (msg)->seq, ==, 314159);
  g_assert_cmpuint (bell_sip_msg_find (msg, BELL_SIP_HDR_CSEQ)->line, ==, 0);

  g_assert_true (bell_sip_msg_add_headerf (msg, "User-Agent", &error, "Bellbird/%s (%d)", "test", 42));
  g_assert_no_error (error);
  bell_sip_msg_set_body (msg, "application/sdp", sdp, strlen (sdp));

  back = reparse (msg, &bytes);
  text = g_bytes_get_data (bytes, &len);
  g_assert_true (g_str_has_prefix (text, "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"));
  g_assert_cmpint (printed_content_length (text, len), ==, strlen (sdp));

  g_assert_cmpint (bell_sip_msg_get_method (back), ==, BELL_SIP_METHOD_INVITE);
  via = bell_sip_msg_get_via (back);
  assert_str_eq (via->transport, "UDP");
  assert_str_eq (via->host, "pc33.atlanta.example.com");
  g_assert_cmpuint (via->port, ==, 5066);
  g_assert_true (via->has_rport);
  assert_str_eq (bell_sip_msg_get_to (back)->display, "Bob");
  assert_str_eq (bell_sip_msg_get_from (back)->display, "\"Alice Liddell\"");
  assert_str_eq (bell_sip_msg_get_from (back)->tag, "1928301774");
  assert_str_eq (bell_sip_msg_get_call_id (back), "a84b4c76e66710@pc33.atlanta.example.com");
  g_assert_cmpuint (bell_sip_msg_get_cseq (back)->seq, ==, 314159);
  g_assert_cmpint (bell_sip_msg_get_cseq (back)->method, ==, BELL_SIP_METHOD_INVITE);
  g_assert_cmpuint (get_number (back, BELL_SIP_HDR_MAX_FORWARDS), ==, 70);
  assert_str_eq (bell_sip_msg_get_contact (back)->uri.host, "pc33.atlanta.example.com");
  assert_str_eq (bell_sip_msg_find (back, BELL_SIP_HDR_USER_AGENT)->value, "Bellbird/test (42)");
  assert_str_eq (bell_sip_msg_find (back, BELL_SIP_HDR_CONTENT_TYPE)->parsed.media_type->subtype, "sdp");
  g_assert_cmpuint (bell_sip_msg_count (back, BELL_SIP_HDR_CONTENT_TYPE), ==, 1);
  g_assert_cmpuint (get_number (back, BELL_SIP_HDR_CONTENT_LENGTH), ==, strlen (sdp));
  body = bell_sip_msg_peek_body (back, &blen);
  g_assert_cmpmem (body, blen, sdp, strlen (sdp));
  g_assert_cmpuint (bell_sip_msg_check (back, NULL), ==, 0);
}

static void
test_request_unknown_method (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) msg = bell_sip_msg_new_request (BELL_SIP_METHOD_UNKNOWN, "FOO",
                                                        "sip:bob@biloxi.example.com", &error);
  g_autoptr(BellSipMsg) back = NULL;
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (bell_sip_msg_get_method (msg), ==, BELL_SIP_METHOD_UNKNOWN);
  assert_str_eq (bell_sip_msg_get_method_str (msg), "FOO");
  add_ok (msg, "CSeq", "1 FOO");
  text = bell_sip_msg_to_string (msg, NULL);
  g_assert_true (g_str_has_prefix (text, "FOO sip:bob@biloxi.example.com SIP/2.0\r\n"));
  back = reparse (msg, NULL);
  assert_str_eq (bell_sip_msg_get_method_str (back), "FOO");
  assert_str_eq (bell_sip_msg_get_cseq (back)->method_str, "FOO");
}

static void
test_request_bad_uri (void)
{
  const char *bad[] = { "sip:bob@", "sip:2001:db8::10", "bob@biloxi.example.com", "sip:bob@[::1" };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(BellSipMsg) msg = bell_sip_msg_new_request (BELL_SIP_METHOD_OPTIONS, NULL, bad[i],
                                                            &error);
      g_test_message ("%s", bad[i]);
      g_assert_null (msg);
      g_assert_error (error, BELL_SIP_ERROR, BELL_SIP_ERROR_BAD_URI);
    }
}

static void
test_response_simple (void)
{
  g_autoptr(BellSipMsg) msg = bell_sip_msg_new_response (486, "Busy Here");
  g_autofree char *text = NULL;
  gsize len;

  g_assert_false (bell_sip_msg_is_request (msg));
  g_assert_cmpuint (bell_sip_msg_get_status (msg), ==, 486);
  assert_str_eq (bell_sip_msg_get_reason (msg), "Busy Here");
  text = bell_sip_msg_to_string (msg, &len);
  g_assert_true (g_str_has_prefix (text, "SIP/2.0 486 Busy Here\r\n"));
  g_assert_cmpint (printed_content_length (text, len), ==, 0);
  g_assert_true (g_str_has_suffix (text, "\r\n\r\n"));
}

/* ------------------------------------------------------------------------------------------ */
/* Responses to a request */

static const char request_text[] =
  "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
  "Via: SIP/2.0/UDP server10.biloxi.example.com;branch=z9hG4bK4b43c2ff8.1\r\n"
  "Via: SIP/2.0/UDP pc33.atlanta.example.com:5066;branch=z9hG4bK776asdhds;received=192.0.2.101;rport=5066\r\n"
  "Max-Forwards: 69\r\n"
  "Record-Route: <sip:server10.biloxi.example.com;lr>\r\n"
  "Record-Route: <sip:bigbox3.site3.atlanta.example.com;lr>\r\n"
  "To: Bob <sip:bob@biloxi.example.com>\r\n"
  "From: \"Alice Liddell\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
  "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
  "CSeq: 314159 INVITE\r\n"
  "Timestamp: 54\r\n"
  "Contact: <sip:alice@pc33.atlanta.example.com:5066>\r\n"
  "Subject: not copied\r\n"
  "Content-Type: application/sdp\r\n"
  "Content-Length: 4\r\n"
  "\r\n"
  "v=0\n";

static BellSipMsg *
parse_text (const char *text)
{
  g_autoptr(GError) error = NULL;
  BellSipMsg *msg = bell_sip_msg_parse (text, strlen (text), BELL_SIP_PARSE_DATAGRAM, &error);

  g_assert_no_error (error);
  g_assert_nonnull (msg);
  return msg;
}

static void
assert_copied (const BellSipMsg *req, const BellSipMsg *resp)
{
  const BellSipHeader *a = NULL, *b = NULL;
  guint n = 0;

  /* Every Via, in order. */
  g_assert_cmpuint (bell_sip_msg_count (resp, BELL_SIP_HDR_VIA), ==, bell_sip_msg_count (req, BELL_SIP_HDR_VIA));
  while ((a = bell_sip_msg_find_next (req, BELL_SIP_HDR_VIA, a)))
    {
      b = bell_sip_msg_find_next (resp, BELL_SIP_HDR_VIA, b);
      g_assert_nonnull (b);
      g_assert_true (bell_str_equal (a->parsed.via->branch, b->parsed.via->branch));
      g_assert_true (bell_str_equal (a->parsed.via->host, b->parsed.via->host));
      g_assert_true (bell_str_equal (a->parsed.via->received, b->parsed.via->received));
      g_assert_cmpuint (a->parsed.via->rport, ==, b->parsed.via->rport);
      n++;
    }
  g_assert_cmpuint (n, ==, 2);
  assert_str_eq (bell_sip_msg_get_from (resp)->tag, "1928301774");
  assert_str_eq (bell_sip_msg_get_from (resp)->uri.user, "alice");
  assert_str_eq (bell_sip_msg_get_to (resp)->uri.user, "bob");
  assert_str_eq (bell_sip_msg_get_to (resp)->display, "Bob");
  g_assert_true (bell_str_equal (bell_sip_msg_get_call_id (req), bell_sip_msg_get_call_id (resp)));
  g_assert_cmpuint (bell_sip_msg_get_cseq (resp)->seq, ==, bell_sip_msg_get_cseq (req)->seq);
  g_assert_cmpint (bell_sip_msg_get_cseq (resp)->method, ==, bell_sip_msg_get_cseq (req)->method);
  g_assert_nonnull (bell_sip_msg_find (resp, BELL_SIP_HDR_TIMESTAMP));
  g_assert_true (g_str_has_prefix (bell_sip_msg_find (resp, BELL_SIP_HDR_TIMESTAMP)->value.p, "54"));
  /* Nothing else of the request. */
  g_assert_null (bell_sip_msg_find (resp, BELL_SIP_HDR_SUBJECT));
  g_assert_null (bell_sip_msg_find (resp, BELL_SIP_HDR_MAX_FORWARDS));
  g_assert_null (bell_sip_msg_find (resp, BELL_SIP_HDR_CONTENT_TYPE));
  g_assert_null (bell_sip_msg_find (resp, BELL_SIP_HDR_CONTACT));
}

static void
assert_record_routes (const BellSipMsg *resp, gboolean expected)
{
  if (!expected)
    {
      g_assert_cmpuint (bell_sip_msg_count (resp, BELL_SIP_HDR_RECORD_ROUTE), ==, 0);
      return;
    }
  g_assert_cmpuint (bell_sip_msg_count (resp, BELL_SIP_HDR_RECORD_ROUTE), ==, 2);
  assert_str_eq (sip_test_nth_header (resp, BELL_SIP_HDR_RECORD_ROUTE, 0)->parsed.name_addr->uri.host,
                 "server10.biloxi.example.com");
  assert_str_eq (sip_test_nth_header (resp, BELL_SIP_HDR_RECORD_ROUTE, 1)->parsed.name_addr->uri.host,
                 "bigbox3.site3.atlanta.example.com");
}

static void
test_response_to (void)
{
  g_autoptr(BellSipMsg) req = parse_text (request_text);
  struct {
    guint       status;
    const char *reason;
    const char *to_tag;
    gboolean    rr;
  } cases[] = {
    { 100, "Trying", NULL, FALSE },
    { 180, "Ringing", "a6c85cf", TRUE },
    { 183, "Session Progress", "a6c85cf", TRUE },
    { 200, "OK", "a6c85cf", TRUE },
    { 302, "Moved Temporarily", "a6c85cf", FALSE },
    { 486, "Busy Here", "a6c85cf", FALSE },
    { 603, "Decline", "a6c85cf", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(BellSipMsg) resp = bell_sip_msg_new_response_to (req, cases[i].status,
                                                                 cases[i].reason, cases[i].to_tag);
      g_autoptr(BellSipMsg) back = NULL;
      gsize blen = 99;

      g_test_message ("%u %s", cases[i].status, cases[i].reason);
      g_assert_nonnull (resp);
      g_assert_false (bell_sip_msg_is_request (resp));
      g_assert_cmpuint (bell_sip_msg_get_status (resp), ==, cases[i].status);
      assert_str_eq (bell_sip_msg_get_reason (resp), cases[i].reason);
      assert_copied (req, resp);
      if (cases[i].to_tag)
        assert_str_eq (bell_sip_msg_get_to (resp)->tag, cases[i].to_tag);
      else
        assert_str_empty (bell_sip_msg_get_to (resp)->tag);
      assert_record_routes (resp, cases[i].rr);

      /* The same, as the peer receives it. */
      back = reparse (resp, NULL);
      assert_copied (req, back);
      assert_record_routes (back, cases[i].rr);
      if (cases[i].to_tag)
        assert_str_eq (bell_sip_msg_get_to (back)->tag, cases[i].to_tag);
      bell_sip_msg_peek_body (back, &blen);
      g_assert_cmpuint (blen, ==, 0);
      g_assert_cmpuint (get_number (back, BELL_SIP_HDR_CONTENT_LENGTH), ==, 0);
    }
}

static void
test_response_to_keeps_tag (void)
{
  /* A request inside a dialog: To has a tag already, which stays the only one. */
  g_autoptr(GString) s = g_string_new (request_text);
  g_autoptr(BellSipMsg) req = NULL;
  g_autoptr(BellSipMsg) resp = NULL;
  g_autoptr(BellSipMsg) back = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint to_lines = 0;

  g_string_replace (s, "To: Bob <sip:bob@biloxi.example.com>", "To: Bob <sip:bob@biloxi.example.com>;tag=orig", 1);
  req = parse_text (s->str);
  assert_str_eq (bell_sip_msg_get_to (req)->tag, "orig");
  resp = bell_sip_msg_new_response_to (req, 200, "OK", "newtag");
  assert_str_eq (bell_sip_msg_get_to (resp)->tag, "orig");
  back = reparse (resp, NULL);
  assert_str_eq (bell_sip_msg_get_to (back)->tag, "orig");

  text = bell_sip_msg_to_string (resp, NULL);
  g_assert_null (strstr (text, "newtag"));
  lines = g_strsplit (text, "\r\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (g_str_has_prefix (lines[i], "To:") || g_str_has_prefix (lines[i], "t:"))
      {
        const char *tag = strstr (lines[i], "tag=");
        to_lines++;
        g_assert_nonnull (tag);
        g_assert_null (strstr (tag + 4, "tag="));
      }
  g_assert_cmpuint (to_lines, ==, 1);
}

static void
test_response_to_non_invite (void)
{
  /* Record-Route is copied only into responses that make a dialog (INVITE here). */
  g_autoptr(GString) s = g_string_new (request_text);
  g_autoptr(BellSipMsg) req = NULL;
  g_autoptr(BellSipMsg) resp = NULL;

  g_string_replace (s, "INVITE", "OPTIONS", 0);
  req = parse_text (s->str);
  g_assert_cmpint (bell_sip_msg_get_method (req), ==, BELL_SIP_METHOD_OPTIONS);
  resp = bell_sip_msg_new_response_to (req, 200, "OK", "x1");
  g_assert_cmpuint (bell_sip_msg_count (resp, BELL_SIP_HDR_RECORD_ROUTE), ==, 0);
  g_assert_cmpint (bell_sip_msg_get_cseq (resp)->method, ==, BELL_SIP_METHOD_OPTIONS);
  g_assert_cmpint (bell_sip_msg_get_method (resp), ==, BELL_SIP_METHOD_OPTIONS);
}

static void
test_response_to_no_timestamp (void)
{
  g_autoptr(GString) s = g_string_new (request_text);
  g_autoptr(BellSipMsg) req = NULL;
  g_autoptr(BellSipMsg) resp = NULL;

  g_string_replace (s, "Timestamp: 54\r\n", "", 1);
  req = parse_text (s->str);
  resp = bell_sip_msg_new_response_to (req, 180, "Ringing", "t");
  g_assert_null (bell_sip_msg_find (resp, BELL_SIP_HDR_TIMESTAMP));
}

/* ------------------------------------------------------------------------------------------ */
/* Editing */

static void
test_prepend_remove_via (void)
{
  g_autoptr(BellSipMsg) msg = new_invite ();
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) back = NULL;
  guint n = bell_sip_msg_get_n_headers (msg);

  g_assert_true (bell_sip_msg_prepend_header (msg, "Via",
                                              "SIP/2.0/TCP proxy.example.com;branch=z9hG4bKtop",
                                              &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bell_sip_msg_get_n_headers (msg), ==, n + 1);
  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_VIA), ==, 2);
  assert_str_eq (bell_sip_msg_get_via (msg)->branch, "z9hG4bKtop");
  assert_str_eq (bell_sip_msg_get_via (msg)->transport, "TCP");
  assert_str_eq (sip_test_nth_header (msg, BELL_SIP_HDR_VIA, 1)->parsed.via->branch, "z9hG4bK776asdhds");
  /* Before the first one of its kind: the first header in order is the new Via. */
  g_assert_cmpint (bell_sip_msg_get_header_at (msg, 0)->id, ==, BELL_SIP_HDR_VIA);
  assert_str_eq (bell_sip_msg_get_header_at (msg, 0)->parsed.via->branch, "z9hG4bKtop");

  back = reparse (msg, NULL);
  assert_str_eq (bell_sip_msg_get_via (back)->branch, "z9hG4bKtop");
  assert_str_eq (sip_test_nth_header (back, BELL_SIP_HDR_VIA, 1)->parsed.via->branch, "z9hG4bK776asdhds");

  g_assert_true (bell_sip_msg_remove_first (msg, BELL_SIP_HDR_VIA));
  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_VIA), ==, 1);
  assert_str_eq (bell_sip_msg_get_via (msg)->branch, "z9hG4bK776asdhds");
  g_assert_cmpuint (bell_sip_msg_get_n_headers (msg), ==, n);

  g_assert_false (bell_sip_msg_remove_first (msg, BELL_SIP_HDR_RECORD_ROUTE));
  g_assert_cmpuint (bell_sip_msg_get_n_headers (msg), ==, n);
}

static void
test_prepend_in_place (void)
{
  /* Prepending a Route puts it before the existing Routes, not at the top of the message. */
  g_autoptr(BellSipMsg) msg = new_invite ();
  g_autoptr(GError) error = NULL;
  const BellSipHeader *first;

  add_ok (msg, "Route", "<sip:p2.example.com;lr>");
  g_assert_true (bell_sip_msg_prepend_header (msg, "Route", "<sip:p1.example.com;lr>", &error));
  g_assert_no_error (error);
  first = bell_sip_msg_find (msg, BELL_SIP_HDR_ROUTE);
  assert_str_eq (first->parsed.name_addr->uri.host, "p1.example.com");
  assert_str_eq (sip_test_nth_header (msg, BELL_SIP_HDR_ROUTE, 1)->parsed.name_addr->uri.host, "p2.example.com");
  /* The Via is still the first header. */
  g_assert_cmpint (bell_sip_msg_get_header_at (msg, 0)->id, ==, BELL_SIP_HDR_VIA);
}

static void
test_remove_headers (void)
{
  g_autoptr(BellSipMsg) msg = new_invite ();
  g_autofree char *text = NULL;
  guint n = bell_sip_msg_get_n_headers (msg);

  add_ok (msg, "X-Foo", "1");
  add_ok (msg, "X-Bar", "2");
  add_ok (msg, "x-foo", "3");
  g_assert_cmpuint (bell_sip_msg_remove_headers (msg, BELL_SIP_HDR_OTHER, "X-FOO"), ==, 2);
  g_assert_null (bell_sip_msg_find_by_name (msg, "X-Foo"));
  g_assert_nonnull (bell_sip_msg_find_by_name (msg, "X-Bar"));
  g_assert_cmpuint (bell_sip_msg_get_n_headers (msg), ==, n + 1);
  g_assert_cmpuint (bell_sip_msg_remove_headers (msg, BELL_SIP_HDR_CONTACT, NULL), ==, 1);
  g_assert_null (bell_sip_msg_get_contact (msg));
  g_assert_cmpuint (bell_sip_msg_remove_headers (msg, BELL_SIP_HDR_CONTACT, NULL), ==, 0);
  text = bell_sip_msg_to_string (msg, NULL);
  g_assert_null (strstr (text, "X-Foo"));
  g_assert_null (strstr (text, "x-foo"));
  g_assert_null (strstr (text, "Contact"));
  g_assert_nonnull (strstr (text, "X-Bar: 2\r\n"));
}

static void
test_add_invalid (void)
{
  struct {
    const char *name;
    const char *value;
  } bad[] = {
    { "CSeq", "abc" },
    { "CSeq", "1" },
    { "CSeq", "99999999999 INVITE" },
    { "Via", "garbage" },
    { "Via", "SIP/2.0/UDP" },
    { "Max-Forwards", "-1" },
    { "Max-Forwards", "seventy" },
    { "Contact", "<sip:alice@>" },
    { "From", "sip:alice@[::1" },
    { "To", "\"unterminated <sip:bob@biloxi.example.com>" },
    { "Content-Length", "abc" },
    { "Expires", "soon" },
    { "Route", "sip:2001:db8::10" },
  };
  g_autoptr(BellSipMsg) msg = new_invite ();
  g_autofree char *before = NULL;
  gsize before_len;
  guint n;

  bell_sip_msg_set_body (msg, "application/sdp", sdp, strlen (sdp));
  n = bell_sip_msg_get_n_headers (msg);
  before = bell_sip_msg_to_string (msg, &before_len);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) error2 = NULL;
      g_autofree char *after = NULL;
      gsize after_len;

      g_test_message ("%s: %s", bad[i].name, bad[i].value);
      g_assert_false (bell_sip_msg_add_header (msg, bad[i].name, bad[i].value, &error));
      g_assert_nonnull (error);
      g_assert_true (error->domain == BELL_SIP_ERROR);
      g_assert_cmpstr (error->message, !=, "");
      g_assert_false (bell_sip_msg_prepend_header (msg, bad[i].name, bad[i].value, &error2));
      g_assert_nonnull (error2);

      /* The message is as it was. */
      g_assert_cmpuint (bell_sip_msg_get_n_headers (msg), ==, n);
      after = bell_sip_msg_to_string (msg, &after_len);
      g_assert_cmpmem (after, after_len, before, before_len);
    }
  g_assert_cmpuint (bell_sip_msg_get_cseq (msg)->seq, ==, 314159);
}

static void
test_add_injection (void)
{
  /* A value cannot smuggle a header (or end the header section) into the printed message. */
  const char *values[] = { "hi\r\nVia: SIP/2.0/UDP evil.example.com", "hi\r\n\r\nINVITE", "a\nb", "a\rb" };

  for (gsize i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autoptr(BellSipMsg) msg = new_invite ();
      g_autoptr(GError) error = NULL;

      if (bell_sip_msg_add_header (msg, "Subject", values[i], &error))
        {
          g_autoptr(BellSipMsg) back = reparse (msg, NULL);
          g_assert_cmpuint (bell_sip_msg_count (back, BELL_SIP_HDR_VIA), ==, 1);
          g_assert_cmpuint (bell_sip_msg_count (back, BELL_SIP_HDR_SUBJECT), ==, 1);
          g_assert_cmpuint (bell_sip_msg_count (back, BELL_SIP_HDR_OTHER), ==, 0);
          g_assert_nonnull (bell_sip_msg_get_contact (back));
        }
      else
        g_assert_nonnull (error);
    }
}

static void
test_add_list (void)
{
  g_autoptr(BellSipMsg) msg = new_invite ();
  g_autoptr(BellSipMsg) back = NULL;

  add_ok (msg, "Allow", "INVITE, ACK, CANCEL, BYE");
  add_ok (msg, "Supported", "replaces,timer");
  add_ok (msg, "Contact", "<sip:alice@192.0.2.1>;expires=60, <sip:alice@192.0.2.2>;q=0.5");
  g_assert_true (bell_sip_msg_has_token (msg, BELL_SIP_HDR_ALLOW, "BYE"));
  g_assert_false (bell_sip_msg_has_token (msg, BELL_SIP_HDR_ALLOW, "REFER"));
  g_assert_true (bell_sip_msg_has_token (msg, BELL_SIP_HDR_SUPPORTED, "timer"));
  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_CONTACT), ==, 3);
  g_assert_cmpint (sip_test_nth_header (msg, BELL_SIP_HDR_CONTACT, 1)->parsed.name_addr->expires, ==, 60);
  g_assert_cmpint (sip_test_nth_header (msg, BELL_SIP_HDR_CONTACT, 2)->parsed.name_addr->q1000, ==, 500);

  back = reparse (msg, NULL);
  g_assert_true (bell_sip_msg_has_token (back, BELL_SIP_HDR_ALLOW, "CANCEL"));
  g_assert_cmpuint (bell_sip_msg_count (back, BELL_SIP_HDR_CONTACT), ==, 3);
  g_assert_cmpint (sip_test_nth_header (back, BELL_SIP_HDR_CONTACT, 2)->parsed.name_addr->q1000, ==, 500);
}

/* bell-sip-header.h: a token list added in one call is one header, read token by token. */
static void
test_add_token_list (void)
{
  g_autoptr(BellSipMsg) msg = new_invite ();
  g_autoptr(BellSipMsg) back = NULL;
  GString *tokens = g_string_new (NULL);
  BellStr rest, token;

  add_ok (msg, "Allow", "INVITE, ACK, CANCEL, BYE");
  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_ALLOW), ==, 1);
  back = reparse (msg, NULL);
  g_assert_cmpuint (bell_sip_msg_count (back, BELL_SIP_HDR_ALLOW), ==, 1);
  rest = bell_sip_msg_find (back, BELL_SIP_HDR_ALLOW)->value;
  while (bell_sip_token_list_next (&rest, &token))
    g_string_append_printf (tokens, "%.*s;", BELL_STR_PRINTF (token));
  g_assert_cmpstr (tokens->str, ==, "INVITE;ACK;CANCEL;BYE;");
  g_string_free (tokens, TRUE);
}

static void
test_content_length_follows_body (void)
{
  g_autoptr(BellSipMsg) msg = new_invite ();
  guchar bin[300];
  g_autofree char *t0 = NULL;
  gsize len;

  /* No body: Content-Length: 0 all the same. */
  t0 = bell_sip_msg_to_string (msg, &len);
  g_assert_cmpint (printed_content_length (t0, len), ==, 0);
  g_assert_true (g_str_has_suffix (t0, "\r\n\r\n"));

  for (guint i = 0; i < sizeof bin; i++)
    bin[i] = (guchar) (i * 7);  /* NULs, CR, LF and high bytes included */
  bell_sip_msg_set_body (msg, "application/octet-stream", bin, sizeof bin);
  {
    g_autoptr(GBytes) bytes = NULL;
    g_autoptr(BellSipMsg) back = reparse (msg, &bytes);
    const char *text = g_bytes_get_data (bytes, &len);
    gsize blen;
    const char *b = bell_sip_msg_peek_body (back, &blen);

    g_assert_cmpint (printed_content_length (text, len), ==, sizeof bin);
    g_assert_cmpmem (b, blen, bin, sizeof bin);
    g_assert_cmpmem (text + len - sizeof bin, sizeof bin, bin, sizeof bin);
    assert_str_eq (bell_sip_msg_find (back, BELL_SIP_HDR_CONTENT_TYPE)->parsed.media_type->subtype,
                   "octet-stream");
  }

  /* Replacing the body replaces Content-Type and Content-Length too. */
  bell_sip_msg_set_body (msg, "text/plain", "hello", 5);
  {
    g_autoptr(GBytes) bytes = NULL;
    g_autoptr(BellSipMsg) back = reparse (msg, &bytes);
    const char *text = g_bytes_get_data (bytes, &len);

    g_assert_cmpint (printed_content_length (text, len), ==, 5);
    g_assert_cmpuint (bell_sip_msg_count (back, BELL_SIP_HDR_CONTENT_TYPE), ==, 1);
    assert_str_eq (bell_sip_msg_find (back, BELL_SIP_HDR_CONTENT_TYPE)->parsed.media_type->type, "text");
    g_assert_true (g_str_has_suffix (text, "\r\n\r\nhello"));
  }

  /* No content type: the body and its Content-Type go. */
  bell_sip_msg_set_body (msg, NULL, NULL, 0);
  {
    g_autoptr(GBytes) bytes = NULL;
    g_autoptr(BellSipMsg) back = reparse (msg, &bytes);
    const char *text = g_bytes_get_data (bytes, &len);

    g_assert_cmpint (printed_content_length (text, len), ==, 0);
    g_assert_null (bell_sip_msg_find (back, BELL_SIP_HDR_CONTENT_TYPE));
    g_assert_null (bell_sip_msg_find (msg, BELL_SIP_HDR_CONTENT_TYPE));
  }
}

static void
test_content_length_added_by_hand (void)
{
  /* A Content-Length added by hand does not win over the body. */
  g_autoptr(BellSipMsg) msg = new_invite ();
  g_autoptr(GError) error = NULL;

  bell_sip_msg_set_body (msg, "text/plain", "hello", 5);
  if (bell_sip_msg_add_header (msg, "Content-Length", "999", &error))
    {
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(BellSipMsg) back = reparse (msg, &bytes);
      gsize len;
      const char *text = g_bytes_get_data (bytes, &len);

      g_assert_cmpint (printed_content_length (text, len), ==, 5);
      g_assert_cmpuint (get_number (back, BELL_SIP_HDR_CONTENT_LENGTH), ==, 5);
    }
  else
    g_assert_nonnull (error);
}

static void
test_parsed_then_edited (void)
{
  /* A parsed message can be edited like a built one (a proxy adding its Via). */
  g_autoptr(BellSipMsg) req = parse_text (request_text);
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) back = NULL;
  gsize blen;

  g_assert_true (bell_sip_msg_prepend_header (req, "Via", "SIP/2.0/UDP p.example.com;branch=z9hG4bKp", &error));
  g_assert_no_error (error);
  g_assert_true (bell_sip_msg_remove_first (req, BELL_SIP_HDR_RECORD_ROUTE));
  back = reparse (req, NULL);
  g_assert_cmpuint (bell_sip_msg_count (back, BELL_SIP_HDR_VIA), ==, 3);
  assert_str_eq (bell_sip_msg_get_via (back)->branch, "z9hG4bKp");
  g_assert_cmpuint (bell_sip_msg_count (back, BELL_SIP_HDR_RECORD_ROUTE), ==, 1);
  assert_str_eq (bell_sip_msg_find (back, BELL_SIP_HDR_RECORD_ROUTE)->parsed.name_addr->uri.host,
                 "bigbox3.site3.atlanta.example.com");
  g_assert_cmpmem (bell_sip_msg_peek_body (back, &blen), blen, "v=0\n", 4);
}

static const char via_oneline_text[] =
  "MESSAGE sip:bob@biloxi.example.com SIP/2.0\r\n"
  "Via: SIP/2.0/TCP proxy2.example.com:5061;branch=z9hG4bKp2.1, SIP/2.0/UDP 224.2.0.1;branch=z9hG4bKmc1 ,SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKws1\r\n"
  "Max-Forwards: 69\r\n"
  "To: <sip:bob@biloxi.example.com>\r\n"
  "From: <sip:alice@atlanta.example.com>;tag=49583\r\n"
  "Call-ID: asd88asd77a@1.2.3.4\r\n"
  "CSeq: 1 MESSAGE\r\n"
  "Content-Type: text/plain\r\n"
  "Content-Length: 18\r\n"
  "\r\n"
  "Watson, come here.";

static void
test_edit_joined_list (void)
{
  /* Removing the first element of a one-line list leaves a valid list behind. */
  g_autoptr(BellSipMsg) msg = parse_text (via_oneline_text);
  g_autoptr(BellSipMsg) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  g_assert_true (bell_sip_msg_remove_first (msg, BELL_SIP_HDR_VIA));
  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_VIA), ==, 2);
  g_assert_false (bell_sip_msg_find (msg, BELL_SIP_HDR_VIA)->joined);
  text = bell_sip_msg_to_string (msg, NULL);
  g_assert_nonnull (strstr (text, "\r\nVia: SIP/2.0/UDP 224.2.0.1;branch=z9hG4bKmc1"));
  back = reparse (msg, NULL);
  g_assert_cmpuint (bell_sip_msg_count (back, BELL_SIP_HDR_VIA), ==, 2);
  assert_str_eq (bell_sip_msg_get_via (back)->branch, "z9hG4bKmc1");
  assert_str_eq (sip_test_nth_header (back, BELL_SIP_HDR_VIA, 1)->parsed.via->branch, "z9hG4bKws1");

  /* A proxy's Via goes on top of the joined ones. */
  g_assert_true (bell_sip_msg_prepend_header (msg, "Via", "SIP/2.0/UDP p.example.com;branch=z9hG4bKnew", &error));
  g_assert_no_error (error);
  g_clear_pointer (&back, bell_sip_msg_unref);
  back = reparse (msg, NULL);
  g_assert_cmpuint (bell_sip_msg_count (back, BELL_SIP_HDR_VIA), ==, 3);
  assert_str_eq (bell_sip_msg_get_via (back)->branch, "z9hG4bKnew");
  assert_str_eq (sip_test_nth_header (back, BELL_SIP_HDR_VIA, 1)->parsed.via->branch, "z9hG4bKmc1");
  assert_str_eq (sip_test_nth_header (back, BELL_SIP_HDR_VIA, 2)->parsed.via->branch, "z9hG4bKws1");

  /* And all of them can go. */
  g_assert_cmpuint (bell_sip_msg_remove_headers (msg, BELL_SIP_HDR_VIA, NULL), ==, 3);
  g_clear_pointer (&back, bell_sip_msg_unref);
  back = reparse (msg, NULL);
  g_assert_cmpuint (bell_sip_msg_count (back, BELL_SIP_HDR_VIA), ==, 0);
  assert_str_eq (bell_sip_msg_get_call_id (back), "asd88asd77a@1.2.3.4");
}

static void
test_edit_parsed_body (void)
{
  /* A parsed message given a new body says the new length, once. */
  g_autoptr(BellSipMsg) msg = parse_text (via_oneline_text);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(BellSipMsg) back = NULL;
  const char *text;
  gsize len, blen;
  const char *b;

  bell_sip_msg_set_body (msg, "text/html", "<b>x</b>", 8);
  back = reparse (msg, &bytes);
  text = g_bytes_get_data (bytes, &len);
  g_assert_cmpint (printed_content_length (text, len), ==, 8);
  b = bell_sip_msg_peek_body (back, &blen);
  g_assert_cmpmem (b, blen, "<b>x</b>", 8);
  g_assert_cmpuint (bell_sip_msg_count (back, BELL_SIP_HDR_CONTENT_TYPE), ==, 1);
  assert_str_eq (bell_sip_msg_find (back, BELL_SIP_HDR_CONTENT_TYPE)->parsed.media_type->subtype, "html");
}

static void
test_response_to_compact (void)
{
  /* A request in compact form gets a response whose values are the same. */
  const char *req_text =
    "OPTIONS sip:bob@biloxi.example.com SIP/2.0\r\n"
    "v: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKc1;rport\r\n"
    "f: <sip:alice@atlanta.example.com>;tag=77\r\n"
    "t: sip:bob@biloxi.example.com\r\n"
    "i: compact@atlanta.example.com\r\n"
    "CSeq: 5 OPTIONS\r\n"
    "l: 0\r\n"
    "\r\n";
  g_autoptr(BellSipMsg) req = parse_text (req_text);
  g_autoptr(BellSipMsg) resp = bell_sip_msg_new_response_to (req, 200, "OK", "bobtag");
  g_autoptr(BellSipMsg) back = reparse (resp, NULL);

  assert_str_eq (bell_sip_msg_get_via (back)->branch, "z9hG4bKc1");
  g_assert_true (bell_sip_msg_get_via (back)->has_rport);
  assert_str_eq (bell_sip_msg_get_from (back)->tag, "77");
  assert_str_eq (bell_sip_msg_get_to (back)->tag, "bobtag");
  assert_str_eq (bell_sip_msg_get_to (back)->uri.host, "biloxi.example.com");
  assert_str_eq (bell_sip_msg_get_call_id (back), "compact@atlanta.example.com");
  g_assert_cmpuint (bell_sip_msg_get_cseq (back)->seq, ==, 5);
  g_assert_cmpuint (bell_sip_msg_check (back, NULL), ==, 0);
}

static void
test_response_to_nul_display (void)
{
  /* RFC 4475 §3.1.1.2: a quoted display name may hold an escaped NUL; the response copies it
   * byte for byte (and does not abort). */
  static const char req_text[] =
    "OPTIONS sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnul\r\n"
    "To: \"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f\" <sip:bob@biloxi.example.com>\r\n"
    "From: \"x\\\x00y\" <sip:alice@atlanta.example.com>;tag=nul\r\n"
    "Call-ID: nul@atlanta.example.com\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "Max-Forwards: 70\r\n"
    "Content-Length: 0\r\n"
    "\r\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) req = bell_sip_msg_parse (req_text, sizeof req_text - 1,
                                                  BELL_SIP_PARSE_DATAGRAM, &error);
  g_autoptr(BellSipMsg) resp = NULL;
  g_autoptr(BellSipMsg) back = NULL;
  BellStr to_display, from_display;

  g_assert_no_error (error);
  to_display = bell_sip_msg_get_to (req)->display;
  from_display = bell_sip_msg_get_from (req)->display;
  g_assert_cmpuint (to_display.len, ==, 22);
  g_assert_cmpuint (from_display.len, ==, 6);

  resp = bell_sip_msg_new_response_to (req, 200, "OK", "t1");
  g_assert_nonnull (resp);
  g_assert_cmpmem (bell_sip_msg_get_to (resp)->display.p, bell_sip_msg_get_to (resp)->display.len,
                   to_display.p, to_display.len);
  assert_str_eq (bell_sip_msg_get_to (resp)->tag, "t1");
  back = reparse (resp, NULL);
  g_assert_cmpmem (bell_sip_msg_get_to (back)->display.p, bell_sip_msg_get_to (back)->display.len,
                   to_display.p, to_display.len);
  g_assert_cmpmem (bell_sip_msg_get_from (back)->display.p,
                   bell_sip_msg_get_from (back)->display.len, from_display.p, from_display.len);
  assert_str_eq (bell_sip_msg_get_from (back)->tag, "nul");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sip/build/request", test_request);
  g_test_add_func ("/sip/build/request-unknown-method", test_request_unknown_method);
  g_test_add_func ("/sip/build/request-bad-uri", test_request_bad_uri);
  g_test_add_func ("/sip/build/response", test_response_simple);
  g_test_add_func ("/sip/build/response-to", test_response_to);
  g_test_add_func ("/sip/build/response-to-keeps-tag", test_response_to_keeps_tag);
  g_test_add_func ("/sip/build/response-to-non-invite", test_response_to_non_invite);
  g_test_add_func ("/sip/build/response-to-no-timestamp", test_response_to_no_timestamp);
  g_test_add_func ("/sip/build/prepend-remove-via", test_prepend_remove_via);
  g_test_add_func ("/sip/build/prepend-in-place", test_prepend_in_place);
  g_test_add_func ("/sip/build/remove-headers", test_remove_headers);
  g_test_add_func ("/sip/build/add-invalid", test_add_invalid);
  g_test_add_func ("/sip/build/add-injection", test_add_injection);
  g_test_add_func ("/sip/build/add-list", test_add_list);
  g_test_add_func ("/sip/build/add-token-list", test_add_token_list);
  g_test_add_func ("/sip/build/content-length", test_content_length_follows_body);
  g_test_add_func ("/sip/build/content-length-by-hand", test_content_length_added_by_hand);
  g_test_add_func ("/sip/build/parsed-then-edited", test_parsed_then_edited);
  g_test_add_func ("/sip/build/edit-joined-list", test_edit_joined_list);
  g_test_add_func ("/sip/build/edit-parsed-body", test_edit_parsed_body);
  g_test_add_func ("/sip/build/response-to-compact", test_response_to_compact);
  g_test_add_func ("/sip/build/response-to-nul-display", test_response_to_nul_display);

  return g_test_run ();
}
