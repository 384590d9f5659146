/* test-playout-src.c: BellPlayoutSrc for nothing (--audio-out none) takes the frames due out
 * of its playout as each packet comes, before the packet goes in: a packet that comes after
 * its frame was due is late, one in time is played, and nothing else has to run. */
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

int
main (int argc, char *argv[])
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/playout-src/to-nothing/steady", test_steady);
  g_test_add_func ("/playout-src/to-nothing/late", test_late);
  return g_test_run ();
}
