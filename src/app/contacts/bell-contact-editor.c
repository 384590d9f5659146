/* bell-contact-editor.c: add or edit a contact. */
#define G_LOG_DOMAIN "bellbird-contacts"

#include "config.h"

#include "bell-contact-editor.h"
#include "bell-contact-labels.h"

#include "bell-contacts-init.h"

#include <glib/gi18n-lib.h>

/* One address in the list: the entry, its label drop-down, and the label keys behind the
 * drop-down's items. */
typedef struct
{
  AdwEntryRow *row;
  GtkDropDown *label;
  GStrv keys;
} AddressRow;

struct _BellContactEditor
{
  AdwWindow parent_instance;

  BellStore *store;
  BellContact *contact;         /* our copy; id 0 for a new contact */
  GPtrArray *address_rows;      /* of AddressRow */
  gboolean busy;                /* a save or delete is on its way */

  AdwToastOverlay *toast_overlay;
  AdwEntryRow *name_row;
  AdwEntryRow *note_row;
  AdwPreferencesGroup *addresses_group;
  AdwPreferencesGroup *delete_group;
};

G_DEFINE_FINAL_TYPE (BellContactEditor, bell_contact_editor, ADW_TYPE_WINDOW)

static void
address_row_free (AddressRow *address)
{
  g_strfreev (address->keys);
  g_free (address);
}

static char *
trimmed_text (GtkEditable *editable)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (editable)));
}

static void
update_actions (BellContactEditor *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.save",
                                 !self->busy && bell_contact_editor_can_save (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.delete",
                                 !self->busy && bell_contact_get_id (self->contact) > 0);
}

gboolean
bell_contact_editor_can_save (BellContactEditor *self)
{
  g_return_val_if_fail (BELL_IS_CONTACT_EDITOR (self), FALSE);

  g_autofree char *name = trimmed_text (GTK_EDITABLE (self->name_row));
  if (!*name)
    return FALSE;
  for (guint i = 0; i < self->address_rows->len; i++)
    {
      AddressRow *address = self->address_rows->pdata[i];
      g_autofree char *uri = trimmed_text (GTK_EDITABLE (address->row));
      if (*uri)
        return TRUE;
    }
  return FALSE;
}

static void
on_text_changed (GtkEditable *editable, BellContactEditor *self)
{
  update_actions (self);
}

static void
show_error (BellContactEditor *self, const GError *error)
{
  /* Toast titles are markup. */
  g_autofree char *escaped = g_markup_escape_text (error->message, -1);
  AdwToast *toast = adw_toast_new (escaped);

  adw_toast_set_timeout (toast, 0);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* Address rows ---------------------------------------------------------------------------- */

static void
on_remove_address_clicked (GtkButton *button, BellContactEditor *self)
{
  AdwEntryRow *row = g_object_get_data (G_OBJECT (button), "bell-address-row");

  for (guint i = 0; i < self->address_rows->len; i++)
    {
      AddressRow *address = self->address_rows->pdata[i];
      if (address->row != row)
        continue;
      adw_preferences_group_remove (self->addresses_group, GTK_WIDGET (row));
      g_ptr_array_remove_index (self->address_rows, i);
      break;
    }
  update_actions (self);
}

static void
on_address_activated (AdwEntryRow *row, BellContactEditor *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "editor.save", NULL);
}

void
bell_contact_editor_add_address (BellContactEditor *self, const char *label, const char *uri)
{
  g_return_if_fail (BELL_IS_CONTACT_EDITOR (self));

  const char * const *known = bell_contact_label_keys ();
  g_autoptr(GStrvBuilder) keys = g_strv_builder_new ();
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  AddressRow *address = g_new0 (AddressRow, 1);
  guint selected = 0;
  gboolean found = FALSE;

  if (!label || !*label)
    label = "mobile";
  for (guint i = 0; known[i]; i++)
    {
      if (g_strcmp0 (known[i], label) == 0)
        {
          selected = i;
          found = TRUE;
        }
      g_strv_builder_add (keys, known[i]);
      gtk_string_list_append (names, bell_contact_label_display (known[i]));
    }
  /* A label from an import ("fax", "echo" ...) stays selectable as it is. */
  if (!found)
    {
      selected = g_strv_length ((GStrv) known);
      g_strv_builder_add (keys, label);
      gtk_string_list_append (names, bell_contact_label_display (label));
    }
  address->keys = g_strv_builder_end (keys);

  address->row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (address->row),
                                 _("Number or SIP address"));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (address->row), FALSE);
  gtk_editable_set_text (GTK_EDITABLE (address->row), uri ? uri : "");
  address->label = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_object_ref (names)), NULL));
  gtk_drop_down_set_selected (address->label, selected);
  gtk_widget_set_valign (GTK_WIDGET (address->label), GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (GTK_WIDGET (address->label), _("Kind of number"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (address->label),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Kind of number"), -1);
  adw_entry_row_add_prefix (address->row, GTK_WIDGET (address->label));

  GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (remove, "flat");
  gtk_widget_set_tooltip_text (remove, _("Remove this number"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Remove this number"), -1);
  g_object_set_data (G_OBJECT (remove), "bell-address-row", address->row);
  g_signal_connect (remove, "clicked", G_CALLBACK (on_remove_address_clicked), self);
  adw_entry_row_add_suffix (address->row, remove);

  g_signal_connect (address->row, "changed", G_CALLBACK (on_text_changed), self);
  g_signal_connect (address->row, "entry-activated", G_CALLBACK (on_address_activated), self);
  adw_preferences_group_add (self->addresses_group, GTK_WIDGET (address->row));
  g_ptr_array_add (self->address_rows, address);
  update_actions (self);
}

static void
add_address_activated (GtkWidget *widget, const char *action, GVariant *parameter)
{
  BellContactEditor *self = BELL_CONTACT_EDITOR (widget);
  AddressRow *address;

  bell_contact_editor_add_address (self, NULL, NULL);
  address = g_ptr_array_index (self->address_rows, self->address_rows->len - 1);
  gtk_widget_grab_focus (GTK_WIDGET (address->row));
}

/* Saving ---------------------------------------------------------------------------------- */

static void
set_busy (BellContactEditor *self, gboolean busy)
{
  self->busy = busy;
  update_actions (self);
}

static void
on_added (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(BellContactEditor) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BellContact) stored = bell_store_add_contact_finish (BELL_STORE (source), result,
                                                                 &error);

  set_busy (self, FALSE);
  if (!stored)
    show_error (self, error);
  else
    gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_updated (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(BellContactEditor) self = data;
  g_autoptr(GError) error = NULL;

  set_busy (self, FALSE);
  if (!bell_store_update_contact_finish (BELL_STORE (source), result, &error))
    show_error (self, error);
  else
    gtk_window_destroy (GTK_WINDOW (self));
}

static void
save_activated (GtkWidget *widget, const char *action, GVariant *parameter)
{
  BellContactEditor *self = BELL_CONTACT_EDITOR (widget);
  g_autofree char *name = trimmed_text (GTK_EDITABLE (self->name_row));
  g_autofree char *note = trimmed_text (GTK_EDITABLE (self->note_row));

  if (self->busy || !bell_contact_editor_can_save (self))
    return;
  bell_contact_set_name (self->contact, name);
  bell_contact_set_note (self->contact, note);
  bell_contact_clear_addresses (self->contact);
  for (guint i = 0; i < self->address_rows->len; i++)
    {
      AddressRow *address = self->address_rows->pdata[i];
      g_autofree char *uri = trimmed_text (GTK_EDITABLE (address->row));
      guint selected = gtk_drop_down_get_selected (address->label);

      if (*uri)
        bell_contact_add_address (self->contact,
                                  selected < g_strv_length (address->keys)
                                  ? address->keys[selected] : "other", uri);
    }

  set_busy (self, TRUE);
  if (bell_contact_get_id (self->contact) > 0)
    bell_store_update_contact_async (self->store, self->contact, NULL, on_updated,
                                     g_object_ref (self));
  else
    bell_store_add_contact_async (self->store, self->contact, NULL, on_added,
                                  g_object_ref (self));
}

/* Deleting -------------------------------------------------------------------------------- */

static void
on_deleted (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(BellContactEditor) self = data;
  g_autoptr(GError) error = NULL;

  set_busy (self, FALSE);
  if (!bell_store_delete_contact_finish (BELL_STORE (source), result, &error))
    show_error (self, error);
  else
    gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_delete_response (AdwMessageDialog *dialog, const char *response, BellContactEditor *self)
{
  if (g_strcmp0 (response, "delete") != 0)
    return;
  set_busy (self, TRUE);
  bell_store_delete_contact_async (self->store, bell_contact_get_id (self->contact), NULL,
                                   on_deleted, g_object_ref (self));
}

static void
delete_activated (GtkWidget *widget, const char *action, GVariant *parameter)
{
  BellContactEditor *self = BELL_CONTACT_EDITOR (widget);
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), NULL, NULL));
  adw_message_dialog_format_heading (dialog, _("Delete %s?"),
                                     bell_contact_get_name (self->contact));
  adw_message_dialog_set_body (dialog, _("The contact and all its numbers are removed."));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_delete_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Object ---------------------------------------------------------------------------------- */

static void
on_name_activated (AdwEntryRow *row, BellContactEditor *self)
{
  /* Enter in the name moves on to the first address, or saves when all is there. */
  if (bell_contact_editor_can_save (self))
    gtk_widget_activate_action (GTK_WIDGET (self), "editor.save", NULL);
  else if (self->address_rows->len > 0)
    gtk_widget_grab_focus (GTK_WIDGET (((AddressRow *) self->address_rows->pdata[0])->row));
}

static void
bell_contact_editor_dispose (GObject *object)
{
  BellContactEditor *self = BELL_CONTACT_EDITOR (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), BELL_TYPE_CONTACT_EDITOR);
  G_OBJECT_CLASS (bell_contact_editor_parent_class)->dispose (object);
}

static void
bell_contact_editor_finalize (GObject *object)
{
  BellContactEditor *self = BELL_CONTACT_EDITOR (object);

  g_clear_object (&self->store);
  g_clear_object (&self->contact);
  g_ptr_array_unref (self->address_rows);
  G_OBJECT_CLASS (bell_contact_editor_parent_class)->finalize (object);
}

static void
bell_contact_editor_class_init (BellContactEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bell_contact_editor_dispose;
  object_class->finalize = bell_contact_editor_finalize;

  _bell_contacts_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/bellbird/Bellbird/contacts/bell-contact-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, BellContactEditor, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, BellContactEditor, name_row);
  gtk_widget_class_bind_template_child (widget_class, BellContactEditor, note_row);
  gtk_widget_class_bind_template_child (widget_class, BellContactEditor, addresses_group);
  gtk_widget_class_bind_template_child (widget_class, BellContactEditor, delete_group);

  gtk_widget_class_install_action (widget_class, "editor.save", NULL, save_activated);
  gtk_widget_class_install_action (widget_class, "editor.delete", NULL, delete_activated);
  gtk_widget_class_install_action (widget_class, "editor.add-address", NULL,
                                   add_address_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK,
                                       "editor.save", NULL);
}

static void
bell_contact_editor_init (BellContactEditor *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->address_rows = g_ptr_array_new_with_free_func ((GDestroyNotify) address_row_free);
  g_signal_connect (self->name_row, "changed", G_CALLBACK (on_text_changed), self);
  g_signal_connect (self->name_row, "entry-activated", G_CALLBACK (on_name_activated), self);
}

BellContactEditor *
bell_contact_editor_new (BellStore *store, BellContact *contact)
{
  g_return_val_if_fail (BELL_IS_STORE (store), NULL);
  g_return_val_if_fail (contact == NULL || BELL_IS_CONTACT (contact), NULL);

  BellContactEditor *self = g_object_new (BELL_TYPE_CONTACT_EDITOR, NULL);
  self->store = g_object_ref (store);
  self->contact = contact ? bell_contact_copy (contact) : bell_contact_new (NULL);

  gtk_window_set_title (GTK_WINDOW (self), contact ? _("Edit Contact") : _("New Contact"));
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), bell_contact_get_name (self->contact));
  if (bell_contact_get_note (self->contact))
    gtk_editable_set_text (GTK_EDITABLE (self->note_row), bell_contact_get_note (self->contact));
  for (guint i = 0; i < bell_contact_get_n_addresses (self->contact); i++)
    {
      const BellContactAddress *address = bell_contact_get_address (self->contact, i);
      bell_contact_editor_add_address (self, address->label, address->uri);
    }
  /* A new contact starts with one empty address to fill. */
  if (bell_contact_get_n_addresses (self->contact) == 0)
    bell_contact_editor_add_address (self, "mobile", NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->delete_group), contact != NULL);
  update_actions (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
  return self;
}

void
bell_contact_editor_set_name (BellContactEditor *self, const char *name)
{
  g_return_if_fail (BELL_IS_CONTACT_EDITOR (self));
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), name ? name : "");
}
