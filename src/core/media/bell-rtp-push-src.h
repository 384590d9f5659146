/* bell-rtp-push-src.h: a live source element that the core thread pushes RTP packets through.
 *
 * appsrc would do, but it hands every packet to a thread of its own, which then hands it to
 * the jitter buffer's: one more thread wake-up per packet, per call (a fifth of a call's CPU
 * measured). This element has no thread: bell_rtp_push_src_push() runs the jitter buffer's
 * chain function on the calling thread, which only queues the packet and returns.
 *
 * Buffers get the pipeline's running time when pushed (as appsrc's do-timestamp). The
 * element answers the latency query as a live source and does not preroll. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define BELL_TYPE_RTP_PUSH_SRC (bell_rtp_push_src_get_type ())
G_DECLARE_FINAL_TYPE (BellRtpPushSrc, bell_rtp_push_src, BELL, RTP_PUSH_SRC, GstElement)

/* caps: what the packets are (application/x-rtp with clock-rate, encoding-name, payload). */
GstElement    *bell_rtp_push_src_new  (GstCaps *caps);
/* Pushes one packet (taken) downstream; GST_FLOW_FLUSHING while the element is not running. */
GstFlowReturn  bell_rtp_push_src_push (BellRtpPushSrc *self, GstBuffer *buffer);
/* Ends the stream (a WAV being written gets its header finished); FALSE when not running. */
gboolean       bell_rtp_push_src_end_of_stream (BellRtpPushSrc *self);

G_END_DECLS
