/* bell-secret.c: wiping secrets out of memory before it is freed. */
#define G_LOG_DOMAIN "bell-secret"

#include "bell-secret.h"

#include <string.h>

#include <openssl/crypto.h>

void
bell_secret_wipe (gpointer mem, gsize len)
{
  if (mem == NULL || len == 0)
    return;
  /* OPENSSL_cleanse writes through a volatile function pointer: no dead-store elimination,
   * even right before a free(). */
  OPENSSL_cleanse (mem, len);
}

void
bell_secret_free (char *secret)
{
  if (secret == NULL)
    return;
  bell_secret_wipe (secret, strlen (secret));
  g_free (secret);
}

BellSecret *
bell_secret_dup (const char *secret)
{
  /* g_strdup() allocates the exact length and copies once: no stray partial copy. */
  return g_strdup (secret);
}

void
bell_secret_strfreev (char **strv)
{
  if (strv == NULL)
    return;
  for (char **s = strv; *s; s++)
    bell_secret_free (*s);
  g_free (strv);
}

void
bell_secret_clear (char **secret)
{
  g_return_if_fail (secret != NULL);
  bell_secret_free (g_steal_pointer (secret));
}

typedef struct
{
  gpointer data;
  gsize    len;
} WipedBuffer;

static void
wiped_buffer_free (gpointer user_data)
{
  WipedBuffer *b = user_data;

  bell_secret_wipe (b->data, b->len);
  g_free (b->data);
  g_free (b);
}

GBytes *
bell_secret_bytes_new_take (gpointer data, gsize len)
{
  WipedBuffer *b = g_new (WipedBuffer, 1);

  b->data = data;
  b->len = len;
  return g_bytes_new_with_free_func (data, len, wiped_buffer_free, b);
}
