/* bell-sip-auth.h: HTTP Digest for SIP (RFC 3261 §22, RFC 7616, RFC 8760).
 *
 * A BellSipCredentials holds one account's user name and password and the challenges it has
 * answered, per realm, so later requests carry credentials before they are asked (with the
 * nonce count going up), and a realm that challenges our answer again means the password is
 * wrong. (BellSipAuth, in bell-sip-header.h, is a parsed WWW-Authenticate or Authorization
 * header: the message layer's view of one challenge.)
 *
 * Use one BellSipCredentials per request flow (a registration, a call): the failure rule below
 * counts answers per realm, so two flows sharing one object would read each other's challenges
 * as a refusal.
 */
#pragma once

#include <glib.h>
#include "bell-sip-flow.h"
#include "bell-sip-msg.h"

G_BEGIN_DECLS

#define BELL_SIP_AUTH_ERROR (bell_sip_auth_error_quark ())
GQuark bell_sip_auth_error_quark (void);

typedef enum
{
  BELL_SIP_AUTH_ERROR_FAILED,        /* our credentials were refused: wrong user or password */
  BELL_SIP_AUTH_ERROR_UNSUPPORTED,   /* no challenge in a scheme/algorithm/qop we support */
  BELL_SIP_AUTH_ERROR_MALFORMED,     /* a challenge without realm or nonce */
  BELL_SIP_AUTH_ERROR_NO_CREDENTIALS,/* challenged but no password is configured */
  BELL_SIP_AUTH_ERROR_INTERNAL,      /* the crypto library failed (no random bytes) */
  /* Refused by the account's BellSipAuthPolicy (bell-sip-auth-policy.h): nothing was sent. */
  BELL_SIP_AUTH_ERROR_UNTRUSTED_REALM, /* a realm that is not the account's */
  BELL_SIP_AUTH_ERROR_UNTRUSTED_SERVER,/* the request did not go to the account's servers */
  BELL_SIP_AUTH_ERROR_DOWNGRADE,     /* MD5 only, for a realm that offered SHA-256 before */
  BELL_SIP_AUTH_ERROR_INSECURE,      /* a sips: account challenged over UDP/TCP/WS */
} BellSipAuthError;

typedef enum
{
  BELL_SIP_DIGEST_MD5,
  BELL_SIP_DIGEST_SHA256,
  BELL_SIP_DIGEST_SHA512_256,
} BellSipDigestAlgorithm;

typedef struct _BellSipCredentials BellSipCredentials;
typedef struct _BellSipAuthPolicy BellSipAuthPolicy;

/* password may be NULL (challenges then fail with BELL_SIP_AUTH_ERROR_NO_CREDENTIALS); it is
 * copied into memory that is wiped when the object is freed, and never logged. */
BellSipCredentials *bell_sip_credentials_new  (const char *username, const char *password);
/* The same user and password, for another dialog: no challenge remembered, the same policy
 * (shared, not copied). */
BellSipCredentials *bell_sip_credentials_new_like (const BellSipCredentials *creds);
void                bell_sip_credentials_free (BellSipCredentials *creds);
/* Whom the password answers (bell-sip-auth-policy.h); a new BellSipCredentials has an open
 * one (anyone, except a downgrade). The credentials take a reference. */
void                bell_sip_credentials_set_policy (BellSipCredentials *creds,
                                                     BellSipAuthPolicy *policy);
BellSipAuthPolicy  *bell_sip_credentials_get_policy (const BellSipCredentials *creds);

/* Answers a 401 or 407 to a request. Both WWW-Authenticate and Proxy-Authenticate headers are
 * read, whatever the status (a forking proxy merges them, RFC 3261 §16.7), and each realm
 * challenged gets one header in next_request: Authorization for WWW-Authenticate,
 * Proxy-Authorization for Proxy-Authenticate. Within a realm the strongest challenge wins:
 * SHA-512-256 > SHA-256 > MD5 (a "-sess" variant ranks with its base), then one with qop over
 * one without (RFC 2069 form); other schemes, unknown algorithms and unknown qop values are
 * ignored (RFC 8760 §2.4). qop=auth-int is used when offered and next_request has a body,
 * auth otherwise.
 *
 * next_request is the request to send again (same Call-ID, CSeq + 1, which the caller builds,
 * body included). Credentials it already carries for a realm we answer are replaced; it also
 * gets fresh credentials for every other realm remembered (so a proxy's realm answered before
 * is not lost when the registrar challenges next).
 *
 * When a challenge is a refusal (BELL_SIP_AUTH_ERROR_FAILED), per realm:
 *  - a realm answered by bell_sip_auth_answer() since the last bell_sip_auth_reset() that
 *    challenges again without stale=true has refused our credentials, whether its nonce is the
 *    one we answered or a new one;
 *  - stale=true (RFC 7616 §3.3) is answered again with the new nonce, but not when the nonce is
 *    the one we answered, nor more than 3 times in a row;
 *  - credentials added by bell_sip_auth_authorize() alone are a guess: their challenge is
 *    answered once more.
 * The caller resets after a success (2xx), so the next challenge starts a new round.
 * Except for BELL_SIP_AUTH_ERROR_INTERNAL, nothing is changed when this fails. */
gboolean bell_sip_auth_answer (BellSipCredentials *creds, const BellSipMsg *response,
                               BellSipMsg *next_request, GError **error);
/* The same, for a response that came over flow (NULL: unknown), under the credentials'
 * policy: each realm challenged is checked with bell_sip_auth_policy_check() (next_request's
 * first Route or Request-URI being where the challenged request went). A realm the policy
 * does not trust is left out when another one in the response is answered; otherwise the
 * first refusal is the error (a policy code), and it is logged. bell_sip_auth_answer() is
 * this with no flow. */
gboolean bell_sip_auth_answer_via (BellSipCredentials *creds, const BellSipMsg *response,
                                   BellSipFlow *flow, BellSipMsg *next_request, GError **error);

/* Adds credentials for every realm already challenged (RFC 3261 §22.3: reuse them) with the
 * next nonce count, replacing any the request carries for those realms. Returns how many
 * headers it added: none when the request goes (first Route, else Request-URI) where the
 * policy does not send credentials (bell_sip_auth_policy_may_send_to()). */
guint    bell_sip_auth_authorize (BellSipCredentials *creds, BellSipMsg *request);

/* Starts a new round after a success: every realm's next challenge is answered again. The
 * challenges stay remembered for bell_sip_auth_authorize(). The realms answered in the round
 * that succeeded are pinned in the policy when it has none yet (trust on first use). */
void     bell_sip_auth_reset (BellSipCredentials *creds);

/* The Digest response (RFC 7616 §3.4.1): a lowercase hex string, for tests and for servers.
 * qop is NULL (RFC 2069 form: H(H(A1):nonce:H(A2))), "auth" or "auth-int"; entity_body is for
 * auth-int (NULL = empty body). NULL when the crypto library lacks the algorithm (FIPS mode). */
char    *bell_sip_digest_response (BellSipDigestAlgorithm algorithm, gboolean sess,
                                   const char *username, const char *realm,
                                   const char *password, const char *method, const char *uri,
                                   const char *nonce, const char *qop, const char *nc,
                                   const char *cnonce, const char *entity_body,
                                   gsize entity_body_len);
/* H(username ":" realm) for userhash=true (RFC 7616 §3.4.4). */
char    *bell_sip_digest_userhash (BellSipDigestAlgorithm algorithm, const char *username,
                                   const char *realm);
/* "MD5", "SHA-256", "SHA-512-256", each optionally with "-sess", case-insensitively. */
gboolean bell_sip_digest_algorithm_from_string (const char *name, BellSipDigestAlgorithm *algorithm,
                                                gboolean *sess);
/* The name to send: "SHA-256", "MD5-sess", ... */
const char *bell_sip_digest_algorithm_to_string (BellSipDigestAlgorithm algorithm, gboolean sess);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellSipCredentials, bell_sip_credentials_free)

G_END_DECLS
