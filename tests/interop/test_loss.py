#!/usr/bin/env python3
"""Interop: a call through a lossy path keeps going and keeps its audio (TAP, 127.0.0.1 only).

B = `call --audio-in tone (440 Hz) --audio-out none --test-loss 20 --duration 7` drops 20 % of
the RTP packets it sends, at random (a fixed seed: the same packets every run), as a lossy
network would; A = `listen --auto-answer --max-calls 1 --audio-in none --audio-out OUT`.

- the call stays up until B's own BYE: B exits 0, its call ends "hung up", A's "the other side
  hung up".
- A's RTCP figures see the loss: its "quality" events (one per report A sends) give the loss
  of each interval; their mean, and the cumulative lost / (lost + received) of the last one,
  lie between 0.10 and 0.30.
- the tone still comes through: OUT holds >= 3 s, and cut into 50 ms windows most of them
  (median) have more than half of their power at 440 Hz. (A lost packet leaves no samples in
  the recording, so the tone's phase jumps at each loss: a Goertzel over the whole file says
  little then, and it is only reported; a 50 ms window holds at most one such jump.)
- the same run at 0 %: every quality event reports loss 0 and nothing lost.
"""

import math
import os
import struct
import time
import wave

import interop_common as ic

finish = ic.finish
events = ic.events

T = ic.Cases()

DURATION = 7        # seconds: A's first RTCP report comes within 3.75 s of the call's start
WIN = 0.05          # tone analysis window, seconds
QUIET_RMS = 100.0   # windows quieter than this are not judged

LOSS_DESCS = [
    "20 %% loss: B (call --test-loss 20 --duration %d) stays connected until its own BYE: B exits "
    "0, its call ends 'hung up', A's call incoming -> connected -> ended 'the other side hung "
    "up'" % DURATION,
    "20 % loss: A's quality events see it: mean loss of the reports and the cumulative lost / "
    "(lost + received) between 0.10 and 0.30",
    "20 % loss: A's recording holds >= 3 s and the tone still correlates: the median 50 ms "
    "window has > 0.5 of its power at 440 Hz",
]
CLEAN_DESCS = [
    "0 % loss (--test-loss 0, the same run otherwise): A's quality events report loss 0 and "
    "lost 0; the recording holds >= 3 s of 440 Hz (whole-file share > 0.5)",
]


def window_shares(path, freq):
    """Share of the power at freq (Goertzel) of each WIN-second window of a mono 16-bit WAV that
    is not quiet; [] when it cannot be read."""
    try:
        with wave.open(path) as w:
            rate = w.getframerate()
            data = w.readframes(w.getnframes())
    except (OSError, EOFError, wave.Error):
        return []
    samples = struct.unpack("<%dh" % (len(data) // 2), data[:len(data) // 2 * 2])
    n = int(rate * WIN)
    k = 2 * math.cos(2 * math.pi * freq / rate)
    shares = []
    for i in range(0, len(samples) - n + 1, n):
        x = samples[i:i + n]
        energy = float(sum(v * v for v in x))
        if energy / n < QUIET_RMS * QUIET_RMS:
            continue
        s1 = s2 = 0.0
        for v in x:
            s1, s2 = v + k * s1 - s2, s1
        shares.append(max(0.0, (s1 * s1 + s2 * s2 - k * s1 * s2) * 2 / n) / energy)
    return shares


def median(values):
    values = sorted(values)
    return values[len(values) // 2] if values else 0.0


def lossy_call(peers, name, percent):
    """B calls A with --test-loss percent; returns (a, b, a's exit, b's exit, OUT)."""
    out = os.path.join(peers.mkdtemp(name), "out.wav")
    port = ic.free_port()
    a = ic.start_listen(peers, "a-" + name, port, transport="udp", duration=DURATION + 15,
                        extra=["--auto-answer", "--max-calls", "1", "--audio-in", "none",
                               "--audio-out", out])
    ic.wait_listening(a, "UDP", port, 5)
    b = ic.start_call(peers, "b-" + name, "sip:alice@%s:%d" % (ic.LOOPBACK, port),
                      duration=DURATION, extra=["--audio-in", "tone", "--audio-out", "none",
                                                "--test-loss", str(percent)])
    brc = finish(b, DURATION + 10)
    arc = finish(a, 5)
    return a, b, arc, brc, out


def quality_lines(qa):
    return ["  loss %.3f, lost %s, received %s" % (q.get("loss", -1), q.get("lost"),
                                                   q.get("received")) for q in qa]


@T.case(LOSS_DESCS)
def case_loss(tap, peers):
    start = time.monotonic()
    a, b, arc, brc, out = lossy_call(peers, "loss", 20)
    took = time.monotonic() - start
    last_b = (ic.call_events(b) or [{}])[-1]
    states_b = [e.get("state") for e in ic.call_events(b)]
    states_a = [e.get("state") for e in ic.call_events(a)]
    last_a = (ic.call_events(a) or [{}])[-1]
    tap.ok(brc == 0 and "connected" in states_b and states_b.count("ended") == 1
           and last_b.get("reason") == "hung up" and arc == 0
           and states_a == ["incoming", "connected", "ended"]
           and last_a.get("reason") == "the other side hung up", LOSS_DESCS[0],
           lambda: ["B exit %s, states %s, last %s; A exit %s, states %s, last %s"
                    % (brc, states_b, last_b, arc, states_a, last_a)] + b.diag() + a.diag())

    qa = events(a, "quality")
    losses = [q.get("loss", -1) for q in qa]
    mean = sum(losses) / len(losses) if losses else -1
    lost = qa[-1].get("lost", 0) if qa else 0
    received = qa[-1].get("received", 0) if qa else 0
    cumulative = lost / (lost + received) if lost + received > 0 else -1
    tap.ok(qa and 0.10 <= mean <= 0.30 and 0.10 <= cumulative <= 0.30, LOSS_DESCS[1],
           lambda: ["A's quality events (mean loss %.3f, cumulative %.3f):" % (mean, cumulative)]
           + quality_lines(qa) + a.diag())

    seconds, rms, share = ic.wav_tone(out, 440)
    shares = window_shares(out, 440)
    mid = median(shares)
    tap.ok(seconds >= 3.0 and mid > 0.5, LOSS_DESCS[2],
           lambda: ["%s: %.2f s, rms %.0f, whole-file 440 Hz share %.3f; %d windows, median share "
                    "%.3f" % (out, seconds, rms, share, len(shares), mid)] + a.diag())
    tap.note("20 %% loss: call %.1f s; A's reports: loss %s (mean %.3f), cumulative %d lost of "
             "%d (%.3f); recording %.2f s (of a %d s call), median 50 ms 440 Hz share %.3f, "
             "%d%% of windows > 0.5, whole-file share %.3f"
             % (took, ", ".join("%.3f" % x for x in losses), mean, lost, lost + received,
                cumulative, seconds, DURATION, mid,
                100 * sum(1 for s in shares if s > 0.5) // max(1, len(shares)), share))


@T.case(CLEAN_DESCS)
def case_clean(tap, peers):
    a, b, arc, brc, out = lossy_call(peers, "clean", 0)
    qa = events(a, "quality")
    seconds, rms, share = ic.wav_tone(out, 440)
    tap.ok(brc == 0 and arc == 0 and qa
           and all(q.get("loss") == 0 and q.get("lost") == 0 for q in qa)
           and seconds >= 3.0 and share > 0.5, CLEAN_DESCS[0],
           lambda: ["B exit %s, A exit %s; %s: %.2f s, 440 Hz share %.3f; A's quality events:"
                    % (brc, arc, out, seconds, share)] + quality_lines(qa) + b.diag() + a.diag())
    tap.note("0 %% loss: A's reports: loss %s; recording %.2f s, whole-file 440 Hz share %.3f"
             % (", ".join("%.3f" % q.get("loss", -1) for q in qa), seconds, share))


def missing():
    return None if ic.bellbird_cli() else "BELLBIRD_CLI not set or not executable"


if __name__ == "__main__":
    T.run(missing)
