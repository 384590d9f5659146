/* bellbird-cli: the Bellbird core without GTK, for terminals, scripts and tests. */
#define G_LOG_DOMAIN "bellbird-cli"

#include "config.h"

#include <glib.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include "bell-sip-msg.h"

static int
usage (FILE *out)
{
  fprintf (out, "%s",
           _("Usage: bellbird-cli COMMAND [ARGS]\n"
             "\n"
             "Commands:\n"
             "  parse FILE   Parse a SIP message as Bellbird's receive path does and print it\n"
             "               re-serialized; a malformed message exits 1 with the reason.\n"));
  return out == stderr ? 2 : 0;
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
    return usage (stderr);
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

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc < 2)
    return usage (stderr);
  if (g_str_equal (argv[1], "parse"))
    return cmd_parse (argc - 1, argv + 1);
  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") || g_str_equal (argv[1], "help"))
    return usage (stdout);
  fprintf (stderr, _("error: unknown command “%s”\n"), argv[1]);
  return 2;
}
