/* bell-sip-transport-tls.c: TLS connections for the transport (integration pending). */
#define G_LOG_DOMAIN "bell-sip-transport"

#include "bell-sip-transport-private.h"

gboolean
_bell_sip_transport_tls_server_ready (BellSipTransport *self, GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       "SIP over TLS is not available in this build yet");
  return FALSE;
}

gboolean
_bell_sip_connection_setup_tls (BellSipTransport *self, BellSipConnection *conn, gboolean client,
                                GError **error)
{
  return _bell_sip_transport_tls_server_ready (self, error);
}
