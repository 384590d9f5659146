/* desktop-scenes.c: the window in each state a user sees, what it shows, and PNGs of it. */
#include "config.h"

#include "desktop-scenes.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>
#include "bell-accounts-window.h"
#include "bell-call-manager.h"
#include "bell-call-view.h"
#include "bell-dialpad.h"
#include "ui-test-util.h"

/* Locale */

void
desk_i18n_init (void)
{
  const char *localedir = g_getenv ("BELLBIRD_LOCALEDIR");

  /* A locale the system lacks leaves "C", where gettext ignores LANGUAGE: take C.UTF-8. */
  if (!setlocale (LC_ALL, ""))
    setlocale (LC_ALL, "C.UTF-8");
  bindtextdomain (GETTEXT_PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

gboolean
desk_is_chinese (void)
{
  const char *language = g_getenv ("LANGUAGE");

  return language && g_str_has_prefix (language, "zh");
}

/* Sample data: people and calls a user could have, in the language of the run. */

typedef struct
{
  const char *name;
  const char *label1, *uri1;
  const char *label2, *uri2;
} SampleContact;

static const SampleContact contacts_en[] = {
  { "Alice Martin", "mobile", "+44 7700 900123", "work", "sip:alice@example.com" },
  { "Bob Chen", "sip", "sip:bob@example.org", NULL, NULL },
  { "Carmen López", "mobile", "+34 600 123 456", NULL, NULL },
  { "David Okafor", "home", "+234 1 270 0000", "work", "sip:david@example.net" },
  { "Emma Schmidt", "work", "+49 30 1234567", NULL, NULL },
};

static const SampleContact contacts_zh[] = {
  { "张伟", "mobile", "+86 138 0013 8000", "work", "sip:zhangwei@example.com" },
  { "李娜", "sip", "sip:lina@example.org", NULL, NULL },
  { "王芳", "mobile", "+86 139 1234 5678", NULL, NULL },
  { "刘洋", "home", "+86 10 6552 9988", "work", "sip:liuyang@example.net" },
  { "陈静", "work", "+86 21 6321 0000", NULL, NULL },
};

/* The incoming call comes from the first contact's SIP address. */
static const char *
sample_caller (void)
{
  return desk_is_chinese () ? contacts_zh[0].uri2 : contacts_en[0].uri2;
}

static void
on_contact_added (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellContact) contact = bell_store_add_contact_finish (BELL_STORE (source), result,
                                                                 &error);

  g_assert_no_error (error);
  (*(guint *) data)--;
}

static void
on_history_added (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellHistoryEntry) entry = bell_store_add_history_finish (BELL_STORE (source), result,
                                                                    &error);

  g_assert_no_error (error);
  (*(guint *) data)--;
}

static void
seed_store (BellStore *store)
{
  const SampleContact *people = desk_is_chinese () ? contacts_zh : contacts_en;
  gint64 now = g_get_real_time ();
  const gint64 minute = 60 * G_USEC_PER_SEC, day = 24 * 60 * minute;
  /* Each a different kind of entry: today, yesterday, this week, last year. */
  const struct {
    BellCallDirection direction;
    guint person;
    gint64 ago;
    guint duration;
    BellCallOutcome outcome;
  } calls[] = {
    { BELL_CALL_DIRECTION_OUTGOING, 1, 400 * day, 95, BELL_CALL_OUTCOME_ANSWERED },
    { BELL_CALL_DIRECTION_INCOMING, 3, 3 * day, 0, BELL_CALL_OUTCOME_DECLINED },
    { BELL_CALL_DIRECTION_INCOMING, 2, day + 90 * minute, 1262, BELL_CALL_OUTCOME_ANSWERED },
    { BELL_CALL_DIRECTION_OUTGOING, 4, 5 * 60 * minute, 0, BELL_CALL_OUTCOME_CANCELLED },
    { BELL_CALL_DIRECTION_INCOMING, 0, 40 * minute, 0, BELL_CALL_OUTCOME_MISSED },
    { BELL_CALL_DIRECTION_OUTGOING, 0, 12 * minute, 185, BELL_CALL_OUTCOME_ANSWERED },
  };
  guint pending = 0;

  for (guint i = 0; i < G_N_ELEMENTS (contacts_en); i++)
    {
      g_autoptr(BellContact) contact = bell_contact_new (people[i].name);

      bell_contact_add_address (contact, people[i].label1, people[i].uri1);
      if (people[i].uri2)
        bell_contact_add_address (contact, people[i].label2, people[i].uri2);
      pending++;
      bell_store_add_contact_async (store, contact, NULL, on_contact_added, &pending);
    }
  for (guint i = 0; i < G_N_ELEMENTS (calls); i++)
    {
      const SampleContact *who = &people[calls[i].person];
      const char *uri = who->uri2 ? who->uri2 : who->uri1;
      g_autofree char *tel = NULL;
      g_autoptr(BellHistoryEntry) entry = NULL;

      /* A number becomes a tel: URI without its spaces, as a call to it would record. */
      if (!g_str_has_prefix (uri, "sip:"))
        {
          g_auto(GStrv) parts = g_strsplit (uri, " ", -1);
          g_autofree char *joined = g_strjoinv ("", parts);
          tel = g_strconcat ("tel:", joined, NULL);
        }
      entry = bell_history_entry_new (calls[i].direction, tel ? tel : uri, who->name, NULL,
                                      now - calls[i].ago, calls[i].duration, calls[i].outcome,
                                      NULL);

      pending++;
      bell_store_add_history_async (store, entry, NULL, on_history_added, &pending);
    }
  UI_WAIT_UNTIL (pending == 0, 10);
}

/* The app */

static UiPeer *caller;

BellApplication *
desk_app_start (void)
{
  g_autoptr(GError) error = NULL;
  BellApplication *app;
  BellWindow *window;

  g_setenv ("BELLBIRD_SIP_PORT", "0", TRUE);
  g_setenv ("BELLBIRD_BIND", "127.0.0.1", TRUE);
  g_setenv ("BELLBIRD_AUDIO_IN", "tone", TRUE);
  g_setenv ("BELLBIRD_AUDIO_OUT", "none", TRUE);
  g_setenv ("BELLBIRD_RINGTONE_OUTPUT", "none", TRUE);

  ui_notifications_start ();
  {
    /* Answered already: the first-run question about direct calls is not a scene. */
    g_autoptr(GSettings) settings = g_settings_new (APP_ID);
    g_settings_set_string (settings, "direct-calls", "anyone");
  }
  app = bell_application_new ();
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  window = BELL_WINDOW (bell_application_get_window (app));
  UI_WAIT_UNTIL (bell_window_get_history_page (window) != NULL, 10);
  UI_WAIT_UNTIL (gtk_widget_get_mapped (GTK_WIDGET (window)) &&
                 gtk_widget_get_width (GTK_WIDGET (window)) > 0, 10);
  seed_store (bell_application_get_store (app));
  return app;
}

BellWindow *
desk_app_window (BellApplication *app)
{
  return BELL_WINDOW (bell_application_get_window (app));
}

void
desk_app_stop (BellApplication *app)
{
  g_clear_pointer (&caller, ui_peer_free);
  gtk_window_destroy (GTK_WINDOW (desk_app_window (app)));
  ui_spin (100);
  g_object_unref (app);
  ui_notifications_stop ();
}

/* Scenes */

const char * const *
desk_scene_names (void)
{
  static const char * const names[] = { "dialpad", "call", "incoming", "contacts", "history",
                                        "accounts", "account-editor", "shortcuts", NULL };
  return names;
}

/* The first toplevel of type, other than the main window; NULL when there is none. */
static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_mapped (GTK_WIDGET (window)))
        return window;   /* GTK keeps the toplevel */
    }
  return NULL;
}

static GtkWidget *
call_widget (BellWindow *window, const char *role)
{
  return bell_call_view_get_widget (bell_window_get_call_view (window), role);
}

static gboolean
call_state_is (BellWindow *window, const char *msgid)
{
  GtkWidget *state = call_widget (window, "state");

  return g_str_equal (bell_window_get_visible_page (window), "call") &&
         g_str_has_prefix (gtk_label_get_text (GTK_LABEL (state)), _(msgid));
}

static gboolean
no_calls (BellApplication *app)
{
  return g_list_model_get_n_items (bell_call_manager_get_calls (bell_application_get_calls (app)))
         == 0;
}

static void
enter_call (BellApplication *app, BellWindow *window)
{
  g_autoptr(GError) error = NULL;
  GtkWidget *quality = call_widget (window, "quality");
  gint64 end;

  /* The built-in echo service: a real call with audio, no account and no peer needed. */
  g_assert_true (bell_application_dial (app, "echo", NULL, &error));
  g_assert_no_error (error);
  UI_WAIT_UNTIL (call_state_is (window, "Connected"), 10);
  /* RTCP brings the quality line after about 5 s; a shot without it is still right. */
  end = g_get_monotonic_time () + 7 * G_USEC_PER_SEC;
  while (quality && !(gtk_widget_get_mapped (quality) &&
                      *gtk_label_get_text (GTK_LABEL (quality))) &&
         g_get_monotonic_time () < end)
    ui_iterate ();
  /* Focus where a keyboard user starts: on Hang up (not a selected name label). */
  gtk_widget_grab_focus (call_widget (window, "hangup"));
  ui_spin (300);
}

static void
enter_incoming (BellApplication *app, BellWindow *window)
{
  BellCore *core = bell_application_get_core (app);
  g_autofree char *uri = NULL;

  g_assert_nonnull (core);
  uri = g_strdup_printf ("sip:me@127.0.0.1:%u", bell_core_get_port (core, BELL_SIP_TRANSPORT_UDP));
  {
    const char *args[] = { "--events", "--bind", "127.0.0.1:0", "--user", sample_caller (),
                           "--audio-in", "tone", "--audio-out", "none", "call", uri, NULL };
    caller = ui_peer_start (args);
  }
  UI_WAIT_UNTIL (g_str_equal (bell_window_get_visible_page (window), "call") &&
                 gtk_widget_get_mapped (call_widget (window, "answer")), 10);
  gtk_widget_grab_focus (call_widget (window, "answer"));
  ui_spin (300);
}

static void
leave_call (BellApplication *app, BellWindow *window, const char *button)
{
  GtkWidget *widget = call_widget (window, button);

  if (gtk_widget_get_mapped (widget) && gtk_widget_is_sensitive (widget))
    g_signal_emit_by_name (widget, "clicked");
  UI_WAIT_UNTIL (no_calls (app), BELL_CALL_MANAGER_LINGER_MS / 1000 + 5);
  g_clear_pointer (&caller, ui_peer_free);
}

GtkWindow *
desk_scene_enter (BellApplication *app, const char *scene)
{
  BellWindow *window = desk_app_window (app);
  BellDialpad *dialpad = bell_window_get_dialpad (window);
  GtkWindow *shown = GTK_WINDOW (window);

  gtk_window_present (GTK_WINDOW (window));
  if (g_str_equal (scene, "dialpad"))
    {
      bell_window_show_page (window, "dialpad");
      bell_dialpad_set_text (dialpad, desk_is_chinese () ? "+86 10 6552 9988"
                                                         : "+44 20 7946 0958");
    }
  else if (g_str_equal (scene, "call"))
    enter_call (app, window);
  else if (g_str_equal (scene, "incoming"))
    enter_incoming (app, window);
  else if (g_str_equal (scene, "contacts") || g_str_equal (scene, "history"))
    bell_window_show_page (window, scene);
  else if (g_str_equal (scene, "accounts") || g_str_equal (scene, "account-editor"))
    {
      bell_window_show_accounts (window);
      UI_WAIT_UNTIL ((shown = find_toplevel (BELL_TYPE_ACCOUNTS_WINDOW)), 5);
      if (g_str_equal (scene, "account-editor"))
        bell_accounts_window_show_add (BELL_ACCOUNTS_WINDOW (shown));
    }
  else if (g_str_equal (scene, "shortcuts"))
    {
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay",
                                                 NULL));
      UI_WAIT_UNTIL ((shown = find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW)), 5);
    }
  else
    g_error ("no scene %s", scene);
  /* Let transitions (stack pages, subpages) finish before anyone looks. */
  ui_spin (600);
  return shown;
}

void
desk_scene_leave (BellApplication *app, const char *scene)
{
  BellWindow *window = desk_app_window (app);
  GtkWindow *other = NULL;

  if (g_str_equal (scene, "dialpad"))
    bell_dialpad_set_text (bell_window_get_dialpad (window), "");
  else if (g_str_equal (scene, "call"))
    leave_call (app, window, "hangup");
  else if (g_str_equal (scene, "incoming"))
    leave_call (app, window, "decline");
  else if (g_str_equal (scene, "accounts") || g_str_equal (scene, "account-editor"))
    other = find_toplevel (BELL_TYPE_ACCOUNTS_WINDOW);
  else if (g_str_equal (scene, "shortcuts"))
    other = find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW);
  /* As the user would: the shortcuts window only hides, and comes back next time. */
  if (other)
    gtk_window_close (other);
  ui_spin (200);
}

static gboolean
has_size (GtkWindow *window, int width, int height)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));

  return surface && gtk_widget_get_mapped (GTK_WIDGET (window)) &&
         gdk_surface_get_width (surface) == width && gdk_surface_get_height (surface) == height &&
         gtk_widget_get_width (GTK_WIDGET (window)) > 0;
}

static void
get_size (GtkWindow *window, int *width, int *height)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));

  *width = surface ? gdk_surface_get_width (surface) : 0;
  *height = surface ? gdk_surface_get_height (surface) : 0;
}

void
desk_resize (GtkWindow *window, int width, int height)
{
  int old_width, old_height, now_width, now_height;

  /* GTK 4.8 applies a default size when the window maps, not to a window on screen; and a
   * window still settling after its first map may keep its old size: try again then. A
   * window that changed size but not to this one has a minimum size: that is its size. */
  get_size (window, &old_width, &old_height);
  for (guint attempt = 0; attempt < 3; attempt++)
    {
      gint64 end = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;

      gtk_widget_set_visible (GTK_WIDGET (window), FALSE);
      gtk_window_set_default_size (window, width, height);
      gtk_window_present (window);
      while (!has_size (window, width, height) && g_get_monotonic_time () < end)
        ui_iterate ();
      get_size (window, &now_width, &now_height);
      if (has_size (window, width, height) || now_width != old_width || now_height != old_height)
        break;
    }
  if (!has_size (window, width, height))
    g_message ("%s is %d x %d, not %d x %d", G_OBJECT_TYPE_NAME (window), now_width, now_height,
               width, height);
  /* Adaptive layouts switch on the new width in the next frames. */
  ui_spin (400);
}

/* What a person can read */

static void
add_string (GPtrArray *strings, GHashTable *seen, const char *text)
{
  if (!text || !*text || g_hash_table_contains (seen, text))
    return;
  g_hash_table_add (seen, g_strdup (text));
  g_ptr_array_add (strings, g_strdup (text));
}

static void
add_menu_strings (GMenuModel *model, GPtrArray *strings, GHashTable *seen)
{
  for (int i = 0; i < g_menu_model_get_n_items (model); i++)
    {
      g_autofree char *label = NULL;
      g_autoptr(GMenuLinkIter) links = g_menu_model_iterate_item_links (model, i);

      if (g_menu_model_get_item_attribute (model, i, G_MENU_ATTRIBUTE_LABEL, "s", &label))
        add_string (strings, seen, label);
      while (g_menu_link_iter_next (links))
        {
          g_autoptr(GMenuModel) link = g_menu_link_iter_get_value (links);
          add_menu_strings (link, strings, seen);
        }
    }
}

static void
collect (GtkWidget *widget, GPtrArray *strings, GHashTable *seen)
{
  /* An unmapped widget is not on screen: another stack page, a closed revealer. */
  if (!gtk_widget_get_mapped (widget))
    return;
  if (GTK_IS_WINDOW (widget))
    add_string (strings, seen, gtk_window_get_title (GTK_WINDOW (widget)));
  if (GTK_IS_LABEL (widget))
    {
      /* The label as written (with its mnemonic) is what a msgid looks like. */
      add_string (strings, seen, gtk_label_get_label (GTK_LABEL (widget)));
    }
  add_string (strings, seen, gtk_widget_get_tooltip_text (widget));
  if (GTK_IS_TEXT (widget))
    add_string (strings, seen, gtk_text_get_placeholder_text (GTK_TEXT (widget)));
  if (GTK_IS_MENU_BUTTON (widget) && gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget)))
    add_menu_strings (gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget)), strings, seen);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    collect (child, strings, seen);
}

GPtrArray *
desk_visible_strings (GtkWindow *window)
{
  GPtrArray *strings = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  collect (GTK_WIDGET (window), strings, seen);
  return strings;
}

GPtrArray *
desk_untranslated (GtkWindow *window)
{
  g_autoptr(GPtrArray) strings = desk_visible_strings (window);
  GPtrArray *untranslated = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < strings->len; i++)
    {
      const char *text = strings->pdata[i];
      /* g_dgettext returns text itself when the catalogue has no translation for it. */
      const char *translated = g_dgettext (GETTEXT_PACKAGE, text);

      if (translated != text && !g_str_equal (translated, text))
        g_ptr_array_add (untranslated, g_strdup (text));
    }
  return untranslated;
}

/* PNG */

gboolean
desk_save_png (GtkWindow *window, const char *path, GError **error)
{
  GtkWidget *widget = GTK_WIDGET (window);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (window));

  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  if (!node)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the window drew nothing");
      return FALSE;
    }
  texture = gsk_renderer_render_texture (renderer, node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, path))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write %s", path);
      return FALSE;
    }
  return TRUE;
}
