/* bell-core.c: the core thread, its command queue and its events. */
#define G_LOG_DOMAIN "bell-core"

#include "bell-core-private.h"

#include <string.h>

#include <openssl/evp.h>

#include "bell-clock.h"
#include "bell-secret.h"
#include "bell-core-auth.h"
#include "sip/bell-sip-auth.h"
#include "sip/bell-sip-call.h"
#include "sip/bell-sip-locate.h"
#include "sip/bell-sip-tls.h"
#include "sip/bell-sip-transaction.h"
#include "sip/bell-sip-transport.h"
#include "sip/bell-sip-transport-tls.h"

/* What we answer OPTIONS with (RFC 3261 §11.2), and the methods we take. */
#define BELL_ALLOW      "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, PRACK, REFER, NOTIFY, INFO"
#define BELL_ACCEPT     "application/sdp"
#define BELL_SUPPORTED  "replaces, timer, norefersub, outbound, path"
#define BELL_USER_AGENT "Bellbird/" BELL_VERSION


G_DEFINE_FINAL_TYPE (BellCore, bell_core, G_TYPE_OBJECT)
G_DEFINE_QUARK (bell-core-error-quark, bell_core_error)

enum { SIGNAL_EVENT, N_SIGNALS };
static guint signals[N_SIGNALS];

static int
kind_index (BellSipTransportKind kind)
{
  return g_bit_nth_lsf (kind, -1);
}

/* Events: from the core thread to the owner's context. */

typedef struct
{
  BellCore  *core;
  BellEvent *event;
} Delivery;

static gboolean
deliver_event (gpointer data)
{
  Delivery *d = data;

  g_signal_emit (d->core, signals[SIGNAL_EVENT], 0, d->event);
  return G_SOURCE_REMOVE;
}

static void
delivery_free (gpointer data)
{
  Delivery *d = data;

  g_object_unref (d->core);
  bell_event_unref (d->event);
  g_free (d);
}

void
bell_core_emit (BellCore *core, BellEvent *event)
{
  Delivery *d = g_new0 (Delivery, 1);
  g_autofree char *json = bell_event_to_json (event);

  g_debug ("event %s", json);
  d->core = g_object_ref (core);
  d->event = event;   /* takes the reference */
  g_main_context_invoke_full (core->owner, G_PRIORITY_DEFAULT, deliver_event, d, delivery_free);
}

/* Incoming requests the core answers itself. */

/* Requests outside any call: OPTIONS answered (§11.2), the rest refused with the reason. */
static void
answer_out_of_dialog (BellCore *core, BellSipTransaction *txn, BellSipMsg *request)
{
  g_autoptr(BellSipMsg) response = NULL;
  g_autofree char *from = NULL;
  g_autofree char *source = NULL;
  g_autofree char *method = bell_str_dup (bell_sip_msg_get_method_str (request));
  BellSipMethod m = bell_sip_msg_get_method (request);
  guint status;

  if (m == BELL_SIP_METHOD_OPTIONS)
    status = 200;
  else if (m == BELL_SIP_METHOD_CANCEL)
    status = 481;   /* no INVITE of ours is pending to cancel (§9.2) */
  else if (m == BELL_SIP_METHOD_UNKNOWN)
    status = 501;
  else
    status = 405;   /* a method we know but do not take outside a call */

  {
    /* §19.3: a To tag of our own, unique for each answer. */
    g_autofree char *tag = g_strdup_printf ("%08x%08x", g_random_int (), g_random_int ());
    response = bell_sip_msg_new_response_to (request, status, NULL, tag);
  }
  bell_sip_msg_add_header (response, "Allow", BELL_ALLOW, NULL);
  if (status == 200)
    {
      bell_sip_msg_add_header (response, "Accept", BELL_ACCEPT, NULL);
      bell_sip_msg_add_header (response, "Supported", BELL_SUPPORTED, NULL);
    }
  bell_sip_msg_add_header (response, "Server", BELL_USER_AGENT, NULL);
  bell_sip_transaction_respond (txn, response, NULL);

  from = bell_str_dup (bell_sip_msg_get_from (request)->uri.text);
  source = bell_sip_flow_to_string (bell_sip_transaction_get_flow (txn));
  bell_core_emit (core, bell_event_new ("incoming",
                                    "method", g_variant_new_string (method),
                                    "from", g_variant_new_string (from),
                                    "source", g_variant_new_string (source),
                                    "status", g_variant_new_int32 ((gint32) status),
                                    NULL));
}

static void
on_request (BellSipTransactions *txns, BellSipTransaction *txn, BellSipMsg *request, gpointer data)
{
  BellCore *core = data;

  if (!bell_core_dispatch_call_request (core, txn, request))
    answer_out_of_dialog (core, txn, request);
}

BellSipCredentials *
bell_core_credentials_for (const char *from, const char *auth_user, const char *password)
{
  g_autoptr(BellSipUri) parsed = NULL;
  g_autofree char *user = NULL;

  if (!password)
    return NULL;
  parsed = from ? bell_sip_uri_new (from, NULL) : NULL;
  user = auth_user ? g_strdup (auth_user) : parsed ? bell_sip_uri_dup_user (parsed, NULL) : NULL;
  return bell_sip_credentials_new (user ? user : "bellbird", password);
}

/* OPTIONS (core thread) */

/* Jobs point at the core without a reference: the core joins its thread before it is
 * finalized, so they cannot outlive it, and a last unref on the core thread would make the
 * thread join itself. */
typedef struct
{
  gint                  ref_count;   /* one for each transaction it waits on */
  BellCore             *core;
  char                 *uri_text;
  char                 *ws_url;
  BellSipUri           *uri;
  BellSipTransportKind  transport;
  char                 *from;        /* From URI: the user's, or anonymous */
  BellSipCredentials   *credentials; /* NULL: no password given */
  GPtrArray            *targets;
  char                 *call_id;
  char                 *from_tag;
  guint32               cseq;
} OptionsJob;

static OptionsJob *
options_job_ref (OptionsJob *job)
{
  job->ref_count++;
  return job;
}

static void
options_job_free (OptionsJob *job)
{
  if (--job->ref_count > 0)
    return;
  g_free (job->uri_text);
  g_free (job->ws_url);
  g_clear_pointer (&job->uri, bell_sip_uri_free);
  g_free (job->from);
  g_clear_pointer (&job->credentials, bell_sip_credentials_free);
  g_clear_pointer (&job->targets, g_ptr_array_unref);
  g_free (job->call_id);
  g_free (job->from_tag);
  g_free (job);
}

static BellSipMsg *
build_options (OptionsJob *job, GError **error)
{
  g_autoptr(BellSipMsg) request = bell_sip_msg_new_request (BELL_SIP_METHOD_OPTIONS, NULL,
                                                            job->uri_text, error);
  g_autofree char *to = g_strdup_printf ("<%s>", job->uri_text);

  if (!request)
    return NULL;
  bell_sip_msg_add_headerf (request, "From", NULL, "<%s>;tag=%s", job->from, job->from_tag);
  bell_sip_msg_add_header (request, "To", to, NULL);
  bell_sip_msg_add_header (request, "Call-ID", job->call_id, NULL);
  bell_sip_msg_add_headerf (request, "CSeq", NULL, "%u OPTIONS", ++job->cseq);
  bell_sip_msg_add_header (request, "Max-Forwards", "70", NULL);
  bell_sip_msg_add_header (request, "Accept", BELL_ACCEPT, NULL);
  bell_sip_msg_add_header (request, "User-Agent", BELL_USER_AGENT, NULL);
  return g_steal_pointer (&request);
}

static void
options_fail (OptionsJob *job, const char *message)
{
  bell_core_emit (job->core, bell_event_new ("options",
                                         "uri", g_variant_new_string (job->uri_text),
                                         "error", g_variant_new_string (message),
                                         NULL));
}

static char *
joined_tokens (BellSipMsg *msg, BellSipHdrId id)
{
  GString *out = g_string_new (NULL);

  for (const BellSipHeader *h = bell_sip_msg_find (msg, id); h; h = bell_sip_msg_find_next (msg, id, h))
    {
      if (out->len)
        g_string_append (out, ", ");
      g_string_append_len (out, h->value.p, (gssize) h->value.len);
    }
  return g_string_free (out, FALSE);
}

static void
on_options_response (BellSipTransaction *txn, BellSipMsg *response, const GError *error,
                     gpointer data)
{
  OptionsJob *job = data;
  g_autofree char *reason = NULL;
  g_autofree char *allow = NULL;
  g_autofree char *supported = NULL;
  g_autofree char *server = NULL;
  g_autofree char *flow = NULL;
  const BellSipHeader *h;

  if (!response)
    {
      options_fail (job, error->message);
      return;
    }
  if (bell_sip_msg_get_status (response) < 200)
    return;
  /* Challenged and we have a password: answer once (the Digest layer refuses a second time
   * for the same nonce, so a wrong password ends here, not in a loop). */
  if ((bell_sip_msg_get_status (response) == 401 || bell_sip_msg_get_status (response) == 407) &&
      job->credentials)
    {
      g_autoptr(GError) auth_error = NULL;
      g_autoptr(BellSipMsg) again = build_options (job, NULL);
      if (again && bell_sip_auth_answer_via (job->credentials, response,
                                             bell_sip_transaction_get_flow (txn), again,
                                             &auth_error))
        {
          g_autoptr(BellSipTransaction) retry =
            bell_sip_transactions_send (job->core->txns, again, job->targets, on_options_response,
                                        options_job_ref (job), (GDestroyNotify) options_job_free);
          return;
        }
      if (auth_error)
        {
          options_fail (job, auth_error->message);
          return;
        }
    }
  reason = bell_str_dup (bell_sip_msg_get_reason (response));
  allow = joined_tokens (response, BELL_SIP_HDR_ALLOW);
  supported = joined_tokens (response, BELL_SIP_HDR_SUPPORTED);
  h = bell_sip_msg_find (response, BELL_SIP_HDR_SERVER);
  if (!h)
    h = bell_sip_msg_find (response, BELL_SIP_HDR_USER_AGENT);
  server = h ? bell_str_dup (h->value) : g_strdup ("");
  flow = bell_sip_flow_to_string (bell_sip_transaction_get_flow (txn));
  bell_core_emit (job->core, bell_event_new ("options",
                                         "uri", g_variant_new_string (job->uri_text),
                                         "status", g_variant_new_int32 ((gint32) bell_sip_msg_get_status (response)),
                                         "reason", g_variant_new_string (reason),
                                         "allow", g_variant_new_string (allow),
                                         "supported", g_variant_new_string (supported),
                                         "server", g_variant_new_string (server),
                                         "transport", g_variant_new_string (flow),
                                         NULL));
}

/* Sends the OPTIONS to targets (NULL: the job's WebSocket URL); the job goes with it. */
static void
send_options (OptionsJob *job, GPtrArray *located)
{
  BellCore *core = job->core;
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) request = NULL;
  g_autoptr(BellSipTransaction) txn = NULL;

  if (located)
    job->targets = bell_sip_targets_from_located (located);
  else
    {
      BellSipTarget target = { g_str_has_prefix (job->ws_url, "wss:") ? BELL_SIP_TRANSPORT_WSS
                                                                       : BELL_SIP_TRANSPORT_WS,
                               NULL, NULL, job->ws_url, NULL };
      job->targets = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_sip_target_free);
      g_ptr_array_add (job->targets, bell_sip_target_copy (&target));
    }
  job->call_id = g_strdup_printf ("%08x%08x@bellbird", g_random_int (), g_random_int ());
  job->from_tag = g_strdup_printf ("%08x", g_random_int ());
  bell_core_auth_apply_policy (core, job->credentials, job->from, job->uri_text, FALSE);
  request = build_options (job, &error);
  if (!request)
    {
      options_fail (job, error->message);
      options_job_free (job);
      return;
    }
  /* The transaction takes over the job's reference. */
  txn = bell_sip_transactions_send (core->txns, request, job->targets, on_options_response, job,
                                    (GDestroyNotify) options_job_free);
}

static void
on_options_located (GObject *source, GAsyncResult *result, gpointer data)
{
  OptionsJob *job = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) located = bell_sip_locate_finish (result, &error);

  if (!located)
    {
      options_fail (job, error->message);
      options_job_free (job);
      return;
    }
  send_options (job, located);
}

static gboolean
do_options (gpointer data)
{
  OptionsJob *job = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  /* A ws:// or wss:// URL names a WebSocket server (RFC 7118): OPTIONS goes to sip:HOST. */
  if (g_str_has_prefix (job->uri_text, "ws://") || g_str_has_prefix (job->uri_text, "wss://"))
    {
      g_autoptr(GUri) url = g_uri_parse (job->uri_text, G_URI_FLAGS_NONE, &error);
      if (!url || !g_uri_get_host (url))
        {
          options_fail (job, error ? error->message : "a WebSocket URL needs a host");
          options_job_free (job);
          return G_SOURCE_REMOVE;
        }
      job->ws_url = g_steal_pointer (&job->uri_text);
      job->uri_text = g_strdup_printf (strchr (g_uri_get_host (url), ':') ? "sip:[%s];transport=ws"
                                                                            : "sip:%s;transport=ws",
                                       g_uri_get_host (url));
      send_options (job, NULL);
      return G_SOURCE_REMOVE;
    }

  /* "host" or "host:port" means sip:host; a URI with a scheme is taken as written. */
  if (!g_str_has_prefix (job->uri_text, "sip:") && !g_str_has_prefix (job->uri_text, "sips:") &&
      !g_str_has_prefix (job->uri_text, "tel:"))
    {
      text = g_strdup_printf ("sip:%s", job->uri_text);
      g_free (job->uri_text);
      job->uri_text = g_steal_pointer (&text);
    }
  job->uri = bell_sip_uri_new (job->uri_text, &error);
  if (!job->uri)
    {
      options_fail (job, error->message);
      options_job_free (job);
      return G_SOURCE_REMOVE;
    }
  bell_sip_locate_async (job->uri, job->transport,
                         bell_sip_transport_get_supported (job->core->transport), NULL, NULL,
                         on_options_located, job);
  return G_SOURCE_REMOVE;
}

void
bell_core_options (BellCore *core, const char *uri, BellSipTransportKind transport)
{
  bell_core_options_auth (core, uri, transport, NULL, NULL, NULL);
}

void
bell_core_options_auth (BellCore *core, const char *uri, BellSipTransportKind transport,
                        const char *from, const char *auth_user, const char *password)
{
  OptionsJob *job;

  g_return_if_fail (BELL_IS_CORE (core));
  g_return_if_fail (uri != NULL);
  job = g_new0 (OptionsJob, 1);
  job->ref_count = 1;
  job->core = core;
  job->uri_text = g_strdup (uri);
  job->transport = transport;
  job->from = g_strdup (from ? from : "sip:bellbird@localhost");
  job->credentials = bell_core_credentials_for (from, auth_user, password);
  g_main_context_invoke (core->context, do_options, job);
}

/* Registration (core thread) */

typedef struct
{
  BellCore      *core;
  BellRegConfig  config;   /* strings owned */
} RegisterJob;

static void
register_job_free (RegisterJob *job)
{
  g_free ((char *) job->config.aor);
  g_free ((char *) job->config.display_name);
  g_free ((char *) job->config.auth_user);
  g_free ((char *) job->config.realm);
  bell_secret_free ((char *) job->config.password);   /* no longer in memory than it must */
  g_free ((char *) job->config.registrar);
  g_free ((char *) job->config.outbound_proxy);
  g_free ((char *) job->config.srtp);
  g_free ((char *) job->config.stun_server);
  g_free ((char *) job->config.codecs);
  g_free ((char *) job->config.instance_id);
  g_free ((char *) job->config.tls_ca_file);
  g_free ((char *) job->config.tls_pin);
  g_free (job);
}

static void
on_registration_changed (BellSipRegistration *reg, gpointer data)
{
  BellCore *core = data;
  const char *contact = bell_sip_registration_get_contact (reg);
  const char *message = bell_sip_registration_get_message (reg);
  g_auto(BellSipTlsCertReport) cert = { 0 };

  bell_core_policy_update_trusted (core);

  /* A certificate the user may trust (or that changed): which one, for the UI to ask. */
  if (bell_sip_registration_get_reason (reg) == BELL_REG_REASON_TLS_UNTRUSTED ||
      bell_sip_registration_get_reason (reg) == BELL_REG_REASON_TLS_CHANGED)
    bell_sip_tls_cert_report_parse (message, &cert);
  bell_core_emit (core, bell_event_new ("registration",
                                    "aor", g_variant_new_string (bell_sip_registration_get_aor (reg)),
                                    "state", g_variant_new_string (bell_reg_state_to_string (bell_sip_registration_get_state (reg))),
                                    "reason", g_variant_new_string (bell_reg_reason_to_string (bell_sip_registration_get_reason (reg))),
                                    "code", g_variant_new_int32 ((gint32) bell_sip_registration_get_status (reg)),
                                    "expires", g_variant_new_int32 ((gint32) bell_sip_registration_get_expires (reg)),
                                    "contact", contact ? g_variant_new_string (contact) : NULL,
                                    "message", message ? g_variant_new_string (message) : NULL,
                                    "tls_fingerprint", cert.fingerprint ? g_variant_new_string (cert.fingerprint) : NULL,
                                    "tls_subject", cert.subject ? g_variant_new_string (cert.subject) : NULL,
                                    "tls_pinned", cert.pinned ? g_variant_new_string (cert.pinned) : NULL,
                                    NULL));
}

/* Un-registering (one account, all of them, or an account registered anew): the registration
 * leaves core->registrations at once, so a second request finds nothing to stop twice, and
 * stays in core->retiring until its "stopped" (Expires: 0 answered, or timed out). */
typedef void (*RetiredFunc) (BellCore *core, gpointer data);

typedef struct
{
  BellCore      *core;
  RetiredFunc    func;
  gpointer       data;
  GDestroyNotify destroy;
} Retiring;

static void
retiring_free (gpointer data, GClosure *closure)
{
  Retiring *r = data;

  if (r->destroy)
    r->destroy (r->data);
  g_free (r);
}

static void
on_retired (BellSipRegistration *reg, gpointer user_data)
{
  Retiring *r = user_data;
  BellCore *core = r->core;
  RetiredFunc func = r->func;
  gpointer func_data = r->data;

  r->destroy = NULL;   /* func takes func_data */
  g_signal_handlers_disconnect_by_func (reg, on_registration_changed, core);
  g_signal_handlers_disconnect_by_func (reg, on_retired, user_data);   /* frees r */
  if (func)
    func (core, func_data);
  g_ptr_array_remove_fast (core->retiring, reg);   /* may finalize reg: last */
}

static void
retire (BellCore *core, BellSipRegistration *reg, RetiredFunc func, gpointer data,
        GDestroyNotify destroy)
{
  Retiring *r = g_new0 (Retiring, 1);

  r->core = core;
  r->func = func;
  r->data = data;
  r->destroy = destroy;
  g_ptr_array_add (core->retiring, g_object_ref (reg));
  g_ptr_array_remove (core->registrations, reg);
  bell_core_policy_update_trusted (core);
  /* After any other "stopped" handler (a registration of the same AOR waiting for this one). */
  g_signal_connect_data (reg, "stopped", G_CALLBACK (on_retired), r, retiring_free, G_CONNECT_AFTER);
  bell_sip_registration_stop (reg);   /* "stopped" may come at once */
}

static BellSipRegistration *
find_registration (BellCore *core, const char *aor)
{
  for (guint i = 0; i < core->registrations->len; i++)
    if (bell_core_same_aor (bell_sip_registration_get_aor (core->registrations->pdata[i]), aor))
      return core->registrations->pdata[i];
  return NULL;
}

/* An account as registered last: its password, outbound proxy and SRTP policy serve the
 * calls made or taken as it; config NULL forgets the account. */
static void
remember_account (BellCore *core, const char *aor, const BellRegConfig *config)
{
  BellCoreAccount *account;

  for (guint i = core->accounts->len; i > 0; i--)
    {
      BellCoreAccount *old = g_ptr_array_index (core->accounts, i - 1);

      if (bell_core_same_aor (old->aor, aor))
        g_ptr_array_remove_index (core->accounts, i - 1);
    }
  if (!config)
    return;
  account = g_new0 (BellCoreAccount, 1);
  account->aor = g_strdup (aor);
  account->credentials = bell_core_credentials_for (aor, config->auth_user, config->password);
  account->outbound_proxy = config->outbound_proxy && *config->outbound_proxy
                            ? g_strdup (config->outbound_proxy) : NULL;
  account->has_srtp = config->srtp && bell_sdp_srtp_policy_from_string (config->srtp, &account->srtp);
  account->stun_server = config->stun_server && *config->stun_server
                         ? g_strdup (config->stun_server) : NULL;
  account->codecs = config->codecs && *config->codecs ? g_strdup (config->codecs) : NULL;
  account->low_bandwidth = config->low_bandwidth;
  account->direct_calls = config->direct_calls;
  g_ptr_array_add (core->accounts, account);
}

static void
start_replacement (BellCore *core, gpointer data)
{
  BellSipRegistration *reg = data;

  /* Only once the old binding is gone: its Expires: 0 and our new REGISTER have different
   * Call-IDs, and a registrar handling them the other way round would remove the new one. */
  if (g_ptr_array_find (core->registrations, reg, NULL))
    bell_sip_registration_start (reg);
  g_object_unref (reg);
}

static BellSipRegistration *
find_retiring (BellCore *core, const char *aor)
{
  for (guint i = 0; i < core->retiring->len; i++)
    if (bell_core_same_aor (bell_sip_registration_get_aor (core->retiring->pdata[i]), aor))
      return core->retiring->pdata[i];
  return NULL;
}

/* A registration waiting for the un-registration of the same AOR to finish. */
typedef struct
{
  BellCore            *core;
  BellSipRegistration *reg;
} Waiting;

static void
waiting_free (gpointer data, GClosure *closure)
{
  Waiting *w = data;

  g_clear_object (&w->reg);
  g_free (w);
}

static void
start_after_stopped (BellSipRegistration *old, gpointer data)
{
  Waiting *w = data;

  start_replacement (w->core, g_steal_pointer (&w->reg));
  g_signal_handlers_disconnect_by_func (old, start_after_stopped, data);   /* frees w */
}

static GQuark
registration_key_quark (void)
{
  return g_quark_from_static_string ("bell-core-registration-key");
}

/* What a registration is made of: the fields that go into its REGISTERs, as a digest (the
 * password is one of them; a digest of it is all that stays). Codecs, SRTP and STUN are the
 * account's calls', not the registration's. */
static char *
registration_key (const BellRegConfig *c)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  const char *fields[] = { c->aor, c->display_name, c->auth_user, c->password, c->registrar,
                           c->outbound_proxy, c->tls_ca_file, c->instance_id, c->tls_pin };
  char numbers[64];

  g_checksum_update (sum, (const guchar *) (c->realm ? c->realm : ""), -1);
  for (gsize i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      /* Each field with its length: ("ab", "c") and ("a", "bc") differ. */
      gsize len = fields[i] ? strlen (fields[i]) + 1 : 0;

      g_checksum_update (sum, (const guchar *) &len, sizeof len);
      if (fields[i] && fields[i] == c->password)
        {
          /* The password goes in as its own SHA-256, made by OpenSSL, which wipes its state: a
           * GChecksum frees its block buffer, input bytes and all, unwiped. */
          guint8 md[EVP_MAX_MD_SIZE];
          unsigned int md_len = 0;

          EVP_Digest (fields[i], len, md, &md_len, EVP_sha256 (), NULL);
          g_checksum_update (sum, md, md_len);
          bell_secret_wipe (md, sizeof md);
        }
      else if (fields[i])
        g_checksum_update (sum, (const guchar *) fields[i], (gssize) len);
    }
  g_snprintf (numbers, sizeof numbers, "%d/%u/%u/%u", (int) c->transport, c->expires,
              c->retry_base_s, c->retry_max_s);
  g_checksum_update (sum, (const guchar *) numbers, -1);
  return g_strdup (g_checksum_get_string (sum));
}

/* The AOR is registered (or registering) just as config asks: only the account's call settings
 * may have changed, which need no new REGISTER (the user would be off the registrar for a
 * moment, and an incoming call could be missed). */
static BellSipRegistration *
same_registration (BellCore *core, const BellRegConfig *config, const char *key)
{
  BellSipRegistration *old = find_registration (core, config->aor);
  BellRegState state = old ? bell_sip_registration_get_state (old) : BELL_REG_UNREGISTERED;

  if (!old || (state != BELL_REG_REGISTERED && state != BELL_REG_REGISTERING))
    return NULL;
  return g_strcmp0 (g_object_get_qdata (G_OBJECT (old), registration_key_quark ()), key) == 0
         ? old : NULL;
}

/* The account's calls answer challenges under its registration's policy (realm pinned there,
 * registrar's address). */
static void
share_auth_policy (BellCore *core, BellSipRegistration *reg)
{
  BellCoreAccount *account = bell_core_find_account (core, bell_sip_registration_get_aor (reg));

  if (account && account->credentials)
    bell_sip_credentials_set_policy (account->credentials,
                                     bell_sip_registration_get_auth_policy (reg));
}

static gboolean
do_register (gpointer data)
{
  RegisterJob *job = data;
  BellCore *core = job->core;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = registration_key (&job->config);
  BellSipRegistration *reg, *old;

  if ((old = same_registration (core, &job->config, key)))
    {
      remember_account (core, job->config.aor, &job->config);
      share_auth_policy (core, old);
      on_registration_changed (old, core);   /* its state, as a new registration would say */
      return G_SOURCE_REMOVE;
    }
  reg = bell_sip_registration_new (core->txns, &job->config, &error);

  if (!reg)
    {
      bell_core_emit (core, bell_event_new ("registration",
                                        "aor", g_variant_new_string (job->config.aor),
                                        "state", g_variant_new_string ("failed"),
                                        "reason", g_variant_new_string ("config"),
                                        "message", g_variant_new_string (error->message),
                                        NULL));
      return G_SOURCE_REMOVE;
    }
  g_object_set_qdata_full (G_OBJECT (reg), registration_key_quark (), g_steal_pointer (&key), g_free);
  remember_account (core, job->config.aor, &job->config);
  share_auth_policy (core, reg);
  old = find_registration (core, bell_sip_registration_get_aor (reg));
  g_signal_connect (reg, "changed", G_CALLBACK (on_registration_changed), core);
  g_ptr_array_add (core->registrations, reg);
  if (old)
    retire (core, old, start_replacement, g_object_ref (reg), g_object_unref);
  else if ((old = find_retiring (core, bell_sip_registration_get_aor (reg))))
    {
      /* Un-registered a moment ago (disabled and enabled again): its Expires: 0 first. */
      Waiting *w = g_new0 (Waiting, 1);

      w->core = core;
      w->reg = g_object_ref (reg);
      g_signal_connect_data (old, "stopped", G_CALLBACK (start_after_stopped), w, waiting_free, 0);
    }
  else
    bell_sip_registration_start (reg);
  return G_SOURCE_REMOVE;
}

void
bell_core_register (BellCore *core, const BellRegConfig *config)
{
  RegisterJob *job;

  g_return_if_fail (BELL_IS_CORE (core));
  g_return_if_fail (config != NULL && config->aor != NULL);
  job = g_new0 (RegisterJob, 1);
  job->core = core;
  job->config = *config;
  job->config.aor = g_strdup (config->aor);
  job->config.display_name = g_strdup (config->display_name);
  job->config.auth_user = g_strdup (config->auth_user);
  job->config.password = g_strdup (config->password);
  job->config.realm = g_strdup (config->realm);
  job->config.registrar = g_strdup (config->registrar);
  job->config.outbound_proxy = g_strdup (config->outbound_proxy);
  job->config.srtp = g_strdup (config->srtp);
  job->config.stun_server = g_strdup (config->stun_server);
  job->config.codecs = g_strdup (config->codecs);
  job->config.instance_id = g_strdup (config->instance_id);
  job->config.tls_ca_file = g_strdup (config->tls_ca_file);
  job->config.tls_pin = g_strdup (config->tls_pin);
  g_main_context_invoke_full (core->context, G_PRIORITY_DEFAULT, do_register, job,
                              (GDestroyNotify) register_job_free);
}

static void
one_unregistered (BellCore *core, gpointer data)
{
  const char *aor = data;

  bell_core_emit (core, bell_event_new ("unregistered", "aor", g_variant_new_string (aor), NULL));
  g_free (data);
}

typedef struct
{
  BellCore *core;
  char     *aor;
} UnregisterJob;

static void
unregister_job_free (UnregisterJob *job)
{
  g_free (job->aor);
  g_free (job);
}

static gboolean
do_unregister (gpointer data)
{
  UnregisterJob *job = data;
  BellCore *core = job->core;
  BellSipRegistration *reg = find_registration (core, job->aor);

  remember_account (core, reg ? bell_sip_registration_get_aor (reg) : job->aor, NULL);
  if (reg)
    retire (core, reg, one_unregistered, g_strdup (bell_sip_registration_get_aor (reg)), g_free);
  else
    bell_core_emit (core, bell_event_new ("unregistered", "aor", g_variant_new_string (job->aor), NULL));
  return G_SOURCE_REMOVE;
}

void
bell_core_unregister (BellCore *core, const char *aor)
{
  UnregisterJob *job;

  g_return_if_fail (BELL_IS_CORE (core));
  g_return_if_fail (aor != NULL);
  job = g_new0 (UnregisterJob, 1);
  job->core = core;
  job->aor = g_strdup (aor);
  g_main_context_invoke_full (core->context, G_PRIORITY_DEFAULT, do_unregister, job,
                              (GDestroyNotify) unregister_job_free);
}

static void
all_unregistered_one (BellCore *core, gpointer data)
{
  if (core->stopping > 0 && --core->stopping == 0)
    bell_core_emit (core, bell_event_new ("unregistered", NULL, NULL));
}

static gboolean
do_unregister_all (gpointer data)
{
  BellCore *core = data;

  core->stopping += core->registrations->len + 1;   /* + 1: the event waits for every stop */
  while (core->registrations->len > 0)
    retire (core, core->registrations->pdata[core->registrations->len - 1],
            all_unregistered_one, NULL, NULL);
  all_unregistered_one (core, NULL);
  return G_SOURCE_REMOVE;
}

void
bell_core_unregister_all (BellCore *core)
{
  g_return_if_fail (BELL_IS_CORE (core));
  g_main_context_invoke (core->context, do_unregister_all, core);
}

/* A new network or a wake-up: addresses and NAT bindings may be gone: register again now, and
 * calls in progress give their peers our new address. */
static void
kick_registrations (BellCore *core, const char *why)
{
  if (core->registrations->len)
    g_message ("%s: registering again", why);
  for (guint i = 0; i < core->registrations->len; i++)
    bell_sip_registration_kick (core->registrations->pdata[i]);
  bell_core_refresh_calls (core);
}

static void
on_network_changed (GNetworkMonitor *monitor, gboolean available, gpointer data)
{
  if (available)
    kick_registrations (data, "the network changed");
}

static void
on_prepare_for_sleep (GDBusConnection *bus, const char *sender, const char *path,
                      const char *interface, const char *signal, GVariant *parameters,
                      gpointer data)
{
  gboolean going_to_sleep = TRUE;

  g_variant_get (parameters, "(b)", &going_to_sleep);
  if (!going_to_sleep)
    kick_registrations (data, "resumed from suspend");
}

static void
on_system_bus (GObject *source, GAsyncResult *result, gpointer data)
{
  BellCore *core = data;
  g_autoptr(GError) error = NULL;
  GDBusConnection *bus = g_bus_get_finish (result, &error);

  if (!bus)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("no system bus, so no resume detection: %s", error->message);
      return;
    }
  core->system_bus = bus;
  core->sleep_watch = g_dbus_connection_signal_subscribe (bus, "org.freedesktop.login1",
                                                          "org.freedesktop.login1.Manager",
                                                          "PrepareForSleep",
                                                          "/org/freedesktop/login1", NULL,
                                                          G_DBUS_SIGNAL_FLAGS_NONE,
                                                          on_prepare_for_sleep, core, NULL);
}

/* The thread */

static gboolean
open_listeners (BellCore *core, GError **error)
{
  static const BellSipTransportKind kinds[] = {
    BELL_SIP_TRANSPORT_UDP, BELL_SIP_TRANSPORT_TCP, BELL_SIP_TRANSPORT_TLS,
  };
  guint16 port = core->config.bind_port;

  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      guint16 got;
      if (!(core->config.listen & kinds[i]))
        continue;
      if (!bell_sip_transport_listen (core->transport, kinds[i], core->config.bind_address, port,
                                      error))
        return FALSE;
      got = bell_sip_transport_get_port (core->transport, kinds[i], G_SOCKET_FAMILY_IPV4);
      if (!got)
        got = bell_sip_transport_get_port (core->transport, kinds[i], G_SOCKET_FAMILY_IPV6);
      core->ports[kind_index (kinds[i])] = got;
      /* Port 0: UDP and TCP share the number the first one got, as users expect. */
      if (port == 0 && kinds[i] != BELL_SIP_TRANSPORT_TLS)
        port = got;
      bell_core_emit (core, bell_event_new ("listening",
                                        "transport", g_variant_new_string (bell_sip_transport_kind_to_string (kinds[i])),
                                        "address", g_variant_new_string (core->config.bind_address ? core->config.bind_address : "*"),
                                        "port", g_variant_new_int32 (got),
                                        NULL));
    }
  return TRUE;
}

static gpointer
core_thread (gpointer data)
{
  BellCore *core = data;
  g_autoptr(GError) error = NULL;
  BellSipTransportConfig tconfig = { 0 };

  g_main_context_push_thread_default (core->context);
  core->clock = bell_clock_new_real (core->context);
  core->transport = bell_sip_transport_new (core->clock);
  tconfig.tls_ca_file = core->config.tls_ca_file;
  tconfig.tls_accept_untrusted = core->config.tls_accept_untrusted;
  tconfig.tls_cert_file = core->config.tls_cert_file;
  tconfig.tls_key_file = core->config.tls_key_file;
  bell_sip_transport_configure (core->transport, &tconfig);
  bell_sip_transport_set_tls_pin (core->transport, NULL, core->config.tls_pin);
  core->txns = bell_sip_transactions_new (core->transport, core->clock);
  g_signal_connect (core->txns, "request", G_CALLBACK (on_request), core);
  core->registrations = g_ptr_array_new_with_free_func (g_object_unref);
  core->retiring = g_ptr_array_new_with_free_func (g_object_unref);
  core->calls = g_ptr_array_new_with_free_func (g_object_unref);
  core->accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_core_account_free);
  bell_core_policy_start (core);
  g_signal_connect (core->txns, "ack", G_CALLBACK (bell_core_on_ack), core);
  g_signal_connect (core->txns, "stray-response", G_CALLBACK (bell_core_on_stray_response), core);
  core->network = g_object_ref (g_network_monitor_get_default ());
  g_signal_connect (core->network, "network-changed", G_CALLBACK (on_network_changed), core);
  core->cancel = g_cancellable_new ();
  g_bus_get (G_BUS_TYPE_SYSTEM, core->cancel, on_system_bus, core);

  open_listeners (core, &error);

  g_mutex_lock (&core->lock);
  core->start_error = g_steal_pointer (&error);
  core->started = TRUE;
  g_cond_signal (&core->cond);
  g_mutex_unlock (&core->lock);

  if (!core->start_error)
    g_main_loop_run (core->loop);

  /* Everything that lives on the core context dies on it. */
  g_cancellable_cancel (core->cancel);
  while (g_main_context_iteration (core->context, FALSE))
    ;
  g_clear_object (&core->cancel);
  g_signal_handlers_disconnect_by_data (core->network, core);
  g_clear_object (&core->network);
  if (core->system_bus)
    g_dbus_connection_signal_unsubscribe (core->system_bus, core->sleep_watch);
  g_clear_object (&core->system_bus);
  g_clear_pointer (&core->registrations, g_ptr_array_unref);
  g_clear_pointer (&core->retiring, g_ptr_array_unref);
  if (core->calls)
    for (guint i = 0; i < core->calls->len; i++)
      g_signal_handlers_disconnect_by_data (core->calls->pdata[i], core);
  g_clear_pointer (&core->calls, g_ptr_array_unref);
  bell_core_policy_stop (core);
  g_clear_pointer (&core->accounts, g_ptr_array_unref);
  g_clear_object (&core->txns);
  g_clear_object (&core->transport);
  while (g_main_context_iteration (core->context, FALSE))
    ;
  g_clear_pointer (&core->clock, bell_clock_unref);
  g_main_context_pop_thread_default (core->context);
  return NULL;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
bell_core_shutdown (BellCore *core)
{
  g_return_if_fail (BELL_IS_CORE (core));
  if (!core->thread)
    return;
  g_main_context_invoke (core->context, quit_loop, core->loop);
  g_thread_join (g_steal_pointer (&core->thread));
}

guint16
bell_core_get_port (BellCore *core, BellSipTransportKind kind)
{
  int i = kind_index (kind);
  return i >= 0 && i < (int) G_N_ELEMENTS (core->ports) ? core->ports[i] : 0;
}

static void
bell_core_dispose (GObject *object)
{
  bell_core_shutdown (BELL_CORE (object));
  G_OBJECT_CLASS (bell_core_parent_class)->dispose (object);
}

static void
bell_core_finalize (GObject *object)
{
  BellCore *core = BELL_CORE (object);

  g_clear_pointer (&core->loop, g_main_loop_unref);
  g_clear_pointer (&core->context, g_main_context_unref);
  g_clear_pointer (&core->owner, g_main_context_unref);
  g_clear_error (&core->start_error);
  g_free ((char *) core->config.bind_address);
  g_free ((char *) core->config.tls_ca_file);
  g_free ((char *) core->config.tls_pin);
  g_free ((char *) core->config.tls_cert_file);
  g_free ((char *) core->config.tls_key_file);
  g_free ((char *) core->config.audio_in);
  g_free ((char *) core->config.audio_out);
  g_free ((char *) core->config.codecs);
  g_free ((char *) core->config.outbound_proxy);
  g_free ((char *) core->config.stun_server);
  g_mutex_clear (&core->lock);
  g_cond_clear (&core->cond);
  G_OBJECT_CLASS (bell_core_parent_class)->finalize (object);
}

static void
bell_core_class_init (BellCoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bell_core_dispose;
  object_class->finalize = bell_core_finalize;

  signals[SIGNAL_EVENT] = g_signal_new ("event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, BELL_TYPE_EVENT);
}

static void
bell_core_init (BellCore *core)
{
  g_mutex_init (&core->lock);
  g_cond_init (&core->cond);
}

BellCore *
bell_core_new (const BellCoreConfig *config, GError **error)
{
  g_autoptr(BellCore) core = g_object_new (BELL_TYPE_CORE, NULL);

  g_return_val_if_fail (config != NULL, NULL);
  if ((config->listen & BELL_SIP_TRANSPORT_TLS) && (!config->tls_cert_file || !config->tls_key_file))
    {
      g_set_error_literal (error, BELL_CORE_ERROR, BELL_CORE_ERROR_CONFIG,
                           "listening on TLS needs a certificate and a key");
      return NULL;
    }
  core->config = *config;
  core->config.tls_pin = NULL;
  if (config->tls_pin && *config->tls_pin &&
      !(core->config.tls_pin = bell_sip_tls_pin_normalize (config->tls_pin, error)))
    return NULL;
  core->config.bind_address = g_strdup (config->bind_address);
  core->config.tls_ca_file = g_strdup (config->tls_ca_file);
  core->config.tls_cert_file = g_strdup (config->tls_cert_file);
  core->config.tls_key_file = g_strdup (config->tls_key_file);
  core->config.audio_in = g_strdup (config->audio_in);
  core->config.audio_out = g_strdup (config->audio_out);
  core->config.codecs = g_strdup (config->codecs);
  core->config.outbound_proxy = g_strdup (config->outbound_proxy);
  core->config.stun_server = g_strdup (config->stun_server);
  core->owner = g_main_context_ref_thread_default ();
  core->context = g_main_context_new ();
  core->loop = g_main_loop_new (core->context, FALSE);
  core->thread = g_thread_new ("bellbird-core", core_thread, core);

  g_mutex_lock (&core->lock);
  while (!core->started)
    g_cond_wait (&core->cond, &core->lock);
  g_mutex_unlock (&core->lock);
  if (core->start_error)
    {
      g_thread_join (g_steal_pointer (&core->thread));
      g_propagate_prefixed_error (error, g_steal_pointer (&core->start_error), "%s", "");
      return NULL;
    }
  return g_steal_pointer (&core);
}
