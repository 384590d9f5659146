/* bell-sip-header.h: header identities and the typed values the stack reads.
 *
 * Every header of a message keeps its name and value as received; headers the stack uses also
 * carry a typed view parsed when the header entered the message (from the wire or from the
 * builder), so a message that exists is a message whose known headers are well-formed.
 */
#pragma once

#include <glib.h>
#include "bell-str.h"
#include "bell-sip-method.h"
#include "bell-sip-uri.h"

G_BEGIN_DECLS

typedef enum
{
  BELL_SIP_HDR_OTHER = 0,       /* unknown: kept byte-exact, never split on commas */
  BELL_SIP_HDR_ACCEPT,
  BELL_SIP_HDR_ACCEPT_ENCODING,
  BELL_SIP_HDR_ACCEPT_LANGUAGE,
  BELL_SIP_HDR_ALERT_INFO,
  BELL_SIP_HDR_ALLOW,
  BELL_SIP_HDR_ALLOW_EVENTS,
  BELL_SIP_HDR_AUTHENTICATION_INFO,
  BELL_SIP_HDR_AUTHORIZATION,
  BELL_SIP_HDR_CALL_ID,
  BELL_SIP_HDR_CALL_INFO,
  BELL_SIP_HDR_CONTACT,
  BELL_SIP_HDR_CONTENT_DISPOSITION,
  BELL_SIP_HDR_CONTENT_ENCODING,
  BELL_SIP_HDR_CONTENT_LANGUAGE,
  BELL_SIP_HDR_CONTENT_LENGTH,
  BELL_SIP_HDR_CONTENT_TYPE,
  BELL_SIP_HDR_CSEQ,
  BELL_SIP_HDR_DATE,
  BELL_SIP_HDR_ERROR_INFO,
  BELL_SIP_HDR_EVENT,
  BELL_SIP_HDR_EXPIRES,
  BELL_SIP_HDR_FROM,
  BELL_SIP_HDR_IN_REPLY_TO,
  BELL_SIP_HDR_MAX_FORWARDS,
  BELL_SIP_HDR_MIME_VERSION,
  BELL_SIP_HDR_MIN_EXPIRES,
  BELL_SIP_HDR_MIN_SE,
  BELL_SIP_HDR_ORGANIZATION,
  BELL_SIP_HDR_P_ASSERTED_IDENTITY,
  BELL_SIP_HDR_PATH,
  BELL_SIP_HDR_PRIORITY,
  BELL_SIP_HDR_PROXY_AUTHENTICATE,
  BELL_SIP_HDR_PROXY_AUTHORIZATION,
  BELL_SIP_HDR_PROXY_REQUIRE,
  BELL_SIP_HDR_RACK,
  BELL_SIP_HDR_REASON,
  BELL_SIP_HDR_RECORD_ROUTE,
  BELL_SIP_HDR_REFER_TO,
  BELL_SIP_HDR_REFERRED_BY,
  BELL_SIP_HDR_REPLACES,
  BELL_SIP_HDR_REPLY_TO,
  BELL_SIP_HDR_REQUIRE,
  BELL_SIP_HDR_RETRY_AFTER,
  BELL_SIP_HDR_ROUTE,
  BELL_SIP_HDR_RSEQ,
  BELL_SIP_HDR_SERVER,
  BELL_SIP_HDR_SERVICE_ROUTE,
  BELL_SIP_HDR_SESSION_EXPIRES,
  BELL_SIP_HDR_SUBJECT,
  BELL_SIP_HDR_SUBSCRIPTION_STATE,
  BELL_SIP_HDR_SUPPORTED,
  BELL_SIP_HDR_TIMESTAMP,
  BELL_SIP_HDR_TO,
  BELL_SIP_HDR_UNSUPPORTED,
  BELL_SIP_HDR_USER_AGENT,
  BELL_SIP_HDR_VIA,
  BELL_SIP_HDR_WARNING,
  BELL_SIP_HDR_WWW_AUTHENTICATE,
  BELL_SIP_HDR_N_IDS
} BellSipHdrId;

/* Header names compare case-insensitively and compact forms map to their long form. */
BellSipHdrId  bell_sip_hdr_id_from_name  (const char *name, gsize len);
const char   *bell_sip_hdr_id_to_name    (BellSipHdrId id);
/* TRUE for headers whose grammar is a comma-separated list (Via, Contact, Allow, ...).
 * Via, Contact, Route and the like are split: each element is a BellSipHeader of its own,
 * flagged "joined" when it shared a line. Token lists (Allow, Supported, Require ...) stay one
 * header per line; read them with bell_sip_msg_has_token() or bell_sip_token_list_next(). */
gboolean      bell_sip_hdr_id_is_list    (BellSipHdrId id);

/* Via: SIP/2.0/UDP host:port;branch=...;received=...;rport=... */
typedef struct
{
  BellStr   transport;      /* "UDP", "TCP", "TLS", "WS", ... as written */
  BellStr   host;           /* IPv6 references keep their brackets */
  BellHostType host_type;
  guint16   port;           /* 0: none given */
  BellStr   branch;
  BellStr   received;       /* with or without brackets for IPv6 (RFC 5118 §4.5) */
  gboolean  has_rport;
  guint16   rport;          /* 0: "rport" without a value */
  BellStr   maddr;
  gint      ttl;            /* -1: absent */
  BellStr   params;         /* ";..." as written */
} BellSipVia;

/* From, To, Contact, Route, Record-Route, Refer-To, Referred-By, Reply-To, Path, ... */
typedef struct
{
  BellStr    display;       /* as written: a token list or a quoted string with its quotes */
  BellSipUri uri;
  gboolean   star;          /* Contact: * */
  BellStr    tag;
  gint64     expires;       /* Contact ;expires=, -1 when absent */
  gint       q1000;         /* Contact ;q= in thousandths, -1 when absent */
  BellStr    params;        /* header parameters ";..." after the address, as written */
} BellSipNameAddr;

typedef struct
{
  guint32       seq;
  BellSipMethod method;
  BellStr       method_str;
} BellSipCSeq;

/* WWW-Authenticate, Proxy-Authenticate, Authorization, Proxy-Authorization, Authentication-Info */
typedef struct
{
  BellStr scheme;           /* "Digest", ...; empty for Authentication-Info */
  BellStr params;           /* the auth-param list as written */
} BellSipAuth;

/* Content-Type and Accept entries: type/subtype;params */
typedef struct
{
  BellStr type;
  BellStr subtype;
  BellStr params;
} BellSipMediaType;

/* Event, Subscription-State, Session-Expires, Retry-After, Reason, Content-Disposition,
 * Replaces: a leading token (or number) with generic parameters. */
typedef struct
{
  BellStr value;
  guint64 number;           /* when the value is numeric (Retry-After, Session-Expires) */
  BellStr params;
} BellSipTokenParams;

typedef struct
{
  guint32       seq;        /* RAck: response-num */
  guint32       cseq;
  BellSipMethod method;
  BellStr       method_str;
} BellSipRAck;

typedef struct
{
  guint   code;             /* exactly three digits */
  BellStr agent;
  BellStr text;             /* quoted, as written */
} BellSipWarning;

typedef struct
{
  BellSipHdrId id;
  BellStr      name;        /* as received (compact, mixed case ...) or as added */
  BellStr      value;       /* trimmed of LWS; one element of a split list (Via, Contact ...),
                             * the whole line for token lists (Allow, Supported ...) */
  guint        line;        /* 1-based line it came from; 0 if built */
  gboolean     joined;      /* shares its line with the previous header (comma list) */
  union {
    gpointer            any;
    BellSipVia         *via;
    BellSipNameAddr    *name_addr;
    BellSipCSeq        *cseq;
    BellSipAuth        *auth;
    BellSipMediaType   *media_type;
    BellSipTokenParams *token_params;
    BellSipRAck        *rack;
    BellSipWarning     *warning;
    guint64             number;   /* Content-Length, Max-Forwards, Expires, Min-Expires, RSeq */
  } parsed;
} BellSipHeader;

/* Generic ;name=value parameter lookup over a params slice (as in BellSipVia.params).
 * Quoted values are returned with their quotes. */
gboolean bell_sip_params_get   (BellStr params, const char *name, BellStr *value);
/* auth-param lookup ("realm=\"x\", nonce=..."): quotes are removed, escapes kept. */
gboolean bell_sip_auth_get     (const BellSipAuth *auth, const char *name, BellStr *value);
/* Iterates the auth-params of a slice (start with rest = auth->params); values as written. */
gboolean bell_sip_auth_next    (BellStr *rest, BellStr *name, BellStr *value);
/* Iterates the tokens of a token-list header value (Allow, Supported, Require ...). */
gboolean bell_sip_token_list_next (BellStr *rest, BellStr *token);
/* A quoted-string with its quotes and backslash escapes removed. */
char    *bell_sip_unquote      (BellStr quoted);

/* RFC 3261 §8.1.1.7: a branch from an RFC 3261 element starts with the magic cookie and has
 * more after it (RFC 4475 §3.2.1: "z9hG4bK" alone is not a transaction identifier). */
gboolean bell_sip_via_has_rfc3261_branch (const BellSipVia *via);

G_END_DECLS
