/* bell-core-auth.c: which policy the password of a call or OPTIONS answers under. */
#define G_LOG_DOMAIN "bell-core"

#include "bell-core-auth.h"

#include "sip/bell-sip-auth-policy.h"

void
bell_core_auth_apply_policy (BellCore *core, BellSipCredentials *creds, const char *from,
                             const char *target, gboolean via_proxy)
{
  BellCoreAccount *account;
  const char *proxy = NULL;
  g_autofree char *hop_text = NULL;
  g_autoptr(BellSipUri) hop = NULL;
  g_autoptr(BellSipUri) from_uri = NULL;
  g_autoptr(BellSipAuthPolicy) policy = NULL;
  gboolean secure;

  if (creds == NULL)
    return;
  account = bell_core_find_account (core, from);
  if (account && account->credentials)
    {
      bell_sip_credentials_set_policy (creds,
                                       bell_sip_credentials_get_policy (account->credentials));
      return;
    }

  /* No registered account: the user gave this password for this request, so it is for the
   * server the request is handed to, and nobody further on (a REFER's target included). */
  if (via_proxy)
    proxy = account && account->outbound_proxy ? account->outbound_proxy
                                               : core->config.outbound_proxy;
  hop_text = proxy && *proxy ? bell_sip_uri_text_for_server (proxy) : g_strdup (target);
  hop = hop_text ? bell_sip_uri_new (hop_text, NULL) : NULL;
  from_uri = from ? bell_sip_uri_new (from, NULL) : NULL;
  secure = (from_uri && from_uri->scheme == BELL_URI_SCHEME_SIPS) ||
           (hop && hop->scheme == BELL_URI_SCHEME_SIPS);
  policy = bell_sip_auth_policy_new_account (hop, NULL, NULL, secure);
  bell_sip_credentials_set_policy (creds, policy);
}
