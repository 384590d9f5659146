/* bell-sip-call.c: the INVITE session (RFC 3261 §13-§15): setting a call up both ways (3xx,
 * 401/407, 422, forking), CANCEL, BYE, and the dispatch of what comes in its dialog. */
#define G_LOG_DOMAIN "bell-sip-call"

#include "bell-secret.h"
#include "bell-sip-call-private.h"

#include <string.h>

#include "bell-sip-auth.h"
#include "bell-sip-auth-policy.h"
#include "bell-sip-locate.h"

G_DEFINE_FINAL_TYPE (BellSipCall, bell_sip_call, G_TYPE_OBJECT)

enum { SIGNAL_CHANGED, SIGNAL_HOLD_CHANGED, SIGNAL_TRANSFER, SIGNAL_REFER, SIGNAL_INFO, N_SIGNALS };
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

/* State */

void
bell_sip_call_set_state (BellSipCall *self, BellCallState state, guint code, const char *reason)
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

void
bell_sip_call_end (BellSipCall *self, guint code, const char *reason)
{
  bell_sip_call_ok_acked (self);
  bell_sip_call_modify_clear (self);
  bell_sip_call_timer_clear (self);
  bell_sip_call_refer_clear (self);
  if (self->dialog)
    bell_sip_dialog_terminate (self->dialog);
  if (self->invite)
    bell_sip_transaction_detach (self->invite);
  bell_sip_call_set_state (self, BELL_CALL_ENDED, code, reason);
  /* Over: neither side's SDP (SDES keys) is of any further use, nor the copies in the INVITE
   * and its final response, which the transaction keeps 32 s longer (RFC 6026) — unless it has
   * no final response yet and may send the INVITE again. */
  bell_secret_clear (&self->local_sdp);
  bell_secret_clear (&self->remote_sdp);
  if (self->invite && bell_sip_transaction_get_state (self->invite) >= BELL_SIP_TXN_COMPLETED)
    {
      bell_sip_msg_wipe_body (bell_sip_transaction_get_request (self->invite));
      bell_sip_msg_wipe_body (bell_sip_transaction_get_last_response (self->invite));
    }
}

void
bell_sip_call_emit_hold_changed (BellSipCall *self)
{
  g_signal_emit (self, signals[SIGNAL_HOLD_CHANGED], 0);
}

void
bell_sip_call_emit_transfer (BellSipCall *self, guint status, const char *reason)
{
  g_signal_emit (self, signals[SIGNAL_TRANSFER], 0, status, reason);
}

void
bell_sip_call_emit_refer (BellSipCall *self, const char *uri, const char *replaces,
                          const char *referred_by)
{
  g_signal_emit (self, signals[SIGNAL_REFER], 0, uri, replaces, referred_by);
}

char *
bell_sip_call_body_of (BellSipMsg *msg)
{
  gsize len;
  const char *body = bell_sip_msg_peek_body (msg, &len);
  const BellSipHeader *ct = bell_sip_msg_find (msg, BELL_SIP_HDR_CONTENT_TYPE);

  if (!len || !ct || !bell_str_equal_ci_cstr (ct->parsed.media_type->subtype, "sdp"))
    return NULL;
  return g_strndup (body, len);
}

void
bell_sip_call_add_capabilities (BellSipMsg *msg)
{
  bell_sip_msg_add_header (msg, "Allow", BELL_CALL_ALLOW, NULL);
  bell_sip_msg_add_header (msg, "Supported", bell_sip_msg_is_request (msg) ? BELL_CALL_SUPPORTED
                                              : BELL_CALL_SUPPORTED_UAS, NULL);
}

/* Outgoing */

static void
on_bye_done (BellSipCall *self, BellSipMsg *request, BellSipMsg *response, const GError *error,
             gpointer data)
{
  /* Whatever the answer (or none, §15.1.1), the call is over. */
  bell_sip_call_end (self, 0, data ? data : "hung up");
}

void
bell_sip_call_bye (BellSipCall *self, const char *reason)
{
  bell_sip_call_ok_acked (self);
  bell_sip_call_send_request_in (self, NULL, BELL_SIP_METHOD_BYE, NULL, on_bye_done,
                                 g_strdup (reason), g_free);
}

static gboolean retry_with_credentials (BellSipCall *self, BellSipTransaction *txn,
                                        BellSipMsg *response, GError **error);
static gboolean retry_with_timer (BellSipCall *self, BellSipMsg *response);
static gboolean follow_redirect (BellSipCall *self, BellSipMsg *response);
static gboolean retry_weaker (BellSipCall *self);
static void     on_call_located (GObject *source, GAsyncResult *result, gpointer user_data);
static void     locate_next_hop (BellSipCall *self);

static void
on_provisional (BellSipCall *self, BellSipTransaction *txn, BellSipMsg *response, guint status)
{
  const BellSipNameAddr *to = bell_sip_msg_get_to (response);

  if (status > 100 && bell_str_is_set (to->tag) && !self->dialog)
    self->dialog = bell_sip_dialog_new_uac (bell_sip_transaction_get_request (txn), response, NULL);
  else if (self->dialog && bell_sip_dialog_matches (self->dialog, response))
    bell_sip_dialog_update_from_response (self->dialog, response);
  if (self->cancel_pending)
    {
      /* We hung up before anything came back: now a CANCEL may go (§9.1). */
      g_autoptr(BellSipTransaction) cancel = bell_sip_transactions_cancel (self->txns, txn, NULL,
                                                                           NULL, NULL, NULL);
      self->cancel_pending = FALSE;
      return;
    }
  if (status > 100 && !bell_sip_call_prack_provisional (self, response))
    return;   /* a copy of a reliable 1xx we took already */
  if (status > 100 && self->state == BELL_CALL_DIALING)
    bell_sip_call_set_state (self, BELL_CALL_RINGING, status, NULL);
}

static void
on_answered (BellSipCall *self, BellSipTransaction *txn, BellSipMsg *response, guint status)
{
  g_autoptr(GError) sdp_error = NULL;
  g_autoptr(BellSecret) answer = bell_sip_call_body_of (response);
  BellSipMsg *request = bell_sip_transaction_get_request (txn);
  gboolean usable;

  /* A 2xx from another fork after we are connected: ACK it, then BYE it (§13.2.2.4). */
  if (self->state == BELL_CALL_CONNECTED || self->state == BELL_CALL_ENDED)
    {
      bell_sip_call_handle_stray (self, response);
      return;
    }
  if (self->dialog && bell_sip_dialog_matches (self->dialog, response))
    bell_sip_dialog_update_from_response (self->dialog, response);
  else
    {
      g_clear_pointer (&self->dialog, bell_sip_dialog_unref);
      self->dialog = bell_sip_dialog_new_uac (request, response, NULL);
      self->answered_early = FALSE;   /* that answer was another fork's */
    }
  if (!self->dialog)
    {
      bell_sip_call_end (self, 500, "the answer has no To tag");
      return;
    }
  if (self->credentials)
    bell_sip_auth_reset (self->credentials);
  bell_sip_call_send_ack (self, request, NULL);
  /* The answer is in the 2xx, unless a reliable 1xx of this dialog carried it (RFC 3262). */
  usable = answer ? self->sdp.apply_answer (answer, self->sdp.user_data, &sdp_error)
                  : self->answered_early;
  if (answer)
    {
      bell_secret_free (self->remote_sdp);
      self->remote_sdp = g_steal_pointer (&answer);
    }
  self->remote_first_holds = self->remote_sdp && bell_sip_sdp_is_hold (self->remote_sdp);
  bell_sip_call_set_state (self, BELL_CALL_CONNECTED, status, NULL);
  if (!usable)
    {
      /* §13.2.2.4: ACK, then end the call we cannot use. */
      g_message ("call %u: unusable answer: %s", self->id, sdp_error ? sdp_error->message : "no SDP");
      bell_sip_call_bye (self, "the answer has no usable media");
      return;
    }
  bell_sip_call_timer_from_response (self, response);
  /* Hung up while the 2xx was on its way: it is answered, so end it with a BYE. */
  if (self->cancel_pending)
    bell_sip_call_bye (self, "cancelled");
  else
    bell_sip_call_modify_sync (self);   /* hold asked for while it rang */
}

static void
on_invite_response (BellSipTransaction *txn, BellSipMsg *response, const GError *error,
                    gpointer data)
{
  BellSipCall *self = data;
  guint status;

  if (!response)
    {
      gboolean timeout = g_error_matches (error, BELL_SIP_TXN_ERROR, BELL_SIP_TXN_ERROR_TIMEOUT);

      self->unreachable = g_error_matches (error, BELL_SIP_TXN_ERROR, BELL_SIP_TXN_ERROR_TRANSPORT);
      bell_sip_call_end (self, timeout ? 408 : 503, error->message);
      return;
    }
  status = bell_sip_msg_get_status (response);
  if (status < 200)
    {
      on_provisional (self, txn, response, status);
      return;
    }
  if (status < 300)
    {
      on_answered (self, txn, response, status);
      return;
    }
  if (status < 400 && follow_redirect (self, response))
    return;
  if (status == 422 && retry_with_timer (self, response))
    return;
  if (status == 488 && retry_weaker (self))
    return;
  if (status == 401 || status == 407)
    {
      g_autoptr(GError) auth_error = NULL;

      if (retry_with_credentials (self, txn, response, &auth_error))
        return;
      /* Not sent on purpose (bell-sip-auth-policy.h): the user reads why. */
      if (!self->cancel_pending && bell_sip_auth_error_is_policy (auth_error))
        {
          bell_sip_call_end (self, status, auth_error->message);
          return;
        }
      if (!self->cancel_pending)
        {
          bell_sip_call_end (self, status,
                             self->credentials ? "authentication failed: the user name or password was refused"
                             : g_str_has_prefix (self->from, "sip:anonymous@")
                               ? "the callee asks for a password: call from an account"
                               : "the callee asks for a password and this account has none");
          return;
        }
    }
  {
    g_autofree char *reason = bell_str_dup (bell_sip_msg_get_reason (response));
    bell_sip_call_end (self, status, self->cancel_pending || status == 487 ? "cancelled" : reason);
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
  if (self->proxy)
    {
      g_autofree char *route = bell_sip_uri_to_loose_route (self->proxy);
      bell_sip_msg_add_header (invite, "Route", route, NULL);
    }
  bell_sip_call_add_capabilities (invite);
  bell_sip_call_timer_offer (self, invite);
  for (guint i = 0; self->extra_headers && i + 1 < self->extra_headers->len; i += 2)
    bell_sip_msg_add_header (invite, self->extra_headers->pdata[i], self->extra_headers->pdata[i + 1],
                             NULL);
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
  g_clear_pointer (&self->rseq_tag, g_free);
  self->answered_early = FALSE;
  if (self->invite)
    {
      bell_sip_transaction_detach (self->invite);
      g_clear_pointer (&self->invite, bell_sip_transaction_unref);
    }
}

/* The INVITE again, CSeq + 1, to the same targets, after a 401/407 (challenge, which came
 * over flow) or a 422 (the caller has changed what the new one needs). */
static gboolean
send_invite_again (BellSipCall *self, BellSipMsg *challenge, BellSipFlow *flow, GError **out)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) again = NULL;

  self->invite_cseq++;
  again = build_invite (self, &error);
  if (self->credentials && again)
    bell_sip_auth_authorize (self->credentials, again);
  if (!again || (challenge && !bell_sip_auth_answer_via (self->credentials, challenge, flow, again,
                                                         &error)))
    {
      g_message ("call %u: not sending the INVITE again: %s", self->id,
                 error ? error->message : "no request");
      if (out && error)
        g_propagate_error (out, g_steal_pointer (&error));
      return FALSE;
    }
  forget_invite (self);
  self->invite = bell_sip_transactions_send (self->txns, again, self->invite_targets,
                                             on_invite_response, self, NULL);
  return TRUE;
}

/* A 401/407 to our INVITE: send it again with credentials, once per challenge (the Digest
 * layer refuses a second challenge for the same realm, so a wrong password ends the call),
 * and only where the account's policy lets the password go (else error says why).
 * Returns FALSE when the call should end with this response. */
static gboolean
retry_with_credentials (BellSipCall *self, BellSipTransaction *txn, BellSipMsg *response,
                        GError **error)
{
  if (!self->credentials || self->cancel_pending || self->state == BELL_CALL_ENDED)
    return FALSE;
  return send_invite_again (self, response, bell_sip_transaction_get_flow (txn), error);
}

/* 488 Not Acceptable Here to an offer with SRTP the user made optional: again without it, so
 * that the call still happens (unencrypted, and the media event says so). */
static gboolean
retry_weaker (BellSipCall *self)
{
  if (self->cancel_pending || self->state == BELL_CALL_ENDED || !self->sdp.weaken ||
      !self->sdp.weaken (self->sdp.user_data))
    return FALSE;
  g_message ("call %u: the peer refused our SRTP offer: calling again without it", self->id);
  bell_secret_free (self->local_sdp);
  self->local_sdp = self->sdp.create_offer (self->local_hold, self->sdp.user_data);
  return send_invite_again (self, NULL, NULL, NULL);
}

/* 422 Session Interval Too Small (RFC 4028 §7.4): again with the Min-SE it asks for. */
static gboolean
retry_with_timer (BellSipCall *self, BellSipMsg *response)
{
  if (self->cancel_pending || self->state == BELL_CALL_ENDED ||
      !bell_sip_call_timer_handle_422 (self, response))
    return FALSE;
  return send_invite_again (self, NULL, NULL, NULL);
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
  locate_next_hop (self);
  return TRUE;
}

/* The first hop of the INVITE: the outbound proxy when there is one, else the callee (or
 * where a 3xx sent us), by the rules of RFC 3263. */
static void
locate_next_hop (BellSipCall *self)
{
  bell_sip_locate_async (self->proxy ? self->proxy : self->target, self->transport,
                         bell_sip_transport_get_supported (bell_sip_transactions_get_transport (self->txns)),
                         NULL, self->cancel, on_call_located, g_object_ref (self));
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
        bell_sip_call_end (self, 0, error->message);
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
  self->local_contact = bell_sip_call_contact_toward (self, first->transport, first->address);
  /* After a redirect: the same offer, and the CSeq already moved on. */
  if (!self->local_sdp)
    {
      self->local_hold = self->want_hold;
      self->local_sdp = self->sdp.create_offer (self->local_hold, self->sdp.user_data);
    }
  if (!self->invite_cseq)
    self->invite_cseq = (guint32) g_random_int_range (1, 1 << 16);
  invite = build_invite (self, &error);
  if (!invite)
    {
      bell_sip_call_end (self, 0, error->message);
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
  bell_sip_call_set_state (self, BELL_CALL_DIALING, 0, NULL);
  locate_next_hop (self);
}

gboolean
bell_sip_call_set_outbound_proxy (BellSipCall *self, const char *uri, GError **error)
{
  g_autoptr(BellSipUri) proxy = NULL;

  g_return_val_if_fail (BELL_IS_SIP_CALL (self) && self->outgoing, FALSE);
  proxy = bell_sip_uri_new (uri, error);
  if (!proxy)
    return FALSE;
  if (!bell_sip_uri_is_sip (proxy))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s”: an outbound proxy is a sip: or sips: address", uri);
      return FALSE;
    }
  g_clear_pointer (&self->proxy, bell_sip_uri_free);
  self->proxy = g_steal_pointer (&proxy);
  return TRUE;
}

/* Incoming */

void
bell_sip_call_answer (BellSipCall *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) ok = NULL;
  g_autoptr(BellSecret) offer = NULL;
  BellSipMsg *request;

  g_return_if_fail (BELL_IS_SIP_CALL (self));
  if (self->outgoing || self->state != BELL_CALL_INCOMING)
    return;
  request = bell_sip_transaction_get_request (self->invite);
  offer = bell_sip_call_body_of (request);
  /* An INVITE without SDP wants our offer in the 200 and its answer in the ACK (§13.2.1);
   * with one, our answer. */
  self->local_hold = self->want_hold;
  self->local_sdp = offer ? self->sdp.create_answer (offer, self->local_hold, self->sdp.user_data, &error)
                          : self->sdp.create_offer (self->local_hold, self->sdp.user_data);
  if (!self->local_sdp)
    {
      bell_sip_transaction_respond_status (self->invite, 488, NULL, self->local_tag);
      bell_sip_call_end (self, 488, error ? error->message : "no acceptable media");
      return;
    }
  self->answer_in_ack = !offer;
  self->remote_first_holds = offer && bell_sip_sdp_is_hold (offer);
  self->remote_sdp = g_steal_pointer (&offer);
  ok = bell_sip_msg_new_response_to (request, 200, NULL, self->local_tag);
  bell_sip_msg_add_headerf (ok, "Contact", NULL, "<%s>", self->local_contact);
  bell_sip_call_add_capabilities (ok);
  bell_sip_call_timer_answer (self, request, ok);
  bell_sip_msg_set_body (ok, "application/sdp", self->local_sdp, strlen (self->local_sdp));
  if (!bell_sip_call_send_ok (self, self->invite, ok, &error))
    {
      bell_sip_call_end (self, 0, error->message);
      return;
    }
  bell_sip_call_set_state (self, BELL_CALL_CONNECTED, 200, NULL);
}

void
bell_sip_call_reject (BellSipCall *self, guint status)
{
  g_return_if_fail (BELL_IS_SIP_CALL (self));
  if (self->outgoing || self->state != BELL_CALL_INCOMING)
    return;
  bell_sip_transaction_respond_status (self->invite, status, NULL, self->local_tag);
  bell_sip_call_end (self, status, status == 486 ? "busy" : "declined");
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
          bell_sip_call_end (self, 0, "cancelled");
        }
      break;
    case BELL_CALL_INCOMING:
      bell_sip_call_reject (self, 603);
      break;
    case BELL_CALL_CONNECTED:
      bell_sip_call_bye (self, NULL);
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

/* A request that is not ours to take in this state: the status for it, or 0. */
static guint
refuse_in_dialog (BellSipCall *self, BellSipMethod method)
{
  switch (method)
    {
    case BELL_SIP_METHOD_BYE:
    case BELL_SIP_METHOD_UPDATE:   /* RFC 3311: early dialogs too */
    case BELL_SIP_METHOD_OPTIONS:
    case BELL_SIP_METHOD_INFO:
      return 0;
    case BELL_SIP_METHOD_INVITE:
    case BELL_SIP_METHOD_REFER:
    case BELL_SIP_METHOD_NOTIFY:
      return self->state == BELL_CALL_CONNECTED ? 0 : 491;
    case BELL_SIP_METHOD_PRACK:
      return 481;   /* we send no reliable 1xx (RFC 3262 §3: nothing to acknowledge) */
    default:
      return 405;
    }
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
          bell_sip_call_end (self, 487, "cancelled by the caller");
        }
      return;
    }
  if (!self->dialog || self->state == BELL_CALL_ENDED)
    {
      bell_sip_transaction_respond_status (txn, 481, NULL, NULL);
      return;
    }
  check = bell_sip_dialog_receive_request (self->dialog, request);
  if (!check)
    check = refuse_in_dialog (self, method);
  if (check)
    {
      g_autoptr(BellSipMsg) refusal = bell_sip_msg_new_response_to (request, check, NULL, NULL);
      if (check == 405)
        bell_sip_msg_add_header (refusal, "Allow", BELL_CALL_ALLOW, NULL);
      bell_sip_transaction_respond (txn, refusal, NULL);
      return;
    }
  switch (method)
    {
    case BELL_SIP_METHOD_BYE:
      bell_sip_transaction_respond_status (txn, 200, NULL, NULL);
      if (self->state == BELL_CALL_INCOMING)
        bell_sip_transaction_respond_status (self->invite, 487, NULL, self->local_tag);
      bell_sip_call_end (self, 0, "the other side hung up");
      break;
    case BELL_SIP_METHOD_INVITE:
      bell_sip_call_modify_handle_invite (self, txn, request);
      break;
    case BELL_SIP_METHOD_UPDATE:
      bell_sip_call_modify_handle_update (self, txn, request);
      break;
    case BELL_SIP_METHOD_REFER:
      bell_sip_call_refer_handle_refer (self, txn, request);
      break;
    case BELL_SIP_METHOD_NOTIFY:
      bell_sip_call_refer_handle_notify (self, txn, request);
      break;
    case BELL_SIP_METHOD_INFO:
      {
        /* RFC 6086: INFO carries what its Content-Type says (DTMF relay from PBXes that have
         * no telephone-event); the core reads it. */
        gsize len = 0;
        const char *body = bell_sip_msg_peek_body (request, &len);
        const BellSipHeader *ct = bell_sip_msg_find (request, BELL_SIP_HDR_CONTENT_TYPE);
        g_autofree char *type = ct ? g_strdup_printf ("%.*s/%.*s", BELL_STR_PRINTF (ct->parsed.media_type->type),
                                                      BELL_STR_PRINTF (ct->parsed.media_type->subtype))
                                   : NULL;
        g_autofree char *text = body && len ? g_strndup (body, len) : NULL;
        bell_sip_transaction_respond_status (txn, 200, NULL, NULL);
        if (type && text)
          g_signal_emit (self, signals[SIGNAL_INFO], 0, type, text);
      }
      break;
    default:   /* OPTIONS */
      bell_sip_transaction_respond_status (txn, 200, NULL, NULL);
      break;
    }
}

void
bell_sip_call_handle_ack (BellSipCall *self, BellSipMsg *ack)
{
  if (!self->dialog || !bell_sip_dialog_matches (self->dialog, ack))
    return;
  bell_sip_dialog_receive_request (self->dialog, ack);
  if (self->ok && bell_sip_msg_get_cseq (ack)->seq == self->ok_cseq)
    {
      bell_sip_call_ok_acked (self);
      bell_sip_call_modify_handle_ack (self, ack);
    }
}

static void
on_fork_bye_done (BellSipCall *self, BellSipMsg *request, BellSipMsg *response,
                  const GError *error, gpointer data)
{
  bell_sip_call_end (self, 0, "another fork answered first");
}

void
bell_sip_call_handle_stray (BellSipCall *self, BellSipMsg *response)
{
  g_autoptr(GError) error = NULL;

  /* A retransmitted 2xx of our dialog: ACK it again. A 2xx of another fork: ACK and BYE it
   * (§13.2.2.4), with a call object of its own made just for that. */
  if (self->dialog && bell_sip_dialog_matches (self->dialog, response))
    {
      if (self->invite && bell_sip_msg_get_cseq (response)->seq == self->invite_cseq)
        bell_sip_call_send_ack (self, bell_sip_transaction_get_request (self->invite), NULL);
      return;
    }
  if (self->invite)
    {
      BellSipMsg *invite = bell_sip_transaction_get_request (self->invite);
      g_autoptr(BellSipDialog) fork = bell_sip_dialog_new_uac (invite, response, &error);
      if (fork)
        {
          g_autoptr(BellSipCall) other = g_object_new (BELL_TYPE_SIP_CALL, NULL);
          other->txns = g_object_ref (self->txns);
          other->clock = bell_clock_ref (self->clock);
          other->sdp = self->sdp;
          other->sdp.user_data = NULL;   /* self's session: other makes no SDP */
          other->sdp.destroy = NULL;
          other->outgoing = TRUE;
          other->state = BELL_CALL_CONNECTED;
          other->dialog = g_steal_pointer (&fork);
          bell_sip_call_send_ack (other, invite, NULL);
          bell_sip_call_send_request_in (other, NULL, BELL_SIP_METHOD_BYE, NULL, on_fork_bye_done,
                                         NULL, NULL);
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
  self->from = bell_str_dup (bell_sip_msg_get_to (request)->uri.text);
  self->local_contact = bell_sip_call_contact_toward (self, bell_sip_flow_get_kind (flow),
                                                      bell_sip_flow_get_remote (flow));
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

  self->sdp = *sdp;
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
  g_return_if_fail (BELL_IS_SIP_CALL (self));
  g_clear_pointer (&self->credentials, bell_sip_credentials_free);
  self->credentials = credentials;
}

typedef struct
{
  char *type;
  char *body;
} Info;

static void
info_free (Info *info)
{
  g_free (info->type);
  g_free (info->body);
  g_free (info);
}

static void
fill_info (BellSipCall *self, BellSipMsg *request, gpointer data)
{
  Info *info = data;

  bell_sip_msg_set_body (request, info->type, info->body, strlen (info->body));
}

gboolean
bell_sip_call_send_info (BellSipCall *self, const char *content_type, const char *body,
                         GError **error)
{
  Info *info;

  g_return_val_if_fail (BELL_IS_SIP_CALL (self), FALSE);
  if (self->state != BELL_CALL_CONNECTED || !self->dialog)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "the call is not connected");
      return FALSE;
    }
  info = g_new0 (Info, 1);
  info->type = g_strdup (content_type);
  info->body = g_strdup (body);
  bell_sip_call_send_request_in (self, NULL, BELL_SIP_METHOD_INFO, fill_info, NULL, info,
                                 (GDestroyNotify) info_free);
  return TRUE;
}

void
bell_sip_call_add_header (BellSipCall *self, const char *name, const char *value)
{
  g_return_if_fail (BELL_IS_SIP_CALL (self) && self->outgoing && !self->invite);
  if (!self->extra_headers)
    self->extra_headers = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->extra_headers, g_strdup (name));
  g_ptr_array_add (self->extra_headers, g_strdup (value));
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

gboolean
bell_sip_call_is_unreachable (BellSipCall *self)
{
  return self->unreachable;
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

gpointer
bell_sip_call_get_sdp_data (BellSipCall *self)
{
  return self->sdp.user_data;
}

const char *
bell_sip_call_get_local_uri (BellSipCall *self)
{
  return self->from;
}

BellSipCredentials *
bell_sip_call_get_credentials (BellSipCall *self)
{
  return self->credentials;
}

gboolean
bell_sip_call_get_hold (BellSipCall *self)
{
  return self->local_hold;
}

gboolean
bell_sip_call_get_remote_hold (BellSipCall *self)
{
  return self->remote_hold;
}

static void
bell_sip_call_dispose (GObject *object)
{
  BellSipCall *self = BELL_SIP_CALL (object);

  if (self->cancel)
    g_cancellable_cancel (self->cancel);
  if (self->clock)
    {
      bell_sip_call_ok_acked (self);
      bell_sip_call_modify_clear (self);
      bell_sip_call_timer_clear (self);
    }
  bell_sip_call_refer_clear (self);
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
  if (self->sdp.destroy)
    g_clear_pointer (&self->sdp.user_data, self->sdp.destroy);
  g_clear_pointer (&self->target, bell_sip_uri_free);
  g_clear_pointer (&self->proxy, bell_sip_uri_free);
  g_clear_pointer (&self->dialog, bell_sip_dialog_unref);
  g_clear_pointer (&self->targets, g_ptr_array_unref);
  g_clear_pointer (&self->extra_headers, g_ptr_array_unref);
  g_free (self->targets_uri);
  g_free (self->rseq_tag);
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
  bell_secret_free (self->local_sdp);    /* SDP: SRTP keys */
  bell_secret_free (self->remote_sdp);
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
  signals[SIGNAL_HOLD_CHANGED] = g_signal_new ("hold-changed", G_TYPE_FROM_CLASS (klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                               G_TYPE_NONE, 0);
  signals[SIGNAL_TRANSFER] = g_signal_new ("transfer", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT,
                                           G_TYPE_STRING);
  signals[SIGNAL_INFO] = g_signal_new ("info", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
                                       G_TYPE_STRING);
  signals[SIGNAL_REFER] = g_signal_new ("refer", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING,
                                        G_TYPE_STRING, G_TYPE_STRING);
}

static void
bell_sip_call_init (BellSipCall *self)
{
  self->id = (guint) g_atomic_int_add (&next_id, 1);
  self->cancel = g_cancellable_new ();
  self->local_tag = g_strdup_printf ("%08x%08x", g_random_int (), g_random_int ());
}
