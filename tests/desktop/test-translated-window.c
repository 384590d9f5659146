/* test-translated-window.c: with LANGUAGE=zh_CN, everything the real window shows is Chinese.
 *
 * Each case (one per scene of desktop-scenes.h, in its own process under with-xvfb.sh) puts
 * the window into that state, at 1000 and then at 360 px wide reads every string a person can see
 * (labels, button labels, tooltips, placeholders, titles, menu items) and fails on any string
 * that is the English msgid of a message po/zh_CN.po translates: the translation exists but did
 * not reach the screen (a string not marked, marked in the wrong domain, or looked up before
 * the locale was set). It also fails on English words that no catalogue knows (a string never
 * marked for translation at all). BELLBIRD_LOCALEDIR points at the build tree's catalogues.
 */
#include "config.h"

#include <glib/gi18n.h>
#include <langinfo.h>
#include <string.h>
#include "desktop-scenes.h"
#include "ui-test-util.h"

static BellApplication *app;
/* Day and month names when the locale's dates are not Chinese (no zh_CN.UTF-8 locale: dates
 * come from LC_TIME, not from our catalogue). */
static GPtrArray *date_words;

/* Words that stay in Latin letters in Chinese too: names, protocols, formats. */
static const char * const latin_words[] = {
  "Bellbird", "SIP", "SRTP", "TLS", "UDP", "TCP", "WebSocket", "STUN", "vCard", "PCMU", "PCMA",
  "G.711", "G.722", "Opus", "MOS", "kbit", "DTMF", "RTP", "GNOME", "GTK", "Ctrl", "Shift", "Alt", "Enter", "Esc", "Escape",
  "Backspace", "Delete", "Tab", "ms", NULL,
};

/* The first word of three or more Latin letters (one of them lowercase) that is not a name
 * above and not part of an address (a token with '@', ':' or '.'), or NULL. */
static char *
english_word (const char *text)
{
  g_auto(GStrv) tokens = g_strsplit_set (text, " \t\n()（）,，;；/“”\"'", -1);

  for (guint i = 0; tokens[i]; i++)
    {
      const char *token = tokens[i];
      guint letters = 0;
      gboolean lower = FALSE;

      if (strpbrk (token, "@:.") || g_strv_contains (latin_words, token) ||
          g_ptr_array_find_with_equal_func (date_words, token, g_str_equal, NULL))
        continue;
      for (const char *p = token; *p; p++)
        if (g_ascii_isalpha (*p))
          {
            letters++;
            lower |= g_ascii_islower (*p);
          }
        else
          letters = 0;
      /* "_S" in "保存(_S)" is a mnemonic, not a word. */
      if (letters >= 3 && lower)
        return g_strdup (token);
    }
  return NULL;
}

static void
check_window (GtkWindow *window, const char *scene, int width)
{
  g_autoptr(GPtrArray) strings = desk_visible_strings (window);
  g_autoptr(GPtrArray) untranslated = desk_untranslated (window);
  g_autoptr(GString) english = g_string_new (NULL);

  for (guint i = 0; i < strings->len; i++)
    {
      g_autofree char *word = english_word (strings->pdata[i]);

      g_test_message ("%s at %d px: %s", scene, width, (char *) strings->pdata[i]);
      if (word)
        g_string_append_printf (english, "\n  “%s” (in “%s”)", word,
                                (char *) strings->pdata[i]);
    }
  /* The scene really showed something: an empty window would pass every check. */
  g_assert_cmpuint (strings->len, >=, 3);
  for (guint i = 0; i < untranslated->len; i++)
    g_test_message ("untranslated in %s at %d px: “%s”", scene, width,
                    (char *) untranslated->pdata[i]);
  g_assert_cmpuint (untranslated->len, ==, 0);
  if (english->len)
    g_error ("%s at %d px shows English that no catalogue translates:%s", scene, width,
             english->str);
}

static void
test_scene (gconstpointer data)
{
  const char *scene = data;
  const int widths[] = { 1000, 360 };
  GtkWindow *shown;

  desk_resize (GTK_WINDOW (desk_app_window (app)), widths[0], 700);
  shown = desk_scene_enter (app, scene);
  for (guint i = 0; i < G_N_ELEMENTS (widths); i++)
    {
      desk_resize (shown, widths[i], 700);
      check_window (shown, scene, widths[i]);
    }
  desk_scene_leave (app, scene);
}

int
main (int argc, char *argv[])
{
  int status;

  desk_i18n_init ();
  g_test_init (&argc, &argv, NULL);
  gtk_init ();

  /* Without the catalogue every string is English and matches no translated msgid: make sure
   * it is there, or the test would pass on a window that is all English. */
  if (g_str_equal (_("Dialpad"), "Dialpad"))
    g_error ("no Chinese catalogue: LANGUAGE=%s, LC_ALL=%s, BELLBIRD_LOCALEDIR=%s",
             g_getenv ("LANGUAGE"), g_getenv ("LC_ALL"), g_getenv ("BELLBIRD_LOCALEDIR"));

  date_words = g_ptr_array_new_with_free_func (g_free);
  if (g_str_is_ascii (nl_langinfo (DAY_1)))
    {
      static const nl_item items[] = {
        DAY_1, DAY_2, DAY_3, DAY_4, DAY_5, DAY_6, DAY_7,
        ABDAY_1, ABDAY_2, ABDAY_3, ABDAY_4, ABDAY_5, ABDAY_6, ABDAY_7,
        MON_1, MON_2, MON_3, MON_4, MON_5, MON_6, MON_7, MON_8, MON_9, MON_10, MON_11, MON_12,
        ABMON_1, ABMON_2, ABMON_3, ABMON_4, ABMON_5, ABMON_6, ABMON_7, ABMON_8, ABMON_9,
        ABMON_10, ABMON_11, ABMON_12,
      };

      g_test_message ("no zh_CN.UTF-8 locale: day and month names stay as LC_TIME has them");
      for (guint i = 0; i < G_N_ELEMENTS (items); i++)
        g_ptr_array_add (date_words, g_strdup (nl_langinfo (items[i])));
    }

  for (const char * const *scene = desk_scene_names (); *scene; scene++)
    {
      g_autofree char *path = g_strconcat ("/desktop/zh_CN/", *scene, NULL);
      g_test_add_data_func (path, *scene, test_scene);
    }

  app = desk_app_start ();
  status = g_test_run ();
  desk_app_stop (app);
  g_ptr_array_unref (date_words);
  return status;
}
