/* bell-sip-method.h: SIP request methods. */
#pragma once

#include <glib.h>
#include "bell-str.h"

G_BEGIN_DECLS

typedef enum
{
  BELL_SIP_METHOD_UNKNOWN = 0,  /* an extension method: its name is kept as received */
  BELL_SIP_METHOD_INVITE,
  BELL_SIP_METHOD_ACK,
  BELL_SIP_METHOD_BYE,
  BELL_SIP_METHOD_CANCEL,
  BELL_SIP_METHOD_REGISTER,
  BELL_SIP_METHOD_OPTIONS,
  BELL_SIP_METHOD_INFO,
  BELL_SIP_METHOD_PRACK,
  BELL_SIP_METHOD_UPDATE,
  BELL_SIP_METHOD_SUBSCRIBE,
  BELL_SIP_METHOD_NOTIFY,
  BELL_SIP_METHOD_REFER,
  BELL_SIP_METHOD_MESSAGE,
  BELL_SIP_METHOD_PUBLISH,
} BellSipMethod;

/* Method names are case-sensitive (RFC 3261 §7.1). */
BellSipMethod  bell_sip_method_from_str  (BellStr name);
const char    *bell_sip_method_to_string (BellSipMethod method);

G_END_DECLS
