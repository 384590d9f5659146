/* bell-sdp-print.c: SDP text from the model (RFC 8866 §5).
 *
 * Canonical: CRLF after every line, the line types in the order §5 gives, attributes in the
 * order they were parsed or added, lines of unknown types after the attributes of their
 * section. The parser reads back exactly what is printed, so printing a parsed description a
 * second time gives the same bytes.
 */
#define G_LOG_DOMAIN "bell-sdp"

#include "bell-sdp.h"

static const char *
addrtype_name (BellSdpAddrType type)
{
  return type == BELL_SDP_ADDR_IP6 ? "IP6" : "IP4";
}

static void
print_strings (GString *out, char type, GPtrArray *values)
{
  for (guint i = 0; i < values->len; i++)
    g_string_append_printf (out, "%c=%s\r\n", type, (const char *) values->pdata[i]);
}

static void
print_optional (GString *out, char type, const char *value)
{
  /* Appended piece by piece: a printf would format into a buffer of its own first, freed
   * with the value in it (k= holds a key). */
  if (value != NULL)
    {
      g_string_append_c (out, type);
      g_string_append_c (out, '=');
      g_string_append (out, value);
      g_string_append (out, "\r\n");
    }
}

static void
print_connection (GString *out, const BellSdpConnection *conn)
{
  if (conn == NULL)
    return;
  g_string_append_printf (out, "c=IN %s %s", addrtype_name (conn->addrtype), conn->address);
  if (conn->addrtype == BELL_SDP_ADDR_IP4)
    {
      /* An IPv4 count needs the TTL before it, even a zero one. */
      if (conn->ttl || conn->n_addresses)
        g_string_append_printf (out, "/%u", conn->ttl);
      if (conn->n_addresses)
        g_string_append_printf (out, "/%u", conn->n_addresses);
    }
  else if (conn->n_addresses)
    g_string_append_printf (out, "/%u", conn->n_addresses);
  g_string_append (out, "\r\n");
}

static void
print_attributes (GString *out, GPtrArray *attributes, GPtrArray *other_lines)
{
  for (guint i = 0; i < attributes->len; i++)
    {
      const BellSdpAttr *attr = attributes->pdata[i];

      /* No printf, as above: an a=crypto value holds an SRTP key. */
      g_string_append (out, "a=");
      g_string_append (out, attr->name);
      if (attr->value)
        {
          g_string_append_c (out, ':');
          g_string_append (out, attr->value);
        }
      g_string_append (out, "\r\n");
    }
  for (guint i = 0; i < other_lines->len; i++)
    {
      const BellSdpLine *line = other_lines->pdata[i];
      g_string_append_printf (out, "%c=%s\r\n", line->type, line->value);
    }
}

static void
print_media (GString *out, const BellSdpMedia *media)
{
  g_string_append_printf (out, "m=%s %u", media->media, media->port);
  if (media->n_ports > 1)
    g_string_append_printf (out, "/%u", media->n_ports);
  g_string_append_printf (out, " %s", media->proto);
  for (guint i = 0; i < media->fmts->len; i++)
    g_string_append_printf (out, " %s", (const char *) media->fmts->pdata[i]);
  g_string_append (out, "\r\n");

  print_optional (out, 'i', media->title);
  print_connection (out, media->connection);
  print_strings (out, 'b', media->bandwidths);
  print_optional (out, 'k', media->key);
  print_attributes (out, media->attributes, media->other_lines);
}

char *
bell_sdp_session_to_string (const BellSdpSession *session, gsize *len)
{
  GString *out;
  const BellSdpOrigin *o;

  g_return_val_if_fail (session != NULL, NULL);

  /* Room for any SDP of ours at once: a GString that grows leaves copies of what it held
   * (a=crypto keys) in freed memory. */
  out = g_string_sized_new (4096);
  o = &session->origin;
  g_string_append (out, "v=0\r\n");
  g_string_append_printf (out, "o=%s %s %" G_GUINT64_FORMAT " IN %s %s\r\n",
                          o->username ? o->username : "-", o->sess_id ? o->sess_id : "0",
                          o->sess_version, addrtype_name (o->addrtype),
                          o->address ? o->address : "0.0.0.0");
  /* An empty name is written "s= " (RFC 8866 §5.3 wants one character); the parser drops the
   * trailing blank, so it reads back as empty. */
  if (session->name == NULL || session->name[0] == '\0')
    g_string_append (out, "s= \r\n");
  else
    g_string_append_printf (out, "s=%s\r\n", session->name);
  print_optional (out, 'i', session->info);
  print_optional (out, 'u', session->uri);
  print_strings (out, 'e', session->emails);
  print_strings (out, 'p', session->phones);
  print_connection (out, session->connection);
  print_strings (out, 'b', session->bandwidths);
  if (session->times->len == 0)
    g_string_append (out, "t=0 0\r\n");
  for (guint i = 0; i < session->times->len; i++)
    {
      const BellSdpTime *t = session->times->pdata[i];

      g_string_append_printf (out, "t=%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT "\r\n",
                              t->start, t->stop);
      print_strings (out, 'r', t->repeats);
    }
  print_optional (out, 'z', session->zone);
  print_optional (out, 'k', session->key);
  print_attributes (out, session->attributes, session->other_lines);

  for (guint i = 0; i < session->media->len; i++)
    print_media (out, session->media->pdata[i]);

  if (len)
    *len = out->len;
  return g_string_free (out, FALSE);
}

GBytes *
bell_sdp_session_to_bytes (const BellSdpSession *session)
{
  gsize len = 0;
  char *text;

  g_return_val_if_fail (session != NULL, NULL);

  text = bell_sdp_session_to_string (session, &len);
  return g_bytes_new_take (text, len);
}
