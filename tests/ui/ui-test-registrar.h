/* ui-test-registrar.h: a SIP registrar of the UI tests, on a loopback UDP socket of the
 * test's main context (it runs while the test waits with UI_WAIT_UNTIL).
 *
 * It answers every REGISTER 200 with the expiry asked, and can forward a call the way a
 * registrar does: an INVITE to a registered contact, sent from that same socket, so the core
 * sees it come from its account's registrar. Responses to such an INVITE are recorded; a
 * final refusal is acknowledged (ACK), as RFC 3261 §17.1.1.3 wants of the caller.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _UiRegistrar UiRegistrar;

UiRegistrar *ui_registrar_start     (void);
guint16      ui_registrar_port      (UiRegistrar *reg);
/* "sip:127.0.0.1:PORT": what an account's registrar setting names. */
char        *ui_registrar_uri       (UiRegistrar *reg);
/* REGISTER requests answered so far with a binding (Expires > 0) and without (Expires: 0). */
guint        ui_registrar_bindings  (UiRegistrar *reg);
guint        ui_registrar_removals  (UiRegistrar *reg);
/* Sends an INVITE for to_aor from from_uri to the contact at 127.0.0.1:port, with Call-ID
 * call_id and no body (the callee makes the offer). */
void         ui_registrar_invite    (UiRegistrar *reg, guint16 port, const char *to_aor,
                                     const char *from_uri, const char *call_id);
/* Whether a response with status code came back for the INVITE of call_id. */
gboolean     ui_registrar_got       (UiRegistrar *reg, const char *call_id, guint code);
void         ui_registrar_stop      (UiRegistrar *reg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UiRegistrar, ui_registrar_stop)

G_END_DECLS
