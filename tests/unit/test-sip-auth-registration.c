/* test-sip-auth-registration.c: a registration under its credential policy (issue 10), against
 * a scripted registrar in the same process (virtual time, real sockets on loopback): a realm
 * that is not the account's, configured or pinned on first use, a downgrade to MD5 and a sips:
 * account over UDP are not answered, the registration fails as auth-not-sent with the reason
 * and does not try again by itself; the address it registered with becomes trusted. */
#include <gio/gio.h>
#include <string.h>

#include "bell-sip-auth.h"
#include "bell-sip-auth-policy.h"
#include "bell-sip-registration.h"
#include "virtual-time.h"

#define PASSWORD "secret"
#define REALM    "bellbird.test"
#define ROGUE    "rogue.example"
#define MD5_CHALLENGE(realm) \
  "Digest realm=\"" realm "\", nonce=\"md5-nonce\", qop=\"auth\", algorithm=MD5"
#define SHA256_CHALLENGE(realm) \
  "Digest realm=\"" realm "\", nonce=\"sha-nonce\", qop=\"auth\", algorithm=SHA-256"

typedef struct
{
  BellClock           *clock;
  BellSipTransport    *reg_transport;
  BellSipTransactions *reg_txns;
  guint16              reg_port;
  GPtrArray           *script;     /* per REGISTER: NULL for 200, else "challenge|challenge" */
  GPtrArray           *seen;       /* BellSipMsg: every REGISTER the registrar got */

  BellSipTransport    *ua_transport;
  BellSipTransactions *ua_txns;
  BellSipRegistration *reg;
} Fixture;

/* The registrar: each REGISTER gets the next step of the script (200 once it is spent). */
static void
on_registrar_request (BellSipTransactions *txns, BellSipTransaction *txn, BellSipMsg *request,
                      gpointer data)
{
  Fixture *f = data;
  g_autoptr(BellSipMsg) response = NULL;
  g_autoptr(GError) error = NULL;
  char *step = NULL;

  g_ptr_array_add (f->seen, bell_sip_msg_ref (request));
  if (f->script->len > 0)
    step = g_ptr_array_steal_index (f->script, 0);
  if (step == NULL)
    {
      response = bell_sip_msg_new_response_to (request, 200, NULL, "reg1");
      g_assert_true (bell_sip_msg_add_header (response, "Expires", "60", NULL));
    }
  else
    {
      g_auto(GStrv) challenges = g_strsplit (step, "|", -1);

      response = bell_sip_msg_new_response_to (request, 401, NULL, "reg1");
      for (guint i = 0; challenges[i]; i++)
        g_assert_true (bell_sip_msg_add_header (response, "WWW-Authenticate", challenges[i],
                                                NULL));
      g_free (step);
    }
  g_assert_true (bell_sip_transaction_respond (txn, response, &error));
  g_assert_no_error (error);
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->clock = bell_clock_new_virtual ();
  f->reg_transport = vt_listening_transport (f->clock, FALSE);
  f->reg_port = bell_sip_transport_get_port (f->reg_transport, BELL_SIP_TRANSPORT_UDP,
                                             G_SOCKET_FAMILY_IPV4);
  f->reg_txns = bell_sip_transactions_new (f->reg_transport, f->clock);
  g_signal_connect (f->reg_txns, "request", G_CALLBACK (on_registrar_request), f);
  f->script = g_ptr_array_new_with_free_func (g_free);
  f->seen = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_sip_msg_unref);
  f->ua_transport = vt_listening_transport (f->clock, FALSE);
  f->ua_txns = bell_sip_transactions_new (f->ua_transport, f->clock);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->reg);
  vt_settle ();
  g_clear_object (&f->ua_txns);
  g_clear_object (&f->ua_transport);
  g_clear_object (&f->reg_txns);
  g_clear_object (&f->reg_transport);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_ptr_array_unref (f->script);
  g_ptr_array_unref (f->seen);
  bell_clock_unref (f->clock);
}

static void
script (Fixture *f, const char *step)
{
  g_ptr_array_add (f->script, g_strdup (step));
}

static void
start (Fixture *f, const char *aor, const char *realm)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *registrar = g_strdup_printf ("sip:127.0.0.1:%u", f->reg_port);
  BellRegConfig config = {
    .aor = aor, .registrar = registrar, .password = PASSWORD, .realm = realm,
    .transport = BELL_SIP_TRANSPORT_UDP, .expires = 60, .retry_base_s = 5, .retry_max_s = 40,
  };

  f->reg = bell_sip_registration_new (f->ua_txns, &config, &error);
  g_assert_no_error (error);
  bell_sip_registration_start (f->reg);
}

static BellRegState
state (Fixture *f)
{
  return bell_sip_registration_get_state (f->reg);
}

/* The credentials header's value in the n-th REGISTER, or NULL. */
static char *
authorization (Fixture *f, guint n)
{
  const BellSipHeader *h;

  g_assert_cmpuint (n, <, f->seen->len);
  h = bell_sip_msg_find (f->seen->pdata[n], BELL_SIP_HDR_AUTHORIZATION);
  return h ? bell_str_dup (h->value) : NULL;
}

/* Failed as auth-not-sent with why in its message, and it stays so: ten minutes later (past
 * every back-off) the registrar still got only n REGISTERs. */
static void
assert_not_sent (Fixture *f, guint n, const char *why)
{
  VT_RUN_UNTIL (f->clock, vt_now_ms (f->clock) + 60000, state (f) == BELL_REG_FAILED);
  g_assert_cmpint (bell_sip_registration_get_reason (f->reg), ==, BELL_REG_REASON_AUTH_NOT_SENT);
  g_assert_cmpstr (bell_reg_reason_to_string (BELL_REG_REASON_AUTH_NOT_SENT), ==, "auth-not-sent");
  g_assert_cmpuint (bell_sip_registration_get_status (f->reg), ==, 401);
  g_test_message ("%s", bell_sip_registration_get_message (f->reg));
  g_assert_nonnull (strstr (bell_sip_registration_get_message (f->reg), why));
  vt_run_until (f->clock, vt_now_ms (f->clock) + 10 * 60 * 1000);
  g_assert_cmpuint (f->seen->len, ==, n);
  g_assert_cmpint (state (f), ==, BELL_REG_FAILED);
}

static void
test_rogue_configured (Fixture *f, gconstpointer data)
{
  g_autofree char *auth = NULL;

  script (f, SHA256_CHALLENGE (ROGUE));
  start (f, "sip:alice@" REALM, REALM);
  assert_not_sent (f, 1, "realm “" ROGUE "”, which is not this account’s: not sent.");
  auth = authorization (f, 0);
  g_assert_null (auth);
}

static void
test_pinned_then_rogue (Fixture *f, gconstpointer data)
{
  BellSipAuthPolicy *policy;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;

  script (f, MD5_CHALLENGE (REALM));
  script (f, NULL);
  start (f, "sip:alice@" REALM, NULL);
  VT_RUN_UNTIL (f->clock, 1000, state (f) == BELL_REG_REGISTERED);
  policy = bell_sip_registration_get_auth_policy (f->reg);
  g_assert_nonnull (bell_sip_auth_policy_get_realms (policy));
  g_assert_cmpstr (bell_sip_auth_policy_get_realms (policy)[0], ==, REALM);
  second = authorization (f, 1);
  g_assert_nonnull (strstr (second, "realm=\"" REALM "\""));

  /* The refresh carries the pinned realm's credentials again; its 401 is for another realm. */
  script (f, MD5_CHALLENGE (ROGUE));
  assert_not_sent (f, 3, "realm “" ROGUE "”");
  third = authorization (f, 2);
  g_assert_nonnull (third);
  g_assert_nonnull (strstr (third, "realm=\"" REALM "\""));
}

static void
test_downgrade (Fixture *f, gconstpointer data)
{
  g_autofree char *second = NULL;

  script (f, MD5_CHALLENGE (REALM) "|" SHA256_CHALLENGE (REALM));
  script (f, NULL);
  start (f, "sip:alice@" REALM, NULL);
  VT_RUN_UNTIL (f->clock, 1000, state (f) == BELL_REG_REGISTERED);
  second = authorization (f, 1);
  g_assert_nonnull (strstr (second, "algorithm=SHA-256"));

  /* The refresh is challenged with MD5 alone, a new nonce: a downgrade. */
  script (f, "Digest realm=\"" REALM "\", nonce=\"md5-again\", qop=\"auth\", algorithm=MD5");
  assert_not_sent (f, 3, "downgrade");
}

static void
test_sips_over_udp (Fixture *f, gconstpointer data)
{
  g_autofree char *auth = NULL;

  script (f, SHA256_CHALLENGE (REALM));
  start (f, "sips:alice@" REALM, NULL);
  assert_not_sent (f, 1, "not encrypted");
  auth = authorization (f, 0);
  g_assert_null (auth);
}

static void
test_trusts_registered_address (Fixture *f, gconstpointer data)
{
  BellSipAuthPolicy *policy;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) registrar = g_inet_socket_address_new (loopback, f->reg_port);
  g_autoptr(GSocketAddress) other = g_inet_socket_address_new (loopback, f->reg_port + 1);
  g_autoptr(BellSipUri) by_name = bell_sip_uri_new ("sip:pbx.elsewhere.example;lr", NULL);
  BellSipAuthChallengeInfo info = {
    REALM, BELL_SIP_DIGEST_SHA256, by_name, BELL_SIP_TRANSPORT_UDP,
    G_INET_SOCKET_ADDRESS (registrar),
  };
  g_autoptr(GError) error = NULL;

  script (f, SHA256_CHALLENGE (REALM));
  script (f, NULL);
  start (f, "sip:alice@" REALM, NULL);
  VT_RUN_UNTIL (f->clock, 1000, state (f) == BELL_REG_REGISTERED);
  policy = bell_sip_registration_get_auth_policy (f->reg);
  /* A request routed by another name that reached the registrar's address is the account's
   * (a Record-Route by IP, say); the same name from elsewhere is not. */
  g_assert_true (bell_sip_auth_policy_check (policy, &info, &error));
  g_assert_no_error (error);
  info.source = G_INET_SOCKET_ADDRESS (other);
  g_assert_false (bell_sip_auth_policy_check (policy, &info, &error));
  g_assert_error (error, BELL_SIP_AUTH_ERROR, BELL_SIP_AUTH_ERROR_UNTRUSTED_SERVER);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, setup, fn, teardown)
  ADD ("/sip/auth-registration/rogue-realm-configured", test_rogue_configured);
  ADD ("/sip/auth-registration/pinned-then-rogue", test_pinned_then_rogue);
  ADD ("/sip/auth-registration/downgrade", test_downgrade);
  ADD ("/sip/auth-registration/sips-over-udp", test_sips_over_udp);
  ADD ("/sip/auth-registration/trusts-registered-address", test_trusts_registered_address);
#undef ADD
  return g_test_run ();
}
