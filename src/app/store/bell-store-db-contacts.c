/* bell-store-db-contacts.c: contacts and their addresses in SQLite (worker thread). */
#define G_LOG_DOMAIN "bellbird-store"

#include "config.h"

#include "bell-store-db.h"
#include "bell-store.h"
#include "bell-store-private.h"

#include <inttypes.h>
#include <glib/gi18n-lib.h>

static sqlite3_stmt *
prepare (sqlite3 *db, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      _bell_store_db_set_error (error, db, rc);
      sqlite3_finalize (stmt);
      return NULL;
    }
  return stmt;
}

/* Runs stmt to its end and finalizes it; FALSE (with error) unless it finished cleanly. */
static gboolean
run_once (sqlite3 *db, sqlite3_stmt *stmt, GError **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      _bell_store_db_set_error (error, db, rc);
      return FALSE;
    }
  return TRUE;
}

static const char *
column_text (sqlite3_stmt *stmt, int column)
{
  return (const char *) sqlite3_column_text (stmt, column);
}

static int
compare_contact_ptrs (gconstpointer a, gconstpointer b, gpointer user_data)
{
  return bell_contact_compare_by_name (*(BellContact **) a, *(BellContact **) b, NULL);
}

GPtrArray *
_bell_store_db_load_contacts (sqlite3 *db, GError **error)
{
  g_autoptr(GPtrArray) contacts = g_ptr_array_new_with_free_func (g_object_unref);
  /* id -> contact; keys are the ids inside an array that lives as long as the table. */
  g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare (db, "SELECT id, name, note FROM contacts", error);
  if (!stmt)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      BellContact *contact = bell_contact_new (column_text (stmt, 1));
      _bell_contact_set_id (contact, id);
      bell_contact_set_note (contact, column_text (stmt, 2));
      g_ptr_array_add (contacts, contact);
      g_array_append_val (ids, id);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      _bell_store_db_set_error (error, db, rc);
      return NULL;
    }
  for (guint i = 0; i < contacts->len; i++)
    g_hash_table_insert (by_id, &g_array_index (ids, gint64, i), contacts->pdata[i]);

  stmt = prepare (db,
                  "SELECT contact_id, label, uri FROM contact_addresses"
                  " ORDER BY contact_id, position", error);
  if (!stmt)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 id = sqlite3_column_int64 (stmt, 0);
      BellContact *contact = g_hash_table_lookup (by_id, &id);
      const char *uri = column_text (stmt, 2);
      if (contact && uri)
        bell_contact_add_address (contact, column_text (stmt, 1), uri);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      _bell_store_db_set_error (error, db, rc);
      return NULL;
    }

  g_ptr_array_sort_with_data (contacts, compare_contact_ptrs, NULL);
  return g_steal_pointer (&contacts);
}

gboolean
_bell_store_db_check_contact (BellContact *contact, GError **error)
{
  g_autofree char *name = g_strstrip (g_strdup (bell_contact_get_name (contact)));
  guint n = bell_contact_get_n_addresses (contact);

  if (!*name)
    {
      g_set_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_INVALID,
                   _("A contact needs a name"));
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      if (!*bell_contact_get_address (contact, i)->uri)
        {
          g_set_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_INVALID,
                       _("An address of “%s” is empty"), name);
          return FALSE;
        }
    }
  if (n == 0)
    {
      g_set_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_INVALID,
                   _("“%s” needs a number or an address to call"), name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
insert_addresses (sqlite3 *db, BellContact *contact, GError **error)
{
  gint64 id = bell_contact_get_id (contact);

  for (guint i = 0; i < bell_contact_get_n_addresses (contact); i++)
    {
      const BellContactAddress *address = bell_contact_get_address (contact, i);
      sqlite3_stmt *stmt = prepare (db,
                                    "INSERT INTO contact_addresses"
                                    " (contact_id, position, label, uri) VALUES (?, ?, ?, ?)",
                                    error);
      if (!stmt)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, id);
      sqlite3_bind_int (stmt, 2, (int) i);
      sqlite3_bind_text (stmt, 3, address->label, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 4, address->uri, -1, SQLITE_TRANSIENT);
      if (!run_once (db, stmt, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
_bell_store_db_insert_contact (sqlite3 *db, BellContact *contact, GError **error)
{
  sqlite3_stmt *stmt;

  if (!_bell_store_db_check_contact (contact, error))
    return FALSE;
  stmt = prepare (db, "INSERT INTO contacts (name, note) VALUES (?, ?)", error);
  if (!stmt)
    return FALSE;
  sqlite3_bind_text (stmt, 1, bell_contact_get_name (contact), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, bell_contact_get_note (contact), -1, SQLITE_TRANSIENT);
  if (!run_once (db, stmt, error))
    return FALSE;
  _bell_contact_set_id (contact, sqlite3_last_insert_rowid (db));
  return insert_addresses (db, contact, error);
}

static gboolean
check_changed (sqlite3 *db, gint64 id, GError **error)
{
  if (sqlite3_changes (db) > 0)
    return TRUE;
  g_set_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_NOT_FOUND,
               _("No contact with id %" PRId64), id);
  return FALSE;
}

gboolean
_bell_store_db_update_contact (sqlite3 *db, BellContact *contact, GError **error)
{
  gint64 id = bell_contact_get_id (contact);
  sqlite3_stmt *stmt;

  if (!_bell_store_db_check_contact (contact, error))
    return FALSE;
  stmt = prepare (db, "UPDATE contacts SET name = ?, note = ? WHERE id = ?", error);
  if (!stmt)
    return FALSE;
  sqlite3_bind_text (stmt, 1, bell_contact_get_name (contact), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, bell_contact_get_note (contact), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, id);
  if (!run_once (db, stmt, error) || !check_changed (db, id, error))
    return FALSE;

  stmt = prepare (db, "DELETE FROM contact_addresses WHERE contact_id = ?", error);
  if (!stmt)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  return run_once (db, stmt, error) && insert_addresses (db, contact, error);
}

gboolean
_bell_store_db_delete_contact (sqlite3 *db, gint64 id, GError **error)
{
  /* The addresses go with it: ON DELETE CASCADE. */
  sqlite3_stmt *stmt = prepare (db, "DELETE FROM contacts WHERE id = ?", error);

  if (!stmt)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  return run_once (db, stmt, error) && check_changed (db, id, error);
}
