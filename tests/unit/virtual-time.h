/* virtual-time.h: tests that run real sockets on the main loop while a virtual BellClock
 * drives every timer, so Timer F or a 30-minute session timer takes milliseconds. */
#pragma once

#include "bell-clock.h"
#include "bell-sip-transport.h"

/* Real time any one wait may take. */
#define VT_WAIT_MS 5000

/* Lets sockets deliver (15 ms of real time) while the virtual clock stands still. */
void   vt_settle    (void);
gint64 vt_now_ms    (BellClock *clock);
/* Moves the clock to until_ms timer by timer, letting the sockets deliver after each. */
void   vt_run_until (BellClock *clock, gint64 until_ms);
/* Keeps the main loop alive while waiting (a source that does nothing). */
gboolean vt_tick    (gpointer data);
/* A GSourceFunc that sets *(gboolean *) data. */
gboolean vt_set_flag (gpointer data);

/* A transport on 127.0.0.1 with a free port, UDP (and TCP when tcp), timed by clock. */
BellSipTransport *vt_listening_transport (BellClock *clock, gboolean tcp);

/* Runs the real main loop until cond holds, for at most VT_WAIT_MS; the clock stands still. */
#define VT_WAIT_FOR(cond) \
  G_STMT_START \
    { \
      gint64 end_ = g_get_monotonic_time () + VT_WAIT_MS * G_TIME_SPAN_MILLISECOND; \
      guint tick_ = g_timeout_add (5, vt_tick, NULL); \
      while (!(cond) && g_get_monotonic_time () < end_) \
        g_main_context_iteration (NULL, TRUE); \
      g_source_remove (tick_); \
      g_assert_true (cond); \
    } \
  G_STMT_END

/* Like vt_run_until, but stops at the first timer after which cond holds; fails the test if it
 * never did by until_ms. */
#define VT_RUN_UNTIL(clock, until_ms, cond) \
  G_STMT_START \
    { \
      gint64 due_; \
      guint steps_ = 0; \
      vt_settle (); \
      while (!(cond) && (due_ = bell_clock_next_due (clock)) >= 0 && \
             vt_now_ms (clock) + due_ <= (until_ms)) \
        { \
          g_assert_cmpuint (++steps_, <, 10000); \
          bell_clock_advance ((clock), (guint) due_); \
          vt_settle (); \
        } \
      g_assert_true (cond); \
    } \
  G_STMT_END
