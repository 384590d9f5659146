/* bell-vcard.c: vCard 2.1/3.0/4.0 parsing and vCard 4.0 printing.
 *
 * Parsing works on logical lines: physical lines (CRLF or LF) joined where the next one starts
 * with a space or tab (folding), or where a QUOTED-PRINTABLE value ends with a soft break "=".
 * Every size is bounded (see bell-vcard.h), and any failure names the line it happened on.
 */
#define G_LOG_DOMAIN "bellbird-store"

#include "config.h"

#include "bell-vcard.h"

#include <glib/gi18n-lib.h>
#include <string.h>

G_DEFINE_QUARK (bell-vcard-error-quark, bell_vcard_error)

/* Octets per printed line before folding (RFC 6350 §3.2), CRLF not counted. */
#define FOLD_OCTETS 75

typedef struct
{
  GPtrArray *types;     /* lower-cased TYPE values, 2.1 bare parameters included */
  char *encoding;       /* "quoted-printable", "base64", "b" ... lower-cased, or NULL */
  char *charset;        /* as given, or NULL */
  char *value_type;     /* VALUE=..., lower-cased, or NULL */
} Params;

typedef struct
{
  guint begin_line;     /* 0 outside a card */
  char *fn;
  char *n;
  char *org;
  BellContact *contact;
} Card;

typedef struct
{
  GPtrArray *contacts;
  Card card;
} Parser;

static void
params_clear (Params *params)
{
  g_clear_pointer (&params->types, g_ptr_array_unref);
  g_clear_pointer (&params->encoding, g_free);
  g_clear_pointer (&params->charset, g_free);
  g_clear_pointer (&params->value_type, g_free);
}

static void
card_clear (Card *card)
{
  card->begin_line = 0;
  g_clear_pointer (&card->fn, g_free);
  g_clear_pointer (&card->n, g_free);
  g_clear_pointer (&card->org, g_free);
  g_clear_object (&card->contact);
}

static gboolean
fail (GError **error, BellVcardError code, guint line, const char *what)
{
  g_set_error (error, BELL_VCARD_ERROR, code, _("Line %u: %s"), line, what);
  return FALSE;
}

/* Text values ----------------------------------------------------------------------------- */

/* Undoes \n \N \, \; \: \\ (other backslashes stay). */
static char *
unescape (const char *text, gsize len)
{
  GString *out = g_string_sized_new (len);

  for (gsize i = 0; i < len; i++)
    {
      if (text[i] == '\\' && i + 1 < len)
        {
          char c = text[++i];
          if (c == 'n' || c == 'N')
            g_string_append_c (out, '\n');
          else if (c == ',' || c == ';' || c == ':' || c == '\\')
            g_string_append_c (out, c);
          else
            {
              g_string_append_c (out, '\\');
              g_string_append_c (out, c);
            }
        }
      else
        g_string_append_c (out, text[i]);
    }
  return g_string_free (out, FALSE);
}

/* One line of text: control characters (a newline from "\n" too) become spaces, then the
 * ends are trimmed. For names and addresses, never for notes. */
static char *
single_line (char *text)
{
  for (char *p = text; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      *p = ' ';
  return g_strstrip (text);
}

/* CRLF (a QUOTED-PRINTABLE "=0D=0A") and lone CR become LF, the one newline we keep. */
static char *
newlines_to_lf (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p; p++)
    {
      if (*p == '\r')
        {
          g_string_append_c (out, '\n');
          if (p[1] == '\n')
            p++;
        }
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

static int
hex_value (char c)
{
  return g_ascii_isxdigit (c) ? g_ascii_xdigit_value (c) : -1;
}

static GBytes *
decode_quoted_printable (const char *text)
{
  GByteArray *out = g_byte_array_new ();

  for (const char *p = text; *p; p++)
    {
      int hi, lo;
      if (*p == '=' && (hi = hex_value (p[1])) >= 0 && (lo = hex_value (p[2])) >= 0)
        {
          guint8 byte = (guint8) (hi * 16 + lo);
          g_byte_array_append (out, &byte, 1);
          p += 2;
        }
      else
        g_byte_array_append (out, (const guint8 *) p, 1);   /* a stray '=' stays */
    }
  return g_byte_array_free_to_bytes (out);
}

/* The value as UTF-8 after ENCODING and CHARSET; NULL with error when it cannot be read. */
static char *
decode_value (const char *value, const Params *params, guint line, GError **error)
{
  g_autoptr(GBytes) bytes = NULL;
  gsize len;
  const char *data;

  if (!params->encoding || g_str_equal (params->encoding, "8bit")
      || g_str_equal (params->encoding, "7bit"))
    return g_strdup (value);   /* the whole input is already checked to be UTF-8 */

  if (g_str_equal (params->encoding, "quoted-printable"))
    bytes = decode_quoted_printable (value);
  else if (g_str_equal (params->encoding, "base64") || g_str_equal (params->encoding, "b"))
    {
      gsize n = 0;
      g_autofree char *copy = g_strdup (value);
      guchar *raw = g_base64_decode_inplace (copy, &n);
      bytes = g_bytes_new (raw, n);
    }
  else
    {
      fail (error, BELL_VCARD_ERROR_ENCODING, line, _("unknown ENCODING"));
      return NULL;
    }

  data = g_bytes_get_data (bytes, &len);
  if (len == 0)
    return g_strdup ("");   /* an empty GBytes may give NULL data */
  if (params->charset && g_ascii_strcasecmp (params->charset, "utf-8") != 0
      && g_ascii_strcasecmp (params->charset, "utf8") != 0)
    {
      g_autoptr(GError) local = NULL;
      gsize written = 0;
      char *converted = g_convert (data, len, "UTF-8", params->charset, NULL, &written,
                                   &local);
      if (!converted || memchr (converted, '\0', written))
        {
          g_free (converted);
          fail (error, BELL_VCARD_ERROR_ENCODING, line,
                _("the text is not in the charset it names"));
          return NULL;
        }
      return converted;
    }
  if (!g_utf8_validate_len (data, len, NULL))
    {
      fail (error, BELL_VCARD_ERROR_ENCODING, line, _("the text is not valid UTF-8"));
      return NULL;
    }
  return g_strndup (data, len);
}

/* Labels ---------------------------------------------------------------------------------- */

/* A label key made of [a-z0-9-], at most 32 characters, or NULL. */
static char *
sanitize_label (const char *label)
{
  GString *out = g_string_new (NULL);

  for (const char *p = label; *p && out->len < 32; p++)
    {
      char c = g_ascii_tolower (*p);
      if (g_ascii_isalnum (c) || c == '-')
        g_string_append_c (out, c);
    }
  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

/* The label for an address from its TYPE values; fallback when none says anything. */
static char *
label_from_types (GPtrArray *types, const char *fallback)
{
  /* A number that is both "work" and "fax" is a fax: the more specific kind first. */
  static const struct { const char *type; const char *label; } known[] = {
    { "fax", "fax" }, { "pager", "pager" }, { "cell", "mobile" }, { "mobile", "mobile" },
    { "iphone", "mobile" }, { "work", "work" }, { "home", "home" }, { "main", "main" },
  };

  for (guint k = 0; types && k < G_N_ELEMENTS (known); k++)
    for (guint i = 0; i < types->len; i++)
      if (g_str_equal (types->pdata[i], known[k].type))
        return g_strdup (known[k].label);
  for (guint i = 0; types && i < types->len; i++)
    if (g_str_has_prefix (types->pdata[i], "x-"))
      {
        char *label = sanitize_label ((const char *) types->pdata[i] + 2);
        if (label)
          return label;
      }
  return g_strdup (fallback);
}

/* Lines ----------------------------------------------------------------------------------- */

/* Splits "a,b" (quotes removed) into lower-cased types. */
static void
add_types (Params *params, const char *values)
{
  g_auto(GStrv) parts = g_strsplit (values, ",", 0);

  if (!params->types)
    params->types = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; parts[i]; i++)
    {
      char *type = g_ascii_strdown (g_strstrip (parts[i]), -1);
      if (*type)
        g_ptr_array_add (params->types, type);
      else
        g_free (type);
    }
}

static void
replace_str (char **field, char *value)
{
  g_free (*field);
  *field = value;
}

static void
add_param (Params *params, const char *param)
{
  const char *eq = strchr (param, '=');
  g_autofree char *key = g_ascii_strdown (param, eq ? eq - param : -1);
  g_autofree char *value = NULL;

  g_strstrip (key);
  if (!eq)
    {
      /* vCard 2.1 bare parameters: "TEL;CELL;VOICE:" or ";QUOTED-PRINTABLE". */
      if (g_str_equal (key, "quoted-printable") || g_str_equal (key, "base64")
          || g_str_equal (key, "8bit") || g_str_equal (key, "7bit"))
        replace_str (&params->encoding, g_strdup (key));
      else
        add_types (params, key);
      return;
    }

  /* Quotes are only delimiters here ("cell,voice" in 4.0). */
  GString *unquoted = g_string_new (NULL);
  for (const char *p = eq + 1; *p; p++)
    if (*p != '"')
      g_string_append_c (unquoted, *p);
  value = g_strstrip (g_string_free (unquoted, FALSE));

  if (g_str_equal (key, "type"))
    add_types (params, value);
  else if (g_str_equal (key, "encoding"))
    replace_str (&params->encoding, g_ascii_strdown (value, -1));
  else if (g_str_equal (key, "charset"))
    replace_str (&params->charset, g_strdup (value));
  else if (g_str_equal (key, "value"))
    replace_str (&params->value_type, g_ascii_strdown (value, -1));
}

/* Where the parameters end (the first ':' outside double quotes), or NULL. */
static const char *
find_value_colon (const char *line)
{
  gboolean quoted = FALSE;

  for (const char *p = line; *p; p++)
    {
      if (*p == '"')
        quoted = !quoted;
      else if (*p == ':' && !quoted)
        return p;
    }
  return NULL;
}

/* The N components "Family;Given;Middle;Prefix;Suffix" as "Prefix Given Middle Family Suffix".*/
static char *
name_from_n (const char *value)
{
  static const int order[] = { 3, 1, 2, 0, 4 };
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  GString *name = g_string_new (NULL);
  const char *start = value;

  for (const char *p = value;; p++)
    {
      if (*p == '\\' && p[1])
        {
          p++;
          continue;
        }
      if (*p == ';' || *p == '\0')
        {
          g_ptr_array_add (parts, single_line (unescape (start, p - start)));
          if (*p == '\0')
            break;
          start = p + 1;
        }
    }
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      if ((guint) order[i] >= parts->len)
        continue;
      const char *part = parts->pdata[order[i]];
      /* Each component may itself be a comma list ("Jr.,M.D."). */
      g_autofree char *spaced = g_strdelimit (g_strdup (part), ",", ' ');
      g_strstrip (spaced);
      if (!*spaced)
        continue;
      if (name->len)
        g_string_append_c (name, ' ');
      g_string_append (name, spaced);
    }
  return g_string_free (name, FALSE);
}

static gboolean
has_prefix_ci (const char *s, const char *prefix)
{
  return g_ascii_strncasecmp (s, prefix, strlen (prefix)) == 0;
}

static gboolean
add_address (Card *card, guint line, const char *label, const char *uri, GError **error)
{
  if (!*uri)
    return TRUE;
  if (bell_contact_get_n_addresses (card->contact) >= BELL_VCARD_MAX_ADDRESSES)
    return fail (error, BELL_VCARD_ERROR_TOO_LARGE, line, _("too many numbers in one vCard"));
  bell_contact_add_address (card->contact, label, uri);
  return TRUE;
}

static gboolean
end_card (Parser *parser, guint line, GError **error)
{
  Card *card = &parser->card;
  const char *name = NULL;

  if (parser->contacts->len >= BELL_VCARD_MAX_CARDS)
    return fail (error, BELL_VCARD_ERROR_TOO_LARGE, line, _("too many vCards"));
  if (card->fn && *card->fn)
    name = card->fn;
  else if (card->n && *card->n)
    name = card->n;
  else if (card->org && *card->org)
    name = card->org;
  else
    name = bell_contact_get_first_uri (card->contact);
  bell_contact_set_name (card->contact, name);
  g_ptr_array_add (parser->contacts, g_steal_pointer (&card->contact));
  card_clear (card);
  return TRUE;
}

static gboolean
parse_line (Parser *parser, const char *line, guint number, GError **error)
{
  Card *card = &parser->card;
  const char *colon = find_value_colon (line);
  const char *value;
  g_auto(GStrv) head = NULL;
  g_autofree char *name = NULL;
  Params params = { 0 };
  gboolean ok = TRUE;

  if (!colon)
    return fail (error, BELL_VCARD_ERROR_MALFORMED, number, _("a property without “:”"));
  value = colon + 1;

  /* "item1.TEL;TYPE=cell": the group goes, the parameters are split outside quotes. */
  g_autofree char *before = g_strndup (line, colon - line);
  GPtrArray *pieces = g_ptr_array_new ();
  gboolean quoted = FALSE;
  char *start = before;
  for (char *p = before;; p++)
    {
      if (*p == '"')
        quoted = !quoted;
      else if ((*p == ';' && !quoted) || *p == '\0')
        {
          gboolean last = *p == '\0';
          *p = '\0';
          g_ptr_array_add (pieces, g_strdup (start));
          if (last)
            break;
          start = p + 1;
        }
    }
  g_ptr_array_add (pieces, NULL);
  head = (GStrv) g_ptr_array_free (pieces, FALSE);

  const char *dot = strrchr (head[0], '.');
  name = g_ascii_strup (g_strstrip (dot ? (char *) dot + 1 : head[0]), -1);
  if (!*name || strspn (name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != strlen (name))
    return fail (error, BELL_VCARD_ERROR_MALFORMED, number, _("a bad property name"));
  for (guint i = 1; head[i]; i++)
    if (*g_strstrip (head[i]))
      add_param (&params, head[i]);

  if (g_str_equal (name, "BEGIN"))
    {
      g_autofree char *what = g_strstrip (g_strdup (value));
      if (g_ascii_strcasecmp (what, "VCARD") != 0)
        ok = fail (error, BELL_VCARD_ERROR_MALFORMED, number, _("not a vCard"));
      else if (card->begin_line)
        ok = fail (error, BELL_VCARD_ERROR_MALFORMED, number,
                   _("a vCard inside a vCard is not supported"));
      else
        {
          card->begin_line = number;
          card->contact = bell_contact_new (NULL);
        }
    }
  else if (!card->begin_line)
    ok = fail (error, BELL_VCARD_ERROR_MALFORMED, number, _("expected BEGIN:VCARD"));
  else if (g_str_equal (name, "END"))
    ok = end_card (parser, number, error);
  else if (g_str_equal (name, "VERSION"))
    {
      g_autofree char *version = g_strstrip (g_strdup (value));
      if (!g_str_equal (version, "2.1") && !g_str_equal (version, "3.0")
          && !g_str_equal (version, "4.0"))
        ok = fail (error, BELL_VCARD_ERROR_MALFORMED, number, _("an unknown vCard version"));
    }
  else if (g_str_equal (name, "FN") || g_str_equal (name, "N") || g_str_equal (name, "ORG")
           || g_str_equal (name, "NOTE") || g_str_equal (name, "TEL")
           || g_str_equal (name, "IMPP") || g_str_equal (name, "X-SIP"))
    {
      g_autofree char *decoded = decode_value (value, &params, number, error);
      if (!decoded)
        ok = FALSE;
      else if (g_str_equal (name, "N"))
        {
          if (!card->n)
            card->n = name_from_n (decoded);
        }
      else if (g_str_equal (name, "ORG"))
        {
          /* "Company;Department": the company. */
          if (!card->org)
            card->org = name_from_n (decoded);
        }
      else
        {
          char *text = unescape (decoded, strlen (decoded));
          if (g_str_equal (name, "NOTE"))
            {
              if (!bell_contact_get_note (card->contact))
                {
                  g_autofree char *note = newlines_to_lf (text);
                  bell_contact_set_note (card->contact, note);
                }
            }
          else if (g_str_equal (name, "FN"))
            {
              if (!card->fn)
                card->fn = g_strdup (single_line (text));
            }
          else if (g_str_equal (name, "TEL"))
            {
              g_autofree char *label = label_from_types (params.types, "phone");
              ok = add_address (card, number, label, single_line (text), error);
            }
          else if (g_str_equal (name, "IMPP"))
            {
              /* Instant messaging of every kind; only SIP is ours to call. */
              single_line (text);
              if (has_prefix_ci (text, "sip:") || has_prefix_ci (text, "sips:"))
                {
                  g_autofree char *label = label_from_types (params.types, "sip");
                  ok = add_address (card, number, label, text, error);
                }
            }
          else
            {
              g_autofree char *label = label_from_types (params.types, "sip");
              ok = add_address (card, number, label, single_line (text), error);
            }
          g_free (text);
        }
    }
  /* URL, EMAIL, PHOTO, ADR ... are not for a phone's address book. */

  params_clear (&params);
  return ok;
}

/* Where the parameters of the logical line being built end, found by scanning only what was
 * appended since the last look: a hostile file of many short continuation lines stays
 * linear. */
typedef struct
{
  gsize scanned;
  gboolean quoted;
  gboolean has_colon;
  gboolean quoted_printable;  /* known once has_colon */
} LogicalState;

static gboolean
is_quoted_printable (const GString *line, LogicalState *state)
{
  for (; !state->has_colon && state->scanned < line->len; state->scanned++)
    {
      char c = line->str[state->scanned];
      if (c == '"')
        state->quoted = !state->quoted;
      else if (c == ':' && !state->quoted)
        {
          g_autofree char *head = g_ascii_strdown (line->str, state->scanned);
          state->has_colon = TRUE;
          state->quoted_printable = strstr (head, "quoted-printable") != NULL;
        }
    }
  return state->has_colon && state->quoted_printable;
}

static guint
line_of_offset (const char *text, gsize offset)
{
  guint line = 1;

  for (gsize i = 0; i < offset; i++)
    line += text[i] == '\n';
  return line;
}

GPtrArray *
bell_vcard_parse (const char *text, gsize len, GError **error)
{
  g_autoptr(GPtrArray) contacts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GString) logical = g_string_new (NULL);
  Parser parser = { contacts, { 0 } };
  LogicalState state = { 0 };
  guint number = 0, logical_start = 0;
  const char *end;
  gsize pos = 0;
  gboolean ok = TRUE;

  g_return_val_if_fail (text != NULL || len == 0, NULL);

  if (len > BELL_VCARD_MAX_INPUT)
    {
      fail (error, BELL_VCARD_ERROR_TOO_LARGE, 1, _("the file is too large"));
      return NULL;
    }
  if (!g_utf8_validate_len (text, len, &end))
    {
      fail (error, BELL_VCARD_ERROR_ENCODING, line_of_offset (text, end - text),
            _("the text is not valid UTF-8"));
      return NULL;
    }
  if (len >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0)
    pos = 3;

  while (ok && pos < len)
    {
      const char *line = text + pos;
      const char *nl = memchr (line, '\n', len - pos);
      gsize line_len = nl ? (gsize) (nl - line) : len - pos;

      pos += line_len + 1;
      number++;
      if (line_len > 0 && line[line_len - 1] == '\r')
        line_len--;

      gboolean continues = line_len > 0 && (line[0] == ' ' || line[0] == '\t');
      gboolean soft_break = logical->len > 0 && logical->str[logical->len - 1] == '='
                            && is_quoted_printable (logical, &state);

      if (logical->len > 0 && (continues || soft_break))
        {
          /* A soft break keeps the next line whole: its spaces are text. */
          if (soft_break)
            {
              g_string_truncate (logical, logical->len - 1);
              g_string_append_len (logical, line, line_len);
            }
          else
            g_string_append_len (logical, line + 1, line_len - 1);
        }
      else
        {
          if (logical->len > 0)
            ok = parse_line (&parser, logical->str, logical_start, error);
          g_string_truncate (logical, 0);
          if (ok && line_len > 0)
            {
              logical_start = number;
              state = (LogicalState) { 0 };
              g_string_append_len (logical, line, line_len);
            }
        }
      if (ok && logical->len > BELL_VCARD_MAX_LINE)
        ok = fail (error, BELL_VCARD_ERROR_TOO_LARGE, logical_start, _("a line is too long"));
    }
  if (ok && logical->len > 0)
    ok = parse_line (&parser, logical->str, logical_start, error);

  if (ok && parser.card.begin_line)
    ok = fail (error, BELL_VCARD_ERROR_MALFORMED, parser.card.begin_line,
               _("this vCard has no END:VCARD"));
  card_clear (&parser.card);
  return ok ? g_steal_pointer (&contacts) : NULL;
}

/* Printing -------------------------------------------------------------------------------- */

/* Appends one content line, folded at FOLD_OCTETS without splitting a UTF-8 sequence. */
static void
append_folded (GString *out, const char *line)
{
  gsize len = strlen (line);
  gsize pos = 0;
  gsize room = FOLD_OCTETS;

  while (len - pos > room)
    {
      gsize cut = pos + room;
      /* Back up to the first byte of a character. */
      while (cut > pos && ((guchar) line[cut] & 0xc0) == 0x80)
        cut--;
      g_string_append_len (out, line + pos, cut - pos);
      g_string_append (out, "\r\n ");
      pos = cut;
      room = FOLD_OCTETS - 1;   /* the leading space counts */
    }
  g_string_append (out, line + pos);
  g_string_append (out, "\r\n");
}

/* Text with \ , ; and newlines escaped; other control characters dropped. */
static void
append_escaped (GString *out, const char *text)
{
  for (const char *p = text; *p; p++)
    {
      switch (*p)
        {
        case '\\': g_string_append (out, "\\\\"); break;
        case ',': g_string_append (out, "\\,"); break;
        case ';': g_string_append (out, "\\;"); break;
        case '\n': g_string_append (out, "\\n"); break;
        default:
          if ((guchar) *p >= 0x20 && *p != 0x7f)
            g_string_append_c (out, *p);
        }
    }
}

/* A URI as it is, without control characters: RFC 6350 does not escape URI values. */
static void
append_uri (GString *out, const char *uri)
{
  for (const char *p = uri; *p; p++)
    if ((guchar) *p >= 0x20 && *p != 0x7f)
      g_string_append_c (out, *p);
}

/* ";TYPE=..." for label, nothing for the default label of the property. */
static void
append_type (GString *out, const char *label, const char *default_label)
{
  static const struct { const char *label; const char *type; } known[] = {
    { "mobile", "cell" }, { "work", "work" }, { "home", "home" }, { "fax", "fax" },
    { "pager", "pager" },
  };
  g_autofree char *clean = sanitize_label (label);

  if (!clean || g_str_equal (clean, default_label))
    return;
  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    if (g_str_equal (clean, known[i].label))
      {
        g_string_append_printf (out, ";TYPE=%s", known[i].type);
        return;
      }
  g_string_append_printf (out, ";TYPE=x-%s", clean);
}

static gboolean
is_phone_number (const char *text)
{
  gboolean digit = FALSE;

  for (const char *p = text; *p; p++)
    {
      if (g_ascii_isdigit (*p))
        digit = TRUE;
      else if (!strchr ("+-.()/ *#", *p))
        return FALSE;
    }
  return digit;
}

static void
print_address (GString *out, const BellContactAddress *address)
{
  GString *line = g_string_new (NULL);

  if (has_prefix_ci (address->uri, "sip:") || has_prefix_ci (address->uri, "sips:"))
    {
      g_string_append (line, "IMPP");
      append_type (line, address->label, "sip");
      g_string_append_c (line, ':');
      append_uri (line, address->uri);
    }
  else if (has_prefix_ci (address->uri, "tel:"))
    {
      g_string_append (line, "TEL;VALUE=uri");
      append_type (line, address->label, "phone");
      g_string_append_c (line, ':');
      append_uri (line, address->uri);
    }
  else if (is_phone_number (address->uri))
    {
      /* Free text is TEL's default value type in 4.0: the number keeps its spacing. */
      g_string_append (line, "TEL");
      append_type (line, address->label, "phone");
      g_string_append_c (line, ':');
      append_escaped (line, address->uri);
    }
  else
    {
      /* alice@example.com or "echo": X-SIP, the common carrier for SIP addresses. */
      g_string_append (line, "X-SIP");
      append_type (line, address->label, "sip");
      g_string_append_c (line, ':');
      append_escaped (line, address->uri);
    }
  append_folded (out, line->str);
  g_string_free (line, TRUE);
}

char *
bell_vcard_print (BellContact **contacts, guint n)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (contacts != NULL || n == 0, NULL);

  for (guint i = 0; i < n; i++)
    {
      BellContact *contact = contacts[i];
      g_autoptr(GString) line = g_string_new ("FN:");

      g_string_append (out, "BEGIN:VCARD\r\nVERSION:4.0\r\n");
      append_escaped (line, bell_contact_get_name (contact));
      append_folded (out, line->str);
      for (guint a = 0; a < bell_contact_get_n_addresses (contact); a++)
        print_address (out, bell_contact_get_address (contact, a));
      if (bell_contact_get_note (contact))
        {
          g_string_assign (line, "NOTE:");
          append_escaped (line, bell_contact_get_note (contact));
          append_folded (out, line->str);
        }
      g_string_append (out, "END:VCARD\r\n");
    }
  return g_string_free (out, FALSE);
}
