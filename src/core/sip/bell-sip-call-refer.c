/* bell-sip-call-refer.c: call transfer. As transferor we send REFER (RFC 3515) naming the
 * target (blind) or the other call's peer with a Replaces (attended, RFC 3891, RFC 5589) and
 * follow the NOTIFYs; as transferee we take a REFER from our peer, let the core place the
 * call it asks for, and report that call's progress in NOTIFYs (message/sipfrag). */
#define G_LOG_DOMAIN "bell-sip-call"

#include "bell-sip-call-private.h"

#include <string.h>

/* Transferor */

typedef struct
{
  char *refer_to;
  char *referred_by;
} Refer;

static void
refer_free (Refer *r)
{
  g_free (r->refer_to);
  g_free (r->referred_by);
  g_free (r);
}

static void
fill_refer (BellSipCall *self, BellSipMsg *request, gpointer data)
{
  Refer *r = data;

  bell_sip_msg_add_header (request, "Refer-To", r->refer_to, NULL);
  bell_sip_msg_add_header (request, "Referred-By", r->referred_by, NULL);
}

static void
on_refer_done (BellSipCall *self, BellSipMsg *request, BellSipMsg *response, const GError *error,
               gpointer data)
{
  guint status = response ? bell_sip_msg_get_status (response) : 408;
  g_autofree char *reason = response ? bell_str_dup (bell_sip_msg_get_reason (response))
                                     : g_strdup (error ? error->message : "no answer");

  /* A NOTIFY may overtake the 202 (it is a request of its own, handled at once): it said
   * the REFER was taken already, and perhaps how it ended. */
  if (!self->transferring || self->transfer_accepted)
    return;
  if (status >= 300)
    self->transferring = FALSE;
  else
    self->transfer_accepted = TRUE;
  bell_sip_call_emit_transfer (self, status, reason);
}

/* "call-id;to-tag=their tag;from-tag=our tag": the other call's dialog as its peer sees it
 * (RFC 3891 §3: to-tag is the tag of the one receiving the INVITE with Replaces). */
static char *
replaces_value (BellSipCall *other)
{
  return g_strdup_printf ("%s;to-tag=%s;from-tag=%s", other->call_id,
                          bell_sip_dialog_get_remote_tag (other->dialog),
                          bell_sip_dialog_get_local_tag (other->dialog));
}

gboolean
bell_sip_call_transfer (BellSipCall *self, const char *uri, BellSipCall *replaces, GError **error)
{
  Refer *r;

  g_return_val_if_fail (BELL_IS_SIP_CALL (self), FALSE);
  if (self->state != BELL_CALL_CONNECTED || !self->dialog)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                           "only a connected call can be transferred");
      return FALSE;
    }
  if (self->transferring)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PENDING,
                           "a transfer of this call is already under way");
      return FALSE;
    }
  r = g_new0 (Refer, 1);
  if (replaces)
    {
      const char *const *routes;
      g_autofree char *value = NULL;
      g_autofree char *escaped = NULL;
      g_autoptr(BellSipUri) target = NULL;

      if (replaces == self || replaces->state != BELL_CALL_CONNECTED || !replaces->dialog)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "the call to hand over to must be another connected call");
          refer_free (r);
          return FALSE;
        }
      /* Reach the very device we talk to when no proxy is on the way, else its address of
       * record through the proxy. */
      routes = bell_sip_dialog_get_route_set (replaces->dialog);
      target = bell_sip_uri_new (routes && routes[0] ? replaces->peer
                                                     : bell_sip_dialog_get_remote_target (replaces->dialog),
                                 NULL);
      if (!target)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "the other call's address does not parse");
          refer_free (r);
          return FALSE;
        }
      value = replaces_value (replaces);
      escaped = g_uri_escape_string (value, NULL, FALSE);
      r->refer_to = g_strdup_printf ("<%.*s?Replaces=%s>",
                                     (int) (target->headers.len ? (gsize) (target->headers.p - target->text.p) - 1
                                                                : target->text.len),
                                     target->text.p, escaped);
    }
  else
    {
      g_autoptr(BellSipUri) target = bell_sip_uri_new (uri, error);
      if (!target)
        {
          refer_free (r);
          return FALSE;
        }
      r->refer_to = g_strdup_printf ("<%s>", uri);
    }
  r->referred_by = g_strdup_printf ("<%s>", self->from ? self->from : "sip:anonymous@anonymous.invalid");
  g_message ("call %u: transferring to %s", self->id, r->refer_to);
  self->transferring = TRUE;
  self->transfer_accepted = FALSE;
  bell_sip_call_send_request_in (self, NULL, BELL_SIP_METHOD_REFER, fill_refer, on_refer_done, r,
                                 (GDestroyNotify) refer_free);
  return TRUE;
}

/* "SIP/2.0 200 OK" from a message/sipfrag body (RFC 3420): the status, 0 if none. */
static guint
sipfrag_status (BellSipMsg *notify, char **reason)
{
  gsize len;
  const char *body = bell_sip_msg_peek_body (notify, &len);
  g_autofree char *text = body ? g_strndup (body, len) : NULL;
  g_auto(GStrv) words = NULL;
  guint64 status = 0;

  if (!text || !g_str_has_prefix (text, "SIP/2.0 "))
    return 0;
  text[strcspn (text, "\r\n")] = '\0';
  words = g_strsplit (text + 8, " ", 2);
  if (!words[0] || !g_ascii_string_to_unsigned (words[0], 10, 100, 699, &status, NULL))
    return 0;
  *reason = g_strdup (words[1] ? words[1] : "");
  return (guint) status;
}

void
bell_sip_call_refer_handle_notify (BellSipCall *self, BellSipTransaction *txn, BellSipMsg *request)
{
  const BellSipHeader *event = bell_sip_msg_find (request, BELL_SIP_HDR_EVENT);
  const BellSipHeader *state = bell_sip_msg_find (request, BELL_SIP_HDR_SUBSCRIPTION_STATE);
  gboolean terminated;
  g_autofree char *reason = NULL;
  guint status;

  /* RFC 6665 §8.2.1: only the refer event package is ours in a call. */
  if (!event || !bell_str_equal_ci_cstr (event->parsed.token_params->value, "refer"))
    {
      bell_sip_transaction_respond_status (txn, 489, NULL, NULL);
      return;
    }
  if (!self->transferring)
    {
      bell_sip_transaction_respond_status (txn, 481, NULL, NULL);   /* no such subscription */
      return;
    }
  bell_sip_transaction_respond_status (txn, 200, NULL, NULL);
  /* A NOTIFY means the REFER was accepted (RFC 3515 §2.4.4), whether or not its 202 came. */
  if (!self->transfer_accepted)
    {
      self->transfer_accepted = TRUE;
      bell_sip_call_emit_transfer (self, 202, "Accepted");
    }
  terminated = state && bell_str_equal_ci_cstr (state->parsed.token_params->value, "terminated");
  status = sipfrag_status (request, &reason);
  if (!status)
    {
      if (!terminated)
        return;
      /* Over without telling how (RFC 3515 §2.4.7): report it as unknown. */
      status = 500;
      reason = g_strdup ("the transfer ended without a result");
    }
  if (status >= 200 || terminated)
    self->transferring = FALSE;
  bell_sip_call_emit_transfer (self, status, reason);
  /* The transferee talks to the target now: our part is over (RFC 5589 §6). */
  if (status >= 200 && status < 300)
    bell_sip_call_bye (self, "transferred");
}

/* Transferee */

typedef struct
{
  guint    status;
  char    *reason;
  gboolean terminated;
  guint32  id;
} Notify;

static void
notify_free (Notify *n)
{
  g_free (n->reason);
  g_free (n);
}

static void
fill_notify (BellSipCall *self, BellSipMsg *request, gpointer data)
{
  Notify *n = data;
  g_autofree char *frag = g_strdup_printf ("SIP/2.0 %u %s\r\n", n->status, n->reason);

  bell_sip_msg_add_headerf (request, "Event", NULL, "refer;id=%u", n->id);
  bell_sip_msg_add_header (request, "Subscription-State",
                           n->terminated ? "terminated;reason=noresource" : "active;expires=60", NULL);
  bell_sip_msg_set_body (request, "message/sipfrag;version=2.0", frag, strlen (frag));
}

static void
send_notify (BellSipCall *self, guint status, const char *reason, gboolean terminated)
{
  Notify *n;

  if (self->state == BELL_CALL_ENDED || status == self->refer_notified)
    return;
  self->refer_notified = status;
  n = g_new0 (Notify, 1);
  n->status = status;
  n->reason = g_strdup (reason && *reason ? reason : "Unknown");
  n->terminated = terminated;
  n->id = self->refer_cseq;
  bell_sip_call_send_request_in (self, NULL, BELL_SIP_METHOD_NOTIFY, fill_notify, NULL, n,
                                 (GDestroyNotify) notify_free);
}

/* The value of the ?Replaces= header of a Refer-To URI, unescaped, or NULL. */
static char *
uri_header (const BellSipUri *uri, const char *name)
{
  g_autofree char *headers = uri->headers.len ? bell_str_dup (uri->headers) : NULL;
  g_auto(GStrv) pairs = headers ? g_strsplit (headers, "&", -1) : NULL;

  for (guint i = 0; pairs && pairs[i]; i++)
    {
      char *eq = strchr (pairs[i], '=');
      if (eq && (gsize) (eq - pairs[i]) == strlen (name) &&
          g_ascii_strncasecmp (pairs[i], name, strlen (name)) == 0)
        return g_uri_unescape_string (eq + 1, NULL);
    }
  return NULL;
}

void
bell_sip_call_refer_handle_refer (BellSipCall *self, BellSipTransaction *txn, BellSipMsg *request)
{
  const BellSipHeader *refer_to = bell_sip_msg_find (request, BELL_SIP_HDR_REFER_TO);
  const BellSipHeader *referred_by = bell_sip_msg_find (request, BELL_SIP_HDR_REFERRED_BY);
  const BellSipNameAddr *na = refer_to ? refer_to->parsed.name_addr : NULL;
  g_autoptr(BellSipMsg) accepted = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *replaces = NULL;
  g_autofree char *by = NULL;

  /* RFC 3515 §2.4.1: exactly one Refer-To, and a URI we can call. */
  if (!na || bell_sip_msg_count (request, BELL_SIP_HDR_REFER_TO) != 1 ||
      !bell_sip_uri_is_sip (&na->uri))
    {
      bell_sip_transaction_respond_status (txn, 400, "Bad Refer-To: one sip: or sips: URI", NULL);
      return;
    }
  if (self->refer_child)
    {
      bell_sip_transaction_respond_status (txn, 491, NULL, NULL);   /* one transfer at a time */
      return;
    }
  accepted = bell_sip_msg_new_response_to (request, 202, NULL, NULL);
  bell_sip_msg_add_headerf (accepted, "Contact", NULL, "<%s>", self->local_contact);
  bell_sip_transaction_respond (txn, accepted, NULL);

  uri = na->uri.headers.len ? g_strndup (na->uri.text.p, (gsize) (na->uri.headers.p - na->uri.text.p) - 1)
                            : bell_str_dup (na->uri.text);
  replaces = uri_header (&na->uri, "Replaces");
  by = referred_by ? bell_str_dup (referred_by->value) : NULL;
  self->refer_cseq = bell_sip_msg_get_cseq (request)->seq;
  self->refer_notified = 0;
  g_message ("call %u: the peer transfers us to %s%s", self->id, uri,
             replaces ? " (replacing a call)" : "");
  send_notify (self, 100, "Trying", FALSE);
  bell_sip_call_emit_refer (self, uri, replaces, by);
}

static void
on_child_changed (BellSipCall *child, gpointer data)
{
  BellSipCall *self = data;

  switch (child->state)
    {
    case BELL_CALL_RINGING:
      send_notify (self, child->code >= 180 ? child->code : 180,
                   child->code == 183 ? "Session Progress" : "Ringing", FALSE);
      break;
    case BELL_CALL_CONNECTED:
      send_notify (self, 200, "OK", TRUE);
      bell_sip_call_refer_clear (self);
      break;
    case BELL_CALL_ENDED:
      send_notify (self, child->code >= 300 ? child->code : 503,
                   child->reason ? child->reason : "Service Unavailable", TRUE);
      bell_sip_call_refer_clear (self);
      break;
    default:
      break;
    }
}

void
bell_sip_call_set_refer_child (BellSipCall *self, BellSipCall *child)
{
  g_return_if_fail (BELL_IS_SIP_CALL (self));
  bell_sip_call_refer_clear (self);
  if (!child)
    {
      send_notify (self, 503, "Service Unavailable", TRUE);
      return;
    }
  self->refer_child = g_object_ref (child);
  g_signal_connect (child, "changed", G_CALLBACK (on_child_changed), self);
}

void
bell_sip_call_refer_clear (BellSipCall *self)
{
  if (!self->refer_child)
    return;
  g_signal_handlers_disconnect_by_data (self->refer_child, self);
  g_clear_object (&self->refer_child);
}

gboolean
bell_sip_call_is_replaced_by (BellSipCall *self, const char *replaces, gboolean *early_only)
{
  g_auto(GStrv) parts = g_strsplit (replaces, ";", -1);
  const char *to_tag = NULL, *from_tag = NULL;

  *early_only = FALSE;
  for (guint i = 1; parts[i]; i++)
    {
      char *p = g_strstrip (parts[i]);
      if (g_ascii_strncasecmp (p, "to-tag=", 7) == 0)
        to_tag = p + 7;
      else if (g_ascii_strncasecmp (p, "from-tag=", 9) == 0)
        from_tag = p + 9;
      else if (g_ascii_strcasecmp (p, "early-only") == 0)
        *early_only = TRUE;
    }
  return self->dialog && to_tag && from_tag && g_strcmp0 (g_strstrip (parts[0]), self->call_id) == 0 &&
         g_strcmp0 (to_tag, bell_sip_dialog_get_local_tag (self->dialog)) == 0 &&
         g_strcmp0 (from_tag, bell_sip_dialog_get_remote_tag (self->dialog)) == 0;
}
