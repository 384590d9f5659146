/* bell-history-entry.h: one call in the call history, an immutable value (only "seen" changes,
 * through bell_store_mark_history_seen_async()). */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  BELL_CALL_DIRECTION_INCOMING,
  BELL_CALL_DIRECTION_OUTGOING,
} BellCallDirection;

typedef enum
{
  BELL_CALL_OUTCOME_ANSWERED,   /* connected; duration says for how long */
  BELL_CALL_OUTCOME_MISSED,     /* incoming, nobody answered */
  BELL_CALL_OUTCOME_DECLINED,   /* incoming declined by us, or outgoing refused by the peer */
  BELL_CALL_OUTCOME_FAILED,     /* an error: see the reason */
  BELL_CALL_OUTCOME_CANCELLED,  /* outgoing, we hung up before an answer */
} BellCallOutcome;

#define BELL_TYPE_CALL_DIRECTION (bell_call_direction_get_type ())
GType       bell_call_direction_get_type  (void) G_GNUC_CONST;
#define BELL_TYPE_CALL_OUTCOME (bell_call_outcome_get_type ())
GType       bell_call_outcome_get_type    (void) G_GNUC_CONST;
/* Stable keys ("incoming", "missed" ...), as stored in the database; not for display. */
const char *bell_call_direction_to_string (BellCallDirection direction);
const char *bell_call_outcome_to_string   (BellCallOutcome   outcome);

#define BELL_TYPE_HISTORY_ENTRY (bell_history_entry_get_type ())
G_DECLARE_FINAL_TYPE (BellHistoryEntry, bell_history_entry, BELL, HISTORY_ENTRY, GObject)

/* peer_name, account (the AOR the call used; NULL for a direct call) and reason may be NULL.
 * started: unix time in microseconds (g_get_real_time ()); duration: seconds connected. */
BellHistoryEntry *bell_history_entry_new          (BellCallDirection direction,
                                                   const char       *peer_uri,
                                                   const char       *peer_name,
                                                   const char       *account,
                                                   gint64            started,
                                                   guint             duration,
                                                   BellCallOutcome   outcome,
                                                   const char       *reason);
/* 0 until stored. */
gint64            bell_history_entry_get_id        (BellHistoryEntry *self);
BellCallDirection bell_history_entry_get_direction (BellHistoryEntry *self);
const char       *bell_history_entry_get_peer_uri  (BellHistoryEntry *self);
const char       *bell_history_entry_get_peer_name (BellHistoryEntry *self);
const char       *bell_history_entry_get_account   (BellHistoryEntry *self);
gint64            bell_history_entry_get_started   (BellHistoryEntry *self);
guint             bell_history_entry_get_duration  (BellHistoryEntry *self);
BellCallOutcome   bell_history_entry_get_outcome   (BellHistoryEntry *self);
const char       *bell_history_entry_get_reason    (BellHistoryEntry *self);
/* Whether the user has looked at this (missed) call. */
gboolean          bell_history_entry_get_seen      (BellHistoryEntry *self);
/* A missed call the user has not looked at yet. */
gboolean          bell_history_entry_is_missed_unseen (BellHistoryEntry *self);
/* Newest first (ties: higher id first): a GCompareDataFunc. */
int               bell_history_entry_compare_newest_first (gconstpointer a,
                                                           gconstpointer b,
                                                           gpointer      user_data);

G_END_DECLS
