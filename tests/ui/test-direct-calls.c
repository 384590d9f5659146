/* test-direct-calls.c: the app's direct-calls key as the core's policy, the old boolean's
 * migration, and the contacts' addresses the core can match (bell-direct-calls.h). No display:
 * nothing here makes a widget. */
#include "config.h"

#include "bell-direct-calls.h"
#include "bell-contact.h"

static void
test_from_setting (void)
{
  g_assert_cmpint (bell_direct_calls_from_setting ("ask"), ==, BELL_DIRECT_CALLS_AUTO);
  g_assert_cmpint (bell_direct_calls_from_setting ("anyone"), ==, BELL_DIRECT_CALLS_ACCEPT);
  g_assert_cmpint (bell_direct_calls_from_setting ("contacts"), ==, BELL_DIRECT_CALLS_CONTACTS);
  g_assert_cmpint (bell_direct_calls_from_setting ("nobody"), ==, BELL_DIRECT_CALLS_REFUSE);
  /* Anything else is the default's rule, never "anyone". */
  g_assert_cmpint (bell_direct_calls_from_setting ("everyone"), ==, BELL_DIRECT_CALLS_AUTO);
  g_assert_cmpint (bell_direct_calls_from_setting (NULL), ==, BELL_DIRECT_CALLS_AUTO);
}

static char *
key (GSettings *settings)
{
  return g_settings_get_string (settings, "direct-calls");
}

static void
test_migrate (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(GVariant) old = NULL;
  g_autofree char *value = NULL;

  /* Never set: nothing to migrate, "ask" stays. */
  g_settings_reset (settings, "direct-calls");
  g_settings_reset (settings, "accept-direct-calls");
  g_assert_false (bell_direct_calls_migrate (settings));
  value = key (settings);
  g_assert_cmpstr (value, ==, "ask");
  g_clear_pointer (&value, g_free);

  /* Set to true: what the old default said, no choice of "anyone"; read once (reset). */
  g_settings_set_boolean (settings, "accept-direct-calls", TRUE);
  g_assert_false (bell_direct_calls_migrate (settings));
  value = key (settings);
  g_assert_cmpstr (value, ==, "ask");
  g_clear_pointer (&value, g_free);
  old = g_settings_get_user_value (settings, "accept-direct-calls");
  g_assert_null (old);

  /* Set to false: "nobody", once. */
  g_settings_set_boolean (settings, "accept-direct-calls", FALSE);
  g_assert_true (bell_direct_calls_migrate (settings));
  value = key (settings);
  g_assert_cmpstr (value, ==, "nobody");
  g_clear_pointer (&value, g_free);
  old = g_settings_get_user_value (settings, "accept-direct-calls");
  g_assert_null (old);
  g_settings_set_string (settings, "direct-calls", "anyone");
  g_assert_false (bell_direct_calls_migrate (settings));
  value = key (settings);
  g_assert_cmpstr (value, ==, "anyone");
  g_clear_pointer (&value, g_free);

  /* False, but the new key chosen already: the newer choice wins. */
  g_settings_set_boolean (settings, "accept-direct-calls", FALSE);
  g_assert_false (bell_direct_calls_migrate (settings));
  value = key (settings);
  g_assert_cmpstr (value, ==, "anyone");
  old = g_settings_get_user_value (settings, "accept-direct-calls");
  g_assert_null (old);
}

static BellContact *
contact (const char *name, const char *first, ...)
{
  BellContact *c = bell_contact_new (name);
  va_list args;

  va_start (args, first);
  for (const char *uri = first; uri; uri = va_arg (args, const char *))
    bell_contact_add_address (c, "sip", uri);
  va_end (args);
  return c;
}

static void
test_contact_uris (void)
{
  g_autoptr(GListStore) contacts = g_list_store_new (BELL_TYPE_CONTACT);
  g_autoptr(BellContact) echo = contact ("Echo test", "echo", NULL);
  g_autoptr(BellContact) alice = contact ("Alice", "sip:alice@example.com;transport=tcp",
                                          "+49 30 1234567", "tel:+4930123", NULL);
  g_autoptr(BellContact) bob = contact ("Bob", " bob@10.0.0.5:5062 ", "SIPS:bob@secure.example",
                                        "sip:example.com", "mailto:bob@example.com", NULL);
  g_autoptr(BellContact) again = contact ("Alice at work", "sip:alice@example.com", NULL);
  g_auto(GStrv) uris = NULL;
  g_auto(GStrv) none = bell_direct_calls_contact_uris (NULL);

  g_assert_nonnull (none);
  g_assert_null (none[0]);
  g_list_store_append (contacts, echo);
  g_list_store_append (contacts, alice);
  g_list_store_append (contacts, bob);
  g_list_store_append (contacts, again);
  uris = bell_direct_calls_contact_uris (G_LIST_MODEL (contacts));
  /* user@host only (the core matches a From's user and host): parameters and ports dropped,
   * numbers, tel:, a URI without a user, other schemes and "echo" left out, each once. */
  g_assert_cmpuint (g_strv_length (uris), ==, 3);
  g_assert_cmpstr (uris[0], ==, "sip:alice@example.com");
  g_assert_cmpstr (uris[1], ==, "sip:bob@10.0.0.5");
  g_assert_cmpstr (uris[2], ==, "sips:bob@secure.example");
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ui/direct-calls/from-setting", test_from_setting);
  g_test_add_func ("/ui/direct-calls/migrate", test_migrate);
  g_test_add_func ("/ui/direct-calls/contact-uris", test_contact_uris);
  return g_test_run ();
}
