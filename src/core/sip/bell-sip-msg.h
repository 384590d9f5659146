/* bell-sip-msg.h: SIP messages (RFC 3261 §7, §20, §25): parse, frame, build, print.
 *
 * A BellSipMsg is reference counted and immutable once shared between layers. Parsing copies
 * the input once; every header, URI and typed value then points into that copy.
 */
#pragma once

#include <glib-object.h>
#include "bell-sip-error.h"
#include "bell-sip-header.h"

G_BEGIN_DECLS

typedef struct _BellSipMsg BellSipMsg;

#define BELL_TYPE_SIP_MSG (bell_sip_msg_get_type ())
GType bell_sip_msg_get_type (void) G_GNUC_CONST;

/* Limits of the receive path: anything above is rejected before it can eat memory. A phone's
 * messages are a few KiB (a UDP datagram cannot pass 64 KiB anyway), so 64 KiB bounds what one
 * connection may make us buffer, and 256 headers what one message may make us index. */
#define BELL_SIP_MAX_MESSAGE_SIZE  (64 * 1024)
#define BELL_SIP_MAX_HEADERS       256

typedef enum
{
  BELL_SIP_PARSE_DATAGRAM = 0,       /* UDP: body is the rest of the datagram, CL may be absent */
  BELL_SIP_PARSE_STREAM   = 1 << 0,  /* one framed message from a stream: no Content-Length
                                      * means no body, and several must agree */
} BellSipParseFlags;

BellSipMsg *bell_sip_msg_parse (const char *data, gsize len, BellSipParseFlags flags,
                                GError **error);

/* Stream framing (TCP, TLS): where does the next message in a byte stream end? */
typedef enum
{
  BELL_SIP_FRAME_COMPLETE,    /* *msg_len bytes (after *skip leading CRLFs) hold one message */
  BELL_SIP_FRAME_NEED_MORE,   /* no decision yet: read more bytes */
  BELL_SIP_FRAME_MALFORMED,   /* the stream cannot be framed: close the connection */
} BellSipFrameResult;

BellSipFrameResult bell_sip_frame (const char *data, gsize len, gsize *skip, gsize *msg_len,
                                   GError **error);

BellSipMsg *bell_sip_msg_ref   (BellSipMsg *msg);
void        bell_sip_msg_unref (BellSipMsg *msg);

/* Start line */
gboolean          bell_sip_msg_is_request   (const BellSipMsg *msg);
BellSipMethod     bell_sip_msg_get_method   (const BellSipMsg *msg);   /* request, or CSeq's */
BellStr           bell_sip_msg_get_method_str (const BellSipMsg *msg);
const BellSipUri *bell_sip_msg_get_request_uri (const BellSipMsg *msg);
guint             bell_sip_msg_get_status   (const BellSipMsg *msg);
BellStr           bell_sip_msg_get_reason   (const BellSipMsg *msg);

/* Headers: all of them in order, or by identity. Index-based so callers can walk lists. */
guint                bell_sip_msg_get_n_headers (const BellSipMsg *msg);
const BellSipHeader *bell_sip_msg_get_header_at (const BellSipMsg *msg, guint index);
const BellSipHeader *bell_sip_msg_find          (const BellSipMsg *msg, BellSipHdrId id);
/* Next header of the same id after prev (NULL: the first). */
const BellSipHeader *bell_sip_msg_find_next     (const BellSipMsg *msg, BellSipHdrId id,
                                                 const BellSipHeader *prev);
/* Unknown headers by name, case-insensitively. */
const BellSipHeader *bell_sip_msg_find_by_name  (const BellSipMsg *msg, const char *name);
guint                bell_sip_msg_count         (const BellSipMsg *msg, BellSipHdrId id);
/* Is token one of the values of a token-list header (Allow, Supported, Require ...)? */
gboolean             bell_sip_msg_has_token     (const BellSipMsg *msg, BellSipHdrId id,
                                                 const char *token);

/* Typed shortcuts for the first instance; NULL when absent. */
const BellSipVia      *bell_sip_msg_get_via      (const BellSipMsg *msg);
const BellSipNameAddr *bell_sip_msg_get_from     (const BellSipMsg *msg);
const BellSipNameAddr *bell_sip_msg_get_to       (const BellSipMsg *msg);
const BellSipNameAddr *bell_sip_msg_get_contact  (const BellSipMsg *msg);
const BellSipCSeq     *bell_sip_msg_get_cseq     (const BellSipMsg *msg);
BellStr                bell_sip_msg_get_call_id  (const BellSipMsg *msg);
/* Numeric headers: FALSE when absent. */
gboolean               bell_sip_msg_get_number   (const BellSipMsg *msg, BellSipHdrId id,
                                                  guint64 *value);

GBytes     *bell_sip_msg_get_body   (const BellSipMsg *msg);
const char *bell_sip_msg_peek_body  (const BellSipMsg *msg, gsize *len);

/* Receive-path semantics (RFC 3261 §8.2, §16.3 and RFC 4475 §3.3): a message that parsed can
 * still be one the layer above must refuse. Returns 0 when it may be processed; otherwise the
 * status a UAS answers a request with (400, 415, 416, 420, ...) or, for a response, 400 meaning
 * "discard"; *reason says why. */
guint       bell_sip_msg_check      (const BellSipMsg *msg, const char **reason);

/* Building */
BellSipMsg *bell_sip_msg_new_request  (BellSipMethod method, const char *method_name,
                                       const char *request_uri, GError **error);
BellSipMsg *bell_sip_msg_new_response (guint status, const char *reason);
/* A response to req with Via, From, To (adding to_tag when To has none), Call-ID, CSeq and
 * Timestamp copied (§8.2.6.2), and Record-Route for dialog-creating responses (§12.1.1). */
BellSipMsg *bell_sip_msg_new_response_to (const BellSipMsg *req, guint status,
                                          const char *reason, const char *to_tag);
/* For a request that did not parse: a 400 (or 505 for BELL_SIP_ERROR_VERSION) built from
 * the raw Via, From, To, Call-ID and CSeq lines, with the parse error in a Warning header, so
 * the sender learns why (RFC 3261 §8.2.2, RFC 4475 §3.1.2). NULL when the bytes are not a
 * request or lack what a response needs: such input is dropped. */
BellSipMsg *bell_sip_msg_new_error_response_raw (const char *data, gsize len,
                                                 const GError *parse_error);
/* Adds a header at the end (or, with prepend, before the first one of its kind, as a Via is).
 * Known headers are parsed as they are added: a value that does not parse is an error. List
 * headers may carry several comma-separated values. */
gboolean    bell_sip_msg_add_header   (BellSipMsg *msg, const char *name, const char *value,
                                       GError **error);
gboolean    bell_sip_msg_add_headerf  (BellSipMsg *msg, const char *name, GError **error,
                                       const char *fmt, ...) G_GNUC_PRINTF (4, 5);
gboolean    bell_sip_msg_prepend_header (BellSipMsg *msg, const char *name, const char *value,
                                         GError **error);
/* Removes every header with this id (or, for BELL_SIP_HDR_OTHER, this name); returns how many. */
guint       bell_sip_msg_remove_headers (BellSipMsg *msg, BellSipHdrId id, const char *name);
/* Removes the first header with this id (e.g. the top Via). */
gboolean    bell_sip_msg_remove_first   (BellSipMsg *msg, BellSipHdrId id);
/* Sets the body and Content-Type (NULL content_type removes it); Content-Length follows. */
void        bell_sip_msg_set_body     (BellSipMsg *msg, const char *content_type,
                                       const void *data, gsize len);

/* Overwrites the body with zeroes where it is (its length stays): for a message that must be
 * kept although what its SDP says is of no further use, as a call's INVITE, which its
 * transaction keeps for 32 s after the 2xx, with the SRTP keys of both sides in it and its 2xx.
 * NULL is ignored. */
void        bell_sip_msg_wipe_body    (BellSipMsg *msg);

/* Printing: always a valid message. Content-Length is printed from the body. */
GBytes     *bell_sip_msg_to_bytes     (const BellSipMsg *msg);
char       *bell_sip_msg_to_string    (const BellSipMsg *msg, gsize *len);
/* For logs: as bell_sip_msg_to_string, with Authorization-type credentials replaced by "…". */
char       *bell_sip_msg_to_log_string (const BellSipMsg *msg);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellSipMsg, bell_sip_msg_unref)

G_END_DECLS
