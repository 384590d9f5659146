/* test-vcard.c: vCard parsing (2.1, 3.0, 4.0 fixtures in tests/data/vcard), printing (4.0,
 * folding, escaping), round trips, and hostile input that must end in a GError. */
#include "bell-vcard.h"

#include <string.h>

static GPtrArray *
parse_fixture (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "vcard", name, NULL);
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  GPtrArray *contacts;

  g_assert_true (g_file_get_contents (path, &text, &len, &error));
  contacts = bell_vcard_parse (text, len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (contacts);
  return contacts;
}

static void
assert_address (BellContact *contact, guint index, const char *label, const char *uri)
{
  g_assert_cmpuint (index, <, bell_contact_get_n_addresses (contact));
  const BellContactAddress *address = bell_contact_get_address (contact, index);
  g_assert_cmpstr (address->label, ==, label);
  g_assert_cmpstr (address->uri, ==, uri);
}

static void
test_parse_v21 (void)
{
  g_autoptr(GPtrArray) contacts = parse_fixture ("v21.vcf");
  BellContact *c;

  g_assert_cmpuint (contacts->len, ==, 3);

  c = contacts->pdata[0];
  /* QUOTED-PRINTABLE UTF-8 with a soft line break. */
  g_assert_cmpstr (bell_contact_get_name (c), ==, "Jörg Müller von der Alten Mühle");
  g_assert_cmpuint (bell_contact_get_n_addresses (c), ==, 4);
  assert_address (c, 0, "mobile", "+49 170 1234567");
  assert_address (c, 1, "fax", "+49 30 7654321");
  assert_address (c, 2, "home", "030 1111111");
  assert_address (c, 3, "sip", "sip:joerg@sip.example.de");
  g_assert_null (bell_contact_get_note (c));

  c = contacts->pdata[1];
  /* No FN: the name comes from N (prefix given middle family). */
  g_assert_cmpstr (bell_contact_get_name (c), ==, "Dr. Anna Maria Smith");
  g_assert_cmpuint (bell_contact_get_n_addresses (c), ==, 1);
  assert_address (c, 0, "work", "+1 (202) 555-0143");
  g_assert_cmpstr (bell_contact_get_note (c), ==, "Line one\nLine two");

  c = contacts->pdata[2];
  /* CHARSET=ISO-8859-1 converted to UTF-8. */
  g_assert_cmpstr (bell_contact_get_name (c), ==, "François");
  assert_address (c, 0, "phone", "+33 1 23 45 67 89");
}

static void
test_parse_v30 (void)
{
  g_autoptr(GPtrArray) contacts = parse_fixture ("v30.vcf");
  BellContact *c;

  g_assert_cmpuint (contacts->len, ==, 3);

  c = contacts->pdata[0];
  g_assert_cmpstr (bell_contact_get_name (c), ==, "Siobhan O'Brien, PhD");
  g_assert_cmpuint (bell_contact_get_n_addresses (c), ==, 4);
  assert_address (c, 0, "mobile", "+353 87 123 4567");
  assert_address (c, 1, "work", "+353 1 234 5678");
  assert_address (c, 2, "phone", "+353 1 999 0000");
  /* A URI value keeps its ';' parameters; the xmpp: IMPP is not ours to call. */
  assert_address (c, 3, "work", "sip:siobhan@voip.example.ie;transport=tcp");
  g_assert_cmpstr (bell_contact_get_note (c), ==,
                   "Prefers calls after 10; never on Sundays.\n"
                   "Second line with a backslash \\ and a folded continuation.");

  c = contacts->pdata[1];
  g_assert_cmpstr (bell_contact_get_name (c), ==, "Xiaoming Wang");
  assert_address (c, 0, "home", "+86 10 1234 5678");

  /* E-mail only: parsed, but with nothing to call. */
  c = contacts->pdata[2];
  g_assert_cmpstr (bell_contact_get_name (c), ==, "Mail Only");
  g_assert_cmpuint (bell_contact_get_n_addresses (c), ==, 0);
}

static void
test_parse_v40 (void)
{
  g_autoptr(GPtrArray) contacts = parse_fixture ("v40.vcf");
  BellContact *c;

  g_assert_cmpuint (contacts->len, ==, 2);

  c = contacts->pdata[0];
  g_assert_cmpstr (bell_contact_get_name (c), ==, "李小龙");
  g_assert_cmpuint (bell_contact_get_n_addresses (c), ==, 3);
  assert_address (c, 0, "mobile", "tel:+86-139-0000-1111");
  assert_address (c, 1, "sip", "sips:xiaolong@sip.example.cn");
  assert_address (c, 2, "main", "+86 21 5555 6666");

  c = contacts->pdata[1];
  g_assert_cmpstr (bell_contact_get_name (c), ==, "Front Desk");
  assert_address (c, 0, "work", "100");
  assert_address (c, 1, "work", "frontdesk@pbx.example.com");
}

static void
test_parse_empty (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) none = bell_vcard_parse ("", 0, &error);
  g_autoptr(GPtrArray) blank = bell_vcard_parse ("\r\n\n\r\n", 5, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);
  g_assert_cmpuint (blank->len, ==, 0);
}

static void
test_print_exact (void)
{
  g_autoptr(BellContact) contact = bell_contact_new ("Doe, John; Jr. \\ the 2nd");
  g_autofree char *text = NULL;

  bell_contact_add_address (contact, "mobile", "+1 555 0100");
  bell_contact_add_address (contact, "sip", "sip:john@example.com;transport=tls");
  bell_contact_add_address (contact, "work", "tel:+1-555-0101");
  bell_contact_add_address (contact, "echo", "echo");
  bell_contact_add_address (contact, "phone", "0800 123");
  bell_contact_set_note (contact, "two\nlines");
  text = bell_vcard_print (&contact, 1);
  g_assert_cmpstr (text, ==,
                   "BEGIN:VCARD\r\n"
                   "VERSION:4.0\r\n"
                   "FN:Doe\\, John\\; Jr. \\\\ the 2nd\r\n"
                   "TEL;TYPE=cell:+1 555 0100\r\n"
                   "IMPP:sip:john@example.com;transport=tls\r\n"
                   "TEL;VALUE=uri;TYPE=work:tel:+1-555-0101\r\n"
                   "X-SIP;TYPE=x-echo:echo\r\n"
                   "TEL:0800 123\r\n"
                   "NOTE:two\\nlines\r\n"
                   "END:VCARD\r\n");
}

/* Every line at most 75 octets, valid UTF-8 on its own, CRLF-terminated. */
static void
assert_folded_well (const char *text)
{
  const char *p = text;

  while (*p)
    {
      const char *crlf = strstr (p, "\r\n");
      g_assert_nonnull (crlf);
      g_assert_cmpint (crlf - p, <=, 75);
      g_assert_true (g_utf8_validate_len (p, crlf - p, NULL));
      g_assert_null (memchr (p, '\n', crlf - p));
      p = crlf + 2;
    }
}

static void
test_print_folding (void)
{
  GString *name = g_string_new (NULL);
  g_autoptr(BellContact) contact = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) back = NULL;
  g_autoptr(GError) error = NULL;

  /* 3-octet characters with an ASCII offset, so the fold points fall inside characters. */
  g_string_append (name, "ab");
  for (int i = 0; i < 60; i++)
    g_string_append (name, i % 2 ? "龙" : "鸟");
  contact = bell_contact_new (name->str);
  bell_contact_add_address (contact, "sip",
                            "sip:a-very-long-user-name-that-goes-on-and-on@a-long-host-name."
                            "example.com;transport=tcp;lr");
  text = bell_vcard_print (&contact, 1);
  assert_folded_well (text);
  g_assert_nonnull (strstr (text, "\r\n "));

  back = bell_vcard_parse (text, strlen (text), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->len, ==, 1);
  g_assert_cmpstr (bell_contact_get_name (back->pdata[0]), ==, name->str);
  assert_address (back->pdata[0], 0, "sip", bell_contact_get_first_uri (contact));
  g_string_free (name, TRUE);
}

static void
assert_same_contacts (GPtrArray *a, GPtrArray *b)
{
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    {
      BellContact *x = a->pdata[i], *y = b->pdata[i];
      g_assert_cmpstr (bell_contact_get_name (x), ==, bell_contact_get_name (y));
      g_assert_cmpstr (bell_contact_get_note (x), ==, bell_contact_get_note (y));
      g_assert_cmpuint (bell_contact_get_n_addresses (x), ==, bell_contact_get_n_addresses (y));
      for (guint k = 0; k < bell_contact_get_n_addresses (x); k++)
        assert_address (y, k, bell_contact_get_address (x, k)->label,
                        bell_contact_get_address (x, k)->uri);
    }
}

static void
test_round_trip (void)
{
  static const char *fixtures[] = { "v21.vcf", "v30.vcf", "v40.vcf" };
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint f = 0; f < G_N_ELEMENTS (fixtures); f++)
    {
      g_autoptr(GPtrArray) parsed = parse_fixture (fixtures[f]);
      for (guint i = 0; i < parsed->len; i++)
        g_ptr_array_add (all, g_object_ref (parsed->pdata[i]));
    }
  BellContact *tricky = bell_contact_new ("A;B,C\\D: \"quoted\" — ünïcødé");
  bell_contact_add_address (tricky, "echo", "echo");
  bell_contact_add_address (tricky, "home", "+44 (0)20 7946 0958");
  bell_contact_add_address (tricky, "sip", "sips:x@[2001:db8::1]:5061");
  bell_contact_set_note (tricky, "a,b;c\\d\nnext: line");
  g_ptr_array_add (all, tricky);

  g_autofree char *text = bell_vcard_print ((BellContact **) all->pdata, all->len);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) back = bell_vcard_parse (text, strlen (text), &error);

  g_assert_no_error (error);
  assert_folded_well (text);
  assert_same_contacts (all, back);

  /* And printing the parsed copy gives the same bytes. */
  g_autofree char *again = bell_vcard_print ((BellContact **) back->pdata, back->len);
  g_assert_cmpstr (again, ==, text);
}

/* Hostile input --------------------------------------------------------------------------- */

static void
assert_parse_fails (const char *text, gsize len, int code, const char *line)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) contacts = bell_vcard_parse (text, len, &error);

  g_assert_null (contacts);
  g_assert_error (error, BELL_VCARD_ERROR, code);
  if (line)
    g_assert_true (g_str_has_prefix (error->message, line));
}

static void
test_hostile_truncated (void)
{
  const char *text = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cut\r\nTEL:+1 555";

  /* No END:VCARD: the error names the line where the card began. */
  assert_parse_fails (text, strlen (text), BELL_VCARD_ERROR_MALFORMED, "Line 1:");
  /* Cut at every length: never a crash, always a result or an error. */
  for (gsize len = 0; len <= strlen (text); len++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) contacts = bell_vcard_parse (text, len, &error);
      g_assert_true ((contacts == NULL) != (error == NULL));
    }
}

static void
test_hostile_malformed (void)
{
  const char *no_colon = "BEGIN:VCARD\nVERSION:3.0\nFN Alice\nEND:VCARD\n";
  const char *nested = "BEGIN:VCARD\nBEGIN:VCARD\nEND:VCARD\nEND:VCARD\n";
  const char *outside = "FN:Nobody\n";
  const char *bad_name = "BEGIN:VCARD\nF N:x\nEND:VCARD\n";
  const char *calendar = "BEGIN:VCALENDAR\nEND:VCALENDAR\n";
  const char *version = "BEGIN:VCARD\nVERSION:9.9\nEND:VCARD\n";
  const char *charset = "BEGIN:VCARD\nFN;CHARSET=NO-SUCH-CHARSET;ENCODING=QUOTED-PRINTABLE:=41\n"
                        "END:VCARD\n";

  assert_parse_fails (no_colon, strlen (no_colon), BELL_VCARD_ERROR_MALFORMED, "Line 3:");
  assert_parse_fails (nested, strlen (nested), BELL_VCARD_ERROR_MALFORMED, "Line 2:");
  assert_parse_fails (outside, strlen (outside), BELL_VCARD_ERROR_MALFORMED, "Line 1:");
  assert_parse_fails (bad_name, strlen (bad_name), BELL_VCARD_ERROR_MALFORMED, "Line 2:");
  assert_parse_fails (calendar, strlen (calendar), BELL_VCARD_ERROR_MALFORMED, "Line 1:");
  assert_parse_fails (version, strlen (version), BELL_VCARD_ERROR_MALFORMED, "Line 2:");
  assert_parse_fails (charset, strlen (charset), BELL_VCARD_ERROR_ENCODING, "Line 2:");
}

static void
test_hostile_huge_line (void)
{
  GString *text = g_string_new ("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:");

  for (int i = 0; i < BELL_VCARD_MAX_LINE + 10; i++)
    g_string_append_c (text, 'x');
  g_string_append (text, "\r\nEND:VCARD\r\n");
  assert_parse_fails (text->str, text->len, BELL_VCARD_ERROR_TOO_LARGE, "Line 3:");
  g_string_free (text, TRUE);

  /* The same length built from folded continuation lines. */
  text = g_string_new ("BEGIN:VCARD\r\nNOTE:start");
  for (int i = 0; i < BELL_VCARD_MAX_LINE / 49 + 10; i++)
    g_string_append (text, "\r\n 0123456789012345678901234567890123456789012345678");
  g_string_append (text, "\r\nEND:VCARD\r\n");
  assert_parse_fails (text->str, text->len, BELL_VCARD_ERROR_TOO_LARGE, "Line 2:");
  g_string_free (text, TRUE);

  /* Many short continuation lines without a ':' stay linear work, then hit the limit. */
  text = g_string_new ("BEGIN:VCARD\nNOTE");
  for (int i = 0; i < BELL_VCARD_MAX_LINE + 10; i++)
    g_string_append (text, "\n =");
  g_string_append (text, "\nEND:VCARD\n");
  assert_parse_fails (text->str, text->len, BELL_VCARD_ERROR_TOO_LARGE, "Line 2:");
  g_string_free (text, TRUE);

  /* A million QUOTED-PRINTABLE soft breaks: the line stays short, the parse linear. */
  text = g_string_new ("BEGIN:VCARD\nFN:Soft\nNOTE;ENCODING=QUOTED-PRINTABLE:a=");
  for (int i = 0; i < 1000000; i++)
    g_string_append (text, "\n=");
  g_string_append (text, "\nb\nTEL:1\nEND:VCARD\n");
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) contacts = bell_vcard_parse (text->str, text->len, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (bell_contact_get_note (contacts->pdata[0]), ==, "ab");
  }
  g_string_free (text, TRUE);

  /* Input over the whole-file limit is refused before any work. */
  assert_parse_fails ("", BELL_VCARD_MAX_INPUT + 1, BELL_VCARD_ERROR_TOO_LARGE, NULL);
}

static void
test_hostile_many_addresses (void)
{
  GString *text = g_string_new ("BEGIN:VCARD\nFN:Many\n");

  for (int i = 0; i <= BELL_VCARD_MAX_ADDRESSES; i++)
    g_string_append_printf (text, "TEL:%d\n", 1000 + i);
  g_string_append (text, "END:VCARD\n");
  assert_parse_fails (text->str, text->len, BELL_VCARD_ERROR_TOO_LARGE, NULL);
  g_string_free (text, TRUE);
}

static void
test_hostile_bad_utf8 (void)
{
  const char raw[] = "BEGIN:VCARD\nVERSION:3.0\nFN:Bad \xc3\x28 byte\nEND:VCARD\n";
  const char nul[] = "BEGIN:VCARD\nFN:a\0b\nEND:VCARD\n";
  const char qp[] = "BEGIN:VCARD\nVERSION:2.1\nFN;ENCODING=QUOTED-PRINTABLE:=FF=FE\nEND:VCARD\n";
  const char empty_qp[] = "BEGIN:VCARD\nFN;ENCODING=QUOTED-PRINTABLE:\nEND:VCARD\n";
  const char b64[] = "BEGIN:VCARD\nFN;ENCODING=b:/w==\nEND:VCARD\n";

  assert_parse_fails (raw, sizeof raw - 1, BELL_VCARD_ERROR_ENCODING, "Line 3:");
  assert_parse_fails (nul, sizeof nul - 1, BELL_VCARD_ERROR_ENCODING, "Line 2:");
  assert_parse_fails (qp, sizeof qp - 1, BELL_VCARD_ERROR_ENCODING, "Line 3:");
  assert_parse_fails (b64, sizeof b64 - 1, BELL_VCARD_ERROR_ENCODING, "Line 2:");

  /* An empty encoded value is no error. */
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) contacts = bell_vcard_parse (empty_qp, sizeof empty_qp - 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (contacts->len, ==, 1);
}

/* Random bytes and random mutations of a valid file: a result or an error, never both, never
 * a crash (ASan watches the reads). */
static void
test_hostile_random (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "vcard", "v21.vcf",
                                                 NULL);
  g_autofree char *seed = NULL;
  gsize seed_len = 0;
  GRand *rand = g_rand_new_with_seed (7);

  g_assert_true (g_file_get_contents (path, &seed, &seed_len, NULL));
  for (int round = 0; round < 2000; round++)
    {
      g_autofree char *buf = g_memdup2 (seed, seed_len);
      gsize len = g_rand_int_range (rand, 0, (gint32) seed_len + 1);
      int flips = g_rand_int_range (rand, 1, 8);
      for (int f = 0; f < flips && len > 0; f++)
        {
          static const char pool[] = ":;=\\\r\n \t\"ABC,.\x80\xc3";
          buf[g_rand_int_range (rand, 0, (gint32) len)] =
            round % 2 ? pool[g_rand_int_range (rand, 0, sizeof pool - 1)]
                      : (char) g_rand_int_range (rand, 0, 256);
        }
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) contacts = bell_vcard_parse (buf, len, &error);
      g_assert_true ((contacts == NULL) != (error == NULL));
    }
  g_rand_free (rand);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vcard/parse/v21", test_parse_v21);
  g_test_add_func ("/vcard/parse/v30", test_parse_v30);
  g_test_add_func ("/vcard/parse/v40", test_parse_v40);
  g_test_add_func ("/vcard/parse/empty", test_parse_empty);
  g_test_add_func ("/vcard/print/exact", test_print_exact);
  g_test_add_func ("/vcard/print/folding", test_print_folding);
  g_test_add_func ("/vcard/round-trip", test_round_trip);
  g_test_add_func ("/vcard/hostile/truncated", test_hostile_truncated);
  g_test_add_func ("/vcard/hostile/malformed", test_hostile_malformed);
  g_test_add_func ("/vcard/hostile/huge-line", test_hostile_huge_line);
  g_test_add_func ("/vcard/hostile/many-addresses", test_hostile_many_addresses);
  g_test_add_func ("/vcard/hostile/bad-utf8", test_hostile_bad_utf8);
  g_test_add_func ("/vcard/hostile/random", test_hostile_random);
  return g_test_run ();
}
