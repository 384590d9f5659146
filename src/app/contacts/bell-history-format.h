/* bell-history-format.h: the texts of a history row (time, duration, outcome), translated. */
#pragma once

#include "bell-history-entry.h"

G_BEGIN_DECLS

/* "14:32" today, "Yesterday", a weekday within the last week, else a date; now in the same
 * time zone as when. */
char *bell_history_format_time     (GDateTime        *when,
                                    GDateTime        *now);
/* "0:42", "3:05", "1:02:05". */
char *bell_history_format_duration (guint             seconds);
/* The duration for an answered call; otherwise "Missed", "Declined", "Cancelled",
 * "Failed: reason" ("Failed" without one). */
char *bell_history_format_outcome  (BellHistoryEntry *entry);

G_END_DECLS
