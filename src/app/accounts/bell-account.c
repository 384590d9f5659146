/* bell-account.c: one SIP account, its settings bound to GSettings. */
#define G_LOG_DOMAIN "bell-accounts"

#include "config.h"

#include <glib/gi18n.h>
#include "bell-account.h"
#include "sip/bell-sip-tls.h"
#include "sip/bell-sip-uri.h"

struct _BellAccount
{
  GObject           parent_instance;

  char             *id;
  GSettings        *settings;
  char             *display_name;
  char             *address;
  char             *auth_user;
  char             *registrar;
  char             *outbound_proxy;
  char             *transport;
  char             *srtp;
  char             *stun_server;
  char             *tls_fingerprint; /* the pin of the server certificate the user trusted */
  char             *direct_calls;    /* auto anyone contacts nobody */
  char            **codecs;          /* the account's own order; empty: the app's */
  gboolean          low_bandwidth;
  gboolean          enabled;
  guint             expires;
  BellAccountState  state;
  char             *status_text;
  /* The certificate the server presented when the core refused it (not the pin): for the user
   * to trust, or, changed, to be warned of. */
  char             *refused_fingerprint;
  char             *refused_subject;
  gboolean          refused_changed;
};

G_DEFINE_FINAL_TYPE (BellAccount, bell_account, G_TYPE_OBJECT)

G_DEFINE_QUARK (bell-account-error-quark, bell_account_error)

enum
{
  PROP_0,
  PROP_ID,
  PROP_DISPLAY_NAME,
  PROP_ADDRESS,
  PROP_AUTH_USER,
  PROP_REGISTRAR,
  PROP_OUTBOUND_PROXY,
  PROP_TRANSPORT,
  PROP_SRTP,
  PROP_STUN_SERVER,
  PROP_TLS_FINGERPRINT,
  PROP_DIRECT_CALLS,
  PROP_CODECS,
  PROP_LOW_BANDWIDTH,
  PROP_ENABLED,
  PROP_EXPIRES,
  PROP_STATE,
  PROP_STATUS_TEXT,
  PROP_REFUSED_CERTIFICATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum { SIGNAL_PASSWORD_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* The properties that mirror a GSettings key of the same name. */
static const char *const bound_keys[] = {
  "display-name", "address", "auth-user", "registrar", "outbound-proxy", "transport", "srtp",
  "stun-server", "codecs", "low-bandwidth", "enabled", "expires", "tls-fingerprint",
  "direct-calls",
};

/* What the core can offer, in its default order (BellCoreConfig.codecs). */
static const char *const known_codecs[] = { "opus", "G722", "PCMU", "PCMA", NULL };

GType
bell_account_state_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { BELL_ACCOUNT_STATE_DISABLED, "BELL_ACCOUNT_STATE_DISABLED", "disabled" },
        { BELL_ACCOUNT_STATE_UNREGISTERED, "BELL_ACCOUNT_STATE_UNREGISTERED", "unregistered" },
        { BELL_ACCOUNT_STATE_REGISTERING, "BELL_ACCOUNT_STATE_REGISTERING", "registering" },
        { BELL_ACCOUNT_STATE_REGISTERED, "BELL_ACCOUNT_STATE_REGISTERED", "registered" },
        { BELL_ACCOUNT_STATE_FAILED, "BELL_ACCOUNT_STATE_FAILED", "failed" },
        { 0, NULL, NULL },
      };
      g_once_init_leave (&type_id, g_enum_register_static ("BellAccountState", values));
    }
  return type_id;
}

/* A string property's storage, by property id. */
static char **
string_field (BellAccount *self, guint prop_id)
{
  switch (prop_id)
    {
    case PROP_DISPLAY_NAME:   return &self->display_name;
    case PROP_ADDRESS:        return &self->address;
    case PROP_AUTH_USER:      return &self->auth_user;
    case PROP_REGISTRAR:      return &self->registrar;
    case PROP_OUTBOUND_PROXY: return &self->outbound_proxy;
    case PROP_TRANSPORT:      return &self->transport;
    case PROP_SRTP:           return &self->srtp;
    case PROP_STUN_SERVER:    return &self->stun_server;
    case PROP_TLS_FINGERPRINT: return &self->tls_fingerprint;
    case PROP_DIRECT_CALLS:   return &self->direct_calls;
    default:                  return NULL;
    }
}

static void
bell_account_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  BellAccount *self = BELL_ACCOUNT (object);
  char **field = string_field (self, prop_id);

  if (field)
    {
      g_value_set_string (value, *field);
      return;
    }
  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_CODECS:
      g_value_set_boxed (value, self->codecs);
      break;
    case PROP_LOW_BANDWIDTH:
      g_value_set_boolean (value, self->low_bandwidth);
      break;
    case PROP_ENABLED:
      g_value_set_boolean (value, self->enabled);
      break;
    case PROP_EXPIRES:
      g_value_set_uint (value, self->expires);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_STATUS_TEXT:
      g_value_set_string (value, self->status_text);
      break;
    case PROP_REFUSED_CERTIFICATE:
      g_value_set_string (value, self->refused_fingerprint);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bell_account_set_property (GObject *object, guint prop_id, const GValue *value,
                           GParamSpec *pspec)
{
  BellAccount *self = BELL_ACCOUNT (object);
  char **field = string_field (self, prop_id);

  if (field)
    {
      const char *text = g_value_get_string (value);
      if (g_strcmp0 (*field, text) != 0)
        {
          g_free (*field);
          *field = g_strdup (text ? text : "");
          g_object_notify_by_pspec (object, pspec);
        }
      return;
    }
  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;
    case PROP_CODECS:
      {
        const char *const *codecs = g_value_get_boxed (value);
        const char *const none[] = { NULL };

        if (!g_strv_equal ((const char *const *) self->codecs, codecs ? codecs : none))
          {
            g_strfreev (self->codecs);
            self->codecs = g_strdupv ((char **) (codecs ? codecs : none));
            g_object_notify_by_pspec (object, pspec);
          }
      }
      break;
    case PROP_LOW_BANDWIDTH:
      if (self->low_bandwidth != g_value_get_boolean (value))
        {
          self->low_bandwidth = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_ENABLED:
      if (self->enabled != g_value_get_boolean (value))
        {
          self->enabled = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_EXPIRES:
      if (self->expires != g_value_get_uint (value))
        {
          self->expires = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bell_account_constructed (GObject *object)
{
  BellAccount *self = BELL_ACCOUNT (object);
  g_autofree char *path = NULL;

  G_OBJECT_CLASS (bell_account_parent_class)->constructed (object);
  g_assert (self->id && *self->id);
  path = g_strconcat (BELL_ACCOUNT_PATH_PREFIX, self->id, "/", NULL);
  self->settings = g_settings_new_with_path (BELL_ACCOUNT_SCHEMA_ID, path);
  /* Both ways: a change made elsewhere (dconf-editor, another instance) shows here too. */
  for (guint i = 0; i < G_N_ELEMENTS (bound_keys); i++)
    g_settings_bind (self->settings, bound_keys[i], self, bound_keys[i], G_SETTINGS_BIND_DEFAULT);
}

static void
bell_account_dispose (GObject *object)
{
  BellAccount *self = BELL_ACCOUNT (object);

  if (self->settings)
    for (guint i = 0; i < G_N_ELEMENTS (bound_keys); i++)
      g_settings_unbind (self, bound_keys[i]);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (bell_account_parent_class)->dispose (object);
}

static void
bell_account_finalize (GObject *object)
{
  BellAccount *self = BELL_ACCOUNT (object);

  g_free (self->id);
  for (guint prop = PROP_DISPLAY_NAME; prop <= PROP_DIRECT_CALLS; prop++)
    g_free (*string_field (self, prop));
  g_strfreev (self->codecs);
  g_free (self->status_text);
  g_free (self->refused_fingerprint);
  g_free (self->refused_subject);
  G_OBJECT_CLASS (bell_account_parent_class)->finalize (object);
}

static GParamSpec *
string_pspec (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, "",
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                              G_PARAM_STATIC_STRINGS);
}

static void
bell_account_class_init (BellAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = bell_account_get_property;
  object_class->set_property = bell_account_set_property;
  object_class->constructed = bell_account_constructed;
  object_class->dispose = bell_account_dispose;
  object_class->finalize = bell_account_finalize;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DISPLAY_NAME] = string_pspec ("display-name");
  properties[PROP_ADDRESS] = string_pspec ("address");
  properties[PROP_AUTH_USER] = string_pspec ("auth-user");
  properties[PROP_REGISTRAR] = string_pspec ("registrar");
  properties[PROP_OUTBOUND_PROXY] = string_pspec ("outbound-proxy");
  properties[PROP_TRANSPORT] = string_pspec ("transport");
  properties[PROP_SRTP] = string_pspec ("srtp");
  properties[PROP_STUN_SERVER] = string_pspec ("stun-server");
  properties[PROP_TLS_FINGERPRINT] = string_pspec ("tls-fingerprint");
  properties[PROP_DIRECT_CALLS] = string_pspec ("direct-calls");
  /* Never NULL: empty when the account follows the app's order. */
  properties[PROP_CODECS] =
    g_param_spec_boxed ("codecs", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOW_BANDWIDTH] =
    g_param_spec_boolean ("low-bandwidth", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ENABLED] =
    g_param_spec_boolean ("enabled", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_EXPIRES] =
    g_param_spec_uint ("expires", NULL, NULL, 60, 86400, 600,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, BELL_TYPE_ACCOUNT_STATE,
                       BELL_ACCOUNT_STATE_UNREGISTERED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS_TEXT] =
    g_param_spec_string ("status-text", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* The fingerprint of the certificate the core last refused; NULL when none. */
  properties[PROP_REFUSED_CERTIFICATE] =
    g_param_spec_string ("refused-certificate", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_PASSWORD_CHANGED] =
    g_signal_new ("password-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
}

static void
bell_account_init (BellAccount *self)
{
  self->codecs = g_new0 (char *, 1);
  self->enabled = TRUE;
  self->expires = 600;
  self->state = BELL_ACCOUNT_STATE_UNREGISTERED;
  self->status_text = g_strdup (_("Not registered"));
}

BellAccount *
bell_account_new (const char *id)
{
  g_return_val_if_fail (id != NULL && *id != '\0', NULL);
  return g_object_new (BELL_TYPE_ACCOUNT, "id", id, NULL);
}

GSettings *
bell_account_get_settings (BellAccount *self)
{
  g_return_val_if_fail (BELL_IS_ACCOUNT (self), NULL);
  return self->settings;
}

#define GETTER(type, name, field) \
  type bell_account_get_##name (BellAccount *self) \
  { \
    g_return_val_if_fail (BELL_IS_ACCOUNT (self), 0); \
    return self->field; \
  }

GETTER (const char *, id, id)
GETTER (const char *, display_name, display_name)
GETTER (const char *, address, address)
GETTER (const char *, auth_user, auth_user)
GETTER (const char *, registrar, registrar)
GETTER (const char *, outbound_proxy, outbound_proxy)
GETTER (const char *, transport, transport)
GETTER (const char *, srtp, srtp)
GETTER (const char *, stun_server, stun_server)
GETTER (const char *, tls_fingerprint, tls_fingerprint)
GETTER (const char *, direct_calls, direct_calls)
GETTER (const char *, refused_fingerprint, refused_fingerprint)
GETTER (const char *, refused_subject, refused_subject)
GETTER (gboolean, refused_changed, refused_changed)
GETTER (gboolean, low_bandwidth, low_bandwidth)
GETTER (gboolean, enabled, enabled)
GETTER (guint, expires, expires)
GETTER (BellAccountState, state, state)
GETTER (const char *, status_text, status_text)

#undef GETTER

const char *const *
bell_account_get_codecs (BellAccount *self)
{
  g_return_val_if_fail (BELL_IS_ACCOUNT (self), NULL);
  return (const char *const *) self->codecs;
}

const char *
bell_account_get_title (BellAccount *self)
{
  g_return_val_if_fail (BELL_IS_ACCOUNT (self), NULL);
  return self->display_name && *self->display_name ? self->display_name : self->address;
}

char *
bell_account_dup_username (BellAccount *self)
{
  g_autoptr(BellSipUri) uri = NULL;

  g_return_val_if_fail (BELL_IS_ACCOUNT (self), NULL);
  if (self->auth_user && *self->auth_user)
    return g_strdup (self->auth_user);
  uri = bell_sip_uri_new (self->address, NULL);
  return uri ? bell_sip_uri_dup_user (uri, NULL) : NULL;
}

char *
bell_account_dup_domain (BellAccount *self)
{
  g_autoptr(BellSipUri) uri = NULL;

  g_return_val_if_fail (BELL_IS_ACCOUNT (self), NULL);
  uri = bell_sip_uri_new (self->address, NULL);
  return uri ? g_strndup (uri->host.p, uri->host.len) : NULL;
}

void
bell_account_forget_certificate (BellAccount *self)
{
  g_return_if_fail (BELL_IS_ACCOUNT (self));

  g_settings_reset (self->settings, "tls-fingerprint");
}

void
bell_account_set_refused_certificate (BellAccount *self, const char *fingerprint,
                                      const char *subject, gboolean changed)
{
  gboolean notify;

  g_return_if_fail (BELL_IS_ACCOUNT (self));

  if (!fingerprint)
    subject = NULL;
  else if (!subject)
    subject = "";
  notify = g_strcmp0 (self->refused_fingerprint, fingerprint) != 0 ||
           g_strcmp0 (self->refused_subject, subject) != 0 ||
           self->refused_changed != (fingerprint && changed);
  g_free (self->refused_fingerprint);
  self->refused_fingerprint = g_strdup (fingerprint);
  g_free (self->refused_subject);
  self->refused_subject = g_strdup (subject);
  self->refused_changed = fingerprint && changed;
  if (notify)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REFUSED_CERTIFICATE]);
}

gboolean
bell_account_trust_certificate (BellAccount *self, const char *fingerprint, GError **error)
{
  g_autofree char *pin = NULL;

  g_return_val_if_fail (BELL_IS_ACCOUNT (self), FALSE);
  g_return_val_if_fail (fingerprint != NULL, FALSE);

  pin = bell_sip_tls_pin_normalize (fingerprint, NULL);
  if (!pin)
    {
      g_set_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_INVALID_CERTIFICATE,
                   _("“%s” is not a certificate fingerprint"), fingerprint);
      return FALSE;
    }
  /* Through the settings, as every edit: the binding updates the property, and the store
   * registers again with the pin. */
  g_settings_set_string (self->settings, "tls-fingerprint", pin);
  bell_account_set_refused_certificate (self, NULL, NULL, FALSE);
  return TRUE;
}

void
bell_account_set_state (BellAccount *self, BellAccountState state, const char *status_text)
{
  g_return_if_fail (BELL_IS_ACCOUNT (self));
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (g_strcmp0 (self->status_text, status_text) != 0)
    {
      g_free (self->status_text);
      self->status_text = g_strdup (status_text);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS_TEXT]);
    }
}

void
bell_account_password_changed (BellAccount *self)
{
  g_return_if_fail (BELL_IS_ACCOUNT (self));
  g_signal_emit (self, signals[SIGNAL_PASSWORD_CHANGED], 0);
}

/* Pure helpers */

static gboolean
has_scheme (const char *text, const char *scheme)
{
  return g_ascii_strncasecmp (text, scheme, strlen (scheme)) == 0;
}

char *
bell_account_normalize_address (const char *text, GError **error)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (text ? text : ""));
  g_autofree char *uri_text = NULL;
  g_autoptr(BellSipUri) uri = NULL;

  if (*trimmed == '\0')
    {
      g_set_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_INVALID_ADDRESS,
                   _("Enter a SIP address such as alice@example.com"));
      return NULL;
    }
  uri_text = has_scheme (trimmed, "sip:") || has_scheme (trimmed, "sips:")
             ? g_strdup (trimmed) : g_strconcat ("sip:", trimmed, NULL);
  uri = bell_sip_uri_new (uri_text, NULL);
  if (!uri || !bell_sip_uri_is_sip (uri) || uri->user.len == 0 || uri->host.len == 0 ||
      uri->password.len > 0 || uri->headers.len > 0 || strpbrk (uri_text, " \t") != NULL)
    {
      g_set_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_INVALID_ADDRESS,
                   _("“%s” is not a SIP address: write it as user@domain or sip:user@domain"),
                   trimmed);
      return NULL;
    }
  /* The scheme in lower case, so equal addresses compare equal as strings. */
  for (char *p = uri_text; *p != ':'; p++)
    *p = g_ascii_tolower (*p);
  return g_steal_pointer (&uri_text);
}

char *
bell_account_normalize_server (const char *text, GError **error)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (text ? text : ""));
  g_autofree char *uri_text = NULL;
  g_autoptr(BellSipUri) uri = NULL;

  if (*trimmed == '\0')
    return NULL;
  uri_text = has_scheme (trimmed, "sip:") || has_scheme (trimmed, "sips:")
             ? g_strdup (trimmed) : g_strconcat ("sip:", trimmed, NULL);
  uri = bell_sip_uri_new (uri_text, NULL);
  if (!uri || !bell_sip_uri_is_sip (uri) || uri->host.len == 0 || uri->user.len > 0 ||
      strpbrk (uri_text, " \t") != NULL)
    {
      g_set_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_INVALID_SERVER,
                   _("“%s” is not a server address: write it as host, host:port or sip:host"),
                   trimmed);
      return NULL;
    }
  for (char *p = uri_text; *p != ':'; p++)
    *p = g_ascii_tolower (*p);
  return g_steal_pointer (&uri_text);
}

BellSipTransportKind
bell_account_transport_kind (const char *transport)
{
  if (!transport || g_strcmp0 (transport, "auto") == 0)
    return BELL_SIP_TRANSPORT_ANY;
  return bell_sip_transport_kind_from_string (transport, strlen (transport));
}

BellDirectCalls
bell_account_direct_calls_policy (const char *direct_calls)
{
  if (g_strcmp0 (direct_calls, "anyone") == 0)
    return BELL_DIRECT_CALLS_ACCEPT;
  if (g_strcmp0 (direct_calls, "contacts") == 0)
    return BELL_DIRECT_CALLS_CONTACTS;
  if (g_strcmp0 (direct_calls, "nobody") == 0)
    return BELL_DIRECT_CALLS_REFUSE;
  return BELL_DIRECT_CALLS_AUTO;
}

BellSdpSrtpPolicy
bell_account_srtp_policy (const char *srtp)
{
  BellSdpSrtpPolicy policy = BELL_SDP_SRTP_AUTO;

  if (!bell_sdp_srtp_policy_from_string (srtp, &policy))
    return BELL_SDP_SRTP_AUTO;
  return policy;
}

char *
bell_account_make_instance_id (const char *id)
{
  g_autofree char *input = g_strconcat ("io.github.bellbird.Account:", id, NULL);
  g_autofree char *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA1, input, -1);
  /* A name-based UUID (version 5 layout): the same account keeps the same instance across
   * restarts, so an outbound registrar (RFC 5626) replaces its binding instead of adding one. */
  static const char variant[] = "89ab";

  hex[12] = '5';
  hex[16] = variant[g_ascii_xdigit_value (hex[16]) & 3];
  return g_strdup_printf ("urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
                          hex + 20);
}

const char *const *
bell_account_known_codecs (void)
{
  return known_codecs;
}

const char *
bell_account_codec_name (const char *name)
{
  for (guint i = 0; name && known_codecs[i]; i++)
    if (g_ascii_strcasecmp (name, known_codecs[i]) == 0)
      return known_codecs[i];
  return NULL;
}

char **
bell_account_normalize_codecs (const char *const *codecs, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new ();

  for (guint i = 0; codecs && codecs[i]; i++)
    {
      const char *name = bell_account_codec_name (codecs[i]);

      if (!name)
        {
          g_set_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_INVALID_CODECS,
                       _("“%s” is not an audio codec Bellbird offers: choose from Opus, G.722, "
                         "PCMU and PCMA"), codecs[i]);
          return NULL;
        }
      if (!g_ptr_array_find_with_equal_func (out, name, g_str_equal, NULL))
        g_ptr_array_add (out, (gpointer) name);
    }
  /* An empty list means "the default order"; any other list gets the two G.711 laws, which
   * the core offers whatever the list says: stored and shown the way calls will be. */
  if (out->len > 0)
    {
      if (!g_ptr_array_find_with_equal_func (out, "PCMU", g_str_equal, NULL))
        g_ptr_array_add (out, (gpointer) "PCMU");
      if (!g_ptr_array_find_with_equal_func (out, "PCMA", g_str_equal, NULL))
        g_ptr_array_add (out, (gpointer) "PCMA");
    }
  g_ptr_array_add (out, NULL);
  return g_strdupv ((char **) out->pdata);
}

static char *
nonempty (const char *text)
{
  return text && *text ? g_strdup (text) : NULL;
}

BellAccountRegConfig *
bell_account_make_reg_config (BellAccount *self, const char *password, GError **error)
{
  g_autoptr(BellAccountRegConfig) rc = NULL;
  g_autoptr(BellSipUri) aor = NULL;

  g_return_val_if_fail (BELL_IS_ACCOUNT (self), NULL);
  rc = g_new0 (BellAccountRegConfig, 1);
  rc->aor = bell_account_normalize_address (self->address, error);
  if (!rc->aor)
    return NULL;
  if (self->registrar && *self->registrar)
    {
      rc->registrar = bell_account_normalize_server (self->registrar, error);
      if (!rc->registrar)
        return NULL;
    }
  else
    {
      /* §10.2.6: the registrar is the address's domain (with its port, if it has one). */
      aor = bell_sip_uri_new (rc->aor, error);
      if (!aor)
        return NULL;
      rc->registrar = aor->port
                      ? g_strdup_printf ("%.*s:%.*s:%u", BELL_STR_PRINTF (aor->scheme_str),
                                         BELL_STR_PRINTF (aor->host), aor->port)
                      : g_strdup_printf ("%.*s:%.*s", BELL_STR_PRINTF (aor->scheme_str),
                                         BELL_STR_PRINTF (aor->host));
    }
  if (self->outbound_proxy && *self->outbound_proxy)
    {
      rc->outbound_proxy = bell_account_normalize_server (self->outbound_proxy, error);
      if (!rc->outbound_proxy)
        return NULL;
    }
  rc->display_name = nonempty (self->display_name);
  rc->auth_user = nonempty (self->auth_user);
  rc->srtp = nonempty (self->srtp);
  rc->stun_server = nonempty (self->stun_server);
  {
    g_auto(GStrv) codecs = bell_account_normalize_codecs ((const char *const *) self->codecs,
                                                          error);
    if (!codecs)
      return NULL;
    /* Empty: NULL, the core's order (the app's "codecs" key, else its built-in one). */
    rc->codecs = codecs[0] ? g_strjoinv (",", codecs) : NULL;
  }
  rc->instance_id = bell_account_make_instance_id (self->id);
  rc->tls_pin = nonempty (self->tls_fingerprint);

  rc->config.aor = rc->aor;
  rc->config.display_name = rc->display_name;
  rc->config.auth_user = rc->auth_user;
  rc->config.password = password;
  rc->config.registrar = rc->registrar;
  rc->config.outbound_proxy = rc->outbound_proxy;
  rc->config.srtp = rc->srtp;   /* the policy of the calls made or taken as this account */
  rc->config.stun_server = rc->stun_server;
  rc->config.codecs = rc->codecs;
  rc->config.low_bandwidth = self->low_bandwidth;
  rc->config.transport = bell_account_transport_kind (self->transport);
  rc->config.expires = self->expires;
  rc->config.instance_id = rc->instance_id;
  rc->config.tls_pin = rc->tls_pin;
  rc->config.direct_calls = bell_account_direct_calls_policy (self->direct_calls);
  return g_steal_pointer (&rc);
}

void
bell_account_reg_config_free (BellAccountRegConfig *config)
{
  if (!config)
    return;
  g_free (config->aor);
  g_free (config->display_name);
  g_free (config->auth_user);
  g_free (config->registrar);
  g_free (config->outbound_proxy);
  g_free (config->srtp);
  g_free (config->stun_server);
  g_free (config->codecs);
  g_free (config->instance_id);
  g_free (config->tls_pin);
  g_free (config);
}
