/* bell-secret.h: wiping secrets (passwords, SRTP master keys) out of memory.
 *
 * A buffer that held a secret is overwritten before it goes back to the allocator, so that the
 * secret does not linger in freed heap memory (a core dump, a later use-after-free, a swap
 * file). A plain memset() before free() is a dead store the compiler may drop; the wipe here is
 * OpenSSL's OPENSSL_cleanse(), which it cannot.
 *
 *   g_autoptr(BellSecret) password = bell_secret_dup (g_getenv (var));
 *   ...
 *   // wiped and freed when it goes out of scope
 *
 * These only help when the secret has no other copy: pass secrets as pointers, never through a
 * printf, a GString that grows, or a g_strdup() that is freed with g_free().
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A NUL-terminated string holding a secret; only for g_autoptr() and documentation. */
typedef char BellSecret;
/* A NULL-terminated array of such strings (g_strsplit() of an SDP), for g_auto(). */
typedef char **BellSecretStrv;

/* Overwrites mem[0..len) with zeroes in a way the compiler cannot optimise out. NULL or 0 is
 * ignored. */
void        bell_secret_wipe (gpointer mem, gsize len);
/* Wipes the string (up to its NUL) and frees it with g_free(); NULL is ignored. */
void        bell_secret_free (char *secret);
/* A copy of secret (NULL gives NULL), to be released with bell_secret_free(). */
BellSecret *bell_secret_dup  (const char *secret);
/* Replaces *secret with NULL after bell_secret_free(), as g_clear_pointer() does. */
void        bell_secret_clear (char **secret);
/* A GBytes that owns data (from g_malloc(), len bytes) and wipes it when its last reference
 * goes: for buffers that carry a secret further, e.g. a SIP message with SDES keys on its way
 * to the wire. */
GBytes     *bell_secret_bytes_new_take (gpointer data, gsize len);
/* Wipes and frees each string of strv, then strv, as g_strfreev() does; NULL is ignored. */
void        bell_secret_strfreev (char **strv);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BellSecret, bell_secret_free)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (BellSecretStrv, bell_secret_strfreev, NULL)

G_END_DECLS
