/* bell-account-row.c: an account's row, following its state live. */
#define G_LOG_DOMAIN "bell-accounts"

#include "config.h"

#include <glib/gi18n.h>
#include "bell-account-row.h"
#include "bell-account-trust.h"

struct _BellAccountRow
{
  GtkListBoxRow  parent_instance;

  BellAccount   *account;
  GtkImage      *state_icon;
  GtkLabel      *title_label;
  GtkLabel      *address_label;
  GtkLabel      *status_label;
  GtkButton     *trust_button;
};

G_DEFINE_FINAL_TYPE (BellAccountRow, bell_account_row, GTK_TYPE_LIST_BOX_ROW)

static void
update (BellAccountRow *self)
{
  BellAccountState state = bell_account_get_state (self->account);
  const char *icon;
  const char *style;
  g_autofree char *description = NULL;

  switch (state)
    {
    case BELL_ACCOUNT_STATE_REGISTERED:
      icon = "emblem-ok-symbolic";
      style = "success";
      break;
    case BELL_ACCOUNT_STATE_REGISTERING:
      icon = "emblem-synchronizing-symbolic";
      style = "accent";
      break;
    case BELL_ACCOUNT_STATE_FAILED:
      icon = "dialog-error-symbolic";
      style = "error";
      break;
    case BELL_ACCOUNT_STATE_DISABLED:
    case BELL_ACCOUNT_STATE_UNREGISTERED:
    default:
      icon = "network-offline-symbolic";
      style = "dim-label";
      break;
    }
  gtk_image_set_from_icon_name (self->state_icon, icon);
  gtk_widget_set_css_classes (GTK_WIDGET (self->state_icon), (const char *[]) { style, NULL });
  gtk_label_set_label (self->title_label, bell_account_get_title (self->account));
  gtk_label_set_label (self->address_label, bell_account_get_address (self->account));
  gtk_widget_set_visible (GTK_WIDGET (self->address_label),
                          g_strcmp0 (bell_account_get_title (self->account),
                                     bell_account_get_address (self->account)) != 0);
  gtk_label_set_label (self->status_label, bell_account_get_status_text (self->account));
  /* A refused certificate is the user's call: offer it here, where the failure shows. */
  gtk_widget_set_visible (GTK_WIDGET (self->trust_button),
                          bell_account_get_refused_fingerprint (self->account) != NULL);
  if (bell_account_get_refused_changed (self->account))
    {
      gtk_button_set_label (self->trust_button, _("_Review…"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->trust_button),
                                   _("The server’s certificate has changed: review it"));
    }
  else
    {
      gtk_button_set_label (self->trust_button, _("_Trust…"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->trust_button),
                                   _("Trust the server’s certificate"));
    }
  if (state == BELL_ACCOUNT_STATE_FAILED)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");

  /* A screen reader hears the row as one sentence. */
  description = g_strdup_printf (_("%s, %s"), bell_account_get_title (self->account),
                                 bell_account_get_status_text (self->account));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  description, -1);
}

static void
on_trust_clicked (BellAccountRow *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  AdwMessageDialog *dialog = bell_account_trust_dialog_new (GTK_IS_WINDOW (root)
                                                            ? GTK_WINDOW (root) : NULL,
                                                            self->account);

  if (dialog)
    gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_account_notify (BellAccount *account, GParamSpec *pspec, gpointer user_data)
{
  update (user_data);
}

static void
bell_account_row_dispose (GObject *object)
{
  BellAccountRow *self = BELL_ACCOUNT_ROW (object);

  if (self->account)
    g_signal_handlers_disconnect_by_data (self->account, self);
  g_clear_object (&self->account);
  gtk_widget_dispose_template (GTK_WIDGET (self), BELL_TYPE_ACCOUNT_ROW);
  G_OBJECT_CLASS (bell_account_row_parent_class)->dispose (object);
}

static void
bell_account_row_class_init (BellAccountRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bell_account_row_dispose;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/bellbird/Bellbird/accounts/bell-account-row.ui");
  gtk_widget_class_bind_template_child (widget_class, BellAccountRow, state_icon);
  gtk_widget_class_bind_template_child (widget_class, BellAccountRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, BellAccountRow, address_label);
  gtk_widget_class_bind_template_child (widget_class, BellAccountRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, BellAccountRow, trust_button);
  gtk_widget_class_bind_template_callback (widget_class, on_trust_clicked);
}

static void
bell_account_row_init (BellAccountRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
bell_account_row_new (BellAccount *account)
{
  BellAccountRow *self;

  g_return_val_if_fail (BELL_IS_ACCOUNT (account), NULL);
  self = g_object_new (BELL_TYPE_ACCOUNT_ROW, NULL);
  self->account = g_object_ref (account);
  g_signal_connect (account, "notify", G_CALLBACK (on_account_notify), self);
  update (self);
  return GTK_WIDGET (self);
}

BellAccount *
bell_account_row_get_account (BellAccountRow *self)
{
  g_return_val_if_fail (BELL_IS_ACCOUNT_ROW (self), NULL);
  return self->account;
}

GtkWidget *
bell_account_row_get_trust_button (BellAccountRow *self)
{
  g_return_val_if_fail (BELL_IS_ACCOUNT_ROW (self), NULL);
  return GTK_WIDGET (self->trust_button);
}

const char *
bell_account_row_get_status (BellAccountRow *self)
{
  g_return_val_if_fail (BELL_IS_ACCOUNT_ROW (self), NULL);
  return gtk_label_get_label (self->status_label);
}
