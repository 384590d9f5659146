/* bell-call-view.h: the calls in progress: who, the state and timer, the controls (hang up,
 * mute, hold, in-call keypad, volume, transfer), the audio's codec, encryption and quality, and
 * Answer / Decline for a call that rings. With several calls, a list to switch between them.
 *
 * It drives the calls through the BellCallManager. A transfer target is typed text the window
 * resolves like the dialpad's: "transfer" (guint call_id, const char *text) is emitted for it.
 */
#pragma once

#include <adwaita.h>
#include "bell-call-manager.h"

G_BEGIN_DECLS

#define BELL_TYPE_CALL_VIEW (bell_call_view_get_type ())
G_DECLARE_FINAL_TYPE (BellCallView, bell_call_view, BELL, CALL_VIEW, AdwBin)

GtkWidget *bell_call_view_new       (BellCallManager *manager);
/* The call shown, or NULL. */
BellCall  *bell_call_view_get_call  (BellCallView *self);
void       bell_call_view_show_call (BellCallView *self, BellCall *call);
/* Whether an incoming call says which account it came in on ("To Work"), for a user with
 * several accounts (default FALSE). */
void       bell_call_view_set_show_account (BellCallView *self, gboolean show);
/* Sends digits in the shown call when it is connected (keys typed in the window). */
gboolean   bell_call_view_send_dtmf (BellCallView *self, const char *digits);

/* Widgets by role, for tests and keyboard focus: "state", "timer", "name", "address", "account",
 * "encryption", "codec", "quality", "dtmf", "answer", "decline", "hangup", "mute", "hold",
 * "keypad-toggle", "keypad", "transfer", "transfer-entry", "transfer-go", "volume", "calls". */
GtkWidget *bell_call_view_get_widget (BellCallView *self, const char *role);

G_END_DECLS
