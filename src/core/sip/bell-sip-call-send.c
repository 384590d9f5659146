/* bell-sip-call-send.c: what a call sends inside its dialog (RFC 3261 §12.2.1, §13.2.2.4,
 * §13.3.1.4): requests located once per next hop and answered once when challenged, the ACK
 * for a 2xx, and our own 2xx retransmitted until its ACK comes. */
#define G_LOG_DOMAIN "bell-sip-call"

#include "bell-sip-call-private.h"

#include <string.h>

#include "bell-sip-auth.h"
#include "bell-sip-auth-policy.h"
#include "bell-sip-locate.h"

/* Our Contact toward a destination: where the peer reaches us in this dialog. */
char *
bell_sip_call_contact_toward (BellSipCall *self, BellSipTransportKind kind,
                              GInetSocketAddress *dest)
{
  BellSipTransport *transport = bell_sip_transactions_get_transport (self->txns);
  g_autoptr(GInetSocketAddress) local = dest ? bell_sip_transport_get_local_address (transport, kind, dest)
                                              : NULL;
  g_autoptr(BellSipUri) from = NULL;
  g_autofree char *user = NULL;

  if (!local)
    return g_strdup ("sip:bellbird@invalid.invalid");
  /* The address the peer reaches us at is where our media is too (c= of our SDP). */
  if (self->sdp.set_address)
    {
      g_autofree char *ip = g_inet_address_to_string (g_inet_socket_address_get_address (local));
      self->sdp.set_address (ip, kind == BELL_SIP_TRANSPORT_TLS || kind == BELL_SIP_TRANSPORT_WSS,
                             self->sdp.user_data);
    }
  /* Calling from an account, our Contact names its user, as the registered Contact does:
   * PBXes match the two (Asterisk endpoints identify callers by it). */
  from = self->outgoing && self->from ? bell_sip_uri_new (self->from, NULL) : NULL;
  user = from ? bell_str_dup (from->user) : NULL;   /* escaped as written, like the AOR's */
  if (!user || !*user || g_str_equal (user, "anonymous"))
    return bell_sip_contact_uri ("bellbird", local, kind);
  return bell_sip_contact_uri (user, local, kind);
}

/* Where in-dialog requests go: the first route, or the remote target (§12.2.1.1, §8.1.2),
 * located once and kept until the next hop changes (a target refresh). */

static char *
next_hop (BellSipDialog *dialog)
{
  const char *const *routes = bell_sip_dialog_get_route_set (dialog);

  if (routes && routes[0])
    {
      /* "<sip:proxy;lr>": the URI between the angle brackets. */
      const char *lt = strchr (routes[0], '<'), *gt = lt ? strchr (lt, '>') : NULL;
      return lt && gt ? g_strndup (lt + 1, (gsize) (gt - lt - 1)) : g_strdup (routes[0]);
    }
  return g_strdup (bell_sip_dialog_get_remote_target (dialog));
}

/* Called once: found says whether self->targets now lead to the next hop. */
typedef void (*TargetsReady) (BellSipCall *self, gboolean found, gpointer data);

typedef struct
{
  BellSipCall  *call;
  char         *hop;
  TargetsReady  ready;
  gpointer      data;
} LocateJob;

static void
on_targets_located (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LocateJob *job = user_data;
  BellSipCall *self = job->call;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) located = bell_sip_locate_finish (result, &error);
  gboolean found = located && located->len;

  if (found)
    {
      g_clear_pointer (&self->targets, g_ptr_array_unref);
      self->targets = bell_sip_targets_from_located (located);
      g_free (self->targets_uri);
      self->targets_uri = g_strdup (job->hop);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_message ("call %u: cannot reach the peer's target %s: %s", self->id, job->hop,
               error ? error->message : "no address");
  job->ready (self, found, job->data);
  g_object_unref (self);
  g_free (job->hop);
  g_free (job);
}

static void
with_targets (BellSipCall *self, BellSipDialog *dialog, TargetsReady ready, gpointer data)
{
  g_autofree char *hop = next_hop (dialog);
  g_autoptr(BellSipUri) uri = hop ? bell_sip_uri_new (hop, NULL) : NULL;
  LocateJob *job;

  if (self->targets && g_strcmp0 (hop, self->targets_uri) == 0)
    {
      ready (self, TRUE, data);
      return;
    }
  if (!uri)
    {
      g_message ("call %u: the peer's address %s does not parse", self->id, hop ? hop : "");
      ready (self, FALSE, data);
      return;
    }
  job = g_new0 (LocateJob, 1);
  job->call = g_object_ref (self);
  job->hop = g_steal_pointer (&hop);
  job->ready = ready;
  job->data = data;
  bell_sip_locate_async (uri, BELL_SIP_TRANSPORT_ANY,
                         bell_sip_transport_get_supported (bell_sip_transactions_get_transport (self->txns)),
                         NULL, self->cancel, on_targets_located, job);
}

/* Requests in the dialog */

typedef struct
{
  gint            refs;        /* one per transaction sending it, one while it is located */
  BellSipCall    *call;
  BellSipDialog  *dialog;
  BellSipMethod   method;
  BellSipCallFill fill;
  BellSipCallDone done;
  gpointer        data;
  GDestroyNotify  destroy;
  BellSipMsg     *request;     /* as last sent */
  gboolean        finished;    /* done has run: later 2xx are retransmissions */
} DialogRequest;

static DialogRequest *
dialog_request_ref (DialogRequest *req)
{
  req->refs++;
  return req;
}

static void
dialog_request_unref (DialogRequest *req)
{
  if (--req->refs > 0)
    return;
  if (req->destroy)
    req->destroy (req->data);
  g_clear_pointer (&req->request, bell_sip_msg_unref);
  bell_sip_dialog_unref (req->dialog);
  g_object_unref (req->call);
  g_free (req);
}

static BellSipMsg *
build_in_dialog (DialogRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipMsg) request = bell_sip_dialog_new_request (req->dialog, req->method, &error);

  if (!request)
    {
      g_message ("call %u: cannot build the %s: %s", req->call->id,
                 bell_sip_method_to_string (req->method), error->message);
      return NULL;
    }
  if (req->fill)
    req->fill (req->call, request, req->data);
  return g_steal_pointer (&request);
}

static void send_built (BellSipCall *self, gboolean found, gpointer data);

static void
on_dialog_response (BellSipTransaction *txn, BellSipMsg *response, const GError *error,
                    gpointer data)
{
  DialogRequest *req = data;
  BellSipCall *self = req->call;
  guint status = response ? bell_sip_msg_get_status (response) : 0;

  if (response && status < 200)
    return;
  if (response && status < 300)
    bell_sip_dialog_update_from_response (req->dialog, response);
  if (req->finished)
    {
      /* Another copy of the 2xx to our re-INVITE: its ACK was lost (§13.2.2.4). */
      if (response && status < 300 && req->method == BELL_SIP_METHOD_INVITE)
        bell_sip_call_send_ack (self, req->request, NULL);
      return;
    }
  if ((status == 401 || status == 407) && self->credentials)
    {
      g_autoptr(GError) auth_error = NULL;
      g_autoptr(BellSipMsg) again = build_in_dialog (req);

      if (again && bell_sip_auth_answer_via (self->credentials, response,
                                             bell_sip_transaction_get_flow (txn), again,
                                             &auth_error))
        {
          g_clear_pointer (&req->request, bell_sip_msg_unref);
          req->request = g_steal_pointer (&again);
          with_targets (self, req->dialog, send_built, dialog_request_ref (req));
          return;
        }
      g_message ("call %u: %s challenged and not answered: %s", self->id,
                 bell_sip_method_to_string (req->method),
                 auth_error ? auth_error->message : "cannot build it again");
    }
  if (status >= 200 && status < 300 && self->credentials)
    bell_sip_auth_reset (self->credentials);
  req->finished = TRUE;
  if (req->done)
    req->done (self, req->request, response, error, req->data);
  /* The transaction keeps reporting 2xx copies to an INVITE; anything else is over. */
}

static void
send_built (BellSipCall *self, gboolean found, gpointer data)
{
  DialogRequest *req = data;
  g_autoptr(BellSipTransaction) txn = NULL;

  if (!found)
    {
      g_autoptr(GError) error = g_error_new_literal (BELL_SIP_TXN_ERROR, BELL_SIP_TXN_ERROR_TRANSPORT,
                                                     "the peer's address cannot be found");
      req->finished = TRUE;
      if (req->done)
        req->done (self, req->request, NULL, error, req->data);
      dialog_request_unref (req);
      return;
    }
  txn = bell_sip_transactions_send (self->txns, req->request, self->targets, on_dialog_response,
                                    dialog_request_ref (req), (GDestroyNotify) dialog_request_unref);
  dialog_request_unref (req);
}

void
bell_sip_call_send_request_in (BellSipCall *self, BellSipDialog *dialog, BellSipMethod method,
                               BellSipCallFill fill, BellSipCallDone done, gpointer data,
                               GDestroyNotify destroy)
{
  DialogRequest *req = g_new0 (DialogRequest, 1);

  req->refs = 1;
  req->call = g_object_ref (self);
  req->dialog = bell_sip_dialog_ref (dialog ? dialog : self->dialog);
  req->method = method;
  req->fill = fill;
  req->done = done;
  req->data = data;
  req->destroy = destroy;
  req->request = build_in_dialog (req);
  if (!req->request)
    {
      g_autoptr(GError) error = g_error_new_literal (BELL_SIP_TXN_ERROR, BELL_SIP_TXN_ERROR_TRANSPORT,
                                                     "the request cannot be built");
      if (done)
        done (self, NULL, NULL, error, data);
      dialog_request_unref (req);
      return;
    }
  /* Credentials a proxy asked for on the INVITE are offered again at once (§22.3). */
  if (self->credentials)
    bell_sip_auth_authorize (self->credentials, req->request);
  with_targets (self, req->dialog, send_built, req);
}

/* The ACK for a 2xx (§13.2.2.4): the TU's, outside any transaction, with the INVITE's CSeq
 * number and credentials. */

typedef struct
{
  guint32    cseq;
  char      *body;
  GPtrArray *credentials;   /* "Name: value" of the INVITE's (Proxy-)Authorization */
} AckJob;

static void
ack_job_free (AckJob *job)
{
  g_free (job->body);
  g_ptr_array_unref (job->credentials);
  g_free (job);
}

static void
on_ack_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BellSipFlow) flow = bell_sip_transport_send_request_finish (BELL_SIP_TRANSPORT (source),
                                                                        result, &error);
  if (!flow)
    g_message ("ACK not sent: %s", error->message);
}

static void
send_ack_located (BellSipCall *self, gboolean found, gpointer data)
{
  AckJob *job = data;
  g_autoptr(BellSipMsg) ack = found ? bell_sip_dialog_new_ack (self->dialog, job->cseq, NULL) : NULL;
  g_autofree char *branch = g_strdup_printf ("z9hG4bK%08x%08x", g_random_int (), g_random_int ());

  /* RFC 3261 §22: the INVITE's credentials, but only where the policy sends them (an ACK
   * straight to the callee's Contact must not hand it the proxy's answer). */
  if (ack && self->credentials &&
      !bell_sip_auth_policy_may_send_to (bell_sip_credentials_get_policy (self->credentials),
                                         bell_sip_auth_next_hop (ack)))
    g_ptr_array_set_size (job->credentials, 0);
  if (ack)
    {
      for (guint i = 0; i < job->credentials->len; i++)
        {
          const char *line = job->credentials->pdata[i];
          const char *colon = strchr (line, ':');
          g_autofree char *name = g_strndup (line, (gsize) (colon - line));
          bell_sip_msg_add_header (ack, name, colon + 2, NULL);
        }
      if (job->body)
        bell_sip_msg_set_body (ack, "application/sdp", job->body, strlen (job->body));
      bell_sip_transport_send_request_async (bell_sip_transactions_get_transport (self->txns), ack,
                                             self->targets->pdata[0], branch, NULL, on_ack_sent,
                                             NULL);
    }
  ack_job_free (job);
}

void
bell_sip_call_send_ack (BellSipCall *self, BellSipMsg *invite, const char *body)
{
  AckJob *job;

  if (!self->dialog || !invite)
    return;
  job = g_new0 (AckJob, 1);
  job->cseq = bell_sip_msg_get_cseq (invite)->seq;
  job->body = g_strdup (body);
  job->credentials = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < bell_sip_msg_get_n_headers (invite); i++)
    {
      const BellSipHeader *h = bell_sip_msg_get_header_at (invite, i);
      if (h->id == BELL_SIP_HDR_AUTHORIZATION || h->id == BELL_SIP_HDR_PROXY_AUTHORIZATION)
        g_ptr_array_add (job->credentials,
                         g_strdup_printf ("%s: %.*s", bell_sip_hdr_id_to_name (h->id),
                                          BELL_STR_PRINTF (h->value)));
    }
  with_targets (self, self->dialog, send_ack_located, job);
}

/* Our 2xx to an INVITE, sent again until the ACK: T1 doubling to T2, for 64*T1 (§13.3.1.4). */

static void
on_ok_retransmit (gpointer data)
{
  BellSipCall *self = data;
  BellSipTimers t = { 500, 4000, 5000 };

  self->ok_timer = 0;
  self->ok_elapsed_ms += self->ok_interval_ms;
  if (self->ok_elapsed_ms >= 64 * t.t1_ms)
    {
      /* The session was confirmed by our 2xx; without its ACK it ends with a BYE. */
      g_message ("call %u: no ACK for our 200: hanging up", self->id);
      bell_sip_call_send_request_in (self, NULL, BELL_SIP_METHOD_BYE, NULL, NULL, NULL, NULL);
      bell_sip_call_end (self, 408, "no ACK from the peer");
      return;
    }
  bell_sip_transport_send_on_flow (bell_sip_transactions_get_transport (self->txns), self->ok,
                                   self->ok_flow, NULL);
  /* The last wait ends at 64*T1 sharp, not a whole T2 later. */
  self->ok_interval_ms = MIN (MIN (self->ok_interval_ms * 2, t.t2_ms), 64 * t.t1_ms - self->ok_elapsed_ms);
  self->ok_timer = bell_clock_schedule (self->clock, self->ok_interval_ms, on_ok_retransmit, self, NULL);
}

gboolean
bell_sip_call_send_ok (BellSipCall *self, BellSipTransaction *txn, BellSipMsg *ok, GError **error)
{
  BellSipFlow *flow = bell_sip_transaction_get_flow (txn);

  if (!bell_sip_transaction_respond (txn, ok, error))
    return FALSE;
  bell_sip_call_ok_acked (self);
  self->ok = bell_sip_msg_ref (ok);
  self->ok_flow = bell_sip_flow_ref (flow);
  self->ok_cseq = bell_sip_msg_get_cseq (bell_sip_transaction_get_request (txn))->seq;
  /* Over a reliable flow the transport delivers it: once is enough. */
  if (bell_sip_flow_get_kind (flow) == BELL_SIP_TRANSPORT_UDP)
    {
      self->ok_interval_ms = 500;
      self->ok_elapsed_ms = 0;
      self->ok_timer = bell_clock_schedule (self->clock, self->ok_interval_ms, on_ok_retransmit,
                                            self, NULL);
    }
  return TRUE;
}

void
bell_sip_call_ok_acked (BellSipCall *self)
{
  bell_clock_clear (self->clock, &self->ok_timer);
  g_clear_pointer (&self->ok, bell_sip_msg_unref);
  g_clear_pointer (&self->ok_flow, bell_sip_flow_unref);
}
