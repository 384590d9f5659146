/* test-sip-registration.c: the REGISTER state machine against a fake registrar in the same
 * process.
 *
 * Two transports on loopback share one virtual clock: "ua" runs the BellSipRegistration under
 * test, "registrar" is a scripted registrar on its own BellSipTransactions. Sockets run on the
 * real main loop, timers only move when a test advances the clock, so Timer F, refreshes and
 * back-offs take milliseconds. The registrar checks every Digest answer by computing it again
 * with bell_sip_digest_response().
 */
#include <gio/gio.h>
#include <string.h>

#include "bell-sip-auth.h"
#include "bell-sip-registration.h"
#include "virtual-time.h"

#define AOR          "sip:alice@127.0.0.1"
#define PASSWORD     "secret"
#define REALM        "bellbird.test"
#define NONCE_MD5    "b3ll-md5-nonce-1"
#define NONCE_SHA256 "b3ll-sha256-nonce-1"
#define NAT_IP       "127.0.0.2"
#define RETRY_BASE_S 5
#define RETRY_MAX_S  40
/* RFC 3261 Timer F, 64 * T1. */
#define TIMER_F_MS   32000

typedef enum
{
  ACT_OK,          /* 200 echoing the Contacts with ;expires */
  ACT_503,
  ACT_SILENT,      /* no answer at all */
  ACT_NAT,         /* 200 whose top Via says received=NAT_IP */
} Action;

typedef enum
{
  AUTH_NONE,               /* no Digest */
  AUTH_MD5,                /* 401 with an MD5 challenge until an answer checks out */
  AUTH_MD5_AND_SHA256,     /* the same with two challenges, MD5 first */
} AuthMode;

/* One REGISTER the registrar got (a new transaction, not a retransmission). */
typedef struct
{
  BellSipMsg *msg;
  gint64      at_ms;
  guint64     expires;            /* the Expires header; G_MAXUINT64 when absent */
  gboolean    has_credentials;
  gboolean    verified;
  char       *why;                /* why the credentials did not check out */
  char       *username;
  char       *realm;
  char       *nonce;
  char       *uri;
  char       *response;
  char       *algorithm;
  char       *qop;
  char       *nc;
  char       *cnonce;
  guint       answered;           /* the status it got, 0: none */
  guint16     remote_port;        /* where it came from (over TCP: which connection) */
} Seen;

typedef struct
{
  BellRegState  state;
  BellRegReason reason;
} Change;

typedef struct
{
  BellClock           *clock;

  /* the registrar */
  BellSipTransport    *reg_transport;
  BellSipTransactions *reg_txns;
  guint16              reg_udp_port;
  guint16              reg_tcp_port;
  AuthMode             auth;
  const char          *nonce;           /* the MD5 challenge's nonce (NONCE_MD5 unless changed) */
  guint                min_expires;     /* 0: none; else 423 below it */
  guint                grant;           /* 0: grant what was asked for */
  GArray              *script;          /* Action, one per REGISTER past auth and 423 */
  Action               default_action;
  GPtrArray           *seen;            /* Seen */
  guint                wire_registers;  /* retransmissions included */
  guint                challenges;      /* 401s sent */
  BellSipTransaction  *held;            /* a transaction answered behind its back (NAT on UDP) */

  /* the user agent */
  BellSipTransport    *ua_transport;
  BellSipTransactions *ua_txns;
  BellSipRegistration *reg;
  GArray              *changes;         /* Change, one per "changed" */
  guint                stopped;
  gint64               stopped_at_ms;
} Fixture;

static void
seen_free (gpointer data)
{
  Seen *s = data;

  bell_sip_msg_unref (s->msg);
  g_free (s->why);
  g_free (s->username);
  g_free (s->realm);
  g_free (s->nonce);
  g_free (s->uri);
  g_free (s->response);
  g_free (s->algorithm);
  g_free (s->qop);
  g_free (s->nc);
  g_free (s->cnonce);
  g_free (s);
}

static gint64
now_ms (Fixture *f)
{
  return vt_now_ms (f->clock);
}

static Seen *
seen_at (Fixture *f, guint i)
{
  g_assert_cmpuint (i, <, f->seen->len);
  return f->seen->pdata[i];
}

static Seen *
last_seen (Fixture *f)
{
  g_assert_cmpuint (f->seen->len, >, 0);
  return f->seen->pdata[f->seen->len - 1];
}

/* Main loop (virtual-time.h) */

#define settle() vt_settle ()
#define WAIT_FOR(cond) VT_WAIT_FOR (cond)
#define RUN_UNTIL(f, until_ms, cond) VT_RUN_UNTIL ((f)->clock, until_ms, cond)

static void
run_until (Fixture *f, gint64 until_ms)
{
  vt_run_until (f->clock, until_ms);
}

static void
run_for (Fixture *f, gint64 ms)
{
  vt_run_until (f->clock, now_ms (f) + ms);
}

/* The fake registrar */

static Action
next_action (Fixture *f)
{
  Action action;

  if (f->script->len == 0)
    return f->default_action;
  action = g_array_index (f->script, Action, 0);
  g_array_remove_index (f->script, 0);
  return action;
}

static void
script (Fixture *f, Action action)
{
  g_array_append_val (f->script, action);
}

static char *
auth_param (const BellSipAuth *auth, const char *name)
{
  BellStr value;

  return bell_sip_auth_get (auth, name, &value) ? bell_str_dup (value) : NULL;
}

/* Reads the Authorization of a REGISTER into s and checks it as a registrar would. */
static gboolean
check_credentials (Fixture *f, Seen *s)
{
  const BellSipHeader *h = bell_sip_msg_find (s->msg, BELL_SIP_HDR_AUTHORIZATION);
  const BellSipAuth *auth;
  BellSipDigestAlgorithm algorithm = BELL_SIP_DIGEST_MD5;
  gboolean sess = FALSE;
  g_autofree char *expected = NULL;
  g_autofree char *ruri = NULL;

  if (!h)
    {
      s->why = g_strdup ("no Authorization");
      return FALSE;
    }
  s->has_credentials = TRUE;
  g_assert_cmpuint (bell_sip_msg_count (s->msg, BELL_SIP_HDR_AUTHORIZATION), ==, 1);
  g_assert_cmpuint (bell_sip_msg_count (s->msg, BELL_SIP_HDR_PROXY_AUTHORIZATION), ==, 0);
  auth = h->parsed.auth;
  g_assert_nonnull (auth);
  g_assert_true (bell_str_equal_ci_lit (auth->scheme, "digest"));
  s->username = auth_param (auth, "username");
  s->realm = auth_param (auth, "realm");
  s->nonce = auth_param (auth, "nonce");
  s->uri = auth_param (auth, "uri");
  s->response = auth_param (auth, "response");
  s->algorithm = auth_param (auth, "algorithm");
  s->qop = auth_param (auth, "qop");
  s->nc = auth_param (auth, "nc");
  s->cnonce = auth_param (auth, "cnonce");
  if (!s->username || !s->realm || !s->nonce || !s->uri || !s->response)
    {
      s->why = g_strdup ("a parameter is missing");
      return FALSE;
    }
  if (s->algorithm && !bell_sip_digest_algorithm_from_string (s->algorithm, &algorithm, &sess))
    {
      s->why = g_strdup_printf ("unknown algorithm %s", s->algorithm);
      return FALSE;
    }
  if (g_strcmp0 (s->realm, REALM) != 0 ||
      g_strcmp0 (s->nonce, algorithm == BELL_SIP_DIGEST_SHA256 ? NONCE_SHA256 : f->nonce) != 0)
    {
      s->why = g_strdup_printf ("realm %s, nonce %s: not ours", s->realm, s->nonce);
      return FALSE;
    }
  ruri = bell_str_dup (bell_sip_msg_get_request_uri (s->msg)->text);
  if (g_strcmp0 (s->uri, ruri) != 0)
    {
      s->why = g_strdup_printf ("uri %s is not the Request-URI %s", s->uri, ruri);
      return FALSE;
    }
  /* We offered qop="auth" only. */
  if (g_strcmp0 (s->qop, "auth") != 0 || !s->nc || strlen (s->nc) != 8 ||
      strspn (s->nc, "0123456789abcdefABCDEF") != 8 || !s->cnonce || !*s->cnonce)
    {
      s->why = g_strdup_printf ("qop %s, nc %s, cnonce %s", s->qop, s->nc, s->cnonce);
      return FALSE;
    }
  expected = bell_sip_digest_response (algorithm, sess, s->username, s->realm, PASSWORD,
                                       "REGISTER", s->uri, s->nonce, s->qop, s->nc, s->cnonce,
                                       NULL, 0);
  g_assert_nonnull (expected);
  if (g_ascii_strcasecmp (expected, s->response) != 0)
    {
      s->why = g_strdup ("wrong response");
      return FALSE;
    }
  return TRUE;
}

static void
respond (Fixture *f, Seen *s, BellSipTransaction *txn, BellSipMsg *response)
{
  g_autoptr(GError) error = NULL;

  s->answered = bell_sip_msg_get_status (response);
  g_assert_true (bell_sip_transaction_respond (txn, response, &error));
  g_assert_no_error (error);
}

static void
challenge (Fixture *f, Seen *s, BellSipTransaction *txn)
{
  g_autoptr(BellSipMsg) response = bell_sip_msg_new_response_to (s->msg, 401, NULL, "reg1");

  bell_sip_msg_add_headerf (response, "WWW-Authenticate", NULL,
                            "Digest realm=\"%s\", nonce=\"%s\", qop=\"auth\", algorithm=MD5",
                            REALM, f->nonce);
  if (f->auth == AUTH_MD5_AND_SHA256)
    bell_sip_msg_add_headerf (response, "WWW-Authenticate", NULL,
                              "Digest realm=\"%s\", nonce=\"%s\", qop=\"auth\", algorithm=SHA-256",
                              REALM, NONCE_SHA256);
  f->challenges++;
  respond (f, s, txn, response);
}

/* A 200 lists the bindings that remain: every Contact not being removed, with its expiry. */
static BellSipMsg *
make_ok (Fixture *f, Seen *s)
{
  BellSipMsg *response = bell_sip_msg_new_response_to (s->msg, 200, NULL, "reg1");

  if (s->expires == 0)
    return response;
  for (const BellSipHeader *h = bell_sip_msg_find (s->msg, BELL_SIP_HDR_CONTACT); h;
       h = bell_sip_msg_find_next (s->msg, BELL_SIP_HDR_CONTACT, h))
    {
      const BellSipNameAddr *na = h->parsed.name_addr;
      guint64 expires = na->expires >= 0 ? (guint64) na->expires : s->expires;
      BellStr instance;
      g_autoptr(GString) value = g_string_new (NULL);

      g_assert_false (na->star);
      if (expires == 0)
        continue;
      if (f->grant)
        expires = f->grant;
      g_string_append_printf (value, "<%.*s>;expires=%" G_GUINT64_FORMAT,
                              BELL_STR_PRINTF (na->uri.text), expires);
      if (bell_sip_params_get (na->params, "+sip.instance", &instance))
        g_string_append_printf (value, ";+sip.instance=%.*s", BELL_STR_PRINTF (instance));
      if (bell_sip_params_get (na->params, "reg-id", &instance))
        g_string_append_printf (value, ";reg-id=%.*s", BELL_STR_PRINTF (instance));
      g_assert_true (bell_sip_msg_add_header (response, "Contact", value->str, NULL));
    }
  return response;
}

/* As if a NAT in front of the UA had rewritten its source address: the top Via says
 * received=NAT_IP. Over UDP the server transaction would send that to NAT_IP, where nothing
 * listens, so it goes back on the request's flow instead (as the NAT would forward it). */
static void
respond_nat (Fixture *f, Seen *s, BellSipTransaction *txn)
{
  g_autoptr(BellSipMsg) response = make_ok (f, s);
  g_autoptr(GError) error = NULL;
  const BellSipVia *via = bell_sip_msg_get_via (response);
  BellSipFlow *flow = bell_sip_transaction_get_flow (txn);
  g_autofree char *value = NULL;

  g_assert_nonnull (via);
  g_assert_true (via->has_rport);
  g_assert_cmpuint (via->rport, >, 0);
  value = g_strdup_printf ("SIP/2.0/%.*s %.*s:%u;branch=%.*s;received=" NAT_IP ";rport=%u",
                           BELL_STR_PRINTF (via->transport), BELL_STR_PRINTF (via->host),
                           via->port, BELL_STR_PRINTF (via->branch), via->rport);
  g_assert_true (bell_sip_msg_remove_first (response, BELL_SIP_HDR_VIA));
  g_assert_true (bell_sip_msg_prepend_header (response, "Via", value, NULL));
  if (bell_sip_flow_get_kind (flow) != BELL_SIP_TRANSPORT_UDP)
    {
      respond (f, s, txn, response);
      return;
    }
  s->answered = 200;
  g_assert_true (bell_sip_transport_send_on_flow (f->reg_transport, response, flow, &error));
  g_assert_no_error (error);
  /* The transaction never saw its answer; keep it until teardown. */
  g_clear_pointer (&f->held, bell_sip_transaction_unref);
  f->held = bell_sip_transaction_ref (txn);
}

static void
on_registrar_request (BellSipTransactions *txns, BellSipTransaction *txn, BellSipMsg *request,
                      gpointer data)
{
  Fixture *f = data;
  Seen *s;

  if (bell_sip_msg_get_method (request) != BELL_SIP_METHOD_REGISTER)
    {
      bell_sip_transaction_respond_status (txn, 405, NULL, "reg1");
      return;
    }
  s = g_new0 (Seen, 1);
  s->msg = bell_sip_msg_ref (request);
  s->at_ms = now_ms (f);
  s->remote_port = g_inet_socket_address_get_port (
    bell_sip_flow_get_remote (bell_sip_transaction_get_flow (txn)));
  if (!bell_sip_msg_get_number (request, BELL_SIP_HDR_EXPIRES, &s->expires))
    s->expires = G_MAXUINT64;
  g_ptr_array_add (f->seen, s);

  if (f->auth != AUTH_NONE)
    {
      s->verified = check_credentials (f, s);
      if (!s->verified)
        {
          g_test_message ("REGISTER %u at %" G_GINT64_FORMAT " ms: 401 (%s)", f->seen->len,
                          s->at_ms, s->why);
          challenge (f, s, txn);
          return;
        }
    }
  if (f->min_expires && s->expires != 0 && s->expires < f->min_expires)
    {
      g_autoptr(BellSipMsg) response = bell_sip_msg_new_response_to (request, 423, NULL, "reg1");
      bell_sip_msg_add_headerf (response, "Min-Expires", NULL, "%u", f->min_expires);
      respond (f, s, txn, response);
      return;
    }
  switch (next_action (f))
    {
    case ACT_OK:
      {
        g_autoptr(BellSipMsg) response = make_ok (f, s);
        respond (f, s, txn, response);
      }
      break;
    case ACT_503:
      {
        g_autoptr(BellSipMsg) response = bell_sip_msg_new_response_to (request, 503, NULL, "reg1");
        respond (f, s, txn, response);
      }
      break;
    case ACT_SILENT:
      break;
    case ACT_NAT:
      respond_nat (f, s, txn);
      break;
    }
  g_test_message ("REGISTER %u at %" G_GINT64_FORMAT " ms: %u", f->seen->len, s->at_ms,
                  s->answered);
}

static void
on_registrar_message (BellSipTransport *transport, BellSipMsg *msg, BellSipFlow *flow,
                      gpointer data)
{
  Fixture *f = data;

  if (bell_sip_msg_is_request (msg) && bell_sip_msg_get_method (msg) == BELL_SIP_METHOD_REGISTER)
    f->wire_registers++;
}

/* The user agent */

static void
on_changed (BellSipRegistration *reg, gpointer data)
{
  Fixture *f = data;
  Change change = { bell_sip_registration_get_state (reg), bell_sip_registration_get_reason (reg) };
  const char *message = bell_sip_registration_get_message (reg);

  g_test_message ("changed at %" G_GINT64_FORMAT " ms: %s (%s) %s", now_ms (f),
                  bell_reg_state_to_string (change.state),
                  bell_reg_reason_to_string (change.reason), message ? message : "");
  g_array_append_val (f->changes, change);
}

static void
on_stopped (BellSipRegistration *reg, gpointer data)
{
  Fixture *f = data;

  f->stopped++;
  f->stopped_at_ms = now_ms (f);
}

static BellSipRegistration *
make_registration (Fixture *f, BellSipTransportKind kind, const char *password)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *registrar = NULL;
  BellRegConfig config = { 0 };
  BellSipRegistration *reg;

  if (kind == BELL_SIP_TRANSPORT_TCP)
    registrar = g_strdup_printf ("sip:127.0.0.1:%u;transport=tcp", f->reg_tcp_port);
  else
    registrar = g_strdup_printf ("sip:127.0.0.1:%u", f->reg_udp_port);
  config.aor = AOR;
  config.registrar = registrar;
  config.password = password;
  config.expires = 60;
  config.retry_base_s = RETRY_BASE_S;
  config.retry_max_s = RETRY_MAX_S;
  reg = bell_sip_registration_new (f->ua_txns, &config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (reg);
  g_signal_connect (reg, "changed", G_CALLBACK (on_changed), f);
  g_signal_connect (reg, "stopped", G_CALLBACK (on_stopped), f);
  return reg;
}

/* Starts f->reg (UDP, right password unless the test made its own). */
static void
start (Fixture *f)
{
  if (!f->reg)
    f->reg = make_registration (f, BELL_SIP_TRANSPORT_UDP, PASSWORD);
  bell_sip_registration_start (f->reg);
}

static BellRegState
state (Fixture *f)
{
  return bell_sip_registration_get_state (f->reg);
}

/* The "changed" states with repeats of the same (state, reason) folded. */
static char *
changes_string (Fixture *f, guint from)
{
  GString *out = g_string_new (NULL);
  Change prev = { (BellRegState) -1, (BellRegReason) -1 };

  for (guint i = from; i < f->changes->len; i++)
    {
      Change c = g_array_index (f->changes, Change, i);
      if (c.state == prev.state && c.reason == prev.reason)
        continue;
      if (out->len)
        g_string_append (out, " ");
      g_string_append (out, bell_reg_state_to_string (c.state));
      if (c.reason != BELL_REG_REASON_NONE)
        g_string_append_printf (out, "(%s)", bell_reg_reason_to_string (c.reason));
      prev = c;
    }
  return g_string_free (out, FALSE);
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->clock = bell_clock_new_virtual ();
  f->reg_transport = vt_listening_transport (f->clock, TRUE);
  f->reg_udp_port = bell_sip_transport_get_port (f->reg_transport, BELL_SIP_TRANSPORT_UDP,
                                                 G_SOCKET_FAMILY_IPV4);
  f->reg_tcp_port = bell_sip_transport_get_port (f->reg_transport, BELL_SIP_TRANSPORT_TCP,
                                                 G_SOCKET_FAMILY_IPV4);
  g_assert_cmpuint (f->reg_udp_port, >, 0);
  g_assert_cmpuint (f->reg_tcp_port, >, 0);
  f->reg_txns = bell_sip_transactions_new (f->reg_transport, f->clock);
  g_signal_connect (f->reg_txns, "request", G_CALLBACK (on_registrar_request), f);
  g_signal_connect (f->reg_transport, "message", G_CALLBACK (on_registrar_message), f);
  f->script = g_array_new (FALSE, FALSE, sizeof (Action));
  f->default_action = ACT_OK;
  f->nonce = NONCE_MD5;
  f->seen = g_ptr_array_new_with_free_func (seen_free);

  f->ua_transport = vt_listening_transport (f->clock, TRUE);
  f->ua_txns = bell_sip_transactions_new (f->ua_transport, f->clock);
  f->changes = g_array_new (FALSE, FALSE, sizeof (Change));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->reg)
    {
      GObject *weak = G_OBJECT (f->reg);
      g_object_add_weak_pointer (weak, (gpointer *) &weak);
      g_clear_object (&f->reg);
      settle ();
      g_assert_null (weak);
    }
  g_clear_object (&f->ua_txns);
  g_clear_object (&f->ua_transport);
  g_clear_pointer (&f->held, bell_sip_transaction_unref);
  g_clear_object (&f->reg_txns);
  g_clear_object (&f->reg_transport);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_array_unref (f->script);
  g_ptr_array_unref (f->seen);
  g_array_unref (f->changes);
  bell_clock_unref (f->clock);
}

/* Checks of what the UA sent */

static const BellSipNameAddr *
contact_of (BellSipMsg *msg, guint index)
{
  const BellSipHeader *h = NULL;

  for (guint i = 0; i <= index; i++)
    {
      h = bell_sip_msg_find_next (msg, BELL_SIP_HDR_CONTACT, h);
      g_assert_nonnull (h);
    }
  return h->parsed.name_addr;
}

static char *
contact_uri (BellSipMsg *msg, guint index)
{
  return bell_str_dup (contact_of (msg, index)->uri.text);
}

static char *
contact_param (BellSipMsg *msg, guint index, const char *name)
{
  BellStr value;

  if (!bell_sip_params_get (contact_of (msg, index)->params, name, &value))
    return NULL;
  return bell_str_dup (value);
}

static char *
instance_of (BellSipMsg *msg, guint index)
{
  return contact_param (msg, index, "+sip.instance");
}

/* What every REGISTER of one registration must share (§10.2): To and From the AOR, one
 * Call-ID, CSeq going up, a Request-URI without user part, one Via with rport. */
static void
assert_registers_consistent (Fixture *f, guint16 registrar_port)
{
  g_autofree char *call_id = NULL;
  g_autofree char *from_tag = NULL;
  g_autofree char *ruri = g_strdup_printf ("sip:127.0.0.1:%u", registrar_port);
  guint32 cseq = 0;

  g_assert_cmpuint (f->seen->len, >, 0);
  for (guint i = 0; i < f->seen->len; i++)
    {
      BellSipMsg *msg = seen_at (f, i)->msg;
      const BellSipNameAddr *to = bell_sip_msg_get_to (msg);
      const BellSipNameAddr *from = bell_sip_msg_get_from (msg);
      const BellSipUri *request_uri = bell_sip_msg_get_request_uri (msg);
      g_autofree char *id = bell_str_dup (bell_sip_msg_get_call_id (msg));
      g_autofree char *tag = bell_str_dup (from->tag);
      g_autofree char *to_uri = bell_str_dup (to->uri.text);
      g_autofree char *from_uri = bell_str_dup (from->uri.text);

      g_assert_true (bell_str_equal_cstr (request_uri->scheme_str, "sip"));
      g_assert_false (bell_str_is_set (request_uri->user));
      g_assert_true (bell_str_equal_cstr (request_uri->host, "127.0.0.1"));
      g_assert_cmpuint (request_uri->port, ==, registrar_port);
      if (!bell_str_is_set (request_uri->params))
        {
          g_autofree char *text = bell_str_dup (request_uri->text);
          g_assert_cmpstr (text, ==, ruri);
        }
      g_assert_cmpstr (to_uri, ==, AOR);
      g_assert_cmpstr (from_uri, ==, AOR);
      g_assert_false (bell_str_is_set (to->tag));
      g_assert_true (bell_str_is_set (from->tag));
      g_assert_cmpuint (bell_sip_msg_count (msg, BELL_SIP_HDR_VIA), ==, 1);
      g_assert_true (bell_sip_msg_get_via (msg)->has_rport);
      g_assert_cmpint (bell_sip_msg_get_cseq (msg)->method, ==, BELL_SIP_METHOD_REGISTER);
      g_assert_cmpuint (bell_sip_msg_get_cseq (msg)->seq, >, cseq);
      cseq = bell_sip_msg_get_cseq (msg)->seq;
      g_assert_cmpuint (seen_at (f, i)->expires, !=, G_MAXUINT64);
      if (i == 0)
        {
          call_id = g_steal_pointer (&id);
          from_tag = g_steal_pointer (&tag);
        }
      else
        {
          g_assert_cmpstr (id, ==, call_id);
          g_assert_cmpstr (tag, ==, from_tag);
        }
    }
}

/* Where the UA listens on UDP, as a Contact would name it. */
static char *
ua_contact (Fixture *f, const char *ip, BellSipTransportKind kind)
{
  if (kind == BELL_SIP_TRANSPORT_TCP)
    return g_strdup_printf ("sip:alice@%s:%u;transport=tcp", ip,
                            bell_sip_transport_get_port (f->ua_transport, BELL_SIP_TRANSPORT_TCP,
                                                         G_SOCKET_FAMILY_IPV4));
  return g_strdup_printf ("sip:alice@%s:%u", ip,
                          bell_sip_transport_get_port (f->ua_transport, BELL_SIP_TRANSPORT_UDP,
                                                       G_SOCKET_FAMILY_IPV4));
}

/* The cases */

/* 401, an answer the registrar checks, 200; then a refresh half-way that carries credentials
 * from the start (nc 2), and no second challenge. */
static void
test_challenge_then_ok (Fixture *f, gconstpointer data)
{
  g_autofree char *changes = NULL;
  g_autofree char *contact = NULL;
  g_autofree char *instance = NULL;
  g_autofree char *expected_contact = ua_contact (f, "127.0.0.1", BELL_SIP_TRANSPORT_UDP);
  Seen *first, *answer, *refresh;
  guint64 nc1, nc2;

  f->auth = AUTH_MD5;
  start (f);
  WAIT_FOR (state (f) == BELL_REG_REGISTERED);
  g_assert_cmpuint (f->seen->len, ==, 2);
  g_assert_cmpuint (f->challenges, ==, 1);
  g_assert_cmpint (now_ms (f), ==, 0);

  first = seen_at (f, 0);
  g_assert_false (first->has_credentials);
  g_assert_cmpuint (first->answered, ==, 401);
  g_assert_cmpuint (first->expires, ==, 60);

  answer = seen_at (f, 1);
  g_assert_true (answer->has_credentials);
  g_assert_true (answer->verified);
  g_assert_cmpstr (answer->username, ==, "alice");
  g_assert_cmpstr (answer->realm, ==, REALM);
  g_assert_cmpstr (answer->nonce, ==, NONCE_MD5);
  {
    g_autofree char *uri = g_strdup_printf ("sip:127.0.0.1:%u", f->reg_udp_port);
    g_assert_cmpstr (answer->uri, ==, uri);
  }
  g_assert_true (answer->algorithm == NULL || g_ascii_strcasecmp (answer->algorithm, "MD5") == 0);
  g_assert_cmpstr (answer->qop, ==, "auth");
  g_assert_cmpstr (answer->nc, ==, "00000001");
  g_assert_cmpuint (strlen (answer->cnonce), >=, 8);
  g_assert_cmpuint (answer->answered, ==, 200);
  g_assert_cmpuint (answer->expires, ==, 60);

  /* One binding, ours, with +sip.instance and reg-id (RFC 5626 §4.1, §4.2). */
  g_assert_cmpuint (bell_sip_msg_count (answer->msg, BELL_SIP_HDR_CONTACT), ==, 1);
  contact = contact_uri (answer->msg, 0);
  g_assert_cmpstr (contact, ==, expected_contact);
  instance = instance_of (answer->msg, 0);
  g_assert_nonnull (instance);
  g_assert_true (g_str_has_prefix (instance, "\"<urn:uuid:"));
  g_assert_true (g_str_has_suffix (instance, ">\""));
  {
    g_autofree char *reg_id = contact_param (answer->msg, 0, "reg-id");
    g_assert_cmpstr (reg_id, ==, "1");
  }
  {
    g_autofree char *first_instance = instance_of (first->msg, 0);
    g_assert_cmpstr (first_instance, ==, instance);
  }

  g_assert_cmpint (bell_sip_registration_get_expires (f->reg), ==, 60);
  g_assert_cmpuint (bell_sip_registration_get_status (f->reg), ==, 200);
  g_assert_cmpint (bell_sip_registration_get_reason (f->reg), ==, BELL_REG_REASON_NONE);
  g_assert_cmpstr (bell_sip_registration_get_contact (f->reg), ==, expected_contact);
  g_assert_cmpstr (bell_sip_registration_get_aor (f->reg), ==, AOR);
  changes = changes_string (f, 0);
  g_assert_cmpstr (changes, ==, "registering registered");

  /* The refresh: after 30 s, before 60 s, with credentials already. */
  RUN_UNTIL (f, 60000, f->seen->len >= 3);
  WAIT_FOR (last_seen (f)->answered != 0);
  refresh = seen_at (f, 2);
  g_assert_cmpint (refresh->at_ms, >=, 30000);
  g_assert_cmpint (refresh->at_ms, <, 60000);
  g_assert_true (refresh->has_credentials);
  g_assert_true (refresh->verified);
  g_assert_cmpuint (refresh->answered, ==, 200);
  g_assert_cmpstr (refresh->nonce, ==, NONCE_MD5);
  g_assert_cmpstr (refresh->cnonce, !=, answer->cnonce);
  nc1 = g_ascii_strtoull (answer->nc, NULL, 16);
  nc2 = g_ascii_strtoull (refresh->nc, NULL, 16);
  g_assert_cmpuint (nc2, ==, nc1 + 1);
  g_assert_cmpuint (f->challenges, ==, 1);
  g_assert_cmpint (state (f), ==, BELL_REG_REGISTERED);
  {
    g_autofree char *refresh_contact = contact_uri (refresh->msg, 0);
    g_autofree char *refresh_instance = instance_of (refresh->msg, 0);
    g_assert_cmpstr (refresh_contact, ==, expected_contact);
    g_assert_cmpstr (refresh_instance, ==, instance);
  }

  /* A second refresh 30 s after the first: the registration keeps itself alive. */
  run_until (f, refresh->at_ms + 60000);
  g_assert_cmpuint (f->seen->len, >=, 4);
  g_assert_true (seen_at (f, 3)->verified);
  g_assert_cmpint (seen_at (f, 3)->at_ms - refresh->at_ms, >=, 30000);
  g_assert_cmpint (seen_at (f, 3)->at_ms - refresh->at_ms, <, 60000);
  g_assert_cmpuint (f->challenges, ==, 1);
  g_assert_cmpint (state (f), ==, BELL_REG_REGISTERED);
  assert_registers_consistent (f, f->reg_udp_port);
  {
    g_autofree char *all = changes_string (f, 0);
    g_assert_cmpstr (all, ==, "registering registered");
  }
}

/* The same over TCP: the Contact says transport=tcp and everything stays on one connection. */
static void
test_challenge_then_ok_tcp (Fixture *f, gconstpointer data)
{
  g_autofree char *changes = NULL;
  const char *contact;
  Seen *answer;

  f->auth = AUTH_MD5;
  f->reg = make_registration (f, BELL_SIP_TRANSPORT_TCP, PASSWORD);
  start (f);
  WAIT_FOR (state (f) == BELL_REG_REGISTERED);
  g_assert_cmpuint (f->challenges, ==, 1);
  g_assert_cmpuint (f->seen->len, >=, 2);
  answer = seen_at (f, 1);
  g_assert_true (answer->verified);
  g_assert_cmpstr (answer->nc, ==, "00000001");
  for (guint i = 0; i < f->seen->len; i++)
    g_assert_true (bell_str_equal_ci_cstr (bell_sip_msg_get_via (seen_at (f, i)->msg)->transport,
                                           "TCP"));
  contact = bell_sip_registration_get_contact (f->reg);
  g_assert_nonnull (contact);
  g_assert_true (g_str_has_prefix (contact, "sip:alice@127.0.0.1:"));
  g_assert_true (g_str_has_suffix (contact, ";transport=tcp"));
  g_assert_cmpint (bell_sip_registration_get_expires (f->reg), ==, 60);
  changes = changes_string (f, 0);
  g_assert_cmpstr (changes, ==, "registering registered");
  /* The first Contact names our listening port. Two answers are fine: keep it, or move the
   * binding to the connection's own port (what the registrar's Via rport says, so a proxy
   * reuses the connection), removing the first binding in the same REGISTER. */
  {
    g_autofree char *listening = ua_contact (f, "127.0.0.1", BELL_SIP_TRANSPORT_TCP);
    g_autofree char *over_connection =
      g_strdup_printf ("sip:alice@127.0.0.1:%u;transport=tcp", seen_at (f, 0)->remote_port);
    g_autofree char *sent = contact_uri (answer->msg, 0);

    g_assert_cmpstr (sent, ==, listening);
    if (f->seen->len == 2)
      g_assert_cmpstr (contact, ==, listening);
    else
      {
        BellSipMsg *moved = seen_at (f, 2)->msg;
        g_autofree char *old = NULL;
        g_autofree char *fresh = NULL;

        g_test_message ("over TCP the binding moved from %s to %s", listening, contact);
        g_assert_cmpuint (f->seen->len, ==, 3);
        g_assert_cmpstr (contact, ==, over_connection);
        g_assert_cmpuint (bell_sip_msg_count (moved, BELL_SIP_HDR_CONTACT), ==, 2);
        old = contact_uri (moved, 0);
        fresh = contact_uri (moved, 1);
        g_assert_cmpstr (old, ==, listening);
        g_assert_cmpint (contact_of (moved, 0)->expires, ==, 0);
        g_assert_cmpstr (fresh, ==, over_connection);
      }
  }

  /* Refreshes, and a keep-alive round (ping at 90 s, pong due 10 s later) the registrar's
   * transport answers: all on the one connection. */
  run_until (f, 130000);
  g_assert_cmpint (state (f), ==, BELL_REG_REGISTERED);
  g_assert_cmpuint (f->challenges, ==, 1);
  g_assert_cmpuint (f->seen->len, >=, 4);
  for (guint i = 2; i < f->seen->len; i++)
    g_assert_true (seen_at (f, i)->verified);
  for (guint i = 1; i < f->seen->len; i++)
    g_assert_cmpuint (seen_at (f, i)->remote_port, ==, seen_at (f, 0)->remote_port);
  assert_registers_consistent (f, f->reg_tcp_port);
  {
    g_autofree char *all = changes_string (f, 0);
    g_assert_cmpstr (all, ==, "registering registered");
  }
}

/* A refused password: one answer, and a second 401 ends it; nothing more, ever. */
static void
test_wrong_password (Fixture *f, gconstpointer data)
{
  g_autofree char *changes = NULL;

  f->auth = AUTH_MD5;
  f->reg = make_registration (f, BELL_SIP_TRANSPORT_UDP, "not-the-password");
  start (f);
  WAIT_FOR (state (f) == BELL_REG_FAILED);
  g_assert_cmpint (bell_sip_registration_get_reason (f->reg), ==, BELL_REG_REASON_AUTH_FAILED);
  g_assert_cmpuint (bell_sip_registration_get_status (f->reg), ==, 401);
  g_assert_nonnull (bell_sip_registration_get_message (f->reg));
  g_assert_cmpuint (f->seen->len, ==, 2);
  g_assert_false (seen_at (f, 0)->has_credentials);
  g_assert_true (seen_at (f, 1)->has_credentials);
  g_assert_false (seen_at (f, 1)->verified);
  g_assert_cmpstr (seen_at (f, 1)->why, ==, "wrong response");
  g_assert_cmpstr (seen_at (f, 1)->username, ==, "alice");

  /* Ten minutes: no retry, no 401 loop. */
  run_for (f, 10 * 60 * 1000);
  g_assert_cmpuint (f->seen->len, ==, 2);
  g_assert_cmpuint (f->wire_registers, ==, 2);
  g_assert_cmpint (state (f), ==, BELL_REG_FAILED);
  g_assert_cmpint (bell_sip_registration_get_reason (f->reg), ==, BELL_REG_REASON_AUTH_FAILED);
  changes = changes_string (f, 0);
  g_assert_cmpstr (changes, ==, "registering failed(auth-failed)");

  /* kick() is for the network coming back, not for a refused password. */
  bell_sip_registration_kick (f->reg);
  run_for (f, 1000);
  g_assert_cmpuint (f->seen->len, ==, 2);
  assert_registers_consistent (f, f->reg_udp_port);
}

/* §10.2.8: 423 Interval Too Brief with Min-Expires: ask again for that. */
static void
test_interval_too_brief (Fixture *f, gconstpointer data)
{
  g_autofree char *changes = NULL;

  f->min_expires = 3600;
  start (f);
  WAIT_FOR (state (f) == BELL_REG_REGISTERED);
  g_assert_cmpuint (f->seen->len, ==, 2);
  g_assert_cmpuint (seen_at (f, 0)->expires, ==, 60);
  g_assert_cmpuint (seen_at (f, 0)->answered, ==, 423);
  g_assert_cmpuint (seen_at (f, 1)->expires, ==, 3600);
  g_assert_cmpuint (seen_at (f, 1)->answered, ==, 200);
  g_assert_cmpint (bell_sip_registration_get_expires (f->reg), ==, 3600);
  changes = changes_string (f, 0);
  g_assert_cmpstr (changes, ==, "registering registered");

  /* The refresh keeps asking for 3600, and comes well before expiry. Until half-way only UDP
   * keep-alives go out, which need no answer: one clock step, then the sockets. */
  bell_clock_advance (f->clock, 1800000 - 1);
  settle ();
  g_assert_cmpuint (f->seen->len, ==, 2);
  g_assert_cmpint (state (f), ==, BELL_REG_REGISTERED);
  RUN_UNTIL (f, 3600000, f->seen->len >= 3);
  WAIT_FOR (last_seen (f)->answered != 0);
  g_assert_cmpint (seen_at (f, 2)->at_ms, >=, 1800000);
  g_assert_cmpint (seen_at (f, 2)->at_ms, <, 3600000);
  g_assert_cmpuint (seen_at (f, 2)->expires, ==, 3600);
  g_assert_cmpuint (seen_at (f, 2)->answered, ==, 200);
  g_assert_cmpint (state (f), ==, BELL_REG_REGISTERED);
  assert_registers_consistent (f, f->reg_udp_port);
}

/* 503: FAILED (server error) saying when it retries; after the back-off it registers alone. */
static void
test_server_error_then_ok (Fixture *f, gconstpointer data)
{
  g_autofree char *changes = NULL;
  const char *message;
  gint64 failed_at;

  script (f, ACT_503);
  start (f);
  WAIT_FOR (state (f) == BELL_REG_FAILED);
  failed_at = now_ms (f);
  g_assert_cmpint (bell_sip_registration_get_reason (f->reg), ==, BELL_REG_REASON_SERVER);
  g_assert_cmpuint (bell_sip_registration_get_status (f->reg), ==, 503);
  message = bell_sip_registration_get_message (f->reg);
  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, "503"));
  g_assert_nonnull (strstr (message, "again"));
  g_assert_nonnull (strstr (message, "5 s"));
  g_assert_cmpuint (f->seen->len, ==, 1);

  /* Nothing before the back-off is over. */
  run_until (f, failed_at + RETRY_BASE_S * 1000 - 1);
  g_assert_cmpuint (f->seen->len, ==, 1);
  g_assert_cmpint (state (f), ==, BELL_REG_FAILED);
  run_until (f, failed_at + RETRY_BASE_S * 1000);
  WAIT_FOR (state (f) == BELL_REG_REGISTERED);
  g_assert_cmpuint (f->seen->len, ==, 2);
  g_assert_cmpint (seen_at (f, 1)->at_ms, ==, failed_at + RETRY_BASE_S * 1000);
  g_assert_cmpuint (bell_sip_registration_get_status (f->reg), ==, 200);
  g_assert_cmpint (bell_sip_registration_get_reason (f->reg), ==, BELL_REG_REASON_NONE);
  changes = changes_string (f, 0);
  g_assert_cmpstr (changes, ==, "registering failed(server-error) registering registered");
  assert_registers_consistent (f, f->reg_udp_port);
}

/* A registrar that does not answer: Timer F, FAILED (timeout), and retries that back off
 * (5, 10, 20, 40, 40 s: doubling up to retry_max_s) until it answers. */
static void
test_registrar_down (Fixture *f, gconstpointer data)
{
  const guint silent = 5;
  gint64 sent_at = 0;

  f->default_action = ACT_SILENT;
  start (f);
  for (guint attempt = 0; attempt < silent; attempt++)
    {
      guint changes_before;
      guint wire_before;
      gint64 failed_at;
      guint bound_s = MIN (RETRY_BASE_S << attempt, RETRY_MAX_S);

      WAIT_FOR (f->seen->len == attempt + 1);
      wire_before = f->wire_registers;
      changes_before = f->changes->len;
      sent_at = last_seen (f)->at_ms;
      RUN_UNTIL (f, sent_at + TIMER_F_MS, state (f) == BELL_REG_FAILED);
      failed_at = now_ms (f);
      g_assert_cmpint (failed_at, ==, sent_at + TIMER_F_MS);
      g_assert_cmpint (bell_sip_registration_get_reason (f->reg), ==, BELL_REG_REASON_TIMEOUT);
      g_assert_nonnull (bell_sip_registration_get_message (f->reg));
      /* Retransmitted over UDP at 0.5, 1.5, 3.5, 7.5, 11.5 ... 31.5 s (§17.1.2.2). */
      g_assert_cmpuint (f->wire_registers - wire_before, ==, 10);
      g_assert_cmpuint (f->seen->len, ==, attempt + 1);
      {
        g_autofree char *changes = changes_string (f, changes_before);
        g_assert_cmpstr (changes, ==, "failed(timeout)");
      }

      if (attempt == silent - 1)
        f->default_action = ACT_OK;
      /* The next attempt comes no later than the back-off bound. */
      RUN_UNTIL (f, failed_at + bound_s * 1000, f->seen->len == attempt + 2);
      g_test_message ("attempt %u failed at %" G_GINT64_FORMAT " ms, retried %" G_GINT64_FORMAT
                      " ms later (bound %u s)", attempt + 1, failed_at,
                      last_seen (f)->at_ms - failed_at, bound_s);
      g_assert_cmpint (last_seen (f)->at_ms - failed_at, >, 0);
      g_assert_cmpint (last_seen (f)->at_ms - failed_at, <=, bound_s * 1000);
    }
  WAIT_FOR (state (f) == BELL_REG_REGISTERED);
  g_assert_cmpuint (f->seen->len, ==, silent + 1);
  g_assert_cmpuint (last_seen (f)->answered, ==, 200);
  g_assert_cmpint (bell_sip_registration_get_reason (f->reg), ==, BELL_REG_REASON_NONE);
  assert_registers_consistent (f, f->reg_udp_port);
  {
    g_autofree char *changes = changes_string (f, 0);
    g_autoptr(GString) expected = g_string_new (NULL);
    for (guint i = 0; i < silent; i++)
      g_string_append (expected, "registering failed(timeout) ");
    g_string_append (expected, "registering registered");
    g_assert_cmpstr (changes, ==, expected->str);
  }

  /* Once registered, a new failure backs off from retry_base_s again. */
  f->default_action = ACT_503;
  RUN_UNTIL (f, now_ms (f) + 60000, state (f) == BELL_REG_FAILED);
  {
    gint64 failed_at = now_ms (f);
    f->default_action = ACT_OK;
    RUN_UNTIL (f, failed_at + RETRY_BASE_S * 1000, state (f) == BELL_REG_REGISTERED);
    g_assert_cmpint (now_ms (f) - failed_at, <=, RETRY_BASE_S * 1000);
  }
}

/* A registrar whose TCP port is closed: the UA learns it at once (connection refused), says
 * so, and backs off as for any other failure. */
static void
test_registrar_unreachable (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocketListener) closed = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *registrar = NULL;
  BellRegConfig config = { 0 };
  guint16 dead_port = g_socket_listener_add_any_inet_port (closed, NULL, &error);

  g_assert_no_error (error);
  g_socket_listener_close (closed);
  registrar = g_strdup_printf ("sip:127.0.0.1:%u;transport=tcp", dead_port);
  config.aor = AOR;
  config.registrar = registrar;
  config.password = PASSWORD;
  config.expires = 60;
  config.retry_base_s = RETRY_BASE_S;
  config.retry_max_s = RETRY_MAX_S;
  f->reg = bell_sip_registration_new (f->ua_txns, &config, &error);
  g_assert_no_error (error);
  g_signal_connect (f->reg, "changed", G_CALLBACK (on_changed), f);
  bell_sip_registration_start (f->reg);
  WAIT_FOR (state (f) == BELL_REG_FAILED);
  g_assert_cmpint (now_ms (f), ==, 0);
  g_assert_cmpint (bell_sip_registration_get_reason (f->reg), ==, BELL_REG_REASON_UNREACHABLE);
  g_assert_nonnull (strstr (bell_sip_registration_get_message (f->reg), "5 s"));

  /* It tries again after 5 s, fails again at once, then waits 10 s. */
  bell_clock_advance (f->clock, RETRY_BASE_S * 1000 - 1);
  settle ();
  g_assert_cmpint (state (f), ==, BELL_REG_FAILED);
  bell_clock_advance (f->clock, 1);
  WAIT_FOR (state (f) == BELL_REG_FAILED &&
            strstr (bell_sip_registration_get_message (f->reg), "10 s") != NULL);
  g_assert_cmpint (bell_sip_registration_get_reason (f->reg), ==, BELL_REG_REASON_UNREACHABLE);
  g_assert_cmpuint (f->wire_registers, ==, 0);
}

/* stop() when registered: an un-REGISTER (Expires: 0) with credentials, then "stopped". */
static void
test_stop_registered (Fixture *f, gconstpointer data)
{
  g_autofree char *changes = NULL;
  guint changes_before;
  Seen *unregister;

  f->auth = AUTH_MD5;
  start (f);
  WAIT_FOR (state (f) == BELL_REG_REGISTERED);
  g_assert_cmpuint (f->seen->len, ==, 2);
  changes_before = f->changes->len;

  bell_sip_registration_stop (f->reg);
  WAIT_FOR (f->stopped == 1);
  g_assert_cmpuint (f->seen->len, ==, 3);
  unregister = seen_at (f, 2);
  g_assert_cmpuint (unregister->expires, ==, 0);
  g_assert_true (unregister->verified);
  g_assert_cmpstr (unregister->nc, ==, "00000002");
  g_assert_cmpuint (unregister->answered, ==, 200);
  g_assert_cmpuint (bell_sip_msg_count (unregister->msg, BELL_SIP_HDR_CONTACT), ==, 1);
  {
    g_autofree char *contact = contact_uri (unregister->msg, 0);
    g_autofree char *registered = contact_uri (seen_at (f, 1)->msg, 0);
    g_assert_cmpstr (contact, ==, registered);
  }
  g_assert_cmpint (state (f), ==, BELL_REG_UNREGISTERED);
  g_assert_cmpint (bell_sip_registration_get_reason (f->reg), ==, BELL_REG_REASON_NONE);
  changes = changes_string (f, changes_before);
  g_assert_cmpstr (changes, ==, "unregistering unregistered");
  assert_registers_consistent (f, f->reg_udp_port);

  /* Nothing afterwards: no refresh, no retry, no second "stopped". */
  run_for (f, 10 * 60 * 1000);
  g_assert_cmpuint (f->seen->len, ==, 3);
  g_assert_cmpuint (f->stopped, ==, 1);
  bell_sip_registration_stop (f->reg);
  run_for (f, 1000);
  g_assert_cmpuint (f->stopped, ==, 1);
  g_assert_cmpuint (f->seen->len, ==, 3);
}

/* stop() before start(): "stopped" at once, nothing sent. */
static void
test_stop_never_registered (Fixture *f, gconstpointer data)
{
  f->reg = make_registration (f, BELL_SIP_TRANSPORT_UDP, PASSWORD);
  bell_sip_registration_stop (f->reg);
  g_assert_cmpuint (f->stopped, ==, 1);
  g_assert_cmpint (state (f), ==, BELL_REG_UNREGISTERED);
  run_for (f, 60000);
  g_assert_cmpuint (f->wire_registers, ==, 0);
  g_assert_cmpuint (f->stopped, ==, 1);
  g_assert_cmpuint (f->changes->len, ==, 0);
}

/* stop() while the first REGISTER is unanswered: "stopped" at once, then the registration is
 * dropped while its transaction still runs (Timer F must not call into freed memory). */
static void
test_stop_while_registering (Fixture *f, gconstpointer data)
{
  f->default_action = ACT_SILENT;
  start (f);
  WAIT_FOR (f->seen->len == 1);
  g_assert_cmpint (state (f), ==, BELL_REG_REGISTERING);
  bell_sip_registration_stop (f->reg);
  g_assert_cmpuint (f->stopped, ==, 1);
  g_assert_cmpint (state (f), ==, BELL_REG_UNREGISTERED);
  {
    GObject *weak = G_OBJECT (f->reg);
    g_object_add_weak_pointer (weak, (gpointer *) &weak);
    g_clear_object (&f->reg);
    g_assert_null (weak);
  }
  run_for (f, 2 * TIMER_F_MS);
  g_assert_cmpuint (f->seen->len, ==, 1);
  g_assert_cmpuint (f->stopped, ==, 1);
}

/* stop() when registered but the registrar does not answer the un-REGISTER: "stopped" after a
 * bounded wait, and the registration can go away while that transaction still runs. */
static void
test_stop_unanswered (Fixture *f, gconstpointer data)
{
  start (f);
  WAIT_FOR (state (f) == BELL_REG_REGISTERED);
  f->default_action = ACT_SILENT;
  bell_sip_registration_stop (f->reg);
  WAIT_FOR (f->seen->len == 2);
  g_assert_cmpuint (seen_at (f, 1)->expires, ==, 0);
  g_assert_cmpuint (f->stopped, ==, 0);
  g_assert_cmpint (state (f), ==, BELL_REG_UNREGISTERING);
  g_test_expect_message ("bell-sip-reg", G_LOG_LEVEL_MESSAGE, "*no answer to the un-REGISTER*");
  RUN_UNTIL (f, TIMER_F_MS, f->stopped == 1);
  g_test_assert_expected_messages ();
  g_assert_cmpint (now_ms (f), <=, 5000);
  g_assert_cmpint (state (f), ==, BELL_REG_UNREGISTERED);
  {
    GObject *weak = G_OBJECT (f->reg);
    g_object_add_weak_pointer (weak, (gpointer *) &weak);
    g_clear_object (&f->reg);
    g_assert_null (weak);
  }
  run_for (f, 2 * TIMER_F_MS);
  g_assert_cmpuint (f->stopped, ==, 1);
}

/* start() after stop() registers again. */
static void
test_restart_after_stop (Fixture *f, gconstpointer data)
{
  start (f);
  WAIT_FOR (state (f) == BELL_REG_REGISTERED);
  bell_sip_registration_stop (f->reg);
  WAIT_FOR (f->stopped == 1);
  g_assert_cmpint (state (f), ==, BELL_REG_UNREGISTERED);
  g_assert_cmpuint (f->seen->len, ==, 2);

  bell_sip_registration_start (f->reg);
  RUN_UNTIL (f, 60000, state (f) == BELL_REG_REGISTERED);
  g_assert_cmpuint (f->seen->len, ==, 3);
  g_assert_cmpuint (seen_at (f, 2)->expires, ==, 60);
  assert_registers_consistent (f, f->reg_udp_port);
}

/* The registrar sees us at NAT_IP: register that Contact and remove the old one, in one
 * REGISTER. */
static void
test_nat_rebind (Fixture *f, gconstpointer data)
{
  BellSipTransportKind kind = GPOINTER_TO_INT (data);
  g_autofree char *local = NULL;
  g_autofree char *changes = NULL;
  const char *contact;
  Seen *moved;

  f->auth = AUTH_MD5;
  f->default_action = ACT_NAT;
  f->reg = make_registration (f, kind, PASSWORD);
  start (f);
  WAIT_FOR (state (f) == BELL_REG_REGISTERED);
  /* 401, the answer (200 through the NAT), then the move. */
  g_assert_cmpuint (f->seen->len, ==, 3);
  local = contact_uri (seen_at (f, 1)->msg, 0);
  g_assert_true (g_str_has_prefix (local, "sip:alice@127.0.0.1:"));

  moved = seen_at (f, 2);
  g_assert_true (moved->verified);
  g_assert_cmpuint (moved->answered, ==, 200);
  g_assert_cmpuint (moved->expires, ==, 60);
  g_assert_cmpuint (bell_sip_msg_count (moved->msg, BELL_SIP_HDR_CONTACT), ==, 2);
  {
    g_autofree char *old = contact_uri (moved->msg, 0);
    g_autofree char *fresh = contact_uri (moved->msg, 1);
    g_autofree char *instance = instance_of (moved->msg, 1);
    g_assert_cmpstr (old, ==, local);
    g_assert_cmpint (contact_of (moved->msg, 0)->expires, ==, 0);
    g_assert_true (g_str_has_prefix (fresh, "sip:alice@" NAT_IP ":"));
    g_assert_cmpint (contact_of (moved->msg, 1)->expires, !=, 0);
    g_assert_nonnull (instance);
    if (kind == BELL_SIP_TRANSPORT_UDP)
      {
        g_autofree char *expected = ua_contact (f, NAT_IP, BELL_SIP_TRANSPORT_UDP);
        g_assert_cmpstr (fresh, ==, expected);
      }
    else
      g_assert_true (g_str_has_suffix (fresh, ";transport=tcp"));
    contact = bell_sip_registration_get_contact (f->reg);
    g_assert_cmpstr (contact, ==, fresh);
  }
  g_assert_cmpint (bell_sip_registration_get_expires (f->reg), ==, 60);
  changes = changes_string (f, 0);
  g_assert_cmpstr (changes, ==, "registering registered");

  /* The refresh names only the public Contact. */
  RUN_UNTIL (f, 60000, f->seen->len >= 4);
  WAIT_FOR (last_seen (f)->answered != 0);
  g_assert_cmpuint (bell_sip_msg_count (seen_at (f, 3)->msg, BELL_SIP_HDR_CONTACT), ==, 1);
  {
    g_autofree char *refreshed = contact_uri (seen_at (f, 3)->msg, 0);
    g_assert_cmpstr (refreshed, ==, bell_sip_registration_get_contact (f->reg));
  }
  g_assert_cmpint (state (f), ==, BELL_REG_REGISTERED);
  assert_registers_consistent (f, kind == BELL_SIP_TRANSPORT_TCP ? f->reg_tcp_port
                                                                  : f->reg_udp_port);
}

/* The move to the public address is refused (503): the retry must not list one URI twice,
 * and must end up registered at the public address. */
static void
test_nat_move_fails (Fixture *f, gconstpointer data)
{
  g_autofree char *public = ua_contact (f, NAT_IP, BELL_SIP_TRANSPORT_UDP);

  f->default_action = ACT_NAT;
  script (f, ACT_NAT);
  script (f, ACT_503);
  start (f);
  WAIT_FOR (state (f) == BELL_REG_FAILED);
  g_assert_cmpuint (f->seen->len, ==, 2);
  g_assert_cmpuint (bell_sip_msg_count (seen_at (f, 1)->msg, BELL_SIP_HDR_CONTACT), ==, 2);

  RUN_UNTIL (f, 60000, state (f) == BELL_REG_REGISTERED);
  for (guint i = 0; i < f->seen->len; i++)
    {
      BellSipMsg *msg = seen_at (f, i)->msg;
      guint n = bell_sip_msg_count (msg, BELL_SIP_HDR_CONTACT);
      for (guint a = 0; a < n; a++)
        for (guint b = a + 1; b < n; b++)
          {
            g_autofree char *ua = contact_uri (msg, a);
            g_autofree char *ub = contact_uri (msg, b);
            g_test_message ("REGISTER %u: Contact %s and %s", i + 1, ua, ub);
            g_assert_cmpstr (ua, !=, ub);
          }
    }
  g_assert_cmpstr (bell_sip_registration_get_contact (f->reg), ==, public);
  {
    g_autofree char *last = contact_uri (last_seen (f)->msg,
                                         bell_sip_msg_count (last_seen (f)->msg,
                                                             BELL_SIP_HDR_CONTACT) - 1);
    g_assert_cmpstr (last, ==, public);
  }
}

/* Registrars change nonces: a refresh answered with the old one gets a 401 with a new nonce
 * (no stale=true), which is answered, not taken for a wrong password. */
static void
test_refresh_new_nonce (Fixture *f, gconstpointer data)
{
  f->auth = AUTH_MD5;
  start (f);
  WAIT_FOR (state (f) == BELL_REG_REGISTERED);
  g_assert_cmpuint (f->seen->len, ==, 2);
  f->nonce = "b3ll-md5-nonce-2";

  RUN_UNTIL (f, 60000, f->seen->len >= 4);
  WAIT_FOR (last_seen (f)->answered != 0);
  g_assert_true (seen_at (f, 2)->has_credentials);
  g_assert_false (seen_at (f, 2)->verified);
  g_assert_cmpuint (seen_at (f, 2)->answered, ==, 401);
  g_assert_true (seen_at (f, 3)->verified);
  g_assert_cmpstr (seen_at (f, 3)->nonce, ==, "b3ll-md5-nonce-2");
  g_assert_cmpstr (seen_at (f, 3)->nc, ==, "00000001");
  g_assert_cmpuint (seen_at (f, 3)->answered, ==, 200);
  g_assert_cmpint (state (f), ==, BELL_REG_REGISTERED);
  g_assert_cmpuint (f->challenges, ==, 2);

  /* And the next refresh uses the new nonce at once. */
  RUN_UNTIL (f, now_ms (f) + 60000, f->seen->len >= 5);
  WAIT_FOR (last_seen (f)->answered != 0);
  g_assert_true (seen_at (f, 4)->verified);
  g_assert_cmpstr (seen_at (f, 4)->nc, ==, "00000002");
  g_assert_cmpuint (f->challenges, ==, 2);
  assert_registers_consistent (f, f->reg_udp_port);
}

/* Two challenges for one realm: the answer uses the stronger one (RFC 8760). */
static void
test_sha256_preferred (Fixture *f, gconstpointer data)
{
  Seen *answer;

  f->auth = AUTH_MD5_AND_SHA256;
  start (f);
  WAIT_FOR (state (f) == BELL_REG_REGISTERED);
  g_assert_cmpuint (f->seen->len, ==, 2);
  answer = seen_at (f, 1);
  g_assert_true (answer->verified);
  g_assert_nonnull (answer->algorithm);
  g_assert_cmpstr (answer->algorithm, ==, "SHA-256");
  g_assert_cmpstr (answer->nonce, ==, NONCE_SHA256);
  g_assert_cmpuint (strlen (answer->response), ==, 64);

  /* The refresh keeps to SHA-256. */
  RUN_UNTIL (f, 60000, f->seen->len >= 3);
  WAIT_FOR (last_seen (f)->answered != 0);
  g_assert_true (seen_at (f, 2)->verified);
  g_assert_cmpstr (seen_at (f, 2)->algorithm, ==, "SHA-256");
  g_assert_cmpstr (seen_at (f, 2)->nc, ==, "00000002");
  g_assert_cmpuint (f->challenges, ==, 1);
}

/* kick() while waiting to retry: register now, not when the back-off ends. */
static void
test_kick_while_failed (Fixture *f, gconstpointer data)
{
  gint64 failed_at;

  script (f, ACT_503);
  start (f);
  WAIT_FOR (state (f) == BELL_REG_FAILED);
  run_for (f, 1000);
  failed_at = now_ms (f);
  g_assert_cmpuint (f->seen->len, ==, 1);

  bell_sip_registration_kick (f->reg);
  WAIT_FOR (state (f) == BELL_REG_REGISTERED);
  g_assert_cmpint (now_ms (f), ==, failed_at);
  g_assert_cmpuint (f->seen->len, ==, 2);
  g_assert_cmpint (seen_at (f, 1)->at_ms, ==, failed_at);

  /* The old retry timer is gone: nothing until the refresh at 30 s. */
  run_for (f, 29000);
  g_assert_cmpuint (f->seen->len, ==, 2);
  g_assert_cmpint (state (f), ==, BELL_REG_REGISTERED);
  assert_registers_consistent (f, f->reg_udp_port);
}

/* kick() while a REGISTER is unanswered: a new one goes out at once; the first one's Timer F
 * later must neither fail the registration nor reach it once it is gone. */
static void
test_kick_while_registering (Fixture *f, gconstpointer data)
{
  script (f, ACT_SILENT);
  start (f);
  WAIT_FOR (f->seen->len == 1);
  run_for (f, 1000);
  g_assert_cmpint (state (f), ==, BELL_REG_REGISTERING);

  bell_sip_registration_kick (f->reg);
  WAIT_FOR (state (f) == BELL_REG_REGISTERED);
  g_assert_cmpuint (f->seen->len, ==, 2);
  g_assert_cmpint (seen_at (f, 1)->at_ms, ==, 1000);
  run_until (f, TIMER_F_MS + 1000);
  g_assert_cmpint (state (f), ==, BELL_REG_REGISTERED);
  assert_registers_consistent (f, f->reg_udp_port);

  /* Again, and this time the registration goes away before the stale Timer F. */
  script (f, ACT_SILENT);
  bell_sip_registration_kick (f->reg);
  WAIT_FOR (f->seen->len >= 3);
  run_for (f, 1000);
  bell_sip_registration_kick (f->reg);
  WAIT_FOR (state (f) == BELL_REG_REGISTERED);
  {
    GObject *weak = G_OBJECT (f->reg);
    g_object_add_weak_pointer (weak, (gpointer *) &weak);
    g_clear_object (&f->reg);
    g_assert_null (weak);
  }
  run_for (f, TIMER_F_MS + 1000);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn, data) g_test_add (path, Fixture, data, setup, fn, teardown)
  ADD ("/sip/registration/challenge-then-ok", test_challenge_then_ok, NULL);
  ADD ("/sip/registration/challenge-then-ok-tcp", test_challenge_then_ok_tcp, NULL);
  ADD ("/sip/registration/wrong-password", test_wrong_password, NULL);
  ADD ("/sip/registration/interval-too-brief-423", test_interval_too_brief, NULL);
  ADD ("/sip/registration/server-error-then-ok", test_server_error_then_ok, NULL);
  ADD ("/sip/registration/registrar-down-backoff", test_registrar_down, NULL);
  ADD ("/sip/registration/registrar-unreachable", test_registrar_unreachable, NULL);
  ADD ("/sip/registration/stop-registered", test_stop_registered, NULL);
  ADD ("/sip/registration/stop-never-registered", test_stop_never_registered, NULL);
  ADD ("/sip/registration/stop-while-registering", test_stop_while_registering, NULL);
  ADD ("/sip/registration/stop-unanswered", test_stop_unanswered, NULL);
  ADD ("/sip/registration/restart-after-stop", test_restart_after_stop, NULL);
  ADD ("/sip/registration/nat-rebind", test_nat_rebind, GINT_TO_POINTER (BELL_SIP_TRANSPORT_UDP));
  ADD ("/sip/registration/nat-rebind-tcp", test_nat_rebind,
       GINT_TO_POINTER (BELL_SIP_TRANSPORT_TCP));
  ADD ("/sip/registration/nat-move-fails", test_nat_move_fails, NULL);
  ADD ("/sip/registration/refresh-new-nonce", test_refresh_new_nonce, NULL);
  ADD ("/sip/registration/sha256-preferred", test_sha256_preferred, NULL);
  ADD ("/sip/registration/kick-while-failed", test_kick_while_failed, NULL);
  ADD ("/sip/registration/kick-while-registering", test_kick_while_registering, NULL);
#undef ADD

  return g_test_run ();
}
