/* bell-accounts-window.c: the Accounts window. */
#define G_LOG_DOMAIN "bell-accounts"

#include "config.h"

#include <glib/gi18n.h>
#include "bell-account-editor.h"
#include "bell-account-row.h"
#include "bell-accounts-resources.h"
#include "bell-accounts-window.h"

struct _BellAccountsWindow
{
  AdwPreferencesWindow  parent_instance;

  BellAccountStore     *store;
  GtkListBox           *list_box;
  GtkButton            *add_button;
};

G_DEFINE_FINAL_TYPE (BellAccountsWindow, bell_accounts_window, ADW_TYPE_PREFERENCES_WINDOW)

void
bell_accounts_register_resources (void)
{
  static gsize done = 0;

  /* Registered by hand: a static library's constructor would be dropped by the linker. */
  if (g_once_init_enter (&done))
    {
      bell_accounts_register_resource ();
      g_once_init_leave (&done, 1);
    }
}

static GtkWidget *
create_row (gpointer item, gpointer user_data)
{
  return bell_account_row_new (BELL_ACCOUNT (item));
}

static void
on_editor_done (BellAccountEditor *editor, gpointer user_data)
{
  adw_preferences_window_close_subpage (ADW_PREFERENCES_WINDOW (user_data));
}

static void
present_editor (BellAccountsWindow *self, BellAccount *account)
{
  GtkWidget *editor = bell_account_editor_new (self->store, account);

  g_signal_connect_object (editor, "done", G_CALLBACK (on_editor_done), self, 0);
  adw_preferences_window_present_subpage (ADW_PREFERENCES_WINDOW (self), editor);
  gtk_widget_grab_focus (editor);
}

void
bell_accounts_window_show_add (BellAccountsWindow *self)
{
  g_return_if_fail (BELL_IS_ACCOUNTS_WINDOW (self));
  present_editor (self, NULL);
}

void
bell_accounts_window_edit (BellAccountsWindow *self, BellAccount *account)
{
  g_return_if_fail (BELL_IS_ACCOUNTS_WINDOW (self));
  g_return_if_fail (BELL_IS_ACCOUNT (account));
  present_editor (self, account);
}

static void
on_row_activated (BellAccountsWindow *self, GtkListBoxRow *row)
{
  if (BELL_IS_ACCOUNT_ROW (row))
    present_editor (self, bell_account_row_get_account (BELL_ACCOUNT_ROW (row)));
}

static void
add_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  bell_accounts_window_show_add (BELL_ACCOUNTS_WINDOW (widget));
}

static void
bell_accounts_window_dispose (GObject *object)
{
  BellAccountsWindow *self = BELL_ACCOUNTS_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), BELL_TYPE_ACCOUNTS_WINDOW);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (bell_accounts_window_parent_class)->dispose (object);
}

static void
bell_accounts_window_class_init (BellAccountsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bell_accounts_window_dispose;
  bell_accounts_register_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/bellbird/Bellbird/accounts/bell-accounts-window.ui");
  gtk_widget_class_bind_template_child (widget_class, BellAccountsWindow, list_box);
  gtk_widget_class_bind_template_child (widget_class, BellAccountsWindow, add_button);
  gtk_widget_class_bind_template_callback (widget_class, bell_accounts_window_show_add);
  gtk_widget_class_bind_template_callback (widget_class, on_row_activated);
  /* Ctrl+N adds, as in other GNOME lists. */
  gtk_widget_class_install_action (widget_class, "accounts.add", NULL, add_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK,
                                       "accounts.add", NULL);
}

static void
bell_accounts_window_init (BellAccountsWindow *self)
{
  GtkWidget *placeholder;

  gtk_widget_init_template (GTK_WIDGET (self));
  placeholder = gtk_label_new (_("No accounts yet. Add one to make and take calls."));
  gtk_label_set_wrap (GTK_LABEL (placeholder), TRUE);
  gtk_widget_set_margin_top (placeholder, 18);
  gtk_widget_set_margin_bottom (placeholder, 18);
  gtk_widget_set_margin_start (placeholder, 12);
  gtk_widget_set_margin_end (placeholder, 12);
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_list_box_set_placeholder (self->list_box, placeholder);
}

GtkWidget *
bell_accounts_window_new (BellAccountStore *store)
{
  BellAccountsWindow *self;

  g_return_val_if_fail (BELL_IS_ACCOUNT_STORE (store), NULL);
  self = g_object_new (BELL_TYPE_ACCOUNTS_WINDOW, NULL);
  self->store = g_object_ref (store);
  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (store), create_row, NULL, NULL);
  return GTK_WIDGET (self);
}
