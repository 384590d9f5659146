/* bell-g711-dec.c: G.711 decoding with packet loss concealment, as a GstAudioDecoder. */
#include "bell-g711-dec.h"

#include "bell-g711.h"
#include "bell-plc.h"

#define RATE 8000

struct _BellG711Dec
{
  GstAudioDecoder parent;
  gboolean        alaw;
  BellPlc        *plc;
};

G_DEFINE_FINAL_TYPE (BellG711Dec, bell_g711_dec, GST_TYPE_AUDIO_DECODER)

static GstStaticPadTemplate sink_template =
  GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                           GST_STATIC_CAPS ("audio/x-mulaw, rate = (int) 8000, channels = (int) 1; "
                                            "audio/x-alaw, rate = (int) 8000, channels = (int) 1"));
static GstStaticPadTemplate src_template =
  GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                           GST_STATIC_CAPS ("audio/x-raw, format = (string) " GST_AUDIO_NE (S16) ", "
                                            "layout = (string) interleaved, rate = (int) 8000, "
                                            "channels = (int) 1"));

static gboolean
bell_g711_dec_start (GstAudioDecoder *dec)
{
  BellG711Dec *self = BELL_G711_DEC (dec);

  g_clear_pointer (&self->plc, bell_plc_free);
  self->plc = bell_plc_new ();
  /* Gaps come in as empty buffers to conceal, not as silence (set here: the base class
   * clears it when it resets for a new stream). */
  gst_audio_decoder_set_plc_aware (dec, TRUE);
  return TRUE;
}

static gboolean
bell_g711_dec_stop (GstAudioDecoder *dec)
{
  g_clear_pointer (&BELL_G711_DEC (dec)->plc, bell_plc_free);
  return TRUE;
}

static gboolean
bell_g711_dec_set_format (GstAudioDecoder *dec, GstCaps *caps)
{
  BellG711Dec *self = BELL_G711_DEC (dec);
  GstAudioInfo info;

  self->alaw = gst_structure_has_name (gst_caps_get_structure (caps, 0), "audio/x-alaw");
  gst_audio_info_init (&info);
  gst_audio_info_set_format (&info, GST_AUDIO_FORMAT_S16, RATE, 1, NULL);
  return gst_audio_decoder_set_output_format (dec, &info);
}

static GstFlowReturn
bell_g711_dec_handle_frame (GstAudioDecoder *dec, GstBuffer *buffer)
{
  BellG711Dec *self = BELL_G711_DEC (dec);
  GstBuffer *out;
  GstMapInfo in, pcm;
  gsize samples;

  if (!buffer)
    return GST_FLOW_OK;   /* draining: nothing is held back */
  if (gst_buffer_get_size (buffer) == 0)
    {
      /* A gap: the base class hands its duration as an empty buffer (PLC aware). */
      GstClockTime duration = GST_BUFFER_DURATION (buffer);

      if (!GST_CLOCK_TIME_IS_VALID (duration) || duration == 0)
        return gst_audio_decoder_finish_frame (dec, NULL, 1);
      samples = gst_util_uint64_scale_round (duration, RATE, GST_SECOND);
      out = gst_buffer_new_allocate (NULL, samples * 2, NULL);
      gst_buffer_map (out, &pcm, GST_MAP_WRITE);
      bell_plc_conceal (self->plc, (gint16 *) pcm.data, (guint) samples);
      gst_buffer_unmap (out, &pcm);
      return gst_audio_decoder_finish_frame (dec, out, 1);
    }
  if (!gst_buffer_map (buffer, &in, GST_MAP_READ))
    return GST_FLOW_ERROR;
  samples = in.size;
  out = gst_buffer_new_allocate (NULL, samples * 2, NULL);
  gst_buffer_map (out, &pcm, GST_MAP_WRITE);
  if (self->alaw)
    bell_g711_alaw_decode_buf (in.data, in.size, (gint16 *) pcm.data);
  else
    bell_g711_ulaw_decode_buf (in.data, in.size, (gint16 *) pcm.data);
  bell_plc_good (self->plc, (gint16 *) pcm.data, (guint) samples);
  gst_buffer_unmap (out, &pcm);
  gst_buffer_unmap (buffer, &in);
  return gst_audio_decoder_finish_frame (dec, out, 1);
}

static void
bell_g711_dec_finalize (GObject *object)
{
  g_clear_pointer (&BELL_G711_DEC (object)->plc, bell_plc_free);
  G_OBJECT_CLASS (bell_g711_dec_parent_class)->finalize (object);
}

static void
bell_g711_dec_class_init (BellG711DecClass *klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstAudioDecoderClass *decoder_class = GST_AUDIO_DECODER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = bell_g711_dec_finalize;
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "G.711 decoder with concealment",
                                         "Codec/Decoder/Audio",
                                         "Decodes G.711 and conceals lost packets",
                                         "Bellbird");
  decoder_class->start = bell_g711_dec_start;
  decoder_class->stop = bell_g711_dec_stop;
  decoder_class->set_format = bell_g711_dec_set_format;
  decoder_class->handle_frame = bell_g711_dec_handle_frame;
}

static void
bell_g711_dec_init (BellG711Dec *self)
{
  GstAudioDecoder *dec = GST_AUDIO_DECODER (self);

  gst_audio_decoder_set_plc (dec, TRUE);
  gst_audio_decoder_set_drainable (dec, TRUE);
  gst_audio_decoder_set_needs_format (dec, TRUE);
}

static gpointer
register_once (gpointer data)
{
  gst_element_register (NULL, "bellg711dec", GST_RANK_NONE, BELL_TYPE_G711_DEC);
  return NULL;
}

void
bell_g711_dec_register (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, register_once, NULL);
}
