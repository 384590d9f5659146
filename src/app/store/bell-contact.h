/* bell-contact.h: one person in the address book: a name, the ways to call them, a note.
 *
 * A contact is a plain value object. The objects in bell_store_get_contacts() belong to the
 * store and are replaced (not changed) when a contact is updated: to edit one, take a
 * bell_contact_copy(), change it and hand it to bell_store_update_contact_async().
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* One way to reach a contact. label: a short key such as "mobile", "work", "home", "sip",
 * "phone" (the UI translates the known ones); uri: a sip:/sips:/tel: URI or a phone number as
 * typed ("+49 30 1234567"), or "echo" for Bellbird's built-in echo service. */
typedef struct
{
  char *label;
  char *uri;
} BellContactAddress;

#define BELL_TYPE_CONTACT_ADDRESS (bell_contact_address_get_type ())
GType               bell_contact_address_get_type (void) G_GNUC_CONST;
BellContactAddress *bell_contact_address_new      (const char               *label,
                                                   const char               *uri);
BellContactAddress *bell_contact_address_copy     (const BellContactAddress *address);
void                bell_contact_address_free     (BellContactAddress       *address);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellContactAddress, bell_contact_address_free)

#define BELL_TYPE_CONTACT (bell_contact_get_type ())
G_DECLARE_FINAL_TYPE (BellContact, bell_contact, BELL, CONTACT, GObject)

BellContact              *bell_contact_new               (const char  *name);
/* A deep copy with the same id (0 for a contact not stored yet). */
BellContact              *bell_contact_copy              (BellContact *self);
/* 0 until the store has saved the contact. */
gint64                    bell_contact_get_id            (BellContact *self);
const char               *bell_contact_get_name          (BellContact *self);
void                      bell_contact_set_name          (BellContact *self,
                                                          const char  *name);
/* NULL when there is none. */
const char               *bell_contact_get_note          (BellContact *self);
void                      bell_contact_set_note          (BellContact *self,
                                                          const char  *note);
guint                     bell_contact_get_n_addresses   (BellContact *self);
const BellContactAddress *bell_contact_get_address       (BellContact *self,
                                                          guint        index);
/* The first address's URI, or NULL when the contact has none. */
const char               *bell_contact_get_first_uri     (BellContact *self);
void                      bell_contact_add_address       (BellContact *self,
                                                          const char  *label,
                                                          const char  *uri);
void                      bell_contact_remove_address    (BellContact *self,
                                                          guint        index);
void                      bell_contact_clear_addresses   (BellContact *self);
/* TRUE when name or an address contains text, case-insensitively; when text holds digits
 * only (with + - . ( ) and spaces), also when an address's digits contain text's digits, so
 * "030 12" finds "+49 (30) 1234". An empty text matches everything. */
gboolean                  bell_contact_matches_text      (BellContact *self,
                                                          const char  *text);
/* Sorting contacts by name, case-insensitively (ties by id): a GCompareDataFunc. */
int                       bell_contact_compare_by_name   (gconstpointer a,
                                                          gconstpointer b,
                                                          gpointer      user_data);

G_END_DECLS
