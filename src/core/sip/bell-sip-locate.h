/* bell-sip-locate.h: locating SIP servers (RFC 3263 §4), with GIO's GResolver.
 *
 * Given a sip: or sips: URI, bell_sip_locate_async() works out which transport, address and
 * port to send a request to, and gives back every candidate in the order to try them: the
 * transport layer fails over by walking the list (RFC 3263 §4.3), we only choose the order.
 *
 * GResolver (GLib 2.74) has no NAPTR record type, so the NAPTR step is skipped and SRV is
 * queried directly, which RFC 3263 §4.1 allows. The rules, in order:
 *
 *  - TARGET is the maddr parameter when present, else the host (IPv6 without its brackets).
 *  - Transport: an explicit ;transport= wins, then the forced transport (account setting).
 *    For sips: both are read as "over TLS": tcp or tls gives TLS, udp is refused.
 *    Otherwise a sips: URI uses TLS; a sip: URI with a numeric TARGET or an explicit port uses
 *    UDP (TCP, then TLS, when UDP is not in the supported set).
 *  - A numeric TARGET is used as is, with the URI's port or the transport's default (5060,
 *    5061 for TLS): no resolver call at all.
 *  - A name with a port: A/AAAA of that name.
 *  - A name without a port, transport known: SRV for that transport (_sip._udp, _sip._tcp,
 *    _sips._tcp), else A/AAAA with the default port (§4.2).
 *  - A name without a port, transport not known: SRV queries one after the other in the
 *    client's order of preference, and the first transport with records is used. For sips:
 *    only _sips._tcp. For sip: _sip._udp, _sip._tcp, then _sips._tcp (UDP > TCP > TLS: UDP
 *    is what every SIP server must offer, and a sip: URI asks for no security; _sips._tcp is
 *    queried last so a TLS-only server is still reachable), skipping what we don't support.
 *    No records at all: A/AAAA of the name with the default port, UDP for sip: (§4.1).
 *  - SRV targets are sorted by priority and weighted-randomly by weight (RFC 2782,
 *    g_srv_target_list_sort()), then each target's A/AAAA records give one entry per address,
 *    IPv6 and IPv4 in the resolver's order. A "." target means "no service here".
 *  - WS and WSS are never located by DNS (their ws:// URL is configured): asked for, they fail.
 *
 * DNS failures keep their GResolver error (G_RESOLVER_ERROR_NOT_FOUND, _TEMPORARY_FAILURE) so
 * the registration layer can tell "no such domain" from "DNS is down".
 */
#pragma once

#include <gio/gio.h>
#include "bell-sip-flow.h"
#include "bell-sip-uri.h"

G_BEGIN_DECLS

/* Failures that are not DNS's: those keep the G_RESOLVER_ERROR domain, or G_IO_ERROR_CANCELLED. */
#define BELL_SIP_LOCATE_ERROR (bell_sip_locate_error_quark ())
GQuark bell_sip_locate_error_quark (void);

typedef enum
{
  BELL_SIP_LOCATE_ERROR_BAD_URI,        /* not sip:/sips:, no host, bad maddr */
  BELL_SIP_LOCATE_ERROR_NO_TRANSPORT,   /* no transport both we and the URI allow, or WS/WSS */
} BellSipLocateError;

typedef struct
{
  BellSipTransportKind transport;   /* UDP, TCP or TLS */
  GInetSocketAddress  *address;     /* where to send, port included */
  /* For TLS the name the server's certificate must match and the SNI: the URI's domain, never
   * the SRV target, which plain DNS cannot vouch for (RFC 5922 §4). For UDP and TCP the name
   * that was resolved (SRV target, maddr or host), for logs. A numeric host is kept as text. */
  char                *host;
  guint16              port;
} BellSipLocateTarget;

BellSipLocateTarget *bell_sip_locate_target_copy      (const BellSipLocateTarget *target);
void                 bell_sip_locate_target_free      (BellSipLocateTarget *target);
/* "TLS 192.0.2.1:5061 (sip.example.com)", "UDP [2001:db8::1]:5060 (2001:db8::1)" */
char                *bell_sip_locate_target_to_string (const BellSipLocateTarget *target);

/* Starts locating uri (only read during this call) on the thread-default main context. forced is
 * BELL_SIP_TRANSPORT_ANY or one transport; supported a mask of BellSipTransportKind (WS/WSS
 * bits are ignored). resolver NULL: g_resolver_get_default(). The callback runs on the
 * thread-default context of this call. */
void       bell_sip_locate_async  (const BellSipUri     *uri,
                                   BellSipTransportKind  forced,
                                   guint                 supported,
                                   GResolver            *resolver,
                                   GCancellable         *cancellable,
                                   GAsyncReadyCallback   callback,
                                   gpointer              user_data);
/* A non-empty array of BellSipLocateTarget * (it frees them), best first; NULL with an error. */
GPtrArray *bell_sip_locate_finish (GAsyncResult         *result,
                                   GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellSipLocateTarget, bell_sip_locate_target_free)

G_END_DECLS
