/* bell-sip-call-timer.c: session timers (RFC 4028). A call that a proxy or PBX times is
 * refreshed by one side (the "refresher") every half interval with a re-INVITE; the other side
 * hangs up when no refresh came in time, so a call whose peer vanished does not stay up. */
#define G_LOG_DOMAIN "bell-sip-call"

#include "bell-sip-call-private.h"

/* What we ask for (RFC 4028 §4 recommends 1800 s) and the least we take (§5: 90 s). */
#define OUR_SESSION_EXPIRES 1800
#define OUR_MIN_SE          90
/* Larger than a day is not a timer anyone means. */
#define MAX_SESSION_EXPIRES 86400

static gboolean
refresher_is (const BellSipHeader *se, const char *who)
{
  BellStr value;

  return se && bell_sip_params_get (se->parsed.token_params->params, "refresher", &value) &&
         bell_str_equal_ci_cstr (value, who);
}

static void
on_session_refresh (gpointer data)
{
  BellSipCall *self = data;

  self->session_timer = 0;
  self->want_refresh = TRUE;
  bell_sip_call_modify_sync (self);
}

static void
on_session_expired (gpointer data)
{
  BellSipCall *self = data;

  self->session_timer = 0;
  g_message ("call %u: no session refresh from the peer in %u s: hanging up", self->id,
             self->session_expires);
  bell_sip_call_bye (self, "the session expired: the peer stopped refreshing it");
}

/* §10: the refresher refreshes at half the interval; the other side gives up
 * min(32, SE/3) seconds before the end. */
static void
arm (BellSipCall *self, guint interval, gboolean we_refresh)
{
  bell_clock_clear (self->clock, &self->session_timer);
  self->session_expires = interval;
  self->we_refresh = we_refresh;
  if (!interval)
    return;
  if (we_refresh)
    self->session_timer = bell_clock_schedule (self->clock, interval * 1000 / 2, on_session_refresh,
                                               self, NULL);
  else
    self->session_timer = bell_clock_schedule (self->clock,
                                               (interval - MIN (32, interval / 3)) * 1000,
                                               on_session_expired, self, NULL);
}

void
bell_sip_call_timer_offer (BellSipCall *self, BellSipMsg *invite)
{
  guint se = MAX (OUR_SESSION_EXPIRES, self->min_se);

  bell_sip_msg_add_headerf (invite, "Session-Expires", NULL, "%u", se);
  if (self->min_se)
    bell_sip_msg_add_headerf (invite, "Min-SE", NULL, "%u", self->min_se);
}

gboolean
bell_sip_call_timer_handle_422 (BellSipCall *self, BellSipMsg *response)
{
  const BellSipHeader *h = bell_sip_msg_find (response, BELL_SIP_HDR_MIN_SE);
  guint64 min_se = h ? h->parsed.token_params->number : 0;

  /* §7.4: with the Min-SE it gives, when that is sane and more than we asked. */
  if (min_se <= MAX (OUR_SESSION_EXPIRES, self->min_se) || min_se > MAX_SESSION_EXPIRES)
    return FALSE;
  self->min_se = (guint) min_se;
  return TRUE;
}

void
bell_sip_call_timer_from_response (BellSipCall *self, BellSipMsg *response)
{
  const BellSipHeader *se = bell_sip_msg_find (response, BELL_SIP_HDR_SESSION_EXPIRES);
  guint64 interval = se ? se->parsed.token_params->number : 0;

  /* §7.2: no Session-Expires in the 2xx, no timer. We sent the request, so we are its "uac". */
  if (!se || interval < OUR_MIN_SE / 2 || interval > MAX_SESSION_EXPIRES)
    {
      arm (self, 0, FALSE);
      return;
    }
  arm (self, (guint) interval, !refresher_is (se, "uas"));
}

gboolean
bell_sip_call_refuse_short_session (BellSipTransaction *txn, BellSipMsg *request)
{
  const BellSipHeader *se = bell_sip_msg_find (request, BELL_SIP_HDR_SESSION_EXPIRES);
  g_autoptr(BellSipMsg) response = NULL;
  g_autofree char *tag = NULL;

  if (!se || se->parsed.token_params->number >= OUR_MIN_SE)
    return FALSE;
  /* §8.1: too short: 422 with the least we take (a To tag of its own outside a dialog). */
  if (!bell_str_is_set (bell_sip_msg_get_to (request)->tag))
    tag = g_strdup_printf ("%08x", g_random_int ());
  response = bell_sip_msg_new_response_to (request, 422, NULL, tag);
  bell_sip_msg_add_headerf (response, "Min-SE", NULL, "%u", OUR_MIN_SE);
  bell_sip_transaction_respond (txn, response, NULL);
  return TRUE;
}

void
bell_sip_call_timer_answer (BellSipCall *self, BellSipMsg *request, BellSipMsg *ok)
{
  const BellSipHeader *se = bell_sip_msg_find (request, BELL_SIP_HDR_SESSION_EXPIRES);
  gboolean uac_supports = bell_sip_msg_has_token (request, BELL_SIP_HDR_SUPPORTED, "timer");
  guint64 interval;
  gboolean uac_refreshes;

  if (!se)
    {
      arm (self, 0, FALSE);   /* §9: no Session-Expires asked, none given */
      return;
    }
  /* §9: never more than asked (what is too short was refused with 422 before). */
  interval = MIN (se->parsed.token_params->number, MAX_SESSION_EXPIRES);
  /* §9: the refresher the request names; if none, the UAC when it can, else us. */
  if (refresher_is (se, "uac"))
    uac_refreshes = uac_supports;
  else if (refresher_is (se, "uas"))
    uac_refreshes = FALSE;
  else
    uac_refreshes = uac_supports;
  bell_sip_msg_add_headerf (ok, "Session-Expires", NULL, "%u;refresher=%s", (guint) interval,
                            uac_refreshes ? "uac" : "uas");
  if (uac_refreshes)
    bell_sip_msg_add_header (ok, "Require", "timer", NULL);
  arm (self, (guint) interval, !uac_refreshes);
}

void
bell_sip_call_timer_refresh_headers (BellSipCall *self, BellSipMsg *request)
{
  /* §7.4: a refresh keeps the interval; we send it, so "uac" is us when we refresh. */
  if (self->session_expires)
    bell_sip_msg_add_headerf (request, "Session-Expires", NULL, "%u;refresher=%s",
                              self->session_expires, self->we_refresh ? "uac" : "uas");
}

void
bell_sip_call_timer_clear (BellSipCall *self)
{
  bell_clock_clear (self->clock, &self->session_timer);
}
