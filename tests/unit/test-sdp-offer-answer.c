/* test-sdp-offer-answer.c: the offer/answer cases of pjproject's SDP negotiator test
 * (sdp-offer-answer/pjmedia-sdp_neg_test in BELL_CORPUS_DIR: RFC 3264 §10, RFC 4317 §2, pjproject
 * tickets #527 and #2088) played step by step against BellSdpNegotiator.
 *
 * One test per step, /sdp-offer-answer/pjmedia/<case>/step<N>: a fresh negotiator plays the
 * case's earlier steps (unchecked, for the state a real call would have) and then this one, with
 * its expected result. The corpus files are read where they are; nothing is copied.
 *
 * The negotiator is one call's audio side: one audio stream, Opus, G.722, PCMU and PCMA, RED
 * and telephone-event. So the comparison is semantic, on what applies to it, never on the text:
 *
 * - Our codec order is the encodings of the audio m= line of the case's first local description
 *   (its first local offer, or its local capabilities), in that order, telephone-event left
 *   out; the negotiator adds PCMU and PCMA when missing and uses those of the four it knows
 *   (the corpus has no Opus, and G.722 only in a step that is not SDP, so G.711 here).
 * - LOCAL_OFFER: we make our offer (sendonly, i.e. hold, when the corpus offer's audio stream
 *   does not receive: sendonly or inactive). It must carry the G.711 formats of the corpus
 *   offer's audio stream with the same payload numbers, so that the corpus answer means the
 *   same thing to us. Our offer has a single m= line, so the answer applied is the corpus
 *   answer cut down to the m= line that answers the corpus offer's first audio stream (the
 *   others answer streams we never offered: RFC 3264 §6, an answer has the offer's m= lines,
 *   in its order). The plan is then checked against that stream of the expected active local
 *   SDP: refused (port 0) or not; the codec agreed (the first G.711 format of the expected
 *   line, payload type and encoding); where the peer wants our RTP (address and port of the
 *   answer); the directions (RFC 3264 §6.1); telephone-event when expected.
 * - REMOTE_OFFER: our answer to the corpus offer against the expected local answer: the same
 *   number of m= lines with the same media, in the same order (§6); port 0 exactly where
 *   expected; on the audio stream taken, the codec is the first of our order the offer has
 *   (bell-sdp-negotiate.h), with the offer's payload number (§6.1), and it is in the expected
 *   answer's format list; the direction is equivalent (§6.1, no attribute being sendrecv);
 *   telephone-event is answered when offered and expected. The plan follows the answer.
 * - Every description of ours keeps the o= user name and session id; its version goes up by
 *   one when the description changed and stays when it did not (§8).
 *
 * Steps whose expectations need what Bellbird deliberately does not do are in the table
 * `skipped` below with the reason, and reported with g_test_skip(); the reason is checked
 * against the step's expected SDP, so the table cannot drift from the corpus.
 */
#include <glib.h>
#include <string.h>

#include "bell-sdp-negotiate.h"

#define CORPUS_SUBDIR "sdp-offer-answer/pjmedia-sdp_neg_test"
#define MAX_STEPS 8

/* What an expectation needs that Bellbird does not do: each flag is checked on the step. */
typedef enum
{
  NEEDS_VIDEO         = 1 << 0,  /* a video stream accepted (port not 0) */
  NEEDS_AUDIO_STREAMS = 1 << 1,  /* more than one audio stream accepted */
  NEEDS_OTHER_CODEC   = 1 << 2,  /* the audio accepted has neither PCMU nor PCMA */
  NEEDS_AMR           = 1 << 3,  /* AMR accepted */
  CORPUS_NOT_SDP      = 1 << 4,  /* an input of the step does not parse */
} Needs;

static const struct
{
  const char *case_name;
  guint       step;
  Needs       needs;
  const char *why;
} skipped[] = {
  { "00-rfc-3264-example-10-1-alice-s-view", 1, NEEDS_VIDEO,
    "video accepted: the expected active SDP keeps the MPV stream (m=video 53000) the answer "
    "took; Bellbird offers audio only" },
  { "00-rfc-3264-example-10-1-alice-s-view", 2, NEEDS_VIDEO,
    "video accepted: the expected answer takes the MPV stream (m=video 53000); Bellbird refuses "
    "every video stream" },
  { "01-rfc-3264-example-10-1-bob-s-view", 1, NEEDS_VIDEO,
    "video accepted: the expected answer takes the MPV stream (m=video 53000); Bellbird refuses "
    "every video stream" },
  { "01-rfc-3264-example-10-1-bob-s-view", 2, NEEDS_VIDEO | NEEDS_AUDIO_STREAMS,
    "video and a second audio stream accepted: the expected active SDP keeps m=video 53000 and "
    "the telephone-events stream m=audio 51434; Bellbird offers one audio stream" },
  { "02-rfc-3264-example-10-2-alice-s-view", 2, NEEDS_OTHER_CODEC,
    "non-G.711 only: the re-offer and its answer carry G.723 alone; Bellbird offers PCMU and "
    "PCMA only" },
  { "03-rfc-3264-example-10-2-bob-s-view", 2, NEEDS_OTHER_CODEC,
    "non-G.711 only: the re-offer has G.723 alone and the expected answer takes it; Bellbird "
    "takes PCMU or PCMA only (it refuses such an offer, 488); pjproject disables this case" },
  { "04-rfc-4317-section-2-1-audio-and-video-1-alice-s-view", 1, NEEDS_VIDEO,
    "video accepted: the expected active SDP keeps MPV video (m=video 51372)" },
  { "05-rfc-4317-section-2-1-audio-and-video-1-bob-s-view", 1, NEEDS_VIDEO,
    "video accepted: the expected answer takes MPV video (m=video 49170)" },
  { "08-rfc-4317-section-2-4-audio-and-telephone-events-alice-s-view", 1,
    NEEDS_OTHER_CODEC | NEEDS_AUDIO_STREAMS,
    "non-G.711 only, several audio streams: the answer takes iLBC alone on the first stream and "
    "telephone-event as a second audio stream" },
  { "09-rfc-4317-section-2-4-audio-and-telephone-events-bob-s-view", 1,
    NEEDS_OTHER_CODEC | NEEDS_AUDIO_STREAMS,
    "non-G.711 only, several audio streams: the expected answer takes iLBC alone on the first "
    "stream and telephone-event as a second audio stream" },
  { "10-rfc-4317-section-2-6-audio-with-telephone-events-alice-s-view", 1, NEEDS_OTHER_CODEC,
    "non-G.711 only: the peer refuses the PCMU stream and takes iLBC with telephone-event on a "
    "second audio stream, which Bellbird does not offer" },
  { "11-rfc-4317-section-2-6-audio-with-telephone-events-bob-s-view", 1, NEEDS_OTHER_CODEC,
    "non-G.711 only: the expected answer refuses the PCMU stream and takes iLBC on the second "
    "audio stream; Bellbird always has PCMU and PCMA and takes the first audio stream it can" },
  { "14-ticket-527-scenario-2-modify-offer-partial-streams", 1,
    NEEDS_VIDEO | NEEDS_AUDIO_STREAMS,
    "video and several audio streams accepted: two PCMU streams and H.261 video" },
  { "15-ticket-527-scenario-2-modify-offer-unordered-m-lines", 1, NEEDS_VIDEO,
    "video accepted: H.261 video (m=video 3200)" },
  { "15-ticket-527-scenario-2-modify-offer-unordered-m-lines", 2, NEEDS_VIDEO,
    "video accepted: H.261 video (m=video 5000), from an answer whose m= lines are not in the "
    "offer's order" },
  { "16-ticket-527-scenario-2-modify-offer-partial-unordered-streams", 1,
    NEEDS_VIDEO | NEEDS_AUDIO_STREAMS,
    "video and several audio streams accepted: two PCMU streams and H.261 video" },
  { "16-ticket-527-scenario-2-modify-offer-partial-unordered-streams", 2, NEEDS_VIDEO,
    "video accepted: H.261 video (m=video 5000), from an answer whose m= lines are not in the "
    "offer's order" },
  { "17-ticket-2088-handle-multiple-telephone-event-formats", 2, NEEDS_OTHER_CODEC,
    "non-G.711 only: the expected answer takes Speex/16000 with telephone-event/16000 (pjmedia "
    "follows the offerer's order; Bellbird its own, where PCMU comes first)" },
  { "17-ticket-2088-handle-multiple-telephone-event-formats", 3, NEEDS_OTHER_CODEC,
    "non-G.711 only: the answer takes Speex/16000 with telephone-event/16000" },
  { "18-amr-amr-wb-offer-answerer-picks-amr-8000-telephone-event", 1,
    NEEDS_AMR | CORPUS_NOT_SDP,
    "AMR: the expected answer takes AMR/8000; and the corpus's remote offer is not SDP (its v=, "
    "o=, s=, c=, t= and m= lines were lost when extracted from pjproject)" },
};

typedef enum
{
  LOCAL_OFFER,
  REMOTE_OFFER,
} StepType;

typedef struct
{
  char     *name;                       /* the case's folder */
  char     *dir;
  guint     n_steps;
  StepType  types[MAX_STEPS];
  gboolean  disabled_in_pjsip;
} Case;

typedef struct
{
  const Case *c;
  guint       step;                     /* from 1 */
} StepRef;

/* One call being played: the negotiator, our codec order, our last description. */
typedef struct
{
  const Case        *c;
  BellSdpNegotiator *n;
  GStrv              codecs;            /* as the negotiator has them: upper case, G.711 last */
  char              *last;              /* our last offer or answer */
  const char        *where;             /* "<case>/step<N>", for messages */
} Call;

/* Files */

static char *
step_file (const Case *c, guint step, const char *what)
{
  g_autofree char *base = g_strdup_printf ("step%u-%s.sdp", step, what);
  g_autofree char *path = g_build_filename (c->dir, base, NULL);
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return text;
}

static char *
need_step_file (const Case *c, guint step, const char *what)
{
  char *text = step_file (c, step, what);

  if (!text)
    g_error ("%s: step%u-%s.sdp is missing", c->name, step, what);
  return text;
}

static BellSdpSession *
parse_or_die (const char *text, const char *what)
{
  g_autoptr(GError) error = NULL;
  BellSdpSession *sdp = bell_sdp_session_parse (text, strlen (text), &error);

  if (!sdp)
    g_error ("%s does not parse: %s", what, error->message);
  return sdp;
}

/* SDP helpers */

static gboolean
is_g711 (const char *encoding)
{
  return encoding && (g_ascii_strcasecmp (encoding, "PCMU") == 0 ||
                      g_ascii_strcasecmp (encoding, "PCMA") == 0);
}

/* The RTP clock of a codec the negotiator knows (Opus 48000, RFC 7587; G.722 8000, RFC 3551
 * §4.5.2), 0 for one it does not. */
static guint
our_clock_rate (const char *encoding)
{
  if (g_ascii_strcasecmp (encoding, "opus") == 0)
    return 48000;
  if (is_g711 (encoding) || g_ascii_strcasecmp (encoding, "G722") == 0)
    return 8000;
  return 0;
}

static gboolean
is_dtmf (const BellSdpFormat *f)
{
  return f->encoding && g_ascii_strcasecmp (f->encoding, "telephone-event") == 0;
}

static const BellSdpMedia *
media_at (const BellSdpSession *sdp, guint i)
{
  return i < sdp->media->len ? sdp->media->pdata[i] : NULL;
}

static gint
first_audio (const BellSdpSession *sdp)
{
  for (guint i = 0; i < sdp->media->len; i++)
    if (g_str_equal (((const BellSdpMedia *) sdp->media->pdata[i])->media, "audio"))
      return (gint) i;
  return -1;
}

static char *
format_list (const BellSdpMedia *m)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < m->fmts->len; i++)
    g_string_append_printf (s, "%s%s", i ? " " : "", (const char *) m->fmts->pdata[i]);
  return g_string_free (s, FALSE);
}

static void
direction_flags (BellSdpDirection dir, gboolean *send, gboolean *recv)
{
  *send = dir == BELL_SDP_DIRECTION_SENDRECV || dir == BELL_SDP_DIRECTION_SENDONLY;
  *recv = dir == BELL_SDP_DIRECTION_SENDRECV || dir == BELL_SDP_DIRECTION_RECVONLY;
}

/* The encodings of the first audio m= line, in order, without telephone-event: our codecs. */
static GStrv
codec_order (const BellSdpSession *local)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  gint a = first_audio (local);

  if (a >= 0)
    {
      const BellSdpMedia *m = local->media->pdata[a];
      for (guint i = 0; i < m->formats->len; i++)
        {
          const BellSdpFormat *f = m->formats->pdata[i];
          if (f->encoding && !is_dtmf (f))
            g_strv_builder_add (builder, f->encoding);
        }
    }
  return g_strv_builder_end (builder);
}

/* The same list as the negotiator keeps it (bell_sdp_negotiator_new): upper case, no
 * duplicates, PCMU then PCMA added when missing. */
static GStrv
normalised_codecs (const char *const *codecs)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_free);
  gboolean pcmu = FALSE, pcma = FALSE;

  for (guint i = 0; codecs && codecs[i]; i++)
    {
      gboolean seen = FALSE;
      for (guint k = 0; k < list->len && !seen; k++)
        seen = g_ascii_strcasecmp (list->pdata[k], codecs[i]) == 0;
      if (!seen)
        g_ptr_array_add (list, g_ascii_strup (codecs[i], -1));
    }
  for (guint k = 0; k < list->len; k++)
    {
      pcmu = pcmu || g_str_equal (list->pdata[k], "PCMU");
      pcma = pcma || g_str_equal (list->pdata[k], "PCMA");
    }
  if (!pcmu)
    g_ptr_array_add (list, g_strdup ("PCMU"));
  if (!pcma)
    g_ptr_array_add (list, g_strdup ("PCMA"));
  g_ptr_array_add (list, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&list), FALSE);
}

/* The answer cut down to its session part and the m= line at index (NULL when it has none):
 * the answer to the one stream of ours that stands for that stream of the corpus offer. */
static char *
answer_for_stream (const char *answer, guint index)
{
  g_auto(GStrv) lines = g_strsplit (answer, "\n", -1);
  GString *out = g_string_new (NULL);
  gint block = -1;

  for (guint i = 0; lines[i]; i++)
    {
      if (g_str_has_prefix (lines[i], "m="))
        block++;
      if (!lines[i][0] && !lines[i + 1])
        break;   /* after the last line break */
      if (block < 0 || block == (gint) index)
        g_string_append_printf (out, "%s\n", lines[i]);
    }
  if (block < (gint) index)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

/* The description without its o= line: what "changed" means for the version (RFC 3264 §8). */
static char *
without_origin (const char *sdp)
{
  g_auto(GStrv) lines = g_strsplit (sdp, "\n", -1);
  GString *out = g_string_new (NULL);

  for (guint i = 0; lines[i]; i++)
    if (!g_str_has_prefix (lines[i], "o="))
      g_string_append_printf (out, "%s\n", lines[i]);
  return g_string_free (out, FALSE);
}

/* Checks: a failure says where and why, and the step goes on to report every mismatch. */

G_GNUC_PRINTF (2, 3) static void
mismatch (const Call *call, const char *format, ...)
{
  va_list args;
  g_autofree char *text = NULL;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  g_test_message ("%s: %s", call->where, text);
  g_test_fail_printf ("%s: %s", call->where, text);
}

/* RFC 3264 §8: one o= line for the call, its version +1 for each changed description. */
static void
check_version (Call *call, const char *ours, gboolean check)
{
  g_autoptr(BellSdpSession) now = parse_or_die (ours, "our description");

  if (check && call->last)
    {
      g_autoptr(BellSdpSession) before = parse_or_die (call->last, "our last description");
      g_autofree char *a = without_origin (call->last);
      g_autofree char *b = without_origin (ours);
      guint64 want = before->origin.sess_version + (g_str_equal (a, b) ? 0 : 1);

      if (g_strcmp0 (now->origin.username, before->origin.username) != 0 ||
          g_strcmp0 (now->origin.sess_id, before->origin.sess_id) != 0)
        mismatch (call, "o= user name or session id changed within the call (RFC 3264 section 8)");
      if (now->origin.sess_version != want)
        mismatch (call, "o= version %" G_GUINT64_FORMAT " after %" G_GUINT64_FORMAT
                  " for a description that %s (RFC 3264 section 8)", now->origin.sess_version,
                  before->origin.sess_version, g_str_equal (a, b) ? "did not change" : "changed");
    }
  g_free (call->last);
  call->last = g_strdup (ours);
}

/* The plan against the directions both sides agreed for our side. */
static void
check_plan_direction (const Call *call, BellSdpDirection ours)
{
  const BellSdpMediaPlan *plan = bell_sdp_negotiator_get_plan (call->n);
  gboolean send, recv;

  direction_flags (ours, &send, &recv);
  if (plan->send != send || plan->recv != recv)
    mismatch (call, "plan sends %d and receives %d, expected %s for our side "
              "(RFC 3264 section 6.1)", plan->send, plan->recv,
              bell_sdp_direction_to_string (ours));
}

/* LOCAL_OFFER: our offer, the corpus answer to its audio stream, the plan. */
static void
local_offer_step (Call *call, guint step, gboolean check)
{
  g_autofree char *corpus_offer_text = need_step_file (call->c, step, "local-offer");
  g_autofree char *answer_text = need_step_file (call->c, step, "remote-answer");
  g_autoptr(BellSdpSession) corpus_offer = parse_or_die (corpus_offer_text, "the local offer");
  g_autoptr(BellSdpSession) offer = NULL, answer = NULL, expected = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ours = NULL, *projected = NULL, *expected_text = NULL;
  const BellSdpMedia *corpus_audio, *our_audio, *theirs, *want;
  const BellSdpMediaPlan *plan;
  BellSdpDirection offered;
  gboolean hold, applied;
  gint a = first_audio (corpus_offer);

  g_assert_cmpint (a, >=, 0);
  corpus_audio = corpus_offer->media->pdata[a];
  offered = bell_sdp_media_get_direction (corpus_offer, corpus_audio);
  /* We offer no recvonly nor (before the peer holds us) inactive: sendonly is what we have
   * for "we do not receive". */
  hold = offered == BELL_SDP_DIRECTION_SENDONLY || offered == BELL_SDP_DIRECTION_INACTIVE;
  ours = bell_sdp_negotiator_offer (call->n, hold);
  check_version (call, ours, check);
  projected = answer_for_stream (answer_text, (guint) a);
  applied = projected && bell_sdp_negotiator_apply_answer (call->n, projected, &error);
  if (!check)
    return;

  /* Our offer: one audio stream with the corpus offer's G.711 formats under the same numbers. */
  offer = parse_or_die (ours, "our offer");
  g_assert_cmpuint (offer->media->len, ==, 1);
  our_audio = offer->media->pdata[0];
  g_assert_cmpstr (our_audio->media, ==, "audio");
  for (guint i = 0; i < corpus_audio->formats->len; i++)
    {
      const BellSdpFormat *f = corpus_audio->formats->pdata[i];
      const BellSdpFormat *o = bell_sdp_media_find_format (our_audio, f->pt);
      if (is_g711 (f->encoding) && !(o && g_ascii_strcasecmp (o->encoding, f->encoding) == 0))
        mismatch (call, "our offer lacks %s as payload type %u", f->encoding, f->pt);
    }
  if (!bell_sdp_media_find_format_by_name (our_audio, "telephone-event", 8000))
    mismatch (call, "our offer has no telephone-event");
  if (hold ? bell_sdp_media_get_direction (offer, our_audio) == BELL_SDP_DIRECTION_SENDRECV
           : bell_sdp_media_get_direction (offer, our_audio) != BELL_SDP_DIRECTION_SENDRECV)
    mismatch (call, "our offer is %s, hold %d",
              bell_sdp_direction_to_string (bell_sdp_media_get_direction (offer, our_audio)), hold);

  /* The answer to that stream, and what the expected active SDP says of it. */
  g_assert_nonnull (projected);
  answer = parse_or_die (projected, "the answer's audio stream");
  theirs = answer->media->pdata[0];
  g_assert_cmpstr (theirs->media, ==, "audio");
  expected_text = need_step_file (call->c, step, "expected-local-active");
  expected = parse_or_die (expected_text, "the expected active SDP");
  want = media_at (expected, (guint) a);
  g_assert_nonnull (want);
  g_assert_cmpstr (want->media, ==, "audio");
  plan = bell_sdp_negotiator_get_plan (call->n);

  if (!want->port)
    {
      /* Refused (RFC 3264 §6): no media for it. */
      if (applied || plan->active)
        mismatch (call, "the peer refused the audio stream, yet the answer was taken "
                  "(plan active %d)", plan->active);
      return;
    }
  if (!applied)
    {
      mismatch (call, "the answer was refused: %s", error ? error->message : "(no error)");
      return;
    }
  if (!plan->active)
    mismatch (call, "no active audio after the answer");

  /* The codec agreed: the first G.711 format of the expected active stream. */
  {
    const BellSdpFormat *codec = NULL;
    for (guint i = 0; i < want->formats->len && !codec; i++)
      if (is_g711 (((const BellSdpFormat *) want->formats->pdata[i])->encoding))
        codec = want->formats->pdata[i];
    if (!codec)
      g_error ("%s: the expected active stream has no G.711 format: the step belongs in the "
               "table of skipped steps", call->where);
    if (plan->pt != codec->pt || g_ascii_strcasecmp (plan->encoding ? plan->encoding : "",
                                                     codec->encoding) != 0)
      mismatch (call, "codec agreed %u %s, expected %u %s", plan->pt, plan->encoding,
                codec->pt, codec->encoding);
  }

  /* Where the peer wants our RTP. */
  {
    const BellSdpConnection *c = bell_sdp_media_get_connection (answer, theirs);
    g_assert_nonnull (c);
    if (g_strcmp0 (plan->remote_address, c->address) != 0 || plan->remote_port != theirs->port)
      mismatch (call, "plan sends to %s port %u, the answer says %s port %u",
                plan->remote_address, plan->remote_port, c->address, theirs->port);
  }

  check_plan_direction (call, bell_sdp_media_get_direction (expected, want));

  if (bell_sdp_media_find_format_by_name (want, "telephone-event", 8000))
    {
      const BellSdpFormat *dtmf = bell_sdp_media_find_format_by_name (theirs, "telephone-event",
                                                                      8000);
      if (!dtmf || plan->dtmf_pt != (gint) dtmf->pt)
        mismatch (call, "telephone-event expected, plan has payload type %d", plan->dtmf_pt);
    }
}

/* REMOTE_OFFER: our answer against the expected one, m= line by m= line, and the plan. */
static void
remote_offer_step (Call *call, guint step, gboolean check)
{
  g_autofree char *offer_text = need_step_file (call->c, step, "remote-offer");
  g_autofree char *caps_text = step_file (call->c, step, "local-capabilities");
  g_autofree char *expected_text = NULL;
  g_autofree char *ours = NULL;
  g_autoptr(BellSdpSession) offer = NULL, answer = NULL, expected = NULL;
  g_autoptr(GError) error = NULL;
  const BellSdpMediaPlan *plan;
  gint taken = -1;

  ours = bell_sdp_negotiator_answer (call->n, offer_text, FALSE, &error);
  if (ours)
    check_version (call, ours, check);
  if (!check)
    return;

  if (caps_text)
    {
      /* The negotiator's codecs are set once, for the call. */
      g_autoptr(BellSdpSession) caps = parse_or_die (caps_text, "the local capabilities");
      g_auto(GStrv) given = codec_order (caps);
      g_auto(GStrv) order = normalised_codecs ((const char *const *) given);
      if (!g_strv_equal ((const char *const *) order, (const char *const *) call->codecs))
        g_error ("%s: these capabilities change the codecs within the call", call->where);
    }
  offer = parse_or_die (offer_text, "the remote offer");
  expected_text = need_step_file (call->c, step, "expected-local-answer");
  expected = parse_or_die (expected_text, "the expected answer");
  if (!ours)
    {
      mismatch (call, "no answer: %s", error->message);
      return;
    }
  answer = parse_or_die (ours, "our answer");

  /* RFC 3264 §6: the offer's m= lines, in its order; port 0 where the stream is refused. */
  if (answer->media->len != offer->media->len)
    mismatch (call, "our answer has %u m= lines, the offer %u (RFC 3264 section 6)",
              answer->media->len, offer->media->len);
  if (answer->media->len != expected->media->len)
    mismatch (call, "our answer has %u m= lines, the expected one %u",
              answer->media->len, expected->media->len);
  for (guint i = 0; i < MIN (answer->media->len, expected->media->len); i++)
    {
      const BellSdpMedia *m = answer->media->pdata[i], *want = expected->media->pdata[i];
      if (!g_str_equal (m->media, want->media))
        mismatch (call, "m= line %u is %s, expected %s", i, m->media, want->media);
      if ((m->port == 0) != (want->port == 0))
        mismatch (call, "m= line %u (%s) %s, expected %s", i, m->media,
                  m->port ? "taken" : "refused", want->port ? "taken" : "refused (port 0)");
      if (m->port && taken < 0)
        taken = (gint) i;
      else if (m->port)
        mismatch (call, "a second stream taken (m= line %u)", i);
    }
  if (taken < 0)
    {
      mismatch (call, "no stream taken");
      return;
    }

  {
    const BellSdpMedia *m = answer->media->pdata[taken];
    const BellSdpMedia *offered = offer->media->pdata[taken];
    const BellSdpMedia *want = media_at (expected, (guint) taken);
    const BellSdpFormat *codec = NULL, *policy = NULL, *expected_codec;
    const BellSdpFormat *offered_dtmf, *dtmf;
    g_autofree char *want_fmts = NULL;
    BellSdpDirection dir;

    g_assert_cmpstr (m->media, ==, "audio");
    for (guint i = 0; i < m->formats->len && !codec; i++)
      if (!is_dtmf (m->formats->pdata[i]))
        codec = m->formats->pdata[i];
    if (!codec)
      {
        mismatch (call, "the audio stream taken has no codec");
        return;
      }
    /* Our policy: the first of our codecs the offer has, under the offer's number (§6.1). */
    for (guint i = 0; call->codecs[i] && !policy; i++)
      if (our_clock_rate (call->codecs[i]))
        policy = bell_sdp_media_find_format_by_name (offered, call->codecs[i],
                                                     our_clock_rate (call->codecs[i]));
    if (!policy || policy->pt != codec->pt ||
        g_ascii_strcasecmp (policy->encoding, codec->encoding) != 0)
      mismatch (call, "we answer %u %s, the first of our codecs the offer has is %u %s",
                codec->pt, codec->encoding, policy ? policy->pt : 0,
                policy ? policy->encoding : "(none)");
    if (!want)
      return;
    want_fmts = format_list (want);
    expected_codec = bell_sdp_media_find_format (want, codec->pt);
    if (!expected_codec || g_ascii_strcasecmp (expected_codec->encoding ? expected_codec->encoding
                                                                         : "", codec->encoding))
      mismatch (call, "we answer %u %s, not in the expected format list %s", codec->pt,
                codec->encoding, want_fmts);

    dir = bell_sdp_media_get_direction (answer, m);
    if (dir != bell_sdp_media_get_direction (expected, want))
      mismatch (call, "we answer %s, expected %s (RFC 3264 section 6.1)",
                bell_sdp_direction_to_string (dir),
                bell_sdp_direction_to_string (bell_sdp_media_get_direction (expected, want)));

    offered_dtmf = bell_sdp_media_find_format_by_name (offered, "telephone-event", 8000);
    dtmf = bell_sdp_media_find_format_by_name (m, "telephone-event", 8000);
    if (offered_dtmf && bell_sdp_media_find_format (want, offered_dtmf->pt) &&
        !(dtmf && dtmf->pt == offered_dtmf->pt))
      mismatch (call, "telephone-event %u offered and expected, not answered", offered_dtmf->pt);

    /* The plan: the offer's stream, our answer's codec and directions. */
    plan = bell_sdp_negotiator_get_plan (call->n);
    {
      const BellSdpConnection *c = bell_sdp_media_get_connection (offer, offered);
      g_assert_nonnull (c);
      if (!plan->active || plan->pt != codec->pt ||
          g_strcmp0 (plan->remote_address, c->address) != 0 || plan->remote_port != offered->port)
        mismatch (call, "plan: active %d, %u to %s port %u; expected %u to %s port %u",
                  plan->active, plan->pt, plan->remote_address, plan->remote_port, codec->pt,
                  c->address, offered->port);
      if (plan->dtmf_pt != (dtmf ? (gint) dtmf->pt : -1))
        mismatch (call, "plan telephone-event %d, answered %d", plan->dtmf_pt,
                  dtmf ? (gint) dtmf->pt : -1);
    }
    check_plan_direction (call, dir);
  }
}

static void
play_step (Call *call, guint step, gboolean check)
{
  if (call->c->types[step - 1] == LOCAL_OFFER)
    local_offer_step (call, step, check);
  else
    remote_offer_step (call, step, check);
}

/* The call as the case's first local description has it: our port and codec order. */
static void
call_init (Call *call, const Case *c, const char *where)
{
  g_autofree char *text = need_step_file (c, 1, c->types[0] == LOCAL_OFFER
                                                 ? "local-offer" : "local-capabilities");
  g_autoptr(BellSdpSession) local = parse_or_die (text, "the first local description");
  g_auto(GStrv) order = codec_order (local);
  gint a = first_audio (local);
  BellSdpLocal l = {
    .address = "192.0.2.1",
    .rtp_port = a >= 0 && ((const BellSdpMedia *) local->media->pdata[a])->port
                ? ((const BellSdpMedia *) local->media->pdata[a])->port : 40000,
    .codecs = (const char *const *) order,
    .srtp = BELL_SDP_SRTP_OFF,
  };

  call->c = c;
  call->where = where;
  call->n = bell_sdp_negotiator_new (&l);
  call->codecs = normalised_codecs ((const char *const *) order);
  call->last = NULL;
}

static void
call_clear (Call *call)
{
  bell_sdp_negotiator_free (call->n);
  g_strfreev (call->codecs);
  g_free (call->last);
}

/* The skip reasons, checked on the step's expected SDP (and inputs). */
static void
check_needs (const StepRef *ref, Needs needs)
{
  const Case *c = ref->c;
  gboolean local = c->types[ref->step - 1] == LOCAL_OFFER;
  g_autofree char *text = need_step_file (c, ref->step, local ? "expected-local-active"
                                                              : "expected-local-answer");
  g_autoptr(BellSdpSession) expected = parse_or_die (text, "the expected SDP");
  guint video = 0, audio = 0, g711 = 0, amr = 0;

  for (guint i = 0; i < expected->media->len; i++)
    {
      const BellSdpMedia *m = expected->media->pdata[i];
      if (!m->port)
        continue;
      if (g_str_equal (m->media, "video"))
        video++;
      if (!g_str_equal (m->media, "audio"))
        continue;
      audio++;
      for (guint k = 0; k < m->formats->len; k++)
        {
          const BellSdpFormat *f = m->formats->pdata[k];
          g711 += is_g711 (f->encoding);
          amr += f->encoding && g_ascii_strcasecmp (f->encoding, "AMR") == 0;
        }
    }
  if ((needs & NEEDS_VIDEO) && !video)
    g_test_fail_printf ("skip table: %s/step%u accepts no video", c->name, ref->step);
  if ((needs & NEEDS_AUDIO_STREAMS) && audio < 2)
    g_test_fail_printf ("skip table: %s/step%u accepts %u audio streams", c->name, ref->step,
                        audio);
  if ((needs & NEEDS_OTHER_CODEC) && (!audio || g711))
    g_test_fail_printf ("skip table: %s/step%u accepts G.711", c->name, ref->step);
  if ((needs & NEEDS_AMR) && !amr)
    g_test_fail_printf ("skip table: %s/step%u accepts no AMR", c->name, ref->step);
  if (needs & CORPUS_NOT_SDP)
    {
      const char *const inputs[] = { "local-offer", "remote-answer", "remote-offer",
                                     "local-capabilities" };
      gboolean broken = FALSE;
      for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
        {
          g_autofree char *input = step_file (c, ref->step, inputs[i]);
          g_autoptr(BellSdpSession) sdp = NULL;
          if (input && !(sdp = bell_sdp_session_parse (input, strlen (input), NULL)))
            broken = TRUE;
        }
      if (!broken)
        g_test_fail_printf ("skip table: every input of %s/step%u is SDP", c->name, ref->step);
    }
}

static void
test_step (gconstpointer data)
{
  const StepRef *ref = data;
  g_autofree char *where = g_strdup_printf ("%s/step%u", ref->c->name, ref->step);
  Call call;

  for (guint i = 0; i < G_N_ELEMENTS (skipped); i++)
    if (g_str_equal (skipped[i].case_name, ref->c->name) && skipped[i].step == ref->step)
      {
        check_needs (ref, skipped[i].needs);
        g_test_skip (skipped[i].why);
        return;
      }
  if (ref->c->disabled_in_pjsip)
    g_test_message ("%s: disabled in pjproject (#if 0), run here", where);

  call_init (&call, ref->c, where);
  /* The earlier steps, for the state of the call, then this one. */
  for (guint s = 1; s < ref->step; s++)
    play_step (&call, s, FALSE);
  play_step (&call, ref->step, TRUE);
  call_clear (&call);
}

/* Every entry of the table names a step of the corpus, once. */
static void
test_skip_table (gconstpointer data)
{
  const GPtrArray *cases = data;

  for (guint i = 0; i < G_N_ELEMENTS (skipped); i++)
    {
      gboolean found = FALSE;
      for (guint k = 0; k < cases->len; k++)
        {
          const Case *c = cases->pdata[k];
          found = found || (g_str_equal (c->name, skipped[i].case_name) &&
                            skipped[i].step >= 1 && skipped[i].step <= c->n_steps);
        }
      if (!found)
        g_test_fail_printf ("skip table: %s/step%u is not in CASES.tsv", skipped[i].case_name,
                            skipped[i].step);
      for (guint k = 0; k < i; k++)
        if (g_str_equal (skipped[i].case_name, skipped[k].case_name) &&
            skipped[i].step == skipped[k].step)
          g_test_fail_printf ("skip table: %s/step%u twice", skipped[i].case_name,
                              skipped[i].step);
    }
}

static void
test_corpus_missing (void)
{
  g_test_skip ("corpus not found (BELL_CORPUS_DIR/" CORPUS_SUBDIR ")");
}

static void
case_free (gpointer data)
{
  Case *c = data;

  g_free (c->name);
  g_free (c->dir);
  g_free (c);
}

/* CASES.tsv: case_dir, step, type, answer_multiple_codecs, disabled_in_pjsip, title. */
static GPtrArray *
load_cases (const char *root)
{
  g_autofree char *path = g_build_filename (root, "CASES.tsv", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *cases = g_ptr_array_new_with_free_func (case_free);

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return cases;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 1; lines[i]; i++)
    {
      g_auto(GStrv) cols = g_strsplit (g_strchomp (lines[i]), "\t", -1);
      Case *c = cases->len ? cases->pdata[cases->len - 1] : NULL;
      guint64 step;

      if (!lines[i][0])
        continue;
      if (g_strv_length (cols) < 5 || !g_ascii_string_to_unsigned (cols[1], 10, 1, MAX_STEPS,
                                                                    &step, NULL))
        g_error ("CASES.tsv line %u: %s", i + 1, lines[i]);
      if (!c || !g_str_equal (c->name, cols[0]))
        {
          c = g_new0 (Case, 1);
          c->name = g_strdup (cols[0]);
          c->dir = g_build_filename (root, cols[0], NULL);
          c->disabled_in_pjsip = g_ascii_strcasecmp (cols[4], "True") == 0;
          g_ptr_array_add (cases, c);
        }
      if (step != c->n_steps + 1)
        g_error ("CASES.tsv line %u: step %s out of order", i + 1, cols[1]);
      if (g_str_equal (cols[2], "LOCAL_OFFER"))
        c->types[c->n_steps++] = LOCAL_OFFER;
      else if (g_str_equal (cols[2], "REMOTE_OFFER"))
        c->types[c->n_steps++] = REMOTE_OFFER;
      else
        g_error ("CASES.tsv line %u: step type %s", i + 1, cols[2]);
    }
  return cases;
}

int
main (int argc, char *argv[])
{
  g_autoptr(GPtrArray) cases = NULL;
  g_autoptr(GPtrArray) refs = g_ptr_array_new_with_free_func (g_free);
  const char *corpus;
  int status;

  g_test_init (&argc, &argv, NULL);

  corpus = g_getenv ("BELL_CORPUS_DIR");
  if (corpus)
    {
      g_autofree char *root = g_build_filename (corpus, CORPUS_SUBDIR, NULL);
      cases = load_cases (root);
    }
  if (!cases || !cases->len)
    g_test_add_func ("/sdp-offer-answer/pjmedia", test_corpus_missing);
  else
    {
      g_test_add_data_func ("/sdp-offer-answer/pjmedia/skip-table", cases, test_skip_table);
      for (guint i = 0; i < cases->len; i++)
        {
          const Case *c = cases->pdata[i];
          for (guint s = 1; s <= c->n_steps; s++)
            {
              StepRef *ref = g_new0 (StepRef, 1);
              g_autofree char *path = g_strdup_printf ("/sdp-offer-answer/pjmedia/%s/step%u",
                                                       c->name, s);
              ref->c = c;
              ref->step = s;
              g_ptr_array_add (refs, ref);
              g_test_add_data_func (path, ref, test_step);
            }
        }
    }
  status = g_test_run ();
  return status;
}
