/* bell-jitter-target.h: how deep a call's jitter buffer should be, from how packets arrive.
 *
 * On a clean path packets arrive as evenly as they were sent, and every millisecond held in
 * the jitter buffer is a millisecond of mouth-to-ear delay for nothing. So the target starts
 * at the minimum and deepens only when jitter appears: it follows the 98th percentile of each
 * packet's delay beyond the quickest one of the last two seconds ("transit" = arrival time
 * less the RTP timestamp, RFC 3550 §6.4.1), plus a small margin; it rises at once when
 * packets would come too late, and falls back only after ten calm seconds, so a jittery
 * path does not make it saw up and down. A pause in arrivals of more than 200 ms (an outage,
 * a hold, a sender that stops its clock) is not jitter: the history starts again after it,
 * once the burst that often follows an outage has passed; so it does at a stream's start. Clock drift between the sender and
 * us moves every transit alike and does not deepen it.
 *
 * Pure arithmetic on the times given: the caller passes arrival times, so tests replay
 * recorded traces. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BellJitterTarget BellJitterTarget;

#define BELL_JITTER_TARGET_MIN_MS 5
#define BELL_JITTER_TARGET_MAX_MS 300

BellJitterTarget *bell_jitter_target_new  (guint clock_rate);
void              bell_jitter_target_free (BellJitterTarget *target);
/* Forgets the history (a new stream, a new codec): back to the minimum. */
void              bell_jitter_target_reset (BellJitterTarget *target);

/* One packet with RTP timestamp ts arrived at arrival_us (a monotonic clock, microseconds).
 * TRUE when the target changed. */
gboolean          bell_jitter_target_update (BellJitterTarget *target, gint64 arrival_us,
                                             guint32 ts);
guint             bell_jitter_target_get_ms   (const BellJitterTarget *target);
/* Packets that arrived later than the target allowed at the time (what the jitter buffer
 * then had to conceal). */
guint64           bell_jitter_target_get_late (const BellJitterTarget *target);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellJitterTarget, bell_jitter_target_free)

G_END_DECLS
