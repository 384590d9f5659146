/* test-tls-pin.c: certificate pins (bell-sip-tls.h "Certificate pins") over loopback TCP, with
 * certificates made by the openssl command in a temporary directory: two self-signed ones with
 * different keys, and a test CA with a certificate it signed. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>

#include "bell-clock.h"
#include "bell-sip-tls.h"
#include "bell-sip-transport-tls.h"

#define TIMEOUT_US (30 * G_USEC_PER_SEC)

static char *cert_dir;

static char *
cert_path (const char *name)
{
  return g_build_filename (cert_dir, name, NULL);
}

/* Runs openssl in cert_dir with the NULL-terminated arguments; its stdout, or a test failure. */
static char *
openssl (const char *first, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  const char *arg;
  va_list ap;
  int status;

  g_ptr_array_add (argv, (gpointer) "openssl");
  va_start (ap, first);
  for (arg = first; arg; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (cert_dir, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("openssl %s: %s", first, err);
  return out;
}

static void
self_signed (const char *name, const char *cn)
{
  g_autofree char *key = g_strconcat (name, ".key", NULL);
  g_autofree char *pem = g_strconcat (name, ".pem", NULL);
  g_autofree char *subj = g_strconcat ("/CN=", cn, "/O=Bellbird Tests", NULL);

  g_free (openssl ("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                   "-nodes", "-keyout", key, "-out", pem, "-days", "2", "-subj", subj,
                   "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", NULL));
}

static void
make_certificates (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ext = NULL;

  cert_dir = g_dir_make_tmp ("bell-tls-pin-XXXXXX", &error);
  g_assert_no_error (error);
  self_signed ("self", "localhost");
  self_signed ("other", "localhost");   /* the same name, another key: a changed certificate */
  g_free (openssl ("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                   "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj",
                   "/CN=Bellbird Pin Test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                   "-addext", "keyUsage=critical,keyCertSign,cRLSign", NULL));
  ext = cert_path ("leaf.ext");
  g_file_set_contents (ext, "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                       "subjectAltName=IP:127.0.0.1,DNS:localhost\n", -1, &error);
  g_assert_no_error (error);
  g_free (openssl ("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                   "-keyout", "signed.key", "-out", "signed.csr", "-subj", "/CN=localhost", NULL));
  g_free (openssl ("x509", "-req", "-in", "signed.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                   "-set_serial", "7", "-days", "2", "-extfile", "leaf.ext", "-out",
                   "signed.pem", NULL));
}

static void
remove_certificates (void)
{
  g_autoptr(GDir) dir = g_dir_open (cert_dir, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *path = cert_path (name);
      g_unlink (path);
    }
  g_rmdir (cert_dir);
  g_clear_pointer (&cert_dir, g_free);
}

/* What openssl itself says the SHA-256 fingerprint of name.pem is: "AB:CD:..." */
static char *
openssl_fingerprint (const char *name)
{
  g_autofree char *pem = g_strconcat (name, ".pem", NULL);
  g_autofree char *out = openssl ("x509", "-noout", "-fingerprint", "-sha256", "-in", pem, NULL);
  const char *eq = strchr (out, '=');

  g_assert_nonnull (eq);
  return g_strstrip (g_strdup (eq + 1));
}

/* Our pin of name.pem, computed from its DER bytes. */
static char *
pin_of (const char *name)
{
  g_autofree char *pem = g_strconcat (name, ".pem", NULL);
  g_autofree char *der_name = g_strconcat (name, ".der", NULL);
  g_autofree char *path = cert_path (der_name);
  g_autoptr(GError) error = NULL;
  g_autofree char *der = NULL;
  gsize len = 0;

  g_free (openssl ("x509", "-in", pem, "-outform", "DER", "-out", der_name, NULL));
  g_file_get_contents (path, &der, &len, &error);
  g_assert_no_error (error);
  return bell_sip_tls_fingerprint_der ((const guint8 *) der, len);
}

/* The fingerprint is the SHA-256 of the DER certificate, as openssl prints it, with "sha256:". */
static void
test_fingerprint (void)
{
  const char *names[] = { "self", "other", "signed" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *ours = pin_of (names[i]);
      g_autofree char *theirs = openssl_fingerprint (names[i]);
      g_autofree char *expected = g_strconcat ("sha256:", theirs, NULL);

      g_assert_cmpstr (ours, ==, expected);
      g_assert_cmpuint (strlen (ours), ==, strlen ("sha256:") + 32 * 3 - 1);
    }
  {
    g_autofree char *a = pin_of ("self");
    g_autofree char *b = pin_of ("other");
    g_assert_cmpstr (a, !=, b);
  }
}

static void
test_normalize (void)
{
  const char *canonical = "sha256:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                          "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";
  const char *good[] = {
    canonical,
    "SHA256:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:"
    "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff",
    "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF",
    "  sha256:00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF "
    "00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF",
  };
  const char *bad[] = {
    "",
    "sha256:",
    "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEE",      /* 31 bytes */
    "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF00",  /* 33 bytes */
    "0:0112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF",   /* half a byte */
    "sha1:00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF",
    "0g112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *pin = bell_sip_tls_pin_normalize (good[i], &error);

      g_assert_no_error (error);
      g_assert_cmpstr (pin, ==, canonical);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *pin = bell_sip_tls_pin_normalize (bad[i], &error);

      g_assert_null (pin);
      g_assert_error (error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_CONFIG);
    }
}

static void
test_report_parse (void)
{
  const char *fp = "sha256:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                   "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";
  const char *fp2 = "sha256:FF:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:00";
  g_auto(BellSipTlsCertReport) r = { 0 };
  g_autofree char *untrusted = g_strdup_printf ("TLS: certificate of h is not trusted (x) "
                                                "[certificate %s; subject CN=h,O=x]", fp);
  /* Text may follow the report (a retry's words), with brackets of its own. */
  g_autofree char *tricky = g_strdup_printf ("TLS: the certificate of h has changed "
                                             "[certificate %s; pinned %s; subject CN=a]; "
                                             "then [certificate %s; subject CN=b]", fp, fp2, fp2);
  g_autofree char *truncated = g_strdup_printf ("TLS: x [certificate %.40s", fp);

  g_assert_true (bell_sip_tls_cert_report_parse (untrusted, &r));
  g_assert_cmpstr (r.fingerprint, ==, fp);
  g_assert_null (r.pinned);
  g_assert_cmpstr (r.subject, ==, "CN=h,O=x");

  g_assert_true (bell_sip_tls_cert_report_parse (tricky, &r));
  g_assert_cmpstr (r.fingerprint, ==, fp);
  g_assert_cmpstr (r.pinned, ==, fp2);
  g_assert_cmpstr (r.subject, ==, "CN=a");

  g_assert_false (bell_sip_tls_cert_report_parse (truncated, &r));
  g_assert_null (r.fingerprint);
  g_assert_false (bell_sip_tls_cert_report_parse ("TLS: handshake failed", &r));
  g_assert_false (bell_sip_tls_cert_report_parse (NULL, &r));
  g_assert_false (bell_sip_tls_cert_report_parse ("[certificate sha256:zz; subject x]", &r));
}

/* Handshakes between a client session and a server session on a loopback pair. */

typedef struct
{
  GSocket *listener, *client, *server;
} Pair;

static void
pair_open (Pair *p)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  p->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                              G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (p->listener, any, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (p->listener, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (p->listener, &error);
  g_assert_no_error (error);
  p->client = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                            &error);
  g_assert_no_error (error);
  g_socket_connect (p->client, bound, NULL, &error);
  g_assert_no_error (error);
  p->server = g_socket_accept (p->listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (p->client, FALSE);
  g_socket_set_blocking (p->server, FALSE);
}

static void
pair_close (Pair *p)
{
  g_clear_object (&p->client);
  g_clear_object (&p->server);
  g_clear_object (&p->listener);
}

typedef struct
{
  gboolean ok;          /* the client's handshake completed */
  GError  *error;       /* or why it failed */
  char    *describe;
  char    *fingerprint; /* what the client saw */
  gboolean pinned;
  gboolean verified;
} Outcome;

static void
outcome_clear (Outcome *o)
{
  g_clear_error (&o->error);
  g_clear_pointer (&o->describe, g_free);
  g_clear_pointer (&o->fingerprint, g_free);
}

/* Steps one side; TRUE once it is finished (done or failed). */
static gboolean
step (BellSipTls *tls, GIOCondition *want, GError **error)
{
  g_autoptr(GError) local = NULL;

  if (bell_sip_tls_handshake (tls, want, &local))
    return TRUE;
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return FALSE;
  g_propagate_error (error, g_steal_pointer (&local));
  return TRUE;
}

/* The server presents server_cert; the client trusts the test CA only, has pin (or none) and
 * expects the certificate to carry server_name. */
static void
handshake (const char *server_cert, const char *pin, const char *server_name, Outcome *o)
{
  g_autofree char *pem = g_strconcat (cert_dir, "/", server_cert, ".pem", NULL);
  g_autofree char *key = g_strconcat (cert_dir, "/", server_cert, ".key", NULL);
  g_autofree char *ca = cert_path ("ca.pem");
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipTlsConfig) scfg = bell_sip_tls_config_new_server (pem, key, &error);
  g_autoptr(BellSipTlsConfig) ccfg = NULL;
  g_autoptr(BellSipTls) client = NULL;
  g_autoptr(BellSipTls) server = NULL;
  gboolean client_done = FALSE, server_done = FALSE;
  gint64 deadline = g_get_monotonic_time () + TIMEOUT_US;
  Pair p = { 0 };

  g_assert_no_error (error);
  ccfg = bell_sip_tls_config_new_client (ca, FALSE, &error);
  g_assert_no_error (error);
  pair_open (&p);
  client = bell_sip_tls_new_client (ccfg, g_socket_get_fd (p.client), server_name, &error);
  g_assert_no_error (error);
  bell_sip_tls_set_pin (client, pin);
  server = bell_sip_tls_new_server (scfg, g_socket_get_fd (p.server), &error);
  g_assert_no_error (error);

  while (!client_done || !server_done)
    {
      GIOCondition cw = 0, sw = 0;
      struct pollfd fds[2];
      nfds_t n = 0;

      if (!client_done)
        client_done = step (client, &cw, &o->error);
      if (!server_done)
        {
          g_autoptr(GError) ignored = NULL;   /* the server learns of a refusal by an alert */
          server_done = step (server, &sw, &ignored);
        }
      /* A client that gave up leaves the server waiting for bytes that will not come. */
      if (client_done && o->error)
        break;
      if (cw)
        fds[n++] = (struct pollfd) { g_socket_get_fd (p.client),
                                     (cw & G_IO_IN ? POLLIN : 0) | (cw & G_IO_OUT ? POLLOUT : 0) };
      if (sw)
        fds[n++] = (struct pollfd) { g_socket_get_fd (p.server),
                                     (sw & G_IO_IN ? POLLIN : 0) | (sw & G_IO_OUT ? POLLOUT : 0) };
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      poll (fds, n, 50);
    }
  o->ok = o->error == NULL;
  o->describe = o->ok ? bell_sip_tls_describe (client) : NULL;
  o->fingerprint = g_strdup (bell_sip_tls_get_peer_fingerprint (client));
  o->pinned = bell_sip_tls_is_pinned (client);
  o->verified = bell_sip_tls_is_verified (client);
  pair_close (&p);
}

/* No pin and a certificate that does not verify: refused, and the error says which one. */
static void
test_untrusted_reports (void)
{
  g_autofree char *fp = pin_of ("self");
  g_auto(BellSipTlsCertReport) report = { 0 };
  Outcome o = { 0 };

  handshake ("self", NULL, "127.0.0.1", &o);
  g_assert_false (o.ok);
  g_assert_error (o.error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_CERT_UNTRUSTED);
  g_assert_nonnull (strstr (o.error->message, "not trusted"));
  g_assert_cmpstr (o.fingerprint, ==, fp);
  g_assert_true (bell_sip_tls_cert_report_parse (o.error->message, &report));
  g_assert_cmpstr (report.fingerprint, ==, fp);
  g_assert_null (report.pinned);
  g_assert_nonnull (strstr (report.subject, "CN=localhost"));
  g_assert_nonnull (strstr (report.subject, "O=Bellbird Tests"));
  outcome_clear (&o);

  /* Another name than the certificate's: refused the same way, and pinnable the same way. */
  handshake ("signed", NULL, "sip.example.com", &o);
  g_assert_false (o.ok);
  g_assert_error (o.error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_CERT_HOSTNAME_MISMATCH);
  g_assert_true (bell_sip_tls_cert_report_parse (o.error->message, &report));
  outcome_clear (&o);
}

/* The pinned certificate is accepted although it does not verify, and said to be pinned. */
static void
test_pin_accepts (void)
{
  g_autofree char *fp = pin_of ("self");
  Outcome o = { 0 };

  handshake ("self", fp, "127.0.0.1", &o);
  g_assert_no_error (o.error);
  g_assert_true (o.ok);
  g_assert_true (o.pinned);
  g_assert_false (o.verified);
  g_assert_nonnull (strstr (o.describe, "accepted by its pin"));
  g_assert_nonnull (strstr (o.describe, fp));
  outcome_clear (&o);

  /* For another name too: the user accepted that certificate, name and all. */
  handshake ("self", fp, "sip.example.com", &o);
  g_assert_no_error (o.error);
  g_assert_true (o.pinned);
  outcome_clear (&o);
}

/* A pin for another certificate: a self-signed replacement is refused as changed, with both
 * fingerprints; one that verifies (a renewal by a trusted CA) is accepted as verified. */
static void
test_pin_changed (void)
{
  g_autofree char *fp_self = pin_of ("self");
  g_autofree char *fp_other = pin_of ("other");
  g_auto(BellSipTlsCertReport) report = { 0 };
  Outcome o = { 0 };

  handshake ("other", fp_self, "127.0.0.1", &o);
  g_assert_false (o.ok);
  g_assert_error (o.error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_CERT_CHANGED);
  g_assert_nonnull (strstr (o.error->message, "has changed"));
  g_assert_true (bell_sip_tls_cert_report_parse (o.error->message, &report));
  g_assert_cmpstr (report.fingerprint, ==, fp_other);
  g_assert_cmpstr (report.pinned, ==, fp_self);
  outcome_clear (&o);

  handshake ("signed", fp_self, "127.0.0.1", &o);
  g_assert_no_error (o.error);
  g_assert_true (o.verified);
  g_assert_false (o.pinned);
  outcome_clear (&o);

  /* ...but not for a name it is not for: that is a change to a certificate that fails. */
  handshake ("signed", fp_self, "sip.example.com", &o);
  g_assert_error (o.error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_CERT_CHANGED);
  outcome_clear (&o);
}

/* Without a pin a certificate that verifies is accepted as before, its fingerprint known. */
static void
test_verified_unpinned (void)
{
  g_autofree char *fp = pin_of ("signed");
  Outcome o = { 0 };

  handshake ("signed", NULL, "127.0.0.1", &o);
  g_assert_no_error (o.error);
  g_assert_true (o.verified);
  g_assert_false (o.pinned);
  g_assert_cmpstr (o.fingerprint, ==, fp);
  outcome_clear (&o);
}

/* The transport's pins: per server name (no case, brackets or trailing dot), else the default. */
static void
test_transport_pins (void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new ();
  g_autoptr(BellClock) clock = NULL;
  g_autoptr(BellSipTransport) transport = NULL;
  g_autoptr(GInetAddress) v6 = g_inet_address_new_from_string ("2001:db8::1");
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (v6, 5061);
  BellSipTarget named = { .kind = BELL_SIP_TRANSPORT_TLS, .host = "SIP.Example.com." };
  BellSipTarget bare = { .kind = BELL_SIP_TRANSPORT_TLS,
                         .address = G_INET_SOCKET_ADDRESS (addr) };

  g_main_context_push_thread_default (ctx);
  clock = bell_clock_new_real (ctx);
  transport = bell_sip_transport_new (clock);

  g_assert_null (bell_sip_transport_get_tls_pin (transport, "sip.example.com"));
  bell_sip_transport_set_tls_pin (transport, &named, "sha256:A");
  bell_sip_transport_set_tls_pin (transport, &bare, "sha256:B");
  g_assert_cmpstr (bell_sip_transport_get_tls_pin (transport, "sip.example.com"), ==, "sha256:A");
  g_assert_cmpstr (bell_sip_transport_get_tls_pin (transport, "[2001:DB8::1]"), ==, "sha256:B");
  g_assert_null (bell_sip_transport_get_tls_pin (transport, "other.example.com"));

  bell_sip_transport_set_tls_pin (transport, NULL, "sha256:D");
  g_assert_cmpstr (bell_sip_transport_get_tls_pin (transport, "other.example.com"), ==, "sha256:D");
  g_assert_cmpstr (bell_sip_transport_get_tls_pin (transport, "sip.example.com"), ==, "sha256:A");

  bell_sip_transport_set_tls_pin (transport, &named, NULL);
  g_assert_cmpstr (bell_sip_transport_get_tls_pin (transport, "sip.example.com"), ==, "sha256:D");
  bell_sip_transport_set_tls_pin (transport, NULL, NULL);
  g_assert_null (bell_sip_transport_get_tls_pin (transport, "sip.example.com"));

  /* Registrations hold pins: counted, the latest applies, each released by its holder. */
  {
    g_autofree char *k1 = bell_sip_transport_hold_tls_pin (transport, &named, "sha256:E");
    g_autofree char *k2 = bell_sip_transport_hold_tls_pin (transport, &named, "sha256:F");
    g_autofree char *k3 = bell_sip_transport_hold_tls_pin (transport, &named, "sha256:E");
    BellSipTarget nowhere = { .kind = BELL_SIP_TRANSPORT_TLS };

    g_assert_cmpstr (k1, ==, "sip.example.com");
    g_assert_null (bell_sip_transport_hold_tls_pin (transport, &nowhere, "sha256:E"));
    g_assert_cmpstr (bell_sip_transport_get_tls_pin (transport, "sip.example.com"), ==,
                     "sha256:E");
    bell_sip_transport_release_tls_pin (transport, k3, "sha256:E");
    g_assert_cmpstr (bell_sip_transport_get_tls_pin (transport, "sip.example.com"), ==,
                     "sha256:E");   /* still held once */
    bell_sip_transport_release_tls_pin (transport, k1, "sha256:E");
    g_assert_cmpstr (bell_sip_transport_get_tls_pin (transport, "sip.example.com"), ==,
                     "sha256:F");
    bell_sip_transport_release_tls_pin (transport, k1, "sha256:E");   /* not held: no effect */
    bell_sip_transport_release_tls_pin (transport, k2, "sha256:F");
    g_assert_null (bell_sip_transport_get_tls_pin (transport, "sip.example.com"));
  }

  g_clear_object (&transport);
  g_main_context_pop_thread_default (ctx);
}

static void
skip_all (void)
{
  g_test_skip ("the openssl command, which makes the test certificates, is not installed");
}

int
main (int argc, char **argv)
{
  g_autofree char *openssl_cmd = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tls-pin/normalize", test_normalize);
  g_test_add_func ("/tls-pin/report-parse", test_report_parse);
  g_test_add_func ("/tls-pin/transport-pins", test_transport_pins);
  openssl_cmd = g_find_program_in_path ("openssl");
  if (!openssl_cmd)
    {
      g_test_add_func ("/tls-pin/skipped", skip_all);
      return g_test_run ();
    }
  make_certificates ();
  g_test_add_func ("/tls-pin/fingerprint", test_fingerprint);
  g_test_add_func ("/tls-pin/untrusted-reports", test_untrusted_reports);
  g_test_add_func ("/tls-pin/pin-accepts", test_pin_accepts);
  g_test_add_func ("/tls-pin/pin-changed", test_pin_changed);
  g_test_add_func ("/tls-pin/verified-unpinned", test_verified_unpinned);
  status = g_test_run ();
  remove_certificates ();
  return status;
}
