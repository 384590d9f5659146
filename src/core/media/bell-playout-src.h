/* bell-playout-src.h: a live source of a call's received G.711 audio for a recording (or for
 * nothing), one frame per ptime.
 *
 * The core thread puts each packet into the element's BellPlayout (bell-playout.h) as it
 * arrives, and wakes no one: the element's own streaming thread takes the frame due on the
 * pipeline's clock, once per ptime, like a device's player thread. With rtpjitterbuffer in
 * its place every packet woke two of its threads (the source pad's task and its timer
 * thread), and each frame then went through a depayloader and a decoder: most of a call's
 * CPU, measured.
 *
 * Pacing: each frame is due when the one before it has played, the first at the playout's
 * start (the first packet's arrival plus the jitter target), on the pipeline's clock (the
 * system clock: the element is for recordings; speakers keep rtpjitterbuffer, see
 * bell-media-session.c). Deadlines, not a period: a late wake-up does not shift the frames
 * after it.
 *
 * Output: audio/x-raw, S16 native-endian, 8000 Hz, mono, stamped from 0 at the first frame,
 * gap-free. Before the first packet nothing comes out: a recording starts with the call's
 * first sound.
 *
 * For nothing (--audio-out none) no frame comes out at all and the streaming thread sleeps:
 * the frames due by each packet's arrival are taken out (and dropped) as it is put in, on the
 * caller's thread, so the playout's figures (its delay, late packets) stay those of a player,
 * and a call costs no thread wake-up beyond its packets. */
#pragma once

#include <gst/gst.h>
#include <gst/base/gstpushsrc.h>

#include "bell-playout.h"

G_BEGIN_DECLS

#define BELL_TYPE_PLAYOUT_SRC (bell_playout_src_get_type ())
G_DECLARE_FINAL_TYPE (BellPlayoutSrc, bell_playout_src, BELL, PLAYOUT_SRC, GstPushSrc)

typedef enum
{
  BELL_PLAYOUT_TO_FILE,      /* frames on the pipeline's clock, stamped from 0 */
  BELL_PLAYOUT_TO_NOTHING,   /* no frames: taken out as packets come (see above) */
} BellPlayoutOutput;

/* codec, ptime_ms, floor_ms: as bell_playout_new(). */
GstElement *bell_playout_src_new (BellPlayoutCodec codec, guint ptime_ms, guint floor_ms,
                                  BellPlayoutOutput output);
/* One RTP packet's payload, as bell_playout_put(); any thread. */
void        bell_playout_src_put (BellPlayoutSrc *self, guint16 seq, guint32 timestamp,
                                  gboolean marker, const guint8 *payload, gsize len,
                                  gint64 arrival_us);
/* The call ends: a recording gets every frame due by now plus the playout's delay (what came
 * by now), at once, then EOS. Sending EOS instead would drop the frames a late streaming
 * thread (a loaded machine) had not taken yet: seconds of a recording, measured. To nothing:
 * EOS at once. */
void        bell_playout_src_finish (BellPlayoutSrc *self);
/* The delay aimed at now (bell_playout_get_target_ms(), with the wait). */
guint       bell_playout_src_get_target_ms (BellPlayoutSrc *self);
/* Extra delay held on top of the jitter target: time for RED's copies to come. */
void        bell_playout_src_set_wait_ms   (BellPlayoutSrc *self, guint wait_ms);
void        bell_playout_src_get_stats     (BellPlayoutSrc *self, BellPlayoutStats *stats);

G_END_DECLS
