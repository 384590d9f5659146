/* bell-sip-transport-icmp.c: what the network says about our UDP datagrams (RFC 3261 §18.4:
 * a transport failure reported by ICMP fails the request).
 *
 * A request sent over UDP to a port where nothing listens comes back as an ICMP port
 * unreachable within milliseconds. Unread, its client transaction waits for Timer B or F and
 * the user hears "no answer" after 32 s. With IP_RECVERR the kernel queues such errors on the
 * socket, with the address the datagram went to, and the transport fails that flow's
 * transactions at once, as it does for a TCP connection refused.
 *
 * Only "port unreachable" counts: host or network unreachable may be passing routing trouble,
 * after which a retransmission still gets through. */
#include "bell-sip-transport-private.h"

#include <errno.h>
#include <netinet/in.h>
#include <linux/errqueue.h>
#include <sys/socket.h>
#include <string.h>

void
_bell_sip_udp_report_errors (GSocket *socket)
{
  /* Without it the kernel drops ICMP errors for unconnected UDP sockets. */
  if (g_socket_get_family (socket) == G_SOCKET_FAMILY_IPV6)
    g_socket_set_option (socket, IPPROTO_IPV6, IPV6_RECVERR, 1, NULL);
  else
    g_socket_set_option (socket, IPPROTO_IP, IP_RECVERR, 1, NULL);
}

/* The errno of an ICMP error in msg's control data, 0 for anything else. */
static int
icmp_errno (struct msghdr *msg)
{
  for (struct cmsghdr *c = CMSG_FIRSTHDR (msg); c; c = CMSG_NXTHDR (msg, c))
    {
      const struct sock_extended_err *ee = (const struct sock_extended_err *) CMSG_DATA (c);

      if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
            (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)))
        continue;
      if (ee->ee_origin == SO_EE_ORIGIN_ICMP || ee->ee_origin == SO_EE_ORIGIN_ICMP6)
        return (int) ee->ee_errno;
    }
  return 0;
}

guint
_bell_sip_udp_drain_errors (GSocket *socket, BellSipUdpRefusedFunc func, gpointer data)
{
  int fd = g_socket_get_fd (socket);
  guint refused = 0;

  /* All of the queue: while anything is left, poll() says POLLERR again and again. */
  for (;;)
    {
      struct sockaddr_storage to;
      union { struct cmsghdr align; char buf[512]; } control;
      char payload[64];
      struct iovec iov = { payload, sizeof payload };
      struct msghdr msg = { .msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &iov,
                            .msg_iovlen = 1, .msg_control = control.buf,
                            .msg_controllen = sizeof control.buf };
      g_autoptr(GSocketAddress) destination = NULL;

      if (recvmsg (fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
        break;   /* EAGAIN: the queue is empty */
      if (icmp_errno (&msg) != ECONNREFUSED || msg.msg_namelen == 0)
        continue;
      destination = g_socket_address_new_from_native (&to, msg.msg_namelen);
      if (G_IS_INET_SOCKET_ADDRESS (destination))
        {
          func (G_INET_SOCKET_ADDRESS (destination), data);
          refused++;
        }
    }
  return refused;
}
