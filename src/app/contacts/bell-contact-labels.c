/* bell-contact-labels.c: address labels. The store keeps stable keys; only the UI translates. */
#define G_LOG_DOMAIN "bellbird-contacts"

#include "config.h"

#include "bell-contact-labels.h"

#include <glib/gi18n-lib.h>

static const char * const keys[] = { "mobile", "work", "home", "sip", "phone", "other", NULL };

const char * const *
bell_contact_label_keys (void)
{
  return keys;
}

const char *
bell_contact_label_display (const char *label)
{
  /* The keys an import can produce too (bell-vcard.c). */
  static const struct { const char *key; const char *name; } names[] = {
    { "mobile", N_("Mobile") },
    { "work", N_("Work") },
    { "home", N_("Home") },
    { "sip", N_("SIP") },
    { "phone", N_("Phone") },
    { "other", N_("Other") },
    { "fax", N_("Fax") },
    { "pager", N_("Pager") },
    { "main", N_("Main") },
    { "echo", N_("Echo test") },
  };

  if (!label)
    return "";
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (label, names[i].key) == 0)
      return _(names[i].name);
  return label;
}
