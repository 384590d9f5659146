/* test-store.c: the SQLite store: a fresh database, contacts and history through the async
 * API and their models, persistence, files it must refuse (and leave untouched), vCard
 * import/export, and the main loop staying free while the worker waits on SQLite. */
#include "bell-store.h"
#include "bell-vcard.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

/* Each test: a private folder, removed at the end. */
typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("bell-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "sub", "bellbird.sqlite", NULL);
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  if (dir)
    g_dir_close (dir);
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

/* Waiting for async results ---------------------------------------------------------------- */

static gboolean
on_timeout (gpointer data)
{
  g_error ("timed out waiting for %s", (const char *) data);
  return G_SOURCE_REMOVE;
}

static void
on_result (GObject *source, GAsyncResult *result, gpointer data)
{
  GAsyncResult **slot = data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

/* Iterates the default context until *slot is set; returns it (transfer full). */
static GAsyncResult *
wait_for (GAsyncResult **slot, const char *what)
{
  guint timeout = g_timeout_add_seconds (20, on_timeout, (gpointer) what);

  while (!*slot)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timeout);
  return g_steal_pointer (slot);
}

static BellStore *
open_store (const char *path, GError **error)
{
  GAsyncResult *slot = NULL;

  bell_store_open_async (path, NULL, on_result, &slot);
  g_autoptr(GAsyncResult) result = wait_for (&slot, "open");
  return bell_store_open_finish (result, error);
}

static BellStore *
open_ok (const char *path)
{
  g_autoptr(GError) error = NULL;
  BellStore *store = open_store (path, &error);

  g_assert_no_error (error);
  g_assert_true (BELL_IS_STORE (store));
  return store;
}

/* Closes store and checks nothing else keeps it (its worker thread then ends). */
static void
close_store (BellStore *store)
{
  g_assert_finalize_object (store);
}

static BellContact *
add_contact (BellStore *store, BellContact *contact, GError **error)
{
  GAsyncResult *slot = NULL;

  bell_store_add_contact_async (store, contact, NULL, on_result, &slot);
  g_autoptr(GAsyncResult) result = wait_for (&slot, "add contact");
  return bell_store_add_contact_finish (store, result, error);
}

static BellContact *
add_contact_ok (BellStore *store, const char *name, const char *label, const char *uri)
{
  g_autoptr(BellContact) contact = bell_contact_new (name);
  g_autoptr(GError) error = NULL;
  BellContact *stored;

  bell_contact_add_address (contact, label, uri);
  stored = add_contact (store, contact, &error);
  g_assert_no_error (error);
  g_assert_nonnull (stored);
  g_object_unref (stored);  /* the model keeps it */
  return stored;
}

static BellHistoryEntry *
add_history_ok (BellStore *store, BellCallDirection direction, const char *uri, gint64 started,
                guint duration, BellCallOutcome outcome)
{
  g_autoptr(BellHistoryEntry) entry =
    bell_history_entry_new (direction, uri, NULL, "sip:me@example.com", started, duration,
                            outcome, outcome == BELL_CALL_OUTCOME_FAILED ? "503" : NULL);
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;

  bell_store_add_history_async (store, entry, NULL, on_result, &slot);
  g_autoptr(GAsyncResult) result = wait_for (&slot, "add history");
  BellHistoryEntry *stored = bell_store_add_history_finish (store, result, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bell_history_entry_get_id (stored), >, 0);
  g_object_unref (stored);
  return stored;
}

typedef gboolean (*FinishBool) (BellStore *, GAsyncResult *, GError **);

static gboolean
finish_bool (BellStore *store, GAsyncResult **slot, FinishBool finish, const char *what,
             GError **error)
{
  g_autoptr(GAsyncResult) result = wait_for (slot, what);
  return finish (store, result, error);
}

/* Model signal recorder -------------------------------------------------------------------- */

typedef struct
{
  guint count;
  guint position, removed, added;
} Changes;

static void
on_items_changed (GListModel *model, guint position, guint removed, guint added, Changes *c)
{
  c->count++;
  c->position = position;
  c->removed = removed;
  c->added = added;
}

static const char *
name_at (GListModel *model, guint i)
{
  g_autoptr(BellContact) contact = g_list_model_get_item (model, i);
  return bell_contact_get_name (contact);   /* the model keeps the object alive */
}

static gint64
user_version (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 version = -1;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return version;
}

/* Tests ------------------------------------------------------------------------------------ */

static void
test_create_fresh (Fixture *f, gconstpointer data)
{
  BellStore *store = open_ok (f->path);
  GListModel *contacts = bell_store_get_contacts (store);
  g_autoptr(BellContact) echo = NULL;
  g_autofree char *folder = g_path_get_dirname (f->path);
  GStatBuf st;

  g_assert_cmpstr (bell_store_get_path (store), ==, f->path);
  g_assert_cmpuint (g_list_model_get_item_type (contacts), ==, BELL_TYPE_CONTACT);
  g_assert_cmpuint (g_list_model_get_n_items (contacts), ==, 1);
  echo = g_list_model_get_item (contacts, 0);
  g_assert_cmpstr (bell_contact_get_name (echo), ==, "Echo test");
  g_assert_cmpint (bell_contact_get_id (echo), >, 0);
  g_assert_cmpuint (bell_contact_get_n_addresses (echo), ==, 1);
  g_assert_cmpstr (bell_contact_get_first_uri (echo), ==, "echo");
  g_assert_true (bell_store_find_contact_by_address (store, "echo") == echo);

  g_assert_cmpuint (g_list_model_get_n_items (bell_store_get_history (store)), ==, 0);
  g_assert_cmpuint (bell_store_get_missed_unseen (store), ==, 0);

  /* The folder was made private, the schema is the current one, in WAL mode. */
  g_assert_cmpint (g_stat (folder, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_clear_object (&echo);
  close_store (store);
  g_assert_cmpint (user_version (f->path), ==, BELL_STORE_SCHEMA_VERSION);
}

static void
test_default_path (void)
{
  g_autofree char *path = bell_store_default_path ();
  g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "bellbird",
                                                "bellbird.sqlite", NULL);
  g_autofree char *folder = g_path_get_dirname (path);

  g_assert_cmpstr (path, ==, expected);
  g_assert_true (g_file_test (folder, G_FILE_TEST_IS_DIR));
}

static void
test_contacts_crud (Fixture *f, gconstpointer data)
{
  BellStore *store = open_ok (f->path);
  GListModel *model = bell_store_get_contacts (store);
  Changes changes = { 0 };
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;

  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), &changes);

  /* Add: sorted by name, case-insensitively ("alice" before "Bob" before "Echo test"). */
  BellContact *bob = add_contact_ok (store, "Bob", "mobile", "+44 7700 900123");
  g_assert_cmpuint (changes.count, ==, 1);
  g_assert_cmpuint (changes.position, ==, 0);
  g_assert_cmpuint (changes.added, ==, 1);
  add_contact_ok (store, "alice", "sip", "sip:alice@example.com");
  g_assert_cmpuint (changes.count, ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);
  g_assert_cmpstr (name_at (model, 0), ==, "alice");
  g_assert_cmpstr (name_at (model, 1), ==, "Bob");
  g_assert_cmpstr (name_at (model, 2), ==, "Echo test");
  g_assert_cmpint (bell_contact_get_id (bob), >, 0);

  /* Update: a copy edited, saved; the model re-sorts and replaces the object. */
  g_autoptr(BellContact) edit = bell_contact_copy (bob);
  bell_contact_set_name (edit, "Zoë");
  bell_contact_add_address (edit, "work", "sip:zoe@work.example.com");
  bell_contact_set_note (edit, "new number");
  bell_store_update_contact_async (store, edit, NULL, on_result, &slot);
  g_assert_true (finish_bool (store, &slot, bell_store_update_contact_finish, "update", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changes.count, >=, 3);
  g_assert_cmpstr (name_at (model, 2), ==, "Zoë");
  g_autoptr(BellContact) zoe = g_list_model_get_item (model, 2);
  g_assert_cmpint (bell_contact_get_id (zoe), ==, bell_contact_get_id (edit));
  g_assert_cmpuint (bell_contact_get_n_addresses (zoe), ==, 2);
  g_assert_cmpstr (bell_contact_get_note (zoe), ==, "new number");

  /* Delete. */
  guint before = changes.count;
  bell_store_delete_contact_async (store, bell_contact_get_id (zoe), NULL, on_result, &slot);
  g_assert_true (finish_bool (store, &slot, bell_store_delete_contact_finish, "delete", &error));
  g_assert_cmpuint (changes.count, ==, before + 1);
  g_assert_cmpuint (changes.removed, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);

  /* Errors: a missing id, an invalid contact; the model does not move. */
  before = changes.count;
  bell_store_delete_contact_async (store, bell_contact_get_id (zoe), NULL, on_result, &slot);
  g_assert_false (finish_bool (store, &slot, bell_store_delete_contact_finish, "delete",
                               &error));
  g_assert_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  bell_store_update_contact_async (store, zoe, NULL, on_result, &slot);
  g_assert_false (finish_bool (store, &slot, bell_store_update_contact_finish, "update",
                               &error));
  g_assert_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_autoptr(BellContact) nameless = bell_contact_new ("  ");
  bell_contact_add_address (nameless, "sip", "sip:x@example.com");
  g_assert_null (add_contact (store, nameless, &error));
  g_assert_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_autoptr(BellContact) unreachable = bell_contact_new ("No Number");
  g_assert_null (add_contact (store, unreachable, &error));
  g_assert_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (changes.count, ==, before);

  /* Cancelled before the worker took it: nothing written, nothing changed. */
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(BellContact) late = bell_contact_new ("Late");
  bell_contact_add_address (late, "sip", "sip:late@example.com");
  g_cancellable_cancel (cancellable);
  bell_store_add_contact_async (store, late, cancellable, on_result, &slot);
  g_autoptr(GAsyncResult) result = wait_for (&slot, "cancelled add");
  g_assert_null (bell_store_add_contact_finish (store, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (changes.count, ==, before);

  g_signal_handlers_disconnect_by_data (model, &changes);
  g_clear_object (&zoe);
  g_clear_object (&result);
  close_store (store);
}

static void
test_find_by_address (Fixture *f, gconstpointer data)
{
  BellStore *store = open_ok (f->path);
  BellContact *alice = add_contact_ok (store, "Alice", "sip",
                                       "sip:alice@Example.COM;transport=tcp");
  BellContact *berlin = add_contact_ok (store, "Berlin", "work", "+49 (30) 1234567");
  BellContact *dc = add_contact_ok (store, "DC", "mobile", "tel:+1-202-555-0100;ext=1");
  BellContact *desk = add_contact_ok (store, "Desk", "work", "1000");
  BellContact *bare = add_contact_ok (store, "Bare", "sip", "carol@pbx.example.org");

  g_assert_true (bell_store_find_contact_by_address (store, "sips:alice@example.com:5061")
                 == alice);
  g_assert_true (bell_store_find_contact_by_address (store,
                                                     "\"Alice\" <sip:alice@example.com>")
                 == alice);
  g_assert_null (bell_store_find_contact_by_address (store, "sip:ALICE@example.com"));
  g_assert_true (bell_store_find_contact_by_address (store,
                                                     "sip:+49301234567@provider.net;user=phone")
                 == berlin);
  g_assert_true (bell_store_find_contact_by_address (store, "030 1234567") == berlin);
  g_assert_true (bell_store_find_contact_by_address (store, "0049301234567") == berlin);
  g_assert_true (bell_store_find_contact_by_address (store, "tel:+12025550100") == dc);
  g_assert_true (bell_store_find_contact_by_address (store, "sip:1000@pbx.example.org") == desk);
  g_assert_true (bell_store_find_contact_by_address (store, "sip:carol@PBX.example.org:5060")
                 == bare);
  /* Short numbers never match by suffix; other users and hosts do not match. */
  g_assert_null (bell_store_find_contact_by_address (store, "21000"));
  g_assert_null (bell_store_find_contact_by_address (store, "sip:bob@example.com"));
  g_assert_null (bell_store_find_contact_by_address (store, "sip:alice@example.org"));
  g_assert_null (bell_store_find_contact_by_address (store, ""));
  g_assert_nonnull (bell_store_find_contact_by_address (store, "ECHO"));
  close_store (store);
}

static void
on_notify_count (GObject *object, GParamSpec *pspec, guint *count)
{
  (*count)++;
}

static void
test_history (Fixture *f, gconstpointer data)
{
  BellStore *store = open_ok (f->path);
  GListModel *model = bell_store_get_history (store);
  Changes changes = { 0 };
  guint notified = 0;
  gint64 now = g_get_real_time ();
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;

  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), &changes);
  g_signal_connect (store, "notify::missed-unseen", G_CALLBACK (on_notify_count), &notified);

  BellHistoryEntry *answered = add_history_ok (store, BELL_CALL_DIRECTION_OUTGOING,
                                               "sip:bob@example.com", now, 185,
                                               BELL_CALL_OUTCOME_ANSWERED);
  BellHistoryEntry *missed_old = add_history_ok (store, BELL_CALL_DIRECTION_INCOMING,
                                                 "+44 7700 900123", now - (gint64) G_USEC_PER_SEC * 3600,
                                                 0, BELL_CALL_OUTCOME_MISSED);
  BellHistoryEntry *missed_new = add_history_ok (store, BELL_CALL_DIRECTION_INCOMING,
                                                 "sip:carol@example.com", now + 1, 0,
                                                 BELL_CALL_OUTCOME_MISSED);
  add_history_ok (store, BELL_CALL_DIRECTION_OUTGOING, "sip:down@example.com", now - 10, 0,
                  BELL_CALL_OUTCOME_FAILED);
  g_assert_cmpuint (changes.count, ==, 4);

  /* Newest first whatever the order they were added in. */
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 4);
  g_autoptr(BellHistoryEntry) first = g_list_model_get_item (model, 0);
  g_autoptr(BellHistoryEntry) second = g_list_model_get_item (model, 1);
  g_autoptr(BellHistoryEntry) last = g_list_model_get_item (model, 3);
  g_assert_true (first == missed_new);
  g_assert_true (second == answered);
  g_assert_true (last == missed_old);
  g_assert_cmpuint (bell_history_entry_get_duration (answered), ==, 185);
  g_assert_cmpstr (bell_history_entry_get_account (answered), ==, "sip:me@example.com");

  g_assert_cmpuint (bell_store_get_missed_unseen (store), ==, 2);
  g_assert_cmpuint (notified, ==, 2);

  bell_store_mark_history_seen_async (store, NULL, on_result, &slot);
  g_assert_true (finish_bool (store, &slot, bell_store_mark_history_seen_finish, "seen", &error));
  g_assert_cmpuint (bell_store_get_missed_unseen (store), ==, 0);
  g_assert_cmpuint (notified, ==, 3);
  g_assert_true (bell_history_entry_get_seen (missed_old));
  g_assert_false (bell_history_entry_get_seen (answered));

  add_history_ok (store, BELL_CALL_DIRECTION_INCOMING, "sip:dave@example.com", now + 2, 0,
                  BELL_CALL_OUTCOME_MISSED);
  g_assert_cmpuint (bell_store_get_missed_unseen (store), ==, 1);

  bell_store_delete_history_async (store, bell_history_entry_get_id (answered), NULL, on_result,
                                   &slot);
  g_assert_true (finish_bool (store, &slot, bell_store_delete_history_finish, "delete", &error));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 4);
  g_assert_cmpuint (changes.removed, ==, 1);

  bell_store_delete_history_async (store, 999999, NULL, on_result, &slot);
  g_assert_false (finish_bool (store, &slot, bell_store_delete_history_finish, "delete",
                               &error));
  g_assert_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  bell_store_clear_history_async (store, NULL, on_result, &slot);
  g_assert_true (finish_bool (store, &slot, bell_store_clear_history_finish, "clear", &error));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  g_assert_cmpuint (bell_store_get_missed_unseen (store), ==, 0);

  g_signal_handlers_disconnect_by_data (model, &changes);
  g_signal_handlers_disconnect_by_data (store, &notified);
  g_clear_object (&first);
  g_clear_object (&second);
  g_clear_object (&last);
  close_store (store);
}

static void
test_reopen (Fixture *f, gconstpointer data)
{
  BellStore *store = open_ok (f->path);
  gint64 now = g_get_real_time ();

  BellContact *added = add_contact_ok (store, "Persistent Pat", "mobile", "+1 555 0199");
  gint64 id = bell_contact_get_id (added);
  add_history_ok (store, BELL_CALL_DIRECTION_INCOMING, "+1 555 0199", now, 0,
                  BELL_CALL_OUTCOME_MISSED);
  add_history_ok (store, BELL_CALL_DIRECTION_OUTGOING, "echo", now - 5, 42,
                  BELL_CALL_OUTCOME_ANSWERED);
  close_store (store);

  store = open_ok (f->path);
  GListModel *contacts = bell_store_get_contacts (store);
  /* The echo contact is seeded once, on creation only. */
  g_assert_cmpuint (g_list_model_get_n_items (contacts), ==, 2);
  g_assert_cmpstr (name_at (contacts, 0), ==, "Echo test");
  g_autoptr(BellContact) pat = g_list_model_get_item (contacts, 1);
  g_assert_cmpint (bell_contact_get_id (pat), ==, id);
  g_assert_cmpstr (bell_contact_get_address (pat, 0)->label, ==, "mobile");
  g_assert_cmpstr (bell_contact_get_address (pat, 0)->uri, ==, "+1 555 0199");

  GListModel *history = bell_store_get_history (store);
  g_assert_cmpuint (g_list_model_get_n_items (history), ==, 2);
  g_autoptr(BellHistoryEntry) newest = g_list_model_get_item (history, 0);
  g_autoptr(BellHistoryEntry) oldest = g_list_model_get_item (history, 1);
  g_assert_cmpint (bell_history_entry_get_outcome (newest), ==, BELL_CALL_OUTCOME_MISSED);
  g_assert_cmpint (bell_history_entry_get_direction (newest), ==, BELL_CALL_DIRECTION_INCOMING);
  g_assert_cmpint (bell_history_entry_get_started (newest), ==, now);
  g_assert_cmpuint (bell_history_entry_get_duration (oldest), ==, 42);
  g_assert_cmpuint (bell_store_get_missed_unseen (store), ==, 1);
  g_clear_object (&pat);
  g_clear_object (&newest);
  g_clear_object (&oldest);
  close_store (store);
}

/* Refused files ---------------------------------------------------------------------------- */

static void
make_sqlite_file (const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static void
assert_refused_untouched (const char *path, GQuark domain, int code)
{
  g_autofree char *before = NULL, *after = NULL;
  gsize before_len = 0, after_len = 0;
  g_autoptr(GError) error = NULL;
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);

  g_assert_true (g_file_get_contents (path, &before, &before_len, NULL));
  g_assert_null (open_store (path, &error));
  g_assert_error (error, domain, code);
  g_assert_nonnull (strstr (error->message, path));
  g_test_message ("refused: %s", error->message);
  g_assert_true (g_file_get_contents (path, &after, &after_len, NULL));
  g_assert_cmpmem (before, before_len, after, after_len);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
}

static void
test_newer_schema_refused (Fixture *f, gconstpointer data)
{
  /* What a future Bellbird might write: our application id, a higher version. */
  make_sqlite_file (f->path,
                    "CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT, extra BLOB);"
                    "INSERT INTO contacts (name) VALUES ('From the future');"
                    "PRAGMA application_id = 1111837772;"  /* 0x42454c4c, "BELL" */
                    "PRAGMA user_version = 99;");
  assert_refused_untouched (f->path, BELL_STORE_ERROR, BELL_STORE_ERROR_NEWER_SCHEMA);
}

static void
test_foreign_sqlite_refused (Fixture *f, gconstpointer data)
{
  make_sqlite_file (f->path,
                    "CREATE TABLE contacts (who TEXT);"
                    "INSERT INTO contacts VALUES ('someone else''s data');");
  assert_refused_untouched (f->path, BELL_STORE_ERROR, BELL_STORE_ERROR_NOT_A_DATABASE);
}

static void
test_garbage_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = g_path_get_dirname (f->path);
  GString *garbage = g_string_new ("These are my notes, not a database.\n");

  for (int i = 0; i < 4096; i++)
    g_string_append_c (garbage, (char) ('a' + (i * 7) % 26));
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (f->path, garbage->str, garbage->len, NULL));
  g_string_free (garbage, TRUE);
  assert_refused_untouched (f->path, BELL_STORE_ERROR, BELL_STORE_ERROR_NOT_A_DATABASE);
}

static void
test_cannot_create (Fixture *f, gconstpointer data)
{
  /* The folder is a file: a readable error, no crash. */
  g_autofree char *blocker = g_build_filename (f->dir, "blocker", NULL);
  g_autofree char *path = g_build_filename (blocker, "bellbird.sqlite", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (blocker, "x", 1, NULL));
  g_assert_null (open_store (path, &error));
  g_assert_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_CANT_OPEN);
}

/* The main loop stays free -------------------------------------------------------------- */

typedef struct
{
  guint ticks;
  guint done;
  guint ticks_before_first_done;
  GThread *main_thread;
  gint64 next_expected_started;
} Concurrency;

static gboolean
on_tick (gpointer data)
{
  ((Concurrency *) data)->ticks++;
  return G_SOURCE_CONTINUE;
}

static void
on_concurrent_added (GObject *source, GAsyncResult *result, gpointer data)
{
  Concurrency *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BellHistoryEntry) entry =
    bell_store_add_history_finish (BELL_STORE (source), result, &error);

  g_assert_no_error (error);
  /* On the opening thread, in the order asked. */
  g_assert_true (g_thread_self () == c->main_thread);
  g_assert_cmpint (bell_history_entry_get_started (entry), ==, c->next_expected_started);
  c->next_expected_started++;
  if (c->done++ == 0)
    c->ticks_before_first_done = c->ticks;
}

static void
test_main_loop_free (Fixture *f, gconstpointer data)
{
  BellStore *store = open_ok (f->path);
  Concurrency c = { 0 };
  sqlite3 *blocker = NULL;
  const guint n = 100;

  c.main_thread = g_thread_self ();
  c.next_expected_started = 1000;

  /* Another connection holds the write lock: the worker has to wait on SQLite. */
  g_assert_cmpint (sqlite3_open (f->path, &blocker), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (blocker, "BEGIN EXCLUSIVE", NULL, NULL, NULL), ==, SQLITE_OK);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(BellHistoryEntry) entry =
        bell_history_entry_new (BELL_CALL_DIRECTION_OUTGOING, "sip:load@example.com", NULL,
                                NULL, 1000 + i, i, BELL_CALL_OUTCOME_ANSWERED, NULL);
      bell_store_add_history_async (store, entry, NULL, on_concurrent_added, &c);
    }
  /* Nothing completes on the caller's stack. */
  g_assert_cmpuint (c.done, ==, 0);

  /* While the worker is blocked, the main loop keeps turning. */
  guint ticker = g_timeout_add (5, on_tick, &c);
  gint64 release_at = g_get_monotonic_time () + 300 * 1000;
  while (g_get_monotonic_time () < release_at)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (c.done, ==, 0);
  g_assert_cmpuint (c.ticks, >=, 10);
  g_assert_cmpint (sqlite3_exec (blocker, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (blocker);

  guint timeout = g_timeout_add_seconds (20, on_timeout, (gpointer) "queued writes");
  while (c.done < n)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timeout);
  g_source_remove (ticker);

  g_assert_cmpuint (c.ticks_before_first_done, >=, 10);
  g_assert_cmpuint (g_list_model_get_n_items (bell_store_get_history (store)), ==, n);
  close_store (store);
}

/* vCard import and export ------------------------------------------------------------------ */

static gboolean
import_file (BellStore *store, GFile *file, guint *n_added, GError **error)
{
  GAsyncResult *slot = NULL;

  bell_store_import_vcard_async (store, file, NULL, on_result, &slot);
  g_autoptr(GAsyncResult) result = wait_for (&slot, "import");
  return bell_store_import_vcard_finish (store, result, n_added, error);
}

static void
test_vcard_import_export (Fixture *f, gconstpointer data)
{
  BellStore *store = open_ok (f->path);
  GListModel *model = bell_store_get_contacts (store);
  g_autofree char *fixture = g_test_build_filename (G_TEST_DIST, "data", "vcard", "v30.vcf",
                                                    NULL);
  g_autoptr(GFile) in = g_file_new_for_path (fixture);
  g_autofree char *out_path = g_build_filename (f->dir, "export.vcf", NULL);
  g_autoptr(GFile) out = g_file_new_for_path (out_path);
  g_autoptr(GError) error = NULL;
  guint n_added = 99;
  Changes changes = { 0 };
  GAsyncResult *slot = NULL;

  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), &changes);

  /* Three cards, one of them e-mail only: two contacts. */
  g_assert_true (import_file (store, in, &n_added, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_added, ==, 2);
  g_assert_cmpuint (changes.count, >=, 1);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 3);
  g_assert_cmpstr (name_at (model, 0), ==, "Echo test");
  g_assert_cmpstr (name_at (model, 1), ==, "Siobhan O'Brien, PhD");
  g_assert_cmpstr (name_at (model, 2), ==, "Xiaoming Wang");

  /* The same file again adds nothing. */
  guint before = changes.count;
  g_assert_true (import_file (store, in, &n_added, &error));
  g_assert_cmpuint (n_added, ==, 0);
  g_assert_cmpuint (changes.count, ==, before);

  /* Export, then read back what was written. */
  bell_store_export_vcard_async (store, out, NULL, on_result, &slot);
  g_assert_true (finish_bool (store, &slot, bell_store_export_vcard_finish, "export", &error));
  g_assert_no_error (error);
  g_autofree char *text = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (out_path, &text, &len, NULL));
  g_autoptr(GPtrArray) back = bell_vcard_parse (text, len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->len, ==, 3);
  g_assert_cmpstr (bell_contact_get_name (back->pdata[1]), ==, "Siobhan O'Brien, PhD");
  g_assert_cmpuint (bell_contact_get_n_addresses (back->pdata[1]), ==, 4);

  /* A malformed file: the parser's error with its line, nothing added. */
  g_autofree char *bad_path = g_build_filename (f->dir, "bad.vcf", NULL);
  g_assert_true (g_file_set_contents (bad_path, "BEGIN:VCARD\nFN:Half\nTEL:1\n", -1, NULL));
  g_autoptr(GFile) bad = g_file_new_for_path (bad_path);
  before = changes.count;
  g_assert_false (import_file (store, bad, &n_added, &error));
  g_assert_error (error, BELL_VCARD_ERROR, BELL_VCARD_ERROR_MALFORMED);
  g_assert_true (g_str_has_prefix (error->message, "Line 1:"));
  g_clear_error (&error);
  g_assert_cmpuint (changes.count, ==, before);

  /* A missing file: GIO's error. */
  g_autofree char *missing_path = g_build_filename (f->dir, "missing.vcf", NULL);
  g_autoptr(GFile) missing = g_file_new_for_path (missing_path);
  g_assert_false (import_file (store, missing, &n_added, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_signal_handlers_disconnect_by_data (model, &changes);
  close_store (store);
}

int
main (int argc, char *argv[])
{
  /* A private data folder: bell_store_default_path () must not touch the user's. (Set by hand:
   * G_TEST_OPTION_ISOLATE_DIRS leaks GLib's old paths, which LeakSanitizer reports.) */
  g_autofree char *data_home = g_dir_make_tmp ("bell-store-data-XXXXXX", NULL);
  g_assert_nonnull (data_home);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/store/create-fresh", test_create_fresh);
  g_test_add_func ("/store/default-path", test_default_path);
  ADD ("/store/contacts/crud", test_contacts_crud);
  ADD ("/store/contacts/find-by-address", test_find_by_address);
  ADD ("/store/history", test_history);
  ADD ("/store/reopen", test_reopen);
  ADD ("/store/refuse/newer-schema", test_newer_schema_refused);
  ADD ("/store/refuse/foreign-sqlite", test_foreign_sqlite_refused);
  ADD ("/store/refuse/garbage", test_garbage_refused);
  ADD ("/store/refuse/cannot-create", test_cannot_create);
  ADD ("/store/main-loop-free", test_main_loop_free);
  ADD ("/store/vcard/import-export", test_vcard_import_export);
#undef ADD
  int status = g_test_run ();
  remove_tree (data_home);
  return status;
}
