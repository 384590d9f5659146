/* bell-arena.h: bump allocator that owns everything one parsed message points to.
 *
 * A received message is one malloc in the common case: the arena's first block is allocated
 * together with the message, and all parsed structures are carved out of it. Freeing the
 * message frees every block at once; nothing inside is freed on its own.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BellArenaBlock BellArenaBlock;

typedef struct
{
  char           *pos;
  char           *end;
  BellArenaBlock *extra;  /* blocks allocated after the first one */
} BellArena;

void      bell_arena_init     (BellArena *arena, void *first_block, gsize size);
void      bell_arena_clear    (BellArena *arena);
gpointer  bell_arena_alloc    (BellArena *arena, gsize size);
gpointer  bell_arena_alloc0   (BellArena *arena, gsize size);
char     *bell_arena_strndup  (BellArena *arena, const char *s, gsize len);
char     *bell_arena_printf   (BellArena *arena, gsize *len, const char *fmt, ...) G_GNUC_PRINTF (3, 4);
char     *bell_arena_vprintf  (BellArena *arena, gsize *len, const char *fmt, va_list args);

#define bell_arena_new(arena, Type, n) ((Type *) bell_arena_alloc ((arena), sizeof (Type) * (n)))
#define bell_arena_new0(arena, Type, n) ((Type *) bell_arena_alloc0 ((arena), sizeof (Type) * (n)))

G_END_DECLS
