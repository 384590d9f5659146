#!/usr/bin/env python3
"""Interop: blind transfer (REFER, RFC 3515) between bellbird-cli and baresip 1.0 on 127.0.0.1,
with Bellbird and baresip each as transferor and as transferee (TAP).

Three parties, no registrar, direct calls on loopback. "carol" (the transfer target) is always a
`bellbird-cli listen --auto-answer`.

1. baresip calls A = `bellbird-cli listen --auto-answer --transfer-to carol --max-calls 1`:
   A REFERs baresip to carol; baresip (menu module: on the REFER it answers 202 and dials the
   Refer-To by itself) calls carol and NOTIFYs A; A BYEs its call ('transferred') and exits.
2. `bellbird-cli call baresip --transfer-to carol` (baresip answermode=auto): the same, with
   Bellbird as the caller.
3. baresip calls A = `bellbird-cli listen --auto-answer` and, once connected, sends the REFER
   itself (ctrl_tcp command `transfer sip:carol@...`): A answers 202, calls carol (event
   'referred'), NOTIFYs baresip, and baresip hangs up after the NOTIFY with 200.

baresip is driven and observed through its ctrl_tcp module (netstring JSON on TCP: commands
`dial`, `transfer`, `listcalls`, `hangup`; events CALL_ESTABLISHED, CALL_CLOSED, ...) and its
own SIP trace (-s, on its stdout), parsed with test_calls_baresip's helpers.
"""

import json
import re
import socket
import threading
import time

import interop_common as ic

states = ic.states
events = ic.events
uri = ic.loopback_uri
import test_calls_baresip as tcb

T = ic.Cases()

BS_CALLER_DESCS = [
    "1 baresip -> listen --transfer-to carol: A answers, REFERs, gets transfer 200 (NOTIFY), its "
    "call ends 'transferred' and listen exits 0 (--max-calls 1)",
    "1 A's transfer events follow the wire: 202 first (baresip sent its 202 before its first "
    "NOTIFY), then each NOTIFY's sipfrag status, none missing",
    "1 baresip's trace: REFER from A in the dialog (Refer-To carol, Referred-By A), baresip's 202, "
    "its NOTIFYs (Event: refer, message/sipfrag, last 'SIP/2.0 200 OK' with Subscription-State "
    "terminated), then A's BYE answered 200",
    "1 baresip talks to carol: carol's call from baresip (sip:b@...) connected and still up after "
    "A's call ended; baresip lists one active call, with carol; baresip's hangup ends it at carol",
]
BB_CALLER_DESCS = [
    "2 bellbird-cli call baresip --transfer-to carol: REFER taken, transfer 200 (NOTIFY), the "
    "call ends 'transferred', call exits 0",
    "2 call's transfer events follow the wire: 202 first (baresip sent its 202 before its first "
    "NOTIFY), then each NOTIFY's sipfrag status, none missing",
    "2 baresip's trace: REFER from bellbird (Refer-To carol, Referred-By), baresip's 202, NOTIFY "
    "with 'SIP/2.0 200 OK' (terminated), then bellbird's BYE answered 200",
    "2 baresip talks to carol: carol's call from baresip connected and still up after bellbird's "
    "call ended; baresip lists one active call, with carol; baresip's hangup ends it at carol",
]
BS_XFER_DESCS = [
    "3 baresip transfers A (ctrl 'transfer sip:carol@...'): A's 'referred' event names carol, its "
    "new call to carol connects; A's call with baresip ends 'the other side hung up'",
    "3 baresip's trace: its REFER (Refer-To carol), A's 202, A's NOTIFYs (Event: refer;id=<REFER "
    "CSeq>, message/sipfrag, last 'SIP/2.0 200 OK' with Subscription-State terminated) each "
    "answered 200, then baresip's BYE (after that NOTIFY) answered 200",
    "3 baresip's call closes 'Call transfered' and it lists no call; carol's call from A "
    "connected and still up",
]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def missing():
    reason = tcb.missing()
    if reason:
        return reason
    if not ic.baresip_has_module("ctrl_tcp"):
        return "baresip module ctrl_tcp missing"
    return None


# --------------------------------------------------------------------------------------------
# baresip's ctrl_tcp: netstrings ("LEN:JSON,") both ways

class Ctrl:
    """A client of baresip's ctrl_tcp module: command() sends {"command","params","token"} and
    waits for the response with that token; events ({"event":true,"type":...}) are kept."""

    def __init__(self, port, timeout=5.0):
        deadline = time.monotonic() + ic.bounded(timeout)
        while True:
            try:
                self.sock = socket.create_connection((ic.LOOPBACK, port), timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.sock.settimeout(None)
        self.msgs = []
        self.n = 0
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        buf = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            buf += data
            while True:
                colon = buf.find(b":")
                if colon < 0 or not buf[:colon].isdigit():
                    break
                n = int(buf[:colon])
                if len(buf) < colon + 2 + n:
                    break
                body, buf = buf[colon + 1:colon + 1 + n], buf[colon + 2 + n:]
                try:
                    msg = json.loads(body.decode("utf-8", "replace"))
                except ValueError:
                    msg = {"unparsed": body.decode("utf-8", "replace")}
                with self._cond:
                    self.msgs.append(msg)
                    self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def command(self, cmd, params="", timeout=5.0):
        self.n += 1
        token = "t%d" % self.n
        data = json.dumps({"command": cmd, "params": params, "token": token}).encode()
        try:
            self.sock.sendall(b"%d:%s," % (len(data), data))
        except OSError:
            return None
        return self.wait(lambda m: m.get("response") and m.get("token") == token, timeout)

    def wait(self, pred, timeout):
        deadline = time.monotonic() + ic.bounded(timeout)
        idx = 0
        with self._cond:
            while True:
                while idx < len(self.msgs):
                    if pred(self.msgs[idx]):
                        return self.msgs[idx]
                    idx += 1
                left = deadline - time.monotonic()
                if left <= 0 or not self._reader.is_alive():
                    return None
                self._cond.wait(min(left, 0.1))

    def event(self, etype, timeout, **match):
        return self.wait(lambda m: m.get("event") and m.get("type") == etype
                         and all(str(m.get(k, "")).startswith(v) for k, v in match.items()),
                         timeout)

    def events(self):
        with self._cond:
            return [m for m in self.msgs if m.get("event")]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def diag(self):
        with self._cond:
            msgs = list(self.msgs)
        return ["baresip ctrl_tcp messages:"] + ["  " + json.dumps(m) for m in msgs[-30:]]


def start_baresip_ctrl(peers, name, account_user, answer=False):
    """baresip on 127.0.0.1 with its account <sip:USER@127.0.0.1:P>;regint=0 (+ answermode=auto)
    and ctrl_tcp on a port of its own. Returns (proc, sip port, Ctrl or None)."""
    port = ic.free_port(span=10)
    ctl_port = ic.free_port(span=1)
    d = peers.mkdtemp(name)
    wav = ic.write_wav("%s/tone.wav" % d, 30)
    account = "<sip:%s@%s:%d>;regint=0" % (account_user, ic.LOOPBACK, port)
    if answer:
        account += ";answermode=auto"
    ic.write_baresip_config(d, port, account, wav)
    with open("%s/config" % d, "a") as f:
        f.write("module ctrl_tcp.so\nctrl_tcp_listen %s:%d\n" % (ic.LOOPBACK, ctl_port))
    bs = ic.start_baresip(peers, name, d)
    ready = bs.wait_line(lambda l: "baresip is ready" in l, 8) is not None
    ctrl = None
    if ready and ic.wait_bound(port, "udp", 3) and ic.wait_bound(ctl_port, "tcp", 3):
        try:
            ctrl = Ctrl(ctl_port)
        except OSError:
            ctrl = None
    bs.ctrl_port = ctl_port
    return bs, port, ctrl


# --------------------------------------------------------------------------------------------
# Helpers

def listen(peers, name, extra=(), duration=30):
    port = ic.free_port()
    p = ic.start_listen(peers, name, port, transport="udp", extra=extra, duration=duration)
    return p, port, ic.wait_listening(p, "UDP", port, 5)


def body_of(msg):
    text = msg["text"]
    return text.split("\n\n", 1)[1].strip() if "\n\n" in text else ""


def trace(bs, port):
    return tcb.baresip_trace(bs.stdout(), port)


def trace_once(bs, port, pred, timeout):
    """baresip's trace once pred(trace) holds, or as it is after timeout s: its log of a
    message lags the event that a test waited for (its BYE's 200, say) on a loaded machine."""
    deadline = time.monotonic() + timeout
    msgs = trace(bs, port)
    while not pred(msgs) and time.monotonic() < deadline:
        time.sleep(0.05)
        msgs = trace(bs, port)
    return msgs


def bye_answered(msgs):
    """A BYE baresip sent, and a 200 for it."""
    byes = [ic.header(m, "CSeq") for m in msgs
            if m["dir"] == "sent" and ic.first_line(m).startswith("BYE ")]
    return any(m["dir"] == "received" and ic.first_line(m).startswith("SIP/2.0 200")
               and ic.header(m, "CSeq") in byes for m in msgs)


def summary(msgs):
    return ["  %s %s [%s]" % (m["dir"], ic.first_line(m), ic.header(m, "CSeq")) for m in msgs]


def bs_diag(bs, ctrl, n=80):
    lines = bs.diag(n)
    if ctrl:
        lines += ctrl.diag()
    return [_ANSI.sub("", l) for l in lines]


def check_refer_trace(msgs, refer_dir, target, want_referred_by):
    """The REFER going refer_dir ('received' at baresip = from Bellbird, 'sent' = baresip's),
    its 202, the NOTIFYs going the other way with message/sipfrag bodies (each answered 200),
    the last one 'SIP/2.0 200 OK' + Subscription-State terminated, and a BYE from the
    transferor after that NOTIFY, answered 200. Returns (ok, facts)."""
    other = "sent" if refer_dir == "received" else "received"
    facts = []
    refers = [m for m in msgs if m["dir"] == refer_dir and tcb.first_word(m) == "REFER"]
    if not refers:
        return False, ["no REFER %s by baresip" % refer_dir]
    refer = refers[0]
    ref_to = ic.header(refer, "Refer-To") or ""
    ref_by = ic.header(refer, "Referred-By")
    call_id = ic.header(refer, "Call-ID")
    facts.append("REFER Refer-To %r, Referred-By %r" % (ref_to, ref_by))
    ok = target in ref_to and (ref_by is not None or not want_referred_by)
    r202 = [m for m in msgs if m["dir"] == other and tcb.status(m) == 202
            and tcb.cseq_method(m) == "REFER"]
    facts.append("202 to the REFER: %d" % len(r202))
    ok = ok and bool(r202)
    refer_seq = (ic.header(refer, "CSeq") or "").split()[:1]
    notifies = [m for m in msgs if m["dir"] == other and tcb.first_word(m) == "NOTIFY"
                and ic.header(m, "Call-ID") == call_id]
    frags = [body_of(m).splitlines()[:1] for m in notifies]
    facts.append("NOTIFYs (sipfrag first lines): %s" % frags)
    answered = [m for m in msgs if m["dir"] == refer_dir and tcb.status(m) == 200
                and tcb.cseq_method(m) == "NOTIFY"]
    facts.append("200s to NOTIFY: %d" % len(answered))
    ok = ok and bool(notifies) and len(answered) >= len(notifies)
    if notifies:
        last = notifies[-1]
        ev = ic.header(last, "Event") or ""
        ss = ic.header(last, "Subscription-State") or ""
        ctype = ic.header(last, "Content-Type") or ""
        facts.append("last NOTIFY: Event %r, Subscription-State %r, Content-Type %r"
                     % (ev, ss, ctype))
        ok = ok and frags[-1] == ["SIP/2.0 200 OK"] and ss.startswith("terminated") \
            and ev.startswith("refer") and ctype.startswith("message/sipfrag")
        if refer_dir == "sent":
            # our NOTIFYs carry the id of the REFER they report on (RFC 3515 section 2.4.6)
            ok = ok and all(("id=%s" % refer_seq[0]) in (ic.header(m, "Event") or "")
                            for m in notifies) if refer_seq else False
        idx_last = msgs.index(last)
        byes = [m for m in msgs[idx_last:] if m["dir"] == refer_dir
                and tcb.first_word(m) == "BYE" and ic.header(m, "Call-ID") == call_id]
        bye200 = [m for m in msgs if m["dir"] == other and tcb.status(m) == 200
                  and tcb.cseq_method(m) == "BYE" and ic.header(m, "Call-ID") == call_id]
        facts.append("BYE from the transferor after the last NOTIFY: %d, its 200: %d"
                     % (len(byes), len(bye200)))
        ok = ok and bool(byes) and bool(bye200)
    return ok, facts


def check_event_order(codes, msgs):
    """Bellbird's transfer event codes against what baresip sent, in its order: its 202 to the
    REFER and the sipfrag status of each NOTIFY. Returns (ok, facts)."""
    wire = []
    for m in msgs:
        if m["dir"] != "sent":
            continue
        if tcb.status(m) == 202 and tcb.cseq_method(m) == "REFER":
            wire.append(202)
        elif tcb.first_word(m) == "NOTIFY":
            frag = body_of(m).split(" ")
            if len(frag) > 1 and frag[0] == "SIP/2.0" and frag[1][:3].isdigit():
                wire.append(int(frag[1][:3]))
    facts = ["baresip sent, in this order: %s (202 = its answer to the REFER, others = NOTIFY "
             "sipfrag statuses)" % wire,
             "Bellbird's transfer events: %s" % codes]
    ok = bool(wire) and codes == wire
    if not ok and 202 in wire:
        if 202 not in codes:
            facts.append("the 202 event is missing: Bellbird's REFER transaction reported the 202 "
                         "after the final NOTIFY had ended the transfer, and dropped it")
        elif codes.index(202) > 0:
            facts.append("the 202 event comes after NOTIFY progress that baresip sent (and Bellbird "
                         "received) after the 202")
        facts.append("(a response that arrives before the REFER's asynchronous send has completed "
                     "is parked by the client transaction (bell-sip-transaction.c "
                     "client_on_response, txn->sending) and replayed in on_client_sent, while the "
                     "NOTIFYs received meanwhile are handled at once; on_refer_done then drops a "
                     "202 that comes after the final NOTIFY; intermittent on loopback)")
    return ok, facts


def check_bs_with_carol(bs, ctrl, carol, carol_port, after):
    """carol's only call (from baresip) connected and still up; baresip lists one call, with
    carol; after baresip's hangup carol's call ends 'the other side hung up'."""
    facts = []
    hist = ic.call_histories(carol)
    peers_c = [e.get("peer") for e in ic.call_events(carol)]
    facts.append("carol's calls %s, peers %s (after %s)" % (hist, sorted(set(peers_c)), after))
    up = (list(hist) == [1] and hist[1][-1:] == ["connected"]
          and all(p and p.startswith("sip:b@") for p in peers_c) and carol.alive())
    lc = ctrl.command("listcalls") if ctrl else None
    data = _ANSI.sub("", (lc or {}).get("data", ""))
    facts.append("baresip listcalls: %r" % data)
    listed = bool(re.search(r"Active calls \(1\)", data)) and ("carol@%s:%d" % (ic.LOOPBACK, carol_port)) in data
    estab = ctrl.event("CALL_ESTABLISHED", 0.1, peeruri="sip:carol@") if ctrl else None
    facts.append("baresip CALL_ESTABLISHED for carol: %s" % bool(estab))
    hung = ctrl.command("hangup") if ctrl else None
    _, end = ic.wait_event(carol, lambda e: e.get("event") == "call" and e.get("state") == "ended",
                           4)
    facts.append("baresip hangup answered %s; carol's end: %s" % (bool(hung), end))
    ended_ok = bool(end) and end.get("reason") == "the other side hung up"
    return bool(up and listed and estab and ended_ok), facts


# --------------------------------------------------------------------------------------------
# 1. baresip is the transferee; Bellbird (listen) the transferor

@T.case(BS_CALLER_DESCS)
def case_baresip_caller(tap, peers):
    carol, cport, c_ok = listen(peers, "carol", ["--auto-answer"])
    a, aport, a_ok = listen(peers, "a", ["--auto-answer", "--max-calls", "1",
                                         "--transfer-to", uri("carol", cport)])
    bs, bport, ctrl = start_baresip_ctrl(peers, "baresip-b", "b")
    if not (c_ok and a_ok and ctrl):
        for d in BS_CALLER_DESCS:
            tap.ok(False, d, ["set-up failed: carol listening %s, A listening %s, baresip ctrl %s"
                              % (c_ok, a_ok, bool(ctrl))] + carol.diag() + a.diag()
                   + bs_diag(bs, ctrl))
        return
    dial = ctrl.command("dial", uri("alice", aport))
    _, ended = ic.wait_event(a, ic.call_state("ended"), 12)
    arc = a.wait(4)
    codes = [e.get("code") for e in events(a, "transfer")]
    st = states(a, 1)
    tap.ok(bool(dial and dial.get("ok")) and st[:2] == ["incoming", "connected"]
           and st[-1:] == ["ended"] and ended and ended.get("reason") == "transferred"
           and codes[-1:] == [200] and arc == 0, BS_CALLER_DESCS[0],
           lambda: ["dial answered %s; A's states %s, transfer codes %s, end %s, exit %s"
                    % (dial, st, codes, ended, arc)] + a.diag() + bs_diag(bs, ctrl, 40))
    ok, facts = check_event_order(codes, trace(bs, bport))
    tap.ok(ok, BS_CALLER_DESCS[1], lambda: facts + a.diag())
    time.sleep(0.8)  # carol's call must outlive A's
    ok, facts = check_refer_trace(trace(bs, bport), "received", "sip:carol@%s:%d"
                                  % (ic.LOOPBACK, cport), True)
    tap.ok(ok, BS_CALLER_DESCS[2],
           lambda: facts + summary(trace(bs, bport)) + bs_diag(bs, ctrl))
    tap.note(*facts)
    ok, facts = check_bs_with_carol(bs, ctrl, carol, cport, "A's call ended")
    tap.ok(ok, BS_CALLER_DESCS[3], lambda: facts + carol.diag() + bs_diag(bs, ctrl))
    tap.note(*facts)
    if ctrl:
        ctrl.close()
    ic.stop_baresip(bs)


# --------------------------------------------------------------------------------------------
# 2. baresip is the transferee; Bellbird (call) the transferor

@T.case(BB_CALLER_DESCS)
def case_bellbird_caller(tap, peers):
    carol, cport, c_ok = listen(peers, "carol", ["--auto-answer"])
    bs, bport, ctrl = start_baresip_ctrl(peers, "baresip-b", "b", answer=True)
    if not (c_ok and ctrl):
        for d in BB_CALLER_DESCS:
            tap.ok(False, d, ["set-up failed: carol listening %s, baresip ctrl %s"
                              % (c_ok, bool(ctrl))] + carol.diag() + bs_diag(bs, ctrl))
        return
    call = ic.start_call(peers, "call", uri("b", bport), duration=20,
                         extra=["--transfer-to", uri("carol", cport)])
    rc = call.wait(12)
    if rc is None:
        call.stop()
    codes = [e.get("code") for e in events(call, "transfer")]
    st = [e.get("state") for e in ic.call_events(call)]
    last = (ic.call_events(call) or [{}])[-1]
    tap.ok(rc == 0 and "connected" in st and st[-1:] == ["ended"]
           and last.get("reason") == "transferred" and codes[-1:] == [200],
           BB_CALLER_DESCS[0],
           lambda: ["call exit %s, states %s, transfer codes %s, last %s" % (rc, st, codes, last)]
           + call.diag() + bs_diag(bs, ctrl, 40))
    ok, facts = check_event_order(codes, trace(bs, bport))
    tap.ok(ok, BB_CALLER_DESCS[1], lambda: facts + call.diag())
    time.sleep(0.8)
    ok, facts = check_refer_trace(trace(bs, bport), "received", "sip:carol@%s:%d"
                                  % (ic.LOOPBACK, cport), True)
    tap.ok(ok, BB_CALLER_DESCS[2],
           lambda: facts + summary(trace(bs, bport)) + bs_diag(bs, ctrl))
    tap.note(*facts)
    ok, facts = check_bs_with_carol(bs, ctrl, carol, cport, "bellbird's call ended")
    tap.ok(ok, BB_CALLER_DESCS[3], lambda: facts + carol.diag() + bs_diag(bs, ctrl))
    tap.note(*facts)
    if ctrl:
        ctrl.close()
    ic.stop_baresip(bs)


# --------------------------------------------------------------------------------------------
# 3. baresip is the transferor; Bellbird (listen) the transferee

@T.case(BS_XFER_DESCS)
def case_baresip_transfers(tap, peers):
    carol, cport, c_ok = listen(peers, "carol", ["--auto-answer"])
    a, aport, a_ok = listen(peers, "a", ["--auto-answer"])
    bs, bport, ctrl = start_baresip_ctrl(peers, "baresip-b", "b")
    if not (c_ok and a_ok and ctrl):
        for d in BS_XFER_DESCS:
            tap.ok(False, d, ["set-up failed: carol listening %s, A listening %s, baresip ctrl %s"
                              % (c_ok, a_ok, bool(ctrl))] + carol.diag() + a.diag()
                   + bs_diag(bs, ctrl))
        return
    target = uri("carol", cport)
    dial = ctrl.command("dial", uri("alice", aport))
    estab = ctrl.event("CALL_ESTABLISHED", 8, peeruri="sip:alice@")
    xfer = ctrl.command("transfer", target) if estab else None
    _, referred = ic.wait_event(a, lambda e: e.get("event") == "referred", 6)
    new_id = referred.get("call") if referred else None
    if new_id is not None:
        ic.wait_event(a, lambda e: e.get("event") == "call" and e.get("id") == new_id
                      and e.get("state") in ("connected", "ended"), 8)
    _, a_end = ic.wait_event(a, lambda e: e.get("event") == "call" and e.get("id") == 1
                             and e.get("state") == "ended", 6)
    closed = ctrl.event("CALL_CLOSED", 3, peeruri="sip:alice@")
    new_st = states(a, new_id) if new_id is not None else []
    tap.ok(bool(estab and xfer and xfer.get("ok")) and referred is not None
           and referred.get("uri") == target and new_st[-1:] == ["connected"]
           and a_end is not None and a_end.get("reason") == "the other side hung up",
           BS_XFER_DESCS[0],
           lambda: ["dial %s, baresip established %s, transfer answered %s; A referred %s, new "
                    "call states %s, A's first call end %s"
                    % (dial, bool(estab), xfer, referred, new_st, a_end)]
           + a.diag() + carol.diag() + bs_diag(bs, ctrl, 40))
    ok, facts = check_refer_trace(trace_once(bs, bport, bye_answered, 3), "sent", target, False)
    tap.ok(ok, BS_XFER_DESCS[1], lambda: facts + summary(trace(bs, bport)) + bs_diag(bs, ctrl))
    tap.note(*facts)
    time.sleep(0.5)
    lc = ctrl.command("listcalls")
    data = _ANSI.sub("", (lc or {}).get("data", ""))
    hist_c = ic.call_histories(carol)
    peers_c = sorted(set(e.get("peer") for e in ic.call_events(carol)))
    a_port_ok = all(p and p.endswith("@%s:%d" % (ic.LOOPBACK, aport)) for p in peers_c)
    tap.ok(bool(closed) and closed.get("param") == "Call transfered"
           and "Active calls (0)" in data and list(hist_c) == [1]
           and hist_c[1][-1:] == ["connected"] and a_port_ok
           and new_st[-1:] == ["connected"] and states(a, new_id)[-1:] == ["connected"],
           BS_XFER_DESCS[2],
           lambda: ["baresip CALL_CLOSED %s, listcalls %r; carol's calls %s, peers %s; A's new "
                    "call now %s" % (closed, data, hist_c, peers_c, states(a, new_id))]
           + carol.diag() + a.diag() + bs_diag(bs, ctrl))
    ctrl.close()
    ic.stop_baresip(bs)


if __name__ == "__main__":
    T.run(missing)
