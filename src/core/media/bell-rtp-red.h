/* bell-rtp-red.h: RTP payload for redundant audio data (RFC 2198).
 *
 * A RED packet carries the current frame (the primary) and copies of up to three earlier
 * ones, so that a packet lost on the way is rebuilt from one that arrives after it. The
 * sender keeps the last frames it sent (BellRedEncoder); the receiver splits a RED payload
 * back into frames (bell_red_parse()). Codec-agnostic: the blocks are opaque payloads.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Redundant blocks per packet at most: with three, a frame survives unless it and the three
 * packets after it are all lost (p^4: 0.8 % at 30 % random loss, 6 % at 50 %). */
#define BELL_RED_MAX_DISTANCE 3

typedef struct
{
  guint8        pt;         /* the block's payload type */
  guint32       ts_offset;  /* how much earlier than the packet's timestamp (0: the primary) */
  const guint8 *data;
  gsize         len;
} BellRedBlock;

/* Splits payload into its blocks, as on the wire: the redundant ones (oldest first, as
 * senders put them) and the primary last. FALSE for a payload RFC 2198 cannot have made
 * (headers running past the end, block lengths beyond it, more than max blocks). */
gboolean bell_red_parse (const guint8 *payload, gsize len, BellRedBlock *blocks, guint max,
                         guint *n_blocks);

typedef struct _BellRedEncoder BellRedEncoder;

BellRedEncoder *bell_red_encoder_new  (void);
void            bell_red_encoder_free (BellRedEncoder *enc);
/* How many earlier frames each packet repeats from now on: 0 (a RED packet with only the
 * primary) to BELL_RED_MAX_DISTANCE. */
void            bell_red_encoder_set_distance (BellRedEncoder *enc, guint distance);
guint           bell_red_encoder_get_distance (BellRedEncoder *enc);
/* The RED payload for the frame (pt, timestamp ts) into out: the frames sent just before it
 * (those whose offset and size RFC 2198's headers can carry), then this one, which is kept
 * for the next packets. Returns its length; 0 when it does not fit in size. */
gsize           bell_red_encoder_wrap (BellRedEncoder *enc, guint8 pt, guint32 ts,
                                       const guint8 *payload, gsize len, guint8 *out, gsize size);
/* The stream restarts (new codec, new SSRC): nothing earlier is repeated. */
void            bell_red_encoder_reset (BellRedEncoder *enc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellRedEncoder, bell_red_encoder_free)

G_END_DECLS
