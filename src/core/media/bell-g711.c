/* bell-g711.c: G.711 decoding tables and encoders (see the header). */
#include "bell-g711.h"

static gint16 ulaw_table[256];
static gint16 alaw_table[256];

/* µ-law (G.711 table 2): the code is sent inverted; 3 bits of segment, 4 of step. A segment's
 * steps are twice as wide as the one below it, and the curve starts at a bias of 33 (132 once
 * scaled by 4 to 16 bits), taken off again so that code 0xFF decodes to 0. */
static gint16
ulaw_compute (guint8 code)
{
  guint8 u = (guint8) ~code;
  gint segment = (u >> 4) & 0x07;
  gint magnitude = ((((u & 0x0F) << 3) + 0x84) << segment) - 0x84;

  return (gint16) ((u & 0x80) ? -magnitude : magnitude);
}

/* A-law (G.711 table 1): even bits inverted on the line (XOR 0x55); a set sign bit is
 * positive. Segment 0 is linear; above it each segment doubles its step, values taken at the
 * middle of each step (the + 8 and 0x108 terms), scaled from 13 to 16 bits. */
static gint16
alaw_compute (guint8 code)
{
  guint8 a = code ^ 0x55;
  gint segment = (a >> 4) & 0x07;
  gint magnitude = ((a & 0x0F) << 4) + 8;

  if (segment > 0)
    magnitude = (magnitude + 0x100) << (segment - 1);
  return (gint16) ((a & 0x80) ? magnitude : -magnitude);
}

static void
ensure_tables (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      for (guint i = 0; i < 256; i++)
        {
          ulaw_table[i] = ulaw_compute ((guint8) i);
          alaw_table[i] = alaw_compute ((guint8) i);
        }
      g_once_init_leave (&done, 1);
    }
}

gint16
bell_g711_ulaw_decode (guint8 code)
{
  ensure_tables ();
  return ulaw_table[code];
}

gint16
bell_g711_alaw_decode (guint8 code)
{
  ensure_tables ();
  return alaw_table[code];
}

void
bell_g711_ulaw_decode_buf (const guint8 *codes, gsize len, gint16 *pcm)
{
  ensure_tables ();
  for (gsize i = 0; i < len; i++)
    pcm[i] = ulaw_table[codes[i]];
}

void
bell_g711_alaw_decode_buf (const guint8 *codes, gsize len, gint16 *pcm)
{
  ensure_tables ();
  for (gsize i = 0; i < len; i++)
    pcm[i] = alaw_table[codes[i]];
}

/* The segment of a magnitude: how many times it is past the first segment's end, doubling
 * each time (0-7). */
static guint
segment_of (gint magnitude, gint first_end)
{
  guint segment = 0;

  while (segment < 8 && magnitude > first_end)
    {
      first_end = (first_end << 1) | 1;
      segment++;
    }
  return segment;
}

/* µ-law: the bias added, the magnitude's segment and its next 4 bits, all inverted. Clipped
 * at the largest code's value. */
static guint8
ulaw_encode (gint16 sample)
{
  gint value = sample;
  guint8 sign = 0;
  guint segment;

  if (value < 0)
    {
      value = -value;
      sign = 0x80;
    }
  value = MIN (value, 32635) + 0x84;
  segment = segment_of (value >> 8, 0);
  return (guint8) ~(sign | (segment << 4) | ((value >> (segment + 3)) & 0x0F));
}

/* A-law: the magnitude on 13 bits (clipped at the largest code's value); segments 0 and 1
 * share one step size. Even bits inverted, the sign bit set for positive. A negative sample
 * is taken at its magnitude, as GStreamer's alawenc does (ITU-T G.191's reference takes one
 * less, which differs on the decision boundaries only). */
static guint8
alaw_encode (gint16 sample)
{
  gint value = sample;
  guint8 mask = 0xD5;
  guint segment;
  guint8 code;

  if (value < 0)
    {
      value = MIN (-value, 0x7FFF);
      mask = 0x55;
    }
  value >>= 3;
  segment = segment_of (value, 0x1F);
  code = (guint8) (segment << 4);
  code |= segment < 2 ? (value >> 1) & 0x0F : (value >> segment) & 0x0F;
  return code ^ mask;
}

void
bell_g711_ulaw_encode_buf (const gint16 *pcm, gsize len, guint8 *codes)
{
  for (gsize i = 0; i < len; i++)
    codes[i] = ulaw_encode (pcm[i]);
}

void
bell_g711_alaw_encode_buf (const gint16 *pcm, gsize len, guint8 *codes)
{
  for (gsize i = 0; i < len; i++)
    codes[i] = alaw_encode (pcm[i]);
}
