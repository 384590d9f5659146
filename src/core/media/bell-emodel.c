/* bell-emodel.c: R and MOS by ITU-T G.107 (see the header): the formulas of its §7 (Ro, Is,
 * Id, Ie,eff), the R-to-MOS conversion of Annex B, the default values of its Table 1. */
#define G_LOG_DOMAIN "bell-media"

#include "bell-emodel.h"

#include <math.h>

/* G.107 Table 1: the default values of everything we cannot measure. */
#define SLR   8.0     /* send loudness rating, dB */
#define RLR   2.0     /* receive loudness rating, dB */
#define STMR  15.0    /* sidetone masking rating, dB */
#define LSTR  18.0    /* listener sidetone rating, dB */
#define DS    3.0     /* D-value of the telephone, send side */
#define TELR  65.0    /* talker echo loudness rating, dB */
#define WEPL  110.0   /* weighted echo path loss, dB */
#define QDU   1.0     /* quantizing distortion units */
#define NC    (-70.0) /* circuit noise, dBm0p */
#define NFOR  (-64.0) /* noise floor at the receive side, dBmp */
#define PS    35.0    /* room noise at the send side, dB(A) */
#define PR    35.0    /* room noise at the receive side, dB(A) */

/* G.113 Appendix I (Tables I.1 and I.3): G.711 has no coding impairment; its robustness to
 * random packet loss is Bpl 25.1 with the Appendix I concealment, 4.3 when a lost frame is
 * played as silence. */
#define G711_IE          0.0
#define BPL_CONCEALED    25.1
#define BPL_SILENCE      4.3

gboolean
bell_emodel_codec_from_name (const char *encoding, BellEmodelCodec *codec)
{
  g_return_val_if_fail (encoding != NULL, FALSE);
  g_return_val_if_fail (codec != NULL, FALSE);

  if (g_ascii_strcasecmp (encoding, "PCMU") == 0 || g_ascii_strcasecmp (encoding, "PCMA") == 0)
    *codec = BELL_EMODEL_CODEC_G711;
  else if (g_ascii_strcasecmp (encoding, "G722") == 0)
    *codec = BELL_EMODEL_CODEC_G722;
  else if (g_ascii_strcasecmp (encoding, "opus") == 0)
    *codec = BELL_EMODEL_CODEC_OPUS;
  else
    return FALSE;
  return TRUE;
}

/* Opus: the narrowband-equivalent Ie at a bitrate, on a line through three anchors.
 * - From 12 kbit/s libopus codes speech in wideband (or wider), which the narrowband scale
 *   cannot rate above G.711: Ie 0, as for G.722 below. (Rämö and Toukomaa, "Voice quality
 *   characterization of IETF Opus codec", Interspeech 2011, found Opus wideband from about
 *   12 kbit/s on a par with or above the wideband codecs of its rate.)
 * - At 8 kbit/s Opus codes narrowband speech with its SILK layer, the rate and band of G.729,
 *   whose Ie is 10 (G.113 Table I.1); the same study found Opus at that rate no worse than the
 *   narrowband CELP codecs, so 10 is a conservative value.
 * - At 6 kbit/s and below, the band and rate of G.723.1 at 6.3 kbit/s: Ie 15 (G.113 Table I.1).
 * These are our reading of the literature for planning-grade estimates, not G.113 values: G.113
 * has none for Opus. */
static double
opus_ie (guint bitrate)
{
  if (bitrate == 0 || bitrate >= 12000)
    return 0.0;
  if (bitrate >= 8000)
    return 10.0 * (12000.0 - bitrate) / 4000.0;
  if (bitrate >= 6000)
    return 10.0 + 5.0 * (8000.0 - bitrate) / 2000.0;
  return 15.0;
}

double
bell_emodel_ie (BellEmodelCodec codec, guint bitrate)
{
  switch (codec)
    {
    case BELL_EMODEL_CODEC_OPUS:
      return opus_ie (bitrate);
    case BELL_EMODEL_CODEC_G722:
      /* G.113 Appendix IV gives G.722 at 64 kbit/s an Ie,WB of 13 on the wideband scale (top
       * 129), which G.107.1 stretched beyond the narrowband top precisely so that wideband can
       * rate above narrowband G.711. On the narrowband scale it can do no better than G.711. */
      return G711_IE;
    case BELL_EMODEL_CODEC_G711:
    default:
      return G711_IE;
    }
}

/* G.722 and Opus have no Bpl in G.113's narrowband tables. G.722's concealment (G.722
 * Appendix III/IV) works on the waveform as G.711 Appendix I does, and Opus's extrapolates
 * pitch and spectral envelope from the last good frame; both get G.711's values, above the
 * CELP codecs' (G.729A 19.0, G.723.1 16.1). FEC and RED are not part of Bpl: the loss given to
 * bell_emodel_r() is what remained after them. */
double
bell_emodel_bpl (BellEmodelCodec codec, gboolean concealment)
{
  (void) codec;
  return concealment ? BPL_CONCEALED : BPL_SILENCE;
}

double
bell_emodel_burst_r (double loss_ratio, double mean_burst_packets)
{
  /* Two-state Markov loss: p = P(loss after a received packet), q = P(received after a
   * loss). The mean run of losses is 1/q and the loss ratio p/(p + q); G.107 defines
   * BurstR = 1/(p + q), which is (1 − ratio)·(mean run). */
  if (loss_ratio <= 0.0 || mean_burst_packets <= 0.0)
    return 1.0;
  loss_ratio = MIN (loss_ratio, 0.999);
  return MAX (1.0, (1.0 - loss_ratio) * mean_burst_packets);
}

/* The parts of R that depend on nothing we measure. */
typedef struct
{
  double no;    /* total noise power No, dBm0p */
  double ro;    /* basic signal-to-noise ratio */
  double is;    /* simultaneous impairment factor */
  double ist;   /* sidetone impairment, also part of Idte when STMR is under 9 or over 20 */
} Fixed;

static double
ist_of (double stmro)
{
  return 12.0 * pow (1.0 + pow ((stmro - 13.0) / 6.0, 8.0), 1.0 / 8.0)
         - 28.0 * pow (1.0 + pow ((stmro + 1.0) / 19.4, 35.0), 1.0 / 35.0)
         - 13.0 * pow (1.0 + pow ((stmro - 3.0) / 33.0, 13.0), 1.0 / 13.0)
         + 29.0;
}

/* STMRo depends on T: the sidetone masking rating with the talker's echo added. */
static double
stmro_of (double t)
{
  return -10.0 * log10 (pow (10.0, -STMR / 10.0) + exp (-t / 4.0) * pow (10.0, -TELR / 10.0));
}

static Fixed
fixed_part (double t)
{
  Fixed f;
  double olr = SLR + RLR;
  double nos = PS - SLR - DS - 100.0 + 0.004 * pow (PS - olr - DS - 14.0, 2.0);
  double pre = PR + 10.0 * log10 (1.0 + pow (10.0, (10.0 - LSTR) / 10.0));
  double nor = RLR - 121.0 + pre + 0.008 * pow (pre - 35.0, 2.0);
  double nfo = NFOR + RLR;
  double xolr, iolr, q, g, y, z, iq;

  f.no = 10.0 * log10 (pow (10.0, NC / 10.0) + pow (10.0, nos / 10.0)
                       + pow (10.0, nor / 10.0) + pow (10.0, nfo / 10.0));
  f.ro = 15.0 - 1.5 * (SLR + f.no);

  xolr = olr + 0.2 * (64.0 + f.no - RLR);
  iolr = 20.0 * (pow (1.0 + pow (xolr / 8.0, 8.0), 1.0 / 8.0) - xolr / 8.0);
  f.ist = ist_of (stmro_of (t));
  q = 37.0 - 15.0 * log10 (QDU);
  g = 1.07 + 0.258 * q + 0.0602 * q * q;
  y = (f.ro - 100.0) / 15.0 + 46.0 / 8.4 - g / 9.0;
  z = 46.0 / 30.0 - g / 40.0;
  iq = 15.0 * log10 (1.0 + pow (10.0, y) + pow (10.0, z));
  f.is = iolr + f.ist + iq;
  return f;
}

/* Id = Idte + Idle + Idd: talker echo, listener echo, absolute delay. */
static double
delay_impairment (const Fixed *f, double t, double tr, double ta)
{
  double roe = -1.5 * (f->no - RLR);
  double terv = TELR - 40.0 * log10 ((1.0 + t / 10.0) / (1.0 + t / 150.0))
                + 6.0 * exp (-0.3 * t * t);
  double re, idte, rle, idle, idd = 0.0;

  if (STMR < 9.0)
    terv += f->ist / 2.0;
  re = 80.0 + 2.5 * (terv - 14.0);
  idte = ((roe - re) / 2.0 + sqrt ((roe - re) * (roe - re) / 4.0 + 100.0) - 1.0)
         * (1.0 - exp (-t));
  if (STMR > 20.0)
    idte = sqrt (idte * idte + f->ist * f->ist);

  rle = 10.5 * (WEPL + 7.0) * pow (tr + 1.0, -0.25);
  idle = (f->ro - rle) / 2.0 + sqrt ((f->ro - rle) * (f->ro - rle) / 4.0 + 169.0);

  /* Absolute delay: nothing up to 100 ms (mT = 100 ms, sT = 1 by default). */
  if (ta > 100.0)
    {
      double x = log10 (ta / 100.0) / log10 (2.0);

      idd = 25.0 * (pow (1.0 + pow (x, 6.0), 1.0 / 6.0)
                    - 3.0 * pow (1.0 + pow (x / 3.0, 6.0), 1.0 / 6.0) + 2.0);
    }
  return idte + idle + idd;
}

double
bell_emodel_r (const BellEmodelInput *in)
{
  double ta, ppl, burst_r, ie, bpl, ie_eff;
  Fixed f;

  g_return_val_if_fail (in != NULL, 0.0);

  /* G.107's default case: the echo path and the mouth-to-ear path are the same delay, and
   * the listener's echo travels there and back. */
  ta = MAX (0.0, in->delay_ms);
  ppl = CLAMP (in->loss_percent, 0.0, 100.0);
  burst_r = in->burst_r < 1.0 ? 1.0 : in->burst_r;

  f = fixed_part (ta);
  ie = bell_emodel_ie (in->codec, in->bitrate);
  bpl = bell_emodel_bpl (in->codec, in->concealment);
  ie_eff = ie + (95.0 - ie) * ppl / (ppl / burst_r + bpl);

  /* A = 0: no advantage of access is assumed for a softphone. */
  return f.ro - f.is - delay_impairment (&f, ta, 2.0 * ta, ta) - ie_eff;
}

double
bell_emodel_mos (double r)
{
  double mos;

  /* G.107 Annex B. The cubic dips slightly below 1 for R under about 6.5: clamped. */
  if (r <= 0.0)
    return 1.0;
  if (r >= 100.0)
    return 4.5;
  mos = 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7.0e-6;
  return CLAMP (mos, 1.0, 4.5);
}
