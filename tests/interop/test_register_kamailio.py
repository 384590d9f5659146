#!/usr/bin/env python3
"""Interop: `bellbird-cli register` against kamailio as Digest registrar on 127.0.0.1 (TAP).

kamailio's config is generated here (interop_common.write_kamailio_cfg): usrloc without a
database, pv_auth_check() with alice's password in the config, realm "bellbird.test", an xlog
line per REGISTER (BBREQ), per challenge (BBAUTH) and per save("location") (BBSAVE), and the
ctl module so `kamcmd ul.dump` shows the bindings.

A. register --once over UDP, TCP and TLS (test CA and server certificate made with openssl at
   run time; bellbird gets --tls-ca): registered with expires > 0 and a contact; kamailio
   authenticated and saved that contact; the un-REGISTER on exit removed it.
B. wrong password: exit 1 with reason "auth-failed" after exactly 2 REGISTERs (no loop).
C. long-running register over UDP and TCP: exactly bellbird's contact is bound in kamailio's
   usrloc (kamcmd ul.dump); SIGTERM (UDP) / SIGINT (TCP) -> un-REGISTER (expires 0), an
   "unregistered" event, exit 0, binding gone.
D. recovery over TCP (a refused connection fails at once; UDP would need Timer F, 32 s):
   bellbird starts before kamailio exists and registers by itself once kamailio is up; then
   kamailio is stopped and started again and bellbird registers again by itself.
E. refresh: kamailio grants 4 s (max_expires) and its nonces expire after 3 s: bellbird
   refreshes before every expiry and answers the stale-nonce challenges without failing.
"""

import os
import signal
import time

import interop_common as ic

USER = "sip:alice@%s" % ic.KAMAILIO_REALM
PASSWORD = "s3cret-kam-42"
WRONG = "not-the-password"
TRANSPORTS = ["udp", "tcp", "tls"]
CLI_TIMEOUT = 10          # a --once run on loopback takes well under a second
BACKOFF_FIRST = 5.0       # bellbird's first retry delay (doubles up to 300 s)
SLACK = 3.0               # kamailio start-up, scheduling


def a_descs(t):
    T = t.upper()
    return ["%s: register --once exits 0 after a 'registered' event with expires > 0 and a contact" % T,
            "%s: kamailio got a REGISTER over %s with Digest credentials (alice, realm bellbird.test) "
            "and save() stored bellbird's contact" % (T, T),
            "%s: on exit bellbird un-registered (kamailio saved expires=0 for that contact) and "
            "printed the final 'unregistered' event" % T]


B_DESCS = ["wrong password: exit 1 with a 'failed' event, reason 'auth-failed'",
           "wrong password: kamailio saw exactly 2 REGISTERs (challenge, one answer), no loop"]
C_TRANSPORTS = ["udp", "tcp"]
C_SIGNAL = {"udp": signal.SIGTERM, "tcp": signal.SIGINT}   # the CLI stops on either


def c_descs(t):
    T = t.upper()
    S = C_SIGNAL[t].name
    return ["%s long-running register: 'registered', and kamailio's usrloc (kamcmd ul.dump) gained "
            "exactly one binding for alice: bellbird's contact" % T,
            "%s %s: bellbird prints 'unregistered' and exits 0 within 5 s" % (T, S),
            "%s %s: kamailio saw the un-REGISTER (expires 0) and the binding is gone" % (T, S)]


D_DESCS = ["TCP, no registrar yet: bellbird reports 'failed' (refused -> unreachable/timeout) and "
           "keeps running",
           "registrar started on that port: bellbird registers by itself within the first back-off "
           "(%.0f s) + %.0f s" % (BACKOFF_FIRST, SLACK),
           "registrar stopped while registered over TCP: bellbird notices the lost flow (leaves "
           "'registered') within 5 s",
           "registrar started again: bellbird registers again by itself within %.0f s + %.0f s, "
           "and the new kamailio authenticated and saved the binding" % (BACKOFF_FIRST, SLACK)]

GRANT = 4            # kamailio's max_expires in the refresh case
REFRESH_RUN = 7.0    # seconds of watching the refreshes
E_DESCS = ["kamailio grants %d s (max_expires) for the 600 s asked: the 'registered' event says "
           "expires %d" % (GRANT, GRANT),
           "bellbird refreshes before expiry: >= 2 refreshes saved in %.0f s, none later than %d s "
           "after the previous save, stale nonces (nonce_expire 3 s) answered, no 'failed' event"
           % (REFRESH_RUN, GRANT)]

ALL_DESCS = ([d for t in TRANSPORTS for d in a_descs(t)] + B_DESCS
             + [d for t in C_TRANSPORTS for d in c_descs(t)] + D_DESCS + E_DESCS)
PLAN = len(ALL_DESCS)


def tls_missing():
    if not ic.kamailio_has_module("tls"):
        return "kamailio tls module missing (package kamailio-tls-modules)"
    if not ic.openssl_path():
        return "openssl CLI missing"
    return None


def ev_diag(p):
    return ["bellbird exit status: %s" % ("killed (did not exit in time)" if p.rc is None
                                          else p.rc)] + p.diag(30)


def kam_diag(kam, start=0, n=30):
    """kamailio's BB* log records of this case (from record index start on) + its state."""
    lines = ["kamailio BB* log records of this case:"]
    lines += ["  %s" % r for r in ic.kamailio_records(kam)[start:][-n:]]
    return lines + kam.diag(6)


def first(evs, **kv):
    for e in evs:
        if all(e.get(k) == v for k, v in kv.items()):
            return e
    return None


def auth_ok(auth):
    a = auth or ""
    return (a.startswith("Digest ") and 'username="alice"' in a
            and 'realm="%s"' % ic.KAMAILIO_REALM in a)


def saves(recs, hostport=None, zero=None):
    """BBSAVE ok records binding a contact (optionally only user@host:port hostport; zero=True:
    with expires 0 only, zero=False: with expires > 0 only). A REGISTER may carry several
    Contacts: each is looked at."""
    out = []
    for r in recs:
        if r["kind"] != "BBSAVE" or r["result"] != "ok":
            continue
        for hp, exp in ic.contact_bindings(r.get("ct"), r.get("expires")):
            if hostport and hp != hostport:
                continue
            if zero is True and exp != 0:
                continue
            if zero is False and not (exp and exp > 0):
                continue
            out.append(r)
            break
    return out


# --------------------------------------------------------------------------------------------

def case_a(tap, peers, kam, t, port, tls_port, certs):
    descs = a_descs(t)
    reg_port = tls_port if t == "tls" else port
    n0 = len(ic.kamailio_records(kam))
    p = ic.run_register(peers, "reg-once-" + t, PASSWORD, CLI_TIMEOUT, user=USER,
                        registrar="sip:%s:%d" % (ic.LOOPBACK, reg_port), transport=t,
                        tls_ca=certs["ca"] if t == "tls" else None)
    evs = ic.reg_events(p)
    reg = next((e for e in evs if e.get("state") == "registered"
                and isinstance(e.get("expires"), int) and e["expires"] > 0
                and e.get("contact")), None)
    tap.ok(p.rc == 0 and reg is not None, descs[0], lambda: ev_diag(p))

    recs = ic.kamailio_records(kam)[n0:]
    hp = ic.uri_hostport(reg.get("contact")) if reg else None
    authed = [r for r in recs if r["kind"] == "BBREQ" and r.get("rm") == "REGISTER"
              and r.get("proto") == t and auth_ok(r.get("auth"))]
    stored = saves(recs, hp, zero=False) if hp else []
    tap.ok(bool(authed) and bool(stored), descs[1],
           lambda: ["contact reported by bellbird: %s" % (reg or {}).get("contact"),
                    "authenticated REGISTERs over %s: %d, saves of that contact: %d"
                    % (t, len(authed), len(stored))] + kam_diag(kam, n0) + ev_diag(p))

    removed = saves(recs, hp, zero=True) if hp else []
    all_evs = p.events()
    last_ev = all_evs[-1] if all_evs else {}
    tap.ok(bool(removed) and last_ev.get("event") == "unregistered", descs[2],
           lambda: ["saves with expires 0 for %s: %d; last event: %s" % (hp, len(removed), last_ev)]
           + kam_diag(kam, n0) + ev_diag(p))


def case_b(tap, peers, kam, port):
    n0 = len(ic.kamailio_records(kam))
    p = ic.run_register(peers, "reg-wrongpw", WRONG, CLI_TIMEOUT, user=USER,
                        registrar="sip:%s:%d" % (ic.LOOPBACK, port), transport="udp")
    evs = ic.reg_events(p)
    failed = first(evs, state="failed", reason="auth-failed")
    tap.ok(p.rc == 1 and failed is not None and first(evs, state="registered") is None,
           B_DESCS[0], lambda: ev_diag(p))
    time.sleep(0.5)   # a stray retransmission or a loop would show up by now
    recs = ic.kamailio_records(kam)[n0:]
    regs = [r for r in recs if r["kind"] == "BBREQ" and r.get("rm") == "REGISTER"]
    challenged = [r for r in recs if r["kind"] == "BBAUTH"]
    tap.ok(len(regs) == 2 and not regs[0].get("auth") and auth_ok(regs[1].get("auth"))
           and len(challenged) == 2 and not saves(recs),
           B_DESCS[1],
           lambda: ["REGISTERs seen: %d (want 2: without, then with credentials), challenges: %d"
                    % (len(regs), len(challenged))] + kam_diag(kam, n0) + ev_diag(p))


def case_c(tap, peers, kam, port, t):
    descs = c_descs(t)
    n0 = len(ic.kamailio_records(kam))
    before, _ = ic.ul_contacts(kam.rundir)
    p = ic.start_register(peers, "reg-sigterm-" + t, PASSWORD, user=USER,
                          registrar="sip:%s:%d" % (ic.LOOPBACK, port), transport=t,
                          expires=600)
    _, reg = ic.wait_event(p, ic.reg_state("registered"), 8)
    if reg is None:
        tap.ok(False, descs[0], lambda: ["no 'registered' event within 8 s"] + ev_diag(p))
        p.stop()
        tap.skip_rest(descs[1:], "bellbird did not register")
        return
    hp = ic.uri_hostport(reg.get("contact"))
    time.sleep(0.2)
    addrs, raw = ic.ul_contacts(kam.rundir)
    if addrs is None or before is None:
        # kamcmd/ctl not usable: fall back to kamailio's own log of save("location")
        recs = ic.kamailio_records(kam)[n0:]
        tap.note("kamcmd ul.dump unusable (%s); checking kamailio's save() log instead"
                 % raw.strip()[:200])
        tap.ok(bool(saves(recs, hp, zero=False)), descs[0], lambda: kam_diag(kam, n0))
    else:
        new = [a for a in addrs if a not in before]
        tap.ok(hp is not None and [ic.uri_hostport(a) for a in new] == [hp], descs[0],
               lambda: ["bellbird's contact: %s" % reg.get("contact"),
                        "usrloc bindings for alice before: %s, now: %s" % (before, addrs),
                        "ul.dump:"] + ic.tail(raw, 40) + kam_diag(kam, n0) + ev_diag(p))

    p.p.send_signal(C_SIGNAL[t])
    rc = p.wait(5)
    all_evs = p.events()
    last_ev = all_evs[-1] if all_evs else {}
    tap.ok(rc == 0 and last_ev.get("event") == "unregistered", descs[1],
           lambda: ["exit status after %s: %s, last event: %s" % (C_SIGNAL[t].name, rc, last_ev)]
           + ev_diag(p))
    p.stop()

    recs = ic.kamailio_records(kam)[n0:]
    removed = saves(recs, hp, zero=True)
    addrs2, raw2 = ic.ul_contacts(kam.rundir)
    gone = addrs2 is None or not any(ic.uri_hostport(a) == hp for a in addrs2)
    tap.ok(bool(removed) and gone, descs[2],
           lambda: ["saves with expires 0 for %s: %d; usrloc now: %s" % (hp, len(removed), addrs2)]
           + kam_diag(kam, n0) + ev_diag(p))


def case_d(tap, peers):
    port = ic.free_port()
    reg_kw = dict(user=USER, registrar="sip:%s:%d" % (ic.LOOPBACK, port),
                  transport="tcp", expires=600)
    p = ic.start_register(peers, "reg-recover", PASSWORD, **reg_kw)
    t_start = time.monotonic()
    idx, fail = ic.wait_event(p, ic.reg_state("failed"), 5)
    time.sleep(0.3)
    tap.ok(fail is not None and p.alive(), D_DESCS[0],
           lambda: ["no 'failed' event within 5 s or bellbird exited"] + ev_diag(p))
    if fail is not None:
        tap.note("first failure after %.2f s: reason=%s code=%s message=%s"
                 % (time.monotonic() - t_start, fail.get("reason"), fail.get("code"),
                    fail.get("message")))

    def kamailio(name):
        rundir = peers.mkdtemp(name)
        ic.write_kamailio_cfg(rundir, port, users={"alice": PASSWORD}, ctl=False)
        return ic.start_kamailio(peers, name, rundir, port)

    if not p.alive():
        tap.skip_rest(D_DESCS[1:], "bellbird exited")
        return
    start_at = idx + 1 if idx is not None else 0
    kam1, ready = kamailio("kam-late")
    t_up = time.monotonic()
    if not ready:
        tap.ok(False, D_DESCS[1], lambda: ["kamailio did not come up"] + kam1.diag())
        tap.skip_rest(D_DESCS[2:], "kamailio did not come up")
        return
    idx, reg = ic.wait_event(p, ic.reg_state("registered"), BACKOFF_FIRST + SLACK + 6,
                             start=start_at)
    took = time.monotonic() - t_up
    tap.ok(reg is not None and took <= BACKOFF_FIRST + SLACK, D_DESCS[1],
           lambda: ["registered: %s, %.1f s after kamailio was up" % (reg is not None, took)]
           + kam_diag(kam1) + ev_diag(p))
    if reg is None:
        tap.skip_rest(D_DESCS[2:], "bellbird never registered")
        return
    tap.note("registered %.1f s after kamailio was up (%.1f s after bellbird started)"
             % (took, time.monotonic() - t_start))

    kam1.stop()
    t_down = time.monotonic()
    idx2, lost = ic.wait_event(p, lambda e: e.get("event") == "registration"
                               and e.get("state") != "registered", 5, start=idx + 1)
    tap.ok(lost is not None, D_DESCS[2],
           lambda: ["no registration event other than 'registered' within 5 s of the stop"]
           + ev_diag(p))
    if lost is not None:
        tap.note("after the stop (%.2f s): state=%s reason=%s"
                 % (time.monotonic() - t_down, lost.get("state"), lost.get("reason")))
    time.sleep(max(0.0, 1.0 - (time.monotonic() - t_down)))
    kam2, ready = kamailio("kam-again")
    t_up = time.monotonic()
    if not ready:
        tap.ok(False, D_DESCS[3], lambda: ["kamailio did not come up again"] + kam2.diag())
        return
    _, reg2 = ic.wait_event(p, ic.reg_state("registered"), BACKOFF_FIRST + SLACK + 6,
                            start=(idx2 + 1) if idx2 is not None else idx + 1)
    took = time.monotonic() - t_up
    time.sleep(0.2)
    recs = ic.kamailio_records(kam2)
    authed = [r for r in recs if r["kind"] == "BBREQ" and r.get("rm") == "REGISTER"
              and r.get("proto") == "tcp" and auth_ok(r.get("auth"))]
    tap.ok(reg2 is not None and took <= BACKOFF_FIRST + SLACK and authed
           and saves(recs, zero=False), D_DESCS[3],
           lambda: ["registered again: %s, %.1f s after kamailio was up again"
                    % (reg2 is not None, took)] + kam_diag(kam2) + ev_diag(p))
    if reg2 is not None:
        tap.note("registered again %.1f s after kamailio was up again" % took)


def case_refresh(tap, peers):
    port = ic.free_port()
    rundir = peers.mkdtemp("kam-refresh")
    ic.write_kamailio_cfg(rundir, port, users={"alice": PASSWORD}, ctl=False,
                          max_expires=GRANT, nonce_expire=3)
    kam, ready = ic.start_kamailio(peers, "kam-refresh", rundir, port)
    if not ready:
        for d in E_DESCS:
            tap.ok(False, d, ["kamailio did not come up"] + kam.diag(30))
        return
    n0 = len(ic.kamailio_records(kam))
    p = ic.start_register(peers, "reg-refresh", PASSWORD, user=USER,
                          registrar="sip:%s:%d" % (ic.LOOPBACK, port), transport="udp",
                          expires=600)
    _, reg = ic.wait_event(p, ic.reg_state("registered"), 8)
    tap.ok(reg is not None and reg.get("expires") == GRANT, E_DESCS[0],
           lambda: ["registered event: %s" % reg] + ev_diag(p))
    if reg is None:
        tap.skip_rest(E_DESCS[1:], "bellbird did not register")
        return
    hp = ic.uri_hostport(reg.get("contact"))
    time.sleep(ic.bounded(REFRESH_RUN))
    recs = ic.kamailio_records(kam)[n0:]
    stored = saves(recs, hp, zero=False)
    times = [float(r["t"]) for r in stored if r.get("t")]
    gaps = [b - a for a, b in zip(times, times[1:])]
    stale = [r for r in recs if r["kind"] == "BBAUTH" and r.get("rc") == "-4"]
    failed = [e for e in ic.reg_events(p) if e.get("state") == "failed"]
    t_end = time.time()
    last_gap = t_end - times[-1] if times else None
    tap.ok(len(stored) >= 3 and all(g < GRANT for g in gaps) and last_gap is not None
           and last_gap < GRANT and not failed and p.alive(), E_DESCS[1],
           lambda: ["saves of %s: %d, gaps %s s, since the last %s s; stale-nonce challenges %d; "
                    "failed events %s" % (hp, len(stored), ["%.2f" % g for g in gaps],
                                          last_gap, len(stale), failed)]
           + kam_diag(kam, n0) + ev_diag(p))
    tap.note("refresh: %d saves, gaps %s s, %d stale-nonce challenges answered"
             % (len(stored), ", ".join("%.2f" % g for g in gaps), len(stale)))
    p.stop()


def body(tap):
    reason = ic.kamailio_missing()
    if reason:
        tap.skip_rest(ALL_DESCS, reason)
        return
    no_tls = tls_missing()
    transports = [t for t in TRANSPORTS if not (t == "tls" and no_tls)]

    with ic.Peers() as peers:
        port = ic.free_port()
        tls_port = port + 1
        rundir = peers.mkdtemp("kamailio")
        certs = ic.make_certs(rundir) if not no_tls else {"ca": None}
        ic.write_kamailio_cfg(rundir, port, tls_port=None if no_tls else tls_port,
                              users={"alice": PASSWORD}, cert=certs.get("server"),
                              key=certs.get("server_key"))
        ok, out = ic.check_kamailio_cfg(os.path.join(rundir, "kamailio.cfg"))
        kam, ready = (None, False)
        if ok:
            kam, ready = ic.start_kamailio(peers, "kamailio", rundir, port,
                                           tls_port=None if no_tls else tls_port)
        if not ready:
            why = (["kamailio -c refused the generated config:"] + ic.tail(out, 20) if not ok
                   else ["kamailio did not come up"] + kam.diag(30))
            for t in TRANSPORTS:
                for d in a_descs(t):
                    tap.ok(False, d, why)
            for d in B_DESCS + [d for t in C_TRANSPORTS for d in c_descs(t)]:
                tap.ok(False, d, why)
        else:
            for t in TRANSPORTS:
                if t in transports:
                    case_a(tap, peers, kam, t, port, tls_port, certs)
                else:
                    tap.skip_rest(a_descs(t), no_tls)
            case_b(tap, peers, kam, port)
            for t in C_TRANSPORTS:
                case_c(tap, peers, kam, port, t)

    with ic.Peers() as peers:
        case_d(tap, peers)

    with ic.Peers() as peers:
        case_refresh(tap, peers)


if __name__ == "__main__":
    ic.run_tests(PLAN, body)
