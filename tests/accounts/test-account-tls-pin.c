/* test-account-tls-pin.c: an account's TLS registrar with a self-signed certificate, driven
 * through BellAccountStore and a real core (issue 10), with its own session bus and
 * gnome-keyring-daemon (the password comes from the keyring, as in the app).
 *
 * The registrar is a thread of this test: a TLS server (BellSipTls, certificates made by the
 * openssl command at start-up) that answers every request 200 and counts REGISTERs. (a) The
 * account fails as untrusted, shows the certificate's fingerprint and offers it; nothing is
 * registered. (b) Trusting it stores the pin and the account registers. (c) After a restart
 * the server presents another self-signed certificate: the account fails as changed, naming
 * the new fingerprint, and keeps the old pin until the user decides. (d) Forgetting the old
 * pin makes the new certificate merely untrusted: the pin went with its registration.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <poll.h>
#include <string.h>

#include "account-test-util.h"
#include "bell-account-store.h"
#include "bell-sip-tls.h"

#define PASSWORD "Pin-Test-Secret-5061"
#define WAIT_MS  15000

static char *home;
static char *cert_dir;

/* Certificates */

static void
openssl (const char *first, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
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
  g_spawn_sync (cert_dir, (char **) argv->pdata, NULL,
                G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("openssl %s: %s", first, err);
}

/* name.pem (self-signed for 127.0.0.1) and name.key; returns its pin. */
static char *
self_signed (const char *name)
{
  g_autofree char *key = g_strconcat (name, ".key", NULL);
  g_autofree char *pem = g_strconcat (name, ".pem", NULL);
  g_autofree char *der = g_strconcat (name, ".der", NULL);
  g_autofree char *der_path = g_build_filename (cert_dir, der, NULL);
  g_autofree char *bytes = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;

  openssl ("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", key, "-out", pem, "-days", "2", "-subj", "/CN=pbx.test",
           "-addext", "subjectAltName=IP:127.0.0.1", NULL);
  openssl ("x509", "-in", pem, "-outform", "DER", "-out", der, NULL);
  g_file_get_contents (der_path, &bytes, &len, &error);
  g_assert_no_error (error);
  return bell_sip_tls_fingerprint_der ((const guint8 *) bytes, len);
}

/* A TLS registrar in a thread of its own */

typedef struct
{
  GSocket    *socket;
  BellSipTls *tls;
  GString    *in;
  gboolean    ready;      /* handshake done */
  GIOCondition want;
} Conn;

typedef struct
{
  GThread          *thread;
  GSocket          *listener;
  guint16           port;
  BellSipTlsConfig *cfg;        /* what new connections get; under lock */
  GMutex            lock;
  gint              registers;  /* atomic: REGISTERs answered */
  gint              refused;    /* atomic: handshakes that failed */
  gint              stop;       /* atomic */
} TlsRegistrar;

static void
conn_free (Conn *c)
{
  if (c->tls)
    bell_sip_tls_free (c->tls);
  g_clear_object (&c->socket);
  g_string_free (c->in, TRUE);
  g_free (c);
}

static void
send_all (Conn *c, const char *text)
{
  gsize len = strlen (text), off = 0;
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (off < len && g_get_monotonic_time () < deadline)
    {
      g_autoptr(GError) error = NULL;
      GIOCondition want = 0;
      gssize n = bell_sip_tls_write (c->tls, text + off, len - off, &want, &error);

      if (n > 0)
        off += (gsize) n;
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          struct pollfd p = { g_socket_get_fd (c->socket),
                              (want & G_IO_IN ? POLLIN : 0) | (want & G_IO_OUT ? POLLOUT : 0) };
          poll (&p, 1, 50);
        }
      else
        return;
    }
}

static char *
header_line (const char *head, const char *name)
{
  g_auto(GStrv) lines = g_strsplit (head, "\r\n", -1);

  for (guint i = 1; lines[i]; i++)
    if (g_ascii_strncasecmp (lines[i], name, strlen (name)) == 0 && lines[i][strlen (name)] == ':')
      return g_strdup (lines[i]);
  return NULL;
}

/* Answers one request (head: up to the blank line) 200, echoing what a UAC matches on. */
static void
answer (TlsRegistrar *r, Conn *c, const char *head)
{
  g_autoptr(GString) out = g_string_new ("SIP/2.0 200 OK\r\n");
  const char *names[] = { "Via", "From", "To", "Call-ID", "CSeq" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *line = header_line (head, names[i]);
      if (line)
        g_string_append_printf (out, "%s%s\r\n", line,
                                g_str_equal (names[i], "To") && !strstr (line, "tag=")
                                ? ";tag=pin" : "");
    }
  if (g_str_has_prefix (head, "REGISTER "))
    {
      g_autofree char *contact = header_line (head, "Contact");
      g_autofree char *expires = header_line (head, "Expires");

      g_atomic_int_inc (&r->registers);
      if (contact && !(expires && g_str_has_suffix (expires, " 0")))
        g_string_append_printf (out, "%s;expires=300\r\n", contact);
    }
  g_string_append (out, "Content-Length: 0\r\n\r\n");
  send_all (c, out->str);
}

/* FALSE when the connection is finished. */
static gboolean
serve (TlsRegistrar *r, Conn *c)
{
  g_autoptr(GError) error = NULL;
  char buf[4096];
  gssize n;

  if (!c->ready)
    {
      if (bell_sip_tls_handshake (c->tls, &c->want, &error))
        c->ready = TRUE;
      else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return TRUE;
      else
        {
          g_atomic_int_inc (&r->refused);
          return FALSE;
        }
    }
  while ((n = bell_sip_tls_read (c->tls, buf, sizeof buf, &c->want, &error)) > 0)
    g_string_append_len (c->in, buf, n);
  if (n == 0 || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return FALSE;
  for (;;)
    {
      char *end;
      g_autofree char *head = NULL;

      /* RFC 5626 keep-alive: a CRLF pair gets a CRLF. */
      while (g_str_has_prefix (c->in->str, "\r\n\r\n"))
        {
          g_string_erase (c->in, 0, 4);
          send_all (c, "\r\n");
        }
      while (g_str_has_prefix (c->in->str, "\r\n"))
        g_string_erase (c->in, 0, 2);
      end = strstr (c->in->str, "\r\n\r\n");
      if (!end)
        break;
      /* Our requests here carry no body. */
      head = g_strndup (c->in->str, (gsize) (end - c->in->str));
      g_string_erase (c->in, 0, end - c->in->str + 4);
      answer (r, c, head);
    }
  return TRUE;
}

static gpointer
registrar_thread (gpointer data)
{
  TlsRegistrar *r = data;
  g_autoptr(GPtrArray) conns = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_free);

  while (!g_atomic_int_get (&r->stop))
    {
      g_autofree struct pollfd *fds = g_new0 (struct pollfd, conns->len + 1);
      g_autoptr(GSocket) accepted = NULL;

      fds[0] = (struct pollfd) { g_socket_get_fd (r->listener), POLLIN };
      for (guint i = 0; i < conns->len; i++)
        {
          Conn *c = conns->pdata[i];
          fds[i + 1] = (struct pollfd) { g_socket_get_fd (c->socket),
                                         (c->want & G_IO_OUT ? POLLOUT : 0) | POLLIN };
        }
      poll (fds, conns->len + 1, 50);
      accepted = g_socket_accept (r->listener, NULL, NULL);
      if (accepted)
        {
          Conn *c = g_new0 (Conn, 1);

          g_socket_set_blocking (accepted, FALSE);
          c->socket = g_steal_pointer (&accepted);
          c->in = g_string_new (NULL);
          g_mutex_lock (&r->lock);
          c->tls = bell_sip_tls_new_server (r->cfg, g_socket_get_fd (c->socket), NULL);
          g_mutex_unlock (&r->lock);
          g_ptr_array_add (conns, c);
        }
      for (guint i = conns->len; i-- > 0;)
        if (!serve (r, conns->pdata[i]))
          g_ptr_array_remove_index (conns, i);
    }
  return NULL;
}

static void
registrar_use (TlsRegistrar *r, const char *name)
{
  g_autofree char *pem = g_strdup_printf ("%s/%s.pem", cert_dir, name);
  g_autofree char *key = g_strdup_printf ("%s/%s.key", cert_dir, name);
  g_autoptr(GError) error = NULL;
  BellSipTlsConfig *cfg = bell_sip_tls_config_new_server (pem, key, &error);

  g_assert_no_error (error);
  g_mutex_lock (&r->lock);
  if (r->cfg)
    bell_sip_tls_config_unref (r->cfg);
  r->cfg = cfg;
  g_mutex_unlock (&r->lock);
}

static TlsRegistrar *
registrar_start (const char *cert)
{
  TlsRegistrar *r = g_new0 (TlsRegistrar, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_mutex_init (&r->lock);
  registrar_use (r, cert);
  r->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                              &error);
  g_assert_no_error (error);
  g_socket_bind (r->listener, any, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (r->listener, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (r->listener, FALSE);
  bound = g_socket_get_local_address (r->listener, &error);
  g_assert_no_error (error);
  r->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  r->thread = g_thread_new ("tls-registrar", registrar_thread, r);
  return r;
}

static void
registrar_stop (TlsRegistrar *r)
{
  g_atomic_int_set (&r->stop, 1);
  g_thread_join (r->thread);
  g_clear_object (&r->listener);
  bell_sip_tls_config_unref (r->cfg);
  g_mutex_clear (&r->lock);
  g_free (r);
}

/* The app's side */

static BellAccount *
save (BellAccountStore *store, BellAccountFields *fields, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  bell_account_store_save_async (store, NULL, fields, PASSWORD, NULL, account_test_store_result,
                                 &result);
  return bell_account_store_save_finish (store, account_test_wait_result (&result), error);
}

static BellCore *
attach_core (BellAccountStore *store)
{
  BellCoreConfig config = { .bind_address = "127.0.0.1", .listen = BELL_SIP_TRANSPORT_UDP,
                            .auto_answer_ms = -1, .no_media = TRUE };
  g_autoptr(GError) error = NULL;
  BellCore *core = bell_core_new (&config, &error);

  g_assert_no_error (error);
  bell_account_store_attach_core (store, core);
  return core;
}

typedef struct
{
  BellAccount     *account;
  BellAccountState state;
  const char      *refused;   /* NULL: any */
} Wait;

static gboolean
reached (gpointer data)
{
  Wait *w = data;

  return bell_account_get_state (w->account) == w->state &&
         (!w->refused ||
          g_strcmp0 (bell_account_get_refused_fingerprint (w->account), w->refused) == 0);
}

static void
wait_for (BellAccount *account, BellAccountState state, const char *refused, const char *what)
{
  Wait w = { account, state, refused };

  account_test_wait (reached, &w, WAIT_MS, what);
  g_test_message ("%s: %s", what, bell_account_get_status_text (account));
}

static gboolean
not_changed (gpointer data)
{
  return bell_account_get_refused_fingerprint (data) &&
         !bell_account_get_refused_changed (data) &&
         bell_account_get_state (data) == BELL_ACCOUNT_STATE_FAILED;
}

static void
test_pin (void)
{
  g_autofree char *fp_a = self_signed ("a");
  g_autofree char *fp_b = self_signed ("b");
  TlsRegistrar *registrar = registrar_start ("a");
  g_autoptr(GSettings) settings = g_settings_new ("io.github.bellbird.Bellbird");
  g_autoptr(BellAccountStore) store = NULL;
  g_autoptr(BellAccountFields) fields = bell_account_fields_new ();
  g_autoptr(BellAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stored = NULL;
  BellCore *core;

  g_settings_reset (settings, "accounts");
  store = bell_account_store_new (settings);
  g_free (fields->address);
  fields->address = g_strdup ("sip:alice@127.0.0.1");
  g_free (fields->registrar);
  fields->registrar = g_strdup_printf ("127.0.0.1:%u", registrar->port);
  g_free (fields->transport);
  fields->transport = g_strdup ("tls");
  account = save (store, fields, &error);
  g_assert_no_error (error);

  /* (a) */
  core = attach_core (store);
  wait_for (account, BELL_ACCOUNT_STATE_FAILED, fp_a, "refused as untrusted");
  g_assert_false (bell_account_get_refused_changed (account));
  g_assert_cmpstr (bell_account_get_refused_subject (account), ==, "CN=pbx.test");
  g_assert_nonnull (strstr (bell_account_get_status_text (account), "not trusted"));
  g_assert_nonnull (strstr (bell_account_get_status_text (account), fp_a));
  g_assert_cmpint (g_atomic_int_get (&registrar->registers), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&registrar->refused), >=, 1);

  /* (b) */
  g_assert_true (bell_account_trust_certificate (account, fp_a, &error));
  g_assert_no_error (error);
  wait_for (account, BELL_ACCOUNT_STATE_REGISTERED, NULL, "registered with the pin");
  g_assert_null (bell_account_get_refused_fingerprint (account));
  g_assert_cmpint (g_atomic_int_get (&registrar->registers), >=, 1);
  stored = g_settings_get_string (bell_account_get_settings (account), "tls-fingerprint");
  g_assert_cmpstr (stored, ==, fp_a);

  /* (c) the app starts again; meanwhile the server got another self-signed certificate. */
  bell_account_store_detach_core (store);
  bell_core_shutdown (core);
  g_object_unref (core);
  registrar_use (registrar, "b");
  core = attach_core (store);
  wait_for (account, BELL_ACCOUNT_STATE_FAILED, fp_b, "refused as changed");
  g_assert_true (bell_account_get_refused_changed (account));
  g_assert_nonnull (strstr (bell_account_get_status_text (account), "has changed"));
  g_assert_nonnull (strstr (bell_account_get_status_text (account), fp_b));
  g_assert_cmpstr (bell_account_get_tls_fingerprint (account), ==, fp_a);

  /* (d) the user forgets the old certificate: the account registers again without the pin, so
   * the new certificate is merely untrusted (the old pin went with its registration). */
  bell_account_forget_certificate (account);
  wait_for (account, BELL_ACCOUNT_STATE_FAILED, fp_b, "refused as untrusted after forgetting");
  account_test_wait (not_changed, account, WAIT_MS, "the refusal no longer a change");
  g_assert_cmpstr (bell_account_get_tls_fingerprint (account), ==, "");
  g_assert_nonnull (strstr (bell_account_get_status_text (account), "not trusted"));

  /* Disabled, the account has nothing to trust any more. */
  g_settings_set_boolean (bell_account_get_settings (account), "enabled", FALSE);
  wait_for (account, BELL_ACCOUNT_STATE_DISABLED, NULL, "disabled");
  g_assert_null (bell_account_get_refused_fingerprint (account));

  bell_account_store_detach_core (store);
  bell_core_shutdown (core);
  g_object_unref (core);
  registrar_stop (registrar);
}

static void
remove_certificates (void)
{
  g_autoptr(GDir) dir = g_dir_open (cert_dir, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *path = g_build_filename (cert_dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (cert_dir);
  g_clear_pointer (&cert_dir, g_free);
}

static gboolean
on_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *daemon = g_find_program_in_path ("gnome-keyring-daemon");
  g_autofree char *openssl_cmd = g_find_program_in_path ("openssl");
  GPid keyring;
  int status;

  home = account_test_private_home ("memory");
  g_test_init (&argc, &argv, NULL);
  if (!daemon || !openssl_cmd)
    {
      g_test_add_data_func ("/accounts/tls-pin/skipped",
                            "needs gnome-keyring-daemon (gnome-keyring) and openssl",
                            (GTestDataFunc) g_test_skip);
      return g_test_run ();
    }
  cert_dir = g_build_filename (home, "certs", NULL);
  g_mkdir_with_parents (cert_dir, 0700);
  account_test_bus_up ();
  {
    /* account_test_wait() checks only when the main context wakes, and nothing else runs
     * here yet: a tick makes it see the daemon arrive rather than at its time-out. */
    guint tick = g_timeout_add (50, on_tick, NULL);
    keyring = account_test_keyring_start ();
    g_source_remove (tick);
  }
  g_test_add_func ("/accounts/tls-pin/untrusted-trusted-changed", test_pin);
  status = g_test_run ();

  secret_service_disconnect ();
  account_test_keyring_stop (keyring);
  account_test_bus_stop ();
  remove_certificates ();
  account_test_rm_rf (home);
  g_free (home);
  return status;
}
