/* bell-account-store-fields.c: what an account editor saves (BellAccountFields) and the
 * checks every save makes on it, so that the editor can tell the user before saving. */
#define G_LOG_DOMAIN "bell-accounts"

#include "config.h"

#include <glib/gi18n.h>
#include "bell-account-store-private.h"

/* Every constructor is a copy of strings it borrows, so no field can be forgotten in one. */
BellAccountFields *
_bell_account_fields_copy (const BellAccountFields *fields)
{
  BellAccountFields *copy = g_new0 (BellAccountFields, 1);

  *copy = *fields;
  copy->display_name = g_strdup (fields->display_name);
  copy->address = g_strdup (fields->address);
  copy->auth_user = g_strdup (fields->auth_user);
  copy->registrar = g_strdup (fields->registrar);
  copy->outbound_proxy = g_strdup (fields->outbound_proxy);
  copy->transport = g_strdup (fields->transport);
  copy->srtp = g_strdup (fields->srtp);
  copy->stun_server = g_strdup (fields->stun_server);
  copy->codecs = g_strdupv (fields->codecs);
  copy->direct_calls = g_strdup (fields->direct_calls);
  return copy;
}

BellAccountFields *
bell_account_fields_new (void)
{
  /* The schema's defaults (data/io.github.bellbird.Bellbird.gschema.xml, Account). */
  const BellAccountFields defaults = {
    .display_name = (char *) "",
    .address = (char *) "",
    .auth_user = (char *) "",
    .registrar = (char *) "",
    .outbound_proxy = (char *) "",
    .transport = (char *) "auto",
    .srtp = (char *) "auto",
    .stun_server = (char *) "",
    .codecs = NULL,
    .low_bandwidth = FALSE,
    .direct_calls = (char *) "auto",
    .enabled = TRUE,
    .expires = 600,
  };

  return _bell_account_fields_copy (&defaults);
}

BellAccountFields *
bell_account_fields_new_from_account (BellAccount *account)
{
  g_return_val_if_fail (BELL_IS_ACCOUNT (account), NULL);
  return _bell_account_fields_copy (&(const BellAccountFields) {
    .display_name = (char *) bell_account_get_display_name (account),
    .address = (char *) bell_account_get_address (account),
    .auth_user = (char *) bell_account_get_auth_user (account),
    .registrar = (char *) bell_account_get_registrar (account),
    .outbound_proxy = (char *) bell_account_get_outbound_proxy (account),
    .transport = (char *) bell_account_get_transport (account),
    .srtp = (char *) bell_account_get_srtp (account),
    .stun_server = (char *) bell_account_get_stun_server (account),
    .codecs = (char **) bell_account_get_codecs (account),
    .low_bandwidth = bell_account_get_low_bandwidth (account),
    .direct_calls = (char *) bell_account_get_direct_calls (account),
    .enabled = bell_account_get_enabled (account),
    .expires = bell_account_get_expires (account),
  });
}

void
bell_account_fields_free (BellAccountFields *fields)
{
  if (!fields)
    return;
  g_free (fields->display_name);
  g_free (fields->address);
  g_free (fields->auth_user);
  g_free (fields->registrar);
  g_free (fields->outbound_proxy);
  g_free (fields->transport);
  g_free (fields->srtp);
  g_free (fields->stun_server);
  g_strfreev (fields->codecs);
  g_free (fields->direct_calls);
  g_free (fields);
}

char *
_bell_account_strip (const char *text)
{
  return g_strstrip (g_strdup (text ? text : ""));
}

/* Checks */

static gboolean
is_choice (const char *value, const char *const *choices)
{
  return value && g_strv_contains (choices, value);
}

gboolean
bell_account_store_validate (BellAccountStore *store, BellAccount *account,
                             const BellAccountFields *fields, GError **error)
{
  static const char *const transports[] = { "auto", "udp", "tcp", "tls", "ws", "wss", NULL };
  static const char *const policies[] = { "auto", "off", "optional", "mandatory", NULL };
  static const char *const direct[] = { "auto", "anyone", "contacts", "nobody", NULL };
  g_autofree char *address = NULL;
  g_autofree char *registrar = NULL;
  g_autofree char *proxy = NULL;
  g_autofree char *stun = NULL;
  g_auto(GStrv) codecs = NULL;
  BellAccount *other;

  g_return_val_if_fail (BELL_IS_ACCOUNT_STORE (store), FALSE);
  g_return_val_if_fail (fields != NULL, FALSE);

  address = bell_account_normalize_address (fields->address, error);
  if (!address)
    return FALSE;
  other = bell_account_store_find_by_aor (store, address);
  if (other && other != account)
    {
      g_set_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_EXISTS,
                   _("Another account already uses the address %s"), address);
      return FALSE;
    }
  registrar = bell_account_normalize_server (fields->registrar, error);
  if (!registrar && error && *error)
    return FALSE;
  proxy = bell_account_normalize_server (fields->outbound_proxy, error);
  if (!proxy && error && *error)
    return FALSE;
  stun = _bell_account_strip (fields->stun_server);
  if (*stun)
    {
      g_autoptr(GSocketConnectable) parsed = g_network_address_parse (stun, 3478, NULL);
      if (!parsed || strpbrk (stun, " \t/"))
        {
          g_set_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_INVALID_SERVER,
                       _("“%s” is not a STUN server: write it as host or host:port"), stun);
          return FALSE;
        }
    }
  codecs = bell_account_normalize_codecs ((const char *const *) fields->codecs, error);
  if (!codecs)
    return FALSE;
  if (!is_choice (fields->transport, transports) || !is_choice (fields->srtp, policies) ||
      !is_choice (fields->direct_calls, direct) || fields->expires < 60 || fields->expires > 86400)
    {
      g_set_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_INVALID_SERVER,
                   _("The transport, encryption or registration interval is not valid"));
      return FALSE;
    }
  return TRUE;
}
