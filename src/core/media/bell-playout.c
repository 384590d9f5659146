/* bell-playout.c: reordering, timing, drift and decoding of received G.711 (see the header). */
#include "bell-playout.h"

#include <math.h>
#include <string.h>

#include "bell-g711.h"
#include "bell-jitter-target.h"
#include "bell-plc.h"

#define US_PER_SAMPLE   (G_USEC_PER_SEC / BELL_PLAYOUT_RATE)   /* 125 */
#define SLOTS           64            /* packets held: > 1 s of 20 ms packets */
#define MAX_PAYLOAD     960           /* 120 ms of G.711 in one packet */
#define WINDOW_US       (2 * G_USEC_PER_SEC)   /* headroom measured over this */
#define WINDOW_CAP      512
#define PAUSE_US        (200 * 1000)  /* no packet this long: measure afresh after it */
#define MIN_SPAN_US     (200 * 1000)  /* and only once arrivals span this (not one burst) */
#define STALE_US        (200 * 1000)  /* no decision on a window this old */
#define SLACK_US        2000          /* hysteresis around the target */
#define OVER_FOR_US     (500 * 1000)  /* above the band this long: a step less */
#define QUIET_WAIT_US   G_USEC_PER_SEC         /* for a quiet frame to shorten, at most */
#define FAR_ABOVE_US    20000         /* this far above the band: shorten every frame */
#define QUIET_LEVEL     200           /* mean |sample| of a quiet frame (about -44 dBFS) */
#define MAX_SEQ_JUMP    100           /* further: another stream, once a second packet agrees */
#define RESYNC_SAMPLES  (2 * BELL_PLAYOUT_RATE)   /* a timestamp this far off: another stream */
#define LATE_RUN_US     (500 * 1000)  /* nothing but late packets this long: another timeline */

typedef struct
{
  gboolean used;
  gint64   seq;       /* extended */
  gint64   ts;        /* extended */
  gint64   arrival;
  guint    len;
  guint8   data[MAX_PAYLOAD];
} Slot;

typedef struct
{
  gint64 arrival;
  gint64 transit;     /* arrival less the media time of the timestamp */
} Sample;

typedef enum
{
  IDLE,      /* no packet yet */
  WAITING,   /* packets kept until start_us */
  PLAYING,
} State;

struct _BellPlayout
{
  BellPlayoutCodec  codec;
  guint             n;           /* samples a frame */
  gint64            ptime_us;
  guint             floor_ms;
  guint             wait_ms;     /* held on top of the jitter target (RED's copies) */
  BellJitterTarget *target;
  BellPlc          *plc;
  State             state;
  gint64            start_us;

  Slot              slots[SLOTS];
  guint8            order[SLOTS];   /* used slots by sequence number */
  guint             count;

  gboolean          have_seq;
  gint64            max_seq;        /* highest extended sequence number seen */
  guint64           seen;           /* bit i: max_seq - i came */
  gint64            ref_ts;         /* extended timestamp of the packet with max_seq */
  gint32            probation;      /* a jump's next sequence number, -1 none */
  gint64            late_since;     /* arrival of the first of a run of late packets, 0 none */

  gint64            play_ts;        /* next frame's first sample */
  gint64            next_tick;      /* and when it plays */

  /* Lowest transit of the window (ascending deque: its front is the minimum). */
  Sample            window[WINDOW_CAP];
  guint             win_head, win_count;
  gint64            window_since;   /* first arrival measured after a pause */
  gint64            last_arrival;
  gint64            over_since;     /* headroom above target + frame since, 0 not */

  BellPlayoutStats  stats;
  guint8            codes[MAX_PAYLOAD];
  guint8            covered[MAX_PAYLOAD];
};

BellPlayout *
bell_playout_new (BellPlayoutCodec codec, guint ptime_ms, guint floor_ms)
{
  BellPlayout *p = g_new0 (BellPlayout, 1);

  ptime_ms = ptime_ms ? CLAMP (ptime_ms, 10, 120) : 20;
  p->codec = codec;
  p->n = ptime_ms * BELL_PLAYOUT_RATE / 1000;
  p->ptime_us = (gint64) ptime_ms * 1000;
  p->floor_ms = floor_ms;
  p->target = bell_jitter_target_new (BELL_PLAYOUT_RATE);
  p->plc = bell_plc_new ();
  p->start_us = -1;
  p->probation = -1;
  return p;
}

void
bell_playout_free (BellPlayout *p)
{
  if (!p)
    return;
  bell_jitter_target_free (p->target);
  bell_plc_free (p->plc);
  g_free (p);
}

guint
bell_playout_get_frame_samples (const BellPlayout *p)
{
  return p->n;
}

gint64
bell_playout_get_start_us (const BellPlayout *p)
{
  return p->start_us;
}

guint
bell_playout_get_target_ms (const BellPlayout *p)
{
  return MAX (bell_jitter_target_get_ms (p->target), p->floor_ms) + p->wait_ms;
}

void
bell_playout_set_wait_ms (BellPlayout *p, guint wait_ms)
{
  p->wait_ms = wait_ms;
}

void
bell_playout_get_stats (const BellPlayout *p, BellPlayoutStats *stats)
{
  *stats = p->stats;
}

static gint64
target_us (const BellPlayout *p)
{
  return (gint64) bell_playout_get_target_ms (p) * 1000;
}

/* The store */

static void
remove_at (BellPlayout *p, guint i)
{
  p->slots[p->order[i]].used = FALSE;
  memmove (p->order + i, p->order + i + 1, p->count - i - 1);
  p->count--;
}

static void
clear_store (BellPlayout *p)
{
  while (p->count > 0)
    remove_at (p, p->count - 1);
}

/* Keeps the packet in sequence order; FALSE when the store is full and it would be the last. */
static gboolean
store (BellPlayout *p, gint64 seq, gint64 ts, gint64 arrival, const guint8 *data, guint len)
{
  guint i, free_slot = 0;

  if (p->count == SLOTS)
    {
      if (seq > p->slots[p->order[SLOTS - 1]].seq)
        return FALSE;
      remove_at (p, SLOTS - 1);   /* the newest waits longest: it goes before an older one */
    }
  while (p->slots[free_slot].used)
    free_slot++;
  for (i = p->count; i > 0 && p->slots[p->order[i - 1]].seq > seq; i--)
    p->order[i] = p->order[i - 1];
  p->order[i] = (guint8) free_slot;
  p->count++;
  p->slots[free_slot] = (Slot) { TRUE, seq, ts, arrival, len, { 0 } };
  memcpy (p->slots[free_slot].data, data, len);
  return TRUE;
}

/* Packets all of whose samples come before ts are of no more use. */
static void
drop_before (BellPlayout *p, gint64 ts)
{
  for (guint i = 0; i < p->count;)
    {
      Slot *s = &p->slots[p->order[i]];
      if (s->ts + s->len <= ts)
        remove_at (p, i);
      else
        i++;
    }
}

/* Codes for the n samples from ts on; TRUE when packets cover them all. */
static gboolean
assemble (BellPlayout *p, gint64 ts, guint8 *codes)
{
  guint covered = 0;

  /* The usual case: one packet is exactly the frame. */
  for (guint i = 0; i < p->count && i < 2; i++)
    {
      Slot *s = &p->slots[p->order[i]];
      if (s->ts == ts && s->len >= p->n)
        {
          memcpy (codes, s->data, p->n);
          return TRUE;
        }
    }
  memset (p->covered, 0, p->n);
  for (guint i = 0; i < p->count; i++)
    {
      Slot *s = &p->slots[p->order[i]];
      gint64 from = MAX (s->ts, ts), to = MIN (s->ts + s->len, ts + p->n);

      for (gint64 t = from; t < to; t++)
        {
          codes[t - ts] = s->data[t - s->ts];
          covered += !p->covered[t - ts];
          p->covered[t - ts] = 1;
        }
    }
  return covered == p->n;
}

static void
decode (BellPlayout *p, const guint8 *codes, gint16 *pcm)
{
  if (p->codec == BELL_PLAYOUT_PCMA)
    bell_g711_alaw_decode_buf (codes, p->n, pcm);
  else
    bell_g711_ulaw_decode_buf (codes, p->n, pcm);
}

/* Headroom */

static void
window_clear (BellPlayout *p, gint64 arrival)
{
  p->win_head = 0;
  p->win_count = 0;
  p->window_since = arrival;
  p->over_since = 0;
}

static void
window_add (BellPlayout *p, gint64 arrival, gint64 transit)
{
  if (p->last_arrival && arrival - p->last_arrival > PAUSE_US)
    window_clear (p, arrival);
  if (p->win_count == 0 && p->window_since == 0)
    p->window_since = arrival;
  p->last_arrival = MAX (p->last_arrival, arrival);
  /* Older samples with a higher transit can never be the minimum again. */
  while (p->win_count > 0 &&
         p->window[(p->win_head + p->win_count - 1) % WINDOW_CAP].transit >= transit)
    p->win_count--;
  while (p->win_count > 0 &&
         (p->win_count == WINDOW_CAP || arrival - p->window[p->win_head].arrival > WINDOW_US))
    {
      p->win_head = (p->win_head + 1) % WINDOW_CAP;
      p->win_count--;
    }
  p->window[(p->win_head + p->win_count) % WINDOW_CAP] = (Sample) { arrival, transit };
  p->win_count++;
}

/* How long before its time the quickest packet of the window came, as the playout stands;
 * FALSE when the window says nothing yet (too short, or nothing came lately). */
static gboolean
headroom (BellPlayout *p, gint64 now, gint64 *headroom_us)
{
  while (p->win_count > 1 && p->last_arrival - p->window[p->win_head].arrival > WINDOW_US)
    {
      p->win_head = (p->win_head + 1) % WINDOW_CAP;
      p->win_count--;
    }
  if (p->win_count == 0 || p->last_arrival - p->window_since < MIN_SPAN_US ||
      now - p->last_arrival > STALE_US)
    return FALSE;
  /* A packet plays at next_tick + (ts - play_ts) × 125 µs and arrived at transit + ts × 125. */
  *headroom_us = p->next_tick - p->play_ts * US_PER_SAMPLE - p->window[p->win_head].transit;
  return TRUE;
}

/* Packets in */

static void
resync (BellPlayout *p, gint64 arrival)
{
  clear_store (p);
  p->have_seq = FALSE;
  p->probation = -1;
  p->late_since = 0;
  p->state = WAITING;
  p->start_us = arrival + target_us (p);
  p->last_arrival = 0;
  p->window_since = 0;
  window_clear (p, 0);
}

void
bell_playout_put (BellPlayout *p, guint16 seq, guint32 timestamp, gboolean marker,
                  const guint8 *payload, gsize len, gint64 arrival_us)
{
  gint64 ext_seq, ext_ts;
  guint64 age;

  if (len == 0)
    return;
  if (len > MAX_PAYLOAD)
    {
      p->stats.discarded++;
      return;
    }
  if (p->state == IDLE)
    resync (p, arrival_us);
  if (!p->have_seq)
    {
      p->have_seq = TRUE;
      p->max_seq = seq;
      p->seen = 0;
      p->ref_ts = timestamp;
    }
  ext_seq = p->max_seq + (gint16) (seq - (guint16) p->max_seq);
  if (ABS (ext_seq - p->max_seq) > MAX_SEQ_JUMP)
    {
      /* A stray packet, or a new stream: the next one tells (RFC 3550 A.1's probation). */
      if (p->probation != seq)
        {
          p->probation = (guint16) (seq + 1);
          p->stats.discarded++;
          return;
        }
      resync (p, arrival_us);
      bell_playout_put (p, seq, timestamp, marker, payload, len, arrival_us);
      return;
    }
  p->probation = -1;
  ext_ts = p->ref_ts + (gint32) (timestamp - (guint32) p->ref_ts);
  age = (guint64) (p->max_seq - ext_seq);
  if (ext_seq <= p->max_seq && age < 64 && (p->seen & (G_GUINT64_CONSTANT (1) << age)))
    {
      p->stats.duplicates++;
      return;
    }
  if (p->state == PLAYING &&
      (ext_ts > p->play_ts + RESYNC_SAMPLES || ext_ts + (gint64) len < p->play_ts - RESYNC_SAMPLES))
    {
      resync (p, arrival_us);   /* the timestamps started again elsewhere */
      bell_playout_put (p, seq, timestamp, marker, payload, len, arrival_us);
      return;
    }
  if (ext_seq > p->max_seq)
    {
      guint shift = (guint) (ext_seq - p->max_seq);
      p->seen = shift >= 64 ? 0 : p->seen << shift;
      p->max_seq = ext_seq;
      p->ref_ts = ext_ts;
      age = 0;
    }
  if (age < 64)
    p->seen |= G_GUINT64_CONSTANT (1) << age;

  bell_jitter_target_update (p->target, arrival_us, timestamp);
  window_add (p, arrival_us, arrival_us - ext_ts * US_PER_SAMPLE);

  if (p->state == PLAYING && ext_ts + (gint64) len <= p->play_ts)
    {
      /* Its time has been played already. Only late packets for a while: the sender's
       * timeline moved back (it restarted its clock); take it up again. */
      p->stats.late++;
      if (!p->late_since)
        p->late_since = arrival_us;
      else if (arrival_us - p->late_since > LATE_RUN_US)
        {
          resync (p, arrival_us);
          bell_playout_put (p, seq, timestamp, marker, payload, len, arrival_us);
        }
      return;
    }
  p->late_since = 0;
  /* The first packet of a talkspurt after silence (nothing buffered, concealment run out):
   * the delay can be set right again for free, nothing audible moves. */
  if (marker && p->state == PLAYING && p->count == 0 && bell_plc_get_erased (p->plc) > 0)
    {
      gint64 due = arrival_us + target_us (p);
      gint64 frames = (due - p->next_tick + p->ptime_us / 2) / p->ptime_us;
      gint64 start_ts = ext_ts - frames * p->n;

      if (start_ts != p->play_ts)
        {
          p->play_ts = start_ts;
          p->over_since = 0;
        }
    }
  if (!store (p, ext_seq, ext_ts, arrival_us, payload, (guint) len))
    p->stats.discarded++;
}

/* Frames out */

static gboolean
quiet (const gint16 *pcm, guint n)
{
  guint64 sum = 0;

  for (guint i = 0; i < n; i++)
    sum += (guint) ABS (pcm[i]);
  return sum < (guint64) QUIET_LEVEL * n;
}

/* How alike the blend's length of samples from a and from b are (normalised correlation). */
static double
likeness (const gint16 *a, const gint16 *b)
{
  double ab = 0, aa = 0, bb = 0;

  for (guint i = 0; i < BELL_PLAYOUT_STEP; i++)
    {
      ab += (double) a[i] * b[i];
      aa += (double) a[i] * a[i];
      bb += (double) b[i] * b[i];
    }
  return aa > 0 && bb > 0 ? ab / sqrt (aa * bb) : 1.0;
}

/* Of the lengths from half a step to a step and a half, the one over which the signal at the
 * end of pcm (n samples) looks most like itself: whole pitch periods. A plain step when
 * nothing repeats. */
static guint
period_near_step (const gint16 *pcm, guint n, gboolean at_end)
{
  guint lo = BELL_PLAYOUT_STEP / 2, hi = MIN (BELL_PLAYOUT_STEP_MAX, n - BELL_PLAYOUT_STEP);
  guint best_len = BELL_PLAYOUT_STEP;
  double best = -2;

  /* From a step outwards: a flat signal keeps the plain step. */
  for (guint d = 0; d <= BELL_PLAYOUT_STEP / 2; d++)
    for (gint sign = 1; sign >= -1; sign -= 2)
      {
        guint c = (guint) ((gint) BELL_PLAYOUT_STEP + sign * (gint) d);
        double l;

        if (c < lo || c > hi || (d == 0 && sign < 0))
          continue;
        l = at_end ? likeness (pcm + n - BELL_PLAYOUT_STEP, pcm + n - BELL_PLAYOUT_STEP - c)
                   : likeness (pcm, pcm + c);
        if (l > best)
          {
            best = l;
            best_len = c;
          }
      }
  return best_len;
}

/* The decoded frame in pcm made longer by whole pitch periods near a step: its last period
 * played again. Its end blends into the samples a period earlier, which lead on to the
 * period repeated, whose end is the frame's end again (so the next frame follows on). Returns
 * the new length. */
static guint
lengthen (BellPlayout *p, gint16 *pcm)
{
  guint n = p->n, add = period_near_step (pcm, n, TRUE);
  gint16 tail[BELL_PLAYOUT_STEP_MAX];

  memcpy (tail, pcm + n - add, add * sizeof (gint16));
  for (guint i = 0; i < BELL_PLAYOUT_STEP; i++)
    {
      guint at = n - BELL_PLAYOUT_STEP + i;
      gint w = (gint) ((i + 1) * 256 / (BELL_PLAYOUT_STEP + 1));
      pcm[at] = (gint16) ((pcm[at] * (256 - w) + pcm[at - add] * w) / 256);
    }
  memcpy (pcm + n, tail, add * sizeof (gint16));
  bell_plc_good (p->plc, pcm + n, add);
  return n + add;
}

/* The frame in pcm played about a step shorter: its start blended into the samples `cut`
 * later, with cut the number near a step (half to one and a half) at which the signal looks
 * most like itself, whole pitch periods, so that a voice or a tone keeps its phase through
 * the blend rather than dipping. The start still follows on from what was just played, the
 * end leads into the next frame. On a quiet frame if one comes soon, unless far too much is
 * buffered (a burst). Returns the samples left. */
static guint
shorten (BellPlayout *p, gint64 now, gint16 *pcm, gboolean urgent)
{
  guint cut;

  if (!urgent && !quiet (pcm, p->n) && now - p->over_since < OVER_FOR_US + QUIET_WAIT_US)
    return p->n;
  cut = period_near_step (pcm, p->n, FALSE);
  for (guint i = 0; i < p->n - cut; i++)
    {
      gint w = i < BELL_PLAYOUT_STEP ? (gint) ((i + 1) * 256 / (BELL_PLAYOUT_STEP + 1)) : 256;
      pcm[i] = (gint16) ((pcm[i] * (256 - w) + pcm[i + cut] * w) / 256);
    }
  p->stats.dropped_for_drift++;
  if (!urgent)
    p->over_since = 0;
  return p->n - cut;
}

static void
anchor (BellPlayout *p, gint64 now)
{
  gint64 first = G_MAXINT64;

  for (guint i = 0; i < p->count; i++)
    first = MIN (first, p->slots[p->order[i]].ts);
  p->play_ts = first;
  p->next_tick = now;
  p->state = PLAYING;
}

guint
bell_playout_get (BellPlayout *p, gint64 now_us, gint16 *pcm)
{
  /* The band the headroom may move in unchecked: from the jitter target (less a little) to a
   * step above the target. With a floor (a recording, where no one waits), the floor is
   * headroom to spare, not a delay to hold: the band widens by it, so that a core thread late
   * for a packet or two never makes a recording lose or gain audio. */
  gint64 room = 0, low, high;
  gboolean known, real;
  guint len = p->n;

  if (p->state == WAITING && now_us >= p->start_us && p->count > 0)
    anchor (p, now_us);
  if (p->state != PLAYING)
    {
      bell_plc_conceal (p->plc, pcm, p->n);
      p->stats.concealed++;
      return p->n;
    }
  p->next_tick = now_us;
  known = headroom (p, now_us, &room);
  real = assemble (p, p->play_ts, p->codes);
  if (real)
    {
      decode (p, p->codes, pcm);
      bell_plc_good (p->plc, pcm, p->n);
      p->stats.played++;
    }
  else
    {
      bell_plc_conceal (p->plc, pcm, p->n);
      p->stats.concealed++;
    }
  p->play_ts += p->n;
  drop_before (p, p->play_ts);

  low = (gint64) (bell_jitter_target_get_ms (p->target) + p->wait_ms) * 1000 - SLACK_US;
  high = target_us (p) + (gint64) p->floor_ms * 1000 + BELL_PLAYOUT_STEP * US_PER_SAMPLE + SLACK_US;
  if (!known || (room >= low && room <= high))
    p->over_since = 0;
  else if (room < low)
    {
      /* Too little delay: the frame comes out about a step longer; the frames after it come
       * that much later. */
      len = real ? lengthen (p, pcm) : p->n + BELL_PLAYOUT_STEP;
      if (!real)
        bell_plc_conceal (p->plc, pcm + p->n, BELL_PLAYOUT_STEP);
      p->stats.added_for_drift++;
    }
  else if (!p->over_since)
    p->over_since = now_us;
  else if (now_us - p->over_since >= OVER_FOR_US)
    len = shorten (p, now_us, pcm, room > high + FAR_ABOVE_US);
  p->next_tick = now_us + (gint64) len * US_PER_SAMPLE;
  return len;
}
