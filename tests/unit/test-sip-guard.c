/* test-sip-guard.c: the flood limits on a virtual clock: token buckets per source and for
 * everyone, trusted sources, transaction and connection counts, the table of sources staying
 * bounded, scanner signatures, and the "changed" signal at most once a second. */
#include <gio/gio.h>
#include <string.h>

#include "bell-sip-guard.h"
#include "bell-sip-msg.h"

static GInetSocketAddress *
addr (const char *ip, guint16 port)
{
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string (ip, port));
}

static guint
admitted (BellSipGuard *guard, GInetSocketAddress *source, guint tries)
{
  guint n = 0;

  for (guint i = 0; i < tries; i++)
    n += bell_sip_guard_admit_request (guard, source);
  return n;
}

/* A source gets its burst at once, then its rate; another source has its own bucket. */
static void
test_rate_per_source (void)
{
  g_autoptr(BellClock) clock = bell_clock_new_virtual ();
  g_autoptr(BellSipGuard) guard = bell_sip_guard_new (clock);
  g_autoptr(GInetSocketAddress) a = addr ("192.0.2.1", 5060);
  g_autoptr(GInetSocketAddress) a2 = addr ("192.0.2.1", 40000);
  g_autoptr(GInetSocketAddress) b = addr ("2001:db8::1", 5060);
  BellSipGuardLimits limits = { .rate_per_s = 10, .burst = 20, .total_rate_per_s = 1000,
                                .total_burst = 1000 };

  bell_sip_guard_set_limits (guard, &limits);
  g_assert_cmpuint (admitted (guard, a, 100), ==, 20);
  /* Another port of the same host is the same source. */
  g_assert_cmpuint (admitted (guard, a2, 10), ==, 0);
  g_assert_cmpuint (admitted (guard, b, 100), ==, 20);
  g_assert_cmpuint (bell_sip_guard_get_count (guard, BELL_SIP_LIMIT_RATE), ==, 80 + 10 + 80);
  bell_clock_advance (clock, 1000);
  g_assert_cmpuint (admitted (guard, a, 100), ==, 10);
  bell_clock_advance (clock, 100);
  g_assert_cmpuint (admitted (guard, a, 100), ==, 1);
  /* Never more than the burst, however long it was quiet. */
  bell_clock_advance (clock, 60000);
  g_assert_cmpuint (admitted (guard, a, 100), ==, 20);
}

/* Everyone together has a bucket too: many sources cannot add up to a flood. */
static void
test_total_rate (void)
{
  g_autoptr(BellClock) clock = bell_clock_new_virtual ();
  g_autoptr(BellSipGuard) guard = bell_sip_guard_new (clock);
  BellSipGuardLimits limits = { .rate_per_s = 10, .burst = 10, .total_rate_per_s = 50,
                                .total_burst = 50 };
  guint n = 0;

  bell_sip_guard_set_limits (guard, &limits);
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *ip = g_strdup_printf ("198.51.100.%u", i);
      g_autoptr(GInetSocketAddress) s = addr (ip, 5060);
      n += admitted (guard, s, 2);
    }
  g_assert_cmpuint (n, ==, 50);
  g_assert_cmpuint (bell_sip_guard_get_count (guard, BELL_SIP_LIMIT_TOTAL_RATE), ==, 150);
}

/* The registrar (address and port) is never limited, nor counted; its host's other ports are. */
static void
test_trusted (void)
{
  g_autoptr(BellClock) clock = bell_clock_new_virtual ();
  g_autoptr(BellSipGuard) guard = bell_sip_guard_new (clock);
  g_autoptr(GInetSocketAddress) registrar = addr ("127.0.0.1", 5060);
  g_autoptr(GInetSocketAddress) flood = addr ("127.0.0.1", 5070);
  g_autoptr(GPtrArray) trusted = g_ptr_array_new ();
  BellSipGuardLimits limits = { .rate_per_s = 1, .burst = 1, .transactions_per_source = 1 };

  bell_sip_guard_set_limits (guard, &limits);
  g_ptr_array_add (trusted, registrar);
  bell_sip_guard_set_trusted (guard, trusted);
  g_assert_cmpuint (admitted (guard, flood, 10), ==, 1);
  g_assert_cmpuint (admitted (guard, registrar, 1000), ==, 1000);
  g_assert_true (bell_sip_guard_hold_transaction (guard, registrar));
  g_assert_true (bell_sip_guard_hold_transaction (guard, flood));
  g_assert_false (bell_sip_guard_hold_transaction (guard, flood));
  /* Trust ends with the registration. */
  bell_sip_guard_set_trusted (guard, NULL);
  g_assert_false (bell_sip_guard_is_trusted (guard, registrar));
  g_assert_cmpuint (admitted (guard, registrar, 10), ==, 0);
}

static void
test_transactions_and_connections (void)
{
  g_autoptr(BellClock) clock = bell_clock_new_virtual ();
  g_autoptr(BellSipGuard) guard = bell_sip_guard_new (clock);
  g_autoptr(GInetSocketAddress) a = addr ("192.0.2.1", 5060);
  g_autoptr(GInetSocketAddress) b = addr ("192.0.2.2", 5060);
  g_autoptr(GInetSocketAddress) c = addr ("192.0.2.3", 5060);
  BellSipGuardLimits limits = { .transactions_per_source = 3, .transactions_total = 5,
                                .connections_per_source = 2 };

  bell_sip_guard_set_limits (guard, &limits);
  for (int i = 0; i < 3; i++)
    g_assert_true (bell_sip_guard_hold_transaction (guard, a));
  g_assert_false (bell_sip_guard_hold_transaction (guard, a));
  g_assert_true (bell_sip_guard_hold_transaction (guard, b));
  g_assert_true (bell_sip_guard_hold_transaction (guard, b));
  /* Five in all: c gets none until someone lets go. */
  g_assert_false (bell_sip_guard_hold_transaction (guard, c));
  bell_sip_guard_release_transaction (guard, a);
  g_assert_true (bell_sip_guard_hold_transaction (guard, c));
  g_assert_cmpuint (bell_sip_guard_get_count (guard, BELL_SIP_LIMIT_TRANSACTIONS), ==, 2);

  g_assert_true (bell_sip_guard_hold_connection (guard, a));
  g_assert_true (bell_sip_guard_hold_connection (guard, a));
  g_assert_false (bell_sip_guard_hold_connection (guard, a));
  bell_sip_guard_release_connection (guard, a);
  g_assert_true (bell_sip_guard_hold_connection (guard, a));
  g_assert_cmpuint (bell_sip_guard_get_count (guard, BELL_SIP_LIMIT_CONNECTIONS), ==, 1);
}

/* A flood from more addresses than the guard remembers: idle ones are forgotten, busy ones
 * kept, and new sources are refused rather than the table growing. */
static void
test_sources_bounded (void)
{
  g_autoptr(BellClock) clock = bell_clock_new_virtual ();
  g_autoptr(BellSipGuard) guard = bell_sip_guard_new (clock);
  g_autoptr(GInetSocketAddress) busy = addr ("203.0.113.1", 5060);
  BellSipGuardLimits limits = { .rate_per_s = 1, .burst = 2, .max_sources = 8,
                                .total_rate_per_s = 100000, .total_burst = 100000 };
  guint n = 0;

  bell_sip_guard_set_limits (guard, &limits);
  g_assert_true (bell_sip_guard_hold_transaction (guard, busy));
  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *ip = g_strdup_printf ("10.%u.%u.1", i / 256, i % 256);
      g_autoptr(GInetSocketAddress) s = addr (ip, 5060);
      n += admitted (guard, s, 1);
    }
  /* Each new source spent a token, so none is idle: only the first 7 fit. */
  g_assert_cmpuint (n, ==, 7);
  bell_clock_advance (clock, 5000);
  {
    g_autoptr(GInetSocketAddress) late = addr ("10.200.0.1", 5060);
    g_assert_cmpuint (admitted (guard, late, 1), ==, 1);
  }
  /* The busy source was not forgotten: releasing its transaction still balances. */
  bell_sip_guard_release_transaction (guard, busy);
}

static BellSipMsg *
request_with (const char *extra)
{
  g_autofree char *text = g_strdup_printf ("OPTIONS sip:100@192.0.2.9 SIP/2.0\r\n"
                                           "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1\r\n"
                                           "Max-Forwards: 70\r\n"
                                           "%s"
                                           "To: <sip:100@192.0.2.9>\r\n"
                                           "Call-ID: scan@test\r\n"
                                           "CSeq: 1 OPTIONS\r\n"
                                           "Content-Length: 0\r\n\r\n", extra);
  g_autoptr(GError) error = NULL;
  BellSipMsg *msg = bell_sip_msg_parse (text, strlen (text), BELL_SIP_PARSE_DATAGRAM, &error);

  g_assert_no_error (error);
  return msg;
}

static void
test_scanner (void)
{
  static const struct { const char *headers; gboolean scanner; } cases[] = {
    { "From: <sip:100@192.0.2.1>;tag=1\r\nUser-Agent: friendly-scanner\r\n", TRUE },
    { "From: \"sipvicious\" <sip:100@192.0.2.1>;tag=1\r\n", TRUE },
    { "From: <sip:100@192.0.2.1>;tag=1\r\nUser-Agent: sipcli/v1.8\r\n", TRUE },
    { "From: <sip:100@192.0.2.1>;tag=1\r\nUser-Agent: VaxSIPUserAgent/3.1\r\n", TRUE },
    { "From: <sip:100@192.0.2.1>;tag=1\r\nUser-Agent: Linphone/5.2 (belle-sip)\r\n", FALSE },
    { "From: \"Alice\" <sip:alice@192.0.2.1>;tag=1\r\nUser-Agent: baresip v1.0\r\n", FALSE },
    { "From: <sip:100@192.0.2.1>;tag=1\r\n", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(BellSipMsg) msg = request_with (cases[i].headers);
      g_assert_cmpint (bell_sip_guard_is_scanner (msg), ==, cases[i].scanner);
    }
}

static void
on_changed (BellSipGuard *guard, gpointer data)
{
  (*(guint *) data)++;
}

/* A flood of refusals is announced once at its start, then at most once a second. */
static void
test_changed_coalesced (void)
{
  g_autoptr(BellClock) clock = bell_clock_new_virtual ();
  g_autoptr(BellSipGuard) guard = bell_sip_guard_new (clock);
  g_autoptr(GInetSocketAddress) a = addr ("192.0.2.1", 5060);
  guint changed = 0;

  g_signal_connect (guard, "changed", G_CALLBACK (on_changed), &changed);
  bell_sip_guard_count (guard, BELL_SIP_LIMIT_POLICY, a);
  bell_clock_advance (clock, 0);
  g_assert_cmpuint (changed, ==, 1);
  for (guint ms = 0; ms < 3000; ms += 10)
    {
      bell_sip_guard_count (guard, BELL_SIP_LIMIT_POLICY, a);
      bell_clock_advance (clock, 10);
    }
  g_assert_cmpuint (changed, >=, 3);
  g_assert_cmpuint (changed, <=, 4);
  bell_clock_advance (clock, 2000);
  g_assert_cmpuint (changed, <=, 5);
  g_assert_cmpuint (bell_sip_guard_get_count (guard, BELL_SIP_LIMIT_POLICY), ==, 301);
  g_assert_cmpstr (bell_sip_limit_to_string (BELL_SIP_LIMIT_POLICY), ==, "policy_refused");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sip-guard/rate-per-source", test_rate_per_source);
  g_test_add_func ("/sip-guard/total-rate", test_total_rate);
  g_test_add_func ("/sip-guard/trusted", test_trusted);
  g_test_add_func ("/sip-guard/transactions-and-connections", test_transactions_and_connections);
  g_test_add_func ("/sip-guard/sources-bounded", test_sources_bounded);
  g_test_add_func ("/sip-guard/scanner", test_scanner);
  g_test_add_func ("/sip-guard/changed-coalesced", test_changed_coalesced);
  return g_test_run ();
}
