/* bell-account-store.c: the list of accounts (a GListModel that follows the app settings'
 * "accounts" key) and looking accounts up. Saving is in bell-account-store-save.c, registering
 * with the core in bell-account-store-sync.c. */
#define G_LOG_DOMAIN "bell-accounts"

#include "config.h"

#include "bell-account-store-private.h"
#include "sip/bell-sip-uri.h"

static void bell_account_store_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BellAccountStore, bell_account_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      bell_account_store_list_model_init))

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

/* Drops what _bell_account_store_watch_account connected: a removed account's edits are no
 * longer ours to act on. */
static void
forget_account (BellAccountStore *store, BellAccount *account)
{
  g_signal_handlers_disconnect_by_data (account, store);
}

void
_bell_account_store_sync_from_settings (BellAccountStore *store)
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
          _bell_account_store_watch_account (store, account);
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
  _bell_account_store_schedule_sync (store);
}

static void
on_settings_changed (GSettings *settings, const char *key, gpointer user_data)
{
  _bell_account_store_sync_from_settings (user_data);
}

/* GObject */

static void
bell_account_store_dispose (GObject *object)
{
  BellAccountStore *store = BELL_ACCOUNT_STORE (object);

  g_cancellable_cancel (store->cancellable);
  bell_account_store_detach_core (store);
  g_clear_handle_id (&store->sync_idle, g_source_remove);
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
}

BellAccountStore *
bell_account_store_new (GSettings *app_settings)
{
  BellAccountStore *store;

  g_return_val_if_fail (G_IS_SETTINGS (app_settings), NULL);
  store = g_object_new (BELL_TYPE_ACCOUNT_STORE, NULL);
  store->settings = g_object_ref (app_settings);
  g_signal_connect (app_settings, "changed::accounts", G_CALLBACK (on_settings_changed), store);
  _bell_account_store_sync_from_settings (store);
  return store;
}

GSettings *
bell_account_store_get_settings (BellAccountStore *store)
{
  g_return_val_if_fail (BELL_IS_ACCOUNT_STORE (store), NULL);
  return store->settings;
}

char **
bell_account_store_dup_default_codecs (BellAccountStore *store)
{
  g_auto(GStrv) app = NULL;
  g_autoptr(GPtrArray) known = g_ptr_array_new ();
  char **codecs;

  g_return_val_if_fail (BELL_IS_ACCOUNT_STORE (store), NULL);
  /* The app hands its key to the core as BellCoreConfig.codecs, which an account without an
   * order of its own follows; names the core does not know it leaves out, and so do we. */
  app = g_settings_get_strv (store->settings, "codecs");
  for (guint i = 0; app[i]; i++)
    if (bell_account_codec_name (app[i]))
      g_ptr_array_add (known, app[i]);
  g_ptr_array_add (known, NULL);
  codecs = bell_account_normalize_codecs (known->len > 1 ? (const char *const *) known->pdata
                                                         : bell_account_known_codecs (), NULL);
  g_assert (codecs);
  return codecs;
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

/* Parsed: sip:alice@EXAMPLE.com is sip:alice@example.com. */
gboolean
_bell_account_same_aor (const char *a, const char *b)
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
    if (_bell_account_same_aor (bell_account_get_address (store->accounts->pdata[i]), wanted ? wanted : aor))
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
