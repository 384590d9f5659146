/* test-emodel.c: the E-model (ITU-T G.107) at known points. The expected values were worked out
 * by hand from G.107's formulas and default values (and checked with a separate
 * implementation): Ro = 94.769, Is = 1.414; with no delay Idle = 0.149, so R = 93.206. */
#include "media/bell-emodel.h"

#include <math.h>

#define R_DEFAULT 93.206

static BellEmodelInput
g711 (double delay_ms, double loss_percent, gboolean concealment)
{
  BellEmodelInput in = {
    .codec = BELL_EMODEL_CODEC_G711,
    .delay_ms = delay_ms,
    .loss_percent = loss_percent,
    .burst_r = 1.0,
    .concealment = concealment,
  };

  return in;
}

static double
r_of (BellEmodelInput in)
{
  return bell_emodel_r (&in);
}

/* G.107 §7.7: with all defaults R is 93.2, which Annex B turns into a MOS of 4.41. */
static void
test_default (void)
{
  double r = r_of (g711 (0, 0, TRUE));

  g_assert_cmpfloat_with_epsilon (r, R_DEFAULT, 0.005);
  g_assert_cmpfloat_with_epsilon (bell_emodel_mos (r), 4.409, 0.001);
  /* Without loss, concealment changes nothing. */
  g_assert_cmpfloat_with_epsilon (r_of (g711 (0, 0, FALSE)), r, 1e-9);
}

/* Ta = T = 150 ms, Tr = 300 ms: talker echo (TELR 65) costs Idte = 2.81, listener echo
 * Idle = 0.84, absolute delay Idd = 0.16 (X = lg 1.5 / lg 2). */
static void
test_delay_150 (void)
{
  double r = r_of (g711 (150, 0, TRUE));

  g_assert_cmpfloat_with_epsilon (r, 89.539, 0.005);
  g_assert_cmpfloat_with_epsilon (bell_emodel_mos (r), 4.33, 0.01);
  /* Up to 100 ms only echo matters, and only a little. */
  g_assert_cmpfloat (r_of (g711 (100, 0, TRUE)), >, 90.0);
}

/* Ta = 400 ms: X = 2, Idd = 25((1 + 2^6)^(1/6) − 3(1 + (2/3)^6)^(1/6) + 2) = 24.07; with
 * Idte 5.81 and Idle 1.23, R = 62.25: "many users dissatisfied" (G.107 Table B.1). */
static void
test_delay_400 (void)
{
  double r = r_of (g711 (400, 0, TRUE));

  g_assert_cmpfloat_with_epsilon (r, 62.247, 0.005);
  g_assert_cmpfloat (r, <, 70.0);
}

/* Ie,eff = Ie + (95 − Ie)·Ppl/(Ppl/BurstR + Bpl): with Ie 0 and Bpl 25.1 (G.711 with PLC) or
 * 4.3 (without), 5 % loss costs 15.78 or 51.08 points. */
static void
test_loss (void)
{
  static const struct { double loss, with_plc, without_plc; } points[] = {
    { 1,  89.566, 75.282 },
    { 2,  86.195, 63.047 },
    { 5,  77.425, 42.131 },
    { 10, 66.141, 26.773 },
    { 20, 51.078, 15.017 },
  };
  double prev_plc = R_DEFAULT + 1, prev_silence = R_DEFAULT + 1;

  for (guint i = 0; i < G_N_ELEMENTS (points); i++)
    {
      double plc = r_of (g711 (0, points[i].loss, TRUE));
      double silence = r_of (g711 (0, points[i].loss, FALSE));

      g_assert_cmpfloat_with_epsilon (plc, points[i].with_plc, 0.005);
      g_assert_cmpfloat_with_epsilon (silence, points[i].without_plc, 0.005);
      g_assert_cmpfloat (silence, <, plc);
      g_assert_cmpfloat (plc, <, prev_plc);
      g_assert_cmpfloat (silence, <, prev_silence);
      prev_plc = plc;
      prev_silence = silence;
    }
}

/* Bursty loss hurts more than the same loss spread out; BurstR from the loss pattern is 1 for
 * random loss. */
static void
test_burst (void)
{
  BellEmodelInput in = g711 (0, 2, TRUE);
  double random_r = bell_emodel_r (&in);

  in.burst_r = 2.0;
  g_assert_cmpfloat_with_epsilon (bell_emodel_r (&in), 85.927, 0.005);
  g_assert_cmpfloat (bell_emodel_r (&in), <, random_r);
  /* Below 1 counts as random. */
  in.burst_r = 0.0;
  g_assert_cmpfloat_with_epsilon (bell_emodel_r (&in), random_r, 1e-9);

  /* Random loss of 10 %: runs of 1/(1 − 0.1) packets on average. */
  g_assert_cmpfloat_with_epsilon (bell_emodel_burst_r (0.1, 1.0 / 0.9), 1.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (bell_emodel_burst_r (0.1, 3.0), 2.7, 1e-9);
  g_assert_cmpfloat_with_epsilon (bell_emodel_burst_r (0.0, 3.0), 1.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (bell_emodel_burst_r (0.5, 1.0), 1.0, 1e-9);
}

/* G.107 Annex B: MOS = 1 + 0.035R + R(R − 60)(100 − R)·7·10⁻⁶, 1 below R 0, 4.5 above 100. */
static void
test_mos (void)
{
  g_assert_cmpfloat_with_epsilon (bell_emodel_mos (0), 1.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (bell_emodel_mos (50), 2.575, 1e-9);
  g_assert_cmpfloat_with_epsilon (bell_emodel_mos (80), 4.024, 1e-9);
  g_assert_cmpfloat_with_epsilon (bell_emodel_mos (100), 4.5, 1e-9);
  g_assert_cmpfloat_with_epsilon (bell_emodel_mos (-20), 1.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (bell_emodel_mos (130), 4.5, 1e-9);
  /* The cubic dips under 1 near R 3; the estimate does not. */
  g_assert_cmpfloat (bell_emodel_mos (3), >=, 1.0);
  for (double r = 0; r < 100; r += 0.5)
    g_assert_cmpfloat (bell_emodel_mos (r + 0.5), >=, bell_emodel_mos (r));
}

/* More loss or more delay never raises R, for any codec, bitrate and concealment. */
static void
test_monotonic (void)
{
  static const BellEmodelCodec codecs[] = {
    BELL_EMODEL_CODEC_G711, BELL_EMODEL_CODEC_G722, BELL_EMODEL_CODEC_OPUS,
  };
  static const guint bitrates[] = { 0, 6000, 10000, 32000 };

  for (guint c = 0; c < G_N_ELEMENTS (codecs); c++)
    for (guint b = 0; b < G_N_ELEMENTS (bitrates); b++)
      for (int concealment = 0; concealment <= 1; concealment++)
        for (double burst = 1; burst <= 4; burst += 3)
          {
            BellEmodelInput in = {
              .codec = codecs[c], .bitrate = bitrates[b], .burst_r = burst,
              .concealment = concealment,
            };

            for (in.delay_ms = 0; in.delay_ms <= 800; in.delay_ms += 20)
              {
                double prev = G_MAXDOUBLE;

                for (in.loss_percent = 0; in.loss_percent <= 60; in.loss_percent += 0.5)
                  {
                    double r = bell_emodel_r (&in);
                    BellEmodelInput later = in;

                    g_assert_cmpfloat (r, <=, prev);
                    prev = r;
                    later.delay_ms += 20;
                    g_assert_cmpfloat (bell_emodel_r (&later), <=, r);
                  }
              }
          }
}

static void
test_codecs (void)
{
  BellEmodelCodec codec;

  g_assert_true (bell_emodel_codec_from_name ("PCMU", &codec));
  g_assert_cmpint (codec, ==, BELL_EMODEL_CODEC_G711);
  g_assert_true (bell_emodel_codec_from_name ("pcma", &codec));
  g_assert_cmpint (codec, ==, BELL_EMODEL_CODEC_G711);
  g_assert_true (bell_emodel_codec_from_name ("G722", &codec));
  g_assert_cmpint (codec, ==, BELL_EMODEL_CODEC_G722);
  g_assert_true (bell_emodel_codec_from_name ("OPUS", &codec));
  g_assert_cmpint (codec, ==, BELL_EMODEL_CODEC_OPUS);
  g_assert_false (bell_emodel_codec_from_name ("G729", &codec));
  g_assert_false (bell_emodel_codec_from_name ("telephone-event", &codec));

  /* G.113 Appendix I for G.711; the mapped values for the others (see bell-emodel.c). */
  g_assert_cmpfloat (bell_emodel_ie (BELL_EMODEL_CODEC_G711, 0), ==, 0.0);
  g_assert_cmpfloat (bell_emodel_ie (BELL_EMODEL_CODEC_G722, 0), ==, 0.0);
  g_assert_cmpfloat (bell_emodel_bpl (BELL_EMODEL_CODEC_G711, TRUE), ==, 25.1);
  g_assert_cmpfloat (bell_emodel_bpl (BELL_EMODEL_CODEC_G711, FALSE), ==, 4.3);
  g_assert_cmpfloat (bell_emodel_ie (BELL_EMODEL_CODEC_OPUS, 0), ==, 0.0);
  g_assert_cmpfloat (bell_emodel_ie (BELL_EMODEL_CODEC_OPUS, 64000), ==, 0.0);
  g_assert_cmpfloat (bell_emodel_ie (BELL_EMODEL_CODEC_OPUS, 12000), ==, 0.0);
  g_assert_cmpfloat (bell_emodel_ie (BELL_EMODEL_CODEC_OPUS, 8000), ==, 10.0);   /* as G.729 */
  g_assert_cmpfloat (bell_emodel_ie (BELL_EMODEL_CODEC_OPUS, 6000), ==, 15.0);   /* G.723.1 */
  g_assert_cmpfloat (bell_emodel_ie (BELL_EMODEL_CODEC_OPUS, 4000), ==, 15.0);
  for (guint rate = 4000; rate < 64000; rate += 500)
    g_assert_cmpfloat (bell_emodel_ie (BELL_EMODEL_CODEC_OPUS, rate + 500), <=,
                       bell_emodel_ie (BELL_EMODEL_CODEC_OPUS, rate));

  /* Opus at 8 kbit/s rates like G.729: 10 points under G.711. */
  {
    BellEmodelInput in = { .codec = BELL_EMODEL_CODEC_OPUS, .bitrate = 8000, .burst_r = 1,
                           .concealment = TRUE };

    g_assert_cmpfloat_with_epsilon (bell_emodel_r (&in), R_DEFAULT - 10.0, 0.005);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/emodel/default", test_default);
  g_test_add_func ("/emodel/delay-150", test_delay_150);
  g_test_add_func ("/emodel/delay-400", test_delay_400);
  g_test_add_func ("/emodel/loss", test_loss);
  g_test_add_func ("/emodel/burst", test_burst);
  g_test_add_func ("/emodel/mos", test_mos);
  g_test_add_func ("/emodel/monotonic", test_monotonic);
  g_test_add_func ("/emodel/codecs", test_codecs);
  return g_test_run ();
}
