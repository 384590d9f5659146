/* test-loss-model.c: the test loss models keep the loss and burst length they are asked for.
 *
 * Each case runs a model over 100 000 packets and measures what a receiver would: the fraction
 * lost and the mean length of runs of consecutive losses. With that many packets the standard
 * error of the loss is well under 0.5 % (bursts make it larger than binomial, but at most a few
 * tenths of a percent at these lengths), so the tolerances below fail a wrong formula, not an
 * unlucky seed; and the seed is fixed anyway. */
#include <math.h>

#include <glib.h>

#include "bell-loss-model.h"

#define N_PACKETS 100000

typedef struct
{
  double loss;
  double mean_burst;
} Measured;

static Measured
measure (BellLossModel *model)
{
  guint lost = 0, bursts = 0;
  gboolean in_burst = FALSE;

  for (guint i = 0; i < N_PACKETS; i++)
    {
      gboolean drop = bell_loss_model_drop (model);

      lost += drop;
      if (drop && !in_burst)
        bursts++;
      in_burst = drop;
    }
  return (Measured) { (double) lost / N_PACKETS, bursts ? (double) lost / bursts : 0 };
}

typedef struct
{
  double loss;
  double burst;   /* asked */
  double expect;  /* mean burst the model should give */
} Case;

static void
check_case (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(BellLossModel) model = bell_loss_model_new (c->loss, c->burst, 7);
  Measured m = measure (model);

  g_test_message ("loss %.3f (asked %.2f), mean burst %.3f (expected %.3f)", m.loss, c->loss,
                  m.mean_burst, c->expect);
  g_assert_cmpfloat_with_epsilon (bell_loss_model_get_loss (model), c->loss, 1e-12);
  g_assert_cmpfloat_with_epsilon (bell_loss_model_get_mean_burst (model), c->expect, 1e-9);
  g_assert_cmpint (bell_loss_model_is_bursty (model), ==, c->burst > 1);
  g_assert_cmpfloat_with_epsilon (m.loss, c->loss, 0.01);
  /* 5 % of the burst length: about ten standard errors at these counts of bursts. */
  g_assert_cmpfloat_with_epsilon (m.mean_burst, c->expect, 0.05 * c->expect);
}

/* The same seed drops the same packets; another seed others, at the same rate. */
static void
test_reproducible (void)
{
  for (guint bursty = 0; bursty < 2; bursty++)
    {
      g_autoptr(BellLossModel) a = bell_loss_model_new (0.3, bursty ? 3 : 1, 42);
      g_autoptr(BellLossModel) b = bell_loss_model_new (0.3, bursty ? 3 : 1, 42);
      g_autoptr(BellLossModel) c = bell_loss_model_new (0.3, bursty ? 3 : 1, 43);
      guint differ = 0;

      for (guint i = 0; i < 10000; i++)
        {
          gboolean da = bell_loss_model_drop (a), dc = bell_loss_model_drop (c);

          g_assert_cmpint (da, ==, bell_loss_model_drop (b));
          differ += da != dc;
        }
      g_assert_cmpuint (differ, >, 1000);
    }
}

/* 0 and 1 are exact, whatever the burst length. */
static void
test_extremes (void)
{
  g_autoptr(BellLossModel) none = bell_loss_model_new (0, 3, 1);
  g_autoptr(BellLossModel) all = bell_loss_model_new (1, 3, 1);

  for (guint i = 0; i < 1000; i++)
    {
      g_assert_false (bell_loss_model_drop (none));
      g_assert_true (bell_loss_model_drop (all));
    }
  g_assert_false (bell_loss_model_is_bursty (none));
  g_assert_false (bell_loss_model_is_bursty (all));
}

/* Bursts shorter than a Gilbert channel can make at that loss are lengthened to the shortest
 * it can: at 60 %, 0.6 / 0.4 = 1.5 packets, where Good turns Bad after every packet. */
static void
test_short_burst_lengthened (void)
{
  g_autoptr(BellLossModel) model = bell_loss_model_new (0.6, 1.2, 5);
  Measured m = measure (model);

  g_assert_cmpfloat_with_epsilon (bell_loss_model_get_mean_burst (model), 1.5, 1e-9);
  g_assert_cmpfloat_with_epsilon (m.loss, 0.6, 0.01);
  g_assert_cmpfloat_with_epsilon (m.mean_burst, 1.5, 0.05 * 1.5);
}

int
main (int argc, char *argv[])
{
  /* Random loss: bursts of 1 / (1 - p), independence's own. Bursts: what was asked. */
  static const Case cases[] = {
    { 0.10, 1, 1 / 0.90 },
    { 0.30, 1, 1 / 0.70 },
    { 0.50, 1, 1 / 0.50 },
    { 0.60, 1, 1 / 0.40 },
    { 0.10, 3, 3 },
    { 0.30, 3, 3 },
    { 0.50, 3, 3 },
    { 0.30, 8, 8 },
    { 0.05, 1.5, 1.5 },
  };

  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/loss-model/%s/%02.0f-percent-burst-%g",
                                               cases[i].burst > 1 ? "bursts" : "random",
                                               cases[i].loss * 100, cases[i].burst);

      g_test_add_data_func (path, &cases[i], check_case);
    }
  g_test_add_func ("/loss-model/reproducible", test_reproducible);
  g_test_add_func ("/loss-model/extremes", test_extremes);
  g_test_add_func ("/loss-model/short-burst-lengthened", test_short_burst_lengthened);
  return g_test_run ();
}
