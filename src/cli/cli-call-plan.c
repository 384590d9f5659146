/* cli-call-plan.c: hold, resume and transfer each call bellbird-cli has, on a schedule.
 *
 * For every call that connects (not the ones this plan made or a transfer brought): mute it
 * (--mute), send the --dtmf digits (they go out with the audio, RFC 4733), hold it
 * --hold-after seconds later, resume it --hold-for seconds after the hold took, and transfer
 * it to --transfer-to: at once when it connects, or, with --hold-after, once it is on hold
 * (as a desk phone does). --attended first calls the target, and once that call is up hands
 * the held call over to it (REFER with Replaces). */
#define G_LOG_DOMAIN "bellbird-cli"

#include "cli-call-plan.h"

#include "bell-secret.h"

struct _CliCallPlan
{
  BellCore   *core;
  double      hold_after;
  double      hold_for;
  char       *transfer_to;
  gboolean    attended;
  char       *dtmf;
  gboolean    mute;
  char       *from;
  char       *auth_user;
  char       *password;
  BellSipTransportKind transport;

  GHashTable *planned;      /* call ids this plan acts on (connected once) */
  GHashTable *exempt;       /* consultation calls, and calls a peer's transfer made */
  GHashTable *timers;       /* call id -> source id */
  guint       consulting;   /* the held call an attended transfer is for; 0: none */
  guint       consult_id;   /* the consultation call, once its id is known */
  gboolean    handed_over;  /* the held call was asked to replace the consultation call */
  gboolean    transfers_asked;
  gboolean    failed;
};

typedef struct
{
  CliCallPlan *plan;
  guint        id;
  gboolean     hold;
} Step;

static gboolean
on_step (gpointer data)
{
  Step *step = data;

  g_hash_table_remove (step->plan->timers, GUINT_TO_POINTER (step->id));
  bell_core_hold (step->plan->core, step->id, step->hold);
  return G_SOURCE_REMOVE;
}

static void
schedule (CliCallPlan *plan, guint id, double seconds, gboolean hold)
{
  Step *step = g_new0 (Step, 1);
  guint source;

  step->plan = plan;
  step->id = id;
  step->hold = hold;
  source = g_timeout_add_full (G_PRIORITY_DEFAULT, (guint) (seconds * 1000), on_step, step, g_free);
  g_hash_table_insert (plan->timers, GUINT_TO_POINTER (id), GUINT_TO_POINTER (source));
}

static void
unschedule (CliCallPlan *plan, guint id)
{
  gpointer source;

  if (g_hash_table_steal_extended (plan->timers, GUINT_TO_POINTER (id), NULL, &source))
    g_source_remove (GPOINTER_TO_UINT (source));
}

static void
transfer (CliCallPlan *plan, guint id)
{
  if (!plan->transfer_to || plan->transfers_asked)
    return;
  plan->transfers_asked = TRUE;
  if (!plan->attended)
    {
      bell_core_transfer (plan->core, id, plan->transfer_to, 0);
      return;
    }
  /* The consultation call: its id comes with its first event. */
  plan->consulting = id;
  bell_core_call_auth (plan->core, plan->transfer_to, plan->transport, plan->from,
                       plan->auth_user, plan->password);
}

static void
on_call_event (CliCallPlan *plan, BellEvent *event)
{
  guint id = (guint) bell_event_get_int (event, "id", 0);
  const char *state = bell_event_get_string (event, "state");
  gboolean outgoing = g_strcmp0 (bell_event_get_string (event, "direction"), "outgoing") == 0;

  if (!id || !state)
    return;
  if (plan->consulting && !plan->consult_id && outgoing &&
      !g_hash_table_contains (plan->planned, GUINT_TO_POINTER (id)) &&
      !g_hash_table_contains (plan->exempt, GUINT_TO_POINTER (id)))
    {
      plan->consult_id = id;
      g_hash_table_add (plan->exempt, GUINT_TO_POINTER (id));
    }
  if (id == plan->consult_id)
    {
      if (g_str_equal (state, "connected") && !plan->handed_over)
        {
          plan->handed_over = TRUE;
          bell_core_transfer (plan->core, plan->consulting, NULL, id);
        }
      /* Once handed over, the target ends this call itself when the transferee replaces it. */
      else if (g_str_equal (state, "ended") && plan->consulting && !plan->handed_over)
        {
          /* The target did not take the consultation call: the transfer cannot happen. */
          plan->failed = TRUE;
          bell_core_hold (plan->core, plan->consulting, FALSE);
          plan->consulting = 0;
        }
      return;
    }
  if (g_str_equal (state, "ended"))
    {
      unschedule (plan, id);
      if (id == plan->consulting)
        plan->consulting = 0;
      return;
    }
  if (!g_str_equal (state, "connected") ||
      g_hash_table_contains (plan->exempt, GUINT_TO_POINTER (id)) ||
      !g_hash_table_add (plan->planned, GUINT_TO_POINTER (id)))
    return;
  if (plan->mute)
    bell_core_set_mute (plan->core, id, TRUE);
  if (plan->dtmf)
    bell_core_send_dtmf (plan->core, id, plan->dtmf);
  if (plan->hold_after >= 0)
    schedule (plan, id, plan->hold_after, TRUE);
  else
    transfer (plan, id);
}

static void
on_hold_event (CliCallPlan *plan, BellEvent *event)
{
  guint id = (guint) bell_event_get_int (event, "id", 0);

  if (!bell_event_get_bool (event, "local") || !g_hash_table_contains (plan->planned, GUINT_TO_POINTER (id)))
    return;
  if (plan->transfer_to)
    transfer (plan, id);
  else if (plan->hold_for > 0 && !g_hash_table_contains (plan->timers, GUINT_TO_POINTER (id)))
    schedule (plan, id, plan->hold_for, FALSE);
}

static void
on_transfer_event (CliCallPlan *plan, BellEvent *event)
{
  gint64 code = bell_event_get_int (event, "code", 0);

  /* 202 and 1xx are progress; 2xx ends the call by itself. */
  if (code == 202 || (code >= 100 && code < 200) || (code >= 200 && code < 300))
    return;
  plan->failed = TRUE;
  /* The transferee is still ours: take it off hold so the user can talk again. */
  bell_core_hold (plan->core, (guint) bell_event_get_int (event, "id", 0), FALSE);
  if (plan->consult_id)
    bell_core_hangup (plan->core, plan->consult_id);
}

void
cli_call_plan_event (CliCallPlan *plan, BellEvent *event)
{
  const char *name = bell_event_get_name (event);

  if (g_str_equal (name, "call"))
    on_call_event (plan, event);
  else if (g_str_equal (name, "hold"))
    on_hold_event (plan, event);
  else if (g_str_equal (name, "transfer"))
    on_transfer_event (plan, event);
  else if (g_str_equal (name, "referred"))
    g_hash_table_add (plan->exempt, GUINT_TO_POINTER ((guint) bell_event_get_int (event, "call", 0)));
}

gboolean
cli_call_plan_failed (CliCallPlan *plan)
{
  return plan->failed;
}

CliCallPlan *
cli_call_plan_new (BellCore *core, const CliCallPlanOptions *options)
{
  CliCallPlan *plan = g_new0 (CliCallPlan, 1);

  plan->core = core;
  plan->hold_after = options->hold_after;
  plan->hold_for = options->hold_for;
  plan->transfer_to = g_strdup (options->transfer_to);
  plan->attended = options->attended;
  plan->dtmf = g_strdup (options->dtmf);
  plan->mute = options->mute;
  plan->from = g_strdup (options->from);
  plan->auth_user = g_strdup (options->auth_user);
  plan->password = bell_secret_dup (options->password);
  plan->transport = options->transport;
  plan->planned = g_hash_table_new (NULL, NULL);
  plan->exempt = g_hash_table_new (NULL, NULL);
  plan->timers = g_hash_table_new (NULL, NULL);
  return plan;
}

void
cli_call_plan_free (CliCallPlan *plan)
{
  GHashTableIter iter;
  gpointer source;

  g_hash_table_iter_init (&iter, plan->timers);
  while (g_hash_table_iter_next (&iter, NULL, &source))
    g_source_remove (GPOINTER_TO_UINT (source));
  g_hash_table_unref (plan->timers);
  g_hash_table_unref (plan->planned);
  g_hash_table_unref (plan->exempt);
  g_free (plan->transfer_to);
  g_free (plan->dtmf);
  g_free (plan->from);
  g_free (plan->auth_user);
  bell_secret_free (plan->password);
  g_free (plan);
}
