/* test-g711-dec.c: the bellg711dec element decodes G.711 and conceals the gaps the jitter
 * buffer reports (GAP events) with the signal that came before, fading over long ones. */
#include <math.h>

#include "audio-harness-util.h"
#include "bell-g711.h"
#include "bell-g711-dec.h"

#define RATE   8000
#define FRAME  160   /* 20 ms */
#define FREQ   200.0

static gint16
tone (guint64 n)
{
  return (gint16) (8000.0 * sin (2 * G_PI * FREQ * (double) n / RATE));
}

static GstHarness *
new_decoder (void)
{
  GstHarness *h;

  gst_init (NULL, NULL);
  bell_g711_dec_register ();
  h = gst_harness_new ("bellg711dec");
  gst_harness_set_src_caps_str (h, "audio/x-mulaw, rate=(int)8000, channels=(int)1");
  return h;
}

/* Frame `index` of the tone, µ-law coded, stamped. */
static GstBuffer *
tone_frame (guint index)
{
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, FRAME, NULL);
  gint16 pcm[FRAME];
  GstMapInfo map;

  for (guint i = 0; i < FRAME; i++)
    pcm[i] = tone ((guint64) index * FRAME + i);
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  bell_g711_ulaw_encode_buf (pcm, FRAME, map.data);
  gst_buffer_unmap (buffer, &map);
  GST_BUFFER_PTS (buffer) = index * 20 * GST_MSECOND;
  GST_BUFFER_DURATION (buffer) = 20 * GST_MSECOND;
  return buffer;
}


/* Decoded samples are the G.711 table's. */
static void
test_decodes (void)
{
  g_autoptr(GstHarness) h = new_decoder ();
  g_autoptr(GArray) pcm = NULL;
  g_autoptr(GstBuffer) frame = tone_frame (0);
  GstMapInfo map;

  g_assert_cmpint (gst_harness_push (h, gst_buffer_ref (frame)), ==, GST_FLOW_OK);
  pcm = audio_harness_pull_all (h, NULL);
  g_assert_cmpuint (pcm->len, ==, FRAME);
  gst_buffer_map (frame, &map, GST_MAP_READ);
  for (guint i = 0; i < FRAME; i++)
    {
      g_assert_cmpint (g_array_index (pcm, gint16, i), ==, bell_g711_ulaw_decode (map.data[i]));
      /* and the test's own coder is right: within G.711's step at that level */
      g_assert_cmpint (ABS (g_array_index (pcm, gint16, i) - tone (i)), <=, 260);
    }
  gst_buffer_unmap (frame, &map);
}

/* A 20 ms gap after a steady tone is filled with the tone going on (the repeated pitch
 * period lines up with what the lost packet held), not silence; the output keeps the timeline
 * (one frame of samples for one frame of gap). */
static void
test_short_gap_continues (void)
{
  g_autoptr(GstHarness) h = new_decoder ();
  g_autoptr(GArray) pcm = NULL;
  double dot = 0, e1 = 0, e2 = 0;

  for (guint i = 0; i < 10; i++)
    gst_harness_push (h, tone_frame (i));
  g_assert_true (gst_harness_push_event (h, gst_event_new_gap (10 * 20 * GST_MSECOND, 20 * GST_MSECOND)));
  gst_harness_push (h, tone_frame (11));
  pcm = audio_harness_pull_all (h, NULL);
  g_assert_cmpuint (pcm->len, ==, 12 * FRAME);
  for (guint i = 0; i < FRAME; i++)
    {
      double got = g_array_index (pcm, gint16, 10 * FRAME + i), want = tone (10 * FRAME + i);

      dot += got * want;
      e1 += got * got;
      e2 += want * want;
    }
  g_assert_cmpfloat (dot / sqrt (e1 * e2), >, 0.9);
  g_assert_cmpfloat (sqrt (e1 / FRAME), >, 0.5 * sqrt (e2 / FRAME));
}

/* A long gap (200 ms) fades out: its last 20 ms are silent, as a drone would be worse. */
static void
test_long_gap_fades (void)
{
  g_autoptr(GstHarness) h = new_decoder ();
  g_autoptr(GArray) pcm = NULL;
  const gint16 *x;

  for (guint i = 0; i < 10; i++)
    gst_harness_push (h, tone_frame (i));
  g_assert_true (gst_harness_push_event (h, gst_event_new_gap (200 * GST_MSECOND, 200 * GST_MSECOND)));
  pcm = audio_harness_pull_all (h, NULL);
  g_assert_cmpuint (pcm->len, ==, 20 * FRAME);
  x = (const gint16 *) pcm->data;
  g_assert_cmpfloat (audio_harness_rms (x + 10 * FRAME, FRAME / 2), >, 1000);    /* the first 10 ms: sound */
  g_assert_cmpfloat (audio_harness_rms (x + 19 * FRAME, FRAME), <, 10);          /* the last 20 ms: silence */
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/g711-dec/decodes", test_decodes);
  g_test_add_func ("/g711-dec/short-gap-continues", test_short_gap_continues);
  g_test_add_func ("/g711-dec/long-gap-fades", test_long_gap_fades);
  return g_test_run ();
}
