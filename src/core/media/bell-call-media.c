/* bell-call-media.c: a call's negotiator, RTP socket and audio pipelines, kept in step. */
#define G_LOG_DOMAIN "bell-media"

#include "bell-call-media.h"

#include "bell-srtp.h"
#include "bell-stun-client.h"

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
  BellRtpTestLoss    test_loss;   /* bell_call_media_set_test_loss() */
  /* STUN: the public address of the RTP port (bell_call_media_discover()). */
  BellStunClient    *stun;
  BellRtpSocket     *stun_socket;    /* the socket it asked for (compared, not owned) */
  GCancellable      *stun_cancel;    /* set while asking */
  GInetSocketAddress *public_address; /* the answer; NULL: none, or not for this socket */
  GPtrArray         *waiters;        /* Waiter: run when the asking is over */
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
  g_clear_object (&media->public_address);   /* the old socket's (a STUN query for it fails) */
  bell_rtp_socket_set_test_loss (socket, &media->test_loss);   /* the same path, both ways */
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
bell_call_media_set_test_loss (BellCallMedia *media, const BellRtpTestLoss *loss)
{
  media->test_loss = *loss;
  if (media->socket)
    bell_rtp_socket_set_test_loss (media->socket, loss);
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
  GInetAddress *public = media->public_address
                         ? g_inet_socket_address_get_address (media->public_address) : NULL;

  if (ip && media->socket && !media->remote &&
      g_inet_address_get_family (ip) != bell_rtp_socket_get_family (media->socket))
    switch_family (media, g_inet_address_get_family (ip));
  /* What STUN found is how peers beyond our NAT reach us; a peer on loopback (we reach it from
   * 127.0.0.1 or ::1) reaches us where we are, unless the STUN server was there too. */
  if (media->public_address && ip && g_inet_address_get_is_loopback (ip) &&
      !g_inet_address_get_is_loopback (public))
    public = NULL;
  if (public)
    {
      g_autofree char *text = g_inet_address_to_string (public);
      bell_sdp_negotiator_set_address (media->negotiator, text);
      bell_sdp_negotiator_set_port (media->negotiator,
                                    g_inet_socket_address_get_port (media->public_address));
    }
  else
    {
      bell_sdp_negotiator_set_address (media->negotiator, address);
      if (media->socket)
        bell_sdp_negotiator_set_port (media->negotiator, bell_rtp_socket_get_port (media->socket));
    }
  bell_sdp_negotiator_set_secure (media->negotiator, secure);
}

/* ---- STUN --------------------------------------------------------------------------------- */

typedef struct
{
  BellCallMediaReadyFunc func;
  gpointer               user_data;
  GDestroyNotify         destroy;
} Waiter;

/* Every waiter's function, then (as they may hold the last reference to the call that owns
 * us) every destroy; run FALSE: the destroys alone. */
static void
release_waiters (BellCallMedia *media, gboolean run)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&media->waiters);

  for (guint i = 0; run && waiters && i < waiters->len; i++)
    {
      Waiter *w = waiters->pdata[i];
      w->func (media, w->user_data);
    }
  for (guint i = 0; waiters && i < waiters->len; i++)
    {
      Waiter *w = waiters->pdata[i];
      if (w->destroy)
        w->destroy (w->user_data);
    }
}

void
bell_call_media_when_ready (BellCallMedia *media, BellCallMediaReadyFunc func, gpointer user_data,
                            GDestroyNotify destroy)
{
  Waiter *w;

  if (!media->stun_cancel)
    {
      func (media, user_data);
      if (destroy)
        destroy (user_data);
      return;
    }
  if (!media->waiters)
    media->waiters = g_ptr_array_new_with_free_func (g_free);
  w = g_new0 (Waiter, 1);
  w->func = func;
  w->user_data = user_data;
  w->destroy = destroy;
  g_ptr_array_add (media->waiters, w);
}

GInetSocketAddress *
bell_call_media_get_public_address (BellCallMedia *media)
{
  return media->public_address;
}

static gboolean
stun_send (GInetSocketAddress *to, const guint8 *data, gsize len, gpointer user_data,
           GError **error)
{
  return bell_rtp_socket_send_stun (user_data, to, data, len, error);
}

static gboolean
on_rtp_stun (BellRtpSocket *socket, const guint8 *data, gsize len, GInetSocketAddress *from,
             gpointer user_data)
{
  return bell_stun_client_receive (user_data, data, len, from);
}

/* An address a peer can send to: of the socket's family, a port, not 0.0.0.0 or multicast. */
static gboolean
usable_public (BellCallMedia *media, GInetSocketAddress *mapped)
{
  GInetAddress *ip = g_inet_socket_address_get_address (mapped);

  return media->socket == media->stun_socket && g_inet_socket_address_get_port (mapped) != 0 &&
         g_inet_address_get_family (ip) == bell_rtp_socket_get_family (media->socket) &&
         !g_inet_address_get_is_any (ip) && !g_inet_address_get_is_multicast (ip);
}

static void
on_stun_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetSocketAddress) mapped = bell_stun_client_query_finish (BELL_STUN_CLIENT (source),
                                                                        result, &error);
  BellCallMedia *media;
  g_autofree char *ip = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* the media stopped, and may be freed */
  media = data;
  g_clear_object (&media->stun_cancel);
  if (mapped)
    ip = g_inet_address_to_string (g_inet_socket_address_get_address (mapped));
  if (!mapped)
    g_message ("STUN: %s; the call's media goes with its local address", error->message);
  else if (!usable_public (media, mapped))
    g_message ("STUN: the answer (%s port %u) is no use for the call's RTP socket; the call's "
               "media goes with its local address", ip, g_inet_socket_address_get_port (mapped));
  else
    {
      g_message ("STUN: the call's RTP is reachable at %s port %u",
                 ip, g_inet_socket_address_get_port (mapped));
      media->public_address = g_steal_pointer (&mapped);
    }
  release_waiters (media, TRUE);
}

void
bell_call_media_discover (BellCallMedia *media, const char *server, BellClock *clock,
                          guint timeout_ms)
{
  g_return_if_fail (server != NULL && clock != NULL);

  if (!media->socket || media->stun)
    return;
  media->stun = bell_stun_client_new (bell_rtp_socket_get_family (media->socket), clock,
                                      stun_send, bell_rtp_socket_ref (media->socket),
                                      (GDestroyNotify) bell_rtp_socket_unref);
  media->stun_socket = media->socket;
  /* The client stays to take late answers, which would otherwise count as malformed RTP. */
  bell_rtp_socket_set_stun_func (media->socket, on_rtp_stun, media->stun);
  media->stun_cancel = g_cancellable_new ();
  bell_stun_client_query_async (media->stun, server, timeout_ms, media->stun_cancel, on_stun_done,
                                media);
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
  g_clear_object (&media->public_address);
  g_main_context_unref (media->context);
  g_free (media);
}

/* The codecs we offer, in the user's order: those the media layer can code here (a codec
 * whose GStreamer plugin is missing is not offered rather than failing the call). */
static GStrv
codecs_we_code (const char *wanted)
{
  g_auto(GStrv) names = g_strsplit (wanted ? wanted : BELL_SDP_DEFAULT_CODECS, ",", -1);
  g_autoptr(GStrvBuilder) codable = g_strv_builder_new ();

  for (guint i = 0; names[i]; i++)
    {
      g_strstrip (names[i]);
      if (*names[i] && bell_media_can_code (names[i]))
        g_strv_builder_add (codable, names[i]);
    }
  return g_strv_builder_end (codable);
}

static void
policy_to_local (const BellCallMediaPolicy *policy, const char *const *codecs, BellSdpLocal *local)
{
  local->srtp = policy->srtp;
  local->codecs = codecs;
  local->low_bandwidth = policy->low_bandwidth;
  local->no_redundancy = policy->no_redundancy;
  local->rtcp_mux = TRUE;   /* one port for RTP and RTCP when the peer agrees (RFC 5761) */
}

BellCallMedia *
bell_call_media_new (const BellMediaConfig *config, const BellCallMediaPolicy *policy,
                     GSocketFamily family, GMainContext *context, GError **error)
{
  g_autoptr(BellRtpSocket) socket = NULL;
  g_auto(GStrv) codecs = codecs_we_code (policy->codecs);
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
  media->config.low_bandwidth = policy->low_bandwidth;
  media->config.no_redundancy = policy->no_redundancy;
  media->socket = g_steal_pointer (&socket);
  local.address = family == G_SOCKET_FAMILY_IPV6 ? "::" : "0.0.0.0";
  local.rtp_port = bell_rtp_socket_get_port (media->socket);
  policy_to_local (policy, (const char *const *) codecs, &local);
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
bell_call_media_new_echo (const BellCallMediaPolicy *policy, GMainContext *context, GError **error)
{
  g_autoptr(BellRtpSocket) socket = bell_rtp_socket_new (NULL, G_SOCKET_FAMILY_IPV4, context, error);
  g_auto(GStrv) codecs = g_strsplit (policy->codecs ? policy->codecs : BELL_SDP_DEFAULT_CODECS,
                                     ",", -1);
  BellCallMedia *media;
  BellSdpLocal local = { .address = "0.0.0.0" };

  if (!socket)
    return NULL;
  media = g_new0 (BellCallMedia, 1);
  media->echo = TRUE;
  media->context = g_main_context_ref (context);
  media->socket = g_steal_pointer (&socket);
  local.rtp_port = bell_rtp_socket_get_port (media->socket);
  policy_to_local (policy, (const char *const *) codecs, &local);
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
  /* A STUN query in progress ends unheard; what waited for it does not happen. */
  if (media->stun_cancel)
    g_cancellable_cancel (media->stun_cancel);
  g_clear_object (&media->stun_cancel);
  release_waiters (media, FALSE);
  if (media->stun && media->stun_socket == media->socket)
    bell_rtp_socket_set_stun_func (media->socket, NULL, NULL);
  g_clear_object (&media->stun);
  if (media->session)
    bell_media_session_report_final (media->session);
  g_clear_pointer (&media->session, bell_media_session_free);
  if (media->socket)
    bell_rtp_socket_close (media->socket);
  g_clear_pointer (&media->socket, bell_rtp_socket_unref);
  /* The call is over (its SRTP session went with the socket): no key of it stays here. */
  g_clear_pointer (&media->srtp, bell_srtp_key_free);
  bell_sdp_negotiator_forget_keys (media->negotiator);
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
