/* bell-certificate-notice.h: a refused server certificate, told in the main window.
 *
 * The accounts window's row asks about a certificate the core refused, but a user who never
 * opens it would only see calls stop coming. So whenever an account's registration is refused
 * for its certificate (untrusted, or changed from the one trusted before: what an attacker in
 * the middle looks like), the main window shows a toast naming the account, with a Review
 * button that opens the trust dialog (bell-account-trust.h).
 */
#pragma once

#include <adwaita.h>
#include "accounts/bell-account-store.h"

G_BEGIN_DECLS

/* Watches every account of store (those added later too) for as long as store lives; toasts
 * go to the application's active BellWindow. */
void bell_certificate_notice_watch (BellAccountStore *store, GtkApplication *app);

G_END_DECLS
