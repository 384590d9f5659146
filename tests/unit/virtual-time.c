/* virtual-time.c: see virtual-time.h. */
#include "virtual-time.h"

gboolean
vt_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
vt_set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
vt_settle (void)
{
  gboolean done = FALSE;

  g_timeout_add (15, vt_set_flag, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

gint64
vt_now_ms (BellClock *clock)
{
  return bell_clock_now (clock) / 1000;
}

void
vt_run_until (BellClock *clock, gint64 until_ms)
{
  gint64 due;
  guint steps = 0;

  vt_settle ();
  while ((due = bell_clock_next_due (clock)) >= 0 && vt_now_ms (clock) + due <= until_ms)
    {
      g_assert_cmpuint (++steps, <, 10000);
      bell_clock_advance (clock, (guint) due);
      vt_settle ();
    }
  if (vt_now_ms (clock) < until_ms)
    bell_clock_advance (clock, (guint) (until_ms - vt_now_ms (clock)));
  vt_settle ();
}

BellSipTransport *
vt_listening_transport (BellClock *clock, gboolean tcp)
{
  g_autoptr(GError) error = NULL;
  BellSipTransport *transport = bell_sip_transport_new (clock);

  g_assert_true (bell_sip_transport_listen (transport, BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0,
                                            &error));
  g_assert_no_error (error);
  if (tcp)
    {
      g_assert_true (bell_sip_transport_listen (transport, BELL_SIP_TRANSPORT_TCP, "127.0.0.1", 0,
                                                &error));
      g_assert_no_error (error);
    }
  return transport;
}
