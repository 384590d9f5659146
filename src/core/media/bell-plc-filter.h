/* bell-plc-filter.h: concealment after a decoder that has none of its own.
 *
 * Decoders that are not "PLC aware" (avdec_g722 among them) pass the jitter buffer's
 * lost-packet GAP events on, and a gap becomes silence: a hole in the speech. This element
 * goes after such a decoder: real audio passes through (kept as bell-plc's history, and
 * blended in from the made-up signal after a loss), and each GAP event is replaced by a buffer
 * of concealment as long as the gap, at its timestamp; the GAP itself goes no further (but for
 * what lies past its first second, long faded to silence: that goes on as a shorter GAP).
 * Caps: audio/x-raw S16 mono at 8000 or 16000 Hz, the same in and out.
 */
#pragma once

#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define BELL_TYPE_PLC_FILTER (bell_plc_filter_get_type ())
G_DECLARE_FINAL_TYPE (BellPlcFilter, bell_plc_filter, BELL, PLC_FILTER, GstBaseTransform)

/* Registers the element as "bellplcfilter" (once) for pipeline descriptions. */
void bell_plc_filter_register (void);

G_END_DECLS
