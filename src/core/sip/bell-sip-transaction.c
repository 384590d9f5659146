/* bell-sip-transaction.c: the four transaction state machines of RFC 3261 §17 with the
 * Accepted state of RFC 6026, request/response matching (§17.1.3, §17.2.3) and merged-request
 * detection (§8.2.2.2). */
#define G_LOG_DOMAIN "bell-sip-txn"

#include "bell-sip-transaction.h"
#include "bell-sip-locate.h"

#include <string.h>

struct _BellSipTransaction
{
  gint                 ref_count;
  BellSipTransactions *layer;        /* NULL once terminated */
  gboolean             client;
  gboolean             invite;
  BellSipTxnState      state;
  BellSipMsg          *request;      /* client: as sent, with our Via; server: as received */
  BellSipMsg          *last_response;
  BellSipMsg          *ack;          /* INVITE client: the ACK for a non-2xx */
  BellSipFlow         *flow;
  char                *key;
  char                *merge_key;    /* server: From tag, Call-ID and CSeq (§8.2.2.2) */
  char                *branch;
  gboolean             guarded;      /* server: counted by the guard against its source */

  /* client */
  GPtrArray           *targets;
  guint                target_index;
  guint                vias_before;  /* Via count before the transport added ours */
  BellSipResponseFunc  func;
  gpointer             user_data;
  GDestroyNotify       destroy;
  gboolean             sending;
  gboolean             got_final;
  GPtrArray           *early;        /* responses that beat the send's completion */

  /* timers: retransmit (A, E, G), timeout (B, F, H), linger (D, K, I, J, L, M), 100 Trying */
  guint                retransmit_timer;
  guint                timeout_timer;
  guint                linger_timer;
  guint                trying_timer;
  guint                interval_ms;
};

struct _BellSipTransactions
{
  GObject           parent_instance;
  BellSipTransport *transport;
  BellClock        *clock;
  BellSipTimers     timers;
  GHashTable       *txns;     /* key → BellSipTransaction (reference) */
  GHashTable       *merged;   /* merge key → BellSipTransaction (no reference) */
  gulong            message_handler;
  gulong            flow_failed_handler;
  BellSipScreenFunc screen;
  gpointer          screen_data;
};

G_DEFINE_FINAL_TYPE (BellSipTransactions, bell_sip_transactions, G_TYPE_OBJECT)
G_DEFINE_QUARK (bell-sip-txn-error-quark, bell_sip_txn_error)

enum { SIGNAL_REQUEST, SIGNAL_ACK, SIGNAL_STRAY_RESPONSE, N_SIGNALS };
static guint signals[N_SIGNALS];

/* Supported option tags, for the Unsupported header of a 420. */
static const char *const supported_options = "replaces, timer, outbound, path, norefersub";

const char *
bell_sip_txn_state_to_string (BellSipTxnState state)
{
  static const char *const names[] = {
    "calling", "trying", "proceeding", "completed", "confirmed", "accepted", "terminated",
  };
  return state < G_N_ELEMENTS (names) ? names[state] : "?";
}

BellSipTarget *
bell_sip_target_copy (const BellSipTarget *target)
{
  BellSipTarget *copy = g_new0 (BellSipTarget, 1);

  copy->kind = target->kind;
  copy->address = target->address ? g_object_ref (target->address) : NULL;
  copy->host = g_strdup (target->host);
  copy->url = g_strdup (target->url);
  copy->tls_ca_file = g_strdup (target->tls_ca_file);
  return copy;
}

GPtrArray *
bell_sip_targets_from_located (GPtrArray *located)
{
  GPtrArray *targets = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_sip_target_free);

  for (guint i = 0; i < located->len; i++)
    {
      const BellSipLocateTarget *t = located->pdata[i];
      BellSipTarget target = { t->transport, t->address, t->host, NULL };
      g_ptr_array_add (targets, bell_sip_target_copy (&target));
    }
  return targets;
}

void
bell_sip_target_free (BellSipTarget *target)
{
  g_clear_object (&target->address);
  g_free ((char *) target->host);
  g_free ((char *) target->url);
  g_free ((char *) target->tls_ca_file);
  g_free (target);
}

static char *
new_branch (void)
{
  return g_strdup_printf ("z9hG4bK%08x%08x", g_random_int (), g_random_int ());
}

BellSipTransaction *
bell_sip_transaction_ref (BellSipTransaction *txn)
{
  g_atomic_int_inc (&txn->ref_count);
  return txn;
}

void
bell_sip_transaction_unref (BellSipTransaction *txn)
{
  if (!g_atomic_int_dec_and_test (&txn->ref_count))
    return;
  g_assert (txn->layer == NULL);
  if (txn->destroy)
    txn->destroy (txn->user_data);
  g_clear_pointer (&txn->request, bell_sip_msg_unref);
  g_clear_pointer (&txn->last_response, bell_sip_msg_unref);
  g_clear_pointer (&txn->ack, bell_sip_msg_unref);
  g_clear_pointer (&txn->flow, bell_sip_flow_unref);
  g_clear_pointer (&txn->targets, g_ptr_array_unref);
  g_clear_pointer (&txn->early, g_ptr_array_unref);
  g_free (txn->key);
  g_free (txn->merge_key);
  g_free (txn->branch);
  g_free (txn);
}

BellSipTxnState
bell_sip_transaction_get_state (BellSipTransaction *txn)
{
  return txn->state;
}

BellSipMsg *
bell_sip_transaction_get_request (BellSipTransaction *txn)
{
  return txn->request;
}

BellSipFlow *
bell_sip_transaction_get_flow (BellSipTransaction *txn)
{
  return txn->flow;
}

gboolean
bell_sip_transaction_is_client (BellSipTransaction *txn)
{
  return txn->client;
}

BellSipMsg *
bell_sip_transaction_get_last_response (BellSipTransaction *txn)
{
  return txn->last_response;
}

void
bell_sip_transaction_detach (BellSipTransaction *txn)
{
  txn->func = NULL;
}

static gboolean
reliable (BellSipTransaction *txn)
{
  return txn->flow && bell_sip_transport_kind_is_reliable (bell_sip_flow_get_kind (txn->flow));
}

static void
clear_timers (BellSipTransaction *txn)
{
  BellClock *clock = txn->layer->clock;

  bell_clock_clear (clock, &txn->retransmit_timer);
  bell_clock_clear (clock, &txn->timeout_timer);
  bell_clock_clear (clock, &txn->linger_timer);
  bell_clock_clear (clock, &txn->trying_timer);
}

static void
set_state (BellSipTransaction *txn, BellSipTxnState state)
{
  g_debug ("%s %s transaction %s: %s -> %s", txn->client ? "client" : "server",
           txn->invite ? "INVITE" : "non-INVITE", txn->branch ? txn->branch : "?",
           bell_sip_txn_state_to_string (txn->state), bell_sip_txn_state_to_string (state));
  txn->state = state;
}

/* Leaves the table; the user's last callback has been made by the caller. */
static void
terminate (BellSipTransaction *txn)
{
  BellSipTransactions *layer = txn->layer;

  if (!layer)
    return;
  clear_timers (txn);
  set_state (txn, BELL_SIP_TXN_TERMINATED);
  if (txn->guarded)
    {
      txn->guarded = FALSE;
      bell_sip_guard_release_transaction (bell_sip_transport_get_guard (layer->transport),
                                          bell_sip_flow_get_remote (txn->flow));
    }
  if (txn->merge_key && g_hash_table_lookup (layer->merged, txn->merge_key) == txn)
    g_hash_table_remove (layer->merged, txn->merge_key);
  txn->layer = NULL;
  if (txn->key && g_hash_table_lookup (layer->txns, txn->key) == txn)
    g_hash_table_remove (layer->txns, txn->key);  /* may drop the last reference */
}

static void
report (BellSipTransaction *txn, BellSipMsg *response, const GError *error)
{
  if (txn->func)
    txn->func (txn, response, error, txn->user_data);
}

/* Client transactions */

static char *
client_key (const char *branch, BellStr method)
{
  /* §17.1.3: the branch and the CSeq method (a CANCEL shares the INVITE's branch). */
  return g_strdup_printf ("c|%s|%.*s", branch, BELL_STR_PRINTF (method));
}

static void client_send_to_target (BellSipTransaction *txn);
static void client_on_response (BellSipTransaction *txn, BellSipMsg *response);

static void
client_fail (BellSipTransaction *txn, const GError *error)
{
  g_autoptr(BellSipTransaction) keep = bell_sip_transaction_ref (txn);

  terminate (txn);
  report (txn, NULL, error);
}

/* The current target failed before any response: the next one, or give up (RFC 3263 §4.3). */
static void
client_next_target (BellSipTransaction *txn, const GError *error)
{
  if (txn->targets && txn->target_index + 1 < txn->targets->len && txn->state != BELL_SIP_TXN_PROCEEDING)
    {
      g_message ("%s: trying the next server", error->message);
      txn->target_index++;
      client_send_to_target (txn);
      return;
    }
  client_fail (txn, error);
}

static void
on_retransmit (gpointer data)
{
  BellSipTransaction *txn = data;
  g_autoptr(GError) error = NULL;
  guint t2 = txn->layer->timers.t2_ms;

  txn->retransmit_timer = 0;
  if (!bell_sip_transport_send_on_flow (txn->layer->transport, txn->client ? txn->request
                                                                           : txn->last_response,
                                        txn->flow, &error))
    g_debug ("retransmission failed: %s", error->message);
  if (txn->client && txn->invite)
    txn->interval_ms *= 2;                                    /* Timer A: no cap */
  else if (txn->client && txn->state == BELL_SIP_TXN_PROCEEDING)
    txn->interval_ms = t2;                                    /* Timer E in Proceeding */
  else
    txn->interval_ms = MIN (txn->interval_ms * 2, t2);        /* Timer E, Timer G */
  txn->retransmit_timer = bell_clock_schedule (txn->layer->clock, txn->interval_ms, on_retransmit,
                                               txn, NULL);
}

static void
on_client_timeout (gpointer data)
{
  BellSipTransaction *txn = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *where = txn->flow ? bell_sip_flow_to_string (txn->flow) : g_strdup ("?");

  txn->timeout_timer = 0;
  bell_clock_clear (txn->layer->clock, &txn->retransmit_timer);
  error = g_error_new (BELL_SIP_TXN_ERROR, BELL_SIP_TXN_ERROR_TIMEOUT,
                       "no answer to %.*s from %s", BELL_STR_PRINTF (bell_sip_msg_get_method_str (txn->request)),
                       where);
  /* Timer B/F: a server that never answered counts as failed for failover. */
  if (txn->state == BELL_SIP_TXN_PROCEEDING)
    client_fail (txn, error);
  else
    client_next_target (txn, error);
}

static void
on_linger_done (gpointer data)
{
  BellSipTransaction *txn = data;

  txn->linger_timer = 0;
  terminate (txn);
}

static void
linger (BellSipTransaction *txn, guint ms)
{
  bell_clock_clear (txn->layer->clock, &txn->retransmit_timer);
  bell_clock_clear (txn->layer->clock, &txn->timeout_timer);
  if (ms == 0)
    {
      terminate (txn);
      return;
    }
  txn->linger_timer = bell_clock_schedule (txn->layer->clock, ms, on_linger_done, txn, NULL);
}

static void
client_start_timers (BellSipTransaction *txn)
{
  const BellSipTimers *t = &txn->layer->timers;

  txn->interval_ms = t->t1_ms;
  if (!reliable (txn))
    txn->retransmit_timer = bell_clock_schedule (txn->layer->clock, txn->interval_ms,
                                                 on_retransmit, txn, NULL);
  txn->timeout_timer = bell_clock_schedule (txn->layer->clock, 64 * t->t1_ms, on_client_timeout,
                                            txn, NULL);
}

static void
on_client_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  BellSipTransaction *txn = user_data;   /* the reference taken for the send */
  g_autoptr(GError) error = NULL;
  BellSipFlow *flow = bell_sip_transport_send_request_finish (BELL_SIP_TRANSPORT (source), result,
                                                              &error);

  txn->sending = FALSE;
  if (!txn->layer)
    {
      g_clear_pointer (&flow, bell_sip_flow_unref);
      bell_sip_transaction_unref (txn);
      return;
    }
  if (!flow)
    {
      g_autoptr(GError) wrapped = g_error_new (BELL_SIP_TXN_ERROR, BELL_SIP_TXN_ERROR_TRANSPORT,
                                               "%s", error->message);
      client_next_target (txn, wrapped);
      bell_sip_transaction_unref (txn);
      return;
    }
  g_clear_pointer (&txn->flow, bell_sip_flow_unref);
  txn->flow = flow;
  client_start_timers (txn);
  if (txn->early)
    {
      g_autoptr(GPtrArray) early = g_steal_pointer (&txn->early);
      for (guint i = 0; i < early->len && txn->layer; i++)
        client_on_response (txn, early->pdata[i]);
    }
  bell_sip_transaction_unref (txn);
}

static void
client_send_to_target (BellSipTransaction *txn)
{
  BellSipTransactions *layer = txn->layer;
  const BellSipTarget *target = txn->targets->pdata[txn->target_index];

  /* Each attempt is a new transaction with its own branch and Via. */
  while (bell_sip_msg_count (txn->request, BELL_SIP_HDR_VIA) > txn->vias_before)
    bell_sip_msg_remove_first (txn->request, BELL_SIP_HDR_VIA);
  clear_timers (txn);
  if (txn->key)
    {
      bell_sip_transaction_ref (txn);
      g_hash_table_remove (layer->txns, txn->key);
      g_free (txn->key);
    }
  else
    bell_sip_transaction_ref (txn);
  g_free (txn->branch);
  txn->branch = new_branch ();
  txn->key = client_key (txn->branch, bell_sip_msg_get_method_str (txn->request));
  g_hash_table_insert (layer->txns, txn->key, txn);   /* the table holds the reference */
  txn->sending = TRUE;
  bell_sip_transport_send_request_async (layer->transport, txn->request, target, txn->branch, NULL,
                                         on_client_sent, bell_sip_transaction_ref (txn));
}

static BellSipTransaction *
client_new (BellSipTransactions *self, BellSipMsg *request, BellSipResponseFunc func,
            gpointer user_data, GDestroyNotify destroy)
{
  BellSipTransaction *txn = g_new0 (BellSipTransaction, 1);

  txn->ref_count = 1;
  txn->layer = self;
  txn->client = TRUE;
  txn->invite = bell_sip_msg_get_method (request) == BELL_SIP_METHOD_INVITE;
  txn->state = txn->invite ? BELL_SIP_TXN_CALLING : BELL_SIP_TXN_TRYING;
  txn->request = bell_sip_msg_ref (request);
  txn->vias_before = bell_sip_msg_count (request, BELL_SIP_HDR_VIA);
  txn->func = func;
  txn->user_data = user_data;
  txn->destroy = destroy;
  return txn;
}

BellSipTransaction *
bell_sip_transactions_send (BellSipTransactions *self, BellSipMsg *request, GPtrArray *targets,
                            BellSipResponseFunc func, gpointer user_data, GDestroyNotify destroy)
{
  BellSipTransaction *txn;

  g_return_val_if_fail (BELL_IS_SIP_TRANSACTIONS (self), NULL);
  g_return_val_if_fail (request && bell_sip_msg_is_request (request), NULL);
  g_return_val_if_fail (bell_sip_msg_get_method (request) != BELL_SIP_METHOD_ACK, NULL);
  g_return_val_if_fail (targets != NULL && targets->len > 0, NULL);

  txn = client_new (self, request, func, user_data, destroy);
  txn->targets = g_ptr_array_ref (targets);
  client_send_to_target (txn);
  return txn;   /* the caller's reference */
}

BellSipTransaction *
bell_sip_transactions_send_on_flow (BellSipTransactions *self, BellSipMsg *request,
                                    BellSipFlow *flow, BellSipResponseFunc func,
                                    gpointer user_data, GDestroyNotify destroy)
{
  g_autoptr(GError) error = NULL;
  BellSipTransaction *txn;
  g_autoptr(GSocketAddress) local = NULL;
  GInetSocketAddress *l = bell_sip_flow_get_local (flow);
  g_autofree char *ip = NULL;
  g_autofree char *via = NULL;
  BellSipTransportKind kind = bell_sip_flow_get_kind (flow);

  g_return_val_if_fail (BELL_IS_SIP_TRANSACTIONS (self), NULL);

  txn = client_new (self, request, func, user_data, destroy);
  txn->branch = new_branch ();
  txn->flow = bell_sip_flow_ref (flow);
  txn->key = client_key (txn->branch, bell_sip_msg_get_method_str (request));
  g_hash_table_insert (self->txns, txn->key, bell_sip_transaction_ref (txn));

  ip = l ? g_inet_address_to_string (g_inet_socket_address_get_address (l)) : g_strdup ("invalid.invalid");
  if (l && g_inet_address_get_family (g_inet_socket_address_get_address (l)) == G_SOCKET_FAMILY_IPV6)
    via = g_strdup_printf ("SIP/2.0/%s [%s]:%u;rport;branch=%s", bell_sip_transport_kind_to_string (kind),
                           ip, g_inet_socket_address_get_port (l), txn->branch);
  else
    via = g_strdup_printf ("SIP/2.0/%s %s:%u;rport;branch=%s", bell_sip_transport_kind_to_string (kind),
                           ip, l ? g_inet_socket_address_get_port (l) : 0, txn->branch);
  bell_sip_msg_prepend_header (request, "Via", via, NULL);
  if (!bell_sip_transport_send_on_flow (self->transport, request, flow, &error))
    {
      g_autoptr(GError) wrapped = g_error_new (BELL_SIP_TXN_ERROR, BELL_SIP_TXN_ERROR_TRANSPORT,
                                               "%s", error->message);
      client_fail (txn, wrapped);
      return txn;
    }
  client_start_timers (txn);
  return txn;
}

BellSipTransaction *
bell_sip_transactions_cancel (BellSipTransactions *self, BellSipTransaction *invite,
                              BellSipResponseFunc func, gpointer user_data, GDestroyNotify destroy,
                              GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(BellSipMsg) cancel = NULL;
  g_autofree char *ruri = NULL;
  BellSipTransaction *txn;
  const BellSipHeader *h;

  g_return_val_if_fail (BELL_IS_SIP_TRANSACTIONS (self), NULL);
  g_return_val_if_fail (invite->client && invite->invite, NULL);
  /* §9.1: not before a provisional response (it could overtake the INVITE), nor after a
   * final one. */
  if (invite->state != BELL_SIP_TXN_PROCEEDING || !invite->flow)
    {
      g_set_error (error, BELL_SIP_TXN_ERROR, BELL_SIP_TXN_ERROR_CANCELLED,
                   invite->state == BELL_SIP_TXN_CALLING ? "nothing heard yet: cannot cancel now"
                                                         : "the INVITE is already answered");
      return NULL;
    }
  ruri = bell_str_dup (bell_sip_msg_get_request_uri (invite->request)->text);
  cancel = bell_sip_msg_new_request (BELL_SIP_METHOD_CANCEL, NULL, ruri, error);
  if (!cancel)
    return NULL;
  {
    g_autofree char *via = bell_str_dup (bell_sip_msg_find (invite->request, BELL_SIP_HDR_VIA)->value);
    g_autofree char *from = bell_str_dup (bell_sip_msg_find (invite->request, BELL_SIP_HDR_FROM)->value);
    g_autofree char *to = bell_str_dup (bell_sip_msg_find (invite->request, BELL_SIP_HDR_TO)->value);
    g_autofree char *call_id = bell_str_dup (bell_sip_msg_get_call_id (invite->request));
    bell_sip_msg_add_header (cancel, "Via", via, NULL);
    bell_sip_msg_add_header (cancel, "From", from, NULL);
    bell_sip_msg_add_header (cancel, "To", to, NULL);
    bell_sip_msg_add_header (cancel, "Call-ID", call_id, NULL);
    bell_sip_msg_add_headerf (cancel, "CSeq", NULL, "%u CANCEL",
                              bell_sip_msg_get_cseq (invite->request)->seq);
    bell_sip_msg_add_header (cancel, "Max-Forwards", "70", NULL);
  }
  for (h = bell_sip_msg_find (invite->request, BELL_SIP_HDR_ROUTE); h;
       h = bell_sip_msg_find_next (invite->request, BELL_SIP_HDR_ROUTE, h))
    {
      g_autofree char *route = bell_str_dup (h->value);
      bell_sip_msg_add_header (cancel, "Route", route, NULL);
    }

  txn = client_new (self, cancel, func, user_data, destroy);
  txn->branch = g_strdup (invite->branch);
  txn->flow = bell_sip_flow_ref (invite->flow);
  txn->key = client_key (txn->branch, bell_str ("CANCEL"));
  g_hash_table_insert (self->txns, txn->key, bell_sip_transaction_ref (txn));
  if (!bell_sip_transport_send_on_flow (self->transport, cancel, invite->flow, &local_error))
    {
      g_autoptr(GError) wrapped = g_error_new (BELL_SIP_TXN_ERROR, BELL_SIP_TXN_ERROR_TRANSPORT,
                                               "%s", local_error->message);
      client_fail (txn, wrapped);
      return txn;
    }
  client_start_timers (txn);
  return txn;
}

static char *server_key (BellSipMsg *request);

BellSipTransaction *
bell_sip_transactions_find_invite (BellSipTransactions *self, BellSipMsg *cancel)
{
  g_autofree char *key = NULL;
  g_autofree char *invite_key = NULL;
  BellSipTransaction *txn;
  gsize len;

  g_return_val_if_fail (bell_sip_msg_get_method (cancel) == BELL_SIP_METHOD_CANCEL, NULL);
  /* The CANCEL's own key with CANCEL swapped for INVITE (§9.2: same branch, same sent-by). */
  key = server_key (cancel);
  if (!key)
    return NULL;
  len = strlen (key);
  if (len < 6 || strcmp (key + len - 6, "CANCEL") != 0)
    return NULL;
  key[len - 6] = '\0';
  invite_key = g_strconcat (key, "INVITE", NULL);
  txn = g_hash_table_lookup (self->txns, invite_key);
  return txn && !txn->client ? txn : NULL;
}

/* §17.1.1.3: the ACK for a non-2xx final response, inside the transaction. */
static BellSipMsg *
build_ack (BellSipMsg *request, BellSipMsg *response)
{
  const BellSipUri *ruri = bell_sip_msg_get_request_uri (request);
  g_autofree char *uri = bell_str_dup (ruri->text);
  g_autoptr(BellSipMsg) ack = bell_sip_msg_new_request (BELL_SIP_METHOD_ACK, NULL, uri, NULL);
  const BellSipHeader *h;

  if (!ack)
    return NULL;
  for (h = bell_sip_msg_find (request, BELL_SIP_HDR_VIA); h; h = NULL)
    {
      g_autofree char *v = bell_str_dup (h->value);
      bell_sip_msg_add_header (ack, "Via", v, NULL);
    }
  for (h = bell_sip_msg_find (request, BELL_SIP_HDR_ROUTE); h;
       h = bell_sip_msg_find_next (request, BELL_SIP_HDR_ROUTE, h))
    {
      g_autofree char *v = bell_str_dup (h->value);
      bell_sip_msg_add_header (ack, "Route", v, NULL);
    }
  {
    g_autofree char *from = bell_str_dup (bell_sip_msg_find (request, BELL_SIP_HDR_FROM)->value);
    g_autofree char *to = bell_str_dup (bell_sip_msg_find (response, BELL_SIP_HDR_TO)->value);
    g_autofree char *call_id = bell_str_dup (bell_sip_msg_get_call_id (request));
    bell_sip_msg_add_header (ack, "From", from, NULL);
    bell_sip_msg_add_header (ack, "To", to, NULL);
    bell_sip_msg_add_header (ack, "Call-ID", call_id, NULL);
    bell_sip_msg_add_headerf (ack, "CSeq", NULL, "%u ACK", bell_sip_msg_get_cseq (request)->seq);
    bell_sip_msg_add_header (ack, "Max-Forwards", "70", NULL);
  }
  return g_steal_pointer (&ack);
}

static void
client_on_response (BellSipTransaction *txn, BellSipMsg *response)
{
  g_autoptr(BellSipTransaction) keep = bell_sip_transaction_ref (txn);
  guint status = bell_sip_msg_get_status (response);
  const BellSipTimers *t = &txn->layer->timers;

  if (txn->sending)
    {
      /* A fast peer on loopback can answer before our send's completion is dispatched: keep
       * the answer for when the transaction knows its flow. */
      if (!txn->early)
        txn->early = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_sip_msg_unref);
      g_ptr_array_add (txn->early, bell_sip_msg_ref (response));
      return;
    }
  g_clear_pointer (&txn->last_response, bell_sip_msg_unref);
  txn->last_response = bell_sip_msg_ref (response);

  if (txn->invite)
    {
      switch (txn->state)
        {
        case BELL_SIP_TXN_CALLING:
        case BELL_SIP_TXN_PROCEEDING:
          if (status < 200)
            {
              set_state (txn, BELL_SIP_TXN_PROCEEDING);
              bell_clock_clear (txn->layer->clock, &txn->retransmit_timer);
              report (txn, response, NULL);
            }
          else if (status < 300)
            {
              /* RFC 6026: stay to pass further 2xx (forks, retransmissions) up: Timer M. */
              set_state (txn, BELL_SIP_TXN_ACCEPTED);
              linger (txn, 64 * t->t1_ms);
              report (txn, response, NULL);
            }
          else
            {
              g_autoptr(GError) error = NULL;
              txn->ack = build_ack (txn->request, response);
              if (txn->ack && !bell_sip_transport_send_on_flow (txn->layer->transport, txn->ack,
                                                                txn->flow, &error))
                g_debug ("ACK not sent: %s", error->message);
              set_state (txn, BELL_SIP_TXN_COMPLETED);
              linger (txn, reliable (txn) ? 0 : 32000);   /* Timer D */
              report (txn, response, NULL);
            }
          break;
        case BELL_SIP_TXN_COMPLETED:
          if (status >= 300 && txn->ack)
            bell_sip_transport_send_on_flow (txn->layer->transport, txn->ack, txn->flow, NULL);
          break;
        case BELL_SIP_TXN_ACCEPTED:
          if (status >= 200 && status < 300)
            report (txn, response, NULL);
          break;
        default:
          break;
        }
      return;
    }

  switch (txn->state)
    {
    case BELL_SIP_TXN_TRYING:
    case BELL_SIP_TXN_PROCEEDING:
      if (status < 200)
        {
          set_state (txn, BELL_SIP_TXN_PROCEEDING);
          report (txn, response, NULL);
        }
      else
        {
          set_state (txn, BELL_SIP_TXN_COMPLETED);
          linger (txn, reliable (txn) ? 0 : t->t4_ms);   /* Timer K */
          report (txn, response, NULL);
        }
      break;
    default:
      break;   /* Completed: retransmissions absorbed */
    }
}

/* Server transactions */

static char *
server_key (BellSipMsg *request)
{
  const BellSipVia *via = bell_sip_msg_get_via (request);
  const BellSipCSeq *cseq = bell_sip_msg_get_cseq (request);
  BellStr method = bell_sip_msg_get_method (request) == BELL_SIP_METHOD_ACK
                     ? bell_str ("INVITE") : bell_sip_msg_get_method_str (request);

  if (!via || !cseq)
    return NULL;
  if (bell_sip_via_has_rfc3261_branch (via))
    /* §17.2.3: branch, sent-by and method (an ACK matches its INVITE). */
    return g_strdup_printf ("s|%.*s|%.*s:%u|%.*s", BELL_STR_PRINTF (via->branch),
                            BELL_STR_PRINTF (via->host), via->port, BELL_STR_PRINTF (method));
  {
    /* RFC 2543 fallback: Request-URI, From tag, Call-ID, CSeq number and the top Via. */
    const BellSipNameAddr *from = bell_sip_msg_get_from (request);
    const BellSipHeader *vh = bell_sip_msg_find (request, BELL_SIP_HDR_VIA);
    return g_strdup_printf ("s2543|%.*s|%.*s|%.*s|%u|%.*s|%.*s",
                            BELL_STR_PRINTF (bell_sip_msg_get_request_uri (request)->text),
                            BELL_STR_PRINTF (from ? from->tag : BELL_STR_NULL),
                            BELL_STR_PRINTF (bell_sip_msg_get_call_id (request)), cseq->seq,
                            BELL_STR_PRINTF (method), BELL_STR_PRINTF (vh->value));
  }
}

static char *
merge_key (BellSipMsg *request)
{
  const BellSipNameAddr *from = bell_sip_msg_get_from (request);
  const BellSipCSeq *cseq = bell_sip_msg_get_cseq (request);

  if (!from || !cseq || !bell_str_is_set (from->tag))
    return NULL;
  return g_strdup_printf ("m|%.*s|%.*s|%u|%.*s", BELL_STR_PRINTF (from->tag),
                          BELL_STR_PRINTF (bell_sip_msg_get_call_id (request)), cseq->seq,
                          BELL_STR_PRINTF (cseq->method_str));
}

static void
on_server_timeout (gpointer data)
{
  BellSipTransaction *txn = data;

  /* Timer H: the ACK never came. */
  txn->timeout_timer = 0;
  g_message ("no ACK for the %u response to INVITE (Timer H)",
             txn->last_response ? bell_sip_msg_get_status (txn->last_response) : 0);
  terminate (txn);
}

static gboolean
server_send (BellSipTransaction *txn, BellSipMsg *response, GError **error)
{
  return bell_sip_transport_send_response (txn->layer->transport, response, txn->flow, error);
}

gboolean
bell_sip_transaction_respond (BellSipTransaction *txn, BellSipMsg *response, GError **error)
{
  guint status = bell_sip_msg_get_status (response);
  const BellSipTimers *t;

  g_return_val_if_fail (!txn->client, FALSE);
  if (!txn->layer || (txn->state != BELL_SIP_TXN_TRYING && txn->state != BELL_SIP_TXN_PROCEEDING))
    {
      g_set_error (error, BELL_SIP_TXN_ERROR, BELL_SIP_TXN_ERROR_CANCELLED,
                   "the transaction has already been answered");
      return FALSE;
    }
  t = &txn->layer->timers;
  bell_clock_clear (txn->layer->clock, &txn->trying_timer);
  g_clear_pointer (&txn->last_response, bell_sip_msg_unref);
  txn->last_response = bell_sip_msg_ref (response);
  if (!server_send (txn, response, error))
    {
      terminate (txn);
      return FALSE;
    }
  if (status < 200)
    {
      set_state (txn, BELL_SIP_TXN_PROCEEDING);
      return TRUE;
    }
  if (txn->invite && status < 300)
    {
      /* RFC 6026: absorb INVITE retransmissions and pass 2xx ACKs up (Timer L). */
      set_state (txn, BELL_SIP_TXN_ACCEPTED);
      linger (txn, 64 * t->t1_ms);
      return TRUE;
    }
  set_state (txn, BELL_SIP_TXN_COMPLETED);
  if (txn->invite)
    {
      txn->interval_ms = t->t1_ms;
      if (!reliable (txn))
        txn->retransmit_timer = bell_clock_schedule (txn->layer->clock, txn->interval_ms,
                                                     on_retransmit, txn, NULL);   /* Timer G */
      txn->timeout_timer = bell_clock_schedule (txn->layer->clock, 64 * t->t1_ms,
                                                on_server_timeout, txn, NULL);   /* Timer H */
    }
  else
    linger (txn, reliable (txn) ? 0 : 64 * t->t1_ms);   /* Timer J */
  return TRUE;
}

gboolean
bell_sip_transaction_respond_status (BellSipTransaction *txn, guint status, const char *reason,
                                     const char *to_tag)
{
  g_autoptr(BellSipMsg) response = bell_sip_msg_new_response_to (txn->request, status, reason,
                                                                 to_tag);
  g_autoptr(GError) error = NULL;

  if (!bell_sip_transaction_respond (txn, response, &error))
    {
      g_message ("could not send %u: %s", status, error->message);
      return FALSE;
    }
  return TRUE;
}

static void
on_send_trying (gpointer data)
{
  BellSipTransaction *txn = data;

  /* §17.2.1: the user did not answer within 200 ms: say we are on it. */
  txn->trying_timer = 0;
  bell_sip_transaction_respond_status (txn, 100, NULL, NULL);
}

static BellSipTransaction *
server_new (BellSipTransactions *self, BellSipMsg *request, BellSipFlow *flow, char *key,
            gboolean guarded)
{
  BellSipTransaction *txn = g_new0 (BellSipTransaction, 1);

  txn->guarded = guarded;
  txn->ref_count = 1;   /* the table's */
  txn->layer = self;
  txn->invite = bell_sip_msg_get_method (request) == BELL_SIP_METHOD_INVITE;
  txn->state = txn->invite ? BELL_SIP_TXN_PROCEEDING : BELL_SIP_TXN_TRYING;
  txn->request = bell_sip_msg_ref (request);
  txn->flow = bell_sip_flow_ref (flow);
  txn->key = key;
  txn->branch = bell_str_dup (bell_sip_msg_get_via (request)->branch);
  g_hash_table_insert (self->txns, txn->key, txn);
  txn->merge_key = merge_key (request);
  if (txn->merge_key)
    g_hash_table_replace (self->merged, txn->merge_key, txn);
  if (txn->invite)
    txn->trying_timer = bell_clock_schedule (self->clock, 200, on_send_trying, txn, NULL);
  return txn;
}

static void
server_on_retransmission (BellSipTransaction *txn, BellSipMsg *request)
{
  BellSipMethod method = bell_sip_msg_get_method (request);

  if (method == BELL_SIP_METHOD_ACK)
    {
      if (txn->state == BELL_SIP_TXN_COMPLETED)
        {
          set_state (txn, BELL_SIP_TXN_CONFIRMED);
          linger (txn, reliable (txn) ? 0 : txn->layer->timers.t4_ms);   /* Timer I */
        }
      else if (txn->state == BELL_SIP_TXN_ACCEPTED)
        g_signal_emit (txn->layer, signals[SIGNAL_ACK], 0, request, txn->flow);
      return;
    }
  /* A retransmitted request gets the last response again (none in Trying; absorbed in
   * Accepted, where the user retransmits its 2xx itself). */
  if (txn->last_response &&
      (txn->state == BELL_SIP_TXN_PROCEEDING || txn->state == BELL_SIP_TXN_COMPLETED))
    server_send (txn, txn->last_response, NULL);
}

/* A request the user agent refuses whatever it is (bell_sip_msg_check): answered here. */
static void
reject_request (BellSipTransactions *self, BellSipMsg *request, BellSipFlow *flow, char *key,
                gboolean guarded, guint status, const char *reason)
{
  BellSipTransaction *txn = server_new (self, request, flow, key, guarded);
  g_autoptr(BellSipMsg) response = bell_sip_msg_new_response_to (request, status, reason,
                                                                 "bellbird-reject");

  if (status == 420)
    {
      for (const BellSipHeader *h = bell_sip_msg_find (request, BELL_SIP_HDR_REQUIRE); h;
           h = bell_sip_msg_find_next (request, BELL_SIP_HDR_REQUIRE, h))
        {
          g_autofree char *tags = bell_str_dup (h->value);
          bell_sip_msg_add_header (response, "Unsupported", tags, NULL);
        }
      bell_sip_msg_add_header (response, "Supported", supported_options, NULL);
    }
  else if (status == 415)
    bell_sip_msg_add_header (response, "Accept", "application/sdp", NULL);
  bell_sip_transaction_respond (txn, response, NULL);
}

/* §8.2.6.1 allows a UA to answer without a transaction; a refusal that keeps no state is what
 * lets a flood of INVITEs cost nothing but the answers. */
static void
refuse_statelessly (BellSipTransactions *self, BellSipMsg *request, BellSipFlow *flow)
{
  g_autofree char *tag = g_strdup_printf ("%08x", g_random_int ());
  g_autoptr(BellSipMsg) response = bell_sip_msg_new_response_to (request, 403, NULL, tag);

  bell_sip_transport_send_response (self->transport, response, flow, NULL);
}

/* What the guard and the screen say of a new request: FALSE when it was dropped or refused
 * here. *guarded: a transaction for it is counted against its source. */
static gboolean
admit_request (BellSipTransactions *self, BellSipMsg *request, BellSipFlow *flow,
               gboolean *guarded)
{
  BellSipGuard *guard = bell_sip_transport_get_guard (self->transport);
  GInetSocketAddress *source = bell_sip_flow_get_remote (flow);
  gboolean trusted = bell_sip_guard_is_trusted (guard, source);
  const BellSipNameAddr *to = bell_sip_msg_get_to (request);

  if (!trusted && bell_sip_guard_is_scanner (request))
    {
      bell_sip_guard_count (guard, BELL_SIP_LIMIT_SCANNER, source);
      return FALSE;
    }
  if (self->screen && bell_sip_msg_get_method (request) == BELL_SIP_METHOD_INVITE &&
      (!to || !bell_str_is_set (to->tag)))
    {
      switch (self->screen (request, flow, self->screen_data))
        {
        case BELL_SIP_SCREEN_ACCEPT:
          break;
        case BELL_SIP_SCREEN_REFUSE:
          bell_sip_guard_count (guard, BELL_SIP_LIMIT_POLICY, source);
          refuse_statelessly (self, request, flow);
          return FALSE;
        case BELL_SIP_SCREEN_IGNORE:
          bell_sip_guard_count (guard, BELL_SIP_LIMIT_POLICY, source);
          return FALSE;
        }
    }
  if (trusted || !source)
    return TRUE;
  if (!bell_sip_guard_hold_transaction (guard, source))
    return FALSE;
  *guarded = TRUE;
  return TRUE;
}

void
bell_sip_transactions_set_screen (BellSipTransactions *self, BellSipScreenFunc func,
                                  gpointer user_data)
{
  self->screen = func;
  self->screen_data = user_data;
}

static void
on_request (BellSipTransactions *self, BellSipMsg *request, BellSipFlow *flow)
{
  char *key = server_key (request);
  BellSipTransaction *txn = key ? g_hash_table_lookup (self->txns, key) : NULL;
  const char *reason = NULL;
  gboolean guarded = FALSE;
  guint status;

  if (txn)
    {
      g_free (key);
      server_on_retransmission (txn, request);
      return;
    }
  if (bell_sip_msg_get_method (request) == BELL_SIP_METHOD_ACK)
    {
      /* An ACK for a 2xx: the dialog's business (§13.3.1.4, §17.1.1.3). */
      g_free (key);
      g_signal_emit (self, signals[SIGNAL_ACK], 0, request, flow);
      return;
    }
  if (!key)
    {
      g_message ("dropping a request without Via or CSeq");
      return;
    }
  if (!admit_request (self, request, flow, &guarded))
    {
      g_free (key);
      return;
    }
  status = bell_sip_msg_check (request, &reason);
  if (status)
    {
      g_message ("answering %.*s with %u: %s", BELL_STR_PRINTF (bell_sip_msg_get_method_str (request)),
                 status, reason);
      reject_request (self, request, flow, key, guarded, status, reason);
      return;
    }
  /* §8.2.2.2: the same request reaching us twice by different paths. */
  if (!bell_str_is_set (bell_sip_msg_get_to (request)->tag))
    {
      g_autofree char *mkey = merge_key (request);
      BellSipTransaction *other = mkey ? g_hash_table_lookup (self->merged, mkey) : NULL;
      if (other && other->layer)
        {
          reject_request (self, request, flow, key, guarded, 482, "Loop Detected");
          return;
        }
    }
  txn = server_new (self, request, flow, key, guarded);
  {
    g_autoptr(BellSipTransaction) keep = bell_sip_transaction_ref (txn);
    g_signal_emit (self, signals[SIGNAL_REQUEST], 0, txn, request);
  }
}

static void
on_response (BellSipTransactions *self, BellSipMsg *response, BellSipFlow *flow)
{
  const BellSipVia *via = bell_sip_msg_get_via (response);
  const BellSipCSeq *cseq = bell_sip_msg_get_cseq (response);
  const char *reason = NULL;
  g_autofree char *key = NULL;
  BellSipTransaction *txn;

  if (bell_sip_msg_check (response, &reason))
    {
      g_message ("discarding a %u response: %s", bell_sip_msg_get_status (response), reason);
      return;
    }
  key = g_strdup_printf ("c|%.*s|%.*s", BELL_STR_PRINTF (via->branch),
                         BELL_STR_PRINTF (cseq->method_str));
  txn = g_hash_table_lookup (self->txns, key);
  if (txn && txn->client)
    {
      client_on_response (txn, response);
      return;
    }
  guint status = bell_sip_msg_get_status (response);
  if (cseq->method == BELL_SIP_METHOD_INVITE && status >= 200 && status < 300)
    g_signal_emit (self, signals[SIGNAL_STRAY_RESPONSE], 0, response, flow);
  else
    g_debug ("no transaction for a %u response", status);
}

static void
on_transport_message (BellSipTransport *transport, BellSipMsg *msg, BellSipFlow *flow,
                      gpointer user_data)
{
  BellSipTransactions *self = user_data;

  if (bell_sip_msg_is_request (msg))
    on_request (self, msg, flow);
  else
    on_response (self, msg, flow);
}

static void
on_flow_failed (BellSipTransport *transport, BellSipFlow *flow, GError *error, gpointer user_data)
{
  BellSipTransactions *self = user_data;
  g_autoptr(GPtrArray) affected = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_sip_transaction_unref);
  GHashTableIter iter;
  BellSipTransaction *txn;

  /* Client transactions waiting on a connection that died fail over now, not at Timer B. */
  g_hash_table_iter_init (&iter, self->txns);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &txn))
    if (txn->client && txn->flow == flow && !txn->sending &&
        (txn->state == BELL_SIP_TXN_CALLING || txn->state == BELL_SIP_TXN_TRYING ||
         txn->state == BELL_SIP_TXN_PROCEEDING))
      g_ptr_array_add (affected, bell_sip_transaction_ref (txn));
  for (guint i = 0; i < affected->len; i++)
    {
      g_autoptr(GError) wrapped = g_error_new (BELL_SIP_TXN_ERROR, BELL_SIP_TXN_ERROR_TRANSPORT,
                                               "%s", error->message);
      txn = affected->pdata[i];
      if (txn->layer)
        client_next_target (txn, wrapped);
    }
}

static void
bell_sip_transactions_dispose (GObject *object)
{
  BellSipTransactions *self = BELL_SIP_TRANSACTIONS (object);

  if (self->transport)
    {
      g_clear_signal_handler (&self->message_handler, self->transport);
      g_clear_signal_handler (&self->flow_failed_handler, self->transport);
    }
  if (self->txns)
    {
      GHashTableIter iter;
      BellSipTransaction *txn;
      g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify) bell_sip_transaction_unref);

      g_hash_table_iter_init (&iter, self->txns);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &txn))
        g_ptr_array_add (all, bell_sip_transaction_ref (txn));
      for (guint i = 0; i < all->len; i++)
        {
          txn = all->pdata[i];
          txn->func = NULL;
          terminate (txn);
        }
    }
  g_clear_object (&self->transport);
  G_OBJECT_CLASS (bell_sip_transactions_parent_class)->dispose (object);
}

static void
bell_sip_transactions_finalize (GObject *object)
{
  BellSipTransactions *self = BELL_SIP_TRANSACTIONS (object);

  g_hash_table_destroy (self->txns);
  g_hash_table_destroy (self->merged);
  g_clear_pointer (&self->clock, bell_clock_unref);
  G_OBJECT_CLASS (bell_sip_transactions_parent_class)->finalize (object);
}

static void
bell_sip_transactions_class_init (BellSipTransactionsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bell_sip_transactions_dispose;
  object_class->finalize = bell_sip_transactions_finalize;

  signals[SIGNAL_REQUEST] =
    g_signal_new ("request", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_POINTER, BELL_TYPE_SIP_MSG);
  signals[SIGNAL_ACK] =
    g_signal_new ("ack", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, BELL_TYPE_SIP_MSG, BELL_TYPE_SIP_FLOW);
  signals[SIGNAL_STRAY_RESPONSE] =
    g_signal_new ("stray-response", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, BELL_TYPE_SIP_MSG, BELL_TYPE_SIP_FLOW);
}

static void
bell_sip_transactions_init (BellSipTransactions *self)
{
  self->txns = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                      (GDestroyNotify) bell_sip_transaction_unref);
  self->merged = g_hash_table_new (g_str_hash, g_str_equal);
  self->timers = (BellSipTimers){ 500, 4000, 5000 };
}

BellSipTransactions *
bell_sip_transactions_new (BellSipTransport *transport, BellClock *clock)
{
  BellSipTransactions *self = g_object_new (BELL_TYPE_SIP_TRANSACTIONS, NULL);

  self->transport = g_object_ref (transport);
  self->clock = bell_clock_ref (clock);
  self->message_handler = g_signal_connect (transport, "message",
                                            G_CALLBACK (on_transport_message), self);
  self->flow_failed_handler = g_signal_connect (transport, "flow-failed",
                                                G_CALLBACK (on_flow_failed), self);
  return self;
}

void
bell_sip_transactions_set_timers (BellSipTransactions *self, const BellSipTimers *timers)
{
  self->timers = *timers;
}

BellSipTransport *
bell_sip_transactions_get_transport (BellSipTransactions *self)
{
  return self->transport;
}

BellClock *
bell_sip_transactions_get_clock (BellSipTransactions *self)
{
  return self->clock;
}

guint
bell_sip_transactions_get_count (BellSipTransactions *self)
{
  return g_hash_table_size (self->txns);
}
