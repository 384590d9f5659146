/* bell-sip-msg-private.h: the message struct, shared by the parser, builder and checker. */
#pragma once

#include "bell-arena.h"
#include "bell-sip-msg.h"

G_BEGIN_DECLS

struct _BellSipMsg
{
  gint           ref_count;
  BellArena      arena;
  gboolean       is_request;

  BellSipMethod  method;
  BellStr        method_str;
  BellSipUri     ruri;
  guint          status;
  BellStr        reason;

  BellSipHeader *headers;
  guint          n_headers;
  guint          headers_cap;
  guint16        first[BELL_SIP_HDR_N_IDS];  /* index + 1 of the first of each id; 0: none */

  const char    *body;
  gsize          body_len;
};

/* As bell_sip_hdr_id_from_name, reading whole 64-bit words: the name must lie in a buffer with
 * at least 8 readable bytes after its end (a parsed message's copy is padded for this). */
BellSipHdrId bell_sip_hdr_id_lookup_padded (const char *name, gsize len);
#define BELL_SIP_MSG_PADDING 16

/* Typed parse of h->value by h->id into the arena; *why says what is wrong. *stop is where the
 * value ended: the end of h->value, or for a list element the ',' before the next one. */
gboolean bell_sip_header_parse_value  (BellArena *arena, BellSipHeader *h, const char **stop,
                                       const char **why);
gboolean bell_sip_header_may_be_empty (BellSipHdrId id);
/* Free-text headers (and unknown ones): no typed parser checks their characters. */
gboolean bell_sip_header_is_text     (BellSipHdrId id);
/* List headers whose elements are stored as headers of their own (Via, Contact, Route ...);
 * token lists (Allow, Supported ...) stay one header each. */
gboolean bell_sip_hdr_id_splits      (BellSipHdrId id);


BellSipMsg *_bell_sip_msg_new_empty (void);
gboolean    _bell_sip_msg_add_line  (BellSipMsg *msg, guint pos, BellSipHdrId id, BellStr name,
                                     BellStr value, guint line, const char **why);

/* Appends (or inserts at index) a header slot; the caller fills it. NULL over the limit. */
BellSipHeader *bell_sip_msg_insert_slot (BellSipMsg *msg, guint index);
void           bell_sip_msg_reindex     (BellSipMsg *msg);

G_END_DECLS
