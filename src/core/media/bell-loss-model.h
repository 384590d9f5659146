/* bell-loss-model.h: TESTING ONLY, which packets a lossy network would drop.
 *
 * Two models, both drawn from a generator seeded by the caller, so that the same seed drops the
 * same packets of a stream in every run:
 *   - random: each packet is lost with probability loss, independently of the others;
 *   - bursts (a Gilbert-Elliott channel in its simple form, as netem's "gemodel p r"): a Good
 *     state that loses nothing and a Bad state that loses everything, with transition
 *     probabilities chosen so that the long-run loss is loss and a burst of consecutive losses
 *     lasts mean_burst packets on average (the maths is in bell-loss-model.c).
 *
 * The RTP socket's test option (bell_rtp_socket_set_test_loss()) drops packets with it; the
 * model itself is plain arithmetic with no lock, for one thread at a time. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BellLossModel BellLossModel;

/* loss is the long-run fraction lost, 0 to 1. mean_burst is the mean number of packets in a
 * run of consecutive losses: 1 or less means random loss (whose bursts average 1 / (1 - loss)
 * packets, a property of independence, not a choice); more makes a Gilbert-Elliott channel.
 * A burst shorter than a Gilbert channel can reach at that loss (loss / (1 - loss): the Good
 * state would have to go Bad more often than always) is lengthened to that. */
BellLossModel *bell_loss_model_new        (double         loss,
                                           double         mean_burst,
                                           guint32        seed);
void           bell_loss_model_free       (BellLossModel *model);
/* Whether the next packet is lost. */
gboolean       bell_loss_model_drop       (BellLossModel *model);
/* What the model aims at: the long-run loss and the mean burst length (for random loss,
 * 1 / (1 - loss); after the lengthening above, the length used). */
double         bell_loss_model_get_loss   (BellLossModel *model);
double         bell_loss_model_get_mean_burst (BellLossModel *model);
/* Whether the model is a Gilbert-Elliott channel (mean_burst > 1) rather than random loss. */
gboolean       bell_loss_model_is_bursty  (BellLossModel *model);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellLossModel, bell_loss_model_free)

G_END_DECLS
