/* bell-media-session.h: one call's audio, both ways, in GStreamer.
 *
 * Send: source (microphone, a test tone, silence or a WAV file) → encoder → RTP payloader →
 * appsink → our RTP socket; for G.711 the appsink takes the samples and the send callback cuts,
 * encodes and packs them itself (bell-g711.h). Receive: our RTP socket → push source → jitter
 * buffer → depayloader → decoder → sink (speaker, nothing, or a WAV file); G.711 to a WAV file
 * or to nothing goes through our own playout instead (bell-playout-src.h), with no thread
 * woken per packet. The socket stays ours (symmetric RTP, SRTP, statistics); GStreamer codes
 * and plays. DTMF (RFC 4733) goes out in the audio stream's place and comes in as events. Made
 * and driven on the core thread.
 */
#pragma once

#include <glib.h>
#include "bell-frame-tally.h"
#include "bell-rtcp.h"
#include "bell-rtp-socket.h"
#include "bell-sdp-negotiate.h"

G_BEGIN_DECLS

#define BELL_MEDIA_ERROR (bell_media_error_quark ())
GQuark bell_media_error_quark (void);

typedef enum
{
  BELL_MEDIA_ERROR_MISSING,    /* a GStreamer element is not installed (the message names it) */
  BELL_MEDIA_ERROR_CODEC,      /* a codec we cannot code */
  BELL_MEDIA_ERROR_PIPELINE,   /* the pipeline would not start (device busy, bad file ...) */
} BellMediaError;

typedef struct
{
  const char *audio_in;        /* "default", "pulse:DEVICE", "alsa:DEVICE", "tone", "none" or a
                                * WAV file; NULL: default */
  const char *audio_out;       /* "default", "pulse:DEVICE", "alsa:DEVICE", "none" or a WAV file
                                * to write; NULL: default */
  gboolean    low_bandwidth;   /* Opus sent at a low bitrate */
  gboolean    no_redundancy;   /* neither Opus FEC nor RED, either way */
} BellMediaConfig;

typedef struct _BellMediaSession BellMediaSession;

typedef void (*BellMediaDtmfFunc) (char digit, guint duration_ms, gpointer user_data);
typedef struct
{
  BellRtcpStats   rtcp;              /* RFC 3550 figures, both directions */
  guint           jitter_buffer_ms;  /* the playout delay the jitter buffer holds now */
  guint64         late;              /* packets that came too late for it (concealed) */
  BellFrameCounts frames;            /* what became of the frames we received */
  const char     *codec;             /* "PCMU", "OPUS" ... (the plan's encoding) */
  guint           bitrate;           /* Opus: the bits/s we send now; 0 for other codecs */
  gboolean        fec;               /* we send Opus in-band FEC now */
  guint           red;               /* RFC 2198 copies of earlier frames in each packet we
                                      * send (0: none, or no RED agreed) */
  double          mos;               /* ITU-T G.107 estimate for what we hear, 1..4.5, from
                                      * the delay and the frames lost since the last report */
  guint64         rejected;          /* RTP and RTCP packets dropped since the call's socket
                                      * was made for coming from another source than the
                                      * peer's (bell-rtp-latch.h; BellRtpStats.dropped_foreign) */
  gboolean        final;             /* the last figures of the call: it is ending */
} BellMediaStats;

/* After each RTCP report we send (about every 5 s), and once more as the call ends
 * (bell_media_session_report_final): the call's figures. */
typedef void (*BellMediaStatsFunc) (const BellMediaStats *stats, gpointer user_data);

/* Can a call code name ("PCMU", "opus" ...; any case) here: does the media layer know it and
 * GStreamer have its elements? */
gboolean          bell_media_can_code          (const char *name);
/* Checks that GStreamer has what a call needs; a readable error when not. */
gboolean          bell_media_check             (const BellMediaConfig *config, GError **error);

/* socket: where the call's RTP goes (the session keeps a reference and installs its receive
 * function). Nothing runs until bell_media_session_apply(). */
BellMediaSession *bell_media_session_new       (const BellMediaConfig *config,
                                                BellRtpSocket *socket, GMainContext *context);
/* What an offer/answer agreed: starts the pipeline, or changes it (codec, directions). */
gboolean          bell_media_session_apply     (BellMediaSession *m, const BellSdpMediaPlan *plan,
                                                GError **error);
/* The figures of the last seconds, which no report has carried yet: handed to the stats
 * function with final set (the call is ending; its RTCP BYE follows). */
void              bell_media_session_report_final (BellMediaSession *m);
/* Sends digits as telephone-events (the peer must have offered them); error otherwise. */
gboolean          bell_media_session_send_dtmf (BellMediaSession *m, const char *digits,
                                                GError **error);
void              bell_media_session_set_dtmf_func (BellMediaSession *m, BellMediaDtmfFunc func,
                                                    gpointer user_data);
void              bell_media_session_set_stats_func (BellMediaSession *m, BellMediaStatsFunc func,
                                                     gpointer user_data);
void              bell_media_session_set_mute  (BellMediaSession *m, gboolean mute);
/* What we hear: 1.0 as it comes, 0 silent, up to 4. */
void              bell_media_session_set_volume (BellMediaSession *m, double volume);
/* Ends the pipeline (a WAV being written is finished properly) and lets the socket go. */
void              bell_media_session_free      (BellMediaSession *m);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellMediaSession, bell_media_session_free)

G_END_DECLS
