/* bell-store-private.h: what the store sets on its value objects and nobody else may. */
#pragma once

#include "bell-contact.h"
#include "bell-history-entry.h"

G_BEGIN_DECLS

void _bell_contact_set_id         (BellContact      *self,
                                   gint64            id);
void _bell_history_entry_set_id   (BellHistoryEntry *self,
                                   gint64            id);
void _bell_history_entry_set_seen (BellHistoryEntry *self,
                                   gboolean          seen);
/* Same name, note and addresses (ids aside): an import does not add a contact twice. */
gboolean _bell_contact_equal_content (BellContact *a,
                                      BellContact *b);

G_END_DECLS
