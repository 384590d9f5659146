/* bell-sip-uri.h: sip:, sips: and tel: URIs (RFC 3261 §19.1, RFC 3966).
 *
 * A BellSipUri is a value: its fields are slices of the text it was parsed from, which must
 * outlive it. bell_sip_uri_new() gives a self-contained copy for callers that keep one around.
 * Escapes are kept as written; compare with bell_sip_uri_equal(), which applies §19.1.4.
 */
#pragma once

#include <glib.h>
#include "bell-str.h"

G_BEGIN_DECLS

typedef enum
{
  BELL_URI_SCHEME_SIP,
  BELL_URI_SCHEME_SIPS,
  BELL_URI_SCHEME_TEL,
  BELL_URI_SCHEME_OTHER,    /* any other absoluteURI: kept, but not routable by us */
} BellUriScheme;

typedef enum
{
  BELL_HOST_NONE,
  BELL_HOST_NAME,
  BELL_HOST_IPV4,
  BELL_HOST_IPV6,           /* host holds the reference with its brackets */
} BellHostType;

typedef struct
{
  BellStr       text;       /* the whole URI as parsed */
  BellUriScheme scheme;
  BellStr       scheme_str;
  BellStr       user;       /* escaped as written; for tel: the number */
  BellStr       password;
  BellStr       host;
  BellHostType  host_type;
  guint16       port;       /* 0: none given */
  BellStr       params;     /* ";a=b;c" as written, starting with ';' (empty if none) */
  BellStr       headers;    /* "a=b&c=d" after '?', escaped (empty if none) */
  BellStr       opaque;     /* for BELL_URI_SCHEME_OTHER: everything after "scheme:" */
} BellSipUri;

gboolean    bell_sip_uri_parse       (BellSipUri *uri, const char *text, gsize len, GError **error);
BellSipUri *bell_sip_uri_new         (const char *text, GError **error);
BellSipUri *bell_sip_uri_copy        (const BellSipUri *uri);
void        bell_sip_uri_free        (BellSipUri *uri);

gboolean    bell_sip_uri_equal       (const BellSipUri *a, const BellSipUri *b);
/* Looks a ;name[=value] up in params; *value is empty for a flag. Names compare case-insensitively. */
gboolean    bell_sip_uri_get_param   (const BellSipUri *uri, const char *name, BellStr *value);
gboolean    bell_sip_uri_get_header  (const BellSipUri *uri, const char *name, BellStr *value);
char       *bell_sip_uri_to_string   (const BellSipUri *uri);
/* A server as a user types it: "host[:port]" alone is taken as sip:host[:port]; sip: and
 * sips: URIs stay as they are. */
char       *bell_sip_uri_text_for_server (const char *text);
/* "<uri;lr>": uri as a pre-loaded Route to a loose router (RFC 3261 §8.1.1.1, §16.12). */
char       *bell_sip_uri_to_loose_route (const BellSipUri *uri);
/* The user part unescaped (it may hold a NUL: *len tells the length). */
char       *bell_sip_uri_dup_user    (const BellSipUri *uri, gsize *len);
gboolean    bell_sip_uri_is_sip      (const BellSipUri *uri);

/* %-escaping for the character classes of RFC 3261 §25.1. */
typedef enum
{
  BELL_URI_PART_USER,
  BELL_URI_PART_PASSWORD,
  BELL_URI_PART_PARAM,
  BELL_URI_PART_HEADER,
} BellUriPart;

char       *bell_uri_escape          (const char *raw, gsize len, BellUriPart part);
/* Returns NULL on a bad escape (a '%' not followed by two hex digits). */
char       *bell_uri_unescape        (BellStr s, gsize *out_len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellSipUri, bell_sip_uri_free)

G_END_DECLS
