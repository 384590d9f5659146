/* bell-store-db-history.c: the call history in SQLite (worker thread). */
#define G_LOG_DOMAIN "bellbird-store"

#include "config.h"

#include "bell-store-db.h"
#include "bell-store.h"
#include "bell-store-private.h"

#include <inttypes.h>
#include <glib/gi18n-lib.h>
#include <string.h>

static const char *
column_text (sqlite3_stmt *stmt, int column)
{
  return (const char *) sqlite3_column_text (stmt, column);
}

static BellCallDirection
direction_from_string (const char *text)
{
  return g_strcmp0 (text, "outgoing") == 0 ? BELL_CALL_DIRECTION_OUTGOING
                                           : BELL_CALL_DIRECTION_INCOMING;
}

static BellCallOutcome
outcome_from_string (const char *text)
{
  static const BellCallOutcome all[] = {
    BELL_CALL_OUTCOME_ANSWERED, BELL_CALL_OUTCOME_MISSED, BELL_CALL_OUTCOME_DECLINED,
    BELL_CALL_OUTCOME_FAILED, BELL_CALL_OUTCOME_CANCELLED,
  };

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    if (g_strcmp0 (text, bell_call_outcome_to_string (all[i])) == 0)
      return all[i];
  return BELL_CALL_OUTCOME_FAILED;
}

/* Prepares sql, binds id when id > 0, runs it once. */
static gboolean
run_sql (sqlite3 *db, const char *sql, gint64 id, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      if (id > 0)
        sqlite3_bind_int64 (stmt, 1, id);
      rc = sqlite3_step (stmt);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_OK)
    {
      _bell_store_db_set_error (error, db, rc);
      return FALSE;
    }
  return TRUE;
}

GPtrArray *
_bell_store_db_load_history (sqlite3 *db, GError **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db,
                               "SELECT id, direction, peer_uri, peer_name, account, started,"
                               " duration, outcome, reason, seen FROM history"
                               " ORDER BY started DESC, id DESC", -1, &stmt, NULL);

  while (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 duration = sqlite3_column_int64 (stmt, 6);
      BellHistoryEntry *entry =
        bell_history_entry_new (direction_from_string (column_text (stmt, 1)),
                                column_text (stmt, 2) ? column_text (stmt, 2) : "",
                                column_text (stmt, 3),
                                column_text (stmt, 4),
                                sqlite3_column_int64 (stmt, 5),
                                (guint) CLAMP (duration, 0, G_MAXUINT),
                                outcome_from_string (column_text (stmt, 7)),
                                column_text (stmt, 8));
      _bell_history_entry_set_id (entry, sqlite3_column_int64 (stmt, 0));
      _bell_history_entry_set_seen (entry, sqlite3_column_int (stmt, 9) != 0);
      g_ptr_array_add (entries, entry);
      rc = SQLITE_OK;
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      _bell_store_db_set_error (error, db, rc);
      return NULL;
    }
  return g_steal_pointer (&entries);
}

gboolean
_bell_store_db_insert_history (sqlite3 *db, BellHistoryEntry *entry, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db,
                               "INSERT INTO history (direction, peer_uri, peer_name, account,"
                               " started, duration, outcome, reason, seen)"
                               " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1,
                         bell_call_direction_to_string (bell_history_entry_get_direction (entry)),
                         -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, bell_history_entry_get_peer_uri (entry), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, bell_history_entry_get_peer_name (entry), -1,
                         SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 4, bell_history_entry_get_account (entry), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 5, bell_history_entry_get_started (entry));
      sqlite3_bind_int64 (stmt, 6, bell_history_entry_get_duration (entry));
      sqlite3_bind_text (stmt, 7,
                         bell_call_outcome_to_string (bell_history_entry_get_outcome (entry)),
                         -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 8, bell_history_entry_get_reason (entry), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (stmt, 9, bell_history_entry_get_seen (entry));
      rc = sqlite3_step (stmt);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      _bell_store_db_set_error (error, db, rc);
      return FALSE;
    }
  _bell_history_entry_set_id (entry, sqlite3_last_insert_rowid (db));
  return TRUE;
}

gboolean
_bell_store_db_delete_history (sqlite3 *db, gint64 id, GError **error)
{
  if (!run_sql (db, "DELETE FROM history WHERE id = ?", id, error))
    return FALSE;
  if (sqlite3_changes (db) == 0)
    {
      g_set_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_NOT_FOUND,
                   _("No call with id %" PRId64 " in the history"), id);
      return FALSE;
    }
  return TRUE;
}

gboolean
_bell_store_db_clear_history (sqlite3 *db, GError **error)
{
  return run_sql (db, "DELETE FROM history", 0, error);
}

gboolean
_bell_store_db_mark_history_seen (sqlite3 *db, GError **error)
{
  return run_sql (db, "UPDATE history SET seen = 1 WHERE outcome = 'missed' AND seen = 0", 0,
                  error);
}
