/* bench-common.c: message loading, correctness check, calibration and timing for the parse
 * benchmarks. See bench-common.h.
 *
 *   bench-<peer> [-t SECONDS] [-v] [DIR]
 *
 * DIR holds the messages (*.sip, CRLF), default the source tree's bench/messages. -t is the
 * timed run's length (default 1.0 s); -v also times each message on its own.
 */
#include "bench-common.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef BENCH_MESSAGES_DIR
# define BENCH_MESSAGES_DIR "messages"
#endif

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (((const BenchMsg *) a)->name, ((const BenchMsg *) b)->name);
}

static int
has_suffix (const char *s, const char *suffix)
{
  size_t n = strlen (s), m = strlen (suffix);
  return n >= m && strcmp (s + n - m, suffix) == 0;
}

static size_t
load_messages (const char *dir, BenchMsg **out)
{
  DIR *d = opendir (dir);
  struct dirent *e;
  BenchMsg *msgs = NULL;
  size_t n = 0;

  if (d == NULL)
    {
      fprintf (stderr, "error: cannot open %s: %s\n", dir, strerror (errno));
      exit (1);
    }
  while ((e = readdir (d)) != NULL)
    {
      char path[4096];
      FILE *f;
      long size;

      if (!has_suffix (e->d_name, ".sip"))
        continue;
      snprintf (path, sizeof path, "%s/%s", dir, e->d_name);
      f = fopen (path, "rb");
      if (f == NULL || fseek (f, 0, SEEK_END) != 0 || (size = ftell (f)) <= 0)
        {
          fprintf (stderr, "error: cannot read %s\n", path);
          exit (1);
        }
      rewind (f);
      msgs = realloc (msgs, (n + 1) * sizeof *msgs);
      msgs[n].name = strdup (e->d_name);
      msgs[n].len = (size_t) size;
      msgs[n].data = malloc (msgs[n].len + 1);
      if (fread (msgs[n].data, 1, msgs[n].len, f) != msgs[n].len)
        {
          fprintf (stderr, "error: short read on %s\n", path);
          exit (1);
        }
      msgs[n].data[msgs[n].len] = '\0';
      fclose (f);
      n++;
    }
  closedir (d);
  if (n == 0)
    {
      fprintf (stderr, "error: no *.sip message in %s\n", dir);
      exit (1);
    }
  qsort (msgs, n, sizeof *msgs, compare_names);
  *out = msgs;
  return n;
}

/* What every parser must find: the method of a request, the status of a response. */
static void
expected_start (const BenchMsg *msg, char *buf, size_t size)
{
  const char *p = msg->data;
  size_t n = strcspn (p, " \r\n");

  if (n == 7 && strncmp (p, "SIP/2.0", 7) == 0)
    {
      p += n + 1;
      n = strcspn (p, " \r\n");
    }
  snprintf (buf, size, "%.*s", (int) n, p);
}

static double
run (const BenchPeer *peer, const BenchMsg *msgs, size_t n, long iters)
{
  double start = now ();
  for (long i = 0; i < iters; i++)
    for (size_t k = 0; k < n; k++)
      if (peer->parse (&msgs[k]) != 0)
        {
          fprintf (stderr, "error: %s failed to parse %s while timing\n", peer->name,
                   msgs[k].name);
          exit (1);
        }
  return now () - start;
}

/* Rounds over the set that take at least 20 ms: the unit timed between two clock reads. */
static long
calibrate (const BenchPeer *peer, const BenchMsg *msgs, size_t n)
{
  long iters = 1;

  for (;;)
    {
      double t = run (peer, msgs, n, iters);
      if (t >= 0.02 || iters > (1L << 40))
        return iters;
      iters *= t < 0.002 ? 10 : 2;
    }
}

/* Whole batches until `seconds` have passed; returns the rate in messages per second. */
static double
measure (const BenchPeer *peer, const BenchMsg *msgs, size_t n, double seconds, long *rounds,
         double *elapsed)
{
  long batch = calibrate (peer, msgs, n);
  long total = 0;
  double t = 0;

  do
    {
      t += run (peer, msgs, n, batch);
      total += batch;
    }
  while (t < seconds);
  *rounds = total;
  *elapsed = t;
  return total * (double) n / t;
}

int
bench_main (int argc, char **argv, const BenchPeer *peer)
{
  const char *dir = BENCH_MESSAGES_DIR;
  double seconds = 1.0;
  int verbose = 0;
  BenchMsg *msgs;
  size_t n, total = 0;
  int bad = 0;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "-t") == 0 && i + 1 < argc)
        seconds = atof (argv[++i]);
      else if (strcmp (argv[i], "-v") == 0)
        verbose = 1;
      else if (argv[i][0] == '-')
        {
          fprintf (stderr, "usage: %s [-t SECONDS] [-v] [DIR]\n", argv[0]);
          return 2;
        }
      else
        dir = argv[i];
    }
  if (seconds <= 0)
    seconds = 1.0;

  if (peer->setup && peer->setup () != 0)
    {
      fprintf (stderr, "error: %s: setup failed\n", peer->name);
      return 1;
    }

  n = load_messages (dir, &msgs);
  printf ("# %s: %s\n", peer->name, peer->note);

  /* Correctness first: a parser that does not read the messages is not benchmarked. */
  for (size_t k = 0; k < n; k++)
    {
      char expected[64], got[512], first[64];

      total += msgs[k].len;
      expected_start (&msgs[k], expected, sizeof expected);
      if (peer->describe (&msgs[k], got, sizeof got) != 0)
        {
          fprintf (stderr, "error: %s cannot parse %s\n", peer->name, msgs[k].name);
          bad = 1;
          continue;
        }
      snprintf (first, sizeof first, "%.*s", (int) strcspn (got, " "), got);
      printf ("# check %s %s\n", msgs[k].name, got);
      if (strcmp (first, expected) != 0)
        {
          fprintf (stderr, "error: %s reads %s as \"%s\", expected \"%s\"\n", peer->name,
                   msgs[k].name, first, expected);
          bad = 1;
        }
    }
  if (bad)
    return 1;

  long rounds;
  double t;
  double rate = measure (peer, msgs, n, seconds, &rounds, &t);

  printf ("# %zu messages, %zu bytes; %ld rounds in %.3f s; %.3f us/msg\n", n, total, rounds, t,
          1e6 / rate);
  if (verbose)
    for (size_t k = 0; k < n; k++)
      {
        double rk = measure (peer, &msgs[k], 1, seconds / n, &rounds, &t);
        printf ("# %-28s %6zu bytes %9.3f us/msg\n", msgs[k].name, msgs[k].len, 1e6 / rk);
      }
  printf ("%s %.0f\n", peer->name, rate);

  for (size_t k = 0; k < n; k++)
    {
      free (msgs[k].name);
      free (msgs[k].data);
    }
  free (msgs);
  return 0;
}
