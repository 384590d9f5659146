/* bell-sip-transport-tls.c: TLS connections (RFC 3261 §26.2, RFC 5922) through BellSipTls. */
#define G_LOG_DOMAIN "bell-sip-transport"

#include "bell-sip-transport-tls.h"

#include "bell-sip-transport-private.h"
#include "bell-sip-tls.h"

#include <string.h>

/* The pins live beside the transport (its object data), keyed by server name; "" is the
 * default. The transport's own code need not know them: only TLS client setup reads them. */
static GQuark
pins_quark (void)
{
  return g_quark_from_static_string ("bell-sip-transport-tls-pins");
}

/* Certificate names are compared without case, brackets or a trailing dot. */
static char *
pin_key (const char *name)
{
  gsize len;

  if (!name)
    return g_strdup ("");
  len = strlen (name);
  if (len >= 2 && name[0] == '[' && name[len - 1] == ']')
    return g_ascii_strdown (name + 1, (gssize) len - 2);
  if (len >= 2 && name[len - 1] == '.')
    return g_ascii_strdown (name, (gssize) len - 1);
  return g_ascii_strdown (name, -1);
}

void
bell_sip_transport_set_tls_pin (BellSipTransport *self, const BellSipTarget *target,
                                const char *pin)
{
  GHashTable *pins = g_object_get_qdata (G_OBJECT (self), pins_quark ());
  g_autofree char *name = NULL;

  g_return_if_fail (BELL_IS_SIP_TRANSPORT (self));

  if (target && target->host)
    name = g_strdup (target->host);
  else if (target && target->address)
    name = g_inet_address_to_string (g_inet_socket_address_get_address (target->address));
  if (target && !name)
    return;   /* nowhere to connect to, so nothing to pin */
  if (!pins && !pin)
    return;
  if (!pins)
    {
      pins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_object_set_qdata_full (G_OBJECT (self), pins_quark (), pins,
                               (GDestroyNotify) g_hash_table_unref);
    }
  if (pin)
    g_hash_table_replace (pins, pin_key (name), g_strdup (pin));
  else
    {
      g_autofree char *key = pin_key (name);
      g_hash_table_remove (pins, key);
    }
}

const char *
bell_sip_transport_get_tls_pin (BellSipTransport *self, const char *name)
{
  GHashTable *pins = g_object_get_qdata (G_OBJECT (self), pins_quark ());
  g_autofree char *key = NULL;
  const char *pin;

  g_return_val_if_fail (BELL_IS_SIP_TRANSPORT (self), NULL);

  if (!pins)
    return NULL;
  key = pin_key (name);
  pin = g_hash_table_lookup (pins, key);
  return pin ? pin : g_hash_table_lookup (pins, "");
}

static gssize
tls_read (BellSipConnection *conn, void *buf, gsize len, GIOCondition *want, GError **error)
{
  return bell_sip_tls_read (conn->ops_data, buf, len, want, error);
}

static gssize
tls_write (BellSipConnection *conn, const void *buf, gsize len, GIOCondition *want, GError **error)
{
  return bell_sip_tls_write (conn->ops_data, buf, len, want, error);
}

static gboolean
tls_handshake (BellSipConnection *conn, GIOCondition *want, GError **error)
{
  g_autofree char *description = NULL;

  if (!bell_sip_tls_handshake (conn->ops_data, want, error))
    return FALSE;
  description = bell_sip_tls_describe (conn->ops_data);
  /* A certificate accepted by its pin alone is the user's decision: worth a line in the log. */
  if (bell_sip_tls_is_pinned (conn->ops_data))
    g_message ("TLS with %s: %s", conn->key, description);
  else
    g_debug ("TLS with %s: %s", conn->key, description);
  return TRUE;
}

static gboolean
tls_pending (BellSipConnection *conn)
{
  return bell_sip_tls_pending (conn->ops_data);
}

static void
tls_close (BellSipConnection *conn)
{
  if (!conn->ops_data)
    return;
  bell_sip_tls_shutdown (conn->ops_data);
  g_clear_pointer (&conn->ops_data, bell_sip_tls_free);
}

static const BellSipStreamOps tls_ops = {
  .name = "TLS",
  .read = tls_read,
  .write = tls_write,
  .handshake = tls_handshake,
  .pending = tls_pending,
  .close = tls_close,
};

/* The configurations are made once, on first use, from the transport's settings. */
/* ca_file: an account's own CA (client side), NULL for the transport's setting. */
static BellSipTlsConfig *
get_config (BellSipTransport *self, gboolean server, const char *ca_file, GError **error)
{
  BellSipTlsConfig **slot = _bell_sip_transport_tls_slot (self, server, ca_file);
  const BellSipTransportConfig *config = _bell_sip_transport_get_config (self);

  if (*slot)
    return *slot;
  if (server)
    {
      if (!config->tls_cert_file || !config->tls_key_file)
        {
          g_set_error_literal (error, BELL_SIP_TLS_ERROR, BELL_SIP_TLS_ERROR_CONFIG,
                               "listening on TLS needs a certificate and a key");
          return NULL;
        }
      *slot = bell_sip_tls_config_new_server (config->tls_cert_file, config->tls_key_file, error);
    }
  else
    {
      *slot = bell_sip_tls_config_new_client (ca_file ? ca_file : config->tls_ca_file,
                                              config->tls_accept_untrusted, error);
      if (*slot && config->tls_accept_untrusted)
        g_message ("TLS certificates are not verified (accept-untrusted is on)");
    }
  return *slot;
}

gboolean
_bell_sip_transport_tls_server_ready (BellSipTransport *self, GError **error)
{
  return get_config (self, TRUE, NULL, error) != NULL;
}

gboolean
_bell_sip_connection_setup_tls (BellSipTransport *self, BellSipConnection *conn, gboolean client,
                                const char *ca_file, GError **error)
{
  BellSipTlsConfig *config = get_config (self, !client, ca_file, error);
  int fd = g_socket_get_fd (conn->socket);
  g_autofree char *name = NULL;
  BellSipTls *tls;

  if (!config)
    return FALSE;
  if (client)
    {
      /* Verify the name we were asked to reach; without one, the address itself. */
      name = conn->host ? g_strdup (conn->host)
                        : g_inet_address_to_string (g_inet_socket_address_get_address (conn->flow->remote));
      tls = bell_sip_tls_new_client (config, fd, name, error);
      if (tls)
        bell_sip_tls_set_pin (tls, bell_sip_transport_get_tls_pin (self, name));
    }
  else
    tls = bell_sip_tls_new_server (config, fd, error);
  if (!tls)
    return FALSE;
  conn->ops = &tls_ops;
  conn->ops_data = tls;
  conn->handshaking = TRUE;
  return TRUE;
}
