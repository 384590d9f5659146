/* ui-test-util.c: helpers of the UI tests. */
#include "ui-test-util.h"
#include "account-test-util.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static gboolean
on_wake (gpointer data)
{
  return G_SOURCE_REMOVE;
}

void
ui_iterate (void)
{
  guint wake = g_timeout_add (20, on_wake, NULL);

  g_main_context_iteration (NULL, TRUE);
  /* The wake source may already have run (and be gone). */
  if (g_main_context_find_source_by_id (NULL, wake))
    g_source_remove (wake);
}

void
ui_spin (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    ui_iterate ();
}

/* Peers */

struct _UiPeer
{
  GSubprocess      *process;
  GDataInputStream *out;
  GCancellable     *cancellable;
  GPtrArray        *lines;
  gboolean          exited;
};

static void read_next (UiPeer *peer);

static void
on_line (GObject *source, GAsyncResult *result, gpointer data)
{
  UiPeer *peer = data;
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                          NULL, &error);

  if (!line)
    return;   /* end of output, or cancelled: the peer is being freed */
  g_test_message ("peer: %s", line);
  g_ptr_array_add (peer->lines, line);
  read_next (peer);
}

static void
read_next (UiPeer *peer)
{
  g_data_input_stream_read_line_async (peer->out, G_PRIORITY_DEFAULT, peer->cancellable,
                                       on_line, peer);
}

static void
on_exited (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;

  if (g_subprocess_wait_finish (G_SUBPROCESS (source), result, &error))
    ((UiPeer *) data)->exited = TRUE;
}

/* A peer dies with the test, even when the test aborts. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

UiPeer *
ui_peer_start (const char *const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  UiPeer *peer = g_new0 (UiPeer, 1);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *cli = g_getenv ("BELLBIRD_CLI");

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, (gpointer) cli);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  /* stderr into the same pipe: the peer's complaints show in the test log. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  peer->process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata,
                                                &error);
  g_assert_no_error (error);
  peer->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (peer->process));
  peer->cancellable = g_cancellable_new ();
  peer->lines = g_ptr_array_new_with_free_func (g_free);
  read_next (peer);
  g_subprocess_wait_async (peer->process, peer->cancellable, on_exited, peer);
  return peer;
}

const char *
ui_peer_find (UiPeer *peer, const char *first_needle, ...)
{
  for (guint i = 0; i < peer->lines->len; i++)
    {
      const char *line = peer->lines->pdata[i];
      gboolean all = TRUE;
      va_list ap;

      va_start (ap, first_needle);
      for (const char *needle = first_needle; needle && all; needle = va_arg (ap, const char *))
        all = strstr (line, needle) != NULL;
      va_end (ap);
      if (all)
        return line;
    }
  return NULL;
}

guint
ui_peer_port (UiPeer *peer)
{
  const char *line, *port;

  UI_WAIT_UNTIL ((line = ui_peer_find (peer, "\"event\":\"listening\"", "\"UDP\"", NULL)), 5);
  port = strstr (line, "\"port\":");
  g_assert_nonnull (port);
  return (guint) g_ascii_strtoull (port + 7, NULL, 10);
}

gboolean
ui_peer_exited (UiPeer *peer)
{
  return peer->exited;
}

int
ui_peer_exit_status (UiPeer *peer)
{
  g_assert_true (peer->exited);
  return g_subprocess_get_if_exited (peer->process) ? g_subprocess_get_exit_status (peer->process)
                                                    : -1;
}

void
ui_peer_interrupt (UiPeer *peer)
{
  g_subprocess_send_signal (peer->process, SIGINT);
}

void
ui_peer_free (UiPeer *peer)
{
  if (!peer->exited)
    {
      g_subprocess_force_exit (peer->process);
      UI_WAIT_UNTIL (peer->exited, 5);
    }
  g_cancellable_cancel (peer->cancellable);
  /* The cancelled reads report back once more on the main context. */
  ui_spin (50);
  g_object_unref (peer->cancellable);
  g_object_unref (peer->out);
  g_object_unref (peer->process);
  g_ptr_array_unref (peer->lines);
  g_free (peer);
}

/* A notification server */

static const char notifications_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.Notifications'>"
  "    <method name='Notify'>"
  "      <arg type='s' direction='in'/><arg type='u' direction='in'/>"
  "      <arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "      <arg type='s' direction='in'/><arg type='as' direction='in'/>"
  "      <arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
  "      <arg type='u' direction='out'/>"
  "    </method>"
  "    <method name='CloseNotification'><arg type='u' direction='in'/></method>"
  "    <method name='GetCapabilities'><arg type='as' direction='out'/></method>"
  "    <method name='GetServerInformation'>"
  "      <arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "      <arg type='s' direction='out'/><arg type='s' direction='out'/>"
  "    </method>"
  "    <signal name='ActionInvoked'><arg type='u'/><arg type='s'/></signal>"
  "    <signal name='NotificationClosed'><arg type='u'/><arg type='u'/></signal>"
  "  </interface>"
  "</node>";

static struct
{
  GDBusConnection *bus;
  GDBusNodeInfo   *info;
  guint            object;
  guint            name;
  GPtrArray       *seen;
} notifications;

static void
on_notifications_call (GDBusConnection *connection, const char *sender, const char *path,
                       const char *interface, const char *method, GVariant *parameters,
                       GDBusMethodInvocation *invocation, gpointer data)
{
  if (g_str_equal (method, "Notify"))
    {
      const char *summary, *body;
      g_autofree const char **actions = NULL;
      g_autofree char *joined = NULL;

      g_variant_get_child (parameters, 3, "&s", &summary);
      g_variant_get_child (parameters, 4, "&s", &body);
      g_variant_get_child (parameters, 5, "^a&s", &actions);
      joined = g_strjoinv (",", (char **) actions);
      g_ptr_array_add (notifications.seen, g_strdup_printf ("%s\n%s\n%s", summary, body, joined));
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(u)", notifications.seen->len));
    }
  else if (g_str_equal (method, "GetCapabilities"))
    {
      const char *caps[] = { "actions", "body", NULL };
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(^as)", caps));
    }
  else if (g_str_equal (method, "GetServerInformation"))
    g_dbus_method_invocation_return_value (invocation,
                                           g_variant_new ("(ssss)", "ui-test", "bellbird", "1", "1.2"));
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

static const GDBusInterfaceVTable notifications_vtable = { on_notifications_call, NULL, NULL, { 0 } };

void
ui_notifications_start (void)
{
  g_autoptr(GError) error = NULL;

  notifications.bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  notifications.info = g_dbus_node_info_new_for_xml (notifications_xml, &error);
  g_assert_no_error (error);
  notifications.seen = g_ptr_array_new_with_free_func (g_free);
  notifications.object = g_dbus_connection_register_object (notifications.bus,
                                                            "/org/freedesktop/Notifications",
                                                            notifications.info->interfaces[0],
                                                            &notifications_vtable, NULL, NULL,
                                                            &error);
  g_assert_no_error (error);
  notifications.name = g_bus_own_name_on_connection (notifications.bus,
                                                     "org.freedesktop.Notifications",
                                                     G_BUS_NAME_OWNER_FLAGS_NONE, NULL, NULL,
                                                     NULL, NULL);
}

GPtrArray *
ui_notifications_get (void)
{
  return notifications.seen;
}

const char *
ui_notifications_find (const char *needle)
{
  for (guint i = 0; notifications.seen && i < notifications.seen->len; i++)
    if (strstr (notifications.seen->pdata[i], needle))
      return notifications.seen->pdata[i];
  return NULL;
}

void
ui_notifications_stop (void)
{
  if (!notifications.bus)
    return;
  g_bus_unown_name (notifications.name);
  g_dbus_connection_unregister_object (notifications.bus, notifications.object);
  g_clear_pointer (&notifications.info, g_dbus_node_info_unref);
  g_clear_pointer (&notifications.seen, g_ptr_array_unref);
  g_clear_object (&notifications.bus);
}

/* A keyring: the accounts tests' (account-test-util.c), when the daemon is installed. */

GPid
ui_keyring_start (void)
{
  g_autofree char *daemon = g_find_program_in_path ("gnome-keyring-daemon");

  return daemon ? account_test_keyring_start () : 0;
}

void
ui_keyring_stop (GPid pid)
{
  account_test_keyring_stop (pid);
}
