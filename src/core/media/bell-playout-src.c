/* bell-playout-src.c: received G.711 audio out of a BellPlayout on the pipeline's clock (see
 * the header). */
#include "bell-playout-src.h"

struct _BellPlayoutSrc
{
  GstPushSrc    parent;

  GMutex        lock;
  GCond         started;       /* the first packet came, or the element is unlocked */
  BellPlayout  *playout;
  BellPlayoutOutput output;
  gint64        next_due_us;   /* to nothing: when the next frame is due, 0 before the first */
  gint16       *scratch;       /* to nothing: where frames go */
  gboolean      flushing;      /* between unlock() and unlock_stop() */
  gboolean      finishing;     /* bell_playout_src_finish(): frames up to end_due, then EOS */
  GstClockTime  end_due;
  GstClockID    wait;          /* the clock wait under way, to cancel in unlock() */
  gboolean      pacing;        /* the first frame's time is set */
  GstClockTime  due;           /* running time of the next frame */
  GstClockTime  first_due;
};

G_DEFINE_FINAL_TYPE (BellPlayoutSrc, bell_playout_src, GST_TYPE_PUSH_SRC)

#if G_BYTE_ORDER == G_LITTLE_ENDIAN
#define PCM_FORMAT "S16LE"
#else
#define PCM_FORMAT "S16BE"
#endif

static GstStaticPadTemplate src_template =
  GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                           GST_STATIC_CAPS ("audio/x-raw, format=" PCM_FORMAT ", "
                                            "layout=interleaved, rate=8000, channels=1"));

static GstClockTime
samples_time (guint64 samples)
{
  return gst_util_uint64_scale_int (samples, GST_SECOND, BELL_PLAYOUT_RATE);
}

/* The running time of the pipeline's clock now; 0 without a clock. */
static GstClockTime
running_now (BellPlayoutSrc *self, GstClock *clock)
{
  GstClockTime now, base;

  if (!clock)
    return 0;
  now = gst_clock_get_time (clock);
  base = gst_element_get_base_time (GST_ELEMENT (self));
  return now > base ? now - base : 0;
}

static GstFlowReturn
create (GstPushSrc *push_src, GstBuffer **out)
{
  BellPlayoutSrc *self = BELL_PLAYOUT_SRC (push_src);
  g_autoptr(GstClock) clock = gst_element_get_clock (GST_ELEMENT (self));
  GstClockTimeDiff late = 0;
  GstBuffer *buffer;
  GstMapInfo map;
  gint64 due_us;
  guint len;

  g_mutex_lock (&self->lock);
  while (!self->flushing && !self->finishing &&
         (self->output == BELL_PLAYOUT_TO_NOTHING || bell_playout_get_start_us (self->playout) < 0))
    g_cond_wait (&self->started, &self->lock);
  if (self->flushing || (self->finishing && (!self->pacing || self->due >= self->end_due)))
    {
      g_mutex_unlock (&self->lock);
      return self->flushing ? GST_FLOW_FLUSHING : GST_FLOW_EOS;
    }
  if (!self->pacing)
    {
      /* The playout's start, on the monotonic clock, placed on the pipeline's. */
      gint64 ahead = bell_playout_get_start_us (self->playout) - g_get_monotonic_time ();

      self->due = running_now (self, clock) + MAX (ahead, 0) * GST_USECOND;
      self->first_due = self->due;
      self->pacing = TRUE;
    }
  if (clock && !self->finishing)
    {
      GstClockReturn ret;

      self->wait = gst_clock_new_single_shot_id (clock, gst_element_get_base_time (GST_ELEMENT (self)) + self->due);
      g_mutex_unlock (&self->lock);
      ret = gst_clock_id_wait (self->wait, &late);
      g_mutex_lock (&self->lock);
      g_clear_pointer (&self->wait, gst_clock_id_unref);
      if (self->flushing || (ret == GST_CLOCK_UNSCHEDULED && !self->finishing) ||
          (self->finishing && self->due >= self->end_due))
        {
          g_mutex_unlock (&self->lock);
          return self->flushing || !self->finishing ? GST_FLOW_FLUSHING : GST_FLOW_EOS;
        }
      if (ret == GST_CLOCK_UNSCHEDULED)   /* finishing: the frame goes now, with the rest */
        late = GST_CLOCK_DIFF (self->due, running_now (self, clock));
    }
  else if (clock)
    /* Finishing: no wait, so how late the frame is now (negative: not due yet). */
    late = GST_CLOCK_DIFF (self->due, running_now (self, clock));
  /* When the frame was due, on the monotonic clock the packets' arrivals are on: now, less
   * how late it is (a wake-up never comes early; a finishing frame may be ahead). */
  due_us = g_get_monotonic_time () - (self->finishing ? late : MAX (late, 0)) / GST_USECOND;
  buffer = gst_buffer_new_allocate (NULL, (bell_playout_get_frame_samples (self->playout) +
                                           BELL_PLAYOUT_STEP_MAX) * sizeof (gint16), NULL);
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  len = bell_playout_get (self->playout, due_us, (gint16 *) map.data);
  gst_buffer_unmap (buffer, &map);
  gst_buffer_set_size (buffer, len * sizeof (gint16));
  GST_BUFFER_PTS (buffer) = self->due - self->first_due;
  GST_BUFFER_DURATION (buffer) = samples_time (len);
  if (self->due == self->first_due)
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DISCONT);
  self->due += samples_time (len);
  g_mutex_unlock (&self->lock);
  *out = buffer;
  return GST_FLOW_OK;
}

static gboolean
unlock (GstBaseSrc *base_src)
{
  BellPlayoutSrc *self = BELL_PLAYOUT_SRC (base_src);

  g_mutex_lock (&self->lock);
  self->flushing = TRUE;
  if (self->wait)
    gst_clock_id_unschedule (self->wait);
  g_cond_broadcast (&self->started);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
unlock_stop (GstBaseSrc *base_src)
{
  BellPlayoutSrc *self = BELL_PLAYOUT_SRC (base_src);

  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

/* Stopped and started again: frames are due from the next one on. */
static gboolean
start (GstBaseSrc *base_src)
{
  BellPlayoutSrc *self = BELL_PLAYOUT_SRC (base_src);

  g_mutex_lock (&self->lock);
  self->pacing = FALSE;
  self->finishing = FALSE;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
query (GstBaseSrc *base_src, GstQuery *query)
{
  BellPlayoutSrc *self = BELL_PLAYOUT_SRC (base_src);

  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY)
    {
      /* A frame comes out when it starts to play: no latency of its own. */
      gst_query_set_latency (query, TRUE, 0, GST_CLOCK_TIME_NONE);
      return TRUE;
    }
  return GST_BASE_SRC_CLASS (bell_playout_src_parent_class)->query (GST_BASE_SRC (self), query);
}

static void
finalize (GObject *object)
{
  BellPlayoutSrc *self = BELL_PLAYOUT_SRC (object);

  bell_playout_free (self->playout);
  g_free (self->scratch);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->started);
  G_OBJECT_CLASS (bell_playout_src_parent_class)->finalize (object);
}

static void
bell_playout_src_class_init (BellPlayoutSrcClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *base_src_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *push_src_class = GST_PUSH_SRC_CLASS (klass);

  object_class->finalize = finalize;
  base_src_class->unlock = unlock;
  base_src_class->unlock_stop = unlock_stop;
  base_src_class->start = start;
  base_src_class->query = query;
  push_src_class->create = create;
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Bellbird playout source", "Source/Audio",
                                         "A call's received G.711 audio, one frame per packet time",
                                         "Bellbird");
}

static void
bell_playout_src_init (BellPlayoutSrc *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->started);
  gst_base_src_set_live (GST_BASE_SRC (self), TRUE);
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
}

GstElement *
bell_playout_src_new (BellPlayoutCodec codec, guint ptime_ms, guint floor_ms,
                      BellPlayoutOutput output)
{
  BellPlayoutSrc *self = g_object_new (BELL_TYPE_PLAYOUT_SRC, NULL);

  self->playout = bell_playout_new (codec, ptime_ms, floor_ms);
  self->output = output;
  if (output == BELL_PLAYOUT_TO_NOTHING)
    self->scratch = g_new (gint16, bell_playout_get_frame_samples (self->playout) +
                                   BELL_PLAYOUT_STEP_MAX);
  return GST_ELEMENT (self);
}

/* To nothing: the frames due by now, out and dropped, before a packet that came now goes in
 * (it is late if its frame was due already). After a pause of more than MAX_CATCH_UP frames
 * (no packets: hold) the playout is taken on from now, as after a stall. */
#define MAX_CATCH_UP 100

static void
take_due (BellPlayoutSrc *self, gint64 now_us)
{
  guint n = 0;

  if (bell_playout_get_start_us (self->playout) < 0)
    return;
  if (!self->next_due_us)
    self->next_due_us = bell_playout_get_start_us (self->playout);
  while (self->next_due_us <= now_us && n++ < MAX_CATCH_UP)
    self->next_due_us += (gint64) bell_playout_get (self->playout, self->next_due_us, self->scratch) *
                         G_USEC_PER_SEC / BELL_PLAYOUT_RATE;
  if (self->next_due_us <= now_us)
    self->next_due_us = now_us;
}

void
bell_playout_src_finish (BellPlayoutSrc *self)
{
  g_autoptr(GstClock) clock = gst_element_get_clock (GST_ELEMENT (self));

  g_mutex_lock (&self->lock);
  if (!self->finishing)
    {
      /* What came by now plays by then, the playout's delay later. */
      self->finishing = TRUE;
      self->end_due = running_now (self, clock) +
                      bell_playout_get_target_ms (self->playout) * GST_MSECOND;
      if (self->wait)
        gst_clock_id_unschedule (self->wait);
      g_cond_broadcast (&self->started);
    }
  g_mutex_unlock (&self->lock);
}

void
bell_playout_src_put (BellPlayoutSrc *self, guint16 seq, guint32 timestamp, gboolean marker,
                      const guint8 *payload, gsize len, gint64 arrival_us)
{
  gboolean waiting;

  g_mutex_lock (&self->lock);
  waiting = bell_playout_get_start_us (self->playout) < 0;
  if (self->output == BELL_PLAYOUT_TO_NOTHING)
    take_due (self, arrival_us);
  bell_playout_put (self->playout, seq, timestamp, marker, payload, len, arrival_us);
  /* Only the first packet wakes the streaming thread; the others wait for their frame. */
  if (waiting && bell_playout_get_start_us (self->playout) >= 0)
    g_cond_signal (&self->started);
  g_mutex_unlock (&self->lock);
}

guint
bell_playout_src_get_target_ms (BellPlayoutSrc *self)
{
  guint ms;

  g_mutex_lock (&self->lock);
  ms = bell_playout_get_target_ms (self->playout);
  g_mutex_unlock (&self->lock);
  return ms;
}

void
bell_playout_src_set_wait_ms (BellPlayoutSrc *self, guint wait_ms)
{
  g_mutex_lock (&self->lock);
  bell_playout_set_wait_ms (self->playout, wait_ms);
  g_mutex_unlock (&self->lock);
}

void
bell_playout_src_get_stats (BellPlayoutSrc *self, BellPlayoutStats *stats)
{
  g_mutex_lock (&self->lock);
  bell_playout_get_stats (self->playout, stats);
  g_mutex_unlock (&self->lock);
}
