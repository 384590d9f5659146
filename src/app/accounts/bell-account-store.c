/* bell-account-store.c: the list of accounts, saving them, and keeping them registered. */
#define G_LOG_DOMAIN "bell-accounts"

#include "config.h"

#include <glib/gi18n.h>
#include "bell-account-store.h"
#include "bell-account-secret.h"
#include "sip/bell-sip-uri.h"

/* One account handed to the core (or about to be, while its password is looked up). */
typedef struct
{
  char     *aor;           /* exactly as given to bell_core_register: events carry it back */
  char     *fingerprint;   /* every setting the registration depends on */
  gboolean  submitted;     /* bell_core_register was called (not only the password asked) */
} RegEntry;

/* How long to wait for the core to un-register before registering again regardless (its own
 * un-REGISTER gives up after 5 s). */
#define DRAIN_TIMEOUT_MS 8000

struct _BellAccountStore
{
  GObject       parent_instance;

  GSettings    *settings;
  GPtrArray    *accounts;          /* BellAccount, in the "accounts" key's order */
  GCancellable *cancellable;       /* keyring look-ups; cancelled on dispose */

  BellCore     *core;
  gulong        core_event_handler;
  GHashTable   *registered;        /* account id → RegEntry */
  GHashTable   *password_serials;  /* account id → a count of password changes */
  guint         generation;        /* bumped whenever the core drops every registration */
  gboolean      awaiting_unregistered;
  GHashTable   *draining;          /* AORs whose un-registration we wait for */
  guint         unregister_calls;  /* our bell_core_unregister_all whose event is still due */
  guint         drain_timeout;
  guint         reconcile_idle;
};

static void bell_account_store_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BellAccountStore, bell_account_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      bell_account_store_list_model_init))

static void schedule_reconcile (BellAccountStore *store);

static void
reg_entry_free (RegEntry *entry)
{
  g_free (entry->aor);
  g_free (entry->fingerprint);
  g_free (entry);
}

/* GListModel */

static GType
store_get_item_type (GListModel *model)
{
  return BELL_TYPE_ACCOUNT;
}

static guint
store_get_n_items (GListModel *model)
{
  return BELL_ACCOUNT_STORE (model)->accounts->len;
}

static gpointer
store_get_item (GListModel *model, guint position)
{
  BellAccountStore *store = BELL_ACCOUNT_STORE (model);

  if (position >= store->accounts->len)
    return NULL;
  return g_object_ref (store->accounts->pdata[position]);
}

static void
bell_account_store_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = store_get_item_type;
  iface->get_n_items = store_get_n_items;
  iface->get_item = store_get_item;
}

/* Fields */

BellAccountFields *
bell_account_fields_new (void)
{
  BellAccountFields *fields = g_new0 (BellAccountFields, 1);

  fields->display_name = g_strdup ("");
  fields->address = g_strdup ("");
  fields->auth_user = g_strdup ("");
  fields->registrar = g_strdup ("");
  fields->outbound_proxy = g_strdup ("");
  fields->transport = g_strdup ("auto");
  fields->srtp = g_strdup ("auto");
  fields->stun_server = g_strdup ("");
  fields->enabled = TRUE;
  fields->expires = 600;
  return fields;
}

BellAccountFields *
bell_account_fields_new_from_account (BellAccount *account)
{
  BellAccountFields *fields = g_new0 (BellAccountFields, 1);

  g_return_val_if_fail (BELL_IS_ACCOUNT (account), NULL);
  fields->display_name = g_strdup (bell_account_get_display_name (account));
  fields->address = g_strdup (bell_account_get_address (account));
  fields->auth_user = g_strdup (bell_account_get_auth_user (account));
  fields->registrar = g_strdup (bell_account_get_registrar (account));
  fields->outbound_proxy = g_strdup (bell_account_get_outbound_proxy (account));
  fields->transport = g_strdup (bell_account_get_transport (account));
  fields->srtp = g_strdup (bell_account_get_srtp (account));
  fields->stun_server = g_strdup (bell_account_get_stun_server (account));
  fields->enabled = bell_account_get_enabled (account);
  fields->expires = bell_account_get_expires (account);
  return fields;
}

void
bell_account_fields_free (BellAccountFields *fields)
{
  if (!fields)
    return;
  g_free (fields->display_name);
  g_free (fields->address);
  g_free (fields->auth_user);
  g_free (fields->registrar);
  g_free (fields->outbound_proxy);
  g_free (fields->transport);
  g_free (fields->srtp);
  g_free (fields->stun_server);
  g_free (fields);
}

static char *
strip (const char *text)
{
  return g_strstrip (g_strdup (text ? text : ""));
}

/* The list, from the settings */

static gboolean
id_is_valid (const char *id)
{
  if (!id || !*id)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static void
on_account_changed (BellAccount *account, GParamSpec *pspec, gpointer user_data)
{
  BellAccountStore *store = user_data;

  /* Our own state updates are not edits. */
  if (pspec && (g_str_equal (pspec->name, "state") || g_str_equal (pspec->name, "status-text")))
    return;
  schedule_reconcile (store);
}

static void
on_account_password_changed (BellAccount *account, gpointer user_data)
{
  BellAccountStore *store = user_data;
  const char *id = bell_account_get_id (account);
  guint serial = GPOINTER_TO_UINT (g_hash_table_lookup (store->password_serials, id));

  g_hash_table_insert (store->password_serials, g_strdup (id), GUINT_TO_POINTER (serial + 1));
  schedule_reconcile (store);
}

static void
forget_account (BellAccountStore *store, BellAccount *account)
{
  g_signal_handlers_disconnect_by_data (account, store);
}

/* Makes the list match the "accounts" key; idempotent, so callers may run it right after a
 * write without waiting for the settings' change signal. */
static void
sync_from_settings (BellAccountStore *store)
{
  g_auto(GStrv) ids = g_settings_get_strv (store->settings, "accounts");
  g_autoptr(GPtrArray) old = store->accounts;
  GPtrArray *accounts = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean same;

  for (guint i = 0; ids[i]; i++)
    {
      BellAccount *account = NULL;
      gboolean seen = FALSE;

      if (!id_is_valid (ids[i]))
        {
          g_message ("ignoring the account id “%s”: not usable in a settings path", ids[i]);
          continue;
        }
      for (guint j = 0; j < accounts->len && !seen; j++)
        seen = g_str_equal (bell_account_get_id (accounts->pdata[j]), ids[i]);
      if (seen)
        continue;
      for (guint j = 0; j < old->len && !account; j++)
        if (g_str_equal (bell_account_get_id (old->pdata[j]), ids[i]))
          account = g_object_ref (old->pdata[j]);
      if (!account)
        {
          account = bell_account_new (ids[i]);
          g_signal_connect (account, "notify", G_CALLBACK (on_account_changed), store);
          g_signal_connect (account, "password-changed",
                            G_CALLBACK (on_account_password_changed), store);
        }
      g_ptr_array_add (accounts, account);
    }

  same = accounts->len == old->len;
  for (guint i = 0; same && i < accounts->len; i++)
    same = accounts->pdata[i] == old->pdata[i];
  store->accounts = accounts;
  if (same)
    return;
  for (guint i = 0; i < old->len; i++)
    {
      guint index;
      if (!g_ptr_array_find (accounts, old->pdata[i], &index))
        forget_account (store, old->pdata[i]);
    }
  g_list_model_items_changed (G_LIST_MODEL (store), 0, old->len, accounts->len);
  schedule_reconcile (store);
}

static void
on_settings_changed (GSettings *settings, const char *key, gpointer user_data)
{
  sync_from_settings (user_data);
}

/* GObject */

static void
bell_account_store_dispose (GObject *object)
{
  BellAccountStore *store = BELL_ACCOUNT_STORE (object);

  g_cancellable_cancel (store->cancellable);
  bell_account_store_detach_core (store);
  g_clear_handle_id (&store->reconcile_idle, g_source_remove);
  if (store->settings)
    g_signal_handlers_disconnect_by_data (store->settings, store);
  if (store->accounts)
    for (guint i = 0; i < store->accounts->len; i++)
      forget_account (store, store->accounts->pdata[i]);
  g_clear_pointer (&store->accounts, g_ptr_array_unref);
  g_clear_object (&store->settings);
  G_OBJECT_CLASS (bell_account_store_parent_class)->dispose (object);
}

static void
bell_account_store_finalize (GObject *object)
{
  BellAccountStore *store = BELL_ACCOUNT_STORE (object);

  g_clear_object (&store->cancellable);
  g_clear_pointer (&store->registered, g_hash_table_unref);
  g_clear_pointer (&store->password_serials, g_hash_table_unref);
  g_clear_pointer (&store->draining, g_hash_table_unref);
  G_OBJECT_CLASS (bell_account_store_parent_class)->finalize (object);
}

static void
bell_account_store_class_init (BellAccountStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bell_account_store_dispose;
  object_class->finalize = bell_account_store_finalize;
}

static void
bell_account_store_init (BellAccountStore *store)
{
  store->accounts = g_ptr_array_new_with_free_func (g_object_unref);
  store->cancellable = g_cancellable_new ();
  store->registered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) reg_entry_free);
  store->password_serials = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  store->draining = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

BellAccountStore *
bell_account_store_new (GSettings *app_settings)
{
  BellAccountStore *store;

  g_return_val_if_fail (G_IS_SETTINGS (app_settings), NULL);
  store = g_object_new (BELL_TYPE_ACCOUNT_STORE, NULL);
  store->settings = g_object_ref (app_settings);
  g_signal_connect (app_settings, "changed::accounts", G_CALLBACK (on_settings_changed), store);
  sync_from_settings (store);
  return store;
}

GSettings *
bell_account_store_get_settings (BellAccountStore *store)
{
  g_return_val_if_fail (BELL_IS_ACCOUNT_STORE (store), NULL);
  return store->settings;
}

/* Looking up */

BellAccount *
bell_account_store_lookup (BellAccountStore *store, const char *id)
{
  g_return_val_if_fail (BELL_IS_ACCOUNT_STORE (store), NULL);
  for (guint i = 0; id && i < store->accounts->len; i++)
    if (g_str_equal (bell_account_get_id (store->accounts->pdata[i]), id))
      return store->accounts->pdata[i];
  return NULL;
}

static gboolean
same_aor (const char *a, const char *b)
{
  g_autoptr(BellSipUri) ua = a ? bell_sip_uri_new (a, NULL) : NULL;
  g_autoptr(BellSipUri) ub = b ? bell_sip_uri_new (b, NULL) : NULL;

  if (ua && ub)
    return bell_sip_uri_equal (ua, ub);
  return g_strcmp0 (a, b) == 0;
}

BellAccount *
bell_account_store_find_by_aor (BellAccountStore *store, const char *aor)
{
  g_autofree char *wanted = NULL;

  g_return_val_if_fail (BELL_IS_ACCOUNT_STORE (store), NULL);
  if (!aor)
    return NULL;
  /* "alice@example.com" finds sip:alice@example.com too. */
  wanted = bell_account_normalize_address (aor, NULL);
  for (guint i = 0; i < store->accounts->len; i++)
    if (same_aor (bell_account_get_address (store->accounts->pdata[i]), wanted ? wanted : aor))
      return store->accounts->pdata[i];
  return NULL;
}

BellAccount *
bell_account_store_get_default (BellAccountStore *store)
{
  g_autofree char *id = NULL;
  BellAccount *account;

  g_return_val_if_fail (BELL_IS_ACCOUNT_STORE (store), NULL);
  id = g_settings_get_string (store->settings, "default-account");
  account = bell_account_store_lookup (store, id);
  if (!account && store->accounts->len > 0)
    account = store->accounts->pdata[0];
  return account;
}

void
bell_account_store_set_default (BellAccountStore *store, BellAccount *account)
{
  g_return_if_fail (BELL_IS_ACCOUNT_STORE (store));
  g_return_if_fail (account == NULL || BELL_IS_ACCOUNT (account));
  g_settings_set_string (store->settings, "default-account",
                         account ? bell_account_get_id (account) : "");
}

/* Adding, saving, removing */

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

static gboolean
is_choice (const char *value, const char *const *choices)
{
  return value && g_strv_contains (choices, value);
}

gboolean
bell_account_store_validate (BellAccountStore *store, BellAccount *account,
                             const BellAccountFields *fields, GError **error)
{
  static const char *const transports[] = { "auto", "udp", "tcp", "tls", "ws", "wss", NULL };
  static const char *const policies[] = { "auto", "off", "optional", "mandatory", NULL };
  g_autofree char *address = NULL;
  g_autofree char *registrar = NULL;
  g_autofree char *proxy = NULL;
  g_autofree char *stun = NULL;
  BellAccount *other;

  g_return_val_if_fail (BELL_IS_ACCOUNT_STORE (store), FALSE);
  g_return_val_if_fail (fields != NULL, FALSE);

  address = bell_account_normalize_address (fields->address, error);
  if (!address)
    return FALSE;
  other = bell_account_store_find_by_aor (store, address);
  if (other && other != account)
    {
      g_set_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_EXISTS,
                   _("Another account already uses the address %s"), address);
      return FALSE;
    }
  registrar = bell_account_normalize_server (fields->registrar, error);
  if (!registrar && error && *error)
    return FALSE;
  proxy = bell_account_normalize_server (fields->outbound_proxy, error);
  if (!proxy && error && *error)
    return FALSE;
  stun = strip (fields->stun_server);
  if (*stun)
    {
      g_autoptr(GSocketConnectable) parsed = g_network_address_parse (stun, 3478, NULL);
      if (!parsed || strpbrk (stun, " \t/"))
        {
          g_set_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_INVALID_SERVER,
                       _("“%s” is not a STUN server: write it as host or host:port"), stun);
          return FALSE;
        }
    }
  if (!is_choice (fields->transport, transports) || !is_choice (fields->srtp, policies) ||
      fields->expires < 60 || fields->expires > 86400)
    {
      g_set_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_INVALID_SERVER,
                   _("The transport, encryption or registration interval is not valid"));
      return FALSE;
    }
  return TRUE;
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
  g_autofree char *display_name = strip (fields->display_name);
  g_autofree char *auth_user = strip (fields->auth_user);
  g_autofree char *registrar = strip (fields->registrar);
  g_autofree char *proxy = strip (fields->outbound_proxy);
  g_autofree char *stun = strip (fields->stun_server);

  g_settings_delay (settings);
  g_settings_set_string (settings, "display-name", display_name);
  g_settings_set_string (settings, "address", address ? address : "");
  g_settings_set_string (settings, "auth-user", auth_user);
  g_settings_set_string (settings, "registrar", registrar);
  g_settings_set_string (settings, "outbound-proxy", proxy);
  g_settings_set_string (settings, "transport", fields->transport);
  g_settings_set_string (settings, "srtp", fields->srtp);
  g_settings_set_string (settings, "stun-server", stun);
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
  sync_from_settings (store);
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
  sync_from_settings (store);

  reset_settings (bell_account_get_settings (account));
  g_hash_table_remove (store->password_serials, id);
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

static BellAccountFields *
fields_copy (const BellAccountFields *fields)
{
  BellAccountFields *copy = g_new0 (BellAccountFields, 1);

  *copy = *fields;
  copy->display_name = g_strdup (fields->display_name);
  copy->address = g_strdup (fields->address);
  copy->auth_user = g_strdup (fields->auth_user);
  copy->registrar = g_strdup (fields->registrar);
  copy->outbound_proxy = g_strdup (fields->outbound_proxy);
  copy->transport = g_strdup (fields->transport);
  copy->srtp = g_strdup (fields->srtp);
  copy->stun_server = g_strdup (fields->stun_server);
  return copy;
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
  g_autofree char *user = strip (auth_user);

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
  data->fields = fields_copy (fields);
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

/* Registration: what the core says, in words */

static char *
status_text_for (BellAccountState state, const char *core_state, const char *reason, gint64 code,
                 const char *message)
{
  const char *sentence;

  switch (state)
    {
    case BELL_ACCOUNT_STATE_DISABLED:
      return g_strdup (_("Disabled"));
    case BELL_ACCOUNT_STATE_REGISTERING:
      return g_strdup (_("Registering…"));
    case BELL_ACCOUNT_STATE_REGISTERED:
      return g_strdup (_("Registered"));
    case BELL_ACCOUNT_STATE_UNREGISTERED:
      return g_strdup (g_strcmp0 (core_state, "unregistering") == 0 ? _("Unregistering…")
                                                                     : _("Not registered"));
    case BELL_ACCOUNT_STATE_FAILED:
    default:
      break;
    }
  if (g_strcmp0 (reason, "auth-failed") == 0)
    sentence = _("Wrong user name or password");
  else if (g_strcmp0 (reason, "no-route") == 0)
    sentence = _("The server’s name cannot be found");
  else if (g_strcmp0 (reason, "unreachable") == 0)
    sentence = _("The server cannot be reached");
  else if (g_strcmp0 (reason, "timeout") == 0)
    sentence = _("The server does not answer");
  else if (g_strcmp0 (reason, "tls") == 0)
    sentence = _("The secure connection (TLS) to the server failed");
  else if (g_strcmp0 (reason, "server-error") == 0)
    sentence = _("The server refused the registration");
  else if (g_strcmp0 (reason, "network-down") == 0)
    sentence = _("No network connection");
  else if (g_strcmp0 (reason, "config") == 0)
    sentence = _("The account’s settings cannot work");
  else
    sentence = _("Registration failed");
  if (message && *message)
    /* Translators: a reason the registration failed, then the details from the SIP stack. */
    return g_strdup_printf (_("%s: %s"), sentence, message);
  if (code > 0)
    return g_strdup_printf (_("%s (%d)"), sentence, (int) code);
  return g_strdup (sentence);
}

static BellAccountState
state_from_core (const char *state)
{
  if (g_strcmp0 (state, "registering") == 0)
    return BELL_ACCOUNT_STATE_REGISTERING;
  if (g_strcmp0 (state, "registered") == 0)
    return BELL_ACCOUNT_STATE_REGISTERED;
  if (g_strcmp0 (state, "failed") == 0)
    return BELL_ACCOUNT_STATE_FAILED;
  return BELL_ACCOUNT_STATE_UNREGISTERED;   /* unregistered, unregistering */
}

static void
show_state (BellAccount *account, BellAccountState state)
{
  g_autofree char *text = status_text_for (state, NULL, NULL, 0, NULL);
  bell_account_set_state (account, state, text);
}

static void
show_error (BellAccount *account, const GError *error)
{
  bell_account_set_state (account, BELL_ACCOUNT_STATE_FAILED, error->message);
}

/* Registration: keeping the core in step with the accounts */

static char *
fingerprint_of (BellAccountStore *store, BellAccount *account)
{
  guint serial = GPOINTER_TO_UINT (g_hash_table_lookup (store->password_serials,
                                                        bell_account_get_id (account)));

  return g_strdup_printf ("%s\n%s\n%s\n%s\n%s\n%s\n%u\n%u", bell_account_get_address (account),
                          bell_account_get_display_name (account),
                          bell_account_get_auth_user (account),
                          bell_account_get_registrar (account),
                          bell_account_get_outbound_proxy (account),
                          bell_account_get_transport (account),
                          bell_account_get_expires (account), serial);
}

typedef struct
{
  BellAccountStore *store;
  BellAccount      *account;
  guint             generation;
  char             *fingerprint;
} RegisterJob;

static void
register_job_free (RegisterJob *job)
{
  g_object_unref (job->store);
  g_object_unref (job->account);
  g_free (job->fingerprint);
  g_free (job);
}

static gboolean
job_is_current (RegisterJob *job)
{
  RegEntry *entry;

  if (!job->store->core || job->generation != job->store->generation)
    return FALSE;
  entry = g_hash_table_lookup (job->store->registered, bell_account_get_id (job->account));
  return entry && g_str_equal (entry->fingerprint, job->fingerprint);
}

static void
on_register_password (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RegisterJob *job = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BellAccountRegConfig) rc = NULL;
  char *password = bell_account_secret_lookup_finish (result, &error);

  if (!job_is_current (job))
    goto out;   /* the account changed or the core was let go meanwhile */
  if (error)
    {
      /* No keyring, no registration: the user sees why and may fix it (an edit retries). */
      g_hash_table_remove (job->store->registered, bell_account_get_id (job->account));
      show_error (job->account, error);
      goto out;
    }
  rc = bell_account_make_reg_config (job->account, password, &error);
  if (!rc)
    {
      g_hash_table_remove (job->store->registered, bell_account_get_id (job->account));
      show_error (job->account, error);
      goto out;
    }
  bell_core_register (job->store->core, &rc->config);
  ((RegEntry *) g_hash_table_lookup (job->store->registered,
                                     bell_account_get_id (job->account)))->submitted = TRUE;
  show_state (job->account, BELL_ACCOUNT_STATE_REGISTERING);
out:
  if (password)
    secret_password_free (password);
  register_job_free (job);
}

static void
start_registration (BellAccountStore *store, BellAccount *account, const char *fingerprint)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellAccountRegConfig) rc = bell_account_make_reg_config (account, NULL, &error);
  RegisterJob *job;
  RegEntry *entry;

  if (!rc)
    {
      show_error (account, error);
      return;
    }
  entry = g_new0 (RegEntry, 1);
  entry->aor = g_strdup (rc->aor);
  entry->fingerprint = g_strdup (fingerprint);
  g_hash_table_replace (store->registered, g_strdup (bell_account_get_id (account)), entry);

  job = g_new0 (RegisterJob, 1);
  job->store = g_object_ref (store);
  job->account = g_object_ref (account);
  job->generation = store->generation;
  job->fingerprint = g_strdup (fingerprint);
  show_state (account, BELL_ACCOUNT_STATE_REGISTERING);
  bell_account_secret_lookup_async (bell_account_get_id (account), store->cancellable,
                                    on_register_password, job);
}

static void reconcile (BellAccountStore *store);

static void
finish_draining (BellAccountStore *store)
{
  store->awaiting_unregistered = FALSE;
  g_hash_table_remove_all (store->draining);
  g_clear_handle_id (&store->drain_timeout, g_source_remove);
  reconcile (store);
}

static gboolean
on_drain_timeout (gpointer user_data)
{
  BellAccountStore *store = user_data;

  store->drain_timeout = 0;
  g_message ("the core did not confirm un-registering %u account(s); registering again anyway",
             g_hash_table_size (store->draining));
  finish_draining (store);
  return G_SOURCE_REMOVE;
}

/* Drops every registration of ours from the core, then (finish_draining) registers again. */
static void
reset_registrations (BellAccountStore *store)
{
  GHashTableIter iter;
  gpointer value;

  g_debug ("accounts changed: registering them all again");
  /* Only what reached the core needs un-registering; each reports "unregistered" (the core's
   * own "unregistered" event cannot be relied on for a second round: it also waits for
   * registrations it stopped before). */
  g_hash_table_iter_init (&iter, store->registered);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((RegEntry *) value)->submitted)
      g_hash_table_add (store->draining, g_strdup (((RegEntry *) value)->aor));
  store->generation++;
  g_hash_table_remove_all (store->registered);
  store->unregister_calls++;
  bell_core_unregister_all (store->core);
  if (g_hash_table_size (store->draining) == 0)
    {
      schedule_reconcile (store);
      return;
    }
  store->awaiting_unregistered = TRUE;
  store->drain_timeout = g_timeout_add (DRAIN_TIMEOUT_MS, on_drain_timeout, store);
}

/* The core keeps a registration per bell_core_register and has no way to drop one account:
 * any account that changed, was disabled or removed makes us drop them all
 * (bell_core_unregister_all) and register the enabled ones again once it is done. */
static void
reconcile (BellAccountStore *store)
{
  g_autoptr(GHashTable) wanted = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  GHashTableIter iter;
  gpointer key, value;
  gboolean reset = FALSE;

  for (guint i = 0; i < store->accounts->len; i++)
    {
      BellAccount *account = store->accounts->pdata[i];

      if (!bell_account_get_enabled (account))
        show_state (account, BELL_ACCOUNT_STATE_DISABLED);
      else if (!store->core)
        show_state (account, BELL_ACCOUNT_STATE_UNREGISTERED);
      else
        g_hash_table_insert (wanted, (gpointer) bell_account_get_id (account),
                             fingerprint_of (store, account));
    }
  if (!store->core || store->awaiting_unregistered)
    return;

  g_hash_table_iter_init (&iter, store->registered);
  while (!reset && g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *fingerprint = g_hash_table_lookup (wanted, key);
      reset = !fingerprint || !g_str_equal (fingerprint, ((RegEntry *) value)->fingerprint);
    }
  if (reset)
    {
      reset_registrations (store);
      return;
    }

  for (guint i = 0; i < store->accounts->len; i++)
    {
      BellAccount *account = store->accounts->pdata[i];
      const char *fingerprint = g_hash_table_lookup (wanted, bell_account_get_id (account));

      if (fingerprint && !g_hash_table_contains (store->registered, bell_account_get_id (account)))
        start_registration (store, account, fingerprint);
    }
}

static gboolean
on_reconcile_idle (gpointer user_data)
{
  BellAccountStore *store = user_data;

  store->reconcile_idle = 0;
  reconcile (store);
  return G_SOURCE_REMOVE;
}

/* Settings arrive key by key: act once they have all landed. */
static void
schedule_reconcile (BellAccountStore *store)
{
  if (!store->reconcile_idle)
    store->reconcile_idle = g_idle_add (on_reconcile_idle, store);
}

static BellAccount *
account_for_aor (BellAccountStore *store, const char *aor)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, store->registered);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (g_strcmp0 (((RegEntry *) value)->aor, aor) == 0)
      return bell_account_store_lookup (store, key);
  return NULL;
}

static void
on_core_event (BellCore *core, BellEvent *event, gpointer user_data)
{
  BellAccountStore *store = user_data;
  const char *name = bell_event_get_name (event);

  if (g_str_equal (name, "registration"))
    {
      const char *core_state = bell_event_get_string (event, "state");
      const char *aor = bell_event_get_string (event, "aor");
      BellAccount *account = account_for_aor (store, aor);
      BellAccountState state = state_from_core (core_state);
      g_autofree char *text = NULL;

      if (store->awaiting_unregistered && g_strcmp0 (core_state, "unregistered") == 0 &&
          g_hash_table_remove (store->draining, aor) &&
          g_hash_table_size (store->draining) == 0)
        {
          finish_draining (store);
          return;
        }

      /* Events of registrations we dropped (or another user's) are not ours to show. */
      if (!account)
        return;
      text = status_text_for (state, core_state, bell_event_get_string (event, "reason"),
                              bell_event_get_int (event, "code", 0),
                              bell_event_get_string (event, "message"));
      bell_account_set_state (account, state, text);
    }
  else if (g_str_equal (name, "unregistered"))
    {
      if (store->unregister_calls > 0)
        {
          store->unregister_calls--;
          if (store->awaiting_unregistered)
            finish_draining (store);
          return;
        }
      /* Someone else un-registered everything (quitting): our accounts are off the core. */
      store->generation++;
      g_hash_table_remove_all (store->registered);
      for (guint i = 0; i < store->accounts->len; i++)
        if (bell_account_get_enabled (store->accounts->pdata[i]))
          show_state (store->accounts->pdata[i], BELL_ACCOUNT_STATE_UNREGISTERED);
    }
}

void
bell_account_store_attach_core (BellAccountStore *store, BellCore *core)
{
  g_return_if_fail (BELL_IS_ACCOUNT_STORE (store));
  g_return_if_fail (BELL_IS_CORE (core));
  if (store->core == core)
    return;
  bell_account_store_detach_core (store);
  store->core = g_object_ref (core);
  store->core_event_handler = g_signal_connect (core, "event", G_CALLBACK (on_core_event), store);
  reconcile (store);
}

void
bell_account_store_detach_core (BellAccountStore *store)
{
  g_return_if_fail (BELL_IS_ACCOUNT_STORE (store));
  if (!store->core)
    return;
  g_clear_signal_handler (&store->core_event_handler, store->core);
  g_clear_object (&store->core);
  store->generation++;
  store->awaiting_unregistered = FALSE;
  store->unregister_calls = 0;
  g_hash_table_remove_all (store->draining);
  g_clear_handle_id (&store->drain_timeout, g_source_remove);
  g_hash_table_remove_all (store->registered);
}
