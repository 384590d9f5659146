/* bell-history-page.c: the History view. */
#define G_LOG_DOMAIN "bellbird-contacts"

#include "config.h"

#include "bell-history-page.h"
#include "bell-history-format.h"

#include "bell-contacts-init.h"

#include <glib/gi18n-lib.h>

struct _BellHistoryPage
{
  AdwBin parent_instance;

  BellStore *store;
  gboolean marking_seen;        /* a mark-seen is on its way: do not queue another */

  GtkListBox *list_box;
  GtkStack *stack;
  AdwToastOverlay *toast_overlay;
  GtkLabel *refused_label;
};

G_DEFINE_FINAL_TYPE (BellHistoryPage, bell_history_page, ADW_TYPE_BIN)

enum { PROP_0, PROP_STORE, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_CALL, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
show_error (BellHistoryPage *self, const GError *error)
{
  g_autofree char *escaped = g_markup_escape_text (error->message, -1);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (escaped));
}

static void
update_state (BellHistoryPage *self)
{
  gboolean empty = g_list_model_get_n_items (bell_store_get_history (self->store)) == 0;

  gtk_stack_set_visible_child_name (self->stack, empty ? "empty" : "list");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "history.clear", !empty);
}

static void
on_history_changed (GListModel *model, guint position, guint removed, guint added,
                    BellHistoryPage *self)
{
  update_state (self);
}

/* Rows ------------------------------------------------------------------------------------ */

/* Who the call was with: the name the call carried, else a contact's, else the address. */
static const char *
peer_title (BellHistoryPage *self, BellHistoryEntry *entry)
{
  const char *uri = bell_history_entry_get_peer_uri (entry);
  BellContact *contact;

  if (bell_history_entry_get_peer_name (entry))
    return bell_history_entry_get_peer_name (entry);
  contact = bell_store_find_contact_by_address (self->store, uri);
  return contact ? bell_contact_get_name (contact) : uri;
}

static GtkWidget *
icon_button (const char *icon, const char *label)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  label, -1);
  return button;
}

static GtkWidget *
create_row (gpointer item, gpointer data)
{
  BellHistoryPage *self = data;
  BellHistoryEntry *entry = item;
  gboolean outgoing = bell_history_entry_get_direction (entry) == BELL_CALL_DIRECTION_OUTGOING;
  gboolean missed = bell_history_entry_get_outcome (entry) == BELL_CALL_OUTCOME_MISSED;
  const char *title = peer_title (self, entry);
  g_autoptr(GDateTime) local =
    g_date_time_new_from_unix_local (bell_history_entry_get_started (entry) / G_USEC_PER_SEC);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *time = NULL;
  g_autofree char *outcome = bell_history_format_outcome (entry);
  g_autofree char *subtitle = NULL;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *icon, *button;

  /* A start time out of GDateTime's range (a damaged row) shows as now. */
  time = bell_history_format_time (local ? local : now, now);
  /* TRANSLATORS: a call's time and its duration or outcome: "14:32 · 3:05" */
  subtitle = g_strdup_printf (_("%s · %s"), time, outcome);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  gtk_widget_set_tooltip_text (row, bell_history_entry_get_peer_uri (entry));

  icon = gtk_image_new_from_icon_name (missed ? "call-missed-symbolic"
                                       : outgoing ? "call-outgoing-symbolic"
                                       : "call-incoming-symbolic");
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  missed ? _("Missed call")
                                  : outgoing ? _("Outgoing call") : _("Incoming call"), -1);
  if (missed)
    gtk_widget_add_css_class (icon, "error");
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);

  g_autofree char *call_label = g_strdup_printf (_("Call %s back"), title);
  button = icon_button ("call-start-symbolic", call_label);
  gtk_widget_add_css_class (button, "bell-call-button");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "history.call");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s",
                                    bell_history_entry_get_peer_uri (entry));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);

  button = icon_button ("user-trash-symbolic", _("Delete from history"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "history.delete");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "x",
                                    bell_history_entry_get_id (entry));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  return row;
}

static void
bind_model (BellHistoryPage *self)
{
  gtk_list_box_bind_model (self->list_box, bell_store_get_history (self->store), create_row,
                           self, NULL);
}

static void
on_contacts_changed (GListModel *model, guint position, guint removed, guint added,
                     BellHistoryPage *self)
{
  /* Names come from the contacts: a new or renamed contact shows in the rows. */
  bind_model (self);
}

static void
on_row_activated (GtkListBox *list_box, GtkListBoxRow *row, BellHistoryPage *self)
{
  int index = gtk_list_box_row_get_index (row);
  g_autoptr(BellHistoryEntry) entry = g_list_model_get_item (bell_store_get_history (self->store),
                                                             index);
  if (entry)
    g_signal_emit (self, signals[SIGNAL_CALL], 0, bell_history_entry_get_peer_uri (entry));
}

/* Actions --------------------------------------------------------------------------------- */

static void
call_activated (GtkWidget *widget, const char *action, GVariant *parameter)
{
  g_signal_emit (widget, signals[SIGNAL_CALL], 0, g_variant_get_string (parameter, NULL));
}

static void
on_deleted (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(BellHistoryPage) self = data;
  g_autoptr(GError) error = NULL;

  if (!bell_store_delete_history_finish (BELL_STORE (source), result, &error))
    show_error (self, error);
}

static void
delete_activated (GtkWidget *widget, const char *action, GVariant *parameter)
{
  BellHistoryPage *self = BELL_HISTORY_PAGE (widget);

  bell_store_delete_history_async (self->store, g_variant_get_int64 (parameter), NULL,
                                   on_deleted, g_object_ref (self));
}

static void
on_cleared (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(BellHistoryPage) self = data;
  g_autoptr(GError) error = NULL;

  if (!bell_store_clear_history_finish (BELL_STORE (source), result, &error))
    show_error (self, error);
}

static void
on_clear_response (AdwMessageDialog *dialog, const char *response, BellHistoryPage *self)
{
  if (g_strcmp0 (response, "clear") == 0)
    bell_store_clear_history_async (self->store, NULL, on_cleared, g_object_ref (self));
}

static void
clear_activated (GtkWidget *widget, const char *action, GVariant *parameter)
{
  BellHistoryPage *self = BELL_HISTORY_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                            : NULL,
                                                       _("Clear the call history?"),
                                                       _("Every call in the list is deleted.")));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "clear", _("C_lear"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "clear", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_clear_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_marked_seen (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(BellHistoryPage) self = data;
  g_autoptr(GError) error = NULL;

  self->marking_seen = FALSE;
  if (!bell_store_mark_history_seen_finish (BELL_STORE (source), result, &error))
    g_warning ("Could not mark missed calls as seen: %s", error->message);
}

void
bell_history_page_mark_seen (BellHistoryPage *self)
{
  g_return_if_fail (BELL_IS_HISTORY_PAGE (self));

  /* Nothing to write when nothing is unseen: showing the page costs no disk access. */
  if (self->marking_seen || bell_store_get_missed_unseen (self->store) == 0)
    return;
  self->marking_seen = TRUE;
  bell_store_mark_history_seen_async (self->store, NULL, on_marked_seen, g_object_ref (self));
}

/* Object ---------------------------------------------------------------------------------- */

static void
bell_history_page_constructed (GObject *object)
{
  BellHistoryPage *self = BELL_HISTORY_PAGE (object);

  G_OBJECT_CLASS (bell_history_page_parent_class)->constructed (object);

  bind_model (self);
  g_signal_connect_object (bell_store_get_history (self->store), "items-changed",
                           G_CALLBACK (on_history_changed), self, 0);
  g_signal_connect_object (bell_store_get_contacts (self->store), "items-changed",
                           G_CALLBACK (on_contacts_changed), self, 0);
  update_state (self);
}

static void
bell_history_page_set_property (GObject *object, guint prop_id, const GValue *value,
                                GParamSpec *pspec)
{
  BellHistoryPage *self = BELL_HISTORY_PAGE (object);

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bell_history_page_get_property (GObject *object, guint prop_id, GValue *value,
                                GParamSpec *pspec)
{
  BellHistoryPage *self = BELL_HISTORY_PAGE (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bell_history_page_dispose (GObject *object)
{
  BellHistoryPage *self = BELL_HISTORY_PAGE (object);

  if (self->list_box)
    gtk_list_box_bind_model (self->list_box, NULL, NULL, NULL, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), BELL_TYPE_HISTORY_PAGE);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (bell_history_page_parent_class)->dispose (object);
}

static void
bell_history_page_class_init (BellHistoryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = bell_history_page_constructed;
  object_class->set_property = bell_history_page_set_property;
  object_class->get_property = bell_history_page_get_property;
  object_class->dispose = bell_history_page_dispose;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, BELL_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_CALL] = g_signal_new ("call", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  _bell_contacts_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/bellbird/Bellbird/contacts/bell-history-page.ui");
  gtk_widget_class_bind_template_child (widget_class, BellHistoryPage, list_box);
  gtk_widget_class_bind_template_child (widget_class, BellHistoryPage, stack);
  gtk_widget_class_bind_template_child (widget_class, BellHistoryPage, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, BellHistoryPage, refused_label);

  gtk_widget_class_install_action (widget_class, "history.call", "s", call_activated);
  gtk_widget_class_install_action (widget_class, "history.delete", "x", delete_activated);
  gtk_widget_class_install_action (widget_class, "history.clear", NULL, clear_activated);
}

static void
bell_history_page_init (BellHistoryPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self->list_box, "row-activated", G_CALLBACK (on_row_activated), self);
}

GtkWidget *
bell_history_page_new (BellStore *store)
{
  g_return_val_if_fail (BELL_IS_STORE (store), NULL);
  return g_object_new (BELL_TYPE_HISTORY_PAGE, "store", store, NULL);
}

void
bell_history_page_set_refused_calls (BellHistoryPage *self, guint64 count)
{
  guint n = (guint) MIN (count, G_MAXUINT);
  g_autofree char *text = NULL;

  g_return_if_fail (BELL_IS_HISTORY_PAGE (self));
  /* They never rang, so they are no entries of the history: a line under it says they came. */
  gtk_widget_set_visible (GTK_WIDGET (self->refused_label), n > 0);
  if (n == 0)
    return;
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Refused %u call from an unknown address",
                                       "Refused %u calls from unknown addresses", n), n);
  gtk_label_set_text (self->refused_label, text);
}
