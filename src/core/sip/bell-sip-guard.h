/* bell-sip-guard.h: what keeps a listening phone alive under floods and scanners.
 *
 * A softphone's SIP port is scanned and flooded like any server's. The guard holds the limits
 * the transport and the transaction layer ask about: before a datagram or stream message is
 * parsed, whether its source may send one more new request now (a token bucket per source
 * address and one for everyone); whether a source may hold one more server transaction or
 * connection; and whether a request carries a known scanner's signature. Sources the core
 * trusts (the flows its accounts registered over) are never limited.
 *
 * Every refusal is counted, logged (at most once a second per kind of limit) and announced
 * with the "changed" signal, at most once a second, so the core can report the counters.
 */
#pragma once

#include <gio/gio.h>
#include "bell-clock.h"
#include "bell-sip-msg.h"

G_BEGIN_DECLS

typedef enum
{
  BELL_SIP_LIMIT_RATE,          /* a source's requests over its rate: dropped unparsed */
  BELL_SIP_LIMIT_TOTAL_RATE,    /* everyone's requests over the total rate: dropped unparsed */
  BELL_SIP_LIMIT_TRANSACTIONS,  /* a source (or everyone) holds too many server transactions:
                                 * the new request is dropped, unanswered */
  BELL_SIP_LIMIT_CONNECTIONS,   /* a source has too many connections: the new one is closed */
  BELL_SIP_LIMIT_SCANNER,       /* a known scanner's request: dropped, unanswered */
  BELL_SIP_LIMIT_POLICY,        /* a call the incoming-call policy refused: a quiet 403 */
  BELL_SIP_LIMIT_CALLS,         /* a call over the most calls at once: 486 Busy Here (the
                                 * core counts these) */
  BELL_SIP_N_LIMITS
} BellSipLimit;

typedef struct
{
  guint rate_per_s;              /* new requests a second from one source (default 20) */
  guint burst;                   /* ... and at once (default 60) */
  guint total_rate_per_s;        /* from all untrusted sources together (default 200) */
  guint total_burst;             /* default 400 */
  guint transactions_per_source; /* server transactions one source may hold (default 64) */
  guint transactions_total;      /* for all untrusted sources (default 1024) */
  guint connections_per_source;  /* default 8 */
  guint max_sources;             /* addresses remembered at once (default 4096) */
} BellSipGuardLimits;

#define BELL_TYPE_SIP_GUARD (bell_sip_guard_get_type ())
G_DECLARE_FINAL_TYPE (BellSipGuard, bell_sip_guard, BELL, SIP_GUARD, GObject)

BellSipGuard *bell_sip_guard_new        (BellClock *clock);
/* Zero fields keep their defaults. */
void          bell_sip_guard_set_limits (BellSipGuard *self, const BellSipGuardLimits *limits);

/* The addresses (GInetSocketAddress, address and port) whose requests are never limited:
 * our registrars and outbound proxies as we reach them. Replaces the previous set. */
void          bell_sip_guard_set_trusted (BellSipGuard *self, GPtrArray *addresses);
gboolean      bell_sip_guard_is_trusted  (BellSipGuard *self, GInetSocketAddress *source);

/* May a new request from source be looked at? FALSE: drop it unparsed (counted). */
gboolean      bell_sip_guard_admit_request (BellSipGuard *self, GInetSocketAddress *source);
/* May source hold one more server transaction? TRUE: it is counted until
 * bell_sip_guard_release_transaction() with the same source. */
gboolean      bell_sip_guard_hold_transaction    (BellSipGuard *self, GInetSocketAddress *source);
void          bell_sip_guard_release_transaction (BellSipGuard *self, GInetSocketAddress *source);
/* The same for accepted connections. */
gboolean      bell_sip_guard_hold_connection    (BellSipGuard *self, GInetSocketAddress *source);
void          bell_sip_guard_release_connection (BellSipGuard *self, GInetSocketAddress *source);

/* A request sent by a known SIP scanner (sipvicious' "friendly-scanner", sipcli, ...), by its
 * User-Agent or From display name. Such requests get no answer at all: an answer confirms to
 * the scanner that a phone lives here. */
gboolean      bell_sip_guard_is_scanner (BellSipMsg *request);

/* Counts a refusal of kind limit (logged, announced); source may be NULL. */
void          bell_sip_guard_count      (BellSipGuard *self, BellSipLimit limit,
                                         GInetSocketAddress *source);
guint64       bell_sip_guard_get_count  (BellSipGuard *self, BellSipLimit limit);
/* Something else refused was counted (the transport's malformed and connection counters):
 * "changed" follows within the same pacing. */
void          bell_sip_guard_touch      (BellSipGuard *self);
/* "rate_limited", "scanner_dropped", ...: the names of the counters in events. */
const char   *bell_sip_limit_to_string  (BellSipLimit limit);

/* Signal "changed" (): counters moved; emitted at once for the first refusal after a quiet
 * second, then at most once a second while refusals go on, so a flood costs one event a
 * second. */

G_END_DECLS
