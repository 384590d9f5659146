/* bell-rtp-socket.h: the UDP socket pair one call's audio goes through (RFC 3550 §11).
 *
 * The core owns the sockets, not GStreamer, so that symmetric RTP, rtcp-mux (RFC 5761), SRTP
 * (bell-srtp.h) and the counts are ours. A call makes one, puts its port in the SDP, and once
 * the other side's SDP is known says where to send:
 *
 *   rtp = bell_rtp_socket_new (NULL, G_SOCKET_FAMILY_IPV4, core_context, &error);
 *   port = bell_rtp_socket_get_port (rtp);                       // -> m=audio <port>
 *   bell_rtp_socket_set_receive_func (rtp, on_packet, pipeline, NULL);
 *   ...answer...
 *   bell_rtp_socket_set_remote (rtp, "192.0.2.7", 40000, 40001, FALSE);
 *   bell_rtp_socket_set_srtp (rtp, session);                      // with a=crypto; takes it
 *   bell_rtp_socket_send_rtp (rtp, packet, len, &error);          // from a streaming thread
 *
 * Symmetric RTP: packets go to the signalled address until the first valid packet from the
 * peer arrives (RTP version 2, long enough, authenticated when SRTP is on), then to where that
 * packet came from, since a peer behind NAT sends from another address than its SDP names.
 * Which source counts as the peer, before and after, is bell-rtp-latch.h's: the SDP's address
 * (any address when it names a private one), then the latched source alone; another source
 * takes over only when its SRTP authenticates or, plain, when it carries the latched SSRC after
 * 2 s of silence. Packets from other sources are dropped before SRTP decrypts or the receive
 * function sees them, counted (dropped_foreign) and logged (g_message, once per new source and
 * at most once a second). The RTP and RTCP ports latch on their own; with rtcp-mux RTCP shares
 * the RTP port and its latch.
 *
 * Threads: the receive function runs on the context given to bell_rtp_socket_new(), where
 * set_remote, set_receive_func and set_srtp belong too (they are safe elsewhere, but a packet
 * being handled as they run is judged by the old settings). Sending, the stats, the destination,
 * ref/unref and close may be called from any thread: GStreamer's streaming threads send, and a
 * send racing a close fails with BELL_RTP_SOCKET_ERROR_CLOSED, never touching a closed socket.
 */
#pragma once

#include <gio/gio.h>

#include "bell-srtp.h"

G_BEGIN_DECLS

#define BELL_RTP_SOCKET_ERROR (bell_rtp_socket_error_quark ())
GQuark bell_rtp_socket_error_quark (void);

typedef enum
{
  BELL_RTP_SOCKET_ERROR_NO_REMOTE, /* nowhere to send: no set_remote yet, port 0, an address that
                                    * is not an IP literal of the socket's family, or 0.0.0.0/:: */
  BELL_RTP_SOCKET_ERROR_TOO_BIG,   /* the datagram (after SRTP) would exceed BELL_RTP_MAX_SEND */
  BELL_RTP_SOCKET_ERROR_CLOSED,    /* bell_rtp_socket_close() ran (perhaps during the send) */
} BellRtpSocketError;

/* The largest datagram we receive (bigger ones are dropped as malformed) and the largest we
 * send: what fits an Ethernet MTU in one IPv4 packet, so that audio never fragments. */
#define BELL_RTP_MAX_RECEIVE 1500
#define BELL_RTP_MAX_SEND    1472

typedef struct _BellRtpSocket BellRtpSocket;

/* Counts since the socket was made. bytes_* are UDP payloads as on the wire (SRTP included),
 * of every packet sent or delivered. A packet dropped is counted once, under the first reason:
 * malformed (shorter than an RTP (12) or RTCP (8) header, version not 2, bigger than
 * BELL_RTP_MAX_RECEIVE), foreign (from a source the latch does not take: not the latched one,
 * or before any latch not the SDP's address when that is public; with SRTP, not authenticating
 * either), srtp_failed (from the latched source, or before any latch one that may latch,
 * failing SRTP/SRTCP authentication or replay check). dropped_test counts the RTP packets that the test
 * loss (bell_rtp_socket_set_test_loss()) kept off the wire (not in rtp_sent or bytes_sent), and
 * dropped_test_received those it dropped on arrival (nor in rtp_received or bytes_received). */
typedef struct
{
  guint64 rtp_sent;
  guint64 rtp_received;
  guint64 rtcp_sent;
  guint64 rtcp_received;
  guint64 bytes_sent;
  guint64 bytes_received;
  guint64 dropped_foreign;
  guint64 dropped_malformed;
  guint64 srtp_failed;
  guint64 dropped_test;
  guint64 dropped_test_received;
} BellRtpStats;

/* Called on the socket's context for each packet delivered, after SRTP unprotect when SRTP is
 * set: data is the plain RTP (rtcp FALSE) or RTCP (rtcp TRUE) packet, valid during the call. */
typedef void (*BellRtpReceiveFunc) (BellRtpSocket *socket, const guint8 *data, gsize len,
                                    gboolean rtcp, gpointer user_data);

/* Binds RTP on an even port and RTCP on the next one, both free, picked by the kernel (several
 * tries). bind_address is an IP literal of family, or NULL for the family's any address; the
 * receive sources are attached to context (NULL: the thread-default context). */
BellRtpSocket      *bell_rtp_socket_new              (const char     *bind_address,
                                                      GSocketFamily   family,
                                                      GMainContext   *context,
                                                      GError        **error);
BellRtpSocket      *bell_rtp_socket_ref              (BellRtpSocket  *s);
/* The last unref closes the socket (bell_rtp_socket_close()). */
void                bell_rtp_socket_unref            (BellRtpSocket  *s);
/* The RTP port; RTCP's is one more. */
guint16             bell_rtp_socket_get_port         (BellRtpSocket  *s);
GSocketFamily       bell_rtp_socket_get_family       (BellRtpSocket  *s);

/* Where to send, from the peer's SDP: its c= address (an IP literal of the socket's family),
 * the m= port and the a=rtcp port (0: rtp_port + 1, RFC 3605). With rtcp_mux RTCP is sent to
 * and expected on the RTP port, and an incoming packet whose payload type is 64-95 (RTCP packet
 * types 192-223) is RTCP (RFC 5761 §4). Forgets both latches. An unusable address (NULL, a host
 * name, the other family, the 0.0.0.0 of an old-style hold) or port 0 leaves nowhere to send. */
void                bell_rtp_socket_set_remote       (BellRtpSocket  *s,
                                                      const char     *address,
                                                      guint16         rtp_port,
                                                      guint16         rtcp_port,
                                                      gboolean        rtcp_mux);
/* Replaces the receive function. The old one's destroy (and this one's, at close) runs once no
 * packet is being handled with it. func NULL: packets are counted, then dropped. */
void                bell_rtp_socket_set_receive_func (BellRtpSocket  *s,
                                                      BellRtpReceiveFunc func,
                                                      gpointer        user_data,
                                                      GDestroyNotify  destroy);
/* Protects what is sent and checks what arrives with srtp; NULL: plain RTP. BellSrtpSession has
 * no reference count, so the socket TAKES OWNERSHIP of srtp: it frees it when replaced or on
 * close, once no send or receive on another thread still uses it. */
void                bell_rtp_socket_set_srtp         (BellRtpSocket  *s,
                                                      BellSrtpSession *srtp);

/* Send one RTP or RTCP packet (data is not changed; SRTP works on a copy) to the latched
 * address, or else the signalled one. Any thread. FALSE with error when it cannot go:
 * BELL_RTP_SOCKET_ERROR (no remote, too big, closed), BELL_SRTP_ERROR (SRTP refused it: not
 * RTP, a sequence number protected before, the key used up), G_IO_ERROR (the kernel refused,
 * e.g. WOULD_BLOCK with a full send buffer). */
gboolean            bell_rtp_socket_send_rtp         (BellRtpSocket  *s,
                                                      const guint8   *data,
                                                      gsize           len,
                                                      GError        **error);
gboolean            bell_rtp_socket_send_rtcp        (BellRtpSocket  *s,
                                                      const guint8   *data,
                                                      gsize           len,
                                                      GError        **error);

/* TESTING ONLY: a lossy path, both ways, by the models of bell-loss-model.h. From then on each
 * RTP packet sent (after SRTP) is dropped by the send model: the send still succeeds, the packet
 * is counted in dropped_test. Each RTP datagram received is judged by the receive model before
 * anything else looks at it (SRTP, the latch, the receive function): a drop is counted in
 * dropped_test_received only. RTCP always goes and comes, so the reports tell what was lost.
 * The send model draws from a generator seeded with seed, the receive one from seed + 1: the
 * same seed drops the same packets of the same stream in every run. Any thread. */
typedef struct
{
  double  send;           /* fraction of the RTP sent that is lost, 0 to 1 (0: none) */
  double  send_burst;     /* mean burst length in packets; 1 or less: random loss */
  double  receive;        /* the same for the RTP received */
  double  receive_burst;
  guint32 seed;
} BellRtpTestLoss;

void                bell_rtp_socket_set_test_loss    (BellRtpSocket  *s,
                                                      const BellRtpTestLoss *loss);
/* What set_test_loss set (all 0 before), e.g. to give a socket that replaces s the same path. */
void                bell_rtp_socket_get_test_loss    (BellRtpSocket  *s,
                                                      BellRtpTestLoss *loss);
/* Random loss of fraction of the RTP sent, from seed; the receive side stays as it was. */
void                bell_rtp_socket_set_loss         (BellRtpSocket  *s,
                                                      double          fraction,
                                                      guint32         seed);

/* STUN on the RTP port, for asking a server our public address for it (bell-stun-client.h).
 * A datagram to the RTP port whose first byte is 0-3 (RFC 7983 §7: STUN; RTP and RTCP start at
 * 128) goes to func, which returns TRUE when it took it; otherwise it is judged as RTP (and
 * dropped as malformed). func NULL: no STUN. Context thread only, like the receive function. */
typedef gboolean (*BellRtpStunFunc) (BellRtpSocket *socket, const guint8 *data, gsize len,
                                     GInetSocketAddress *from, gpointer user_data);
void                bell_rtp_socket_set_stun_func    (BellRtpSocket  *s,
                                                      BellRtpStunFunc func,
                                                      gpointer        user_data);
/* Sends data as it is (no SRTP, not counted) from the RTP port to to: a STUN request. Any
 * thread; BELL_RTP_SOCKET_ERROR_CLOSED after close, G_IO_ERROR when the kernel refuses. */
gboolean            bell_rtp_socket_send_stun        (BellRtpSocket  *s,
                                                      GInetSocketAddress *to,
                                                      const guint8   *data,
                                                      gsize           len,
                                                      GError        **error);

void                bell_rtp_socket_get_stats        (BellRtpSocket  *s,
                                                      BellRtpStats   *stats);
/* Where RTP (or RTCP) goes now: the latched address or the signalled one. NULL before
 * set_remote, or when the remote is unusable. */
GInetSocketAddress *bell_rtp_socket_dup_destination  (BellRtpSocket  *s);
GInetSocketAddress *bell_rtp_socket_dup_rtcp_destination (BellRtpSocket *s);
/* Whether a valid packet has fixed where RTP (rtcp FALSE) or RTCP goes, since set_remote. */
gboolean            bell_rtp_socket_is_latched       (BellRtpSocket  *s,
                                                      gboolean        rtcp);

/* Stops receiving and closes both sockets; sends fail from then on. Idempotent, any thread
 * (the receive function may be running on the context's thread meanwhile, but no call of it
 * starts after close returns). */
void                bell_rtp_socket_close            (BellRtpSocket  *s);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellRtpSocket, bell_rtp_socket_unref)

G_END_DECLS
