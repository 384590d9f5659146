/* test-sip-locate.c: locating SIP servers (RFC 3263 §4) against a fake GResolver. */
#include <stdio.h>
#include <string.h>

#include <gio/gio.h>

#include "bell-sip-locate.h"

#include "fake-resolver.h"

#define assert_log(fake, expected)                                                        \
  G_STMT_START {                                                                          \
    g_autofree char *_log = fake_take_log (fake);                                         \
    g_assert_cmpstr (_log, ==, (expected));                                               \
  } G_STMT_END

/* ------------------------------------------------------------------------------------------ */
/* Running a locate to completion in a main loop with a timeout. */

#define ALL_DNS (BELL_SIP_TRANSPORT_UDP | BELL_SIP_TRANSPORT_TCP | BELL_SIP_TRANSPORT_TLS)

/* The fake's reference count just after the last bell_sip_locate_async() returned. GLib answers
 * an IP literal without calling any vfunc, so call counts alone cannot show that a numeric host
 * never reaches the resolver; a resolver that is not even held can't have been asked. */
static guint resolver_refs_after_start;

typedef struct
{
  GMainLoop *loop;
  GPtrArray *targets;
  GError    *error;
  gboolean   done;
} LocateResult;

static void
on_located (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LocateResult *r = user_data;

  g_assert_null (source);
  g_assert_false (r->done);
  r->targets = bell_sip_locate_finish (result, &r->error);
  g_assert_true ((r->targets == NULL) != (r->error == NULL));
  r->done = TRUE;
  g_main_loop_quit (r->loop);
}

static gboolean
on_timeout (gpointer user_data)
{
  g_error ("locating %s did not finish within 5 s", (const char *) user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
on_cancel_timeout (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

/* cancel_after_ms > 0 cancels that long after the start (needs a cancellable). */
static GPtrArray *
locate_full (const char *text, BellSipTransportKind forced, guint supported, FakeResolver *fake,
             GCancellable *cancellable, guint cancel_after_ms, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(BellSipUri) uri = bell_sip_uri_new (text, &local_error);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  LocateResult r = { loop, NULL, NULL, FALSE };
  guint timeout_id, cancel_id = 0;

  g_assert_no_error (local_error);
  g_assert_nonnull (uri);
  timeout_id = g_timeout_add_seconds (5, on_timeout, (gpointer) text);
  if (cancel_after_ms)
    cancel_id = g_timeout_add (cancel_after_ms, on_cancel_timeout, cancellable);

  bell_sip_locate_async (uri, forced, supported, fake ? G_RESOLVER (fake) : NULL, cancellable,
                         on_located, &r);
  resolver_refs_after_start = fake ? g_atomic_int_get ((int *) &G_OBJECT (fake)->ref_count) : 0;
  /* The URI is only read during the call, and the callback never runs inside it. */
  g_clear_pointer (&uri, bell_sip_uri_free);
  g_assert_false (r.done);
  g_main_loop_run (loop);

  g_source_remove (timeout_id);
  if (cancel_id && !g_cancellable_is_cancelled (cancellable))
    g_source_remove (cancel_id);
  /* Let whatever the resolver still has queued run out, so leak checks see a clean slate. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (r.error)
    g_propagate_error (error, r.error);
  return r.targets;
}

static GPtrArray *
locate (const char *text, BellSipTransportKind forced, guint supported, FakeResolver *fake,
        GError **error)
{
  return locate_full (text, forced, supported, fake, NULL, 0, error);
}

static char *
targets_to_string (GPtrArray *targets)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < targets->len; i++)
    {
      g_autofree char *t = bell_sip_locate_target_to_string (targets->pdata[i]);

      g_string_append_printf (s, "%s%s", i ? "; " : "", t);
    }
  return g_string_free (s, FALSE);
}

/* Locates text and compares every target, "; "-joined, with expected. */
static void
check_locate (const char *text, BellSipTransportKind forced, guint supported, FakeResolver *fake,
              const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) targets = locate (text, forced, supported, fake, &error);
  g_autofree char *got = NULL;

  if (error)
    g_error ("locating %s failed: %s", text, error->message);
  got = targets_to_string (targets);
  if (g_strcmp0 (got, expected) != 0)
    g_error ("locating %s\n     got: %s\nexpected: %s", text, got, expected);

  /* The fields agree with what was printed. */
  for (guint i = 0; i < targets->len; i++)
    {
      BellSipLocateTarget *t = targets->pdata[i];

      g_assert_true (G_IS_INET_SOCKET_ADDRESS (t->address));
      g_assert_cmpuint (g_inet_socket_address_get_port (t->address), ==, t->port);
      g_assert_nonnull (t->host);
    }
}

static void
check_error (const char *text, BellSipTransportKind forced, guint supported, FakeResolver *fake,
             GQuark domain, int code, const char *message_part)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) targets = locate (text, forced, supported, fake, &error);

  g_assert_null (targets);
  g_assert_error (error, domain, code);
  if (message_part && strstr (error->message, message_part) == NULL)
    g_error ("locating %s: \"%s\" does not contain \"%s\"", text, error->message, message_part);
}

/* ------------------------------------------------------------------------------------------ */

static void
test_numeric_ipv4 (void)
{
  g_autoptr(FakeResolver) fake = fake_resolver_new ();

  check_locate ("sip:alice@192.0.2.1", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
                "UDP 192.0.2.1:5060 (192.0.2.1)");
  check_locate ("sip:alice@192.0.2.1:5070", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
                "UDP 192.0.2.1:5070 (192.0.2.1)");
  /* UDP not supported: the next transport in our order, not an error. */
  check_locate ("sip:192.0.2.1", BELL_SIP_TRANSPORT_ANY,
                BELL_SIP_TRANSPORT_TCP | BELL_SIP_TRANSPORT_TLS, fake,
                "TCP 192.0.2.1:5060 (192.0.2.1)");
  g_assert_cmpuint (fake->n_calls, ==, 0);
  g_assert_cmpuint (resolver_refs_after_start, ==, 1);
  assert_log (fake, "");

  /* With the system resolver too: nothing to ask it, so no network. */
  check_locate ("sip:192.0.2.1:5080", BELL_SIP_TRANSPORT_ANY, ALL_DNS, NULL,
                "UDP 192.0.2.1:5080 (192.0.2.1)");
}

static void
test_numeric_ipv6 (void)
{
  g_autoptr(FakeResolver) fake = fake_resolver_new ();

  check_locate ("sip:bob@[2001:db8::1]:5070", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
                "UDP [2001:db8::1]:5070 (2001:db8::1)");
  check_locate ("sip:[2001:db8::1]", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
                "UDP [2001:db8::1]:5060 (2001:db8::1)");
  g_assert_cmpuint (fake->n_calls, ==, 0);
  g_assert_cmpuint (resolver_refs_after_start, ==, 1);
}

static void
test_sips_numeric (void)
{
  g_autoptr(FakeResolver) fake = fake_resolver_new ();

  check_locate ("sips:192.0.2.1", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
                "TLS 192.0.2.1:5061 (192.0.2.1)");
  check_locate ("sips:[2001:db8::1]:5071", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
                "TLS [2001:db8::1]:5071 (2001:db8::1)");
  check_error ("sips:192.0.2.1", BELL_SIP_TRANSPORT_ANY,
               BELL_SIP_TRANSPORT_UDP | BELL_SIP_TRANSPORT_TCP, fake, BELL_SIP_LOCATE_ERROR,
               BELL_SIP_LOCATE_ERROR_NO_TRANSPORT,
               "no usable transport for sips:192.0.2.1 (TLS not supported)");
  g_assert_cmpuint (fake->n_calls, ==, 0);
}

static void
test_transport_param (void)
{
  g_autoptr(FakeResolver) fake = fake_resolver_new ();

  fake_add_srv (fake, "_sip._tcp.example.com", "10 0 5060 tcp.example.com");
  fake_add_srv (fake, "_sip._udp.example.com", "10 0 5060 udp.example.com");
  fake_add_name (fake, "tcp.example.com", "192.0.2.20");

  check_locate ("sip:192.0.2.1;transport=tcp", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
                "TCP 192.0.2.1:5060 (192.0.2.1)");
  check_locate ("sip:192.0.2.1;transport=TLS", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
                "TLS 192.0.2.1:5061 (192.0.2.1)");
  /* sips: over "tcp" means TLS over TCP (RFC 3261 §26.2.2). */
  check_locate ("sips:192.0.2.1;transport=tcp", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
                "TLS 192.0.2.1:5061 (192.0.2.1)");
  /* The parameter wins over the account's forced transport. */
  check_locate ("sip:192.0.2.1;transport=tcp", BELL_SIP_TRANSPORT_UDP, ALL_DNS, fake,
                "TCP 192.0.2.1:5060 (192.0.2.1)");
  g_assert_cmpuint (fake->n_calls, ==, 0);

  /* A name: only that transport's SRV is asked, even though _sip._udp exists. */
  check_locate ("sip:example.com;transport=tcp", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
                "TCP 192.0.2.20:5060 (tcp.example.com)");
  assert_log (fake, "SRV _sip._tcp.example.com; A tcp.example.com");

  check_error ("sips:192.0.2.1;transport=udp", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
               BELL_SIP_LOCATE_ERROR, BELL_SIP_LOCATE_ERROR_NO_TRANSPORT, "UDP");
  check_error ("sip:192.0.2.1;transport=sctp", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
               BELL_SIP_LOCATE_ERROR, BELL_SIP_LOCATE_ERROR_NO_TRANSPORT, "transport=sctp");
  check_error ("sip:example.com;transport=tcp", BELL_SIP_TRANSPORT_ANY, BELL_SIP_TRANSPORT_UDP,
               fake, BELL_SIP_LOCATE_ERROR, BELL_SIP_LOCATE_ERROR_NO_TRANSPORT,
               "(TCP not supported)");
  check_error ("sip:example.com;transport=ws", BELL_SIP_TRANSPORT_ANY, BELL_SIP_TRANSPORT_ALL,
               fake, BELL_SIP_LOCATE_ERROR, BELL_SIP_LOCATE_ERROR_NO_TRANSPORT,
               "WS is not located by DNS");
  check_error ("sip:example.com;transport", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
               BELL_SIP_LOCATE_ERROR, BELL_SIP_LOCATE_ERROR_BAD_URI, "transport");
  assert_log (fake, "");
}

static void
test_maddr (void)
{
  g_autoptr(FakeResolver) fake = fake_resolver_new ();

  fake_add_name (fake, "proxy.example.net", "192.0.2.30");

  check_locate ("sip:alice@example.com;maddr=192.0.2.9", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
                "UDP 192.0.2.9:5060 (192.0.2.9)");
  check_locate ("sip:example.com:5070;maddr=[2001:db8::9]", BELL_SIP_TRANSPORT_ANY, ALL_DNS,
                fake, "UDP [2001:db8::9]:5070 (2001:db8::9)");
  /* For TLS the certificate is still checked against the URI's domain. */
  check_locate ("sips:example.com;maddr=192.0.2.9", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
                "TLS 192.0.2.9:5061 (example.com)");
  g_assert_cmpuint (fake->n_calls, ==, 0);
  g_assert_cmpuint (resolver_refs_after_start, ==, 1);

  /* A name in maddr is what gets resolved; the port stays the URI's. */
  check_locate ("sip:example.com:5080;maddr=proxy.example.net;lr", BELL_SIP_TRANSPORT_ANY,
                ALL_DNS, fake, "UDP 192.0.2.30:5080 (proxy.example.net)");
  assert_log (fake, "A proxy.example.net");
  g_assert_cmpuint (resolver_refs_after_start, >, 1);   /* the check above means something */

  check_error ("sip:example.com;maddr", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
               BELL_SIP_LOCATE_ERROR, BELL_SIP_LOCATE_ERROR_BAD_URI, "bad maddr parameter");
}

static void
drop_log (const char *domain, GLogLevelFlags level, const char *message, gpointer user_data)
{
}

static void
test_srv_priority (void)
{
  g_autoptr(FakeResolver) fake = fake_resolver_new ();
  guint quiet_id;

  /* Written out of order: the lower priority value comes first whatever the weights. */
  fake_add_srv (fake, "_sip._udp.example.com",
                "20 90 5070 c.example.com, 10 60 5060 a.example.com, 10 40 5062 b.example.com");
  fake_add_name (fake, "a.example.com", "192.0.2.1");
  fake_add_name (fake, "b.example.com", "2001:db8::2 192.0.2.2");
  fake_add_name (fake, "c.example.com", "192.0.2.3");

  /* Twenty runs would flood the test log with the same debug lines. */
  quiet_id = g_log_set_handler ("bell-sip-locate", G_LOG_LEVEL_DEBUG, drop_log, NULL);
  for (guint run = 0; run < 20; run++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) targets = locate ("sip:alice@example.com", BELL_SIP_TRANSPORT_ANY,
                                             ALL_DNS, fake, &error);
      g_autofree char *got = NULL;
      g_autofree char *log = fake_take_log (fake);

      g_assert_no_error (error);
      got = targets_to_string (targets);
      /* Both priority-10 targets (in either order, by weight), then the priority-20 one; one
       * entry per address, families in the resolver's order. */
      if (g_strcmp0 (got, "UDP 192.0.2.1:5060 (a.example.com); "
                          "UDP [2001:db8::2]:5062 (b.example.com); "
                          "UDP 192.0.2.2:5062 (b.example.com); "
                          "UDP 192.0.2.3:5070 (c.example.com)") != 0 &&
          g_strcmp0 (got, "UDP [2001:db8::2]:5062 (b.example.com); "
                          "UDP 192.0.2.2:5062 (b.example.com); "
                          "UDP 192.0.2.1:5060 (a.example.com); "
                          "UDP 192.0.2.3:5070 (c.example.com)") != 0)
        g_error ("unexpected order: %s", got);
      /* UDP is our first choice, so the other SRV names are not asked; the three targets
       * are resolved at once, in SRV order. */
      g_assert_true (g_str_equal (log, "SRV _sip._udp.example.com; A a.example.com; "
                                       "A b.example.com; A c.example.com") ||
                     g_str_equal (log, "SRV _sip._udp.example.com; A b.example.com; "
                                       "A a.example.com; A c.example.com"));
    }
  g_log_remove_handler ("bell-sip-locate", quiet_id);
}

/* Equal priority: both targets are always there, the heavier first most of the time. */
static void
test_srv_weight (void)
{
  g_autoptr(FakeResolver) fake = fake_resolver_new ();
  guint heavy_first = 0, runs = 200, quiet_id;

  fake_add_srv (fake, "_sip._udp.example.com",
                "10 10 5060 light.example.com, 10 90 5060 heavy.example.com");
  fake_add_name (fake, "light.example.com", "192.0.2.1");
  fake_add_name (fake, "heavy.example.com", "192.0.2.9");

  quiet_id = g_log_set_handler ("bell-sip-locate", G_LOG_LEVEL_DEBUG, drop_log, NULL);
  for (guint run = 0; run < runs; run++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) targets = locate ("sip:example.com", BELL_SIP_TRANSPORT_ANY, ALL_DNS,
                                             fake, &error);
      BellSipLocateTarget *first;

      g_assert_no_error (error);
      g_assert_cmpuint (targets->len, ==, 2);
      first = targets->pdata[0];
      if (g_str_equal (first->host, "heavy.example.com"))
        heavy_first++;
      else
        g_assert_cmpstr (first->host, ==, "light.example.com");
    }
  g_log_remove_handler ("bell-sip-locate", quiet_id);
  /* RFC 2782 gives the heavy one first about 90% of the time: far from both 0 and 200. */
  g_test_message ("heavy first in %u of %u", heavy_first, runs);
  g_assert_cmpuint (heavy_first, >, runs / 2);
  g_assert_cmpuint (heavy_first, <, runs);
}

static void
test_srv_tcp_only (void)
{
  g_autoptr(FakeResolver) fake = fake_resolver_new ();

  fake_add_srv (fake, "_sip._tcp.example.com", "0 0 5060 sip.example.com");
  fake_add_srv (fake, "_sips._tcp.example.com", "0 0 5061 sip.example.com");
  fake_add_name (fake, "sip.example.com", "192.0.2.10 2001:db8::10");

  check_locate ("sip:example.com", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
                "TCP 192.0.2.10:5060 (sip.example.com); TCP [2001:db8::10]:5060 (sip.example.com)");
  assert_log (fake, "SRV _sip._udp.example.com; SRV _sip._tcp.example.com; A sip.example.com");

  /* Without TCP in our set, the TLS records are used; the certificate name is the URI's. */
  check_locate ("sip:example.com", BELL_SIP_TRANSPORT_ANY,
                BELL_SIP_TRANSPORT_UDP | BELL_SIP_TRANSPORT_TLS, fake,
                "TLS 192.0.2.10:5061 (example.com); TLS [2001:db8::10]:5061 (example.com)");
  assert_log (fake, "SRV _sip._udp.example.com; SRV _sips._tcp.example.com; A sip.example.com");

  /* A "." target means "not here": the next service is asked. */
  fake_add_srv (fake, "_sip._udp.example.org", "0 0 0 .");
  fake_add_srv (fake, "_sip._tcp.example.org", "0 0 5060 sip.example.com");
  check_locate ("sip:example.org", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
                "TCP 192.0.2.10:5060 (sip.example.com); TCP [2001:db8::10]:5060 (sip.example.com)");
  assert_log (fake, "SRV _sip._udp.example.org; SRV _sip._tcp.example.org; A sip.example.com");
}

static void
test_srv_sips (void)
{
  g_autoptr(FakeResolver) fake = fake_resolver_new ();

  fake_add_srv (fake, "_sip._udp.example.com", "0 0 5060 udp.example.com");
  fake_add_srv (fake, "_sips._tcp.example.com",
                "0 0 5061 tls1.example.com, 1 0 5061 tls2.example.com");
  fake_add_name (fake, "tls1.example.com", "192.0.2.11");
  fake_add_name (fake, "tls2.example.com", "192.0.2.12");

  /* sips: asks only for _sips._tcp, and verifies the URI's domain, not the SRV target. */
  check_locate ("sips:bob@example.com", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
                "TLS 192.0.2.11:5061 (example.com); TLS 192.0.2.12:5061 (example.com)");
  assert_log (fake, "SRV _sips._tcp.example.com; A tls1.example.com; A tls2.example.com");
}

static void
test_no_srv (void)
{
  g_autoptr(FakeResolver) fake = fake_resolver_new ();

  fake_add_srv (fake, "_sip._tcp.example.com", "!tempfail");
  fake_add_name (fake, "example.com", "2001:db8::5 192.0.2.5");

  check_locate ("sip:example.com", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
                "UDP [2001:db8::5]:5060 (example.com); UDP 192.0.2.5:5060 (example.com)");
  assert_log (fake, "SRV _sip._udp.example.com; SRV _sip._tcp.example.com; "
                    "SRV _sips._tcp.example.com; A example.com");

  check_locate ("sips:example.com", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
                "TLS [2001:db8::5]:5061 (example.com); TLS 192.0.2.5:5061 (example.com)");
  assert_log (fake, "SRV _sips._tcp.example.com; A example.com");

  /* An explicit port: A/AAAA only, no SRV (§4.2). */
  check_locate ("sip:example.com:5080", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
                "UDP [2001:db8::5]:5080 (example.com); UDP 192.0.2.5:5080 (example.com)");
  check_locate ("sips:example.com:5081", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
                "TLS [2001:db8::5]:5081 (example.com); TLS 192.0.2.5:5081 (example.com)");
  assert_log (fake, "A example.com; A example.com");
}

static void
test_not_found (void)
{
  g_autoptr(FakeResolver) fake = fake_resolver_new ();

  check_error ("sip:alice@example.invalid", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
               G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "cannot resolve example.invalid: ");
  assert_log (fake, "SRV _sip._udp.example.invalid; SRV _sip._tcp.example.invalid; "
                    "SRV _sips._tcp.example.invalid; A example.invalid");

  fake_add_name (fake, "flaky.example.com", "!tempfail");
  check_error ("sip:flaky.example.com:5060", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
               G_RESOLVER_ERROR, G_RESOLVER_ERROR_TEMPORARY_FAILURE,
               "cannot resolve flaky.example.com: ");
}

/* Targets that do not resolve are left out; when none resolves, the first failure is told. */
static void
test_srv_target_fails (void)
{
  g_autoptr(FakeResolver) fake = fake_resolver_new ();

  fake_add_srv (fake, "_sip._udp.example.com",
                "0 0 5060 gone.example.com, 1 0 5060 ok.example.com, 2 0 5060 same.example.com");
  fake_add_name (fake, "ok.example.com", "192.0.2.40");
  fake_add_name (fake, "same.example.com", "192.0.2.40");   /* duplicate: listed once */
  check_locate ("sip:example.com", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
                "UDP 192.0.2.40:5060 (ok.example.com)");

  fake_add_srv (fake, "_sip._udp.example.net",
                "0 0 5060 gone.example.net, 1 0 5060 flaky.example.net");
  fake_add_name (fake, "flaky.example.net", "!tempfail");
  check_error ("sip:example.net", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake, G_RESOLVER_ERROR,
               G_RESOLVER_ERROR_NOT_FOUND, "cannot resolve gone.example.net: ");
}

static void
check_cancelled (const char *text, FakeResolver *fake, const char *expected_log)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) targets = NULL;

  targets = locate_full (text, BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake, cancellable, 20, &error);
  g_assert_null (targets);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_log (fake, expected_log);
}

static void
test_cancel (void)
{
  g_autoptr(FakeResolver) fake = fake_resolver_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) targets = NULL;

  /* While an SRV query hangs. */
  fake_add_srv (fake, "_sip._udp.example.com", "!hang");
  check_cancelled ("sip:example.com", fake, "SRV _sip._udp.example.com");

  /* While address lookups hang, one of them already answered. */
  fake_add_srv (fake, "_sip._udp.example.org", "0 0 5060 a.example.org, 1 0 5060 b.example.org");
  fake_add_name (fake, "a.example.org", "192.0.2.1");
  fake_add_name (fake, "b.example.org", "!hang");
  check_cancelled ("sip:example.org", fake,
                   "SRV _sip._udp.example.org; A a.example.org; A b.example.org");

  /* Cancelled before it starts: even without DNS the result is "cancelled". */
  g_cancellable_cancel (cancellable);
  targets = locate_full ("sip:192.0.2.1", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake, cancellable, 0,
                         &error);
  g_assert_null (targets);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_forced (void)
{
  g_autoptr(FakeResolver) fake = fake_resolver_new ();

  fake_add_srv (fake, "_sip._udp.example.com", "0 0 5060 udp.example.com");
  fake_add_srv (fake, "_sips._tcp.example.com", "0 0 5061 tls.example.com");
  fake_add_name (fake, "example.com", "192.0.2.50");
  fake_add_name (fake, "tls.example.com", "192.0.2.51");

  check_locate ("sip:192.0.2.1", BELL_SIP_TRANSPORT_TCP, ALL_DNS, fake,
                "TCP 192.0.2.1:5060 (192.0.2.1)");
  check_locate ("sip:192.0.2.1", BELL_SIP_TRANSPORT_TLS, ALL_DNS, fake,
                "TLS 192.0.2.1:5061 (192.0.2.1)");
  assert_log (fake, "");

  /* A name: only the forced transport's SRV, then A/AAAA with its default port. */
  check_locate ("sip:example.com", BELL_SIP_TRANSPORT_TCP, ALL_DNS, fake,
                "TCP 192.0.2.50:5060 (example.com)");
  assert_log (fake, "SRV _sip._tcp.example.com; A example.com");
  check_locate ("sip:example.com", BELL_SIP_TRANSPORT_TLS, ALL_DNS, fake,
                "TLS 192.0.2.51:5061 (example.com)");
  assert_log (fake, "SRV _sips._tcp.example.com; A tls.example.com");
  /* Forced TCP on a sips: URI is TLS, like transport=tcp. */
  check_locate ("sips:example.com", BELL_SIP_TRANSPORT_TCP, ALL_DNS, fake,
                "TLS 192.0.2.51:5061 (example.com)");
  assert_log (fake, "SRV _sips._tcp.example.com; A tls.example.com");

  check_error ("sips:example.com", BELL_SIP_TRANSPORT_UDP, ALL_DNS, fake, BELL_SIP_LOCATE_ERROR,
               BELL_SIP_LOCATE_ERROR_NO_TRANSPORT, "UDP cannot carry");
  check_error ("sip:example.com", BELL_SIP_TRANSPORT_TLS,
               BELL_SIP_TRANSPORT_UDP | BELL_SIP_TRANSPORT_TCP, fake, BELL_SIP_LOCATE_ERROR,
               BELL_SIP_LOCATE_ERROR_NO_TRANSPORT,
               "no usable transport for sip:example.com (TLS not supported)");
  check_error ("sip:example.com", BELL_SIP_TRANSPORT_WSS, BELL_SIP_TRANSPORT_ALL, fake,
               BELL_SIP_LOCATE_ERROR, BELL_SIP_LOCATE_ERROR_NO_TRANSPORT,
               "WSS is not located by DNS");
  assert_log (fake, "");
}

static void
test_supported (void)
{
  g_autoptr(FakeResolver) fake = fake_resolver_new ();

  fake_add_name (fake, "example.com", "192.0.2.60");

  /* SRV only for what we support; the A/AAAA fallback takes the first of those. */
  check_locate ("sip:example.com", BELL_SIP_TRANSPORT_ANY,
                BELL_SIP_TRANSPORT_TCP | BELL_SIP_TRANSPORT_WS, fake,
                "TCP 192.0.2.60:5060 (example.com)");
  assert_log (fake, "SRV _sip._tcp.example.com; A example.com");

  check_error ("sip:example.com", BELL_SIP_TRANSPORT_ANY,
               BELL_SIP_TRANSPORT_WS | BELL_SIP_TRANSPORT_WSS, fake, BELL_SIP_LOCATE_ERROR,
               BELL_SIP_LOCATE_ERROR_NO_TRANSPORT, "none of UDP, TCP, TLS supported");
  assert_log (fake, "");
}

static void
test_bad_uri (void)
{
  g_autoptr(FakeResolver) fake = fake_resolver_new ();

  check_error ("tel:+15551234567", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake, BELL_SIP_LOCATE_ERROR,
               BELL_SIP_LOCATE_ERROR_BAD_URI, "tel:");
  check_error ("sip:example.com;maddr=a%00b", BELL_SIP_TRANSPORT_ANY, ALL_DNS, fake,
               BELL_SIP_LOCATE_ERROR, BELL_SIP_LOCATE_ERROR_BAD_URI, "maddr");
  g_assert_cmpuint (fake->n_calls, ==, 0);
}

static void
test_target (void)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string ("2001:db8::7");
  BellSipLocateTarget target = { BELL_SIP_TRANSPORT_TLS, NULL, (char *) "sip.example.com", 5061 };
  g_autoptr(BellSipLocateTarget) copy = NULL;
  g_autofree char *text = NULL;

  target.address = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (inet, 5061));
  copy = bell_sip_locate_target_copy (&target);
  g_object_unref (target.address);
  text = bell_sip_locate_target_to_string (copy);
  g_assert_cmpstr (text, ==, "TLS [2001:db8::7]:5061 (sip.example.com)");
  bell_sip_locate_target_free (NULL);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sip/locate/numeric-ipv4", test_numeric_ipv4);
  g_test_add_func ("/sip/locate/numeric-ipv6", test_numeric_ipv6);
  g_test_add_func ("/sip/locate/sips-numeric", test_sips_numeric);
  g_test_add_func ("/sip/locate/transport-param", test_transport_param);
  g_test_add_func ("/sip/locate/maddr", test_maddr);
  g_test_add_func ("/sip/locate/srv-priority", test_srv_priority);
  g_test_add_func ("/sip/locate/srv-weight", test_srv_weight);
  g_test_add_func ("/sip/locate/srv-tcp-only", test_srv_tcp_only);
  g_test_add_func ("/sip/locate/srv-sips", test_srv_sips);
  g_test_add_func ("/sip/locate/no-srv", test_no_srv);
  g_test_add_func ("/sip/locate/not-found", test_not_found);
  g_test_add_func ("/sip/locate/srv-target-fails", test_srv_target_fails);
  g_test_add_func ("/sip/locate/cancel", test_cancel);
  g_test_add_func ("/sip/locate/forced", test_forced);
  g_test_add_func ("/sip/locate/supported", test_supported);
  g_test_add_func ("/sip/locate/bad-uri", test_bad_uri);
  g_test_add_func ("/sip/locate/target", test_target);

  return g_test_run ();
}
