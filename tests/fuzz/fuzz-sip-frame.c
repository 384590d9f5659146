/* fuzz-sip-frame.c: libFuzzer harness for stream framing (TCP, TLS).
 *
 * The input is a byte stream. It is framed once with all bytes at hand (the reference), then
 * again as a connection would see it: bytes arriving in random-sized pieces (the sizes come from
 * a hash of the input, so a crash replays) and, for short inputs, one byte at a time. Framing
 * must not depend on how the bytes arrived: every decision taken on a prefix (COMPLETE with a
 * given skip and length, or MALFORMED) is the decision taken with the whole stream.
 *
 * Every framed message is parsed in STREAM mode: it parses, or it fails cleanly with a
 * BELL_SIP_ERROR that is not TRUNCATED (framing and parsing agree on the length).
 */
#define G_LOG_DOMAIN "fuzz-sip-frame"

#include "fuzz-common.h"
#include "bell-sip-msg.h"

#define MAX_STEPS 512

typedef struct
{
  BellSipFrameResult result;
  gsize              skip;
  gsize              len;
} Step;

static const char *
result_name (BellSipFrameResult r)
{
  switch (r)
    {
    case BELL_SIP_FRAME_COMPLETE:
      return "COMPLETE";
    case BELL_SIP_FRAME_NEED_MORE:
      return "NEED_MORE";
    case BELL_SIP_FRAME_MALFORMED:
      return "MALFORMED";
    default:
      return "?";
    }
}

static BellSipFrameResult
frame (const char *data, gsize avail, Step *step)
{
  g_autoptr(GError) error = NULL;
  gsize skip = (gsize) -1, msg_len = (gsize) -1;
  BellSipFrameResult r = bell_sip_frame (data, avail, &skip, &msg_len, &error);

  switch (r)
    {
    case BELL_SIP_FRAME_COMPLETE:
      if (msg_len == 0 || skip > avail || msg_len > avail - skip)
        fail ("COMPLETE with skip %zu and length %zu out of %zu bytes", (size_t) skip,
              (size_t) msg_len, (size_t) avail);
      for (gsize i = 0; i < skip; i++)
        if (data[i] != '\r' && data[i] != '\n')
          fail ("skip %zu covers byte 0x%02x at %zu, not a CRLF", (size_t) skip,
                (guchar) data[i], (size_t) i);
      if (msg_len > BELL_SIP_MAX_MESSAGE_SIZE)
        fail ("COMPLETE with %zu bytes, above BELL_SIP_MAX_MESSAGE_SIZE", (size_t) msg_len);
      break;
    case BELL_SIP_FRAME_NEED_MORE:
      skip = msg_len = 0;
      break;
    case BELL_SIP_FRAME_MALFORMED:
      if (error == NULL || error->domain != BELL_SIP_ERROR)
        fail ("MALFORMED without a BELL_SIP_ERROR");
      skip = msg_len = 0;
      break;
    default:
      fail ("bell_sip_frame returned %d", r);
    }
  *step = (Step){ r, skip, msg_len };
  return r;
}

static void
parse_framed (const char *data, gsize len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) msg = bell_sip_msg_parse (data, len, BELL_SIP_PARSE_STREAM, &error);

  if (msg != NULL)
    {
      gsize body_len = 0;
      const char *body = bell_sip_msg_peek_body (msg, &body_len);
      if (body_len > len)
        fail ("a framed message of %zu bytes has a body of %zu", (size_t) len, (size_t) body_len);
      for (gsize i = 0; i < body_len; i++)
        sink ^= (guint8) body[i];
      return;
    }
  if (error == NULL || error->domain != BELL_SIP_ERROR)
    fail ("a framed message failed to parse without a BELL_SIP_ERROR");
  if (error->code == BELL_SIP_ERROR_TRUNCATED)
    fail ("framing gave a complete message of %zu bytes, parsing says truncated: %s",
          (size_t) len, error->message);
}

/* All bytes at hand: frame, consume, repeat. Returns the number of steps. */
static guint
frame_reference (const char *data, gsize size, Step *steps)
{
  gsize pos = 0;
  guint n = 0;

  while (n < MAX_STEPS)
    {
      Step *step = &steps[n++];
      if (frame (data + pos, size - pos, step) != BELL_SIP_FRAME_COMPLETE)
        break;
      parse_framed (data + pos + step->skip, step->len);
      pos += step->skip + step->len;
    }
  return n;
}

static guint64
hash_input (const uint8_t *data, size_t size)
{
  guint64 h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; i++)
    h = (h ^ data[i]) * 0x100000001b3ull;
  return h ? h : 1;
}

static guint
next_chunk (guint64 *state, guint max)
{
  guint64 x = *state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  *state = x;
  /* Mostly small pieces, sometimes a large one. */
  return (x & 7) == 0 ? 1 + (guint) ((x >> 8) % (max * 8)) : 1 + (guint) ((x >> 8) % max);
}

/* Bytes arrive piecewise: each decision must match the reference. */
static void
frame_piecewise (const char *data, gsize size, const Step *ref, guint n_ref, guint64 seed,
                 guint max_chunk)
{
  gsize pos = 0, avail = 0;
  guint k = 0;

  while (k < n_ref)
    {
      Step step;
      BellSipFrameResult r = frame (data + pos, avail - pos, &step);

      if (r == BELL_SIP_FRAME_NEED_MORE && avail < size)
        {
          gsize more = seed ? next_chunk (&seed, max_chunk) : 1;  /* not inside MIN () */
          avail = MIN (size, avail + more);
          continue;
        }
      if (r != ref[k].result || step.skip != ref[k].skip || step.len != ref[k].len)
        fail ("message %u at offset %zu: with %zu bytes at hand framing says %s (skip %zu, "
              "length %zu), with all %zu bytes %s (skip %zu, length %zu)",
              k, (size_t) pos, (size_t) (avail - pos), result_name (r), (size_t) step.skip,
              (size_t) step.len, (size_t) (size - pos), result_name (ref[k].result),
              (size_t) ref[k].skip, (size_t) ref[k].len);
      if (r != BELL_SIP_FRAME_COMPLETE)
        break;
      pos += step.skip + step.len;
      k++;
    }
}

int
BELL_FUZZ_INIT (int *argc, char ***argv)
{
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

int
BELL_FUZZ_ENTRY (const uint8_t *data, size_t size)
{
  static Step steps[MAX_STEPS];
  const char *text = (const char *) data;
  guint64 seed = hash_input (data, size);
  guint n;

  if (size > 2 * BELL_SIP_MAX_MESSAGE_SIZE)
    return 0;

  n = frame_reference (text, size, steps);
  frame_piecewise (text, size, steps, n, seed, 64);
  frame_piecewise (text, size, steps, n, seed ^ 0x9e3779b97f4a7c15ull, 1024);
  if (size <= 768)
    frame_piecewise (text, size, steps, n, 0, 1);
  return 0;
}
