/* bell-account-store-save.c: writing accounts: adding, saving an editor's work all or
 * nothing, removing; and their passwords, which go to the keyring only. */
#define G_LOG_DOMAIN "bell-accounts"

#include "config.h"

#include <glib/gi18n.h>
#include "bell-account-store-private.h"
#include "bell-account-secret.h"
#include "sip/bell-sip-uri.h"

/* Adding and removing */

static char *
new_account_id (BellAccountStore *store)
{
  for (;;)
    {
      g_autofree char *uuid = g_uuid_string_random ();
      GString *id = g_string_new (NULL);

      /* Hex only: safe in a settings path and a keyfile group name. */
      for (const char *p = uuid; *p; p++)
        if (*p != '-')
          g_string_append_c (id, *p);
      g_string_truncate (id, 16);
      if (!bell_account_store_lookup (store, id->str))
        return g_string_free (id, FALSE);
      g_string_free (id, TRUE);
    }
}

static GSettings *
account_settings_new (const char *id)
{
  g_autofree char *path = g_strconcat (BELL_ACCOUNT_PATH_PREFIX, id, "/", NULL);
  return g_settings_new_with_path (BELL_ACCOUNT_SCHEMA_ID, path);
}

/* Every key in one write, so the store re-registers once, with all of the edit. Through a
 * settings object of our own: delay-apply mode cannot be left, and the account's own object
 * must keep applying its property changes at once. */
static void
write_fields (const char *id, const BellAccountFields *fields)
{
  g_autoptr(GSettings) settings = account_settings_new (id);
  g_autofree char *address = bell_account_normalize_address (fields->address, NULL);
  g_autofree char *display_name = _bell_account_strip (fields->display_name);
  g_autofree char *auth_user = _bell_account_strip (fields->auth_user);
  g_autofree char *registrar = _bell_account_strip (fields->registrar);
  g_autofree char *proxy = _bell_account_strip (fields->outbound_proxy);
  g_autofree char *stun = _bell_account_strip (fields->stun_server);
  g_auto(GStrv) codecs = bell_account_normalize_codecs ((const char *const *) fields->codecs,
                                                        NULL);

  g_settings_delay (settings);
  g_settings_set_string (settings, "display-name", display_name);
  g_settings_set_string (settings, "address", address ? address : "");
  g_settings_set_string (settings, "auth-user", auth_user);
  g_settings_set_string (settings, "registrar", registrar);
  g_settings_set_string (settings, "outbound-proxy", proxy);
  g_settings_set_string (settings, "transport", fields->transport);
  g_settings_set_string (settings, "srtp", fields->srtp);
  g_settings_set_string (settings, "stun-server", stun);
  /* Validated before: codecs is a list, empty for the app's order. */
  g_settings_set_strv (settings, "codecs", (const char *const *) codecs);
  g_settings_set_boolean (settings, "low-bandwidth", fields->low_bandwidth);
  g_settings_set_string (settings, "direct-calls", fields->direct_calls);
  g_settings_set_boolean (settings, "enabled", fields->enabled);
  g_settings_set_uint (settings, "expires", fields->expires);
  g_settings_apply (settings);
}

static void
append_id (BellAccountStore *store, const char *id)
{
  g_auto(GStrv) ids = g_settings_get_strv (store->settings, "accounts");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) new_ids = NULL;

  g_strv_builder_addv (builder, (const char **) ids);
  g_strv_builder_add (builder, id);
  new_ids = g_strv_builder_end (builder);
  g_settings_set_strv (store->settings, "accounts", (const char *const *) new_ids);
  _bell_account_store_sync_from_settings (store);
}

BellAccount *
bell_account_store_add (BellAccountStore *store, const char *address, const char *display_name,
                        GError **error)
{
  g_autoptr(BellAccountFields) fields = bell_account_fields_new ();
  g_autofree char *id = NULL;

  g_return_val_if_fail (BELL_IS_ACCOUNT_STORE (store), NULL);
  g_free (fields->address);
  fields->address = g_strdup (address);
  g_free (fields->display_name);
  fields->display_name = g_strdup (display_name ? display_name : "");
  if (!bell_account_store_validate (store, NULL, fields, error))
    return NULL;
  id = new_account_id (store);
  write_fields (id, fields);
  append_id (store, id);
  return bell_account_store_lookup (store, id);
}

static void
reset_settings (GSettings *settings)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;

  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i]; i++)
    g_settings_reset (settings, keys[i]);
}

static void
on_removed_secret_cleared (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree char *id = user_data;
  g_autoptr(GError) error = NULL;

  /* The account is gone either way; a keyring that is away keeps a now unused item. */
  if (!bell_account_secret_clear_finish (result, &error))
    g_message ("account %s removed, but its password stays in the keyring: %s", id,
               error->message);
}

void
bell_account_store_remove (BellAccountStore *store, BellAccount *account)
{
  g_autoptr(BellAccount) keep = NULL;
  g_auto(GStrv) ids = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) new_ids = NULL;
  g_autofree char *default_id = NULL;
  const char *id;

  g_return_if_fail (BELL_IS_ACCOUNT_STORE (store));
  g_return_if_fail (BELL_IS_ACCOUNT (account));
  keep = g_object_ref (account);
  id = bell_account_get_id (account);

  ids = g_settings_get_strv (store->settings, "accounts");
  builder = g_strv_builder_new ();
  for (guint i = 0; ids[i]; i++)
    if (!g_str_equal (ids[i], id))
      g_strv_builder_add (builder, ids[i]);
  new_ids = g_strv_builder_end (builder);
  g_settings_set_strv (store->settings, "accounts", (const char *const *) new_ids);
  default_id = g_settings_get_string (store->settings, "default-account");
  if (g_str_equal (default_id, id))
    g_settings_reset (store->settings, "default-account");
  _bell_account_store_sync_from_settings (store);

  reset_settings (bell_account_get_settings (account));
  bell_account_secret_clear_async (id, NULL, on_removed_secret_cleared, g_strdup (id));
}

/* Saving an editor's work */

typedef struct
{
  BellAccount       *account;   /* NULL: a new one */
  char              *id;
  BellAccountFields *fields;
  gboolean           password_changed;
} SaveData;

static void
save_data_free (SaveData *data)
{
  g_clear_object (&data->account);
  g_free (data->id);
  bell_account_fields_free (data->fields);
  g_free (data);
}

static void
save_write (GTask *task)
{
  BellAccountStore *store = g_task_get_source_object (task);
  SaveData *data = g_task_get_task_data (task);
  BellAccount *account;

  write_fields (data->id, data->fields);
  if (data->account)
    account = data->account;
  else
    {
      append_id (store, data->id);
      account = bell_account_store_lookup (store, data->id);
    }
  if (data->password_changed)
    bell_account_password_changed (account);
  g_task_return_pointer (task, g_object_ref (account), g_object_unref);
}

static void
on_save_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  SaveData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!bell_account_secret_store_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  data->password_changed = TRUE;
  save_write (task);
}

/* The keyring item's username and domain for address and auth_user. */
static void
secret_names (const char *address, const char *auth_user, char **username, char **domain)
{
  g_autofree char *aor = bell_account_normalize_address (address, NULL);
  g_autoptr(BellSipUri) uri = aor ? bell_sip_uri_new (aor, NULL) : NULL;
  g_autofree char *user = _bell_account_strip (auth_user);

  *username = *user ? g_steal_pointer (&user) : uri ? bell_sip_uri_dup_user (uri, NULL) : NULL;
  *domain = uri ? g_strndup (uri->host.p, uri->host.len) : NULL;
}

static char *
secret_label (const char *address)
{
  return g_strdup_printf (_("Bellbird SIP account %s"), address);
}

void
bell_account_store_save_async (BellAccountStore *store, BellAccount *account,
                               const BellAccountFields *fields, const char *password,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  SaveData *data;

  g_return_if_fail (BELL_IS_ACCOUNT_STORE (store));
  g_return_if_fail (account == NULL || BELL_IS_ACCOUNT (account));
  g_return_if_fail (fields != NULL);

  task = g_task_new (store, cancellable, callback, user_data);
  g_task_set_source_tag (task, bell_account_store_save_async);
  if (!bell_account_store_validate (store, account, fields, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  data = g_new0 (SaveData, 1);
  data->account = account ? g_object_ref (account) : NULL;
  data->id = account ? g_strdup (bell_account_get_id (account)) : new_account_id (store);
  data->fields = _bell_account_fields_copy (fields);
  g_task_set_task_data (task, data, (GDestroyNotify) save_data_free);

  if (password && *password)
    {
      g_autofree char *username = NULL;
      g_autofree char *domain = NULL;
      g_autofree char *aor = bell_account_normalize_address (fields->address, NULL);
      g_autofree char *label = secret_label (aor);

      secret_names (fields->address, fields->auth_user, &username, &domain);
      /* The keyring first: if it fails, nothing of the edit is written. */
      bell_account_secret_store_async (data->id, username, domain, label, password, cancellable,
                                       on_save_stored, g_steal_pointer (&task));
      return;
    }
  save_write (task);
}

BellAccount *
bell_account_store_save_finish (BellAccountStore *store, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, store), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Passwords */

static void
on_password_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!bell_account_secret_store_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  bell_account_password_changed (g_task_get_task_data (task));
  g_task_return_boolean (task, TRUE);
}

void
bell_account_store_set_password_async (BellAccount *account, const char *password,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *username = NULL;
  g_autofree char *domain = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (BELL_IS_ACCOUNT (account));
  g_return_if_fail (password != NULL);
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, bell_account_store_set_password_async);
  g_task_set_task_data (task, g_object_ref (account), g_object_unref);
  secret_names (bell_account_get_address (account), bell_account_get_auth_user (account),
                &username, &domain);
  if (!username || !domain)
    {
      g_task_return_new_error (task, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_INVALID_ADDRESS,
                               _("“%s” is not a SIP address: write it as user@domain or sip:user@domain"),
                               bell_account_get_address (account));
      return;
    }
  label = secret_label (bell_account_get_address (account));
  bell_account_secret_store_async (bell_account_get_id (account), username, domain, label,
                                   password, cancellable, on_password_stored,
                                   g_steal_pointer (&task));
}

gboolean
bell_account_store_set_password_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
bell_account_store_lookup_password_async (BellAccount *account, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (BELL_IS_ACCOUNT (account));
  bell_account_secret_lookup_async (bell_account_get_id (account), cancellable, callback,
                                    user_data);
}

char *
bell_account_store_lookup_password_finish (GAsyncResult *result, GError **error)
{
  return bell_account_secret_lookup_finish (result, error);
}
