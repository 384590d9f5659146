/* bell-account-store-sync.c: keeping each enabled account registered with the core, and its
 * "state" and "status-text" following the core's "registration" events.
 *
 * Accounts are handled one by one: an edited account (settings or password) is registered
 * again with its new config, which replaces its registration in the core; a disabled or
 * removed account is un-registered (bell_core_unregister); an account whose address changed
 * is un-registered at the old address and registered at the new one. No other account is
 * touched, so an edit never costs the others a REGISTER or a moment off the registrar.
 */
#define G_LOG_DOMAIN "bell-accounts"

#include "config.h"

#include <glib/gi18n.h>
#include "bell-account-store-private.h"
#include "bell-account-secret.h"

/* One account's registration: what we asked of the core, or are about to ask while its
 * password is looked up in the keyring. */
typedef struct
{
  char  *fingerprint;  /* the settings it was made from; NULL once the password changed */
  char  *core_aor;     /* exactly as last given to the core, whose events carry it back; NULL
                        * while the core holds no registration of this account */
  guint  serial;       /* tells this registration's keyring look-up from older ones */
} Registration;

static void
registration_free (Registration *reg)
{
  g_free (reg->fingerprint);
  g_free (reg->core_aor);
  g_free (reg);
}

/* What the core says, in words */

static char *
status_text_for (BellAccountState state, const char *reason, gint64 code, const char *message)
{
  const char *sentence;

  switch (state)
    {
    case BELL_ACCOUNT_STATE_DISABLED:
      return g_strdup (_("Disabled"));
    case BELL_ACCOUNT_STATE_REGISTERING:
      return g_strdup (_("Registering…"));
    case BELL_ACCOUNT_STATE_REGISTERED:
      return g_strdup (_("Registered"));
    case BELL_ACCOUNT_STATE_UNREGISTERED:
      return g_strdup (_("Not registered"));
    case BELL_ACCOUNT_STATE_FAILED:
    default:
      break;
    }
  if (g_strcmp0 (reason, "auth-failed") == 0)
    sentence = _("Wrong user name or password");
  else if (g_strcmp0 (reason, "no-route") == 0)
    sentence = _("The server’s name cannot be found");
  else if (g_strcmp0 (reason, "unreachable") == 0)
    sentence = _("The server cannot be reached");
  else if (g_strcmp0 (reason, "timeout") == 0)
    sentence = _("The server does not answer");
  else if (g_strcmp0 (reason, "tls") == 0)
    sentence = _("The secure connection (TLS) to the server failed");
  else if (g_strcmp0 (reason, "server-error") == 0)
    sentence = _("The server refused the registration");
  else if (g_strcmp0 (reason, "network-down") == 0)
    sentence = _("No network connection");
  else if (g_strcmp0 (reason, "config") == 0)
    sentence = _("The account’s settings cannot work");
  else
    sentence = _("Registration failed");
  if (message && *message)
    /* Translators: a reason the registration failed, then the details from the SIP stack. */
    return g_strdup_printf (_("%s: %s"), sentence, message);
  if (code > 0)
    return g_strdup_printf (_("%s (%d)"), sentence, (int) code);
  return g_strdup (sentence);
}

static BellAccountState
state_from_core (const char *state)
{
  if (g_strcmp0 (state, "registering") == 0)
    return BELL_ACCOUNT_STATE_REGISTERING;
  if (g_strcmp0 (state, "registered") == 0)
    return BELL_ACCOUNT_STATE_REGISTERED;
  if (g_strcmp0 (state, "failed") == 0)
    return BELL_ACCOUNT_STATE_FAILED;
  return BELL_ACCOUNT_STATE_UNREGISTERED;   /* unregistered, unregistering */
}

static void
show_state (BellAccount *account, BellAccountState state)
{
  g_autofree char *text = status_text_for (state, NULL, 0, NULL);

  /* A disabled or detached account has no server to trust or distrust; registering again
   * keeps the question until the server answers. */
  if (state != BELL_ACCOUNT_STATE_REGISTERING)
    bell_account_set_refused_certificate (account, NULL, NULL, FALSE);
  bell_account_set_state (account, state, text);
}

static void
show_error (BellAccount *account, const GError *error)
{
  bell_account_set_state (account, BELL_ACCOUNT_STATE_FAILED, error->message);
}

/* Keeping the core in step */

/* Every setting the core was given with the registration: what it registers with, and what
 * it keeps for the account's calls (SRTP, STUN, codecs, low-bandwidth mode, who may call it
 * directly), which the core takes only from bell_core_register, so an edit of those goes there
 * too (the core sends no new REGISTER when only the calls' settings changed). */
static char *
fingerprint_of (BellAccount *account)
{
  g_autofree char *codecs = g_strjoinv (",", (char **) bell_account_get_codecs (account));

  return g_strdup_printf ("%s\n%s\n%s\n%s\n%s\n%s\n%u\n%s\n%s\n%s\n%d\n%s\n%s",
                          bell_account_get_address (account),
                          bell_account_get_display_name (account),
                          bell_account_get_auth_user (account),
                          bell_account_get_registrar (account),
                          bell_account_get_outbound_proxy (account),
                          bell_account_get_transport (account),
                          bell_account_get_expires (account),
                          bell_account_get_srtp (account),
                          bell_account_get_stun_server (account),
                          codecs, bell_account_get_low_bandwidth (account),
                          bell_account_get_tls_fingerprint (account),
                          bell_account_get_direct_calls (account));
}

/* Takes the account off the core, if the core has it. */
static void
unregister_from_core (BellAccountStore *store, Registration *reg)
{
  if (!reg->core_aor)
    return;
  bell_core_unregister (store->core, reg->core_aor);
  g_clear_pointer (&reg->core_aor, g_free);
}

typedef struct
{
  BellAccountStore *store;
  BellAccount      *account;
  guint             serial;
} RegisterJob;

static void
register_job_free (RegisterJob *job)
{
  g_object_unref (job->store);
  g_object_unref (job->account);
  g_free (job);
}

/* The registration the job was started for, unless the account changed, went, or the core was
 * let go while the keyring answered. */
static Registration *
job_registration (RegisterJob *job)
{
  Registration *reg;

  if (!job->store->core)
    return NULL;
  reg = g_hash_table_lookup (job->store->registrations, bell_account_get_id (job->account));
  return reg && reg->serial == job->serial ? reg : NULL;
}

static void
on_register_password (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RegisterJob *job = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BellAccountRegConfig) rc = NULL;
  char *password = bell_account_secret_lookup_finish (result, &error);
  Registration *reg = job_registration (job);

  if (!reg)
    goto out;
  if (!error)
    rc = bell_account_make_reg_config (job->account, password, &error);
  if (!rc)
    {
      /* No keyring, no registration (not even the one an older password made): the user
       * sees why, and an edit tries again. */
      unregister_from_core (job->store, reg);
      show_error (job->account, error);
      goto out;
    }
  /* An AOR the core has already is replaced there (old binding off, then the new one), or
   * only its calls' settings updated when nothing the REGISTERs carry changed. */
  bell_core_register (job->store->core, &rc->config);
  g_free (reg->core_aor);
  reg->core_aor = g_strdup (rc->aor);
  show_state (job->account, BELL_ACCOUNT_STATE_REGISTERING);
out:
  if (password)
    secret_password_free (password);
  register_job_free (job);
}

/* (Re-)registers account with its current settings and the keyring's password. */
static void
start_registration (BellAccountStore *store, BellAccount *account, char *fingerprint)
{
  const char *id = bell_account_get_id (account);
  Registration *old = g_hash_table_lookup (store->registrations, id);
  Registration *reg = g_new0 (Registration, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(BellAccountRegConfig) rc = bell_account_make_reg_config (account, NULL, &error);
  RegisterJob *job;

  reg->fingerprint = fingerprint;
  reg->serial = ++store->next_serial;
  if (old)
    {
      /* Another address is another registration: the old one goes now. The same address
       * stays registered until bell_core_register replaces it (the core takes the old binding
       * off first), so a slow keyring does not leave the account off the registrar. */
      if (!rc || !_bell_account_same_aor (old->core_aor, rc->aor))
        unregister_from_core (store, old);
      reg->core_aor = g_steal_pointer (&old->core_aor);
    }
  g_hash_table_replace (store->registrations, g_strdup (id), reg);
  if (!rc)
    {
      /* Kept with its fingerprint: other accounts' edits do not bring the error back. */
      show_error (account, error);
      return;
    }

  job = g_new0 (RegisterJob, 1);
  job->store = g_object_ref (store);
  job->account = g_object_ref (account);
  job->serial = reg->serial;
  show_state (account, BELL_ACCOUNT_STATE_REGISTERING);
  bell_account_secret_lookup_async (id, store->cancellable, on_register_password, job);
}

/* Compares every account with what the core was asked and acts on the differences only. */
static void
sync_now (BellAccountStore *store)
{
  GHashTableIter iter;
  gpointer key, value;

  if (store->core)
    {
      g_hash_table_iter_init (&iter, store->registrations);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          BellAccount *account = bell_account_store_lookup (store, key);

          if (!account || !bell_account_get_enabled (account))
            {
              unregister_from_core (store, value);
              g_hash_table_iter_remove (&iter);
            }
        }
    }

  for (guint i = 0; i < store->accounts->len; i++)
    {
      BellAccount *account = store->accounts->pdata[i];
      Registration *reg;
      char *fingerprint;

      if (!bell_account_get_enabled (account))
        {
          show_state (account, BELL_ACCOUNT_STATE_DISABLED);
          continue;
        }
      if (!store->core)
        {
          show_state (account, BELL_ACCOUNT_STATE_UNREGISTERED);
          continue;
        }
      fingerprint = fingerprint_of (account);
      reg = g_hash_table_lookup (store->registrations, bell_account_get_id (account));
      if (reg && g_strcmp0 (reg->fingerprint, fingerprint) == 0)
        g_free (fingerprint);
      else
        start_registration (store, account, fingerprint);
    }
}

static gboolean
on_sync_idle (gpointer user_data)
{
  BellAccountStore *store = user_data;

  store->sync_idle = 0;
  sync_now (store);
  return G_SOURCE_REMOVE;
}

/* Settings arrive key by key: act once they have all landed. */
void
_bell_account_store_schedule_sync (BellAccountStore *store)
{
  if (!store->sync_idle)
    store->sync_idle = g_idle_add (on_sync_idle, store);
}

static void
on_account_changed (BellAccount *account, GParamSpec *pspec, gpointer user_data)
{
  /* Our own state updates are not edits. */
  if (pspec && (g_str_equal (pspec->name, "state") || g_str_equal (pspec->name, "status-text") ||
                g_str_equal (pspec->name, "refused-certificate")))
    return;
  _bell_account_store_schedule_sync (user_data);
}

static void
on_account_password_changed (BellAccount *account, gpointer user_data)
{
  BellAccountStore *store = user_data;
  Registration *reg = store->registrations
                      ? g_hash_table_lookup (store->registrations, bell_account_get_id (account))
                      : NULL;

  /* The settings are the same, the registration is not: make it look out of date. */
  if (reg)
    g_clear_pointer (&reg->fingerprint, g_free);
  _bell_account_store_schedule_sync (store);
}

void
_bell_account_store_watch_account (BellAccountStore *store, BellAccount *account)
{
  g_signal_connect (account, "notify", G_CALLBACK (on_account_changed), store);
  g_signal_connect (account, "password-changed", G_CALLBACK (on_account_password_changed),
                    store);
}

/* The core's events */

static BellAccount *
account_for_core_aor (BellAccountStore *store, const char *aor)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, store->registrations);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (g_strcmp0 (((Registration *) value)->core_aor, aor) == 0)
      return bell_account_store_lookup (store, key);
  return NULL;
}

static void
on_registration_event (BellAccountStore *store, BellEvent *event)
{
  BellAccount *account = account_for_core_aor (store, bell_event_get_string (event, "aor"));
  BellAccountState state = state_from_core (bell_event_get_string (event, "state"));
  g_autofree char *text = NULL;
  const char *reason, *refused;

  /* Events of registrations we dropped (or another user's) are not ours to show. */
  if (!account)
    return;
  /* A registration the core keeps for us is never un-registering: these are the binding it
   * takes off the registrar to replace it with the edited account's. */
  if (state == BELL_ACCOUNT_STATE_UNREGISTERED)
    return;
  reason = bell_event_get_string (event, "reason");
  refused = bell_event_get_string (event, "tls_fingerprint");
  if (state == BELL_ACCOUNT_STATE_FAILED && refused &&
      (g_strcmp0 (reason, "tls-untrusted") == 0 || g_strcmp0 (reason, "tls-changed") == 0))
    {
      gboolean changed = g_strcmp0 (reason, "tls-changed") == 0;

      /* The user decides (the row offers to trust it); the raw message is for logs. */
      bell_account_set_refused_certificate (account, refused,
                                            bell_event_get_string (event, "tls_subject"),
                                            changed);
      text = changed
             ? g_strdup_printf (_("The server’s certificate has changed: it is now %s. It is "
                                  "not accepted until you trust it."), refused)
             : g_strdup_printf (_("The server’s certificate is not trusted (%s)"), refused);
      bell_account_set_state (account, state, text);
      return;
    }
  if (state != BELL_ACCOUNT_STATE_REGISTERING)
    bell_account_set_refused_certificate (account, NULL, NULL, FALSE);
  text = status_text_for (state, reason, bell_event_get_int (event, "code", 0),
                          bell_event_get_string (event, "message"));
  bell_account_set_state (account, state, text);
}

static void
on_core_event (BellCore *core, BellEvent *event, gpointer user_data)
{
  BellAccountStore *store = user_data;
  const char *name = bell_event_get_name (event);

  if (g_str_equal (name, "registration"))
    on_registration_event (store, event);
  else if (g_str_equal (name, "unregistered") && !bell_event_get_string (event, "aor"))
    {
      GHashTableIter iter;
      gpointer key, value;

      /* Someone else un-registered everything (quitting): our accounts are off the core, and
       * stay off until edited (or attached again). The one-account kind, with an aor, answers
       * our own bell_core_unregister: nothing to do. */
      g_hash_table_iter_init (&iter, store->registrations);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          BellAccount *account = bell_account_store_lookup (store, key);

          g_clear_pointer (&((Registration *) value)->core_aor, g_free);
          if (account)
            show_state (account, BELL_ACCOUNT_STATE_UNREGISTERED);
        }
    }
}

void
bell_account_store_attach_core (BellAccountStore *store, BellCore *core)
{
  g_return_if_fail (BELL_IS_ACCOUNT_STORE (store));
  g_return_if_fail (BELL_IS_CORE (core));
  if (store->core == core)
    return;
  bell_account_store_detach_core (store);
  store->core = g_object_ref (core);
  store->registrations = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                (GDestroyNotify) registration_free);
  store->core_event_handler = g_signal_connect (core, "event", G_CALLBACK (on_core_event), store);
  sync_now (store);
}

void
bell_account_store_detach_core (BellAccountStore *store)
{
  g_return_if_fail (BELL_IS_ACCOUNT_STORE (store));
  if (!store->core)
    return;
  /* The core's registrations stay as they are: whoever let go of the store decides (the app
   * un-registers them all at quit). Keyring look-ups still running find no registration. */
  g_clear_signal_handler (&store->core_event_handler, store->core);
  g_clear_object (&store->core);
  g_clear_pointer (&store->registrations, g_hash_table_unref);
}
