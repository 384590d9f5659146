/* account-test-registrar.h: a registrar for the accounts tests, on a loopback UDP port served
 * by the default main context. It grants every REGISTER as asked (no challenge) and remembers
 * each one, so a test can tell which accounts an action made register or un-register. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _AccountTestRegistrar AccountTestRegistrar;

AccountTestRegistrar *account_test_registrar_new      (void);
void                  account_test_registrar_free     (AccountTestRegistrar *registrar);
guint16               account_test_registrar_get_port (AccountTestRegistrar *registrar);
/* How many REGISTERs for user (the To URI's user part) it has had that asked for a binding
 * (removals FALSE: Expires > 0) or removed one (removals TRUE: Expires: 0). */
guint                 account_test_registrar_count    (AccountTestRegistrar *registrar,
                                                       const char *user, gboolean removals);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AccountTestRegistrar, account_test_registrar_free)

G_END_DECLS
