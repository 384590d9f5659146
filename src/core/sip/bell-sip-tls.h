/* bell-sip-tls.h: TLS sessions (OpenSSL 3) over connected non-blocking sockets, for SIP over
 * TLS (RFC 3261 §26.2, RFC 5922 domain certificates).
 *
 * A BellSipTlsConfig holds what is shared between sessions (the SSL_CTX: trust anchors, our
 * certificate and key); a BellSipTls is one session on one socket. Sessions never block: each
 * call that would wait for the socket fails with G_IO_ERROR_WOULD_BLOCK and says in *want which
 * socket condition to wait for (G_IO_IN or G_IO_OUT). That condition is what OpenSSL needs, not
 * what the caller is doing: a read may need the socket writable and a write may need it
 * readable, so wait on *want, not on the direction of the call.
 *
 * The caller owns the file descriptor: sessions neither close it nor change its flags. OpenSSL
 * writes to it with write(2), so a peer that closed its end raises SIGPIPE unless it is ignored;
 * GIO ignores SIGPIPE as soon as the GSocket class is initialised, which any GSocket user has.
 *
 * Each session is used from one thread; configurations may be shared between threads. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define BELL_SIP_TLS_ERROR (bell_sip_tls_error_quark ())

typedef enum
{
  BELL_SIP_TLS_ERROR_HANDSHAKE,               /* the handshake failed (alert, closed, no shared
                                                 cipher...) for a reason other than below */
  BELL_SIP_TLS_ERROR_CERT_UNTRUSTED,          /* chain does not lead to a trusted CA, self-signed,
                                                 bad signature, not a CA, revoked... */
  BELL_SIP_TLS_ERROR_CERT_HOSTNAME_MISMATCH,  /* valid certificate, but for another name */
  BELL_SIP_TLS_ERROR_CERT_EXPIRED,            /* outside its validity period (or not yet valid) */
  BELL_SIP_TLS_ERROR_PROTOCOL,                /* the peer does not speak TLS, only an old version,
                                                 or broke the protocol after the handshake */
  BELL_SIP_TLS_ERROR_CONFIG,                  /* a certificate, key or CA file cannot be used */
  BELL_SIP_TLS_ERROR_CERT_CHANGED,            /* the session has a pin (bell_sip_tls_set_pin) and
                                                 the server's certificate neither matches it nor
                                                 verifies */
} BellSipTlsError;

GQuark bell_sip_tls_error_quark (void);

/* Configuration */

typedef struct _BellSipTlsConfig BellSipTlsConfig;

/* A configuration for client sessions: TLS 1.2 or later, the server's certificate verified
 * against ca_file or, when ca_file is NULL, the system trust store.
 *
 * ca_file (PEM, one or more certificates) replaces the system trust store: a user who names
 * the private CA of a SIP provider trusts that CA for the account, not every public CA as well.
 *
 * accept_untrusted is a testing option, off by default: the handshake then succeeds whatever
 * the certificate (untrusted chain, wrong name, expired), but the verification still runs and
 * bell_sip_tls_is_verified() and bell_sip_tls_describe() tell what failed.
 *
 * Fails with BELL_SIP_TLS_ERROR_CONFIG when ca_file cannot be read or holds no certificate. */
BellSipTlsConfig *bell_sip_tls_config_new_client (const char *ca_file, gboolean accept_untrusted,
                                                  GError **error);

/* A configuration for server sessions presenting cert_file (PEM: our certificate, then any
 * intermediates) with the private key in key_file (PEM, unencrypted). Clients are not asked for
 * certificates. Fails with BELL_SIP_TLS_ERROR_CONFIG when a file cannot be read or the key does
 * not belong to the certificate. */
BellSipTlsConfig *bell_sip_tls_config_new_server (const char *cert_file, const char *key_file,
                                                  GError **error);

/* Reference counting; atomic, so a configuration may be shared between threads. */
BellSipTlsConfig *bell_sip_tls_config_ref   (BellSipTlsConfig *cfg);
void              bell_sip_tls_config_unref (BellSipTlsConfig *cfg);

/* Whether client sessions of cfg accept any certificate (see bell_sip_tls_config_new_client). */
gboolean bell_sip_tls_config_get_accept_untrusted (BellSipTlsConfig *cfg);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellSipTlsConfig, bell_sip_tls_config_unref)

/* Sessions */

typedef struct _BellSipTls BellSipTls;

/* A client session on fd, a connected socket (or one still connecting), with a client cfg.
 * server_name is the name the server's certificate must carry: a DNS name (sent as SNI too; a
 * trailing dot is ignored) or an IP literal (IPv6 with or without brackets; no SNI, matched
 * against IP subjectAltNames only).
 * A DNS name matches subjectAltName DNS entries and "sip:<name>" URI entries (RFC 5922 §7.1),
 * or the subject CN when the certificate has no DNS subjectAltName (OpenSSL's rule). "*" stands
 * for one whole left-most label ("*.example.com"), never part of one ("sip*.example.com").
 * Fails with G_IO_ERROR_INVALID_ARGUMENT for an empty or unusable server_name.
 * Nothing is sent yet: call bell_sip_tls_handshake(). */
BellSipTls *bell_sip_tls_new_client (BellSipTlsConfig *cfg, int fd, const char *server_name,
                                     GError **error);

/* A server session on fd, a connected (accepted) socket, with a server cfg. */
BellSipTls *bell_sip_tls_new_server (BellSipTlsConfig *cfg, int fd, GError **error);

/* Advances the handshake. TRUE once it is complete (and on every later call); FALSE with
 * G_IO_ERROR_WOULD_BLOCK and *want set when it must wait for the socket; FALSE with a
 * BELL_SIP_TLS_ERROR otherwise, with a message for the user (e.g. "TLS: certificate of
 * sip.example.com is not trusted (self-signed certificate)"). */
gboolean bell_sip_tls_handshake (BellSipTls *tls, GIOCondition *want, GError **error);

/* Reads up to len decrypted bytes into buf, once the handshake is complete. Returns how many
 * (> 0); 0 when the peer closed the session cleanly (close_notify); -1 with
 * G_IO_ERROR_WOULD_BLOCK and *want when nothing can be read yet; -1 with
 * G_IO_ERROR_CONNECTION_CLOSED when the connection ended without close_notify (data may have
 * been cut off), another G_IO_ERROR for a socket error, or BELL_SIP_TLS_ERROR_PROTOCOL. */
gssize bell_sip_tls_read (BellSipTls *tls, void *buf, gsize len, GIOCondition *want,
                          GError **error);

/* Encrypts and sends bytes from buf, once the handshake is complete. Partial writes: returns how
 * many bytes of buf were sent (> 0, maybe fewer than len); -1 with G_IO_ERROR_WOULD_BLOCK and
 * *want; -1 with another G_IO_ERROR or a BELL_SIP_TLS_ERROR on failure.
 *
 * After WOULD_BLOCK, OpenSSL has taken some of the bytes into a record it could not send yet:
 * the next write must offer the same bytes again (buf may move, more may be appended), never
 * fewer than before. A write queue that only drops bytes when a write returns > 0 does that. */
gssize bell_sip_tls_write (BellSipTls *tls, const void *buf, gsize len, GIOCondition *want,
                           GError **error);

/* Whether decrypted bytes are buffered in the session, so that bell_sip_tls_read() returns data
 * without the socket becoming readable. Check after a read that filled its whole buffer: poll()
 * will not report these bytes. */
gboolean bell_sip_tls_pending (BellSipTls *tls);

/* Sends close_notify if the handshake completed and the session has not failed; best effort,
 * never blocks and never waits for the peer's close_notify. The caller closes the socket. */
void bell_sip_tls_shutdown (BellSipTls *tls);

/* One line for logs and the UI, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384, peer CN=sip.example.com
 * (issuer CN=Example CA), verified" or "..., UNVERIFIED (accept-untrusted: self-signed
 * certificate)". Peer-supplied names are reduced to printable ASCII. Free with g_free(). */
char *bell_sip_tls_describe (BellSipTls *tls);

/* TRUE for a client session whose handshake completed and whose server certificate passed
 * chain and name verification. Always FALSE for server sessions (clients are not
 * authenticated) and before the handshake completes. */
gboolean bell_sip_tls_is_verified (BellSipTls *tls);

/* Certificate pins
 *
 * A pin is the SHA-256 of a server's leaf certificate (its DER bytes), written
 * "sha256:AB:CD:...:EF" (32 bytes, upper-case hex, colons), as `openssl x509 -fingerprint
 * -sha256` shows it. A user who accepted a certificate that does not verify (self-signed, a
 * private CA, another name) keeps its pin, so that exactly that certificate is accepted again.
 *
 * With a pin, a client session accepts the server when its certificate matches the pin, whatever
 * verification says (untrusted issuer, name, dates: the user saw those and accepted the
 * certificate), or when it verifies as without a pin: a pinned certificate replaced by one that
 * chains to a trusted CA is how a renewal looks, and such a server is trusted as any unpinned
 * one is (a message is logged). A different certificate that does not verify fails with
 * BELL_SIP_TLS_ERROR_CERT_CHANGED, never accepted silently.
 *
 * Certificate failures (CERT_UNTRUSTED, CERT_HOSTNAME_MISMATCH, CERT_EXPIRED, CERT_CHANGED) end
 * their message with what a user needs to decide, in a form bell_sip_tls_cert_report_parse()
 * reads back once the message has crossed layers that keep only the text:
 *   "... [certificate sha256:..; pinned sha256:..; subject CN=sip.example.com,O=Example]"
 * ("pinned" only for CERT_CHANGED). Text from the certificate has its brackets replaced by
 * '?' in these messages, so the report is the first " [certificate " and ends at the next ']'. */

/* The canonical form of a pin typed by a user: "sha256:" optional, hex in either case, with or
 * without colons. NULL with BELL_SIP_TLS_ERROR_CONFIG when it is not 32 bytes of hex. */
char *bell_sip_tls_pin_normalize (const char *text, GError **error);

/* The pin of a certificate given as DER bytes. */
char *bell_sip_tls_fingerprint_der (const guint8 *der, gsize len);

/* Sets the pin of a client session (canonical form; NULL: none), before its handshake. */
void        bell_sip_tls_set_pin                 (BellSipTls *tls, const char *pin);
/* The server certificate's pin and subject ("CN=...,O=..."), once the handshake got as far as
 * the certificate (also after it failed on it); NULL before. */
const char *bell_sip_tls_get_peer_fingerprint    (BellSipTls *tls);
const char *bell_sip_tls_get_peer_subject        (BellSipTls *tls);
/* TRUE when the handshake completed because the certificate matched the pin although it did
 * not verify. */
gboolean    bell_sip_tls_is_pinned               (BellSipTls *tls);

/* What a certificate failure's message says of the certificate (see above). */
typedef struct
{
  char *fingerprint;   /* the certificate the server presented */
  char *pinned;        /* CERT_CHANGED: the pin it did not match; otherwise NULL */
  char *subject;       /* its subject, printable ASCII */
} BellSipTlsCertReport;

/* TRUE and fills report when message carries a certificate report; report is cleared first. */
gboolean bell_sip_tls_cert_report_parse (const char *message, BellSipTlsCertReport *report);
void     bell_sip_tls_cert_report_clear (BellSipTlsCertReport *report);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (BellSipTlsCertReport, bell_sip_tls_cert_report_clear)

/* Frees the session without sending anything (see bell_sip_tls_shutdown). fd stays open. */
void bell_sip_tls_free (BellSipTls *tls);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellSipTls, bell_sip_tls_free)

G_END_DECLS
