/* bell-loss-model.c: random and Gilbert-Elliott packet loss for tests (see the header).
 *
 * The burst model is a two-state Markov chain over packets. In Good a packet gets through, in
 * Bad it is lost (Gilbert's channel: Elliott's general form also loses some in Good and keeps
 * some in Bad, which only blurs what a bench wants to set). Each packet, Good goes Bad with
 * probability q and Bad goes Good with probability r.
 *
 *   Long-run loss: the chain spends the fraction pi_B = q / (q + r) of packets in Bad, and
 *   every one of those is lost, so the loss is p = q / (q + r).
 *   Mean burst: a burst is a stay in Bad; it ends after each packet with probability r, so its
 *   length is geometric with mean N = 1 / r.
 *
 * Given the wanted p and N:  r = 1 / N  and, from p (q + r) = q,  q = p r / (1 - p)
 *                                                                  = p / (N (1 - p)).
 * q is a probability only while q <= 1, i.e. N >= p / (1 - p): at 60 % loss bursts cannot
 * average under 1.5 packets, since Good would have to turn Bad more often than every packet.
 * Random loss is the chain with q = p and r = 1 - p, i.e. N = 1 / (1 - p); hence "1 or less"
 * selects it rather than a chain with bursts shorter than independence gives.
 *
 * The chain starts in Bad with probability p (its stationary distribution), so the first
 * packets are not biased toward either state. */
#include "bell-loss-model.h"

struct _BellLossModel
{
  GRand   *rand;
  double   loss;        /* p */
  double   mean_burst;  /* N, as used */
  gboolean bursty;
  double   good_to_bad; /* q */
  double   bad_to_good; /* r */
  gboolean bad;         /* the state the next packet meets */
};

BellLossModel *
bell_loss_model_new (double loss, double mean_burst, guint32 seed)
{
  BellLossModel *model;

  g_return_val_if_fail (loss >= 0 && loss <= 1, NULL);

  model = g_new0 (BellLossModel, 1);
  model->rand = g_rand_new_with_seed (seed);
  model->loss = loss;
  model->bursty = mean_burst > 1 && loss > 0 && loss < 1;
  if (model->bursty)
    {
      model->mean_burst = MAX (mean_burst, loss / (1 - loss));
      model->bad_to_good = 1 / model->mean_burst;
      model->good_to_bad = MIN (1.0, loss / (model->mean_burst * (1 - loss)));
      model->bad = g_rand_double (model->rand) < loss;
    }
  else
    model->mean_burst = loss < 1 ? 1 / (1 - loss) : G_MAXDOUBLE;
  return model;
}

void
bell_loss_model_free (BellLossModel *model)
{
  if (!model)
    return;
  g_rand_free (model->rand);
  g_free (model);
}

gboolean
bell_loss_model_drop (BellLossModel *model)
{
  gboolean lost;

  g_return_val_if_fail (model != NULL, FALSE);

  /* 0 and 1 draw nothing, so they cost nothing and are exact. */
  if (model->loss <= 0)
    return FALSE;
  if (model->loss >= 1)
    return TRUE;
  if (!model->bursty)
    return g_rand_double (model->rand) < model->loss;

  lost = model->bad;
  if (model->bad)
    model->bad = !(g_rand_double (model->rand) < model->bad_to_good);
  else
    model->bad = g_rand_double (model->rand) < model->good_to_bad;
  return lost;
}

double
bell_loss_model_get_loss (BellLossModel *model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->loss;
}

double
bell_loss_model_get_mean_burst (BellLossModel *model)
{
  g_return_val_if_fail (model != NULL, 0);
  return model->mean_burst;
}

gboolean
bell_loss_model_is_bursty (BellLossModel *model)
{
  g_return_val_if_fail (model != NULL, FALSE);
  return model->bursty;
}
