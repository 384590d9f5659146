/* bell-sip-transport-tls.c: TLS connections (RFC 3261 §26.2, RFC 5922) through BellSipTls. */
#define G_LOG_DOMAIN "bell-sip-transport"

#include "bell-sip-transport-tls.h"

#include "bell-sip-transport-private.h"
#include "bell-sip-tls.h"

#include <string.h>

/* The pins live beside the transport (its object data): server name → the pins held for it,
 * the latest last; "" is the default. The transport's own code need not know them: only TLS
 * client setup reads them. */
typedef struct
{
  char  *pin;
  guint  holds;
} PinHold;

static void
pin_hold_free (gpointer data)
{
  PinHold *hold = data;

  g_free (hold->pin);
  g_free (hold);
}

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

/* The key of target's server name ("" for NULL, the default); NULL when it has no name. */
static char *
target_key (const BellSipTarget *target)
{
  g_autofree char *address = NULL;

  if (!target)
    return g_strdup ("");
  if (target->host)
    return pin_key (target->host);
  if (!target->address)
    return NULL;
  address = g_inet_address_to_string (g_inet_socket_address_get_address (target->address));
  return pin_key (address);
}

/* The holds of key, made when create. */
static GPtrArray *
holds_of (BellSipTransport *self, const char *key, gboolean create)
{
  GHashTable *pins = g_object_get_qdata (G_OBJECT (self), pins_quark ());
  GPtrArray *holds;

  if (!pins && create)
    {
      pins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                    (GDestroyNotify) g_ptr_array_unref);
      g_object_set_qdata_full (G_OBJECT (self), pins_quark (), pins,
                               (GDestroyNotify) g_hash_table_unref);
    }
  if (!pins)
    return NULL;
  holds = g_hash_table_lookup (pins, key);
  if (!holds && create)
    {
      holds = g_ptr_array_new_with_free_func (pin_hold_free);
      g_hash_table_insert (pins, g_strdup (key), holds);
    }
  return holds;
}

static void
forget_key_if_empty (BellSipTransport *self, const char *key)
{
  GHashTable *pins = g_object_get_qdata (G_OBJECT (self), pins_quark ());
  GPtrArray *holds = pins ? g_hash_table_lookup (pins, key) : NULL;

  if (holds && holds->len == 0)
    g_hash_table_remove (pins, key);
}

void
bell_sip_transport_set_tls_pin (BellSipTransport *self, const BellSipTarget *target,
                                const char *pin)
{
  g_autofree char *key = NULL;
  GPtrArray *holds;

  g_return_if_fail (BELL_IS_SIP_TRANSPORT (self));

  key = target_key (target);
  if (!key)
    return;   /* nowhere to connect to, so nothing to pin */
  holds = holds_of (self, key, pin != NULL);
  if (!holds)
    return;
  g_ptr_array_set_size (holds, 0);
  if (pin)
    {
      PinHold *hold = g_new0 (PinHold, 1);
      hold->pin = g_strdup (pin);
      hold->holds = 1;
      g_ptr_array_add (holds, hold);
    }
  forget_key_if_empty (self, key);
}

char *
bell_sip_transport_hold_tls_pin (BellSipTransport *self, const BellSipTarget *target,
                                 const char *pin)
{
  g_autofree char *key = NULL;
  GPtrArray *holds;
  PinHold *hold = NULL;

  g_return_val_if_fail (BELL_IS_SIP_TRANSPORT (self), NULL);
  g_return_val_if_fail (target != NULL && pin != NULL, NULL);

  key = target_key (target);
  if (!key)
    return NULL;
  holds = holds_of (self, key, TRUE);
  for (guint i = 0; i < holds->len && !hold; i++)
    if (g_str_equal (((PinHold *) holds->pdata[i])->pin, pin))
      hold = g_ptr_array_steal_index (holds, i);
  if (!hold)
    {
      hold = g_new0 (PinHold, 1);
      hold->pin = g_strdup (pin);
    }
  hold->holds++;
  g_ptr_array_add (holds, hold);   /* the latest applies */
  return g_steal_pointer (&key);
}

void
bell_sip_transport_release_tls_pin (BellSipTransport *self, const char *key, const char *pin)
{
  GPtrArray *holds;

  g_return_if_fail (BELL_IS_SIP_TRANSPORT (self));
  g_return_if_fail (key != NULL && pin != NULL);

  holds = holds_of (self, key, FALSE);
  for (guint i = 0; holds && i < holds->len; i++)
    {
      PinHold *hold = holds->pdata[i];

      if (!g_str_equal (hold->pin, pin))
        continue;
      if (--hold->holds == 0)
        g_ptr_array_remove_index (holds, i);
      break;
    }
  forget_key_if_empty (self, key);
}

const char *
bell_sip_transport_get_tls_pin (BellSipTransport *self, const char *name)
{
  g_autofree char *key = NULL;
  GPtrArray *holds;

  g_return_val_if_fail (BELL_IS_SIP_TRANSPORT (self), NULL);

  key = pin_key (name);
  holds = holds_of (self, key, FALSE);
  if (!holds || holds->len == 0)
    holds = holds_of (self, "", FALSE);
  if (!holds || holds->len == 0)
    return NULL;
  return ((PinHold *) holds->pdata[holds->len - 1])->pin;
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
