/* bell-store-db.h (private): the SQLite side of the store. Every function here runs on the
 * store's worker thread only; the objects they return are new and not shared yet. */
#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

#include "bell-contact.h"
#include "bell-history-entry.h"

G_BEGIN_DECLS

/* Opens path after checking it is a Bellbird database (or a new, empty file), turns on WAL
 * and foreign keys, and runs the migrations it lacks. The file is not written before those
 * checks pass. */
sqlite3   *_bell_store_db_open              (const char        *path,
                                             GError           **error);
/* A BellStoreError for rc (and the message SQLite gives on db, which may be NULL). */
void       _bell_store_db_set_error         (GError           **error,
                                             sqlite3           *db,
                                             int                rc);
gboolean   _bell_store_db_exec              (sqlite3           *db,
                                             const char        *sql,
                                             GError           **error);
gboolean   _bell_store_db_begin             (sqlite3           *db,
                                             GError           **error);
gboolean   _bell_store_db_commit            (sqlite3           *db,
                                             GError           **error);
void       _bell_store_db_rollback          (sqlite3           *db);

/* BellContact objects sorted by name. */
GPtrArray *_bell_store_db_load_contacts     (sqlite3           *db,
                                             GError           **error);
/* Inside the caller's transaction; sets the contact's id. */
gboolean   _bell_store_db_insert_contact    (sqlite3           *db,
                                             BellContact       *contact,
                                             GError           **error);
gboolean   _bell_store_db_update_contact    (sqlite3           *db,
                                             BellContact       *contact,
                                             GError           **error);
gboolean   _bell_store_db_delete_contact    (sqlite3           *db,
                                             gint64             id,
                                             GError           **error);
/* A contact can be stored: a name and at least one non-empty address. */
gboolean   _bell_store_db_check_contact     (BellContact       *contact,
                                             GError           **error);

/* BellHistoryEntry objects, newest first. */
GPtrArray *_bell_store_db_load_history      (sqlite3           *db,
                                             GError           **error);
/* Sets the entry's id. */
gboolean   _bell_store_db_insert_history    (sqlite3           *db,
                                             BellHistoryEntry  *entry,
                                             GError           **error);
gboolean   _bell_store_db_delete_history    (sqlite3           *db,
                                             gint64             id,
                                             GError           **error);
gboolean   _bell_store_db_clear_history     (sqlite3           *db,
                                             GError           **error);
gboolean   _bell_store_db_mark_history_seen (sqlite3           *db,
                                             GError           **error);

G_END_DECLS
