/* bell-keypad.c: twelve keys in a 3 × 4 grid. */
#define G_LOG_DOMAIN "bell-keypad"

#include "config.h"
#include "bell-keypad.h"

#include <glib/gi18n.h>

struct _BellKeypad
{
  GtkWidget  parent_instance;

  GtkWidget *grid;
  GtkWidget *keys[12];
  gboolean   plus_on_long_press;
  gboolean   long_pressed;   /* the 0 key's long press already typed "+": skip its click */
};

G_DEFINE_FINAL_TYPE (BellKeypad, bell_keypad, GTK_TYPE_WIDGET)

enum { SIGNAL_DIGIT, N_SIGNALS };
static guint signals[N_SIGNALS];

static const struct
{
  const char *digit;
  const char *letters;
} keys[12] = {
  { "1", "" }, { "2", "ABC" }, { "3", "DEF" },
  { "4", "GHI" }, { "5", "JKL" }, { "6", "MNO" },
  { "7", "PQRS" }, { "8", "TUV" }, { "9", "WXYZ" },
  { "*", "" }, { "0", "+" }, { "#", "" },
};

static void
on_key_clicked (GtkButton *button, gpointer data)
{
  BellKeypad *self = data;
  const char *digit = g_object_get_data (G_OBJECT (button), "bell-digit");

  if (self->long_pressed && g_str_equal (digit, "0"))
    {
      self->long_pressed = FALSE;
      return;
    }
  g_signal_emit (self, signals[SIGNAL_DIGIT], 0, digit);
}

static void
on_zero_begin (GtkGesture *gesture, GdkEventSequence *sequence, gpointer data)
{
  BELL_KEYPAD (data)->long_pressed = FALSE;
}

static void
on_zero_long_pressed (GtkGestureLongPress *gesture, double x, double y, gpointer data)
{
  BellKeypad *self = data;

  if (!self->plus_on_long_press)
    return;
  self->long_pressed = TRUE;
  g_signal_emit (self, signals[SIGNAL_DIGIT], 0, "+");
}

static GtkWidget *
make_key (BellKeypad *self, const char *digit, const char *letters)
{
  GtkWidget *button = gtk_button_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *number = gtk_label_new (digit);
  GtkWidget *sub = gtk_label_new (letters);
  g_autofree char *accessible = NULL;

  gtk_widget_add_css_class (number, "keypad-digit");
  gtk_widget_add_css_class (sub, "keypad-letters");
  gtk_widget_add_css_class (sub, "dim-label");
  gtk_box_append (GTK_BOX (box), number);
  gtk_box_append (GTK_BOX (box), sub);
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  gtk_button_set_child (GTK_BUTTON (button), box);
  gtk_widget_add_css_class (button, "keypad-key");
  gtk_widget_add_css_class (button, "circular");
  gtk_widget_set_hexpand (button, TRUE);
  gtk_widget_set_vexpand (button, TRUE);
  g_object_set_data (G_OBJECT (button), "bell-digit", (gpointer) digit);
  /* Screen readers say "Star", not "asterisk DEF"-like noise. */
  accessible = g_str_equal (digit, "*") ? g_strdup (_("Star"))
               : g_str_equal (digit, "#") ? g_strdup (_("Pound"))
               : *letters ? g_strdup_printf ("%s %s", digit, letters) : g_strdup (digit);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  accessible, -1);
  g_signal_connect (button, "clicked", G_CALLBACK (on_key_clicked), self);
  if (g_str_equal (digit, "0"))
    {
      GtkGesture *press = gtk_gesture_long_press_new ();
      gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (press), GTK_PHASE_CAPTURE);
      g_signal_connect (press, "begin", G_CALLBACK (on_zero_begin), self);
      g_signal_connect (press, "pressed", G_CALLBACK (on_zero_long_pressed), self);
      gtk_widget_add_controller (button, GTK_EVENT_CONTROLLER (press));
      gtk_widget_set_tooltip_text (button, _("Hold for +"));
    }
  return button;
}

static void
bell_keypad_dispose (GObject *object)
{
  BellKeypad *self = BELL_KEYPAD (object);

  g_clear_pointer (&self->grid, gtk_widget_unparent);
  G_OBJECT_CLASS (bell_keypad_parent_class)->dispose (object);
}

static void
bell_keypad_class_init (BellKeypadClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = bell_keypad_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "keypad");
  signals[SIGNAL_DIGIT] = g_signal_new ("digit", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
bell_keypad_init (BellKeypad *self)
{
  self->grid = gtk_grid_new ();
  gtk_grid_set_row_spacing (GTK_GRID (self->grid), 8);
  gtk_grid_set_column_spacing (GTK_GRID (self->grid), 8);
  gtk_grid_set_row_homogeneous (GTK_GRID (self->grid), TRUE);
  gtk_grid_set_column_homogeneous (GTK_GRID (self->grid), TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      self->keys[i] = make_key (self, keys[i].digit, keys[i].letters);
      gtk_grid_attach (GTK_GRID (self->grid), self->keys[i], (int) (i % 3), (int) (i / 3), 1, 1);
    }
  gtk_widget_set_parent (self->grid, GTK_WIDGET (self));
}

GtkWidget *
bell_keypad_new (void)
{
  return g_object_new (BELL_TYPE_KEYPAD, NULL);
}

void
bell_keypad_set_plus_on_long_press (BellKeypad *self, gboolean enabled)
{
  g_return_if_fail (BELL_IS_KEYPAD (self));
  self->plus_on_long_press = enabled;
}

GtkWidget *
bell_keypad_get_key (BellKeypad *self, const char *digit)
{
  g_return_val_if_fail (BELL_IS_KEYPAD (self), NULL);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (g_strcmp0 (keys[i].digit, digit) == 0)
      return self->keys[i];
  return NULL;
}
