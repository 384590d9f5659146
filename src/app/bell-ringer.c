/* bell-ringer.c: a generated ringtone. */
#define G_LOG_DOMAIN "bell-ringer"

#include "config.h"
#include "bell-ringer.h"

#include <gst/gst.h>

/* The cadence of a ring: on, then off (ms). */
#define RING_ON_MS  1000
#define RING_OFF_MS 2000

struct _BellRinger
{
  GObject     parent_instance;

  char       *device;
  GstElement *pipeline;
  GstElement *gate;       /* a volume element muted between rings */
  guint       bus_watch;
  guint       cadence;
  gboolean    sounding;
};

G_DEFINE_FINAL_TYPE (BellRinger, bell_ringer, G_TYPE_OBJECT)

static void
bell_ringer_dispose (GObject *object)
{
  bell_ringer_stop (BELL_RINGER (object));
  G_OBJECT_CLASS (bell_ringer_parent_class)->dispose (object);
}

static void
bell_ringer_finalize (GObject *object)
{
  g_free (BELL_RINGER (object)->device);
  G_OBJECT_CLASS (bell_ringer_parent_class)->finalize (object);
}

static void
bell_ringer_class_init (BellRingerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = bell_ringer_dispose;
  G_OBJECT_CLASS (klass)->finalize = bell_ringer_finalize;
}

static void
bell_ringer_init (BellRinger *self)
{
  self->device = g_strdup ("default");
}

BellRinger *
bell_ringer_new (void)
{
  gst_init (NULL, NULL);
  return g_object_new (BELL_TYPE_RINGER, NULL);
}

void
bell_ringer_set_device (BellRinger *self, const char *device)
{
  g_return_if_fail (BELL_IS_RINGER (self));
  g_free (self->device);
  self->device = g_strdup (device && *device ? device : "default");
}

gboolean
bell_ringer_is_ringing (BellRinger *self)
{
  return self->pipeline != NULL;
}

/* The sink for a device name, as the core's audio settings spell them. */
static char *
sink_description (const char *device)
{
  g_autofree char *quoted = NULL;

  if (g_str_equal (device, "none"))
    return g_strdup ("fakesink sync=true");
  if (g_str_has_prefix (device, "pulse:") || g_str_has_prefix (device, "alsa:"))
    {
      gboolean pulse = g_str_has_prefix (device, "pulse:");
      quoted = g_shell_quote (strchr (device, ':') + 1);
      return g_strdup_printf ("%s device=%s", pulse ? "pulsesink" : "alsasink", quoted);
    }
  return g_strdup ("autoaudiosink");
}

static gboolean
on_cadence (gpointer data)
{
  BellRinger *self = data;

  self->sounding = !self->sounding;
  g_object_set (self->gate, "mute", !self->sounding, NULL);
  self->cadence = g_timeout_add (self->sounding ? RING_ON_MS : RING_OFF_MS, on_cadence, self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *message, gpointer data)
{
  BellRinger *self = data;

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR)
    {
      g_autoptr(GError) error = NULL;
      gst_message_parse_error (message, &error, NULL);
      /* No sound card is no reason to miss the call: the window still shows it. */
      g_message ("the ringtone cannot play on “%s”: %s", self->device, error->message);
      self->bus_watch = 0;
      bell_ringer_stop (self);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

void
bell_ringer_start (BellRinger *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GstBus) bus = NULL;
  g_autofree char *sink = NULL;
  g_autofree char *description = NULL;

  g_return_if_fail (BELL_IS_RINGER (self));
  if (self->pipeline)
    return;
  sink = sink_description (self->device);
  /* 440 + 480 Hz: the ring people know from North American phones, soft enough not to startle. */
  description = g_strdup_printf ("audiomixer name=mix ! volume name=gate ! audioconvert ! "
                                 "audioresample ! %s "
                                 "audiotestsrc is-live=true freq=440 volume=0.25 ! mix. "
                                 "audiotestsrc is-live=true freq=480 volume=0.25 ! mix.", sink);
  self->pipeline = gst_parse_launch (description, &error);
  if (!self->pipeline)
    {
      g_message ("no ringtone: %s", error->message);
      return;
    }
  self->gate = gst_bin_get_by_name (GST_BIN (self->pipeline), "gate");
  bus = gst_element_get_bus (self->pipeline);
  self->bus_watch = gst_bus_add_watch (bus, on_bus_message, self);
  self->sounding = TRUE;
  self->cadence = g_timeout_add (RING_ON_MS, on_cadence, self);
  if (gst_element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      g_message ("the ringtone cannot play on “%s”", self->device);
      bell_ringer_stop (self);
    }
}

void
bell_ringer_stop (BellRinger *self)
{
  g_return_if_fail (BELL_IS_RINGER (self));
  g_clear_handle_id (&self->cadence, g_source_remove);
  g_clear_handle_id (&self->bus_watch, g_source_remove);
  g_clear_object (&self->gate);
  if (self->pipeline)
    {
      gst_element_set_state (self->pipeline, GST_STATE_NULL);
      g_clear_object (&self->pipeline);
    }
}
