/* bell-codec-list.c: an account's audio codecs as rows the user reorders and switches. */
#define G_LOG_DOMAIN "bell-accounts"

#include "config.h"

#include <glib/gi18n.h>
#include "bell-account.h"
#include "bell-codec-list.h"

struct _BellCodecList
{
  AdwBin      parent_instance;

  GtkListBox *list;
};

G_DEFINE_FINAL_TYPE (BellCodecList, bell_codec_list, ADW_TYPE_BIN)

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* What a row says about a codec: the user picks by what it does for them, not by its name. */
typedef struct
{
  const char *codec;
  const char *title;
  const char *subtitle;
  gboolean    always;     /* offered by every call: no switch */
} CodecInfo;

static const CodecInfo codec_infos[] = {
  { "opus", N_("Opus"), N_("Wideband; recovers lost packets, best on poor networks"), FALSE },
  { "G722", N_("G.722"), N_("Wideband (HD voice), for phone systems without Opus"), FALSE },
  { "PCMU", N_("G.711 µ-law (PCMU)"), N_("Narrowband; always offered"), TRUE },
  { "PCMA", N_("G.711 A-law (PCMA)"), N_("Narrowband; always offered"), TRUE },
};

static const CodecInfo *
info_for (const char *codec)
{
  for (guint i = 0; i < G_N_ELEMENTS (codec_infos); i++)
    if (g_str_equal (codec_infos[i].codec, codec))
      return &codec_infos[i];
  g_assert_not_reached ();
}

static GtkWidget *
row_at (BellCodecList *self, int index)
{
  return GTK_WIDGET (gtk_list_box_get_row_at_index (self->list, index));
}

static int
n_rows (BellCodecList *self)
{
  int n = 0;

  while (row_at (self, n))
    n++;
  return n;
}

/* The first row cannot go up, the last cannot go down. */
static void
update_buttons (BellCodecList *self)
{
  int n = n_rows (self);

  for (int i = 0; i < n; i++)
    {
      GtkWidget *row = row_at (self, i);

      gtk_widget_set_sensitive (g_object_get_data (G_OBJECT (row), "up"), i > 0);
      gtk_widget_set_sensitive (g_object_get_data (G_OBJECT (row), "down"), i < n - 1);
    }
}

static void
on_move_clicked (GtkButton *button, gpointer user_data)
{
  BellCodecList *self = user_data;
  GtkWidget *row = gtk_widget_get_ancestor (GTK_WIDGET (button), GTK_TYPE_LIST_BOX_ROW);
  int delta = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "delta"));
  int target = gtk_list_box_row_get_index (GTK_LIST_BOX_ROW (row)) + delta;
  GtkWidget *focus;

  if (target < 0 || target >= n_rows (self))
    return;
  g_object_ref (row);
  gtk_list_box_remove (self->list, row);
  gtk_list_box_insert (self->list, row, target);
  g_object_unref (row);
  update_buttons (self);
  /* A keyboard user keeps moving the same codec: the focus stays on its button, or goes to
   * the other one when this one can go no further. */
  focus = gtk_widget_get_sensitive (GTK_WIDGET (button))
          ? GTK_WIDGET (button)
          : g_object_get_data (G_OBJECT (row), delta < 0 ? "down" : "up");
  gtk_widget_grab_focus (focus);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
on_switch_active (GtkSwitch *sw, GParamSpec *pspec, gpointer user_data)
{
  BellCodecList *self = user_data;

  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static GtkWidget *
move_button (BellCodecList *self, const CodecInfo *info, int delta)
{
  GtkWidget *button = gtk_button_new_from_icon_name (delta < 0 ? "go-up-symbolic"
                                                                : "go-down-symbolic");
  g_autofree char *name = g_strdup_printf ("codec-%s-%s", info->codec, delta < 0 ? "up" : "down");
  g_autofree char *label = NULL;

  gtk_widget_set_name (button, name);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, delta < 0 ? _("Move Up") : _("Move Down"));
  /* Translators: a button's label for screen readers; %s is a codec, such as "Opus". */
  label = g_strdup_printf (delta < 0 ? _("Move %s up") : _("Move %s down"), _(info->title));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
  g_object_set_data (G_OBJECT (button), "delta", GINT_TO_POINTER (delta));
  g_signal_connect (button, "clicked", G_CALLBACK (on_move_clicked), self);
  return button;
}

static GtkWidget *
codec_row (BellCodecList *self, const CodecInfo *info, gboolean on)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *name = g_strconcat ("codec-", info->codec, NULL);
  GtkWidget *up = move_button (self, info, -1);
  GtkWidget *down = move_button (self, info, +1);

  gtk_widget_set_name (row, name);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(info->title));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _(info->subtitle));
  g_object_set_data (G_OBJECT (row), "codec", (gpointer) info->codec);
  if (!info->always)
    {
      GtkWidget *sw = gtk_switch_new ();
      g_autofree char *sw_name = g_strconcat (name, "-offered", NULL);
      /* Translators: a switch's label for screen readers; %s is a codec, such as "Opus". */
      g_autofree char *label = g_strdup_printf (_("Offer %s"), _(info->title));

      gtk_widget_set_name (sw, sw_name);
      gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
      gtk_switch_set_active (GTK_SWITCH (sw), on);   /* before the handler: not the user's */
      gtk_accessible_update_property (GTK_ACCESSIBLE (sw), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                      -1);
      g_signal_connect (sw, "notify::active", G_CALLBACK (on_switch_active), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), sw);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), sw);
      g_object_set_data (G_OBJECT (row), "switch", sw);
    }
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), up);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), down);
  g_object_set_data (G_OBJECT (row), "up", up);
  g_object_set_data (G_OBJECT (row), "down", down);
  return row;
}

void
bell_codec_list_set_codecs (BellCodecList *self, const char *const *offered)
{
  g_auto(GStrv) codecs = NULL;
  const char *const *known = bell_account_known_codecs ();
  GtkWidget *row;

  g_return_if_fail (BELL_IS_CODEC_LIST (self));
  codecs = bell_account_normalize_codecs (offered, NULL);
  g_return_if_fail (codecs != NULL);
  while ((row = row_at (self, 0)))
    gtk_list_box_remove (self->list, row);
  for (guint i = 0; codecs[i]; i++)
    gtk_list_box_append (self->list, codec_row (self, info_for (codecs[i]), TRUE));
  for (guint i = 0; known[i]; i++)
    if (!g_strv_contains ((const char *const *) codecs, known[i]))
      gtk_list_box_append (self->list, codec_row (self, info_for (known[i]), FALSE));
  update_buttons (self);
}

char **
bell_codec_list_dup_codecs (BellCodecList *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  GtkWidget *row;

  g_return_val_if_fail (BELL_IS_CODEC_LIST (self), NULL);
  for (int i = 0; (row = row_at (self, i)); i++)
    {
      GtkSwitch *sw = g_object_get_data (G_OBJECT (row), "switch");

      if (!sw || gtk_switch_get_active (sw))
        g_strv_builder_add (builder, g_object_get_data (G_OBJECT (row), "codec"));
    }
  return g_strv_builder_end (builder);
}

/* Focus given to the list (its reset moved everything) lands on the first codec. */
static gboolean
bell_codec_list_grab_focus (GtkWidget *widget)
{
  GtkWidget *first = row_at (BELL_CODEC_LIST (widget), 0);

  return first && gtk_widget_grab_focus (first);
}

static void
bell_codec_list_class_init (BellCodecListClass *klass)
{
  GTK_WIDGET_CLASS (klass)->grab_focus = bell_codec_list_grab_focus;
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                          G_TYPE_NONE, 0);
}

static void
bell_codec_list_init (BellCodecList *self)
{
  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_widget_set_name (GTK_WIDGET (self->list), "codecs");
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "boxed-list");
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->list));
  bell_codec_list_set_codecs (self, bell_account_known_codecs ());
}

GtkWidget *
bell_codec_list_new (void)
{
  return g_object_new (BELL_TYPE_CODEC_LIST, NULL);
}
