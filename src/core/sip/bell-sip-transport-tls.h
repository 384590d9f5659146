/* bell-sip-transport-tls.h: certificate pins for the transport's TLS client connections.
 *
 * An account that trusts one certificate of its server (bell-sip-tls.h, "Certificate pins")
 * hands its pin to the transport for each server name it connects to; every TLS connection the
 * transport opens to that name checks the pin, whoever asked for the connection (a connection
 * is shared by everything sent to that server). A pin for NULL is the default for names without
 * their own: a client of one server (bellbird-cli --tls-pin) pins it without knowing its name.
 * Core thread only.
 */
#pragma once

#include "bell-sip-transport.h"

G_BEGIN_DECLS

/* Sets (pin: canonical, see bell_sip_tls_pin_normalize) or removes (pin NULL) the pin of the
 * connections to target's server: the name its certificate must carry (target->host, or its
 * address when it has no name); target NULL: the default. Connections already open keep the
 * certificate they were accepted with. */
void        bell_sip_transport_set_tls_pin (BellSipTransport *self, const BellSipTarget *target,
                                            const char *pin);
/* The pin that applies to a connection whose certificate must carry name; NULL when none. */
const char *bell_sip_transport_get_tls_pin (BellSipTransport *self, const char *name);

G_END_DECLS
