/* bell-plc.c: G.711 Appendix I style concealment at 8 kHz and its multiples (see the header). */
#include "bell-plc.h"

#include <math.h>
#include <string.h>

/* The lengths at 8 kHz, in samples; a BellPlc scales them to its rate. */
#define PITCH_MIN_8K    40                       /* 200 Hz */
#define PITCH_MAX_8K    120                      /* 66.7 Hz */
#define CORR_LEN_8K     160                      /* 20 ms compared against one period back */
#define BLOCK_8K        80                       /* 10 ms */
#define END_OLA_STEP_8K 32                       /* 4 ms blend back, per 10 ms lost */
#define MAX_SCALE       6                        /* 48 kHz */
#define FADE_STEP       0.2f                     /* 20 % less every 10 ms after the first */
#define MIN_ENERGY      250.0f                   /* per sample: below it, no pitch to find */

struct _BellPlc
{
  guint  rate;
  guint  pitch_min, pitch_max;
  guint  hist_len;         /* three longest periods and a quarter */
  guint  corr_len;
  guint  block;            /* 10 ms: full level for the first block, then fading */
  guint  silent_at;        /* nothing left after 60 ms */
  guint  end_ola_step;
  gint16 *hist;            /* the last samples played, newest last */
  float  *buf;             /* history as the loss began, the last period's end smoothed */
  guint  erased;           /* samples made up in this loss */
  guint  pitch;
  guint  overlap;          /* a quarter period */
  guint  blen;             /* periods repeated: pitch, 2 or 3 times it */
  guint  pos;              /* next sample, from the start of the repeated periods */
  float  offset;           /* last sample played less the one the repetition follows */
};

BellPlc *
bell_plc_new_for_rate (guint rate)
{
  BellPlc *plc;
  guint k = rate / 8000;

  g_return_val_if_fail (rate % 8000 == 0 && k >= 1 && k <= MAX_SCALE, NULL);
  plc = g_new0 (BellPlc, 1);
  plc->rate = rate;
  plc->pitch_min = k * PITCH_MIN_8K;
  plc->pitch_max = k * PITCH_MAX_8K;
  plc->hist_len = 3 * plc->pitch_max + plc->pitch_max / 4;
  plc->corr_len = k * CORR_LEN_8K;
  plc->block = k * BLOCK_8K;
  plc->silent_at = 6 * plc->block;
  plc->end_ola_step = k * END_OLA_STEP_8K;
  plc->hist = g_new0 (gint16, plc->hist_len);
  plc->buf = g_new0 (float, plc->hist_len);
  return plc;
}

BellPlc *
bell_plc_new (void)
{
  return bell_plc_new_for_rate (8000);
}

void
bell_plc_free (BellPlc *plc)
{
  if (!plc)
    return;
  g_free (plc->hist);
  g_free (plc->buf);
  g_free (plc);
}

guint
bell_plc_get_rate (const BellPlc *plc)
{
  return plc->rate;
}

guint
bell_plc_get_erased (const BellPlc *plc)
{
  return plc->erased;
}

static void
remember (BellPlc *plc, const gint16 *pcm, guint n)
{
  guint len = plc->hist_len;

  if (n >= len)
    {
      memcpy (plc->hist, pcm + n - len, len * sizeof (gint16));
      return;
    }
  memmove (plc->hist, plc->hist + n, (len - n) * sizeof (gint16));
  memcpy (plc->hist + len - n, pcm, n * sizeof (gint16));
}

/* How well the last 20 ms match those lag samples earlier: correlation over the earlier
 * stretch's energy (normalised, so a louder past does not win), every step-th sample. */
static float
match (const BellPlc *plc, guint lag, guint step)
{
  const float *now = plc->buf + plc->hist_len - plc->corr_len, *then = now - lag;
  float corr = 0, energy = 0;

  for (guint i = 0; i < plc->corr_len; i += step)
    {
      corr += now[i] * then[i];
      energy += then[i] * then[i];
    }
  energy = MAX (energy, MIN_ENERGY * plc->corr_len / step);
  return corr / sqrtf (energy);
}

/* The pitch period of the history: every second lag on every second sample first (a quarter
 * of the work), then the neighbours of the best at full resolution. */
static guint
find_pitch (const BellPlc *plc)
{
  guint best = plc->pitch_max, lag, from, to;
  float best_score = -G_MAXFLOAT;

  for (lag = plc->pitch_min; lag <= plc->pitch_max; lag += 2)
    {
      float score = match (plc, lag, 2);
      if (score > best_score)
        {
          best_score = score;
          best = lag;
        }
    }
  from = MAX (best - 1, plc->pitch_min);
  to = MIN (best + 1, plc->pitch_max);
  best_score = -G_MAXFLOAT;
  for (lag = from; lag <= to; lag++)
    {
      float score = match (plc, lag, 1);
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
  guint p, l, n = plc->hist_len;

  for (guint i = 0; i < n; i++)
    plc->buf[i] = plc->hist[i];
  p = plc->pitch = find_pitch (plc);
  l = plc->overlap = p / 4;
  /* The period is repeated from its start again after its end: blend its last quarter into
   * the quarter before its start, so the repetition wraps around without a step. */
  for (guint i = 0; i < l; i++)
    {
      float w = (float) (i + 1) / (l + 1);
      plc->buf[n - l + i] = (1 - w) * plc->hist[n - l + i] + w * plc->hist[n - p - l + i];
    }
  plc->blen = p;
  plc->pos = 0;
  plc->offset = (float) plc->hist[n - 1] - plc->hist[n - p - 1];
}

/* The next made-up sample, before clipping. */
static float
next_sample (BellPlc *plc)
{
  guint t = plc->erased;
  float s, gain = 1;

  if (t >= plc->silent_at)
    return 0;
  /* Two periods after 10 ms, three after 20: the same sample, now inside a longer loop. */
  if ((t == plc->block || t == 2 * plc->block) && plc->blen + plc->pitch <= 3 * plc->pitch)
    {
      plc->pos += plc->pitch;
      plc->blen += plc->pitch;
    }
  s = plc->buf[plc->hist_len - plc->blen + plc->pos];
  plc->pos = (plc->pos + 1) % plc->blen;
  if (t < plc->overlap)
    s += plc->offset * (1 - (float) (t + 1) / (plc->overlap + 1));
  if (t >= plc->block)
    gain = MAX (0.0f, 1 - FADE_STEP * (float) (t - plc->block) / plc->block);
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
  plc->erased = MIN (plc->erased, plc->silent_at);
  remember (plc, pcm, n);
}

void
bell_plc_good (BellPlc *plc, gint16 *pcm, guint n)
{
  if (plc->erased > 0)
    {
      /* 4 ms for the first 10 ms lost, 4 more for each further 10 ms, at most 10 ms. */
      guint lost_blocks = (plc->erased + plc->block - 1) / plc->block;
      guint len = MIN (MIN (plc->end_ola_step * lost_blocks, plc->block), n);

      for (guint i = 0; i < len; i++)
        {
          float w = (float) (i + 1) / (len + 1);
          pcm[i] = clip ((1 - w) * next_sample (plc) + w * pcm[i]);
        }
      plc->erased = 0;
    }
  remember (plc, pcm, n);
}
