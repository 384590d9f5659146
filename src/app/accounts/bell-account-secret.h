/* bell-account-secret.h: account passwords in the keyring (libsecret), nowhere else.
 *
 * One item per account, schema "io.github.bellbird.Account" with the attributes "account" (the
 * account id), "username" and "domain" (DESIGN.md "Storage"). Items are found by the account id
 * alone, so a renamed user or domain still finds its password. Every failure is a
 * BELL_ACCOUNT_ERROR_KEYRING whose message starts "The keyring is not available: ".
 */
#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

G_BEGIN_DECLS

const SecretSchema *bell_account_secret_get_schema (void);

/* Stores password for account id (replacing what it had), then drops the account's items
 * with another username or domain. */
void      bell_account_secret_store_async   (const char *id, const char *username,
                                             const char *domain, const char *label,
                                             const char *password, GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
gboolean  bell_account_secret_store_finish  (GAsyncResult *result, GError **error);

/* The password (nonpageable memory: free with secret_password_free), or NULL without error
 * when the account has none. */
void      bell_account_secret_lookup_async  (const char *id, GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
char     *bell_account_secret_lookup_finish (GAsyncResult *result, GError **error);

/* Deletes every item of account id. */
void      bell_account_secret_clear_async   (const char *id, GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
gboolean  bell_account_secret_clear_finish  (GAsyncResult *result, GError **error);

G_END_DECLS
