/* bell-frame-tally.h: what became of each frame of the stream we receive.
 *
 * Every RTP sequence number is one frame due at the decoder. It came in its own packet, or
 * was rebuilt from a RED copy in a later packet (RFC 2198), or from the in-band FEC of the
 * next Opus packet (RFC 7587 §3.3: the decoder rebuilds frame n from packet n + 1), or it
 * never came and the decoder concealed it. A frame's fate is settled once the stream is
 * SETTLE_FRAMES past it (later copies can no longer help); the counts are of settled frames.
 * Sequence numbers wrap; duplicates and reordering within the window are told apart. A
 * number far off (more than 3000 ahead, 100 back) starts the count anew once the next one
 * follows it: the sender numbers anew, while a single stray packet changes nothing.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  BELL_FRAME_PACKET,   /* its own packet */
  BELL_FRAME_RED,      /* a redundant copy, in time for the playout */
} BellFrameSource;

typedef struct
{
  guint64 frames;       /* due at the decoder */
  guint64 packets;      /* came in their own packet */
  guint64 red;          /* rebuilt from RED */
  guint64 fec;          /* rebuilt from the next packet's FEC */
  guint64 concealed;    /* none of those: made up by the decoder */
} BellFrameCounts;

typedef struct _BellFrameTally BellFrameTally;

BellFrameTally *bell_frame_tally_new  (void);
void            bell_frame_tally_free (BellFrameTally *t);
/* A frame arrived. TRUE when it is news (not a duplicate, not long settled): a caller hands
 * only those to the decoder. */
gboolean        bell_frame_tally_arrived (BellFrameTally *t, guint16 seq, BellFrameSource source);
/* Does the decoder rebuild a lost frame from the next packet's FEC (from now on)? */
void            bell_frame_tally_set_fec (BellFrameTally *t, gboolean fec);
void            bell_frame_tally_get     (BellFrameTally *t, BellFrameCounts *counts);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellFrameTally, bell_frame_tally_free)

G_END_DECLS
