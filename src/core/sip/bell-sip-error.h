/* bell-sip-error.h: the error domain of the SIP message layer. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BELL_SIP_ERROR (bell_sip_error_quark ())

typedef enum
{
  BELL_SIP_ERROR_MALFORMED,      /* bad syntax: a request gets 400, a response is dropped */
  BELL_SIP_ERROR_VERSION,        /* not SIP/2.0: a request gets 505 */
  BELL_SIP_ERROR_TRUNCATED,      /* Content-Length promises more than the datagram holds */
  BELL_SIP_ERROR_TOO_LARGE,      /* over a size or count limit */
  BELL_SIP_ERROR_BAD_URI,        /* a URI that does not parse */
} BellSipError;

GQuark bell_sip_error_quark (void);

G_END_DECLS
