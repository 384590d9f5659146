#define G_LOG_DOMAIN "bell-sip"

#include "bell-sip-method.h"

static const char *const method_names[] = {
  [BELL_SIP_METHOD_UNKNOWN] = NULL,
  [BELL_SIP_METHOD_INVITE] = "INVITE",
  [BELL_SIP_METHOD_ACK] = "ACK",
  [BELL_SIP_METHOD_BYE] = "BYE",
  [BELL_SIP_METHOD_CANCEL] = "CANCEL",
  [BELL_SIP_METHOD_REGISTER] = "REGISTER",
  [BELL_SIP_METHOD_OPTIONS] = "OPTIONS",
  [BELL_SIP_METHOD_INFO] = "INFO",
  [BELL_SIP_METHOD_PRACK] = "PRACK",
  [BELL_SIP_METHOD_UPDATE] = "UPDATE",
  [BELL_SIP_METHOD_SUBSCRIBE] = "SUBSCRIBE",
  [BELL_SIP_METHOD_NOTIFY] = "NOTIFY",
  [BELL_SIP_METHOD_REFER] = "REFER",
  [BELL_SIP_METHOD_MESSAGE] = "MESSAGE",
  [BELL_SIP_METHOD_PUBLISH] = "PUBLISH",
};

BellSipMethod
bell_sip_method_from_str (BellStr name)
{
  /* Dispatch on length first: most names are rejected by one comparison. */
  switch (name.len)
    {
    case 3:
      if (memcmp (name.p, "ACK", 3) == 0) return BELL_SIP_METHOD_ACK;
      if (memcmp (name.p, "BYE", 3) == 0) return BELL_SIP_METHOD_BYE;
      break;
    case 4:
      if (memcmp (name.p, "INFO", 4) == 0) return BELL_SIP_METHOD_INFO;
      break;
    case 5:
      if (memcmp (name.p, "PRACK", 5) == 0) return BELL_SIP_METHOD_PRACK;
      if (memcmp (name.p, "REFER", 5) == 0) return BELL_SIP_METHOD_REFER;
      break;
    case 6:
      if (memcmp (name.p, "INVITE", 6) == 0) return BELL_SIP_METHOD_INVITE;
      if (memcmp (name.p, "CANCEL", 6) == 0) return BELL_SIP_METHOD_CANCEL;
      if (memcmp (name.p, "UPDATE", 6) == 0) return BELL_SIP_METHOD_UPDATE;
      if (memcmp (name.p, "NOTIFY", 6) == 0) return BELL_SIP_METHOD_NOTIFY;
      break;
    case 7:
      if (memcmp (name.p, "OPTIONS", 7) == 0) return BELL_SIP_METHOD_OPTIONS;
      if (memcmp (name.p, "MESSAGE", 7) == 0) return BELL_SIP_METHOD_MESSAGE;
      if (memcmp (name.p, "PUBLISH", 7) == 0) return BELL_SIP_METHOD_PUBLISH;
      break;
    case 8:
      if (memcmp (name.p, "REGISTER", 8) == 0) return BELL_SIP_METHOD_REGISTER;
      break;
    case 9:
      if (memcmp (name.p, "SUBSCRIBE", 9) == 0) return BELL_SIP_METHOD_SUBSCRIBE;
      break;
    default:
      break;
    }
  return BELL_SIP_METHOD_UNKNOWN;
}

const char *
bell_sip_method_to_string (BellSipMethod method)
{
  g_return_val_if_fail (method < G_N_ELEMENTS (method_names), NULL);
  return method_names[method];
}
