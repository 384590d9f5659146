/* bench-register.c: Bellbird's core registering against a registrar (sipp), for
 * bench/run-register-bench.sh.
 *
 * Everything runs in this one thread on one GMainContext with the real clock, as the core
 * thread of the app does: a BellSipTransport listening on UDP 127.0.0.1 (any port) and a
 * BellSipTransactions on it. Two modes:
 *
 *   --mode max       --count N registrations of fresh bindings, each a REGISTER client
 *                    transaction through bell_sip_transactions_send, at most --window K in
 *                    flight at any time (a new one starts when one ends). Each binding has its
 *                    own To/From (user bb<i>), From tag, Call-ID, CSeq, Contact and Expires: the
 *                    header set of bell-sip-registration.c. With --password each binding is
 *                    challenged: the 401 is answered with bell_sip_credentials +
 *                    bell_sip_auth_answer (CSeq + 1, same Call-ID) on the flow of the challenge
 *                    (as the registration does), and the 200 to that ends it: 2 transactions
 *                    (and K counts bindings in flight).
 *                    Prints wall time and this process's CPU time (getrusage RUSAGE_SELF,
 *                    user + sys) from the first send to the last final response.
 *
 *   --mode accounts  M BellSipRegistration objects (the real state machine, sip:bb<i>@...),
 *                    all started at once, each asking for --expires seconds and refreshing by
 *                    itself (half-way, for short expiries). Prints "ready" once every account
 *                    has registered, then runs until SIGTERM/SIGINT or --seconds. The script
 *                    measures this process from outside (/proc), as it measures baresip.
 *
 * Exit status: 0 when every transaction / registration succeeded, 1 otherwise.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <glib-unix.h>

#include "bell-clock.h"
#include "bell-sip-auth.h"
#include "bell-sip-registration.h"
#include "bell-sip-transaction.h"
#include "bell-sip-transport.h"

typedef struct
{
  GMainLoop           *loop;
  BellSipTransactions *txns;
  GPtrArray           *targets;       /* one BellSipTarget: the registrar */
  char                *registrar_host;
  guint16              registrar_port;
  guint16              local_port;
  const char          *password;      /* NULL: no authentication */
  const char          *auth_user;
  guint                expires;

  /* max mode */
  guint                n;             /* registrations to run */
  guint                window;
  guint                started;
  guint                active;
  guint                done;          /* registrations that ended (either way) */
  guint                ok;            /* ... with a 200 */
  guint                failed;
  guint                transactions;  /* client transactions that ended */
  guint                challenges;

  /* accounts mode */
  GPtrArray           *regs;
  guint                registered_once;
  guint64              register_events;
  gboolean             stopping;
} Bench;

typedef struct
{
  Bench              *bench;
  guint               index;
  char               *call_id;
  char               *from_tag;
  guint32             cseq;
  BellSipCredentials *creds;
} Binding;

static void start_next (Bench *b);

static double
cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return (double) ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
         (double) ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void
binding_free (Binding *bd)
{
  g_free (bd->call_id);
  g_free (bd->from_tag);
  g_clear_pointer (&bd->creds, bell_sip_credentials_free);
  g_free (bd);
}

/* A REGISTER as bell-sip-registration.c builds one (§10.2), for binding bd. */
static BellSipMsg *
build_register (Bench *b, Binding *bd)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ruri = g_strdup_printf ("sip:%s:%u", b->registrar_host, b->registrar_port);
  g_autofree char *to = g_strdup_printf ("<sip:bb%u@%s:%u>", bd->index, b->registrar_host,
                                         b->registrar_port);
  g_autoptr(BellSipMsg) msg = bell_sip_msg_new_request (BELL_SIP_METHOD_REGISTER, NULL, ruri,
                                                        &error);
  gboolean ok;

  if (!msg)
    g_error ("REGISTER: %s", error->message);
  ok = bell_sip_msg_add_header (msg, "To", to, &error) &&
       bell_sip_msg_add_headerf (msg, "From", &error, "%s;tag=%s", to, bd->from_tag) &&
       bell_sip_msg_add_header (msg, "Call-ID", bd->call_id, &error) &&
       bell_sip_msg_add_headerf (msg, "CSeq", &error, "%u REGISTER", ++bd->cseq) &&
       bell_sip_msg_add_header (msg, "Max-Forwards", "70", &error) &&
       bell_sip_msg_add_headerf (msg, "Contact", &error,
                                 "<sip:bb%u@127.0.0.1:%u>;+sip.instance=\"<urn:uuid:00000000-0000-4000-8000-%012x>\";reg-id=1",
                                 bd->index, b->local_port, bd->index) &&
       bell_sip_msg_add_headerf (msg, "Expires", &error, "%u", b->expires) &&
       bell_sip_msg_add_header (msg, "Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS", &error) &&
       bell_sip_msg_add_header (msg, "Supported", "path, outbound", &error) &&
       bell_sip_msg_add_header (msg, "User-Agent", "Bellbird/" BELL_VERSION " bench", &error);
  if (!ok)
    g_error ("REGISTER: %s", error->message);
  return g_steal_pointer (&msg);
}

static void
binding_done (Binding *bd, gboolean ok, const char *why)
{
  Bench *b = bd->bench;

  b->active--;
  b->done++;
  if (ok)
    b->ok++;
  else
    {
      if (b->failed++ < 5)
        fprintf (stderr, "bench-register: bb%u: %s\n", bd->index, why);
    }
  binding_free (bd);
  if (b->done == b->n)
    g_main_loop_quit (b->loop);
  else
    start_next (b);
}

static void
on_response (BellSipTransaction *txn, BellSipMsg *response, const GError *error,
             gpointer user_data)
{
  Binding *bd = user_data;
  Bench *b = bd->bench;
  guint status;

  if (!response)
    {
      b->transactions++;
      binding_done (bd, FALSE, error ? error->message : "no response");
      bell_sip_transaction_unref (txn);
      return;
    }
  status = bell_sip_msg_get_status (response);
  if (status < 200)
    return;
  b->transactions++;
  if ((status == 401 || status == 407) && bd->creds)
    {
      g_autoptr(GError) auth_error = NULL;
      g_autoptr(BellSipMsg) again = build_register (b, bd);
      BellSipFlow *flow = bell_sip_transaction_get_flow (txn);

      b->challenges++;
      if (!bell_sip_auth_answer (bd->creds, response, again, &auth_error))
        {
          binding_done (bd, FALSE, auth_error->message);
          bell_sip_transaction_unref (txn);
          return;
        }
      /* As the registration does: the same server, over the flow that carried the challenge. */
      /* Its reference, like every one, is dropped in this callback when it ends. */
      (void) bell_sip_transactions_send_on_flow (b->txns, again, flow, on_response, bd, NULL);
      bell_sip_transaction_unref (txn);
      return;
    }
  if (status >= 200 && status < 300)
    binding_done (bd, TRUE, NULL);
  else
    {
      g_autofree char *why = g_strdup_printf ("answered %u", status);
      binding_done (bd, FALSE, why);
    }
  bell_sip_transaction_unref (txn);
}

static void
start_next (Bench *b)
{
  while (b->active < b->window && b->started < b->n)
    {
      Binding *bd = g_new0 (Binding, 1);
      g_autoptr(BellSipMsg) request = NULL;

      bd->bench = b;
      bd->index = b->started++;
      bd->call_id = g_strdup_printf ("%08x%08x%08x@bellbird", g_random_int (), g_random_int (),
                                     g_random_int ());
      bd->from_tag = g_strdup_printf ("%08x", g_random_int ());
      bd->cseq = g_random_int_range (1, 100000);
      if (b->password)
        bd->creds = bell_sip_credentials_new (b->auth_user, b->password);
      request = build_register (b, bd);
      b->active++;
      /* The transaction's reference is dropped when its final response (or error) comes. */
      (void) bell_sip_transactions_send (b->txns, request, b->targets, on_response, bd, NULL);
    }
}

static int
run_max (Bench *b)
{
  gint64 t0, t1;
  double c0, c1, wall, cpu;

  c0 = cpu_seconds ();
  t0 = g_get_monotonic_time ();
  start_next (b);
  g_main_loop_run (b->loop);
  t1 = g_get_monotonic_time ();
  c1 = cpu_seconds ();
  wall = (t1 - t0) / 1e6;
  cpu = c1 - c0;

  printf ("# bellbird max: %u registrations (%u ok, %u failed) = %u REGISTER transactions "
          "(%u challenged), window %u, in %.3f s wall, %.3f s CPU\n",
          b->n, b->ok, b->failed, b->transactions, b->challenges, b->window, wall, cpu);
  printf ("bellbird %u transactions in %.3f s: %.0f tps; CPU per 1000: %.1f ms\n",
          b->transactions, wall, b->transactions / wall, cpu * 1e6 / b->transactions);
  printf ("result mode=max transactions=%u registrations=%u failed=%u wall_s=%.6f cpu_s=%.6f "
          "tps=%.1f regps=%.1f cpu_ms_per_1000_txn=%.2f cpu_ms_per_1000_reg=%.2f\n",
          b->transactions, b->ok, b->failed, wall, cpu, b->transactions / wall, b->ok / wall,
          cpu * 1e6 / b->transactions, b->ok ? cpu * 1e6 / b->ok : 0.0);
  return b->failed == 0 && b->ok == b->n ? 0 : 1;
}

static void
on_reg_changed (BellSipRegistration *reg, gpointer user_data)
{
  Bench *b = user_data;

  if (bell_sip_registration_get_state (reg) == BELL_REG_REGISTERED)
    {
      b->register_events++;
      if (!g_object_get_data (G_OBJECT (reg), "bench-once"))
        {
          g_object_set_data (G_OBJECT (reg), "bench-once", GINT_TO_POINTER (1));
          if (++b->registered_once == b->regs->len)
            {
              printf ("ready: %u accounts registered\n", b->registered_once);
              fflush (stdout);
            }
        }
    }
  else if (bell_sip_registration_get_state (reg) == BELL_REG_FAILED && !b->stopping)
    {
      if (b->failed++ < 5)
        fprintf (stderr, "bench-register: %s: %s\n", bell_sip_registration_get_aor (reg),
                 bell_sip_registration_get_message (reg));
    }
}

static gboolean
on_stop (gpointer user_data)
{
  Bench *b = user_data;

  b->stopping = TRUE;
  g_main_loop_quit (b->loop);
  return G_SOURCE_REMOVE;
}

static void
add_source (GSource *source, Bench *b)
{
  g_source_set_callback (source, on_stop, b, NULL);
  g_source_attach (source, g_main_loop_get_context (b->loop));
  g_source_unref (source);
}

static int
run_accounts (Bench *b, guint accounts, double seconds)
{
  double c0 = cpu_seconds ();

  b->regs = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < accounts; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *aor = g_strdup_printf ("sip:bb%u@%s:%u", i, b->registrar_host,
                                              b->registrar_port);
      g_autofree char *registrar = g_strdup_printf ("sip:%s:%u", b->registrar_host,
                                                    b->registrar_port);
      BellRegConfig config = {
        .aor = aor,
        .auth_user = b->auth_user,
        .password = b->password,
        .registrar = registrar,
        .transport = BELL_SIP_TRANSPORT_UDP,
        .expires = b->expires,
        .retry_base_s = 1,
        .retry_max_s = 4,
      };
      BellSipRegistration *reg = bell_sip_registration_new (b->txns, &config, &error);

      if (!reg)
        g_error ("registration: %s", error->message);
      g_signal_connect (reg, "changed", G_CALLBACK (on_reg_changed), b);
      g_ptr_array_add (b->regs, reg);
    }
  for (guint i = 0; i < b->regs->len; i++)
    bell_sip_registration_start (b->regs->pdata[i]);

  /* On our context, not the global default one (g_timeout_add would never fire here). */
  add_source (g_unix_signal_source_new (SIGTERM), b);
  add_source (g_unix_signal_source_new (SIGINT), b);
  if (seconds > 0)
    add_source (g_timeout_source_new ((guint) (seconds * 1000)), b);
  g_main_loop_run (b->loop);

  printf ("# bellbird accounts: %u accounts, %u registered, %" G_GUINT64_FORMAT
          " successful REGISTERs seen, %u failures, %.3f s CPU in all\n",
          accounts, b->registered_once, b->register_events, b->failed, cpu_seconds () - c0);
  /* No un-REGISTER: the measurement is over, and baresip is not waited for either. */
  for (guint i = 0; i < b->regs->len; i++)
    g_signal_handlers_disconnect_by_data (b->regs->pdata[i], b);
  g_clear_pointer (&b->regs, g_ptr_array_unref);
  return b->registered_once == accounts ? 0 : 1;
}

int
main (int argc, char **argv)
{
  g_autofree char *mode = NULL;
  g_autofree char *registrar = NULL;
  g_autofree char *password = NULL;
  g_autofree char *auth_user = NULL;
  gint n = 20000, window = 50, accounts = 200, expires = 600;
  gdouble seconds = 0;
  GOptionEntry entries[] = {
    { "mode", 0, 0, G_OPTION_ARG_STRING, &mode, "max or accounts", "MODE" },
    { "registrar", 'r', 0, G_OPTION_ARG_STRING, &registrar, "the registrar (sipp)", "IP:PORT" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &n, "max: registrations to run (20000)", "N" },
    { "window", 'k', 0, G_OPTION_ARG_INT, &window, "max: transactions in flight (50)", "K" },
    { "accounts", 'm', 0, G_OPTION_ARG_INT, &accounts, "accounts: how many (200)", "M" },
    { "expires", 'e', 0, G_OPTION_ARG_INT, &expires, "Expires asked for (600)", "S" },
    { "seconds", 't', 0, G_OPTION_ARG_DOUBLE, &seconds, "accounts: stop after (0: at SIGTERM)", "S" },
    { "password", 'p', 0, G_OPTION_ARG_STRING, &password, "Digest password (none: no auth)", "PW" },
    { "auth-user", 'u', 0, G_OPTION_ARG_STRING, &auth_user, "Digest user name (bench)", "USER" },
    { NULL },
  };
  g_autoptr(GOptionContext) octx = g_option_context_new ("- REGISTER benchmark of Bellbird's core");
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(BellClock) clock = NULL;
  g_autoptr(BellSipTransport) transport = NULL;
  g_autoptr(GInetSocketAddress) address = NULL;
  BellSipTarget target = { 0 };
  Bench b = { 0 };
  const char *colon;
  guint64 port;
  int status;

  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      fprintf (stderr, "bench-register: %s\n", error->message);
      return 2;
    }
  if (!mode || (strcmp (mode, "max") != 0 && strcmp (mode, "accounts") != 0) || !registrar ||
      !(colon = strrchr (registrar, ':')) || !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535,
                                                                          &port, NULL) ||
      n < 1 || window < 1 || accounts < 1 || expires < 1)
    {
      fprintf (stderr, "usage: bench-register --mode max|accounts --registrar IP:PORT [options]\n");
      return 2;
    }

  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  clock = bell_clock_new_real (context);
  transport = bell_sip_transport_new (clock);
  if (!bell_sip_transport_listen (transport, BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, &error))
    {
      fprintf (stderr, "bench-register: listen: %s\n", error->message);
      return 1;
    }
  b.txns = bell_sip_transactions_new (transport, clock);
  b.loop = g_main_loop_new (context, FALSE);
  b.registrar_host = g_strndup (registrar, colon - registrar);
  b.registrar_port = (guint16) port;
  b.local_port = bell_sip_transport_get_port (transport, BELL_SIP_TRANSPORT_UDP,
                                              G_SOCKET_FAMILY_IPV4);
  b.password = password;
  b.auth_user = auth_user ? auth_user : "bench";
  b.expires = (guint) expires;
  b.n = (guint) n;
  b.window = (guint) window;

  address = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string (b.registrar_host,
                                                                          (guint) port));
  if (!address)
    {
      fprintf (stderr, "bench-register: %s is not an IP address\n", b.registrar_host);
      return 2;
    }
  target.kind = BELL_SIP_TRANSPORT_UDP;
  target.address = address;
  target.host = b.registrar_host;
  b.targets = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_sip_target_free);
  g_ptr_array_add (b.targets, bell_sip_target_copy (&target));

  if (strcmp (mode, "max") == 0)
    status = run_max (&b);
  else
    status = run_accounts (&b, (guint) accounts, seconds);
  fflush (stdout);

  /* Transactions still lingering (Timer K) go with the layer. */
  g_clear_object (&b.txns);
  g_ptr_array_unref (b.targets);
  g_main_loop_unref (b.loop);
  g_free (b.registrar_host);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  return status;
}
