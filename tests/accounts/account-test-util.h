/* account-test-util.h: what the accounts tests share: a private home, a private session bus,
 * waiting on the main loop with a bound, and finishing async calls. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Points HOME and the XDG dirs at a new temporary dir (returned; call before anything reads
 * them) and GSETTINGS_BACKEND at backend ("memory" or "keyfile"). */
char     *account_test_private_home (const char *backend);
/* A private session bus (GTestDBus, no activatable services) for this process; stop stops its
 * daemon (by pid). */
void      account_test_bus_up       (void);
void      account_test_bus_stop     (void);
/* gnome-keyring-daemon on the session bus, its login keyring created and unlocked with a
 * password fed on stdin (needs a fresh XDG_DATA_HOME: nothing to prompt for); returns its pid
 * once it owns org.freedesktop.secrets. Stop it with account_test_keyring_stop. */
GPid      account_test_keyring_start (void);
void      account_test_keyring_stop  (GPid pid);
/* Deletes a directory tree. */
void      account_test_rm_rf        (const char *path);
/* Runs the default main context until check (data) holds; fails the test after timeout_ms. */
void      account_test_wait         (gboolean (*check) (gpointer data), gpointer data,
                                     guint timeout_ms, const char *what);
/* Runs the default main context until *result is set (by account_test_store_result). */
GAsyncResult *account_test_wait_result (GAsyncResult **result);
void      account_test_store_result (GObject *source, GAsyncResult *result, gpointer user_data);
/* A loopback port nothing listens on right now (kind: G_SOCKET_TYPE_STREAM or DATAGRAM). */
guint16   account_test_free_port    (GSocketType type);
/* Whether any file under dir contains needle. */
gboolean  account_test_tree_contains (const char *dir, const char *needle);

G_END_DECLS
