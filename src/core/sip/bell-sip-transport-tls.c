/* bell-sip-transport-tls.c: TLS connections (RFC 3261 §26.2, RFC 5922) through BellSipTls. */
#define G_LOG_DOMAIN "bell-sip-transport"

#include "bell-sip-transport-private.h"
#include "bell-sip-tls.h"

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
