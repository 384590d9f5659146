/* test-account-trust.c: trusting a server certificate the core refused, under Xvfb
 * (tests/ui/with-xvfb.sh): the account row offers it only when there is one, its button opens
 * the dialog with the fingerprint, "trust" pins exactly the certificate shown in the account's
 * "tls-fingerprint" key (and the registration config), a changed certificate is a warning
 * whose safe answer is the default, and the account editor shows the trusted certificate and
 * forgets it. No keyring or network: the refusal is set as the account
 * store sets it from the core's "registration" event.
 */
#include <adwaita.h>
#include <string.h>

#include "account-test-util.h"
#include "bell-account-editor.h"
#include "bell-account-row.h"
#include "bell-account-trust.h"
#include "bell-accounts-window.h"

#define FP_A "sha256:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:" \
             "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"
#define FP_B "sha256:FF:EE:DD:CC:BB:AA:99:88:77:66:55:44:33:22:11:00:" \
             "FF:EE:DD:CC:BB:AA:99:88:77:66:55:44:33:22:11:00"
#define WAIT_MS 5000

static char *home;

static GtkWindow *
find_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* not ours */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);
      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return GTK_WINDOW (window);
    }
  return NULL;
}

static GtkWidget *
find_named (GtkWidget *widget, const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (widget), name) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_named (child, name);
      if (found)
        return found;
    }
  return NULL;
}

static gboolean
dialog_shown (gpointer data)
{
  return find_dialog () != NULL;
}

static gboolean
row_mapped (gpointer data)
{
  return gtk_widget_get_mapped (data);
}

static void
test_trust (void)
{
  g_autoptr(BellAccount) account = bell_account_new ("trust-test");
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *row = bell_account_row_new (account);
  GtkWidget *button = bell_account_row_get_trust_button (BELL_ACCOUNT_ROW (row));
  g_autoptr(GError) error = NULL;
  g_autoptr(BellAccountRegConfig) rc = NULL;
  AdwMessageDialog *dialog;
  g_autofree char *body = NULL;

  g_settings_set_string (bell_account_get_settings (account), "address", "sip:pbx@192.0.2.1");
  gtk_list_box_append (GTK_LIST_BOX (list), row);
  gtk_window_set_child (window, list);
  gtk_window_present (window);
  account_test_wait (row_mapped, row, WAIT_MS, "the account row shown");

  /* Nothing refused: nothing to trust. */
  g_assert_false (gtk_widget_get_visible (button));
  g_assert_null (bell_account_trust_dialog_new (window, account));

  /* Refused as untrusted: the row offers it, the dialog shows it and "trust" pins it. */
  bell_account_set_refused_certificate (account, FP_A, "CN=pbx.example,O=Example", FALSE);
  g_assert_true (gtk_widget_get_visible (button));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, "_Trust…");
  g_assert_nonnull (gtk_widget_get_tooltip_text (button));
  gtk_widget_activate (button);
  account_test_wait (dialog_shown, NULL, WAIT_MS, "the trust dialog shown");
  dialog = ADW_MESSAGE_DIALOG (find_dialog ());
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Trust This Certificate?");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), FP_A));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "CN=pbx.example,O=Example"));
  g_assert_cmpstr (adw_message_dialog_get_default_response (dialog), ==, "cancel");
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "trust"), ==,
                   ADW_RESPONSE_SUGGESTED);
  /* Another refusal while the dialog is open: "trust" still pins what the user saw. */
  bell_account_set_refused_certificate (account, FP_B, "CN=other", FALSE);
  g_object_ref (dialog);   /* a response closes it: destroyed, but ours until unref */
  adw_message_dialog_response (dialog, "trust");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_unref (dialog);
  g_assert_cmpstr (bell_account_get_tls_fingerprint (account), ==, FP_A);
  {
    g_autofree char *stored = g_settings_get_string (bell_account_get_settings (account),
                                                     "tls-fingerprint");
    g_assert_cmpstr (stored, ==, FP_A);
  }
  g_assert_null (bell_account_get_refused_fingerprint (account));
  g_assert_false (gtk_widget_get_visible (button));
  /* The next registration carries the pin. */
  rc = bell_account_make_reg_config (account, "unused", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rc->config.tls_pin, ==, FP_A);

  /* Changed: a warning; cancelling keeps the old pin. */
  bell_account_set_refused_certificate (account, FP_B, "CN=intruder", TRUE);
  g_assert_true (gtk_widget_get_visible (button));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, "_Review…");
  dialog = bell_account_trust_dialog_new (window, account);
  g_assert_nonnull (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==,
                   "The Server’s Certificate Has Changed");
  body = g_strdup (adw_message_dialog_get_body (dialog));
  g_assert_nonnull (strstr (body, FP_B));   /* the new one */
  g_assert_nonnull (strstr (body, FP_A));   /* the one trusted before */
  g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, "trust"), ==,
                   ADW_RESPONSE_DESTRUCTIVE);
  g_assert_cmpstr (adw_message_dialog_get_close_response (dialog), ==, "cancel");
  gtk_window_present (GTK_WINDOW (dialog));
  g_object_ref (dialog);
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_unref (dialog);
  g_assert_cmpstr (bell_account_get_tls_fingerprint (account), ==, FP_A);
  g_assert_cmpstr (bell_account_get_refused_fingerprint (account), ==, FP_B);

  /* Trusting the new one replaces the pin. */
  g_assert_true (bell_account_trust_certificate (account, FP_B, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (bell_account_get_tls_fingerprint (account), ==, FP_B);
  g_assert_false (bell_account_trust_certificate (account, "sha256:12", &error));
  g_assert_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_INVALID_CERTIFICATE);
  g_assert_cmpstr (bell_account_get_tls_fingerprint (account), ==, FP_B);

  /* The editor shows the trusted certificate and forgets it. */
  {
    g_autoptr(GSettings) app = g_settings_new ("io.github.bellbird.Bellbird");
    g_autoptr(BellAccountStore) store = bell_account_store_new (app);
    GtkWidget *editor = g_object_ref_sink (bell_account_editor_new (store, account));
    GtkWidget *cert_row = find_named (editor, "trusted-certificate");
    GtkWidget *forget = find_named (editor, "forget-certificate");

    g_assert_nonnull (cert_row);
    g_assert_nonnull (forget);
    g_assert_true (gtk_widget_get_visible (cert_row));
    g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (cert_row)), ==, FP_B);
    g_assert_nonnull (gtk_widget_get_tooltip_text (forget));
    g_signal_emit_by_name (forget, "clicked");
    g_assert_false (gtk_widget_get_visible (cert_row));
    g_assert_cmpstr (bell_account_get_tls_fingerprint (account), ==, "");
    g_object_unref (editor);

    /* Nothing trusted: no such row. */
    editor = g_object_ref_sink (bell_account_editor_new (store, account));
    g_assert_false (gtk_widget_get_visible (find_named (editor, "trusted-certificate")));
    g_object_unref (editor);
  }

  gtk_window_destroy (window);
}

int
main (int argc, char **argv)
{
  int status;

  home = account_test_private_home ("memory");
  g_test_init (&argc, &argv, NULL);
  if (!g_getenv ("DISPLAY"))
    {
      g_test_add_data_func ("/accounts/trust/skipped",
                            "needs a display (run under tests/ui/with-xvfb.sh)",
                            (GTestDataFunc) g_test_skip);
      return g_test_run ();
    }
  adw_init ();
  bell_accounts_register_resources ();
  g_test_add_func ("/accounts/trust/row-and-dialog", test_trust);
  status = g_test_run ();
  account_test_rm_rf (home);
  g_free (home);
  return status;
}
