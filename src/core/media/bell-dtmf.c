/* bell-dtmf.c: RFC 4733 telephone-event sender and receiver; SIP INFO dtmf-relay bodies. */
#define G_LOG_DOMAIN "bell-media"

#include "bell-dtmf.h"
#include "bell-str.h"

#include <string.h>

G_DEFINE_QUARK (bell-dtmf-error-quark, bell_dtmf_error)

/* RFC 4733 §3.2 table 7, in event order. */
static const char dtmf_keys[] = "0123456789*#ABCD!";

int
bell_dtmf_event_from_char (char c)
{
  const char *k;

  if (c >= 'a' && c <= 'd')
    c = (char) (c - 'a' + 'A');
  if (c == '\0' || (k = strchr (dtmf_keys, c)) == NULL)
    return -1;
  return (int) (k - dtmf_keys);
}

char
bell_dtmf_char_from_event (guint event)
{
  return event <= BELL_DTMF_EVENT_FLASH ? dtmf_keys[event] : '\0';
}

/*  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * |     event     |E|R| volume    |          duration             |   (RFC 4733 §2.3) */
gboolean
bell_dtmf_payload_parse (const guint8 *data, gsize len, BellDtmfPayload *payload)
{
  g_return_val_if_fail (payload != NULL, FALSE);

  if (data == NULL || len < BELL_DTMF_PAYLOAD_SIZE)
    return FALSE;
  payload->event = data[0];
  payload->end = (data[1] & 0x80) != 0;
  payload->volume = data[1] & 0x3f;
  payload->duration = (guint16) (data[2] << 8 | data[3]);
  return TRUE;
}

void
bell_dtmf_payload_write (const BellDtmfPayload *payload, guint8 data[BELL_DTMF_PAYLOAD_SIZE])
{
  g_return_if_fail (payload != NULL && data != NULL);

  data[0] = payload->event;
  data[1] = (guint8) ((payload->end ? 0x80 : 0) | (payload->volume & 0x3f));
  data[2] = (guint8) (payload->duration >> 8);
  data[3] = (guint8) (payload->duration & 0xff);
}

static guint32
ms_to_units (guint ms, guint clock_rate)
{
  return (guint32) ((guint64) ms * clock_rate / 1000);
}

static guint
units_to_ms (guint64 units, guint clock_rate)
{
  return (guint) MIN (units * 1000 / clock_rate, G_MAXUINT);
}

/* ------------------------------------------------------------------------------------------ */
/* Sender */

/* The E packet goes out this many times (RFC 4733 §2.5.1.4), so that one lost packet does not
 * leave the far end guessing when the key was let go. */
#define END_PACKETS 3

typedef enum
{
  SEND_IDLE,
  SEND_TONE,      /* the key is down: a growing duration every packet */
  SEND_END,       /* repeating the E packet */
  SEND_PAUSE,     /* between keys, as a person's finger would be */
} SendState;

typedef struct
{
  guint8  event;
  guint32 tone;    /* timestamp units */
  guint32 pause;
} QueuedKey;

struct _BellDtmfSender
{
  guint8    payload_type;
  guint     clock_rate;
  guint32   packet_units;   /* one ptime in timestamp units */
  guint     tone_ms;
  guint     pause_ms;
  GArray   *queue;          /* QueuedKey, oldest first */

  SendState state;
  QueuedKey key;
  guint32   start;          /* timestamp of the key's first segment */
  guint32   segment_ts;     /* timestamp of the segment being sent */
  guint32   segment_offset; /* units covered by the segments before it */
  guint32   sent;           /* units reported so far, all segments */
  gboolean  first;          /* the next packet is the key's first: it gets the marker */
  guint16   end_duration;
  guint     ends_left;
  guint32   pause_until;
};

BellDtmfSender *
bell_dtmf_sender_new (guint8 payload_type, guint clock_rate, guint ptime_ms)
{
  BellDtmfSender *sender;

  g_return_val_if_fail (payload_type <= 127, NULL);
  g_return_val_if_fail (clock_rate >= 1000 && clock_rate <= 192000, NULL);
  g_return_val_if_fail (ptime_ms >= 5 && ptime_ms <= 200, NULL);

  sender = g_new0 (BellDtmfSender, 1);
  sender->payload_type = payload_type;
  sender->clock_rate = clock_rate;
  sender->packet_units = ms_to_units (ptime_ms, clock_rate);
  sender->tone_ms = BELL_DTMF_DEFAULT_TONE_MS;
  sender->pause_ms = BELL_DTMF_DEFAULT_PAUSE_MS;
  sender->queue = g_array_new (FALSE, FALSE, sizeof (QueuedKey));
  sender->state = SEND_IDLE;
  return sender;
}

void
bell_dtmf_sender_free (BellDtmfSender *sender)
{
  if (sender == NULL)
    return;
  g_array_unref (sender->queue);
  g_free (sender);
}

guint8
bell_dtmf_sender_get_payload_type (BellDtmfSender *sender)
{
  g_return_val_if_fail (sender != NULL, 0);

  return sender->payload_type;
}

void
bell_dtmf_sender_set_durations (BellDtmfSender *sender, guint tone_ms, guint pause_ms)
{
  g_return_if_fail (sender != NULL);
  g_return_if_fail (tone_ms > 0 && tone_ms <= BELL_DTMF_MAX_TONE_MS);
  g_return_if_fail (pause_ms <= BELL_DTMF_MAX_TONE_MS);

  sender->tone_ms = tone_ms;
  sender->pause_ms = pause_ms;
}

gboolean
bell_dtmf_sender_queue (BellDtmfSender *sender, const char *digits, GError **error)
{
  gsize n;

  g_return_val_if_fail (sender != NULL, FALSE);
  g_return_val_if_fail (digits != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* All or nothing: a typo half-way must not leave half a number dialled. */
  n = strlen (digits);
  for (gsize i = 0; i < n; i++)
    {
      int event = bell_dtmf_event_from_char (digits[i]);
      if (event < 0 || event == BELL_DTMF_EVENT_FLASH)
        {
          if (g_ascii_isprint (digits[i]))
            g_set_error (error, BELL_DTMF_ERROR, BELL_DTMF_ERROR_INVALID_DIGIT,
                         "“%c” at position %" G_GSIZE_FORMAT " is not a DTMF key "
                         "(0-9, *, #, A-D)", digits[i], i + 1);
          else
            g_set_error (error, BELL_DTMF_ERROR, BELL_DTMF_ERROR_INVALID_DIGIT,
                         "byte 0x%02x at position %" G_GSIZE_FORMAT " is not a DTMF key "
                         "(0-9, *, #, A-D)", (guint) (guchar) digits[i], i + 1);
          return FALSE;
        }
    }
  if (n > BELL_DTMF_MAX_QUEUE - sender->queue->len)
    {
      g_set_error (error, BELL_DTMF_ERROR, BELL_DTMF_ERROR_QUEUE_FULL,
                   "too many DTMF keys waiting (at most %d)", BELL_DTMF_MAX_QUEUE);
      return FALSE;
    }
  for (gsize i = 0; i < n; i++)
    {
      QueuedKey key = {
        .event = (guint8) bell_dtmf_event_from_char (digits[i]),
        .tone = MAX (ms_to_units (sender->tone_ms, sender->clock_rate), 1),
        .pause = ms_to_units (sender->pause_ms, sender->clock_rate),
      };
      g_array_append_val (sender->queue, key);
    }
  return TRUE;
}

void
bell_dtmf_sender_clear (BellDtmfSender *sender)
{
  g_return_if_fail (sender != NULL);

  g_array_set_size (sender->queue, 0);
}

gboolean
bell_dtmf_sender_is_busy (BellDtmfSender *sender)
{
  g_return_val_if_fail (sender != NULL, FALSE);

  return sender->state == SEND_TONE || sender->state == SEND_END || sender->queue->len > 0;
}

static void
sender_emit (BellDtmfSender *sender, guint16 duration, gboolean end, guint8 *payload, gsize *len,
             gboolean *marker, guint32 *event_timestamp)
{
  BellDtmfPayload p = {
    .event = sender->key.event,
    .end = end,
    .volume = BELL_DTMF_VOLUME,
    .duration = duration,
  };

  bell_dtmf_payload_write (&p, payload);
  *len = BELL_DTMF_PAYLOAD_SIZE;
  *marker = sender->first;
  *event_timestamp = sender->segment_ts;
  sender->first = FALSE;
}

gboolean
bell_dtmf_sender_next (BellDtmfSender *sender, guint32 now_timestamp, guint8 *payload, gsize *len,
                       gboolean *marker, guint32 *event_timestamp)
{
  gint32 elapsed;
  guint64 total, duration;
  gboolean last;

  g_return_val_if_fail (sender != NULL, FALSE);
  g_return_val_if_fail (payload != NULL && len != NULL, FALSE);
  g_return_val_if_fail (marker != NULL && event_timestamp != NULL, FALSE);

  if (sender->state == SEND_PAUSE && (gint32) (now_timestamp - sender->pause_until) >= 0)
    sender->state = SEND_IDLE;
  if (sender->state == SEND_IDLE)
    {
      if (sender->queue->len == 0)
        return FALSE;
      sender->key = g_array_index (sender->queue, QueuedKey, 0);
      g_array_remove_index (sender->queue, 0);
      sender->state = SEND_TONE;
      sender->start = sender->segment_ts = now_timestamp;
      sender->segment_offset = sender->sent = 0;
      sender->first = TRUE;
    }

  switch (sender->state)
    {
    case SEND_PAUSE:
      return FALSE;

    case SEND_END:
      sender_emit (sender, sender->end_duration, TRUE, payload, len, marker, event_timestamp);
      if (--sender->ends_left == 0)
        sender->state = SEND_PAUSE;
      return TRUE;

    case SEND_TONE:
      /* A packet reports the tone up to the end of the packet time it stands for. The clock
       * decides, so a late call catches up; a clock that stood still or went backwards counts
       * one packet time, so the key is let go all the same. */
      elapsed = (gint32) (now_timestamp - sender->start);
      total = (guint64) MAX (elapsed, 0) + sender->packet_units;
      if (total <= sender->sent)
        total = (guint64) sender->sent + sender->packet_units;
      last = total >= sender->key.tone;
      if (last)
        total = sender->key.tone;
      duration = total - sender->segment_offset;
      if (duration > G_MAXUINT16)
        {
          /* RFC 4733 §2.5.1.3: the field stops at 0xFFFF, so this segment ends there (without
           * E) and the next starts where it stopped, with that timestamp and no marker. */
          sender_emit (sender, G_MAXUINT16, FALSE, payload, len, marker, event_timestamp);
          sender->segment_ts += G_MAXUINT16;
          sender->segment_offset += G_MAXUINT16;
          sender->sent = sender->segment_offset;
          return TRUE;
        }
      sender->sent = (guint32) total;
      sender_emit (sender, (guint16) duration, last, payload, len, marker, event_timestamp);
      if (last)
        {
          sender->state = SEND_END;
          sender->end_duration = (guint16) duration;
          sender->ends_left = END_PACKETS - 1;
          sender->pause_until = sender->start + sender->key.tone + sender->key.pause;
        }
      return TRUE;

    case SEND_IDLE:
    default:
      g_assert_not_reached ();
    }
  return FALSE;
}

/* ------------------------------------------------------------------------------------------ */
/* Receiver */

/* Events remembered, so that a retransmitted end or a straggler is recognised by its timestamp
 * (the identity of an event, RFC 4733 §2.5.2.1). */
#define HISTORY 16
/* Packets that far behind the newest belong to events long forgotten: they are dropped. */
#define REORDER_WINDOW 32
/* Further behind than this, the peer has started its sequence numbers over. */
#define RESTART_GAP 3000

typedef struct
{
  gboolean in_use;
  guint8   event;
  gboolean ended;
  guint32  ts;
  guint16  duration;   /* the longest seen in this segment */
  guint64  base;       /* units of the segments before this one (long events) */
} SeenEvent;

struct _BellDtmfReceiver
{
  guint             clock_rate;
  BellDtmfDigitFunc func;
  gpointer          user_data;
  GDestroyNotify    destroy;

  SeenEvent         seen[HISTORY];
  guint             next_slot;
  gboolean          have_seq;
  guint16           max_seq;
  guint             malformed;
  guint             late;
};

BellDtmfReceiver *
bell_dtmf_receiver_new (guint clock_rate, BellDtmfDigitFunc func, gpointer user_data,
                        GDestroyNotify destroy)
{
  BellDtmfReceiver *receiver;

  g_return_val_if_fail (clock_rate >= 1000 && clock_rate <= 192000, NULL);
  g_return_val_if_fail (func != NULL, NULL);

  receiver = g_new0 (BellDtmfReceiver, 1);
  receiver->clock_rate = clock_rate;
  receiver->func = func;
  receiver->user_data = user_data;
  receiver->destroy = destroy;
  return receiver;
}

void
bell_dtmf_receiver_free (BellDtmfReceiver *receiver)
{
  if (receiver == NULL)
    return;
  if (receiver->destroy != NULL)
    receiver->destroy (receiver->user_data);
  g_free (receiver);
}

void
bell_dtmf_receiver_reset (BellDtmfReceiver *receiver)
{
  g_return_if_fail (receiver != NULL);

  memset (receiver->seen, 0, sizeof receiver->seen);
  receiver->next_slot = 0;
  receiver->have_seq = FALSE;
}

guint
bell_dtmf_receiver_get_malformed (BellDtmfReceiver *receiver)
{
  g_return_val_if_fail (receiver != NULL, 0);

  return receiver->malformed;
}

guint
bell_dtmf_receiver_get_late (BellDtmfReceiver *receiver)
{
  g_return_val_if_fail (receiver != NULL, 0);

  return receiver->late;
}

static gboolean
receiver_check_seq (BellDtmfReceiver *receiver, guint16 seq)
{
  gint16 behind;

  if (!receiver->have_seq)
    {
      receiver->have_seq = TRUE;
      receiver->max_seq = seq;
      return TRUE;
    }
  behind = (gint16) (receiver->max_seq - seq);
  if (behind <= 0)
    {
      receiver->max_seq = seq;
      return TRUE;
    }
  if (behind <= REORDER_WINDOW)
    return TRUE;
  if (behind <= RESTART_GAP)
    return FALSE;
  /* Only a new stream jumps that far back: what we remember is of the old one. */
  bell_dtmf_receiver_reset (receiver);
  receiver->have_seq = TRUE;
  receiver->max_seq = seq;
  return TRUE;
}

static SeenEvent *
receiver_find (BellDtmfReceiver *receiver, guint32 ts)
{
  for (guint i = 0; i < HISTORY; i++)
    if (receiver->seen[i].in_use && receiver->seen[i].ts == ts)
      return &receiver->seen[i];
  return NULL;
}

/* The event that started last, by timestamp: the one a long event's next segment follows. */
static SeenEvent *
receiver_newest (BellDtmfReceiver *receiver)
{
  SeenEvent *newest = NULL;

  for (guint i = 0; i < HISTORY; i++)
    if (receiver->seen[i].in_use &&
        (newest == NULL || (gint32) (receiver->seen[i].ts - newest->ts) > 0))
      newest = &receiver->seen[i];
  return newest;
}

/* RFC 4733 §2.5.2.3: a segment of a long event has the key of the one before, a timestamp
 * where that one stopped, and no marker, and the one before never got its E bit. A key
 * pressed again comes after a pause, so it starts later than where the last one stopped,
 * unless that last one was long enough to have been cut (half the field, leaving room for
 * lost packets at its end). */
static gboolean
receiver_continues (const SeenEvent *prev, const BellDtmfPayload *p, guint32 ts, gboolean marker)
{
  guint32 gap;

  if (prev == NULL || marker || prev->ended || prev->event != p->event)
    return FALSE;
  gap = ts - prev->ts;
  if (gap == 0 || gap > G_MAXUINT16)
    return FALSE;
  return gap == prev->duration || (prev->duration >= G_MAXUINT16 / 2 && gap >= prev->duration);
}

static SeenEvent *
receiver_add (BellDtmfReceiver *receiver, const BellDtmfPayload *p, guint32 ts)
{
  SeenEvent *ev = &receiver->seen[receiver->next_slot];

  receiver->next_slot = (receiver->next_slot + 1) % HISTORY;
  *ev = (SeenEvent){
    .in_use = TRUE,
    .event = p->event,
    .ended = p->end,
    .ts = ts,
    .duration = p->duration,
  };
  return ev;
}

gboolean
bell_dtmf_receiver_push (BellDtmfReceiver *receiver, const guint8 *payload, gsize len,
                         guint32 rtp_timestamp, guint16 seq, gboolean marker)
{
  BellDtmfPayload p;
  SeenEvent *ev, *prev;
  guint64 base;

  g_return_val_if_fail (receiver != NULL, FALSE);

  if (!bell_dtmf_payload_parse (payload, len, &p) || p.event > BELL_DTMF_EVENT_FLASH)
    {
      receiver->malformed++;
      return FALSE;
    }
  if (!receiver_check_seq (receiver, seq))
    {
      receiver->late++;
      return FALSE;
    }

  ev = receiver_find (receiver, rtp_timestamp);
  if (ev != NULL)
    {
      /* One timestamp, one event: another key under it is a broken sender. */
      if (ev->event != p.event)
        {
          receiver->malformed++;
          return FALSE;
        }
      /* Retransmitted ends and stragglers after the end change nothing. */
      if (!ev->ended)
        {
          ev->ended = p.end;
          ev->duration = p.end ? p.duration : MAX (ev->duration, p.duration);
        }
      return TRUE;
    }

  prev = receiver_newest (receiver);
  if (receiver_continues (prev, &p, rtp_timestamp, marker))
    {
      /* Reported with its first segment already. */
      base = prev->base + (guint32) (rtp_timestamp - prev->ts);
      prev->ended = TRUE;
      ev = receiver_add (receiver, &p, rtp_timestamp);
      ev->base = base;
      return TRUE;
    }

  /* A new event: its first packet, or the first to arrive when the start was lost. */
  ev = receiver_add (receiver, &p, rtp_timestamp);
  receiver->func (bell_dtmf_char_from_event (p.event),
                  units_to_ms (p.duration, receiver->clock_rate), receiver->user_data);
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* SIP INFO bodies */

char *
bell_dtmf_info_body (char digit, guint duration_ms)
{
  int event = bell_dtmf_event_from_char (digit);

  g_return_val_if_fail (event >= 0, NULL);

  return g_strdup_printf ("Signal=%c\r\nDuration=%u\r\n", dtmf_keys[event], duration_ms);
}

/* A key as a character, or as its event number: some gateways write Signal=10 for '*'. */
static gboolean
parse_signal (BellStr value, char *digit)
{
  guint64 event;
  int e;

  if (value.len == 1 && (e = bell_dtmf_event_from_char (value.p[0])) >= 0)
    {
      *digit = dtmf_keys[e];
      return TRUE;
    }
  if (bell_str_to_uint64 (value, BELL_DTMF_EVENT_FLASH, &event))
    {
      *digit = dtmf_keys[event];
      return TRUE;
    }
  return FALSE;
}

gboolean
bell_dtmf_info_parse (const char *body, gsize len, char *digit, guint *duration_ms)
{
  const char *p, *end;
  gboolean have_signal = FALSE;
  char key = '\0';
  guint64 duration = 0;

  g_return_val_if_fail (body != NULL || len == 0, FALSE);

  if (len == 0)
    return FALSE;
  /* Lines of name=value, \r\n or \n, names in any case, spaces anywhere around; lines we do
   * not know are skipped, and the first Signal counts. */
  for (p = body, end = body + len; p < end;)
    {
      const char *nl = memchr (p, '\n', (gsize) (end - p));
      const char *line_end = nl ? nl : end;
      const char *eq = memchr (p, '=', (gsize) (line_end - p));

      if (eq != NULL)
        {
          BellStr name = bell_str_trim ((BellStr){ p, (gsize) (eq - p) });
          BellStr value = bell_str_trim ((BellStr){ eq + 1, (gsize) (line_end - eq - 1) });

          if (bell_str_equal_ci_lit (name, "signal") && !have_signal)
            {
              if (!parse_signal (value, &key))
                return FALSE;
              have_signal = TRUE;
            }
          else if (bell_str_equal_ci_lit (name, "duration"))
            {
              /* A duration we cannot read costs the key nothing: 0 says "not given". */
              if (!bell_str_to_uint64 (value, G_MAXUINT, &duration))
                duration = 0;
            }
        }
      p = line_end + (nl ? 1 : 0);
    }
  if (!have_signal)
    return FALSE;
  if (digit != NULL)
    *digit = key;
  if (duration_ms != NULL)
    *duration_ms = (guint) duration;
  return TRUE;
}

gboolean
bell_dtmf_info_parse_plain (const char *body, gsize len, char *digit)
{
  char key;

  g_return_val_if_fail (body != NULL || len == 0, FALSE);

  if (len == 0 || !parse_signal (bell_str_trim ((BellStr){ body, len }), &key))
    return FALSE;
  if (digit != NULL)
    *digit = key;
  return TRUE;
}
