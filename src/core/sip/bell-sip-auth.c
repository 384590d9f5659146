/* bell-sip-auth.c: HTTP Digest for SIP (RFC 3261 §22, RFC 7616, RFC 8760): choosing among
 * challenges, computing responses with OpenSSL, remembering nonces per realm. */
#define G_LOG_DOMAIN "bell-sip-auth"

#include "bell-sip-auth.h"

#include <string.h>

#include "bell-sip-auth-policy.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

/* Lowercase hex of the longest digest, with its NUL. */
#define HEX_MAX            (EVP_MAX_MD_SIZE * 2 + 1)
#define CNONCE_BYTES       16
/* stale=true answers in a row for one realm before we call it a refusal: a server that keeps
 * finding our fresh nonces stale would otherwise loop forever. */
#define MAX_STALE_ANSWERS  3

G_DEFINE_QUARK (bell-sip-auth-error-quark, bell_sip_auth_error)

enum
{
  QOP_AUTH     = 1 << 0,
  QOP_AUTH_INT = 1 << 1,
};

/* The challenge we answered for one realm, kept to answer the next requests too. */
typedef struct
{
  BellSipHdrId           kind;           /* BELL_SIP_HDR_AUTHORIZATION or _PROXY_AUTHORIZATION */
  char                  *realm;
  char                  *nonce;
  char                  *opaque;         /* NULL: none given */
  BellSipDigestAlgorithm algorithm;
  gboolean               sess;
  guint                  qops;           /* QOP_* offered; 0: no qop, RFC 2069 form */
  gboolean               userhash;
  guint32                nc;             /* last nonce count sent with this nonce */
  char                  *sess_cnonce;    /* -sess: the cnonce H(A1) is keyed with, per nonce */
  gboolean               answered;       /* by bell_sip_auth_answer() since the last reset */
  guint                  stale_answers;  /* stale=true answered in a row */
} Realm;

struct _BellSipCredentials
{
  char      *username;
  char      *password;                   /* wiped on free; NULL: none configured */
  GPtrArray *realms;                     /* Realm */
  BellSipAuthPolicy *policy;             /* whom the password answers; never NULL */
};

/* One Digest challenge read from a WWW-Authenticate or Proxy-Authenticate header. */
typedef struct
{
  BellSipHdrId           kind;           /* the credentials header that answers it */
  char                  *realm;
  char                  *nonce;
  char                  *opaque;
  BellSipDigestAlgorithm algorithm;
  gboolean               sess;
  guint                  qops;
  gboolean               stale;
  gboolean               userhash;
} Challenge;

typedef enum
{
  CHALLENGE_OK,
  CHALLENGE_MALFORMED,
  CHALLENGE_UNSUPPORTED,
} ChallengeStatus;

static const struct
{
  const char            *name;
  const char            *sess_name;
  const char            *md;             /* OpenSSL's name */
} algorithms[] = {
  [BELL_SIP_DIGEST_MD5] = { "MD5", "MD5-sess", "MD5" },
  [BELL_SIP_DIGEST_SHA256] = { "SHA-256", "SHA-256-sess", "SHA256" },
  [BELL_SIP_DIGEST_SHA512_256] = { "SHA-512-256", "SHA-512-256-sess", "SHA512-256" },
};

/* ---- hashing ------------------------------------------------------------------------------ */

static void
to_hex (const unsigned char *data, gsize len, char *out)
{
  static const char digits[] = "0123456789abcdef";

  for (gsize i = 0; i < len; i++)
    {
      out[2 * i] = digits[data[i] >> 4];
      out[2 * i + 1] = digits[data[i] & 0xf];
    }
  out[2 * len] = '\0';
}

static gboolean
algorithm_available (BellSipDigestAlgorithm algorithm)
{
  /* A FIPS-only OpenSSL has no MD5: such a challenge is one we do not support. */
  EVP_MD *md = EVP_MD_fetch (NULL, algorithms[algorithm].md, NULL);

  EVP_MD_free (md);
  return md != NULL;
}

/* H(parts[0] ":" parts[1] ":" ...) in lowercase hex into out (HEX_MAX bytes). The parts are
 * fed to the digest one by one, so no joined copy of a password is left behind in memory. */
static gboolean
hash_hex (BellSipDigestAlgorithm algorithm, const BellStr *parts, guint n_parts, char *out)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_MD *type = EVP_MD_fetch (NULL, algorithms[algorithm].md, NULL);
  EVP_MD_CTX *ctx = type ? EVP_MD_CTX_new () : NULL;
  gboolean ok = ctx != NULL && EVP_DigestInit_ex2 (ctx, type, NULL) == 1;

  for (guint i = 0; ok && i < n_parts; i++)
    ok = (i == 0 || EVP_DigestUpdate (ctx, ":", 1) == 1) &&
         EVP_DigestUpdate (ctx, parts[i].p, parts[i].len) == 1;
  ok = ok && EVP_DigestFinal_ex (ctx, md, &md_len) == 1;
  EVP_MD_CTX_free (ctx);     /* wipes the digest state, password bytes included */
  EVP_MD_free (type);
  if (ok)
    to_hex (md, md_len, out);
  OPENSSL_cleanse (md, sizeof md);
  return ok;
}

/* RFC 7616 §3.4.1 into out (HEX_MAX bytes). qop: NULL, "auth" or "auth-int". */
static gboolean
compute_response (BellSipDigestAlgorithm algorithm, gboolean sess, BellStr username,
                  BellStr realm, BellStr password, BellStr method, BellStr uri, BellStr nonce,
                  const char *qop, BellStr nc, BellStr cnonce, BellStr body, char *out)
{
  char ha1[HEX_MAX], ha2[HEX_MAX], tmp[HEX_MAX];
  gboolean ok;

  /* H(A1): A1 = user:realm:password, or for -sess H(user:realm:password):nonce:cnonce */
  ok = hash_hex (algorithm, (BellStr[]){ username, realm, password }, 3, ha1);
  if (ok && sess)
    {
      ok = hash_hex (algorithm, (BellStr[]){ bell_str (ha1), nonce, cnonce }, 3, tmp);
      memcpy (ha1, tmp, sizeof ha1);
    }

  /* H(A2): A2 = method:uri, or for auth-int method:uri:H(entity-body) */
  if (ok && g_strcmp0 (qop, "auth-int") == 0)
    ok = hash_hex (algorithm, &body, 1, tmp) &&
         hash_hex (algorithm, (BellStr[]){ method, uri, bell_str (tmp) }, 3, ha2);
  else if (ok)
    ok = hash_hex (algorithm, (BellStr[]){ method, uri }, 2, ha2);

  if (ok && qop)
    ok = hash_hex (algorithm, (BellStr[]){ bell_str (ha1), nonce, nc, cnonce, bell_str (qop),
                                           bell_str (ha2) }, 6, out);
  else if (ok)
    ok = hash_hex (algorithm, (BellStr[]){ bell_str (ha1), nonce, bell_str (ha2) }, 3, out);

  /* H(A1) is as good as the password for this realm. */
  OPENSSL_cleanse (ha1, sizeof ha1);
  OPENSSL_cleanse (tmp, sizeof tmp);
  return ok;
}

char *
bell_sip_digest_response (BellSipDigestAlgorithm algorithm, gboolean sess, const char *username,
                          const char *realm, const char *password, const char *method,
                          const char *uri, const char *nonce, const char *qop, const char *nc,
                          const char *cnonce, const char *entity_body, gsize entity_body_len)
{
  char out[HEX_MAX];

  g_return_val_if_fail (algorithm <= BELL_SIP_DIGEST_SHA512_256, NULL);
  g_return_val_if_fail (username && realm && password && method && uri && nonce, NULL);
  g_return_val_if_fail (qop == NULL || g_str_equal (qop, "auth") || g_str_equal (qop, "auth-int"),
                        NULL);
  g_return_val_if_fail (qop == NULL || (nc != NULL && cnonce != NULL), NULL);
  g_return_val_if_fail (!sess || cnonce != NULL, NULL);
  g_return_val_if_fail (entity_body != NULL || entity_body_len == 0, NULL);

  if (!compute_response (algorithm, sess, bell_str (username), bell_str (realm),
                         bell_str (password), bell_str (method), bell_str (uri), bell_str (nonce),
                         qop, bell_str (nc), bell_str (cnonce),
                         (BellStr){ entity_body, entity_body_len }, out))
    return NULL;
  return g_strdup (out);
}

char *
bell_sip_digest_userhash (BellSipDigestAlgorithm algorithm, const char *username,
                          const char *realm)
{
  char out[HEX_MAX];

  g_return_val_if_fail (algorithm <= BELL_SIP_DIGEST_SHA512_256, NULL);
  g_return_val_if_fail (username != NULL && realm != NULL, NULL);

  if (!hash_hex (algorithm, (BellStr[]){ bell_str (username), bell_str (realm) }, 2, out))
    return NULL;
  return g_strdup (out);
}

gboolean
bell_sip_digest_algorithm_from_string (const char *name, BellSipDigestAlgorithm *algorithm,
                                       gboolean *sess)
{
  g_return_val_if_fail (name != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (algorithms); i++)
    {
      gsize len = strlen (algorithms[i].name);
      gboolean is_sess;

      if (g_ascii_strncasecmp (name, algorithms[i].name, len) != 0)
        continue;
      if (name[len] == '\0')
        is_sess = FALSE;
      else if (g_ascii_strcasecmp (name + len, "-sess") == 0)
        is_sess = TRUE;
      else
        continue;
      if (algorithm)
        *algorithm = (BellSipDigestAlgorithm) i;
      if (sess)
        *sess = is_sess;
      return TRUE;
    }
  return FALSE;
}

const char *
bell_sip_digest_algorithm_to_string (BellSipDigestAlgorithm algorithm, gboolean sess)
{
  g_return_val_if_fail (algorithm <= BELL_SIP_DIGEST_SHA512_256, NULL);
  return sess ? algorithms[algorithm].sess_name : algorithms[algorithm].name;
}

/* ---- credentials -------------------------------------------------------------------------- */

static void
realm_free (gpointer data)
{
  Realm *r = data;

  g_free (r->realm);
  g_free (r->nonce);
  g_free (r->opaque);
  g_free (r->sess_cnonce);
  g_free (r);
}

static void
challenge_free (gpointer data)
{
  Challenge *c = data;

  g_free (c->realm);
  g_free (c->nonce);
  g_free (c->opaque);
  g_free (c);
}

BellSipCredentials *
bell_sip_credentials_new (const char *username, const char *password)
{
  BellSipCredentials *creds;

  g_return_val_if_fail (username != NULL, NULL);

  creds = g_new0 (BellSipCredentials, 1);
  creds->username = g_strdup (username);
  creds->password = g_strdup (password);
  creds->realms = g_ptr_array_new_with_free_func (realm_free);
  creds->policy = bell_sip_auth_policy_new_open ();
  return creds;
}

BellSipCredentials *
bell_sip_credentials_new_like (const BellSipCredentials *creds)
{
  BellSipCredentials *like;

  g_return_val_if_fail (creds != NULL, NULL);
  like = bell_sip_credentials_new (creds->username, creds->password);
  bell_sip_credentials_set_policy (like, creds->policy);
  return like;
}

void
bell_sip_credentials_set_policy (BellSipCredentials *creds, BellSipAuthPolicy *policy)
{
  g_return_if_fail (creds != NULL && policy != NULL);
  bell_sip_auth_policy_ref (policy);
  bell_sip_auth_policy_unref (creds->policy);
  creds->policy = policy;
}

BellSipAuthPolicy *
bell_sip_credentials_get_policy (const BellSipCredentials *creds)
{
  g_return_val_if_fail (creds != NULL, NULL);
  return creds->policy;
}

void
bell_sip_credentials_free (BellSipCredentials *creds)
{
  if (creds == NULL)
    return;
  if (creds->password)
    OPENSSL_cleanse (creds->password, strlen (creds->password));
  g_free (creds->password);
  g_free (creds->username);
  g_ptr_array_unref (creds->realms);
  bell_sip_auth_policy_unref (creds->policy);
  g_free (creds);
}

void
bell_sip_auth_reset (BellSipCredentials *creds)
{
  g_autoptr(GPtrArray) answered = g_ptr_array_new_null_terminated (2, NULL, TRUE);

  g_return_if_fail (creds != NULL);

  for (guint i = 0; i < creds->realms->len; i++)
    {
      Realm *r = g_ptr_array_index (creds->realms, i);
      if (r->answered)
        g_ptr_array_add (answered, r->realm);
      r->answered = FALSE;
      r->stale_answers = 0;
    }
  /* What a 2xx followed is the account's realm from now on (when none was configured). */
  if (answered->len > 0)
    bell_sip_auth_policy_pin_realms (creds->policy, (const char *const *) answered->pdata);
}

static Realm *
find_realm (BellSipCredentials *creds, BellSipHdrId kind, const char *realm)
{
  for (guint i = 0; i < creds->realms->len; i++)
    {
      Realm *r = g_ptr_array_index (creds->realms, i);
      if (r->kind == kind && g_str_equal (r->realm, realm))
        return r;
    }
  return NULL;
}

/* An auth-param's value with quotes and escapes removed; NULL when absent. */
static char *
auth_param (const BellSipAuth *auth, const char *name)
{
  BellStr rest = auth->params, n, v;

  while (bell_sip_auth_next (&rest, &n, &v))
    if (bell_str_equal_ci_cstr (n, name))
      return bell_sip_unquote (v);
  return NULL;
}

static gboolean
param_is_true (const BellSipAuth *auth, const char *name)
{
  g_autofree char *value = auth_param (auth, name);

  return value != NULL && g_ascii_strcasecmp (value, "true") == 0;
}

/* Values we echo must print back into a quoted-string: an escaped control character in a
 * challenge would not. */
static gboolean
echoable (const char *s)
{
  for (; s && *s; s++)
    if (((guchar) *s < 0x20 && *s != '\t') || *s == 0x7f)
      return FALSE;
  return TRUE;
}

/* qop-options: a quoted, comma-separated list of tokens; unknown ones are ignored. */
static guint
parse_qops (const char *list)
{
  g_auto(GStrv) tokens = g_strsplit (list, ",", -1);
  guint qops = 0;

  for (guint i = 0; tokens[i]; i++)
    {
      const char *t = g_strstrip (tokens[i]);
      if (g_ascii_strcasecmp (t, "auth") == 0)
        qops |= QOP_AUTH;
      else if (g_ascii_strcasecmp (t, "auth-int") == 0)
        qops |= QOP_AUTH_INT;
    }
  return qops;
}

static ChallengeStatus
read_challenge (const BellSipAuth *auth, Challenge *c)
{
  g_autofree char *algorithm = auth_param (auth, "algorithm");
  g_autofree char *qop = auth_param (auth, "qop");

  c->realm = auth_param (auth, "realm");
  c->nonce = auth_param (auth, "nonce");
  c->opaque = auth_param (auth, "opaque");
  if (c->realm == NULL || c->nonce == NULL ||
      !echoable (c->realm) || !echoable (c->nonce) || !echoable (c->opaque))
    return CHALLENGE_MALFORMED;

  /* No algorithm means MD5 (RFC 7616 §3.3). */
  if (algorithm == NULL)
    c->algorithm = BELL_SIP_DIGEST_MD5;
  else if (!bell_sip_digest_algorithm_from_string (algorithm, &c->algorithm, &c->sess))
    return CHALLENGE_UNSUPPORTED;
  if (!algorithm_available (c->algorithm))
    return CHALLENGE_UNSUPPORTED;

  if (qop != NULL && (c->qops = parse_qops (qop)) == 0)
    return CHALLENGE_UNSUPPORTED;
  /* -sess keys H(A1) with a cnonce, which only travels with a qop. */
  if (c->sess && c->qops == 0)
    return CHALLENGE_UNSUPPORTED;

  c->stale = param_is_true (auth, "stale");
  c->userhash = param_is_true (auth, "userhash");
  return CHALLENGE_OK;
}

/* Strongest algorithm first, then a qop over the RFC 2069 form. */
static guint
challenge_rank (const Challenge *c)
{
  guint strength = 0;

  switch (c->algorithm)
    {
    case BELL_SIP_DIGEST_MD5:        strength = 1; break;
    case BELL_SIP_DIGEST_SHA256:     strength = 2; break;
    case BELL_SIP_DIGEST_SHA512_256: strength = 3; break;
    }
  return strength * 2 + (c->qops != 0);
}

/* Reads every Digest challenge of one header kind into chosen, keeping the best per realm. */
static void
collect_challenges (const BellSipMsg *response, BellSipHdrId challenge_id, BellSipHdrId answer_id,
                    GPtrArray *chosen, guint *n_digest, guint *n_malformed)
{
  const BellSipHeader *h = NULL;

  while ((h = bell_sip_msg_find_next (response, challenge_id, h)) != NULL)
    {
      const BellSipAuth *auth = h->parsed.auth;
      Challenge *c;
      ChallengeStatus status;
      guint i;

      if (auth == NULL || !bell_str_equal_ci_lit (auth->scheme, "digest"))
        continue;
      (*n_digest)++;
      c = g_new0 (Challenge, 1);
      c->kind = answer_id;
      status = read_challenge (auth, c);
      if (status != CHALLENGE_OK)
        {
          if (status == CHALLENGE_MALFORMED)
            (*n_malformed)++;
          challenge_free (c);
          continue;
        }

      for (i = 0; i < chosen->len; i++)
        {
          Challenge *other = g_ptr_array_index (chosen, i);
          if (other->kind == c->kind && g_str_equal (other->realm, c->realm))
            break;
        }
      if (i == chosen->len)
        g_ptr_array_add (chosen, c);
      else if (challenge_rank (c) > challenge_rank (g_ptr_array_index (chosen, i)))
        {
          challenge_free (g_ptr_array_index (chosen, i));
          g_ptr_array_index (chosen, i) = c;
        }
      else
        challenge_free (c);
    }
}

static void
append_quoted (GString *out, BellStr s)
{
  g_string_append_c (out, '"');
  for (gsize i = 0; i < s.len; i++)
    {
      if (s.p[i] == '"' || s.p[i] == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, s.p[i]);
    }
  g_string_append_c (out, '"');
}

static gboolean
make_cnonce (char *out, GError **error)
{
  unsigned char bytes[CNONCE_BYTES];

  /* A client nonce must be unpredictable (RFC 7616 §5.12): not g_random. */
  if (RAND_bytes (bytes, sizeof bytes) != 1)
    {
      g_set_error_literal (error, BELL_SIP_AUTH_ERROR, BELL_SIP_AUTH_ERROR_INTERNAL,
                           "no random bytes for a client nonce");
      return FALSE;
    }
  to_hex (bytes, sizeof bytes, out);
  return TRUE;
}

/* The credentials for realm r to put in request, with the next nonce count. */
static char *
build_credentials (BellSipCredentials *creds, Realm *r, const BellSipMsg *request,
                   GError **error)
{
  BellStr method = bell_sip_msg_get_method_str (request);
  BellStr uri = bell_sip_msg_get_request_uri (request)->text;
  gsize body_len = 0;
  const char *body = bell_sip_msg_peek_body (request, &body_len);
  const char *qop = NULL;
  char nc[9] = "", cnonce[CNONCE_BYTES * 2 + 1] = "", response[HEX_MAX], userhash[HEX_MAX];
  const char *username = creds->username;
  GString *out;

  /* auth-int protects the body when there is one; with none it adds nothing over auth. */
  if ((r->qops & QOP_AUTH_INT) && (body_len > 0 || !(r->qops & QOP_AUTH)))
    qop = "auth-int";
  else if (r->qops & QOP_AUTH)
    qop = "auth";

  if (qop)
    {
      r->nc++;
      g_snprintf (nc, sizeof nc, "%08x", r->nc);
      if (!r->sess)
        {
          if (!make_cnonce (cnonce, error))
            return NULL;
        }
      else
        {
          if (r->sess_cnonce == NULL)
            {
              if (!make_cnonce (cnonce, error))
                return NULL;
              r->sess_cnonce = g_strdup (cnonce);
            }
          g_strlcpy (cnonce, r->sess_cnonce, sizeof cnonce);
        }
    }

  if (!compute_response (r->algorithm, r->sess, bell_str (creds->username), bell_str (r->realm),
                         bell_str (creds->password), method, uri, bell_str (r->nonce), qop,
                         bell_str (nc), bell_str (cnonce), (BellStr){ body, body ? body_len : 0 },
                         response))
    {
      g_set_error (error, BELL_SIP_AUTH_ERROR, BELL_SIP_AUTH_ERROR_INTERNAL,
                   "cannot compute a %s digest", algorithms[r->algorithm].name);
      return NULL;
    }
  if (r->userhash)
    {
      /* RFC 7616 §3.4.4: the user name travels hashed; A1 keeps the real one. */
      if (!hash_hex (r->algorithm, (BellStr[]){ bell_str (creds->username), bell_str (r->realm) },
                     2, userhash))
        {
          g_set_error (error, BELL_SIP_AUTH_ERROR, BELL_SIP_AUTH_ERROR_INTERNAL,
                       "cannot compute a %s digest", algorithms[r->algorithm].name);
          return NULL;
        }
      username = userhash;
    }

  out = g_string_new ("Digest username=");
  append_quoted (out, bell_str (username));
  g_string_append (out, ", realm=");
  append_quoted (out, bell_str (r->realm));
  g_string_append (out, ", nonce=");
  append_quoted (out, bell_str (r->nonce));
  g_string_append (out, ", uri=");
  append_quoted (out, uri);
  g_string_append_printf (out, ", response=\"%s\", algorithm=%s", response,
                          bell_sip_digest_algorithm_to_string (r->algorithm, r->sess));
  if (qop)
    g_string_append_printf (out, ", cnonce=\"%s\"", cnonce);
  if (r->opaque)
    {
      g_string_append (out, ", opaque=");
      append_quoted (out, bell_str (r->opaque));
    }
  if (qop)
    g_string_append_printf (out, ", qop=%s, nc=%s", qop, nc);
  if (r->userhash)
    g_string_append (out, ", userhash=true");
  return g_string_free (out, FALSE);
}

/* Removes the credentials of kind that request carries for realms we answer, keeping the
 * others (another account's, another scheme's) in their order. */
static void
remove_credentials (BellSipCredentials *creds, BellSipMsg *request, BellSipHdrId kind)
{
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);   /* name, value */
  const BellSipHeader *h = NULL;
  guint total = 0;

  while ((h = bell_sip_msg_find_next (request, kind, h)) != NULL)
    {
      g_autofree char *realm = NULL;

      total++;
      if (h->parsed.auth && bell_str_equal_ci_lit (h->parsed.auth->scheme, "digest") &&
          (realm = auth_param (h->parsed.auth, "realm")) != NULL &&
          find_realm (creds, kind, realm) != NULL)
        continue;
      g_ptr_array_add (keep, bell_str_dup (h->name));
      g_ptr_array_add (keep, bell_str_dup (h->value));
    }
  if (keep->len / 2 == total)
    return;

  /* The message API removes by id only: take them all out, put the others back. */
  bell_sip_msg_remove_headers (request, kind, NULL);
  for (guint i = 0; i < keep->len; i += 2)
    {
      g_autoptr(GError) error = NULL;

      /* Not error->message: it quotes the header, credentials included. */
      if (!bell_sip_msg_add_header (request, g_ptr_array_index (keep, i),
                                    g_ptr_array_index (keep, i + 1), &error))
        g_warning ("cannot put back a %s header", bell_sip_hdr_id_to_name (kind));
    }
}

/* Puts fresh credentials for every remembered realm into request; -1 on error. */
static gint
write_credentials (BellSipCredentials *creds, BellSipMsg *request, GError **error)
{
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func (g_free);

  /* Every header is built before the request is touched. */
  for (guint i = 0; i < creds->realms->len; i++)
    {
      char *value = build_credentials (creds, g_ptr_array_index (creds->realms, i), request,
                                       error);
      if (value == NULL)
        return -1;
      g_ptr_array_add (values, value);
    }

  remove_credentials (creds, request, BELL_SIP_HDR_AUTHORIZATION);
  remove_credentials (creds, request, BELL_SIP_HDR_PROXY_AUTHORIZATION);
  for (guint i = 0; i < values->len; i++)
    {
      Realm *r = g_ptr_array_index (creds->realms, i);
      g_autoptr(GError) local = NULL;

      /* The message layer's error quotes the value: keep the response out of it. */
      if (!bell_sip_msg_add_header (request, bell_sip_hdr_id_to_name (r->kind),
                                    g_ptr_array_index (values, i), &local))
        {
          g_set_error (error, BELL_SIP_AUTH_ERROR, BELL_SIP_AUTH_ERROR_INTERNAL,
                       "cannot add a %s header for realm “%s”",
                       bell_sip_hdr_id_to_name (r->kind), r->realm);
          return -1;
        }
    }
  return (gint) values->len;
}

/* Why a challenge for a realm we answered is a refusal; NULL when it may be answered. */
static const char *
refusal_reason (const Realm *r, const Challenge *c)
{
  if (r == NULL || !r->answered)
    return NULL;
  if (!c->stale)
    return "wrong user name or password?";
  if (g_str_equal (r->nonce, c->nonce))
    return "the nonce we answered came back as stale";
  if (r->stale_answers >= MAX_STALE_ANSWERS)
    return "too many stale nonces";
  return NULL;
}

/* Leaves out of chosen the challenges the policy refuses for their realm alone; FALSE (with
 * the refusal) when none is left, or when one is refused for any other reason. */
static gboolean
apply_policy (BellSipCredentials *creds, GPtrArray *chosen, guint status, BellSipFlow *flow,
              const BellSipMsg *next_request, GError **error)
{
  g_autoptr(GError) realm_refusal = NULL;
  BellSipAuthChallengeInfo info = {
    .next_hop = bell_sip_auth_next_hop (next_request),
    .transport = flow ? bell_sip_flow_get_kind (flow) : BELL_SIP_TRANSPORT_ANY,
    .source = flow ? bell_sip_flow_get_remote (flow) : NULL,
  };

  for (guint i = 0; i < chosen->len;)
    {
      Challenge *c = g_ptr_array_index (chosen, i);
      g_autoptr(GError) refusal = NULL;

      info.realm = c->realm;
      info.algorithm = c->algorithm;
      if (bell_sip_auth_policy_check (creds->policy, &info, &refusal))
        {
          i++;
          continue;
        }
      g_message ("not answering the %u's challenge for realm “%s”: %s", status, c->realm,
                 refusal->message);
      if (!g_error_matches (refusal, BELL_SIP_AUTH_ERROR, BELL_SIP_AUTH_ERROR_UNTRUSTED_REALM))
        {
          g_propagate_error (error, g_steal_pointer (&refusal));
          return FALSE;
        }
      if (realm_refusal == NULL)
        realm_refusal = g_steal_pointer (&refusal);
      g_ptr_array_remove_index (chosen, i);
    }
  if (chosen->len == 0)
    {
      g_propagate_error (error, g_steal_pointer (&realm_refusal));
      return FALSE;
    }
  return TRUE;
}

gboolean
bell_sip_auth_answer (BellSipCredentials *creds, const BellSipMsg *response,
                      BellSipMsg *next_request, GError **error)
{
  return bell_sip_auth_answer_via (creds, response, NULL, next_request, error);
}

gboolean
bell_sip_auth_answer_via (BellSipCredentials *creds, const BellSipMsg *response,
                          BellSipFlow *flow, BellSipMsg *next_request, GError **error)
{
  g_autoptr(GPtrArray) chosen = g_ptr_array_new_with_free_func (challenge_free);
  guint n_digest = 0, n_malformed = 0, status;
  Challenge *first;

  g_return_val_if_fail (creds != NULL, FALSE);
  g_return_val_if_fail (response != NULL && !bell_sip_msg_is_request (response), FALSE);
  g_return_val_if_fail (next_request != NULL && bell_sip_msg_is_request (next_request), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  status = bell_sip_msg_get_status (response);
  if (status != 401 && status != 407)
    {
      g_set_error (error, BELL_SIP_AUTH_ERROR, BELL_SIP_AUTH_ERROR_UNSUPPORTED,
                   "a %u response is not a challenge", status);
      return FALSE;
    }

  collect_challenges (response, BELL_SIP_HDR_WWW_AUTHENTICATE, BELL_SIP_HDR_AUTHORIZATION,
                      chosen, &n_digest, &n_malformed);
  collect_challenges (response, BELL_SIP_HDR_PROXY_AUTHENTICATE, BELL_SIP_HDR_PROXY_AUTHORIZATION,
                      chosen, &n_digest, &n_malformed);
  if (chosen->len == 0)
    {
      if (n_malformed > 0)
        g_set_error_literal (error, BELL_SIP_AUTH_ERROR, BELL_SIP_AUTH_ERROR_MALFORMED,
                             "a Digest challenge without realm or nonce");
      else if (n_digest > 0)
        g_set_error_literal (error, BELL_SIP_AUTH_ERROR, BELL_SIP_AUTH_ERROR_UNSUPPORTED,
                             "no Digest challenge with an algorithm and qop we support");
      else
        g_set_error (error, BELL_SIP_AUTH_ERROR, BELL_SIP_AUTH_ERROR_UNSUPPORTED,
                     "a %u response without a Digest challenge", status);
      return FALSE;
    }

  first = g_ptr_array_index (chosen, 0);
  if (creds->password == NULL)
    {
      g_set_error (error, BELL_SIP_AUTH_ERROR, BELL_SIP_AUTH_ERROR_NO_CREDENTIALS,
                   "no password for realm “%s”", first->realm);
      return FALSE;
    }

  /* Then whether this password belongs there at all. */
  if (!apply_policy (creds, chosen, status, flow, next_request, error))
    return FALSE;

  /* Refusals first, so that nothing changes when one realm fails. */
  for (guint i = 0; i < chosen->len; i++)
    {
      Challenge *c = g_ptr_array_index (chosen, i);
      const char *why = refusal_reason (find_realm (creds, c->kind, c->realm), c);

      if (why)
        {
          g_set_error (error, BELL_SIP_AUTH_ERROR, BELL_SIP_AUTH_ERROR_FAILED,
                       "authentication failed for realm “%s” (%s)", c->realm, why);
          return FALSE;
        }
    }

  for (guint i = 0; i < chosen->len; i++)
    {
      Challenge *c = g_ptr_array_index (chosen, i);
      Realm *r = find_realm (creds, c->kind, c->realm);

      if (r == NULL)
        {
          r = g_new0 (Realm, 1);
          r->kind = c->kind;
          r->realm = g_strdup (c->realm);
          g_ptr_array_add (creds->realms, r);
        }
      /* The nonce count runs per nonce: it starts over only with a new one. */
      if (g_strcmp0 (r->nonce, c->nonce) != 0)
        {
          g_free (r->nonce);
          r->nonce = g_strdup (c->nonce);
          r->nc = 0;
          g_clear_pointer (&r->sess_cnonce, g_free);
        }
      else if (r->algorithm != c->algorithm || r->sess != c->sess)
        g_clear_pointer (&r->sess_cnonce, g_free);
      g_free (r->opaque);
      r->opaque = g_strdup (c->opaque);
      r->algorithm = c->algorithm;
      r->sess = c->sess;
      r->qops = c->qops;
      r->userhash = c->userhash;
      r->answered = TRUE;
      r->stale_answers = c->stale ? r->stale_answers + 1 : 0;
    }

  return write_credentials (creds, next_request, error) >= 0;
}

guint
bell_sip_auth_authorize (BellSipCredentials *creds, BellSipMsg *request)
{
  g_autoptr(GError) error = NULL;
  gint n;

  g_return_val_if_fail (creds != NULL, 0);
  g_return_val_if_fail (request != NULL && bell_sip_msg_is_request (request), 0);

  if (creds->password == NULL || creds->realms->len == 0)
    return 0;
  if (!bell_sip_auth_policy_may_send_to (creds->policy, bell_sip_auth_next_hop (request)))
    {
      g_debug ("no credentials in a %.*s to a server not the account's",
               BELL_STR_PRINTF (bell_sip_msg_get_method_str (request)));
      return 0;
    }
  n = write_credentials (creds, request, &error);
  if (n < 0)
    {
      g_warning ("cannot add credentials: %s", error->message);
      return 0;
    }
  return (guint) n;
}
