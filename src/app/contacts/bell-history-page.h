/* bell-history-page.h: the History view: calls newest first, call back, delete, clear.
 *
 * Signals:
 *   "call" (const char *uri): the user asked to call uri back.
 */
#pragma once

#include <adwaita.h>

#include "bell-store.h"

G_BEGIN_DECLS

#define BELL_TYPE_HISTORY_PAGE (bell_history_page_get_type ())
G_DECLARE_FINAL_TYPE (BellHistoryPage, bell_history_page, BELL, HISTORY_PAGE, AdwBin)

GtkWidget *bell_history_page_new       (BellStore       *store);
/* The user is looking at the page: the missed calls count as seen (the window calls this
 * when the page becomes visible). */
void       bell_history_page_mark_seen (BellHistoryPage *self);
/* Calls the incoming-call policy refused (they never rang, so they are not in the history):
 * "Refused N calls from unknown addresses" under the list; nothing when count is 0. */
void       bell_history_page_set_refused_calls (BellHistoryPage *self, guint64 count);

G_END_DECLS
