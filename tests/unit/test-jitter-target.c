/* test-jitter-target.c: the jitter buffer's depth follows the jitter of packet traces: minimum
 * on a clean path, deeper within a second when jitter appears, back after calm, and unmoved by
 * pauses, outages, duplicates, timestamp wrap and clock drift. */
#include "media/bell-jitter-target.h"

#define RATE 8000
#define PTIME_US 20000
#define TS_STEP 160

/* A trace: packets n = 0.. sent every 20 ms; each arrives at send time + base delay + extra,
 * the sender's clock running (1 + drift) times as fast as ours. The trace is fed in arrival
 * order, as a socket gives it. */
typedef struct
{
  gint64  arrival;
  guint32 ts;
} Packet;

static int
by_arrival (gconstpointer a, gconstpointer b)
{
  const Packet *x = a, *y = b;

  return (x->arrival > y->arrival) - (x->arrival < y->arrival);
}

typedef gint64 (*ExtraFunc) (guint n, GRand *rand);

static GArray *
trace (guint packets, guint32 ts0, double drift_ppm, ExtraFunc extra, GRand *rand)
{
  GArray *a = g_array_new (FALSE, FALSE, sizeof (Packet));
  guint n;

  for (n = 0; n < packets; n++)
    {
      Packet p;
      double sent = n * (double) PTIME_US / (1.0 + drift_ppm / 1e6);

      p.ts = ts0 + n * TS_STEP;
      p.arrival = 1000000 + (gint64) sent + 30000 + (extra ? extra (n, rand) : 0);
      g_array_append_val (a, p);
    }
  g_array_sort (a, by_arrival);
  return a;
}

/* Feeds the trace; the target after each packet goes into targets (when not NULL). */
static void
feed (BellJitterTarget *t, GArray *a, GArray *targets)
{
  guint i;

  for (i = 0; i < a->len; i++)
    {
      Packet *p = &g_array_index (a, Packet, i);
      guint ms;

      bell_jitter_target_update (t, p->arrival, p->ts);
      ms = bell_jitter_target_get_ms (t);
      if (targets)
        g_array_append_val (targets, ms);
    }
}

static guint
max_target (GArray *targets, guint from, guint to)
{
  guint i, m = 0;

  for (i = from; i < to && i < targets->len; i++)
    m = MAX (m, g_array_index (targets, guint, i));
  return m;
}

static gint64
scheduling_noise (guint n, GRand *rand)
{
  return g_rand_int_range (rand, 0, 400);   /* 0-0.4 ms: loopback, a busy machine */
}

static void
test_clean_path_stays_minimal (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (1);
  g_autoptr(BellJitterTarget) t = bell_jitter_target_new (RATE);
  g_autoptr(GArray) a = trace (3000, 12345, 0, scheduling_noise, rand);

  feed (t, a, NULL);
  g_assert_cmpuint (bell_jitter_target_get_ms (t), ==, BELL_JITTER_TARGET_MIN_MS);
  g_assert_cmpuint (bell_jitter_target_get_late (t), ==, 0);
}

/* 5 s clean, 10 s of up to 40 ms random extra delay (packets overtake each other), then clean. */
static gint64
jitter_in_the_middle (guint n, GRand *rand)
{
  if (n >= 250 && n < 750)
    return g_rand_int_range (rand, 0, 40000);
  return g_rand_int_range (rand, 0, 400);
}

static void
test_deepens_when_jitter_appears (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (2);
  g_autoptr(BellJitterTarget) t = bell_jitter_target_new (RATE);
  g_autoptr(GArray) a = trace (2000, 0, 0, jitter_in_the_middle, rand);
  g_autoptr(GArray) targets = g_array_new (FALSE, FALSE, sizeof (guint));
  guint64 late_early;
  guint i;

  feed (t, a, targets);
  g_assert_cmpuint (max_target (targets, 0, 250), ==, BELL_JITTER_TARGET_MIN_MS);
  /* Within a second (50 packets) of the jitter starting it covers it: 40 ms and a margin. */
  g_assert_cmpuint (max_target (targets, 0, 300), >=, 40);
  g_assert_cmpuint (max_target (targets, 0, 2000), <=, 50);
  /* Once deep, no more packets come too late than a handful. */
  {
    g_autoptr(BellJitterTarget) again = bell_jitter_target_new (RATE);
    g_autoptr(GArray) first = g_array_new (FALSE, FALSE, sizeof (Packet));

    g_array_append_vals (first, a->data, 300);
    feed (again, first, NULL);
    late_early = bell_jitter_target_get_late (again);
  }
  g_assert_cmpuint (bell_jitter_target_get_late (t) - late_early, <=, 10);
  /* It holds while the jitter lasts and for ten calm seconds after... */
  for (i = 300; i < 740; i++)
    g_assert_cmpuint (g_array_index (targets, guint, i), >=, 40);
  g_assert_cmpuint (g_array_index (targets, guint, 750 + 500), >=, 40);
  /* ...then it is back at the minimum. */
  g_assert_cmpuint (g_array_index (targets, guint, targets->len - 1), ==, BELL_JITTER_TARGET_MIN_MS);
}

/* Every tenth packet held 25 ms in the network, so the next one overtakes it. */
static gint64
every_tenth_late (guint n, GRand *rand)
{
  return n % 10 == 0 ? 25000 : 0;
}

/* Reordered packets: the buffer covers them. Every seventh packet arriving twice: no change. */
static void
test_reordering_and_duplicates (void)
{
  g_autoptr(BellJitterTarget) t = bell_jitter_target_new (RATE);
  g_autoptr(BellJitterTarget) dup = bell_jitter_target_new (RATE);
  g_autoptr(GArray) a = trace (1000, 0, 0, NULL, NULL);
  g_autoptr(GArray) r = trace (1000, 0, 0, every_tenth_late, NULL);
  g_autoptr(GArray) d = g_array_new (FALSE, FALSE, sizeof (Packet));
  guint i;

  for (i = 0; i < a->len; i++)
    {
      Packet p = g_array_index (a, Packet, i);

      g_array_append_val (d, p);
      if (i % 7 == 0)
        {
          p.arrival += 100;
          g_array_append_val (d, p);
        }
    }
  feed (dup, d, NULL);
  g_assert_cmpuint (bell_jitter_target_get_ms (dup), ==, BELL_JITTER_TARGET_MIN_MS);

  g_assert_cmpint (g_array_index (r, Packet, 1).ts, <, g_array_index (r, Packet, 0).ts);
  feed (t, r, NULL);
  g_assert_cmpuint (bell_jitter_target_get_ms (t), >=, 25);
  g_assert_cmpuint (bell_jitter_target_get_ms (t), <=, 30);
}

/* Packets stop for 300 ms: with the timestamps jumping (silence, DTX, a hold), or with the
 * timestamps going on (a network outage whose packets then arrive in one burst). */
static void
test_pause_does_not_deepen (void)
{
  g_autoptr(BellJitterTarget) t = bell_jitter_target_new (RATE);
  g_autoptr(BellJitterTarget) burst = bell_jitter_target_new (RATE);
  guint n;
  gint64 arrival = 0;

  for (n = 0; n < 1500; n++)
    {
      gint64 at = 1000000 + n * PTIME_US + (n >= 500 ? 300000 : 0);
      guint32 ts = n * TS_STEP + (n >= 500 ? 300 * 8 : 0);

      bell_jitter_target_update (t, at, ts);
      /* Outage: packets 500..514 held in the network, all delivered at once at 300 ms. */
      arrival = 1000000 + n * PTIME_US;
      if (n >= 500 && n < 515)
        arrival = 1000000 + 515 * PTIME_US + (n - 500) * 50;
      bell_jitter_target_update (burst, arrival, n * TS_STEP);
    }
  g_assert_cmpuint (bell_jitter_target_get_ms (t), ==, BELL_JITTER_TARGET_MIN_MS);
  g_assert_cmpuint (bell_jitter_target_get_ms (burst), ==, BELL_JITTER_TARGET_MIN_MS);
}

static void
test_drift_does_not_deepen (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  g_autoptr(BellJitterTarget) fast = bell_jitter_target_new (RATE);
  g_autoptr(BellJitterTarget) slow = bell_jitter_target_new (RATE);
  g_autoptr(GArray) a = trace (3000 * 2, 0, 100, scheduling_noise, rand);
  g_autoptr(GArray) b = trace (3000 * 2, 0, -100, scheduling_noise, rand);

  feed (fast, a, NULL);
  feed (slow, b, NULL);
  g_assert_cmpuint (bell_jitter_target_get_ms (fast), ==, BELL_JITTER_TARGET_MIN_MS);
  g_assert_cmpuint (bell_jitter_target_get_ms (slow), ==, BELL_JITTER_TARGET_MIN_MS);
  g_assert_cmpuint (bell_jitter_target_get_late (fast) + bell_jitter_target_get_late (slow), ==, 0);
}

static void
test_timestamp_wrap_and_restart (void)
{
  g_autoptr(BellJitterTarget) t = bell_jitter_target_new (RATE);
  g_autoptr(GArray) a = trace (1000, G_MAXUINT32 - 160 * 300, 0, NULL, NULL);
  guint n;

  feed (t, a, NULL);
  g_assert_cmpuint (bell_jitter_target_get_ms (t), ==, BELL_JITTER_TARGET_MIN_MS);
  /* The sender restarts with a random timestamp: a new stream, not a 3-hour delay. */
  for (n = 0; n < 100; n++)
    bell_jitter_target_update (t, 30000000 + n * PTIME_US, 0x12345678 + n * TS_STEP);
  g_assert_cmpuint (bell_jitter_target_get_ms (t), ==, BELL_JITTER_TARGET_MIN_MS);
  bell_jitter_target_reset (t);
  g_assert_cmpuint (bell_jitter_target_get_ms (t), ==, BELL_JITTER_TARGET_MIN_MS);
}

/* A sender that begins with a burst (300 ms captured before the call was up, sent at once),
 * then packets as they come: not jitter. */
static void
test_start_burst (void)
{
  g_autoptr(BellJitterTarget) t = bell_jitter_target_new (RATE);
  guint n;

  for (n = 0; n < 15; n++)
    bell_jitter_target_update (t, 1000000, n * TS_STEP);
  for (; n < 500; n++)
    bell_jitter_target_update (t, 1000000 + (n - 14) * PTIME_US, n * TS_STEP);
  g_assert_cmpuint (bell_jitter_target_get_ms (t), ==, BELL_JITTER_TARGET_MIN_MS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/jitter-target/clean-path", test_clean_path_stays_minimal);
  g_test_add_func ("/jitter-target/jitter-appears", test_deepens_when_jitter_appears);
  g_test_add_func ("/jitter-target/reordering-duplicates", test_reordering_and_duplicates);
  g_test_add_func ("/jitter-target/pause", test_pause_does_not_deepen);
  g_test_add_func ("/jitter-target/drift", test_drift_does_not_deepen);
  g_test_add_func ("/jitter-target/wrap-restart", test_timestamp_wrap_and_restart);
  g_test_add_func ("/jitter-target/start-burst", test_start_burst);
  return g_test_run ();
}
