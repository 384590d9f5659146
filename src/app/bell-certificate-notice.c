/* bell-certificate-notice.c: a toast for each certificate refusal, with a way to review it. */
#include "config.h"

#include "bell-certificate-notice.h"

#include <glib/gi18n.h>
#include "accounts/bell-account-trust.h"
#include "bell-window.h"

typedef struct
{
  GtkApplication *app;       /* not a reference: the store dies with the application */
  GHashTable     *notified;  /* BellAccount → the fingerprint last told (owned) */
} Notice;

static void
notice_free (gpointer data)
{
  Notice *notice = data;

  g_hash_table_unref (notice->notified);
  g_free (notice);
}

static void
on_review (AdwToast *toast, gpointer data)
{
  BellAccount *account = data;
  GtkWindow *window = GTK_WINDOW (g_object_get_data (G_OBJECT (toast), "bell-window"));
  AdwMessageDialog *dialog = bell_account_trust_dialog_new (window, account);

  /* Trusted or forgotten meanwhile: nothing left to review. */
  if (dialog)
    gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_refused_changed (BellAccount *account, GParamSpec *pspec, gpointer data)
{
  Notice *notice = data;
  const char *fingerprint = bell_account_get_refused_fingerprint (account);
  GtkWindow *window = gtk_application_get_active_window (notice->app);
  g_autofree char *text = NULL;
  AdwToast *toast;

  if (!fingerprint)
    return;
  /* Once for each certificate: the same one refused again (a retry, the account enabled
   * again) is no news, and the account's row still offers it. */
  if (g_strcmp0 (g_hash_table_lookup (notice->notified, account), fingerprint) == 0 ||
      !BELL_IS_WINDOW (window))
    return;
  g_hash_table_insert (notice->notified, account, g_strdup (fingerprint));
  text = bell_account_get_refused_changed (account)
         ? g_strdup_printf (_("The server certificate of %s has changed: not accepted"),
                            bell_account_get_display_name (account))
         : g_strdup_printf (_("The server certificate of %s is not trusted"),
                            bell_account_get_display_name (account));
  toast = adw_toast_new (text);
  adw_toast_set_button_label (toast, _("Review…"));
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_set_timeout (toast, 0);   /* stays until dismissed: a security warning */
  g_object_set_data (G_OBJECT (toast), "bell-window", window);
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (on_review), account, 0);
  bell_window_add_toast (BELL_WINDOW (window), toast);
}

static void
watch_account (Notice *notice, BellAccount *account)
{
  g_signal_handlers_disconnect_by_data (account, notice);
  g_signal_connect (account, "notify::refused-certificate", G_CALLBACK (on_refused_changed),
                    notice);
  on_refused_changed (account, NULL, notice);
}

static void
on_items_changed (GListModel *model, guint position, guint removed, guint added, gpointer data)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(BellAccount) account = g_list_model_get_item (model, i);
      watch_account (data, account);
    }
}

static void
on_store_gone (gpointer data, GObject *store)
{
  notice_free (data);
}

void
bell_certificate_notice_watch (BellAccountStore *store, GtkApplication *app)
{
  Notice *notice = g_new0 (Notice, 1);
  GListModel *model = G_LIST_MODEL (store);

  notice->app = app;
  /* Accounts outlive nothing here: a removed account's entry goes with the store. */
  notice->notified = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_signal_connect (store, "items-changed", G_CALLBACK (on_items_changed), notice);
  g_object_weak_ref (G_OBJECT (store), on_store_gone, notice);
  on_items_changed (model, 0, 0, g_list_model_get_n_items (model), notice);
}
