/* bell-contact-editor.h: the dialog that adds or edits one contact and saves it to the store.
 *
 * Name and a variable list of addresses, each with a label; Save is enabled once there is a
 * name and one address. Escape or Cancel closes without saving. An existing contact can be
 * deleted from here, after a confirmation. Errors from the store show in a toast and keep
 * the dialog open.
 */
#pragma once

#include <adwaita.h>

#include "bell-store.h"

G_BEGIN_DECLS

#define BELL_TYPE_CONTACT_EDITOR (bell_contact_editor_get_type ())
G_DECLARE_FINAL_TYPE (BellContactEditor, bell_contact_editor, BELL, CONTACT_EDITOR, AdwWindow)

/* contact: the one to edit (the editor works on a copy), or NULL for a new contact. */
BellContactEditor *bell_contact_editor_new           (BellStore         *store,
                                                      BellContact       *contact);
/* Fills the name (for "add a contact from this number" flows and tests). */
void               bell_contact_editor_set_name      (BellContactEditor *self,
                                                      const char        *name);
/* Appends an address row. */
void               bell_contact_editor_add_address   (BellContactEditor *self,
                                                      const char        *label,
                                                      const char        *uri);
/* Whether Save is enabled now. */
gboolean           bell_contact_editor_can_save      (BellContactEditor *self);

G_END_DECLS
