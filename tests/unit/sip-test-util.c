/* sip-test-util.c: see sip-test-util.h. */
#include "sip-test-util.h"

#include <string.h>

const BellSipHeader *
sip_test_nth_header (const BellSipMsg *msg, BellSipHdrId id, guint n)
{
  const BellSipHeader *h = NULL;

  for (guint i = 0; i <= n; i++)
    if ((h = bell_sip_msg_find_next (msg, id, h)) == NULL)
      return NULL;
  return h;
}

char *
sip_test_collapse_lws (BellStr s)
{
  GString *out = g_string_new (NULL);
  gboolean space = FALSE;

  for (gsize i = 0; i < s.len; i++)
    {
      char c = s.p[i];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
        {
          space = TRUE;
          continue;
        }
      if (space && out->len > 0)
        g_string_append_c (out, ' ');
      space = FALSE;
      g_string_append_c (out, c);
    }
  return g_string_free (out, FALSE);
}

gboolean
sip_test_has_crlf (BellStr s)
{
  return memchr (s.p, '\r', s.len) != NULL || memchr (s.p, '\n', s.len) != NULL;
}

guint16
sip_test_dead_udp_port (void)
{
  g_autoptr(GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                       G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (s, any, FALSE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  g_socket_close (s, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}
