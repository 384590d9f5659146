/* bell-playout.h: a call's received G.711 audio, from RTP packets to 20 ms frames of PCM.
 *
 * The core thread puts each packet in as it arrives and takes one frame out per ptime, on a
 * timer of its own: no GStreamer jitter buffer, depayloader or decoder, and no thread of
 * theirs to wake for every packet.
 *
 * Packets are ordered by extended sequence number; duplicates and packets whose time has
 * already been played ("late") are dropped and counted. A frame whose packets are missing is
 * made up by concealment (bell-plc.h): the last pitch period repeated and faded, not silence.
 *
 * Delay: the first frame plays at the first packet's arrival plus the target, which follows
 * the measured jitter (bell-jitter-target.h; never below the floor given, e.g. for a
 * recording). From then on the playout measures the headroom of the quickest recent packets
 * (how long before its frame was due the quickest packet of the last two seconds arrived) and
 * keeps it between the target and a step (5 ms) above: below, a frame comes out about a step
 * longer (its last pitch periods played again; the target grew, or the sender's clock is
 * slower than ours); above for half a second, a frame comes out about a step shorter (its
 * start blended into the samples whole pitch periods later; a quiet frame if one comes within
 * a second, every frame while more than 20 ms too much is held: the target fell, the sender's
 * clock is faster, or a burst came). The frames after it are due that much sooner
 * or later, so frames stay whole packets and the delay moves by about 5 ms, not by a frame. Neither jitter nor
 * clock drift makes the delay grow over a long call. A floor only widens the band upwards
 * by itself: a recording keeps every sample unless its delay is that far off.
 *
 * A sender that starts a new stream (a sequence or timestamp jump, or late packets for half a
 * second) is taken up again as at the start: first arrival plus target.
 *
 * Pure: arrival and playout times are the caller's (microseconds, monotonic), so tests replay
 * recorded traces. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BellPlayout BellPlayout;

typedef enum
{
  BELL_PLAYOUT_PCMU,   /* G.711 µ-law, RTP payload type 0 */
  BELL_PLAYOUT_PCMA,   /* G.711 A-law, RTP payload type 8 */
} BellPlayoutCodec;

#define BELL_PLAYOUT_RATE 8000
/* The delay's step, 5 ms: a frame may be longer or shorter than ptime by half to one and a
 * half of it (whole pitch periods), at most BELL_PLAYOUT_STEP_MAX. */
#define BELL_PLAYOUT_STEP     40
#define BELL_PLAYOUT_STEP_MAX (BELL_PLAYOUT_STEP * 3 / 2)

typedef struct
{
  guint64 played;            /* frames decoded from packets */
  guint64 concealed;         /* frames made up: lost, late or missing packets, and frames added */
  guint64 late;              /* packets that came after their time had been played */
  guint64 duplicates;        /* packets that had come already */
  guint64 discarded;         /* packets out of any use: oversized, beyond the buffer, stray */
  guint64 dropped_for_drift; /* steps (~5 ms) left out to bring the delay down to the target */
  guint64 added_for_drift;   /* steps made up to bring the delay up to the target */
} BellPlayoutStats;

/* ptime_ms: the frame length handed out (10-120 ms; the SDP's ptime); floor_ms: the least
 * delay the playout keeps whatever the jitter (0: the jitter target alone). */
BellPlayout *bell_playout_new  (BellPlayoutCodec codec, guint ptime_ms, guint floor_ms);
void         bell_playout_free (BellPlayout *playout);

/* One RTP packet's payload (G.711 codes, one a sample) that arrived at arrival_us. */
void         bell_playout_put  (BellPlayout *playout, guint16 seq, guint32 timestamp,
                                gboolean marker, const guint8 *payload, gsize len,
                                gint64 arrival_us);
/* When the first frame is due (the first packet's arrival plus the target); -1 before any
 * packet. */
gint64       bell_playout_get_start_us      (const BellPlayout *playout);
/* Samples in a frame: ptime_ms × 8. */
guint        bell_playout_get_frame_samples (const BellPlayout *playout);
/* The frame due at now_us (from the start time on) into pcm (room for frame samples +
 * BELL_PLAYOUT_STEP_MAX): decoded, or made up when its packets are missing. Returns its length:
 * frame samples, or about a step less or more; the next frame is due when this one has
 * played, now_us + length × 125 µs. */
guint        bell_playout_get  (BellPlayout *playout, gint64 now_us, gint16 *pcm);

/* The delay aimed at now: the jitter target, at least the floor, plus the wait. */
guint        bell_playout_get_target_ms (const BellPlayout *playout);
/* Delay held on top of the jitter target from now on (0 at first): time for later copies of
 * a frame to come (RED, RFC 2198) on a path that loses packets. */
void         bell_playout_set_wait_ms   (BellPlayout *playout, guint wait_ms);
void         bell_playout_get_stats     (const BellPlayout *playout, BellPlayoutStats *stats);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellPlayout, bell_playout_free)

G_END_DECLS
