/* fuzz-sip-msg.c: libFuzzer harness for the SIP message parser, printer and builder.
 *
 * For every input, in both DATAGRAM and STREAM mode:
 *   - parse; a failure must come with a GError of BELL_SIP_ERROR;
 *   - run the receive-path checks and read every header's typed view, so ASan sees every slice;
 *   - print, re-parse the printout and compare: the printer must always produce a valid
 *     message with the same start line, the same headers (Content-Length aside, since the printer
 *     writes it from the body) and the same body, and printing again gives the same bytes;
 *   - for requests that pass the checks, build a response with bell_sip_msg_new_response_to(),
 *     add the request's headers to it through the builder, print it and parse it back;
 *   - for input that does not parse, the 400/505 of bell_sip_msg_new_error_response_raw(), when
 *     there is one, must print and parse back the same way.
 *
 * Any broken invariant calls abort() after printing what differs, so libFuzzer keeps the input.
 * Built twice: as a real libFuzzer target (-Dfuzz=true, clang) and, with BELL_FUZZ_ENTRY
 * renamed, into the fuzz-replay unit test that runs the seed corpus with any compiler.
 */
#define G_LOG_DOMAIN "fuzz-sip-msg"

#include "fuzz-common.h"
#include "bell-sip-msg.h"

static void
touch_cstr (char *s, gsize len)
{
  /* Takes ownership. */
  for (gsize i = 0; s && i < len; i++)
    sink ^= (guint8) s[i];
  g_free (s);
}

static void
check_error (GError *error, const char *what)
{
  if (error == NULL)
    fail ("%s failed without a GError", what);
  if (error->domain != BELL_SIP_ERROR)
    fail ("%s failed with an error outside BELL_SIP_ERROR: %s", what, error->message);
  if (error->message == NULL || error->message[0] == '\0')
    fail ("%s failed with an empty error message", what);
}

static void
exercise_uri (const BellSipUri *uri)
{
  BellStr value;
  gsize len = 0;

  touch (uri->text);
  touch (uri->scheme_str);
  touch (uri->user);
  touch (uri->password);
  touch (uri->host);
  touch (uri->params);
  touch (uri->headers);
  touch (uri->opaque);
  if (bell_sip_uri_get_param (uri, "transport", &value))
    touch (value);
  if (bell_sip_uri_get_param (uri, "lr", &value))
    touch (value);
  if (bell_sip_uri_get_header (uri, "Route", &value))
    touch (value);
  sink ^= (guint8) bell_sip_uri_is_sip (uri);
  if (!bell_sip_uri_equal (uri, uri))
    fail ("URI not equal to itself: %.*s", BELL_STR_PRINTF (uri->text));

  char *user = bell_sip_uri_dup_user (uri, &len);
  touch_cstr (user, user ? len : 0);

  /* Only URIs that came out of a parse are printed: a zero URI (Contact: *) has nothing. */
  if (bell_str_is_set (uri->text))
    {
      char *printed = bell_sip_uri_to_string (uri);
      if (printed == NULL)
        fail ("bell_sip_uri_to_string returned NULL for %.*s", BELL_STR_PRINTF (uri->text));
      touch_cstr (printed, strlen (printed));
    }
}

static void
exercise_name_addr (const BellSipNameAddr *na)
{
  touch (na->display);
  touch (na->tag);
  touch (na->params);
  sink ^= (guint8) na->star ^ (guint8) na->expires ^ (guint8) na->q1000;
  if (!na->star)
    exercise_uri (&na->uri);
  if (na->display.len >= 2 && na->display.p[0] == '"')
    {
      char *unquoted = bell_sip_unquote (na->display);
      touch_cstr (unquoted, unquoted ? strlen (unquoted) : 0);
    }
}

static void
exercise_header (const BellSipHeader *h)
{
  BellStr value;

  touch (h->name);
  touch (h->value);
  sink ^= (guint8) h->line ^ (guint8) h->joined;

  if (h->id != BELL_SIP_HDR_OTHER)
    {
      const char *name = bell_sip_hdr_id_to_name (h->id);
      if (name == NULL)
        fail ("no name for header id %d", h->id);
      if (bell_sip_hdr_id_from_name (name, strlen (name)) != h->id)
        fail ("header name %s does not map back to id %d", name, h->id);
      if (bell_sip_hdr_id_from_name (h->name.p, h->name.len) != h->id)
        fail ("header \"%.*s\" has id %d but its name maps to %d", BELL_STR_PRINTF (h->name),
              h->id, bell_sip_hdr_id_from_name (h->name.p, h->name.len));
    }

  switch (h->id)
    {
    case BELL_SIP_HDR_VIA:
      if (h->parsed.via)
        {
          const BellSipVia *via = h->parsed.via;
          touch (via->transport);
          touch (via->host);
          touch (via->branch);
          touch (via->received);
          touch (via->maddr);
          touch (via->params);
          sink ^= (guint8) via->port ^ (guint8) via->rport ^ (guint8) via->ttl;
          sink ^= (guint8) bell_sip_via_has_rfc3261_branch (via);
          if (bell_sip_params_get (via->params, "branch", &value))
            touch (value);
        }
      break;

    case BELL_SIP_HDR_FROM:
    case BELL_SIP_HDR_TO:
    case BELL_SIP_HDR_CONTACT:
    case BELL_SIP_HDR_ROUTE:
    case BELL_SIP_HDR_RECORD_ROUTE:
    case BELL_SIP_HDR_REFER_TO:
    case BELL_SIP_HDR_REFERRED_BY:
    case BELL_SIP_HDR_REPLY_TO:
    case BELL_SIP_HDR_PATH:
    case BELL_SIP_HDR_SERVICE_ROUTE:
    case BELL_SIP_HDR_P_ASSERTED_IDENTITY:
    case BELL_SIP_HDR_ALERT_INFO:
    case BELL_SIP_HDR_CALL_INFO:
    case BELL_SIP_HDR_ERROR_INFO:
      if (h->parsed.name_addr)
        exercise_name_addr (h->parsed.name_addr);
      break;

    case BELL_SIP_HDR_CSEQ:
      if (h->parsed.cseq)
        {
          touch (h->parsed.cseq->method_str);
          sink ^= (guint8) h->parsed.cseq->seq ^ (guint8) h->parsed.cseq->method;
        }
      break;

    case BELL_SIP_HDR_WWW_AUTHENTICATE:
    case BELL_SIP_HDR_PROXY_AUTHENTICATE:
    case BELL_SIP_HDR_AUTHORIZATION:
    case BELL_SIP_HDR_PROXY_AUTHORIZATION:
    case BELL_SIP_HDR_AUTHENTICATION_INFO:
      if (h->parsed.auth)
        {
          static const char *const names[] = { "realm", "nonce", "response", "uri", "qop",
                                               "nc", "cnonce", "opaque", "algorithm",
                                               "username", "nextnonce", "stale" };
          touch (h->parsed.auth->scheme);
          touch (h->parsed.auth->params);
          for (guint i = 0; i < G_N_ELEMENTS (names); i++)
            if (bell_sip_auth_get (h->parsed.auth, names[i], &value))
              touch (value);
        }
      break;

    case BELL_SIP_HDR_CONTENT_TYPE:
    case BELL_SIP_HDR_ACCEPT:
      if (h->parsed.media_type)
        {
          touch (h->parsed.media_type->type);
          touch (h->parsed.media_type->subtype);
          touch (h->parsed.media_type->params);
          if (bell_sip_params_get (h->parsed.media_type->params, "boundary", &value))
            touch (value);
        }
      break;

    case BELL_SIP_HDR_EVENT:
    case BELL_SIP_HDR_SUBSCRIPTION_STATE:
    case BELL_SIP_HDR_SESSION_EXPIRES:
    case BELL_SIP_HDR_MIN_SE:
    case BELL_SIP_HDR_RETRY_AFTER:
    case BELL_SIP_HDR_REASON:
    case BELL_SIP_HDR_CONTENT_DISPOSITION:
    case BELL_SIP_HDR_REPLACES:
      if (h->parsed.token_params)
        {
          touch (h->parsed.token_params->value);
          touch (h->parsed.token_params->params);
          sink ^= (guint8) h->parsed.token_params->number;
        }
      break;

    case BELL_SIP_HDR_RACK:
      if (h->parsed.rack)
        {
          touch (h->parsed.rack->method_str);
          sink ^= (guint8) h->parsed.rack->seq ^ (guint8) h->parsed.rack->cseq;
        }
      break;

    case BELL_SIP_HDR_WARNING:
      if (h->parsed.warning)
        {
          touch (h->parsed.warning->agent);
          touch (h->parsed.warning->text);
          sink ^= (guint8) h->parsed.warning->code;
        }
      break;

    case BELL_SIP_HDR_CONTENT_LENGTH:
    case BELL_SIP_HDR_MAX_FORWARDS:
    case BELL_SIP_HDR_EXPIRES:
    case BELL_SIP_HDR_MIN_EXPIRES:
    case BELL_SIP_HDR_RSEQ:
      sink ^= (guint8) h->parsed.number;
      break;

    default:
      break;
    }
}

/* Reads everything a layer above could read. */
static void
exercise (const BellSipMsg *msg)
{
  const char *reason = NULL;
  guint64 number;
  gsize body_len = 0;
  guint n = bell_sip_msg_get_n_headers (msg);
  guint code = bell_sip_msg_check (msg, &reason);

  if (code != 0 && (code < 400 || code > 699))
    fail ("bell_sip_msg_check returned %u", code);
  if (code != 0 && reason == NULL)
    fail ("bell_sip_msg_check returned %u without a reason", code);

  if (bell_sip_msg_is_request (msg))
    {
      const BellSipUri *ruri = bell_sip_msg_get_request_uri (msg);
      if (ruri == NULL)
        fail ("request without a Request-URI");
      exercise_uri (ruri);
      touch (bell_sip_msg_get_method_str (msg));
    }
  else
    {
      guint status = bell_sip_msg_get_status (msg);
      if (status < 100 || status > 699)
        fail ("response with status %u", status);
      touch (bell_sip_msg_get_reason (msg));
    }
  sink ^= (guint8) bell_sip_msg_get_method (msg);

  for (guint i = 0; i < n; i++)
    {
      const BellSipHeader *h = bell_sip_msg_get_header_at (msg, i);
      if (h == NULL)
        fail ("header %u of %u is NULL", i, n);
      exercise_header (h);
    }

  for (int id = BELL_SIP_HDR_OTHER + 1; id < BELL_SIP_HDR_N_IDS; id++)
    {
      guint count = 0;
      for (const BellSipHeader *h = bell_sip_msg_find (msg, id); h;
           h = bell_sip_msg_find_next (msg, id, h))
        {
          if (h->id != (BellSipHdrId) id)
            fail ("find(%d) gave a header with id %d", id, h->id);
          if (++count > n)
            fail ("find_next loops for id %d", id);
        }
      if (count != bell_sip_msg_count (msg, id))
        fail ("find/find_next saw %u headers of id %d, count says %u", count, id,
              bell_sip_msg_count (msg, id));
    }

  if (bell_sip_msg_get_via (msg))
    touch (bell_sip_msg_get_via (msg)->branch);
  if (bell_sip_msg_get_from (msg))
    touch (bell_sip_msg_get_from (msg)->tag);
  if (bell_sip_msg_get_to (msg))
    touch (bell_sip_msg_get_to (msg)->tag);
  if (bell_sip_msg_get_contact (msg))
    touch (bell_sip_msg_get_contact (msg)->params);
  if (bell_sip_msg_get_cseq (msg))
    touch (bell_sip_msg_get_cseq (msg)->method_str);
  touch (bell_sip_msg_get_call_id (msg));
  if (bell_sip_msg_get_number (msg, BELL_SIP_HDR_CONTENT_LENGTH, &number))
    sink ^= (guint8) number;
  if (bell_sip_msg_get_number (msg, BELL_SIP_HDR_EXPIRES, &number))
    sink ^= (guint8) number;
  sink ^= (guint8) bell_sip_msg_has_token (msg, BELL_SIP_HDR_ALLOW, "INVITE");
  sink ^= (guint8) bell_sip_msg_has_token (msg, BELL_SIP_HDR_SUPPORTED, "100rel");
  sink ^= (guint8) bell_sip_msg_has_token (msg, BELL_SIP_HDR_REQUIRE, "timer");
  if (bell_sip_msg_find_by_name (msg, "X-Bellbird"))
    touch (bell_sip_msg_find_by_name (msg, "X-Bellbird")->value);

  const char *body = bell_sip_msg_peek_body (msg, &body_len);
  touch ((BellStr){ body, body_len });
  GBytes *bytes = bell_sip_msg_get_body (msg);
  if (bytes != NULL)
    {
      if (g_bytes_get_size (bytes) != body_len)
        fail ("get_body gives %zu bytes, peek_body %zu", (size_t) g_bytes_get_size (bytes),
              (size_t) body_len);
      g_bytes_unref (bytes);
    }
  else if (body_len != 0)
    fail ("get_body is NULL but peek_body has %zu bytes", (size_t) body_len);

  char *log = bell_sip_msg_to_log_string (msg);
  if (log == NULL)
    fail ("to_log_string returned NULL");
  touch_cstr (log, strlen (log));
}

static guint
n_headers_without_cl (const BellSipMsg *msg)
{
  return bell_sip_msg_get_n_headers (msg) - bell_sip_msg_count (msg, BELL_SIP_HDR_CONTENT_LENGTH);
}

static void
dump (const char *label, const char *text, gsize len)
{
  fprintf (stderr, "---- %s (%zu bytes) ----\n", label, (size_t) len);
  fwrite (text, 1, len, stderr);
  fprintf (stderr, "\n---- end of %s ----\n", label);
}

/* The printer must produce a message that parses to the same thing. */
static void
check_round_trip (const BellSipMsg *msg, BellSipParseFlags flags, const char *what)
{
  g_autoptr(GError) error = NULL;
  gsize len = 0, len2 = 0, body_len = 0, body_len2 = 0;
  g_autofree char *printed = bell_sip_msg_to_string (msg, &len);

  if (printed == NULL)
    fail ("%s: to_string returned NULL", what);

  g_autoptr(BellSipMsg) again = bell_sip_msg_parse (printed, len, flags, &error);
  if (again == NULL)
    {
      dump ("printed", printed, len);
      fail ("%s: printed message does not parse (%s mode): %s", what,
            flags & BELL_SIP_PARSE_STREAM ? "stream" : "datagram", error->message);
    }

  if (bell_sip_msg_is_request (msg) != bell_sip_msg_is_request (again))
    fail ("%s: request/response changed in the round trip", what);
  if (bell_sip_msg_is_request (msg))
    {
      if (bell_sip_msg_get_method (msg) != bell_sip_msg_get_method (again)
          || !bell_str_equal (bell_sip_msg_get_method_str (msg),
                              bell_sip_msg_get_method_str (again)))
        {
          dump ("printed", printed, len);
          fail ("%s: method changed in the round trip", what);
        }
      if (!bell_sip_uri_equal (bell_sip_msg_get_request_uri (msg),
                               bell_sip_msg_get_request_uri (again)))
        {
          dump ("printed", printed, len);
          fail ("%s: Request-URI changed in the round trip", what);
        }
    }
  else if (bell_sip_msg_get_status (msg) != bell_sip_msg_get_status (again))
    {
      dump ("printed", printed, len);
      fail ("%s: status %u became %u", what, bell_sip_msg_get_status (msg),
            bell_sip_msg_get_status (again));
    }

  if (n_headers_without_cl (msg) != n_headers_without_cl (again))
    {
      dump ("printed", printed, len);
      fail ("%s: %u headers (Content-Length aside) became %u", what, n_headers_without_cl (msg),
            n_headers_without_cl (again));
    }
  guint n = bell_sip_msg_get_n_headers (msg), n2 = bell_sip_msg_get_n_headers (again);
  for (guint i = 0, j = 0;; i++, j++)
    {
      const BellSipHeader *a = NULL, *b = NULL;
      while (i < n
             && (a = bell_sip_msg_get_header_at (msg, i))->id == BELL_SIP_HDR_CONTENT_LENGTH)
        i++;
      while (j < n2
             && (b = bell_sip_msg_get_header_at (again, j))->id == BELL_SIP_HDR_CONTENT_LENGTH)
        j++;
      if (i >= n || j >= n2)
        break;
      if (a->id != b->id)
        {
          dump ("printed", printed, len);
          fail ("%s: header %u (%.*s) has id %d, after the round trip %d (%.*s)", what, i,
                BELL_STR_PRINTF (a->name), a->id, b->id, BELL_STR_PRINTF (b->name));
        }
      if (a->id == BELL_SIP_HDR_OTHER && !bell_str_equal_ci (a->name, b->name))
        {
          dump ("printed", printed, len);
          fail ("%s: unknown header %.*s became %.*s", what, BELL_STR_PRINTF (a->name),
                BELL_STR_PRINTF (b->name));
        }
    }

  const char *body = bell_sip_msg_peek_body (msg, &body_len);
  const char *body2 = bell_sip_msg_peek_body (again, &body_len2);
  if (body_len != body_len2 || (body_len && memcmp (body, body2, body_len) != 0))
    {
      dump ("printed", printed, len);
      fail ("%s: body of %zu bytes became %zu bytes or changed", what, (size_t) body_len,
            (size_t) body_len2);
    }

  /* Printing is a fixed point after one round. */
  g_autofree char *printed2 = bell_sip_msg_to_string (again, &len2);
  if (len != len2 || memcmp (printed, printed2, len) != 0)
    {
      dump ("first print", printed, len);
      dump ("second print", printed2, len2);
      fail ("%s: printing the re-parsed message gives other bytes", what);
    }

  exercise (again);
}

static void
check_builder (const BellSipMsg *req)
{
  static const guint statuses[] = { 100, 180, 200, 486 };
  const BellSipHdrId copied[] = { BELL_SIP_HDR_VIA, BELL_SIP_HDR_CALL_ID, BELL_SIP_HDR_CSEQ };

  for (guint s = 0; s < G_N_ELEMENTS (statuses); s++)
    {
      g_autoptr(BellSipMsg) resp = NULL;
      guint status = statuses[s];

      resp = bell_sip_msg_new_response_to (req, status, "Fuzz", status > 100 ? "fz1" : NULL);
      if (resp == NULL)
        fail ("new_response_to(%u) returned NULL for a request that passed the checks", status);
      if (bell_sip_msg_is_request (resp) || bell_sip_msg_get_status (resp) != status)
        fail ("new_response_to(%u) gave the wrong start line", status);
      for (guint i = 0; i < G_N_ELEMENTS (copied); i++)
        if (bell_sip_msg_count (resp, copied[i]) != bell_sip_msg_count (req, copied[i]))
          fail ("new_response_to(%u): %u headers of id %d in the request, %u in the response",
                status, bell_sip_msg_count (req, copied[i]), copied[i],
                bell_sip_msg_count (resp, copied[i]));
      if (!bell_str_equal (bell_sip_msg_get_call_id (resp), bell_sip_msg_get_call_id (req)))
        fail ("new_response_to(%u) changed the Call-ID", status);
      exercise (resp);
      check_round_trip (resp, BELL_SIP_PARSE_STREAM, "response built by new_response_to");

      if (status != 200)
        continue;

      /* Whatever the builder accepts, the printer must print validly. */
      guint n = MIN (bell_sip_msg_get_n_headers (req), 64);
      for (guint i = 0; i < n; i++)
        {
          const BellSipHeader *h = bell_sip_msg_get_header_at (req, i);
          g_autofree char *name = bell_str_dup (h->name);
          g_autofree char *value = bell_str_dup (h->value);
          g_autoptr(GError) error = NULL;

          if (name == NULL || value == NULL || strlen (name) != h->name.len
              || strlen (value) != h->value.len)
            continue;  /* embedded NUL: not expressible as a C string */
          if (!bell_sip_msg_add_header (resp, name, value, &error))
            check_error (error, "add_header");
        }
      const char *body = NULL;
      gsize body_len = 0;
      body = bell_sip_msg_peek_body (req, &body_len);
      if (body_len > 0)
        bell_sip_msg_set_body (resp, "application/sdp", body, body_len);
      exercise (resp);
      check_round_trip (resp, BELL_SIP_PARSE_STREAM, "response with the request's headers added");
      bell_sip_msg_remove_first (resp, BELL_SIP_HDR_VIA);
      bell_sip_msg_remove_headers (resp, BELL_SIP_HDR_OTHER, "X-Bellbird");
      bell_sip_msg_set_body (resp, NULL, NULL, 0);
      check_round_trip (resp, BELL_SIP_PARSE_STREAM, "response after removals");
    }
}

static void
run_one (const char *data, gsize size, BellSipParseFlags flags)
{
  const char *reason = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) msg = bell_sip_msg_parse (data, size, flags, &error);

  if (msg == NULL)
    {
      check_error (error, "bell_sip_msg_parse");
      /* The UAS answers a request that did not parse from its raw lines: that answer must be a
       * valid message too. */
      g_autoptr(BellSipMsg) answer = bell_sip_msg_new_error_response_raw (data, size, error);
      if (answer != NULL)
        {
          guint status = bell_sip_msg_get_status (answer);
          if (status != 400 && status != 505)
            fail ("error response to a bad request has status %u", status);
          exercise (answer);
          check_round_trip (answer, BELL_SIP_PARSE_STREAM, "error response built from raw bytes");
        }
      return;
    }
  if (error != NULL)
    fail ("parse succeeded but set an error: %s", error->message);

  exercise (msg);
  check_round_trip (msg, flags, "parsed message");
  if (flags & BELL_SIP_PARSE_STREAM)
    return;
  /* The printout carries Content-Length, so a stream must take it too. */
  check_round_trip (msg, BELL_SIP_PARSE_STREAM, "parsed datagram, re-parsed as a stream");

  if (bell_sip_msg_is_request (msg) && bell_sip_msg_get_method (msg) != BELL_SIP_METHOD_ACK
      && bell_sip_msg_check (msg, &reason) == 0)
    check_builder (msg);
}

int
BELL_FUZZ_INIT (int *argc, char ***argv)
{
  /* A g_return_if_fail or g_warning reached from input is a bug to keep. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

int
BELL_FUZZ_ENTRY (const uint8_t *data, size_t size)
{
  if (size > BELL_SIP_MAX_MESSAGE_SIZE + 1024)
    return 0;
  run_one ((const char *) data, size, BELL_SIP_PARSE_DATAGRAM);
  run_one ((const char *) data, size, BELL_SIP_PARSE_STREAM);
  return 0;
}
