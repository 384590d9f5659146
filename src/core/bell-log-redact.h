/* bell-log-redact.h: the one place where text bound for a log loses its secrets.
 *
 * SIP messages are logged whole at debug level, and an SDP body carries SRTP master keys in
 * clear (SDES, RFC 4568: "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:<key||salt>"). Every
 * logging place that may show a message body or SDP passes it through here; what goes on the
 * wire is never touched. Redacted, each replaced by "<redacted>":
 *   - the key of each SDES key params: what follows "inline:" (any case, anywhere) up to the
 *     next '|', white space or line end; a lifetime or MKI after it stays visible
 *   - the data of an "a=key-mgmt:" attribute (MIKEY, RFC 4567) after its protocol name
 *   - the value of an SDP "k=" line (RFC 4566 §5.12: an encryption key, perhaps in clear)
 * Digest credentials in Authorization headers are the SIP printer's to redact (they are
 * structured header values, not free text).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BELL_LOG_REDACTED "<redacted>"

/* Appends text[0..len) to out with the secrets above replaced. text need not end in NUL. */
void  bell_log_redact_append (GString *out, const char *text, gsize len);
/* The same into a new string; len -1 means NUL-terminated. NULL gives NULL. */
char *bell_log_redact        (const char *text, gssize len);

G_END_DECLS
