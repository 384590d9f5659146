/* bell-window.h: Bellbird's main window: Dialpad, Contacts and History as views (a switcher in
 * the header, or at the bottom when narrow: it works from 360 px wide), and the call view,
 * which takes the window while calls are up.
 */
#pragma once

#include <adwaita.h>
#include "bell-application.h"
#include "bell-call-view.h"
#include "bell-dialpad.h"

G_BEGIN_DECLS

#define BELL_TYPE_WINDOW (bell_window_get_type ())
G_DECLARE_FINAL_TYPE (BellWindow, bell_window, BELL, WINDOW, AdwApplicationWindow)

BellWindow   *bell_window_new               (BellApplication *app);
/* "dialpad", "contacts", "history" or "call" (the call view, when there are calls). */
void          bell_window_show_page         (BellWindow *self, const char *name);
const char   *bell_window_get_visible_page  (BellWindow *self);
/* A short message at the bottom of the window. */
void          bell_window_toast             (BellWindow *self, const char *text);
/* A toast made by the caller (a button, a priority); takes it. */
void          bell_window_add_toast         (BellWindow *self, AdwToast *toast);
/* Opens the accounts window. */
void          bell_window_show_accounts     (BellWindow *self);
/* What the window does with a key press that reached it (its key controller calls this):
 * digits, * # and + type on the dialpad (or send tones in a connected call), Enter calls what
 * the dialpad holds, Escape hangs up or declines the call shown (without a call it clears the
 * dialpad). Keys with Ctrl, Alt or Super, and keys while another entry has the focus, are
 * left alone. TRUE when the key was used. */
gboolean      bell_window_handle_key        (BellWindow *self, guint keyval,
                                             GdkModifierType state);

/* Parts, for tests. Contacts and history exist once the store is open (else NULL). */
BellDialpad  *bell_window_get_dialpad       (BellWindow *self);
BellCallView *bell_window_get_call_view     (BellWindow *self);
AdwViewStack *bell_window_get_view_stack    (BellWindow *self);
GtkWidget    *bell_window_get_contacts_page (BellWindow *self);
GtkWidget    *bell_window_get_history_page  (BellWindow *self);

G_END_DECLS
