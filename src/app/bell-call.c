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
  double          loss;
  double          jitter_ms;
  double          rtt_ms;
  GString        *dtmf_sent;
  gboolean        ended_locally;
  gboolean        silenced;
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
  self->rtt_ms = -1;
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

gboolean
bell_call_get_quality (BellCall *self, double *loss, double *jitter_ms, double *rtt_ms)
{
  if (loss)
    *loss = self->loss;
  if (jitter_ms)
    *jitter_ms = self->jitter_ms;
  if (rtt_ms)
    *rtt_ms = self->rtt_ms;
  return self->have_quality;
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
      g_free (self->codec);
      self->codec = g_strdup (codec);
    }
  self->encrypted = encrypted;
  g_free (self->media_error);
  self->media_error = g_strdup (error);
  changed (self);
}

void
bell_call_update_quality (BellCall *self, double loss, double jitter_ms, double rtt_ms)
{
  self->have_quality = TRUE;
  self->loss = loss;
  self->jitter_ms = jitter_ms;
  self->rtt_ms = rtt_ms;
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

char *
bell_call_dup_quality_text (BellCall *self)
{
  g_autoptr(GString) text = g_string_new (NULL);

  if (!self->have_quality)
    return NULL;
  /* TRANSLATORS: packet loss of a call in percent */
  g_string_append_printf (text, _("Loss %.1f %%"), self->loss * 100);
  g_string_append (text, " · ");
  /* TRANSLATORS: jitter of a call in milliseconds */
  g_string_append_printf (text, _("Jitter %.0f ms"), self->jitter_ms);
  if (self->rtt_ms >= 0)
    {
      g_string_append (text, " · ");
      /* TRANSLATORS: round-trip time of a call in milliseconds */
      g_string_append_printf (text, _("Round trip %.0f ms"), self->rtt_ms);
    }
  return g_strdup (text->str);
}
