/* test-conformance.c: the RFC 4475 and RFC 5118 torture messages, through the parser and the CLI.
 *
 * The corpus lives outside the tree (BELL_CORPUS_DIR); its MANIFEST.tsv files say what each
 * message must do (see corpus/README.md). Each file is one test case, plus the values the RFC
 * text calls out for it.
 */
#include <string.h>

#include <gio/gio.h>
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

#define assert_str_mem(s, data_, len_)                                                  \
  G_STMT_START {                                                                        \
    BellStr _s = (s);                                                                   \
    g_assert_cmpmem (_s.p, _s.len, (data_), (len_));                                    \
  } G_STMT_END

typedef struct
{
  char *suite;        /* "rfc4475", "rfc5118" */
  char *name;         /* file name without .dat */
  char *path;
  char *expectation;  /* parse-ok, must-reject, parse-ok-but-app-reject, lenient-ok, unreferenced */
} Case;

static GPtrArray *cases;

static void
case_free (gpointer p)
{
  Case *c = p;

  g_free (c->suite);
  g_free (c->name);
  g_free (c->path);
  g_free (c->expectation);
  g_free (c);
}

/* ------------------------------------------------------------------------------------------ */
/* helpers */

static GBytes *
load (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, &error))
    g_error ("%s", error->message);
  return g_bytes_new_take (contents, len);
}

static BellSipMsg *
parse_bytes (GBytes *bytes, GError **error)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  return bell_sip_msg_parse (data, len, BELL_SIP_PARSE_DATAGRAM, error);
}

static BellSipMsg *
parse_ok (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  BellSipMsg *msg = parse_bytes (bytes, &error);

  if (msg == NULL)
    g_error ("parse failed: %s", error ? error->message : "(no GError)");
  g_assert_no_error (error);
  return msg;
}

/* The part of a file after the first empty line. */
static BellStr
file_body (GBytes *bytes)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  const char *end = g_strstr_len (data, len, "\r\n\r\n");

  g_assert_nonnull (end);
  end += 4;
  return (BellStr){ end, len - (end - data) };
}

/* The bytes of a file between the first `after` and the following `until`. */
static BellStr
file_slice (GBytes *bytes, const char *after, const char *until)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);
  const char *a = NULL, *b;

  for (gsize i = 0; i + strlen (after) <= len; i++)
    if (memcmp (data + i, after, strlen (after)) == 0)
      {
        a = data + i + strlen (after);
        break;
      }
  g_assert_nonnull (a);
  for (b = a; b + strlen (until) <= data + len; b++)
    if (memcmp (b, until, strlen (until)) == 0)
      return (BellStr){ a, b - a };
  g_assert_not_reached ();
}

static BellSipUri *
uri (const char *text)
{
  g_autoptr(GError) error = NULL;
  BellSipUri *u = bell_sip_uri_new (text, &error);

  g_assert_no_error (error);
  return u;
}

static guint
n_headers_without_cl (const BellSipMsg *msg)
{
  return bell_sip_msg_get_n_headers (msg) - bell_sip_msg_count (msg, BELL_SIP_HDR_CONTENT_LENGTH);
}

/* Print, parse the output again: the same message. */
static void
assert_round_trip (const BellSipMsg *msg)
{
  gsize len = 0, la, lb;
  g_autofree char *text = bell_sip_msg_to_string (msg, &len);
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) again = NULL;
  const char *ba, *bb;
  guint64 cl;

  g_assert_nonnull (text);
  again = bell_sip_msg_parse (text, len, BELL_SIP_PARSE_STREAM, &error);
  if (again == NULL)
    g_error ("printed message does not parse again: %s\n%s", error->message, text);
  g_assert_true (bell_sip_msg_is_request (msg) == bell_sip_msg_is_request (again));
  if (bell_sip_msg_is_request (msg))
    {
      g_assert_cmpint (bell_sip_msg_get_method (msg), ==, bell_sip_msg_get_method (again));
      g_assert_true (bell_str_equal (bell_sip_msg_get_method_str (msg),
                                     bell_sip_msg_get_method_str (again)));
    }
  else
    {
      g_assert_cmpuint (bell_sip_msg_get_status (msg), ==, bell_sip_msg_get_status (again));
      g_assert_true (bell_str_equal (bell_sip_msg_get_reason (msg), bell_sip_msg_get_reason (again)));
    }
  /* Content-Length is printed from the body, so it may have been added (inv2543). */
  g_assert_cmpuint (n_headers_without_cl (msg), ==, n_headers_without_cl (again));
  g_assert_true (bell_str_equal (bell_sip_msg_get_call_id (msg), bell_sip_msg_get_call_id (again)));
  for (guint i = 0, j = 0; i < bell_sip_msg_get_n_headers (msg); i++)
    {
      const BellSipHeader *a = bell_sip_msg_get_header_at (msg, i), *b;
      if (a->id == BELL_SIP_HDR_CONTENT_LENGTH)
        continue;
      while ((b = bell_sip_msg_get_header_at (again, j++))->id == BELL_SIP_HDR_CONTENT_LENGTH)
        ;
      g_assert_cmpint (a->id, ==, b->id);
    }
  ba = bell_sip_msg_peek_body (msg, &la);
  bb = bell_sip_msg_peek_body (again, &lb);
  g_assert_cmpmem (ba, la, bb, lb);
  /* Printed with one Content-Length, the body's. */
  g_assert_cmpuint (bell_sip_msg_count (again, BELL_SIP_HDR_CONTENT_LENGTH), ==, 1);
  g_assert_true (bell_sip_msg_get_number (again, BELL_SIP_HDR_CONTENT_LENGTH, &cl));
  g_assert_cmpuint (cl, ==, lb);
}

static gboolean
message_names_line (const char *message, guint line)
{
  g_autofree char *needle = g_strdup_printf ("line %u", line);
  gsize nlen = strlen (needle);

  for (const char *p = g_strstr_len (message, -1, needle); p; p = g_strstr_len (p + 1, -1, needle))
    if (!g_ascii_isdigit (p[nlen]))
      return TRUE;
  return FALSE;
}

/* ------------------------------------------------------------------------------------------ */
/* RFC 4475 §3.1.1: valid messages and what they carry */

static void
values_wsinv (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipUri *ruri = bell_sip_msg_get_request_uri (msg);
  const BellSipNameAddr *to = bell_sip_msg_get_to (msg);
  const BellSipNameAddr *from = bell_sip_msg_get_from (msg);
  const BellSipNameAddr *contact = bell_sip_msg_get_contact (msg);
  const BellSipCSeq *cseq = bell_sip_msg_get_cseq (msg);
  const BellSipHeader *h;
  const BellSipNameAddr *route;
  g_autofree char *from_display = NULL;
  g_autofree char *contact_display = NULL;
  g_autofree char *newfangled = NULL;
  guint64 n;
  BellStr v;

  g_assert_cmpint (bell_sip_msg_get_method (msg), ==, BELL_SIP_METHOD_INVITE);
  assert_str_eq (ruri->user, "vivekg");
  assert_str_eq (ruri->host, "chair-dnrc.example.com");
  g_assert_true (bell_sip_uri_get_param (ruri, "unknownparam", &v));
  assert_str_empty (v);

  /* TO :<CRLF> sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n */
  assert_str_empty (to->display);
  assert_str_eq (to->uri.user, "vivekg");
  assert_str_eq (to->uri.host, "chair-dnrc.example.com");
  assert_str_eq (to->tag, "1918181833n");

  /* from   : "J Rosenberg \\\""       <sip:jdrosen@example.com><CRLF>  ;<CRLF>  tag = 98asjd8 */
  assert_str_eq (from->display, "\"J Rosenberg \\\\\\\"\"");
  from_display = bell_sip_unquote (from->display);
  g_assert_cmpstr (from_display, ==, "J Rosenberg \\\"");
  assert_str_eq (from->uri.user, "jdrosen");
  assert_str_eq (from->tag, "98asjd8");

  g_assert_true (bell_sip_msg_get_number (msg, BELL_SIP_HDR_MAX_FORWARDS, &n));
  g_assert_cmpuint (n, ==, 68);
  assert_str_eq (bell_sip_msg_get_call_id (msg), "wsinv.ndaksdj@192.0.2.1");
  g_assert_cmpuint (cseq->seq, ==, 9);
  g_assert_cmpint (cseq->method, ==, BELL_SIP_METHOD_INVITE);

  /* One Via header, then v: with two values over three lines. */
  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_VIA), ==, 3);
  h = sip_test_nth_header (msg, BELL_SIP_HDR_VIA, 0);
  assert_str_eq (h->parsed.via->transport, "UDP");
  assert_str_eq (h->parsed.via->host, "192.0.2.2");
  assert_str_eq (h->parsed.via->branch, "390skdjuw");
  g_assert_cmpuint (h->line, ==, 12);
  h = sip_test_nth_header (msg, BELL_SIP_HDR_VIA, 1);
  assert_str_eq (h->parsed.via->transport, "TCP");
  assert_str_eq (h->parsed.via->host, "spindle.example.com");
  assert_str_eq (h->parsed.via->branch, "z9hG4bK9ikj8");
  g_assert_false (h->joined);
  h = sip_test_nth_header (msg, BELL_SIP_HDR_VIA, 2);
  assert_str_eq (h->parsed.via->transport, "UDP");
  assert_str_eq (h->parsed.via->host, "192.168.255.111");
  assert_str_eq (h->parsed.via->branch, "z9hG4bK30239");
  g_assert_true (h->joined);

  /* s :  (an empty Subject) */
  h = bell_sip_msg_find (msg, BELL_SIP_HDR_SUBJECT);
  g_assert_nonnull (h);
  assert_str_empty (h->value);

  /* Folded unknown header: joined, nothing else changed. */
  h = bell_sip_msg_find_by_name (msg, "NewFangledHeader");
  g_assert_nonnull (h);
  g_assert_cmpint (h->id, ==, BELL_SIP_HDR_OTHER);
  g_assert_false (sip_test_has_crlf (h->value));
  newfangled = sip_test_collapse_lws (h->value);
  g_assert_cmpstr (newfangled, ==, "newfangled value continued newfangled value");
  h = bell_sip_msg_find_by_name (msg, "unknownheaderwithunusualvalue");
  g_assert_nonnull (h);
  assert_str_eq (h->value, ";;,,;;,;");
  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_OTHER), ==, 2);

  h = bell_sip_msg_find (msg, BELL_SIP_HDR_CONTENT_TYPE);
  assert_str_eq (h->parsed.media_type->type, "application");
  assert_str_eq (h->parsed.media_type->subtype, "sdp");

  route = bell_sip_msg_find (msg, BELL_SIP_HDR_ROUTE)->parsed.name_addr;
  assert_str_eq (route->uri.host, "services.example.com");
  g_assert_true (bell_sip_uri_get_param (&route->uri, "lr", &v));
  g_assert_true (bell_sip_uri_get_param (&route->uri, "unknownwith", &v));
  assert_str_eq (v, "value");
  g_assert_true (bell_sip_uri_get_param (&route->uri, "unknown-no-value", &v));
  assert_str_empty (v);

  /* m:"Quoted string \"\"" <sip:jdrosen@example.com> ; newparam =<CRLF> newvalue ;<CRLF> secondparam ; q = 0.33 */
  assert_str_eq (contact->display, "\"Quoted string \\\"\\\"\"");
  contact_display = bell_sip_unquote (contact->display);
  g_assert_cmpstr (contact_display, ==, "Quoted string \"\"");
  assert_str_eq (contact->uri.user, "jdrosen");
  g_assert_cmpint (contact->q1000, ==, 330);
  g_assert_true (bell_sip_params_get (contact->params, "newparam", &v));
  assert_str_eq (v, "newvalue");
  g_assert_true (bell_sip_params_get (contact->params, "secondparam", &v));
  assert_str_empty (v);

  g_assert_true (bell_sip_msg_get_number (msg, BELL_SIP_HDR_CONTENT_LENGTH, &n));
  g_assert_cmpuint (n, ==, 150);
  {
    BellStr body = file_body (bytes);
    gsize blen;
    const char *b = bell_sip_msg_peek_body (msg, &blen);
    g_assert_cmpmem (b, blen, body.p, body.len);
  }
}

static void
values_intmeth (const BellSipMsg *msg, GBytes *bytes)
{
  const char *data = g_bytes_get_data (bytes, NULL);
  BellStr method = { data, strchr (data, ' ') - data };
  const BellSipUri *ruri = bell_sip_msg_get_request_uri (msg);
  const BellSipNameAddr *to = bell_sip_msg_get_to (msg);
  const BellSipNameAddr *from = bell_sip_msg_get_from (msg);
  const BellSipVia *via = bell_sip_msg_get_via (msg);
  BellStr to_display = file_slice (bytes, "\r\nTo: ", " <sip:");
  BellStr from_param = file_slice (bytes, ";fromParam''~+*_!.-%=", ";tag=");
  BellStr ext_value = file_slice (bytes, "extensionHeader-!.%*+_`'~:", "\r\n");
  const BellSipHeader *ext;
  guint64 n;
  BellStr v;

  assert_str_eq (method, "!interesting-Method0123456789_*+`.%indeed'~");
  g_assert_cmpint (bell_sip_msg_get_method (msg), ==, BELL_SIP_METHOD_UNKNOWN);
  g_assert_true (bell_str_equal (bell_sip_msg_get_method_str (msg), method));
  g_assert_true (bell_str_equal (bell_sip_msg_get_cseq (msg)->method_str, method));
  g_assert_cmpint (bell_sip_msg_get_cseq (msg)->method, ==, BELL_SIP_METHOD_UNKNOWN);
  g_assert_cmpuint (bell_sip_msg_get_cseq (msg)->seq, ==, 139122385);

  assert_str_eq (ruri->user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  assert_str_eq (ruri->password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
  assert_str_eq (ruri->host, "example.com");

  assert_str_eq (via->transport, "TCP");
  assert_str_eq (via->host, "host1.example.com");
  assert_str_eq (via->branch, "z9hG4bK-.!%66*_+`'~");

  /* "BEL:\<BEL> NUL:\<NUL> DEL:\<DEL>": quoted-pairs of control bytes, NUL included. */
  g_assert_cmpuint (to_display.len, ==, 22);
  assert_str_mem (to->display, to_display.p, to_display.len);
  assert_str_eq (to->uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  assert_str_empty (to->tag);

  assert_str_eq (from->display, "token1~` token2'+_ token3*%!.-");
  assert_str_eq (from->uri.user, "mundane");
  assert_str_eq (from->tag, "_token~1'+`*%!-.");
  g_assert_true (bell_sip_params_get (from->params, "fromParam''~+*_!.-%", &v));
  assert_str_mem (v, from_param.p, from_param.len);
  g_assert_true (g_utf8_validate (v.p, v.len, NULL));

  assert_str_eq (bell_sip_msg_get_call_id (msg), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
  g_assert_true (bell_sip_msg_get_number (msg, BELL_SIP_HDR_MAX_FORWARDS, &n));
  g_assert_cmpuint (n, ==, 255);

  ext = bell_sip_msg_find_by_name (msg, "extensionHeader-!.%*+_`'~");
  g_assert_nonnull (ext);
  g_assert_cmpint (ext->id, ==, BELL_SIP_HDR_OTHER);
  assert_str_mem (ext->value, ext_value.p, ext_value.len);
}

static void
values_esc01 (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipUri *ruri = bell_sip_msg_get_request_uri (msg);
  g_autoptr(BellSipUri) user = uri ("sip:user@example.com");
  g_autoptr(BellSipUri) ruri_lc = uri ("sip:sips%3auser%40example.com@example.net");
  g_autoptr(BellSipUri) sips = uri ("sips:user@example.com");
  g_autoptr(BellSipUri) contact_plain = uri ("sip:caller@host5.example.net;lr;name=value%2541");
  g_autoptr(BellSipUri) contact_other = uri ("sip:caller@host5.example.net;lr;name=value%41");
  g_autofree char *ruri_user = NULL;
  g_autofree char *from_user = NULL;
  gsize len;

  /* The user part is kept escaped; unescaped it is "sips:user@example.com", scheme still sip. */
  g_assert_cmpint (ruri->scheme, ==, BELL_URI_SCHEME_SIP);
  assert_str_eq (ruri->user, "sips%3Auser%40example.com");
  assert_str_eq (ruri->host, "example.net");
  ruri_user = bell_sip_uri_dup_user (ruri, &len);
  g_assert_cmpstr (ruri_user, ==, "sips:user@example.com");
  g_assert_cmpuint (len, ==, 21);
  g_assert_true (bell_sip_uri_equal (ruri, ruri_lc));
  g_assert_false (bell_sip_uri_equal (ruri, sips));

  assert_str_eq (bell_sip_msg_get_to (msg)->uri.user, "%75se%72");
  g_assert_true (bell_sip_uri_equal (&bell_sip_msg_get_to (msg)->uri, user));

  from_user = bell_sip_uri_dup_user (&bell_sip_msg_get_from (msg)->uri, &len);
  g_assert_cmpstr (from_user, ==, "I have spaces");

  g_assert_true (bell_sip_uri_equal (&bell_sip_msg_get_contact (msg)->uri, contact_plain));
  g_assert_false (bell_sip_uri_equal (&bell_sip_msg_get_contact (msg)->uri, contact_other));
  assert_str_eq (bell_sip_msg_get_call_id (msg), "esc01.239409asdfakjkn23onasd0-3234");
}

static void
values_escnull (const BellSipMsg *msg, GBytes *bytes)
{
  gsize len = 0;
  g_autofree char *to_user = bell_sip_uri_dup_user (&bell_sip_msg_get_to (msg)->uri, &len);
  g_autofree char *c1 = NULL;
  g_autofree char *c2 = NULL;

  assert_str_eq (bell_sip_msg_get_to (msg)->uri.user, "null-%00-null");
  g_assert_cmpuint (len, ==, 11);
  g_assert_cmpmem (to_user, len, "null-\0-null", 11);
  g_assert_true (bell_sip_uri_equal (&bell_sip_msg_get_to (msg)->uri,
                                     &bell_sip_msg_get_from (msg)->uri));

  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_CONTACT), ==, 2);
  c1 = bell_sip_uri_dup_user (&sip_test_nth_header (msg, BELL_SIP_HDR_CONTACT, 0)->parsed.name_addr->uri, &len);
  g_assert_cmpmem (c1, len, "\0", 1);
  c2 = bell_sip_uri_dup_user (&sip_test_nth_header (msg, BELL_SIP_HDR_CONTACT, 1)->parsed.name_addr->uri, &len);
  g_assert_cmpmem (c2, len, "\0\0", 2);
  g_assert_false (bell_sip_uri_equal (&sip_test_nth_header (msg, BELL_SIP_HDR_CONTACT, 0)->parsed.name_addr->uri,
                                      &sip_test_nth_header (msg, BELL_SIP_HDR_CONTACT, 1)->parsed.name_addr->uri));
}

static void
values_esc02 (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipHeader *h;
  g_autofree char *display = NULL;

  g_assert_cmpint (bell_sip_msg_get_method (msg), ==, BELL_SIP_METHOD_UNKNOWN);
  assert_str_eq (bell_sip_msg_get_method_str (msg), "RE%47IST%45R");
  assert_str_eq (bell_sip_msg_get_cseq (msg)->method_str, "RE%47IST%45R");
  g_assert_cmpint (bell_sip_msg_get_cseq (msg)->method, ==, BELL_SIP_METHOD_UNKNOWN);

  assert_str_eq (bell_sip_msg_get_to (msg)->display, "\"%Z%45\"");
  display = bell_sip_unquote (bell_sip_msg_get_to (msg)->display);
  g_assert_cmpstr (display, ==, "%Z%45");
  assert_str_eq (bell_sip_msg_get_via (msg)->branch, "z9hG4bK209%fzsnel234");

  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_CONTACT), ==, 2);
  h = bell_sip_msg_find_by_name (msg, "C%6Fntact");
  g_assert_nonnull (h);
  g_assert_cmpint (h->id, ==, BELL_SIP_HDR_OTHER);
  assert_str_eq (h->value, "<sip:alias2@host2.example.com>");
  assert_str_eq (sip_test_nth_header (msg, BELL_SIP_HDR_CONTACT, 1)->parsed.name_addr->uri.user, "alias3");
}

static void
values_lwsdisp (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipNameAddr *from = bell_sip_msg_get_from (msg);

  assert_str_eq (from->display, "caller");
  assert_str_eq (from->uri.user, "caller");
  assert_str_eq (from->uri.host, "example.com");
  assert_str_eq (from->tag, "323");
}

static void
values_longreq (const BellSipMsg *msg, GBytes *bytes)
{
  BellStr to_display = file_slice (bytes, "\r\nTo: ", "<sip:");
  BellStr from_user = file_slice (bytes, "\r\nF: sip:", "@example.net");
  BellStr from_tag = file_slice (bytes, "@example.net;tag=", ";");
  BellStr call_id = file_slice (bytes, "\r\nCall-ID: ", "\r\n");
  BellStr unk_name = file_slice (bytes, "CSeq: 3882340 INVITE\r\n", ": ");
  BellStr unk_value = file_slice (bytes, "-Name: ", "\r\n");
  BellStr branch = file_slice (bytes, ";received=192.0.2.5;branch=", "\r\n");
  const BellSipNameAddr *to = bell_sip_msg_get_to (msg);
  const BellSipNameAddr *from = bell_sip_msg_get_from (msg);
  const BellSipHeader *h, *last;
  g_autofree char *name = NULL;
  guint n_vias = 0;

  /* Count the Vias in the file by hand: every line whose name is v or via, any case. */
  {
    g_autofree char *text = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    g_auto(GStrv) lines = g_strsplit (text, "\r\n", -1);
    for (guint i = 1; lines[i] && lines[i][0]; i++)
      {
        g_autofree char *hname = g_strstrip (g_strndup (lines[i], strcspn (lines[i], ":")));
        if (g_ascii_strcasecmp (hname, "via") == 0 || g_ascii_strcasecmp (hname, "v") == 0)
          n_vias++;
      }
  }
  g_assert_cmpuint (n_vias, ==, 34);
  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_VIA), ==, n_vias);
  assert_str_eq (bell_sip_msg_get_via (msg)->host, "sip33.example.com");

  assert_str_mem (to->display, to_display.p, to_display.len);
  g_assert_cmpuint (to->display.len, ==, 105);
  g_assert_cmpuint (to->uri.port, ==, 6000);
  {
    BellStr v;
    g_assert_true (bell_sip_uri_get_param (&to->uri, "longparamnamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamenamename", &v));
    assert_str_eq (v, "shortvalue");
  }

  assert_str_mem (from->uri.user, from_user.p, from_user.len);
  g_assert_cmpuint (from->uri.user.len, ==, 115);
  assert_str_mem (from->tag, from_tag.p, from_tag.len);
  g_assert_cmpuint (from->tag.len, ==, 155);

  assert_str_mem (bell_sip_msg_get_call_id (msg), call_id.p, call_id.len);
  g_assert_cmpuint (bell_sip_msg_get_call_id (msg).len, ==, 141);

  name = g_strndup (unk_name.p, unk_name.len);
  h = bell_sip_msg_find_by_name (msg, name);
  g_assert_nonnull (h);
  assert_str_mem (h->value, unk_value.p, unk_value.len);

  last = sip_test_nth_header (msg, BELL_SIP_HDR_VIA, 33);
  g_assert_nonnull (last);
  assert_str_eq (last->parsed.via->host, "host.example.com");
  assert_str_eq (last->parsed.via->received, "192.0.2.5");
  assert_str_mem (last->parsed.via->branch, branch.p, branch.len);
  g_assert_cmpuint (last->parsed.via->branch.len, ==, 215);
}

static void
values_dblreq (const BellSipMsg *msg, GBytes *bytes)
{
  gsize blen = 99;

  g_assert_cmpint (bell_sip_msg_get_method (msg), ==, BELL_SIP_METHOD_REGISTER);
  bell_sip_msg_peek_body (msg, &blen);
  g_assert_cmpuint (blen, ==, 0);
  assert_str_eq (bell_sip_msg_get_call_id (msg), "dblreq.0ha0isndaksdj99sdfafnl3lk233412");
  g_assert_cmpuint (bell_sip_msg_get_n_headers (msg), ==, 8);
  g_assert_null (bell_sip_msg_find (msg, BELL_SIP_HDR_CONTENT_TYPE));
  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_VIA), ==, 1);
}

static void
values_semiuri (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipUri *ruri = bell_sip_msg_get_request_uri (msg);
  g_autofree char *user = NULL;
  gsize len;
  BellStr v;

  assert_str_eq (ruri->user, "user;par=u%40example.net");
  assert_str_eq (ruri->host, "example.com");
  assert_str_empty (ruri->params);
  g_assert_false (bell_sip_uri_get_param (ruri, "par", &v));
  user = bell_sip_uri_dup_user (ruri, &len);
  g_assert_cmpstr (user, ==, "user;par=u@example.net");
  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_ACCEPT), ==, 6);
  assert_str_eq (sip_test_nth_header (msg, BELL_SIP_HDR_ACCEPT, 5)->parsed.media_type->subtype, "sipfrag");
}

static void
values_transports (const BellSipMsg *msg, GBytes *bytes)
{
  const char *transports[] = { "UDP", "SCTP", "TLS", "UNKNOWN", "TCP" };

  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_VIA), ==, 5);
  for (guint i = 0; i < 5; i++)
    {
      const BellSipVia *via = sip_test_nth_header (msg, BELL_SIP_HDR_VIA, i)->parsed.via;
      g_autofree char *host = g_strdup_printf ("t%u.example.com", i + 1);
      assert_str_eq (via->transport, transports[i]);
      assert_str_eq (via->host, host);
    }
  assert_str_eq (bell_sip_msg_get_call_id (msg), "transports.kijh4akdnaqjkwendsasfdj");
}

static void
values_mpart01 (const BellSipMsg *msg, GBytes *bytes)
{
  BellStr body = file_body (bytes);
  gsize blen;
  const char *b = bell_sip_msg_peek_body (msg, &blen);
  const BellSipHeader *ct = bell_sip_msg_find (msg, BELL_SIP_HDR_CONTENT_TYPE);
  const BellSipVia *via = bell_sip_msg_get_via (msg);
  guint bare_lf = 0;
  guint64 cl;
  BellStr v;

  g_assert_true (bell_sip_msg_get_number (msg, BELL_SIP_HDR_CONTENT_LENGTH, &cl));
  g_assert_cmpuint (cl, ==, 553);
  g_assert_cmpuint (blen, ==, cl);
  g_assert_cmpmem (b, blen, body.p, body.len);
  for (gsize i = 0; i < blen; i++)
    if (b[i] == '\n' && (i == 0 || b[i - 1] != '\r'))
      bare_lf++;
  g_assert_cmpuint (bare_lf, ==, 3);
  g_assert_nonnull (memchr (b, '\0', blen));

  assert_str_eq (ct->parsed.media_type->type, "multipart");
  assert_str_eq (ct->parsed.media_type->subtype, "mixed");
  g_assert_true (bell_sip_params_get (ct->parsed.media_type->params, "boundary", &v));
  assert_str_eq (v, "7a9cbec02ceef655");

  g_assert_true (via->has_rport);
  g_assert_cmpuint (via->rport, ==, 0);
  g_assert_cmpuint (via->port, ==, 5070);
  g_assert_cmpint (via->host_type, ==, BELL_HOST_IPV4);
  assert_str_eq (bell_sip_msg_get_via (msg)->branch, "z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-");
}

static void
values_unreason (const BellSipMsg *msg, GBytes *bytes)
{
  BellStr reason = file_slice (bytes, "SIP/2.0 200 ", "\r\n");
  BellStr got = bell_sip_msg_get_reason (msg);
  gsize blen;

  g_assert_false (bell_sip_msg_is_request (msg));
  g_assert_cmpuint (bell_sip_msg_get_status (msg), ==, 200);
  assert_str_mem (got, reason.p, reason.len);
  g_assert_true (g_utf8_validate (got.p, got.len, NULL));
  g_assert_cmpuint (g_utf8_strlen (got.p, got.len), <, got.len);
  bell_sip_msg_peek_body (msg, &blen);
  g_assert_cmpuint (blen, ==, 154);
}

static void
values_noreason (const BellSipMsg *msg, GBytes *bytes)
{
  g_assert_cmpuint (bell_sip_msg_get_status (msg), ==, 100);
  assert_str_empty (bell_sip_msg_get_reason (msg));
  assert_str_eq (bell_sip_msg_get_to (msg)->tag, "902jndnke3");
}

/* RFC 4475 §3.3.11 - §3.3.14, §3.4.1 */

static void
values_cparam01 (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipNameAddr *c = bell_sip_msg_get_contact (msg);
  BellStr v;

  /* No <>: ;unknownparam is a contact parameter. */
  assert_str_eq (c->uri.user, "+19725552222");
  assert_str_eq (c->uri.host, "gw1.example.net");
  g_assert_false (bell_sip_uri_get_param (&c->uri, "unknownparam", &v));
  assert_str_empty (c->uri.params);
  g_assert_true (bell_sip_params_get (c->params, "unknownparam", &v));
}

static void
values_cparam02 (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipNameAddr *c = bell_sip_msg_get_contact (msg);
  BellStr v;

  /* In <>: ;unknownparam belongs to the URI. */
  assert_str_eq (c->uri.host, "gw1.example.net");
  g_assert_true (bell_sip_uri_get_param (&c->uri, "unknownparam", &v));
  assert_str_eq (c->uri.params, ";unknownparam");
  g_assert_false (bell_sip_params_get (c->params, "unknownparam", &v));
}

static void
values_regescrt (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipNameAddr *c = bell_sip_msg_get_contact (msg);
  g_autofree char *route = NULL;
  gsize len;
  BellStr v;

  g_assert_nonnull (c);
  assert_str_eq (c->uri.user, "user");
  assert_str_eq (c->uri.host, "example.com");
  g_assert_true (bell_sip_uri_get_header (&c->uri, "Route", &v));
  route = bell_uri_unescape (v, &len);
  g_assert_cmpstr (route, ==, "<sip:sip.example.com>");
  /* The escaped header stays in the URI: it is not a header of this message. */
  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_ROUTE), ==, 0);
}

static void
values_zeromf (const BellSipMsg *msg, GBytes *bytes)
{
  guint64 n = 99;

  g_assert_true (bell_sip_msg_get_number (msg, BELL_SIP_HDR_MAX_FORWARDS, &n));
  g_assert_cmpuint (n, ==, 0);
  g_assert_cmpint (bell_sip_msg_get_method (msg), ==, BELL_SIP_METHOD_OPTIONS);
}

static void
values_inv2543 (const BellSipMsg *msg, GBytes *bytes)
{
  BellStr body = file_body (bytes);
  const BellSipVia *via = bell_sip_msg_get_via (msg);
  const BellSipNameAddr *rr = bell_sip_msg_find (msg, BELL_SIP_HDR_RECORD_ROUTE)->parsed.name_addr;
  const BellSipNameAddr *to = bell_sip_msg_get_to (msg);
  gsize blen;
  const char *b;
  guint64 n;
  BellStr v;

  g_assert_false (bell_sip_msg_get_number (msg, BELL_SIP_HDR_MAX_FORWARDS, &n));
  g_assert_false (bell_sip_msg_get_number (msg, BELL_SIP_HDR_CONTENT_LENGTH, &n));
  assert_str_empty (bell_sip_msg_get_from (msg)->tag);
  assert_str_empty (via->branch);
  g_assert_false (bell_sip_via_has_rfc3261_branch (via));
  assert_str_eq (via->host, "iftgw.example.com");
  /* No Content-Length on a datagram: the body is the rest. */
  b = bell_sip_msg_peek_body (msg, &blen);
  g_assert_cmpuint (blen, ==, 105);
  g_assert_cmpmem (b, blen, body.p, body.len);
  g_assert_true (bell_sip_uri_get_param (&rr->uri, "maddr", &v));
  assert_str_eq (v, "ss1.example.com");
  /* To without <>: ;user=phone is a header parameter here (RFC 3261 §20). */
  assert_str_eq (to->uri.user, "+16505552222");
  g_assert_false (bell_sip_uri_get_param (&to->uri, "user", &v));
  g_assert_true (bell_sip_params_get (to->params, "user", &v));
  assert_str_eq (v, "phone");
  /* In <> it is the URI's. */
  g_assert_true (bell_sip_uri_get_param (&bell_sip_msg_get_from (msg)->uri, "user", &v));
  assert_str_eq (v, "phone");
}

/* RFC 4475 §3.2 / §3.3: well-formed, refused above the parser */

static void
values_badbranch (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipVia *via = bell_sip_msg_get_via (msg);

  assert_str_eq (via->branch, "z9hG4bK");
  g_assert_false (bell_sip_via_has_rfc3261_branch (via));
}

static void
values_regaut01 (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipHeader *h = bell_sip_msg_find (msg, BELL_SIP_HDR_AUTHORIZATION);

  g_assert_nonnull (h);
  assert_str_eq (h->parsed.auth->scheme, "NoOneKnowsThisScheme");
  assert_str_eq (h->parsed.auth->params, "opaque-data=here");
}

static void
values_unkscm (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipUri *ruri = bell_sip_msg_get_request_uri (msg);

  g_assert_cmpint (ruri->scheme, ==, BELL_URI_SCHEME_OTHER);
  assert_str_eq (ruri->scheme_str, "nobodyKnowsThisScheme");
  assert_str_eq (ruri->opaque, "totallyopaquecontent");
}

static void
values_novelsc (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipUri *ruri = bell_sip_msg_get_request_uri (msg);

  g_assert_cmpint (ruri->scheme, ==, BELL_URI_SCHEME_OTHER);
  assert_str_eq (ruri->scheme_str, "soap.beep");
  assert_str_eq (ruri->opaque, "//192.0.2.103:3002");
}

static void
values_unksm2 (const BellSipMsg *msg, GBytes *bytes)
{
  g_assert_cmpint (bell_sip_msg_get_to (msg)->uri.scheme, ==, BELL_URI_SCHEME_OTHER);
  assert_str_eq (bell_sip_msg_get_to (msg)->uri.scheme_str, "isbn");
  assert_str_eq (bell_sip_msg_get_from (msg)->uri.scheme_str, "http");
  assert_str_eq (bell_sip_msg_get_from (msg)->tag, "3234233");
  assert_str_eq (bell_sip_msg_get_contact (msg)->uri.scheme_str, "name");
}

static void
values_bext01_tokens (const BellSipMsg *msg)
{
  GString *tokens = g_string_new (NULL);

  for (const BellSipHeader *h = bell_sip_msg_find (msg, BELL_SIP_HDR_REQUIRE); h;
       h = bell_sip_msg_find_next (msg, BELL_SIP_HDR_REQUIRE, h))
    {
      BellStr rest = h->value, token;
      while (bell_sip_token_list_next (&rest, &token))
        g_string_append_printf (tokens, "%.*s;", BELL_STR_PRINTF (token));
    }
  g_assert_cmpstr (tokens->str, ==, "nothingSupportsThis;nothingSupportsThisEither;");
  g_string_free (tokens, TRUE);
}

static void
values_bext01 (const BellSipMsg *msg, GBytes *bytes)
{
  g_assert_true (bell_sip_msg_has_token (msg, BELL_SIP_HDR_REQUIRE, "nothingSupportsThis"));
  g_assert_true (bell_sip_msg_has_token (msg, BELL_SIP_HDR_REQUIRE, "nothingSupportsThisEither"));
  g_assert_true (bell_sip_msg_has_token (msg, BELL_SIP_HDR_PROXY_REQUIRE, "noProxiesSupportThis"));
  values_bext01_tokens (msg);
}

static void
values_multi01 (const BellSipMsg *msg, GBytes *bytes)
{
  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_CSEQ), ==, 2);
  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_CALL_ID), ==, 2);
  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_TO), ==, 2);
  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_FROM), ==, 2);
  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_MAX_FORWARDS), ==, 2);
  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_CONTACT), ==, 2);
}

static void
values_mcl01 (const BellSipMsg *msg, GBytes *bytes)
{
  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_CONTENT_LENGTH), ==, 2);
}

static void
values_bcast (const BellSipMsg *msg, GBytes *bytes)
{
  assert_str_eq (sip_test_nth_header (msg, BELL_SIP_HDR_VIA, 1)->parsed.via->host, "255.255.255.255");
}

/* RFC 4475 §3.1.2: tolerated by a liberal parser, under conditions */

static void
assert_start_line_printed (const BellSipMsg *msg, const char *line)
{
  g_autofree char *text = bell_sip_msg_to_string (msg, NULL);

  if (!g_str_has_prefix (text, line))
    g_error ("printed start line is not \"%s\":\n%s", line, text);
}

static void
values_lwsstart (const BellSipMsg *msg, GBytes *bytes)
{
  /* Tolerated, but the extra SP is not forwarded. */
  g_assert_cmpint (bell_sip_msg_get_method (msg), ==, BELL_SIP_METHOD_INVITE);
  assert_str_eq (bell_sip_msg_get_request_uri (msg)->text, "sip:user@example.com");
  assert_start_line_printed (msg, "INVITE sip:user@example.com SIP/2.0\r\n");
}

static void
values_trws (const BellSipMsg *msg, GBytes *bytes)
{
  assert_str_eq (bell_sip_msg_get_request_uri (msg)->text, "sip:remote-target@example.com");
  assert_start_line_printed (msg, "OPTIONS sip:remote-target@example.com SIP/2.0\r\n");
}

static void
values_escruri (const BellSipMsg *msg, GBytes *bytes)
{
  /* The escaped Route never becomes a header. */
  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_ROUTE), ==, 0);
  assert_str_eq (bell_sip_msg_get_request_uri (msg)->host, "example.com");
}

static void
values_baddate (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipHeader *h = bell_sip_msg_find (msg, BELL_SIP_HDR_DATE);

  g_assert_nonnull (h);
  assert_str_eq (h->value, "Fri, 01 Jan 2010 16:00:00 EST");
}

static void
values_badaspec (const BellSipMsg *msg, GBytes *bytes)
{
  assert_str_eq (bell_sip_msg_get_to (msg)->uri.user, "t.watson");
  assert_str_eq (bell_sip_msg_get_to (msg)->uri.host, "example.org");
}

/* RFC 5118 */

static void
values_ipv6_good (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipUri *ruri = bell_sip_msg_get_request_uri (msg);
  const BellSipVia *via = bell_sip_msg_get_via (msg);
  const BellSipNameAddr *c = bell_sip_msg_get_contact (msg);

  assert_str_eq (ruri->host, "[2001:db8::10]");
  g_assert_cmpint (ruri->host_type, ==, BELL_HOST_IPV6);
  g_assert_cmpuint (ruri->port, ==, 0);
  assert_str_eq (via->host, "[2001:db8::9:1]");
  g_assert_cmpint (via->host_type, ==, BELL_HOST_IPV6);
  g_assert_cmpuint (via->port, ==, 0);
  assert_str_eq (c->uri.host, "[2001:db8::1]");
  g_assert_cmpint (c->uri.host_type, ==, BELL_HOST_IPV6);
  assert_str_eq (c->display, "\"Caller\"");
}

static void
values_port_ambiguous (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipUri *ruri = bell_sip_msg_get_request_uri (msg);

  assert_str_eq (ruri->host, "[2001:db8::10:5070]");
  g_assert_cmpint (ruri->host_type, ==, BELL_HOST_IPV6);
  g_assert_cmpuint (ruri->port, ==, 0);
}

static void
values_port_unambiguous (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipUri *ruri = bell_sip_msg_get_request_uri (msg);

  assert_str_eq (ruri->host, "[2001:db8::10]");
  g_assert_cmpint (ruri->host_type, ==, BELL_HOST_IPV6);
  g_assert_cmpuint (ruri->port, ==, 5070);
}

static void
values_received_with_delim (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipVia *via = bell_sip_msg_get_via (msg);

  assert_str_eq (via->host, "[2001:db8::9:1]");
  assert_str_eq (via->received, "[2001:db8::9:255]");
  assert_str_eq (via->branch, "z9hG4bKas3-111");
}

static void
values_received_no_delim (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipVia *via = bell_sip_msg_get_via (msg);

  assert_str_eq (via->host, "[2001:db8::9:1]");
  assert_str_eq (via->received, "2001:db8::9:255");
  assert_str_eq (via->branch, "z9hG4bKas3");
}

static void
values_3_colons (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipUri *ruri = bell_sip_msg_get_request_uri (msg);

  assert_str_eq (ruri->host, "[2001:db8:::192.0.2.1]");
  g_assert_cmpint (ruri->host_type, ==, BELL_HOST_IPV6);
  assert_str_eq (bell_sip_msg_get_to (msg)->uri.host, "[2001:db8:::192.0.2.1]");
}

static void
values_2_colons (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipUri *ruri = bell_sip_msg_get_request_uri (msg);

  assert_str_eq (ruri->host, "[2001:db8::192.0.2.1]");
  g_assert_cmpint (ruri->host_type, ==, BELL_HOST_IPV6);
  assert_str_eq (bell_sip_msg_get_to (msg)->uri.host, "[2001:db8::192.0.2.1]");
}

static void
values_mult_ip_in_header (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipVia *v0 = sip_test_nth_header (msg, BELL_SIP_HDR_VIA, 0)->parsed.via;
  const BellSipVia *v1 = sip_test_nth_header (msg, BELL_SIP_HDR_VIA, 1)->parsed.via;
  const BellSipVia *v2 = sip_test_nth_header (msg, BELL_SIP_HDR_VIA, 2)->parsed.via;

  g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_VIA), ==, 3);
  assert_str_eq (v0->host, "[2001:db8::9:1]");
  g_assert_cmpint (v0->host_type, ==, BELL_HOST_IPV6);
  g_assert_cmpuint (v0->port, ==, 6050);
  assert_str_eq (v1->host, "192.0.2.1");
  g_assert_cmpint (v1->host_type, ==, BELL_HOST_IPV4);
  g_assert_cmpuint (v1->port, ==, 0);
  assert_str_eq (v2->transport, "TCP");
  assert_str_eq (v2->host, "[2001:db8::9:255]");
  assert_str_eq (v2->received, "192.0.2.200");
  assert_str_eq (v2->branch, "z9hG4bK451jj");
}

static void
values_ipv4_mapped (const BellSipMsg *msg, GBytes *bytes)
{
  const BellSipVia *v0 = sip_test_nth_header (msg, BELL_SIP_HDR_VIA, 0)->parsed.via;
  const BellSipVia *v1 = sip_test_nth_header (msg, BELL_SIP_HDR_VIA, 1)->parsed.via;
  gsize blen;
  const char *b = bell_sip_msg_peek_body (msg, &blen);
  BellStr body = file_body (bytes);

  assert_str_eq (v0->host, "[::ffff:192.0.2.10]");
  g_assert_cmpint (v0->host_type, ==, BELL_HOST_IPV6);
  g_assert_cmpuint (v0->port, ==, 19823);
  assert_str_eq (v1->host, "[::ffff:192.0.2.2]");
  assert_str_eq (bell_sip_msg_get_contact (msg)->uri.host, "[::ffff:192.0.2.2]");
  /* Declared 236, the CRLF body is 245: the datagram's extra bytes are dropped. */
  g_assert_cmpuint (blen, ==, 236);
  g_assert_cmpmem (b, blen, body.p, 236);
}

static void
values_mult_ip_in_sdp (const BellSipMsg *msg, GBytes *bytes)
{
  gsize blen;
  const char *b = bell_sip_msg_peek_body (msg, &blen);
  BellStr body = file_body (bytes);

  assert_str_eq (bell_sip_msg_get_request_uri (msg)->host, "[2001:db8::10]");
  g_assert_cmpuint (blen, ==, 181);
  g_assert_cmpmem (b, blen, body.p, 181);
}

static void
values_ipv6_in_sdp (const BellSipMsg *msg, GBytes *bytes)
{
  assert_str_eq (bell_sip_msg_get_request_uri (msg)->host, "[2001:db8::10]");
  assert_str_eq (bell_sip_msg_get_via (msg)->host, "[2001:db8::20]");
  assert_str_eq (bell_sip_msg_get_contact (msg)->uri.host, "[2001:db8::20]");
}

typedef void (*ValuesFunc) (const BellSipMsg *msg, GBytes *bytes);

static const struct {
  const char *suite;
  const char *name;
  ValuesFunc  func;
} values_table[] = {
  { "rfc4475", "wsinv", values_wsinv },
  { "rfc4475", "intmeth", values_intmeth },
  { "rfc4475", "esc01", values_esc01 },
  { "rfc4475", "escnull", values_escnull },
  { "rfc4475", "esc02", values_esc02 },
  { "rfc4475", "lwsdisp", values_lwsdisp },
  { "rfc4475", "longreq", values_longreq },
  { "rfc4475", "dblreq", values_dblreq },
  { "rfc4475", "semiuri", values_semiuri },
  { "rfc4475", "transports", values_transports },
  { "rfc4475", "mpart01", values_mpart01 },
  { "rfc4475", "unreason", values_unreason },
  { "rfc4475", "noreason", values_noreason },
  { "rfc4475", "cparam01", values_cparam01 },
  { "rfc4475", "cparam02", values_cparam02 },
  { "rfc4475", "regescrt", values_regescrt },
  { "rfc4475", "zeromf", values_zeromf },
  { "rfc4475", "inv2543", values_inv2543 },
  { "rfc4475", "badbranch", values_badbranch },
  { "rfc4475", "regaut01", values_regaut01 },
  { "rfc4475", "unkscm", values_unkscm },
  { "rfc4475", "novelsc", values_novelsc },
  { "rfc4475", "unksm2", values_unksm2 },
  { "rfc4475", "bext01", values_bext01 },
  { "rfc4475", "multi01", values_multi01 },
  { "rfc4475", "mcl01", values_mcl01 },
  { "rfc4475", "bcast", values_bcast },
  { "rfc4475", "lwsstart", values_lwsstart },
  { "rfc4475", "trws", values_trws },
  { "rfc4475", "escruri", values_escruri },
  { "rfc4475", "baddate", values_baddate },
  { "rfc4475", "badaspec", values_badaspec },
  { "rfc5118", "ipv6-good", values_ipv6_good },
  { "rfc5118", "port-ambiguous", values_port_ambiguous },
  { "rfc5118", "port-unambiguous", values_port_unambiguous },
  { "rfc5118", "via-received-param-with-delim", values_received_with_delim },
  { "rfc5118", "via-received-param-no-delim", values_received_no_delim },
  { "rfc5118", "ipv6-bug-abnf-3-colons", values_3_colons },
  { "rfc5118", "ipv6-correct-abnf-2-colons", values_2_colons },
  { "rfc5118", "mult-ip-in-header", values_mult_ip_in_header },
  { "rfc5118", "ipv4-mapped-ipv6", values_ipv4_mapped },
  { "rfc5118", "mult-ip-in-sdp", values_mult_ip_in_sdp },
};

static ValuesFunc
find_values (const Case *c)
{
  for (gsize i = 0; i < G_N_ELEMENTS (values_table); i++)
    if (g_str_equal (values_table[i].suite, c->suite) && g_str_equal (values_table[i].name, c->name))
      return values_table[i].func;
  return NULL;
}

/* parse-ok-but-app-reject: the status bell_sip_msg_check answers with (G_MAXUINT: any non-zero,
 * 0: processed normally, G_MAXUINT - 1: not asserted, the manifest allows either). */
static const struct {
  const char *name;
  guint       status;
} app_status[] = {
  { "insuf", 400 },
  { "unkscm", 416 },
  { "novelsc", 416 },
  { "bext01", 420 },
  { "invut", 415 },
  { "multi01", 400 },
  { "mcl01", 400 },
  { "bcast", G_MAXUINT },
  { "sdp01", 406 },
  { "unksm2", 400 },
  { "badbranch", G_MAXUINT - 1 },
  { "regaut01", 0 },
};

/* must-reject: the line the error names (0: any line). */
static const struct {
  const char *name;
  guint       line;
} reject_line[] = {
  { "badinv01", 7 }, { "clerr", 10 }, { "ncl", 10 }, { "scalar02", 5 }, { "scalarlg", 5 },
  { "quotbal", 2 }, { "ltgtruri", 1 }, { "lwsruri", 1 }, { "regbadct", 8 }, { "baddn", 0 },
  { "baddn.terminated", 4 }, { "badvers", 1 }, { "mismatch01", 6 }, { "mismatch02", 6 },
  { "bigcode", 1 }, { "ipv6-bad", 1 },
};

/* ------------------------------------------------------------------------------------------ */

static void
expect_parse_ok (const Case *c, GBytes *bytes)
{
  g_autoptr(BellSipMsg) msg = parse_ok (bytes);
  const char *reason = NULL;
  guint status = bell_sip_msg_check (msg, &reason);
  ValuesFunc values = find_values (c);

  if (status != 0)
    g_error ("%s: check says %u (%s), expected 0", c->name, status, reason ? reason : "");
  if (values)
    values (msg, bytes);
  assert_round_trip (msg);
}

static void
expect_app_reject (const Case *c, GBytes *bytes)
{
  g_autoptr(BellSipMsg) msg = parse_ok (bytes);
  const char *reason = NULL;
  guint status = bell_sip_msg_check (msg, &reason);
  guint expected = G_MAXUINT - 2;
  ValuesFunc values = find_values (c);

  for (gsize i = 0; i < G_N_ELEMENTS (app_status); i++)
    if (g_str_equal (app_status[i].name, c->name))
      expected = app_status[i].status;
  g_assert_cmpuint (expected, !=, G_MAXUINT - 2);  /* every such file is in the table */

  g_test_message ("%s: check says %u (%s)", c->name, status, reason ? reason : "");
  if (expected == G_MAXUINT)
    g_assert_cmpuint (status, !=, 0);
  else if (expected != G_MAXUINT - 1)
    g_assert_cmpuint (status, ==, expected);
  if (status != 0)
    {
      g_assert_nonnull (reason);
      g_assert_cmpstr (reason, !=, "");
    }
  if (values)
    values (msg, bytes);
  assert_round_trip (msg);
}

static void
expect_reject (const Case *c, GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) msg = parse_bytes (bytes, &error);
  guint line = G_MAXUINT;

  if (msg != NULL)
    g_error ("%s parsed, but must be rejected", c->name);
  g_assert_nonnull (error);
  g_assert_true (error->domain == BELL_SIP_ERROR);
  g_assert_nonnull (error->message);
  g_assert_cmpstr (error->message, !=, "");
  g_test_message ("%s: %s", c->name, error->message);

  if (g_str_equal (c->name, "badvers"))
    g_assert_error (error, BELL_SIP_ERROR, BELL_SIP_ERROR_VERSION);
  if (g_str_equal (c->name, "clerr"))
    g_assert_error (error, BELL_SIP_ERROR, BELL_SIP_ERROR_TRUNCATED);

  for (gsize i = 0; i < G_N_ELEMENTS (reject_line); i++)
    if (g_str_equal (reject_line[i].name, c->name))
      line = reject_line[i].line;
  g_assert_cmpuint (line, !=, G_MAXUINT);
  if (line == 0)
    g_assert_nonnull (g_strstr_len (error->message, -1, "line "));
  else if (!message_names_line (error->message, line))
    g_error ("%s: error \"%s\" does not name line %u", c->name, error->message, line);
}

static void
expect_no_crash (const Case *c, GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) msg = parse_bytes (bytes, &error);

  if (msg == NULL)
    {
      g_assert_nonnull (error);
      g_assert_cmpstr (error->message, !=, "");
      g_test_message ("%s rejected: %s", c->name, error->message);
      return;
    }
  g_assert_no_error (error);
  g_test_message ("%s accepted, check says %u", c->name, bell_sip_msg_check (msg, NULL));
  if (find_values (c))
    find_values (c) (msg, bytes);
  /* What was accepted prints as a valid message. */
  assert_round_trip (msg);
}

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(GBytes) bytes = load (c->path);

  if (g_str_equal (c->expectation, "parse-ok"))
    expect_parse_ok (c, bytes);
  else if (g_str_equal (c->expectation, "must-reject"))
    expect_reject (c, bytes);
  else if (g_str_equal (c->expectation, "parse-ok-but-app-reject"))
    expect_app_reject (c, bytes);
  else if (g_str_equal (c->expectation, "lenient-ok") || g_str_equal (c->expectation, "unreferenced"))
    expect_no_crash (c, bytes);
  else
    g_error ("unknown expectation \"%s\"", c->expectation);
}

/* A UAS answers every request it parsed, refused ones included (400, 416, 420 ...): the
 * response copies Via, From, To, Call-ID and CSeq and is a valid message. */
static void
test_response (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(GBytes) bytes = load (c->path);
  g_autoptr(BellSipMsg) req = parse_bytes (bytes, NULL);
  g_autoptr(BellSipMsg) resp = NULL;
  g_autoptr(BellSipMsg) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const char *reason = NULL;
  guint status;
  gsize len;

  if (req == NULL || !bell_sip_msg_is_request (req))
    {
      g_test_skip ("not a request that parses");
      return;
    }
  status = bell_sip_msg_check (req, &reason);
  resp = bell_sip_msg_new_response_to (req, status ? status : 200, status ? reason : "OK", "t1");
  g_assert_nonnull (resp);
  text = bell_sip_msg_to_string (resp, &len);
  back = bell_sip_msg_parse (text, len, BELL_SIP_PARSE_STREAM, &error);
  if (back == NULL)
    g_error ("response does not parse: %s\n%.*s", error->message, (int) len, text);
  g_assert_cmpuint (bell_sip_msg_get_status (back), ==, status ? status : 200);
  g_assert_cmpuint (bell_sip_msg_count (back, BELL_SIP_HDR_VIA), ==,
                    bell_sip_msg_count (req, BELL_SIP_HDR_VIA));
  g_assert_true (bell_str_equal (bell_sip_msg_get_call_id (back), bell_sip_msg_get_call_id (req)));
  if (bell_sip_msg_get_cseq (req))
    g_assert_cmpuint (bell_sip_msg_get_cseq (back)->seq, ==, bell_sip_msg_get_cseq (req)->seq);
  if (bell_sip_msg_get_from (req))
    {
      const BellSipNameAddr *a = bell_sip_msg_get_from (req), *b = bell_sip_msg_get_from (back);
      g_assert_true (bell_str_equal (a->tag, b->tag));
      g_assert_cmpmem (a->display.p, a->display.len, b->display.p, b->display.len);
    }
  if (bell_sip_msg_get_to (req))
    {
      const BellSipNameAddr *a = bell_sip_msg_get_to (req), *b = bell_sip_msg_get_to (back);
      g_assert_cmpmem (a->display.p, a->display.len, b->display.p, b->display.len);
      if (bell_str_is_set (a->tag) && a->tag.len)
        g_assert_true (bell_str_equal (a->tag, b->tag));
      else if (status != 100)
        assert_str_eq (b->tag, "t1");
    }
}

/* bell_sip_msg_new_error_response_raw(): a request that did not parse still gets its 400 (505
 * for a version) when its Via, From, To, Call-ID and CSeq lines can be echoed; a response, never. */
static const struct {
  const char *name;
  guint       status;   /* 0: must be NULL; 1: NULL or a valid response (a needed line is bad) */
} raw_error[] = {
  { "clerr", 400 }, { "ncl", 400 }, { "ltgtruri", 400 }, { "lwsruri", 400 }, { "regbadct", 400 },
  { "badvers", 505 }, { "mismatch01", 400 }, { "mismatch02", 400 }, { "ipv6-bad", 400 },
  { "scalarlg", 0 }, { "bigcode", 0 },
  { "badinv01", 1 }, { "scalar02", 1 }, { "quotbal", 1 }, { "baddn", 1 }, { "baddn.terminated", 1 },
};

static void
test_error_response (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(GBytes) bytes = load (c->path);
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(BellSipMsg) msg = parse_bytes (bytes, &parse_error);
  g_autoptr(BellSipMsg) resp = NULL;
  g_autoptr(BellSipMsg) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const BellSipHeader *warning;
  guint expected = G_MAXUINT;
  gsize len;

  g_assert_null (msg);
  g_assert_nonnull (parse_error);
  for (gsize i = 0; i < G_N_ELEMENTS (raw_error); i++)
    if (g_str_equal (raw_error[i].name, c->name))
      expected = raw_error[i].status;
  g_assert_cmpuint (expected, !=, G_MAXUINT);

  resp = bell_sip_msg_new_error_response_raw (g_bytes_get_data (bytes, NULL),
                                              g_bytes_get_size (bytes), parse_error);
  if (expected == 0 || (expected == 1 && resp == NULL))
    {
      g_assert_null (resp);
      return;
    }
  g_assert_nonnull (resp);
  text = bell_sip_msg_to_string (resp, &len);
  g_test_message ("%s", text);
  back = bell_sip_msg_parse (text, len, BELL_SIP_PARSE_STREAM, &error);
  if (back == NULL)
    g_error ("error response does not parse: %s\n%s", error->message, text);
  g_assert_false (bell_sip_msg_is_request (back));
  if (expected > 1)
    g_assert_cmpuint (bell_sip_msg_get_status (back), ==, expected);
  else
    g_assert_true (bell_sip_msg_get_status (back) == 400 || bell_sip_msg_get_status (back) == 505);
  g_assert_nonnull (bell_sip_msg_get_via (back));
  g_assert_nonnull (bell_sip_msg_get_cseq (back));
  g_assert_true (bell_str_is_set (bell_sip_msg_get_call_id (back)));
  {
    BellStr call_id = file_slice (bytes, "\r\nCall-ID: ", "\r\n");
    g_assert_true (bell_str_equal (bell_sip_msg_get_call_id (back), call_id));
  }
  g_assert_nonnull (bell_sip_msg_get_to (back));
  warning = bell_sip_msg_find (back, BELL_SIP_HDR_WARNING);
  g_assert_nonnull (warning);
  g_assert_cmpuint (warning->parsed.warning->code, >=, 300);
  g_assert_cmpuint (warning->parsed.warning->code, <=, 399);
  g_assert_cmpuint (warning->parsed.warning->text.len, >, 2);
  g_assert_cmpuint (bell_sip_msg_count (back, BELL_SIP_HDR_VIA), >=, 1);
  /* A UAS adds a To tag to every response but 100 (RFC 3261 §8.2.6.2). */
  g_assert_true (bell_sip_msg_get_to (back)->tag.len > 0);
}

/* RFC 5118 §4.6 as archived: Content-Length 268 but 251 bytes of body on the wire. */
static void
test_ipv6_in_sdp (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(GBytes) bytes = load (c->path);
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) msg = parse_bytes (bytes, &error);

  g_assert_null (msg);
  g_assert_error (error, BELL_SIP_ERROR, BELL_SIP_ERROR_TRUNCATED);
}

static void
test_ipv6_in_sdp_corrected (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(GBytes) bytes = load (c->path);
  BellStr body = file_body (bytes);
  g_autoptr(GString) s = g_string_new_len (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_autofree char *fixed_cl = g_strdup_printf ("Content-Length: %" G_GSIZE_FORMAT "\r\n", body.len);
  g_autoptr(GBytes) fixed = NULL;
  g_autoptr(BellSipMsg) msg = NULL;
  gsize blen;
  const char *b;

  g_assert_cmpuint (body.len, ==, 251);
  g_assert_cmpuint (g_string_replace (s, "Content-Length: 268\r\n", fixed_cl, 1), ==, 1);
  fixed = g_bytes_new (s->str, s->len);
  msg = parse_ok (fixed);
  g_assert_cmpuint (bell_sip_msg_check (msg, NULL), ==, 0);
  b = bell_sip_msg_peek_body (msg, &blen);
  g_assert_cmpmem (b, blen, body.p, body.len);
  values_ipv6_in_sdp (msg, fixed);
  assert_round_trip (msg);
}

/* RFC 4475 §3.1.2.2 on a stream: a promise of 9999 bytes means "wait for more". */
static void
test_clerr_stream (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(GBytes) bytes = load (c->path);
  g_autoptr(GError) error = NULL;
  gsize len, skip = 0, msg_len = 0;
  const char *d = g_bytes_get_data (bytes, &len);

  g_assert_cmpint (bell_sip_frame (d, len, &skip, &msg_len, &error), ==, BELL_SIP_FRAME_NEED_MORE);
  g_assert_no_error (error);
}

/* RFC 4475 §3.1.2.3 on a stream: a negative Content-Length cannot be framed. */
static void
test_ncl_stream (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(GBytes) bytes = load (c->path);
  g_autoptr(GError) error = NULL;
  gsize len, skip = 0, msg_len = 0;
  const char *d = g_bytes_get_data (bytes, &len);

  g_assert_cmpint (bell_sip_frame (d, len, &skip, &msg_len, &error), ==, BELL_SIP_FRAME_MALFORMED);
  g_assert_nonnull (error);
}

/* RFC 4475 §3.1.1.8 on a stream: two messages back to back frame one after the other. */
static void
test_dblreq_stream (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(GBytes) bytes = load (c->path);
  g_autoptr(GError) error = NULL;
  gsize len, skip = 0, msg_len = 0, off;
  const char *d = g_bytes_get_data (bytes, &len);
  g_autoptr(BellSipMsg) first = NULL;
  g_autoptr(BellSipMsg) second = NULL;

  g_assert_cmpint (bell_sip_frame (d, len, &skip, &msg_len, &error), ==, BELL_SIP_FRAME_COMPLETE);
  g_assert_cmpuint (skip, ==, 0);
  first = bell_sip_msg_parse (d, msg_len, BELL_SIP_PARSE_STREAM, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bell_sip_msg_get_method (first), ==, BELL_SIP_METHOD_REGISTER);
  off = msg_len;
  /* The INVITE follows after one CRLF, which is skipped as a keep-alive. */
  g_assert_cmpint (bell_sip_frame (d + off, len - off, &skip, &msg_len, &error), ==,
                   BELL_SIP_FRAME_COMPLETE);
  g_assert_cmpuint (skip, ==, 2);
  second = bell_sip_msg_parse (d + off + skip, msg_len, BELL_SIP_PARSE_STREAM, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bell_sip_msg_get_method (second), ==, BELL_SIP_METHOD_INVITE);
  /* The INVITE says 150 body bytes; the archived datagram holds 155. */
  g_assert_cmpuint (len - (off + skip + msg_len), ==, 5);
}

/* ------------------------------------------------------------------------------------------ */
/* The CLI: bellbird-cli parse FILE */

static void
test_cli (gconstpointer data)
{
  const Case *c = data;
  const char *cli = g_getenv ("BELLBIRD_CLI");
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GBytes) out_bytes = NULL;
  g_autoptr(GBytes) err_bytes = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  const char *out;
  gsize out_len;
  int code;
  gboolean reject, ok;

  if (cli == NULL || !g_file_test (cli, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("BELLBIRD_CLI is not an executable");
      return;
    }
  proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                           cli, "parse", c->path, NULL);
  g_assert_no_error (error);
  /* stdout is binary-safe here: a message may carry NUL bytes (intmeth, mpart01). */
  g_assert_true (g_subprocess_communicate (proc, NULL, NULL, &out_bytes, &err_bytes, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  code = g_subprocess_get_exit_status (proc);
  out = g_bytes_get_data (out_bytes, &out_len);
  err = g_strndup (g_bytes_get_data (err_bytes, NULL), g_bytes_get_size (err_bytes));
  g_test_message ("%s: exit %d, stderr: %s", c->name, code, err);

  reject = g_str_equal (c->expectation, "must-reject") ||
           (g_str_equal (c->suite, "rfc5118") && g_str_equal (c->name, "ipv6-in-sdp"));
  ok = !reject && (g_str_equal (c->expectation, "parse-ok") ||
                   g_str_equal (c->expectation, "parse-ok-but-app-reject"));

  if (!reject && !ok)
    g_assert_true (code == 0 || code == 1);
  else
    g_assert_cmpint (code, ==, reject ? 1 : 0);

  if (code == 1)
    {
      /* One line: "error: <why>" */
      g_assert_true (g_str_has_prefix (err, "error: "));
      g_assert_cmpuint (strlen (err), >, strlen ("error: \n"));
      g_assert_true (g_str_has_suffix (err, "\n"));
      g_assert_true (strchr (err, '\n') == err + strlen (err) - 1);
    }
  else
    {
      /* stdout is the message, printed again: it parses to the same message. */
      g_autoptr(GBytes) bytes = load (c->path);
      g_autoptr(BellSipMsg) orig = NULL;
      g_autoptr(BellSipMsg) printed = NULL;
      g_autoptr(GError) perr = NULL;

      printed = bell_sip_msg_parse (out, out_len, BELL_SIP_PARSE_DATAGRAM, &perr);
      if (printed == NULL)
        g_error ("CLI output does not parse: %s\n%.*s", perr->message, (int) out_len, out);
      orig = parse_bytes (bytes, NULL);
      if (orig)
        {
          g_assert_true (bell_str_equal (bell_sip_msg_get_call_id (orig),
                                         bell_sip_msg_get_call_id (printed)));
          g_assert_cmpuint (n_headers_without_cl (orig), ==, n_headers_without_cl (printed));
        }
    }
}

/* ------------------------------------------------------------------------------------------ */

static void
test_corpus_missing (void)
{
  g_test_skip ("skipped: corpus not found");
}

static gboolean
read_manifest (const char *corpus, const char *suite, const char *data_dir, const char *ext,
               guint *n_rows)
{
  g_autofree char *path = g_build_filename (corpus, suite, "MANIFEST.tsv", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  *n_rows = 0;
  for (guint i = 1; lines[i]; i++)   /* line 0 is the column names */
    {
      g_auto(GStrv) cols = NULL;
      Case *c;
      g_autofree char *file = NULL;

      g_strchomp (lines[i]);
      if (lines[i][0] == '\0')
        continue;
      cols = g_strsplit (lines[i], "\t", 4);
      g_assert_cmpuint (g_strv_length (cols), ==, 4);
      c = g_new0 (Case, 1);
      c->suite = g_strdup (suite);
      c->name = g_str_has_suffix (cols[0], ".dat") ? g_strndup (cols[0], strlen (cols[0]) - 4)
                                                   : g_strdup (cols[0]);
      file = g_strconcat (c->name, ext, NULL);
      c->path = g_build_filename (corpus, suite, data_dir, file, NULL);
      c->expectation = g_strdup (cols[2]);
      g_ptr_array_add (cases, c);
      (*n_rows)++;
    }
  return TRUE;
}

static void
test_manifest (gconstpointer data)
{
  const guint *counts = data;

  /* 50 archive files in RFC 4475 (49 + test.dat), 12 in RFC 5118. */
  g_assert_cmpuint (counts[0], ==, 50);
  g_assert_cmpuint (counts[1], ==, 12);
  for (guint i = 0; i < cases->len; i++)
    {
      Case *c = g_ptr_array_index (cases, i);
      if (!g_file_test (c->path, G_FILE_TEST_IS_REGULAR))
        g_error ("%s listed but missing", c->path);
    }
}

int
main (int argc, char *argv[])
{
  const char *corpus;
  static guint counts[2];
  int ret;

  g_test_init (&argc, &argv, NULL);
  cases = g_ptr_array_new_with_free_func (case_free);

  corpus = g_getenv ("BELL_CORPUS_DIR");
  if (corpus == NULL || !g_file_test (corpus, G_FILE_TEST_IS_DIR) ||
      !read_manifest (corpus, "rfc4475", "", ".dat", &counts[0]) ||
      !read_manifest (corpus, "rfc5118", "wire", ".dat", &counts[1]))
    {
      g_test_add_func ("/conformance/corpus", test_corpus_missing);
      ret = g_test_run ();
      g_ptr_array_unref (cases);
      return ret;
    }

  /* The archived baddn.dat lacks the empty line that ends its headers; test both. */
  {
    Case *v = g_new0 (Case, 1);
    v->suite = g_strdup ("rfc4475");
    v->name = g_strdup ("baddn.terminated");
    v->path = g_build_filename (corpus, "rfc4475", "variants", "baddn.terminated.dat", NULL);
    v->expectation = g_strdup ("must-reject");
    g_ptr_array_add (cases, v);
  }

  g_test_add_data_func ("/conformance/manifest", counts, test_manifest);

  for (guint i = 0; i < cases->len; i++)
    {
      Case *c = g_ptr_array_index (cases, i);
      g_autofree char *path = g_strdup_printf ("/conformance/%s/%s", c->suite, c->name);
      g_autofree char *cli_path = g_strdup_printf ("/conformance/cli/%s/%s", c->suite, c->name);

      if (g_str_equal (c->suite, "rfc5118") && g_str_equal (c->name, "ipv6-in-sdp"))
        {
          g_autofree char *fixed = g_strdup_printf ("%s/corrected-length", path);
          g_test_add_data_func (path, c, test_ipv6_in_sdp);
          g_test_add_data_func (fixed, c, test_ipv6_in_sdp_corrected);
        }
      else
        g_test_add_data_func (path, c, test_case);

      if (g_str_equal (c->suite, "rfc4475") && g_str_equal (c->name, "clerr"))
        {
          g_autofree char *p = g_strdup_printf ("%s/stream", path);
          g_test_add_data_func (p, c, test_clerr_stream);
        }
      if (g_str_equal (c->suite, "rfc4475") && g_str_equal (c->name, "ncl"))
        {
          g_autofree char *p = g_strdup_printf ("%s/stream", path);
          g_test_add_data_func (p, c, test_ncl_stream);
        }
      if (g_str_equal (c->suite, "rfc4475") && g_str_equal (c->name, "dblreq"))
        {
          g_autofree char *p = g_strdup_printf ("%s/stream", path);
          g_test_add_data_func (p, c, test_dblreq_stream);
        }

      if (g_str_equal (c->expectation, "must-reject"))
        {
          g_autofree char *p = g_strdup_printf ("%s/error-response", path);
          g_test_add_data_func (p, c, test_error_response);
        }
      else
        {
          g_autofree char *p = g_strdup_printf ("%s/response", path);
          g_test_add_data_func (p, c, test_response);
        }

      g_test_add_data_func (cli_path, c, test_cli);
    }

  ret = g_test_run ();
  g_ptr_array_unref (cases);
  return ret;
}
