/* bell-contacts-init.c: registers the contacts GResource from the widgets' class_init.
 *
 * Registered by hand (not by a constructor) because this is a static library: an object file
 * that nothing calls is left out of the link, constructor and all. */
#define G_LOG_DOMAIN "bellbird-contacts"

#include "bell-contacts-init.h"
#include "bell-contacts-resources.h"

void
_bell_contacts_ensure_resources (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered))
    {
      bell_contacts_register_resource ();
      g_once_init_leave (&registered, 1);
    }
}
