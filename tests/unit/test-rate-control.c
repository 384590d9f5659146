/* test-rate-control.c: the sender's bitrate, FEC and RED distance follow replayed traces of
 * receiver reports: a clean path keeps the top rate, sustained loss or a climbing RTT brings it
 * down and the protection up within a few reports, one bad report moves nothing, a steady
 * loss does not make it oscillate, and everything comes back when the path clears. */
#include "media/bell-rate-control.h"

#include <math.h>

#define SECOND G_USEC_PER_SEC
#define REPORT_US (2 * SECOND)   /* a receiver report every 2 s */

typedef struct
{
  BellRateControl *control;
  gint64 now;
  guint  changes;     /* decisions changed so far */
  guint  max_bitrate; /* the highest bitrate decided */
  guint  max_step_up; /* the largest single rise */
} Trace;

static void
trace_init (Trace *t, BellRateCodecKind kind, gboolean low_bandwidth, guint max_bitrate)
{
  BellRateControlConfig config = {
    .kind = kind, .low_bandwidth = low_bandwidth, .max_bitrate = max_bitrate,
  };

  t->control = bell_rate_control_new (&config);
  t->now = 1000 * SECOND;
  t->changes = 0;
  t->max_bitrate = bell_rate_control_get (t->control)->bitrate;
  t->max_step_up = 0;
}

static void
trace_clear (Trace *t)
{
  g_clear_pointer (&t->control, bell_rate_control_free);
}

/* n reports every 2 s, all with the same figures. */
static void
feed (Trace *t, guint n, double loss, double rtt_ms, double jitter_ms)
{
  for (guint i = 0; i < n; i++)
    {
      guint before = bell_rate_control_get (t->control)->bitrate, after;

      t->now += REPORT_US;
      if (bell_rate_control_report (t->control, t->now, loss, rtt_ms, jitter_ms))
        t->changes++;
      after = bell_rate_control_get (t->control)->bitrate;
      t->max_bitrate = MAX (t->max_bitrate, after);
      if (after > before)
        t->max_step_up = MAX (t->max_step_up, after - before);
    }
}

static const BellRateDecision *
decision (Trace *t)
{
  return bell_rate_control_get (t->control);
}

static void
test_clean (void)
{
  Trace t;

  trace_init (&t, BELL_RATE_CODEC_OPUS, FALSE, 0);
  g_assert_cmpuint (decision (&t)->bitrate, ==, BELL_RATE_CONTROL_MAX_BITRATE);
  feed (&t, 60, 0.0, 40, 5);
  g_assert_cmpuint (t.changes, ==, 0);
  g_assert_cmpuint (decision (&t)->bitrate, ==, BELL_RATE_CONTROL_MAX_BITRATE);
  g_assert_true (decision (&t)->fec);
  g_assert_cmpuint (decision (&t)->loss_percentage, ==, 1);
  g_assert_cmpuint (decision (&t)->red_distance, ==, 0);
  trace_clear (&t);
}

static void
test_sustained_loss (void)
{
  Trace t;

  trace_init (&t, BELL_RATE_CODEC_OPUS, FALSE, 0);
  feed (&t, 10, 0.0, 40, 5);
  /* The first lossy report alone is not yet sustained. */
  feed (&t, 1, 0.30, 40, 5);
  g_assert_cmpuint (t.changes, ==, 0);
  /* Within a few more: fewer bits, protection for most of the loss seen... */
  feed (&t, 3, 0.30, 40, 5);
  g_assert_cmpuint (decision (&t)->bitrate, <, BELL_RATE_CONTROL_MAX_BITRATE);
  g_assert_cmpuint (decision (&t)->loss_percentage, >=, 25);
  g_assert_true (decision (&t)->fec);
  /* ...then for all of it. Loss alone stops the bitrate where the FEC still fits wideband
   * speech, not at the minimum. */
  feed (&t, 20, 0.30, 40, 5);
  g_assert_cmpuint (decision (&t)->bitrate, ==, 20000);
  g_assert_cmpuint (decision (&t)->loss_percentage, ==, 30);
  g_assert_true (decision (&t)->fec);
  trace_clear (&t);
}

static void
test_single_bad_report (void)
{
  Trace t;

  trace_init (&t, BELL_RATE_CODEC_OPUS, FALSE, 0);
  feed (&t, 10, 0.0, 40, 5);
  feed (&t, 1, 0.40, 40, 5);
  feed (&t, 10, 0.0, 40, 5);
  feed (&t, 1, 0.60, 40, 5);
  feed (&t, 2, 0.01, 40, 5);
  feed (&t, 1, 0.50, 40, 5);
  feed (&t, 10, 0.0, 40, 5);
  g_assert_cmpuint (t.changes, ==, 0);
  g_assert_cmpuint (decision (&t)->bitrate, ==, BELL_RATE_CONTROL_MAX_BITRATE);
  g_assert_cmpuint (decision (&t)->loss_percentage, ==, 1);
  trace_clear (&t);
}

static void
test_recovery (void)
{
  Trace t;
  guint low;

  trace_init (&t, BELL_RATE_CODEC_OPUS, FALSE, 0);
  feed (&t, 15, 0.30, 40, 5);
  low = decision (&t)->bitrate;
  g_assert_cmpuint (low, ==, 20000);

  /* Clean again: nothing moves for the first seconds (the loss may come back)... */
  feed (&t, 3, 0.0, 40, 5);
  g_assert_cmpuint (decision (&t)->bitrate, ==, low);
  g_assert_cmpuint (decision (&t)->loss_percentage, ==, 30);
  /* ...then the rate climbs in small steps and the protection falls back to its floor. */
  feed (&t, 30, 0.0, 40, 5);
  g_assert_cmpuint (decision (&t)->bitrate, ==, BELL_RATE_CONTROL_MAX_BITRATE);
  g_assert_cmpuint (decision (&t)->loss_percentage, ==, 1);
  g_assert_cmpuint (t.max_step_up, <=, 8000);
  trace_clear (&t);
}

/* A queue filling: the RTT climbs from 40 to 600 ms with no loss at all. */
static void
test_rtt_climb (void)
{
  Trace t;

  trace_init (&t, BELL_RATE_CODEC_OPUS, FALSE, 0);
  feed (&t, 10, 0.0, 40, 5);
  for (guint i = 1; i <= 10; i++)
    feed (&t, 1, 0.0, 40 + 56 * i, 5);
  g_assert_cmpuint (decision (&t)->bitrate, <=, 20000);
  feed (&t, 10, 0.0, 600, 5);
  g_assert_cmpuint (decision (&t)->bitrate, ==, BELL_RATE_CONTROL_MIN_BITRATE);
  /* So few bits leave no room for FEC, and no loss asks for it. */
  g_assert_false (decision (&t)->fec);
  g_assert_cmpuint (decision (&t)->loss_percentage, ==, 1);

  /* The queue drains: back up. */
  feed (&t, 40, 0.0, 45, 5);
  g_assert_cmpuint (decision (&t)->bitrate, ==, BELL_RATE_CONTROL_MAX_BITRATE);
  g_assert_true (decision (&t)->fec);
  trace_clear (&t);
}

/* A long path is not congestion: a steady 300 ms, with the ordinary wobble, moves nothing. */
static void
test_rtt_steady_long (void)
{
  Trace t;

  trace_init (&t, BELL_RATE_CODEC_OPUS, FALSE, 0);
  for (guint i = 0; i < 60; i++)
    feed (&t, 1, 0.0, 300 + (i % 5) * 20, 5);
  g_assert_cmpuint (t.changes, ==, 0);
  trace_clear (&t);
}

/* Without an RTT (no LSR echoed), the far end's jitter of our stream shows the queue. */
static void
test_jitter_climb (void)
{
  Trace t;

  trace_init (&t, BELL_RATE_CODEC_OPUS, FALSE, 0);
  feed (&t, 10, 0.0, -1, 4);
  feed (&t, 5, 0.0, -1, 80);
  g_assert_cmpuint (decision (&t)->bitrate, <, BELL_RATE_CONTROL_MAX_BITRATE);
  trace_clear (&t);
}

/* Binomial: lost packets of n sent with loss probability p. */
static double
binomial_fraction (GRand *rand, guint n, double p)
{
  guint lost = 0;

  for (guint i = 0; i < n; i++)
    lost += g_rand_double (rand) < p;
  return (double) lost / n;
}

/* A steady 5 % loss, as reports of 100 packets each show it (2 % to 10 % and more): the
 * protection settles once and stays, the rate does not move. Twenty different traces. */
static void
test_steady_loss (void)
{
  for (guint32 seed = 1; seed <= 20; seed++)
    {
      g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
      Trace t;

      trace_init (&t, BELL_RATE_CODEC_OPUS, FALSE, 0);
      for (guint i = 0; i < 150; i++)   /* 5 minutes */
        feed (&t, 1, binomial_fraction (rand, 100, 0.05), 40, 5);
      g_assert_cmpuint (t.changes, <=, 2);
      g_assert_cmpuint (decision (&t)->bitrate, ==, BELL_RATE_CONTROL_MAX_BITRATE);
      g_assert_cmpuint (decision (&t)->loss_percentage, >=, 5);
      g_assert_cmpuint (decision (&t)->loss_percentage, <=, 10);
      trace_clear (&t);
    }
}

/* A steady heavy loss: the rate only goes down (to the floor loss allows), the protection
 * only up; neither turns back while the loss stays. */
static void
test_steady_heavy_loss (void)
{
  for (guint32 seed = 1; seed <= 10; seed++)
    {
      g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
      guint bitrate = BELL_RATE_CONTROL_MAX_BITRATE, protect = 1;
      Trace t;

      trace_init (&t, BELL_RATE_CODEC_OPUS, FALSE, 0);
      for (guint i = 0; i < 150; i++)
        {
          feed (&t, 1, binomial_fraction (rand, 100, 0.20), 40, 5);
          g_assert_cmpuint (decision (&t)->bitrate, <=, bitrate);
          g_assert_cmpuint (decision (&t)->loss_percentage, >=, protect);
          bitrate = decision (&t)->bitrate;
          protect = decision (&t)->loss_percentage;
        }
      g_assert_cmpuint (bitrate, ==, 20000);
      g_assert_cmpuint (protect, >=, 20);
      g_assert_cmpuint (protect, <=, 30);
      trace_clear (&t);
    }
}

static void
test_low_bandwidth (void)
{
  BellRateControlConfig config = {
    .kind = BELL_RATE_CODEC_OPUS, .low_bandwidth = TRUE, .start_bitrate = 64000,
  };
  g_autoptr(BellRateControl) control = bell_rate_control_new (&config);
  Trace t;

  /* A start above the cap is held to it. */
  g_assert_cmpuint (bell_rate_control_get (control)->bitrate, ==,
                    BELL_RATE_CONTROL_LOW_BANDWIDTH_BITRATE);

  trace_init (&t, BELL_RATE_CODEC_OPUS, TRUE, 0);
  g_assert_cmpuint (decision (&t)->bitrate, ==, BELL_RATE_CONTROL_LOW_BANDWIDTH_BITRATE);
  feed (&t, 30, 0.0, 40, 5);
  feed (&t, 10, 0.30, 40, 5);
  feed (&t, 10, 0.0, 600, 5);
  g_assert_cmpuint (decision (&t)->bitrate, <, BELL_RATE_CONTROL_LOW_BANDWIDTH_BITRATE);
  feed (&t, 60, 0.0, 40, 5);
  g_assert_cmpuint (decision (&t)->bitrate, ==, BELL_RATE_CONTROL_LOW_BANDWIDTH_BITRATE);
  g_assert_cmpuint (t.max_bitrate, ==, BELL_RATE_CONTROL_LOW_BANDWIDTH_BITRATE);
  trace_clear (&t);

  /* The peer's maxaveragebitrate caps it too. */
  trace_init (&t, BELL_RATE_CODEC_OPUS, FALSE, 24000);
  feed (&t, 5, 0.0, 40, 5);
  feed (&t, 10, 0.0, 600, 5);
  feed (&t, 60, 0.0, 40, 5);
  g_assert_cmpuint (t.max_bitrate, ==, 24000);
  g_assert_cmpuint (decision (&t)->bitrate, ==, 24000);
  trace_clear (&t);
}

static void
test_red_distance (void)
{
  static const struct { double loss; guint distance; } points[] = {
    { 0.00, 0 }, { 0.05, 1 }, { 0.20, 2 }, { 0.40, 3 }, { 0.60, 3 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (points); i++)
    {
      Trace t;

      trace_init (&t, BELL_RATE_CODEC_FIXED, FALSE, 0);
      g_assert_cmpuint (decision (&t)->red_distance, ==, 0);
      feed (&t, 10, points[i].loss, 40, 5);
      g_assert_cmpuint (decision (&t)->red_distance, ==, points[i].distance);
      g_assert_cmpuint (decision (&t)->bitrate, ==, 0);
      g_assert_false (decision (&t)->fec);
      trace_clear (&t);
    }

  /* p^(d+1) <= 2.5 %. */
  g_assert_cmpuint (bell_rate_control_red_distance (1), ==, 0);
  g_assert_cmpuint (bell_rate_control_red_distance (2), ==, 0);
  g_assert_cmpuint (bell_rate_control_red_distance (5), ==, 1);
  g_assert_cmpuint (bell_rate_control_red_distance (15), ==, 1);
  g_assert_cmpuint (bell_rate_control_red_distance (20), ==, 2);
  g_assert_cmpuint (bell_rate_control_red_distance (25), ==, 2);
  g_assert_cmpuint (bell_rate_control_red_distance (30), ==, 3);
  g_assert_cmpuint (bell_rate_control_red_distance (100), ==, 3);
}

/* Loss with a filling queue is congestion: redundancy would only add to it. And when the path
 * clears the distance comes back down. */
static void
test_red_congestion (void)
{
  Trace t;

  trace_init (&t, BELL_RATE_CODEC_FIXED, FALSE, 0);
  feed (&t, 10, 0.0, 40, 5);
  feed (&t, 5, 0.40, 40, 5);
  g_assert_cmpuint (decision (&t)->red_distance, ==, 3);
  feed (&t, 5, 0.40, 600, 5);
  g_assert_cmpuint (decision (&t)->red_distance, ==, 1);
  feed (&t, 30, 0.0, 40, 5);
  g_assert_cmpuint (decision (&t)->red_distance, ==, 0);
  trace_clear (&t);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rate-control/clean", test_clean);
  g_test_add_func ("/rate-control/sustained-loss", test_sustained_loss);
  g_test_add_func ("/rate-control/single-bad-report", test_single_bad_report);
  g_test_add_func ("/rate-control/recovery", test_recovery);
  g_test_add_func ("/rate-control/rtt-climb", test_rtt_climb);
  g_test_add_func ("/rate-control/rtt-steady-long", test_rtt_steady_long);
  g_test_add_func ("/rate-control/jitter-climb", test_jitter_climb);
  g_test_add_func ("/rate-control/steady-loss", test_steady_loss);
  g_test_add_func ("/rate-control/steady-heavy-loss", test_steady_heavy_loss);
  g_test_add_func ("/rate-control/low-bandwidth", test_low_bandwidth);
  g_test_add_func ("/rate-control/red-distance", test_red_distance);
  g_test_add_func ("/rate-control/red-congestion", test_red_congestion);
  return g_test_run ();
}
