/* bell-g711.h: G.711 µ-law and A-law to 16-bit linear PCM (ITU-T G.711, 1988).
 *
 * The receive path decodes each packet on the core thread into the playout's frames, so the
 * decoders are two 256-entry tables (built once, shared by every call) rather than GStreamer
 * elements. Values are G.711's 13-bit (A-law) and 14-bit (µ-law) linear codes scaled to 16 bits,
 * the same as GStreamer's alawdec and mulawdec give. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gint16 bell_g711_ulaw_decode (guint8 code);
gint16 bell_g711_alaw_decode (guint8 code);

/* Decodes len codes into len samples. */
void   bell_g711_ulaw_decode_buf (const guint8 *codes, gsize len, gint16 *pcm);
void   bell_g711_alaw_decode_buf (const guint8 *codes, gsize len, gint16 *pcm);

G_END_DECLS
