/* bell-dial.h: what the user typed (dialpad, a link, the command line) as a URI to call.
 *
 * Rules, in order: "echo" is Bellbird's own echo test; a sip:/sips: URI goes as is; tel: and
 * numbers go to the account's domain; user@host becomes sip:user@host. Anything that cannot be
 * called gives a sentence for the user, never a guess.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BELL_DIAL_ERROR (bell_dial_error_quark ())
GQuark bell_dial_error_quark (void);

typedef enum
{
  BELL_DIAL_ERROR_EMPTY,          /* nothing to call */
  BELL_DIAL_ERROR_NEEDS_ACCOUNT,  /* a number or bare name needs an account's domain */
  BELL_DIAL_ERROR_INVALID,        /* not a SIP address */
} BellDialError;

/* account_address: the calling account's sip: address (its domain takes numbers), or NULL for
 * a direct call; echo_port: the core's UDP port for "echo". Returns a newly allocated URI. */
char     *bell_dial_resolve        (const char *text, const char *account_address,
                                    guint16 echo_port, GError **error);
/* TRUE for text that is a link Bellbird handles: sip:, sips: or tel:. */
gboolean  bell_dial_is_link        (const char *text);
/* What a person calls this URI: the number or user@host, without scheme and parameters. */
char     *bell_dial_display_for    (const char *uri);

G_END_DECLS
