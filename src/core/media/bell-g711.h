/* bell-g711.h: G.711 µ-law and A-law to and from 16-bit linear PCM (ITU-T G.711, 1988).
 *
 * The receive path decodes each packet on the core thread into the playout's frames, and the
 * send path encodes each frame in the callback that sends it, so these are plain functions
 * rather than GStreamer elements (each element a buffer, a lock and a copy more per packet).
 * The decoders are two 256-entry tables (built once, shared by every call). Values are
 * G.711's 13-bit (A-law) and 14-bit (µ-law) linear codes scaled to 16 bits, the same as
 * GStreamer's alawdec and mulawdec give; the encoders pick the code whose decoded value's
 * interval holds the sample, as its mulawenc and alawenc do. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gint16 bell_g711_ulaw_decode (guint8 code);
gint16 bell_g711_alaw_decode (guint8 code);

/* Decodes len codes into len samples. */
void   bell_g711_ulaw_decode_buf (const guint8 *codes, gsize len, gint16 *pcm);
void   bell_g711_alaw_decode_buf (const guint8 *codes, gsize len, gint16 *pcm);

/* Encodes len samples into len codes. */
void   bell_g711_ulaw_encode_buf (const gint16 *pcm, gsize len, guint8 *codes);
void   bell_g711_alaw_encode_buf (const gint16 *pcm, gsize len, guint8 *codes);

G_END_DECLS
