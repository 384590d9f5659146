/* bell-accounts-window.h: the Accounts window (AdwPreferencesWindow): every account with its
 * live registration state; add, edit and remove (with confirmation) through a form. */
#pragma once

#include <adwaita.h>
#include "bell-account-store.h"

G_BEGIN_DECLS

#define BELL_TYPE_ACCOUNTS_WINDOW (bell_accounts_window_get_type ())
G_DECLARE_FINAL_TYPE (BellAccountsWindow, bell_accounts_window, BELL, ACCOUNTS_WINDOW,
                      AdwPreferencesWindow)

GtkWidget *bell_accounts_window_new      (BellAccountStore *store);
/* Opens the form for a new account (e.g. on first start, when there is none). */
void       bell_accounts_window_show_add (BellAccountsWindow *self);
/* Opens the form for account. */
void       bell_accounts_window_edit     (BellAccountsWindow *self, BellAccount *account);

/* The accounts GResource (.ui files), registered once; the window does it itself. */
void       bell_accounts_register_resources (void);

G_END_DECLS
