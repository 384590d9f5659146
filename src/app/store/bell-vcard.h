/* bell-vcard.h: vCard text to contacts and back. Pure functions: no I/O, no store.
 *
 * Reading accepts vCard 2.1, 3.0 and 4.0 (RFC 2426, RFC 6350, and the 2.1 spec); writing
 * produces vCard 4.0 with CRLF line ends, lines folded at 75 octets.
 */
#pragma once

#include <glib-object.h>

#include "bell-contact.h"

G_BEGIN_DECLS

#define BELL_VCARD_ERROR (bell_vcard_error_quark ())

typedef enum
{
  BELL_VCARD_ERROR_MALFORMED,   /* bad syntax; the message names the line */
  BELL_VCARD_ERROR_ENCODING,    /* not UTF-8, or a charset or encoding we cannot read */
  BELL_VCARD_ERROR_TOO_LARGE,   /* over a size limit (a line, a card, the number of cards) */
} BellVcardError;

GQuark     bell_vcard_error_quark (void);

/* Limits that keep hostile input cheap. */
#define BELL_VCARD_MAX_INPUT     (16 * 1024 * 1024)
#define BELL_VCARD_MAX_LINE      (64 * 1024)      /* one property after unfolding */
#define BELL_VCARD_MAX_CARDS     100000
#define BELL_VCARD_MAX_ADDRESSES 100              /* per card */

/* The cards in text (len bytes, need not be NUL-terminated) as BellContact objects with id 0,
 * in file order; an element-free array when text holds no card. A card's name is FN, else one
 * made from N, else ORG; its addresses are TEL, IMPP with a sip:/sips: URI and X-SIP, labelled
 * from their TYPE ("mobile", "work", "home", "fax", "pager", "main", "phone", "sip" ...); URL,
 * EMAIL and other properties are ignored. NULL with a BellVcardError naming the line when the
 * text is malformed. */
GPtrArray *bell_vcard_parse       (const char   *text,
                                   gsize         len,
                                   GError      **error);
/* The contacts as vCard 4.0 text (UTF-8, CRLF). */
char      *bell_vcard_print       (BellContact **contacts,
                                   guint         n);

G_END_DECLS
