/* bell-sip-private.h: character classes and scanners shared by the SIP parsers.
 * Not installed, not for layers above the message layer. */
#pragma once

#include <glib.h>
#include "bell-str.h"
#include "bell-sip-uri.h"

G_BEGIN_DECLS

/* Character classes of RFC 3261 §25.1, one bit each. */
enum
{
  BELL_CC_ALNUM      = 1 << 0,
  BELL_CC_TOKEN      = 1 << 1,  /* token: alphanum - . ! % * _ + ` ' ~ */
  BELL_CC_UNRESERVED = 1 << 2,  /* alphanum - _ . ! ~ * ' ( ) */
  BELL_CC_USER       = 1 << 3,  /* unreserved + & = + $ , ; ? / (user-unreserved) */
  BELL_CC_PASSWORD   = 1 << 4,  /* unreserved + & = + $ , */
  BELL_CC_PARAM      = 1 << 5,  /* paramchar: unreserved + [ ] / : & + $ */
  BELL_CC_HNV        = 1 << 6,  /* header name/value: unreserved + [ ] / ? : + $ */
  BELL_CC_WORD       = 1 << 7,  /* word (Call-ID): token + ( ) < > : \ " / [ ] ? { } */
  BELL_CC_HEX        = 1 << 8,
  BELL_CC_HOST       = 1 << 9,  /* hostname, IPv4: alphanum - . */
  BELL_CC_TEL        = 1 << 10, /* tel: number: hexdigits * # - . ( ) + */
  BELL_CC_SCHEME     = 1 << 11, /* alphanum + - . */
  BELL_CC_QDTEXT     = 1 << 12, /* qdtext without LWS: %x20-7E but " and \, HT, UTF-8 bytes */
};

extern const guint16 bell_sip_cc[256];

static inline gboolean
bell_cc (char c, guint16 cls)
{
  return (bell_sip_cc[(guchar) c] & cls) != 0;
}

static inline gboolean
bell_is_lws (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Advances past LWS (folded lines were turned into spaces when the header was read). */
static inline void
bell_skip_lws (const char **p, const char *end)
{
  while (*p < end && bell_is_lws (**p))
    (*p)++;
}

/* Validates a run of class characters where "%HH" escapes also count; returns its end. */
const char *bell_scan_escaped (const char *p, const char *end, guint16 cls);
gsize       bell_hex_value    (char c);

/* Parameter lists ";a=b;c" (URI: strict, no LWS, no quotes) and header parameters
 * (LWS around ';' and '=' allowed, quoted-string values). */
typedef enum
{
  BELL_PARAMS_URI,
  BELL_PARAMS_HEADER,
} BellParamsKind;

/* Checks a params slice and hands each parameter to func (which may be NULL, or refuse one by
 * returning FALSE). On success every ';' started a well-formed parameter. */
typedef gboolean (*BellParamFunc) (BellStr name, BellStr value, gpointer user_data);
gboolean bell_params_parse    (BellStr params, BellParamsKind kind, BellParamFunc func,
                               gpointer user_data);
/* The same from p on, stopping at the first character that does not continue the list (end,
 * or the ',' before the next element of a list header); NULL when a parameter is malformed. */
const char *bell_params_scan  (const char *p, const char *end, BellParamsKind kind,
                               BellParamFunc func, gpointer user_data);
#define bell_params_validate(params, kind) bell_params_parse ((params), (kind), NULL, NULL)
/* Iterates a validated params slice: *rest shrinks as parameters are taken. */
gboolean bell_params_next     (BellStr *rest, BellStr *name, BellStr *value);
/* Scans a quoted-string starting at p (which points at '"'); returns the position after the
 * closing quote or NULL when unterminated. */
const char *bell_scan_quoted  (const char *p, const char *end);

/* host = hostname / IPv4address / IPv6reference; port 1..65535. */
gboolean    bell_sip_host_classify  (const char *p, gsize len, BellHostType *type);
/* Parses host[:port] at p; returns the end of what it took, NULL when invalid. */
const char *bell_sip_parse_hostport (const char *p, const char *end, BellStr *host,
                                     BellHostType *type, guint16 *port);

G_END_DECLS
