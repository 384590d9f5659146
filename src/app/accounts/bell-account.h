/* bell-account.h: one SIP account of the desktop app.
 *
 * Its settings live in GSettings (the relocatable schema io.github.bellbird.Bellbird.Account at
 * /io/github/bellbird/Bellbird/accounts/ID/) and are bound to its properties both ways; its
 * password lives only in the keyring (bell-account-secret.h). "state" and "status-text" are what
 * the core last said about its registration, kept up to date by BellAccountStore.
 */
#pragma once

#include <gio/gio.h>
#include "bell-core.h"

G_BEGIN_DECLS

#define BELL_ACCOUNT_SCHEMA_ID   "io.github.bellbird.Bellbird.Account"
#define BELL_ACCOUNT_PATH_PREFIX "/io/github/bellbird/Bellbird/accounts/"

#define BELL_ACCOUNT_ERROR (bell_account_error_quark ())
GQuark bell_account_error_quark (void);

typedef enum
{
  BELL_ACCOUNT_ERROR_INVALID_ADDRESS,   /* not sip:user@domain */
  BELL_ACCOUNT_ERROR_INVALID_SERVER,    /* registrar or proxy is not host[:port] or a sip: URI */
  BELL_ACCOUNT_ERROR_KEYRING,           /* the Secret Service is missing, locked or failed */
  BELL_ACCOUNT_ERROR_EXISTS,            /* another account has this address */
  BELL_ACCOUNT_ERROR_INVALID_CODECS,    /* a codec name the core does not know */
  BELL_ACCOUNT_ERROR_INVALID_CERTIFICATE, /* not a certificate fingerprint (sha256:AB:...) */
} BellAccountError;

typedef enum
{
  BELL_ACCOUNT_STATE_DISABLED,
  BELL_ACCOUNT_STATE_UNREGISTERED,
  BELL_ACCOUNT_STATE_REGISTERING,
  BELL_ACCOUNT_STATE_REGISTERED,
  BELL_ACCOUNT_STATE_FAILED,
} BellAccountState;

#define BELL_TYPE_ACCOUNT_STATE (bell_account_state_get_type ())
GType bell_account_state_get_type (void) G_GNUC_CONST;

#define BELL_TYPE_ACCOUNT (bell_account_get_type ())
G_DECLARE_FINAL_TYPE (BellAccount, bell_account, BELL, ACCOUNT, GObject)

/* The account with settings at BELL_ACCOUNT_PATH_PREFIX id "/" (created empty if new). */
BellAccount      *bell_account_new                (const char *id);

GSettings        *bell_account_get_settings       (BellAccount *self);
const char       *bell_account_get_id             (BellAccount *self);
const char       *bell_account_get_display_name   (BellAccount *self);
const char       *bell_account_get_address        (BellAccount *self);
const char       *bell_account_get_auth_user      (BellAccount *self);
const char       *bell_account_get_registrar      (BellAccount *self);
const char       *bell_account_get_outbound_proxy (BellAccount *self);
const char       *bell_account_get_transport      (BellAccount *self);
const char       *bell_account_get_srtp           (BellAccount *self);
const char       *bell_account_get_stun_server    (BellAccount *self);
/* The pin ("sha256:AB:...") of the server certificate the user trusted although it could not
 * be verified (the "tls-fingerprint" key); "" when none. */
const char       *bell_account_get_tls_fingerprint (BellAccount *self);
/* Who may ring this account other than through its server: "auto" (the app's "direct-calls"
 * key), "anyone", "contacts" or "nobody" (the "direct-calls" key). */
const char       *bell_account_get_direct_calls   (BellAccount *self);
/* The account's own codec order ("opus", "G722", "PCMU", "PCMA"), never NULL; empty when it
 * follows the app's "codecs" key (the core's order for calls without an account). */
const char *const *bell_account_get_codecs        (BellAccount *self);
/* Whether its calls prefer a narrow stream (Opus, at a low bitrate). */
gboolean          bell_account_get_low_bandwidth  (BellAccount *self);
gboolean          bell_account_get_enabled        (BellAccount *self);
guint             bell_account_get_expires        (BellAccount *self);
BellAccountState  bell_account_get_state          (BellAccount *self);
const char       *bell_account_get_status_text    (BellAccount *self);
/* The display name, else the address: what a list shows as the title. */
const char       *bell_account_get_title          (BellAccount *self);
/* The user name sent for Digest (auth-user, else the address's user part) and the address's
 * domain: the keyring item's "username" and "domain" attributes. NULL on a malformed address. */
char             *bell_account_dup_username       (BellAccount *self);
char             *bell_account_dup_domain         (BellAccount *self);

/* The server certificate the core refused last ("refused-certificate" notifies): its pin and
 * subject, and whether it replaced the one the account trusts (changed: a warning, not a
 * question). NULL / FALSE when the last registration refused none. */
const char       *bell_account_get_refused_fingerprint (BellAccount *self);
const char       *bell_account_get_refused_subject     (BellAccount *self);
gboolean          bell_account_get_refused_changed     (BellAccount *self);
/* The user trusts the certificate with this fingerprint: stored in "tls-fingerprint" (which
 * registers the account again, with the pin) and the refusal forgotten. FALSE with
 * BELL_ACCOUNT_ERROR_INVALID_CERTIFICATE when fingerprint is not one. */
gboolean          bell_account_trust_certificate       (BellAccount *self,
                                                        const char *fingerprint,
                                                        GError **error);
/* The user no longer trusts the certificate of "tls-fingerprint": the key is reset, and the
 * account registers again without a pin. A connection open with that certificate stays until
 * it closes; new ones must verify. */
void              bell_account_forget_certificate      (BellAccount *self);
/* For BellAccountStore: the certificate the core refused (fingerprint NULL: none). */
void              bell_account_set_refused_certificate (BellAccount *self,
                                                        const char *fingerprint,
                                                        const char *subject, gboolean changed);

/* For BellAccountStore: what the core says now; and that the keyring has a new password for
 * it (emits "password-changed", after which a registered account registers again). */
void              bell_account_set_state          (BellAccount *self, BellAccountState state,
                                                   const char *status_text);
void              bell_account_password_changed   (BellAccount *self);

/* A user's text as a SIP address: "user@domain" or "sip:user@domain" (also sips:, a port and
 * parameters) → the sip:/sips: URI to store, or NULL with BELL_ACCOUNT_ERROR_INVALID_ADDRESS
 * and a sentence for the user. */
char             *bell_account_normalize_address  (const char *text, GError **error);
/* A registrar or proxy the user typed ("", host, host:port, sip:/sips: URI) → a sip: URI, or
 * NULL for "" (with no error); NULL with BELL_ACCOUNT_ERROR_INVALID_SERVER when malformed. */
char             *bell_account_normalize_server   (const char *text, GError **error);
/* "auto" "udp" "tcp" "tls" "ws" "wss" → the core's transport (ANY for auto or unknown). */
BellSipTransportKind bell_account_transport_kind  (const char *transport);
/* "auto" "off" "optional" "mandatory" → the core's SRTP policy (AUTO when unknown). */
BellSdpSrtpPolicy bell_account_srtp_policy        (const char *srtp);
/* "auto" "anyone" "contacts" "nobody" → the core's policy for the account's direct calls
 * (BellRegConfig.direct_calls: AUTO, ACCEPT, CONTACTS, REFUSE; AUTO when unknown). */
BellDirectCalls   bell_account_direct_calls_policy (const char *direct_calls);
/* The codecs the core can offer, in its default order: opus, G722, PCMU, PCMA. */
const char *const *bell_account_known_codecs      (void);
/* A codec name in any case as the core spells it ("OPUS" → "opus"); NULL when unknown. */
const char       *bell_account_codec_name         (const char *name);
/* A codec order as stored: known names only, each once, PCMU and PCMA added at the end when
 * missing (calls always offer them); empty stays empty (the default order). NULL with
 * BELL_ACCOUNT_ERROR_INVALID_CODECS on a name the core does not know. */
char            **bell_account_normalize_codecs   (const char *const *codecs, GError **error);
/* The stable RFC 5626 instance id of an account: urn:uuid: derived from its id. */
char             *bell_account_make_instance_id   (const char *id);

/* What bell_core_register needs for an account: config points into the strings owned here,
 * and at the caller's password (borrowed: keep it alive while config is used). */
typedef struct
{
  BellRegConfig config;
  char         *aor;
  char         *display_name;
  char         *auth_user;
  char         *registrar;
  char         *outbound_proxy;
  char         *srtp;
  char         *stun_server;
  char         *codecs;
  char         *instance_id;
  char         *tls_pin;
} BellAccountRegConfig;

/* Pure: no keyring, no network. Fails on a malformed address or registrar. */
BellAccountRegConfig *bell_account_make_reg_config (BellAccount *self, const char *password,
                                                    GError **error);
void                  bell_account_reg_config_free (BellAccountRegConfig *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellAccountRegConfig, bell_account_reg_config_free)

G_END_DECLS
