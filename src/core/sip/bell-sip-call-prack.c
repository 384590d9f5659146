/* bell-sip-call-prack.c: reliable provisional responses as the caller (RFC 3262). A PBX that
 * plays early media (announcements, ringback) often sends its 183 with Require: 100rel and the
 * SDP answer in it; each such 1xx is acknowledged with a PRACK in its early dialog. */
#define G_LOG_DOMAIN "bell-sip-call"

#include "bell-secret.h"
#include "bell-sip-call-private.h"

#include <string.h>

typedef struct
{
  guint32 rseq;
  guint32 cseq;
} Rack;

static void
fill_prack (BellSipCall *self, BellSipMsg *request, gpointer data)
{
  Rack *rack = data;

  bell_sip_msg_add_headerf (request, "RAck", NULL, "%u %u INVITE", rack->rseq, rack->cseq);
}

static void
on_prack_done (BellSipCall *self, BellSipMsg *request, BellSipMsg *response, const GError *error,
               gpointer data)
{
  if (!response || bell_sip_msg_get_status (response) >= 300)
    g_message ("call %u: PRACK not taken: %s", self->id,
               response ? "refused" : error ? error->message : "no answer");
}

gboolean
bell_sip_call_prack_provisional (BellSipCall *self, BellSipMsg *response)
{
  const BellSipNameAddr *to = bell_sip_msg_get_to (response);
  g_autoptr(BellSipDialog) fork = NULL;
  g_autofree char *tag = NULL;
  g_autoptr(BellSecret) answer = NULL;
  BellSipMsg *invite = bell_sip_transaction_get_request (self->invite);
  BellSipDialog *dialog;
  guint64 rseq;
  Rack *rack;

  if (!bell_sip_msg_has_token (response, BELL_SIP_HDR_REQUIRE, "100rel"))
    return TRUE;
  /* §7.1: without RSeq it cannot be acknowledged; without a To tag there is no dialog. */
  if (!bell_sip_msg_get_number (response, BELL_SIP_HDR_RSEQ, &rseq) || !bell_str_is_set (to->tag))
    {
      g_message ("call %u: a reliable %u without RSeq or To tag: not acknowledged", self->id,
                 bell_sip_msg_get_status (response));
      return TRUE;
    }
  tag = bell_str_dup (to->tag);
  /* §4: a copy of one acknowledged already (its PRACK was lost or is on its way): the PRACK
   * transaction retransmits by itself. */
  if (g_strcmp0 (tag, self->rseq_tag) == 0 && rseq <= self->last_rseq)
    return FALSE;
  g_free (self->rseq_tag);
  self->rseq_tag = g_steal_pointer (&tag);
  self->last_rseq = (guint32) rseq;

  if (self->dialog && bell_sip_dialog_matches (self->dialog, response))
    dialog = self->dialog;
  else
    dialog = fork = bell_sip_dialog_new_uac (invite, response, NULL);
  if (!dialog)
    return TRUE;
  /* The SDP answer in a reliable 1xx is the answer (§5); the 2xx may then carry none. */
  answer = bell_sip_call_body_of (response);
  if (answer && dialog == self->dialog)
    {
      g_autoptr(GError) error = NULL;
      if (self->sdp.apply_answer (answer, self->sdp.user_data, &error))
        {
          bell_secret_free (self->remote_sdp);
          self->remote_sdp = g_steal_pointer (&answer);
          self->answered_early = TRUE;
        }
      else
        g_message ("call %u: unusable answer in the %u: %s", self->id,
                   bell_sip_msg_get_status (response), error->message);
    }
  rack = g_new0 (Rack, 1);
  rack->rseq = (guint32) rseq;
  rack->cseq = bell_sip_msg_get_cseq (invite)->seq;
  bell_sip_call_send_request_in (self, dialog, BELL_SIP_METHOD_PRACK, fill_prack, on_prack_done,
                                 rack, g_free);
  return TRUE;
}
