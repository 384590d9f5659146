/* test-playout.c: the G.711 playout on packet traces made here (loss, reordering, duplicates,
 * a 300 ms gap, clock drift of ±100 ppm over ten minutes, a burst after an outage, jitter that
 * comes and goes, hostile input), its concealment's shape, and the G.711 decoding tables
 * (known values from G.711 and the whole tables against GStreamer's decoders). */
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <math.h>
#include <string.h>

#include "media/bell-g711.h"
#include "media/bell-jitter-target.h"
#include "media/bell-plc.h"
#include "media/bell-playout.h"

#define PTIME_US 20000
#define N        160          /* samples in a 20 ms frame */
#define T0       1000000      /* the first packet is sent at 1 s */

/* G.711 */

static void
test_g711_known_values (void)
{
  /* µ-law (G.711 table 2): 0xFF and 0x7F are the two zeros, 0x00 / 0x80 the extremes
   * (8031 × 4 and its negative: 14-bit values in 16 bits), 0xEF the first step above zero. */
  g_assert_cmpint (bell_g711_ulaw_decode (0xFF), ==, 0);
  g_assert_cmpint (bell_g711_ulaw_decode (0x7F), ==, 0);
  g_assert_cmpint (bell_g711_ulaw_decode (0x00), ==, -32124);
  g_assert_cmpint (bell_g711_ulaw_decode (0x80), ==, 32124);
  g_assert_cmpint (bell_g711_ulaw_decode (0xFE), ==, 8);
  g_assert_cmpint (bell_g711_ulaw_decode (0xEF), ==, 132);
  /* A-law (table 1): 0xD5 / 0x55 the smallest values either side of zero (1 × 8 in 13 bits
   * scaled), 0xAA / 0x2A the extremes (4032 × 8), the top of segment 0 0xDA. */
  g_assert_cmpint (bell_g711_alaw_decode (0xD5), ==, 8);
  g_assert_cmpint (bell_g711_alaw_decode (0x55), ==, -8);
  g_assert_cmpint (bell_g711_alaw_decode (0xAA), ==, 32256);
  g_assert_cmpint (bell_g711_alaw_decode (0x2A), ==, -32256);
  g_assert_cmpint (bell_g711_alaw_decode (0xDA), ==, 248);
  /* Symmetric about zero (the sign bit), and monotonic within a sign. */
  for (guint c = 0; c < 256; c++)
    {
      g_assert_cmpint (bell_g711_alaw_decode ((guint8) c), ==, -bell_g711_alaw_decode ((guint8) (c ^ 0x80)));
      g_assert_cmpint (bell_g711_ulaw_decode ((guint8) c), ==, -bell_g711_ulaw_decode ((guint8) (c ^ 0x80)));
      if (c < 0x7F)
        g_assert_cmpint (bell_g711_ulaw_decode ((guint8) c), <, bell_g711_ulaw_decode ((guint8) (c + 1)));
    }
}

/* All 256 codes through GStreamer's decoder. */
static void
gst_decode (const char *caps, const char *decoder, gint16 *out)
{
  g_autofree char *desc = g_strdup_printf ("appsrc name=src caps=%s format=time ! %s ! "
                                           "audio/x-raw,format=S16LE ! appsink name=sink sync=false",
                                           caps, decoder);
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) pipeline = gst_parse_launch (desc, &error);
  g_autoptr(GstElement) src = NULL, sink = NULL;
  g_autoptr(GstSample) sample = NULL;
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, 256, NULL);
  GstMapInfo map;

  g_assert_no_error (error);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  for (guint i = 0; i < 256; i++)
    map.data[i] = (guint8) i;
  gst_buffer_unmap (buffer, &map);
  GST_BUFFER_PTS (buffer) = 0;
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  g_assert_cmpint (gst_app_src_push_buffer (GST_APP_SRC (src), buffer), ==, GST_FLOW_OK);
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 5 * GST_SECOND);
  g_assert_nonnull (sample);
  gst_buffer_map (gst_sample_get_buffer (sample), &map, GST_MAP_READ);
  g_assert_cmpuint (map.size, ==, 512);
  memcpy (out, map.data, 512);
  gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
  gst_element_set_state (pipeline, GST_STATE_NULL);
}

static void
test_g711_matches_gstreamer (void)
{
  gint16 gst[256];

  gst_init (NULL, NULL);
  if (!gst_element_factory_find ("mulawdec") || !gst_element_factory_find ("alawdec"))
    {
      g_test_skip ("no mulawdec/alawdec (gstreamer1.0-plugins-good)");
      return;
    }
  gst_decode ("audio/x-mulaw,rate=8000,channels=1", "mulawdec", gst);
  for (guint c = 0; c < 256; c++)
    g_assert_cmpint (bell_g711_ulaw_decode ((guint8) c), ==, GINT16_FROM_LE (gst[c]));
  gst_decode ("audio/x-alaw,rate=8000,channels=1", "alawdec", gst);
  for (guint c = 0; c < 256; c++)
    g_assert_cmpint (bell_g711_alaw_decode ((guint8) c), ==, GINT16_FROM_LE (gst[c]));
}

/* The nearest µ-law code to a sample (tests only: a search of the table). */
static guint8
ulaw_encode (gint sample)
{
  guint8 best = 0xFF;
  gint best_err = G_MAXINT;

  for (guint c = 0; c < 256; c++)
    {
      gint err = ABS (bell_g711_ulaw_decode ((guint8) c) - sample);
      if (err < best_err)
        {
          best_err = err;
          best = (guint8) c;
        }
    }
  return best;
}

/* Traces */

typedef struct
{
  guint16 seq;
  guint32 ts;
  gint64  arrival;
  guint   len;
  guint8  payload[N];
  guint   id;        /* which packet of the trace */
} Packet;

static int
by_arrival (gconstpointer a, gconstpointer b)
{
  const Packet *x = a, *y = b;

  if (x->arrival != y->arrival)
    return (x->arrival > y->arrival) - (x->arrival < y->arrival);
  return (x->id > y->id) - (x->id < y->id);
}

/* A voice-like test signal: harmonics of 160 Hz (a 50-sample pitch period), so packets differ
 * in phase but the signal repeats every 400 samples (the codes are made once). */
static guint8 voice_codes[400];

static void
ensure_voice (void)
{
  static gboolean done;

  if (done)
    return;
  for (guint i = 0; i < 400; i++)
    {
      double t = i / 8000.0, s = 0;
      for (guint h = 1; h <= 6; h++)
        s += sin (2 * G_PI * 160 * h * t + h) / h;
      voice_codes[i] = ulaw_encode ((gint) (s * 6000));
    }
  done = TRUE;
}

static gint16
voice_sample (gint64 sample)
{
  ensure_voice ();
  return bell_g711_ulaw_decode (voice_codes[sample % 400]);
}

typedef gint64 (*DelayFunc) (guint n, GRand *rand);

/* Packets n = 0 .. count-1, 20 ms of the voice signal each, sent every 20 ms by a clock
 * running (1 + drift_ppm / 10⁶) times as fast as ours, arriving after 30 ms + delay (n).
 * seq0 and ts0 let the numbers wrap. */
static GArray *
trace (guint count, guint16 seq0, guint32 ts0, double drift_ppm, DelayFunc delay, GRand *rand)
{
  GArray *a = g_array_new (FALSE, TRUE, sizeof (Packet));

  ensure_voice ();
  for (guint n = 0; n < count; n++)
    {
      Packet p = { 0 };
      double sent = n * (double) PTIME_US / (1.0 + drift_ppm / 1e6);

      p.seq = (guint16) (seq0 + n);
      p.ts = ts0 + n * N;
      p.len = N;
      p.id = n;
      p.arrival = T0 + (gint64) sent + 30000 + (delay ? delay (n, rand) : 0);
      for (guint i = 0; i < N; i++)
        p.payload[i] = voice_codes[((gint64) n * N + i) % 400];
      g_array_append_val (a, p);
    }
  return a;
}

static void
sort_by_arrival (GArray *a)
{
  g_array_sort (a, by_arrival);
}

/* The playout as the media session drives it: a frame whenever the one before has played
 * (the first at the start time), the packets that arrived by then put in first. */
typedef struct
{
  GArray *pcm;        /* gint16, every frame one after the other */
  GArray *starts;     /* guint: where frame k begins in pcm */
  GArray *ticks;      /* gint64: when frame k was due */
  guint   frames;
  gint64  start;
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->pcm, g_array_unref);
  g_clear_pointer (&r->starts, g_array_unref);
  g_clear_pointer (&r->ticks, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
run (BellPlayout *p, GArray *packets, gint64 until, Run *r)
{
  guint i = 0;
  gint16 frame[N + BELL_PLAYOUT_STEP_MAX];
  gint64 tick;

  sort_by_arrival (packets);
  r->pcm = g_array_new (FALSE, FALSE, sizeof (gint16));
  r->starts = g_array_new (FALSE, FALSE, sizeof (guint));
  r->ticks = g_array_new (FALSE, FALSE, sizeof (gint64));
  r->frames = 0;
  {
    Packet *q = &g_array_index (packets, Packet, i++);
    bell_playout_put (p, q->seq, q->ts, FALSE, q->payload, q->len, q->arrival);
  }
  r->start = tick = bell_playout_get_start_us (p);
  while (tick <= until)
    {
      guint len, at = r->pcm->len;

      for (; i < packets->len && g_array_index (packets, Packet, i).arrival <= tick; i++)
        {
          Packet *q = &g_array_index (packets, Packet, i);
          bell_playout_put (p, q->seq, q->ts, FALSE, q->payload, q->len, q->arrival);
        }
      len = bell_playout_get (p, tick, frame);
      g_assert_cmpuint (len, >=, N - BELL_PLAYOUT_STEP_MAX);
      g_assert_cmpuint (len, <=, N + BELL_PLAYOUT_STEP_MAX);
      g_array_append_vals (r->pcm, frame, len);
      g_array_append_val (r->starts, at);
      g_array_append_val (r->ticks, tick);
      r->frames++;
      tick += (gint64) len * G_USEC_PER_SEC / BELL_PLAYOUT_RATE;
    }
  /* Room for N samples after the last frame's start. */
  for (guint k = 0; k < N; k++)
    g_array_append_val (r->pcm, (gint16) { 0 });
}

static gint16 *
frame_of (Run *r, guint k)
{
  g_assert_cmpuint (k, <, r->frames);
  return &g_array_index (r->pcm, gint16, g_array_index (r->starts, guint, k));
}

static guint
frame_len (Run *r, guint k)
{
  g_assert_cmpuint (k + 1, <, r->frames);
  return g_array_index (r->starts, guint, k + 1) - g_array_index (r->starts, guint, k);
}

static gint64
tick_of (Run *r, guint k)
{
  return g_array_index (r->ticks, gint64, k);
}

/* How long before its frame was due packet k arrived (frame k plays packet k). */
static gint64
delay_of (Run *r, GArray *packets, guint k)
{
  for (guint i = 0; i < packets->len; i++)
    if (g_array_index (packets, Packet, i).id == k)
      return tick_of (r, k) - g_array_index (packets, Packet, i).arrival;
  g_assert_not_reached ();
}

static double
rms (const gint16 *pcm, guint n)
{
  double sum = 0;

  for (guint i = 0; i < n; i++)
    sum += (double) pcm[i] * pcm[i];
  return sqrt (sum / n);
}

/* Frame k holds packet id's audio exactly (from sample `from` on). */
static gboolean
frame_is_packet (Run *r, guint k, guint id, guint from)
{
  gint16 *f = frame_of (r, k);

  for (guint i = from; i < N; i++)
    if (f[i] != voice_sample ((gint64) id * N + i))
      return FALSE;
  return TRUE;
}

static gint64
noise (guint n, GRand *rand)
{
  return g_rand_int_range (rand, 0, 400);   /* 0-0.4 ms: loopback, a busy machine */
}

/* A clean path: the first frame is the first packet, at its arrival plus the target, and
 * every frame after it is the next packet, unchanged. */
static void
test_clean (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (1);
  g_autoptr(BellPlayout) p = bell_playout_new (BELL_PLAYOUT_PCMU, 20, 0);
  g_autoptr(GArray) a = trace (500, 1000, 5000, 0, noise, rand);
  g_auto(Run) r = { 0 };
  BellPlayoutStats st;
  gint64 first_arrival = g_array_index (a, Packet, 0).arrival;

  run (p, a, T0 + 11 * G_USEC_PER_SEC, &r);
  g_assert_cmpint (r.start, ==, first_arrival + BELL_JITTER_TARGET_MIN_MS * 1000);
  for (guint k = 0; k < 490; k++)
    g_assert_true (frame_is_packet (&r, k, k, 0));
  bell_playout_get_stats (p, &st);
  g_assert_cmpuint (st.late + st.duplicates + st.discarded + st.dropped_for_drift + st.added_for_drift, ==, 0);
  g_assert_cmpuint (st.played, ==, 500);
  g_assert_cmpuint (bell_playout_get_target_ms (p), ==, BELL_JITTER_TARGET_MIN_MS);
}

/* A floor (a recording): the first frame waits that long, and plays every packet all the same. */
static void
test_floor (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (1);
  g_autoptr(BellPlayout) p = bell_playout_new (BELL_PLAYOUT_PCMU, 20, 60);
  g_autoptr(GArray) a = trace (200, 0, 0, 0, noise, rand);
  g_auto(Run) r = { 0 };

  run (p, a, T0 + 3 * G_USEC_PER_SEC, &r);
  g_assert_cmpint (r.start, ==, g_array_index (a, Packet, 0).arrival + 60000);
  g_assert_cmpuint (bell_playout_get_target_ms (p), ==, 60);
  g_assert_cmpuint (r.frames, ==, 146);
  for (guint k = 0; k < r.frames; k++)
    g_assert_true (frame_is_packet (&r, k, k, 0));
}

/* The receiving thread held up 40 ms as the call starts: the first three packets come
 * together, late. A device trims the extra delay (about 5 ms a frame: the jitter target takes
 * no burst at the start for jitter); a recording, whose floor is headroom to spare, keeps
 * every sample. */
static gint64
slow_start (guint n, GRand *rand)
{
  return n < 3 ? 40000 - (gint64) n * PTIME_US : 0;
}

static void
test_slow_start (void)
{
  for (guint floor_ms = 0; floor_ms <= 60; floor_ms += 60)
    {
      g_autoptr(BellPlayout) p = bell_playout_new (BELL_PLAYOUT_PCMU, 20, floor_ms);
      g_autoptr(GArray) a = trace (1500, 0, 0, 0, slow_start, NULL);
      g_auto(Run) r = { 0 };
      BellPlayoutStats st;

      run (p, a, T0 + 30 * G_USEC_PER_SEC, &r);
      bell_playout_get_stats (p, &st);
      g_assert_cmpuint (st.late + st.added_for_drift, ==, 0);
      if (floor_ms)
        {
          g_assert_cmpuint (st.dropped_for_drift, ==, 0);
          for (guint k = 0; k < 1450; k++)
            g_assert_true (frame_is_packet (&r, k, k, 0));
          g_assert_cmpint (delay_of (&r, a, 1450), >=, 99000);
        }
      else
        {
          /* 45 ms of delay: shortened every frame while more than 20 ms too much (within
           * 1.5 s), then a step a second and a half, to within a step of the 5 ms target;
           * frames still whole packets. */
          g_assert_cmpint (delay_of (&r, a, 10), >=, 44000);
          g_assert_cmpint (delay_of (&r, a, 75), <=, (BELL_JITTER_TARGET_MIN_MS + 7 + 20 + 1) * 1000);
          g_assert_cmpint (delay_of (&r, a, 400), <=, (BELL_JITTER_TARGET_MIN_MS + 7) * 1000);
          g_assert_cmpuint (st.dropped_for_drift, >=, 5);
          g_assert_cmpuint (st.dropped_for_drift, <=, 8);
          g_assert_cmpint (delay_of (&r, a, 1450), <=, (BELL_JITTER_TARGET_MIN_MS + 7) * 1000);
          g_assert_cmpint (delay_of (&r, a, 1450), >=, (BELL_JITTER_TARGET_MIN_MS - 2) * 1000);
          g_assert_true (frame_is_packet (&r, 1450, 1450, 0));
        }
    }
}

/* 10 % random loss: each lost packet is one frame made up, nothing else moves. */
static void
test_loss (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  g_autoptr(BellPlayout) p = bell_playout_new (BELL_PLAYOUT_PCMU, 20, 0);
  g_autoptr(GArray) a = trace (1000, 0, 0, 0, NULL, NULL);
  g_autoptr(GArray) kept = g_array_new (FALSE, TRUE, sizeof (Packet));
  gboolean gone[1000] = { 0 };
  g_auto(Run) r = { 0 };
  BellPlayoutStats st;
  guint lost_count = 0;

  for (guint n = 0; n < a->len; n++)
    {
      gone[n] = n > 0 && g_rand_double (rand) < 0.1;
      lost_count += gone[n];
      if (!gone[n])
        g_array_append_val (kept, g_array_index (a, Packet, n));
    }
  run (p, kept, T0 + 21 * G_USEC_PER_SEC, &r);
  bell_playout_get_stats (p, &st);
  g_assert_cmpuint (st.played, ==, 1000 - lost_count);
  g_assert_cmpuint (st.concealed, ==, r.frames - st.played);
  g_assert_cmpuint (st.late + st.added_for_drift + st.dropped_for_drift, ==, 0);
  for (guint k = 1; k < 1000; k++)
    {
      if (gone[k])
        g_assert_cmpfloat (rms (frame_of (&r, k), N), >, 100);   /* made up, not silence */
      else if (!gone[k - 1])
        g_assert_true (frame_is_packet (&r, k, k, 0));
      else
        g_assert_true (frame_is_packet (&r, k, k, 80));   /* after the blend back */
    }
}

/* Every other pair swapped on the way (the first of the pair 15 ms late), and every packet
 * twice: all played once, in order. */
static gint64
swap_pairs (guint n, GRand *rand)
{
  return (n % 4 == 0) ? 25000 : 0;
}

static void
test_reorder_and_duplicates (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (4);
  g_autoptr(BellPlayout) p = bell_playout_new (BELL_PLAYOUT_PCMU, 20, 40);
  g_autoptr(GArray) a = trace (500, 65500, 0, 0, swap_pairs, rand);   /* seq wraps too */
  g_auto(Run) r = { 0 };
  BellPlayoutStats st;
  guint len = a->len;

  for (guint n = 0; n < len; n++)
    {
      Packet again = g_array_index (a, Packet, n);
      again.arrival += 3000;
      g_array_append_val (a, again);
    }
  run (p, a, T0 + 11 * G_USEC_PER_SEC, &r);
  bell_playout_get_stats (p, &st);
  g_assert_cmpuint (st.duplicates, ==, 500);
  g_assert_cmpuint (st.played, ==, 500);
  g_assert_cmpuint (st.late, ==, 0);
  for (guint k = 0; k < 480; k++)
    g_assert_true (frame_is_packet (&r, k, k, 0));
}

/* Concealment on its own: a voiced signal, then 80 ms lost. The first 10 ms continue it (the
 * same pitch, level within a few dB), then the level falls 20 % every 10 ms, and it is silent
 * from 60 ms on. */
static gint16
hum_sample (guint i)
{
  double s = 0;

  /* Harmonics of 100 Hz: a pitch period of 80 samples, so every 10 ms has the same level. */
  for (guint h = 1; h <= 8; h++)
    s += sin (2 * G_PI * 100 * h * i / 8000.0 + h) / h;
  return bell_g711_ulaw_decode (ulaw_encode ((gint) (s * 6000)));
}

static void
test_concealment_shape (void)
{
  g_autoptr(BellPlc) plc = bell_plc_new ();
  gint16 speech[800], made[640], truth[80];
  double level, blocks[8];

  for (guint i = 0; i < 800; i++)
    speech[i] = hum_sample (i);
  bell_plc_good (plc, speech, 800);
  level = rms (speech + 400, 400);
  bell_plc_conceal (plc, made, 320);   /* in two calls: the state carries over */
  bell_plc_conceal (plc, made + 320, 320);
  for (guint b = 0; b < 8; b++)
    blocks[b] = rms (made + 80 * b, 80);
  g_assert_cmpfloat (blocks[0], >, 0.8 * level);
  g_assert_cmpfloat (blocks[0], <, 1.25 * level);
  /* Not silence at once, and the pitch carried on: the first 10 ms are close to what the
   * signal really did next (it is periodic). */
  for (guint i = 0; i < 80; i++)
    truth[i] = hum_sample (800 + i);
  {
    double err = 0, sig = 0;
    for (guint i = 0; i < 80; i++)
      {
        err += (double) (made[i] - truth[i]) * (made[i] - truth[i]);
        sig += (double) truth[i] * truth[i];
      }
    g_assert_cmpfloat (10 * log10 (sig / err), >, 15);
  }
  /* Gains 1→0.8 over 10-20 ms, ... 0.2→0 over 50-60 ms. */
  for (guint b = 1; b < 6; b++)
    {
      double mid_gain = 1 - 0.2 * (b - 1) - 0.1;
      g_assert_cmpfloat (blocks[b], <, blocks[b - 1]);
      g_assert_cmpfloat (blocks[b] / blocks[0], >, mid_gain - 0.15);
      g_assert_cmpfloat (blocks[b] / blocks[0], <, mid_gain + 0.15);
    }
  for (guint i = 480; i < 640; i++)
    g_assert_cmpint (made[i], ==, 0);
  g_assert_cmpuint (bell_plc_get_erased (plc), ==, 480);
}

/* The same shape at 16 kHz (G.722): every length doubles in samples, none in time. The hum's
 * 100 Hz pitch is 160 samples here, the loss 80 ms = 1280 samples, blocks of 10 ms = 160. */
static gint16
hum_sample_16k (guint i)
{
  double s = 0;

  for (guint h = 1; h <= 8; h++)
    s += sin (2 * G_PI * 100 * h * i / 16000.0 + h) / h;
  return (gint16) (s * 6000);
}

static void
test_concealment_shape_16k (void)
{
  g_autoptr(BellPlc) plc = bell_plc_new_for_rate (16000);
  gint16 speech[1600], made[1280], back[320];
  double level, blocks[8], err = 0, sig = 0;

  g_assert_cmpuint (bell_plc_get_rate (plc), ==, 16000);
  for (guint i = 0; i < 1600; i++)
    speech[i] = hum_sample_16k (i);
  bell_plc_good (plc, speech, 1600);
  level = rms (speech + 800, 800);
  bell_plc_conceal (plc, made, 640);
  bell_plc_conceal (plc, made + 640, 640);
  for (guint b = 0; b < 8; b++)
    blocks[b] = rms (made + 160 * b, 160);
  g_assert_cmpfloat (blocks[0], >, 0.8 * level);
  g_assert_cmpfloat (blocks[0], <, 1.25 * level);
  for (guint i = 0; i < 160; i++)
    {
      double truth = hum_sample_16k (1600 + i);

      err += (made[i] - truth) * (made[i] - truth);
      sig += truth * truth;
    }
  g_assert_cmpfloat (10 * log10 (sig / err), >, 15);
  for (guint b = 1; b < 6; b++)
    {
      double mid_gain = 1 - 0.2 * (b - 1) - 0.1;
      g_assert_cmpfloat (blocks[b] / blocks[0], >, mid_gain - 0.15);
      g_assert_cmpfloat (blocks[b] / blocks[0], <, mid_gain + 0.15);
    }
  for (guint i = 960; i < 1280; i++)
    g_assert_cmpint (made[i], ==, 0);
  g_assert_cmpuint (bell_plc_get_erased (plc), ==, 960);
  /* Back after 80 ms lost: a 10 ms blend (the cap), then the real samples as they are. */
  for (guint i = 0; i < 320; i++)
    back[i] = hum_sample_16k (2880 + i);
  bell_plc_good (plc, back, 320);
  g_assert_cmpuint (bell_plc_get_erased (plc), ==, 0);
  for (guint i = 160; i < 320; i++)
    g_assert_cmpint (back[i], ==, hum_sample_16k (2880 + i));
  /* It starts from where the concealment had faded to, silence: 1/161 of the real sample. */
  g_assert_cmpint (ABS (back[0]), <=, ABS (hum_sample_16k (2880)) / 100 + 1);
}

/* Audio back after a loss: blended in from the made-up signal, no step at the join. */
static void
test_concealment_end (void)
{
  g_autoptr(BellPlc) plc = bell_plc_new ();
  gint16 speech[800], made[160], back[160];
  gint max_step = 0;

  for (guint i = 0; i < 800; i++)
    speech[i] = voice_sample (i);
  bell_plc_good (plc, speech, 800);
  bell_plc_conceal (plc, made, 160);
  for (guint i = 0; i < 160; i++)
    back[i] = voice_sample (960 + 37 + i);   /* out of phase with the concealment */
  bell_plc_good (plc, back, 160);
  g_assert_cmpuint (bell_plc_get_erased (plc), ==, 0);
  /* The made-up signal's last sample to the first one back: no bigger a step than the
   * signal itself takes from one sample to the next. */
  for (guint i = 1; i < 800; i++)
    max_step = MAX (max_step, ABS (speech[i] - speech[i - 1]));
  g_assert_cmpint (ABS (back[0] - made[159]), <=, max_step);
  for (guint i = 64; i < 160; i++)   /* 8 ms blend for 20 ms lost */
    g_assert_cmpint (back[i], ==, voice_sample (960 + 37 + i));
}

/* 300 ms with no packets: made up, faded, then silence; the packets after it play at the
 * same delay as before. */
static void
test_gap (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  g_autoptr(BellPlayout) p = bell_playout_new (BELL_PLAYOUT_PCMU, 20, 0);
  g_autoptr(GArray) a = trace (500, 0, 0, 0, noise, rand);
  g_autoptr(GArray) kept = g_array_new (FALSE, TRUE, sizeof (Packet));
  g_auto(Run) r = { 0 };
  BellPlayoutStats st;

  for (guint n = 0; n < a->len; n++)
    if (n < 100 || n >= 115)
      g_array_append_val (kept, g_array_index (a, Packet, n));
  run (p, kept, T0 + 10 * G_USEC_PER_SEC, &r);
  bell_playout_get_stats (p, &st);
  g_assert_cmpfloat (rms (frame_of (&r, 100), 80), >, 0.5 * rms (frame_of (&r, 99), N));
  g_assert_cmpfloat (rms (frame_of (&r, 101), N), <, rms (frame_of (&r, 100), N));
  for (guint k = 103; k < 115; k++)   /* 60 ms on: silence */
    g_assert_cmpfloat (rms (frame_of (&r, k), N), ==, 0);
  g_assert_true (frame_is_packet (&r, 115, 115, 80));
  for (guint k = 116; k < 480; k++)
    g_assert_true (frame_is_packet (&r, k, k, 0));
  g_assert_cmpuint (st.concealed, ==, 15);
  g_assert_cmpuint (st.late + st.added_for_drift + st.dropped_for_drift, ==, 0);
}

/* A 500 ms outage whose packets all come at once when it ends: those whose time has passed
 * are late, the rest play, and the delay after it is what it was (no frame added). */
static gint64
outage (guint n, GRand *rand)
{
  /* Packets 100-124 held until packet 125 goes (at 2.53 s). */
  if (n >= 100 && n < 125)
    return (125 - (gint64) n) * PTIME_US;
  return g_rand_int_range (rand, 0, 400);
}

static void
test_burst_after_outage (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (6);
  g_autoptr(BellPlayout) p = bell_playout_new (BELL_PLAYOUT_PCMU, 20, 0);
  g_autoptr(GArray) a = trace (1000, 0, 0, 0, outage, rand);
  g_auto(Run) r = { 0 };
  BellPlayoutStats st;

  run (p, a, T0 + 20 * G_USEC_PER_SEC, &r);
  bell_playout_get_stats (p, &st);
  g_assert_cmpuint (st.late, >=, 24);
  g_assert_cmpuint (st.late, <=, 25);
  g_assert_cmpuint (st.added_for_drift + st.dropped_for_drift, ==, 0);
  for (guint k = 130; k < 980; k++)
    g_assert_true (frame_is_packet (&r, k, k, 0));
}

/* The delay a run ends with: how long before its frame's tick each of the last packets came,
 * found by content (every packet's codes are its number). */
static GArray *
numbered_trace (guint count, double drift_ppm)
{
  GArray *a = g_array_new (FALSE, TRUE, sizeof (Packet));

  for (guint n = 0; n < count; n++)
    {
      Packet p = { 0 };
      double sent = n * (double) PTIME_US / (1.0 + drift_ppm / 1e6);

      p.seq = (guint16) n;
      p.ts = 0xFFF00000u + n * N;   /* wraps after 1.6 minutes */
      p.len = N;
      p.id = n;
      p.arrival = T0 + (gint64) sent + 30000 + (n * 7919) % 400;
      memset (p.payload, 0x80 | (n % 100), N);
      g_array_append_val (a, p);
    }
  return a;
}

static void
check_drift (double ppm)
{
  g_autoptr(BellPlayout) p = bell_playout_new (BELL_PLAYOUT_PCMU, 20, 0);
  g_autoptr(GArray) a = numbered_trace (30000, ppm);   /* 10 minutes */
  g_autoptr(GArray) arrivals = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_auto(Run) r = { 0 };
  BellPlayoutStats st;
  gint64 max_delay = 0, min_delay = G_MAXINT64;

  for (guint n = 0; n < a->len; n++)
    g_array_append_val (arrivals, g_array_index (a, Packet, n).arrival);
  run (p, a, T0 + 599 * G_USEC_PER_SEC, &r);
  bell_playout_get_stats (p, &st);
  g_assert_cmpuint (st.late, ==, 0);
  /* Every frame is its packet, whole (codes are packet numbers; a longer frame's last step
   * carries the packet on), and the delay stays within the target and a step more over the
   * whole call. */
  for (guint k = 0; k + 1 < r.frames; k++)
    {
      gint16 want = bell_g711_ulaw_decode ((guint8) (0x80 | (k % 100)));
      gint64 delay = tick_of (&r, k) - g_array_index (arrivals, gint64, k);

      for (guint i = 40; i < MIN (frame_len (&r, k), N); i++)   /* after any blend back */
        g_assert_cmpint (frame_of (&r, k)[i], ==, want);
      max_delay = MAX (max_delay, delay);
      min_delay = MIN (min_delay, delay);
    }
  g_test_message ("%+.0f ppm: delay %.1f-%.1f ms, %" G_GUINT64_FORMAT " steps left out, %"
                  G_GUINT64_FORMAT " added", ppm, min_delay / 1000.0, max_delay / 1000.0,
                  st.dropped_for_drift, st.added_for_drift);
  g_assert_cmpint (min_delay, >=, 0);
  g_assert_cmpint (min_delay, >=, (BELL_JITTER_TARGET_MIN_MS - 3) * 1000);
  g_assert_cmpint (max_delay, <=, (BELL_JITTER_TARGET_MIN_MS + 7 + 1) * 1000);
  /* 100 ppm of 10 minutes is 60 ms: twelve steps. */
  if (ppm > 0)
    {
      g_assert_cmpuint (st.dropped_for_drift, >=, 11);
      g_assert_cmpuint (st.dropped_for_drift, <=, 13);
      g_assert_cmpuint (st.added_for_drift, ==, 0);
    }
  else
    {
      g_assert_cmpuint (st.added_for_drift, >=, 11);
      g_assert_cmpuint (st.added_for_drift, <=, 13);
      g_assert_cmpuint (st.dropped_for_drift, ==, 0);
    }
  g_assert_cmpuint (st.concealed, ==, 0);
}

static void
test_drift_fast_sender (void)
{
  check_drift (100);
}

static void
test_drift_slow_sender (void)
{
  check_drift (-100);
}

/* A steady 700 Hz tone (7 cycles in 80 samples) from a sender 0.3 % fast, then one 0.3 %
 * slow: frames shortened and lengthened every second or so by whole periods, and no 5 ms of
 * the tone ever falls 10 % below its level (the media bench counts a hole below half). */
static int
by_value (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static void
test_steps_keep_a_tone (void)
{
  guint8 codes[80];

  for (guint i = 0; i < 80; i++)
    codes[i] = ulaw_encode ((gint) (8000 * sin (2 * G_PI * 7 * i / 80.0)));
  for (gint sign = 1; sign >= -1; sign -= 2)
    {
      g_autoptr(BellPlayout) p = bell_playout_new (BELL_PLAYOUT_PCMU, 20, 0);
      g_autoptr(GArray) a = trace (1500, 0, 0, sign * 3000.0, NULL, NULL);
      g_autoptr(GArray) levels = g_array_new (FALSE, FALSE, sizeof (double));
      g_auto(Run) r = { 0 };
      BellPlayoutStats st;
      double median;

      for (guint n = 0; n < a->len; n++)
        for (guint i = 0; i < N; i++)
          g_array_index (a, Packet, n).payload[i] = codes[(n * N + i) % 80];
      run (p, a, T0 + 29 * G_USEC_PER_SEC, &r);
      bell_playout_get_stats (p, &st);
      g_assert_cmpuint (sign > 0 ? st.dropped_for_drift : st.added_for_drift, >=, 4);
      for (guint at = g_array_index (r.starts, guint, 10); at + 40 <= g_array_index (r.starts, guint, r.frames - 1); at += 40)
        {
          double l = rms (&g_array_index (r.pcm, gint16, at), 40);
          g_array_append_val (levels, l);
        }
      g_array_sort (levels, by_value);
      median = g_array_index (levels, double, levels->len / 2);
      g_test_message ("%+d ppm: %" G_GUINT64_FORMAT " shorter, %" G_GUINT64_FORMAT " longer; "
                      "5 ms levels %.0f..%.0f, median %.0f", sign * 3000, st.dropped_for_drift,
                      st.added_for_drift, g_array_index (levels, double, 0),
                      g_array_index (levels, double, levels->len - 1), median);
      g_assert_cmpfloat (g_array_index (levels, double, 0), >=, 0.9 * median);
    }
}

/* 5 s clean, 10 s with up to 40 ms random extra delay, 30 s clean: the delay deepens when the
 * jitter comes (few packets late), and comes back down once it has gone. */
static gint64
jitter_in_the_middle (guint n, GRand *rand)
{
  if (n >= 250 && n < 750)
    return g_rand_int_range (rand, 0, 40000);
  return g_rand_int_range (rand, 0, 400);
}

static void
test_jitter_comes_and_goes (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(BellPlayout) p = bell_playout_new (BELL_PLAYOUT_PCMU, 20, 0);
  g_autoptr(GArray) a = trace (2250, 0, 0, 0, jitter_in_the_middle, rand);
  g_auto(Run) r = { 0 };
  BellPlayoutStats st;

  run (p, a, T0 + 45 * G_USEC_PER_SEC, &r);
  bell_playout_get_stats (p, &st);
  g_test_message ("%" G_GUINT64_FORMAT " late, %" G_GUINT64_FORMAT " steps added, %"
                  G_GUINT64_FORMAT " left out", st.late, st.added_for_drift, st.dropped_for_drift);
  /* Deeper by about the jitter (up to 40 ms: 5 ms steps), few packets late. */
  g_assert_cmpuint (st.added_for_drift, >=, 5);
  g_assert_cmpuint (st.late, <, 500 / 10);
  g_assert_cmpint (delay_of (&r, a, 700), >=, 30000);
  /* Back down to within a step of the target once it has gone. */
  g_assert_cmpuint (bell_playout_get_target_ms (p), ==, BELL_JITTER_TARGET_MIN_MS);
  g_assert_cmpuint (st.dropped_for_drift, >=, 5);
  g_assert_cmpint (delay_of (&r, a, 2200), <=, (BELL_JITTER_TARGET_MIN_MS + 7 + 1) * 1000);
  g_assert_true (frame_is_packet (&r, 2200, 2200, 0));
}

/* A sender that starts over (new sequence numbers and timestamps, as after a re-INVITE to
 * another device): taken up again after the target, not lost for good. */
static void
test_new_stream (void)
{
  g_autoptr(BellPlayout) p = bell_playout_new (BELL_PLAYOUT_PCMU, 20, 0);
  g_autoptr(GArray) a = trace (400, 0, 0, 0, NULL, NULL);
  g_auto(Run) r = { 0 };
  BellPlayoutStats st;

  for (guint n = 200; n < 400; n++)
    {
      Packet *q = &g_array_index (a, Packet, n);
      q->seq = (guint16) (q->seq + 30000);
      q->ts += 123456789;
    }
  run (p, a, T0 + 8 * G_USEC_PER_SEC, &r);
  bell_playout_get_stats (p, &st);
  g_assert_cmpuint (st.played, >=, 395);
  g_assert_cmpuint (st.discarded, ==, 1);   /* the first of the new stream, on probation */
  g_assert_true (frame_is_packet (&r, 300, 300, 0) || frame_is_packet (&r, 301, 300, 0));
}

/* Input nobody should send: odd payload sizes, a stray sequence number, a timestamp far off,
 * empty and oversized payloads, then random packets; frames keep coming, nothing breaks. */
static void
test_hostile (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (8);
  g_autoptr(BellPlayout) p = bell_playout_new (BELL_PLAYOUT_PCMA, 20, 0);
  static const guint sizes[] = { 1, 7, 159, 161, 320, 80, 960, 0, 961, 4000 };
  guint8 payload[4000];
  gint16 frame[N];
  gint64 now = T0;
  BellPlayoutStats st;

  memset (payload, 0xD5, sizeof payload);
  for (guint n = 0; n < 500; n++)
    {
      guint size = sizes[n % G_N_ELEMENTS (sizes)];
      bell_playout_put (p, (guint16) n, n * 160, n % 7 == 0, payload, size, now);
      if (n % 50 == 25)
        bell_playout_put (p, (guint16) (n + 20000), 0, FALSE, payload, 160, now);   /* stray */
      if (n % 50 == 40)
        bell_playout_put (p, (guint16) n, n * 160 + 0x40000000u, FALSE, payload, 160, now);
      if (now >= bell_playout_get_start_us (p))
        bell_playout_get (p, now, frame);
      now += PTIME_US;
    }
  for (guint n = 0; n < 20000; n++)
    {
      guint len = g_rand_int_range (rand, 0, 400);
      for (guint i = 0; i < len; i++)
        payload[i] = (guint8) g_rand_int (rand);
      bell_playout_put (p, (guint16) g_rand_int (rand), g_rand_int (rand), g_rand_boolean (rand),
                        payload, len, now);
      if (n % 3 == 0)
        {
          bell_playout_get (p, now, frame);
          now += PTIME_US;
        }
    }
  bell_playout_get_stats (p, &st);
  g_assert_cmpuint (st.played + st.concealed, >, 6000);
  g_assert_cmpuint (st.discarded, >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/playout/g711/known-values", test_g711_known_values);
  g_test_add_func ("/playout/g711/gstreamer", test_g711_matches_gstreamer);
  g_test_add_func ("/playout/clean", test_clean);
  g_test_add_func ("/playout/floor", test_floor);
  g_test_add_func ("/playout/slow-start", test_slow_start);
  g_test_add_func ("/playout/loss", test_loss);
  g_test_add_func ("/playout/reorder-duplicates", test_reorder_and_duplicates);
  g_test_add_func ("/playout/concealment/shape", test_concealment_shape);
  g_test_add_func ("/playout/concealment/end", test_concealment_end);
  g_test_add_func ("/playout/concealment/shape-16k", test_concealment_shape_16k);
  g_test_add_func ("/playout/gap-300ms", test_gap);
  g_test_add_func ("/playout/burst-after-outage", test_burst_after_outage);
  g_test_add_func ("/playout/drift/fast-sender", test_drift_fast_sender);
  g_test_add_func ("/playout/drift/slow-sender", test_drift_slow_sender);
  g_test_add_func ("/playout/drift/steps-keep-a-tone", test_steps_keep_a_tone);
  g_test_add_func ("/playout/jitter-comes-and-goes", test_jitter_comes_and_goes);
  g_test_add_func ("/playout/new-stream", test_new_stream);
  g_test_add_func ("/playout/hostile", test_hostile);
  return g_test_run ();
}
