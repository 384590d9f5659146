/* bell-sip-call.h: one call, placed or received (RFC 3261 §13-§15: INVITE, ACK, CANCEL, BYE).
 *
 * A call owns its INVITE transaction and its dialog, and carries an SDP offer and answer that a
 * BellSipOfferAnswer makes (the media layer; until it exists, a signalling-only one that says
 * so in its SDP). Everything runs on the core thread.
 */
#pragma once

#include <gio/gio.h>
#include "bell-sip-auth.h"
#include "bell-sip-dialog.h"
#include "bell-sip-transaction.h"
#include "bell-sdp-negotiate.h"

G_BEGIN_DECLS

typedef enum
{
  BELL_CALL_DIALING,      /* outgoing, INVITE sent */
  BELL_CALL_RINGING,      /* outgoing, the callee is alerted (180/183) */
  BELL_CALL_INCOMING,     /* incoming, we ring */
  BELL_CALL_CONNECTED,
  BELL_CALL_ENDED,
} BellCallState;

const char *bell_call_state_to_string (BellCallState state);

/* Who makes the SDP. hold: we have put the call on hold, so our offer or answer must not ask
 * to receive (RFC 3264 §8.4: sendonly, or inactive). Strings returned are owned by the caller. */
typedef struct
{
  char    *(*create_offer)  (gboolean hold, gpointer user_data);
  /* NULL with an error: the offer is unacceptable (the call is refused with 488). */
  char    *(*create_answer) (const char *offer, gboolean hold, gpointer user_data,
                             GError **error);
  gboolean (*apply_answer)  (const char *answer, gpointer user_data, GError **error);
  gpointer   user_data;       /* one call's session: the call frees it with destroy */
  GDestroyNotify destroy;
  /* Optional: the call found our address toward the peer (for c= and o=), and whether the
   * signalling goes encrypted (TLS) there. */
  void     (*set_address)   (const char *address, gboolean secure, gpointer user_data);
  /* Optional: the peer refused our offer (488); TRUE when a weaker one can be made (SRTP
   * optional: the next offer goes without it). */
  gboolean (*weaken)        (gpointer user_data);
} BellSipOfferAnswer;

/* A call's offer/answer (bell-sip-offer-answer.c): a BellSdpNegotiator for local, which the
 * call owns (user_data). */
BellSipOfferAnswer bell_sip_offer_answer_new (const BellSdpLocal *local);
/* The same without media (no socket yet): valid SDP, every stream inactive (RFC 3264 §6.1),
 * c=0.0.0.0, audio on the first common of PCMU and PCMA. */
BellSipOfferAnswer bell_sip_sdp_interim_new (void);

#define BELL_TYPE_SIP_CALL (bell_sip_call_get_type ())
G_DECLARE_FINAL_TYPE (BellSipCall, bell_sip_call, BELL, SIP_CALL, GObject)

/* Calls uri (sip:, sips: or tel: via a registrar later) from from_uri (NULL: anonymous).
 * The call takes sdp's user_data (freed even when this fails). */
BellSipCall *bell_sip_call_new_outgoing (BellSipTransactions *txns, const char *uri,
                                         const char *from_uri, BellSipTransportKind transport,
                                         const BellSipOfferAnswer *sdp, GError **error);
/* Before bell_sip_call_start() (or, incoming, at once): answer 401/407 to our requests with
 * these (the call takes them). */
void         bell_sip_call_set_credentials (BellSipCall *self, BellSipCredentials *credentials);
/* Before bell_sip_call_start(): send the INVITE through this proxy (a sip: or sips: URI; a
 * loose router: ;lr is added) instead of straight to the callee. FALSE with an error when
 * it is not such a URI. */
gboolean     bell_sip_call_set_outbound_proxy (BellSipCall *self, const char *uri, GError **error);
/* Outgoing, before bell_sip_call_start(): a header for the INVITE (Replaces, Referred-By). */
void         bell_sip_call_add_header      (BellSipCall *self, const char *name, const char *value);
/* A new INVITE (no To tag): answers 180 Ringing at once. The call takes sdp's user_data. */
BellSipCall *bell_sip_call_new_incoming (BellSipTransactions *txns, BellSipTransaction *invite,
                                         const BellSipOfferAnswer *sdp);

void          bell_sip_call_start   (BellSipCall *self);   /* outgoing: send the INVITE */
void          bell_sip_call_answer  (BellSipCall *self);
/* Hangs up whatever the state: CANCEL, decline (603), or BYE. */
void          bell_sip_call_hangup  (BellSipCall *self);
/* Ends a connected call with a BYE; reason (NULL: "hung up") is what the user is told. */
void          bell_sip_call_bye     (BellSipCall *self, const char *reason);
/* Refuses an incoming call with status (486 busy, 603 decline ...). */
void          bell_sip_call_reject  (BellSipCall *self, guint status);
/* Puts a connected call on hold or takes it off (re-INVITE, RFC 3264 §8.4), now or as soon as
 * a pending offer/answer allows; "hold-changed" follows when the peer agreed. */
void          bell_sip_call_hold    (BellSipCall *self, gboolean hold);
/* Sends an INFO (RFC 6086) in the call's dialog: DTMF relay for peers without telephone-event. */
gboolean      bell_sip_call_send_info (BellSipCall *self, const char *content_type,
                                       const char *body, GError **error);
/* Our address changed (network): tell the peer the new Contact with a re-INVITE (§12.2). */
void          bell_sip_call_refresh_contact (BellSipCall *self);
/* Transfers a connected call (REFER, RFC 3515) to uri (blind), or, with replaces, to the peer
 * of that other call, which the transferee then replaces (attended, RFC 3891). "transfer"
 * signals follow; once the peer reports success the call is hung up. */
gboolean      bell_sip_call_transfer (BellSipCall *self, const char *uri, BellSipCall *replaces,
                                      GError **error);
/* The call our peer's REFER made us place (from the "refer" signal): its progress goes back
 * to the peer in NOTIFYs. NULL: it could not be placed. */
void          bell_sip_call_set_refer_child (BellSipCall *self, BellSipCall *child);
/* An INVITE with Replaces (RFC 3891 §3) names this call? (Call-ID, to-tag = our tag,
 * from-tag = theirs.) */
gboolean      bell_sip_call_is_replaced_by (BellSipCall *self, const char *replaces,
                                            gboolean *early_only);

/* An INVITE (new or re-) or UPDATE whose Session-Expires is below our minimum: TRUE when it
 * has been refused here (422 with Min-SE, RFC 4028 §8.1). */
gboolean      bell_sip_call_refuse_short_session (BellSipTransaction *txn, BellSipMsg *request);

/* From the core's dispatch: does msg belong to this call, and handle it. */
gboolean      bell_sip_call_matches        (BellSipCall *self, BellSipMsg *msg);
void          bell_sip_call_handle_request (BellSipCall *self, BellSipTransaction *txn,
                                            BellSipMsg *request);
void          bell_sip_call_handle_ack     (BellSipCall *self, BellSipMsg *ack);
void          bell_sip_call_handle_stray   (BellSipCall *self, BellSipMsg *response);

/* The call's INVITE transaction (client or server). */
BellSipTransaction *bell_sip_call_get_invite (BellSipCall *self);
guint         bell_sip_call_get_id        (BellSipCall *self);
gboolean      bell_sip_call_is_outgoing   (BellSipCall *self);
BellCallState bell_sip_call_get_state     (BellSipCall *self);
const char   *bell_sip_call_get_peer      (BellSipCall *self);
const char   *bell_sip_call_get_call_id   (BellSipCall *self);
/* Why it ended (or the last status), for the user: code 0 when no SIP status applies. */
guint         bell_sip_call_get_code      (BellSipCall *self);
const char   *bell_sip_call_get_reason    (BellSipCall *self);
/* Ended because the INVITE could not be delivered at all (nothing listens there, connection
 * refused): the code (503) is ours, not the peer's. */
gboolean      bell_sip_call_is_unreachable (BellSipCall *self);
const char   *bell_sip_call_get_remote_sdp (BellSipCall *self);
/* The offer/answer provider's user_data (the call's media). */
gpointer      bell_sip_call_get_sdp_data  (BellSipCall *self);
/* Our identity in the call: From when we called, the To we were called at otherwise. */
const char   *bell_sip_call_get_local_uri (BellSipCall *self);
BellSipCredentials *bell_sip_call_get_credentials (BellSipCall *self);
gboolean      bell_sip_call_get_hold        (BellSipCall *self);  /* we hold it */
gboolean      bell_sip_call_get_remote_hold (BellSipCall *self);  /* the peer holds it */

/* Signals:
 *   "changed" ()                    after every state change;
 *   "hold-changed" ()               our hold or the peer's changed;
 *   "transfer" (guint status, const char *reason)  our REFER's progress: 202 when taken, then
 *                                   what the NOTIFYs report; final at >= 200 (other than 202);
 *   "info" (const char *content_type, const char *body)  an INFO in the call (answered 200);
 *   "refer" (const char *uri, const char *replaces, const char *referred_by)  the peer asks us
 *                                   to call uri (replaces: a Replaces value or NULL); the
 *                                   handler places that call and gives it to
 *                                   bell_sip_call_set_refer_child(). */

G_END_DECLS
