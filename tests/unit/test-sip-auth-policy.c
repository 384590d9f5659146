/* test-sip-auth-policy.c: to whom an account's password answers (issue 10): the policy's
 * decisions one by one (server, realm pinned or configured, downgrade, sips: transport), then
 * through bell_sip_auth_answer_via() and bell_sip_auth_authorize() on built messages, where a
 * refusal must leave the request without credentials. */
#include <string.h>

#include <glib.h>

#include "bell-sip-auth.h"
#include "bell-sip-auth-policy.h"
#include "bell-sip-header.h"
#include "bell-sip-msg.h"

#define USER      "alice"
#define PASSWORD  "Sup3r-Secret-Pa55"
#define REALM     "bellbird.test"
#define ROGUE     "rogue.example"
#define REGISTRAR "sip:pbx.bellbird.test:5070"
#define PROXY     "sip:proxy.bellbird.test"

/* Short names for the tables of decisions below. */
#define MD5         BELL_SIP_DIGEST_MD5
#define SHA256      BELL_SIP_DIGEST_SHA256
#define SHA512_256  BELL_SIP_DIGEST_SHA512_256
#define ANY         BELL_SIP_TRANSPORT_ANY
#define UDP         BELL_SIP_TRANSPORT_UDP
#define TCP         BELL_SIP_TRANSPORT_TCP
#define TLS         BELL_SIP_TRANSPORT_TLS
#define WS          BELL_SIP_TRANSPORT_WS
#define WSS         BELL_SIP_TRANSPORT_WSS
#define OK          (-1)
#define E_SERVER    BELL_SIP_AUTH_ERROR_UNTRUSTED_SERVER
#define E_REALM     BELL_SIP_AUTH_ERROR_UNTRUSTED_REALM
#define E_DOWNGRADE BELL_SIP_AUTH_ERROR_DOWNGRADE
#define E_INSECURE  BELL_SIP_AUTH_ERROR_INSECURE

/* ---- helpers ------------------------------------------------------------------------------ */

static BellSipUri *
uri (const char *text)
{
  g_autoptr(GError) error = NULL;
  BellSipUri *u = bell_sip_uri_new (text, &error);

  g_assert_no_error (error);
  return u;
}

static BellSipAuthPolicy *
account_policy (const char *realm, gboolean secure)
{
  g_autoptr(BellSipUri) registrar = uri (REGISTRAR);
  g_autoptr(BellSipUri) proxy = uri (PROXY);

  return bell_sip_auth_policy_new_account (registrar, proxy, realm, secure);
}

/* Checks one challenge for realm offering algorithm, the request having gone to hop; returns
 * the refusal's code, or -1 when it may be answered. */
static gint
check (BellSipAuthPolicy *policy, const char *realm, BellSipDigestAlgorithm algorithm,
       const char *hop, BellSipTransportKind transport, GInetSocketAddress *source)
{
  g_autoptr(BellSipUri) next_hop = hop ? uri (hop) : NULL;
  g_autoptr(GError) error = NULL;
  BellSipAuthChallengeInfo info = { realm, algorithm, next_hop, transport, source };

  if (bell_sip_auth_policy_check (policy, &info, &error))
    {
      g_assert_no_error (error);
      return -1;
    }
  g_assert_nonnull (error);
  g_assert_true (bell_sip_auth_error_is_policy (error));
  g_test_message ("refused: %s", error->message);
  return error->code;
}

static void
add_ok (BellSipMsg *msg, const char *name, const char *value)
{
  g_autoptr(GError) error = NULL;

  if (!bell_sip_msg_add_header (msg, name, value, &error))
    g_error ("add_header (%s: %s) failed: %s", name, value, error ? error->message : "?");
}

static BellSipMsg *
new_request (BellSipMethod method, const char *ruri, const char *route)
{
  g_autoptr(GError) error = NULL;
  BellSipMsg *msg = bell_sip_msg_new_request (method, NULL, ruri, &error);

  g_assert_no_error (error);
  add_ok (msg, "Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK776asdhds");
  add_ok (msg, "Max-Forwards", "70");
  if (route)
    add_ok (msg, "Route", route);
  add_ok (msg, "To", "<sip:bob@bellbird.test>");
  add_ok (msg, "From", "<sip:alice@bellbird.test>;tag=1928301774");
  add_ok (msg, "Call-ID", "a84b4c76e66710@bellbird");
  g_assert_true (bell_sip_msg_add_headerf (msg, "CSeq", NULL, "2 %s",
                                           bell_sip_method_to_string (method)));
  return msg;
}

/* A 401 with one WWW-Authenticate per challenge given. */
static BellSipMsg *
new_challenge (const char *first, ...)
{
  BellSipMsg *msg = bell_sip_msg_new_response (401, NULL);
  va_list args;

  add_ok (msg, "Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK776asdhds");
  add_ok (msg, "To", "<sip:bob@bellbird.test>;tag=x");
  add_ok (msg, "From", "<sip:alice@bellbird.test>;tag=1928301774");
  add_ok (msg, "Call-ID", "a84b4c76e66710@bellbird");
  add_ok (msg, "CSeq", "2 INVITE");
  va_start (args, first);
  for (const char *c = first; c; c = va_arg (args, const char *))
    add_ok (msg, "WWW-Authenticate", c);
  va_end (args);
  return msg;
}

static guint
count_headers (const BellSipMsg *msg, BellSipHdrId id)
{
  guint n = 0;

  for (const BellSipHeader *h = bell_sip_msg_find (msg, id); h;
       h = bell_sip_msg_find_next (msg, id, h))
    n++;
  return n;
}

/* The realm of the only Authorization header. */
static char *
answered_realm (const BellSipMsg *msg)
{
  const BellSipHeader *h = bell_sip_msg_find (msg, BELL_SIP_HDR_AUTHORIZATION);
  const char *start, *end;

  g_assert_nonnull (h);
  g_assert_cmpuint (count_headers (msg, BELL_SIP_HDR_AUTHORIZATION), ==, 1);
  start = g_strstr_len (h->value.p, (gssize) h->value.len, "realm=\"");
  g_assert_nonnull (start);
  start += strlen ("realm=\"");
  end = strchr (start, '"');
  return g_strndup (start, (gsize) (end - start));
}

#define SHA256_CHALLENGE(realm, nonce) \
  "Digest realm=\"" realm "\", nonce=\"" nonce "\", algorithm=SHA-256, qop=\"auth\""
#define MD5_CHALLENGE(realm, nonce) \
  "Digest realm=\"" realm "\", nonce=\"" nonce "\", algorithm=MD5, qop=\"auth\""

/* ---- the decisions ------------------------------------------------------------------------ */

static void
test_open (void)
{
  g_autoptr(BellSipAuthPolicy) policy = bell_sip_auth_policy_new_open ();

  /* Anyone, any realm, any transport, no hop known. */
  g_assert_cmpint (check (policy, ROGUE, MD5, "sip:elsewhere.example", UDP, NULL), ==, OK);
  g_assert_cmpint (check (policy, REALM, MD5, NULL, ANY, NULL), ==, OK);
  g_assert_null (bell_sip_auth_policy_get_realms (policy));
  /* Nothing pins an open policy. */
  bell_sip_auth_policy_pin_realms (policy, (const char *const[]){ REALM, NULL });
  g_assert_null (bell_sip_auth_policy_get_realms (policy));
  g_assert_false (bell_sip_auth_policy_is_secure (policy));
  /* But even an open policy refuses a downgrade. */
  g_assert_cmpint (check (policy, REALM, SHA256, NULL, UDP, NULL), ==, OK);
  g_assert_cmpint (check (policy, REALM, MD5, NULL, UDP, NULL), ==,
                   E_DOWNGRADE);
}

static void
test_server (void)
{
  g_autoptr(BellSipAuthPolicy) policy = account_policy (NULL, FALSE);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) registered = g_inet_socket_address_new (loopback, 5070);
  g_autoptr(GSocketAddress) other = g_inet_socket_address_new (loopback, 5080);

  /* The registrar (its port as configured), any port of the proxy (configured without one),
   * host names in any case. */
  g_assert_cmpint (check (policy, REALM, MD5, "sip:pbx.bellbird.test:5070", UDP, NULL), ==, OK);
  g_assert_cmpint (check (policy, REALM, MD5, "sip:bob@PBX.Bellbird.Test:5070", UDP, NULL), ==, OK);
  g_assert_cmpint (check (policy, REALM, MD5, "sip:proxy.bellbird.test:5099;lr", UDP, NULL), ==,
                   OK);
  /* A direct call elsewhere, the registrar's host on another port, no hop at all. */
  g_assert_cmpint (check (policy, REALM, MD5, "sip:bob@elsewhere.example", UDP, NULL), ==,
                   E_SERVER);
  g_assert_cmpint (check (policy, REALM, MD5, "sip:bob@pbx.bellbird.test:5080", UDP, NULL), ==,
                   E_SERVER);
  g_assert_cmpint (check (policy, REALM, MD5, NULL, UDP, NULL), ==,
                   E_SERVER);
  g_assert_false (bell_sip_auth_policy_may_send_to (policy, NULL));

  /* The address we registered with is the registrar's, whatever name routed the request. */
  g_assert_cmpint (check (policy, REALM, MD5, "sip:127.0.0.1:5070", UDP,
                          G_INET_SOCKET_ADDRESS (registered)), ==, E_SERVER);
  bell_sip_auth_policy_trust_address (policy, G_INET_SOCKET_ADDRESS (registered));
  bell_sip_auth_policy_trust_address (policy, G_INET_SOCKET_ADDRESS (registered));
  g_assert_cmpint (check (policy, REALM, MD5, "sip:127.0.0.1:5070", UDP,
                          G_INET_SOCKET_ADDRESS (registered)), ==, OK);
  g_assert_cmpint (check (policy, REALM, MD5, "sip:127.0.0.1:5080", UDP,
                          G_INET_SOCKET_ADDRESS (other)), ==, E_SERVER);
}

static void
test_realm_configured (void)
{
  g_autoptr(BellSipAuthPolicy) policy = account_policy (REALM, FALSE);
  const char *const *realms = bell_sip_auth_policy_get_realms (policy);

  g_assert_nonnull (realms);
  g_assert_cmpstr (realms[0], ==, REALM);
  g_assert_null (realms[1]);
  g_assert_cmpint (check (policy, REALM, MD5, REGISTRAR, TCP, NULL), ==, OK);
  /* The account's own registrar with another realm: not answered. Realms compare exactly. */
  g_assert_cmpint (check (policy, ROGUE, MD5, REGISTRAR, TCP, NULL), ==,
                   E_REALM);
  g_assert_cmpint (check (policy, "Bellbird.test", MD5, REGISTRAR, TCP, NULL), ==,
                   E_REALM);
  /* A configured realm is not replaced by a pin. */
  bell_sip_auth_policy_pin_realms (policy, (const char *const[]){ ROGUE, NULL });
  g_assert_cmpint (check (policy, ROGUE, MD5, REGISTRAR, TCP, NULL), ==,
                   E_REALM);
}

static void
test_realm_pinned (void)
{
  g_autoptr(BellSipAuthPolicy) policy = account_policy (NULL, FALSE);
  const char *const *realms;

  /* Before the first 2xx, any realm of the account's own servers. */
  g_assert_null (bell_sip_auth_policy_get_realms (policy));
  g_assert_cmpint (check (policy, ROGUE, MD5, REGISTRAR, UDP, NULL), ==, OK);
  g_assert_cmpint (check (policy, REALM, MD5, PROXY, UDP, NULL), ==, OK);
  /* ... but not from anyone else. */
  g_assert_cmpint (check (policy, REALM, MD5, "sip:elsewhere.example", UDP, NULL), ==,
                   E_SERVER);

  bell_sip_auth_policy_pin_realms (policy,
                                   (const char *const[]){ REALM, "proxy.bellbird.test", NULL });
  realms = bell_sip_auth_policy_get_realms (policy);
  g_assert_cmpstr (realms[0], ==, REALM);
  g_assert_cmpstr (realms[1], ==, "proxy.bellbird.test");
  g_assert_null (realms[2]);
  g_assert_cmpint (check (policy, REALM, MD5, REGISTRAR, UDP, NULL), ==, OK);
  g_assert_cmpint (check (policy, "proxy.bellbird.test", MD5, PROXY, UDP, NULL), ==, OK);
  g_assert_cmpint (check (policy, ROGUE, MD5, REGISTRAR, UDP, NULL), ==,
                   E_REALM);
  /* The first pin stays. */
  bell_sip_auth_policy_pin_realms (policy, (const char *const[]){ ROGUE, NULL });
  g_assert_cmpint (check (policy, ROGUE, MD5, REGISTRAR, UDP, NULL), ==,
                   E_REALM);
}

static void
test_downgrade (void)
{
  g_autoptr(BellSipAuthPolicy) policy = account_policy (NULL, FALSE);

  /* MD5 alone is fine for a realm never seen stronger. */
  g_assert_cmpint (check (policy, REALM, MD5, REGISTRAR, UDP, NULL), ==, OK);
  /* A refused server's SHA-256 teaches nothing. */
  g_assert_cmpint (check (policy, REALM, SHA256, "sip:elsewhere.example", UDP, NULL), ==,
                   E_SERVER);
  g_assert_cmpint (check (policy, REALM, MD5, REGISTRAR, UDP, NULL), ==, OK);
  /* Once it offered SHA-256, MD5 alone is a downgrade, for that realm only. */
  g_assert_cmpint (check (policy, REALM, SHA256, REGISTRAR, UDP, NULL), ==, OK);
  g_assert_cmpint (check (policy, REALM, MD5, REGISTRAR, UDP, NULL), ==,
                   E_DOWNGRADE);
  g_assert_cmpint (check (policy, REALM, SHA256, PROXY, UDP, NULL), ==, OK);
  g_assert_cmpint (check (policy, "other.bellbird.test", MD5, PROXY, UDP, NULL), ==, OK);
  /* SHA-512-256 counts as strong too. */
  g_assert_cmpint (check (policy, "other.bellbird.test", SHA512_256, PROXY, UDP, NULL), ==, OK);
  g_assert_cmpint (check (policy, "other.bellbird.test", MD5, PROXY, UDP, NULL), ==,
                   E_DOWNGRADE);
}

static void
test_secure (void)
{
  g_autoptr(BellSipAuthPolicy) policy = account_policy (REALM, TRUE);

  g_assert_true (bell_sip_auth_policy_is_secure (policy));
  g_assert_cmpint (check (policy, REALM, SHA256, REGISTRAR, UDP, NULL), ==,
                   E_INSECURE);
  g_assert_cmpint (check (policy, REALM, SHA256, REGISTRAR, TCP, NULL), ==,
                   E_INSECURE);
  g_assert_cmpint (check (policy, REALM, SHA256, REGISTRAR, WS, NULL), ==,
                   E_INSECURE);
  g_assert_cmpint (check (policy, REALM, SHA256, REGISTRAR, ANY, NULL), ==,
                   E_INSECURE);
  g_assert_cmpint (check (policy, REALM, SHA256, REGISTRAR, TLS, NULL), ==, OK);
  g_assert_cmpint (check (policy, REALM, SHA256, REGISTRAR, WSS, NULL), ==, OK);
  /* Unasked, a sips: account's credentials go only where the URI itself says TLS. */
  {
    g_autoptr(BellSipUri) sips = uri ("sips:pbx.bellbird.test:5070");
    g_autoptr(BellSipUri) tls = uri ("sip:pbx.bellbird.test:5070;transport=TLS");
    g_autoptr(BellSipUri) plain = uri (REGISTRAR);
    g_autoptr(BellSipUri) tcp = uri ("sip:pbx.bellbird.test:5070;transport=tcp");
    g_autoptr(BellSipUri) elsewhere = uri ("sips:elsewhere.example");

    g_assert_true (bell_sip_auth_policy_may_send_to (policy, sips));
    g_assert_true (bell_sip_auth_policy_may_send_to (policy, tls));
    g_assert_false (bell_sip_auth_policy_may_send_to (policy, plain));
    g_assert_false (bell_sip_auth_policy_may_send_to (policy, tcp));
    g_assert_false (bell_sip_auth_policy_may_send_to (policy, elsewhere));
  }
  /* Over TLS the other rules still hold. */
  g_assert_cmpint (check (policy, ROGUE, SHA256, REGISTRAR, TLS, NULL), ==,
                   E_REALM);
}

static void
test_next_hop (void)
{
  g_autoptr(BellSipMsg) straight = new_request (BELL_SIP_METHOD_INVITE, "sip:bob@elsewhere.example",
                                                NULL);
  g_autoptr(BellSipMsg) routed = new_request (BELL_SIP_METHOD_INVITE, "sip:bob@elsewhere.example",
                                              "<sip:proxy.bellbird.test;lr>");
  const BellSipUri *hop;

  hop = bell_sip_auth_next_hop (straight);
  g_assert_true (bell_str_equal_cstr (hop->host, "elsewhere.example"));
  hop = bell_sip_auth_next_hop (routed);
  g_assert_true (bell_str_equal_cstr (hop->host, "proxy.bellbird.test"));
}

/* ---- through the Digest layer ------------------------------------------------------------- */

static BellSipCredentials *
account_credentials (const char *realm)
{
  BellSipCredentials *creds = bell_sip_credentials_new (USER, PASSWORD);
  g_autoptr(BellSipAuthPolicy) policy = account_policy (realm, FALSE);

  bell_sip_credentials_set_policy (creds, policy);
  return creds;
}

static void
assert_refused (BellSipCredentials *creds, const BellSipMsg *challenge, BellSipMsg *next,
                gint code, const char *in_message)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (bell_sip_auth_answer_via (creds, challenge, NULL, next, &error));
  g_assert_error (error, BELL_SIP_AUTH_ERROR, code);
  g_assert_nonnull (strstr (error->message, in_message));
  g_assert_cmpuint (count_headers (next, BELL_SIP_HDR_AUTHORIZATION), ==, 0);
  g_assert_cmpuint (count_headers (next, BELL_SIP_HDR_PROXY_AUTHORIZATION), ==, 0);
}

static void
test_answer_rogue_realm (void)
{
  g_autoptr(BellSipCredentials) creds = account_credentials (REALM);
  g_autoptr(BellSipMsg) rogue = new_challenge (SHA256_CHALLENGE (ROGUE, "r1"), NULL);
  g_autoptr(BellSipMsg) merged = new_challenge (SHA256_CHALLENGE (ROGUE, "r2"),
                                                SHA256_CHALLENGE (REALM, "n1"), NULL);
  g_autoptr(BellSipMsg) next = new_request (BELL_SIP_METHOD_REGISTER, REGISTRAR, NULL);
  g_autoptr(BellSipMsg) next2 = new_request (BELL_SIP_METHOD_REGISTER, REGISTRAR, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *realm = NULL;

  g_test_expect_message ("bell-sip-auth", G_LOG_LEVEL_MESSAGE, "*rogue.example*");
  assert_refused (creds, rogue, next, BELL_SIP_AUTH_ERROR_UNTRUSTED_REALM,
                  "realm “" ROGUE "”, which is not this account’s: not sent.");
  g_test_assert_expected_messages ();
  /* With the account's realm beside it, only the account's is answered. */
  g_test_expect_message ("bell-sip-auth", G_LOG_LEVEL_MESSAGE, "*rogue.example*");
  g_assert_true (bell_sip_auth_answer_via (creds, merged, NULL, next2, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  realm = answered_realm (next2);
  g_assert_cmpstr (realm, ==, REALM);
}

static void
test_answer_direct_call (void)
{
  g_autoptr(BellSipCredentials) creds = account_credentials (NULL);
  g_autoptr(BellSipMsg) challenge = new_challenge (SHA256_CHALLENGE (REALM, "n1"), NULL);
  g_autoptr(BellSipMsg) direct = new_request (BELL_SIP_METHOD_INVITE, "sip:bob@elsewhere.example",
                                              NULL);
  g_autoptr(BellSipMsg) routed = new_request (BELL_SIP_METHOD_INVITE, "sip:bob@elsewhere.example",
                                              "<" PROXY ";lr>");
  g_autoptr(BellSipMsg) bye = new_request (BELL_SIP_METHOD_BYE, "sip:bob@192.0.2.7:5062", NULL);
  g_autoptr(BellSipMsg) bye_routed = new_request (BELL_SIP_METHOD_BYE, "sip:bob@192.0.2.7:5062",
                                                  "<" PROXY ";lr>");

  /* Even the account's own realm: the request did not go to the account's servers. */
  g_test_expect_message ("bell-sip-auth", G_LOG_LEVEL_MESSAGE, "*elsewhere.example*");
  assert_refused (creds, challenge, direct, BELL_SIP_AUTH_ERROR_UNTRUSTED_SERVER,
                  "elsewhere.example asked for this account’s password");
  g_test_assert_expected_messages ();
  g_assert_true (bell_sip_auth_answer_via (creds, challenge, NULL, routed, NULL));
  g_assert_cmpuint (count_headers (routed, BELL_SIP_HDR_AUTHORIZATION), ==, 1);
  /* Reused credentials (RFC 3261 §22.3) go only where a challenge would be answered. */
  g_assert_cmpuint (bell_sip_auth_authorize (creds, bye), ==, 0);
  g_assert_cmpuint (count_headers (bye, BELL_SIP_HDR_AUTHORIZATION), ==, 0);
  g_assert_cmpuint (bell_sip_auth_authorize (creds, bye_routed), ==, 1);
}

static void
test_answer_downgrade (void)
{
  g_autoptr(BellSipCredentials) creds = account_credentials (NULL);
  g_autoptr(BellSipMsg) both = new_challenge (MD5_CHALLENGE (REALM, "m1"),
                                              SHA256_CHALLENGE (REALM, "s1"), NULL);
  g_autoptr(BellSipMsg) md5 = new_challenge (MD5_CHALLENGE (REALM, "m2"), NULL);
  g_autoptr(BellSipMsg) next = new_request (BELL_SIP_METHOD_REGISTER, REGISTRAR, NULL);
  g_autoptr(BellSipMsg) next2 = new_request (BELL_SIP_METHOD_INVITE,
                                             "sip:bob@pbx.bellbird.test:5070", NULL);
  g_autoptr(BellSipCredentials) call = NULL;
  const BellSipHeader *h;

  /* Both offered: SHA-256 answered. */
  g_assert_true (bell_sip_auth_answer_via (creds, both, NULL, next, NULL));
  h = bell_sip_msg_find (next, BELL_SIP_HDR_AUTHORIZATION);
  g_assert_nonnull (g_strstr_len (h->value.p, (gssize) h->value.len, "algorithm=SHA-256"));
  bell_sip_auth_reset (creds);
  /* A call made as the account shares its policy: MD5 alone is refused there too. */
  call = bell_sip_credentials_new_like (creds);
  g_assert_true (bell_sip_credentials_get_policy (call) == bell_sip_credentials_get_policy (creds));
  g_test_expect_message ("bell-sip-auth", G_LOG_LEVEL_MESSAGE, "*MD5*");
  assert_refused (call, md5, next2, BELL_SIP_AUTH_ERROR_DOWNGRADE, "downgrade");
  g_test_assert_expected_messages ();
}

static void
test_answer_pins_on_success (void)
{
  g_autoptr(BellSipCredentials) creds = account_credentials (NULL);
  g_autoptr(BellSipMsg) first = new_challenge (SHA256_CHALLENGE (REALM, "n1"), NULL);
  g_autoptr(BellSipMsg) rogue = new_challenge (SHA256_CHALLENGE (ROGUE, "r1"), NULL);
  g_autoptr(BellSipMsg) next = new_request (BELL_SIP_METHOD_REGISTER, REGISTRAR, NULL);
  g_autoptr(BellSipMsg) next2 = new_request (BELL_SIP_METHOD_REGISTER, REGISTRAR, NULL);
  BellSipAuthPolicy *policy = bell_sip_credentials_get_policy (creds);

  g_assert_true (bell_sip_auth_answer_via (creds, first, NULL, next, NULL));
  /* Answered, but no 2xx yet: nothing pinned. */
  g_assert_null (bell_sip_auth_policy_get_realms (policy));
  g_test_expect_message ("bell-sip-auth", G_LOG_LEVEL_MESSAGE, "*pinned*");
  bell_sip_auth_reset (creds);   /* the 2xx */
  g_test_assert_expected_messages ();
  g_assert_cmpstr (bell_sip_auth_policy_get_realms (policy)[0], ==, REALM);
  g_test_expect_message ("bell-sip-auth", G_LOG_LEVEL_MESSAGE, "*rogue.example*");
  assert_refused (creds, rogue, next2, BELL_SIP_AUTH_ERROR_UNTRUSTED_REALM, ROGUE);
  g_test_assert_expected_messages ();
  /* The refusal changed nothing: the pinned realm's credentials are still reused. */
  g_assert_cmpuint (bell_sip_auth_authorize (creds, next2), ==, 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sip/auth-policy/open", test_open);
  g_test_add_func ("/sip/auth-policy/server", test_server);
  g_test_add_func ("/sip/auth-policy/realm-configured", test_realm_configured);
  g_test_add_func ("/sip/auth-policy/realm-pinned", test_realm_pinned);
  g_test_add_func ("/sip/auth-policy/downgrade", test_downgrade);
  g_test_add_func ("/sip/auth-policy/secure", test_secure);
  g_test_add_func ("/sip/auth-policy/next-hop", test_next_hop);
  g_test_add_func ("/sip/auth-policy/answer/rogue-realm", test_answer_rogue_realm);
  g_test_add_func ("/sip/auth-policy/answer/direct-call", test_answer_direct_call);
  g_test_add_func ("/sip/auth-policy/answer/downgrade", test_answer_downgrade);
  g_test_add_func ("/sip/auth-policy/answer/pins-on-success", test_answer_pins_on_success);
  return g_test_run ();
}
