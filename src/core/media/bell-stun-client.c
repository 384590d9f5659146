/* bell-stun-client.c: a STUN Binding transaction over UDP with RFC 5389 §7.2.1 retransmissions,
 * timed by a BellClock, the server's name looked up with GResolver. */
#define G_LOG_DOMAIN "bell-stun"

#include "bell-stun-client.h"

#include <string.h>

/* What the client says it is in SOFTWARE (§14.14), without a version to give away. */
#define SOFTWARE "Bellbird"
/* Datagrams read per wakeup of the client's own socket. */
#define DATAGRAMS_PER_WAKEUP 16

struct _BellStunClient
{
  GObject             parent_instance;

  GSocketFamily       family;
  BellClock          *clock;
  BellStunSendFunc    send;
  gpointer            send_data;
  GDestroyNotify      send_destroy;
  GSocket            *socket;      /* new_for_socket: ours to read */
  GSource            *source;

  /* The query in progress: task set from query_async until it completes. */
  GTask              *task;
  char               *server_name;  /* as the caller wrote it, for messages */
  guint               serial;       /* which query a name lookup belongs to */
  GCancellable       *lookup;       /* cancels the name lookup when the query ends first */
  GSource            *cancelled;    /* the caller's cancellable */
  GInetSocketAddress *server;       /* NULL while the name is looked up */
  guint8              request[BELL_STUN_MAX_MESSAGE];
  gsize               request_len;
  guint8              id[BELL_STUN_TRANSACTION_ID_LEN];
  guint               sent;
  guint               rto_ms;
  guint               timeout_ms;
  guint               retransmit;   /* BellClock timer ids */
  guint               deadline;
};

G_DEFINE_FINAL_TYPE (BellStunClient, bell_stun_client, G_TYPE_OBJECT)

/* ---- ending a query ----------------------------------------------------------------------- */

/* Forgets the query, leaving the client ready for the next one; returns its task. */
static GTask *
end_query (BellStunClient *self)
{
  bell_clock_clear (self->clock, &self->retransmit);
  bell_clock_clear (self->clock, &self->deadline);
  if (self->lookup)
    g_cancellable_cancel (self->lookup);
  g_clear_object (&self->lookup);
  if (self->cancelled)
    g_source_destroy (self->cancelled);
  g_clear_pointer (&self->cancelled, g_source_unref);
  g_clear_object (&self->server);
  g_clear_pointer (&self->server_name, g_free);
  return g_steal_pointer (&self->task);
}

/* The query failed (takes error). The callback may run at once and free the client: nothing
 * touches self after this. */
static void
fail (BellStunClient *self, GError *error)
{
  g_autoptr(GTask) task = end_query (self);

  g_task_return_error (task, error);
}

static void
succeed (BellStunClient *self, GInetSocketAddress *mapped)
{
  g_autoptr(GTask) task = end_query (self);

  g_task_return_pointer (task, g_object_ref (mapped), g_object_unref);
}

/* ---- requests ----------------------------------------------------------------------------- */

static void send_request (BellStunClient *self);

static void
on_retransmit (gpointer data)
{
  BellStunClient *self = data;

  self->retransmit = 0;
  send_request (self);
}

static void
on_no_answer (gpointer data)
{
  BellStunClient *self = data;

  self->retransmit = 0;
  fail (self, g_error_new (BELL_STUN_ERROR, BELL_STUN_ERROR_TIMEOUT,
                           "no answer from the STUN server %s to %u requests", self->server_name,
                           self->sent));
}

static void
on_deadline (gpointer data)
{
  BellStunClient *self = data;

  self->deadline = 0;
  fail (self, g_error_new (BELL_STUN_ERROR, BELL_STUN_ERROR_TIMEOUT,
                           "no answer from the STUN server %s within %u ms", self->server_name,
                           self->timeout_ms));
}

/* Sends the request (again), then waits one RTO, doubled each time; after the Rc-th, Rm RTOs
 * for the last chance of an answer (RFC 5389 §7.2.1). */
static void
send_request (BellStunClient *self)
{
  GError *error = NULL;

  self->sent++;
  if (!self->send (self->server, self->request, self->request_len, self->send_data, &error))
    {
      g_prefix_error (&error, "cannot send to the STUN server %s: ", self->server_name);
      fail (self, error);
      return;
    }
  if (self->sent < BELL_STUN_RC)
    {
      self->retransmit = bell_clock_schedule (self->clock, self->rto_ms, on_retransmit, self, NULL);
      self->rto_ms *= 2;
    }
  else
    self->retransmit = bell_clock_schedule (self->clock, BELL_STUN_RM * BELL_STUN_RTO_MS,
                                            on_no_answer, self, NULL);
}

static void
start_transaction (BellStunClient *self, GInetAddress *address, guint16 port)
{
  BellStunMessage request = { .type = BELL_STUN_BINDING_REQUEST, .software = (char *) SOFTWARE };
  GError *error = NULL;

  if (!bell_stun_new_transaction_id (request.transaction_id, &error))
    {
      fail (self, error);
      return;
    }
  memcpy (self->id, request.transaction_id, sizeof self->id);
  self->request_len = bell_stun_message_build (&request, TRUE, self->request,
                                               sizeof self->request);
  g_assert (self->request_len > 0);
  self->server = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (address, port));
  self->rto_ms = BELL_STUN_RTO_MS;
  send_request (self);
}

/* ---- the server's address ----------------------------------------------------------------- */

typedef struct
{
  BellStunClient *self;
  guint           serial;
  guint16         port;
} Lookup;

static void
on_resolved (GObject *source, GAsyncResult *result, gpointer data)
{
  Lookup *lookup = data;
  BellStunClient *self = lookup->self;
  g_autoptr(GError) error = NULL;
  GList *addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);
  GInetAddress *chosen = NULL;

  /* The query may have ended meanwhile (its time ran out, or it was cancelled). */
  if (self->task && self->serial == lookup->serial && !self->server)
    {
      for (GList *l = addresses; l && !chosen; l = l->next)
        if (g_inet_address_get_family (l->data) == self->family)
          chosen = l->data;
      if (chosen)
        start_transaction (self, chosen, lookup->port);
      else
        fail (self, g_error_new (BELL_STUN_ERROR, BELL_STUN_ERROR_NO_SUCH_HOST,
                                 "the STUN server %s has no IPv%d address%s%s", self->server_name,
                                 self->family == G_SOCKET_FAMILY_IPV6 ? 6 : 4,
                                 error ? ": " : "", error ? error->message : ""));
    }
  g_resolver_free_addresses (addresses);
  g_object_unref (lookup->self);
  g_free (lookup);
}

/* "host", "host:port", "[v6]:port", or an IPv6 literal alone. */
static gboolean
parse_server (const char *server, char **host, guint16 *port, GError **error)
{
  g_autoptr(GInetAddress) literal = g_inet_address_new_from_string (server);
  g_autoptr(GSocketConnectable) parsed = NULL;

  if (literal)
    {
      *host = g_strdup (server);
      *port = BELL_STUN_DEFAULT_PORT;
      return TRUE;
    }
  parsed = g_network_address_parse (server, BELL_STUN_DEFAULT_PORT, error);
  if (!parsed || g_network_address_get_port (G_NETWORK_ADDRESS (parsed)) == 0)
    {
      g_clear_error (error);
      g_set_error (error, BELL_STUN_ERROR, BELL_STUN_ERROR_NO_SUCH_HOST,
                   "“%s” is not a STUN server (host or host:port)", server);
      return FALSE;
    }
  *host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (parsed)));
  *port = g_network_address_get_port (G_NETWORK_ADDRESS (parsed));
  return TRUE;
}

static gboolean
on_cancelled (GCancellable *cancellable, gpointer data)
{
  BellStunClient *self = data;

  fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "STUN query cancelled"));
  return G_SOURCE_REMOVE;
}

void
bell_stun_client_query_async (BellStunClient *self, const char *server, guint timeout_ms,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) literal = NULL;
  GError *error = NULL;
  guint16 port;
  Lookup *lookup;

  g_return_if_fail (BELL_IS_STUN_CLIENT (self));
  g_return_if_fail (server != NULL);
  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, bell_stun_client_query_async);
  self->server_name = g_strdup (server);
  self->serial++;
  self->sent = 0;
  self->timeout_ms = timeout_ms;
  if (g_cancellable_set_error_if_cancelled (cancellable, &error) ||
      !parse_server (server, &host, &port, &error))
    {
      fail (self, error);
      return;
    }
  if (cancellable)
    {
      self->cancelled = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->cancelled, G_SOURCE_FUNC (on_cancelled), self, NULL);
      g_source_attach (self->cancelled, g_task_get_context (self->task));
    }
  if (timeout_ms)
    self->deadline = bell_clock_schedule (self->clock, timeout_ms, on_deadline, self, NULL);

  literal = g_inet_address_new_from_string (host);
  if (literal && g_inet_address_get_family (literal) != self->family)
    fail (self, g_error_new (BELL_STUN_ERROR, BELL_STUN_ERROR_NO_SUCH_HOST,
                             "the STUN server %s is not an IPv%d address", server,
                             self->family == G_SOCKET_FAMILY_IPV6 ? 6 : 4));
  else if (literal)
    start_transaction (self, literal, port);
  else
    {
      g_autoptr(GResolver) resolver = g_resolver_get_default ();

      self->lookup = g_cancellable_new ();
      lookup = g_new0 (Lookup, 1);
      lookup->self = g_object_ref (self);
      lookup->serial = self->serial;
      lookup->port = port;
      g_resolver_lookup_by_name_async (resolver, host, self->lookup, on_resolved, lookup);
    }
}

GInetSocketAddress *
bell_stun_client_query_finish (BellStunClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

guint
bell_stun_client_get_requests_sent (BellStunClient *self)
{
  g_return_val_if_fail (BELL_IS_STUN_CLIENT (self), 0);
  return self->sent;
}

/* ---- responses ---------------------------------------------------------------------------- */

static gboolean
same_address (GInetSocketAddress *a, GInetSocketAddress *b)
{
  return g_inet_socket_address_get_port (a) == g_inet_socket_address_get_port (b) &&
         g_inet_address_equal (g_inet_socket_address_get_address (a),
                               g_inet_socket_address_get_address (b));
}

gboolean
bell_stun_client_receive (BellStunClient *self, const guint8 *data, gsize len,
                          GInetSocketAddress *from)
{
  g_autoptr(BellStunMessage) msg = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (BELL_IS_STUN_CLIENT (self), FALSE);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (from), FALSE);

  if (!bell_stun_is_message (data, len))
    return FALSE;
  /* Late answers to an earlier query, another transaction's, or a stranger's guess. */
  if (!self->task || !self->server ||
      memcmp (data + 8, self->id, BELL_STUN_TRANSACTION_ID_LEN) != 0 ||
      !same_address (from, self->server))
    {
      g_debug ("STUN message ignored: not an answer to our request");
      return TRUE;
    }
  msg = bell_stun_message_parse (data, len, &error);
  if (!msg)
    {
      /* §6.3.3 (RFC 5389 §7.3.3): unknown comprehension-required attributes fail the
       * transaction; a damaged message is dropped as if it never came. */
      if (g_error_matches (error, BELL_STUN_ERROR, BELL_STUN_ERROR_UNKNOWN_ATTRIBUTE))
        {
          g_prefix_error (&error, "the STUN server %s answered with ", self->server_name);
          fail (self, g_steal_pointer (&error));
        }
      else
        g_debug ("STUN response dropped: %s", error->message);
      return TRUE;
    }
  if (msg->type == BELL_STUN_BINDING_SUCCESS && msg->mapped)
    succeed (self, msg->mapped);
  else if (msg->type == BELL_STUN_BINDING_SUCCESS)
    fail (self, g_error_new (BELL_STUN_ERROR, BELL_STUN_ERROR_NO_MAPPED_ADDRESS,
                             "the STUN server %s answered without our address",
                             self->server_name));
  else if (msg->type == BELL_STUN_BINDING_ERROR)
    fail (self, g_error_new (BELL_STUN_ERROR, BELL_STUN_ERROR_RESPONSE,
                             "the STUN server %s answered %u %s", self->server_name,
                             msg->error_code ? msg->error_code : 400,
                             msg->error_reason ? msg->error_reason : "(an error without a code)"));
  else
    g_debug ("STUN message of type 0x%04x ignored", msg->type);
  return TRUE;
}

/* ---- the client's own socket -------------------------------------------------------------- */

static gboolean
send_on_socket (GInetSocketAddress *to, const guint8 *data, gsize len, gpointer user_data,
                GError **error)
{
  return g_socket_send_to (user_data, G_SOCKET_ADDRESS (to), (const char *) data, len, NULL,
                           error) >= 0;
}

static gboolean
on_socket_ready (GSocket *socket, GIOCondition condition, gpointer data)
{
  g_autoptr(BellStunClient) self = g_object_ref (data);

  for (int i = 0; i < DATAGRAMS_PER_WAKEUP && self->source; i++)
    {
      guint8 buf[BELL_STUN_MAX_MESSAGE + 1];   /* one more: a bigger datagram is not ours */
      g_autoptr(GSocketAddress) from = NULL;
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_receive_from (socket, &from, (char *) buf, sizeof buf, NULL, &error);

      if (n < 0)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            g_debug ("STUN receive: %s", error->message);
          break;
        }
      if (G_IS_INET_SOCKET_ADDRESS (from) && (gsize) n <= BELL_STUN_MAX_MESSAGE)
        bell_stun_client_receive (self, buf, (gsize) n, G_INET_SOCKET_ADDRESS (from));
    }
  return G_SOURCE_CONTINUE;
}

BellStunClient *
bell_stun_client_new (GSocketFamily family, BellClock *clock, BellStunSendFunc send,
                      gpointer send_data, GDestroyNotify destroy)
{
  BellStunClient *self;

  g_return_val_if_fail (family == G_SOCKET_FAMILY_IPV4 || family == G_SOCKET_FAMILY_IPV6, NULL);
  g_return_val_if_fail (clock != NULL && send != NULL, NULL);

  self = g_object_new (BELL_TYPE_STUN_CLIENT, NULL);
  self->family = family;
  self->clock = bell_clock_ref (clock);
  self->send = send;
  self->send_data = send_data;
  self->send_destroy = destroy;
  return self;
}

BellStunClient *
bell_stun_client_new_for_socket (GSocket *socket, BellClock *clock, GMainContext *context)
{
  BellStunClient *self;

  g_return_val_if_fail (G_IS_SOCKET (socket), NULL);
  self = bell_stun_client_new (g_socket_get_family (socket), clock, send_on_socket,
                               g_object_ref (socket), g_object_unref);
  self->socket = g_object_ref (socket);
  self->source = g_socket_create_source (socket, G_IO_IN, NULL);
  g_source_set_callback (self->source, G_SOURCE_FUNC (on_socket_ready), self, NULL);
  g_source_set_static_name (self->source, "[bellbird] STUN");
  g_source_attach (self->source, context);
  return self;
}

static void
bell_stun_client_dispose (GObject *object)
{
  BellStunClient *self = BELL_STUN_CLIENT (object);

  /* A query holds a reference (its task's): none is in progress here. */
  if (self->source)
    g_source_destroy (self->source);
  g_clear_pointer (&self->source, g_source_unref);
  g_clear_object (&self->socket);
  if (self->send_destroy && self->send_data)
    self->send_destroy (self->send_data);
  self->send_data = NULL;
  G_OBJECT_CLASS (bell_stun_client_parent_class)->dispose (object);
}

static void
bell_stun_client_finalize (GObject *object)
{
  BellStunClient *self = BELL_STUN_CLIENT (object);

  g_clear_pointer (&self->clock, bell_clock_unref);
  G_OBJECT_CLASS (bell_stun_client_parent_class)->finalize (object);
}

static void
bell_stun_client_class_init (BellStunClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bell_stun_client_dispose;
  object_class->finalize = bell_stun_client_finalize;
}

static void
bell_stun_client_init (BellStunClient *self)
{
}
