/* main.c: bellbird, the desktop app. */
#define G_LOG_DOMAIN "bellbird"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include "bell-application.h"

int
main (int argc, char *argv[])
{
  g_autoptr(BellApplication) app = NULL;
  const char *localedir = g_getenv ("BELLBIRD_LOCALEDIR");

  /* BELLBIRD_LOCALEDIR: translations from a build tree, before `meson install`. */
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = bell_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
