/* bell-call-media.c: a call's negotiator, RTP socket and audio pipelines, kept in step. */
#define G_LOG_DOMAIN "bell-media"

#include "bell-call-media.h"

#include "bell-srtp.h"

struct _BellCallMedia
{
  BellMediaConfig    config;      /* strings owned */
  BellRtpSocket     *socket;
  BellMediaSession  *session;
  BellSdpNegotiator *negotiator;
  char              *address;     /* our media address (what the SIP side found toward the peer) */
  BellCallMediaFunc  applied;
  gpointer           applied_data;
  char              *remote;      /* "address port rtcp mux": set_remote only on a change */
  char              *srtp;        /* "suite local-key remote-key" in use; NULL: plain RTP */
  gboolean           echo;        /* the echo test: what comes in goes back out */
  GMainContext      *context;
  BellMediaDtmfFunc  dtmf_func;
  gpointer           dtmf_data;
  BellMediaStatsFunc stats_func;
  gpointer           stats_data;
  double             test_loss;   /* bell_call_media_set_test_loss() */
  guint32            test_loss_seed;
};

static void on_echo (BellRtpSocket *socket, const guint8 *data, gsize len, gboolean rtcp,
                     gpointer user_data);

/* A socket (and audio session on it) of family, before anything was sent: the call turned
 * out to go over IPv6 (or back to IPv4), and c= must be reachable. */
static void
switch_family (BellCallMedia *media, GSocketFamily family)
{
  g_autoptr(GError) error = NULL;
  BellRtpSocket *socket = bell_rtp_socket_new (NULL, family, media->context, &error);

  if (!socket)
    {
      g_message ("no RTP socket for IPv%d: %s", family == G_SOCKET_FAMILY_IPV6 ? 6 : 4, error->message);
      return;
    }
  g_clear_pointer (&media->session, bell_media_session_free);
  bell_rtp_socket_close (media->socket);
  bell_rtp_socket_unref (media->socket);
  media->socket = socket;
  if (media->test_loss > 0)
    bell_rtp_socket_set_loss (socket, media->test_loss, media->test_loss_seed);
  bell_sdp_negotiator_set_port (media->negotiator, bell_rtp_socket_get_port (socket));
  if (media->echo)
    bell_rtp_socket_set_receive_func (socket, on_echo, NULL, NULL);
  else
    {
      media->session = bell_media_session_new (&media->config, socket, media->context);
      bell_media_session_set_dtmf_func (media->session, media->dtmf_func, media->dtmf_data);
      bell_media_session_set_stats_func (media->session, media->stats_func, media->stats_data);
    }
}

/* SDES keys from the offer/answer: a new SRTP session on the socket when they change. */
static gboolean
apply_srtp (BellCallMedia *media, const BellSdpMediaPlan *plan, GError **error)
{
  char *wanted = plan->srtp_suite ? g_strjoin (" ", plan->srtp_suite, plan->srtp_local_key,
                                              plan->srtp_remote_key, NULL) : NULL;
  BellSrtpSession *srtp = NULL;
  BellSrtpSuite suite;

  if (g_strcmp0 (wanted, media->srtp) == 0)
    {
      bell_srtp_key_free (wanted);
      return TRUE;
    }
  if (wanted && !bell_srtp_suite_from_name (plan->srtp_suite, &suite))
    {
      g_set_error (error, BELL_MEDIA_ERROR, BELL_MEDIA_ERROR_CODEC, "unknown SRTP suite %s",
                   plan->srtp_suite);
      bell_srtp_key_free (wanted);
      return FALSE;
    }
  if (wanted && !(srtp = bell_srtp_session_new (suite, plan->srtp_local_key, plan->srtp_remote_key,
                                                error)))
    {
      bell_srtp_key_free (wanted);
      return FALSE;
    }
  bell_rtp_socket_set_srtp (media->socket, srtp);   /* takes it; NULL: plain RTP from now on */
  bell_srtp_key_free (media->srtp);
  media->srtp = wanted;
  return TRUE;
}

/* Where the peer wants our RTP, and how it is protected. */
static gboolean
apply_transport (BellCallMedia *media, const BellSdpMediaPlan *plan, GError **error)
{
  g_autofree char *remote = NULL;

  if (!plan->active || !media->socket)
    return TRUE;
  remote = g_strdup_printf ("%s %u %u %d", plan->remote_address, plan->remote_port,
                            plan->remote_rtcp_port, plan->rtcp_mux);
  if (g_strcmp0 (remote, media->remote) != 0)
    {
      bell_rtp_socket_set_remote (media->socket, plan->remote_address, (guint16) plan->remote_port,
                                  (guint16) plan->remote_rtcp_port, plan->rtcp_mux);
      g_free (media->remote);
      media->remote = g_steal_pointer (&remote);
    }
  return apply_srtp (media, plan, error);
}

static void
apply_plan (BellCallMedia *media)
{
  g_autoptr(GError) error = NULL;
  const BellSdpMediaPlan *plan = bell_sdp_negotiator_get_plan (media->negotiator);

  if (!media->socket)
    return;
  if (!apply_transport (media, plan, &error) ||
      (media->session && !bell_media_session_apply (media->session, plan, &error)))
    g_message ("the call's audio does not run: %s", error->message);
  if (media->applied)
    media->applied (bell_sdp_negotiator_get_plan (media->negotiator), error, media->applied_data);
}

void
bell_call_media_set_test_loss (BellCallMedia *media, double fraction, guint32 seed)
{
  media->test_loss = fraction;
  media->test_loss_seed = seed;
  if (media->socket)
    bell_rtp_socket_set_loss (media->socket, fraction, seed);
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

static gboolean
weaken (gpointer data)
{
  BellCallMedia *media = data;

  return bell_sdp_negotiator_drop_srtp (media->negotiator);
}

static void
set_address (const char *address, gboolean secure, gpointer data)
{
  BellCallMedia *media = data;
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string (address);

  if (ip && media->socket && !media->remote &&
      g_inet_address_get_family (ip) != bell_rtp_socket_get_family (media->socket))
    switch_family (media, g_inet_address_get_family (ip));
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
  g_free (media->remote);
  bell_srtp_key_free (media->srtp);
  g_main_context_unref (media->context);
  g_free (media);
}

BellCallMedia *
bell_call_media_new (const BellMediaConfig *config, BellSdpSrtpPolicy srtp,
                     const char *const *codecs, GSocketFamily family, GMainContext *context,
                     GError **error)
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
  local.codecs = codecs;
  local.rtcp_mux = TRUE;   /* one port for RTP and RTCP when the peer agrees (RFC 5761) */
  media->negotiator = bell_sdp_negotiator_new (&local);
  media->session = bell_media_session_new (&media->config, media->socket, context);
  media->context = g_main_context_ref (context);
  return media;
}

/* The echo test: each packet goes back where it came from (symmetric RTP does the rest). */
static void
on_echo (BellRtpSocket *socket, const guint8 *data, gsize len, gboolean rtcp, gpointer user_data)
{
  if (!rtcp)
    bell_rtp_socket_send_rtp (socket, data, len, NULL);
}

BellCallMedia *
bell_call_media_new_echo (BellSdpSrtpPolicy srtp, const char *const *codecs, GMainContext *context,
                          GError **error)
{
  g_autoptr(BellRtpSocket) socket = bell_rtp_socket_new (NULL, G_SOCKET_FAMILY_IPV4, context, error);
  BellCallMedia *media;
  BellSdpLocal local = { .address = "0.0.0.0", .srtp = srtp, .codecs = codecs, .rtcp_mux = TRUE };

  if (!socket)
    return NULL;
  media = g_new0 (BellCallMedia, 1);
  media->echo = TRUE;
  media->context = g_main_context_ref (context);
  media->socket = g_steal_pointer (&socket);
  local.rtp_port = bell_rtp_socket_get_port (media->socket);
  media->negotiator = bell_sdp_negotiator_new (&local);
  bell_rtp_socket_set_receive_func (media->socket, on_echo, NULL, NULL);
  return media;
}

BellSipOfferAnswer
bell_call_media_provider (BellCallMedia *media)
{
  BellSipOfferAnswer oa = {
    make_offer, make_answer, take_answer, media, (GDestroyNotify) bell_call_media_free,
    set_address, weaken,
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
bell_call_media_set_volume (BellCallMedia *media, double volume)
{
  if (media->session)
    bell_media_session_set_volume (media->session, volume);
}

void
bell_call_media_set_mute (BellCallMedia *media, gboolean mute)
{
  if (media->session)
    bell_media_session_set_mute (media->session, mute);
}

void
bell_call_media_set_stats_func (BellCallMedia *media, BellMediaStatsFunc func, gpointer user_data)
{
  media->stats_func = func;
  media->stats_data = user_data;
  if (media->session)
    bell_media_session_set_stats_func (media->session, func, user_data);
}

void
bell_call_media_set_dtmf_func (BellCallMedia *media, BellMediaDtmfFunc func, gpointer user_data)
{
  media->dtmf_func = func;
  media->dtmf_data = user_data;
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
