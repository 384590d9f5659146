/* test-accounts-window.c: the Accounts window driven through its widgets, under Xvfb
 * (tests/ui/with-xvfb.sh), with its own session bus and gnome-keyring-daemon.
 *
 * Without a keyring, saving shows the keyring error and saves nothing. With one: the add form
 * refuses a malformed address, saves an account (password in the keyring, nowhere else), the
 * row shows its live state from a core (an unreachable registrar: a readable error in the
 * error colour), edit opens the same fields, and remove asks first.
 */
#include <adwaita.h>
#include <libsecret/secret.h>
#include <string.h>

#include "account-test-util.h"
#include "bell-account-row.h"
#include "bell-accounts-window.h"

#define PASSWORD "Ui-Secret-8086"
#define WAIT_MS  15000

static char *home;

static GtkWidget *
find_named (GtkWidget *widget, const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (widget), name) == 0 && gtk_widget_get_mapped (widget))
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

static GtkWidget *
find_label (GtkWidget *widget, const char *prefix)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget) &&
      g_str_has_prefix (gtk_label_get_label (GTK_LABEL (widget)), prefix))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_label (child, prefix);
      if (found)
        return found;
    }
  return NULL;
}

typedef struct
{
  GtkWidget  *root;
  const char *name;
  gboolean    present;
} NamedWait;

static gboolean
named_is (gpointer data)
{
  NamedWait *w = data;
  return (find_named (w->root, w->name) != NULL) == w->present;
}

/* Until a mapped widget called name is there (present) or gone. */
static GtkWidget *
wait_named (GtkWidget *root, const char *name, gboolean present)
{
  NamedWait w = { root, name, present };
  g_autofree char *what = g_strdup_printf ("widget %s %s", name, present ? "shown" : "gone");

  account_test_wait (named_is, &w, WAIT_MS, what);
  return find_named (root, name);
}

static void
type_into (GtkWidget *root, const char *name, const char *text)
{
  GtkWidget *widget = find_named (root, name);

  g_assert_nonnull (widget);
  gtk_editable_set_text (GTK_EDITABLE (widget), text);
}

static void
click (GtkWidget *root, const char *name)
{
  GtkWidget *widget = find_named (root, name);

  g_assert_nonnull (widget);
  g_assert_true (gtk_widget_is_sensitive (widget));
  gtk_widget_activate (widget);
}

/* A button clicked at once (activate presses it for a moment and clicks afterwards). */
static void
press (GtkWidget *root, const char *name)
{
  GtkWidget *widget = find_named (root, name);

  g_assert_nonnull (widget);
  g_assert_true (gtk_widget_is_sensitive (widget));
  g_signal_emit_by_name (widget, "clicked");
}

typedef struct
{
  GtkWidget  *root;
  const char *prefix;
} LabelWait;

static gboolean
label_shown (gpointer data)
{
  LabelWait *w = data;
  return find_label (w->root, w->prefix) != NULL;
}

static GtkWidget *
wait_label (GtkWidget *root, const char *prefix)
{
  LabelWait w = { root, prefix };
  g_autofree char *what = g_strdup_printf ("a label “%s…”", prefix);

  account_test_wait (label_shown, &w, WAIT_MS, what);
  return find_label (root, prefix);
}

/* The codecs as the editor lists them: "G722 opus- PCMU PCMA" (- : switched off). */
static char *
codec_order (GtkWidget *root)
{
  GtkWidget *list = find_named (root, "codecs");
  GString *order = g_string_new (NULL);
  GtkListBoxRow *row;

  g_assert_nonnull (list);
  for (int i = 0; (row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), i)); i++)
    {
      const char *name = gtk_widget_get_name (GTK_WIDGET (row));
      g_autofree char *switch_name = g_strconcat (name, "-offered", NULL);
      GtkWidget *sw = find_named (GTK_WIDGET (row), switch_name);

      g_assert_true (g_str_has_prefix (name, "codec-"));
      g_string_append_printf (order, "%s%s%s", i ? " " : "", name + strlen ("codec-"),
                              sw && !gtk_switch_get_active (GTK_SWITCH (sw)) ? "-" : "");
    }
  return g_string_free (order, FALSE);
}

#define assert_codec_order(root, expected) \
  G_STMT_START { \
    g_autofree char *order_ = codec_order (root); \
    g_assert_cmpstr (order_, ==, expected); \
  } G_STMT_END

static BellAccountRow *
first_row (GtkWidget *window)
{
  GtkWidget *list = find_named (window, "accounts-list");
  GtkListBoxRow *row = list ? gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0) : NULL;

  return row && BELL_IS_ACCOUNT_ROW (row) ? BELL_ACCOUNT_ROW (row) : NULL;
}

static AdwMessageDialog *
find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* not ours */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);
      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return ADW_MESSAGE_DIALOG (window);
    }
  return NULL;
}

static gboolean
dialog_shown (gpointer data)
{
  return find_message_dialog () != NULL;
}

static gboolean
store_has (gpointer data)
{
  return g_list_model_get_n_items (G_LIST_MODEL (data)) > 0;
}

static gboolean
store_empty (gpointer data)
{
  return g_list_model_get_n_items (G_LIST_MODEL (data)) == 0;
}

static void
test_window (void)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.bellbird.Bellbird");
  g_autoptr(BellAccountStore) store = bell_account_store_new (settings);
  g_autoptr(BellCore) core = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *registrar = NULL;
  char *password;
  GtkWidget *window = bell_accounts_window_new (store);
  GtkWidget *status;
  BellAccountRow *row;
  BellAccount *account;
  AdwMessageDialog *dialog;
  GPid keyring;
  BellCoreConfig config = { .bind_address = "127.0.0.1", .listen = BELL_SIP_TRANSPORT_UDP,
                            .auto_answer_ms = -1, .no_media = TRUE };

  /* The app's order empty: the core's own (Opus first) is what a new account shows. */
  g_settings_set_strv (settings, "codecs", NULL);
  g_object_ref_sink (window);
  gtk_window_present (GTK_WINDOW (window));
  wait_label (window, "No accounts yet");
  core = bell_core_new (&config, &error);
  g_assert_no_error (error);
  bell_account_store_attach_core (store, core);

  /* No Secret Service yet: the error is shown, the form stays, nothing is saved. */
  click (window, "add-account");
  wait_named (window, "address", TRUE);
  type_into (window, "address", "alice");
  wait_label (window, "“alice” is not a SIP address");
  g_assert_false (gtk_widget_is_sensitive (find_named (window, "save")));
  g_assert_true (gtk_widget_has_css_class (find_named (window, "address"), "error"));
  type_into (window, "display-name", "Alice");
  type_into (window, "address", "alice@accounts.bellbird.test");
  type_into (window, "password", PASSWORD);
  registrar = g_strdup_printf ("127.0.0.1:%u", account_test_free_port (G_SOCKET_TYPE_STREAM));
  type_into (window, "registrar", registrar);
  adw_combo_row_set_selected (ADW_COMBO_ROW (find_named (window, "transport")), 2);  /* TCP */

  /* Codecs: the default order, nothing to reset; G.711 cannot be switched off. */
  assert_codec_order (window, "opus G722 PCMU PCMA");
  g_assert_false (gtk_widget_is_sensitive (find_named (window, "codecs-reset")));
  g_assert_nonnull (find_named (window, "codec-opus-offered"));
  g_assert_null (find_named (window, "codec-PCMU-offered"));
  g_assert_null (find_named (window, "codec-PCMA-offered"));
  g_assert_false (gtk_widget_is_sensitive (find_named (window, "codec-opus-up")));
  g_assert_false (gtk_widget_is_sensitive (find_named (window, "codec-PCMA-down")));
  /* G.722 up to first: its up button goes dead, so the focus moves to its down button. */
  press (window, "codec-G722-up");
  assert_codec_order (window, "G722 opus PCMU PCMA");
  g_assert_false (gtk_widget_is_sensitive (find_named (window, "codec-G722-up")));
  g_assert_true (gtk_root_get_focus (GTK_ROOT (window)) == find_named (window, "codec-G722-down"));
  press (window, "codec-PCMA-up");
  assert_codec_order (window, "G722 opus PCMA PCMU");
  g_assert_true (gtk_root_get_focus (GTK_ROOT (window)) == find_named (window, "codec-PCMA-up"));
  gtk_switch_set_active (GTK_SWITCH (find_named (window, "codec-opus-offered")), FALSE);
  assert_codec_order (window, "G722 opus- PCMA PCMU");
  g_assert_true (gtk_widget_is_sensitive (find_named (window, "codecs-reset")));
  gtk_switch_set_active (GTK_SWITCH (find_named (window, "low-bandwidth")), TRUE);
  /* Direct calls to this account: Automatic (the app's choice) until changed; Nobody. */
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (find_named (window,
                                                                           "direct-calls"))),
                    ==, 0);
  adw_combo_row_set_selected (ADW_COMBO_ROW (find_named (window, "direct-calls")), 3);
  click (window, "save");
  wait_label (window, "The keyring is not available");
  g_assert_nonnull (find_named (window, "address"));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 0);

  /* With a keyring the same form saves, and the form closes. */
  keyring = account_test_keyring_start ();
  click (window, "save");
  account_test_wait (store_has, store, WAIT_MS, "the account in the store");
  wait_named (window, "address", FALSE);
  account = g_list_model_get_item (G_LIST_MODEL (store), 0);
  g_object_unref (account);   /* the store keeps it */
  g_assert_cmpstr (bell_account_get_address (account), ==, "sip:alice@accounts.bellbird.test");
  g_assert_cmpstr (bell_account_get_transport (account), ==, "tcp");
  {
    g_autofree char *codecs = g_strjoinv (",", (char **) bell_account_get_codecs (account));
    g_assert_cmpstr (codecs, ==, "G722,PCMA,PCMU");
  }
  g_assert_true (bell_account_get_low_bandwidth (account));
  g_assert_cmpstr (bell_account_get_direct_calls (account), ==, "nobody");
  bell_account_store_lookup_password_async (account, NULL, account_test_store_result, &result);
  password = bell_account_store_lookup_password_finish (account_test_wait_result (&result),
                                                        &error);
  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, PASSWORD);
  secret_password_free (password);
  g_assert_false (account_test_tree_contains (home, PASSWORD));

  /* Its row follows the core: nobody listens at that registrar. */
  row = first_row (window);
  g_assert_nonnull (row);
  status = wait_label (window, "The server cannot be reached");
  g_test_message ("row: %s", bell_account_row_get_status (row));
  g_assert_true (gtk_widget_has_css_class (status, "error"));
  g_assert_nonnull (find_label (window, "Alice"));

  /* Edit shows what was saved, and never the password. */
  g_signal_emit_by_name (find_named (window, "accounts-list"), "row-activated", row);
  wait_named (window, "address", TRUE);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_named (window, "address"))), ==,
                   "sip:alice@accounts.bellbird.test");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_named (window, "registrar"))), ==,
                   registrar);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_named (window, "password"))), ==,
                   "");
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (find_named (window, "transport"))),
                    ==, 2);
  /* Its own order, the codec it does not offer after it; reset shows the default again. */
  assert_codec_order (window, "G722 PCMA PCMU opus-");
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (find_named (window, "low-bandwidth"))));
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (find_named (window,
                                                                           "direct-calls"))),
                    ==, 3);
  press (window, "codecs-reset");
  assert_codec_order (window, "opus G722 PCMU PCMA");
  g_assert_false (gtk_widget_is_sensitive (find_named (window, "codecs-reset")));

  /* Remove asks first. */
  click (window, "remove");
  account_test_wait (dialog_shown, NULL, WAIT_MS, "the confirmation");
  dialog = find_message_dialog ();
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);
  adw_message_dialog_response (dialog, "remove");
  account_test_wait (store_empty, store, WAIT_MS, "the account removed");
  wait_named (window, "address", FALSE);
  wait_label (window, "No accounts yet");

  bell_account_store_detach_core (store);
  bell_core_shutdown (core);
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (window);
  account_test_keyring_stop (keyring);
}

int
main (int argc, char **argv)
{
  g_autofree char *daemon = g_find_program_in_path ("gnome-keyring-daemon");
  g_autofree char *display = NULL;
  int status;

  home = account_test_private_home ("keyfile");
  g_test_init (&argc, &argv, NULL);
  if (!daemon || !g_getenv ("DISPLAY"))
    {
      g_test_add_data_func ("/accounts/skipped", "needs gnome-keyring-daemon and a display (run under tests/ui/with-xvfb.sh)",
                            (GTestDataFunc) g_test_skip);
      return g_test_run ();
    }
  /* A bus of our own, without activatable services: the keyring is only the one we start.
   * GTestDBus unsets DISPLAY (against D-Bus autolaunch): the X server is still ours to use. */
  display = g_strdup (g_getenv ("DISPLAY"));
  account_test_bus_up ();
  g_setenv ("DISPLAY", display, TRUE);
  adw_init ();
  g_test_add_func ("/accounts/window/add-edit-remove", test_window);
  status = g_test_run ();

  secret_service_disconnect ();
  account_test_bus_stop ();
  account_test_rm_rf (home);
  g_free (home);
  return status;
}
