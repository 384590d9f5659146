/* bell-g711-dec.h: a G.711 decoder element that conceals lost packets.
 *
 * GStreamer's mulawdec and alawdec leave a lost packet's time silent (a click, then a hole).
 * This decoder is "PLC aware" (GstAudioDecoder): the jitter buffer's lost-packet events reach
 * it as gaps, and it fills them from bell-plc (ITU-T G.711 Appendix I style: the last pitch
 * period repeated and faded), then blends the next real audio in. Decoding is bell-g711's
 * tables. Sink caps audio/x-mulaw or audio/x-alaw at 8000 Hz mono; source S16 8000 Hz mono.
 */
#pragma once

#include <gst/audio/gstaudiodecoder.h>

G_BEGIN_DECLS

#define BELL_TYPE_G711_DEC (bell_g711_dec_get_type ())
G_DECLARE_FINAL_TYPE (BellG711Dec, bell_g711_dec, BELL, G711_DEC, GstAudioDecoder)

/* Registers the element as "bellg711dec" (once) for pipeline descriptions. */
void bell_g711_dec_register (void);

G_END_DECLS
