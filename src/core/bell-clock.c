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
  GSource       *source;   /* real clock only */
  BellClock     *clock;    /* real clock only, not a reference */
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
};

static void
timer_free (gpointer data)
{
  Timer *t = data;

  if (t->source)
    {
      g_source_destroy (t->source);
      g_source_unref (t->source);
    }
  if (t->destroy)
    t->destroy (t->user_data);
  g_free (t);
}

static BellClock *
clock_new (gboolean is_virtual)
{
  BellClock *clock = g_new0 (BellClock, 1);

  clock->ref_count = 1;
  clock->is_virtual = is_virtual;
  clock->next_id = 1;
  clock->timers = g_hash_table_new_full (NULL, NULL, NULL, timer_free);
  return clock;
}

BellClock *
bell_clock_new_real (GMainContext *context)
{
  BellClock *clock = clock_new (FALSE);

  clock->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
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
  g_hash_table_destroy (clock->timers);
  g_clear_pointer (&clock->context, g_main_context_unref);
  g_free (clock);
}

gint64
bell_clock_now (BellClock *clock)
{
  return clock->is_virtual ? clock->now_us : g_get_monotonic_time ();
}

static gboolean
on_real_timeout (gpointer data)
{
  Timer *t = data;
  BellClock *clock = t->clock;
  BellClockFunc func = t->func;
  gpointer user_data = t->user_data;
  GDestroyNotify destroy = t->destroy;

  /* Take the timer out first: the callback may schedule or cancel others. */
  t->destroy = NULL;
  g_source_unref (t->source);
  t->source = NULL;  /* it is being dispatched and removes itself: we return FALSE */
  g_hash_table_remove (clock->timers, GUINT_TO_POINTER (t->id));
  func (user_data);
  if (destroy)
    destroy (user_data);
  return G_SOURCE_REMOVE;
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
  if (!clock->is_virtual)
    {
      t->clock = clock;
      t->source = g_timeout_source_new (delay_ms);
      g_source_set_callback (t->source, on_real_timeout, t, NULL);
      g_source_set_static_name (t->source, "[bellbird] clock timer");
      g_source_attach (t->source, clock->context);
    }
  g_hash_table_insert (clock->timers, GUINT_TO_POINTER (t->id), t);
  return t->id;
}

void
bell_clock_cancel (BellClock *clock, guint id)
{
  if (id)
    g_hash_table_remove (clock->timers, GUINT_TO_POINTER (id));
}

static Timer *
earliest (BellClock *clock)
{
  GHashTableIter iter;
  Timer *t, *best = NULL;

  g_hash_table_iter_init (&iter, clock->timers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &t))
    if (!best || t->due_us < best->due_us || (t->due_us == best->due_us && t->seq < best->seq))
      best = t;
  return best;
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
      BellClockFunc func = t->func;
      gpointer user_data = t->user_data;
      GDestroyNotify destroy = t->destroy;

      clock->now_us = MAX (clock->now_us, t->due_us);
      t->destroy = NULL;
      g_hash_table_remove (clock->timers, GUINT_TO_POINTER (t->id));
      func (user_data);
      if (destroy)
        destroy (user_data);
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
