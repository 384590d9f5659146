/* fuzz-stun.c: libFuzzer harness for the STUN message parser and builder and for the Binding
 * client's handling of what comes back.
 *
 * For every input:
 *   - bell_stun_is_message() must agree with the header's rules, and a parse must succeed only
 *     for what it accepts; a failure comes with a BELL_STUN_ERROR;
 *   - a parsed message must make sense (an IPv4/IPv6 mapped address, an error code of 300-699,
 *     valid UTF-8 strings, FINGERPRINT's CRC right when it says it had one) and survive a
 *     build/parse round trip unchanged;
 *   - the input, with its transaction ID replaced by the client's (and its FINGERPRINT made
 *     right again), is handed to a Binding client waiting for an answer from 192.0.2.1: the query
 *     ends exactly as the message says (success with that address, or the error), or goes on
 *     when the message is not an answer, until its time limit ends it.
 *
 * Any broken invariant calls abort() after printing what differs, so libFuzzer keeps the input.
 * Built twice: as a real libFuzzer target (-Dfuzz=true, clang) and, with BELL_FUZZ_ENTRY
 * renamed, into the fuzz-replay unit test that runs the seed corpus with any compiler.
 */
#define G_LOG_DOMAIN "fuzz-stun"

#include "fuzz-common.h"
#include "bell-stun.h"
#include "bell-stun-client.h"

static BellClock          *clock_;
static GInetSocketAddress *server;
static guint8              last_request[BELL_STUN_MAX_MESSAGE];
static gsize               last_request_len;

static guint32
get32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static gboolean
header_ok (const uint8_t *data, size_t size)
{
  return size >= 20 && (data[0] & 0xc0) == 0 && get32 (data + 4) == BELL_STUN_MAGIC_COOKIE &&
         ((gsize) (data[2] << 8 | data[3])) == size - 20 && (size - 20) % 4 == 0;
}

static gboolean
same_address (GInetSocketAddress *a, GInetSocketAddress *b)
{
  return g_inet_socket_address_get_port (a) == g_inet_socket_address_get_port (b) &&
         g_inet_address_equal (g_inet_socket_address_get_address (a),
                               g_inet_socket_address_get_address (b));
}

static void
check_string (const char *s, const char *what)
{
  if (s && !g_utf8_validate (s, -1, NULL))
    fail ("%s is not valid UTF-8", what);
  if (s)
    touch (bell_str (s));
}

static void
check_message (const BellStunMessage *msg, const uint8_t *data, size_t size)
{
  if (msg->type != (data[0] << 8 | data[1]) || memcmp (msg->transaction_id, data + 8, 12) != 0)
    fail ("type or transaction ID not the header's");
  if (msg->mapped)
    {
      GSocketFamily family = g_inet_address_get_family (
          g_inet_socket_address_get_address (msg->mapped));
      if (family != G_SOCKET_FAMILY_IPV4 && family != G_SOCKET_FAMILY_IPV6)
        fail ("mapped address of family %d", family);
    }
  else if (msg->mapped_xor)
    fail ("mapped_xor without an address");
  if (msg->error_code && (msg->error_code < 300 || msg->error_code > 699))
    fail ("error code %u", msg->error_code);
  if (!msg->error_code && msg->error_reason)
    fail ("a reason without an error code");
  check_string (msg->error_reason, "the error reason");
  check_string (msg->software, "SOFTWARE");
  /* FINGERPRINT is last: the CRC of all before it. */
  if (msg->has_fingerprint &&
      (size < 28 || get32 (data + size - 4) != bell_stun_fingerprint (data, size - 8)))
    fail ("has_fingerprint, but the last four bytes are not its CRC");
}

/* Built again and parsed again: the same message. */
static void
round_trip (const BellStunMessage *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellStunMessage) back = NULL;
  guint8 buf[BELL_STUN_MAX_MESSAGE];
  gsize len = bell_stun_message_build (msg, TRUE, buf, sizeof buf);
  gsize need = 20 + 8 + (msg->mapped ? 24 : 0) + (msg->software ? strlen (msg->software) + 8 : 0) +
               (msg->error_code ? strlen (msg->error_reason ? msg->error_reason : "Error") + 12 : 0);

  if (len == 0)
    {
      /* Only when it cannot fit (reasons made valid UTF-8 may have grown). */
      if (need <= sizeof buf && !(msg->type & 0xc000))
        fail ("a parsed message of about %zu bytes was not built", (size_t) need);
      return;
    }
  back = bell_stun_message_parse (buf, len, &error);
  if (!back)
    fail ("a built message does not parse: %s", error->message);
  if (back->type != msg->type || memcmp (back->transaction_id, msg->transaction_id, 12) ||
      back->error_code != msg->error_code || back->mapped_xor != msg->mapped_xor ||
      !back->has_fingerprint || (back->mapped == NULL) != (msg->mapped == NULL) ||
      (msg->mapped && !same_address (back->mapped, msg->mapped)) ||
      g_strcmp0 (back->software, msg->software) || g_strcmp0 (back->error_reason, msg->error_reason))
    fail ("a message changed in a build/parse round trip");
}

/* ---- the client --------------------------------------------------------------------------- */

typedef struct
{
  gboolean            done;
  GInetSocketAddress *mapped;
  GError             *error;
} Outcome;

static gboolean
capture_send (GInetSocketAddress *to, const guint8 *data, gsize len, gpointer user_data,
              GError **error)
{
  if (!same_address (to, server) || len > sizeof last_request)
    fail ("a request to somewhere else, or too big");
  memcpy (last_request, data, len);
  last_request_len = len;
  return TRUE;
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Outcome *o = data;

  o->mapped = bell_stun_client_query_finish (BELL_STUN_CLIENT (source), result, &o->error);
  o->done = TRUE;
}

static void
set32 (guint8 *p, guint32 v)
{
  p[0] = (guint8) (v >> 24), p[1] = (guint8) (v >> 16), p[2] = (guint8) (v >> 8), p[3] = (guint8) v;
}

/* What the query must make of answer: end (with which error, or none) or go on. */
static gboolean
expect_end (const guint8 *answer, size_t size, gint *code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellStunMessage) msg = NULL;

  *code = -1;
  if (!bell_stun_is_message (answer, size))
    return FALSE;
  msg = bell_stun_message_parse (answer, size, &error);
  if (!msg)
    {
      *code = error->code;
      return g_error_matches (error, BELL_STUN_ERROR, BELL_STUN_ERROR_UNKNOWN_ATTRIBUTE);
    }
  if (msg->type == BELL_STUN_BINDING_SUCCESS)
    *code = msg->mapped ? -1 : BELL_STUN_ERROR_NO_MAPPED_ADDRESS;
  else if (msg->type == BELL_STUN_BINDING_ERROR)
    *code = BELL_STUN_ERROR_RESPONSE;
  else
    return FALSE;
  return TRUE;
}

static void
run_client (const uint8_t *data, size_t size, const BellStunMessage *msg)
{
  g_autoptr(BellStunClient) client = bell_stun_client_new (G_SOCKET_FAMILY_IPV4, clock_,
                                                           capture_send, NULL, NULL);
  g_autofree guint8 *answer = NULL;
  gboolean stun, end;
  Outcome o = { 0 };
  guint spins = 0;
  gint code;

  last_request_len = 0;
  bell_stun_client_query_async (client, "192.0.2.1", 1000, NULL, on_done, &o);
  if (last_request_len < 20)
    fail ("no request sent");
  /* The input as an answer to this request: with its transaction ID, and the FINGERPRINT made
   * right again if it was right before. */
  answer = g_memdup2 (data, size ? size : 1);
  if (size >= 20)
    memcpy (answer + 8, last_request + 8, 12);
  if (msg && msg->has_fingerprint)
    set32 (answer + size - 4, bell_stun_fingerprint (answer, size - 8));
  end = expect_end (answer, size, &code);
  stun = bell_stun_client_receive (client, answer, size, server);
  if (stun != bell_stun_is_message (answer, size))
    fail ("receive() and is_message() disagree");
  /* The callback may come from an idle of the task's. */
  while (!o.done && g_main_context_pending (NULL) && spins++ < 100)
    g_main_context_iteration (NULL, FALSE);
  if (o.done != end)
    fail ("the query %s", o.done ? "ended on a message that does not answer it"
                                 : "ignored its answer");
  if (o.done && code < 0)
    {
      g_autoptr(BellStunMessage) parsed = bell_stun_message_parse (answer, size, NULL);
      if (!o.mapped || !same_address (parsed->mapped, o.mapped))
        fail ("the query did not end with the answer's address");
    }
  else if (o.done && !g_error_matches (o.error, BELL_STUN_ERROR, code))
    fail ("the query ended with %s, not error %d", o.error ? o.error->message : "success", code);

  /* Still waiting: the time limit ends it. */
  if (!o.done)
    {
      bell_clock_advance (clock_, 1000);
      while (!o.done && g_main_context_pending (NULL) && spins++ < 200)
        g_main_context_iteration (NULL, FALSE);
      if (!o.done || !g_error_matches (o.error, BELL_STUN_ERROR, BELL_STUN_ERROR_TIMEOUT))
        fail ("the time limit did not end the query");
    }
  g_clear_object (&o.mapped);
  g_clear_error (&o.error);
}

int
BELL_FUZZ_INIT (int *argc, char ***argv)
{
  g_autoptr(GInetAddress) ip = g_inet_address_new_from_string ("192.0.2.1");

  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  clock_ = bell_clock_new_virtual ();
  server = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (ip, BELL_STUN_DEFAULT_PORT));
  return 0;
}

int
BELL_FUZZ_ENTRY (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellStunMessage) msg = NULL;
  gboolean looks = bell_stun_is_message (data, size);

  if (looks != header_ok (data, size))
    fail ("is_message() says %d for a header that is %s", looks,
          header_ok (data, size) ? "fine" : "not STUN");
  msg = bell_stun_message_parse (data, size, &error);
  if (msg && (!looks || error))
    fail ("parsed what is not a message, or with an error set");
  if (!msg && (!error || error->domain != BELL_STUN_ERROR))
    fail ("a parse failed without a BELL_STUN_ERROR");
  if (error)
    touch (bell_str (error->message));
  if (msg)
    {
      check_message (msg, data, size);
      round_trip (msg);
    }
  run_client (data, size, msg);
  return 0;
}
