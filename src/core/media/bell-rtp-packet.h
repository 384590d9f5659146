/* bell-rtp-packet.h: reading an RTP packet's fixed header and finding its payload (RFC 3550
 * §5.1), as the receive path and the fuzz harness both need it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BELL_RTP_HEADER_SIZE 12

typedef struct
{
  guint    pt;
  gboolean marker;
  guint16  seq;
  guint32  timestamp;
  guint32  ssrc;
  gsize    payload_offset;   /* after CSRCs and the header extension */
  gsize    payload_len;      /* without padding */
} BellRtpHeader;

/* FALSE for what is not a whole RTP packet: shorter than its header, CSRCs or extension, or
 * padding that is zero or longer than the payload. The version is the socket's to check. */
gboolean bell_rtp_packet_parse (const guint8 *data, gsize len, BellRtpHeader *header);

G_END_DECLS
