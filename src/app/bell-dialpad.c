/* bell-dialpad.c: the Dialpad page. */
#define G_LOG_DOMAIN "bell-dialpad"

#include "config.h"
#include "bell-dialpad.h"

#include <glib/gi18n.h>
#include "bell-keypad.h"

struct _BellDialpad
{
  AdwBin      parent_instance;

  GtkWidget  *account_picker;
  GtkWidget  *entry;
  GtkWidget  *backspace;
  GtkWidget  *message;
  GtkWidget  *keypad;
  GtkWidget  *call_button;
  GListModel *accounts;
  gboolean    backspace_long_pressed;
};

G_DEFINE_FINAL_TYPE (BellDialpad, bell_dialpad, ADW_TYPE_BIN)

enum { SIGNAL_CALL, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
emit_call (BellDialpad *self)
{
  g_autofree char *text = g_strstrip (g_strdup (bell_dialpad_get_text (self)));

  if (*text)
    g_signal_emit (self, signals[SIGNAL_CALL], 0, text);
}

static void
on_entry_activate (GtkEntry *entry, gpointer data)
{
  emit_call (data);
}

static void
on_call_clicked (GtkButton *button, gpointer data)
{
  emit_call (data);
}

static void
on_entry_changed (GtkEditable *editable, gpointer data)
{
  BellDialpad *self = data;
  gboolean empty = *gtk_editable_get_text (editable) == '\0';

  gtk_widget_set_sensitive (self->call_button, !empty);
  gtk_widget_set_sensitive (self->backspace, !empty);
  bell_dialpad_show_message (self, NULL);
}

static void
on_digit (BellKeypad *keypad, const char *digit, gpointer data)
{
  bell_dialpad_insert (data, digit);
}

static void
on_backspace_clicked (GtkButton *button, gpointer data)
{
  BellDialpad *self = data;

  if (self->backspace_long_pressed)
    {
      self->backspace_long_pressed = FALSE;
      return;
    }
  bell_dialpad_backspace (self);
}

static void
on_backspace_begin (GtkGesture *gesture, GdkEventSequence *sequence, gpointer data)
{
  BELL_DIALPAD (data)->backspace_long_pressed = FALSE;
}

static void
on_backspace_long_pressed (GtkGestureLongPress *gesture, double x, double y, gpointer data)
{
  BellDialpad *self = data;

  self->backspace_long_pressed = TRUE;
  bell_dialpad_set_text (self, "");
}

static void
update_picker (BellDialpad *self)
{
  gtk_widget_set_visible (self->account_picker,
                          self->accounts && g_list_model_get_n_items (self->accounts) > 1);
}

static void
on_accounts_changed (GListModel *model, guint position, guint removed, guint added, gpointer data)
{
  update_picker (data);
}

static void
bell_dialpad_dispose (GObject *object)
{
  BellDialpad *self = BELL_DIALPAD (object);

  if (self->accounts)
    g_signal_handlers_disconnect_by_data (self->accounts, self);
  g_clear_object (&self->accounts);
  gtk_widget_dispose_template (GTK_WIDGET (self), BELL_TYPE_DIALPAD);
  G_OBJECT_CLASS (bell_dialpad_parent_class)->dispose (object);
}

static void
bell_dialpad_class_init (BellDialpadClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = bell_dialpad_dispose;
  g_type_ensure (BELL_TYPE_KEYPAD);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/bellbird/Bellbird/ui/bell-dialpad.ui");
  gtk_widget_class_bind_template_child (widget_class, BellDialpad, account_picker);
  gtk_widget_class_bind_template_child (widget_class, BellDialpad, entry);
  gtk_widget_class_bind_template_child (widget_class, BellDialpad, backspace);
  gtk_widget_class_bind_template_child (widget_class, BellDialpad, message);
  gtk_widget_class_bind_template_child (widget_class, BellDialpad, keypad);
  gtk_widget_class_bind_template_child (widget_class, BellDialpad, call_button);
  signals[SIGNAL_CALL] = g_signal_new ("call", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
bell_dialpad_init (BellDialpad *self)
{
  GtkGesture *press;

  gtk_widget_init_template (GTK_WIDGET (self));
  bell_keypad_set_plus_on_long_press (BELL_KEYPAD (self->keypad), TRUE);
  g_signal_connect (self->keypad, "digit", G_CALLBACK (on_digit), self);
  g_signal_connect (self->entry, "activate", G_CALLBACK (on_entry_activate), self);
  g_signal_connect (self->entry, "changed", G_CALLBACK (on_entry_changed), self);
  g_signal_connect (self->call_button, "clicked", G_CALLBACK (on_call_clicked), self);
  g_signal_connect (self->backspace, "clicked", G_CALLBACK (on_backspace_clicked), self);
  press = gtk_gesture_long_press_new ();
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (press), GTK_PHASE_CAPTURE);
  g_signal_connect (press, "begin", G_CALLBACK (on_backspace_begin), self);
  g_signal_connect (press, "pressed", G_CALLBACK (on_backspace_long_pressed), self);
  gtk_widget_add_controller (self->backspace, GTK_EVENT_CONTROLLER (press));
}

GtkWidget *
bell_dialpad_new (void)
{
  return g_object_new (BELL_TYPE_DIALPAD, NULL);
}

const char *
bell_dialpad_get_text (BellDialpad *self)
{
  g_return_val_if_fail (BELL_IS_DIALPAD (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->entry));
}

void
bell_dialpad_set_text (BellDialpad *self, const char *text)
{
  g_return_if_fail (BELL_IS_DIALPAD (self));
  gtk_editable_set_text (GTK_EDITABLE (self->entry), text ? text : "");
  gtk_editable_set_position (GTK_EDITABLE (self->entry), -1);
}

void
bell_dialpad_insert (BellDialpad *self, const char *text)
{
  GtkEditable *editable = GTK_EDITABLE (self->entry);
  int start, end, position;

  g_return_if_fail (BELL_IS_DIALPAD (self));
  /* Typing over a selection replaces it, as in any entry. */
  if (gtk_editable_get_selection_bounds (editable, &start, &end))
    gtk_editable_delete_text (editable, start, end);
  position = gtk_editable_get_position (editable);
  gtk_editable_insert_text (editable, text, -1, &position);
  gtk_editable_set_position (editable, position);
}

void
bell_dialpad_backspace (BellDialpad *self)
{
  GtkEditable *editable = GTK_EDITABLE (self->entry);
  int start, end, position;

  g_return_if_fail (BELL_IS_DIALPAD (self));
  if (gtk_editable_get_selection_bounds (editable, &start, &end))
    {
      gtk_editable_delete_text (editable, start, end);
      return;
    }
  position = gtk_editable_get_position (editable);
  if (position > 0)
    gtk_editable_delete_text (editable, position - 1, position);
}

void
bell_dialpad_focus_entry (BellDialpad *self)
{
  g_return_if_fail (BELL_IS_DIALPAD (self));
  gtk_widget_grab_focus (self->entry);
  gtk_editable_set_position (GTK_EDITABLE (self->entry), -1);
}

void
bell_dialpad_show_message (BellDialpad *self, const char *message)
{
  g_return_if_fail (BELL_IS_DIALPAD (self));
  gtk_label_set_text (GTK_LABEL (self->message), message ? message : "");
  gtk_widget_set_visible (self->message, message != NULL);
}

const char *
bell_dialpad_get_message (BellDialpad *self)
{
  g_return_val_if_fail (BELL_IS_DIALPAD (self), NULL);
  return gtk_widget_get_visible (self->message) ? gtk_label_get_text (GTK_LABEL (self->message))
                                                : NULL;
}

void
bell_dialpad_set_accounts (BellDialpad *self, GListModel *accounts, GtkExpression *name_expression)
{
  g_return_if_fail (BELL_IS_DIALPAD (self));
  if (self->accounts)
    g_signal_handlers_disconnect_by_data (self->accounts, self);
  g_set_object (&self->accounts, accounts);
  gtk_drop_down_set_expression (GTK_DROP_DOWN (self->account_picker), name_expression);
  gtk_drop_down_set_model (GTK_DROP_DOWN (self->account_picker), accounts);
  if (accounts)
    g_signal_connect (accounts, "items-changed", G_CALLBACK (on_accounts_changed), self);
  update_picker (self);
}

gpointer
bell_dialpad_get_account (BellDialpad *self)
{
  g_return_val_if_fail (BELL_IS_DIALPAD (self), NULL);
  if (!self->accounts || g_list_model_get_n_items (self->accounts) == 0)
    return NULL;
  return gtk_drop_down_get_selected_item (GTK_DROP_DOWN (self->account_picker));
}

void
bell_dialpad_select_account (BellDialpad *self, guint position)
{
  g_return_if_fail (BELL_IS_DIALPAD (self));
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->account_picker), position);
}

GtkWidget *bell_dialpad_get_entry          (BellDialpad *self) { return self->entry; }
GtkWidget *bell_dialpad_get_call_button    (BellDialpad *self) { return self->call_button; }
GtkWidget *bell_dialpad_get_keypad         (BellDialpad *self) { return self->keypad; }
GtkWidget *bell_dialpad_get_account_picker (BellDialpad *self) { return self->account_picker; }
