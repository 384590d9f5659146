/* bell-account-store-private.h: what the parts of BellAccountStore share.
 *
 * The store is one object written in four files, one purpose each:
 *   bell-account-store.c         the list (a GListModel following the "accounts" key), look-ups
 *   bell-account-store-fields.c  an editor's fields and the checks a save makes on them
 *   bell-account-store-save.c    adding, saving and removing accounts; passwords in the keyring
 *   bell-account-store-sync.c    keeping each enabled account registered with the core
 * Nothing here is for other modules.
 */
#pragma once

#include "bell-account-store.h"

G_BEGIN_DECLS

struct _BellAccountStore
{
  GObject       parent_instance;

  GSettings    *settings;
  GPtrArray    *accounts;          /* BellAccount, in the "accounts" key's order */
  GCancellable *cancellable;       /* keyring look-ups; cancelled on dispose */

  /* bell-account-store-sync.c */
  BellCore     *core;
  gulong        core_event_handler;
  GHashTable   *registrations;     /* account id → its registration; only while attached */
  guint         next_serial;       /* tells a registration from the one it replaced */
  guint         sync_idle;
};

/* bell-account-store.c: makes the list match the "accounts" key now (idempotent), so that a
 * writer sees its change without waiting for the settings' change signal. */
void               _bell_account_store_sync_from_settings (BellAccountStore *store);
/* Whether two addresses are the same SIP URI (RFC 3261 §19.1.4), else the same text. */
gboolean           _bell_account_same_aor                 (const char *a, const char *b);

/* bell-account-store-fields.c */
BellAccountFields *_bell_account_fields_copy              (const BellAccountFields *fields);
/* A user's text without the blanks around it ("" for NULL). */
char              *_bell_account_strip                    (const char *text);

/* bell-account-store-sync.c: follows a new account's edits (settings and password) so they
 * reach the core; and looks again at every account once the current changes have landed. */
void               _bell_account_store_watch_account      (BellAccountStore *store,
                                                           BellAccount *account);
void               _bell_account_store_schedule_sync      (BellAccountStore *store);

G_END_DECLS
