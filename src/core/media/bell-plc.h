/* bell-plc.h: packet loss concealment after ITU-T G.711 Appendix I, at 8 kHz (G.711) or any
 * multiple of it up to 48 kHz (16 kHz for G.722); every length below is in time, its samples
 * scale with the rate.
 *
 * A lost stretch of speech is made up from what was heard just before it: the pitch period
 * is found by autocorrelation over the last 35 ms, and the last period is repeated (two, then
 * three periods after 10 and 20 ms, so the sound does not turn into a buzz), with the join of
 * each repetition overlap-added. After the first 10 ms the made-up signal fades by 20 % per
 * 10 ms, to silence at 60 ms: a longer loss is silence, not a drone. When real audio returns,
 * the made-up signal is overlap-added into it over 4 ms, plus 4 ms per further 10 ms lost (at
 * most 10 ms), so there is no click at either end.
 *
 * Unlike Appendix I this adds no delay: rather than holding back 3.75 ms of every frame to
 * blend the start of a loss, the first quarter period made up carries a fading offset that
 * joins it to the last sample played.
 *
 * Pure arithmetic on samples; the playout calls it for every frame it hands out, bellg711dec
 * and bellplcfilter for every buffer they pass on. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BellPlc BellPlc;

/* At 8 kHz. */
BellPlc  *bell_plc_new  (void);
/* At rate Hz: 8000 times 1 to 6. */
BellPlc  *bell_plc_new_for_rate (guint rate);
guint     bell_plc_get_rate     (const BellPlc *plc);
void      bell_plc_free (BellPlc *plc);

/* n samples of real audio about to be played: kept as history. Right after a concealment the
 * first of them are blended from the made-up signal (pcm is changed in place). */
void      bell_plc_good    (BellPlc *plc, gint16 *pcm, guint n);
/* n samples made up to follow what was played (real or made up) so far. */
void      bell_plc_conceal (BellPlc *plc, gint16 *pcm, guint n);
/* Samples made up since the last real audio (0: none). */
guint     bell_plc_get_erased (const BellPlc *plc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellPlc, bell_plc_free)

G_END_DECLS
