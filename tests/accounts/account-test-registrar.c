/* account-test-registrar.c: a registrar that says yes, built on the core's own SIP message
 * parser and builder (what it reads is what a real registrar would). */
#include <string.h>

#include "account-test-registrar.h"
#include "sip/bell-sip-msg.h"

struct _AccountTestRegistrar
{
  GSocket   *socket;
  GSource   *source;
  guint16    port;
  GPtrArray *seen;   /* char *: "USER EXPIRES" per REGISTER, in the order received */
  char      *offer;  /* the last INVITE's codecs */
  guint      ptime;  /* and its a=ptime */
};

/* An SDP offer's audio codecs by name, in the m= line's order. */
static char *
offered_codecs (const char *sdp, gsize len, guint *ptime)
{
  g_autofree char *text = g_strndup (sdp, len);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_auto(GStrv) formats = NULL;
  GString *names = g_string_new (NULL);

  *ptime = 0;
  for (guint i = 0; lines[i]; i++)
    if (g_str_has_prefix (lines[i], "m=audio ") && !formats)
      formats = g_strsplit (g_strstrip (lines[i]), " ", -1);
    else if (g_str_has_prefix (lines[i], "a=ptime:"))
      *ptime = (guint) g_ascii_strtoull (lines[i] + strlen ("a=ptime:"), NULL, 10);
  /* m=audio PORT PROTO FMT...: the formats from the fourth token on. */
  for (guint f = 3; formats && f < g_strv_length (formats); f++)
    {
      g_autofree char *prefix = g_strdup_printf ("a=rtpmap:%s ", formats[f]);
      g_autofree char *name = NULL;

      for (guint i = 0; lines[i] && !name; i++)
        if (g_str_has_prefix (lines[i], prefix))
          name = g_strndup (lines[i] + strlen (prefix), strcspn (lines[i] + strlen (prefix), "/"));
      /* RFC 3551's static payloads may come without an rtpmap. */
      if (!name)
        name = g_strdup (g_str_equal (formats[f], "0") ? "PCMU"
                         : g_str_equal (formats[f], "8") ? "PCMA"
                         : g_str_equal (formats[f], "9") ? "G722" : formats[f]);
      g_string_append_printf (names, "%s%s", names->len ? " " : "", name);
    }
  return g_string_free (names, FALSE);
}

/* Busy: the caller's INVITE transaction ends, its ACK is not ours to answer. */
static void
refuse_invite (AccountTestRegistrar *registrar, const BellSipMsg *request, GSocketAddress *from)
{
  g_autoptr(BellSipMsg) response = bell_sip_msg_new_response_to (request, 486, "Busy Here",
                                                                 "busy");
  g_autoptr(GBytes) bytes = bell_sip_msg_to_bytes (response);
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  const char *sdp = bell_sip_msg_peek_body (request, &len);

  g_free (registrar->offer);
  registrar->offer = offered_codecs (sdp ? sdp : "", sdp ? len : 0, &registrar->ptime);
  g_socket_send_to (registrar->socket, from, g_bytes_get_data (bytes, NULL),
                    g_bytes_get_size (bytes), NULL, &error);
  g_assert_no_error (error);
}

static void
answer (AccountTestRegistrar *registrar, const BellSipMsg *request, GSocketAddress *from)
{
  const BellSipNameAddr *contact = bell_sip_msg_get_contact (request);
  g_autoptr(BellSipMsg) response = bell_sip_msg_new_response_to (request, 200, "OK", "reg");
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  guint64 expires = 0;

  bell_sip_msg_get_number (request, BELL_SIP_HDR_EXPIRES, &expires);
  /* The binding granted, as §10.3 step 8 lists it: the client reads its expiry from here. */
  if (contact && expires > 0)
    {
      g_autofree char *uri = bell_sip_uri_to_string (&contact->uri);
      bell_sip_msg_add_headerf (response, "Contact", NULL, "<%s>;expires=%" G_GUINT64_FORMAT,
                                uri, expires);
    }
  bytes = bell_sip_msg_to_bytes (response);
  g_socket_send_to (registrar->socket, from, g_bytes_get_data (bytes, NULL),
                    g_bytes_get_size (bytes), NULL, &error);
  g_assert_no_error (error);
}

static gboolean
on_readable (GSocket *socket, GIOCondition condition, gpointer data)
{
  AccountTestRegistrar *registrar = data;
  g_autoptr(GSocketAddress) from = NULL;
  g_autoptr(BellSipMsg) request = NULL;
  g_autofree char *user = NULL;
  char buf[8192];
  gssize n = g_socket_receive_from (socket, &from, buf, sizeof buf, NULL, NULL);
  guint64 expires = 0;

  if (n > 0)
    request = bell_sip_msg_parse (buf, n, BELL_SIP_PARSE_DATAGRAM, NULL);
  if (request && bell_sip_msg_is_request (request) &&
      bell_sip_msg_get_method (request) == BELL_SIP_METHOD_INVITE)
    {
      refuse_invite (registrar, request, from);
      return G_SOURCE_CONTINUE;
    }
  /* Keep-alives (CRLF) and anything else but a REGISTER: not a registrar's business. */
  if (!request || !bell_sip_msg_is_request (request) ||
      bell_sip_msg_get_method (request) != BELL_SIP_METHOD_REGISTER)
    return G_SOURCE_CONTINUE;
  user = bell_sip_uri_dup_user (&bell_sip_msg_get_to (request)->uri, NULL);
  bell_sip_msg_get_number (request, BELL_SIP_HDR_EXPIRES, &expires);
  g_ptr_array_add (registrar->seen, g_strdup_printf ("%s %" G_GUINT64_FORMAT, user, expires));
  answer (registrar, request, from);
  return G_SOURCE_CONTINUE;
}

AccountTestRegistrar *
account_test_registrar_new (void)
{
  AccountTestRegistrar *registrar = g_new0 (AccountTestRegistrar, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  registrar->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                                    G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_socket_bind (registrar->socket, any, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (registrar->socket, &error);
  g_assert_no_error (error);
  registrar->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  registrar->seen = g_ptr_array_new_with_free_func (g_free);
  registrar->source = g_socket_create_source (registrar->socket, G_IO_IN, NULL);
  g_source_set_callback (registrar->source, G_SOURCE_FUNC (on_readable), registrar, NULL);
  g_source_attach (registrar->source, NULL);
  return registrar;
}

void
account_test_registrar_free (AccountTestRegistrar *registrar)
{
  g_source_destroy (registrar->source);
  g_source_unref (registrar->source);
  g_object_unref (registrar->socket);
  g_ptr_array_unref (registrar->seen);
  g_free (registrar->offer);
  g_free (registrar);
}

guint16
account_test_registrar_get_port (AccountTestRegistrar *registrar)
{
  return registrar->port;
}

const char *
account_test_registrar_last_offer (AccountTestRegistrar *registrar)
{
  return registrar->offer;
}

guint
account_test_registrar_last_ptime (AccountTestRegistrar *registrar)
{
  return registrar->ptime;
}

guint
account_test_registrar_count (AccountTestRegistrar *registrar, const char *user,
                              gboolean removals)
{
  g_autofree char *prefix = g_strconcat (user, " ", NULL);
  guint n = 0;

  for (guint i = 0; i < registrar->seen->len; i++)
    {
      const char *seen = registrar->seen->pdata[i];

      if (g_str_has_prefix (seen, prefix))
        n += removals == g_str_equal (seen + strlen (prefix), "0");
    }
  return n;
}
