#!/usr/bin/env python3
"""Interop: calls between bellbird-cli (call / listen) and sipp on 127.0.0.1, over UDP (TAP).

- sipp built-in `uac` (-m 10 -r 10) -> `bellbird-cli listen --auto-answer --max-calls 10`.
- `bellbird-cli call --duration 1` -> sipp built-in `uas`.
- Our scenarios (scenarios/call_*.xml, written for Bellbird):
  call_uas_486.xml          sipp answers 486: bellbird gives up (exit 1, code 486) and ACKs it.
  call_uas_lose_invite.xml  sipp ignores the INVITE for 1.3 s: bellbird retransmits (Timer A),
                            then the call connects.
  call_uas_resend_200.xml   sipp sends its 200 twice: bellbird ACKs each copy.
  call_uac_bye_unknown.xml  BYE for a dialog listen never had -> 481.
  call_uac_cancel.xml       CANCEL while listen rings (--auto-answer=5) -> 200 + 487, ACK.
  call_uac_require.xml      INVITE with Require: nothingweknow -> 420 + Unsupported.
  call_uas_200_no_totag.xml 200 OK without a To tag: bellbird survives, gives up (exit 1) and
                            sends nothing to the dialog that was never formed.
  call_uas_ring_cancel.xml  bellbird-cli call gets SIGTERM while ringing -> CANCEL, 487, ACK.
  call_uas_407.xml          407 to the INVITE: call --user --password-env sends it again with
                            Proxy-Authorization (checked here) and connects.
  call_uas_401_refused.xml  401 to every INVITE (a wrong password): one answer, then give up.
  call_uas_302.xml          302 with two Contacts (q=0.2, q=0.9): the q=0.9 one is called.
  call_uas_488_srtp.xml     488 to an offer with a=crypto: --srtp optional calls again without
                            it (CSeq + 1) and the call connects, unencrypted (media event).
  (generated here)          302 to every INVITE, alternating between two Contacts: bellbird
                            follows 5 redirects, then gives up with the 6th 302.
"""

import os
import re
import signal
import time

import interop_common as ic

finish = ic.finish
states = ic.states

UAC_DESCS = [
    "sipp -sn uac (-m 10 -r 10) -> listen --auto-answer --max-calls 10 --max-concurrent 10: sipp "
    "exits 0 with 10 "
    "successful calls and no failed call",
    "listen: 10 incoming calls, each incoming -> connected -> ended; listen exits 0 by itself "
    "after the 10th",
]
UAS_DESCS = [
    "call --duration 1 -> sipp -sn uas: bellbird-cli call exits 0; its call goes dialing -> "
    "connected -> ended",
    "sipp -sn uas exits 0; its trace has bellbird's INVITE, then ACK (after the 200), then BYE, "
    "in the same Call-ID",
]
LOST_DESCS = [
    "a peer that stops sending (sipp -sn uas answers with SDP and sends no RTP or RTCP): call "
    "--media-timeout 3 --duration 25 ends the call by itself within 15 s, reason 'nothing came "
    "from the other side for N s: the connection is lost' (N >= 3) and lost: true, and exits 0",
    "lost call: sipp got bellbird's BYE for it and exits 0",
]
BUSY_DESCS = [
    "486 Busy Here: bellbird-cli call exits 1; its last event is 'ended' with code 486, it never "
    "connected",
    "486 Busy Here: sipp got the ACK for the 486 (the INVITE's branch, the 486's To tag, CSeq "
    "n ACK) and exits 0",
]
LOSE_DESCS = [
    "first INVITE unanswered for 1.3 s: bellbird retransmits it over UDP (first copy 0.4-0.8 s "
    "after the original, same branch) and the call connects (call exits 0)",
    "first INVITE unanswered: sipp ran the rest of the call (200, ACK, BYE) and exits 0",
]
TWICE_DESCS = [
    "200 sent twice: bellbird ACKs each copy (2 ACKs, the second after the second 200, same "
    "Call-ID, tags and CSeq number) and reports a single 'connected'",
    "200 sent twice: call exits 0 after BYE; sipp exits 0",
]
BYE481_DESCS = [
    "BYE for an unknown dialog -> listen answers 481 (sipp exits 0); listen keeps running and "
    "reports no call",
]
CANCEL_DESCS = [
    "CANCEL before answer (listen --auto-answer=5): 200 for the CANCEL, 487 for the INVITE, "
    "sipp's ACK of the 487 taken; sipp exits 0",
    "CANCEL before answer: listen's call goes incoming -> ended with code 487, never connected; "
    "listen exits 0 after --max-calls 1",
]
REQUIRE_DESCS = [
    "INVITE with Require: nothingweknow -> 420 Bad Extension with Unsupported: nothingweknow "
    "(sipp checks it and ACKs, exits 0); listen reports no call and keeps running",
]
NOTAG_DESCS = [
    "200 without a To tag: bellbird-cli call does not crash; it exits 1 with an 'ended' event "
    "that gives a reason",
    "200 without a To tag: bellbird sends no ACK and no BYE to the dialog that was never formed",
]
SIGTERM_DESCS = [
    "SIGTERM while ringing: bellbird sends a CANCEL with the INVITE's branch, Call-ID, From tag "
    "and CSeq number",
    "SIGTERM while ringing: bellbird ACKs the 487 (the INVITE's branch) and exits 1 with 'ended' "
    "code 487; sipp exits 0",
]
AUTH_DESCS = [
    "407 to the INVITE: bellbird ACKs it and sends the INVITE again with the same Call-ID and "
    "From tag, CSeq + 1, a new branch and a Proxy-Authorization whose MD5 qop=auth response is "
    "right for alice's password (realm, nonce, opaque, uri of the Request-URI)",
    "407 then 200: bellbird-cli call --user --password-env connects and exits 0 after its BYE; "
    "its From is the account; sipp exits 0",
]
REFUSED_DESCS = [
    "401 to every INVITE (wrong password): bellbird answers the first challenge once, ACKs both "
    "401s, sends no third INVITE and exits 1 with 'ended' code 401 and reason 'authentication failed', "
    "never connected",
]
REDIRECT_DESCS = [
    "302 with Contacts q=0.2 and q=0.9: bellbird ACKs it and sends a new INVITE to the q=0.9 "
    "Contact (Request-URI sip:moved@... without the Contact's ?headers), same Call-ID, From tag "
    "and To, CSeq + 1",
    "302 then 200: the call connects and ends with BYE to the new Contact; call exits 0 with a "
    "single 'connected'; sipp exits 0",
]
REDIRECT_LOOP_DESCS = [
    "302 to every INVITE (two Contacts in turn): bellbird follows 5 redirects (6 INVITEs, each "
    "302 ACKed, no 7th INVITE within 1.5 s), then ends with code 302 (exit 1), never connected",
]
SRTP_488_DESCS = [
    "--srtp optional, 488 to the offer with a=crypto: bellbird ACKs it and calls again (same "
    "Call-ID, CSeq + 1) without a=crypto; the call connects and its media event says "
    "encrypted=false; call and sipp exit 0",
]
NO_PASSWORD_DESCS = [
    "401 to a call from an account without a password: one INVITE, its 401 ACKed, 'ended' code "
    "401 saying the account has no password (exit 1)",
]

CASES = []
ALL_DESCS = []


def case(descs):
    def deco(fn):
        CASES.append((fn, descs))
        ALL_DESCS.extend(descs)
        return fn
    return deco


def missing():
    if not ic.bellbird_cli():
        return "BELLBIRD_CLI not set or not executable"
    if not ic.sipp_path():
        return "sipp not installed (package sip-tester)"
    return None


def cseq_num(msg):
    v = (ic.header(msg, "CSeq") or "").split()
    return v[0] if v else None


def listen_ready(peers, name, extra):
    port = ic.free_port()
    p = ic.start_listen(peers, name, port, transport="udp", extra=extra, duration=40)
    ok = ic.wait_listening(p, "UDP", port, 5)
    return p, port, ok


def last_call_event(proc):
    evs = ic.call_events(proc)
    return evs[-1] if evs else None


# --------------------------------------------------------------------------------------------

@case(UAC_DESCS)
def case_builtin_uac(tap, peers):
    listen, port, ready = listen_ready(peers, "listen", ["--auto-answer", "--max-calls", "10",
                                                      "--max-concurrent", "10"])
    if not ready:
        for d in UAC_DESCS:
            tap.ok(False, d, ["listen did not report listening"] + listen.diag())
        return
    sipp = ic.start_sipp_call(peers, "sipp-uac", ic.free_port(), builtin="uac", calls=10, rate=10,
                              timeout_s=20, remote="%s:%d" % (ic.LOOPBACK, port))
    src = finish(sipp, 25)
    lrc = finish(listen, 6)
    ok_calls = ic.sipp_stat_int(sipp, "SuccessfulCall(C)")
    failed = ic.sipp_stat_int(sipp, "FailedCall(C)")
    tap.ok(src == 0 and ok_calls == 10 and failed == 0, UAC_DESCS[0],
           lambda: ["sipp exit %s, SuccessfulCall(C)=%s FailedCall(C)=%s" % (src, ok_calls, failed)]
           + ic.sipp_diag(sipp))
    hist = ic.call_histories(listen)
    good = [i for i, h in hist.items() if h == ["incoming", "connected", "ended"]]
    dirs = {e.get("direction") for e in ic.call_events(listen)}
    tap.ok(len(hist) == 10 and len(good) == 10 and dirs == {"incoming"} and lrc == 0,
           UAC_DESCS[1],
           lambda: ["listen exit %s; %d calls, %d with incoming/connected/ended; directions %s"
                    % (lrc, len(hist), len(good), sorted(dirs))]
           + ["  call %s: %s" % (i, h) for i, h in sorted(hist.items())] + listen.diag())


@case(UAS_DESCS)
def case_builtin_uas(tap, peers):
    sport = ic.free_port()
    sipp = ic.start_sipp_call(peers, "sipp-uas", sport, builtin="uas", calls=1, timeout_s=15)
    ic.wait_bound(sport, "udp", 5)
    call = ic.start_call(peers, "call", "sip:x@%s:%d" % (ic.LOOPBACK, sport), duration=1)
    crc = finish(call, 12)
    src = finish(sipp, 6)
    st = states(call)
    tap.ok(crc == 0 and st[:1] == ["dialing"] and "connected" in st and st[-1:] == ["ended"],
           UAS_DESCS[0], lambda: ["call exit %s, states %s" % (crc, st)] + call.diag())
    msgs = ic.parse_trace(sipp.msg_path)
    got = [ic.first_line(m).split(" ", 1)[0] for m in msgs if m["dir"] == "received"]
    seq = [m for m in got if m in ("INVITE", "ACK", "BYE")]
    cids = {ic.header(m, "Call-ID") for m in msgs if m["dir"] == "received"}
    tap.ok(src == 0 and seq == ["INVITE", "ACK", "BYE"] and len(cids) == 1, UAS_DESCS[1],
           lambda: ["sipp exit %s, requests received %s, Call-IDs %s" % (src, got, cids)]
           + ic.sipp_diag(sipp))


@case(LOST_DESCS)
def case_media_timeout(tap, peers):
    sport = ic.free_port()
    # sipp waits up to 20 s for the BYE (its -recv_timeout, the last one given, wins).
    sipp = ic.start_sipp_call(peers, "sipp-silent", sport, builtin="uas", calls=1, timeout_s=30,
                              extra=["-recv_timeout", "20000"])
    ic.wait_bound(sport, "udp", 5)
    start = time.monotonic()
    call = ic.start_call(peers, "call-lost", "sip:x@%s:%d" % (ic.LOOPBACK, sport), duration=25,
                         extra=["--media-timeout", "3", "--audio-in", "tone",
                                "--audio-out", "none"])
    crc = finish(call, 20)
    took = time.monotonic() - start
    src = finish(sipp, 6)
    last = last_call_event(call)
    reason = (last or {}).get("reason") or ""
    m = re.match(r"nothing came from the other side for (\d+) s: the connection is lost$", reason)
    tap.ok(crc == 0 and "connected" in states(call) and last and last.get("state") == "ended"
           and m is not None and int(m.group(1)) >= 3 and last.get("lost") is True
           and took < 15, LOST_DESCS[0],
           lambda: ["call exit %s after %.1f s, states %s, last event %s"
                    % (crc, took, states(call), last)] + call.diag())
    msgs = ic.parse_trace(sipp.msg_path)
    byes = ic.trace_requests(msgs, "BYE")
    tap.ok(src == 0 and len(byes) >= 1, LOST_DESCS[1],
           lambda: ["sipp exit %s, %d BYE received" % (src, len(byes))] + ic.sipp_diag(sipp))


@case(BUSY_DESCS)
def case_486(tap, peers):
    call, crc, sipp, src, msgs = call_scenario(peers, "call_uas_486.xml", "busy")
    last = last_call_event(call)
    st = states(call)
    tap.ok(crc == 1 and last and last.get("state") == "ended" and last.get("code") == 486
           and "connected" not in st, BUSY_DESCS[0],
           lambda: ["call exit %s, states %s, last event %s" % (crc, st, last)] + call.diag())
    inv = ic.trace_requests(msgs, "INVITE")
    acks = ic.trace_requests(msgs, "ACK")
    busy = ic.trace_responses(msgs, 486)
    ok = (src == 0 and inv and acks and busy
          and ic.via_branch(acks[0]) == ic.via_branch(inv[0])
          and ic.tag_of(ic.header(acks[0], "To")) == ic.tag_of(ic.header(busy[0], "To"))
          and (ic.header(acks[0], "CSeq") or "").split() == [cseq_num(inv[0]), "ACK"])
    tap.ok(ok, BUSY_DESCS[1],
           lambda: ["sipp exit %s, %d INVITE, %d ACK, %d 486 in the trace"
                    % (src, len(inv), len(acks), len(busy))] + ic.sipp_diag(sipp))


@case(LOSE_DESCS)
def case_lose_invite(tap, peers):
    call, crc, sipp, src, msgs = call_scenario(peers, "call_uas_lose_invite.xml", "lossy")
    inv = ic.trace_requests(msgs, "INVITE")
    ok200 = ic.trace_responses(msgs, 200, cseq_method="INVITE")
    gap = inv[1]["time"] - inv[0]["time"] if len(inv) >= 2 else None
    before_200 = [m for m in inv if not ok200 or m["time"] <= ok200[0]["time"]]
    same = len({ic.via_branch(m) for m in inv}) == 1
    st = states(call)
    tap.ok(crc == 0 and len(before_200) >= 2 and gap is not None and 0.4 <= gap <= 0.8 and same
           and "connected" in st, LOSE_DESCS[0],
           lambda: ["call exit %s, states %s; %d INVITE copies before the 200, first gap %s s, "
                    "one branch: %s" % (crc, st, len(before_200), gap, same)]
           + ["  INVITE at +%.3f s" % (m["time"] - inv[0]["time"]) for m in inv]
           + call.diag() + ic.sipp_diag(sipp))
    tap.note("INVITE copies before the 200: %d; first retransmission after %s s"
             % (len(before_200), "%.3f" % gap if gap is not None else "-"))
    tap.ok(src == 0, LOSE_DESCS[1], lambda: ["sipp exit %s" % src] + ic.sipp_diag(sipp))


@case(TWICE_DESCS)
def case_resend_200(tap, peers):
    call, crc, sipp, src, msgs = call_scenario(peers, "call_uas_resend_200.xml", "twice",
                                               duration=2)
    oks = ic.trace_responses(msgs, 200, cseq_method="INVITE")
    acks = ic.trace_requests(msgs, "ACK")
    inv = ic.trace_requests(msgs, "INVITE")

    def key(m):
        return (ic.header(m, "Call-ID"), ic.tag_of(ic.header(m, "From")),
                ic.tag_of(ic.header(m, "To")), cseq_num(m))

    ok = (len(oks) == 2 and oks[0]["text"] == oks[1]["text"] and len(acks) == 2
          and acks[0]["time"] >= oks[0]["time"] and acks[1]["time"] >= oks[1]["time"]
          and inv and key(acks[0]) == key(acks[1]) == key(oks[0])
          and states(call).count("connected") == 1)
    tap.ok(ok, TWICE_DESCS[0],
           lambda: ["%d identical 200s, %d ACKs; states %s" % (len(oks), len(acks), states(call))]
           + ["  %s %s at %.3f" % (m["dir"], ic.first_line(m), m["time"]) for m in msgs]
           + ["  ACK keys %s" % [key(a) for a in acks]] + ic.sipp_diag(sipp))
    tap.ok(crc == 0 and src == 0, TWICE_DESCS[1],
           lambda: ["call exit %s, sipp exit %s" % (crc, src)] + call.diag() + ic.sipp_diag(sipp))


@case(BYE481_DESCS)
def case_bye_unknown(tap, peers):
    listen, port, ready = listen_ready(peers, "listen", ["--auto-answer"])
    sipp = ic.start_sipp_call(peers, "sipp-bye", ic.free_port(), scenario="call_uac_bye_unknown.xml",
                              remote="%s:%d" % (ic.LOOPBACK, port))
    src = finish(sipp, 10)
    time.sleep(0.2)
    msgs = ic.parse_trace(sipp.msg_path)
    got = [ic.first_line(m) for m in msgs if m["dir"] == "received"]
    tap.ok(ready and src == 0 and any(g.startswith("SIP/2.0 481") for g in got)
           and listen.alive() and not ic.call_events(listen), BYE481_DESCS[0],
           lambda: ["listening %s, sipp exit %s, responses %s, listen alive %s, call events %s"
                    % (ready, src, got, listen.alive(), ic.call_events(listen))]
           + ic.sipp_diag(sipp) + listen.diag())


@case(CANCEL_DESCS)
def case_cancel(tap, peers):
    listen, port, ready = listen_ready(peers, "listen", ["--auto-answer=5", "--max-calls", "1"])
    sipp = ic.start_sipp_call(peers, "sipp-cancel", ic.free_port(), scenario="call_uac_cancel.xml",
                              remote="%s:%d" % (ic.LOOPBACK, port))
    src = finish(sipp, 10)
    lrc = finish(listen, 4)
    msgs = ic.parse_trace(sipp.msg_path)
    c200 = ic.trace_responses(msgs, 200, direction="received", cseq_method="CANCEL")
    r487 = ic.trace_responses(msgs, 487, direction="received", cseq_method="INVITE")
    i200 = ic.trace_responses(msgs, 200, direction="received", cseq_method="INVITE")
    acks = ic.trace_requests(msgs, "ACK", direction="sent")
    tap.ok(ready and src == 0 and c200 and r487 and acks and not i200, CANCEL_DESCS[0],
           lambda: ["listening %s, sipp exit %s; 200/CANCEL %d, 487/INVITE %d, 200/INVITE %d, "
                    "ACK sent %d" % (ready, src, len(c200), len(r487), len(i200), len(acks)),
                    "responses sipp received: %s"
                    % ["%s (CSeq %s)" % (ic.first_line(m), ic.header(m, "CSeq")) for m in msgs
                       if m["dir"] == "received" and ic.first_line(m).startswith("SIP/2.0")]]
           + ic.sipp_diag(sipp))
    st = states(listen)
    last = last_call_event(listen)
    tap.ok(st == ["incoming", "ended"] and last.get("code") == 487 and lrc == 0, CANCEL_DESCS[1],
           lambda: ["listen exit %s, states %s, last %s" % (lrc, st, last)] + listen.diag())


@case(REQUIRE_DESCS)
def case_require(tap, peers):
    listen, port, ready = listen_ready(peers, "listen", ["--auto-answer"])
    sipp = ic.start_sipp_call(peers, "sipp-require", ic.free_port(), scenario="call_uac_require.xml",
                              remote="%s:%d" % (ic.LOOPBACK, port))
    src = finish(sipp, 10)
    time.sleep(0.2)
    msgs = ic.parse_trace(sipp.msg_path)
    r420 = ic.trace_responses(msgs, 420, direction="received")
    unsup = ic.header(r420[0], "Unsupported") if r420 else None
    tap.ok(ready and src == 0 and r420 and unsup and "nothingweknow" in unsup.lower()
           and listen.alive() and not ic.call_events(listen), REQUIRE_DESCS[0],
           lambda: ["listening %s, sipp exit %s, 420s %d, Unsupported %r, listen alive %s, call "
                    "events %s" % (ready, src, len(r420), unsup, listen.alive(),
                                   ic.call_events(listen))]
           + ic.sipp_diag(sipp) + listen.diag())


@case(NOTAG_DESCS)
def case_no_totag(tap, peers):
    call, crc, sipp, src, msgs = call_scenario(peers, "call_uas_200_no_totag.xml", "notag")
    last = last_call_event(call)
    tap.ok(crc == 1 and last and last.get("state") == "ended" and last.get("reason"),
           NOTAG_DESCS[0],
           lambda: ["call exit %s (negative: killed by that signal), last event %s" % (crc, last)]
           + call.diag())
    if last:
        tap.note("ended event: code %s, reason %r" % (last.get("code"), last.get("reason")))
    got = [ic.first_line(m) for m in msgs if m["dir"] == "received"]
    bad = [g for g in got if g.split(" ", 1)[0] in ("ACK", "BYE")]
    tap.ok(not bad, NOTAG_DESCS[1],
           lambda: ["requests received by sipp: %s (sipp exit %s)" % (got, src)]
           + ic.sipp_diag(sipp))
    tap.note("requests sipp received: %s" % ", ".join(g.split(" ", 1)[0] for g in got))


@case(SIGTERM_DESCS)
def case_sigterm_ringing(tap, peers):
    sport = ic.free_port()
    sipp = ic.start_sipp_call(peers, "sipp-ring", sport, scenario="call_uas_ring_cancel.xml")
    ic.wait_bound(sport, "udp", 5)
    call = ic.start_call(peers, "call", "sip:ring@%s:%d" % (ic.LOOPBACK, sport), duration=1)
    _, ev = ic.wait_event(call, ic.call_state("ringing"), 6)
    if ev:
        time.sleep(0.2)
        call.p.send_signal(signal.SIGTERM)
    crc = finish(call, 8)
    src = finish(sipp, 6)
    msgs = ic.parse_trace(sipp.msg_path)
    inv = ic.trace_requests(msgs, "INVITE")
    can = ic.trace_requests(msgs, "CANCEL")
    acks = ic.trace_requests(msgs, "ACK")

    def same(a, b, f):
        return f(a) == f(b)
    ok = (ev and inv and can and same(inv[0], can[0], ic.via_branch)
          and same(inv[0], can[0], lambda m: ic.header(m, "Call-ID"))
          and same(inv[0], can[0], lambda m: ic.tag_of(ic.header(m, "From")))
          and same(inv[0], can[0], cseq_num)
          and (ic.header(can[0], "CSeq") or "").split()[-1:] == ["CANCEL"])
    tap.ok(ok, SIGTERM_DESCS[0],
           lambda: ["ringing seen: %s; %d INVITE, %d CANCEL" % (bool(ev), len(inv), len(can))]
           + ["  %s" % m["text"].replace("\r", "") for m in (inv[:1] + can[:1])]
           + call.diag() + ic.sipp_diag(sipp))
    last = last_call_event(call)
    tap.ok(ev and acks and inv and ic.via_branch(acks[0]) == ic.via_branch(inv[0]) and crc == 1
           and last and last.get("state") == "ended" and last.get("code") == 487 and src == 0,
           SIGTERM_DESCS[1],
           lambda: ["call exit %s, last event %s, %d ACK, sipp exit %s"
                    % (crc, last, len(acks), src)] + call.diag() + ic.sipp_diag(sipp))


def call_scenario(peers, scenario, callee, duration=1, **kw):
    """sipp runs scenario; `bellbird-cli call sip:CALLEE@sipp --duration DURATION` (kw: more
    for ic.start_call) calls it; both run to their end. Returns (call, call exit, sipp, sipp
    exit, traced messages)."""
    sport = ic.free_port()
    sipp = ic.start_sipp_call(peers, "sipp-" + callee, sport, scenario=scenario)
    ic.wait_bound(sport, "udp", 5)
    call = ic.start_call(peers, "call", "sip:%s@%s:%d" % (callee, ic.LOOPBACK, sport),
                         duration=duration, **kw)
    crc = finish(call, 12)
    src = finish(sipp, 6)
    return call, crc, sipp, src, ic.parse_trace(sipp.msg_path)


def call_with_password(peers, scenario, password):
    """call_scenario from alice's account with password; also returns the INVITEs and ACKs."""
    call, crc, sipp, src, msgs = call_scenario(peers, scenario, "pbx",
                                               user="sip:alice@pbx.bellbird.test",
                                               password=password)
    return (call, crc, sipp, src, msgs, ic.trace_requests(msgs, "INVITE"),
            ic.trace_requests(msgs, "ACK"))


@case(AUTH_DESCS)
def case_auth_407(tap, peers):
    call, crc, sipp, src, msgs, inv, acks = call_with_password(peers, "call_uas_407.xml",
                                                               "s3cret-call")
    p = ic.digest_params(ic.header(inv[1], "Proxy-Authorization")) if len(inv) == 2 else None
    ok = (len(inv) == 2 and len(acks) == 2 and p is not None
          and ic.header(inv[0], "Call-ID") == ic.header(inv[1], "Call-ID")
          and ic.tag_of(ic.header(inv[0], "From")) == ic.tag_of(ic.header(inv[1], "From"))
          and int(cseq_num(inv[1])) == int(cseq_num(inv[0])) + 1
          and ic.via_branch(inv[0]) != ic.via_branch(inv[1])
          and ic.via_branch(acks[0]) == ic.via_branch(inv[0])
          and p.get("username") == "alice" and p.get("realm") == "pbx.bellbird.test"
          and p.get("nonce") == "a7c3e9f1b2d4c6e8a0b2c4d6e8f0a1b3" and p.get("opaque") == "p1b2x3"
          and p.get("qop") == "auth"
          and p.get("uri") == ic.first_line(inv[1]).split()[1]
          and p.get("response") == ic.digest_expected(p, "INVITE", "s3cret-call"))
    tap.ok(ok, AUTH_DESCS[0],
           lambda: ["%d INVITE, %d ACK; credentials %s" % (len(inv), len(acks), p)]
           + ["  %s %s" % (m["dir"], ic.first_line(m)) for m in msgs] + ic.sipp_diag(sipp))
    st = states(call)
    frm = ic.header(inv[0], "From") if inv else None
    tap.ok(crc == 0 and src == 0 and "connected" in st and frm
           and "sip:alice@pbx.bellbird.test" in frm, AUTH_DESCS[1],
           lambda: ["call exit %s, sipp exit %s, states %s, From %s" % (crc, src, st, frm)]
           + call.diag() + ic.sipp_diag(sipp))


@case(REFUSED_DESCS)
def case_auth_refused(tap, peers):
    call, crc, sipp, src, msgs, inv, acks = call_with_password(peers, "call_uas_401_refused.xml",
                                                               "wrong")
    last = last_call_event(call)
    st = states(call)
    ok = (len(inv) == 2 and len(acks) == 2 and crc == 1 and "connected" not in st
          and last and last.get("state") == "ended" and last.get("code") == 401
          and "authentication failed" in (last.get("reason") or "")
          and ic.header(inv[1], "Authorization"))
    tap.ok(ok, REFUSED_DESCS[0],
           lambda: ["%d INVITE, %d ACK; call exit %s, sipp exit %s, states %s, last %s"
                    % (len(inv), len(acks), crc, src, st, last)]
           + ["  %s %s" % (m["dir"], ic.first_line(m)) for m in msgs]
           + call.diag() + ic.sipp_diag(sipp))


@case(REDIRECT_DESCS)
def case_redirect(tap, peers):
    call, crc, sipp, src, msgs = call_scenario(peers, "call_uas_302.xml", "old")
    inv = ic.trace_requests(msgs, "INVITE")
    acks = ic.trace_requests(msgs, "ACK")
    byes = ic.trace_requests(msgs, "BYE")
    ok = (len(inv) == 2 and len(acks) == 2
          and ic.first_line(inv[0]).split()[1].startswith("sip:old@")
          and ic.first_line(inv[1]).split()[1].startswith("sip:moved@")
          and "?" not in ic.first_line(inv[1]).split()[1]
          and ic.header(inv[0], "Call-ID") == ic.header(inv[1], "Call-ID")
          and ic.tag_of(ic.header(inv[0], "From")) == ic.tag_of(ic.header(inv[1], "From"))
          and ic.header(inv[0], "To") == ic.header(inv[1], "To")
          and int(cseq_num(inv[1])) == int(cseq_num(inv[0])) + 1)
    tap.ok(ok, REDIRECT_DESCS[0],
           lambda: ["  %s %s" % (m["dir"], ic.first_line(m)) for m in msgs] + ic.sipp_diag(sipp))
    st = states(call)
    tap.ok(crc == 0 and src == 0 and st.count("connected") == 1 and len(byes) == 1
           and ic.first_line(byes[0]).split()[1].startswith("sip:moved@"), REDIRECT_DESCS[1],
           lambda: ["call exit %s, sipp exit %s, states %s" % (crc, src, st)] + call.diag()
           + ic.sipp_diag(sipp))


@case(NO_PASSWORD_DESCS)
def case_auth_no_password(tap, peers):
    call, crc, sipp, src, msgs = call_scenario(peers, "call_uas_401_refused.xml", "pbx",
                                               user="sip:alice@pbx.bellbird.test")
    inv = ic.trace_requests(msgs, "INVITE")
    acks = ic.trace_requests(msgs, "ACK")
    last = last_call_event(call)
    tap.ok(len(inv) == 1 and len(acks) == 1 and crc == 1 and last and last.get("code") == 401
           and "has none" in (last.get("reason") or ""), NO_PASSWORD_DESCS[0],
           lambda: ["%d INVITE, %d ACK, call exit %s, last %s" % (len(inv), len(acks), crc, last)]
           + call.diag() + ic.sipp_diag(sipp))


def redirect_loop_scenario(path, rounds):
    """Writes a sipp scenario that answers `rounds` INVITEs (one Call-ID) with 302, sending the
    caller to sip:hop1@ and sip:hop2@ in turn, then checks that no further INVITE comes."""
    step = """
  <recv request="INVITE"/>
  <send><![CDATA[

      SIP/2.0 302 Moved Temporarily
      [last_Via:]
      [last_From:]
      [last_To:];tag=bbloop%(i)d-[pid]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:hop%(hop)d@[local_ip]:[local_port]>
      Content-Length: 0

  ]]></send>
  <recv request="ACK"/>
"""
    body = "".join(step % {"i": i, "hop": 1 + i % 2} for i in range(rounds))
    with open(path, "w") as f:
        f.write('<?xml version="1.0" encoding="ISO-8859-1" ?>\n'
                '<scenario name="bellbird redirect loop">%s'
                '  <recv request="INVITE" timeout="1500" ontimeout="done"/>\n'
                '  <label id="done"/>\n</scenario>\n' % body)
    return path


@case(REDIRECT_LOOP_DESCS)
def case_redirect_loop(tap, peers):
    scenario = redirect_loop_scenario(os.path.join(peers.mkdtemp("loop"), "loop.xml"), 6)
    call, crc, sipp, src, msgs = call_scenario(peers, scenario, "loop")
    inv = ic.trace_requests(msgs, "INVITE")
    acks = ic.trace_requests(msgs, "ACK")
    last = last_call_event(call)
    tap.ok(len(inv) == 6 and len(acks) == 6 and crc == 1 and last
           and last.get("code") == 302 and "connected" not in states(call), REDIRECT_LOOP_DESCS[0],
           lambda: ["%d INVITE, %d ACK, call exit %s, sipp exit %s, last %s"
                    % (len(inv), len(acks), crc, src, last)] + call.diag() + ic.sipp_diag(sipp))


@case(SRTP_488_DESCS)
def case_srtp_488(tap, peers):
    call, crc, sipp, src, msgs = call_scenario(peers, "call_uas_488_srtp.xml", "plain",
                                               extra=["--srtp", "optional"])
    inv = ic.trace_requests(msgs, "INVITE")
    media = [e for e in call.events() if e.get("event") == "media"]
    same = len(inv) == 2 and ic.header(inv[0], "Call-ID") == ic.header(inv[1], "Call-ID") and \
        int(cseq_num(inv[1])) == int(cseq_num(inv[0])) + 1
    tap.ok(crc == 0 and src == 0 and same and "connected" in states(call)
           and media and media[-1].get("encrypted") is False, SRTP_488_DESCS[0],
           lambda: ["call exit %s, sipp exit %s, %d INVITEs (same dialog, CSeq + 1: %s), media %s"
                    % (crc, src, len(inv), same, media)] + call.diag() + ic.sipp_diag(sipp))


if __name__ == "__main__":
    ic.run_cases(CASES, ALL_DESCS, missing)
