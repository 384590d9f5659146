/* bell-dialpad.h: the Dialpad page: an entry for a number or SIP address, the twelve keys,
 * backspace, the Call button and, when there are several accounts, which one calls.
 *
 * It only collects what to call: "call" (const char *text) is emitted with the entry's text
 * (Enter or the Call button); BellWindow turns the text into a URI (bell-dial.h).
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define BELL_TYPE_DIALPAD (bell_dialpad_get_type ())
G_DECLARE_FINAL_TYPE (BellDialpad, bell_dialpad, BELL, DIALPAD, AdwBin)

GtkWidget  *bell_dialpad_new            (void);
const char *bell_dialpad_get_text       (BellDialpad *self);
void        bell_dialpad_set_text       (BellDialpad *self, const char *text);
/* Types text at the cursor (keys, digits typed elsewhere in the window). */
void        bell_dialpad_insert         (BellDialpad *self, const char *text);
/* Deletes the character before the cursor. */
void        bell_dialpad_backspace      (BellDialpad *self);
void        bell_dialpad_focus_entry    (BellDialpad *self);
/* A sentence under the entry (why a call could not be made); NULL hides it. */
void        bell_dialpad_show_message   (BellDialpad *self, const char *message);
const char *bell_dialpad_get_message    (BellDialpad *self);
/* The accounts that may call (a model of objects) and how to name one; the picker shows only
 * with two or more. The selected item, or NULL. */
void        bell_dialpad_set_accounts   (BellDialpad *self, GListModel *accounts,
                                         GtkExpression *name_expression);
gpointer    bell_dialpad_get_account    (BellDialpad *self);
void        bell_dialpad_select_account (BellDialpad *self, guint position);

/* For tests and keyboard focus. */
GtkWidget  *bell_dialpad_get_entry          (BellDialpad *self);
GtkWidget  *bell_dialpad_get_call_button    (BellDialpad *self);
GtkWidget  *bell_dialpad_get_keypad         (BellDialpad *self);
GtkWidget  *bell_dialpad_get_account_picker (BellDialpad *self);

G_END_DECLS
