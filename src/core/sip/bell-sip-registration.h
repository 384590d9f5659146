/* bell-sip-registration.h: keeping one account registered (RFC 3261 §10, RFC 5626 keep-alives).
 *
 * A registration is a state machine on the core thread. It finds the registrar (RFC 3263),
 * sends REGISTER, answers Digest challenges, refreshes before expiry, follows the address the
 * registrar sees us at, and when anything fails it says why and tries again by itself with a
 * bounded back-off — except for a refused password, which needs the user.
 */
#pragma once

#include <gio/gio.h>
#include "bell-sip-auth.h"
#include "bell-sip-transaction.h"

G_BEGIN_DECLS

typedef enum
{
  BELL_REG_UNREGISTERED,
  BELL_REG_REGISTERING,
  BELL_REG_REGISTERED,
  BELL_REG_UNREGISTERING,
  BELL_REG_FAILED,          /* waiting to retry, or (auth failed) for the user */
} BellRegState;

typedef enum
{
  BELL_REG_REASON_NONE,
  BELL_REG_REASON_AUTH_FAILED,   /* the password or user name was refused */
  BELL_REG_REASON_NO_ROUTE,      /* the registrar's name does not resolve */
  BELL_REG_REASON_UNREACHABLE,   /* refused or lost connection, no route */
  BELL_REG_REASON_TIMEOUT,       /* no answer (Timer F) */
  BELL_REG_REASON_TLS,           /* TLS handshake or certificate */
  BELL_REG_REASON_SERVER,        /* the registrar answered an error; see the status code */
  BELL_REG_REASON_NETWORK_DOWN,  /* no network */
  BELL_REG_REASON_CONFIG,        /* the account cannot work as configured */
  BELL_REG_REASON_TLS_UNTRUSTED, /* the server's certificate does not verify and the account
                                  * has no pin: the user may trust it (the message ends with
                                  * its report, bell_sip_tls_cert_report_parse) */
  BELL_REG_REASON_TLS_CHANGED,   /* the server's certificate is not the pinned one and does not
                                  * verify: never accepted without the user (report too) */
  BELL_REG_REASON_AUTH_NOT_SENT, /* a challenge the account's password must not answer (realm,
                                  * server, downgrade, sips: over UDP/TCP): see the message */
} BellRegReason;

const char *bell_reg_state_to_string  (BellRegState state);
const char *bell_reg_reason_to_string (BellRegReason reason);

/* Who may call an account (or, for the core, this phone) other than through the account's
 * registrar: calls "direct" to our address. */
typedef enum
{
  BELL_DIRECT_CALLS_AUTO = 0,   /* account: the core's policy. Core: refused while any account
                                 * is configured, accepted when there is none */
  BELL_DIRECT_CALLS_REFUSE,     /* a quiet 403 (no ringing) */
  BELL_DIRECT_CALLS_CONTACTS,   /* only from the user's contacts (bell_core_set_direct_calls) */
  BELL_DIRECT_CALLS_ACCEPT,     /* anyone who reaches us may ring */
} BellDirectCalls;

/* "auto", "refuse", "contacts", "accept" (any case). */
gboolean bell_direct_calls_from_string (const char *text, BellDirectCalls *policy);

typedef struct
{
  const char          *aor;           /* sip:alice@example.com */
  const char          *display_name;  /* optional */
  const char          *auth_user;     /* default: the AOR's user part */
  const char          *password;      /* copied into wiped memory */
  const char          *realm;         /* the Digest realm the password answers; NULL: the first
                                       * one that leads to a 2xx (bell-sip-auth-policy.h) */
  const char          *registrar;     /* default: sip:<AOR domain> */
  const char          *outbound_proxy; /* REGISTERs (and the account's calls) go through this
                                        * proxy, with a Route to it; NULL: straight */
  const char          *srtp;          /* the account's calls' SRTP policy ("auto", "off",
                                       * "optional", "mandatory"); NULL: the core's. Not used
                                       * by the registration itself */
  const char          *stun_server;   /* the account's calls' STUN server ("host[:port]"); NULL:
                                       * the core's. Not used by the registration itself */
  const char          *codecs;        /* the account's calls' codec order ("opus,G722,PCMU,PCMA"
                                       * style); NULL: the core's. Not used by the registration */
  gboolean             low_bandwidth; /* the account's calls prefer a narrow stream (or the
                                       * core's config.low_bandwidth). Not used by it either */
  BellDirectCalls      direct_calls;  /* calls naming this account's user that do not come
                                       * through its registrar. Not used by the registration */
  BellSipTransportKind transport;     /* ANY: by RFC 3263 */
  const char          *tls_ca_file;   /* this account's CA for TLS; NULL: the core's */
  const char          *tls_pin;       /* "sha256:AB:..": the server certificate the user trusted
                                       * (bell-sip-tls.h); accepted even when it does not
                                       * verify. NULL: none */
  guint                expires;       /* asked for; default 600 s */
  const char          *instance_id;   /* urn:uuid:... for +sip.instance; default: made up */
  guint                retry_base_s;  /* first back-off; default 5 s, doubling up to retry_max_s */
  guint                retry_max_s;   /* default 300 s */
} BellRegConfig;

#define BELL_TYPE_SIP_REGISTRATION (bell_sip_registration_get_type ())
G_DECLARE_FINAL_TYPE (BellSipRegistration, bell_sip_registration, BELL, SIP_REGISTRATION, GObject)

BellSipRegistration *bell_sip_registration_new (BellSipTransactions *txns,
                                                const BellRegConfig *config, GError **error);
void          bell_sip_registration_start   (BellSipRegistration *self);
/* Un-registers (Expires: 0) when registered; "stopped" follows when done (or timed out). */
void          bell_sip_registration_stop    (BellSipRegistration *self);
/* Registers again now (network came back, resume from suspend), skipping any back-off. */
void          bell_sip_registration_kick    (BellSipRegistration *self);

BellRegState  bell_sip_registration_get_state   (BellSipRegistration *self);
BellRegReason bell_sip_registration_get_reason  (BellSipRegistration *self);
guint         bell_sip_registration_get_status  (BellSipRegistration *self);  /* last SIP code */
guint         bell_sip_registration_get_expires (BellSipRegistration *self);  /* granted */
const char   *bell_sip_registration_get_aor     (BellSipRegistration *self);
/* The Contact we registered, with the address the registrar sees us at. */
const char   *bell_sip_registration_get_contact (BellSipRegistration *self);
/* The flow we registered over, while registered; NULL otherwise. */
BellSipFlow  *bell_sip_registration_get_flow    (BellSipRegistration *self);
/* Every address the registrar (or the outbound proxy) resolved to (BellSipTarget), while
 * registered; NULL otherwise. A registrar's other servers send its calls too. */
GPtrArray    *bell_sip_registration_get_targets (BellSipRegistration *self);
/* A sentence for the user: why it failed or when it retries. */
const char   *bell_sip_registration_get_message (BellSipRegistration *self);
/* Whom the account's password answers: for the calls and OPTIONS made as the account too. */
BellSipAuthPolicy *bell_sip_registration_get_auth_policy (BellSipRegistration *self);

/* Signals: "changed" () after every state or reason change; "stopped" () after stop(). */

G_END_DECLS
