/* bell-account-editor.c: adding or editing an account. */
#define G_LOG_DOMAIN "bell-accounts"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include "bell-account-editor.h"
#include "bell-codec-list.h"

/* The combo rows list these, in this order (the .ui's labels). */
static const char *const transports[] = { "auto", "udp", "tcp", "tls", "ws", "wss" };
static const char *const policies[] = { "auto", "off", "optional", "mandatory" };
static const char *const direct_choices[] = { "auto", "anyone", "contacts", "nobody" };

struct _BellAccountEditor
{
  GtkBox             parent_instance;

  BellAccountStore  *store;
  BellAccount       *account;        /* NULL: adding */
  GCancellable      *cancellable;
  guint              expires;        /* not in the form: kept as it was */
  gboolean           own_codecs;     /* the account has an order of its own (else the app's) */

  AdwWindowTitle    *window_title;
  GtkButton         *save_button;
  GtkButton         *cancel_button;
  AdwEntryRow       *display_name_row;
  AdwEntryRow       *address_row;
  AdwPasswordEntryRow *password_row;
  GtkSwitch         *enabled_switch;
  GtkLabel          *error_label;
  AdwEntryRow       *registrar_row;
  AdwEntryRow       *proxy_row;
  AdwEntryRow       *auth_user_row;
  AdwComboRow       *transport_row;
  AdwEntryRow       *stun_row;
  AdwActionRow      *certificate_row;
  AdwComboRow       *srtp_row;
  AdwComboRow       *direct_calls_row;
  GtkSwitch         *low_bandwidth_switch;
  BellCodecList     *codec_list;
  GtkButton         *codecs_reset_button;
  AdwPreferencesGroup *remove_group;
};

G_DEFINE_FINAL_TYPE (BellAccountEditor, bell_account_editor, GTK_TYPE_BOX)

enum { SIGNAL_DONE, N_SIGNALS };
static guint signals[N_SIGNALS];

static guint
index_of (const char *const *values, guint n, const char *value)
{
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (values[i], value) == 0)
      return i;
  return 0;
}

static void
toast (BellAccountEditor *self, const char *text)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_PREFERENCES_WINDOW);
  AdwToast *t = adw_toast_new (text);

  adw_toast_set_timeout (t, 0);   /* an error stays until the user has read it */
  if (window)
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (window), t);
  else
    g_object_unref (g_object_ref_sink (t));
}

static void
show_error (BellAccountEditor *self, const char *text)
{
  gtk_label_set_label (self->error_label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), text != NULL);
}

static void
mark (GtkWidget *row, gboolean bad)
{
  if (bad)
    gtk_widget_add_css_class (row, "error");
  else
    gtk_widget_remove_css_class (row, "error");
}

static void
on_address_changed (BellAccountEditor *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->address_row));
  g_autoptr(GError) error = NULL;
  g_autofree char *address = bell_account_normalize_address (text, &error);

  /* Said as soon as the text cannot become an address; an empty field is just unfinished. */
  mark (GTK_WIDGET (self->address_row), !address && *text);
  show_error (self, !address && *text ? error->message : NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), address != NULL);
}

static void
on_srtp_selected (BellAccountEditor *self)
{
  static const char *const explanations[] = {
    N_("Encrypted when the connection to the server is (TLS), else plain"),
    N_("Never encrypted"),
    N_("Offered to every peer; plain with peers that cannot"),
    N_("Always encrypted; calls to peers that cannot are refused"),
  };
  guint selected = adw_combo_row_get_selected (self->srtp_row);

  if (selected < G_N_ELEMENTS (explanations))
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->srtp_row), _(explanations[selected]));
}

static void
on_direct_calls_selected (BellAccountEditor *self)
{
  static const char *const explanations[] = {
    N_("As the main menu’s Direct Calls says"),
    N_("Anyone who reaches this computer may ring"),
    N_("Only the SIP addresses in your contacts may ring"),
    N_("Calls that do not come through the server are refused, unheard"),
  };
  guint selected = adw_combo_row_get_selected (self->direct_calls_row);

  if (selected < G_N_ELEMENTS (explanations))
    adw_action_row_set_subtitle (ADW_ACTION_ROW (self->direct_calls_row),
                                 _(explanations[selected]));
}

/* The rows show the order calls will use: the account's own, else the app's. */
static void
show_codecs (BellAccountEditor *self, const char *const *own)
{
  g_auto(GStrv) codecs = NULL;

  self->own_codecs = own && own[0];
  codecs = self->own_codecs ? g_strdupv ((char **) own)
                            : bell_account_store_dup_default_codecs (self->store);
  bell_codec_list_set_codecs (self->codec_list, (const char *const *) codecs);
  gtk_widget_set_sensitive (GTK_WIDGET (self->codecs_reset_button), self->own_codecs);
}

static void
on_codecs_changed (BellAccountEditor *self)
{
  /* Touched: from now on the account keeps this order, whatever the app's becomes. */
  self->own_codecs = TRUE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->codecs_reset_button), TRUE);
}

static void
on_codecs_reset_clicked (BellAccountEditor *self)
{
  show_codecs (self, NULL);
  /* The button goes insensitive under the focus: give it to the list. */
  gtk_widget_grab_focus (GTK_WIDGET (self->codec_list));
}

static BellAccountFields *
collect (BellAccountEditor *self)
{
  BellAccountFields *fields = bell_account_fields_new ();

#define TAKE(field, row) \
  g_free (fields->field); \
  fields->field = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->row)))
  TAKE (display_name, display_name_row);
  TAKE (address, address_row);
  TAKE (auth_user, auth_user_row);
  TAKE (registrar, registrar_row);
  TAKE (outbound_proxy, proxy_row);
  TAKE (stun_server, stun_row);
#undef TAKE
  g_free (fields->transport);
  fields->transport = g_strdup (transports[MIN (adw_combo_row_get_selected (self->transport_row),
                                                G_N_ELEMENTS (transports) - 1)]);
  g_free (fields->srtp);
  fields->srtp = g_strdup (policies[MIN (adw_combo_row_get_selected (self->srtp_row),
                                         G_N_ELEMENTS (policies) - 1)]);
  g_free (fields->direct_calls);
  fields->direct_calls =
    g_strdup (direct_choices[MIN (adw_combo_row_get_selected (self->direct_calls_row),
                                  G_N_ELEMENTS (direct_choices) - 1)]);
  g_strfreev (fields->codecs);
  fields->codecs = self->own_codecs ? bell_codec_list_dup_codecs (self->codec_list) : NULL;
  fields->low_bandwidth = gtk_switch_get_active (self->low_bandwidth_switch);
  fields->enabled = gtk_switch_get_active (self->enabled_switch);
  fields->expires = self->expires;
  return fields;
}

static void
fill (BellAccountEditor *self, const BellAccountFields *fields)
{
  gtk_editable_set_text (GTK_EDITABLE (self->display_name_row), fields->display_name);
  gtk_editable_set_text (GTK_EDITABLE (self->address_row), fields->address);
  gtk_editable_set_text (GTK_EDITABLE (self->auth_user_row), fields->auth_user);
  gtk_editable_set_text (GTK_EDITABLE (self->registrar_row), fields->registrar);
  gtk_editable_set_text (GTK_EDITABLE (self->proxy_row), fields->outbound_proxy);
  gtk_editable_set_text (GTK_EDITABLE (self->stun_row), fields->stun_server);
  adw_combo_row_set_selected (self->transport_row,
                              index_of (transports, G_N_ELEMENTS (transports), fields->transport));
  adw_combo_row_set_selected (self->srtp_row,
                              index_of (policies, G_N_ELEMENTS (policies), fields->srtp));
  adw_combo_row_set_selected (self->direct_calls_row,
                              index_of (direct_choices, G_N_ELEMENTS (direct_choices),
                                        fields->direct_calls));
  gtk_switch_set_active (self->enabled_switch, fields->enabled);
  gtk_switch_set_active (self->low_bandwidth_switch, fields->low_bandwidth);
  show_codecs (self, (const char *const *) fields->codecs);
  self->expires = fields->expires;
  on_srtp_selected (self);
  on_direct_calls_selected (self);
  on_address_changed (self);
}

static void
set_busy (BellAccountEditor *self, gboolean busy)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->remove_group), !busy);
}

static void
on_saved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  BellAccountEditor *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BellAccount) account = bell_account_store_save_finish (BELL_ACCOUNT_STORE (source),
                                                                   result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_object_unref (self);
      return;
    }
  set_busy (self, FALSE);
  if (!account)
    toast (self, error->message);
  else
    {
      g_set_object (&self->account, account);
      /* The password is in the keyring now; the form keeps no copy. */
      gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
      g_signal_emit (self, signals[SIGNAL_DONE], 0);
    }
  g_object_unref (self);
}

static void
on_save_clicked (BellAccountEditor *self)
{
  g_autoptr(BellAccountFields) fields = collect (self);
  g_autoptr(GError) error = NULL;

  mark (GTK_WIDGET (self->registrar_row), FALSE);
  mark (GTK_WIDGET (self->proxy_row), FALSE);
  mark (GTK_WIDGET (self->stun_row), FALSE);
  if (!bell_account_store_validate (self->store, self->account, fields, &error))
    {
      /* Point at the field that is wrong. */
      if (g_error_matches (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_INVALID_SERVER))
        {
          g_autoptr(GError) registrar_error = NULL;
          g_autoptr(GError) proxy_error = NULL;
          g_autofree char *registrar = bell_account_normalize_server (fields->registrar,
                                                                      &registrar_error);
          g_autofree char *proxy = bell_account_normalize_server (fields->outbound_proxy,
                                                                  &proxy_error);

          mark (GTK_WIDGET (self->registrar_row), registrar_error != NULL);
          mark (GTK_WIDGET (self->proxy_row), proxy_error != NULL);
          /* Neither server is wrong: the STUN server is. */
          mark (GTK_WIDGET (self->stun_row), !registrar_error && !proxy_error);
        }
      else
        mark (GTK_WIDGET (self->address_row), TRUE);
      show_error (self, error->message);
      return;
    }
  show_error (self, NULL);
  set_busy (self, TRUE);
  bell_account_store_save_async (self->store, self->account, fields,
                                 gtk_editable_get_text (GTK_EDITABLE (self->password_row)),
                                 self->cancellable, on_saved, g_object_ref (self));
}

static void
on_cancel_clicked (BellAccountEditor *self)
{
  g_signal_emit (self, signals[SIGNAL_DONE], 0);
}

static void
on_remove_response (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  BellAccountEditor *self = user_data;

  if (g_strcmp0 (response, "remove") == 0 && self->account)
    {
      bell_account_store_remove (self->store, self->account);
      g_clear_object (&self->account);
      g_signal_emit (self, signals[SIGNAL_DONE], 0);
    }
  g_object_unref (self);
}

static void
on_remove_clicked (BellAccountEditor *self)
{
  GtkWindow *window = GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self)));
  AdwMessageDialog *dialog;

  if (!self->account)
    return;
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (window, _("Remove Account?"), NULL));
  adw_message_dialog_format_body (dialog,
                                  _("%s and its saved password will be removed from this computer."),
                                  bell_account_get_title (self->account));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "remove", _("_Remove"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (on_remove_response), g_object_ref (self));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
bell_account_editor_dispose (GObject *object)
{
  BellAccountEditor *self = BELL_ACCOUNT_EDITOR (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->account);
  g_clear_object (&self->store);
  gtk_widget_dispose_template (GTK_WIDGET (self), BELL_TYPE_ACCOUNT_EDITOR);
  G_OBJECT_CLASS (bell_account_editor_parent_class)->dispose (object);
}

/* Forgotten at once, as a removal is: the account registers again without the pin. */
static void
on_forget_certificate_clicked (BellAccountEditor *self)
{
  if (!self->account)
    return;
  bell_account_forget_certificate (self->account);
  gtk_widget_set_visible (GTK_WIDGET (self->certificate_row), FALSE);
}

static void
bell_account_editor_class_init (BellAccountEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bell_account_editor_dispose;

  signals[SIGNAL_DONE] = g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/bellbird/Bellbird/accounts/bell-account-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, BellAccountEditor, window_title);
  gtk_widget_class_bind_template_child (widget_class, BellAccountEditor, save_button);
  gtk_widget_class_bind_template_child (widget_class, BellAccountEditor, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, BellAccountEditor, display_name_row);
  gtk_widget_class_bind_template_child (widget_class, BellAccountEditor, address_row);
  gtk_widget_class_bind_template_child (widget_class, BellAccountEditor, password_row);
  gtk_widget_class_bind_template_child (widget_class, BellAccountEditor, enabled_switch);
  gtk_widget_class_bind_template_child (widget_class, BellAccountEditor, error_label);
  gtk_widget_class_bind_template_child (widget_class, BellAccountEditor, registrar_row);
  gtk_widget_class_bind_template_child (widget_class, BellAccountEditor, proxy_row);
  gtk_widget_class_bind_template_child (widget_class, BellAccountEditor, auth_user_row);
  gtk_widget_class_bind_template_child (widget_class, BellAccountEditor, transport_row);
  gtk_widget_class_bind_template_child (widget_class, BellAccountEditor, stun_row);
  gtk_widget_class_bind_template_child (widget_class, BellAccountEditor, certificate_row);
  gtk_widget_class_bind_template_child (widget_class, BellAccountEditor, srtp_row);
  gtk_widget_class_bind_template_child (widget_class, BellAccountEditor, direct_calls_row);
  gtk_widget_class_bind_template_child (widget_class, BellAccountEditor, low_bandwidth_switch);
  gtk_widget_class_bind_template_child (widget_class, BellAccountEditor, codec_list);
  gtk_widget_class_bind_template_child (widget_class, BellAccountEditor, codecs_reset_button);
  gtk_widget_class_bind_template_child (widget_class, BellAccountEditor, remove_group);
  gtk_widget_class_bind_template_callback (widget_class, on_address_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_srtp_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_direct_calls_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_save_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_remove_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_forget_certificate_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_codecs_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_codecs_reset_clicked);
  g_type_ensure (BELL_TYPE_CODEC_LIST);
}

static void
bell_account_editor_init (BellAccountEditor *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

GtkWidget *
bell_account_editor_new (BellAccountStore *store, BellAccount *account)
{
  BellAccountEditor *self;
  g_autoptr(BellAccountFields) fields = NULL;

  g_return_val_if_fail (BELL_IS_ACCOUNT_STORE (store), NULL);
  g_return_val_if_fail (account == NULL || BELL_IS_ACCOUNT (account), NULL);
  self = g_object_new (BELL_TYPE_ACCOUNT_EDITOR, NULL);
  self->store = g_object_ref (store);
  self->account = account ? g_object_ref (account) : NULL;
  fields = account ? bell_account_fields_new_from_account (account) : bell_account_fields_new ();
  fill (self, fields);
  adw_window_title_set_title (self->window_title,
                              account ? _("Edit Account") : _("Add Account"));
  if (account)
    {
      adw_window_title_set_subtitle (self->window_title, bell_account_get_address (account));
      /* The saved password is never shown; typing one replaces it. */
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->password_row),
                                     _("New Password"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->password_row),
                                   _("Leave empty to keep the saved password"));
    }
  gtk_widget_set_visible (GTK_WIDGET (self->remove_group), account != NULL);
  /* The certificate the user trusted for this account's server, if any: shown, and undone
   * here (it is trusted in the account's row, when the server's certificate is refused). */
  if (account && *bell_account_get_tls_fingerprint (account))
    {
      adw_action_row_set_subtitle (self->certificate_row,
                                   bell_account_get_tls_fingerprint (account));
      gtk_widget_set_visible (GTK_WIDGET (self->certificate_row), TRUE);
    }
  return GTK_WIDGET (self);
}

BellAccount *
bell_account_editor_get_account (BellAccountEditor *self)
{
  g_return_val_if_fail (BELL_IS_ACCOUNT_EDITOR (self), NULL);
  return self->account;
}
