/* audio-harness-util.c: see the header. */
#include "audio-harness-util.h"

#include <math.h>

GArray *
audio_harness_pull_all (GstHarness *h, GArray *pts)
{
  GArray *pcm = g_array_new (FALSE, FALSE, sizeof (gint16));
  GstBuffer *buffer;

  while ((buffer = gst_harness_try_pull (h)))
    {
      GstMapInfo map;
      GstClockTime t = GST_BUFFER_PTS (buffer);

      if (pts)
        g_array_append_val (pts, t);
      gst_buffer_map (buffer, &map, GST_MAP_READ);
      g_array_append_vals (pcm, map.data, (guint) (map.size / 2));
      gst_buffer_unmap (buffer, &map);
      gst_buffer_unref (buffer);
    }
  return pcm;
}

double
audio_harness_rms (const gint16 *x, guint n)
{
  double sum = 0;

  for (guint i = 0; i < n; i++)
    sum += (double) x[i] * x[i];
  return n ? sqrt (sum / n) : 0;
}
