/* bell-core-private.h: the core's state, shared by bell-core.c (thread, commands, OPTIONS,
 * registration) and bell-core-calls.c (calls). Core thread only, except where marked. */
#pragma once

#include "bell-core.h"
#include "bell-clock.h"
#include "sip/bell-sip-auth.h"
#include "sip/bell-sip-transaction.h"
#include "sip/bell-sip-transport.h"

G_BEGIN_DECLS

/* A registered account: what calls made or taken as it use. */
typedef struct
{
  char               *aor;
  BellSipCredentials *credentials;     /* NULL: no password */
  char               *outbound_proxy;  /* NULL: calls go straight to the callee */
  BellSdpSrtpPolicy   srtp;
  gboolean            has_srtp;        /* FALSE: the core's policy */
  char               *stun_server;     /* NULL: the core's (bell-core-calls.c) */
  char               *codecs;          /* the user's order; NULL: the core's */
  gboolean            low_bandwidth;   /* or the core's */
  BellDirectCalls     direct_calls;    /* AUTO: the core's */
} BellCoreAccount;

struct _BellCore
{
  GObject              parent_instance;

  /* Fixed at creation, read from both threads. */
  GMainContext        *owner;         /* where events are delivered */
  GMainContext        *context;       /* the core thread's */
  GThread             *thread;
  GMainLoop           *loop;
  BellCoreConfig       config;        /* strings owned */
  guint16              ports[5];      /* per transport kind bit, filled before new() returns */

  /* Start-up handshake between new() and the thread. */
  GMutex               lock;
  GCond                cond;
  gboolean             started;
  GError              *start_error;

  /* Core thread only. */
  BellClock           *clock;
  BellSipTransport    *transport;
  BellSipTransactions *txns;
  GPtrArray           *registrations;   /* BellSipRegistration, one per AOR */
  GPtrArray           *retiring;        /* BellSipRegistration un-registering, until "stopped" */
  GPtrArray           *calls;           /* BellSipCall, ended ones dropped on the next change */
  GPtrArray           *accounts;        /* BellCoreAccount: whose password answers challenges */
  guint                stopping;        /* registrations still un-registering */
  GNetworkMonitor     *network;
  GDBusConnection     *system_bus;
  guint                sleep_watch;
  GCancellable        *cancel;          /* pending start-up lookups */
  BellDirectCalls      direct_calls;    /* who may call directly (bell-core-policy.c) */
  GPtrArray           *contacts;        /* BellSipUri: the user's, for CONTACTS */
};

/* Hands an event to the thread that made the core (takes the reference). */
void bell_core_emit (BellCore *core, BellEvent *event);
/* Credentials for an account's password, the user being auth_user or from's user part;
 * NULL without a password. */
BellSipCredentials *bell_core_credentials_for (const char *from, const char *auth_user,
                                               const char *password);

/* bell-core-calls.c */
/* A request for a call, or one that starts a call: TRUE when handled there. */
gboolean bell_core_dispatch_call_request (BellCore *core, BellSipTransaction *txn,
                                          BellSipMsg *request);
void     bell_core_on_ack            (BellSipTransactions *txns, BellSipMsg *ack,
                                      BellSipFlow *flow, gpointer data);
void     bell_core_on_stray_response (BellSipTransactions *txns, BellSipMsg *response,
                                      BellSipFlow *flow, gpointer data);
/* Our address may have changed: calls tell their peers the new one. */
void     bell_core_refresh_calls     (BellCore *core);
void     bell_core_account_free      (BellCoreAccount *account);
/* Two AORs are one: equal as written, or as SIP URIs (RFC 3261 §19.1.4: sip:alice@EXAMPLE.com
 * is sip:alice@example.com). */
gboolean bell_core_same_aor (const char *x, const char *y);
/* The registered account whose AOR is uri, or NULL. */
BellCoreAccount *bell_core_find_account (BellCore *core, const char *uri);
/* The AOR of the account whose registrar sent a request over flow, or NULL (a direct call). */
const char      *bell_core_account_of_flow (BellCore *core, BellSipFlow *flow);

/* bell-core-policy.c */
/* Screens new calls and reports the guard's counters ("protection"); stop before teardown. */
void            bell_core_policy_start          (BellCore *core);
void            bell_core_policy_stop           (BellCore *core);
/* The registrars' flows changed: they are the sources the flood limits trust. */
void            bell_core_policy_update_trusted (BellCore *core);
/* Who may call directly as account (NULL: a call naming no account). */
BellDirectCalls bell_core_direct_calls_policy   (BellCore *core, BellCoreAccount *account);

G_END_DECLS
