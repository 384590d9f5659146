/* bell-sip-registration.c: the REGISTER state machine (RFC 3261 §10.2). */
#define G_LOG_DOMAIN "bell-sip-reg"

#include "bell-sip-registration.h"

#include <string.h>

#include "bell-sip-auth.h"
#include "bell-sip-auth-policy.h"
#include "bell-sip-locate.h"
#include "bell-sip-tls.h"
#include "bell-sip-transport-tls.h"

#define DEFAULT_EXPIRES   600
#define UNREGISTER_WAIT_S 5
/* NAT bindings for UDP last 30 s on many routers; a connection's ping can be rarer. */
#define KEEPALIVE_UDP_S   25
#define KEEPALIVE_TCP_S   90

struct _BellSipRegistration
{
  GObject              parent_instance;

  BellSipTransactions *txns;
  BellClock           *clock;
  BellSipUri          *aor;
  BellSipUri          *registrar;
  BellSipUri          *proxy;          /* outbound proxy: REGISTERs go there (Route), or NULL */
  char                *aor_text;
  char                *registrar_text;
  char                *display_name;
  char                *instance_id;
  char                *tls_ca_file;
  char                *tls_pin;
  GPtrArray           *pin_keys;       /* where the transport holds tls_pin for us */
  BellSipTransportKind transport;
  guint                expires_wanted;
  guint                retry_base_s;
  guint                retry_max_s;
  BellSipCredentials  *credentials;

  char                *call_id;
  char                *from_tag;
  guint32              cseq;

  BellRegState         state;
  BellRegReason        reason;
  guint                status;
  char                *message;
  guint                expires;
  char                *contact;        /* the URI we register, <...> not included */
  char                *old_contact;    /* to remove when our public address changed */
  gboolean             stopping;

  GPtrArray           *targets;        /* BellSipTarget */
  BellSipTransaction  *txn;
  BellSipFlow         *flow;
  GCancellable        *cancel;
  guint                refresh_timer;
  guint                retry_timer;
  guint                stop_timer;
  guint                keepalive;
  guint                failures;       /* consecutive, for the back-off */
  guint                retry_after_s;  /* the registrar's Retry-After for the next wait */
  gulong               flow_failed_handler;
};

G_DEFINE_FINAL_TYPE (BellSipRegistration, bell_sip_registration, G_TYPE_OBJECT)

enum { SIGNAL_CHANGED, SIGNAL_STOPPED, N_SIGNALS };
static guint signals[N_SIGNALS];

const char *
bell_reg_state_to_string (BellRegState state)
{
  static const char *const names[] = {
    "unregistered", "registering", "registered", "unregistering", "failed",
  };
  return state < G_N_ELEMENTS (names) ? names[state] : "?";
}

const char *
bell_reg_reason_to_string (BellRegReason reason)
{
  if (reason == BELL_REG_REASON_AUTH_NOT_SENT)
    return "auth-not-sent";
  static const char *const names[] = {
    "none", "auth-failed", "no-route", "unreachable", "timeout", "tls", "server-error",
    "network-down", "config", "tls-untrusted", "tls-changed",
  };
  return reason < G_N_ELEMENTS (names) ? names[reason] : "?";
}

static void send_register (BellSipRegistration *self);
static void locate_and_register (BellSipRegistration *self);

/* A transaction we give up on must not call us back: we may be gone when it ends. */
static void
drop_txn (BellSipRegistration *self)
{
  if (self->txn)
    bell_sip_transaction_detach (self->txn);
  g_clear_pointer (&self->txn, bell_sip_transaction_unref);
}

static void
set_state (BellSipRegistration *self, BellRegState state, BellRegReason reason, guint status,
           const char *message)
{
  self->state = state;
  self->reason = reason;
  /* What a listener reads describes this state only: no code or expiry left from before. */
  self->status = status;
  if (state != BELL_REG_REGISTERED)
    self->expires = 0;
  g_free (self->message);
  self->message = g_strdup (message);
  g_debug ("%s: %s (%s%s%s)", self->aor_text, bell_reg_state_to_string (state),
           bell_reg_reason_to_string (reason), message ? ": " : "", message ? message : "");
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
stop_keepalive (BellSipRegistration *self)
{
  if (self->keepalive)
    {
      bell_sip_transport_keepalive_stop (bell_sip_transactions_get_transport (self->txns),
                                         self->keepalive);
      self->keepalive = 0;
    }
}

static void
on_retry (gpointer data)
{
  BellSipRegistration *self = data;

  self->retry_timer = 0;
  locate_and_register (self);
}

/* After a failure: say why and try again later, each time waiting twice as long (bounded). */
static void
fail_and_retry (BellSipRegistration *self, BellRegReason reason, guint status, const char *why)
{
  guint delay_s = self->retry_base_s;
  g_autofree char *message = NULL;

  bell_clock_clear (self->clock, &self->refresh_timer);
  stop_keepalive (self);
  g_clear_pointer (&self->flow, bell_sip_flow_unref);
  if (reason == BELL_REG_REASON_AUTH_FAILED || reason == BELL_REG_REASON_CONFIG ||
      reason == BELL_REG_REASON_TLS_UNTRUSTED || reason == BELL_REG_REASON_TLS_CHANGED)
    {
      /* Trying again would only be refused again (or lock the account): the user must act. */
      set_state (self, BELL_REG_FAILED, reason, status, why);
      return;
    }
  for (guint i = 0; i < self->failures && delay_s < self->retry_max_s; i++)
    delay_s *= 2;
  delay_s = MIN (delay_s, self->retry_max_s);
  /* A registrar that says when to come back is believed, within our own bound. */
  if (self->retry_after_s)
    delay_s = MIN (MAX (delay_s, self->retry_after_s), self->retry_max_s);
  self->retry_after_s = 0;
  self->failures++;
  message = g_strdup_printf ("%s; trying again in %u s", why, delay_s);
  bell_clock_clear (self->clock, &self->retry_timer);
  self->retry_timer = bell_clock_schedule (self->clock, delay_s * 1000, on_retry, self, NULL);
  set_state (self, BELL_REG_FAILED, reason, status, message);
}

static char *
contact_uri_for (BellSipRegistration *self, BellSipFlow *flow, const BellSipTarget *target)
{
  BellSipTransport *transport = bell_sip_transactions_get_transport (self->txns);
  g_autoptr(GInetSocketAddress) local = NULL;
  GInetSocketAddress *address = flow ? bell_sip_flow_get_public (flow) : NULL;
  BellSipTransportKind kind = flow ? bell_sip_flow_get_kind (flow) : target->kind;
  g_autofree char *user = bell_str_dup (self->aor->user);

  /* Where the registrar saw us, else where the route toward it leaves from. */
  if (!address && kind != BELL_SIP_TRANSPORT_WS && kind != BELL_SIP_TRANSPORT_WSS)
    {
      local = bell_sip_transport_get_local_address (transport, kind, target->address);
      address = local;
      if (!address)
        return NULL;
    }
  return bell_sip_contact_uri (user, address, kind);
}

static BellSipMsg *
build_register (BellSipRegistration *self, guint expires)
{
  g_autoptr(BellSipMsg) msg = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ruri = NULL;
  g_autofree char *to = NULL;

  /* §10.2: the Request-URI is the registrar's domain, without a user part. */
  {
    GString *r = g_string_new (NULL);
    g_string_append_printf (r, "%.*s:%.*s", BELL_STR_PRINTF (self->registrar->scheme_str),
                            BELL_STR_PRINTF (self->registrar->host));
    if (self->registrar->port)
      g_string_append_printf (r, ":%u", self->registrar->port);
    g_string_append_len (r, self->registrar->params.p, (gssize) self->registrar->params.len);
    ruri = g_string_free (r, FALSE);
  }
  msg = bell_sip_msg_new_request (BELL_SIP_METHOD_REGISTER, NULL, ruri, &error);
  if (!msg)
    return NULL;
  to = self->display_name
         ? g_strdup_printf ("\"%s\" <%s>", self->display_name, self->aor_text)
         : g_strdup_printf ("<%s>", self->aor_text);
  bell_sip_msg_add_header (msg, "To", to, NULL);
  bell_sip_msg_add_headerf (msg, "From", NULL, "%s;tag=%s", to, self->from_tag);
  bell_sip_msg_add_header (msg, "Call-ID", self->call_id, NULL);
  bell_sip_msg_add_headerf (msg, "CSeq", NULL, "%u REGISTER", ++self->cseq);
  bell_sip_msg_add_header (msg, "Max-Forwards", "70", NULL);
  if (self->proxy)
    {
      g_autofree char *route = bell_sip_uri_to_loose_route (self->proxy);
      bell_sip_msg_add_header (msg, "Route", route, NULL);
    }
  if (self->old_contact && expires > 0)
    bell_sip_msg_add_headerf (msg, "Contact", NULL, "<%s>;expires=0", self->old_contact);
  if (self->contact)
    /* RFC 5626 §4.2: instance and reg-id, so an outbound registrar keeps this flow. */
    bell_sip_msg_add_headerf (msg, "Contact", NULL, "<%s>;+sip.instance=\"<%s>\";reg-id=1",
                              self->contact, self->instance_id);
  bell_sip_msg_add_headerf (msg, "Expires", NULL, "%u", expires);
  bell_sip_msg_add_header (msg, "Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS", NULL);
  bell_sip_msg_add_header (msg, "Supported", "path, outbound", NULL);
  bell_sip_msg_add_header (msg, "User-Agent", "Bellbird/" BELL_VERSION, NULL);
  bell_sip_auth_authorize (self->credentials, msg);
  return g_steal_pointer (&msg);
}

/* The expiry the registrar granted our contact: its ;expires, else Expires (§10.2.4). */
static guint
granted_expires (BellSipRegistration *self, BellSipMsg *response)
{
  guint64 expires;
  g_autoptr(BellSipUri) ours = self->contact ? bell_sip_uri_new (self->contact, NULL) : NULL;

  for (const BellSipHeader *h = bell_sip_msg_find (response, BELL_SIP_HDR_CONTACT); h && ours;
       h = bell_sip_msg_find_next (response, BELL_SIP_HDR_CONTACT, h))
    {
      const BellSipNameAddr *na = h->parsed.name_addr;

      if (!na->star && bell_sip_uri_equal (&na->uri, ours) && na->expires >= 0)
        return (guint) na->expires;
    }
  if (bell_sip_msg_get_number (response, BELL_SIP_HDR_EXPIRES, &expires))
    return (guint) expires;
  return self->expires_wanted;
}

static void
on_refresh (gpointer data)
{
  BellSipRegistration *self = data;

  self->refresh_timer = 0;
  send_register (self);
}

static void
on_flow_failed (BellSipTransport *transport, BellSipFlow *flow, GError *error, gpointer data)
{
  BellSipRegistration *self = data;

  /* The connection to the registrar died (or stopped answering pings): we are not reachable
   * any more, so register again at once over a new one. */
  if (flow != self->flow || self->state != BELL_REG_REGISTERED || self->stopping)
    return;
  g_message ("%s: %s; registering again", self->aor_text, error->message);
  stop_keepalive (self);
  g_clear_pointer (&self->flow, bell_sip_flow_unref);
  bell_clock_clear (self->clock, &self->refresh_timer);
  locate_and_register (self);
}

static void
registered (BellSipRegistration *self, BellSipTransaction *txn, BellSipMsg *response)
{
  BellSipTransport *transport = bell_sip_transactions_get_transport (self->txns);
  BellSipFlow *flow = bell_sip_transaction_get_flow (txn);
  g_autofree char *public_contact = NULL;
  guint expires = granted_expires (self, response);
  guint refresh_s;

  self->failures = 0;
  bell_sip_auth_reset (self->credentials);   /* a new round; challenges kept; realm pinned */
  /* Whatever name routes a call there, this address is the account's registrar. */
  bell_sip_auth_policy_trust_address (bell_sip_credentials_get_policy (self->credentials),
                                      bell_sip_flow_get_remote (flow));
  if (flow != self->flow)
    {
      stop_keepalive (self);
      g_clear_pointer (&self->flow, bell_sip_flow_unref);
      self->flow = bell_sip_flow_ref (flow);
    }

  /* The registrar saw us at another address (NAT): register that instead (RFC 3581). Over a
   * connection the port it sees is the connection's own, which says nothing of NAT: only a
   * different IP address moves the binding there. */
  if (bell_sip_flow_get_public (flow) &&
      (bell_sip_flow_get_kind (flow) == BELL_SIP_TRANSPORT_UDP || !bell_sip_flow_get_local (flow) ||
       !g_inet_address_equal (g_inet_socket_address_get_address (bell_sip_flow_get_public (flow)),
                              g_inet_socket_address_get_address (bell_sip_flow_get_local (flow)))))
    public_contact = contact_uri_for (self, flow, NULL);
  if (public_contact && self->contact && strcmp (public_contact, self->contact) != 0 &&
      !self->old_contact)
    {
      g_debug ("%s: the registrar sees us as %s", self->aor_text, public_contact);
      self->old_contact = g_steal_pointer (&self->contact);
      self->contact = g_steal_pointer (&public_contact);
      send_register (self);
      return;
    }
  g_clear_pointer (&self->old_contact, g_free);

  self->expires = expires;
  if (expires == 0)
    {
      fail_and_retry (self, BELL_REG_REASON_SERVER, bell_sip_msg_get_status (response),
                      "the registrar kept no binding for us");
      return;
    }
  /* Refresh well before expiry: half-way for short ones, a few minutes early for long ones. */
  refresh_s = expires <= 120 ? MAX (1u, expires / 2) : expires - MIN (expires / 4, 300u);
  bell_clock_clear (self->clock, &self->refresh_timer);
  self->refresh_timer = bell_clock_schedule (self->clock, refresh_s * 1000, on_refresh, self, NULL);
  if (!self->keepalive)
    self->keepalive = bell_sip_transport_keepalive_start (transport, flow,
                                                          bell_sip_flow_get_kind (flow) == BELL_SIP_TRANSPORT_UDP
                                                            ? KEEPALIVE_UDP_S : KEEPALIVE_TCP_S);
  set_state (self, BELL_REG_REGISTERED, BELL_REG_REASON_NONE, bell_sip_msg_get_status (response),
             NULL);
}

static BellRegReason
reason_for_error (const GError *error)
{
  if (g_error_matches (error, BELL_SIP_TXN_ERROR, BELL_SIP_TXN_ERROR_TIMEOUT))
    return BELL_REG_REASON_TIMEOUT;
  if (strstr (error->message, "TLS"))
    {
      g_auto(BellSipTlsCertReport) report = { 0 };
      /* The transport keeps only the text: a certificate the user could trust says so there. */
      if (bell_sip_tls_cert_report_parse (error->message, &report))
        return report.pinned ? BELL_REG_REASON_TLS_CHANGED : BELL_REG_REASON_TLS_UNTRUSTED;
      return BELL_REG_REASON_TLS;
    }
  return BELL_REG_REASON_UNREACHABLE;
}

static void finish_stop (BellSipRegistration *self, BellRegReason reason, const char *message);

/* A challenge the password must not answer (bell-sip-auth-policy.h): nothing was sent, and
 * trying again would meet the same challenge, so the user must look (not a back-off). */
static void
refuse_challenge (BellSipRegistration *self, guint status, const GError *error)
{
  g_message ("%s: not registering: %s", self->aor_text, error->message);
  bell_clock_clear (self->clock, &self->refresh_timer);
  stop_keepalive (self);
  g_clear_pointer (&self->flow, bell_sip_flow_unref);
  set_state (self, BELL_REG_FAILED, BELL_REG_REASON_AUTH_NOT_SENT, status, error->message);
}

static void
on_response (BellSipTransaction *txn, BellSipMsg *response, const GError *error, gpointer data)
{
  BellSipRegistration *self = data;
  guint status;

  if (txn != self->txn)
    return;   /* an old transaction we gave up on */
  if (!response)
    {
      g_clear_pointer (&self->txn, bell_sip_transaction_unref);
      if (self->stopping)
        finish_stop (self, reason_for_error (error), error->message);
      else
        fail_and_retry (self, reason_for_error (error), 0, error->message);
      return;
    }
  status = bell_sip_msg_get_status (response);
  if (status < 200)
    return;
  g_clear_pointer (&self->txn, bell_sip_transaction_unref);

  if (self->stopping)
    {
      /* Any final answer ends an un-REGISTER (a challenge we answer first). */
      if ((status == 401 || status == 407) && !self->flow)
        finish_stop (self, BELL_REG_REASON_NONE, NULL);
      else if (status == 401 || status == 407)
        {
          g_autoptr(BellSipMsg) again = build_register (self, 0);
          if (again && bell_sip_auth_answer_via (self->credentials, response,
                                                 bell_sip_transaction_get_flow (txn), again, NULL))
            {
              self->txn = bell_sip_transactions_send_on_flow (self->txns, again, self->flow,
                                                              on_response, self, NULL);
              return;
            }
          finish_stop (self, BELL_REG_REASON_NONE, NULL);
        }
      else
        finish_stop (self, BELL_REG_REASON_NONE, NULL);
      return;
    }

  if (status >= 200 && status < 300)
    {
      registered (self, txn, response);
      return;
    }
  if (status == 401 || status == 407)
    {
      g_autoptr(GError) auth_error = NULL;
      g_autoptr(BellSipMsg) again = build_register (self, self->expires_wanted);
      if (!bell_sip_auth_answer_via (self->credentials, response,
                                     bell_sip_transaction_get_flow (txn), again, &auth_error))
        {
          if (bell_sip_auth_error_is_policy (auth_error))
            {
              refuse_challenge (self, status, auth_error);
              return;
            }
          fail_and_retry (self, g_error_matches (auth_error, BELL_SIP_AUTH_ERROR,
                                                 BELL_SIP_AUTH_ERROR_FAILED) ||
                                  g_error_matches (auth_error, BELL_SIP_AUTH_ERROR,
                                                   BELL_SIP_AUTH_ERROR_NO_CREDENTIALS)
                            ? BELL_REG_REASON_AUTH_FAILED : BELL_REG_REASON_SERVER,
                          status, auth_error->message);
          return;
        }
      /* The same server: over the flow that carried the challenge while it is open. */
      if (bell_sip_flow_is_open (bell_sip_transaction_get_flow (txn)))
        self->txn = bell_sip_transactions_send_on_flow (self->txns, again,
                                                        bell_sip_transaction_get_flow (txn),
                                                        on_response, self, NULL);
      else
        self->txn = bell_sip_transactions_send (self->txns, again, self->targets, on_response,
                                                self, NULL);
      return;
    }
  if (status == 423)
    {
      guint64 min = 0;
      /* §10.2.8: ask again with at least what the registrar wants. */
      if (bell_sip_msg_get_number (response, BELL_SIP_HDR_MIN_EXPIRES, &min) &&
          min > self->expires_wanted && min <= G_MAXUINT32)
        {
          self->expires_wanted = (guint) min;
          send_register (self);
          return;
        }
    }
  {
    g_autofree char *why = g_strdup_printf ("the registrar answered %u %.*s", status,
                                            BELL_STR_PRINTF (bell_sip_msg_get_reason (response)));
    const BellSipHeader *retry_after = bell_sip_msg_find (response, BELL_SIP_HDR_RETRY_AFTER);
    if (retry_after && retry_after->parsed.token_params)
      self->retry_after_s = (guint) MIN (retry_after->parsed.token_params->number, G_MAXUINT);
    /* A 403 to a REGISTER that carried our credentials is how some registrars refuse them. */
    gboolean refused = status == 403 &&
                       (bell_sip_msg_find (bell_sip_transaction_get_request (txn), BELL_SIP_HDR_AUTHORIZATION) ||
                        bell_sip_msg_find (bell_sip_transaction_get_request (txn), BELL_SIP_HDR_PROXY_AUTHORIZATION));
    fail_and_retry (self, refused ? BELL_REG_REASON_AUTH_FAILED : BELL_REG_REASON_SERVER, status,
                    why);
  }
}

static void
send_register (BellSipRegistration *self)
{
  g_autoptr(BellSipMsg) request = NULL;

  if (!self->contact)
    self->contact = contact_uri_for (self, self->flow, self->targets->pdata[0]);
  if (!self->contact)
    {
      fail_and_retry (self, BELL_REG_REASON_UNREACHABLE, 0, "no route to the registrar");
      return;
    }
  request = build_register (self, self->expires_wanted);
  if (!request)
    {
      fail_and_retry (self, BELL_REG_REASON_CONFIG, 0, "cannot build a REGISTER for this account");
      return;
    }
  if (self->state != BELL_REG_REGISTERED && self->state != BELL_REG_REGISTERING)
    set_state (self, BELL_REG_REGISTERING, BELL_REG_REASON_NONE, 0, NULL);
  drop_txn (self);
  /* A refresh keeps to the flow we are registered over (our binding lives there). */
  if (self->flow && bell_sip_flow_is_open (self->flow))
    self->txn = bell_sip_transactions_send_on_flow (self->txns, request, self->flow, on_response,
                                                    self, NULL);
  else
    self->txn = bell_sip_transactions_send (self->txns, request, self->targets, on_response, self,
                                            NULL);
}

/* The account's pin applies to its servers while the registration lives (or until it finds
 * other servers): a pin the user forgot goes with the registration it was made for. */
static void
release_pins (BellSipRegistration *self)
{
  for (guint i = 0; i < self->pin_keys->len; i++)
    bell_sip_transport_release_tls_pin (bell_sip_transactions_get_transport (self->txns),
                                        self->pin_keys->pdata[i], self->tls_pin);
  g_ptr_array_set_size (self->pin_keys, 0);
}

static void
on_located (GObject *source, GAsyncResult *result, gpointer data)
{
  BellSipRegistration *self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) located = bell_sip_locate_finish (result, &error);

  if (!located)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail_and_retry (self, error->domain == G_RESOLVER_ERROR ? BELL_REG_REASON_NO_ROUTE
                                                                : BELL_REG_REASON_CONFIG,
                        0, error->message);
      g_object_unref (self);
      return;
    }
  g_clear_pointer (&self->targets, g_ptr_array_unref);
  self->targets = bell_sip_targets_from_located (located);
  for (guint i = 0; i < self->targets->len && self->tls_ca_file; i++)
    {
      BellSipTarget *t = self->targets->pdata[i];
      t->tls_ca_file = g_strdup (self->tls_ca_file);
    }
  release_pins (self);
  for (guint i = 0; i < self->targets->len && self->tls_pin; i++)
    {
      BellSipTransport *transport = bell_sip_transactions_get_transport (self->txns);
      BellSipTarget *t = self->targets->pdata[i];
      char *key = t->kind == BELL_SIP_TRANSPORT_TLS
                  ? bell_sip_transport_hold_tls_pin (transport, t, self->tls_pin) : NULL;
      if (key)
        g_ptr_array_add (self->pin_keys, key);
    }
  /* A new route may mean a new local address; the old binding is registered afresh. */
  g_clear_pointer (&self->contact, g_free);
  g_clear_pointer (&self->old_contact, g_free);
  send_register (self);
  g_object_unref (self);
}

static void
locate_and_register (BellSipRegistration *self)
{
  BellSipTransport *transport = bell_sip_transactions_get_transport (self->txns);

  if (self->stopping)
    return;
  bell_clock_clear (self->clock, &self->retry_timer);
  set_state (self, BELL_REG_REGISTERING, BELL_REG_REASON_NONE, 0, NULL);
  if (self->transport == BELL_SIP_TRANSPORT_WS || self->transport == BELL_SIP_TRANSPORT_WSS)
    {
      fail_and_retry (self, BELL_REG_REASON_CONFIG, 0,
                      "registering over WebSocket needs the server's ws:// URL");
      return;
    }
  bell_sip_locate_async (self->proxy ? self->proxy : self->registrar, self->transport,
                         bell_sip_transport_get_supported (transport), NULL, self->cancel,
                         on_located, g_object_ref (self));
}

void
bell_sip_registration_start (BellSipRegistration *self)
{
  g_return_if_fail (BELL_IS_SIP_REGISTRATION (self));
  self->stopping = FALSE;
  if (g_cancellable_is_cancelled (self->cancel))
    {
      /* stop() cancelled the lookups of the last run. */
      g_clear_object (&self->cancel);
      self->cancel = g_cancellable_new ();
    }
  locate_and_register (self);
}

void
bell_sip_registration_kick (BellSipRegistration *self)
{
  g_return_if_fail (BELL_IS_SIP_REGISTRATION (self));
  if (self->stopping || self->reason == BELL_REG_REASON_AUTH_FAILED)
    return;
  self->failures = 0;
  stop_keepalive (self);
  g_clear_pointer (&self->flow, bell_sip_flow_unref);
  bell_clock_clear (self->clock, &self->refresh_timer);
  locate_and_register (self);
}

static void
finish_stop (BellSipRegistration *self, BellRegReason reason, const char *message)
{
  bell_clock_clear (self->clock, &self->stop_timer);
  stop_keepalive (self);
  drop_txn (self);
  if (self->state != BELL_REG_UNREGISTERED || reason != BELL_REG_REASON_NONE)
    set_state (self, BELL_REG_UNREGISTERED, reason, 0, message);
  /* A handler may drop the last reference to us (the core forgets a stopped registration):
   * we live until every handler has run. */
  g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_STOPPED], 0);
  g_object_unref (self);
}

static void
on_stop_timeout (gpointer data)
{
  BellSipRegistration *self = data;

  self->stop_timer = 0;
  g_message ("%s: no answer to the un-REGISTER; stopping anyway", self->aor_text);
  finish_stop (self, BELL_REG_REASON_TIMEOUT,
               "no answer to the un-REGISTER: the registrar may keep the binding until it expires");
}

void
bell_sip_registration_stop (BellSipRegistration *self)
{
  g_autoptr(BellSipMsg) request = NULL;

  g_return_if_fail (BELL_IS_SIP_REGISTRATION (self));
  if (self->stopping)
    return;
  self->stopping = TRUE;
  g_cancellable_cancel (self->cancel);
  bell_clock_clear (self->clock, &self->refresh_timer);
  bell_clock_clear (self->clock, &self->retry_timer);
  if (self->state != BELL_REG_REGISTERED || !self->flow)
    {
      finish_stop (self, BELL_REG_REASON_NONE, NULL);
      return;
    }
  /* §10.2.2: Expires 0 removes our binding. */
  set_state (self, BELL_REG_UNREGISTERING, BELL_REG_REASON_NONE, 0, NULL);
  request = build_register (self, 0);
  drop_txn (self);
  self->txn = bell_sip_transactions_send_on_flow (self->txns, request, self->flow, on_response,
                                                  self, NULL);
  self->stop_timer = bell_clock_schedule (self->clock, UNREGISTER_WAIT_S * 1000, on_stop_timeout,
                                          self, NULL);
}

BellRegState
bell_sip_registration_get_state (BellSipRegistration *self)
{
  return self->state;
}

BellRegReason
bell_sip_registration_get_reason (BellSipRegistration *self)
{
  return self->reason;
}

guint
bell_sip_registration_get_status (BellSipRegistration *self)
{
  return self->status;
}

guint
bell_sip_registration_get_expires (BellSipRegistration *self)
{
  return self->expires;
}

const char *
bell_sip_registration_get_aor (BellSipRegistration *self)
{
  return self->aor_text;
}

const char *
bell_sip_registration_get_contact (BellSipRegistration *self)
{
  return self->contact;
}

BellSipFlow *
bell_sip_registration_get_flow (BellSipRegistration *self)
{
  return self->state == BELL_REG_REGISTERED ? self->flow : NULL;
}

GPtrArray *
bell_sip_registration_get_targets (BellSipRegistration *self)
{
  return self->state == BELL_REG_REGISTERED ? self->targets : NULL;
}

const char *
bell_sip_registration_get_message (BellSipRegistration *self)
{
  return self->message;
}

BellSipAuthPolicy *
bell_sip_registration_get_auth_policy (BellSipRegistration *self)
{
  g_return_val_if_fail (BELL_IS_SIP_REGISTRATION (self), NULL);
  return bell_sip_credentials_get_policy (self->credentials);
}

static void
bell_sip_registration_dispose (GObject *object)
{
  BellSipRegistration *self = BELL_SIP_REGISTRATION (object);

  if (self->cancel)
    g_cancellable_cancel (self->cancel);
  if (self->txn)
    {
      bell_sip_transaction_detach (self->txn);
      g_clear_pointer (&self->txn, bell_sip_transaction_unref);
    }
  if (self->clock)
    {
      bell_clock_clear (self->clock, &self->refresh_timer);
      bell_clock_clear (self->clock, &self->retry_timer);
      bell_clock_clear (self->clock, &self->stop_timer);
    }
  if (self->txns)
    {
      release_pins (self);
      stop_keepalive (self);
      g_clear_signal_handler (&self->flow_failed_handler,
                              bell_sip_transactions_get_transport (self->txns));
    }
  g_clear_object (&self->txns);
  G_OBJECT_CLASS (bell_sip_registration_parent_class)->dispose (object);
}

static void
bell_sip_registration_finalize (GObject *object)
{
  BellSipRegistration *self = BELL_SIP_REGISTRATION (object);

  g_clear_pointer (&self->clock, bell_clock_unref);
  g_clear_pointer (&self->aor, bell_sip_uri_free);
  g_clear_pointer (&self->registrar, bell_sip_uri_free);
  g_clear_pointer (&self->credentials, bell_sip_credentials_free);
  g_clear_pointer (&self->targets, g_ptr_array_unref);
  g_clear_pointer (&self->flow, bell_sip_flow_unref);
  g_clear_object (&self->cancel);
  g_free (self->aor_text);
  g_free (self->registrar_text);
  g_clear_pointer (&self->proxy, bell_sip_uri_free);
  g_free (self->display_name);
  g_free (self->instance_id);
  g_free (self->tls_ca_file);
  g_free (self->tls_pin);
  g_ptr_array_unref (self->pin_keys);
  g_free (self->call_id);
  g_free (self->from_tag);
  g_free (self->message);
  g_free (self->contact);
  g_free (self->old_contact);
  G_OBJECT_CLASS (bell_sip_registration_parent_class)->finalize (object);
}

static void
bell_sip_registration_class_init (BellSipRegistrationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bell_sip_registration_dispose;
  object_class->finalize = bell_sip_registration_finalize;

  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_STOPPED] = g_signal_new ("stopped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
bell_sip_registration_init (BellSipRegistration *self)
{
  self->cancel = g_cancellable_new ();
  self->pin_keys = g_ptr_array_new_with_free_func (g_free);
}

/* A server as the user typed it (see bell_sip_uri_text_for_server; *text is replaced by the
 * URI). */
static gboolean
server_uri (char **text, BellSipUri **uri, GError **error)
{
  char *full = bell_sip_uri_text_for_server (*text);

  g_free (*text);
  *text = full;
  *uri = bell_sip_uri_new (*text, error);
  return *uri != NULL;
}

BellSipRegistration *
bell_sip_registration_new (BellSipTransactions *txns, const BellRegConfig *config, GError **error)
{
  g_autoptr(BellSipRegistration) self = NULL;
  g_autofree char *registrar = NULL;
  g_autofree char *user = NULL;

  g_return_val_if_fail (BELL_IS_SIP_TRANSACTIONS (txns), NULL);
  g_return_val_if_fail (config != NULL && config->aor != NULL, NULL);

  self = g_object_new (BELL_TYPE_SIP_REGISTRATION, NULL);
  self->aor = bell_sip_uri_new (config->aor, error);
  if (!self->aor)
    return NULL;
  if (!bell_sip_uri_is_sip (self->aor) || !bell_str_is_set (self->aor->user))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "the account address “%s” must be a sip: or sips: URI with a user", config->aor);
      return NULL;
    }
  registrar = config->registrar ? g_strdup (config->registrar)
                                : g_strdup_printf ("%s:%.*s",
                                                   self->aor->scheme == BELL_URI_SCHEME_SIPS ? "sips" : "sip",
                                                   BELL_STR_PRINTF (self->aor->host));
  if (!server_uri (&registrar, &self->registrar, error))
    return NULL;
  if (config->outbound_proxy && *config->outbound_proxy)
    {
      g_autofree char *proxy = g_strdup (config->outbound_proxy);
      if (!server_uri (&proxy, &self->proxy, error))
        return NULL;
    }
  self->txns = g_object_ref (txns);
  self->clock = bell_clock_ref (bell_sip_transactions_get_clock (txns));
  self->aor_text = g_strdup (config->aor);
  self->registrar_text = g_steal_pointer (&registrar);
  self->display_name = g_strdup (config->display_name);
  self->transport = config->transport;
  self->tls_ca_file = g_strdup (config->tls_ca_file);
  if (config->tls_pin && *config->tls_pin &&
      !(self->tls_pin = bell_sip_tls_pin_normalize (config->tls_pin, error)))
    return NULL;
  self->expires_wanted = config->expires ? config->expires : DEFAULT_EXPIRES;
  self->retry_base_s = config->retry_base_s ? config->retry_base_s : 5;
  self->retry_max_s = config->retry_max_s ? config->retry_max_s : 300;
  if (config->instance_id)
    self->instance_id = g_strdup (config->instance_id);
  else
    {
      g_autofree char *uuid = g_uuid_string_random ();
      self->instance_id = g_strdup_printf ("urn:uuid:%s", uuid);
    }
  user = config->auth_user ? g_strdup (config->auth_user) : bell_sip_uri_dup_user (self->aor, NULL);
  self->credentials = bell_sip_credentials_new (user, config->password);
  {
    /* A sips: account's password never travels where TLS does not protect it. */
    gboolean secure = self->aor->scheme == BELL_URI_SCHEME_SIPS ||
                      self->registrar->scheme == BELL_URI_SCHEME_SIPS;
    g_autoptr(BellSipAuthPolicy) policy = bell_sip_auth_policy_new_account (self->registrar,
                                                                            self->proxy,
                                                                            config->realm,
                                                                            secure);
    bell_sip_credentials_set_policy (self->credentials, policy);
  }
  self->call_id = g_strdup_printf ("%08x%08x%08x@bellbird", g_random_int (), g_random_int (),
                                   g_random_int ());
  self->from_tag = g_strdup_printf ("%08x", g_random_int ());
  self->flow_failed_handler = g_signal_connect (bell_sip_transactions_get_transport (txns),
                                                "flow-failed", G_CALLBACK (on_flow_failed), self);
  return g_steal_pointer (&self);
}
