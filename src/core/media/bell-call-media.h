/* bell-call-media.h: a call's media side, what its offer/answer drives.
 *
 * One per call, made by the core and handed to the call as its BellSipOfferAnswer: the
 * negotiator makes and reads the SDP, and every offer/answer that completes is applied to
 * the call's RTP socket and audio pipelines. The call owns it (the provider's user_data).
 */
#pragma once

#include "bell-clock.h"
#include "bell-media-session.h"
#include "bell-sip-call.h"

G_BEGIN_DECLS

typedef struct _BellCallMedia BellCallMedia;

/* What the user (or the account) wants of a call's media. */
typedef struct
{
  BellSdpSrtpPolicy srtp;
  const char       *codecs;         /* "opus,PCMU" style, most wanted first; NULL: opus, G722,
                                     * PCMU, PCMA. Those GStreamer cannot code here are left
                                     * out; PCMU and PCMA are always offered */
  gboolean          low_bandwidth;  /* a narrow stream: Opus at a low bitrate, preferred */
  gboolean          no_redundancy;  /* no Opus FEC, no RED */
} BellCallMediaPolicy;

/* An RTP socket for family on context, audio per config. NULL with an error when no socket
 * can be had or GStreamer lacks what config needs. */
BellCallMedia *bell_call_media_new (const BellMediaConfig *config,
                                    const BellCallMediaPolicy *policy, GSocketFamily family,
                                    GMainContext *context, GError **error);
/* The echo test a new user can call without an account: no audio pipelines, every RTP packet
 * sent back to where it came from (so any codec the peer offers will do). */
BellCallMedia *bell_call_media_new_echo (const BellCallMediaPolicy *policy,
                                         GMainContext *context, GError **error);
/* The provider for bell_sip_call_new_*: takes media (freed with the call). */
BellSipOfferAnswer bell_call_media_provider (BellCallMedia *media);

gboolean bell_call_media_send_dtmf (BellCallMedia *media, const char *digits, GError **error);
void     bell_call_media_set_mute  (BellCallMedia *media, gboolean mute);
void     bell_call_media_set_volume (BellCallMedia *media, double volume);
void     bell_call_media_set_dtmf_func (BellCallMedia *media, BellMediaDtmfFunc func,
                                        gpointer user_data);
void     bell_call_media_set_stats_func (BellCallMedia *media, BellMediaStatsFunc func,
                                         gpointer user_data);
/* TESTING ONLY: the call's RTP socket, and any it is replaced by (a call moving to IPv6), loses
 * RTP both ways as loss says (bell_rtp_socket_set_test_loss()). */
void     bell_call_media_set_test_loss (BellCallMedia *media, const BellRtpTestLoss *loss);
/* Called after each offer/answer applied to the media (plan: what runs now). */
typedef void (*BellCallMediaFunc) (const BellSdpMediaPlan *plan, const GError *error,
                                   gpointer user_data);
void     bell_call_media_set_applied_func (BellCallMedia *media, BellCallMediaFunc func,
                                           gpointer user_data);
/* STUN (bell-stun-client.h): asks server ("host[:port]") for the public address of the call's
 * RTP port, for at most timeout_ms of clock, so that a phone behind NAT names in its offers and
 * answers the address the peer can reach. Until the answer, and when there is none (a g_message
 * says why), the local address is used; so it is toward a peer on loopback, which reaches us
 * there. No-op without an RTP socket. */
void     bell_call_media_discover  (BellCallMedia *media, const char *server, BellClock *clock,
                                    guint timeout_ms);
/* Runs func on the media's context once no discovery is in progress (at once when none is):
 * the INVITE or the answer waits for it. Not run when the media stops first; destroy frees
 * user_data either way. */
typedef void (*BellCallMediaReadyFunc) (BellCallMedia *media, gpointer user_data);
void     bell_call_media_when_ready (BellCallMedia *media, BellCallMediaReadyFunc func,
                                     gpointer user_data, GDestroyNotify destroy);
/* The public address and port of the RTP port that STUN found; NULL without one. */
GInetSocketAddress *bell_call_media_get_public_address (BellCallMedia *media);
/* The call ended: pipelines stop, the socket closes and the SRTP keys are wiped now, not when
 * the call is freed. */
void     bell_call_media_stop      (BellCallMedia *media);
const BellSdpMediaPlan *bell_call_media_get_plan (BellCallMedia *media);
BellRtpSocket *bell_call_media_get_socket (BellCallMedia *media);

G_END_DECLS
