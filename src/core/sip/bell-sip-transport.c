/* bell-sip-transport.c: UDP sockets, listeners, the connection table, and the rules of
 * RFC 3261 §18 for where requests and responses go. */
#define G_LOG_DOMAIN "bell-sip-transport"

#include "bell-secret.h"
#include "bell-sip-transport-private.h"
#include "bell-sip-header.h"
#include "bell-sip-private.h"
#include "bell-sip-tls.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <string.h>

#define UDP_MTU_LIMIT       1300  /* §18.1.1: larger requests go over TCP */
#define DATAGRAMS_PER_WAKEUP 64
#define MAX_UDP_FLOWS       1024

enum { FAMILY_V4, FAMILY_V6, N_FAMILIES };

typedef struct
{
  GSocket *socket;
  GSource *source;
} Listener;

typedef struct
{
  BellSipTransport *self;
  BellSipFlow      *flow;
  guint             interval_ms;
  guint             timer;
} Keepalive;

struct _BellSipTransport
{
  GObject                 parent_instance;

  GMainContext           *context;
  BellClock              *clock;
  BellSipTransportConfig  config;
  Listener                udp[N_FAMILIES];
  Listener                tcp[N_FAMILIES];
  Listener                tls[N_FAMILIES];
  GHashTable             *connections;   /* "TCP/1.2.3.4:5060" → BellSipConnection */
  GHashTable             *udp_flows;     /* "1.2.3.4:5060" → BellSipFlow */
  GHashTable             *local_ips;     /* destination IP → GInetAddress we reach it from */
  GHashTable             *keepalives;    /* id → Keepalive */
  guint                   next_keepalive_id;
  GPtrArray              *dead;          /* closed connections, freed from an idle source */
  GSource                *reaper;
  BellSipTransportStats   stats;
  guint8                 *datagram;      /* receive buffer, 64 KiB */
  GHashTable             *ws_links;      /* URL → WebSocket link (bell-sip-transport-ws.c) */
  BellSipTlsConfig       *tls_client;    /* made on first use */
  GHashTable             *tls_clients;   /* an account's CA file → its client config */
  BellSipTlsConfig       *tls_server;
  BellSipGuard           *guard;         /* flood and scanner limits */
  gsize                   pending_total; /* unsent bytes on all connections */
};

G_DEFINE_FINAL_TYPE (BellSipTransport, bell_sip_transport, G_TYPE_OBJECT)
G_DEFINE_QUARK (bell-sip-transport-error-quark, bell_sip_transport_error)

enum { SIGNAL_MESSAGE, SIGNAL_FLOW_FAILED, N_SIGNALS };
static guint signals[N_SIGNALS];

static int
family_index (GSocketFamily family)
{
  return family == G_SOCKET_FAMILY_IPV6 ? FAMILY_V6 : FAMILY_V4;
}

static Listener *
listeners_for (BellSipTransport *self, BellSipTransportKind kind)
{
  switch (kind)
    {
    case BELL_SIP_TRANSPORT_UDP: return self->udp;
    case BELL_SIP_TRANSPORT_TCP: return self->tcp;
    case BELL_SIP_TRANSPORT_TLS: return self->tls;
    default: return NULL;
    }
}

static void
listener_clear (Listener *l)
{
  if (l->source)
    {
      g_source_destroy (l->source);
      g_clear_pointer (&l->source, g_source_unref);
    }
  if (l->socket)
    g_socket_close (l->socket, NULL);
  g_clear_object (&l->socket);
}

static void
bell_sip_transport_dispose (GObject *object)
{
  BellSipTransport *self = BELL_SIP_TRANSPORT (object);
  GHashTableIter iter;
  gpointer value;

  for (int f = 0; f < N_FAMILIES; f++)
    {
      listener_clear (&self->udp[f]);
      listener_clear (&self->tcp[f]);
      listener_clear (&self->tls[f]);
    }
  if (self->keepalives)
    g_hash_table_remove_all (self->keepalives);
  if (self->ws_links)
    g_hash_table_remove_all (self->ws_links);
  if (self->connections)
    {
      /* Closing removes each from the table: take them out first. */
      g_autoptr(GPtrArray) open = g_ptr_array_new ();
      g_hash_table_iter_init (&iter, self->connections);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        g_ptr_array_add (open, value);
      for (guint i = 0; i < open->len; i++)
        _bell_sip_connection_close (open->pdata[i], NULL);
    }
  if (self->reaper)
    {
      g_source_destroy (self->reaper);
      g_clear_pointer (&self->reaper, g_source_unref);
    }
  if (self->dead)
    g_ptr_array_set_size (self->dead, 0);

  G_OBJECT_CLASS (bell_sip_transport_parent_class)->dispose (object);
}

static void
bell_sip_transport_finalize (GObject *object)
{
  BellSipTransport *self = BELL_SIP_TRANSPORT (object);

  g_hash_table_destroy (self->connections);
  g_hash_table_destroy (self->udp_flows);
  g_hash_table_destroy (self->local_ips);
  g_hash_table_destroy (self->keepalives);
  g_hash_table_destroy (self->ws_links);
  g_ptr_array_unref (self->dead);
  g_free (self->datagram);
  g_clear_pointer (&self->tls_client, bell_sip_tls_config_unref);
  g_clear_pointer (&self->tls_clients, g_hash_table_unref);
  g_clear_pointer (&self->tls_server, bell_sip_tls_config_unref);
  g_free ((char *) self->config.tls_ca_file);
  g_free ((char *) self->config.tls_cert_file);
  g_free ((char *) self->config.tls_key_file);
  g_clear_object (&self->guard);
  g_clear_pointer (&self->clock, bell_clock_unref);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (bell_sip_transport_parent_class)->finalize (object);
}

static void
bell_sip_transport_class_init (BellSipTransportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bell_sip_transport_dispose;
  object_class->finalize = bell_sip_transport_finalize;

  signals[SIGNAL_MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, BELL_TYPE_SIP_MSG, BELL_TYPE_SIP_FLOW);
  signals[SIGNAL_FLOW_FAILED] =
    g_signal_new ("flow-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, BELL_TYPE_SIP_FLOW, G_TYPE_ERROR);
}

static void
keepalive_free (gpointer data)
{
  Keepalive *k = data;

  bell_clock_clear (k->self->clock, &k->timer);
  if (k->flow->conn && k->flow->conn->keepalives > 0)
    k->flow->conn->keepalives--;
  bell_sip_flow_unref (k->flow);
  g_free (k);
}

static void
bell_sip_transport_init (BellSipTransport *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->connections = g_hash_table_new (g_str_hash, g_str_equal);
  self->udp_flows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) bell_sip_flow_unref);
  self->local_ips = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->keepalives = g_hash_table_new_full (NULL, NULL, NULL, keepalive_free);
  self->ws_links = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, _bell_sip_ws_link_free);
  self->dead = g_ptr_array_new_with_free_func ((GDestroyNotify) _bell_sip_connection_free);
  self->next_keepalive_id = 1;
  self->datagram = g_malloc (65536);
  self->config.idle_timeout_s = 300;
  self->config.max_connections = 256;
  self->config.max_pending_bytes = 1024 * 1024;
  self->config.max_pending_total = 8 * 1024 * 1024;
}

BellSipTransport *
bell_sip_transport_new (BellClock *clock)
{
  BellSipTransport *self = g_object_new (BELL_TYPE_SIP_TRANSPORT, NULL);

  self->clock = clock ? bell_clock_ref (clock) : bell_clock_new_real (self->context);
  self->guard = bell_sip_guard_new (self->clock);
  return self;
}

BellSipGuard *
bell_sip_transport_get_guard (BellSipTransport *self)
{
  return self->guard;
}

void
bell_sip_transport_configure (BellSipTransport *self, const BellSipTransportConfig *config)
{
  g_return_if_fail (BELL_IS_SIP_TRANSPORT (self));

  g_free ((char *) self->config.tls_ca_file);
  g_free ((char *) self->config.tls_cert_file);
  g_free ((char *) self->config.tls_key_file);
  self->config = *config;
  self->config.tls_ca_file = g_strdup (config->tls_ca_file);
  self->config.tls_cert_file = g_strdup (config->tls_cert_file);
  self->config.tls_key_file = g_strdup (config->tls_key_file);
  if (!self->config.idle_timeout_s)
    self->config.idle_timeout_s = 300;
  if (!self->config.max_connections)
    self->config.max_connections = 256;
  if (!self->config.max_pending_bytes)
    self->config.max_pending_bytes = 1024 * 1024;
  if (!self->config.max_pending_total)
    self->config.max_pending_total = 8 * 1024 * 1024;
}

BellClock *
_bell_sip_transport_get_clock (BellSipTransport *self)
{
  return self->clock;
}

GMainContext *
_bell_sip_transport_get_context (BellSipTransport *self)
{
  return self->context;
}

const BellSipTransportConfig *
_bell_sip_transport_get_config (BellSipTransport *self)
{
  return &self->config;
}

GHashTable *
_bell_sip_transport_ws_links (BellSipTransport *self)
{
  return self->ws_links;
}

void
_bell_sip_transport_ws_forget (BellSipTransport *self, const char *url)
{
  g_hash_table_remove (self->ws_links, url);
}

void
_bell_sip_transport_emit_flow_failed (BellSipTransport *self, BellSipFlow *flow,
                                      const GError *error)
{
  g_signal_emit (self, signals[SIGNAL_FLOW_FAILED], 0, flow, error);
}

static void
tls_slot_free (gpointer data)
{
  BellSipTlsConfig **slot = data;

  g_clear_pointer (slot, bell_sip_tls_config_unref);
  g_free (slot);
}

BellSipTlsConfig **
_bell_sip_transport_tls_slot (BellSipTransport *self, gboolean server, const char *ca_file)
{
  BellSipTlsConfig **slot;

  if (server)
    return &self->tls_server;
  if (!ca_file)
    return &self->tls_client;
  if (!self->tls_clients)
    self->tls_clients = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, tls_slot_free);
  slot = g_hash_table_lookup (self->tls_clients, ca_file);
  if (!slot)
    {
      slot = g_new0 (BellSipTlsConfig *, 1);
      g_hash_table_insert (self->tls_clients, g_strdup (ca_file), slot);
    }
  return slot;
}

gsize
_bell_sip_transport_pending (BellSipTransport *self, gssize delta)
{
  self->pending_total = delta < 0 && (gsize) -delta > self->pending_total
                        ? 0 : self->pending_total + (gsize) delta;
  return self->pending_total;
}

void
_bell_sip_transport_count (BellSipTransport *self, gsize offset)
{
  G_STRUCT_MEMBER (guint64, &self->stats, offset)++;
  /* Something refused or cut off: the core reports the counters. */
  if (offset != BELL_SIP_STAT (sent) && offset != BELL_SIP_STAT (received))
    bell_sip_guard_touch (self->guard);
}

void
bell_sip_transport_get_stats (BellSipTransport *self, BellSipTransportStats *stats)
{
  *stats = self->stats;
}

static gboolean
debug_enabled (void)
{
  return !g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN);
}

static void
log_message (const char *direction, BellSipFlow *flow, BellSipMsg *msg)
{
  g_autofree char *text = NULL;
  g_autofree char *where = NULL;

  if (!debug_enabled ())
    return;
  text = bell_sip_msg_to_log_string (msg);
  where = bell_sip_flow_to_string (flow);
  g_debug ("%s %s\n%s", direction, where, text);
}

/* Receiving */

static char *
address_key (BellSipTransportKind kind, GInetSocketAddress *address)
{
  g_autofree char *a = _bell_sip_address_to_string (address);
  return g_strdup_printf ("%s/%s", bell_sip_transport_kind_to_string (kind), a);
}

static BellSipFlow *
udp_flow_for (BellSipTransport *self, GSocket *socket, GInetSocketAddress *remote)
{
  g_autofree char *key = _bell_sip_address_to_string (remote);
  BellSipFlow *flow = g_hash_table_lookup (self->udp_flows, key);

  if (flow && flow->udp_socket == socket)
    return flow;
  if (g_hash_table_size (self->udp_flows) >= MAX_UDP_FLOWS)
    g_hash_table_remove_all (self->udp_flows);  /* a cache: flows in use are referenced */
  {
    g_autoptr(GSocketAddress) local = g_socket_get_local_address (socket, NULL);
    flow = _bell_sip_flow_new (BELL_SIP_TRANSPORT_UDP, G_INET_SOCKET_ADDRESS (local), remote);
  }
  flow->udp_socket = g_object_ref (socket);
  g_hash_table_replace (self->udp_flows, g_steal_pointer (&key), flow);
  return flow;
}

/* §18.2.1 and RFC 3581 §4: note where a request really came from in its top Via. */
static void
stamp_received (BellSipMsg *msg, GInetSocketAddress *source)
{
  const BellSipHeader *h = bell_sip_msg_find (msg, BELL_SIP_HDR_VIA);
  const BellSipVia *via;
  g_autofree char *ip = NULL;
  g_autoptr(GString) value = NULL;
  BellStr rest, name, pvalue;
  gboolean same_host;

  if (!h || !source)
    return;
  via = h->parsed.via;
  ip = g_inet_address_to_string (g_inet_socket_address_get_address (source));
  same_host = bell_str_equal_ci_cstr (via->host, ip);
  if (same_host && !via->has_rport)
    return;

  value = g_string_new (NULL);
  g_string_append_printf (value, "SIP/2.0/%.*s %.*s", BELL_STR_PRINTF (via->transport),
                          BELL_STR_PRINTF (via->host));
  if (via->port)
    g_string_append_printf (value, ":%u", via->port);
  rest = via->params;
  while (bell_params_next (&rest, &name, &pvalue))
    {
      if (bell_str_equal_ci_cstr (name, "received") || bell_str_equal_ci_cstr (name, "rport"))
        continue;
      g_string_append_printf (value, ";%.*s", BELL_STR_PRINTF (name));
      if (pvalue.len)
        g_string_append_printf (value, "=%.*s", BELL_STR_PRINTF (pvalue));
    }
  /* An IPv6 received keeps RFC 3261's bracket-less form. */
  g_string_append_printf (value, ";received=%s", ip);
  if (via->has_rport)
    g_string_append_printf (value, ";rport=%u", g_inet_socket_address_get_port (source));
  bell_sip_msg_remove_first (msg, BELL_SIP_HDR_VIA);
  if (!bell_sip_msg_prepend_header (msg, "Via", value->str, NULL))
    g_warning ("could not rewrite Via “%s”", value->str);
}

/* A response tells us how the peer sees us: that is the address for our Contact. */
static void
learn_public_address (BellSipFlow *flow, BellSipMsg *msg)
{
  const BellSipVia *via = bell_sip_msg_get_via (msg);
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  guint16 port;

  if (!via || (!bell_str_is_set (via->received) && !via->rport))
    return;
  host = bell_str_dup (bell_str_is_set (via->received) ? via->received : via->host);
  if (host[0] == '[')
    {
      memmove (host, host + 1, strlen (host));
      host[strlen (host) - 1] = '\0';
    }
  inet = g_inet_address_new_from_string (host);
  if (!inet)
    return;
  port = via->rport ? via->rport : via->port;
  if (!port && flow->local)
    port = g_inet_socket_address_get_port (flow->local);
  g_clear_object (&flow->public_addr);
  flow->public_addr = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (inet, port));
}

static void
dispatch (BellSipTransport *self, BellSipMsg *msg, BellSipFlow *flow)
{
  self->stats.received++;
  if (bell_sip_msg_is_request (msg))
    stamp_received (msg, flow->remote);
  else
    learn_public_address (flow, msg);
  log_message ("received from", flow, msg);
  g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, msg, flow);
}

static void send_raw_to (BellSipTransport *self, GSocket *socket, GInetSocketAddress *to,
                         BellSipMsg *msg);

/* Something that did not parse: answer 400/505 when it was a request we can answer. */
static void
reject_malformed (BellSipTransport *self, const char *data, gsize len, const GError *error,
                  BellSipFlow *flow)
{
  g_autoptr(BellSipMsg) response = bell_sip_msg_new_error_response_raw (data, len, error);
  g_autofree char *where = bell_sip_flow_to_string (flow);

  if (!response)
    {
      _bell_sip_transport_count (self, BELL_SIP_STAT (dropped_malformed));
      g_message ("dropped malformed message from %s: %s", where, error->message);
      return;
    }
  /* The answer goes where the request really came from (§18.2.1, RFC 3581). */
  stamp_received (response, flow->remote);
  _bell_sip_transport_count (self, BELL_SIP_STAT (rejected_malformed));
  g_message ("answered malformed request from %s with %u: %s", where,
             bell_sip_msg_get_status (response), error->message);
  if (flow->conn)
    {
      g_autoptr(GBytes) bytes = bell_sip_msg_to_bytes (response);
      _bell_sip_connection_send (flow->conn, g_bytes_get_data (bytes, NULL),
                                 g_bytes_get_size (bytes), NULL);
    }
  else if (flow->udp_socket)
    send_raw_to (self, flow->udp_socket, flow->remote, response);
  else if (flow->ws_url)
    {
      g_autoptr(GBytes) bytes = bell_sip_msg_to_bytes (response);
      _bell_sip_transport_ws_send_on_flow (self, flow, bytes, NULL);
    }
}

static gboolean
is_keepalive (const guint8 *data, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (data[i] != '\r' && data[i] != '\n' && data[i] != ' ' && data[i] != '\t' && data[i] != 0)
      return FALSE;
  return TRUE;
}

/* A request (a response starts with its version), from a source over its rate: dropped
 * before the parser spends anything on it. Responses pass: they only ever match our own
 * transactions, and a registrar's 200 must not be lost to someone else's flood. */
static gboolean
over_rate (BellSipTransport *self, GInetSocketAddress *source, const void *data, gsize len)
{
  return !(len >= 4 && g_ascii_strncasecmp (data, "SIP/", 4) == 0) && source &&
         !bell_sip_guard_admit_request (self->guard, source);
}

static void
handle_datagram (BellSipTransport *self, GSocket *socket, GInetSocketAddress *source,
                 const guint8 *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) msg = NULL;
  BellSipFlow *flow;

  if (is_keepalive (data, len))
    return;  /* a NAT keep-alive (RFC 5626 §3.5.1 CRLF on UDP) */
  if (over_rate (self, source, data, len))
    return;
  flow = udp_flow_for (self, socket, source);
  msg = bell_sip_msg_parse ((const char *) data, len, BELL_SIP_PARSE_DATAGRAM, &error);
  if (!msg)
    {
      reject_malformed (self, (const char *) data, len, error, flow);
      return;
    }
  dispatch (self, msg, flow);
}

typedef struct
{
  BellSipTransport *transport;
  GSocket          *socket;
} RefusedCtx;

/* A datagram of ours was refused (ICMP port unreachable): the flow to there failed, so its
 * client transactions fail over now (bell-sip-transport-icmp.c). */
static void
on_udp_refused (GInetSocketAddress *destination, gpointer data)
{
  RefusedCtx *ctx = data;
  g_autofree char *key = _bell_sip_address_to_string (destination);
  BellSipFlow *flow = g_hash_table_lookup (ctx->transport->udp_flows, key);
  g_autoptr(GError) error = NULL;

  if (!flow || flow->udp_socket != ctx->socket)
    return;
  error = g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED,
                       "nothing listens on UDP %s (ICMP port unreachable)", key);
  g_debug ("%s", error->message);
  bell_sip_flow_ref (flow);
  _bell_sip_transport_emit_flow_failed (ctx->transport, flow, error);
  bell_sip_flow_unref (flow);
}

static gboolean
on_udp_ready (GSocket *socket, GIOCondition condition, gpointer data)
{
  BellSipTransport *self = data;

  if (condition & G_IO_ERR)
    {
      RefusedCtx ctx = { self, socket };
      _bell_sip_udp_drain_errors (socket, on_udp_refused, &ctx);
    }
  for (int i = 0; i < DATAGRAMS_PER_WAKEUP; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocketAddress) source = NULL;
      gssize n = g_socket_receive_from (socket, &source, (char *) self->datagram, 65536, NULL,
                                        &error);
      if (n < 0)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            g_debug ("UDP receive: %s", error->message);  /* e.g. an ICMP error: keep going */
          break;
        }
      if (G_IS_INET_SOCKET_ADDRESS (source))
        handle_datagram (self, socket, G_INET_SOCKET_ADDRESS (source), self->datagram, (gsize) n);
      bell_secret_wipe (self->datagram, (gsize) n);   /* parsed, copied: SDES keys go */
    }
  return G_SOURCE_CONTINUE;
}

void
_bell_sip_transport_on_datagram_message (BellSipTransport *self, BellSipFlow *flow,
                                         const void *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) msg = NULL;

  if (is_keepalive (data, len))
    return;
  if (over_rate (self, flow->remote, data, len))
    return;
  msg = bell_sip_msg_parse (data, len, BELL_SIP_PARSE_DATAGRAM, &error);
  if (!msg)
    {
      reject_malformed (self, data, len, error, flow);
      return;
    }
  dispatch (self, msg, flow);
}

void
_bell_sip_transport_on_stream_message (BellSipTransport *self, BellSipConnection *conn,
                                       const char *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) msg = NULL;

  if (over_rate (self, conn->flow->remote, data, len))
    return;
  msg = bell_sip_msg_parse (data, len, BELL_SIP_PARSE_STREAM, &error);
  if (!msg)
    {
      reject_malformed (self, data, len, error, conn->flow);
      return;
    }
  dispatch (self, msg, conn->flow);
}

static gboolean
reap_dead (gpointer data)
{
  BellSipTransport *self = data;

  g_ptr_array_set_size (self->dead, 0);
  g_clear_pointer (&self->reaper, g_source_unref);
  return G_SOURCE_REMOVE;
}

void
_bell_sip_transport_on_connection_closed (BellSipTransport *self, BellSipConnection *conn,
                                          const GError *error)
{
  if (conn->key && g_hash_table_lookup (self->connections, conn->key) == conn)
    g_hash_table_remove (self->connections, conn->key);
  if (conn->guard_held)
    {
      conn->guard_held = FALSE;
      bell_sip_guard_release_connection (self->guard, conn->flow->remote);
    }
  /* Freed later: we may be deep inside the connection's own callbacks. */
  g_ptr_array_add (self->dead, conn);
  if (!self->reaper)
    {
      self->reaper = g_idle_source_new ();
      g_source_set_callback (self->reaper, reap_dead, self, NULL);
      g_source_set_static_name (self->reaper, "[bellbird] connection reaper");
      g_source_attach (self->reaper, self->context);
    }
  if (error)
    g_signal_emit (self, signals[SIGNAL_FLOW_FAILED], 0, conn->flow, error);
}

static void
register_connection (BellSipTransport *self, BellSipConnection *conn, GInetSocketAddress *remote)
{
  conn->key = address_key (conn->kind, remote);
  /* A newer connection to the same peer takes over the name; the old one still works. */
  g_hash_table_replace (self->connections, conn->key, conn);
  _bell_sip_connection_start (conn);
}

static gboolean
on_listener_ready (GSocket *socket, GIOCondition condition, gpointer data)
{
  BellSipTransport *self = data;
  BellSipTransportKind kind = BELL_SIP_TRANSPORT_TCP;

  for (int f = 0; f < N_FAMILIES; f++)
    if (self->tls[f].socket == socket)
      kind = BELL_SIP_TRANSPORT_TLS;

  for (int i = 0; i < 16; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) client = g_socket_accept (socket, NULL, &error);
      g_autoptr(GSocketAddress) remote = NULL;
      BellSipConnection *conn;

      if (!client)
        break;
      remote = g_socket_get_remote_address (client, NULL);
      if (!remote || g_hash_table_size (self->connections) >= self->config.max_connections)
        {
          _bell_sip_transport_count (self, BELL_SIP_STAT (connections_refused));
          g_message ("refusing a %s connection: %u connections open",
                     bell_sip_transport_kind_to_string (kind), self->config.max_connections);
          g_socket_close (client, NULL);
          continue;
        }
      if (!bell_sip_guard_hold_connection (self->guard, G_INET_SOCKET_ADDRESS (remote)))
        {
          g_socket_close (client, NULL);
          continue;
        }
      conn = _bell_sip_connection_new (self, kind, client, FALSE, NULL);
      conn->guard_held = !bell_sip_guard_is_trusted (self->guard, G_INET_SOCKET_ADDRESS (remote));
      if (kind == BELL_SIP_TRANSPORT_TLS &&
          !_bell_sip_connection_setup_tls (self, conn, FALSE, NULL, &error))
        {
          g_message ("TLS connection refused: %s", error->message);
          if (conn->guard_held)
            bell_sip_guard_release_connection (self->guard, G_INET_SOCKET_ADDRESS (remote));
          g_socket_close (client, NULL);
          conn->closed = TRUE;
          conn->flow->conn = NULL;
          _bell_sip_connection_free (conn);
          continue;
        }
      register_connection (self, conn, G_INET_SOCKET_ADDRESS (remote));
    }
  return G_SOURCE_CONTINUE;
}

/* Listening */

static GSocket *
bind_socket (GSocketFamily family, GSocketType type, GInetAddress *address, guint16 port,
             GError **error)
{
  g_autoptr(GSocket) socket = g_socket_new (family, type, 0, error);
  g_autoptr(GSocketAddress) bind_to = NULL;

  if (!socket)
    return NULL;
  if (family == G_SOCKET_FAMILY_IPV6)
    g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, 1, NULL);
  /* Bursts (every account refreshing at once) overflow the default UDP receive buffer and
   * cost a T1 retransmission each: ask for more (the kernel may cap it at rmem_max). */
  if (type == G_SOCKET_TYPE_DATAGRAM)
    {
      g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, 1024 * 1024, NULL);
      _bell_sip_udp_report_errors (socket);
    }
  bind_to = g_inet_socket_address_new (address, port);
  if (!g_socket_bind (socket, bind_to, type == G_SOCKET_TYPE_STREAM, error))
    return NULL;
  if (type == G_SOCKET_TYPE_STREAM)
    {
      g_socket_set_listen_backlog (socket, 64);
      if (!g_socket_listen (socket, error))
        return NULL;
    }
  g_socket_set_blocking (socket, FALSE);
  return g_steal_pointer (&socket);
}

static guint16
socket_port (GSocket *socket)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (socket, NULL);
  return local ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)) : 0;
}

gboolean
bell_sip_transport_listen (BellSipTransport *self, BellSipTransportKind kind, const char *address,
                           guint16 port, GError **error)
{
  Listener *listeners = listeners_for (self, kind);
  g_autoptr(GInetAddress) only = NULL;
  gboolean any_ok = FALSE;
  g_autoptr(GError) first_error = NULL;

  g_return_val_if_fail (BELL_IS_SIP_TRANSPORT (self), FALSE);
  if (!listeners)
    {
      g_set_error (error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_NOT_LISTENING,
                   "Bellbird does not listen on %s", bell_sip_transport_kind_to_string (kind));
      return FALSE;
    }
  if (kind == BELL_SIP_TRANSPORT_TLS && !_bell_sip_transport_tls_server_ready (self, error))
    return FALSE;
  if (address && *address)
    {
      only = g_inet_address_new_from_string (address);
      if (!only)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "“%s” is not an IP address to listen on", address);
          return FALSE;
        }
    }

  for (int f = 0; f < N_FAMILIES; f++)
    {
      GSocketFamily family = f == FAMILY_V6 ? G_SOCKET_FAMILY_IPV6 : G_SOCKET_FAMILY_IPV4;
      g_autoptr(GInetAddress) any = NULL;
      g_autoptr(GError) local_error = NULL;
      GSocket *socket;

      if (only && g_inet_address_get_family (only) != family)
        continue;
      if (!only)
        any = g_inet_address_new_any (family);
      listener_clear (&listeners[f]);
      socket = bind_socket (family, kind == BELL_SIP_TRANSPORT_UDP ? G_SOCKET_TYPE_DATAGRAM
                                                                    : G_SOCKET_TYPE_STREAM,
                            only ? only : any, port, &local_error);
      if (!socket)
        {
          if (!first_error)
            first_error = g_steal_pointer (&local_error);
          continue;
        }
      /* With port 0 let both families share the port the first one got. */
      if (port == 0)
        port = socket_port (socket);
      listeners[f].socket = socket;
      listeners[f].source = g_socket_create_source (socket, G_IO_IN, NULL);
      g_source_set_callback (listeners[f].source,
                             kind == BELL_SIP_TRANSPORT_UDP ? G_SOURCE_FUNC (on_udp_ready)
                                                            : G_SOURCE_FUNC (on_listener_ready),
                             self, NULL);
      g_source_set_static_name (listeners[f].source, "[bellbird] SIP listener");
      g_source_attach (listeners[f].source, self->context);
      any_ok = TRUE;
    }
  if (!any_ok)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&first_error),
                                  "cannot listen on %s port %u: ",
                                  bell_sip_transport_kind_to_string (kind), port);
      return FALSE;
    }
  return TRUE;
}

guint16
bell_sip_transport_get_port (BellSipTransport *self, BellSipTransportKind kind, GSocketFamily family)
{
  Listener *listeners = listeners_for (self, kind);

  if (!listeners || !listeners[family_index (family)].socket)
    return 0;
  return socket_port (listeners[family_index (family)].socket);
}

guint
bell_sip_transport_get_supported (BellSipTransport *self)
{
  guint mask = BELL_SIP_TRANSPORT_TCP | BELL_SIP_TRANSPORT_TLS | BELL_SIP_TRANSPORT_WS |
               BELL_SIP_TRANSPORT_WSS;

  if (self->udp[FAMILY_V4].socket || self->udp[FAMILY_V6].socket)
    mask |= BELL_SIP_TRANSPORT_UDP;
  return mask;
}

/* Sending */

static void
send_raw_to (BellSipTransport *self, GSocket *socket, GInetSocketAddress *to, BellSipMsg *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = bell_sip_msg_to_bytes (msg);

  if (g_socket_send_to (socket, G_SOCKET_ADDRESS (to), g_bytes_get_data (bytes, NULL),
                        g_bytes_get_size (bytes), NULL, &error) < 0)
    {
      g_autofree char *where = _bell_sip_address_to_string (to);
      g_message ("UDP send to %s failed: %s", where, error->message);
      return;
    }
  self->stats.sent++;
}

/* The address we reach dest from: the bound address, or the kernel's route choice (a UDP
 * connect() sends nothing and tells the source address). */
static GInetAddress *
local_address_for (BellSipTransport *self, GInetAddress *dest)
{
  g_autofree char *key = g_inet_address_to_string (dest);
  GSocketFamily family = g_inet_address_get_family (dest);
  GInetAddress *cached = g_hash_table_lookup (self->local_ips, key);
  GSocket *udp = self->udp[family_index (family)].socket;
  g_autoptr(GSocket) probe = NULL;
  g_autoptr(GSocketAddress) target = NULL;
  g_autoptr(GSocketAddress) local = NULL;

  if (cached)
    return cached;
  if (udp)
    {
      g_autoptr(GSocketAddress) bound = g_socket_get_local_address (udp, NULL);
      GInetAddress *b = bound ? g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (bound)) : NULL;
      if (b && !g_inet_address_get_is_any (b))
        {
          g_hash_table_insert (self->local_ips, g_steal_pointer (&key), g_object_ref (b));
          return b;
        }
    }
  probe = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM, 0, NULL);
  target = g_inet_socket_address_new (dest, 9);
  if (probe && g_socket_connect (probe, target, NULL, NULL))
    local = g_socket_get_local_address (probe, NULL);
  if (!local)
    return NULL;
  cached = g_object_ref (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
  g_hash_table_insert (self->local_ips, g_steal_pointer (&key), cached);
  return cached;
}

GInetSocketAddress *
bell_sip_transport_get_local_address (BellSipTransport *self, BellSipTransportKind kind,
                                      GInetSocketAddress *dest)
{
  GInetAddress *inet = g_inet_socket_address_get_address (dest);
  GSocketFamily family = g_inet_address_get_family (inet);
  GInetAddress *local = local_address_for (self, inet);
  guint16 port;

  g_return_val_if_fail (BELL_IS_SIP_TRANSPORT (self), NULL);
  if (!local)
    return NULL;
  port = bell_sip_transport_get_port (self, kind, family);
  if (!port)
    port = bell_sip_transport_get_port (self, BELL_SIP_TRANSPORT_UDP, family);
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (local, port));
}

static char *
make_via (BellSipTransport *self, BellSipTransportKind kind, const BellSipTarget *target,
          const char *branch)
{
  g_autofree char *ip = NULL;
  GInetAddress *local;
  GSocketFamily family;
  guint16 port;

  if (kind == BELL_SIP_TRANSPORT_WS || kind == BELL_SIP_TRANSPORT_WSS)
    {
      /* RFC 7118 §5.2: the client's WebSocket address is not reachable: a made-up name. */
      return g_strdup_printf ("SIP/2.0/%s %08x.invalid;rport;branch=%s",
                              bell_sip_transport_kind_to_string (kind), g_random_int (), branch);
    }
  family = g_inet_address_get_family (g_inet_socket_address_get_address (target->address));
  local = local_address_for (self, g_inet_socket_address_get_address (target->address));
  if (!local)
    return NULL;
  ip = g_inet_address_to_string (local);
  port = bell_sip_transport_get_port (self, kind, family);
  if (family == G_SOCKET_FAMILY_IPV6)
    {
      g_autofree char *bracketed = g_strdup_printf ("[%s]", ip);
      g_free (ip);
      ip = g_steal_pointer (&bracketed);
    }
  if (port)
    return g_strdup_printf ("SIP/2.0/%s %s:%u;rport;branch=%s",
                            bell_sip_transport_kind_to_string (kind), ip, port, branch);
  return g_strdup_printf ("SIP/2.0/%s %s;rport;branch=%s", bell_sip_transport_kind_to_string (kind),
                          ip, branch);
}

static BellSipConnection *
connect_to (BellSipTransport *self, BellSipTransportKind kind, GInetSocketAddress *address,
            const char *host, const char *ca_file, GError **error)
{
  g_autofree char *key = address_key (kind, address);
  BellSipConnection *conn = g_hash_table_lookup (self->connections, key);
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) local_error = NULL;
  GSocketFamily family = g_socket_address_get_family (G_SOCKET_ADDRESS (address));

  /* §18.1.1: reuse an open connection to the same peer. */
  if (conn && !conn->closed)
    return conn;
  if (g_hash_table_size (self->connections) >= self->config.max_connections)
    {
      g_set_error (error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_OVERLOAD,
                   "too many connections open (%u)", self->config.max_connections);
      return NULL;
    }
  socket = g_socket_new (family, G_SOCKET_TYPE_STREAM, 0, error);
  if (!socket)
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  conn = _bell_sip_connection_new (self, kind, socket, TRUE, host);
  _bell_sip_connection_set_remote (conn, address);
  if (kind == BELL_SIP_TRANSPORT_TLS &&
      !_bell_sip_connection_setup_tls (self, conn, TRUE, ca_file, error))
    {
      conn->closed = TRUE;
      conn->flow->conn = NULL;
      _bell_sip_connection_free (conn);
      return NULL;
    }
  if (!g_socket_connect (socket, G_SOCKET_ADDRESS (address), NULL, &local_error))
    {
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_PENDING))
        {
          g_autofree char *where = _bell_sip_address_to_string (address);
          g_set_error (error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_UNREACHABLE,
                       "cannot connect to %s: %s", where, local_error->message);
          conn->closed = TRUE;
          conn->flow->conn = NULL;
          _bell_sip_connection_free (conn);
          return NULL;
        }
      conn->connecting = TRUE;
    }
  else
    conn->handshaking = conn->ops->handshake != NULL;
  register_connection (self, conn, address);
  return conn;
}

static gboolean
send_bytes_on_connection (BellSipConnection *conn, GBytes *bytes, GTask *task)
{
  g_autoptr(GError) error = NULL;

  if (!_bell_sip_connection_send (conn, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                  &error))
    {
      if (task)
        g_task_return_error (task, g_steal_pointer (&error));
      return FALSE;
    }
  if (task)
    {
      if (conn->connecting || conn->handshaking)
        _bell_sip_connection_add_waiter (conn, task);
      else
        g_task_return_pointer (task, bell_sip_flow_ref (conn->flow),
                               (GDestroyNotify) bell_sip_flow_unref);
    }
  return TRUE;
}

static void
send_data_free (BellSipSendData *d)
{
  bell_sip_msg_unref (d->request);
  g_clear_object (&d->target.address);
  g_free (d->host);
  g_free (d->url);
  g_free (d->tls_ca_file);
  g_free (d->branch);
  g_free (d);
}

static void send_request_as (BellSipTransport *self, GTask *task, BellSipTransportKind kind);

static void
on_mtu_tcp_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  BellSipTransport *self = BELL_SIP_TRANSPORT (source);
  BellSipFlow *flow = g_task_propagate_pointer (G_TASK (result), &error);
  BellSipSendData *d = g_task_get_task_data (task);

  if (flow)
    {
      g_task_return_pointer (task, flow, (GDestroyNotify) bell_sip_flow_unref);
      return;
    }
  /* The peer does not take TCP: send the large request over UDP after all. */
  g_debug ("TCP for a large request failed (%s): using UDP", error->message);
  bell_sip_msg_remove_first (d->request, BELL_SIP_HDR_VIA);
  d->mtu_fallback = FALSE;
  send_request_as (self, g_steal_pointer (&task), BELL_SIP_TRANSPORT_UDP);
}

static void
send_request_as (BellSipTransport *self, GTask *task, BellSipTransportKind kind)
{
  BellSipSendData *d = g_task_get_task_data (task);
  g_autofree char *via = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  if (kind == BELL_SIP_TRANSPORT_WS || kind == BELL_SIP_TRANSPORT_WSS)
    {
      _bell_sip_transport_send_ws (self, task, kind);
      return;
    }
  via = make_via (self, kind, &d->target, d->branch);
  if (!via)
    {
      g_task_return_new_error (task, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_UNREACHABLE,
                               "no route to %s", d->host ? d->host : "the destination");
      g_object_unref (task);
      return;
    }
  if (!bell_sip_msg_prepend_header (d->request, "Via", via, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  bytes = bell_sip_msg_to_bytes (d->request);

  if (kind == BELL_SIP_TRANSPORT_UDP)
    {
      GSocketFamily family = g_socket_address_get_family (G_SOCKET_ADDRESS (d->target.address));
      GSocket *socket = self->udp[family_index (family)].socket;

      if (g_bytes_get_size (bytes) > UDP_MTU_LIMIT && d->mtu_fallback)
        {
          GTask *tcp_task = g_task_new (self, g_task_get_cancellable (task), on_mtu_tcp_done, task);
          BellSipConnection *conn;

          bell_sip_msg_remove_first (d->request, BELL_SIP_HDR_VIA);
          g_free (via);
          via = make_via (self, BELL_SIP_TRANSPORT_TCP, &d->target, d->branch);
          bell_sip_msg_prepend_header (d->request, "Via", via, NULL);
          g_clear_pointer (&bytes, g_bytes_unref);
          bytes = bell_sip_msg_to_bytes (d->request);
          conn = connect_to (self, BELL_SIP_TRANSPORT_TCP, d->target.address, d->host, NULL,
                             &error);
          if (conn)
            send_bytes_on_connection (conn, bytes, tcp_task);
          else
            g_task_return_error (tcp_task, g_steal_pointer (&error));
          g_object_unref (tcp_task);
          return;
        }
      if (!socket)
        {
          g_task_return_new_error (task, BELL_SIP_TRANSPORT_ERROR,
                                   BELL_SIP_TRANSPORT_ERROR_NOT_LISTENING,
                                   "no UDP socket for %s", family == G_SOCKET_FAMILY_IPV6
                                                               ? "IPv6" : "IPv4");
          g_object_unref (task);
          return;
        }
      {
        BellSipFlow *flow = udp_flow_for (self, socket, d->target.address);
        log_message ("sending to", flow, d->request);
        if (g_socket_send_to (socket, G_SOCKET_ADDRESS (d->target.address),
                              g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL,
                              &error) < 0)
          g_task_return_new_error (task, BELL_SIP_TRANSPORT_ERROR,
                                   BELL_SIP_TRANSPORT_ERROR_UNREACHABLE, "UDP send failed: %s",
                                   error->message);
        else
          {
            self->stats.sent++;
            g_task_return_pointer (task, bell_sip_flow_ref (flow),
                                   (GDestroyNotify) bell_sip_flow_unref);
          }
      }
      g_object_unref (task);
      return;
    }

  {
    BellSipConnection *conn = connect_to (self, kind, d->target.address, d->host,
                                          d->tls_ca_file, &error);
    if (!conn)
      g_task_return_error (task, g_steal_pointer (&error));
    else
      {
        log_message ("sending to", conn->flow, d->request);
        if (send_bytes_on_connection (conn, bytes, task))
          self->stats.sent++;
      }
    g_object_unref (task);
  }
}

void
bell_sip_transport_send_request_async (BellSipTransport *self, BellSipMsg *request,
                                       const BellSipTarget *target, const char *branch,
                                       GCancellable *cancellable, GAsyncReadyCallback callback,
                                       gpointer user_data)
{
  GTask *task;
  BellSipSendData *d;

  g_return_if_fail (BELL_IS_SIP_TRANSPORT (self));
  g_return_if_fail (request != NULL && bell_sip_msg_is_request (request));
  g_return_if_fail (target != NULL && branch != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bell_sip_transport_send_request_async);
  d = g_new0 (BellSipSendData, 1);
  d->request = bell_sip_msg_ref (request);
  d->target = *target;
  d->host = g_strdup (target->host);
  d->url = g_strdup (target->url);
  d->tls_ca_file = g_strdup (target->tls_ca_file);
  d->target.host = d->host;
  d->target.url = d->url;
  d->target.tls_ca_file = d->tls_ca_file;
  d->target.address = target->address ? g_object_ref (target->address) : NULL;
  d->branch = g_strdup (branch);
  d->mtu_fallback = target->kind == BELL_SIP_TRANSPORT_UDP;
  g_task_set_task_data (task, d, (GDestroyNotify) send_data_free);

  if (target->kind != BELL_SIP_TRANSPORT_WS && target->kind != BELL_SIP_TRANSPORT_WSS &&
      !target->address)
    {
      g_task_return_new_error (task, BELL_SIP_TRANSPORT_ERROR,
                               BELL_SIP_TRANSPORT_ERROR_UNREACHABLE, "no address to send to");
      g_object_unref (task);
      return;
    }
  send_request_as (self, task, target->kind);
}

BellSipFlow *
bell_sip_transport_send_request_finish (BellSipTransport *self, GAsyncResult *result,
                                        GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
bell_sip_transport_send_on_flow (BellSipTransport *self, BellSipMsg *msg, BellSipFlow *flow,
                                 GError **error)
{
  g_autoptr(GBytes) bytes = NULL;

  g_return_val_if_fail (BELL_IS_SIP_TRANSPORT (self), FALSE);
  log_message ("sending to", flow, msg);
  if (flow->kind == BELL_SIP_TRANSPORT_UDP)
    {
      g_autoptr(GError) local_error = NULL;
      bytes = bell_sip_msg_to_bytes (msg);
      if (g_socket_send_to (flow->udp_socket, G_SOCKET_ADDRESS (flow->remote),
                            g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), NULL,
                            &local_error) < 0)
        {
          g_set_error (error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_UNREACHABLE,
                       "UDP send failed: %s", local_error->message);
          return FALSE;
        }
      self->stats.sent++;
      return TRUE;
    }
  if (flow->kind == BELL_SIP_TRANSPORT_WS || flow->kind == BELL_SIP_TRANSPORT_WSS)
    {
      bytes = bell_sip_msg_to_bytes (msg);
      if (!_bell_sip_transport_ws_send_on_flow (self, flow, bytes, error))
        return FALSE;
      self->stats.sent++;
      return TRUE;
    }
  if (!flow->conn || flow->conn->closed)
    {
      g_autofree char *where = bell_sip_flow_to_string (flow);
      g_set_error (error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_CLOSED,
                   "the connection %s is closed", where);
      return FALSE;
    }
  bytes = bell_sip_msg_to_bytes (msg);
  if (!send_bytes_on_connection (flow->conn, bytes, NULL))
    {
      g_set_error (error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_CLOSED,
                   "the connection closed while sending");
      return FALSE;
    }
  self->stats.sent++;
  return TRUE;
}

static void
on_response_connection (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipFlow) flow = g_task_propagate_pointer (G_TASK (result), &error);

  if (!flow)
    g_message ("could not deliver a response: %s", error->message);
}

gboolean
bell_sip_transport_send_response (BellSipTransport *self, BellSipMsg *response, BellSipFlow *flow,
                                  GError **error)
{
  const BellSipVia *via;
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) to = NULL;
  guint16 port;

  g_return_val_if_fail (BELL_IS_SIP_TRANSPORT (self), FALSE);
  g_return_val_if_fail (!bell_sip_msg_is_request (response), FALSE);

  /* §18.2.2: over the connection the request came on while it is open. */
  if (flow->kind != BELL_SIP_TRANSPORT_UDP && bell_sip_flow_is_open (flow))
    return bell_sip_transport_send_on_flow (self, response, flow, error);
  if (flow->kind == BELL_SIP_TRANSPORT_WS || flow->kind == BELL_SIP_TRANSPORT_WSS)
    {
      g_set_error (error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_CLOSED,
                   "the WebSocket the request came on is closed");
      return FALSE;
    }

  /* Otherwise to the address in the top Via: received (which we stamped) and rport. */
  via = bell_sip_msg_get_via (response);
  if (!via)
    {
      g_set_error (error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_UNREACHABLE,
                   "the response has no Via to send it to");
      return FALSE;
    }
  host = bell_str_dup (bell_str_is_set (via->received) ? via->received : via->host);
  if (host[0] == '[')
    {
      memmove (host, host + 1, strlen (host));
      host[strlen (host) - 1] = '\0';
    }
  inet = g_inet_address_new_from_string (host);
  if (!inet)
    {
      g_set_error (error, BELL_SIP_TRANSPORT_ERROR, BELL_SIP_TRANSPORT_ERROR_UNREACHABLE,
                   "cannot send a response to “%s”: not an address", host);
      return FALSE;
    }
  port = via->rport ? via->rport
                    : (via->port ? via->port : bell_sip_transport_kind_default_port (flow->kind));
  to = g_inet_socket_address_new (inet, port);

  if (flow->kind == BELL_SIP_TRANSPORT_UDP)
    {
      g_autoptr(BellSipFlow) out = bell_sip_flow_ref (udp_flow_for (self, flow->udp_socket,
                                                                    G_INET_SOCKET_ADDRESS (to)));
      return bell_sip_transport_send_on_flow (self, response, out, error);
    }
  {
    BellSipConnection *conn = connect_to (self, flow->kind, G_INET_SOCKET_ADDRESS (to), NULL, NULL,
                                          error);
    g_autoptr(GBytes) bytes = NULL;
    g_autoptr(GTask) task = NULL;

    if (!conn)
      return FALSE;
    bytes = bell_sip_msg_to_bytes (response);
    task = g_task_new (self, NULL, on_response_connection, NULL);
    return send_bytes_on_connection (conn, bytes, task);
  }
}

/* Keep-alives */

static void
on_keepalive (gpointer data)
{
  Keepalive *k = data;
  BellSipTransport *self = k->self;

  k->timer = bell_clock_schedule (self->clock, k->interval_ms, on_keepalive, k, NULL);
  if (k->flow->kind == BELL_SIP_TRANSPORT_UDP)
    {
      if (k->flow->udp_socket)
        g_socket_send_to (k->flow->udp_socket, G_SOCKET_ADDRESS (k->flow->remote), "\r\n\r\n", 4,
                          NULL, NULL);
    }
  else if (k->flow->conn)
    _bell_sip_connection_ping (k->flow->conn);
}

guint
bell_sip_transport_keepalive_start (BellSipTransport *self, BellSipFlow *flow, guint interval_s)
{
  Keepalive *k;

  g_return_val_if_fail (BELL_IS_SIP_TRANSPORT (self), 0);
  g_return_val_if_fail (flow != NULL && interval_s > 0, 0);
  k = g_new0 (Keepalive, 1);
  k->self = self;
  k->flow = bell_sip_flow_ref (flow);
  k->interval_ms = interval_s * 1000u;
  if (flow->conn)
    flow->conn->keepalives++;
  k->timer = bell_clock_schedule (self->clock, k->interval_ms, on_keepalive, k, NULL);
  g_hash_table_insert (self->keepalives, GUINT_TO_POINTER (self->next_keepalive_id), k);
  return self->next_keepalive_id++;
}

void
bell_sip_transport_keepalive_stop (BellSipTransport *self, guint id)
{
  g_return_if_fail (BELL_IS_SIP_TRANSPORT (self));
  g_hash_table_remove (self->keepalives, GUINT_TO_POINTER (id));
}
