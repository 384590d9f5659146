/* test-plc-filter.c: the bellplcfilter element passes audio through and fills the gaps the
 * jitter buffer reports (GAP events, which a decoder such as avdec_g722 passes on) with the
 * signal that came before, fading over long ones, keeping the timeline. */
#include <gst/audio/audio.h>
#include <math.h>

#include "audio-harness-util.h"

#include "bell-plc-filter.h"

#define FREQ 150.0   /* a period of 106.7 samples at 16 kHz: not a whole number */

static guint rate = 16000;

static guint
frame_len (void)
{
  return rate / 50;   /* 20 ms */
}

/* A voiced sound: the tone and its second harmonic. */
static gint16
tone (guint64 n)
{
  double t = (double) n / rate;

  return (gint16) (6000.0 * sin (2 * G_PI * FREQ * t) + 3000.0 * sin (4 * G_PI * FREQ * t + 1));
}

static GstHarness *
new_filter (void)
{
  g_autofree char *caps = NULL;
  GstHarness *h;

  gst_init (NULL, NULL);
  bell_plc_filter_register ();
  h = gst_harness_new ("bellplcfilter");
  caps = g_strdup_printf ("audio/x-raw, format=(string)%s, layout=(string)interleaved, "
                          "rate=(int)%u, channels=(int)1", GST_AUDIO_NE (S16), rate);
  gst_harness_set_caps_str (h, caps, caps);
  return h;
}

/* Frame `index` of the tone, stamped. */
static GstBuffer *
tone_frame (guint index)
{
  guint n = frame_len ();
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, n * sizeof (gint16), NULL);
  GstMapInfo map;

  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  for (guint i = 0; i < n; i++)
    ((gint16 *) map.data)[i] = tone ((guint64) index * n + i);
  gst_buffer_unmap (buffer, &map);
  GST_BUFFER_PTS (buffer) = index * 20 * GST_MSECOND;
  GST_BUFFER_DURATION (buffer) = 20 * GST_MSECOND;
  return buffer;
}

/* Whether a GAP event went downstream (the filter must swallow them). */
static gboolean
gap_forwarded (GstHarness *h)
{
  gboolean seen = FALSE;
  GstEvent *event;

  while ((event = gst_harness_try_pull_event (h)))
    {
      seen |= GST_EVENT_TYPE (event) == GST_EVENT_GAP;
      gst_event_unref (event);
    }
  return seen;
}


/* Audio with no loss comes out as it went in. */
static void
test_passes_through (void)
{
  g_autoptr(GstHarness) h = new_filter ();
  g_autoptr(GArray) pcm = NULL;
  guint n = frame_len ();

  for (guint i = 0; i < 5; i++)
    g_assert_cmpint (gst_harness_push (h, tone_frame (i)), ==, GST_FLOW_OK);
  pcm = audio_harness_pull_all (h, NULL);
  g_assert_cmpuint (pcm->len, ==, 5 * n);
  for (guint i = 0; i < 5 * n; i++)
    g_assert_cmpint (g_array_index (pcm, gint16, i), ==, tone (i));
}

/* A 20 ms gap after a steady tone is filled with the tone going on (the repeated pitch
 * period lines up with what the lost packet held), at its level, not silence; the output keeps
 * the timeline (one frame of samples for one frame of gap, stamped at the gap's start), the
 * GAP goes no further, and the audio after it is blended back without a step. */
static void
test_short_gap_continues (void)
{
  g_autoptr(GstHarness) h = new_filter ();
  g_autoptr(GArray) pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  g_autoptr(GArray) pcm = NULL;
  guint n = frame_len ();
  double dot = 0, e1 = 0, e2 = 0;
  gint max_step = 0;

  for (guint i = 0; i < 10; i++)
    gst_harness_push (h, tone_frame (i));
  g_assert_true (gst_harness_push_event (h, gst_event_new_gap (10 * 20 * GST_MSECOND,
                                                               20 * GST_MSECOND)));
  gst_harness_push (h, tone_frame (11));
  pcm = audio_harness_pull_all (h, pts);
  g_assert_false (gap_forwarded (h));
  g_assert_cmpuint (pcm->len, ==, 12 * n);
  g_assert_cmpuint (pts->len, ==, 12);
  g_assert_cmpuint (g_array_index (pts, GstClockTime, 10), ==, 200 * GST_MSECOND);
  for (guint i = 0; i < n; i++)
    {
      double got = g_array_index (pcm, gint16, 10 * n + i), want = tone (10 * n + i);

      dot += got * want;
      e1 += got * got;
      e2 += want * want;
    }
  g_assert_cmpfloat (dot / sqrt (e1 * e2), >, 0.9);
  g_assert_cmpfloat (sqrt (e1 / n), >, 0.8 * sqrt (e2 / n));
  g_assert_cmpfloat (sqrt (e1 / n), <, 1.25 * sqrt (e2 / n));
  /* No click at either join: no step bigger than the tone's own steepest (a little slack for
   * the blend of two near signals). */
  for (guint i = 1; i < 10 * n; i++)
    max_step = MAX (max_step, ABS (tone (i) - tone (i - 1)));
  for (guint i = 10 * n - 1; i < 11 * n + 1; i++)
    g_assert_cmpint (ABS (g_array_index (pcm, gint16, i + 1) - g_array_index (pcm, gint16, i)),
                     <=, max_step * 3 / 2);
}

/* A long gap (200 ms) fades out: sound at first, its last 20 ms silent (a drone would be
 * worse); as many samples as the gap lasts. */
static void
test_long_gap_fades (void)
{
  g_autoptr(GstHarness) h = new_filter ();
  g_autoptr(GArray) pcm = NULL;
  guint n = frame_len ();
  const gint16 *x;

  for (guint i = 0; i < 10; i++)
    gst_harness_push (h, tone_frame (i));
  g_assert_true (gst_harness_push_event (h, gst_event_new_gap (200 * GST_MSECOND,
                                                               200 * GST_MSECOND)));
  pcm = audio_harness_pull_all (h, NULL);
  g_assert_false (gap_forwarded (h));
  g_assert_cmpuint (pcm->len, ==, 20 * n);
  x = (const gint16 *) pcm->data;
  g_assert_cmpfloat (audio_harness_rms (x + 10 * n, n / 2), >, 0.8 * audio_harness_rms (x, 10 * n));   /* first 10 ms */
  g_assert_cmpfloat (audio_harness_rms (x + 13 * n, n), <, 0.6 * audio_harness_rms (x, 10 * n));      /* 60-80 ms: less */
  g_assert_cmpfloat (audio_harness_rms (x + 19 * n, n), <, 10);                           /* the last 20 ms */
}

/* Gaps one after another stay on the timeline: 7 ms, then 13 ms, rounded each at its ends,
 * make exactly 20 ms of samples. */
static void
test_gaps_keep_timeline (void)
{
  g_autoptr(GstHarness) h = new_filter ();
  g_autoptr(GArray) pcm = NULL;

  gst_harness_push (h, tone_frame (0));
  gst_harness_push_event (h, gst_event_new_gap (20 * GST_MSECOND, 7 * GST_MSECOND + 3));
  gst_harness_push_event (h, gst_event_new_gap (27 * GST_MSECOND + 3, 13 * GST_MSECOND - 3));
  gst_harness_push (h, tone_frame (2));
  pcm = audio_harness_pull_all (h, NULL);
  g_assert_cmpuint (pcm->len, ==, 3 * frame_len ());
}

/* A gap of a minute: a second of concealment (silent by its end), then the rest goes on as a
 * GAP, silence that takes no memory; the audio after it plays as it came. */
static void
test_very_long_gap (void)
{
  g_autoptr(GstHarness) h = new_filter ();
  g_autoptr(GArray) pcm = NULL;
  GstClockTime start = 0, duration = 0;
  GstEvent *event;
  gboolean gap = FALSE;
  guint n = frame_len ();

  gst_harness_push (h, tone_frame (0));
  gst_harness_push_event (h, gst_event_new_gap (20 * GST_MSECOND, 60 * GST_SECOND));
  pcm = audio_harness_pull_all (h, NULL);
  g_assert_cmpuint (pcm->len, ==, n + rate);
  g_assert_cmpfloat (audio_harness_rms ((const gint16 *) pcm->data + n + rate / 2, rate / 2), ==, 0);
  while ((event = gst_harness_try_pull_event (h)))
    {
      if (GST_EVENT_TYPE (event) == GST_EVENT_GAP)
        {
          gst_event_parse_gap (event, &start, &duration);
          gap = TRUE;
        }
      gst_event_unref (event);
    }
  g_assert_true (gap);
  g_assert_cmpuint (start, ==, GST_SECOND + 20 * GST_MSECOND);
  g_assert_cmpuint (duration, ==, 59 * GST_SECOND);
}

/* After a flush nothing from before is repeated: a gap then is silence. */
static void
test_flush_forgets (void)
{
  g_autoptr(GstHarness) h = new_filter ();
  g_autoptr(GArray) pcm = NULL;
  GstSegment segment;

  for (guint i = 0; i < 5; i++)
    gst_harness_push (h, tone_frame (i));
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_assert_true (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  gst_segment_init (&segment, GST_FORMAT_TIME);
  g_assert_true (gst_harness_push_event (h, gst_event_new_segment (&segment)));
  g_clear_pointer (&pcm, g_array_unref);
  pcm = audio_harness_pull_all (h, NULL);   /* what got out before the flush */
  g_clear_pointer (&pcm, g_array_unref);
  g_assert_true (gst_harness_push_event (h, gst_event_new_gap (0, 20 * GST_MSECOND)));
  pcm = audio_harness_pull_all (h, NULL);
  g_assert_cmpuint (pcm->len, ==, frame_len ());
  g_assert_cmpfloat (audio_harness_rms ((const gint16 *) pcm->data, pcm->len), ==, 0);
}

/* G.711's rate works the same way. */
static void
test_8k (void)
{
  rate = 8000;
  test_short_gap_continues ();
  test_long_gap_fades ();
  rate = 16000;
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plc-filter/passes-through", test_passes_through);
  g_test_add_func ("/plc-filter/short-gap-continues", test_short_gap_continues);
  g_test_add_func ("/plc-filter/long-gap-fades", test_long_gap_fades);
  g_test_add_func ("/plc-filter/gaps-keep-timeline", test_gaps_keep_timeline);
  g_test_add_func ("/plc-filter/very-long-gap", test_very_long_gap);
  g_test_add_func ("/plc-filter/flush-forgets", test_flush_forgets);
  g_test_add_func ("/plc-filter/8k", test_8k);
  return g_test_run ();
}
