/* bell-sip-tls.c: TLS sessions with OpenSSL 3 over non-blocking sockets the caller owns.
 *
 * Every SSL_* call is preceded by ERR_clear_error() and followed by draining or clearing the
 * thread's error queue, so an error never leaks into an unrelated later call. No global state:
 * OpenSSL 3 initialises itself, and the session is found from the SSL through its app data. */
#define G_LOG_DOMAIN "bell-sip-tls"

#include "bell-sip-tls.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

G_DEFINE_QUARK (bell-sip-tls-error-quark, bell_sip_tls_error)

/* How many distinct verification problems a session remembers for describe(). */
#define MAX_PROBLEMS 4
/* How many certificate names an error message lists. */
#define MAX_NAMES    4

struct _BellSipTlsConfig
{
  SSL_CTX  *ctx;
  gboolean  server;
  gboolean  accept_untrusted;
};

struct _BellSipTls
{
  BellSipTlsConfig *cfg;
  SSL              *ssl;
  char             *server_name;     /* client: the name the certificate must carry */
  gboolean          server;
  gboolean          handshake_done;
  gboolean          failed;          /* a fatal error: OpenSSL forbids SSL_shutdown after one */
  gboolean          shutdown_sent;
  gboolean          verified;
  /* What certificate verification found, in the order found, each error code once. */
  int               problems[MAX_PROBLEMS];
  guint             n_problems;
  BellSipTlsError   problem_code;    /* of the first problem */
  char             *problem_message; /* of the first problem, for the user */
  /* Pinning (client sessions) */
  char             *pin;             /* the certificate the user accepted, or NULL */
  char             *peer_fingerprint;
  char             *peer_subject;
  gboolean          pin_matched;     /* the server's leaf is the pinned certificate */
  gboolean          pinned;          /* ...and it was accepted for that despite a problem */
};

/* Errors */

/* Empties this thread's OpenSSL error queue into "error:...; error:..." (NULL when empty) and
 * returns the reason of its first SSL-library entry in *ssl_reason (0 if none). */
static char *
drain_errors (int *ssl_reason)
{
  GString *text = NULL;
  unsigned long e;

  if (ssl_reason)
    *ssl_reason = 0;
  while ((e = ERR_get_error ()) != 0)
    {
      char buf[256];

      if (ssl_reason && *ssl_reason == 0 && ERR_GET_LIB (e) == ERR_LIB_SSL)
        *ssl_reason = ERR_GET_REASON (e);
      ERR_error_string_n (e, buf, sizeof buf);
      if (!text)
        text = g_string_new (buf);
      else
        g_string_append_printf (text, "; %s", buf);
    }
  return text ? g_string_free (text, FALSE) : NULL;
}

/* Sets a BELL_SIP_TLS_ERROR whose message ends with what OpenSSL said, if anything. */
static void
set_error_drained (GError **error, BellSipTlsError code, const char *what)
{
  g_autofree char *detail = drain_errors (NULL);

  if (detail)
    g_set_error (error, BELL_SIP_TLS_ERROR, code, "TLS: %s (%s)", what, detail);
  else
    g_set_error (error, BELL_SIP_TLS_ERROR, code, "TLS: %s", what);
}

/* Peer-supplied text, reduced to printable ASCII so that it cannot forge log lines. */
static char *
printable (const unsigned char *data, gsize len)
{
  char *s = g_malloc (len + 1);

  for (gsize i = 0; i < len; i++)
    s[i] = data[i] >= 0x20 && data[i] < 0x7f ? (char) data[i] : '?';
  s[len] = '\0';
  return s;
}

/* Certificates */

/* The last (most specific) entry of nid in name, or NULL. */
static char *
name_entry (const X509_NAME *name, int nid)
{
  int i = -1, last = -1;
  unsigned char *utf8 = NULL;
  int len;
  char *text;

  if (!name)
    return NULL;
  while ((i = X509_NAME_get_index_by_NID (name, nid, i)) >= 0)
    last = i;
  if (last < 0)
    return NULL;
  len = ASN1_STRING_to_UTF8 (&utf8, X509_NAME_ENTRY_get_data (X509_NAME_get_entry (name, last)));
  if (len < 0)
    return NULL;
  text = printable (utf8, (gsize) len);
  OPENSSL_free (utf8);
  return text;
}

static char *
general_name_text (const GENERAL_NAME *gen)
{
  switch (gen->type)
    {
    case GEN_DNS:
    case GEN_URI:
      {
        const ASN1_IA5STRING *s = gen->type == GEN_DNS ? gen->d.dNSName
                                                       : gen->d.uniformResourceIdentifier;
        return printable (ASN1_STRING_get0_data (s), (gsize) ASN1_STRING_length (s));
      }
    case GEN_IPADD:
      {
        int len = ASN1_STRING_length (gen->d.iPAddress);
        g_autoptr(GInetAddress) addr = NULL;

        if (len != 4 && len != 16)
          return NULL;
        addr = g_inet_address_new_from_bytes (ASN1_STRING_get0_data (gen->d.iPAddress),
                                              len == 4 ? G_SOCKET_FAMILY_IPV4
                                                       : G_SOCKET_FAMILY_IPV6);
        return g_inet_address_to_string (addr);
      }
    default:
      return NULL;
    }
}

/* The names a certificate is for, as a user reads them: "a.example.com, 192.0.2.1 and 3 more".
 * subjectAltName DNS, IP and sip: URI entries; the subject CN when no DNS or IP entry hides it
 * (OpenSSL's rule for host names). */
static char *
cert_names (X509 *cert)
{
  GENERAL_NAMES *sans = X509_get_ext_d2i (cert, NID_subject_alt_name, NULL, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) text = g_string_new (NULL);
  gboolean dns_or_ip = FALSE;
  guint shown;

  for (int i = 0; sans && i < sk_GENERAL_NAME_num (sans); i++)
    {
      const GENERAL_NAME *gen = sk_GENERAL_NAME_value (sans, i);
      char *name = general_name_text (gen);

      if (name && gen->type == GEN_URI && g_ascii_strncasecmp (name, "sip:", 4) != 0)
        g_clear_pointer (&name, g_free);
      if (name)
        g_ptr_array_add (names, name);
      dns_or_ip |= name && gen->type != GEN_URI;
    }
  GENERAL_NAMES_free (sans);
  if (!dns_or_ip)
    {
      char *cn = name_entry (X509_get_subject_name (cert), NID_commonName);
      if (cn)
        g_ptr_array_add (names, cn);
    }
  if (names->len == 0)
    return g_strdup ("no name");

  shown = MIN (names->len, MAX_NAMES);
  for (guint i = 0; i < shown; i++)
    {
      if (i > 0)
        g_string_append (text, i + 1 == names->len ? " and " : ", ");
      g_string_append (text, g_ptr_array_index (names, i));
    }
  if (names->len > shown)
    g_string_append_printf (text, " and %u more", names->len - shown);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* RFC 5922 §7.1: a subjectAltName URI "sip:<domain>" is an identity of that domain too; OpenSSL's
 * host check only knows DNS entries. The domain must match in full: no user part, no wildcard. */
static gboolean
cert_has_sip_uri (X509 *cert, const char *host)
{
  GENERAL_NAMES *sans = X509_get_ext_d2i (cert, NID_subject_alt_name, NULL, NULL);
  gsize host_len = strlen (host);
  gboolean found = FALSE;

  for (int i = 0; sans && i < sk_GENERAL_NAME_num (sans) && !found; i++)
    {
      const GENERAL_NAME *gen = sk_GENERAL_NAME_value (sans, i);
      const char *uri;

      if (gen->type != GEN_URI)
        continue;
      uri = (const char *) ASN1_STRING_get0_data (gen->d.uniformResourceIdentifier);
      found = (gsize) ASN1_STRING_length (gen->d.uniformResourceIdentifier) == 4 + host_len
              && memchr (uri, '\0', 4 + host_len) == NULL
              && g_ascii_strncasecmp (uri, "sip:", 4) == 0
              && g_ascii_strncasecmp (uri + 4, host, host_len) == 0;
    }
  GENERAL_NAMES_free (sans);
  return found;
}

static char *
format_time (const ASN1_TIME *t)
{
  struct tm tm;

  if (!t || !ASN1_TIME_to_tm (t, &tm))
    return g_strdup ("an unreadable date");
  return g_strdup_printf ("%04d-%02d-%02d %02d:%02d UTC", tm.tm_year + 1900, tm.tm_mon + 1,
                          tm.tm_mday, tm.tm_hour, tm.tm_min);
}

/* Why a certificate is not trusted, in words for the user. */
static char *
untrusted_reason (int err, X509 *cert)
{
  switch (err)
    {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return g_strdup ("self-signed certificate");
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      {
        g_autofree char *issuer = cert ? name_entry (X509_get_issuer_name (cert),
                                                     NID_commonName) : NULL;
        if (issuer)
          return g_strdup_printf ("issued by an unknown certificate authority, \"%s\"", issuer);
        return g_strdup ("issued by an unknown certificate authority");
      }
    default:
      return g_strdup (X509_verify_cert_error_string (err));
    }
}

static void
record_problem (BellSipTls *tls, int err, int depth, X509 *cert)
{
  const char *name = tls->server_name;

  for (guint i = 0; i < tls->n_problems; i++)
    if (tls->problems[i] == err)
      return;
  if (tls->n_problems < MAX_PROBLEMS)
    tls->problems[tls->n_problems++] = err;
  if (tls->problem_message)
    return;

  switch (err)
    {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      {
        g_autofree char *names = cert ? cert_names (cert) : g_strdup ("no name");
        tls->problem_code = BELL_SIP_TLS_ERROR_CERT_HOSTNAME_MISMATCH;
        tls->problem_message = g_strdup_printf ("certificate is for %s, not %s", names, name);
        break;
      }
    case X509_V_ERR_CERT_HAS_EXPIRED:
      {
        g_autofree char *when = format_time (cert ? X509_get0_notAfter (cert) : NULL);
        tls->problem_code = BELL_SIP_TLS_ERROR_CERT_EXPIRED;
        if (depth == 0)
          tls->problem_message = g_strdup_printf ("certificate of %s expired on %s", name, when);
        else
          {
            g_autofree char *ca = cert ? name_entry (X509_get_subject_name (cert),
                                                     NID_commonName) : NULL;
            tls->problem_message = g_strdup_printf ("certificate of %s was issued by a "
                                                    "certificate authority (%s) that expired "
                                                    "on %s", name, ca ? ca : "?", when);
          }
        break;
      }
    case X509_V_ERR_CERT_NOT_YET_VALID:
      {
        g_autofree char *when = format_time (cert ? X509_get0_notBefore (cert) : NULL);
        tls->problem_code = BELL_SIP_TLS_ERROR_CERT_EXPIRED;
        tls->problem_message = g_strdup_printf ("certificate of %s is not valid before %s "
                                                "(is this computer's clock right?)", name, when);
        break;
      }
    default:
      {
        g_autofree char *reason = untrusted_reason (err, cert);
        tls->problem_code = BELL_SIP_TLS_ERROR_CERT_UNTRUSTED;
        tls->problem_message = g_strdup_printf ("certificate of %s is not trusted (%s)", name,
                                                reason);
        break;
      }
    }
}

/* Pins */

#define PIN_PREFIX "sha256:"
#define PIN_BYTES  32

static char *
format_fingerprint (const guint8 *md, gsize len)
{
  GString *text = g_string_new (PIN_PREFIX);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (text, i ? ":%02X" : "%02X", md[i]);
  return g_string_free (text, FALSE);
}

char *
bell_sip_tls_fingerprint_der (const guint8 *der, gsize len)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 md[PIN_BYTES];
  gsize md_len = sizeof md;

  g_return_val_if_fail (der != NULL || len == 0, NULL);

  g_checksum_update (sum, der, (gssize) len);
  g_checksum_get_digest (sum, md, &md_len);
  return format_fingerprint (md, md_len);
}

char *
bell_sip_tls_pin_normalize (const char *text, GError **error)
{
  guint8 md[PIN_BYTES];
  gsize n = 0;
  int high = -1;

  g_return_val_if_fail (text != NULL, NULL);

  while (g_ascii_isspace (*text))
    text++;
  if (g_ascii_strncasecmp (text, PIN_PREFIX, strlen (PIN_PREFIX)) == 0)
    text += strlen (PIN_PREFIX);
  for (const char *c = text; *c; c++)
    {
      int v = g_ascii_xdigit_value (*c);

      if (*c == ':' || g_ascii_isspace (*c))
        {
          if (high >= 0)
            goto bad;   /* half a byte */
          continue;
        }
      if (v < 0 || n == PIN_BYTES)
        goto bad;
      if (high < 0)
        high = v;
      else
        {
          md[n++] = (guint8) (high << 4 | v);
          high = -1;
        }
    }
  if (n == PIN_BYTES && high < 0)
    return format_fingerprint (md, n);
bad:
  g_set_error (error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_CONFIG,
               "not a certificate fingerprint: a pin is \"sha256:\" and 32 bytes in hex "
               "(AB:CD:...)");
  return NULL;
}

static char *
subject_text (X509 *cert)
{
  BIO *bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long len;
  char *text;

  if (!bio)
    return NULL;
  X509_NAME_print_ex (bio, X509_get_subject_name (cert), 0, XN_FLAG_RFC2253);
  len = BIO_get_mem_data (bio, &data);
  text = printable ((const unsigned char *) data, len > 0 ? (gsize) len : 0);
  BIO_free (bio);
  return text;
}

/* Notes the server's leaf certificate (once) and whether it is the pinned one. */
static void
remember_peer (BellSipTls *tls, X509 *leaf)
{
  guint8 md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;

  if (tls->peer_fingerprint || !leaf)
    return;
  if (!X509_digest (leaf, EVP_sha256 (), md, &md_len))
    {
      ERR_clear_error ();
      return;
    }
  tls->peer_fingerprint = format_fingerprint (md, md_len);
  tls->peer_subject = subject_text (leaf);
  tls->pin_matched = tls->pin && strcmp (tls->pin, tls->peer_fingerprint) == 0;
}

/* Called by OpenSSL for each certificate of the chain and for each problem. Records every
 * problem; fails the handshake on the first one unless the configuration accepts anything or
 * the certificate is the pinned one. */
static int
on_verify (int ok, X509_STORE_CTX *store)
{
  SSL *ssl = X509_STORE_CTX_get_ex_data (store, SSL_get_ex_data_X509_STORE_CTX_idx ());
  BellSipTls *tls = ssl ? SSL_get_app_data (ssl) : NULL;
  int err;

  if (!tls || tls->server)
    return ok;
  remember_peer (tls, X509_STORE_CTX_get0_cert (store));
  if (ok)
    return ok;
  err = X509_STORE_CTX_get_error (store);
  if (err == X509_V_ERR_HOSTNAME_MISMATCH
      && cert_has_sip_uri (X509_STORE_CTX_get0_cert (store), tls->server_name))
    {
      X509_STORE_CTX_set_error (store, X509_V_OK);
      return 1;
    }
  record_problem (tls, err, X509_STORE_CTX_get_error_depth (store),
                  X509_STORE_CTX_get_current_cert (store));
  /* The user accepted exactly this certificate, having been told what is wrong with it. The
   * store keeps the error, so the session does not count as verified. */
  if (tls->pin_matched)
    {
      tls->pinned = TRUE;
      return 1;
    }
  return tls->cfg->accept_untrusted ? 1 : 0;
}

/* Configurations */

static BellSipTlsConfig *
config_new (const SSL_METHOD *method, gboolean server, GError **error)
{
  BellSipTlsConfig *cfg;
  SSL_CTX *ctx;

  ERR_clear_error ();
  ctx = SSL_CTX_new (method);
  if (!ctx)
    {
      set_error_drained (error, BELL_SIP_TLS_ERROR_CONFIG, "cannot create a TLS context");
      return NULL;
    }
  /* Explicit, so that neither OpenSSL's defaults nor openssl.cnf change what we accept. */
  SSL_CTX_set_min_proto_version (ctx, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version (ctx, 0);
  /* Renegotiation buys SIP nothing and costs a peer-triggered CPU drain. */
  SSL_CTX_set_options (ctx, SSL_OP_NO_RENEGOTIATION);
  /* A record is deciphered in place and stays in OpenSSL's read buffer until the next one
   * overwrites it: an SDP's a=crypto key with it. Cleansed once we have read it. */
  SSL_CTX_set_options (ctx, SSL_OP_CLEANSE_PLAINTEXT);
  /* A write queue hands us its head again after a short write, perhaps moved and grown. */
  SSL_CTX_set_mode (ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  ERR_clear_error ();

  cfg = g_atomic_rc_box_new0 (BellSipTlsConfig);
  cfg->ctx = ctx;
  cfg->server = server;
  return cfg;
}

BellSipTlsConfig *
bell_sip_tls_config_new_client (const char *ca_file, gboolean accept_untrusted, GError **error)
{
  g_autoptr(BellSipTlsConfig) cfg = config_new (TLS_client_method (), FALSE, error);

  if (!cfg)
    return NULL;
  cfg->accept_untrusted = accept_untrusted;

  ERR_clear_error ();
  if (ca_file)
    {
      if (!SSL_CTX_load_verify_file (cfg->ctx, ca_file))
        {
          g_autofree char *what = g_strdup_printf ("cannot load CA certificates from %s",
                                                   ca_file);
          set_error_drained (error, BELL_SIP_TLS_ERROR_CONFIG, what);
          return NULL;
        }
    }
  else if (!SSL_CTX_set_default_verify_paths (cfg->ctx))
    {
      set_error_drained (error, BELL_SIP_TLS_ERROR_CONFIG,
                         "cannot load the system's trusted certificates");
      return NULL;
    }
  ERR_clear_error ();
  /* With accept_untrusted OpenSSL still verifies the chain and the name; on_verify records the
   * problems and lets the handshake go on. */
  SSL_CTX_set_verify (cfg->ctx, accept_untrusted ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, on_verify);
  return g_steal_pointer (&cfg);
}

/* An encrypted key must fail to load rather than prompt on the terminal. */
static int
on_no_password (char *buf, int size, int rwflag, void *user_data)
{
  return 0;
}

BellSipTlsConfig *
bell_sip_tls_config_new_server (const char *cert_file, const char *key_file, GError **error)
{
  g_autoptr(BellSipTlsConfig) cfg = NULL;

  g_return_val_if_fail (cert_file != NULL, NULL);
  g_return_val_if_fail (key_file != NULL, NULL);

  cfg = config_new (TLS_server_method (), TRUE, error);
  if (!cfg)
    return NULL;
  SSL_CTX_set_default_passwd_cb (cfg->ctx, on_no_password);

  ERR_clear_error ();
  if (SSL_CTX_use_certificate_chain_file (cfg->ctx, cert_file) != 1)
    {
      g_autofree char *what = g_strdup_printf ("cannot load the certificate from %s", cert_file);
      set_error_drained (error, BELL_SIP_TLS_ERROR_CONFIG, what);
      return NULL;
    }
  if (SSL_CTX_use_PrivateKey_file (cfg->ctx, key_file, SSL_FILETYPE_PEM) != 1)
    {
      unsigned long e = ERR_peek_last_error ();
      g_autofree char *what = NULL;

      if (ERR_GET_LIB (e) == ERR_LIB_X509 && ERR_GET_REASON (e) == X509_R_KEY_VALUES_MISMATCH)
        what = g_strdup_printf ("the private key in %s does not belong to the certificate in %s",
                                key_file, cert_file);
      else
        what = g_strdup_printf ("cannot load the private key from %s (it must be PEM, not "
                                "encrypted)", key_file);
      set_error_drained (error, BELL_SIP_TLS_ERROR_CONFIG, what);
      return NULL;
    }
  /* Catches what loading cannot, e.g. a certificate whose key type the key does not match. */
  if (SSL_CTX_check_private_key (cfg->ctx) != 1)
    {
      g_autofree char *what = g_strdup_printf ("the private key in %s does not belong to the "
                                               "certificate in %s", key_file, cert_file);
      set_error_drained (error, BELL_SIP_TLS_ERROR_CONFIG, what);
      return NULL;
    }
  ERR_clear_error ();
  SSL_CTX_set_verify (cfg->ctx, SSL_VERIFY_NONE, NULL);
  return g_steal_pointer (&cfg);
}

BellSipTlsConfig *
bell_sip_tls_config_ref (BellSipTlsConfig *cfg)
{
  g_return_val_if_fail (cfg != NULL, NULL);

  return g_atomic_rc_box_acquire (cfg);
}

static void
config_clear (gpointer data)
{
  BellSipTlsConfig *cfg = data;

  SSL_CTX_free (cfg->ctx);
}

void
bell_sip_tls_config_unref (BellSipTlsConfig *cfg)
{
  g_return_if_fail (cfg != NULL);

  g_atomic_rc_box_release_full (cfg, config_clear);
}

gboolean
bell_sip_tls_config_get_accept_untrusted (BellSipTlsConfig *cfg)
{
  g_return_val_if_fail (cfg != NULL, FALSE);

  return cfg->accept_untrusted;
}

/* Sessions */

static BellSipTls *
session_new (BellSipTlsConfig *cfg, int fd, GError **error)
{
  g_autoptr(BellSipTls) tls = g_new0 (BellSipTls, 1);

  tls->cfg = bell_sip_tls_config_ref (cfg);
  tls->server = cfg->server;
  ERR_clear_error ();
  tls->ssl = SSL_new (cfg->ctx);
  /* SSL_set_fd makes a BIO_NOCLOSE socket BIO: the fd stays the caller's. */
  if (!tls->ssl || !SSL_set_fd (tls->ssl, fd))
    {
      set_error_drained (error, BELL_SIP_TLS_ERROR_CONFIG, "cannot create a TLS session");
      return NULL;
    }
  SSL_set_app_data (tls->ssl, tls);
  return g_steal_pointer (&tls);
}

BellSipTls *
bell_sip_tls_new_client (BellSipTlsConfig *cfg, int fd, const char *server_name, GError **error)
{
  g_autoptr(BellSipTls) tls = NULL;
  g_autofree char *name = NULL;
  X509_VERIFY_PARAM *param;
  gsize len;
  gboolean is_ip, ok;

  g_return_val_if_fail (cfg != NULL && !cfg->server, NULL);
  g_return_val_if_fail (fd >= 0, NULL);
  g_return_val_if_fail (server_name != NULL, NULL);

  /* "[2001:db8::1]" as in a URI, "example.com." as in DNS: neither is how certificates or SNI
   * spell a name. */
  len = strlen (server_name);
  if (len >= 2 && server_name[0] == '[' && server_name[len - 1] == ']')
    name = g_strndup (server_name + 1, len - 2);
  else if (len >= 2 && server_name[len - 1] == '.')
    name = g_strndup (server_name, len - 1);
  else
    name = g_strdup (server_name);
  is_ip = g_hostname_is_ip_address (name);
  if (is_ip && strchr (name, '%'))
    *strchr (name, '%') = '\0';   /* an IPv6 zone is local, not part of the address */
  if (*name == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "TLS: no server name to verify the certificate against");
      return NULL;
    }

  tls = session_new (cfg, fd, error);
  if (!tls)
    return NULL;
  tls->server_name = g_steal_pointer (&name);

  ERR_clear_error ();
  param = SSL_get0_param (tls->ssl);
  X509_VERIFY_PARAM_set_hostflags (param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (is_ip)
    ok = X509_VERIFY_PARAM_set1_ip_asc (param, tls->server_name);
  else
    ok = X509_VERIFY_PARAM_set1_host (param, tls->server_name, 0)
         && SSL_set_tlsext_host_name (tls->ssl, tls->server_name);
  if (!ok)
    {
      g_autofree char *detail = drain_errors (NULL);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "TLS: \"%s\" is not a valid server name%s%s%s", tls->server_name,
                   detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
      return NULL;
    }
  SSL_set_connect_state (tls->ssl);
  return g_steal_pointer (&tls);
}

BellSipTls *
bell_sip_tls_new_server (BellSipTlsConfig *cfg, int fd, GError **error)
{
  BellSipTls *tls;

  g_return_val_if_fail (cfg != NULL && cfg->server, NULL);
  g_return_val_if_fail (fd >= 0, NULL);

  tls = session_new (cfg, fd, error);
  if (tls)
    SSL_set_accept_state (tls->ssl);
  return tls;
}

static gboolean
would_block (GIOCondition *want, GIOCondition cond, GError **error)
{
  ERR_clear_error ();
  *want = cond;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "TLS: would block");
  return FALSE;
}

static gboolean
check_usable (BellSipTls *tls, GError **error)
{
  if (tls->failed)
    {
      g_set_error_literal (error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_PROTOCOL,
                           "TLS: the session already failed");
      return FALSE;
    }
  if (!tls->handshake_done)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                           "TLS: the handshake is not complete");
      return FALSE;
    }
  return TRUE;
}

/* The user's words for an SSL-library reason of a failed handshake; NULL for the generic one. */
static const char *
handshake_reason (int reason, BellSipTlsError *code)
{
  *code = BELL_SIP_TLS_ERROR_PROTOCOL;
  switch (reason)
    {
    case SSL_R_UNSUPPORTED_PROTOCOL:
    case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
    case SSL_R_VERSION_TOO_LOW:
    case SSL_R_NO_PROTOCOLS_AVAILABLE:
      return "no TLS version in common with the peer (TLS 1.2 or later is required)";
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_HTTP_REQUEST:
    case SSL_R_HTTPS_PROXY_REQUEST:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_RECORD_LENGTH_MISMATCH:
    case SSL_R_LENGTH_TOO_SHORT:
    case SSL_R_UNEXPECTED_RECORD:
    case SSL_R_UNEXPECTED_MESSAGE:
    case SSL_R_BAD_PACKET_LENGTH:
    case SSL_R_ENCRYPTED_LENGTH_TOO_LONG:
      return "the peer does not speak TLS (plain SIP or another protocol on a TLS port?)";
    }
  *code = BELL_SIP_TLS_ERROR_HANDSHAKE;
  switch (reason)
    {
    case SSL_R_UNEXPECTED_EOF_WHILE_READING:
      return "the peer closed the connection during the handshake";
    case SSL_R_NO_SHARED_CIPHER:
    case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
      return "no cipher suite in common with the peer";
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
      *code = BELL_SIP_TLS_ERROR_CERT_UNTRUSTED;
      return "the server's certificate could not be verified";
    }
  /* An alert from the peer: its name (unknown ca, certificate expired...) follows in the
   * OpenSSL text. */
  if (reason >= SSL_AD_REASON_OFFSET)
    return "the peer refused the handshake";
  return NULL;
}

/* The certificate was refused: why, and (for a user who may pin it) which certificate. A
 * session with a pin refuses only a certificate that is not the pinned one: it changed. */
static void
cert_failed (BellSipTls *tls, GError **error)
{
  g_autoptr(GString) text = g_string_new ("TLS: ");
  BellSipTlsError code = tls->problem_code;
  /* Names from the certificate (the peer's words) lose their brackets, so that the report's
   * own " [certificate ...]" is the first and cannot be forged by them. */
  g_autofree char *problem = g_strdelimit (g_strdup (tls->problem_message), "[]", '?');
  g_autofree char *subject = g_strdelimit (g_strdup (tls->peer_subject ? tls->peer_subject
                                                                       : ""), "[]", '?');

  if (tls->pin && !tls->pin_matched)
    {
      code = BELL_SIP_TLS_ERROR_CERT_CHANGED;
      g_string_append_printf (text, "the certificate of %s has changed since it was trusted, "
                              "and the new one is not trusted either (%s)", tls->server_name,
                              problem);
    }
  else
    g_string_append (text, problem);
  if (tls->peer_fingerprint)
    {
      g_string_append_printf (text, " [certificate %s", tls->peer_fingerprint);
      if (code == BELL_SIP_TLS_ERROR_CERT_CHANGED)
        g_string_append_printf (text, "; pinned %s", tls->pin);
      g_string_append_printf (text, "; subject %s]", subject);
    }
  g_set_error_literal (error, BELL_SIP_TLS_ERROR, code, text->str);
}

static gboolean
handshake_failed (BellSipTls *tls, int ssl_error, int saved_errno, GError **error)
{
  BellSipTlsError code = BELL_SIP_TLS_ERROR_HANDSHAKE;
  g_autofree char *detail = NULL;
  const char *what = NULL;
  int reason = 0;

  tls->failed = TRUE;
  detail = drain_errors (&reason);
  if (tls->problem_message && !tls->cfg->accept_untrusted)
    {
      cert_failed (tls, error);
      return FALSE;
    }
  if (ssl_error == SSL_ERROR_SYSCALL && saved_errno != 0)
    {
      g_set_error (error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_HANDSHAKE,
                   "TLS: handshake failed: %s", g_strerror (saved_errno));
      return FALSE;
    }
  if (ssl_error == SSL_ERROR_SYSCALL || ssl_error == SSL_ERROR_ZERO_RETURN)
    what = "the peer closed the connection during the handshake";
  else
    what = handshake_reason (reason, &code);
  if (!what)
    what = "handshake failed";
  if (detail)
    g_set_error (error, BELL_SIP_TLS_ERROR, code, "TLS: %s (%s)", what, detail);
  else
    g_set_error (error, BELL_SIP_TLS_ERROR, code, "TLS: %s", what);
  return FALSE;
}

gboolean
bell_sip_tls_handshake (BellSipTls *tls, GIOCondition *want, GError **error)
{
  int ret, saved_errno, ssl_error;
  X509 *peer;

  g_return_val_if_fail (tls != NULL, FALSE);
  g_return_val_if_fail (want != NULL, FALSE);

  *want = 0;
  if (tls->handshake_done)
    return TRUE;
  if (tls->failed)
    return check_usable (tls, error);

  ERR_clear_error ();
  errno = 0;
  ret = SSL_do_handshake (tls->ssl);
  saved_errno = errno;
  if (ret == 1)
    {
      ERR_clear_error ();
      tls->handshake_done = TRUE;
      peer = SSL_get0_peer_certificate (tls->ssl);
      tls->verified = !tls->server && peer && tls->n_problems == 0
                      && SSL_get_verify_result (tls->ssl) == X509_V_OK;
      if (!tls->server)
        remember_peer (tls, peer);
      if (tls->pin && !tls->pin_matched && tls->verified)
        g_message ("TLS: the certificate of %s is not the pinned one (%s) but verifies against "
                   "the trusted certificate authorities (a renewal?): accepted", tls->server_name,
                   tls->pin);
      return TRUE;
    }
  ssl_error = SSL_get_error (tls->ssl, ret);
  if (ssl_error == SSL_ERROR_WANT_READ)
    return would_block (want, G_IO_IN, error);
  if (ssl_error == SSL_ERROR_WANT_WRITE)
    return would_block (want, G_IO_OUT, error);
  return handshake_failed (tls, ssl_error, saved_errno, error);
}

/* After a failed SSL_read_ex/SSL_write_ex: would-block, clean close (reads) or an error. */
static gssize
io_failed (BellSipTls *tls, gboolean reading, int saved_errno, GIOCondition *want,
           GError **error)
{
  int ssl_error = SSL_get_error (tls->ssl, 0);
  g_autofree char *detail = NULL;
  int reason = 0;

  switch (ssl_error)
    {
    case SSL_ERROR_WANT_READ:
      would_block (want, G_IO_IN, error);
      return -1;
    case SSL_ERROR_WANT_WRITE:
      would_block (want, G_IO_OUT, error);
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      ERR_clear_error ();
      if (reading)
        return 0;
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                           "TLS: the peer closed the session");
      return -1;
    default:
      break;
    }

  tls->failed = TRUE;
  detail = drain_errors (&reason);
  if (ssl_error == SSL_ERROR_SYSCALL && saved_errno != 0)
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "TLS: %s",
                 g_strerror (saved_errno));
  else if (ssl_error == SSL_ERROR_SYSCALL || reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                         "TLS: the connection closed without a TLS close_notify (data may "
                         "have been cut off)");
  else
    g_set_error (error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_PROTOCOL, "TLS: %s%s%s",
                 reading ? "receiving failed" : "sending failed", detail ? ": " : "",
                 detail ? detail : "");
  return -1;
}

gssize
bell_sip_tls_read (BellSipTls *tls, void *buf, gsize len, GIOCondition *want, GError **error)
{
  size_t n = 0;
  int saved_errno;

  g_return_val_if_fail (tls != NULL, -1);
  g_return_val_if_fail (buf != NULL && len > 0, -1);
  g_return_val_if_fail (want != NULL, -1);

  *want = 0;
  if (!check_usable (tls, error))
    return -1;
  len = MIN (len, G_MAXSSIZE);
  ERR_clear_error ();
  errno = 0;
  if (SSL_read_ex (tls->ssl, buf, len, &n))
    return (gssize) n;
  saved_errno = errno;
  return io_failed (tls, TRUE, saved_errno, want, error);
}

gssize
bell_sip_tls_write (BellSipTls *tls, const void *buf, gsize len, GIOCondition *want,
                    GError **error)
{
  size_t n = 0;
  int saved_errno;

  g_return_val_if_fail (tls != NULL, -1);
  g_return_val_if_fail (buf != NULL && len > 0, -1);
  g_return_val_if_fail (want != NULL, -1);

  *want = 0;
  if (!check_usable (tls, error))
    return -1;
  len = MIN (len, G_MAXSSIZE);
  ERR_clear_error ();
  errno = 0;
  if (SSL_write_ex (tls->ssl, buf, len, &n))
    return (gssize) n;
  saved_errno = errno;
  return io_failed (tls, FALSE, saved_errno, want, error);
}

gboolean
bell_sip_tls_pending (BellSipTls *tls)
{
  g_return_val_if_fail (tls != NULL, FALSE);

  /* Only decrypted bytes: SSL_has_pending() is also true for half a record, which needs the
   * socket anyway, and would make the caller spin. */
  return tls->handshake_done && !tls->failed && SSL_pending (tls->ssl) > 0;
}

void
bell_sip_tls_shutdown (BellSipTls *tls)
{
  g_return_if_fail (tls != NULL);

  if (!tls->handshake_done || tls->failed || tls->shutdown_sent)
    return;
  tls->shutdown_sent = TRUE;
  ERR_clear_error ();
  /* Sends close_notify, or queues it if the socket is full; we never wait for the peer's. */
  SSL_shutdown (tls->ssl);
  ERR_clear_error ();
}

char *
bell_sip_tls_describe (BellSipTls *tls)
{
  GString *text;
  X509 *peer;

  g_return_val_if_fail (tls != NULL, NULL);

  if (!tls->handshake_done)
    return g_strdup (tls->failed ? "TLS handshake failed" : "TLS handshake not complete");

  text = g_string_new (NULL);
  g_string_append_printf (text, "%s %s", SSL_get_version (tls->ssl),
                          SSL_CIPHER_get_name (SSL_get_current_cipher (tls->ssl)));
  if (tls->server)
    {
      g_string_append (text, ", client not authenticated");
      return g_string_free (text, FALSE);
    }

  peer = SSL_get0_peer_certificate (tls->ssl);
  if (peer)
    {
      g_autofree char *cn = name_entry (X509_get_subject_name (peer), NID_commonName);
      g_autofree char *issuer = name_entry (X509_get_issuer_name (peer), NID_commonName);

      g_string_append_printf (text, ", peer CN=%s (issuer CN=%s)", cn ? cn : "(none)",
                              issuer ? issuer : "(none)");
    }
  else
    g_string_append (text, ", no peer certificate");

  if (tls->verified)
    g_string_append (text, ", verified");
  else if (tls->pinned)
    {
      g_string_append_printf (text, ", accepted by its pin %s (", tls->peer_fingerprint);
      for (guint i = 0; i < tls->n_problems; i++)
        g_string_append_printf (text, "%s%s", i == 0 ? "" : "; ",
                                X509_verify_cert_error_string (tls->problems[i]));
      g_string_append_c (text, ')');
    }
  else
    {
      g_string_append (text, ", UNVERIFIED (accept-untrusted");
      for (guint i = 0; i < tls->n_problems; i++)
        g_string_append_printf (text, "%s%s", i == 0 ? ": " : "; ",
                                X509_verify_cert_error_string (tls->problems[i]));
      g_string_append_c (text, ')');
    }
  return g_string_free (text, FALSE);
}

gboolean
bell_sip_tls_is_verified (BellSipTls *tls)
{
  g_return_val_if_fail (tls != NULL, FALSE);

  return tls->verified;
}

void
bell_sip_tls_set_pin (BellSipTls *tls, const char *pin)
{
  g_return_if_fail (tls != NULL && !tls->server);
  g_return_if_fail (!tls->handshake_done && !tls->peer_fingerprint);

  g_free (tls->pin);
  tls->pin = g_strdup (pin);
}

const char *
bell_sip_tls_get_peer_fingerprint (BellSipTls *tls)
{
  g_return_val_if_fail (tls != NULL, NULL);

  return tls->peer_fingerprint;
}

const char *
bell_sip_tls_get_peer_subject (BellSipTls *tls)
{
  g_return_val_if_fail (tls != NULL, NULL);

  return tls->peer_subject;
}

gboolean
bell_sip_tls_is_pinned (BellSipTls *tls)
{
  g_return_val_if_fail (tls != NULL, FALSE);

  return tls->handshake_done && tls->pinned;
}

void
bell_sip_tls_cert_report_clear (BellSipTlsCertReport *report)
{
  g_clear_pointer (&report->fingerprint, g_free);
  g_clear_pointer (&report->pinned, g_free);
  g_clear_pointer (&report->subject, g_free);
}

/* "sha256:" and 32 hex bytes at *p: the pin, *p moved past it; NULL otherwise. */
static char *
take_pin (const char **p)
{
  gsize len = strlen (PIN_PREFIX) + PIN_BYTES * 3 - 1;
  g_autofree char *copy = NULL;

  if (strncmp (*p, PIN_PREFIX, strlen (PIN_PREFIX)) != 0 || strlen (*p) < len)
    return NULL;
  copy = g_strndup (*p, len);
  *p += len;
  return bell_sip_tls_pin_normalize (copy, NULL);
}

gboolean
bell_sip_tls_cert_report_parse (const char *message, BellSipTlsCertReport *report)
{
  const char *p, *end;

  g_return_val_if_fail (report != NULL, FALSE);

  bell_sip_tls_cert_report_clear (report);
  p = message ? strstr (message, " [certificate ") : NULL;
  if (!p)
    return FALSE;
  p += strlen (" [certificate ");
  end = strchr (p, ']');
  if (!end || !(report->fingerprint = take_pin (&p)))
    goto bad;
  if (g_str_has_prefix (p, "; pinned "))
    {
      p += strlen ("; pinned ");
      if (!(report->pinned = take_pin (&p)))
        goto bad;
    }
  if (!g_str_has_prefix (p, "; subject ") || p > end)
    goto bad;
  p += strlen ("; subject ");
  /* The subject is the peer's text, without brackets (cert_failed). */
  report->subject = g_strndup (p, (gsize) MAX (end - p, 0));
  return TRUE;

bad:
  bell_sip_tls_cert_report_clear (report);
  return FALSE;
}

void
bell_sip_tls_free (BellSipTls *tls)
{
  if (!tls)
    return;
  SSL_free (tls->ssl);
  ERR_clear_error ();
  g_clear_pointer (&tls->cfg, bell_sip_tls_config_unref);
  g_free (tls->server_name);
  g_free (tls->problem_message);
  g_free (tls->pin);
  g_free (tls->peer_fingerprint);
  g_free (tls->peer_subject);
  g_free (tls);
}
