/* bell-event.h: what the core tells its user (the app, the CLI), as immutable values.
 *
 * An event has a name ("registered", "options", "call", "error" ...) and named fields. It is
 * made on the core thread and read on the main thread; the CLI prints it as one JSON object
 * per line for --events (the contract in DESIGN.md).
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct _BellEvent BellEvent;

#define BELL_TYPE_EVENT (bell_event_get_type ())
GType bell_event_get_type (void) G_GNUC_CONST;

/* Fields as NULL-terminated (key, GVariant *) pairs; floating variants are sunk. */
BellEvent   *bell_event_new        (const char *name, const char *first_key, ...) G_GNUC_NULL_TERMINATED;
/* Fields from an a{sv} (a floating one is sunk): for events whose fields vary. */
BellEvent   *bell_event_new_from_vardict (const char *name, GVariant *fields);
BellEvent   *bell_event_ref        (BellEvent *event);
void         bell_event_unref      (BellEvent *event);
const char  *bell_event_get_name   (const BellEvent *event);
/* The field, or NULL. */
GVariant    *bell_event_lookup     (const BellEvent *event, const char *key);
const char  *bell_event_get_string (const BellEvent *event, const char *key);
gint64       bell_event_get_int    (const BellEvent *event, const char *key, gint64 fallback);
/* FALSE when absent. */
gboolean     bell_event_get_bool   (const BellEvent *event, const char *key);
/* {"event":"NAME",...} on one line. */
char        *bell_event_to_json    (const BellEvent *event);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellEvent, bell_event_unref)

G_END_DECLS
