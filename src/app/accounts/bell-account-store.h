/* bell-account-store.h: the app's SIP accounts, as a GListModel of BellAccount.
 *
 * The order is the app settings' "accounts" key (account ids); each account's settings are at
 * BELL_ACCOUNT_PATH_PREFIX ID "/", its password in the keyring. Once a core is attached, the
 * store keeps every enabled account registered with it and mirrors the core's "registration"
 * events into each account's "state" and "status-text". An edit (settings or password) takes
 * effect at once and for that account only: it registers again (the core replaces its
 * registration), or is un-registered when disabled or removed; the others are left alone.
 */
#pragma once

#include <gio/gio.h>
#include "bell-account.h"
#include "bell-core.h"

G_BEGIN_DECLS

#define BELL_TYPE_ACCOUNT_STORE (bell_account_store_get_type ())
G_DECLARE_FINAL_TYPE (BellAccountStore, bell_account_store, BELL, ACCOUNT_STORE, GObject)

/* What an account editor saves at once (the settings of one account, without its password). */
typedef struct
{
  char     *display_name;
  char     *address;          /* as typed: normalized and checked on save */
  char     *auth_user;
  char     *registrar;        /* as typed: "" or host[:port] or a sip: URI */
  char     *outbound_proxy;
  char     *transport;        /* auto udp tcp tls ws wss */
  char     *srtp;             /* auto off optional mandatory */
  char     *stun_server;
  char    **codecs;           /* the account's own order (see bell_account_get_codecs); NULL or
                               * empty: the app's */
  gboolean  low_bandwidth;
  char     *direct_calls;     /* auto anyone contacts nobody */
  gboolean  enabled;
  guint     expires;
} BellAccountFields;

/* The schema's defaults. */
BellAccountFields *bell_account_fields_new              (void);
BellAccountFields *bell_account_fields_new_from_account (BellAccount *account);
void               bell_account_fields_free             (BellAccountFields *fields);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellAccountFields, bell_account_fields_free)

/* app_settings: schema io.github.bellbird.Bellbird. */
BellAccountStore *bell_account_store_new          (GSettings *app_settings);
GSettings        *bell_account_store_get_settings (BellAccountStore *store);

/* A new account with this address (checked, not yet used by another account) and optional
 * display name, other settings at their defaults, no password; appended to the list.
 * Returns it (owned by the store), or NULL with a BELL_ACCOUNT_ERROR. */
BellAccount *bell_account_store_add          (BellAccountStore *store, const char *address,
                                              const char *display_name, GError **error);
/* Removes the account from the list, resets its settings and deletes its keyring item. */
void         bell_account_store_remove       (BellAccountStore *store, BellAccount *account);
/* The codec order of an account without one of its own, as its calls will offer them: the
 * app's "codecs" key, else the core's order (bell_account_known_codecs), normalized. */
char       **bell_account_store_dup_default_codecs (BellAccountStore *store);
/* Owned by the store; NULL when absent. */
BellAccount *bell_account_store_lookup       (BellAccountStore *store, const char *id);
/* The account whose address is aor (compared as SIP URIs), or NULL. */
BellAccount *bell_account_store_find_by_aor  (BellAccountStore *store, const char *aor);
/* The "default-account", else the first account; NULL without accounts. */
BellAccount *bell_account_store_get_default  (BellAccountStore *store);
void         bell_account_store_set_default  (BellAccountStore *store, BellAccount *account);

/* Checks fields (address, servers, uniqueness) as a save would; NULL account: a new one. */
gboolean     bell_account_store_validate     (BellAccountStore *store, BellAccount *account,
                                              const BellAccountFields *fields, GError **error);
/* Saves an editor's work all or nothing: checks fields, stores password in the keyring when
 * it is non-NULL and non-empty (else the saved one stays), and only then writes the settings
 * in one go (a new account, account NULL, is appended to the list). A keyring failure leaves
 * settings and list untouched. Finishes with the account (a new reference). */
void         bell_account_store_save_async   (BellAccountStore *store, BellAccount *account,
                                              const BellAccountFields *fields,
                                              const char *password, GCancellable *cancellable,
                                              GAsyncReadyCallback callback, gpointer user_data);
BellAccount *bell_account_store_save_finish  (BellAccountStore *store, GAsyncResult *result,
                                              GError **error);

/* The account's password into the keyring (schema io.github.bellbird.Account: account,
 * username, domain); a core-attached store registers the account again with it. */
void         bell_account_store_set_password_async     (BellAccount *account,
                                                        const char *password,
                                                        GCancellable *cancellable,
                                                        GAsyncReadyCallback callback,
                                                        gpointer user_data);
gboolean     bell_account_store_set_password_finish    (GAsyncResult *result, GError **error);
/* The saved password, NULL (no error) when there is none. Free with secret_password_free,
 * which wipes it. */
void         bell_account_store_lookup_password_async  (BellAccount *account,
                                                        GCancellable *cancellable,
                                                        GAsyncReadyCallback callback,
                                                        gpointer user_data);
char        *bell_account_store_lookup_password_finish (GAsyncResult *result, GError **error);

/* From now on every enabled account is kept registered with core, and its state follows the
 * core's "registration" events. */
void         bell_account_store_attach_core  (BellAccountStore *store, BellCore *core);
/* Stops managing registrations, leaving the core's as they are (e.g. before
 * bell_core_unregister_all at quit). */
void         bell_account_store_detach_core  (BellAccountStore *store);

G_END_DECLS
