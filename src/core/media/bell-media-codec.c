/* bell-media-codec.c: the codec table. */
#include "bell-media-codec.h"

#include <gst/gst.h>

static const BellCodec codecs[] = {
  /* G.711 is encoded and packed by the send callback (bell-g711.h): no elements for it. */
  { BELL_CODEC_PCMU, "PCMU", "PCMU", 8000, NULL, NULL, "rtppcmudepay", "bellg711dec" },
  { BELL_CODEC_PCMA, "PCMA", "PCMA", 8000, NULL, NULL, "rtppcmadepay", "bellg711dec" },
  /* G.722 samples at 16 kHz but its RTP clock runs at 8 kHz (RFC 3551 §4.5.2): the caps and
   * the SDP say 8000, the audio is 16000. */
  { BELL_CODEC_G722, "G722", "G722", 16000, "avenc_g722", "rtpg722pay", "rtpg722depay", "avdec_g722" },
  /* Opus codes 48 kHz (RFC 7587: its RTP clock is always 48000, whatever the audio's band). */
  { BELL_CODEC_OPUS, "opus", "OPUS", 48000, "opusenc", "rtpopuspay", "rtpopusdepay", "opusdec" },
};

const BellCodec *
bell_codec_find (const char *name)
{
  for (gsize i = 0; name && i < G_N_ELEMENTS (codecs); i++)
    if (g_ascii_strcasecmp (name, codecs[i].name) == 0)
      return &codecs[i];
  return NULL;
}

/* NULL: done by our own code, always there. */
static gboolean
installed (const char *factory)
{
  g_autoptr(GstElementFactory) f = factory ? gst_element_factory_find (factory) : NULL;

  return !factory || f != NULL;
}

gboolean
bell_codec_installed (const BellCodec *codec)
{
  return installed (codec->encoder) && installed (codec->payloader) &&
         installed (codec->depayloader) && installed (codec->decoder);
}
