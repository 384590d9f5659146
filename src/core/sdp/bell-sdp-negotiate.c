/* bell-sdp-negotiate.c: offers, answers and what they agree (RFC 3264). */
#define G_LOG_DOMAIN "bell-sdp"

#include "bell-sdp-negotiate.h"

#include <string.h>

#include "bell-srtp.h"

/* Dynamic payload type for telephone-event in our offers (the common choice). */
#define OUR_DTMF_PT 101

struct _BellSdpNegotiator
{
  char            *address;
  guint            rtp_port;
  GPtrArray       *codecs;          /* char *: encoding names, most wanted first */
  guint            ptime;
  gboolean         rtcp_mux;
  BellSdpSrtpPolicy srtp;
  gboolean         secure;          /* the signalling runs over TLS */
  char            *keys[BELL_SRTP_N_SUITES]; /* our SDES key per suite, made when first offered */

  guint64          sess_id;
  guint64          version;
  char            *last_sent;       /* our last description, to keep its version if unchanged */
  gboolean         remote_holds;    /* the peer's last description did not send to us */
  gboolean         holding;         /* our last description put the call on hold */
  BellSdpSession  *offered;         /* our last offer (until we answer one of the peer's) */
  BellSdpMediaPlan plan;
};

static void
plan_clear (BellSdpMediaPlan *plan)
{
  g_free (plan->remote_address);
  g_free (plan->encoding);
  g_free (plan->srtp_suite);
  bell_srtp_key_free (plan->srtp_local_key);
  bell_srtp_key_free (plan->srtp_remote_key);
  memset (plan, 0, sizeof *plan);
  plan->dtmf_pt = -1;
}

static gboolean
has_codec (GPtrArray *codecs, const char *name)
{
  for (guint i = 0; i < codecs->len; i++)
    if (g_ascii_strcasecmp (codecs->pdata[i], name) == 0)
      return TRUE;
  return FALSE;
}

BellSdpNegotiator *
bell_sdp_negotiator_new (const BellSdpLocal *local)
{
  BellSdpNegotiator *n = g_new0 (BellSdpNegotiator, 1);

  n->address = g_strdup (local->address ? local->address : "0.0.0.0");
  n->rtp_port = local->rtp_port;
  n->ptime = local->ptime ? local->ptime : 20;
  n->rtcp_mux = local->rtcp_mux;
  n->srtp = local->srtp;
  n->codecs = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; local->codecs && local->codecs[i]; i++)
    if (!has_codec (n->codecs, local->codecs[i]))
      g_ptr_array_add (n->codecs, g_ascii_strup (local->codecs[i], -1));
  /* The seed's rule and ours: G.711 both ways, always. */
  if (!has_codec (n->codecs, "PCMU"))
    g_ptr_array_add (n->codecs, g_strdup ("PCMU"));
  if (!has_codec (n->codecs, "PCMA"))
    g_ptr_array_add (n->codecs, g_strdup ("PCMA"));
  n->sess_id = (guint64) g_random_int_range (1, G_MAXINT32);
  plan_clear (&n->plan);
  return n;
}

void
bell_sdp_negotiator_free (BellSdpNegotiator *n)
{
  if (!n)
    return;
  plan_clear (&n->plan);
  for (guint i = 0; i < BELL_SRTP_N_SUITES; i++)
    bell_srtp_key_free (n->keys[i]);
  g_ptr_array_unref (n->codecs);
  g_clear_pointer (&n->offered, bell_sdp_session_free);
  g_free (n->last_sent);
  g_free (n->address);
  g_free (n);
}

gboolean
bell_sdp_srtp_policy_from_string (const char *text, BellSdpSrtpPolicy *policy)
{
  static const char *const names[] = { "auto", "off", "optional", "mandatory" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (text, names[i]) == 0)
      {
        *policy = (BellSdpSrtpPolicy) i;
        return TRUE;
      }
  return FALSE;
}

void
bell_sdp_negotiator_set_port (BellSdpNegotiator *n, guint rtp_port)
{
  n->rtp_port = rtp_port;
}

void
bell_sdp_negotiator_set_secure (BellSdpNegotiator *n, gboolean secure)
{
  n->secure = secure;
}

static BellSdpSrtpPolicy
policy (BellSdpNegotiator *n)
{
  if (n->srtp == BELL_SDP_SRTP_AUTO)
    return n->secure ? BELL_SDP_SRTP_OPTIONAL : BELL_SDP_SRTP_OFF;
  return n->srtp;
}

/* Our key for a suite: made once (OpenSSL's RNG) and kept for the call. */
static const char *
key_for (BellSdpNegotiator *n, BellSrtpSuite suite)
{
  g_autoptr(GError) error = NULL;

  if (!n->keys[suite] && !bell_srtp_make_key (suite, &n->keys[suite], &error))
    g_message ("no SRTP key for %s: %s", bell_srtp_suite_to_name (suite), error->message);
  return n->keys[suite];
}

/* a=crypto lines of ours, strongest first (RFC 4568 §6.1: the offerer's preference order). */
static void
offer_crypto (BellSdpNegotiator *n, BellSdpMedia *m)
{
  static const BellSrtpSuite order[] = {
    BELL_SRTP_SUITE_AEAD_AES_128_GCM, BELL_SRTP_SUITE_AES_CM_128_HMAC_SHA1_80,
    BELL_SRTP_SUITE_AES_CM_128_HMAC_SHA1_32,
  };
  guint tag = 1;

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      const char *key = bell_srtp_suite_is_available (order[i]) ? key_for (n, order[i]) : NULL;
      g_autofree char *params = key ? g_strconcat ("inline:", key, NULL) : NULL;
      if (params)
        bell_sdp_media_add_crypto (m, tag++, bell_srtp_suite_to_name (order[i]), params, NULL);
    }
}

/* The first a=crypto of m we can use: its suite, tag and the peer's key params. */
static gboolean
pick_crypto (const BellSdpMedia *m, BellSrtpSuite *suite, guint *tag, char **key)
{
  for (const BellSdpAttr *a = bell_sdp_media_find_attribute (m, "crypto", NULL); a;
       a = bell_sdp_media_find_attribute (m, "crypto", a))
    if (a->value && bell_srtp_crypto_parse (a->value, tag, suite, key, NULL))
      return TRUE;
  return FALSE;
}

static gboolean
is_savp (const char *proto)
{
  return g_ascii_strcasecmp (proto, "RTP/SAVP") == 0;
}

/* RFC 3551 §6: the static payload type of a codec we know, else a dynamic one. */
static guint
payload_type_for (const char *encoding)
{
  if (g_ascii_strcasecmp (encoding, "PCMU") == 0)
    return 0;
  if (g_ascii_strcasecmp (encoding, "PCMA") == 0)
    return 8;
  if (g_ascii_strcasecmp (encoding, "G722") == 0)
    return 9;
  return 0;
}

static gboolean
is_known_codec (const char *encoding)
{
  return g_ascii_strcasecmp (encoding, "PCMU") == 0 || g_ascii_strcasecmp (encoding, "PCMA") == 0;
}

/* What we say we do: on hold we do not receive; nor send when the peer holds us too. */
static BellSdpDirection
our_direction (BellSdpNegotiator *n, gboolean hold)
{
  if (!n->rtp_port)
    return BELL_SDP_DIRECTION_INACTIVE;
  if (hold)
    return n->remote_holds ? BELL_SDP_DIRECTION_INACTIVE : BELL_SDP_DIRECTION_SENDONLY;
  return BELL_SDP_DIRECTION_SENDRECV;
}

/* Our session, with the o= line of this call; the version goes up when the text changes. */
static char *
finish (BellSdpNegotiator *n, BellSdpSession *sdp)
{
  char *text;

  bell_sdp_session_set_origin (sdp, "bellbird", n->sess_id, n->version, n->address);
  text = bell_sdp_session_to_string (sdp, NULL);
  if (n->last_sent && g_strcmp0 (text, n->last_sent) == 0)
    return text;   /* RFC 3264 §8: nothing changed, same version */
  g_free (text);
  bell_sdp_session_set_origin (sdp, "bellbird", n->sess_id, ++n->version, n->address);
  text = bell_sdp_session_to_string (sdp, NULL);
  g_free (n->last_sent);
  n->last_sent = g_strdup (text);
  return text;
}

static void
add_common_attributes (BellSdpNegotiator *n, BellSdpMedia *m, BellSdpDirection dir)
{
  bell_sdp_media_set_ptime (m, n->ptime);
  if (n->rtcp_mux)
    bell_sdp_media_set_rtcp_mux (m, TRUE);
  bell_sdp_media_set_direction (m, dir);
}

void
bell_sdp_negotiator_set_address (BellSdpNegotiator *n, const char *address)
{
  g_free (n->address);
  n->address = g_strdup (address);
}

char *
bell_sdp_negotiator_offer (BellSdpNegotiator *n, gboolean hold)
{
  g_autoptr(BellSdpSession) sdp = bell_sdp_session_new ("bellbird", n->sess_id, n->version, n->address);
  BellSdpSrtpPolicy srtp = n->rtp_port ? policy (n) : BELL_SDP_SRTP_OFF;
  BellSdpMedia *m = bell_sdp_media_new ("audio", n->rtp_port ? n->rtp_port : 9,
                                        srtp == BELL_SDP_SRTP_MANDATORY ? "RTP/SAVP" : "RTP/AVP");

  n->holding = hold;
  /* A re-offer leads with the codec in use, so that the call keeps it. */
  if (n->plan.active && n->plan.encoding)
    bell_sdp_media_add_format (m, n->plan.pt, n->plan.encoding, n->plan.clock_rate, 0, NULL);
  for (guint i = 0; i < n->codecs->len; i++)
    if (is_known_codec (n->codecs->pdata[i]))
      bell_sdp_media_add_format (m, payload_type_for (n->codecs->pdata[i]), n->codecs->pdata[i],
                                 8000, 0, NULL);
  bell_sdp_media_add_format (m, OUR_DTMF_PT, "telephone-event", 8000, 0, "0-16");
  add_common_attributes (n, m, our_direction (n, hold));
  if (srtp != BELL_SDP_SRTP_OFF)
    offer_crypto (n, m);
  bell_sdp_session_add_media (sdp, m);
  g_clear_pointer (&n->offered, bell_sdp_session_free);
  n->offered = bell_sdp_session_copy (sdp);
  return finish (n, sdp);
}

static gboolean
sdp_error (GError **error, const char *why)
{
  g_set_error_literal (error, BELL_SDP_ERROR, BELL_SDP_ERROR_MALFORMED, why);
  return FALSE;
}

/* The first of our codecs the stream carries: its format (the peer's payload number). */
static const BellSdpFormat *
pick_codec (BellSdpNegotiator *n, const BellSdpMedia *m)
{
  const BellSdpFormat *f;

  /* The same codec as before when the stream still has it (a re-offer keeps the call's). */
  if (n->plan.active && n->plan.encoding &&
      (f = bell_sdp_media_find_format_by_name (m, n->plan.encoding, n->plan.clock_rate)))
    return f;
  for (guint i = 0; i < n->codecs->len; i++)
    if (is_known_codec (n->codecs->pdata[i]) &&
        (f = bell_sdp_media_find_format_by_name (m, n->codecs->pdata[i], 8000)))
      return f;
  return NULL;
}

static const BellSdpFormat *
pick_dtmf (const BellSdpMedia *m)
{
  return bell_sdp_media_find_format_by_name (m, "telephone-event", 8000);
}

/* Fills the plan from the peer's description of stream m (its address, port, rtcp) and the
 * directions both sides said; the codec comes from the caller. */
/* How a stream is protected: the suite (or -1: plain RTP) and the peer's key params. */
typedef struct
{
  gint        suite;
  const char *their_key;
} Protection;

static gboolean
plan_from (BellSdpNegotiator *n, const BellSdpSession *remote, const BellSdpMedia *m,
           BellSdpDirection ours, const BellSdpFormat *codec, const BellSdpFormat *dtmf,
           gboolean mux, const Protection *protection, GError **error)
{
  const BellSdpConnection *c = bell_sdp_media_get_connection (remote, m);
  BellSdpDirection theirs = bell_sdp_media_get_direction (remote, m);

  if (!c)
    return sdp_error (error, "the audio stream has no connection address");
  plan_clear (&n->plan);
  n->plan.active = TRUE;
  n->plan.remote_address = g_strdup (c->address);
  n->plan.remote_port = m->port;
  n->plan.rtcp_mux = mux;
  n->plan.remote_rtcp_port = mux ? m->port : m->rtcp_port ? m->rtcp_port : m->port + 1;
  n->plan.pt = codec->pt;
  n->plan.encoding = g_ascii_strup (codec->encoding, -1);
  n->plan.clock_rate = codec->clock_rate ? codec->clock_rate : 8000;
  n->plan.ptime = m->ptime ? m->ptime : 20;
  n->plan.dtmf_pt = dtmf ? dtmf->pt : -1;
  /* RFC 2543 hold: c=0.0.0.0 means "do not send to me". */
  n->remote_holds = bell_sdp_media_is_held (remote, m);
  /* Holding, we say sendonly (RFC 3264 §8.4) but send nothing: the microphone of someone
   * who put a call on hold is not for the other side to hear. */
  n->plan.send = (ours == BELL_SDP_DIRECTION_SENDRECV || ours == BELL_SDP_DIRECTION_SENDONLY) &&
                 !n->remote_holds && !n->holding && theirs != BELL_SDP_DIRECTION_SENDONLY;
  n->plan.recv = (ours == BELL_SDP_DIRECTION_SENDRECV || ours == BELL_SDP_DIRECTION_RECVONLY) &&
                 (theirs == BELL_SDP_DIRECTION_SENDRECV || theirs == BELL_SDP_DIRECTION_SENDONLY);
  if (protection->suite >= 0)
    {
      n->plan.srtp_suite = g_strdup (bell_srtp_suite_to_name ((BellSrtpSuite) protection->suite));
      n->plan.srtp_local_key = g_strdup (key_for (n, (BellSrtpSuite) protection->suite));
      n->plan.srtp_remote_key = g_strdup (protection->their_key);
    }
  return TRUE;
}

/* RFC 3264 §6.1: what we answer to the direction offered. */
static BellSdpDirection
answer_direction (BellSdpNegotiator *n, BellSdpDirection offered, gboolean hold)
{
  BellSdpDirection dir = bell_sdp_direction_reverse (offered);

  if (!n->rtp_port)
    return BELL_SDP_DIRECTION_INACTIVE;
  if (hold)
    {
      /* We do not take media: drop the receiving half. */
      if (dir == BELL_SDP_DIRECTION_SENDRECV)
        return BELL_SDP_DIRECTION_SENDONLY;
      if (dir == BELL_SDP_DIRECTION_RECVONLY)
        return BELL_SDP_DIRECTION_INACTIVE;
    }
  return dir;
}

char *
bell_sdp_negotiator_answer (BellSdpNegotiator *n, const char *offer, gboolean hold, GError **error)
{
  g_autoptr(BellSdpSession) remote = bell_sdp_session_parse (offer, strlen (offer), error);
  g_autoptr(BellSdpSession) sdp = NULL;
  const char *refusal = NULL;
  gboolean taken = FALSE;

  if (!remote)
    return NULL;
  if (!remote->media->len)
    return sdp_error (error, "the offer has no media stream"), NULL;
  n->holding = hold;
  sdp = bell_sdp_session_new ("bellbird", n->sess_id, n->version, n->address);
  for (guint i = 0; i < remote->media->len; i++)
    {
      const BellSdpMedia *om = remote->media->pdata[i];
      const BellSdpFormat *codec = NULL, *dtmf = NULL;
      BellSdpMedia *m;

      gboolean savp = is_savp (om->proto);
      Protection protection = { -1, NULL };
      g_autofree char *their_key = NULL;
      BellSrtpSuite suite = 0;
      guint tag = 0;

      if (!taken && om->port && g_str_equal (om->media, "audio") &&
          (savp || g_ascii_strcasecmp (om->proto, "RTP/AVP") == 0))
        {
          /* SDES (RFC 4568): taken when offered, unless the user turned SRTP off; RTP/SAVP
           * cannot be answered without it, and "mandatory" takes nothing else. */
          gboolean crypto = n->srtp != BELL_SDP_SRTP_OFF && pick_crypto (om, &suite, &tag, &their_key);
          if (savp && !crypto)
            refusal = n->srtp == BELL_SDP_SRTP_OFF ? "the caller requires SRTP and it is turned off"
                                                   : "the caller requires SRTP with keys we cannot use";
          else if (n->srtp == BELL_SDP_SRTP_MANDATORY && !crypto)
            refusal = "the caller offers no encryption and this account requires SRTP";
          else if (!(codec = pick_codec (n, om)))
            refusal = "no common audio codec (we take PCMU and PCMA)";
          if (codec && crypto)
            {
              protection.suite = (gint) suite;
              protection.their_key = their_key;
            }
        }
      if (!codec)
        {
          /* §6: a stream we do not take is answered with port 0 and a format of its own. */
          m = bell_sdp_media_new (om->media, 0, om->proto);
          if (om->fmts->len)
            bell_sdp_media_add_raw_format (m, om->fmts->pdata[0]);
          bell_sdp_session_add_media (sdp, m);
          continue;
        }
      taken = TRUE;
      dtmf = pick_dtmf (om);
      m = bell_sdp_media_new ("audio", n->rtp_port ? n->rtp_port : 9, om->proto);
      bell_sdp_media_add_format (m, codec->pt, codec->encoding, codec->clock_rate ? codec->clock_rate : 8000,
                                 0, NULL);
      if (dtmf)
        bell_sdp_media_add_format (m, dtmf->pt, "telephone-event", 8000, 0, dtmf->fmtp ? dtmf->fmtp : "0-16");
      /* RFC 5761 §5.1.1: rtcp-mux only when offered. */
      add_common_attributes (n, m, answer_direction (n, bell_sdp_media_get_direction (remote, om), hold));
      if (!om->rtcp_mux)
        bell_sdp_media_set_rtcp_mux (m, FALSE);
      if (protection.suite >= 0)
        {
          /* RFC 4568 §7.1.2: the offer's tag and suite, our own key. */
          g_autofree char *params = g_strconcat ("inline:", key_for (n, suite), NULL);
          bell_sdp_media_add_crypto (m, tag, bell_srtp_suite_to_name (suite), params, NULL);
        }
      if (!plan_from (n, remote, om, m->direction, codec, dtmf, n->rtcp_mux && om->rtcp_mux,
                      &protection, error))
        {
          bell_sdp_media_free (m);
          return NULL;
        }
      bell_sdp_session_add_media (sdp, m);
    }
  if (!taken)
    {
      g_set_error_literal (error, BELL_SDP_ERROR, BELL_SDP_ERROR_MALFORMED,
                           refusal ? refusal : "the offer has no audio stream we can take");
      return NULL;
    }
  g_clear_pointer (&n->offered, bell_sdp_session_free);
  return finish (n, sdp);
}

gboolean
bell_sdp_negotiator_apply_answer (BellSdpNegotiator *n, const char *answer, GError **error)
{
  g_autoptr(BellSdpSession) remote = bell_sdp_session_parse (answer, strlen (answer), error);
  const BellSdpMedia *ours, *theirs;
  const BellSdpFormat *codec = NULL;
  Protection protection = { -1, NULL };
  g_autofree char *their_key = NULL;

  if (!remote)
    return FALSE;
  if (!n->offered)
    return sdp_error (error, "an answer without an offer of ours");
  /* §6: the answer has as many m= lines as the offer, in its order. */
  if (remote->media->len != n->offered->media->len)
    return sdp_error (error, "the answer's streams do not match our offer");
  ours = n->offered->media->pdata[0];
  theirs = remote->media->pdata[0];
  if (!theirs->port)
    return sdp_error (error, "the peer refused the audio stream");
  /* The first format of the answer that we offered is the one used (§6.1). */
  for (guint i = 0; i < theirs->formats->len && !codec; i++)
    {
      const BellSdpFormat *f = theirs->formats->pdata[i];
      const BellSdpFormat *offered = bell_sdp_media_find_format (ours, f->pt);
      if (offered && offered->encoding && is_known_codec (offered->encoding))
        codec = offered;
    }
  if (!codec)
    return sdp_error (error, "the answer names none of the codecs we offered");
  if (ours->cryptos->len)
    {
      /* RFC 4568 §7.1.3: the answer's tag names one of our lines, with the same suite. */
      BellSrtpSuite suite;
      guint tag;
      if (pick_crypto (theirs, &suite, &tag, &their_key))
        for (guint i = 0; i < ours->cryptos->len && protection.suite < 0; i++)
          {
            const BellSdpCrypto *c = ours->cryptos->pdata[i];
            BellSrtpSuite offered;
            if (c->tag == tag && bell_srtp_suite_from_name (c->suite, &offered) && offered == suite)
              {
                protection.suite = (gint) suite;
                protection.their_key = their_key;
              }
          }
      if (protection.suite < 0 && (is_savp (ours->proto) || is_savp (theirs->proto)))
        return sdp_error (error, "the peer did not take SRTP, which this account requires");
    }
  /* The offer stays: the same answer may come again (in the 2xx after a reliable 1xx, from
   * another fork) and is taken again. */
  return plan_from (n, remote, theirs, ours->direction, codec, pick_dtmf (theirs),
                    ours->rtcp_mux && theirs->rtcp_mux, &protection, error);
}

gboolean
bell_sdp_negotiator_drop_srtp (BellSdpNegotiator *n)
{
  if (policy (n) != BELL_SDP_SRTP_OPTIONAL)
    return FALSE;
  n->srtp = BELL_SDP_SRTP_OFF;
  return TRUE;
}

const BellSdpMediaPlan *
bell_sdp_negotiator_get_plan (BellSdpNegotiator *n)
{
  return &n->plan;
}
