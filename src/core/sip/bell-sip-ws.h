/* bell-sip-ws.h: one outgoing SIP-over-WebSocket connection (RFC 7118), ws:// or wss://.
 *
 * A BellSipWs is a client connection made with libsoup 3. It lives on the GMainContext that
 * was thread-default when bell_sip_ws_connect_async() was called (the core thread's): every
 * call on it must come from there, and its signals are emitted there.
 *
 * One SIP message is one WebSocket message, both ways: no stream framing, no Content-Length
 * checks here. Failures are BELL_SIP_TRANSPORT_ERROR (see bell-sip-transport.h), except
 * G_IO_ERROR_CANCELLED which is passed through.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define BELL_TYPE_SIP_WS (bell_sip_ws_get_type ())
G_DECLARE_FINAL_TYPE (BellSipWs, bell_sip_ws, BELL, SIP_WS, GObject)

/* The WebSocket subprotocol of RFC 7118 §4; a server that does not agree to it is refused. */
#define BELL_SIP_WS_PROTOCOL "sip"
/* WebSocket pings every this many seconds (RFC 7118 §6 allows them, or RFC 5626 CRLFs). */
#define BELL_SIP_WS_KEEPALIVE_S 30

/* Opens a WebSocket to url ("ws://host:port/path" or "wss://..."), offering subprotocol "sip".
 * ca_file: PEM file of the CAs trusted for wss (NULL: the system trust store).
 * accept_untrusted: accept any server certificate (testing only). */
void        bell_sip_ws_connect_async  (const char          *url,
                                        const char          *ca_file,
                                        gboolean             accept_untrusted,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
/* The open connection, or NULL with: UNREACHABLE (bad URL, connect failure, HTTP status other
 * than 101, no "sip" subprotocol), TLS (handshake or certificate), TIMEOUT. */
BellSipWs  *bell_sip_ws_connect_finish (GAsyncResult        *result,
                                        GError             **error);

/* Queues one SIP message as one WebSocket message: a text frame when it is valid UTF-8 without
 * NUL bytes, a binary frame otherwise (RFC 7118 §5). FALSE with CLOSED once the connection is
 * closing or closed. */
gboolean        bell_sip_ws_send               (BellSipWs *self,
                                                GBytes    *message,
                                                GError   **error);
/* Starts a clean close (code 1000); "closed" follows with a NULL error. Idempotent. Dropping
 * the last reference instead closes with code 1001 and emits nothing. */
void            bell_sip_ws_close              (BellSipWs *self);
/* Still open: sends are accepted. */
gboolean        bell_sip_ws_is_open            (BellSipWs *self);

const char     *bell_sip_ws_get_url            (BellSipWs *self);
/* The URL's host, without brackets for IPv6 literals. */
const char     *bell_sip_ws_get_host           (BellSipWs *self);
/* The made-up host for our Via sent-by (RFC 7118 §5.2): "<random>.invalid", fixed for the
 * lifetime of this connection. */
const char     *bell_sip_ws_get_via_host       (BellSipWs *self);
/* Our and the peer's TCP addresses, or NULL when libsoup does not tell. Through an HTTP proxy
 * (the session follows the system proxy settings) the remote one is the proxy's. */
GSocketAddress *bell_sip_ws_get_remote_address (BellSipWs *self);
GSocketAddress *bell_sip_ws_get_local_address  (BellSipWs *self);

/* Signals:
 *   "message" (GBytes *data): one whole received SIP message (from a text or a binary
 *             WebSocket message), unparsed: an RFC 5626 pong "\r\n" comes this way too. Empty
 *             messages are dropped; one over BELL_SIP_MAX_MESSAGE_SIZE (256 KiB) closes the
 *             connection instead, with an error.
 *   "closed"  (const GError *error): emitted once when the connection is gone. error is NULL
 *             for a clean close (ours, or the server's with code 1000/1001 or no code), else
 *             BELL_SIP_TRANSPORT_ERROR_CLOSED saying why. Handlers may drop their last
 *             reference. */

G_END_DECLS
