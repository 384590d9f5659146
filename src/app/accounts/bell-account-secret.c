/* bell-account-secret.c: account passwords through libsecret. Never logs a password. */
#define G_LOG_DOMAIN "bell-accounts"

#include "config.h"

#include <glib/gi18n.h>
#include "bell-account.h"
#include "bell-account-secret.h"

const SecretSchema *
bell_account_secret_get_schema (void)
{
  static const SecretSchema schema = {
    "io.github.bellbird.Account", SECRET_SCHEMA_NONE,
    {
      { "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "domain", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  };
  return &schema;
}

/* Every libsecret or D-Bus failure as one error the user can read; cancellation stays itself. */
static GError *
keyring_error (GError *error)
{
  GError *ours;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;
  if (g_dbus_error_is_remote_error (error))
    g_dbus_error_strip_remote_error (error);
  ours = g_error_new (BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_KEYRING,
                      _("The keyring is not available: %s"), error->message);
  g_error_free (error);
  return ours;
}

/* The values are copies: libsecret keeps a reference to the table past the call. */
static GHashTable *
attributes_new (const char *id, const char *username, const char *domain)
{
  GHashTable *attributes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  g_hash_table_insert (attributes, (gpointer) "account", g_strdup (id));
  if (username)
    g_hash_table_insert (attributes, (gpointer) "username", g_strdup (username));
  if (domain)
    g_hash_table_insert (attributes, (gpointer) "domain", g_strdup (domain));
  return attributes;
}

/* Storing */

typedef struct
{
  char  *id;
  char  *username;
  char  *domain;
  guint  pending_clears;
} StoreData;

static void
store_data_free (StoreData *data)
{
  g_free (data->id);
  g_free (data->username);
  g_free (data->domain);
  g_free (data);
}

static void
on_stale_cleared (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StoreData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* A stale item left behind is harmless (the new one was stored); only note it. */
  if (!secret_password_clear_finish (result, &error))
    g_debug ("account %s: an old keyring item stays: %s", data->id, error->message);
  if (--data->pending_clears == 0)
    g_task_return_boolean (task, TRUE);
}

static void
on_searched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StoreData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GList *items = secret_password_search_finish (result, &error);

  if (error)
    g_debug ("account %s: cannot look for old keyring items: %s", data->id, error->message);
  /* The same account under an old user name or domain: remove, so lookups find only ours. */
  data->pending_clears = 1;
  for (GList *l = items; l; l = l->next)
    {
      g_autoptr(GHashTable) attrs = secret_retrievable_get_attributes (l->data);
      g_autoptr(GHashTable) exact = NULL;
      const char *username = g_hash_table_lookup (attrs, "username");
      const char *domain = g_hash_table_lookup (attrs, "domain");

      if (g_strcmp0 (username, data->username) == 0 && g_strcmp0 (domain, data->domain) == 0)
        continue;
      exact = attributes_new (data->id, username, domain);
      data->pending_clears++;
      secret_password_clearv (bell_account_secret_get_schema (), exact,
                              g_task_get_cancellable (task), on_stale_cleared,
                              g_object_ref (task));
    }
  g_list_free_full (items, g_object_unref);
  if (--data->pending_clears == 0)
    g_task_return_boolean (task, TRUE);
}

static void
on_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  StoreData *data = g_task_get_task_data (task);
  g_autoptr(GHashTable) attrs = NULL;
  GError *error = NULL;

  if (!secret_password_store_finish (result, &error))
    {
      g_task_return_error (task, keyring_error (error));
      return;
    }
  attrs = attributes_new (data->id, NULL, NULL);
  secret_password_searchv (bell_account_secret_get_schema (), attrs, SECRET_SEARCH_ALL,
                           g_task_get_cancellable (task), on_searched, g_object_ref (task));
}

void
bell_account_secret_store_async (const char *id, const char *username, const char *domain,
                                 const char *label, const char *password,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attrs = NULL;
  StoreData *data;

  g_return_if_fail (id != NULL && username != NULL && domain != NULL && password != NULL);
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, bell_account_secret_store_async);
  data = g_new0 (StoreData, 1);
  data->id = g_strdup (id);
  data->username = g_strdup (username);
  data->domain = g_strdup (domain);
  g_task_set_task_data (task, data, (GDestroyNotify) store_data_free);
  attrs = attributes_new (id, username, domain);
  /* libsecret copies the password into its own wiped memory before this returns. */
  secret_password_storev (bell_account_secret_get_schema (), attrs, SECRET_COLLECTION_DEFAULT,
                          label, password, cancellable, on_stored, g_steal_pointer (&task));
}

gboolean
bell_account_secret_store_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Looking up */

static void
on_looked_up (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *password = secret_password_lookup_nonpageable_finish (result, &error);

  if (error)
    g_task_return_error (task, keyring_error (error));
  else
    g_task_return_pointer (task, password, (GDestroyNotify) secret_password_free);
}

void
bell_account_secret_lookup_async (const char *id, GCancellable *cancellable,
                                  GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attrs = NULL;

  g_return_if_fail (id != NULL);
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, bell_account_secret_lookup_async);
  attrs = attributes_new (id, NULL, NULL);
  secret_password_lookupv (bell_account_secret_get_schema (), attrs, cancellable, on_looked_up,
                           g_steal_pointer (&task));
}

char *
bell_account_secret_lookup_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Clearing */

static void
on_cleared (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  /* FALSE without error: there was nothing to delete, which is what was asked. */
  secret_password_clear_finish (result, &error);
  if (error)
    g_task_return_error (task, keyring_error (error));
  else
    g_task_return_boolean (task, TRUE);
}

void
bell_account_secret_clear_async (const char *id, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) attrs = NULL;

  g_return_if_fail (id != NULL);
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, bell_account_secret_clear_async);
  attrs = attributes_new (id, NULL, NULL);
  secret_password_clearv (bell_account_secret_get_schema (), attrs, cancellable, on_cleared,
                          g_steal_pointer (&task));
}

gboolean
bell_account_secret_clear_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
