/* bell-keypad.h: the twelve phone keys, with their letters, for the dialpad and for DTMF.
 *
 * Each key emits "digit" (const char *: "0".."9", "*", "#"); with plus-on-long-press a long
 * press on 0 emits "+" instead, as on a mobile phone.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define BELL_TYPE_KEYPAD (bell_keypad_get_type ())
G_DECLARE_FINAL_TYPE (BellKeypad, bell_keypad, BELL, KEYPAD, GtkWidget)

GtkWidget *bell_keypad_new                   (void);
void       bell_keypad_set_plus_on_long_press (BellKeypad *self, gboolean enabled);
/* The button of a key ("0".."9", "*", "#"), for tests and focus. */
GtkWidget *bell_keypad_get_key               (BellKeypad *self, const char *digit);

G_END_DECLS
