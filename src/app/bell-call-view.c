/* bell-call-view.c: the calls in progress. */
#define G_LOG_DOMAIN "bell-call-view"

#include "config.h"
#include "bell-call-view.h"

#include <glib/gi18n.h>
#include "bell-dial.h"
#include "bell-keypad.h"

struct _BellCallView
{
  AdwBin           parent_instance;

  BellCallManager *manager;
  BellCall        *call;          /* shown */
  gulong           call_handler;
  gboolean         syncing;       /* updating toggles from the call: not a user's click */
  gboolean         show_account;  /* the user has several accounts: say which one is called */

  GtkWidget       *call_list;
  GtkWidget       *avatar;
  GtkWidget       *name_label;
  GtkWidget       *address_label;
  GtkWidget       *account_label;
  GtkWidget       *state_label;
  GtkWidget       *timer_label;
  GtkWidget       *media_box;
  GtkWidget       *encryption_icon;
  GtkWidget       *encryption_label;
  GtkWidget       *codec_label;
  GtkWidget       *quality_expander;
  GtkWidget       *quality_label;
  GtkWidget       *quality_details_label;
  GtkWidget       *keypad_revealer;
  GtkWidget       *dtmf_label;
  GtkWidget       *keypad;
  GtkWidget       *controls;
  GtkWidget       *mute_button;
  GtkWidget       *hold_button;
  GtkWidget       *keypad_button;
  GtkWidget       *transfer_button;
  GtkWidget       *transfer_popover;
  GtkWidget       *transfer_entry;
  GtkWidget       *transfer_go;
  GtkWidget       *volume_box;
  GtkWidget       *volume_scale;
  GtkWidget       *answer_box;
  GtkWidget       *answer_button;
  GtkWidget       *decline_button;
  GtkWidget       *hangup_button;
};

G_DEFINE_FINAL_TYPE (BellCallView, bell_call_view, ADW_TYPE_BIN)

enum { SIGNAL_TRANSFER, N_SIGNALS };
static guint signals[N_SIGNALS];

/* The summary's colour follows its word (the word says it too: colour is never alone). */
static void
set_band_style (GtkWidget *label, BellCallQualityBand band)
{
  static const char *const classes[] = { "success", "warning", "error" };
  const char *wanted = band >= BELL_CALL_QUALITY_GOOD ? "success"
                       : band >= BELL_CALL_QUALITY_POOR ? "warning"
                       : band == BELL_CALL_QUALITY_BAD ? "error" : NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (classes); i++)
    if (g_strcmp0 (classes[i], wanted) == 0)
      gtk_widget_add_css_class (label, classes[i]);
    else
      gtk_widget_remove_css_class (label, classes[i]);
}

/* The summary with no-break spaces inside its parts: on a phone's width it wraps between
 * "Quality: Good (MOS 4.1)" and "Loss protection on", never inside either. */
static char *
keep_parts_whole (const char *summary)
{
  g_auto(GStrv) parts = g_strsplit (summary, " · ", -1);

  for (guint i = 0; parts[i]; i++)
    {
      g_auto(GStrv) words = g_strsplit (parts[i], " ", -1);

      g_free (parts[i]);
      parts[i] = g_strjoinv ("\u00a0", words);
    }
  return g_strjoinv ("\u00a0· ", parts);
}

static void
update_quality (BellCallView *self, gboolean live)
{
  BellCall *call = self->call;
  g_autofree char *summary = bell_call_dup_quality_text (call);
  g_autofree char *details = bell_call_dup_quality_details (call);
  g_autofree char *shown = summary ? keep_parts_whole (summary) : NULL;

  gtk_label_set_text (GTK_LABEL (self->quality_label), shown ? shown : "");
  gtk_label_set_text (GTK_LABEL (self->quality_details_label), details ? details : "");
  set_band_style (self->quality_label, bell_call_get_quality_band (call));
  /* The expander is a button to a screen reader: its name is the summary itself. */
  if (summary)
    gtk_accessible_update_property (GTK_ACCESSIBLE (self->quality_expander),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, summary, -1);
  gtk_widget_set_visible (self->quality_expander, summary != NULL && live);
}

static void
update (BellCallView *self)
{
  BellCall *call = self->call;
  BellCallState state;
  gboolean connected, live;
  g_autofree char *state_text = NULL;
  g_autofree char *address = NULL;
  g_autofree char *codec = NULL;

  if (!call)
    return;
  state = bell_call_get_state (call);
  connected = state == BELL_CALL_STATE_CONNECTED;
  live = state != BELL_CALL_STATE_ENDED;
  state_text = bell_call_dup_state_text (call);
  address = bell_dial_display_for (bell_call_get_peer (call));

  adw_avatar_set_text (ADW_AVATAR (self->avatar), bell_call_get_name (call));
  gtk_label_set_text (GTK_LABEL (self->name_label), bell_call_get_name (call));
  gtk_label_set_text (GTK_LABEL (self->address_label), bell_call_get_peer (call));
  /* The address line repeats nothing: a contact's name is shown above it. */
  gtk_widget_set_visible (self->address_label,
                          g_strcmp0 (bell_call_get_name (call), bell_call_get_peer (call)) != 0);
  if (g_strcmp0 (bell_call_get_name (call), bell_call_get_peer (call)) == 0)
    gtk_label_set_text (GTK_LABEL (self->name_label), address);
  gtk_label_set_text (GTK_LABEL (self->state_label), state_text);
  if (bell_call_get_account_name (call))
    {
      /* Which of the user's numbers was called: how to answer ("Acme, good morning"). */
      g_autofree char *to = g_strdup_printf (_("To %s"), bell_call_get_account_name (call));
      gtk_label_set_text (GTK_LABEL (self->account_label), to);
    }
  gtk_widget_set_visible (self->account_label, self->show_account && live &&
                                               !bell_call_is_outgoing (call) &&
                                               bell_call_get_account_name (call) != NULL);

  if (bell_call_get_duration (call) > 0 || connected)
    {
      g_autofree char *timer = bell_call_dup_duration_text (call);
      gtk_label_set_text (GTK_LABEL (self->timer_label), timer);
      gtk_widget_set_visible (self->timer_label, TRUE);
    }
  else
    gtk_widget_set_visible (self->timer_label, FALSE);

  gtk_widget_set_visible (self->media_box, bell_call_get_codec (call) != NULL && live);
  if (bell_call_get_codec (call))
    {
      gboolean encrypted = bell_call_get_encrypted (call);
      gtk_image_set_from_icon_name (GTK_IMAGE (self->encryption_icon),
                                    encrypted ? "channel-secure-symbolic"
                                              : "channel-insecure-symbolic");
      gtk_label_set_text (GTK_LABEL (self->encryption_label),
                          encrypted ? _("Encrypted") : _("Not encrypted"));
      if (encrypted)
        gtk_widget_remove_css_class (self->media_box, "warning");
      else
        gtk_widget_add_css_class (self->media_box, "warning");
    }
  codec = bell_call_dup_codec_text (call);
  gtk_label_set_text (GTK_LABEL (self->codec_label), codec ? codec : "");
  update_quality (self, live);
  gtk_label_set_text (GTK_LABEL (self->dtmf_label), bell_call_get_dtmf_sent (call));

  gtk_widget_set_visible (self->answer_box, state == BELL_CALL_STATE_INCOMING);
  gtk_widget_set_visible (self->controls, live && state != BELL_CALL_STATE_INCOMING);
  gtk_widget_set_visible (self->volume_box, live && state != BELL_CALL_STATE_INCOMING);
  gtk_widget_set_visible (self->hangup_button, live && state != BELL_CALL_STATE_INCOMING);
  gtk_widget_set_sensitive (self->hold_button, connected);
  gtk_widget_set_sensitive (self->keypad_button, connected);
  gtk_widget_set_sensitive (self->transfer_button, connected);
  if (!connected)
    gtk_revealer_set_reveal_child (GTK_REVEALER (self->keypad_revealer), FALSE);

  self->syncing = TRUE;
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->mute_button), bell_call_get_muted (call));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->hold_button), bell_call_get_held (call));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (self->keypad_button),
                                gtk_revealer_get_reveal_child (GTK_REVEALER (self->keypad_revealer)));
  gtk_range_set_value (GTK_RANGE (self->volume_scale), bell_call_get_volume (call));
  self->syncing = FALSE;
  gtk_widget_set_tooltip_text (self->hold_button, bell_call_get_held (call) ? _("Resume the call")
                                                                           : _("Hold the call"));
}

static void
on_call_changed (BellCall *call, gpointer data)
{
  update (data);
}

void
bell_call_view_show_call (BellCallView *self, BellCall *call)
{
  g_return_if_fail (BELL_IS_CALL_VIEW (self));
  if (self->call == call)
    return;
  if (self->call)
    g_clear_signal_handler (&self->call_handler, self->call);
  if (call && (!self->call || bell_call_get_id (call) != bell_call_get_id (self->call)))
    {
      gtk_revealer_set_reveal_child (GTK_REVEALER (self->keypad_revealer), FALSE);
      gtk_expander_set_expanded (GTK_EXPANDER (self->quality_expander), FALSE);
      gtk_editable_set_text (GTK_EDITABLE (self->transfer_entry), "");
    }
  g_set_object (&self->call, call);
  if (call)
    {
      self->call_handler = g_signal_connect (call, "changed", G_CALLBACK (on_call_changed), self);
      update (self);
    }
}

BellCall *
bell_call_view_get_call (BellCallView *self)
{
  g_return_val_if_fail (BELL_IS_CALL_VIEW (self), NULL);
  return self->call;
}

/* Rows of the call list: name and state, kept current by the call's "changed". */
static void
update_row (BellCall *call, GtkWidget *row)
{
  g_autofree char *state = bell_call_dup_state_text (call);
  g_autofree char *address = bell_dial_display_for (bell_call_get_peer (call));
  const char *name = g_strcmp0 (bell_call_get_name (call), bell_call_get_peer (call)) == 0
                     ? address : bell_call_get_name (call);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), state);
}

static GtkWidget *
create_row (gpointer item, gpointer data)
{
  BellCall *call = item;
  GtkWidget *row = adw_action_row_new ();

  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "bell-call", g_object_ref (call), g_object_unref);
  update_row (call, row);
  g_signal_connect_object (call, "changed", G_CALLBACK (update_row), row, 0);
  return row;
}

static void
on_row_activated (GtkListBox *box, GtkListBoxRow *row, gpointer data)
{
  bell_call_view_show_call (data, g_object_get_data (G_OBJECT (row), "bell-call"));
}

static void
on_calls_changed (GListModel *model, guint position, guint removed, guint added, gpointer data)
{
  BellCallView *self = data;
  guint found;

  gtk_widget_set_visible (self->call_list, g_list_model_get_n_items (model) > 1);
  /* The shown call left the list (it ended a while ago): show the one that matters now. */
  if (!self->call ||
      !g_list_store_find (G_LIST_STORE (model), self->call, &found))
    bell_call_view_show_call (self, bell_call_manager_get_current (self->manager));
}

static void
on_call_added (BellCallManager *manager, BellCall *call, gpointer data)
{
  BellCallView *self = data;

  /* A call that rings for us, or one the user just placed, comes to the front. */
  if (!self->call || bell_call_get_state (self->call) == BELL_CALL_STATE_ENDED ||
      bell_call_get_state (call) == BELL_CALL_STATE_INCOMING || bell_call_is_outgoing (call))
    bell_call_view_show_call (self, call);
}

static void
on_call_ended (BellCallManager *manager, BellCall *call, gpointer data)
{
  BellCallView *self = data;
  BellCall *current;

  if (call != self->call)
    return;
  /* Another call is still up (call waiting): back to it; its row shows why this one ended. */
  current = bell_call_manager_get_current (manager);
  if (current && bell_call_get_state (current) != BELL_CALL_STATE_ENDED)
    bell_call_view_show_call (self, current);
}

static guint
shown_id (BellCallView *self)
{
  return self->call ? bell_call_get_id (self->call) : 0;
}

static void
on_answer_clicked (GtkButton *button, gpointer data)
{
  BellCallView *self = data;

  if (self->call)
    bell_call_manager_answer (self->manager, shown_id (self));
}

static void
on_decline_clicked (GtkButton *button, gpointer data)
{
  BellCallView *self = data;

  if (self->call)
    bell_call_manager_reject (self->manager, shown_id (self), 603);
}

static void
on_hangup_clicked (GtkButton *button, gpointer data)
{
  BellCallView *self = data;

  if (self->call)
    bell_call_manager_hangup (self->manager, shown_id (self));
}

static void
on_mute_toggled (GtkToggleButton *button, gpointer data)
{
  BellCallView *self = data;

  if (!self->syncing && self->call)
    bell_call_manager_set_mute (self->manager, shown_id (self),
                                gtk_toggle_button_get_active (button));
}

static void
on_hold_toggled (GtkToggleButton *button, gpointer data)
{
  BellCallView *self = data;

  /* The button follows the "hold" event; until then it shows what was asked. */
  if (!self->syncing && self->call)
    bell_call_manager_hold (self->manager, shown_id (self), gtk_toggle_button_get_active (button));
}

static void
on_keypad_toggled (GtkToggleButton *button, gpointer data)
{
  BellCallView *self = data;

  if (!self->syncing)
    gtk_revealer_set_reveal_child (GTK_REVEALER (self->keypad_revealer),
                                   gtk_toggle_button_get_active (button));
}

static void
on_volume_changed (GtkRange *range, gpointer data)
{
  BellCallView *self = data;

  if (!self->syncing && self->call)
    bell_call_manager_set_volume (self->manager, shown_id (self), gtk_range_get_value (range));
}

static void
on_keypad_digit (BellKeypad *keypad, const char *digit, gpointer data)
{
  bell_call_view_send_dtmf (data, digit);
}

void
bell_call_view_set_show_account (BellCallView *self, gboolean show)
{
  g_return_if_fail (BELL_IS_CALL_VIEW (self));
  self->show_account = !!show;
  update (self);
}

gboolean
bell_call_view_send_dtmf (BellCallView *self, const char *digits)
{
  g_return_val_if_fail (BELL_IS_CALL_VIEW (self), FALSE);
  if (!self->call || bell_call_get_state (self->call) != BELL_CALL_STATE_CONNECTED)
    return FALSE;
  bell_call_manager_send_dtmf (self->manager, shown_id (self), digits);
  return TRUE;
}

static void
on_transfer_go (GtkWidget *widget, gpointer data)
{
  BellCallView *self = data;
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->transfer_entry))));

  if (!self->call || !*text)
    return;
  gtk_popover_popdown (GTK_POPOVER (self->transfer_popover));
  g_signal_emit (self, signals[SIGNAL_TRANSFER], 0, shown_id (self), text);
}

static void
bell_call_view_dispose (GObject *object)
{
  BellCallView *self = BELL_CALL_VIEW (object);

  if (self->call)
    g_clear_signal_handler (&self->call_handler, self->call);
  g_clear_object (&self->call);
  if (self->manager)
    {
      g_signal_handlers_disconnect_by_data (self->manager, self);
      g_signal_handlers_disconnect_by_data (bell_call_manager_get_calls (self->manager), self);
    }
  g_clear_object (&self->manager);
  gtk_widget_dispose_template (GTK_WIDGET (self), BELL_TYPE_CALL_VIEW);
  G_OBJECT_CLASS (bell_call_view_parent_class)->dispose (object);
}

static void
bell_call_view_class_init (BellCallViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = bell_call_view_dispose;
  g_type_ensure (BELL_TYPE_KEYPAD);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/bellbird/Bellbird/ui/bell-call-view.ui");
#define BIND(name) gtk_widget_class_bind_template_child (widget_class, BellCallView, name)
  BIND (call_list);
  BIND (avatar);
  BIND (name_label);
  BIND (address_label);
  BIND (account_label);
  BIND (state_label);
  BIND (timer_label);
  BIND (media_box);
  BIND (encryption_icon);
  BIND (encryption_label);
  BIND (codec_label);
  BIND (quality_expander);
  BIND (quality_label);
  BIND (quality_details_label);
  BIND (keypad_revealer);
  BIND (dtmf_label);
  BIND (keypad);
  BIND (controls);
  BIND (mute_button);
  BIND (hold_button);
  BIND (keypad_button);
  BIND (transfer_button);
  BIND (transfer_popover);
  BIND (transfer_entry);
  BIND (transfer_go);
  BIND (volume_box);
  BIND (volume_scale);
  BIND (answer_box);
  BIND (answer_button);
  BIND (decline_button);
  BIND (hangup_button);
#undef BIND
  signals[SIGNAL_TRANSFER] = g_signal_new ("transfer", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
}

static void
bell_call_view_init (BellCallView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self->answer_button, "clicked", G_CALLBACK (on_answer_clicked), self);
  g_signal_connect (self->decline_button, "clicked", G_CALLBACK (on_decline_clicked), self);
  g_signal_connect (self->hangup_button, "clicked", G_CALLBACK (on_hangup_clicked), self);
  g_signal_connect (self->mute_button, "toggled", G_CALLBACK (on_mute_toggled), self);
  g_signal_connect (self->hold_button, "toggled", G_CALLBACK (on_hold_toggled), self);
  g_signal_connect (self->keypad_button, "toggled", G_CALLBACK (on_keypad_toggled), self);
  g_signal_connect (self->volume_scale, "value-changed", G_CALLBACK (on_volume_changed), self);
  g_signal_connect (self->keypad, "digit", G_CALLBACK (on_keypad_digit), self);
  g_signal_connect (self->transfer_go, "clicked", G_CALLBACK (on_transfer_go), self);
  g_signal_connect (self->transfer_entry, "activate", G_CALLBACK (on_transfer_go), self);
  g_signal_connect (self->call_list, "row-activated", G_CALLBACK (on_row_activated), self);
}

GtkWidget *
bell_call_view_new (BellCallManager *manager)
{
  BellCallView *self;
  GListModel *calls;

  g_return_val_if_fail (BELL_IS_CALL_MANAGER (manager), NULL);
  self = g_object_new (BELL_TYPE_CALL_VIEW, NULL);
  self->manager = g_object_ref (manager);
  calls = bell_call_manager_get_calls (manager);
  gtk_list_box_bind_model (GTK_LIST_BOX (self->call_list), calls, create_row, self, NULL);
  g_signal_connect (calls, "items-changed", G_CALLBACK (on_calls_changed), self);
  g_signal_connect (manager, "call-added", G_CALLBACK (on_call_added), self);
  g_signal_connect (manager, "call-ended", G_CALLBACK (on_call_ended), self);
  bell_call_view_show_call (self, bell_call_manager_get_current (manager));
  return GTK_WIDGET (self);
}

/* Besides the roles bell-call-view.h names: "quality" is the summary (the expander's label),
 * "quality-expander" the expander, "quality-details" the figures inside it. */
GtkWidget *
bell_call_view_get_widget (BellCallView *self, const char *role)
{
  const struct { const char *role; GtkWidget *widget; } widgets[] = {
    { "state", self->state_label }, { "timer", self->timer_label },
    { "name", self->name_label }, { "address", self->address_label },
    { "account", self->account_label },
    { "encryption", self->encryption_label }, { "codec", self->codec_label },
    { "quality", self->quality_label }, { "quality-details", self->quality_details_label },
    { "quality-expander", self->quality_expander }, { "dtmf", self->dtmf_label },
    { "answer", self->answer_button }, { "decline", self->decline_button },
    { "hangup", self->hangup_button }, { "mute", self->mute_button },
    { "hold", self->hold_button }, { "keypad-toggle", self->keypad_button },
    { "keypad", self->keypad }, { "transfer", self->transfer_button },
    { "transfer-entry", self->transfer_entry }, { "transfer-go", self->transfer_go },
    { "volume", self->volume_scale }, { "calls", self->call_list },
  };

  g_return_val_if_fail (BELL_IS_CALL_VIEW (self), NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (widgets); i++)
    if (g_str_equal (widgets[i].role, role))
      return widgets[i].widget;
  return NULL;
}
