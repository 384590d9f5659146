/* replay.c: runs seed corpora through the fuzz harnesses as an ordinary test, with any compiler.
 *
 *   fuzz-replay [--harness NAME] [--pattern GLOB] [--lines] PATH... [--harness NAME ...]
 *
 * Options apply to the paths after them. A directory stands for its regular files whose name
 * matches the current --pattern (default "*"), in name order; a file is taken as it is; a path
 * that does not exist is skipped with a note (the third-party corpus is optional). With --lines
 * each line of a file (without its line ending) is one input, as for lists of URIs.
 *
 * Output is TAP: "1..N", then "ok K - harness:file" per file. A broken invariant aborts in the
 * harness, and the test fails with the file name as the last line printed.
 */
#define G_LOG_DOMAIN "fuzz-replay"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

int bell_fuzz_msg_one (const uint8_t *data, size_t size);
int bell_fuzz_msg_init (int *argc, char ***argv);
int bell_fuzz_uri_one (const uint8_t *data, size_t size);
int bell_fuzz_uri_init (int *argc, char ***argv);
int bell_fuzz_frame_one (const uint8_t *data, size_t size);
int bell_fuzz_frame_init (int *argc, char ***argv);
int bell_fuzz_sdp_one (const uint8_t *data, size_t size);
int bell_fuzz_sdp_init (int *argc, char ***argv);
int bell_fuzz_negotiate_one (const uint8_t *data, size_t size);
int bell_fuzz_negotiate_init (int *argc, char ***argv);
int bell_fuzz_rtp_one (const uint8_t *data, size_t size);
int bell_fuzz_rtp_init (int *argc, char ***argv);
int bell_fuzz_stun_one (const uint8_t *data, size_t size);
int bell_fuzz_stun_init (int *argc, char ***argv);

typedef struct
{
  const char *name;
  int (*one) (const uint8_t *data, size_t size);
  int (*init) (int *argc, char ***argv);
} Harness;

static const Harness harnesses[] = {
  { "msg", bell_fuzz_msg_one, bell_fuzz_msg_init },
  { "uri", bell_fuzz_uri_one, bell_fuzz_uri_init },
  { "frame", bell_fuzz_frame_one, bell_fuzz_frame_init },
  { "sdp", bell_fuzz_sdp_one, bell_fuzz_sdp_init },
  { "negotiate", bell_fuzz_negotiate_one, bell_fuzz_negotiate_init },
  { "rtp", bell_fuzz_rtp_one, bell_fuzz_rtp_init },
  { "stun", bell_fuzz_stun_one, bell_fuzz_stun_init },
};

typedef struct
{
  const Harness *harness;
  char          *path;
  gboolean       lines;
} Item;

static void
item_free (gpointer data)
{
  Item *item = data;
  g_free (item->path);
  g_free (item);
}

static const Harness *
find_harness (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (harnesses); i++)
    if (g_str_equal (harnesses[i].name, name))
      return &harnesses[i];
  return NULL;
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
add_path (GPtrArray *items, GPtrArray *notes, const Harness *harness, const char *pattern,
          gboolean lines, const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GDir) dir = g_dir_open (path, 0, &error);
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;

      if (dir == NULL)
        {
          g_ptr_array_add (notes, g_strdup_printf ("cannot read %s: %s", path, error->message));
          return;
        }
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *full = g_build_filename (path, name, NULL);
          if (g_pattern_match_simple (pattern, name)
              && g_file_test (full, G_FILE_TEST_IS_REGULAR))
            g_ptr_array_add (names, g_steal_pointer (&full));
        }
      g_ptr_array_sort (names, compare_paths);
      if (names->len == 0)
        g_ptr_array_add (notes, g_strdup_printf ("no %s in %s", pattern, path));
      for (guint i = 0; i < names->len; i++)
        {
          Item *item = g_new0 (Item, 1);
          item->harness = harness;
          item->path = g_strdup (names->pdata[i]);
          item->lines = lines;
          g_ptr_array_add (items, item);
        }
    }
  else if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      Item *item = g_new0 (Item, 1);
      item->harness = harness;
      item->path = g_strdup (path);
      item->lines = lines;
      g_ptr_array_add (items, item);
    }
  else
    g_ptr_array_add (notes, g_strdup_printf ("skipped %s: not found", path));
}

static guint
run_item (const Item *item, GError **error)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  guint n = 0;

  if (!g_file_get_contents (item->path, &contents, &len, error))
    return 0;

  if (!item->lines)
    {
      /* A private copy of exactly len bytes, so ASan catches any read past the input. */
      g_autofree uint8_t *copy = g_memdup2 (contents, len ? len : 1);
      item->harness->one (copy, len);
      return 1;
    }

  for (gsize start = 0; start < len;)
    {
      const char *nl = memchr (contents + start, '\n', len - start);
      gsize end = nl ? (gsize) (nl - contents) : len;
      gsize line_end = end;
      if (line_end > start && contents[line_end - 1] == '\r')
        line_end--;
      if (line_end > start)
        {
          g_autofree uint8_t *copy = g_memdup2 (contents + start, line_end - start);
          item->harness->one (copy, line_end - start);
          n++;
        }
      start = end + 1;
    }
  return n;
}

int
main (int argc, char **argv)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (item_free);
  g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func (g_free);
  const Harness *harness = &harnesses[0];
  const char *pattern = "*";
  gboolean lines = FALSE;
  guint failed = 0;

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--harness") && i + 1 < argc)
        {
          harness = find_harness (argv[++i]);
          if (harness == NULL)
            {
              fprintf (stderr, "fuzz-replay: unknown harness %s "
                               "(msg, uri, frame, sdp, negotiate, rtp, stun)\n", argv[i]);
              return 2;
            }
          pattern = "*";
          lines = FALSE;
        }
      else if (g_str_equal (argv[i], "--pattern") && i + 1 < argc)
        pattern = argv[++i];
      else if (g_str_equal (argv[i], "--lines"))
        lines = TRUE;
      else if (g_str_equal (argv[i], "--whole"))
        lines = FALSE;
      else if (argv[i][0] == '-' && argv[i][1] == '-')
        {
          fprintf (stderr, "usage: fuzz-replay [--harness msg|uri|frame|sdp|negotiate|rtp|stun] "
                           "[--pattern GLOB] [--lines|--whole] PATH...\n");
          return 2;
        }
      else
        add_path (items, notes, harness, pattern, lines, argv[i]);
    }

  for (guint i = 0; i < G_N_ELEMENTS (harnesses); i++)
    harnesses[i].init (&argc, &argv);

  printf ("1..%u\n", items->len);
  for (guint i = 0; i < notes->len; i++)
    printf ("# %s\n", (const char *) notes->pdata[i]);
  fflush (stdout);

  for (guint i = 0; i < items->len; i++)
    {
      const Item *item = items->pdata[i];
      g_autoptr(GError) error = NULL;
      g_autofree char *base = g_path_get_basename (item->path);
      g_autofree char *parent = g_path_get_dirname (item->path);
      g_autofree char *dir = g_path_get_basename (parent);
      guint n;

      /* Printed first, so a crash leaves the culprit as the last line. */
      fprintf (stderr, "replaying %s:%s\n", item->harness->name, item->path);
      fflush (stderr);
      n = run_item (item, &error);
      if (error != NULL)
        {
          printf ("not ok %u - %s:%s/%s # %s\n", i + 1, item->harness->name, dir, base,
                  error->message);
          failed++;
        }
      else if (item->lines)
        printf ("ok %u - %s:%s/%s (%u lines)\n", i + 1, item->harness->name, dir, base, n);
      else
        printf ("ok %u - %s:%s/%s\n", i + 1, item->harness->name, dir, base);
      fflush (stdout);
    }

  return failed ? 1 : 0;
}
