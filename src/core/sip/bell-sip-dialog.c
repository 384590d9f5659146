/* bell-sip-dialog.c: dialog state and in-dialog requests (RFC 3261 §12). */
#define G_LOG_DOMAIN "bell-sip-dialog"

#include "bell-sip-dialog.h"

#include <string.h>

struct _BellSipDialog
{
  gint               ref_count;
  BellSipDialogState state;
  char              *call_id;
  char              *local_tag;
  char              *remote_tag;
  char              *local;          /* our From value, with our tag */
  char              *remote;         /* their To value, with their tag */
  char              *remote_target;  /* the peer's Contact URI */
  char              *local_contact;
  GStrv              route_set;      /* name-addr values, first hop first */
  guint32            local_seq;
  guint32            remote_seq;
  gboolean           remote_seq_set;
  gboolean           uac;
  char              *key;
};

static char *
make_key (const char *call_id, const char *local_tag, const char *remote_tag)
{
  return g_strdup_printf ("%s;%s;%s", call_id, local_tag ? local_tag : "",
                          remote_tag ? remote_tag : "");
}

static gboolean
dialog_error (GError **error, const char *why)
{
  g_set_error_literal (error, BELL_SIP_ERROR, BELL_SIP_ERROR_MALFORMED, why);
  return FALSE;
}

/* The Record-Route values of msg, in order or reversed (§12.1.1, §12.1.2). */
static GStrv
route_set_from (BellSipMsg *msg, gboolean reverse)
{
  g_autoptr(GPtrArray) routes = g_ptr_array_new ();

  for (const BellSipHeader *h = bell_sip_msg_find (msg, BELL_SIP_HDR_RECORD_ROUTE); h;
       h = bell_sip_msg_find_next (msg, BELL_SIP_HDR_RECORD_ROUTE, h))
    {
      char *value = bell_str_dup (h->value);
      if (reverse)
        g_ptr_array_insert (routes, 0, value);
      else
        g_ptr_array_add (routes, value);
    }
  g_ptr_array_add (routes, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&routes), FALSE);
}

static char *
contact_of (BellSipMsg *msg)
{
  const BellSipNameAddr *contact = bell_sip_msg_get_contact (msg);

  return contact && !contact->star ? bell_str_dup (contact->uri.text) : NULL;
}

BellSipDialog *
bell_sip_dialog_new_uac (BellSipMsg *request, BellSipMsg *response, GError **error)
{
  const BellSipNameAddr *from = bell_sip_msg_get_from (request);
  const BellSipNameAddr *to = bell_sip_msg_get_to (response);
  const BellSipCSeq *cseq = bell_sip_msg_get_cseq (request);
  guint status = bell_sip_msg_get_status (response);
  BellSipDialog *d;

  if (!from || !to || !cseq || !bell_str_is_set (from->tag) || status <= 100 || status >= 300)
    return dialog_error (error, "not a dialog-creating response"), NULL;
  if (!bell_str_is_set (to->tag))
    return dialog_error (error, "the response has no To tag"), NULL;

  d = g_new0 (BellSipDialog, 1);
  d->ref_count = 1;
  d->uac = TRUE;
  d->state = status < 200 ? BELL_SIP_DIALOG_EARLY : BELL_SIP_DIALOG_CONFIRMED;
  d->call_id = bell_str_dup (bell_sip_msg_get_call_id (request));
  d->local_tag = bell_str_dup (from->tag);
  d->remote_tag = bell_str_dup (to->tag);
  d->local = bell_str_dup (bell_sip_msg_find (request, BELL_SIP_HDR_FROM)->value);
  d->remote = bell_str_dup (bell_sip_msg_find (response, BELL_SIP_HDR_TO)->value);
  d->remote_target = contact_of (response);
  if (!d->remote_target)
    d->remote_target = bell_str_dup (bell_sip_msg_get_request_uri (request)->text);
  d->local_contact = contact_of (request);
  d->route_set = route_set_from (response, TRUE);
  d->local_seq = cseq->seq;
  d->key = make_key (d->call_id, d->local_tag, d->remote_tag);
  return d;
}

BellSipDialog *
bell_sip_dialog_new_uas (BellSipMsg *request, const char *local_tag, const char *local_contact,
                         GError **error)
{
  const BellSipNameAddr *from = bell_sip_msg_get_from (request);
  const BellSipHeader *to = bell_sip_msg_find (request, BELL_SIP_HDR_TO);
  const BellSipCSeq *cseq = bell_sip_msg_get_cseq (request);
  BellSipDialog *d;

  g_return_val_if_fail (local_tag != NULL, NULL);
  if (!from || !to || !cseq)
    return dialog_error (error, "the request lacks From, To or CSeq"), NULL;

  d = g_new0 (BellSipDialog, 1);
  d->ref_count = 1;
  d->state = BELL_SIP_DIALOG_EARLY;
  d->call_id = bell_str_dup (bell_sip_msg_get_call_id (request));
  d->local_tag = g_strdup (local_tag);
  /* An RFC 2543 peer may send no From tag: the tag stays empty (§12.1.1). */
  d->remote_tag = bell_str_is_set (from->tag) ? bell_str_dup (from->tag) : g_strdup ("");
  d->local = g_strdup_printf ("%.*s;tag=%s", BELL_STR_PRINTF (to->value), local_tag);
  d->remote = bell_str_dup (bell_sip_msg_find (request, BELL_SIP_HDR_FROM)->value);
  d->remote_target = contact_of (request);
  if (!d->remote_target)
    d->remote_target = bell_str_dup (from->uri.text);
  d->local_contact = g_strdup (local_contact);
  d->route_set = route_set_from (request, FALSE);
  d->remote_seq = cseq->seq;
  d->remote_seq_set = TRUE;
  /* Our own requests start at a random CSeq below 2^31 (§8.1.1.5); below 2^16, as most
   * stacks do, since some peers (sipp scenarios) expect five digits at most. */
  d->local_seq = g_random_int_range (1, 1 << 16);
  d->key = make_key (d->call_id, d->local_tag, d->remote_tag);
  return d;
}

BellSipDialog *
bell_sip_dialog_ref (BellSipDialog *dialog)
{
  g_atomic_int_inc (&dialog->ref_count);
  return dialog;
}

void
bell_sip_dialog_unref (BellSipDialog *dialog)
{
  if (!g_atomic_int_dec_and_test (&dialog->ref_count))
    return;
  g_free (dialog->call_id);
  g_free (dialog->local_tag);
  g_free (dialog->remote_tag);
  g_free (dialog->local);
  g_free (dialog->remote);
  g_free (dialog->remote_target);
  g_free (dialog->local_contact);
  g_strfreev (dialog->route_set);
  g_free (dialog->key);
  g_free (dialog);
}

static gboolean
is_target_refresh (BellSipMethod method)
{
  return method == BELL_SIP_METHOD_INVITE || method == BELL_SIP_METHOD_UPDATE ||
         method == BELL_SIP_METHOD_SUBSCRIBE || method == BELL_SIP_METHOD_NOTIFY ||
         method == BELL_SIP_METHOD_REFER;
}

void
bell_sip_dialog_update_from_response (BellSipDialog *dialog, BellSipMsg *response)
{
  guint status = bell_sip_msg_get_status (response);
  g_autofree char *contact = NULL;

  if (dialog->state == BELL_SIP_DIALOG_TERMINATED)
    return;
  if (dialog->uac && dialog->state == BELL_SIP_DIALOG_EARLY && status >= 200 && status < 300 &&
      bell_sip_msg_get_method (response) == BELL_SIP_METHOD_INVITE)
    {
      /* §12.1.2: the 2xx fixes the route set for good. */
      g_strfreev (dialog->route_set);
      dialog->route_set = route_set_from (response, TRUE);
      dialog->state = BELL_SIP_DIALOG_CONFIRMED;
    }
  if (status > 100 && status < 300 && is_target_refresh (bell_sip_msg_get_method (response)) &&
      (contact = contact_of (response)))
    {
      g_free (dialog->remote_target);
      dialog->remote_target = g_steal_pointer (&contact);
    }
}

guint
bell_sip_dialog_receive_request (BellSipDialog *dialog, BellSipMsg *request)
{
  const BellSipCSeq *cseq = bell_sip_msg_get_cseq (request);
  BellSipMethod method = bell_sip_msg_get_method (request);
  g_autofree char *contact = NULL;

  if (!cseq)
    return 400;
  /* §12.2.2: ACK and CANCEL carry the INVITE's number and do not count. */
  if (method != BELL_SIP_METHOD_ACK && method != BELL_SIP_METHOD_CANCEL)
    {
      if (dialog->remote_seq_set && cseq->seq < dialog->remote_seq)
        return 500;
      dialog->remote_seq = cseq->seq;
      dialog->remote_seq_set = TRUE;
    }
  if (method == BELL_SIP_METHOD_ACK && dialog->state == BELL_SIP_DIALOG_EARLY)
    dialog->state = BELL_SIP_DIALOG_CONFIRMED;
  if (is_target_refresh (method) && (contact = contact_of (request)))
    {
      g_free (dialog->remote_target);
      dialog->remote_target = g_steal_pointer (&contact);
    }
  return 0;
}

/* Request-URI and Route by loose or strict routing (§12.2.1.1). */
static BellSipMsg *
build_request (BellSipDialog *dialog, BellSipMethod method, guint32 seq, GError **error)
{
  g_autoptr(BellSipMsg) msg = NULL;
  const char *ruri = dialog->remote_target;
  gboolean strict = FALSE;
  g_autofree char *first_uri = NULL;

  if (dialog->route_set && dialog->route_set[0])
    {
      /* Parse the first hop through a scratch message: the header grammar is the parser's. */
      g_autoptr(BellSipMsg) scratch = bell_sip_msg_new_response (200, NULL);
      if (bell_sip_msg_add_header (scratch, "Route", dialog->route_set[0], NULL))
        {
          const BellSipNameAddr *na = bell_sip_msg_find (scratch, BELL_SIP_HDR_ROUTE)->parsed.name_addr;
          strict = !bell_sip_uri_get_param (&na->uri, "lr", NULL);
          if (strict)
            {
              /* The first hop goes into the Request-URI, without its headers (§12.2.1.1). */
              BellStr uri = na->uri.text;
              const char *q = memchr (uri.p, '?', uri.len);
              first_uri = g_strndup (uri.p, q ? (gsize) (q - uri.p) : uri.len);
              ruri = first_uri;
            }
        }
    }

  msg = bell_sip_msg_new_request (method, NULL, ruri, error);
  if (!msg)
    return NULL;
  if (dialog->route_set)
    for (guint i = strict ? 1 : 0; dialog->route_set[i]; i++)
      bell_sip_msg_add_header (msg, "Route", dialog->route_set[i], NULL);
  if (strict)
    bell_sip_msg_add_headerf (msg, "Route", NULL, "<%s>", dialog->remote_target);
  if (!bell_sip_msg_add_header (msg, "From", dialog->local, error) ||
      !bell_sip_msg_add_header (msg, "To", dialog->remote, error) ||
      !bell_sip_msg_add_header (msg, "Call-ID", dialog->call_id, error) ||
      !bell_sip_msg_add_headerf (msg, "CSeq", error, "%u %s", seq, bell_sip_method_to_string (method)))
    return NULL;
  bell_sip_msg_add_header (msg, "Max-Forwards", "70", NULL);
  if (dialog->local_contact && method != BELL_SIP_METHOD_ACK && method != BELL_SIP_METHOD_BYE)
    bell_sip_msg_add_headerf (msg, "Contact", NULL, "<%s>", dialog->local_contact);
  return g_steal_pointer (&msg);
}

BellSipMsg *
bell_sip_dialog_new_request (BellSipDialog *dialog, BellSipMethod method, GError **error)
{
  g_return_val_if_fail (method != BELL_SIP_METHOD_ACK && method != BELL_SIP_METHOD_CANCEL, NULL);
  return build_request (dialog, method, ++dialog->local_seq, error);
}

BellSipMsg *
bell_sip_dialog_new_ack (BellSipDialog *dialog, guint32 invite_cseq, GError **error)
{
  return build_request (dialog, BELL_SIP_METHOD_ACK, invite_cseq, error);
}

gboolean
bell_sip_dialog_matches (BellSipDialog *dialog, BellSipMsg *msg)
{
  const BellSipNameAddr *from = bell_sip_msg_get_from (msg);
  const BellSipNameAddr *to = bell_sip_msg_get_to (msg);
  gboolean request = bell_sip_msg_is_request (msg);
  BellStr ours, theirs;

  if (!from || !to || !bell_str_equal_cstr (bell_sip_msg_get_call_id (msg), dialog->call_id))
    return FALSE;
  ours = request ? to->tag : from->tag;
  theirs = request ? from->tag : to->tag;
  return bell_str_equal_cstr (ours, dialog->local_tag) &&
         bell_str_equal_cstr (theirs.p ? theirs : bell_str (""), dialog->remote_tag);
}

char *
bell_sip_dialog_key_for (BellSipMsg *msg, gboolean we_sent_it)
{
  const BellSipNameAddr *from = bell_sip_msg_get_from (msg);
  const BellSipNameAddr *to = bell_sip_msg_get_to (msg);
  g_autofree char *call_id = bell_str_dup (bell_sip_msg_get_call_id (msg));
  g_autofree char *ftag = NULL;
  g_autofree char *ttag = NULL;
  gboolean from_is_ours;

  if (!from || !to || !call_id)
    return NULL;
  ftag = bell_str_is_set (from->tag) ? bell_str_dup (from->tag) : g_strdup ("");
  ttag = bell_str_is_set (to->tag) ? bell_str_dup (to->tag) : g_strdup ("");
  /* From is ours in requests we sent and in responses we received to them. */
  from_is_ours = bell_sip_msg_is_request (msg) ? we_sent_it : !we_sent_it;
  return from_is_ours ? make_key (call_id, ftag, ttag) : make_key (call_id, ttag, ftag);
}

const char *
bell_sip_dialog_get_key (BellSipDialog *dialog)
{
  return dialog->key;
}

BellSipDialogState
bell_sip_dialog_get_state (BellSipDialog *dialog)
{
  return dialog->state;
}

void
bell_sip_dialog_terminate (BellSipDialog *dialog)
{
  dialog->state = BELL_SIP_DIALOG_TERMINATED;
}

const char *
bell_sip_dialog_get_call_id (BellSipDialog *dialog)
{
  return dialog->call_id;
}

const char *
bell_sip_dialog_get_local_tag (BellSipDialog *dialog)
{
  return dialog->local_tag;
}

const char *
bell_sip_dialog_get_remote_tag (BellSipDialog *dialog)
{
  return dialog->remote_tag;
}

const char *
bell_sip_dialog_get_remote_target (BellSipDialog *dialog)
{
  return dialog->remote_target;
}

const char *const *
bell_sip_dialog_get_route_set (BellSipDialog *dialog)
{
  return (const char *const *) dialog->route_set;
}

guint32
bell_sip_dialog_get_local_seq (BellSipDialog *dialog)
{
  return dialog->local_seq;
}

void
bell_sip_dialog_set_local_contact (BellSipDialog *dialog, const char *uri)
{
  g_free (dialog->local_contact);
  dialog->local_contact = g_strdup (uri);
}
