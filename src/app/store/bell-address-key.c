/* bell-address-key.c: comparable forms of SIP URIs and phone numbers. */
#define G_LOG_DOMAIN "bellbird-store"

#include "bell-address-key.h"

#include <string.h>

/* Fewer digits than this never match by suffix: extensions like "100" stay exact. */
#define MIN_SUFFIX_DIGITS 7

gboolean
_bell_address_is_phone_number (const char *text)
{
  gboolean digit = FALSE;

  for (const char *p = text; *p; p++)
    {
      if (g_ascii_isdigit (*p))
        digit = TRUE;
      else if (!strchr ("+-.()/ ", *p))
        return FALSE;
    }
  return digit;
}

char *
_bell_address_digits (const char *text)
{
  GString *digits = g_string_new (NULL);

  for (const char *p = text; *p; p++)
    if (g_ascii_isdigit (*p))
      g_string_append_c (digits, *p);
  return g_string_free (digits, FALSE);
}

static gboolean
has_prefix_ci (const char *s, const char *prefix)
{
  return g_ascii_strncasecmp (s, prefix, strlen (prefix)) == 0;
}

/* rest: what follows "sip:" (or a bare user@host). */
static void
key_from_sip (BellAddressKey *key, const char *rest)
{
  g_autofree char *userhost = g_strndup (rest, strcspn (rest, ";?>"));
  char *at = strrchr (userhost, '@');
  g_autofree char *user = NULL;
  const char *hostport = userhost;
  g_autofree char *host = NULL;

  if (at)
    {
      *at = '\0';
      /* user:password@host: the password is no part of the identity. */
      user = g_strndup (userhost, strcspn (userhost, ":"));
      hostport = at + 1;
    }
  if (hostport[0] == '[')
    host = g_strndup (hostport, strcspn (hostport, "]") + (strchr (hostport, ']') ? 1 : 0));
  else
    host = g_strndup (hostport, strcspn (hostport, ":"));

  if (user && _bell_address_is_phone_number (user))
    {
      key->kind = BELL_ADDRESS_KEY_PHONE;
      key->key = _bell_address_digits (user);
      return;
    }
  key->kind = BELL_ADDRESS_KEY_SIP;
  g_autofree char *lower_host = g_ascii_strdown (host, -1);
  key->key = user ? g_strconcat (user, "@", lower_host, NULL) : g_steal_pointer (&lower_host);
}

void
_bell_address_key_init (BellAddressKey *key, const char *address)
{
  key->kind = BELL_ADDRESS_KEY_NONE;
  key->key = NULL;
  if (!address)
    return;

  /* "Alice <sip:alice@example.com>" as some callers hand it over. */
  const char *lt = strchr (address, '<');
  g_autofree char *trimmed = g_strstrip (g_strdup (lt ? lt + 1 : address));
  if (!*trimmed)
    return;

  if (has_prefix_ci (trimmed, "sip:"))
    key_from_sip (key, trimmed + 4);
  else if (has_prefix_ci (trimmed, "sips:"))
    key_from_sip (key, trimmed + 5);
  else if (has_prefix_ci (trimmed, "tel:"))
    {
      g_autofree char *number = g_strndup (trimmed + 4, strcspn (trimmed + 4, ";>"));
      key->kind = BELL_ADDRESS_KEY_PHONE;
      key->key = _bell_address_digits (number);
    }
  else if (_bell_address_is_phone_number (trimmed))
    {
      key->kind = BELL_ADDRESS_KEY_PHONE;
      key->key = _bell_address_digits (trimmed);
    }
  else if (strchr (trimmed, '@'))
    key_from_sip (key, trimmed);
  else
    {
      key->kind = BELL_ADDRESS_KEY_OTHER;
      key->key = g_utf8_strdown (trimmed, -1);
    }
}

void
_bell_address_key_clear (BellAddressKey *key)
{
  g_clear_pointer (&key->key, g_free);
  key->kind = BELL_ADDRESS_KEY_NONE;
}

static const char *
skip_zeros (const char *digits)
{
  while (*digits == '0')
    digits++;
  return digits;
}

BellAddressMatch
_bell_address_key_match (const BellAddressKey *a, const BellAddressKey *b)
{
  if (a->kind == BELL_ADDRESS_KEY_NONE || a->kind != b->kind || !*a->key || !*b->key)
    return BELL_ADDRESS_MATCH_NONE;
  if (strcmp (a->key, b->key) == 0)
    return BELL_ADDRESS_MATCH_EXACT;
  if (a->kind != BELL_ADDRESS_KEY_PHONE)
    return BELL_ADDRESS_MATCH_NONE;

  /* "0301234567" (national) and "49301234567" (international): one ends with the other
   * once the trunk or international prefix zeros are gone. */
  const char *x = skip_zeros (a->key);
  const char *y = skip_zeros (b->key);
  size_t lx = strlen (x), ly = strlen (y);
  const char *longer = lx >= ly ? x : y;
  const char *shorter = lx >= ly ? y : x;
  size_t ls = MIN (lx, ly), ll = MAX (lx, ly);

  if (ls < MIN_SUFFIX_DIGITS)
    return BELL_ADDRESS_MATCH_NONE;
  return strcmp (longer + (ll - ls), shorter) == 0 ? BELL_ADDRESS_MATCH_SUFFIX
                                                   : BELL_ADDRESS_MATCH_NONE;
}
