/* test-account-direct-calls.c: an account's own "direct-calls" reaches the core (issue 10).
 *
 * Alice's account registers with a test registrar (tests/ui/ui-test-registrar.c, which can
 * forward a call over the flow she registered on) and says "nobody" may call her directly,
 * while the app-wide policy lets anyone in. A bellbird-cli caller sent straight to alice gets
 * the core's 403 and the app's call manager never hears of it; the same caller to another
 * user name rings (the app's policy), and a call the registrar forwards to alice rings too.
 * Then alice's key becomes "auto", the store hands it to the core, and the app's policy is hers.
 * Its own temporary home, private session bus and keyring (the account's password); skipped
 * without gnome-keyring-daemon.
 */
#include "config.h"

#include <gio/gio.h>
#include <libsecret/secret.h>

#include "account-test-util.h"
#include "bell-account-store.h"
#include "bell-call-manager.h"
#include "ui-test-registrar.h"
#include "ui-test-util.h"

#define WAIT_S 10

static guint calls_added;

static void
on_call_added (BellCallManager *calls, BellCall *call, gpointer data)
{
  calls_added++;
}

static UiPeer *
call_directly (BellCore *core, const char *user)
{
  g_autofree char *uri = g_strdup_printf ("sip:%s@127.0.0.1:%u", user,
                                          bell_core_get_port (core, BELL_SIP_TRANSPORT_UDP));
  const char *args[] = { "--events", "--bind", "127.0.0.1:0", "--audio-in", "none",
                         "--audio-out", "none", "--user", "sip:mallory@127.0.0.1", "call", uri,
                         NULL };

  return ui_peer_start (args);
}

/* The newest call of the manager, ringing for us. */
static BellCall *
ringing_call (BellCallManager *calls)
{
  GListModel *model = bell_call_manager_get_calls (calls);
  guint n = g_list_model_get_n_items (model);
  g_autoptr(BellCall) call = n ? g_list_model_get_item (model, n - 1) : NULL;

  return call && bell_call_get_state (call) == BELL_CALL_STATE_INCOMING ? call : NULL;
}

static void
decline_and_wait (BellCallManager *calls)
{
  bell_call_manager_reject (calls, bell_call_get_id (ringing_call (calls)), 603);
  UI_WAIT_UNTIL (bell_call_manager_count_live (calls) == 0, WAIT_S);
}

/* A direct call to user is refused with the core's quiet 403: it never becomes a call. */
static void
assert_refused (BellCore *core, const char *user)
{
  g_autoptr(UiPeer) caller = call_directly (core, user);
  guint before = calls_added;

  UI_WAIT_UNTIL (ui_peer_find (caller, "\"state\":\"ended\"", "\"code\":403", NULL), WAIT_S);
  UI_WAIT_UNTIL (ui_peer_exited (caller), 5);
  ui_spin (200);   /* anything the app would do has had its time */
  g_assert_cmpuint (calls_added, ==, before);
}

/* A direct call to user rings: a call for the app, with no account, declined. */
static void
assert_rings (BellCore *core, BellCallManager *calls, const char *user)
{
  g_autoptr(UiPeer) caller = call_directly (core, user);

  UI_WAIT_UNTIL (ringing_call (calls) != NULL, WAIT_S);
  g_assert_null (bell_call_get_account_aor (ringing_call (calls)));
  decline_and_wait (calls);
  UI_WAIT_UNTIL (ui_peer_find (caller, "\"state\":\"ended\"", "\"code\":603", NULL), WAIT_S);
}

static gboolean
registered (BellAccount *account)
{
  return bell_account_get_state (account) == BELL_ACCOUNT_STATE_REGISTERED;
}

static void
on_state (BellAccount *account, GParamSpec *pspec, gpointer data)
{
  if (bell_account_get_state (account) == BELL_ACCOUNT_STATE_REGISTERING)
    *(gboolean *) data = TRUE;
}

static void
test_account_refuses (void)
{
  BellCoreConfig config = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = g_settings_new ("io.github.bellbird.Bellbird");
  g_autoptr(UiRegistrar) registrar = ui_registrar_start ();
  g_autoptr(BellCore) core = NULL;
  g_autoptr(BellCallManager) calls = NULL;
  g_autoptr(BellAccountStore) store = NULL;
  g_autoptr(BellAccountFields) fields = bell_account_fields_new ();
  g_autoptr(BellAccount) alice = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  gboolean registering = FALSE;

  config.bind_address = "127.0.0.1";
  config.listen = BELL_SIP_TRANSPORT_UDP;
  config.auto_answer_ms = -1;
  config.no_media = TRUE;
  config.direct_calls = BELL_DIRECT_CALLS_ACCEPT;   /* the app's "anyone" */
  core = bell_core_new (&config, &error);
  g_assert_no_error (error);
  calls = bell_call_manager_new (core);
  g_signal_connect (calls, "call-added", G_CALLBACK (on_call_added), NULL);
  store = bell_account_store_new (settings);
  bell_account_store_attach_core (store, core);

  g_free (fields->address);
  fields->address = g_strdup ("sip:alice@example.org");
  g_free (fields->registrar);
  fields->registrar = ui_registrar_uri (registrar);
  g_free (fields->transport);
  fields->transport = g_strdup ("udp");
  g_free (fields->direct_calls);
  fields->direct_calls = g_strdup ("nobody");
  bell_account_store_save_async (store, NULL, fields, "alice-password", NULL,
                                 account_test_store_result, &result);
  alice = bell_account_store_save_finish (store, account_test_wait_result (&result), &error);
  g_assert_no_error (error);
  UI_WAIT_UNTIL (registered (alice), WAIT_S);
  g_assert_cmpstr (bell_account_get_direct_calls (alice), ==, "nobody");

  /* Straight to alice: her "nobody" refuses it, unseen. */
  assert_refused (core, "alice");
  /* Straight to another user name: no account's, so the app's "anyone" lets it ring. */
  assert_rings (core, calls, "carol");
  /* Through alice's registrar: her calls, whatever direct calls may do. */
  ui_registrar_invite (registrar, bell_core_get_port (core, BELL_SIP_TRANSPORT_UDP),
                       "sip:alice@example.org", "sip:bob@example.net", "via-registrar@accounts");
  UI_WAIT_UNTIL (ringing_call (calls) != NULL, WAIT_S);
  UI_WAIT_UNTIL (ui_registrar_got (registrar, "via-registrar@accounts", 180), WAIT_S);
  g_assert_cmpstr (bell_call_get_account_aor (ringing_call (calls)), ==, "sip:alice@example.org");
  decline_and_wait (calls);
  UI_WAIT_UNTIL (ui_registrar_got (registrar, "via-registrar@accounts", 603), WAIT_S);

  /* "auto": the store hands it to the core (registering; the core only updates the calls'
   * settings of a registration whose REGISTERs would not change), the core says it took it
   * (registered), and the app's "anyone" is hers. */
  g_signal_connect (alice, "notify::state", G_CALLBACK (on_state), &registering);
  g_object_set (alice, "direct-calls", "auto", NULL);
  UI_WAIT_UNTIL (registering && registered (alice), WAIT_S);
  assert_rings (core, calls, "alice");

  g_signal_handlers_disconnect_by_func (alice, on_state, &registering);
  bell_account_store_detach_core (store);
  bell_core_shutdown (core);
}

int
main (int argc, char **argv)
{
  g_autofree char *home = account_test_private_home ("memory");
  g_autofree char *daemon = g_find_program_in_path ("gnome-keyring-daemon");
  GPid keyring = 0;
  int status;

  g_test_init (&argc, &argv, NULL);
  if (!daemon)
    {
      g_test_add_data_func ("/accounts/direct-calls/skipped",
                            "needs gnome-keyring-daemon: the account's password is in the keyring",
                            (GTestDataFunc) g_test_skip);
      return g_test_run ();
    }
  account_test_bus_up ();
  keyring = account_test_keyring_start ();
  g_test_add_func ("/accounts/direct-calls/account-refuses", test_account_refuses);
  status = g_test_run ();

  secret_service_disconnect ();
  account_test_keyring_stop (keyring);
  account_test_bus_stop ();
  account_test_rm_rf (home);
  return status;
}
