/* bell-stun-client.h: one STUN Binding transaction (RFC 8489 §6.2.1, §7.2.1 of RFC 5389): which
 * public address and port does a server see a UDP socket's packets come from?
 *
 *   client = bell_stun_client_new_for_socket (socket, clock, context);
 *   bell_stun_client_query_async (client, "stun.example.com", 1500, cancellable, on_done, data);
 *   ...
 *   mapped = bell_stun_client_query_finish (client, result, &error);   // 203.0.113.7:40001
 *
 * The server is "host", "host:port", "[IPv6]:port" or an IP literal; the port defaults to 3478.
 * A name is looked up with the default GResolver (only addresses of the socket's family). The
 * request goes at 0 ms, then again after 500 ms, doubling each time, seven in all (Rc); the
 * transaction fails 16 × 500 ms after the last (Rm): 39.5 s in all. A caller that cannot wait so
 * long gives a time limit for the whole query, name lookup included. Every timer comes from a
 * BellClock, so tests run the schedule in virtual time.
 *
 * A response counts when it comes from the server's address with our transaction ID (96 bits
 * from the CSPRNG): anything else is ignored. An error response, a success response without a
 * mapped address, or one with an attribute we must understand and do not, fails the query.
 *
 * Two ways to reach the socket: the client reads it itself (new_for_socket: nothing else may
 * read the socket meanwhile), or the socket's owner sends for it and hands it what arrives
 * (new: an RTP socket, whose port is the one whose public side matters). Core thread only.
 */
#pragma once

#include <gio/gio.h>

#include "bell-clock.h"
#include "bell-stun.h"

G_BEGIN_DECLS

/* RFC 5389 §7.2.1 (RFC 8489 §6.2.1): initial retransmission timeout, requests, and the final
 * wait in RTOs. */
#define BELL_STUN_RTO_MS 500
#define BELL_STUN_RC     7
#define BELL_STUN_RM     16

/* Sends one datagram to to from the socket whose public address is asked for. */
typedef gboolean (*BellStunSendFunc) (GInetSocketAddress *to, const guint8 *data, gsize len,
                                      gpointer user_data, GError **error);

#define BELL_TYPE_STUN_CLIENT (bell_stun_client_get_type ())
G_DECLARE_FINAL_TYPE (BellStunClient, bell_stun_client, BELL, STUN_CLIENT, GObject)

/* A client that sends on socket (UDP, bound, non-blocking) and reads it from a source on context
 * (NULL: the thread-default one), for as long as the client lives. */
BellStunClient     *bell_stun_client_new_for_socket (GSocket *socket, BellClock *clock,
                                                     GMainContext *context);
/* A client whose socket (of family) is read elsewhere: send sends, and the reader hands every
 * datagram that may be STUN to bell_stun_client_receive(). destroy frees send_data with the
 * client. */
BellStunClient     *bell_stun_client_new            (GSocketFamily family, BellClock *clock,
                                                     BellStunSendFunc send, gpointer send_data,
                                                     GDestroyNotify destroy);

/* Asks server for our mapped address; one query at a time. timeout_ms bounds the whole query
 * (0: the full retransmission schedule). callback runs on the thread-default context. */
void                bell_stun_client_query_async    (BellStunClient *self, const char *server,
                                                     guint timeout_ms, GCancellable *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer user_data);
/* The address and port the server saw, or NULL with BELL_STUN_ERROR (TIMEOUT, RESPONSE,
 * NO_MAPPED_ADDRESS, UNKNOWN_ATTRIBUTE, NO_SUCH_HOST) or G_IO_ERROR (CANCELLED, a send the
 * kernel refused). */
GInetSocketAddress *bell_stun_client_query_finish   (BellStunClient *self, GAsyncResult *result,
                                                     GError **error);
/* A datagram that came to the socket from from. TRUE when it is STUN (the caller drops it),
 * whether or not it answers the query in progress. */
gboolean            bell_stun_client_receive        (BellStunClient *self, const guint8 *data,
                                                     gsize len, GInetSocketAddress *from);
/* Requests sent by the current (or last) query: 1 plus the retransmissions. */
guint               bell_stun_client_get_requests_sent (BellStunClient *self);

G_END_DECLS
