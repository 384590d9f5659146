/* bell-plc.c: G.711 Appendix I style concealment (see the header). */
#include "bell-plc.h"

#include <math.h>
#include <string.h>

#define PITCH_MIN    40                          /* 200 Hz at 8 kHz */
#define PITCH_MAX    120                         /* 66.7 Hz */
#define OVERLAP_MAX  (PITCH_MAX / 4)
#define HIST_LEN     (3 * PITCH_MAX + OVERLAP_MAX)   /* three longest periods and a quarter */
#define CORR_LEN     160                         /* 20 ms compared against one period back */
#define BLOCK        80                          /* 10 ms */
#define FADE_FROM    BLOCK                       /* full level for the first 10 ms ... */
#define FADE_STEP    0.2f                        /* ... then 20 % less every 10 ms */
#define SILENT_AT    (6 * BLOCK)                 /* nothing left after 60 ms */
#define END_OLA_STEP 32                          /* 4 ms blend back, per 10 ms lost */
#define MIN_ENERGY   250.0f                      /* per sample: below it, no pitch to find */

struct _BellPlc
{
  gint16 hist[HIST_LEN];   /* the last samples played, newest last */
  float  buf[HIST_LEN];    /* history as the loss began, the last period's end smoothed */
  guint  erased;           /* samples made up in this loss */
  guint  pitch;
  guint  overlap;          /* a quarter period */
  guint  blen;             /* periods repeated: pitch, 2 or 3 times it */
  guint  pos;              /* next sample, from the start of the repeated periods */
  float  offset;           /* last sample played less the one the repetition follows */
};

BellPlc *
bell_plc_new (void)
{
  return g_new0 (BellPlc, 1);
}

void
bell_plc_free (BellPlc *plc)
{
  g_free (plc);
}

guint
bell_plc_get_erased (const BellPlc *plc)
{
  return plc->erased;
}

static void
remember (BellPlc *plc, const gint16 *pcm, guint n)
{
  if (n >= HIST_LEN)
    {
      memcpy (plc->hist, pcm + n - HIST_LEN, sizeof plc->hist);
      return;
    }
  memmove (plc->hist, plc->hist + n, (HIST_LEN - n) * sizeof (gint16));
  memcpy (plc->hist + HIST_LEN - n, pcm, n * sizeof (gint16));
}

/* How well the last CORR_LEN samples match those lag samples earlier: correlation over the
 * earlier stretch's energy (normalised, so a louder past does not win), every step-th sample. */
static float
match (const float *x, guint lag, guint step)
{
  const float *now = x + HIST_LEN - CORR_LEN, *then = now - lag;
  float corr = 0, energy = 0;

  for (guint i = 0; i < CORR_LEN; i += step)
    {
      corr += now[i] * then[i];
      energy += then[i] * then[i];
    }
  energy = MAX (energy, MIN_ENERGY * CORR_LEN / step);
  return corr / sqrtf (energy);
}

/* The pitch period of the history: every second lag on every second sample first (a quarter
 * of the work), then the neighbours of the best at full resolution. */
static guint
find_pitch (const float *x)
{
  guint best = PITCH_MAX, lag, from, to;
  float best_score = -G_MAXFLOAT;

  for (lag = PITCH_MIN; lag <= PITCH_MAX; lag += 2)
    {
      float score = match (x, lag, 2);
      if (score > best_score)
        {
          best_score = score;
          best = lag;
        }
    }
  from = MAX (best - 1, PITCH_MIN);
  to = MIN (best + 1, PITCH_MAX);
  best_score = -G_MAXFLOAT;
  for (lag = from; lag <= to; lag++)
    {
      float score = match (x, lag, 1);
      if (score > best_score)
        {
          best_score = score;
          best = lag;
        }
    }
  return best;
}

static void
begin (BellPlc *plc)
{
  guint p, l;

  for (guint i = 0; i < HIST_LEN; i++)
    plc->buf[i] = plc->hist[i];
  p = plc->pitch = find_pitch (plc->buf);
  l = plc->overlap = p / 4;
  /* The period is repeated from its start again after its end: blend its last quarter into
   * the quarter before its start, so the repetition wraps around without a step. */
  for (guint i = 0; i < l; i++)
    {
      float w = (float) (i + 1) / (l + 1);
      plc->buf[HIST_LEN - l + i] = (1 - w) * plc->hist[HIST_LEN - l + i] +
                                   w * plc->hist[HIST_LEN - p - l + i];
    }
  plc->blen = p;
  plc->pos = 0;
  plc->offset = (float) plc->hist[HIST_LEN - 1] - plc->hist[HIST_LEN - p - 1];
}

/* The next made-up sample, before clipping. */
static float
next_sample (BellPlc *plc)
{
  guint t = plc->erased;
  float s, gain = 1;

  if (t >= SILENT_AT)
    return 0;
  /* Two periods after 10 ms, three after 20: the same sample, now inside a longer loop. */
  if ((t == BLOCK || t == 2 * BLOCK) && plc->blen + plc->pitch <= 3 * plc->pitch)
    {
      plc->pos += plc->pitch;
      plc->blen += plc->pitch;
    }
  s = plc->buf[HIST_LEN - plc->blen + plc->pos];
  plc->pos = (plc->pos + 1) % plc->blen;
  if (t < plc->overlap)
    s += plc->offset * (1 - (float) (t + 1) / (plc->overlap + 1));
  if (t >= FADE_FROM)
    gain = MAX (0.0f, 1 - FADE_STEP * (float) (t - FADE_FROM) / BLOCK);
  plc->erased++;
  return s * gain;
}

static gint16
clip (float s)
{
  return (gint16) CLAMP (lrintf (s), G_MININT16, G_MAXINT16);
}

void
bell_plc_conceal (BellPlc *plc, gint16 *pcm, guint n)
{
  if (plc->erased == 0)
    begin (plc);
  for (guint i = 0; i < n; i++)
    pcm[i] = clip (next_sample (plc));
  plc->erased = MIN (plc->erased, SILENT_AT);
  remember (plc, pcm, n);
}

void
bell_plc_good (BellPlc *plc, gint16 *pcm, guint n)
{
  if (plc->erased > 0)
    {
      /* 4 ms for the first 10 ms lost, 4 more for each further 10 ms, at most 10 ms. */
      guint lost_blocks = (plc->erased + BLOCK - 1) / BLOCK;
      guint len = MIN (MIN (END_OLA_STEP * lost_blocks, BLOCK), n);

      for (guint i = 0; i < len; i++)
        {
          float w = (float) (i + 1) / (len + 1);
          pcm[i] = clip ((1 - w) * next_sample (plc) + w * pcm[i]);
        }
      plc->erased = 0;
    }
  remember (plc, pcm, n);
}
