/* bell-sip-flow.h: the path one message took or must take (RFC 5626 "flow").
 *
 * A flow names a transport, our local address and the peer's address, and for connection
 * transports the connection itself. The transport hands one to every received message, and a
 * transaction sends its later messages (a response, an ACK, a retransmission) on the flow it
 * got back from the first send. Flows are immutable apart from what the transport learns
 * about our public address; they are reference counted.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  BELL_SIP_TRANSPORT_ANY = 0,
  BELL_SIP_TRANSPORT_UDP = 1 << 0,
  BELL_SIP_TRANSPORT_TCP = 1 << 1,
  BELL_SIP_TRANSPORT_TLS = 1 << 2,
  BELL_SIP_TRANSPORT_WS  = 1 << 3,
  BELL_SIP_TRANSPORT_WSS = 1 << 4,
} BellSipTransportKind;

#define BELL_SIP_TRANSPORT_ALL (BELL_SIP_TRANSPORT_UDP | BELL_SIP_TRANSPORT_TCP | \
                                BELL_SIP_TRANSPORT_TLS | BELL_SIP_TRANSPORT_WS | \
                                BELL_SIP_TRANSPORT_WSS)

/* "UDP", "TCP", "TLS", "WS", "WSS" as in Via; parsing is case-insensitive. */
const char          *bell_sip_transport_kind_to_string   (BellSipTransportKind kind);
BellSipTransportKind bell_sip_transport_kind_from_string (const char *name, gsize len);
gboolean             bell_sip_transport_kind_is_reliable (BellSipTransportKind kind);
gboolean             bell_sip_transport_kind_is_secure   (BellSipTransportKind kind);
guint16              bell_sip_transport_kind_default_port (BellSipTransportKind kind);

/* "sip:USER@ADDRESS:PORT;transport=tcp" (no transport param for UDP; IPv6 in brackets; for
 * WebSocket a made-up .invalid host, RFC 7118 §5.2): a Contact URI for where we are reached. */
char                *bell_sip_contact_uri (const char *user, GInetSocketAddress *address,
                                           BellSipTransportKind kind);

typedef struct _BellSipFlow BellSipFlow;

#define BELL_TYPE_SIP_FLOW (bell_sip_flow_get_type ())
GType bell_sip_flow_get_type (void) G_GNUC_CONST;

BellSipFlow          *bell_sip_flow_ref          (BellSipFlow *flow);
void                  bell_sip_flow_unref        (BellSipFlow *flow);
BellSipTransportKind  bell_sip_flow_get_kind     (const BellSipFlow *flow);
GInetSocketAddress   *bell_sip_flow_get_remote   (const BellSipFlow *flow);
GInetSocketAddress   *bell_sip_flow_get_local    (const BellSipFlow *flow);
/* Our address as the peer sees it (Via received/rport of its responses), or NULL. */
GInetSocketAddress   *bell_sip_flow_get_public   (const BellSipFlow *flow);
/* The same peer over the same transport: what came from a, went to b (the registrar that we
 * registered with sending us a call). */
gboolean              bell_sip_flow_same_peer    (const BellSipFlow *a, const BellSipFlow *b);
/* Is the connection of a connection flow still open? (UDP flows always are.) */
gboolean              bell_sip_flow_is_open      (const BellSipFlow *flow);
/* "TCP 127.0.0.1:5060 → 127.0.0.1:40312" for logs. */
char                 *bell_sip_flow_to_string    (const BellSipFlow *flow);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellSipFlow, bell_sip_flow_unref)

G_END_DECLS
