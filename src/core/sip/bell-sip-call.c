/* bell-sip-call.c: the INVITE session state machine (RFC 3261 §13-§15). */
#define G_LOG_DOMAIN "bell-sip-call"

#include "bell-sip-call.h"

#include <string.h>

#include "bell-sip-auth.h"
#include "bell-sip-locate.h"

struct _BellSipCall
{
  GObject              parent_instance;

  BellSipTransactions *txns;
  BellClock           *clock;
  BellSipOfferAnswer   sdp;
  guint                id;
  gboolean             outgoing;
  BellCallState        state;
  guint                code;
  char                *reason;

  char                *peer;           /* the URI we call, or the caller's From URI */
  char                *request_uri;    /* outgoing: peer, or where a 3xx sent us */
  guint                redirects;      /* outgoing: 3xx followed so far */
  char                *from;           /* outgoing: our From URI */
  BellSipUri          *target;         /* outgoing: parsed peer */
  BellSipTransportKind transport;
  char                *call_id;
  char                *local_tag;
  char                *local_contact;
  char                *local_sdp;
  char                *remote_sdp;

  BellSipTransaction  *invite;         /* client or server INVITE transaction */
  BellSipMsg          *ok;             /* our 2xx, retransmitted until the ACK (§13.3.1.4) */
  BellSipDialog       *dialog;
  GPtrArray           *targets;        /* BellSipTarget: where in-dialog requests go */
  GPtrArray           *invite_targets; /* outgoing: where the INVITE (and its retries) go */
  BellSipCredentials  *credentials;    /* outgoing: answers 401/407 (NULL: no password) */
  guint32              invite_cseq;
  gboolean             cancel_pending; /* hung up before a provisional response */
  guint                ok_timer;
  guint                ok_interval_ms;
  guint                ok_elapsed_ms;
  GCancellable        *cancel;
};

G_DEFINE_FINAL_TYPE (BellSipCall, bell_sip_call, G_TYPE_OBJECT)

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];
static gint next_id = 1;

/* Redirects followed per call: enough for a forwarding chain, not for a redirect loop. */
#define MAX_REDIRECTS 5

const char *
bell_call_state_to_string (BellCallState state)
{
  static const char *const names[] = { "dialing", "ringing", "incoming", "connected", "ended" };
  return state < G_N_ELEMENTS (names) ? names[state] : "?";
}

/* The interim SDP: our first audio stream on PCMU or PCMA, inactive; other streams refused. */

static char *
local_ip_line (void)
{
  /* No media flows, so no address is promised: 0.0.0.0 (RFC 3264 §6.1 allows it). */
  return g_strdup ("c=IN IP4 0.0.0.0\r\n");
}

static char *
signalling_only_offer (gpointer user_data)
{
  g_autofree char *c = local_ip_line ();

  return g_strdup_printf ("v=0\r\no=bellbird %u 1 IN IP4 0.0.0.0\r\ns=-\r\n%st=0 0\r\n"
                          "m=audio 9 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n"
                          "a=rtpmap:8 PCMA/8000\r\na=inactive\r\n", g_random_int (), c);
}

static char *
signalling_only_answer (const char *offer, gpointer user_data, GError **error)
{
  g_auto(GStrv) lines = g_strsplit (offer, "\n", -1);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *c = local_ip_line ();
  gboolean audio_taken = FALSE;
  guint streams = 0;

  g_string_append_printf (out, "v=0\r\no=bellbird %u 1 IN IP4 0.0.0.0\r\ns=-\r\n%st=0 0\r\n",
                          g_random_int (), c);
  for (guint i = 0; lines[i]; i++)
    {
      g_auto(GStrv) f = NULL;
      const char *codec = NULL;
      if (!g_str_has_prefix (lines[i], "m="))
        continue;
      streams++;
      f = g_strsplit_set (g_strstrip (lines[i] + 2), " ", -1);
      if (g_strv_length (f) < 4)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "malformed m= line in the offer");
          return NULL;
        }
      for (guint k = 3; f[k] && !codec && !audio_taken && g_str_equal (f[0], "audio"); k++)
        if (g_str_equal (f[k], "0") || g_str_equal (f[k], "8"))
          codec = f[k];
      if (codec)
        {
          audio_taken = TRUE;
          g_string_append_printf (out, "m=audio 9 %s %s\r\na=rtpmap:%s %s/8000\r\na=inactive\r\n",
                                  f[2], codec, codec, g_str_equal (codec, "0") ? "PCMU" : "PCMA");
        }
      else
        /* §6: a stream we do not take is answered with port 0, same format list. */
        g_string_append_printf (out, "m=%s 0 %s %s\r\n", f[0], f[2], f[3]);
    }
  if (!streams)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the offer has no media stream");
      return NULL;
    }
  if (!audio_taken)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "no common audio codec (PCMU or PCMA)");
      return NULL;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
signalling_only_apply (const char *answer, gpointer user_data, GError **error)
{
  if (!strstr (answer, "m=audio "))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the answer has no audio stream");
      return FALSE;
    }
  return TRUE;
}

const BellSipOfferAnswer bell_sip_signalling_only_sdp = {
  signalling_only_offer, signalling_only_answer, signalling_only_apply, NULL,
};

/* State */

static void
set_state (BellSipCall *self, BellCallState state, guint code, const char *reason)
{
  if (self->state == BELL_CALL_ENDED)
    return;
  self->state = state;
  if (code)
    self->code = code;
  if (reason)
    {
      g_free (self->reason);
      self->reason = g_strdup (reason);
    }
  g_debug ("call %u: %s (%u %s)", self->id, bell_call_state_to_string (state), self->code,
           self->reason ? self->reason : "");
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
end_call (BellSipCall *self, guint code, const char *reason)
{
  bell_clock_clear (self->clock, &self->ok_timer);
  if (self->dialog)
    bell_sip_dialog_terminate (self->dialog);
  if (self->invite)
    bell_sip_transaction_detach (self->invite);
  set_state (self, BELL_CALL_ENDED, code, reason);
}

static char *
body_of (BellSipMsg *msg)
{
  gsize len;
  const char *body = bell_sip_msg_peek_body (msg, &len);
  const BellSipHeader *ct = bell_sip_msg_find (msg, BELL_SIP_HDR_CONTENT_TYPE);

  if (!len || !ct || !bell_str_equal_ci_cstr (ct->parsed.media_type->subtype, "sdp"))
    return NULL;
  return g_strndup (body, len);
}

/* Our Contact toward a destination: where the peer reaches us in this dialog. */
static char *
contact_toward (BellSipCall *self, BellSipTransportKind kind, GInetSocketAddress *dest)
{
  BellSipTransport *transport = bell_sip_transactions_get_transport (self->txns);
  g_autoptr(GInetSocketAddress) local = dest ? bell_sip_transport_get_local_address (transport, kind, dest)
                                              : NULL;

  g_autoptr(BellSipUri) from = NULL;
  g_autofree char *user = NULL;

  if (!local)
    return g_strdup ("sip:bellbird@invalid.invalid");
  /* Calling from an account, our Contact names its user, as the registered Contact does:
   * PBXes match the two (Asterisk endpoints identify callers by it). */
  from = self->outgoing && self->from ? bell_sip_uri_new (self->from, NULL) : NULL;
  user = from ? bell_str_dup (from->user) : NULL;   /* escaped as written, like the AOR's */
  if (!user || !*user || g_str_equal (user, "anonymous"))
    return bell_sip_contact_uri ("bellbird", local, kind);
  return bell_sip_contact_uri (user, local, kind);
}

/* In-dialog requests go to the first route, or to the remote target (§12.2.1.1, §8.1.2);
 * we locate it once and keep the answer. */
typedef void (*TargetsReady) (BellSipCall *self, gpointer data);

typedef struct
{
  BellSipCall  *call;
  TargetsReady  ready;
  gpointer      data;
} LocateJob;

static void
on_dialog_targets (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LocateJob *job = user_data;
  BellSipCall *self = job->call;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) located = bell_sip_locate_finish (result, &error);

  if (located && located->len)
    {
      g_clear_pointer (&self->targets, g_ptr_array_unref);
      self->targets = bell_sip_targets_from_located (located);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("call %u: cannot reach the peer's target: %s", self->id, error ? error->message : "?");
  if (self->targets)
    job->ready (self, job->data);
  g_object_unref (self);
  g_free (job);
}

static void
with_dialog_targets (BellSipCall *self, TargetsReady ready, gpointer data)
{
  const char *const *routes = bell_sip_dialog_get_route_set (self->dialog);
  g_autoptr(BellSipUri) uri = NULL;
  LocateJob *job;

  if (self->targets)
    {
      ready (self, data);
      return;
    }
  if (routes && routes[0])
    {
      /* "<sip:proxy;lr>": the URI between the angle brackets. */
      const char *lt = strchr (routes[0], '<'), *gt = lt ? strchr (lt, '>') : NULL;
      g_autofree char *u = lt && gt ? g_strndup (lt + 1, (gsize) (gt - lt - 1)) : g_strdup (routes[0]);
      uri = bell_sip_uri_new (u, NULL);
    }
  else
    uri = bell_sip_uri_new (bell_sip_dialog_get_remote_target (self->dialog), NULL);
  if (!uri)
    {
      g_message ("call %u: the peer's address does not parse", self->id);
      return;
    }
  job = g_new0 (LocateJob, 1);
  job->call = g_object_ref (self);
  job->ready = ready;
  job->data = data;
  bell_sip_locate_async (uri, BELL_SIP_TRANSPORT_ANY,
                         bell_sip_transport_get_supported (bell_sip_transactions_get_transport (self->txns)),
                         NULL, self->cancel, on_dialog_targets, job);
}

/* Outgoing */

static void
on_ack_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipFlow) flow = bell_sip_transport_send_request_finish (BELL_SIP_TRANSPORT (source),
                                                                        result, &error);
  if (!flow)
    g_message ("ACK not sent: %s", error->message);
}

static void
send_ack (BellSipCall *self, gpointer data)
{
  g_autoptr(BellSipMsg) ack = bell_sip_dialog_new_ack (self->dialog, self->invite_cseq, NULL);
  g_autofree char *branch = g_strdup_printf ("z9hG4bK%08x%08x", g_random_int (), g_random_int ());

  /* §13.2.2.4: the ACK for a 2xx is the TU's, outside any transaction. */
  if (ack)
    bell_sip_transport_send_request_async (bell_sip_transactions_get_transport (self->txns), ack,
                                           self->targets->pdata[0], branch, NULL, on_ack_sent,
                                           NULL);
}

static void
on_bye_response (BellSipTransaction *txn, BellSipMsg *response, const GError *error, gpointer data)
{
  BellSipCall *self = data;

  /* Whatever the answer (or none, §15.1.1), the call is over. */
  if (!response || bell_sip_msg_get_status (response) >= 200)
    end_call (self, 0, "hung up");
}

static void
send_bye (BellSipCall *self, gpointer data)
{
  g_autoptr(BellSipMsg) bye = bell_sip_dialog_new_request (self->dialog, BELL_SIP_METHOD_BYE, NULL);
  g_autoptr(BellSipTransaction) txn = NULL;

  if (bye)
    txn = bell_sip_transactions_send (self->txns, bye, self->targets, on_bye_response,
                                      g_object_ref (self), g_object_unref);
}

static gboolean retry_with_credentials (BellSipCall *self, BellSipMsg *response);
static gboolean follow_redirect (BellSipCall *self, BellSipMsg *response);
static void     on_call_located (GObject *source, GAsyncResult *result, gpointer user_data);

static void
on_invite_response (BellSipTransaction *txn, BellSipMsg *response, const GError *error,
                    gpointer data)
{
  BellSipCall *self = data;
  guint status;

  if (!response)
    {
      end_call (self, g_error_matches (error, BELL_SIP_TXN_ERROR, BELL_SIP_TXN_ERROR_TIMEOUT) ? 408 : 503,
                error->message);
      return;
    }
  status = bell_sip_msg_get_status (response);
  if (status < 200)
    {
      if (status > 100 && bell_str_is_set (bell_sip_msg_get_to (response)->tag) && !self->dialog)
        self->dialog = bell_sip_dialog_new_uac (bell_sip_transaction_get_request (txn), response, NULL);
      if (self->cancel_pending)
        {
          /* We hung up before anything came back: now a CANCEL may go (§9.1). */
          g_autoptr(BellSipTransaction) cancel = bell_sip_transactions_cancel (self->txns, txn, NULL,
                                                                               NULL, NULL, NULL);
          self->cancel_pending = FALSE;
          return;
        }
      if (status > 100 && self->state == BELL_CALL_DIALING)
        set_state (self, BELL_CALL_RINGING, status, NULL);
      return;
    }
  if (status < 300)
    {
      g_autoptr(GError) sdp_error = NULL;
      g_autofree char *answer = body_of (response);

      /* A 2xx from another fork after we are connected: ACK it, then BYE it (§13.2.2.4). */
      if (self->state == BELL_CALL_CONNECTED || self->state == BELL_CALL_ENDED)
        {
          bell_sip_call_handle_stray (self, response);
          return;
        }
      g_clear_pointer (&self->dialog, bell_sip_dialog_unref);
      self->dialog = bell_sip_dialog_new_uac (bell_sip_transaction_get_request (txn), response, NULL);
      if (!self->dialog)
        {
          end_call (self, 500, "the answer has no To tag");
          return;
        }
      with_dialog_targets (self, send_ack, NULL);
      if (!answer || !self->sdp.apply_answer (answer, self->sdp.user_data, &sdp_error))
        {
          /* §13.2.2.4: ACK, then end the call we cannot use. */
          g_message ("call %u: unusable answer: %s", self->id, sdp_error ? sdp_error->message : "no SDP");
          self->remote_sdp = g_steal_pointer (&answer);
          set_state (self, BELL_CALL_CONNECTED, status, NULL);
          bell_sip_call_hangup (self);
          return;
        }
      self->remote_sdp = g_steal_pointer (&answer);
      set_state (self, BELL_CALL_CONNECTED, status, NULL);
      /* Hung up while the 2xx was on its way: it is answered, so end it with a BYE. */
      if (self->cancel_pending)
        bell_sip_call_hangup (self);
      return;
    }
  if (status < 400 && follow_redirect (self, response))
    return;
  if (status == 401 || status == 407)
    {
      if (retry_with_credentials (self, response))
        return;
      if (!self->cancel_pending)
        {
          end_call (self, status,
                    self->credentials ? "authentication failed: the user name or password was refused"
                    : g_str_has_prefix (self->from, "sip:anonymous@")
                      ? "the callee asks for a password: call from an account"
                      : "the callee asks for a password and this account has none");
          return;
        }
    }
  {
    g_autofree char *reason = bell_str_dup (bell_sip_msg_get_reason (response));
    end_call (self, status, self->cancel_pending || status == 487 ? "cancelled" : reason);
  }
}

/* The INVITE with self->invite_cseq; a retry after a challenge is the same request with the
 * next CSeq (§22.2), so it is built again rather than copied. */
static BellSipMsg *
build_invite (BellSipCall *self, GError **error)
{
  g_autoptr(BellSipMsg) invite = bell_sip_msg_new_request (BELL_SIP_METHOD_INVITE, NULL,
                                                           self->request_uri, error);
  g_autofree char *to = NULL;

  if (!invite)
    return NULL;
  to = g_strdup_printf ("<%s>", self->peer);
  bell_sip_msg_add_headerf (invite, "From", NULL, "<%s>;tag=%s", self->from, self->local_tag);
  bell_sip_msg_add_header (invite, "To", to, NULL);
  bell_sip_msg_add_header (invite, "Call-ID", self->call_id, NULL);
  bell_sip_msg_add_headerf (invite, "CSeq", NULL, "%u INVITE", self->invite_cseq);
  bell_sip_msg_add_header (invite, "Max-Forwards", "70", NULL);
  bell_sip_msg_add_headerf (invite, "Contact", NULL, "<%s>", self->local_contact);
  bell_sip_msg_add_header (invite, "Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS", NULL);
  bell_sip_msg_add_header (invite, "Supported", "replaces, timer", NULL);
  bell_sip_msg_add_header (invite, "User-Agent", "Bellbird/" BELL_VERSION, NULL);
  bell_sip_msg_set_body (invite, "application/sdp", self->local_sdp, strlen (self->local_sdp));
  return g_steal_pointer (&invite);
}

/* Drops the INVITE transaction that got its final answer, before a new INVITE replaces it. */
static void
forget_invite (BellSipCall *self)
{
  /* An early dialog from that attempt ended with its final answer. */
  g_clear_pointer (&self->dialog, bell_sip_dialog_unref);
  if (self->invite)
    {
      bell_sip_transaction_detach (self->invite);
      g_clear_pointer (&self->invite, bell_sip_transaction_unref);
    }
}

/* A Contact's q in thousandths; without one it counts as 1.0. */
static gint
contact_q (const BellSipNameAddr *na)
{
  return na->q1000 < 0 ? 1000 : na->q1000;
}

/* A redirect Contact as a Request-URI: without its ?headers, which a Request-URI cannot
 * carry (§19.1.5). */
static char *
redirect_uri (const BellSipUri *uri)
{
  gsize len = uri->text.len;

  if (uri->headers.len)
    len = (gsize) (uri->headers.p - uri->text.p) - 1;   /* up to the '?' */
  return g_strndup (uri->text.p, len);
}

/* A 3xx to our INVITE (§8.1.3.4): call the best sip:/sips: Contact it gives (highest q, first
 * of equals) with a new INVITE, same Call-ID, tags and To, CSeq + 1. Not a URI we are already
 * calling, not sip: when we called sips: (§19.1.4: no downgrade), and at most MAX_REDIRECTS
 * times. Returns FALSE when the call should end with this response. */
static gboolean
follow_redirect (BellSipCall *self, BellSipMsg *response)
{
  const BellSipNameAddr *best = NULL;
  g_autofree char *uri = NULL;
  g_autoptr(BellSipUri) target = NULL;

  if (self->cancel_pending || self->state == BELL_CALL_ENDED || self->redirects >= MAX_REDIRECTS)
    return FALSE;
  for (const BellSipHeader *h = bell_sip_msg_find_next (response, BELL_SIP_HDR_CONTACT, NULL); h;
       h = bell_sip_msg_find_next (response, BELL_SIP_HDR_CONTACT, h))
    {
      const BellSipNameAddr *na = h->parsed.name_addr;
      g_autofree char *text = NULL;

      if (!na || na->star || !bell_sip_uri_is_sip (&na->uri))
        continue;
      if (self->target->scheme == BELL_URI_SCHEME_SIPS && na->uri.scheme != BELL_URI_SCHEME_SIPS)
        continue;
      text = redirect_uri (&na->uri);
      if (g_str_equal (text, self->request_uri))
        continue;
      if (!best || contact_q (na) > contact_q (best))
        best = na;
    }
  if (!best)
    return FALSE;
  uri = redirect_uri (&best->uri);
  target = bell_sip_uri_new (uri, NULL);
  if (!target)
    return FALSE;
  g_message ("call %u: redirected (%u) to %s", self->id, bell_sip_msg_get_status (response), uri);
  g_clear_pointer (&self->target, bell_sip_uri_free);
  self->target = g_steal_pointer (&target);
  g_free (self->request_uri);
  self->request_uri = g_steal_pointer (&uri);
  self->redirects++;
  self->invite_cseq++;
  forget_invite (self);
  bell_sip_locate_async (self->target, self->transport,
                         bell_sip_transport_get_supported (bell_sip_transactions_get_transport (self->txns)),
                         NULL, self->cancel, on_call_located, g_object_ref (self));
  return TRUE;
}

/* A 401/407 to our INVITE: send it again with credentials, once per challenge (the Digest
 * layer refuses a second challenge for the same realm, so a wrong password ends the call).
 * Returns FALSE when the call should end with this response. */
static gboolean
retry_with_credentials (BellSipCall *self, BellSipMsg *response)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) again = NULL;

  if (!self->credentials || self->cancel_pending || self->state == BELL_CALL_ENDED)
    return FALSE;
  self->invite_cseq++;
  again = build_invite (self, &error);
  if (!again || !bell_sip_auth_answer (self->credentials, response, again, &error))
    {
      g_message ("call %u: not answering the challenge: %s", self->id,
                 error ? error->message : "no request");
      return FALSE;
    }
  forget_invite (self);
  self->invite = bell_sip_transactions_send (self->txns, again, self->invite_targets,
                                             on_invite_response, self, NULL);
  return TRUE;
}

static void
on_call_located (GObject *source, GAsyncResult *result, gpointer user_data)
{
  BellSipCall *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) located = bell_sip_locate_finish (result, &error);
  g_autoptr(GPtrArray) targets = NULL;
  g_autoptr(BellSipMsg) invite = NULL;
  const BellSipLocateTarget *first;

  if (!located)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        end_call (self, 0, error->message);
      g_object_unref (self);
      return;
    }
  if (self->state == BELL_CALL_ENDED)
    {
      g_object_unref (self);
      return;
    }
  targets = bell_sip_targets_from_located (located);
  first = located->pdata[0];
  g_free (self->local_contact);
  self->local_contact = contact_toward (self, first->transport, first->address);
  /* After a redirect: the same offer, and the CSeq already moved on. */
  if (!self->local_sdp)
    self->local_sdp = self->sdp.create_offer (self->sdp.user_data);
  if (!self->invite_cseq)
    self->invite_cseq = (guint32) g_random_int_range (1, 1 << 20);
  invite = build_invite (self, &error);
  if (!invite)
    {
      end_call (self, 0, error->message);
      g_object_unref (self);
      return;
    }
  g_clear_pointer (&self->invite_targets, g_ptr_array_unref);
  self->invite_targets = g_ptr_array_ref (targets);
  self->invite = bell_sip_transactions_send (self->txns, invite, targets, on_invite_response, self,
                                             NULL);
  g_object_unref (self);
}

void
bell_sip_call_start (BellSipCall *self)
{
  g_return_if_fail (self->outgoing && self->state == BELL_CALL_DIALING);
  set_state (self, BELL_CALL_DIALING, 0, NULL);
  bell_sip_locate_async (self->target, self->transport,
                         bell_sip_transport_get_supported (bell_sip_transactions_get_transport (self->txns)),
                         NULL, self->cancel, on_call_located, g_object_ref (self));
}

/* Incoming */

static void
on_ok_retransmit (gpointer data)
{
  BellSipCall *self = data;
  BellSipTimers t = { 500, 4000, 5000 };

  self->ok_timer = 0;
  self->ok_elapsed_ms += self->ok_interval_ms;
  /* §13.3.1.4: no ACK after 64*T1: confirm the session, then end it with a BYE. */
  if (self->ok_elapsed_ms >= 64 * t.t1_ms)
    {
      g_message ("call %u: no ACK for our 200: hanging up", self->id);
      with_dialog_targets (self, send_bye, NULL);
      end_call (self, 408, "no ACK from the caller");
      return;
    }
  bell_sip_transport_send_on_flow (bell_sip_transactions_get_transport (self->txns), self->ok,
                                   bell_sip_transaction_get_flow (self->invite), NULL);
  self->ok_interval_ms = MIN (self->ok_interval_ms * 2, t.t2_ms);
  self->ok_timer = bell_clock_schedule (self->clock, self->ok_interval_ms, on_ok_retransmit, self, NULL);
}

void
bell_sip_call_answer (BellSipCall *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) ok = NULL;
  g_autofree char *offer = NULL;
  BellSipMsg *request;

  g_return_if_fail (BELL_IS_SIP_CALL (self));
  if (self->outgoing || self->state != BELL_CALL_INCOMING)
    return;
  request = bell_sip_transaction_get_request (self->invite);
  offer = body_of (request);
  /* An INVITE without SDP wants our offer in the 200 (§13.2.1); with one, our answer. */
  self->local_sdp = offer ? self->sdp.create_answer (offer, self->sdp.user_data, &error)
                          : self->sdp.create_offer (self->sdp.user_data);
  if (!self->local_sdp)
    {
      bell_sip_transaction_respond_status (self->invite, 488, NULL, self->local_tag);
      end_call (self, 488, error ? error->message : "no acceptable media");
      return;
    }
  self->remote_sdp = g_steal_pointer (&offer);
  ok = bell_sip_msg_new_response_to (request, 200, NULL, self->local_tag);
  bell_sip_msg_add_headerf (ok, "Contact", NULL, "<%s>", self->local_contact);
  bell_sip_msg_add_header (ok, "Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS", NULL);
  bell_sip_msg_add_header (ok, "Supported", "replaces, timer", NULL);
  bell_sip_msg_set_body (ok, "application/sdp", self->local_sdp, strlen (self->local_sdp));
  if (!bell_sip_transaction_respond (self->invite, ok, &error))
    {
      end_call (self, 0, error->message);
      return;
    }
  self->ok = g_steal_pointer (&ok);
  /* The 2xx is ours to retransmit until the ACK, T1 doubling to T2 (§13.3.1.4); over a
   * reliable flow once is enough. */
  if (bell_sip_flow_get_kind (bell_sip_transaction_get_flow (self->invite)) == BELL_SIP_TRANSPORT_UDP)
    {
      self->ok_interval_ms = 500;
      self->ok_timer = bell_clock_schedule (self->clock, self->ok_interval_ms, on_ok_retransmit,
                                            self, NULL);
    }
  set_state (self, BELL_CALL_CONNECTED, 200, NULL);
}

void
bell_sip_call_reject (BellSipCall *self, guint status)
{
  g_return_if_fail (BELL_IS_SIP_CALL (self));
  if (self->outgoing || self->state != BELL_CALL_INCOMING)
    return;
  bell_sip_transaction_respond_status (self->invite, status, NULL, self->local_tag);
  end_call (self, status, status == 486 ? "busy" : "declined");
}

void
bell_sip_call_hangup (BellSipCall *self)
{
  g_return_if_fail (BELL_IS_SIP_CALL (self));
  switch (self->state)
    {
    case BELL_CALL_DIALING:
    case BELL_CALL_RINGING:
      if (self->invite && bell_sip_transaction_get_state (self->invite) == BELL_SIP_TXN_PROCEEDING)
        {
          g_autoptr(BellSipTransaction) cancel = bell_sip_transactions_cancel (self->txns, self->invite,
                                                                               NULL, NULL, NULL, NULL);
        }
      else if (self->invite)
        self->cancel_pending = TRUE;   /* CANCEL once a provisional response comes (§9.1) */
      else
        {
          g_cancellable_cancel (self->cancel);
          end_call (self, 0, "cancelled");
        }
      break;
    case BELL_CALL_INCOMING:
      bell_sip_call_reject (self, 603);
      break;
    case BELL_CALL_CONNECTED:
      bell_clock_clear (self->clock, &self->ok_timer);
      with_dialog_targets (self, send_bye, NULL);
      break;
    case BELL_CALL_ENDED:
    default:
      break;
    }
}

gboolean
bell_sip_call_matches (BellSipCall *self, BellSipMsg *msg)
{
  if (self->dialog)
    return bell_sip_dialog_matches (self->dialog, msg);
  return bell_str_equal_cstr (bell_sip_msg_get_call_id (msg), self->call_id);
}

void
bell_sip_call_handle_request (BellSipCall *self, BellSipTransaction *txn, BellSipMsg *request)
{
  BellSipMethod method = bell_sip_msg_get_method (request);
  guint check;

  if (method == BELL_SIP_METHOD_CANCEL)
    {
      /* §9.2: 200 to the CANCEL, 487 to the INVITE it cancels. */
      bell_sip_transaction_respond_status (txn, 200, NULL, self->local_tag);
      if (self->state == BELL_CALL_INCOMING)
        {
          bell_sip_transaction_respond_status (self->invite, 487, NULL, self->local_tag);
          end_call (self, 487, "cancelled by the caller");
        }
      return;
    }
  if (!self->dialog)
    {
      bell_sip_transaction_respond_status (txn, 481, NULL, NULL);
      return;
    }
  check = bell_sip_dialog_receive_request (self->dialog, request);
  if (check)
    {
      bell_sip_transaction_respond_status (txn, check, NULL, NULL);
      return;
    }
  switch (method)
    {
    case BELL_SIP_METHOD_BYE:
      bell_sip_transaction_respond_status (txn, 200, NULL, NULL);
      end_call (self, 0, "the other side hung up");
      break;
    case BELL_SIP_METHOD_INVITE:
      {
        /* A re-INVITE (hold, resume, refresh): answer with the same media for now. */
        g_autoptr(BellSipMsg) ok = bell_sip_msg_new_response_to (request, 200, NULL, NULL);
        g_autofree char *offer = body_of (request);
        g_autofree char *answer = offer ? self->sdp.create_answer (offer, self->sdp.user_data, NULL)
                                        : g_strdup (self->local_sdp);
        if (!answer)
          {
            bell_sip_transaction_respond_status (txn, 488, NULL, NULL);
            return;
          }
        bell_sip_msg_add_headerf (ok, "Contact", NULL, "<%s>", self->local_contact);
        bell_sip_msg_set_body (ok, "application/sdp", answer, strlen (answer));
        bell_sip_transaction_respond (txn, ok, NULL);
      }
      break;
    case BELL_SIP_METHOD_OPTIONS:
    case BELL_SIP_METHOD_INFO:
    case BELL_SIP_METHOD_UPDATE:
      bell_sip_transaction_respond_status (txn, 200, NULL, NULL);
      break;
    default:
      bell_sip_transaction_respond_status (txn, 405, NULL, NULL);
      break;
    }
}

void
bell_sip_call_handle_ack (BellSipCall *self, BellSipMsg *ack)
{
  if (!self->dialog || !bell_sip_dialog_matches (self->dialog, ack))
    return;
  bell_sip_dialog_receive_request (self->dialog, ack);
  bell_clock_clear (self->clock, &self->ok_timer);
}

void
bell_sip_call_handle_stray (BellSipCall *self, BellSipMsg *response)
{
  g_autoptr(GError) error = NULL;

  /* A retransmitted 2xx of our dialog: ACK it again. A 2xx of another fork: ACK and BYE it
   * (§13.2.2.4), with a dialog of its own made just for that. */
  if (self->dialog && bell_sip_dialog_matches (self->dialog, response))
    {
      with_dialog_targets (self, send_ack, NULL);
      return;
    }
  if (self->invite)
    {
      g_autoptr(BellSipDialog) fork = bell_sip_dialog_new_uac (bell_sip_transaction_get_request (self->invite),
                                                               response, &error);
      if (fork)
        {
          g_autoptr(BellSipCall) other = g_object_new (BELL_TYPE_SIP_CALL, NULL);
          other->txns = g_object_ref (self->txns);
          other->clock = bell_clock_ref (self->clock);
          other->sdp = self->sdp;
          other->dialog = g_steal_pointer (&fork);
          other->invite_cseq = self->invite_cseq;
          with_dialog_targets (other, send_ack, NULL);
          with_dialog_targets (other, send_bye, NULL);
        }
    }
}

BellSipCall *
bell_sip_call_new_incoming (BellSipTransactions *txns, BellSipTransaction *invite,
                            const BellSipOfferAnswer *sdp)
{
  BellSipCall *self = g_object_new (BELL_TYPE_SIP_CALL, NULL);
  BellSipMsg *request = bell_sip_transaction_get_request (invite);
  BellSipFlow *flow = bell_sip_transaction_get_flow (invite);
  g_autoptr(BellSipMsg) ringing = NULL;

  self->txns = g_object_ref (txns);
  self->clock = bell_clock_ref (bell_sip_transactions_get_clock (txns));
  self->sdp = *sdp;
  self->outgoing = FALSE;
  self->invite = bell_sip_transaction_ref (invite);
  self->call_id = bell_str_dup (bell_sip_msg_get_call_id (request));
  self->peer = bell_str_dup (bell_sip_msg_get_from (request)->uri.text);
  self->local_contact = contact_toward (self, bell_sip_flow_get_kind (flow), bell_sip_flow_get_remote (flow));
  self->dialog = bell_sip_dialog_new_uas (request, self->local_tag, self->local_contact, NULL);
  self->state = BELL_CALL_INCOMING;
  ringing = bell_sip_msg_new_response_to (request, 180, NULL, self->local_tag);
  bell_sip_msg_add_headerf (ringing, "Contact", NULL, "<%s>", self->local_contact);
  bell_sip_transaction_respond (invite, ringing, NULL);
  return self;
}

BellSipCall *
bell_sip_call_new_outgoing (BellSipTransactions *txns, const char *uri, const char *from_uri,
                            BellSipTransportKind transport, const BellSipOfferAnswer *sdp,
                            GError **error)
{
  g_autoptr(BellSipCall) self = g_object_new (BELL_TYPE_SIP_CALL, NULL);

  self->target = bell_sip_uri_new (uri, error);
  if (!self->target)
    return NULL;
  if (!bell_sip_uri_is_sip (self->target))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "“%s”: only sip: and sips: addresses can be called directly", uri);
      return NULL;
    }
  self->txns = g_object_ref (txns);
  self->clock = bell_clock_ref (bell_sip_transactions_get_clock (txns));
  self->sdp = *sdp;
  self->outgoing = TRUE;
  self->peer = g_strdup (uri);
  self->request_uri = g_strdup (uri);
  /* RFC 3323 §4.1.1.3: without an account, an anonymous From. */
  self->from = g_strdup (from_uri ? from_uri : "sip:anonymous@anonymous.invalid");
  self->transport = transport;
  self->call_id = g_strdup_printf ("%08x%08x%08x@bellbird", g_random_int (), g_random_int (),
                                   g_random_int ());
  self->state = BELL_CALL_DIALING;
  return g_steal_pointer (&self);
}

void
bell_sip_call_set_credentials (BellSipCall *self, BellSipCredentials *credentials)
{
  g_return_if_fail (BELL_IS_SIP_CALL (self) && self->outgoing);
  g_clear_pointer (&self->credentials, bell_sip_credentials_free);
  self->credentials = credentials;
}

BellSipTransaction *
bell_sip_call_get_invite (BellSipCall *self)
{
  return self->invite;
}

guint
bell_sip_call_get_id (BellSipCall *self)
{
  return self->id;
}

gboolean
bell_sip_call_is_outgoing (BellSipCall *self)
{
  return self->outgoing;
}

BellCallState
bell_sip_call_get_state (BellSipCall *self)
{
  return self->state;
}

const char *
bell_sip_call_get_peer (BellSipCall *self)
{
  return self->peer;
}

const char *
bell_sip_call_get_call_id (BellSipCall *self)
{
  return self->call_id;
}

guint
bell_sip_call_get_code (BellSipCall *self)
{
  return self->code;
}

const char *
bell_sip_call_get_reason (BellSipCall *self)
{
  return self->reason;
}

const char *
bell_sip_call_get_remote_sdp (BellSipCall *self)
{
  return self->remote_sdp;
}

static void
bell_sip_call_dispose (GObject *object)
{
  BellSipCall *self = BELL_SIP_CALL (object);

  if (self->cancel)
    g_cancellable_cancel (self->cancel);
  if (self->clock)
    bell_clock_clear (self->clock, &self->ok_timer);
  if (self->invite)
    {
      bell_sip_transaction_detach (self->invite);
      g_clear_pointer (&self->invite, bell_sip_transaction_unref);
    }
  g_clear_object (&self->txns);
  G_OBJECT_CLASS (bell_sip_call_parent_class)->dispose (object);
}

static void
bell_sip_call_finalize (GObject *object)
{
  BellSipCall *self = BELL_SIP_CALL (object);

  g_clear_pointer (&self->clock, bell_clock_unref);
  g_clear_pointer (&self->target, bell_sip_uri_free);
  g_clear_pointer (&self->dialog, bell_sip_dialog_unref);
  g_clear_pointer (&self->ok, bell_sip_msg_unref);
  g_clear_pointer (&self->targets, g_ptr_array_unref);
  g_clear_pointer (&self->invite_targets, g_ptr_array_unref);
  g_clear_pointer (&self->credentials, bell_sip_credentials_free);
  g_clear_object (&self->cancel);
  g_free (self->reason);
  g_free (self->peer);
  g_free (self->request_uri);
  g_free (self->from);
  g_free (self->call_id);
  g_free (self->local_tag);
  g_free (self->local_contact);
  g_free (self->local_sdp);
  g_free (self->remote_sdp);
  G_OBJECT_CLASS (bell_sip_call_parent_class)->finalize (object);
}

static void
bell_sip_call_class_init (BellSipCallClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bell_sip_call_dispose;
  object_class->finalize = bell_sip_call_finalize;
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
bell_sip_call_init (BellSipCall *self)
{
  self->id = (guint) g_atomic_int_add (&next_id, 1);
  self->cancel = g_cancellable_new ();
  self->local_tag = g_strdup_printf ("%08x%08x", g_random_int (), g_random_int ());
}
