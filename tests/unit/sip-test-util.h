/* sip-test-util.h: small helpers the message tests (unit and conformance) share. */
#pragma once

#include <gio/gio.h>
#include "bell-sip-msg.h"

/* The n-th (from 0) header with identity id, or NULL. */
const BellSipHeader *sip_test_nth_header (const BellSipMsg *msg, BellSipHdrId id, guint n);
/* s with folding and runs of LWS as one SP (RFC 3261 §7.3.1), none at the start. */
char                *sip_test_collapse_lws (BellStr s);
/* Whether s still holds a CR or LF (a fold the parser should have unfolded). */
gboolean             sip_test_has_crlf (BellStr s);
/* A loopback UDP port nobody listens on (it was free a moment ago): where a request gets an
 * ICMP port unreachable back. */
guint16              sip_test_dead_udp_port (void);
