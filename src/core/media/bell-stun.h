/* bell-stun.h: STUN messages (RFC 8489, which replaced RFC 5389) as far as a client learning
 * its public address needs them: the Binding request it sends and the responses it reads.
 *
 *   guint8 id[BELL_STUN_TRANSACTION_ID_LEN], buf[BELL_STUN_MAX_MESSAGE];
 *   BellStunMessage request = { .type = BELL_STUN_BINDING_REQUEST };
 *   bell_stun_new_transaction_id (request.transaction_id, &error);
 *   len = bell_stun_message_build (&request, TRUE, buf, sizeof buf);        // with FINGERPRINT
 *   ...send, receive...
 *   if (bell_stun_is_message (data, n) && (response = bell_stun_message_parse (data, n, &error)))
 *     ... response->mapped: the address and port the server saw ...
 *
 * Parsing checks what a client relies on and no more: the header, every attribute's length,
 * FINGERPRINT when there is one, the addresses and the error code. MESSAGE-INTEGRITY is not
 * checked (a Binding to a public server has no credentials); attributes after it other than
 * FINGERPRINT are ignored, as §14.5 asks. Any input is safe: the work is linear in its length.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define BELL_STUN_ERROR (bell_stun_error_quark ())
GQuark bell_stun_error_quark (void);

typedef enum
{
  BELL_STUN_ERROR_MALFORMED,          /* not a STUN message, or attributes that do not add up */
  BELL_STUN_ERROR_FINGERPRINT,        /* a FINGERPRINT that does not match: damaged, or not STUN */
  BELL_STUN_ERROR_UNKNOWN_ATTRIBUTE,  /* a comprehension-required attribute we do not know */
  BELL_STUN_ERROR_RESPONSE,           /* the server answered with an error response */
  BELL_STUN_ERROR_NO_MAPPED_ADDRESS,  /* a success response without a mapped address */
  BELL_STUN_ERROR_TIMEOUT,            /* no answer in time */
  BELL_STUN_ERROR_NO_SUCH_HOST,       /* the server's name is not valid or does not resolve (to an
                                       * address of the socket's family) */
} BellStunError;

#define BELL_STUN_HEADER_LEN          20
#define BELL_STUN_MAGIC_COOKIE        0x2112a442u
#define BELL_STUN_TRANSACTION_ID_LEN  12
#define BELL_STUN_DEFAULT_PORT        3478
/* The largest message built or parsed: one Ethernet-sized datagram. */
#define BELL_STUN_MAX_MESSAGE         1500

/* Message types: the Binding method in each class (§5). */
#define BELL_STUN_BINDING_REQUEST     0x0001
#define BELL_STUN_BINDING_INDICATION  0x0011
#define BELL_STUN_BINDING_SUCCESS     0x0101
#define BELL_STUN_BINDING_ERROR       0x0111

/* Attribute types (§18.3); below 0x8000 a receiver must understand them. */
enum
{
  BELL_STUN_ATTR_MAPPED_ADDRESS     = 0x0001,
  BELL_STUN_ATTR_USERNAME           = 0x0006,
  BELL_STUN_ATTR_MESSAGE_INTEGRITY  = 0x0008,
  BELL_STUN_ATTR_ERROR_CODE         = 0x0009,
  BELL_STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000a,
  BELL_STUN_ATTR_REALM              = 0x0014,
  BELL_STUN_ATTR_NONCE              = 0x0015,
  BELL_STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001c,
  BELL_STUN_ATTR_PASSWORD_ALGORITHM = 0x001d,
  BELL_STUN_ATTR_USERHASH           = 0x001e,
  BELL_STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
  BELL_STUN_ATTR_SOFTWARE           = 0x8022,
  BELL_STUN_ATTR_ALTERNATE_SERVER   = 0x8023,
  BELL_STUN_ATTR_FINGERPRINT        = 0x8028,
};

/* One message, as parsed or to be built. */
typedef struct
{
  guint16             type;            /* BELL_STUN_BINDING_* (or another method's) */
  guint8              transaction_id[BELL_STUN_TRANSACTION_ID_LEN];
  GInetSocketAddress *mapped;          /* XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS; NULL: none */
  gboolean            mapped_xor;      /* it came (or goes) as XOR-MAPPED-ADDRESS */
  guint               error_code;      /* ERROR-CODE, 300-699; 0: none */
  char               *error_reason;    /* its reason phrase (valid UTF-8), or NULL */
  char               *software;        /* SOFTWARE (valid UTF-8), or NULL */
  gboolean            has_integrity;   /* parsed: MESSAGE-INTEGRITY was there (unchecked) */
  gboolean            has_fingerprint; /* parsed: a FINGERPRINT was there, and it matched */
} BellStunMessage;

/* Whether data may be a STUN message: the first two bits zero, the magic cookie, a length that
 * is a multiple of 4 and is the datagram's (RFC 8489 §6, RFC 7983 §7). For telling STUN from RTP
 * on one socket; bell_stun_message_parse() checks the rest. */
gboolean         bell_stun_is_message          (const guint8 *data, gsize len);
/* Parses one whole message (a datagram). NULL with BELL_STUN_ERROR_MALFORMED, _FINGERPRINT, or
 * _UNKNOWN_ATTRIBUTE (naming the types: §6.3.3 fails such a response's transaction). */
BellStunMessage *bell_stun_message_parse       (const guint8 *data, gsize len, GError **error);
void             bell_stun_message_free        (BellStunMessage *msg);
/* Writes msg into buf: its header, SOFTWARE, the mapped address, ERROR-CODE (with a reason,
 * default "Error"), then FINGERPRINT if asked. Returns the length, or 0 when it does not fit
 * in size (or the error code is not 300-699). */
gsize            bell_stun_message_build       (const BellStunMessage *msg, gboolean fingerprint,
                                                guint8 *buf, gsize size);
/* 96 bits from the CSPRNG (OpenSSL): a transaction ID nobody can guess (§6). */
gboolean         bell_stun_new_transaction_id  (guint8 id[BELL_STUN_TRANSACTION_ID_LEN],
                                                GError **error);
/* FINGERPRINT's value for the len bytes before it (§14.7): CRC-32 xor 0x5354554e. */
guint32          bell_stun_fingerprint         (const guint8 *data, gsize len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellStunMessage, bell_stun_message_free)

G_END_DECLS
