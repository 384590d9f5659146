/* bell-window.c: the main window. */
#define G_LOG_DOMAIN "bell-window"

#include "config.h"
#include "bell-window.h"

#include <glib/gi18n.h>
#include <string.h>
#include "bell-accounts-window.h"
#include "bell-contacts-page.h"
#include "bell-history-page.h"

struct _BellWindow
{
  AdwApplicationWindow  parent_instance;

  BellApplication      *app;
  BellCallManager      *calls;
  GtkFilterListModel   *enabled_accounts;
  gboolean              left_call;     /* the user went back to the tabs during a call */

  AdwToastOverlay      *toasts;
  AdwViewSwitcherTitle *switcher_title;
  GtkWidget            *back_button;
  GtkWidget            *menu_button;
  GtkWidget            *return_revealer;
  GtkWidget            *return_button;
  GtkStack             *main_stack;
  AdwViewStack         *view_stack;
  BellDialpad          *dialpad;
  BellCallView         *call_view;
  GtkWidget            *contacts_page;
  GtkWidget            *history_page;
  AdwViewStackPage     *history_stack_page;
};

G_DEFINE_FINAL_TYPE (BellWindow, bell_window, ADW_TYPE_APPLICATION_WINDOW)

void
bell_window_toast (BellWindow *self, const char *text)
{
  AdwToast *toast;

  g_return_if_fail (BELL_IS_WINDOW (self));
  toast = adw_toast_new (text);
  adw_toast_set_timeout (toast, 5);
  adw_toast_overlay_add_toast (self->toasts, toast);
}

void
bell_window_add_toast (BellWindow *self, AdwToast *toast)
{
  g_return_if_fail (BELL_IS_WINDOW (self));
  adw_toast_overlay_add_toast (self->toasts, toast);
}

/* The call view or the tabs */

static gboolean
showing_call (BellWindow *self)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "call") == 0;
}

static void
update_call_page (BellWindow *self)
{
  guint n = self->calls ? g_list_model_get_n_items (bell_call_manager_get_calls (self->calls)) : 0;
  guint live = self->calls ? bell_call_manager_count_live (self->calls) : 0;
  gboolean call;

  if (n == 0)
    self->left_call = FALSE;
  call = n > 0 && !self->left_call;
  gtk_stack_set_visible_child_name (self->main_stack, call ? "call" : "tabs");
  gtk_widget_set_visible (self->back_button, call);
  adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, !call);
  adw_view_switcher_title_set_title (self->switcher_title, call ? C_("window title", "Call") : _("Bellbird"));
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->return_revealer), !call && live > 0);
}

static void
on_calls_changed (GListModel *model, guint position, guint removed, guint added, gpointer data)
{
  update_call_page (data);
}

static void
on_call_added (BellCallManager *manager, BellCall *call, gpointer data)
{
  BellWindow *self = data;

  /* A new call, ours or one that rings, is what the user wants to see. */
  self->left_call = FALSE;
  update_call_page (self);
}

static void
on_call_notice (BellCallManager *manager, BellCall *call, const char *message, gpointer data)
{
  bell_window_toast (data, message);
}

static void
on_back_clicked (GtkButton *button, gpointer data)
{
  BellWindow *self = data;

  self->left_call = TRUE;
  update_call_page (self);
}

static void
on_return_clicked (GtkButton *button, gpointer data)
{
  bell_window_show_page (data, "call");
}

void
bell_window_show_page (BellWindow *self, const char *name)
{
  g_return_if_fail (BELL_IS_WINDOW (self));
  if (g_str_equal (name, "call"))
    {
      self->left_call = FALSE;
      update_call_page (self);
      return;
    }
  if (adw_view_stack_get_child_by_name (self->view_stack, name))
    adw_view_stack_set_visible_child_name (self->view_stack, name);
  if (self->calls && g_list_model_get_n_items (bell_call_manager_get_calls (self->calls)) > 0)
    self->left_call = TRUE;
  update_call_page (self);
}

const char *
bell_window_get_visible_page (BellWindow *self)
{
  g_return_val_if_fail (BELL_IS_WINDOW (self), NULL);
  if (showing_call (self))
    return "call";
  return adw_view_stack_get_visible_child_name (self->view_stack);
}

/* Calling */

static void
dial (BellWindow *self, const char *text, gpointer account)
{
  g_autoptr(GError) error = NULL;

  if (!bell_application_dial (self->app, text, account, &error))
    {
      /* Say why where the user looks: on the dialpad, with what they typed. */
      bell_window_show_page (self, "dialpad");
      if (g_strcmp0 (bell_dialpad_get_text (self->dialpad), text) != 0)
        bell_dialpad_set_text (self->dialpad, text);
      bell_dialpad_show_message (self->dialpad, error->message);
      return;
    }
  bell_dialpad_set_text (self->dialpad, "");
}

static void
on_dialpad_call (BellDialpad *dialpad, const char *text, gpointer data)
{
  BellWindow *self = data;

  dial (self, text, bell_dialpad_get_account (dialpad));
}

static void
on_page_call (GtkWidget *page, const char *uri, gpointer data)
{
  dial (data, uri, NULL);
}

static void
on_transfer (BellCallView *view, guint id, const char *text, gpointer data)
{
  BellWindow *self = data;
  g_autoptr(GError) error = NULL;

  if (!bell_application_transfer (self->app, id, text, &error))
    bell_window_toast (self, error->message);
}

/* Contacts and history, once the store is open */

static gboolean
transform_needs_attention (GBinding *binding, const GValue *from, GValue *to, gpointer data)
{
  g_value_set_boolean (to, g_value_get_uint (from) > 0);
  return TRUE;
}

static void
mark_history_seen (BellWindow *self)
{
  if (self->history_page && !showing_call (self) &&
      g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "history") == 0 &&
      gtk_widget_get_mapped (GTK_WIDGET (self)))
    bell_history_page_mark_seen (BELL_HISTORY_PAGE (self->history_page));
}

static void
on_visible_page_changed (GObject *object, GParamSpec *pspec, gpointer data)
{
  mark_history_seen (data);
}

static void
on_refused_calls (BellCallManager *calls, GParamSpec *pspec, gpointer data)
{
  BellWindow *self = data;

  if (self->history_page)
    bell_history_page_set_refused_calls (BELL_HISTORY_PAGE (self->history_page),
                                         bell_call_manager_get_refused_calls (calls));
}

static void
add_store_pages (BellWindow *self, BellStore *store)
{
  AdwViewStackPage *page;

  if (self->contacts_page)
    return;
  self->contacts_page = bell_contacts_page_new (store);
  page = adw_view_stack_add_titled (self->view_stack, self->contacts_page, "contacts", _("Contacts"));
  adw_view_stack_page_set_icon_name (page, "x-office-address-book-symbolic");
  g_signal_connect (self->contacts_page, "call", G_CALLBACK (on_page_call), self);

  self->history_page = bell_history_page_new (store);
  self->history_stack_page = adw_view_stack_add_titled (self->view_stack, self->history_page,
                                                        "history", _("History"));
  adw_view_stack_page_set_icon_name (self->history_stack_page, "document-open-recent-symbolic");
  g_signal_connect (self->history_page, "call", G_CALLBACK (on_page_call), self);
  /* The missed calls the user has not looked at: a number on the tab. */
  g_object_bind_property (store, "missed-unseen", self->history_stack_page, "badge-number",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property_full (store, "missed-unseen", self->history_stack_page,
                               "needs-attention", G_BINDING_SYNC_CREATE,
                               transform_needs_attention, NULL, NULL, NULL);
  if (self->calls)
    bell_history_page_set_refused_calls (BELL_HISTORY_PAGE (self->history_page),
                                         bell_call_manager_get_refused_calls (self->calls));
  mark_history_seen (self);
}

static void
on_store_ready (BellApplication *app, BellStore *store, gpointer data)
{
  add_store_pages (data, store);
}

/* Accounts */

static char *
account_title (BellAccount *account)
{
  return g_strdup (account ? bell_account_get_title (account) : "");
}

/* With several accounts an incoming call says which one was called. */
static void
update_show_account (BellWindow *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->enabled_accounts));

  if (self->call_view)
    bell_call_view_set_show_account (self->call_view, n > 1);
}

static void
on_enabled_accounts_changed (GListModel *model, guint position, guint removed, guint added,
                             gpointer data)
{
  update_show_account (data);
}

static void
setup_accounts (BellWindow *self)
{
  BellAccountStore *accounts = bell_application_get_accounts (self->app);
  GtkExpression *enabled = gtk_property_expression_new (BELL_TYPE_ACCOUNT, NULL, "enabled");
  GtkExpression *title = gtk_cclosure_expression_new (G_TYPE_STRING, NULL, 0, NULL,
                                                      G_CALLBACK (account_title), NULL, NULL);
  BellAccount *preferred;
  GListModel *model;

  self->enabled_accounts = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (accounts)),
                                                      GTK_FILTER (gtk_bool_filter_new (enabled)));
  model = G_LIST_MODEL (self->enabled_accounts);
  g_signal_connect (model, "items-changed", G_CALLBACK (on_enabled_accounts_changed), self);
  update_show_account (self);
  bell_dialpad_set_accounts (self->dialpad, model, title);
  gtk_expression_unref (title);
  preferred = bell_account_store_get_default (accounts);
  for (guint i = 0; preferred && i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(BellAccount) account = g_list_model_get_item (model, i);
      if (account == preferred)
        bell_dialpad_select_account (self->dialpad, i);
    }
}

void
bell_window_show_accounts (BellWindow *self)
{
  GtkWindow *window;

  g_return_if_fail (BELL_IS_WINDOW (self));
  window = GTK_WINDOW (bell_accounts_window_new (bell_application_get_accounts (self->app)));
  gtk_window_set_transient_for (window, GTK_WINDOW (self));
  gtk_window_set_modal (window, TRUE);
  gtk_window_present (window);
}

/* Keyboard */

/* The focus is in an entry other than the dialpad's (a contact search, a transfer target):
 * what is typed belongs there. */
static gboolean
typing_elsewhere (BellWindow *self)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));
  GtkWidget *entry = bell_dialpad_get_entry (self->dialpad);

  return focus && GTK_IS_EDITABLE (focus) && focus != entry &&
         !gtk_widget_is_ancestor (focus, entry);
}

static gboolean
on_dialpad_page (BellWindow *self)
{
  return !showing_call (self) &&
         g_strcmp0 (adw_view_stack_get_visible_child_name (self->view_stack), "dialpad") == 0;
}

/* Escape: hang up (or decline) the call shown; without a call, clear the dialpad. */
static gboolean
escape (BellWindow *self)
{
  BellCall *call = self->call_view ? bell_call_view_get_call (self->call_view) : NULL;

  if (showing_call (self) && call && bell_call_get_state (call) != BELL_CALL_STATE_ENDED)
    {
      if (bell_call_get_state (call) == BELL_CALL_STATE_INCOMING)
        bell_call_manager_reject (self->calls, bell_call_get_id (call), 603);
      else
        bell_call_manager_hangup (self->calls, bell_call_get_id (call));
      return TRUE;
    }
  if (showing_call (self))
    {
      bell_window_show_page (self, "dialpad");
      return TRUE;
    }
  if (on_dialpad_page (self) && *bell_dialpad_get_text (self->dialpad))
    {
      bell_dialpad_set_text (self->dialpad, "");
      return TRUE;
    }
  return FALSE;
}

/* A digit, * # or + typed anywhere but in another entry. */
static gboolean
type_digit (BellWindow *self, guint keyval)
{
  gunichar c = gdk_keyval_to_unicode (keyval);
  char text[2] = { 0 };

  if (c == 0 || c > 127 || !strchr ("0123456789*#+", (int) c))
    return FALSE;
  text[0] = (char) c;
  /* In a call, digits are tones for the other side (voice menus); otherwise they dial. */
  if (showing_call (self))
    return self->call_view && bell_call_view_send_dtmf (self->call_view, text);
  adw_view_stack_set_visible_child_name (self->view_stack, "dialpad");
  bell_dialpad_insert (self->dialpad, text);
  bell_dialpad_focus_entry (self->dialpad);
  return TRUE;
}

gboolean
bell_window_handle_key (BellWindow *self, guint keyval, GdkModifierType state)
{
  g_return_val_if_fail (BELL_IS_WINDOW (self), FALSE);
  /* Shortcuts with modifiers are the application's (Ctrl+Q, Ctrl+F ...). */
  if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SUPER_MASK))
    return FALSE;
  if (keyval == GDK_KEY_Escape)
    return escape (self);
  if (typing_elsewhere (self))
    return FALSE;
  if (keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter || keyval == GDK_KEY_ISO_Enter)
    {
      g_autofree char *text = g_strstrip (g_strdup (bell_dialpad_get_text (self->dialpad)));

      if (!on_dialpad_page (self) || !*text)
        return FALSE;
      dial (self, text, bell_dialpad_get_account (self->dialpad));
      return TRUE;
    }
  return type_digit (self, keyval);
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller, guint keyval, guint keycode,
                GdkModifierType state, gpointer data)
{
  return bell_window_handle_key (data, keyval, state);
}

static void
search_contacts_activated (GtkWidget *widget, const char *action, GVariant *parameter)
{
  BellWindow *self = BELL_WINDOW (widget);

  if (!self->contacts_page)
    return;
  bell_window_show_page (self, "contacts");
  bell_contacts_page_focus_search (BELL_CONTACTS_PAGE (self->contacts_page));
}

/* Size */

static gboolean
bell_window_close_request (GtkWindow *window)
{
  BellWindow *self = BELL_WINDOW (window);
  GSettings *settings = bell_application_get_settings (self->app);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_delay (settings);
  g_settings_set_int (settings, "window-width", MAX (width, 360));
  g_settings_set_int (settings, "window-height", MAX (height, 200));
  g_settings_set_boolean (settings, "window-maximized", gtk_window_is_maximized (window));
  g_settings_apply (settings);
  return GTK_WINDOW_CLASS (bell_window_parent_class)->close_request (window);
}

static void
bell_window_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (bell_window_parent_class)->map (widget);
  mark_history_seen (BELL_WINDOW (widget));
}

static void
bell_window_dispose (GObject *object)
{
  BellWindow *self = BELL_WINDOW (object);

  if (self->calls)
    {
      g_signal_handlers_disconnect_by_data (self->calls, self);
      g_signal_handlers_disconnect_by_data (bell_call_manager_get_calls (self->calls), self);
    }
  if (self->app)
    g_signal_handlers_disconnect_by_data (self->app, self);
  if (self->enabled_accounts)
    g_signal_handlers_disconnect_by_data (self->enabled_accounts, self);
  g_clear_object (&self->calls);
  g_clear_object (&self->enabled_accounts);
  gtk_widget_dispose_template (GTK_WIDGET (self), BELL_TYPE_WINDOW);
  G_OBJECT_CLASS (bell_window_parent_class)->dispose (object);
}

static void
bell_window_class_init (BellWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = bell_window_dispose;
  widget_class->map = bell_window_map;
  window_class->close_request = bell_window_close_request;
  g_type_ensure (BELL_TYPE_DIALPAD);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/bellbird/Bellbird/ui/bell-window.ui");
  gtk_widget_class_bind_template_child (widget_class, BellWindow, toasts);
  gtk_widget_class_bind_template_child (widget_class, BellWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, BellWindow, back_button);
  gtk_widget_class_bind_template_child (widget_class, BellWindow, menu_button);
  gtk_widget_class_bind_template_child (widget_class, BellWindow, return_revealer);
  gtk_widget_class_bind_template_child (widget_class, BellWindow, return_button);
  gtk_widget_class_bind_template_child (widget_class, BellWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, BellWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, BellWindow, dialpad);
  gtk_widget_class_install_action (widget_class, "win.search-contacts", NULL,
                                   search_contacts_activated);
}

static void
bell_window_init (BellWindow *self)
{
  GtkEventController *keys;

  gtk_widget_init_template (GTK_WIDGET (self));
  keys = gtk_event_controller_key_new ();
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
  g_signal_connect (self->dialpad, "call", G_CALLBACK (on_dialpad_call), self);
  g_signal_connect (self->back_button, "clicked", G_CALLBACK (on_back_clicked), self);
  g_signal_connect (self->return_button, "clicked", G_CALLBACK (on_return_clicked), self);
  g_signal_connect (self->view_stack, "notify::visible-child-name",
                    G_CALLBACK (on_visible_page_changed), self);
}

BellWindow *
bell_window_new (BellApplication *app)
{
  BellWindow *self;
  GSettings *settings;

  g_return_val_if_fail (BELL_IS_APPLICATION (app), NULL);
  self = g_object_new (BELL_TYPE_WINDOW, "application", app, NULL);
  self->app = app;
  settings = bell_application_get_settings (app);
  gtk_window_set_default_size (GTK_WINDOW (self), g_settings_get_int (settings, "window-width"),
                               g_settings_get_int (settings, "window-height"));
  if (g_settings_get_boolean (settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  self->calls = bell_application_get_calls (app);
  if (self->calls)
    {
      g_object_ref (self->calls);
      self->call_view = BELL_CALL_VIEW (bell_call_view_new (self->calls));
      gtk_stack_add_named (self->main_stack, GTK_WIDGET (self->call_view), "call");
      g_signal_connect (self->call_view, "transfer", G_CALLBACK (on_transfer), self);
      g_signal_connect (bell_call_manager_get_calls (self->calls), "items-changed",
                        G_CALLBACK (on_calls_changed), self);
      g_signal_connect (self->calls, "call-added", G_CALLBACK (on_call_added), self);
      g_signal_connect (self->calls, "notice", G_CALLBACK (on_call_notice), self);
      g_signal_connect (self->calls, "notify::refused-calls", G_CALLBACK (on_refused_calls),
                        self);
    }
  else
    {
      g_autofree char *text = g_strdup_printf (_("Bellbird cannot call: %s"),
                                               bell_application_get_core_error (app)->message);
      bell_dialpad_show_message (self->dialpad, text);
    }
  setup_accounts (self);
  if (bell_application_get_store (app))
    add_store_pages (self, bell_application_get_store (app));
  else
    g_signal_connect (app, "store-ready", G_CALLBACK (on_store_ready), self);
  update_call_page (self);
  return self;
}

BellDialpad  *bell_window_get_dialpad       (BellWindow *self) { return self->dialpad; }
BellCallView *bell_window_get_call_view     (BellWindow *self) { return self->call_view; }
AdwViewStack *bell_window_get_view_stack    (BellWindow *self) { return self->view_stack; }
GtkWidget    *bell_window_get_contacts_page (BellWindow *self) { return self->contacts_page; }
GtkWidget    *bell_window_get_history_page  (BellWindow *self) { return self->history_page; }
