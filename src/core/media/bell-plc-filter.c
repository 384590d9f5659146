/* bell-plc-filter.c: GAP events made into concealment, after a decoder without its own. */
#define G_LOG_DOMAIN "bell-media"

#include "bell-plc-filter.h"

#include <gst/audio/audio.h>

#include "bell-plc.h"

struct _BellPlcFilter
{
  GstBaseTransform parent;
  BellPlc         *plc;    /* NULL until caps say the rate */
};

G_DEFINE_FINAL_TYPE (BellPlcFilter, bell_plc_filter, GST_TYPE_BASE_TRANSFORM)

#define FILTER_CAPS "audio/x-raw, format = (string) " GST_AUDIO_NE (S16) ", " \
                    "layout = (string) interleaved, rate = (int) { 8000, 16000 }, " \
                    "channels = (int) 1"

static GstStaticPadTemplate sink_template =
  GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (FILTER_CAPS));
static GstStaticPadTemplate src_template =
  GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (FILTER_CAPS));

static gboolean
bell_plc_filter_set_caps (GstBaseTransform *trans, GstCaps *incaps, GstCaps *outcaps)
{
  BellPlcFilter *self = BELL_PLC_FILTER (trans);
  GstAudioInfo info;

  if (!gst_audio_info_from_caps (&info, incaps))
    return FALSE;
  /* The same rate again (a caps event repeated) keeps the history. */
  if (!self->plc || bell_plc_get_rate (self->plc) != (guint) GST_AUDIO_INFO_RATE (&info))
    {
      g_clear_pointer (&self->plc, bell_plc_free);
      self->plc = bell_plc_new_for_rate ((guint) GST_AUDIO_INFO_RATE (&info));
    }
  return self->plc != NULL;
}

static gboolean
bell_plc_filter_stop (GstBaseTransform *trans)
{
  g_clear_pointer (&BELL_PLC_FILTER (trans)->plc, bell_plc_free);
  return TRUE;
}

/* Concealment has faded to silence long before this; a longer gap gets this much as audio and
 * the rest as a GAP (silence) again, so that a gap of minutes costs no memory. */
#define CONCEAL_MAX GST_SECOND

/* The gap's time as concealment, pushed in its place. */
static gboolean
conceal_gap (BellPlcFilter *self, GstEvent *gap)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstClockTime start, duration, rest = 0;
  guint64 first, end;
  guint rate = bell_plc_get_rate (self->plc);
  GstBuffer *buffer;
  GstMapInfo map;

  gst_event_parse_gap (gap, &start, &duration);
  gst_event_unref (gap);
  if (duration > CONCEAL_MAX)
    {
      rest = duration - CONCEAL_MAX;
      duration = CONCEAL_MAX;
    }
  /* Samples from the gap's start to its end, each rounded on its own: gaps and buffers that
   * follow one another put out samples that follow one another, with no drift. */
  first = gst_util_uint64_scale_round (start, rate, GST_SECOND);
  end = gst_util_uint64_scale_round (start + duration, rate, GST_SECOND);
  if (end > first)
    {
      buffer = gst_buffer_new_allocate (NULL, (end - first) * sizeof (gint16), NULL);
      if (!gst_buffer_map (buffer, &map, GST_MAP_WRITE))
        {
          gst_buffer_unref (buffer);
          return FALSE;
        }
      bell_plc_conceal (self->plc, (gint16 *) map.data, (guint) (end - first));
      gst_buffer_unmap (buffer, &map);
      GST_BUFFER_PTS (buffer) = start;
      GST_BUFFER_DURATION (buffer) = duration;
      if (gst_pad_push (GST_BASE_TRANSFORM_SRC_PAD (trans), buffer) != GST_FLOW_OK)
        return FALSE;
    }
  if (rest > 0)
    return gst_pad_push_event (GST_BASE_TRANSFORM_SRC_PAD (trans),
                               gst_event_new_gap (start + duration, rest));
  return TRUE;
}

static gboolean
bell_plc_filter_sink_event (GstBaseTransform *trans, GstEvent *event)
{
  BellPlcFilter *self = BELL_PLC_FILTER (trans);

  switch (GST_EVENT_TYPE (event))
    {
    case GST_EVENT_GAP:
      {
        GstClockTime start, duration;

        gst_event_parse_gap (event, &start, &duration);
        /* Without caps there is no rate (and nothing heard yet to go on), and a gap of unknown
         * length cannot be filled: those go on as they are. */
        if (self->plc && GST_CLOCK_TIME_IS_VALID (start) && GST_CLOCK_TIME_IS_VALID (duration))
          return conceal_gap (self, event);
        break;
      }
    case GST_EVENT_FLUSH_STOP:
      /* What comes after a flush does not follow what came before: no history to go on. */
      if (self->plc)
        {
          guint rate = bell_plc_get_rate (self->plc);

          bell_plc_free (self->plc);
          self->plc = bell_plc_new_for_rate (rate);
        }
      break;
    default:
      break;
    }
  return GST_BASE_TRANSFORM_CLASS (bell_plc_filter_parent_class)->sink_event (trans, event);
}

static GstFlowReturn
bell_plc_filter_transform_ip (GstBaseTransform *trans, GstBuffer *buffer)
{
  BellPlcFilter *self = BELL_PLC_FILTER (trans);
  GstMapInfo map;

  if (!self->plc)
    return GST_FLOW_NOT_NEGOTIATED;
  if (!gst_buffer_map (buffer, &map, GST_MAP_READWRITE))
    return GST_FLOW_ERROR;
  /* Kept as history; right after a concealment its start is blended from the made-up signal. */
  bell_plc_good (self->plc, (gint16 *) map.data, (guint) (map.size / sizeof (gint16)));
  gst_buffer_unmap (buffer, &map);
  return GST_FLOW_OK;
}

static void
bell_plc_filter_finalize (GObject *object)
{
  g_clear_pointer (&BELL_PLC_FILTER (object)->plc, bell_plc_free);
  G_OBJECT_CLASS (bell_plc_filter_parent_class)->finalize (object);
}

static void
bell_plc_filter_class_init (BellPlcFilterClass *klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = bell_plc_filter_finalize;
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Packet loss concealment",
                                         "Filter/Effect/Audio",
                                         "Fills gaps (lost packets) with concealment",
                                         "Bellbird");
  trans_class->set_caps = bell_plc_filter_set_caps;
  trans_class->stop = bell_plc_filter_stop;
  trans_class->sink_event = bell_plc_filter_sink_event;
  trans_class->transform_ip = bell_plc_filter_transform_ip;
}

static void
bell_plc_filter_init (BellPlcFilter *self)
{
}

static gpointer
register_once (gpointer data)
{
  gst_element_register (NULL, "bellplcfilter", GST_RANK_NONE, BELL_TYPE_PLC_FILTER);
  return NULL;
}

void
bell_plc_filter_register (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, register_once, NULL);
}
