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

/* Typed parse of h->value by h->id into the arena; *why says what is wrong. */
gboolean bell_sip_header_parse_value  (BellArena *arena, BellSipHeader *h, const char **why);
gboolean bell_sip_header_may_be_empty (BellSipHdrId id);

/* Splits a list header's value on the commas that separate elements (not those in quotes or
 * <>); calls back with each trimmed element. Returns FALSE on an empty element. */
typedef gboolean (*BellSipElementFunc) (BellStr element, gboolean joined, gpointer user_data);
gboolean bell_sip_split_list (BellStr value, BellSipElementFunc func, gpointer user_data);

BellSipMsg *_bell_sip_msg_new_empty (void);
gboolean    _bell_sip_msg_add_line  (BellSipMsg *msg, guint pos, BellSipHdrId id, BellStr name,
                                     BellStr value, guint line, const char **why);

/* Appends (or inserts at index) a header slot; the caller fills it. NULL over the limit. */
BellSipHeader *bell_sip_msg_insert_slot (BellSipMsg *msg, guint index);
void           bell_sip_msg_reindex     (BellSipMsg *msg);

G_END_DECLS
