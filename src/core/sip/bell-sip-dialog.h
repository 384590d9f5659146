/* bell-sip-dialog.h: dialogs (RFC 3261 §12): the state two user agents share for a call.
 *
 * A dialog is made from the INVITE (or SUBSCRIBE/REFER) that creates it and the response with
 * a To tag; it builds the requests sent within it (Request-URI and Route from the remote target
 * and route set, tags, CSeq) and checks the ones received (CSeq order, target refresh).
 */
#pragma once

#include <glib.h>
#include "bell-sip-msg.h"

G_BEGIN_DECLS

typedef enum
{
  BELL_SIP_DIALOG_EARLY,
  BELL_SIP_DIALOG_CONFIRMED,
  BELL_SIP_DIALOG_TERMINATED,
} BellSipDialogState;

typedef struct _BellSipDialog BellSipDialog;

/* §12.1.2: from our request and a 101-299 response carrying a To tag. */
BellSipDialog *bell_sip_dialog_new_uac (BellSipMsg *request, BellSipMsg *response,
                                        GError **error);
/* §12.1.1: from a request we answer with local_tag; local_contact is our Contact URI. */
BellSipDialog *bell_sip_dialog_new_uas (BellSipMsg *request, const char *local_tag,
                                        const char *local_contact, GError **error);
BellSipDialog *bell_sip_dialog_ref     (BellSipDialog *dialog);
void           bell_sip_dialog_unref   (BellSipDialog *dialog);

/* A response to a request of ours in this dialog (or a later 1xx/2xx to the INVITE): a 2xx
 * confirms an early dialog and recomputes its route set (§12.1.2); a Contact refreshes the
 * remote target (§12.2.1.2). */
void     bell_sip_dialog_update_from_response (BellSipDialog *dialog, BellSipMsg *response);
/* A request received in the dialog: 0 when it may be processed, else the status to answer
 * (500 for a CSeq lower than the last one, §12.2.2). Target refresh requests update the
 * remote target. */
guint    bell_sip_dialog_receive_request (BellSipDialog *dialog, BellSipMsg *request);

/* A request within the dialog (§12.2.1.1): next CSeq, tags, Request-URI and Route by loose or
 * strict routing, Contact. Not for ACK and CANCEL, which take the INVITE's CSeq. */
BellSipMsg *bell_sip_dialog_new_request (BellSipDialog *dialog, BellSipMethod method,
                                         GError **error);
/* The ACK for a 2xx to the INVITE with CSeq invite_cseq (§13.2.2.4). */
BellSipMsg *bell_sip_dialog_new_ack     (BellSipDialog *dialog, guint32 invite_cseq,
                                         GError **error);

/* Does msg belong here? Requests match Call-ID, their To tag = our tag, From tag = theirs;
 * responses the other way round. */
gboolean           bell_sip_dialog_matches      (BellSipDialog *dialog, BellSipMsg *msg);
/* "call-id;local-tag;remote-tag": the key of a dialog table. */
char              *bell_sip_dialog_key_for      (BellSipMsg *msg, gboolean we_sent_it);
const char        *bell_sip_dialog_get_key      (BellSipDialog *dialog);
BellSipDialogState bell_sip_dialog_get_state    (BellSipDialog *dialog);
void               bell_sip_dialog_terminate    (BellSipDialog *dialog);
const char        *bell_sip_dialog_get_call_id  (BellSipDialog *dialog);
const char        *bell_sip_dialog_get_local_tag  (BellSipDialog *dialog);
const char        *bell_sip_dialog_get_remote_tag (BellSipDialog *dialog);
const char        *bell_sip_dialog_get_remote_target (BellSipDialog *dialog);
/* The route set as name-addr values, first hop first; NULL-terminated. */
const char *const *bell_sip_dialog_get_route_set (BellSipDialog *dialog);
guint32            bell_sip_dialog_get_local_seq  (BellSipDialog *dialog);
/* Our Contact changed (a new address): the next requests carry it (a target refresh). */
void               bell_sip_dialog_set_local_contact (BellSipDialog *dialog, const char *uri);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellSipDialog, bell_sip_dialog_unref)

G_END_DECLS
