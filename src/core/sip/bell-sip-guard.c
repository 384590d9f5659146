/* bell-sip-guard.c: per-source token buckets, transaction and connection counts, scanner
 * signatures, and the counters of everything refused. */
#include "bell-sip-guard.h"

#include <string.h>

#include "bell-sip-header.h"

#define LOG_INTERVAL_US    G_USEC_PER_SEC
#define NOTIFY_INTERVAL_MS 1000

/* One remote address (no port: a flood from many ports of one host is one source). */
typedef struct
{
  guint8  len;          /* 4 or 16 */
  guint8  bytes[16];
  double  tokens;
  gint64  refilled_us;
  guint   transactions;
  guint   connections;
} Source;

struct _BellSipGuard
{
  GObject             parent_instance;
  BellClock          *clock;
  BellSipGuardLimits  limits;
  GHashTable         *sources;     /* Source (key and value, owned) */
  GPtrArray          *trusted;     /* GInetSocketAddress */
  double              total_tokens;
  gint64              total_refilled_us;
  guint               total_transactions;
  guint64             counts[BELL_SIP_N_LIMITS];
  gint64              logged_us[BELL_SIP_N_LIMITS];
  gint64              notified_us;
  guint               notify_timer;
};

G_DEFINE_FINAL_TYPE (BellSipGuard, bell_sip_guard, G_TYPE_OBJECT)

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static const BellSipGuardLimits default_limits = {
  .rate_per_s = 20,
  .burst = 60,
  .total_rate_per_s = 200,
  .total_burst = 400,
  .transactions_per_source = 64,
  .transactions_total = 1024,
  .connections_per_source = 8,
  .max_sources = 4096,
};

static guint
source_hash (gconstpointer key)
{
  const Source *s = key;
  guint h = 5381 + s->len;

  for (guint i = 0; i < s->len; i++)
    h = h * 33 + s->bytes[i];
  return h;
}

static gboolean
source_equal (gconstpointer a, gconstpointer b)
{
  const Source *x = a, *y = b;

  return x->len == y->len && memcmp (x->bytes, y->bytes, x->len) == 0;
}

static void
bell_sip_guard_dispose (GObject *object)
{
  BellSipGuard *self = BELL_SIP_GUARD (object);

  if (self->clock)
    bell_clock_clear (self->clock, &self->notify_timer);
  G_OBJECT_CLASS (bell_sip_guard_parent_class)->dispose (object);
}

static void
bell_sip_guard_finalize (GObject *object)
{
  BellSipGuard *self = BELL_SIP_GUARD (object);

  g_hash_table_unref (self->sources);
  g_ptr_array_unref (self->trusted);
  g_clear_pointer (&self->clock, bell_clock_unref);
  G_OBJECT_CLASS (bell_sip_guard_parent_class)->finalize (object);
}

static void
bell_sip_guard_class_init (BellSipGuardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bell_sip_guard_dispose;
  object_class->finalize = bell_sip_guard_finalize;
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
bell_sip_guard_init (BellSipGuard *self)
{
  self->limits = default_limits;
  self->sources = g_hash_table_new_full (source_hash, source_equal, g_free, NULL);
  self->trusted = g_ptr_array_new_with_free_func (g_object_unref);
  self->notified_us = G_MININT64 / 2;
  for (int i = 0; i < BELL_SIP_N_LIMITS; i++)
    self->logged_us[i] = G_MININT64 / 2;
}

BellSipGuard *
bell_sip_guard_new (BellClock *clock)
{
  BellSipGuard *self = g_object_new (BELL_TYPE_SIP_GUARD, NULL);

  self->clock = bell_clock_ref (clock);
  self->total_tokens = self->limits.total_burst;
  self->total_refilled_us = bell_clock_now (clock);
  return self;
}

void
bell_sip_guard_set_limits (BellSipGuard *self, const BellSipGuardLimits *limits)
{
#define TAKE(field) self->limits.field = limits->field ? limits->field : default_limits.field
  TAKE (rate_per_s);
  TAKE (burst);
  TAKE (total_rate_per_s);
  TAKE (total_burst);
  TAKE (transactions_per_source);
  TAKE (transactions_total);
  TAKE (connections_per_source);
  TAKE (max_sources);
#undef TAKE
  self->total_tokens = MIN (self->total_tokens, self->limits.total_burst);
}

/* Trust */

void
bell_sip_guard_set_trusted (BellSipGuard *self, GPtrArray *addresses)
{
  g_ptr_array_set_size (self->trusted, 0);
  for (guint i = 0; addresses && i < addresses->len; i++)
    g_ptr_array_add (self->trusted, g_object_ref (addresses->pdata[i]));
}

gboolean
bell_sip_guard_is_trusted (BellSipGuard *self, GInetSocketAddress *source)
{
  if (!source)
    return FALSE;
  for (guint i = 0; i < self->trusted->len; i++)
    {
      GInetSocketAddress *t = self->trusted->pdata[i];
      if (g_inet_socket_address_get_port (t) == g_inet_socket_address_get_port (source) &&
          g_inet_address_equal (g_inet_socket_address_get_address (t),
                                g_inet_socket_address_get_address (source)))
        return TRUE;
    }
  return FALSE;
}

/* Sources */

static void
source_key (GInetSocketAddress *address, Source *key)
{
  GInetAddress *inet = g_inet_socket_address_get_address (address);
  gsize len = g_inet_address_get_native_size (inet);

  key->len = (guint8) MIN (len, sizeof key->bytes);
  memcpy (key->bytes, g_inet_address_to_bytes (inet), key->len);
}

static void
refill (double *tokens, gint64 *refilled_us, gint64 now, guint rate, guint burst)
{
  if (now > *refilled_us)
    *tokens = MIN ((double) burst, *tokens + (double) (now - *refilled_us) * rate / G_USEC_PER_SEC);
  *refilled_us = now;
}

/* Forgets sources that hold nothing and whose bucket is full again: they look as new. */
static void
forget_idle (BellSipGuard *self, gint64 now)
{
  GHashTableIter iter;
  Source *s;

  g_hash_table_iter_init (&iter, self->sources);
  while (g_hash_table_iter_next (&iter, (gpointer *) &s, NULL))
    {
      refill (&s->tokens, &s->refilled_us, now, self->limits.rate_per_s, self->limits.burst);
      if (!s->transactions && !s->connections && s->tokens >= self->limits.burst)
        g_hash_table_iter_remove (&iter);
    }
}

/* The source's entry, made when new; NULL when the table is full of busy sources (a flood
 * from more addresses than we remember: the total limits still hold). */
static Source *
source_for (BellSipGuard *self, GInetSocketAddress *address, gint64 now)
{
  Source key = { 0 };
  Source *s;

  source_key (address, &key);
  s = g_hash_table_lookup (self->sources, &key);
  if (s)
    return s;
  if (g_hash_table_size (self->sources) >= self->limits.max_sources)
    forget_idle (self, now);
  if (g_hash_table_size (self->sources) >= self->limits.max_sources)
    return NULL;
  s = g_memdup2 (&key, sizeof key);
  s->tokens = self->limits.burst;
  s->refilled_us = now;
  g_hash_table_add (self->sources, s);
  return s;
}

static Source *
source_find (BellSipGuard *self, GInetSocketAddress *address)
{
  Source key = { 0 };

  source_key (address, &key);
  return g_hash_table_lookup (self->sources, &key);
}

gboolean
bell_sip_guard_admit_request (BellSipGuard *self, GInetSocketAddress *source)
{
  gint64 now;
  Source *s;

  if (bell_sip_guard_is_trusted (self, source))
    return TRUE;
  now = bell_clock_now (self->clock);
  refill (&self->total_tokens, &self->total_refilled_us, now, self->limits.total_rate_per_s,
          self->limits.total_burst);
  s = source_for (self, source, now);
  if (s)
    refill (&s->tokens, &s->refilled_us, now, self->limits.rate_per_s, self->limits.burst);
  if (!s || s->tokens < 1)
    {
      bell_sip_guard_count (self, BELL_SIP_LIMIT_RATE, source);
      return FALSE;
    }
  if (self->total_tokens < 1)
    {
      bell_sip_guard_count (self, BELL_SIP_LIMIT_TOTAL_RATE, source);
      return FALSE;
    }
  s->tokens -= 1;
  self->total_tokens -= 1;
  return TRUE;
}

gboolean
bell_sip_guard_hold_transaction (BellSipGuard *self, GInetSocketAddress *source)
{
  Source *s;

  if (!source || bell_sip_guard_is_trusted (self, source))
    return TRUE;
  s = source_for (self, source, bell_clock_now (self->clock));
  if (!s || s->transactions >= self->limits.transactions_per_source ||
      self->total_transactions >= self->limits.transactions_total)
    {
      bell_sip_guard_count (self, BELL_SIP_LIMIT_TRANSACTIONS, source);
      return FALSE;
    }
  s->transactions++;
  self->total_transactions++;
  return TRUE;
}

void
bell_sip_guard_release_transaction (BellSipGuard *self, GInetSocketAddress *source)
{
  Source *s = source ? source_find (self, source) : NULL;

  /* Trusted sources were never counted; a source trusted since keeps its count until here. */
  if (s && s->transactions)
    {
      s->transactions--;
      self->total_transactions--;
    }
}

gboolean
bell_sip_guard_hold_connection (BellSipGuard *self, GInetSocketAddress *source)
{
  Source *s;

  if (!source || bell_sip_guard_is_trusted (self, source))
    return TRUE;
  s = source_for (self, source, bell_clock_now (self->clock));
  if (!s || s->connections >= self->limits.connections_per_source)
    {
      bell_sip_guard_count (self, BELL_SIP_LIMIT_CONNECTIONS, source);
      return FALSE;
    }
  s->connections++;
  return TRUE;
}

void
bell_sip_guard_release_connection (BellSipGuard *self, GInetSocketAddress *source)
{
  Source *s = source ? source_find (self, source) : NULL;

  if (s && s->connections)
    s->connections--;
}

/* Scanners */

/* Substrings (lower case) of the User-Agent or From display name of SIP scanners and
 * war-diallers seen on the Internet. Real phones and PBXs carry none of them. */
static const char *const scanner_signatures[] = {
  "friendly-scanner", "sipvicious", "sipcli", "sip-scan", "sipscan", "vaxsipuseragent",
  "sundayddr", "iwar", "sivus", "pplsip",
};

static gboolean
has_signature (BellStr text)
{
  g_autofree char *lower = NULL;

  if (!text.len)
    return FALSE;
  lower = g_ascii_strdown (text.p, (gssize) MIN (text.len, 256));
  for (guint i = 0; i < G_N_ELEMENTS (scanner_signatures); i++)
    if (strstr (lower, scanner_signatures[i]))
      return TRUE;
  return FALSE;
}

gboolean
bell_sip_guard_is_scanner (BellSipMsg *request)
{
  const BellSipHeader *ua = bell_sip_msg_find (request, BELL_SIP_HDR_USER_AGENT);
  const BellSipNameAddr *from = bell_sip_msg_get_from (request);

  return (ua && has_signature (ua->value)) || (from && has_signature (from->display));
}

/* Counters */

const char *
bell_sip_limit_to_string (BellSipLimit limit)
{
  static const char *const names[] = {
    [BELL_SIP_LIMIT_RATE] = "rate_limited",
    [BELL_SIP_LIMIT_TOTAL_RATE] = "total_rate_limited",
    [BELL_SIP_LIMIT_TRANSACTIONS] = "transactions_limited",
    [BELL_SIP_LIMIT_CONNECTIONS] = "connections_limited",
    [BELL_SIP_LIMIT_SCANNER] = "scanner_dropped",
    [BELL_SIP_LIMIT_POLICY] = "policy_refused",
    [BELL_SIP_LIMIT_CALLS] = "calls_refused_busy",
  };
  return limit < BELL_SIP_N_LIMITS ? names[limit] : "unknown";
}

static void
log_limit (BellSipGuard *self, BellSipLimit limit, GInetSocketAddress *source)
{
  g_autofree char *from = NULL;
  guint64 n = self->counts[limit];

  if (source)
    {
      g_autofree char *ip = g_inet_address_to_string (g_inet_socket_address_get_address (source));
      from = g_strdup_printf ("%s port %u", ip, g_inet_socket_address_get_port (source));
    }
  else
    from = g_strdup ("?");
  switch (limit)
    {
    case BELL_SIP_LIMIT_RATE:
      g_message ("dropping requests from %s: over %u a second (%" G_GUINT64_FORMAT " so far)",
                 from, self->limits.rate_per_s, n);
      break;
    case BELL_SIP_LIMIT_TOTAL_RATE:
      g_message ("dropping requests (the last from %s): over %u a second from everywhere "
                 "(%" G_GUINT64_FORMAT " so far)", from, self->limits.total_rate_per_s, n);
      break;
    case BELL_SIP_LIMIT_TRANSACTIONS:
      g_message ("dropping a request from %s: it has %u transactions open, or everyone %u "
                 "(%" G_GUINT64_FORMAT " so far)", from, self->limits.transactions_per_source,
                 self->limits.transactions_total, n);
      break;
    case BELL_SIP_LIMIT_CONNECTIONS:
      g_message ("closing a connection from %s: it has %u open (%" G_GUINT64_FORMAT " so far)",
                 from, self->limits.connections_per_source, n);
      break;
    case BELL_SIP_LIMIT_SCANNER:
      g_message ("ignoring a SIP scanner at %s (%" G_GUINT64_FORMAT " requests so far)", from, n);
      break;
    case BELL_SIP_LIMIT_POLICY:
      g_message ("refused a call from %s: not from an account's server, and direct calls are "
                 "not accepted from there (%" G_GUINT64_FORMAT " so far)", from, n);
      break;
    case BELL_SIP_LIMIT_CALLS:
      g_message ("refused a call from %s with 486: as many calls as allowed are up "
                 "(%" G_GUINT64_FORMAT " so far)", from, n);
      break;
    case BELL_SIP_N_LIMITS:
      break;
    }
}

static void
on_notify_timer (gpointer data)
{
  BellSipGuard *self = data;

  self->notify_timer = 0;
  self->notified_us = bell_clock_now (self->clock);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

void
bell_sip_guard_touch (BellSipGuard *self)
{
  gint64 since;

  if (self->notify_timer)
    return;
  since = (bell_clock_now (self->clock) - self->notified_us) / 1000;
  self->notify_timer = bell_clock_schedule (self->clock,
                                            since >= NOTIFY_INTERVAL_MS ? 0
                                            : (guint) (NOTIFY_INTERVAL_MS - since),
                                            on_notify_timer, self, NULL);
}

void
bell_sip_guard_count (BellSipGuard *self, BellSipLimit limit, GInetSocketAddress *source)
{
  gint64 now = bell_clock_now (self->clock);

  g_return_if_fail (limit < BELL_SIP_N_LIMITS);
  self->counts[limit]++;
  if (now - self->logged_us[limit] >= LOG_INTERVAL_US)
    {
      self->logged_us[limit] = now;
      log_limit (self, limit, source);
    }
  bell_sip_guard_touch (self);
}

guint64
bell_sip_guard_get_count (BellSipGuard *self, BellSipLimit limit)
{
  g_return_val_if_fail (limit < BELL_SIP_N_LIMITS, 0);
  return self->counts[limit];
}
