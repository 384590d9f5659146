#!/usr/bin/env python3
"""Interop: mid-call features between bellbird-cli (call / listen) and sipp on 127.0.0.1 over
UDP (TAP). Our scenarios (scenarios/mid_*.xml, written for Bellbird):

  mid_uas_hold.xml      call --hold-after 0.5 --hold-for 1: two re-INVITEs with SDP (hold,
                        resume), each ACKed; the o= line of each re-offer (RFC 3264 8).
  mid_uac_hold.xml      sipp holds listen with a=sendonly (hold remote=true), resumes with an
                        offerless re-INVITE: listen offers in its 200, sipp answers in the ACK.
  mid_uac_update.xml    UPDATE with SDP (sendonly, then sendrecv) and without (RFC 3311).
  mid_uas_glare.xml     crossing re-INVITEs: Bellbird answers sipp's 491, gets 491 itself and,
                        owning the Call-ID, retries 2.1-4 s later (RFC 3261 14.1, measured).
  mid_uac_491.xml       491 to listen's re-INVITE: the callee retries 0-2 s later (measured).
  mid_uas_422.xml       422 with Min-SE: 3600 -> INVITE again with Session-Expires: 3600.
  mid_uac_se_short.xml  INVITE with Session-Expires: 30 -> 422 with Min-SE: 90 (RFC 4028 9).
  mid_uac_se_uac.xml    Session-Expires: 120;refresher=uac -> 200 with it and Require: timer;
                        a refresh asking for 30 s -> 422; a proper refresh -> 200.
  mid_uas_refer.xml     call --transfer-to: REFER, 202, NOTIFY 100 / 200 -> BYE (RFC 3515).
  mid_uac_refer.xml     sipp REFERs listen to a second sipp (mid_uas_target.xml): 202, NOTIFYs
                        100 / 180 / 200 terminated, the new call reaches the target.
  mid_uas_bye_401.xml   a BYE challenged with 401 is sent again with credentials.
"""

import re
import sys
import time

sys.dont_write_bytecode = True   # importing test_calls_sipp must leave no __pycache__ in the tree

import interop_common as ic  # noqa: E402

events = ic.events
from test_calls_sipp import call_scenario, finish, listen_ready, missing, states  # noqa: E402

T = ic.Cases()

HOLD_DESCS = [
    "hold: call --hold-after 0.5 --hold-for 1 -> sipp uas: two re-INVITEs in the dialog (same "
    "Call-ID and tags, CSeq + 1 each, new branches), each with an SDP offer (m=audio); the hold "
    "0.3-1.0 s after the ACK, the resume 0.8-1.5 s after the hold's ACK; each 200 ACKed",
    "hold: events hold local=true then local=false (remote=false); the call exits 0 after its "
    "BYE (CSeq after the resume's); sipp exits 0",
    "hold: every re-offer keeps the o= line of Bellbird's previous SDP, version + 1 when it changed "
    "and the same when it did not (RFC 3264 8: same username, session id and address)",
]
REMOTE_HOLD_DESCS = [
    "held by sipp (re-INVITE a=sendonly after a sendrecv INVITE): listen's 200 has an SDP "
    "answer that does not send (recvonly or inactive, RFC 3264 6.1), sipp ACKs it; event hold "
    "remote=true",
    "offerless re-INVITE from sipp: listen's 200 carries an SDP offer, sipp's answer comes in "
    "the ACK and is taken: event hold remote=false; the call stays up until sipp's BYE (200); "
    "sipp exits 0",
]
UPDATE_DESCS = [
    "UPDATE with an SDP offer (a=sendonly): 200 with an SDP answer (not sending); event hold "
    "remote=true",
    "UPDATE with a=sendrecv: 200 with SDP, event remote=false; UPDATE without a body: 200 "
    "without a body; the call ends by sipp's BYE only; sipp exits 0",
]
GLARE_DESCS = [
    "glare (Bellbird calls): sipp's re-INVITE crossing Bellbird's pending hold re-INVITE gets "
    "491 Request Pending in the dialog (RFC 3261 14.2), which sipp ACKs",
    "glare (Bellbird calls): Bellbird ACKs sipp's 491 and, owning the Call-ID, sends its "
    "re-INVITE again 2.1-4.0 s after the 491 (CSeq + 1, new branch, SDP); the 200 ACKed, one "
    "hold local=true; call exits 0; sipp exits 0",
]
GLARE_CALLEE_DESCS = [
    "491 to listen's hold re-INVITE (listen was called): listen ACKs it and tries again 0-2.0 s "
    "after the 491 (CSeq + 1, new branch, SDP); the 200 ACKed; event hold local=true; sipp "
    "exits 0",
]
TIMER_422_DESCS = [
    "session timers: the INVITE has Supported: timer and Session-Expires: 1800; after 422 with "
    "Min-SE: 3600 Bellbird ACKs it and sends the INVITE again (same Call-ID and From tag, "
    "CSeq + 1, new branch) with Session-Expires: 3600 and Min-SE: 3600",
    "session timers: 422 then 200: the call connects once and exits 0 after its BYE; sipp "
    "exits 0",
]
TIMER_SHORT_DESCS = [
    "session timers: an INVITE with Supported: timer and Session-Expires: 30 gets 422 with "
    "Min-SE: 90 from listen (RFC 4028 9), no 200; sipp ACKs it; listen connects no call",
]
TIMER_UAC_DESCS = [
    "session timers: INVITE with Supported: timer, Session-Expires: 120;refresher=uac -> "
    "listen's 200 has Session-Expires: 120;refresher=uac and Require: timer (RFC 4028 9)",
    "session timers: in that call a refresh re-INVITE asking for Session-Expires: 30 gets 422 "
    "with Min-SE: 90; the next refresh (120;refresher=uac) gets 200 with the same "
    "Session-Expires; the call lasts until sipp's BYE; sipp exits 0",
]
REFER_OUT_DESCS = [
    "transfer (Bellbird the transferor): call --transfer-to sends REFER in the dialog once "
    "connected (same Call-ID and tags, CSeq + 1) with Refer-To: <the URI> and a Referred-By",
    "transfer: Bellbird answers both NOTIFYs (100 active, 200 terminated) 200, reports transfer "
    "202, 100, 200, then sends BYE (CSeq + 1); the call ends 'transferred', exit 0; sipp exits 0",
]
REFER_IN_DESCS = [
    "transfer (listen the transferee): sipp's REFER gets 202, then a NOTIFY in the dialog with "
    "Event: refer, Subscription-State: active, message/sipfrag 'SIP/2.0 100 Trying'; events "
    "'referred' (the Refer-To URI) then 'call' for the new call's id",
    "transfer: listen's new call reaches the second sipp (INVITE sip:target@...), rings and "
    "connects; the target hangs up 0.5 s later and exits 0",
    "transfer: the NOTIFYs follow the new call: 'SIP/2.0 180 Ringing' (active), then "
    "'SIP/2.0 200 OK' with Subscription-State: terminated;reason=noresource; sipp answers each "
    "and exits 0",
]
BYE_AUTH_DESCS = [
    "BYE challenged with 401: call --user --password-env sends the BYE again (same Call-ID and "
    "tags, CSeq + 1, new branch) with an Authorization whose MD5 qop=auth response is right; "
    "the 200 ends the call, call exits 0, sipp exits 0",
]


# --------------------------------------------------------------------------------------------
# Reading the trace

def cseq(msg):
    """(number, method) of a traced message's CSeq, or (None, None)."""
    v = (ic.header(msg, "CSeq") or "").split()
    return (int(v[0]), v[1]) if len(v) == 2 and v[0].isdigit() else (None, None)


def status(msg):
    parts = ic.first_line(msg).split(" ")
    return int(parts[1]) if len(parts) > 1 and parts[0] == "SIP/2.0" and parts[1].isdigit() else None


def body(msg):
    text = msg["text"].replace("\r", "")
    return text.split("\n\n", 1)[1].strip() if "\n\n" in text else ""


def has_sdp(msg):
    return ("application/sdp" in (ic.header(msg, "Content-Type") or "").lower()
            and "m=audio" in body(msg))


def direction(sdp):
    """The direction of the first stream (media level over session level; sendrecv if none)."""
    found = "sendrecv"
    for line in sdp.splitlines():
        line = line.strip()
        if line in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"):
            found = line[2:]
    return found


def tag(msg, name):
    return ic.tag_of(ic.header(msg, name))


def dialog(msg):
    """(Call-ID, {the two tags}) of a traced in-dialog message, whichever way it goes."""
    return ic.header(msg, "Call-ID"), frozenset((tag(msg, "From"), tag(msg, "To")))


def responses_to(msgs, number, method, direction="received"):
    return [m for m in msgs if m["dir"] == direction and status(m) and cseq(m) == (number, method)]


def normalise(value):
    return re.sub(r"\s+", "", (value or "").lower())


def timeline(msgs, t0=None):
    t0 = msgs[0]["time"] if t0 is None and msgs else (t0 or 0.0)
    return ["  %+8.3f s %-8s %s  [CSeq %s]" % (m["time"] - t0, m["dir"], ic.first_line(m),
                                               ic.header(m, "CSeq")) for m in msgs]


def o_line_problems(sdps):
    """RFC 3264 8: what is wrong in a party's successive SDPs' o= lines (empty: nothing): the
    same username, session id and address throughout; the version one up when the description
    changed, the same when it did not (a refresh sends the SDP it sent before)."""
    out = []
    prev = None
    prev_rest = None
    for i, sdp in enumerate(sdps):
        rest = [l for l in sdp.splitlines() if l.strip() and not l.startswith("o=")]
        o = next((l[2:].split() for l in sdp.splitlines() if l.startswith("o=")), None)
        if not o or len(o) != 6 or not o[2].isdigit():
            out.append("SDP %d: no usable o= line" % (i + 1))
            prev = None
            continue
        if prev:
            same = [prev[k] == o[k] for k in (0, 1, 3, 4, 5)]
            if not all(same):
                out.append("SDP %d: o=%s after o=%s: username/session id/address changed"
                           % (i + 1, " ".join(o), " ".join(prev)))
            elif rest != prev_rest and int(o[2]) != int(prev[2]) + 1:
                out.append("SDP %d: version %s after %s and a changed SDP (not + 1)"
                           % (i + 1, o[2], prev[2]))
            elif rest == prev_rest and int(o[2]) != int(prev[2]):
                out.append("SDP %d: version %s after %s for the same SDP (must not change)"
                           % (i + 1, o[2], prev[2]))
        prev = o
        prev_rest = rest
    return out


def holds(proc):
    return [(e.get("local"), e.get("remote")) for e in events(proc, "hold")]


def uac_run(peers, name, scenario, listen_extra=(), sipp_extra=(), sipp_wait=12):
    """listen --auto-answer on a free UDP port, sipp running SCENARIO as its caller, run to
    sipp's end; listen gets 0.3 s more for its events (it keeps running). Returns (listen,
    sipp, sipp exit, traced messages); sipp is None when listen did not come up."""
    listen, port, ready = listen_ready(peers, "listen-" + name, ["--auto-answer"] + list(listen_extra))
    if not ready:
        return listen, None, None, []
    sipp = ic.start_sipp_call(peers, "sipp-" + name, ic.free_port(), scenario=scenario,
                              remote="%s:%d" % (ic.LOOPBACK, port), extra=sipp_extra)
    src = finish(sipp, sipp_wait)
    time.sleep(0.3)
    return listen, sipp, src, ic.parse_trace(sipp.msg_path)


def not_started(tap, descs, listen):
    for d in descs:
        tap.ok(False, d, ["listen did not report listening on UDP"] + listen.diag())


# --------------------------------------------------------------------------------------------

@T.case(HOLD_DESCS)
def case_hold(tap, peers):
    call, crc, sipp, src, msgs = call_scenario(peers, "mid_uas_hold.xml", "hold", duration=3,
                                               extra=["--hold-after", "0.5", "--hold-for", "1"])
    inv = ic.trace_requests(msgs, "INVITE")
    acks = ic.trace_requests(msgs, "ACK")
    byes = ic.trace_requests(msgs, "BYE")
    oks = ic.trace_responses(msgs, 200, cseq_method="INVITE")
    gaps = []
    ok = len(inv) == 3 and len(acks) == 3 and len(oks) == 3
    if ok:
        dlg = (ic.header(inv[0], "Call-ID"), frozenset((tag(inv[0], "From"), tag(oks[0], "To"))))
        n0 = cseq(inv[0])[0]
        for i in (1, 2):
            ok = ok and dialog(inv[i]) == dlg and cseq(inv[i])[0] == n0 + i and has_sdp(inv[i])
            ok = ok and cseq(acks[i]) == (n0 + i, "ACK") and acks[i]["time"] >= oks[i]["time"]
        ok = ok and len({ic.via_branch(m) for m in inv}) == 3
        gaps = [inv[1]["time"] - acks[0]["time"], inv[2]["time"] - acks[1]["time"]]
        ok = ok and 0.3 <= gaps[0] <= 1.0 and 0.8 <= gaps[1] <= 1.5
    tap.ok(ok, HOLD_DESCS[0],
           lambda: ["%d INVITE, %d 200, %d ACK; gaps %s" % (len(inv), len(oks), len(acks), gaps)]
           + timeline(msgs) + ic.sipp_diag(sipp))
    if gaps:
        tap.note("hold re-INVITE %.3f s after the ACK, resume %.3f s after the hold's ACK" % tuple(gaps))
    h = holds(call)
    ok = (crc == 0 and src == 0 and h == [(True, False), (False, False)] and len(byes) == 1
          and len(inv) == 3 and cseq(byes[0])[0] == cseq(inv[2])[0] + 1)
    tap.ok(ok, HOLD_DESCS[1],
           lambda: ["call exit %s, sipp exit %s, hold events (local, remote) %s, %d BYE"
                    % (crc, src, h, len(byes))] + call.diag() + ic.sipp_diag(sipp))
    problems = o_line_problems([body(m) for m in inv])
    tap.ok(len(inv) == 3 and not problems, HOLD_DESCS[2],
           lambda: problems + ["Bellbird's offers' o= lines: %s"
                               % [l for m in inv for l in body(m).splitlines() if l.startswith("o=")],
                               "RFC 3264 8: 'the o= line of the new SDP MUST be identical to that "
                               "in the previous SDP, except that the version in the origin field "
                               "MUST increment by one'"])


@T.case(REMOTE_HOLD_DESCS)
def case_remote_hold(tap, peers):
    listen, sipp, src, msgs = uac_run(peers, "held", "mid_uac_hold.xml", ["--max-calls", "1"])
    if not sipp:
        return not_started(tap, REMOTE_HOLD_DESCS, listen)
    r2 = responses_to(msgs, 2, "INVITE")
    r3 = responses_to(msgs, 3, "INVITE")
    acks = ic.trace_requests(msgs, "ACK", direction="sent")
    h = holds(listen)
    ans = body(r2[0]) if r2 and has_sdp(r2[0]) else None
    tap.ok(src is not None and r2 and status(r2[-1]) == 200 and ans
           and direction(ans) in ("recvonly", "inactive") and len(acks) >= 2
           and h[:1] == [(False, True)], REMOTE_HOLD_DESCS[0],
           lambda: ["responses to the sendonly re-INVITE: %s; answer direction %s; hold events %s"
                    % ([ic.first_line(m) for m in r2], ans and direction(ans), h)]
           + timeline(msgs) + ic.sipp_diag(sipp) + listen.diag())
    offer = body(r3[0]) if r3 and has_sdp(r3[0]) else None
    ack3 = [m for m in acks if cseq(m) == (3, "ACK")]
    hist = ic.call_histories(listen)
    tap.ok(src == 0 and offer and ack3 and has_sdp(ack3[0]) and h == [(False, True), (False, False)]
           and list(hist.values()) == [["incoming", "connected", "ended"]], REMOTE_HOLD_DESCS[1],
           lambda: ["sipp exit %s; 200 to the offerless re-INVITE has an offer: %s; hold events "
                    "%s; calls %s" % (src, bool(offer), h, hist)]
           + timeline(msgs) + ic.sipp_diag(sipp) + listen.diag())
    tap.note("listen's SDP o= lines in the dialog: %s"
             % [l for m in msgs if m["dir"] == "received" for l in body(m).splitlines()
                if l.startswith("o=")])


@T.case(UPDATE_DESCS)
def case_update(tap, peers):
    listen, sipp, src, msgs = uac_run(peers, "update", "mid_uac_update.xml", ["--max-calls", "1"])
    if not sipp:
        return not_started(tap, UPDATE_DESCS, listen)
    r = {n: responses_to(msgs, n, "UPDATE") for n in (2, 3, 4)}
    h = holds(listen)

    def ans(n):
        return body(r[n][0]) if r[n] and status(r[n][0]) == 200 and has_sdp(r[n][0]) else None

    tap.ok(ans(2) and direction(ans(2)) in ("recvonly", "inactive") and h[:1] == [(False, True)],
           UPDATE_DESCS[0],
           lambda: ["responses to UPDATE 2 (sendonly): %s; hold events %s"
                    % ([ic.first_line(m) for m in r[2]], h)] + timeline(msgs) + ic.sipp_diag(sipp))
    no_body = (r[4] and status(r[4][0]) == 200 and not body(r[4][0])
               and not has_sdp(r[4][0]) and (ic.header(r[4][0], "Content-Length") or "0").strip() == "0")
    hist = ic.call_histories(listen)
    last = (ic.call_events(listen) or [{}])[-1]
    tap.ok(src == 0 and ans(3) and h == [(False, True), (False, False)] and no_body
           and list(hist.values()) == [["incoming", "connected", "ended"]]
           and "other side" in (last.get("reason") or ""), UPDATE_DESCS[1],
           lambda: ["sipp exit %s; UPDATE 3 answered with SDP: %s; UPDATE 4 response %s; hold "
                    "events %s; calls %s, last %s" % (src, bool(ans(3)),
                                                      [m["text"] for m in r[4]], h, hist, last)]
           + timeline(msgs) + ic.sipp_diag(sipp) + listen.diag())


def retry_after_491(msgs, direction_491):
    """(the 491 sent by sipp to Bellbird's re-INVITE, Bellbird's ACK of it, the next INVITE from
    Bellbird, seconds from the 491 to that INVITE) from a trace; None for what is missing."""
    r491 = [m for m in ic.trace_responses(msgs, 491, direction=direction_491, cseq_method="INVITE")]
    if not r491:
        return None, None, None, None
    n = cseq(r491[0])[0]
    ack = [m for m in ic.trace_requests(msgs, "ACK") if cseq(m) == (n, "ACK")]
    again = [m for m in ic.trace_requests(msgs, "INVITE") if m["time"] >= r491[0]["time"]
             and (cseq(m)[0] or 0) > n]
    delay = again[0]["time"] - r491[0]["time"] if again else None
    return r491[0], (ack[0] if ack else None), (again[0] if again else None), delay


@T.case(GLARE_DESCS)
def case_glare_caller(tap, peers):
    call, crc, sipp, src, msgs = call_scenario(peers, "mid_uas_glare.xml", "glare", duration=5.5,
                                               extra=["--hold-after", "0.5"])
    ours = [m for m in ic.trace_requests(msgs, "INVITE", direction="sent")]
    got = ic.trace_responses(msgs, 491, direction="received", cseq_method="INVITE")
    inv = ic.trace_requests(msgs, "INVITE")
    ok = (ours and got and cseq(got[0]) == cseq(ours[0]) and inv
          and ic.via_branch(got[0]) == ic.via_branch(ours[0])
          and dialog(got[0]) == dialog(ours[0]) == (ic.header(inv[0], "Call-ID"),
                                                    frozenset((tag(ours[0], "From"), tag(ours[0], "To"))))
          and any(cseq(m) == (cseq(ours[0])[0], "ACK")
                  for m in ic.trace_requests(msgs, "ACK", direction="sent")))
    tap.ok(ok, GLARE_DESCS[0],
           lambda: ["sipp's re-INVITE: %d; Bellbird's 491s to it: %d" % (len(ours), len(got))]
           + timeline(msgs) + call.diag() + ic.sipp_diag(sipp))
    r491, ack, again, delay = retry_after_491(msgs, "sent")
    h = holds(call)
    ok = (r491 and ack and again and ic.via_branch(ack) == ic.via_branch(r491)
          and cseq(again)[0] == cseq(r491)[0] + 1 and ic.via_branch(again) != ic.via_branch(r491)
          and has_sdp(again) and delay is not None and 2.1 - 0.02 <= delay <= 4.0 + 0.15
          and any(cseq(m) == (cseq(again)[0], "ACK") for m in ic.trace_requests(msgs, "ACK"))
          and h == [(True, False)] and crc == 0 and src == 0)
    tap.ok(ok, GLARE_DESCS[1],
           lambda: ["491 ACKed: %s, retry: %s, delay %s s, hold events %s, call exit %s, sipp exit %s"
                    % (bool(ack), bool(again), delay, h, crc, src)]
           + timeline(msgs) + call.diag() + ic.sipp_diag(sipp))
    tap.note("glare, Bellbird the caller: re-INVITE again %s s after sipp's 491 (RFC 3261 14.1: "
             "2.1-4 s)" % ("%.3f" % delay if delay is not None else "-"))


@T.case(GLARE_CALLEE_DESCS)
def case_glare_callee(tap, peers):
    listen, sipp, src, msgs = uac_run(peers, "491", "mid_uac_491.xml",
                                      ["--max-calls", "1", "--hold-after", "0.5"])
    if not sipp:
        return not_started(tap, GLARE_CALLEE_DESCS, listen)
    r491, ack, again, delay = retry_after_491(msgs, "sent")
    h = holds(listen)
    ok = (r491 and ack and again and ic.via_branch(ack) == ic.via_branch(r491)
          and cseq(again)[0] == cseq(r491)[0] + 1 and ic.via_branch(again) != ic.via_branch(r491)
          and has_sdp(again) and delay is not None and 0.0 <= delay <= 2.0 + 0.15
          and any(cseq(m) == (cseq(again)[0], "ACK") for m in ic.trace_requests(msgs, "ACK"))
          and h == [(True, False)] and src == 0)
    tap.ok(ok, GLARE_CALLEE_DESCS[0],
           lambda: ["491 ACKed: %s, retry: %s, delay %s s, hold events %s, sipp exit %s"
                    % (bool(ack), bool(again), delay, h, src)]
           + timeline(msgs) + ic.sipp_diag(sipp) + listen.diag())
    tap.note("glare, Bellbird the callee: re-INVITE again %s s after sipp's 491 (RFC 3261 14.1: "
             "0-2 s)" % ("%.3f" % delay if delay is not None else "-"))


@T.case(TIMER_422_DESCS)
def case_timer_422(tap, peers):
    call, crc, sipp, src, msgs = call_scenario(peers, "mid_uas_422.xml", "timer", duration=0.5)
    inv = ic.trace_requests(msgs, "INVITE")
    acks = ic.trace_requests(msgs, "ACK")
    ok = (len(inv) == 2 and acks
          and "timer" in normalise(ic.header(inv[0], "Supported")).split(",")
          and normalise(ic.header(inv[0], "Session-Expires")).split(";")[0] == "1800"
          and ic.via_branch(acks[0]) == ic.via_branch(inv[0])
          and ic.header(inv[0], "Call-ID") == ic.header(inv[1], "Call-ID")
          and tag(inv[0], "From") == tag(inv[1], "From") and not tag(inv[1], "To")
          and cseq(inv[1])[0] == cseq(inv[0])[0] + 1
          and ic.via_branch(inv[1]) != ic.via_branch(inv[0])
          and normalise(ic.header(inv[1], "Session-Expires")).split(";")[0] == "3600"
          and normalise(ic.header(inv[1], "Min-SE")).split(";")[0] == "3600")
    tap.ok(ok, TIMER_422_DESCS[0],
           lambda: ["%d INVITE, %d ACK" % (len(inv), len(acks))]
           + ["  INVITE %s: Supported %r, Session-Expires %r, Min-SE %r"
              % (cseq(m)[0], ic.header(m, "Supported"), ic.header(m, "Session-Expires"),
                 ic.header(m, "Min-SE")) for m in inv] + timeline(msgs) + ic.sipp_diag(sipp))
    st = states(call)
    tap.ok(crc == 0 and src == 0 and st.count("connected") == 1, TIMER_422_DESCS[1],
           lambda: ["call exit %s, sipp exit %s, states %s" % (crc, src, st)] + call.diag()
           + ic.sipp_diag(sipp))


@T.case(TIMER_SHORT_DESCS)
def case_timer_too_short(tap, peers):
    listen, sipp, src, msgs = uac_run(peers, "se30", "mid_uac_se_short.xml", sipp_wait=8)
    if not sipp:
        return not_started(tap, TIMER_SHORT_DESCS, listen)
    got = responses_to(msgs, 1, "INVITE")
    r422 = [m for m in got if status(m) == 422]
    ok200 = [m for m in got if status(m) == 200]
    st = states(listen)
    tap.ok(src == 0 and r422 and normalise(ic.header(r422[0], "Min-SE")).split(";")[0] == "90"
           and not ok200 and "connected" not in st, TIMER_SHORT_DESCS[0],
           lambda: ["sipp exit %s; listen answered the INVITE (Session-Expires: 30) with: %s; "
                    "listen's call states %s" % (src, ["%s (Session-Expires %r, Min-SE %r, Require %r)"
                                                      % (ic.first_line(m), ic.header(m, "Session-Expires"),
                                                         ic.header(m, "Min-SE"), ic.header(m, "Require"))
                                                      for m in got], st),
                    "RFC 4028 9: a UAS may refuse a too short interval with 422 and Min-SE; if it "
                    "accepts, 'The UAS MUST NOT increase the value of the Session-Expires header "
                    "field' (the request has Supported: timer, so 422 is the way to ask for more)"]
           + timeline(msgs) + ic.sipp_diag(sipp) + listen.diag())


@T.case(TIMER_UAC_DESCS)
def case_timer_uac_refreshes(tap, peers):
    listen, sipp, src, msgs = uac_run(peers, "se120", "mid_uac_se_uac.xml", ["--max-calls", "1"])
    if not sipp:
        return not_started(tap, TIMER_UAC_DESCS, listen)

    def answer(n, code):
        return next((m for m in responses_to(msgs, n, "INVITE") if status(m) == code), None)

    def se(m):
        return normalise(ic.header(m, "Session-Expires")) if m else None

    first = answer(1, 200)
    tap.ok(first is not None and se(first) == "120;refresher=uac"
           and "timer" in normalise(ic.header(first, "Require")).split(","), TIMER_UAC_DESCS[0],
           lambda: ["200 to the INVITE: Session-Expires %r, Require %r"
                    % (first and ic.header(first, "Session-Expires"),
                       first and ic.header(first, "Require"))] + timeline(msgs) + ic.sipp_diag(sipp))
    r422 = answer(2, 422)
    again = answer(3, 200)
    hist = ic.call_histories(listen)
    tap.ok(src == 0 and r422 is not None and normalise(ic.header(r422, "Min-SE")) == "90"
           and not answer(2, 200) and again is not None and se(again) == "120;refresher=uac"
           and list(hist.values()) == [["incoming", "connected", "ended"]], TIMER_UAC_DESCS[1],
           lambda: ["sipp exit %s; refresh with 30: %s; refresh with 120: Session-Expires %r; "
                    "calls %s" % (src, [ic.first_line(m) for m in responses_to(msgs, 2, "INVITE")],
                                  again and ic.header(again, "Session-Expires"), hist)]
           + timeline(msgs) + ic.sipp_diag(sipp) + listen.diag())


@T.case(REFER_OUT_DESCS)
def case_refer_out(tap, peers):
    target = "sip:y@%s:%d" % (ic.LOOPBACK, ic.free_port())
    call, crc, sipp, src, msgs = call_scenario(peers, "mid_uas_refer.xml", "xfer", duration=5,
                                               extra=["--transfer-to", target])
    inv = ic.trace_requests(msgs, "INVITE")
    oks = ic.trace_responses(msgs, 200, cseq_method="INVITE")
    refer = ic.trace_requests(msgs, "REFER")
    ok = (inv and oks and len(refer) == 1
          and dialog(refer[0]) == (ic.header(inv[0], "Call-ID"),
                                   frozenset((tag(inv[0], "From"), tag(oks[0], "To"))))
          and cseq(refer[0])[0] == cseq(inv[0])[0] + 1
          and ic.header(refer[0], "Refer-To") == "<%s>" % target
          and ic.header(refer[0], "Referred-By"))
    tap.ok(ok, REFER_OUT_DESCS[0],
           lambda: ["%d REFER; Refer-To %r (want <%s>), Referred-By %r"
                    % (len(refer), refer and ic.header(refer[0], "Refer-To"), target,
                       refer and ic.header(refer[0], "Referred-By"))] + timeline(msgs)
           + ic.sipp_diag(sipp))
    notify_ok = [m for m in ic.trace_responses(msgs, 200, direction="received", cseq_method="NOTIFY")]
    codes = [e.get("code") for e in events(call, "transfer")]
    byes = ic.trace_requests(msgs, "BYE")
    last = (ic.call_events(call) or [{}])[-1]
    tap.ok(len(notify_ok) == 2 and codes == [202, 100, 200] and len(byes) == 1 and refer
           and cseq(byes[0])[0] == cseq(refer[0])[0] + 1 and last.get("reason") == "transferred"
           and crc == 0 and src == 0, REFER_OUT_DESCS[1],
           lambda: ["NOTIFYs answered 200: %d; transfer codes %s; %d BYE; last %s; call exit %s, "
                    "sipp exit %s" % (len(notify_ok), codes, len(byes), last, crc, src)]
           + timeline(msgs) + call.diag() + ic.sipp_diag(sipp))


@T.case(REFER_IN_DESCS)
def case_refer_in(tap, peers):
    tport = ic.free_port()
    tgt = ic.start_sipp_call(peers, "sipp-target", tport, scenario="mid_uas_target.xml")
    ic.wait_bound(tport, "udp", 5)
    listen, sipp, src, msgs = uac_run(peers, "refer", "mid_uac_refer.xml",
                                      sipp_extra=["-key", "target_port", str(tport)])
    if not sipp:
        return not_started(tap, REFER_IN_DESCS, listen)
    trc = finish(tgt, 5)
    tmsgs = ic.parse_trace(tgt.msg_path)
    notifies = ic.trace_requests(msgs, "NOTIFY")
    r202 = responses_to(msgs, 2, "REFER")
    ref = events(listen, "referred")
    new_id = ref[0].get("call") if ref else None
    evs = listen.events()
    i_ref = next((i for i, e in enumerate(evs) if e.get("event") == "referred"), None)
    i_new = next((i for i, e in enumerate(evs) if e.get("event") == "call" and new_id is not None
                  and e.get("id") == new_id), None)
    want_uri = "sip:target@%s:%d" % (ic.LOOPBACK, tport)

    def frag(m):
        return body(m).splitlines()[0].strip() if body(m) else ""

    def sub_state(m):
        return normalise(ic.header(m, "Subscription-State"))

    def notify_ok(m):
        return (normalise(ic.header(m, "Event")).split(";")[0] == "refer"
                and "message/sipfrag" in normalise(ic.header(m, "Content-Type"))
                and bool(r202) and dialog(m) == dialog(r202[0]))

    n1 = notifies[0] if notifies else None
    tap.ok(r202 and status(r202[0]) == 202 and n1 and notify_ok(n1)
           and frag(n1) == "SIP/2.0 100 Trying" and sub_state(n1).startswith("active")
           and ref and ref[0].get("uri") == want_uri and i_ref is not None and i_new is not None
           and i_ref < i_new, REFER_IN_DESCS[0],
           lambda: ["response to REFER: %s; first NOTIFY: %s; referred %s; event order %s"
                    % ([ic.first_line(m) for m in r202], n1 and n1["text"], ref,
                       [(e.get("event"), e.get("id"), e.get("state")) for e in evs])]
           + timeline(msgs) + ic.sipp_diag(sipp) + listen.diag())
    tinv = ic.trace_requests(tmsgs, "INVITE")
    st = states(listen, new_id) if new_id is not None else []
    tap.ok(tinv and ic.first_line(tinv[0]).split()[1] == want_uri and trc == 0
           and st[:1] == ["dialing"] and "ringing" in st and "connected" in st, REFER_IN_DESCS[1],
           lambda: ["target sipp exit %s, INVITEs %s; new call %s states %s"
                    % (trc, [ic.first_line(m) for m in tinv], new_id, st)]
           + timeline(tmsgs) + ic.sipp_diag(tgt) + listen.diag())
    if tinv:
        tap.note("the new call's INVITE: From %s, Referred-By %r" % (ic.header(tinv[0], "From"),
                                                                  ic.header(tinv[0], "Referred-By")))
    later = notifies[1:]
    tap.ok(src == 0 and len(later) == 2 and all(notify_ok(m) for m in later)
           and frag(later[0]) == "SIP/2.0 180 Ringing" and sub_state(later[0]).startswith("active")
           and frag(later[1]) == "SIP/2.0 200 OK"
           and sub_state(later[1]) == "terminated;reason=noresource", REFER_IN_DESCS[2],
           lambda: ["sipp exit %s; NOTIFYs: %s" % (src, [(frag(m), ic.header(m, "Subscription-State"))
                                                        for m in notifies])]
           + timeline(msgs) + ic.sipp_diag(sipp))


@T.case(BYE_AUTH_DESCS)
def case_bye_auth(tap, peers):
    call, crc, sipp, src, msgs = call_scenario(peers, "mid_uas_bye_401.xml", "pbx", duration=0.5,
                                               user="sip:alice@pbx.bellbird.test",
                                               password="s3cret-bye")
    byes = ic.trace_requests(msgs, "BYE")
    p = ic.digest_params(ic.header(byes[1], "Authorization")) if len(byes) == 2 else None
    ok = (len(byes) == 2 and p is not None and dialog(byes[0]) == dialog(byes[1])
          and cseq(byes[1])[0] == cseq(byes[0])[0] + 1
          and ic.via_branch(byes[0]) != ic.via_branch(byes[1])
          and p.get("username") == "alice" and p.get("realm") == "pbx.bellbird.test"
          and p.get("nonce") == "0be1b2e3d4c5f6a7b8c9d0e1f2a3b4c5" and p.get("opaque") == "bye401"
          and p.get("qop") == "auth" and p.get("uri") == ic.first_line(byes[1]).split()[1]
          and p.get("response") == ic.digest_expected(p, "BYE", "s3cret-bye")
          and crc == 0 and src == 0)
    tap.ok(ok, BYE_AUTH_DESCS[0],
           lambda: ["%d BYE; credentials %s; call exit %s, sipp exit %s"
                    % (len(byes), p, crc, src)] + timeline(msgs) + call.diag() + ic.sipp_diag(sipp))


if __name__ == "__main__":
    T.run(missing)
