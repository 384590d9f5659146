/* bell-store.h: contacts and call history in SQLite.
 *
 * The store owns one worker thread; every SQLite call (and the file I/O of vCard import and
 * export) runs there, one after the other, never on the caller's thread. Results and model
 * changes arrive on the main context of the thread that opened the store (the GTK main thread),
 * so the GListModels below are safe to bind to widgets.
 *
 * The database carries its schema version in PRAGMA user_version and is migrated step by step
 * when opened. A file that is not a database, not Bellbird's, or written by a newer Bellbird is
 * refused with a BellStoreError and left exactly as it was.
 */
#pragma once

#include <gio/gio.h>

#include "bell-contact.h"
#include "bell-history-entry.h"

G_BEGIN_DECLS

#define BELL_STORE_ERROR (bell_store_error_quark ())

typedef enum
{
  BELL_STORE_ERROR_FAILED,          /* anything else: the message says what */
  BELL_STORE_ERROR_NOT_A_DATABASE,  /* the file is not SQLite, or SQLite of another program */
  BELL_STORE_ERROR_NEWER_SCHEMA,    /* written by a newer Bellbird: we do not touch it */
  BELL_STORE_ERROR_CORRUPT,         /* SQLite found the database damaged */
  BELL_STORE_ERROR_READ_ONLY,       /* the file or its folder cannot be written */
  BELL_STORE_ERROR_DISK_FULL,
  BELL_STORE_ERROR_BUSY,            /* another process holds the database locked */
  BELL_STORE_ERROR_CANT_OPEN,       /* the file or its folder cannot be opened or created */
  BELL_STORE_ERROR_NOT_FOUND,       /* no contact or history entry with that id */
  BELL_STORE_ERROR_INVALID,         /* e.g. a contact without a name or without an address */
  BELL_STORE_ERROR_TOO_LARGE,       /* a vCard file over the import limit */
} BellStoreError;

GQuark bell_store_error_quark (void);

/* The schema version this build writes (PRAGMA user_version). */
#define BELL_STORE_SCHEMA_VERSION 1

#define BELL_TYPE_STORE (bell_store_get_type ())
G_DECLARE_FINAL_TYPE (BellStore, bell_store, BELL, STORE, GObject)

/* $XDG_DATA_HOME/bellbird/bellbird.sqlite; creates the folder (mode 0700) when missing. */
char       *bell_store_default_path        (void);

/* Opens (creating and migrating when needed) the database at path and loads contacts and
 * history; the store is handed over with both models filled. A fresh database holds one
 * contact, "Echo test", whose address is the literal "echo" (Bellbird's built-in echo service,
 * so a new user can hear themselves without any account). */
void        bell_store_open_async          (const char          *path,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
BellStore  *bell_store_open_finish         (GAsyncResult        *result,
                                            GError             **error);
const char *bell_store_get_path            (BellStore           *self);

/* Contacts ------------------------------------------------------------------------------- */

/* A GListModel of BellContact, sorted by name (case-insensitive), updated on the main context
 * after each add, update, delete and import. Transfer none: owned by the store. */
GListModel  *bell_store_get_contacts              (BellStore    *self);
/* The contact an incoming address belongs to, or NULL (transfer none). In memory, no I/O.
 * The rule: sip:/sips: URIs (or bare user@host) compare by user@host: scheme, port, URI
 * parameters and headers are ignored, the host case-insensitively, the user exactly. Phone
 * numbers (a tel: URI, digits typed with + - . ( ) / and spaces, or a SIP URI whose user part
 * is such a number) compare by digits only: equal digits match; failing that, when the number
 * with its leading zeros removed still has 7 digits or more, one ending with the other matches
 * (so "030 1234567" finds "+49 30 1234567"). Anything else ("echo") compares
 * case-insensitively. An exact match wins over a suffix match; among equals the first contact
 * by name wins. */
BellContact *bell_store_find_contact_by_address   (BellStore    *self,
                                                   const char   *uri);
/* The store copies contact: later changes to it do not reach the database. It must have a
 * name and at least one address (BELL_STORE_ERROR_INVALID otherwise). */
void         bell_store_add_contact_async         (BellStore           *self,
                                                   BellContact         *contact,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
/* The stored contact (the model's object, with its new id), transfer full; NULL on error. */
BellContact *bell_store_add_contact_finish        (BellStore           *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
/* Replaces the stored contact with the same id (name, note and all addresses). */
void         bell_store_update_contact_async      (BellStore           *self,
                                                   BellContact         *contact,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean     bell_store_update_contact_finish     (BellStore           *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
void         bell_store_delete_contact_async      (BellStore           *self,
                                                   gint64               id,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean     bell_store_delete_contact_finish     (BellStore           *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);
/* Reads a vCard file (2.1, 3.0 or 4.0; at most 16 MiB) and adds its contacts in one
 * transaction: all or none. Cards without a phone number or SIP address, and cards equal to a
 * stored contact (same name and addresses), are skipped. */
void         bell_store_import_vcard_async        (BellStore           *self,
                                                   GFile               *file,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean     bell_store_import_vcard_finish       (BellStore           *self,
                                                   GAsyncResult        *result,
                                                   guint               *n_added,
                                                   GError             **error);
/* Writes every contact as vCard 4.0, replacing file atomically. */
void         bell_store_export_vcard_async        (BellStore           *self,
                                                   GFile               *file,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean     bell_store_export_vcard_finish       (BellStore           *self,
                                                   GAsyncResult        *result,
                                                   GError             **error);

/* Call history --------------------------------------------------------------------------- */

/* A GListModel of BellHistoryEntry, newest first. Transfer none. */
GListModel       *bell_store_get_history              (BellStore           *self);
/* The "missed-unseen" property: missed calls the user has not looked at yet. */
guint             bell_store_get_missed_unseen        (BellStore           *self);
void              bell_store_add_history_async        (BellStore           *self,
                                                       BellHistoryEntry    *entry,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
/* The stored entry (the model's object, with its id), transfer full; NULL on error. */
BellHistoryEntry *bell_store_add_history_finish       (BellStore           *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
void              bell_store_delete_history_async     (BellStore           *self,
                                                       gint64               id,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean          bell_store_delete_history_finish    (BellStore           *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
void              bell_store_clear_history_async      (BellStore           *self,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean          bell_store_clear_history_finish     (BellStore           *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
/* Marks every missed call seen; "missed-unseen" drops to 0. */
void              bell_store_mark_history_seen_async  (BellStore           *self,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean          bell_store_mark_history_seen_finish (BellStore           *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

G_END_DECLS
