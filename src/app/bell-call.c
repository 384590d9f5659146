/* bell-call.c: one call's state for the window. */
#define G_LOG_DOMAIN "bell-call"

#include "config.h"
#include "bell-call.h"

#include <glib/gi18n.h>

struct _BellCall
{
  GObject         parent_instance;

  guint           id;
  gboolean        outgoing;
  BellCallState   state;
  char           *peer;
  char           *name;
  char           *account_id;
  char           *account_aor;
  char           *account_name;
  guint           code;
  char           *reason;
  gint64          started;        /* g_get_real_time () at creation */
  gint64          connected_at;   /* g_get_monotonic_time (), 0: never connected */
  gint64          ended_at;       /* monotonic, 0: not ended */
  gboolean        held;
  gboolean        remote_held;
  gboolean        muted;
  double          volume;
  char           *codec;
  gboolean        encrypted;
  char           *media_error;
  gboolean        have_quality;
  BellCallQuality quality;        /* its codec points at quality_codec */
  char           *quality_codec;
  GString        *dtmf_sent;
  gboolean        ended_locally;
  gboolean        silenced;
  gboolean        unreachable;
  gboolean        lost;
};

G_DEFINE_FINAL_TYPE (BellCall, bell_call, G_TYPE_OBJECT)

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

gboolean
bell_call_state_from_string (const char *text, BellCallState *state)
{
  static const char *const names[] = { "dialing", "ringing", "incoming", "connected", "ended" };

  for (guint i = 0; text && i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (text, names[i]))
      {
        *state = (BellCallState) i;
        return TRUE;
      }
  return FALSE;
}

static void
bell_call_finalize (GObject *object)
{
  BellCall *self = BELL_CALL (object);

  g_free (self->peer);
  g_free (self->name);
  g_free (self->account_id);
  g_free (self->account_aor);
  g_free (self->account_name);
  g_free (self->reason);
  g_free (self->codec);
  g_free (self->quality_codec);
  g_free (self->media_error);
  g_string_free (self->dtmf_sent, TRUE);
  G_OBJECT_CLASS (bell_call_parent_class)->finalize (object);
}

static void
bell_call_class_init (BellCallClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bell_call_finalize;
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
bell_call_init (BellCall *self)
{
  self->volume = 1.0;
  self->dtmf_sent = g_string_new (NULL);
  self->started = g_get_real_time ();
}

BellCall *
bell_call_new (guint id, gboolean outgoing, const char *peer)
{
  BellCall *self = g_object_new (BELL_TYPE_CALL, NULL);

  self->id = id;
  self->outgoing = outgoing;
  self->state = outgoing ? BELL_CALL_STATE_DIALING : BELL_CALL_STATE_INCOMING;
  self->peer = g_strdup (peer);
  return self;
}

static void
changed (BellCall *self)
{
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

guint          bell_call_get_id          (BellCall *self) { return self->id; }
gboolean       bell_call_is_outgoing     (BellCall *self) { return self->outgoing; }
BellCallState  bell_call_get_state       (BellCall *self) { return self->state; }
const char    *bell_call_get_peer        (BellCall *self) { return self->peer; }
const char    *bell_call_get_account_id  (BellCall *self) { return self->account_id; }
const char    *bell_call_get_account_aor (BellCall *self) { return self->account_aor; }
const char    *bell_call_get_account_name (BellCall *self) { return self->account_name; }
guint          bell_call_get_code        (BellCall *self) { return self->code; }
const char    *bell_call_get_reason      (BellCall *self) { return self->reason; }
gint64         bell_call_get_started     (BellCall *self) { return self->started; }
gboolean       bell_call_get_held        (BellCall *self) { return self->held; }
gboolean       bell_call_get_remote_held (BellCall *self) { return self->remote_held; }
gboolean       bell_call_get_muted       (BellCall *self) { return self->muted; }
double         bell_call_get_volume      (BellCall *self) { return self->volume; }
const char    *bell_call_get_codec       (BellCall *self) { return self->codec; }
gboolean       bell_call_get_encrypted   (BellCall *self) { return self->encrypted; }
const char    *bell_call_get_media_error (BellCall *self) { return self->media_error; }
const char    *bell_call_get_dtmf_sent   (BellCall *self) { return self->dtmf_sent->str; }
gboolean       bell_call_get_ended_locally (BellCall *self) { return self->ended_locally; }

const char *
bell_call_get_name (BellCall *self)
{
  return self->name ? self->name : self->peer;
}

void
bell_call_set_name (BellCall *self, const char *name)
{
  if (g_strcmp0 (self->name, name) == 0)
    return;
  g_free (self->name);
  self->name = g_strdup (name);
  changed (self);
}

void
bell_call_set_account_id (BellCall *self, const char *account_id)
{
  g_free (self->account_id);
  self->account_id = g_strdup (account_id);
}

void
bell_call_set_account_aor (BellCall *self, const char *aor)
{
  g_free (self->account_aor);
  self->account_aor = g_strdup (aor);
}

void
bell_call_set_account_name (BellCall *self, const char *name)
{
  if (g_strcmp0 (self->account_name, name) == 0)
    return;
  g_free (self->account_name);
  self->account_name = g_strdup (name);
  changed (self);
}

guint
bell_call_get_duration (BellCall *self)
{
  gint64 end;

  if (!self->connected_at)
    return 0;
  end = self->ended_at ? self->ended_at : g_get_monotonic_time ();
  return (guint) ((end - self->connected_at) / G_USEC_PER_SEC);
}

const BellCallQuality *
bell_call_get_quality (BellCall *self)
{
  return self->have_quality ? &self->quality : NULL;
}

BellCallQualityBand
bell_call_get_quality_band (BellCall *self)
{
  return self->have_quality ? bell_call_quality_band_for_mos (self->quality.mos)
                            : BELL_CALL_QUALITY_UNKNOWN;
}

gboolean
bell_call_was_connected (BellCall *self)
{
  return self->connected_at != 0;
}

gboolean
bell_call_is_missed (BellCall *self)
{
  return !self->outgoing && self->state == BELL_CALL_STATE_ENDED && !self->connected_at &&
         (self->silenced || !self->ended_locally);
}

void
bell_call_update_state (BellCall *self, BellCallState state, guint code, const char *reason)
{
  if (self->state == BELL_CALL_STATE_ENDED)
    return;
  self->state = state;
  if (code)
    self->code = code;
  if (reason)
    {
      g_free (self->reason);
      self->reason = g_strdup (reason);
    }
  if (state == BELL_CALL_STATE_CONNECTED && !self->connected_at)
    self->connected_at = g_get_monotonic_time ();
  if (state == BELL_CALL_STATE_ENDED)
    self->ended_at = g_get_monotonic_time ();
  changed (self);
}

void
bell_call_update_hold (BellCall *self, gboolean held, gboolean remote_held)
{
  self->held = held;
  self->remote_held = remote_held;
  changed (self);
}

void
bell_call_update_media (BellCall *self, const char *codec, gboolean encrypted, const char *error)
{
  if (codec)
    {
      /* Another codec (a re-INVITE): what the last report said the sender does (bitrate,
       * FEC, RED) was about the old one. */
      if (self->quality_codec && g_ascii_strcasecmp (self->quality_codec, codec) != 0)
        {
          g_clear_pointer (&self->quality_codec, g_free);
          self->quality.codec = NULL;
          self->quality.bitrate = 0;
          self->quality.fec = FALSE;
          self->quality.red = 0;
        }
      g_free (self->codec);
      self->codec = g_strdup (codec);
    }
  self->encrypted = encrypted;
  g_free (self->media_error);
  self->media_error = g_strdup (error);
  changed (self);
}

void
bell_call_update_quality (BellCall *self, const BellCallQuality *quality)
{
  g_return_if_fail (BELL_IS_CALL (self));
  g_return_if_fail (quality != NULL);

  self->have_quality = TRUE;
  self->quality = *quality;
  g_free (self->quality_codec);
  self->quality_codec = g_strdup (quality->codec);
  self->quality.codec = self->quality_codec;
  changed (self);
}

void
bell_call_add_dtmf_sent (BellCall *self, const char *digits)
{
  g_string_append (self->dtmf_sent, digits);
  changed (self);
}

void
bell_call_set_muted (BellCall *self, gboolean muted)
{
  self->muted = muted;
  changed (self);
}

void
bell_call_set_volume (BellCall *self, double volume)
{
  self->volume = volume;
  changed (self);
}

void
bell_call_set_ended_locally (BellCall *self, gboolean ended_locally)
{
  self->ended_locally = ended_locally;
}

void
bell_call_set_unreachable (BellCall *self, gboolean unreachable)
{
  self->unreachable = unreachable;
}

void
bell_call_set_lost (BellCall *self, gboolean lost)
{
  self->lost = lost;
}

void
bell_call_set_silenced (BellCall *self, gboolean silenced)
{
  self->silenced = silenced;
}

gboolean
bell_call_get_silenced (BellCall *self)
{
  return self->silenced;
}

void
bell_call_tick (BellCall *self)
{
  if (self->state == BELL_CALL_STATE_CONNECTED)
    changed (self);
}

char *
bell_call_dup_duration_text (BellCall *self)
{
  guint s = bell_call_get_duration (self);

  if (s >= 3600)
    return g_strdup_printf ("%u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
  return g_strdup_printf ("%02u:%02u", s / 60, s % 60);
}

char *
bell_call_dup_end_reason (BellCall *self)
{
  const char *reason = self->reason;

  if (self->state != BELL_CALL_STATE_ENDED)
    return NULL;
  if (self->silenced)
    return g_strdup (_("Do Not Disturb"));
  /* The INVITE never got there: the code is our own 503, the reason the core's words. */
  if (self->unreachable)
    /* TRANSLATORS: the call could not be placed; %s: why, in English, from the network */
    return reason && *reason ? g_strdup_printf (_("Not reachable: %s"), reason)
                             : g_strdup (_("Not reachable"));
  if (self->lost)
    /* TRANSLATORS: a call ended because nothing came from the other side any more */
    return g_strdup (_("Connection lost"));
  switch (self->code)
    {
    case 486: case 600: return g_strdup (_("Busy"));
    case 603: return g_strdup (self->ended_locally ? _("Declined") : _("Declined by the other side"));
    case 404: case 604: return g_strdup (_("Not found"));
    case 480: return g_strdup (_("Not available"));
    case 408: return g_strdup (_("No answer"));
    case 487: return g_strdup (self->outgoing ? _("Cancelled") : _("Cancelled by the caller"));
    case 488: case 415: return g_strdup (_("No common audio format"));
    default: break;
    }
  if (self->ended_locally)
    return g_strdup (self->connected_at ? _("Hung up") : self->outgoing ? _("Cancelled")
                                                                        : _("Declined"));
  if (g_strcmp0 (reason, "the other side hung up") == 0)
    return g_strdup (_("The other side hung up"));
  if (g_strcmp0 (reason, "cancelled") == 0)
    return g_strdup (_("Cancelled"));
  if (self->code >= 300)
    return reason && *reason ? g_strdup_printf ("%u %s", self->code, reason)
                             : g_strdup_printf (_("Error %u"), self->code);
  /* The core's own words (a transport error, an unusable answer): better than nothing. */
  return reason && *reason ? g_strdup (reason) : NULL;
}

char *
bell_call_dup_state_text (BellCall *self)
{
  g_autofree char *why = NULL;

  switch (self->state)
    {
    case BELL_CALL_STATE_DIALING:
      return g_strdup (_("Calling…"));
    case BELL_CALL_STATE_RINGING:
      return g_strdup (_("Ringing…"));
    case BELL_CALL_STATE_INCOMING:
      return g_strdup (_("Incoming call"));
    case BELL_CALL_STATE_CONNECTED:
      if (self->held)
        return g_strdup (_("On hold"));
      if (self->remote_held)
        return g_strdup (_("Held by the other side"));
      return g_strdup (_("Connected"));
    case BELL_CALL_STATE_ENDED:
    default:
      why = bell_call_dup_end_reason (self);
      /* TRANSLATORS: a call ended, then why: "Ended: Busy" */
      return why ? g_strdup_printf (_("Ended: %s"), why) : g_strdup (_("Ended"));
    }
}

BellCallQualityBand
bell_call_quality_band_for_mos (double mos)
{
  /* ITU-T G.107 Annex B (table B.1): R 90, 80, 70, 60 map to these MOS values. */
  if (!(mos > 0))
    return BELL_CALL_QUALITY_UNKNOWN;
  if (mos >= 4.3)
    return BELL_CALL_QUALITY_EXCELLENT;
  if (mos >= 4.0)
    return BELL_CALL_QUALITY_GOOD;
  if (mos >= 3.6)
    return BELL_CALL_QUALITY_FAIR;
  if (mos >= 3.1)
    return BELL_CALL_QUALITY_POOR;
  return BELL_CALL_QUALITY_BAD;
}

const char *
bell_call_quality_band_to_string (BellCallQualityBand band)
{
  switch (band)
    {
    /* TRANSLATORS: how good a call sounds, from the best to the worst */
    case BELL_CALL_QUALITY_EXCELLENT: return C_("call quality", "Excellent");
    case BELL_CALL_QUALITY_GOOD: return C_("call quality", "Good");
    case BELL_CALL_QUALITY_FAIR: return C_("call quality", "Fair");
    case BELL_CALL_QUALITY_POOR: return C_("call quality", "Poor");
    case BELL_CALL_QUALITY_BAD: return C_("call quality", "Bad");
    case BELL_CALL_QUALITY_UNKNOWN:
    default: return NULL;
    }
}

const char *
bell_call_codec_display_name (const char *codec)
{
  if (!codec)
    return NULL;
  if (g_ascii_strcasecmp (codec, "OPUS") == 0)
    return _("Opus");
  if (g_ascii_strcasecmp (codec, "G722") == 0)
    return _("G.722");
  if (g_ascii_strcasecmp (codec, "PCMU") == 0)
    /* TRANSLATORS: the telephone codec G.711 with µ-law companding (PCMU) */
    return _("G.711 µ-law");
  if (g_ascii_strcasecmp (codec, "PCMA") == 0)
    /* TRANSLATORS: the telephone codec G.711 with A-law companding (PCMA) */
    return _("G.711 A-law");
  return codec;
}

/* What the sender uses now: the last report's codec (it follows the rate control), else the
 * one the offer/answer chose. */
static const char *
current_codec (BellCall *self)
{
  return self->quality.codec ? self->quality.codec : self->codec;
}

static gboolean
is_opus (const char *codec)
{
  return codec && g_ascii_strcasecmp (codec, "OPUS") == 0;
}

char *
bell_call_dup_codec_text (BellCall *self)
{
  const char *codec = current_codec (self);
  const char *name = bell_call_codec_display_name (codec);

  if (!name)
    return NULL;
  if (is_opus (codec) && self->quality.bitrate > 0)
    /* TRANSLATORS: a codec's name, then the bitrate it sends at: "Opus 24 kbit/s" */
    return g_strdup_printf (_("%s %.3g kbit/s"), name, self->quality.bitrate / 1000.0);
  return g_strdup (name);
}

char *
bell_call_dup_quality_text (BellCall *self)
{
  const BellCallQuality *q = &self->quality;
  const char *word;
  g_autoptr(GString) text = g_string_new (NULL);

  if (!self->have_quality)
    return NULL;
  word = bell_call_quality_band_to_string (bell_call_quality_band_for_mos (q->mos));
  if (word)
    /* TRANSLATORS: %s is a word from Excellent to Bad; MOS is the mean opinion score (1 to
     * 4.5) it was judged by, e.g. "Quality: Good (MOS 4.1)" */
    g_string_append_printf (text, _("Quality: %s (MOS %.1f)"), word, q->mos);
  else
    g_string_append (text, _("Call quality"));
  /* Said only when on: a normal user need not know it exists until it works for them. */
  if (q->fec || q->red > 0)
    {
      g_string_append (text, " · ");
      /* TRANSLATORS: FEC or redundant copies guard the call's sound against lost packets */
      g_string_append (text, _("Loss protection on"));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

char *
bell_call_dup_quality_details (BellCall *self)
{
  const BellCallQuality *q = &self->quality;
  g_autoptr(GString) text = g_string_new (NULL);

  if (!self->have_quality)
    return NULL;
  /* TRANSLATORS: packet loss of a call in percent */
  g_string_append_printf (text, _("Loss %.1f %%"), q->loss * 100);
  g_string_append (text, " · ");
  /* TRANSLATORS: jitter of a call in milliseconds */
  g_string_append_printf (text, _("Jitter %.0f ms"), q->jitter_ms);
  if (q->rtt_ms >= 0)
    {
      g_string_append (text, " · ");
      /* TRANSLATORS: round-trip time of a call in milliseconds */
      g_string_append_printf (text, _("Round trip %.0f ms"), q->rtt_ms);
    }
  if (q->remote_loss >= 0)
    {
      g_string_append_c (text, '\n');
      /* TRANSLATORS: the share of our packets the other side did not receive */
      g_string_append_printf (text, _("Loss at the other side %.1f %%"), q->remote_loss * 100);
    }
  g_string_append_c (text, '\n');
  /* TRANSLATORS: RTP packets of a call, counted since it began */
  g_string_append_printf (text, _("Packets sent %llu · received %llu · lost %lld"),
                          (unsigned long long) q->sent, (unsigned long long) q->received,
                          (long long) q->lost);
  if (q->frames > 0)
    {
      g_string_append_c (text, '\n');
      /* TRANSLATORS: audio frames received, and how many of them were rebuilt from forward
       * error correction (FEC), from redundant copies (RED) or made up (concealed) */
      g_string_append_printf (text, _("Frames %llu · FEC %llu · RED %llu · concealed %llu"),
                              (unsigned long long) q->frames, (unsigned long long) q->frames_fec,
                              (unsigned long long) q->frames_red,
                              (unsigned long long) q->frames_concealed);
    }
  g_string_append_c (text, '\n');
  /* TRANSLATORS: the depth of the playout (jitter) buffer, and packets that came too late */
  g_string_append_printf (text, _("Jitter buffer %u ms · late packets %llu"),
                          q->jitter_buffer_ms, (unsigned long long) q->late);
  g_string_append_c (text, '\n');
  if (q->rejected > 0)
    {
      /* Shown only when it happened: someone else is sending to this call's port. */
      gulong n = (gulong) MIN (q->rejected, G_MAXULONG);
      /* TRANSLATORS: sound packets from an address not the other side's, dropped unheard */
      const char *format = g_dngettext (GETTEXT_PACKAGE, "%llu packet from another address dropped",
                                        "%llu packets from other addresses dropped", n);

      g_string_append_printf (text, format, (unsigned long long) q->rejected);
      g_string_append_c (text, '\n');
    }
  if (is_opus (current_codec (self)))
    {
      /* TRANSLATORS: Opus in-band forward error correction */
      g_string_append (text, q->fec ? _("Opus FEC on") : _("Opus FEC off"));
      g_string_append (text, " · ");
    }
  if (q->red > 0)
    /* TRANSLATORS: RED (RFC 2198): each packet also carries copies of earlier frames */
    g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "RED %u copy", "RED %u copies",
                                               q->red), q->red);
  else
    /* TRANSLATORS: RED (RFC 2198, redundant copies of earlier frames) is not sent */
    g_string_append (text, _("RED off"));
  return g_string_free (g_steal_pointer (&text), FALSE);
}
