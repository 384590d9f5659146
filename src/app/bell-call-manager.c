/* bell-call-manager.c: the core's call events as BellCall models, and the user's commands. */
#define G_LOG_DOMAIN "bell-call-manager"

#include "config.h"
#include "bell-call-manager.h"

#include <glib/gi18n.h>

/* A call asked for whose id the core has not told yet: the core takes commands and reports
 * events in order, so the next outgoing call it reports with a new id is the oldest of these. */
typedef struct
{
  char *account_id;
} Pending;

struct _BellCallManager
{
  GObject           parent_instance;

  BellCore         *core;
  gulong            event_handler;
  GListStore       *calls;
  GQueue            pending;        /* Pending, oldest first */
  guint64           refused;        /* calls the core's policy refused (its "protection") */
  GHashTable       *referred;       /* ids of calls the core makes for a peer's REFER */
  guint             tick_source;    /* 1 s while a call is connected */
  guint             next_local_id;  /* ids for calls that failed before the core named them */
  BellCallNameFunc  name_func;
  gpointer          name_data;
  GDestroyNotify    name_destroy;
};

G_DEFINE_FINAL_TYPE (BellCallManager, bell_call_manager, G_TYPE_OBJECT)

enum { PROP_0, PROP_REFUSED_CALLS, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { SIGNAL_CALL_ADDED, SIGNAL_CALL_ENDED, SIGNAL_NOTICE, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
pending_free (Pending *pending)
{
  g_free (pending->account_id);
  g_free (pending);
}

static void
bell_call_manager_dispose (GObject *object)
{
  BellCallManager *self = BELL_CALL_MANAGER (object);

  if (self->core && self->event_handler)
    g_clear_signal_handler (&self->event_handler, self->core);
  g_clear_handle_id (&self->tick_source, g_source_remove);
  if (self->calls)
    g_list_store_remove_all (self->calls);
  if (self->name_destroy && self->name_data)
    self->name_destroy (self->name_data);
  self->name_data = NULL;
  self->name_func = NULL;
  G_OBJECT_CLASS (bell_call_manager_parent_class)->dispose (object);
}

static void
bell_call_manager_finalize (GObject *object)
{
  BellCallManager *self = BELL_CALL_MANAGER (object);

  g_queue_clear_full (&self->pending, (GDestroyNotify) pending_free);
  g_clear_pointer (&self->referred, g_hash_table_unref);
  g_clear_object (&self->calls);
  g_clear_object (&self->core);
  G_OBJECT_CLASS (bell_call_manager_parent_class)->finalize (object);
}

static void
bell_call_manager_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  BellCallManager *self = BELL_CALL_MANAGER (object);

  switch (prop_id)
    {
    case PROP_REFUSED_CALLS:
      g_value_set_uint64 (value, self->refused);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bell_call_manager_class_init (BellCallManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bell_call_manager_dispose;
  object_class->finalize = bell_call_manager_finalize;
  object_class->get_property = bell_call_manager_get_property;
  properties[PROP_REFUSED_CALLS] =
    g_param_spec_uint64 ("refused-calls", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  signals[SIGNAL_CALL_ADDED] = g_signal_new ("call-added", G_TYPE_FROM_CLASS (klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                             G_TYPE_NONE, 1, BELL_TYPE_CALL);
  signals[SIGNAL_CALL_ENDED] = g_signal_new ("call-ended", G_TYPE_FROM_CLASS (klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                             G_TYPE_NONE, 1, BELL_TYPE_CALL);
  signals[SIGNAL_NOTICE] = g_signal_new ("notice", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 2, BELL_TYPE_CALL, G_TYPE_STRING);
}

static void
bell_call_manager_init (BellCallManager *self)
{
  self->calls = g_list_store_new (BELL_TYPE_CALL);
  self->referred = g_hash_table_new (NULL, NULL);
  g_queue_init (&self->pending);
  /* Far above the core's ids, which count up from 1. */
  self->next_local_id = G_MAXUINT32;
}

BellCore *
bell_call_manager_get_core (BellCallManager *self)
{
  return self->core;
}

GListModel *
bell_call_manager_get_calls (BellCallManager *self)
{
  return G_LIST_MODEL (self->calls);
}

guint64
bell_call_manager_get_refused_calls (BellCallManager *self)
{
  g_return_val_if_fail (BELL_IS_CALL_MANAGER (self), 0);
  return self->refused;
}

/* The core counts what its limits and policy refused since it started; of those, the calls
 * the incoming-call policy kept from ringing are the user's business. */
static void
on_protection_event (BellCallManager *self, BellEvent *event)
{
  guint64 refused = (guint64) MAX (bell_event_get_int (event, "policy_refused", 0), 0);

  if (refused == self->refused)
    return;
  self->refused = refused;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REFUSED_CALLS]);
}

void
bell_call_manager_set_name_func (BellCallManager *self, BellCallNameFunc func, gpointer user_data,
                                 GDestroyNotify destroy)
{
  if (self->name_destroy && self->name_data)
    self->name_destroy (self->name_data);
  self->name_func = func;
  self->name_data = user_data;
  self->name_destroy = destroy;
}

BellCall *
bell_call_manager_find (BellCallManager *self, guint id)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->calls));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(BellCall) call = g_list_model_get_item (G_LIST_MODEL (self->calls), i);
      if (bell_call_get_id (call) == id)
        return call;   /* the store keeps its reference */
    }
  return NULL;
}

guint
bell_call_manager_count_live (BellCallManager *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->calls));
  guint live = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(BellCall) call = g_list_model_get_item (G_LIST_MODEL (self->calls), i);
      live += bell_call_get_state (call) != BELL_CALL_STATE_ENDED;
    }
  return live;
}

BellCall *
bell_call_manager_get_current (BellCallManager *self)
{
  GListModel *model = G_LIST_MODEL (self->calls);
  guint n = g_list_model_get_n_items (model);
  BellCall *ringing = NULL, *talking = NULL, *live = NULL, *last = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(BellCall) call = g_list_model_get_item (model, i);
      BellCallState state = bell_call_get_state (call);

      last = call;
      if (state == BELL_CALL_STATE_ENDED)
        continue;
      live = call;
      if (state == BELL_CALL_STATE_INCOMING && !ringing)
        ringing = call;
      if (state == BELL_CALL_STATE_CONNECTED && !bell_call_get_held (call))
        talking = call;
    }
  return ringing ? ringing : talking ? talking : live ? live : last;
}

/* The timer text of connected calls moves once a second; the source lives only while one is. */
static gboolean
on_tick (gpointer data)
{
  BellCallManager *self = data;
  GListModel *model = G_LIST_MODEL (self->calls);
  gboolean any = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(BellCall) call = g_list_model_get_item (model, i);
      if (bell_call_get_state (call) == BELL_CALL_STATE_CONNECTED)
        {
          any = TRUE;
          bell_call_tick (call);
        }
    }
  if (!any)
    self->tick_source = 0;
  return any ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

typedef struct
{
  GWeakRef  manager;
  BellCall *call;
} Linger;

static void
linger_free (Linger *linger)
{
  g_weak_ref_clear (&linger->manager);
  g_object_unref (linger->call);
  g_free (linger);
}

static gboolean
on_linger_done (gpointer data)
{
  Linger *linger = data;
  g_autoptr(BellCallManager) self = g_weak_ref_get (&linger->manager);
  guint position;

  if (self && g_list_store_find (self->calls, linger->call, &position))
    g_list_store_remove (self->calls, position);
  return G_SOURCE_REMOVE;
}

static void
call_ended (BellCallManager *self, BellCall *call)
{
  Linger *linger = g_new0 (Linger, 1);

  g_weak_ref_init (&linger->manager, self);
  linger->call = g_object_ref (call);
  g_signal_emit (self, signals[SIGNAL_CALL_ENDED], 0, call);
  g_timeout_add_full (G_PRIORITY_DEFAULT, BELL_CALL_MANAGER_LINGER_MS, on_linger_done, linger,
                      (GDestroyNotify) linger_free);
}

static BellCall *
add_call (BellCallManager *self, guint id, gboolean outgoing, const char *peer,
          const char *account_id, const char *account_aor)
{
  g_autoptr(BellCall) call = bell_call_new (id, outgoing, peer);
  g_autofree char *name = self->name_func && peer ? self->name_func (peer, self->name_data) : NULL;

  if (name)
    bell_call_set_name (call, name);
  bell_call_set_account_id (call, account_id);
  bell_call_set_account_aor (call, account_aor);
  g_list_store_append (self->calls, call);
  g_signal_emit (self, signals[SIGNAL_CALL_ADDED], 0, call);
  return call;
}

static void
on_call_event (BellCallManager *self, BellEvent *event)
{
  gint64 id = bell_event_get_int (event, "id", -1);
  const char *direction = bell_event_get_string (event, "direction");
  const char *peer = bell_event_get_string (event, "peer");
  const char *reason = bell_event_get_string (event, "reason");
  const char *account = bell_event_get_string (event, "account");
  guint code = (guint) MAX (bell_event_get_int (event, "code", 0), 0);
  gboolean outgoing = g_strcmp0 (direction, "outgoing") == 0;
  BellCallState state;
  BellCall *call;

  if (!bell_call_state_from_string (bell_event_get_string (event, "state"), &state))
    return;
  /* A call the core answers itself (the echo test: the answering side of our own call to
   * it, or another phone's) is no call for the user: never shown, rung for or recorded. */
  if (bell_event_get_string (event, "service"))
    return;
  call = id >= 0 ? bell_call_manager_find (self, (guint) id) : NULL;
  if (!call)
    {
      g_autofree char *account_id = NULL;

      if (outgoing && !(id >= 0 && g_hash_table_remove (self->referred, GUINT_TO_POINTER (id))))
        {
          Pending *pending = g_queue_pop_head (&self->pending);
          if (pending)
            {
              account_id = g_steal_pointer (&pending->account_id);
              pending_free (pending);
            }
        }
      /* A call the core could not even start has no id: it still shows, with why. */
      call = add_call (self, id >= 0 ? (guint) id : self->next_local_id--, outgoing, peer,
                       account_id, outgoing ? NULL : account);
    }
  if (bell_call_get_state (call) == BELL_CALL_STATE_ENDED)
    return;
  if (bell_event_get_bool (event, "unreachable"))
    bell_call_set_unreachable (call, TRUE);
  if (bell_event_get_bool (event, "lost"))
    bell_call_set_lost (call, TRUE);
  bell_call_update_state (call, state, code, reason);
  if (state == BELL_CALL_STATE_CONNECTED && !self->tick_source)
    self->tick_source = g_timeout_add_seconds (1, on_tick, self);
  if (state == BELL_CALL_STATE_ENDED)
    call_ended (self, call);
}

static double
event_double (BellEvent *event, const char *key, double fallback)
{
  g_autoptr(GVariant) value = bell_event_lookup (event, key);

  return value && g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE)
         ? g_variant_get_double (value) : fallback;
}

/* A count from an event, never below 0 (the core's counts are 64-bit, some may be absent). */
static guint64
event_count (BellEvent *event, const char *key)
{
  return (guint64) MAX (bell_event_get_int (event, key, 0), 0);
}

/* The core's "quality" event (bell-core.h) into the call's figures; a field the core left
 * out (not known yet) gets the value that says so. */
static void
on_quality_event (BellCall *call, BellEvent *event)
{
  BellCallQuality quality = {
    .loss = event_double (event, "loss", 0),
    .jitter_ms = event_double (event, "jitter_ms", 0),
    .rtt_ms = event_double (event, "rtt_ms", -1),
    .remote_loss = event_double (event, "remote_loss", -1),
    .mos = event_double (event, "mos", 0),
    .codec = bell_event_get_string (event, "codec"),
    .bitrate = (guint) CLAMP (bell_event_get_int (event, "bitrate", 0), 0, G_MAXINT32),
    .fec = bell_event_get_bool (event, "fec"),
    .red = (guint) CLAMP (bell_event_get_int (event, "red", 0), 0, G_MAXINT32),
    .jitter_buffer_ms = (guint) CLAMP (bell_event_get_int (event, "jitter_buffer_ms", 0), 0,
                                       G_MAXINT32),
    .sent = event_count (event, "sent"),
    .received = event_count (event, "received"),
    .lost = bell_event_get_int (event, "lost", 0),
    .late = event_count (event, "late"),
    .frames = event_count (event, "frames"),
    .frames_fec = event_count (event, "frames_fec"),
    .frames_red = event_count (event, "frames_red"),
    .frames_concealed = event_count (event, "frames_concealed"),
    .rejected = event_count (event, "rejected"),
  };

  bell_call_update_quality (call, &quality);
}

static void
on_core_event (BellCore *core, BellEvent *event, gpointer data)
{
  BellCallManager *self = data;
  const char *name = bell_event_get_name (event);
  gint64 id = bell_event_get_int (event, "id", -1);
  BellCall *call = id >= 0 ? bell_call_manager_find (self, (guint) id) : NULL;

  if (g_str_equal (name, "call"))
    on_call_event (self, event);
  else if (g_str_equal (name, "protection"))
    on_protection_event (self, event);
  else if (g_str_equal (name, "referred"))
    {
      gint64 child = bell_event_get_int (event, "call", -1);
      if (child >= 0)
        g_hash_table_add (self->referred, GUINT_TO_POINTER ((guint) child));
      if (call)
        g_signal_emit (self, signals[SIGNAL_NOTICE], 0, call,
                       _("The other side transferred the call"));
    }
  else if (!call)
    return;
  else if (g_str_equal (name, "hold"))
    bell_call_update_hold (call, bell_event_get_bool (event, "local"),
                           bell_event_get_bool (event, "remote"));
  else if (g_str_equal (name, "media"))
    {
      const char *error = bell_event_get_string (event, "error");
      bell_call_update_media (call, bell_event_get_string (event, "codec"),
                              bell_event_get_bool (event, "encrypted"), error);
      if (error)
        {
          g_autofree char *text = g_strdup_printf (_("The call has no sound: %s"), error);
          g_signal_emit (self, signals[SIGNAL_NOTICE], 0, call, text);
        }
    }
  else if (g_str_equal (name, "quality"))
    on_quality_event (call, event);
  else if (g_str_equal (name, "dtmf"))
    {
      const char *error = bell_event_get_string (event, "error");
      if (error)
        {
          g_autofree char *text = g_strdup_printf (_("The digits could not be sent: %s"), error);
          g_signal_emit (self, signals[SIGNAL_NOTICE], 0, call, text);
        }
    }
  else if (g_str_equal (name, "transfer"))
    {
      gint64 code = bell_event_get_int (event, "code", 0);
      const char *reason = bell_event_get_string (event, "reason");
      g_autofree char *text = NULL;

      if (code == 202)
        text = g_strdup (_("Transferring…"));
      else if (code < 100 || code >= 300)
        text = g_strdup_printf (_("The transfer failed: %s"),
                                reason && *reason ? reason : _("no answer"));
      if (text)
        g_signal_emit (self, signals[SIGNAL_NOTICE], 0, call, text);
    }
}

BellCallManager *
bell_call_manager_new (BellCore *core)
{
  BellCallManager *self;

  g_return_val_if_fail (BELL_IS_CORE (core), NULL);
  self = g_object_new (BELL_TYPE_CALL_MANAGER, NULL);
  self->core = g_object_ref (core);
  self->event_handler = g_signal_connect (core, "event", G_CALLBACK (on_core_event), self);
  return self;
}

void
bell_call_manager_dial (BellCallManager *self, const char *uri, const char *account_id,
                        const char *from, const char *password)
{
  Pending *pending = g_new0 (Pending, 1);

  g_return_if_fail (uri != NULL);
  pending->account_id = g_strdup (account_id);
  g_queue_push_tail (&self->pending, pending);
  bell_core_call_auth (self->core, uri, BELL_SIP_TRANSPORT_ANY, from, NULL, password);
}

void
bell_call_manager_answer (BellCallManager *self, guint id)
{
  bell_core_answer (self->core, id);
}

void
bell_call_manager_reject (BellCallManager *self, guint id, guint status)
{
  BellCall *call = bell_call_manager_find (self, id);

  if (call)
    bell_call_set_ended_locally (call, TRUE);
  bell_core_reject (self->core, id, status);
}

void
bell_call_manager_hangup (BellCallManager *self, guint id)
{
  BellCall *call = bell_call_manager_find (self, id);

  if (call)
    bell_call_set_ended_locally (call, TRUE);
  bell_core_hangup (self->core, id);
}

void
bell_call_manager_hold (BellCallManager *self, guint id, gboolean hold)
{
  bell_core_hold (self->core, id, hold);
}

void
bell_call_manager_set_mute (BellCallManager *self, guint id, gboolean mute)
{
  BellCall *call = bell_call_manager_find (self, id);

  bell_core_set_mute (self->core, id, mute);
  if (call)
    bell_call_set_muted (call, mute);
}

void
bell_call_manager_set_volume (BellCallManager *self, guint id, double volume)
{
  BellCall *call = bell_call_manager_find (self, id);

  bell_core_set_volume (self->core, id, volume);
  if (call)
    bell_call_set_volume (call, volume);
}

void
bell_call_manager_send_dtmf (BellCallManager *self, guint id, const char *digits)
{
  BellCall *call = bell_call_manager_find (self, id);

  bell_core_send_dtmf (self->core, id, digits);
  if (call)
    bell_call_add_dtmf_sent (call, digits);
}

void
bell_call_manager_transfer (BellCallManager *self, guint id, const char *uri)
{
  bell_core_transfer (self->core, id, uri, 0);
}
