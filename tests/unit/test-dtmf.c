/* test-dtmf.c: RFC 4733 telephone-events (sender, receiver) and SIP INFO dtmf-relay bodies.
 *
 * The sender is driven the way the media layer will drive it, one call per packet time; its
 * packets go to the receiver with losses, duplicates and reordering made here. The corpus
 * captures of BELL_CORPUS_DIR/rfc4733-dtmf (SIPp's dtmf_2833_*.pcap) are read from there,
 * checked packet by packet against its PACKETS.tsv and decoded to the key each holds.
 */
#include <string.h>

#include <glib.h>

#include "bell-dtmf.h"

/* ------------------------------------------------------------------------------------------ */
/* Helpers */

typedef struct
{
  guint8          data[BELL_DTMF_PAYLOAD_SIZE];
  gsize           len;
  gboolean        marker;
  guint32         ts;       /* the event's timestamp: the RTP header's */
  guint32         now;      /* the packet time it was sent in */
  guint16         seq;
  BellDtmfPayload p;
} Packet;

/* Calls the sender once per packet time from start until it has nothing left (at most
 * max_ticks), and returns its packets. Audio goes out in the other packet times, so those
 * take a sequence number too. */
static GArray *
run_sender (BellDtmfSender *sender, guint32 start, guint32 step, guint max_ticks)
{
  GArray *packets = g_array_new (FALSE, TRUE, sizeof (Packet));
  guint16 seq = 1000;

  for (guint i = 0; i < max_ticks && (i == 0 || bell_dtmf_sender_is_busy (sender)); i++)
    {
      Packet pkt = { .now = start + i * step, .seq = seq++ };

      if (!bell_dtmf_sender_next (sender, pkt.now, pkt.data, &pkt.len, &pkt.marker, &pkt.ts))
        continue;
      g_assert_cmpuint (pkt.len, ==, BELL_DTMF_PAYLOAD_SIZE);
      g_assert_true (bell_dtmf_payload_parse (pkt.data, pkt.len, &pkt.p));
      g_array_append_val (packets, pkt);
    }
  g_assert_false (bell_dtmf_sender_is_busy (sender));
  return packets;
}

static GArray *
send_digits (const char *digits, guint clock_rate, guint ptime_ms)
{
  g_autoptr(BellDtmfSender) sender = bell_dtmf_sender_new (101, clock_rate, ptime_ms);
  g_autoptr(GError) error = NULL;

  g_assert_true (bell_dtmf_sender_queue (sender, digits, &error));
  g_assert_no_error (error);
  return run_sender (sender, 1000, ptime_ms * clock_rate / 1000, 100000);
}

static const Packet *
packet_at (GArray *packets, guint i)
{
  g_assert_cmpuint (i, <, packets->len);
  return &g_array_index (packets, Packet, i);
}

typedef struct
{
  GString *digits;
  GArray  *durations;   /* guint, ms */
  guint    destroyed;
} Heard;

static void
on_digit (char digit, guint duration_ms, gpointer user_data)
{
  Heard *heard = user_data;

  g_string_append_c (heard->digits, digit);
  g_array_append_val (heard->durations, duration_ms);
}

static void
heard_init (Heard *heard)
{
  heard->digits = g_string_new (NULL);
  heard->durations = g_array_new (FALSE, FALSE, sizeof (guint));
  heard->destroyed = 0;
}

static void
heard_clear (Heard *heard)
{
  g_string_free (heard->digits, TRUE);
  g_array_unref (heard->durations);
}

static void
on_heard_destroyed (gpointer user_data)
{
  ((Heard *) user_data)->destroyed++;
}

static guint
heard_duration (Heard *heard, guint i)
{
  g_assert_cmpuint (i, <, heard->durations->len);
  return g_array_index (heard->durations, guint, i);
}

/* A receiver at 8 kHz writing what it hears into heard. */
static BellDtmfReceiver *
listen_to (Heard *heard)
{
  heard_init (heard);
  return bell_dtmf_receiver_new (8000, on_digit, heard, NULL);
}

static void
push (BellDtmfReceiver *receiver, const Packet *pkt)
{
  g_assert_true (bell_dtmf_receiver_push (receiver, pkt->data, pkt->len, pkt->ts, pkt->seq,
                                          pkt->marker));
}

/* Sends digits and hands the receiver the packets whose index keep() accepts, in the order
 * order[] gives (or as sent); returns the keys heard. */
static char *
round_trip (const char *digits, guint ptime_ms, gboolean (*keep) (guint i, const Packet *pkt),
            const guint *order, guint n_order)
{
  g_autoptr(GArray) packets = send_digits (digits, 8000, ptime_ms);
  g_autoptr(BellDtmfReceiver) receiver = NULL;
  Heard heard;

  receiver = listen_to (&heard);
  for (guint k = 0; k < (order ? n_order : packets->len); k++)
    {
      guint i = order ? order[k] : k;
      if (keep == NULL || keep (i, packet_at (packets, i)))
        push (receiver, packet_at (packets, i));
    }
  g_assert_cmpuint (bell_dtmf_receiver_get_malformed (receiver), ==, 0);
  g_array_unref (heard.durations);
  return g_string_free (heard.digits, FALSE);
}

/* ------------------------------------------------------------------------------------------ */
/* Keys and payloads */

static void
test_keys (void)
{
  const char *keys = "0123456789*#ABCD";
  guint8 data[BELL_DTMF_PAYLOAD_SIZE];
  BellDtmfPayload p = { .event = 11, .end = TRUE, .volume = 10, .duration = 0x1234 }, q;

  for (guint i = 0; keys[i]; i++)
    {
      g_assert_cmpint (bell_dtmf_event_from_char (keys[i]), ==, (int) i);
      g_assert_cmpint (bell_dtmf_char_from_event (i), ==, keys[i]);
    }
  g_assert_cmpint (bell_dtmf_event_from_char ('a'), ==, 12);
  g_assert_cmpint (bell_dtmf_event_from_char ('d'), ==, 15);
  g_assert_cmpint (bell_dtmf_event_from_char ('!'), ==, BELL_DTMF_EVENT_FLASH);
  g_assert_cmpint (bell_dtmf_char_from_event (BELL_DTMF_EVENT_FLASH), ==, '!');
  for (const char *bad = "eEx,pw+ \t"; *bad; bad++)
    g_assert_cmpint (bell_dtmf_event_from_char (*bad), ==, -1);
  g_assert_cmpint (bell_dtmf_event_from_char ('\0'), ==, -1);
  g_assert_cmpint (bell_dtmf_char_from_event (17), ==, '\0');
  g_assert_cmpint (bell_dtmf_char_from_event (255), ==, '\0');

  bell_dtmf_payload_write (&p, data);
  g_assert_cmpmem (data, 4, "\x0b\x8a\x12\x34", 4);
  g_assert_true (bell_dtmf_payload_parse (data, sizeof data, &q));
  g_assert_cmpuint (q.event, ==, 11);
  g_assert_true (q.end);
  g_assert_cmpuint (q.volume, ==, 10);
  g_assert_cmpuint (q.duration, ==, 0x1234);
  /* The R bit is reserved: set or not, it changes nothing. */
  data[1] |= 0x40;
  g_assert_true (bell_dtmf_payload_parse (data, sizeof data, &q));
  g_assert_true (q.end);
  g_assert_cmpuint (q.volume, ==, 10);
  g_assert_false (bell_dtmf_payload_parse (data, 3, &q));
  g_assert_false (bell_dtmf_payload_parse (NULL, 0, &q));
}

/* ------------------------------------------------------------------------------------------ */
/* Sender */

static void
assert_packet (const Packet *pkt, guint8 event, guint16 duration, gboolean end, gboolean marker,
               guint32 ts)
{
  g_assert_cmpuint (pkt->p.event, ==, event);
  g_assert_cmpuint (pkt->p.duration, ==, duration);
  g_assert_cmpint (pkt->p.end, ==, end);
  g_assert_cmpint (pkt->marker, ==, marker);
  g_assert_cmpuint (pkt->ts, ==, ts);
  g_assert_cmpuint (pkt->p.volume, ==, BELL_DTMF_VOLUME);
  g_assert_cmpuint (pkt->data[1] & 0x40, ==, 0);   /* R */
}

static void
test_sender_one_digit (void)
{
  g_autoptr(BellDtmfSender) sender = bell_dtmf_sender_new (101, 8000, 20);
  g_autoptr(GArray) packets = NULL;
  g_autoptr(GError) error = NULL;
  guint8 data[4];
  gsize len = 0;
  gboolean marker;
  guint32 ts;

  g_assert_cmpuint (bell_dtmf_sender_get_payload_type (sender), ==, 101);
  /* Nothing queued: every packet time is audio. */
  g_assert_false (bell_dtmf_sender_next (sender, 0, data, &len, &marker, &ts));
  g_assert_false (bell_dtmf_sender_is_busy (sender));

  g_assert_true (bell_dtmf_sender_queue (sender, "5", &error));
  g_assert_no_error (error);
  g_assert_true (bell_dtmf_sender_is_busy (sender));
  packets = run_sender (sender, 8000, 160, 1000);

  /* 100 ms at 8 kHz is 800 units, one 20 ms packet 160: four growing packets, then the
   * end three times, all under the timestamp of the packet time the key went down in. */
  g_assert_cmpuint (packets->len, ==, 7);
  assert_packet (packet_at (packets, 0), 5, 160, FALSE, TRUE, 8000);
  assert_packet (packet_at (packets, 1), 5, 320, FALSE, FALSE, 8000);
  assert_packet (packet_at (packets, 2), 5, 480, FALSE, FALSE, 8000);
  assert_packet (packet_at (packets, 3), 5, 640, FALSE, FALSE, 8000);
  for (guint i = 4; i < 7; i++)
    {
      assert_packet (packet_at (packets, i), 5, 800, TRUE, FALSE, 8000);
      g_assert_cmpuint (packet_at (packets, i)->now, ==, 8000 + i * 160);
    }

  /* Idle again: audio from here on. */
  g_assert_false (bell_dtmf_sender_next (sender, 8000 + 7 * 160, data, &len, &marker, &ts));
}

static void
test_sender_ptime_50 (void)
{
  g_autoptr(GArray) packets = send_digits ("#", 8000, 50);

  g_assert_cmpuint (packets->len, ==, 4);
  assert_packet (packet_at (packets, 0), 11, 400, FALSE, TRUE, 1000);
  for (guint i = 1; i < 4; i++)
    assert_packet (packet_at (packets, i), 11, 800, TRUE, FALSE, 1000);
}

static void
test_sender_wideband (void)
{
  /* telephone-event/16000: the same 100 ms are 1600 units, 320 a packet. */
  g_autoptr(GArray) packets = send_digits ("9", 16000, 20);

  g_assert_cmpuint (packets->len, ==, 7);
  assert_packet (packet_at (packets, 0), 9, 320, FALSE, TRUE, 1000);
  assert_packet (packet_at (packets, 4), 9, 1600, TRUE, FALSE, 1000);
}

static void
test_sender_short_tone (void)
{
  g_autoptr(BellDtmfSender) sender = bell_dtmf_sender_new (96, 8000, 50);
  g_autoptr(GArray) packets = NULL;

  /* Shorter than a packet: the first packet is already the end, marker and all. */
  bell_dtmf_sender_set_durations (sender, 30, 70);
  g_assert_true (bell_dtmf_sender_queue (sender, "1", NULL));
  packets = run_sender (sender, 0, 400, 100);
  g_assert_cmpuint (packets->len, ==, 3);
  assert_packet (packet_at (packets, 0), 1, 240, TRUE, TRUE, 0);
  assert_packet (packet_at (packets, 1), 1, 240, TRUE, FALSE, 0);
  assert_packet (packet_at (packets, 2), 1, 240, TRUE, FALSE, 0);
}

/* Checks the packets of keys sent one after another: each key's packets as in
 * test_sender_one_digit for its tone, and at least pause units between one tone's end and
 * the next key's start. Returns the events' timestamps. */
static GArray *
assert_keys (GArray *packets, const char *digits, guint32 tone, guint32 packet, guint32 pause)
{
  GArray *starts = g_array_new (FALSE, FALSE, sizeof (guint32));
  guint per_key = (tone + packet - 1) / packet + 2;
  guint n = (guint) strlen (digits);

  g_assert_cmpuint (packets->len, ==, n * per_key);
  for (guint k = 0; k < n; k++)
    {
      const Packet *first = packet_at (packets, k * per_key);
      guint8 event = (guint8) bell_dtmf_event_from_char (digits[k]);

      g_array_append_val (starts, first->ts);
      g_assert_cmpuint (first->now, ==, first->ts);
      for (guint i = 0; i < per_key; i++)
        {
          const Packet *pkt = packet_at (packets, k * per_key + i);
          gboolean end = i >= per_key - 3;
          assert_packet (pkt, event, end ? tone : (i + 1) * packet, end, i == 0, first->ts);
        }
      if (k > 0)
        {
          guint32 prev = g_array_index (starts, guint32, k - 1);
          g_assert_cmpuint (first->ts - (prev + tone), >=, pause);
          /* ... and no more than the packet time it had to wait for. */
          g_assert_cmpuint (first->ts - (prev + tone), <, pause + 2 * packet);
        }
    }
  return starts;
}

static void
test_sender_digits_with_pauses (void)
{
  g_autoptr(GArray) packets = send_digits ("123#", 8000, 20);
  g_autoptr(GArray) starts = assert_keys (packets, "123#", 800, 160, 560);

  /* 800 of tone, then the first packet time at least 560 (70 ms) later: 1440 apart. */
  for (guint k = 0; k < 4; k++)
    g_assert_cmpuint (g_array_index (starts, guint32, k), ==, 1000 + k * 1440);
}

static void
test_sender_custom_durations (void)
{
  g_autoptr(BellDtmfSender) sender = bell_dtmf_sender_new (101, 8000, 20);
  g_autoptr(GArray) packets = NULL, first = NULL, last = NULL;

  bell_dtmf_sender_set_durations (sender, 200, 100);
  g_assert_true (bell_dtmf_sender_queue (sender, "a0", NULL));
  /* Keys already queued keep the durations they were queued with. */
  bell_dtmf_sender_set_durations (sender, 40, 40);
  g_assert_true (bell_dtmf_sender_queue (sender, "7", NULL));
  packets = run_sender (sender, 0, 160, 1000);

  /* 200 ms: nine growing packets, the end three times; 40 ms: one, and the ends. */
  g_assert_cmpuint (packets->len, ==, 2 * 12 + 4);
  first = g_array_sized_new (FALSE, FALSE, sizeof (Packet), 24);
  g_array_append_vals (first, packets->data, 24);
  last = g_array_sized_new (FALSE, FALSE, sizeof (Packet), 4);
  g_array_append_vals (last, packet_at (packets, 24), 4);
  g_array_unref (assert_keys (first, "A0", 1600, 160, 800));
  g_array_unref (assert_keys (last, "7", 320, 160, 320));
  /* The 7 waits for the pause queued with the 0 before it. */
  g_assert_cmpuint (packet_at (last, 0)->ts - (packet_at (first, 12)->ts + 1600), >=, 800);
}

static void
test_sender_timestamp_wrap (void)
{
  g_autoptr(BellDtmfSender) sender = bell_dtmf_sender_new (101, 8000, 20);
  g_autoptr(GArray) packets = NULL, starts = NULL;

  g_assert_true (bell_dtmf_sender_queue (sender, "*0", NULL));
  packets = run_sender (sender, G_MAXUINT32 - 500, 160, 1000);
  starts = assert_keys (packets, "*0", 800, 160, 560);
  g_assert_cmpuint (g_array_index (starts, guint32, 0), ==, G_MAXUINT32 - 500);
  g_assert_cmpuint (g_array_index (starts, guint32, 1), ==, 1440 - 501);
}

static void
test_sender_late_calls (void)
{
  g_autoptr(BellDtmfSender) sender = bell_dtmf_sender_new (101, 8000, 20);
  guint8 data[4];
  gsize len;
  gboolean marker;
  guint32 ts;
  BellDtmfPayload p;

  g_assert_true (bell_dtmf_sender_queue (sender, "4", NULL));
  g_assert_true (bell_dtmf_sender_next (sender, 0, data, &len, &marker, &ts));
  /* A packet time skipped: the duration follows the clock, not the count of calls. */
  g_assert_true (bell_dtmf_sender_next (sender, 480, data, &len, &marker, &ts));
  g_assert_true (bell_dtmf_payload_parse (data, len, &p));
  g_assert_cmpuint (p.duration, ==, 640);
  /* A clock that went backwards still moves the tone on. */
  g_assert_true (bell_dtmf_sender_next (sender, 100, data, &len, &marker, &ts));
  g_assert_true (bell_dtmf_payload_parse (data, len, &p));
  g_assert_cmpuint (p.duration, ==, 800);
  g_assert_true (p.end);
  g_assert_cmpuint (ts, ==, 0);
}

static void
test_sender_long_event (void)
{
  g_autoptr(BellDtmfSender) sender = bell_dtmf_sender_new (101, 8000, 20);
  g_autoptr(GArray) packets = NULL;
  g_autoptr(BellDtmfReceiver) receiver = NULL;
  guint64 total = 0;
  guint32 segment_ts = 0;
  guint16 last_duration = 0;
  guint segments = 0, ends = 0;
  Heard heard;

  /* 10 s at 8 kHz is 80000 units: more than the 16-bit duration field can say. */
  bell_dtmf_sender_set_durations (sender, 10000, 70);
  g_assert_true (bell_dtmf_sender_queue (sender, "0", NULL));
  packets = run_sender (sender, 5000, 160, 10000);

  for (guint i = 0; i < packets->len; i++)
    {
      const Packet *pkt = packet_at (packets, i);
      g_assert_cmpint (pkt->marker, ==, i == 0);
      if (i == 0 || pkt->ts != segment_ts)
        {
          /* A new segment starts exactly where the one before stopped, at 0xFFFF. */
          if (i > 0)
            {
              g_assert_cmpuint (last_duration, ==, 0xFFFF);
              g_assert_false (packet_at (packets, i - 1)->p.end);
              g_assert_cmpuint (pkt->ts - segment_ts, ==, 0xFFFF);
              total += last_duration;
            }
          segment_ts = pkt->ts;
          segments++;
        }
      else if (!pkt->p.end || !packet_at (packets, i - 1)->p.end)
        g_assert_cmpuint (pkt->p.duration, >, last_duration);
      else
        g_assert_cmpuint (pkt->p.duration, ==, last_duration);
      ends += pkt->p.end;
      last_duration = pkt->p.duration;
    }
  total += last_duration;
  g_assert_cmpuint (segments, ==, 2);
  g_assert_cmpuint (ends, ==, 3);
  g_assert_cmpuint (total, ==, 80000);
  g_assert_cmpuint (packet_at (packets, 0)->ts, ==, 5000);
  /* The segment closes on the packet that would have passed 0xFFFF (409 * 160 + 160). */
  assert_packet (packet_at (packets, 408), 0, 65440, FALSE, FALSE, 5000);
  assert_packet (packet_at (packets, 409), 0, 0xFFFF, FALSE, FALSE, 5000);
  assert_packet (packet_at (packets, 410), 0, 65760 - 0xFFFF, FALSE, FALSE, 5000 + 0xFFFF);
  assert_packet (packet_at (packets, packets->len - 1), 0, 80000 - 0xFFFF, TRUE, FALSE,
                 5000 + 0xFFFF);

  /* The far end hears one key, even with the packets around the cut lost or reordered. */
  receiver = listen_to (&heard);
  for (guint i = 0; i < packets->len; i++)
    if (i < 405 || i > 412)
      push (receiver, packet_at (packets, i));
  g_assert_cmpstr (heard.digits->str, ==, "0");
  g_assert_cmpuint (heard_duration (&heard, 0), ==, 20);
  bell_dtmf_receiver_reset (receiver);
  g_string_truncate (heard.digits, 0);
  for (guint i = 0; i < packets->len; i++)
    {
      guint j = i == 409 ? 410 : i == 410 ? 409 : i;
      push (receiver, packet_at (packets, j));
    }
  g_assert_cmpstr (heard.digits->str, ==, "0");
  heard_clear (&heard);
}

static void
test_sender_invalid (void)
{
  g_autoptr(BellDtmfSender) sender = bell_dtmf_sender_new (101, 8000, 20);
  g_autoptr(GError) error = NULL;
  g_autofree char *many = g_strnfill (BELL_DTMF_MAX_QUEUE, '1');

  g_assert_false (bell_dtmf_sender_queue (sender, "12x4", &error));
  g_assert_error (error, BELL_DTMF_ERROR, BELL_DTMF_ERROR_INVALID_DIGIT);
  g_assert_nonnull (strstr (error->message, "“x” at position 3"));
  g_clear_error (&error);
  /* All or nothing: the 1 and 2 before the typo were not queued. */
  g_assert_false (bell_dtmf_sender_is_busy (sender));

  for (const char *bad = "!, pw+eE\t\n"; *bad; bad++)
    {
      char digits[2] = { *bad, '\0' };
      g_assert_false (bell_dtmf_sender_queue (sender, digits, &error));
      g_assert_error (error, BELL_DTMF_ERROR, BELL_DTMF_ERROR_INVALID_DIGIT);
      g_clear_error (&error);
    }
  g_assert_false (bell_dtmf_sender_queue (sender, "\x01", &error));
  g_assert_nonnull (strstr (error->message, "0x01"));
  g_clear_error (&error);

  g_assert_true (bell_dtmf_sender_queue (sender, "", &error));
  g_assert_no_error (error);
  g_assert_false (bell_dtmf_sender_is_busy (sender));

  g_assert_true (bell_dtmf_sender_queue (sender, many, &error));
  g_assert_false (bell_dtmf_sender_queue (sender, "1", &error));
  g_assert_error (error, BELL_DTMF_ERROR, BELL_DTMF_ERROR_QUEUE_FULL);
  g_clear_error (&error);
  bell_dtmf_sender_clear (sender);
  g_assert_false (bell_dtmf_sender_is_busy (sender));
}

static void
test_sender_lowercase (void)
{
  g_autoptr(GArray) packets = send_digits ("abcd", 8000, 20);

  g_array_unref (assert_keys (packets, "ABCD", 800, 160, 560));
}

static void
test_sender_clear (void)
{
  g_autoptr(BellDtmfSender) sender = bell_dtmf_sender_new (101, 8000, 20);
  g_autoptr(GArray) packets = NULL;
  guint8 data[4];
  gsize len;
  gboolean marker;
  guint32 ts;

  g_assert_true (bell_dtmf_sender_queue (sender, "123", NULL));
  g_assert_true (bell_dtmf_sender_next (sender, 0, data, &len, &marker, &ts));
  /* The key being sent still ends with its E packets; the others are gone. */
  bell_dtmf_sender_clear (sender);
  g_assert_true (bell_dtmf_sender_is_busy (sender));
  packets = run_sender (sender, 160, 160, 100);
  g_assert_cmpuint (packets->len, ==, 6);
  assert_packet (packet_at (packets, 5), 1, 800, TRUE, FALSE, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* Receiver */

static void
test_receiver_round_trip (void)
{
  const char *all = "0123456789*#ABCD";
  g_autofree char *heard20 = round_trip (all, 20, NULL, NULL, 0);
  g_autofree char *heard50 = round_trip (all, 50, NULL, NULL, 0);

  g_assert_cmpstr (heard20, ==, all);
  g_assert_cmpstr (heard50, ==, all);
}

static void
test_receiver_reports_on_start (void)
{
  g_autoptr(GArray) packets = send_digits ("78", 8000, 20);
  g_autoptr(BellDtmfReceiver) receiver = NULL;
  Heard heard;

  heard_init (&heard);
  receiver = bell_dtmf_receiver_new (8000, on_digit, &heard, on_heard_destroyed);
  push (receiver, packet_at (packets, 0));
  /* Heard on the first packet, not when the key is let go. */
  g_assert_cmpstr (heard.digits->str, ==, "7");
  g_assert_cmpuint (heard_duration (&heard, 0), ==, 20);
  for (guint i = 1; i < packets->len; i++)
    push (receiver, packet_at (packets, i));
  g_assert_cmpstr (heard.digits->str, ==, "78");
  g_clear_pointer (&receiver, bell_dtmf_receiver_free);
  g_assert_cmpuint (heard.destroyed, ==, 1);
  heard_clear (&heard);
}

static gboolean
drop_starts (guint i, const Packet *pkt)
{
  return !pkt->marker;
}

static gboolean
ends_only (guint i, const Packet *pkt)
{
  return pkt->p.end;
}

static gboolean
drop_ends (guint i, const Packet *pkt)
{
  return !pkt->p.end;
}

static gboolean
drop_all_but_last_end (guint i, const Packet *pkt)
{
  return pkt->p.end && (i % 7) == 6;
}

static void
test_receiver_lost_start (void)
{
  g_autoptr(GArray) packets = send_digits ("2", 8000, 20);
  g_autoptr(BellDtmfReceiver) receiver = NULL;
  g_autofree char *a = round_trip ("1234567890", 20, drop_starts, NULL, 0);
  g_autofree char *b = round_trip ("1234567890", 20, ends_only, NULL, 0);
  g_autofree char *c = round_trip ("1234567890", 20, drop_all_but_last_end, NULL, 0);
  g_autofree char *d = round_trip ("1234567890", 20, drop_ends, NULL, 0);
  Heard heard;

  g_assert_cmpstr (a, ==, "1234567890");
  g_assert_cmpstr (b, ==, "1234567890");
  g_assert_cmpstr (c, ==, "1234567890");
  g_assert_cmpstr (d, ==, "1234567890");

  /* Reported with what the first packet to arrive says: here the end, the whole tone. */
  receiver = listen_to (&heard);
  for (guint i = 4; i < packets->len; i++)
    push (receiver, packet_at (packets, i));
  g_assert_cmpstr (heard.digits->str, ==, "2");
  g_assert_cmpuint (heard_duration (&heard, 0), ==, 100);
  heard_clear (&heard);
}

static void
test_receiver_duplicated_ends (void)
{
  g_autoptr(GArray) packets = send_digits ("3", 8000, 20);
  g_autoptr(BellDtmfReceiver) receiver = NULL;
  Heard heard;

  receiver = listen_to (&heard);
  for (guint i = 0; i < packets->len; i++)
    push (receiver, packet_at (packets, i));
  /* The ends again, and the whole event replayed (a duplicating path). */
  for (guint i = 4; i < packets->len; i++)
    push (receiver, packet_at (packets, i));
  for (guint i = 0; i < packets->len; i++)
    push (receiver, packet_at (packets, i));
  g_assert_cmpstr (heard.digits->str, ==, "3");
  g_assert_cmpuint (bell_dtmf_receiver_get_malformed (receiver), ==, 0);
  heard_clear (&heard);
}

static void
test_receiver_reordered (void)
{
  g_autoptr(GArray) packets = send_digits ("5005", 8000, 20);
  g_autofree guint *order = g_new (guint, packets->len);
  g_autofree guint *pairs = g_new (guint, packets->len);
  g_autofree char *a = NULL, *b = NULL;

  /* Each run of four packets reversed: a key's middle before its start, ends before the
   * packets they end, and the last end of one key after the start of the next. */
  for (guint i = 0; i < packets->len; i++)
    {
      guint run = i / 4 * 4, n = MIN (4, packets->len - run);
      order[i] = run + (n - 1 - (i - run));
      pairs[i] = (i ^ 1) < packets->len ? (i ^ 1) : i;
    }
  a = round_trip ("5005", 20, NULL, order, packets->len);
  b = round_trip ("5005", 20, NULL, pairs, packets->len);
  g_assert_cmpstr (a, ==, "5005");
  g_assert_cmpstr (b, ==, "5005");
}

static void
test_receiver_same_digit_twice (void)
{
  g_autoptr(GArray) packets = send_digits ("99", 8000, 20);
  g_autofree char *plain = round_trip ("99", 20, NULL, NULL, 0);
  g_autofree char *no_ends = round_trip ("99", 20, drop_ends, NULL, 0);
  g_autofree char *no_starts = round_trip ("99", 20, drop_starts, NULL, 0);
  g_autoptr(BellDtmfReceiver) receiver = NULL;
  Heard heard;

  g_assert_cmpstr (plain, ==, "99");
  g_assert_cmpstr (no_ends, ==, "99");
  g_assert_cmpstr (no_starts, ==, "99");

  /* Told apart by the timestamp alone: the same payload under another timestamp is a key
   * pressed again. */
  receiver = listen_to (&heard);
  for (guint k = 0; k < 3; k++)
    {
      const Packet *pkt = packet_at (packets, 6);
      g_assert_true (bell_dtmf_receiver_push (receiver, pkt->data, pkt->len, 100000 + k * 2000,
                                              (guint16) (7 + k), FALSE));
    }
  g_assert_cmpstr (heard.digits->str, ==, "999");

  /* The ends of a key all lost, and the same key under the timestamp where it stopped: with
   * a marker that is a new press; without one, the next segment of the same press. */
  {
    static const guint8 held[4] = { 9, 10, 3, 32 };    /* 800 */
    static const guint8 again[4] = { 9, 10, 0, 160 };

    bell_dtmf_receiver_reset (receiver);
    g_string_truncate (heard.digits, 0);
    g_assert_true (bell_dtmf_receiver_push (receiver, held, 4, 5000, 1, TRUE));
    g_assert_true (bell_dtmf_receiver_push (receiver, again, 4, 5800, 2, TRUE));
    g_assert_cmpstr (heard.digits->str, ==, "99");
    bell_dtmf_receiver_reset (receiver);
    g_assert_true (bell_dtmf_receiver_push (receiver, held, 4, 5000, 1, TRUE));
    g_assert_true (bell_dtmf_receiver_push (receiver, again, 4, 5800, 2, FALSE));
    g_assert_cmpstr (heard.digits->str, ==, "999");
  }
  heard_clear (&heard);
}

static void
test_receiver_malformed (void)
{
  g_autoptr(BellDtmfReceiver) receiver = NULL;
  static const guint8 short_payload[3] = { 1, 10, 0 };
  static const guint8 tone[4] = { 17, 10, 0, 160 };      /* not DTMF */
  static const guint8 high[4] = { 255, 0x8a, 3, 32 };
  static const guint8 flash[4] = { 16, 10, 0, 160 };
  static const guint8 five[8] = { 5, 10, 0, 160, 0xde, 0xad, 0xbe, 0xef };
  static const guint8 six[4] = { 6, 10, 1, 64 };       /* 320 */
  Heard heard;

  receiver = listen_to (&heard);
  g_assert_false (bell_dtmf_receiver_push (receiver, short_payload, 3, 0, 1, TRUE));
  g_assert_false (bell_dtmf_receiver_push (receiver, NULL, 0, 0, 2, TRUE));
  g_assert_false (bell_dtmf_receiver_push (receiver, tone, 4, 0, 3, TRUE));
  g_assert_false (bell_dtmf_receiver_push (receiver, high, 4, 0, 4, TRUE));
  g_assert_cmpuint (bell_dtmf_receiver_get_malformed (receiver), ==, 4);
  g_assert_cmpstr (heard.digits->str, ==, "");

  /* A hook flash is an event, but no key. Bytes after the first block are not read. */
  g_assert_true (bell_dtmf_receiver_push (receiver, flash, 4, 800, 5, TRUE));
  g_assert_true (bell_dtmf_receiver_push (receiver, five, 8, 1600, 6, TRUE));
  /* Another key under a timestamp already taken: a broken sender, counted. */
  g_assert_false (bell_dtmf_receiver_push (receiver, six, 4, 1600, 7, FALSE));
  g_assert_cmpuint (bell_dtmf_receiver_get_malformed (receiver), ==, 5);
  g_assert_cmpstr (heard.digits->str, ==, "!5");
  g_assert_cmpuint (heard_duration (&heard, 1), ==, 20);
  heard_clear (&heard);
}

static void
test_receiver_late (void)
{
  g_autoptr(GArray) packets = send_digits ("12", 8000, 20);
  g_autoptr(BellDtmfReceiver) receiver = NULL;
  const Packet *first = NULL;
  Heard heard;

  receiver = listen_to (&heard);
  for (guint i = 7; i < packets->len; i++)
    push (receiver, packet_at (packets, i));
  /* The first key's start, arriving after the second key (reordered, but in the window). */
  first = packet_at (packets, 0);
  push (receiver, first);
  g_assert_cmpstr (heard.digits->str, ==, "21");

  /* Far behind the newest: the events it could belong to are forgotten. */
  g_assert_true (bell_dtmf_receiver_push (receiver, first->data, 4, 1, 2000, TRUE));
  g_assert_false (bell_dtmf_receiver_push (receiver, first->data, 4, 2, 2000 - 40, TRUE));
  g_assert_cmpuint (bell_dtmf_receiver_get_late (receiver), ==, 1);
  g_assert_cmpstr (heard.digits->str, ==, "211");

  /* Thousands behind: the peer started over, and is heard again. */
  g_assert_true (bell_dtmf_receiver_push (receiver, first->data, 4, 3, 2000 - 5000 + 65536, TRUE));
  g_assert_cmpstr (heard.digits->str, ==, "2111");
  /* Sequence numbers wrap. */
  g_assert_true (bell_dtmf_receiver_push (receiver, first->data, 4, 4, 65530, TRUE));
  g_assert_true (bell_dtmf_receiver_push (receiver, first->data, 4, 5, 3, TRUE));
  g_assert_cmpstr (heard.digits->str, ==, "211111");
  g_assert_cmpuint (bell_dtmf_receiver_get_late (receiver), ==, 1);
  heard_clear (&heard);
}

/* ------------------------------------------------------------------------------------------ */
/* SIP INFO */

static void
test_info_body (void)
{
  g_autofree char *five = bell_dtmf_info_body ('5', 160);
  g_autofree char *star = bell_dtmf_info_body ('*', 250);
  g_autofree char *lower = bell_dtmf_info_body ('c', 100);
  const char *keys = "0123456789*#ABCDabcd!";

  g_assert_cmpstr (five, ==, "Signal=5\r\nDuration=160\r\n");
  g_assert_cmpstr (star, ==, "Signal=*\r\nDuration=250\r\n");
  g_assert_cmpstr (lower, ==, "Signal=C\r\nDuration=100\r\n");
  for (guint i = 0; keys[i]; i++)
    {
      g_autofree char *body = bell_dtmf_info_body (keys[i], 40 + i);
      char digit = 0;
      guint duration = 0;
      g_assert_true (bell_dtmf_info_parse (body, strlen (body), &digit, &duration));
      g_assert_cmpint (digit, ==, g_ascii_toupper (keys[i]));
      g_assert_cmpuint (duration, ==, 40 + i);
    }
}

static void
test_info_parse (void)
{
  static const struct
  {
    const char *body;
    char        digit;
    guint       duration;
  } good[] = {
    { "Signal=5\r\nDuration=160\r\n", '5', 160 },
    { "Signal= *\r\nDuration= 250\r\n", '*', 250 },
    { "Signal = #\r\nDuration = 100\r\n", '#', 100 },
    { "signal=1\nduration=100\n", '1', 100 },
    { "SIGNAL=9\r\nDURATION=90", '9', 90 },
    { "Signal=d\r\nDuration=160\r\n", 'D', 160 },
    { "Duration=300\r\nSignal=0\r\n", '0', 300 },
    { "Signal=10\r\nDuration=160\r\n", '*', 160 },        /* event numbers */
    { "Signal=11\r\n", '#', 0 },
    { "Signal=12\r\n", 'A', 0 },
    { "Signal=16\r\nDuration=500\r\n", '!', 500 },        /* flash */
    { "Signal=!\r\n", '!', 0 },
    { "Signal=7", '7', 0 },
    { "\r\nSignal=3\r\n\r\nDuration=120\r\n\r\n", '3', 120 },
    { "Signal=4\r\nVolume=10\r\nDuration=100\r\n", '4', 100 },
    { "  Signal\t=\t6  \r\n", '6', 0 },
    { "Signal=8\r\nDuration=abc\r\n", '8', 0 },          /* a key with an unreadable length */
    { "Signal=2\r\nSignal=3\r\n", '2', 0 },               /* the first one counts */
  };
  static const char *const bad[] = {
    "", "\r\n", "Duration=160\r\n", "Signal=\r\nDuration=160\r\n", "Signal=X\r\n", "Signal=17",
    "Signal=55", "Signal=5 6", "Signal 5\r\n", "Signal=-1", "Signal=**", "Signal:5\r\n",
    "Sig=5", "XSignal=5",
  };
  const char cut[] = "Signal=5\r\nDuration=160";
  char digit;
  guint duration;

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      digit = 0;
      duration = 12345;
      if (!bell_dtmf_info_parse (good[i].body, strlen (good[i].body), &digit, &duration))
        g_error ("did not parse: “%s”", good[i].body);
      g_assert_cmpint (digit, ==, good[i].digit);
      g_assert_cmpuint (duration, ==, good[i].duration);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      digit = 'z';
      if (bell_dtmf_info_parse (bad[i], strlen (bad[i]), &digit, &duration))
        g_error ("parsed, but should not have: “%s”", bad[i]);
      g_assert_cmpint (digit, ==, 'z');
    }

  /* The body's length is what counts, not a NUL. */
  g_assert_true (bell_dtmf_info_parse (cut, 8, &digit, &duration));
  g_assert_cmpint (digit, ==, '5');
  g_assert_cmpuint (duration, ==, 0);
  g_assert_true (bell_dtmf_info_parse (cut, sizeof cut - 2, &digit, &duration));
  g_assert_cmpuint (duration, ==, 16);
  g_assert_false (bell_dtmf_info_parse (cut, 7, &digit, &duration));
  g_assert_false (bell_dtmf_info_parse (NULL, 0, &digit, &duration));
  g_assert_false (bell_dtmf_info_parse ("Signal=\0005", 9, &digit, &duration));
  /* The outputs may be left out. */
  g_assert_true (bell_dtmf_info_parse (cut, sizeof cut - 1, NULL, NULL));
}

static void
test_info_parse_plain (void)
{
  static const struct
  {
    const char *body;
    char        digit;
  } good[] = {
    { "5", '5' }, { "5\r\n", '5' }, { "#\n", '#' }, { " * ", '*' }, { "a", 'A' },
    { "D\r\n", 'D' }, { "10", '*' }, { "11\r\n", '#' }, { "!", '!' },
  };
  static const char *const bad[] = { "", "\r\n", "x", "55", "17", "5 5", "Signal=5" };
  char digit;

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      digit = 0;
      g_assert_true (bell_dtmf_info_parse_plain (good[i].body, strlen (good[i].body), &digit));
      g_assert_cmpint (digit, ==, good[i].digit);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    if (bell_dtmf_info_parse_plain (bad[i], strlen (bad[i]), &digit))
      g_error ("parsed, but should not have: “%s”", bad[i]);
  g_assert_true (bell_dtmf_info_parse_plain ("78", 1, &digit));
  g_assert_cmpint (digit, ==, '7');
  g_assert_false (bell_dtmf_info_parse_plain (NULL, 0, &digit));
}

/* ------------------------------------------------------------------------------------------ */
/* Corpus: SIPp's RFC 2833 captures */

typedef struct
{
  guint16 seq;
  guint32 ts;
  guint32 ssrc;
  guint8  pt;
  gboolean marker;
  gsize   len;
  guint8  payload[64];
} RtpPacket;

static guint32
rd32 (const guint8 *p, gboolean swap)
{
  guint32 v;

  memcpy (&v, p, 4);
  return swap ? GUINT32_SWAP_LE_BE (v) : v;
}

/* A classic pcap file (either byte order, µs or ns stamps) of Ethernet frames: the RTP
 * packets of the IPv4 or IPv6 UDP datagrams in it, in order. */
static GArray *
read_pcap_rtp (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  GArray *packets = g_array_new (FALSE, TRUE, sizeof (RtpPacket));
  const guint8 *p, *end;
  gsize size = 0;
  guint32 magic;
  gboolean swap;

  if (!g_file_get_contents (path, &contents, &size, &error))
    g_error ("%s", error->message);
  g_assert_cmpuint (size, >=, 24);
  p = (const guint8 *) contents;
  end = p + size;
  memcpy (&magic, p, 4);
  swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
  g_assert_true (swap || magic == 0xa1b2c3d4 || magic == 0xa1b23c4d);
  g_assert_cmpuint (rd32 (p + 20, swap), ==, 1);   /* LINKTYPE_ETHERNET */

  for (p += 24; p + 16 <= end;)
    {
      guint32 caplen = rd32 (p + 8, swap);
      const guint8 *frame = p + 16, *l3, *udp, *rtp, *frame_end;
      guint16 ethertype;
      RtpPacket pkt = { 0 };
      gsize rtp_len, header;

      g_assert_cmpuint (caplen, <=, (gsize) (end - frame));
      frame_end = frame + caplen;
      p = frame_end;
      g_assert_cmpuint (caplen, >=, 14);
      ethertype = (guint16) (frame[12] << 8 | frame[13]);
      l3 = frame + 14;
      if (ethertype == 0x8100)
        {
          ethertype = (guint16) (frame[16] << 8 | frame[17]);
          l3 += 4;
        }
      if (ethertype == 0x0800 && (l3[0] >> 4) == 4 && l3[9] == 17)
        udp = l3 + (l3[0] & 0x0f) * 4;
      else if (ethertype == 0x86dd && (l3[0] >> 4) == 6 && l3[6] == 17)
        udp = l3 + 40;
      else
        continue;
      g_assert_true (udp + 8 <= frame_end);
      rtp = udp + 8;
      rtp_len = (gsize) (frame_end - rtp);
      g_assert_cmpuint (rtp_len, >=, 12);
      g_assert_cmpuint (rtp[0] >> 6, ==, 2);
      header = 12 + (rtp[0] & 0x0f) * 4;
      if (rtp[0] & 0x10)
        header += 4 + 4 * (gsize) (rtp[header + 2] << 8 | rtp[header + 3]);
      if (rtp[0] & 0x20)
        rtp_len -= rtp[rtp_len - 1];
      g_assert_cmpuint (header, <=, rtp_len);
      pkt.marker = (rtp[1] & 0x80) != 0;
      pkt.pt = rtp[1] & 0x7f;
      pkt.seq = (guint16) (rtp[2] << 8 | rtp[3]);
      pkt.ts = (guint32) rtp[4] << 24 | (guint32) rtp[5] << 16 | (guint32) rtp[6] << 8 | rtp[7];
      pkt.ssrc = (guint32) rtp[8] << 24 | (guint32) rtp[9] << 16 | (guint32) rtp[10] << 8 | rtp[11];
      pkt.len = MIN (rtp_len - header, sizeof pkt.payload);
      memcpy (pkt.payload, rtp + header, pkt.len);
      g_array_append_val (packets, pkt);
    }
  return packets;
}

typedef struct
{
  char      *dir;
  char      *file;       /* dtmf_2833_5.pcap */
  char       digit;
  GPtrArray *rows;       /* char ** of PACKETS.tsv, this file's, in order */
} CorpusCapture;

static void
corpus_capture_free (gpointer data)
{
  CorpusCapture *capture = data;

  g_free (capture->dir);
  g_free (capture->file);
  g_ptr_array_unref (capture->rows);
  g_free (capture);
}

static char
digit_of_file (const char *file)
{
  g_autofree char *name = g_strndup (file, strlen (file) - strlen (".pcap"));
  const char *key = name + strlen ("dtmf_2833_");

  if (g_str_equal (key, "star"))
    return '*';
  if (g_str_equal (key, "pound"))
    return '#';
  g_assert_cmpuint (strlen (key), ==, 1);
  return key[0];
}

static guint64
col_uint (char **row, guint i)
{
  guint64 v = 0;

  g_assert_cmpuint (i, <, g_strv_length (row));
  g_assert_true (g_ascii_string_to_unsigned (row[i], 10, 0, G_MAXUINT32, &v, NULL) ||
                 (g_str_has_prefix (row[i], "0x") &&
                  g_ascii_string_to_unsigned (row[i] + 2, 16, 0, G_MAXUINT32, &v, NULL)));
  return v;
}

static void
test_corpus_missing (void)
{
  g_test_skip ("corpus not found (BELL_CORPUS_DIR/rfc4733-dtmf)");
}

static void
test_corpus_capture (gconstpointer data)
{
  const CorpusCapture *capture = data;
  g_autofree char *path = g_build_filename (capture->dir, "pcap", capture->file, NULL);
  g_autoptr(GArray) packets = read_pcap_rtp (path);
  g_autoptr(BellDtmfReceiver) receiver = NULL;
  guint32 event_ts = 0;
  Heard heard;

  /* Every packet as PACKETS.tsv describes it (columns: file linktype pkt pcap_time udp_sport
   * udp_dport rtp_v marker pt seq rtp_ts ssrc payload_len event E R volume duration). */
  g_assert_cmpuint (packets->len, ==, capture->rows->len);
  g_assert_cmpuint (packets->len, >, 0);
  for (guint i = 0; i < packets->len; i++)
    {
      const RtpPacket *pkt = &g_array_index (packets, RtpPacket, i);
      char **row = capture->rows->pdata[i];
      BellDtmfPayload p;

      g_assert_true (bell_dtmf_payload_parse (pkt->payload, pkt->len, &p));
      g_assert_cmpuint (col_uint (row, 2), ==, i + 1);
      g_assert_cmpuint (col_uint (row, 7), ==, pkt->marker);
      g_assert_cmpuint (col_uint (row, 8), ==, pkt->pt);
      g_assert_cmpuint (col_uint (row, 9), ==, pkt->seq);
      g_assert_cmpuint (col_uint (row, 10), ==, pkt->ts);
      g_assert_cmpuint (col_uint (row, 11), ==, pkt->ssrc);
      g_assert_cmpuint (col_uint (row, 12), ==, pkt->len);
      g_assert_cmpuint (col_uint (row, 13), ==, p.event);
      g_assert_cmpuint (col_uint (row, 14), ==, p.end);
      g_assert_cmpuint (col_uint (row, 15), ==, (pkt->payload[1] & 0x40) != 0);
      g_assert_cmpuint (col_uint (row, 16), ==, p.volume);
      g_assert_cmpuint (col_uint (row, 17), ==, p.duration);
      g_assert_cmpint (bell_dtmf_char_from_event (p.event), ==, capture->digit);
      /* One event a capture: one timestamp throughout. */
      if (i == 0)
        event_ts = pkt->ts;
      g_assert_cmpuint (pkt->ts, ==, event_ts);
    }

  /* Whole, without its first packet (whose duration is 0), and with only the ends: one key
   * each time; the three ends share one sequence number, so the window is not disturbed. */
  receiver = listen_to (&heard);
  for (guint pass = 0; pass < 3; pass++)
    {
      bell_dtmf_receiver_reset (receiver);
      for (guint i = 0; i < packets->len; i++)
        {
          const RtpPacket *pkt = &g_array_index (packets, RtpPacket, i);
          BellDtmfPayload p;

          g_assert_true (bell_dtmf_payload_parse (pkt->payload, pkt->len, &p));
          if ((pass == 1 && i == 0) || (pass == 2 && !p.end))
            continue;
          g_assert_true (bell_dtmf_receiver_push (receiver, pkt->payload, pkt->len, pkt->ts,
                                                  pkt->seq, pkt->marker));
        }
    }
  g_assert_cmpuint (bell_dtmf_receiver_get_malformed (receiver), ==, 0);
  g_assert_cmpuint (bell_dtmf_receiver_get_late (receiver), ==, 0);
  g_assert_cmpuint (heard.digits->len, ==, 3);
  for (guint pass = 0; pass < 3; pass++)
    g_assert_cmpint (heard.digits->str[pass], ==, capture->digit);
  g_assert_cmpuint (heard_duration (&heard, 0), ==, 0);     /* 0 units */
  g_assert_cmpuint (heard_duration (&heard, 1), ==, 40);    /* 320 */
  g_assert_cmpuint (heard_duration (&heard, 2), ==, 280);   /* 2240, the whole key */
  heard_clear (&heard);
}

/* The captures listed in PACKETS.tsv, each with its rows; NULL without the corpus. */
static GPtrArray *
read_corpus (const char *corpus)
{
  g_autofree char *dir = g_build_filename (corpus, "rfc4733-dtmf", NULL);
  g_autofree char *tsv = g_build_filename (dir, "PACKETS.tsv", NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *captures;
  CorpusCapture *capture = NULL;

  if (!g_file_get_contents (tsv, &contents, NULL, NULL))
    return NULL;
  captures = g_ptr_array_new_with_free_func (corpus_capture_free);
  lines = g_strsplit (contents, "\n", -1);
  g_assert_true (g_str_has_prefix (lines[0], "file\tlinktype\tpkt\t"));
  for (guint i = 1; lines[i] != NULL; i++)
    {
      char **row;

      g_strchomp (lines[i]);
      if (lines[i][0] == '\0')
        continue;
      row = g_strsplit (lines[i], "\t", -1);
      g_assert_cmpuint (g_strv_length (row), ==, 18);
      if (capture == NULL || !g_str_equal (capture->file, row[0]))
        {
          capture = g_new0 (CorpusCapture, 1);
          capture->dir = g_strdup (dir);
          capture->file = g_strdup (row[0]);
          capture->digit = digit_of_file (row[0]);
          capture->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
          g_ptr_array_add (captures, capture);
        }
      g_ptr_array_add (capture->rows, row);
    }
  return captures;
}

int
main (int argc, char *argv[])
{
  g_autoptr(GPtrArray) captures = NULL;
  const char *corpus;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dtmf/keys", test_keys);
  g_test_add_func ("/dtmf/sender/one-digit", test_sender_one_digit);
  g_test_add_func ("/dtmf/sender/ptime-50", test_sender_ptime_50);
  g_test_add_func ("/dtmf/sender/wideband", test_sender_wideband);
  g_test_add_func ("/dtmf/sender/short-tone", test_sender_short_tone);
  g_test_add_func ("/dtmf/sender/digits-with-pauses", test_sender_digits_with_pauses);
  g_test_add_func ("/dtmf/sender/custom-durations", test_sender_custom_durations);
  g_test_add_func ("/dtmf/sender/timestamp-wrap", test_sender_timestamp_wrap);
  g_test_add_func ("/dtmf/sender/late-calls", test_sender_late_calls);
  g_test_add_func ("/dtmf/sender/long-event", test_sender_long_event);
  g_test_add_func ("/dtmf/sender/invalid", test_sender_invalid);
  g_test_add_func ("/dtmf/sender/lowercase", test_sender_lowercase);
  g_test_add_func ("/dtmf/sender/clear", test_sender_clear);
  g_test_add_func ("/dtmf/receiver/round-trip", test_receiver_round_trip);
  g_test_add_func ("/dtmf/receiver/reports-on-start", test_receiver_reports_on_start);
  g_test_add_func ("/dtmf/receiver/lost-start", test_receiver_lost_start);
  g_test_add_func ("/dtmf/receiver/duplicated-ends", test_receiver_duplicated_ends);
  g_test_add_func ("/dtmf/receiver/reordered", test_receiver_reordered);
  g_test_add_func ("/dtmf/receiver/same-digit-twice", test_receiver_same_digit_twice);
  g_test_add_func ("/dtmf/receiver/malformed", test_receiver_malformed);
  g_test_add_func ("/dtmf/receiver/late", test_receiver_late);
  g_test_add_func ("/dtmf/info/body", test_info_body);
  g_test_add_func ("/dtmf/info/parse", test_info_parse);
  g_test_add_func ("/dtmf/info/parse-plain", test_info_parse_plain);

  corpus = g_getenv ("BELL_CORPUS_DIR");
  if (corpus != NULL)
    captures = read_corpus (corpus);
  if (captures == NULL || captures->len == 0)
    g_test_add_func ("/dtmf/corpus", test_corpus_missing);
  else
    for (guint i = 0; i < captures->len; i++)
      {
        const CorpusCapture *capture = captures->pdata[i];
        g_autofree char *name = g_strdup_printf ("/dtmf/corpus/%s", capture->file);
        g_test_add_data_func (name, capture, test_corpus_capture);
      }

  return g_test_run ();
}
