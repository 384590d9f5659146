/* bell-application.h: Bellbird's AdwApplication: one instance per session.
 *
 * It owns what outlives a window: the settings, the one BellCore (its thread runs the SIP
 * stack), the calls (BellCallManager), the accounts kept registered, the contacts and history
 * store, the ringtone and the notifications. A second launch, a sip:/sips:/tel: link on the
 * command line or an "open" of such a URI reaches the running instance and dials it.
 *
 * Environment (tests, running from the build tree): BELLBIRD_SIP_PORT (default 5060, any free
 * port when taken), BELLBIRD_BIND (address to listen on; default all), BELLBIRD_AUDIO_IN,
 * BELLBIRD_AUDIO_OUT and BELLBIRD_RINGTONE_OUTPUT (override the settings: "tone", "none", a
 * WAV file), BELLBIRD_DB (the SQLite file; default bell_store_default_path()).
 */
#pragma once

#include <adwaita.h>
#include "bell-core.h"
#include "bell-call-manager.h"
#include "bell-ringer.h"
#include "bell-store.h"
#include "bell-account-store.h"

G_BEGIN_DECLS

#define BELL_TYPE_APPLICATION (bell_application_get_type ())
G_DECLARE_FINAL_TYPE (BellApplication, bell_application, BELL, APPLICATION, AdwApplication)

BellApplication  *bell_application_new          (void);

GSettings        *bell_application_get_settings (BellApplication *self);
/* NULL when the core could not start (the window then says why). */
BellCore         *bell_application_get_core     (BellApplication *self);
const GError     *bell_application_get_core_error (BellApplication *self);
BellCallManager  *bell_application_get_calls    (BellApplication *self);
BellAccountStore *bell_application_get_accounts (BellApplication *self);
/* NULL until the database is open (it opens in the background at start-up); "store-ready"
 * (BellStore *store) is emitted then. */
BellStore        *bell_application_get_store    (BellApplication *self);
BellRinger       *bell_application_get_ringer   (BellApplication *self);
/* The main window, made when missing. */
GtkWindow        *bell_application_get_window   (BellApplication *self);

/* Calls what the user typed or clicked (a number, user@host, sip:/sips:/tel: URI, "echo")
 * from account (a BellAccount; NULL: the default enabled account, or a direct call). FALSE
 * with a sentence for the user when it cannot be called. */
gboolean          bell_application_dial         (BellApplication *self, const char *text,
                                                 gpointer account, GError **error);
/* Blind transfer of call id to what the user typed, resolved as bell_application_dial would. */
gboolean          bell_application_transfer     (BellApplication *self, guint id,
                                                 const char *text, GError **error);

G_END_DECLS
