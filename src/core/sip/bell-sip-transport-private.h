/* bell-sip-transport-private.h: flows and stream connections inside the transport. */
#pragma once

#include "bell-sip-transport.h"

G_BEGIN_DECLS

typedef struct _BellSipConnection BellSipConnection;

struct _BellSipFlow
{
  gint                  ref_count;
  BellSipTransportKind  kind;
  GInetSocketAddress   *local;
  GInetSocketAddress   *remote;
  GInetSocketAddress   *public_addr;   /* learned from Via received/rport */
  GSocket              *udp_socket;    /* UDP: the socket to send from */
  BellSipConnection    *conn;          /* connection kinds: cleared when it closes */
  char                 *ws_url;        /* WS/WSS */
  gboolean              ws_open;
};

/* A request being sent (the task data of send_request_async). */
typedef struct
{
  BellSipMsg   *request;
  BellSipTarget target;      /* address referenced, strings owned below */
  char         *host;
  char         *url;
  char         *tls_ca_file;
  char         *branch;
  gboolean      mtu_fallback;  /* went to TCP for size: fall back to UDP if TCP fails */
} BellSipSendData;

BellSipFlow *_bell_sip_flow_new (BellSipTransportKind kind, GInetSocketAddress *local,
                                 GInetSocketAddress *remote);

/* bell-sip-transport-icmp.c: ICMP errors for a UDP socket's datagrams. Asks the kernel to
 * queue them on socket (IP_RECVERR / IPV6_RECVERR). */
void         _bell_sip_udp_report_errors (GSocket *socket);
typedef void (*BellSipUdpRefusedFunc) (GInetSocketAddress *destination, gpointer data);
/* Reads the whole error queue of socket; func gets the destination of each datagram refused
 * by an ICMP port unreachable (nothing listens there). Returns how many. */
guint        _bell_sip_udp_drain_errors  (GSocket *socket, BellSipUdpRefusedFunc func,
                                          gpointer data);
char        *_bell_sip_address_to_string (GInetSocketAddress *address);

/* A stream connection (TCP, TLS) or a WebSocket: framing, write queue, keep-alive, idle. */
typedef struct _BellSipStreamOps BellSipStreamOps;

struct _BellSipConnection
{
  BellSipTransport       *transport;     /* not a reference: the transport owns us */
  BellSipFlow            *flow;          /* reference; flow->conn points back while open */
  BellSipTransportKind    kind;
  const BellSipStreamOps *ops;
  gpointer                ops_data;      /* TLS session, WebSocket object */
  GSocket                *socket;        /* TCP and TLS */
  GSource                *read_source;   /* the one socket source, watching source_cond */
  GIOCondition            source_cond;
  GIOCondition            read_wants;    /* what the read side waits for (TLS may want OUT) */
  GIOCondition            write_wants;
  GByteArray             *inbuf;
  GByteArray             *outbuf;
  char                   *host;          /* TLS: the name the certificate must carry */
  char                   *key;           /* in the transport's connection table */
  gboolean                outbound;
  gboolean                connecting;
  gboolean                handshaking;
  gboolean                closed;
  GList                  *waiters;       /* GTask of sends waiting for connect/handshake */
  guint                   idle_timer;
  guint                   pong_timer;
  gint64                  last_activity_us;
  guint                   keepalives;    /* how many keep-alive users pin this connection */
  gboolean                guard_held;    /* accepted: counted by the guard until closed */
};

struct _BellSipStreamOps
{
  const char *name;
  /* Non-blocking: >0 bytes, 0 on a clean close, -1 with G_IO_ERROR_WOULD_BLOCK and *want. */
  gssize   (*read)      (BellSipConnection *conn, void *buf, gsize len, GIOCondition *want,
                         GError **error);
  gssize   (*write)     (BellSipConnection *conn, const void *buf, gsize len, GIOCondition *want,
                         GError **error);
  /* After the TCP connect: TRUE when ready, FALSE with WOULD_BLOCK and *want, or an error. */
  gboolean (*handshake) (BellSipConnection *conn, GIOCondition *want, GError **error);
  /* More bytes decrypted and waiting, so read again without waiting for the socket. */
  gboolean (*pending)   (BellSipConnection *conn);
  void     (*close)     (BellSipConnection *conn);
};

extern const BellSipStreamOps bell_sip_plain_ops;

/* What connections need of their transport. */
BellClock                    *_bell_sip_transport_get_clock   (BellSipTransport *self);
GMainContext                 *_bell_sip_transport_get_context (BellSipTransport *self);
const BellSipTransportConfig *_bell_sip_transport_get_config  (BellSipTransport *self);

/* TLS (bell-sip-transport-tls.c): sets up conn->ops for a TLS session as client or server.
 * The transport keeps the two TLS configurations (client, server) in slots. */
typedef struct _BellSipTlsConfig BellSipTlsConfig;
BellSipTlsConfig **_bell_sip_transport_tls_slot (BellSipTransport *self, gboolean server,
                                                 const char *ca_file);
gboolean _bell_sip_transport_tls_server_ready (BellSipTransport *self, GError **error);
gboolean _bell_sip_connection_setup_tls       (BellSipTransport *self, BellSipConnection *conn,
                                               gboolean client, const char *ca_file,
                                               GError **error);
/* WebSocket (bell-sip-transport-ws.c): sends the request of task (a BellSipSendData) over
 * ws/wss, opening the WebSocket first if needed; links are kept per URL by the transport. */
void        _bell_sip_transport_send_ws          (BellSipTransport *self, GTask *task,
                                                  BellSipTransportKind kind);
gboolean    _bell_sip_transport_ws_send_on_flow  (BellSipTransport *self, BellSipFlow *flow,
                                                  GBytes *bytes, GError **error);
void        _bell_sip_ws_link_free               (gpointer link);
GHashTable *_bell_sip_transport_ws_links         (BellSipTransport *self);
void        _bell_sip_transport_ws_forget        (BellSipTransport *self, const char *url);
void        _bell_sip_transport_emit_flow_failed (BellSipTransport *self, BellSipFlow *flow,
                                                  const GError *error);
/* One whole message that came without stream framing (a WebSocket message). */
void        _bell_sip_transport_on_datagram_message (BellSipTransport *self, BellSipFlow *flow,
                                                     const void *data, gsize len);

/* From the connection to the transport. */
void     _bell_sip_transport_on_stream_message (BellSipTransport *self, BellSipConnection *conn,
                                                const char *data, gsize len);
void     _bell_sip_transport_on_connection_closed (BellSipTransport *self,
                                                   BellSipConnection *conn, const GError *error);
void     _bell_sip_transport_count (BellSipTransport *self, gsize offset);
/* Bytes queued unsent on all connections: add (or, negative, take) delta; returns the total. */
gsize    _bell_sip_transport_pending (BellSipTransport *self, gssize delta);
#define  BELL_SIP_STAT(field) G_STRUCT_OFFSET (BellSipTransportStats, field)

BellSipConnection *_bell_sip_connection_new       (BellSipTransport *self,
                                                   BellSipTransportKind kind, GSocket *socket,
                                                   gboolean outbound, const char *host);
void               _bell_sip_connection_start     (BellSipConnection *conn);
void               _bell_sip_connection_set_remote (BellSipConnection *conn,
                                                    GInetSocketAddress *remote);
gboolean           _bell_sip_connection_send      (BellSipConnection *conn, const void *data,
                                                   gsize len, GError **error);
void               _bell_sip_connection_add_waiter (BellSipConnection *conn, GTask *task);
void               _bell_sip_connection_close     (BellSipConnection *conn, const GError *error);
void               _bell_sip_connection_free      (BellSipConnection *conn);
void               _bell_sip_connection_ping      (BellSipConnection *conn);

G_END_DECLS
