/* bell-contacts-page.h: the Contacts view: search as you type, call, add/edit/delete, vCard
 * import and export.
 *
 * Signals:
 *   "call" (const char *uri): the user asked to call uri (a row's call button, Enter on a
 *   row = its first address, or an address picked from a contact with several).
 */
#pragma once

#include <adwaita.h>

#include "bell-store.h"

G_BEGIN_DECLS

#define BELL_TYPE_CONTACTS_PAGE (bell_contacts_page_get_type ())
G_DECLARE_FINAL_TYPE (BellContactsPage, bell_contacts_page, BELL, CONTACTS_PAGE, AdwBin)

GtkWidget  *bell_contacts_page_new          (BellStore        *store);
/* Moves the keyboard focus to the search entry (Ctrl+F in the window). */
void        bell_contacts_page_focus_search (BellContactsPage *self);
/* The contacts shown now (the store's, filtered by the search): transfer none. */
GListModel *bell_contacts_page_get_visible  (BellContactsPage *self);

G_END_DECLS
