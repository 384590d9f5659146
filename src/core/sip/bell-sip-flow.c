/* bell-sip-flow.c: flows and transport kinds. */
#define G_LOG_DOMAIN "bell-sip-transport"

#include "bell-sip-transport-private.h"

#include <string.h>

G_DEFINE_BOXED_TYPE (BellSipFlow, bell_sip_flow, bell_sip_flow_ref, bell_sip_flow_unref)

static const struct
{
  BellSipTransportKind kind;
  const char          *name;
  guint16              port;
} kinds[] = {
  { BELL_SIP_TRANSPORT_UDP, "UDP", 5060 },
  { BELL_SIP_TRANSPORT_TCP, "TCP", 5060 },
  { BELL_SIP_TRANSPORT_TLS, "TLS", 5061 },
  { BELL_SIP_TRANSPORT_WS, "WS", 80 },
  { BELL_SIP_TRANSPORT_WSS, "WSS", 443 },
};

const char *
bell_sip_transport_kind_to_string (BellSipTransportKind kind)
{
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (kinds[i].kind == kind)
      return kinds[i].name;
  return "ANY";
}

BellSipTransportKind
bell_sip_transport_kind_from_string (const char *name, gsize len)
{
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (strlen (kinds[i].name) == len && g_ascii_strncasecmp (kinds[i].name, name, len) == 0)
      return kinds[i].kind;
  return BELL_SIP_TRANSPORT_ANY;
}

gboolean
bell_sip_transport_kind_is_reliable (BellSipTransportKind kind)
{
  return kind != BELL_SIP_TRANSPORT_UDP;
}

gboolean
bell_sip_transport_kind_is_secure (BellSipTransportKind kind)
{
  return kind == BELL_SIP_TRANSPORT_TLS || kind == BELL_SIP_TRANSPORT_WSS;
}

guint16
bell_sip_transport_kind_default_port (BellSipTransportKind kind)
{
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (kinds[i].kind == kind)
      return kinds[i].port;
  return 5060;
}

char *
bell_sip_contact_uri (const char *user, GInetSocketAddress *address, BellSipTransportKind kind)
{
  g_autofree char *host = NULL;
  const char *tparam = kind == BELL_SIP_TRANSPORT_TCP ? ";transport=tcp"
                       : kind == BELL_SIP_TRANSPORT_TLS ? ";transport=tls" : "";

  if (!user || !*user)
    user = "bellbird";
  if (kind == BELL_SIP_TRANSPORT_WS || kind == BELL_SIP_TRANSPORT_WSS)
    return g_strdup_printf ("sip:%s@%08x.invalid;transport=ws", user, g_random_int ());
  g_return_val_if_fail (address != NULL, NULL);
  host = _bell_sip_address_to_string (address);   /* "ip:port", "[v6]:port" */
  return g_strdup_printf ("sip:%s@%s%s", user, host, tparam);
}

BellSipFlow *
_bell_sip_flow_new (BellSipTransportKind kind, GInetSocketAddress *local,
                    GInetSocketAddress *remote)
{
  BellSipFlow *flow = g_new0 (BellSipFlow, 1);

  flow->ref_count = 1;
  flow->kind = kind;
  flow->local = local ? g_object_ref (local) : NULL;
  flow->remote = remote ? g_object_ref (remote) : NULL;
  return flow;
}

BellSipFlow *
bell_sip_flow_ref (BellSipFlow *flow)
{
  g_return_val_if_fail (flow != NULL, NULL);
  g_atomic_int_inc (&flow->ref_count);
  return flow;
}

void
bell_sip_flow_unref (BellSipFlow *flow)
{
  g_return_if_fail (flow != NULL);
  if (!g_atomic_int_dec_and_test (&flow->ref_count))
    return;
  /* A connection holds a reference to its flow, so a flow that dies has no connection. */
  g_assert (flow->conn == NULL);
  g_clear_object (&flow->local);
  g_clear_object (&flow->remote);
  g_clear_object (&flow->public_addr);
  g_clear_object (&flow->udp_socket);
  g_free (flow->ws_url);
  g_free (flow);
}

BellSipTransportKind
bell_sip_flow_get_kind (const BellSipFlow *flow)
{
  return flow->kind;
}

GInetSocketAddress *
bell_sip_flow_get_remote (const BellSipFlow *flow)
{
  return flow->remote;
}

gboolean
bell_sip_flow_same_peer (const BellSipFlow *a, const BellSipFlow *b)
{
  return a && b && a->kind == b->kind &&
         g_inet_socket_address_get_port (a->remote) == g_inet_socket_address_get_port (b->remote) &&
         g_inet_address_equal (g_inet_socket_address_get_address (a->remote),
                               g_inet_socket_address_get_address (b->remote));
}

GInetSocketAddress *
bell_sip_flow_get_local (const BellSipFlow *flow)
{
  return flow->local;
}

GInetSocketAddress *
bell_sip_flow_get_public (const BellSipFlow *flow)
{
  return flow->public_addr;
}

gboolean
bell_sip_flow_is_open (const BellSipFlow *flow)
{
  if (flow->kind == BELL_SIP_TRANSPORT_WS || flow->kind == BELL_SIP_TRANSPORT_WSS)
    return flow->ws_open;
  return flow->kind == BELL_SIP_TRANSPORT_UDP || (flow->conn && !flow->conn->closed);
}

char *
_bell_sip_address_to_string (GInetSocketAddress *address)
{
  g_autofree char *ip = NULL;
  GInetAddress *inet;

  if (!address)
    return g_strdup ("?");
  inet = g_inet_socket_address_get_address (address);
  ip = g_inet_address_to_string (inet);
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", ip, g_inet_socket_address_get_port (address));
  return g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port (address));
}

char *
bell_sip_flow_to_string (const BellSipFlow *flow)
{
  g_autofree char *local = _bell_sip_address_to_string (flow->local);
  g_autofree char *remote = flow->ws_url ? g_strdup (flow->ws_url)
                                         : _bell_sip_address_to_string (flow->remote);

  return g_strdup_printf ("%s %s -> %s", bell_sip_transport_kind_to_string (flow->kind), local,
                          remote);
}
