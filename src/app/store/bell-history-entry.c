/* bell-history-entry.c: one call in the history. */
#define G_LOG_DOMAIN "bellbird-store"

#include "bell-history-entry.h"
#include "bell-store-private.h"

struct _BellHistoryEntry
{
  GObject parent_instance;

  gint64 id;
  BellCallDirection direction;
  char *peer_uri;
  char *peer_name;
  char *account;
  gint64 started;
  guint duration;
  BellCallOutcome outcome;
  char *reason;
  gboolean seen;
};

G_DEFINE_TYPE (BellHistoryEntry, bell_history_entry, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (BellCallDirection, bell_call_direction,
  G_DEFINE_ENUM_VALUE (BELL_CALL_DIRECTION_INCOMING, "incoming"),
  G_DEFINE_ENUM_VALUE (BELL_CALL_DIRECTION_OUTGOING, "outgoing"))

G_DEFINE_ENUM_TYPE (BellCallOutcome, bell_call_outcome,
  G_DEFINE_ENUM_VALUE (BELL_CALL_OUTCOME_ANSWERED, "answered"),
  G_DEFINE_ENUM_VALUE (BELL_CALL_OUTCOME_MISSED, "missed"),
  G_DEFINE_ENUM_VALUE (BELL_CALL_OUTCOME_DECLINED, "declined"),
  G_DEFINE_ENUM_VALUE (BELL_CALL_OUTCOME_FAILED, "failed"),
  G_DEFINE_ENUM_VALUE (BELL_CALL_OUTCOME_CANCELLED, "cancelled"))

enum
{
  PROP_0,
  PROP_ID,
  PROP_DIRECTION,
  PROP_PEER_URI,
  PROP_PEER_NAME,
  PROP_ACCOUNT,
  PROP_STARTED,
  PROP_DURATION,
  PROP_OUTCOME,
  PROP_REASON,
  PROP_SEEN,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

const char *
bell_call_direction_to_string (BellCallDirection direction)
{
  return direction == BELL_CALL_DIRECTION_OUTGOING ? "outgoing" : "incoming";
}

const char *
bell_call_outcome_to_string (BellCallOutcome outcome)
{
  switch (outcome)
    {
    case BELL_CALL_OUTCOME_ANSWERED: return "answered";
    case BELL_CALL_OUTCOME_MISSED: return "missed";
    case BELL_CALL_OUTCOME_DECLINED: return "declined";
    case BELL_CALL_OUTCOME_FAILED: return "failed";
    case BELL_CALL_OUTCOME_CANCELLED: return "cancelled";
    default: return "failed";
    }
}

static void
bell_history_entry_finalize (GObject *object)
{
  BellHistoryEntry *self = BELL_HISTORY_ENTRY (object);

  g_free (self->peer_uri);
  g_free (self->peer_name);
  g_free (self->account);
  g_free (self->reason);
  G_OBJECT_CLASS (bell_history_entry_parent_class)->finalize (object);
}

static void
bell_history_entry_get_property (GObject *object, guint prop_id, GValue *value,
                                 GParamSpec *pspec)
{
  BellHistoryEntry *self = BELL_HISTORY_ENTRY (object);

  switch (prop_id)
    {
    case PROP_ID: g_value_set_int64 (value, self->id); break;
    case PROP_DIRECTION: g_value_set_enum (value, self->direction); break;
    case PROP_PEER_URI: g_value_set_string (value, self->peer_uri); break;
    case PROP_PEER_NAME: g_value_set_string (value, self->peer_name); break;
    case PROP_ACCOUNT: g_value_set_string (value, self->account); break;
    case PROP_STARTED: g_value_set_int64 (value, self->started); break;
    case PROP_DURATION: g_value_set_uint (value, self->duration); break;
    case PROP_OUTCOME: g_value_set_enum (value, self->outcome); break;
    case PROP_REASON: g_value_set_string (value, self->reason); break;
    case PROP_SEEN: g_value_set_boolean (value, self->seen); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bell_history_entry_class_init (BellHistoryEntryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = bell_history_entry_finalize;
  object_class->get_property = bell_history_entry_get_property;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_DIRECTION] =
    g_param_spec_enum ("direction", NULL, NULL, BELL_TYPE_CALL_DIRECTION,
                       BELL_CALL_DIRECTION_INCOMING, ro);
  properties[PROP_PEER_URI] = g_param_spec_string ("peer-uri", NULL, NULL, NULL, ro);
  properties[PROP_PEER_NAME] = g_param_spec_string ("peer-name", NULL, NULL, NULL, ro);
  properties[PROP_ACCOUNT] = g_param_spec_string ("account", NULL, NULL, NULL, ro);
  properties[PROP_STARTED] =
    g_param_spec_int64 ("started", NULL, NULL, G_MININT64, G_MAXINT64, 0, ro);
  properties[PROP_DURATION] = g_param_spec_uint ("duration", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_OUTCOME] =
    g_param_spec_enum ("outcome", NULL, NULL, BELL_TYPE_CALL_OUTCOME,
                       BELL_CALL_OUTCOME_ANSWERED, ro);
  properties[PROP_REASON] = g_param_spec_string ("reason", NULL, NULL, NULL, ro);
  properties[PROP_SEEN] =
    g_param_spec_boolean ("seen", NULL, NULL, FALSE, ro | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bell_history_entry_init (BellHistoryEntry *self)
{
}

static char *
dup_nonempty (const char *s)
{
  return s && *s ? g_strdup (s) : NULL;
}

BellHistoryEntry *
bell_history_entry_new (BellCallDirection direction,
                        const char       *peer_uri,
                        const char       *peer_name,
                        const char       *account,
                        gint64            started,
                        guint             duration,
                        BellCallOutcome   outcome,
                        const char       *reason)
{
  g_return_val_if_fail (peer_uri != NULL, NULL);

  BellHistoryEntry *self = g_object_new (BELL_TYPE_HISTORY_ENTRY, NULL);
  self->direction = direction;
  self->peer_uri = g_strdup (peer_uri);
  self->peer_name = dup_nonempty (peer_name);
  self->account = dup_nonempty (account);
  self->started = started;
  self->duration = duration;
  self->outcome = outcome;
  self->reason = dup_nonempty (reason);
  return self;
}

gint64
bell_history_entry_get_id (BellHistoryEntry *self)
{
  g_return_val_if_fail (BELL_IS_HISTORY_ENTRY (self), 0);
  return self->id;
}

void
_bell_history_entry_set_id (BellHistoryEntry *self, gint64 id)
{
  self->id = id;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ID]);
}

BellCallDirection
bell_history_entry_get_direction (BellHistoryEntry *self)
{
  g_return_val_if_fail (BELL_IS_HISTORY_ENTRY (self), BELL_CALL_DIRECTION_INCOMING);
  return self->direction;
}

const char *
bell_history_entry_get_peer_uri (BellHistoryEntry *self)
{
  g_return_val_if_fail (BELL_IS_HISTORY_ENTRY (self), NULL);
  return self->peer_uri;
}

const char *
bell_history_entry_get_peer_name (BellHistoryEntry *self)
{
  g_return_val_if_fail (BELL_IS_HISTORY_ENTRY (self), NULL);
  return self->peer_name;
}

const char *
bell_history_entry_get_account (BellHistoryEntry *self)
{
  g_return_val_if_fail (BELL_IS_HISTORY_ENTRY (self), NULL);
  return self->account;
}

gint64
bell_history_entry_get_started (BellHistoryEntry *self)
{
  g_return_val_if_fail (BELL_IS_HISTORY_ENTRY (self), 0);
  return self->started;
}

guint
bell_history_entry_get_duration (BellHistoryEntry *self)
{
  g_return_val_if_fail (BELL_IS_HISTORY_ENTRY (self), 0);
  return self->duration;
}

BellCallOutcome
bell_history_entry_get_outcome (BellHistoryEntry *self)
{
  g_return_val_if_fail (BELL_IS_HISTORY_ENTRY (self), BELL_CALL_OUTCOME_FAILED);
  return self->outcome;
}

const char *
bell_history_entry_get_reason (BellHistoryEntry *self)
{
  g_return_val_if_fail (BELL_IS_HISTORY_ENTRY (self), NULL);
  return self->reason;
}

gboolean
bell_history_entry_get_seen (BellHistoryEntry *self)
{
  g_return_val_if_fail (BELL_IS_HISTORY_ENTRY (self), FALSE);
  return self->seen;
}

void
_bell_history_entry_set_seen (BellHistoryEntry *self, gboolean seen)
{
  seen = !!seen;
  if (self->seen == seen)
    return;
  self->seen = seen;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEEN]);
}

gboolean
bell_history_entry_is_missed_unseen (BellHistoryEntry *self)
{
  g_return_val_if_fail (BELL_IS_HISTORY_ENTRY (self), FALSE);
  return self->outcome == BELL_CALL_OUTCOME_MISSED && !self->seen;
}

int
bell_history_entry_compare_newest_first (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const BellHistoryEntry *x = a, *y = b;

  if (x->started != y->started)
    return x->started > y->started ? -1 : 1;
  return (x->id < y->id) - (x->id > y->id);
}
