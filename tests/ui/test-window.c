/* test-window.c: the real Bellbird window under Xvfb, driven like a user would, calling and
 * called by bellbird-cli peers on loopback.
 *
 * One app per process (tests/ui/meson.build runs each case in its own process, under
 * with-xvfb.sh): the core listens on 127.0.0.1, any port, with a tone for a microphone and no
 * speaker; the settings are in memory and the database in the test's own XDG_DATA_HOME.
 * Most cases share one app, registered and activated by the first of them; contact-restart
 * and background run apps of their own through g_application_run, as main.c does, so that
 * quitting (the quit action, or the last window closed) is the app's own.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <string.h>
#include "bell-application.h"
#include "bell-window.h"
#include "bell-keypad.h"
#include "sip-test-util.h"
#include "bell-contact-editor.h"
#include "ui-test-registrar.h"
#include "ui-test-util.h"

static BellApplication *app;
static BellWindow *window;
static guint calls_added;           /* "call-added" of the app's call manager so far */
/* What a case started that the app uses to its end (it un-registers when it goes). */
static GPid keyring;
static UiRegistrar *registrars[2];

/* Widgets and text */

static GtkWidget *
call_widget (const char *role)
{
  return bell_call_view_get_widget (bell_window_get_call_view (window), role);
}

static const char *
call_text (const char *role)
{
  return gtk_label_get_text (GTK_LABEL (call_widget (role)));
}

static gboolean
state_is (const char *prefix)
{
  return g_str_equal (bell_window_get_visible_page (window), "call") &&
         g_str_has_prefix (call_text ("state"), prefix);
}

static void
click (GtkWidget *button)
{
  g_assert_true (gtk_widget_is_visible (button));
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

/* Types text into the dialpad's entry, as a paste would, and presses Call. */
static void
dial (const char *text)
{
  BellDialpad *dialpad = bell_window_get_dialpad (window);

  bell_window_show_page (window, "dialpad");
  gtk_editable_set_text (GTK_EDITABLE (bell_dialpad_get_entry (dialpad)), text);
  click (bell_dialpad_get_call_button (dialpad));
}

static void
on_saved (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

/* A new enabled account saved as the editor saves one (no password); registrar NULL: the
 * address's domain. Owned by the store. */
static BellAccount *
add_account (const char *address, const char *name, UiRegistrar *registrar)
{
  BellAccountStore *store = bell_application_get_accounts (app);
  g_autoptr(BellAccountFields) fields = bell_account_fields_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(BellAccount) account = NULL;
  g_autoptr(GError) error = NULL;

  g_free (fields->address);
  fields->address = g_strdup (address);
  g_free (fields->display_name);
  fields->display_name = g_strdup (name);
  if (registrar)
    {
      g_free (fields->registrar);
      fields->registrar = ui_registrar_uri (registrar);
      g_free (fields->transport);
      fields->transport = g_strdup ("udp");
    }
  bell_account_store_save_async (store, NULL, fields, NULL, NULL, on_saved, &result);
  UI_WAIT_UNTIL (result != NULL, 5);
  account = bell_account_store_save_finish (store, result, &error);
  g_assert_no_error (error);
  return account;   /* the store keeps it */
}

static guint
our_port (void)
{
  return bell_core_get_port (bell_application_get_core (app), BELL_SIP_TRANSPORT_UDP);
}

static UiPeer *
start_listener (void)
{
  const char *args[] = { "--events", "--bind", "127.0.0.1:0", "--auto-answer",
                         "--audio-in", "tone", "--audio-out", "none", "listen", NULL };
  return ui_peer_start (args);
}

/* A caller as sip:x@127.0.0.1, or anonymous (bellbird-cli cancels a ringing call on SIGINT
 * only without --user: with one, SIGINT un-registers first). */
static UiPeer *
start_caller_as (const char *user)
{
  g_autofree char *uri = g_strdup_printf ("sip:x@127.0.0.1:%u", our_port ());
  const char *args[] = { "--events", "--bind", "127.0.0.1:0", "--audio-in", "tone",
                         "--audio-out", "none", "call", uri, NULL, NULL, NULL };
  const char *with_user[] = { "--events", "--bind", "127.0.0.1:0", "--user", user,
                              "--audio-in", "tone", "--audio-out", "none", "call", uri, NULL };
  return ui_peer_start (user ? with_user : args);
}

static UiPeer *
start_caller (void)
{
  return start_caller_as ("sip:x@127.0.0.1");
}

/* History: the newest entry, once the store has it. */
static BellHistoryEntry *
newest_history (void)
{
  GListModel *history = bell_store_get_history (bell_application_get_store (app));
  g_autoptr(BellHistoryEntry) entry = g_list_model_get_item (history, 0);

  return entry;   /* the model keeps it */
}

static guint
history_length (void)
{
  return g_list_model_get_n_items (bell_store_get_history (bell_application_get_store (app)));
}

static void
assert_newest_history (BellCallDirection direction, BellCallOutcome outcome, const char *peer)
{
  BellHistoryEntry *entry = newest_history ();

  g_assert_nonnull (entry);
  g_assert_cmpint (bell_history_entry_get_direction (entry), ==, direction);
  g_assert_cmpstr (bell_call_outcome_to_string (bell_history_entry_get_outcome (entry)), ==,
                   bell_call_outcome_to_string (outcome));
  g_assert_nonnull (strstr (bell_history_entry_get_peer_uri (entry), peer));
}

/* Waits for the ended call to leave the call view (it lingers so the user can read why). */
static void
wait_calls_gone (void)
{
  UI_WAIT_UNTIL (g_list_model_get_n_items (bell_call_manager_get_calls (bell_application_get_calls (app))) == 0,
                 BELL_CALL_MANAGER_LINGER_MS / 1000 + 3);
  g_assert_cmpstr (bell_window_get_visible_page (window), !=, "call");
}

/* Cases */

static void
test_dialpad (void)
{
  BellDialpad *dialpad = bell_window_get_dialpad (window);
  BellKeypad *keypad = BELL_KEYPAD (bell_dialpad_get_keypad (dialpad));
  GtkWidget *call_button = bell_dialpad_get_call_button (dialpad);

  bell_dialpad_set_text (dialpad, "");
  g_assert_false (gtk_widget_is_sensitive (call_button));
  for (const char *d = "12*#0"; *d; d++)
    {
      char digit[2] = { *d, 0 };
      click (bell_keypad_get_key (keypad, digit));
    }
  g_assert_cmpstr (bell_dialpad_get_text (dialpad), ==, "12*#0");
  g_assert_true (gtk_widget_is_sensitive (call_button));
  bell_dialpad_backspace (dialpad);
  g_assert_cmpstr (bell_dialpad_get_text (dialpad), ==, "12*#");

  /* No account: a number cannot be called, and the dialpad says why. */
  dial ("+49 30 1234567");
  g_assert_cmpstr (bell_dialpad_get_message (dialpad), ==, "Add an account to call numbers");
  g_assert_cmpstr (bell_dialpad_get_text (dialpad), ==, "+49 30 1234567");
  /* Typing again hides the message. */
  bell_dialpad_insert (dialpad, "8");
  g_assert_null (bell_dialpad_get_message (dialpad));
  dial ("sip:bob@");
  g_assert_nonnull (bell_dialpad_get_message (dialpad));
  g_assert_nonnull (strstr (bell_dialpad_get_message (dialpad), "not a SIP address"));
  g_assert_cmpstr (bell_window_get_visible_page (window), ==, "dialpad");
  bell_dialpad_set_text (dialpad, "");
}

static void
test_outgoing (void)
{
  g_autoptr(UiPeer) peer = start_listener ();
  guint port = ui_peer_port (peer);
  g_autofree char *address = g_strdup_printf ("bob@127.0.0.1:%u", port);
  g_autofree char *peer_uri = g_strdup_printf ("127.0.0.1:%u", port);
  guint before = history_length ();

  dial (address);
  UI_WAIT_UNTIL (state_is ("Connected"), 10);
  g_assert_cmpstr (call_text ("name"), ==, "bob@127.0.0.1");
  g_assert_true (gtk_widget_is_visible (call_widget ("timer")));
  g_assert_false (gtk_widget_is_visible (call_widget ("answer")));
  /* The dialpad is ready for the next call. */
  g_assert_cmpstr (bell_dialpad_get_text (bell_window_get_dialpad (window)), ==, "");

  /* The user sees what the audio is, and that it is not encrypted on plain UDP. */
  UI_WAIT_UNTIL (*call_text ("codec") != '\0', 5);
  g_assert_cmpstr (call_text ("encryption"), ==, "Not encrypted");

  /* The controls are a row of equal circles: transfer (a menu button, whose style classes are
   * on its outer node) as wide and high as mute, hold and the keypad's toggle. */
  {
    const char *controls[] = { "hold", "keypad-toggle", "transfer" };
    int w, h;

    /* Laid out at the frame after the call's page was shown. */
    UI_WAIT_UNTIL (gtk_widget_get_width (call_widget ("transfer")) > 0, 5);
    w = gtk_widget_get_width (call_widget ("mute"));
    h = gtk_widget_get_height (call_widget ("mute"));
    g_assert_cmpint (w, >=, 48);
    g_assert_cmpint (w, ==, h);
    for (gsize i = 0; i < G_N_ELEMENTS (controls); i++)
      {
        g_assert_cmpint (gtk_widget_get_width (call_widget (controls[i])), ==, w);
        g_assert_cmpint (gtk_widget_get_height (call_widget (controls[i])), ==, h);
      }
  }

  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (call_widget ("mute")), TRUE);
  g_assert_true (bell_call_get_muted (bell_call_view_get_call (bell_window_get_call_view (window))));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (call_widget ("mute")), FALSE);

  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (call_widget ("hold")), TRUE);
  UI_WAIT_UNTIL (state_is ("On hold"), 5);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (call_widget ("hold")), FALSE);
  UI_WAIT_UNTIL (state_is ("Connected"), 5);

  /* The in-call keypad sends tones the peer receives. */
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (call_widget ("keypad-toggle")), TRUE);
  click (bell_keypad_get_key (BELL_KEYPAD (call_widget ("keypad")), "5"));
  g_assert_cmpstr (call_text ("dtmf"), ==, "5");
  UI_WAIT_UNTIL (ui_peer_find (peer, "\"event\":\"dtmf\"", "\"digit\":\"5\"", NULL), 5);

  gtk_range_set_value (GTK_RANGE (call_widget ("volume")), 0.5);
  g_assert_cmpfloat (bell_call_get_volume (bell_call_view_get_call (bell_window_get_call_view (window))), ==, 0.5);

  click (call_widget ("hangup"));
  UI_WAIT_UNTIL (state_is ("Ended"), 5);
  UI_WAIT_UNTIL (history_length () == before + 1, 5);
  assert_newest_history (BELL_CALL_DIRECTION_OUTGOING, BELL_CALL_OUTCOME_ANSWERED, peer_uri);
  UI_WAIT_UNTIL (ui_peer_find (peer, "\"state\":\"ended\"", NULL), 5);
  wait_calls_gone ();
}

static void
test_incoming_answer (void)
{
  g_autoptr(UiPeer) caller = start_caller ();
  guint before = history_length ();

  UI_WAIT_UNTIL (state_is ("Incoming call"), 10);
  g_assert_true (gtk_widget_is_visible (call_widget ("answer")));
  g_assert_true (gtk_widget_is_visible (call_widget ("decline")));
  g_assert_false (gtk_widget_is_visible (call_widget ("hangup")));
  g_assert_true (bell_ringer_is_ringing (bell_application_get_ringer (app)));
  g_assert_cmpstr (call_text ("name"), ==, "x@127.0.0.1");

  click (call_widget ("answer"));
  UI_WAIT_UNTIL (state_is ("Connected"), 5);
  g_assert_false (bell_ringer_is_ringing (bell_application_get_ringer (app)));
  UI_WAIT_UNTIL (ui_peer_find (caller, "\"state\":\"connected\"", NULL), 5);

  click (call_widget ("hangup"));
  UI_WAIT_UNTIL (ui_peer_exited (caller), 5);
  g_assert_cmpint (ui_peer_exit_status (caller), ==, 0);   /* the caller was answered */
  UI_WAIT_UNTIL (history_length () == before + 1, 5);
  assert_newest_history (BELL_CALL_DIRECTION_INCOMING, BELL_CALL_OUTCOME_ANSWERED, "x@127.0.0.1");
  wait_calls_gone ();
}

static void
test_incoming_decline (void)
{
  g_autoptr(UiPeer) caller = start_caller ();
  guint before = history_length ();

  UI_WAIT_UNTIL (state_is ("Incoming call"), 10);
  click (call_widget ("decline"));
  UI_WAIT_UNTIL (ui_peer_find (caller, "\"state\":\"ended\"", "\"code\":603", NULL), 5);
  UI_WAIT_UNTIL (ui_peer_exited (caller), 5);
  g_assert_cmpint (ui_peer_exit_status (caller), !=, 0);
  /* The caller may hear the 603 before the core's event reaches the window's loop. */
  UI_WAIT_UNTIL (state_is ("Ended: Declined"), 5);
  g_assert_false (bell_ringer_is_ringing (bell_application_get_ringer (app)));
  UI_WAIT_UNTIL (history_length () == before + 1, 5);
  assert_newest_history (BELL_CALL_DIRECTION_INCOMING, BELL_CALL_OUTCOME_DECLINED, "x@127.0.0.1");
  wait_calls_gone ();
}

static void
test_missed (void)
{
  g_autoptr(UiPeer) caller = start_caller_as (NULL);
  AdwViewStack *stack = bell_window_get_view_stack (window);
  AdwViewStackPage *history_tab = adw_view_stack_get_page (stack, bell_window_get_history_page (window));
  guint before = history_length ();

  UI_WAIT_UNTIL (state_is ("Incoming call"), 10);
  /* The caller gives up before anyone answers. */
  ui_peer_interrupt (caller);
  UI_WAIT_UNTIL (state_is ("Ended"), 5);
  UI_WAIT_UNTIL (history_length () == before + 1, 5);
  assert_newest_history (BELL_CALL_DIRECTION_INCOMING, BELL_CALL_OUTCOME_MISSED, "anonymous");
  g_assert_false (bell_ringer_is_ringing (bell_application_get_ringer (app)));

  /* The History tab counts it, and a notification offers to call back. */
  UI_WAIT_UNTIL (adw_view_stack_page_get_badge_number (history_tab) >= 1, 5);
  g_assert_true (adw_view_stack_page_get_needs_attention (history_tab));
  UI_WAIT_UNTIL (ui_notifications_find ("Missed call from Anonymous"), 5);
  g_assert_nonnull (strstr (ui_notifications_find ("Missed call from"), "Call Back"));
  wait_calls_gone ();

  /* Looking at History clears the count. */
  bell_window_show_page (window, "history");
  UI_WAIT_UNTIL (adw_view_stack_page_get_badge_number (history_tab) == 0, 5);
  g_assert_false (adw_view_stack_page_get_needs_attention (history_tab));
  bell_window_show_page (window, "dialpad");
}

static void
test_do_not_disturb (void)
{
  GSettings *settings = bell_application_get_settings (app);
  g_autoptr(UiPeer) caller = NULL;
  guint before = history_length ();

  g_settings_set_boolean (settings, "do-not-disturb", TRUE);
  caller = start_caller ();
  /* The caller hears busy; nothing rang here; History has it as missed, with why. */
  UI_WAIT_UNTIL (ui_peer_find (caller, "\"state\":\"ended\"", "\"code\":486", NULL), 10);
  g_assert_false (bell_ringer_is_ringing (bell_application_get_ringer (app)));
  UI_WAIT_UNTIL (history_length () == before + 1, 5);
  assert_newest_history (BELL_CALL_DIRECTION_INCOMING, BELL_CALL_OUTCOME_MISSED, "x@127.0.0.1");
  g_assert_cmpstr (bell_history_entry_get_reason (newest_history ()), ==, "Do Not Disturb");
  g_assert_null (ui_notifications_find ("Missed call"));
  g_settings_set_boolean (settings, "do-not-disturb", FALSE);
  wait_calls_gone ();
}

static void
test_open_link (void)
{
  g_autoptr(UiPeer) peer = start_listener ();
  guint port = ui_peer_port (peer);
  g_autofree char *uri = g_strdup_printf ("sip:carol@127.0.0.1:%u", port);
  g_autoptr(GFile) link = g_file_new_for_uri (uri);
  g_autoptr(GFile) tel = g_file_new_for_uri ("tel:+4930123");

  /* What a desktop's "open" of a sip: link does: the running app dials it. */
  g_application_open (G_APPLICATION (app), &link, 1, "");
  UI_WAIT_UNTIL (state_is ("Connected"), 10);
  g_assert_cmpstr (call_text ("name"), ==, "carol@127.0.0.1");
  click (call_widget ("hangup"));
  UI_WAIT_UNTIL (state_is ("Ended"), 5);
  wait_calls_gone ();

  /* A tel: link needs an account; the dialpad shows the number and why. */
  g_application_open (G_APPLICATION (app), &tel, 1, "");
  g_assert_cmpstr (bell_window_get_visible_page (window), ==, "dialpad");
  g_assert_cmpstr (bell_dialpad_get_message (bell_window_get_dialpad (window)), ==,
                   "Add an account to call numbers");
  bell_dialpad_set_text (bell_window_get_dialpad (window), "");
}

/* Another phone's call to our echo test, hanging up after a second. */
static UiPeer *
start_echo_caller (void)
{
  g_autofree char *uri = g_strdup_printf ("sip:echo@127.0.0.1:%u", our_port ());
  const char *args[] = { "--events", "--bind", "127.0.0.1:0", "--audio-in", "tone",
                         "--audio-out", "none", "--duration", "1", "call", uri, NULL };

  return ui_peer_start (args);
}

/* Calls the core answers itself with the echo test are no calls for the user: the answering
 * side of our own call to it, and another phone's call to it, never show, ring or enter
 * History, while a real call beside them does. */
static void
test_echo (void)
{
  BellCallManager *calls = bell_application_get_calls (app);
  g_autoptr(UiPeer) echo_caller = start_echo_caller ();
  g_autoptr(UiPeer) caller = NULL;
  guint before = history_length ();
  guint added = calls_added;
  guint incoming = 0;

  /* With nothing else going on (nothing dialled echo here), the core answers it unseen. */
  UI_WAIT_UNTIL (ui_peer_exited (echo_caller), 10);
  g_assert_cmpint (ui_peer_exit_status (echo_caller), ==, 0);   /* it was answered */
  g_assert_cmpuint (calls_added, ==, added);
  g_assert_false (bell_ringer_is_ringing (bell_application_get_ringer (app)));
  g_clear_pointer (&echo_caller, ui_peer_free);

  /* The seeded contact "Echo test" calls the literal address "echo": no account needed. */
  dial ("echo");
  UI_WAIT_UNTIL (state_is ("Connected"), 10);
  g_assert_cmpstr (call_text ("name"), ==, "Echo test");
  g_assert_cmpuint (calls_added, ==, added + 1);   /* ours, not its answering side */

  /* During it, another phone's echo test, then a real caller, who rings. */
  echo_caller = start_echo_caller ();
  UI_WAIT_UNTIL (ui_peer_exited (echo_caller), 10);
  g_assert_cmpint (ui_peer_exit_status (echo_caller), ==, 0);
  g_assert_cmpuint (calls_added, ==, added + 1);
  caller = start_caller ();
  UI_WAIT_UNTIL (state_is ("Incoming call"), 10);
  g_assert_cmpstr (call_text ("name"), ==, "x@127.0.0.1");
  g_assert_cmpuint (calls_added, ==, added + 2);
  g_assert_cmpuint (bell_call_manager_count_live (calls), ==, 2);
  click (call_widget ("decline"));
  UI_WAIT_UNTIL (ui_peer_find (caller, "\"state\":\"ended\"", "\"code\":603", NULL), 5);

  /* Back to the echo test, still up. */
  UI_WAIT_UNTIL (state_is ("Connected") && g_str_equal (call_text ("name"), "Echo test"), 5);
  click (call_widget ("hangup"));
  UI_WAIT_UNTIL (bell_call_manager_count_live (calls) == 0, 5);
  UI_WAIT_UNTIL (history_length () == before + 2, 5);
  wait_calls_gone ();
  /* History has our echo test and the declined caller, nothing else. */
  g_assert_cmpuint (history_length (), ==, before + 2);
  for (guint i = 0; i < 2; i++)
    {
      GListModel *history = bell_store_get_history (bell_application_get_store (app));
      g_autoptr(BellHistoryEntry) entry = g_list_model_get_item (history, i);

      if (bell_history_entry_get_direction (entry) == BELL_CALL_DIRECTION_INCOMING)
        {
          incoming++;
          g_assert_nonnull (strstr (bell_history_entry_get_peer_uri (entry), "x@127.0.0.1"));
        }
    }
  g_assert_cmpuint (incoming, ==, 1);
  g_assert_cmpuint (calls_added, ==, added + 2);
}

/* Whether text starts with the proper name of one of the codecs Bellbird codes. */
static gboolean
names_a_codec (const char *text)
{
  static const char *const names[] = { "Opus", "G.722", "G.711 µ-law", "G.711 A-law" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_str_has_prefix (text, names[i]))
      return TRUE;
  return FALSE;
}

/* text with its no-break spaces as plain ones. */
static char *
plain_spaces (const char *text)
{
  g_auto(GStrv) parts = g_strsplit (text, "\u00a0", -1);

  return g_strjoinv (" ", parts);
}

/* How the call holds up: the codec by its name, and once the first RTCP report is in (about
 * 5 s), a quality word with the MOS, opening on the figures. */
static void
test_quality (void)
{
  g_autoptr(UiPeer) peer = start_listener ();
  g_autofree char *address = g_strdup_printf ("bob@127.0.0.1:%u", ui_peer_port (peer));
  static const char *const words[] = { "Excellent", "Good", "Fair", "Poor", "Bad" };
  GtkWidget *expander = call_widget ("quality-expander");
  g_autofree char *summary = NULL;
  gboolean has_word = FALSE;
  int minimum = 0;

  dial (address);
  UI_WAIT_UNTIL (state_is ("Connected"), 10);
  UI_WAIT_UNTIL (*call_text ("codec") != '\0', 5);
  g_test_message ("codec: %s", call_text ("codec"));
  g_assert_true (names_a_codec (call_text ("codec")));
  g_assert_false (gtk_widget_is_visible (expander));

  UI_WAIT_UNTIL (gtk_widget_get_mapped (expander), 12);
  /* Shown with no-break spaces (it wraps only between its parts): read as plain words. */
  summary = plain_spaces (call_text ("quality"));
  g_test_message ("quality: %s", summary);
  g_assert_true (g_str_has_prefix (summary, "Quality: "));
  g_assert_nonnull (strstr (summary, "(MOS "));
  for (gsize i = 0; i < G_N_ELEMENTS (words); i++)
    has_word |= strstr (summary, words[i]) != NULL;
  g_assert_true (has_word);
  /* The report also says what Opus sends at. */
  if (g_str_has_prefix (call_text ("codec"), "Opus"))
    g_assert_true (g_str_has_suffix (call_text ("codec"), " kbit/s"));
  g_assert_true (names_a_codec (call_text ("codec")));

  /* The figures wait behind the summary, and are there once it opens. */
  g_assert_false (gtk_widget_get_mapped (call_widget ("quality-details")));
  g_assert_true (g_str_has_prefix (call_text ("quality-details"), "Loss "));
  g_assert_nonnull (strstr (call_text ("quality-details"), "\nJitter buffer "));
  gtk_expander_set_expanded (GTK_EXPANDER (expander), TRUE);
  UI_WAIT_UNTIL (gtk_widget_get_mapped (call_widget ("quality-details")), 2);
  g_test_message ("details:\n%s", call_text ("quality-details"));
  /* Still a phone's width, open. */
  gtk_widget_measure (GTK_WIDGET (bell_window_get_call_view (window)), GTK_ORIENTATION_HORIZONTAL,
                      -1, &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, <=, 360);

  click (call_widget ("hangup"));
  UI_WAIT_UNTIL (state_is ("Ended"), 5);
  /* An ended call's last figures are history, not news. */
  g_assert_false (gtk_widget_is_visible (expander));
  UI_WAIT_UNTIL (ui_peer_find (peer, "\"state\":\"ended\"", NULL), 5);
  wait_calls_gone ();
}

/* Call waiting: a second call rings while one is up; answering it holds the first. */
static void
test_call_waiting (void)
{
  g_autoptr(UiPeer) peer = start_listener ();
  g_autoptr(UiPeer) caller = NULL;
  g_autofree char *address = g_strdup_printf ("bob@127.0.0.1:%u", ui_peer_port (peer));
  BellCallManager *calls = bell_application_get_calls (app);
  BellCall *first, *second;

  dial (address);
  UI_WAIT_UNTIL (state_is ("Connected"), 10);
  first = bell_call_view_get_call (bell_window_get_call_view (window));

  caller = start_caller ();
  UI_WAIT_UNTIL (state_is ("Incoming call"), 10);
  second = bell_call_view_get_call (bell_window_get_call_view (window));
  g_assert_true (first != second);
  /* Both calls are listed; the ringing one is in front, with Answer and Decline. */
  g_assert_true (gtk_widget_is_visible (call_widget ("calls")));
  g_assert_true (gtk_widget_is_visible (call_widget ("answer")));
  /* No ringtone in the ear of someone talking: the window shows it. */
  g_assert_false (bell_ringer_is_ringing (bell_application_get_ringer (app)));

  click (call_widget ("answer"));
  UI_WAIT_UNTIL (state_is ("Connected"), 5);
  UI_WAIT_UNTIL (bell_call_get_held (first), 5);
  g_assert_true (bell_call_view_get_call (bell_window_get_call_view (window)) == second);
  g_assert_cmpuint (bell_call_manager_count_live (calls), ==, 2);

  /* Hanging up the second leaves the first, on hold, in front. */
  click (call_widget ("hangup"));
  UI_WAIT_UNTIL (bell_call_view_get_call (bell_window_get_call_view (window)) == first, 5);
  g_assert_true (state_is ("On hold"));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (call_widget ("hold")), FALSE);
  UI_WAIT_UNTIL (state_is ("Connected"), 5);
  click (call_widget ("hangup"));
  UI_WAIT_UNTIL (bell_call_manager_count_live (calls) == 0, 5);
  wait_calls_gone ();
}

/* Keys as the window's key controller hands them over. */
static gboolean
key (guint keyval, GdkModifierType state)
{
  return bell_window_handle_key (window, keyval, state);
}

static void
test_keyboard (void)
{
  BellDialpad *dialpad = bell_window_get_dialpad (window);
  g_autoptr(UiPeer) peer = start_listener ();
  g_autoptr(UiPeer) caller = NULL;
  g_autofree char *address = g_strdup_printf ("bob@127.0.0.1:%u", ui_peer_port (peer));
  GtkWidget *focus;

  /* Digits typed anywhere in the window go to the dialpad, which comes to the front. */
  bell_dialpad_set_text (dialpad, "");
  bell_window_show_page (window, "history");
  for (const char *d = "12*#"; *d; d++)
    g_assert_true (key (gdk_unicode_to_keyval ((guint) *d), 0));
  g_assert_true (key (GDK_KEY_KP_0, 0));
  g_assert_cmpstr (bell_dialpad_get_text (dialpad), ==, "12*#0");
  g_assert_cmpstr (bell_window_get_visible_page (window), ==, "dialpad");
  /* Letters and shortcuts are not the dialpad's. */
  g_assert_false (key (GDK_KEY_a, 0));
  g_assert_false (key (GDK_KEY_5, GDK_CONTROL_MASK));
  g_assert_cmpstr (bell_dialpad_get_text (dialpad), ==, "12*#0");
  /* Escape clears what was typed; then it has nothing to do. */
  g_assert_true (key (GDK_KEY_Escape, 0));
  g_assert_cmpstr (bell_dialpad_get_text (dialpad), ==, "");
  g_assert_false (key (GDK_KEY_Escape, 0));
  /* Enter with nothing typed calls nobody. */
  g_assert_false (key (GDK_KEY_Return, 0));
  g_assert_cmpstr (bell_window_get_visible_page (window), ==, "dialpad");

  /* Enter calls what the dialpad holds. */
  bell_dialpad_set_text (dialpad, address);
  g_assert_true (key (GDK_KEY_Return, 0));
  UI_WAIT_UNTIL (state_is ("Connected"), 10);
  g_assert_cmpstr (call_text ("name"), ==, "bob@127.0.0.1");
  /* In a call, digits are tones for the other side, not dialpad text. */
  g_assert_true (key (GDK_KEY_7, 0));
  UI_WAIT_UNTIL (ui_peer_find (peer, "\"event\":\"dtmf\"", "\"digit\":\"7\"", NULL), 5);
  g_assert_cmpstr (bell_dialpad_get_text (dialpad), ==, "");
  /* Escape hangs up. */
  g_assert_true (key (GDK_KEY_Escape, 0));
  UI_WAIT_UNTIL (state_is ("Ended"), 5);
  UI_WAIT_UNTIL (ui_peer_find (peer, "\"state\":\"ended\"", NULL), 5);
  wait_calls_gone ();

  /* Escape declines a call that rings. */
  caller = start_caller ();
  UI_WAIT_UNTIL (state_is ("Incoming call"), 10);
  g_assert_true (key (GDK_KEY_Escape, 0));
  UI_WAIT_UNTIL (ui_peer_find (caller, "\"state\":\"ended\"", "\"code\":603", NULL), 5);
  /* The caller may hear the 603 before the core's event reaches the window's loop. */
  UI_WAIT_UNTIL (state_is ("Ended: Declined"), 5);
  wait_calls_gone ();

  /* Another entry keeps its keys: digits typed in the contacts' search stay there. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.search-contacts", NULL);
  focus = gtk_root_get_focus (GTK_ROOT (window));
  g_assert_true (focus && GTK_IS_EDITABLE (focus));
  g_assert_false (key (GDK_KEY_5, 0));
  g_assert_false (key (GDK_KEY_Return, 0));
  g_assert_cmpstr (bell_window_get_visible_page (window), ==, "contacts");
  g_assert_cmpstr (bell_dialpad_get_text (dialpad), ==, "");
}

/* Two enabled accounts: the dialpad offers the choice, and the call is from the one chosen. */
static void
test_account_picker (void)
{
  BellDialpad *dialpad = bell_window_get_dialpad (window);
  GtkWidget *picker = bell_dialpad_get_account_picker (dialpad);
  g_autoptr(UiPeer) peer = start_listener ();
  g_autofree char *address = g_strdup_printf ("bob@127.0.0.1:%u", ui_peer_port (peer));
  BellAccount *second;

  g_assert_false (gtk_widget_get_visible (picker));
  add_account ("sip:first@example.invalid", "First", NULL);
  g_assert_false (gtk_widget_get_visible (picker));   /* one account: nothing to choose */
  second = add_account ("sip:second@example.invalid", "Second", NULL);
  g_assert_true (gtk_widget_get_visible (picker));
  g_assert_cmpuint (g_list_model_get_n_items (gtk_drop_down_get_model (GTK_DROP_DOWN (picker))),
                    ==, 2);

  gtk_drop_down_set_selected (GTK_DROP_DOWN (picker), 1);
  g_assert_true (bell_dialpad_get_account (dialpad) == second);
  dial (address);
  UI_WAIT_UNTIL (state_is ("Connected"), 10);
  g_assert_nonnull (ui_peer_find (peer, "\"state\":\"incoming\"",
                                  "\"peer\":\"sip:second@example.invalid\"", NULL));
  g_assert_null (ui_peer_find (peer, "sip:first@example.invalid", NULL));
  click (call_widget ("hangup"));
  UI_WAIT_UNTIL (history_length () > 0 &&
                 g_strcmp0 (bell_history_entry_get_account (newest_history ()),
                            "sip:second@example.invalid") == 0, 5);
  wait_calls_gone ();

  /* The other choice, the other From. */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (picker), 0);
  dial (address);
  UI_WAIT_UNTIL (state_is ("Connected"), 10);
  g_assert_nonnull (ui_peer_find (peer, "\"peer\":\"sip:first@example.invalid\"", NULL));
  click (call_widget ("hangup"));
  wait_calls_gone ();
}

/* A refused server certificate */

/* The widgets below widget of type type (labels, buttons), in order. */
static void
collect (GtkWidget *widget, GType type, GPtrArray *found)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (found, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    collect (child, type, found);
}

static guint
labels_with (const char *needle)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  guint n = 0;

  collect (GTK_WIDGET (window), GTK_TYPE_LABEL, labels);
  for (guint i = 0; i < labels->len; i++)
    n += strstr (gtk_label_get_text (labels->pdata[i]), needle) != NULL;
  return n;
}

static GtkWidget *
button_labelled (const char *label)
{
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();

  collect (GTK_WIDGET (window), GTK_TYPE_BUTTON, buttons);
  for (guint i = 0; i < buttons->len; i++)
    if (g_strcmp0 (gtk_button_get_label (buttons->pdata[i]), label) == 0)
      return buttons->pdata[i];
  return NULL;
}

static AdwMessageDialog *
trust_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* GTK keeps it */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (toplevels, i);
      if (ADW_IS_MESSAGE_DIALOG (w) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return ADW_MESSAGE_DIALOG (w);
    }
  return NULL;
}

/* The main window tells of a changed certificate once, with a way to review it. */
static void
test_certificate_notice (void)
{
  BellAccount *account = add_account ("sip:carol@example.invalid", "Carol", NULL);
  const char *fp = "sha256:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:"
                   "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
  AdwMessageDialog *dialog;

  /* Disabled, so no registration of its own comes to change what this test sets. */
  g_settings_set_boolean (bell_account_get_settings (account), "enabled", FALSE);
  UI_WAIT_UNTIL (bell_account_get_state (account) == BELL_ACCOUNT_STATE_DISABLED, 5);
  g_assert_cmpuint (labels_with ("The server certificate of Carol"), ==, 0);
  bell_account_set_refused_certificate (account, fp, "CN=pbx.example.invalid", TRUE);
  UI_WAIT_UNTIL (labels_with ("The server certificate of Carol has changed") == 1, 5);
  /* The same certificate refused again is no news. */
  bell_account_set_refused_certificate (account, NULL, NULL, FALSE);
  bell_account_set_refused_certificate (account, fp, "CN=pbx.example.invalid", TRUE);
  ui_spin (200);
  g_assert_cmpuint (labels_with ("The server certificate of Carol"), ==, 1);

  click (button_labelled ("Review…"));
  UI_WAIT_UNTIL ((dialog = trust_dialog ()) != NULL, 5);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "AB:CD:EF"));
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_cmpstr (bell_account_get_tls_fingerprint (account), ==, "");
  bell_account_store_remove (bell_application_get_accounts (app), account);
}

/* Direct calls */

/* The header bar's main menu button. */
static GtkWidget *
find_menu_button (GtkWidget *widget)
{
  if (GTK_IS_MENU_BUTTON (widget) && gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget)))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_menu_button (child);
      if (found)
        return found;
    }
  return NULL;
}

/* The menu item (a GtkModelButton: its action stays inside the menu's tracker) below widget
 * whose text is label (as shown: without the mnemonic's underscore), or NULL. */
static GtkWidget *
find_menu_item (GtkWidget *widget, const char *label)
{
  if (g_str_equal (G_OBJECT_TYPE_NAME (widget), "GtkModelButton"))
    {
      g_autofree char *text = NULL;

      g_object_get (widget, "text", &text, NULL);
      if (g_strcmp0 (text, label) == 0)
        return widget;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_menu_item (child, label);
      if (found)
        return found;
    }
  return NULL;
}

static gboolean
direct_calls_key_is (GSettings *settings, const char *choice)
{
  g_autofree char *value = g_settings_get_string (settings, "direct-calls");

  return g_str_equal (value, choice);
}

static gboolean
direct_calls_state_is (const char *choice)
{
  g_autoptr(GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (app),
                                                               "direct-calls");

  return state && g_str_equal (g_variant_get_string (state, NULL), choice);
}

/* The main menu's Direct Calls submenu, its item for choice clicked as a user does. */
static void
choose_direct_calls (const char *choice)
{
  const char *label = g_str_equal (choice, "anyone") ? "Anyone"
                      : g_str_equal (choice, "contacts") ? "Only Contacts" : "Nobody";
  GtkWidget *button = find_menu_button (GTK_WIDGET (window));
  GtkWidget *menu = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button)));
  GtkWidget *item;

  g_assert_nonnull (find_menu_item (menu, "Direct Calls"));
  item = find_menu_item (menu, label);
  g_assert_nonnull (item);
  g_signal_emit_by_name (item, "clicked");
  g_assert_true (direct_calls_key_is (bell_application_get_settings (app), choice));
}

/* The ask-once question, when it shows. */
static AdwMessageDialog *
find_question (void)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l; l = l->next)
    if (ADW_IS_MESSAGE_DIALOG (l->data) && gtk_widget_get_visible (l->data) &&
        g_strcmp0 (adw_message_dialog_get_heading (l->data),
                   "Let others call this computer directly?") == 0)
      return l->data;
  return NULL;
}

/* Nothing at all happens for a refused call: no ringing, no window, no notification, no
 * missed call; the caller got 403. */
static void
assert_refused_unseen (UiPeer *caller, guint added, guint history_before)
{
  UI_WAIT_UNTIL (ui_peer_find (caller, "\"state\":\"ended\"", "\"code\":403", NULL), 10);
  UI_WAIT_UNTIL (ui_peer_exited (caller), 5);
  g_assert_cmpint (ui_peer_exit_status (caller), !=, 0);
  /* Whatever the app would do about it has had time to happen. */
  ui_spin (300);
  g_assert_cmpuint (calls_added, ==, added);
  g_assert_false (bell_ringer_is_ringing (bell_application_get_ringer (app)));
  g_assert_null (ui_notifications_find ("Incoming call"));
  g_assert_null (ui_notifications_find ("Missed call"));
  g_assert_cmpuint (history_length (), ==, history_before);
}

/* The shown label below widget whose text starts with prefix, or NULL. */
static GtkWidget *
find_label (GtkWidget *widget, const char *prefix)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget) &&
      g_str_has_prefix (gtk_label_get_text (GTK_LABEL (widget)), prefix))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_label (child, prefix);
      if (found)
        return found;
    }
  return NULL;
}

/* Direct calls: Nobody, from the main menu: a call sent straight to us gets the core's quiet
 * 403, and the app never hears of it but for a count under the history. */
static void
test_direct_calls_off (void)
{
  g_autoptr(UiPeer) caller = NULL;
  guint before = history_length ();
  guint added = calls_added;

  g_assert_true (direct_calls_state_is ("anyone"));
  g_assert_null (find_label (bell_window_get_history_page (window), "Refused"));
  choose_direct_calls ("nobody");
  g_assert_true (direct_calls_state_is ("nobody"));

  /* Hidden (run in background), so a raise would show. */
  gtk_widget_set_visible (GTK_WIDGET (window), FALSE);
  caller = start_caller ();
  assert_refused_unseen (caller, added, before);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window)));
  gtk_window_present (GTK_WINDOW (window));
  UI_WAIT_UNTIL (find_label (bell_window_get_history_page (window),
                             "Refused 1 call from an unknown address") != NULL, 5);
  choose_direct_calls ("anyone");
}

/* Direct calls: Anyone (back from Nobody in the menu): the same call rings. */
static void
test_direct_calls_on (void)
{
  g_autoptr(UiPeer) caller = NULL;

  choose_direct_calls ("nobody");
  choose_direct_calls ("anyone");
  g_assert_true (direct_calls_state_is ("anyone"));

  caller = start_caller ();
  UI_WAIT_UNTIL (state_is ("Incoming call"), 10);
  g_assert_true (bell_ringer_is_ringing (bell_application_get_ringer (app)));
  g_assert_false (gtk_widget_get_visible (call_widget ("account")));   /* it came through none */
  click (call_widget ("decline"));
  UI_WAIT_UNTIL (ui_peer_find (caller, "\"state\":\"ended\"", "\"code\":603", NULL), 5);
  wait_calls_gone ();
}

static void
on_contact_added (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellContact) contact = bell_store_add_contact_finish (BELL_STORE (source), result,
                                                                  &error);

  g_assert_no_error (error);
  *(gboolean *) data = TRUE;
}

/* Direct calls: Only Contacts: the contact (a sip: address at this machine's IP, so also
 * checked against where the call comes from) rings; a stranger gets 403 unseen. */
static void
test_direct_calls_contacts (void)
{
  BellStore *store = bell_application_get_store (app);
  g_autoptr(BellContact) friend = bell_contact_new ("Friend");
  g_autoptr(UiPeer) stranger = NULL;
  g_autoptr(UiPeer) caller = NULL;
  gboolean added_contact = FALSE;
  guint before = history_length ();
  guint added = calls_added;

  choose_direct_calls ("contacts");
  /* A phone number and a tel: URI have no host the core could match: left out. */
  bell_contact_add_address (friend, "sip", "sip:friend@127.0.0.1");
  bell_contact_add_address (friend, "phone", "+49 30 1234567");
  bell_store_add_contact_async (store, friend, NULL, on_contact_added, &added_contact);
  UI_WAIT_UNTIL (added_contact, 5);

  stranger = start_caller ();
  assert_refused_unseen (stranger, added, before);

  caller = start_caller_as ("sip:friend@127.0.0.1");
  UI_WAIT_UNTIL (state_is ("Incoming call"), 10);
  g_assert_cmpstr (call_text ("name"), ==, "Friend");
  click (call_widget ("decline"));
  UI_WAIT_UNTIL (ui_peer_find (caller, "\"state\":\"ended\"", "\"code\":603", NULL), 5);
  wait_calls_gone ();
  choose_direct_calls ("anyone");
}

/* A call through an account's registrar rings while direct calls are refused ("ask", the
 * default, with accounts set up), and says which of the user's two accounts it is for; a
 * direct call beside it is refused. */
static void
test_direct_calls_registrar (void)
{
  GSettings *settings = bell_application_get_settings (app);
  g_autoptr(UiPeer) direct = NULL;
  BellAccount *home, *work;
  guint before = history_length ();

  keyring = ui_keyring_start ();
  if (!keyring)
    {
      g_test_skip ("needs gnome-keyring-daemon: accounts register with the keyring's password");
      return;
    }
  /* Two accounts, each with a registrar of its own: the call's flow names the account. */
  registrars[0] = ui_registrar_start ();
  registrars[1] = ui_registrar_start ();
  home = add_account ("sip:home@example.org", "Home", registrars[0]);
  work = add_account ("sip:work@example.org", "Work", registrars[1]);
  UI_WAIT_UNTIL (bell_account_get_state (home) == BELL_ACCOUNT_STATE_REGISTERED &&
                 bell_account_get_state (work) == BELL_ACCOUNT_STATE_REGISTERED, 10);
  g_settings_reset (settings, "direct-calls");
  g_assert_true (direct_calls_state_is ("ask"));

  /* Work's registrar forwards a call to us. */
  ui_registrar_invite (registrars[1], (guint16) our_port (), "sip:work@example.org",
                       "sip:carol@example.net", "through-work@ui-test");
  UI_WAIT_UNTIL (state_is ("Incoming call"), 10);
  UI_WAIT_UNTIL (ui_registrar_got (registrars[1], "through-work@ui-test", 180), 5);
  g_assert_true (bell_ringer_is_ringing (bell_application_get_ringer (app)));
  g_assert_cmpstr (call_text ("name"), ==, "carol@example.net");
  g_assert_true (gtk_widget_is_visible (call_widget ("account")));
  g_assert_cmpstr (call_text ("account"), ==, "To Work");

  /* Meanwhile a direct call is refused, unseen. */
  direct = start_caller ();
  UI_WAIT_UNTIL (ui_peer_find (direct, "\"state\":\"ended\"", "\"code\":403", NULL), 10);
  g_assert_cmpuint (bell_call_manager_count_live (bell_application_get_calls (app)), ==, 1);

  click (call_widget ("decline"));
  UI_WAIT_UNTIL (ui_registrar_got (registrars[1], "through-work@ui-test", 603), 5);
  UI_WAIT_UNTIL (history_length () == before + 1, 5);
  assert_newest_history (BELL_CALL_DIRECTION_INCOMING, BELL_CALL_OUTCOME_DECLINED,
                         "carol@example.net");
  g_assert_cmpstr (bell_history_entry_get_account (newest_history ()), ==, "sip:work@example.org");
  wait_calls_gone ();
  g_settings_set_string (settings, "direct-calls", "anyone");
}

/* A call to an address where nothing listens says so at once (not "No answer" after 32 s). */
static void
test_unreachable (void)
{
  guint16 port = sip_test_dead_udp_port ();
  g_autofree char *address = g_strdup_printf ("bob@127.0.0.1:%u", port);
  g_autofree char *expected = g_strdup_printf ("Ended: Not reachable: nothing listens on UDP "
                                               "127.0.0.1:%u (ICMP port unreachable)", port);

  dial (address);
  UI_WAIT_UNTIL (state_is ("Ended"), 5);
  g_assert_cmpstr (call_text ("state"), ==, expected);
}

static void
test_narrow (void)
{
  int minimum = 0;

  /* Every view fits a 360 px phone screen. */
  gtk_widget_measure (GTK_WIDGET (window), GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, <=, 360);
  gtk_widget_measure (GTK_WIDGET (bell_window_get_call_view (window)), GTK_ORIENTATION_HORIZONTAL,
                      -1, &minimum, NULL, NULL, NULL);
  g_assert_cmpint (minimum, <=, 360);
}

/* Apps of their own, started and quit as a user does */

static guint steps_run;             /* steps of run_app's app that got to their end */

/* Runs a new app the way main.c does (no arguments: it activates, and the window shows),
 * with step once its main loop runs; returns once the app has quit. */
static void
run_app (GSourceFunc step)
{
  g_assert_null (app);
  app = bell_application_new ();
  g_idle_add (step, NULL);
  g_assert_cmpint (g_application_run (G_APPLICATION (app), 0, NULL), ==, 0);
}

static BellWindow *
shown_window (void)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (app));

  g_assert_nonnull (windows);
  g_assert_true (BELL_IS_WINDOW (windows->data));
  g_assert_true (gtk_widget_get_visible (windows->data));
  return windows->data;
}

/* The first widget below widget (itself included) that is shown and matches. */
static GtkWidget *
find_shown (GtkWidget *widget, gboolean (*match) (GtkWidget *, gconstpointer), gconstpointer data)
{
  if (!gtk_widget_get_visible (widget))
    return NULL;
  if (match (widget, data))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_shown (child, match, data);
      if (found)
        return found;
    }
  return NULL;
}

static gboolean
is_button_for (GtkWidget *widget, gconstpointer action)
{
  return GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0;
}

static const char contact_name[] = "Ada Lovelace";
static const char contact_address[] = "sip:ada@example.org";
static guint contacts_at_start;

/* The Contacts page's row of the contact: its name, and its address below. */
static gboolean
is_contact_row (GtkWidget *widget, gconstpointer data)
{
  return ADW_IS_ACTION_ROW (widget) &&
         g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), contact_name) == 0 &&
         adw_action_row_get_subtitle (ADW_ACTION_ROW (widget)) &&
         strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (widget)), contact_address);
}

static BellContactEditor *
find_editor (void)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l; l = l->next)
    if (BELL_IS_CONTACT_EDITOR (l->data) && gtk_widget_get_visible (l->data))
      return l->data;
  return NULL;
}

static GtkWidget *
contacts_page (void)
{
  UI_WAIT_UNTIL (bell_window_get_contacts_page (window) != NULL, 10);
  bell_window_show_page (window, "contacts");
  g_assert_cmpstr (bell_window_get_visible_page (window), ==, "contacts");
  return bell_window_get_contacts_page (window);
}

/* Contacts → Add, the editor filled in and saved, then Quit. */
static gboolean
add_contact_then_quit (gpointer data)
{
  BellContactEditor *editor;
  GtkWidget *page;
  BellStore *store;

  window = shown_window ();
  page = contacts_page ();
  store = bell_application_get_store (app);
  /* A new database: what it starts with (the echo test), not the contact. */
  contacts_at_start = g_list_model_get_n_items (bell_store_get_contacts (store));
  g_assert_null (bell_store_find_contact_by_address (store, contact_address));
  g_assert_null (find_shown (page, is_contact_row, NULL));

  click (find_shown (page, is_button_for, "contacts.add"));
  UI_WAIT_UNTIL ((editor = find_editor ()) != NULL, 5);
  g_object_add_weak_pointer (G_OBJECT (editor), (gpointer *) &editor);
  bell_contact_editor_set_name (editor, contact_name);
  bell_contact_editor_add_address (editor, "sip", contact_address);
  click (find_shown (GTK_WIDGET (editor), is_button_for, "editor.save"));
  UI_WAIT_UNTIL (editor == NULL, 5);   /* it closes once the store has it */
  g_assert_cmpuint (g_list_model_get_n_items (bell_store_get_contacts (store)), ==,
                    contacts_at_start + 1);
  g_assert_nonnull (bell_store_find_contact_by_address (store, contact_address));
  UI_WAIT_UNTIL (find_shown (page, is_contact_row, NULL) != NULL, 5);

  steps_run++;
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

/* A new app on the same database lists the contact. */
static gboolean
find_contact_then_quit (gpointer data)
{
  BellContact *contact;
  GtkWidget *page;
  BellStore *store;

  window = shown_window ();
  page = contacts_page ();
  store = bell_application_get_store (app);
  g_assert_cmpuint (g_list_model_get_n_items (bell_store_get_contacts (store)), ==,
                    contacts_at_start + 1);
  contact = bell_store_find_contact_by_address (store, contact_address);
  g_assert_nonnull (contact);
  g_assert_cmpstr (bell_contact_get_name (contact), ==, contact_name);
  g_assert_cmpstr (bell_contact_get_first_uri (contact), ==, contact_address);
  UI_WAIT_UNTIL (find_shown (page, is_contact_row, NULL) != NULL, 5);

  steps_run++;
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

static void
remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *file = g_build_filename (path, name, NULL);
      g_unlink (file);
    }
  g_rmdir (path);
}

static void stop_app (gboolean must_go);

/* A contact added in the window survives a restart: quit, a new app, the same SQLite file. */
static void
test_contact_restart (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bellbird-ui-XXXXXX", &error);
  g_autofree char *db = NULL;

  g_assert_no_error (error);
  db = g_build_filename (dir, "contacts.sqlite", NULL);
  g_setenv ("BELLBIRD_DB", db, TRUE);
  stop_app (TRUE);   /* the shared app, when this runs after its cases */

  steps_run = 0;
  run_app (add_contact_then_quit);
  g_assert_cmpuint (steps_run, ==, 1);
  stop_app (TRUE);
  g_assert_true (g_file_test (db, G_FILE_TEST_IS_REGULAR));

  run_app (find_contact_then_quit);
  g_assert_cmpuint (steps_run, ==, 2);
  stop_app (TRUE);

  g_unsetenv ("BELLBIRD_DB");
  remove_dir (dir);
}

static const char home_aor[] = "sip:home@example.org";
static guint removals_at_close;    /* the registrar's Expires: 0 when the window closed */
static guint still_running;        /* run-in-background off: fails a run that does not end */

static gboolean
app_did_not_quit (gpointer data)
{
  g_error ("closing the window did not quit the app (run-in-background is off)");
  return G_SOURCE_REMOVE;
}

static gboolean answer_in_background (gpointer data);

/* The account registered (added in the first app; the settings keep it for the next), then
 * the window closed as its close button does. */
static gboolean
register_then_close (gpointer data)
{
  GSettings *settings = bell_application_get_settings (app);
  BellAccountStore *accounts = bell_application_get_accounts (app);
  BellAccount *account;

  window = shown_window ();
  account = bell_account_store_find_by_aor (accounts, home_aor);
  if (!account)
    account = add_account (home_aor, "Home", registrars[0]);
  UI_WAIT_UNTIL (bell_account_get_state (account) == BELL_ACCOUNT_STATE_REGISTERED, 10);

  removals_at_close = ui_registrar_removals (registrars[0]);
  gtk_window_close (GTK_WINDOW (window));
  window = NULL;
  steps_run++;
  /* Back to g_application_run's loop, which ends now unless the app is held. */
  if (g_settings_get_boolean (settings, "run-in-background"))
    g_timeout_add (500, answer_in_background, NULL);
  else
    still_running = g_timeout_add_seconds (10, app_did_not_quit, NULL);
  return G_SOURCE_REMOVE;
}

/* No window, still registered; a call shows the window with Answer, and is answered. */
static gboolean
answer_in_background (gpointer data)
{
  BellAccount *account = bell_account_store_find_by_aor (bell_application_get_accounts (app),
                                                         home_aor);
  g_autoptr(UiPeer) caller = NULL;

  g_assert_null (gtk_application_get_windows (GTK_APPLICATION (app)));
  g_assert_cmpuint (ui_registrar_removals (registrars[0]), ==, removals_at_close);
  g_assert_cmpint (bell_account_get_state (account), ==, BELL_ACCOUNT_STATE_REGISTERED);

  caller = start_caller ();
  UI_WAIT_UNTIL (gtk_application_get_windows (GTK_APPLICATION (app)) != NULL, 10);
  window = shown_window ();
  UI_WAIT_UNTIL (state_is ("Incoming call"), 10);
  UI_WAIT_UNTIL (ui_notifications_find ("Incoming call"), 5);
  click (call_widget ("answer"));
  UI_WAIT_UNTIL (state_is ("Connected"), 5);
  UI_WAIT_UNTIL (ui_peer_find (caller, "\"state\":\"connected\"", NULL), 5);
  click (call_widget ("hangup"));
  UI_WAIT_UNTIL (ui_peer_exited (caller), 5);
  g_assert_cmpint (ui_peer_exit_status (caller), ==, 0);
  g_assert_cmpuint (ui_registrar_removals (registrars[0]), ==, removals_at_close);
  g_assert_cmpint (bell_account_get_state (account), ==, BELL_ACCOUNT_STATE_REGISTERED);

  steps_run++;
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

/* run-in-background on: closing the window leaves the app running and registered, and Quit
 * un-registers; off: closing the window quits, and un-registers. */
static void
test_background (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);

  stop_app (TRUE);   /* the shared app, when this runs after its cases */
  if (!keyring)
    keyring = ui_keyring_start ();
  if (!keyring)
    {
      g_test_skip ("needs gnome-keyring-daemon: accounts register with the keyring's password");
      return;
    }
  if (!registrars[0])
    registrars[0] = ui_registrar_start ();

  g_settings_set_boolean (settings, "run-in-background", TRUE);
  steps_run = 0;
  run_app (register_then_close);
  g_assert_cmpuint (steps_run, ==, 2);
  g_assert_cmpuint (ui_registrar_removals (registrars[0]), >, removals_at_close);
  stop_app (TRUE);

  g_settings_set_boolean (settings, "run-in-background", FALSE);
  steps_run = 0;
  run_app (register_then_close);
  g_assert_cmpuint (steps_run, ==, 1);
  g_clear_handle_id (&still_running, g_source_remove);
  g_assert_cmpuint (ui_registrar_removals (registrars[0]), >, removals_at_close);
  stop_app (TRUE);
  g_settings_reset (settings, "run-in-background");
}

/* Direct calls: the question asked once */

static GtkWidget *
find_button_labelled (GtkWidget *widget, const char *label)
{
  if (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button_labelled (child, label);
      if (found)
        return found;
    }
  return NULL;
}

static guint questions_seen;

/* No account, "direct-calls" still "ask": the question shows with the window; a second
 * activation does not ask again; Only My Contacts is stored. */
static gboolean
answer_question_then_quit (gpointer data)
{
  AdwMessageDialog *question;

  window = shown_window ();
  UI_WAIT_UNTIL ((question = find_question ()) != NULL, 5);
  questions_seen++;
  g_assert_true (adw_message_dialog_has_response (question, "anyone"));
  g_assert_true (adw_message_dialog_has_response (question, "contacts"));
  g_assert_true (adw_message_dialog_has_response (question, "nobody"));
  g_application_activate (G_APPLICATION (app));
  ui_spin (200);
  g_assert_true (find_question () == question);   /* the same one, no second */
  click (find_button_labelled (GTK_WIDGET (question), "Only My _Contacts"));
  UI_WAIT_UNTIL (find_question () == NULL, 5);
  g_assert_true (direct_calls_state_is ("contacts"));

  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

/* The next start, answered: no question; the answer holds. */
static gboolean
no_question_then_quit (gpointer data)
{
  window = shown_window ();
  ui_spin (500);
  if (find_question ())
    questions_seen++;
  g_assert_true (direct_calls_state_is ("contacts"));
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

static void
test_direct_calls_ask (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);

  stop_app (TRUE);   /* the shared app, when this runs after its cases */
  g_settings_reset (settings, "direct-calls");
  {
    g_auto(GStrv) accounts = g_settings_get_strv (settings, "accounts");
    g_assert_cmpuint (g_strv_length (accounts), ==, 0);
  }

  questions_seen = 0;
  run_app (answer_question_then_quit);
  stop_app (TRUE);
  g_assert_cmpuint (questions_seen, ==, 1);
  g_assert_true (direct_calls_key_is (settings, "contacts"));

  run_app (no_question_then_quit);
  stop_app (TRUE);
  g_assert_cmpuint (questions_seen, ==, 1);
  g_settings_set_string (settings, "direct-calls", "anyone");
}

/* The old boolean, set to false by the user, becomes "nobody" at start-up (and is reset, so
 * it is read once); nothing is asked then. */
static gboolean
migrated_then_quit (gpointer data)
{
  window = shown_window ();
  ui_spin (300);
  g_assert_null (find_question ());
  g_assert_true (direct_calls_state_is ("nobody"));
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  return G_SOURCE_REMOVE;
}

static void
test_direct_calls_migrate (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(GVariant) old = NULL;

  stop_app (TRUE);
  g_settings_reset (settings, "direct-calls");
  g_settings_set_boolean (settings, "accept-direct-calls", FALSE);
  run_app (migrated_then_quit);
  stop_app (TRUE);
  g_assert_true (direct_calls_key_is (settings, "nobody"));
  old = g_settings_get_user_value (settings, "accept-direct-calls");
  g_assert_null (old);
  g_settings_set_string (settings, "direct-calls", "anyone");
}

static void
on_call_added (void)
{
  calls_added++;
}

/* The app of the cases that share one (started by the first of them) */

static void
start_shared_app (void)
{
  g_autoptr(GError) error = NULL;

  app = bell_application_new ();
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect_swapped (bell_application_get_calls (app), "call-added",
                            G_CALLBACK (on_call_added), NULL);
  g_application_activate (G_APPLICATION (app));
  window = BELL_WINDOW (bell_application_get_window (app));
  UI_WAIT_UNTIL (bell_window_get_history_page (window) != NULL, 10);
}

/* Destroys the app's windows and drops it; it must go (and give up its bus name), or a new
 * app of the same id would only be a remote of it. */
static void
stop_app (gboolean must_go)
{
  GList *windows;
  gpointer gone = app;

  if (!app)
    return;
  while ((windows = gtk_application_get_windows (GTK_APPLICATION (app))))
    gtk_window_destroy (windows->data);
  window = NULL;
  ui_spin (100);
  g_object_add_weak_pointer (G_OBJECT (app), &gone);
  g_clear_object (&app);
  if (must_go)
    UI_WAIT_UNTIL (gone == NULL, 5);
  else if (gone)
    g_object_remove_weak_pointer (gone, &gone);
}

typedef struct
{
  const char *path;
  void      (*run) (void);
} WindowCase;

static void
in_shared_window (gconstpointer data)
{
  if (!app)
    start_shared_app ();
  ((const WindowCase *) data)->run ();
}

int
main (int argc, char *argv[])
{
  static const WindowCase cases[] = {
    { "/ui/window/dialpad", test_dialpad },
    { "/ui/window/outgoing", test_outgoing },
    { "/ui/window/quality", test_quality },
    { "/ui/window/incoming-answer", test_incoming_answer },
    { "/ui/window/incoming-decline", test_incoming_decline },
    { "/ui/window/missed", test_missed },
    { "/ui/window/do-not-disturb", test_do_not_disturb },
    { "/ui/window/open-link", test_open_link },
    { "/ui/window/echo", test_echo },
    { "/ui/window/call-waiting", test_call_waiting },
    { "/ui/window/narrow", test_narrow },
    { "/ui/window/unreachable", test_unreachable },
    { "/ui/window/keyboard", test_keyboard },
    { "/ui/window/account-picker", test_account_picker },
    { "/ui/window/certificate-notice", test_certificate_notice },
    { "/ui/window/direct-calls-off", test_direct_calls_off },
    { "/ui/window/direct-calls-on", test_direct_calls_on },
    { "/ui/window/direct-calls-contacts", test_direct_calls_contacts },
    { "/ui/window/direct-calls-registrar", test_direct_calls_registrar },
  };
  int status;

  g_setenv ("BELLBIRD_SIP_PORT", "0", TRUE);
  g_setenv ("BELLBIRD_BIND", "127.0.0.1", TRUE);
  g_setenv ("BELLBIRD_AUDIO_IN", "tone", TRUE);
  g_setenv ("BELLBIRD_AUDIO_OUT", "none", TRUE);
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  /* Calls sent straight to the app ring in most cases (as before the ask-once question; the
   * direct-calls cases choose otherwise): set before any app reads it. */
  {
    g_autoptr(GSettings) settings = g_settings_new (APP_ID);
    g_settings_set_string (settings, "direct-calls", "anyone");
  }

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_test_add_data_func (cases[i].path, &cases[i], in_shared_window);
  /* These start and quit apps of their own, as a user does. */
  g_test_add_func ("/ui/window/contact-restart", test_contact_restart);
  g_test_add_func ("/ui/window/background", test_background);
  g_test_add_func ("/ui/window/direct-calls-ask", test_direct_calls_ask);
  g_test_add_func ("/ui/window/direct-calls-migrate", test_direct_calls_migrate);

  ui_notifications_start ();
  status = g_test_run ();

  stop_app (FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (registrars); i++)
    g_clear_pointer (&registrars[i], ui_registrar_stop);
  ui_keyring_stop (keyring);
  ui_notifications_stop ();
  return status;
}
