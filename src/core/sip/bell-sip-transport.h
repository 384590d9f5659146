/* bell-sip-transport.h: sending and receiving SIP messages over UDP, TCP, TLS and WebSocket
 * (RFC 3261 §18, RFC 3581, RFC 5626 keep-alives, RFC 7118).
 *
 * One BellSipTransport serves a whole core: it owns the listening sockets and every
 * connection, and lives on the GMainContext that was thread-default when it was created (the
 * core thread's). Layers above hand it messages and a destination, and get each received
 * message with the flow it came on.
 */
#pragma once

#include <gio/gio.h>
#include "bell-clock.h"
#include "bell-sip-flow.h"
#include "bell-sip-guard.h"
#include "bell-sip-msg.h"

G_BEGIN_DECLS

#define BELL_TYPE_SIP_TRANSPORT (bell_sip_transport_get_type ())
G_DECLARE_FINAL_TYPE (BellSipTransport, bell_sip_transport, BELL, SIP_TRANSPORT, GObject)

/* Transport errors a transaction reacts to (fail over to the next target, or 503/408). */
#define BELL_SIP_TRANSPORT_ERROR (bell_sip_transport_error_quark ())
GQuark bell_sip_transport_error_quark (void);

typedef enum
{
  BELL_SIP_TRANSPORT_ERROR_UNREACHABLE,   /* refused, no route, ICMP unreachable */
  BELL_SIP_TRANSPORT_ERROR_TLS,           /* handshake or certificate failure */
  BELL_SIP_TRANSPORT_ERROR_CLOSED,        /* the connection closed or was reset */
  BELL_SIP_TRANSPORT_ERROR_TIMEOUT,       /* connect or keep-alive timed out */
  BELL_SIP_TRANSPORT_ERROR_NOT_LISTENING, /* no socket for that transport or family */
  BELL_SIP_TRANSPORT_ERROR_OVERLOAD,      /* a queue or connection limit was hit */
} BellSipTransportError;

/* Where a message goes: a transport and an address; host is the name a TLS certificate must
 * carry (and the SNI), url the ws:// or wss:// URL for WebSocket. */
typedef struct
{
  BellSipTransportKind kind;
  GInetSocketAddress  *address;   /* not used for WS/WSS */
  const char          *host;
  const char          *url;
  const char          *tls_ca_file;  /* an account's own CA for TLS; NULL: the transport's */
} BellSipTarget;

/* TLS and limits. */
typedef struct
{
  const char *tls_ca_file;           /* NULL: the system trust store */
  gboolean    tls_accept_untrusted;  /* testing only: shown to the user when on */
  const char *tls_cert_file;         /* server side (listening on TLS) */
  const char *tls_key_file;
  guint       idle_timeout_s;        /* close connections idle this long (default 300) */
  guint       max_connections;       /* default 256 */
  gsize       max_pending_bytes;     /* per connection, unsent (default 1 MiB) */
  gsize       max_pending_total;     /* all connections together, unsent (default 8 MiB):
                                      * many peers that never read cannot add up to more */
} BellSipTransportConfig;

BellSipTransport *bell_sip_transport_new (BellClock *clock);

/* Applies before the first listen/send; strings are copied. */
void      bell_sip_transport_configure (BellSipTransport *self, const BellSipTransportConfig *config);

/* Opens a listening socket: UDP, TCP or TLS on address (NULL: all addresses, both families)
 * and port (0: any free one, the same for UDP and TCP when possible). */
gboolean  bell_sip_transport_listen  (BellSipTransport *self, BellSipTransportKind kind,
                                      const char *address, guint16 port, GError **error);
/* The port we listen on for kind and family, 0 when not listening. */
guint16   bell_sip_transport_get_port (BellSipTransport *self, BellSipTransportKind kind,
                                       GSocketFamily family);
/* Our address toward dest as a peer would reach it for kind: the local IP the route to dest
 * uses, and our listening port for kind (UDP's when we do not listen on kind). NULL when there
 * is no route. For a Contact until the registrar tells us better (Via received/rport). */
GInetSocketAddress *bell_sip_transport_get_local_address (BellSipTransport *self,
                                                          BellSipTransportKind kind,
                                                          GInetSocketAddress *dest);
/* Which kinds we can send on now (listening UDP, and TCP/TLS/WS always as clients). */
guint     bell_sip_transport_get_supported (BellSipTransport *self);

/* Sends a request to target, adding the top Via (transport, our address, rport, branch).
 * A UDP request over 1300 bytes goes over TCP instead when the target allows (§18.1.1).
 * Finishes with the flow it went out on, or a BELL_SIP_TRANSPORT_ERROR. */
void         bell_sip_transport_send_request_async  (BellSipTransport *self, BellSipMsg *request,
                                                     const BellSipTarget *target,
                                                     const char *branch, GCancellable *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer user_data);
BellSipFlow *bell_sip_transport_send_request_finish (BellSipTransport *self, GAsyncResult *result,
                                                     GError **error);
/* Sends a message (with its Via already in place: a retransmission, an ACK for a non-2xx, a
 * CANCEL) on an existing flow. FALSE with an error when the flow's connection is gone. */
gboolean     bell_sip_transport_send_on_flow (BellSipTransport *self, BellSipMsg *msg,
                                              BellSipFlow *flow, GError **error);
/* Sends a response to the request that came on flow: over its connection if still open, else
 * to the top Via's received/rport (§18.2.2, RFC 3581 §4). */
gboolean     bell_sip_transport_send_response (BellSipTransport *self, BellSipMsg *response,
                                               BellSipFlow *flow, GError **error);

/* Keep-alives for a flow to a registrar (RFC 5626 §3.5.1 / §4.4.1): CRLF pings on connections
 * (a missing pong within 10 s fails the flow), a CRLF packet on UDP. Interval in seconds. */
guint     bell_sip_transport_keepalive_start (BellSipTransport *self, BellSipFlow *flow,
                                              guint interval_s);
void      bell_sip_transport_keepalive_stop  (BellSipTransport *self, guint id);

/* The flood and scanner limits its listeners apply (and the transaction layer's). */
BellSipGuard *bell_sip_transport_get_guard (BellSipTransport *self);

/* Counters, for the CLI's --events and tests. */
typedef struct
{
  guint64 received;
  guint64 sent;
  guint64 dropped_malformed;
  guint64 rejected_malformed;   /* answered 400/505 */
  guint64 connections_refused;  /* over max_connections */
  guint64 connections_closed_overflow;  /* peer sent an unframable or oversize stream */
  guint64 connections_closed_slow;      /* peer did not read what we sent */
} BellSipTransportStats;

void      bell_sip_transport_get_stats (BellSipTransport *self, BellSipTransportStats *stats);

/* Signals:
 *   "message"    (BellSipMsg *msg, BellSipFlow *flow): a parsed message; requests have their
 *                top Via completed with received/rport (§18.2.1, RFC 3581).
 *   "flow-failed" (BellSipFlow *flow, GError *error): a connection closed, failed, or stopped
 *                answering keep-alives; transactions on it fail over. */

G_END_DECLS
