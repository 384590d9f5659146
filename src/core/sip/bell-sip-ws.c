/* bell-sip-ws.c: SIP over WebSocket as a client (RFC 7118), on libsoup 3.
 *
 * libsoup does the HTTP upgrade, TLS, framing, masking, pings and the close handshake; this
 * file adds what SIP needs on top: the "sip" subprotocol is mandatory, one SIP message is one
 * WebSocket message, a size limit on what we receive, a Via host per connection, and errors
 * that say which step failed.
 */
#define G_LOG_DOMAIN "bell-sip-transport"

#include "bell-sip-ws.h"

#include <string.h>

#include <libsoup/soup.h>

#include "bell-sip-msg.h"
#include "bell-sip-transport.h"

#ifndef BELL_VERSION
#define BELL_VERSION "0"
#endif

#define VIA_HOST_RANDOM_LEN 12
#define PONG_TIMEOUT_S      10   /* libsoup >= 3.6 only: a ping unanswered this long fails */

struct _BellSipWs
{
  GObject                  parent_instance;

  GMainContext            *context;     /* where we were made: every call must come from here */
  SoupWebsocketConnection *conn;
  char                    *url;
  char                    *host;
  char                    *via_host;
  GSocketAddress          *remote;
  GSocketAddress          *local;
  GError                  *error;       /* why the connection is going away; the first wins */
  gboolean                 closing;     /* bell_sip_ws_close() was called */
  gboolean                 closed;      /* "closed" was emitted */
};

enum
{
  SIGNAL_MESSAGE,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (BellSipWs, bell_sip_ws, G_TYPE_OBJECT)

static gboolean
in_own_context (BellSipWs *self)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();

  return context == self->context;
}

/* RFC 7118 §5.2: the Via sent-by of a WebSocket client is a random name under ".invalid", as
 * our real address is neither known nor reachable. */
static char *
make_via_host (void)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  GString *host = g_string_sized_new (VIA_HOST_RANDOM_LEN + sizeof ".invalid");

  for (guint i = 0; i < VIA_HOST_RANDOM_LEN; i++)
    g_string_append_c (host, alphabet[g_random_int_range (0, sizeof alphabet - 1)]);
  g_string_append (host, ".invalid");
  return g_string_free (host, FALSE);
}

/* libsoup does not expose the socket of a WebSocket, so walk down the stream wrappers (its own
 * SoupIOStream, then GTlsConnection) to the GSocketConnection. NULL if the chain is unknown. */
static GSocketAddress *
find_local_address (GIOStream *stream)
{
  g_autoptr(GIOStream) current = stream ? g_object_ref (stream) : NULL;

  for (guint depth = 0; current != NULL && depth < 4; depth++)
    {
      GIOStream *base = NULL;

      if (G_IS_SOCKET_CONNECTION (current))
        return g_socket_connection_get_local_address (G_SOCKET_CONNECTION (current), NULL);
      if (G_IS_TLS_CONNECTION (current))
        g_object_get (current, "base-io-stream", &base, NULL);
      else if (g_object_class_find_property (G_OBJECT_GET_CLASS (current), "base-iostream"))
        g_object_get (current, "base-iostream", &base, NULL);
      g_set_object (&current, base);
      g_clear_object (&base);
    }
  return NULL;
}

/* The connection */

static GError *
closed_error (BellSipWs *self)
{
  gushort code;
  const char *reason;

  if (self->error != NULL)
    {
      if (self->error->domain == BELL_SIP_TRANSPORT_ERROR)
        return g_error_copy (self->error);
      if (self->error->domain == SOUP_WEBSOCKET_ERROR
          && self->error->code == SOUP_WEBSOCKET_CLOSE_TOO_BIG)
        return g_error_new (BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_CLOSED,
                            "WebSocket %s closed: the server sent a message over the limit of "
                            "%u bytes", self->url, (guint) BELL_SIP_MAX_MESSAGE_SIZE);
      return g_error_new (BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_CLOSED,
                          "WebSocket %s failed: %s", self->url, self->error->message);
    }
  if (self->closing)
    return NULL;

  code = soup_websocket_connection_get_close_code (self->conn);
  reason = soup_websocket_connection_get_close_data (self->conn);
  switch (code)
    {
    case 0:
      /* No close frame: the TCP connection ended under us. */
      return g_error_new (BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_CLOSED,
                          "WebSocket %s: the connection was lost without a close", self->url);
    case SOUP_WEBSOCKET_CLOSE_NORMAL:
    case SOUP_WEBSOCKET_CLOSE_GOING_AWAY:
    case SOUP_WEBSOCKET_CLOSE_NO_STATUS:
      return NULL;
    default:
      return g_error_new (BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_CLOSED,
                          "WebSocket %s closed by the server with code %u%s%s", self->url, code,
                          reason && *reason ? ": " : "", reason && *reason ? reason : "");
    }
}

/* Remembers why we are going away, for "closed"; later reasons are consequences. */
static void
set_error (BellSipWs *self, GError *error)
{
  if (self->error == NULL)
    self->error = error;
  else
    g_error_free (error);
}

static void
on_conn_message (SoupWebsocketConnection *conn,
                 gint                     type,
                 GBytes                  *message,
                 gpointer                 user_data)
{
  BellSipWs *self = user_data;
  gsize len = g_bytes_get_size (message);

  if (self->closed || self->error != NULL)
    return;
  /* libsoup 3.2 limits each frame, not a message reassembled from fragments. */
  if (len > BELL_SIP_MAX_MESSAGE_SIZE)
    {
      set_error (self, g_error_new (BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_CLOSED,
                                    "WebSocket %s closed: the server sent a message of %"
                                    G_GSIZE_FORMAT " bytes, over the limit of %u", self->url,
                                    len, (guint) BELL_SIP_MAX_MESSAGE_SIZE));
      soup_websocket_connection_close (conn, SOUP_WEBSOCKET_CLOSE_TOO_BIG, NULL);
      return;
    }
  if (len == 0)
    {
      g_debug ("ignoring an empty WebSocket message from %s", self->url);
      return;
    }

  /* A handler may drop the last reference to us, and so to conn, which is emitting. */
  g_object_ref (self);
  g_object_ref (conn);
  g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, message);
  g_object_unref (conn);
  g_object_unref (self);
}

static void
on_conn_error (SoupWebsocketConnection *conn,
               GError                  *error,
               gpointer                 user_data)
{
  BellSipWs *self = user_data;

  g_debug ("WebSocket %s: %s", self->url, error->message);
  set_error (self, g_error_copy (error));
}

static void
on_conn_closed (SoupWebsocketConnection *conn,
                gpointer                 user_data)
{
  BellSipWs *self = user_data;
  g_autoptr(GError) error = NULL;

  if (self->closed)
    return;
  self->closed = TRUE;
  error = closed_error (self);
  g_debug ("WebSocket %s closed%s%s", self->url, error ? ": " : "",
           error ? error->message : "");

  /* As in on_conn_message(). */
  g_object_ref (self);
  g_object_ref (conn);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, error);
  g_object_unref (conn);
  g_object_unref (self);
}

static void
bell_sip_ws_dispose (GObject *object)
{
  BellSipWs *self = BELL_SIP_WS (object);

  if (self->conn != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->conn, self);
      if (soup_websocket_connection_get_state (self->conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
      g_clear_object (&self->conn);
    }

  G_OBJECT_CLASS (bell_sip_ws_parent_class)->dispose (object);
}

static void
bell_sip_ws_finalize (GObject *object)
{
  BellSipWs *self = BELL_SIP_WS (object);

  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->via_host, g_free);
  g_clear_object (&self->remote);
  g_clear_object (&self->local);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (bell_sip_ws_parent_class)->finalize (object);
}

static void
bell_sip_ws_class_init (BellSipWsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bell_sip_ws_dispose;
  object_class->finalize = bell_sip_ws_finalize;

  signals[SIGNAL_MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  g_cclosure_marshal_VOID__BOXED, G_TYPE_NONE, 1,
                  G_TYPE_BYTES | G_SIGNAL_TYPE_STATIC_SCOPE);
  g_signal_set_va_marshaller (signals[SIGNAL_MESSAGE], G_TYPE_FROM_CLASS (klass),
                              g_cclosure_marshal_VOID__BOXEDv);

  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  g_cclosure_marshal_VOID__BOXED, G_TYPE_NONE, 1,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
  g_signal_set_va_marshaller (signals[SIGNAL_CLOSED], G_TYPE_FROM_CLASS (klass),
                              g_cclosure_marshal_VOID__BOXEDv);
}

static void
bell_sip_ws_init (BellSipWs *self)
{
}

/* Connecting */

typedef struct
{
  SoupSession          *session;
  SoupMessage          *msg;
  GUri                 *uri;
  char                 *url;
  gboolean              accept_untrusted;
  GTlsCertificateFlags  tls_errors;   /* what the certificate check found */
} ConnectData;

static void
connect_data_free (gpointer data)
{
  ConnectData *cd = data;

  if (cd->msg != NULL)
    g_signal_handlers_disconnect_by_data (cd->msg, cd);
  g_clear_object (&cd->msg);
  g_clear_object (&cd->session);
  g_clear_pointer (&cd->uri, g_uri_unref);
  g_free (cd->url);
  g_free (cd);
}

static char *
describe_certificate_flags (GTlsCertificateFlags flags)
{
  static const struct
  {
    GTlsCertificateFlags flag;
    const char          *text;
  } names[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA, "issued by an unknown or untrusted CA" },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, "not issued for this host" },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, "not valid yet" },
    { G_TLS_CERTIFICATE_EXPIRED, "expired" },
    { G_TLS_CERTIFICATE_REVOKED, "revoked" },
    { G_TLS_CERTIFICATE_INSECURE, "using an insecure algorithm" },
    { G_TLS_CERTIFICATE_GENERIC_ERROR, "invalid" },
  };
  GString *text = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (flags & names[i].flag)
      g_string_append_printf (text, "%s%s", text->len ? ", " : "", names[i].text);
  if (text->len == 0)
    g_string_append (text, "not trusted");
  return g_string_free (text, FALSE);
}

static gboolean
on_msg_accept_certificate (SoupMessage          *msg,
                           GTlsCertificate      *certificate,
                           GTlsCertificateFlags  errors,
                           gpointer              user_data)
{
  ConnectData *cd = user_data;

  cd->tls_errors = errors;
  if (cd->accept_untrusted)
    {
      g_autofree char *why = describe_certificate_flags (errors);
      g_message ("accepting the untrusted TLS certificate of %s (%s) as configured", cd->url,
                 why);
    }
  return cd->accept_untrusted;
}

/* RFC 7118 §4: the server must choose "sip"; chosen is what it answered (NULL: nothing). */
static GError *
subprotocol_error (ConnectData *cd, const char *chosen)
{
  return g_error_new (BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_UNREACHABLE,
                      "WebSocket server at %s did not agree to subprotocol \""
                      BELL_SIP_WS_PROTOCOL "\" (RFC 7118 section 4)%s%s%s", cd->url,
                      chosen ? "; it chose \"" : "", chosen ? chosen : "", chosen ? "\"" : "");
}

/* Turns what libsoup said into one BELL_SIP_TRANSPORT_ERROR that names the step that failed. */
static GError *
connect_error (ConnectData *cd, const GError *error)
{
  guint status = soup_message_get_status (cd->msg);
  const char *chosen;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  if (error->domain == G_TLS_ERROR)
    {
      GTlsCertificateFlags flags = cd->tls_errors;

      if (flags == 0)
        flags = soup_message_get_tls_peer_certificate_errors (cd->msg);
      if (flags != 0 || g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE))
        {
          g_autofree char *why = describe_certificate_flags (flags);
          return g_error_new (BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_TLS,
                              "TLS certificate of %s refused: %s", cd->url, why);
        }
      return g_error_new (BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_TLS,
                          "TLS handshake with %s failed: %s", cd->url, error->message);
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_TIMEOUT,
                        "WebSocket %s: %s", cd->url, error->message);

  /* An HTTP answer other than 101 Switching Protocols. libsoup's server (and others) answer
   * 400 when none of our subprotocols is theirs, so say that it may be the reason. */
  if (status != SOUP_STATUS_NONE)
    {
      if (status != SOUP_STATUS_SWITCHING_PROTOCOLS)
        {
          const char *phrase = soup_message_get_reason_phrase (cd->msg);

          if (phrase == NULL || *phrase == '\0')
            phrase = soup_status_get_phrase (status);
          return g_error_new (BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_UNREACHABLE,
                              "WebSocket upgrade to %s refused: HTTP %u %s%s", cd->url, status,
                              phrase ? phrase : "",
                              status == SOUP_STATUS_BAD_REQUEST
                                ? " (the server may not accept WebSocket subprotocol \""
                                  BELL_SIP_WS_PROTOCOL "\")" : "");
        }
      /* 101 but refused by libsoup: a subprotocol we did not offer, a bad accept key... */
      chosen = soup_message_headers_get_one (soup_message_get_response_headers (cd->msg),
                                             "Sec-WebSocket-Protocol");
      if (chosen != NULL && g_strcmp0 (chosen, BELL_SIP_WS_PROTOCOL) != 0)
        return subprotocol_error (cd, chosen);
      return g_error_new (BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_UNREACHABLE,
                          "WebSocket handshake with %s failed: %s", cd->url, error->message);
    }

  return g_error_new (BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_UNREACHABLE,
                      "cannot connect to %s: %s", cd->url, error->message);
}

static void
on_refused_conn_closed (SoupWebsocketConnection *conn,
                        gpointer                 user_data)
{
  g_object_unref (conn);
}

static void
on_websocket_connected (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ConnectData *cd = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(SoupWebsocketConnection) conn = NULL;
  BellSipWs *self;
  const char *protocol;
  GSocketAddress *remote;

  conn = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  if (conn == NULL)
    {
      g_task_return_error (task, connect_error (cd, error));
      return;
    }

  /* RFC 7118 §4: without "sip" in the server's answer the client must close the connection.
   * (libsoup itself refuses a subprotocol we did not offer, but accepts none at all.) */
  protocol = soup_websocket_connection_get_protocol (conn);
  if (g_strcmp0 (protocol, BELL_SIP_WS_PROTOCOL) != 0)
    {
      g_task_return_error (task, subprotocol_error (cd, protocol));
      /* Let the close handshake finish before the connection goes. */
      g_signal_connect (conn, "closed", G_CALLBACK (on_refused_conn_closed), NULL);
      soup_websocket_connection_close (conn, SOUP_WEBSOCKET_CLOSE_PROTOCOL_ERROR,
                                       "subprotocol \"" BELL_SIP_WS_PROTOCOL "\" required");
      g_steal_pointer (&conn);
      return;
    }

  self = g_object_new (BELL_TYPE_SIP_WS, NULL);
  self->context = g_main_context_ref_thread_default ();
  self->url = g_strdup (cd->url);
  self->host = g_strdup (g_uri_get_host (cd->uri));
  self->via_host = make_via_host ();
  remote = soup_message_get_remote_address (cd->msg);
  self->remote = remote ? g_object_ref (remote) : NULL;
  self->local = find_local_address (soup_websocket_connection_get_io_stream (conn));
  self->conn = g_steal_pointer (&conn);

  soup_websocket_connection_set_keepalive_interval (self->conn, BELL_SIP_WS_KEEPALIVE_S);
  soup_websocket_connection_set_max_incoming_payload_size (self->conn,
                                                           BELL_SIP_MAX_MESSAGE_SIZE);
  /* Newer libsoup can also cap a message reassembled from fragments before buffering all of
   * it, and fail the connection when pings go unanswered; 3.2 has neither (on_conn_message()
   * checks the size once the message is complete). */
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (self->conn), "max-total-message-size"))
    g_object_set (self->conn, "max-total-message-size", (guint64) BELL_SIP_MAX_MESSAGE_SIZE, NULL);
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (self->conn), "keepalive-pong-timeout"))
    g_object_set (self->conn, "keepalive-pong-timeout", (guint) PONG_TIMEOUT_S, NULL);
  g_signal_connect (self->conn, "message", G_CALLBACK (on_conn_message), self);
  g_signal_connect (self->conn, "error", G_CALLBACK (on_conn_error), self);
  g_signal_connect (self->conn, "closed", G_CALLBACK (on_conn_closed), self);

  g_debug ("WebSocket %s open, Via host %s", self->url, self->via_host);
  g_task_return_pointer (task, self, g_object_unref);
}

/**
 * bell_sip_ws_connect_async:
 * @url: "ws://host[:port]/path" or "wss://..."
 * @ca_file: (nullable): PEM file of the CAs to trust for wss, or %NULL for the system store
 * @accept_untrusted: accept any server certificate (an explicit testing option)
 * @cancellable: (nullable): to give up
 * @callback: called on the thread-default main context of the caller
 * @user_data: for @callback
 *
 * Opens a WebSocket offering subprotocol "sip" (RFC 7118 §4). Finish with
 * bell_sip_ws_connect_finish().
 */
void
bell_sip_ws_connect_async (const char          *url,
                           const char          *ca_file,
                           gboolean             accept_untrusted,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  static const char *protocols[] = { BELL_SIP_WS_PROTOCOL, NULL };
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  ConnectData *cd;
  const char *scheme;
  const char *host;
  gboolean secure;

  g_return_if_fail (url != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, bell_sip_ws_connect_async);
  cd = g_new0 (ConnectData, 1);
  cd->url = g_strdup (url);
  cd->accept_untrusted = accept_untrusted;
  g_task_set_task_data (task, cd, connect_data_free);

  cd->uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, &error);
  if (cd->uri == NULL)
    {
      g_task_return_new_error (task, BELL_SIP_TRANSPORT_ERROR,
                               BELL_SIP_TRANSPORT_ERROR_UNREACHABLE,
                               "invalid WebSocket URL \"%s\": %s", url, error->message);
      return;
    }
  scheme = g_uri_get_scheme (cd->uri);
  host = g_uri_get_host (cd->uri);
  secure = g_ascii_strcasecmp (scheme, "wss") == 0;
  if ((!secure && g_ascii_strcasecmp (scheme, "ws") != 0) || host == NULL || *host == '\0')
    {
      g_task_return_new_error (task, BELL_SIP_TRANSPORT_ERROR,
                               BELL_SIP_TRANSPORT_ERROR_UNREACHABLE,
                               "invalid WebSocket URL \"%s\": expected ws://host/... or "
                               "wss://host/...", url);
      return;
    }
  if (secure && !g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    {
      g_task_return_new_error (task, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_TLS,
                               "cannot open %s: GIO has no TLS support (is glib-networking "
                               "installed?)", url);
      return;
    }

  /* One session per connection: its only use is this upgrade, after which the WebSocket owns
   * the stream. permessage-deflate is left out: SIP messages are small, and libsoup 3.2 checks
   * the size limit before inflating, so a small frame could inflate to a huge message. */
  cd->session = soup_session_new_with_options ("user-agent", "Bellbird/" BELL_VERSION, NULL);
  soup_session_remove_feature_by_type (cd->session, SOUP_TYPE_WEBSOCKET_EXTENSION_MANAGER);
  if (secure && ca_file != NULL)
    {
      g_autoptr(GTlsDatabase) database = g_tls_file_database_new (ca_file, &error);

      if (database == NULL)
        {
          g_task_return_new_error (task, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_TLS,
                                   "cannot load the CA file \"%s\" for %s: %s", ca_file, url,
                                   error->message);
          return;
        }
      soup_session_set_tls_database (cd->session, database);
    }

  cd->msg = soup_message_new_from_uri (SOUP_METHOD_GET, cd->uri);
  g_signal_connect (cd->msg, "accept-certificate", G_CALLBACK (on_msg_accept_certificate), cd);
  soup_session_websocket_connect_async (cd->session, cd->msg, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, cancellable, on_websocket_connected,
                                        g_steal_pointer (&task));
}

/**
 * bell_sip_ws_connect_finish:
 * @result: what the callback got
 * @error: a BELL_SIP_TRANSPORT_ERROR, or G_IO_ERROR_CANCELLED
 *
 * Returns: (transfer full): the open connection, or %NULL with @error set.
 */
BellSipWs *
bell_sip_ws_connect_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == bell_sip_ws_connect_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * bell_sip_ws_is_open:
 * @self: a connection
 *
 * Returns: whether bell_sip_ws_send() would queue a message.
 */
gboolean
bell_sip_ws_is_open (BellSipWs *self)
{
  g_return_val_if_fail (BELL_IS_SIP_WS (self), FALSE);

  return !self->closing && !self->closed && self->error == NULL
         && soup_websocket_connection_get_state (self->conn) == SOUP_WEBSOCKET_STATE_OPEN;
}

/**
 * bell_sip_ws_send:
 * @self: a connection
 * @message: one whole SIP message
 * @error: BELL_SIP_TRANSPORT_ERROR_CLOSED once the connection is going away
 *
 * Queues @message as one WebSocket message: text if it is valid UTF-8 without NUL, binary
 * otherwise (RFC 7118 §5). libsoup writes it out when the socket can take it.
 */
gboolean
bell_sip_ws_send (BellSipWs  *self,
                  GBytes     *message,
                  GError    **error)
{
  const char *data;
  gsize len;
  SoupWebsocketDataType type;

  g_return_val_if_fail (BELL_IS_SIP_WS (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_return_val_if_fail (in_own_context (self), FALSE);

  if (!bell_sip_ws_is_open (self))
    {
      g_set_error (error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_CLOSED,
                   "WebSocket %s is closed", self->url);
      return FALSE;
    }

  data = g_bytes_get_data (message, &len);
  /* g_utf8_validate_len() refuses NUL bytes, which suits: those go as binary too. */
  type = len > 0 && g_utf8_validate_len (data, len, NULL) ? SOUP_WEBSOCKET_DATA_TEXT
                                                          : SOUP_WEBSOCKET_DATA_BINARY;
  soup_websocket_connection_send_message (self->conn, type, message);
  return TRUE;
}

/**
 * bell_sip_ws_close:
 * @self: a connection
 *
 * Starts the close handshake; "closed" follows (with a %NULL error) once it is done, or after
 * libsoup's timeout if the server does not answer.
 */
void
bell_sip_ws_close (BellSipWs *self)
{
  g_return_if_fail (BELL_IS_SIP_WS (self));
  g_return_if_fail (in_own_context (self));

  if (self->closing || self->closed)
    return;
  self->closing = TRUE;
  if (soup_websocket_connection_get_state (self->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (self->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
}

const char *
bell_sip_ws_get_url (BellSipWs *self)
{
  g_return_val_if_fail (BELL_IS_SIP_WS (self), NULL);

  return self->url;
}

const char *
bell_sip_ws_get_host (BellSipWs *self)
{
  g_return_val_if_fail (BELL_IS_SIP_WS (self), NULL);

  return self->host;
}

const char *
bell_sip_ws_get_via_host (BellSipWs *self)
{
  g_return_val_if_fail (BELL_IS_SIP_WS (self), NULL);

  return self->via_host;
}

/**
 * bell_sip_ws_get_remote_address:
 * @self: a connection
 *
 * Returns: (transfer none) (nullable): the server's address as libsoup connected to it.
 */
GSocketAddress *
bell_sip_ws_get_remote_address (BellSipWs *self)
{
  g_return_val_if_fail (BELL_IS_SIP_WS (self), NULL);

  return self->remote;
}

/**
 * bell_sip_ws_get_local_address:
 * @self: a connection
 *
 * Returns: (transfer none) (nullable): our end of the TCP connection.
 */
GSocketAddress *
bell_sip_ws_get_local_address (BellSipWs *self)
{
  g_return_val_if_fail (BELL_IS_SIP_WS (self), NULL);

  return self->local;
}
