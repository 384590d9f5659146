/* bell-rtp-packet.c: see the header. */
#include "bell-rtp-packet.h"

static guint32
read32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

gboolean
bell_rtp_packet_parse (const guint8 *data, gsize len, BellRtpHeader *header)
{
  gsize offset, end = len;

  if (len < BELL_RTP_HEADER_SIZE)
    return FALSE;
  offset = BELL_RTP_HEADER_SIZE + 4 * (gsize) (data[0] & 0x0f);
  if (data[0] & 0x10)
    {
      /* The extension's own 4-byte header, then its length in 32-bit words. */
      if (len < offset + 4)
        return FALSE;
      offset += 4 + 4 * (((gsize) data[offset + 2] << 8) | data[offset + 3]);
    }
  if (offset > len)
    return FALSE;
  if (data[0] & 0x20)
    {
      guint padding = data[len - 1];
      if (padding == 0 || padding > len - offset)
        return FALSE;
      end -= padding;
    }
  header->pt = data[1] & 0x7f;
  header->marker = (data[1] & 0x80) != 0;
  header->seq = (guint16) ((data[2] << 8) | data[3]);
  header->timestamp = read32 (data + 4);
  header->ssrc = read32 (data + 8);
  header->payload_offset = offset;
  header->payload_len = end - offset;
  return TRUE;
}
