/* bell-rtp-push-src.c: RTP packets into a pipeline on the caller's thread (see the header). */
#include "bell-rtp-push-src.h"

struct _BellRtpPushSrc
{
  GstElement  parent;
  GstPad     *srcpad;
  GstCaps    *caps;
  gboolean    started;   /* stream-start, caps and segment went downstream */
};

G_DEFINE_FINAL_TYPE (BellRtpPushSrc, bell_rtp_push_src, GST_TYPE_ELEMENT)

static GstStaticPadTemplate src_template =
  GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("application/x-rtp"));

static gboolean
on_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  BellRtpPushSrc *self = BELL_RTP_PUSH_SRC (parent);

  switch (GST_QUERY_TYPE (query))
    {
    case GST_QUERY_LATENCY:
      /* Live: packets come when they come, and nothing here holds them. */
      gst_query_set_latency (query, TRUE, 0, GST_CLOCK_TIME_NONE);
      return TRUE;
    case GST_QUERY_CAPS:
      {
        GstCaps *filter = NULL;

        gst_query_parse_caps (query, &filter);
        if (filter)
          {
            g_autoptr(GstCaps) both = gst_caps_intersect (self->caps, filter);
            gst_query_set_caps_result (query, both);
          }
        else
          gst_query_set_caps_result (query, self->caps);
        return TRUE;
      }
    default:
      return gst_pad_query_default (pad, parent, query);
    }
}

static GstStateChangeReturn
change_state (GstElement *element, GstStateChange transition)
{
  BellRtpPushSrc *self = BELL_RTP_PUSH_SRC (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    self->started = FALSE;
  ret = GST_ELEMENT_CLASS (bell_rtp_push_src_parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;
  /* A live source: nothing to preroll. */
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED ||
      transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED)
    return GST_STATE_CHANGE_NO_PREROLL;
  return ret;
}

static void
finalize (GObject *object)
{
  BellRtpPushSrc *self = BELL_RTP_PUSH_SRC (object);

  gst_caps_unref (self->caps);
  G_OBJECT_CLASS (bell_rtp_push_src_parent_class)->finalize (object);
}

static void
bell_rtp_push_src_class_init (BellRtpPushSrcClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->finalize = finalize;
  element_class->change_state = change_state;
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Bellbird RTP push source", "Source/Network",
                                         "RTP packets pushed by the caller's thread", "Bellbird");
}

static void
bell_rtp_push_src_init (BellRtpPushSrc *self)
{
  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_query_function (self->srcpad, on_query);
  gst_pad_use_fixed_caps (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

GstElement *
bell_rtp_push_src_new (GstCaps *caps)
{
  BellRtpPushSrc *self = g_object_new (BELL_TYPE_RTP_PUSH_SRC, NULL);

  self->caps = gst_caps_ref (caps);
  return GST_ELEMENT (self);
}

/* The events every stream begins with, once. */
static void
start (BellRtpPushSrc *self)
{
  g_autofree char *stream_id = NULL;
  GstSegment segment;

  if (self->started)
    return;
  stream_id = gst_pad_create_stream_id (self->srcpad, GST_ELEMENT (self), NULL);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (self->srcpad, gst_event_new_stream_start (stream_id));
  gst_pad_push_event (self->srcpad, gst_event_new_caps (self->caps));
  gst_pad_push_event (self->srcpad, gst_event_new_segment (&segment));
  self->started = TRUE;
}

gboolean
bell_rtp_push_src_end_of_stream (BellRtpPushSrc *self)
{
  if (!gst_pad_is_active (self->srcpad))
    return FALSE;
  start (self);
  return gst_pad_push_event (self->srcpad, gst_event_new_eos ());
}

GstFlowReturn
bell_rtp_push_src_push (BellRtpPushSrc *self, GstBuffer *buffer)
{
  g_autoptr(GstClock) clock = NULL;

  if (!gst_pad_is_active (self->srcpad))
    {
      gst_buffer_unref (buffer);
      return GST_FLOW_FLUSHING;
    }
  start (self);
  /* The running time it arrived at, as appsrc's do-timestamp: the jitter buffer's clock. */
  clock = gst_element_get_clock (GST_ELEMENT (self));
  if (clock)
    {
      GstClockTime now = gst_clock_get_time (clock), base = gst_element_get_base_time (GST_ELEMENT (self));

      GST_BUFFER_PTS (buffer) = GST_BUFFER_DTS (buffer) = now > base ? now - base : 0;
    }
  return gst_pad_push (self->srcpad, buffer);
}
