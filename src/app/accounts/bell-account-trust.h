/* bell-account-trust.h: asking the user about a server certificate the core refused.
 *
 * When an account's registration fails because the server's TLS certificate cannot be verified
 * (BellAccount "refused-certificate"), the user may know it is right (a provider's private CA,
 * a self-signed PBX) and trust exactly that certificate: its fingerprint becomes the account's
 * pin. When a trusted certificate was replaced by another that cannot be verified, the same
 * dialog warns instead: that is what an attacker in the middle looks like.
 */
#pragma once

#include <adwaita.h>
#include "bell-account.h"

G_BEGIN_DECLS

/* A dialog showing the certificate account's registration refused last (fingerprint, subject,
 * and for a change the one trusted before), with the responses "cancel" and "trust"; "trust"
 * pins the certificate shown, even if another was refused meanwhile. NULL when account has no
 * refused certificate. The caller presents it. */
AdwMessageDialog *bell_account_trust_dialog_new (GtkWindow *parent, BellAccount *account);

G_END_DECLS
