/* bell-media-session.c: a call's audio pipelines (see the header). */
#define G_LOG_DOMAIN "bell-media"

#include "bell-media-session.h"
#include "bell-media-codec.h"

#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/base/gstbasesink.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "bell-dtmf.h"
#include "bell-emodel.h"
#include "bell-frame-tally.h"
#include "bell-g711.h"
#include "bell-g711-dec.h"
#include "bell-plc-filter.h"
#include "bell-jitter-target.h"
#include "bell-playout-src.h"
#include "bell-rate-control.h"
#include "bell-rtcp.h"
#include "bell-rtp-packet.h"
#include "bell-rtp-push-src.h"
#include "bell-rtp-red.h"

G_DEFINE_QUARK (bell-media-error-quark, bell_media_error)

/* Audio devices buffer 200 ms by default; a phone call wants a few milliseconds: writes of
 * 5 ms into 10 ms of buffer. With webrtcdsp in the path, which works on 10 ms frames, 10 ms
 * writes into 20 ms. */
#define DEVICE_BUFFER_US      10000
#define DEVICE_PERIOD_US      5000
#define DEVICE_BUFFER_DSP_US  20000
#define DEVICE_PERIOD_DSP_US  10000
/* A recording (--audio-out FILE.wav, or none) has no listener waiting: it keeps a deeper
 * jitter buffer, for every packet in its place rather than a low delay. With a few
 * milliseconds, a core thread held up on a busy machine sends packets in bursts that the
 * jitter buffer's clock-skew estimate folds into the timeline (audio cut from the file). */
#define RECORDING_LATENCY_MS  60

struct _BellMediaSession
{
  char              *audio_in;
  char              *audio_out;
  BellRtpSocket     *socket;
  GMainContext      *context;

  GstElement        *send;        /* source ... payloader ! appsink */
  GstElement        *recv;        /* push source ! jitter buffer ! depayloader ! decoder ...
                                   * sink, or with uses_playout(): playout source ... sink */
  GstElement        *playout;     /* BellPlayoutSrc (uses_playout()), or NULL */
  guint              playout_ms;  /* its target and late packets, as last read (kept for the */
  guint64            playout_late;/* final report, which may come after the pipelines went) */
  GstElement        *pushsrc;
  GstElement        *jitterbuffer;
  BellJitterTarget  *jitter_target;   /* its depth, from how packets arrive (core thread) */
  gint               recv_playing;  /* the receive pipeline runs (atomic: set by the thread
                                     * that finished the state change) */
  gboolean           recv_open;     /* packets may go in (see open_gate) */
  gint64             recv_built;    /* when the pipelines were built */
  GSource           *recv_gate;     /* lets them in anyway, should a sink wait for preroll */
  GstElement        *encoder;     /* opusenc: its bitrate and FEC follow the path */
  GstElement        *decoder;     /* opusdec: FEC from the next packet once loss is seen */
  GstElement        *mic;         /* volume, for mute */
  GstElement        *speaker;     /* volume of what we hear */
  double             volume;
  gboolean           muted;

  /* What the pipelines were built for. */
  guint              pt;
  char              *encoding;
  const BellCodec   *codec;
  guint              clock_rate;  /* its RTP clock */
  guint              ptime;
  gint               dtmf_pt;
  guint              dtmf_clock_rate;
  gint               red_pt;      /* RFC 2198 agreed (both ways); -1: not */
  guint              red_max;     /* copies per packet the agreed fmtp allows */
  gboolean           opus_fec;    /* the peer's decoder takes our in-band FEC */
  guint              max_bitrate; /* what the peer takes at most (bits/s); 0: no limit */
  gboolean           low_bandwidth;
  gboolean           no_redundancy;

  /* Receiving (core thread): each frame's fate, the redundancy the peer sends. */
  BellFrameTally    *tally;
  BellFrameCounts    reported;    /* the counts at the last report */
  guint              red_seen;    /* redundant blocks in the peer's last RED packet */
  gboolean           recv_lossy;  /* loss seen in what we receive: playout waits for copies */
  gboolean           decoder_fec; /* the Opus decoder takes FEC (set once, then kept) */

  /* Sending G.711 (the send pipeline's streaming thread): the frame being filled. */
  gint16             frame[60 * 8];    /* ptime at most 60 ms (bell-sdp-negotiate.c) */
  guint              frame_fill;
  guint32            frame_ts;    /* its RTP timestamp */
  gboolean           frame_marker;
  gboolean           frame_started;
  guint64            next_sample; /* where the last buffer ended (samples from time 0) */
  guint32            ts_origin;
  GstClockID         send_wait;   /* a frame waiting for its time (under lock) */
  GstClock          *send_clock;  /* the send pipeline's clock last seen (compared only) */
  gboolean           send_clock_monotonic;
  gboolean           send_stopping;  /* under lock: the pipelines are being stopped */

  /* Sending: what the far end's reports say we should do. */
  BellRateControl   *rate;

  /* Shared with the send pipeline's streaming thread. */
  GMutex             lock;
  gboolean           sending;
  gboolean           receiving;
  guint16            seq;         /* our own numbering, so DTMF and audio share one stream */
  BellRedEncoder    *red;         /* RED agreed: each packet carries copies of earlier ones */
  BellDtmfSender    *dtmf_sender;
  BellDtmfReceiver  *dtmf_receiver;
  BellMediaDtmfFunc  dtmf_func;
  gpointer           dtmf_data;

  /* RTCP (RFC 3550): reports every ~5 s, statistics for call quality. Under lock too: the
   * streaming thread counts what it sends. */
  BellRtcpSession   *rtcp;
  guint32            ssrc;
  GSource           *rtcp_timer;
  BellMediaStatsFunc stats_func;
  gpointer           stats_data;
};

static gpointer
init_gst (gpointer data)
{
  gst_init (NULL, NULL);
  bell_g711_dec_register ();
  bell_plc_filter_register ();
  return NULL;
}

static void
ensure_gst (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, init_gst, NULL);
}

static gboolean
have (const char *factory, GError **error)
{
  g_autoptr(GstElementFactory) f = gst_element_factory_find (factory);

  if (!f)
    g_set_error (error, BELL_MEDIA_ERROR, BELL_MEDIA_ERROR_MISSING,
                 "the GStreamer element “%s” is missing (packages gstreamer1.0-plugins-base, "
                 "gstreamer1.0-plugins-good)", factory);
  return f != NULL;
}

/* WAV paths go into a pipeline description between quotes. */
static gboolean
usable_path (const char *path, GError **error)
{
  if (strpbrk (path, "\"\\"))
    {
      g_set_error (error, BELL_MEDIA_ERROR, BELL_MEDIA_ERROR_PIPELINE,
                   "the file name “%s” has a quote or backslash in it", path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
is_wav (const char *what)
{
  return what && g_str_has_suffix (what, ".wav");
}

gboolean
bell_media_can_code (const char *name)
{
  const BellCodec *codec = bell_codec_find (name);

  ensure_gst ();
  return codec && bell_codec_installed (codec);
}

gboolean
bell_media_check (const BellMediaConfig *config, GError **error)
{
  static const char *const needed[] = {
    "appsink", "audioconvert", "audioresample", "volume", "rtpjitterbuffer",
    "rtppcmudepay", "rtppcmadepay", "audiotestsrc", "fakesink",
  };
  const char *in = config->audio_in ? config->audio_in : "default";
  const char *out = config->audio_out ? config->audio_out : "default";

  ensure_gst ();
  for (gsize i = 0; i < G_N_ELEMENTS (needed); i++)
    if (!have (needed[i], error))
      return FALSE;
  if (g_str_equal (in, "default") && !have ("autoaudiosrc", error))
    return FALSE;
  if (g_str_equal (out, "default") && !have ("autoaudiosink", error))
    return FALSE;
  if (is_wav (in) && (!have ("wavparse", error) || !usable_path (in, error)))
    return FALSE;
  if (is_wav (in) && !g_file_test (in, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, BELL_MEDIA_ERROR, BELL_MEDIA_ERROR_PIPELINE, "no such audio file: %s", in);
      return FALSE;
    }
  if (is_wav (out) && (!have ("wavenc", error) || !usable_path (out, error)))
    return FALSE;
  if ((g_str_has_prefix (in, "pulse:") && (!have ("pulsesrc", error) || !usable_path (in, error))) ||
      (g_str_has_prefix (in, "alsa:") && (!have ("alsasrc", error) || !usable_path (in, error))) ||
      (g_str_has_prefix (out, "pulse:") && (!have ("pulsesink", error) || !usable_path (out, error))) ||
      (g_str_has_prefix (out, "alsa:") && (!have ("alsasink", error) || !usable_path (out, error))))
    return FALSE;
  if (!g_str_equal (in, "default") && !g_str_equal (in, "tone") && !g_str_equal (in, "none") &&
      !is_wav (in) && !g_str_has_prefix (in, "pulse:") && !g_str_has_prefix (in, "alsa:"))
    {
      g_set_error (error, BELL_MEDIA_ERROR, BELL_MEDIA_ERROR_PIPELINE,
                   "audio input “%s”: default, tone, none, pulse:DEVICE, alsa:DEVICE or a .wav file", in);
      return FALSE;
    }
  if (!g_str_equal (out, "default") && !g_str_equal (out, "none") && !is_wav (out) &&
      !g_str_has_prefix (out, "pulse:") && !g_str_has_prefix (out, "alsa:"))
    {
      g_set_error (error, BELL_MEDIA_ERROR, BELL_MEDIA_ERROR_PIPELINE,
                   "audio output “%s”: default, none, pulse:DEVICE, alsa:DEVICE or a .wav file", out);
      return FALSE;
    }
  return TRUE;
}

/* Pipelines */

/* Echo cancellation between the microphone and the speaker, when both are real and the
 * element exists (gstreamer1.0-plugins-bad: webrtcdsp, webrtcechoprobe). */
static gboolean
cancels_echo (BellMediaSession *m)
{
  g_autoptr(GstElementFactory) dsp = gst_element_factory_find ("webrtcdsp");
  g_autoptr(GstElementFactory) probe = gst_element_factory_find ("webrtcechoprobe");

  return dsp && probe && !g_str_equal (m->audio_in, "tone") && !g_str_equal (m->audio_in, "none") &&
         !is_wav (m->audio_in) && !g_str_equal (m->audio_out, "none") && !is_wav (m->audio_out);
}

/* "pulse:NAME" or "alsa:DEVICE" picks a device; "default" lets GStreamer choose. */
static char *
device_description (const char *what, const char *kind)
{
  if (g_str_has_prefix (what, "pulse:"))
    return g_strdup_printf ("pulse%s device=\"%s\"", kind, what + 6);
  if (g_str_has_prefix (what, "alsa:"))
    return g_strdup_printf ("alsa%s device=\"%s\"", kind, what + 5);
  return g_strdup_printf ("autoaudio%s", kind);
}

static char *
source_description (BellMediaSession *m)
{
  const char *in = m->audio_in;
  g_autofree char *device = NULL;

  if (g_str_equal (in, "tone"))
    return g_strdup ("audiotestsrc is-live=true wave=sine freq=440 volume=0.3");
  if (g_str_equal (in, "none"))
    return g_strdup ("audiotestsrc is-live=true wave=silence");
  if (is_wav (in))
    return g_strdup_printf ("filesrc location=\"%s\" ! wavparse", in);
  device = device_description (in, "src");
  if (cancels_echo (m))
    return g_strdup_printf ("%s ! audioconvert ! audioresample ! webrtcdsp probe=bell-echo-probe", device);
  return g_steal_pointer (&device);
}

static char *
sink_description (BellMediaSession *m)
{
  const char *out = m->audio_out;
  g_autofree char *device = NULL;

  if (g_str_equal (out, "none"))
    return g_strdup ("fakesink sync=false async=false");
  if (is_wav (out))
    /* audiorate: a lost packet becomes silence in the file, which keeps the call's timeline
     * (a speaker gets that from its clock). */
    return g_strdup_printf ("audiorate tolerance=40000000 ! wavenc ! filesink location=\"%s\" "
                            "sync=false async=false", out);
  device = device_description (out, "sink");
  if (cancels_echo (m))
    return g_strdup_printf ("webrtcechoprobe name=bell-echo-probe ! audioconvert ! %s", device);
  return g_steal_pointer (&device);
}

/* Bus messages, on whichever thread posts them. Not a bus watch on the core's main context:
 * each watch is a file descriptor in the core thread's poll, which runs for every packet of
 * every call. Only the end of the stream and errors stay on the bus (stop_pipelines() waits
 * for them); the others are dropped here, and a sync handler that drops a message frees it
 * (each one holds a reference to the element that posted it: kept, they kept the pipeline). */
static GstBusSyncReply
keep_end_and_errors (GstMessage *message)
{
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *debug = NULL;

      gst_message_parse_error (message, &error, &debug);
      g_message ("audio: %s (%s)", error->message, GST_OBJECT_NAME (GST_MESSAGE_SRC (message)));
    }
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS || GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    return GST_BUS_PASS;
  gst_message_unref (message);
  return GST_BUS_DROP;
}

static GstBusSyncReply
on_send_bus (GstBus *bus, GstMessage *message, gpointer data)
{
  return keep_end_and_errors (message);
}

static GstBusSyncReply
on_recv_bus (GstBus *bus, GstMessage *message, gpointer data)
{
  BellMediaSession *m = data;

  /* Packets go into the receive pipeline only once it runs: pushed before, they would all
   * reach the jitter buffer stamped with one instant, and it would take the burst for clock
   * skew and squeeze the timeline (audio cut at the start of a call). Its sinks do not wait
   * for a first buffer (async=false), so it gets to PLAYING with none. */
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_STATE_CHANGED &&
      GST_IS_PIPELINE (GST_MESSAGE_SRC (message)))
    {
      GstState state;
      gst_message_parse_state_changed (message, NULL, &state, NULL);
      if (state == GST_STATE_PLAYING)
        g_atomic_int_set (&m->recv_playing, TRUE);
    }
  return keep_end_and_errors (message);
}

/* Audio devices (pulsesink, pulsesrc, alsasink ... also inside autoaudiosink): small buffers
 * (see DEVICE_BUFFER_US). And the speaker plays what the jitter buffer hands it as it comes
 * (sync=false): the jitter buffer already released each packet at its time, and a sink that
 * synchronised again would wait out the pipeline's whole latency on top (28 ms measured). */
static void
tune_device (GstElement *element, gboolean dsp)
{
  GObjectClass *klass = G_OBJECT_GET_CLASS (element);

  if (!g_object_class_find_property (klass, "buffer-time") ||
      !g_object_class_find_property (klass, "latency-time"))
    return;
  g_object_set (element, "buffer-time", (gint64) (dsp ? DEVICE_BUFFER_DSP_US : DEVICE_BUFFER_US),
                "latency-time", (gint64) (dsp ? DEVICE_PERIOD_DSP_US : DEVICE_PERIOD_US), NULL);
  if (g_object_class_find_property (klass, "sync"))
    g_object_set (element, "sync", FALSE, NULL);
}

static void
on_element_added (GstBin *bin, GstBin *sub_bin, GstElement *element, gpointer data)
{
  BellMediaSession *m = data;

  tune_device (element, cancels_echo (m));
}

static void
tune_existing (const GValue *item, gpointer data)
{
  on_element_added (NULL, NULL, g_value_get_object (item), data);
}

/* Now for the elements already there, and later for those a bin makes (autoaudiosink). */
static void
tune_devices (BellMediaSession *m, GstElement *pipeline)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (pipeline));

  gst_iterator_foreach (it, tune_existing, m);
  gst_iterator_free (it);
  g_signal_connect (pipeline, "deep-element-added", G_CALLBACK (on_element_added), m);
}

/* RTP header: V=2, marker, PT, seq, timestamp, SSRC (RFC 3550 §5.1). */
static void
write_header (guint8 *p, gboolean marker, guint pt, guint16 seq, guint32 ts, guint32 ssrc)
{
  p[0] = 0x80;
  p[1] = (guint8) ((marker ? 0x80 : 0) | (pt & 0x7f));
  p[2] = seq >> 8;
  p[3] = seq & 0xff;
  p[4] = ts >> 24;
  p[5] = (ts >> 16) & 0xff;
  p[6] = (ts >> 8) & 0xff;
  p[7] = ts & 0xff;
  p[8] = ssrc >> 24;
  p[9] = (ssrc >> 16) & 0xff;
  p[10] = (ssrc >> 8) & 0xff;
  p[11] = ssrc & 0xff;
}

static guint32
read32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* The payloader's packet as RFC 2198 RED into packet (header included): its length, or 0
 * when it cannot be (the caller sends it plain then). Under m->lock. */
static gsize
wrap_red (BellMediaSession *m, const guint8 *data, gsize len, guint8 *packet, gsize size)
{
  BellRtpHeader rtp;
  gsize red_len;

  if (!bell_rtp_packet_parse (data, len, &rtp))
    return 0;
  red_len = bell_red_encoder_wrap (m->red, (guint8) rtp.pt, rtp.timestamp, data + rtp.payload_offset,
                                   rtp.payload_len, packet + BELL_RTP_HEADER_SIZE,
                                   size - BELL_RTP_HEADER_SIZE);
  if (!red_len)
    return 0;
  write_header (packet, rtp.marker, (guint) m->red_pt, m->seq, rtp.timestamp, rtp.ssrc);
  return BELL_RTP_HEADER_SIZE + red_len;
}

/* Send pipeline's streaming thread: one RTP packet of the codec (data, size) goes out. While
 * digits are being sent, a telephone-event packet goes in its place (RFC 4733 §2.5: same SSRC,
 * the audio's clock); either way the sequence number is ours. With RED agreed, the frame goes
 * with copies of the ones before it. */
static void
send_payloaded (BellMediaSession *m, const guint8 *data, gsize size)
{
  guint8 packet[1500];
  gsize len = 0;

  if (size >= BELL_RTP_HEADER_SIZE && size <= sizeof packet)
    {
      guint32 ts = read32 (data + 4), ssrc = read32 (data + 8);
      guint8 event[BELL_DTMF_PAYLOAD_SIZE];
      gsize event_len = 0;
      gboolean marker = FALSE;
      guint32 event_ts = 0;

      g_mutex_lock (&m->lock);
      if (m->sending)
        {
          if (m->dtmf_sender && bell_dtmf_sender_is_busy (m->dtmf_sender) &&
              bell_dtmf_sender_next (m->dtmf_sender, ts, event, &event_len, &marker, &event_ts) &&
              event_len)
            {
              write_header (packet, marker, (guint) m->dtmf_pt, m->seq++, event_ts, ssrc);
              memcpy (packet + BELL_RTP_HEADER_SIZE, event, event_len);
              len = BELL_RTP_HEADER_SIZE + event_len;
            }
          else
            {
              len = m->red ? wrap_red (m, data, size, packet, sizeof packet) : 0;
              if (!len)
                {
                  memcpy (packet, data, size);
                  packet[2] = m->seq >> 8;
                  packet[3] = m->seq & 0xff;
                  len = size;
                }
              m->seq++;
            }
        }
      g_mutex_unlock (&m->lock);
    }
  if (len)
    {
      g_autoptr(GError) error = NULL;
      if (!bell_rtp_socket_send_rtp (m->socket, packet, len, &error))
        g_debug ("RTP not sent: %s", error->message);
      g_mutex_lock (&m->lock);
      if (m->rtcp)
        bell_rtcp_on_rtp_sent (m->rtcp, packet, len, g_get_monotonic_time ());
      g_mutex_unlock (&m->lock);
    }
}

/* Send pipeline's streaming thread, Opus and G.722: a packet from the payloader. */
static GstFlowReturn
on_packet (GstAppSink *sink, gpointer data)
{
  BellMediaSession *m = data;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buffer = sample ? gst_sample_get_buffer (sample) : NULL;
  GstMapInfo map;

  if (!buffer || !gst_buffer_map (buffer, &map, GST_MAP_READ))
    return GST_FLOW_OK;
  send_payloaded (m, map.data, map.size);
  gst_buffer_unmap (buffer, &map);
  return GST_FLOW_OK;
}

/* Whether the pipelines are being stopped. */
static gboolean
send_stopping (BellMediaSession *m)
{
  gboolean stopping;

  g_mutex_lock (&m->lock);
  stopping = m->send_stopping;
  g_mutex_unlock (&m->lock);
  return stopping;
}

/* On the system's monotonic clock (a file's or a test source's pipeline), a plain sleep to
 * the deadline, in steps of at most SLEEP_STEP_NS so that a stop is seen soon: a GstClockID
 * made, weakly referenced and freed for every packet cost more than the sleep itself. */
#define SLEEP_STEP_NS (20 * GST_MSECOND)

static gboolean
sleep_until (BellMediaSession *m, GstClockTime deadline)
{
  for (;;)
    {
      struct timespec now, step;
      GstClockTime now_ns;

      if (send_stopping (m))
        return FALSE;
      clock_gettime (CLOCK_MONOTONIC, &now);
      now_ns = GST_TIMESPEC_TO_TIME (now);
      if (now_ns >= deadline)
        return TRUE;
      GST_TIME_TO_TIMESPEC (MIN (deadline, now_ns + SLEEP_STEP_NS), step);
      clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &step, NULL);
    }
}

/* Asked once per clock (the streaming thread's own fields): a property read per packet
 * costs too. */
static gboolean
is_monotonic_system_clock (BellMediaSession *m, GstClock *clock)
{
  GstClockType type = GST_CLOCK_TYPE_REALTIME;

  if (clock == m->send_clock)
    return m->send_clock_monotonic;
  if (GST_IS_SYSTEM_CLOCK (clock))
    g_object_get (clock, "clock-type", &type, NULL);
  m->send_clock = clock;   /* compared only, never dereferenced */
  m->send_clock_monotonic = type == GST_CLOCK_TYPE_MONOTONIC;
  return m->send_clock_monotonic;
}

/* Waits on the send pipeline's clock until running time at; FALSE when the pipelines are
 * being stopped (stop_pipelines() cancels the wait). */
static gboolean
wait_until (BellMediaSession *m, GstElement *sink, GstClockTime at)
{
  g_autoptr(GstClock) clock = gst_element_get_clock (sink);
  GstClockID id;
  gboolean go_on;

  if (!clock)
    return TRUE;
  if (is_monotonic_system_clock (m, clock))
    return sleep_until (m, gst_element_get_base_time (sink) + at);
  id = gst_clock_new_single_shot_id (clock, gst_element_get_base_time (sink) + at);
  g_mutex_lock (&m->lock);
  go_on = !m->send_stopping;
  if (go_on)
    m->send_wait = id;
  g_mutex_unlock (&m->lock);
  if (go_on)
    gst_clock_id_wait (id, NULL);
  g_mutex_lock (&m->lock);
  m->send_wait = NULL;
  go_on = !m->send_stopping;
  g_mutex_unlock (&m->lock);
  gst_clock_id_unref (id);
  return go_on;
}

/* Send pipeline's streaming thread, G.711: samples at 8 kHz, in buffers of whatever size the
 * source makes (a device's period, 256 ms from a WAV file), cut into frames of ptime, each
 * encoded and sent as one packet when its first sample is due (the sink waited for the
 * buffer's first; a frame further in waits for its own here, or 6 packets of a 128 ms buffer
 * would leave at once). The RTP timestamp follows the buffers' time (a random origin, RFC
 * 3550 §5.1): a source that skips (a device that dropped samples) leaves the same gap in the
 * timestamps, and the first packet after it has the marker bit, as the payloader would. */
static GstFlowReturn
on_samples (GstAppSink *sink, gpointer data)
{
  BellMediaSession *m = data;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buffer = sample ? gst_sample_get_buffer (sample) : NULL;
  GstClockTime start = GST_CLOCK_TIME_NONE;
  guint frame = m->ptime * 8;
  const gint16 *pcm;
  GstMapInfo map;
  gsize n, offset = 0;

  if (!buffer || !gst_buffer_map (buffer, &map, GST_MAP_READ))
    return GST_FLOW_OK;
  pcm = (const gint16 *) map.data;
  n = map.size / sizeof (gint16);
  if (GST_BUFFER_PTS_IS_VALID (buffer))
    {
      guint64 at = gst_util_uint64_scale_round (GST_BUFFER_PTS (buffer), 8000, GST_SECOND);

      /* When the sink let the buffer through: its running time plus the pipeline's latency (a
       * live source hands a buffer over once its last sample is in: 128 ms of audiotestsrc's,
       * a device's period), as it will for the frames further in. */
      start = gst_segment_to_running_time (gst_sample_get_segment (sample), GST_FORMAT_TIME,
                                           GST_BUFFER_PTS (buffer));
      if (GST_CLOCK_TIME_IS_VALID (start))
        start += gst_base_sink_get_latency (GST_BASE_SINK (sink));
      /* Not where the last buffer ended (by more than a sample): start a frame there. */
      if (!m->frame_started || GST_BUFFER_IS_DISCONT (buffer) ||
          at + 1 < m->next_sample || at > m->next_sample + 1)
        {
          m->frame_fill = 0;
          m->frame_ts = m->ts_origin + (guint32) at;
          m->frame_marker = TRUE;
          m->frame_started = TRUE;
        }
      m->next_sample = at + n;
    }
  else if (!m->frame_started)
    {
      /* No time on it (sources stamp theirs): numbered from the origin, frames back to back. */
      m->frame_fill = 0;
      m->frame_ts = m->ts_origin;
      m->frame_marker = TRUE;
      m->frame_started = TRUE;
    }
  while (n > 0)
    {
      gsize take = MIN (n, frame - m->frame_fill);

      memcpy (m->frame + m->frame_fill, pcm, take * sizeof (gint16));
      m->frame_fill += take;
      pcm += take;
      n -= take;
      offset += take;
      if (m->frame_fill == frame)
        {
          guint8 packet[BELL_RTP_HEADER_SIZE + G_N_ELEMENTS (m->frame)];
          gsize first = offset >= frame ? offset - frame : 0;   /* where in the buffer it began */

          if (first > 0 && GST_CLOCK_TIME_IS_VALID (start) &&
              !wait_until (m, GST_ELEMENT (sink), start + gst_util_uint64_scale (first, GST_SECOND, 8000)))
            break;

          write_header (packet, m->frame_marker, m->pt, 0, m->frame_ts, m->ssrc);
          if (m->codec->id == BELL_CODEC_PCMU)
            bell_g711_ulaw_encode_buf (m->frame, frame, packet + BELL_RTP_HEADER_SIZE);
          else
            bell_g711_alaw_encode_buf (m->frame, frame, packet + BELL_RTP_HEADER_SIZE);
          send_payloaded (m, packet, BELL_RTP_HEADER_SIZE + frame);
          m->frame_ts += frame;
          m->frame_fill = 0;
          m->frame_marker = FALSE;
        }
    }
  gst_buffer_unmap (buffer, &map);
  return GST_FLOW_OK;
}

/* What we hear goes to a file or nowhere: no listener waits for it. */
static gboolean
is_recording (BellMediaSession *m)
{
  return is_wav (m->audio_out) || g_str_equal (m->audio_out, "none");
}

/* The jitter buffer's latency: its target, or at least RECORDING_LATENCY_MS for a file. On a
 * path that loses packets while the peer sends RED, it also waits for the copies: a frame's
 * copy comes up to red_seen packets after it. On a clean path RED costs no delay. */
static guint
playout_latency (BellMediaSession *m)
{
  guint ms;

  if (m->playout)
    return bell_playout_src_get_target_ms (BELL_PLAYOUT_SRC (m->playout));
  ms = bell_jitter_target_get_ms (m->jitter_target);

  if (m->recv_lossy && m->red_seen)
    ms += m->red_seen * m->ptime;
  return is_recording (m) ? MAX (ms, RECORDING_LATENCY_MS) : ms;
}

/* The playout waits for RED's copies while the path loses packets (see playout_latency()). */
static void
update_latency (BellMediaSession *m)
{
  if (m->jitterbuffer)
    g_object_set (m->jitterbuffer, "latency", playout_latency (m), NULL);
  else if (m->playout)
    bell_playout_src_set_wait_ms (BELL_PLAYOUT_SRC (m->playout),
                                  m->recv_lossy ? m->red_seen * m->ptime : 0);
}

/* One frame into the playout, or into the jitter buffer as a plain RTP packet of the codec. */
static void
push_frame (BellMediaSession *m, gboolean marker, guint16 seq, guint32 ts, guint32 ssrc,
            const guint8 *payload, gsize len)
{
  GstBuffer *buffer;
  GstMapInfo map;

  if (m->playout)
    {
      bell_playout_src_put (BELL_PLAYOUT_SRC (m->playout), seq, ts, marker, payload, len,
                            g_get_monotonic_time ());
      return;
    }
  buffer = gst_buffer_new_allocate (NULL, BELL_RTP_HEADER_SIZE + len, NULL);
  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  write_header (map.data, marker, m->pt, seq, ts, ssrc);
  memcpy (map.data + BELL_RTP_HEADER_SIZE, payload, len);
  gst_buffer_unmap (buffer, &map);
  bell_rtp_push_src_push (BELL_RTP_PUSH_SRC (m->pushsrc), buffer);
}

/* Frames the decoder did not get in their own packet so far (rebuilt or concealed). */
static guint64
frames_missed (BellMediaSession *m)
{
  BellFrameCounts counts;

  bell_frame_tally_get (m->tally, &counts);
  return counts.frames - counts.packets;
}

/* Does the Opus decoder take FEC from the next packet? It then holds every frame back one
 * frame, so only where that helps: the peer sends FEC (we said useinbandfec=1) and no RED
 * (whose first copy rides in the same next packet, and reaches further back); for a listener
 * only once the path loses packets, for a recording from the start (no one waits for it, and
 * a delay that changes mid-call would shift what is written). */
static gboolean
wants_decoder_fec (BellMediaSession *m)
{
  return m->codec && m->codec->id == BELL_CODEC_OPUS && !m->no_redundancy && m->red_pt < 0;
}

/* Kept for the rest of the call: turning it off and on would move the timeline each time. */
static void
set_decoder_fec (BellMediaSession *m)
{
  m->decoder_fec = TRUE;
  g_object_set (m->decoder, "use-inband-fec", TRUE, NULL);
  bell_frame_tally_set_fec (m->tally, TRUE);
}

/* A RED packet (RFC 2198): its copies of earlier frames fill the holes they are in time for
 * (a copy k frames back arrives k packets late), then the frame itself. Blocks of another
 * payload type than the call's codec, or at an offset that is no whole number of frames, are
 * skipped. */
static void
receive_red (BellMediaSession *m, const guint8 *data, const BellRtpHeader *rtp)
{
  BellRedBlock blocks[8];
  guint n = 0, frame_ticks = m->ptime * (m->clock_rate / 1000);

  if (!bell_red_parse (data + rtp->payload_offset, rtp->payload_len, blocks, G_N_ELEMENTS (blocks), &n))
    return;
  m->red_seen = n - 1;
  for (guint i = 0; i + 1 < n; i++)
    {
      guint back = frame_ticks ? blocks[i].ts_offset / frame_ticks : 0;
      guint16 seq = (guint16) (rtp->seq - back);

      if (blocks[i].pt != m->pt || !back || blocks[i].ts_offset % frame_ticks ||
          back * m->ptime > playout_latency (m) ||
          !bell_frame_tally_arrived (m->tally, seq, BELL_FRAME_RED))
        continue;
      push_frame (m, FALSE, seq, rtp->timestamp - blocks[i].ts_offset, rtp->ssrc, blocks[i].data,
                  blocks[i].len);
    }
  if (blocks[n - 1].pt == m->pt && bell_frame_tally_arrived (m->tally, rtp->seq, BELL_FRAME_PACKET))
    push_frame (m, rtp->marker, rtp->seq, rtp->timestamp, rtp->ssrc, blocks[n - 1].data,
                blocks[n - 1].len);
}

/* What the rate control decided, applied: the Opus encoder's bitrate and FEC, the number of
 * earlier frames RED repeats (for Opus, from the loss its FEC is sized for). */
static void
apply_rate (BellMediaSession *m)
{
  const BellRateDecision *d = bell_rate_control_get (m->rate);
  guint distance = m->codec->id == BELL_CODEC_OPUS
                   ? bell_rate_control_red_distance (d->loss_percentage) : d->red_distance;

  distance = MIN (distance, m->red_max);   /* no more blocks than the agreed fmtp names */

  if (m->encoder)
    g_object_set (m->encoder, "bitrate", (gint) d->bitrate, "inband-fec", d->fec && m->opus_fec,
                  "packet-loss-percentage", (gint) d->loss_percentage, NULL);
  g_mutex_lock (&m->lock);
  if (m->red)
    bell_red_encoder_set_distance (m->red, distance);
  g_mutex_unlock (&m->lock);
}

/* A report from the far end about our stream (core thread). The rate control decides from
 * the second on (it wants loss in two reports before it moves). The first one ends RED's
 * start-up copies at once on a clean path; on a lossy one it sets as many copies as that loss
 * calls for, until the rate control takes over. */
static void
follow_reports (BellMediaSession *m, const BellRtcpStats *stats)
{
  gboolean changed;

  if (!m->rate)
    return;
  changed = bell_rate_control_report (m->rate, g_get_monotonic_time (), stats->remote_fraction_lost,
                                      stats->rtt_ms, stats->remote_jitter_ms);
  if (stats->remote_reports == 1 && stats->remote_fraction_lost >= 0.01)
    {
      guint loss = (guint) ceil (stats->remote_fraction_lost * 100);

      g_mutex_lock (&m->lock);
      if (m->red && !m->low_bandwidth)
        bell_red_encoder_set_distance (m->red, MIN (bell_rate_control_red_distance (loss), m->red_max));
      g_mutex_unlock (&m->lock);
      return;
    }
  if (changed || stats->remote_reports == 1)
    apply_rate (m);
}

/* The playout's delay and its late packets into stats. */
static void
playout_figures (BellMediaSession *m, BellMediaStats *stats)
{
  if (m->playout)
    {
      BellPlayoutStats playout;

      bell_playout_src_get_stats (BELL_PLAYOUT_SRC (m->playout), &playout);
      m->playout_ms = playout_latency (m);
      m->playout_late = playout.late;
    }
  else if (m->jitter_target)
    {
      m->playout_ms = playout_latency (m);
      m->playout_late = bell_jitter_target_get_late (m->jitter_target);
    }
  stats->jitter_buffer_ms = m->playout_ms;
  stats->late = m->playout_late;
}

/* Core thread: a packet from the socket. */
static void
on_received (BellRtpSocket *socket, const guint8 *data, gsize len, gboolean rtcp, gpointer user_data)
{
  BellMediaSession *m = user_data;
  BellRtpHeader rtp;
  guint64 missed;
  gboolean lossy;

  if (rtcp)
    {
      BellRtcpStats stats = { 0 };
      guint64 reports = 0;

      g_mutex_lock (&m->lock);
      if (m->rtcp)
        {
          bell_rtcp_get_stats (m->rtcp, &stats);
          reports = stats.remote_reports;
          bell_rtcp_on_rtcp_received (m->rtcp, data, len, g_get_monotonic_time ());
          bell_rtcp_get_stats (m->rtcp, &stats);
        }
      g_mutex_unlock (&m->lock);
      if (stats.remote_reports > reports)
        follow_reports (m, &stats);
      return;
    }
  if (len < BELL_RTP_HEADER_SIZE || !m->recv)
    return;
  g_mutex_lock (&m->lock);
  if (m->rtcp)
    bell_rtcp_on_rtp_received (m->rtcp, data, len, g_get_monotonic_time ());
  g_mutex_unlock (&m->lock);
  if (!bell_rtp_packet_parse (data, len, &rtp))
    return;
  if ((gint) rtp.pt == m->dtmf_pt && m->dtmf_receiver)
    {
      bell_dtmf_receiver_push (m->dtmf_receiver, data + rtp.payload_offset, rtp.payload_len,
                               rtp.timestamp, rtp.seq, rtp.marker);
      return;
    }
  if (!m->receiving || !m->recv_open)
    return;
  missed = frames_missed (m);
  if (m->red_pt >= 0 && (gint) rtp.pt == m->red_pt)
    receive_red (m, data, &rtp);
  else if (rtp.pt == m->pt && bell_frame_tally_arrived (m->tally, rtp.seq, BELL_FRAME_PACKET))
    {
      if (m->playout)
        bell_playout_src_put (BELL_PLAYOUT_SRC (m->playout), rtp.seq, rtp.timestamp, rtp.marker,
                              data + rtp.payload_offset, rtp.payload_len, g_get_monotonic_time ());
      else
        /* The whole packet, padding and all: the depayloader reads the header again. */
        bell_rtp_push_src_push (BELL_RTP_PUSH_SRC (m->pushsrc), gst_buffer_new_memdup (data, len));
    }
  else
    return;
  /* A frame missed: the path loses packets, and the playout waits for RED's copies. */
  lossy = m->recv_lossy || frames_missed (m) > missed;
  if (lossy && m->decoder && !m->decoder_fec && wants_decoder_fec (m))
    set_decoder_fec (m);
  /* The playout measures the jitter itself. */
  if ((!m->playout && bell_jitter_target_update (m->jitter_target, g_get_monotonic_time (), rtp.timestamp)) ||
      lossy != m->recv_lossy)
    {
      m->recv_lossy = lossy;
      update_latency (m);
    }
}

static void
on_digit (char digit, guint duration_ms, gpointer data)
{
  BellMediaSession *m = data;

  if (m->dtmf_func)
    m->dtmf_func (digit, duration_ms, m->dtmf_data);
}

/* What the sender does now, and how the frames we received fared since the last report: the
 * MOS estimate (G.107) for what we hear. The path's loss also decides here whether the Opus
 * decoder waits for FEC (one frame more delay: only once packets are being lost) and, after
 * a report interval without a frame missed, that the playout no longer waits for RED. */
static void
receive_figures (BellMediaSession *m, BellMediaStats *stats)
{
  BellFrameCounts *f = &stats->frames;
  guint64 frames, missed, lost;
  /* Every decoder conceals (opusdec, bellg711dec, bellplcfilter after G.722's). */
  BellEmodelInput model = { .burst_r = 1, .concealment = TRUE };
  double one_way_ms;

  bell_frame_tally_get (m->tally, f);
  frames = f->frames - m->reported.frames;
  missed = frames - (f->packets - m->reported.packets);   /* not in their own packet */
  lost = f->concealed - m->reported.concealed;            /* not rebuilt either */
  if (frames && !missed && m->recv_lossy)
    {
      m->recv_lossy = FALSE;
      update_latency (m);
    }
  m->reported = *f;

  stats->codec = m->encoding;
  if (m->rate)
    {
      const BellRateDecision *d = bell_rate_control_get (m->rate);

      stats->bitrate = d->bitrate;
      stats->fec = m->encoder && d->fec && m->opus_fec;
    }
  g_mutex_lock (&m->lock);
  stats->red = m->red ? bell_red_encoder_get_distance (m->red) : 0;
  g_mutex_unlock (&m->lock);

  /* Mouth to ear: half the round trip for the network, the playout delay, a packet's worth of
   * audio gathered before it is sent, the sound device's buffer. */
  one_way_ms = (stats->rtcp.rtt_ms > 0 ? stats->rtcp.rtt_ms / 2 : 0) + stats->jitter_buffer_ms +
               m->ptime + DEVICE_BUFFER_US / 1000;
  model.delay_ms = one_way_ms;
  model.loss_percent = frames ? 100.0 * (double) lost / (double) frames : 0;
  if (!m->encoding || !bell_emodel_codec_from_name (m->encoding, &model.codec))
    return;
  stats->mos = bell_emodel_mos (bell_emodel_r (&model));
}

static void send_rtcp (BellMediaSession *m, gboolean bye);

/* What we hear and send, with the RTCP figures already in stats, to the stats function. */
static void
report_figures (BellMediaSession *m, BellMediaStats *stats)
{
  BellRtpStats socket_stats;

  receive_figures (m, stats);
  bell_rtp_socket_get_stats (m->socket, &socket_stats);
  stats->rejected = socket_stats.dropped_foreign;
  if (m->stats_func)
    m->stats_func (stats, m->stats_data);
}

static void schedule_rtcp (BellMediaSession *m, guint interval_ms);

static gboolean
on_rtcp_timer (gpointer data)
{
  BellMediaSession *m = data;
  guint next;

  send_rtcp (m, FALSE);
  g_mutex_lock (&m->lock);
  next = m->rtcp ? bell_rtcp_next_interval_ms (m->rtcp) : 5000;
  g_mutex_unlock (&m->lock);
  /* One timeout per interval: each interval is drawn anew (RFC 3550 §6.3). */
  schedule_rtcp (m, next);
  return G_SOURCE_REMOVE;
}

static void
schedule_rtcp (BellMediaSession *m, guint interval_ms)
{
  if (m->rtcp_timer)
    g_source_unref (m->rtcp_timer);
  m->rtcp_timer = g_timeout_source_new (interval_ms);
  g_source_set_callback (m->rtcp_timer, on_rtcp_timer, m, NULL);
  g_source_attach (m->rtcp_timer, m->context);
}

/* A report (or, at the end, a BYE) to the peer, and our figures to whoever listens. */
static void
send_rtcp (BellMediaSession *m, gboolean bye)
{
  guint8 buf[BELL_RTCP_MAX_PACKET];
  gsize len = 0;
  BellMediaStats stats = { 0 };

  g_mutex_lock (&m->lock);
  if (m->rtcp)
    {
      len = bye ? bell_rtcp_build_bye (m->rtcp, g_get_monotonic_time (), NULL, buf, sizeof buf)
                : bell_rtcp_build_report (m->rtcp, g_get_monotonic_time (), buf, sizeof buf);
      bell_rtcp_get_stats (m->rtcp, &stats.rtcp);
    }
  g_mutex_unlock (&m->lock);
  if (len)
    bell_rtp_socket_send_rtcp (m->socket, buf, len, NULL);
  playout_figures (m, &stats);
  if (bye)
    return;
  if (len)
    report_figures (m, &stats);
}

void
bell_media_session_report_final (BellMediaSession *m)
{
  BellMediaStats stats = { .final = TRUE };

  g_mutex_lock (&m->lock);
  if (!m->rtcp)
    {
      g_mutex_unlock (&m->lock);
      return;   /* no media ever started: nothing to tell */
    }
  bell_rtcp_get_stats (m->rtcp, &stats.rtcp);
  g_mutex_unlock (&m->lock);
  playout_figures (m, &stats);
  report_figures (m, &stats);
}

static void
start_rtcp (BellMediaSession *m, guint clock_rate)
{
  g_mutex_lock (&m->lock);
  m->rtcp = bell_rtcp_session_new (m->ssrc, clock_rate, NULL);
  g_mutex_unlock (&m->lock);
  schedule_rtcp (m, bell_rtcp_next_interval_ms (m->rtcp));
}

static void
stop_rtcp (BellMediaSession *m)
{
  if (!m->rtcp)
    return;
  send_rtcp (m, TRUE);
  g_source_destroy (m->rtcp_timer);
  g_clear_pointer (&m->rtcp_timer, g_source_unref);
  g_mutex_lock (&m->lock);
  g_clear_pointer (&m->rtcp, bell_rtcp_session_free);
  g_mutex_unlock (&m->lock);
}

static void
stop_pipelines (BellMediaSession *m)
{
  if (m->recv)
    {
      /* A WAV being written gets its header finished: end the stream, wait for it. */
      g_autoptr(GstBus) bus = gst_element_get_bus (m->recv);
      g_autoptr(GstMessage) done = NULL;

      gboolean ending;

      if (m->playout)
        {
          BellMediaStats stats = { 0 };
          BellPlayoutStats playout;

          playout_figures (m, &stats);   /* kept for the final report */
          bell_playout_src_get_stats (BELL_PLAYOUT_SRC (m->playout), &playout);
          g_debug ("playout: %" G_GUINT64_FORMAT " frames played, %" G_GUINT64_FORMAT
                   " concealed, %" G_GUINT64_FORMAT " late, %" G_GUINT64_FORMAT " duplicates, "
                   "%" G_GUINT64_FORMAT " discarded; delay %u ms, stepped up %" G_GUINT64_FORMAT
                   " and down %" G_GUINT64_FORMAT " times", playout.played, playout.concealed,
                   playout.late, playout.duplicates, playout.discarded, stats.jitter_buffer_ms,
                   playout.added_for_drift, playout.dropped_for_drift);
          bell_playout_src_finish (BELL_PLAYOUT_SRC (m->playout));
          ending = TRUE;
        }
      else
        ending = bell_rtp_push_src_end_of_stream (BELL_RTP_PUSH_SRC (m->pushsrc));
      if (ending)
        done = gst_bus_timed_pop_filtered (bus, GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
      gst_element_set_state (m->recv, GST_STATE_NULL);
    }
  if (m->send)
    {
      /* A frame waiting for its time in on_samples() goes no further. */
      g_mutex_lock (&m->lock);
      m->send_stopping = TRUE;
      if (m->send_wait)
        gst_clock_id_unschedule (m->send_wait);
      g_mutex_unlock (&m->lock);
      gst_element_set_state (m->send, GST_STATE_NULL);
    }
  g_clear_object (&m->send);
  g_clear_object (&m->recv);
  m->pushsrc = NULL;
  m->playout = NULL;
  m->jitterbuffer = NULL;
  g_atomic_int_set (&m->recv_playing, FALSE);
  m->recv_open = FALSE;
  if (m->recv_gate)
    g_source_destroy (m->recv_gate);
  g_clear_pointer (&m->recv_gate, g_source_unref);
  m->mic = NULL;
  m->speaker = NULL;
  m->encoder = NULL;
  m->decoder = NULL;
  m->decoder_fec = FALSE;
  bell_frame_tally_set_fec (m->tally, FALSE);
  g_mutex_lock (&m->lock);
  g_clear_pointer (&m->dtmf_sender, bell_dtmf_sender_free);
  g_clear_pointer (&m->red, bell_red_encoder_free);
  g_mutex_unlock (&m->lock);
  g_clear_pointer (&m->dtmf_receiver, bell_dtmf_receiver_free);
}

/* Lets packets into the receive pipeline once it runs, or after 200 ms whatever a device sink
 * is waiting for. At a low priority, after the sockets: what piled up in them while the
 * pipelines were being built (several packets, read at one instant) is dropped rather than
 * handed to the jitter buffer as a burst, which its clock-skew estimate would fold into the
 * timeline (audio cut from the start of a recording). */
static gboolean
open_gate (gpointer data)
{
  BellMediaSession *m = data;

  if (!g_atomic_int_get (&m->recv_playing) &&
      g_source_get_time (m->recv_gate) - m->recv_built < 200 * G_TIME_SPAN_MILLISECOND)
    return G_SOURCE_CONTINUE;
  m->recv_open = TRUE;
  g_clear_pointer (&m->recv_gate, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* opusenc's frame sizes: the longest that fits in the packet time. */
static guint
opus_frame_ms (guint ptime)
{
  static const guint sizes[] = { 60, 40, 20, 10, 5 };

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    if (sizes[i] <= ptime)
      return sizes[i];
  return 5;
}

/* opusenc's band for the peer's maxplaybackrate (RFC 7587 §6.1): no wider than it plays.
 * Unsaid, Opus picks the band for the bitrate (opusenc's own default is full band, which at
 * a voice bitrate leaves fewer bits for the speech band and its FEC). */
static const char *
opus_bandwidth (guint max_playback_rate)
{
  if (!max_playback_rate)
    return "auto";
  if (max_playback_rate <= 8000)
    return "narrowband";
  if (max_playback_rate <= 12000)
    return "mediumband";
  if (max_playback_rate <= 16000)
    return "wideband";
  if (max_playback_rate <= 24000)
    return "superwideband";
  return "auto";
}

/* The encoder with the call's settings: Opus as a voice coder at the rate control's bitrate,
 * in the band the peer plays, with in-band FEC when the peer's decoder takes it, DTX when it
 * asks for it. */
static char *
encoder_description (BellMediaSession *m, const BellSdpMediaPlan *plan)
{
  const BellRateDecision *d = bell_rate_control_get (m->rate);

  if (m->codec->id != BELL_CODEC_OPUS)
    return g_strdup (m->codec->encoder);
  return g_strdup_printf ("opusenc name=enc audio-type=voice bandwidth=%s frame-size=%u "
                          "bitrate=%u inband-fec=%s packet-loss-percentage=%u dtx=%s",
                          opus_bandwidth (plan->max_playback_rate), opus_frame_ms (plan->ptime),
                          d->bitrate,
                          d->fec && m->opus_fec ? "true" : "false", d->loss_percentage,
                          plan->dtx ? "true" : "false");
}

/* The decoder: Opus conceals lost frames itself (and takes FEC once the path loses packets,
 * see send_rtcp()); G.711's is ours, concealing too (bell-g711-dec.h); avdec_g722 does not,
 * so bellplcfilter makes its gaps into concealment (bell-plc-filter.h). */
static char *
decoder_description (BellMediaSession *m)
{
  if (m->codec->id == BELL_CODEC_OPUS)
    return g_strdup ("opusdec name=dec plc=true use-inband-fec=false");
  if (m->codec->id == BELL_CODEC_G722)
    return g_strdup_printf ("%s ! bellplcfilter", m->codec->decoder);
  return g_strdup (m->codec->decoder);
}

static gboolean
is_g711 (BellMediaSession *m)
{
  return m->codec->id == BELL_CODEC_PCMU || m->codec->id == BELL_CODEC_PCMA;
}

/* What we hear, in G.711, to a file or nowhere: our own playout source (bell-playout-src.h),
 * packets put into it on the core thread and no thread woken for them, frames out on its own
 * thread at their time (for nothing: taken out on the core thread). A speaker keeps
 * rtpjitterbuffer: paced by what the device takes, it kept a steady 36 ms mouth to ear on the
 * delay bench (run-media-bench.sh), where our playout paced by the device's clock or by its
 * sink's blocking moved between 37 and 52 ms (its 5 ms steps following a device that took
 * samples 0.2 % faster than its GStreamer clock ran). */
static gboolean
uses_playout (BellMediaSession *m)
{
  return is_g711 (m) && is_recording (m);
}

/* The playout source of uses_playout(). A recording keeps RECORDING_LATENCY_MS of delay at
 * least and its timeline from 0. */
static gboolean
add_playout (BellMediaSession *m, const BellSdpMediaPlan *plan, GError **error)
{
  g_autoptr(GstElement) first = gst_bin_get_by_name (GST_BIN (m->recv), "first");

  m->playout = bell_playout_src_new (m->codec->id == BELL_CODEC_PCMU ? BELL_PLAYOUT_PCMU
                                                                      : BELL_PLAYOUT_PCMA,
                                     plan->ptime, RECORDING_LATENCY_MS,
                                     g_str_equal (m->audio_out, "none") ? BELL_PLAYOUT_TO_NOTHING
                                                                        : BELL_PLAYOUT_TO_FILE);
  gst_bin_add (GST_BIN (m->recv), m->playout);
  if (!gst_element_link (m->playout, first))
    {
      g_set_error (error, BELL_MEDIA_ERROR, BELL_MEDIA_ERROR_PIPELINE,
                   "the audio output takes no %s audio", plan->encoding);
      return FALSE;
    }
  return TRUE;
}

/* Everything else (a speaker, Opus, G.722): RTP packets pushed through rtpjitterbuffer, the
 * codec's depayloader and decoder. */
static gboolean
add_jitter_buffer (BellMediaSession *m, const BellSdpMediaPlan *plan, GError **error)
{
  g_autoptr(GstCaps) caps = gst_caps_new_simple ("application/x-rtp",
                                                 "media", G_TYPE_STRING, "audio",
                                                 "clock-rate", G_TYPE_INT, (gint) plan->clock_rate,
                                                 "encoding-name", G_TYPE_STRING, m->codec->caps_name,
                                                 "payload", G_TYPE_INT, (gint) plan->pt, NULL);

  m->pushsrc = bell_rtp_push_src_new (caps);
  gst_bin_add (GST_BIN (m->recv), m->pushsrc);
  m->jitterbuffer = gst_bin_get_by_name (GST_BIN (m->recv), "jb");
  g_object_unref (m->jitterbuffer);
  /* A speaker plays what it is handed as it comes (sync=false): should the far end's clock
   * run faster than ours, packets would pile up before it, each a little more delay for the
   * rest of the call. The jitter buffer drops what is older than its latency instead. */
  if (!is_recording (m))
    g_object_set (m->jitterbuffer, "drop-on-latency", TRUE, NULL);
  if (!gst_element_link (m->pushsrc, m->jitterbuffer))
    {
      g_set_error (error, BELL_MEDIA_ERROR, BELL_MEDIA_ERROR_PIPELINE,
                   "the jitter buffer takes no %s packets", plan->encoding);
      return FALSE;
    }
  return TRUE;
}

static gboolean
build (BellMediaSession *m, const BellSdpMediaPlan *plan, GError **error)
{
  g_autofree char *src = source_description (m);
  g_autofree char *sink = sink_description (m);
  g_autofree char *encoder = NULL, *decoder = NULL;
  g_autofree char *send = NULL, *recv = NULL;
  guint64 ptime_ns = (guint64) plan->ptime * GST_MSECOND;
  GstAppSinkCallbacks callbacks = { .new_sample = on_packet };
  BellRateControlConfig rate = {
    .kind = m->codec->id == BELL_CODEC_OPUS ? BELL_RATE_CODEC_OPUS : BELL_RATE_CODEC_FIXED,
    .low_bandwidth = m->low_bandwidth,
    .max_bitrate = plan->max_bitrate,
  };
  g_autoptr(GstElement) appsink = NULL;
  GstBus *bus;

  g_clear_pointer (&m->jitter_target, bell_jitter_target_free);
  if (!uses_playout (m))
    m->jitter_target = bell_jitter_target_new (plan->clock_rate);
  m->playout_ms = 0;
  m->playout_late = 0;
  g_clear_pointer (&m->rate, bell_rate_control_free);
  m->rate = bell_rate_control_new (&rate);
  encoder = encoder_description (m, plan);
  decoder = decoder_description (m);

  /* G.711 is encoded and packed in on_samples(); the others by GStreamer's elements. */
  if (is_g711 (m))
    send = g_strdup_printf ("%s ! audioconvert ! audioresample ! audio/x-raw,format=%s,rate=8000,"
                            "channels=1,layout=interleaved ! volume name=mic ! appsink name=out "
                            "sync=true max-buffers=50 drop=true",
                            src, G_BYTE_ORDER == G_LITTLE_ENDIAN ? "S16LE" : "S16BE");
  else
    send = g_strdup_printf ("%s ! audioconvert ! audioresample ! audio/x-raw,rate=%u,channels=1 "
                            "! volume name=mic ! %s ! %s pt=%u ssrc=%u min-ptime=%" G_GUINT64_FORMAT
                            " max-ptime=%" G_GUINT64_FORMAT " ! appsink name=out sync=true "
                            "max-buffers=50 drop=true",
                            src, m->codec->audio_rate, encoder, m->codec->payloader, plan->pt,
                            m->ssrc, ptime_ns, ptime_ns);
  if (is_g711 (m))
    callbacks.new_sample = on_samples;
  m->frame_fill = 0;
  m->frame_started = FALSE;
  m->ts_origin = g_random_int ();
  m->send_clock = NULL;
  g_mutex_lock (&m->lock);
  m->send_stopping = FALSE;
  g_mutex_unlock (&m->lock);
  /* Mono from the decoder on (Opus's rtpmap says 2 channels whatever it carries): recordings
   * and speakers get one voice channel. uses_playout(): our playout source goes in front,
   * added below. */
  if (uses_playout (m))
    recv = g_strdup_printf ("audioconvert name=first ! audioresample ! volume name=speaker ! %s",
                            sink);
  else
    recv = g_strdup_printf ("rtpjitterbuffer name=jb latency=%u do-lost=true "
                            "! %s ! %s ! audioconvert ! audio/x-raw,channels=1 "
                            "! audioresample ! volume name=speaker ! %s",
                            playout_latency (m), m->codec->depayloader, decoder, sink);
  m->send = gst_parse_launch (send, error);
  if (!m->send)
    return FALSE;
  m->recv = gst_parse_launch (recv, error);
  if (!m->recv)
    return FALSE;
  gst_object_ref_sink (m->send);
  gst_object_ref_sink (m->recv);
  appsink = gst_bin_get_by_name (GST_BIN (m->send), "out");
  gst_app_sink_set_callbacks (GST_APP_SINK (appsink), &callbacks, m, NULL);
  m->mic = gst_bin_get_by_name (GST_BIN (m->send), "mic");
  g_object_unref (m->mic);   /* the bin keeps it */
  g_object_set (m->mic, "mute", m->muted, NULL);
  m->encoder = gst_bin_get_by_name (GST_BIN (m->send), "enc");   /* NULL but for Opus */
  if (m->encoder)
    g_object_unref (m->encoder);
  m->decoder = gst_bin_get_by_name (GST_BIN (m->recv), "dec");
  if (m->decoder)
    {
      g_object_unref (m->decoder);
      if (is_recording (m) && wants_decoder_fec (m))
        set_decoder_fec (m);
    }
  if (uses_playout (m) && !add_playout (m, plan, error))
    return FALSE;
  if (!uses_playout (m) && !add_jitter_buffer (m, plan, error))
    return FALSE;
  m->speaker = gst_bin_get_by_name (GST_BIN (m->recv), "speaker");
  g_object_unref (m->speaker);
  g_object_set (m->speaker, "volume", m->volume, NULL);
  tune_devices (m, m->send);
  tune_devices (m, m->recv);
  bus = gst_element_get_bus (m->send);
  gst_bus_set_sync_handler (bus, on_send_bus, NULL, NULL);
  gst_object_unref (bus);
  bus = gst_element_get_bus (m->recv);
  gst_bus_set_sync_handler (bus, on_recv_bus, m, NULL);
  gst_object_unref (bus);
  if (!m->rtcp)
    start_rtcp (m, plan->clock_rate);   /* one RTCP session for the call, across codecs */
  g_mutex_lock (&m->lock);
  if (m->red_pt >= 0)
    {
      /* Two copies until the far end's first report says how the path is (2.5 s or more
       * away; RFC 3550 §6.2): the start of a call (the greeting) is no time to lose words,
       * and nothing is known of the path yet. It costs bandwidth for those seconds, not
       * delay: the far end waits for copies only while it misses frames. */
      m->red = bell_red_encoder_new ();
      bell_red_encoder_set_distance (m->red, m->low_bandwidth ? 0 : MIN (2, m->red_max));
    }
  if (plan->dtmf_pt >= 0)
    m->dtmf_sender = bell_dtmf_sender_new ((guint8) plan->dtmf_pt, m->dtmf_clock_rate, plan->ptime);
  g_mutex_unlock (&m->lock);
  if (plan->dtmf_pt >= 0)
    m->dtmf_receiver = bell_dtmf_receiver_new (m->dtmf_clock_rate, on_digit, m, NULL);
  m->recv_built = g_get_monotonic_time ();
  m->recv_gate = g_timeout_source_new (5);
  g_source_set_priority (m->recv_gate, G_PRIORITY_LOW);
  g_source_set_callback (m->recv_gate, open_gate, m, NULL);
  g_source_attach (m->recv_gate, m->context);
  if (gst_element_set_state (m->recv, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE ||
      gst_element_set_state (m->send, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      g_set_error (error, BELL_MEDIA_ERROR, BELL_MEDIA_ERROR_PIPELINE,
                   "the audio pipeline would not start (input %s, output %s)", m->audio_in,
                   m->audio_out);
      return FALSE;
    }
  return TRUE;
}

gboolean
bell_media_session_apply (BellMediaSession *m, const BellSdpMediaPlan *plan, GError **error)
{
  if (!plan->active)
    {
      stop_pipelines (m);
      return TRUE;
    }
  if (!bell_media_can_code (plan->encoding))
    {
      g_set_error (error, BELL_MEDIA_ERROR, BELL_MEDIA_ERROR_CODEC, "no coder for %s", plan->encoding);
      return FALSE;
    }
  /* A new codec, packet size, DTMF or RED type: new pipelines; otherwise only the
   * directions. */
  if (!m->send || plan->pt != m->pt || g_strcmp0 (plan->encoding, m->encoding) != 0 ||
      plan->ptime != m->ptime || plan->dtmf_pt != m->dtmf_pt || plan->red_pt != m->red_pt ||
      plan->opus_fec != m->opus_fec)
    {
      stop_pipelines (m);
      m->pt = plan->pt;
      g_free (m->encoding);
      m->encoding = g_strdup (plan->encoding);
      m->codec = bell_codec_find (plan->encoding);
      m->clock_rate = plan->clock_rate;
      m->ptime = plan->ptime;
      m->dtmf_pt = plan->dtmf_pt;
      m->dtmf_clock_rate = plan->dtmf_clock_rate ? plan->dtmf_clock_rate : plan->clock_rate;
      m->red_pt = plan->red_pt;
      m->red_max = plan->red_max_distance;
      m->opus_fec = plan->opus_fec;
      if (!build (m, plan, error))
        {
          stop_pipelines (m);
          return FALSE;
        }
    }
  g_mutex_lock (&m->lock);
  m->sending = plan->send;
  g_mutex_unlock (&m->lock);
  m->receiving = plan->recv;
  return TRUE;
}

gboolean
bell_media_session_send_dtmf (BellMediaSession *m, const char *digits, GError **error)
{
  gboolean ok;

  g_mutex_lock (&m->lock);
  if (!m->dtmf_sender)
    {
      g_mutex_unlock (&m->lock);
      g_set_error_literal (error, BELL_MEDIA_ERROR, BELL_MEDIA_ERROR_CODEC,
                           "the other side takes no telephone-event (RFC 4733) tones");
      return FALSE;
    }
  ok = bell_dtmf_sender_queue (m->dtmf_sender, digits, error);
  g_mutex_unlock (&m->lock);
  return ok;
}

void
bell_media_session_set_stats_func (BellMediaSession *m, BellMediaStatsFunc func, gpointer user_data)
{
  m->stats_func = func;
  m->stats_data = user_data;
}

void
bell_media_session_set_dtmf_func (BellMediaSession *m, BellMediaDtmfFunc func, gpointer user_data)
{
  m->dtmf_func = func;
  m->dtmf_data = user_data;
}

void
bell_media_session_set_volume (BellMediaSession *m, double volume)
{
  m->volume = CLAMP (volume, 0.0, 4.0);
  if (m->speaker)
    g_object_set (m->speaker, "volume", m->volume, NULL);
}

void
bell_media_session_set_mute (BellMediaSession *m, gboolean mute)
{
  m->muted = mute;   /* kept for pipelines built later (a new codec) */
  if (m->mic)
    g_object_set (m->mic, "mute", mute, NULL);
}

BellMediaSession *
bell_media_session_new (const BellMediaConfig *config, BellRtpSocket *socket, GMainContext *context)
{
  BellMediaSession *m = g_new0 (BellMediaSession, 1);

  ensure_gst ();
  g_mutex_init (&m->lock);
  m->audio_in = g_strdup (config->audio_in ? config->audio_in : "default");
  m->audio_out = g_strdup (config->audio_out ? config->audio_out : "default");
  m->socket = bell_rtp_socket_ref (socket);
  m->context = g_main_context_ref (context);
  m->dtmf_pt = -1;
  m->red_pt = -1;
  m->low_bandwidth = config->low_bandwidth;
  m->no_redundancy = config->no_redundancy;
  m->tally = bell_frame_tally_new ();
  m->volume = 1.0;
  m->seq = (guint16) g_random_int ();
  m->ssrc = g_random_int ();
  bell_rtp_socket_set_receive_func (socket, on_received, m, NULL);
  return m;
}

void
bell_media_session_free (BellMediaSession *m)
{
  if (!m)
    return;
  bell_rtp_socket_set_receive_func (m->socket, NULL, NULL, NULL);
  stop_rtcp (m);   /* a BYE while the socket is still open */
  stop_pipelines (m);
  bell_rtp_socket_unref (m->socket);
  g_main_context_unref (m->context);
  g_mutex_clear (&m->lock);
  g_free (m->audio_in);
  g_free (m->audio_out);
  g_free (m->encoding);
  g_clear_pointer (&m->jitter_target, bell_jitter_target_free);
  g_clear_pointer (&m->rate, bell_rate_control_free);
  bell_frame_tally_free (m->tally);
  g_free (m);
}
