/* bell-core-policy.c: who may ring (the incoming-call policy), which sources the flood limits
 * trust, and the "protection" event that reports what the limits refused. Core thread only. */
#include "bell-core-private.h"

#include "sip/bell-sip-guard.h"
#include "sip/bell-sip-registration.h"
#include "sip/bell-sip-uri.h"

/* Our registrars and outbound proxies as we reach them: never rate-limited, and their calls
 * are the account's calls. */
void
bell_core_policy_update_trusted (BellCore *core)
{
  g_autoptr(GPtrArray) trusted = g_ptr_array_new ();

  for (guint i = 0; i < core->registrations->len; i++)
    {
      BellSipFlow *flow = bell_sip_registration_get_flow (core->registrations->pdata[i]);
      GPtrArray *targets = bell_sip_registration_get_targets (core->registrations->pdata[i]);
      GInetSocketAddress *remote = flow ? bell_sip_flow_get_remote (flow) : NULL;

      if (remote)
        g_ptr_array_add (trusted, remote);
      for (guint t = 0; targets && t < targets->len; t++)
        if (((BellSipTarget *) targets->pdata[t])->address)
          g_ptr_array_add (trusted, ((BellSipTarget *) targets->pdata[t])->address);
    }
  bell_sip_guard_set_trusted (bell_sip_transport_get_guard (core->transport), trusted);
}

/* The account a direct call is for: the one whose AOR's user the Request-URI names. */
static BellCoreAccount *
account_named_by (BellCore *core, const BellSipUri *ruri)
{
  for (guint i = 0; ruri && i < core->accounts->len; i++)
    {
      BellCoreAccount *account = core->accounts->pdata[i];
      g_autoptr(BellSipUri) aor = bell_sip_uri_new (account->aor, NULL);

      if (aor && bell_str_is_set (ruri->user) && bell_str_equal (aor->user, ruri->user))
        return account;
    }
  return NULL;
}

BellDirectCalls
bell_core_direct_calls_policy (BellCore *core, BellCoreAccount *account)
{
  if (account && account->direct_calls != BELL_DIRECT_CALLS_AUTO)
    return account->direct_calls;
  if (core->direct_calls != BELL_DIRECT_CALLS_AUTO)
    return core->direct_calls;
  /* With an account, calls come through its server; without one, a direct call is the only
   * kind there is (the app asks the user once whether to take them). */
  return core->accounts->len ? BELL_DIRECT_CALLS_REFUSE : BELL_DIRECT_CALLS_ACCEPT;
}

/* From names one of the user's contacts. A contact whose host is an IP address must also be
 * where the request came from: a From is text anyone can write, a TCP peer's address is not,
 * and a UDP sender forging it never sees our answers (it can make the phone ring, not hold a
 * call). A contact with a domain is matched on the From alone. */
static gboolean
from_contact (BellCore *core, BellSipMsg *request, GInetSocketAddress *source)
{
  const BellSipNameAddr *from = bell_sip_msg_get_from (request);
  g_autofree char *source_ip = source
    ? g_inet_address_to_string (g_inet_socket_address_get_address (source)) : NULL;

  if (!from)
    return FALSE;
  for (guint i = 0; core->contacts && i < core->contacts->len; i++)
    {
      const BellSipUri *contact = core->contacts->pdata[i];
      g_autofree char *host = NULL;

      if (!bell_str_equal (contact->user, from->uri.user) ||
          !bell_str_equal_ci (contact->host, from->uri.host))
        continue;
      if (contact->host_type == BELL_HOST_NAME)
        return TRUE;
      host = bell_str_dup (contact->host);
      g_strdelimit (host, "[]", ' ');
      g_strstrip (host);
      if (source_ip && g_ascii_strcasecmp (host, source_ip) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
is_loopback (GInetSocketAddress *source)
{
  return source && g_inet_address_get_is_loopback (g_inet_socket_address_get_address (source));
}

static BellSipScreen
screen_request (BellSipMsg *request, BellSipFlow *flow, gpointer data)
{
  BellCore *core = data;
  const BellSipUri *ruri = bell_sip_msg_get_request_uri (request);
  GInetSocketAddress *source = bell_sip_flow_get_remote (flow);

  if (bell_core_account_of_flow (core, flow))
    return BELL_SIP_SCREEN_ACCEPT;   /* through the account's registrar */
  /* The echo test is the user's own, called from this machine. */
  if (core->config.echo_service && ruri && bell_str_equal_cstr (ruri->user, "echo") &&
      is_loopback (source))
    return BELL_SIP_SCREEN_ACCEPT;
  /* Taking over a call we are in (RFC 3891) needs its dialog's identifiers: a stranger gets
   * 481 from there. */
  if (bell_sip_msg_find (request, BELL_SIP_HDR_REPLACES))
    return BELL_SIP_SCREEN_ACCEPT;
  switch (bell_core_direct_calls_policy (core, account_named_by (core, ruri)))
    {
    case BELL_DIRECT_CALLS_ACCEPT:
      return BELL_SIP_SCREEN_ACCEPT;
    case BELL_DIRECT_CALLS_CONTACTS:
      return from_contact (core, request, source) ? BELL_SIP_SCREEN_ACCEPT : BELL_SIP_SCREEN_REFUSE;
    case BELL_DIRECT_CALLS_AUTO:
    case BELL_DIRECT_CALLS_REFUSE:
      break;
    }
  return BELL_SIP_SCREEN_REFUSE;
}

static void
add_count (GVariantBuilder *b, const char *name, guint64 n)
{
  g_variant_builder_add (b, "{sv}", name, g_variant_new_int64 ((gint64) n));
}

/* Every counter of refused traffic, at most once a second while anything is refused. */
static void
on_guard_changed (BellSipGuard *guard, gpointer data)
{
  BellCore *core = data;
  BellSipTransportStats stats;
  GVariantBuilder b;

  bell_sip_transport_get_stats (core->transport, &stats);
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  for (BellSipLimit limit = 0; limit < BELL_SIP_N_LIMITS; limit++)
    add_count (&b, bell_sip_limit_to_string (limit), bell_sip_guard_get_count (guard, limit));
  add_count (&b, "malformed_dropped", stats.dropped_malformed);
  add_count (&b, "malformed_answered", stats.rejected_malformed);
  add_count (&b, "connections_refused", stats.connections_refused);
  add_count (&b, "connections_closed_overflow", stats.connections_closed_overflow);
  add_count (&b, "connections_closed_slow", stats.connections_closed_slow);
  bell_core_emit (core, bell_event_new_from_vardict ("protection", g_variant_builder_end (&b)));
}

void
bell_core_policy_start (BellCore *core)
{
  core->direct_calls = core->config.direct_calls;
  bell_sip_transactions_set_screen (core->txns, screen_request, core);
  g_signal_connect (bell_sip_transport_get_guard (core->transport), "changed",
                    G_CALLBACK (on_guard_changed), core);
}

void
bell_core_policy_stop (BellCore *core)
{
  if (core->txns)
    bell_sip_transactions_set_screen (core->txns, NULL, NULL);
  if (core->transport)
    g_signal_handlers_disconnect_by_data (bell_sip_transport_get_guard (core->transport), core);
  g_clear_pointer (&core->contacts, g_ptr_array_unref);
}

/* Commands */

typedef struct
{
  BellCore        *core;
  BellDirectCalls  policy;
  char           **contacts;
} DirectCallsJob;

static void
direct_calls_job_free (gpointer data)
{
  DirectCallsJob *job = data;

  g_strfreev (job->contacts);
  g_free (job);
}

static gboolean
do_set_direct_calls (gpointer data)
{
  DirectCallsJob *job = data;
  BellCore *core = job->core;

  core->direct_calls = job->policy;
  g_clear_pointer (&core->contacts, g_ptr_array_unref);
  core->contacts = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_sip_uri_free);
  for (guint i = 0; job->contacts && job->contacts[i]; i++)
    {
      BellSipUri *uri = bell_sip_uri_new (job->contacts[i], NULL);

      if (uri && bell_str_is_set (uri->host))
        g_ptr_array_add (core->contacts, uri);
      else if (uri)
        bell_sip_uri_free (uri);
    }
  return G_SOURCE_REMOVE;
}

void
bell_core_set_direct_calls (BellCore *core, BellDirectCalls policy, const char *const *contacts)
{
  DirectCallsJob *job;

  g_return_if_fail (BELL_IS_CORE (core));
  job = g_new0 (DirectCallsJob, 1);
  job->core = core;
  job->policy = policy;
  job->contacts = g_strdupv ((char **) contacts);
  g_main_context_invoke_full (core->context, G_PRIORITY_DEFAULT, do_set_direct_calls, job,
                              direct_calls_job_free);
}

gboolean
bell_direct_calls_from_string (const char *text, BellDirectCalls *policy)
{
  static const char *const names[] = { "auto", "refuse", "contacts", "accept" };

  for (guint i = 0; text && i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (text, names[i]) == 0)
      {
        *policy = (BellDirectCalls) i;
        return TRUE;
      }
  return FALSE;
}
