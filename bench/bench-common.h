/* bench-common.h: the driver shared by the parse benchmarks (plain C, no GLib: the peer
 * binaries link only their own library).
 *
 * Each bench-<peer> binary fills a BenchPeer and calls bench_main(). The driver loads the
 * message set, checks once that the peer reads each message's start line, CSeq, Call-ID and
 * body length right, calibrates an iteration count for the wanted run time, times
 * parse + free over the whole set, and prints:
 *
 *   # <peer>: <what its parse does>
 *   # check <file> <start> cseq=<n> call-id=<id> body=<len>
 *   <peer> <messages per second>
 */
#pragma once

#include <stddef.h>

typedef struct
{
  char   *name;   /* file name, without directory */
  char   *data;   /* the bytes, NUL-terminated (not counted in len) */
  size_t  len;
} BenchMsg;

typedef struct
{
  const char *name;
  const char *note;
  /* Once before anything else; 0 on success. May be NULL. */
  int (*setup) (void);
  /* Parse and free one message exactly as the peer's receive path does; 0 on success. */
  int (*parse) (const BenchMsg *msg);
  /* Parse one message and write "<METHOD or status> <cseq> <call-id> <body length>"; 0 on
   * success. */
  int (*describe) (const BenchMsg *msg, char *buf, size_t size);
} BenchPeer;

int bench_main (int argc, char **argv, const BenchPeer *peer);
