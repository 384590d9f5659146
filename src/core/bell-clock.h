/* bell-clock.h: where the core's timers come from.
 *
 * Transactions, registrations and transports never call g_timeout_add themselves: they ask a
 * BellClock. The real clock runs timers on a GMainContext; the virtual clock lets a test move
 * time forward by hand, so Timer B (32 s) is checked in microseconds and deterministically.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BellClock BellClock;

typedef void (*BellClockFunc) (gpointer user_data);

/* A real clock on a main context (NULL: the thread-default one at the time of the call). */
BellClock *bell_clock_new_real    (GMainContext *context);
/* A virtual clock starting at 0 µs; time moves only with bell_clock_advance(). */
BellClock *bell_clock_new_virtual (void);

BellClock *bell_clock_ref         (BellClock *clock);
void       bell_clock_unref       (BellClock *clock);

/* Monotonic microseconds. */
gint64     bell_clock_now         (BellClock *clock);
/* Calls func once after delay_ms; returns an id > 0 for bell_clock_cancel(). */
guint      bell_clock_schedule    (BellClock *clock, guint delay_ms, BellClockFunc func,
                                   gpointer user_data, GDestroyNotify destroy);
/* Cancels a pending timer; 0 and ids that already fired are ignored. */
void       bell_clock_cancel      (BellClock *clock, guint id);
/* Virtual clock only: moves time forward by ms, firing due timers in order (a timer scheduled
 * by a callback fires too if it falls within the step). Returns how many fired. */
guint      bell_clock_advance     (BellClock *clock, guint ms);
/* Virtual clock only: milliseconds until the next timer, or -1 when none is pending. */
gint64     bell_clock_next_due    (BellClock *clock);

/* Clears *id and cancels it: for dispose functions and state changes. */
static inline void
bell_clock_clear (BellClock *clock, guint *id)
{
  if (*id)
    {
      bell_clock_cancel (clock, *id);
      *id = 0;
    }
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellClock, bell_clock_unref)

G_END_DECLS
