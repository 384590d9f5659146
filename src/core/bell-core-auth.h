/* bell-core-auth.h: under which policy (sip/bell-sip-auth-policy.h) the password given with a
 * call or OPTIONS answers challenges. Core thread. */
#pragma once

#include "bell-core-private.h"

G_BEGIN_DECLS

/* creds (NULL: nothing to do) answer as the registered account from names, sharing its
 * policy (what its registration pinned holds); a password given with this request alone
 * answers only where the request goes first: the outbound proxy (the account's, else the
 * core's; when via_proxy) or else target, and only over TLS/WSS when from or that is sips:. */
void bell_core_auth_apply_policy (BellCore *core, BellSipCredentials *creds, const char *from,
                                  const char *target, gboolean via_proxy);

G_END_DECLS
