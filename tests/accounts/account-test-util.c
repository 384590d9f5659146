/* account-test-util.c: helpers for the accounts tests. */
#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "account-test-util.h"

char *
account_test_private_home (const char *backend)
{
  g_autoptr(GError) error = NULL;
  char *home = g_dir_make_tmp ("bellbird-accounts-XXXXXX", &error);
  static const char *const vars[][2] = {
    { "HOME", "home" }, { "XDG_CONFIG_HOME", "config" }, { "XDG_DATA_HOME", "data" },
    { "XDG_CACHE_HOME", "cache" }, { "XDG_RUNTIME_DIR", "run" },
  };

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      g_autofree char *dir = g_build_filename (home, vars[i][1], NULL);
      g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
      g_setenv (vars[i][0], dir, TRUE);
    }
  g_setenv ("GSETTINGS_BACKEND", backend, TRUE);
  return home;
}

/* Kept for the whole run: unreffing it would wait for the session-bus singleton, which
 * libsecret may still hold, to be finalized (and warn after 30 s). */
static GTestDBus *test_bus;

void
account_test_bus_up (void)
{
  g_assert_null (test_bus);
  test_bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (test_bus);
}

void
account_test_bus_stop (void)
{
  if (test_bus)
    g_test_dbus_stop (test_bus);
}

void
account_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        account_test_rm_rf (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static gboolean
on_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Checks every 50 ms as well as on every event: some conditions (a keyring daemon that came
 * up, a file written by another process) wake no main loop of ours. */
void
account_test_wait (gboolean (*check) (gpointer data), gpointer data, guint timeout_ms,
                   const char *what)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint tick = g_timeout_add (50, on_tick, NULL);

  while (!check (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out after %u ms waiting for %s", timeout_ms, what);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (tick);
}

void
account_test_store_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
result_is_set (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

GAsyncResult *
account_test_wait_result (GAsyncResult **result)
{
  account_test_wait (result_is_set, result, 15000, "an async result");
  return *result;
}

guint16
account_test_free_port (GSocketType type)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, type, G_SOCKET_PROTOCOL_DEFAULT,
                                            &error);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_no_error (error);
  g_socket_bind (socket, any, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  /* Closed when the socket goes: the port stays free unless someone takes it meanwhile. */
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

gboolean
account_test_tree_contains (const char *path, const char *needle)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      g_autofree char *contents = NULL;
      gsize len = 0;

      if (g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        {
          if (account_test_tree_contains (child, needle))
            return TRUE;
        }
      else if (g_file_get_contents (child, &contents, &len, NULL) &&
               memmem (contents, len, needle, strlen (needle)) != NULL)
        return TRUE;
    }
  return FALSE;
}

static gboolean
secrets_on_bus (gpointer data)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  gboolean owned = FALSE;

  g_usleep (50 * 1000);
  if (!bus)
    return FALSE;
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", "org.freedesktop.secrets"),
                                       G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, 2000,
                                       NULL, NULL);
  if (reply)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

/* The daemon goes when the test does, even when the test crashes. */
static void
keyring_dies_with_test (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

GPid
account_test_keyring_start (void)
{
  static const char unlock[] = "keyring-unlock-pw";
  const char *argv[] = { "gnome-keyring-daemon", "--foreground", "--unlock",
                         "--components=secrets", NULL };
  g_autoptr(GError) error = NULL;
  /* Not our G_DEBUG=fatal-warnings: the daemon warns about harmless things (an item it
   * registers twice when one is replaced) and must not abort for them. */
  g_auto(GStrv) envp = g_environ_unsetenv (g_get_environ (), "G_DEBUG");
  GPid pid = 0;
  int in_fd = -1;

  g_spawn_async_with_pipes (NULL, (char **) argv, envp,
                            G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                            G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                            keyring_dies_with_test, NULL, &pid, &in_fd, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (write (in_fd, unlock, strlen (unlock)), ==, (gssize) strlen (unlock));
  close (in_fd);
  account_test_wait (secrets_on_bus, NULL, 15000, "gnome-keyring-daemon on the bus");
  /* libsecret keeps the service it found missing: look again. */
  secret_service_disconnect ();
  return pid;
}

void
account_test_keyring_stop (GPid pid)
{
  if (pid <= 0)
    return;
  kill (pid, SIGTERM);
  waitpid (pid, NULL, 0);
  g_spawn_close_pid (pid);
}
