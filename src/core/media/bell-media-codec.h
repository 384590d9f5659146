/* bell-media-codec.h: the audio codecs a call can use, and the GStreamer elements for each.
 *
 * One table says, per codec, which elements code it, the rate it samples at and the RTP
 * caps its depayloader takes; the media session builds its pipelines from it and the call
 * offers only the codecs whose elements are installed here (G.722 needs gstreamer1.0-libav).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  BELL_CODEC_PCMU,
  BELL_CODEC_PCMA,
  BELL_CODEC_G722,
  BELL_CODEC_OPUS,
} BellCodecId;

typedef struct
{
  BellCodecId  id;
  const char  *name;          /* as in SDP and --codecs: "PCMU", "PCMA", "G722", "opus" */
  const char  *caps_name;     /* encoding-name in application/x-rtp caps */
  guint        audio_rate;    /* samples per second the coder takes and gives */
  const char  *encoder;       /* NULL (G.711): coded and packed by our send callback */
  const char  *payloader;
  const char  *depayloader;
  const char  *decoder;
} BellCodec;

/* The codec called name (any case), or NULL when the media layer does not know it. */
const BellCodec *bell_codec_find      (const char *name);
/* Are its four elements installed? */
gboolean         bell_codec_installed (const BellCodec *codec);

G_END_DECLS
