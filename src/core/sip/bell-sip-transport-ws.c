/* bell-sip-transport-ws.c: SIP over WebSocket for the transport (integration pending). */
#define G_LOG_DOMAIN "bell-sip-transport"

#include "bell-sip-transport-private.h"

void
_bell_sip_transport_send_ws (BellSipTransport *self, GTask *task, BellSipTransportKind kind)
{
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "SIP over WebSocket is not available in this build yet");
  g_object_unref (task);
}
