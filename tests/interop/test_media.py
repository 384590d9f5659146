#!/usr/bin/env python3
"""Interop: what the media layer carries, measured in recordings (TAP, 127.0.0.1 only).

- both ways, Bellbird with Bellbird: A = `listen --auto-answer --audio-in A.wav (1000 Hz)
  --audio-out OUT_A`, B = `call --audio-in tone (440 Hz) --audio-out OUT_B --duration 3`:
  each recording holds >= 2 s of the other side's tone.
- DTMF (RFC 4733) Bellbird -> Bellbird: B `call --dtmf 159#*0D`: A reports exactly those
  digits, in order, once each, direction "received"; B reports them "sent".
- DTMF with baresip 1.0 (ctrl_tcp module): Bellbird -> baresip (baresip's CALL_DTMF_START
  events) and baresip -> Bellbird (ctrl command `sndcode`, listen's dtmf events).
- hold silences the held direction: B holds A (--hold-after 1 --hold-for 1, our offer
  sendonly, A answers recvonly). Recordings are cut into 250 ms windows (RMS and the power at
  the tone's frequency, Goertzel); a direction counts as silenced when it holds >= 0.5 s less
  tone than the call lasted (no samples arrive while held: the WAV is shorter) or a quiet
  stretch >= 0.5 s in the middle (silence written for the gap). Checked both ways: what the
  holder sends (OUT_A) and what the held side sends (OUT_B); and, for reference, the same
  measurement when baresip holds Bellbird (ctrl `hold` / `resume`).
- baresip -> Bellbird audio: baresip (aufile source, 440 Hz WAV) dials `listen --auto-answer
  --audio-out OUT`: OUT holds >= 2 s of 440 Hz, with PCMU and with PCMA forced (baresip's
  account audio_codecs=PCMA); between two Bellbirds PCMA comes from listen --codecs PCMA.
"""

import math
import os
import re
import struct
import sys
import time
import wave

sys.dont_write_bytecode = True   # importing the other test scripts leaves no __pycache__

import interop_common as ic  # noqa: E402

finish = ic.finish
states = ic.states
events = ic.events
uri = ic.loopback_uri
import test_calls_baresip as tcb  # noqa: E402
import test_transfer_baresip as ttb  # noqa: E402

T = ic.Cases()

DIGITS = "159#*0D"
WIN = 0.25          # analysis window, seconds
TONE_MIN = 300.0    # RMS of the tone's component for a window to count as tone...
SHARE_MIN = 0.5     # ...with at least this share of the window's power at the tone
QUIET_MAX = 100.0   # RMS of the tone's component below which a window is quiet
JITTER_MAX_MS = 10  # interarrival jitter on loopback for a sender that paces its packets
# Under ASan/UBSan (./setup asan sets ASAN_OPTIONS) a call's pipelines take up to 1.5 s to
# start, and what arrives before they play is dropped as stale: steps timed from the start of
# a call wait that long first there, so there is audio before them.
START_S = 1.5 if "ASAN_OPTIONS" in os.environ else 0.0

BOTH_DESCS = [
    "both ways: B (call --audio-in tone --audio-out OUT_B --duration 3) -> A (listen "
    "--auto-answer --audio-in 1000 Hz WAV --audio-out OUT_A): B connects, hangs up, exits 0; "
    "A's call incoming -> connected -> ended and listen exits 0 (--max-calls 1)",
    "both ways: OUT_A holds >= 2 s of 440 Hz (B's tone source)",
    "both ways: OUT_B holds >= 2 s of 1000 Hz (A's WAV file)",
    "PCMA between two Bellbirds: listen --codecs PCMA answers with PCMA (B's media event) and "
    "records >= 1.5 s of B's 440 Hz tone",
    "both ways: as the 3 s call ends (before any 5 s RTCP report) each side reports its last "
    "figures once: a quality event with final true, before the call's ended event, counting "
    ">= 2 s of frames received",
    "G.711 packets leave at their time, 20 ms apart, whatever buffers the source makes: in the "
    "PCMA call (B's live tone: 128 ms buffers; A's WAV: 256 ms) the interarrival jitter each "
    "side reports for what it received (RFC 3550, final quality event) is below %d ms (a whole "
    "buffer's packets sent at once gives tens of ms)" % JITTER_MAX_MS,
]
DTMF_DESCS = [
    "DTMF Bellbird -> Bellbird: B call --dtmf %s: A's dtmf events are exactly the digits "
    "1,5,9,#,*,0,D in order, once each, direction received, for A's call" % DIGITS,
    "DTMF Bellbird -> Bellbird: B's dtmf events say direction sent and carry %s; B exits 0"
    % DIGITS,
]
BS_DTMF_DESCS = [
    "DTMF Bellbird -> baresip: call --dtmf %s to baresip (answermode=auto): baresip's ctrl_tcp "
    "events CALL_DTMF_START carry exactly 1,5,9,#,*,0,D in order, each followed by "
    "CALL_DTMF_END" % DIGITS,
    "DTMF baresip -> Bellbird: baresip dials listen and sends %s (ctrl 'sndcode'): listen's "
    "dtmf events are exactly those digits in order, direction received" % DIGITS,
]
HOLD_DESCS = [
    "hold: B (call --hold-after 1 --hold-for 1 --duration 4) reports hold local true then false "
    "and exits 0; A reports remote hold true then false",
    "hold: OUT_A (what B, the holder, sends: its 440 Hz tone) has tone in its first second and "
    "after the resume and none while held (>= 0.5 s less tone than the call, or a quiet "
    "stretch >= 0.5 s)",
    "hold: OUT_B (what A, held and answering recvonly, sends: its 1000 Hz WAV) has tone in its "
    "first second and after the resume and none while held (>= 0.5 s less tone than the call, "
    "or a quiet stretch >= 0.5 s)",
]
BS_HOLD_DESCS = [
    "hold by baresip (ctrl hold / resume, 1 s each): listen reports remote hold true then false; "
    "its recording of baresip's 440 Hz has tone before and after and none while held",
]
BS_AUDIO_DESCS = [
    "baresip -> Bellbird (PCMU): baresip (aufile 440 Hz) dials listen --auto-answer --audio-out "
    "OUT --audio-in tone: listen answers with PCMU, OUT holds >= 2 s of 440 Hz",
    "baresip -> Bellbird (PCMA forced: baresip audio_codecs=PCMA): listen answers with PCMA "
    "(m=audio ... RTP/AVP 8), OUT holds >= 2 s of 440 Hz",
]


# --------------------------------------------------------------------------------------------
# Recordings

class Rec:
    """A recording cut into WIN-second windows: per window (start, rms, share at freq, RMS of
    the component at freq). Whole-file figures come from ic.wav_tone."""

    def __init__(self, path, freq):
        self.path, self.freq = path, freq
        self.seconds, self.rms, self.share = ic.wav_tone(path, freq)
        self.windows = []
        self.error = None
        try:
            with wave.open(path) as w:
                rate, ch, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
                data = w.readframes(w.getnframes())
        except (OSError, EOFError, wave.Error) as e:
            self.error = "cannot read %s: %s" % (path, e)
            return
        if width != 2:
            self.error = "%s: %d-byte samples, expected 16-bit" % (path, width)
            return
        samples = struct.unpack("<%dh" % (len(data) // 2), data[:len(data) // 2 * 2])[::ch]
        n = int(rate * WIN)
        k = 2 * math.cos(2 * math.pi * freq / rate)
        for i in range(0, len(samples) - n + 1, n):
            x = samples[i:i + n]
            energy = float(sum(v * v for v in x))
            s1 = s2 = 0.0
            for v in x:
                s1, s2 = v + k * s1 - s2, s1
            power = max(0.0, (s1 * s1 + s2 * s2 - k * s1 * s2) * 2 / n)
            self.windows.append((i / rate, math.sqrt(energy / n),
                                 power / energy if energy else 0.0, math.sqrt(power / n)))

    @staticmethod
    def is_tone(w):
        return w[3] >= TONE_MIN and w[2] >= SHARE_MIN

    @staticmethod
    def is_quiet(w):
        return w[3] < QUIET_MAX

    def tone_seconds(self, lo=0.0, hi=1e9):
        return WIN * sum(1 for w in self.windows if lo <= w[0] < hi and self.is_tone(w))

    def longest_quiet_inside(self):
        """(seconds, start) of the longest run of quiet windows with tone both before and
        after it (a gap in the middle, not a late start or an early end)."""
        best = (0.0, None)
        run_start, run = None, 0
        seen_tone = False
        for w in self.windows:
            if self.is_quiet(w):
                if seen_tone:
                    if run == 0:
                        run_start = w[0]
                    run += 1
            else:
                if self.is_tone(w):
                    if run and run * WIN > best[0]:
                        best = (run * WIN, run_start)
                    seen_tone = True
                run = 0
        return best

    def summary(self):
        return ("%s: %.2f s, rms %.0f, share at %g Hz %.2f, %.2f s of tone (%d windows of "
                "%g s)" % (os.path.basename(self.path), self.seconds, self.rms, self.freq,
                           self.share, self.tone_seconds(), len(self.windows), WIN))

    def window_lines(self):
        out = ["%s windows (start s: rms / share at %g Hz / tone rms):"
               % (os.path.basename(self.path), self.freq)]
        for i in range(0, len(self.windows), 4):
            out.append("  " + "  ".join("%5.2f: %5.0f/%.2f/%5.0f" % w
                                        for w in self.windows[i:i + 4]))
        if self.error:
            out.append("  " + self.error)
        return out


def held_verdict(rec, call_len):
    """Checks a recording of a direction that should stop while the call is held.
    Returns (ok, facts, mechanism)."""
    first = rec.tone_seconds(0, 1.0)
    last = rec.tone_seconds(max(0.0, rec.seconds - 1.0)) if rec.windows else 0.0
    deficit = call_len - rec.tone_seconds()
    quiet, at = rec.longest_quiet_inside()
    mech = None
    if quiet >= 0.5:
        mech = "a quiet stretch of %.2f s from %.2f s in the recording" % (quiet, at)
    elif deficit >= 0.5:
        mech = ("no samples while held: the recording is %.2f s long with %.2f s of tone for a "
                "%.2f s call (%.2f s missing)" % (rec.seconds, rec.tone_seconds(), call_len,
                                                   deficit))
    ok = first >= 0.5 and last >= 0.5 and mech is not None
    facts = ["%s; call lasted %.2f s; tone in the first second %.2f s, in the last second %.2f s; "
             "tone deficit %.2f s; longest quiet stretch inside %.2f s%s"
             % (rec.summary(), call_len, first, last, deficit, quiet,
                "" if at is None else " from %.2f s" % at)]
    return ok, facts, mech


# --------------------------------------------------------------------------------------------
# Helpers

def listen(peers, name, extra=(), duration=20):
    port = ic.free_port()
    p = ic.start_listen(peers, name, port, transport="udp", extra=extra, duration=duration)
    return p, port, ic.wait_listening(p, "UDP", port, 5)


def timed_call(call, timeout):
    """Waits for the call's connected and ended events; returns how long it was connected
    (seconds, as seen on its stdout) or None."""
    _, conn = ic.wait_event(call, ic.call_state("connected", "ended"), timeout)
    t0 = time.monotonic()
    if not conn or conn.get("state") != "connected":
        return None
    _, end = ic.wait_event(call, ic.call_state("ended"), timeout)
    return time.monotonic() - t0 if end else None


def baresip_missing(ctrl=False):
    if not ic.baresip_path():
        return "baresip not installed"
    lack = [m for m in ("g711", "aufile", "alsa", "menu", "account")
            + (("ctrl_tcp",) if ctrl else ()) if not ic.baresip_has_module(m)]
    return "baresip modules missing: %s" % ", ".join(lack) if lack else None


def missing():
    return None if ic.bellbird_cli() else "BELLBIRD_CLI not set or not executable"


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


# --------------------------------------------------------------------------------------------
# 1. Audio both ways between two Bellbirds

def final_report(proc):
    """proc's one final quality event, when it came before its call's ended event."""
    evs = proc.events()
    finals = [i for i, e in enumerate(evs) if e.get("event") == "quality" and e.get("final")]
    ended = [i for i, e in enumerate(evs) if e.get("event") == "call" and e.get("state") == "ended"]
    if len(finals) != 1 or not ended or finals[0] > ended[0]:
        return None
    return evs[finals[0]]


@T.case(BOTH_DESCS)
def case_both_ways(tap, peers):
    d = peers.mkdtemp("both")
    wav_a = ic.write_wav(os.path.join(d, "a-1000.wav"), 10, freq=1000)
    out_a, out_b = os.path.join(d, "out-a.wav"), os.path.join(d, "out-b.wav")
    a, aport, up = listen(peers, "a", ["--auto-answer", "--max-calls", "1", "--audio-in", wav_a,
                                       "--audio-out", out_a])
    b = ic.start_call(peers, "b", uri("alice", aport), duration=3,
                      extra=["--audio-in", "tone", "--audio-out", out_b])
    brc = finish(b, 12)
    arc = finish(a, 5)
    sb, sa = states(b), states(a)
    last_b = (ic.call_events(b) or [{}])[-1]
    codecs = [e.get("codec") for e in events(b, "media")]
    tap.ok(up and brc == 0 and "connected" in sb and last_b.get("reason") == "hung up"
           and sa == ["incoming", "connected", "ended"] and arc == 0, BOTH_DESCS[0],
           lambda: ["A listening %s, A exit %s, A states %s; B exit %s, B states %s, last %s"
                    % (up, arc, sa, brc, sb, last_b)] + b.diag() + a.diag())
    ra, rb = Rec(out_a, 440), Rec(out_b, 1000)
    tap.ok(ra.tone_seconds() >= 2.0, BOTH_DESCS[1],
           lambda: [ra.summary()] + ra.window_lines() + b.diag() + a.diag())
    tap.ok(rb.tone_seconds() >= 2.0, BOTH_DESCS[2],
           lambda: [rb.summary()] + rb.window_lines() + b.diag() + a.diag())
    finals = {name: final_report(proc) for name, proc in (("A", a), ("B", b))}
    tap.ok(all(f is not None and f.get("frames", 0) >= 100 for f in finals.values()),
           BOTH_DESCS[4],
           lambda: ["final quality events: %s" % finals] + b.diag() + a.diag())
    tap.note("both ways (codec %s): %s" % ("/".join(c for c in codecs if c) or "not reported",
                                           ra.summary()),
             "both ways: %s" % rb.summary())
    # PCMA first in the callee's order (--codecs): the answer picks it, the tone still passes.
    out_p = os.path.join(d, "out-pcma.wav")
    pa, pport, _ = listen(peers, "a-pcma", ["--auto-answer", "--max-calls", "1", "--codecs", "PCMA",
                                            "--audio-in", wav_a, "--audio-out", out_p])
    pb = ic.start_call(peers, "b-pcma", uri("alice", pport), duration=2.5,
                       extra=["--audio-in", "tone", "--audio-out", "none"])
    prc = finish(pb, 12)
    finish(pa, 5)
    pcodecs = [e.get("codec") for e in events(pb, "media")]
    rp = Rec(out_p, 440)
    tap.ok(prc == 0 and pcodecs[-1:] == ["PCMA"] and rp.tone_seconds() >= 1.5, BOTH_DESCS[3],
           lambda: ["B exit %s, codecs %s, %s" % (prc, pcodecs, rp.summary())] + pb.diag() + pa.diag())
    pfinals = {name: final_report(proc) for name, proc in (("A", pa), ("B", pb))}
    jitters = {name: f.get("jitter_ms") if f else None for name, f in pfinals.items()}
    tap.ok(all(j is not None and j < JITTER_MAX_MS for j in jitters.values()), BOTH_DESCS[5],
           lambda: ["PCMA call, jitter_ms received: %s" % jitters] + pb.diag() + pa.diag())
    tap.note("PCMA call: jitter_ms received by A %s, by B %s" % (jitters["A"], jitters["B"]))


# --------------------------------------------------------------------------------------------
# 2. DTMF between two Bellbirds

@T.case(DTMF_DESCS)
def case_dtmf_bellbird(tap, peers):
    a, aport, up = listen(peers, "a", ["--auto-answer", "--max-calls", "1", "--audio-in", "none",
                                       "--audio-out", "none"])
    b = ic.start_call(peers, "b", uri("alice", aport), duration=3,
                      extra=["--dtmf", DIGITS, "--audio-in", "tone", "--audio-out", "none"])
    brc = finish(b, 12)
    finish(a, 5)
    got = events(a, "dtmf")
    call_ids = {e.get("id") for e in ic.call_events(a)}
    digits = [e.get("digit") for e in got]
    tap.ok(up and digits == list(DIGITS) and all(e.get("direction") == "received" for e in got)
           and all(e.get("id") in call_ids for e in got) and len(call_ids) == 1, DTMF_DESCS[0],
           lambda: ["A's dtmf events %s (A's call ids %s)" % (got, sorted(call_ids))]
           + a.diag() + b.diag())
    sent = events(b, "dtmf")
    tap.ok(brc == 0 and sent and all(e.get("direction") == "sent" and not e.get("error")
                                     for e in sent)
           and "".join(e.get("digit") or "" for e in sent) == DIGITS, DTMF_DESCS[1],
           lambda: ["B exit %s, B's dtmf events %s" % (brc, sent)] + b.diag())
    tap.note("DTMF received by A: %s" % ", ".join("%s (%s ms)" % (e.get("digit"),
                                                                   e.get("duration"))
                                                   for e in got))


# --------------------------------------------------------------------------------------------
# 3. DTMF with baresip (both ways)

@T.case(BS_DTMF_DESCS)
def case_dtmf_baresip(tap, peers):
    reason = baresip_missing(ctrl=True)
    if reason:
        tap.skip_rest(BS_DTMF_DESCS, reason)
        return
    bs, bport, ctrl = ttb.start_baresip_ctrl(peers, "baresip", "b", answer=True)
    if not ctrl:
        for desc in BS_DTMF_DESCS:
            tap.ok(False, desc, ["baresip or its ctrl_tcp did not come up"] + bs.diag(40))
        return

    # Bellbird -> baresip
    call = ic.start_call(peers, "call", uri("b", bport), duration=3,
                         extra=["--dtmf", DIGITS, "--audio-in", "tone", "--audio-out", "none"])
    crc = finish(call, 12)
    ctrl.event("CALL_CLOSED", 3)
    evs = [m for m in ctrl.events() if m.get("type") in ("CALL_DTMF_START", "CALL_DTMF_END")]
    starts = [m.get("param") for m in evs if m.get("type") == "CALL_DTMF_START"]
    pairs_ok = [m.get("type") for m in evs] == ["CALL_DTMF_START", "CALL_DTMF_END"] * len(DIGITS)
    logged = re.findall(r"received event: '(.)' \(end=1\)", _ANSI.sub("", bs.stdout()))
    tap.ok(crc == 0 and starts == list(DIGITS) and pairs_ok, BS_DTMF_DESCS[0],
           lambda: ["call exit %s; baresip CALL_DTMF_START params %s, event order ok %s; its log "
                    "'received event (end=1)' %s" % (crc, starts, pairs_ok, logged)]
           + call.diag() + ttb.bs_diag(bs, ctrl, 40))

    # baresip -> Bellbird
    li, lport, up = listen(peers, "listen", ["--auto-answer", "--max-calls", "1", "--audio-in",
                                             "tone", "--audio-out", "none"])
    n0 = len(ctrl.msgs)
    dial = ctrl.command("dial", uri("x", lport))
    est = ctrl.wait(lambda m: m.get("type") == "CALL_RTPESTAB", 5) if dial else None
    sent = ctrl.command("sndcode", DIGITS) if est else None
    deadline = time.monotonic() + ic.bounded(4)
    while time.monotonic() < deadline and len(events(li, "dtmf")) < len(DIGITS):
        time.sleep(0.05)
    time.sleep(0.3)   # a duplicate would show up now
    ctrl.command("hangup")
    lrc = finish(li, 5)
    got = events(li, "dtmf")
    tap.ok(up and sent and sent.get("ok") and [e.get("digit") for e in got] == list(DIGITS)
           and all(e.get("direction") == "received" for e in got), BS_DTMF_DESCS[1],
           lambda: ["listening %s, dial %s, RTP established %s, sndcode %s, listen exit %s; "
                    "listen's dtmf events %s" % (up, dial, bool(est), sent, lrc, got)]
           + ["baresip ctrl messages since the dial: %d" % (len(ctrl.msgs) - n0)]
           + li.diag() + ttb.bs_diag(bs, ctrl, 40))
    ctrl.close()
    ic.stop_baresip(bs)


# --------------------------------------------------------------------------------------------
# 4. Hold stops the sound of the held direction

@T.case(HOLD_DESCS)
def case_hold(tap, peers):
    d = peers.mkdtemp("hold")
    wav_a = ic.write_wav(os.path.join(d, "a-1000.wav"), 10, freq=1000)
    out_a, out_b = os.path.join(d, "out-a.wav"), os.path.join(d, "out-b.wav")
    a, aport, up = listen(peers, "a", ["--auto-answer", "--max-calls", "1", "--audio-in", wav_a,
                                       "--audio-out", out_a])
    b = ic.start_call(peers, "b", uri("alice", aport), duration=4,
                      extra=["--audio-in", "tone", "--audio-out", out_b,
                             "--hold-after", "1", "--hold-for", "1"])
    call_len = timed_call(b, 12)
    brc = finish(b, 5)
    finish(a, 5)
    holds_b = [e.get("local") for e in events(b, "hold")]
    holds_a = [e.get("remote") for e in events(a, "hold")]
    media = ["B %s" % {k: e.get(k) for k in ("codec", "send", "recv")} for e in events(b, "media")]
    media += ["A %s" % {k: e.get(k) for k in ("codec", "send", "recv")} for e in events(a, "media")]
    tap.ok(up and brc == 0 and holds_b == [True, False] and holds_a == [True, False]
           and call_len, HOLD_DESCS[0],
           lambda: ["B exit %s, B hold local %s, A hold remote %s, connected for %s s"
                    % (brc, holds_b, holds_a, call_len)] + b.diag() + a.diag())
    call_len = call_len or 4.0
    ra, rb = Rec(out_a, 440), Rec(out_b, 1000)
    ok_a, facts_a, mech_a = held_verdict(ra, call_len)
    tap.ok(ok_a, HOLD_DESCS[1],
           lambda: facts_a + ["B, the holder (its offer sendonly), kept sending its tone while "
                              "held (baresip stops sending while it holds: see 'hold by "
                              "baresip')" if mech_a is None else "held: %s" % mech_a,
                              "media events: %s" % media] + ra.window_lines())
    ok_b, facts_b, mech_b = held_verdict(rb, call_len)
    tap.ok(ok_b, HOLD_DESCS[2],
           lambda: facts_b + ["A (answering recvonly) did not stop sending while held"
                              if mech_b is None else "held: %s" % mech_b,
                              "media events: %s" % media] + rb.window_lines())
    tap.note("hold, OUT_A (holder -> held): %s" % (mech_a or "no gap"), *facts_a)
    tap.note("hold, OUT_B (held -> holder): %s" % (mech_b or "no gap"), *facts_b)


@T.case(BS_HOLD_DESCS)
def case_hold_by_baresip(tap, peers):
    reason = baresip_missing(ctrl=True)
    if reason:
        tap.skip_rest(BS_HOLD_DESCS, reason)
        return
    bs, bport, ctrl = ttb.start_baresip_ctrl(peers, "baresip", "b")
    d = peers.mkdtemp("bs-hold")
    out = os.path.join(d, "out.wav")
    li, lport, up = listen(peers, "listen", ["--auto-answer", "--max-calls", "1", "--audio-in",
                                             "tone", "--audio-out", out])
    if not (ctrl and up):
        tap.ok(False, BS_HOLD_DESCS[0], ["baresip ctrl %s, listen up %s" % (bool(ctrl), up)]
               + li.diag() + bs.diag(40))
        return
    ctrl.command("dial", uri("x", lport))
    _, conn = ic.wait_event(li, ic.call_state("connected"), 5)
    t0 = time.monotonic()
    steps = []
    for cmd, at in (("hold", 1.0), ("resume", 2.0), ("hangup", 3.5)):
        time.sleep(max(0.0, t0 + START_S + at - time.monotonic()))
        steps.append((cmd, bool((ctrl.command(cmd) or {}).get("ok"))))
    _, end = ic.wait_event(li, ic.call_state("ended"), 5)
    call_len = time.monotonic() - t0
    lrc = finish(li, 5)
    holds = [e.get("remote") for e in events(li, "hold")]
    rec = Rec(out, 440)
    ok, facts, mech = held_verdict(rec, call_len - START_S)   # the recording starts late there
    media = [{k: e.get(k) for k in ("codec", "send", "recv")} for e in events(li, "media")]
    tap.ok(conn and end and holds == [True, False] and ok, BS_HOLD_DESCS[0],
           lambda: ["connected %s, ctrl steps %s, listen hold remote %s, listen exit %s, media %s"
                    % (bool(conn), steps, holds, lrc, media)] + facts
           + (["held: %s" % mech] if mech else []) + rec.window_lines() + li.diag()
           + ttb.bs_diag(bs, ctrl, 40))
    tap.note("hold by baresip (baresip -> Bellbird): %s" % (mech or "no gap"), *facts)
    ctrl.close()
    ic.stop_baresip(bs)


# --------------------------------------------------------------------------------------------
# 5. baresip -> Bellbird audio, PCMU and PCMA

@T.case(BS_AUDIO_DESCS)
def case_baresip_audio(tap, peers):
    reason = baresip_missing()
    if reason:
        tap.skip_rest(BS_AUDIO_DESCS, reason)
        return
    runs = []
    for codec in ("PCMU", "PCMA"):   # both at once: separate ports, separate processes
        d = peers.mkdtemp("bs-%s" % codec)
        out = os.path.join(d, "out.wav")
        li, lport, up = listen(peers, "listen-%s" % codec,
                               ["--auto-answer", "--max-calls", "1", "--audio-in", "tone",
                                "--audio-out", out])
        bport = ic.free_port(span=10)
        wav = ic.write_wav(os.path.join(d, "tone.wav"), 15)
        ic.write_baresip_config(d, bport, "<sip:a@%s:%d>;regint=0" % (ic.LOOPBACK, bport), wav,
                                codecs=codec)
        bs = ic.start_baresip(peers, "baresip-%s" % codec, d,
                              extra=["-e", "/dial %s" % uri("x", lport), "-t", "4"])
        runs.append((codec, li, up, bs, bport, out))
    for (codec, li, up, bs, bport, out), desc in zip(runs, BS_AUDIO_DESCS):
        brc = bs.wait(10)
        if brc is None:
            ic.stop_baresip(bs)
        lrc = finish(li, 5)
        msgs = tcb.baresip_trace(bs.stdout(), bport)
        r200 = [m for m in msgs if m["dir"] == "received" and tcb.status(m) == 200
                and tcb.cseq_method(m) == "INVITE"]
        answer = tcb.sdp_of(r200[0]) if r200 else ""
        mline = re.search(r"^m=audio (\d+) RTP/AVP ([\d ]+?)\s*$", answer, re.M)
        pts = mline.group(2).split() if mline else []
        want = "0" if codec == "PCMU" else "8"
        media = [e.get("codec") for e in events(li, "media")]
        rec = Rec(out, 440)
        tap.ok(up and pts[:1] == [want] and all(c == codec for c in media if c) and states(li)[-1:] == ["ended"]
               and rec.tone_seconds() >= 2.0, desc,
               lambda: ["listening %s, listen exit %s, states %s, baresip exit %s; answer "
                        "payload types %s (want %s first), media events' codec %s"
                        % (up, lrc, states(li), brc, pts, want, media), rec.summary(),
                        "bellbird's answer:"] + ["  " + l for l in answer.splitlines()]
               + rec.window_lines() + li.diag() + bs.diag(30))
        tap.note("baresip -> Bellbird %s: answer payload types %s; %s"
                 % (codec, " ".join(pts) or "none", rec.summary()))


if __name__ == "__main__":
    T.run(missing)
