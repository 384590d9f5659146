/* bell-store.c: the store object, its worker thread and the models it keeps.
 *
 * Each request becomes a job: run() does the SQLite (or file) work on the worker thread, then
 * the job travels back to the owner's main context in an idle source, where apply() updates
 * the models and returns the GTask. The worker never touches the store object or a task's
 * reference count, so the store is always finalized on the owner thread, and a job holds the
 * store alive until it has been applied.
 */
#define G_LOG_DOMAIN "bellbird-store"

#include "config.h"

#include "bell-store.h"
#include "bell-store-db.h"
#include "bell-store-private.h"
#include "bell-address-key.h"
#include "bell-vcard.h"

#include <glib/gi18n-lib.h>
#include <string.h>

typedef struct _BellStoreJob BellStoreJob;
typedef struct _BellStoreWorker BellStoreWorker;

/* Worker thread; FALSE with error on failure. */
typedef gboolean (*BellStoreRunFunc) (BellStoreJob *job, BellStoreWorker *worker,
                                      GError **error);
/* Owner thread, after a successful run: updates the models and returns the task. */
typedef void (*BellStoreApplyFunc) (BellStore *self, BellStoreJob *job);

struct _BellStoreJob
{
  BellStoreRunFunc run;
  BellStoreApplyFunc apply;
  BellStore *store;             /* strong; released on the owner thread */
  GTask *task;
  GCancellable *cancellable;
  GMainContext *owner;

  /* Inputs and results; which ones depends on the job. */
  char *path;
  BellContact *contact;         /* a private copy while the worker has it */
  BellHistoryEntry *entry;
  gint64 id;
  GFile *file;
  GPtrArray *contacts;
  GPtrArray *history;

  gboolean ok;
  GError *error;
};

struct _BellStoreWorker
{
  GAsyncQueue *queue;           /* of BellStoreJob; the quit marker ends the thread */
  sqlite3 *db;
};

struct _BellStore
{
  GObject parent_instance;

  char *path;
  GThread *thread;
  GAsyncQueue *queue;
  GListStore *contacts;
  GListStore *history;
  guint missed_unseen;
};

G_DEFINE_TYPE (BellStore, bell_store, G_TYPE_OBJECT)
G_DEFINE_QUARK (bell-store-error-quark, bell_store_error)

enum { PROP_0, PROP_PATH, PROP_MISSED_UNSEEN, N_PROPS };
static GParamSpec *properties[N_PROPS];

/* Pushed by dispose: the worker closes the database and ends. */
static BellStoreJob quit_marker;

/* The vCard import limit (documented at bell_store_import_vcard_async). */
#define IMPORT_MAX_BYTES BELL_VCARD_MAX_INPUT

static void
job_free (BellStoreJob *job)
{
  g_clear_object (&job->task);
  g_clear_object (&job->cancellable);
  g_clear_object (&job->contact);
  g_clear_object (&job->entry);
  g_clear_object (&job->file);
  g_clear_pointer (&job->contacts, g_ptr_array_unref);
  g_clear_pointer (&job->history, g_ptr_array_unref);
  g_clear_pointer (&job->path, g_free);
  g_clear_error (&job->error);
  g_main_context_unref (job->owner);
  /* Last: this may be the store's final reference (dispose then joins the idle worker). */
  g_clear_object (&job->store);
  g_free (job);
}

static gboolean
on_job_done (gpointer data)
{
  BellStoreJob *job = data;

  if (job->ok)
    job->apply (job->store, job);
  else
    g_task_return_error (job->task, g_steal_pointer (&job->error));
  job_free (job);
  return G_SOURCE_REMOVE;
}

static gboolean run_open (BellStoreJob *job, BellStoreWorker *worker, GError **error);

static gpointer
worker_main (gpointer data)
{
  BellStoreWorker *worker = data;
  BellStoreJob *job;

  while ((job = g_async_queue_pop (worker->queue)) != &quit_marker)
    {
      if (g_cancellable_set_error_if_cancelled (job->cancellable, &job->error))
        job->ok = FALSE;
      else if (!worker->db && job->run != run_open)
        {
          job->ok = FALSE;
          g_set_error (&job->error, BELL_STORE_ERROR, BELL_STORE_ERROR_FAILED,
                       _("The database is not open"));
        }
      else
        job->ok = job->run (job, worker, &job->error);
      g_assert (job->ok == (job->error == NULL));

      GSource *source = g_idle_source_new ();
      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, on_job_done, job, NULL);
      g_source_set_static_name (source, "[bellbird] store job done");
      g_source_attach (source, job->owner);
      g_source_unref (source);
    }

  if (worker->db)
    sqlite3_close_v2 (worker->db);
  g_async_queue_unref (worker->queue);
  g_free (worker);
  return NULL;
}

/* A job for self, answering on the calling thread's main context. */
static BellStoreJob *
job_new (BellStore          *self,
         gpointer            source_object,
         BellStoreRunFunc    run,
         BellStoreApplyFunc  apply,
         GCancellable       *cancellable,
         GAsyncReadyCallback callback,
         gpointer            user_data,
         gpointer            source_tag)
{
  BellStoreJob *job = g_new0 (BellStoreJob, 1);

  job->run = run;
  job->apply = apply;
  job->store = g_object_ref (self);
  job->task = g_task_new (source_object, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, source_tag);
  job->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  job->owner = g_main_context_ref_thread_default ();
  return job;
}

static void
job_queue (BellStore *self, BellStoreJob *job)
{
  g_async_queue_push (self->queue, job);
}

/* Object ---------------------------------------------------------------------------------- */

static void
bell_store_dispose (GObject *object)
{
  BellStore *self = BELL_STORE (object);

  /* No job is pending here (each holds a reference), so the worker is idle: joining it only
   * waits for sqlite3_close. */
  if (self->thread)
    {
      g_async_queue_push (self->queue, &quit_marker);
      g_thread_join (g_steal_pointer (&self->thread));
    }
  g_clear_object (&self->contacts);
  g_clear_object (&self->history);
  G_OBJECT_CLASS (bell_store_parent_class)->dispose (object);
}

static void
bell_store_finalize (GObject *object)
{
  BellStore *self = BELL_STORE (object);

  g_clear_pointer (&self->queue, g_async_queue_unref);
  g_free (self->path);
  G_OBJECT_CLASS (bell_store_parent_class)->finalize (object);
}

static void
bell_store_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  BellStore *self = BELL_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_MISSED_UNSEEN:
      g_value_set_uint (value, self->missed_unseen);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bell_store_class_init (BellStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bell_store_dispose;
  object_class->finalize = bell_store_finalize;
  object_class->get_property = bell_store_get_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MISSED_UNSEEN] =
    g_param_spec_uint ("missed-unseen", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bell_store_init (BellStore *self)
{
  self->contacts = g_list_store_new (BELL_TYPE_CONTACT);
  self->history = g_list_store_new (BELL_TYPE_HISTORY_ENTRY);
}

static void
update_missed_unseen (BellStore *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->history));
  guint missed = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(BellHistoryEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->history), i);
      missed += bell_history_entry_is_missed_unseen (entry);
    }
  if (missed == self->missed_unseen)
    return;
  self->missed_unseen = missed;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MISSED_UNSEEN]);
}

/* The position of the item with id in model, or -1. */
static int
find_by_id (GListModel *model, gint64 id)
{
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);
      gint64 item_id = BELL_IS_CONTACT (item) ? bell_contact_get_id (BELL_CONTACT (item))
                                              : bell_history_entry_get_id (BELL_HISTORY_ENTRY (item));
      if (item_id == id)
        return (int) i;
    }
  return -1;
}

/* Opening --------------------------------------------------------------------------------- */

char *
bell_store_default_path (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "bellbird", NULL);

  /* A failure shows up, with its reason, when the store opens the path. */
  g_mkdir_with_parents (dir, 0700);
  return g_build_filename (dir, "bellbird.sqlite", NULL);
}

static gboolean
run_open (BellStoreJob *job, BellStoreWorker *worker, GError **error)
{
  worker->db = _bell_store_db_open (job->path, error);
  if (!worker->db)
    return FALSE;
  job->contacts = _bell_store_db_load_contacts (worker->db, error);
  if (!job->contacts)
    return FALSE;
  job->history = _bell_store_db_load_history (worker->db, error);
  return job->history != NULL;
}

static void
apply_open (BellStore *self, BellStoreJob *job)
{
  g_list_store_splice (self->contacts, 0, 0, job->contacts->pdata, job->contacts->len);
  g_list_store_splice (self->history, 0, 0, job->history->pdata, job->history->len);
  update_missed_unseen (self);
  g_task_return_pointer (job->task, g_object_ref (self), g_object_unref);
}

void
bell_store_open_async (const char          *path,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (path != NULL);

  g_autoptr(BellStore) self = g_object_new (BELL_TYPE_STORE, NULL);
  BellStoreWorker *worker = g_new0 (BellStoreWorker, 1);

  self->path = g_strdup (path);
  self->queue = g_async_queue_new ();
  worker->queue = g_async_queue_ref (self->queue);
  self->thread = g_thread_new ("bell-store", worker_main, worker);

  BellStoreJob *job = job_new (self, NULL, run_open, apply_open, cancellable, callback,
                               user_data, bell_store_open_async);
  job->path = g_strdup (path);
  job_queue (self, job);
}

BellStore *
bell_store_open_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == bell_store_open_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
bell_store_get_path (BellStore *self)
{
  g_return_val_if_fail (BELL_IS_STORE (self), NULL);
  return self->path;
}

/* Contacts -------------------------------------------------------------------------------- */

GListModel *
bell_store_get_contacts (BellStore *self)
{
  g_return_val_if_fail (BELL_IS_STORE (self), NULL);
  return G_LIST_MODEL (self->contacts);
}

BellContact *
bell_store_find_contact_by_address (BellStore *self, const char *uri)
{
  g_return_val_if_fail (BELL_IS_STORE (self), NULL);

  BellAddressKey wanted;
  BellContact *suffix_match = NULL;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->contacts));

  _bell_address_key_init (&wanted, uri);
  for (guint i = 0; i < n && wanted.kind != BELL_ADDRESS_KEY_NONE; i++)
    {
      g_autoptr(BellContact) contact = g_list_model_get_item (G_LIST_MODEL (self->contacts), i);

      for (guint a = 0; a < bell_contact_get_n_addresses (contact); a++)
        {
          BellAddressKey key;
          _bell_address_key_init (&key, bell_contact_get_address (contact, a)->uri);
          BellAddressMatch match = _bell_address_key_match (&wanted, &key);
          _bell_address_key_clear (&key);
          if (match == BELL_ADDRESS_MATCH_EXACT)
            {
              _bell_address_key_clear (&wanted);
              return contact;   /* the store's reference keeps it alive */
            }
          if (match == BELL_ADDRESS_MATCH_SUFFIX && !suffix_match)
            suffix_match = contact;
        }
    }
  _bell_address_key_clear (&wanted);
  return suffix_match;
}

static gboolean
run_add_contact (BellStoreJob *job, BellStoreWorker *worker, GError **error)
{
  if (!_bell_store_db_begin (worker->db, error))
    return FALSE;
  if (!_bell_store_db_insert_contact (worker->db, job->contact, error))
    {
      _bell_store_db_rollback (worker->db);
      return FALSE;
    }
  return _bell_store_db_commit (worker->db, error);
}

static void
apply_add_contact (BellStore *self, BellStoreJob *job)
{
  g_list_store_insert_sorted (self->contacts, job->contact, bell_contact_compare_by_name, NULL);
  g_task_return_pointer (job->task, g_object_ref (job->contact), g_object_unref);
}

void
bell_store_add_contact_async (BellStore           *self,
                              BellContact         *contact,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (BELL_IS_STORE (self));
  g_return_if_fail (BELL_IS_CONTACT (contact));

  BellStoreJob *job = job_new (self, self, run_add_contact, apply_add_contact, cancellable,
                               callback, user_data, bell_store_add_contact_async);
  job->contact = bell_contact_copy (contact);
  _bell_contact_set_id (job->contact, 0);
  job_queue (self, job);
}

BellContact *
bell_store_add_contact_finish (BellStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
run_update_contact (BellStoreJob *job, BellStoreWorker *worker, GError **error)
{
  if (!_bell_store_db_begin (worker->db, error))
    return FALSE;
  if (!_bell_store_db_update_contact (worker->db, job->contact, error))
    {
      _bell_store_db_rollback (worker->db);
      return FALSE;
    }
  return _bell_store_db_commit (worker->db, error);
}

static void
apply_update_contact (BellStore *self, BellStoreJob *job)
{
  int position = find_by_id (G_LIST_MODEL (self->contacts), bell_contact_get_id (job->contact));

  /* Replaced, not changed in place: rows bound to the old object rebind to the new one. */
  if (position >= 0)
    g_list_store_remove (self->contacts, position);
  g_list_store_insert_sorted (self->contacts, job->contact, bell_contact_compare_by_name, NULL);
  g_task_return_boolean (job->task, TRUE);
}

void
bell_store_update_contact_async (BellStore           *self,
                                 BellContact         *contact,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (BELL_IS_STORE (self));
  g_return_if_fail (BELL_IS_CONTACT (contact));

  BellStoreJob *job = job_new (self, self, run_update_contact, apply_update_contact,
                               cancellable, callback, user_data,
                               bell_store_update_contact_async);
  job->contact = bell_contact_copy (contact);
  job_queue (self, job);
}

gboolean
bell_store_update_contact_finish (BellStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
run_delete_contact (BellStoreJob *job, BellStoreWorker *worker, GError **error)
{
  return _bell_store_db_delete_contact (worker->db, job->id, error);
}

static void
apply_delete_contact (BellStore *self, BellStoreJob *job)
{
  int position = find_by_id (G_LIST_MODEL (self->contacts), job->id);

  if (position >= 0)
    g_list_store_remove (self->contacts, position);
  g_task_return_boolean (job->task, TRUE);
}

void
bell_store_delete_contact_async (BellStore           *self,
                                 gint64               id,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (BELL_IS_STORE (self));

  BellStoreJob *job = job_new (self, self, run_delete_contact, apply_delete_contact,
                               cancellable, callback, user_data,
                               bell_store_delete_contact_async);
  job->id = id;
  job_queue (self, job);
}

gboolean
bell_store_delete_contact_finish (BellStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* vCard ----------------------------------------------------------------------------------- */

static char *
read_vcard_file (GFile *file, GCancellable *cancellable, gsize *len, GError **error)
{
  g_autoptr(GFileInfo) info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                                 G_FILE_QUERY_INFO_NONE, cancellable, error);
  char *contents = NULL;

  if (!info)
    return NULL;
  if (g_file_info_get_size (info) > IMPORT_MAX_BYTES)
    goto too_large;
  if (!g_file_load_contents (file, cancellable, &contents, len, NULL, error))
    return NULL;
  /* The file may have grown since we asked. */
  if (*len <= IMPORT_MAX_BYTES)
    return contents;
  g_free (contents);

too_large:
  g_set_error (error, BELL_STORE_ERROR, BELL_STORE_ERROR_TOO_LARGE,
               _("The file is too large to be an address book (more than %d MiB)"),
               IMPORT_MAX_BYTES / (1024 * 1024));
  return NULL;
}

static gboolean
run_import (BellStoreJob *job, BellStoreWorker *worker, GError **error)
{
  gsize len = 0;
  g_autofree char *text = read_vcard_file (job->file, job->cancellable, &len, error);
  g_autoptr(GPtrArray) parsed = NULL;
  g_autoptr(GPtrArray) known = NULL;

  if (!text)
    return FALSE;
  parsed = bell_vcard_parse (text, len, error);
  if (!parsed)
    return FALSE;
  known = _bell_store_db_load_contacts (worker->db, error);
  if (!known)
    return FALSE;

  job->contacts = g_ptr_array_new_with_free_func (g_object_unref);
  if (!_bell_store_db_begin (worker->db, error))
    return FALSE;
  for (guint i = 0; i < parsed->len; i++)
    {
      BellContact *contact = parsed->pdata[i];
      gboolean duplicate = FALSE;

      if (bell_contact_get_n_addresses (contact) == 0)
        continue;   /* nothing to call: an e-mail-only card */
      for (guint k = 0; k < known->len && !duplicate; k++)
        duplicate = _bell_contact_equal_content (contact, known->pdata[k]);
      if (duplicate)
        continue;
      if (!_bell_store_db_insert_contact (worker->db, contact, error))
        {
          _bell_store_db_rollback (worker->db);
          g_ptr_array_set_size (job->contacts, 0);
          return FALSE;
        }
      g_ptr_array_add (job->contacts, g_object_ref (contact));
      /* A card repeated in the same file is added once. */
      g_ptr_array_add (known, g_object_ref (contact));
    }
  return _bell_store_db_commit (worker->db, error);
}

static void
apply_import (BellStore *self, BellStoreJob *job)
{
  guint n = job->contacts->len;

  if (n == 1)
    g_list_store_insert_sorted (self->contacts, job->contacts->pdata[0],
                                bell_contact_compare_by_name, NULL);
  else if (n > 1)
    {
      /* Two signals for the whole import rather than one per contact. */
      guint end = g_list_model_get_n_items (G_LIST_MODEL (self->contacts));
      g_list_store_splice (self->contacts, end, 0, job->contacts->pdata, n);
      g_list_store_sort (self->contacts, bell_contact_compare_by_name, NULL);
    }
  g_task_return_int (job->task, n);
}

void
bell_store_import_vcard_async (BellStore           *self,
                               GFile               *file,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (BELL_IS_STORE (self));
  g_return_if_fail (G_IS_FILE (file));

  BellStoreJob *job = job_new (self, self, run_import, apply_import, cancellable, callback,
                               user_data, bell_store_import_vcard_async);
  job->file = g_object_ref (file);
  job_queue (self, job);
}

gboolean
bell_store_import_vcard_finish (BellStore     *self,
                                GAsyncResult  *result,
                                guint         *n_added,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  gssize n = g_task_propagate_int (G_TASK (result), error);
  if (n_added)
    *n_added = n < 0 ? 0 : (guint) n;
  return n >= 0;
}

static gboolean
run_export (BellStoreJob *job, BellStoreWorker *worker, GError **error)
{
  /* The database, not the model, is the truth on this thread. */
  g_autoptr(GPtrArray) contacts = _bell_store_db_load_contacts (worker->db, error);
  g_autofree char *text = NULL;

  if (!contacts)
    return FALSE;
  text = bell_vcard_print ((BellContact **) contacts->pdata, contacts->len);
  return g_file_replace_contents (job->file, text, strlen (text), NULL, FALSE,
                                  G_FILE_CREATE_REPLACE_DESTINATION, NULL, job->cancellable,
                                  error);
}

static void
apply_boolean (BellStore *self, BellStoreJob *job)
{
  g_task_return_boolean (job->task, TRUE);
}

void
bell_store_export_vcard_async (BellStore           *self,
                               GFile               *file,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (BELL_IS_STORE (self));
  g_return_if_fail (G_IS_FILE (file));

  BellStoreJob *job = job_new (self, self, run_export, apply_boolean, cancellable, callback,
                               user_data, bell_store_export_vcard_async);
  job->file = g_object_ref (file);
  job_queue (self, job);
}

gboolean
bell_store_export_vcard_finish (BellStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* History --------------------------------------------------------------------------------- */

GListModel *
bell_store_get_history (BellStore *self)
{
  g_return_val_if_fail (BELL_IS_STORE (self), NULL);
  return G_LIST_MODEL (self->history);
}

guint
bell_store_get_missed_unseen (BellStore *self)
{
  g_return_val_if_fail (BELL_IS_STORE (self), 0);
  return self->missed_unseen;
}

static gboolean
run_add_history (BellStoreJob *job, BellStoreWorker *worker, GError **error)
{
  return _bell_store_db_insert_history (worker->db, job->entry, error);
}

static void
apply_add_history (BellStore *self, BellStoreJob *job)
{
  g_list_store_insert_sorted (self->history, job->entry,
                              bell_history_entry_compare_newest_first, NULL);
  update_missed_unseen (self);
  g_task_return_pointer (job->task, g_object_ref (job->entry), g_object_unref);
}

void
bell_store_add_history_async (BellStore           *self,
                              BellHistoryEntry    *entry,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_return_if_fail (BELL_IS_STORE (self));
  g_return_if_fail (BELL_IS_HISTORY_ENTRY (entry));

  BellStoreJob *job = job_new (self, self, run_add_history, apply_add_history, cancellable,
                               callback, user_data, bell_store_add_history_async);
  /* The worker writes its own copy and sets the id on it; the caller's object stays as is. */
  job->entry = bell_history_entry_new (bell_history_entry_get_direction (entry),
                                       bell_history_entry_get_peer_uri (entry),
                                       bell_history_entry_get_peer_name (entry),
                                       bell_history_entry_get_account (entry),
                                       bell_history_entry_get_started (entry),
                                       bell_history_entry_get_duration (entry),
                                       bell_history_entry_get_outcome (entry),
                                       bell_history_entry_get_reason (entry));
  _bell_history_entry_set_seen (job->entry, bell_history_entry_get_seen (entry));
  job_queue (self, job);
}

BellHistoryEntry *
bell_store_add_history_finish (BellStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
run_delete_history (BellStoreJob *job, BellStoreWorker *worker, GError **error)
{
  return _bell_store_db_delete_history (worker->db, job->id, error);
}

static void
apply_delete_history (BellStore *self, BellStoreJob *job)
{
  int position = find_by_id (G_LIST_MODEL (self->history), job->id);

  if (position >= 0)
    g_list_store_remove (self->history, position);
  update_missed_unseen (self);
  g_task_return_boolean (job->task, TRUE);
}

void
bell_store_delete_history_async (BellStore           *self,
                                 gint64               id,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (BELL_IS_STORE (self));

  BellStoreJob *job = job_new (self, self, run_delete_history, apply_delete_history,
                               cancellable, callback, user_data,
                               bell_store_delete_history_async);
  job->id = id;
  job_queue (self, job);
}

gboolean
bell_store_delete_history_finish (BellStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
run_clear_history (BellStoreJob *job, BellStoreWorker *worker, GError **error)
{
  return _bell_store_db_clear_history (worker->db, error);
}

static void
apply_clear_history (BellStore *self, BellStoreJob *job)
{
  g_list_store_remove_all (self->history);
  update_missed_unseen (self);
  g_task_return_boolean (job->task, TRUE);
}

void
bell_store_clear_history_async (BellStore           *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (BELL_IS_STORE (self));
  job_queue (self, job_new (self, self, run_clear_history, apply_clear_history, cancellable,
                            callback, user_data, bell_store_clear_history_async));
}

gboolean
bell_store_clear_history_finish (BellStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
run_mark_history_seen (BellStoreJob *job, BellStoreWorker *worker, GError **error)
{
  return _bell_store_db_mark_history_seen (worker->db, error);
}

static void
apply_mark_history_seen (BellStore *self, BellStoreJob *job)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->history));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(BellHistoryEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->history), i);
      if (bell_history_entry_get_outcome (entry) == BELL_CALL_OUTCOME_MISSED)
        _bell_history_entry_set_seen (entry, TRUE);
    }
  update_missed_unseen (self);
  g_task_return_boolean (job->task, TRUE);
}

void
bell_store_mark_history_seen_async (BellStore           *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (BELL_IS_STORE (self));
  job_queue (self, job_new (self, self, run_mark_history_seen, apply_mark_history_seen,
                            cancellable, callback, user_data,
                            bell_store_mark_history_seen_async));
}

gboolean
bell_store_mark_history_seen_finish (BellStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
