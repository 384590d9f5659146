/* bell-srtp.h: SRTP and SRTCP (RFC 3711) with libsrtp2, keyed by SDES (RFC 4568).
 *
 * With SDES each side picks its own master key and sends it in its SDP as
 * "a=crypto:<tag> <suite> inline:<base64 key||salt>". A BellSrtpSession then protects what we
 * send with our key and checks what arrives with the peer's, per packet, in place:
 *
 *   char *key;                                                  // once per call
 *   bell_srtp_make_key (suite, &key, &error);
 *   attr = bell_srtp_crypto_attribute (1, suite, key);          // -> a=crypto: in our SDP
 *   ...the answer's a=crypto gives the peer's key params and the suite both sides use...
 *   session = bell_srtp_session_new (suite, key, peer_key_params, &error);
 *   bell_srtp_key_free (key);
 *
 *   bell_srtp_protect (session, buf, &len, sizeof buf, NULL);   // before each send
 *   if (!bell_srtp_unprotect (session, buf, &len, NULL))        // after each receive
 *     drop the packet (bell_srtp_session_get_stats() counts why)
 *
 * Suites: AES_CM_128_HMAC_SHA1_80 and AES_CM_128_HMAC_SHA1_32 (RFC 4568 §6.2), and
 * AEAD_AES_128_GCM (RFC 7714 §12.2.1) when the libsrtp2 we run on has it
 * (bell_srtp_suite_is_available()). Keys are single master keys: no key derivation rate, no
 * re-keying, an MKI accepted (and then sent, or expected, in every packet) but only one key per
 * direction.
 *
 * Key material: the strings of this API that carry keys (made by bell_srtp_make_key(),
 * bell_srtp_crypto_attribute(), bell_srtp_crypto_parse()) should be released with
 * bell_srtp_key_free(), which wipes them (bell_secret_free()). The session keeps no copy of the
 * master keys (libsrtp keeps the derived session keys and salts, which srtp_dealloc() zeroes
 * when the session is freed), and nothing here logs a key or puts one in an error message, nor
 * passes on libsrtp's debug output (which prints derived keys).
 *
 * Threads: a session may be used from several threads. Sending (protect, protect_rtcp) and
 * receiving (unprotect, unprotect_rtcp) each take a lock of their own, so one sending thread
 * and one receiving thread (say the RTP thread and the RTCP thread) never wait for each other;
 * more threads per direction are serialised. Everything else may be called from any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BELL_SRTP_ERROR (bell_srtp_error_quark ())
GQuark bell_srtp_error_quark (void);

typedef enum
{
  BELL_SRTP_ERROR_INVALID_KEY,       /* key params that do not parse: base64, length, lifetime */
  BELL_SRTP_ERROR_INVALID_ATTRIBUTE, /* an a=crypto value that does not parse */
  BELL_SRTP_ERROR_UNSUPPORTED,       /* a suite, session parameter or key form we do not do */
  BELL_SRTP_ERROR_AUTH,              /* a packet that failed authentication: forged, corrupted,
                                      * truncated, or under a key we do not have */
  BELL_SRTP_ERROR_REPLAY,            /* a packet index seen before, or too old to tell */
  BELL_SRTP_ERROR_PACKET,            /* protect only: not an RTP/RTCP packet, or no room */
  BELL_SRTP_ERROR_KEY_EXPIRED,       /* the key's lifetime is used up: re-key (re-INVITE) */
  BELL_SRTP_ERROR_INTERNAL,          /* libsrtp or the random number generator failed */
} BellSrtpError;

typedef enum
{
  BELL_SRTP_SUITE_AES_CM_128_HMAC_SHA1_80,
  BELL_SRTP_SUITE_AES_CM_128_HMAC_SHA1_32,
  BELL_SRTP_SUITE_AEAD_AES_128_GCM,
} BellSrtpSuite;

#define BELL_SRTP_N_SUITES 3

/* The most bytes protect or protect_rtcp add to a packet, whatever the suite and MKI: the
 * SRTCP index (4), the longest tag (16) and the longest MKI (128). A buffer with this much room
 * after the packet is always enough; bell_srtp_session_get_overhead() gives the exact figure. */
#define BELL_SRTP_MAX_OVERHEAD 148

/* ---- suites ------------------------------------------------------------------------------- */

/* The SDES name (RFC 4568 §6.2, RFC 7714 §12.2.1), case-insensitively. FALSE for other names,
 * whether or not libsrtp could do them. */
gboolean    bell_srtp_suite_from_name (const char *name, BellSrtpSuite *suite);
/* "AES_CM_128_HMAC_SHA1_80", ... */
const char *bell_srtp_suite_to_name   (BellSrtpSuite suite);
/* Whether the libsrtp2 we run on can do suite (AEAD_AES_128_GCM needs one built with a crypto
 * library). FALSE as well when libsrtp failed to start. */
gboolean    bell_srtp_suite_is_available (BellSrtpSuite suite);
/* Master key and master salt lengths in bytes: 16 and 14 for AES-CM, 16 and 12 for GCM. The
 * inline key is their concatenation, base64-encoded. */
gsize       bell_srtp_suite_get_key_length  (BellSrtpSuite suite);
gsize       bell_srtp_suite_get_salt_length (BellSrtpSuite suite);
/* Bytes a packet grows by when protected without MKI: the tag (10, 4 or 16), and for SRTCP the
 * 4-byte index too (SRTCP's tag is 80 bits with both AES-CM suites, RFC 4568 §6.2.2). */
gsize       bell_srtp_suite_get_overhead    (BellSrtpSuite suite, gboolean rtcp);

/* ---- SDES keys ---------------------------------------------------------------------------- */

/* A fresh master key and salt from OpenSSL's RNG, base64-encoded (40 characters), for
 * "inline:<key>". Free with bell_srtp_key_free(). Fails (BELL_SRTP_ERROR_INTERNAL) when the RNG
 * has no entropy, and (BELL_SRTP_ERROR_UNSUPPORTED) for a suite libsrtp cannot do. */
gboolean bell_srtp_make_key (BellSrtpSuite suite, char **inline_key, GError **error);
/* Wipes and frees a string holding key material; NULL is ignored. */
void     bell_srtp_key_free (char *key);

/* The value of an a=crypto attribute: "<tag> <suite> inline:<key>". key is the base64 key of
 * bell_srtp_make_key(), optionally with "|lifetime" and "|MKI:length" after it, or key params
 * that already start with "inline:". Free with bell_srtp_key_free(). */
char    *bell_srtp_crypto_attribute (guint tag, BellSrtpSuite suite, const char *key);

/* Reads an a=crypto value (RFC 4568 §9.1): tag, suite and its one key params, which are checked
 * as bell_srtp_session_new() would and returned as written ("inline:KEY|2^31"; free with
 * bell_srtp_key_free()). Fails with BELL_SRTP_ERROR_UNSUPPORTED for an unknown or unavailable
 * suite, several keys in one line, and session parameters that would change the protection
 * (UNENCRYPTED_SRTP, UNENCRYPTED_SRTCP, UNAUTHENTICATED_SRTP, KDR, FEC_KEY, FEC_ORDER=SRTP_FEC,
 * unknown ones), so that the caller can try the next line. WSH (a replay window hint; ours is
 * 128 packets, RFC 3711 §3.3.2 asks for 64 at least) and parameters starting with '-' are
 * ignored. tag, suite and key_params may be NULL. */
gboolean bell_srtp_crypto_parse (const char *value, guint *tag, BellSrtpSuite *suite,
                                 char **key_params, GError **error);

/* ---- sessions ----------------------------------------------------------------------------- */

typedef struct _BellSrtpSession BellSrtpSession;

/* One call's SRTP: packets we protect use local_key, packets we unprotect remote_key, both of
 * suite. Each key is RFC 4568 key params, with or without "inline:":
 *   "inline:" base64(key||salt) ["|" lifetime] ["|" MKI-value ":" MKI-length]
 * with lifetime "2^n" or a number of packets, at most 2^48 (a local key stops protecting when
 * it is used up, BELL_SRTP_ERROR_KEY_EXPIRED; the remote one's is the sender's to honour), and
 * an MKI length of 1 to 128 bytes. The two keys must differ: one key in both directions would
 * reuse keystream when the SSRCs collide. Errors say what is wrong, never with the key. */
BellSrtpSession *bell_srtp_session_new  (BellSrtpSuite suite, const char *local_key,
                                         const char *remote_key, GError **error);
void             bell_srtp_session_free (BellSrtpSession *session);
BellSrtpSuite    bell_srtp_session_get_suite (BellSrtpSession *session);
/* What protect (rtcp FALSE) or protect_rtcp (TRUE) add to a packet with this session's keys:
 * bell_srtp_suite_get_overhead() plus our MKI. */
gsize            bell_srtp_session_get_overhead (BellSrtpSession *session, gboolean rtcp);

/* Protects the RTP packet in buf[0..*len) in place; *len grows by the overhead, which must fit
 * in cap (the size of buf). Fails with BELL_SRTP_ERROR_PACKET for something that is not an RTP
 * packet or no room, _REPLAY for a sequence number protected before (libsrtp never encrypts two
 * packets with the same keystream), _KEY_EXPIRED; buf is then unchanged. */
gboolean bell_srtp_protect        (BellSrtpSession *session, guint8 *buf, gsize *len, gsize cap,
                                   GError **error);
/* Checks and decrypts the SRTP packet in buf[0..*len) in place; *len shrinks to the RTP packet.
 * Fails with BELL_SRTP_ERROR_REPLAY for a replayed packet and _AUTH for any other that cannot
 * be authenticated (forged, corrupted, truncated, another key); buf may then have changed.
 * error may be NULL: the session counts both (bell_srtp_session_get_stats()), so a receive path
 * under a flood needs no GError per packet. */
gboolean bell_srtp_unprotect      (BellSrtpSession *session, guint8 *buf, gsize *len,
                                   GError **error);
/* The same for an RTCP compound packet (RFC 3711 §3.4: always encrypted, E flag set). */
gboolean bell_srtp_protect_rtcp   (BellSrtpSession *session, guint8 *buf, gsize *len, gsize cap,
                                   GError **error);
gboolean bell_srtp_unprotect_rtcp (BellSrtpSession *session, guint8 *buf, gsize *len,
                                   GError **error);

/* Counts since the session started, RTP and RTCP together: packets dropped as replays, packets
 * dropped for any other failure of unprotect, packets protected, packets unprotected. Any
 * pointer may be NULL. */
void     bell_srtp_session_get_stats (BellSrtpSession *session, guint64 *replayed,
                                      guint64 *auth_failed, guint64 *protected_packets,
                                      guint64 *unprotected_packets);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellSrtpSession, bell_srtp_session_free)

G_END_DECLS
