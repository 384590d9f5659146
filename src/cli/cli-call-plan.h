/* cli-call-plan.h: what bellbird-cli does to each call once it is up (--dtmf, --hold-after,
 * --hold-for, --transfer-to, --attended), driven by the core's events. */
#pragma once

#include "bell-core.h"

G_BEGIN_DECLS

typedef struct
{
  double               hold_after;    /* seconds after connecting; < 0: never */
  double               hold_for;      /* resume this long after the hold took; <= 0: never */
  const char          *transfer_to;   /* NULL: no transfer */
  gboolean             attended;      /* call transfer_to first, then hand over (Replaces) */
  const char          *dtmf;          /* digits to send once a call connects; NULL: none */
  gboolean             mute;          /* the microphone off in every call */
  /* the account consultation calls are made from (attended) */
  const char          *from;
  const char          *auth_user;
  const char          *password;
  BellSipTransportKind transport;
} CliCallPlanOptions;

typedef struct _CliCallPlan CliCallPlan;

/* Strings in options are copied. */
CliCallPlan *cli_call_plan_new   (BellCore *core, const CliCallPlanOptions *options);
void         cli_call_plan_free  (CliCallPlan *plan);
/* Every event of the core, in order. */
void         cli_call_plan_event (CliCallPlan *plan, BellEvent *event);
/* A transfer was asked for and did not succeed (or never could be asked). */
gboolean     cli_call_plan_failed (CliCallPlan *plan);

G_END_DECLS
