/* bell-sip-transaction.h: client and server transactions (RFC 3261 §17, RFC 6026).
 *
 * BellSipTransactions sits on a BellSipTransport: it matches every received message to its
 * transaction, runs the retransmission and timeout timers on a BellClock, absorbs
 * retransmissions, and hands the transaction user (dialogs, registration, OPTIONS) only what
 * it must act on. Everything runs on the transport's main context.
 */
#pragma once

#include <gio/gio.h>
#include "bell-clock.h"
#include "bell-sip-msg.h"
#include "bell-sip-transport.h"

G_BEGIN_DECLS

typedef enum
{
  BELL_SIP_TXN_CALLING,      /* INVITE client: request sent, nothing back yet */
  BELL_SIP_TXN_TRYING,       /* non-INVITE: request sent / received */
  BELL_SIP_TXN_PROCEEDING,   /* a provisional response */
  BELL_SIP_TXN_COMPLETED,    /* a final response; absorbing retransmissions */
  BELL_SIP_TXN_CONFIRMED,    /* INVITE server: ACK for a non-2xx received */
  BELL_SIP_TXN_ACCEPTED,     /* INVITE, RFC 6026: a 2xx passed; more 2xx / INVITEs absorbed */
  BELL_SIP_TXN_TERMINATED,
} BellSipTxnState;

const char *bell_sip_txn_state_to_string (BellSipTxnState state);

/* Timer values (§17.1.1.1); tests may shorten them, the defaults are the RFC's. */
typedef struct
{
  guint t1_ms;   /* 500 */
  guint t2_ms;   /* 4000 */
  guint t4_ms;   /* 5000 */
} BellSipTimers;

typedef struct _BellSipTransaction BellSipTransaction;

#define BELL_TYPE_SIP_TRANSACTIONS (bell_sip_transactions_get_type ())
G_DECLARE_FINAL_TYPE (BellSipTransactions, bell_sip_transactions, BELL, SIP_TRANSACTIONS, GObject)

BellSipTransactions *bell_sip_transactions_new (BellSipTransport *transport, BellClock *clock);
void                 bell_sip_transactions_set_timers (BellSipTransactions *self,
                                                       const BellSipTimers *timers);
BellSipTransport    *bell_sip_transactions_get_transport (BellSipTransactions *self);
BellClock           *bell_sip_transactions_get_clock     (BellSipTransactions *self);
guint                bell_sip_transactions_get_count     (BellSipTransactions *self);

/* A client transaction reports every response it passes up, then a final NULL response with
 * an error when it ended without a final response (timeout: BELL_SIP_TXN_ERROR_TIMEOUT, or
 * the transport's error). For INVITE, every 2xx is passed up (forking). */
typedef void (*BellSipResponseFunc) (BellSipTransaction *txn, BellSipMsg *response,
                                     const GError *error, gpointer user_data);

#define BELL_SIP_TXN_ERROR (bell_sip_txn_error_quark ())
GQuark bell_sip_txn_error_quark (void);

typedef enum
{
  BELL_SIP_TXN_ERROR_TIMEOUT,     /* Timer B or F: 408 in the terms of §8.1.3.1 */
  BELL_SIP_TXN_ERROR_TRANSPORT,   /* every target failed: 503 in the terms of §8.1.3.1 */
  BELL_SIP_TXN_ERROR_CANCELLED,
} BellSipTxnError;

/* Starts a client transaction: sends request to the first target, and to the next one when a
 * target fails at the transport or times out before any response (RFC 3263 §4.3). targets
 * holds BellSipTarget copies (see bell_sip_target_copy); the request gains its Via. */
BellSipTransaction *bell_sip_transactions_send (BellSipTransactions *self, BellSipMsg *request,
                                                GPtrArray *targets, BellSipResponseFunc func,
                                                gpointer user_data, GDestroyNotify destroy);
/* Sends a request on a known flow (an in-dialog request over the dialog's connection). */
BellSipTransaction *bell_sip_transactions_send_on_flow (BellSipTransactions *self,
                                                        BellSipMsg *request, BellSipFlow *flow,
                                                        BellSipResponseFunc func,
                                                        gpointer user_data,
                                                        GDestroyNotify destroy);

/* §9.1: CANCELs the INVITE of client transaction invite (which must have had a provisional
 * response): the CANCEL copies its Request-URI, Call-ID, From, To, CSeq number, Route and top
 * Via, goes on the same flow, and is a transaction of its own. NULL with an error when the
 * INVITE cannot be cancelled (no provisional response yet, or already final). */
BellSipTransaction *bell_sip_transactions_cancel (BellSipTransactions *self,
                                                  BellSipTransaction *invite,
                                                  BellSipResponseFunc func, gpointer user_data,
                                                  GDestroyNotify destroy, GError **error);
/* The server transaction of the INVITE a received CANCEL is for (§9.2), or NULL. */
BellSipTransaction *bell_sip_transactions_find_invite (BellSipTransactions *self,
                                                       BellSipMsg *cancel);

/* Server side: "request" (BellSipTransaction *txn, BellSipMsg *request) is emitted for each new
 * request (not for retransmissions, and not for an ACK to a non-2xx, which the transaction
 * absorbs). An ACK for a 2xx has no transaction: it comes as "ack" (BellSipMsg, BellSipFlow).
 * A 2xx to an INVITE whose client transaction is gone (a retransmission, or another fork) comes
 * as "stray-response" (BellSipMsg, BellSipFlow) so the dialog layer can ACK it again.
 * The user answers with bell_sip_transaction_respond(). */
gboolean    bell_sip_transaction_respond      (BellSipTransaction *txn, BellSipMsg *response,
                                               GError **error);
/* Builds and sends a response with the right copied headers in one go. */
gboolean    bell_sip_transaction_respond_status (BellSipTransaction *txn, guint status,
                                                 const char *reason, const char *to_tag);

/* The incoming-call policy: asked about each new INVITE that would start a dialog (no To
 * tag), before any transaction exists for it. REFUSE answers 403 without keeping any state (a
 * flood of them costs only the answers); IGNORE drops it unanswered. Both are counted by the
 * transport's guard (BELL_SIP_LIMIT_POLICY). Requests with a scanner's signature from an
 * untrusted source are dropped before this is asked. */
typedef enum
{
  BELL_SIP_SCREEN_ACCEPT,
  BELL_SIP_SCREEN_REFUSE,
  BELL_SIP_SCREEN_IGNORE,
} BellSipScreen;

typedef BellSipScreen (*BellSipScreenFunc) (BellSipMsg *request, BellSipFlow *flow,
                                            gpointer user_data);
void bell_sip_transactions_set_screen (BellSipTransactions *self, BellSipScreenFunc func,
                                       gpointer user_data);

BellSipTransaction *bell_sip_transaction_ref   (BellSipTransaction *txn);
void                bell_sip_transaction_unref (BellSipTransaction *txn);
BellSipTxnState     bell_sip_transaction_get_state   (BellSipTransaction *txn);
BellSipMsg         *bell_sip_transaction_get_request (BellSipTransaction *txn);
BellSipFlow        *bell_sip_transaction_get_flow    (BellSipTransaction *txn);
gboolean            bell_sip_transaction_is_client   (BellSipTransaction *txn);
/* Client: stop reporting to the user (the user is going away); timers still run. */
void                bell_sip_transaction_detach      (BellSipTransaction *txn);
/* The last response this transaction sent or received, or NULL. */
BellSipMsg         *bell_sip_transaction_get_last_response (BellSipTransaction *txn);

BellSipTarget *bell_sip_target_copy (const BellSipTarget *target);
void           bell_sip_target_free (BellSipTarget *target);
/* The BellSipTarget list for bell_sip_transactions_send() from what bell_sip_locate_finish()
 * gave (BellSipLocateTarget), in order. */
GPtrArray     *bell_sip_targets_from_located (GPtrArray *located);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellSipTransaction, bell_sip_transaction_unref)

G_END_DECLS
