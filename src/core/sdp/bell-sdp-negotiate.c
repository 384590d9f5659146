/* bell-sdp-negotiate.c: offers, answers and what they agree (RFC 3264). */
#define G_LOG_DOMAIN "bell-sdp"

#include "bell-sdp-negotiate.h"

#include <string.h>

#include "bell-secret.h"
#include "bell-srtp.h"

/* Our dynamic payload numbers (RFC 3551 §3: 96-127): the usual ones where there is a habit
 * (WebRTC's opus 111 and telephone-event/48000 110, everyone's telephone-event/8000 101),
 * RFC 2198's example 121 for RED (and the next ones for the other codecs' RED). Within a call
 * the numbers in use are kept (pick_pt). */
#define PT_OPUS       111
#define PT_DTMF       101
#define PT_DTMF_48K   110
#define PT_RED_PCMU   121
#define PT_RED_PCMA   122
#define PT_RED_OPUS   123
#define PT_RED_G722   124

/* Opus's maxaveragebitrate range (RFC 7587 §6.1). */
#define OPUS_MIN_BITRATE   6000
#define OPUS_MAX_BITRATE 510000

/* RED blocks per packet we take: the primary and up to this many redundant ones. */
#define RED_MAX_BLOCKS 8
/* RED blocks per packet we send at most: the primary and three copies (bell-rtp-red.h), so our
 * RED fmtp names the codec four times (RFC 2198 §5: one entry per block). */
#define RED_OUR_BLOCKS 4

typedef enum
{
  CODEC_NONE,
  CODEC_OPUS,
  CODEC_G722,
  CODEC_PCMU,
  CODEC_PCMA,
} Codec;

/* What we know of each codec: its name in rtpmap, its RTP clock, the rate it samples at. */
static const struct
{
  const char *name;
  guint       clock_rate;
  guint       audio_rate;
  gint        pt;            /* static payload type (RFC 3551 §6); -1: dynamic */
} codec_info[] = {
  [CODEC_NONE] = { "", 0, 0, -1 },
  [CODEC_OPUS] = { "opus", 48000, 48000, -1 },
  /* RFC 3551 §4.5.2: G.722's RTP clock is 8000 although it samples at 16000 (an error of
   * RFC 1890 kept for compatibility). */
  [CODEC_G722] = { "G722", 8000, 16000, 9 },
  [CODEC_PCMU] = { "PCMU", 8000, 8000, 0 },
  [CODEC_PCMA] = { "PCMA", 8000, 8000, 8 },
};

struct _BellSdpNegotiator
{
  char            *address;
  guint            rtp_port;
  GPtrArray       *codecs;          /* char *: encoding names, most wanted first */
  guint            ptime;
  gboolean         rtcp_mux;
  BellSdpSrtpPolicy srtp;
  guint            max_bitrate;     /* Opus bits/s we want at most */
  gboolean         no_redundancy;
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
  plan->red_pt = -1;
}

static Codec
codec_from_name (const char *name)
{
  for (guint c = CODEC_OPUS; c < G_N_ELEMENTS (codec_info); c++)
    if (g_ascii_strcasecmp (name, codec_info[c].name) == 0)
      return (Codec) c;
  return CODEC_NONE;
}

/* Which of our codecs a format of the peer's is: by name and RTP clock, so opus/8000 or
 * G722/16000 are nothing we take. Opus takes any channel count (RFC 7587 says 2; be lenient
 * on receive); the others mono only. */
static Codec
codec_of (const BellSdpFormat *f)
{
  Codec c;

  if (!f->encoding || (c = codec_from_name (f->encoding)) == CODEC_NONE)
    return CODEC_NONE;
  if (f->clock_rate != codec_info[c].clock_rate)
    return CODEC_NONE;
  if (c != CODEC_OPUS && f->channels > 1)
    return CODEC_NONE;
  return c;
}

/* Codecs we send and take RED for: all of ours. G.711 and G.722 have no redundancy of their
 * own; Opus's in-band FEC rebuilds only the one frame before a packet (at 30 % random loss 9 %
 * of frames would still be lost, with two RED copies 2.7 %). */
static gboolean
has_red (Codec c)
{
  return c != CODEC_NONE;
}

/* Our RED fmtp for a primary: its payload type once per block we may send. */
static char *
red_fmtp (guint primary)
{
  GString *fmtp = g_string_new (NULL);

  for (guint i = 0; i < RED_OUR_BLOCKS; i++)
    g_string_append_printf (fmtp, i ? "/%u" : "%u", primary);
  return g_string_free (fmtp, FALSE);
}

static gboolean
has_codec (GPtrArray *list, const char *name)
{
  for (guint i = 0; i < list->len; i++)
    if (g_ascii_strcasecmp (list->pdata[i], name) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
strv_has (const char *const *list, const char *name)
{
  for (guint i = 0; list[i]; i++)
    if (g_ascii_strcasecmp (list[i], name) == 0)
      return TRUE;
  return FALSE;
}

BellSdpNegotiator *
bell_sdp_negotiator_new (const BellSdpLocal *local)
{
  BellSdpNegotiator *n = g_new0 (BellSdpNegotiator, 1);

  g_auto(GStrv) defaults = g_strsplit (BELL_SDP_DEFAULT_CODECS, ",", -1);
  const char *const *wanted = local->codecs ? local->codecs : (const char *const *) defaults;
  guint bitrate = local->max_bitrate ? local->max_bitrate : BELL_SDP_OPUS_BITRATE;

  n->address = g_strdup (local->address ? local->address : "0.0.0.0");
  n->rtp_port = local->rtp_port;
  n->ptime = local->ptime ? local->ptime : local->low_bandwidth ? 40 : 20;
  n->rtcp_mux = local->rtcp_mux;
  n->srtp = local->srtp;
  n->no_redundancy = local->no_redundancy;
  if (local->low_bandwidth)
    bitrate = MIN (bitrate, BELL_SDP_OPUS_BITRATE_LOW);
  n->max_bitrate = CLAMP (bitrate, OPUS_MIN_BITRATE, OPUS_MAX_BITRATE);
  n->codecs = g_ptr_array_new_with_free_func (g_free);
  /* Low bandwidth prefers Opus, the one codec that can be narrow, if the user has it. */
  if (local->low_bandwidth && strv_has (wanted, "opus"))
    g_ptr_array_add (n->codecs, g_strdup ("OPUS"));
  for (guint i = 0; wanted[i]; i++)
    if (!has_codec (n->codecs, wanted[i]))
      g_ptr_array_add (n->codecs, g_ascii_strup (wanted[i], -1));
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
  bell_secret_free (n->last_sent);
  g_free (n->address);
  g_free (n);
}

void
bell_sdp_negotiator_forget_keys (BellSdpNegotiator *n)
{
  g_return_if_fail (n != NULL);
  for (guint i = 0; i < BELL_SRTP_N_SUITES; i++)
    g_clear_pointer (&n->keys[i], bell_srtp_key_free);
  g_clear_pointer (&n->plan.srtp_local_key, bell_srtp_key_free);
  g_clear_pointer (&n->plan.srtp_remote_key, bell_srtp_key_free);
  bell_secret_clear (&n->last_sent);
  g_clear_pointer (&n->offered, bell_sdp_session_free);
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
      g_autoptr(BellSecret) params = key ? g_strconcat ("inline:", key, NULL) : NULL;
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

/* Format parameters (a=fmtp). Opus's (RFC 7587 §6) are "name=value" separated by ";", with
 * or without blanks around them; names are case-insensitive. */

/* The value of parameter name (NULL: absent). */
static char *
fmtp_param (const char *fmtp, const char *name)
{
  g_auto(GStrv) params = NULL;

  if (!fmtp)
    return NULL;
  params = g_strsplit (fmtp, ";", -1);
  for (guint i = 0; params[i]; i++)
    {
      char *eq = strchr (params[i], '=');
      if (!eq)
        continue;
      *eq = '\0';
      if (g_ascii_strcasecmp (g_strstrip (params[i]), name) == 0)
        return g_strdup (g_strstrip (eq + 1));
    }
  return NULL;
}

/* A flag: "1" is TRUE; absent, "0" or anything else FALSE (RFC 7587's defaults are 0). */
static gboolean
fmtp_flag (const char *fmtp, const char *name)
{
  g_autofree char *value = fmtp_param (fmtp, name);

  return g_strcmp0 (value, "1") == 0;
}

/* A number, clamped to min..max; 0 when absent, 0 or not a number at all. */
static guint
fmtp_uint (const char *fmtp, const char *name, guint min, guint max)
{
  g_autofree char *value = fmtp_param (fmtp, name);
  guint64 v;

  if (!value || !g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT64, &v, NULL) || v == 0)
    return 0;
  return (guint) CLAMP (v, min, max);
}

/* Our Opus parameters: what our decoder wants (RFC 7587 §6.1 — they speak for the receiver).
 * No DTX: a silent peer and a lost peer would look alike to our loss figures. */
static char *
opus_fmtp (BellSdpNegotiator *n)
{
  return g_strdup_printf ("useinbandfec=%d; usedtx=0; maxaveragebitrate=%u",
                          n->no_redundancy ? 0 : 1, n->max_bitrate);
}

/* Is f RED (RFC 2198) at clock_rate carrying payload type primary and nothing else: red/<rate>
 * with "a=fmtp:<red> P/P[/P...]", the primary first then its redundant blocks (§5)? Redundancy
 * in another codec, an unknown payload type or the red type itself (a loop) is not taken. */
static guint
red_blocks (const BellSdpFormat *f, guint primary, guint clock_rate)
{
  g_auto(GStrv) blocks = NULL;
  guint n_blocks;

  if (!f->encoding || g_ascii_strcasecmp (f->encoding, "red") != 0 ||
      f->clock_rate != clock_rate || f->pt == primary || !f->fmtp)
    return 0;
  blocks = g_strsplit (f->fmtp, "/", RED_MAX_BLOCKS + 2);
  n_blocks = g_strv_length (blocks);
  if (n_blocks < 2 || n_blocks > RED_MAX_BLOCKS + 1)
    return 0;
  for (guint i = 0; i < n_blocks; i++)
    {
      guint64 pt;
      if (!g_ascii_string_to_unsigned (g_strstrip (blocks[i]), 10, 0, BELL_SDP_MAX_PT, &pt, NULL)
          || pt != primary)
        return 0;
    }
  return n_blocks;
}

static gboolean
is_red_of (const BellSdpFormat *f, guint primary, guint clock_rate)
{
  return red_blocks (f, primary, clock_rate) > 0;
}

static const BellSdpFormat *
find_red (const BellSdpMedia *m, guint primary, guint clock_rate)
{
  for (guint i = 0; i < m->formats->len; i++)
    if (is_red_of (m->formats->pdata[i], primary, clock_rate))
      return m->formats->pdata[i];
  return NULL;
}

/* The first format of m that is codec c. */
static const BellSdpFormat *
find_codec (const BellSdpMedia *m, Codec c)
{
  for (guint i = 0; i < m->formats->len; i++)
    if (codec_of (m->formats->pdata[i]) == c)
      return m->formats->pdata[i];
  return NULL;
}

/* telephone-event on the codec's clock (RFC 4733 §2.1: events share the audio's timestamps),
 * else at 8000, which is all many offer (Asterisk with Opus). */
static const BellSdpFormat *
pick_dtmf (const BellSdpMedia *m, guint clock_rate)
{
  const BellSdpFormat *f = bell_sdp_media_find_format_by_name (m, "telephone-event", clock_rate);

  return f ? f : bell_sdp_media_find_format_by_name (m, "telephone-event", 8000);
}

/* A dynamic payload number for our offer: the usual one when free, else the first free one;
 * -1 when none is left. */
static gint
pick_pt (gboolean *used, guint usual)
{
  guint pt = usual;

  for (guint next = 96; used[pt] && next <= BELL_SDP_MAX_PT; next++)
    pt = next;
  if (used[pt])
    return -1;
  used[pt] = TRUE;
  return (gint) pt;
}

/* Codec c as payload type pt, with rtpmap (and our fmtp for Opus). */
static void
add_codec (BellSdpNegotiator *n, BellSdpMedia *m, Codec c, guint pt)
{
  g_autofree char *fmtp = c == CODEC_OPUS ? opus_fmtp (n) : NULL;

  /* RFC 7587 §7: opus/48000/2 whatever is sent. */
  bell_sdp_media_add_format (m, pt, codec_info[c].name, codec_info[c].clock_rate,
                             c == CODEC_OPUS ? 2 : 0, fmtp);
}

static void
add_dtmf (BellSdpMedia *m, guint pt, guint clock_rate, const char *fmtp)
{
  bell_sdp_media_add_format (m, pt, "telephone-event", clock_rate, 0, fmtp ? fmtp : "0-16");
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
  bell_secret_free (text);
  bell_sdp_session_set_origin (sdp, "bellbird", n->sess_id, ++n->version, n->address);
  text = bell_sdp_session_to_string (sdp, NULL);
  bell_secret_free (n->last_sent);
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
  g_autoptr(BellSdpSession) sdp = bell_sdp_session_new ("bellbird", n->sess_id, n->version,
                                                         n->address);
  BellSdpSrtpPolicy srtp = n->rtp_port ? policy (n) : BELL_SDP_SRTP_OFF;
  BellSdpMedia *m = bell_sdp_media_new ("audio", n->rtp_port ? n->rtp_port : 9,
                                        srtp == BELL_SDP_SRTP_MANDATORY ? "RTP/SAVP" : "RTP/AVP");
  const BellSdpMediaPlan *p = &n->plan;
  Codec in_use = p->active && p->encoding ? codec_from_name (p->encoding) : CODEC_NONE;
  gboolean used[BELL_SDP_MAX_PT + 1] = { FALSE };
  Codec order[G_N_ELEMENTS (codec_info)];
  guint n_order = 0, pts[G_N_ELEMENTS (codec_info)];
  gboolean opus = FALSE;
  gint pt;

  n->holding = hold;
  /* The numbers the call uses stay theirs (RFC 3264 §8.3.2); new ones go around them. */
  if (in_use != CODEC_NONE)
    {
      used[p->pt] = TRUE;
      if (p->dtmf_pt >= 0)
        used[p->dtmf_pt] = TRUE;
      if (p->red_pt >= 0)
        used[p->red_pt] = TRUE;
    }
  /* A re-offer leads with the codec in use, so that the call keeps it; then the user's order. */
  if (in_use != CODEC_NONE)
    order[n_order++] = in_use;
  for (guint i = 0; i < n->codecs->len; i++)
    {
      Codec c = codec_from_name (n->codecs->pdata[i]);
      gboolean seen = c == CODEC_NONE;
      for (guint k = 0; k < n_order && !seen; k++)
        seen = order[k] == c;
      if (!seen)
        order[n_order++] = c;
    }
  for (guint i = 0; i < n_order; i++)
    {
      Codec c = order[i];
      pt = c == in_use ? (gint) p->pt : codec_info[c].pt >= 0 ? codec_info[c].pt
                                                                : pick_pt (used, PT_OPUS);
      pts[i] = (guint) pt;
      if (pt >= 0)
        add_codec (n, m, c, (guint) pt);
      opus = opus || (c == CODEC_OPUS && pt >= 0);
    }
  /* RED, after the codecs: it is no codec of its own, and an answerer that takes the first
   * format it knows must not take it. On the codec's clock; Opus's with its rtpmap's two
   * channels, as WebRTC offers it. */
  for (guint i = 0; i < n_order && !n->no_redundancy; i++)
    if (has_red (order[i]) && (gint) pts[i] >= 0)
      {
        Codec c = order[i];
        g_autofree char *fmtp = red_fmtp ((guint) pts[i]);
        pt = c == in_use && p->red_pt >= 0
               ? p->red_pt : pick_pt (used, c == CODEC_PCMU ? PT_RED_PCMU
                                            : c == CODEC_PCMA ? PT_RED_PCMA
                                            : c == CODEC_G722 ? PT_RED_G722 : PT_RED_OPUS);
        if (pt >= 0)
          bell_sdp_media_add_format (m, (guint) pt, "red", codec_info[c].clock_rate,
                                     c == CODEC_OPUS ? 2 : 0, fmtp);
      }
  /* telephone-event on Opus's clock too (RFC 4733 §2.1), then the 8000 one everyone has. */
  if (opus)
    {
      pt = in_use != CODEC_NONE && p->dtmf_pt >= 0 && p->dtmf_clock_rate == 48000
             ? p->dtmf_pt : pick_pt (used, PT_DTMF_48K);
      if (pt >= 0)
        add_dtmf (m, (guint) pt, 48000, NULL);
    }
  pt = in_use != CODEC_NONE && p->dtmf_pt >= 0 && p->dtmf_clock_rate == 8000
         ? p->dtmf_pt : pick_pt (used, PT_DTMF);
  if (pt >= 0)
    add_dtmf (m, (guint) pt, 8000, NULL);
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
  Codec c;

  /* The same codec as before when the stream still has it (a re-offer keeps the call's). */
  if (n->plan.active && n->plan.encoding &&
      (c = codec_from_name (n->plan.encoding)) != CODEC_NONE && (f = find_codec (m, c)))
    return f;
  for (guint i = 0; i < n->codecs->len; i++)
    if ((c = codec_from_name (n->codecs->pdata[i])) != CODEC_NONE && (f = find_codec (m, c)))
      return f;
  return NULL;
}

/* Why an offer without any of our codecs is refused: "no common audio codec (we take OPUS,
 * PCMU, PCMA)". */
static char *
codecs_we_take (BellSdpNegotiator *n)
{
  GString *text = g_string_new ("no common audio codec (we take ");

  for (guint i = 0, k = 0; i < n->codecs->len; i++)
    if (codec_from_name (n->codecs->pdata[i]) != CODEC_NONE)
      g_string_append_printf (text, "%s%s", k++ ? ", " : "", (const char *) n->codecs->pdata[i]);
  g_string_append_c (text, ')');
  return g_string_free (text, FALSE);
}

/* The peer's a=ptime made one we can send, never longer than asked nor than its a=maxptime
 * (beyond 60 ms, 60): 10 to 60 ms in steps of 10, for Opus one of its frame lengths (10, 20,
 * 40, 60); none asked: 20, or for Opus (any length decodes) ours. */
static guint
sendable_ptime (BellSdpNegotiator *n, Codec c, const BellSdpMedia *m)
{
  guint ptime = m->ptime ? m->ptime : c == CODEC_OPUS ? n->ptime : 20;

  if (m->maxptime)
    ptime = MIN (ptime, m->maxptime);
  ptime = CLAMP (ptime, 10, 60);
  if (c == CODEC_OPUS)
    return ptime >= 60 ? 60 : ptime >= 40 ? 40 : ptime >= 20 ? 20 : 10;
  return ptime - ptime % 10;
}

/* What was agreed on a stream, apart from its transport. */
typedef struct
{
  const BellSdpFormat *codec;       /* its payload type and rtpmap */
  const char          *their_fmtp;  /* the peer's parameters for it: what its decoder wants */
  const BellSdpFormat *dtmf;        /* NULL: none */
  gint                 red_pt;      /* -1: none */
  guint                red_blocks;  /* blocks per RED packet its fmtp allows (primary too) */
} Agreed;

/* How a stream is protected: the suite (or -1: plain RTP) and the peer's key params. */
typedef struct
{
  gint        suite;
  const char *their_key;
} Protection;

/* Fills the plan from the peer's description of stream m (its address, port, rtcp) and the
 * directions both sides said; the codec and the rest from what was agreed. */
static gboolean
plan_from (BellSdpNegotiator *n, const BellSdpSession *remote, const BellSdpMedia *m,
           BellSdpDirection ours, const Agreed *agreed, gboolean mux,
           const Protection *protection, GError **error)
{
  const BellSdpConnection *conn = bell_sdp_media_get_connection (remote, m);
  BellSdpDirection theirs = bell_sdp_media_get_direction (remote, m);
  Codec c = codec_of (agreed->codec);

  g_assert (c != CODEC_NONE);
  if (!conn)
    return sdp_error (error, "the audio stream has no connection address");
  plan_clear (&n->plan);
  n->plan.active = TRUE;
  n->plan.remote_address = g_strdup (conn->address);
  n->plan.remote_port = m->port;
  n->plan.rtcp_mux = mux;
  n->plan.remote_rtcp_port = mux ? m->port : m->rtcp_port ? m->rtcp_port : m->port + 1;
  n->plan.pt = agreed->codec->pt;
  n->plan.encoding = g_ascii_strup (codec_info[c].name, -1);
  n->plan.clock_rate = codec_info[c].clock_rate;
  n->plan.audio_rate = codec_info[c].audio_rate;
  n->plan.channels = c == CODEC_OPUS ? 2 : 1;
  n->plan.ptime = sendable_ptime (n, c, m);
  if (agreed->dtmf)
    {
      n->plan.dtmf_pt = agreed->dtmf->pt;
      n->plan.dtmf_clock_rate = agreed->dtmf->clock_rate;
    }
  if (c == CODEC_OPUS)
    {
      n->plan.opus_fec = !n->no_redundancy && fmtp_flag (agreed->their_fmtp, "useinbandfec");
      n->plan.max_bitrate = fmtp_uint (agreed->their_fmtp, "maxaveragebitrate", OPUS_MIN_BITRATE,
                                       OPUS_MAX_BITRATE);
      n->plan.dtx = fmtp_flag (agreed->their_fmtp, "usedtx");
      n->plan.max_playback_rate = fmtp_uint (agreed->their_fmtp, "maxplaybackrate", 8000, 48000);
    }
  if (agreed->red_pt >= 0)
    {
      n->plan.red_pt = agreed->red_pt;
      n->plan.red_primary_pt = agreed->codec->pt;
      n->plan.red_max_distance = agreed->red_blocks - 1;
    }
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
  g_autofree char *no_codec = NULL;
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
      const BellSdpFormat *codec = NULL, *dtmf = NULL, *red = NULL;
      Agreed agreed = { NULL, NULL, NULL, -1 };
      BellSdpMedia *m;

      gboolean savp = is_savp (om->proto);
      Protection protection = { -1, NULL };
      g_autoptr(BellSecret) their_key = NULL;
      BellSrtpSuite suite = 0;
      guint tag = 0;

      if (!taken && om->port && g_str_equal (om->media, "audio") &&
          (savp || g_ascii_strcasecmp (om->proto, "RTP/AVP") == 0))
        {
          /* SDES (RFC 4568): taken when offered, unless the user turned SRTP off; RTP/SAVP
           * cannot be answered without it, and "mandatory" takes nothing else. */
          gboolean crypto = n->srtp != BELL_SDP_SRTP_OFF &&
                            pick_crypto (om, &suite, &tag, &their_key);
          if (savp && !crypto)
            refusal = n->srtp == BELL_SDP_SRTP_OFF
                        ? "the caller requires SRTP and it is turned off"
                        : "the caller requires SRTP with keys we cannot use";
          else if (n->srtp == BELL_SDP_SRTP_MANDATORY && !crypto)
            refusal = "the caller offers no encryption and this account requires SRTP";
          else if (!(codec = pick_codec (n, om)))
            refusal = no_codec ? no_codec : (no_codec = codecs_we_take (n));
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
      agreed.codec = codec;
      agreed.their_fmtp = codec->fmtp;
      agreed.dtmf = dtmf = pick_dtmf (om, codec_info[codec_of (codec)].clock_rate);
      red = n->no_redundancy || !has_red (codec_of (codec))
              ? NULL : find_red (om, codec->pt, codec_info[codec_of (codec)].clock_rate);
      agreed.red_pt = red ? red->pt : -1;
      /* We send no more copies than the offer's fmtp names blocks (RFC 2198 §5). */
      agreed.red_blocks = red ? red_blocks (red, codec->pt, red->clock_rate) : 0;
      m = bell_sdp_media_new ("audio", n->rtp_port ? n->rtp_port : 9, om->proto);
      add_codec (n, m, codec_of (codec), codec->pt);
      if (red)
        bell_sdp_media_add_format (m, red->pt, "red", red->clock_rate, red->channels, red->fmtp);
      if (dtmf)
        add_dtmf (m, dtmf->pt, dtmf->clock_rate, dtmf->fmtp);
      /* RFC 5761 §5.1.1: rtcp-mux only when offered. */
      add_common_attributes (n, m, answer_direction (n, bell_sdp_media_get_direction (remote, om),
                                                     hold));
      if (!om->rtcp_mux)
        bell_sdp_media_set_rtcp_mux (m, FALSE);
      if (protection.suite >= 0)
        {
          /* RFC 4568 §7.1.2: the offer's tag and suite, our own key. */
          g_autoptr(BellSecret) params = g_strconcat ("inline:", key_for (n, suite), NULL);
          bell_sdp_media_add_crypto (m, tag, bell_srtp_suite_to_name (suite), params, NULL);
        }
      if (!plan_from (n, remote, om, m->direction, &agreed, n->rtcp_mux && om->rtcp_mux,
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
  Agreed agreed = { NULL, NULL, NULL, -1 };
  Codec kind;
  Protection protection = { -1, NULL };
  g_autoptr(BellSecret) their_key = NULL;

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
  /* The first format of the answer that we offered as a codec is the one used (§6.1); the
   * answer's rtpmap, when it has one, must say the same codec. */
  for (guint i = 0; i < theirs->formats->len && !agreed.codec; i++)
    {
      const BellSdpFormat *f = theirs->formats->pdata[i];
      const BellSdpFormat *offered = bell_sdp_media_find_format (ours, f->pt);
      if (offered && codec_of (offered) != CODEC_NONE &&
          (!f->encoding || codec_of (f) == codec_of (offered)))
        {
          agreed.codec = offered;
          agreed.their_fmtp = f->fmtp;
        }
    }
  if (!agreed.codec)
    return sdp_error (error, "the answer names none of the codecs we offered");
  kind = codec_of (agreed.codec);
  agreed.dtmf = pick_dtmf (theirs, codec_info[kind].clock_rate);
  /* RED when we offered it for this codec and the answer keeps that type as red; as many
   * blocks as the answer's fmtp names (ours when it has none). */
  for (guint i = 0; i < theirs->formats->len && has_red (kind) && agreed.red_pt < 0; i++)
    {
      const BellSdpFormat *f = theirs->formats->pdata[i];
      const BellSdpFormat *offered = bell_sdp_media_find_format (ours, f->pt);
      guint clock = codec_info[kind].clock_rate;
      if (offered && is_red_of (offered, agreed.codec->pt, clock) &&
          (f->fmtp ? is_red_of (f, agreed.codec->pt, clock)
                   : g_ascii_strcasecmp (f->encoding ? f->encoding : "", "red") == 0))
        {
          agreed.red_pt = f->pt;
          agreed.red_blocks = red_blocks (f->fmtp ? f : offered, agreed.codec->pt, clock);
        }
    }
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
  return plan_from (n, remote, theirs, ours->direction, &agreed,
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
