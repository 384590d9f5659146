/* test-account-secrets.c: the app's files and logs never hold an account's password (issue 10).
 *
 * A temporary home with GSettings in a keyfile under it, contacts and call history in SQLite
 * under its XDG_DATA_HOME, its own session bus and gnome-keyring-daemon. Every log line of the
 * process, debug included, goes to a file under the home as well. An account is saved through
 * BellAccountStore with a password, registers with a sipp registrar that challenges it (Digest,
 * so the password is really used), then gets a new, wrong, password (refused). Afterwards no
 * file under the home (the keyfile, the SQLite database and its journal, the log, the keyring's
 * own encrypted file) holds either password, nor the Digest H(A1) made from the right one, while
 * the keyfile holds the account and the log the challenged REGISTER: the search is not vacuous.
 */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "account-test-util.h"
#include "bell-account-store.h"
#include "bell-store.h"

/* The one registrar.xml accepts (user alice, realm accounts.bellbird.test). */
#define PASSWORD   "right-password"
#define REALM      "accounts.bellbird.test"
#define WAIT_MS    15000

static char *home;
static char *log_path;
static FILE *log_file;

/* Every message to the log file under the home; warnings and worse to stderr as well. */
static GLogWriterOutput
write_log (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  g_autofree char *line = g_log_writer_format_fields (level, fields, n_fields, FALSE);

  if (log_file)
    {
      fprintf (log_file, "%s\n", line);
      fflush (log_file);
    }
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_standard_streams (level, fields, n_fields, data);
  return G_LOG_WRITER_HANDLED;
}

static BellStore *
open_store (void)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = bell_store_default_path ();
  BellStore *store;

  bell_store_open_async (path, NULL, account_test_store_result, &result);
  store = bell_store_open_finish (account_test_wait_result (&result), &error);
  g_assert_no_error (error);
  return store;
}

/* A contact and a call of the account's in the history: the database has rows to write. */
static void
fill_store (BellStore *store, const char *aor)
{
  g_autoptr(BellContact) contact = bell_contact_new ("Bob");
  g_autoptr(BellContact) stored = NULL;
  g_autoptr(BellHistoryEntry) entry = NULL;
  g_autoptr(BellHistoryEntry) stored_entry = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  bell_contact_add_address (contact, "work", "sip:bob@" REALM);
  bell_store_add_contact_async (store, contact, NULL, account_test_store_result, &result);
  stored = bell_store_add_contact_finish (store, account_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  entry = bell_history_entry_new (BELL_CALL_DIRECTION_OUTGOING, "sip:bob@" REALM, "Bob", aor,
                                  g_get_real_time (), 12, BELL_CALL_OUTCOME_ANSWERED, NULL);
  bell_store_add_history_async (store, entry, NULL, account_test_store_result, &result);
  stored_entry = bell_store_add_history_finish (store, account_test_wait_result (&result), &error);
  g_assert_no_error (error);
}

static BellAccount *
save (BellAccountStore *store, BellAccount *account, BellAccountFields *fields,
      const char *password)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  BellAccount *saved;

  bell_account_store_save_async (store, account, fields, password, NULL,
                                 account_test_store_result, &result);
  saved = bell_account_store_save_finish (store, account_test_wait_result (&result), &error);
  g_assert_no_error (error);
  return saved;
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
wait_state (BellAccount *account, BellAccountState state, const char *what)
{
  StateWait w = { account, state };

  account_test_wait (has_state, &w, WAIT_MS, what);
}

/* H(A1) of Digest (RFC 7616 §3.4.2), hex: as good as the password for the realm. */
static char *
ha1_hex (const char *algorithm, const char *password)
{
  g_autofree char *a1 = g_strdup_printf ("alice:%s:%s", REALM, password);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  GString *hex = g_string_new (NULL);

  g_assert_true (EVP_Digest (a1, strlen (a1), md, &len, EVP_get_digestbyname (algorithm), NULL));
  for (unsigned int i = 0; i < len; i++)
    g_string_append_printf (hex, "%02x", md[i]);
  return g_string_free (hex, FALSE);
}

static void
test_no_password_on_disk (void)
{
  g_autofree char *sipp = g_find_program_in_path ("sipp");
  g_autofree char *scenario = g_test_build_filename (G_TEST_DIST, "registrar.xml", NULL);
  g_autofree char *port_text = NULL;
  g_autofree char *registrar = NULL;
  g_autofree char *wrong = g_strdup_printf ("wrong-%08x%08x", g_random_int (), g_random_int ());
  g_autofree char *keyfile = g_build_filename (home, "config", "glib-2.0", "settings", "keyfile",
                                               NULL);
  g_autofree char *db_path = bell_store_default_path ();
  g_autofree char *keyfile_text = NULL;
  g_autofree char *log_text = NULL;
  g_autofree char *md5 = ha1_hex ("MD5", PASSWORD);
  g_autofree char *sha256 = ha1_hex ("SHA256", PASSWORD);
  g_autoptr(GSettings) settings = g_settings_new ("io.github.bellbird.Bellbird");
  g_autoptr(BellAccountStore) accounts = NULL;
  g_autoptr(BellAccountFields) fields = bell_account_fields_new ();
  g_autoptr(BellAccount) account = NULL;
  g_autoptr(BellStore) store = NULL;
  g_autoptr(BellCore) core = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  BellCoreConfig config = { .bind_address = "127.0.0.1", .listen = BELL_SIP_TRANSPORT_UDP,
                            .auto_answer_ms = -1, .no_media = TRUE };
  GPid keyring_pid, sipp_pid = 0;
  guint16 port;

  if (!sipp)
    {
      g_test_skip ("sipp (sip-tester) is not installed");
      return;
    }
  keyring_pid = account_test_keyring_start ();
  store = open_store ();
  fill_store (store, "sip:alice@" REALM);

  port = account_test_free_port (G_SOCKET_TYPE_DATAGRAM);
  port_text = g_strdup_printf ("%u", port);
  {
    const char *argv[] = { sipp, "-sf", scenario, "-i", "127.0.0.1", "-p", port_text,
                           "-nostdin", "-timeout", "60s", NULL };
    g_spawn_async (NULL, (char **) argv, NULL,
                   G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                   &sipp_pid, &error);
    g_assert_no_error (error);
  }

  /* Saved with the password, registered with it (challenged), then a wrong one: refused. */
  g_settings_reset (settings, "accounts");
  accounts = bell_account_store_new (settings);
  registrar = g_strdup_printf ("127.0.0.1:%u", port);
  g_free (fields->address);
  fields->address = g_strdup ("sip:alice@" REALM);
  g_free (fields->registrar);
  fields->registrar = g_strdup (registrar);
  g_free (fields->transport);
  fields->transport = g_strdup ("udp");
  account = save (accounts, NULL, fields, PASSWORD);
  core = bell_core_new (&config, &error);
  g_assert_no_error (error);
  bell_account_store_attach_core (accounts, core);
  wait_state (account, BELL_ACCOUNT_STATE_REGISTERED, "registered");
  bell_account_store_set_password_async (account, wrong, NULL, account_test_store_result,
                                         &result);
  g_assert_true (bell_account_store_set_password_finish (account_test_wait_result (&result),
                                                         &error));
  g_assert_no_error (error);
  wait_state (account, BELL_ACCOUNT_STATE_FAILED, "the wrong password refused");

  bell_account_store_detach_core (accounts);
  bell_core_shutdown (core);
  kill (sipp_pid, SIGTERM);
  waitpid (sipp_pid, NULL, 0);
  g_spawn_close_pid (sipp_pid);
  g_clear_object (&store);   /* the database closed: everything it writes is on disk */
  account_test_keyring_stop (keyring_pid);

  /* What is there to search: the account in the keyfile, the database, the REGISTER in the
   * log, its Digest answer shown without the response. */
  g_assert_true (g_file_get_contents (keyfile, &keyfile_text, NULL, NULL));
  g_assert_nonnull (strstr (keyfile_text, "sip:alice@" REALM));
  g_assert_true (g_file_test (db_path, G_FILE_TEST_IS_REGULAR));
  g_assert_true (g_file_get_contents (log_path, &log_text, NULL, NULL));
  g_assert_nonnull (strstr (log_text, "REGISTER sip:"));
  g_assert_nonnull (strstr (log_text, "Authorization: Digest username=\"alice\""));

  /* And none of the secrets anywhere under the home. */
  g_assert_false (account_test_tree_contains (home, PASSWORD));
  g_assert_false (account_test_tree_contains (home, wrong));
  g_assert_false (account_test_tree_contains (home, md5));
  g_assert_false (account_test_tree_contains (home, sha256));
}

int
main (int argc, char **argv)
{
  g_autofree char *daemon = g_find_program_in_path ("gnome-keyring-daemon");
  g_autofree char *logs = NULL;
  int status;

  home = account_test_private_home ("keyfile");
  logs = g_build_filename (home, "logs", NULL);
  g_assert_cmpint (g_mkdir_with_parents (logs, 0700), ==, 0);
  log_path = g_build_filename (logs, "debug.log", NULL);
  log_file = fopen (log_path, "w");
  g_assert_nonnull (log_file);
  /* Debug messages on, as G_MESSAGES_DEBUG=all would: every SIP message is logged. */
  g_log_set_debug_enabled (TRUE);
  g_log_set_writer_func (write_log, NULL, NULL);

  g_test_init (&argc, &argv, NULL);
  if (!daemon)
    {
      g_test_add_data_func ("/accounts/secrets/skipped",
                            "needs gnome-keyring-daemon (gnome-keyring)",
                            (GTestDataFunc) g_test_skip);
      return g_test_run ();
    }
  account_test_bus_up ();
  g_test_add_func ("/accounts/secrets/no-password-on-disk", test_no_password_on_disk);
  status = g_test_run ();

  secret_service_disconnect ();
  account_test_bus_stop ();
  fclose (log_file);
  log_file = NULL;
  account_test_rm_rf (home);
  g_free (home);
  g_free (log_path);
  return status;
}
