/* bell-contact.c: a contact value object. */
#define G_LOG_DOMAIN "bellbird-store"

#include "bell-contact.h"
#include "bell-store-private.h"
#include "bell-address-key.h"

#include <string.h>

struct _BellContact
{
  GObject parent_instance;

  gint64 id;
  char *name;
  char *note;
  GPtrArray *addresses;   /* of BellContactAddress */
  char *sort_key;         /* collation key of the case-folded name */
};

G_DEFINE_TYPE (BellContact, bell_contact, G_TYPE_OBJECT)

G_DEFINE_BOXED_TYPE (BellContactAddress, bell_contact_address,
                     bell_contact_address_copy, bell_contact_address_free)

enum { PROP_0, PROP_ID, PROP_NAME, PROP_NOTE, N_PROPS };
static GParamSpec *properties[N_PROPS];

BellContactAddress *
bell_contact_address_new (const char *label, const char *uri)
{
  BellContactAddress *address = g_new0 (BellContactAddress, 1);

  address->label = g_strdup (label ? label : "");
  address->uri = g_strdup (uri ? uri : "");
  return address;
}

BellContactAddress *
bell_contact_address_copy (const BellContactAddress *address)
{
  return bell_contact_address_new (address->label, address->uri);
}

void
bell_contact_address_free (BellContactAddress *address)
{
  if (!address)
    return;
  g_free (address->label);
  g_free (address->uri);
  g_free (address);
}

static void
bell_contact_finalize (GObject *object)
{
  BellContact *self = BELL_CONTACT (object);

  g_free (self->name);
  g_free (self->note);
  g_free (self->sort_key);
  g_ptr_array_unref (self->addresses);
  G_OBJECT_CLASS (bell_contact_parent_class)->finalize (object);
}

static void
bell_contact_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  BellContact *self = BELL_CONTACT (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_NOTE:
      g_value_set_string (value, self->note);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bell_contact_set_property (GObject *object, guint prop_id, const GValue *value,
                           GParamSpec *pspec)
{
  BellContact *self = BELL_CONTACT (object);

  switch (prop_id)
    {
    case PROP_NAME:
      bell_contact_set_name (self, g_value_get_string (value));
      break;
    case PROP_NOTE:
      bell_contact_set_note (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bell_contact_class_init (BellContactClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bell_contact_finalize;
  object_class->get_property = bell_contact_get_property;
  object_class->set_property = bell_contact_set_property;

  properties[PROP_ID] =
    g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, "",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NOTE] =
    g_param_spec_string ("note", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bell_contact_init (BellContact *self)
{
  self->name = g_strdup ("");
  self->sort_key = g_utf8_collate_key ("", -1);
  self->addresses = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_contact_address_free);
}

BellContact *
bell_contact_new (const char *name)
{
  return g_object_new (BELL_TYPE_CONTACT, "name", name ? name : "", NULL);
}

BellContact *
bell_contact_copy (BellContact *self)
{
  g_return_val_if_fail (BELL_IS_CONTACT (self), NULL);

  BellContact *copy = bell_contact_new (self->name);
  copy->id = self->id;
  copy->note = g_strdup (self->note);
  for (guint i = 0; i < self->addresses->len; i++)
    g_ptr_array_add (copy->addresses, bell_contact_address_copy (self->addresses->pdata[i]));
  return copy;
}

gint64
bell_contact_get_id (BellContact *self)
{
  g_return_val_if_fail (BELL_IS_CONTACT (self), 0);
  return self->id;
}

void
_bell_contact_set_id (BellContact *self, gint64 id)
{
  if (self->id == id)
    return;
  self->id = id;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ID]);
}

const char *
bell_contact_get_name (BellContact *self)
{
  g_return_val_if_fail (BELL_IS_CONTACT (self), NULL);
  return self->name;
}

void
bell_contact_set_name (BellContact *self, const char *name)
{
  g_return_if_fail (BELL_IS_CONTACT (self));

  if (!name)
    name = "";
  if (g_strcmp0 (self->name, name) == 0)
    return;
  g_free (self->name);
  self->name = g_strdup (name);
  g_autofree char *folded = g_utf8_casefold (name, -1);
  g_free (self->sort_key);
  self->sort_key = g_utf8_collate_key (folded, -1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

const char *
bell_contact_get_note (BellContact *self)
{
  g_return_val_if_fail (BELL_IS_CONTACT (self), NULL);
  return self->note;
}

void
bell_contact_set_note (BellContact *self, const char *note)
{
  g_return_if_fail (BELL_IS_CONTACT (self));

  /* An empty note is no note: the database and vCard export then have nothing to write. */
  if (note && !*note)
    note = NULL;
  if (g_strcmp0 (self->note, note) == 0)
    return;
  g_free (self->note);
  self->note = g_strdup (note);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NOTE]);
}

guint
bell_contact_get_n_addresses (BellContact *self)
{
  g_return_val_if_fail (BELL_IS_CONTACT (self), 0);
  return self->addresses->len;
}

const BellContactAddress *
bell_contact_get_address (BellContact *self, guint index)
{
  g_return_val_if_fail (BELL_IS_CONTACT (self), NULL);
  g_return_val_if_fail (index < self->addresses->len, NULL);
  return self->addresses->pdata[index];
}

const char *
bell_contact_get_first_uri (BellContact *self)
{
  g_return_val_if_fail (BELL_IS_CONTACT (self), NULL);
  if (self->addresses->len == 0)
    return NULL;
  return ((BellContactAddress *) self->addresses->pdata[0])->uri;
}

void
bell_contact_add_address (BellContact *self, const char *label, const char *uri)
{
  g_return_if_fail (BELL_IS_CONTACT (self));
  g_return_if_fail (uri != NULL);
  g_ptr_array_add (self->addresses, bell_contact_address_new (label, uri));
}

void
bell_contact_remove_address (BellContact *self, guint index)
{
  g_return_if_fail (BELL_IS_CONTACT (self));
  g_return_if_fail (index < self->addresses->len);
  g_ptr_array_remove_index (self->addresses, index);
}

void
bell_contact_clear_addresses (BellContact *self)
{
  g_return_if_fail (BELL_IS_CONTACT (self));
  g_ptr_array_set_size (self->addresses, 0);
}

static char *
fold (const char *text)
{
  g_autofree char *normal = g_utf8_normalize (text, -1, G_NORMALIZE_ALL);
  return g_utf8_casefold (normal ? normal : "", -1);
}

gboolean
bell_contact_matches_text (BellContact *self, const char *text)
{
  g_return_val_if_fail (BELL_IS_CONTACT (self), FALSE);

  g_autofree char *trimmed = g_strstrip (g_strdup (text ? text : ""));
  g_autofree char *needle = fold (trimmed);
  if (!*needle)
    return TRUE;

  g_autofree char *name = fold (self->name);
  if (strstr (name, needle))
    return TRUE;

  /* Digits typed with or without spaces, brackets and dashes find a number however it was
   * stored: "030 12" finds "+49 (30) 1234". */
  g_autofree char *needle_digits = _bell_address_is_phone_number (needle)
                                   ? _bell_address_digits (needle) : NULL;
  for (guint i = 0; i < self->addresses->len; i++)
    {
      const BellContactAddress *address = self->addresses->pdata[i];
      g_autofree char *uri = fold (address->uri);

      if (strstr (uri, needle))
        return TRUE;
      if (needle_digits)
        {
          g_autofree char *digits = _bell_address_digits (address->uri);
          if (strstr (digits, needle_digits))
            return TRUE;
        }
    }
  return FALSE;
}

int
bell_contact_compare_by_name (gconstpointer a, gconstpointer b, gpointer user_data)
{
  BellContact *x = (BellContact *) a, *y = (BellContact *) b;
  int order = strcmp (x->sort_key, y->sort_key);

  if (order != 0)
    return order;
  return (x->id > y->id) - (x->id < y->id);
}

gboolean
_bell_contact_equal_content (BellContact *a, BellContact *b)
{
  if (g_strcmp0 (a->name, b->name) != 0 || g_strcmp0 (a->note, b->note) != 0
      || a->addresses->len != b->addresses->len)
    return FALSE;
  for (guint i = 0; i < a->addresses->len; i++)
    {
      const BellContactAddress *x = a->addresses->pdata[i], *y = b->addresses->pdata[i];
      if (strcmp (x->label, y->label) != 0 || strcmp (x->uri, y->uri) != 0)
        return FALSE;
    }
  return TRUE;
}
