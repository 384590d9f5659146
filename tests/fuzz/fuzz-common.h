/* fuzz-common.h: what every Bellbird fuzz harness shares: the entry points' names (libFuzzer's,
 * or renamed by meson for the fuzz-replay unit test), a sink that keeps reads from being
 * optimised away, and fail() for a broken invariant. Each harness defines G_LOG_DOMAIN, which
 * fail() names. */
#pragma once

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bell-str.h"

#ifndef BELL_FUZZ_ENTRY
# define BELL_FUZZ_ENTRY LLVMFuzzerTestOneInput
# define BELL_FUZZ_INIT  LLVMFuzzerInitialize
#endif

int BELL_FUZZ_ENTRY (const uint8_t *data, size_t size);
int BELL_FUZZ_INIT (int *argc, char ***argv);

/* Written to so that reading a slice cannot be optimised away. */
static volatile guint8 sink;

static void G_GNUC_NORETURN G_GNUC_PRINTF (1, 2)
fail (const char *fmt, ...)
{
  va_list args;

  fputs (G_LOG_DOMAIN ": invariant broken: ", stderr);
  va_start (args, fmt);
  vfprintf (stderr, fmt, args);
  va_end (args);
  fputc ('\n', stderr);
  abort ();
}

/* Reads every byte of s (so ASan sees a bad slice) and checks it is coherent. */
static inline void
touch (BellStr s)
{
  if (s.p == NULL && s.len != 0)
    fail ("BellStr with NULL pointer and length %zu", (size_t) s.len);
  for (gsize i = 0; i < s.len; i++)
    sink ^= (guint8) s.p[i];
}
