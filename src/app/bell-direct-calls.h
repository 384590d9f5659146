/* bell-direct-calls.h: who may ring this computer directly (not through an account's server),
 * from the app's "direct-calls" key to the core's incoming-call policy.
 *
 * The core refuses what the policy forbids (a quiet 403, nothing rings: bell-core.h,
 * bell_core_set_direct_calls); the app only chooses the policy, hands it the user's contacts,
 * and asks once, when there is no account, whether to take direct calls at all.
 */
#pragma once

#include <gtk/gtk.h>
#include "bell-core.h"

G_BEGIN_DECLS

/* The app's "direct-calls" key: "anyone" → ACCEPT, "contacts" → CONTACTS, "nobody" → REFUSE;
 * "ask" (and anything else) → AUTO: the core refuses direct calls while an account is set up
 * and takes them when there is none. */
BellDirectCalls bell_direct_calls_from_setting (const char *value);

/* Reads the old boolean "accept-direct-calls" once: set to false by the user, it becomes
 * "direct-calls" = "nobody" (unless that key was chosen already) and is reset, so the next
 * start finds nothing to migrate. Returns TRUE when it changed "direct-calls". */
gboolean        bell_direct_calls_migrate      (GSettings *settings);

/* The sip:/sips: URIs of contacts (a GListModel of BellContact), each once, for
 * bell_core_set_direct_calls: a bare user@host becomes sip:user@host; tel: URIs, phone
 * numbers and "echo" have no host to match and are left out. NULL-terminated, never NULL. */
char          **bell_direct_calls_contact_uris (GListModel *contacts);

/* The question asked once when the app runs with no account and "direct-calls" is "ask":
 * "Let others call this computer directly?" with Anyone on the Network / Only My Contacts /
 * Nobody. The answer goes into settings' "direct-calls"; closing it answers nothing. */
GtkWidget      *bell_direct_calls_dialog_new   (GtkWindow *parent, GSettings *settings);

G_END_DECLS
