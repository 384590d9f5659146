/* bell-rtp-red.c: RFC 2198 redundant audio, both ways. */
#include "bell-rtp-red.h"

#include <string.h>

/* A redundant block's header: F=1, block PT (7 bits), timestamp offset (14 bits), block
 * length (10 bits). The primary's: F=0 and its PT, one byte. */
#define RED_HEADER      4
#define RED_MAX_OFFSET  0x3fff
#define RED_MAX_LEN     0x3ff
/* Big enough for any frame we send (an Opus frame is at most 1275 bytes, a G.711 one 160 or
 * 320); a larger one is never repeated. */
#define RED_FRAME_MAX   1280

gboolean
bell_red_parse (const guint8 *payload, gsize len, BellRedBlock *blocks, guint max,
                guint *n_blocks)
{
  gsize pos = 0, data;
  guint n = 0;

  /* Headers first: redundant ones while F is set, then the primary's single byte. */
  for (;;)
    {
      if (pos >= len || n >= max)
        return FALSE;
      if (!(payload[pos] & 0x80))
        {
          blocks[n].pt = payload[pos] & 0x7f;
          blocks[n].ts_offset = 0;
          pos++;
          n++;
          break;
        }
      if (len - pos < RED_HEADER)
        return FALSE;
      blocks[n].pt = payload[pos] & 0x7f;
      blocks[n].ts_offset = ((guint32) payload[pos + 1] << 6) | (payload[pos + 2] >> 2);
      blocks[n].len = ((gsize) (payload[pos + 2] & 0x03) << 8) | payload[pos + 3];
      pos += RED_HEADER;
      n++;
    }
  /* Then the data, in the same order; the primary takes what is left. */
  data = pos;
  for (guint i = 0; i + 1 < n; i++)
    {
      if (blocks[i].len > len - data)
        return FALSE;
      blocks[i].data = payload + data;
      data += blocks[i].len;
    }
  blocks[n - 1].data = payload + data;
  blocks[n - 1].len = len - data;
  *n_blocks = n;
  return TRUE;
}

typedef struct
{
  guint8  pt;
  guint32 ts;
  gsize   len;
  guint8  data[RED_FRAME_MAX];
} Frame;

struct _BellRedEncoder
{
  guint distance;
  /* The last frames sent, a ring (newest at `newest`): a new frame overwrites the oldest slot
   * rather than moving the others (this runs for every packet sent). */
  Frame history[BELL_RED_MAX_DISTANCE];
  guint newest;
  guint n_history;
};

BellRedEncoder *
bell_red_encoder_new (void)
{
  return g_new0 (BellRedEncoder, 1);
}

void
bell_red_encoder_free (BellRedEncoder *enc)
{
  g_free (enc);
}

void
bell_red_encoder_set_distance (BellRedEncoder *enc, guint distance)
{
  enc->distance = MIN (distance, BELL_RED_MAX_DISTANCE);
}

guint
bell_red_encoder_get_distance (BellRedEncoder *enc)
{
  return enc->distance;
}

void
bell_red_encoder_reset (BellRedEncoder *enc)
{
  enc->n_history = 0;
}

/* The frame sent `back` + 1 packets before the next one (0: the last sent). */
static const Frame *
sent_before (const BellRedEncoder *enc, guint back)
{
  return &enc->history[(enc->newest + BELL_RED_MAX_DISTANCE - back) % BELL_RED_MAX_DISTANCE];
}

/* Can frame f go as a redundant block of a packet stamped ts? */
static gboolean
repeatable (const Frame *f, guint32 ts)
{
  guint32 offset = ts - f->ts;

  return offset > 0 && offset <= RED_MAX_OFFSET && f->len <= RED_MAX_LEN;
}

gsize
bell_red_encoder_wrap (BellRedEncoder *enc, guint8 pt, guint32 ts, const guint8 *payload,
                       gsize len, guint8 *out, gsize size)
{
  guint use = 0;
  gsize need, pos = 0;

  /* The frames to repeat: the last `distance` ones, as long as each older one still fits. */
  while (use < MIN (enc->distance, enc->n_history) && repeatable (sent_before (enc, use), ts))
    use++;
  need = 1 + len;
  for (guint i = 0; i < use; i++)
    need += RED_HEADER + sent_before (enc, i)->len;
  if (need > size)
    return 0;
  /* Oldest first, as RFC 2198's example and every receiver expect. */
  for (guint i = use; i > 0; i--)
    {
      const Frame *f = sent_before (enc, i - 1);
      guint32 offset = ts - f->ts;

      out[pos++] = 0x80 | (f->pt & 0x7f);
      out[pos++] = (guint8) (offset >> 6);
      out[pos++] = (guint8) (((offset & 0x3f) << 2) | (f->len >> 8));
      out[pos++] = (guint8) (f->len & 0xff);
    }
  out[pos++] = pt & 0x7f;
  for (guint i = use; i > 0; i--)
    {
      const Frame *f = sent_before (enc, i - 1);

      memcpy (out + pos, f->data, f->len);
      pos += f->len;
    }
  memcpy (out + pos, payload, len);
  pos += len;

  /* This frame becomes the newest of the history (a frame too large is never repeated: the
   * history restarts after it). */
  if (len > RED_FRAME_MAX)
    {
      enc->n_history = 0;
      return pos;
    }
  enc->newest = (enc->newest + 1) % BELL_RED_MAX_DISTANCE;
  enc->history[enc->newest].pt = pt;
  enc->history[enc->newest].ts = ts;
  enc->history[enc->newest].len = len;
  memcpy (enc->history[enc->newest].data, payload, len);
  enc->n_history = MIN (enc->n_history + 1, BELL_RED_MAX_DISTANCE);
  return pos;
}
