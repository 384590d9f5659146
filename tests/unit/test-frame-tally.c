/* test-frame-tally.c: each frame's fate, from packet traces. */
#include "bell-frame-tally.h"

/* Feeds frames first..first+count-1 in order, dropping those for which lost(i) says so. */
static void
feed (BellFrameTally *t, guint16 first, guint count, gboolean (*lost) (guint i))
{
  for (guint i = 0; i < count; i++)
    if (!lost || !lost (i))
      g_assert_true (bell_frame_tally_arrived (t, (guint16) (first + i), BELL_FRAME_PACKET));
}

static gboolean
every_fifth (guint i)
{
  return i % 5 == 2;
}

/* A clean stream: every settled frame came in its own packet; the last few stay open. */
static void
test_clean (void)
{
  g_autoptr(BellFrameTally) t = bell_frame_tally_new ();
  BellFrameCounts c;

  feed (t, 100, 1000, NULL);
  bell_frame_tally_get (t, &c);
  g_assert_cmpuint (c.frames, >=, 1000 - 10);
  g_assert_cmpuint (c.frames, <, 1000);
  g_assert_cmpuint (c.packets, ==, c.frames);
  g_assert_cmpuint (c.concealed + c.red + c.fec, ==, 0);
}

/* Every fifth frame lost, across the sequence number's wrap: 20 % concealed. With FEC in the
 * decoder, each of them is rebuilt from the next packet instead. */
static void
test_loss_and_fec (void)
{
  g_autoptr(BellFrameTally) t = bell_frame_tally_new ();
  g_autoptr(BellFrameTally) f = bell_frame_tally_new ();
  BellFrameCounts c;

  feed (t, 65000, 1000, every_fifth);
  bell_frame_tally_get (t, &c);
  g_assert_cmpuint (c.frames, ==, c.packets + c.concealed);
  g_assert_cmpfloat_with_epsilon ((double) c.concealed / c.frames, 0.2, 0.01);

  bell_frame_tally_set_fec (f, TRUE);
  feed (f, 65000, 1000, every_fifth);
  bell_frame_tally_get (f, &c);
  g_assert_cmpuint (c.concealed, ==, 0);
  g_assert_cmpfloat_with_epsilon ((double) c.fec / c.frames, 0.2, 0.01);
}

/* Two frames lost in a row: FEC rebuilds only the second (the first one's FEC was in the
 * second's packet). */
static void
test_fec_burst (void)
{
  g_autoptr(BellFrameTally) t = bell_frame_tally_new ();
  BellFrameCounts c;

  bell_frame_tally_set_fec (t, TRUE);
  for (guint16 s = 0; s < 40; s++)
    if (s != 10 && s != 11)
      bell_frame_tally_arrived (t, s, BELL_FRAME_PACKET);
  bell_frame_tally_get (t, &c);
  g_assert_cmpuint (c.fec, ==, 1);
  g_assert_cmpuint (c.concealed, ==, 1);
}

/* A RED copy fills a hole; a second copy of the same frame, or the late original, is no news
 * (a duplicate); a copy of a frame settled long ago is refused. */
static void
test_red_and_duplicates (void)
{
  g_autoptr(BellFrameTally) t = bell_frame_tally_new ();
  BellFrameCounts c;

  for (guint16 s = 0; s < 50; s++)
    {
      if (s == 20)
        continue;
      g_assert_true (bell_frame_tally_arrived (t, s, BELL_FRAME_PACKET));
      if (s == 22)
        {
          g_assert_true (bell_frame_tally_arrived (t, 20, BELL_FRAME_RED));
          g_assert_false (bell_frame_tally_arrived (t, 20, BELL_FRAME_RED));
          g_assert_false (bell_frame_tally_arrived (t, 20, BELL_FRAME_PACKET));
          g_assert_false (bell_frame_tally_arrived (t, 21, BELL_FRAME_PACKET));
        }
    }
  g_assert_false (bell_frame_tally_arrived (t, 5, BELL_FRAME_RED));
  bell_frame_tally_get (t, &c);
  g_assert_cmpuint (c.red, ==, 1);
  g_assert_cmpuint (c.concealed, ==, 0);
  g_assert_cmpuint (c.frames, ==, c.packets + c.red);
}

/* Reordering within the window is no loss; a 300 ms gap (15 frames) is 15 concealed frames;
 * a jump of 10 000 is the sender starting over, not 10 000 losses. */
static void
test_reorder_gap_restart (void)
{
  g_autoptr(BellFrameTally) t = bell_frame_tally_new ();
  BellFrameCounts c;
  guint64 before;

  for (guint16 s = 0; s < 100; s += 2)
    {
      bell_frame_tally_arrived (t, s + 1, BELL_FRAME_PACKET);
      bell_frame_tally_arrived (t, s, BELL_FRAME_PACKET);
    }
  bell_frame_tally_get (t, &c);
  g_assert_cmpuint (c.concealed, ==, 0);
  for (guint16 s = 115; s < 200; s++)
    bell_frame_tally_arrived (t, s, BELL_FRAME_PACKET);
  bell_frame_tally_get (t, &c);
  g_assert_cmpuint (c.concealed, ==, 15);
  before = c.frames;
  for (guint16 s = 10200; s < 10300; s++)
    bell_frame_tally_arrived (t, s, BELL_FRAME_PACKET);
  bell_frame_tally_get (t, &c);
  g_assert_cmpuint (c.concealed, ==, 15);
  g_assert_cmpuint (c.frames - before, <, 200);
}

/* A source that numbers anew from lower down (a new SSRC behind a relay, an announcement then
 * the callee) is taken from its second packet on, as one that numbers anew further up is; a
 * single stray packet far off does not restart the count. Found by fuzz-rtp: every frame of
 * a numbering 1000 lower was refused as late, and the audio dropped, until the new numbers
 * caught up with the old ones. */
static void
test_restart_lower (void)
{
  g_autoptr(BellFrameTally) t = bell_frame_tally_new ();
  BellFrameCounts c;

  for (guint16 s = 5000; s < 5050; s++)
    g_assert_true (bell_frame_tally_arrived (t, s, BELL_FRAME_PACKET));
  g_assert_false (bell_frame_tally_arrived (t, 4000, BELL_FRAME_PACKET));
  for (guint16 s = 4001; s < 4050; s++)
    g_assert_true (bell_frame_tally_arrived (t, s, BELL_FRAME_PACKET));
  bell_frame_tally_get (t, &c);
  g_assert_cmpuint (c.concealed, ==, 0);
  g_assert_cmpuint (c.frames, ==, c.packets);

  /* One packet 20 000 ahead, or 30 000 behind, then the stream goes on: nothing restarts. */
  g_assert_false (bell_frame_tally_arrived (t, 24050, BELL_FRAME_PACKET));
  g_assert_true (bell_frame_tally_arrived (t, 4050, BELL_FRAME_PACKET));
  g_assert_false (bell_frame_tally_arrived (t, (guint16) (4051 - 30000), BELL_FRAME_PACKET));
  g_assert_true (bell_frame_tally_arrived (t, 4051, BELL_FRAME_PACKET));
  g_assert_true (bell_frame_tally_arrived (t, 4052, BELL_FRAME_PACKET));
  /* A copy of a frame settled long ago stays refused. */
  g_assert_false (bell_frame_tally_arrived (t, 4010, BELL_FRAME_RED));
  bell_frame_tally_get (t, &c);
  g_assert_cmpuint (c.concealed, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/frame-tally/clean", test_clean);
  g_test_add_func ("/frame-tally/loss-and-fec", test_loss_and_fec);
  g_test_add_func ("/frame-tally/fec-burst", test_fec_burst);
  g_test_add_func ("/frame-tally/red-and-duplicates", test_red_and_duplicates);
  g_test_add_func ("/frame-tally/reorder-gap-restart", test_reorder_gap_restart);
  g_test_add_func ("/frame-tally/restart-lower", test_restart_lower);
  return g_test_run ();
}
