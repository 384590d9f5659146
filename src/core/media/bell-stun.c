/* bell-stun.c: STUN message parse and build (RFC 8489 §5, §6, §14, §15). */
#define G_LOG_DOMAIN "bell-stun"

#include "bell-stun.h"

#include <string.h>
#include <openssl/rand.h>

G_DEFINE_QUARK (bell-stun-error-quark, bell_stun_error)

#define ATTR_HEADER_LEN       4
#define FINGERPRINT_XOR       0x5354554eu
#define MESSAGE_INTEGRITY_LEN 20
/* Unknown comprehension-required types named in the error, at most. */
#define MAX_UNKNOWN_NAMED     8

static guint16
get16 (const guint8 *p)
{
  return (guint16) (p[0] << 8 | p[1]);
}

static guint32
get32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static void
set16 (guint8 *p, guint16 v)
{
  p[0] = (guint8) (v >> 8);
  p[1] = (guint8) v;
}

static void
set32 (guint8 *p, guint32 v)
{
  set16 (p, (guint16) (v >> 16));
  set16 (p + 2, (guint16) v);
}

/* CRC-32 of ISO-HDLC (zlib's), bit by bit: a few hundred bytes per message at most. */
guint32
bell_stun_fingerprint (const guint8 *data, gsize len)
{
  guint32 crc = 0xffffffffu;

  for (gsize i = 0; i < len; i++)
    {
      crc ^= data[i];
      for (int bit = 0; bit < 8; bit++)
        crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
  return ~crc ^ FINGERPRINT_XOR;
}

gboolean
bell_stun_is_message (const guint8 *data, gsize len)
{
  guint16 body;

  if (data == NULL || len < BELL_STUN_HEADER_LEN || (data[0] & 0xc0) != 0 ||
      get32 (data + 4) != BELL_STUN_MAGIC_COOKIE)
    return FALSE;
  body = get16 (data + 2);
  return body % 4 == 0 && (gsize) body == len - BELL_STUN_HEADER_LEN;
}

void
bell_stun_message_free (BellStunMessage *msg)
{
  if (!msg)
    return;
  g_clear_object (&msg->mapped);
  g_free (msg->error_reason);
  g_free (msg->software);
  g_free (msg);
}

/* The 16 bytes an address is xored with: the cookie, then the transaction ID (§14.2). */
static void
xor_pad (const guint8 *transaction_id, guint8 pad[16])
{
  set32 (pad, BELL_STUN_MAGIC_COOKIE);
  memcpy (pad + 4, transaction_id, BELL_STUN_TRANSACTION_ID_LEN);
}

/* MAPPED-ADDRESS or XOR-MAPPED-ADDRESS (§14.1, §14.2): a zero byte, the family (1: IPv4,
 * 2: IPv6), the port, the address. */
static GInetSocketAddress *
parse_address (const guint8 *v, gsize len, gboolean xor, const guint8 *transaction_id,
               GError **error)
{
  guint8 bytes[16], pad[16];
  gsize alen = len < 4 ? 0 : v[1] == 1 ? 4 : v[1] == 2 ? 16 : 0;
  guint16 port;
  g_autoptr(GInetAddress) address = NULL;

  if (len < 4 || alen == 0 || len != 4 + alen)
    {
      g_set_error (error, BELL_STUN_ERROR, BELL_STUN_ERROR_MALFORMED,
                   "a %sMAPPED-ADDRESS of family %u and %" G_GSIZE_FORMAT " bytes",
                   xor ? "XOR-" : "", len >= 2 ? v[1] : 0, len);
      return NULL;
    }
  xor_pad (transaction_id, pad);
  port = get16 (v + 2);
  memcpy (bytes, v + 4, alen);
  if (xor)
    {
      port ^= (guint16) (BELL_STUN_MAGIC_COOKIE >> 16);
      for (gsize i = 0; i < alen; i++)
        bytes[i] ^= pad[i];
    }
  address = g_inet_address_new_from_bytes (bytes, alen == 4 ? G_SOCKET_FAMILY_IPV4
                                                            : G_SOCKET_FAMILY_IPV6);
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (address, port));
}

/* ERROR-CODE (§14.8): 21 zero bits, the class (3-6) in 3 bits, the number (0-99), a reason. */
static gboolean
parse_error_code (BellStunMessage *msg, const guint8 *v, gsize len, GError **error)
{
  guint cls = len >= 4 ? v[2] & 7 : 0, number = len >= 4 ? v[3] : 0;

  if (len < 4 || cls < 3 || cls > 6 || number > 99)
    {
      g_set_error (error, BELL_STUN_ERROR, BELL_STUN_ERROR_MALFORMED,
                   "an ERROR-CODE of %" G_GSIZE_FORMAT " bytes, class %u, number %u", len, cls,
                   number);
      return FALSE;
    }
  msg->error_code = cls * 100 + number;
  msg->error_reason = g_utf8_make_valid ((const char *) v + 4, (gssize) (len - 4));
  return TRUE;
}

/* Comprehension-required types this parser knows, whether it uses them or not. */
static gboolean
known_required (guint16 type)
{
  switch (type)
    {
    case BELL_STUN_ATTR_MAPPED_ADDRESS:
    case BELL_STUN_ATTR_USERNAME:
    case BELL_STUN_ATTR_MESSAGE_INTEGRITY:
    case BELL_STUN_ATTR_ERROR_CODE:
    case BELL_STUN_ATTR_UNKNOWN_ATTRIBUTES:
    case BELL_STUN_ATTR_REALM:
    case BELL_STUN_ATTR_NONCE:
    case BELL_STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
    case BELL_STUN_ATTR_PASSWORD_ALGORITHM:
    case BELL_STUN_ATTR_USERHASH:
    case BELL_STUN_ATTR_XOR_MAPPED_ADDRESS:
      return TRUE;
    default:
      return FALSE;
    }
}

/* One attribute of type at value (len bytes, padding not included). */
static gboolean
parse_attribute (BellStunMessage *msg, guint16 type, const guint8 *value, gsize len,
                 GInetSocketAddress **plain, gboolean *after_integrity, GString *unknown,
                 guint *n_unknown, GError **error)
{
  switch (type)
    {
    case BELL_STUN_ATTR_XOR_MAPPED_ADDRESS:
    case BELL_STUN_ATTR_MAPPED_ADDRESS:
      {
        gboolean xor = type == BELL_STUN_ATTR_XOR_MAPPED_ADDRESS;
        GInetSocketAddress **slot = xor ? &msg->mapped : plain;

        /* An attribute may repeat; only the first counts (§14). */
        if (*slot)
          return TRUE;
        *slot = parse_address (value, len, xor, msg->transaction_id, error);
        return *slot != NULL;
      }
    case BELL_STUN_ATTR_ERROR_CODE:
      return msg->error_code || parse_error_code (msg, value, len, error);
    case BELL_STUN_ATTR_SOFTWARE:
      if (!msg->software)
        msg->software = g_utf8_make_valid ((const char *) value, (gssize) len);
      return TRUE;
    case BELL_STUN_ATTR_MESSAGE_INTEGRITY:
    case BELL_STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
      if (type == BELL_STUN_ATTR_MESSAGE_INTEGRITY ? len != MESSAGE_INTEGRITY_LEN
                                                   : len < 16 || len > 32 || len % 4)
        {
          g_set_error (error, BELL_STUN_ERROR, BELL_STUN_ERROR_MALFORMED,
                       "a MESSAGE-INTEGRITY of %" G_GSIZE_FORMAT " bytes", len);
          return FALSE;
        }
      msg->has_integrity = TRUE;
      *after_integrity = TRUE;
      return TRUE;
    default:
      if (type < 0x8000 && !known_required (type))
        {
          if (++*n_unknown <= MAX_UNKNOWN_NAMED)
            g_string_append_printf (unknown, "%s0x%04x", unknown->len ? ", " : "", type);
        }
      return TRUE;
    }
}

BellStunMessage *
bell_stun_message_parse (const guint8 *data, gsize len, GError **error)
{
  g_autoptr(BellStunMessage) msg = NULL;
  g_autoptr(GInetSocketAddress) plain = NULL;
  g_autoptr(GString) unknown = NULL;
  gboolean after_integrity = FALSE;
  guint n_unknown = 0;
  gsize off = BELL_STUN_HEADER_LEN;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  if (!bell_stun_is_message (data, len) || len > BELL_STUN_MAX_MESSAGE)
    {
      g_set_error (error, BELL_STUN_ERROR, BELL_STUN_ERROR_MALFORMED,
                   "%" G_GSIZE_FORMAT " bytes that are not a STUN message", len);
      return NULL;
    }
  msg = g_new0 (BellStunMessage, 1);
  msg->type = get16 (data);
  memcpy (msg->transaction_id, data + 8, BELL_STUN_TRANSACTION_ID_LEN);
  unknown = g_string_new (NULL);

  /* The length is a multiple of 4, and so is every padded attribute: each starts aligned. */
  while (off < len)
    {
      guint16 type = get16 (data + off), alen = get16 (data + off + 2);
      gsize padded = ((gsize) alen + 3) & ~(gsize) 3;
      const guint8 *value = data + off + ATTR_HEADER_LEN;

      if (padded > len - off - ATTR_HEADER_LEN)
        {
          g_set_error (error, BELL_STUN_ERROR, BELL_STUN_ERROR_MALFORMED,
                       "attribute 0x%04x of %u bytes runs past the message", type, alen);
          return NULL;
        }
      if (msg->has_fingerprint)
        {
          g_set_error_literal (error, BELL_STUN_ERROR, BELL_STUN_ERROR_MALFORMED,
                               "an attribute after FINGERPRINT");
          return NULL;
        }
      if (type == BELL_STUN_ATTR_FINGERPRINT)
        {
          /* Over everything before it, with the header's length counting it (§14.7). */
          if (alen != 4 || get32 (value) != bell_stun_fingerprint (data, off))
            {
              g_set_error_literal (error, BELL_STUN_ERROR, BELL_STUN_ERROR_FINGERPRINT,
                                   "the STUN FINGERPRINT does not match");
              return NULL;
            }
          msg->has_fingerprint = TRUE;
        }
      /* §14.5: what follows MESSAGE-INTEGRITY, FINGERPRINT aside, is ignored. */
      else if (!after_integrity &&
               !parse_attribute (msg, type, value, alen, &plain, &after_integrity, unknown,
                                 &n_unknown, error))
        return NULL;
      off += ATTR_HEADER_LEN + padded;
    }
  if (n_unknown)
    {
      g_set_error (error, BELL_STUN_ERROR, BELL_STUN_ERROR_UNKNOWN_ATTRIBUTE,
                   "%u unknown comprehension-required STUN attribute%s: %s%s", n_unknown,
                   n_unknown == 1 ? "" : "s", unknown->str,
                   n_unknown > MAX_UNKNOWN_NAMED ? ", …" : "");
      return NULL;
    }
  /* XOR-MAPPED-ADDRESS is what a NAT rewriting addresses in payloads cannot spoil; an old
   * RFC 3489 server sends only MAPPED-ADDRESS. */
  if (msg->mapped)
    msg->mapped_xor = TRUE;
  else
    msg->mapped = g_steal_pointer (&plain);
  return g_steal_pointer (&msg);
}

/* ---- building ----------------------------------------------------------------------------- */

typedef struct
{
  guint8  *buf;
  gsize    size;
  gsize    len;
  gboolean full;
} Writer;

/* Appends an attribute with its padding (zeros), or marks the writer full. */
static guint8 *
put_attribute (Writer *w, guint16 type, gsize len)
{
  gsize padded = (len + 3) & ~(gsize) 3;
  guint8 *value;

  if (w->full || len > G_MAXUINT16 || padded + ATTR_HEADER_LEN > w->size - w->len)
    {
      w->full = TRUE;
      return NULL;
    }
  set16 (w->buf + w->len, type);
  set16 (w->buf + w->len + 2, (guint16) len);
  value = w->buf + w->len + ATTR_HEADER_LEN;
  memset (value, 0, padded);
  w->len += ATTR_HEADER_LEN + padded;
  return value;
}

static void
put_address (Writer *w, const BellStunMessage *msg)
{
  g_autoptr(GInetAddress) address = g_object_ref (g_inet_socket_address_get_address (msg->mapped));
  gsize alen = g_inet_address_get_native_size (address);
  const guint8 *bytes = g_inet_address_to_bytes (address);
  guint16 port = g_inet_socket_address_get_port (msg->mapped);
  guint8 pad[16], *v;

  v = put_attribute (w, msg->mapped_xor ? BELL_STUN_ATTR_XOR_MAPPED_ADDRESS
                                        : BELL_STUN_ATTR_MAPPED_ADDRESS, 4 + alen);
  if (!v)
    return;
  xor_pad (msg->transaction_id, pad);
  v[1] = alen == 4 ? 1 : 2;
  set16 (v + 2, msg->mapped_xor ? port ^ (guint16) (BELL_STUN_MAGIC_COOKIE >> 16) : port);
  for (gsize i = 0; i < alen; i++)
    v[4 + i] = msg->mapped_xor ? bytes[i] ^ pad[i] : bytes[i];
}

gsize
bell_stun_message_build (const BellStunMessage *msg, gboolean fingerprint, guint8 *buf,
                         gsize size)
{
  Writer w = { buf, MIN (size, BELL_STUN_MAX_MESSAGE), BELL_STUN_HEADER_LEN, FALSE };
  guint8 *v;

  g_return_val_if_fail (msg != NULL && buf != NULL, 0);
  if (w.size < BELL_STUN_HEADER_LEN || (msg->type & 0xc000) ||
      (msg->error_code && (msg->error_code < 300 || msg->error_code > 699)))
    return 0;
  set16 (buf, msg->type);
  set32 (buf + 4, BELL_STUN_MAGIC_COOKIE);
  memcpy (buf + 8, msg->transaction_id, BELL_STUN_TRANSACTION_ID_LEN);
  if (msg->software)
    {
      gsize n = strlen (msg->software);
      if ((v = put_attribute (&w, BELL_STUN_ATTR_SOFTWARE, n)))
        memcpy (v, msg->software, n);
    }
  if (msg->mapped)
    put_address (&w, msg);
  if (msg->error_code)
    {
      const char *reason = msg->error_reason ? msg->error_reason : "Error";
      gsize n = strlen (reason);
      if ((v = put_attribute (&w, BELL_STUN_ATTR_ERROR_CODE, 4 + n)))
        {
          v[2] = (guint8) (msg->error_code / 100);
          v[3] = (guint8) (msg->error_code % 100);
          memcpy (v + 4, reason, n);
        }
    }
  /* The length counts FINGERPRINT before its CRC is taken (§14.7). */
  set16 (buf + 2, (guint16) (w.len - BELL_STUN_HEADER_LEN + (fingerprint ? 8 : 0)));
  if (fingerprint)
    {
      gsize before = w.len;
      if ((v = put_attribute (&w, BELL_STUN_ATTR_FINGERPRINT, 4)))
        set32 (v, bell_stun_fingerprint (buf, before));
    }
  return w.full ? 0 : w.len;
}

gboolean
bell_stun_new_transaction_id (guint8 id[BELL_STUN_TRANSACTION_ID_LEN], GError **error)
{
  if (RAND_bytes (id, BELL_STUN_TRANSACTION_ID_LEN) != 1)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "no random bytes for a STUN transaction ID");
      return FALSE;
    }
  return TRUE;
}
