/* account-test-registrar.h: a registrar for the accounts tests, on a loopback UDP port served
 * by the default main context. It grants every REGISTER as asked (no challenge) and remembers
 * each one, so a test can tell which accounts an action made register or un-register. It is
 * also a busy callee: an INVITE gets 486, and the codecs its SDP offered are remembered. */
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

/* The audio codecs the last INVITE offered, in its order ("PCMA PCMU telephone-event": each
 * rtpmap's encoding name, or the static payload's), or NULL before any INVITE. */
const char           *account_test_registrar_last_offer (AccountTestRegistrar *registrar);
/* Its a=ptime (0: none). */
guint                 account_test_registrar_last_ptime (AccountTestRegistrar *registrar);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AccountTestRegistrar, account_test_registrar_free)

G_END_DECLS
