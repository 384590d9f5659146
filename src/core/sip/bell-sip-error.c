#include "bell-sip-error.h"

G_DEFINE_QUARK (bell-sip-error-quark, bell_sip_error)
