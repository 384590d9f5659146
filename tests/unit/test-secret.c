/* test-secret.c: secrets out of logs (bell-log-redact) and out of freed memory (bell-secret).
 *
 * The redaction is checked on its own (every form an SDES key, MIKEY data or an SDP k= line
 * takes, text that must pass unchanged) and where it is used: a SIP message printed for a log
 * loses its a=crypto keys and Digest response while the same message printed for the wire
 * keeps every byte. */
#include <string.h>

#include <glib.h>

#include "bell-log-redact.h"
#include "bell-secret.h"
#include "bell-sip-msg.h"

/* RFC 4568 §9.1's example key, and one more. */
#define KEY1 "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
#define KEY2 "d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj"

static void
check_redact (const char *in, const char *want)
{
  g_autofree char *out = bell_log_redact (in, -1);

  g_assert_cmpstr (out, ==, want);
}

static void
test_redact_crypto (void)
{
  check_redact ("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "\r\n",
                "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" BELL_LOG_REDACTED "\r\n");
  /* Lifetime and MKI are no secret: they stay, the key goes. */
  check_redact ("a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" KEY1 "|2^20|1:4 WSH=64\r\n",
                "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" BELL_LOG_REDACTED
                "|2^20|1:4 WSH=64\r\n");
  /* Any case, no line end after it, two keys on one line (several key params). */
  check_redact ("a=crypto:3 AEAD_AES_128_GCM INLINE:" KEY1 ";inline:" KEY2,
                "a=crypto:3 AEAD_AES_128_GCM INLINE:" BELL_LOG_REDACTED);
  check_redact ("a=crypto:3 X inline:" KEY1 " inline:" KEY2 "\n",
                "a=crypto:3 X inline:" BELL_LOG_REDACTED " inline:" BELL_LOG_REDACTED "\n");
  /* "inline:" with nothing after it has nothing to hide. */
  check_redact ("inline:", "inline:");
  check_redact ("inline: x", "inline: x");
}

static void
test_redact_sdp (void)
{
  const char *sdp =
    "v=0\r\n"
    "o=- 1 1 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "k=clear:hunter2\r\n"
    "t=0 0\r\n"
    "m=audio 4000 RTP/SAVP 0\r\n"
    "a=key-mgmt:mikey AQAFgM0XflABAAAAAAAAAAAAAAsAyO\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "\r\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" KEY2 "\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";
  g_autofree char *out = bell_log_redact (sdp, -1);

  g_assert_null (strstr (out, KEY1));
  g_assert_null (strstr (out, KEY2));
  g_assert_null (strstr (out, "hunter2"));
  g_assert_null (strstr (out, "AQAFgM0X"));
  g_assert_nonnull (strstr (out, "\r\nk=" BELL_LOG_REDACTED "\r\nt=0 0\r\n"));
  g_assert_nonnull (strstr (out, "\r\na=key-mgmt:mikey " BELL_LOG_REDACTED "\r\n"));
  g_assert_nonnull (strstr (out, "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:"
                                 BELL_LOG_REDACTED "\r\n"));
  /* The rest of the SDP is as it was. */
  g_assert_true (g_str_has_prefix (out, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"));
  g_assert_true (g_str_has_suffix (out, "\r\na=rtpmap:0 PCMU/8000\r\n"));
}

static void
test_redact_unchanged (void)
{
  /* Text without secrets passes byte for byte; "k=" and "a=key-mgmt" only count at a line's
   * start, so a header or URI parameter that merely contains them is left alone. */
  const char *texts[] = {
    "",
    "v=0\r\nm=audio 4000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n",
    "To: <sip:bob@example.com;k=1>\r\nX: a=key-mgmt:x\r\n",
    "Signal=5\r\nDuration=160\r\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    check_redact (texts[i], texts[i]);
  g_assert_null (bell_log_redact (NULL, -1));
}

static void
test_redact_append_len (void)
{
  /* Not NUL-terminated: only len bytes are read, a key cut by the end is still redacted. */
  const char text[] = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "TRAILING";
  g_autoptr(GString) out = g_string_new ("> ");

  bell_log_redact_append (out, text, strlen (text) - strlen ("TRAILING") - 5);
  g_assert_cmpstr (out->str, ==, "> a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" BELL_LOG_REDACTED);
}

static const char invite[] =
  "INVITE sip:bob@127.0.0.1 SIP/2.0\r\n"
  "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK-1\r\n"
  "Max-Forwards: 70\r\n"
  "From: <sip:alice@example.com>;tag=a1\r\n"
  "To: <sip:bob@example.com>\r\n"
  "Call-ID: secret-test-1\r\n"
  "CSeq: 2 INVITE\r\n"
  "Proxy-Authorization: Digest username=\"alice\", realm=\"example.com\", nonce=\"n1\", "
  "uri=\"sip:bob@127.0.0.1\", response=\"0123456789abcdef0123456789abcdef\", "
  "cnonce=\"c0ffee\", nc=00000001, qop=auth\r\n"
  "Contact: <sip:alice@127.0.0.1:5062>\r\n"
  "Content-Type: application/sdp\r\n"
  "Content-Length: 194\r\n"
  "\r\n"
  "v=0\r\n"
  "o=- 1 1 IN IP4 127.0.0.1\r\n"
  "s=-\r\n"
  "c=IN IP4 127.0.0.1\r\n"
  "t=0 0\r\n"
  "m=audio 4000 RTP/SAVP 0\r\n"
  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" KEY1 "\r\n"
  "a=rtpmap:0 PCMU/8000\r\n";

static void
test_sip_log_string (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) msg = bell_sip_msg_parse (invite, strlen (invite), BELL_SIP_PARSE_STREAM,
                                                  &error);
  g_autofree char *wire = NULL;
  g_autofree char *log = NULL;
  gsize wire_len;

  g_assert_no_error (error);
  g_assert_nonnull (msg);
  g_assert_cmpuint (strlen (strstr (invite, "\r\n\r\n") + 4), ==, 194);

  /* On the wire: the key and the Digest response are there, as they must be. */
  wire = bell_sip_msg_to_string (msg, &wire_len);
  g_assert_nonnull (strstr (wire, "inline:" KEY1 "\r\n"));
  g_assert_nonnull (strstr (wire, "0123456789abcdef0123456789abcdef"));

  /* In the log: neither; the rest of the SDP and the headers are still readable. */
  log = bell_sip_msg_to_log_string (msg);
  g_assert_null (strstr (log, KEY1));
  g_assert_null (strstr (log, "0123456789abcdef0123456789abcdef"));
  g_assert_null (strstr (log, "c0ffee"));
  g_assert_nonnull (strstr (log, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" BELL_LOG_REDACTED
                                 "\r\na=rtpmap:0 PCMU/8000\r\n"));
  g_assert_nonnull (strstr (log, "Call-ID: secret-test-1\r\n"));
  g_assert_nonnull (strstr (log, "username=\"alice\""));
}

/* A message kept after its SDP is of no use: the body is zeroes, its length and headers stay. */
static void
test_sip_wipe_body (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) msg = bell_sip_msg_parse (invite, strlen (invite), BELL_SIP_PARSE_STREAM,
                                                  &error);
  g_autofree char *wire = NULL;
  const char *body;
  gsize len;

  g_assert_no_error (error);
  bell_sip_msg_wipe_body (msg);
  body = bell_sip_msg_peek_body (msg, &len);
  g_assert_cmpuint (len, ==, 194);
  for (gsize i = 0; i < len; i++)
    g_assert_cmpint (body[i], ==, 0);
  wire = bell_sip_msg_to_string (msg, NULL);
  g_assert_nonnull (strstr (wire, "Call-ID: secret-test-1\r\n"));
  g_assert_nonnull (strstr (wire, "Content-Length: 194\r\n"));
  g_assert_null (strstr (wire, KEY1));
  bell_sip_msg_wipe_body (NULL);
}

static void
test_secret_wipe (void)
{
  char buf[48];
  char *s;
  g_autoptr(BellSecret) scoped = NULL;

  memset (buf, 'x', sizeof buf);
  bell_secret_wipe (buf + 8, 16);
  for (guint i = 0; i < sizeof buf; i++)
    g_assert_cmpint (buf[i], ==, i >= 8 && i < 24 ? 0 : 'x');
  bell_secret_wipe (NULL, 4);
  bell_secret_wipe (buf, 0);

  s = bell_secret_dup ("hunter2");
  g_assert_cmpstr (s, ==, "hunter2");
  bell_secret_clear (&s);
  g_assert_null (s);
  bell_secret_clear (&s);
  bell_secret_free (NULL);
  g_assert_null (bell_secret_dup (NULL));

  scoped = bell_secret_dup ("correct horse");
  g_assert_cmpstr (scoped, ==, "correct horse");
}

static void
test_secret_strv (void)
{
  g_auto(BellSecretStrv) lines = g_strsplit ("v=0\na=crypto:1 X inline:" KEY1 "\n", "\n", -1);
  g_auto(BellSecretStrv) none = NULL;

  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_cmpstr (lines[1], ==, "a=crypto:1 X inline:" KEY1);
  bell_secret_strfreev (NULL);
}

static void
test_secret_bytes (void)
{
  g_autoptr(GBytes) bytes = bell_secret_bytes_new_take (g_strdup ("inline:" KEY1), 47);
  g_autoptr(GBytes) empty = bell_secret_bytes_new_take (NULL, 0);
  GBytes *second;
  gsize len;

  g_assert_cmpmem (g_bytes_get_data (bytes, &len), len, "inline:" KEY1, 47);
  /* The data lives (and is wiped) with its last reference only. */
  second = g_bytes_ref (bytes);
  g_clear_pointer (&bytes, g_bytes_unref);
  g_assert_cmpmem (g_bytes_get_data (second, NULL), 7, "inline:", 7);
  g_bytes_unref (second);
  g_assert_cmpuint (g_bytes_get_size (empty), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/secret/redact/crypto", test_redact_crypto);
  g_test_add_func ("/secret/redact/sdp", test_redact_sdp);
  g_test_add_func ("/secret/redact/unchanged", test_redact_unchanged);
  g_test_add_func ("/secret/redact/append-len", test_redact_append_len);
  g_test_add_func ("/secret/redact/sip-log-string", test_sip_log_string);
  g_test_add_func ("/secret/sip-wipe-body", test_sip_wipe_body);
  g_test_add_func ("/secret/wipe", test_secret_wipe);
  g_test_add_func ("/secret/bytes", test_secret_bytes);
  g_test_add_func ("/secret/strv", test_secret_strv);
  return g_test_run ();
}
