/* bell-dtmf.h: DTMF as RFC 4733 telephone-events, and the SIP INFO bodies used as a fallback.
 *
 * Pure packet logic: no sockets, no GStreamer, no clock of its own. The media layer asks the
 * sender for a payload once per packet time, giving it the RTP timestamp that packet would
 * carry, and hands the receiver every telephone-event payload it gets. Neither object locks:
 * each belongs to the thread that drives it.
 *
 * Events 0-15 are the DTMF keys 0-9 * # A-D (RFC 4733 §3.2, table 7); 16 is a hook flash,
 * written '!' here as in application/dtmf-relay bodies. The sender sends keys only.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BELL_DTMF_ERROR (bell_dtmf_error_quark ())

typedef enum
{
  BELL_DTMF_ERROR_INVALID_DIGIT,  /* not one of 0-9 * # A-D */
  BELL_DTMF_ERROR_QUEUE_FULL,     /* more than BELL_DTMF_MAX_QUEUE digits waiting */
} BellDtmfError;

GQuark bell_dtmf_error_quark (void);

#define BELL_DTMF_PAYLOAD_SIZE     4      /* one telephone-event block (RFC 4733 §2.3) */
#define BELL_DTMF_EVENT_FLASH      16
#define BELL_DTMF_VOLUME           10     /* -10 dBm0, what keypads and gateways send */
#define BELL_DTMF_DEFAULT_TONE_MS  100
#define BELL_DTMF_DEFAULT_PAUSE_MS 70
#define BELL_DTMF_MAX_TONE_MS      (10 * 60 * 1000)
#define BELL_DTMF_MAX_QUEUE        1024
/* SIP INFO carries application/dtmf-relay in practice; application/dtmf has the key alone. */
#define BELL_DTMF_INFO_CONTENT_TYPE       "application/dtmf-relay"
#define BELL_DTMF_INFO_PLAIN_CONTENT_TYPE "application/dtmf"

/* One telephone-event block as on the wire. */
typedef struct
{
  guint8   event;
  gboolean end;        /* the E bit */
  guint8   volume;     /* 0-63, in -dBm0 */
  guint16  duration;   /* in RTP timestamp units since the event's (segment's) timestamp */
} BellDtmfPayload;

/* Event number of a key ('a'-'d' too, and '!' for flash); -1 for anything else. */
int      bell_dtmf_event_from_char   (char c);
/* The key of an event 0-16 ('A'-'D' upper case); 0 for anything else. */
char     bell_dtmf_char_from_event   (guint event);

/* FALSE when len < 4. Bytes after the first block are not looked at. */
gboolean bell_dtmf_payload_parse     (const guint8 *data, gsize len, BellDtmfPayload *payload);
void     bell_dtmf_payload_write     (const BellDtmfPayload *payload,
                                      guint8 data[BELL_DTMF_PAYLOAD_SIZE]);

/* ------------------------------------------------------------------------------------------ */
/* Sender */

typedef struct _BellDtmfSender BellDtmfSender;

BellDtmfSender *bell_dtmf_sender_new           (guint8 payload_type, guint clock_rate,
                                                guint ptime_ms);
void            bell_dtmf_sender_free          (BellDtmfSender *sender);
guint8          bell_dtmf_sender_get_payload_type (BellDtmfSender *sender);
/* For digits queued from now on; defaults BELL_DTMF_DEFAULT_TONE_MS and _PAUSE_MS. */
void            bell_dtmf_sender_set_durations (BellDtmfSender *sender, guint tone_ms,
                                                guint pause_ms);
/* Queues every key of digits, or none of them if one is not a key. */
gboolean        bell_dtmf_sender_queue         (BellDtmfSender *sender, const char *digits,
                                                GError **error);
/* Drops the keys not yet started; the one being sent still ends properly. */
void            bell_dtmf_sender_clear         (BellDtmfSender *sender);
/* TRUE while a key is being sent or waits. */
gboolean        bell_dtmf_sender_is_busy       (BellDtmfSender *sender);
gboolean        bell_dtmf_sender_next          (BellDtmfSender *sender, guint32 now_timestamp,
                                                guint8 *payload, gsize *len, gboolean *marker,
                                                guint32 *event_timestamp);

/* ------------------------------------------------------------------------------------------ */
/* Receiver */

/* duration_ms is how long the key had lasted when it was reported: on its first packet that
 * is a packet's worth (or 0); when only the end arrived, the whole tone. */
typedef void (*BellDtmfDigitFunc) (char digit, guint duration_ms, gpointer user_data);

typedef struct _BellDtmfReceiver BellDtmfReceiver;

BellDtmfReceiver *bell_dtmf_receiver_new       (guint clock_rate, BellDtmfDigitFunc func,
                                                gpointer user_data, GDestroyNotify destroy);
void              bell_dtmf_receiver_free      (BellDtmfReceiver *receiver);
/* Forgets every event seen: for a new SSRC, or a stream that starts over. */
void              bell_dtmf_receiver_reset     (BellDtmfReceiver *receiver);
/* Returns FALSE for a payload that was ignored as malformed or late. */
gboolean          bell_dtmf_receiver_push      (BellDtmfReceiver *receiver, const guint8 *payload,
                                                gsize len, guint32 rtp_timestamp, guint16 seq,
                                                gboolean marker);
/* Payloads too short, events above 16, or a block that contradicts its event's timestamp. */
guint             bell_dtmf_receiver_get_malformed (BellDtmfReceiver *receiver);
/* Packets further behind the newest than the reorder window. */
guint             bell_dtmf_receiver_get_late  (BellDtmfReceiver *receiver);

/* ------------------------------------------------------------------------------------------ */
/* SIP INFO bodies */

/* "Signal=5\r\nDuration=160\r\n" (application/dtmf-relay). digit must be a key (or '!'). */
char     *bell_dtmf_info_body        (char digit, guint duration_ms);
/* application/dtmf-relay as senders write it. *duration_ms is 0 when the body gives none. */
gboolean  bell_dtmf_info_parse       (const char *body, gsize len, char *digit,
                                      guint *duration_ms);
/* application/dtmf: the key alone ("5"), maybe followed by a line end. */
gboolean  bell_dtmf_info_parse_plain (const char *body, gsize len, char *digit);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellDtmfSender, bell_dtmf_sender_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellDtmfReceiver, bell_dtmf_receiver_free)

G_END_DECLS
