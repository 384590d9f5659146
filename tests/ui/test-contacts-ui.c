/* test-contacts-ui.c: the Contacts and History pages and the contact editor in a real window
 * (under tests/ui/with-xvfb.sh), on a store in a temporary folder. Widgets are driven through
 * their APIs and the main context is iterated until what the user would see is there. */
#include "bell-contacts-page.h"
#include "bell-contact-editor.h"
#include "bell-history-format.h"
#include "bell-history-page.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

/* Waiting ---------------------------------------------------------------------------------- */

static gboolean timed_out;

static gboolean
on_deadline (gpointer data)
{
  timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the main context until cond holds; fails the test after 10 s. */
#define WAIT_UNTIL(cond) \
  G_STMT_START { \
    guint deadline_ = g_timeout_add_seconds (10, on_deadline, NULL); \
    timed_out = FALSE; \
    while (!(cond) && !timed_out) \
      g_main_context_iteration (NULL, TRUE); \
    if (!(cond)) \
      g_error ("timed out waiting for: %s", #cond); \
    if (!timed_out) \
      g_source_remove (deadline_); \
  } G_STMT_END

static void
on_result (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

/* Fixture: a store in its own folder, a window ------------------------------------------- */

typedef struct
{
  char *dir;
  BellStore *store;
  GtkWindow *window;
  char *called;           /* the last "call" signal's URI */
  guint n_calls;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  GAsyncResult *result = NULL;

  f->dir = g_dir_make_tmp ("bell-contacts-ui-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "bellbird.sqlite", NULL);
  bell_store_open_async (path, NULL, on_result, &result);
  WAIT_UNTIL (result != NULL);
  f->store = bell_store_open_finish (result, &error);
  g_object_unref (result);
  g_assert_no_error (error);

  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 600, 700);
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      g_unlink (child);
    }
  if (dir)
    g_dir_close (dir);
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  BellStore *store = f->store;

  gtk_window_destroy (f->window);
  g_object_add_weak_pointer (G_OBJECT (store), (gpointer *) &store);
  g_clear_object (&f->store);
  /* Rows let go of the store as the window goes; the store then closes its database. */
  WAIT_UNTIL (store == NULL);
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->called);
}

static void
on_call (GtkWidget *page, const char *uri, Fixture *f)
{
  g_free (f->called);
  f->called = g_strdup (uri);
  f->n_calls++;
}

/* Widget lookup ---------------------------------------------------------------------------- */

static GtkWidget *
find_descendant (GtkWidget *root, GType type, const char *css_class)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type)
          && (!css_class || gtk_widget_has_css_class (child, css_class)))
        return child;
      GtkWidget *found = find_descendant (child, type, css_class);
      if (found)
        return found;
    }
  return NULL;
}

typedef gboolean (*WidgetTest) (GtkWidget *widget, const char *text);

/* The first descendant of root (depth first) for which test holds. */
static GtkWidget *
find_widget (GtkWidget *root, WidgetTest test, const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      if (test (child, text))
        return child;
      GtkWidget *found = find_widget (child, test, text);
      if (found)
        return found;
    }
  return NULL;
}

static gboolean
is_entry_row_titled (GtkWidget *widget, const char *title)
{
  return ADW_IS_ENTRY_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

static gboolean
is_button_with_icon (GtkWidget *widget, const char *icon)
{
  return GTK_IS_BUTTON (widget)
         && g_strcmp0 (gtk_button_get_icon_name (GTK_BUTTON (widget)), icon) == 0;
}

static guint
count_rows (GtkListBox *list_box)
{
  guint n = 0;

  while (gtk_list_box_get_row_at_index (list_box, n))
    n++;
  return n;
}

static AdwActionRow *
find_row (GtkListBox *list_box, const char *title)
{
  GtkListBoxRow *row;

  for (guint i = 0; (row = gtk_list_box_get_row_at_index (list_box, i)); i++)
    if (g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), title) == 0)
      return ADW_ACTION_ROW (row);
  return NULL;
}

static gboolean
is_page_stack (GtkWidget *widget, const char *page)
{
  return GTK_IS_STACK (widget) && gtk_stack_get_child_by_name (GTK_STACK (widget), page);
}

/* The page's own stack (its "list", "empty" ... pages), not one inside a GTK widget. */
static const char *
visible_page (GtkWidget *root)
{
  GtkStack *stack = GTK_STACK (find_widget (root, is_page_stack, "list"));
  return gtk_stack_get_visible_child_name (stack);
}

static void
add_contact (BellStore *store, const char *name, ...)
{
  g_autoptr(BellContact) contact = bell_contact_new (name);
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;
  va_list args;
  const char *label;

  va_start (args, name);
  while ((label = va_arg (args, const char *)))
    bell_contact_add_address (contact, label, va_arg (args, const char *));
  va_end (args);
  bell_store_add_contact_async (store, contact, NULL, on_result, &result);
  WAIT_UNTIL (result != NULL);
  g_autoptr(BellContact) stored = bell_store_add_contact_finish (store, result, &error);
  g_object_unref (result);
  g_assert_no_error (error);
}

/* Contacts --------------------------------------------------------------------------------- */

static void
test_contacts_page (Fixture *f, gconstpointer data)
{
  GtkWidget *page = bell_contacts_page_new (f->store);
  GtkListBox *list_box;
  GtkEditable *search;
  AdwActionRow *row;
  GtkWidget *call;

  g_signal_connect (page, "call", G_CALLBACK (on_call), f);
  gtk_window_set_child (f->window, page);
  gtk_window_present (f->window);
  list_box = GTK_LIST_BOX (find_descendant (page, GTK_TYPE_LIST_BOX, NULL));
  search = GTK_EDITABLE (find_descendant (page, GTK_TYPE_SEARCH_ENTRY, NULL));

  /* A fresh store: the echo contact. */
  WAIT_UNTIL (find_row (list_box, "Echo test") != NULL);
  g_assert_cmpstr (visible_page (page), ==, "list");

  /* Added through the store: the row appears, sorted. */
  add_contact (f->store, "Alice Example", "mobile", "+49 170 1234567",
               "sip", "sip:alice@example.com", NULL);
  add_contact (f->store, "Zed", "work", "sip:zed@example.org", NULL);
  WAIT_UNTIL (count_rows (list_box) == 3);
  row = find_row (list_box, "Alice Example");
  g_assert_nonnull (row);
  g_assert_cmpint (gtk_list_box_row_get_index (GTK_LIST_BOX_ROW (row)), ==, 0);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), "+49 170 1234567"));

  /* Search as you type: by name, by digits however they are grouped, and no match. */
  gtk_editable_set_text (search, "ALI");
  WAIT_UNTIL (count_rows (list_box) == 1);
  g_assert_nonnull (find_row (list_box, "Alice Example"));
  gtk_editable_set_text (search, "1701234");
  WAIT_UNTIL (count_rows (list_box) == 1 && find_row (list_box, "Alice Example"));
  gtk_editable_set_text (search, "example.org");
  WAIT_UNTIL (count_rows (list_box) == 1 && find_row (list_box, "Zed"));
  gtk_editable_set_text (search, "nobody at all");
  WAIT_UNTIL (count_rows (list_box) == 0);
  g_assert_cmpstr (visible_page (page), ==, "no-match");
  gtk_editable_set_text (search, "alice");
  WAIT_UNTIL (count_rows (list_box) == 1);
  g_assert_cmpstr (visible_page (page), ==, "list");

  /* The call button calls the first address; it is labelled for screen readers. */
  row = find_row (list_box, "Alice Example");
  call = find_descendant (GTK_WIDGET (row), GTK_TYPE_BUTTON, "bell-call-button");
  g_assert_nonnull (call);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (call), ==, "Call Alice Example");
  g_assert_cmpstr (gtk_button_get_icon_name (GTK_BUTTON (call)), ==, "call-start-symbolic");
  g_signal_emit_by_name (call, "clicked");
  g_assert_cmpuint (f->n_calls, ==, 1);
  g_assert_cmpstr (f->called, ==, "+49 170 1234567");

  /* Several addresses: a menu to pick one, with an accessible name. */
  GtkWidget *pick = find_descendant (GTK_WIDGET (row), GTK_TYPE_MENU_BUTTON, NULL);
  g_assert_nonnull (pick);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (pick), ==,
                   "Choose a number to call Alice Example");
  GMenuModel *menu = gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (pick));
  g_assert_cmpint (g_menu_model_get_n_items (menu), ==, 2);
  gtk_widget_activate_action (GTK_WIDGET (row), "contacts.call", "s", "sip:alice@example.com");
  g_assert_cmpstr (f->called, ==, "sip:alice@example.com");

  /* Enter on a row (activation) calls its first address; so does Enter in the search. */
  gtk_widget_activate (GTK_WIDGET (row));
  g_assert_cmpuint (f->n_calls, ==, 3);
  g_assert_cmpstr (f->called, ==, "+49 170 1234567");
  g_signal_emit_by_name (search, "activate");
  g_assert_cmpuint (f->n_calls, ==, 4);
  /* Enter right after typing, before the search's delay: the new text counts. */
  gtk_editable_set_text (search, "zed");
  g_signal_emit_by_name (search, "activate");
  g_assert_cmpuint (f->n_calls, ==, 5);
  g_assert_cmpstr (f->called, ==, "sip:zed@example.org");
  gtk_editable_set_text (search, "alice");
  WAIT_UNTIL (count_rows (list_box) == 1 && find_row (list_box, "Alice Example"));
  row = find_row (list_box, "Alice Example");

  /* A contact deleted through the store leaves the list. */
  g_autoptr(BellContact) alice = g_list_model_get_item (bell_contacts_page_get_visible
                                                          (BELL_CONTACTS_PAGE (page)), 0);
  GAsyncResult *result = NULL;
  bell_store_delete_contact_async (f->store, bell_contact_get_id (alice), NULL, on_result,
                                   &result);
  WAIT_UNTIL (result != NULL);
  g_assert_true (bell_store_delete_contact_finish (f->store, result, NULL));
  g_clear_object (&result);
  WAIT_UNTIL (count_rows (list_box) == 0);
  g_assert_cmpstr (visible_page (page), ==, "no-match");

  /* Everything deleted: the empty state with its Add button. */
  gtk_editable_set_text (search, "");
  WAIT_UNTIL (count_rows (list_box) == 2);
  while (g_list_model_get_n_items (bell_store_get_contacts (f->store)) > 0)
    {
      g_autoptr(BellContact) first = g_list_model_get_item (bell_store_get_contacts (f->store), 0);
      bell_store_delete_contact_async (f->store, bell_contact_get_id (first), NULL, on_result,
                                       &result);
      WAIT_UNTIL (result != NULL);
      g_assert_true (bell_store_delete_contact_finish (f->store, result, NULL));
      g_clear_object (&result);
    }
  WAIT_UNTIL (g_strcmp0 (visible_page (page), "empty") == 0);
  g_assert_nonnull (find_descendant (page, ADW_TYPE_STATUS_PAGE, NULL));
}

static BellContactEditor *
open_editor (Fixture *f, BellContact *contact)
{
  BellContactEditor *editor = bell_contact_editor_new (f->store, contact);

  gtk_window_set_transient_for (GTK_WINDOW (editor), f->window);
  gtk_window_present (GTK_WINDOW (editor));
  return editor;
}

static void
test_editor (Fixture *f, gconstpointer data)
{
  BellContactEditor *editor;
  AdwEntryRow *address;
  GListModel *contacts = bell_store_get_contacts (f->store);

  gtk_window_present (f->window);
  editor = open_editor (f, NULL);
  g_signal_connect_swapped (editor, "destroy", G_CALLBACK (g_nullify_pointer), &editor);

  /* Save needs a name and an address. */
  g_assert_false (bell_contact_editor_can_save (editor));
  bell_contact_editor_set_name (editor, "Bob Builder");
  g_assert_false (bell_contact_editor_can_save (editor));
  address = ADW_ENTRY_ROW (find_widget (GTK_WIDGET (editor), is_entry_row_titled,
                                       "Number or SIP address"));
  g_assert_nonnull (address);
  gtk_editable_set_text (GTK_EDITABLE (address), "+1 555 0100");
  g_assert_true (bell_contact_editor_can_save (editor));
  bell_contact_editor_add_address (editor, "sip", "sip:bob@example.com");

  gtk_widget_activate_action (GTK_WIDGET (editor), "editor.save", NULL);
  /* Saved: the dialog closes and the contact is in the store. */
  WAIT_UNTIL (editor == NULL);
  g_assert_cmpuint (g_list_model_get_n_items (contacts), ==, 2);
  g_autoptr(BellContact) bob = g_list_model_get_item (contacts, 0);
  g_assert_cmpstr (bell_contact_get_name (bob), ==, "Bob Builder");
  g_assert_cmpuint (bell_contact_get_n_addresses (bob), ==, 2);
  g_assert_cmpstr (bell_contact_get_address (bob, 0)->label, ==, "mobile");
  g_assert_cmpstr (bell_contact_get_address (bob, 0)->uri, ==, "+1 555 0100");
  g_assert_cmpstr (bell_contact_get_address (bob, 1)->label, ==, "sip");

  /* Escape (window.close) cancels: nothing changes. */
  editor = open_editor (f, bob);
  g_signal_connect_swapped (editor, "destroy", G_CALLBACK (g_nullify_pointer), &editor);
  bell_contact_editor_set_name (editor, "Not Saved");
  gtk_widget_activate_action (GTK_WIDGET (editor), "window.close", NULL);
  WAIT_UNTIL (editor == NULL);
  g_autoptr(BellContact) still = g_list_model_get_item (contacts, 0);
  g_assert_cmpstr (bell_contact_get_name (still), ==, "Bob Builder");
}

/* History ---------------------------------------------------------------------------------- */

static void
test_history_page (Fixture *f, gconstpointer data)
{
  GtkWidget *page = bell_history_page_new (f->store);
  GtkListBox *list_box;
  AdwActionRow *row;
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;

  add_contact (f->store, "Alice Example", "sip", "sip:alice@example.com", NULL);
  g_signal_connect (page, "call", G_CALLBACK (on_call), f);
  gtk_window_set_child (f->window, page);
  gtk_window_present (f->window);
  list_box = GTK_LIST_BOX (find_descendant (page, GTK_TYPE_LIST_BOX, NULL));
  WAIT_UNTIL (g_strcmp0 (visible_page (page), "empty") == 0);

  /* A missed call from a known address: named from the contacts, marked missed. */
  g_autoptr(BellHistoryEntry) missed =
    bell_history_entry_new (BELL_CALL_DIRECTION_INCOMING, "sips:alice@example.com:5061", NULL,
                            NULL, g_get_real_time (), 0, BELL_CALL_OUTCOME_MISSED, NULL);
  bell_store_add_history_async (f->store, missed, NULL, on_result, &result);
  WAIT_UNTIL (result != NULL);
  g_autoptr(BellHistoryEntry) stored = bell_store_add_history_finish (f->store, result, &error);
  g_clear_object (&result);
  g_assert_no_error (error);
  g_assert_cmpuint (bell_store_get_missed_unseen (f->store), ==, 1);

  WAIT_UNTIL (count_rows (list_box) == 1);
  g_assert_cmpstr (visible_page (page), ==, "list");
  row = find_row (list_box, "Alice Example");
  g_assert_nonnull (row);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), "Missed"));
  GtkWidget *icon = find_descendant (GTK_WIDGET (row), GTK_TYPE_IMAGE, "error");
  g_assert_nonnull (icon);
  g_assert_cmpstr (gtk_image_get_icon_name (GTK_IMAGE (icon)), ==, "call-missed-symbolic");

  /* Looking at the page marks it seen. */
  bell_history_page_mark_seen (BELL_HISTORY_PAGE (page));
  WAIT_UNTIL (bell_store_get_missed_unseen (f->store) == 0);
  g_assert_true (bell_history_entry_get_seen (stored));

  /* Call back. */
  GtkWidget *call = find_descendant (GTK_WIDGET (row), GTK_TYPE_BUTTON, "bell-call-button");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (call), ==, "Call Alice Example back");
  g_signal_emit_by_name (call, "clicked");
  g_assert_cmpstr (f->called, ==, "sips:alice@example.com:5061");

  /* An answered outgoing call shows its duration, newest first. */
  g_autoptr(BellHistoryEntry) answered =
    bell_history_entry_new (BELL_CALL_DIRECTION_OUTGOING, "+1 555 0100", "Bob", NULL,
                            g_get_real_time () + 1, 185, BELL_CALL_OUTCOME_ANSWERED, NULL);
  bell_store_add_history_async (f->store, answered, NULL, on_result, &result);
  WAIT_UNTIL (result != NULL);
  g_clear_object (&result);
  WAIT_UNTIL (count_rows (list_box) == 2);
  row = ADW_ACTION_ROW (gtk_list_box_get_row_at_index (list_box, 0));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Bob");
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), "3:05"));

  /* Delete one row through its button. */
  GtkWidget *trash = find_widget (GTK_WIDGET (row), is_button_with_icon, "user-trash-symbolic");
  g_assert_nonnull (trash);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (trash), ==, "Delete from history");
  g_signal_emit_by_name (trash, "clicked");
  WAIT_UNTIL (count_rows (list_box) == 1);
}

static void
test_format (void)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_utc ();
  g_autoptr(GDateTime) now = g_date_time_new (tz, 2024, 3, 15, 18, 0, 0);
  g_autoptr(GDateTime) today = g_date_time_new (tz, 2024, 3, 15, 14, 32, 0);
  g_autoptr(GDateTime) yesterday = g_date_time_new (tz, 2024, 3, 14, 23, 59, 0);
  g_autoptr(GDateTime) old = g_date_time_new (tz, 2023, 12, 1, 9, 0, 0);
  g_autofree char *a = bell_history_format_time (today, now);
  g_autofree char *b = bell_history_format_time (yesterday, now);
  g_autofree char *c = bell_history_format_time (old, now);
  g_autofree char *d1 = bell_history_format_duration (42);
  g_autofree char *d2 = bell_history_format_duration (185);
  g_autofree char *d3 = bell_history_format_duration (3725);
  g_autoptr(BellHistoryEntry) failed =
    bell_history_entry_new (BELL_CALL_DIRECTION_OUTGOING, "sip:x@y", NULL, NULL, 0, 0,
                            BELL_CALL_OUTCOME_FAILED, "Busy Here");
  g_autofree char *o = bell_history_format_outcome (failed);

  g_assert_cmpstr (a, ==, "14:32");
  g_assert_cmpstr (b, ==, "Yesterday");
  g_assert_cmpstr (c, ==, "1 Dec 2023");
  g_assert_cmpstr (d1, ==, "0:42");
  g_assert_cmpstr (d2, ==, "3:05");
  g_assert_cmpstr (d3, ==, "1:02:05");
  g_assert_cmpstr (o, ==, "Failed: Busy Here");
}

int
main (int argc, char *argv[])
{
  /* The C locale: the assertions read English texts and a 24-hour clock. */
  g_setenv ("LANGUAGE", "C", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  /* Xvfb has no GPU: cairo draws, and GDK does not load a software GL driver (Mesa's
   * swrast, which leaks at unload where LeakSanitizer cannot name it). */
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("GDK_DEBUG", "gl-disable", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/contacts-ui/format", test_format);
  g_test_add ("/contacts-ui/contacts-page", Fixture, NULL, fixture_set_up, test_contacts_page,
              fixture_tear_down);
  g_test_add ("/contacts-ui/editor", Fixture, NULL, fixture_set_up, test_editor,
              fixture_tear_down);
  g_test_add ("/contacts-ui/history-page", Fixture, NULL, fixture_set_up, test_history_page,
              fixture_tear_down);
  return g_test_run ();
}
