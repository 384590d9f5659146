/* bell-sip-sdp-interim.c: the SDP of a call without media, until the media layer exists.
 *
 * Valid SDP that promises nothing: every stream inactive (RFC 3264 §6.1), whether or not the
 * call is on hold (§8.4: holding an inactive stream leaves it inactive), so a peer sends no
 * RTP and expects none.
 */
#define G_LOG_DOMAIN "bell-sip-call"

#include "bell-sip-call.h"

#include <string.h>

/* The interim SDP: our first audio stream on PCMU or PCMA, inactive; other streams refused.
 * One session per call: the same o= line throughout, its version one up for each new
 * description (RFC 3264 §8). */

typedef struct
{
  guint32 session_id;
  guint64 version;
} Session;

static char *
origin_line (Session *session)
{
  return g_strdup_printf ("o=bellbird %u %" G_GUINT64_FORMAT " IN IP4 0.0.0.0\r\n",
                          session->session_id, ++session->version);
}

static char *
local_ip_line (void)
{
  /* No media flows, so no address is promised: 0.0.0.0 (RFC 3264 §6.1 allows it). */
  return g_strdup ("c=IN IP4 0.0.0.0\r\n");
}

static char *
signalling_only_offer (gboolean hold, gpointer user_data)
{
  g_autofree char *c = local_ip_line ();
  g_autofree char *o = origin_line (user_data);

  return g_strdup_printf ("v=0\r\n%ss=-\r\n%st=0 0\r\n"
                          "m=audio 9 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n"
                          "a=rtpmap:8 PCMA/8000\r\na=inactive\r\n", o, c);
}

static char *
signalling_only_answer (const char *offer, gboolean hold, gpointer user_data, GError **error)
{
  g_auto(GStrv) lines = g_strsplit (offer, "\n", -1);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *c = local_ip_line ();
  g_autofree char *o = origin_line (user_data);
  gboolean audio_taken = FALSE;
  guint streams = 0;

  g_string_append_printf (out, "v=0\r\n%ss=-\r\n%st=0 0\r\n", o, c);
  for (guint i = 0; lines[i]; i++)
    {
      g_auto(GStrv) f = NULL;
      const char *codec = NULL;
      if (!g_str_has_prefix (lines[i], "m="))
        continue;
      streams++;
      f = g_strsplit_set (g_strstrip (lines[i] + 2), " ", -1);
      if (g_strv_length (f) < 4)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "malformed m= line in the offer");
          return NULL;
        }
      for (guint k = 3; f[k] && !codec && !audio_taken && g_str_equal (f[0], "audio"); k++)
        if (g_str_equal (f[k], "0") || g_str_equal (f[k], "8"))
          codec = f[k];
      if (codec)
        {
          audio_taken = TRUE;
          g_string_append_printf (out, "m=audio 9 %s %s\r\na=rtpmap:%s %s/8000\r\na=inactive\r\n",
                                  f[2], codec, codec, g_str_equal (codec, "0") ? "PCMU" : "PCMA");
        }
      else
        /* §6: a stream we do not take is answered with port 0, same format list. */
        g_string_append_printf (out, "m=%s 0 %s %s\r\n", f[0], f[2], f[3]);
    }
  if (!streams)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the offer has no media stream");
      return NULL;
    }
  if (!audio_taken)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "no common audio codec (PCMU or PCMA)");
      return NULL;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
signalling_only_apply (const char *answer, gpointer user_data, GError **error)
{
  if (!strstr (answer, "m=audio "))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the answer has no audio stream");
      return FALSE;
    }
  return TRUE;
}

BellSipOfferAnswer
bell_sip_sdp_interim_new (void)
{
  Session *session = g_new0 (Session, 1);
  BellSipOfferAnswer oa = {
    signalling_only_offer, signalling_only_answer, signalling_only_apply, session, g_free,
  };

  session->session_id = g_random_int_range (1, G_MAXINT32);
  return oa;
}
