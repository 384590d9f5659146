/* bell-rtp-socket.c: one call's RTP/RTCP UDP socket pair: even/odd ports, symmetric RTP
 * (latching), rtcp-mux (RFC 5761), SRTP through bell-srtp, counts.
 *
 * Locking: GSocket is not thread-safe (its documentation asks for our own locking), and a
 * socket closed while another thread sends on it could send on a reused descriptor. So one
 * mutex guards the sockets, the addresses, the settings and the counts, and is held across
 * each sendmsg/recvmsg (non-blocking: microseconds). SRTP runs outside it, on a reference to
 * the session, and so does the receive function.
 *
 * Lifetime: the struct is an atomic rc box. Its count is the public references plus one per
 * receive source, so that a source being dispatched on the context's thread keeps the struct
 * alive while another thread drops the last public reference. `users` counts the public
 * references alone; when it reaches zero the socket closes, which destroys the sources and so
 * releases their references. */
#define G_LOG_DOMAIN "bell-rtp-socket"

#include "bell-rtp-socket.h"

#include "bell-loss-model.h"
#include "bell-rtp-latch.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* How often to ask the kernel for a port before giving up on an even/odd pair. */
#define BIND_ATTEMPTS        64
#define DATAGRAMS_PER_WAKEUP 32
#define RECEIVE_BATCH        8    /* datagrams read by one recvmmsg() */
#define RTP_HEADER_LEN       12
#define RTCP_HEADER_LEN      8    /* header and sender SSRC: the shortest useful RTCP */
/* DSCP EF (RFC 3246, RFC 4594 telephony) in the old TOS byte: voice, best effort. */
#define TOS_EF               0xb8

G_DEFINE_QUARK (bell-rtp-socket-error-quark, bell_rtp_socket_error)

enum { PORT_RTP, PORT_RTCP, N_PORTS };

/* A session shared by the socket and the senders using it: the last one frees it. */
typedef struct
{
  BellSrtpSession *session;
} SrtpRef;

/* The receive function with its data, released when no packet is being handled with it. */
typedef struct
{
  BellRtpReceiveFunc func;
  gpointer           user_data;
  GDestroyNotify     destroy;
} Receiver;

typedef struct
{
  GInetSocketAddress *signalled;   /* from SDP; NULL: nowhere to send */
  BellRtpLatch       *latch;       /* whose packets we take, and so where we send */
} Flow;

struct _BellRtpSocket
{
  gint          users;
  GMainContext *context;
  GSocketFamily family;
  guint16       port;

  GMutex        lock;
  gboolean      closed;
  GSocket      *sockets[N_PORTS];
  GSource      *sources[N_PORTS];
  Flow          flows[N_PORTS];   /* with rtcp-mux, RTCP uses flows[PORT_RTP] */
  gboolean      rtcp_mux;
  SrtpRef      *srtp;
  Receiver     *receiver;
  BellRtpStats  stats;
  BellRtpTestLoss test_loss;      /* bell_rtp_socket_set_test_loss(): testing only */
  BellLossModel *send_loss;       /* NULL: no loss that way */
  BellLossModel *receive_loss;
  BellRtpStunFunc stun_func;      /* set and called on the context thread only: no lock */
  gpointer      stun_data;
  /* The source of the last datagram on each port, kept for the next one (nearly always the
   * same peer): no two GObjects made and freed per packet. Context thread only. */
  struct sockaddr_storage last_native[N_PORTS];
  socklen_t     last_native_len[N_PORTS];
  GSocketAddress *last_from[N_PORTS];
};

/* ---- shared pieces ------------------------------------------------------------------------ */

static void
srtp_ref_clear (gpointer data)
{
  SrtpRef *ref = data;

  bell_srtp_session_free (ref->session);
}

static void
srtp_ref_release (SrtpRef *ref)
{
  if (ref)
    g_atomic_rc_box_release_full (ref, srtp_ref_clear);
}

static void
receiver_clear (gpointer data)
{
  Receiver *r = data;

  if (r->destroy)
    r->destroy (r->user_data);
}

static void
receiver_release (Receiver *r)
{
  if (r)
    g_atomic_rc_box_release_full (r, receiver_clear);
}

static void
flow_clear (Flow *flow)
{
  g_clear_object (&flow->signalled);
  g_clear_pointer (&flow->latch, bell_rtp_latch_free);
}

static GInetSocketAddress *
flow_destination (Flow *flow)
{
  GInetSocketAddress *latched = bell_rtp_latch_get_latched (flow->latch);

  return latched ? latched : flow->signalled;
}

static void
socket_clear (gpointer data)
{
  BellRtpSocket *self = data;

  g_assert (self->closed);
  srtp_ref_release (self->srtp);
  receiver_release (self->receiver);
  g_clear_pointer (&self->send_loss, bell_loss_model_free);
  g_clear_pointer (&self->receive_loss, bell_loss_model_free);
  for (int i = 0; i < N_PORTS; i++)
    {
      flow_clear (&self->flows[i]);
      g_clear_object (&self->last_from[i]);
    }
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
}

static void
release_internal (gpointer data)
{
  g_atomic_rc_box_release_full (data, socket_clear);
}

/* RFC 5761 §4: payload types 64-95 after the marker bit are RTCP packet types 192-223. */
static gboolean
is_muxed_rtcp (const guint8 *data, gsize len)
{
  guint pt = len >= 2 ? (data[1] & 0x7f) : 0;

  return pt >= 64 && pt <= 95;
}

/* ---- binding ------------------------------------------------------------------------------ */

static GSocket *
bind_udp (GInetAddress *address, guint16 port, GError **error)
{
  GSocketFamily family = g_inet_address_get_family (address);
  g_autoptr(GSocket) socket = g_socket_new (family, G_SOCKET_TYPE_DATAGRAM,
                                            G_SOCKET_PROTOCOL_UDP, error);
  g_autoptr(GSocketAddress) where = NULL;

  if (!socket)
    return NULL;
  if (family == G_SOCKET_FAMILY_IPV6)
    g_socket_set_option (socket, IPPROTO_IPV6, IPV6_V6ONLY, 1, NULL);
  where = g_inet_socket_address_new (address, port);
  /* No reuse: the port must be ours alone, or another socket could take our packets. */
  if (!g_socket_bind (socket, where, FALSE, error))
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  if (family == G_SOCKET_FAMILY_IPV6)
    g_socket_set_option (socket, IPPROTO_IPV6, IPV6_TCLASS, TOS_EF, NULL);
  else
    g_socket_set_option (socket, IPPROTO_IP, IP_TOS, TOS_EF, NULL);
  return g_steal_pointer (&socket);
}

static guint16
local_port (GSocket *socket)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (socket, NULL);

  return local ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)) : 0;
}

/* Lets the kernel pick a port, then takes its neighbour so that RTP is even and RTCP odd
 * (RFC 3550 §11); when the neighbour is taken, starts again. */
static gboolean
bind_pair (GInetAddress *address, GSocket **rtp, GSocket **rtcp, GError **error)
{
  for (int attempt = 0; attempt < BIND_ATTEMPTS; attempt++)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(GSocket) first = bind_udp (address, 0, error);
      GSocket *second;
      guint16 port;

      if (!first)
        return FALSE;
      port = local_port (first);
      if (port == 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                               "the kernel gave the RTP socket no port");
          return FALSE;
        }
      second = bind_udp (address, port % 2 ? port - 1 : port + 1, &local_error);
      if (!second)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
            continue;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (port % 2)
        {
          *rtp = second;
          *rtcp = g_steal_pointer (&first);
        }
      else
        {
          *rtp = g_steal_pointer (&first);
          *rtcp = second;
        }
      return TRUE;
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
               "no free pair of RTP/RTCP ports after %d tries", BIND_ATTEMPTS);
  return FALSE;
}

/* ---- receiving ---------------------------------------------------------------------------- */

static gboolean
well_formed (const guint8 *data, gsize len, gboolean rtcp)
{
  return len <= BELL_RTP_MAX_RECEIVE && len >= (rtcp ? RTCP_HEADER_LEN : RTP_HEADER_LEN) &&
         data[0] >> 6 == 2;
}

/* What a packet did to the latch, to be logged once the lock is let go. */
typedef enum { NOTE_NONE, NOTE_LATCHED, NOTE_MOVED, NOTE_REJECTED } Note;

static guint32
sender_ssrc (const guint8 *data, gboolean rtcp)
{
  /* RTP: the header's SSRC; RTCP: the sender's, right after the first header. Both lengths
   * were checked by well_formed(). */
  const guint8 *p = data + (rtcp ? 4 : 8);

  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static void
log_note (Note note, gboolean rtcp, gboolean authentic, GInetSocketAddress *from, guint32 ssrc,
          GInetSocketAddress *peer, guint64 rejected)
{
  const char *what = rtcp ? "RTCP" : "RTP";
  g_autofree char *where = NULL;
  g_autofree char *peer_where = NULL;
  guint from_port, peer_port;

  if (note == NOTE_NONE)
    return;   /* nearly every packet: no addresses written out for nothing */
  where = g_inet_address_to_string (g_inet_socket_address_get_address (from));
  peer_where = peer ? g_inet_address_to_string (g_inet_socket_address_get_address (peer)) : NULL;
  from_port = g_inet_socket_address_get_port (from);
  peer_port = peer ? g_inet_socket_address_get_port (peer) : 0;
  switch (note)
    {
    case NOTE_LATCHED:
      g_debug ("%s latched to %s port %u (SSRC %08x)", what, where, from_port, ssrc);
      break;
    case NOTE_MOVED:
      g_message ("%s now comes from %s port %u, no longer %s port %u: the peer's address "
                 "changed (%s)", what, where, from_port, peer_where, peer_port,
                 authentic ? "SRTP authenticates it"
                           : "its SSRC, after the old address fell silent");
      break;
    case NOTE_REJECTED:
      if (peer)
        g_message ("%s from %s port %u dropped: the call's peer sends from %s port %u "
                   "(%" G_GUINT64_FORMAT " dropped from other sources so far)", what, where,
                   from_port, peer_where, peer_port, rejected);
      else
        g_message ("%s from %s port %u dropped: not the address the call's peer named "
                   "(%" G_GUINT64_FORMAT " dropped from other sources so far)", what, where,
                   from_port, rejected);
      break;
    case NOTE_NONE:
      break;
    }
}

/* Judges one datagram that came to port (PORT_RTP or PORT_RTCP) from `from`, and hands it to
 * the receive function when it passes. Context thread.
 *
 * The latch (bell-rtp-latch.h) decides first: with plain RTP a packet from a source other than
 * the peer's is counted and dropped before anything else reads it. With SRTP a packet from
 * elsewhere is authenticated before it is judged, since an authentic one is the peer's from a
 * new address; libsrtp changes no state for a packet that fails. */
static void
handle_datagram (BellRtpSocket *self, int port, GInetSocketAddress *from, guint8 *data,
                 gsize len)
{
  gsize wire_len = len;
  SrtpRef *srtp = NULL;
  Receiver *receiver = NULL;
  gboolean rtcp, protected = FALSE, authentic = FALSE, take = FALSE;
  g_autoptr(GInetSocketAddress) peer = NULL;   /* for the log: the peer's source before */
  Note note = NOTE_NONE;
  guint64 rejected = 0;
  guint32 ssrc;
  gint64 now;
  BellRtpLatch *latch;

  /* RFC 7983 §7: STUN (first byte 0-3) shares the RTP port while our public address for it is
   * asked; it is neither counted nor latched. */
  if (port == PORT_RTP && len > 0 && data[0] < 4 && self->stun_func &&
      self->stun_func (self, data, len, from, self->stun_data))
    return;

  g_mutex_lock (&self->lock);
  rtcp = port == PORT_RTCP || (self->rtcp_mux && is_muxed_rtcp (data, len));
  if (self->closed || !well_formed (data, len, rtcp))
    {
      if (!self->closed)
        self->stats.dropped_malformed++;
      g_mutex_unlock (&self->lock);
      return;
    }
  /* The test's lossy path: lost on the way, so nothing of ours may have seen it. */
  if (!rtcp && self->receive_loss && bell_loss_model_drop (self->receive_loss))
    {
      self->stats.dropped_test_received++;
      g_mutex_unlock (&self->lock);
      return;
    }
  ssrc = sender_ssrc (data, rtcp);
  if (self->srtp)
    {
      protected = TRUE;
      srtp = g_atomic_rc_box_acquire (self->srtp);
      g_mutex_unlock (&self->lock);
      /* The session counts its own failures, so no GError per packet. */
      authentic = rtcp ? bell_srtp_unprotect_rtcp (srtp->session, data, &len, NULL)
                       : bell_srtp_unprotect (srtp->session, data, &len, NULL);
      srtp_ref_release (srtp);
      g_mutex_lock (&self->lock);
      if (self->closed)
        {
          g_mutex_unlock (&self->lock);   /* dropped uncounted: the socket is gone */
          return;
        }
    }

  /* A muxed RTCP packet comes the way RTP does, so the RTP latch judges it. */
  latch = self->flows[port].latch;
  now = g_get_monotonic_time ();
  if (authentic)
    take = TRUE;
  else if (bell_rtp_latch_check (latch, from, ssrc, now) == BELL_RTP_LATCH_REJECT)
    {
      self->stats.dropped_foreign++;
      rejected = self->stats.dropped_foreign;
      if (bell_rtp_latch_note_rejected (latch, from, now))
        {
          note = NOTE_REJECTED;
          g_set_object (&peer, bell_rtp_latch_get_latched (latch));   /* NULL: none yet */
        }
    }
  else if (protected)
    self->stats.srtp_failed++;          /* the peer's source (or may be), but not authentic */
  else
    take = TRUE;
  if (take)
    {
      if (bell_rtp_latch_accept (latch, from, ssrc, now, &peer))
        note = peer ? NOTE_MOVED : NOTE_LATCHED;
      if (rtcp)
        self->stats.rtcp_received++;
      else
        self->stats.rtp_received++;
      self->stats.bytes_received += wire_len;
      if (self->receiver)
        receiver = g_atomic_rc_box_acquire (self->receiver);
    }
  g_mutex_unlock (&self->lock);

  log_note (note, port == PORT_RTCP, authentic, from, ssrc, peer, rejected);
  if (receiver && receiver->func)
    receiver->func (self, data, len, rtcp, receiver->user_data);
  receiver_release (receiver);
}

/* The GSocketAddress for a datagram's source: the last one's again when it is the same (nearly
 * always: the peer), so that a packet makes and frees no GObjects. */
static GSocketAddress *
source_address (BellRtpSocket *self, int port, const struct sockaddr_storage *native,
                socklen_t native_len)
{
  if (!self->last_from[port] || native_len != self->last_native_len[port] ||
      memcmp (native, &self->last_native[port], native_len) != 0)
    {
      g_clear_object (&self->last_from[port]);
      self->last_from[port] = g_socket_address_new_from_native ((gpointer) native, native_len);
      memcpy (&self->last_native[port], native, native_len);
      self->last_native_len[port] = native_len;
    }
  return self->last_from[port] ? g_object_ref (self->last_from[port]) : NULL;
}

static gboolean
receive_ready (BellRtpSocket *self, int port)
{
  int got = RECEIVE_BATCH;

  for (int total = 0; got == RECEIVE_BATCH && total < DATAGRAMS_PER_WAKEUP; total += got)
    {
      /* One byte more than we take, to tell a datagram that was too big. On the stack: the
       * receive function may iterate the context, and the other port's source reuse a buffer. */
      guint8 bufs[RECEIVE_BATCH][BELL_RTP_MAX_RECEIVE + 1];
      struct sockaddr_storage natives[RECEIVE_BATCH];
      struct iovec iov[RECEIVE_BATCH];
      struct mmsghdr msgs[RECEIVE_BATCH];

      memset (msgs, 0, sizeof msgs);
      for (int i = 0; i < RECEIVE_BATCH; i++)
        {
          iov[i].iov_base = bufs[i];
          iov[i].iov_len = sizeof bufs[i];
          msgs[i].msg_hdr.msg_iov = &iov[i];
          msgs[i].msg_hdr.msg_iovlen = 1;
          msgs[i].msg_hdr.msg_name = &natives[i];
          msgs[i].msg_hdr.msg_namelen = sizeof natives[i];
        }
      g_mutex_lock (&self->lock);
      if (self->closed)
        {
          g_mutex_unlock (&self->lock);
          return G_SOURCE_REMOVE;
        }
      /* recvmmsg() itself, not g_socket_receive_from(): what is waiting in one call, and a
       * short count says the socket is empty (no further read that fails, nor a GError made
       * and formatted for it, each wake-up). */
      got = recvmmsg (g_socket_get_fd (self->sockets[port]), msgs, RECEIVE_BATCH, MSG_DONTWAIT,
                      NULL);
      g_mutex_unlock (&self->lock);
      if (got < 0)
        {
          int code = errno;

          if (code == EINTR)
            {
              got = RECEIVE_BATCH;
              continue;
            }
          if (code != EAGAIN && code != EWOULDBLOCK)
            g_debug ("RTP receive: %s", g_strerror (code));  /* an ICMP error: keep going */
          break;
        }
      for (int i = 0; i < got; i++)
        {
          g_autoptr(GSocketAddress) from = source_address (self, port, &natives[i],
                                                           msgs[i].msg_hdr.msg_namelen);

          if (from && G_IS_INET_SOCKET_ADDRESS (from))
            handle_datagram (self, port, G_INET_SOCKET_ADDRESS (from), bufs[i], msgs[i].msg_len);
        }
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_rtp_ready (GSocket *socket, GIOCondition condition, gpointer data)
{
  return receive_ready (data, PORT_RTP);
}

static gboolean
on_rtcp_ready (GSocket *socket, GIOCondition condition, gpointer data)
{
  return receive_ready (data, PORT_RTCP);
}

/* ---- life --------------------------------------------------------------------------------- */

BellRtpSocket *
bell_rtp_socket_new (const char *bind_address, GSocketFamily family, GMainContext *context,
                     GError **error)
{
  g_autoptr(GInetAddress) address = NULL;
  GSocket *sockets[N_PORTS] = { NULL, NULL };
  BellRtpSocket *self;

  g_return_val_if_fail (family == G_SOCKET_FAMILY_IPV4 || family == G_SOCKET_FAMILY_IPV6, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (bind_address)
    {
      address = g_inet_address_new_from_string (bind_address);
      if (!address || g_inet_address_get_family (address) != family)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "“%s” is not an %s address to bind RTP to", bind_address,
                       family == G_SOCKET_FAMILY_IPV6 ? "IPv6" : "IPv4");
          return NULL;
        }
    }
  else
    address = g_inet_address_new_any (family);
  if (!bind_pair (address, &sockets[PORT_RTP], &sockets[PORT_RTCP], error))
    {
      g_prefix_error (error, "cannot bind RTP: ");
      return NULL;
    }

  self = g_atomic_rc_box_new0 (BellRtpSocket);
  self->users = 1;
  self->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  self->family = family;
  self->port = local_port (sockets[PORT_RTP]);
  g_mutex_init (&self->lock);
  /* RTCP on its own port comes seldom (RFC 3550 §6.2), so its source is silent for longer. */
  self->flows[PORT_RTP].latch = bell_rtp_latch_new (BELL_RTP_LATCH_QUIET_RTP);
  self->flows[PORT_RTCP].latch = bell_rtp_latch_new (BELL_RTP_LATCH_QUIET_RTCP);
  for (int i = 0; i < N_PORTS; i++)
    {
      self->sockets[i] = sockets[i];
      self->sources[i] = g_socket_create_source (sockets[i], G_IO_IN, NULL);
      g_source_set_callback (self->sources[i],
                             i == PORT_RTP ? G_SOURCE_FUNC (on_rtp_ready)
                                           : G_SOURCE_FUNC (on_rtcp_ready),
                             g_atomic_rc_box_acquire (self), release_internal);
      g_source_set_static_name (self->sources[i],
                                i == PORT_RTP ? "[bellbird] RTP" : "[bellbird] RTCP");
      /* GLib blocks a non-recursive source while dispatching it: it takes its descriptor out
       * of the poll and puts it back, waking the context each time (two eventfd writes and a
       * read for every packet). Our callbacks run no nested main loop, so nothing recurses. */
      g_source_set_can_recurse (self->sources[i], TRUE);
      g_source_attach (self->sources[i], self->context);
    }
  return self;
}

BellRtpSocket *
bell_rtp_socket_ref (BellRtpSocket *s)
{
  g_return_val_if_fail (s != NULL, NULL);
  g_atomic_int_inc (&s->users);
  return g_atomic_rc_box_acquire (s);
}

void
bell_rtp_socket_unref (BellRtpSocket *s)
{
  g_return_if_fail (s != NULL);
  if (g_atomic_int_dec_and_test (&s->users))
    bell_rtp_socket_close (s);
  release_internal (s);
}

void
bell_rtp_socket_close (BellRtpSocket *s)
{
  GSocket *sockets[N_PORTS];
  GSource *sources[N_PORTS];
  SrtpRef *srtp;
  Receiver *receiver;

  g_return_if_fail (s != NULL);

  /* Once the pointers are gone under the lock, no send or receive can reach the sockets: only
   * the sources still hold them, and they go first, so the descriptors close unwatched. */
  g_mutex_lock (&s->lock);
  if (s->closed)
    {
      g_mutex_unlock (&s->lock);
      return;
    }
  s->closed = TRUE;
  for (int i = 0; i < N_PORTS; i++)
    {
      sockets[i] = g_steal_pointer (&s->sockets[i]);
      sources[i] = g_steal_pointer (&s->sources[i]);
    }
  /* Let go of the receive function's data now (the destroy notify runs once a packet being
   * handled is done): its owner may hold the last reference to us. */
  srtp = g_steal_pointer (&s->srtp);
  receiver = g_steal_pointer (&s->receiver);
  g_mutex_unlock (&s->lock);

  for (int i = 0; i < N_PORTS; i++)
    {
      g_source_destroy (sources[i]);
      g_source_unref (sources[i]);
      g_socket_close (sockets[i], NULL);
      g_object_unref (sockets[i]);
    }
  srtp_ref_release (srtp);
  receiver_release (receiver);
}

/* ---- settings ----------------------------------------------------------------------------- */

guint16
bell_rtp_socket_get_port (BellRtpSocket *s)
{
  g_return_val_if_fail (s != NULL, 0);
  return s->port;
}

GSocketFamily
bell_rtp_socket_get_family (BellRtpSocket *s)
{
  g_return_val_if_fail (s != NULL, G_SOCKET_FAMILY_INVALID);
  return s->family;
}

void
bell_rtp_socket_set_remote (BellRtpSocket *s, const char *address, guint16 rtp_port,
                            guint16 rtcp_port, gboolean rtcp_mux)
{
  g_autoptr(GInetAddress) ip = NULL;
  GInetSocketAddress *rtp = NULL, *rtcp = NULL;

  g_return_if_fail (s != NULL);

  if (address)
    ip = g_inet_address_new_from_string (address);
  if (rtcp_port == 0 && rtp_port < G_MAXUINT16)
    rtcp_port = rtp_port + 1;
  /* Sending to 0.0.0.0 reaches this host on Linux: an old-style hold must send nothing. */
  if (ip && g_inet_address_get_family (ip) == s->family && !g_inet_address_get_is_any (ip) &&
      rtp_port != 0)
    {
      rtp = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (ip, rtp_port));
      if (rtcp_port != 0)
        rtcp = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (ip, rtcp_port));
    }
  else
    g_debug ("RTP remote %s port %u: nowhere to send", address ? address : "(none)", rtp_port);

  g_mutex_lock (&s->lock);
  for (int i = 0; i < N_PORTS; i++)
    {
      GInetSocketAddress *signalled = i == PORT_RTP ? rtp : rtcp;

      g_clear_object (&s->flows[i].signalled);
      s->flows[i].signalled = signalled;
      bell_rtp_latch_reset (s->flows[i].latch, signalled);
    }
  s->rtcp_mux = rtcp_mux;
  g_mutex_unlock (&s->lock);
}

void
bell_rtp_socket_set_receive_func (BellRtpSocket *s, BellRtpReceiveFunc func, gpointer user_data,
                                  GDestroyNotify destroy)
{
  Receiver *r = NULL, *old;

  g_return_if_fail (s != NULL);

  if (func || destroy)
    {
      r = g_atomic_rc_box_new0 (Receiver);
      r->func = func;
      r->user_data = user_data;
      r->destroy = destroy;
    }
  g_mutex_lock (&s->lock);
  if (s->closed)
    old = r;              /* never to be called: released at once */
  else
    {
      old = s->receiver;
      s->receiver = r;
    }
  g_mutex_unlock (&s->lock);
  receiver_release (old);
}

void
bell_rtp_socket_set_srtp (BellRtpSocket *s, BellSrtpSession *srtp)
{
  SrtpRef *ref = NULL, *old;

  g_return_if_fail (s != NULL);

  if (srtp)
    {
      ref = g_atomic_rc_box_new0 (SrtpRef);
      ref->session = srtp;
    }
  g_mutex_lock (&s->lock);
  if (s->closed)
    old = ref;
  else
    {
      old = s->srtp;
      s->srtp = ref;
    }
  g_mutex_unlock (&s->lock);
  srtp_ref_release (old);
}

/* ---- sending ------------------------------------------------------------------------------ */

/* The flow a packet goes by: RTCP has its own port unless muxed. Called locked. */
static int
send_port (BellRtpSocket *self, gboolean rtcp)
{
  return rtcp && !self->rtcp_mux ? PORT_RTCP : PORT_RTP;
}

/* Called locked. */
static gboolean
check_sendable (BellRtpSocket *self, gboolean rtcp, GError **error)
{
  if (self->closed)
    {
      g_set_error_literal (error, BELL_RTP_SOCKET_ERROR, BELL_RTP_SOCKET_ERROR_CLOSED,
                           "the RTP socket is closed");
      return FALSE;
    }
  if (!flow_destination (&self->flows[send_port (self, rtcp)]))
    {
      g_set_error (error, BELL_RTP_SOCKET_ERROR, BELL_RTP_SOCKET_ERROR_NO_REMOTE,
                   "no %s address to send to", rtcp ? "RTCP" : "RTP");
      return FALSE;
    }
  return TRUE;
}

static gboolean
send_packet (BellRtpSocket *self, gboolean rtcp, const guint8 *data, gsize len, GError **error)
{
  guint8 buf[BELL_RTP_MAX_SEND];
  SrtpRef *srtp = NULL;
  gsize overhead = 0;
  gboolean ok;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  g_mutex_lock (&self->lock);
  ok = check_sendable (self, rtcp, error);
  if (ok && self->srtp)
    srtp = g_atomic_rc_box_acquire (self->srtp);
  g_mutex_unlock (&self->lock);
  if (!ok)
    return FALSE;

  if (srtp)
    overhead = bell_srtp_session_get_overhead (srtp->session, rtcp);
  if (len > BELL_RTP_MAX_SEND || overhead > BELL_RTP_MAX_SEND - len)
    {
      g_set_error (error, BELL_RTP_SOCKET_ERROR, BELL_RTP_SOCKET_ERROR_TOO_BIG,
                   "an %s packet of %" G_GSIZE_FORMAT " bytes (%" G_GSIZE_FORMAT
                   " more with SRTP) exceeds the %d bytes of one datagram",
                   rtcp ? "RTCP" : "RTP", len, overhead, BELL_RTP_MAX_SEND);
      srtp_ref_release (srtp);
      return FALSE;
    }
  if (len > 0)
    memcpy (buf, data, len);
  if (srtp)
    {
      ok = rtcp ? bell_srtp_protect_rtcp (srtp->session, buf, &len, sizeof buf, error)
                : bell_srtp_protect (srtp->session, buf, &len, sizeof buf, error);
      srtp_ref_release (srtp);
      if (!ok)
        {
          g_prefix_error (error, "SRTP: ");
          return FALSE;
        }
    }

  /* Checked again: a close or a set_remote may have come while SRTP worked. */
  g_mutex_lock (&self->lock);
  ok = check_sendable (self, rtcp, error);
  if (ok && !rtcp && self->send_loss && bell_loss_model_drop (self->send_loss))
    {
      self->stats.dropped_test++;   /* lost on the way, as far as anyone can tell */
      g_mutex_unlock (&self->lock);
      return TRUE;
    }
  if (ok)
    {
      int port = send_port (self, rtcp);
      GInetSocketAddress *to = flow_destination (&self->flows[port]);

      ok = g_socket_send_to (self->sockets[port], G_SOCKET_ADDRESS (to), (const char *) buf, len,
                             NULL, error) >= 0;
    }
  if (ok)
    {
      if (rtcp)
        self->stats.rtcp_sent++;
      else
        self->stats.rtp_sent++;
      self->stats.bytes_sent += len;
    }
  g_mutex_unlock (&self->lock);
  return ok;
}

gboolean
bell_rtp_socket_send_rtp (BellRtpSocket *s, const guint8 *data, gsize len, GError **error)
{
  return send_packet (s, FALSE, data, len, error);
}

gboolean
bell_rtp_socket_send_rtcp (BellRtpSocket *s, const guint8 *data, gsize len, GError **error)
{
  return send_packet (s, TRUE, data, len, error);
}

/* A model for one direction, or NULL when that way loses nothing. */
static BellLossModel *
test_loss_model (double fraction, double burst, guint32 seed)
{
  return fraction > 0 ? bell_loss_model_new (fraction, burst, seed) : NULL;
}

void
bell_rtp_socket_set_test_loss (BellRtpSocket *s, const BellRtpTestLoss *loss)
{
  BellLossModel *send, *receive, *old_send, *old_receive;

  g_return_if_fail (s != NULL);
  g_return_if_fail (loss != NULL);
  g_return_if_fail (loss->send >= 0 && loss->send <= 1);
  g_return_if_fail (loss->receive >= 0 && loss->receive <= 1);

  send = test_loss_model (loss->send, loss->send_burst, loss->seed);
  receive = test_loss_model (loss->receive, loss->receive_burst, loss->seed + 1);
  /* Swapped under the lock, freed outside it: a send on another thread may be drawing. */
  g_mutex_lock (&s->lock);
  s->test_loss = *loss;
  old_send = s->send_loss;
  old_receive = s->receive_loss;
  s->send_loss = send;
  s->receive_loss = receive;
  g_mutex_unlock (&s->lock);
  bell_loss_model_free (old_send);
  bell_loss_model_free (old_receive);
}

void
bell_rtp_socket_get_test_loss (BellRtpSocket *s, BellRtpTestLoss *loss)
{
  g_return_if_fail (s != NULL);
  g_return_if_fail (loss != NULL);

  g_mutex_lock (&s->lock);
  *loss = s->test_loss;
  g_mutex_unlock (&s->lock);
}

void
bell_rtp_socket_set_loss (BellRtpSocket *s, double fraction, guint32 seed)
{
  BellRtpTestLoss loss;

  g_return_if_fail (s != NULL);
  g_return_if_fail (fraction >= 0 && fraction <= 1);

  bell_rtp_socket_get_test_loss (s, &loss);
  loss.send = fraction;
  loss.send_burst = 1;
  loss.seed = seed;
  bell_rtp_socket_set_test_loss (s, &loss);
}

/* ---- STUN --------------------------------------------------------------------------------- */

void
bell_rtp_socket_set_stun_func (BellRtpSocket *s, BellRtpStunFunc func, gpointer user_data)
{
  g_return_if_fail (s != NULL);
  s->stun_func = func;
  s->stun_data = user_data;
}

gboolean
bell_rtp_socket_send_stun (BellRtpSocket *s, GInetSocketAddress *to, const guint8 *data,
                           gsize len, GError **error)
{
  gboolean ok;

  g_return_val_if_fail (s != NULL && G_IS_INET_SOCKET_ADDRESS (to), FALSE);
  g_mutex_lock (&s->lock);
  if (s->closed)
    {
      g_set_error_literal (error, BELL_RTP_SOCKET_ERROR, BELL_RTP_SOCKET_ERROR_CLOSED,
                           "the RTP socket is closed");
      ok = FALSE;
    }
  else
    ok = g_socket_send_to (s->sockets[PORT_RTP], G_SOCKET_ADDRESS (to), (const char *) data, len,
                           NULL, error) >= 0;
  g_mutex_unlock (&s->lock);
  return ok;
}

/* ---- state -------------------------------------------------------------------------------- */

void
bell_rtp_socket_get_stats (BellRtpSocket *s, BellRtpStats *stats)
{
  g_return_if_fail (s != NULL);
  g_return_if_fail (stats != NULL);

  g_mutex_lock (&s->lock);
  *stats = s->stats;
  g_mutex_unlock (&s->lock);
}

static GInetSocketAddress *
dup_destination (BellRtpSocket *s, gboolean rtcp)
{
  GInetSocketAddress *to;

  g_mutex_lock (&s->lock);
  to = flow_destination (&s->flows[send_port (s, rtcp)]);
  if (to)
    g_object_ref (to);
  g_mutex_unlock (&s->lock);
  return to;
}

GInetSocketAddress *
bell_rtp_socket_dup_destination (BellRtpSocket *s)
{
  g_return_val_if_fail (s != NULL, NULL);
  return dup_destination (s, FALSE);
}

GInetSocketAddress *
bell_rtp_socket_dup_rtcp_destination (BellRtpSocket *s)
{
  g_return_val_if_fail (s != NULL, NULL);
  return dup_destination (s, TRUE);
}

gboolean
bell_rtp_socket_is_latched (BellRtpSocket *s, gboolean rtcp)
{
  gboolean latched;

  g_return_val_if_fail (s != NULL, FALSE);

  g_mutex_lock (&s->lock);
  latched = bell_rtp_latch_get_latched (s->flows[send_port (s, rtcp)].latch) != NULL;
  g_mutex_unlock (&s->lock);
  return latched;
}
