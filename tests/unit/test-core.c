/* test-core.c: the core thread end to end on loopback: OPTIONS both ways, RFC 3263 failover
 * between SRV targets, the errors a user sees, calls, and accounts registered, replaced and
 * un-registered one by one. */
#include <gio/gio.h>
#include <string.h>

#include "bell-core.h"
#include "sip-test-util.h"
#include "fake-resolver.h"

#define TIMEOUT_MS 10000

typedef struct
{
  GPtrArray *events;   /* BellEvent */
} Recorder;

static void
on_event (BellCore *core, BellEvent *event, gpointer data)
{
  Recorder *r = data;
  g_ptr_array_add (r->events, bell_event_ref (event));
}

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main loop until r has an event called name; returns it. */
static BellEvent *
wait_event (Recorder *r, const char *name)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (TIMEOUT_MS, on_timeout, &timed_out);

  for (;;)
    {
      for (guint i = 0; i < r->events->len; i++)
        if (g_str_equal (bell_event_get_name (r->events->pdata[i]), name))
          {
            g_source_remove (id);
            return r->events->pdata[i];
          }
      g_assert_false (timed_out);
      g_main_context_iteration (NULL, TRUE);
    }
}

static BellCore *
start_core_full (guint listen, const char *address, guint16 port, gint auto_answer_ms,
                 Recorder *r)
{
  g_autoptr(GError) error = NULL;
  BellCoreConfig config = { .bind_address = address, .bind_port = port, .listen = listen,
                            .auto_answer_ms = auto_answer_ms };
  BellCore *core = bell_core_new (&config, &error);

  g_assert_no_error (error);
  g_signal_connect (core, "event", G_CALLBACK (on_event), r);
  return core;
}

static BellCore *
start_core (guint listen, const char *address, guint16 port, Recorder *r)
{
  return start_core_full (listen, address, port, -1, r);
}

/* The first "call" event in state state. */
static BellEvent *
wait_call_state (Recorder *r, const char *state)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (TIMEOUT_MS, on_timeout, &timed_out);

  for (;;)
    {
      for (guint i = 0; i < r->events->len; i++)
        {
          BellEvent *ev = r->events->pdata[i];
          if (g_str_equal (bell_event_get_name (ev), "call") &&
              g_strcmp0 (bell_event_get_string (ev, "state"), state) == 0)
            {
              g_source_remove (id);
              return ev;
            }
        }
      g_assert_false (timed_out);
      g_main_context_iteration (NULL, TRUE);
    }
}

/* Events still queued for the main loop would reach a recorder that is gone: disconnect. */
static void
stop_core (BellCore **core, Recorder *r)
{
  if (*core)
    g_signal_handlers_disconnect_by_data (*core, r);
  g_clear_object (core);
}

static void
recorder_init (Recorder *r)
{
  r->events = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_event_unref);
}

static void
recorder_clear (Recorder *r)
{
  g_ptr_array_unref (r->events);
}

/* A core answers OPTIONS with what it supports; another core asks, over UDP and TCP. */
static void
test_options_loopback (void)
{
  Recorder rs, rc;
  g_autoptr(BellCore) server = NULL;
  g_autoptr(BellCore) client = NULL;
  g_autofree char *uri = NULL;
  BellEvent *ev;
  guint16 port;

  recorder_init (&rs);
  recorder_init (&rc);
  server = start_core (BELL_SIP_TRANSPORT_UDP | BELL_SIP_TRANSPORT_TCP, "127.0.0.1", 0, &rs);
  port = bell_core_get_port (server, BELL_SIP_TRANSPORT_UDP);
  g_assert_cmpuint (port, >, 0);
  g_assert_cmpuint (bell_core_get_port (server, BELL_SIP_TRANSPORT_TCP), ==, port);
  client = start_core (BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, &rc);

  uri = g_strdup_printf ("sip:127.0.0.1:%u", port);
  bell_core_options (client, uri, BELL_SIP_TRANSPORT_ANY);
  ev = wait_event (&rc, "options");
  g_assert_null (bell_event_get_string (ev, "error"));
  g_assert_cmpint (bell_event_get_int (ev, "status", 0), ==, 200);
  g_assert_nonnull (strstr (bell_event_get_string (ev, "allow"), "OPTIONS"));
  g_assert_nonnull (strstr (bell_event_get_string (ev, "transport"), "UDP"));
  ev = wait_event (&rs, "incoming");
  g_assert_cmpstr (bell_event_get_string (ev, "method"), ==, "OPTIONS");
  g_assert_cmpint (bell_event_get_int (ev, "status", 0), ==, 200);

  g_ptr_array_set_size (rc.events, 0);
  bell_core_options (client, uri, BELL_SIP_TRANSPORT_TCP);
  ev = wait_event (&rc, "options");
  g_assert_cmpint (bell_event_get_int (ev, "status", 0), ==, 200);
  g_assert_nonnull (strstr (bell_event_get_string (ev, "transport"), "TCP"));

  stop_core (&client, &rc);
  stop_core (&server, &rs);
  recorder_clear (&rs);
  recorder_clear (&rc);
}

static guint16
dead_tcp_port (void)
{
  g_autoptr(GSocketListener) l = g_socket_listener_new ();
  guint16 port = g_socket_listener_add_any_inet_port (l, NULL, NULL);

  g_socket_listener_close (l);
  return port;
}

/* RFC 3261 §18.4: over UDP, a request to a port where nothing listens fails as soon as the
 * ICMP port unreachable comes back, not after Timer F or B (32 s): an OPTIONS and a call. */
static void
test_udp_port_unreachable (void)
{
  Recorder rc;
  g_autoptr(BellCore) client = NULL;
  g_autofree char *uri = g_strdup_printf ("sip:bob@127.0.0.1:%u", sip_test_dead_udp_port ());
  gint64 start;
  BellEvent *ev;

  recorder_init (&rc);
  client = start_core (BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, &rc);
  start = g_get_monotonic_time ();
  bell_core_options (client, uri, BELL_SIP_TRANSPORT_UDP);
  ev = wait_event (&rc, "options");
  g_assert_nonnull (strstr (bell_event_get_string (ev, "error"), "ICMP port unreachable"));
  /* Timer F would be 32 s; wait_event gives up after 10. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, TIMEOUT_MS * 1000);

  bell_core_call (client, uri, BELL_SIP_TRANSPORT_UDP);
  ev = wait_call_state (&rc, "ended");
  g_assert_cmpint (bell_event_get_int (ev, "code", 0), ==, 503);
  g_assert_nonnull (strstr (bell_event_get_string (ev, "reason"), "nothing listens on UDP"));
  g_assert_true (bell_event_get_bool (ev, "unreachable"));

  stop_core (&client, &rc);
  recorder_clear (&rc);
}

/* RFC 3263: SRV targets in priority order; the first refuses, the second answers. */
static void
test_options_srv_failover (void)
{
  Recorder rs, rc;
  g_autoptr(FakeResolver) fake = fake_resolver_new ();
  g_autoptr(GResolver) previous = g_resolver_get_default ();
  g_autoptr(BellCore) server = NULL;
  g_autoptr(BellCore) client = NULL;
  g_autofree char *srv = NULL;
  g_autofree char *port_text = NULL;
  g_autofree char *log = NULL;
  BellEvent *ev;
  guint16 port;

  recorder_init (&rs);
  recorder_init (&rc);
  server = start_core (BELL_SIP_TRANSPORT_TCP, "127.0.0.1", 0, &rs);
  port = bell_core_get_port (server, BELL_SIP_TRANSPORT_TCP);
  srv = g_strdup_printf ("10 0 %u dead.example.test, 20 0 %u live.example.test",
                         dead_tcp_port (), port);
  fake_add_srv (fake, "_sip._tcp.example.test", srv);
  fake_add_name (fake, "dead.example.test", "127.0.0.1");
  fake_add_name (fake, "live.example.test", "127.0.0.1");
  g_resolver_set_default (G_RESOLVER (fake));

  client = start_core (BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, &rc);
  bell_core_options (client, "sip:example.test", BELL_SIP_TRANSPORT_ANY);
  ev = wait_event (&rc, "options");
  g_resolver_set_default (previous);

  g_assert_null (bell_event_get_string (ev, "error"));
  g_assert_cmpint (bell_event_get_int (ev, "status", 0), ==, 200);
  port_text = g_strdup_printf (":%u", port);
  g_assert_nonnull (strstr (bell_event_get_string (ev, "transport"), port_text));
  log = fake_take_log (fake);
  g_assert_nonnull (strstr (log, "SRV _sip._tcp.example.test"));
  g_assert_cmpuint (fake->n_sync, ==, 0);

  stop_core (&client, &rc);
  stop_core (&server, &rs);
  recorder_clear (&rs);
  recorder_clear (&rc);
}

/* What a user is told when the name does not resolve or nothing listens. */
static void
test_options_errors (void)
{
  Recorder rc;
  g_autoptr(FakeResolver) fake = fake_resolver_new ();
  g_autoptr(GResolver) previous = g_resolver_get_default ();
  g_autoptr(BellCore) client = NULL;
  g_autofree char *uri = NULL;
  BellEvent *ev;

  recorder_init (&rc);
  g_resolver_set_default (G_RESOLVER (fake));
  client = start_core (BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, &rc);
  bell_core_options (client, "sip:nowhere.example.test", BELL_SIP_TRANSPORT_ANY);
  ev = wait_event (&rc, "options");
  g_assert_nonnull (strstr (bell_event_get_string (ev, "error"), "nowhere.example.test"));
  g_resolver_set_default (previous);

  g_ptr_array_set_size (rc.events, 0);
  uri = g_strdup_printf ("sip:127.0.0.1:%u", dead_tcp_port ());
  bell_core_options (client, uri, BELL_SIP_TRANSPORT_TCP);
  ev = wait_event (&rc, "options");
  g_assert_nonnull (strstr (bell_event_get_string (ev, "error"), "refused"));

  g_ptr_array_set_size (rc.events, 0);
  bell_core_options (client, "sip:[bad", BELL_SIP_TRANSPORT_ANY);
  ev = wait_event (&rc, "options");
  g_assert_nonnull (bell_event_get_string (ev, "error"));

  stop_core (&client, &rc);
  recorder_clear (&rc);
}

/* A port in use is refused at start, with the reason. */
static void
test_bind_in_use (void)
{
  Recorder r;
  g_autoptr(BellCore) first = NULL;
  g_autoptr(GError) error = NULL;
  BellCoreConfig config = { .bind_address = "127.0.0.1", .listen = BELL_SIP_TRANSPORT_TCP };
  BellCore *second;

  recorder_init (&r);
  first = start_core (BELL_SIP_TRANSPORT_TCP, "127.0.0.1", 0, &r);
  config.bind_port = bell_core_get_port (first, BELL_SIP_TRANSPORT_TCP);
  second = bell_core_new (&config, &error);
  g_assert_null (second);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "TCP"));

  /* TLS without a certificate is a configuration error, before any socket. */
  g_clear_error (&error);
  config.listen = BELL_SIP_TRANSPORT_TLS;
  g_assert_null (bell_core_new (&config, &error));
  g_assert_error (error, BELL_CORE_ERROR, BELL_CORE_ERROR_CONFIG);
  stop_core (&first, &r);
  recorder_clear (&r);
}

/* Two cores on loopback, the caller (UDP) calling the callee: the calls' common set-up. */
typedef struct
{
  Recorder  rs, rc;   /* the callee's and the caller's events */
  BellCore *callee;
  BellCore *caller;
} CallPair;

/* Starts both cores and places the call: over UDP, or TCP when callee_tcp (the URI says so);
 * the callee answers after auto_answer_ms (-1: it only rings). */
static void
call_pair_start (CallPair *p, gboolean callee_tcp, gint auto_answer_ms)
{
  BellSipTransportKind kind = callee_tcp ? BELL_SIP_TRANSPORT_TCP : BELL_SIP_TRANSPORT_UDP;
  g_autofree char *uri = NULL;

  recorder_init (&p->rs);
  recorder_init (&p->rc);
  p->callee = start_core_full (kind, "127.0.0.1", 0, auto_answer_ms, &p->rs);
  p->caller = start_core (BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, &p->rc);
  uri = g_strdup_printf ("sip:bob@127.0.0.1:%u%s", bell_core_get_port (p->callee, kind),
                         callee_tcp ? ";transport=tcp" : "");
  bell_core_call (p->caller, uri, BELL_SIP_TRANSPORT_ANY);
}

static void
call_pair_stop (CallPair *p)
{
  stop_core (&p->caller, &p->rc);
  stop_core (&p->callee, &p->rs);
  recorder_clear (&p->rs);
  recorder_clear (&p->rc);
}

/* A direct call between two cores: rung, answered, hung up by the caller (BYE). */
static void
test_call_answered (void)
{
  CallPair p;
  BellEvent *ev;

  call_pair_start (&p, FALSE, 0);
  wait_call_state (&p.rc, "ringing");
  ev = wait_call_state (&p.rc, "connected");
  g_assert_cmpint (bell_event_get_int (ev, "code", 0), ==, 200);
  wait_call_state (&p.rs, "connected");
  bell_core_hangup (p.caller, 0);
  wait_call_state (&p.rc, "ended");
  ev = wait_call_state (&p.rs, "ended");
  g_assert_nonnull (strstr (bell_event_get_string (ev, "reason"), "hung up"));
  call_pair_stop (&p);
}

/* The caller gives up while the callee rings: CANCEL, 487 on both sides. */
static void
test_call_cancelled (void)
{
  CallPair p;
  BellEvent *ev;

  call_pair_start (&p, FALSE, -1);   /* rings only */
  wait_call_state (&p.rs, "incoming");
  wait_call_state (&p.rc, "ringing");
  bell_core_hangup (p.caller, 0);
  ev = wait_call_state (&p.rc, "ended");
  g_assert_cmpint (bell_event_get_int (ev, "code", 0), ==, 487);
  ev = wait_call_state (&p.rs, "ended");
  g_assert_cmpint (bell_event_get_int (ev, "code", 0), ==, 487);
  call_pair_stop (&p);
}

/* The callee declines: the caller hears 603 and the call ends. */
static void
test_call_declined (void)
{
  CallPair p;
  BellEvent *ev;

  call_pair_start (&p, TRUE, -1);
  ev = wait_call_state (&p.rs, "incoming");
  bell_core_hangup (p.callee, (guint) bell_event_get_int (ev, "id", 0));
  ev = wait_call_state (&p.rc, "ended");
  g_assert_cmpint (bell_event_get_int (ev, "code", 0), ==, 603);
  call_pair_stop (&p);
}

/* A registrar on a UDP socket of the test's main context: answers every REGISTER 200 with the
 * Expires asked, and keeps "CALL-ID EXPIRES" per REGISTER in the order received. */
typedef struct
{
  GSocket   *socket;
  GSource   *source;
  guint16    port;
  GPtrArray *seen;   /* char *: "call-id expires" */
  char      *last_register;   /* the whole of the last REGISTER */
  guint      unregister_delay_ms;   /* answer Expires: 0 this late ("ID 0-answered" in seen) */
  char      *last_invite;     /* the whole of the last INVITE (not answered) */
} Registrar;

/* The value of header name (first line that starts with it), or NULL. */
static char *
header_value (const char *msg, const char *name)
{
  g_auto(GStrv) lines = g_strsplit (msg, "\r\n", -1);

  for (guint i = 1; lines[i] && *lines[i]; i++)
    if (g_ascii_strncasecmp (lines[i], name, strlen (name)) == 0 && lines[i][strlen (name)] == ':')
      return g_strstrip (g_strdup (lines[i] + strlen (name) + 1));
  return NULL;
}

typedef struct
{
  Registrar      *reg;
  GSocketAddress *to;
  char           *text;
  char           *call_id;
} DelayedReply;

static gboolean
send_delayed (gpointer data)
{
  DelayedReply *d = data;

  g_socket_send_to (d->reg->socket, d->to, d->text, strlen (d->text), NULL, NULL);
  g_ptr_array_add (d->reg->seen, g_strdup_printf ("%s 0-answered", d->call_id));
  g_object_unref (d->to);
  g_free (d->text);
  g_free (d->call_id);
  g_free (d);
  return G_SOURCE_REMOVE;
}

static gboolean
on_register (GSocket *socket, GIOCondition condition, gpointer data)
{
  Registrar *reg = data;
  char buf[4096];
  g_autoptr(GSocketAddress) from = NULL;
  gssize n = g_socket_receive_from (socket, &from, buf, sizeof buf - 1, NULL, NULL);
  g_autoptr(GString) reply = g_string_new ("SIP/2.0 200 OK\r\n");
  g_auto(GStrv) lines = NULL;
  g_autofree char *call_id = NULL, *expires = NULL, *contact = NULL;

  if (n <= 0)
    return G_SOURCE_CONTINUE;
  buf[n] = '\0';
  if (g_str_has_prefix (buf, "INVITE "))
    {
      g_free (reg->last_invite);
      reg->last_invite = g_strdup (buf);
    }
  if (!g_str_has_prefix (buf, "REGISTER "))
    return G_SOURCE_CONTINUE;
  g_free (reg->last_register);
  reg->last_register = g_strdup (buf);
  call_id = header_value (buf, "Call-ID");
  expires = header_value (buf, "Expires");
  contact = header_value (buf, "Contact");
  g_ptr_array_add (reg->seen, g_strdup_printf ("%s %s", call_id, expires ? expires : "-"));
  lines = g_strsplit (buf, "\r\n", -1);
  for (guint i = 1; lines[i] && *lines[i]; i++)
    if (g_str_has_prefix (lines[i], "Via:") || g_str_has_prefix (lines[i], "From:") ||
        g_str_has_prefix (lines[i], "Call-ID:") || g_str_has_prefix (lines[i], "CSeq:"))
      g_string_append_printf (reply, "%s\r\n", lines[i]);
    else if (g_str_has_prefix (lines[i], "To:"))
      g_string_append_printf (reply, "%s;tag=reg\r\n", lines[i]);
  if (contact && expires && !g_str_equal (expires, "0"))
    g_string_append_printf (reply, "Contact: %s;expires=%s\r\n", contact, expires);
  g_string_append (reply, "Content-Length: 0\r\n\r\n");
  if (reg->unregister_delay_ms && expires && g_str_equal (expires, "0"))
    {
      DelayedReply *d = g_new0 (DelayedReply, 1);

      d->reg = reg;
      d->to = g_object_ref (from);
      d->text = g_string_free (g_steal_pointer (&reply), FALSE);
      d->call_id = g_steal_pointer (&call_id);
      g_timeout_add (reg->unregister_delay_ms, send_delayed, d);
      return G_SOURCE_CONTINUE;
    }
  g_socket_send_to (socket, from, reply->str, reply->len, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

static void
registrar_start (Registrar *reg)
{
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  reg->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_assert_nonnull (reg->socket);
  g_assert_true (g_socket_bind (reg->socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (reg->socket, NULL);
  reg->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  reg->source = g_socket_create_source (reg->socket, G_IO_IN, NULL);
  g_source_set_callback (reg->source, (GSourceFunc) (void (*) (void)) on_register, reg, NULL);
  g_source_attach (reg->source, NULL);
  reg->seen = g_ptr_array_new_with_free_func (g_free);
}

static void
registrar_stop (Registrar *reg)
{
  g_source_destroy (reg->source);
  g_source_unref (reg->source);
  g_object_unref (reg->socket);
  g_ptr_array_unref (reg->seen);
  g_free (reg->last_register);
  g_free (reg->last_invite);
}

static void
register_account (BellCore *core, const char *aor, guint16 port, const char *password)
{
  g_autofree char *registrar = g_strdup_printf ("sip:127.0.0.1:%u", port);
  BellRegConfig config = { .aor = aor, .password = password, .registrar = registrar,
                           .transport = BELL_SIP_TRANSPORT_UDP, .expires = 600 };

  bell_core_register (core, &config);
}

/* The n-th "registration" event for aor in state state (n from 1). */
static void
wait_registration (Recorder *r, const char *aor, const char *state, guint n)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (TIMEOUT_MS, on_timeout, &timed_out);

  for (;;)
    {
      guint seen = 0;

      for (guint i = 0; i < r->events->len; i++)
        {
          BellEvent *ev = r->events->pdata[i];
          if (g_str_equal (bell_event_get_name (ev), "registration") &&
              g_strcmp0 (bell_event_get_string (ev, "aor"), aor) == 0 &&
              g_strcmp0 (bell_event_get_string (ev, "state"), state) == 0 && ++seen == n)
            {
              g_source_remove (id);
              return;
            }
        }
      g_assert_false (timed_out);
      g_main_context_iteration (NULL, TRUE);
    }
}

static guint
count_events (Recorder *r, const char *name)
{
  guint n = 0;

  for (guint i = 0; i < r->events->len; i++)
    n += g_str_equal (bell_event_get_name (r->events->pdata[i]), name);
  return n;
}

/* Returns once the commands given to core so far have run. A command waits in the core
 * thread's queue, while a datagram that arrives meanwhile may be read first; an OPTIONS to
 * itself, queued after them, is answered only after they ran. Its event is taken out of r. */
static void
wait_commands_done (BellCore *core, Recorder *r)
{
  g_autofree char *self = g_strdup_printf ("sip:127.0.0.1:%u",
                                           bell_core_get_port (core, BELL_SIP_TRANSPORT_UDP));
  guint before = count_events (r, "options");

  bell_core_options (core, self, BELL_SIP_TRANSPORT_UDP);
  for (gint64 end = g_get_monotonic_time () + TIMEOUT_MS * 1000; count_events (r, "options") == before;)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, TRUE);
    }
  for (guint i = r->events->len; i > 0; i--)
    if (g_str_equal (bell_event_get_name (r->events->pdata[i - 1]), "options"))
      {
        g_assert_cmpint (bell_event_get_int (r->events->pdata[i - 1], "status", 0), ==, 200);
        g_ptr_array_remove_index (r->events, i - 1);
        break;
      }
}

/* Registering an account again (a new password) replaces its registration: the old binding
 * is removed (Expires: 0 on the old Call-ID) before the new one is asked for. */
static void
test_register_again_replaces (void)
{
  Recorder r;
  Registrar reg = { 0 };
  g_autoptr(BellCore) core = NULL;
  g_auto(GStrv) first = NULL, second = NULL, third = NULL;

  recorder_init (&r);
  registrar_start (&reg);
  core = start_core (BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, &r);
  register_account (core, "sip:alice@example.com", reg.port, "old");
  wait_registration (&r, "sip:alice@example.com", "registered", 1);
  register_account (core, "sip:alice@example.com", reg.port, "new");
  wait_registration (&r, "sip:alice@example.com", "registered", 2);
  g_assert_cmpuint (reg.seen->len, ==, 3);
  first = g_strsplit (reg.seen->pdata[0], " ", 2);
  second = g_strsplit (reg.seen->pdata[1], " ", 2);
  third = g_strsplit (reg.seen->pdata[2], " ", 2);
  g_assert_cmpstr (first[1], ==, "600");
  g_assert_cmpstr (second[0], ==, first[0]);
  g_assert_cmpstr (second[1], ==, "0");
  g_assert_cmpstr (third[0], !=, first[0]);
  g_assert_cmpstr (third[1], ==, "600");
  stop_core (&core, &r);
  registrar_stop (&reg);
  recorder_clear (&r);
}

/* One account un-registered leaves the other; un-registering all twice reports twice. */
static void
test_unregister_one_then_all (void)
{
  Recorder r;
  Registrar reg = { 0 };
  g_autoptr(BellCore) core = NULL;
  BellEvent *ev;

  recorder_init (&r);
  registrar_start (&reg);
  core = start_core (BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, &r);
  register_account (core, "sip:alice@example.com", reg.port, "a");
  register_account (core, "sip:bob@example.com", reg.port, "b");
  wait_registration (&r, "sip:alice@example.com", "registered", 1);
  wait_registration (&r, "sip:bob@example.com", "registered", 1);
  bell_core_unregister (core, "sip:alice@EXAMPLE.COM");   /* the host compares caselessly */
  ev = wait_event (&r, "unregistered");
  g_assert_cmpstr (bell_event_get_string (ev, "aor"), ==, "sip:alice@example.com");
  g_assert_cmpuint (reg.seen->len, ==, 3);
  g_assert_true (g_str_has_suffix (reg.seen->pdata[2], " 0"));
  g_ptr_array_set_size (r.events, 0);
  bell_core_unregister_all (core);
  ev = wait_event (&r, "unregistered");
  g_assert_null (bell_event_get_string (ev, "aor"));
  g_assert_cmpuint (reg.seen->len, ==, 4);   /* bob's Expires: 0; alice is not asked again */
  g_ptr_array_set_size (r.events, 0);
  bell_core_unregister_all (core);          /* nothing left: reported at once, not never */
  wait_event (&r, "unregistered");
  g_assert_cmpuint (count_events (&r, "unregistered"), ==, 1);
  g_assert_cmpuint (reg.seen->len, ==, 4);
  stop_core (&core, &r);
  registrar_stop (&reg);
  recorder_clear (&r);
}

/* An incoming call names the account whose registrar sent it; a direct call names none. */
static void
test_incoming_account (void)
{
  Recorder r, rc;
  Registrar reg = { 0 };
  g_autoptr(BellCore) core = NULL, caller = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) to = NULL;
  g_autofree char *direct = NULL, *invite = NULL;
  BellEvent *ev;

  recorder_init (&r);
  recorder_init (&rc);
  registrar_start (&reg);
  core = start_core (BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, &r);
  register_account (core, "sip:alice@example.com", reg.port, "a");
  wait_registration (&r, "sip:alice@example.com", "registered", 1);

  /* With an account, a direct call is refused by default: a quiet 403, no ringing. */
  caller = start_core (BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, &rc);
  direct = g_strdup_printf ("sip:alice@127.0.0.1:%u", bell_core_get_port (core, BELL_SIP_TRANSPORT_UDP));
  bell_core_call (caller, direct, BELL_SIP_TRANSPORT_UDP);
  ev = wait_call_state (&rc, "ended");
  g_assert_cmpint (bell_event_get_int (ev, "code", 0), ==, 403);
  ev = wait_event (&r, "protection");
  g_assert_cmpint (bell_event_get_int (ev, "policy_refused", 0), ==, 1);
  g_assert_cmpuint (count_events (&r, "call"), ==, 0);
  g_ptr_array_set_size (rc.events, 0);

  /* The user lets direct calls in: it rings, as no account's. */
  bell_core_set_direct_calls (core, BELL_DIRECT_CALLS_ACCEPT, NULL);
  wait_commands_done (core, &r);
  bell_core_call (caller, direct, BELL_SIP_TRANSPORT_UDP);
  ev = wait_call_state (&r, "incoming");
  g_assert_null (bell_event_get_string (ev, "account"));
  g_assert_null (bell_event_get_string (ev, "service"));
  bell_core_hangup (caller, 0);
  wait_call_state (&r, "ended");
  g_ptr_array_set_size (r.events, 0);
  bell_core_set_direct_calls (core, BELL_DIRECT_CALLS_AUTO, NULL);

  invite = g_strdup_printf ("INVITE sip:alice@127.0.0.1:%u SIP/2.0\r\n"
                            "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-registrar-1;rport\r\n"
                            "Max-Forwards: 70\r\n"
                            "From: <sip:carol@example.com>;tag=c1\r\n"
                            "To: <sip:alice@example.com>\r\n"
                            "Call-ID: through-the-registrar@test\r\n"
                            "CSeq: 1 INVITE\r\n"
                            "Contact: <sip:carol@127.0.0.1:%u>\r\n"
                            "Content-Length: 0\r\n\r\n",
                            bell_core_get_port (core, BELL_SIP_TRANSPORT_UDP), reg.port, reg.port);
  to = g_inet_socket_address_new (lo, bell_core_get_port (core, BELL_SIP_TRANSPORT_UDP));
  g_assert_cmpint (g_socket_send_to (reg.socket, to, invite, strlen (invite), NULL, NULL), >, 0);
  ev = wait_call_state (&r, "incoming");
  g_assert_cmpstr (bell_event_get_string (ev, "account"), ==, "sip:alice@example.com");
  bell_core_hangup (core, 0);

  stop_core (&caller, &rc);
  stop_core (&core, &r);
  registrar_stop (&reg);
  recorder_clear (&rc);
  recorder_clear (&r);
}

/* A raw UDP peer: sends one INVITE (From from, extra headers) to port and returns the status
 * of the first answer within wait_ms, 0 when none came. */
static guint
raw_invite_status (GSocket *socket, guint16 port, const char *from, const char *extra,
                   guint wait_ms)
{
  static guint n;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) to = g_inet_socket_address_new (lo, port);
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (socket, NULL);
  guint16 own = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  guint k = ++n;
  g_autofree char *invite = g_strdup_printf (
    "INVITE sip:alice@127.0.0.1:%u SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-raw-%u;rport\r\n"
    "Max-Forwards: 70\r\n"
    "From: %s;tag=r%u\r\n"
    "To: <sip:alice@127.0.0.1>\r\n"
    "Call-ID: raw-%u@test\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:x@127.0.0.1:%u>\r\n"
    "%s"
    "Content-Length: 0\r\n\r\n", port, own, k, from, k, k, own, extra);
  g_autofree char *call_id = g_strdup_printf ("raw-%u@test", k);
  gint64 end = g_get_monotonic_time () + wait_ms * 1000;

  g_assert_cmpint (g_socket_send_to (socket, to, invite, strlen (invite), NULL, NULL), >, 0);
  while (g_get_monotonic_time () < end)
    {
      char buf[4096];
      gssize got;

      /* The core's events wait on this thread's main context meanwhile. */
      g_main_context_iteration (NULL, FALSE);
      if (!g_socket_condition_timed_wait (socket, G_IO_IN, 20000, NULL, NULL))
        continue;
      got = g_socket_receive (socket, buf, sizeof buf - 1, NULL, NULL);
      buf[MAX (got, 0)] = '\0';
      /* Only answers to this INVITE (2xx of the ones before come again until ACKed). */
      if (got > 12 && g_str_has_prefix (buf, "SIP/2.0 ") && strstr (buf, call_id))
        {
          guint status = (guint) g_ascii_strtoull (buf + 8, NULL, 10);
          if (status >= 200)
            return status;
        }
    }
  return 0;
}

/* Direct calls limited to contacts: a contact at an IP address rings only from there; anyone
 * else gets a quiet 403; a scanner gets no answer at all. */
static void
test_direct_calls_contacts (void)
{
  Recorder r;
  g_autoptr(BellCore) core = NULL;
  g_autoptr(GSocket) peer = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                          G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  const char *contacts[] = { "sip:carol@127.0.0.1", "sip:dave@192.0.2.7", "sip:erin@example.com", NULL };
  BellEvent *ev;
  guint16 port;

  recorder_init (&r);
  g_assert_true (g_socket_bind (peer, any, FALSE, NULL));
  core = start_core_full (BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, 0, &r);
  port = bell_core_get_port (core, BELL_SIP_TRANSPORT_UDP);
  bell_core_set_direct_calls (core, BELL_DIRECT_CALLS_CONTACTS, contacts);
  wait_commands_done (core, &r);

  g_assert_cmpuint (raw_invite_status (peer, port, "<sip:mallory@127.0.0.1>", "", 3000), ==, 403);
  /* dave is a contact, but his address is not where this comes from. */
  g_assert_cmpuint (raw_invite_status (peer, port, "<sip:dave@192.0.2.7>", "", 3000), ==, 403);
  g_assert_cmpuint (raw_invite_status (peer, port, "\"Carol\" <sip:carol@127.0.0.1>", "", 3000), ==, 200);
  ev = wait_call_state (&r, "incoming");
  g_assert_cmpstr (bell_event_get_string (ev, "peer"), !=, NULL);
  g_assert_cmpuint (raw_invite_status (peer, port, "<sip:erin@example.com>", "", 3000), ==, 200);
  /* A scanner gets nothing, not even a 403: silence tells it nobody is here. */
  g_assert_cmpuint (raw_invite_status (peer, port, "<sip:100@127.0.0.1>",
                                       "User-Agent: friendly-scanner\r\n", 700), ==, 0);
  for (gint64 end = g_get_monotonic_time () + TIMEOUT_MS * 1000;;)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      ev = NULL;
      for (guint i = r.events->len; i > 0 && !ev; i--)
        if (g_str_equal (bell_event_get_name (r.events->pdata[i - 1]), "protection"))
          ev = r.events->pdata[i - 1];
      if (ev && bell_event_get_int (ev, "scanner_dropped", 0) == 1)
        break;
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpint (bell_event_get_int (ev, "policy_refused", 0), ==, 2);
  bell_core_hangup (core, 0);
  stop_core (&core, &r);
  recorder_clear (&r);
}

/* An account with an outbound proxy: its REGISTERs and its calls go to the proxy with a Route
 * to it, whatever the registrar's and the callee's own names (which do not even resolve); and
 * its own SRTP policy (mandatory) over the core's (auto: none over UDP). */
static void
test_outbound_proxy (void)
{
  Recorder r;
  Registrar reg = { 0 };
  g_autoptr(BellCore) core = NULL;
  g_autofree char *proxy = NULL, *route = NULL;
  BellRegConfig config = { .aor = "sip:alice@example.invalid", .password = "a",
                           .registrar = "sip:registrar.invalid", .transport = BELL_SIP_TRANSPORT_UDP,
                           .expires = 600, .srtp = "mandatory" };
  gboolean timed_out = FALSE;
  guint id;

  recorder_init (&r);
  registrar_start (&reg);
  proxy = g_strdup_printf ("127.0.0.1:%u", reg.port);
  route = g_strdup_printf ("Route: <sip:127.0.0.1:%u;lr>\r\n", reg.port);
  config.outbound_proxy = proxy;
  core = start_core (BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, &r);
  bell_core_register (core, &config);
  wait_registration (&r, "sip:alice@example.invalid", "registered", 1);
  g_assert_true (g_str_has_prefix (reg.last_register, "REGISTER sip:registrar.invalid SIP/2.0\r\n"));
  g_assert_nonnull (strstr (reg.last_register, route));

  bell_core_call_auth (core, "sip:bob@callee.invalid", BELL_SIP_TRANSPORT_UDP,
                       "sip:alice@example.invalid", NULL, "a");
  id = g_timeout_add (TIMEOUT_MS, on_timeout, &timed_out);
  while (!reg.last_invite && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (id);
  g_assert_true (g_str_has_prefix (reg.last_invite, "INVITE sip:bob@callee.invalid SIP/2.0\r\n"));
  g_assert_nonnull (strstr (reg.last_invite, route));
  g_assert_nonnull (strstr (reg.last_invite, " RTP/SAVP "));
  g_assert_nonnull (strstr (reg.last_invite, "a=crypto:"));
  bell_core_hangup (core, 0);
  stop_core (&core, &r);
  registrar_stop (&reg);
  recorder_clear (&r);
}

/* Un-registered and registered again at once (an account disabled and enabled): the new
 * REGISTER waits for the old binding's Expires: 0, which has another Call-ID (a registrar
 * taking them the other way round would remove the new binding, RFC 3261 §10.3). */
static void
test_unregister_then_register (void)
{
  Recorder r;
  Registrar reg = { 0 };
  g_autoptr(BellCore) core = NULL;
  g_auto(GStrv) second = NULL, third = NULL, fourth = NULL;

  recorder_init (&r);
  registrar_start (&reg);
  reg.unregister_delay_ms = 300;
  core = start_core (BELL_SIP_TRANSPORT_UDP, "127.0.0.1", 0, &r);
  register_account (core, "sip:alice@example.com", reg.port, "a");
  wait_registration (&r, "sip:alice@example.com", "registered", 1);
  bell_core_unregister (core, "sip:alice@example.com");
  register_account (core, "sip:alice@example.com", reg.port, "a");
  wait_registration (&r, "sip:alice@example.com", "registered", 2);
  g_assert_cmpuint (reg.seen->len, ==, 4);
  second = g_strsplit (reg.seen->pdata[1], " ", 2);
  third = g_strsplit (reg.seen->pdata[2], " ", 2);
  fourth = g_strsplit (reg.seen->pdata[3], " ", 2);
  g_assert_cmpstr (second[1], ==, "0");
  g_assert_cmpstr (third[1], ==, "0-answered");
  g_assert_cmpstr (fourth[1], ==, "600");
  g_assert_cmpstr (fourth[0], !=, second[0]);
  stop_core (&core, &r);
  registrar_stop (&reg);
  recorder_clear (&r);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/options-loopback", test_options_loopback);
  g_test_add_func ("/core/options-srv-failover", test_options_srv_failover);
  g_test_add_func ("/core/options-errors", test_options_errors);
  g_test_add_func ("/core/udp-port-unreachable", test_udp_port_unreachable);
  g_test_add_func ("/core/bind-in-use", test_bind_in_use);
  g_test_add_func ("/core/call-answered", test_call_answered);
  g_test_add_func ("/core/call-cancelled", test_call_cancelled);
  g_test_add_func ("/core/call-declined", test_call_declined);
  g_test_add_func ("/core/register-again-replaces", test_register_again_replaces);
  g_test_add_func ("/core/unregister-one-then-all", test_unregister_one_then_all);
  g_test_add_func ("/core/unregister-then-register", test_unregister_then_register);
  g_test_add_func ("/core/incoming-account", test_incoming_account);
  g_test_add_func ("/core/outbound-proxy", test_outbound_proxy);
  g_test_add_func ("/core/direct-calls-contacts", test_direct_calls_contacts);

  return g_test_run ();
}
