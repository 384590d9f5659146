#!/usr/bin/env python3
"""Interop: Bellbird with Bellbird, three `bellbird-cli` on 127.0.0.1 (TAP): the mid-call
features where Bellbird plays every role.

- echo test: `call echo` (no account, no peer) hears its own tone back; another phone can
  call a listen --echo-service at sip:echo@ and hear itself too.
- IPv6: a call over [::1] carries audio (the RTP socket follows the call's address family).
- RTCP: a 12 s call between two Bellbirds gives "quality" events on both sides (RFC 3550
  reports every ~5 s): packets received, no loss on loopback, a round-trip time.
- DTMF by SIP INFO: with --no-media (no telephone-event) digits go as INFO
  application/dtmf-relay and come out as dtmf events on the other side.
- refusing: A (listen --reject 486 / 603) refuses B's call busy or declined.
- call waiting: A (listen --auto-answer --call-waiting) is in a call with B when C calls; A
  answers C and its call with B goes on hold; without --call-waiting (an answering machine)
  both stay up unheld.
- hold and resume: B calls A with --hold-after/--hold-for.
- blind transfer: B calls A with --transfer-to C: A follows the REFER, calls C, and B's call
  ends "transferred" once A's NOTIFY says 200.
- attended transfer: B calls A, holds it, calls C (consultation), then REFERs A to C with
  Replaces: A's INVITE with Replaces takes the place of B's call at C.
"""

import signal
import time

import interop_common as ic

finish = ic.finish
events = ic.events
uri = ic.loopback_uri

T = ic.Cases()

ECHO_DESCS = [
    "call echo --audio-in tone --audio-out FILE: the call connects and FILE holds >= 1 s of the "
    "440 Hz tone sent, come back",
    "B calls sip:echo@ a listen --echo-service (no --auto-answer): answered at once, B hears its "
    "tone back, and the service's events mark that call service=echo; a call to another user "
    "there just rings (no echo)",
    "call echo --mute --audio-in tone: the tone does not come back: from 0.5 s into the call on "
    "(the moment the mute takes) the recording is silent",
]
IPV6_DESCS = [
    "IPv6: B calls sip:x@[::1]:P (listen bound to [::1]); c= is IPv6 and A's recording holds "
    ">= 1 s of B's 440 Hz tone",
]
QUALITY_DESCS = [
    "RTCP: a 12 s call gives each side >= 1 'quality' event with packets received > 100, loss 0 "
    "on loopback, and a round-trip time under 50 ms on at least one side",
]
INFO_DESCS = [
    "DTMF without telephone-event (--no-media on both sides): B's --dtmf 12# goes as SIP INFO "
    "(application/dtmf-relay); A reports the digits 1, 2, # in order, each once, via info",
]
REJECT_DESCS = [
    "listen --reject 486: B's call ends with code 486 (exit 1, never connected); A's call goes "
    "incoming -> ended with code 486 'busy'",
    "listen --reject 603: B's call ends with code 603 (exit 1); A's call ends with 603 'declined'",
]
CANCEL_DESCS = [
    "call --user sip:carol@example.com to a phone that only rings, then SIGINT: the call is "
    "cancelled (the callee's call ends with 487), the caller exits 1",
]
WAITING_DESCS = [
    "call waiting: A answers a second call (from C) while in a call with B; A's first call goes "
    "on hold (hold event local=true for it), both calls connected",
    "call waiting: B and C both exit 0 (their calls were answered and ended normally)",
    "answering machine (--auto-answer without --call-waiting): a second caller is answered and "
    "the first call is not put on hold (no hold event)",
]
HOLD_DESCS = [
    "hold and resume: B's call to A reports hold local=true then local=false, stays connected "
    "and B exits 0",
]
BLIND_DESCS = [
    "blind transfer: B's REFER is taken (transfer 202), then NOTIFYs report 200; B's call ends "
    "'transferred' and B exits 0",
    "blind transfer: A reports 'referred' to C and its new call to C connects; C gets the call "
    "from A's account (sip:alice@...)",
]
ATTENDED_DESCS = [
    "attended transfer: B holds A, calls C (connected), REFERs A with Replaces; the transfer "
    "reports 200 and both of B's calls end; B exits 0",
    "attended transfer: A calls C with the Replaces header (its 'referred' event has it) and C "
    "answers it at once; C's call from B ends while its call from A is connected",
]


def listen(peers, name, extra=(), duration=20):
    port = ic.free_port()
    p = ic.start_listen(peers, name, port, transport="udp", extra=extra, duration=duration)
    return p, port, ic.wait_listening(p, "UDP", port, 5)


def wait_state(proc, state, timeout=8.0, call_id=None):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if any(e.get("state") == state for e in ic.call_events(proc, call_id)):
            return True
        time.sleep(0.05)
    return False


@T.case(ECHO_DESCS)
def case_echo(tap, peers):
    heard = "%s/echo.wav" % peers.mkdtemp("echo")
    me = ic.start_call(peers, "me", "echo", duration=2.5,
                       extra=["--audio-in", "tone", "--audio-out", heard])
    rc = finish(me, 10)
    seconds, rms, share = ic.wav_tone(heard, 440)
    tap.ok(rc == 0 and seconds >= 1.0 and share > 0.5, ECHO_DESCS[0],
           lambda: ["exit %s; %s: %.2f s, rms %.0f, 440 Hz share %.2f" % (rc, heard, seconds, rms, share)]
           + me.diag())
    e, eport, _ = listen(peers, "echo-service", ["--echo-service"])
    heard2 = "%s/echo2.wav" % peers.mkdtemp("echo2")
    b = ic.start_call(peers, "b", uri("echo", eport), duration=2.5,
                      extra=["--audio-in", "tone", "--audio-out", heard2])
    other = ic.start_call(peers, "other", uri("alice", eport), duration=1)
    brc = finish(b, 10)
    time.sleep(0.5)
    other_states = [ev.get("state") for ev in ic.call_events(other)]
    other.stop()
    seconds2, _, share2 = ic.wav_tone(heard2, 440)
    services = {ev.get("id"): ev.get("service") for ev in ic.call_events(e)}
    echo_marked = any(v == "echo" for v in services.values()) and list(services.values()).count("echo") == 1
    tap.ok(brc == 0 and seconds2 >= 1.0 and share2 > 0.5 and "connected" not in other_states
           and echo_marked, ECHO_DESCS[1],
           lambda: ["B exit %s, %.2f s of tone (share %.2f); the other call's states %s; "
                    "the service's calls (id: service): %s"
                    % (brc, seconds2, share2, other_states, services)] + b.diag() + e.diag())
    muted = "%s/muted.wav" % peers.mkdtemp("muted")
    m = ic.start_call(peers, "muted", "echo", duration=2,
                      extra=["--mute", "--audio-in", "tone", "--audio-out", muted])
    mrc = finish(m, 10)
    seconds3, _, _ = ic.wav_tone(muted, 440)
    rms3 = ic.wav_rms(muted, 0.5)
    tap.ok(mrc == 0 and seconds3 >= 1.0 and rms3 < 50, ECHO_DESCS[2],
           lambda: ["exit %s, %s: %.2f s, rms after 0.5 s %.0f" % (mrc, muted, seconds3, rms3)]
           + m.diag())


@T.case(IPV6_DESCS)
def case_ipv6(tap, peers):
    import socket
    try:
        probe = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        tap.skip(IPV6_DESCS[0], "no IPv6 loopback here")
        return
    port = ic.free_port()
    heard = "%s/v6.wav" % peers.mkdtemp("v6")
    a = peers.start("a6", [ic.bellbird_cli(), "listen", "--bind", "[::1]:%d" % port, "--events",
                           "--duration", "20", "--auto-answer", "--max-calls", "1",
                           "--audio-in", "none", "--audio-out", heard], collect=True)
    ic.wait_listening(a, "UDP", port, 5)
    b = peers.start("b6", [ic.bellbird_cli(), "call", "sip:x@[::1]:%d" % port, "--events",
                           "--bind", "[::1]:0", "--duration", "2", "--audio-in", "tone",
                           "--audio-out", "none"], collect=True)
    brc = finish(b, 12)
    arc = finish(a, 5)
    seconds, _, share = ic.wav_tone(heard, 440)
    tap.ok(brc == 0 and arc == 0 and seconds >= 1.0 and share > 0.5, IPV6_DESCS[0],
           lambda: ["B exit %s, A exit %s, %.2f s of tone (share %.2f)" % (brc, arc, seconds, share)]
           + b.diag() + a.diag())


@T.case(QUALITY_DESCS)
def case_quality(tap, peers):
    a, aport, _ = listen(peers, "a", ["--auto-answer", "--audio-in", "tone", "--audio-out", "none"])
    # Reports come every 2.5-7.5 s (the first within 3.75 s): 12 s give each side two, the
    # second after the peer's report on our SR, so a round-trip time.
    b = ic.start_call(peers, "b", uri("alice", aport), duration=12,
                      extra=["--audio-in", "tone", "--audio-out", "none"])
    brc = finish(b, 25)
    qa, qb = events(a, "quality"), events(b, "quality")
    rtts = [q.get("rtt_ms") for q in qa + qb if q.get("rtt_ms") is not None]
    good = all(q.get("received", 0) > 100 and q.get("loss") == 0 for q in qa[-1:] + qb[-1:])
    tap.ok(brc == 0 and qa and qb and good and rtts and min(rtts) < 50, QUALITY_DESCS[0],
           lambda: ["B exit %s; A quality %s; B quality %s" % (brc, qa, qb)] + b.diag() + a.diag())


@T.case(INFO_DESCS)
def case_dtmf_info(tap, peers):
    a, aport, _ = listen(peers, "a", ["--auto-answer", "--no-media"])
    b = ic.start_call(peers, "b", uri("alice", aport), duration=1.5,
                      extra=["--no-media", "--dtmf", "12#"])
    brc = finish(b, 10)
    time.sleep(0.3)
    got = [(e.get("digit"), e.get("via")) for e in events(a, "dtmf")]
    tap.ok(brc == 0 and got == [("1", "info"), ("2", "info"), ("#", "info")], INFO_DESCS[0],
           lambda: ["B exit %s, A's dtmf events %s" % (brc, events(a, "dtmf"))] + b.diag() + a.diag())


@T.case(REJECT_DESCS)
def case_reject(tap, peers):
    for code, desc, why in ((486, REJECT_DESCS[0], "busy"), (603, REJECT_DESCS[1], "declined")):
        a, aport, _ = listen(peers, "a%d" % code, ["--reject", str(code)])
        b = ic.start_call(peers, "b%d" % code, uri("alice", aport))
        brc = finish(b, 10)
        last_b = (ic.call_events(b) or [{}])[-1]
        hist_a = ic.call_histories(a)
        last_a = (ic.call_events(a) or [{}])[-1]
        tap.ok(brc == 1 and last_b.get("code") == code and hist_a == {1: ["incoming", "ended"]}
               and last_a.get("code") == code and last_a.get("reason") == why, desc,
               lambda: ["B exit %s, B last %s; A %s, A last %s" % (brc, last_b, hist_a, last_a)]
               + b.diag() + a.diag())


@T.case(CANCEL_DESCS)
def case_cancel_as_account(tap, peers):
    a, aport, _ = listen(peers, "ringing")
    b = ic.start_call(peers, "carol", uri("alice", aport), user="sip:carol@example.com")
    rang = wait_state(a, "incoming")
    b.p.send_signal(signal.SIGINT)
    brc = finish(b, 10)
    ended = wait_state(a, "ended", 5)
    last_a = (ic.call_events(a) or [{}])[-1]
    tap.ok(rang and ended and last_a.get("code") == 487 and brc == 1, CANCEL_DESCS[0],
           lambda: ["rang %s, ended %s, callee last %s, caller exit %s" % (rang, ended, last_a, brc)]
           + b.diag() + a.diag())


@T.case(WAITING_DESCS)
def case_call_waiting(tap, peers):
    a, aport, _ = listen(peers, "a", ["--auto-answer", "--call-waiting"])
    b = ic.start_call(peers, "b", uri("alice", aport), duration=4)
    wait_state(b, "connected")
    c = ic.start_call(peers, "c", uri("alice", aport), duration=1)
    crc = finish(c, 10)
    brc = finish(b, 10)
    hist = ic.call_histories(a)
    held = [e for e in events(a, "hold") if e.get("id") == 1 and e.get("local")]
    tap.ok(len(hist) == 2 and all("connected" in h for h in hist.values()) and held,
           WAITING_DESCS[0],
           lambda: ["A's calls %s, hold events %s" % (hist, events(a, "hold"))] + a.diag())
    tap.ok(brc == 0 and crc == 0, WAITING_DESCS[1],
           lambda: ["B exit %s, C exit %s" % (brc, crc)] + b.diag() + c.diag())

    m, mport, _ = listen(peers, "machine", ["--auto-answer"])
    b2 = ic.start_call(peers, "b2", uri("alice", mport), duration=2)
    wait_state(b2, "connected")
    c2 = ic.start_call(peers, "c2", uri("alice", mport), duration=0.5)
    rcs = (finish(c2, 10), finish(b2, 10))
    hist = ic.call_histories(m)
    tap.ok(rcs == (0, 0) and len(hist) == 2 and not events(m, "hold"), WAITING_DESCS[2],
           lambda: ["exits %s, calls %s, hold events %s" % (rcs, hist, events(m, "hold"))]
           + m.diag())


@T.case(HOLD_DESCS)
def case_hold_resume(tap, peers):
    a, aport, _ = listen(peers, "a", ["--auto-answer"])
    b = ic.start_call(peers, "b", uri("alice", aport), duration=3,
                      extra=["--hold-after", "0.5", "--hold-for", "0.5"])
    brc = finish(b, 10)
    holds = [e.get("local") for e in events(b, "hold")]
    st = [e.get("state") for e in ic.call_events(b)]
    tap.ok(brc == 0 and holds == [True, False] and st.count("connected") == 1, HOLD_DESCS[0],
           lambda: ["B exit %s, hold local values %s, states %s" % (brc, holds, st)] + b.diag())


@T.case(BLIND_DESCS)
def case_blind_transfer(tap, peers):
    a, aport, _ = listen(peers, "a", ["--auto-answer"])
    c, cport, _ = listen(peers, "c", ["--auto-answer"])
    b = ic.start_call(peers, "b", uri("alice", aport), extra=["--transfer-to", uri("carol", cport)])
    brc = finish(b, 10)
    codes = [e.get("code") for e in events(b, "transfer")]
    last = ic.call_events(b)[-1:] or [{}]
    tap.ok(brc == 0 and codes[:1] == [202] and codes[-1:] == [200]
           and last[0].get("reason") == "transferred", BLIND_DESCS[0],
           lambda: ["B exit %s, transfer codes %s, last call event %s" % (brc, codes, last)]
           + b.diag())
    referred = events(a, "referred")
    new_id = referred[0].get("call") if referred else None
    ok_a = bool(referred) and wait_state(a, "connected", call_id=new_id)
    ok_c = wait_state(c, "connected")
    from_a = [e.get("peer") for e in ic.call_events(c)]
    tap.ok(ok_a and ok_c and any(p and p.startswith("sip:alice@") for p in from_a), BLIND_DESCS[1],
           lambda: ["A referred %s, A's new call connected %s; C connected %s, peers %s"
                    % (referred, ok_a, ok_c, from_a)] + a.diag() + c.diag())


@T.case(ATTENDED_DESCS)
def case_attended_transfer(tap, peers):
    a, aport, _ = listen(peers, "a", ["--auto-answer"])
    c, cport, _ = listen(peers, "c", ["--auto-answer"])
    b = ic.start_call(peers, "b", uri("alice", aport),
                      extra=["--hold-after", "0.5", "--attended", "--transfer-to", uri("carol", cport)])
    brc = finish(b, 12)
    codes = [e.get("code") for e in events(b, "transfer")]
    hist_b = ic.call_histories(b)
    tap.ok(brc == 0 and codes[-1:] == [200] and len(hist_b) == 2
           and all(h[-1:] == ["ended"] and "connected" in h for h in hist_b.values()),
           ATTENDED_DESCS[0],
           lambda: ["B exit %s, transfer codes %s, B's calls %s" % (brc, codes, hist_b)] + b.diag())
    referred = events(a, "referred")
    replaces = bool(referred) and bool(referred[0].get("replaces"))
    wait_state(c, "connected", call_id=2)
    hist_c = ic.call_histories(c)
    tap.ok(replaces and hist_c.get(1, [])[-1:] == ["ended"]
           and hist_c.get(2, [])[-1:] == ["connected"], ATTENDED_DESCS[1],
           lambda: ["A referred %s (Replaces in uri: %s); C's calls %s"
                    % (referred, replaces, hist_c)] + a.diag() + c.diag())


def missing():
    return None if ic.bellbird_cli() else "BELLBIRD_CLI not set or not executable"


if __name__ == "__main__":
    T.run(missing)
