/* bell-account-editor.h: the form that adds or edits one account (a subpage of the accounts
 * window). Save checks the fields, stores the password in the keyring and only then the
 * settings; a failure is shown as a toast and nothing is half-saved. Emits "done" when saved,
 * removed or cancelled. */
#pragma once

#include <gtk/gtk.h>
#include "bell-account-store.h"

G_BEGIN_DECLS

#define BELL_TYPE_ACCOUNT_EDITOR (bell_account_editor_get_type ())
G_DECLARE_FINAL_TYPE (BellAccountEditor, bell_account_editor, BELL, ACCOUNT_EDITOR, GtkBox)

/* account NULL: a new account. */
GtkWidget   *bell_account_editor_new         (BellAccountStore *store, BellAccount *account);
BellAccount *bell_account_editor_get_account (BellAccountEditor *self);

G_END_DECLS
