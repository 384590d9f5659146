/* ui-test-registrar.c: a registrar that answers REGISTER and forwards calls (see the header). */
#include "ui-test-registrar.h"

#include <string.h>

struct _UiRegistrar
{
  GSocket    *socket;
  GSource    *source;
  guint16     port;
  guint       bindings;
  guint       removals;
  guint       calls;       /* INVITEs sent: their branch and tag */
  GHashTable *invites;     /* Call-ID → the INVITE sent (char *) */
  GPtrArray  *responses;   /* "CALL-ID CODE" per response received */
};

/* The whole line of header name (or its compact form), without the CRLF; NULL if absent. */
static char *
header_line (const char *msg, const char *name, const char *compact)
{
  g_auto(GStrv) lines = g_strsplit (msg, "\r\n", -1);

  for (guint i = 1; lines[i] && *lines[i]; i++)
    {
      const char *colon = strchr (lines[i], ':');
      g_autofree char *field = colon ? g_strstrip (g_strndup (lines[i], colon - lines[i])) : NULL;

      if (field && (g_ascii_strcasecmp (field, name) == 0 ||
                    (compact && g_ascii_strcasecmp (field, compact) == 0)))
        return g_strdup (lines[i]);
    }
  return NULL;
}

/* The value of header name: what follows the colon, trimmed. */
static char *
header_value (const char *msg, const char *name, const char *compact)
{
  g_autofree char *line = header_line (msg, name, compact);

  return line ? g_strstrip (g_strdup (strchr (line, ':') + 1)) : NULL;
}

static void
answer_register (UiRegistrar *reg, const char *request, GSocketAddress *from)
{
  g_autoptr(GString) reply = g_string_new ("SIP/2.0 200 OK\r\n");
  g_autofree char *via = header_line (request, "Via", "v");
  g_autofree char *from_h = header_line (request, "From", "f");
  g_autofree char *to = header_line (request, "To", "t");
  g_autofree char *call_id = header_line (request, "Call-ID", "i");
  g_autofree char *cseq = header_line (request, "CSeq", NULL);
  g_autofree char *contact = header_value (request, "Contact", "m");
  g_autofree char *expires = header_value (request, "Expires", NULL);
  gboolean removal = expires && g_str_equal (expires, "0");

  g_string_append_printf (reply, "%s\r\n%s\r\n%s;tag=registrar\r\n%s\r\n%s\r\n",
                          via, from_h, to, call_id, cseq);
  if (contact && !removal)
    g_string_append_printf (reply, "Contact: %s;expires=%s\r\n", contact,
                            expires ? expires : "600");
  g_string_append (reply, "Content-Length: 0\r\n\r\n");
  g_socket_send_to (reg->socket, from, reply->str, reply->len, NULL, NULL);
  if (removal)
    reg->removals++;
  else
    reg->bindings++;
}

/* ACK for a final refusal of our INVITE: its Request-URI, Via, From and Call-ID, and the To
 * of the response (with the callee's tag). */
static void
acknowledge (UiRegistrar *reg, const char *invite, const char *response, GSocketAddress *from)
{
  const char *space = strchr (invite, ' ');
  g_autofree char *uri = g_strndup (space + 1, strchr (space + 1, ' ') - space - 1);
  g_autofree char *via = header_line (invite, "Via", "v");
  g_autofree char *from_h = header_line (invite, "From", "f");
  g_autofree char *call_id = header_line (invite, "Call-ID", "i");
  g_autofree char *to = header_line (response, "To", "t");
  g_autofree char *ack = g_strdup_printf ("ACK %s SIP/2.0\r\n%s\r\nMax-Forwards: 70\r\n%s\r\n%s\r\n"
                                          "%s\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
                                          uri, via, from_h, to, call_id);

  g_socket_send_to (reg->socket, from, ack, strlen (ack), NULL, NULL);
}

static void
take_response (UiRegistrar *reg, const char *response, GSocketAddress *from)
{
  guint code = (guint) g_ascii_strtoull (response + strlen ("SIP/2.0 "), NULL, 10);
  g_autofree char *call_id = header_value (response, "Call-ID", "i");
  g_autofree char *cseq = header_value (response, "CSeq", NULL);
  const char *invite = call_id ? g_hash_table_lookup (reg->invites, call_id) : NULL;

  if (!invite || !cseq || !strstr (cseq, "INVITE"))
    return;
  g_ptr_array_add (reg->responses, g_strdup_printf ("%s %u", call_id, code));
  if (code >= 300)
    acknowledge (reg, invite, response, from);
}

static gboolean
on_datagram (GSocket *socket, GIOCondition condition, gpointer data)
{
  UiRegistrar *reg = data;
  char buf[8192];
  g_autoptr(GSocketAddress) from = NULL;
  gssize n = g_socket_receive_from (socket, &from, buf, sizeof buf - 1, NULL, NULL);

  if (n <= 0)
    return G_SOURCE_CONTINUE;
  buf[n] = '\0';
  if (g_str_has_prefix (buf, "REGISTER "))
    answer_register (reg, buf, from);
  else if (g_str_has_prefix (buf, "SIP/2.0 "))
    take_response (reg, buf, from);
  return G_SOURCE_CONTINUE;
}

UiRegistrar *
ui_registrar_start (void)
{
  UiRegistrar *reg = g_new0 (UiRegistrar, 1);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  reg->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                              G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_socket_bind (reg->socket, any, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (reg->socket, &error);
  g_assert_no_error (error);
  reg->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  reg->source = g_socket_create_source (reg->socket, G_IO_IN, NULL);
  g_source_set_callback (reg->source, G_SOURCE_FUNC (on_datagram), reg, NULL);
  g_source_attach (reg->source, NULL);
  reg->invites = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  reg->responses = g_ptr_array_new_with_free_func (g_free);
  return reg;
}

guint16 ui_registrar_port     (UiRegistrar *reg) { return reg->port; }
guint   ui_registrar_bindings (UiRegistrar *reg) { return reg->bindings; }
guint   ui_registrar_removals (UiRegistrar *reg) { return reg->removals; }

char *
ui_registrar_uri (UiRegistrar *reg)
{
  return g_strdup_printf ("sip:127.0.0.1:%u", reg->port);
}

/* The Request-URI is the registered contact (user@127.0.0.1:port), as a proxy retargets it
 * (RFC 3261 §16.5); To keeps the account's AOR. */
void
ui_registrar_invite (UiRegistrar *reg, guint16 port, const char *to_aor, const char *from_uri,
                     const char *call_id)
{
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) to = g_inet_socket_address_new (lo, port);
  const char *user_at = strchr (to_aor, ':') + 1;
  g_autofree char *user = g_strndup (user_at, strcspn (user_at, "@"));
  char *invite;
  g_autoptr(GError) error = NULL;

  reg->calls++;
  invite = g_strdup_printf ("INVITE sip:%s@127.0.0.1:%u SIP/2.0\r\n"
                            "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-ui-%u;rport\r\n"
                            "Max-Forwards: 69\r\n"
                            "From: <%s>;tag=caller-%u\r\n"
                            "To: <%s>\r\n"
                            "Call-ID: %s\r\n"
                            "CSeq: 1 INVITE\r\n"
                            "Contact: <sip:caller@127.0.0.1:%u>\r\n"
                            "Content-Length: 0\r\n\r\n",
                            user, port, reg->port, reg->calls, from_uri, reg->calls, to_aor,
                            call_id, reg->port);
  g_hash_table_replace (reg->invites, g_strdup (call_id), invite);
  g_socket_send_to (reg->socket, to, invite, strlen (invite), NULL, &error);
  g_assert_no_error (error);
}

gboolean
ui_registrar_got (UiRegistrar *reg, const char *call_id, guint code)
{
  g_autofree char *needle = g_strdup_printf ("%s %u", call_id, code);

  for (guint i = 0; i < reg->responses->len; i++)
    if (g_str_equal (reg->responses->pdata[i], needle))
      return TRUE;
  return FALSE;
}

void
ui_registrar_stop (UiRegistrar *reg)
{
  g_source_destroy (reg->source);
  g_source_unref (reg->source);
  g_object_unref (reg->socket);
  g_hash_table_unref (reg->invites);
  g_ptr_array_unref (reg->responses);
  g_free (reg);
}
