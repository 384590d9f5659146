#define G_LOG_DOMAIN "bell-arena"

#include "bell-arena.h"

#include <stdio.h>
#include <string.h>

struct _BellArenaBlock
{
  BellArenaBlock *next;
  max_align_t     data[];
};

#define ARENA_ALIGN (sizeof (max_align_t))
#define ARENA_MIN_BLOCK 2048

void
bell_arena_init (BellArena *arena, void *first_block, gsize size)
{
  arena->pos = first_block;
  arena->end = (char *) first_block + size;
  arena->extra = NULL;
}

void
bell_arena_clear (BellArena *arena)
{
  BellArenaBlock *b = arena->extra;

  while (b)
    {
      BellArenaBlock *next = b->next;
      g_free (b);
      b = next;
    }
  arena->extra = NULL;
  arena->pos = arena->end = NULL;
}

gpointer
bell_arena_alloc (BellArena *arena, gsize size)
{
  gsize pad = (ARENA_ALIGN - ((guintptr) arena->pos % ARENA_ALIGN)) % ARENA_ALIGN;
  BellArenaBlock *b;
  gsize block_size;
  char *p;

  if (arena->pos && (gsize) (arena->end - arena->pos) >= size + pad)
    {
      p = arena->pos + pad;
      arena->pos = p + size;
      return p;
    }

  block_size = MAX (size, ARENA_MIN_BLOCK);
  b = g_malloc (sizeof (BellArenaBlock) + block_size);
  b->next = arena->extra;
  arena->extra = b;
  p = (char *) b->data;
  /* Keep allocating from whichever block has more room left. */
  if (!arena->pos || block_size - size > (gsize) (arena->end - arena->pos))
    {
      arena->pos = p + size;
      arena->end = p + block_size;
    }
  return p;
}

gpointer
bell_arena_alloc0 (BellArena *arena, gsize size)
{
  gpointer p = bell_arena_alloc (arena, size);
  memset (p, 0, size);
  return p;
}

char *
bell_arena_strndup (BellArena *arena, const char *s, gsize len)
{
  char *p = bell_arena_alloc (arena, len + 1);
  if (len)
    memcpy (p, s, len);
  p[len] = '\0';
  return p;
}

char *
bell_arena_vprintf (BellArena *arena, gsize *len, const char *fmt, va_list args)
{
  va_list copy;
  int n;
  char *p;

  va_copy (copy, args);
  n = vsnprintf (NULL, 0, fmt, copy);
  va_end (copy);
  g_assert (n >= 0);
  p = bell_arena_alloc (arena, (gsize) n + 1);
  vsnprintf (p, (gsize) n + 1, fmt, args);
  if (len)
    *len = (gsize) n;
  return p;
}

char *
bell_arena_printf (BellArena *arena, gsize *len, const char *fmt, ...)
{
  va_list args;
  char *p;

  va_start (args, fmt);
  p = bell_arena_vprintf (arena, len, fmt, args);
  va_end (args);
  return p;
}
