/* test-g711.c: our G.711 encoders (the send path's, bell-g711.h) give the same code as
 * GStreamer's mulawenc and alawenc for every 16-bit sample, and each code decodes back to
 * itself. */
#include <gst/audio/audio.h>
#include <gst/check/gstharness.h>

#include "bell-g711.h"

#define N_SAMPLES 65536

/* Every sample value from -32768 up, in order. */
static gint16 *
all_samples (void)
{
  gint16 *pcm = g_new (gint16, N_SAMPLES);

  for (guint i = 0; i < N_SAMPLES; i++)
    pcm[i] = (gint16) ((gint) i - 32768);
  return pcm;
}

/* What GStreamer's encoder element makes of them. */
static guint8 *
gstreamer_codes (const char *element, const gint16 *pcm)
{
  GstHarness *h = gst_harness_new (element);
  GstBuffer *in = gst_buffer_new_memdup (pcm, N_SAMPLES * sizeof (gint16));
  guint8 *codes = g_malloc (N_SAMPLES);
  gsize got = 0;

  gst_harness_set_src_caps_str (h, "audio/x-raw, format=" GST_AUDIO_NE (S16)
                                   ", layout=interleaved, rate=8000, channels=1");
  GST_BUFFER_PTS (in) = 0;
  g_assert_cmpint (gst_harness_push (h, in), ==, GST_FLOW_OK);
  while (got < N_SAMPLES)
    {
      g_autoptr(GstBuffer) out = gst_harness_pull (h);
      g_assert_nonnull (out);
      got += gst_buffer_extract (out, 0, codes + got, N_SAMPLES - got);
    }
  gst_harness_teardown (h);
  return codes;
}

static void
assert_same_codes (const char *element,
                   void (*encode) (const gint16 *, gsize, guint8 *))
{
  g_autofree gint16 *pcm = all_samples ();
  g_autofree guint8 *ours = g_malloc (N_SAMPLES);
  g_autofree guint8 *theirs = NULL;

  if (!gst_registry_check_feature_version (gst_registry_get (), element, 1, 0, 0))
    {
      g_test_skip ("GStreamer's G.711 encoders are not installed (gstreamer1.0-plugins-good)");
      return;
    }
  theirs = gstreamer_codes (element, pcm);
  encode (pcm, N_SAMPLES, ours);
  for (guint i = 0; i < N_SAMPLES; i++)
    if (ours[i] != theirs[i])
      g_error ("%s: sample %d: ours 0x%02x, GStreamer's 0x%02x", element, pcm[i], ours[i], theirs[i]);
}

static void
test_ulaw_as_gstreamer (void)
{
  assert_same_codes ("mulawenc", bell_g711_ulaw_encode_buf);
}

static void
test_alaw_as_gstreamer (void)
{
  assert_same_codes ("alawenc", bell_g711_alaw_encode_buf);
}

/* Each code's value encodes to that code (µ-law's two zeros, 0x7f and 0xff, to 0xff). */
static void
test_round_trip (void)
{
  for (guint c = 0; c < 256; c++)
    {
      gint16 u = bell_g711_ulaw_decode ((guint8) c), a = bell_g711_alaw_decode ((guint8) c);
      guint8 uc, ac;

      bell_g711_ulaw_encode_buf (&u, 1, &uc);
      bell_g711_alaw_encode_buf (&a, 1, &ac);
      g_assert_cmpint (bell_g711_ulaw_decode (uc), ==, u);
      g_assert_cmpuint (ac, ==, c);
    }
}

int
main (int argc, char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/g711/ulaw-as-gstreamer", test_ulaw_as_gstreamer);
  g_test_add_func ("/g711/alaw-as-gstreamer", test_alaw_as_gstreamer);
  g_test_add_func ("/g711/round-trip", test_round_trip);
  return g_test_run ();
}
