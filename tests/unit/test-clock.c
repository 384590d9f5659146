/* test-clock.c: the real clock (one GSource for every timer) and the virtual one. */
#include "bell-clock.h"

typedef struct
{
  GString   *order;
  BellClock *clock;
  guint      extra;
} Log;

static void
on_fire (gpointer data)
{
  char **pair = data;
  Log *log = (Log *) pair[0];
  g_string_append (log->order, pair[1]);
}

static void
on_fire_and_schedule (gpointer data)
{
  char **pair = data;
  Log *log = (Log *) pair[0];
  static char *late[2];

  g_string_append (log->order, pair[1]);
  /* A timer scheduled from a callback fires later, not in the same pass. */
  late[0] = (char *) log;
  late[1] = "L";
  log->extra = bell_clock_schedule (log->clock, 5, on_fire, late, NULL);
}

static gboolean
on_quit (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static void
test_real_order_and_cancel (void)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Log log = { g_string_new (NULL), bell_clock_new_real (NULL), 0 };
  char *a[2] = { (char *) &log, "a" }, *b[2] = { (char *) &log, "b" };
  char *c[2] = { (char *) &log, "c" }, *d[2] = { (char *) &log, "d" };
  guint cancelled;

  bell_clock_schedule (log.clock, 30, on_fire, c, NULL);
  bell_clock_schedule (log.clock, 10, on_fire_and_schedule, a, NULL);
  cancelled = bell_clock_schedule (log.clock, 5, on_fire, d, NULL);
  bell_clock_schedule (log.clock, 20, on_fire, b, NULL);
  bell_clock_cancel (log.clock, cancelled);
  g_timeout_add (200, on_quit, loop);
  g_main_loop_run (loop);
  /* d cancelled; a at 10 ms schedules L 5 ms after it fires: "aLbc" when a fires on time. A
   * loaded machine may run a late, and L then after b or c: the order of what was due holds,
   * and L comes after a, once. */
  {
    g_autoptr(GString) due = g_string_new (NULL);
    gssize a_at = -1, l_at = -1;

    for (gsize i = 0; i < log.order->len; i++)
      {
        char ch = log.order->str[i];

        if (ch == 'L')
          {
            g_assert_cmpint (l_at, ==, -1);
            l_at = (gssize) i;
          }
        else
          g_string_append_c (due, ch);
        if (ch == 'a')
          a_at = (gssize) i;
      }
    g_assert_cmpstr (due->str, ==, "abc");
    g_assert_cmpint (l_at, >, a_at);
  }
  g_string_free (log.order, TRUE);
  bell_clock_unref (log.clock);
}

/* Thousands of pending timers on the real clock are one source on the context. */
static void
test_real_many (void)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Log log = { g_string_new (NULL), bell_clock_new_real (NULL), 0 };
  char *x[2] = { (char *) &log, "x" };

  for (guint i = 0; i < 5000; i++)
    bell_clock_schedule (log.clock, 5 + i % 20, on_fire, x, NULL);
  g_timeout_add (300, on_quit, loop);
  g_main_loop_run (loop);
  g_assert_cmpuint (log.order->len, ==, 5000);
  g_string_free (log.order, TRUE);
  bell_clock_unref (log.clock);
}

static void
test_virtual (void)
{
  Log log = { g_string_new (NULL), bell_clock_new_virtual (), 0 };
  char *a[2] = { (char *) &log, "a" }, *b[2] = { (char *) &log, "b" };

  bell_clock_schedule (log.clock, 1000, on_fire, b, NULL);
  bell_clock_schedule (log.clock, 500, on_fire_and_schedule, a, NULL);
  g_assert_cmpint (bell_clock_next_due (log.clock), ==, 500);
  g_assert_cmpuint (bell_clock_advance (log.clock, 499), ==, 0);
  g_assert_cmpuint (bell_clock_advance (log.clock, 1), ==, 1);
  g_assert_cmpuint (bell_clock_advance (log.clock, 500), ==, 2);   /* L at 505, b at 1000 */
  g_assert_cmpstr (log.order->str, ==, "aLb");
  g_assert_cmpint (bell_clock_now (log.clock), ==, 1000 * 1000);
  g_assert_cmpint (bell_clock_next_due (log.clock), ==, -1);
  g_string_free (log.order, TRUE);
  bell_clock_unref (log.clock);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/clock/real-order-and-cancel", test_real_order_and_cancel);
  g_test_add_func ("/clock/real-many", test_real_many);
  g_test_add_func ("/clock/virtual", test_virtual);
  return g_test_run ();
}
