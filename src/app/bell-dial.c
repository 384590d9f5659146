/* bell-dial.c: from typed text to a URI to call. */
#define G_LOG_DOMAIN "bell-dial"

#include "config.h"
#include "bell-dial.h"

#include <glib/gi18n.h>
#include <string.h>
#include "bell-sip-uri.h"

G_DEFINE_QUARK (bell-dial-error-quark, bell_dial_error)

/* Characters people put in numbers to read them ("+49 (30) 123-45.6"); RFC 3966 calls them
 * visual separators. They are never dialled. */
static gboolean
is_visual_separator (char c)
{
  return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/';
}

/* The digits of a phone number (with a leading +, * and #), or NULL when text is not one. */
static char *
number_of (const char *text)
{
  GString *digits = g_string_new (NULL);

  for (const char *p = text; *p; p++)
    {
      if (g_ascii_isdigit (*p) || *p == '*' || *p == '#' || (*p == '+' && digits->len == 0))
        g_string_append_c (digits, *p);
      else if (!is_visual_separator (*p))
        return (g_string_free (digits, TRUE), NULL);
    }
  if (digits->len == 0 || g_str_equal (digits->str, "+"))
    return (g_string_free (digits, TRUE), NULL);
  return g_string_free (digits, FALSE);
}

static gboolean
has_scheme (const char *text, const char *scheme)
{
  gsize n = strlen (scheme);
  return g_ascii_strncasecmp (text, scheme, n) == 0 && text[n] == ':';
}

gboolean
bell_dial_is_link (const char *text)
{
  return text && (has_scheme (text, "sip") || has_scheme (text, "sips") || has_scheme (text, "tel"));
}

/* The host[:port] of the account's address, where numbers are called. */
static char *
account_domain (const char *account_address)
{
  g_autofree char *full = NULL;
  g_autoptr(BellSipUri) uri = NULL;

  if (!account_address || !*account_address)
    return NULL;
  full = has_scheme (account_address, "sip") || has_scheme (account_address, "sips")
         ? g_strdup (account_address) : g_strconcat ("sip:", account_address, NULL);
  uri = bell_sip_uri_new (full, NULL);
  if (!uri || !bell_str_is_set (uri->host) || uri->host.len == 0)
    return NULL;
  if (uri->port)
    return g_strdup_printf ("%.*s:%u", BELL_STR_PRINTF (uri->host), uri->port);
  return g_strdup_printf ("%.*s", BELL_STR_PRINTF (uri->host));
}

static char *
checked_sip_uri (const char *uri, const char *typed, GError **error)
{
  g_autoptr(BellSipUri) parsed = bell_sip_uri_new (uri, NULL);

  if (!parsed || !bell_sip_uri_is_sip (parsed) || parsed->host.len == 0)
    {
      g_set_error (error, BELL_DIAL_ERROR, BELL_DIAL_ERROR_INVALID,
                   _("“%s” is not a SIP address or a phone number"), typed);
      return NULL;
    }
  return g_strdup (uri);
}

static char *
at_account (const char *user, const char *account_address, GError **error)
{
  g_autofree char *domain = account_domain (account_address);
  g_autofree char *escaped = NULL;

  if (!domain)
    {
      g_set_error_literal (error, BELL_DIAL_ERROR, BELL_DIAL_ERROR_NEEDS_ACCOUNT,
                           _("Add an account to call numbers"));
      return NULL;
    }
  escaped = bell_uri_escape (user, strlen (user), BELL_URI_PART_USER);
  return g_strdup_printf ("sip:%s@%s", escaped, domain);
}

char *
bell_dial_resolve (const char *text, const char *account_address, guint16 echo_port,
                   GError **error)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (text ? text : ""));
  g_autofree char *number = NULL;

  if (!*trimmed)
    {
      g_set_error_literal (error, BELL_DIAL_ERROR, BELL_DIAL_ERROR_EMPTY,
                           _("Type a number or a SIP address"));
      return NULL;
    }
  if (g_ascii_strcasecmp (trimmed, "echo") == 0)
    return g_strdup_printf ("sip:echo@127.0.0.1:%u", echo_port);
  if (has_scheme (trimmed, "sip") || has_scheme (trimmed, "sips"))
    return checked_sip_uri (trimmed, trimmed, error);
  if (has_scheme (trimmed, "tel"))
    {
      /* tel:+4930123;phone-context=...: the parameters mean nothing to a SIP provider. */
      g_autofree char *body = g_strndup (trimmed + 4, strcspn (trimmed + 4, ";"));
      number = number_of (body);
      if (!number)
        {
          g_set_error (error, BELL_DIAL_ERROR, BELL_DIAL_ERROR_INVALID,
                       _("“%s” is not a phone number"), trimmed);
          return NULL;
        }
      return at_account (number, account_address, error);
    }
  if (strchr (trimmed, '@'))
    {
      g_autofree char *uri = g_strconcat ("sip:", trimmed, NULL);
      return checked_sip_uri (uri, trimmed, error);
    }
  number = number_of (trimmed);
  if (number)
    return at_account (number, account_address, error);
  /* A bare user name ("alice") is someone at the account's provider. */
  for (const char *p = trimmed; *p; p++)
    if (g_ascii_isspace (*p) || *p == ':' || *p == ';')
      {
        g_set_error (error, BELL_DIAL_ERROR, BELL_DIAL_ERROR_INVALID,
                     _("“%s” is not a SIP address or a phone number"), trimmed);
        return NULL;
      }
  return at_account (trimmed, account_address, error);
}

char *
bell_dial_display_for (const char *uri)
{
  g_autoptr(BellSipUri) parsed = NULL;
  g_autofree char *user = NULL;

  if (!uri)
    return g_strdup ("");
  parsed = bell_sip_uri_new (uri, NULL);
  if (!parsed)
    return g_strdup (uri);
  /* RFC 3323's anonymous From: a person reads "Anonymous", not a made-up domain. */
  if (bell_str_equal_cstr (parsed->host, "anonymous.invalid"))
    return g_strdup (_("Anonymous"));
  user = bell_sip_uri_dup_user (parsed, NULL);
  if (parsed->scheme == BELL_URI_SCHEME_TEL)
    return g_steal_pointer (&user);
  if (!user || !*user)
    return g_strdup_printf ("%.*s", BELL_STR_PRINTF (parsed->host));
  return g_strdup_printf ("%s@%.*s", user, BELL_STR_PRINTF (parsed->host));
}
