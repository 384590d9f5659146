/* bell-call-media.c: a call's negotiator, RTP socket and audio pipelines, kept in step. */
#define G_LOG_DOMAIN "bell-media"

#include "bell-call-media.h"

struct _BellCallMedia
{
  BellMediaConfig    config;      /* strings owned */
  BellRtpSocket     *socket;
  BellMediaSession  *session;
  BellSdpNegotiator *negotiator;
  char              *address;     /* our media address (what the SIP side found toward the peer) */
  BellCallMediaFunc  applied;
  gpointer           applied_data;
};

static void
apply_plan (BellCallMedia *media)
{
  g_autoptr(GError) error = NULL;

  if (!media->session)
    return;
  if (!bell_media_session_apply (media->session, bell_sdp_negotiator_get_plan (media->negotiator), &error))
    g_message ("the call's audio does not run: %s", error->message);
  if (media->applied)
    media->applied (bell_sdp_negotiator_get_plan (media->negotiator), error, media->applied_data);
}

void
bell_call_media_set_applied_func (BellCallMedia *media, BellCallMediaFunc func, gpointer user_data)
{
  media->applied = func;
  media->applied_data = user_data;
}

static char *
make_offer (gboolean hold, gpointer data)
{
  BellCallMedia *media = data;

  return bell_sdp_negotiator_offer (media->negotiator, hold);
}

static char *
make_answer (const char *offer, gboolean hold, gpointer data, GError **error)
{
  BellCallMedia *media = data;
  char *answer = bell_sdp_negotiator_answer (media->negotiator, offer, hold, error);

  if (answer)
    apply_plan (media);
  return answer;
}

static gboolean
take_answer (const char *answer, gpointer data, GError **error)
{
  BellCallMedia *media = data;

  if (!bell_sdp_negotiator_apply_answer (media->negotiator, answer, error))
    return FALSE;
  apply_plan (media);
  return TRUE;
}

static void
set_address (const char *address, gboolean secure, gpointer data)
{
  BellCallMedia *media = data;

  bell_sdp_negotiator_set_address (media->negotiator, address);
  bell_sdp_negotiator_set_secure (media->negotiator, secure);
}

static void
bell_call_media_free (BellCallMedia *media)
{
  bell_call_media_stop (media);
  bell_sdp_negotiator_free (media->negotiator);
  g_free ((char *) media->config.audio_in);
  g_free ((char *) media->config.audio_out);
  g_free (media->address);
  g_free (media);
}

BellCallMedia *
bell_call_media_new (const BellMediaConfig *config, BellSdpSrtpPolicy srtp, GSocketFamily family,
                     GMainContext *context, GError **error)
{
  g_autoptr(BellRtpSocket) socket = NULL;
  BellCallMedia *media;
  BellSdpLocal local = { 0 };

  if (!bell_media_check (config, error))
    return NULL;
  socket = bell_rtp_socket_new (NULL, family, context, error);
  if (!socket)
    return NULL;
  media = g_new0 (BellCallMedia, 1);
  media->config.audio_in = g_strdup (config->audio_in);
  media->config.audio_out = g_strdup (config->audio_out);
  media->socket = g_steal_pointer (&socket);
  local.address = family == G_SOCKET_FAMILY_IPV6 ? "::" : "0.0.0.0";
  local.rtp_port = bell_rtp_socket_get_port (media->socket);
  local.srtp = srtp;
  media->negotiator = bell_sdp_negotiator_new (&local);
  media->session = bell_media_session_new (&media->config, media->socket, context);
  return media;
}

BellSipOfferAnswer
bell_call_media_provider (BellCallMedia *media)
{
  BellSipOfferAnswer oa = {
    make_offer, make_answer, take_answer, media, (GDestroyNotify) bell_call_media_free,
    set_address,
  };

  return oa;
}

gboolean
bell_call_media_send_dtmf (BellCallMedia *media, const char *digits, GError **error)
{
  if (!media->session)
    {
      g_set_error_literal (error, BELL_MEDIA_ERROR, BELL_MEDIA_ERROR_PIPELINE, "the call has ended");
      return FALSE;
    }
  return bell_media_session_send_dtmf (media->session, digits, error);
}

void
bell_call_media_set_mute (BellCallMedia *media, gboolean mute)
{
  if (media->session)
    bell_media_session_set_mute (media->session, mute);
}

void
bell_call_media_set_dtmf_func (BellCallMedia *media, BellMediaDtmfFunc func, gpointer user_data)
{
  if (media->session)
    bell_media_session_set_dtmf_func (media->session, func, user_data);
}

void
bell_call_media_stop (BellCallMedia *media)
{
  g_clear_pointer (&media->session, bell_media_session_free);
  if (media->socket)
    bell_rtp_socket_close (media->socket);
  g_clear_pointer (&media->socket, bell_rtp_socket_unref);
}

const BellSdpMediaPlan *
bell_call_media_get_plan (BellCallMedia *media)
{
  return bell_sdp_negotiator_get_plan (media->negotiator);
}

BellRtpSocket *
bell_call_media_get_socket (BellCallMedia *media)
{
  return media->socket;
}
