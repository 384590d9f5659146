/* test-call-text.c: what the call view says about a call's quality, from synthetic "quality"
 * and "media" figures fed to a BellCall (bell-call.c needs only GObject: no display here).
 */
#include "config.h"

#include <math.h>
#include <string.h>
#include "bell-call.h"

/* A quality report as the core sends one on a clean Opus call. */
static BellCallQuality
clean_report (void)
{
  return (BellCallQuality) {
    .loss = 0.012, .jitter_ms = 8.4, .rtt_ms = 40.2, .remote_loss = 0.02, .mos = 4.1,
    .codec = "OPUS", .bitrate = 24000, .fec = FALSE, .red = 0, .jitter_buffer_ms = 40,
    .sent = 1000, .received = 990, .lost = 10, .late = 2,
    .frames = 1500, .frames_fec = 3, .frames_red = 5, .frames_concealed = 4,
  };
}

static BellCall *
connected_call (const char *codec)
{
  BellCall *call = bell_call_new (1, TRUE, "sip:bob@example.com");

  bell_call_update_state (call, BELL_CALL_STATE_CONNECTED, 200, NULL);
  bell_call_update_media (call, codec, FALSE, NULL);
  return call;
}

static void
on_changed (BellCall *call, guint *count)
{
  (*count)++;
}

static void
test_bands (void)
{
  const struct { double mos; BellCallQualityBand band; const char *word; } cases[] = {
    { 4.5, BELL_CALL_QUALITY_EXCELLENT, "Excellent" },
    { 4.3, BELL_CALL_QUALITY_EXCELLENT, "Excellent" },
    { 4.29, BELL_CALL_QUALITY_GOOD, "Good" },
    { 4.0, BELL_CALL_QUALITY_GOOD, "Good" },
    { 3.99, BELL_CALL_QUALITY_FAIR, "Fair" },
    { 3.6, BELL_CALL_QUALITY_FAIR, "Fair" },
    { 3.59, BELL_CALL_QUALITY_POOR, "Poor" },
    { 3.1, BELL_CALL_QUALITY_POOR, "Poor" },
    { 3.09, BELL_CALL_QUALITY_BAD, "Bad" },
    { 1.0, BELL_CALL_QUALITY_BAD, "Bad" },
    { 0, BELL_CALL_QUALITY_UNKNOWN, NULL },
    { -1, BELL_CALL_QUALITY_UNKNOWN, NULL },
    { NAN, BELL_CALL_QUALITY_UNKNOWN, NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      BellCallQualityBand band = bell_call_quality_band_for_mos (cases[i].mos);

      g_test_message ("MOS %.2f", cases[i].mos);
      g_assert_cmpint (band, ==, cases[i].band);
      g_assert_cmpstr (bell_call_quality_band_to_string (band), ==, cases[i].word);
    }
}

static void
test_codec_names (void)
{
  g_assert_cmpstr (bell_call_codec_display_name ("OPUS"), ==, "Opus");
  g_assert_cmpstr (bell_call_codec_display_name ("opus"), ==, "Opus");
  g_assert_cmpstr (bell_call_codec_display_name ("G722"), ==, "G.722");
  g_assert_cmpstr (bell_call_codec_display_name ("PCMU"), ==, "G.711 µ-law");
  g_assert_cmpstr (bell_call_codec_display_name ("PCMA"), ==, "G.711 A-law");
  g_assert_cmpstr (bell_call_codec_display_name ("GSM"), ==, "GSM");
  g_assert_null (bell_call_codec_display_name (NULL));
}

static void
test_codec_text (void)
{
  g_autoptr(BellCall) call = bell_call_new (1, TRUE, "sip:bob@example.com");
  BellCallQuality q = clean_report ();
  g_autofree char *none = bell_call_dup_codec_text (call);
  g_autofree char *negotiated = NULL, *sending = NULL, *half = NULL, *switched = NULL;
  g_autofree char *g722 = NULL;

  /* Nothing before the offer/answer; its codec alone until a report says the bitrate. */
  g_assert_null (none);
  bell_call_update_media (call, "OPUS", FALSE, NULL);
  negotiated = bell_call_dup_codec_text (call);
  g_assert_cmpstr (negotiated, ==, "Opus");
  bell_call_update_quality (call, &q);
  sending = bell_call_dup_codec_text (call);
  g_assert_cmpstr (sending, ==, "Opus 24 kbit/s");
  q.bitrate = 12500;
  bell_call_update_quality (call, &q);
  half = bell_call_dup_codec_text (call);
  g_assert_cmpstr (half, ==, "Opus 12.5 kbit/s");

  /* A re-INVITE to G.711: the Opus bitrate and FEC of the last report no longer apply. */
  q.fec = TRUE;
  bell_call_update_quality (call, &q);
  bell_call_update_media (call, "PCMA", FALSE, NULL);
  switched = bell_call_dup_codec_text (call);
  g_assert_cmpstr (switched, ==, "G.711 A-law");
  g_assert_false (bell_call_get_quality (call)->fec);
  g_assert_cmpuint (bell_call_get_quality (call)->bitrate, ==, 0);

  /* Only Opus has a bitrate worth saying (G.722 and G.711 have one rate each). */
  q = clean_report ();
  q.codec = "G722";
  q.bitrate = 64000;
  bell_call_update_media (call, "G722", FALSE, NULL);
  bell_call_update_quality (call, &q);
  g722 = bell_call_dup_codec_text (call);
  g_assert_cmpstr (g722, ==, "G.722");
}

static void
test_summary (void)
{
  g_autoptr(BellCall) call = connected_call ("OPUS");
  BellCallQuality q = clean_report ();
  guint changes = 0;
  char *text;

  g_assert_null (bell_call_dup_quality_text (call));
  g_assert_null (bell_call_get_quality (call));
  g_assert_cmpint (bell_call_get_quality_band (call), ==, BELL_CALL_QUALITY_UNKNOWN);
  g_signal_connect (call, "changed", G_CALLBACK (on_changed), &changes);

  bell_call_update_quality (call, &q);
  g_assert_cmpuint (changes, ==, 1);
  g_assert_cmpint (bell_call_get_quality_band (call), ==, BELL_CALL_QUALITY_GOOD);
  text = bell_call_dup_quality_text (call);
  g_assert_cmpstr (text, ==, "Quality: Good (MOS 4.1)");
  g_free (text);

  /* Either kind of protection is "on" for the user. */
  q.fec = TRUE;
  q.mos = 4.38;
  bell_call_update_quality (call, &q);
  text = bell_call_dup_quality_text (call);
  g_assert_cmpstr (text, ==, "Quality: Excellent (MOS 4.4) · Loss protection on");
  g_free (text);
  q.fec = FALSE;
  q.red = 2;
  q.mos = 2.5;
  bell_call_update_quality (call, &q);
  text = bell_call_dup_quality_text (call);
  g_assert_cmpstr (text, ==, "Quality: Bad (MOS 2.5) · Loss protection on");
  g_assert_cmpint (bell_call_get_quality_band (call), ==, BELL_CALL_QUALITY_BAD);
  g_free (text);

  /* No MOS in the report (no codec the E-model knows): no word made up for it. */
  q.red = 0;
  q.mos = 0;
  bell_call_update_quality (call, &q);
  text = bell_call_dup_quality_text (call);
  g_assert_cmpstr (text, ==, "Call quality");
  g_free (text);
  g_assert_cmpuint (changes, ==, 4);
}

static void
test_details (void)
{
  g_autoptr(BellCall) call = connected_call ("OPUS");
  BellCallQuality q = clean_report ();
  g_autofree char *full = NULL, *early = NULL, *g711 = NULL, *one = NULL, *many = NULL;

  g_assert_null (bell_call_dup_quality_details (call));
  bell_call_update_quality (call, &q);
  full = bell_call_dup_quality_details (call);
  g_assert_cmpstr (full, ==,
                   "Loss 1.2 % · Jitter 8 ms · Round trip 40 ms\n"
                   "Loss at the other side 2.0 %\n"
                   "Packets sent 1000 · received 990 · lost 10\n"
                   "Frames 1500 · FEC 3 · RED 5 · concealed 4\n"
                   "Jitter buffer 40 ms · late packets 2\n"
                   "Opus FEC off · RED off");

  /* The first report of a call: no round trip, nothing from the peer, no frames yet. */
  q = clean_report ();
  q.rtt_ms = -1;
  q.remote_loss = -1;
  q.frames = q.frames_fec = q.frames_red = q.frames_concealed = 0;
  q.fec = TRUE;
  q.red = 1;
  bell_call_update_quality (call, &q);
  early = bell_call_dup_quality_details (call);
  g_assert_cmpstr (early, ==,
                   "Loss 1.2 % · Jitter 8 ms\n"
                   "Packets sent 1000 · received 990 · lost 10\n"
                   "Jitter buffer 40 ms · late packets 2\n"
                   "Opus FEC on · RED 1 copy");

  /* G.711 has no FEC to speak of; RED copies counted in the plural. */
  q = clean_report ();
  q.codec = "PCMU";
  q.bitrate = 0;
  q.red = 3;
  bell_call_update_media (call, "PCMU", FALSE, NULL);
  bell_call_update_quality (call, &q);
  g711 = bell_call_dup_quality_details (call);
  g_assert_true (g_str_has_suffix (g711, "\nJitter buffer 40 ms · late packets 2\nRED 3 copies"));
  g_assert_null (strstr (g711, "FEC off"));

  /* Packets from a stranger, dropped: said only once there are some, singular and plural. */
  g_assert_null (strstr (full, "dropped"));
  q.rejected = 1;
  bell_call_update_quality (call, &q);
  one = bell_call_dup_quality_details (call);
  g_assert_true (g_str_has_suffix (one, "late packets 2\n"
                                        "1 packet from another address dropped\nRED 3 copies"));
  q.rejected = 250;
  bell_call_update_quality (call, &q);
  many = bell_call_dup_quality_details (call);
  g_assert_nonnull (strstr (many, "\n250 packets from other addresses dropped\n"));
}

/* Why a call ended, as the call view and the history say it. */
static void
test_end_reasons (void)
{
  struct { guint code; const char *reason; gboolean unreachable; const char *text; } cases[] = {
    { 486, "Busy Here", FALSE, "Busy" },
    { 408, "no answer to INVITE from UDP 127.0.0.1:5060 -> 127.0.0.1:9", FALSE, "No answer" },
    /* The peer's own 503 keeps its code; ours, for an INVITE that never got there, says so. */
    { 503, "Service Unavailable", FALSE, "503 Service Unavailable" },
    { 503, "nothing listens on UDP 127.0.0.1:9 (ICMP port unreachable)", TRUE,
      "Not reachable: nothing listens on UDP 127.0.0.1:9 (ICMP port unreachable)" },
    { 503, NULL, TRUE, "Not reachable" },
  };
  g_autoptr(BellCall) lost = bell_call_new (2, TRUE, "sip:bob@example.com");
  g_autofree char *lost_text = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(BellCall) call = bell_call_new (1, TRUE, "sip:bob@example.com");
      g_autofree char *text = NULL;

      bell_call_set_unreachable (call, cases[i].unreachable);
      bell_call_update_state (call, BELL_CALL_STATE_ENDED, cases[i].code, cases[i].reason);
      text = bell_call_dup_end_reason (call);
      g_assert_cmpstr (text, ==, cases[i].text);
    }
  /* Ended by the core for silence from a peer that should be sending. */
  bell_call_update_state (lost, BELL_CALL_STATE_CONNECTED, 200, NULL);
  bell_call_set_lost (lost, TRUE);
  bell_call_update_state (lost, BELL_CALL_STATE_ENDED, 200,
                          "nothing came from the other side for 31 s: the connection is lost");
  lost_text = bell_call_dup_end_reason (lost);
  g_assert_cmpstr (lost_text, ==, "Connection lost");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/call/text/bands", test_bands);
  g_test_add_func ("/call/text/end-reasons", test_end_reasons);
  g_test_add_func ("/call/text/codec-names", test_codec_names);
  g_test_add_func ("/call/text/codec", test_codec_text);
  g_test_add_func ("/call/text/summary", test_summary);
  g_test_add_func ("/call/text/details", test_details);
  return g_test_run ();
}
