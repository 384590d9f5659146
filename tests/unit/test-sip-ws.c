/* test-sip-ws.c: SIP over WebSocket as a client (RFC 7118) against a libsoup 3 server in the
 * same process, on 127.0.0.1 and a free port, each test on its own main context with a 5 s
 * budget: messages both ways, text and binary frames, the "sip" subprotocol, HTTP failures,
 * closes from the server, the size limit, and wss with certificates made by the openssl CLI.
 */
#include <string.h>

#include <glib/gstdio.h>
#include <gio/gio.h>
#include <libsoup/soup.h>

#include "bell-sip-msg.h"
#include "bell-sip-transport.h"
#include "bell-sip-ws.h"

#define TEST_TIMEOUT_S 30   /* a hang guard, generous for ASan on a loaded machine */

/* Made once per run by make_certificates(); NULL when that failed (tests then skip). */
static char *cert_dir;
static char *cert_problem;

typedef struct
{
  GMainContext *context;
  GMainLoop    *loop;
  GSource      *deadline;
  gboolean      timed_out;
  gboolean      tls;

  /* The server: it answers on /sip (subprotocol "sip"), /chat ("chat" only) and /any (no
   * subprotocol list, so it agrees to none); anything else is 404. */
  SoupServer   *server;
  guint         port;
  char         *base;              /* "ws://127.0.0.1:PORT" or "wss://..." */
  GPtrArray    *server_conns;      /* SoupWebsocketConnection, one per accepted client */
  GPtrArray    *server_got;        /* GBytes, in order */
  GArray       *server_got_types;  /* SoupWebsocketDataType of each */

  /* The client. */
  gboolean      connect_done;
  BellSipWs    *ws;
  GError       *connect_error;
  GPtrArray    *got;               /* GBytes, in order */
  gboolean      closed;
  guint         n_closed;
  GError       *closed_error;
} Fixture;

/* Runs the fixture's loop until cond holds; every event of interest quits the loop so that cond
 * is checked again. The whole test shares one deadline. */
#define run_until(f, cond)                                                              \
  G_STMT_START {                                                                        \
    while (!(cond) && !(f)->timed_out)                                                  \
      g_main_loop_run ((f)->loop);                                                      \
    if (!(cond))                                                                        \
      g_error ("%s:%d: no \"%s\" within %d s", __FILE__, __LINE__, #cond,               \
               TEST_TIMEOUT_S);                                                         \
  } G_STMT_END

#define assert_error_mentions(err, text)                                                \
  G_STMT_START {                                                                        \
    const GError *_e = (err);                                                           \
    g_assert_nonnull (_e);                                                              \
    if (strstr (_e->message, (text)) == NULL)                                           \
      g_error ("%s:%d: error \"%s\" does not mention \"%s\"", __FILE__, __LINE__,        \
               _e->message, (text));                                                    \
  } G_STMT_END

static gboolean
on_deadline (gpointer user_data)
{
  Fixture *f = user_data;

  f->timed_out = TRUE;
  g_main_loop_quit (f->loop);
  return G_SOURCE_REMOVE;
}

/* The server */

static gboolean
has_header_prefix (const char *line, const char *name)
{
  gsize len = strlen (name);

  return g_ascii_strncasecmp (line, name, len) == 0 && line[len] == ':';
}

/* A 200 OK to a request, with its Via, From, To, Call-ID and CSeq (RFC 3261 §8.2.6.2). */
static GBytes *
make_response (GBytes *request)
{
  gsize len;
  const char *data = g_bytes_get_data (request, &len);
  g_autofree char *text = g_strndup (data, len);
  g_auto(GStrv) lines = g_strsplit (text, "\r\n", -1);
  GString *out = g_string_new ("SIP/2.0 200 OK\r\n");

  for (guint i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++)
    if (has_header_prefix (lines[i], "Via") || has_header_prefix (lines[i], "From")
        || has_header_prefix (lines[i], "To") || has_header_prefix (lines[i], "Call-ID")
        || has_header_prefix (lines[i], "CSeq"))
      g_string_append_printf (out, "%s\r\n", lines[i]);
  g_string_append (out, "Content-Length: 0\r\n\r\n");
  return g_string_free_to_bytes (out);
}

/* What the server does with a message: "CMD ..." lines drive it, binary is echoed as is, and
 * anything else is taken as a SIP request and answered 200. */
static void
on_server_message (SoupWebsocketConnection *conn,
                   gint                     type,
                   GBytes                  *message,
                   gpointer                 user_data)
{
  Fixture *f = user_data;
  gsize len;
  const char *data = g_bytes_get_data (message, &len);
  g_autofree char *text = g_strndup (data, len);

  g_ptr_array_add (f->server_got, g_bytes_ref (message));
  g_array_append_val (f->server_got_types, type);
  g_main_loop_quit (f->loop);

  if (type == SOUP_WEBSOCKET_DATA_BINARY)
    soup_websocket_connection_send_message (conn, SOUP_WEBSOCKET_DATA_BINARY, message);
  else if (g_str_equal (text, "CMD close"))
    soup_websocket_connection_close (conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  else if (g_str_equal (text, "CMD close 4000"))
    soup_websocket_connection_close (conn, 4000, "maintenance");
  else if (g_str_equal (text, "CMD drop"))
    g_io_stream_close (soup_websocket_connection_get_io_stream (conn), NULL, NULL);
  else if (g_str_has_prefix (text, "CMD send "))
    {
      gsize size = g_ascii_strtoull (text + strlen ("CMD send "), NULL, 10);
      g_autofree char *big = g_malloc (size);
      g_autoptr(GBytes) bytes = NULL;

      memset (big, 'a', size);
      bytes = g_bytes_new_take (g_steal_pointer (&big), size);
      soup_websocket_connection_send_message (conn, SOUP_WEBSOCKET_DATA_TEXT, bytes);
    }
  else
    {
      g_autoptr(GBytes) response = make_response (message);
      soup_websocket_connection_send_message (conn, SOUP_WEBSOCKET_DATA_TEXT, response);
    }
}

static void
on_server_conn_closed (SoupWebsocketConnection *conn,
                       gpointer                 user_data)
{
  Fixture *f = user_data;

  g_main_loop_quit (f->loop);
}

static void
on_server_websocket (SoupServer              *server,
                     SoupServerMessage       *msg,
                     const char              *path,
                     SoupWebsocketConnection *conn,
                     gpointer                 user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->server_conns, g_object_ref (conn));
  g_signal_connect (conn, "message", G_CALLBACK (on_server_message), f);
  g_signal_connect (conn, "closed", G_CALLBACK (on_server_conn_closed), f);
  g_main_loop_quit (f->loop);
}

static void
fixture_setup (Fixture *f, gboolean tls)
{
  static char *sip_only[] = { "sip", NULL };
  static char *chat_only[] = { "chat", NULL };
  g_autoptr(GError) error = NULL;
  GSList *uris;

  f->tls = tls;
  f->context = g_main_context_new ();
  g_main_context_push_thread_default (f->context);
  f->loop = g_main_loop_new (f->context, FALSE);
  f->deadline = g_timeout_source_new_seconds (TEST_TIMEOUT_S);
  g_source_set_callback (f->deadline, on_deadline, f, NULL);
  g_source_attach (f->deadline, f->context);
  f->server_conns = g_ptr_array_new_with_free_func (g_object_unref);
  f->server_got = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  f->server_got_types = g_array_new (FALSE, FALSE, sizeof (gint));
  f->got = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  if (tls)
    {
      g_autofree char *cert_file = NULL;
      g_autofree char *key_file = NULL;
      g_autoptr(GTlsCertificate) certificate = NULL;

      if (cert_dir == NULL)
        return;
      cert_file = g_build_filename (cert_dir, "server.pem", NULL);
      key_file = g_build_filename (cert_dir, "server.key", NULL);
      certificate = g_tls_certificate_new_from_files (cert_file, key_file, &error);
      g_assert_no_error (error);
      f->server = soup_server_new ("tls-certificate", certificate, NULL);
    }
  else
    f->server = soup_server_new (NULL, NULL);

  soup_server_add_websocket_handler (f->server, "/sip", NULL, sip_only, on_server_websocket, f,
                                     NULL);
  soup_server_add_websocket_handler (f->server, "/chat", NULL, chat_only, on_server_websocket,
                                     f, NULL);
  soup_server_add_websocket_handler (f->server, "/any", NULL, NULL, on_server_websocket, f,
                                     NULL);
  soup_server_listen_local (f->server, 0,
                            SOUP_SERVER_LISTEN_IPV4_ONLY | (tls ? SOUP_SERVER_LISTEN_HTTPS : 0),
                            &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (f->server);
  g_assert_nonnull (uris);
  f->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  f->base = g_strdup_printf ("%s://127.0.0.1:%u", tls ? "wss" : "ws", f->port);
}

static void
fixture_setup_ws (Fixture *f, gconstpointer data)
{
  fixture_setup (f, FALSE);
}

static void
fixture_setup_wss (Fixture *f, gconstpointer data)
{
  fixture_setup (f, TRUE);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  if (f->ws != NULL)
    {
      /* Close cleanly, then the last reference must really be the last. */
      if (!f->closed)
        {
          bell_sip_ws_close (f->ws);
          run_until (f, f->closed);
          g_assert_no_error (f->closed_error);
        }
      g_assert_cmpuint (f->n_closed, ==, 1);
      g_assert_finalize_object (g_steal_pointer (&f->ws));
    }

  for (guint i = 0; i < f->server_conns->len; i++)
    g_signal_handlers_disconnect_by_data (f->server_conns->pdata[i], f);
  g_clear_pointer (&f->server_conns, g_ptr_array_unref);
  if (f->server != NULL)
    soup_server_disconnect (f->server);
  g_clear_object (&f->server);
  /* Let libsoup finish what it started (close handshakes, socket closes). */
  while (g_main_context_iteration (f->context, FALSE))
    ;

  g_source_destroy (f->deadline);
  g_clear_pointer (&f->deadline, g_source_unref);
  g_clear_pointer (&f->loop, g_main_loop_unref);
  g_main_context_pop_thread_default (f->context);
  g_clear_pointer (&f->context, g_main_context_unref);
  g_clear_pointer (&f->server_got, g_ptr_array_unref);
  g_clear_pointer (&f->server_got_types, g_array_unref);
  g_clear_pointer (&f->got, g_ptr_array_unref);
  g_clear_error (&f->connect_error);
  g_clear_error (&f->closed_error);
  g_clear_pointer (&f->base, g_free);
}

static gboolean
skip_without_tls (Fixture *f)
{
  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_test_skip ("GIO has no TLS backend (glib-networking is not installed)");
      return TRUE;
    }
  if (cert_dir == NULL)
    {
      g_test_skip (cert_problem);
      return TRUE;
    }
  return FALSE;
}

/* A raw WebSocket server on a thread, for what libsoup's server will not do: answer with a
 * subprotocol we did not offer, or send one message in fragments. It serves one client. */

typedef struct
{
  GSocket    *listener;
  guint16     port;
  const char *protocol;      /* the Sec-WebSocket-Protocol it answers, or NULL */
  gsize       fragment_1;    /* sizes of a two-frame text message it sends after the upgrade */
  gsize       fragment_2;
  GThread    *thread;
  GMainLoop  *loop;          /* of the test, to wake when the thread is done */
  gint        done;          /* atomic */
} RawServer;

static gboolean
raw_server_wake (gpointer data)
{
  GMainLoop *loop = data;

  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static gboolean
raw_write (GSocket *socket, const void *data, gsize len)
{
  const char *p = data;

  while (len > 0)
    {
      gssize n = g_socket_send (socket, p, len, NULL, NULL);
      if (n <= 0)
        return FALSE;
      p += n;
      len -= n;
    }
  return TRUE;
}

static gboolean
raw_write_frame (GSocket *socket, guint8 first_byte, gsize len)
{
  guint8 header[10] = { first_byte, 127 };
  g_autofree char *payload = g_malloc (len);

  for (guint i = 0; i < 8; i++)
    header[2 + i] = (guint64) len >> (56 - 8 * i);
  memset (payload, 'a', len);
  return raw_write (socket, header, sizeof header) && raw_write (socket, payload, len);
}

static void
raw_server_serve (RawServer *rs)
{
  g_autoptr(GSocket) socket = g_socket_accept (rs->listener, NULL, NULL);
  char request[4096];
  gsize have = 0;
  g_autofree char *lower = NULL;
  g_autofree char *key = NULL;
  g_autofree char *accept = NULL;
  g_autofree char *response = NULL;
  g_autoptr(GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  guint8 digest[20];
  gsize digest_len = sizeof digest;
  const char *p;

  if (socket == NULL)
    return;
  g_socket_set_timeout (socket, TEST_TIMEOUT_S);
  while (have < sizeof request - 1)
    {
      gssize n = g_socket_receive (socket, request + have, sizeof request - 1 - have, NULL, NULL);
      if (n <= 0)
        return;
      have += n;
      request[have] = '\0';
      if (strstr (request, "\r\n\r\n") != NULL)
        break;
    }

  /* RFC 6455 §4.2.2: the accept key is base64 (SHA-1 (key + GUID)). */
  lower = g_ascii_strdown (request, -1);
  p = strstr (lower, "\r\nsec-websocket-key:");
  if (p == NULL)
    return;
  p = request + (p - lower) + strlen ("\r\nsec-websocket-key:");
  while (*p == ' ')
    p++;
  key = g_strndup (p, strcspn (p, "\r\n "));
  g_checksum_update (sha1, (const guchar *) key, -1);
  g_checksum_update (sha1, (const guchar *) "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", -1);
  g_checksum_get_digest (sha1, digest, &digest_len);
  accept = g_base64_encode (digest, digest_len);
  response = g_strdup_printf ("HTTP/1.1 101 Switching Protocols\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\n"
                              "Sec-WebSocket-Accept: %s\r\n"
                              "%s%s%s"
                              "\r\n",
                              accept, rs->protocol ? "Sec-WebSocket-Protocol: " : "",
                              rs->protocol ? rs->protocol : "", rs->protocol ? "\r\n" : "");
  if (!raw_write (socket, response, strlen (response)))
    return;

  /* A text frame without FIN, then the continuation with FIN. */
  if (rs->fragment_1 > 0
      && !(raw_write_frame (socket, 0x01, rs->fragment_1)
           && raw_write_frame (socket, 0x80, rs->fragment_2)))
    return;

  /* Whatever the client sends next (a close frame) or its end: then we hang up. */
  g_socket_receive (socket, request, sizeof request, NULL, NULL);
  g_socket_close (socket, NULL);
}

static gpointer
raw_server_thread (gpointer data)
{
  RawServer *rs = data;

  raw_server_serve (rs);
  g_atomic_int_set (&rs->done, TRUE);
  /* The wake holds its own reference to the loop, not to rs: the test may see done, return and
   * drop rs (on its stack) before the wake runs, in the teardown's last iterations. */
  g_main_context_invoke_full (g_main_loop_get_context (rs->loop), G_PRIORITY_DEFAULT,
                              raw_server_wake, g_main_loop_ref (rs->loop),
                              (GDestroyNotify) g_main_loop_unref);
  return NULL;
}

static void
raw_server_start (Fixture *f, RawServer *rs, const char *protocol, gsize fragment_1,
                  gsize fragment_2)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  rs->loop = f->loop;
  rs->protocol = protocol;
  rs->fragment_1 = fragment_1;
  rs->fragment_2 = fragment_2;
  rs->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                               G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (rs->listener, any, TRUE, &error));
  g_assert_true (g_socket_listen (rs->listener, &error));
  g_assert_no_error (error);
  g_socket_set_timeout (rs->listener, TEST_TIMEOUT_S);
  bound = g_socket_get_local_address (rs->listener, &error);
  g_assert_no_error (error);
  rs->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  rs->thread = g_thread_new ("raw-ws-server", raw_server_thread, rs);
}

/* Waits on the loop (the client may need it to hang up) until the thread is done. */
static void
raw_server_stop (Fixture *f, RawServer *rs)
{
  run_until (f, g_atomic_int_get (&rs->done));
  g_thread_join (rs->thread);
  g_clear_object (&rs->listener);
}

/* The client */

static void
on_client_message (BellSipWs *ws,
                   GBytes    *message,
                   gpointer   user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->got, g_bytes_ref (message));
  g_main_loop_quit (f->loop);
}

static void
on_client_closed (BellSipWs    *ws,
                  const GError *error,
                  gpointer      user_data)
{
  Fixture *f = user_data;

  f->closed = TRUE;
  f->n_closed++;
  g_clear_error (&f->closed_error);
  f->closed_error = error ? g_error_copy (error) : NULL;
  g_main_loop_quit (f->loop);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Fixture *f = user_data;

  g_assert_null (source);
  f->ws = bell_sip_ws_connect_finish (result, &f->connect_error);
  g_assert_true ((f->ws == NULL) != (f->connect_error == NULL));
  f->connect_done = TRUE;
  if (f->ws != NULL)
    {
      g_signal_connect (f->ws, "message", G_CALLBACK (on_client_message), f);
      g_signal_connect (f->ws, "closed", G_CALLBACK (on_client_closed), f);
    }
  g_main_loop_quit (f->loop);
}

static void
connect_url (Fixture *f, const char *url, const char *ca_file, gboolean accept_untrusted)
{
  f->connect_done = FALSE;
  bell_sip_ws_connect_async (url, ca_file, accept_untrusted, NULL, on_connected, f);
  run_until (f, f->connect_done);
}

static void
connect_path (Fixture *f, const char *path, const char *ca_file, gboolean accept_untrusted)
{
  g_autofree char *url = g_strconcat (f->base, path, NULL);

  connect_url (f, url, ca_file, accept_untrusted);
}

static void
send_text (Fixture *f, const char *text)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));
  g_autoptr(GError) error = NULL;

  g_assert_true (bell_sip_ws_send (f->ws, bytes, &error));
  g_assert_no_error (error);
}

static char *
make_request (BellSipWs *ws, const char *method, guint cseq)
{
  const char *via_host = bell_sip_ws_get_via_host (ws);

  return g_strdup_printf ("%s sip:bob@example.com SIP/2.0\r\n"
                          "Via: SIP/2.0/WS %s;branch=z9hG4bK56sdasks%u\r\n"
                          "Max-Forwards: 70\r\n"
                          "To: <sip:bob@example.com>\r\n"
                          "From: <sip:alice@example.com>;tag=hy7grbvw\r\n"
                          "Call-ID: 7ewtrbqkzp%u@ws\r\n"
                          "CSeq: %u %s\r\n"
                          "Contact: <sip:alice@%s;transport=ws;ob>\r\n"
                          "Subject: Grüße ☎\r\n"
                          "Content-Length: 0\r\n"
                          "\r\n",
                          method, via_host, cseq, cseq, cseq, method, via_host);
}

/* Sends a request and checks the 200 the server builds from it. */
static void
exchange (Fixture *f, const char *method, guint cseq)
{
  g_autofree char *request = make_request (f->ws, method, cseq);
  g_autofree char *call_id = g_strdup_printf ("7ewtrbqkzp%u@ws", cseq);
  g_autofree char *via = g_strdup_printf ("Via: SIP/2.0/WS %s;", bell_sip_ws_get_via_host (f->ws));
  guint server_before = f->server_got->len;
  guint client_before = f->got->len;
  g_autoptr(BellSipMsg) response = NULL;
  g_autoptr(GError) error = NULL;
  GBytes *sent;
  GBytes *got;
  gsize len;
  const char *data;

  send_text (f, request);
  run_until (f, f->server_got->len > server_before && f->got->len > client_before);

  /* One SIP message in one text message, unchanged. */
  sent = f->server_got->pdata[server_before];
  g_assert_cmpint (g_array_index (f->server_got_types, gint, server_before), ==,
                   SOUP_WEBSOCKET_DATA_TEXT);
  data = g_bytes_get_data (sent, &len);
  g_assert_cmpmem (data, len, request, strlen (request));

  got = f->got->pdata[client_before];
  data = g_bytes_get_data (got, &len);
  response = bell_sip_msg_parse (data, len, BELL_SIP_PARSE_STREAM, &error);
  g_assert_no_error (error);
  g_assert_nonnull (response);
  g_assert_false (bell_sip_msg_is_request (response));
  g_assert_cmpuint (bell_sip_msg_get_status (response), ==, 200);
  g_assert_true (bell_str_equal_cstr (bell_sip_msg_get_call_id (response), call_id));
  g_assert_nonnull (g_strstr_len (data, len, via));
}

/* Tests */

static void
test_exchange (Fixture *f, gconstpointer data)
{
  g_autofree char *url = g_strconcat (f->base, "/sip", NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *remote;
  GSocketAddress *local;
  const char *via_host;

  connect_path (f, "/sip", NULL, FALSE);
  g_assert_no_error (f->connect_error);
  g_assert_true (bell_sip_ws_is_open (f->ws));
  g_assert_cmpstr (bell_sip_ws_get_url (f->ws), ==, url);
  g_assert_cmpstr (bell_sip_ws_get_host (f->ws), ==, "127.0.0.1");

  /* RFC 7118 §5.2: a random host under .invalid. */
  via_host = bell_sip_ws_get_via_host (f->ws);
  g_assert_true (g_regex_match_simple ("^[a-z0-9]{12}\\.invalid$", via_host, 0, 0));

  remote = bell_sip_ws_get_remote_address (f->ws);
  g_assert_true (G_IS_INET_SOCKET_ADDRESS (remote));
  g_assert_true (g_inet_address_equal (
    g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)), loopback));
  g_assert_cmpuint (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote)), ==,
                    f->port);
  local = bell_sip_ws_get_local_address (f->ws);
  g_assert_true (G_IS_INET_SOCKET_ADDRESS (local));
  g_assert_true (g_inet_address_equal (
    g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)), loopback));
  g_assert_cmpuint (g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)), !=, 0);

  exchange (f, "INVITE", 1);
  exchange (f, "OPTIONS", 2);
  exchange (f, "BYE", 3);
  g_assert_cmpuint (f->got->len, ==, 3);
  g_assert_false (f->closed);
}

static void
test_via_host_per_connection (Fixture *f, gconstpointer data)
{
  g_autofree char *first = NULL;

  connect_path (f, "/sip", NULL, FALSE);
  g_assert_no_error (f->connect_error);
  first = g_strdup (bell_sip_ws_get_via_host (f->ws));
  g_assert_cmpstr (bell_sip_ws_get_via_host (f->ws), ==, first);
  bell_sip_ws_close (f->ws);
  run_until (f, f->closed);
  g_assert_no_error (f->closed_error);
  g_assert_finalize_object (g_steal_pointer (&f->ws));

  f->closed = FALSE;
  f->n_closed = 0;
  connect_path (f, "/sip", NULL, FALSE);
  g_assert_no_error (f->connect_error);
  g_assert_cmpstr (bell_sip_ws_get_via_host (f->ws), !=, first);
}

static void
test_binary (Fixture *f, gconstpointer data)
{
  static const char head[] = "MESSAGE sip:bob@example.com SIP/2.0\r\n"
                             "Via: SIP/2.0/WS x.invalid;branch=z9hG4bKbin1\r\n"
                             "Call-ID: bin1@ws\r\n"
                             "CSeq: 1 MESSAGE\r\n"
                             "Content-Type: application/octet-stream\r\n"
                             "Content-Length: 6\r\n"
                             "\r\n";
  static const char body_nul[] = { 'a', '\0', 'b', '\x01', '\xfe', '\xff' };
  static const char body_latin1[] = { 'c', 'a', 'f', '\xe9', '!', '!' };
  const char *bodies[] = { body_nul, body_latin1 };

  connect_path (f, "/sip", NULL, FALSE);
  g_assert_no_error (f->connect_error);

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(GByteArray) message = g_byte_array_new ();
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GError) error = NULL;
      GBytes *echoed;

      g_byte_array_append (message, (const guint8 *) head, strlen (head));
      g_byte_array_append (message, (const guint8 *) bodies[i], 6);
      bytes = g_byte_array_free_to_bytes (g_steal_pointer (&message));

      g_assert_true (bell_sip_ws_send (f->ws, bytes, &error));
      g_assert_no_error (error);
      run_until (f, f->server_got->len == i + 1 && f->got->len == i + 1);

      /* Not UTF-8 (a NUL, then Latin-1): a binary frame, byte for byte, both ways. */
      g_assert_cmpint (g_array_index (f->server_got_types, gint, i), ==,
                       SOUP_WEBSOCKET_DATA_BINARY);
      g_assert_true (g_bytes_equal (f->server_got->pdata[i], bytes));
      echoed = f->got->pdata[i];
      g_assert_true (g_bytes_equal (echoed, bytes));
    }
}

static void
test_subprotocol_chat (Fixture *f, gconstpointer data)
{
  connect_path (f, "/chat", NULL, FALSE);
  g_assert_null (f->ws);
  g_assert_error (f->connect_error, BELL_SIP_TRANSPORT_ERROR,
                  BELL_SIP_TRANSPORT_ERROR_UNREACHABLE);
  assert_error_mentions (f->connect_error, "HTTP 400");
  assert_error_mentions (f->connect_error, "subprotocol \"sip\"");
  g_test_message ("%s", f->connect_error->message);
}

static void
test_subprotocol_none (Fixture *f, gconstpointer data)
{
  connect_path (f, "/any", NULL, FALSE);
  g_assert_null (f->ws);
  g_assert_error (f->connect_error, BELL_SIP_TRANSPORT_ERROR,
                  BELL_SIP_TRANSPORT_ERROR_UNREACHABLE);
  assert_error_mentions (f->connect_error, "did not agree to subprotocol \"sip\"");
  g_test_message ("%s", f->connect_error->message);

  /* We close what the server opened. */
  run_until (f, f->server_conns->len == 1
                && soup_websocket_connection_get_state (f->server_conns->pdata[0])
                   == SOUP_WEBSOCKET_STATE_CLOSED);
  g_assert_cmpuint (soup_websocket_connection_get_close_code (f->server_conns->pdata[0]), ==,
                    SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR);
}

static void
test_not_found (Fixture *f, gconstpointer data)
{
  connect_path (f, "/nope", NULL, FALSE);
  g_assert_null (f->ws);
  g_assert_error (f->connect_error, BELL_SIP_TRANSPORT_ERROR,
                  BELL_SIP_TRANSPORT_ERROR_UNREACHABLE);
  assert_error_mentions (f->connect_error, "HTTP 404 Not Found");
  g_test_message ("%s", f->connect_error->message);
}

static void
test_refused (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  /* A port that was free a moment ago and that nobody listens on. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                         &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, any, FALSE, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  url = g_strdup_printf ("ws://127.0.0.1:%u/sip",
                         g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  g_socket_close (socket, NULL);

  connect_url (f, url, NULL, FALSE);
  g_assert_error (f->connect_error, BELL_SIP_TRANSPORT_ERROR,
                  BELL_SIP_TRANSPORT_ERROR_UNREACHABLE);
  assert_error_mentions (f->connect_error, url);
  g_test_message ("%s", f->connect_error->message);
}

static void
test_bad_url (Fixture *f, gconstpointer data)
{
  const char *urls[] = { "http://127.0.0.1/sip", "ws://", "not a url", "sip:alice@example.com" };

  for (gsize i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_clear_error (&f->connect_error);
      connect_url (f, urls[i], NULL, FALSE);
      g_assert_error (f->connect_error, BELL_SIP_TRANSPORT_ERROR,
                      BELL_SIP_TRANSPORT_ERROR_UNREACHABLE);
      assert_error_mentions (f->connect_error, "invalid WebSocket URL");
    }
}

static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *url = g_strconcat (f->base, "/sip", NULL);

  bell_sip_ws_connect_async (url, NULL, FALSE, cancellable, on_connected, f);
  g_cancellable_cancel (cancellable);
  run_until (f, f->connect_done);
  g_assert_null (f->ws);
  g_assert_error (f->connect_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_server_closes (Fixture *f, gconstpointer data)
{
  g_autoptr(GBytes) late = g_bytes_new_static ("OPTIONS", 7);
  g_autoptr(GError) error = NULL;

  connect_path (f, "/sip", NULL, FALSE);
  g_assert_no_error (f->connect_error);
  send_text (f, "CMD close");
  run_until (f, f->closed);

  /* Code 1000 from the server: a clean close. */
  g_assert_no_error (f->closed_error);
  g_assert_cmpuint (f->n_closed, ==, 1);
  g_assert_false (bell_sip_ws_is_open (f->ws));
  g_assert_false (bell_sip_ws_send (f->ws, late, &error));
  g_assert_error (error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_CLOSED);
  /* Closing what is closed is a no-op. */
  bell_sip_ws_close (f->ws);
}

/* Dropping the last reference closes the connection; no "closed" comes after that. */
static void
test_unref_closes (Fixture *f, gconstpointer data)
{
  SoupWebsocketConnection *server_conn;

  connect_path (f, "/sip", NULL, FALSE);
  g_assert_no_error (f->connect_error);
  run_until (f, f->server_conns->len == 1);
  server_conn = f->server_conns->pdata[0];
  g_assert_finalize_object (g_steal_pointer (&f->ws));
  run_until (f, soup_websocket_connection_get_state (server_conn) == SOUP_WEBSOCKET_STATE_CLOSED);
  g_assert_cmpuint (soup_websocket_connection_get_close_code (server_conn), ==,
                    SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  g_assert_false (f->closed);
}

static void
on_message_unref (BellSipWs *ws,
                  GBytes    *message,
                  gpointer   user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->got, g_bytes_ref (message));
  g_clear_object (&f->ws);
  g_main_loop_quit (f->loop);
}

static void
on_closed_unref (BellSipWs    *ws,
                 const GError *error,
                 gpointer      user_data)
{
  Fixture *f = user_data;

  f->closed = TRUE;
  g_clear_object (&f->ws);
  g_main_loop_quit (f->loop);
}

/* Handlers may drop the last reference, as the transport does when it forgets a link. */
static void
test_unref_in_handlers (Fixture *f, gconstpointer data)
{
  g_autofree char *request = NULL;

  connect_path (f, "/sip", NULL, FALSE);
  g_assert_no_error (f->connect_error);
  g_signal_handlers_disconnect_by_data (f->ws, f);
  g_signal_connect (f->ws, "message", G_CALLBACK (on_message_unref), f);
  request = make_request (f->ws, "OPTIONS", 1);
  send_text (f, request);
  run_until (f, f->ws == NULL);
  g_assert_cmpuint (f->got->len, ==, 1);

  connect_path (f, "/sip", NULL, FALSE);
  g_assert_no_error (f->connect_error);
  g_signal_handlers_disconnect_by_data (f->ws, f);
  g_signal_connect (f->ws, "closed", G_CALLBACK (on_closed_unref), f);
  send_text (f, "CMD close");
  run_until (f, f->closed && f->ws == NULL);
}

static void
test_server_closes_with_code (Fixture *f, gconstpointer data)
{
  connect_path (f, "/sip", NULL, FALSE);
  g_assert_no_error (f->connect_error);
  send_text (f, "CMD close 4000");
  run_until (f, f->closed);
  g_assert_error (f->closed_error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_CLOSED);
  assert_error_mentions (f->closed_error, "4000");
  assert_error_mentions (f->closed_error, "maintenance");
  g_test_message ("%s", f->closed_error->message);
}

static void
test_server_drops (Fixture *f, gconstpointer data)
{
  connect_path (f, "/sip", NULL, FALSE);
  g_assert_no_error (f->connect_error);
  send_text (f, "CMD drop");
  run_until (f, f->closed);
  g_assert_error (f->closed_error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_CLOSED);
  assert_error_mentions (f->closed_error, f->base);
  g_test_message ("%s", f->closed_error->message);
}

static void
test_size_limit (Fixture *f, gconstpointer data)
{
  g_autofree char *at_limit = g_strdup_printf ("CMD send %u", BELL_SIP_MAX_MESSAGE_SIZE);
  g_autofree char *over = g_strdup_printf ("CMD send %u", BELL_SIP_MAX_MESSAGE_SIZE + 1);

  connect_path (f, "/sip", NULL, FALSE);
  g_assert_no_error (f->connect_error);

  /* 256 KiB exactly still passes. */
  send_text (f, at_limit);
  run_until (f, f->got->len == 1);
  g_assert_cmpuint (g_bytes_get_size (f->got->pdata[0]), ==, BELL_SIP_MAX_MESSAGE_SIZE);

  /* One byte more closes the connection, with an error and without a "message". */
  send_text (f, over);
  run_until (f, f->closed);
  g_assert_cmpuint (f->got->len, ==, 1);
  g_assert_error (f->closed_error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_CLOSED);
  assert_error_mentions (f->closed_error, "limit");
  g_test_message ("%s", f->closed_error->message);
  g_assert_false (bell_sip_ws_is_open (f->ws));
  run_until (f, soup_websocket_connection_get_state (f->server_conns->pdata[0])
                == SOUP_WEBSOCKET_STATE_CLOSED);
}

static void
test_subprotocol_not_offered (Fixture *f, gconstpointer data)
{
  RawServer rs = { 0 };
  g_autofree char *url = NULL;

  raw_server_start (f, &rs, "chat", 0, 0);
  url = g_strdup_printf ("ws://127.0.0.1:%u/sip", rs.port);
  connect_url (f, url, NULL, FALSE);
  g_assert_null (f->ws);
  g_assert_error (f->connect_error, BELL_SIP_TRANSPORT_ERROR,
                  BELL_SIP_TRANSPORT_ERROR_UNREACHABLE);
  assert_error_mentions (f->connect_error, "did not agree to subprotocol \"sip\"");
  assert_error_mentions (f->connect_error, "\"chat\"");
  g_test_message ("%s", f->connect_error->message);
  raw_server_stop (f, &rs);
}

/* Two frames under the limit that make one message over it. */
static void
test_size_limit_fragmented (Fixture *f, gconstpointer data)
{
  RawServer rs = { 0 };
  g_autofree char *url = NULL;

  raw_server_start (f, &rs, "sip", 200 * 1024, 100 * 1024);
  url = g_strdup_printf ("ws://127.0.0.1:%u/sip", rs.port);
  connect_url (f, url, NULL, FALSE);
  g_assert_no_error (f->connect_error);
  run_until (f, f->closed);
  g_assert_cmpuint (f->got->len, ==, 0);
  g_assert_error (f->closed_error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_CLOSED);
  assert_error_mentions (f->closed_error, "limit");
  g_test_message ("%s", f->closed_error->message);
  raw_server_stop (f, &rs);
}

static void
test_wss_untrusted_refused (Fixture *f, gconstpointer data)
{
  if (skip_without_tls (f))
    return;

  connect_path (f, "/sip", NULL, FALSE);
  g_assert_null (f->ws);
  g_assert_error (f->connect_error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_TLS);
  assert_error_mentions (f->connect_error, "TLS certificate");
  assert_error_mentions (f->connect_error, "unknown");
  g_test_message ("%s", f->connect_error->message);
}

static void
test_wss_accept_untrusted (Fixture *f, gconstpointer data)
{
  if (skip_without_tls (f))
    return;

  connect_path (f, "/sip", NULL, TRUE);
  g_assert_no_error (f->connect_error);
  exchange (f, "REGISTER", 1);
}

static void
test_wss_ca_file (Fixture *f, gconstpointer data)
{
  g_autofree char *ca_file = NULL;

  if (skip_without_tls (f))
    return;

  ca_file = g_build_filename (cert_dir, "ca.pem", NULL);
  connect_path (f, "/sip", ca_file, FALSE);
  g_assert_no_error (f->connect_error);
  g_assert_cmpstr (bell_sip_ws_get_host (f->ws), ==, "127.0.0.1");
  g_assert_true (G_IS_INET_SOCKET_ADDRESS (bell_sip_ws_get_remote_address (f->ws)));
  g_assert_true (G_IS_INET_SOCKET_ADDRESS (bell_sip_ws_get_local_address (f->ws)));
  exchange (f, "REGISTER", 1);
  exchange (f, "INVITE", 2);
}

static void
test_wss_wrong_name (Fixture *f, gconstpointer data)
{
  g_autofree char *ca_file = NULL;
  g_autofree char *url = NULL;

  if (skip_without_tls (f))
    return;

  /* The certificate names 127.0.0.1 only. */
  ca_file = g_build_filename (cert_dir, "ca.pem", NULL);
  url = g_strdup_printf ("wss://localhost:%u/sip", f->port);
  connect_url (f, url, ca_file, FALSE);
  g_assert_error (f->connect_error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_TLS);
  assert_error_mentions (f->connect_error, "not issued for this host");
  g_test_message ("%s", f->connect_error->message);
}

static void
test_wss_missing_ca_file (Fixture *f, gconstpointer data)
{
  g_autofree char *ca_file = NULL;

  if (skip_without_tls (f))
    return;

  ca_file = g_build_filename (cert_dir, "no-such-ca.pem", NULL);
  connect_path (f, "/sip", ca_file, FALSE);
  g_assert_error (f->connect_error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_TLS);
  assert_error_mentions (f->connect_error, "no-such-ca.pem");
}

/* Certificates: a CA and a server certificate for 127.0.0.1 it signed, made with the openssl
 * CLI into a temporary directory, with configs of our own so the system's openssl.cnf does not
 * matter. */

static const char ca_config[] =
  "[req]\n"
  "distinguished_name = dn\n"
  "prompt = no\n"
  "x509_extensions = ext\n"
  "[dn]\n"
  "CN = Bellbird test CA\n"
  "[ext]\n"
  "basicConstraints = critical,CA:TRUE\n"
  "keyUsage = critical,keyCertSign,cRLSign\n"
  "subjectKeyIdentifier = hash\n";

static const char server_config[] =
  "[req]\n"
  "distinguished_name = dn\n"
  "prompt = no\n"
  "[dn]\n"
  "CN = 127.0.0.1\n"
  "[ext]\n"
  "basicConstraints = critical,CA:FALSE\n"
  "keyUsage = critical,digitalSignature,keyEncipherment\n"
  "extendedKeyUsage = serverAuth\n"
  "subjectAltName = IP:127.0.0.1\n"
  "subjectKeyIdentifier = hash\n"
  "authorityKeyIdentifier = keyid\n";

static gboolean
run_openssl (const char *dir, const char * const *args, GError **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *err_out = NULL;
  gint status;

  g_ptr_array_add (argv, (char *) "openssl");
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_sync (dir, (char **) argv->pdata, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                     &err_out, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, error))
    {
      g_prefix_error (error, "openssl %s: %s: ", args[0], err_out ? err_out : "");
      return FALSE;
    }
  return TRUE;
}

static gboolean
make_certificates (const char *dir, GError **error)
{
  static const char * const ca[] = {
    "req", "-x509", "-config", "ca.cnf", "-newkey", "ec",
    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", NULL
  };
  static const char * const csr[] = {
    "req", "-new", "-config", "server.cnf", "-newkey", "ec",
    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", "server.key", "-out", "server.csr", NULL
  };
  static const char * const sign[] = {
    "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
    "-set_serial", "2", "-days", "2", "-extfile", "server.cnf", "-extensions", "ext",
    "-out", "server.pem", NULL
  };
  g_autofree char *ca_cnf = g_build_filename (dir, "ca.cnf", NULL);
  g_autofree char *server_cnf = g_build_filename (dir, "server.cnf", NULL);

  return g_file_set_contents (ca_cnf, ca_config, -1, error)
         && g_file_set_contents (server_cnf, server_config, -1, error)
         && run_openssl (dir, ca, error)
         && run_openssl (dir, csr, error)
         && run_openssl (dir, sign, error);
}

static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

int
main (int argc, char *argv[])
{
  static const char *proxy_variables[] = {
    "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp_dir = NULL;
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  int status;

  /* Loopback only: no proxy from the environment may come in between (the session uses the
   * default proxy resolver). Before any thread starts, as setenv is not thread-safe. */
  for (gsize i = 0; i < G_N_ELEMENTS (proxy_variables); i++)
    g_unsetenv (proxy_variables[i]);
  g_test_init (&argc, &argv, NULL);

  tmp_dir = g_dir_make_tmp ("bellbird-test-sip-ws-XXXXXX", &error);
  if (tmp_dir == NULL)
    cert_problem = g_strdup_printf ("no temporary directory: %s", error->message);
  else if (openssl == NULL)
    cert_problem = g_strdup ("the openssl CLI is not installed");
  else if (!make_certificates (tmp_dir, &error))
    cert_problem = g_strdup_printf ("cannot make test certificates: %s", error->message);
  else
    cert_dir = tmp_dir;

#define ADD_WS(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup_ws, func, fixture_teardown)
#define ADD_WSS(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup_wss, func, fixture_teardown)

  ADD_WS ("/sip/ws/exchange", test_exchange);
  ADD_WS ("/sip/ws/via-host-per-connection", test_via_host_per_connection);
  ADD_WS ("/sip/ws/binary", test_binary);
  ADD_WS ("/sip/ws/subprotocol-chat", test_subprotocol_chat);
  ADD_WS ("/sip/ws/subprotocol-none", test_subprotocol_none);
  ADD_WS ("/sip/ws/not-found", test_not_found);
  ADD_WS ("/sip/ws/refused", test_refused);
  ADD_WS ("/sip/ws/bad-url", test_bad_url);
  ADD_WS ("/sip/ws/cancel", test_cancel);
  ADD_WS ("/sip/ws/server-closes", test_server_closes);
  ADD_WS ("/sip/ws/unref-closes", test_unref_closes);
  ADD_WS ("/sip/ws/unref-in-handlers", test_unref_in_handlers);
  ADD_WS ("/sip/ws/server-closes-with-code", test_server_closes_with_code);
  ADD_WS ("/sip/ws/server-drops", test_server_drops);
  ADD_WS ("/sip/ws/size-limit", test_size_limit);
  ADD_WS ("/sip/ws/size-limit-fragmented", test_size_limit_fragmented);
  ADD_WS ("/sip/ws/subprotocol-not-offered", test_subprotocol_not_offered);
  ADD_WSS ("/sip/ws/wss-untrusted-refused", test_wss_untrusted_refused);
  ADD_WSS ("/sip/ws/wss-accept-untrusted", test_wss_accept_untrusted);
  ADD_WSS ("/sip/ws/wss-ca-file", test_wss_ca_file);
  ADD_WSS ("/sip/ws/wss-wrong-name", test_wss_wrong_name);
  ADD_WSS ("/sip/ws/wss-missing-ca-file", test_wss_missing_ca_file);

  status = g_test_run ();

  if (tmp_dir != NULL)
    remove_dir (tmp_dir);
  g_free (cert_problem);
  return status;
}
