/* bell-rtp-latch.c: the latch of one RTP or RTCP flow (rules in bell-rtp-latch.h). */
#define G_LOG_DOMAIN "bell-rtp-latch"

#include "bell-rtp-latch.h"

#include <string.h>

struct _BellRtpLatch
{
  gint64              quiet_us;
  GInetSocketAddress *signalled;     /* from the SDP; NULL: none usable */
  GInetSocketAddress *latched;       /* NULL until a packet latches */
  guint32             ssrc;          /* the latched source's last SSRC */
  gint64              heard;         /* when the latched source was last heard */
  guint64             rejected;
  GInetSocketAddress *logged;        /* the last rejected source logged */
  gint64              logged_at;
  gboolean            ever_logged;
};

BellRtpLatch *
bell_rtp_latch_new (gint64 quiet_us)
{
  BellRtpLatch *latch;

  g_return_val_if_fail (quiet_us >= 0, NULL);

  latch = g_new0 (BellRtpLatch, 1);
  latch->quiet_us = quiet_us;
  return latch;
}

void
bell_rtp_latch_free (BellRtpLatch *latch)
{
  if (!latch)
    return;
  g_clear_object (&latch->signalled);
  g_clear_object (&latch->latched);
  g_clear_object (&latch->logged);
  g_free (latch);
}

void
bell_rtp_latch_reset (BellRtpLatch *latch, GInetSocketAddress *signalled)
{
  g_return_if_fail (latch != NULL);
  g_return_if_fail (signalled == NULL || G_IS_INET_SOCKET_ADDRESS (signalled));

  g_set_object (&latch->signalled, signalled);
  g_clear_object (&latch->latched);
  latch->ssrc = 0;
  latch->heard = 0;
}

static gboolean
same_source (GInetSocketAddress *a, GInetSocketAddress *b)
{
  return g_inet_socket_address_get_port (a) == g_inet_socket_address_get_port (b) &&
         g_inet_address_equal (g_inet_socket_address_get_address (a),
                               g_inet_socket_address_get_address (b));
}

/* An address a peer names when it does not know where its packets will come from: behind a
 * NAT (private, shared, link-local) or plainly wrong for a remote peer (loopback). */
static gboolean
is_unroutable (GInetAddress *address)
{
  const guint8 *b = g_inet_address_to_bytes (address);

  if (g_inet_address_get_is_any (address) || g_inet_address_get_is_loopback (address) ||
      g_inet_address_get_is_link_local (address) || g_inet_address_get_is_site_local (address))
    return TRUE;
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4)
    return b[0] == 100 && (b[1] & 0xc0) == 64;          /* RFC 6598 100.64.0.0/10 */
  return (b[0] & 0xfe) == 0xfc;                         /* RFC 4193 fc00::/7 */
}

gboolean
bell_rtp_latch_may_be_peer (GInetAddress *signalled, GInetAddress *address)
{
  g_return_val_if_fail (G_IS_INET_ADDRESS (address), FALSE);

  if (!signalled || g_inet_address_get_family (signalled) != g_inet_address_get_family (address))
    return TRUE;           /* nothing usable named: anyone may be the peer */
  if (g_inet_address_equal (signalled, address) || is_unroutable (signalled))
    return TRUE;
  /* IPv6 hosts change their privacy addresses within their /64 (RFC 8981), and the one in the
   * SDP may not be the one the packets leave from. */
  return g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6 &&
         memcmp (g_inet_address_to_bytes (signalled), g_inet_address_to_bytes (address), 8) == 0;
}

BellRtpLatchVerdict
bell_rtp_latch_check (BellRtpLatch *latch, GInetSocketAddress *from, guint32 ssrc, gint64 now)
{
  g_return_val_if_fail (latch != NULL, BELL_RTP_LATCH_REJECT);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (from), BELL_RTP_LATCH_REJECT);

  if (!latch->latched)
    {
      GInetAddress *signalled = latch->signalled
                                ? g_inet_socket_address_get_address (latch->signalled) : NULL;

      return bell_rtp_latch_may_be_peer (signalled, g_inet_socket_address_get_address (from))
             ? BELL_RTP_LATCH_FIRST : BELL_RTP_LATCH_REJECT;
    }
  if (same_source (latch->latched, from))
    return BELL_RTP_LATCH_KEEP;
  /* The very address and port the peer's SDP named: when a stranger spraying our port latched
   * before the peer spoke (possible when the SDP names a private address), the peer still gets
   * its call back the moment it is heard from where it said it would be. */
  if (latch->signalled && same_source (latch->signalled, from))
    return BELL_RTP_LATCH_MOVE;
  if (ssrc == latch->ssrc && now - latch->heard >= latch->quiet_us)
    return BELL_RTP_LATCH_MOVE;
  return BELL_RTP_LATCH_REJECT;
}

gboolean
bell_rtp_latch_accept (BellRtpLatch *latch, GInetSocketAddress *from, guint32 ssrc, gint64 now,
                       GInetSocketAddress **previous)
{
  gboolean changed;

  g_return_val_if_fail (latch != NULL, FALSE);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (from), FALSE);
  g_return_val_if_fail (previous == NULL || *previous == NULL, FALSE);

  changed = !latch->latched || !same_source (latch->latched, from);
  if (changed)
    {
      GInetSocketAddress *old = g_steal_pointer (&latch->latched);

      latch->latched = g_object_ref (from);
      if (previous)
        *previous = old;
      else
        g_clear_object (&old);
    }
  /* A peer may start a new SSRC (a restarted stream, a B2BUA switching legs): follow it, so that
   * a later move needs the one in use. */
  latch->ssrc = ssrc;
  latch->heard = now;
  return changed;
}

gboolean
bell_rtp_latch_note_rejected (BellRtpLatch *latch, GInetSocketAddress *from, gint64 now)
{
  g_return_val_if_fail (latch != NULL, FALSE);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (from), FALSE);

  latch->rejected++;
  if (latch->ever_logged &&
      (same_source (latch->logged, from) || now - latch->logged_at < BELL_RTP_LATCH_LOG_INTERVAL))
    return FALSE;
  g_set_object (&latch->logged, from);
  latch->logged_at = now;
  latch->ever_logged = TRUE;
  return TRUE;
}

GInetSocketAddress *
bell_rtp_latch_get_latched (BellRtpLatch *latch)
{
  g_return_val_if_fail (latch != NULL, NULL);
  return latch->latched;
}

guint32
bell_rtp_latch_get_ssrc (BellRtpLatch *latch)
{
  g_return_val_if_fail (latch != NULL, 0);
  return latch->ssrc;
}

GInetSocketAddress *
bell_rtp_latch_get_signalled (BellRtpLatch *latch)
{
  g_return_val_if_fail (latch != NULL, NULL);
  return latch->signalled;
}

guint64
bell_rtp_latch_get_rejected (BellRtpLatch *latch)
{
  g_return_val_if_fail (latch != NULL, 0);
  return latch->rejected;
}
