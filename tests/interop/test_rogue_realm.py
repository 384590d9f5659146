#!/usr/bin/env python3
"""Interop (issue 10): credentials only where they belong. sipp challenges bellbird-cli where
the account's password must not answer; nothing with Authorization may reach sipp, and
bellbird-cli must say why (TAP).

A. rogue realm, realm configured: `register --realm bellbird.test`; sipp's 401 has realm
   "rogue.example" (scenarios/auth_reg_challenge_once.xml) -> no second REGISTER, exit 1, the
   text output says "registration of ... failed (auth-not-sent): ... realm “rogue.example”,
   which is not this account’s: not sent."
B. rogue realm, realm pinned on first use: no --realm; the first 401 (realm
   "sipp.bellbird.test") is answered and registers, the refresh's 401 with realm
   "rogue.example" is not (auth_reg_pin_then_rogue.xml).
C. a call made as the registered account (`call --registrar` registers first) to the
   registrar, whose INVITE gets a 401 with realm "rogue.example" (auth_registrar_calls.xml):
   the REGISTER's SHA-256 challenge was answered, the INVITE's is not; the call ends 401 with
   the reason.
D. downgrade: the registrar offered SHA-256 and MD5 (SHA-256 answered); the INVITE's 401
   offers MD5 only for the same realm -> not answered, the reason says downgrade.
E. a direct call made as the account to another sipp (not the registrar) that challenges with
   the account's own realm -> not answered: it is not the account's server.
F. a sips: account over TCP: the registrar's 401 (over TCP) is not answered: TLS only.
"""

import interop_common as ic

PASSWORD = "s3cret-rogue"
REALM = "bellbird.test"
ROGUE = "rogue.example"
CLI_TIMEOUT = 10

A_DESCS = [
    "rogue realm (realm configured): register exits 1 with 'failed' reason auth-not-sent, "
    "printing why in text (realm “rogue.example”, not this account’s, not sent)",
    "rogue realm (realm configured): sipp got one REGISTER and no Authorization at all",
]
B_DESCS = [
    "realm pinned on first use: the first realm's 401 is answered and registers, then the "
    "refresh's 401 for realm rogue.example ends in 'failed' auth-not-sent naming it (exit 1)",
    "realm pinned on first use: no REGISTER after the rogue challenge, and no Authorization "
    "for realm rogue.example ever",
]
C_DESCS = [
    "call through the registrar: registered first (the REGISTER answered SHA-256 of SHA-256 "
    "and MD5), then the INVITE's 401 for realm rogue.example ends the call (401) with the reason",
    "call through the registrar: one INVITE, no Authorization in it; exit 1",
]
D_DESCS = [
    "downgrade: after SHA-256 was offered for bellbird.test, an MD5-only 401 to the INVITE "
    "is not answered: one INVITE, no Authorization, the call ends 401 saying downgrade",
]
E_DESCS = [
    "direct call as the account to a host that is not its registrar, challenging with the "
    "account's own realm: one INVITE, no Authorization, the call ends 401 naming that host",
]
F_DESCS = [
    "sips: account over TCP: the registrar's 401 is not answered (one REGISTER, no "
    "Authorization), 'failed' auth-not-sent saying the transport is not encrypted",
]
ALL_DESCS = A_DESCS + B_DESCS + C_DESCS + D_DESCS + E_DESCS + F_DESCS


def missing():
    if not ic.bellbird_cli():
        return "BELLBIRD_CLI not set or not executable"
    if not ic.sipp_path():
        return "sipp not installed (package sip-tester)"
    return None


def env_with_password():
    import os
    env = dict(os.environ)
    env["BELLBIRD_TEST_PASSWORD"] = PASSWORD
    return env


def sipp(peers, name, scenario, calls=1, transport="udp", **keys):
    port = ic.free_port()
    extra = []
    for k, v in keys.items():
        extra += ["-key", k, v]
    p = ic.start_sipp_call(peers, name, port, scenario=scenario, calls=calls, timeout_s=20,
                           transport=transport, extra=extra)
    p.port = port
    p.up = ic.wait_bound(port, transport, 5)
    return p


def finish(p, timeout=8):
    rc = p.wait(timeout)
    if rc is None:
        p.stop()
    return ic.parse_trace(p.msg_path)


def received(msgs, method):
    return ic.trace_requests(msgs, method)


def with_credentials(msgs):
    """Requests sipp received that carry Authorization or Proxy-Authorization."""
    return [m for m in msgs if m["dir"] == "received"
            and (ic.header(m, "Authorization") or ic.header(m, "Proxy-Authorization"))]


def failed_event(proc, reason="auth-not-sent"):
    for e in ic.reg_events(proc):
        if e.get("state") == "failed" and e.get("reason") == reason:
            return e
    return None


def ended_event(proc):
    ends = [e for e in ic.call_events(proc) if e.get("state") == "ended"]
    return ends[-1] if ends else None


def run(peers, name, argv, timeout=CLI_TIMEOUT):
    p = peers.start(name, [ic.bellbird_cli()] + argv, collect=True, env=env_with_password())
    if p.wait(timeout) is None:
        p.stop()
        p.rc = None
    return p


def not_up(tap, descs, *procs):
    for d in descs:
        tap.ok(False, d, ["sipp did not bind its port"] + sum((ic.sipp_diag(p) for p in procs), []))


def case_configured(tap, peers):
    s = sipp(peers, "sipp-a", "auth_reg_challenge_once.xml", realm=ROGUE, alg="SHA-256")
    if not s.up:
        return not_up(tap, A_DESCS, s)
    # Text output, as a user reads it.
    cli = run(peers, "reg-a", ["register", "--user", "sip:alice@" + REALM, "--password-env",
                               "BELLBIRD_TEST_PASSWORD", "--registrar",
                               "sip:127.0.0.1:%d" % s.port, "--realm", REALM,
                               "--bind", "127.0.0.1:0", "--transport", "udp"])
    msgs = finish(s)
    out = cli.stdout()
    line = [l for l in out.splitlines() if "failed (auth-not-sent)" in l]
    tap.ok(cli.rc == 1 and line and "“%s”" % ROGUE in line[0] and "not sent" in line[0]
           and "not this account" in line[0], A_DESCS[0], lambda: cli.diag() + ic.sipp_diag(s))
    regs = received(msgs, "REGISTER")
    tap.ok(len(regs) == 1 and not with_credentials(msgs), A_DESCS[1],
           lambda: ["REGISTERs: %d, with credentials: %d" % (len(regs), len(with_credentials(msgs)))]
           + ic.sipp_diag(s))


def case_pinned(tap, peers):
    s = sipp(peers, "sipp-b", "auth_reg_pin_then_rogue.xml")
    if not s.up:
        return not_up(tap, B_DESCS, s)
    cli = run(peers, "reg-b", ["register", "--events", "--user", "sip:alice@" + REALM,
                               "--password-env", "BELLBIRD_TEST_PASSWORD", "--registrar",
                               "sip:127.0.0.1:%d" % s.port, "--bind", "127.0.0.1:0",
                               "--transport", "udp"], timeout=15)
    msgs = finish(s)
    states = [(e.get("state"), e.get("reason")) for e in ic.reg_events(cli)]
    fail = failed_event(cli)
    tap.ok(cli.rc == 1 and ("registered", "none") in states and fail is not None
           and ROGUE in (fail.get("message") or "") and fail.get("code") == 401,
           B_DESCS[0], lambda: ["states: %s" % states] + cli.diag() + ic.sipp_diag(s))
    regs = received(msgs, "REGISTER")
    rogue_auth = [m for m in with_credentials(msgs) if ROGUE in (ic.header(m, "Authorization") or "")]
    tap.ok(len(regs) == 3 and not rogue_auth
           and ic.header(regs[1], "Authorization") is not None, B_DESCS[1],
           lambda: ["REGISTERs: %d, answering rogue.example: %d" % (len(regs), len(rogue_auth))]
           + ic.sipp_diag(s))


def call_as_account(peers, name, registrar_port, callee, timeout=CLI_TIMEOUT):
    return run(peers, name, ["call", callee, "--events", "--user", "sip:alice@" + REALM,
                             "--password-env", "BELLBIRD_TEST_PASSWORD", "--registrar",
                             "sip:127.0.0.1:%d" % registrar_port, "--realm", REALM,
                             "--bind", "127.0.0.1:0", "--transport", "udp", "--no-media",
                             "--duration", "1"], timeout)


def answered_sha256(msgs):
    regs = received(msgs, "REGISTER")
    auth = ic.header(regs[1], "Authorization") if len(regs) >= 2 else None
    p = ic.digest_params(auth) if auth else {}
    return p.get("algorithm") == "SHA-256" and p.get("realm") == REALM


def invite_checks(msgs):
    invites = received(msgs, "INVITE")
    return invites, [m for m in invites if ic.header(m, "Authorization")
                     or ic.header(m, "Proxy-Authorization")]


def case_call_rogue(tap, peers):
    s = sipp(peers, "sipp-c", "auth_registrar_calls.xml", calls=2, inv_realm=ROGUE,
             inv_alg="SHA-256")
    if not s.up:
        return not_up(tap, C_DESCS, s)
    cli = call_as_account(peers, "call-c", s.port, "sip:bob@127.0.0.1:%d" % s.port)
    msgs = finish(s)
    end = ended_event(cli) or {}
    registered = any(e.get("state") == "registered" for e in ic.reg_events(cli))
    tap.ok(registered and answered_sha256(msgs) and end.get("code") == 401
           and "“%s”" % ROGUE in (end.get("reason") or "") and "not sent" in end.get("reason", ""),
           C_DESCS[0], lambda: ["ended: %s" % end] + cli.diag() + ic.sipp_diag(s))
    invites, authed = invite_checks(msgs)
    tap.ok(len(invites) == 1 and not authed and cli.rc == 1, C_DESCS[1],
           lambda: ["INVITEs: %d, with credentials: %d" % (len(invites), len(authed))]
           + cli.diag() + ic.sipp_diag(s))


def case_downgrade(tap, peers):
    s = sipp(peers, "sipp-d", "auth_registrar_calls.xml", calls=2, inv_realm=REALM,
             inv_alg="MD5")
    if not s.up:
        return not_up(tap, D_DESCS, s)
    cli = call_as_account(peers, "call-d", s.port, "sip:bob@127.0.0.1:%d" % s.port)
    msgs = finish(s)
    end = ended_event(cli) or {}
    invites, authed = invite_checks(msgs)
    tap.ok(answered_sha256(msgs) and len(invites) == 1 and not authed and end.get("code") == 401
           and "downgrade" in (end.get("reason") or "") and cli.rc == 1, D_DESCS[0],
           lambda: ["ended: %s; INVITEs %d, with credentials %d" % (end, len(invites), len(authed))]
           + cli.diag() + ic.sipp_diag(s))


def case_direct(tap, peers):
    registrar = sipp(peers, "sipp-e-registrar", "auth_registrar_calls.xml", inv_realm=REALM,
                     inv_alg="SHA-256")
    callee = sipp(peers, "sipp-e-callee", "auth_registrar_calls.xml", inv_realm=REALM,
                  inv_alg="SHA-256")
    if not (registrar.up and callee.up):
        return not_up(tap, E_DESCS, registrar, callee)
    cli = call_as_account(peers, "call-e", registrar.port, "sip:bob@127.0.0.1:%d" % callee.port)
    msgs = finish(callee)
    finish(registrar)
    end = ended_event(cli) or {}
    invites, authed = invite_checks(msgs)
    tap.ok(len(invites) == 1 and not authed and end.get("code") == 401
           and "127.0.0.1:%d" % callee.port in (end.get("reason") or "")
           and "not sent" in end.get("reason", "") and cli.rc == 1, E_DESCS[0],
           lambda: ["ended: %s; INVITEs %d, with credentials %d" % (end, len(invites), len(authed))]
           + cli.diag() + ic.sipp_diag(callee) + ic.sipp_diag(registrar))


def case_sips_tcp(tap, peers):
    s = sipp(peers, "sipp-f", "auth_reg_challenge_once.xml", transport="tcp", realm=REALM,
             alg="SHA-256")
    if not s.up:
        return not_up(tap, F_DESCS, s)
    cli = run(peers, "reg-f", ["register", "--events", "--user", "sips:alice@" + REALM,
                               "--password-env", "BELLBIRD_TEST_PASSWORD", "--registrar",
                               "sip:127.0.0.1:%d;transport=tcp" % s.port, "--bind",
                               "127.0.0.1:0", "--transport", "tcp"])
    msgs = finish(s)
    fail = failed_event(cli) or {}
    regs = received(msgs, "REGISTER")
    tap.ok(cli.rc == 1 and len(regs) == 1 and not with_credentials(msgs)
           and "not encrypted" in (fail.get("message") or ""), F_DESCS[0],
           lambda: ["failed: %s; REGISTERs %d" % (fail, len(regs))] + cli.diag() + ic.sipp_diag(s))


if __name__ == "__main__":
    ic.extend_budget(30)
    ic.run_cases([(case_configured, A_DESCS), (case_pinned, B_DESCS), (case_call_rogue, C_DESCS),
                  (case_downgrade, D_DESCS), (case_direct, E_DESCS), (case_sips_tcp, F_DESCS)],
                 ALL_DESCS, missing)
