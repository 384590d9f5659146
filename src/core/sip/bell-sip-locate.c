/* bell-sip-locate.c: locating SIP servers (RFC 3263 §4) with GResolver; the rules are in
 * bell-sip-locate.h. */
#define G_LOG_DOMAIN "bell-sip-locate"

#include "bell-sip-locate.h"

#include <string.h>

G_DEFINE_QUARK (bell-sip-locate-error-quark, bell_sip_locate_error)

#define LOCATABLE (BELL_SIP_TRANSPORT_UDP | BELL_SIP_TRANSPORT_TCP | BELL_SIP_TRANSPORT_TLS)

typedef struct _Locate Locate;

/* One A/AAAA lookup, and the port its addresses are used with. */
typedef struct
{
  Locate  *locate;
  GTask   *task;        /* held while the lookup is in flight */
  char    *name;
  guint16  port;
  GList   *addresses;   /* GInetAddress *, in the resolver's order */
  GError  *error;
} HostLookup;

struct _Locate
{
  GResolver            *resolver;
  char                 *uri_text;     /* "sips:example.com:5061", for messages and logs */
  char                 *domain;       /* the URI's host without brackets: the TLS identity */
  char                 *target;       /* maddr, else domain: what we resolve */
  guint16               port;         /* from the URI; 0: none */
  BellSipTransportKind  transport;    /* decided from the URI, or ANY until SRV decides */
  BellSipTransportKind  fallback;     /* for A/AAAA when no SRV answers and nothing decided */
  BellSipTransportKind  services[3];  /* SRV queries to make, in order of preference */
  guint                 n_services;
  guint                 next_service;
  BellSipTransportKind  lookup_kind;  /* the transport the host lookups are for */
  GPtrArray            *lookups;      /* HostLookup * */
  guint                 pending;
};

static void
host_lookup_free (HostLookup *lookup)
{
  g_assert (lookup->task == NULL);
  g_free (lookup->name);
  g_list_free_full (lookup->addresses, g_object_unref);
  g_clear_error (&lookup->error);
  g_free (lookup);
}

static void
locate_free (Locate *self)
{
  g_clear_object (&self->resolver);
  g_free (self->uri_text);
  g_free (self->domain);
  g_free (self->target);
  g_ptr_array_unref (self->lookups);
  g_free (self);
}

BellSipLocateTarget *
bell_sip_locate_target_copy (const BellSipLocateTarget *target)
{
  BellSipLocateTarget *copy;

  g_return_val_if_fail (target != NULL, NULL);
  copy = g_new0 (BellSipLocateTarget, 1);
  copy->transport = target->transport;
  copy->address = target->address ? g_object_ref (target->address) : NULL;
  copy->host = g_strdup (target->host);
  copy->port = target->port;
  return copy;
}

void
bell_sip_locate_target_free (BellSipLocateTarget *target)
{
  if (target == NULL)
    return;
  g_clear_object (&target->address);
  g_free (target->host);
  g_free (target);
}

char *
bell_sip_locate_target_to_string (const BellSipLocateTarget *target)
{
  GInetAddress *inet;
  g_autofree char *ip = NULL;
  const char *kind;

  g_return_val_if_fail (target != NULL, NULL);
  kind = bell_sip_transport_kind_to_string (target->transport);
  if (target->address == NULL)
    return g_strdup_printf ("%s ?:%u (%s)", kind, target->port, target->host);
  inet = g_inet_socket_address_get_address (target->address);
  ip = g_inet_address_to_string (inet);
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("%s [%s]:%u (%s)", kind, ip, target->port, target->host);
  return g_strdup_printf ("%s %s:%u (%s)", kind, ip, target->port, target->host);
}

/* ------------------------------------------------------------------------------------------ */
/* Planning: everything the URI alone decides, before any DNS. */

static char *
strip_brackets (const char *p, gsize len)
{
  if (len >= 2 && p[0] == '[' && p[len - 1] == ']')
    return g_strndup (p + 1, len - 2);
  return g_strndup (p, len);
}

/* A URI parameter's value unescaped, NULL when absent; an empty or badly escaped value is an
 * error (both parameters we read need a value). */
static gboolean
dup_param (const BellSipUri *uri, const char *name, const char *uri_text, char **out,
           GError **error)
{
  BellStr value;
  gsize len = 0;
  g_autofree char *text = NULL;

  *out = NULL;
  if (!bell_sip_uri_get_param (uri, name, &value))
    return TRUE;
  text = value.len > 0 ? bell_uri_unescape (value, &len) : NULL;
  if (text == NULL || len == 0 || memchr (text, '\0', len) != NULL)
    {
      g_set_error (error, BELL_SIP_LOCATE_ERROR, BELL_SIP_LOCATE_ERROR_BAD_URI,
                   "cannot locate %s: bad %s parameter", uri_text, name);
      return FALSE;
    }
  *out = g_steal_pointer (&text);
  return TRUE;
}

/* A transport asked for by ;transport= or by the account, as it applies to this URI. */
static gboolean
check_requested (Locate *self, gboolean sips, BellSipTransportKind kind, guint supported,
                 GError **error)
{
  if (kind == BELL_SIP_TRANSPORT_WS || kind == BELL_SIP_TRANSPORT_WSS)
    {
      g_set_error (error, BELL_SIP_LOCATE_ERROR, BELL_SIP_LOCATE_ERROR_NO_TRANSPORT,
                   "no usable transport for %s (%s is not located by DNS: use the configured "
                   "WebSocket URL)", self->uri_text, bell_sip_transport_kind_to_string (kind));
      return FALSE;
    }
  if (sips)
    {
      /* RFC 3261 §26.2.2, RFC 3263 §4.1: sips: with transport=tcp means TLS over TCP. */
      if (kind == BELL_SIP_TRANSPORT_UDP)
        {
          g_set_error (error, BELL_SIP_LOCATE_ERROR, BELL_SIP_LOCATE_ERROR_NO_TRANSPORT,
                       "no usable transport for %s (UDP cannot carry a sips: request)",
                       self->uri_text);
          return FALSE;
        }
      kind = BELL_SIP_TRANSPORT_TLS;
    }
  if ((supported & kind) == 0)
    {
      g_set_error (error, BELL_SIP_LOCATE_ERROR, BELL_SIP_LOCATE_ERROR_NO_TRANSPORT,
                   "no usable transport for %s (%s not supported)", self->uri_text,
                   bell_sip_transport_kind_to_string (kind));
      return FALSE;
    }
  self->transport = kind;
  return TRUE;
}

static gboolean
plan (Locate *self, const BellSipUri *uri, BellSipTransportKind forced, guint supported,
      GError **error)
{
  static const BellSipTransportKind sip_order[] = {
    BELL_SIP_TRANSPORT_UDP, BELL_SIP_TRANSPORT_TCP, BELL_SIP_TRANSPORT_TLS,
  };
  gboolean sips = uri->scheme == BELL_URI_SCHEME_SIPS;
  g_autofree char *transport = NULL;
  g_autofree char *maddr = NULL;
  GString *text;

  if (uri->scheme != BELL_URI_SCHEME_SIP && !sips)
    {
      g_set_error (error, BELL_SIP_LOCATE_ERROR, BELL_SIP_LOCATE_ERROR_BAD_URI,
                   "cannot locate a %.*s: URI, only sip: and sips:",
                   BELL_STR_PRINTF (uri->scheme_str));
      return FALSE;
    }
  if (uri->host_type == BELL_HOST_NONE || uri->host.len == 0)
    {
      g_set_error (error, BELL_SIP_LOCATE_ERROR, BELL_SIP_LOCATE_ERROR_BAD_URI,
                   "cannot locate a %s URI without a host", sips ? "sips:" : "sip:");
      return FALSE;
    }

  /* No user part in messages: it may carry a password. */
  text = g_string_new (sips ? "sips:" : "sip:");
  g_string_append_len (text, uri->host.p, (gssize) uri->host.len);
  if (uri->port)
    g_string_append_printf (text, ":%u", uri->port);
  self->uri_text = g_string_free (text, FALSE);
  self->domain = strip_brackets (uri->host.p, uri->host.len);
  self->port = uri->port;

  if (!dup_param (uri, "maddr", self->uri_text, &maddr, error) ||
      !dup_param (uri, "transport", self->uri_text, &transport, error))
    return FALSE;
  self->target = maddr ? strip_brackets (maddr, strlen (maddr)) : g_strdup (self->domain);

  supported &= LOCATABLE;
  if (transport)
    {
      BellSipTransportKind kind = bell_sip_transport_kind_from_string (transport,
                                                                       strlen (transport));
      if (kind == BELL_SIP_TRANSPORT_ANY)
        {
          g_set_error (error, BELL_SIP_LOCATE_ERROR, BELL_SIP_LOCATE_ERROR_NO_TRANSPORT,
                       "no usable transport for %s (transport=%s not supported)",
                       self->uri_text, transport);
          return FALSE;
        }
      if (!check_requested (self, sips, kind, supported, error))
        return FALSE;
    }
  else if (forced != BELL_SIP_TRANSPORT_ANY)
    {
      if (!check_requested (self, sips, forced, supported, error))
        return FALSE;
    }
  else if (sips)
    {
      if (!check_requested (self, sips, BELL_SIP_TRANSPORT_TLS, supported, error))
        return FALSE;
    }

  if (self->transport != BELL_SIP_TRANSPORT_ANY)
    {
      self->services[self->n_services++] = self->transport;
      return TRUE;
    }

  /* sip: with nothing asked for: SRV in our order of preference, UDP without SRV. */
  for (gsize i = 0; i < G_N_ELEMENTS (sip_order); i++)
    if (supported & sip_order[i])
      self->services[self->n_services++] = sip_order[i];
  if (self->n_services == 0)
    {
      g_set_error (error, BELL_SIP_LOCATE_ERROR, BELL_SIP_LOCATE_ERROR_NO_TRANSPORT,
                   "no usable transport for %s (none of UDP, TCP, TLS supported)",
                   self->uri_text);
      return FALSE;
    }
  self->fallback = self->services[0];
  /* §4.1: a numeric address or an explicit port is reached without SRV. */
  if (self->port != 0)
    self->transport = self->fallback;
  return TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* Resolving. */

static BellSipLocateTarget *
target_new (Locate *self, BellSipTransportKind kind, GInetAddress *address, guint16 port,
            const char *name)
{
  BellSipLocateTarget *target = g_new0 (BellSipLocateTarget, 1);

  target->transport = kind;
  target->address = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (address, port));
  target->host = g_strdup (kind == BELL_SIP_TRANSPORT_TLS ? self->domain : name);
  target->port = port;
  return target;
}

static gboolean
targets_contain (GPtrArray *targets, BellSipTransportKind kind, GInetAddress *address,
                 guint16 port)
{
  for (guint i = 0; i < targets->len; i++)
    {
      BellSipLocateTarget *t = g_ptr_array_index (targets, i);

      if (t->transport == kind && t->port == port &&
          g_inet_address_equal (g_inet_socket_address_get_address (t->address), address))
        return TRUE;
    }
  return FALSE;
}

static GPtrArray *
targets_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) bell_sip_locate_target_free);
}

static void
lookups_done (GTask *task)
{
  Locate *self = g_task_get_task_data (task);
  g_autoptr(GPtrArray) targets = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;

  targets = targets_new ();
  for (guint i = 0; i < self->lookups->len; i++)
    {
      HostLookup *lookup = g_ptr_array_index (self->lookups, i);

      if (lookup->error)
        g_debug ("%s: %s", self->uri_text, lookup->error->message);
      for (GList *l = lookup->addresses; l; l = l->next)
        if (!targets_contain (targets, self->lookup_kind, l->data, lookup->port))
          g_ptr_array_add (targets, target_new (self, self->lookup_kind, l->data, lookup->port,
                                                lookup->name));
    }

  if (targets->len > 0)
    {
      g_task_return_pointer (task, g_steal_pointer (&targets),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }

  /* Nothing resolved: report the first failure, in the resolver's own domain and code. */
  for (guint i = 0; i < self->lookups->len; i++)
    {
      HostLookup *lookup = g_ptr_array_index (self->lookups, i);

      if (lookup->error)
        {
          g_task_return_new_error (task, lookup->error->domain, lookup->error->code,
                                   "cannot resolve %s: %s", lookup->name,
                                   lookup->error->message);
          return;
        }
    }
  g_task_return_new_error (task, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                           "cannot resolve %s: no address", self->target);
}

static void
on_host_resolved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HostLookup *lookup = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&lookup->task);
  Locate *self = lookup->locate;

  lookup->addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result,
                                                        &lookup->error);
  g_assert (self->pending > 0);
  if (--self->pending == 0)
    lookups_done (task);
}

static void
lookup_add (Locate *self, const char *name, guint16 port)
{
  HostLookup *lookup = g_new0 (HostLookup, 1);

  lookup->locate = self;
  lookup->name = g_strdup (name);
  lookup->port = port;
  g_ptr_array_add (self->lookups, lookup);
}

/* Resolves every name added with lookup_add() at once; the result keeps their order. */
static void
lookups_start (GTask *task, BellSipTransportKind kind)
{
  Locate *self = g_task_get_task_data (task);

  g_assert (self->lookups->len > 0 && self->pending == 0);
  self->lookup_kind = kind;
  self->pending = self->lookups->len;
  for (guint i = 0; i < self->lookups->len; i++)
    {
      HostLookup *lookup = g_ptr_array_index (self->lookups, i);

      g_debug ("%s: A/AAAA %s for %s port %u", self->uri_text, lookup->name,
               bell_sip_transport_kind_to_string (kind), lookup->port);
      lookup->task = g_object_ref (task);
      g_resolver_lookup_by_name_async (self->resolver, lookup->name,
                                       g_task_get_cancellable (task), on_host_resolved, lookup);
    }
}

static void srv_next (GTask *task);

static void
on_srv_resolved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Locate *self = g_task_get_task_data (task);
  BellSipTransportKind kind = self->services[self->next_service - 1];
  g_autoptr(GError) error = NULL;
  GList *records;

  records = g_resolver_lookup_service_finish (G_RESOLVER (source), result, &error);
  if (g_task_return_error_if_cancelled (task))
    {
      g_resolver_free_targets (records);
      return;
    }
  /* Any failure, not only NXDOMAIN, means "no SRV here": some servers answer SRV queries with
   * SERVFAIL, and a DNS that is really down fails the A/AAAA lookup that follows anyway. */
  if (error)
    g_debug ("%s: no %s SRV: %s", self->uri_text, bell_sip_transport_kind_to_string (kind),
             error->message);

  /* A resolver need not sort (ours in tests does not); sorting twice only redraws weights. */
  records = g_srv_target_list_sort (records);
  for (GList *l = records; l; l = l->next)
    {
      GSrvTarget *srv = l->data;
      const char *name = g_srv_target_get_hostname (srv);

      if (strcmp (name, ".") == 0 || g_srv_target_get_port (srv) == 0)
        continue;
      lookup_add (self, name, g_srv_target_get_port (srv));
    }
  g_resolver_free_targets (records);

  if (self->lookups->len == 0)
    srv_next (g_steal_pointer (&task));
  else
    lookups_start (task, kind);
}

static void
srv_next (GTask *task)
{
  Locate *self = g_task_get_task_data (task);
  BellSipTransportKind kind;

  if (self->next_service == self->n_services)
    {
      /* No SRV records: A/AAAA with the transport's default port (§4.1, §4.2). */
      kind = self->transport != BELL_SIP_TRANSPORT_ANY ? self->transport : self->fallback;
      lookup_add (self, self->target, bell_sip_transport_kind_default_port (kind));
      lookups_start (task, kind);
      g_object_unref (task);
      return;
    }

  kind = self->services[self->next_service++];
  g_debug ("%s: SRV _%s._%s.%s", self->uri_text,
           kind == BELL_SIP_TRANSPORT_TLS ? "sips" : "sip",
           kind == BELL_SIP_TRANSPORT_UDP ? "udp" : "tcp", self->target);
  g_resolver_lookup_service_async (self->resolver,
                                   kind == BELL_SIP_TRANSPORT_TLS ? "sips" : "sip",
                                   kind == BELL_SIP_TRANSPORT_UDP ? "udp" : "tcp",
                                   self->target, g_task_get_cancellable (task),
                                   on_srv_resolved, task);
}

void
bell_sip_locate_async (const BellSipUri     *uri,
                       BellSipTransportKind  forced,
                       guint                 supported,
                       GResolver            *resolver,
                       GCancellable         *cancellable,
                       GAsyncReadyCallback   callback,
                       gpointer              user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) numeric = NULL;
  Locate *self;

  g_return_if_fail (uri != NULL);
  /* One transport or none, not a mask. */
  g_return_if_fail ((forced & (forced - 1)) == 0 && (forced & ~BELL_SIP_TRANSPORT_ALL) == 0);
  g_return_if_fail (resolver == NULL || G_IS_RESOLVER (resolver));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, bell_sip_locate_async);
  g_task_set_name (task, "[bell_sip_locate_async]");
  self = g_new0 (Locate, 1);
  self->lookups = g_ptr_array_new_with_free_func ((GDestroyNotify) host_lookup_free);
  g_task_set_task_data (task, self, (GDestroyNotify) locate_free);

  if (!plan (self, uri, forced, supported, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* A numeric address: no resolver call at all. */
  numeric = g_inet_address_new_from_string (self->target);
  if (numeric)
    {
      g_autoptr(GPtrArray) targets = targets_new ();
      BellSipTransportKind kind = self->transport != BELL_SIP_TRANSPORT_ANY ? self->transport
                                                                          : self->fallback;
      guint16 port = self->port ? self->port : bell_sip_transport_kind_default_port (kind);

      g_ptr_array_add (targets, target_new (self, kind, numeric, port, self->target));
      g_task_return_pointer (task, g_steal_pointer (&targets),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }

  self->resolver = resolver ? g_object_ref (resolver) : g_resolver_get_default ();
  if (self->port != 0)
    {
      lookup_add (self, self->target, self->port);
      lookups_start (task, self->transport);
      return;
    }
  srv_next (g_steal_pointer (&task));
}

GPtrArray *
bell_sip_locate_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == bell_sip_locate_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
