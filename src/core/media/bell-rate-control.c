/* bell-rate-control.c: the sender's bitrate and protection from receiver reports (see the
 * header). */
#define G_LOG_DOMAIN "bell-media"

#include "bell-rate-control.h"

#include <math.h>

/* Loss: the middle one of the last three reports' fractions, so that a loss counts once two
 * reports in a row show it and one bad report counts for nothing; smoothed over about 6 s,
 * since a report covers only some hundred packets: at a steady 5 %, single reports read
 * anywhere from 1 % to 12 %. */
#define LOSS_TAU_US        (6 * G_USEC_PER_SEC)
#define LOSS_DECREASE      0.10   /* smoothed and sustained loss above this: fewer bits */
#define LOSS_CLEAN         0.02   /* a report at most this lossy counts as clean */
#define DECREASE_FACTOR    0.75
#define DECREASE_GAP_US    (1 * G_USEC_PER_SEC)   /* reports can come in bursts: one cut each */
#define INCREASE_STEP      8000
#define INCREASE_GAP_US    (4 * G_USEC_PER_SEC)
#define CLEAN_HOLD_US      (8 * G_USEC_PER_SEC)   /* clean this long before climbing */
/* Loss alone does not cut Opus below this: libopus codes in-band FEC (LBRR) only above 12, 14
 * and 16 kbit/s for narrow-, medium- and wideband speech at 25 % loss or more, and up to a
 * quarter above that at less (fec_thresholds and decide_fec() in its opus_encoder.c), so at
 * 20 kbit/s it still protects wideband speech at any loss, while fewer bits would only trade
 * the FEC away. Random loss (radio) is not cured by sending less; congestion also shows in the
 * round-trip time, which may take the bitrate down to the minimum. */
#define LOSS_FLOOR_BITRATE 20000
#define FEC_MIN_BITRATE    12000  /* below libopus's lowest LBRR threshold: FEC would be empty */
/* A round-trip time this far above the lowest of the last two minutes: queues are filling.
 * 100 ms is more than a path's own jitter adds; half the base covers long paths. */
#define RTT_RISE_MS        100.0
#define RTT_RISE_SHARE     0.5
#define JITTER_RISE_MS     30.0   /* the same signal from jitter, when no RTT is known */
#define BASE_BUCKET_US     (10 * G_USEC_PER_SEC)
#define BASE_BUCKETS       12     /* the base is the minimum of the last 2 minutes */
/* Protection: 5 % steps, at least 1 %. It follows the smoothed loss up at once, and a sudden
 * jump of the sustained loss without waiting for the smoothing, less the most that counting
 * noise adds to one report (about 3 standard deviations at 100 packets and 5 %). It is
 * lowered after 20 s in which the smoothed loss stayed at most a third of a lower step's top
 * (a wide band: noise around a steady loss must not move it back and forth). */
#define PROTECT_STEP       5
#define PROTECT_FLOOR      1
#define PROTECT_JUMP       0.075
#define PROTECT_DOWN_US    (20 * G_USEC_PER_SEC)
#define PROTECT_MARGIN     3.0
#define HISTORY            64     /* smoothed losses kept: > 20 s of reports every 0.5 s */
/* RFC 2198: with distance d every packet also carries the d frames before it, so a frame is
 * lost only when its packet and the d after it all are: p^(d+1) under random loss p. 2.5 %
 * left over keeps G.711 with concealment at R ≈ 84 in the E-model (Bpl 25.1), users
 * "satisfied" by G.109, with a margin for delay. */
#define RED_RESIDUAL       0.025

typedef struct
{
  gint64 start[BASE_BUCKETS];
  double min[BASE_BUCKETS];
} WindowMin;

typedef struct
{
  gint64 time;
  double loss;
} Smoothed;

struct _BellRateControl
{
  BellRateControlConfig config;
  guint    max_bitrate;
  guint    loss_floor;
  BellRateDecision decision;

  gboolean have_prev;
  double   prev_loss;
  double   prev2_loss;   /* the one before (0 until there was one) */
  gboolean prev_delay_high;

  double   loss_avg;            /* the smoothed sustained loss */
  gint64   prev_time;
  Smoothed history[HISTORY];    /* ring, oldest at head */
  guint    head;
  guint    count;
  gint64   protect_raised;

  WindowMin rtt_base;
  WindowMin jitter_base;

  gboolean clean;
  gint64   clean_since;
  gboolean decreased;
  gint64   last_decrease;
  gboolean increased;
  gint64   last_increase;
};

static void
window_min_init (WindowMin *w)
{
  for (guint i = 0; i < BASE_BUCKETS; i++)
    w->start[i] = G_MININT64;
}

static void
window_min_add (WindowMin *w, gint64 now, double v)
{
  gint64 start = now - now % BASE_BUCKET_US;
  guint i = (guint) ((start / BASE_BUCKET_US) % BASE_BUCKETS);

  if (w->start[i] != start)
    {
      w->start[i] = start;
      w->min[i] = v;
    }
  else
    w->min[i] = MIN (w->min[i], v);
}

static double
window_min_get (const WindowMin *w, gint64 now)
{
  double m = G_MAXDOUBLE;

  for (guint i = 0; i < BASE_BUCKETS; i++)
    if (w->start[i] != G_MININT64 && w->start[i] > now - BASE_BUCKETS * BASE_BUCKET_US)
      m = MIN (m, w->min[i]);
  return m;
}

BellRateControl *
bell_rate_control_new (const BellRateControlConfig *config)
{
  BellRateControl *c;
  guint max;

  g_return_val_if_fail (config != NULL, NULL);

  c = g_new0 (BellRateControl, 1);
  c->config = *config;
  max = config->low_bandwidth ? BELL_RATE_CONTROL_LOW_BANDWIDTH_BITRATE
                              : BELL_RATE_CONTROL_MAX_BITRATE;
  if (config->max_bitrate > 0)
    max = MIN (max, config->max_bitrate);
  c->max_bitrate = MAX (max, BELL_RATE_CONTROL_MIN_BITRATE);
  c->loss_floor = MIN (LOSS_FLOOR_BITRATE, c->max_bitrate);

  if (config->kind == BELL_RATE_CODEC_OPUS)
    {
      c->decision.bitrate = config->start_bitrate ? CLAMP (config->start_bitrate,
                                                           BELL_RATE_CONTROL_MIN_BITRATE,
                                                           c->max_bitrate)
                                                  : c->max_bitrate;
      c->decision.fec = c->decision.bitrate >= FEC_MIN_BITRATE;
    }
  c->decision.loss_percentage = PROTECT_FLOOR;
  window_min_init (&c->rtt_base);
  window_min_init (&c->jitter_base);
  return c;
}

void
bell_rate_control_free (BellRateControl *control)
{
  g_free (control);
}

const BellRateDecision *
bell_rate_control_get (const BellRateControl *control)
{
  g_return_val_if_fail (control != NULL, NULL);
  return &control->decision;
}

guint
bell_rate_control_red_distance (guint loss_percentage)
{
  double p = MIN (loss_percentage, 100) / 100.0;
  guint d;

  for (d = 0; d < BELL_RATE_CONTROL_MAX_RED_DISTANCE; d++)
    if (pow (p, d + 1) <= RED_RESIDUAL)
      break;
  return d;
}

/* The protection step for a loss (0..1; beyond either end after a margin). */
static guint
protect_level (double loss)
{
  double pct = loss * 100.0;

  /* What counts as a clean path (LOSS_CLEAN) needs no more than the floor. */
  if (pct <= LOSS_CLEAN * 100.0)
    return PROTECT_FLOOR;
  /* The small tolerance keeps a loss of exactly 5 % at 5, not 10, despite rounding. */
  return MIN (100, (guint) ceil (pct / PROTECT_STEP - 1e-9) * PROTECT_STEP);
}

static void
remember (BellRateControl *c, gint64 now, double loss)
{
  guint tail = (c->head + c->count) % HISTORY;

  c->history[tail].time = now;
  c->history[tail].loss = loss;
  if (c->count < HISTORY)
    c->count++;
  else
    c->head = (c->head + 1) % HISTORY;
}

static double
recent_max (const BellRateControl *c, gint64 now)
{
  double m = 0.0;

  for (guint i = 0; i < c->count; i++)
    {
      const Smoothed *s = &c->history[(c->head + i) % HISTORY];

      if (s->time > now - PROTECT_DOWN_US)
        m = MAX (m, s->loss);
    }
  return m;
}

static void
update_protection (BellRateControl *c, gint64 now, double sustained)
{
  guint level = MAX (protect_level (c->loss_avg), protect_level (sustained - PROTECT_JUMP));

  remember (c, now, c->loss_avg);
  if (level > c->decision.loss_percentage)
    {
      c->decision.loss_percentage = level;
      c->protect_raised = now;
      return;
    }
  if (now - c->protect_raised < PROTECT_DOWN_US)
    return;
  level = protect_level (recent_max (c, now) * PROTECT_MARGIN);
  if (level < c->decision.loss_percentage)
    c->decision.loss_percentage = level;
}

/* Whether this report shows queueing: RTT (or, without one, jitter) well above its base. */
static gboolean
delay_high (BellRateControl *c, gint64 now, double rtt_ms, double jitter_ms)
{
  double base;

  if (rtt_ms >= 0.0)
    {
      window_min_add (&c->rtt_base, now, rtt_ms);
      base = window_min_get (&c->rtt_base, now);
      return rtt_ms > base + MAX (RTT_RISE_MS, base * RTT_RISE_SHARE);
    }
  if (jitter_ms >= 0.0)
    {
      window_min_add (&c->jitter_base, now, jitter_ms);
      base = window_min_get (&c->jitter_base, now);
      return jitter_ms > base + JITTER_RISE_MS;
    }
  return FALSE;
}

static void
update_bitrate (BellRateControl *c, gint64 now, double loss, double sustained,
                gboolean delay_now, gboolean delay_sustained)
{
  BellRateDecision *d = &c->decision;

  if ((sustained > LOSS_DECREASE && c->loss_avg > LOSS_DECREASE) || delay_sustained)
    {
      guint floor_rate = delay_sustained ? BELL_RATE_CONTROL_MIN_BITRATE : c->loss_floor;
      guint cut = (guint) (d->bitrate * DECREASE_FACTOR) / 1000 * 1000;

      cut = MAX (cut, floor_rate);
      if (cut < d->bitrate && (!c->decreased || now - c->last_decrease >= DECREASE_GAP_US))
        {
          d->bitrate = cut;
          c->decreased = TRUE;
          c->last_decrease = now;
        }
    }

  if (loss > LOSS_CLEAN || delay_now)
    {
      c->clean = FALSE;
      return;
    }
  if (!c->clean)
    {
      c->clean = TRUE;
      c->clean_since = now;
    }
  if (now - c->clean_since >= CLEAN_HOLD_US && d->bitrate < c->max_bitrate
      && (!c->increased || now - c->last_increase >= INCREASE_GAP_US))
    {
      d->bitrate = MIN (c->max_bitrate, d->bitrate + INCREASE_STEP);
      c->increased = TRUE;
      c->last_increase = now;
    }
}

static double
median3 (double a, double b, double c)
{
  return MAX (MIN (a, b), MIN (MAX (a, b), c));
}

static gboolean
same_decision (const BellRateDecision *a, const BellRateDecision *b)
{
  return a->bitrate == b->bitrate && a->fec == b->fec
         && a->loss_percentage == b->loss_percentage && a->red_distance == b->red_distance;
}

gboolean
bell_rate_control_report (BellRateControl *c, gint64 now_us, double fraction_lost,
                          double rtt_ms, double jitter_ms)
{
  BellRateDecision before;
  double loss, sustained;
  gboolean delay_now, delay_sustained;

  g_return_val_if_fail (c != NULL, FALSE);

  before = c->decision;
  loss = fraction_lost >= 0.0 ? MIN (fraction_lost, 1.0) : 0.0;   /* also catches NaN */
  /* One bad report (a Wi-Fi hiccup, a burst when a call is put through) moves nothing. */
  sustained = c->have_prev ? median3 (loss, c->prev_loss, c->prev2_loss) : 0.0;
  if (c->have_prev)
    {
      double dt = CLAMP (now_us - c->prev_time, 0, 30 * G_USEC_PER_SEC);

      c->loss_avg += (sustained - c->loss_avg) * (1.0 - exp (-dt / (double) LOSS_TAU_US));
    }
  delay_now = delay_high (c, now_us, rtt_ms, jitter_ms);
  delay_sustained = delay_now && c->have_prev && c->prev_delay_high;

  update_protection (c, now_us, sustained);
  if (c->config.kind == BELL_RATE_CODEC_OPUS)
    {
      update_bitrate (c, now_us, loss, sustained, delay_now, delay_sustained);
      c->decision.fec = c->decision.bitrate >= FEC_MIN_BITRATE;
    }
  else
    {
      c->decision.red_distance = bell_rate_control_red_distance (c->decision.loss_percentage);
      /* Queues filling: the loss is congestion, and every redundant copy adds to it. */
      if (delay_sustained)
        c->decision.red_distance = MIN (c->decision.red_distance, 1);
    }

  c->have_prev = TRUE;
  c->prev2_loss = c->prev_loss;
  c->prev_loss = loss;
  c->prev_time = now_us;
  c->prev_delay_high = delay_now;
  return !same_decision (&before, &c->decision);
}
