/* bell-sip-connection.c: one stream connection (TCP, TLS): connect, handshake, framing of the
 * byte stream into messages (RFC 3261 §18.3), a bounded write queue, CRLF keep-alives
 * (RFC 5626 §4.4.1) and the idle timeout. */
#define G_LOG_DOMAIN "bell-sip-transport"

#include "bell-secret.h"
#include "bell-sip-transport-private.h"

#include <string.h>

#define READ_CHUNK      16384
#define PONG_TIMEOUT_MS 10000
/* Reading stops after this many chunks per wake-up so one busy peer cannot starve others. */
#define READS_PER_WAKEUP 16

static void update_source (BellSipConnection *conn);

/* Plain TCP */

static gssize
plain_read (BellSipConnection *conn, void *buf, gsize len, GIOCondition *want, GError **error)
{
  *want = G_IO_IN;
  return g_socket_receive (conn->socket, buf, len, NULL, error);
}

static gssize
plain_write (BellSipConnection *conn, const void *buf, gsize len, GIOCondition *want,
             GError **error)
{
  *want = G_IO_OUT;
  return g_socket_send_with_blocking (conn->socket, buf, len, FALSE, NULL, error);
}

const BellSipStreamOps bell_sip_plain_ops = {
  .name = "TCP",
  .read = plain_read,
  .write = plain_write,
};

BellSipConnection *
_bell_sip_connection_new (BellSipTransport *self, BellSipTransportKind kind, GSocket *socket,
                          gboolean outbound, const char *host)
{
  BellSipConnection *conn = g_new0 (BellSipConnection, 1);
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (socket, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_get_remote_address (socket, NULL);

  conn->transport = self;
  conn->kind = kind;
  conn->ops = &bell_sip_plain_ops;
  conn->socket = g_object_ref (socket);
  conn->outbound = outbound;
  conn->read_wants = G_IO_IN;
  conn->host = g_strdup (host);
  conn->inbuf = g_byte_array_sized_new (READ_CHUNK);
  conn->outbuf = g_byte_array_new ();
  conn->flow = _bell_sip_flow_new (kind, G_INET_SOCKET_ADDRESS (local),
                                   remote ? G_INET_SOCKET_ADDRESS (remote) : NULL);
  conn->flow->conn = conn;
  conn->last_activity_us = bell_clock_now (_bell_sip_transport_get_clock (self));
  g_socket_set_blocking (socket, FALSE);
  return conn;
}

/* The remote address of an outbound socket is only known once connect() succeeded. */
void
_bell_sip_connection_set_remote (BellSipConnection *conn, GInetSocketAddress *remote)
{
  g_set_object (&conn->flow->remote, remote);
}

static void
complete_waiters (BellSipConnection *conn, const GError *error)
{
  GList *waiters = g_steal_pointer (&conn->waiters);

  for (GList *l = waiters; l; l = l->next)
    {
      GTask *task = l->data;
      if (error)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_pointer (task, bell_sip_flow_ref (conn->flow),
                               (GDestroyNotify) bell_sip_flow_unref);
      g_object_unref (task);
    }
  g_list_free (waiters);
}

void
_bell_sip_connection_add_waiter (BellSipConnection *conn, GTask *task)
{
  conn->waiters = g_list_append (conn->waiters, g_object_ref (task));
}

static void
on_idle_check (gpointer data)
{
  BellSipConnection *conn = data;
  BellClock *clock = _bell_sip_transport_get_clock (conn->transport);
  guint idle_s = _bell_sip_transport_get_config (conn->transport)->idle_timeout_s;
  gint64 idle_for = bell_clock_now (clock) - conn->last_activity_us;

  conn->idle_timer = 0;
  if (conn->keepalives == 0 && idle_for >= (gint64) idle_s * G_USEC_PER_SEC)
    {
      g_debug ("closing idle connection %s", conn->key);
      _bell_sip_connection_close (conn, NULL);
      return;
    }
  conn->idle_timer = bell_clock_schedule (clock, idle_s * 1000u, on_idle_check, conn, NULL);
}

void
_bell_sip_connection_start (BellSipConnection *conn)
{
  guint idle_s = _bell_sip_transport_get_config (conn->transport)->idle_timeout_s;

  conn->idle_timer = bell_clock_schedule (_bell_sip_transport_get_clock (conn->transport),
                                          idle_s * 1000u, on_idle_check, conn, NULL);
  update_source (conn);
}

static void
touch (BellSipConnection *conn)
{
  conn->last_activity_us = bell_clock_now (_bell_sip_transport_get_clock (conn->transport));
}

static gboolean
flush (BellSipConnection *conn)
{
  while (conn->outbuf->len > 0)
    {
      g_autoptr(GError) error = NULL;
      GIOCondition want = 0;
      gssize n = conn->ops->write (conn, conn->outbuf->data, conn->outbuf->len, &want, &error);

      if (n > 0)
        {
          g_byte_array_remove_range (conn->outbuf, 0, (guint) n);
          bell_secret_wipe (conn->outbuf->data + conn->outbuf->len, (gsize) n);   /* SDES keys */
          _bell_sip_transport_pending (conn->transport, -n);
          touch (conn);
          continue;
        }
      if (error && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          conn->write_wants = want;
          return TRUE;
        }
      {
        g_autoptr(GError) closed = g_error_new (BELL_SIP_TRANSPORT_ERROR,
                                                BELL_SIP_TRANSPORT_ERROR_CLOSED,
                                                "sending to %s failed: %s", conn->key,
                                                error ? error->message : "connection closed");
        _bell_sip_connection_close (conn, closed);
      }
      return FALSE;
    }
  conn->write_wants = 0;
  return TRUE;
}

gboolean
_bell_sip_connection_send (BellSipConnection *conn, const void *data, gsize len, GError **error)
{
  const BellSipTransportConfig *config = _bell_sip_transport_get_config (conn->transport);
  gsize limit = config->max_pending_bytes;
  gsize total = _bell_sip_transport_pending (conn->transport, 0);

  if (conn->closed)
    {
      g_set_error (error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_CLOSED,
                   "the connection to %s is closed", conn->key);
      return FALSE;
    }
  /* Over the total, only a connection that already has a backlog is cut: a peer that reads
   * what it gets is not punished for the ones that do not. */
  if (conn->outbuf->len + len > limit ||
      (config->max_pending_total && total + len > config->max_pending_total &&
       conn->outbuf->len > 0))
    {
      /* A peer that never reads must not make us hold its messages forever. */
      g_autoptr(GError) slow = g_error_new (BELL_SIP_TRANSPORT_ERROR,
                                            BELL_SIP_TRANSPORT_ERROR_OVERLOAD,
                                            "%s does not read: %" G_GSIZE_FORMAT
                                            " bytes unsent to it, %" G_GSIZE_FORMAT
                                            " to all; closing", conn->key,
                                            conn->outbuf->len + len, total + len);
      g_message ("%s", slow->message);
      _bell_sip_transport_count (conn->transport, BELL_SIP_STAT (connections_closed_slow));
      if (error)
        *error = g_error_copy (slow);
      _bell_sip_connection_close (conn, slow);
      return FALSE;
    }
  g_byte_array_append (conn->outbuf, data, (guint) len);
  _bell_sip_transport_pending (conn->transport, (gssize) len);
  if (!conn->connecting && !conn->handshaking)
    {
      if (!flush (conn))
        {
          g_set_error (error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_CLOSED,
                       "the connection to %s closed while sending", conn->key);
          return FALSE;
        }
      update_source (conn);
    }
  return TRUE;
}

static void
on_pong_timeout (gpointer data)
{
  BellSipConnection *conn = data;
  g_autoptr(GError) error = g_error_new (BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_TIMEOUT,
                                         "%s did not answer a keep-alive within %d s", conn->key,
                                         PONG_TIMEOUT_MS / 1000);

  conn->pong_timer = 0;
  g_message ("%s", error->message);
  _bell_sip_connection_close (conn, error);
}

void
_bell_sip_connection_ping (BellSipConnection *conn)
{
  if (conn->closed || conn->pong_timer)
    return;
  if (_bell_sip_connection_send (conn, "\r\n\r\n", 4, NULL))
    conn->pong_timer = bell_clock_schedule (_bell_sip_transport_get_clock (conn->transport),
                                            PONG_TIMEOUT_MS, on_pong_timeout, conn, NULL);
}

/* CRLFs between messages: "\r\n\r\n" is a ping (answer "\r\n"), a lone "\r\n" the pong to our
 * ping (RFC 5626 §4.4.1). Returns how many leading bytes were consumed; 0 to wait for more. */
static gsize
handle_crlf (BellSipConnection *conn, gsize crlf_bytes, gboolean followed_by_message)
{
  const char *p = (const char *) conn->inbuf->data;

  if (crlf_bytes >= 4 && memcmp (p, "\r\n\r\n", 4) == 0)
    {
      _bell_sip_connection_send (conn, "\r\n", 2, NULL);
      return followed_by_message ? crlf_bytes : 4;
    }
  if (crlf_bytes >= 2 && memcmp (p, "\r\n", 2) == 0 && (conn->pong_timer || followed_by_message))
    {
      bell_clock_clear (_bell_sip_transport_get_clock (conn->transport), &conn->pong_timer);
      return followed_by_message ? crlf_bytes : 2;
    }
  /* Half a ping, or stray line ends: wait, but not forever. */
  if (followed_by_message || crlf_bytes > 64)
    return crlf_bytes;
  return 0;
}

static gboolean
process_input (BellSipConnection *conn)
{
  while (!conn->closed && conn->inbuf->len > 0)
    {
      g_autoptr(GError) error = NULL;
      gsize skip = 0, msg_len = 0, used;
      BellSipFrameResult r = bell_sip_frame ((const char *) conn->inbuf->data, conn->inbuf->len,
                                             &skip, &msg_len, &error);

      if (skip > 0)
        {
          used = handle_crlf (conn, skip, r != BELL_SIP_FRAME_NEED_MORE || skip < conn->inbuf->len);
          if (used == 0)
            return TRUE;
          g_byte_array_remove_range (conn->inbuf, 0, (guint) used);
          continue;
        }
      switch (r)
        {
        case BELL_SIP_FRAME_COMPLETE:
          _bell_sip_transport_on_stream_message (conn->transport, conn,
                                                 (const char *) conn->inbuf->data, msg_len);
          if (!conn->closed)
            {
              g_byte_array_remove_range (conn->inbuf, 0, (guint) msg_len);
              bell_secret_wipe (conn->inbuf->data + conn->inbuf->len, msg_len);   /* SDES keys */
            }
          break;
        case BELL_SIP_FRAME_NEED_MORE:
          return TRUE;
        case BELL_SIP_FRAME_MALFORMED:
        default:
          {
            g_autoptr(GError) closing = g_error_new (BELL_SIP_TRANSPORT_ERROR,
                                                     BELL_SIP_TRANSPORT_ERROR_CLOSED,
                                                     "closing %s: %s", conn->key, error->message);
            g_message ("%s", closing->message);
            _bell_sip_transport_count (conn->transport,
                                       BELL_SIP_STAT (connections_closed_overflow));
            _bell_sip_connection_close (conn, closing);
            return FALSE;
          }
        }
    }
  return !conn->closed;
}

static void
do_read (BellSipConnection *conn)
{
  for (int i = 0; i < READS_PER_WAKEUP && !conn->closed; i++)
    {
      g_autoptr(GError) error = NULL;
      GIOCondition want = 0;
      guint old = conn->inbuf->len;
      gssize n;

      g_byte_array_set_size (conn->inbuf, old + READ_CHUNK);
      n = conn->ops->read (conn, conn->inbuf->data + old, READ_CHUNK, &want, &error);
      g_byte_array_set_size (conn->inbuf, old + (guint) MAX (n, 0));
      if (n > 0)
        {
          touch (conn);
          if (!process_input (conn))
            return;
          continue;
        }
      if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          conn->read_wants = want;
          if (!(conn->ops->pending && conn->ops->pending (conn)))
            return;
          continue;
        }
      {
        g_autoptr(GError) closed = g_error_new (BELL_SIP_TRANSPORT_ERROR,
                                                BELL_SIP_TRANSPORT_ERROR_CLOSED,
                                                n == 0 ? "%s closed the connection"
                                                       : "%s: connection lost (%s)",
                                                conn->key, error ? error->message : "");
        g_debug ("%s", closed->message);
        _bell_sip_connection_close (conn, closed);
        return;
      }
    }
}

static void
finish_handshake (BellSipConnection *conn)
{
  g_autoptr(GError) error = NULL;
  GIOCondition want = 0;

  if (conn->ops->handshake && !conn->ops->handshake (conn, &want, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          conn->read_wants = want;
          return;
        }
      {
        g_autoptr(GError) tls = g_error_new (BELL_SIP_TRANSPORT_ERROR,
                                             BELL_SIP_TRANSPORT_ERROR_TLS, "%s", error->message);
        /* Our own connections report this to the sender; a peer's failure is only logged. */
        if (conn->outbound)
          g_debug ("%s: %s", conn->key, error->message);
        else
          g_message ("%s: %s", conn->key, error->message);
        _bell_sip_connection_close (conn, tls);
        return;
      }
    }
  conn->handshaking = FALSE;
  conn->read_wants = G_IO_IN;
  complete_waiters (conn, NULL);
  if (!conn->closed)
    flush (conn);
}

static void
finish_connect (BellSipConnection *conn)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) local = NULL;

  if (!g_socket_check_connect_result (conn->socket, &error))
    {
      g_autoptr(GError) unreachable = g_error_new (BELL_SIP_TRANSPORT_ERROR,
                                                   BELL_SIP_TRANSPORT_ERROR_UNREACHABLE,
                                                   "cannot connect to %s: %s", conn->key,
                                                   error->message);
      g_debug ("%s", unreachable->message);   /* the sender gets it as its error */
      _bell_sip_connection_close (conn, unreachable);
      return;
    }
  conn->connecting = FALSE;
  local = g_socket_get_local_address (conn->socket, NULL);
  if (local)
    g_set_object (&conn->flow->local, G_INET_SOCKET_ADDRESS (local));
  touch (conn);
  conn->handshaking = conn->ops->handshake != NULL;
  finish_handshake (conn);
}

static gboolean
on_socket_ready (GSocket *socket, GIOCondition condition, gpointer data)
{
  BellSipConnection *conn = data;

  if (conn->closed)
    return G_SOURCE_REMOVE;
  if (conn->connecting)
    finish_connect (conn);
  else if (conn->handshaking)
    finish_handshake (conn);
  else
    {
      if (conn->write_wants && (condition & (conn->write_wants | G_IO_ERR | G_IO_HUP)))
        flush (conn);
      if (!conn->closed && (condition & (conn->read_wants | G_IO_ERR | G_IO_HUP)))
        do_read (conn);
    }
  if (!conn->closed)
    update_source (conn);
  return G_SOURCE_CONTINUE;
}

/* GSocket sources watch a fixed condition: make one for what the connection waits on now. */
static void
update_source (BellSipConnection *conn)
{
  GIOCondition want;

  if (conn->connecting)
    want = G_IO_OUT;
  else if (conn->handshaking)
    want = conn->read_wants ? conn->read_wants : G_IO_IN;
  else
    want = (conn->read_wants ? conn->read_wants : G_IO_IN) | conn->write_wants;

  if (conn->read_source && conn->source_cond == want)
    return;
  if (conn->read_source)
    {
      g_source_destroy (conn->read_source);
      g_clear_pointer (&conn->read_source, g_source_unref);
    }
  conn->read_source = g_socket_create_source (conn->socket, want, NULL);
  conn->source_cond = want;
  g_source_set_callback (conn->read_source, G_SOURCE_FUNC (on_socket_ready), conn, NULL);
  g_source_set_static_name (conn->read_source, "[bellbird] SIP connection");
  g_source_attach (conn->read_source, _bell_sip_transport_get_context (conn->transport));
}

void
_bell_sip_connection_close (BellSipConnection *conn, const GError *error)
{
  BellClock *clock = _bell_sip_transport_get_clock (conn->transport);

  if (conn->closed)
    return;
  conn->closed = TRUE;
  if (conn->read_source)
    {
      g_source_destroy (conn->read_source);
      g_clear_pointer (&conn->read_source, g_source_unref);
    }
  bell_clock_clear (clock, &conn->idle_timer);
  bell_clock_clear (clock, &conn->pong_timer);
  if (conn->ops->close)
    conn->ops->close (conn);
  g_socket_close (conn->socket, NULL);
  if (conn->waiters)
    {
      g_autoptr(GError) fallback = g_error_new (BELL_SIP_TRANSPORT_ERROR,
                                                BELL_SIP_TRANSPORT_ERROR_CLOSED,
                                                "the connection to %s closed", conn->key);
      complete_waiters (conn, error ? error : fallback);
    }
  conn->flow->conn = NULL;
  _bell_sip_transport_on_connection_closed (conn->transport, conn, error);
}

void
_bell_sip_connection_free (BellSipConnection *conn)
{
  g_assert (conn->closed);
  if (conn->ops->close)
    conn->ops->close (conn);   /* a connection that failed before it opened */
  g_clear_pointer (&conn->flow, bell_sip_flow_unref);
  g_clear_object (&conn->socket);
  g_byte_array_unref (conn->inbuf);
  _bell_sip_transport_pending (conn->transport, -(gssize) conn->outbuf->len);
  g_byte_array_unref (conn->outbuf);
  g_free (conn->host);
  g_free (conn->key);
  g_free (conn);
}
