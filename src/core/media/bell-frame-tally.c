/* bell-frame-tally.c: frame fates over a sliding window of sequence numbers. */
#include "bell-frame-tally.h"

#include <string.h>

/* Frames kept open: RED repeats at most 3 frames back, and reordering rarely goes further;
 * 8 frames (160 ms at 20 ms) settle every fate a playout could still use. */
#define SETTLE_FRAMES 8
/* The window's size (a power of two): a jump further than this is a new start of the count. */
#define WINDOW 64
/* A jump ahead larger than this, or back further than MAX_MISORDER, is taken as the sender
 * restarting its numbering rather than thousands of lost frames or a very late one, once the
 * next packet follows it (RFC 3550 A.1's MAX_DROPOUT, MAX_MISORDER and probation). */
#define MAX_DROPOUT  3000
#define MAX_MISORDER 100

typedef enum { NONE = 0, PACKET, RED } Fate;

struct _BellFrameTally
{
  gboolean        started;
  guint64         highest;      /* extended sequence number of the newest frame */
  guint64         settled;      /* frames below this one are counted */
  guint8          fate[WINDOW]; /* by extended number modulo WINDOW, for the open frames */
  gboolean        fec;
  gboolean        probing;      /* a packet far off came: probe is the number after it */
  guint16         probe;
  BellFrameCounts counts;
};

BellFrameTally *
bell_frame_tally_new (void)
{
  return g_new0 (BellFrameTally, 1);
}

void
bell_frame_tally_free (BellFrameTally *t)
{
  g_free (t);
}

void
bell_frame_tally_set_fec (BellFrameTally *t, gboolean fec)
{
  t->fec = fec;
}

/* Counts frame x (< t->highest) and frees its slot. */
static void
settle_one (BellFrameTally *t, guint64 x)
{
  Fate fate = t->fate[x % WINDOW];

  t->counts.frames++;
  if (fate == PACKET)
    t->counts.packets++;
  else if (fate == RED)
    t->counts.red++;
  else if (t->fec && t->fate[(x + 1) % WINDOW] != NONE)
    t->counts.fec++;   /* the next frame's packet carried this one's FEC */
  else
    t->counts.concealed++;
  t->fate[x % WINDOW] = NONE;
}

/* Settles every frame more than SETTLE_FRAMES behind the newest. The next frame's slot is
 * read before it is freed: frames settle oldest first. */
static void
settle (BellFrameTally *t)
{
  while (t->settled + SETTLE_FRAMES < t->highest)
    settle_one (t, t->settled++);
}

/* seq as an extended number near the newest one (RFC 3550 A.1), -1 for one too far back. */
static gint64
extend (BellFrameTally *t, guint16 seq)
{
  gint32 delta = (gint16) (seq - (guint16) t->highest);

  if ((gint64) t->highest + delta < 0)
    return -1;
  return (gint64) t->highest + delta;
}

gboolean
bell_frame_tally_arrived (BellFrameTally *t, guint16 seq, BellFrameSource source)
{
  gint64 x;

  if (!t->started)
    {
      t->started = TRUE;
      /* Extended numbers keep seq's low 16 bits and start one cycle up, so that frames
       * reordered before the first one still have a place. */
      t->highest = t->settled = G_GUINT64_CONSTANT (0x10000) + seq;
      t->fate[t->highest % WINDOW] = source == BELL_FRAME_PACKET ? PACKET : RED;
      return TRUE;
    }
  x = extend (t, seq);
  if (x < 0 || (guint64) x + MAX_MISORDER < t->highest ||
      ((guint64) x > t->highest && (guint64) x - t->highest > MAX_DROPOUT))
    {
      /* Far off: a stray packet, or the sender numbering anew (a new source behind a relay,
       * from lower down as often as from further up). A restart once the next packet follows
       * it: what was open is settled as it stands, and the count goes on from there. */
      if (!t->probing || seq != t->probe)
        {
          t->probing = TRUE;
          t->probe = (guint16) (seq + 1);
          return FALSE;
        }
      while (t->settled <= t->highest)
        settle_one (t, t->settled++);
      memset (t->fate, NONE, sizeof t->fate);
      t->highest = t->settled = G_GUINT64_CONSTANT (0x10000) + seq;
      x = (gint64) t->highest;
    }
  t->probing = FALSE;
  if ((guint64) x < t->settled)
    return FALSE;   /* too late to matter */
  if ((guint64) x > t->highest)
    {
      /* Frames skipped by a jump beyond the window settle (as lost) before their slots are
       * reused. */
      while ((guint64) x - t->settled >= WINDOW)
        settle_one (t, t->settled++);
      t->highest = (guint64) x;
    }
  if (t->fate[x % WINDOW] != NONE)
    return FALSE;   /* a duplicate */
  t->fate[x % WINDOW] = source == BELL_FRAME_PACKET ? PACKET : RED;
  settle (t);
  return TRUE;
}

void
bell_frame_tally_get (BellFrameTally *t, BellFrameCounts *counts)
{
  *counts = t->counts;
}
