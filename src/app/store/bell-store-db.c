/* bell-store-db.c: opening the database safely, the schema migrations, SQLite errors. */
#define G_LOG_DOMAIN "bellbird-store"

#include "config.h"

#include "bell-store-db.h"
#include "bell-store.h"

#include <inttypes.h>
#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

/* PRAGMA application_id of a Bellbird database ("BELL"): tells our file from another
 * program's SQLite file that happens to sit at the same path. */
#define BELL_STORE_APPLICATION_ID 0x42454c4c

void
_bell_store_db_set_error (GError **error, sqlite3 *db, int rc)
{
  const char *detail = db ? sqlite3_errmsg (db) : sqlite3_errstr (rc);

  switch (rc & 0xff)
    {
    case SQLITE_NOTADB:
      g_set_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_NOT_A_DATABASE,
                   _("The file is not a Bellbird database (%s)"), detail);
      break;
    case SQLITE_CORRUPT:
      g_set_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_CORRUPT,
                   _("The database is damaged (%s)"), detail);
      break;
    case SQLITE_FULL:
      g_set_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_DISK_FULL,
                   _("The disk is full: the change was not saved (%s)"), detail);
      break;
    case SQLITE_READONLY:
    case SQLITE_PERM:
      g_set_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_READ_ONLY,
                   _("The database cannot be written (%s)"), detail);
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_set_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_BUSY,
                   _("The database is in use by another program (%s)"), detail);
      break;
    case SQLITE_CANTOPEN:
      g_set_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_CANT_OPEN,
                   _("The database cannot be opened (%s)"), detail);
      break;
    default:
      g_set_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_FAILED,
                   _("Database error: %s"), detail);
    }
}

gboolean
_bell_store_db_exec (sqlite3 *db, const char *sql, GError **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      _bell_store_db_set_error (error, db, rc);
      return FALSE;
    }
  return TRUE;
}

gboolean
_bell_store_db_begin (sqlite3 *db, GError **error)
{
  /* IMMEDIATE takes the write lock now, so a busy database fails here, not half-way. */
  return _bell_store_db_exec (db, "BEGIN IMMEDIATE", error);
}

gboolean
_bell_store_db_commit (sqlite3 *db, GError **error)
{
  if (_bell_store_db_exec (db, "COMMIT", error))
    return TRUE;
  _bell_store_db_rollback (db);
  return FALSE;
}

void
_bell_store_db_rollback (sqlite3 *db)
{
  if (!sqlite3_get_autocommit (db))
    sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
}

/* The one integer a "PRAGMA x" or "SELECT count(*)" gives. */
static gboolean
query_int (sqlite3 *db, const char *sql, gint64 *out, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          *out = sqlite3_column_int64 (stmt, 0);
          rc = SQLITE_OK;
        }
    }
  if (rc != SQLITE_OK)
    _bell_store_db_set_error (error, db, rc);
  sqlite3_finalize (stmt);
  return rc == SQLITE_OK;
}

/* Migrations ------------------------------------------------------------------------------ */

/* v1: contacts with ordered addresses, and the call history. Enum values are stored as their
 * string keys so the file reads well and a new value never renumbers old rows. The first
 * creation seeds the echo-test contact. */
static gboolean
migrate_v1 (sqlite3 *db, GError **error)
{
  static const char schema[] =
    "CREATE TABLE contacts ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  note TEXT);"
    "CREATE TABLE contact_addresses ("
    "  id INTEGER PRIMARY KEY,"
    "  contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,"
    "  position INTEGER NOT NULL,"
    "  label TEXT NOT NULL DEFAULT '',"
    "  uri TEXT NOT NULL);"
    "CREATE INDEX contact_addresses_by_contact ON contact_addresses (contact_id, position);"
    "CREATE TABLE history ("
    "  id INTEGER PRIMARY KEY,"
    "  direction TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing')),"
    "  peer_uri TEXT NOT NULL,"
    "  peer_name TEXT,"
    "  account TEXT,"
    "  started INTEGER NOT NULL,"
    "  duration INTEGER NOT NULL DEFAULT 0,"
    "  outcome TEXT NOT NULL"
    "    CHECK (outcome IN ('answered', 'missed', 'declined', 'failed', 'cancelled')),"
    "  reason TEXT,"
    "  seen INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX history_by_started ON history (started DESC, id DESC);";

  if (!_bell_store_db_exec (db, schema, error))
    return FALSE;

  g_autoptr(BellContact) echo = bell_contact_new (_("Echo test"));
  /* The literal address "echo": the app maps it to its built-in echo service. */
  bell_contact_add_address (echo, "echo", "echo");
  return _bell_store_db_insert_contact (db, echo, error);
}

typedef gboolean (*BellStoreMigration) (sqlite3 *db, GError **error);

/* migrations[i] takes the schema from version i to i + 1. Append only: never edit one that
 * has shipped. */
static const BellStoreMigration migrations[] = {
  migrate_v1,
};
G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == BELL_STORE_SCHEMA_VERSION);

/* One step, inside the caller's transaction. */
static gboolean
migrate_to (sqlite3 *db, gint64 version, GError **error)
{
  gint64 current = 0;
  g_autofree char *set = NULL;

  /* Read again under the write lock: another Bellbird may have migrated meanwhile. */
  if (!query_int (db, "PRAGMA user_version", &current, error))
    return FALSE;
  if (current >= version)
    return TRUE;
  if (!migrations[version - 1] (db, error))
    return FALSE;
  set = g_strdup_printf ("PRAGMA user_version = %" G_GINT64_FORMAT ";"
                         "PRAGMA application_id = %d;", version, BELL_STORE_APPLICATION_ID);
  return _bell_store_db_exec (db, set, error);
}

static gboolean
migrate (sqlite3 *db, GError **error)
{
  gint64 current = 0;

  if (!query_int (db, "PRAGMA user_version", &current, error))
    return FALSE;
  /* Each step in its own transaction: a failure leaves the last complete version. */
  for (gint64 version = current + 1; version <= BELL_STORE_SCHEMA_VERSION; version++)
    {
      if (!_bell_store_db_begin (db, error))
        return FALSE;
      if (!migrate_to (db, version, error) || !_bell_store_db_commit (db, error))
        {
          _bell_store_db_rollback (db);
          return FALSE;
        }
    }
  return TRUE;
}

/* Reads (never writes) what tells us whether the file is ours to use. */
static gboolean
check_file (sqlite3 *db, const char *path, GError **error)
{
  gint64 application_id = 0, version = 0, n_objects = 0;

  if (!query_int (db, "PRAGMA application_id", &application_id, error)
      || !query_int (db, "PRAGMA user_version", &version, error)
      || !query_int (db, "SELECT count(*) FROM sqlite_master", &n_objects, error))
    {
      g_prefix_error (error, "%s: ", path);
      return FALSE;
    }
  if ((version > 0 || n_objects > 0) && application_id != BELL_STORE_APPLICATION_ID)
    {
      g_set_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_NOT_A_DATABASE,
                   _("%s belongs to another program: Bellbird leaves it alone"), path);
      return FALSE;
    }
  if (version > BELL_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_NEWER_SCHEMA,
                   _("%s was written by a newer version of Bellbird (schema %" PRId64
                     ", this version knows %d): update Bellbird to open it"),
                   path, version, BELL_STORE_SCHEMA_VERSION);
      return FALSE;
    }
  return TRUE;
}

sqlite3 *
_bell_store_db_open (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  sqlite3 *db = NULL;
  int rc;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_CANT_OPEN,
                   _("Cannot create the folder %s: %s"), dir, g_strerror (saved));
      return NULL;
    }

  /* NOMUTEX: only the worker thread uses the connection. */
  rc = sqlite3_open_v2 (path, &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    {
      _bell_store_db_set_error (error, db, rc);
      g_prefix_error (error, "%s: ", path);
      sqlite3_close_v2 (db);
      return NULL;
    }
  sqlite3_extended_result_codes (db, 1);
  sqlite3_busy_timeout (db, 2000);

  if (!check_file (db, path, error)
      || !_bell_store_db_exec (db,
                               "PRAGMA foreign_keys = ON;"
                               "PRAGMA journal_mode = WAL;"
                               "PRAGMA synchronous = NORMAL;", error)
      || !migrate (db, error))
    {
      sqlite3_close_v2 (db);
      return NULL;
    }
  return db;
}
