/* bell-address-key.h (private): the comparable form of an address, for finding the contact
 * an incoming call comes from. The rule is documented at bell_store_find_contact_by_address. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  BELL_ADDRESS_KEY_NONE,
  BELL_ADDRESS_KEY_SIP,    /* "user@host" (host lower-cased) or "host" */
  BELL_ADDRESS_KEY_PHONE,  /* digits only */
  BELL_ADDRESS_KEY_OTHER,  /* lower-cased as typed ("echo") */
} BellAddressKeyKind;

typedef struct
{
  BellAddressKeyKind kind;
  char *key;
} BellAddressKey;

typedef enum
{
  BELL_ADDRESS_MATCH_NONE,
  BELL_ADDRESS_MATCH_SUFFIX,  /* national vs international form of one number */
  BELL_ADDRESS_MATCH_EXACT,
} BellAddressMatch;

void             _bell_address_key_init   (BellAddressKey       *key,
                                           const char           *address);
void             _bell_address_key_clear  (BellAddressKey       *key);
BellAddressMatch _bell_address_key_match  (const BellAddressKey *a,
                                           const BellAddressKey *b);
/* TRUE for text made of digits and + - . ( ) / spaces with at least one digit. */
gboolean         _bell_address_is_phone_number (const char *text);
/* The digits of text, in order. */
char            *_bell_address_digits     (const char           *text);

G_END_DECLS
