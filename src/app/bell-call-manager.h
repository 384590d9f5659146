/* bell-call-manager.h: the calls of one BellCore, as models the window shows.
 *
 * The manager listens to the core's "event" signal (main thread), keeps a BellCall for each
 * call the core reports and sends the user's commands to the core. An ended call stays in the
 * list a moment so the user can read why it ended, then leaves it.
 */
#pragma once

#include <gio/gio.h>
#include "bell-core.h"
#include "bell-call.h"

G_BEGIN_DECLS

#define BELL_TYPE_CALL_MANAGER (bell_call_manager_get_type ())
G_DECLARE_FINAL_TYPE (BellCallManager, bell_call_manager, BELL, CALL_MANAGER, GObject)

/* How long an ended call stays in the list (ms). */
#define BELL_CALL_MANAGER_LINGER_MS 3000

/* Fills a new call's display name (a contact's name) from its peer URI; NULL: none. */
typedef char *(*BellCallNameFunc) (const char *peer, gpointer user_data);

BellCallManager *bell_call_manager_new        (BellCore *core);
BellCore        *bell_call_manager_get_core   (BellCallManager *self);
void             bell_call_manager_set_name_func (BellCallManager *self, BellCallNameFunc func,
                                                  gpointer user_data, GDestroyNotify destroy);

/* Every incoming call the core reports becomes a BellCall: who may ring at all is the core's
 * incoming-call policy (bell_core_set_direct_calls; the app's "direct-calls" key), which
 * refuses the others with a quiet 403 before any event. Calls the core answers itself (the
 * echo test, "service" in their events) are never BellCalls. */

/* How many calls the core's incoming-call policy refused since it started (a quiet 403; none
 * of them rang): property "refused-calls", from the core's "protection" event. */
guint64          bell_call_manager_get_refused_calls (BellCallManager *self);

/* The calls, BellCall items in the order they began (ended ones linger, see above). */
GListModel      *bell_call_manager_get_calls  (BellCallManager *self);
BellCall        *bell_call_manager_find       (BellCallManager *self, guint id);
/* Calls not ended. */
guint            bell_call_manager_count_live (BellCallManager *self);
/* The call the user deals with now: one ringing for us, else a connected one not on hold,
 * else the newest live one, else the newest. NULL when there is no call at all. */
BellCall        *bell_call_manager_get_current (BellCallManager *self);

/* Calls uri; from and password: the account's address and password (NULL: a direct call).
 * account_id goes into the history. The call appears with the core's first event. */
void             bell_call_manager_dial       (BellCallManager *self, const char *uri,
                                               const char *account_id, const char *from,
                                               const char *password);
void             bell_call_manager_answer     (BellCallManager *self, guint id);
/* Refuses a ringing call with status (603 Decline, 486 Busy Here). */
void             bell_call_manager_reject     (BellCallManager *self, guint id, guint status);
void             bell_call_manager_hangup     (BellCallManager *self, guint id);
void             bell_call_manager_hold       (BellCallManager *self, guint id, gboolean hold);
void             bell_call_manager_set_mute   (BellCallManager *self, guint id, gboolean mute);
void             bell_call_manager_set_volume (BellCallManager *self, guint id, double volume);
void             bell_call_manager_send_dtmf  (BellCallManager *self, guint id, const char *digits);
void             bell_call_manager_transfer   (BellCallManager *self, guint id, const char *uri);

/* Signals:
 *   "call-added"  (BellCall *call): a new call, outgoing or ringing for us
 *   "call-ended"  (BellCall *call): it ended (why: bell_call_dup_end_reason)
 *   "notice"      (BellCall *call, const char *message): something the user should read
 *                 (a transfer that failed, digits that could not be sent, audio that failed) */

G_END_DECLS
