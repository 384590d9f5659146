/* bellbird-cli: the Bellbird core without GTK, for terminals, scripts and tests. */
#define G_LOG_DOMAIN "bellbird-cli"

#include "config.h"

#include <inttypes.h>
#include <glib.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "bell-core.h"
#include "bell-media-codec.h"
#include "bell-media-session.h"
#include "bell-secret.h"
#include "bell-sip-msg.h"
#include "bell-sip-tls.h"
#include "cli-call-plan.h"

typedef struct
{
  /* options */
  char      *transport;
  char      *bind;
  char      *tls_ca;
  char      *tls_cert;
  char      *tls_key;
  char      *tls_pin;       /* the server certificate trusted although it does not verify */
  gboolean   tls_accept_untrusted;
  gboolean   events;
  double     duration;
  char      *user;
  char      *auth_user;
  char      *password_env;
  char      *registrar;
  char      *realm;         /* the Digest realm the password answers; NULL: the first one */
  char      *outbound_proxy;
  char      *stun_server;   /* calls ask it for their media's public address */
  int        expires;
  gboolean   once;
  double     auto_answer;   /* seconds; < 0: ring only */
  int        max_calls;
  int        max_concurrent; /* calls at once, more get 486; 0: the core's default */
  int        media_timeout; /* s without the peer's RTP/RTCP before a call is lost; 0: never;
                             * -1: the core's default */
  gboolean   call_waiting;
  int        reject;        /* refuse incoming calls with this status; 0: don't */
  char      *audio_in;
  char      *audio_out;
  gboolean   no_media;
  char      *dtmf;          /* digits to send once a call connects */
  char      *srtp;
  gboolean   echo_service;
  char      *direct_calls;  /* who may call other than through the registrar */
  char      *contacts;      /* "sip:a@x,sip:b@y": for --direct-calls contacts */
  gboolean   mute;
  char      *codecs;
  gboolean   low_bandwidth;
  char      *fec;           /* "on" (default) or "off": Opus FEC and RED */
  double     hold_after;    /* seconds; < 0: never */
  double     hold_for;
  char      *transfer_to;
  gboolean   attended;
  double     test_loss;     /* percent of the RTP sent to drop (testing) */
  double     test_loss_receive;  /* percent of the RTP received to drop (testing) */
  double     test_loss_burst;    /* mean burst of those drops, in packets; 0: random */

  /* run state */
  GMainLoop *loop;
  int        status;
  gboolean   loop_is_listen;
  gboolean   registered;
  gboolean   unregistering;
  gboolean   call_connected;
  gboolean   call_mode;
  gboolean   hanging_up;
  int        calls_ended;
  GHashTable *live_calls;   /* ids of calls not ended yet */
  CliCallPlan *plan;
  BellCore  *core;
  BellSipTransportKind kind;
  char      *call_after_register;  /* call --registrar: the URI to call once registered */
  const char *password;
} Cli;

static void
usage (FILE *out)
{
  fprintf (out, "%s",
           _("Usage: bellbird-cli [OPTIONS] COMMAND [ARGS]\n"
             "\n"
             "Commands:\n"
             "  parse FILE     Parse a SIP message as Bellbird's receive path does and print it\n"
             "                 re-serialized; a malformed message exits 1 with the reason.\n"
             "  options URI    Send an OPTIONS request and print the answer (reachability check).\n"
             "  listen         Listen for SIP requests and answer them, until interrupted or\n"
             "                 --duration seconds have passed.\n"
             "  call echo      Call Bellbird's own echo test: hear yourself (no account needed).\n"
             "  call URI       Call URI (sip:user@host[:port], directly or through a proxy) and\n"
             "                 hang up after --duration seconds of conversation (or when the\n"
             "                 other side does); exit 0 when the call was answered. With\n"
             "                 --registrar, --user registers first and calls as that account.\n"
             "  register       Register --user with its registrar and stay registered until\n"
             "                 interrupted, then un-register; --once: register, report, un-register.\n"
             "\n"
             "Options:\n"
             "  --transport udp|tcp|tls|ws|wss   transport to use (default: by RFC 3263)\n"
             "  --bind ADDR:PORT                 local address and port ([::1]:5060 for IPv6)\n"
             "  --tls-ca FILE                    trust only this CA for TLS (default: system)\n"
             "  --tls-cert FILE --tls-key FILE   certificate for listening on TLS\n"
             "  --tls-pin sha256:AB:CD:...       also trust the server certificate with this\n"
             "                                   SHA-256 fingerprint (shown when it is refused)\n"
             "  --tls-accept-untrusted           TESTING ONLY: accept any TLS certificate\n"
             "  --duration SECONDS               stop after this long\n"
             "  --user sip:USER@DOMAIN           the account (address of record; call and options:\n"
             "                                   the From, answering challenges with the password)\n"
             "  --auth-user NAME                 user name for Digest, if not USER\n"
             "  --password-env VAR               read the password from environment variable VAR\n"
             "  --registrar URI                  registrar (default: sip:DOMAIN)\n"
             "  --realm REALM                    answer Digest challenges for this realm only\n"
             "                                   (default: the first one that registers)\n"
             "  --outbound-proxy URI             send REGISTERs and calls through this proxy\n"
             "  --stun-server HOST[:PORT]        calls name the public RTP address it sees (NAT)\n"
             "  --expires SECONDS                registration interval asked for (default 600)\n"
             "  --once                           register once, report, un-register and exit\n"
             "  --auto-answer[=SECONDS]          listen: answer calls (after SECONDS, default 0)\n"
             "  --max-calls N                    listen: exit after N calls have ended\n"
             "  --max-concurrent N               calls at once; more are refused busy (default 4)\n"
             "  --media-timeout SECONDS          end a call when nothing came from the other side\n"
             "                                   for this long (default 30; 0: never)\n"
             "  --call-waiting                   --auto-answer puts the other calls on hold, as a\n"
             "                                   person answering a second call does\n"
             "  --reject CODE                    listen: refuse calls (486 busy, 603 decline)\n"
             "  --hold-after SECONDS             put each call on hold this long after it connects\n"
             "  --hold-for SECONDS               and take it off hold this long after that\n"
             "  --transfer-to URI                transfer each call to URI once it connects (after\n"
             "                                   the hold, with --hold-after)\n"
             "  --attended                       call URI first, then hand the call over to it\n"
             "  --audio-in default|tone|none|FILE.wav|pulse:DEV|alsa:DEV   what the other side\n"
             "                                   hears (default: the microphone; tone: 440 Hz)\n"
             "  --audio-out default|none|FILE.wav|pulse:DEV|alsa:DEV      where their voice goes\n"
             "  --no-media                       signalling only: no RTP, every stream inactive\n"
             "  --codecs opus,G722,PCMU,PCMA     codecs in the order wanted (PCMU and PCMA always)\n"
             "  --low-bandwidth                  a narrow stream: Opus at a low bitrate, preferred\n"
             "  --fec on|off                     Opus in-band FEC and RED redundancy when the path\n"
             "                                   loses packets (default: on)\n"
             "  --srtp off|optional|mandatory    SRTP keyed in SDP (default: optional over TLS,\n"
             "                                   off otherwise, as the keys travel in the SDP)\n"
             "  --dtmf DIGITS                    send DIGITS (0-9 * # A-D) once a call connects\n"
             "  --mute                           the microphone off in every call\n"
             "  --echo-service                   listen: answer calls to sip:echo@ with an echo test\n"
             "  --direct-calls auto|refuse|contacts|accept   who may call other than through\n"
             "                                   the registrar (default auto: nobody when --user\n"
             "                                   registers, anyone when there is no account);\n"
             "                                   refused calls get a quiet 403 and never ring\n"
             "  --contacts URI,URI               the contacts --direct-calls contacts lets in\n"
             "  --test-loss PERCENT              TESTING ONLY: drop PERCENT of the RTP packets sent\n"
             "                                   at random, as a lossy network would\n"
             "  --test-loss-receive PERCENT      TESTING ONLY: the same for the RTP received\n"
             "  --test-loss-burst N              TESTING ONLY: those losses come in bursts of N\n"
             "                                   packets on average (Gilbert-Elliott; 1: random)\n"
             "  --events                         print every event as one JSON object per line\n"));
}

/* Applies exactly the receive path's parse and validation to a message in a file. */
static int
cmd_parse (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) msg = NULL;
  g_autofree char *data = NULL;
  g_autofree char *printed = NULL;
  const char *reason = NULL;
  gsize len, out_len;
  guint code;

  if (argc != 2)
    {
      usage (stderr);
      return 2;
    }
  if (!g_file_get_contents (argv[1], &data, &len, &error))
    {
      fprintf (stderr, "error: %s\n", error->message);
      return 1;
    }
  msg = bell_sip_msg_parse (data, len, BELL_SIP_PARSE_DATAGRAM, &error);
  if (!msg)
    {
      fprintf (stderr, "error: %s\n", error->message);
      return 1;
    }
  printed = bell_sip_msg_to_string (msg, &out_len);
  fwrite (printed, 1, out_len, stdout);

  /* Well-formed but refused by the layer above: say how, but it is not a parse failure. */
  code = bell_sip_msg_check (msg, &reason);
  if (code)
    {
      if (bell_sip_msg_is_request (msg))
        fprintf (stderr, _("note: a user agent answers this request with %u (%s)\n"), code, reason);
      else
        fprintf (stderr, _("note: a user agent discards this response (%s)\n"), reason);
    }
  return 0;
}

/* "ADDR:PORT", "[V6]:PORT", "ADDR" or ":PORT". */
/* --codecs names only codecs Bellbird knows; one GStreamer cannot code here is left out of
 * the calls (said once, here). */
static gboolean
codecs_known (const char *list, GError **error)
{
  g_auto(GStrv) names = g_strsplit (list, ",", -1);

  for (guint i = 0; names[i]; i++)
    {
      g_strstrip (names[i]);
      if (!bell_codec_find (names[i]))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("unknown codec “%s” (opus, G722, PCMU or PCMA)"), names[i]);
          return FALSE;
        }
      if (!bell_media_can_code (names[i]))
        fprintf (stderr, _("warning: %s cannot be used here (its GStreamer plugin is missing): "
                           "it is not offered\n"), names[i]);
    }
  return TRUE;
}

static gboolean
parse_bind (const char *text, char **address, guint16 *port, GError **error)
{
  const char *colon;
  guint64 value = 0;

  *address = NULL;
  *port = 0;
  if (!text)
    return TRUE;
  if (text[0] == '[')
    {
      const char *close = strchr (text, ']');
      if (!close)
        goto bad;
      *address = g_strndup (text + 1, (gsize) (close - text - 1));
      colon = close[1] == ':' ? close + 1 : NULL;
      if (close[1] && !colon)
        goto bad;
    }
  else
    {
      colon = strrchr (text, ':');
      if (colon && strchr (text, ':') != colon)
        colon = NULL;   /* a bare IPv6 address */
      *address = colon ? g_strndup (text, (gsize) (colon - text)) : g_strdup (text);
    }
  if (*address && **address == '\0')
    g_clear_pointer (address, g_free);
  if (colon && (!g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &value, NULL)))
    goto bad;
  *port = (guint16) value;
  return TRUE;

bad:
  g_clear_pointer (address, g_free);
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               _("--bind wants ADDRESS:PORT, not “%s”"), text);
  return FALSE;
}

static gboolean
on_signal (gpointer data)
{
  Cli *cli = data;

  /* A call (made as an account or not: `call` registers nothing) ends with CANCEL or BYE
   * first; registered accounts un-register first ("unregistered" ends the loop); a second
   * signal does not wait. */
  if (cli->core && !cli->loop_is_listen && cli->call_mode && !cli->hanging_up)
    {
      /* A call ends with CANCEL or BYE first; "ended" then ends the loop. */
      cli->hanging_up = TRUE;
      bell_core_hangup (cli->core, 0);
    }
  else if (cli->user && !cli->unregistering)
    {
      cli->unregistering = TRUE;
      bell_core_unregister_all (cli->core);
    }
  else
    g_main_loop_quit (cli->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_duration (gpointer data)
{
  on_signal (data);
  return G_SOURCE_REMOVE;
}

static gboolean
on_call_duration (gpointer data)
{
  Cli *cli = data;

  bell_core_hangup (cli->core, 0);
  return G_SOURCE_REMOVE;
}

static gboolean
parse_auto_answer (const char *name, const char *value, gpointer data, GError **error)
{
  Cli *cli = data;

  cli->auto_answer = 0;
  if (value && (!g_ascii_string_to_signed (value, 10, 0, 3600, NULL, NULL)))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--auto-answer wants a number of seconds, not “%s”", value);
      return FALSE;
    }
  if (value)
    cli->auto_answer = g_ascii_strtod (value, NULL);
  return TRUE;
}

/* After a refused certificate: which one, and how to trust it if the user knows it is right. */
static void
print_cert_hint (const char *message)
{
  g_auto(BellSipTlsCertReport) cert = { 0 };

  if (!bell_sip_tls_cert_report_parse (message, &cert))
    return;
  if (cert.pinned)
    fprintf (stderr, _("warning: the server's certificate has changed: it is now %s (%s), "
                       "not %s. Trust the new one only if you know why it changed: "
                       "--tls-pin %s\n"), cert.fingerprint, cert.subject, cert.pinned,
             cert.fingerprint);
  else
    fprintf (stderr, _("the server's certificate is %s (%s); if it is the right one, trust it "
                       "with --tls-pin %s\n"), cert.fingerprint, cert.subject, cert.fingerprint);
}

static void
print_event_text (Cli *cli, BellEvent *event)
{
  const char *name = bell_event_get_name (event);

  if (g_str_equal (name, "listening") && cli->loop_is_listen)
    printf (_("listening on %s %s port %" PRId64 "\n"),
            bell_event_get_string (event, "transport"), bell_event_get_string (event, "address"),
            bell_event_get_int (event, "port", 0));
  else if (g_str_equal (name, "protection"))
    printf (_("refused so far: %" PRId64 " calls by the incoming-call policy, %" PRId64
              " requests over the rate limits, %" PRId64 " from scanners, %" PRId64
              " over the transaction limits, %" PRId64 " malformed\n"),
            bell_event_get_int (event, "policy_refused", 0),
            bell_event_get_int (event, "rate_limited", 0) +
            bell_event_get_int (event, "total_rate_limited", 0),
            bell_event_get_int (event, "scanner_dropped", 0),
            bell_event_get_int (event, "transactions_limited", 0),
            bell_event_get_int (event, "malformed_dropped", 0) +
            bell_event_get_int (event, "malformed_answered", 0));
  else if (g_str_equal (name, "options"))
    {
      const char *error = bell_event_get_string (event, "error");
      if (error)
        {
          fprintf (stderr, "error: %s\n", error);
          print_cert_hint (error);
          return;
        }
      printf ("%" G_GINT64_FORMAT " %s\n", bell_event_get_int (event, "status", 0),
              bell_event_get_string (event, "reason"));
      printf ("Transport: %s\n", bell_event_get_string (event, "transport"));
      if (*bell_event_get_string (event, "allow"))
        printf ("Allow: %s\n", bell_event_get_string (event, "allow"));
      if (*bell_event_get_string (event, "supported"))
        printf ("Supported: %s\n", bell_event_get_string (event, "supported"));
      if (*bell_event_get_string (event, "server"))
        printf ("Server: %s\n", bell_event_get_string (event, "server"));
    }
  else if (g_str_equal (name, "registration"))
    {
      const char *state = bell_event_get_string (event, "state");
      const char *message = bell_event_get_string (event, "message");
      if (g_str_equal (state, "registered"))
        printf (_("registered %s (for %" PRId64 " s, as %s)\n"),
                bell_event_get_string (event, "aor"), bell_event_get_int (event, "expires", 0),
                bell_event_get_string (event, "contact"));
      else if (g_str_equal (state, "failed"))
        {
          printf (_("registration of %s failed (%s): %s\n"), bell_event_get_string (event, "aor"),
                  bell_event_get_string (event, "reason"), message ? message : "");
          fflush (stdout);
          print_cert_hint (message);
        }
      else
        printf ("%s %s\n", state, bell_event_get_string (event, "aor"));
    }
  else if (g_str_equal (name, "call"))
    {
      const char *reason = bell_event_get_string (event, "reason");
      gint64 code = bell_event_get_int (event, "code", 0);
      printf ("call %" G_GINT64_FORMAT " %s %s: %s", bell_event_get_int (event, "id", 0),
              bell_event_get_string (event, "direction"), bell_event_get_string (event, "peer"),
              bell_event_get_string (event, "state"));
      if (g_str_equal (bell_event_get_string (event, "state"), "ended") && code)
        printf (" (%" G_GINT64_FORMAT "%s%s)", code, reason ? " " : "", reason ? reason : "");
      else if (g_str_equal (bell_event_get_string (event, "state"), "ended") && reason)
        printf (" (%s)", reason);
      printf ("\n");
    }
  else if (g_str_equal (name, "hold"))
    printf (_("call %" PRId64 ": %s\n"), bell_event_get_int (event, "id", 0),
            bell_event_get_bool (event, "local") ? _("on hold")
            : bell_event_get_bool (event, "remote") ? _("held by the other side") : _("off hold"));
  else if (g_str_equal (name, "transfer"))
    printf (_("call %" PRId64 ": transfer %" PRId64 " %s\n"),
            bell_event_get_int (event, "id", 0), bell_event_get_int (event, "code", 0),
            bell_event_get_string (event, "reason"));
  else if (g_str_equal (name, "dtmf") && bell_event_get_string (event, "error"))
    printf (_("call %" PRId64 ": DTMF not sent: %s\n"), bell_event_get_int (event, "id", 0),
            bell_event_get_string (event, "error"));
  else if (g_str_equal (name, "dtmf"))
    printf (_("call %" PRId64 ": DTMF %s %s\n"), bell_event_get_int (event, "id", 0),
            bell_event_get_string (event, "direction"), bell_event_get_string (event, "digit"));
  else if (g_str_equal (name, "media") && bell_event_get_string (event, "error"))
    fprintf (stderr, _("warning: a call has no audio: %s\n"), bell_event_get_string (event, "error"));
  else if (g_str_equal (name, "media"))
    printf (_("call %" PRId64 ": audio %s, %s\n"), bell_event_get_int (event, "id", 0),
            bell_event_get_string (event, "codec"),
            bell_event_get_bool (event, "encrypted") ? _("encrypted (SRTP)") : _("NOT encrypted"));
  else if (g_str_equal (name, "referred"))
    printf (_("call %" PRId64 ": transferred by the other side to %s (call %" PRId64 ")\n"),
            bell_event_get_int (event, "id", 0), bell_event_get_string (event, "uri"),
            bell_event_get_int (event, "call", 0));
  else if (g_str_equal (name, "incoming"))
    printf (_("%s from %s (%s): answered %" PRId64 "\n"),
            bell_event_get_string (event, "method"), bell_event_get_string (event, "from"),
            bell_event_get_string (event, "source"), bell_event_get_int (event, "status", 0));
}

static void
on_event (BellCore *core, BellEvent *event, gpointer data)
{
  Cli *cli = data;
  const char *name = bell_event_get_name (event);

  if (cli->events)
    {
      g_autofree char *json = bell_event_to_json (event);
      printf ("%s\n", json);
    }
  else
    print_event_text (cli, event);
  fflush (stdout);

  if (g_str_equal (name, "registration"))
    {
      const char *state = bell_event_get_string (event, "state");
      const char *reason = bell_event_get_string (event, "reason");
      if (g_str_equal (state, "registered"))
        {
          cli->registered = TRUE;
          cli->status = 0;
          if (cli->call_after_register)
            {
              /* As the account now registered: its password answers what its policy allows. */
              bell_core_call_auth (cli->core, cli->call_after_register, cli->kind, cli->user,
                                   cli->auth_user, cli->password);
              g_clear_pointer (&cli->call_after_register, g_free);
              cli->status = 1;
            }
          if (cli->once && !cli->unregistering)
            {
              cli->unregistering = TRUE;
              bell_core_unregister_all (cli->core);
            }
        }
      else if (g_str_equal (state, "failed"))
        {
          cli->status = 1;
          /* A refused password will not get better by itself; with --once nothing will. */
          if ((cli->once || cli->call_after_register || g_strcmp0 (reason, "auth-failed") == 0 ||
               g_strcmp0 (reason, "auth-not-sent") == 0 ||
               g_strcmp0 (reason, "config") == 0 || g_strcmp0 (reason, "tls-untrusted") == 0 ||
               g_strcmp0 (reason, "tls-changed") == 0) && !cli->unregistering)
            {
              cli->unregistering = TRUE;
              bell_core_unregister_all (cli->core);
            }
        }
    }
  else if (g_str_equal (name, "unregistered"))
    g_main_loop_quit (cli->loop);
  if (cli->plan)
    cli_call_plan_event (cli->plan, event);
  if (g_str_equal (name, "call"))
    {
      const char *state = bell_event_get_string (event, "state");
      gpointer id = GINT_TO_POINTER ((gint) bell_event_get_int (event, "id", 0));
      if (g_str_equal (state, "connected"))
        {
          if (!cli->call_connected && !cli->loop_is_listen && cli->duration > 0)
            g_timeout_add ((guint) (cli->duration * 1000), on_call_duration, cli);
          cli->call_connected = TRUE;
        }
      if (g_str_equal (state, "incoming") && cli->reject)
        bell_core_reject (cli->core, (guint) GPOINTER_TO_INT (id), (guint) cli->reject);
      if (!g_str_equal (state, "ended"))
        g_hash_table_add (cli->live_calls, id);
      else
        {
          g_hash_table_remove (cli->live_calls, id);
          cli->calls_ended++;
          /* call: done when no call is left (a transfer or a consultation call may outlive
           * the first one). 0: a call was answered (and any transfer asked for worked);
           * 1: none connected. */
          if (!cli->loop_is_listen && g_hash_table_size (cli->live_calls) == 0)
            {
              cli->status = cli->call_connected && !(cli->plan && cli_call_plan_failed (cli->plan)) ? 0 : 1;
              g_main_loop_quit (cli->loop);
            }
          else if (cli->max_calls > 0 && cli->calls_ended >= cli->max_calls)
            g_main_loop_quit (cli->loop);
        }
    }
  if (g_str_equal (name, "options"))
    {
      gint64 status = bell_event_get_int (event, "status", 0);
      /* 0: the server answered 2xx; 3: it answered something else; 1: no answer at all. */
      cli->status = status >= 200 && status < 300 ? 0 : status ? 3 : 1;
      g_main_loop_quit (cli->loop);
    }
}

static int
run_core (Cli *cli, const char *command, const char *arg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellCore) core = NULL;
  g_autofree char *address = NULL;
  BellCoreConfig config = { 0 };
  const char *password = cli->password_env ? g_getenv (cli->password_env) : NULL;

  if (cli->password_env && !password)
    {
      fprintf (stderr, _("error: the environment variable %s is not set\n"), cli->password_env);
      return 2;
    }
  if (!parse_bind (cli->bind, &address, &config.bind_port, &error))
    {
      fprintf (stderr, "error: %s\n", error->message);
      return 2;
    }
  config.bind_address = address;
  config.auto_answer_ms = cli->auto_answer >= 0 ? (gint) (cli->auto_answer * 1000) : -1;
  config.auto_answer_holds = cli->call_waiting;
  config.no_media = cli->no_media;
  config.codecs = cli->codecs;
  config.low_bandwidth = cli->low_bandwidth;
  config.no_redundancy = g_strcmp0 (cli->fec, "off") == 0;
  config.outbound_proxy = cli->outbound_proxy;
  config.stun_server = cli->stun_server;
  /* "call echo": this core answers its own call with the echo test. */
  config.echo_service = cli->echo_service || (arg && g_str_equal (command, "call") && g_str_equal (arg, "echo"));
  if (cli->srtp && !bell_sdp_srtp_policy_from_string (cli->srtp, &config.srtp))
    {
      fprintf (stderr, _("error: --srtp wants off, optional or mandatory, not “%s”\n"), cli->srtp);
      return 2;
    }
  if (cli->direct_calls && !bell_direct_calls_from_string (cli->direct_calls, &config.direct_calls))
    {
      fprintf (stderr, _("error: --direct-calls wants auto, refuse, contacts or accept, not “%s”\n"),
               cli->direct_calls);
      return 2;
    }
  config.audio_in = cli->audio_in;
  config.audio_out = cli->audio_out;
  config.max_calls = cli->max_concurrent > 0 ? (guint) cli->max_concurrent : 0;
  config.media_timeout_s = cli->media_timeout < 0 ? 0 : cli->media_timeout == 0 ? -1
                                                                              : cli->media_timeout;
  config.tls_ca_file = cli->tls_ca;
  config.tls_cert_file = cli->tls_cert;
  config.tls_key_file = cli->tls_key;
  config.tls_pin = cli->tls_pin;
  config.tls_accept_untrusted = cli->tls_accept_untrusted;
  if (cli->tls_accept_untrusted)
    fprintf (stderr, _("warning: --tls-accept-untrusted: TLS certificates are NOT checked\n"));
  config.test_loss = cli->test_loss / 100;
  config.test_loss_receive = cli->test_loss_receive / 100;
  config.test_loss_burst = cli->test_loss_burst;
  if (cli->test_loss > 0)
    fprintf (stderr, _("warning: --test-loss: %g %% of the RTP packets sent are dropped\n"),
             cli->test_loss);
  if (cli->test_loss_receive > 0)
    fprintf (stderr, _("warning: --test-loss-receive: %g %% of the RTP packets received are "
                       "dropped\n"), cli->test_loss_receive);
  if (cli->test_loss_burst > 1)
    fprintf (stderr, _("warning: --test-loss-burst: the losses come in bursts of %g packets on "
                       "average\n"), cli->test_loss_burst);

  cli->loop_is_listen = g_str_equal (command, "listen");
  if (cli->loop_is_listen)
    {
      /* Listen where asked: on the chosen transport, or UDP and TCP (and TLS with a cert). */
      if (cli->kind == BELL_SIP_TRANSPORT_TLS && !cli->tls_cert && cli->user)
        /* The phone of an account over TLS: its calls come over the connection it registered
         * on (RFC 5626), so it needs no server certificate; UDP and TCP as register has. */
        config.listen = BELL_SIP_TRANSPORT_UDP | BELL_SIP_TRANSPORT_TCP;
      else if (cli->kind == BELL_SIP_TRANSPORT_UDP || cli->kind == BELL_SIP_TRANSPORT_TCP ||
               cli->kind == BELL_SIP_TRANSPORT_TLS)
        config.listen = cli->kind;
      else if (cli->kind != BELL_SIP_TRANSPORT_ANY)
        {
          fprintf (stderr, _("error: Bellbird cannot listen on WebSocket (it is a client)\n"));
          return 2;
        }
      else
        config.listen = BELL_SIP_TRANSPORT_UDP | BELL_SIP_TRANSPORT_TCP |
                        (cli->tls_cert ? BELL_SIP_TRANSPORT_TLS : 0);
      if (!cli->bind)
        config.bind_port = 5060;
    }
  else
    config.listen = BELL_SIP_TRANSPORT_UDP;   /* a client still needs a UDP socket to answer on */

  if (g_str_equal (command, "register") || g_str_equal (command, "call"))
    {
      /* Requests come back to our Contact (a callee's BYE, calls for what we registered),
       * perhaps over a new connection: listen on UDP and TCP. */
      config.listen = BELL_SIP_TRANSPORT_UDP | BELL_SIP_TRANSPORT_TCP |
                      (cli->tls_cert ? BELL_SIP_TRANSPORT_TLS : 0);
    }
  core = bell_core_new (&config, &error);
  if (!core)
    {
      fprintf (stderr, "error: %s\n", error->message);
      return 1;
    }
  cli->core = core;
  cli->loop = g_main_loop_new (NULL, FALSE);
  cli->live_calls = g_hash_table_new (NULL, NULL);
  if (cli->hold_after >= 0 || cli->transfer_to || cli->dtmf || cli->mute)
    {
      CliCallPlanOptions plan = {
        .hold_after = cli->hold_after, .hold_for = cli->hold_for,
        .transfer_to = cli->transfer_to, .attended = cli->attended, .dtmf = cli->dtmf, .mute = cli->mute,
        .from = cli->user, .auth_user = cli->auth_user, .password = password,
        .transport = cli->kind,
      };
      cli->plan = cli_call_plan_new (core, &plan);
    }
  g_signal_connect (core, "event", G_CALLBACK (on_event), cli);
  g_unix_signal_add (SIGINT, on_signal, cli);
  g_unix_signal_add (SIGTERM, on_signal, cli);
  cli->call_mode = g_str_equal (command, "call");
  if (cli->duration > 0 && !cli->call_mode)
    g_timeout_add ((guint) (cli->duration * 1000), on_duration, cli);

  if (g_str_equal (command, "options"))
    {
      cli->status = 1;
      bell_core_options_auth (core, arg, cli->kind, cli->user, cli->auth_user, password);
    }
  else if (g_str_equal (command, "call"))
    {
      g_autofree char *echo = g_str_equal (arg, "echo")
                              ? g_strdup_printf ("sip:echo@127.0.0.1:%u",
                                                 bell_core_get_port (core, BELL_SIP_TRANSPORT_UDP))
                              : NULL;
      cli->status = 1;
      if (!echo && cli->registrar && cli->user)
        {
          cli->call_after_register = g_strdup (arg);
          cli->password = password;
        }
      else
        bell_core_call_auth (core, echo ? echo : arg, cli->kind, cli->user, cli->auth_user, password);
    }
  if (g_str_equal (command, "register") || (cli->loop_is_listen && cli->user) ||
      cli->call_after_register)
    {
      /* `listen --user`: the phone of that account, taking its calls from its registrar. */
      BellRegConfig reg = { 0 };

      reg.aor = cli->user;
      reg.auth_user = cli->auth_user;
      reg.password = password;
      reg.registrar = cli->registrar;
      reg.realm = cli->realm;
      reg.outbound_proxy = cli->outbound_proxy;
      reg.tls_pin = cli->tls_pin;
      reg.transport = cli->kind;
      reg.expires = cli->expires > 0 ? (guint) cli->expires : 0;
      cli->status = cli->loop_is_listen ? 0 : 1;
      bell_core_register (core, &reg);
    }
  else if (!cli->call_mode && !g_str_equal (command, "options"))
    cli->status = 0;
  if (cli->contacts)
    {
      g_auto(GStrv) contacts = g_strsplit (cli->contacts, ",", -1);

      for (guint i = 0; contacts[i]; i++)
        g_strstrip (contacts[i]);
      bell_core_set_direct_calls (core, config.direct_calls, (const char *const *) contacts);
    }
  /* The core, the call plan and the registration each hold a wiped copy of the password now:
   * none stays in our environment (readable in /proc/PID/environ, written in a core dump). */
  if (password)
    bell_secret_wipe ((char *) password, strlen (password));
  g_main_loop_run (cli->loop);
  bell_core_shutdown (core);
  g_clear_pointer (&cli->plan, cli_call_plan_free);
  g_hash_table_unref (cli->live_calls);
  g_main_loop_unref (cli->loop);
  return cli->status;
}

int
main (int argc, char **argv)
{
  Cli cli = { .auto_answer = -1, .hold_after = -1, .media_timeout = -1 };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "transport", 0, 0, G_OPTION_ARG_STRING, &cli.transport, "udp|tcp|tls|ws|wss", "T" },
    { "bind", 0, 0, G_OPTION_ARG_STRING, &cli.bind, "local ADDRESS:PORT", "ADDR:PORT" },
    { "tls-ca", 0, 0, G_OPTION_ARG_FILENAME, &cli.tls_ca, "CA file for TLS", "FILE" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &cli.tls_cert, "TLS certificate", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &cli.tls_key, "TLS private key", "FILE" },
    { "tls-pin", 0, 0, G_OPTION_ARG_STRING, &cli.tls_pin,
      "trust the server certificate with this SHA-256 fingerprint", "sha256:AB:CD:..." },
    { "tls-accept-untrusted", 0, 0, G_OPTION_ARG_NONE, &cli.tls_accept_untrusted,
      "TESTING ONLY: accept any certificate", NULL },
    { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &cli.duration, "stop after SECONDS", "SECONDS" },
    { "events", 0, 0, G_OPTION_ARG_NONE, &cli.events, "JSON events on stdout", NULL },
    { "user", 0, 0, G_OPTION_ARG_STRING, &cli.user, "account sip:USER@DOMAIN", "URI" },
    { "auth-user", 0, 0, G_OPTION_ARG_STRING, &cli.auth_user, "Digest user name", "NAME" },
    { "password-env", 0, 0, G_OPTION_ARG_STRING, &cli.password_env,
      "environment variable holding the password", "VAR" },
    { "registrar", 0, 0, G_OPTION_ARG_STRING, &cli.registrar, "registrar URI", "URI" },
    { "realm", 0, 0, G_OPTION_ARG_STRING, &cli.realm, "the account's Digest realm", "REALM" },
    { "outbound-proxy", 0, 0, G_OPTION_ARG_STRING, &cli.outbound_proxy, "outbound proxy URI", "URI" },
    { "stun-server", 0, 0, G_OPTION_ARG_STRING, &cli.stun_server,
      "STUN server for the calls' public media address", "HOST[:PORT]" },
    { "expires", 0, 0, G_OPTION_ARG_INT, &cli.expires, "registration interval", "SECONDS" },
    { "once", 0, 0, G_OPTION_ARG_NONE, &cli.once, "register once and exit", NULL },
    { "auto-answer", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, parse_auto_answer,
      "answer calls after SECONDS", "SECONDS" },
    { "max-calls", 0, 0, G_OPTION_ARG_INT, &cli.max_calls, "exit after N calls", "N" },
    { "max-concurrent", 0, 0, G_OPTION_ARG_INT, &cli.max_concurrent, "calls at once", "N" },
    { "media-timeout", 0, 0, G_OPTION_ARG_INT, &cli.media_timeout,
      "end a call after SECONDS without a packet from the other side (0: never)", "SECONDS" },
    { "call-waiting", 0, 0, G_OPTION_ARG_NONE, &cli.call_waiting, "answering holds other calls", NULL },
    { "audio-in", 0, 0, G_OPTION_ARG_STRING, &cli.audio_in, "audio source", "SRC" },
    { "audio-out", 0, 0, G_OPTION_ARG_STRING, &cli.audio_out, "audio sink", "SINK" },
    { "no-media", 0, 0, G_OPTION_ARG_NONE, &cli.no_media, "signalling only", NULL },
    { "mute", 0, 0, G_OPTION_ARG_NONE, &cli.mute, "microphone off", NULL },
    { "codecs", 0, 0, G_OPTION_ARG_STRING, &cli.codecs, "codec order", "LIST" },
    { "low-bandwidth", 0, 0, G_OPTION_ARG_NONE, &cli.low_bandwidth, "a narrow stream", NULL },
    { "fec", 0, 0, G_OPTION_ARG_STRING, &cli.fec, "Opus FEC and RED", "on|off" },
    { "echo-service", 0, 0, G_OPTION_ARG_NONE, &cli.echo_service, "answer sip:echo@ with an echo test", NULL },
    { "direct-calls", 0, 0, G_OPTION_ARG_STRING, &cli.direct_calls, "who may call directly", "POLICY" },
    { "contacts", 0, 0, G_OPTION_ARG_STRING, &cli.contacts, "contacts for --direct-calls", "URIS" },
    { "srtp", 0, 0, G_OPTION_ARG_STRING, &cli.srtp, "SRTP policy", "POLICY" },
    { "dtmf", 0, 0, G_OPTION_ARG_STRING, &cli.dtmf, "DTMF digits to send", "DIGITS" },
    { "reject", 0, 0, G_OPTION_ARG_INT, &cli.reject, "refuse calls with CODE", "CODE" },
    { "hold-after", 0, 0, G_OPTION_ARG_DOUBLE, &cli.hold_after, "hold calls after SECONDS", "SECONDS" },
    { "hold-for", 0, 0, G_OPTION_ARG_DOUBLE, &cli.hold_for, "resume held calls after SECONDS", "SECONDS" },
    { "transfer-to", 0, 0, G_OPTION_ARG_STRING, &cli.transfer_to, "transfer calls to URI", "URI" },
    { "attended", 0, 0, G_OPTION_ARG_NONE, &cli.attended, "attended transfer", NULL },
    { "test-loss", 0, 0, G_OPTION_ARG_DOUBLE, &cli.test_loss,
      "TESTING ONLY: drop PERCENT of the RTP sent", "PERCENT" },
    { "test-loss-receive", 0, 0, G_OPTION_ARG_DOUBLE, &cli.test_loss_receive,
      "TESTING ONLY: drop PERCENT of the RTP received", "PERCENT" },
    { "test-loss-burst", 0, 0, G_OPTION_ARG_DOUBLE, &cli.test_loss_burst,
      "TESTING ONLY: mean burst of the test losses", "N" },
    { NULL }
  };
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new ("COMMAND [ARGS]");
  {
    GOptionGroup *group = g_option_group_new ("bellbird", "", "", &cli, NULL);
    g_option_group_add_entries (group, entries);
    g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
    g_option_context_set_main_group (context, group);
  }
  g_option_context_set_help_enabled (context, FALSE);
  if (argc >= 2 && (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") ||
                    g_str_equal (argv[1], "help")))
    {
      usage (stdout);
      return 0;
    }
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "error: %s\n", error->message);
      return 2;
    }
  if (argc < 2)
    {
      usage (stderr);
      return 2;
    }
  if (cli.transport)
    {
      cli.kind = bell_sip_transport_kind_from_string (cli.transport, strlen (cli.transport));
      if (cli.kind == BELL_SIP_TRANSPORT_ANY)
        {
          fprintf (stderr, _("error: unknown transport “%s” (udp, tcp, tls, ws or wss)\n"),
                   cli.transport);
          return 2;
        }
    }

  if (cli.reject && (cli.reject < 400 || cli.reject > 699 || cli.auto_answer >= 0))
    {
      fprintf (stderr, _("error: --reject wants a status from 400 to 699, without --auto-answer\n"));
      return 2;
    }
  if (!(cli.test_loss >= 0 && cli.test_loss <= 100) ||
      !(cli.test_loss_receive >= 0 && cli.test_loss_receive <= 100))
    {
      fprintf (stderr, _("error: --test-loss and --test-loss-receive want a percentage from 0 "
                         "to 100\n"));
      return 2;
    }
  /* 0 is the default (not given): random loss, as 1 is. */
  if (!(cli.test_loss_burst == 0 || (cli.test_loss_burst >= 1 && cli.test_loss_burst <= 1000)))
    {
      fprintf (stderr, _("error: --test-loss-burst wants a mean burst length from 1 to 1000 "
                         "packets\n"));
      return 2;
    }
  if (cli.tls_pin)
    {
      g_autofree char *pin = bell_sip_tls_pin_normalize (cli.tls_pin, &error);
      if (!pin)
        {
          fprintf (stderr, _("error: --tls-pin: %s\n"), error->message);
          return 2;
        }
      g_free (cli.tls_pin);
      cli.tls_pin = g_steal_pointer (&pin);
    }
  if (cli.fec && !g_str_equal (cli.fec, "on") && !g_str_equal (cli.fec, "off"))
    {
      fprintf (stderr, _("error: --fec wants on or off\n"));
      return 2;
    }
  if (cli.codecs && !codecs_known (cli.codecs, &error))
    {
      fprintf (stderr, _("error: --codecs: %s\n"), error->message);
      return 2;
    }
  if ((cli.attended && !cli.transfer_to) || (cli.hold_for > 0 && cli.hold_after < 0))
    {
      fprintf (stderr, _("error: --attended needs --transfer-to, and --hold-for needs --hold-after\n"));
      return 2;
    }

  if (g_str_equal (argv[1], "parse"))
    status = cmd_parse (argc - 1, argv + 1);
  else if (g_str_equal (argv[1], "options") && argc == 3)
    status = run_core (&cli, "options", argv[2]);
  else if (g_str_equal (argv[1], "listen") && argc == 2)
    status = run_core (&cli, "listen", NULL);
  else if (g_str_equal (argv[1], "call") && argc == 3)
    status = run_core (&cli, "call", argv[2]);
  else if (g_str_equal (argv[1], "register") && argc == 2 && cli.user)
    status = run_core (&cli, "register", NULL);
  else if (g_str_equal (argv[1], "register") && argc == 2)
    {
      fprintf (stderr, _("error: register needs --user sip:USER@DOMAIN\n"));
      status = 2;
    }
  else
    {
      fprintf (stderr, _("error: unknown command or wrong arguments: “%s”\n"), argv[1]);
      usage (stderr);
      status = 2;
    }
  g_free (cli.transport);
  g_free (cli.bind);
  g_free (cli.tls_ca);
  g_free (cli.tls_cert);
  g_free (cli.tls_key);
  g_free (cli.tls_pin);
  g_free (cli.user);
  g_free (cli.auth_user);
  g_free (cli.password_env);
  g_free (cli.registrar);
  g_free (cli.realm);
  g_free (cli.call_after_register);
  g_free (cli.outbound_proxy);
  g_free (cli.stun_server);
  g_free (cli.transfer_to);
  g_free (cli.audio_in);
  g_free (cli.audio_out);
  g_free (cli.dtmf);
  g_free (cli.srtp);
  g_free (cli.codecs);
  g_free (cli.fec);
  g_free (cli.direct_calls);
  g_free (cli.contacts);
  return status;
}
