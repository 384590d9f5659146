/* fuzz-sip-uri.c: libFuzzer harness for sip:/sips:/tel: URIs and %-escaping.
 *
 *   - bell_sip_uri_parse() on the input; a failure must come with a BELL_SIP_ERROR GError;
 *   - a URI that parses prints to a string that parses to an equal URI (§19.1.4 comparison),
 *     and printing that again gives the same string; a copy is equal too;
 *   - bell_uri_unescape() then bell_uri_escape() for every part round-trips the raw bytes, and
 *     escaping the input as it is then unescaping it gives the input back.
 */
#define G_LOG_DOMAIN "fuzz-sip-uri"

#include "fuzz-common.h"
#include "bell-sip-error.h"
#include "bell-sip-uri.h"

static void
touch_uri (const BellSipUri *uri)
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
  sink ^= (guint8) uri->port ^ (guint8) uri->scheme ^ (guint8) uri->host_type;
  sink ^= (guint8) bell_sip_uri_is_sip (uri);
  if (bell_sip_uri_get_param (uri, "transport", &value))
    touch (value);
  if (bell_sip_uri_get_param (uri, "user", &value))
    touch (value);
  if (bell_sip_uri_get_header (uri, "Route", &value))
    touch (value);
  char *user = bell_sip_uri_dup_user (uri, &len);
  if (user != NULL)
    touch ((BellStr){ user, len });
  g_free (user);
}

static void
check_uri (const char *text, gsize len)
{
  g_autoptr(GError) error = NULL;
  BellSipUri uri, again;

  memset (&uri, 0, sizeof uri);
  if (!bell_sip_uri_parse (&uri, text, len, &error))
    {
      if (error == NULL || error->domain != BELL_SIP_ERROR)
        fail ("bell_sip_uri_parse failed without a BELL_SIP_ERROR");
      return;
    }
  if (error != NULL)
    fail ("bell_sip_uri_parse succeeded but set an error");

  touch_uri (&uri);
  if (!bell_sip_uri_equal (&uri, &uri))
    fail ("URI not equal to itself: %.*s", (int) len, text);

  g_autofree char *printed = bell_sip_uri_to_string (&uri);
  if (printed == NULL)
    fail ("to_string returned NULL for %.*s", (int) len, text);

  memset (&again, 0, sizeof again);
  if (!bell_sip_uri_parse (&again, printed, strlen (printed), &error))
    fail ("URI \"%.*s\" prints as \"%s\", which does not parse: %s", (int) len, text, printed,
          error->message);
  if (!bell_sip_uri_equal (&uri, &again) || !bell_sip_uri_equal (&again, &uri))
    fail ("URI \"%.*s\" prints as \"%s\", which is not equal to it", (int) len, text, printed);
  if (uri.scheme != again.scheme || uri.port != again.port || uri.host_type != again.host_type)
    fail ("URI \"%.*s\" prints as \"%s\": scheme, port or host type changed", (int) len, text,
          printed);

  g_autofree char *printed2 = bell_sip_uri_to_string (&again);
  if (g_strcmp0 (printed, printed2) != 0)
    fail ("URI \"%.*s\" prints as \"%s\", then as \"%s\"", (int) len, text, printed, printed2);

  g_autoptr(BellSipUri) copy = bell_sip_uri_copy (&uri);
  if (copy == NULL || !bell_sip_uri_equal (&uri, copy))
    fail ("a copy of \"%.*s\" is not equal to it", (int) len, text);
  touch_uri (copy);

  /* bell_sip_uri_new takes a C string: the same text must give the same URI. */
  if (memchr (text, '\0', len) == NULL)
    {
      g_autofree char *cstr = g_strndup (text, len);
      g_autoptr(GError) error2 = NULL;
      g_autoptr(BellSipUri) fresh = bell_sip_uri_new (cstr, &error2);
      if (fresh == NULL || !bell_sip_uri_equal (&uri, fresh))
        fail ("bell_sip_uri_new disagrees with bell_sip_uri_parse on \"%s\"", cstr);
    }
}

static void
check_escaping (const char *text, gsize len)
{
  static const BellUriPart parts[] = { BELL_URI_PART_USER, BELL_URI_PART_PASSWORD,
                                       BELL_URI_PART_PARAM, BELL_URI_PART_HEADER };
  gsize raw_len = 0;
  g_autofree char *raw = bell_uri_unescape ((BellStr){ text, len }, &raw_len);

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      /* Raw bytes → escaped → the same raw bytes. */
      gsize back_len = 0;
      g_autofree char *escaped = bell_uri_escape (text, len, parts[i]);
      if (escaped == NULL)
        fail ("bell_uri_escape returned NULL (part %d)", parts[i]);
      g_autofree char *back = bell_uri_unescape (bell_str (escaped), &back_len);
      if (back == NULL || back_len != len || memcmp (back, text, len) != 0)
        fail ("escape then unescape (part %d) does not give the input back; escaped: %s",
              parts[i], escaped);

      /* An escaped form holds only visible ASCII. */
      for (const char *p = escaped; *p; p++)
        if ((guchar) *p < 0x21 || (guchar) *p > 0x7e)
          fail ("escaped form (part %d) holds byte 0x%02x", parts[i], (guchar) *p);

      if (raw == NULL)
        continue;
      g_autofree char *re = bell_uri_escape (raw, raw_len, parts[i]);
      gsize re_len = 0;
      g_autofree char *re_raw = bell_uri_unescape (bell_str (re), &re_len);
      if (re_raw == NULL || re_len != raw_len || memcmp (re_raw, raw, raw_len) != 0)
        fail ("unescape, escape, unescape (part %d) changed the bytes", parts[i]);
    }
}

int
BELL_FUZZ_INIT (int *argc, char ***argv)
{
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

int
BELL_FUZZ_ENTRY (const uint8_t *data, size_t size)
{
  const char *text = (const char *) data;

  if (size > 64 * 1024)
    return 0;
  check_uri (text, size);
  /* Seeds are often "<uri>" or a URI with a trailing newline: try the inside too. */
  if (size >= 2 && text[0] == '<')
    {
      const char *end = memchr (text, '>', size);
      if (end != NULL)
        check_uri (text + 1, end - text - 1);
    }
  while (size > 0 && (text[size - 1] == '\n' || text[size - 1] == '\r'))
    size--;
  check_uri (text, size);
  check_escaping (text, size);
  return 0;
}
