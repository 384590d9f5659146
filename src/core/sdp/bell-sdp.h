/* bell-sdp.h: SDP session descriptions (RFC 8866, formerly RFC 4566): model, parse, print, build.
 *
 * Ownership: a BellSdpSession owns everything it points to: its BellSdpMedia (session->media),
 * their attributes, kept lines and typed views; every string is a NUL-terminated copy. Free it
 * with bell_sdp_session_free() or g_autoptr(BellSdpSession). A BellSdpMedia from
 * bell_sdp_media_new() belongs to the caller until bell_sdp_session_add_media() takes it.
 *
 * Reading: every field may be read directly. Writing: port and n_ports of a media and the
 * origin's sess_version are plain numbers and may be assigned; everything else changes through
 * the functions below. The typed views (formats, direction, ptime, rtcp, cryptos, mid, label)
 * are derived from the m= format list and the a= lines, and every setter derives them again:
 * a pointer into a typed view is valid until the next change to that media or session.
 *
 * Attributes are kept as written and in order, understood or not, and printed back as they
 * came. A known attribute whose value does not parse (a=rtcp:1 IN IP7 X) stays in the list
 * without a typed view: RFC 8866 §5.13 has a receiver ignore what it does not understand in an
 * attribute, whereas a bad v=, o=, s=, c=, t= or m= line makes the whole description malformed.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BELL_SDP_ERROR (bell_sdp_error_quark ())

typedef enum
{
  BELL_SDP_ERROR_MALFORMED,   /* not SDP we accept; the message names the line and why */
} BellSdpError;

GQuark bell_sdp_error_quark (void);

/* Limits of the parser: hostile input is refused before it can eat memory or time. */
#define BELL_SDP_MAX_SIZE        (64 * 1024)   /* bytes of text */
#define BELL_SDP_MAX_MEDIA       64            /* m= lines */
#define BELL_SDP_MAX_FORMATS     256           /* formats on one m= line */
#define BELL_SDP_MAX_ATTRIBUTES  1024          /* a= lines in all */
#define BELL_SDP_MAX_PT          127           /* RTP payload types are 7 bits (RFC 3550 §5.1) */

/* a=sendrecv/sendonly/recvonly/inactive (RFC 3264 §5.1, §6.1). */
typedef enum
{
  BELL_SDP_DIRECTION_NONE,       /* no direction attribute at this level */
  BELL_SDP_DIRECTION_SENDRECV,
  BELL_SDP_DIRECTION_SENDONLY,
  BELL_SDP_DIRECTION_RECVONLY,
  BELL_SDP_DIRECTION_INACTIVE,
} BellSdpDirection;

typedef enum
{
  BELL_SDP_ADDR_IP4,
  BELL_SDP_ADDR_IP6,
} BellSdpAddrType;

/* c=IN IP4 224.2.1.1/127/3: network type is always IN. */
typedef struct
{
  BellSdpAddrType  addrtype;
  char            *address;      /* IP literal or FQDN, without the /ttl or /count suffix */
  guint            ttl;          /* IPv4 multicast TTL; 0: none given */
  guint            n_addresses;  /* multicast address count; 0: none given */
} BellSdpConnection;

/* o=<username> <sess-id> <sess-version> IN <addrtype> <unicast-address> */
typedef struct
{
  char            *username;     /* "-" when the sender has none */
  char            *sess_id;      /* digits, as written (some senders exceed 64 bits) */
  guint64          sess_version; /* RFC 3264 §8: +1 for each changed offer */
  BellSdpAddrType  addrtype;
  char            *address;
} BellSdpOrigin;

/* t=<start> <stop> and the r= lines that follow it (kept as written). */
typedef struct
{
  guint64    start;
  guint64    stop;
  GPtrArray *repeats;            /* char *: r= values */
} BellSdpTime;

/* a=<name>[:<value>] */
typedef struct
{
  char *name;
  char *value;                   /* NULL for a flag (a=rtcp-mux); "" for "a=name:" */
} BellSdpAttr;

/* A line of a type we do not know (RFC 8866 §5: ignored by a receiver; we keep it). */
typedef struct
{
  char  type;
  char *value;
} BellSdpLine;

/* One RTP payload type of an m= line, with what a=rtpmap and a=fmtp say of it. */
typedef struct
{
  guint8    pt;
  char     *encoding;            /* "PCMU"; a static type without rtpmap gets its RFC 3551 name;
                                  * NULL: dynamic type without rtpmap */
  guint     clock_rate;          /* 0: unknown */
  guint     channels;            /* 0: not given (one channel, RFC 4566 §6) */
  char     *fmtp;                /* format parameters after "a=fmtp:<pt> "; NULL: none */
  gboolean  has_rtpmap;
} BellSdpFormat;

/* One key of a=crypto (RFC 4568 §9.2): "inline:KEY||SALT|2^20|1:4". */
typedef struct
{
  char    *method;               /* "inline" */
  char    *key;                  /* base64 key||salt as written, not decoded; for another
                                  * method its whole key-info */
  guint64  lifetime;             /* in packets; 0: not given */
  guint64  mki;                  /* MKI value, when mki_length is not 0 */
  guint    mki_length;           /* MKI length in bytes (1..128); 0: no MKI */
} BellSdpKeyParam;

/* a=crypto:<tag> <crypto-suite> <key-params> [<session-params>] */
typedef struct
{
  guint      tag;
  char      *suite;              /* "AES_CM_128_HMAC_SHA1_80", any token kept */
  GPtrArray *key_params;         /* BellSdpKeyParam *, at least one */
  char      *session_params;     /* the rest as written ("UNENCRYPTED_SRTCP"); NULL: none */
} BellSdpCrypto;

typedef struct
{
  char              *media;      /* "audio", "video", "application", ... */
  guint              port;       /* 0: stream rejected or disabled (RFC 3264 §6, §8.2) */
  guint              n_ports;    /* m=audio 49170/2: 2; otherwise 1 */
  char              *proto;      /* "RTP/AVP", "RTP/SAVP", "UDP/TLS/RTP/SAVPF", ... kept as is */
  GPtrArray         *fmts;       /* char *: the formats as written on the m= line */
  char              *title;      /* i=; NULL: none */
  BellSdpConnection *connection; /* c=; NULL: the session's applies */
  GPtrArray         *bandwidths; /* char *: b= values ("AS:64") */
  char              *key;        /* k=; NULL: none */
  GPtrArray         *attributes; /* BellSdpAttr *, in order */
  GPtrArray         *other_lines;/* BellSdpLine *, in order */

  /* Typed views, derived (read only). */
  GPtrArray         *formats;    /* BellSdpFormat *, one per RTP payload type, in m= order;
                                  * empty for a media that is not RTP */
  BellSdpDirection   direction;  /* at media level only: see bell_sdp_media_get_direction() */
  guint              ptime;      /* ms; 0: none (a fractional value is rounded down) */
  guint              maxptime;   /* ms; 0: none */
  guint              rtcp_port;  /* a=rtcp (RFC 3605); 0: none */
  char              *rtcp_address; /* NULL: none given (the media's connection applies) */
  BellSdpAddrType    rtcp_addrtype;
  gboolean           rtcp_mux;   /* a=rtcp-mux (RFC 5761) */
  GPtrArray         *cryptos;    /* BellSdpCrypto *, the a=crypto lines that parse, in order */
  char              *mid;        /* a=mid (RFC 5888); NULL: none */
  char              *label;      /* a=label (RFC 4574); NULL: none */
} BellSdpMedia;

typedef struct
{
  BellSdpOrigin      origin;
  char              *name;       /* s=; "" when it was blank */
  char              *info;       /* i=; NULL: none */
  char              *uri;        /* u=; NULL: none */
  GPtrArray         *emails;     /* char *: e= */
  GPtrArray         *phones;     /* char *: p= */
  BellSdpConnection *connection; /* c=; NULL: each media has its own */
  GPtrArray         *bandwidths; /* char *: b= */
  GPtrArray         *times;      /* BellSdpTime *, at least one ("t=0 0" when none was given) */
  char              *zone;       /* z=; NULL: none */
  char              *key;        /* k=; NULL: none */
  GPtrArray         *attributes; /* BellSdpAttr *, in order */
  GPtrArray         *other_lines;/* BellSdpLine *, in order */
  GPtrArray         *media;      /* BellSdpMedia *, in m= order */

  /* Typed view, derived (read only). */
  BellSdpDirection   direction;  /* session-level default for every media */
} BellSdpSession;

/* Parsing (bell-sdp.c). Lines end in CRLF or a bare LF (RFC 8866 §5). Returns NULL and sets a
 * BELL_SDP_ERROR_MALFORMED error naming the line for anything malformed or over the limits. */
BellSdpSession   *bell_sdp_session_parse      (const char *text, gsize len, GError **error);

/* Printing (bell-sdp-print.c): CRLF lines in the order of RFC 8866 §5 (v o s i u e p c b t r z
 * k a, then per media m i c b k a), attributes in their order, unknown lines after them.
 * Parsing the result gives a session bell_sdp_session_equal() to this one. */
char             *bell_sdp_session_to_string  (const BellSdpSession *session, gsize *len);
GBytes           *bell_sdp_session_to_bytes   (const BellSdpSession *session);

/* Sessions */
/* v=0, o=<username> <sess_id> <sess_version> IN IP4|IP6 <address>, s=-, c= with the same
 * address, t=0 0. The address type follows the address (a ':' makes it IP6). */
BellSdpSession   *bell_sdp_session_new        (const char *username, guint64 sess_id,
                                               guint64 sess_version, const char *address);
/* A deep copy: an answer starts as a copy of its offer. */
BellSdpSession   *bell_sdp_session_copy       (const BellSdpSession *session);
void              bell_sdp_session_free       (BellSdpSession *session);
/* Field by field (typed views follow from the rest): what a print/parse round trip keeps. */
gboolean          bell_sdp_session_equal      (const BellSdpSession *a, const BellSdpSession *b);

void              bell_sdp_session_set_origin (BellSdpSession *session, const char *username,
                                               guint64 sess_id, guint64 sess_version,
                                               const char *address);
void              bell_sdp_session_set_name   (BellSdpSession *session, const char *name);
/* NULL removes the session-level c= (each media then needs its own). */
void              bell_sdp_session_set_connection (BellSdpSession *session, const char *address);
/* NONE removes the session-level direction. */
void              bell_sdp_session_set_direction  (BellSdpSession *session, BellSdpDirection dir);
/* value NULL adds a flag attribute. */
void              bell_sdp_session_add_attribute  (BellSdpSession *session, const char *name,
                                                   const char *value);
/* Removes every attribute of this name (case-insensitively); returns how many. */
guint             bell_sdp_session_remove_attributes (BellSdpSession *session, const char *name);
/* The first attribute of this name after prev (NULL: the first one); NULL when none. */
const BellSdpAttr *bell_sdp_session_find_attribute (const BellSdpSession *session,
                                                    const char *name, const BellSdpAttr *prev);
/* Takes media and returns it; over BELL_SDP_MAX_MEDIA frees it and returns NULL. */
BellSdpMedia     *bell_sdp_session_add_media  (BellSdpSession *session, BellSdpMedia *media);

/* Media */
/* m=<media> <port> <proto>, no format yet. */
BellSdpMedia     *bell_sdp_media_new          (const char *media, guint port, const char *proto);
BellSdpMedia     *bell_sdp_media_copy         (const BellSdpMedia *media);
void              bell_sdp_media_free         (BellSdpMedia *media);
/* Is proto an RTP profile ("RTP/AVP", "UDP/TLS/RTP/SAVPF" ...), whose formats are payload
 * types? */
gboolean          bell_sdp_media_is_rtp       (const BellSdpMedia *media);

/* Adds payload type pt to the m= line, with a=rtpmap when encoding is given and a=fmtp when
 * fmtp is (channels 0 or 1 is not printed). FALSE when pt is already there or the format list
 * is full. A static type may go without encoding: receivers know it (RFC 3551 §6). */
gboolean          bell_sdp_media_add_format   (BellSdpMedia *media, guint pt, const char *encoding,
                                               guint clock_rate, guint channels,
                                               const char *fmtp);
/* A format that is not an RTP payload type ("t38", "5000", "*"). FALSE when the list is full,
 * or when the media is RTP and fmt is not a payload type. */
gboolean          bell_sdp_media_add_raw_format (BellSdpMedia *media, const char *fmt);
/* Removes pt from the m= line with its a=rtpmap, a=fmtp and a=rtcp-fb; FALSE when absent. */
gboolean          bell_sdp_media_remove_format (BellSdpMedia *media, guint pt);
/* Removes every format with its a=rtpmap, a=fmtp and per-type a=rtcp-fb. */
void              bell_sdp_media_clear_formats (BellSdpMedia *media);

void              bell_sdp_media_set_direction  (BellSdpMedia *media, BellSdpDirection dir);
/* NULL removes the media-level c= (the session's then applies). */
void              bell_sdp_media_set_connection (BellSdpMedia *media, const char *address);
/* 0 removes the attribute. */
void              bell_sdp_media_set_ptime      (BellSdpMedia *media, guint ptime);
void              bell_sdp_media_set_maxptime   (BellSdpMedia *media, guint maxptime);
/* port 0 removes a=rtcp; address NULL gives the port alone. */
void              bell_sdp_media_set_rtcp       (BellSdpMedia *media, guint port,
                                                 const char *address);
void              bell_sdp_media_set_rtcp_mux   (BellSdpMedia *media, gboolean rtcp_mux);
void              bell_sdp_media_add_attribute  (BellSdpMedia *media, const char *name,
                                                 const char *value);
guint             bell_sdp_media_remove_attributes (BellSdpMedia *media, const char *name);
const BellSdpAttr *bell_sdp_media_find_attribute (const BellSdpMedia *media, const char *name,
                                                  const BellSdpAttr *prev);
/* a=crypto:<tag> <suite> <key_params> [<session_params>], key_params as RFC 4568 writes them
 * ("inline:BASE64[|2^31][|1:4]", several separated by ';'). FALSE, adding nothing, when the
 * line would not parse. */
gboolean          bell_sdp_media_add_crypto     (BellSdpMedia *media, guint tag, const char *suite,
                                                 const char *key_params,
                                                 const char *session_params);
void              bell_sdp_media_clear_crypto   (BellSdpMedia *media);

/* Helpers for offer/answer (RFC 3264) */
/* Media level, else session level, else sendrecv (RFC 3264 §5.1, §6.1). */
BellSdpDirection  bell_sdp_media_get_direction  (const BellSdpSession *session,
                                                 const BellSdpMedia *media);
/* Media level, else session level; NULL when neither has one. */
const BellSdpConnection *bell_sdp_media_get_connection (const BellSdpSession *session,
                                                        const BellSdpMedia *media);
/* Does the author of this SDP refuse media on this stream, i.e. hold it (RFC 3264 §8.4)?
 * sendonly or inactive, or the RFC 2543 form c=IN IP4 0.0.0.0. */
gboolean          bell_sdp_media_is_held        (const BellSdpSession *session,
                                                 const BellSdpMedia *media);
const BellSdpFormat *bell_sdp_media_find_format (const BellSdpMedia *media, guint pt);
/* By encoding name (case-insensitively) and clock rate (0: any rate); the first in m= order. */
const BellSdpFormat *bell_sdp_media_find_format_by_name (const BellSdpMedia *media,
                                                         const char *encoding,
                                                         guint clock_rate);

/* The RFC 3551 §6 name, clock rate and channels of a static payload type; FALSE for a dynamic
 * or unassigned one. */
gboolean          bell_sdp_static_payload       (guint pt, const char **encoding,
                                                 guint *clock_rate, guint *channels);
/* "sendrecv" ...; NULL for NONE. */
const char       *bell_sdp_direction_to_string  (BellSdpDirection dir);
/* What an answer says to an offered direction (RFC 3264 §6.1): sendonly ↔ recvonly. */
BellSdpDirection  bell_sdp_direction_reverse    (BellSdpDirection dir);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellSdpSession, bell_sdp_session_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellSdpMedia, bell_sdp_media_free)

G_END_DECLS
