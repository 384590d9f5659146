/* test-srtp.c: SRTP with SDES keys (RFC 3711, RFC 4568, RFC 7714).
 *
 * Known answers come from a small reference SRTP written here on OpenSSL's AES and HMAC, not
 * from libsrtp: its key derivation and AES-CM are checked against RFC 3711 appendix B.2 and B.3
 * first, then the packets our sessions protect under the B.3 master key must equal what the
 * reference builds, byte for byte. The packets libsrtp's own test driver publishes (srtp_driver.c,
 * srtp_validate() and srtp_validate_gcm()) are checked too, as a third witness. The rest runs two
 * sessions keyed crosswise, as two ends of a call are. */
#include <string.h>

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "bell-srtp.h"

#define AES_CM_80 BELL_SRTP_SUITE_AES_CM_128_HMAC_SHA1_80
#define AES_CM_32 BELL_SRTP_SUITE_AES_CM_128_HMAC_SHA1_32
#define GCM       BELL_SRTP_SUITE_AEAD_AES_128_GCM

/* RFC 3711 B.3 master key and salt. */
#define B3_MASTER "E1F97A0D3E018BE0D64FA32C06DE4139" "0EC675AD498AFEEBB6960B3AABE6"
/* libsrtp's GCM test key: key 000102..0f, salt a0..ab. */
#define GCM_MASTER "000102030405060708090a0b0c0d0e0f" "a0a1a2a3a4a5a6a7a8a9aaab"
/* RFC 4568 §9.1's example key. */
#define RFC4568_KEY "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
/* A buffer holds any test packet plus its trailer. */
#define BUF_SIZE 1500
/* Bytes after the capacity given to protect, that must stay as they were. */
#define CANARY 32

static const BellSrtpSuite all_suites[] = { AES_CM_80, AES_CM_32, GCM };

/* ---- helpers ------------------------------------------------------------------------------ */

static gsize
unhex (const char *hex, guint8 *out, gsize cap)
{
  gsize n = 0;

  for (const char *p = hex; *p; p++)
    {
      if (g_ascii_isspace (*p))
        continue;
      g_assert_true (g_ascii_isxdigit (p[0]) && g_ascii_isxdigit (p[1]));
      g_assert_cmpuint (n, <, cap);
      out[n++] = (guint8) (g_ascii_xdigit_value (p[0]) << 4 | g_ascii_xdigit_value (p[1]));
      p++;
    }
  return n;
}

static void
assert_hex (const guint8 *data, gsize len, const char *hex)
{
  guint8 want[BUF_SIZE];
  gsize n = unhex (hex, want, sizeof want);

  g_assert_cmpmem (data, len, want, n);
}

static char *
key_from_hex (const char *hex)
{
  guint8 raw[64];
  gsize n = unhex (hex, raw, sizeof raw);

  return g_base64_encode (raw, n);
}

static char *
make_key (BellSrtpSuite suite)
{
  g_autoptr(GError) error = NULL;
  char *key = NULL;

  g_assert_true (bell_srtp_make_key (suite, &key, &error));
  g_assert_no_error (error);
  g_assert_nonnull (key);
  return key;
}

static BellSrtpSession *
new_session (BellSrtpSuite suite, const char *local, const char *remote)
{
  g_autoptr(GError) error = NULL;
  BellSrtpSession *s = bell_srtp_session_new (suite, local, remote, &error);

  g_assert_no_error (error);
  g_assert_nonnull (s);
  return s;
}

/* An RTP packet (RFC 3550 §5.1): PT 0, the given sequence number and SSRC, a patterned
 * payload. Returns its length. */
static gsize
build_rtp (guint8 *buf, guint16 seq, guint32 ssrc, gsize payload_len)
{
  buf[0] = 0x80;
  buf[1] = 0x00;
  buf[2] = (guint8) (seq >> 8);
  buf[3] = (guint8) seq;
  buf[4] = buf[5] = buf[6] = 0;
  buf[7] = (guint8) seq;                 /* timestamp */
  buf[8] = (guint8) (ssrc >> 24);
  buf[9] = (guint8) (ssrc >> 16);
  buf[10] = (guint8) (ssrc >> 8);
  buf[11] = (guint8) ssrc;
  for (gsize i = 0; i < payload_len; i++)
    buf[12 + i] = (guint8) (i * 7 + seq);
  return 12 + payload_len;
}

/* An RTCP receiver report without report blocks, then an SDES-sized filler, 24 bytes. */
static gsize
build_rtcp (guint8 *buf, guint32 ssrc, guint8 fill)
{
  static const guint8 head[] = { 0x81, 0xc8, 0x00, 0x05 };

  memcpy (buf, head, sizeof head);
  buf[4] = (guint8) (ssrc >> 24);
  buf[5] = (guint8) (ssrc >> 16);
  buf[6] = (guint8) (ssrc >> 8);
  buf[7] = (guint8) ssrc;
  memset (buf + 8, fill, 16);
  return 24;
}

/* Protects buf[0..*len) with exactly the session's overhead as room, and checks that the bytes
 * after that room are left alone (libsrtp writes its trailer in place, and is not built with
 * the sanitizers). */
static void
protect_ok (BellSrtpSession *s, gboolean rtcp, guint8 *buf, gsize *len)
{
  g_autoptr(GError) error = NULL;
  gsize overhead = bell_srtp_session_get_overhead (s, rtcp);
  gsize plain_len = *len, cap = *len + overhead;
  g_autofree guint8 *work = g_malloc (cap + CANARY);
  gboolean ok;

  memcpy (work, buf, plain_len);
  memset (work + cap, 0xa5, CANARY);
  ok = rtcp ? bell_srtp_protect_rtcp (s, work, len, cap, &error)
            : bell_srtp_protect (s, work, len, cap, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpuint (*len, ==, plain_len + overhead);
  for (gsize i = 0; i < CANARY; i++)
    g_assert_cmphex (work[cap + i], ==, 0xa5);
  /* The header stays in the clear, the payload does not. */
  g_assert_cmpmem (work, rtcp ? 8 : 12, buf, rtcp ? 8 : 12);
  g_assert_true (memcmp (work + (rtcp ? 8 : 12), buf + (rtcp ? 8 : 12),
                         plain_len - (rtcp ? 8 : 12)) != 0);
  memcpy (buf, work, *len);
}

static void
unprotect_ok (BellSrtpSession *s, gboolean rtcp, guint8 *buf, gsize *len)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = rtcp ? bell_srtp_unprotect_rtcp (s, buf, len, &error)
                     : bell_srtp_unprotect (s, buf, len, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
}

/* One packet from one end of a call to the other, arriving as it left. */
static void
send_ok (BellSrtpSession *from, BellSrtpSession *to, gboolean rtcp, const guint8 *plain,
         gsize plain_len)
{
  guint8 packet[BUF_SIZE];
  gsize len = plain_len;

  memcpy (packet, plain, plain_len);
  protect_ok (from, rtcp, packet, &len);
  unprotect_ok (to, rtcp, packet, &len);
  g_assert_cmpmem (packet, len, plain, plain_len);
}

static void
unprotect_fails (BellSrtpSession *s, gboolean rtcp, const guint8 *packet, gsize len,
                 BellSrtpError code)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *copy = g_memdup2 (packet, len);
  gsize n = len;
  gboolean ok = rtcp ? bell_srtp_unprotect_rtcp (s, copy, &n, &error)
                     : bell_srtp_unprotect (s, copy, &n, &error);

  g_assert_false (ok);
  g_assert_error (error, BELL_SRTP_ERROR, (gint) code);
}

static void
assert_stats (BellSrtpSession *s, guint64 replayed, guint64 auth_failed, guint64 protected,
              guint64 unprotected)
{
  guint64 r = 99, a = 99, p = 99, u = 99;

  bell_srtp_session_get_stats (s, &r, &a, &p, &u);
  g_assert_cmpuint (r, ==, replayed);
  g_assert_cmpuint (a, ==, auth_failed);
  g_assert_cmpuint (p, ==, protected);
  g_assert_cmpuint (u, ==, unprotected);
}

/* ---- a reference SRTP on OpenSSL ---------------------------------------------------------- */

/* AES-128 counter mode from iv over data in place: RFC 3711 §4.1.1's keystream. OpenSSL's CTR
 * increments the whole 128-bit block; SRTP's the low 16 bits, the same below 2^16 blocks. */
static void
ref_aes_ctr (const guint8 *key, const guint8 iv[16], guint8 *data, gsize len)
{
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  int n = 0;

  g_assert_nonnull (ctx);
  g_assert_cmpint (EVP_EncryptInit_ex (ctx, EVP_aes_128_ctr (), NULL, key, iv), ==, 1);
  g_assert_cmpint (EVP_EncryptUpdate (ctx, data, &n, data, (int) len), ==, 1);
  g_assert_cmpint (n, ==, (int) len);
  EVP_CIPHER_CTX_free (ctx);
}

/* RFC 3711 §4.3.1 with key_derivation_rate 0: x = label in octet 7 XOR master salt, keystream
 * of AES-CM under the master key from x * 2^16. A 96-bit master salt (GCM) is padded with zeros
 * to the 112 bits the KDF uses (RFC 7714 §11). */
static void
ref_kdf (const guint8 *master_key, const guint8 *master_salt, gsize salt_len, guint8 label,
         guint8 *out, gsize len)
{
  guint8 iv[16] = { 0 };

  memcpy (iv, master_salt, salt_len);
  iv[7] ^= label;
  memset (out, 0, len);
  ref_aes_ctr (master_key, iv, out, len);
}

static void
ref_hmac_sha1 (const guint8 *key, const guint8 *data, gsize len, const guint8 *data2,
               gsize len2, guint8 out[20])
{
  g_autofree guint8 *joined = g_malloc (len + len2);
  unsigned int n = 0;

  memcpy (joined, data, len);
  if (len2 > 0)
    memcpy (joined + len, data2, len2);
  g_assert_nonnull (HMAC (EVP_sha1 (), key, 20, joined, len + len2, out, &n));
  g_assert_cmpuint (n, ==, 20);
}

static void
put32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24);
  p[1] = (guint8) (v >> 16);
  p[2] = (guint8) (v >> 8);
  p[3] = (guint8) v;
}

/* RFC 3711 §3.1, §4.1.1, §4.2: the AES-CM/HMAC-SHA1 SRTP packet for a 12-byte-header RTP
 * packet under roc, or (rtcp) §3.4 the SRTCP packet with SRTCP index srtcp_index. Writes into
 * out and returns the length. */
static gsize
ref_protect_cm (const guint8 *master, gboolean rtcp, gsize tag_len, const guint8 *in, gsize len,
                guint32 roc, guint32 srtcp_index, guint8 *out)
{
  guint8 k_e[16], k_a[20], k_s[14], iv[16] = { 0 }, mac[20], trailer[4];
  gsize head = rtcp ? 8 : 12, out_len = len;
  const guint8 *ssrc = in + (rtcp ? 4 : 8);
  guint8 base = rtcp ? 3 : 0;

  ref_kdf (master, master + 16, 14, base + 0, k_e, sizeof k_e);
  ref_kdf (master, master + 16, 14, base + 1, k_a, sizeof k_a);
  ref_kdf (master, master + 16, 14, base + 2, k_s, sizeof k_s);

  /* IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (index * 2^16) */
  memcpy (iv, k_s, sizeof k_s);
  for (guint i = 0; i < 4; i++)
    iv[4 + i] ^= ssrc[i];
  if (rtcp)
    {
      iv[10] ^= (guint8) (srtcp_index >> 24);
      iv[11] ^= (guint8) (srtcp_index >> 16);
      iv[12] ^= (guint8) (srtcp_index >> 8);
      iv[13] ^= (guint8) srtcp_index;
    }
  else
    {
      iv[8] ^= (guint8) (roc >> 24);
      iv[9] ^= (guint8) (roc >> 16);
      iv[10] ^= (guint8) (roc >> 8);
      iv[11] ^= (guint8) roc;
      iv[12] ^= in[2];
      iv[13] ^= in[3];
    }

  memcpy (out, in, len);
  ref_aes_ctr (k_e, iv, out + head, len - head);
  if (rtcp)
    {
      /* E flag and index follow the packet and are authenticated with it. */
      put32 (out + out_len, 0x80000000u | srtcp_index);
      out_len += 4;
      ref_hmac_sha1 (k_a, out, out_len, NULL, 0, mac);
    }
  else
    {
      /* The ROC is authenticated but not sent. */
      put32 (trailer, roc);
      ref_hmac_sha1 (k_a, out, out_len, trailer, 4, mac);
    }
  memcpy (out + out_len, mac, tag_len);
  return out_len + tag_len;
}

/* RFC 7714 §8, §9: AEAD_AES_128_GCM, 16-byte tag. */
static gsize
ref_protect_gcm (const guint8 *master, gboolean rtcp, const guint8 *in, gsize len, guint32 roc,
                 guint32 srtcp_index, guint8 *out)
{
  guint8 k_e[16], salt[12], iv[12] = { 0 }, e_index[4];
  gsize head = rtcp ? 8 : 12, out_len;
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  int n = 0;

  ref_kdf (master, master + 16, 12, rtcp ? 3 : 0, k_e, sizeof k_e);
  ref_kdf (master, master + 16, 12, rtcp ? 5 : 2, salt, sizeof salt);

  /* IV = (00 00 || SSRC || ROC || SEQ) XOR salt for RTP (§8.1);
   *      (00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt for RTCP (§9.1). */
  memcpy (iv + 2, in + (rtcp ? 4 : 8), 4);
  if (rtcp)
    put32 (iv + 8, srtcp_index);
  else
    {
      put32 (iv + 6, roc);
      iv[10] = in[2];
      iv[11] = in[3];
    }
  for (guint i = 0; i < 12; i++)
    iv[i] ^= salt[i];
  put32 (e_index, 0x80000000u | srtcp_index);

  memcpy (out, in, head);
  g_assert_cmpint (EVP_EncryptInit_ex (ctx, EVP_aes_128_gcm (), NULL, NULL, NULL), ==, 1);
  g_assert_cmpint (EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL), ==, 1);
  g_assert_cmpint (EVP_EncryptInit_ex (ctx, NULL, NULL, k_e, iv), ==, 1);
  /* Associated data: the header, and for SRTCP the E flag and index too (§9.2). */
  g_assert_cmpint (EVP_EncryptUpdate (ctx, NULL, &n, in, (int) head), ==, 1);
  if (rtcp)
    g_assert_cmpint (EVP_EncryptUpdate (ctx, NULL, &n, e_index, 4), ==, 1);
  g_assert_cmpint (EVP_EncryptUpdate (ctx, out + head, &n, in + head, (int) (len - head)), ==, 1);
  g_assert_cmpint (n, ==, (int) (len - head));
  g_assert_cmpint (EVP_EncryptFinal_ex (ctx, out + len, &n), ==, 1);
  g_assert_cmpint (EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_GET_TAG, 16, out + len), ==, 1);
  EVP_CIPHER_CTX_free (ctx);
  out_len = len + 16;
  if (rtcp)
    {
      memcpy (out + out_len, e_index, 4);
      out_len += 4;
    }
  return out_len;
}

static gsize
ref_protect (BellSrtpSuite suite, const guint8 *master, gboolean rtcp, const guint8 *in,
             gsize len, guint32 roc, guint32 srtcp_index, guint8 *out)
{
  if (suite == GCM)
    return ref_protect_gcm (master, rtcp, in, len, roc, srtcp_index, out);
  return ref_protect_cm (master, rtcp, suite == AES_CM_32 && !rtcp ? 4 : 10, in, len, roc,
                         srtcp_index, out);
}

/* ---- known answers ------------------------------------------------------------------------ */

/* The reference itself against RFC 3711 B.2 (AES-CM keystream) and B.3 (key derivation). */
static void
test_reference_rfc3711 (void)
{
  guint8 master[30], out[20];
  guint8 key[16], iv[16];
  gsize blocks = 65282;
  g_autofree guint8 *stream = g_malloc0 (blocks * 16);

  unhex (B3_MASTER, master, sizeof master);
  ref_kdf (master, master + 16, 14, 0x00, out, 16);
  assert_hex (out, 16, "C61E7A93744F39EE10734AFE3FF7A087");
  ref_kdf (master, master + 16, 14, 0x02, out, 14);
  assert_hex (out, 14, "30CBBC08863D8C85D49DB34A9AE1");
  ref_kdf (master, master + 16, 14, 0x01, out, 20);
  assert_hex (out, 20, "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4");

  unhex ("2B7E151628AED2A6ABF7158809CF4F3C", key, sizeof key);
  unhex ("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000", iv, sizeof iv);
  ref_aes_ctr (key, iv, stream, blocks * 16);
  assert_hex (stream, 48, "E03EAD0935C95E80E166B16DD92B4EB4"
                          "D23513162B02D0F72A43A2FE4A5F97AB"
                          "41E95B3BB0A2E8DD477901E4FCA894C0");
  assert_hex (stream + 0xfeff * 16, 48, "EC8CDF7398607CB0F2D21675EA9EA1E4"
                                        "362B7C3C6773516318A077D7FC5073AE"
                                        "6A2CC3787889374FBEB4C81B17BA6C44");
}

/* libsrtp's test packets: SSRC cafebabe, sequence 0x1234, 16 bytes of 0xab. */
#define KAT_RTP  "800f1234decafbadcafebabe" "abababababababababababababababab"
#define KAT_RTCP "81c8000bcafebabe"         "abababababababababababababababab"

static const struct
{
  BellSrtpSuite suite;
  const char   *master;
  const char   *srtp;                    /* NULL: only the reference to compare with */
  const char   *srtcp;
} kats[] = {
  { AES_CM_80, B3_MASTER,
    "800f1234decafbadcafebabe4e55dc4ce79978d88ca4d215949d2402b78d6acc99ea179b8dbb",
    "81c8000bcafebabe7128035be487b9bdbef89041f977a5a880000001993e08cd54d6c1230798" },
  { AES_CM_32, B3_MASTER, NULL, NULL },
  { GCM, GCM_MASTER,
    "800f1234decafbadcafebabec5002ede04cfdd2eb91159e0880aa06ed2976826f796b201df3131a127e8a392",
    "81c8000bcafebabec98b8b5df0392a55852b6c21ac8e7025c52c6fbea2b3b446ea31123ba88ce61e80000001" },
};

static void
test_known_answers (gconstpointer data)
{
  guint i = GPOINTER_TO_UINT (data);
  BellSrtpSuite suite = kats[i].suite;
  guint8 master[32], plain[64], packet[BUF_SIZE], want[BUF_SIZE];
  g_autofree char *key = key_from_hex (kats[i].master);
  g_autofree char *other = make_key (suite);
  g_autoptr(BellSrtpSession) tx = new_session (suite, key, other);
  g_autoptr(BellSrtpSession) rx = new_session (suite, other, key);
  gsize plain_len, len, want_len;

  unhex (kats[i].master, master, sizeof master);

  /* ROC 0; libsrtp numbers its first SRTCP packet 1. */
  for (int rtcp = 0; rtcp <= 1; rtcp++)
    {
      const char *published = rtcp ? kats[i].srtcp : kats[i].srtp;

      plain_len = unhex (rtcp ? KAT_RTCP : KAT_RTP, plain, sizeof plain);
      memcpy (packet, plain, plain_len);
      len = plain_len;
      protect_ok (tx, rtcp, packet, &len);
      want_len = ref_protect (suite, master, rtcp, plain, plain_len, 0, rtcp ? 1 : 0, want);
      g_assert_cmpmem (packet, len, want, want_len);
      if (published)
        assert_hex (packet, len, published);
      unprotect_ok (rx, rtcp, packet, &len);
      g_assert_cmpmem (packet, len, plain, plain_len);
    }

  /* Packets the reference built, with a sequence number and an SRTCP index libsrtp never
   * sent, are accepted by a fresh receiver: the reference does not just echo libsrtp. */
  {
    g_autoptr(BellSrtpSession) rx2 = new_session (suite, other, key);

    plain_len = build_rtp (plain, 0xfff0, 0x01020304, 40);
    len = ref_protect (suite, master, FALSE, plain, plain_len, 0, 0, packet);
    unprotect_ok (rx2, FALSE, packet, &len);
    g_assert_cmpmem (packet, len, plain, plain_len);

    plain_len = build_rtcp (plain, 0x01020304, 0x5a);
    len = ref_protect (suite, master, TRUE, plain, plain_len, 0, 77, packet);
    unprotect_ok (rx2, TRUE, packet, &len);
    g_assert_cmpmem (packet, len, plain, plain_len);
  }
}

/* ---- suites and keys ---------------------------------------------------------------------- */

static void
test_suites (void)
{
  BellSrtpSuite suite;

  for (guint i = 0; i < G_N_ELEMENTS (all_suites); i++)
    {
      const char *name = bell_srtp_suite_to_name (all_suites[i]);

      g_assert_true (bell_srtp_suite_from_name (name, &suite));
      g_assert_cmpint (suite, ==, all_suites[i]);
    }
  g_assert_cmpstr (bell_srtp_suite_to_name (AES_CM_80), ==, "AES_CM_128_HMAC_SHA1_80");
  g_assert_cmpstr (bell_srtp_suite_to_name (AES_CM_32), ==, "AES_CM_128_HMAC_SHA1_32");
  g_assert_cmpstr (bell_srtp_suite_to_name (GCM), ==, "AEAD_AES_128_GCM");
  g_assert_true (bell_srtp_suite_from_name ("aes_cm_128_hmac_sha1_32", &suite));
  g_assert_cmpint (suite, ==, AES_CM_32);
  g_assert_false (bell_srtp_suite_from_name ("AES_256_CM_HMAC_SHA1_80", NULL));
  g_assert_false (bell_srtp_suite_from_name ("F8_128_HMAC_SHA1_80", NULL));
  g_assert_false (bell_srtp_suite_from_name ("", NULL));

  g_assert_cmpuint (bell_srtp_suite_get_key_length (AES_CM_80), ==, 16);
  g_assert_cmpuint (bell_srtp_suite_get_salt_length (AES_CM_80), ==, 14);
  g_assert_cmpuint (bell_srtp_suite_get_salt_length (AES_CM_32), ==, 14);
  g_assert_cmpuint (bell_srtp_suite_get_key_length (GCM), ==, 16);
  g_assert_cmpuint (bell_srtp_suite_get_salt_length (GCM), ==, 12);
  g_assert_cmpuint (bell_srtp_suite_get_overhead (AES_CM_80, FALSE), ==, 10);
  g_assert_cmpuint (bell_srtp_suite_get_overhead (AES_CM_32, FALSE), ==, 4);
  g_assert_cmpuint (bell_srtp_suite_get_overhead (AES_CM_32, TRUE), ==, 14);
  g_assert_cmpuint (bell_srtp_suite_get_overhead (GCM, FALSE), ==, 16);
  g_assert_cmpuint (bell_srtp_suite_get_overhead (GCM, TRUE), ==, 20);

  g_assert_true (bell_srtp_suite_is_available (AES_CM_80));
  g_assert_true (bell_srtp_suite_is_available (AES_CM_32));
  /* Debian's libsrtp2 is built with a crypto library (NSS), so it has GCM: a build without
   * would silently lose the suite. */
  g_assert_true (bell_srtp_suite_is_available (GCM));
}

static void
test_make_key (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (all_suites); i++)
    {
      BellSrtpSuite suite = all_suites[i];
      gsize want = bell_srtp_suite_get_key_length (suite) + bell_srtp_suite_get_salt_length (suite);
      g_autofree char *a = make_key (suite);
      g_autofree char *b = make_key (suite);
      g_autofree guint8 *raw = NULL;
      gsize raw_len = 0;

      /* 30 bytes are 40 characters; 28 are 40 with "==". */
      g_assert_cmpuint (strlen (a), ==, 40);
      for (const char *p = a; *p; p++)
        g_assert_true (g_ascii_isalnum (*p) || *p == '+' || *p == '/' || *p == '=');
      raw = g_base64_decode (a, &raw_len);
      g_assert_cmpuint (raw_len, ==, want);
      g_assert_cmpstr (a, !=, b);

      /* What we make, we take. */
      {
        g_autoptr(BellSrtpSession) s = new_session (suite, a, b);
        g_assert_cmpint (bell_srtp_session_get_suite (s), ==, suite);
      }
    }
}

static void
test_key_free (void)
{
  bell_srtp_key_free (NULL);
  bell_srtp_key_free (make_key (AES_CM_80));
}

static void
test_attribute (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (all_suites); i++)
    {
      BellSrtpSuite suite = all_suites[i], got_suite = 99;
      g_autofree char *key = make_key (suite);
      g_autofree char *attr = bell_srtp_crypto_attribute (i + 1, suite, key);
      g_autofree char *want = g_strdup_printf ("%u %s inline:%s", i + 1,
                                               bell_srtp_suite_to_name (suite), key);
      g_autofree char *inline_key = g_strconcat ("inline:", key, NULL);
      g_autofree char *attr2 = bell_srtp_crypto_attribute (7, suite, inline_key);
      g_autofree char *params = NULL;
      g_autoptr(GError) error = NULL;
      guint tag = 0;

      g_assert_cmpstr (attr, ==, want);
      g_assert_true (bell_srtp_crypto_parse (attr, &tag, &got_suite, &params, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (tag, ==, i + 1);
      g_assert_cmpint (got_suite, ==, suite);
      g_assert_cmpstr (params, ==, inline_key);
      /* Key params already with their method are not given a second one. */
      g_assert_nonnull (strstr (attr2, " inline:"));
      g_assert_null (strstr (attr2, "inline:inline:"));
    }
}

static void
test_attribute_forms (void)
{
  static const char *const good[] = {
    /* RFC 4568 §9.1's examples */
    "1 AES_CM_128_HMAC_SHA1_80 inline:" RFC4568_KEY "|2^20|1:32",
    "1 AES_CM_128_HMAC_SHA1_80 inline:" RFC4568_KEY "|2^20|1:4",
    "2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20",
    /* lifetimes as Asterisk, Cisco and baresip write them */
    "1 AES_CM_128_HMAC_SHA1_80 inline:" RFC4568_KEY "|2^31",
    "1 AES_CM_128_HMAC_SHA1_80 inline:" RFC4568_KEY "|1048576",
    "1 AES_CM_128_HMAC_SHA1_80 inline:" RFC4568_KEY "|1:1",
    "1 AES_CM_128_HMAC_SHA1_80 INLINE:" RFC4568_KEY,
    /* session parameters we may ignore */
    "3 AES_CM_128_HMAC_SHA1_80 inline:" RFC4568_KEY " WSH=64",
    "3 AES_CM_128_HMAC_SHA1_80 inline:" RFC4568_KEY " FEC_ORDER=FEC_SRTP -X-VENDOR=1",
    "3 AES_CM_128_HMAC_SHA1_80   inline:" RFC4568_KEY,
    "123456789 AES_CM_128_HMAC_SHA1_80 inline:" RFC4568_KEY,
  };
  static const struct
  {
    const char *value;
    BellSrtpError code;
  } bad[] = {
    { "", BELL_SRTP_ERROR_INVALID_ATTRIBUTE },
    { "1", BELL_SRTP_ERROR_INVALID_ATTRIBUTE },
    { "x AES_CM_128_HMAC_SHA1_80 inline:" RFC4568_KEY, BELL_SRTP_ERROR_INVALID_ATTRIBUTE },
    { "1234567890 AES_CM_128_HMAC_SHA1_80 inline:" RFC4568_KEY,
      BELL_SRTP_ERROR_INVALID_ATTRIBUTE },
    { "1 AES_CM_128_HMAC_SHA1_80", BELL_SRTP_ERROR_INVALID_ATTRIBUTE },
    { "1 AES_CM_128_HMAC_SHA1_80  ", BELL_SRTP_ERROR_INVALID_ATTRIBUTE },
    { "1 F8_128_HMAC_SHA1_80 inline:" RFC4568_KEY, BELL_SRTP_ERROR_UNSUPPORTED },
    { "1 AES_256_CM_HMAC_SHA1_80 inline:" RFC4568_KEY, BELL_SRTP_ERROR_UNSUPPORTED },
    { "1 AES_CM_128_HMAC_SHA1_80 uri:sip:keys.example.com", BELL_SRTP_ERROR_UNSUPPORTED },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" RFC4568_KEY "|2^20|1:4;inline:" RFC4568_KEY
      "|2^20|2:4", BELL_SRTP_ERROR_UNSUPPORTED },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" RFC4568_KEY " UNENCRYPTED_SRTP",
      BELL_SRTP_ERROR_UNSUPPORTED },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" RFC4568_KEY " UNENCRYPTED_SRTCP",
      BELL_SRTP_ERROR_UNSUPPORTED },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" RFC4568_KEY " UNAUTHENTICATED_SRTP",
      BELL_SRTP_ERROR_UNSUPPORTED },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" RFC4568_KEY " KDR=1", BELL_SRTP_ERROR_UNSUPPORTED },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" RFC4568_KEY " FEC_ORDER=SRTP_FEC",
      BELL_SRTP_ERROR_UNSUPPORTED },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" RFC4568_KEY " NEW_PARAM=1",
      BELL_SRTP_ERROR_UNSUPPORTED },
    { "1 AES_CM_128_HMAC_SHA1_80 inline:" RFC4568_KEY "|0", BELL_SRTP_ERROR_INVALID_KEY },
    { "1 AEAD_AES_128_GCM inline:" RFC4568_KEY, BELL_SRTP_ERROR_INVALID_KEY },
    /* RFC 4568's own example, refused: libsrtp2 2.5 cannot find the MKI of this suite's
     * SRTCP (it uses the 32-bit SRTP tag length); another a=crypto line is taken instead. */
    { "2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32",
      BELL_SRTP_ERROR_UNSUPPORTED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *params = NULL;

      g_test_message ("good: %s", good[i]);
      g_assert_true (bell_srtp_crypto_parse (good[i], NULL, NULL, &params, &error));
      g_assert_no_error (error);
      g_assert_true (g_ascii_strncasecmp (params, "inline:" , 7) == 0);
      g_assert_null (strchr (params, ' '));
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      char *params = NULL;

      g_test_message ("bad: %s", bad[i].value);
      g_assert_false (bell_srtp_crypto_parse (bad[i].value, NULL, NULL, &params, &error));
      g_assert_error (error, BELL_SRTP_ERROR, (gint) bad[i].code);
      g_assert_null (params);
      g_assert_null (strstr (error->message, RFC4568_KEY));
    }
}

/* Key params session_new refuses, with the error it gives, and never the key in the text. */
typedef struct
{
  BellSrtpSuite suite;
  const char   *key;
  BellSrtpError code;
} BadKey;

static void
test_malformed_keys (void)
{
  g_autofree char *k80 = make_key (AES_CM_80);
  g_autofree char *kgcm = make_key (GCM);
  g_autofree char *short_key = NULL, *long_key = NULL, *spaced = NULL, *bang = NULL;
  g_autofree char *unpadded = g_strndup (kgcm, strlen (kgcm) - 2);
  guint8 raw[40] = { 1, 2, 3 };
  BadKey cases[16];
  guint n = 0;

  short_key = g_base64_encode (raw, 29);
  long_key = g_base64_encode (raw, 31);
  spaced = g_strdup (k80);
  spaced[10] = ' ';
  bang = g_strdup (k80);
  bang[0] = '!';

  cases[n++] = (BadKey) { AES_CM_80, "", BELL_SRTP_ERROR_INVALID_KEY };
  cases[n++] = (BadKey) { AES_CM_80, "inline:", BELL_SRTP_ERROR_INVALID_KEY };
  cases[n++] = (BadKey) { AES_CM_80, bang, BELL_SRTP_ERROR_INVALID_KEY };
  cases[n++] = (BadKey) { AES_CM_80, spaced, BELL_SRTP_ERROR_INVALID_KEY };
  cases[n++] = (BadKey) { AES_CM_80, short_key, BELL_SRTP_ERROR_INVALID_KEY };
  cases[n++] = (BadKey) { AES_CM_80, long_key, BELL_SRTP_ERROR_INVALID_KEY };
  /* 28 bytes for a 30-byte suite, and the other way round */
  cases[n++] = (BadKey) { AES_CM_32, kgcm, BELL_SRTP_ERROR_INVALID_KEY };
  cases[n++] = (BadKey) { GCM, k80, BELL_SRTP_ERROR_INVALID_KEY };
  cases[n++] = (BadKey) { AES_CM_80, "uri:https://example.com/key", BELL_SRTP_ERROR_UNSUPPORTED };
  g_assert_cmpuint (n, <=, G_N_ELEMENTS (cases));

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *good = make_key (cases[i].suite);
      g_autoptr(GError) error = NULL;
      g_autoptr(BellSrtpSession) s = NULL;

      g_test_message ("bad key %u", i);
      s = bell_srtp_session_new (cases[i].suite, good, cases[i].key, &error);
      g_assert_null (s);
      g_assert_error (error, BELL_SRTP_ERROR, (gint) cases[i].code);
      g_assert_true (g_str_has_prefix (error->message, "the peer's key: "));
      g_assert_null (strstr (error->message, good));
      g_assert_null (strstr (error->message, k80));
      g_assert_null (strstr (error->message, kgcm));
      g_clear_error (&error);

      s = bell_srtp_session_new (cases[i].suite, cases[i].key, good, &error);
      g_assert_null (s);
      g_assert_error (error, BELL_SRTP_ERROR, (gint) cases[i].code);
      g_assert_true (g_str_has_prefix (error->message, "our key: "));
    }

  /* Padding may be left out. */
  {
    g_autofree char *other = make_key (GCM);
    g_autoptr(BellSrtpSession) s = new_session (GCM, other, unpadded);
  }

  /* The same key both ways is refused. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(BellSrtpSession) s = bell_srtp_session_new (AES_CM_80, k80, k80, &error);

    g_assert_null (s);
    g_assert_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_INVALID_KEY);
    g_assert_null (strstr (error->message, k80));
  }
}

static void
test_key_params (void)
{
  g_autofree char *local = make_key (AES_CM_80);
  g_autofree char *key = make_key (AES_CM_80);
  static const struct
  {
    const char *suffix;
    gint        code;                    /* -1: accepted */
  } cases[] = {
    { "|2^31", -1 },
    { "|2^48", -1 },
    { "|2^0", -1 },
    { "|1048576", -1 },
    { "|281474976710656", -1 },          /* 2^48 */
    { "|1:4", -1 },
    { "|2^20|1:4", -1 },
    { "|255:1", -1 },
    { "|4294967295:4", -1 },
    { "|1:128", -1 },
    { "|0", BELL_SRTP_ERROR_INVALID_KEY },
    { "|2^49", BELL_SRTP_ERROR_UNSUPPORTED },
    { "|281474976710657", BELL_SRTP_ERROR_UNSUPPORTED },
    { "|99999999999999999999999", BELL_SRTP_ERROR_INVALID_KEY },
    { "|2^", BELL_SRTP_ERROR_INVALID_KEY },
    { "|abc", BELL_SRTP_ERROR_INVALID_KEY },
    { "|", BELL_SRTP_ERROR_INVALID_KEY },
    { "|-5", BELL_SRTP_ERROR_INVALID_KEY },
    { "|1:0", BELL_SRTP_ERROR_INVALID_KEY },
    { "|1:129", BELL_SRTP_ERROR_INVALID_KEY },
    { "|256:1", BELL_SRTP_ERROR_INVALID_KEY },
    { "|1:", BELL_SRTP_ERROR_INVALID_KEY },
    { "|:4", BELL_SRTP_ERROR_INVALID_KEY },
    { "|1:4|2^20", BELL_SRTP_ERROR_INVALID_KEY },
    { "|2^20|2^20", BELL_SRTP_ERROR_INVALID_KEY },
    { "|2^20|1:4|x", BELL_SRTP_ERROR_INVALID_KEY },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *remote = g_strconcat ("inline:", key, cases[i].suffix, NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(BellSrtpSession) s = NULL;

      g_test_message ("key params …%s", cases[i].suffix);
      s = bell_srtp_session_new (AES_CM_80, local, remote, &error);
      if (cases[i].code < 0)
        {
          g_assert_no_error (error);
          g_assert_nonnull (s);
        }
      else
        {
          g_assert_error (error, BELL_SRTP_ERROR, cases[i].code);
          g_assert_null (s);
          g_assert_null (strstr (error->message, key));
        }
    }
}

/* ---- sessions ----------------------------------------------------------------------------- */

/* Two ends of a call: A's local key is B's remote one and the other way round. */
typedef struct
{
  BellSrtpSuite    suite;
  char            *ka, *kb;
  BellSrtpSession *a, *b;
} Call;

static void
call_setup (Call *call, gconstpointer data)
{
  call->suite = GPOINTER_TO_INT (data);
  call->ka = make_key (call->suite);
  call->kb = make_key (call->suite);
  call->a = new_session (call->suite, call->ka, call->kb);
  call->b = new_session (call->suite, call->kb, call->ka);
}

static void
call_teardown (Call *call, gconstpointer data)
{
  g_clear_pointer (&call->a, bell_srtp_session_free);
  g_clear_pointer (&call->b, bell_srtp_session_free);
  g_clear_pointer (&call->ka, bell_srtp_key_free);
  g_clear_pointer (&call->kb, bell_srtp_key_free);
}

/* Many packets each way, RTP and RTCP, across a sequence number wrap. */
static void
test_round_trip (Call *call, gconstpointer data)
{
  BellSrtpSession *a = call->a, *b = call->b;
  guint8 plain[BUF_SIZE];
  guint n = 0;

  for (guint i = 0; i < 100; i++)
    {
      /* Starts near 2^16 so the rollover counter moves on. */
      guint16 seq = (guint16) (65500 + i);

      send_ok (a, b, FALSE, plain, build_rtp (plain, seq, 0x11111111, 160));
      send_ok (b, a, FALSE, plain, build_rtp (plain, seq, 0x22222222, 20 + i));
      n++;
      if (i % 10 == 0)
        {
          send_ok (a, b, TRUE, plain, build_rtcp (plain, 0x11111111, (guint8) i));
          send_ok (b, a, TRUE, plain, build_rtcp (plain, 0x22222222, (guint8) i));
          n++;
        }
    }
  assert_stats (a, 0, 0, n, n);
  assert_stats (b, 0, 0, n, n);
}

/* A changed byte anywhere (header, payload, tag, SRTCP index) fails authentication and is
 * counted; the untouched packet still passes afterwards; a second copy is a replay. */
static void
test_tamper_and_replay (Call *call, gconstpointer data)
{
  BellSrtpSession *a = call->a, *b = call->b;
  guint8 plain[BUF_SIZE], packet[BUF_SIZE], bad[BUF_SIZE], copy[BUF_SIZE];
  gsize len, protected_len, n_bad = 0;

  for (int rtcp = 0; rtcp <= 1; rtcp++)
    {
      gsize plain_len = rtcp ? build_rtcp (plain, 0x33333333, 0x77)
                             : build_rtp (plain, 1000, 0x33333333, 160);

      memcpy (packet, plain, plain_len);
      len = plain_len;
      protect_ok (a, rtcp, packet, &len);

      for (gsize at = 1; at < len; at += at < 16 ? 1 : 7)
        {
          /* Byte 0 holds the version, which the receive path checks before any crypto. */
          memcpy (bad, packet, len);
          bad[at] ^= 0x01;
          unprotect_fails (b, rtcp, bad, len, BELL_SRTP_ERROR_AUTH);
          n_bad++;
        }
      memcpy (bad, packet, len);
      bad[len - 1] ^= 0x80;
      unprotect_fails (b, rtcp, bad, len, BELL_SRTP_ERROR_AUTH);
      n_bad++;
      /* Cut short by one byte, and to the header alone. */
      unprotect_fails (b, rtcp, packet, len - 1, BELL_SRTP_ERROR_AUTH);
      unprotect_fails (b, rtcp, packet, rtcp ? 8 : 12, BELL_SRTP_ERROR_AUTH);
      n_bad += 2;
      assert_stats (b, rtcp, n_bad, 0, rtcp);

      memcpy (copy, packet, len);
      protected_len = len;
      unprotect_ok (b, rtcp, packet, &len);
      g_assert_cmpmem (packet, len, plain, plain_len);
      unprotect_fails (b, rtcp, copy, protected_len, BELL_SRTP_ERROR_REPLAY);
      assert_stats (b, rtcp + 1, n_bad, 0, rtcp + 1);
    }

  /* A packet older than the 128-packet window cannot be told from a replay. */
  {
    guint8 old[BUF_SIZE];
    gsize old_len = build_rtp (old, 2000, 0x33333333, 20);

    protect_ok (a, FALSE, old, &old_len);
    for (guint16 seq = 2001; seq < 2200; seq++)
      {
        len = build_rtp (packet, seq, 0x33333333, 20);
        protect_ok (a, FALSE, packet, &len);
      }
    unprotect_ok (b, FALSE, packet, &len);
    unprotect_fails (b, FALSE, old, old_len, BELL_SRTP_ERROR_REPLAY);
    assert_stats (b, 3, n_bad, 0, 3);
  }
}

static void
test_wrong_key (Call *call, gconstpointer data)
{
  g_autofree char *kc = make_key (call->suite);
  BellSrtpSession *a = call->a;
  /* C expects A's packets under another key. */
  g_autoptr(BellSrtpSession) c = new_session (call->suite, call->kb, kc);
  /* D was given A's key as its own: it cannot read A either. */
  g_autoptr(BellSrtpSession) d = new_session (call->suite, call->ka, kc);
  guint8 packet[BUF_SIZE];
  gsize len;

  len = build_rtp (packet, 1, 0x44444444, 160);
  protect_ok (a, FALSE, packet, &len);
  unprotect_fails (c, FALSE, packet, len, BELL_SRTP_ERROR_AUTH);
  unprotect_fails (d, FALSE, packet, len, BELL_SRTP_ERROR_AUTH);
  len = build_rtcp (packet, 0x44444444, 0);
  protect_ok (a, TRUE, packet, &len);
  unprotect_fails (c, TRUE, packet, len, BELL_SRTP_ERROR_AUTH);
  assert_stats (c, 0, 2, 0, 0);
  assert_stats (d, 0, 1, 0, 0);
}

/* With an MKI the key index travels in every packet (RFC 3711 §3.1), before the tag. */
static void
test_mki (void)
{
  g_autofree char *ka = make_key (AES_CM_80);
  g_autofree char *kb = make_key (AES_CM_80);
  g_autofree char *ka_mki = g_strconcat ("inline:", ka, "|2^31|258:4", NULL);
  g_autoptr(BellSrtpSession) a = new_session (AES_CM_80, ka_mki, kb);
  g_autoptr(BellSrtpSession) b = new_session (AES_CM_80, kb, ka_mki);
  /* E knows A's key but not that it carries an MKI. */
  g_autoptr(BellSrtpSession) e = new_session (AES_CM_80, kb, ka);
  guint8 plain[BUF_SIZE], packet[BUF_SIZE];
  gsize plain_len, len;

  g_assert_cmpuint (bell_srtp_session_get_overhead (a, FALSE), ==, 14);
  g_assert_cmpuint (bell_srtp_session_get_overhead (a, TRUE), ==, 18);
  g_assert_cmpuint (bell_srtp_session_get_overhead (b, FALSE), ==, 10);

  plain_len = build_rtp (plain, 5, 0x55555555, 160);
  memcpy (packet, plain, plain_len);
  len = plain_len;
  protect_ok (a, FALSE, packet, &len);
  assert_hex (packet + plain_len, 4, "00000102");
  unprotect_fails (e, FALSE, packet, len, BELL_SRTP_ERROR_AUTH);
  unprotect_ok (b, FALSE, packet, &len);
  g_assert_cmpmem (packet, len, plain, plain_len);

  send_ok (a, b, TRUE, plain, build_rtcp (plain, 0x55555555, 1));
  /* And the other way: B sends without, A expects none. */
  send_ok (b, a, FALSE, plain, build_rtp (plain, 9, 0x66666666, 100));
}

/* A lifetime on our key stops protection when used up, RTP and RTCP each. */
static void
test_lifetime (void)
{
  g_autofree char *ka = make_key (AES_CM_80);
  g_autofree char *kb = make_key (AES_CM_80);
  g_autofree char *ka_life = g_strconcat (ka, "|4", NULL);
  g_autoptr(BellSrtpSession) a = new_session (AES_CM_80, ka_life, kb);
  g_autoptr(GError) error = NULL;
  guint8 packet[BUF_SIZE];
  gsize len;

  for (guint16 seq = 0; seq < 4; seq++)
    {
      len = build_rtp (packet, seq, 0x77777777, 20);
      protect_ok (a, FALSE, packet, &len);
    }
  len = build_rtp (packet, 4, 0x77777777, 20);
  g_assert_false (bell_srtp_protect (a, packet, &len, sizeof packet, &error));
  g_assert_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_KEY_EXPIRED);
  g_clear_error (&error);

  len = build_rtcp (packet, 0x77777777, 0);
  protect_ok (a, TRUE, packet, &len);
  assert_stats (a, 0, 0, 5, 0);
}

/* What the send path refuses, leaving the buffer alone. */
static void
test_protect_errors (Call *call, gconstpointer data)
{
  BellSrtpSuite suite = call->suite;
  BellSrtpSession *a = call->a;
  guint8 plain[BUF_SIZE], packet[BUF_SIZE];
  gsize plain_len, len;

  /* No room for the trailer. */
  for (int rtcp = 0; rtcp <= 1; rtcp++)
    {
      g_autoptr(GError) error = NULL;
      gboolean ok;

      plain_len = rtcp ? build_rtcp (plain, 1, 2) : build_rtp (plain, 1, 1, 50);
      memcpy (packet, plain, plain_len);
      len = plain_len;
      ok = rtcp ? bell_srtp_protect_rtcp (a, packet, &len,
                                          len + bell_srtp_suite_get_overhead (suite, TRUE) - 1,
                                          &error)
                : bell_srtp_protect (a, packet, &len,
                                     len + bell_srtp_suite_get_overhead (suite, FALSE) - 1,
                                     &error);
      g_assert_false (ok);
      g_assert_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_PACKET);
      g_assert_cmpuint (len, ==, plain_len);
      g_assert_cmpmem (packet, len, plain, plain_len);
    }

  /* Not RTP: too short, version 1, CSRCs or an extension past the end. */
  {
    static const char *const not_rtp[] = {
      "80",
      "8000000100000001000000",
      "4000000100000001000000010000",
      "8f00000100000001000000010000000000",
      "9000000100000001000000010000",
      "90000001000000010000000100000001",
    };

    for (guint i = 0; i < G_N_ELEMENTS (not_rtp); i++)
      {
        g_autoptr(GError) error = NULL;

        len = unhex (not_rtp[i], packet, sizeof packet);
        g_assert_false (bell_srtp_protect (a, packet, &len, sizeof packet, &error));
        g_assert_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_PACKET);
      }
  }

  /* The same sequence number twice would reuse keystream. */
  {
    g_autoptr(GError) error = NULL;

    len = build_rtp (packet, 300, 9, 50);
    protect_ok (a, FALSE, packet, &len);
    len = build_rtp (packet, 300, 9, 50);
    g_assert_false (bell_srtp_protect (a, packet, &len, sizeof packet, &error));
    g_assert_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_REPLAY);
  }
  assert_stats (a, 0, 0, 1, 0);
}

/* Hostile input on the receive path: rejected, counted, and (under ASan) no read or write out
 * of bounds. Each packet sits at the end of its own allocation. */
static void
test_garbage (Call *call, gconstpointer data)
{
  BellSrtpSession *b = call->b;
  g_autoptr(GRand) rand = g_rand_new_with_seed (6);
  guint64 failed = 0;

  for (guint i = 0; i < 3000; i++)
    {
      gsize len = g_rand_int_range (rand, 0, 120);
      g_autofree guint8 *buf = g_malloc (MAX (len, 1));
      gboolean rtcp = i % 2;
      gsize n = len;
      gboolean ok;

      for (gsize j = 0; j < len; j++)
        buf[j] = (guint8) g_rand_int (rand);
      /* Mostly version 2, so the packets get past the first check. */
      if (len > 0 && i % 3 != 0)
        buf[0] = (guint8) ((buf[0] & 0x3f) | 0x80);
      ok = rtcp ? bell_srtp_unprotect_rtcp (b, buf, &n, NULL)
                : bell_srtp_unprotect (b, buf, &n, NULL);
      g_assert_false (ok);
      failed++;
    }
  assert_stats (b, 0, failed, 0, 0);
}

/* One thread sends and receives RTP while another does RTCP, on the same two sessions. */
typedef struct
{
  BellSrtpSession *a, *b;
  gboolean         rtcp;
  guint            n;
} ThreadJob;

static gpointer
run_job (gpointer data)
{
  ThreadJob *job = data;
  guint8 plain[BUF_SIZE], packet[BUF_SIZE];

  for (guint i = 0; i < job->n; i++)
    {
      gsize plain_len = job->rtcp ? build_rtcp (plain, 0x12345678, (guint8) i)
                                  : build_rtp (plain, (guint16) i, 0x12345678, 160);
      gsize len = plain_len;

      memcpy (packet, plain, plain_len);
      if (job->rtcp)
        {
          g_assert_true (bell_srtp_protect_rtcp (job->a, packet, &len, sizeof packet, NULL));
          g_assert_true (bell_srtp_unprotect_rtcp (job->b, packet, &len, NULL));
        }
      else
        {
          g_assert_true (bell_srtp_protect (job->a, packet, &len, sizeof packet, NULL));
          g_assert_true (bell_srtp_unprotect (job->b, packet, &len, NULL));
        }
      g_assert_cmpmem (packet, len, plain, plain_len);
    }
  return NULL;
}

static void
test_threads (Call *call, gconstpointer data)
{
  BellSrtpSession *a = call->a, *b = call->b;
  ThreadJob rtp = { a, b, FALSE, 2000 }, rtcp = { a, b, TRUE, 2000 };
  GThread *t1 = g_thread_new ("srtp-rtp", run_job, &rtp);
  GThread *t2 = g_thread_new ("srtp-rtcp", run_job, &rtcp);

  g_thread_join (t1);
  g_thread_join (t2);
  assert_stats (a, 0, 0, 4000, 0);
  assert_stats (b, 0, 0, 0, 4000);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/srtp/reference/rfc3711-b2-b3", test_reference_rfc3711);
  for (guint i = 0; i < G_N_ELEMENTS (kats); i++)
    {
      g_autofree char *path = g_strdup_printf ("/srtp/known-answer/%s",
                                               bell_srtp_suite_to_name (kats[i].suite));
      g_test_add_data_func (path, GUINT_TO_POINTER (i), test_known_answers);
    }
  g_test_add_func ("/srtp/suite/names", test_suites);
  g_test_add_func ("/srtp/key/make", test_make_key);
  g_test_add_func ("/srtp/key/free", test_key_free);
  g_test_add_func ("/srtp/key/malformed", test_malformed_keys);
  g_test_add_func ("/srtp/key/params", test_key_params);
  g_test_add_func ("/srtp/attribute/round-trip", test_attribute);
  g_test_add_func ("/srtp/attribute/forms", test_attribute_forms);
  for (guint i = 0; i < G_N_ELEMENTS (all_suites); i++)
    {
      const char *name = bell_srtp_suite_to_name (all_suites[i]);
      gconstpointer suite = GINT_TO_POINTER (all_suites[i]);
      static const struct
      {
        const char *what;
        void      (*func) (Call *call, gconstpointer data);
      } per_suite[] = {
        { "round-trip", test_round_trip },
        { "tamper-replay", test_tamper_and_replay },
        { "wrong-key", test_wrong_key },
        { "protect-errors", test_protect_errors },
        { "garbage", test_garbage },
      };

      for (guint j = 0; j < G_N_ELEMENTS (per_suite); j++)
        {
          g_autofree char *path = g_strdup_printf ("/srtp/session/%s/%s", per_suite[j].what,
                                                   name);
          g_test_add (path, Call, suite, call_setup, per_suite[j].func, call_teardown);
        }
    }
  g_test_add_func ("/srtp/session/mki", test_mki);
  g_test_add_func ("/srtp/session/lifetime", test_lifetime);
  g_test_add ("/srtp/session/threads", Call, GINT_TO_POINTER (AES_CM_80), call_setup,
              test_threads, call_teardown);

  return g_test_run ();
}
