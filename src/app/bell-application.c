/* bell-application.c: Bellbird's application object: core, calls, accounts, store, ringing. */
#define G_LOG_DOMAIN "bell-application"

#include "config.h"
#include "bell-application.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>
#include "bell-certificate-notice.h"
#include "bell-dial.h"
#include "bell-direct-calls.h"
#include "bell-resources.h"
#include "bell-window.h"

/* How long quitting waits for the accounts to un-register before it goes anyway. */
#define UNREGISTER_WAIT_MS 2000

struct _BellApplication
{
  AdwApplication    parent_instance;

  GSettings        *settings;
  BellCore         *core;
  GError           *core_error;
  BellCallManager  *calls;
  BellRinger       *ringer;
  BellAccountStore *accounts;
  BellStore        *store;
  GCancellable     *cancellable;
  GPtrArray        *unsaved_history;  /* BellHistoryEntry ended before the store opened */
  gboolean          held;             /* g_application_hold for run-in-background */
  gboolean          asked_direct;     /* the direct-calls question was shown in this run */
  gboolean          unregistered;
};

G_DEFINE_FINAL_TYPE (BellApplication, bell_application, ADW_TYPE_APPLICATION)

enum { SIGNAL_STORE_READY, N_SIGNALS };
static guint signals[N_SIGNALS];

/* Settings and environment */

static const char *
env_or_setting (BellApplication *self, const char *env, const char *key, char **owned)
{
  const char *value = g_getenv (env);

  if (value && *value)
    return value;
  *owned = g_settings_get_string (self->settings, key);
  return *owned;
}

static BellCore *
start_core (BellApplication *self, GError **error)
{
  BellCoreConfig config = { 0 };
  g_autofree char *audio_in = NULL;
  g_autofree char *audio_out = NULL;
  g_auto(GStrv) codecs = g_settings_get_strv (self->settings, "codecs");
  g_autofree char *codec_list = g_strjoinv (",", codecs);
  g_autofree char *direct_calls = g_settings_get_string (self->settings, "direct-calls");
  const char *port_env = g_getenv ("BELLBIRD_SIP_PORT");
  g_autoptr(GError) local_error = NULL;
  BellCore *core;

  config.bind_address = g_getenv ("BELLBIRD_BIND");
  config.bind_port = port_env ? (guint16) g_ascii_strtoull (port_env, NULL, 10) : 5060;
  config.listen = BELL_SIP_TRANSPORT_UDP | BELL_SIP_TRANSPORT_TCP;
  config.auto_answer_ms = -1;
  config.max_calls = 4;
  config.echo_service = TRUE;
  config.audio_in = env_or_setting (self, "BELLBIRD_AUDIO_IN", "audio-input", &audio_in);
  config.audio_out = env_or_setting (self, "BELLBIRD_AUDIO_OUT", "audio-output", &audio_out);
  config.codecs = *codec_list ? codec_list : NULL;
  /* The contacts follow once the store is open (apply_direct_calls). */
  config.direct_calls = bell_direct_calls_from_setting (direct_calls);
  core = bell_core_new (&config, &local_error);
  if (!core && config.bind_port != 0 && g_error_matches (local_error, BELL_CORE_ERROR, BELL_CORE_ERROR_BIND))
    {
      /* Another phone has 5060: calls through accounts work from any port. */
      g_message ("port %u is taken (%s): listening on another", config.bind_port,
                 local_error->message);
      g_clear_error (&local_error);
      config.bind_port = 0;
      core = bell_core_new (&config, &local_error);
    }
  if (!core)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return core;
}

static void
apply_background (BellApplication *self)
{
  gboolean background = g_settings_get_boolean (self->settings, "run-in-background");

  /* The hold keeps the app (and the registrations) alive with no window. */
  if (background && !self->held)
    g_application_hold (G_APPLICATION (self));
  else if (!background && self->held)
    g_application_release (G_APPLICATION (self));
  self->held = background;
}

static void
on_background_changed (GSettings *settings, const char *key, gpointer data)
{
  apply_background (data);
}

/* Direct calls: the core refuses what the policy forbids; the app chooses the policy and
 * tells the core who the contacts are. */

static void
apply_direct_calls (BellApplication *self)
{
  g_autofree char *value = NULL;
  g_auto(GStrv) contacts = NULL;

  if (!self->core)
    return;
  value = g_settings_get_string (self->settings, "direct-calls");
  contacts = bell_direct_calls_contact_uris (self->store ? bell_store_get_contacts (self->store)
                                                         : NULL);
  bell_core_set_direct_calls (self->core, bell_direct_calls_from_setting (value),
                              (const char *const *) contacts);
}

static void
on_direct_calls_changed (GSettings *settings, const char *key, gpointer data)
{
  apply_direct_calls (data);
}

static void
on_contacts_changed (BellApplication *self)
{
  apply_direct_calls (self);
}

/* With no account, a direct call is the only kind that can come: ask once whether to take
 * them. The answer is kept in the key; with an account the core's "ask" rule is to refuse. */
static void
ask_direct_calls (BellApplication *self, GtkWindow *window)
{
  g_autofree char *value = g_settings_get_string (self->settings, "direct-calls");

  if (self->asked_direct || !self->core || g_strcmp0 (value, "ask") != 0 ||
      g_list_model_get_n_items (G_LIST_MODEL (self->accounts)) > 0)
    return;
  self->asked_direct = TRUE;
  gtk_window_present (GTK_WINDOW (bell_direct_calls_dialog_new (window, self->settings)));
}

/* Ringing and notifications */

static gboolean
is_dnd (BellApplication *self)
{
  return g_settings_get_boolean (self->settings, "do-not-disturb");
}

static void
update_ringing (BellApplication *self)
{
  GListModel *calls = bell_call_manager_get_calls (self->calls);
  gboolean ringing = FALSE, talking = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (calls); i++)
    {
      g_autoptr(BellCall) call = g_list_model_get_item (calls, i);
      BellCallState state = bell_call_get_state (call);
      ringing |= state == BELL_CALL_STATE_INCOMING && !bell_call_get_silenced (call);
      talking |= state == BELL_CALL_STATE_CONNECTED;
    }
  /* A second call while talking does not ring in the ear: the window shows it. */
  if (ringing && !talking && !is_dnd (self))
    bell_ringer_start (self->ringer);
  else
    bell_ringer_stop (self->ringer);
}

static void
on_call_changed (BellCall *call, gpointer data)
{
  update_ringing (data);
}

static char *
notification_id (const char *what, BellCall *call)
{
  return g_strdup_printf ("%s-%u", what, bell_call_get_id (call));
}

static char *
caller_name (BellCall *call)
{
  if (g_strcmp0 (bell_call_get_name (call), bell_call_get_peer (call)) != 0)
    return g_strdup (bell_call_get_name (call));
  return bell_dial_display_for (bell_call_get_peer (call));
}

static void
notify_incoming (BellApplication *self, BellCall *call)
{
  g_autoptr(GNotification) notification = g_notification_new (_("Incoming call"));
  g_autofree char *id = notification_id ("call", call);
  g_autofree char *name = caller_name (call);
  GVariant *target = g_variant_new_uint32 (bell_call_get_id (call));

  g_notification_set_body (notification, name);
  g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_URGENT);
  g_notification_set_category (notification, "call.incoming");
  g_notification_set_default_action (notification, "app.show-window");
  g_notification_add_button_with_target_value (notification, _("Decline"), "app.decline-call",
                                               target);
  g_notification_add_button_with_target_value (notification, _("Answer"), "app.answer-call",
                                               g_variant_new_uint32 (bell_call_get_id (call)));
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

static void
notify_missed (BellApplication *self, BellCall *call)
{
  g_autofree char *name = caller_name (call);
  g_autofree char *title = g_strdup_printf (_("Missed call from %s"), name);
  g_autoptr(GNotification) notification = g_notification_new (title);
  g_autofree char *id = notification_id ("missed", call);
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (bell_call_get_started (call) / G_USEC_PER_SEC);
  g_autofree char *body = g_date_time_format (when, "%X");

  g_notification_set_body (notification, body);
  g_notification_set_category (notification, "call.unanswered");
  g_notification_set_default_action (notification, "app.show-history");
  g_notification_add_button_with_target_value (notification, _("Call Back"), "app.call-uri",
                                               g_variant_new_string (bell_call_get_peer (call)));
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

static void
on_call_added (BellCallManager *manager, BellCall *call, gpointer data)
{
  BellApplication *self = data;
  GtkWindow *window;
  gboolean was_active;

  g_signal_connect_object (call, "changed", G_CALLBACK (on_call_changed), self, 0);
  if (bell_call_is_outgoing (call))
    return;
  /* Which of our accounts it came in on: for History, and for the call view to say. */
  if (bell_call_get_account_aor (call))
    {
      BellAccount *account = bell_account_store_find_by_aor (self->accounts,
                                                             bell_call_get_account_aor (call));
      if (account)
        {
          bell_call_set_account_id (call, bell_account_get_id (account));
          bell_call_set_account_name (call, bell_account_get_title (account));
        }
    }
  if (is_dnd (self))
    {
      /* Do Not Disturb: the caller hears busy, the call is in History as missed. */
      bell_call_set_silenced (call, TRUE);
      bell_call_manager_reject (manager, bell_call_get_id (call), 486);
      return;
    }
  window = bell_application_get_window (self);
  was_active = gtk_widget_get_visible (GTK_WIDGET (window)) && gtk_window_is_active (window);
  gtk_window_present (window);
  if (!was_active)
    notify_incoming (self, call);
  update_ringing (self);
}

/* History */

static BellCallOutcome
outcome_of (BellCall *call)
{
  guint code = bell_call_get_code (call);

  if (bell_call_was_connected (call))
    return BELL_CALL_OUTCOME_ANSWERED;
  if (!bell_call_is_outgoing (call))
    return bell_call_is_missed (call) ? BELL_CALL_OUTCOME_MISSED : BELL_CALL_OUTCOME_DECLINED;
  if (bell_call_get_ended_locally (call) || code == 487)
    return BELL_CALL_OUTCOME_CANCELLED;
  if (code == 486 || code == 600 || code == 603)
    return BELL_CALL_OUTCOME_DECLINED;
  return BELL_CALL_OUTCOME_FAILED;
}

static void
on_history_added (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellHistoryEntry) entry = bell_store_add_history_finish (BELL_STORE (source), result,
                                                                     &error);

  if (!entry)
    g_message ("the call could not be written to the history: %s", error->message);
}

static void
save_history (BellApplication *self, BellHistoryEntry *entry)
{
  if (!self->store)
    {
      g_ptr_array_add (self->unsaved_history, g_object_ref (entry));
      return;
    }
  bell_store_add_history_async (self->store, entry, self->cancellable, on_history_added, NULL);
}

static void
record_call (BellApplication *self, BellCall *call)
{
  BellCallOutcome outcome = outcome_of (call);
  BellAccount *account = bell_call_get_account_id (call)
                         ? bell_account_store_lookup (self->accounts, bell_call_get_account_id (call))
                         : NULL;
  const char *name = g_strcmp0 (bell_call_get_name (call), bell_call_get_peer (call)) != 0
                     ? bell_call_get_name (call) : NULL;
  g_autofree char *reason = outcome == BELL_CALL_OUTCOME_ANSWERED ? NULL
                            : bell_call_dup_end_reason (call);
  g_autoptr(BellHistoryEntry) entry = NULL;

  entry = bell_history_entry_new (bell_call_is_outgoing (call) ? BELL_CALL_DIRECTION_OUTGOING
                                                               : BELL_CALL_DIRECTION_INCOMING,
                                  bell_call_get_peer (call), name,
                                  account ? bell_account_get_address (account) : NULL,
                                  bell_call_get_started (call), bell_call_get_duration (call),
                                  outcome, reason);
  save_history (self, entry);
}

static void
on_call_ended (BellCallManager *manager, BellCall *call, gpointer data)
{
  BellApplication *self = data;
  g_autofree char *id = notification_id ("call", call);

  g_application_withdraw_notification (G_APPLICATION (self), id);
  update_ringing (self);
  if (bell_call_is_missed (call) && !bell_call_get_silenced (call))
    notify_missed (self, call);
  record_call (self, call);
}

/* Contacts name the callers. */
static char *
name_for_peer (const char *peer, gpointer data)
{
  BellApplication *self = data;
  g_autofree char *echo = g_strdup_printf ("sip:echo@127.0.0.1:%u",
                                           bell_core_get_port (self->core, BELL_SIP_TRANSPORT_UDP));
  gboolean is_echo = g_ascii_strcasecmp (peer, echo) == 0;
  BellContact *contact = NULL;

  /* Our echo test is the contact whose address is the word "echo". */
  if (self->store)
    contact = bell_store_find_contact_by_address (self->store, is_echo ? "echo" : peer);
  if (contact)
    return g_strdup (bell_contact_get_name (contact));
  return is_echo ? g_strdup (_("Echo test")) : NULL;
}

static void
on_store_opened (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(BellApplication) self = data;
  g_autoptr(GError) error = NULL;
  BellStore *store = bell_store_open_finish (result, &error);

  if (!store)
    {
      GtkWindow *window;
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_message ("contacts and history cannot open: %s", error->message);
      window = gtk_application_get_active_window (GTK_APPLICATION (self));
      if (window)
        {
          g_autofree char *text = g_strdup_printf (_("Contacts and history are not available: %s"),
                                                   error->message);
          bell_window_toast (BELL_WINDOW (window), text);
        }
      return;
    }
  self->store = store;
  g_signal_connect_object (bell_store_get_contacts (store), "items-changed",
                           G_CALLBACK (on_contacts_changed), self, G_CONNECT_SWAPPED);
  apply_direct_calls (self);
  for (guint i = 0; i < self->unsaved_history->len; i++)
    save_history (self, self->unsaved_history->pdata[i]);
  g_ptr_array_set_size (self->unsaved_history, 0);
  g_signal_emit (self, signals[SIGNAL_STORE_READY], 0, store);
}

/* Dialling */

typedef struct
{
  BellApplication *self;
  char            *uri;
  char            *account_id;
  char            *from;
} DialJob;

static void
dial_job_free (DialJob *job)
{
  g_object_unref (job->self);
  g_free (job->uri);
  g_free (job->account_id);
  g_free (job->from);
  g_free (job);
}

static void
on_password (GObject *source, GAsyncResult *result, gpointer data)
{
  DialJob *job = data;
  g_autoptr(GError) error = NULL;
  char *password = bell_account_store_lookup_password_finish (result, &error);

  /* Without the keyring the call still goes: a server that asks for the password ends it
   * with a sentence the call view shows. */
  if (error)
    g_message ("no password for %s: %s", job->from, error->message);
  if (job->self->calls)
    bell_call_manager_dial (job->self->calls, job->uri, job->account_id, job->from, password);
  secret_password_free (password);
  dial_job_free (job);
}

/* The account that calls when the user picked none: the default one, else the first enabled. */
static BellAccount *
calling_account (BellApplication *self)
{
  BellAccount *account = bell_account_store_get_default (self->accounts);
  GListModel *model = G_LIST_MODEL (self->accounts);

  if (account && bell_account_get_enabled (account))
    return account;
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(BellAccount) candidate = g_list_model_get_item (model, i);
      if (bell_account_get_enabled (candidate))
        return candidate;   /* the store keeps it */
    }
  return NULL;
}

static char *
resolve (BellApplication *self, const char *text, BellAccount **account_inout, GError **error)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (text ? text : ""));
  BellAccount *account = *account_inout;

  if (!self->core)
    {
      g_set_error (error, BELL_DIAL_ERROR, BELL_DIAL_ERROR_INVALID, _("Bellbird cannot call: %s"),
                   self->core_error ? self->core_error->message : _("no network"));
      return NULL;
    }
  if (g_ascii_strcasecmp (trimmed, "echo") == 0)
    account = NULL;   /* our own echo test answers without any server */
  else if (!account)
    account = calling_account (self);
  *account_inout = account;
  return bell_dial_resolve (trimmed, account ? bell_account_get_address (account) : NULL,
                            bell_core_get_port (self->core, BELL_SIP_TRANSPORT_UDP), error);
}

gboolean
bell_application_dial (BellApplication *self, const char *text, gpointer account_ptr,
                       GError **error)
{
  BellAccount *account = account_ptr;
  g_autofree char *uri = NULL;
  DialJob *job;

  g_return_val_if_fail (BELL_IS_APPLICATION (self), FALSE);
  g_return_val_if_fail (account == NULL || BELL_IS_ACCOUNT (account), FALSE);
  uri = resolve (self, text, &account, error);
  if (!uri)
    return FALSE;
  if (!account)
    {
      bell_call_manager_dial (self->calls, uri, NULL, NULL, NULL);
      return TRUE;
    }
  job = g_new0 (DialJob, 1);
  job->self = g_object_ref (self);
  job->uri = g_steal_pointer (&uri);
  job->account_id = g_strdup (bell_account_get_id (account));
  job->from = g_strdup (bell_account_get_address (account));
  bell_account_store_lookup_password_async (account, self->cancellable, on_password, job);
  return TRUE;
}

gboolean
bell_application_transfer (BellApplication *self, guint id, const char *text, GError **error)
{
  BellCall *call = bell_call_manager_find (self->calls, id);
  BellAccount *account = call && bell_call_get_account_id (call)
                         ? bell_account_store_lookup (self->accounts, bell_call_get_account_id (call))
                         : NULL;
  g_autofree char *uri = resolve (self, text, &account, error);

  if (!uri)
    return FALSE;
  bell_call_manager_transfer (self->calls, id, uri);
  return TRUE;
}

/* A link from the command line, another launch or the desktop ("open"). */
static void
dial_link (BellApplication *self, const char *text)
{
  g_autoptr(GError) error = NULL;
  GtkWindow *window = bell_application_get_window (self);

  gtk_window_present (window);
  if (!bell_application_dial (self, text, NULL, &error))
    {
      bell_window_show_page (BELL_WINDOW (window), "dialpad");
      bell_dialpad_set_text (bell_window_get_dialpad (BELL_WINDOW (window)), text);
      bell_dialpad_show_message (bell_window_get_dialpad (BELL_WINDOW (window)), error->message);
    }
}

/* Actions */

static void
answer_call_activated (GSimpleAction *action, GVariant *parameter, gpointer data)
{
  BellApplication *self = data;

  gtk_window_present (bell_application_get_window (self));
  bell_call_manager_answer (self->calls, g_variant_get_uint32 (parameter));
}

static void
decline_call_activated (GSimpleAction *action, GVariant *parameter, gpointer data)
{
  BellApplication *self = data;

  bell_call_manager_reject (self->calls, g_variant_get_uint32 (parameter), 603);
}

static void
call_uri_activated (GSimpleAction *action, GVariant *parameter, gpointer data)
{
  dial_link (data, g_variant_get_string (parameter, NULL));
}

static void
show_window_activated (GSimpleAction *action, GVariant *parameter, gpointer data)
{
  gtk_window_present (bell_application_get_window (data));
}

static void
show_history_activated (GSimpleAction *action, GVariant *parameter, gpointer data)
{
  GtkWindow *window = bell_application_get_window (data);

  bell_window_show_page (BELL_WINDOW (window), "history");
  gtk_window_present (window);
}

static void
quit_activated (GSimpleAction *action, GVariant *parameter, gpointer data)
{
  g_application_quit (G_APPLICATION (data));
}

static void
about_activated (GSimpleAction *action, GVariant *parameter, gpointer data)
{
  static const char *developers[] = { "The Bellbird developers", NULL };
  GtkWidget *about = adw_about_window_new ();

  g_object_set (about,
                "transient-for", bell_application_get_window (data),
                "application-name", _("Bellbird"),
                "application-icon", APP_ID,
                "version", BELL_VERSION,
                "developer-name", _("The Bellbird developers"),
                "developers", developers,
                "license-type", GTK_LICENSE_GPL_3_0,
                "comments", _("Phone calls over the internet (SIP), for GNOME"),
                "translator-credits", _("translator-credits"),
                NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
accounts_activated (GSimpleAction *action, GVariant *parameter, gpointer data)
{
  BellApplication *self = data;

  bell_window_show_accounts (BELL_WINDOW (bell_application_get_window (self)));
}

static const GActionEntry app_actions[] = {
  { "answer-call", answer_call_activated, "u", NULL, NULL, { 0 } },
  { "decline-call", decline_call_activated, "u", NULL, NULL, { 0 } },
  { "call-uri", call_uri_activated, "s", NULL, NULL, { 0 } },
  { "show-window", show_window_activated, NULL, NULL, NULL, { 0 } },
  { "show-history", show_history_activated, NULL, NULL, NULL, { 0 } },
  { "accounts", accounts_activated, NULL, NULL, NULL, { 0 } },
  { "about", about_activated, NULL, NULL, NULL, { 0 } },
  { "quit", quit_activated, NULL, NULL, NULL, { 0 } },
};

/* GApplication */

static void
bell_application_startup (GApplication *app)
{
  BellApplication *self = BELL_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *help_accels[] = { "<Control>question", "<Control>F1", NULL };
  static const char *search_accels[] = { "<Control>f", NULL };
  g_autoptr(GAction) dnd = NULL;
  g_autoptr(GAction) background = NULL;
  g_autoptr(GAction) direct_calls = NULL;
  g_autofree char *ringtone_setting = NULL;
  const char *ringtone;
  const char *audio_out = g_getenv ("BELLBIRD_AUDIO_OUT");
  const char *db = g_getenv ("BELLBIRD_DB");
  g_autofree char *db_path = NULL;

  G_APPLICATION_CLASS (bell_application_parent_class)->startup (app);

  self->settings = g_settings_new (APP_ID);
  bell_direct_calls_migrate (self->settings);
  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  dnd = g_settings_create_action (self->settings, "do-not-disturb");
  background = g_settings_create_action (self->settings, "run-in-background");
  g_action_map_add_action (G_ACTION_MAP (self), dnd);
  g_action_map_add_action (G_ACTION_MAP (self), background);
  /* A string action: the menu's radio items name its choices. */
  direct_calls = g_settings_create_action (self->settings, "direct-calls");
  g_action_map_add_action (G_ACTION_MAP (self), direct_calls);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-help-overlay", help_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.search-contacts", search_accels);

  self->ringer = bell_ringer_new ();
  ringtone = g_getenv ("BELLBIRD_RINGTONE_OUTPUT");
  if (!ringtone && g_strcmp0 (audio_out, "none") == 0)
    ringtone = "none";   /* a test's silent run rings silently too */
  if (!ringtone)
    ringtone = ringtone_setting = g_settings_get_string (self->settings, "ringtone-output");
  bell_ringer_set_device (self->ringer, ringtone);

  self->core = start_core (self, &self->core_error);
  if (!self->core)
    g_printerr ("bellbird: %s\n", self->core_error->message);
  else
    {
      self->calls = bell_call_manager_new (self->core);
      bell_call_manager_set_name_func (self->calls, name_for_peer, self, NULL);
      g_signal_connect (self->calls, "call-added", G_CALLBACK (on_call_added), self);
      g_signal_connect (self->calls, "call-ended", G_CALLBACK (on_call_ended), self);
    }

  self->accounts = bell_account_store_new (self->settings);
  bell_certificate_notice_watch (self->accounts, GTK_APPLICATION (self));
  if (self->core)
    bell_account_store_attach_core (self->accounts, self->core);

  db_path = db ? g_strdup (db) : bell_store_default_path ();
  bell_store_open_async (db_path, self->cancellable, on_store_opened, g_object_ref (self));

  g_signal_connect (self->settings, "changed::run-in-background",
                    G_CALLBACK (on_background_changed), self);
  g_signal_connect (self->settings, "changed::direct-calls",
                    G_CALLBACK (on_direct_calls_changed), self);
  apply_background (self);
}

static void
bell_application_activate (GApplication *app)
{
  BellApplication *self = BELL_APPLICATION (app);
  GtkWindow *window = bell_application_get_window (self);

  gtk_window_present (window);
  ask_direct_calls (self, window);
}

static int
bell_application_command_line (GApplication *app, GApplicationCommandLine *command_line)
{
  BellApplication *self = BELL_APPLICATION (app);
  int argc;
  g_auto(GStrv) argv = g_application_command_line_get_arguments (command_line, &argc);

  g_application_activate (app);
  for (int i = 1; i < argc; i++)
    dial_link (self, argv[i]);
  return 0;
}

static void
bell_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  BellApplication *self = BELL_APPLICATION (app);

  g_application_activate (app);
  for (int i = 0; i < n_files; i++)
    {
      g_autofree char *uri = g_file_get_uri (files[i]);
      dial_link (self, uri);
    }
}

static void
on_unregister_event (BellCore *core, BellEvent *event, gpointer data)
{
  /* The end of bell_core_unregister_all: the event without an aor (one with an aor is a
   * single account's, disabled a moment before quitting). */
  if (g_str_equal (bell_event_get_name (event), "unregistered") &&
      !bell_event_get_string (event, "aor"))
    *(gboolean *) data = TRUE;
}

static gboolean
on_unregister_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Stops what runs: the ringtone, calls, registrations (politely, briefly), the core thread. */
static void
stop_everything (BellApplication *self)
{
  g_cancellable_cancel (self->cancellable);
  if (self->ringer)
    bell_ringer_stop (self->ringer);
  if (self->accounts)
    bell_account_store_detach_core (self->accounts);
  if (self->core && !self->unregistered)
    {
      gboolean done = FALSE, timed_out = FALSE;
      gulong handler = g_signal_connect (self->core, "event", G_CALLBACK (on_unregister_event), &done);
      guint timeout = g_timeout_add (UNREGISTER_WAIT_MS, on_unregister_timeout, &timed_out);

      self->unregistered = TRUE;
      bell_core_hangup (self->core, 0);
      bell_core_unregister_all (self->core);
      while (!done && !timed_out)
        g_main_context_iteration (NULL, TRUE);
      if (!timed_out)
        g_source_remove (timeout);
      g_signal_handler_disconnect (self->core, handler);
      bell_core_shutdown (self->core);
    }
}

static void
bell_application_shutdown (GApplication *app)
{
  stop_everything (BELL_APPLICATION (app));
  G_APPLICATION_CLASS (bell_application_parent_class)->shutdown (app);
}

static void
bell_application_dispose (GObject *object)
{
  BellApplication *self = BELL_APPLICATION (object);

  stop_everything (self);
  if (self->settings)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->calls);
  g_clear_object (&self->accounts);
  g_clear_object (&self->store);
  g_clear_object (&self->ringer);
  g_clear_object (&self->core);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (bell_application_parent_class)->dispose (object);
}

static void
bell_application_finalize (GObject *object)
{
  BellApplication *self = BELL_APPLICATION (object);

  g_clear_error (&self->core_error);
  g_clear_object (&self->cancellable);
  g_ptr_array_unref (self->unsaved_history);
  G_OBJECT_CLASS (bell_application_parent_class)->finalize (object);
}

static void
bell_application_class_init (BellApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  /* Registered here, not by a constructor: the resources live in a static library. */
  bell_register_resource ();
  object_class->dispose = bell_application_dispose;
  object_class->finalize = bell_application_finalize;
  app_class->startup = bell_application_startup;
  app_class->activate = bell_application_activate;
  app_class->command_line = bell_application_command_line;
  app_class->open = bell_application_open;
  app_class->shutdown = bell_application_shutdown;
  signals[SIGNAL_STORE_READY] = g_signal_new ("store-ready", G_TYPE_FROM_CLASS (klass),
                                              G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 1, BELL_TYPE_STORE);
}

static void
bell_application_init (BellApplication *self)
{
  self->cancellable = g_cancellable_new ();
  self->unsaved_history = g_ptr_array_new_with_free_func (g_object_unref);
}

BellApplication *
bell_application_new (void)
{
  return g_object_new (BELL_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN | G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/io/github/bellbird/Bellbird",
                       NULL);
}

GSettings        *bell_application_get_settings (BellApplication *self) { return self->settings; }
BellCore         *bell_application_get_core     (BellApplication *self) { return self->core; }
const GError     *bell_application_get_core_error (BellApplication *self) { return self->core_error; }
BellCallManager  *bell_application_get_calls    (BellApplication *self) { return self->calls; }
BellAccountStore *bell_application_get_accounts (BellApplication *self) { return self->accounts; }
BellStore        *bell_application_get_store    (BellApplication *self) { return self->store; }
BellRinger       *bell_application_get_ringer   (BellApplication *self) { return self->ringer; }

GtkWindow *
bell_application_get_window (BellApplication *self)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  for (GList *l = windows; l; l = l->next)
    if (BELL_IS_WINDOW (l->data))
      return l->data;
  return GTK_WINDOW (bell_window_new (self));
}
