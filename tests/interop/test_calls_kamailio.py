#!/usr/bin/env python3
"""Interop: calls between two bellbird-cli accounts through kamailio as registrar and
authenticating proxy on 127.0.0.1 (TAP).

kamailio's config comes from interop_common.write_kamailio_cfg(calls=True): bob registers
(Digest, 401), alice's INVITE is challenged with 407 and, once her Proxy-Authorization checks,
record-routed to bob's registered contact; in-dialog requests follow the Route.

A. alice calls bob (`call sip:bob@127.0.0.1:PORT --user sip:alice@bellbird.test
   --password-env`), bob is `register --auto-answer`: the call connects on both sides and ends
   on both after alice's BYE, which went through kamailio (Record-Route followed).
B. alice with a wrong password: one answer to the 407, then the call ends with 407 and
   "authentication failed"; kamailio saw exactly two INVITEs.
C. a user who is not registered: kamailio answers 404 and alice's call ends with 404.
"""

import interop_common as ic

states = ic.states

REALM = ic.KAMAILIO_REALM
ALICE = "sip:alice@%s" % REALM
BOB = "sip:bob@%s" % REALM
USERS = {"alice": "s3cret-alice", "bob": "s3cret-bob"}

A_DESCS = [
    "through kamailio: bob (register --auto-answer) registers; alice's call to bob connects and "
    "alice exits 0 after --duration",
    "through kamailio: kamailio challenged alice's first INVITE (407) and relayed the "
    "authenticated one (CSeq + 1) to bob's contact",
    "through kamailio: bob's call goes incoming -> connected -> ended (alice's BYE reached bob "
    "along the Record-Route, via kamailio)",
]
B_DESCS = [
    "wrong password through kamailio: alice's call ends with code 407 and 'authentication "
    "failed', never connected, exit 1; kamailio saw exactly 2 INVITEs for it",
]
C_DESCS = [
    "call to a user who is not registered: kamailio answers 404 after authenticating; alice's "
    "call ends with code 404, exit 1",
]
ALL_DESCS = A_DESCS + B_DESCS + C_DESCS


def records(kam, kind):
    return [r for r in ic.kamailio_records(kam) if r["kind"] == kind]


def alice_call(peers, name, kport, callee, password):
    p = ic.start_call(peers, name, "sip:%s@%s:%d" % (callee, ic.LOOPBACK, kport), duration=1,
                      user=ALICE, password=password)
    rc = p.wait(12)
    if rc is None:
        p.stop()
    return p, rc


def kam_diag(kam):
    return ["kamailio BB* records:"] + ["  %s" % r for r in ic.kamailio_records(kam)[-20:]] \
        + kam.diag(6)


def case_a(tap, peers, kam, kport):
    bob = ic.start_register(peers, "bob", USERS["bob"], user=BOB,
                            registrar="sip:%s:%d" % (ic.LOOPBACK, kport), extra=["--auto-answer"])
    _, reg = ic.wait_event(bob, lambda e: e.get("event") == "registration"
                           and e.get("state") == "registered", 8)
    alice, rc = alice_call(peers, "alice", kport, "bob", USERS["alice"])
    st = states(alice)
    tap.ok(reg is not None and rc == 0 and "connected" in st, A_DESCS[0],
           lambda: ["bob registered: %s; alice exit %s, states %s" % (reg, rc, st)]
           + alice.diag() + bob.diag() + kam_diag(kam))

    challenged = records(kam, "BBPAUTH")
    relayed = records(kam, "BBRELAY")
    ok = (len(challenged) >= 1 and len(relayed) == 1
          and relayed[0].get("ci") == challenged[0].get("ci")
          and int(relayed[0].get("cs") or 0) == int(challenged[0].get("cs") or 0) + 1
          and "bob@" in (relayed[0].get("ru") or ""))
    tap.ok(ok, A_DESCS[1], lambda: kam_diag(kam))

    _, ended = ic.wait_event(bob, ic.call_state("ended"), 5)
    routed = [r for r in records(kam, "BBROUTE") if r.get("rm") == "BYE"]
    bst = states(bob)
    tap.ok(bst[:1] == ["incoming"] and "connected" in bst and ended is not None and routed,
           A_DESCS[2], lambda: ["bob's states %s, BYEs routed by kamailio: %d" % (bst, len(routed))]
           + bob.diag() + kam_diag(kam))
    return bob


def case_b(tap, peers, kam, kport):
    n0 = len(ic.kamailio_records(kam))
    alice, rc = alice_call(peers, "alice-wrong", kport, "bob", "not-her-password")
    last = (ic.call_events(alice) or [{}])[-1]
    invites = [r for r in ic.kamailio_records(kam)[n0:]
               if r["kind"] == "BBREQ" and r.get("rm") == "INVITE"]
    tap.ok(rc == 1 and last.get("state") == "ended" and last.get("code") == 407
           and "authentication failed" in (last.get("reason") or "")
           and "connected" not in states(alice) and len(invites) == 2, B_DESCS[0],
           lambda: ["alice exit %s, last %s, %d INVITEs" % (rc, last, len(invites))]
           + alice.diag() + kam_diag(kam))


def case_c(tap, peers, kam, kport):
    alice, rc = alice_call(peers, "alice-nobody", kport, "carol", USERS["alice"])
    last = (ic.call_events(alice) or [{}])[-1]
    tap.ok(rc == 1 and last.get("state") == "ended" and last.get("code") == 404, C_DESCS[0],
           lambda: ["alice exit %s, last %s" % (rc, last)] + alice.diag() + kam_diag(kam))


def body(tap):
    reason = ic.kamailio_missing()
    if reason:
        tap.skip_rest(ALL_DESCS, reason)
        return
    with ic.Peers() as peers:
        kport = ic.free_port()
        rundir = peers.mkdtemp("kamailio")
        ic.write_kamailio_cfg(rundir, kport, users=USERS, ctl=False, calls=True)
        kam, ready = ic.start_kamailio(peers, "kamailio", rundir, kport)
        if not ready:
            for d in ALL_DESCS:
                tap.ok(False, d, ["kamailio did not start"] + kam.diag(20))
            return
        for fn in (case_a, case_b, case_c):
            n0 = tap.n
            try:
                fn(tap, peers, kam, kport)
            except Exception:  # noqa: BLE001 - one broken case must not hide the others
                import traceback
                descs = {case_a: A_DESCS, case_b: B_DESCS, case_c: C_DESCS}[fn]
                for d in descs[tap.n - n0:]:
                    tap.ok(False, d, ["exception in the test script:", traceback.format_exc()])


if __name__ == "__main__":
    ic.run_tests(len(ALL_DESCS), body)
