/* test-sip-uri.c: sip:, sips: and tel: URIs (RFC 3261 §19.1, RFC 3966). */
#include <string.h>

#include <glib.h>

#include "bell-sip-error.h"
#include "bell-sip-uri.h"

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

static BellSipUri *
parse_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  BellSipUri *uri = bell_sip_uri_new (text, &error);

  if (uri == NULL)
    g_error ("\"%s\" did not parse: %s", text, error ? error->message : "(no GError)");
  g_assert_no_error (error);
  return uri;
}

/* ------------------------------------------------------------------------------------------ */

static void
test_parse_sip_full (void)
{
  const char *text = "sip:alice:secretword@atlanta.com:5061;transport=tcp;lr?subject=project%20x&priority=urgent";
  g_autoptr(GError) error = NULL;
  BellSipUri uri;

  g_assert_true (bell_sip_uri_parse (&uri, text, strlen (text), &error));
  g_assert_no_error (error);
  g_assert_cmpint (uri.scheme, ==, BELL_URI_SCHEME_SIP);
  assert_str_eq (uri.scheme_str, "sip");
  assert_str_eq (uri.user, "alice");
  assert_str_eq (uri.password, "secretword");
  assert_str_eq (uri.host, "atlanta.com");
  g_assert_cmpint (uri.host_type, ==, BELL_HOST_NAME);
  g_assert_cmpuint (uri.port, ==, 5061);
  assert_str_eq (uri.params, ";transport=tcp;lr");
  assert_str_eq (uri.headers, "subject=project%20x&priority=urgent");
  assert_str_eq (uri.text, text);
  /* Zero-copy: the slices point into the text we gave. */
  g_assert_true (uri.host.p >= text && uri.host.p < text + strlen (text));
  g_assert_true (bell_sip_uri_is_sip (&uri));
}

static void
test_parse_sip_minimal (void)
{
  g_autoptr(BellSipUri) uri = parse_ok ("sip:atlanta.com");

  g_assert_cmpint (uri->scheme, ==, BELL_URI_SCHEME_SIP);
  g_assert_false (bell_str_is_set (uri->user) && uri->user.len > 0);
  assert_str_empty (uri->password);
  assert_str_eq (uri->host, "atlanta.com");
  g_assert_cmpuint (uri->port, ==, 0);
  assert_str_empty (uri->params);
  assert_str_empty (uri->headers);
}

static void
test_parse_sips (void)
{
  g_autoptr(BellSipUri) uri = parse_ok ("sips:bob@biloxi.com:5061");

  g_assert_cmpint (uri->scheme, ==, BELL_URI_SCHEME_SIPS);
  assert_str_eq (uri->scheme_str, "sips");
  assert_str_eq (uri->user, "bob");
  assert_str_eq (uri->host, "biloxi.com");
  g_assert_cmpuint (uri->port, ==, 5061);
  g_assert_true (bell_sip_uri_is_sip (uri));
}

static void
test_parse_scheme_case (void)
{
  /* Schemes are case-insensitive (RFC 3261 §19.1.4). */
  g_autoptr(BellSipUri) a = parse_ok ("SIP:alice@atlanta.com");
  g_autoptr(BellSipUri) b = parse_ok ("SiPs:alice@atlanta.com");

  g_assert_cmpint (a->scheme, ==, BELL_URI_SCHEME_SIP);
  g_assert_cmpint (b->scheme, ==, BELL_URI_SCHEME_SIPS);
}

static void
test_parse_tel (void)
{
  g_autoptr(BellSipUri) uri = parse_ok ("tel:+1-201-555-0123");
  g_autoptr(BellSipUri) local = parse_ok ("tel:7042;phone-context=example.com");
  BellStr v;

  g_assert_cmpint (uri->scheme, ==, BELL_URI_SCHEME_TEL);
  assert_str_eq (uri->user, "+1-201-555-0123");
  assert_str_empty (uri->host);
  g_assert_cmpint (uri->host_type, ==, BELL_HOST_NONE);
  g_assert_cmpuint (uri->port, ==, 0);
  g_assert_false (bell_sip_uri_is_sip (uri));

  g_assert_cmpint (local->scheme, ==, BELL_URI_SCHEME_TEL);
  assert_str_eq (local->user, "7042");
  assert_str_eq (local->params, ";phone-context=example.com");
  g_assert_true (bell_sip_uri_get_param (local, "phone-context", &v));
  assert_str_eq (v, "example.com");
}

static void
test_parse_tel_global_context (void)
{
  g_autoptr(BellSipUri) uri = parse_ok ("tel:+1-201-555-0123;phone-context=+1-201;ext=1234");
  BellStr v;

  assert_str_eq (uri->user, "+1-201-555-0123");
  g_assert_true (bell_sip_uri_get_param (uri, "ext", &v));
  assert_str_eq (v, "1234");
  g_assert_true (bell_sip_uri_get_param (uri, "phone-context", &v));
  assert_str_eq (v, "+1-201");
}

static void
test_parse_other_scheme (void)
{
  g_autoptr(BellSipUri) uri = parse_ok ("mailto:alice@atlanta.com");

  g_assert_cmpint (uri->scheme, ==, BELL_URI_SCHEME_OTHER);
  assert_str_eq (uri->scheme_str, "mailto");
  assert_str_eq (uri->opaque, "alice@atlanta.com");
  g_assert_false (bell_sip_uri_is_sip (uri));
}

static void
test_parse_host_types (void)
{
  struct {
    const char  *text;
    const char  *host;
    BellHostType type;
    guint16      port;
  } cases[] = {
    { "sip:alice@192.0.2.4", "192.0.2.4", BELL_HOST_IPV4, 0 },
    { "sip:alice@192.0.2.4:5060", "192.0.2.4", BELL_HOST_IPV4, 5060 },
    { "sip:alice@atlanta.com", "atlanta.com", BELL_HOST_NAME, 0 },
    { "sip:alice@atlanta.com.", "atlanta.com.", BELL_HOST_NAME, 0 },
    { "sip:alice@a-1.example.com:65535", "a-1.example.com", BELL_HOST_NAME, 65535 },
    { "sip:alice@1.example.com", "1.example.com", BELL_HOST_NAME, 0 },
    { "sip:alice@[2001:db8::10]", "[2001:db8::10]", BELL_HOST_IPV6, 0 },
    { "sip:alice@[2001:db8::10]:5070", "[2001:db8::10]", BELL_HOST_IPV6, 5070 },
    { "sip:[2001:db8::10:5070]", "[2001:db8::10:5070]", BELL_HOST_IPV6, 0 },
    { "sip:[::1]", "[::1]", BELL_HOST_IPV6, 0 },
    { "sip:user@[::ffff:192.0.2.2]", "[::ffff:192.0.2.2]", BELL_HOST_IPV6, 0 },
    { "sip:user@[2001:db8::192.0.2.1];transport=tcp", "[2001:db8::192.0.2.1]", BELL_HOST_IPV6, 0 },
    { "sips:[2001:DB8::1]:1", "[2001:DB8::1]", BELL_HOST_IPV6, 1 },
    { "sip:alice@atlanta.com;maddr=[2001:db8::1]", "atlanta.com", BELL_HOST_NAME, 0 },
    { "sip:alice@a.b-c.d", "a.b-c.d", BELL_HOST_NAME, 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(BellSipUri) uri = parse_ok (cases[i].text);

      g_test_message ("%s", cases[i].text);
      assert_str_eq (uri->host, cases[i].host);
      g_assert_cmpint (uri->host_type, ==, cases[i].type);
      g_assert_cmpuint (uri->port, ==, cases[i].port);
    }
}

static void
test_parse_user_forms (void)
{
  /* RFC 4475 §3.1.1.9: ';' belongs to the user part when an '@' follows. */
  g_autoptr(BellSipUri) semi = parse_ok ("sip:user;par=u%40example.net@example.com");
  g_autoptr(BellSipUri) phone = parse_ok ("sip:+1-212-555-1212:1234@gateway.com;user=phone");
  g_autoptr(BellSipUri) nopw = parse_ok ("sip:alice:@atlanta.com");
  BellStr v;

  assert_str_eq (semi->user, "user;par=u%40example.net");
  assert_str_eq (semi->host, "example.com");
  assert_str_empty (semi->params);

  assert_str_eq (phone->user, "+1-212-555-1212");
  assert_str_eq (phone->password, "1234");
  assert_str_eq (phone->host, "gateway.com");
  g_assert_true (bell_sip_uri_get_param (phone, "user", &v));
  assert_str_eq (v, "phone");

  assert_str_eq (nopw->user, "alice");
  assert_str_empty (nopw->password);
  assert_str_eq (nopw->host, "atlanta.com");
}

static void
test_parse_invalid (void)
{
  const char *bad[] = {
    "",
    "sip:",
    "sip:alice@",
    "sip:alice@:5060",
    "sip:@atlanta.com",                      /* user = 1*( ... ): empty user before '@' */
    "sip:alice@atlanta.com:65536",
    "sip:alice@atlanta.com:99999999999999999999",
    "sip:alice@atlanta.com:5o60",
    "sip:alice@atlanta.com:",
    "sip:alice@atlanta.com:-1",
    "sip:2001:db8::10",                      /* RFC 5118 §4.2: IPv6 without brackets */
    "sip:alice@2001:db8::10",
    "sip:alice@[2001:db8::10",               /* unterminated bracket */
    "sip:alice@2001:db8::10]",
    "sip:alice@[2001:db8::10]x",
    "sip:alice@[]",
    "sip:alice@atlanta .com",
    "sip:alice smith@atlanta.com",
    " sip:alice@atlanta.com",
    "sip:alice@atlanta.com ",
    "sip:alice@atlanta.com; lr",             /* RFC 4475 §3.1.2.8 */
    "sip:alice@atlanta.com\r\n",
    "<sip:alice@atlanta.com>",               /* RFC 4475 §3.1.2.7 */
    "sip:alice@at<lanta.com",
    "sip:alice@atlanta.com;transport=tcp?subject",  /* header = hname "=" hvalue */
    "alice@atlanta.com",                     /* no scheme */
    ":alice@atlanta.com",
    "sip:al%zzice@atlanta.com",              /* escaped = "%" HEXDIG HEXDIG */
    "sip:alice%4@atlanta.com",
    "tel:",
    "sip:alice@atlanta.com;",                /* uri-parameter needs a name */
    "sip:alice@atlanta.com;;lr",
    "sip:alice@atlanta.com?",                /* headers = "?" header *( "&" header ) */
    "sip:alice@atlanta.com?a=b&",
    "sip:alice@[2001:db8::g]",
    "sip:alice@-atlanta.com",                /* domainlabel starts with alphanum */
    "sip:alice@atlanta.com:5060:5061",
    "sip:alice@atlanta.com@biloxi.com",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      BellSipUri uri;
      gboolean ok;

      g_test_message ("invalid: \"%s\"", bad[i]);
      ok = bell_sip_uri_parse (&uri, bad[i], strlen (bad[i]), &error);
      if (ok)
        g_error ("\"%s\" parsed (host \"%.*s\" port %u), expected BELL_SIP_ERROR_BAD_URI",
                 bad[i], BELL_STR_PRINTF (uri.host), uri.port);
      g_assert_error (error, BELL_SIP_ERROR, BELL_SIP_ERROR_BAD_URI);
      g_assert_nonnull (error->message);
      g_assert_cmpstr (error->message, !=, "");
    }
}

static void
test_parse_invalid_new (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipUri) uri = bell_sip_uri_new ("sip:2001:db8::10", &error);

  g_assert_null (uri);
  g_assert_error (error, BELL_SIP_ERROR, BELL_SIP_ERROR_BAD_URI);
}

static void
test_parse_len_bounded (void)
{
  /* Only len bytes are read: the rest of the buffer is someone else's. */
  const char *buf = "sip:alice@atlanta.com:5060>;tag=1";
  g_autoptr(GError) error = NULL;
  BellSipUri uri;

  g_assert_true (bell_sip_uri_parse (&uri, buf, strlen ("sip:alice@atlanta.com:5060"), &error));
  g_assert_no_error (error);
  assert_str_eq (uri.host, "atlanta.com");
  g_assert_cmpuint (uri.port, ==, 5060);
  assert_str_empty (uri.params);
  assert_str_eq (uri.text, "sip:alice@atlanta.com:5060");
}

/* ------------------------------------------------------------------------------------------ */

static void
test_params_and_headers (void)
{
  g_autoptr(BellSipUri) uri =
    parse_ok ("sip:alice@atlanta.com;transport=TCP;lr;maddr=239.255.255.1;ttl=15"
              "?subject=project%20x&priority=urgent");
  BellStr v = BELL_STR_LIT ("sentinel");

  g_assert_true (bell_sip_uri_get_param (uri, "transport", &v));
  assert_str_eq (v, "TCP");
  g_assert_true (bell_sip_uri_get_param (uri, "Transport", &v));
  assert_str_eq (v, "TCP");
  v = BELL_STR_LIT ("sentinel");
  g_assert_true (bell_sip_uri_get_param (uri, "lr", &v));
  assert_str_empty (v);
  g_assert_true (bell_sip_uri_get_param (uri, "LR", &v));
  g_assert_true (bell_sip_uri_get_param (uri, "maddr", &v));
  assert_str_eq (v, "239.255.255.1");
  g_assert_true (bell_sip_uri_get_param (uri, "ttl", &v));
  assert_str_eq (v, "15");
  g_assert_false (bell_sip_uri_get_param (uri, "user", &v));
  /* A prefix of a name is not the name. */
  g_assert_false (bell_sip_uri_get_param (uri, "trans", &v));
  g_assert_false (bell_sip_uri_get_param (uri, "l", &v));

  g_assert_true (bell_sip_uri_get_header (uri, "subject", &v));
  assert_str_eq (v, "project%20x");
  g_assert_true (bell_sip_uri_get_header (uri, "priority", &v));
  assert_str_eq (v, "urgent");
  g_assert_false (bell_sip_uri_get_header (uri, "to", &v));
  /* Header values are not parameters and vice versa. */
  g_assert_false (bell_sip_uri_get_param (uri, "priority", &v));
  g_assert_false (bell_sip_uri_get_header (uri, "transport", &v));
}

static void
test_params_no_value_last (void)
{
  g_autoptr(BellSipUri) uri = parse_ok ("sip:proxy.example.com;lr");
  BellStr v = BELL_STR_LIT ("x");

  g_assert_true (bell_sip_uri_get_param (uri, "lr", &v));
  assert_str_empty (v);
  assert_str_eq (uri->host, "proxy.example.com");
}

static void
test_escaped_header (void)
{
  /* RFC 4475 §3.3.14: an escaped Route header inside a Contact URI. */
  g_autoptr(BellSipUri) uri = parse_ok ("sip:user@example.com?Route=%3Csip:sip.example.com%3E");
  BellStr v;
  gsize len = 0;
  g_autofree char *raw = NULL;

  g_assert_true (bell_sip_uri_get_header (uri, "Route", &v));
  assert_str_eq (v, "%3Csip:sip.example.com%3E");
  g_assert_true (bell_sip_uri_get_header (uri, "route", &v));
  raw = bell_uri_unescape (v, &len);
  g_assert_nonnull (raw);
  g_assert_cmpstr (raw, ==, "<sip:sip.example.com>");
  g_assert_cmpuint (len, ==, strlen ("<sip:sip.example.com>"));
}

/* ------------------------------------------------------------------------------------------ */

/* RFC 3261 §19.1.4, every example of the section, both ways round. */
static const char *const equal_pairs[][2] = {
  { "sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp" },
  { "sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5" },
  { "sip:carol@chicago.com", "sip:carol@chicago.com;security=on" },
  { "sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on" },
  { "sip:carol@chicago.com", "sip:carol@chicago.com;security=off" },
  { "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
    "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com" },
  { "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
    "sip:alice@atlanta.com?priority=urgent&subject=project%20x" },
  /* and the rules behind them */
  { "SIP:alice@atlanta.com", "sip:alice@atlanta.com" },
  { "sip:alice@atlanta.com:5060", "sip:alice@ATLANTA.com:5060" },
  { "sip:alice@atlanta.com;transport=%74cp", "sip:alice@atlanta.com;transport=TCP" },
  { "sip:alice@atlanta.com;maddr=239.255.255.1;ttl=15", "sip:alice@atlanta.com;ttl=15;maddr=239.255.255.1" },
  { "sip:alice@atlanta.com;user=phone", "sip:alice@atlanta.com;USER=phone" },
  { "sip:sips%3Auser%40example.com@example.net", "sip:sips%3auser%40example.com@example.net" },
  { "sip:alice:pw@atlanta.com", "sip:%61lice:p%77@atlanta.com" },
  { "sip:[2001:db8::10]:5070", "sip:[2001:DB8::10]:5070" },
  { "sips:bob@biloxi.com", "sips:bob@biloxi.com" },
  { "sip:%41lice@atlanta.com", "sip:Alice@atlanta.com" },
  { "sip:alice@atlanta.com;maddr=X.example.com", "sip:alice@atlanta.com;maddr=x.example.com" },
  { "sip:alice@atlanta.com;foo=1", "sip:alice@atlanta.com;bar=2" },
};

static const char *const unequal_pairs[][2] = {
  { "SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP" },
  { "sip:bob@biloxi.com", "sip:bob@biloxi.com:5060" },
  { "sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp" },
  { "sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp" },
  { "sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting" },
  { "sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4" },
  { "sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off" },
  /* and the rules behind them */
  { "sip:alice@atlanta.com", "sips:alice@atlanta.com" },
  { "sip:alice@atlanta.com", "sip:alice@atlanta.com;user=phone" },
  { "sip:alice@atlanta.com", "sip:alice@atlanta.com;ttl=1" },
  { "sip:alice@atlanta.com", "sip:alice@atlanta.com;method=INVITE" },
  { "sip:alice@atlanta.com", "sip:alice@atlanta.com;maddr=192.0.2.1" },
  { "sip:alice:pw@atlanta.com", "sip:alice:PW@atlanta.com" },
  { "sip:alice:pw@atlanta.com", "sip:alice@atlanta.com" },
  { "sip:alice@atlanta.com", "sip:atlanta.com" },
  { "sip:alice@atlanta.com:5060", "sip:alice@atlanta.com:5061" },
  { "sip:null-%00-null@example.com", "sip:null-@example.com" },
  { "sip:%00@host5.example.com", "sip:%00%00@host5.example.com" },
  { "sip:alice@atlanta.com?subject=a", "sip:alice@atlanta.com?subject=b" },
  { "sip:alice@atlanta.com?subject=a", "sip:alice@atlanta.com?subject=a&priority=urgent" },
  { "sip:[2001:db8::10]:5070", "sip:[2001:db8::10:5070]" },
  { "sip:alice@atlanta.com", "tel:+1-201-555-0123" },
  { "sip:alice@atlanta.com", "sip:Alice@atlanta.com" },
  { "sip:alice@atlanta.com;foo=1", "sip:alice@atlanta.com;foo=2" },   /* in both: must match */
  { "sip:alice@atlanta.com;transport=tcp", "sip:alice@atlanta.com;transport=udp" },
  { "sip:alice@atlanta.com;lr;maddr=192.0.2.1", "sip:alice@atlanta.com;lr;maddr=192.0.2.2" },
};

static void
test_equal (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (equal_pairs); i++)
    {
      g_autoptr(BellSipUri) a = parse_ok (equal_pairs[i][0]);
      g_autoptr(BellSipUri) b = parse_ok (equal_pairs[i][1]);

      if (!bell_sip_uri_equal (a, b) || !bell_sip_uri_equal (b, a))
        g_error ("expected equal: %s == %s (a==b %d, b==a %d)", equal_pairs[i][0],
                 equal_pairs[i][1], bell_sip_uri_equal (a, b), bell_sip_uri_equal (b, a));
      g_assert_true (bell_sip_uri_equal (a, a));
    }
}

static void
test_not_equal (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (unequal_pairs); i++)
    {
      g_autoptr(BellSipUri) a = parse_ok (unequal_pairs[i][0]);
      g_autoptr(BellSipUri) b = parse_ok (unequal_pairs[i][1]);

      if (bell_sip_uri_equal (a, b) || bell_sip_uri_equal (b, a))
        g_error ("expected NOT equal: %s vs %s (a==b %d, b==a %d)", unequal_pairs[i][0],
                 unequal_pairs[i][1], bell_sip_uri_equal (a, b), bell_sip_uri_equal (b, a));
    }
}

/* ------------------------------------------------------------------------------------------ */

static void
test_unescape (void)
{
  struct {
    const char *in;
    const char *out;
    gsize       out_len;
  } ok[] = {
    { "", "", 0 },
    { "alice", "alice", 5 },
    { "%61lice", "alice", 5 },
    { "I%20have%20spaces", "I have spaces", 13 },
    { "sips%3Auser%40example.com", "sips:user@example.com", 21 },
    { "%41%62", "Ab", 2 },
    { "%7e%7E", "~~", 2 },
    { "value%25%34%31", "value%41", 8 },
    { "%00", "\0", 1 },
    { "null-%00-null", "null-\0-null", 11 },
    { "%00%00", "\0\0", 2 },
    { "%ff", "\xff", 1 },
  };
  const char *bad[] = { "%4", "%zz", "%", "abc%", "%g0", "%0g", "a%2", "%%41" };

  for (gsize i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      gsize len = 12345;
      g_autofree char *raw = bell_uri_unescape (bell_str (ok[i].in), &len);

      g_test_message ("unescape \"%s\"", ok[i].in);
      g_assert_nonnull (raw);
      g_assert_cmpuint (len, ==, ok[i].out_len);
      g_assert_cmpmem (raw, len, ok[i].out, ok[i].out_len);
      /* Returned strings are NUL-terminated for convenience. */
      g_assert_cmpint (raw[len], ==, '\0');
    }

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      gsize len = 0;
      g_autofree char *raw = bell_uri_unescape (bell_str (bad[i]), &len);

      if (raw != NULL)
        g_error ("bell_uri_unescape (\"%s\") gave \"%s\", expected NULL", bad[i], raw);
    }
}

static void
test_unescape_slice (void)
{
  /* A BellStr is not NUL-terminated: an escape cut by the slice end is a bad escape. */
  const char *buf = "ab%41cd";
  gsize len = 0;
  g_autofree char *cut = bell_uri_unescape ((BellStr){ buf, 4 }, &len);
  g_autofree char *whole = bell_uri_unescape ((BellStr){ buf, 5 }, &len);

  g_assert_null (cut);
  g_assert_nonnull (whole);
  g_assert_cmpstr (whole, ==, "abA");
  g_assert_cmpuint (len, ==, 3);
}

static gboolean
only_chars (const char *s, const char *allowed_extra)
{
  for (; *s; s++)
    if (!g_ascii_isalnum (*s) && strchr ("-_.!~*'()%", *s) == NULL && strchr (allowed_extra, *s) == NULL)
      return FALSE;
  return TRUE;
}

/* ';' and '?' may be escaped where they are legal bare (user, header): escaping is never wrong
 * there, and the implementation does it to keep addr-specs without <> unambiguous. */
static char *
bare_semicolon_question (const char *escaped)
{
  GString *s = g_string_new (escaped);

  g_string_replace (s, "%3B", ";", 0);
  g_string_replace (s, "%3b", ";", 0);
  g_string_replace (s, "%3F", "?", 0);
  g_string_replace (s, "%3f", "?", 0);
  return g_string_free (s, FALSE);
}

static void
test_escape (void)
{
  g_autofree char *sp = bell_uri_escape ("alice smith", 11, BELL_URI_PART_USER);
  g_autofree char *at = bell_uri_escape ("sips:user@example.com", 21, BELL_URI_PART_USER);
  g_autofree char *nul = bell_uri_escape ("a\0b", 3, BELL_URI_PART_USER);
  g_autofree char *user_keep = bell_uri_escape ("&=+$,;?/", 8, BELL_URI_PART_USER);
  g_autofree char *unres = bell_uri_escape ("az-_.!~*'()09", 13, BELL_URI_PART_USER);
  g_autofree char *pw = bell_uri_escape ("p:w@d&=+$,", 10, BELL_URI_PART_PASSWORD);
  g_autofree char *param = bell_uri_escape ("a;b=c[]/:&+$", 12, BELL_URI_PART_PARAM);
  g_autofree char *hdr = bell_uri_escape ("<sip:x@y>&a=b?[]/:+$", 20, BELL_URI_PART_HEADER);
  g_autofree char *pct = bell_uri_escape ("100%", 4, BELL_URI_PART_USER);
  g_autofree char *user_keep_bare = bare_semicolon_question (user_keep);
  g_autofree char *hdr_bare = bare_semicolon_question (hdr);

  g_assert_cmpint (g_ascii_strcasecmp (sp, "alice%20smith"), ==, 0);
  g_assert_cmpint (g_ascii_strcasecmp (at, "sips%3Auser%40example.com"), ==, 0);
  g_assert_cmpint (g_ascii_strcasecmp (nul, "a%00b"), ==, 0);
  g_assert_cmpstr (unres, ==, "az-_.!~*'()09");
  g_assert_cmpint (g_ascii_strcasecmp (pw, "p%3Aw%40d&=+$,"), ==, 0);
  /* paramchar = param-unreserved / unreserved / escaped; ';' and '=' separate params. */
  g_assert_cmpint (g_ascii_strcasecmp (param, "a%3Bb%3Dc[]/:&+$"), ==, 0);
  /* hnv-unreserved = "[" / "]" / "/" / "?" / ":" / "+" / "$"; '&' and '=' separate headers. */
  g_assert_cmpint (g_ascii_strcasecmp (hdr_bare, "%3Csip:x%40y%3E%26a%3Db?[]/:+$"), ==, 0);
  g_assert_cmpint (g_ascii_strcasecmp (pct, "100%25"), ==, 0);
  /* user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/" */
  g_assert_cmpstr (user_keep_bare, ==, "&=+$,;?/");
}

static void
test_escape_round_trip (void)
{
  char all[256];
  const BellUriPart parts[] = {
    BELL_URI_PART_USER, BELL_URI_PART_PASSWORD, BELL_URI_PART_PARAM, BELL_URI_PART_HEADER,
  };
  const char *extra[] = { "&=+$,;?/", "&=+$,", "[]/:&+$", "[]/?:+$" };

  for (int i = 0; i < 256; i++)
    all[i] = (char) i;

  for (gsize p = 0; p < G_N_ELEMENTS (parts); p++)
    {
      g_autofree char *esc = bell_uri_escape (all, sizeof all, parts[p]);
      gsize len = 0;
      g_autofree char *back = NULL;
      g_autofree char *uri_text = NULL;
      g_autoptr(BellSipUri) uri = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_nonnull (esc);
      /* Only the characters the part allows are left bare. */
      g_assert_true (only_chars (esc, extra[p]));
      back = bell_uri_unescape (bell_str (esc), &len);
      g_assert_nonnull (back);
      g_assert_cmpmem (back, len, all, sizeof all);

      /* And the escaped text is a valid component of a URI. */
      switch (parts[p])
        {
        case BELL_URI_PART_USER:
          uri_text = g_strdup_printf ("sip:%s@example.com", esc);
          break;
        case BELL_URI_PART_PASSWORD:
          uri_text = g_strdup_printf ("sip:u:%s@example.com", esc);
          break;
        case BELL_URI_PART_PARAM:
          uri_text = g_strdup_printf ("sip:example.com;x=%s", esc);
          break;
        case BELL_URI_PART_HEADER:
        default:
          uri_text = g_strdup_printf ("sip:example.com?x=%s", esc);
          break;
        }
      uri = bell_sip_uri_new (uri_text, &error);
      g_assert_no_error (error);
      g_assert_nonnull (uri);
      assert_str_eq (uri->host, "example.com");
      if (parts[p] == BELL_URI_PART_USER)
        {
          g_autofree char *user = bell_sip_uri_dup_user (uri, &len);
          g_assert_cmpmem (user, len, all, sizeof all);
        }
    }
}

static void
test_dup_user (void)
{
  g_autoptr(BellSipUri) esc = parse_ok ("sip:sips%3Auser%40example.com@example.net");
  g_autoptr(BellSipUri) nul = parse_ok ("sip:null-%00-null@example.com");
  g_autoptr(BellSipUri) none = parse_ok ("sip:example.com");
  gsize len = 0;
  g_autofree char *u1 = bell_sip_uri_dup_user (esc, &len);
  g_autofree char *u2 = NULL;
  g_autofree char *u3 = NULL;

  g_assert_cmpint (esc->scheme, ==, BELL_URI_SCHEME_SIP);
  assert_str_eq (esc->user, "sips%3Auser%40example.com");
  assert_str_eq (esc->host, "example.net");
  g_assert_cmpstr (u1, ==, "sips:user@example.com");
  g_assert_cmpuint (len, ==, 21);

  u2 = bell_sip_uri_dup_user (nul, &len);
  g_assert_cmpuint (len, ==, 11);
  g_assert_cmpmem (u2, len, "null-\0-null", 11);

  len = 99;
  u3 = bell_sip_uri_dup_user (none, &len);
  g_assert_true (u3 == NULL || len == 0);
}

/* ------------------------------------------------------------------------------------------ */

static void
test_to_string_round_trip (void)
{
  const char *texts[] = {
    "sip:alice@atlanta.com",
    "sips:bob@biloxi.com:5061",
    "sip:alice:secretword@atlanta.com;transport=tcp",
    "sip:+1-212-555-1212:1234@gateway.com;user=phone",
    "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
    "sip:user@[2001:db8::10]:5070;transport=udp;lr",
    "sip:[2001:db8::10:5070]",
    "sip:user;par=u%40example.net@example.com",
    "sip:null-%00-null@example.com",
    "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
    "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
    "tel:+1-201-555-0123;phone-context=example.com",
    "sip:proxy.example.com;lr",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(BellSipUri) a = parse_ok (texts[i]);
      g_autofree char *s = bell_sip_uri_to_string (a);
      g_autoptr(BellSipUri) b = NULL;

      g_test_message ("%s -> %s", texts[i], s);
      g_assert_nonnull (s);
      b = parse_ok (s);
      g_assert_cmpint (a->scheme, ==, b->scheme);
      g_assert_true (bell_str_equal (a->user, b->user));
      g_assert_true (bell_str_equal (a->password, b->password));
      g_assert_true (bell_str_equal_ci (a->host, b->host));
      g_assert_cmpint (a->host_type, ==, b->host_type);
      g_assert_cmpuint (a->port, ==, b->port);
      g_assert_true (bell_str_equal (a->params, b->params));
      g_assert_true (bell_str_equal (a->headers, b->headers));
      if (bell_sip_uri_is_sip (a))
        g_assert_true (bell_sip_uri_equal (a, b));
      /* A URI printed as written is the same text. */
      g_assert_cmpstr (s, ==, texts[i]);
    }
}

/* ------------------------------------------------------------------------------------------ */

static void
test_new_self_contained (void)
{
  char *text = g_strdup ("sip:alice:pw@atlanta.com:5062;transport=tls?subject=x");
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipUri) uri = bell_sip_uri_new (text, &error);
  BellStr v;

  g_assert_no_error (error);
  g_assert_nonnull (uri);
  /* The URI owns its text: scribbling over and freeing ours must not matter. */
  memset (text, 'X', strlen (text));
  g_free (text);
  assert_str_eq (uri->user, "alice");
  assert_str_eq (uri->password, "pw");
  assert_str_eq (uri->host, "atlanta.com");
  g_assert_cmpuint (uri->port, ==, 5062);
  g_assert_true (bell_sip_uri_get_param (uri, "transport", &v));
  assert_str_eq (v, "tls");
  assert_str_eq (uri->text, "sip:alice:pw@atlanta.com:5062;transport=tls?subject=x");
}

static void
test_copy (void)
{
  char *text = g_strdup ("sips:bob@[2001:db8::4]:5061;lr?h=v");
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipUri) copy = NULL;
  g_autoptr(BellSipUri) copy2 = NULL;
  BellSipUri uri;

  g_assert_true (bell_sip_uri_parse (&uri, text, strlen (text), &error));
  copy = bell_sip_uri_copy (&uri);
  memset (text, 'X', strlen (text));
  g_free (text);

  g_assert_nonnull (copy);
  g_assert_cmpint (copy->scheme, ==, BELL_URI_SCHEME_SIPS);
  assert_str_eq (copy->user, "bob");
  assert_str_eq (copy->host, "[2001:db8::4]");
  g_assert_cmpint (copy->host_type, ==, BELL_HOST_IPV6);
  g_assert_cmpuint (copy->port, ==, 5061);
  assert_str_eq (copy->params, ";lr");
  assert_str_eq (copy->headers, "h=v");

  /* A copy of a copy, freed in the other order. */
  copy2 = bell_sip_uri_copy (copy);
  g_clear_pointer (&copy, bell_sip_uri_free);
  assert_str_eq (copy2->host, "[2001:db8::4]");
  g_assert_cmpuint (copy2->port, ==, 5061);
}

static void
test_free_null (void)
{
  /* g_autoptr on a NULL result must be harmless. */
  g_autoptr(BellSipUri) uri = NULL;
  g_autoptr(GError) error = NULL;

  uri = bell_sip_uri_new ("sip:", &error);
  g_assert_null (uri);
  g_assert_error (error, BELL_SIP_ERROR, BELL_SIP_ERROR_BAD_URI);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sip/uri/parse/sip-full", test_parse_sip_full);
  g_test_add_func ("/sip/uri/parse/sip-minimal", test_parse_sip_minimal);
  g_test_add_func ("/sip/uri/parse/sips", test_parse_sips);
  g_test_add_func ("/sip/uri/parse/scheme-case", test_parse_scheme_case);
  g_test_add_func ("/sip/uri/parse/tel", test_parse_tel);
  g_test_add_func ("/sip/uri/parse/tel-global-context", test_parse_tel_global_context);
  g_test_add_func ("/sip/uri/parse/other-scheme", test_parse_other_scheme);
  g_test_add_func ("/sip/uri/parse/host-types", test_parse_host_types);
  g_test_add_func ("/sip/uri/parse/user-forms", test_parse_user_forms);
  g_test_add_func ("/sip/uri/parse/invalid", test_parse_invalid);
  g_test_add_func ("/sip/uri/parse/invalid-new", test_parse_invalid_new);
  g_test_add_func ("/sip/uri/parse/len-bounded", test_parse_len_bounded);
  g_test_add_func ("/sip/uri/params-and-headers", test_params_and_headers);
  g_test_add_func ("/sip/uri/params-no-value-last", test_params_no_value_last);
  g_test_add_func ("/sip/uri/escaped-header", test_escaped_header);
  g_test_add_func ("/sip/uri/equal", test_equal);
  g_test_add_func ("/sip/uri/not-equal", test_not_equal);
  g_test_add_func ("/sip/uri/unescape", test_unescape);
  g_test_add_func ("/sip/uri/unescape-slice", test_unescape_slice);
  g_test_add_func ("/sip/uri/escape", test_escape);
  g_test_add_func ("/sip/uri/escape-round-trip", test_escape_round_trip);
  g_test_add_func ("/sip/uri/dup-user", test_dup_user);
  g_test_add_func ("/sip/uri/to-string-round-trip", test_to_string_round_trip);
  g_test_add_func ("/sip/uri/new-self-contained", test_new_self_contained);
  g_test_add_func ("/sip/uri/copy", test_copy);
  g_test_add_func ("/sip/uri/free-null", test_free_null);

  return g_test_run ();
}
