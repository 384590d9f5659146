/* bell-ringer.h: the ringtone, a two-tone ring generated with GStreamer (no sound file).
 *
 * Its own small pipeline (two audiotestsrc tones mixed, on for 1 s, off for 2 s) on the
 * ringtone device the user picked, on the main thread: only the GStreamer streaming threads
 * run elsewhere and they touch no GTK. A device that cannot play is logged, never fatal.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define BELL_TYPE_RINGER (bell_ringer_get_type ())
G_DECLARE_FINAL_TYPE (BellRinger, bell_ringer, BELL, RINGER, GObject)

BellRinger *bell_ringer_new         (void);
/* "default", "none" (silent: tests), "pulse:DEVICE" or "alsa:DEVICE"; taken at the next start. */
void        bell_ringer_set_device  (BellRinger *self, const char *device);
void        bell_ringer_start       (BellRinger *self);
void        bell_ringer_stop        (BellRinger *self);
gboolean    bell_ringer_is_ringing  (BellRinger *self);

G_END_DECLS
