/* bell-contacts-init.h (private): the pages' GResource, registered on first use. */
#pragma once

void _bell_contacts_ensure_resources (void);
