/* bell-sip-auth-policy.c: which challenges an account's password answers (server, realm,
 * algorithm, transport), and why not, in a sentence for the user. */
#define G_LOG_DOMAIN "bell-sip-auth"

#include "config.h"

#include "bell-sip-auth-policy.h"

#include <glib/gi18n-lib.h>

/* A server of the account: a URI's host (lowercase, IPv6 in brackets) and port (0: none
 * given, RFC 3263 picks it, so any port of that host is it). */
typedef struct
{
  char   *host;
  guint16 port;
} Server;

struct _BellSipAuthPolicy
{
  gatomicrefcount ref_count;
  gboolean        open;          /* any server, any realm */
  gboolean        secure;        /* TLS/WSS only */
  GArray         *servers;       /* Server */
  GPtrArray      *addresses;     /* GInetSocketAddress: where we registered */
  GPtrArray      *realms;        /* char *, NULL-terminated; empty: not pinned yet */
  GHashTable     *strong_realms; /* realm → itself: offered SHA-256 or stronger */
};

static void
server_clear (gpointer data)
{
  g_free (((Server *) data)->host);
}

static BellSipAuthPolicy *
policy_new (void)
{
  BellSipAuthPolicy *policy = g_new0 (BellSipAuthPolicy, 1);

  g_atomic_ref_count_init (&policy->ref_count);
  policy->servers = g_array_new (FALSE, TRUE, sizeof (Server));
  g_array_set_clear_func (policy->servers, server_clear);
  policy->addresses = g_ptr_array_new_with_free_func (g_object_unref);
  policy->realms = g_ptr_array_new_null_terminated (1, g_free, TRUE);
  policy->strong_realms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return policy;
}

BellSipAuthPolicy *
bell_sip_auth_policy_new_open (void)
{
  BellSipAuthPolicy *policy = policy_new ();

  policy->open = TRUE;
  return policy;
}

static void
add_server (BellSipAuthPolicy *policy, const BellSipUri *uri)
{
  Server server;

  if (uri == NULL || !bell_str_is_set (uri->host))
    return;
  server.host = g_ascii_strdown (uri->host.p, (gssize) uri->host.len);
  server.port = uri->port;
  g_array_append_val (policy->servers, server);
}

BellSipAuthPolicy *
bell_sip_auth_policy_new_account (const BellSipUri *registrar, const BellSipUri *outbound_proxy,
                                  const char *realm, gboolean secure)
{
  BellSipAuthPolicy *policy = policy_new ();

  add_server (policy, registrar);
  add_server (policy, outbound_proxy);
  policy->secure = secure;
  if (realm && *realm)
    g_ptr_array_add (policy->realms, g_strdup (realm));
  return policy;
}

BellSipAuthPolicy *
bell_sip_auth_policy_ref (BellSipAuthPolicy *policy)
{
  g_return_val_if_fail (policy != NULL, NULL);
  g_atomic_ref_count_inc (&policy->ref_count);
  return policy;
}

void
bell_sip_auth_policy_unref (BellSipAuthPolicy *policy)
{
  g_return_if_fail (policy != NULL);
  if (!g_atomic_ref_count_dec (&policy->ref_count))
    return;
  g_array_unref (policy->servers);
  g_ptr_array_unref (policy->addresses);
  g_ptr_array_unref (policy->realms);
  g_hash_table_unref (policy->strong_realms);
  g_free (policy);
}

const char *const *
bell_sip_auth_policy_get_realms (BellSipAuthPolicy *policy)
{
  g_return_val_if_fail (policy != NULL, NULL);
  return policy->realms->len ? (const char *const *) policy->realms->pdata : NULL;
}

void
bell_sip_auth_policy_pin_realms (BellSipAuthPolicy *policy, const char *const *realms)
{
  g_return_if_fail (policy != NULL);
  if (policy->open || policy->realms->len > 0 || realms == NULL)
    return;
  for (guint i = 0; realms[i]; i++)
    {
      g_message ("realm “%s” pinned for this account: other realms are not answered", realms[i]);
      g_ptr_array_add (policy->realms, g_strdup (realms[i]));
    }
}

void
bell_sip_auth_policy_trust_address (BellSipAuthPolicy *policy, GInetSocketAddress *address)
{
  g_return_if_fail (policy != NULL);
  if (address == NULL)
    return;
  for (guint i = 0; i < policy->addresses->len; i++)
    if (g_inet_socket_address_get_port (policy->addresses->pdata[i]) ==
          g_inet_socket_address_get_port (address) &&
        g_inet_address_equal (g_inet_socket_address_get_address (policy->addresses->pdata[i]),
                              g_inet_socket_address_get_address (address)))
      return;
  g_ptr_array_add (policy->addresses, g_object_ref (address));
}

gboolean
bell_sip_auth_policy_is_secure (BellSipAuthPolicy *policy)
{
  g_return_val_if_fail (policy != NULL, FALSE);
  return policy->secure;
}

/* ---- decisions ---------------------------------------------------------------------------- */

static gboolean
server_matches (BellSipAuthPolicy *policy, const BellSipUri *next_hop)
{
  if (next_hop == NULL || !bell_str_is_set (next_hop->host))
    return FALSE;
  for (guint i = 0; i < policy->servers->len; i++)
    {
      const Server *s = &g_array_index (policy->servers, Server, i);

      if (bell_str_equal_ci_cstr (next_hop->host, s->host) &&
          (s->port == 0 || next_hop->port == 0 || s->port == next_hop->port))
        return TRUE;
    }
  return FALSE;
}

static gboolean
address_trusted (BellSipAuthPolicy *policy, GInetSocketAddress *source)
{
  for (guint i = 0; source && i < policy->addresses->len; i++)
    if (g_inet_socket_address_get_port (policy->addresses->pdata[i]) ==
          g_inet_socket_address_get_port (source) &&
        g_inet_address_equal (g_inet_socket_address_get_address (policy->addresses->pdata[i]),
                              g_inet_socket_address_get_address (source)))
      return TRUE;
  return FALSE;
}

/* Does the URI itself say the hop is encrypted (sips:, or ;transport=tls or wss)? Without a
 * flow this is all we know before sending. */
static gboolean
uri_is_secure (const BellSipUri *uri)
{
  BellStr transport;

  if (uri == NULL)
    return FALSE;
  if (uri->scheme == BELL_URI_SCHEME_SIPS)
    return TRUE;
  return bell_sip_uri_get_param (uri, "transport", &transport) &&
         (bell_str_equal_ci_lit (transport, "tls") || bell_str_equal_ci_lit (transport, "wss"));
}

gboolean
bell_sip_auth_policy_may_send_to (BellSipAuthPolicy *policy, const BellSipUri *next_hop)
{
  g_return_val_if_fail (policy != NULL, FALSE);
  /* A sips: account's credentials go unasked only where the URI promises TLS; elsewhere the
   * server may challenge, and the answer then goes only over a flow that is TLS. */
  if (policy->secure && !uri_is_secure (next_hop))
    return FALSE;
  return policy->open || server_matches (policy, next_hop);
}

/* "host:port" of where the request went, for the user. */
static char *
describe_hop (const BellSipUri *next_hop, GInetSocketAddress *source)
{
  if (next_hop && bell_str_is_set (next_hop->host))
    return next_hop->port ? g_strdup_printf ("%.*s:%u", BELL_STR_PRINTF (next_hop->host),
                                             next_hop->port)
                          : bell_str_dup (next_hop->host);
  if (source)
    return g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (source));
  return g_strdup ("?");
}

static gboolean
realm_allowed (BellSipAuthPolicy *policy, const char *realm)
{
  if (policy->open || policy->realms->len == 0)
    return TRUE;
  for (guint i = 0; i < policy->realms->len; i++)
    if (g_str_equal (policy->realms->pdata[i], realm))
      return TRUE;
  return FALSE;
}

gboolean
bell_sip_auth_policy_check (BellSipAuthPolicy *policy, const BellSipAuthChallengeInfo *info,
                            GError **error)
{
  g_return_val_if_fail (policy != NULL && info != NULL && info->realm != NULL, FALSE);

  /* Transport first: over a clear channel even a right realm's answer would be overheard. */
  if (policy->secure && !bell_sip_transport_kind_is_secure (info->transport))
    {
      g_set_error (error, BELL_SIP_AUTH_ERROR, BELL_SIP_AUTH_ERROR_INSECURE,
                   _("The server asked for the password of this sips: account over %s, which is "
                     "not encrypted: not sent."),
                   info->transport == BELL_SIP_TRANSPORT_ANY
                     ? _("an unknown transport")
                     : bell_sip_transport_kind_to_string (info->transport));
      return FALSE;
    }
  if (!policy->open && !server_matches (policy, info->next_hop) &&
      !address_trusted (policy, info->source))
    {
      g_autofree char *hop = describe_hop (info->next_hop, info->source);

      g_set_error (error, BELL_SIP_AUTH_ERROR, BELL_SIP_AUTH_ERROR_UNTRUSTED_SERVER,
                   _("%s asked for this account’s password for realm “%s”, but it is not the "
                     "account’s registrar or proxy: not sent."), hop, info->realm);
      return FALSE;
    }

  if (!realm_allowed (policy, info->realm))
    {
      g_set_error (error, BELL_SIP_AUTH_ERROR, BELL_SIP_AUTH_ERROR_UNTRUSTED_REALM,
                   _("The server asked for a password for realm “%s”, which is not this "
                     "account’s: not sent."), info->realm);
      return FALSE;
    }

  /* A server that offered SHA-256 and now offers only MD5 may be someone in between who
   * stripped the strong challenge (RFC 8760 §3): the weak answer is the easier to crack. */
  if (info->algorithm == BELL_SIP_DIGEST_MD5 &&
      g_hash_table_contains (policy->strong_realms, info->realm))
    {
      g_set_error (error, BELL_SIP_AUTH_ERROR, BELL_SIP_AUTH_ERROR_DOWNGRADE,
                   _("The server offered only MD5 for realm “%s”, which offered SHA-256 before: "
                     "a downgrade, password not sent."), info->realm);
      return FALSE;
    }
  if (info->algorithm != BELL_SIP_DIGEST_MD5)
    g_hash_table_add (policy->strong_realms, g_strdup (info->realm));
  return TRUE;
}

const BellSipUri *
bell_sip_auth_next_hop (const BellSipMsg *request)
{
  const BellSipHeader *route;

  g_return_val_if_fail (request != NULL, NULL);
  route = bell_sip_msg_find (request, BELL_SIP_HDR_ROUTE);
  if (route && route->parsed.name_addr)
    return &route->parsed.name_addr->uri;
  return bell_sip_msg_get_request_uri (request);
}

gboolean
bell_sip_auth_error_is_policy (const GError *error)
{
  return error && error->domain == BELL_SIP_AUTH_ERROR &&
         (error->code == BELL_SIP_AUTH_ERROR_UNTRUSTED_REALM ||
          error->code == BELL_SIP_AUTH_ERROR_UNTRUSTED_SERVER ||
          error->code == BELL_SIP_AUTH_ERROR_DOWNGRADE ||
          error->code == BELL_SIP_AUTH_ERROR_INSECURE);
}
