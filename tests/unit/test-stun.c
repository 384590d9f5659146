/* test-stun.c: STUN messages (RFC 5769's test vectors, round trips, hostile input) and the
 * Binding client against a fake server on a loopback socket, its timers on a virtual clock. */
#include <string.h>

#include <gio/gio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "bell-call-media.h"
#include "bell-core.h"
#include "bell-rtp-socket.h"
#include "bell-stun.h"
#include "bell-stun-client.h"
#include "fake-resolver.h"
#include "virtual-time.h"

/* ---- RFC 5769 ----------------------------------------------------------------------------- */

/* §2.1: a request with ICE's PRIORITY, ICE-CONTROLLED, USERNAME, MESSAGE-INTEGRITY and
 * FINGERPRINT. */
static const guint8 sample_request[] = {
  0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
  0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
  0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
  0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
  0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
  0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
  0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
};

/* §2.2: a success response, 192.0.2.1 port 32853. */
static const guint8 sample_ipv4_response[] = {
  0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
  0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
  0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
  0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
  0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};

/* §2.3: the same with 2001:db8:1234:5678:11:2233:4455:6677 port 32853. */
static const guint8 sample_ipv6_response[] = {
  0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
  0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
  0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
  0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14,
  0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
  0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c,
};

static const guint8 sample_id[BELL_STUN_TRANSACTION_ID_LEN] = {
  0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
};

static guint32
get32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

/* The sample's last attribute is FINGERPRINT: its value is the CRC of what comes before. */
static void
assert_fingerprint (const guint8 *msg, gsize len)
{
  g_assert_cmphex (bell_stun_fingerprint (msg, len - 8), ==, get32 (msg + len - 4));
}

/* MESSAGE-INTEGRITY (20 bytes, then FINGERPRINT's 8) with RFC 5769's short-term password, over
 * the message up to it with the length ending there (§14.5): a check that the samples here are
 * RFC 5769's, byte for byte, independent of the parser. */
static void
assert_integrity (const guint8 *msg, gsize len)
{
  const char *password = "VOkJxbRl1RmTxUk/WvJxBt";
  g_autofree guint8 *copy = g_memdup2 (msg, len);
  gsize mi = len - 8 - 20 - 4;
  guint8 mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;

  g_assert_cmpuint (copy[mi] << 8 | copy[mi + 1], ==, BELL_STUN_ATTR_MESSAGE_INTEGRITY);
  copy[2] = (guint8) ((len - 20 - 8) >> 8);
  copy[3] = (guint8) (len - 20 - 8);
  g_assert_nonnull (HMAC (EVP_sha1 (), password, (int) strlen (password), copy, mi, mac,
                          &mac_len));
  g_assert_cmpuint (mac_len, ==, 20);
  g_assert_cmpmem (mac, 20, msg + mi + 4, 20);
}

static void
assert_address (GInetSocketAddress *address, const char *ip, guint16 port)
{
  g_autofree char *text = NULL;

  g_assert_nonnull (address);
  text = g_inet_address_to_string (g_inet_socket_address_get_address (address));
  g_assert_cmpstr (text, ==, ip);
  g_assert_cmpuint (g_inet_socket_address_get_port (address), ==, port);
}

static void
test_vector_request (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellStunMessage) msg = NULL;

  assert_fingerprint (sample_request, sizeof sample_request);
  assert_integrity (sample_request, sizeof sample_request);
  g_assert_true (bell_stun_is_message (sample_request, sizeof sample_request));
  /* ICE's PRIORITY (0x0024) is comprehension-required, and not ours to know. */
  msg = bell_stun_message_parse (sample_request, sizeof sample_request, &error);
  g_assert_null (msg);
  g_assert_error (error, BELL_STUN_ERROR, BELL_STUN_ERROR_UNKNOWN_ATTRIBUTE);
  g_assert_nonnull (strstr (error->message, "0x0024"));
  g_assert_null (strstr (error->message, "0x8029"));   /* ICE-CONTROLLED: optional */
}

static void
test_vector_ipv4 (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellStunMessage) msg = NULL;

  assert_fingerprint (sample_ipv4_response, sizeof sample_ipv4_response);
  assert_integrity (sample_ipv4_response, sizeof sample_ipv4_response);
  msg = bell_stun_message_parse (sample_ipv4_response, sizeof sample_ipv4_response, &error);
  g_assert_no_error (error);
  g_assert_cmphex (msg->type, ==, BELL_STUN_BINDING_SUCCESS);
  g_assert_cmpmem (msg->transaction_id, 12, sample_id, 12);
  assert_address (msg->mapped, "192.0.2.1", 32853);
  g_assert_true (msg->mapped_xor);
  g_assert_cmpstr (msg->software, ==, "test vector");
  g_assert_true (msg->has_integrity);
  g_assert_true (msg->has_fingerprint);
  g_assert_cmpuint (msg->error_code, ==, 0);
}

static void
test_vector_ipv6 (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellStunMessage) msg = NULL;

  assert_fingerprint (sample_ipv6_response, sizeof sample_ipv6_response);
  assert_integrity (sample_ipv6_response, sizeof sample_ipv6_response);
  msg = bell_stun_message_parse (sample_ipv6_response, sizeof sample_ipv6_response, &error);
  g_assert_no_error (error);
  g_assert_cmphex (msg->type, ==, BELL_STUN_BINDING_SUCCESS);
  assert_address (msg->mapped, "2001:db8:1234:5678:11:2233:4455:6677", 32853);
  g_assert_true (msg->mapped_xor);
  g_assert_true (msg->has_fingerprint);
}

/* One bit changed anywhere before FINGERPRINT, or in its value: the message is refused as
 * damaged. (Damage to FINGERPRINT's own type can make it an optional attribute, ignored.) */
static void
test_fingerprint_damaged (void)
{
  for (gsize i = 20; i < sizeof sample_ipv4_response; i++)
    {
      if (i >= sizeof sample_ipv4_response - 8 && i < sizeof sample_ipv4_response - 4)
        continue;
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *copy = g_memdup2 (sample_ipv4_response, sizeof sample_ipv4_response);
      g_autoptr(BellStunMessage) msg = NULL;

      copy[i] ^= 0x04;
      msg = bell_stun_message_parse (copy, sizeof sample_ipv4_response, &error);
      g_assert_null (msg);
      g_assert_nonnull (error);
      /* Damage in an attribute header may make it malformed before FINGERPRINT is reached. */
      if (i >= sizeof sample_ipv4_response - 4)
        g_assert_error (error, BELL_STUN_ERROR, BELL_STUN_ERROR_FINGERPRINT);
    }
}

/* ---- building ----------------------------------------------------------------------------- */

static BellStunMessage *
round_trip (const BellStunMessage *msg, gboolean fingerprint)
{
  g_autoptr(GError) error = NULL;
  guint8 buf[BELL_STUN_MAX_MESSAGE];
  gsize len = bell_stun_message_build (msg, fingerprint, buf, sizeof buf);
  BellStunMessage *back;

  g_assert_cmpuint (len, >, 0);
  g_assert_cmpuint (len % 4, ==, 0);
  g_assert_true (bell_stun_is_message (buf, len));
  back = bell_stun_message_parse (buf, len, &error);
  g_assert_no_error (error);
  g_assert_cmphex (back->type, ==, msg->type);
  g_assert_cmpmem (back->transaction_id, 12, msg->transaction_id, 12);
  g_assert_cmpint (back->has_fingerprint, ==, fingerprint);
  return back;
}

static void
test_build_request (void)
{
  BellStunMessage request = { .type = BELL_STUN_BINDING_REQUEST };
  g_autoptr(BellStunMessage) back = NULL;
  guint8 buf[64], small[27];
  gsize len;

  memcpy (request.transaction_id, sample_id, sizeof sample_id);
  len = bell_stun_message_build (&request, TRUE, buf, sizeof buf);
  /* The header (length 8: FINGERPRINT alone), then FINGERPRINT. */
  g_assert_cmpuint (len, ==, 28);
  g_assert_cmpmem (buf, 4, "\x00\x01\x00\x08", 4);
  g_assert_cmpmem (buf + 4, 4, "\x21\x12\xa4\x42", 4);
  g_assert_cmpmem (buf + 8, 12, sample_id, 12);
  g_assert_cmpmem (buf + 20, 4, "\x80\x28\x00\x04", 4);
  assert_fingerprint (buf, len);
  /* Without FINGERPRINT: the bare header. */
  g_assert_cmpuint (bell_stun_message_build (&request, FALSE, buf, sizeof buf), ==, 20);
  g_assert_cmpmem (buf, 4, "\x00\x01\x00\x00", 4);
  /* Too small a buffer: nothing. */
  g_assert_cmpuint (bell_stun_message_build (&request, TRUE, small, sizeof small), ==, 0);

  request.software = (char *) "Bellbird";
  back = round_trip (&request, TRUE);
  g_assert_cmpstr (back->software, ==, "Bellbird");
  g_assert_null (back->mapped);
}

static void
test_build_responses (void)
{
  const char *addresses[] = { "203.0.113.7", "2001:db8::7", "0.0.0.0", "ffff:ffff::1" };
  BellStunMessage msg = { .type = BELL_STUN_BINDING_SUCCESS };
  guint8 buf[BELL_STUN_MAX_MESSAGE];

  g_assert_true (bell_stun_new_transaction_id (msg.transaction_id, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (addresses); i++)
    for (int xor = 0; xor <= 1; xor++)
      {
        g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (addresses[i]);
        g_autoptr(BellStunMessage) back = NULL;

        msg.mapped = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (ip, (guint16) (40001 + i)));
        msg.mapped_xor = xor;
        back = round_trip (&msg, xor);
        assert_address (back->mapped, addresses[i], (guint16) (40001 + i));
        g_assert_cmpint (back->mapped_xor, ==, xor);
        g_clear_object (&msg.mapped);
      }

  /* An error response: code and reason; out-of-range codes are not built. */
  msg.type = BELL_STUN_BINDING_ERROR;
  msg.error_code = 420;
  msg.error_reason = (char *) "Unknown Attribute";
  {
    g_autoptr(BellStunMessage) back = round_trip (&msg, TRUE);
    g_assert_cmpuint (back->error_code, ==, 420);
    g_assert_cmpstr (back->error_reason, ==, "Unknown Attribute");
  }
  msg.error_code = 299;
  g_assert_cmpuint (bell_stun_message_build (&msg, TRUE, buf, sizeof buf), ==, 0);
  msg.error_code = 700;
  g_assert_cmpuint (bell_stun_message_build (&msg, TRUE, buf, sizeof buf), ==, 0);
}

static void
test_transaction_ids (void)
{
  guint8 a[12], b[12], zero[12] = { 0 };

  g_assert_true (bell_stun_new_transaction_id (a, NULL));
  g_assert_true (bell_stun_new_transaction_id (b, NULL));
  g_assert_true (memcmp (a, b, 12) != 0);
  g_assert_true (memcmp (a, zero, 12) != 0);
}

/* ---- parsing by hand ---------------------------------------------------------------------- */

/* A message of type with the attributes given as (type, length, bytes...) hex text. */
static GByteArray *
make_message (guint16 type, const char *attributes_hex)
{
  GByteArray *msg = g_byte_array_new ();
  guint8 header[20] = { (guint8) (type >> 8), (guint8) type, 0, 0, 0x21, 0x12, 0xa4, 0x42 };

  memcpy (header + 8, sample_id, 12);
  g_byte_array_append (msg, header, sizeof header);
  for (const char *p = attributes_hex; *p; )
    {
      guint8 byte;
      if (*p == ' ')
        {
          p++;
          continue;
        }
      byte = (guint8) (g_ascii_xdigit_value (p[0]) << 4 | g_ascii_xdigit_value (p[1]));
      g_byte_array_append (msg, &byte, 1);
      p += 2;
    }
  msg->data[2] = (guint8) ((msg->len - 20) >> 8);
  msg->data[3] = (guint8) (msg->len - 20);
  return msg;
}

static BellStunMessage *
parse_hex (guint16 type, const char *hex, GError **error)
{
  g_autoptr(GByteArray) msg = make_message (type, hex);

  return bell_stun_message_parse (msg->data, msg->len, error);
}

static void
test_parse_mapped_fallback (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellStunMessage) plain = NULL, both = NULL, twice = NULL;

  /* An RFC 3489 server: MAPPED-ADDRESS alone, 198.51.100.9 port 5000. */
  plain = parse_hex (BELL_STUN_BINDING_SUCCESS, "0001 0008 0001 1388 c6336409", &error);
  g_assert_no_error (error);
  assert_address (plain->mapped, "198.51.100.9", 5000);
  g_assert_false (plain->mapped_xor);

  /* Both: XOR-MAPPED-ADDRESS wins, wherever it is (192.0.2.1:32853 as in RFC 5769). */
  both = parse_hex (BELL_STUN_BINDING_SUCCESS,
                    "0001 0008 0001 1388 c6336409  0020 0008 0001 a147 e112a643", &error);
  g_assert_no_error (error);
  assert_address (both->mapped, "192.0.2.1", 32853);
  g_assert_true (both->mapped_xor);

  /* A repeated attribute: the first counts. */
  twice = parse_hex (BELL_STUN_BINDING_SUCCESS,
                     "0020 0008 0001 a147 e112a643  0020 0008 0001 a148 e112a643", &error);
  g_assert_no_error (error);
  assert_address (twice->mapped, "192.0.2.1", 32853);
}

static void
test_parse_error_code (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellStunMessage) msg = NULL;

  /* 401 "Unauthorized" (12 bytes), then an invalid UTF-8 reason made valid. */
  msg = parse_hex (BELL_STUN_BINDING_ERROR, "0009 0010 00000401 556e617574686f72697a6564",
                   &error);
  g_assert_no_error (error);
  g_assert_cmpuint (msg->error_code, ==, 401);
  g_assert_cmpstr (msg->error_reason, ==, "Unauthorized");
  g_clear_pointer (&msg, bell_stun_message_free);
  msg = parse_hex (BELL_STUN_BINDING_ERROR, "0009 0006 00000414 ff41 0000", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (msg->error_code, ==, 420);
  g_assert_true (g_utf8_validate (msg->error_reason, -1, NULL));
}

/* Each of these is refused with the error given, and nothing is read outside the input. */
static void
test_parse_hostile (void)
{
  static const struct
  {
    const char *hex;
    gint        code;
  } cases[] = {
    { "0020 0008 0001 a147 e112a6", BELL_STUN_ERROR_MALFORMED },           /* short value */
    { "0020 0009 0001 a147 e112a643 00000000", BELL_STUN_ERROR_MALFORMED }, /* v4 of 9 bytes */
    { "0020 0014 0001 a147 e112a643 00000000 00000000 00000000", BELL_STUN_ERROR_MALFORMED },
    { "0020 0008 0003 a147 e112a643", BELL_STUN_ERROR_MALFORMED },         /* family 3 */
    { "0001 0000", BELL_STUN_ERROR_MALFORMED },                            /* empty address */
    { "0020 00ff 0001 a147", BELL_STUN_ERROR_MALFORMED },                  /* runs past the end */
    { "0020 fffc 0001 a147", BELL_STUN_ERROR_MALFORMED },
    { "0009 0004 00000764", BELL_STUN_ERROR_MALFORMED },                   /* class 7 */
    { "0009 0004 00000264", BELL_STUN_ERROR_MALFORMED },                   /* class 2 */
    { "0009 0004 00000464", BELL_STUN_ERROR_MALFORMED },                   /* number 100 */
    { "0009 0002 0004 0000", BELL_STUN_ERROR_MALFORMED },                  /* too short */
    { "0008 0010 00000000 00000000 00000000 00000000", BELL_STUN_ERROR_MALFORMED }, /* MI 16 */
    { "8028 0004 00000000", BELL_STUN_ERROR_FINGERPRINT },                 /* wrong CRC */
    { "8028 0008 00000000 00000000", BELL_STUN_ERROR_FINGERPRINT },        /* FINGERPRINT of 8 */
    { "0024 0004 6e0001ff", BELL_STUN_ERROR_UNKNOWN_ATTRIBUTE },
    { "7fff 0000", BELL_STUN_ERROR_UNKNOWN_ATTRIBUTE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(BellStunMessage) msg = parse_hex (BELL_STUN_BINDING_SUCCESS, cases[i].hex, &error);

      if (msg || !g_error_matches (error, BELL_STUN_ERROR, cases[i].code))
        g_error ("case %u (%s): %s", i, cases[i].hex, error ? error->message : "parsed");
    }
}

/* What is not a STUN message at all: the header's checks. */
static void
test_parse_not_stun (void)
{
  guint8 buf[64];
  g_autoptr(GByteArray) ok = make_message (BELL_STUN_BINDING_SUCCESS, "");

  g_assert_false (bell_stun_is_message (NULL, 0));
  g_assert_false (bell_stun_is_message (ok->data, 19));
  g_assert_true (bell_stun_is_message (ok->data, 20));
  memcpy (buf, ok->data, 20);
  buf[0] |= 0x80;                         /* RTP's version 2 */
  g_assert_false (bell_stun_is_message (buf, 20));
  memcpy (buf, ok->data, 20);
  buf[4] = 0;                             /* no magic cookie */
  g_assert_false (bell_stun_is_message (buf, 20));
  memcpy (buf, ok->data, 20);
  memset (buf + 20, 0, 8);
  buf[3] = 4;                             /* the length says 4, the datagram has 8 */
  g_assert_false (bell_stun_is_message (buf, 28));
  buf[3] = 6;                             /* not a multiple of 4 */
  g_assert_false (bell_stun_is_message (buf, 26));
  g_assert_null (bell_stun_message_parse (buf, 26, NULL));
}

/* After MESSAGE-INTEGRITY, what is not FINGERPRINT is ignored, known or not (§14.5); nothing
 * may follow FINGERPRINT. */
static void
test_parse_order (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellStunMessage) msg = NULL;
  g_autoptr(GByteArray) bytes = NULL;

  msg = parse_hex (BELL_STUN_BINDING_SUCCESS,
                   "0008 0014 00000000 00000000 00000000 00000000 00000000  0024 0004 00000000"
                   "  0020 0008 0001 a147 e112a643", &error);
  g_assert_no_error (error);
  g_assert_true (msg->has_integrity);
  g_assert_null (msg->mapped);

  /* A valid FINGERPRINT, then another attribute. */
  bytes = g_byte_array_new ();
  g_byte_array_append (bytes, sample_ipv4_response, sizeof sample_ipv4_response);
  g_byte_array_append (bytes, (const guint8 *) "\x80\x22\x00\x00", 4);
  bytes->data[3] += 4;
  {
    /* The CRC covers the length field: fix it for the longer message. */
    guint32 crc = bell_stun_fingerprint (bytes->data, sizeof sample_ipv4_response - 8);
    guint8 *v = bytes->data + sizeof sample_ipv4_response - 4;
    v[0] = (guint8) (crc >> 24), v[1] = (guint8) (crc >> 16), v[2] = (guint8) (crc >> 8),
    v[3] = (guint8) crc;
  }
  g_clear_pointer (&msg, bell_stun_message_free);
  msg = bell_stun_message_parse (bytes->data, bytes->len, &error);
  g_assert_null (msg);
  g_assert_error (error, BELL_STUN_ERROR, BELL_STUN_ERROR_MALFORMED);
}

/* Every prefix of the samples, and random attribute soup behind a valid header: no crash, no
 * read outside the input (ASan), and the time bounded by the input's length. */
static void
test_parse_random (void)
{
  const guint8 *samples[] = { sample_request, sample_ipv4_response, sample_ipv6_response };
  const gsize lengths[] = { sizeof sample_request, sizeof sample_ipv4_response,
                            sizeof sample_ipv6_response };
  g_autoptr(GRand) rand = g_rand_new_with_seed (5389);
  guint parsed = 0;

  for (guint s = 0; s < G_N_ELEMENTS (samples); s++)
    for (gsize n = 0; n <= lengths[s]; n++)
      {
        g_autofree guint8 *copy = g_memdup2 (samples[s], n ? n : 1);
        bell_stun_message_free (bell_stun_message_parse (copy, n, NULL));
      }
  for (guint i = 0; i < 20000; i++)
    {
      gsize len = 20 + 4 * (gsize) g_rand_int_range (rand, 0, 40);
      g_autofree guint8 *buf = g_malloc (len);
      BellStunMessage *msg;

      for (gsize k = 0; k < len; k++)
        buf[k] = (guint8) g_rand_int (rand);
      /* Mostly attribute types we know, with lengths near the truth. */
      for (gsize off = 20; off + 4 <= len; off += 4)
        if (g_rand_int_range (rand, 0, 3) == 0)
          {
            static const guint16 types[] = { 0x0001, 0x0020, 0x0009, 0x0008, 0x8022, 0x8028 };
            guint16 t = types[g_rand_int_range (rand, 0, G_N_ELEMENTS (types))];
            buf[off] = (guint8) (t >> 8), buf[off + 1] = (guint8) t;
            buf[off + 2] = 0, buf[off + 3] = (guint8) g_rand_int_range (rand, 0, 24);
          }
      buf[0] &= 0x3f;
      buf[2] = (guint8) ((len - 20) >> 8), buf[3] = (guint8) (len - 20);
      memcpy (buf + 4, "\x21\x12\xa4\x42", 4);
      g_assert_true (bell_stun_is_message (buf, len));
      msg = bell_stun_message_parse (buf, len, NULL);
      parsed += msg != NULL;
      bell_stun_message_free (msg);
    }
  /* Some of the soup is valid STUN: the parser is not refusing everything. */
  g_assert_cmpuint (parsed, >, 0);
}

/* ---- the client against a fake server ----------------------------------------------------- */

typedef struct
{
  guint8              data[BELL_STUN_MAX_MESSAGE];
  gsize               len;
  GInetSocketAddress *from;
  gint64              at_ms;    /* virtual time of arrival */
} Datagram;

static void
datagram_free (Datagram *d)
{
  g_clear_object (&d->from);
  g_free (d);
}

typedef struct
{
  BellClock          *clock;
  GSocket            *client_socket;
  BellStunClient     *client;
  GSocket            *server;
  GSource            *server_source;
  GPtrArray          *received;      /* Datagram, at the fake server */
  char               *server_name;   /* "127.0.0.1:port" */
  gboolean            done;
  GInetSocketAddress *mapped;
  GError             *error;
  gint64              done_at_ms;
} Fixture;

static GSocket *
bound_socket (const char *ip)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (ip);
  g_autoptr(GSocketAddress) where = g_inet_socket_address_new (address, 0);
  GSocket *socket = g_socket_new (g_inet_address_get_family (address), G_SOCKET_TYPE_DATAGRAM,
                                  G_SOCKET_PROTOCOL_UDP, &error);

  g_assert_no_error (error);
  if (!g_socket_bind (socket, where, FALSE, &error))
    {
      g_object_unref (socket);
      return NULL;
    }
  g_socket_set_blocking (socket, FALSE);
  return socket;
}

static guint16
port_of (GSocket *socket)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (socket, NULL);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
}

static gboolean
on_server_ready (GSocket *socket, GIOCondition condition, gpointer data)
{
  Fixture *f = data;
  Datagram *d = g_new0 (Datagram, 1);
  GSocketAddress *from = NULL;
  gssize n = g_socket_receive_from (socket, &from, (char *) d->data, sizeof d->data, NULL, NULL);

  if (n < 0)
    {
      g_free (d);
      return G_SOURCE_CONTINUE;
    }
  d->len = (gsize) n;
  d->from = G_INET_SOCKET_ADDRESS (from);
  d->at_ms = vt_now_ms (f->clock);
  g_ptr_array_add (f->received, d);
  return G_SOURCE_CONTINUE;
}

/* Client and server on ip (a loopback address); FALSE when the host has no such address. */
static gboolean
fixture_init (Fixture *f, const char *ip)
{
  memset (f, 0, sizeof *f);
  f->server = bound_socket (ip);
  if (!f->server)
    return FALSE;
  f->clock = bell_clock_new_virtual ();
  f->client_socket = bound_socket (ip);
  f->client = bell_stun_client_new_for_socket (f->client_socket, f->clock, NULL);
  f->received = g_ptr_array_new_with_free_func ((GDestroyNotify) datagram_free);
  f->server_source = g_socket_create_source (f->server, G_IO_IN, NULL);
  g_source_set_callback (f->server_source, G_SOURCE_FUNC (on_server_ready), f, NULL);
  g_source_attach (f->server_source, NULL);
  f->server_name = strchr (ip, ':') ? g_strdup_printf ("[%s]:%u", ip, port_of (f->server))
                                    : g_strdup_printf ("%s:%u", ip, port_of (f->server));
  return TRUE;
}

static void
fixture_clear (Fixture *f)
{
  g_assert_finalize_object (f->client);
  g_source_destroy (f->server_source);
  g_source_unref (f->server_source);
  g_object_unref (f->server);
  g_object_unref (f->client_socket);
  g_ptr_array_unref (f->received);
  g_free (f->server_name);
  g_clear_object (&f->mapped);
  g_clear_error (&f->error);
  bell_clock_unref (f->clock);
}

static void
on_query_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Fixture *f = data;

  g_assert_false (f->done);
  f->mapped = bell_stun_client_query_finish (BELL_STUN_CLIENT (source), result, &f->error);
  g_assert_true ((f->mapped == NULL) != (f->error == NULL));
  f->done_at_ms = vt_now_ms (f->clock);
  f->done = TRUE;
}

static void
query (Fixture *f, const char *server, guint timeout_ms, GCancellable *cancellable)
{
  f->done = FALSE;
  g_clear_object (&f->mapped);
  g_clear_error (&f->error);
  bell_stun_client_query_async (f->client, server ? server : f->server_name, timeout_ms,
                                cancellable, on_query_done, f);
}

/* The fake server's reply to request (the k-th datagram it got): a message of type, with the
 * request's ID unless id is given, mapped and error code as given, sent from socket. */
static void
reply (Fixture *f, GSocket *from, guint k, guint16 type, const guint8 *id, const char *mapped_ip,
       guint16 mapped_port, guint error_code, const char *extra_hex)
{
  g_autoptr(GError) error = NULL;
  Datagram *request;
  BellStunMessage msg = { .type = type, .error_code = error_code, .mapped_xor = TRUE };
  guint8 buf[BELL_STUN_MAX_MESSAGE];
  gsize len;

  g_assert_cmpuint (f->received->len, >, k);
  request = f->received->pdata[k];
  memcpy (msg.transaction_id, id ? id : request->data + 8, 12);
  if (mapped_ip)
    {
      g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (mapped_ip);
      msg.mapped = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (ip, mapped_port));
    }
  len = bell_stun_message_build (&msg, extra_hex == NULL, buf, sizeof buf);
  g_clear_object (&msg.mapped);
  g_assert_cmpuint (len, >, 0);
  if (extra_hex)
    {
      /* Attributes appended as they are, the length fixed (no FINGERPRINT). */
      g_autoptr(GByteArray) extra = make_message (0, extra_hex);
      memcpy (buf + len, extra->data + 20, extra->len - 20);
      len += extra->len - 20;
      buf[2] = (guint8) ((len - 20) >> 8);
      buf[3] = (guint8) (len - 20);
    }
  g_socket_send_to (from ? from : f->server, G_SOCKET_ADDRESS (request->from), (const char *) buf,
                    len, NULL, &error);
  g_assert_no_error (error);
}

static void
assert_request (Fixture *f, guint k)
{
  g_autoptr(BellStunMessage) msg = NULL;
  g_autoptr(GError) error = NULL;
  Datagram *d = f->received->pdata[k];

  msg = bell_stun_message_parse (d->data, d->len, &error);
  g_assert_no_error (error);
  g_assert_cmphex (msg->type, ==, BELL_STUN_BINDING_REQUEST);
  g_assert_true (msg->has_fingerprint);
  g_assert_cmpstr (msg->software, ==, "Bellbird");
  g_assert_cmpuint (g_inet_socket_address_get_port (d->from), ==, port_of (f->client_socket));
}

static void
test_client_success (void)
{
  Fixture f;

  g_assert_true (fixture_init (&f, "127.0.0.1"));
  query (&f, NULL, 0, NULL);
  VT_WAIT_FOR (f.received->len == 1);
  assert_request (&f, 0);
  reply (&f, NULL, 0, BELL_STUN_BINDING_SUCCESS, NULL, "203.0.113.7", 40001, 0, NULL);
  VT_WAIT_FOR (f.done);
  g_assert_no_error (f.error);
  assert_address (f.mapped, "203.0.113.7", 40001);
  g_assert_cmpuint (f.done_at_ms, ==, 0);
  g_assert_cmpuint (bell_stun_client_get_requests_sent (f.client), ==, 1);
  /* Nothing left running: no retransmission, no deadline. */
  g_assert_cmpint (bell_clock_next_due (f.clock), ==, -1);

  /* The same client asks again: a new transaction ID; the old answer again is ignored. */
  query (&f, NULL, 0, NULL);
  VT_WAIT_FOR (f.received->len == 2);
  g_assert_true (memcmp (((Datagram *) f.received->pdata[0])->data + 8,
                         ((Datagram *) f.received->pdata[1])->data + 8, 12) != 0);
  reply (&f, NULL, 1, BELL_STUN_BINDING_SUCCESS, ((Datagram *) f.received->pdata[0])->data + 8,
         "203.0.113.7", 40001, 0, NULL);
  vt_settle ();
  g_assert_false (f.done);
  reply (&f, NULL, 1, BELL_STUN_BINDING_SUCCESS, NULL, "203.0.113.8", 40002, 0, NULL);
  VT_WAIT_FOR (f.done);
  assert_address (f.mapped, "203.0.113.8", 40002);
  fixture_clear (&f);
}

/* RFC 5389 §7.2.1: requests at 0, 500, 1500, 3500, 7500, 15500, 31500 ms, all the same
 * transaction; failure at 39500 ms (Rm × RTO after the last). */
static void
test_client_retransmissions (void)
{
  static const gint64 expected[] = { 0, 500, 1500, 3500, 7500, 15500, 31500 };
  Fixture f;

  g_assert_true (fixture_init (&f, "127.0.0.1"));
  query (&f, NULL, 0, NULL);
  VT_RUN_UNTIL (f.clock, 60000, f.done);
  g_assert_error (f.error, BELL_STUN_ERROR, BELL_STUN_ERROR_TIMEOUT);
  g_assert_cmpint (f.done_at_ms, ==, 39500);
  g_assert_cmpuint (f.received->len, ==, G_N_ELEMENTS (expected));
  g_assert_cmpuint (bell_stun_client_get_requests_sent (f.client), ==, BELL_STUN_RC);
  for (guint i = 0; i < f.received->len; i++)
    {
      Datagram *d = f.received->pdata[i], *first = f.received->pdata[0];
      g_assert_cmpint (d->at_ms, ==, expected[i]);
      g_assert_cmpmem (d->data, d->len, first->data, first->len);
    }
  g_assert_cmpint (bell_clock_next_due (f.clock), ==, -1);
  fixture_clear (&f);
}

/* A caller's time limit: a call setup waits 1.5 s at most. */
static void
test_client_time_limit (void)
{
  Fixture f;

  g_assert_true (fixture_init (&f, "127.0.0.1"));
  query (&f, NULL, 1500, NULL);
  VT_RUN_UNTIL (f.clock, 60000, f.done);
  g_assert_error (f.error, BELL_STUN_ERROR, BELL_STUN_ERROR_TIMEOUT);
  g_assert_cmpint (f.done_at_ms, ==, 1500);
  g_assert_cmpuint (f.received->len, ==, 2);   /* at 0 and 500; the next would be at 1500 */
  g_assert_cmpint (bell_clock_next_due (f.clock), ==, -1);
  fixture_clear (&f);
}

/* An answer after two retransmissions still counts. */
static void
test_client_late_answer (void)
{
  Fixture f;

  g_assert_true (fixture_init (&f, "127.0.0.1"));
  query (&f, NULL, 0, NULL);
  VT_RUN_UNTIL (f.clock, 60000, f.received->len == 3);
  g_assert_cmpint (vt_now_ms (f.clock), ==, 1500);
  reply (&f, NULL, 1, BELL_STUN_BINDING_SUCCESS, NULL, "203.0.113.7", 40001, 0, NULL);
  VT_WAIT_FOR (f.done);
  g_assert_no_error (f.error);
  g_assert_cmpuint (bell_stun_client_get_requests_sent (f.client), ==, 3);
  g_assert_cmpint (bell_clock_next_due (f.clock), ==, -1);
  fixture_clear (&f);
}

static void
test_client_error_response (void)
{
  Fixture f;

  g_assert_true (fixture_init (&f, "127.0.0.1"));
  query (&f, NULL, 1500, NULL);
  VT_WAIT_FOR (f.received->len == 1);
  reply (&f, NULL, 0, BELL_STUN_BINDING_ERROR, NULL, NULL, 0, 401, NULL);
  VT_WAIT_FOR (f.done);
  g_assert_error (f.error, BELL_STUN_ERROR, BELL_STUN_ERROR_RESPONSE);
  g_assert_nonnull (strstr (f.error->message, "401"));
  g_assert_cmpint (bell_clock_next_due (f.clock), ==, -1);

  /* A success without an address fails too. */
  query (&f, NULL, 1500, NULL);
  VT_WAIT_FOR (f.received->len == 2);
  reply (&f, NULL, 1, BELL_STUN_BINDING_SUCCESS, NULL, NULL, 0, 0, NULL);
  VT_WAIT_FOR (f.done);
  g_assert_error (f.error, BELL_STUN_ERROR, BELL_STUN_ERROR_NO_MAPPED_ADDRESS);

  /* And one we cannot fully understand (§7.3.3). */
  query (&f, NULL, 1500, NULL);
  VT_WAIT_FOR (f.received->len == 3);
  reply (&f, NULL, 2, BELL_STUN_BINDING_SUCCESS, NULL, "203.0.113.7", 40001, 0, "0024 0004 6e0001ff");
  VT_WAIT_FOR (f.done);
  g_assert_error (f.error, BELL_STUN_ERROR, BELL_STUN_ERROR_UNKNOWN_ATTRIBUTE);
  fixture_clear (&f);
}

/* Answers that are not ours: another transaction ID, another source address, a damaged
 * message, a request. The query goes on and takes the real answer. */
static void
test_client_ignores_strangers (void)
{
  static const guint8 other_id[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
  static const char not_stun[] = "\x80\x00\x00\x01 not STUN but RTP";
  g_autoptr(GSocket) stranger = bound_socket ("127.0.0.1");
  Fixture f;

  g_assert_true (fixture_init (&f, "127.0.0.1"));
  query (&f, NULL, 1500, NULL);
  VT_WAIT_FOR (f.received->len == 1);
  reply (&f, NULL, 0, BELL_STUN_BINDING_SUCCESS, other_id, "198.51.100.1", 1, 0, NULL);
  reply (&f, stranger, 0, BELL_STUN_BINDING_SUCCESS, NULL, "198.51.100.2", 2, 0, NULL);
  reply (&f, NULL, 0, BELL_STUN_BINDING_SUCCESS, NULL, "198.51.100.3", 3, 0, "8028 0004 00000000");
  reply (&f, NULL, 0, BELL_STUN_BINDING_REQUEST, NULL, NULL, 0, 0, NULL);
  g_socket_send_to (f.server, G_SOCKET_ADDRESS (((Datagram *) f.received->pdata[0])->from),
                    not_stun, sizeof not_stun - 1, NULL, NULL);
  vt_settle ();
  g_assert_false (f.done);
  reply (&f, NULL, 0, BELL_STUN_BINDING_SUCCESS, NULL, "203.0.113.7", 40001, 0, NULL);
  VT_WAIT_FOR (f.done);
  g_assert_no_error (f.error);
  assert_address (f.mapped, "203.0.113.7", 40001);
  fixture_clear (&f);
}

static void
test_client_ipv6 (void)
{
  Fixture f;

  if (!fixture_init (&f, "::1"))
    {
      g_test_skip ("no IPv6 loopback");
      return;
    }
  query (&f, NULL, 1500, NULL);
  VT_WAIT_FOR (f.received->len == 1);
  assert_request (&f, 0);
  reply (&f, NULL, 0, BELL_STUN_BINDING_SUCCESS, NULL, "2001:db8::7", 40002, 0, NULL);
  VT_WAIT_FOR (f.done);
  g_assert_no_error (f.error);
  assert_address (f.mapped, "2001:db8::7", 40002);

  /* An IPv4 server cannot be asked from an IPv6 socket. */
  query (&f, "192.0.2.1", 1500, NULL);
  VT_WAIT_FOR (f.done);
  g_assert_error (f.error, BELL_STUN_ERROR, BELL_STUN_ERROR_NO_SUCH_HOST);
  fixture_clear (&f);
}

/* Names through the resolver: one that resolves (IPv6 first, the IPv4 one taken), one that
 * does not, and text that is no server. */
static void
test_client_names (void)
{
  g_autoptr(GResolver) saved = g_resolver_get_default ();
  g_autoptr(FakeResolver) resolver = fake_resolver_new ();
  g_autofree char *named = NULL;
  Fixture f;

  g_assert_true (fixture_init (&f, "127.0.0.1"));
  fake_add_name (resolver, "stun.example.test", "2001:db8::1 127.0.0.1");
  fake_add_name (resolver, "hang.example.test", "!hang");
  g_resolver_set_default (G_RESOLVER (resolver));

  named = g_strdup_printf ("stun.example.test:%u", port_of (f.server));
  query (&f, named, 1500, NULL);
  VT_WAIT_FOR (f.received->len == 1);
  reply (&f, NULL, 0, BELL_STUN_BINDING_SUCCESS, NULL, "203.0.113.7", 40001, 0, NULL);
  VT_WAIT_FOR (f.done);
  g_assert_no_error (f.error);

  query (&f, "nowhere.example.test", 1500, NULL);
  VT_WAIT_FOR (f.done);
  g_assert_error (f.error, BELL_STUN_ERROR, BELL_STUN_ERROR_NO_SUCH_HOST);
  g_assert_nonnull (strstr (f.error->message, "nowhere.example.test"));

  for (guint i = 0; i < 3; i++)
    {
      const char *bad[] = { "stun.example.test:notaport", "stun.example.test:99999", "" };
      query (&f, bad[i], 1500, NULL);
      VT_WAIT_FOR (f.done);
      g_assert_error (f.error, BELL_STUN_ERROR, BELL_STUN_ERROR_NO_SUCH_HOST);
    }

  /* A lookup that never ends is bounded by the time limit too. */
  query (&f, "hang.example.test", 1500, NULL);
  VT_RUN_UNTIL (f.clock, vt_now_ms (f.clock) + 2000, f.done);
  g_assert_error (f.error, BELL_STUN_ERROR, BELL_STUN_ERROR_TIMEOUT);

  g_resolver_set_default (saved);
  /* The hung lookup's cancellation has been delivered: the client is free to go. */
  vt_settle ();
  fixture_clear (&f);
}

static void
test_client_cancel (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Fixture f;

  g_assert_true (fixture_init (&f, "127.0.0.1"));
  query (&f, NULL, 0, cancellable);
  VT_WAIT_FOR (f.received->len == 1);
  g_cancellable_cancel (cancellable);
  VT_WAIT_FOR (f.done);
  g_assert_error (f.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (bell_clock_next_due (f.clock), ==, -1);

  /* Already cancelled: at once. */
  query (&f, NULL, 0, cancellable);
  VT_WAIT_FOR (f.done);
  g_assert_error (f.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  /* The client still works. */
  query (&f, NULL, 0, NULL);
  VT_WAIT_FOR (f.received->len == 2);
  reply (&f, NULL, 1, BELL_STUN_BINDING_SUCCESS, NULL, "203.0.113.7", 40001, 0, NULL);
  VT_WAIT_FOR (f.done);
  g_assert_no_error (f.error);
  fixture_clear (&f);
}

/* A client whose socket someone else reads: it hands over what may be STUN. */
typedef struct
{
  GPtrArray *sent;   /* GBytes */
} Sender;

static gboolean
record_send (GInetSocketAddress *to, const guint8 *data, gsize len, gpointer user_data,
             GError **error)
{
  Sender *s = user_data;

  g_assert_cmpuint (g_inet_socket_address_get_port (to), ==, 3478);
  g_ptr_array_add (s->sent, g_bytes_new (data, len));
  return TRUE;
}

static void
test_client_fed (void)
{
  Sender sender = { g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref) };
  g_autoptr(BellClock) clock = bell_clock_new_virtual ();
  BellStunClient *client = bell_stun_client_new (G_SOCKET_FAMILY_IPV4, clock, record_send,
                                                 &sender, NULL);
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string ("192.0.2.10");
  g_autoptr(GSocketAddress) server = g_inet_socket_address_new (ip, 3478);
  BellStunMessage answer = { .type = BELL_STUN_BINDING_SUCCESS, .mapped_xor = TRUE };
  Fixture f = { .clock = clock };
  guint8 buf[BELL_STUN_MAX_MESSAGE];
  gsize len;

  bell_stun_client_query_async (client, "192.0.2.10", 1500, NULL, on_query_done, &f);
  g_assert_cmpuint (sender.sent->len, ==, 1);
  /* RTP is not STUN: the socket's owner keeps it. */
  g_assert_false (bell_stun_client_receive (client, (const guint8 *) "\x80\x00\x00\x01....",
                                            8, G_INET_SOCKET_ADDRESS (server)));
  memcpy (answer.transaction_id,
          (const guint8 *) g_bytes_get_data (sender.sent->pdata[0], NULL) + 8, 12);
  answer.mapped = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (ip, 50000));
  len = bell_stun_message_build (&answer, TRUE, buf, sizeof buf);
  g_clear_object (&answer.mapped);
  g_assert_true (bell_stun_client_receive (client, buf, len, G_INET_SOCKET_ADDRESS (server)));
  VT_WAIT_FOR (f.done);
  assert_address (f.mapped, "192.0.2.10", 50000);
  /* Once more, after the query: STUN still, and dropped. */
  g_assert_true (bell_stun_client_receive (client, buf, len, G_INET_SOCKET_ADDRESS (server)));
  g_clear_object (&f.mapped);
  g_assert_finalize_object (client);
  g_ptr_array_unref (sender.sent);
}

/* ---- on a call's RTP socket --------------------------------------------------------------- */

static gboolean
send_via_rtp (GInetSocketAddress *to, const guint8 *data, gsize len, gpointer user_data,
              GError **error)
{
  return bell_rtp_socket_send_stun (user_data, to, data, len, error);
}

static gboolean
take_stun (BellRtpSocket *socket, const guint8 *data, gsize len, GInetSocketAddress *from,
           gpointer user_data)
{
  return bell_stun_client_receive (user_data, data, len, from);
}

static void
count_rtp (BellRtpSocket *socket, const guint8 *data, gsize len, gboolean rtcp, gpointer user_data)
{
  (*(guint *) user_data)++;
}

/* The RTP port itself asks: the request leaves from it, the answer is taken from it before
 * RTP's checks, and RTP keeps flowing. */
static void
test_rtp_socket (void)
{
  static const guint8 rtp_packet[12] = { 0x80, 0x00, 0x00, 0x01, 0, 0, 0, 160, 1, 2, 3, 4 };
  g_autoptr(GError) error = NULL;
  BellRtpSocket *rtp = bell_rtp_socket_new ("127.0.0.1", G_SOCKET_FAMILY_IPV4, NULL, &error);
  BellStunClient *client;
  BellRtpStats stats;
  guint rtp_received = 0;
  Datagram *request;
  Fixture f;

  g_assert_no_error (error);
  g_assert_true (fixture_init (&f, "127.0.0.1"));
  bell_rtp_socket_set_receive_func (rtp, count_rtp, &rtp_received, NULL);
  client = bell_stun_client_new (G_SOCKET_FAMILY_IPV4, f.clock, send_via_rtp,
                                 bell_rtp_socket_ref (rtp), (GDestroyNotify) bell_rtp_socket_unref);
  bell_rtp_socket_set_stun_func (rtp, take_stun, client);
  bell_stun_client_query_async (client, f.server_name, 1500, NULL, on_query_done, &f);
  VT_WAIT_FOR (f.received->len == 1);
  request = f.received->pdata[0];
  g_assert_cmpuint (g_inet_socket_address_get_port (request->from), ==,
                    bell_rtp_socket_get_port (rtp));
  reply (&f, NULL, 0, BELL_STUN_BINDING_SUCCESS, NULL, "198.51.100.77", 40100, 0, NULL);
  VT_WAIT_FOR (f.done);
  g_assert_no_error (f.error);
  assert_address (f.mapped, "198.51.100.77", 40100);

  g_socket_send_to (f.server, G_SOCKET_ADDRESS (request->from), (const char *) rtp_packet,
                    sizeof rtp_packet, NULL, &error);
  g_assert_no_error (error);
  VT_WAIT_FOR (rtp_received == 1);
  bell_rtp_socket_get_stats (rtp, &stats);
  g_assert_cmpuint (stats.dropped_malformed, ==, 0);
  g_assert_cmpuint (stats.rtp_received, ==, 1);

  /* Without a STUN reader, STUN is malformed RTP, as before. */
  bell_rtp_socket_set_stun_func (rtp, NULL, NULL);
  reply (&f, NULL, 0, BELL_STUN_BINDING_SUCCESS, NULL, "198.51.100.77", 40100, 0, NULL);
  VT_WAIT_FOR ((bell_rtp_socket_get_stats (rtp, &stats), stats.dropped_malformed == 1));

  bell_rtp_socket_close (rtp);
  g_assert_false (bell_rtp_socket_send_stun (rtp, request->from, rtp_packet, sizeof rtp_packet,
                                             &error));
  g_assert_error (error, BELL_RTP_SOCKET_ERROR, BELL_RTP_SOCKET_ERROR_CLOSED);
  g_assert_finalize_object (client);
  bell_rtp_socket_unref (rtp);
  fixture_clear (&f);
}

/* ---- a call's media ----------------------------------------------------------------------- */

static void
set_flag (BellCallMedia *media, gpointer data)
{
  *(gboolean *) data = TRUE;
}

static void
set_destroyed (gpointer data)
{
  *((gboolean *) data + 1) = TRUE;
}

static void
assert_offer (BellSipOfferAnswer *oa, const char *local, const char *c, guint port)
{
  g_autofree char *offer = NULL;
  g_autofree char *c_line = g_strdup_printf ("c=IN IP4 %s\r\n", c);
  g_autofree char *m_line = g_strdup_printf ("m=audio %u ", port);

  oa->set_address (local, FALSE, oa->user_data);
  offer = oa->create_offer (FALSE, oa->user_data);
  if (!strstr (offer, c_line) || !strstr (offer, m_line))
    g_error ("offer without %s and %s:\n%s", c, m_line, offer);
}

static const BellCallMediaPolicy echo_policy = { .srtp = BELL_SDP_SRTP_OFF };

/* The offer names the public address STUN found, except toward a peer on loopback. */
static void
test_call_media (void)
{
  g_autoptr(GError) error = NULL;
  BellCallMedia *media = bell_call_media_new_echo (&echo_policy, g_main_context_default (),
                                                   &error);
  BellSipOfferAnswer oa;
  gboolean ready[2] = { FALSE, FALSE }, again[2] = { FALSE, FALSE };
  guint16 local_port;
  Fixture f;

  g_assert_no_error (error);
  g_assert_true (fixture_init (&f, "127.0.0.1"));
  oa = bell_call_media_provider (media);
  local_port = bell_rtp_socket_get_port (bell_call_media_get_socket (media));
  bell_call_media_discover (media, f.server_name, f.clock, 1500);
  bell_call_media_when_ready (media, set_flag, ready, set_destroyed);
  g_assert_false (ready[0]);
  VT_WAIT_FOR (f.received->len == 1);
  g_assert_cmpuint (g_inet_socket_address_get_port (((Datagram *) f.received->pdata[0])->from), ==,
                    local_port);
  g_test_expect_message ("bell-media", G_LOG_LEVEL_MESSAGE, "*reachable at 203.0.113.7 port 40001*");
  reply (&f, NULL, 0, BELL_STUN_BINDING_SUCCESS, NULL, "203.0.113.7", 40001, 0, NULL);
  VT_WAIT_FOR (ready[0]);
  g_test_assert_expected_messages ();
  g_assert_true (ready[1]);
  assert_address (bell_call_media_get_public_address (media), "203.0.113.7", 40001);

  assert_offer (&oa, "192.0.2.50", "203.0.113.7", 40001);
  assert_offer (&oa, "127.0.0.1", "127.0.0.1", local_port);
  assert_offer (&oa, "192.0.2.50", "203.0.113.7", 40001);
  /* Nothing to wait for now. */
  bell_call_media_when_ready (media, set_flag, again, set_destroyed);
  g_assert_true (again[0] && again[1]);
  oa.destroy (oa.user_data);
  fixture_clear (&f);
}

/* No answer in time: the call goes on with its local address, and says why. */
static void
test_call_media_timeout (void)
{
  g_autoptr(GError) error = NULL;
  BellCallMedia *media = bell_call_media_new_echo (&echo_policy, g_main_context_default (),
                                                   &error);
  BellSipOfferAnswer oa = bell_call_media_provider (media);
  gboolean ready[2] = { FALSE, FALSE };
  Fixture f;

  g_assert_true (fixture_init (&f, "127.0.0.1"));
  bell_call_media_discover (media, f.server_name, f.clock, 1500);
  bell_call_media_when_ready (media, set_flag, ready, set_destroyed);
  g_test_expect_message ("bell-media", G_LOG_LEVEL_MESSAGE,
                         "STUN: no answer * within 1500 ms; the call's media goes with its local address");
  VT_RUN_UNTIL (f.clock, 60000, ready[0]);
  g_test_assert_expected_messages ();
  g_assert_cmpint (vt_now_ms (f.clock), ==, 1500);
  g_assert_cmpuint (f.received->len, ==, 2);
  g_assert_null (bell_call_media_get_public_address (media));
  assert_offer (&oa, "192.0.2.50", "192.0.2.50",
                bell_rtp_socket_get_port (bell_call_media_get_socket (media)));
  oa.destroy (oa.user_data);
  fixture_clear (&f);
}

/* The call ends while STUN is asked: what waited does not run (its data is freed), and the
 * late answer harms nothing. */
static void
test_call_media_stop (void)
{
  g_autoptr(GError) error = NULL;
  BellCallMedia *media = bell_call_media_new_echo (&echo_policy, g_main_context_default (),
                                                   &error);
  BellSipOfferAnswer oa = bell_call_media_provider (media);
  gboolean ready[2] = { FALSE, FALSE };
  Fixture f;

  g_assert_true (fixture_init (&f, "127.0.0.1"));
  bell_call_media_discover (media, f.server_name, f.clock, 1500);
  bell_call_media_when_ready (media, set_flag, ready, set_destroyed);
  VT_WAIT_FOR (f.received->len == 1);
  oa.destroy (oa.user_data);
  g_assert_false (ready[0]);
  g_assert_true (ready[1]);
  reply (&f, NULL, 0, BELL_STUN_BINDING_SUCCESS, NULL, "203.0.113.7", 40001, 0, NULL);
  vt_run_until (f.clock, 5000);
  g_assert_false (ready[0]);
  g_assert_cmpuint (f.received->len, ==, 1);
  g_assert_cmpint (bell_clock_next_due (f.clock), ==, -1);
  fixture_clear (&f);
}

/* ---- the core: a call's INVITE --------------------------------------------------------------- */

/* A call's media needs GStreamer's G.711 elements; without them a call has no RTP socket. */
static gboolean
gst_elements_present (void)
{
  g_autoptr(GError) error = NULL;
  BellMediaConfig config = { "none", "none" };

  if (bell_media_check (&config, &error))
    return TRUE;
  g_test_skip (error->message);
  return FALSE;
}

/* A core calling the fake callee's socket, its STUN server as given. */
static BellCore *
calling_core (Fixture *callee, const char *stun_server)
{
  g_autoptr(GError) error = NULL;
  BellCoreConfig config = { .bind_address = "127.0.0.1", .listen = BELL_SIP_TRANSPORT_UDP,
                            .auto_answer_ms = -1, .audio_in = "none", .audio_out = "none",
                            .stun_server = stun_server };
  BellCore *core = bell_core_new (&config, &error);
  g_autofree char *uri = g_strdup_printf ("sip:bob@127.0.0.1:%u", port_of (callee->server));

  g_assert_no_error (error);
  bell_core_call (core, uri, BELL_SIP_TRANSPORT_UDP);
  return core;
}

/* The SDP of the first INVITE the callee got. */
static const char *
invite_sdp (Fixture *callee)
{
  Datagram *d;

  VT_WAIT_FOR (callee->received->len >= 1);
  d = callee->received->pdata[0];
  g_assert_true (d->len < sizeof d->data);
  d->data[d->len] = 0;
  g_assert_true (g_str_has_prefix ((const char *) d->data, "INVITE "));
  g_assert_nonnull (strstr ((const char *) d->data, "\r\n\r\n"));
  return strstr ((const char *) d->data, "\r\n\r\n") + 4;
}

static void
stop_calling_core (BellCore *core)
{
  bell_core_hangup (core, 0);
  bell_core_shutdown (core);
  g_object_unref (core);
}

/* The INVITE waits for the STUN answer, and its offer names the address in it. (A loopback
 * one: the peer is on loopback too, and another answer would not be for it.) */
static void
test_core_public_address (void)
{
  Fixture stun, callee;
  BellCore *core;
  const char *sdp;

  if (!gst_elements_present ())
    return;
  g_assert_true (fixture_init (&stun, "127.0.0.1"));
  g_assert_true (fixture_init (&callee, "127.0.0.1"));
  core = calling_core (&callee, stun.server_name);
  VT_WAIT_FOR (stun.received->len == 1);
  vt_settle ();
  g_assert_cmpuint (callee.received->len, ==, 0);   /* no INVITE before the answer */
  reply (&stun, NULL, 0, BELL_STUN_BINDING_SUCCESS, NULL, "127.0.0.2", 40000, 0, NULL);
  sdp = invite_sdp (&callee);
  if (!strstr (sdp, "c=IN IP4 127.0.0.2\r\n") || !strstr (sdp, "m=audio 40000 "))
    g_error ("the offer does not name 127.0.0.2 port 40000:\n%s", sdp);
  stop_calling_core (core);
  fixture_clear (&callee);
  fixture_clear (&stun);
}

/* A STUN server that does not answer delays the INVITE by 1.5 s, and the offer names the
 * local address and the port the requests came from. */
static void
test_core_silent_server (void)
{
  Fixture stun, callee;
  g_autofree char *m_line = NULL;
  BellCore *core;
  const char *sdp;
  gint64 start = g_get_monotonic_time ();
  gint64 waited_ms;

  if (!gst_elements_present ())
    return;
  g_assert_true (fixture_init (&stun, "127.0.0.1"));
  g_assert_true (fixture_init (&callee, "127.0.0.1"));
  core = calling_core (&callee, stun.server_name);
  sdp = invite_sdp (&callee);
  waited_ms = (g_get_monotonic_time () - start) / 1000;
  g_assert_cmpint (waited_ms, >=, 1400);
  g_assert_cmpint (waited_ms, <, 4000);
  g_assert_cmpuint (stun.received->len, ==, 2);
  m_line = g_strdup_printf ("m=audio %u ",
                            g_inet_socket_address_get_port (((Datagram *) stun.received->pdata[0])->from));
  if (!strstr (sdp, "c=IN IP4 127.0.0.1\r\n") || !strstr (sdp, m_line))
    g_error ("the offer does not name 127.0.0.1 and %s:\n%s", m_line, sdp);
  stop_calling_core (core);
  fixture_clear (&callee);
  fixture_clear (&stun);
}

/* A peer on loopback with a STUN server elsewhere: no STUN (its answer would not be for that
 * peer), and no wait. The server's name would hang the lookup if it were asked. */
static void
test_core_near_peer (void)
{
  g_autoptr(GResolver) saved = g_resolver_get_default ();
  g_autoptr(FakeResolver) resolver = fake_resolver_new ();
  g_autofree char *log = NULL;
  Fixture callee;
  BellCore *core;
  gint64 start = g_get_monotonic_time ();

  if (!gst_elements_present ())
    return;
  fake_add_name (resolver, "stun.far.example.test", "!hang");
  g_resolver_set_default (G_RESOLVER (resolver));
  g_assert_true (fixture_init (&callee, "127.0.0.1"));
  core = calling_core (&callee, "stun.far.example.test");
  invite_sdp (&callee);
  g_assert_cmpint ((g_get_monotonic_time () - start) / 1000, <, 1000);
  stop_calling_core (core);
  log = fake_take_log (resolver);
  g_assert_null (strstr (log, "stun.far"));
  g_resolver_set_default (saved);
  fixture_clear (&callee);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/stun/vector/request", test_vector_request);
  g_test_add_func ("/stun/vector/ipv4-response", test_vector_ipv4);
  g_test_add_func ("/stun/vector/ipv6-response", test_vector_ipv6);
  g_test_add_func ("/stun/vector/fingerprint-damaged", test_fingerprint_damaged);
  g_test_add_func ("/stun/build/request", test_build_request);
  g_test_add_func ("/stun/build/responses", test_build_responses);
  g_test_add_func ("/stun/build/transaction-ids", test_transaction_ids);
  g_test_add_func ("/stun/parse/mapped-fallback", test_parse_mapped_fallback);
  g_test_add_func ("/stun/parse/error-code", test_parse_error_code);
  g_test_add_func ("/stun/parse/hostile", test_parse_hostile);
  g_test_add_func ("/stun/parse/not-stun", test_parse_not_stun);
  g_test_add_func ("/stun/parse/order", test_parse_order);
  g_test_add_func ("/stun/parse/random", test_parse_random);
  g_test_add_func ("/stun/client/success", test_client_success);
  g_test_add_func ("/stun/client/retransmissions", test_client_retransmissions);
  g_test_add_func ("/stun/client/time-limit", test_client_time_limit);
  g_test_add_func ("/stun/client/late-answer", test_client_late_answer);
  g_test_add_func ("/stun/client/error-response", test_client_error_response);
  g_test_add_func ("/stun/client/ignores-strangers", test_client_ignores_strangers);
  g_test_add_func ("/stun/client/ipv6", test_client_ipv6);
  g_test_add_func ("/stun/client/names", test_client_names);
  g_test_add_func ("/stun/client/cancel", test_client_cancel);
  g_test_add_func ("/stun/client/fed", test_client_fed);
  g_test_add_func ("/stun/rtp-socket", test_rtp_socket);
  g_test_add_func ("/stun/call-media/public-address", test_call_media);
  g_test_add_func ("/stun/call-media/timeout", test_call_media_timeout);
  g_test_add_func ("/stun/call-media/stop", test_call_media_stop);
  g_test_add_func ("/stun/core/public-address", test_core_public_address);
  g_test_add_func ("/stun/core/silent-server", test_core_silent_server);
  g_test_add_func ("/stun/core/near-peer", test_core_near_peer);
  return g_test_run ();
}
