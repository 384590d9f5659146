/* bell-call.h: one call as the window shows it, fed by the core's events.
 *
 * A BellCall is a plain model on the main thread: BellCallManager updates it from "call",
 * "hold", "media", "quality" and "dtmf" events and it emits "changed" after each update; the
 * call view and the notifications read it. It never talks to the core itself.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* What the core's "quality" event says (about every 5 s; the fields in bell-core.h). The
 * manager fills it; the call keeps a copy (codec duplicated). */
typedef struct
{
  double      loss;              /* 0..1: of the peer's packets, since the last report */
  double      jitter_ms;
  double      rtt_ms;            /* < 0: not known yet */
  double      remote_loss;       /* 0..1: what the peer lost of ours; < 0: not reported yet */
  double      mos;               /* ITU-T G.107 estimate, 1..4.5, of what we heard; <= 0: none */
  const char *codec;             /* what we send now ("OPUS", "G722", "PCMU", "PCMA"), or NULL */
  guint       bitrate;           /* Opus bits/s now; 0: not Opus */
  gboolean    fec;               /* Opus in-band FEC on */
  guint       red;               /* RED (RFC 2198) copies per packet; 0: off */
  guint       jitter_buffer_ms;  /* the playout buffer's depth now */
  guint64     sent;              /* packets, since the call began */
  guint64     received;
  gint64      lost;              /* RFC 3550's cumulative count (duplicates can make it < 0) */
  guint64     late;              /* packets that came too late for the jitter buffer */
  guint64     frames;            /* frames due at our decoder so far, and how each was had: */
  guint64     frames_fec;        /* rebuilt from the next packet's Opus FEC */
  guint64     frames_red;        /* from a RED copy */
  guint64     frames_concealed;  /* neither: made up by the decoder */
  guint64     rejected;          /* RTP/RTCP packets from another source than the peer's,
                                  * dropped (a stranger who found the port) */
} BellCallQuality;

/* The ITU-T G.107 Annex B bands of the MOS (user satisfaction), worst first. */
typedef enum
{
  BELL_CALL_QUALITY_UNKNOWN,     /* no MOS yet */
  BELL_CALL_QUALITY_BAD,         /* < 3.1: nearly all users dissatisfied */
  BELL_CALL_QUALITY_POOR,        /* >= 3.1: many dissatisfied */
  BELL_CALL_QUALITY_FAIR,        /* >= 3.6: some dissatisfied */
  BELL_CALL_QUALITY_GOOD,        /* >= 4.0: satisfied */
  BELL_CALL_QUALITY_EXCELLENT,   /* >= 4.3: very satisfied */
} BellCallQualityBand;

typedef enum
{
  BELL_CALL_STATE_DIALING,
  BELL_CALL_STATE_RINGING,     /* outgoing: the callee's phone rings */
  BELL_CALL_STATE_INCOMING,    /* incoming: ours rings */
  BELL_CALL_STATE_CONNECTED,
  BELL_CALL_STATE_ENDED,
} BellCallState;

#define BELL_TYPE_CALL (bell_call_get_type ())
G_DECLARE_FINAL_TYPE (BellCall, bell_call, BELL, CALL, GObject)

BellCall       *bell_call_new              (guint id, gboolean outgoing, const char *peer);

guint           bell_call_get_id           (BellCall *self);
gboolean        bell_call_is_outgoing      (BellCall *self);
BellCallState   bell_call_get_state        (BellCall *self);
/* The remote URI, and what to call them: a contact's name, else the number or address. */
const char     *bell_call_get_peer         (BellCall *self);
const char     *bell_call_get_name         (BellCall *self);
void            bell_call_set_name         (BellCall *self, const char *name);
/* The account the call was made or taken as (its id), or NULL. */
const char     *bell_call_get_account_id   (BellCall *self);
void            bell_call_set_account_id   (BellCall *self, const char *account_id);
/* For an incoming call: the AOR of the account whose registrar sent it, or NULL for a direct
 * call (sent straight to this computer, through no server of ours). */
const char     *bell_call_get_account_aor  (BellCall *self);
void            bell_call_set_account_aor  (BellCall *self, const char *aor);
/* What the user calls that account (its title), or NULL; setting it emits "changed". */
const char     *bell_call_get_account_name (BellCall *self);
void            bell_call_set_account_name (BellCall *self, const char *name);
/* The SIP status and the reason of the last state (e.g. 486 "busy"). */
guint           bell_call_get_code         (BellCall *self);
const char     *bell_call_get_reason       (BellCall *self);
/* Wall-clock start (µs since the epoch) and the seconds it has been connected. */
gint64          bell_call_get_started      (BellCall *self);
guint           bell_call_get_duration     (BellCall *self);
gboolean        bell_call_get_held         (BellCall *self);   /* we hold it */
gboolean        bell_call_get_remote_held  (BellCall *self);   /* the peer holds it */
gboolean        bell_call_get_muted        (BellCall *self);
double          bell_call_get_volume       (BellCall *self);
/* Media: the codec (NULL before the first offer/answer) and whether SRTP protects it. */
const char     *bell_call_get_codec        (BellCall *self);
gboolean        bell_call_get_encrypted    (BellCall *self);
const char     *bell_call_get_media_error  (BellCall *self);
/* The last "quality" event's figures, or NULL before the first. */
const BellCallQuality *bell_call_get_quality (BellCall *self);
BellCallQualityBand bell_call_get_quality_band (BellCall *self);
/* The DTMF digits sent in this call so far. */
const char     *bell_call_get_dtmf_sent    (BellCall *self);
/* Whether it was ever connected (answered). */
gboolean        bell_call_was_connected    (BellCall *self);
/* An incoming call that ended before anyone answered, without us refusing it (a call that
 * Do Not Disturb refused counts as missed). */
gboolean        bell_call_is_missed        (BellCall *self);
/* TRUE when we ended it ourselves: hung up, declined, refused for Do Not Disturb. */
gboolean        bell_call_get_ended_locally (BellCall *self);

/* Sentences for the user: "Calling…", "Connected 01:23", "Ended: Busy" ... */
char           *bell_call_dup_state_text   (BellCall *self);
/* The codec by its proper name, with Opus's bitrate: "Opus 24 kbit/s", "G.711 A-law"; NULL
 * before the first offer/answer. */
char           *bell_call_dup_codec_text   (BellCall *self);
/* How the call holds up, at a glance: "Quality: Good (MOS 4.1) · Loss protection on"; NULL
 * before the first quality event. */
char           *bell_call_dup_quality_text (BellCall *self);
/* The figures behind it, for an engineer, one topic a line: loss, jitter and round trip;
 * the other side's loss; packets; frames repaired or concealed; the jitter buffer; FEC and
 * RED. NULL before the first quality event. */
char           *bell_call_dup_quality_details (BellCall *self);
/* "mm:ss" connected so far (h:mm:ss past an hour). */
char           *bell_call_dup_duration_text (BellCall *self);
/* Why it ended, for the user ("Busy", "Declined", "Not found" ...); NULL before it ends. */
char           *bell_call_dup_end_reason   (BellCall *self);

/* Updates from the manager; each emits "changed" when something changed. */
void            bell_call_update_state     (BellCall *self, BellCallState state, guint code,
                                            const char *reason);
void            bell_call_update_hold      (BellCall *self, gboolean held, gboolean remote_held);
void            bell_call_update_media     (BellCall *self, const char *codec, gboolean encrypted,
                                            const char *error);
void            bell_call_update_quality   (BellCall *self, const BellCallQuality *quality);
void            bell_call_add_dtmf_sent    (BellCall *self, const char *digits);
void            bell_call_set_muted        (BellCall *self, gboolean muted);
void            bell_call_set_volume       (BellCall *self, double volume);
void            bell_call_set_ended_locally (BellCall *self, gboolean ended_locally);
/* Ended because the call could not be delivered at all (the core's "unreachable"). */
void            bell_call_set_unreachable  (BellCall *self, gboolean unreachable);
/* Ended by the core for its media timeout: nothing came from the peer (the core's "lost"). */
void            bell_call_set_lost         (BellCall *self, gboolean lost);
/* Refused because Do Not Disturb is on: missed, with that as the reason. */
void            bell_call_set_silenced     (BellCall *self, gboolean silenced);
gboolean        bell_call_get_silenced     (BellCall *self);
/* The timer's tick: "changed" once a second while connected, for the mm:ss text. */
void            bell_call_tick             (BellCall *self);

/* The band of a MOS, and its word for the user ("Good"); NULL for BELL_CALL_QUALITY_UNKNOWN. */
BellCallQualityBand bell_call_quality_band_for_mos (double mos);
const char     *bell_call_quality_band_to_string (BellCallQualityBand band);
/* A codec as the core names it ("OPUS", "G722", "PCMU", "PCMA", any case) by its proper name
 * ("Opus", "G.722", "G.711 µ-law", "G.711 A-law"); another name as it is. */
const char     *bell_call_codec_display_name (const char *codec);

/* Parses the core's state name ("dialing", "connected" ...); FALSE for an unknown one. */
gboolean        bell_call_state_from_string (const char *text, BellCallState *state);

G_END_DECLS
