/* test-account-store.c: accounts in GSettings (memory backend) as a list model; address and
 * server checks; the mapping to the core's BellRegConfig; saving all or nothing when the
 * keyring is missing (a private session bus without a Secret Service). */
#include <gio/gio.h>
#include <string.h>
/* A keyfile backend of our own, for a settings file as an older Bellbird wrote it. */
#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>

#include <libsecret/secret.h>

#include "account-test-util.h"
#include "bell-account-store.h"

#define assert_setting(settings, key, expected) \
  G_STMT_START { \
    g_autofree char *value_ = g_settings_get_string (settings, key); \
    g_assert_cmpstr (value_, ==, expected); \
  } G_STMT_END

typedef struct
{
  GSettings        *settings;
  BellAccountStore *store;
  guint             changes;   /* items-changed emissions */
} Fixture;

static void
on_items_changed (GListModel *model, guint position, guint removed, guint added, gpointer data)
{
  ((Fixture *) data)->changes++;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->settings = g_settings_new ("io.github.bellbird.Bellbird");
  /* The memory backend is shared by the whole process: each test starts from nothing. */
  g_settings_reset (f->settings, "accounts");
  g_settings_reset (f->settings, "default-account");
  g_settings_reset (f->settings, "codecs");
  f->store = bell_account_store_new (f->settings);
  g_signal_connect (f->store, "items-changed", G_CALLBACK (on_items_changed), f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_assert_finalize_object (f->store);
  g_clear_object (&f->settings);
}

static void
test_normalize_address (void)
{
  static const char *const good[][2] = {
    { "alice@example.com", "sip:alice@example.com" },
    { "  sip:alice@example.com ", "sip:alice@example.com" },
    { "SIP:bob@pbx.example.org:5070", "sip:bob@pbx.example.org:5070" },
    { "sips:carol@example.net", "sips:carol@example.net" },
    { "1001@192.0.2.7", "sip:1001@192.0.2.7" },
    { "sip:dave@example.com;transport=tcp", "sip:dave@example.com;transport=tcp" },
  };
  static const char *const bad[] = {
    "", "   ", "alice", "@example.com", "sip:example.com", "tel:+15551234", "alice smith@example.com",
    "http://example.com", "sip:alice:pw@example.com", "alice@", "sip:alice@example.com?subject=x",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *out = bell_account_normalize_address (good[i][0], &error);
      g_assert_no_error (error);
      g_assert_cmpstr (out, ==, good[i][1]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *out = bell_account_normalize_address (bad[i], &error);
      g_test_message ("%s → %s", bad[i], error ? error->message : "(accepted)");
      g_assert_null (out);
      g_assert_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_INVALID_ADDRESS);
    }
}

static void
test_normalize_server (void)
{
  static const char *const good[][2] = {
    { "pbx.example.com", "sip:pbx.example.com" },
    { "192.0.2.1:5080", "sip:192.0.2.1:5080" },
    { "sips:pbx.example.com", "sips:pbx.example.com" },
    { "sip:proxy.example.com;lr", "sip:proxy.example.com;lr" },
  };
  static const char *const bad[] = { "a b", "alice@pbx.example.com", "http://pbx", "sip:" };
  g_autoptr(GError) error = NULL;

  g_assert_null (bell_account_normalize_server ("", &error));
  g_assert_no_error (error);
  g_assert_null (bell_account_normalize_server ("  ", &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *out = bell_account_normalize_server (good[i][0], &error);
      g_assert_no_error (error);
      g_assert_cmpstr (out, ==, good[i][1]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *out = bell_account_normalize_server (bad[i], &error);
      g_assert_null (out);
      g_assert_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_INVALID_SERVER);
      g_clear_error (&error);
    }
}

static void
test_mappings (void)
{
  g_autofree char *a = bell_account_make_instance_id ("0123abcd");
  g_autofree char *b = bell_account_make_instance_id ("0123abcd");
  g_autofree char *c = bell_account_make_instance_id ("0123abce");

  g_assert_cmpint (bell_account_transport_kind ("auto"), ==, BELL_SIP_TRANSPORT_ANY);
  g_assert_cmpint (bell_account_transport_kind ("udp"), ==, BELL_SIP_TRANSPORT_UDP);
  g_assert_cmpint (bell_account_transport_kind ("tcp"), ==, BELL_SIP_TRANSPORT_TCP);
  g_assert_cmpint (bell_account_transport_kind ("tls"), ==, BELL_SIP_TRANSPORT_TLS);
  g_assert_cmpint (bell_account_transport_kind ("ws"), ==, BELL_SIP_TRANSPORT_WS);
  g_assert_cmpint (bell_account_transport_kind ("wss"), ==, BELL_SIP_TRANSPORT_WSS);
  g_assert_cmpint (bell_account_srtp_policy ("auto"), ==, BELL_SDP_SRTP_AUTO);
  g_assert_cmpint (bell_account_srtp_policy ("off"), ==, BELL_SDP_SRTP_OFF);
  g_assert_cmpint (bell_account_srtp_policy ("optional"), ==, BELL_SDP_SRTP_OPTIONAL);
  g_assert_cmpint (bell_account_srtp_policy ("mandatory"), ==, BELL_SDP_SRTP_MANDATORY);
  g_assert_cmpint (bell_account_direct_calls_policy ("auto"), ==, BELL_DIRECT_CALLS_AUTO);
  g_assert_cmpint (bell_account_direct_calls_policy ("anyone"), ==, BELL_DIRECT_CALLS_ACCEPT);
  g_assert_cmpint (bell_account_direct_calls_policy ("contacts"), ==, BELL_DIRECT_CALLS_CONTACTS);
  g_assert_cmpint (bell_account_direct_calls_policy ("nobody"), ==, BELL_DIRECT_CALLS_REFUSE);

  /* The same account keeps its instance (RFC 5626) across restarts; another has its own. */
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (a, !=, c);
  g_assert_true (g_str_has_prefix (a, "urn:uuid:"));
  g_assert_cmpuint (strlen (a), ==, strlen ("urn:uuid:") + 36);
  g_assert_cmpint (a[strlen ("urn:uuid:") + 14], ==, '5');
}

static void
test_add_remove (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) ids = NULL;
  g_autoptr(GSettings) path_settings = NULL;
  g_autofree char *path = NULL;
  g_autofree char *id = NULL;
  BellAccount *alice, *bob;

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->store)), ==, 0);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (f->store)) == BELL_TYPE_ACCOUNT);
  g_assert_null (bell_account_store_get_default (f->store));

  alice = bell_account_store_add (f->store, "alice@example.com", "Alice", &error);
  g_assert_no_error (error);
  g_assert_nonnull (alice);
  g_assert_cmpuint (f->changes, ==, 1);
  g_assert_cmpstr (bell_account_get_address (alice), ==, "sip:alice@example.com");
  g_assert_cmpstr (bell_account_get_display_name (alice), ==, "Alice");
  g_assert_cmpstr (bell_account_get_title (alice), ==, "Alice");
  g_assert_cmpstr (bell_account_get_transport (alice), ==, "auto");
  g_assert_cmpstr (bell_account_get_srtp (alice), ==, "auto");
  g_assert_true (bell_account_get_enabled (alice));
  g_assert_cmpuint (bell_account_get_expires (alice), ==, 600);
  g_assert_cmpint (bell_account_get_state (alice), ==, BELL_ACCOUNT_STATE_UNREGISTERED);
  g_assert_cmpstr (bell_account_get_status_text (alice), ==, "Not registered");

  ids = g_settings_get_strv (f->settings, "accounts");
  g_assert_cmpuint (g_strv_length (ids), ==, 1);
  g_assert_cmpstr (ids[0], ==, bell_account_get_id (alice));
  path = g_strconcat (BELL_ACCOUNT_PATH_PREFIX, ids[0], "/", NULL);
  path_settings = g_settings_new_with_path (BELL_ACCOUNT_SCHEMA_ID, path);
  assert_setting (path_settings, "address", "sip:alice@example.com");

  /* The same address again, or no address: refused, nothing changes. */
  g_assert_null (bell_account_store_add (f->store, "sip:alice@EXAMPLE.com", NULL, &error));
  g_assert_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_null (bell_account_store_add (f->store, "alice", NULL, &error));
  g_assert_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_INVALID_ADDRESS);
  g_clear_error (&error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->store)), ==, 1);
  g_assert_cmpuint (f->changes, ==, 1);

  bob = bell_account_store_add (f->store, "sip:bob@example.org", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (bell_account_get_title (bob), ==, "sip:bob@example.org");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->store)), ==, 2);
  g_assert_true (bell_account_store_lookup (f->store, bell_account_get_id (bob)) == bob);
  g_assert_null (bell_account_store_lookup (f->store, "nope"));
  g_assert_true (bell_account_store_find_by_aor (f->store, "bob@example.org") == bob);
  g_assert_true (bell_account_store_find_by_aor (f->store, "sip:alice@example.com") == alice);
  g_assert_null (bell_account_store_find_by_aor (f->store, "sip:carol@example.com"));

  /* Default: the first, until one is chosen. */
  g_assert_true (bell_account_store_get_default (f->store) == alice);
  bell_account_store_set_default (f->store, bob);
  g_assert_true (bell_account_store_get_default (f->store) == bob);

  id = g_strdup (bell_account_get_id (bob));
  bell_account_store_remove (f->store, bob);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->store)), ==, 1);
  g_assert_null (bell_account_store_lookup (f->store, id));
  g_assert_true (bell_account_store_get_default (f->store) == alice);
  assert_setting (f->settings, "default-account", "");
  {
    g_autofree char *bob_path = g_strconcat (BELL_ACCOUNT_PATH_PREFIX, id, "/", NULL);
    g_autoptr(GSettings) bob_settings = g_settings_new_with_path (BELL_ACCOUNT_SCHEMA_ID,
                                                                  bob_path);
    g_autofree char *address = g_settings_get_string (bob_settings, "address");
    g_assert_cmpstr (address, ==, "");
  }

  bell_account_store_remove (f->store, alice);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->store)), ==, 0);
  assert_setting (path_settings, "address", "");
}

static void
on_notify (GObject *object, GParamSpec *pspec, gpointer data)
{
  g_ptr_array_add (data, g_strdup (pspec->name));
}

static gboolean
strv_has (GPtrArray *names, const char *name)
{
  for (guint i = 0; i < names->len; i++)
    if (g_str_equal (names->pdata[i], name))
      return TRUE;
  return FALSE;
}

static void
test_edit (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) notified = g_ptr_array_new_with_free_func (g_free);
  BellAccount *account = bell_account_store_add (f->store, "alice@example.com", NULL, &error);
  GSettings *settings;
  g_autoptr(GSettings) other = NULL;
  g_autofree char *path = NULL;

  g_assert_no_error (error);
  settings = bell_account_get_settings (account);
  g_signal_connect (account, "notify", G_CALLBACK (on_notify), notified);

  /* Property → settings. */
  g_object_set (account, "display-name", "Alice A.", "transport", "tls", "expires", 3600,
                "enabled", FALSE, NULL);
  assert_setting (settings, "display-name", "Alice A.");
  assert_setting (settings, "transport", "tls");
  g_assert_cmpuint (g_settings_get_uint (settings, "expires"), ==, 3600);
  g_assert_false (g_settings_get_boolean (settings, "enabled"));

  /* Settings written elsewhere (another object on the same path) → property and notify. */
  path = g_strconcat (BELL_ACCOUNT_PATH_PREFIX, bell_account_get_id (account), "/", NULL);
  other = g_settings_new_with_path (BELL_ACCOUNT_SCHEMA_ID, path);
  g_ptr_array_set_size (notified, 0);
  g_settings_set_string (other, "registrar", "pbx.example.com:5070");
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpstr (bell_account_get_registrar (account), ==, "pbx.example.com:5070");
  g_assert_true (strv_has (notified, "registrar"));

  /* Not enabled: its state says so once the store has looked. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpint (bell_account_get_state (account), ==, BELL_ACCOUNT_STATE_DISABLED);
  g_assert_cmpstr (bell_account_get_status_text (account), ==, "Disabled");
}

static void
test_follows_settings (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  BellAccount *a = bell_account_store_add (f->store, "a@example.com", NULL, &error);
  BellAccount *b = bell_account_store_add (f->store, "b@example.com", NULL, &error);
  g_autoptr(BellAccount) first = NULL;
  const char *reversed[3] = { NULL, NULL, NULL };

  g_assert_no_error (error);
  /* The user's order is the key's order, whoever writes it. */
  reversed[0] = bell_account_get_id (b);
  reversed[1] = bell_account_get_id (a);
  g_settings_set_strv (f->settings, "accounts", reversed);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  first = g_list_model_get_item (G_LIST_MODEL (f->store), 0);
  g_assert_true (first == b);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->store)), ==, 2);

  /* Ids that cannot be a settings path are skipped, not fatal. */
  reversed[0] = "../evil";
  reversed[2] = NULL;
  g_settings_set_strv (f->settings, "accounts", reversed);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->store)), ==, 1);
}

static BellAccountFields *
fields_for (const char *address)
{
  BellAccountFields *fields = bell_account_fields_new ();

  g_free (fields->address);
  fields->address = g_strdup (address);
  return fields;
}

static void
test_save (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellAccountFields) fields = fields_for ("carol@example.net");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(BellAccount) account = NULL;
  g_autoptr(BellAccountFields) back = NULL;

  g_free (fields->display_name);
  fields->display_name = g_strdup (" Carol ");
  g_free (fields->registrar);
  fields->registrar = g_strdup ("pbx.example.net:5070");
  g_free (fields->transport);
  fields->transport = g_strdup ("tcp");
  g_free (fields->srtp);
  fields->srtp = g_strdup ("mandatory");
  g_free (fields->stun_server);
  fields->stun_server = g_strdup ("stun.example.net:3478");
  fields->expires = 1200;

  /* No password given: the keyring is not asked. */
  bell_account_store_save_async (f->store, NULL, fields, NULL, NULL, account_test_store_result,
                                 &result);
  account = bell_account_store_save_finish (f->store, account_test_wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->store)), ==, 1);
  g_assert_cmpstr (bell_account_get_display_name (account), ==, "Carol");
  g_assert_cmpstr (bell_account_get_address (account), ==, "sip:carol@example.net");
  g_assert_cmpstr (bell_account_get_registrar (account), ==, "pbx.example.net:5070");
  g_assert_cmpstr (bell_account_get_transport (account), ==, "tcp");
  g_assert_cmpstr (bell_account_get_srtp (account), ==, "mandatory");
  g_assert_cmpstr (bell_account_get_stun_server (account), ==, "stun.example.net:3478");
  g_assert_cmpuint (bell_account_get_expires (account), ==, 1200);

  /* Editing the same account. */
  back = bell_account_fields_new_from_account (account);
  g_free (back->auth_user);
  back->auth_user = g_strdup ("carol-auth");
  g_clear_object (&result);
  bell_account_store_save_async (f->store, account, back, "", NULL, account_test_store_result,
                                 &result);
  {
    g_autoptr(BellAccount) same = bell_account_store_save_finish (f->store,
                                                                  account_test_wait_result (&result),
                                                                  &error);
    g_assert_no_error (error);
    g_assert_true (same == account);
  }
  g_assert_cmpstr (bell_account_get_auth_user (account), ==, "carol-auth");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->store)), ==, 1);
}

#define assert_strv(strv, ...) \
  G_STMT_START { \
    const char *const expected_[] = { __VA_ARGS__, NULL }; \
    g_autofree char *got_ = g_strjoinv (",", (char **) (strv)); \
    g_autofree char *want_ = g_strjoinv (",", (char **) expected_); \
    g_assert_cmpstr (got_, ==, want_); \
  } G_STMT_END

static void
test_normalize_codecs (void)
{
  static const struct { const char *in; const char *out; } cases[] = {
    { "", "" },                                   /* the default order stays "default" */
    { "opus,G722,PCMU,PCMA", "opus,G722,PCMU,PCMA" },
    { "OPUS,g722", "opus,G722,PCMU,PCMA" },        /* G.711 is always offered: added last */
    { "PCMA,opus,pcma,Opus", "PCMA,opus,PCMU" },   /* each once, first place kept */
    { "G722,PCMU", "G722,PCMU,PCMA" },
  };
  const char *const bogus[] = { "opus", "G729", NULL };
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(GStrv) in = g_strsplit (cases[i].in, ",", -1);
      g_auto(GStrv) out = NULL;
      g_autofree char *joined = NULL;

      if (!*cases[i].in)
        g_clear_pointer (&in, g_strfreev);   /* NULL: as an empty list */
      out = bell_account_normalize_codecs ((const char *const *) in, &error);
      g_assert_no_error (error);
      joined = g_strjoinv (",", out);
      g_assert_cmpstr (joined, ==, cases[i].out);
    }
  g_assert_null (bell_account_normalize_codecs (bogus, &error));
  g_assert_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_INVALID_CODECS);
  g_assert_nonnull (strstr (error->message, "G729"));
  assert_strv (bell_account_known_codecs (), "opus", "G722", "PCMU", "PCMA");
  g_assert_cmpstr (bell_account_codec_name ("g722"), ==, "G722");
  g_assert_null (bell_account_codec_name ("L16"));
}

/* The per-account keys: their defaults (an account from before they existed reads these), an
 * order and low-bandwidth mode saved and read back, and what they give the core. */
static void
test_codecs (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellAccountFields) fields = NULL;
  g_autoptr(BellAccountFields) back = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(BellAccountRegConfig) rc = NULL;
  g_auto(GStrv) stored = NULL;
  g_auto(GStrv) defaults = NULL;
  BellAccount *account = bell_account_store_add (f->store, "frank@example.com", NULL, &error);
  GSettings *settings;
  const char *const own[] = { "G722", "opus", NULL };
  const char *const app_order[] = { "PCMA", "L16", "PCMU", NULL };

  g_assert_no_error (error);
  settings = bell_account_get_settings (account);
  stored = g_settings_get_strv (settings, "codecs");
  g_assert_cmpuint (g_strv_length (stored), ==, 0);
  g_clear_pointer (&stored, g_strfreev);
  g_assert_false (g_settings_get_boolean (settings, "low-bandwidth"));
  g_assert_cmpuint (g_strv_length ((char **) bell_account_get_codecs (account)), ==, 0);
  g_assert_false (bell_account_get_low_bandwidth (account));
  fields = bell_account_fields_new_from_account (account);
  g_assert_true (fields->codecs == NULL || fields->codecs[0] == NULL);
  g_assert_false (fields->low_bandwidth);

  /* No order of its own: the core's (NULL), which the app sets from its "codecs" key. */
  rc = bell_account_make_reg_config (account, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (rc->config.codecs);
  g_assert_false (rc->config.low_bandwidth);
  g_clear_pointer (&rc, bell_account_reg_config_free);
  /* What the editor shows for it: the app's key as the core will use it... */
  defaults = bell_account_store_dup_default_codecs (f->store);
  {
    g_auto(GStrv) app = g_settings_get_strv (f->settings, "codecs");
    g_auto(GStrv) expected = bell_account_normalize_codecs ((const char *const *) app, NULL);
    g_autofree char *a = g_strjoinv (",", defaults);
    g_autofree char *b = g_strjoinv (",", expected[0] ? expected
                                                     : (char **) bell_account_known_codecs ());
    g_assert_cmpstr (a, ==, b);
  }
  g_clear_pointer (&defaults, g_strfreev);
  g_settings_set_strv (f->settings, "codecs", app_order);   /* L16: unknown, left out */
  defaults = bell_account_store_dup_default_codecs (f->store);
  assert_strv (defaults, "PCMA", "PCMU");
  g_clear_pointer (&defaults, g_strfreev);
  /* ...and the core's own order when the key is empty. */
  g_settings_set_strv (f->settings, "codecs", NULL);
  defaults = bell_account_store_dup_default_codecs (f->store);
  assert_strv (defaults, "opus", "G722", "PCMU", "PCMA");

  /* An order of its own, saved as the editor does: stored with G.711 added, read back. */
  g_strfreev (fields->codecs);
  fields->codecs = g_strdupv ((char **) own);
  fields->low_bandwidth = TRUE;
  bell_account_store_save_async (f->store, account, fields, NULL, NULL,
                                 account_test_store_result, &result);
  g_object_unref (bell_account_store_save_finish (f->store, account_test_wait_result (&result),
                                                  &error));
  g_assert_no_error (error);
  stored = g_settings_get_strv (settings, "codecs");
  assert_strv (stored, "G722", "opus", "PCMU", "PCMA");
  g_assert_true (g_settings_get_boolean (settings, "low-bandwidth"));
  assert_strv (bell_account_get_codecs (account), "G722", "opus", "PCMU", "PCMA");
  g_assert_true (bell_account_get_low_bandwidth (account));
  back = bell_account_fields_new_from_account (account);
  assert_strv (back->codecs, "G722", "opus", "PCMU", "PCMA");
  g_assert_true (back->low_bandwidth);

  rc = bell_account_make_reg_config (account, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rc->config.codecs, ==, "G722,opus,PCMU,PCMA");
  g_assert_true (rc->config.low_bandwidth);
  g_clear_pointer (&rc, bell_account_reg_config_free);

  /* Back to the default order: the key is empty again, the core gets NULL. */
  g_clear_pointer (&back->codecs, g_strfreev);
  back->low_bandwidth = FALSE;
  g_clear_object (&result);
  bell_account_store_save_async (f->store, account, back, NULL, NULL,
                                 account_test_store_result, &result);
  g_object_unref (bell_account_store_save_finish (f->store, account_test_wait_result (&result),
                                                  &error));
  g_assert_no_error (error);
  g_clear_pointer (&stored, g_strfreev);
  stored = g_settings_get_strv (settings, "codecs");
  g_assert_cmpuint (g_strv_length (stored), ==, 0);
  rc = bell_account_make_reg_config (account, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (rc->config.codecs);
  g_assert_false (rc->config.low_bandwidth);
}

/* A settings file written before these keys existed still loads: its accounts read the
 * defaults, and keep everything else they had. */
static void
test_old_keyfile (void)
{
  g_autofree char *dir = g_dir_make_tmp ("bellbird-old-keyfile-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "keyfile", NULL);
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettingsBackend) backend = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) codecs = NULL;
  g_autofree char *address = NULL;
  static const char old[] =
    "[io/github/bellbird/Bellbird]\n"
    "accounts=['0a1b2c3d4e5f6071']\n"
    "codecs=['PCMA', 'PCMU']\n"
    "\n"
    "[io/github/bellbird/Bellbird/accounts/0a1b2c3d4e5f6071]\n"
    "address='sip:gina@example.com'\n"
    "transport='tcp'\n"
    "srtp='optional'\n";

  g_assert_nonnull (dir);
  g_assert_true (g_file_set_contents (file, old, -1, &error));
  g_assert_no_error (error);
  schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (),
                                            BELL_ACCOUNT_SCHEMA_ID, TRUE);
  backend = g_keyfile_settings_backend_new (file, "/", NULL);
  settings = g_settings_new_full (schema, backend, BELL_ACCOUNT_PATH_PREFIX "0a1b2c3d4e5f6071/");
  address = g_settings_get_string (settings, "address");
  g_assert_cmpstr (address, ==, "sip:gina@example.com");
  assert_setting (settings, "srtp", "optional");
  codecs = g_settings_get_strv (settings, "codecs");
  g_assert_cmpuint (g_strv_length (codecs), ==, 0);   /* the app's order, PCMA first here */
  g_assert_false (g_settings_get_boolean (settings, "low-bandwidth"));
  g_clear_object (&settings);
  g_clear_object (&backend);
  account_test_rm_rf (dir);
}

static void
test_validate (Fixture *f, gconstpointer data)
{
  static const struct { const char *field; const char *value; int code; } cases[] = {
    { "address", "carol", BELL_ACCOUNT_ERROR_INVALID_ADDRESS },
    { "registrar", "pbx example", BELL_ACCOUNT_ERROR_INVALID_SERVER },
    { "outbound-proxy", "bob@proxy", BELL_ACCOUNT_ERROR_INVALID_SERVER },
    { "stun-server", "stun:/x y", BELL_ACCOUNT_ERROR_INVALID_SERVER },
    { "transport", "sctp", BELL_ACCOUNT_ERROR_INVALID_SERVER },
    { "srtp", "always", BELL_ACCOUNT_ERROR_INVALID_SERVER },
    { "direct-calls", "everyone", BELL_ACCOUNT_ERROR_INVALID_SERVER },
    { "address", "dave@example.com", BELL_ACCOUNT_ERROR_EXISTS },
    { "codecs", "opus,iLBC", BELL_ACCOUNT_ERROR_INVALID_CODECS },
  };
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (bell_account_store_add (f->store, "dave@example.com", NULL, &error));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(BellAccountFields) fields = fields_for ("carol@example.net");
      g_autoptr(GAsyncResult) result = NULL;
      char *unused = NULL;
      char **slot = g_str_equal (cases[i].field, "codecs") ? &unused
                    : g_str_equal (cases[i].field, "address") ? &fields->address
                    : g_str_equal (cases[i].field, "registrar") ? &fields->registrar
                    : g_str_equal (cases[i].field, "outbound-proxy") ? &fields->outbound_proxy
                    : g_str_equal (cases[i].field, "stun-server") ? &fields->stun_server
                    : g_str_equal (cases[i].field, "transport") ? &fields->transport
                    : g_str_equal (cases[i].field, "direct-calls") ? &fields->direct_calls
                    : &fields->srtp;

      if (slot == &unused)
        fields->codecs = g_strsplit (cases[i].value, ",", -1);
      else
        {
          g_free (*slot);
          *slot = g_strdup (cases[i].value);
        }
      g_assert_false (bell_account_store_validate (f->store, NULL, fields, &error));
      g_assert_error (error, BELL_ACCOUNT_ERROR, cases[i].code);
      g_clear_error (&error);
      bell_account_store_save_async (f->store, NULL, fields, "pw", NULL,
                                     account_test_store_result, &result);
      g_assert_null (bell_account_store_save_finish (f->store, account_test_wait_result (&result),
                                                     &error));
      g_assert_error (error, BELL_ACCOUNT_ERROR, cases[i].code);
      g_clear_error (&error);
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->store)), ==, 1);
}

/* The private bus has no Secret Service: a password cannot be kept, so nothing is saved. */
static void
test_save_without_keyring (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellAccountFields) fields = fields_for ("erin@example.com");
  g_autoptr(GAsyncResult) result = NULL;
  g_auto(GStrv) ids = NULL;

  bell_account_store_save_async (f->store, NULL, fields, "erin-secret", NULL,
                                 account_test_store_result, &result);
  g_assert_null (bell_account_store_save_finish (f->store, account_test_wait_result (&result),
                                                 &error));
  g_assert_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_KEYRING);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "The keyring is not available: "));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->store)), ==, 0);
  ids = g_settings_get_strv (f->settings, "accounts");
  g_assert_cmpuint (g_strv_length (ids), ==, 0);
}

static void
test_reg_config (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  BellAccount *account = bell_account_store_add (f->store, "alice@example.com:5062", "Alice",
                                                 &error);
  g_autoptr(BellAccountRegConfig) rc = NULL;
  g_autofree char *instance = NULL;
  const char *password = "not-logged";

  g_assert_no_error (error);
  rc = bell_account_make_reg_config (account, password, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rc->config.aor, ==, "sip:alice@example.com:5062");
  g_assert_cmpstr (rc->config.display_name, ==, "Alice");
  g_assert_null (rc->config.auth_user);
  g_assert_true (rc->config.password == password);
  /* No registrar: the address's domain, with its port. */
  g_assert_cmpstr (rc->config.registrar, ==, "sip:example.com:5062");
  g_assert_cmpint (rc->config.transport, ==, BELL_SIP_TRANSPORT_ANY);
  g_assert_cmpuint (rc->config.expires, ==, 600);
  /* Direct calls follow the app's choice unless the account has its own. */
  g_assert_cmpint (rc->config.direct_calls, ==, BELL_DIRECT_CALLS_AUTO);
  instance = bell_account_make_instance_id (bell_account_get_id (account));
  g_assert_cmpstr (rc->config.instance_id, ==, instance);
  g_clear_pointer (&rc, bell_account_reg_config_free);

  g_object_set (account, "registrar", "pbx.example.com:5080", "auth-user", "1001",
                "transport", "tls", "expires", 120, "display-name", "",
                "outbound-proxy", "proxy.example.com:5070", "srtp", "mandatory",
                "stun-server", "stun.example.com", "direct-calls", "nobody", NULL);
  rc = bell_account_make_reg_config (account, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rc->config.registrar, ==, "sip:pbx.example.com:5080");
  g_assert_cmpint (rc->config.direct_calls, ==, BELL_DIRECT_CALLS_REFUSE);
  /* The outbound proxy and the SRTP policy reach the core (its REGISTERs and calls). */
  g_assert_cmpstr (rc->config.outbound_proxy, ==, "sip:proxy.example.com:5070");
  g_assert_cmpstr (rc->config.srtp, ==, "mandatory");
  g_assert_cmpstr (rc->config.stun_server, ==, "stun.example.com");
  g_assert_cmpstr (rc->config.auth_user, ==, "1001");
  g_assert_null (rc->config.display_name);
  g_assert_null (rc->config.password);
  g_assert_cmpint (rc->config.transport, ==, BELL_SIP_TRANSPORT_TLS);
  g_assert_cmpuint (rc->config.expires, ==, 120);
  g_clear_pointer (&rc, bell_account_reg_config_free);

  g_object_set (account, "registrar", "sips:secure.example.com", NULL);
  rc = bell_account_make_reg_config (account, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rc->config.registrar, ==, "sips:secure.example.com");
  g_clear_pointer (&rc, bell_account_reg_config_free);

  /* Settings edited by hand into something unusable: an error, not a crash. */
  g_object_set (account, "registrar", "bad host", NULL);
  g_assert_null (bell_account_make_reg_config (account, NULL, &error));
  g_assert_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_INVALID_SERVER);
  g_clear_error (&error);
  g_object_set (account, "registrar", "", "address", "nobody", NULL);
  g_assert_null (bell_account_make_reg_config (account, NULL, &error));
  g_assert_error (error, BELL_ACCOUNT_ERROR, BELL_ACCOUNT_ERROR_INVALID_ADDRESS);
}

int
main (int argc, char **argv)
{
  g_autofree char *home = account_test_private_home ("memory");
  int status;

  g_test_init (&argc, &argv, NULL);
  /* Our own empty session bus: no Secret Service, and never the user's keyring. */
  account_test_bus_up ();

  g_test_add_func ("/accounts/address/normalize", test_normalize_address);
  g_test_add_func ("/accounts/server/normalize", test_normalize_server);
  g_test_add_func ("/accounts/mappings", test_mappings);
  g_test_add_func ("/accounts/codecs/normalize", test_normalize_codecs);
  g_test_add_func ("/accounts/codecs/old-keyfile", test_old_keyfile);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/accounts/store/add-remove", test_add_remove);
  ADD ("/accounts/store/edit", test_edit);
  ADD ("/accounts/store/follows-settings", test_follows_settings);
  ADD ("/accounts/store/save", test_save);
  ADD ("/accounts/store/validate", test_validate);
  ADD ("/accounts/store/save-without-keyring", test_save_without_keyring);
  ADD ("/accounts/store/reg-config", test_reg_config);
  ADD ("/accounts/store/codecs", test_codecs);
#undef ADD
  status = g_test_run ();

  secret_service_disconnect ();
  account_test_bus_stop ();
  account_test_rm_rf (home);
  return status;
}
