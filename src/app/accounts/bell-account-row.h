/* bell-account-row.h: one account in the accounts window: its name, address and live
 * registration state (an icon and the status text, failures in the error colour), and a
 * button to review a server certificate the core refused (bell-account-trust.h). */
#pragma once

#include <gtk/gtk.h>
#include "bell-account.h"

G_BEGIN_DECLS

#define BELL_TYPE_ACCOUNT_ROW (bell_account_row_get_type ())
G_DECLARE_FINAL_TYPE (BellAccountRow, bell_account_row, BELL, ACCOUNT_ROW, GtkListBoxRow)

GtkWidget   *bell_account_row_new         (BellAccount *account);
BellAccount *bell_account_row_get_account (BellAccountRow *self);
/* The status as shown (for tests). */
const char  *bell_account_row_get_status  (BellAccountRow *self);
/* The button that offers to trust a refused server certificate, shown only when there is one
 * (for tests). */
GtkWidget   *bell_account_row_get_trust_button (BellAccountRow *self);

G_END_DECLS
