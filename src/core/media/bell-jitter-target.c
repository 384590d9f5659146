/* bell-jitter-target.c: a call's jitter-buffer depth from packet arrivals (see the header). */
#include "bell-jitter-target.h"

#define WINDOW_US      (2 * G_USEC_PER_SEC)   /* the history the percentile is taken over */
#define CAPACITY       512                    /* > 2 s of 5 ms packets */
#define MARGIN_US      2000                   /* scheduling on our side, above the percentile */
#define STEP_MS        5                      /* targets are whole steps: no tiny changes */
#define CALM_US        (10 * G_USEC_PER_SEC)  /* lower only after this long below the target */
#define PAUSE_US       (200 * 1000)           /* no packets this long: an outage, not jitter */
#define SETTLE_PACKETS 25                     /* ignored after a pause (the burst that follows) */
#define JUMP_SECONDS   10                     /* a timestamp jump this big: a new stream */

typedef struct
{
  gint64 arrival;
  gint64 transit;
} Sample;

struct _BellJitterTarget
{
  guint   clock_rate;
  Sample  ring[CAPACITY];
  guint   head;          /* oldest sample */
  guint   count;
  gboolean started;
  guint32 last_ts;       /* the newest timestamp seen, and its 64-bit extension */
  gint64  last_ext;
  gint64  last_arrival;
  guint   settle;        /* packets still to ignore after a pause */
  gint64  quickest;      /* the lowest transit of the window, as of the last packet */
  guint   target_ms;
  gint64  calm_since;    /* 0: the percentile is not below the target */
  guint64 late;
};

BellJitterTarget *
bell_jitter_target_new (guint clock_rate)
{
  BellJitterTarget *t = g_new0 (BellJitterTarget, 1);

  t->clock_rate = clock_rate ? clock_rate : 8000;
  t->target_ms = BELL_JITTER_TARGET_MIN_MS;
  return t;
}

void
bell_jitter_target_free (BellJitterTarget *target)
{
  g_free (target);
}

static void
forget (BellJitterTarget *t)
{
  t->head = 0;
  t->count = 0;
  t->calm_since = 0;
}

void
bell_jitter_target_reset (BellJitterTarget *t)
{
  forget (t);
  t->started = FALSE;
  t->settle = 0;
  t->target_ms = BELL_JITTER_TARGET_MIN_MS;
}

/* The 98th percentile of how much later than the quickest packet of the window each one came:
 * the smallest of the top 2 % (kept in a short sorted list: far cheaper, per packet, than
 * sorting the whole window). */
static gint64
percentile_delay (BellJitterTarget *t)
{
  gint64 quickest = G_MAXINT64;
  gint64 top[CAPACITY / 50 + 1];   /* descending */
  guint keep = t->count - (t->count * 98) / 100, kept = 0, i, j;

  for (i = 0; i < t->count; i++)
    quickest = MIN (quickest, t->ring[(t->head + i) % CAPACITY].transit);
  for (i = 0; i < t->count; i++)
    {
      gint64 extra = t->ring[(t->head + i) % CAPACITY].transit - quickest;

      if (kept == keep && extra <= top[kept - 1])
        continue;
      j = kept < keep ? kept++ : kept - 1;
      for (; j > 0 && top[j - 1] < extra; j--)
        top[j] = top[j - 1];
      top[j] = extra;
    }
  t->quickest = quickest;
  return top[kept - 1];
}

static void
push (BellJitterTarget *t, gint64 arrival, gint64 transit)
{
  while (t->count > 0 && (t->count == CAPACITY || arrival - t->ring[t->head].arrival > WINDOW_US))
    {
      t->head = (t->head + 1) % CAPACITY;
      t->count--;
    }
  t->ring[(t->head + t->count) % CAPACITY] = (Sample) { arrival, transit };
  t->count++;
}

gboolean
bell_jitter_target_update (BellJitterTarget *t, gint64 arrival_us, guint32 ts)
{
  gint64 ext, transit, candidate_us;
  guint candidate;

  if (!t->started)
    {
      /* A stream's start is like the end of an outage: senders often begin with a burst
       * (audio a device had captured before the call was up), which is not jitter. */
      t->started = TRUE;
      t->last_ts = ts;
      t->last_ext = ts;
      t->last_arrival = arrival_us;
      t->settle = SETTLE_PACKETS;
    }
  ext = t->last_ext + (gint32) (ts - t->last_ts);
  if (ABS (ext - t->last_ext) > (gint64) JUMP_SECONDS * t->clock_rate)
    {
      /* A sender that restarted its stream: nothing before it says anything about now. */
      forget (t);
      ext = ts;
      t->last_ext = ts;
      t->last_ts = ts;
    }
  if (ext > t->last_ext)
    {
      t->last_ext = ext;
      t->last_ts = ts;
    }
  if (arrival_us - t->last_arrival > PAUSE_US)
    {
      forget (t);
      t->settle = SETTLE_PACKETS;
    }
  t->last_arrival = MAX (t->last_arrival, arrival_us);
  if (t->settle > 0)
    {
      t->settle--;
      return FALSE;
    }

  transit = arrival_us - ext * G_USEC_PER_SEC / t->clock_rate;
  if (t->count > 0 && transit - t->quickest > (gint64) t->target_ms * 1000)
    t->late++;
  push (t, arrival_us, transit);

  candidate_us = percentile_delay (t) + MARGIN_US;
  candidate = (guint) ((candidate_us + STEP_MS * 1000 - 1) / (STEP_MS * 1000)) * STEP_MS;
  candidate = CLAMP (candidate, BELL_JITTER_TARGET_MIN_MS, BELL_JITTER_TARGET_MAX_MS);
  if (candidate > t->target_ms)
    {
      t->target_ms = candidate;
      t->calm_since = 0;
      return TRUE;
    }
  if (candidate == t->target_ms)
    {
      t->calm_since = 0;
      return FALSE;
    }
  if (t->calm_since == 0)
    t->calm_since = arrival_us;
  if (arrival_us - t->calm_since < CALM_US)
    return FALSE;
  t->target_ms = candidate;
  t->calm_since = 0;
  return TRUE;
}

guint
bell_jitter_target_get_ms (const BellJitterTarget *t)
{
  return t->target_ms;
}

guint64
bell_jitter_target_get_late (const BellJitterTarget *t)
{
  return t->late;
}
