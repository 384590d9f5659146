/* bell-sip-call-private.h: what the files of one call share.
 *
 * A call is one object spread over files by purpose: bell-sip-call.c (the INVITE that sets it
 * up, CANCEL, BYE, dispatch), -send.c (requests, ACKs and 2xx within the dialog), -modify.c
 * (re-INVITE and UPDATE: hold, resume, target refresh, glare), -timer.c (session timers,
 * RFC 4028), -prack.c (reliable provisional responses, RFC 3262) and -refer.c (transfer:
 * REFER, NOTIFY, Replaces). Nothing outside those files includes this.
 */
#pragma once

#include "bell-sip-call.h"
#include "bell-clock.h"

G_BEGIN_DECLS

/* What we put in Allow and Supported of every INVITE and its answers: 100rel only in requests
 * (we PRACK reliable provisional responses, but send none). */
#define BELL_CALL_ALLOW         "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, PRACK, REFER, NOTIFY, INFO"
#define BELL_CALL_SUPPORTED     "100rel, replaces, timer, norefersub"
#define BELL_CALL_SUPPORTED_UAS "replaces, timer, norefersub"

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
  gboolean             unreachable;  /* the INVITE never reached a SIP peer (transport failure) */

  char                *peer;           /* the URI we call, or the caller's From URI */
  char                *request_uri;    /* outgoing: peer, or where a 3xx sent us */
  guint                redirects;      /* outgoing: 3xx followed so far */
  char                *from;           /* our From URI when we call; the To we were called at */
  BellSipUri          *target;         /* outgoing: parsed peer */
  BellSipUri          *proxy;          /* outgoing: the account's outbound proxy, or NULL: the
                                        * INVITE goes there with a Route to it (§8.1.2) */
  BellSipTransportKind transport;
  char                *call_id;
  char                *local_tag;
  char                *local_contact;
  char                *local_sdp;
  char                *remote_sdp;
  GPtrArray           *extra_headers;  /* outgoing: "Name\0value" pairs for the INVITE */

  BellSipTransaction  *invite;         /* client or server INVITE transaction */
  BellSipDialog       *dialog;
  GPtrArray           *targets;        /* BellSipTarget: where in-dialog requests go */
  char                *targets_uri;    /* the next hop those targets were located for */
  GPtrArray           *invite_targets; /* outgoing: where the INVITE (and its retries) go */
  BellSipCredentials  *credentials;    /* answers 401/407 (NULL: no password) */
  guint32              invite_cseq;
  gboolean             cancel_pending; /* hung up before a provisional response */
  gboolean             answered_early; /* outgoing: a reliable 1xx carried the SDP answer */
  GCancellable        *cancel;

  /* bell-sip-call-send.c: our 2xx, retransmitted until the ACK (§13.3.1.4) */
  BellSipMsg          *ok;
  BellSipFlow         *ok_flow;
  guint32              ok_cseq;        /* the CSeq of the INVITE it answers */
  guint                ok_timer;
  guint                ok_interval_ms;
  guint                ok_elapsed_ms;

  /* bell-sip-call-modify.c */
  gboolean             want_hold;      /* what the user asked for */
  gboolean             local_hold;     /* what the last offer/answer we made says */
  gboolean             remote_hold;    /* the peer put us on hold */
  gboolean             remote_first_holds; /* the peer's first SDP was already not sending */
  gboolean             want_refresh;   /* a re-INVITE is owed (new Contact, session refresh) */
  gboolean             modifying;      /* our re-INVITE is waiting for its answer */
  guint                glare_timer;    /* §14.1: when to try again after a 491 */
  gboolean             answer_in_ack;  /* we offered in a 2xx: the answer comes in the ACK */

  /* bell-sip-call-timer.c */
  guint                session_expires; /* seconds; 0: no session timer */
  gboolean             we_refresh;
  guint                session_timer;
  guint                min_se;          /* what a 422 asked of our INVITE; 0: none */

  /* bell-sip-call-prack.c */
  guint32              last_rseq;
  char                *rseq_tag;        /* the early dialog last_rseq belongs to */

  /* bell-sip-call-refer.c */
  BellSipCall         *refer_child;     /* the call a REFER we took made; NOTIFYs report it */
  guint32              refer_cseq;      /* that REFER's CSeq: the id of its subscription */
  guint                refer_notified;  /* the last status we NOTIFYed */
  gboolean             transferring;    /* our REFER is out: NOTIFYs tell how it goes */
  gboolean             transfer_accepted; /* its 202 (or a first NOTIFY) was reported */
};

/* bell-sip-call.c */
void  bell_sip_call_set_state (BellSipCall *self, BellCallState state, guint code,
                               const char *reason);
void  bell_sip_call_end       (BellSipCall *self, guint code, const char *reason);
void  bell_sip_call_emit_hold_changed (BellSipCall *self);
void  bell_sip_call_emit_transfer     (BellSipCall *self, guint status, const char *reason);
void  bell_sip_call_emit_refer        (BellSipCall *self, const char *uri, const char *replaces,
                                       const char *referred_by);
/* The SDP body of msg, or NULL. */
char *bell_sip_call_body_of   (BellSipMsg *msg);
/* Adds Allow and Supported to a request or response of the INVITE usage. */
void  bell_sip_call_add_capabilities (BellSipMsg *msg);

/* bell-sip-call-send.c */
/* Our Contact toward dest: where the peer reaches us in this dialog. */
char *bell_sip_call_contact_toward (BellSipCall *self, BellSipTransportKind kind,
                                    GInetSocketAddress *dest);
/* Sends a 2xx to an INVITE (first or re-) and retransmits it until the ACK (§13.3.1.4). */
gboolean bell_sip_call_send_ok (BellSipCall *self, BellSipTransaction *txn, BellSipMsg *ok,
                                GError **error);
/* The ACK came (or the call ends): stop retransmitting the 2xx. */
void  bell_sip_call_ok_acked (BellSipCall *self);

/* Requests in a dialog (NULL: the call's): built by the dialog (next CSeq), completed by fill
 * (body, headers), sent where the dialog says (located once per next hop), and sent again
 * with our credentials when challenged (401/407). done gets the final response (NULL with an
 * error when none came) and the request as last sent; data lives until the last
 * transaction is gone (destroy). */
typedef void (*BellSipCallDone) (BellSipCall *self, BellSipMsg *request, BellSipMsg *response,
                                 const GError *error, gpointer data);
typedef void (*BellSipCallFill) (BellSipCall *self, BellSipMsg *request, gpointer data);
void  bell_sip_call_send_request_in (BellSipCall *self, BellSipDialog *dialog,
                                     BellSipMethod method, BellSipCallFill fill,
                                     BellSipCallDone done, gpointer data,
                                     GDestroyNotify destroy);
/* The ACK for a 2xx to invite, our INVITE or re-INVITE as sent (its CSeq and credentials,
 * §13.2.2.4); body: the SDP answer when the 2xx held the offer, or NULL. */
void  bell_sip_call_send_ack (BellSipCall *self, BellSipMsg *invite, const char *body);

/* bell-sip-call-modify.c */
void  bell_sip_call_modify_handle_invite (BellSipCall *self, BellSipTransaction *txn,
                                          BellSipMsg *request);
void  bell_sip_call_modify_handle_update (BellSipCall *self, BellSipTransaction *txn,
                                          BellSipMsg *request);
/* The ACK of a 2xx we sent to a re-INVITE (or the first INVITE): it may carry the answer. */
void  bell_sip_call_modify_handle_ack    (BellSipCall *self, BellSipMsg *ack);
/* Sends a re-INVITE if what we want (hold, a refresh) differs from what the session has. */
void  bell_sip_call_modify_sync          (BellSipCall *self);
/* Is the first media stream of sdp not sending to us (sendonly, inactive, c=0.0.0.0)? */
gboolean bell_sip_sdp_is_hold            (const char *sdp);
void  bell_sip_call_modify_clear         (BellSipCall *self);

/* bell-sip-call-timer.c */
/* Adds Session-Expires (and Min-SE after a 422) to our INVITE. */
void  bell_sip_call_timer_offer          (BellSipCall *self, BellSipMsg *invite);
/* A 422 to our INVITE: TRUE when the INVITE may go again with the interval it asks. */
gboolean bell_sip_call_timer_handle_422  (BellSipCall *self, BellSipMsg *response);
/* A 2xx to our INVITE, re-INVITE or UPDATE: start (or restart, or stop) the timer it
 * negotiates (RFC 4028 §7.2). */
void  bell_sip_call_timer_from_response  (BellSipCall *self, BellSipMsg *response);
/* Our 2xx to that request: Session-Expires (and Require: timer) as RFC 4028 §9 says, and the
 * timer restarted. */
void  bell_sip_call_timer_answer         (BellSipCall *self, BellSipMsg *request, BellSipMsg *ok);
/* Session-Expires for a refresh we send (a re-INVITE): the interval and who refreshes. */
void  bell_sip_call_timer_refresh_headers (BellSipCall *self, BellSipMsg *request);
void  bell_sip_call_timer_clear          (BellSipCall *self);

/* bell-sip-call-prack.c */
/* A 1xx to our INVITE: PRACK it when it is reliable (RFC 3262 §4). FALSE when it is a copy
 * of one already PRACKed, to be ignored. */
gboolean bell_sip_call_prack_provisional (BellSipCall *self, BellSipMsg *response);

/* bell-sip-call-refer.c */
void  bell_sip_call_refer_handle_refer  (BellSipCall *self, BellSipTransaction *txn,
                                         BellSipMsg *request);
void  bell_sip_call_refer_handle_notify (BellSipCall *self, BellSipTransaction *txn,
                                         BellSipMsg *request);
void  bell_sip_call_refer_clear         (BellSipCall *self);

G_END_DECLS
