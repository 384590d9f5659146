/* bell-direct-calls.c: the app's "direct-calls" key as the core's policy, the contacts the
 * core matches for "contacts", and the question asked once. */
#define G_LOG_DOMAIN "bell-direct-calls"

#include "config.h"
#include "bell-direct-calls.h"

#include <glib/gi18n.h>
#include <string.h>
#include <adwaita.h>
#include "bell-account.h"
#include "bell-contact.h"
#include "sip/bell-sip-uri.h"

/* The app-wide key and the accounts' keys share their words ("ask" and "auto" both leave it
 * to the core): one mapping, the accounts'. */
BellDirectCalls
bell_direct_calls_from_setting (const char *value)
{
  return bell_account_direct_calls_policy (value);
}

gboolean
bell_direct_calls_migrate (GSettings *settings)
{
  g_autoptr(GVariant) old = NULL;
  g_autoptr(GVariant) chosen = NULL;
  gboolean changed = FALSE;

  g_return_val_if_fail (G_IS_SETTINGS (settings), FALSE);
  /* Only a value the user set counts: the old default (true) said nothing about a choice. */
  old = g_settings_get_user_value (settings, "accept-direct-calls");
  if (!old)
    return FALSE;
  chosen = g_settings_get_user_value (settings, "direct-calls");
  if (!g_variant_get_boolean (old) && !chosen)
    {
      g_settings_set_string (settings, "direct-calls", "nobody");
      changed = TRUE;
    }
  g_settings_reset (settings, "accept-direct-calls");
  return changed;
}

/* One of a contact's addresses as a URI the core can match a From against: user@host. */
static char *
contact_uri (const char *text)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text ? text : ""));
  g_autofree char *with_scheme = NULL;
  g_autoptr(BellSipUri) uri = NULL;

  if (!strchr (stripped, '@'))
    return NULL;   /* a number, "echo": no host */
  if (g_ascii_strncasecmp (stripped, "sip:", 4) == 0 ||
      g_ascii_strncasecmp (stripped, "sips:", 5) == 0)
    with_scheme = g_steal_pointer (&stripped);
  else if (strchr (stripped, ':') && strchr (stripped, ':') < strchr (stripped, '@'))
    return NULL;   /* another scheme (tel:, mailto:) */
  else
    with_scheme = g_strconcat ("sip:", stripped, NULL);
  uri = bell_sip_uri_new (with_scheme, NULL);
  if (!uri || !bell_sip_uri_is_sip (uri) || !bell_str_is_set (uri->user) ||
      !bell_str_is_set (uri->host))
    return NULL;
  return g_strdup_printf ("%s:%.*s@%.*s", uri->scheme == BELL_URI_SCHEME_SIPS ? "sips" : "sip",
                          BELL_STR_PRINTF (uri->user), BELL_STR_PRINTF (uri->host));
}

char **
bell_direct_calls_contact_uris (GListModel *contacts)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n = contacts ? g_list_model_get_n_items (contacts) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(BellContact) contact = g_list_model_get_item (contacts, i);

      for (guint a = 0; a < bell_contact_get_n_addresses (contact); a++)
        {
          char *uri = contact_uri (bell_contact_get_address (contact, a)->uri);

          if (!uri)
            continue;
          if (g_hash_table_add (seen, uri))
            g_strv_builder_add (builder, uri);
        }
    }
  return g_strv_builder_end (builder);
}

/* The question */

static void
on_response (AdwMessageDialog *dialog, const char *response, gpointer data)
{
  GSettings *settings = data;

  /* Escape or the window's close: no answer, nothing stored (the core keeps "ask"'s rule). */
  if (g_strcmp0 (response, "anyone") == 0 || g_strcmp0 (response, "contacts") == 0 ||
      g_strcmp0 (response, "nobody") == 0)
    g_settings_set_string (settings, "direct-calls", response);
}

static void
unref_settings (gpointer data, GClosure *closure)
{
  g_object_unref (data);
}

GtkWidget *
bell_direct_calls_dialog_new (GtkWindow *parent, GSettings *settings)
{
  GtkWidget *dialog;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  dialog = adw_message_dialog_new (parent, _("Let others call this computer directly?"),
                                   _("Without an account, other phones can reach Bellbird only "
                                     "at this computer’s address, and so can anyone else on the "
                                     "network. Calls through an account’s server always ring. "
                                     "You can change this later in the main menu."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "nobody", _("_Nobody"),
                                    "contacts", _("Only My _Contacts"),
                                    "anyone", _("_Anyone on the Network"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "contacts",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "contacts");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "close");
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  g_signal_connect_data (dialog, "response", G_CALLBACK (on_response), g_object_ref (settings),
                         unref_settings, 0);
  return dialog;
}
