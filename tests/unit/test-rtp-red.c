/* test-rtp-red.c: RFC 2198 payloads, built and split. */
#include <string.h>

#include "bell-rtp-red.h"

/* The layout of RFC 2198 §3: a redundant block's 4-byte header, the primary's 1-byte one, then
 * the blocks' data in the same order. */
static void
test_parse_rfc_layout (void)
{
  /* One redundant block: PT 5, offset 320, 4 bytes; primary PT 0 with 3 bytes. */
  const guint8 payload[] = { 0x80 | 5, 320 >> 6, ((320 & 0x3f) << 2) | 0, 4, 0,
                             'a', 'b', 'c', 'd', 'x', 'y', 'z' };
  BellRedBlock blocks[4];
  guint n = 0;

  g_assert_true (bell_red_parse (payload, sizeof payload, blocks, 4, &n));
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpuint (blocks[0].pt, ==, 5);
  g_assert_cmpuint (blocks[0].ts_offset, ==, 320);
  g_assert_cmpuint (blocks[0].len, ==, 4);
  g_assert_cmpmem (blocks[0].data, blocks[0].len, "abcd", 4);
  g_assert_cmpuint (blocks[1].pt, ==, 0);
  g_assert_cmpuint (blocks[1].ts_offset, ==, 0);
  g_assert_cmpmem (blocks[1].data, blocks[1].len, "xyz", 3);
}

/* Payloads RFC 2198 cannot have made are refused, never read past. */
static void
test_parse_hostile (void)
{
  const guint8 no_primary[] = { 0x80, 0x00, 0x00, 0x00 };               /* F set to the end */
  const guint8 short_header[] = { 0x80, 0x01, 0x02 };
  const guint8 block_too_long[] = { 0x80, 0x00, 0x04, 0x10, 0x00, 'a' };  /* 16 bytes said */
  const guint8 only_primary[] = { 0x00 };
  guint8 many[64];
  BellRedBlock blocks[4];
  guint n = 0;

  g_assert_false (bell_red_parse (no_primary, sizeof no_primary, blocks, 4, &n));
  g_assert_false (bell_red_parse (short_header, sizeof short_header, blocks, 4, &n));
  g_assert_false (bell_red_parse (block_too_long, sizeof block_too_long, blocks, 4, &n));
  g_assert_false (bell_red_parse (only_primary, 0, blocks, 4, &n));
  g_assert_true (bell_red_parse (only_primary, sizeof only_primary, blocks, 4, &n));
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpuint (blocks[0].len, ==, 0);
  /* More blocks than the caller has room for. */
  memset (many, 0, sizeof many);
  for (guint i = 0; i < 10; i++)
    many[i * 4] = 0x80;
  g_assert_false (bell_red_parse (many, sizeof many, blocks, 4, &n));
}

static gsize
wrap_frame (BellRedEncoder *enc, guint i, guint8 *out, gsize size)
{
  guint8 frame[160];

  memset (frame, (int) i, sizeof frame);
  return bell_red_encoder_wrap (enc, 0, 1000 + i * 160, frame, sizeof frame, out, size);
}

/* Each packet repeats the frames before it, oldest first, up to the distance; they come back
 * out of bell_red_parse() as they went in. */
static void
test_encoder_round_trip (void)
{
  g_autoptr(BellRedEncoder) enc = bell_red_encoder_new ();
  guint8 out[1500];
  BellRedBlock blocks[BELL_RED_MAX_DISTANCE + 1];
  guint n = 0;
  gsize len;

  bell_red_encoder_set_distance (enc, 2);
  len = wrap_frame (enc, 0, out, sizeof out);
  g_assert_cmpuint (len, ==, 1 + 160);   /* nothing earlier yet */
  len = wrap_frame (enc, 1, out, sizeof out);
  g_assert_cmpuint (len, ==, 4 + 160 + 1 + 160);
  for (guint i = 2; i < 6; i++)
    {
      len = wrap_frame (enc, i, out, sizeof out);
      g_assert_cmpuint (len, ==, 2 * (4 + 160) + 1 + 160);
      g_assert_true (bell_red_parse (out, len, blocks, G_N_ELEMENTS (blocks), &n));
      g_assert_cmpuint (n, ==, 3);
      for (guint b = 0; b < 3; b++)
        {
          g_assert_cmpuint (blocks[b].ts_offset, ==, (2 - b) * 160);
          g_assert_cmpuint (blocks[b].len, ==, 160);
          g_assert_cmpuint (blocks[b].data[0], ==, i - 2 + b);
          g_assert_cmpuint (blocks[b].data[159], ==, i - 2 + b);
        }
    }
  /* Distance 0: a RED packet with the primary alone (one byte more than the frame). */
  bell_red_encoder_set_distance (enc, 0);
  g_assert_cmpuint (wrap_frame (enc, 6, out, sizeof out), ==, 1 + 160);
  /* Capped at the maximum. */
  bell_red_encoder_set_distance (enc, 10);
  g_assert_cmpuint (bell_red_encoder_get_distance (enc), ==, BELL_RED_MAX_DISTANCE);
  len = wrap_frame (enc, 7, out, sizeof out);
  g_assert_true (bell_red_parse (out, len, blocks, G_N_ELEMENTS (blocks), &n));
  g_assert_cmpuint (n, ==, BELL_RED_MAX_DISTANCE + 1);
  /* After a reset nothing earlier is repeated; too small a buffer gives 0. */
  bell_red_encoder_reset (enc);
  g_assert_cmpuint (wrap_frame (enc, 8, out, sizeof out), ==, 1 + 160);
  g_assert_cmpuint (wrap_frame (enc, 9, out, 100), ==, 0);
}

/* An offset beyond 14 bits (a long silence between frames) or a block beyond 10 bits is not
 * repeated; the timestamp may wrap. */
static void
test_encoder_limits (void)
{
  g_autoptr(BellRedEncoder) enc = bell_red_encoder_new ();
  guint8 big[1100], small[20], out[4000];
  BellRedBlock blocks[4];
  guint n = 0;
  gsize len;

  memset (big, 1, sizeof big);
  memset (small, 2, sizeof small);
  bell_red_encoder_set_distance (enc, 1);
  bell_red_encoder_wrap (enc, 111, 0, big, sizeof big, out, sizeof out);
  len = bell_red_encoder_wrap (enc, 111, 960, small, sizeof small, out, sizeof out);
  g_assert_cmpuint (len, ==, 1 + sizeof small);   /* 1100 bytes: no room in 10 bits */
  len = bell_red_encoder_wrap (enc, 111, 960 + 20000, small, sizeof small, out, sizeof out);
  g_assert_cmpuint (len, ==, 1 + sizeof small);   /* 20000 ticks back: no room in 14 bits */
  bell_red_encoder_wrap (enc, 111, G_MAXUINT32 - 100, small, sizeof small, out, sizeof out);
  len = bell_red_encoder_wrap (enc, 111, 860, small, sizeof small, out, sizeof out);
  g_assert_true (bell_red_parse (out, len, blocks, 4, &n));
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpuint (blocks[0].ts_offset, ==, 961);
  g_assert_cmpuint (blocks[0].pt, ==, 111);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/red/parse/layout", test_parse_rfc_layout);
  g_test_add_func ("/red/parse/hostile", test_parse_hostile);
  g_test_add_func ("/red/encoder/round-trip", test_encoder_round_trip);
  g_test_add_func ("/red/encoder/limits", test_encoder_limits);
  return g_test_run ();
}
