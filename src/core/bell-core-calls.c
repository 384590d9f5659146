/* bell-core-calls.c: the core's calls: incoming INVITEs (call waiting, Replaces), commands
 * from the app (call, answer, hold, transfer, hang up), a REFER from a peer turned into a new
 * call, and every change reported as an event. Core thread, except the bell_core_* commands,
 * which queue a job to it. */
#define G_LOG_DOMAIN "bell-core"

#include "bell-core-private.h"
#include "bell-core-auth.h"

#include "sip/bell-sip-call.h"
#include "media/bell-call-media.h"
#include "media/bell-dtmf.h"

static void add_call    (BellCore *core, BellSipCall *call);
static void on_call_changed (BellSipCall *call, gpointer data);
static void answer_call (BellCore *core, BellSipCall *call);
static void answer_call_full (BellCore *core, BellSipCall *call, gboolean hold_others);
static void start_when_ready (BellCallMedia *media, gpointer data);

static BellSipCall *
find_call (BellCore *core, BellSipMsg *msg)
{
  for (guint i = 0; i < core->calls->len; i++)
    if (bell_sip_call_matches (core->calls->pdata[i], msg) &&
        bell_sip_call_get_state (core->calls->pdata[i]) != BELL_CALL_ENDED)
      return core->calls->pdata[i];
  return NULL;
}

static guint
live_calls (BellCore *core)
{
  guint n = 0;

  for (guint i = 0; i < core->calls->len; i++)
    n += bell_sip_call_get_state (core->calls->pdata[i]) != BELL_CALL_ENDED;
  return n;
}

static void
drop_ended_calls (BellCore *core)
{
  for (guint i = core->calls->len; i-- > 0;)
    if (bell_sip_call_get_state (core->calls->pdata[i]) == BELL_CALL_ENDED)
      {
        g_signal_handlers_disconnect_by_data (core->calls->pdata[i], core);
        g_ptr_array_remove_index (core->calls, i);
      }
}

static BellSipCall *
call_by_id (BellCore *core, guint id)
{
  for (guint i = 0; i < core->calls->len; i++)
    if (bell_sip_call_get_id (core->calls->pdata[i]) == id)
      return core->calls->pdata[i];
  return NULL;
}

void
bell_core_account_free (BellCoreAccount *account)
{
  g_free (account->aor);
  g_clear_pointer (&account->credentials, bell_sip_credentials_free);
  g_free (account->outbound_proxy);
  g_free (account->stun_server);
  g_free (account->codecs);
  g_free (account);
}

gboolean
bell_core_same_aor (const char *x, const char *y)
{
  BellSipUri a, b;

  return g_str_equal (x, y) ||
         (bell_sip_uri_parse (&a, x, strlen (x), NULL) && bell_sip_uri_parse (&b, y, strlen (y), NULL) &&
          bell_sip_uri_equal (&a, &b));
}

BellCoreAccount *
bell_core_find_account (BellCore *core, const char *uri)
{
  for (guint i = 0; uri && i < core->accounts->len; i++)
    if (bell_core_same_aor (((BellCoreAccount *) core->accounts->pdata[i])->aor, uri))
      return core->accounts->pdata[i];
  return NULL;
}

/* Fresh credentials of the account a call is made or taken as (its AOR; with one account,
 * that one), or NULL. */
static BellSipCredentials *
account_credentials (BellCore *core, const char *uri)
{
  BellCoreAccount *account = bell_core_find_account (core, uri);

  if (!account && core->accounts->len == 1)
    account = core->accounts->pdata[0];
  return account && account->credentials ? bell_sip_credentials_new_like (account->credentials) : NULL;
}

/* What a call made or taken as account (NULL: none) wants of its media: the account's own
 * SRTP policy and codecs, else the core's. */
static BellCallMediaPolicy
media_policy (BellCore *core, BellCoreAccount *account)
{
  BellCallMediaPolicy policy = {
    .srtp = account && account->has_srtp ? account->srtp : core->config.srtp,
    .codecs = account && account->codecs ? account->codecs : core->config.codecs,
    .low_bandwidth = (account && account->low_bandwidth) || core->config.low_bandwidth,
    .no_redundancy = core->config.no_redundancy,
  };

  return policy;
}

/* config.test_loss draws the packets it drops from this seed: the same ones in every run. */
#define TEST_LOSS_SEED 1

/* The lossy path the testing options ask for, on the call's RTP socket. The media's own test
 * loss is set too: it carries the send side over to a socket of the other family. */
static void
apply_test_loss (BellCore *core, BellCallMedia *media)
{
  BellRtpTestLoss loss = {
    .send = core->config.test_loss,
    .send_burst = core->config.test_loss_burst,
    .receive = core->config.test_loss_receive,
    .receive_burst = core->config.test_loss_burst,
    .seed = TEST_LOSS_SEED,
  };

  if (loss.send <= 0 && loss.receive <= 0)
    return;
  bell_call_media_set_test_loss (media, &loss);
}

/* The SDP side of a new call: its media (RTP socket, audio; SRTP by policy) unless the core
 * is signalling only; when audio cannot be had, the call goes on without it, and the user is
 * told. */
static BellSipOfferAnswer
call_provider (BellCore *core, BellCoreAccount *account, BellCallMedia **media_out)
{
  g_autoptr(GError) error = NULL;
  BellMediaConfig config = { core->config.audio_in, core->config.audio_out };
  BellCallMediaPolicy policy = media_policy (core, account);
  BellCallMedia *media;

  *media_out = NULL;
  if (core->config.no_media)
    return bell_sip_sdp_interim_new ();
  media = bell_call_media_new (&config, &policy, G_SOCKET_FAMILY_IPV4, core->context, &error);
  if (!media)
    {
      bell_core_emit (core, bell_event_new ("media",
                                            "error", g_variant_new_string (error->message),
                                            NULL));
      return bell_sip_sdp_interim_new ();
    }
  apply_test_loss (core, media);
  *media_out = media;
  return bell_call_media_provider (media);
}

static BellCallMedia *
media_of (BellSipCall *call)
{
  return g_object_get_data (G_OBJECT (call), "bell-media");
}

static void attach_media (BellCore *core, BellSipCall *call, BellCallMedia *media);

static void
on_auto_answer (gpointer data)
{
  BellSipCall *call = data;
  BellCore *core = g_object_get_data (G_OBJECT (call), "bell-core");

  if (core && bell_sip_call_get_state (call) == BELL_CALL_INCOMING)
    {
      answer_call_full (core, call, core->config.auto_answer_holds);
    }
}

/* A new incoming call for txn's INVITE (it rings: 180), with its media and the account's
 * credentials, reported to the user. */
/* What the core knows of a call beyond SIP, for the events: the account it came in through
 * (its registrar sent it) and whether the core itself answers it (the echo test). */
static GQuark
account_quark (void)
{
  return g_quark_from_static_string ("bell-core-call-account");
}

static GQuark
service_quark (void)
{
  return g_quark_from_static_string ("bell-core-call-service");
}

/* Set on a call ended for its media timeout (check_peer_alive): its event says "lost". */
static GQuark
lost_quark (void)
{
  return g_quark_from_static_string ("bell-core-call-lost");
}

/* One of the addresses the registrar resolved to (its other servers): over UDP the very
 * address and port; over TCP or TLS any port of that address, as a connection's source
 * address cannot be made up the way a datagram's can. */
static gboolean
from_registrar_server (BellSipRegistration *reg, BellSipFlow *flow)
{
  GPtrArray *targets = bell_sip_registration_get_targets (reg);
  GInetSocketAddress *remote = bell_sip_flow_get_remote (flow);
  gboolean any_port = bell_sip_flow_get_kind (flow) == BELL_SIP_TRANSPORT_TCP ||
                      bell_sip_flow_get_kind (flow) == BELL_SIP_TRANSPORT_TLS;

  for (guint i = 0; remote && targets && i < targets->len; i++)
    {
      GInetSocketAddress *a = ((BellSipTarget *) targets->pdata[i])->address;

      if (a && g_inet_address_equal (g_inet_socket_address_get_address (a),
                                     g_inet_socket_address_get_address (remote)) &&
          (any_port || g_inet_socket_address_get_port (a) == g_inet_socket_address_get_port (remote)))
        return TRUE;
    }
  return FALSE;
}

/* The account whose registrar sent this request: it came over the very flow we registered
 * over. A call from anywhere else is a direct call, to whichever account it names. */
const char *
bell_core_account_of_flow (BellCore *core, BellSipFlow *flow)
{
  for (guint i = 0; i < core->registrations->len; i++)
    if (bell_sip_flow_same_peer (bell_sip_registration_get_flow (core->registrations->pdata[i]), flow) ||
        from_registrar_server (core->registrations->pdata[i], flow))
      return bell_sip_registration_get_aor (core->registrations->pdata[i]);
  return NULL;
}

/* An outgoing call made as account (NULL: none) goes through its outbound proxy, else the
 * core's (bellbird-cli --outbound-proxy), else straight to the callee. */
static void
route_as_account (BellCore *core, BellSipCall *call, BellCoreAccount *account)
{
  g_autoptr(GError) error = NULL;
  const char *text = account && account->outbound_proxy ? account->outbound_proxy
                                                        : core->config.outbound_proxy;
  g_autofree char *proxy = text && *text ? bell_sip_uri_text_for_server (text) : NULL;

  if (proxy && !bell_sip_call_set_outbound_proxy (call, proxy, &error))
    g_message ("call %u: not through the outbound proxy: %s", bell_sip_call_get_id (call),
               error->message);
}

/* How long a call setup waits for a STUN server, not RFC 5389's 39.5 s. */
#define STUN_CALL_TIMEOUT_MS 1500

/* A host (an IP literal, bracketed or not, or a name) on our side of any NAT: loopback,
 * private (RFC 1918) or link-local. */
static gboolean
host_is_near (const char *host)
{
  gsize len = host ? strlen (host) : 0;
  gboolean bracketed = len >= 2 && host[0] == '[' && host[len - 1] == ']';
  g_autofree char *bare = host ? g_strndup (host + bracketed, len - 2 * bracketed) : NULL;
  g_autoptr(GInetAddress) ip = bare ? g_inet_address_new_from_string (bare) : NULL;

  if (bare && g_ascii_strcasecmp (bare, "localhost") == 0)
    return TRUE;
  return ip && (g_inet_address_get_is_loopback (ip) || g_inet_address_get_is_site_local (ip) ||
                g_inet_address_get_is_link_local (ip));
}

/* The host of a sip: or sips: URI (an IPv6 one in brackets), or NULL. */
static char *
sip_uri_host (const char *text)
{
  g_autoptr(BellSipUri) uri = bell_sip_uri_new (text, NULL);

  return uri ? bell_str_dup (uri->host) : NULL;
}

/* With a STUN server (the account's, else the core's), the call's RTP port asks it for its
 * public address before the offer or answer names one. Not for a peer on our side of the
 * NAT (peer_host: the callee's host or where the INVITE came from), which reaches us where we
 * are, unless the STUN server is on our side too: then its answer is as good. */
static void
discover_public_address (BellCore *core, BellCallMedia *media, BellCoreAccount *account,
                         const char *peer_host)
{
  const char *server = account && account->stun_server ? account->stun_server
                                                       : core->config.stun_server;
  g_autoptr(GSocketConnectable) parsed = NULL;
  g_autoptr(GInetAddress) literal = NULL;
  gboolean server_near;

  if (!media || !server || !*server)
    return;
  literal = g_inet_address_new_from_string (server);
  parsed = literal ? NULL : g_network_address_parse (server, 3478, NULL);
  server_near = host_is_near (literal ? server
                              : parsed ? g_network_address_get_hostname (G_NETWORK_ADDRESS (parsed))
                                       : NULL);
  if (host_is_near (peer_host) && !server_near)
    return;
  bell_call_media_discover (media, server, core->clock, STUN_CALL_TIMEOUT_MS);
}

static BellSipCall *
take_incoming (BellCore *core, BellSipTransaction *txn)
{
  const char *account = bell_core_account_of_flow (core, bell_sip_transaction_get_flow (txn));
  BellCallMedia *media;
  BellSipOfferAnswer oa = call_provider (core, bell_core_find_account (core, account), &media);
  BellSipCall *call = bell_sip_call_new_incoming (core->txns, txn, &oa);

  if (account)
    g_object_set_qdata_full (G_OBJECT (call), account_quark (), g_strdup (account), g_free);
  attach_media (core, call, media);
  {
    GInetSocketAddress *source = bell_sip_flow_get_remote (bell_sip_transaction_get_flow (txn));
    g_autofree char *peer = source ? g_inet_address_to_string (g_inet_socket_address_get_address (source))
                                   : NULL;
    discover_public_address (core, media, bell_core_find_account (core, bell_sip_call_get_local_uri (call)),
                             peer);
  }
  bell_sip_call_set_credentials (call, account_credentials (core, bell_sip_call_get_local_uri (call)));
  add_call (core, call);
  on_call_changed (call, core);
  return call;
}

/* RFC 3891: an INVITE with Replaces takes the place of a call of ours. TRUE when it was
 * answered here (refused, or taken and the old call ended). */
static gboolean
replace_call (BellCore *core, BellSipTransaction *txn, BellSipMsg *request)
{
  const BellSipHeader *header = bell_sip_msg_find (request, BELL_SIP_HDR_REPLACES);
  g_autofree char *value = NULL;
  BellSipCall *old = NULL, *call;
  gboolean early_only = FALSE;
  BellCallState state;

  if (!header)
    return FALSE;
  value = bell_str_dup (header->value);
  for (guint i = 0; i < core->calls->len && !old; i++)
    if (bell_sip_call_get_state (core->calls->pdata[i]) != BELL_CALL_ENDED &&
        bell_sip_call_is_replaced_by (core->calls->pdata[i], value, &early_only))
      old = core->calls->pdata[i];
  state = old ? bell_sip_call_get_state (old) : BELL_CALL_ENDED;
  /* §3: no such dialog, or an early one we started ourselves: 481; early-only but
   * answered: 486. */
  if (!old || (bell_sip_call_is_outgoing (old) && state != BELL_CALL_CONNECTED))
    {
      bell_sip_transaction_respond_status (txn, 481, NULL, NULL);
      return TRUE;
    }
  if (early_only && state == BELL_CALL_CONNECTED)
    {
      bell_sip_transaction_respond_status (txn, 486, NULL, NULL);
      return TRUE;
    }
  g_message ("call %u is replaced by a new call from %.*s", bell_sip_call_get_id (old),
             BELL_STR_PRINTF (bell_sip_msg_get_from (request)->uri.text));
  g_object_ref (old);
  call = take_incoming (core, txn);
  /* The user already took this conversation: the new leg is answered at once. */
  if (state == BELL_CALL_INCOMING)
    bell_sip_call_reject (old, 487);
  else
    bell_sip_call_hangup (old);
  answer_call_full (core, call, FALSE);
  g_object_unref (old);
  return TRUE;
}

/* The echo test (a call to sip:echo@ this phone): answered at once, what the caller sends
 * comes back, so a new user hears themselves without an account or a server. */
static gboolean
answer_echo (BellCore *core, BellSipTransaction *txn, BellSipMsg *request)
{
  g_autoptr(GError) error = NULL;
  const BellSipUri *ruri = bell_sip_msg_get_request_uri (request);
  BellCallMediaPolicy policy = media_policy (core, NULL);
  BellCallMedia *media;
  BellSipOfferAnswer oa;
  BellSipCall *call;

  if (!core->config.echo_service || !ruri || !bell_str_equal_cstr (ruri->user, "echo"))
    return FALSE;
  media = bell_call_media_new_echo (&policy, core->context, &error);
  if (!media)
    {
      g_message ("echo test: %s", error->message);
      bell_sip_transaction_respond_status (txn, 503, NULL, NULL);
      return TRUE;
    }
  apply_test_loss (core, media);
  oa = bell_call_media_provider (media);
  call = bell_sip_call_new_incoming (core->txns, txn, &oa);
  g_object_set_qdata (G_OBJECT (call), service_quark (), (gpointer) "echo");
  attach_media (core, call, media);
  add_call (core, call);
  on_call_changed (call, core);
  bell_sip_call_answer (call);
  return TRUE;
}

gboolean
bell_core_dispatch_call_request (BellCore *core, BellSipTransaction *txn, BellSipMsg *request)
{
  BellSipMethod method = bell_sip_msg_get_method (request);
  gboolean in_dialog = bell_str_is_set (bell_sip_msg_get_to (request)->tag);
  BellSipCall *call;

  if (method == BELL_SIP_METHOD_CANCEL)
    {
      BellSipTransaction *invite = bell_sip_transactions_find_invite (core->txns, request);
      call = NULL;
      for (guint i = 0; invite && i < core->calls->len && !call; i++)
        if (bell_sip_call_get_invite (core->calls->pdata[i]) == invite)
          call = core->calls->pdata[i];
      if (!call)
        return FALSE;
      bell_sip_call_handle_request (call, txn, request);
      return TRUE;
    }
  if (in_dialog)
    {
      call = find_call (core, request);
      if (call)
        bell_sip_call_handle_request (call, txn, request);
      else
        bell_sip_transaction_respond_status (txn, 481, NULL, NULL);   /* §12.2.2 */
      return TRUE;
    }
  if (method != BELL_SIP_METHOD_INVITE)
    return FALSE;

  drop_ended_calls (core);
  if (replace_call (core, txn, request))
    return TRUE;
  if (answer_echo (core, txn, request))
    return TRUE;
  if (live_calls (core) >= (core->config.max_calls ? core->config.max_calls : 4))
    {
      g_autofree char *tag = g_strdup_printf ("%08x", g_random_int ());
      bell_sip_guard_count (bell_sip_transport_get_guard (core->transport), BELL_SIP_LIMIT_CALLS,
                            bell_sip_flow_get_remote (bell_sip_transaction_get_flow (txn)));
      bell_sip_transaction_respond_status (txn, 486, NULL, tag);
      return TRUE;
    }
  if (bell_sip_call_refuse_short_session (txn, request))
    return TRUE;
  /* While another call is up this one rings too (call waiting): the user chooses. */
  call = take_incoming (core, txn);
  if (core->config.auto_answer_ms >= 0)
    bell_clock_schedule (core->clock, (guint) core->config.auto_answer_ms, on_auto_answer,
                         g_object_ref (call), g_object_unref);
  return TRUE;
}

void
bell_core_on_ack (BellSipTransactions *txns, BellSipMsg *ack, BellSipFlow *flow, gpointer data)
{
  BellSipCall *call = find_call (data, ack);

  if (call)
    bell_sip_call_handle_ack (call, ack);
}

void
bell_core_on_stray_response (BellSipTransactions *txns, BellSipMsg *response, BellSipFlow *flow,
                             gpointer data)
{
  BellCore *core = data;

  /* Retransmitted 2xx of a call (or of its other forks): match on the Call-ID. */
  for (guint i = 0; i < core->calls->len; i++)
    if (bell_str_equal_cstr (bell_sip_msg_get_call_id (response),
                             bell_sip_call_get_call_id (core->calls->pdata[i])))
      {
        bell_sip_call_handle_stray (core->calls->pdata[i], response);
        return;
      }
}

void
bell_core_refresh_calls (BellCore *core)
{
  for (guint i = 0; i < core->calls->len; i++)
    bell_sip_call_refresh_contact (core->calls->pdata[i]);
}

/* Events */

static GVariant *
id_variant (BellSipCall *call)
{
  return g_variant_new_int32 ((gint32) bell_sip_call_get_id (call));
}

static void
on_call_changed (BellSipCall *call, gpointer data)
{
  const char *reason = bell_sip_call_get_reason (call);
  const char *account = g_object_get_qdata (G_OBJECT (call), account_quark ());
  const char *service = g_object_get_qdata (G_OBJECT (call), service_quark ());
  gboolean lost = g_object_get_qdata (G_OBJECT (call), lost_quark ()) != NULL;

  if (bell_sip_call_get_state (call) == BELL_CALL_ENDED && media_of (call))
    bell_call_media_stop (media_of (call));

  bell_core_emit (data, bell_event_new ("call",
                                        "id", id_variant (call),
                                        "direction", g_variant_new_string (bell_sip_call_is_outgoing (call) ? "outgoing" : "incoming"),
                                        "state", g_variant_new_string (bell_call_state_to_string (bell_sip_call_get_state (call))),
                                        "peer", g_variant_new_string (bell_sip_call_get_peer (call)),
                                        "code", g_variant_new_int32 ((gint32) bell_sip_call_get_code (call)),
                                        "reason", reason ? g_variant_new_string (reason) : NULL,
                                        "account", account ? g_variant_new_string (account) : NULL,
                                        "service", service ? g_variant_new_string (service) : NULL,
                                        "unreachable", bell_sip_call_is_unreachable (call)
                                                       ? g_variant_new_boolean (TRUE) : NULL,
                                        "lost", lost && bell_sip_call_get_state (call) == BELL_CALL_ENDED
                                                ? g_variant_new_boolean (TRUE) : NULL,
                                        NULL));
}

static void
on_hold_changed (BellSipCall *call, gpointer data)
{
  bell_core_emit (data, bell_event_new ("hold",
                                        "id", id_variant (call),
                                        "local", g_variant_new_boolean (bell_sip_call_get_hold (call)),
                                        "remote", g_variant_new_boolean (bell_sip_call_get_remote_hold (call)),
                                        NULL));
}

static void
on_transfer (BellSipCall *call, guint status, const char *reason, gpointer data)
{
  bell_core_emit (data, bell_event_new ("transfer",
                                        "id", id_variant (call),
                                        "code", g_variant_new_int32 ((gint32) status),
                                        "reason", g_variant_new_string (reason ? reason : ""),
                                        NULL));
}

static void
on_info (BellSipCall *call, const char *content_type, const char *body, gpointer data)
{
  char digit = 0;
  guint duration = 0;
  gboolean ok = FALSE;
  char text[2] = { 0, 0 };

  if (g_ascii_strcasecmp (content_type, BELL_DTMF_INFO_CONTENT_TYPE) == 0)
    ok = bell_dtmf_info_parse (body, strlen (body), &digit, &duration);
  else if (g_ascii_strcasecmp (content_type, BELL_DTMF_INFO_PLAIN_CONTENT_TYPE) == 0)
    ok = bell_dtmf_info_parse_plain (body, strlen (body), &digit);
  if (!ok)
    return;
  text[0] = digit;
  bell_core_emit (data, bell_event_new ("dtmf",
                                        "id", id_variant (call),
                                        "digit", g_variant_new_string (text),
                                        "duration", g_variant_new_int32 ((gint32) duration),
                                        "direction", g_variant_new_string ("received"),
                                        "via", g_variant_new_string ("info"),
                                        NULL));
}

static void place_call (BellCore *core, BellSipCall *call);

/* Our peer transfers us (RFC 3515): call where it says, as the same account, and let the
 * REFER's subscription report how that call goes. */
static void
on_refer (BellSipCall *call, const char *uri, const char *replaces, const char *referred_by,
          gpointer data)
{
  BellCore *core = data;
  g_autoptr(GError) error = NULL;
  BellSipCredentials *credentials = bell_sip_call_get_credentials (call);
  BellCoreAccount *account = bell_core_find_account (core, bell_sip_call_get_local_uri (call));
  BellCallMedia *media;
  BellSipOfferAnswer oa = call_provider (core, account, &media);
  BellSipCall *child = bell_sip_call_new_outgoing (core->txns, uri, bell_sip_call_get_local_uri (call),
                                                   BELL_SIP_TRANSPORT_ANY,
                                                   &oa, &error);

  if (!child)
    {
      g_message ("call %u: cannot follow the transfer to %s: %s", bell_sip_call_get_id (call), uri,
                 error->message);
      bell_sip_call_set_refer_child (call, NULL);
      return;
    }
  attach_media (core, child, media);
  route_as_account (core, child, account);
  {
    g_autofree char *host = sip_uri_host (uri);
    discover_public_address (core, media, account, host);
  }
  if (credentials)
    bell_sip_call_set_credentials (child, bell_sip_credentials_new_like (credentials));
  if (replaces)
    bell_sip_call_add_header (child, "Replaces", replaces);
  if (referred_by)
    bell_sip_call_add_header (child, "Referred-By", referred_by);
  bell_core_emit (core, bell_event_new ("referred",
                                        "id", id_variant (call),
                                        "call", id_variant (child),
                                        "uri", g_variant_new_string (uri),
                                        "replaces", replaces ? g_variant_new_string (replaces) : NULL,
                                        NULL));
  bell_sip_call_set_refer_child (call, child);
  place_call (core, child);
}

/* A call as its media callbacks name it (they run on the core thread; freed with the call). */
typedef struct
{
  BellCore *core;
  guint     id;
  /* Is the peer still there? Its packets, counted at each quality report. */
  gboolean  expect_media;    /* the last offer/answer has the peer sending to us */
  guint64   last_received;   /* RTP packets, as the report before said */
  guint64   last_rtcp;       /* RTCP packets from the peer */
  gint64    quiet_since_us;  /* when the counts last moved; 0: not watching */
} CallRef;

#define MEDIA_TIMEOUT_DEFAULT_S 30

static void
on_dtmf_received (char digit, guint duration_ms, gpointer data)
{
  CallRef *t = data;
  char text[2] = { digit, 0 };

  bell_core_emit (t->core, bell_event_new ("dtmf",
                                           "id", g_variant_new_int32 ((gint32) t->id),
                                           "digit", g_variant_new_string (text),
                                           "duration", g_variant_new_int32 ((gint32) duration_ms),
                                           "direction", g_variant_new_string ("received"),
                                           NULL));
}

static void
on_media_applied (const BellSdpMediaPlan *plan, const GError *error, gpointer data)
{
  CallRef *t = data;

  /* The peer sends to us (neither held nor inactive): watch for silence from now on. */
  t->expect_media = plan->recv && !error;
  t->quiet_since_us = 0;
  bell_core_emit (t->core, bell_event_new ("media",
                                           "id", g_variant_new_int32 ((gint32) t->id),
                                           "codec", plan->encoding ? g_variant_new_string (plan->encoding) : NULL,
                                           "encrypted", g_variant_new_boolean (plan->srtp_suite != NULL),
                                           "srtp", plan->srtp_suite ? g_variant_new_string (plan->srtp_suite) : NULL,
                                           "send", g_variant_new_boolean (plan->send),
                                           "recv", g_variant_new_boolean (plan->recv),
                                           "error", error ? g_variant_new_string (error->message) : NULL,
                                           NULL));
}

/* After each quality report: a connected call whose peer should be sending, from which
 * neither RTP nor RTCP came for the media timeout, is lost (a machine that died or a network
 * that went says no BYE): it ends with a BYE and says why, instead of staying connected in
 * silence until a session timer, if any, notices. Packets from strangers or failing SRTP do
 * not count: they never reach these counters. */
static void
check_peer_alive (CallRef *t, const BellMediaStats *media)
{
  gint timeout_s = t->core->config.media_timeout_s ? t->core->config.media_timeout_s
                                                   : MEDIA_TIMEOUT_DEFAULT_S;
  BellSipCall *call = call_by_id (t->core, t->id);
  gint64 now = g_get_monotonic_time ();
  g_autofree char *reason = NULL;

  /* On hold either way, a peer may fall silent (some send nothing while they hold us). */
  if (timeout_s < 0 || !call || media->final || !t->expect_media ||
      bell_sip_call_get_state (call) != BELL_CALL_CONNECTED || bell_sip_call_get_hold (call) ||
      bell_sip_call_get_remote_hold (call))
    {
      t->quiet_since_us = 0;
      return;
    }
  if (!t->quiet_since_us || media->rtcp.packets_received != t->last_received ||
      media->rtcp.rtcp_received != t->last_rtcp)
    {
      t->last_received = media->rtcp.packets_received;
      t->last_rtcp = media->rtcp.rtcp_received;
      t->quiet_since_us = now;
      return;
    }
  if (now - t->quiet_since_us < (gint64) timeout_s * G_USEC_PER_SEC)
    return;
  reason = g_strdup_printf ("nothing came from the other side for %d s: the connection is lost",
                            (gint) ((now - t->quiet_since_us) / G_USEC_PER_SEC));
  g_message ("call %u: %s", t->id, reason);
  t->quiet_since_us = 0;
  g_object_set_qdata (G_OBJECT (call), lost_quark (), GINT_TO_POINTER (TRUE));
  bell_sip_call_bye (call, reason);
}

static void
on_media_stats (const BellMediaStats *media, gpointer data)
{
  CallRef *t = data;
  const BellRtcpStats *stats = &media->rtcp;

  bell_core_emit (t->core, bell_event_new ("quality",
                                           "id", g_variant_new_int32 ((gint32) t->id),
                                           "sent", g_variant_new_int64 ((gint64) stats->packets_sent),
                                           "received", g_variant_new_int64 ((gint64) stats->packets_received),
                                           "lost", g_variant_new_int64 (stats->packets_lost),
                                           "loss", g_variant_new_double (stats->fraction_lost),
                                           "jitter_ms", g_variant_new_double (stats->jitter_ms),
                                           "remote_loss", stats->have_remote_report
                                                          ? g_variant_new_double (stats->remote_fraction_lost) : NULL,
                                           "rtt_ms", stats->rtt_ms >= 0 ? g_variant_new_double (stats->rtt_ms) : NULL,
                                           "jitter_buffer_ms", g_variant_new_int32 ((gint32) media->jitter_buffer_ms),
                                           "late", g_variant_new_int64 ((gint64) media->late),
                                           "frames", g_variant_new_int64 ((gint64) media->frames.frames),
                                           "frames_concealed", g_variant_new_int64 ((gint64) media->frames.concealed),
                                           "frames_fec", g_variant_new_int64 ((gint64) media->frames.fec),
                                           "frames_red", g_variant_new_int64 ((gint64) media->frames.red),
                                           "codec", media->codec ? g_variant_new_string (media->codec) : NULL,
                                           "bitrate", media->bitrate ? g_variant_new_int32 ((gint32) media->bitrate) : NULL,
                                           "fec", g_variant_new_boolean (media->fec),
                                           "red", g_variant_new_int32 ((gint32) media->red),
                                           "mos", media->mos > 0 ? g_variant_new_double (media->mos) : NULL,
                                           "rejected", g_variant_new_int64 ((gint64) media->rejected),
                                           "final", media->final ? g_variant_new_boolean (TRUE) : NULL,
                                           NULL));
  check_peer_alive (t, media);
}

/* The call's media, for DTMF and for stopping it when the call ends; media belongs to the
 * call (its offer/answer user_data). */
static void
attach_media (BellCore *core, BellSipCall *call, BellCallMedia *media)
{
  CallRef *t;

  if (!call || !media)
    return;
  t = g_new0 (CallRef, 1);
  t->core = core;
  t->id = bell_sip_call_get_id (call);
  g_object_set_data_full (G_OBJECT (call), "bell-call-ref", t, g_free);
  g_object_set_data (G_OBJECT (call), "bell-media", media);
  bell_call_media_set_dtmf_func (media, on_dtmf_received, t);
  bell_call_media_set_applied_func (media, on_media_applied, t);
  bell_call_media_set_stats_func (media, on_media_stats, t);
}

static void
add_call (BellCore *core, BellSipCall *call)
{
  g_ptr_array_add (core->calls, call);
  g_object_set_data (G_OBJECT (call), "bell-core", core);
  g_signal_connect (call, "changed", G_CALLBACK (on_call_changed), core);
  g_signal_connect (call, "hold-changed", G_CALLBACK (on_hold_changed), core);
  g_signal_connect (call, "transfer", G_CALLBACK (on_transfer), core);
  g_signal_connect (call, "refer", G_CALLBACK (on_refer), core);
  g_signal_connect (call, "info", G_CALLBACK (on_info), core);
}

static void
start_when_ready (BellCallMedia *media, gpointer data)
{
  BellSipCall *call = data;

  /* Not when it was hung up meanwhile (it ended without an INVITE). */
  if (bell_sip_call_get_state (call) == BELL_CALL_DIALING)
    bell_sip_call_start (call);
}

static void
place_call (BellCore *core, BellSipCall *call)
{
  drop_ended_calls (core);
  add_call (core, call);
  /* The INVITE's offer names our media address: it waits while STUN is asked (1.5 s at most). */
  if (media_of (call))
    bell_call_media_when_ready (media_of (call), start_when_ready, g_object_ref (call),
                                g_object_unref);
  else
    bell_sip_call_start (call);
}

typedef struct
{
  BellSipCall *call;
  gboolean     hold_others;
} Answer;

static void
answer_free (Answer *answer)
{
  g_object_unref (answer->call);
  g_free (answer);
}

static void
answer_when_ready (BellCallMedia *media, gpointer data)
{
  Answer *answer = data;
  BellSipCall *call = answer->call;
  BellCore *core = g_object_get_data (G_OBJECT (call), "bell-core");

  if (!core || bell_sip_call_get_state (call) != BELL_CALL_INCOMING)
    return;
  for (guint i = 0; answer->hold_others && i < core->calls->len; i++)
    if (core->calls->pdata[i] != call &&
        bell_sip_call_get_state (core->calls->pdata[i]) == BELL_CALL_CONNECTED)
      bell_sip_call_hold (core->calls->pdata[i], TRUE);
  bell_sip_call_answer (call);
}

/* Answers, putting the calls that are up on hold first when hold_others (call waiting). The
 * answer names our media address: it waits while STUN is asked (1.5 s at most). */
static void
answer_call_full (BellCore *core, BellSipCall *call, gboolean hold_others)
{
  Answer *answer = g_new0 (Answer, 1);

  answer->call = g_object_ref (call);
  answer->hold_others = hold_others;
  if (media_of (call))
    bell_call_media_when_ready (media_of (call), answer_when_ready, answer,
                                (GDestroyNotify) answer_free);
  else
    {
      answer_when_ready (NULL, answer);
      answer_free (answer);
    }
}

static void
answer_call (BellCore *core, BellSipCall *call)
{
  answer_call_full (core, call, TRUE);
}

/* Commands */

typedef struct
{
  BellCore             *core;
  char                 *uri;
  BellSipTransportKind  transport;
  guint                 id;
  guint                 action;       /* CallAction, for do_call_action */
  guint                 other;        /* the action's value; transfer: the call replaced */
  char                 *from;         /* NULL: anonymous */
  BellSipCredentials   *credentials;  /* NULL: no password given */
} CallJob;

static void
call_job_free (CallJob *job)
{
  g_free (job->uri);
  g_free (job->from);
  g_clear_pointer (&job->credentials, bell_sip_credentials_free);
  g_free (job);
}

static void
queue_job (BellCore *core, GSourceFunc func, CallJob *job)
{
  job->core = core;
  g_main_context_invoke_full (core->context, G_PRIORITY_DEFAULT, func, job,
                              (GDestroyNotify) call_job_free);
}

static gboolean
do_call (gpointer data)
{
  CallJob *job = data;
  BellCore *core = job->core;
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = g_str_has_prefix (job->uri, "sip:") || g_str_has_prefix (job->uri, "sips:")
                           ? g_strdup (job->uri) : g_strconcat ("sip:", job->uri, NULL);
  BellCoreAccount *account = bell_core_find_account (core, job->from);
  BellCallMedia *media;
  BellSipOfferAnswer oa = call_provider (core, account, &media);
  BellSipCall *call = bell_sip_call_new_outgoing (core->txns, uri, job->from, job->transport,
                                                  &oa, &error);

  if (!call)
    {
      bell_core_emit (core, bell_event_new ("call",
                                            "direction", g_variant_new_string ("outgoing"),
                                            "state", g_variant_new_string ("ended"),
                                            "peer", g_variant_new_string (job->uri),
                                            "code", g_variant_new_int32 (0),
                                            "reason", g_variant_new_string (error->message),
                                            NULL));
      return G_SOURCE_REMOVE;
    }
  attach_media (core, call, media);
  route_as_account (core, call, account);
  {
    g_autofree char *host = sip_uri_host (uri);
    discover_public_address (core, media, account, host);
  }
  bell_core_auth_apply_policy (core, job->credentials, job->from, uri, TRUE);
  if (job->credentials)
    bell_sip_call_set_credentials (call, g_steal_pointer (&job->credentials));
  place_call (core, call);
  return G_SOURCE_REMOVE;
}

void
bell_core_call (BellCore *core, const char *uri, BellSipTransportKind transport)
{
  bell_core_call_auth (core, uri, transport, NULL, NULL, NULL);
}

void
bell_core_call_auth (BellCore *core, const char *uri, BellSipTransportKind transport,
                     const char *from, const char *auth_user, const char *password)
{
  CallJob *job;

  g_return_if_fail (BELL_IS_CORE (core));
  g_return_if_fail (uri != NULL);
  job = g_new0 (CallJob, 1);
  job->uri = g_strdup (uri);
  job->transport = transport;
  job->from = g_strdup (from);
  job->credentials = bell_core_credentials_for (from, auth_user, password);
  queue_job (core, do_call, job);
}

/* Commands on one call: answer, hold or resume, reject. */
typedef enum
{
  ACTION_ANSWER,
  ACTION_HOLD,     /* value: 1 to hold, 0 to resume */
  ACTION_REJECT,   /* value: the status */
  ACTION_MUTE,     /* value: 1 to mute, 0 to unmute */
  ACTION_VOLUME,   /* value: percent */
} CallAction;

static gboolean
do_call_action (gpointer data)
{
  CallJob *job = data;
  BellSipCall *call = call_by_id (job->core, job->id);

  if (!call)
    return G_SOURCE_REMOVE;
  switch ((CallAction) job->action)
    {
    case ACTION_ANSWER:
      answer_call (job->core, call);
      break;
    case ACTION_HOLD:
      bell_sip_call_hold (call, job->other != 0);
      break;
    case ACTION_REJECT:
      bell_sip_call_reject (call, job->other);
      break;
    case ACTION_MUTE:
      if (media_of (call))
        bell_call_media_set_mute (media_of (call), job->other != 0);
      break;
    case ACTION_VOLUME:
      if (media_of (call))
        bell_call_media_set_volume (media_of (call), job->other / 100.0);
      break;
    }
  return G_SOURCE_REMOVE;
}

static void
queue_call_action (BellCore *core, guint call_id, CallAction action, guint value)
{
  CallJob *job = g_new0 (CallJob, 1);

  g_return_if_fail (BELL_IS_CORE (core));
  job->id = call_id;
  job->action = action;
  job->other = value;
  queue_job (core, do_call_action, job);
}

void
bell_core_answer (BellCore *core, guint call_id)
{
  queue_call_action (core, call_id, ACTION_ANSWER, 0);
}

void
bell_core_reject (BellCore *core, guint call_id, guint status)
{
  g_return_if_fail (status >= 400 && status < 700);
  queue_call_action (core, call_id, ACTION_REJECT, status);
}

void
bell_core_set_mute (BellCore *core, guint call_id, gboolean mute)
{
  queue_call_action (core, call_id, ACTION_MUTE, mute ? 1 : 0);
}

void
bell_core_set_volume (BellCore *core, guint call_id, double volume)
{
  queue_call_action (core, call_id, ACTION_VOLUME, (guint) (CLAMP (volume, 0.0, 4.0) * 100 + 0.5));
}

void
bell_core_hold (BellCore *core, guint call_id, gboolean hold)
{
  queue_call_action (core, call_id, ACTION_HOLD, hold ? 1 : 0);
}

static gboolean
do_hangup (gpointer data)
{
  CallJob *job = data;
  BellCore *core = job->core;
  g_autoptr(GPtrArray) calls = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < core->calls->len; i++)
    if (!job->id || bell_sip_call_get_id (core->calls->pdata[i]) == job->id)
      g_ptr_array_add (calls, g_object_ref (core->calls->pdata[i]));
  for (guint i = 0; i < calls->len; i++)
    bell_sip_call_hangup (calls->pdata[i]);
  return G_SOURCE_REMOVE;
}

void
bell_core_hangup (BellCore *core, guint call_id)
{
  CallJob *job = g_new0 (CallJob, 1);

  job->id = call_id;
  queue_job (core, do_hangup, job);
}

/* DTMF as SIP INFO (application/dtmf-relay), one per digit, for a peer without
 * telephone-event (or a call without audio). */
static gboolean
send_dtmf_info (BellSipCall *call, const char *digits, GError **error)
{
  for (const char *d = digits; *d; d++)
    if (bell_dtmf_event_from_char (*d) < 0 || bell_dtmf_event_from_char (*d) > 15)
      {
        g_set_error (error, BELL_DTMF_ERROR, BELL_DTMF_ERROR_INVALID_DIGIT,
                     "“%c” is not a DTMF digit (0-9 * # A-D)", *d);
        return FALSE;
      }
  for (const char *d = digits; *d; d++)
    {
      g_autofree char *body = bell_dtmf_info_body (*d, BELL_DTMF_DEFAULT_TONE_MS);
      if (!bell_sip_call_send_info (call, BELL_DTMF_INFO_CONTENT_TYPE, body, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
do_send_dtmf (gpointer data)
{
  CallJob *job = data;
  g_autoptr(GError) error = NULL;
  BellSipCall *call = call_by_id (job->core, job->id);

  if (!call || bell_sip_call_get_state (call) != BELL_CALL_CONNECTED)
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "call %u is not connected", job->id);
  else if (media_of (call) && bell_call_media_get_plan (media_of (call))->dtmf_pt >= 0)
    bell_call_media_send_dtmf (media_of (call), job->uri, &error);
  else
    send_dtmf_info (call, job->uri, &error);
  bell_core_emit (job->core, bell_event_new ("dtmf",
                                             "id", g_variant_new_int32 ((gint32) job->id),
                                             "digit", error ? NULL : g_variant_new_string (job->uri),
                                             "direction", error ? NULL : g_variant_new_string ("sent"),
                                             "error", error ? g_variant_new_string (error->message) : NULL,
                                             NULL));
  return G_SOURCE_REMOVE;
}

void
bell_core_send_dtmf (BellCore *core, guint call_id, const char *digits)
{
  CallJob *job;

  g_return_if_fail (BELL_IS_CORE (core) && digits != NULL);
  job = g_new0 (CallJob, 1);
  job->id = call_id;
  job->uri = g_strdup (digits);
  queue_job (core, do_send_dtmf, job);
}

static gboolean
do_transfer (gpointer data)
{
  CallJob *job = data;
  g_autoptr(GError) error = NULL;
  BellSipCall *call = call_by_id (job->core, job->id);
  BellSipCall *replaces = job->other ? call_by_id (job->core, job->other) : NULL;

  if (!call)
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no call %u", job->id);
  else if (job->other && !replaces)
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no call %u", job->other);
  else
    bell_sip_call_transfer (call, job->uri, replaces, &error);
  if (error)
    bell_core_emit (job->core, bell_event_new ("transfer",
                                               "id", g_variant_new_int32 ((gint32) job->id),
                                               "code", g_variant_new_int32 (0),
                                               "reason", g_variant_new_string (error->message),
                                               NULL));
  return G_SOURCE_REMOVE;
}

void
bell_core_transfer (BellCore *core, guint call_id, const char *uri, guint replaces_id)
{
  CallJob *job;

  g_return_if_fail (BELL_IS_CORE (core));
  g_return_if_fail (uri != NULL || replaces_id != 0);
  job = g_new0 (CallJob, 1);
  job->id = call_id;
  job->uri = g_strdup (uri);
  job->other = replaces_id;
  queue_job (core, do_transfer, job);
}
