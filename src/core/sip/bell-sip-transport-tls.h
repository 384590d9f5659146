/* bell-sip-transport-tls.h: certificate pins for the transport's TLS client connections.
 *
 * An account that trusts one certificate of its server (bell-sip-tls.h, "Certificate pins")
 * holds its pin at the transport for each server name it connects to, while its registration
 * lives; every TLS connection the transport opens to that name checks the pin, whoever asked
 * for the connection (a connection is shared by everything sent to that server). A pin set for
 * NULL is the default for names without their own: a client of one server (bellbird-cli
 * --tls-pin) pins it without knowing its name. Core thread only.
 */
#pragma once

#include "bell-sip-transport.h"

G_BEGIN_DECLS

/* Sets (pin: canonical, see bell_sip_tls_pin_normalize) or removes (pin NULL) the pin of the
 * connections to target's server: the name its certificate must carry (target->host, or its
 * address when it has no name), whatever was held for it; target NULL: the default. Connections
 * already open keep the certificate they were accepted with. */
void        bell_sip_transport_set_tls_pin (BellSipTransport *self, const BellSipTarget *target,
                                            const char *pin);
/* A registration's pin for target's server name, held until released: holds count (two
 * accounts of one server, or a registration replacing another, may hold the same pin), and of
 * different pins held for one name the latest applies. Returns the key to release it with
 * (free it with g_free), or NULL when target has no name nor address. */
char       *bell_sip_transport_hold_tls_pin    (BellSipTransport *self,
                                                const BellSipTarget *target, const char *pin);
void        bell_sip_transport_release_tls_pin (BellSipTransport *self, const char *key,
                                                const char *pin);
/* The pin that applies to a connection whose certificate must carry name; NULL when none. */
const char *bell_sip_transport_get_tls_pin (BellSipTransport *self, const char *name);

G_END_DECLS
