/* bell-contacts-page.c: the Contacts view. */
#define G_LOG_DOMAIN "bellbird-contacts"

#include "config.h"

#include "bell-contacts-page.h"
#include "bell-contact-editor.h"
#include "bell-contact-labels.h"

#include "bell-contacts-init.h"

#include <glib/gi18n-lib.h>

struct _BellContactsPage
{
  AdwBin parent_instance;

  BellStore *store;
  GtkCustomFilter *filter;
  GtkFilterListModel *visible;
  char *query;                  /* what the search entry held at the last search-changed */
  GtkFileChooserNative *chooser;

  GtkSearchEntry *search_entry;
  GtkListBox *list_box;
  GtkStack *stack;
  AdwToastOverlay *toast_overlay;
};

G_DEFINE_FINAL_TYPE (BellContactsPage, bell_contacts_page, ADW_TYPE_BIN)

enum { PROP_0, PROP_STORE, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_CALL, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
show_toast (BellContactsPage *self, const char *text)
{
  /* Toast titles are markup; our texts carry file names and error messages. */
  g_autofree char *escaped = g_markup_escape_text (text, -1);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (escaped));
}

static void
update_stack (BellContactsPage *self)
{
  const char *page = "list";

  if (g_list_model_get_n_items (bell_store_get_contacts (self->store)) == 0)
    page = "empty";
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->visible)) == 0)
    page = "no-match";
  gtk_stack_set_visible_child_name (self->stack, page);
}

static void
on_model_changed (GListModel *model, guint position, guint removed, guint added,
                  BellContactsPage *self)
{
  update_stack (self);
}

/* Search ---------------------------------------------------------------------------------- */

static gboolean
filter_contact (gpointer item, gpointer data)
{
  BellContactsPage *self = data;
  return bell_contact_matches_text (BELL_CONTACT (item), self->query);
}

static void
on_search_changed (GtkSearchEntry *entry, BellContactsPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));
  gboolean narrower = self->query && *self->query && g_str_has_prefix (text, self->query);

  g_free (self->query);
  self->query = g_strdup (text);
  /* Typing on only narrows the match: GTK then re-checks only what is still shown. */
  gtk_filter_changed (GTK_FILTER (self->filter),
                      narrower ? GTK_FILTER_CHANGE_MORE_STRICT : GTK_FILTER_CHANGE_DIFFERENT);
}

static void
on_search_activated (GtkSearchEntry *entry, BellContactsPage *self)
{
  /* Enter in the search calls the first match: search, Enter, talking. Typed faster than
   * search-changed's delay, the filter first catches up. */
  if (g_strcmp0 (self->query, gtk_editable_get_text (GTK_EDITABLE (entry))) != 0)
    on_search_changed (entry, self);

  g_autoptr(BellContact) first = g_list_model_get_item (G_LIST_MODEL (self->visible), 0);

  if (first && bell_contact_get_first_uri (first))
    g_signal_emit (self, signals[SIGNAL_CALL], 0, bell_contact_get_first_uri (first));
}

static void
on_stop_search (GtkSearchEntry *entry, BellContactsPage *self)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
}

/* Rows ------------------------------------------------------------------------------------ */

static char *
address_text (const BellContactAddress *address)
{
  const char *label = bell_contact_label_display (address->label);

  /* The app maps the literal address "echo" to its built-in echo service. */
  if (g_ascii_strcasecmp (address->uri, "echo") == 0)
    return g_strdup (_("Hear yourself through Bellbird’s echo service"));
  if (!*label)
    return g_strdup (address->uri);
  /* TRANSLATORS: an address in a list: "Mobile: +49 170 1234567" */
  return g_strdup_printf (_("%s: %s"), label, address->uri);
}

static GtkWidget *
icon_button (const char *icon, const char *label)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  label, -1);
  return button;
}

static GtkWidget *
create_row (gpointer item, gpointer data)
{
  BellContact *contact = item;
  const char *name = bell_contact_get_name (contact);
  guint n = bell_contact_get_n_addresses (contact);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *button;

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  if (n > 0)
    {
      g_autofree char *first = address_text (bell_contact_get_address (contact, 0));
      g_autofree char *subtitle = n == 1 ? g_strdup (first)
        /* TRANSLATORS: the first number, then how many more the contact has */
        : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s (and %u more)",
                                        "%s (and %u more)", n - 1), first, n - 1);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
    }
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), n > 0);

  if (n > 1)
    {
      /* Several numbers: a menu to pick the one to call. */
      g_autoptr(GMenu) menu = g_menu_new ();
      g_autofree char *label = g_strdup_printf (_("Choose a number to call %s"), name);
      for (guint i = 0; i < n; i++)
        {
          const BellContactAddress *address = bell_contact_get_address (contact, i);
          g_autofree char *text = address_text (address);
          g_autoptr(GMenuItem) menu_item = g_menu_item_new (text, NULL);
          g_menu_item_set_action_and_target_value (menu_item, "contacts.call",
                                                   g_variant_new_string (address->uri));
          g_menu_append_item (menu, menu_item);
        }
      button = gtk_menu_button_new ();
      gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "pan-down-symbolic");
      gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (button), G_MENU_MODEL (menu));
      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_set_tooltip_text (button, label);
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      label, -1);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
    }

  if (n > 0)
    {
      g_autofree char *label = g_strdup_printf (_("Call %s"), name);
      button = icon_button ("call-start-symbolic", label);
      gtk_widget_add_css_class (button, "bell-call-button");
      gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "contacts.call");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s",
                                        bell_contact_get_first_uri (contact));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
    }

  g_autofree char *edit_label = g_strdup_printf (_("Edit %s"), name);
  button = icon_button ("document-edit-symbolic", edit_label);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "contacts.edit");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "x", bell_contact_get_id (contact));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  return row;
}

static void
on_row_activated (GtkListBox *list_box, GtkListBoxRow *row, BellContactsPage *self)
{
  int index = gtk_list_box_row_get_index (row);
  g_autoptr(BellContact) contact = g_list_model_get_item (G_LIST_MODEL (self->visible), index);

  if (contact && bell_contact_get_first_uri (contact))
    g_signal_emit (self, signals[SIGNAL_CALL], 0, bell_contact_get_first_uri (contact));
}

/* Actions --------------------------------------------------------------------------------- */

static void
call_activated (GtkWidget *widget, const char *action, GVariant *parameter)
{
  g_signal_emit (widget, signals[SIGNAL_CALL], 0, g_variant_get_string (parameter, NULL));
}

static void
present_editor (BellContactsPage *self, BellContactEditor *editor)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (editor), GTK_WINDOW (root));
  gtk_window_present (GTK_WINDOW (editor));
}

static void
add_activated (GtkWidget *widget, const char *action, GVariant *parameter)
{
  BellContactsPage *self = BELL_CONTACTS_PAGE (widget);
  BellContactEditor *editor = bell_contact_editor_new (self->store, NULL);
  g_autofree char *query = g_strstrip (g_strdup (self->query ? self->query : ""));

  /* What the user searched for and did not find is most likely what they add. */
  if (*query && g_strstr_len (query, -1, "@") == NULL && !g_ascii_isdigit (query[0])
      && query[0] != '+')
    bell_contact_editor_set_name (editor, query);
  present_editor (self, editor);
}

static void
edit_activated (GtkWidget *widget, const char *action, GVariant *parameter)
{
  BellContactsPage *self = BELL_CONTACTS_PAGE (widget);
  gint64 id = g_variant_get_int64 (parameter);
  GListModel *contacts = bell_store_get_contacts (self->store);

  for (guint i = 0; i < g_list_model_get_n_items (contacts); i++)
    {
      g_autoptr(BellContact) contact = g_list_model_get_item (contacts, i);
      if (bell_contact_get_id (contact) == id)
        {
          present_editor (self, bell_contact_editor_new (self->store, contact));
          return;
        }
    }
}

static void
on_imported (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(BellContactsPage) self = data;
  g_autoptr(GError) error = NULL;
  guint n = 0;

  if (!bell_store_import_vcard_finish (BELL_STORE (source), result, &n, &error))
    {
      g_autofree char *text = g_strdup_printf (_("Could not import: %s"), error->message);
      show_toast (self, text);
    }
  else if (n == 0)
    show_toast (self, _("No new contacts in the file"));
  else
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                            "Imported %u contact",
                                                            "Imported %u contacts", n), n);
      show_toast (self, text);
    }
}

static void
on_exported (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(BellContactsPage) self = data;
  g_autoptr(GError) error = NULL;

  if (!bell_store_export_vcard_finish (BELL_STORE (source), result, &error))
    {
      g_autofree char *text = g_strdup_printf (_("Could not export: %s"), error->message);
      show_toast (self, text);
    }
  else
    show_toast (self, _("Contacts exported"));
}

static void
on_chooser_response (GtkNativeDialog *dialog, int response, BellContactsPage *self)
{
  g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  GtkFileChooserAction kind = gtk_file_chooser_get_action (GTK_FILE_CHOOSER (dialog));

  if (response == GTK_RESPONSE_ACCEPT && file)
    {
      if (kind == GTK_FILE_CHOOSER_ACTION_OPEN)
        bell_store_import_vcard_async (self->store, file, NULL, on_imported, g_object_ref (self));
      else
        bell_store_export_vcard_async (self->store, file, NULL, on_exported, g_object_ref (self));
    }
  g_clear_object (&self->chooser);
}

static void
run_chooser (BellContactsPage *self, GtkFileChooserAction kind)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autoptr(GtkFileFilter) vcards = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
  gboolean open = kind == GTK_FILE_CHOOSER_ACTION_OPEN;

  if (self->chooser)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (open ? _("Import Contacts") : _("Export Contacts"),
                                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               kind,
                                               open ? _("_Import") : _("_Export"),
                                               _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  gtk_file_filter_set_name (vcards, _("vCard files"));
  gtk_file_filter_add_mime_type (vcards, "text/vcard");
  gtk_file_filter_add_mime_type (vcards, "text/x-vcard");
  gtk_file_filter_add_pattern (vcards, "*.vcf");
  gtk_file_filter_add_pattern (vcards, "*.vcard");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), vcards);
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), all);
  if (!open)
    /* TRANSLATORS: the file name an export suggests; keep the .vcf */
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), _("contacts.vcf"));
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
import_activated (GtkWidget *widget, const char *action, GVariant *parameter)
{
  run_chooser (BELL_CONTACTS_PAGE (widget), GTK_FILE_CHOOSER_ACTION_OPEN);
}

static void
export_activated (GtkWidget *widget, const char *action, GVariant *parameter)
{
  run_chooser (BELL_CONTACTS_PAGE (widget), GTK_FILE_CHOOSER_ACTION_SAVE);
}

/* Object ---------------------------------------------------------------------------------- */

static void
bell_contacts_page_constructed (GObject *object)
{
  BellContactsPage *self = BELL_CONTACTS_PAGE (object);
  GListModel *contacts = bell_store_get_contacts (self->store);

  G_OBJECT_CLASS (bell_contacts_page_parent_class)->constructed (object);

  self->filter = gtk_custom_filter_new (filter_contact, self, NULL);
  self->visible = gtk_filter_list_model_new (g_object_ref (contacts),
                                             GTK_FILTER (g_object_ref (self->filter)));
  gtk_list_box_bind_model (self->list_box, G_LIST_MODEL (self->visible), create_row, self, NULL);
  g_signal_connect_object (contacts, "items-changed", G_CALLBACK (on_model_changed), self, 0);
  g_signal_connect_object (self->visible, "items-changed", G_CALLBACK (on_model_changed), self,
                           0);
  update_stack (self);
}

static void
bell_contacts_page_set_property (GObject *object, guint prop_id, const GValue *value,
                                 GParamSpec *pspec)
{
  BellContactsPage *self = BELL_CONTACTS_PAGE (object);

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bell_contacts_page_get_property (GObject *object, guint prop_id, GValue *value,
                                 GParamSpec *pspec)
{
  BellContactsPage *self = BELL_CONTACTS_PAGE (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bell_contacts_page_dispose (GObject *object)
{
  BellContactsPage *self = BELL_CONTACTS_PAGE (object);

  if (self->chooser)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  if (self->list_box)
    gtk_list_box_bind_model (self->list_box, NULL, NULL, NULL, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), BELL_TYPE_CONTACTS_PAGE);
  g_clear_object (&self->visible);
  g_clear_object (&self->filter);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (bell_contacts_page_parent_class)->dispose (object);
}

static void
bell_contacts_page_finalize (GObject *object)
{
  BellContactsPage *self = BELL_CONTACTS_PAGE (object);

  g_free (self->query);
  G_OBJECT_CLASS (bell_contacts_page_parent_class)->finalize (object);
}

static void
bell_contacts_page_class_init (BellContactsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = bell_contacts_page_constructed;
  object_class->set_property = bell_contacts_page_set_property;
  object_class->get_property = bell_contacts_page_get_property;
  object_class->dispose = bell_contacts_page_dispose;
  object_class->finalize = bell_contacts_page_finalize;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, BELL_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_CALL] = g_signal_new ("call", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  _bell_contacts_ensure_resources ();
  gtk_widget_class_set_template_from_resource (widget_class,
    "/io/github/bellbird/Bellbird/contacts/bell-contacts-page.ui");
  gtk_widget_class_bind_template_child (widget_class, BellContactsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, BellContactsPage, list_box);
  gtk_widget_class_bind_template_child (widget_class, BellContactsPage, stack);
  gtk_widget_class_bind_template_child (widget_class, BellContactsPage, toast_overlay);

  gtk_widget_class_install_action (widget_class, "contacts.call", "s", call_activated);
  gtk_widget_class_install_action (widget_class, "contacts.edit", "x", edit_activated);
  gtk_widget_class_install_action (widget_class, "contacts.add", NULL, add_activated);
  gtk_widget_class_install_action (widget_class, "contacts.import", NULL, import_activated);
  gtk_widget_class_install_action (widget_class, "contacts.export", NULL, export_activated);
}

static void
bell_contacts_page_init (BellContactsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self->search_entry, "search-changed", G_CALLBACK (on_search_changed), self);
  g_signal_connect (self->search_entry, "activate", G_CALLBACK (on_search_activated), self);
  g_signal_connect (self->search_entry, "stop-search", G_CALLBACK (on_stop_search), self);
  g_signal_connect (self->list_box, "row-activated", G_CALLBACK (on_row_activated), self);
}

GtkWidget *
bell_contacts_page_new (BellStore *store)
{
  g_return_val_if_fail (BELL_IS_STORE (store), NULL);
  return g_object_new (BELL_TYPE_CONTACTS_PAGE, "store", store, NULL);
}

void
bell_contacts_page_focus_search (BellContactsPage *self)
{
  g_return_if_fail (BELL_IS_CONTACTS_PAGE (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

GListModel *
bell_contacts_page_get_visible (BellContactsPage *self)
{
  g_return_val_if_fail (BELL_IS_CONTACTS_PAGE (self), NULL);
  return G_LIST_MODEL (self->visible);
}
