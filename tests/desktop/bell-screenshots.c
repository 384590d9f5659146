/* bell-screenshots.c: bell-screenshots OUTDIR [SCENE...]: PNGs of the real window in every
 * scene of desktop-scenes.h, 1000x700 (OUTDIR/SCENE.png) and 360x720 (OUTDIR/SCENE-narrow.png),
 * in the language of LANGUAGE. Run it through take-screenshots.sh (a private X server, the
 * build tree's schemas and catalogues). Strings the translation did not reach are listed on
 * stderr and make the exit status 1, after every picture is written.
 */
#include "config.h"

#include <glib/gstdio.h>
#include "desktop-scenes.h"

static const struct { int width, height; const char *suffix; } sizes[] = {
  { 1000, 700, "" },
  { 360, 720, "-narrow" },
};

int
main (int argc, char *argv[])
{
  BellApplication *app;
  const char *outdir;
  g_autoptr(GPtrArray) scenes = g_ptr_array_new ();
  guint untranslated = 0;

  desk_i18n_init ();
  if (argc < 2)
    {
      g_printerr ("usage: bell-screenshots OUTDIR [SCENE...]\n");
      return 2;
    }
  outdir = argv[1];
  if (g_mkdir_with_parents (outdir, 0755) != 0)
    {
      g_printerr ("bell-screenshots: cannot create %s\n", outdir);
      return 1;
    }
  for (int i = 2; i < argc; i++)
    g_ptr_array_add (scenes, argv[i]);
  if (argc == 2)
    for (const char * const *scene = desk_scene_names (); *scene; scene++)
      g_ptr_array_add (scenes, (gpointer) *scene);

  gtk_init ();
  app = desk_app_start ();
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint i = 0; i < scenes->len; i++)
      {
        const char *scene = scenes->pdata[i];
        g_autofree char *name = g_strconcat (scene, sizes[s].suffix, ".png", NULL);
        g_autofree char *path = g_build_filename (outdir, name, NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) missing = NULL;
        GtkWindow *shown;

        desk_resize (GTK_WINDOW (desk_app_window (app)), sizes[s].width, sizes[s].height);
        shown = desk_scene_enter (app, scene);
        if (shown != GTK_WINDOW (desk_app_window (app)))
          desk_resize (shown, sizes[s].width, sizes[s].height);
        if (!desk_save_png (shown, path, &error))
          g_printerr ("bell-screenshots: %s\n", error->message);
        else
          g_print ("%s\n", path);
        missing = desk_untranslated (shown);
        for (guint m = 0; m < missing->len; m++)
          g_printerr ("%s: untranslated: “%s”\n", name, (char *) missing->pdata[m]);
        untranslated += missing->len;
        desk_scene_leave (app, scene);
      }
  desk_app_stop (app);
  return untranslated ? 1 : 0;
}
