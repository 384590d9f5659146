/* ui-test-util.h: what the UI tests share: waiting on the main loop, a bellbird-cli peer on
 * loopback, and a stand-in notification server on the private session bus. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Runs the main context until expr holds; fails the test after secs seconds. */
#define UI_WAIT_UNTIL(expr, secs)                                                       \
  G_STMT_START {                                                                         \
    gint64 _end = g_get_monotonic_time () + (gint64) ((secs) * G_USEC_PER_SEC);          \
    while (!(expr))                                                                      \
      {                                                                                  \
        if (g_get_monotonic_time () > _end)                                              \
          g_error ("%s:%d: timed out waiting for %s", __FILE__, __LINE__, #expr);        \
        ui_iterate ();                                                                   \
      }                                                                                  \
  } G_STMT_END

/* One main context iteration, waking at least every 20 ms. */
void      ui_iterate        (void);
/* Lets the main loop run for ms milliseconds. */
void      ui_spin           (guint ms);

/* A bellbird-cli process with --events; its JSON lines are collected as they come. */
typedef struct _UiPeer UiPeer;

/* argv after the program (NULL-terminated); BELLBIRD_CLI names the program. */
UiPeer   *ui_peer_start     (const char *const *args);
/* The first line with every one of the needles (NULL-terminated), or NULL. */
const char *ui_peer_find    (UiPeer *peer, const char *first_needle, ...) G_GNUC_NULL_TERMINATED;
/* The "port" of its {"event":"listening"...} line, waiting for it (5 s). */
guint     ui_peer_port      (UiPeer *peer);
gboolean  ui_peer_exited    (UiPeer *peer);
int       ui_peer_exit_status (UiPeer *peer);
void      ui_peer_interrupt (UiPeer *peer);
/* Stops it (by its pid) if it still runs, and frees it. */
void      ui_peer_free      (UiPeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UiPeer, ui_peer_free)

/* Owns org.freedesktop.Notifications on the session bus and records each Notify as
 * "summary\nbody\naction,action..." until ui_notifications_stop. */
void        ui_notifications_start (void);
GPtrArray  *ui_notifications_get   (void);
/* The first recorded notification containing needle, or NULL. */
const char *ui_notifications_find  (const char *needle);
void        ui_notifications_stop  (void);

/* gnome-keyring-daemon on the session bus (with-xvfb.sh's own), its login keyring created and
 * unlocked with a password fed on stdin; returns its pid once it owns org.freedesktop.secrets,
 * or 0 when it is not installed. ui_keyring_stop stops it by that pid. */
GPid        ui_keyring_start       (void);
void        ui_keyring_stop        (GPid pid);

G_END_DECLS
