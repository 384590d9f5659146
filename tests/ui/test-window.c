/* test-window.c: the real Bellbird window under Xvfb, driven like a user would, calling and
 * called by bellbird-cli peers on loopback.
 *
 * One app per process (tests/ui/meson.build runs each case in its own process, under
 * with-xvfb.sh): the core listens on 127.0.0.1, any port, with a tone for a microphone and no
 * speaker; the settings are in memory and the database in the test's own XDG_DATA_HOME.
 */
#include "config.h"

#include <gtk/gtk.h>
#include <string.h>
#include "bell-application.h"
#include "bell-window.h"
#include "bell-keypad.h"
#include "ui-test-util.h"

static BellApplication *app;
static BellWindow *window;

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
  g_assert_true (state_is ("Ended: Declined"));
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

static void
test_echo (void)
{
  /* The seeded contact "Echo test" calls the literal address "echo": no account needed. */
  dial ("echo");
  UI_WAIT_UNTIL (state_is ("Connected"), 10);
  g_assert_cmpstr (call_text ("name"), ==, "Echo test");
  click (call_widget ("hangup"));
  UI_WAIT_UNTIL (state_is ("Ended"), 5);
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

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_setenv ("BELLBIRD_SIP_PORT", "0", TRUE);
  g_setenv ("BELLBIRD_BIND", "127.0.0.1", TRUE);
  g_setenv ("BELLBIRD_AUDIO_IN", "tone", TRUE);
  g_setenv ("BELLBIRD_AUDIO_OUT", "none", TRUE);
  g_test_init (&argc, &argv, NULL);
  gtk_init ();

  g_test_add_func ("/ui/window/dialpad", test_dialpad);
  g_test_add_func ("/ui/window/outgoing", test_outgoing);
  g_test_add_func ("/ui/window/incoming-answer", test_incoming_answer);
  g_test_add_func ("/ui/window/incoming-decline", test_incoming_decline);
  g_test_add_func ("/ui/window/missed", test_missed);
  g_test_add_func ("/ui/window/do-not-disturb", test_do_not_disturb);
  g_test_add_func ("/ui/window/open-link", test_open_link);
  g_test_add_func ("/ui/window/echo", test_echo);
  g_test_add_func ("/ui/window/call-waiting", test_call_waiting);
  g_test_add_func ("/ui/window/narrow", test_narrow);

  ui_notifications_start ();
  app = bell_application_new ();
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));
  window = BELL_WINDOW (bell_application_get_window (app));
  UI_WAIT_UNTIL (bell_window_get_history_page (window) != NULL, 10);

  status = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  ui_spin (100);
  g_clear_object (&app);
  ui_notifications_stop ();
  return status;
}
