/* bell-core.h: the Bellbird core, running on its own thread.
 *
 * The app and the CLI make a BellCore on their main thread. It starts one thread with its own
 * GMainContext, where every socket, timer and transaction lives. Commands (bell_core_*) copy
 * their arguments and are queued to that thread; what happens comes back as BellEvent values,
 * emitted as the "event" signal on the main context of the thread that created the core.
 */
#pragma once

#include <gio/gio.h>
#include "bell-event.h"
#include "sip/bell-sip-flow.h"
#include "sip/bell-sip-registration.h"
#include "sdp/bell-sdp-negotiate.h"

G_BEGIN_DECLS

#define BELL_TYPE_CORE (bell_core_get_type ())
G_DECLARE_FINAL_TYPE (BellCore, bell_core, BELL, CORE, GObject)

#define BELL_CORE_ERROR (bell_core_error_quark ())
GQuark bell_core_error_quark (void);

typedef enum
{
  BELL_CORE_ERROR_BIND,      /* could not listen where asked */
  BELL_CORE_ERROR_CONFIG,    /* an option that cannot work (a TLS listener without a cert) */
} BellCoreError;

typedef struct
{
  const char *bind_address;          /* NULL: every local address */
  guint16     bind_port;             /* 0: any free port */
  guint       listen;                /* BellSipTransportKind mask: UDP, TCP, TLS */
  const char *tls_ca_file;           /* NULL: the system trust store */
  gboolean    tls_accept_untrusted;  /* testing only; reported in the "listening" event */
  const char *tls_pin;               /* "sha256:AB:..": a server certificate accepted even when
                                      * it does not verify, for servers no account pins its own
                                      * for (bell-sip-tls.h); NULL: none */
  const char *tls_cert_file;         /* for a TLS listener */
  const char *tls_key_file;
  gint        auto_answer_ms;        /* answer incoming calls after this long; -1: ring only */
  gboolean    auto_answer_holds;     /* auto-answering holds the other calls, as a person at a
                                      * phone does (call waiting); off: an answering machine */
  guint       max_calls;             /* calls at once; more get 486 Busy Here (0: 4) */
  gboolean    no_media;              /* signalling only: every stream inactive, no RTP */
  const char *audio_in;              /* "default", "tone", "none" or a WAV file; NULL: default */
  const char *audio_out;             /* "default", "none" or a WAV file; NULL: default */
  BellSdpSrtpPolicy srtp;            /* SDES-keyed SRTP for calls */
  const char *codecs;                /* "PCMA,PCMU": the user's order, of opus, G722, PCMU and
                                      * PCMA (PCMU and PCMA are always offered); NULL: opus,
                                      * G722, PCMU, PCMA. Codecs GStreamer cannot code here are
                                      * left out. Accounts may have their own
                                      * (BellRegConfig.codecs) */
  gboolean    low_bandwidth;         /* calls ask for and send a narrow stream (Opus capped at a
                                      * low bitrate, preferred): mobile data, a slow uplink */
  gboolean    no_redundancy;         /* no Opus FEC and no RED for G.711 (comparisons, tests) */
  const char *outbound_proxy;        /* calls not made as a registered account with a proxy of
                                      * its own go through this one (a sip: URI); NULL: none */
  const char *stun_server;           /* "host[:port]" (3478): each call's RTP port asks it for
                                      * its public address for the SDP (accounts may have their
                                      * own, BellRegConfig.stun_server); NULL: no STUN */
  gboolean    echo_service;          /* answer calls to sip:echo@<us> with an echo test (from
                                      * this machine only, whatever direct_calls says) */
  BellDirectCalls direct_calls;      /* who may call other than through an account's
                                      * registrar (bell_core_set_direct_calls() changes it);
                                      * AUTO: nobody while an account is configured, anyone
                                      * when there is none. Accounts may have their own */
  gint        media_timeout_s;       /* a connected call whose peer should be sending ends as
                                      * lost once neither its RTP nor its RTCP has come for
                                      * this long (the peer's machine died, its network went):
                                      * 0: 30 s; negative: never */
  double      test_loss;             /* testing only: fraction of every call's RTP packets
                                      * dropped before they are sent (0: none) */
  double      test_loss_receive;     /* testing only: fraction of every call's RTP packets
                                      * dropped on arrival, before anything looks at them */
  double      test_loss_burst;       /* testing only: mean length in packets of the bursts
                                      * both drop (1 or less: random loss; more: a
                                      * Gilbert-Elliott channel, bell-loss-model.h) */
} BellCoreConfig;

/* Starts the core thread and opens its sockets; fails with a readable reason (port in use, no
 * such address, missing certificate) before anything else happens. */
BellCore *bell_core_new      (const BellCoreConfig *config, GError **error);
/* Stops the thread, closing every socket. Also done by the last unref. */
void      bell_core_shutdown (BellCore *core);
/* The port the core listens on for kind (IPv4 if it has one, else IPv6); 0 if not. */
guint16   bell_core_get_port (BellCore *core, BellSipTransportKind kind);

/* Sends an OPTIONS to uri (a sip: or sips: URI, or a host[:port]) over transport (ANY: by the
 * rules of RFC 3263) and reports an "options" event: status, reason, allow, supported,
 * transport, server; or error. */
void      bell_core_options  (BellCore *core, const char *uri, BellSipTransportKind transport);
/* The same from an account (from, a sip: URI) answering Digest challenges with its password
 * (auth_user NULL: the user part of from). */
void      bell_core_options_auth (BellCore *core, const char *uri, BellSipTransportKind transport,
                                  const char *from, const char *auth_user, const char *password);

/* Keeps an account registered (config is copied). Reports "registration" events:
 * {aor, state, reason, code, expires, contact, message}; with
 * reason "tls-untrusted" or "tls-changed" also tls_fingerprint and tls_subject (the server's
 * certificate, for the user to trust: BellRegConfig.tls_pin) and, when changed, tls_pinned. */
void      bell_core_register (BellCore *core, const BellRegConfig *config);
/* Un-registers one account (Expires: 0) and forgets its password; "unregistered" {aor}
 * follows. Registering an AOR again replaces its registration the same way. */
void      bell_core_unregister (BellCore *core, const char *aor);
/* Un-registers every account; an "unregistered" event follows when all are done. */
void      bell_core_unregister_all (BellCore *core);

/* Calls uri (sip: or sips:, direct or through a proxy) with signalling-only media until the
 * media layer exists. "call" events follow: {id, direction, state, peer, code, reason}. */
void      bell_core_call       (BellCore *core, const char *uri, BellSipTransportKind transport);
/* The same from an account: From is from (a sip: URI) and 401/407 are answered with password
 * (auth_user NULL: the user part of from). */
void      bell_core_call_auth  (BellCore *core, const char *uri, BellSipTransportKind transport,
                                const char *from, const char *auth_user, const char *password);
void      bell_core_answer     (BellCore *core, guint call_id);
/* Answering while other calls are connected puts them on hold (call waiting). */
/* Refuses a ringing incoming call: 486 busy, 603 decline, or another 4xx-6xx status. */
void      bell_core_reject     (BellCore *core, guint call_id, guint status);
/* Ends a call whatever its state (CANCEL, decline, BYE); 0: every call. */
void      bell_core_hangup     (BellCore *core, guint call_id);
/* Puts a connected call on hold (re-INVITE, sendonly/inactive) or takes it off. */
void      bell_core_hold       (BellCore *core, guint call_id, gboolean hold);
/* The microphone of a call off (the other side hears silence) or on again. */
void      bell_core_set_mute   (BellCore *core, guint call_id, gboolean mute);
/* How loud the other side plays: 1.0 as it comes, 0 silent, up to 4. */
void      bell_core_set_volume (BellCore *core, guint call_id, double volume);
/* Sends DTMF digits (0-9 * # A-D) in a connected call as RFC 4733 telephone-events; a "dtmf"
 * event with an error follows when they cannot go. */
void      bell_core_send_dtmf  (BellCore *core, guint call_id, const char *digits);
/* Transfers a connected call: to uri (blind; REFER), or with replaces_id to the peer of that
 * other call, which then takes its place (attended; Replaces). On success the call ends. */
void      bell_core_transfer   (BellCore *core, guint call_id, const char *uri,
                                guint replaces_id);

/* Who may call this phone other than through an account's registrar (policy AUTO: see
 * BellCoreConfig.direct_calls), and the user's contacts (sip: URIs) for CONTACTS: a call
 * whose From names one of them (and, for a contact at an IP address, that comes from that
 * address). Refused calls get a quiet 403 and never ring; see the "protection" event. */
void      bell_core_set_direct_calls (BellCore *core, BellDirectCalls policy,
                                      const char *const *contacts);

/* Signal "event" (BellEvent *event), on the creating thread's main context. Event names so far:
 *   "listening" {transport, address, port, tls_verify}
 *   "options"   {uri, status, reason, allow, supported, transport, server} or {uri, error}
 *   "incoming"  {method, from, source, status}: a request the core answered by itself
 *   "registration" {aor, state, reason, code, expires, contact, message, tls_fingerprint,
 *          tls_subject, tls_pinned}
 *   "unregistered" {}: after bell_core_unregister_all(), when every account is done;
 *          {aor} after bell_core_unregister()
 *   "call" {id, direction, state, peer, code, reason, account, service, unreachable}:
 *          dialing, ringing, incoming, connected, ended; account: for an incoming call that
 *          came from the registrar of a registered account, its AOR (absent: a direct call);
 *          service: "echo" for a call the core answers itself with the echo test; unreachable:
 *          true when it ended because its INVITE could not be delivered at all (nothing
 *          listens there, connection refused: code 503 and the reason are ours); lost: true
 *          when we ended it because nothing came from the peer for the media timeout
 *   "hold" {id, local, remote}: we hold the call / the peer holds it
 *   "transfer" {id, code, reason}: our transfer of call id: 202 when the peer took it, then
 *          its progress (1xx); final: 2xx (the call then ends), other codes (it stays), 0 with
 *          the reason when it could not be asked
 *   "dtmf" {id, digit, duration, direction}: a digit received ("received") or sent; or
 *          {id, error} when digits could not be sent
 *   "quality" {id, sent, received, lost, loss, jitter_ms, remote_loss, rtt_ms,
 *          jitter_buffer_ms, late, frames, frames_concealed, frames_fec, frames_red, codec,
 *          bitrate, fec, red, mos, rejected, final}: RTCP figures after each report we send
 *          (about every 5 s) and once more as the call ends (final: true, before its "call"
 *          ended event: the last seconds, which no report carried), the jitter buffer's depth now and the packets that came too late for it;
 *          of the frames due at our decoder so far, those concealed (neither their packet nor a
 *          copy came), rebuilt from the next packet's Opus FEC, or from RED copies; what we send
 *          now: codec, Opus bitrate (bits/s), Opus FEC on, RED copies per packet; the ITU-T
 *          G.107 MOS estimate (1-4.5) for what we heard since the last report; and the RTP and
 *          RTCP packets dropped so far for coming from another source than the peer's
 *          (media/bell-rtp-latch.h: a stranger who found the port)
 *   "media" {id, codec, encrypted, srtp, send, recv} after each offer/answer: what the call's
 *          audio does now (srtp: the suite); {id?, error} when it could not start (the call
 *          goes on without it)
 *   "protection" {rate_limited, total_rate_limited, transactions_limited, connections_limited,
 *          scanner_dropped, policy_refused, calls_refused_busy, malformed_dropped,
 *          malformed_answered, connections_refused, connections_closed_overflow,
 *          connections_closed_slow}: what the flood limits, the incoming-call policy and the
 *          parser refused since the start (counts), at most once a second while it goes on
 *   "referred" {id, call, uri, replaces}: the peer of call id transferred us: new call "call"
 *          to uri (replacing the call of the peer's Replaces value, when there is one) */

G_END_DECLS
