/* bell-event.c: immutable core events and their JSON form. */
#define G_LOG_DOMAIN "bell-core"

#include "bell-event.h"

struct _BellEvent
{
  gint      ref_count;
  char     *name;
  GVariant *fields;   /* a{sv} */
};

G_DEFINE_BOXED_TYPE (BellEvent, bell_event, bell_event_ref, bell_event_unref)

BellEvent *
bell_event_new (const char *name, const char *first_key, ...)
{
  BellEvent *event = g_new0 (BellEvent, 1);
  GVariantBuilder builder;
  va_list args;

  event->ref_count = 1;
  event->name = g_strdup (name);
  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  va_start (args, first_key);
  for (const char *key = first_key; key; key = va_arg (args, const char *))
    {
      GVariant *value = va_arg (args, GVariant *);
      if (value)
        g_variant_builder_add (&builder, "{sv}", key, value);
    }
  va_end (args);
  event->fields = g_variant_ref_sink (g_variant_builder_end (&builder));
  return event;
}

BellEvent *
bell_event_new_from_vardict (const char *name, GVariant *fields)
{
  BellEvent *event = g_new0 (BellEvent, 1);

  g_return_val_if_fail (g_variant_is_of_type (fields, G_VARIANT_TYPE_VARDICT), NULL);
  event->ref_count = 1;
  event->name = g_strdup (name);
  event->fields = g_variant_ref_sink (fields);
  return event;
}

BellEvent *
bell_event_ref (BellEvent *event)
{
  g_atomic_int_inc (&event->ref_count);
  return event;
}

void
bell_event_unref (BellEvent *event)
{
  if (!g_atomic_int_dec_and_test (&event->ref_count))
    return;
  g_free (event->name);
  g_variant_unref (event->fields);
  g_free (event);
}

const char *
bell_event_get_name (const BellEvent *event)
{
  return event->name;
}

GVariant *
bell_event_lookup (const BellEvent *event, const char *key)
{
  return g_variant_lookup_value (event->fields, key, NULL);
}

const char *
bell_event_get_string (const BellEvent *event, const char *key)
{
  const char *value = NULL;

  if (!g_variant_lookup (event->fields, key, "&s", &value))
    return NULL;
  return value;
}

gint64
bell_event_get_int (const BellEvent *event, const char *key, gint64 fallback)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (event->fields, key, NULL);

  if (!value)
    return fallback;
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    return g_variant_get_int64 (value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32))
    return g_variant_get_int32 (value);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    return g_variant_get_uint32 (value);
  return fallback;
}

gboolean
bell_event_get_bool (const BellEvent *event, const char *key)
{
  g_autoptr(GVariant) value = g_variant_lookup_value (event->fields, key, G_VARIANT_TYPE_BOOLEAN);

  return value && g_variant_get_boolean (value);
}

static void
append_json_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const guchar *p = (const guchar *) s; *p; p++)
    {
      switch (*p)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default:
          if (*p < 0x20)
            g_string_append_printf (out, "\\u%04x", *p);
          else
            g_string_append_c (out, (char) *p);
        }
    }
  g_string_append_c (out, '"');
}

static void
append_json_value (GString *out, GVariant *v)
{
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_STRING))
    append_json_string (out, g_variant_get_string (v, NULL));
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_BOOLEAN))
    g_string_append (out, g_variant_get_boolean (v) ? "true" : "false");
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_INT64))
    g_string_append_printf (out, "%" G_GINT64_FORMAT, g_variant_get_int64 (v));
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_INT32))
    g_string_append_printf (out, "%d", g_variant_get_int32 (v));
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_UINT32))
    g_string_append_printf (out, "%u", g_variant_get_uint32 (v));
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_UINT64))
    g_string_append_printf (out, "%" G_GUINT64_FORMAT, g_variant_get_uint64 (v));
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_DOUBLE))
    g_string_append_printf (out, "%g", g_variant_get_double (v));
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_STRING_ARRAY))
    {
      gsize n;
      g_autofree const char **strv = g_variant_get_strv (v, &n);
      g_string_append_c (out, '[');
      for (gsize i = 0; i < n; i++)
        {
          if (i)
            g_string_append_c (out, ',');
          append_json_string (out, strv[i]);
        }
      g_string_append_c (out, ']');
    }
  else
    {
      g_autofree char *text = g_variant_print (v, FALSE);
      append_json_string (out, text);
    }
}

char *
bell_event_to_json (const BellEvent *event)
{
  GString *out = g_string_new ("{\"event\":");
  GVariantIter iter;
  const char *key;
  GVariant *value;

  append_json_string (out, event->name);
  g_variant_iter_init (&iter, event->fields);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_string_append_c (out, ',');
      append_json_string (out, key);
      g_string_append_c (out, ':');
      append_json_value (out, value);
      g_variant_unref (value);
    }
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}
