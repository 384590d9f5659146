/* bell-account-trust.c: the "Trust this certificate?" dialog (libadwaita 1.2 AdwMessageDialog). */
#define G_LOG_DOMAIN "bell-accounts"

#include "config.h"

#include <glib/gi18n.h>
#include "bell-account-trust.h"

typedef struct
{
  BellAccount *account;
  char        *fingerprint;   /* the certificate shown: what "trust" pins */
} TrustData;

static void
trust_data_free (gpointer data, GClosure *closure)
{
  TrustData *td = data;

  g_object_unref (td->account);
  g_free (td->fingerprint);
  g_free (td);
}

static void
on_response (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  TrustData *td = user_data;
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (response, "trust") != 0)
    return;
  if (!bell_account_trust_certificate (td->account, td->fingerprint, &error))
    g_warning ("%s", error->message);
}

AdwMessageDialog *
bell_account_trust_dialog_new (GtkWindow *parent, BellAccount *account)
{
  const char *fingerprint, *subject, *trusted;
  gboolean changed;
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;
  TrustData *td;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (BELL_IS_ACCOUNT (account), NULL);

  fingerprint = bell_account_get_refused_fingerprint (account);
  if (!fingerprint)
    return NULL;
  subject = bell_account_get_refused_subject (account);
  changed = bell_account_get_refused_changed (account);
  trusted = bell_account_get_tls_fingerprint (account);

  if (changed)
    /* Translators: %s are a certificate's subject and SHA-256 fingerprints (monospace). */
    body = g_markup_printf_escaped (_("The server of %s now presents a different certificate "
                                      "from the one you trusted, and it cannot be verified. A "
                                      "server given a new certificate looks like this, and so "
                                      "does someone intercepting the connection: trust the new "
                                      "one only if your provider confirms the change.\n\n"
                                      "New certificate: %s\n<tt>%s</tt>\n\n"
                                      "Trusted before:\n<tt>%s</tt>"),
                                    bell_account_get_address (account), subject, fingerprint,
                                    trusted);
  else
    body = g_markup_printf_escaped (_("The certificate of the server of %s cannot be verified. "
                                      "If you know it is the server’s own (your provider "
                                      "gave you its fingerprint, or the server is your own), "
                                      "you can trust it: exactly this certificate will be "
                                      "accepted, and a different one will be refused with a "
                                      "warning.\n\n"
                                      "Certificate: %s\n<tt>%s</tt>"),
                                    bell_account_get_address (account), subject, fingerprint);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (parent,
                                                       changed
                                                       ? _("The Server’s Certificate Has Changed")
                                                       : _("Trust This Certificate?"),
                                                       NULL));
  adw_message_dialog_set_body_use_markup (dialog, TRUE);
  adw_message_dialog_set_body (dialog, body);
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "trust", changed ? _("_Trust the New Certificate")
                                                     : _("_Trust This Certificate"),
                                    NULL);
  /* A change is the suspicious case: the safe answer is the default, the other looks it. */
  adw_message_dialog_set_response_appearance (dialog, "trust",
                                              changed ? ADW_RESPONSE_DESTRUCTIVE
                                                      : ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);

  td = g_new0 (TrustData, 1);
  td->account = g_object_ref (account);
  td->fingerprint = g_strdup (fingerprint);
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_response), td, trust_data_free, 0);
  return dialog;
}
