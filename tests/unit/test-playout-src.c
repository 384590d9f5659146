/* test-playout-src.c: BellPlayoutSrc for nothing (--audio-out none) takes the frames due out
 * of its playout as each packet comes, before the packet goes in: a packet that comes after
 * its frame was due is late, one in time is played, and nothing else has to run. For a file,
 * the end of a call drains what came, however far behind the streaming thread was. */
#include <gst/gst.h>

#include "bell-playout-src.h"

#define FRAME 160           /* 20 ms of PCMU */
#define T0    1000000000    /* µs: the first packet's arrival */

static void
put (GstElement *src, guint i, gint64 arrival_us)
{
  guint8 payload[FRAME];

  memset (payload, 0xFF - (i % 16), sizeof payload);   /* µ-law near silence, not all alike */
  bell_playout_src_put (BELL_PLAYOUT_SRC (src), (guint16) (1000 + i), 4000 + i * FRAME, i == 0,
                        payload, sizeof payload, arrival_us);
}

/* A call's playout to nothing: PCMU, 20 ms frames, a recording's 60 ms floor. */
static GstElement *
new_to_nothing (void)
{
  return gst_object_ref_sink (bell_playout_src_new (BELL_PLAYOUT_PCMU, 20, 60,
                                                    BELL_PLAYOUT_TO_NOTHING));
}

/* 50 packets 20 ms apart: every frame due by the last arrival was taken out and played. */
static void
test_steady (void)
{
  g_autoptr(GstElement) src = new_to_nothing ();
  BellPlayoutStats stats;

  for (guint i = 0; i < 50; i++)
    put (src, i, T0 + i * 20000);
  bell_playout_src_get_stats (BELL_PLAYOUT_SRC (src), &stats);
  g_test_message ("played %" G_GUINT64_FORMAT ", concealed %" G_GUINT64_FORMAT ", target %u ms",
                  stats.played, stats.concealed, bell_playout_src_get_target_ms (BELL_PLAYOUT_SRC (src)));
  /* The first frame is due at T0 + the target (60 ms, the floor): frames 0 to 46 by T0 + 980. */
  g_assert_cmpuint (bell_playout_src_get_target_ms (BELL_PLAYOUT_SRC (src)), ==, 60);
  g_assert_cmpuint (stats.played + stats.concealed, ==, 47);
  g_assert_cmpuint (stats.played, >=, 46);
  g_assert_cmpuint (stats.late, ==, 0);
}

/* Packet 30 held back until well after its frame was due: late, and its frame concealed. */
static void
test_late (void)
{
  g_autoptr(GstElement) src = new_to_nothing ();
  BellPlayoutStats stats;

  for (guint i = 0; i < 50; i++)
    {
      if (i != 30)
        put (src, i, T0 + i * 20000);
      if (i == 40)
        put (src, 30, T0 + i * 20000 + 1000);
    }
  bell_playout_src_get_stats (BELL_PLAYOUT_SRC (src), &stats);
  g_assert_cmpuint (stats.late, ==, 1);
  g_assert_cmpuint (stats.concealed, >=, 1);
  /* Frames by T0 + 980 ms: 47, fewer when the playout made one a step longer after the hole
   * (a frame of 25 ms, the ones after it due that much later). */
  g_assert_cmpuint (stats.played + stats.concealed, <=, 47);
  g_assert_cmpuint (stats.played + stats.concealed + stats.added_for_drift, >=, 46);
}

/* The streaming thread of a recording, held up (a loaded machine) after its fifth frame
 * until the call has ended. */
typedef struct
{
  GMutex   lock;
  GCond    cond;
  gboolean released;
  guint    buffers;
  guint64  samples;
} Starved;

static GstPadProbeReturn
starve (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Starved *st = data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

  g_mutex_lock (&st->lock);
  st->samples += gst_buffer_get_size (buffer) / sizeof (gint16);
  if (++st->buffers == 5)
    while (!st->released)
      g_cond_wait (&st->cond, &st->lock);
  g_mutex_unlock (&st->lock);
  return GST_PAD_PROBE_OK;
}

/* A recording whose streaming thread fell behind still gets every frame of what came before
 * the call ended: finish() has them made at once, then EOS. 25 packets 20 ms apart (500 ms),
 * the thread held from its fifth frame (100 ms) until after finish(). */
static void
test_finish_drains (void)
{
  g_autoptr(GstElement) pipeline = gst_pipeline_new (NULL);
  GstElement *src = bell_playout_src_new (BELL_PLAYOUT_PCMU, 20, 60, BELL_PLAYOUT_TO_FILE);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr(GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr(GstMessage) msg = NULL;
  g_autoptr(GstPad) pad = gst_element_get_static_pad (src, "src");
  Starved st = { .released = FALSE };
  BellPlayoutStats stats;

  g_mutex_init (&st.lock);
  g_cond_init (&st.cond);
  g_object_set (sink, "sync", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  g_assert_true (gst_element_link (src, sink));
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, starve, &st, NULL);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);

  for (guint i = 0; i < 25; i++)
    {
      if (i)
        g_usleep (20000);
      put (src, i, g_get_monotonic_time ());
    }
  bell_playout_src_finish (BELL_PLAYOUT_SRC (src));
  g_mutex_lock (&st.lock);
  g_assert_cmpuint (st.buffers, ==, 5);   /* held up: the rest was not made yet */
  st.released = TRUE;
  g_cond_signal (&st.cond);
  g_mutex_unlock (&st.lock);

  msg = gst_bus_timed_pop_filtered (bus, 5 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_EOS);
  bell_playout_src_get_stats (BELL_PLAYOUT_SRC (src), &stats);
  g_test_message ("%u buffers, %" G_GUINT64_FORMAT " samples; played %" G_GUINT64_FORMAT
                  ", concealed %" G_GUINT64_FORMAT, st.buffers, st.samples, stats.played,
                  stats.concealed);
  /* Every frame taken went out before the EOS, and they are every packet's (one may have come
   * late on a loaded machine, its frame concealed) and no more than the sleeps' drift adds. */
  g_assert_cmpuint (st.buffers, ==, stats.played + stats.concealed);
  g_assert_cmpuint (stats.played + stats.late, ==, 25);
  g_assert_cmpuint (stats.played, >=, 24);
  g_assert_cmpuint (st.samples, >=, 25 * FRAME - BELL_PLAYOUT_STEP_MAX);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  g_mutex_clear (&st.lock);
  g_cond_clear (&st.cond);
}

int
main (int argc, char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/playout-src/to-nothing/steady", test_steady);
  g_test_add_func ("/playout-src/to-nothing/late", test_late);
  g_test_add_func ("/playout-src/to-file/finish-drains", test_finish_drains);
  return g_test_run ();
}
