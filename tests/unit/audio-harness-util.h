/* audio-harness-util.h: what the media element tests (GstHarness) share. */
#pragma once

#include <gst/check/gstharness.h>

/* gstharness.h has no autoptr cleanup in 1.22. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GstHarness, gst_harness_teardown)

/* All the S16 samples the element has put out so far; the buffers' timestamps appended to pts
 * when it is given. */
GArray *audio_harness_pull_all (GstHarness *h, GArray *pts);
/* Root mean square of n samples (0 for none). */
double  audio_harness_rms      (const gint16 *x, guint n);
