/* bell-srtp.c: SRTP/SRTCP (RFC 3711) over libsrtp2, SDES key params (RFC 4568 §6.1, §9) and
 * a=crypto lines, keys from OpenSSL's RNG. */
#define G_LOG_DOMAIN "bell-srtp"

#include "bell-srtp.h"

#include "bell-secret.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <srtp2/srtp.h>

/* How much of a malformed field an error message quotes: the peer wrote it, it may be long. */
#define QUOTE_MAX       32
/* Longest master key||salt of our suites, its base64 form with padding, and the room
 * g_base64_decode_step() asks for to decode that. */
#define MAX_MASTER_LEN  32
#define MAX_KEY_B64     (((MAX_MASTER_LEN + 2) / 3) * 4)
#define MAX_DECODED     (MAX_KEY_B64 / 4 * 3 + 3)
/* RFC 3711 §3.3.2 wants at least 64; libsrtp's default is 128: 2.5 s of 20 ms audio packets
 * arriving out of order, far more than a call path reorders. */
#define REPLAY_WINDOW   128
#define SRTCP_INDEX_LEN 4
#define MAX_TAG_LEN     16
#define MAX_MKI_LEN     128
/* RFC 3711 §9.2: 2^48 SRTP packets at most under one master key (and libsrtp stops us there). */
#define MAX_LIFETIME    (G_GUINT64_CONSTANT (1) << 48)

G_STATIC_ASSERT (BELL_SRTP_MAX_OVERHEAD == SRTCP_INDEX_LEN + MAX_TAG_LEN + MAX_MKI_LEN);
G_STATIC_ASSERT (MAX_MKI_LEN == SRTP_MAX_MKI_LEN);
G_STATIC_ASSERT (MAX_TAG_LEN <= SRTP_MAX_TAG_LEN);

G_DEFINE_QUARK (bell-srtp-error-quark, bell_srtp_error)

typedef void (*PolicySetter) (srtp_crypto_policy_t *policy);

static const struct
{
  const char  *name;
  gsize        key_len;
  gsize        salt_len;
  gsize        rtp_tag;
  gsize        rtcp_tag;
  PolicySetter rtp_policy;
  PolicySetter rtcp_policy;
} suites[BELL_SRTP_N_SUITES] = {
  [BELL_SRTP_SUITE_AES_CM_128_HMAC_SHA1_80] = {
    "AES_CM_128_HMAC_SHA1_80", 16, 14, 10, 10,
    srtp_crypto_policy_set_rtp_default, srtp_crypto_policy_set_rtcp_default,
  },
  /* Only SRTP's tag is short: SRTCP keeps 80 bits (RFC 4568 §6.2.2). */
  [BELL_SRTP_SUITE_AES_CM_128_HMAC_SHA1_32] = {
    "AES_CM_128_HMAC_SHA1_32", 16, 14, 4, 10,
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32, srtp_crypto_policy_set_rtcp_default,
  },
  /* RFC 7714 §12.2.1: a 96-bit salt and a 16-byte tag for both. */
  [BELL_SRTP_SUITE_AEAD_AES_128_GCM] = {
    "AEAD_AES_128_GCM", 16, 12, 16, 16,
    srtp_crypto_policy_set_aes_gcm_128_16_auth, srtp_crypto_policy_set_aes_gcm_128_16_auth,
  },
};

/* One side's key params, decoded. Lives on the stack only, wiped after use. */
typedef struct
{
  guint8  master[MAX_DECODED];           /* key||salt */
  gsize   master_len;
  guint64 lifetime;                      /* packets; 0: not given */
  guint8  mki[MAX_MKI_LEN];
  guint   mki_len;                       /* 0: no MKI */
} KeyParams;

struct _BellSrtpSession
{
  BellSrtpSuite suite;

  GMutex   send_lock;                    /* guards tx and the counters below it */
  srtp_t   tx;
  guint    tx_mki_len;
  guint64  tx_lifetime;                  /* 0: only libsrtp's own limits */
  guint64  tx_rtp, tx_rtcp;              /* packets protected under our key */

  GMutex   recv_lock;                    /* guards rx and the counters below it */
  srtp_t   rx;
  guint    rx_mki_len;
  guint64  rx_ok, rx_replayed, rx_failed;
};

/* ---- libsrtp ------------------------------------------------------------------------------ */

static srtp_err_status_t init_status = srtp_err_status_init_fail;
static gboolean suite_works[BELL_SRTP_N_SUITES];

static void
on_srtp_log (srtp_log_level_t level, const char *msg, void *data)
{
  /* libsrtp's debug level is its debug modules' output, which prints derived session keys in
   * hex ("cipher key: ..."): never passed on, should anyone turn a module on. Its errors
   * concern one packet or one session and reach the caller as a GError anyway: not worth a
   * warning. */
  if (level == srtp_log_level_debug)
    return;
  g_debug ("libsrtp: %s", msg);
}

/* Whether libsrtp can make a session of suite: GCM exists only when it was built with a crypto
 * library, and there is no other way to ask. */
static gboolean
probe_suite (BellSrtpSuite suite)
{
  guint8 key[MAX_MASTER_LEN] = { 0 };
  srtp_policy_t policy = { 0 };
  srtp_t ctx = NULL;

  suites[suite].rtp_policy (&policy.rtp);
  suites[suite].rtcp_policy (&policy.rtcp);
  policy.ssrc.type = ssrc_any_outbound;
  policy.key = key;
  policy.window_size = REPLAY_WINDOW;
  if (srtp_create (&ctx, &policy) != srtp_err_status_ok)
    return FALSE;
  srtp_dealloc (ctx);
  return TRUE;
}

static gpointer
init_libsrtp (gpointer data)
{
  srtp_install_log_handler (on_srtp_log, NULL);
  init_status = srtp_init ();
  if (init_status != srtp_err_status_ok)
    g_warning ("libsrtp failed to start (error %d): no SRTP", init_status);
  else
    for (guint i = 0; i < BELL_SRTP_N_SUITES; i++)
      suite_works[i] = probe_suite ((BellSrtpSuite) i);
  /* libsrtp stays up for the life of the process: srtp_shutdown() would pull it from under
   * any other user (GStreamer's srtp elements share it). */
  return NULL;
}

static gboolean
ensure_libsrtp (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, init_libsrtp, NULL);
  return init_status == srtp_err_status_ok;
}

static gboolean
check_available (BellSrtpSuite suite, GError **error)
{
  if (!ensure_libsrtp ())
    {
      g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_INTERNAL,
                   "libsrtp failed to start (error %d)", init_status);
      return FALSE;
    }
  if (!suite_works[suite])
    {
      g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_UNSUPPORTED,
                   "this libsrtp2 cannot do %s", suites[suite].name);
      return FALSE;
    }
  return TRUE;
}

/* ---- suites ------------------------------------------------------------------------------- */

gboolean
bell_srtp_suite_from_name (const char *name, BellSrtpSuite *suite)
{
  g_return_val_if_fail (name != NULL, FALSE);

  for (guint i = 0; i < BELL_SRTP_N_SUITES; i++)
    if (g_ascii_strcasecmp (name, suites[i].name) == 0)
      {
        if (suite)
          *suite = (BellSrtpSuite) i;
        return TRUE;
      }
  return FALSE;
}

const char *
bell_srtp_suite_to_name (BellSrtpSuite suite)
{
  g_return_val_if_fail (suite < BELL_SRTP_N_SUITES, NULL);
  return suites[suite].name;
}

gboolean
bell_srtp_suite_is_available (BellSrtpSuite suite)
{
  g_return_val_if_fail (suite < BELL_SRTP_N_SUITES, FALSE);
  return ensure_libsrtp () && suite_works[suite];
}

gsize
bell_srtp_suite_get_key_length (BellSrtpSuite suite)
{
  g_return_val_if_fail (suite < BELL_SRTP_N_SUITES, 0);
  return suites[suite].key_len;
}

gsize
bell_srtp_suite_get_salt_length (BellSrtpSuite suite)
{
  g_return_val_if_fail (suite < BELL_SRTP_N_SUITES, 0);
  return suites[suite].salt_len;
}

gsize
bell_srtp_suite_get_overhead (BellSrtpSuite suite, gboolean rtcp)
{
  g_return_val_if_fail (suite < BELL_SRTP_N_SUITES, 0);
  return rtcp ? SRTCP_INDEX_LEN + suites[suite].rtcp_tag : suites[suite].rtp_tag;
}

/* ---- SDES keys ---------------------------------------------------------------------------- */

void
bell_srtp_key_free (char *key)
{
  bell_secret_free (key);
}

gboolean
bell_srtp_make_key (BellSrtpSuite suite, char **inline_key, GError **error)
{
  guint8 master[MAX_MASTER_LEN];
  gsize len;

  g_return_val_if_fail (suite < BELL_SRTP_N_SUITES, FALSE);
  g_return_val_if_fail (inline_key != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_available (suite, error))
    return FALSE;
  len = suites[suite].key_len + suites[suite].salt_len;
  if (RAND_bytes (master, (int) len) != 1)
    {
      g_set_error_literal (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_INTERNAL,
                           "no random bytes for an SRTP key");
      return FALSE;
    }
  /* g_base64_encode() writes straight into the string it returns: no other copy to wipe. */
  *inline_key = g_base64_encode (master, len);
  bell_secret_wipe (master, sizeof master);
  return TRUE;
}

static gboolean
has_prefix_ci (const char *s, const char *prefix)
{
  return g_ascii_strncasecmp (s, prefix, strlen (prefix)) == 0;
}

char *
bell_srtp_crypto_attribute (guint tag, BellSrtpSuite suite, const char *key)
{
  char head[32];
  const char *method;
  gsize head_len, method_len, key_len;
  char *out;

  g_return_val_if_fail (suite < BELL_SRTP_N_SUITES, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  method = has_prefix_ci (key, "inline:") ? "" : "inline:";
  head_len = (gsize) g_snprintf (head, sizeof head, "%u ", tag);
  method_len = strlen (method);
  key_len = strlen (key);

  /* Assembled by hand into one exact allocation: a printf or a growing GString would leave
   * unwiped copies of the key behind in freed memory. */
  out = g_malloc (head_len + strlen (suites[suite].name) + 1 + method_len + key_len + 1);
  strcpy (out, head);
  strcat (out, suites[suite].name);
  strcat (out, " ");
  strcat (out, method);
  strcat (out, key);
  return out;
}

/* Parses the decimal number in s[0..len) into *value, which must not pass max. */
static gboolean
parse_number (const char *s, gsize len, guint64 max, guint64 *value)
{
  guint64 v = 0;

  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (!g_ascii_isdigit (s[i]))
        return FALSE;
      if (v > (max - (guint64) (s[i] - '0')) / 10)
        return FALSE;
      v = v * 10 + (guint64) (s[i] - '0');
    }
  *value = v;
  return TRUE;
}

/* RFC 4568 §9.2: lifetime = ["2^"] 1*DIGIT */
static gboolean
parse_lifetime (const char *s, gsize len, guint64 *lifetime, GError **error)
{
  guint64 v;

  if (len > 2 && s[0] == '2' && s[1] == '^')
    {
      if (!parse_number (s + 2, len - 2, G_MAXUINT64, &v))
        goto malformed;
      if (v > 48)
        goto too_long;
      *lifetime = G_GUINT64_CONSTANT (1) << v;
      return TRUE;
    }
  if (!parse_number (s, len, G_MAXUINT64, &v))
    goto malformed;
  if (v > MAX_LIFETIME)
    goto too_long;
  if (v == 0)
    {
      g_set_error_literal (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_INVALID_KEY,
                           "an SRTP key with a lifetime of 0 packets");
      return FALSE;
    }
  *lifetime = v;
  return TRUE;

malformed:
  g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_INVALID_KEY,
               "“%.*s” is not a key lifetime (2^n or a number of packets)",
               (int) MIN (len, QUOTE_MAX), s);
  return FALSE;
too_long:
  g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_UNSUPPORTED,
               "a key lifetime of “%.*s” packets is beyond SRTP's 2^48",
               (int) MIN (len, QUOTE_MAX), s);
  return FALSE;
}

/* RFC 4568 §9.2: mki = mki-value ":" mki-length, the value sent big-endian in length bytes. */
static gboolean
parse_mki (const char *s, gsize len, KeyParams *kp, GError **error)
{
  const char *colon = memchr (s, ':', len);
  guint64 value, length;

  if (colon == NULL || !parse_number (s, (gsize) (colon - s), G_MAXUINT64, &value) ||
      !parse_number (colon + 1, len - (gsize) (colon + 1 - s), G_MAXUINT64, &length))
    {
      g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_INVALID_KEY,
                   "“%.*s” is not an MKI (value:length)", (int) MIN (len, QUOTE_MAX), s);
      return FALSE;
    }
  if (length < 1 || length > MAX_MKI_LEN)
    {
      g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_INVALID_KEY,
                   "an MKI of %" G_GUINT64_FORMAT " bytes (1 to %u allowed)", length,
                   MAX_MKI_LEN);
      return FALSE;
    }
  if (length < 8 && value >> (8 * length) != 0)
    {
      g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_INVALID_KEY,
                   "MKI %" G_GUINT64_FORMAT " does not fit in %" G_GUINT64_FORMAT " bytes",
                   value, length);
      return FALSE;
    }
  kp->mki_len = (guint) length;
  memset (kp->mki, 0, sizeof kp->mki);
  for (guint i = 0; i < kp->mki_len && i < 8; i++)
    kp->mki[kp->mki_len - 1 - i] = (guint8) (value >> (8 * i));
  return TRUE;
}

static gboolean
is_base64_char (char c)
{
  return g_ascii_isalnum (c) || c == '+' || c == '/';
}

/* Strict base64 of exactly the suite's key||salt length into kp->master. Padding may be left
 * out (some implementations strip it); anything else that is not base64 is refused, where
 * g_base64_decode() would skip it silently. Error messages never quote the key. */
static gboolean
decode_key (BellSrtpSuite suite, const char *s, gsize len, KeyParams *kp, GError **error)
{
  gsize want = suites[suite].key_len + suites[suite].salt_len;
  gsize n_chars = 0, n_pad = 0, got, padded_len;
  char padded[MAX_KEY_B64];
  gint state = 0;
  guint save = 0;

  while (n_chars < len && is_base64_char (s[n_chars]))
    n_chars++;
  while (n_chars + n_pad < len && s[n_chars + n_pad] == '=')
    n_pad++;
  if (n_chars + n_pad != len || n_pad > 2 || (n_pad > 0 && len % 4 != 0) ||
      (n_chars % 4 == 1) || len == 0)
    {
      g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_INVALID_KEY,
                   "the %s key is not valid base64", suites[suite].name);
      return FALSE;
    }
  got = n_chars * 3 / 4;
  if (got != want)
    {
      g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_INVALID_KEY,
                   "%s needs %" G_GSIZE_FORMAT " bytes of key and salt, the key has %"
                   G_GSIZE_FORMAT, suites[suite].name, want, got);
      return FALSE;
    }

  padded_len = (n_chars + 3) / 4 * 4;
  g_assert (padded_len <= MAX_KEY_B64);
  memcpy (padded, s, n_chars);
  memset (padded + n_chars, '=', padded_len - n_chars);
  kp->master_len = g_base64_decode_step (padded, padded_len, kp->master, &state, &save);
  bell_secret_wipe (padded, sizeof padded);
  bell_secret_wipe (&save, sizeof save);
  g_assert (kp->master_len == want);
  return TRUE;
}

/* RFC 4568 §9.2 key-params: "inline:" key-salt ["|" lifetime] ["|" mki], "inline:" optional. */
static gboolean
parse_key_params (BellSrtpSuite suite, const char *text, KeyParams *kp, GError **error)
{
  const char *p = text, *end, *bar;

  memset (kp, 0, sizeof *kp);
  if (has_prefix_ci (p, "inline:"))
    p += strlen ("inline:");
  else
    {
      /* A colon before the first '|' is another key method's ("uri:..."); after it, an MKI. */
      const char *colon = strchr (p, ':'), *first_bar = strchr (p, '|');

      if (colon != NULL && (first_bar == NULL || colon < first_bar))
        {
          g_set_error_literal (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_UNSUPPORTED,
                               "SDES key methods other than inline: are not supported");
          return FALSE;
        }
    }
  if (strchr (p, ';') != NULL)
    {
      g_set_error_literal (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_UNSUPPORTED,
                           "several SRTP master keys in one a=crypto line are not supported");
      return FALSE;
    }

  end = p + strlen (p);
  bar = memchr (p, '|', (gsize) (end - p));
  if (!decode_key (suite, p, (gsize) ((bar ? bar : end) - p), kp, error))
    goto fail;

  /* Then "|lifetime" and/or "|MKI:length", in that order: an MKI has the colon. */
  for (guint field = 0; bar != NULL; field++)
    {
      const char *start = bar + 1;
      gsize len;

      bar = memchr (start, '|', (gsize) (end - start));
      len = (gsize) ((bar ? bar : end) - start);
      if (field < 2 && memchr (start, ':', len) != NULL && kp->mki_len == 0)
        {
          if (!parse_mki (start, len, kp, error))
            goto fail;
        }
      else if (field == 0 && kp->lifetime == 0)
        {
          if (!parse_lifetime (start, len, &kp->lifetime, error))
            goto fail;
        }
      else
        {
          g_set_error_literal (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_INVALID_KEY,
                               "SRTP key params with fields after the lifetime and MKI");
          goto fail;
        }
    }
  /* libsrtp2 2.5 looks for the MKI of an SRTCP packet after the SRTP tag length: with the
   * 32-bit suite (whose SRTCP tag is 80 bits) every SRTCP packet would fail. Refused, so that
   * the offer/answer takes another a=crypto line (we never make MKI keys ourselves). */
  if (kp->mki_len > 0 && suite == BELL_SRTP_SUITE_AES_CM_128_HMAC_SHA1_32)
    {
      g_set_error_literal (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_UNSUPPORTED,
                           "an MKI with AES_CM_128_HMAC_SHA1_32 (libsrtp2 cannot read its SRTCP)");
      goto fail;
    }
  return TRUE;

fail:
  bell_secret_wipe (kp, sizeof *kp);
  return FALSE;
}

/* RFC 4568 §6.3: the session parameters we can honour, and the ones that change how packets
 * are protected, which we cannot. */
static gboolean
check_session_param (const char *param, gsize len, GError **error)
{
  static const char *const ignored[] = { "WSH=", "FEC_ORDER=FEC_SRTP" };

  /* "-" marks a parameter that may be ignored when not understood (RFC 4568 §9.1). */
  if (param[0] == '-')
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (ignored); i++)
    {
      gsize n = strlen (ignored[i]);

      if (len >= n && g_ascii_strncasecmp (param, ignored[i], n) == 0 &&
          (ignored[i][n - 1] == '=' || len == n))
        return TRUE;
    }
  g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_UNSUPPORTED,
               "SRTP session parameter “%.*s” is not supported", (int) MIN (len, QUOTE_MAX),
               param);
  return FALSE;
}

gboolean
bell_srtp_crypto_parse (const char *value, guint *tag, BellSrtpSuite *suite, char **key_params,
                        GError **error)
{
  const char *p = value, *start;
  g_autofree char *suite_name = NULL;
  BellSrtpSuite s;
  KeyParams kp;
  guint64 t;
  char *params;

  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* tag: 1*9DIGIT */
  start = p;
  while (g_ascii_isdigit (*p))
    p++;
  if (p - start > 9 || !parse_number (start, (gsize) (p - start), G_MAXUINT, &t) || *p != ' ')
    {
      g_set_error_literal (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_INVALID_ATTRIBUTE,
                           "an a=crypto line without a tag");
      return FALSE;
    }
  while (*p == ' ' || *p == '\t')
    p++;

  start = p;
  while (*p != '\0' && *p != ' ' && *p != '\t')
    p++;
  suite_name = g_strndup (start, (gsize) (p - start));
  while (*p == ' ' || *p == '\t')
    p++;
  if (*suite_name == '\0' || *p == '\0')
    {
      g_set_error_literal (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_INVALID_ATTRIBUTE,
                           "an a=crypto line without a suite and key");
      return FALSE;
    }
  if (!bell_srtp_suite_from_name (suite_name, &s))
    {
      g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_UNSUPPORTED,
                   "unknown SRTP crypto suite “%.*s”", QUOTE_MAX, suite_name);
      return FALSE;
    }
  if (!check_available (s, error))
    return FALSE;

  start = p;
  while (*p != '\0' && *p != ' ' && *p != '\t')
    p++;
  if (!has_prefix_ci (start, "inline:"))
    {
      g_set_error_literal (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_UNSUPPORTED,
                           "an a=crypto key method other than inline:");
      return FALSE;
    }
  params = g_strndup (start, (gsize) (p - start));
  if (!parse_key_params (s, params, &kp, error))
    {
      bell_srtp_key_free (params);
      return FALSE;
    }
  bell_secret_wipe (&kp, sizeof kp);

  while (*p != '\0')
    {
      while (*p == ' ' || *p == '\t')
        p++;
      start = p;
      while (*p != '\0' && *p != ' ' && *p != '\t')
        p++;
      if (p > start && !check_session_param (start, (gsize) (p - start), error))
        {
          bell_srtp_key_free (params);
          return FALSE;
        }
    }

  if (tag)
    *tag = (guint) t;
  if (suite)
    *suite = s;
  if (key_params)
    *key_params = params;
  else
    bell_srtp_key_free (params);
  return TRUE;
}

/* ---- sessions ----------------------------------------------------------------------------- */

static srtp_t
create_context (BellSrtpSuite suite, KeyParams *kp, gboolean outbound, const char *which,
                GError **error)
{
  srtp_master_key_t master = { 0 }, *keys[1] = { &master };
  srtp_policy_t policy = { 0 };
  srtp_err_status_t status;
  srtp_t ctx = NULL;

  suites[suite].rtp_policy (&policy.rtp);
  suites[suite].rtcp_policy (&policy.rtcp);
  /* Any SSRC: the media layer picks ours and the peer may change its own (RFC 3550 §8.2);
   * libsrtp clones a stream per SSRC, an inbound one only once a packet has authenticated. */
  policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
  policy.window_size = REPLAY_WINDOW;
  /* No retransmission under one index: that would encrypt two payloads with one keystream. */
  policy.allow_repeat_tx = 0;
  if (kp->mki_len > 0)
    {
      master.key = kp->master;
      master.mki_id = kp->mki;
      master.mki_size = kp->mki_len;
      policy.keys = keys;
      policy.num_master_keys = 1;
    }
  else
    policy.key = kp->master;

  status = srtp_create (&ctx, &policy);
  if (status != srtp_err_status_ok)
    {
      g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_INTERNAL,
                   "libsrtp cannot make an %s %s context (error %d)", which,
                   suites[suite].name, status);
      return NULL;
    }
  return ctx;
}

BellSrtpSession *
bell_srtp_session_new (BellSrtpSuite suite, const char *local_key, const char *remote_key,
                       GError **error)
{
  g_autoptr(BellSrtpSession) s = NULL;
  KeyParams local, remote;

  g_return_val_if_fail (suite < BELL_SRTP_N_SUITES, NULL);
  g_return_val_if_fail (local_key != NULL && remote_key != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_available (suite, error))
    return NULL;
  if (!parse_key_params (suite, local_key, &local, error))
    {
      g_prefix_error (error, "our key: ");
      return NULL;
    }
  if (!parse_key_params (suite, remote_key, &remote, error))
    {
      bell_secret_wipe (&local, sizeof local);
      g_prefix_error (error, "the peer's key: ");
      return NULL;
    }
  if (CRYPTO_memcmp (local.master, remote.master, local.master_len) == 0)
    {
      bell_secret_wipe (&local, sizeof local);
      bell_secret_wipe (&remote, sizeof remote);
      g_set_error_literal (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_INVALID_KEY,
                           "the peer's SRTP key is the same as ours (an answer that echoes "
                           "our a=crypto?)");
      return NULL;
    }

  s = g_new0 (BellSrtpSession, 1);
  s->suite = suite;
  g_mutex_init (&s->send_lock);
  g_mutex_init (&s->recv_lock);
  s->tx_mki_len = local.mki_len;
  s->tx_lifetime = local.lifetime;
  s->rx_mki_len = remote.mki_len;
  s->tx = create_context (suite, &local, TRUE, "outbound", error);
  if (s->tx)
    s->rx = create_context (suite, &remote, FALSE, "inbound", error);
  /* libsrtp has derived its session keys: our decoded copies are of no further use. */
  bell_secret_wipe (&local, sizeof local);
  bell_secret_wipe (&remote, sizeof remote);
  if (s->rx == NULL)
    return NULL;
  return g_steal_pointer (&s);
}

void
bell_srtp_session_free (BellSrtpSession *s)
{
  if (s == NULL)
    return;
  /* srtp_dealloc() wipes the session keys it derived. */
  if (s->tx)
    srtp_dealloc (s->tx);
  if (s->rx)
    srtp_dealloc (s->rx);
  g_mutex_clear (&s->send_lock);
  g_mutex_clear (&s->recv_lock);
  g_free (s);
}

BellSrtpSuite
bell_srtp_session_get_suite (BellSrtpSession *s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->suite;
}

gsize
bell_srtp_session_get_overhead (BellSrtpSession *s, gboolean rtcp)
{
  g_return_val_if_fail (s != NULL, 0);
  return bell_srtp_suite_get_overhead (s->suite, rtcp) + s->tx_mki_len;
}

void
bell_srtp_session_get_stats (BellSrtpSession *s, guint64 *replayed, guint64 *auth_failed,
                             guint64 *protected_packets, guint64 *unprotected_packets)
{
  g_return_if_fail (s != NULL);

  g_mutex_lock (&s->send_lock);
  if (protected_packets)
    *protected_packets = s->tx_rtp + s->tx_rtcp;
  g_mutex_unlock (&s->send_lock);

  g_mutex_lock (&s->recv_lock);
  if (replayed)
    *replayed = s->rx_replayed;
  if (auth_failed)
    *auth_failed = s->rx_failed;
  if (unprotected_packets)
    *unprotected_packets = s->rx_ok;
  g_mutex_unlock (&s->recv_lock);
}

/* The length of the RTP header at buf (RFC 3550 §5.1, §5.3.1), 0 when there is none in len
 * bytes. libsrtp reads the CSRCs and the extension: a header claiming more than the packet
 * holds must not reach it. */
static gsize
rtp_header_length (const guint8 *buf, gsize len)
{
  gsize hlen = 12;

  if (len < hlen || buf[0] >> 6 != 2)
    return 0;
  hlen += 4 * (gsize) (buf[0] & 0x0f);
  if (buf[0] & 0x10)
    {
      if (len < hlen + 4)
        return 0;
      hlen += 4 + 4 * (((gsize) buf[hlen + 2] << 8) | buf[hlen + 3]);
    }
  return hlen <= len ? hlen : 0;
}

static gboolean
check_packet (const guint8 *buf, gsize len, gboolean rtcp, GError **error)
{
  /* RTCP: version 2 and at least the first header up to the sender's SSRC (RFC 3550 §6.4). */
  if (rtcp ? len < 8 || buf[0] >> 6 != 2 : rtp_header_length (buf, len) == 0)
    {
      g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_PACKET,
                   "not an %s packet (%" G_GSIZE_FORMAT " bytes)", rtcp ? "RTCP" : "RTP", len);
      return FALSE;
    }
  return TRUE;
}

static gboolean
protect (BellSrtpSession *s, gboolean rtcp, guint8 *buf, gsize *len, gsize cap, GError **error)
{
  const char *what = rtcp ? "RTCP" : "RTP";
  gsize overhead;
  srtp_err_status_t status;
  guint64 *count;
  int n;

  g_return_val_if_fail (s != NULL, FALSE);
  g_return_val_if_fail (buf != NULL && len != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_packet (buf, *len, rtcp, error))
    return FALSE;
  overhead = bell_srtp_session_get_overhead (s, rtcp);
  if (cap < *len || cap - *len < overhead || *len > (gsize) G_MAXINT - overhead)
    {
      g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_PACKET,
                   "no room for the %" G_GSIZE_FORMAT "-byte SRTP trailer after a %"
                   G_GSIZE_FORMAT "-byte %s packet in a %" G_GSIZE_FORMAT "-byte buffer",
                   overhead, *len, what, cap);
      return FALSE;
    }

  g_mutex_lock (&s->send_lock);
  count = rtcp ? &s->tx_rtcp : &s->tx_rtp;
  if (s->tx_lifetime != 0 && *count >= s->tx_lifetime)
    status = srtp_err_status_key_expired;
  else
    {
      n = (int) *len;
      if (rtcp)
        status = srtp_protect_rtcp_mki (s->tx, buf, &n, s->tx_mki_len > 0, 0);
      else
        status = srtp_protect_mki (s->tx, buf, &n, s->tx_mki_len > 0, 0);
      if (status == srtp_err_status_ok)
        {
          g_assert ((gsize) n <= *len + overhead);
          *len = (gsize) n;
          (*count)++;
        }
    }
  g_mutex_unlock (&s->send_lock);

  switch (status)
    {
    case srtp_err_status_ok:
      return TRUE;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
      g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_REPLAY,
                   "%s sequence number already protected, or too far back", what);
      return FALSE;
    case srtp_err_status_key_expired:
      g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_KEY_EXPIRED,
                   "our SRTP key has protected all the %s packets it may", what);
      return FALSE;
    default:
      g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_INTERNAL,
                   "libsrtp cannot protect an %s packet (error %d)", what, status);
      return FALSE;
    }
}

static gboolean
unprotect (BellSrtpSession *s, gboolean rtcp, guint8 *buf, gsize *len, GError **error)
{
  const char *what = rtcp ? "SRTCP" : "SRTP";
  srtp_err_status_t status;
  gboolean short_packet;
  gsize trailer;
  int n;

  g_return_val_if_fail (s != NULL, FALSE);
  g_return_val_if_fail (buf != NULL && len != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  n = (int) MIN (*len, (gsize) G_MAXINT);
  /* Shorter than header and trailer: libsrtp would find its tag in front of the packet. */
  trailer = bell_srtp_suite_get_overhead (s->suite, rtcp) + s->rx_mki_len;
  short_packet = !check_packet (buf, *len, rtcp, NULL) || *len > G_MAXINT ||
                 *len < (rtcp ? 8 : rtp_header_length (buf, *len)) + trailer;

  g_mutex_lock (&s->recv_lock);
  if (short_packet)
    status = srtp_err_status_bad_param;
  else if (rtcp)
    status = srtp_unprotect_rtcp_mki (s->rx, buf, &n, s->rx_mki_len > 0);
  else
    status = srtp_unprotect_mki (s->rx, buf, &n, s->rx_mki_len > 0);
  if (status == srtp_err_status_ok)
    s->rx_ok++;
  else if (status == srtp_err_status_replay_fail || status == srtp_err_status_replay_old)
    s->rx_replayed++;
  else
    s->rx_failed++;
  g_mutex_unlock (&s->recv_lock);

  switch (status)
    {
    case srtp_err_status_ok:
      g_assert (n >= 0 && (gsize) n <= *len);
      *len = (gsize) n;
      return TRUE;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
      g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_REPLAY,
                   "replayed %s packet dropped", what);
      return FALSE;
    case srtp_err_status_auth_fail:
    case srtp_err_status_bad_mki:
    case srtp_err_status_no_ctx:
    case srtp_err_status_cipher_fail:
      g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_AUTH,
                   "%s packet failed authentication (forged, corrupted or another key)", what);
      return FALSE;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err:
      g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_AUTH,
                   "malformed %s packet of %" G_GSIZE_FORMAT " bytes dropped", what, *len);
      return FALSE;
    default:
      g_set_error (error, BELL_SRTP_ERROR, BELL_SRTP_ERROR_AUTH,
                   "libsrtp cannot check an %s packet (error %d)", what, status);
      return FALSE;
    }
}

gboolean
bell_srtp_protect (BellSrtpSession *s, guint8 *buf, gsize *len, gsize cap, GError **error)
{
  return protect (s, FALSE, buf, len, cap, error);
}

gboolean
bell_srtp_protect_rtcp (BellSrtpSession *s, guint8 *buf, gsize *len, gsize cap, GError **error)
{
  return protect (s, TRUE, buf, len, cap, error);
}

gboolean
bell_srtp_unprotect (BellSrtpSession *s, guint8 *buf, gsize *len, GError **error)
{
  return unprotect (s, FALSE, buf, len, error);
}

gboolean
bell_srtp_unprotect_rtcp (BellSrtpSession *s, guint8 *buf, gsize *len, GError **error)
{
  return unprotect (s, TRUE, buf, len, error);
}
