/* bell-contact-labels.h: the address labels the editor offers, and their translated names. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The labels offered for a new address, in menu order: "mobile", "work", "home", "sip",
 * "phone", "other"; NULL-terminated. */
const char * const *bell_contact_label_keys    (void);
/* "Mobile", "Work" ... translated; an unknown label as it is, "" for an empty one. */
const char         *bell_contact_label_display (const char *label);

G_END_DECLS
