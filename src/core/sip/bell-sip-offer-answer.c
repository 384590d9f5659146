/* bell-sip-offer-answer.c: a call's SDP made by its offer/answer negotiator (RFC 3264).
 *
 * The call layer sees offers and answers as text (BellSipOfferAnswer); the negotiator behind
 * it keeps the call's SDP session and what was agreed, for the media layer to use.
 */
#define G_LOG_DOMAIN "bell-sip-call"

#include "bell-sip-call.h"

static char *
make_offer (gboolean hold, gpointer user_data)
{
  return bell_sdp_negotiator_offer (user_data, hold);
}

static char *
make_answer (const char *offer, gboolean hold, gpointer user_data, GError **error)
{
  return bell_sdp_negotiator_answer (user_data, offer, hold, error);
}

static gboolean
take_answer (const char *answer, gpointer user_data, GError **error)
{
  return bell_sdp_negotiator_apply_answer (user_data, answer, error);
}

BellSipOfferAnswer
bell_sip_offer_answer_new (const BellSdpLocal *local)
{
  BellSipOfferAnswer oa = {
    make_offer, make_answer, take_answer, bell_sdp_negotiator_new (local),
    (GDestroyNotify) bell_sdp_negotiator_free, NULL, NULL,
  };

  return oa;
}

BellSipOfferAnswer
bell_sip_sdp_interim_new (void)
{
  BellSdpLocal none = { .address = "0.0.0.0" };

  return bell_sip_offer_answer_new (&none);
}
