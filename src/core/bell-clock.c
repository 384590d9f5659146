/* bell-clock.c: real (GMainContext) and virtual (test-driven) timers. */
#define G_LOG_DOMAIN "bell-clock"

#include "bell-clock.h"

typedef struct
{
  guint          id;
  gint64         due_us;
  guint64        seq;      /* equal due times fire in scheduling order */
  BellClockFunc  func;
  gpointer       user_data;
  GDestroyNotify destroy;
  GSequenceIter *position; /* in the clock's queue */
} Timer;

struct _BellClock
{
  gint          ref_count;
  gboolean      is_virtual;
  GMainContext *context;   /* real clock */
  gint64        now_us;    /* virtual clock */
  guint         next_id;
  guint64       next_seq;
  GHashTable   *timers;    /* id → Timer */
  GSequence    *queue;     /* Timer by due time, then scheduling order */
  GSource      *source;    /* real clock: one source, ready at the earliest due time */
};

static void
timer_free (gpointer data)
{
  Timer *t = data;

  if (t->position)
    g_sequence_remove (t->position);
  if (t->destroy)
    t->destroy (t->user_data);
  g_free (t);
}

static gint
timer_compare (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const Timer *x = a, *y = b;

  if (x->due_us != y->due_us)
    return x->due_us < y->due_us ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static Timer *
earliest (BellClock *clock)
{
  GSequenceIter *first = g_sequence_get_begin_iter (clock->queue);

  return g_sequence_iter_is_end (first) ? NULL : g_sequence_get (first);
}

/* Real clock: thousands of pending timers (Timer K of every finished transaction) cost one
 * source, not one each: GLib walks every source on each loop iteration. */
static void
rearm (BellClock *clock)
{
  Timer *t;

  if (!clock->source)
    return;
  t = earliest (clock);
  g_source_set_ready_time (clock->source, t ? t->due_us : -1);
}

/* Takes t out of the clock and runs it. */
static void
fire (BellClock *clock, Timer *t)
{
  BellClockFunc func = t->func;
  gpointer user_data = t->user_data;
  GDestroyNotify destroy = t->destroy;

  t->destroy = NULL;
  g_hash_table_remove (clock->timers, GUINT_TO_POINTER (t->id));
  func (user_data);
  if (destroy)
    destroy (user_data);
}

static gboolean
on_source_dispatch (gpointer data)
{
  BellClock *clock = data;
  gint64 now = g_get_monotonic_time ();
  Timer *t;

  /* Only timers due now: those a callback schedules wait for the next iteration. */
  bell_clock_ref (clock);
  while ((t = earliest (clock)) && t->due_us <= now)
    fire (clock, t);
  rearm (clock);
  bell_clock_unref (clock);
  return G_SOURCE_CONTINUE;
}

static gboolean
clock_source_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  return callback (data);
}

static GSourceFuncs clock_source_funcs = { NULL, NULL, clock_source_dispatch, NULL, NULL, NULL };

static BellClock *
clock_new (gboolean is_virtual)
{
  BellClock *clock = g_new0 (BellClock, 1);

  clock->ref_count = 1;
  clock->is_virtual = is_virtual;
  clock->next_id = 1;
  clock->timers = g_hash_table_new_full (NULL, NULL, NULL, timer_free);
  clock->queue = g_sequence_new (NULL);
  return clock;
}

BellClock *
bell_clock_new_real (GMainContext *context)
{
  BellClock *clock = clock_new (FALSE);

  clock->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  clock->source = g_source_new (&clock_source_funcs, sizeof (GSource));
  g_source_set_callback (clock->source, on_source_dispatch, clock, NULL);
  g_source_set_static_name (clock->source, "[bellbird] clock");
  g_source_set_ready_time (clock->source, -1);
  g_source_attach (clock->source, clock->context);
  return clock;
}

BellClock *
bell_clock_new_virtual (void)
{
  return clock_new (TRUE);
}

BellClock *
bell_clock_ref (BellClock *clock)
{
  g_return_val_if_fail (clock != NULL, NULL);
  g_atomic_int_inc (&clock->ref_count);
  return clock;
}

void
bell_clock_unref (BellClock *clock)
{
  g_return_if_fail (clock != NULL);
  if (!g_atomic_int_dec_and_test (&clock->ref_count))
    return;
  if (clock->source)
    {
      g_source_destroy (clock->source);
      g_clear_pointer (&clock->source, g_source_unref);
    }
  g_hash_table_destroy (clock->timers);
  g_sequence_free (clock->queue);
  g_clear_pointer (&clock->context, g_main_context_unref);
  g_free (clock);
}

gint64
bell_clock_now (BellClock *clock)
{
  return clock->is_virtual ? clock->now_us : g_get_monotonic_time ();
}

guint
bell_clock_schedule (BellClock *clock, guint delay_ms, BellClockFunc func, gpointer user_data,
                     GDestroyNotify destroy)
{
  Timer *t = g_new0 (Timer, 1);

  g_return_val_if_fail (func != NULL, 0);
  t->id = clock->next_id++;
  if (clock->next_id == 0)
    clock->next_id = 1;
  t->due_us = bell_clock_now (clock) + (gint64) delay_ms * 1000;
  t->seq = clock->next_seq++;
  t->func = func;
  t->user_data = user_data;
  t->destroy = destroy;
  t->position = g_sequence_insert_sorted (clock->queue, t, timer_compare, NULL);
  g_hash_table_insert (clock->timers, GUINT_TO_POINTER (t->id), t);
  if (t->position == g_sequence_get_begin_iter (clock->queue))
    rearm (clock);
  return t->id;
}

void
bell_clock_cancel (BellClock *clock, guint id)
{
  if (id)
    g_hash_table_remove (clock->timers, GUINT_TO_POINTER (id));
  /* A cancelled first timer leaves the source early: it finds nothing due and re-arms. */
}

guint
bell_clock_advance (BellClock *clock, guint ms)
{
  gint64 target;
  guint fired = 0;
  Timer *t;

  g_return_val_if_fail (clock->is_virtual, 0);
  target = clock->now_us + (gint64) ms * 1000;
  while ((t = earliest (clock)) && t->due_us <= target)
    {
      clock->now_us = MAX (clock->now_us, t->due_us);
      fire (clock, t);
      fired++;
    }
  clock->now_us = target;
  return fired;
}

gint64
bell_clock_next_due (BellClock *clock)
{
  Timer *t;

  g_return_val_if_fail (clock->is_virtual, -1);
  t = earliest (clock);
  return t ? (t->due_us - clock->now_us + 999) / 1000 : -1;
}
