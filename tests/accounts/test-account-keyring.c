/* test-account-keyring.c: passwords go to the keyring and nowhere else (issue 7).
 *
 * The test makes a temporary home (GSettings with the keyfile backend under it), its own
 * session bus (GTestDBus) and, after checking what happens with no Secret Service at all, its
 * own unlocked gnome-keyring-daemon on that bus, stopped by its pid at the end. It saves an
 * account with a password through BellAccountStore, reads the item back with secret-tool and
 * with libsecret, and searches every file under the home for the password. Then the store
 * drives a core: an account registers with a sipp registrar using the keyring's password, a
 * wrong password shows as such and an edit fixes it with no restart; an unreachable registrar
 * gives a readable state; and with two accounts on one registrar, editing, moving, disabling
 * or removing one never makes the other send a REGISTER. An account's codec order and
 * low-bandwidth mode reach the core: its calls offer them, and an edit changes the next call.
 */
#include <gio/gio.h>
#include <libsecret/secret.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "account-test-registrar.h"
#include "account-test-util.h"
#include "bell-account-store.h"

#define PASSWORD       "S3cret-Bellbird-4711"
#define WAIT_MS        15000

static char *home;
static GPid keyring_pid;

#define assert_setting(settings, key, expected) \
  G_STMT_START { \
    g_autofree char *value_ = g_settings_get_string (settings, key); \
    g_assert_cmpstr (value_, ==, expected); \
  } G_STMT_END

/* An empty list of accounts to start from. */
static BellAccountStore *
new_store (GSettings **settings_out)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.bellbird.Bellbird");

  g_settings_reset (settings, "accounts");
  if (settings_out)
    *settings_out = g_object_ref (settings);
  return bell_account_store_new (settings);
}

static BellAccountFields *
fields_for (const char *address, const char *registrar, const char *transport)
{
  BellAccountFields *fields = bell_account_fields_new ();

  g_free (fields->address);
  fields->address = g_strdup (address);
  g_free (fields->registrar);
  fields->registrar = g_strdup (registrar ? registrar : "");
  g_free (fields->transport);
  fields->transport = g_strdup (transport ? transport : "auto");
  return fields;
}

static BellAccount *
save (BellAccountStore *store, BellAccount *account, BellAccountFields *fields,
      const char *password, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  bell_account_store_save_async (store, account, fields, password, NULL,
                                 account_test_store_result, &result);
  return bell_account_store_save_finish (store, account_test_wait_result (&result), error);
}

static char *
lookup_password (BellAccount *account, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  bell_account_store_lookup_password_async (account, NULL, account_test_store_result, &result);
  return bell_account_store_lookup_password_finish (account_test_wait_result (&result), error);
}

/* secret-tool ARGS...: its stdout, or NULL when it failed; "search" prints the attributes on
 * stderr, so for it both. */
static char *
secret_tool (const char *first, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  int status = 0;
  va_list args;

  g_ptr_array_add (argv, (gpointer) "secret-tool");
  va_start (args, first);
  for (const char *arg = first; arg; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_clear_pointer (&out, g_free);
  if (out && g_str_equal (first, "search"))
    {
      char *both = g_strconcat (out, err, NULL);
      g_free (out);
      return both;
    }
  return out;
}

/* With no Secret Service on the bus: a clear error, nothing half-saved. */
static void
test_unavailable (void)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(BellAccountStore) store = new_store (&settings);
  g_autoptr(BellAccountFields) fields = fields_for ("frank@example.com", NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) ids = NULL;
  g_autofree char *password = NULL;
  BellAccount *account;

  g_assert_null (save (store, NULL, fields, PASSWORD, &error));
  g_assert_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_KEYRING);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "The keyring is not available: "));
  g_clear_error (&error);
  ids = g_settings_get_strv (settings, "accounts");
  g_assert_cmpuint (g_strv_length (ids), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 0);

  account = bell_account_store_add (store, "frank@example.com", NULL, &error);
  g_assert_no_error (error);
  password = lookup_password (account, &error);
  g_assert_null (password);
  g_assert_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_KEYRING);
  bell_account_store_remove (store, account);
}

static void
start_keyring (void)
{
  keyring_pid = account_test_keyring_start ();
}

static void
stop_keyring (void)
{
  account_test_keyring_stop (keyring_pid);
  keyring_pid = 0;
}

static void
test_save (void)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(BellAccountStore) store = new_store (&settings);
  g_autoptr(BellAccountFields) fields = fields_for ("alice@example.com", NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BellAccount) account = NULL;
  g_autofree char *by_tool = NULL;
  g_autofree char *listing = NULL;
  g_autofree char *config_dir = g_build_filename (home, "config", NULL);
  g_autofree char *keyfile = g_build_filename (config_dir, "glib-2.0", "settings", "keyfile",
                                               NULL);
  g_autofree char *keyfile_text = NULL;
  char *by_libsecret;

  if (!keyring_pid)
    start_keyring ();
  account = save (store, NULL, fields, PASSWORD, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, 1);

  /* The item, as another program sees it. */
  by_tool = secret_tool ("lookup", "account", bell_account_get_id (account), NULL);
  g_assert_cmpstr (by_tool, ==, PASSWORD);
  listing = secret_tool ("search", "--all", "account", bell_account_get_id (account), NULL);
  g_assert_nonnull (strstr (listing, "attribute.username = alice"));
  g_assert_nonnull (strstr (listing, "attribute.domain = example.com"));
  g_assert_nonnull (strstr (listing, "label = Bellbird SIP account sip:alice@example.com"));

  /* And through the store. */
  by_libsecret = lookup_password (account, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (by_libsecret, ==, PASSWORD);
  secret_password_free (by_libsecret);

  /* The settings went to a file under the home, the password to no file there in the clear. */
  g_assert_true (g_file_get_contents (keyfile, &keyfile_text, NULL, NULL));
  g_assert_nonnull (strstr (keyfile_text, "sip:alice@example.com"));
  g_assert_false (account_test_tree_contains (home, PASSWORD));
}

static guint
count_items (const char *id)
{
  g_autofree char *listing = secret_tool ("search", "--all", "account", id, NULL);
  guint n = 0;

  for (const char *p = listing; p && (p = strstr (p, "attribute.account = ")); p++)
    n++;
  return n;
}

static gboolean
item_gone (gpointer data)
{
  g_autofree char *out = secret_tool ("lookup", "account", data, NULL);
  return out == NULL || *out == '\0';
}

/* A new user name and password: one item, with the new attributes; removing deletes it. */
static void
test_change_and_remove (void)
{
  g_autoptr(BellAccountStore) store = new_store (NULL);
  g_autoptr(BellAccountFields) fields = fields_for ("bob@example.org", NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BellAccount) account = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *id = NULL;
  g_autofree char *listing = NULL;
  char *password;

  if (!keyring_pid)
    start_keyring ();
  account = save (store, NULL, fields, "first-password", &error);
  g_assert_no_error (error);
  id = g_strdup (bell_account_get_id (account));
  g_assert_cmpuint (count_items (id), ==, 1);

  g_free (fields->auth_user);
  fields->auth_user = g_strdup ("bob-auth");
  g_object_unref (save (store, account, fields, "second-password", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_items (id), ==, 1);
  listing = secret_tool ("search", "--all", "account", id, NULL);
  g_assert_nonnull (strstr (listing, "attribute.username = bob-auth"));
  password = lookup_password (account, &error);
  g_assert_cmpstr (password, ==, "second-password");
  secret_password_free (password);

  /* Saving without a password keeps the one saved. */
  g_object_unref (save (store, account, fields, NULL, &error));
  g_assert_no_error (error);
  password = lookup_password (account, &error);
  g_assert_cmpstr (password, ==, "second-password");
  secret_password_free (password);

  bell_account_store_set_password_async (account, "third-password", NULL,
                                         account_test_store_result, &result);
  g_assert_true (bell_account_store_set_password_finish (account_test_wait_result (&result),
                                                         &error));
  g_assert_no_error (error);
  password = lookup_password (account, &error);
  g_assert_cmpstr (password, ==, "third-password");
  secret_password_free (password);

  bell_account_store_remove (store, account);
  account_test_wait (item_gone, id, WAIT_MS, "the keyring item to go");
  g_assert_cmpuint (count_items (id), ==, 0);
}

/* Registration through a core */

static BellCore *
start_core (void)
{
  g_autoptr(GError) error = NULL;
  BellCoreConfig config = { .bind_address = "127.0.0.1", .listen = BELL_SIP_TRANSPORT_UDP,
                            .auto_answer_ms = -1, .no_media = TRUE };
  BellCore *core = bell_core_new (&config, &error);

  g_assert_no_error (error);
  return core;
}

typedef struct
{
  BellAccount      *account;
  BellAccountState  state;
} StateWait;

static gboolean
has_state (gpointer data)
{
  StateWait *w = data;
  return bell_account_get_state (w->account) == w->state;
}

static void
wait_state (BellAccount *account, BellAccountState state)
{
  StateWait w = { account, state };
  GEnumClass *klass = g_type_class_ref (BELL_TYPE_ACCOUNT_STATE);
  g_autofree char *what = g_strdup_printf ("state %s",
                                           g_enum_get_value (klass, state)->value_nick);

  g_type_class_unref (klass);
  account_test_wait (has_state, &w, WAIT_MS, what);
  g_test_message ("%s: %s", what, bell_account_get_status_text (account));
}

static void
on_status_text (BellAccount *account, GParamSpec *pspec, gpointer data)
{
  g_ptr_array_add (data, g_strdup (bell_account_get_status_text (account)));
}

static void
test_register_sipp (void)
{
  g_autofree char *sipp = g_find_program_in_path ("sipp");
  g_autofree char *scenario = g_test_build_filename (G_TEST_DIST, "registrar.xml", NULL);
  g_autofree char *port_text = NULL;
  g_autofree char *registrar = NULL;
  g_autoptr(BellAccountStore) store = NULL;
  g_autoptr(BellAccountFields) fields = NULL;
  g_autoptr(BellAccount) account = NULL;
  g_autoptr(BellCore) core = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  GPid sipp_pid = 0;
  guint16 port;

  if (!sipp)
    {
      g_test_skip ("sipp (sip-tester) is not installed");
      return;
    }
  if (!keyring_pid)
    start_keyring ();
  port = account_test_free_port (G_SOCKET_TYPE_DATAGRAM);
  port_text = g_strdup_printf ("%u", port);
  {
    const char *argv[] = { sipp, "-sf", scenario, "-i", "127.0.0.1", "-p", port_text,
                           "-nostdin", "-timeout", "60s", NULL };
    g_spawn_async (NULL, (char **) argv, NULL,
                   G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &sipp_pid, &error);
    g_assert_no_error (error);
  }

  store = new_store (NULL);
  registrar = g_strdup_printf ("127.0.0.1:%u", port);
  fields = fields_for ("sip:alice@accounts.bellbird.test", registrar, "udp");
  account = save (store, NULL, fields, "right-password", &error);
  g_assert_no_error (error);
  g_signal_connect (account, "notify::status-text", G_CALLBACK (on_status_text), texts);

  core = start_core ();
  bell_account_store_attach_core (store, core);
  wait_state (account, BELL_ACCOUNT_STATE_REGISTERED);
  g_assert_cmpstr (bell_account_get_status_text (account), ==, "Registered");

  /* A wrong password saved while registered: registered again at once, and refused. */
  g_object_unref (save (store, account, fields, "wrong-password", &error));
  g_assert_no_error (error);
  wait_state (account, BELL_ACCOUNT_STATE_FAILED);
  g_assert_true (g_str_has_prefix (bell_account_get_status_text (account),
                                   "Wrong user name or password"));

  /* Fixed by an edit, no restart. */
  g_object_unref (save (store, account, fields, "right-password", &error));
  g_assert_no_error (error);
  wait_state (account, BELL_ACCOUNT_STATE_REGISTERED);

  /* Disabled: off the registrar; its state says so. */
  g_object_set (account, "enabled", FALSE, NULL);
  wait_state (account, BELL_ACCOUNT_STATE_DISABLED);
  g_assert_cmpstr (bell_account_get_status_text (account), ==, "Disabled");

  bell_account_store_detach_core (store);
  bell_core_shutdown (core);
  kill (sipp_pid, SIGTERM);
  waitpid (sipp_pid, NULL, 0);
  g_spawn_close_pid (sipp_pid);

  /* The live texts never carried a password. */
  g_assert_cmpuint (texts->len, >, 0);
  for (guint i = 0; i < texts->len; i++)
    {
      g_assert_null (strstr (texts->pdata[i], "right-password"));
      g_assert_null (strstr (texts->pdata[i], "wrong-password"));
    }
}

/* Nobody listens at the registrar: failed, with a sentence a person can read. */
static void
test_unreachable (void)
{
  g_autoptr(BellAccountStore) store = new_store (NULL);
  g_autoptr(BellAccountFields) fields = NULL;
  g_autoptr(BellAccount) account = NULL;
  g_autoptr(BellCore) core = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *registrar = NULL;

  if (!keyring_pid)
    start_keyring ();
  registrar = g_strdup_printf ("127.0.0.1:%u", account_test_free_port (G_SOCKET_TYPE_STREAM));
  fields = fields_for ("carol@accounts.bellbird.test", registrar, "tcp");
  account = save (store, NULL, fields, "whatever", &error);
  g_assert_no_error (error);
  core = start_core ();
  bell_account_store_attach_core (store, core);
  wait_state (account, BELL_ACCOUNT_STATE_FAILED);
  g_assert_true (g_str_has_prefix (bell_account_get_status_text (account),
                                   "The server cannot be reached"));
  bell_account_store_detach_core (store);
  bell_core_shutdown (core);
}

typedef struct
{
  AccountTestRegistrar *registrar;
  const char           *user;
  gboolean              removals;
  guint                 n;
} RegistrarWait;

static gboolean
registrar_has (gpointer data)
{
  RegistrarWait *w = data;
  return account_test_registrar_count (w->registrar, w->user, w->removals) >= w->n;
}

/* Until the registrar has had n REGISTERs of user that add (or remove) a binding. */
static void
wait_registrar (AccountTestRegistrar *registrar, const char *user, gboolean removals, guint n)
{
  RegistrarWait w = { registrar, user, removals, n };
  g_autofree char *what = g_strdup_printf ("%s's REGISTER %s #%u", user,
                                           removals ? "with Expires: 0" : "for a binding", n);

  account_test_wait (registrar_has, &w, WAIT_MS, what);
}

/* What bob's REGISTERs were so far: one, for a binding, never one to remove it. */
static void
assert_bob_untouched (AccountTestRegistrar *registrar)
{
  g_assert_cmpuint (account_test_registrar_count (registrar, "bob", FALSE), ==, 1);
  g_assert_cmpuint (account_test_registrar_count (registrar, "bob", TRUE), ==, 0);
}

static void
on_state (BellAccount *account, GParamSpec *pspec, gpointer data)
{
  BellAccountState state = bell_account_get_state (account);
  g_array_append_val ((GArray *) data, state);
}

/* Two accounts on one registrar: whatever happens to alice's, bob's registration stays as it
 * is (no REGISTER), and alice's own changes reach the registrar at once. */
static void
test_one_account_at_a_time (void)
{
  g_autoptr(AccountTestRegistrar) registrar = account_test_registrar_new ();
  g_autoptr(BellAccountStore) store = new_store (NULL);
  g_autoptr(BellAccountFields) alice_fields = NULL;
  g_autoptr(BellAccountFields) bob_fields = NULL;
  g_autoptr(BellAccount) alice = NULL;
  g_autoptr(BellAccount) bob = NULL;
  g_autoptr(BellCore) core = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) states = g_array_new (FALSE, FALSE, sizeof (BellAccountState));
  g_autofree char *server = g_strdup_printf ("127.0.0.1:%u",
                                             account_test_registrar_get_port (registrar));

  if (!keyring_pid)
    start_keyring ();
  alice_fields = fields_for ("alice@one.bellbird.test", server, "udp");
  bob_fields = fields_for ("bob@one.bellbird.test", server, "udp");
  alice = save (store, NULL, alice_fields, "alice-password", &error);
  g_assert_no_error (error);
  bob = save (store, NULL, bob_fields, "bob-password", &error);
  g_assert_no_error (error);
  core = start_core ();
  bell_account_store_attach_core (store, core);
  wait_state (alice, BELL_ACCOUNT_STATE_REGISTERED);
  wait_state (bob, BELL_ACCOUNT_STATE_REGISTERED);
  assert_bob_untouched (registrar);

  /* A setting of alice's: her old binding goes, a new one comes; meanwhile she shows as
   * registering, never as off (the binding being replaced is not hers to show). */
  g_signal_connect (alice, "notify::state", G_CALLBACK (on_state), states);
  g_free (alice_fields->display_name);
  alice_fields->display_name = g_strdup ("Alice");
  g_object_unref (save (store, alice, alice_fields, NULL, &error));
  g_assert_no_error (error);
  wait_registrar (registrar, "alice", FALSE, 2);
  g_assert_cmpuint (account_test_registrar_count (registrar, "alice", TRUE), ==, 1);
  wait_state (alice, BELL_ACCOUNT_STATE_REGISTERED);
  g_signal_handlers_disconnect_by_func (alice, on_state, states);
  for (guint i = 0; i < states->len; i++)
    g_assert_cmpint (g_array_index (states, BellAccountState, i), !=,
                     BELL_ACCOUNT_STATE_UNREGISTERED);
  g_assert_cmpint (g_array_index (states, BellAccountState, 0), ==,
                   BELL_ACCOUNT_STATE_REGISTERING);
  assert_bob_untouched (registrar);

  /* Her password alone. */
  bell_account_store_set_password_async (alice, "alice-new-password", NULL,
                                         account_test_store_result, &result);
  g_assert_true (bell_account_store_set_password_finish (account_test_wait_result (&result),
                                                         &error));
  g_assert_no_error (error);
  wait_registrar (registrar, "alice", FALSE, 3);
  g_assert_cmpuint (account_test_registrar_count (registrar, "alice", TRUE), ==, 2);
  wait_state (alice, BELL_ACCOUNT_STATE_REGISTERED);
  assert_bob_untouched (registrar);

  /* A new address: off the registrar at the old one, on at the new one. */
  g_free (alice_fields->address);
  alice_fields->address = g_strdup ("carol@one.bellbird.test");
  g_object_unref (save (store, alice, alice_fields, NULL, &error));
  g_assert_no_error (error);
  wait_registrar (registrar, "alice", TRUE, 3);
  wait_registrar (registrar, "carol", FALSE, 1);
  wait_state (alice, BELL_ACCOUNT_STATE_REGISTERED);
  g_assert_cmpuint (account_test_registrar_count (registrar, "alice", FALSE), ==, 3);
  assert_bob_untouched (registrar);

  /* Disabled: off the registrar. */
  g_object_set (alice, "enabled", FALSE, NULL);
  wait_registrar (registrar, "carol", TRUE, 1);
  g_assert_cmpint (bell_account_get_state (alice), ==, BELL_ACCOUNT_STATE_DISABLED);
  assert_bob_untouched (registrar);

  /* And the other way round: bob removed, alice's account (disabled) left alone. */
  bell_account_store_remove (store, bob);
  wait_registrar (registrar, "bob", TRUE, 1);
  g_assert_cmpuint (account_test_registrar_count (registrar, "bob", FALSE), ==, 1);
  g_assert_cmpuint (account_test_registrar_count (registrar, "carol", FALSE), ==, 1);
  g_assert_cmpuint (account_test_registrar_count (registrar, "carol", TRUE), ==, 1);

  bell_account_store_detach_core (store);
  bell_core_shutdown (core);
}

typedef struct
{
  AccountTestRegistrar *registrar;
  const char           *codecs;
} OfferWait;

/* The last offer's audio codecs, without telephone-event, RED or comfort noise. */
static char *
audio_codecs (const char *offer)
{
  g_auto(GStrv) names = g_strsplit (offer ? offer : "", " ", -1);
  GString *audio = g_string_new (NULL);

  for (guint i = 0; names[i]; i++)
    if (bell_account_codec_name (names[i]))
      g_string_append_printf (audio, "%s%s", audio->len ? " " : "", names[i]);
  return g_string_free (audio, FALSE);
}

static gboolean
offer_is (gpointer data)
{
  OfferWait *w = data;
  g_autofree char *codecs = audio_codecs (account_test_registrar_last_offer (w->registrar));

  return g_str_equal (codecs, w->codecs);
}

static void
wait_offer (AccountTestRegistrar *registrar, const char *codecs)
{
  OfferWait w = { registrar, codecs };
  g_autofree char *what = g_strdup_printf ("an INVITE offering %s (the one before: %s)", codecs,
                                           account_test_registrar_last_offer (registrar));

  account_test_wait (offer_is, &w, WAIT_MS, what);
}

/* Has the account been registering and then registered again (states seen, in order)? */
static gboolean
registered_again (gpointer data)
{
  GArray *states = data;
  gboolean registering = FALSE;

  for (guint i = 0; i < states->len; i++)
    {
      BellAccountState state = g_array_index (states, BellAccountState, i);

      if (state == BELL_ACCOUNT_STATE_REGISTERING)
        registering = TRUE;
      else if (state == BELL_ACCOUNT_STATE_REGISTERED && registering)
        return TRUE;
    }
  return FALSE;
}

/* The account's codecs and low-bandwidth mode travel with its registration into the core,
 * and from there into the SDP of the calls made as it (the registrar is the callee here and
 * says busy); an edit of them alone reaches the core without a new REGISTER (the account
 * never leaves the registrar for it), and the next call has them. */
static void
test_call_codecs (void)
{
  g_autoptr(AccountTestRegistrar) registrar = account_test_registrar_new ();
  g_autoptr(BellAccountStore) store = new_store (NULL);
  g_autoptr(BellAccountFields) fields = NULL;
  g_autoptr(BellAccount) alice = NULL;
  g_autoptr(BellCore) core = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *server = g_strdup_printf ("127.0.0.1:%u",
                                             account_test_registrar_get_port (registrar));
  g_autofree char *callee = g_strdup_printf ("sip:callee@%s", server);
  const char *const narrow[] = { "PCMA", "PCMU", NULL };   /* Opus and G.722 off */
  const char *const mobile[] = { "PCMU", "opus", NULL };
  g_autoptr(GArray) states = g_array_new (FALSE, FALSE, sizeof (BellAccountState));
  /* With media (no sound card: none both ways), so that calls carry an SDP with codecs. */
  BellCoreConfig config = { .bind_address = "127.0.0.1", .listen = BELL_SIP_TRANSPORT_UDP,
                            .auto_answer_ms = -1, .audio_in = "none", .audio_out = "none" };

  if (!keyring_pid)
    start_keyring ();
  fields = fields_for ("alice@codecs.bellbird.test", server, "udp");
  fields->codecs = g_strdupv ((char **) narrow);
  alice = save (store, NULL, fields, "alice-password", &error);
  g_assert_no_error (error);
  core = bell_core_new (&config, &error);
  g_assert_no_error (error);
  bell_account_store_attach_core (store, core);
  wait_state (alice, BELL_ACCOUNT_STATE_REGISTERED);

  bell_core_call_auth (core, callee, BELL_SIP_TRANSPORT_UDP, bell_account_get_address (alice),
                       NULL, "alice-password");
  wait_offer (registrar, "PCMA PCMU");
  g_assert_cmpuint (account_test_registrar_last_ptime (registrar), ==, 20);

  /* Low-bandwidth mode: Opus first whatever its place, in 40 ms packets. */
  g_strfreev (fields->codecs);
  fields->codecs = g_strdupv ((char **) mobile);
  fields->low_bandwidth = TRUE;
  g_signal_connect (alice, "notify::state", G_CALLBACK (on_state), states);
  g_object_unref (save (store, alice, fields, NULL, &error));
  g_assert_no_error (error);
  /* The store hands them to the core (registering), the core says it is registered: it took
   * them. */
  account_test_wait (registered_again, states, WAIT_MS, "alice registering, then registered");
  g_signal_handlers_disconnect_by_func (alice, on_state, states);
  bell_core_call_auth (core, callee, BELL_SIP_TRANSPORT_UDP, bell_account_get_address (alice),
                       NULL, "alice-password");
  wait_offer (registrar, "opus PCMU PCMA");
  g_assert_cmpuint (account_test_registrar_last_ptime (registrar), ==, 40);
  g_assert_cmpuint (account_test_registrar_count (registrar, "alice", FALSE), ==, 1);
  g_assert_cmpuint (account_test_registrar_count (registrar, "alice", TRUE), ==, 0);

  bell_core_hangup (core, 0);
  bell_account_store_detach_core (store);
  bell_core_shutdown (core);
}

int
main (int argc, char **argv)
{
  g_autofree char *daemon = g_find_program_in_path ("gnome-keyring-daemon");
  g_autofree char *tool = g_find_program_in_path ("secret-tool");
  int status;

  home = account_test_private_home ("keyfile");
  g_test_init (&argc, &argv, NULL);
  if (!daemon || !tool)
    {
      g_test_add_data_func ("/accounts/skipped", "needs gnome-keyring-daemon (gnome-keyring) and secret-tool (libsecret-tools)",
                            (GTestDataFunc) g_test_skip);
      return g_test_run ();
    }
  account_test_bus_up ();

  /* In this order: the first runs before the keyring daemon exists. */
  g_test_add_func ("/accounts/keyring/unavailable", test_unavailable);
  g_test_add_func ("/accounts/keyring/save", test_save);
  g_test_add_func ("/accounts/keyring/change-and-remove", test_change_and_remove);
  g_test_add_func ("/accounts/keyring/register-sipp", test_register_sipp);
  g_test_add_func ("/accounts/keyring/unreachable", test_unreachable);
  g_test_add_func ("/accounts/keyring/one-account-at-a-time", test_one_account_at_a_time);
  g_test_add_func ("/accounts/keyring/call-codecs", test_call_codecs);
  status = g_test_run ();

  secret_service_disconnect ();
  stop_keyring ();
  account_test_bus_stop ();
  account_test_rm_rf (home);
  g_free (home);
  return status;
}
