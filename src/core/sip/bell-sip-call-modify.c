/* bell-sip-call-modify.c: changing a call that is up (RFC 3261 §14, RFC 3264 §8, RFC 3311):
 * hold and resume, a new Contact (target refresh), session refreshes, and glare (§14.1: two
 * re-INVITEs crossing each get 491, and each side tries again after a random wait). */
#define G_LOG_DOMAIN "bell-sip-call"

#include "bell-secret.h"
#include "bell-sip-call-private.h"

#include <string.h>

/* RFC 3264 §8.4 and the older c=0.0.0.0 form (RFC 2543): the first m= section, or the
 * session level above it, says the sender will not send to us. */
gboolean
bell_sip_sdp_is_hold (const char *sdp)
{
  g_auto(BellSecretStrv) lines = g_strsplit (sdp, "\n", -1);   /* a=crypto lines */
  gboolean in_media = FALSE, hold = FALSE, media_dir = FALSE, null_address = FALSE;

  for (guint i = 0; lines[i]; i++)
    {
      const char *l = g_strstrip (lines[i]);
      if (g_str_has_prefix (l, "m="))
        {
          if (in_media)
            break;   /* only the first stream */
          in_media = TRUE;
        }
      else if (g_str_equal (l, "a=sendonly") || g_str_equal (l, "a=inactive") ||
               g_str_equal (l, "a=sendrecv") || g_str_equal (l, "a=recvonly"))
        {
          /* A media-level direction overrides the session-level one (RFC 3264 §5.1). */
          if (in_media || !media_dir)
            hold = g_str_equal (l, "a=sendonly") || g_str_equal (l, "a=inactive");
          media_dir = media_dir || in_media;
        }
      else if (g_str_has_prefix (l, "c="))
        null_address = g_str_has_suffix (l, " 0.0.0.0");
    }
  return hold || null_address;
}

static void
set_remote_hold (BellSipCall *self, gboolean hold, gboolean *changed)
{
  if (self->remote_hold != hold)
    *changed = TRUE;
  self->remote_hold = hold;
}

static void
set_local_hold (BellSipCall *self, gboolean hold, gboolean *changed)
{
  if (self->local_hold != hold)
    *changed = TRUE;
  self->local_hold = hold;
}

/* Their offer (in a re-INVITE or UPDATE): our answer, or NULL when it is refused (488). */
static char *
answer_offer (BellSipCall *self, const char *offer, gboolean *changed, GError **error)
{
  char *answer = self->sdp.create_answer (offer, self->want_hold, self->sdp.user_data, error);

  if (!answer)
    return NULL;
  bell_secret_free (self->remote_sdp);
  self->remote_sdp = g_strdup (offer);
  bell_secret_free (self->local_sdp);
  self->local_sdp = g_strdup (answer);
  /* A peer whose every offer is inactive (a signalling-only one) is not holding us. */
  set_remote_hold (self, bell_sip_sdp_is_hold (offer) && !self->remote_first_holds, changed);
  set_local_hold (self, self->want_hold, changed);
  return answer;
}

static void
refuse (BellSipTransaction *txn, BellSipMsg *request, guint status, gboolean retry_after)
{
  g_autoptr(BellSipMsg) response = bell_sip_msg_new_response_to (request, status, NULL, NULL);

  /* §14.2: "try again later" for an INVITE that arrives while one is still being set up. */
  if (retry_after)
    bell_sip_msg_add_headerf (response, "Retry-After", NULL, "%u", g_random_int_range (0, 11));
  bell_sip_transaction_respond (txn, response, NULL);
}

void
bell_sip_call_modify_handle_invite (BellSipCall *self, BellSipTransaction *txn, BellSipMsg *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) ok = NULL;
  g_autoptr(BellSecret) offer = bell_sip_call_body_of (request);
  g_autoptr(BellSecret) sdp = NULL;
  gboolean changed = FALSE;

  /* §14.2: our own re-INVITE is pending: glare. */
  if (self->modifying)
    {
      refuse (txn, request, 491, FALSE);
      return;
    }
  /* The last INVITE's offer/answer is not finished (its ACK has not come). */
  if (self->ok || self->answer_in_ack)
    {
      refuse (txn, request, 500, TRUE);
      return;
    }
  if (bell_sip_call_refuse_short_session (txn, request))
    return;
  if (offer)
    {
      sdp = answer_offer (self, offer, &changed, &error);
      if (!sdp)
        {
          /* The session stays as it was (§14.2). */
          g_message ("call %u: re-INVITE refused: %s", self->id, error->message);
          refuse (txn, request, 488, FALSE);
          return;
        }
    }
  else
    {
      /* An offerless re-INVITE: we offer in the 200, the answer comes in the ACK. Peers send
       * it to take a call off hold (they let us choose). */
      sdp = self->sdp.create_offer (self->want_hold, self->sdp.user_data);
      bell_secret_free (self->local_sdp);
      self->local_sdp = g_strdup (sdp);
      set_local_hold (self, self->want_hold, &changed);
      self->answer_in_ack = TRUE;
    }
  ok = bell_sip_msg_new_response_to (request, 200, NULL, NULL);
  bell_sip_msg_add_headerf (ok, "Contact", NULL, "<%s>", self->local_contact);
  bell_sip_call_add_capabilities (ok);
  bell_sip_call_timer_answer (self, request, ok);
  bell_sip_msg_set_body (ok, "application/sdp", sdp, strlen (sdp));
  if (!bell_sip_call_send_ok (self, txn, ok, &error))
    g_message ("call %u: 200 to the re-INVITE not sent: %s", self->id, error->message);
  if (changed)
    bell_sip_call_emit_hold_changed (self);
}

void
bell_sip_call_modify_handle_ack (BellSipCall *self, BellSipMsg *ack)
{
  g_autoptr(BellSecret) answer = NULL;
  g_autoptr(GError) error = NULL;
  gboolean changed = FALSE;

  if (self->answer_in_ack)
    {
      self->answer_in_ack = FALSE;
      answer = bell_sip_call_body_of (ack);
      if (!answer)
        {
          /* RFC 3261 §13.2.2.4 wants the answer here; some PBXes (Asterisk's test suite
           * expects it) leave it out. Dropping the call for it helps no one: the session we
           * had goes on. */
          g_message ("call %u: the ACK carries no answer to our offer: keeping the session as it was",
                     self->id);
          /* An offerless re-INVITE is how peers take a call off hold: take it so. */
          set_remote_hold (self, FALSE, &changed);
          if (changed)
            bell_sip_call_emit_hold_changed (self);
          bell_sip_call_modify_sync (self);
          return;
        }
      if (!self->sdp.apply_answer (answer, self->sdp.user_data, &error))
        {
          /* We cannot use the session the ACK describes: end it (§13.3.1.4). */
          g_message ("call %u: the answer in the ACK is unusable: %s", self->id, error->message);
          bell_sip_call_hangup (self);
          return;
        }
      bell_secret_free (self->remote_sdp);
      self->remote_sdp = g_strdup (answer);
      /* Our offer said what we send; if the answer stops sending to an offer that did not
       * ask it to, the peer holds us. */
      set_remote_hold (self, bell_sip_sdp_is_hold (answer) && !bell_sip_sdp_is_hold (self->local_sdp),
                       &changed);
      if (changed)
        bell_sip_call_emit_hold_changed (self);
    }
  bell_sip_call_modify_sync (self);
}

void
bell_sip_call_modify_handle_update (BellSipCall *self, BellSipTransaction *txn, BellSipMsg *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) ok = NULL;
  g_autoptr(BellSecret) offer = bell_sip_call_body_of (request);
  g_autoptr(BellSecret) sdp = NULL;
  gboolean changed = FALSE;

  /* RFC 3311 §5.2: an offer of ours is outstanding. */
  if (offer && (self->modifying || self->answer_in_ack))
    {
      refuse (txn, request, 491, FALSE);
      return;
    }
  if (bell_sip_call_refuse_short_session (txn, request))
    return;
  if (offer && !(sdp = answer_offer (self, offer, &changed, &error)))
    {
      g_message ("call %u: UPDATE refused: %s", self->id, error->message);
      refuse (txn, request, 488, FALSE);
      return;
    }
  ok = bell_sip_msg_new_response_to (request, 200, NULL, NULL);
  bell_sip_msg_add_headerf (ok, "Contact", NULL, "<%s>", self->local_contact);
  bell_sip_call_timer_answer (self, request, ok);
  if (sdp)
    bell_sip_msg_set_body (ok, "application/sdp", sdp, strlen (sdp));
  bell_sip_transaction_respond (txn, ok, NULL);
  if (changed)
    bell_sip_call_emit_hold_changed (self);
}

/* Our re-INVITE */

typedef struct
{
  gboolean hold;
  char    *offer;
} Reinvite;

static void
reinvite_free (Reinvite *r)
{
  g_free (r->offer);
  g_free (r);
}

static void
fill_reinvite (BellSipCall *self, BellSipMsg *request, gpointer data)
{
  Reinvite *r = data;

  bell_sip_call_add_capabilities (request);
  bell_sip_call_timer_refresh_headers (self, request);
  bell_sip_msg_set_body (request, "application/sdp", r->offer, strlen (r->offer));
}

static void
on_glare_over (gpointer data)
{
  BellSipCall *self = data;

  self->glare_timer = 0;
  bell_sip_call_modify_sync (self);
}

static void
on_reinvite_done (BellSipCall *self, BellSipMsg *request, BellSipMsg *response,
                  const GError *error, gpointer data)
{
  Reinvite *r = data;
  guint status = response ? bell_sip_msg_get_status (response) : 408;
  g_autoptr(GError) sdp_error = NULL;
  g_autoptr(BellSecret) answer = NULL;
  gboolean changed = FALSE;

  self->modifying = FALSE;
  if (self->state != BELL_CALL_CONNECTED)
    return;
  if (status < 300)
    {
      answer = bell_sip_call_body_of (response);
      bell_sip_call_send_ack (self, request, NULL);
      if (!answer || !self->sdp.apply_answer (answer, self->sdp.user_data, &sdp_error))
        {
          g_message ("call %u: unusable answer to our re-INVITE: %s", self->id,
                     sdp_error ? sdp_error->message : "no SDP");
          bell_sip_call_hangup (self);
          return;
        }
      bell_secret_free (self->local_sdp);
      self->local_sdp = g_strdup (r->offer);
      bell_secret_free (self->remote_sdp);
      self->remote_sdp = g_steal_pointer (&answer);
      set_local_hold (self, r->hold, &changed);
      bell_sip_call_timer_from_response (self, response);
      if (changed)
        bell_sip_call_emit_hold_changed (self);
      bell_sip_call_modify_sync (self);
      return;
    }
  if (status == 491)
    {
      /* §14.1: the owner of the Call-ID (who sent the first INVITE) waits 2.1-4 s, the other
       * 0-2 s, in units of 10 ms, so the two tries do not cross again. */
      guint wait_ms = self->outgoing ? 10 * (guint) g_random_int_range (210, 401)
                                     : 10 * (guint) g_random_int_range (0, 201);
      g_message ("call %u: re-INVITE crossed the peer's (491): again in %u ms", self->id, wait_ms);
      self->glare_timer = bell_clock_schedule (self->clock, wait_ms, on_glare_over, self, NULL);
      return;
    }
  if (status == 481 || status == 408)
    {
      /* §14.1, §12.2.1.2: the dialog is gone (or the peer is). */
      if (status == 481)
        bell_sip_call_end (self, status, "the peer no longer knows this call");
      else
        bell_sip_call_hangup (self);
      return;
    }
  /* Any other refusal leaves the session as it was (§14.1); so is what we asked for. */
  g_message ("call %u: re-INVITE refused: %u", self->id, status);
  self->want_hold = self->local_hold;
  bell_sip_call_emit_hold_changed (self);
}

void
bell_sip_call_modify_sync (BellSipCall *self)
{
  Reinvite *r;

  if (self->state != BELL_CALL_CONNECTED || self->modifying || self->glare_timer ||
      self->answer_in_ack || self->ok || !self->dialog)
    return;
  if (self->want_hold == self->local_hold && !self->want_refresh)
    return;
  self->want_refresh = FALSE;
  self->modifying = TRUE;
  r = g_new0 (Reinvite, 1);
  r->hold = self->want_hold;
  r->offer = self->sdp.create_offer (r->hold, self->sdp.user_data);
  bell_sip_call_send_request_in (self, NULL, BELL_SIP_METHOD_INVITE, fill_reinvite,
                                 on_reinvite_done, r, (GDestroyNotify) reinvite_free);
}

void
bell_sip_call_hold (BellSipCall *self, gboolean hold)
{
  g_return_if_fail (BELL_IS_SIP_CALL (self));
  self->want_hold = hold;
  bell_sip_call_modify_sync (self);
}

void
bell_sip_call_refresh_contact (BellSipCall *self)
{
  const BellSipTarget *target;
  g_autofree char *contact = NULL;

  g_return_if_fail (BELL_IS_SIP_CALL (self));
  if (self->state != BELL_CALL_CONNECTED || !self->targets || !self->targets->len)
    return;
  target = self->targets->pdata[0];
  contact = bell_sip_call_contact_toward (self, target->kind, target->address);
  /* The peer is located again too: the way there may have changed with the network. */
  g_clear_pointer (&self->targets, g_ptr_array_unref);
  g_clear_pointer (&self->targets_uri, g_free);
  if (g_strcmp0 (contact, self->local_contact) == 0)
    return;
  g_message ("call %u: our address is now %s", self->id, contact);
  g_free (self->local_contact);
  self->local_contact = g_steal_pointer (&contact);
  bell_sip_dialog_set_local_contact (self->dialog, self->local_contact);
  self->want_refresh = TRUE;
  bell_sip_call_modify_sync (self);
}

void
bell_sip_call_modify_clear (BellSipCall *self)
{
  bell_clock_clear (self->clock, &self->glare_timer);
}
