/* bell-sip-auth-policy.h: to whom an account's password may answer (issue 10).
 *
 * A Digest response is as good as the password to anyone who can try guesses offline, so an
 * account answers only the challenges that come from where its password belongs:
 *  - the server: the request went to the account's registrar or outbound proxy (its URI's
 *    host and port as configured, or the address we are registered with). A direct call to
 *    sip:bob@elsewhere made as the account is not answered;
 *  - the realm: the one configured for the account, or else the realm(s) of the first
 *    challenge that led to a 2xx (trust on first use: pinned for the rest of the session);
 *  - no downgrade: once a realm has offered SHA-256 (or stronger), an MD5-only challenge for
 *    it is refused;
 *  - a sips: account (AOR or registrar) answers only over TLS or WSS.
 *
 * One policy is shared, by reference, by an account's registration and by the calls and
 * OPTIONS made as that account, so what the registration pins holds for them too. A password
 * given with one request alone (bellbird-cli call --user --password-env, no registration) gets
 * a policy of its own that trusts only that request's first hop: its outbound proxy, else
 * the host it calls.
 *
 * Everything here runs on the core thread.
 */
#pragma once

#include <gio/gio.h>
#include "bell-sip-auth.h"
#include "bell-sip-flow.h"
#include "bell-sip-uri.h"

G_BEGIN_DECLS

typedef struct _BellSipAuthPolicy BellSipAuthPolicy;

/* What one challenge is, and where it came from, for a decision. */
typedef struct
{
  const char            *realm;
  BellSipDigestAlgorithm algorithm;   /* the strongest offered for realm in this response */
  const BellSipUri      *next_hop;    /* where the challenged request went (first Route, else
                                       * the Request-URI); NULL: unknown, never trusted */
  BellSipTransportKind   transport;   /* that the challenge came over; ANY: unknown */
  GInetSocketAddress    *source;      /* where it came from; NULL: unknown */
} BellSipAuthChallengeInfo;

/* Answers any challenge from anywhere, except a downgrade. What a BellSipCredentials has until
 * it is given another policy (tests, and requests made without an account). */
BellSipAuthPolicy *bell_sip_auth_policy_new_open    (void);
/* An account's: its registrar and outbound proxy (NULL: none) are its servers; realm NULL
 * pins on first use. secure: answer only over TLS/WSS (set for a sips: AOR or registrar by
 * the caller). */
BellSipAuthPolicy *bell_sip_auth_policy_new_account (const BellSipUri *registrar,
                                                     const BellSipUri *outbound_proxy,
                                                     const char *realm, gboolean secure);
BellSipAuthPolicy *bell_sip_auth_policy_ref   (BellSipAuthPolicy *policy);
void               bell_sip_auth_policy_unref (BellSipAuthPolicy *policy);

/* The realm(s) answers are limited to (configured, or pinned), NULL-terminated; NULL while
 * nothing is pinned yet. */
const char *const *bell_sip_auth_policy_get_realms (BellSipAuthPolicy *policy);
/* Trust on first use: realms (NULL-terminated; those answered in the exchange that led to a
 * 2xx) become the account's, unless it has some already. */
void     bell_sip_auth_policy_pin_realms     (BellSipAuthPolicy *policy,
                                              const char *const *realms);
/* The address of the registrar we registered with (its flow's remote end): requests that
 * went there are the account's own, whatever name routed them. */
void     bell_sip_auth_policy_trust_address  (BellSipAuthPolicy *policy,
                                              GInetSocketAddress *address);
gboolean bell_sip_auth_policy_is_secure      (BellSipAuthPolicy *policy);

/* Whether the password may answer this challenge. FALSE with a BELL_SIP_AUTH_ERROR_* policy
 * code (UNTRUSTED_REALM, UNTRUSTED_SERVER, DOWNGRADE, INSECURE) and a sentence for the user.
 * A challenge offering SHA-256 or stronger for a realm is remembered (for the downgrade rule)
 * once its server and transport are trusted, whether or not the realm is. */
gboolean bell_sip_auth_policy_check          (BellSipAuthPolicy *policy,
                                              const BellSipAuthChallengeInfo *info,
                                              GError **error);
/* Whether credentials may go to next_hop unasked (RFC 3261 §22.3 reuse, the ACK of a 2xx):
 * the same server rule as bell_sip_auth_policy_check(), without a flow; for a secure policy
 * only when the URI itself says TLS (sips:, ;transport=tls or wss). */
gboolean bell_sip_auth_policy_may_send_to    (BellSipAuthPolicy *policy,
                                              const BellSipUri *next_hop);

/* Where request goes first: its first Route's URI, else its Request-URI; NULL if neither. */
const BellSipUri *bell_sip_auth_next_hop (const BellSipMsg *request);
/* Is error one of the policy's refusals (nothing was sent, on purpose)? */
gboolean bell_sip_auth_error_is_policy (const GError *error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellSipAuthPolicy, bell_sip_auth_policy_unref)

G_END_DECLS
