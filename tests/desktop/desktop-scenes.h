/* desktop-scenes.h: the real Bellbird window put into each state a user sees (dialpad, a call,
 * an incoming call, contacts, history, accounts, keyboard shortcuts), with sample contacts and
 * calls, for the translated-window test and the screenshot command. Also: the text a person
 * can see in a window, and a window rendered to PNG.
 *
 * Needs what tests/ui needs: a display (with-xvfb.sh), GSETTINGS_SCHEMA_DIR, BELLBIRD_CLI (for
 * the incoming call), and the text domain bound before desk_app_start ().
 */
#pragma once

#include <gtk/gtk.h>
#include "bell-application.h"
#include "bell-window.h"

G_BEGIN_DECLS

/* Binds GETTEXT_PACKAGE to $BELLBIRD_LOCALEDIR (else LOCALEDIR), as main.c does, and selects
 * the environment's locale: call first, before gtk_init (). */
void         desk_i18n_init      (void);
/* TRUE when LANGUAGE asks for Chinese (sample data then has Chinese names). */
gboolean     desk_is_chinese     (void);

/* The app with its core on 127.0.0.1 (any port, a tone for a microphone, no speaker), its
 * window open and its store ready, seeded with sample contacts and calls. */
BellApplication *desk_app_start  (void);
BellWindow  *desk_app_window     (BellApplication *app);
void         desk_app_stop       (BellApplication *app);

/* Scenes, in this order: "dialpad", "call", "incoming", "contacts", "history", "accounts",
 * "shortcuts". NULL-terminated. */
const char * const *desk_scene_names (void);
/* Puts the app into the scene and returns the window that shows it (the main window, the
 * accounts window or the shortcuts window; transfer none). desk_scene_leave () undoes what the
 * scene started (ends the call, closes the extra window). */
GtkWindow   *desk_scene_enter    (BellApplication *app, const char *scene);
void         desk_scene_leave    (BellApplication *app, const char *scene);

/* Resizes the main window (and any other toplevel) and waits until it has that size. */
void         desk_resize         (GtkWindow *window, int width, int height);

/* Every string a person can read in window as it is now: labels and button labels of mapped
 * widgets, tooltips, placeholder texts, window titles and the items of menus behind its menu
 * buttons. Each once, in tree order. */
GPtrArray   *desk_visible_strings (GtkWindow *window);
/* The strings of desk_visible_strings () that are the English msgid of a translated message
 * (the translation did not reach the window). */
GPtrArray   *desk_untranslated    (GtkWindow *window);

/* Renders window as it is on screen into a PNG file. */
gboolean     desk_save_png        (GtkWindow *window, const char *path, GError **error);

G_END_DECLS
