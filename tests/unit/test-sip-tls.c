/* test-sip-tls.c: TLS sessions over loopback TCP, client and server driven in one thread, with
 * certificates made by the openssl command at start-up: a CA, server certificates it signed
 * (good, other name, expired, sip: URI only, wildcards), and a self-signed one. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#include "bell-sip-tls.h"

/* A guard against hangs, not a speed check: generous for ASan builds on a loaded machine. */
#define TIMEOUT_US  (30 * G_USEC_PER_SEC)
#define SOCKET_BUF  4096              /* small, so that 100 KB must wait for the reader */
#define BIG_PAYLOAD (100 * 1024)

static char *cert_dir;
static gboolean have_expired;

/* Certificates */

static const char openssl_cnf[] =
  "[req]\n"
  "distinguished_name = dn\n"
  "prompt = no\n"
  "[dn]\n"
  "CN = unused\n"
  "[v3_ca]\n"
  "basicConstraints = critical,CA:TRUE\n"
  "keyUsage = critical,keyCertSign,cRLSign\n"
  "subjectKeyIdentifier = hash\n"
  "[leaf]\n"
  "basicConstraints = CA:FALSE\n"
  "keyUsage = critical,digitalSignature,keyEncipherment\n"
  "extendedKeyUsage = serverAuth\n"
  "[localhost]\n"
  "basicConstraints = CA:FALSE\n"
  "extendedKeyUsage = serverAuth\n"
  "subjectAltName = DNS:localhost,IP:127.0.0.1\n"
  "[other]\n"
  "basicConstraints = CA:FALSE\n"
  "extendedKeyUsage = serverAuth\n"
  "subjectAltName = DNS:other.example.com\n"
  "[sipuri]\n"
  "basicConstraints = CA:FALSE\n"
  "extendedKeyUsage = serverAuth\n"
  "subjectAltName = URI:sip:sip.example.test\n"
  "[wild]\n"
  "basicConstraints = CA:FALSE\n"
  "extendedKeyUsage = serverAuth\n"
  "subjectAltName = DNS:*.example.test,DNS:sip*.partial.test\n"
  "[ca]\n"
  "default_ca = testca\n"
  "[testca]\n"
  "database = index.txt\n"
  "new_certs_dir = .\n"
  "serial = serial\n"
  "default_md = sha256\n"
  "policy = policy_any\n"
  "unique_subject = no\n"
  "[policy_any]\n"
  "commonName = supplied\n";

static char *
cert_path (const char *name)
{
  return g_build_filename (cert_dir, name, NULL);
}

/* Runs openssl with the NULL-terminated arguments in cert_dir. */
static gboolean
run_openssl (GError **error, const char *first, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *err = NULL;
  const char *arg;
  va_list ap;
  int status;

  g_ptr_array_add (argv, (gpointer) "openssl");
  va_start (ap, first);
  for (arg = first; arg; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (cert_dir, (char **) argv->pdata, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                     &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, error))
    {
      g_prefix_error (error, "openssl %s: %s: ", first, err);
      return FALSE;
    }
  return TRUE;
}

#define OPENSSL(...) G_STMT_START {                                 \
    g_autoptr(GError) _e = NULL;                                    \
    if (!run_openssl (&_e, __VA_ARGS__, NULL))                      \
      g_error ("%s", _e->message);                                  \
  } G_STMT_END

static void
new_key (const char *name)
{
  OPENSSL ("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name);
}

/* name.key, and name.pem signed by the test CA for cn with the extensions of section. */
static void
new_signed (const char *name, const char *cn, const char *section)
{
  g_autofree char *key = g_strconcat (name, ".key", NULL);
  g_autofree char *csr = g_strconcat (name, ".csr", NULL);
  g_autofree char *pem = g_strconcat (name, ".pem", NULL);
  g_autofree char *subj = g_strconcat ("/CN=", cn, NULL);

  new_key (key);
  OPENSSL ("req", "-new", "-config", "openssl.cnf", "-key", key, "-subj", subj, "-out", csr);
  OPENSSL ("x509", "-req", "-in", csr, "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial",
           "1000", "-days", "30", "-extfile", "openssl.cnf", "-extensions", section, "-out", pem);
}

static void
make_certificates (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cnf = NULL;
  g_autofree char *index = NULL;
  g_autofree char *serial = NULL;

  cert_dir = g_dir_make_tmp ("bell-tls-XXXXXX", &error);
  g_assert_no_error (error);
  cnf = cert_path ("openssl.cnf");
  g_file_set_contents (cnf, openssl_cnf, -1, &error);
  g_assert_no_error (error);

  new_key ("ca.key");
  OPENSSL ("req", "-x509", "-new", "-config", "openssl.cnf", "-key", "ca.key", "-subj",
           "/CN=Bellbird Test CA", "-days", "30", "-extensions", "v3_ca", "-out", "ca.pem");
  new_signed ("localhost", "localhost", "localhost");
  new_signed ("other", "other.example.com", "other");
  new_signed ("sipuri", "wrong.example.test", "sipuri");
  new_signed ("wild", "wild", "wild");
  new_key ("self.key");
  OPENSSL ("req", "-x509", "-new", "-config", "openssl.cnf", "-key", "self.key", "-subj",
           "/CN=localhost", "-days", "30", "-extensions", "localhost", "-out", "self.pem");

  /* OpenSSL 3.0's x509 and req only date certificates from now; "ca" takes any dates. */
  index = cert_path ("index.txt");
  serial = cert_path ("serial");
  g_file_set_contents (index, "", 0, &error);
  g_assert_no_error (error);
  g_file_set_contents (serial, "2000\n", -1, &error);
  g_assert_no_error (error);
  have_expired = run_openssl (&error, "ca", "-batch", "-config", "openssl.cnf", "-notext",
                              "-startdate", "20200101000000Z", "-enddate", "20200102000000Z",
                              "-cert", "ca.pem", "-keyfile", "ca.key", "-extensions",
                              "localhost", "-in", "localhost.csr", "-out", "expired.pem",
                              NULL);
  if (!have_expired)
    g_test_message ("no expired certificate: %s", error->message);
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

static BellSipTlsConfig *
server_config (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pem = g_strdup_printf ("%s/%s.pem", cert_dir, name);
  g_autofree char *key = g_strdup_printf ("%s/%s.key", cert_dir,
                                          strcmp (name, "expired") == 0 ? "localhost" : name);
  BellSipTlsConfig *cfg = bell_sip_tls_config_new_server (pem, key, &error);

  g_assert_no_error (error);
  return cfg;
}

static BellSipTlsConfig *
client_config (gboolean with_test_ca, gboolean accept_untrusted)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ca = cert_path ("ca.pem");
  BellSipTlsConfig *cfg = bell_sip_tls_config_new_client (with_test_ca ? ca : NULL,
                                                          accept_untrusted, &error);

  g_assert_no_error (error);
  g_assert_cmpint (bell_sip_tls_config_get_accept_untrusted (cfg), ==, accept_untrusted);
  return cfg;
}

/* A loopback TCP pair */

typedef struct
{
  GSocket *listener;
  GSocket *client;
  GSocket *server;
  int      cfd;
  int      sfd;
  gint64   deadline;
} Pair;

static void
set_small_buffers (GSocket *socket)
{
  g_autoptr(GError) error = NULL;

  g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, SOCKET_BUF, &error);
  g_assert_no_error (error);
  g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, SOCKET_BUF, &error);
  g_assert_no_error (error);
}

static void
pair_setup (Pair *p, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  p->deadline = g_get_monotonic_time () + TIMEOUT_US;
  p->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                              G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  set_small_buffers (p->listener);
  g_socket_bind (p->listener, any, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (p->listener, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (p->listener, &error);
  g_assert_no_error (error);

  p->client = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                            &error);
  g_assert_no_error (error);
  set_small_buffers (p->client);
  /* Loopback connects at once into the backlog; both ends go non-blocking afterwards. */
  g_socket_connect (p->client, bound, NULL, &error);
  g_assert_no_error (error);
  p->server = g_socket_accept (p->listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (p->client, FALSE);
  g_socket_set_blocking (p->server, FALSE);
  p->cfd = g_socket_get_fd (p->client);
  p->sfd = g_socket_get_fd (p->server);
}

static void
pair_teardown (Pair *p, gconstpointer data)
{
  g_clear_object (&p->client);
  g_clear_object (&p->server);
  g_clear_object (&p->listener);
}

/* One end of a test: a session (or a raw OpenSSL one), what it sends and what it got. */

typedef struct _Side Side;
typedef gboolean (*StepFunc) (Side *side);   /* TRUE once this side is finished */

struct _Side
{
  BellSipTls   *tls;
  SSL          *raw;
  int           fd;
  StepFunc      step;
  GIOCondition  want;
  gboolean      done;
  GError       *error;
  /* Transfers */
  const guint8 *out;
  gsize         out_len;
  gsize         out_off;
  GByteArray   *in;
  gsize         in_expected;
  gboolean      got_eof;
  GByteArray   *queue;           /* step_queue_writer: a write queue like the transport's */
  gsize         queued;          /* bytes ever put in queue */
  guint         write_blocked;   /* write returned WOULD_BLOCK */
  guint         pending_seen;    /* bell_sip_tls_pending() said read again at once */
};

static void
side_clear (Side *s)
{
  g_clear_pointer (&s->tls, bell_sip_tls_free);
  g_clear_pointer (&s->raw, SSL_free);
  g_clear_error (&s->error);
  g_clear_pointer (&s->in, g_byte_array_unref);
  g_clear_pointer (&s->queue, g_byte_array_unref);
}

static gboolean
is_would_block (GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
}

static gboolean
step_handshake (Side *s)
{
  g_autoptr(GError) error = NULL;

  if (bell_sip_tls_handshake (s->tls, &s->want, &error))
    return TRUE;
  g_assert_nonnull (error);
  if (is_would_block (error))
    {
      g_assert_true (s->want == G_IO_IN || s->want == G_IO_OUT);
      return FALSE;
    }
  s->error = g_steal_pointer (&error);
  return TRUE;
}

/* Writes what is left of out, reads until in_expected bytes came (or EOF, or an error). */
static gboolean
step_transfer (Side *s)
{
  GIOCondition want_w = 0, want_r = 0;

  while (s->out_off < s->out_len)
    {
      g_autoptr(GError) error = NULL;
      gssize n = bell_sip_tls_write (s->tls, s->out + s->out_off, s->out_len - s->out_off,
                                     &want_w, &error);
      if (n > 0)
        {
          g_assert_cmpint (n, <=, s->out_len - s->out_off);
          s->out_off += (gsize) n;
          continue;
        }
      g_assert_cmpint (n, ==, -1);
      if (!is_would_block (error))
        {
          s->error = g_steal_pointer (&error);
          return TRUE;
        }
      s->write_blocked++;
      break;
    }

  while (!s->got_eof && s->in->len < s->in_expected)
    {
      g_autoptr(GError) error = NULL;
      guint8 buf[1000];   /* less than a record, so that bytes stay pending */
      gssize n = bell_sip_tls_read (s->tls, buf, sizeof buf, &want_r, &error);

      if (n > 0)
        {
          g_byte_array_append (s->in, buf, (guint) n);
          if (bell_sip_tls_pending (s->tls))
            s->pending_seen++;
          continue;
        }
      if (n == 0)
        {
          s->got_eof = TRUE;
          break;
        }
      if (!is_would_block (error))
        {
          s->error = g_steal_pointer (&error);
          return TRUE;
        }
      g_assert_false (bell_sip_tls_pending (s->tls));
      break;
    }

  s->want = want_w | want_r;
  return s->out_off == s->out_len && (s->got_eof || s->in->len >= s->in_expected);
}

static guint8
pattern (gsize i)
{
  return (guint8) (i * 7 + i / 251);
}

/* Drops bytes from the queue only when a write took them, and appends more whenever a write
 * had to wait, so the retry offers the same head, longer and (after a realloc) moved. */
static gboolean
step_queue_writer (Side *s)
{
  while (s->queue->len > 0)
    {
      g_autoptr(GError) error = NULL;
      gssize n = bell_sip_tls_write (s->tls, s->queue->data, s->queue->len, &s->want, &error);

      if (n > 0)
        {
          g_byte_array_remove_range (s->queue, 0, (guint) n);
          continue;
        }
      if (!is_would_block (error))
        {
          s->error = g_steal_pointer (&error);
          return TRUE;
        }
      s->write_blocked++;
      if (s->queued < s->out_len)
        {
          gsize add = MIN (10 * 1024, s->out_len - s->queued);
          g_byte_array_set_size (s->queue, s->queue->len + (guint) add);
          for (gsize i = 0; i < add; i++)
            s->queue->data[s->queue->len - add + i] = pattern (s->queued + i);
          s->queued += add;
        }
      return FALSE;
    }
  return s->queued == s->out_len;
}

/* Runs the steps of a and b (either may be NULL) until both are finished; fails the test at the
 * pair's deadline. */
static void
drive (Pair *p, Side *a, Side *b)
{
  Side *sides[2] = { a, b };

  for (;;)
    {
      struct pollfd fds[2];
      nfds_t n = 0;
      gint64 left;
      gboolean all_done = TRUE;

      for (int i = 0; i < 2; i++)
        {
          Side *s = sides[i];
          if (!s || s->done)
            continue;
          s->want = 0;
          s->done = s->step (s);
          if (s->done)
            continue;
          all_done = FALSE;
          if (s->want)
            fds[n++] = (struct pollfd) {
              .fd = s->fd,
              .events = (s->want & G_IO_IN ? POLLIN : 0) | (s->want & G_IO_OUT ? POLLOUT : 0),
            };
        }
      if (all_done)
        return;
      left = p->deadline - g_get_monotonic_time ();
      if (left <= 0)
        g_error ("test timed out after %d s", (int) (TIMEOUT_US / G_USEC_PER_SEC));
      /* Wake at least every 50 ms, so a side that waits on nothing still sees the deadline. */
      poll (fds, n, (int) MIN (left / 1000 + 1, 50));
    }
}

static void
start_sessions (Pair *p, BellSipTlsConfig *ccfg, const char *name, BellSipTlsConfig *scfg,
                Side *c, Side *s)
{
  g_autoptr(GError) error = NULL;

  *c = (Side) { .fd = p->cfd, .step = step_handshake };
  *s = (Side) { .fd = p->sfd, .step = step_handshake };
  c->tls = bell_sip_tls_new_client (ccfg, p->cfd, name, &error);
  g_assert_no_error (error);
  s->tls = bell_sip_tls_new_server (scfg, p->sfd, &error);
  g_assert_no_error (error);
}

/* Handshakes client (with ccfg, checking name) against a server presenting server_cert. */
static void
handshake (Pair *p, BellSipTlsConfig *ccfg, const char *name, const char *server_cert, Side *c,
           Side *s)
{
  g_autoptr(BellSipTlsConfig) scfg = server_config (server_cert);

  start_sessions (p, ccfg, name, scfg, c, s);
  drive (p, c, s);
}

static void
begin_transfer (Side *s, const void *out, gsize out_len, gsize in_expected)
{
  s->step = step_transfer;
  s->done = FALSE;
  s->out = out;
  s->out_len = out_len;
  s->out_off = 0;
  g_clear_pointer (&s->in, g_byte_array_unref);
  s->in = g_byte_array_new ();
  s->in_expected = in_expected;
}

/* Both ends send what they have and read what the other sent. */
static void
exchange (Pair *p, Side *c, const char *c_out, gsize c_len, Side *s, const char *s_out,
          gsize s_len)
{
  begin_transfer (c, c_out, c_len, s_len);
  begin_transfer (s, s_out, s_len, c_len);
  drive (p, c, s);
  g_assert_no_error (c->error);
  g_assert_no_error (s->error);
  g_assert_cmpmem (c->in->data, c->in->len, s_out, s_len);
  g_assert_cmpmem (s->in->data, s->in->len, c_out, c_len);
}

static const char invite[] =
  "INVITE sip:bob@localhost SIP/2.0\r\n"
  "Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK776asdhds\r\n"
  "Max-Forwards: 70\r\n"
  "To: <sip:bob@localhost>\r\n"
  "From: <sip:alice@localhost>;tag=1928301774\r\n"
  "Call-ID: a84b4c76e66710@127.0.0.1\r\n"
  "CSeq: 314159 INVITE\r\n"
  "Content-Length: 0\r\n\r\n";

static const char trying[] =
  "SIP/2.0 100 Trying\r\n"
  "Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK776asdhds\r\n"
  "To: <sip:bob@localhost>\r\n"
  "From: <sip:alice@localhost>;tag=1928301774\r\n"
  "Call-ID: a84b4c76e66710@127.0.0.1\r\n"
  "CSeq: 314159 INVITE\r\n"
  "Content-Length: 0\r\n\r\n";

/* Waits until reading on s returns 0 (close_notify). */
static void
expect_clean_close (Pair *p, Side *s)
{
  begin_transfer (s, NULL, 0, G_MAXSIZE);
  drive (p, s, NULL);
  g_assert_no_error (s->error);
  g_assert_true (s->got_eof);
  g_assert_cmpuint (s->in->len, ==, 0);
}

/* (1) Verified handshake, a SIP message each way, 100 KB each way, clean close both ways. */
static void
test_verified (Pair *p, gconstpointer data)
{
  const char *name = data;
  g_autoptr(BellSipTlsConfig) ccfg = client_config (TRUE, FALSE);
  g_autofree char *big_c = g_malloc (BIG_PAYLOAD);
  g_autofree char *big_s = g_malloc (BIG_PAYLOAD);
  g_autofree char *desc = NULL;
  g_autofree char *sdesc = NULL;
  Side c, s;

  handshake (p, ccfg, name, "localhost", &c, &s);
  g_assert_no_error (c.error);
  g_assert_no_error (s.error);
  g_assert_true (bell_sip_tls_is_verified (c.tls));
  g_assert_false (bell_sip_tls_is_verified (s.tls));
  desc = bell_sip_tls_describe (c.tls);
  g_test_message ("client: %s", desc);
  g_assert_true (g_str_has_prefix (desc, "TLSv1."));
  g_assert_nonnull (strstr (desc, "peer CN=localhost"));
  g_assert_nonnull (strstr (desc, "issuer CN=Bellbird Test CA"));
  g_assert_true (g_str_has_suffix (desc, ", verified"));
  sdesc = bell_sip_tls_describe (s.tls);
  g_assert_nonnull (strstr (sdesc, "client not authenticated"));

  exchange (p, &c, invite, strlen (invite), &s, trying, strlen (trying));

  for (gsize i = 0; i < BIG_PAYLOAD; i++)
    {
      big_c[i] = (char) ('a' + i % 26);
      big_s[i] = (char) ('A' + i % 23);
    }
  exchange (p, &c, big_c, BIG_PAYLOAD, &s, big_s, BIG_PAYLOAD);
  /* The small socket buffers made writes wait, and records bigger than the read buffer left
   * decrypted bytes pending. */
  g_assert_cmpuint (c.write_blocked + s.write_blocked, >, 0);
  g_assert_cmpuint (c.pending_seen, >, 0);
  g_assert_cmpuint (s.pending_seen, >, 0);

  bell_sip_tls_shutdown (c.tls);
  bell_sip_tls_shutdown (c.tls);   /* a second call does nothing */
  expect_clean_close (p, &s);
  bell_sip_tls_shutdown (s.tls);
  expect_clean_close (p, &c);
  side_clear (&c);
  side_clear (&s);
}

/* The transport's write queue: retries after WOULD_BLOCK with a grown, moved buffer. */
static void
test_write_queue (Pair *p, gconstpointer data)
{
  g_autoptr(BellSipTlsConfig) ccfg = client_config (TRUE, FALSE);
  const gsize total = 300 * 1024;
  Side c, s;

  handshake (p, ccfg, "localhost", "localhost", &c, &s);
  g_assert_no_error (c.error);
  g_assert_no_error (s.error);

  c.step = step_queue_writer;
  c.done = FALSE;
  c.queue = g_byte_array_new ();
  c.out_len = total;
  c.queued = 20 * 1024;
  g_byte_array_set_size (c.queue, (guint) c.queued);
  for (gsize i = 0; i < c.queued; i++)
    c.queue->data[i] = pattern (i);
  begin_transfer (&s, NULL, 0, total);
  drive (p, &c, &s);
  g_assert_no_error (c.error);
  g_assert_no_error (s.error);
  g_assert_cmpuint (c.write_blocked, >, 1);
  g_assert_cmpuint (s.in->len, ==, total);
  for (gsize i = 0; i < total; i++)
    if (s.in->data[i] != pattern (i))
      g_error ("byte %" G_GSIZE_FORMAT " differs", i);
  side_clear (&c);
  side_clear (&s);
}

/* Runs a handshake that the client must refuse and checks why. */
static void
expect_refused (Pair *p, BellSipTlsConfig *ccfg, const char *name, const char *server_cert,
                BellSipTlsError code, const char *message)
{
  Side c, s;

  handshake (p, ccfg, name, server_cert, &c, &s);
  g_test_message ("client: %s", c.error ? c.error->message : "(no error)");
  g_test_message ("server: %s", s.error ? s.error->message : "(no error)");
  g_assert_error (c.error, BELL_SIP_TLS_ERROR, (gint) code);
  /* The words for the user, then which certificate it was (test-tls-pin checks that part). */
  {
    g_autofree char *expected = g_strconcat (message, " [certificate sha256:", NULL);
    g_assert_true (g_str_has_prefix (c.error->message, expected));
  }
  g_assert_false (bell_sip_tls_is_verified (c.tls));
  /* The client said why in an alert: the server fails too, and does not crash. */
  g_assert_error (s.error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_HANDSHAKE);
  side_clear (&c);
  side_clear (&s);
}

/* (2) */
static void
test_self_signed (Pair *p, gconstpointer data)
{
  g_autoptr(BellSipTlsConfig) ccfg = client_config (TRUE, FALSE);

  expect_refused (p, ccfg, "localhost", "self", BELL_SIP_TLS_ERROR_CERT_UNTRUSTED,
                  "TLS: certificate of localhost is not trusted (self-signed certificate)");
}

/* A certificate from a CA the system does not know, with no CA file configured. */
static void
test_unknown_ca (Pair *p, gconstpointer data)
{
  g_autoptr(BellSipTlsConfig) ccfg = client_config (FALSE, FALSE);

  expect_refused (p, ccfg, "localhost", "localhost", BELL_SIP_TLS_ERROR_CERT_UNTRUSTED,
                  "TLS: certificate of localhost is not trusted (issued by an unknown "
                  "certificate authority, \"Bellbird Test CA\")");
}

/* (3) */
static void
test_wrong_name (Pair *p, gconstpointer data)
{
  g_autoptr(BellSipTlsConfig) ccfg = client_config (TRUE, FALSE);

  expect_refused (p, ccfg, "localhost", "other", BELL_SIP_TLS_ERROR_CERT_HOSTNAME_MISMATCH,
                  "TLS: certificate is for other.example.com, not localhost");
}

static void
test_wrong_ip (Pair *p, gconstpointer data)
{
  g_autoptr(BellSipTlsConfig) ccfg = client_config (TRUE, FALSE);

  expect_refused (p, ccfg, "127.0.0.2", "localhost", BELL_SIP_TLS_ERROR_CERT_HOSTNAME_MISMATCH,
                  "TLS: certificate is for localhost and 127.0.0.1, not 127.0.0.2");
}

static void
test_expired (Pair *p, gconstpointer data)
{
  g_autoptr(BellSipTlsConfig) ccfg = NULL;

  if (!have_expired)
    {
      g_test_skip ("openssl ca could not make a certificate dated in the past");
      return;
    }
  ccfg = client_config (TRUE, FALSE);
  expect_refused (p, ccfg, "localhost", "expired", BELL_SIP_TLS_ERROR_CERT_EXPIRED,
                  "TLS: certificate of localhost expired on 2020-01-02 00:00 UTC");
}

/* RFC 5922 §7.1: a subjectAltName URI sip:domain names that domain. */
static void
test_sip_uri (Pair *p, gconstpointer data)
{
  g_autoptr(BellSipTlsConfig) ccfg = client_config (TRUE, FALSE);
  Side c, s;

  handshake (p, ccfg, "SIP.example.test", "sipuri", &c, &s);
  g_assert_no_error (c.error);
  g_assert_true (bell_sip_tls_is_verified (c.tls));
  side_clear (&c);
  side_clear (&s);
  pair_teardown (p, NULL);
  pair_setup (p, NULL);
  expect_refused (p, ccfg, "example.test", "sipuri", BELL_SIP_TLS_ERROR_CERT_HOSTNAME_MISMATCH,
                  "TLS: certificate is for sip:sip.example.test and wrong.example.test, not "
                  "example.test");
}

/* "*" stands for one whole left-most label; "sip*" in a label matches nothing. */
static void
test_wildcard (Pair *p, gconstpointer data)
{
  g_autoptr(BellSipTlsConfig) ccfg = client_config (TRUE, FALSE);
  Side c, s;

  handshake (p, ccfg, "proxy.example.test.", "wild", &c, &s);
  g_assert_no_error (c.error);
  g_assert_true (bell_sip_tls_is_verified (c.tls));
  side_clear (&c);
  side_clear (&s);
  pair_teardown (p, NULL);
  pair_setup (p, NULL);
  expect_refused (p, ccfg, "sip1.partial.test", "wild",
                  BELL_SIP_TLS_ERROR_CERT_HOSTNAME_MISMATCH,
                  "TLS: certificate is for *.example.test and sip*.partial.test, "
                  "not sip1.partial.test");
}

/* (4) accept_untrusted: the handshake succeeds and says what was wrong. */
static void
test_accept_untrusted (Pair *p, gconstpointer data)
{
  g_autoptr(BellSipTlsConfig) ccfg = client_config (TRUE, TRUE);
  g_autofree char *desc = NULL;
  Side c, s;

  handshake (p, ccfg, "other.example.com", "self", &c, &s);
  g_assert_no_error (c.error);
  g_assert_no_error (s.error);
  g_assert_false (bell_sip_tls_is_verified (c.tls));
  desc = bell_sip_tls_describe (c.tls);
  g_test_message ("client: %s", desc);
  g_assert_nonnull (strstr (desc, "UNVERIFIED (accept-untrusted: "));
  g_assert_nonnull (strstr (desc, "self-signed certificate"));
  g_assert_nonnull (strstr (desc, "hostname mismatch"));
  exchange (p, &c, invite, strlen (invite), &s, trying, strlen (trying));
  side_clear (&c);
  side_clear (&s);

  /* A good certificate is still reported as verified. */
  pair_teardown (p, NULL);
  pair_setup (p, NULL);
  handshake (p, ccfg, "localhost", "localhost", &c, &s);
  g_assert_no_error (c.error);
  g_assert_true (bell_sip_tls_is_verified (c.tls));
  g_clear_pointer (&desc, g_free);
  desc = bell_sip_tls_describe (c.tls);
  g_assert_true (g_str_has_suffix (desc, ", verified"));
  side_clear (&c);
  side_clear (&s);
}

/* A raw OpenSSL client, for what our API will not do. */
static gboolean
step_raw_connect (Side *s)
{
  int ret, err;

  ERR_clear_error ();
  ret = SSL_connect (s->raw);
  if (ret == 1)
    return TRUE;
  err = SSL_get_error (s->raw, ret);
  ERR_clear_error ();
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
    {
      s->want = err == SSL_ERROR_WANT_READ ? G_IO_IN : G_IO_OUT;
      return FALSE;
    }
  g_set_error (&s->error, G_IO_ERROR, G_IO_ERROR_FAILED, "raw client: SSL error %d", err);
  return TRUE;
}

/* (5) A client that speaks at most TLS 1.1 is refused. */
static void
test_old_client (Pair *p, gconstpointer data)
{
  g_autoptr(BellSipTlsConfig) scfg = server_config ("localhost");
  g_autoptr(GError) error = NULL;
  SSL_CTX *ctx = SSL_CTX_new (TLS_client_method ());
  Side c = { .fd = p->cfd, .step = step_raw_connect };
  Side s = { .fd = p->sfd, .step = step_handshake };

  /* OpenSSL 3 refuses TLS 1.1 itself above security level 0. */
  SSL_CTX_set_security_level (ctx, 0);
  g_assert_true (SSL_CTX_set_cipher_list (ctx, "DEFAULT:@SECLEVEL=0"));
  g_assert_true (SSL_CTX_set_min_proto_version (ctx, TLS1_VERSION));
  g_assert_true (SSL_CTX_set_max_proto_version (ctx, TLS1_1_VERSION));
  c.raw = SSL_new (ctx);
  SSL_CTX_free (ctx);
  SSL_set_fd (c.raw, p->cfd);
  s.tls = bell_sip_tls_new_server (scfg, p->sfd, &error);
  g_assert_no_error (error);

  drive (p, &c, &s);
  g_test_message ("server: %s", s.error ? s.error->message : "(no error)");
  g_assert_error (s.error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_PROTOCOL);
  g_assert_true (g_str_has_prefix (s.error->message,
                                   "TLS: no TLS version in common with the peer (TLS 1.2 or "
                                   "later is required) (error:"));
  g_assert_nonnull (c.error);
  g_assert_null (SSL_get0_peer_certificate (c.raw));
  side_clear (&c);
  side_clear (&s);
}

/* Our server with a client that stops at TLS 1.2 (ours always negotiate 1.3 between them). */
static void
test_tls12_client (Pair *p, gconstpointer data)
{
  g_autoptr(BellSipTlsConfig) scfg = server_config ("localhost");
  g_autoptr(GError) error = NULL;
  g_autofree char *desc = NULL;
  SSL_CTX *ctx = SSL_CTX_new (TLS_client_method ());
  Side c = { .fd = p->cfd, .step = step_raw_connect };
  Side s = { .fd = p->sfd, .step = step_handshake };
  char buf[64];
  size_t n = 0;

  g_assert_true (SSL_CTX_set_max_proto_version (ctx, TLS1_2_VERSION));
  c.raw = SSL_new (ctx);
  SSL_CTX_free (ctx);
  SSL_set_fd (c.raw, p->cfd);
  s.tls = bell_sip_tls_new_server (scfg, p->sfd, &error);
  g_assert_no_error (error);

  drive (p, &c, &s);
  g_assert_no_error (c.error);
  g_assert_no_error (s.error);
  desc = bell_sip_tls_describe (s.tls);
  g_test_message ("server: %s", desc);
  g_assert_true (g_str_has_prefix (desc, "TLSv1.2 "));

  /* close_notify from our server reaches the raw client. */
  bell_sip_tls_shutdown (s.tls);
  while (g_get_monotonic_time () < p->deadline)
    {
      struct pollfd pfd = { .fd = p->cfd, .events = POLLIN };
      if (SSL_read_ex (c.raw, buf, sizeof buf, &n)
          || SSL_get_error (c.raw, 0) != SSL_ERROR_WANT_READ)
        break;
      poll (&pfd, 1, 50);
    }
  g_assert_cmpint (SSL_get_error (c.raw, 0), ==, SSL_ERROR_ZERO_RETURN);
  ERR_clear_error ();
  side_clear (&c);
  side_clear (&s);
}

/* Sends bytes raw on fd (they fit in the socket buffer) and ends the stream. */
static void
send_and_close (int fd, const void *data, gsize len)
{
  g_assert_cmpint (send (fd, data, len, MSG_NOSIGNAL), ==, (gssize) len);
  g_assert_cmpint (shutdown (fd, SHUT_WR), ==, 0);
}

/* (6) Plain SIP or random bytes at a TLS server. */
static void
test_garbage (Pair *p, gconstpointer data)
{
  g_autoptr(BellSipTlsConfig) scfg = server_config ("localhost");
  g_autoptr(GError) error = NULL;
  g_autofree char *desc = NULL;
  Side s = { .fd = p->sfd, .step = step_handshake };

  s.tls = bell_sip_tls_new_server (scfg, p->sfd, &error);
  g_assert_no_error (error);
  if (data)
    {
      guint8 junk[1500];
      g_autoptr(GRand) rand = g_rand_new_with_seed (GPOINTER_TO_UINT (data));

      for (gsize i = 0; i < sizeof junk; i++)
        junk[i] = (guint8) g_rand_int_range (rand, 0, 256);
      send_and_close (p->cfd, junk, sizeof junk);
    }
  else
    send_and_close (p->cfd, invite, strlen (invite));

  drive (p, &s, NULL);
  g_test_message ("server: %s", s.error ? s.error->message : "(no error)");
  g_assert_nonnull (s.error);
  g_assert_true (s.error->domain == BELL_SIP_TLS_ERROR);
  g_assert_true (g_str_has_prefix (s.error->message, "TLS: "));
  if (!data)
    {
      g_assert_error (s.error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_PROTOCOL);
      g_assert_nonnull (strstr (s.error->message, "does not speak TLS"));
    }
  desc = bell_sip_tls_describe (s.tls);
  g_assert_cmpstr (desc, ==, "TLS handshake failed");
  side_clear (&s);
}

/* Reads whatever arrives and closes once the client's hello is in. */
static gboolean
step_read_then_close (Side *s)
{
  guint8 buf[4096];
  gssize n;

  while ((n = recv (s->fd, buf, sizeof buf, 0)) > 0)
    s->out_off += (gsize) n;
  if (s->out_off == 0)
    {
      s->want = G_IO_IN;
      return FALSE;
    }
  shutdown (s->fd, SHUT_RDWR);
  return TRUE;
}

/* (7) The TCP connection ends in the middle of the handshake. */
static void
test_closed_mid_handshake (Pair *p, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *desc = NULL;
  Side end = { .fd = p->sfd, .step = step_read_then_close };
  Side c = { .fd = p->cfd, .step = step_handshake };
  g_autoptr(BellSipTlsConfig) ccfg = client_config (TRUE, FALSE);
  GIOCondition want;
  char buf[16];

  c.tls = bell_sip_tls_new_client (ccfg, p->cfd, "localhost", &error);
  g_assert_no_error (error);
  drive (p, &c, &end);
  g_test_message ("client: %s", c.error ? c.error->message : "(no error)");
  g_assert_error (c.error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_HANDSHAKE);
  g_assert_true (g_str_has_prefix (c.error->message,
                                   "TLS: the peer closed the connection during the handshake"));
  /* The failed session stays safe to use. */
  g_assert_false (bell_sip_tls_handshake (c.tls, &want, &error));
  g_assert_error (error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_cmpint (bell_sip_tls_read (c.tls, buf, sizeof buf, &want, &error), ==, -1);
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_assert_false (bell_sip_tls_pending (c.tls));
  desc = bell_sip_tls_describe (c.tls);
  g_assert_cmpstr (desc, ==, "TLS handshake failed");
  bell_sip_tls_shutdown (c.tls);
  side_clear (&c);
}

/* The server sees half a ClientHello, then the end of the stream. */
static void
test_server_closed_mid_handshake (Pair *p, gconstpointer data)
{
  static const guint8 partial[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03 };
  g_autoptr(BellSipTlsConfig) scfg = server_config ("localhost");
  g_autoptr(GError) error = NULL;
  Side s = { .fd = p->sfd, .step = step_handshake };

  s.tls = bell_sip_tls_new_server (scfg, p->sfd, &error);
  g_assert_no_error (error);
  send_and_close (p->cfd, partial, sizeof partial);
  drive (p, &s, NULL);
  g_test_message ("server: %s", s.error ? s.error->message : "(no error)");
  g_assert_error (s.error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_HANDSHAKE);
  g_assert_nonnull (strstr (s.error->message, "closed the connection during the handshake"));
  side_clear (&s);
}

/* After the handshake, the TCP stream ends without close_notify: not a clean close. */
static void
test_truncated (Pair *p, gconstpointer data)
{
  g_autoptr(BellSipTlsConfig) ccfg = client_config (TRUE, FALSE);
  g_autoptr(GError) error = NULL;
  GIOCondition want;
  Side c, s;
  gssize n;

  handshake (p, ccfg, "localhost", "localhost", &c, &s);
  g_assert_no_error (c.error);
  g_assert_no_error (s.error);
  exchange (p, &c, invite, strlen (invite), &s, trying, strlen (trying));
  g_assert_cmpint (shutdown (p->cfd, SHUT_RDWR), ==, 0);

  begin_transfer (&s, NULL, 0, G_MAXSIZE);
  drive (p, &s, NULL);
  g_test_message ("server: %s", s.error ? s.error->message : "(no error)");
  g_assert_error (s.error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  g_assert_false (s.got_eof);

  /* Writing to the dead session fails cleanly too (no SIGPIPE: GIO ignores it). */
  n = bell_sip_tls_write (s.tls, invite, strlen (invite), &want, &error);
  g_assert_cmpint (n, ==, -1);
  g_assert_nonnull (error);
  g_clear_error (&error);
  /* And the client, whose socket we shut down, fails to write rather than crashing. */
  n = bell_sip_tls_write (c.tls, invite, strlen (invite), &want, &error);
  g_assert_cmpint (n, ==, -1);
  g_assert_nonnull (error);
  g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK));
  bell_sip_tls_shutdown (c.tls);
  side_clear (&c);
  side_clear (&s);
}

static void
test_config_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = cert_path ("missing.pem");
  g_autofree char *cnf = cert_path ("openssl.cnf");
  g_autofree char *pem = cert_path ("localhost.pem");
  g_autofree char *key = cert_path ("localhost.key");
  g_autofree char *other_key = cert_path ("other.key");
  BellSipTlsConfig *cfg;

  cfg = bell_sip_tls_config_new_client (missing, FALSE, &error);
  g_assert_null (cfg);
  g_assert_error (error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_CONFIG);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "TLS: cannot load CA certificates from "));
  g_clear_error (&error);

  cfg = bell_sip_tls_config_new_client (cnf, FALSE, &error);   /* no certificate in it */
  g_assert_null (cfg);
  g_assert_error (error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_CONFIG);
  g_clear_error (&error);

  cfg = bell_sip_tls_config_new_server (missing, key, &error);
  g_assert_null (cfg);
  g_assert_error (error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_CONFIG);
  g_clear_error (&error);

  cfg = bell_sip_tls_config_new_server (pem, missing, &error);
  g_assert_null (cfg);
  g_assert_error (error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_CONFIG);
  g_clear_error (&error);

  cfg = bell_sip_tls_config_new_server (pem, other_key, &error);
  g_assert_null (cfg);
  g_assert_error (error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_CONFIG);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "does not belong to the certificate"));
  g_clear_error (&error);

  /* The OpenSSL error queue is left empty for whoever comes next. */
  g_assert_cmpuint (ERR_peek_error (), ==, 0);

  cfg = bell_sip_tls_config_new_server (pem, key, &error);
  g_assert_no_error (error);
  g_assert_true (bell_sip_tls_config_ref (cfg) == cfg);
  bell_sip_tls_config_unref (cfg);
  bell_sip_tls_config_unref (cfg);
}

static void
test_bad_name (Pair *p, gconstpointer data)
{
  g_autoptr(BellSipTlsConfig) ccfg = client_config (TRUE, FALSE);
  g_autoptr(GError) error = NULL;
  BellSipTls *tls;

  tls = bell_sip_tls_new_client (ccfg, p->cfd, "", &error);
  g_assert_null (tls);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  tls = bell_sip_tls_new_client (ccfg, p->cfd, "[]", &error);
  g_assert_null (tls);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
skip_all (void)
{
  g_test_skip ("the openssl command, which makes the test certificates, is not installed");
}

int
main (int argc, char **argv)
{
  g_autofree char *openssl = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  /* GSocket ignores SIGPIPE once its class exists; OpenSSL writes with write(2). */
  g_type_class_unref (g_type_class_ref (G_TYPE_SOCKET));
  openssl = g_find_program_in_path ("openssl");
  if (!openssl)
    {
      g_test_add_func ("/sip/tls/skipped", skip_all);
      return g_test_run ();
    }
  make_certificates ();

#define ADD(path, func, data) \
  g_test_add (path, Pair, data, pair_setup, func, pair_teardown)
  ADD ("/sip/tls/verified/dns", test_verified, "localhost");
  ADD ("/sip/tls/verified/ip", test_verified, "127.0.0.1");
  ADD ("/sip/tls/write-queue", test_write_queue, NULL);
  ADD ("/sip/tls/untrusted/self-signed", test_self_signed, NULL);
  ADD ("/sip/tls/untrusted/unknown-ca", test_unknown_ca, NULL);
  ADD ("/sip/tls/hostname/mismatch", test_wrong_name, NULL);
  ADD ("/sip/tls/hostname/ip-mismatch", test_wrong_ip, NULL);
  ADD ("/sip/tls/hostname/sip-uri", test_sip_uri, NULL);
  ADD ("/sip/tls/hostname/wildcard", test_wildcard, NULL);
  ADD ("/sip/tls/hostname/invalid", test_bad_name, NULL);
  ADD ("/sip/tls/expired", test_expired, NULL);
  ADD ("/sip/tls/accept-untrusted", test_accept_untrusted, NULL);
  ADD ("/sip/tls/old-client-refused", test_old_client, NULL);
  ADD ("/sip/tls/tls12-client", test_tls12_client, NULL);
  ADD ("/sip/tls/garbage/plain-sip", test_garbage, NULL);
  ADD ("/sip/tls/garbage/random", test_garbage, GUINT_TO_POINTER (42));
  ADD ("/sip/tls/garbage/random-2", test_garbage, GUINT_TO_POINTER (7));
  ADD ("/sip/tls/closed/client-mid-handshake", test_closed_mid_handshake, NULL);
  ADD ("/sip/tls/closed/server-mid-handshake", test_server_closed_mid_handshake, NULL);
  ADD ("/sip/tls/closed/truncated", test_truncated, NULL);
#undef ADD
  g_test_add_func ("/sip/tls/config-errors", test_config_errors);

  ret = g_test_run ();
  remove_certificates ();
  return ret;
}
