/* bell-sip-transport-ws.c: SIP over WebSocket (RFC 7118) as a client, through BellSipWs.
 *
 * One WebSocket per URL. Requests wait while it opens; each WebSocket message is one SIP
 * message both ways, so no stream framing is needed.
 */
#define G_LOG_DOMAIN "bell-sip-transport"

#include "bell-sip-transport-private.h"
#include "bell-sip-ws.h"

typedef struct
{
  BellSipTransport *transport;   /* not a reference: the transport owns the link */
  BellSipWs        *ws;          /* NULL while connecting */
  BellSipFlow      *flow;
  char             *url;
  GList            *waiting;     /* GTask of requests to send once open */
  GCancellable     *cancel;
} WsLink;

typedef struct
{
  BellSipMsg *request;
  char       *branch;
} WsSend;

void
_bell_sip_ws_link_free (gpointer data)
{
  WsLink *link = data;

  g_cancellable_cancel (link->cancel);
  g_clear_object (&link->cancel);
  if (link->ws)
    {
      g_signal_handlers_disconnect_by_data (link->ws, link);
      bell_sip_ws_close (link->ws);
      g_clear_object (&link->ws);
    }
  for (GList *l = link->waiting; l; l = l->next)
    {
      g_task_return_new_error (l->data, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_CLOSED,
                               "the WebSocket to %s was closed", link->url);
      g_object_unref (l->data);
    }
  g_list_free (link->waiting);
  link->flow->ws_open = FALSE;
  g_clear_pointer (&link->flow, bell_sip_flow_unref);
  g_free (link->url);
  g_free (link);
}

static gboolean
send_request_now (WsLink *link, GTask *task, GError **error)
{
  BellSipSendData *d = g_task_get_task_data (task);
  g_autofree char *via = NULL;
  g_autoptr(GBytes) bytes = NULL;

  /* RFC 7118 §5.2: our address is not reachable, the Via host is a made-up .invalid name. */
  via = g_strdup_printf ("SIP/2.0/%s %s;branch=%s",
                         bell_sip_transport_kind_to_string (link->flow->kind),
                         bell_sip_ws_get_via_host (link->ws), d->branch);
  if (!bell_sip_msg_prepend_header (d->request, "Via", via, error))
    return FALSE;
  bytes = bell_sip_msg_to_bytes (d->request);
  return bell_sip_ws_send (link->ws, bytes, error);
}

static void
complete (WsLink *link, GTask *task)
{
  g_autoptr(GError) error = NULL;

  if (send_request_now (link, task, &error))
    {
      _bell_sip_transport_count (link->transport, BELL_SIP_STAT (sent));
      g_task_return_pointer (task, bell_sip_flow_ref (link->flow),
                             (GDestroyNotify) bell_sip_flow_unref);
    }
  else
    g_task_return_error (task, g_steal_pointer (&error));
  g_object_unref (task);
}

static void
on_ws_message (BellSipWs *ws, GBytes *data, gpointer user_data)
{
  WsLink *link = user_data;

  _bell_sip_transport_on_datagram_message (link->transport, link->flow,
                                           g_bytes_get_data (data, NULL), g_bytes_get_size (data));
}

static void
on_ws_closed (BellSipWs *ws, const GError *error, gpointer user_data)
{
  WsLink *link = user_data;
  g_autoptr(BellSipFlow) flow = bell_sip_flow_ref (link->flow);
  g_autoptr(GError) copy = error ? g_error_copy (error) : NULL;

  BellSipTransport *transport = link->transport;

  /* We never close a link with its handlers connected: any close here is the server's, and
   * whatever waits on the flow must hear of it, clean close or not. */
  if (!copy)
    copy = g_error_new (BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_CLOSED,
                        "the server closed the WebSocket %s", link->url);
  flow->ws_open = FALSE;
  _bell_sip_transport_ws_forget (transport, link->url);   /* frees the link */
  _bell_sip_transport_emit_flow_failed (transport, flow, copy);
}

static void
on_ws_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  WsLink *link = user_data;
  g_autoptr(GError) error = NULL;
  BellSipWs *ws = bell_sip_ws_connect_finish (result, &error);
  GList *waiting;

  if (!ws)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;   /* the link is gone already */
      waiting = g_steal_pointer (&link->waiting);
      for (GList *l = waiting; l; l = l->next)
        {
          g_task_return_error (l->data, g_error_copy (error));
          g_object_unref (l->data);
        }
      g_list_free (waiting);
      _bell_sip_transport_ws_forget (link->transport, link->url);
      return;
    }
  link->ws = ws;
  link->flow->ws_open = TRUE;
  {
    GSocketAddress *remote = bell_sip_ws_get_remote_address (ws);   /* not ours */
    GSocketAddress *local = bell_sip_ws_get_local_address (ws);
    if (G_IS_INET_SOCKET_ADDRESS (remote))
      g_set_object (&link->flow->remote, G_INET_SOCKET_ADDRESS (remote));
    if (G_IS_INET_SOCKET_ADDRESS (local))
      g_set_object (&link->flow->local, G_INET_SOCKET_ADDRESS (local));
  }
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), link);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), link);
  waiting = g_steal_pointer (&link->waiting);
  for (GList *l = waiting; l; l = l->next)
    complete (link, l->data);
  g_list_free (waiting);
}

void
_bell_sip_transport_send_ws (BellSipTransport *self, GTask *task, BellSipTransportKind kind)
{
  BellSipSendData *d = g_task_get_task_data (task);
  GHashTable *links = _bell_sip_transport_ws_links (self);
  const BellSipTransportConfig *config = _bell_sip_transport_get_config (self);
  WsLink *link;

  if (!d->url)
    {
      g_task_return_new_error (task, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_UNREACHABLE,
                               "a WebSocket target needs a ws:// or wss:// URL");
      g_object_unref (task);
      return;
    }
  link = g_hash_table_lookup (links, d->url);
  if (link && link->ws)
    {
      complete (link, task);
      return;
    }
  if (!link)
    {
      link = g_new0 (WsLink, 1);
      link->transport = self;
      link->url = g_strdup (d->url);
      link->cancel = g_cancellable_new ();
      link->flow = _bell_sip_flow_new (kind, NULL, NULL);
      link->flow->ws_url = g_strdup (d->url);
      g_hash_table_insert (links, link->url, link);
      bell_sip_ws_connect_async (link->url, config->tls_ca_file, config->tls_accept_untrusted,
                                 link->cancel, on_ws_connected, link);
    }
  link->waiting = g_list_append (link->waiting, task);
}

gboolean
_bell_sip_transport_ws_send_on_flow (BellSipTransport *self, BellSipFlow *flow, GBytes *bytes,
                                     GError **error)
{
  WsLink *link = flow->ws_url ? g_hash_table_lookup (_bell_sip_transport_ws_links (self),
                                                     flow->ws_url) : NULL;

  if (!link || !link->ws || link->flow != flow)
    {
      g_set_error (error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_CLOSED,
                   "the WebSocket to %s is closed", flow->ws_url ? flow->ws_url : "?");
      return FALSE;
    }
  return bell_sip_ws_send (link->ws, bytes, error);
}
