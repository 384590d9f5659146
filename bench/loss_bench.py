#!/usr/bin/env python3
"""loss_bench.py: speech through lossy loopback calls, measured (run-loss-bench.sh runs it).

  loss_bench.py run --cli BELLBIRD_CLI [--jobs N] [--codecs opus,PCMU] [--seconds S]
                    [--markdown FILE] [--keep]

What it does (127.0.0.1 only; every process it starts is stopped by its pid):

Speech: espeak-ng -> sox, 8 kHz mono 16-bit (the interop suite's make_speech, imported from
tests/interop/test_speech.py): an utterance of about 7 s, said again until it fills --seconds,
with silence in front, padded to the call's length for Bellbird's --audio-in, and to the
call's length + 4 s for baresip's aufile source (baresip hangs up when its source ends;
resampled by sox to the codec's rate and channels, which baresip's aufile needs: 48 kHz
stereo for Opus, 16 kHz for G.722).

Calls, one per (row, codec, FEC/RED) and path, --jobs at a time (2: more on a two-core machine
that is busy with other work starves the calls' pipelines, which shows as lower figures even
at 0 % loss; --jobs 1 when the figures matter most):
  bellbird -> bellbird: `listen --auto-answer --audio-in none --audio-out RX.wav` answers
    `call --audio-in speech.wav --audio-out none --test-loss P [--test-loss-burst N]`: the
    caller's RTP is lost on the way, the listener measures.
  bellbird <-> baresip: `call --audio-in speech.wav --audio-out RX.wav --test-loss P
    --test-loss-receive P [--test-loss-burst N]` to a baresip with answermode=auto, aufile
    source and its sndfile module recording what it decodes: Bellbird makes the path lossy
    both ways (baresip has no such option), and both directions are measured.
  Both ends get `--codecs C` (baresip: audio_codecs=C, its opus, g722, g711 and plc modules);
  FEC/RED off is `--fec off` when bellbird-cli has that option (and opus_inbandfec no for
  baresip), otherwise the column says n/a and the calls run with Bellbird's defaults.
  A codec bellbird-cli does not negotiate (a probe call per codec first) is left out, with
  the reason.

Rows: random loss 0, 10, 30, 50, 60 %; Gilbert-Elliott bursts of 3 packets on average at 10
and 30 % (bell-loss-model.h; the loss is drawn from a fixed seed: the same packets every run).

Figures, per direction:
  reached: the fraction of 20 ms frames that reached the decoder, after FEC/RED. When the
    receiver is Bellbird, from its last "quality" event: 1 - frames_concealed / frames when
    the event has those fields ("dec"), else received / (received + lost) of its RTP counts
    ("rtp": no FEC/RED to count). When the receiver is baresip: the RTP it received against
    what it found missing, from its rtcpsummary module's line at the call's end ("bs"), else
    1 - the mean of the loss it reported in RTCP (Bellbird's remote_loss, "rtcp"); both
    before baresip's own FEC or concealment.
  lately: the same over the last ~5 s (between the receiver's last two quality events), once
    the sender's rate control has heard of the loss from RTCP and answered it (deeper RED,
    more FEC): a short call is mostly start-up, so both are shown; goals use the whole call.
  corr: the speech-envelope correlation. Envelope: the RMS of 20 ms windows every 5 ms, in dB
    relative to full scale, floored at -60 dB, of each file at its own rate (so Opus's 48 kHz
    compares with the 8 kHz source). Over the sent file's speech (windows within 40 dB of its
    loudest, widened by 0.2 s), the received envelope is slid by -2..+2 s; the lag with the
    highest Pearson correlation aligns them, and that correlation is the figure. Lost audio
    left silent, audio cut out (a shorter recording drifts out of alignment) or noise all
    lower it; concealment that keeps the level and timing keeps it up.
  lag: that alignment, in ms: the time of the speech in the recording less its time in the
    sent file. The recorders start at the first packet they play, so this is not mouth to ear
    (run-media-bench.sh measures that): 0 on an intact path, negative when the start was lost,
    positive when something was put in front.
  delay: one-way delay as the E-model takes it: 20 ms of packetisation + Bellbird's jitter
    buffer + half the round-trip time, from the quality events (Bellbird receivers only).
  MOS: the quality event's "mos" when it has one; otherwise, for G.711 only, the E-model
    (ITU-T G.107, default values, with G.113 Appendix I's Ie = 0 and Bpl = 4.3 for G.711
    without concealment, 25.1 with it) from the frames not reached and that delay, marked
    with *; "-" for other codecs.
  goal (issue 9, judged, never asserted): at 30 % random loss >= 95 % reached and corr >=
    0.85; at 50 % >= 80 % and >= 0.7; "met" or "not met" for each figure; other rows have
    none.
A call whose Bellbird receiver's jitter buffer grew past JB_DISTURBED_MS is run again once:
on loopback packets arrive as evenly as they were sent (the test loss only removes some), so
that much jitter means the machine starved the call of CPU. The second run is shown, marked
when it was starved too. So is a call that failed (a free port taken in the meantime).
Prints a plain table, then the same as Markdown (also written to --markdown FILE).
"""

import argparse
import concurrent.futures
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
INTEROP = os.path.join(os.path.dirname(HERE), "tests", "interop")

# --------------------------------------------------------------------------------------------
# Rows, goals

# (loss percent, mean burst in packets: 1 = random)
ROWS = [(0, 1), (10, 1), (30, 1), (50, 1), (60, 1), (10, 3), (30, 3)]
# loss percent of random rows -> (reached at least, correlation at least)
GOALS = {30: (0.95, 0.85), 50: (0.80, 0.70)}
SEARCH_S = 2.0
JB_DISTURBED_MS = 150            # a call whose jitter buffer grew past this is run again once
FLOOR_DB = -60.0
HOP_S = 0.005
WINDOW_HOPS = 4                  # 20 ms windows
SPAN_DB = 40.0
SPAN_PAD_S = 0.2
TEXT = ("Bellbird on a lossy line. One, two, three, four, five, six. "
        "The quick brown fox jumps over the lazy dog.")
BARESIP_MODULE = {"PCMU": "g711", "PCMA": "g711", "G722": "g722", "opus": "opus"}
# baresip's account audio_codecs takes name/rate/channels (a bare name means 8000/1)
BARESIP_CODEC = {"G722": "G722/16000/1", "opus": "opus/48000/2"}
# and its aufile source must be at the codec's own rate and channels
BARESIP_SOURCE = {"G722": (16000, 1), "opus": (48000, 2)}


def row_label(loss, burst):
    return "%d %% %s" % (loss, "random" if burst <= 1 else "bursts of %g" % burst)


def goal_of(loss, burst):
    return GOALS.get(loss) if burst <= 1 else None


def verdict(loss, burst, reached, corr):
    """'' (no goal for this row), else each figure's: 'frames met, corr not met'; a figure
    missing is not met."""
    goal = goal_of(loss, burst)
    if not goal:
        return ""
    frames_ok = reached is not None and reached >= goal[0]
    corr_ok = corr is not None and corr >= goal[1]
    return "frames %s, corr %s" % ("met" if frames_ok else "not met",
                                   "met" if corr_ok else "not met")


# --------------------------------------------------------------------------------------------
# Signal analysis (pure Python: no numpy on the machines this runs on)

def read_wav(path):
    """(first channel as array('h'), rate) of a 16-bit WAV, or (None, why): the interop
    suite's reader."""
    sys.path.insert(0, INTEROP)
    import interop_common
    return interop_common.read_wav(path)


def envelope_db(samples, rate):
    """RMS of 20 ms windows every 5 ms, dB re full scale, floored at FLOOR_DB."""
    hop = max(1, int(round(rate * HOP_S)))
    blocks = []
    for i in range(0, len(samples) - hop + 1, hop):
        b = samples[i:i + hop]
        blocks.append(sum(x * x for x in b))
    out = []
    n = hop * WINDOW_HOPS
    for i in range(0, len(blocks) - WINDOW_HOPS + 1):
        ms = sum(blocks[i:i + WINDOW_HOPS]) / n
        db = 10 * math.log10(ms / (32768.0 * 32768.0)) if ms > 0 else FLOOR_DB
        out.append(max(FLOOR_DB, db))
    return out


def speech_span(env):
    """(first, last + 1) windows of the speech: within SPAN_DB of the loudest, widened."""
    if not env:
        return 0, 0
    top = max(env)
    loud = [i for i, v in enumerate(env) if v >= top - SPAN_DB]
    pad = int(SPAN_PAD_S / HOP_S)
    return max(0, loud[0] - pad), min(len(env), loud[-1] + pad + 1)


def align(sent_env, recv_env):
    """(lag in windows, Pearson r) of the best alignment of the received envelope with the sent
    one's speech span; windows outside the recording count as the floor."""
    lo, hi = speech_span(sent_env)
    n = hi - lo
    if n < 2:
        return 0, 0.0
    tmpl = sent_env[lo:hi]
    mt = sum(tmpl) / n
    t = [x - mt for x in tmpl]
    st = math.sqrt(sum(x * x for x in t))
    m = len(recv_env)
    search = int(SEARCH_S / HOP_S)
    best = (0, -2.0)
    for lag in range(-search, search + 1):
        a = lo + lag
        if a >= 0 and a + n <= m:
            seg = recv_env[a:a + n]
        else:
            seg = [recv_env[j] if 0 <= j < m else FLOOR_DB for j in range(a, a + n)]
        ms = sum(seg) / n
        s = [x - ms for x in seg]
        ss = math.sqrt(sum(x * x for x in s))
        r = sum(map(float.__mul__, t, s)) / (st * ss) if st and ss else 0.0
        if r > best[1]:
            best = (lag, r)
    return best


class Match:
    """How a recording matches the file that was sent: corr, lag_ms; error when unreadable."""

    def __init__(self, sent_path, recv_path):
        self.corr = self.lag_ms = None
        self.error = None
        self.recv_s = 0.0
        sent, srate = read_wav(sent_path)
        recv, rrate = read_wav(recv_path) if recv_path else (None, "no recording")
        if sent is None or recv is None:
            self.error = srate if sent is None else rrate
            return
        self.recv_s = len(recv) / float(rrate)
        if not recv:
            self.error = "%s is empty" % recv_path
            return
        lag, r = align(envelope_db(sent, srate), envelope_db(recv, rrate))
        self.corr, self.lag_ms = r, lag * HOP_S * 1000.0


# --------------------------------------------------------------------------------------------
# E-model (ITU-T G.107, default values except the codec's Ie and Bpl, G.113 Appendix I)

# codec -> (Ie, Bpl without concealment, Bpl with it); narrowband G.711 only
EMODEL_CODECS = {"PCMU": (0.0, 4.3, 25.1), "PCMA": (0.0, 4.3, 25.1)}


def emodel_mos(codec, loss, burst_r, delay_ms, concealment):
    """MOS from the E-model for codec at packet loss `loss` (0..1) with burst ratio burst_r,
    one-way delay delay_ms (echo-free: Id only from Ta), or None for a codec without values."""
    if codec not in EMODEL_CODECS or loss is None or delay_ms is None:
        return None
    ie, bpl_plain, bpl_plc = EMODEL_CODECS[codec]
    bpl = bpl_plc if concealment else bpl_plain
    ppl = 100.0 * max(0.0, loss)
    ie_eff = ie + (95.0 - ie) * ppl / (ppl / max(1.0, burst_r) + bpl)
    ta = delay_ms
    idd = 0.024 * ta + (0.11 * (ta - 177.3) if ta > 177.3 else 0.0)
    r = 93.2 - idd - ie_eff
    if r <= 0:
        return 1.0
    if r >= 100:
        return 4.5
    return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6


def burst_ratio(loss, mean_burst):
    """G.107's BurstR for a Gilbert channel with mean burst N at loss p: the mean burst over
    the one random loss would give, N (1 - p); 1 for random loss."""
    if mean_burst <= 1 or loss <= 0:
        return 1.0
    return mean_burst * (1 - loss)


# --------------------------------------------------------------------------------------------
# What Bellbird's events say

def last_quality(proc):
    q = [e for e in proc.events() if e.get("event") == "quality"]
    return q


def reached_by_bellbird(quality):
    """(fraction reached, source) from a receiving Bellbird's quality events."""
    if not quality:
        return None, "no quality event"
    last = quality[-1]
    frames = last.get("frames")
    if isinstance(frames, (int, float)) and frames > 0 and "frames_concealed" in last:
        return 1.0 - last.get("frames_concealed", 0) / float(frames), "dec"
    lost, received = last.get("lost", 0), last.get("received", 0)
    if lost + received <= 0:
        return None, "no RTP counted"
    return received / float(lost + received), "rtp"


def reached_lately(quality):
    """The frames that reached the decoder between the last two quality events (about the
    last 5 s), or None: what the rate control's answer to the loss gives once it has heard of
    it (its first reports come after a few seconds, so a short call is mostly start-up)."""
    counted = [q for q in quality or [] if isinstance(q.get("frames"), (int, float))
               and "frames_concealed" in q]
    if len(counted) < 2:
        return None
    a, b = counted[-2], counted[-1]
    due = b["frames"] - a["frames"]
    if due <= 0:
        return None
    return 1.0 - (b["frames_concealed"] - a["frames_concealed"]) / float(due)


def reached_by_remote(quality):
    """(fraction reached, source) from the loss the peer reported in RTCP (remote_loss)."""
    reports = [q["remote_loss"] for q in quality if isinstance(q.get("remote_loss"), (int, float))]
    if not reports:
        return None, "no RTCP report from the peer"
    return 1.0 - sum(reports) / len(reports), "rtcp"


def reached_by_baresip(bs):
    """(fraction reached, source) from baresip's rtcpsummary line at the call's end
    ("EX=BareSip;...;PR=<received>;PS=<sent>;PL=<lost here>,<lost there>;..."): the RTP it
    received against what it found missing by sequence number, before its FEC or concealment.
    (None, why) without that line."""
    m = re.search(r"EX=BareSip;.*?PR=(\d+);.*?PL=(-?\d+),", bs.stdout())
    if not m:
        return None, "no rtcpsummary line from baresip"
    received, lost = int(m.group(1)), max(0, int(m.group(2)))
    if received + lost <= 0:
        return None, "baresip received no RTP"
    return received / float(received + lost), "bs"


def disturbed(quality):
    """Whether a call was starved of CPU: on loopback packets come as evenly as they were
    sent, so a jitter buffer that had to grow past JB_DISTURBED_MS says the machine (not the
    test loss, which only removes packets) delayed them."""
    return any(isinstance(q.get("jitter_buffer_ms"), (int, float))
               and q["jitter_buffer_ms"] > JB_DISTURBED_MS for q in quality or [])


def delay_of(quality):
    """20 ms packetisation + jitter buffer + RTT / 2 from the last quality event, or None."""
    if not quality:
        return None
    last = quality[-1]
    jb = last.get("jitter_buffer_ms")
    if not isinstance(jb, (int, float)):
        return None
    rtt = next((q["rtt_ms"] for q in reversed(quality)
                if isinstance(q.get("rtt_ms"), (int, float))), 0.0)
    return 20.0 + jb + rtt / 2.0


def mos_of(quality, codec, reached, burst_r, delay_ms):
    """(MOS, marked): the event's mos when there is one, else our E-model (marked)."""
    for q in reversed(quality or []):
        if isinstance(q.get("mos"), (int, float)):
            return q["mos"], False
    conceal = bool(quality) and "frames_concealed" in quality[-1]
    m = emodel_mos(codec, None if reached is None else 1 - reached, burst_r, delay_ms, conceal)
    return m, True


# --------------------------------------------------------------------------------------------
# Calls

class Bench:
    def __init__(self, cli, seconds, workdir, keep):
        os.environ["BELLBIRD_CLI"] = cli
        # The interop helpers cut every wait to a script budget meant for a test; a bench
        # runs for minutes.
        os.environ.setdefault("BELLBIRD_INTEROP_BUDGET", "36000")
        if keep:
            os.environ["BELLBIRD_INTEROP_KEEP"] = "1"
        sys.path.insert(0, INTEROP)
        import interop_common
        import test_speech
        self.ic = interop_common
        self.ts = test_speech
        self.cli = cli
        self.seconds = seconds
        self.dir = workdir
        self.port_lock = threading.Lock()
        help_text = subprocess.run([cli, "--help"], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, timeout=10).stdout.decode()
        self.has_fec = "--fec" in help_text
        # The utterance (~7 s) said again until it fills the call, so that the envelope is
        # judged over all of it, the rate control's answer to the loss included.
        text = " ".join([TEXT] * max(1, int(math.ceil(seconds / 8.0))))
        self.speech = self.ts.make_speech(workdir, "speech", text, seconds)
        self.speech_long = self.ts.make_speech(workdir, "speech-long", text, seconds + 4)
        self.baresip_source = {}
        for codec, (rate, channels) in BARESIP_SOURCE.items():
            path = os.path.join(workdir, "speech-long-%s.wav" % codec)
            subprocess.run(["sox", self.speech_long, "-r", str(rate), "-c", str(channels), path],
                           check=True, timeout=30, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            self.baresip_source[codec] = path

    def free_port(self, span=4):
        with self.port_lock:
            return self.ic.free_port(span)

    def fec_args(self, fec):
        return ["--fec", "off"] if fec == "off" else []

    def loss_args(self, loss, burst, receive):
        args = ["--test-loss", str(loss)]
        if receive:
            args += ["--test-loss-receive", str(loss)]
        if burst > 1:
            args += ["--test-loss-burst", str(burst)]
        return args

    def bellbird_pair(self, peers, name, codec, fec, loss, burst, call_s, audio=True):
        """bellbird -> bellbird; returns a dict of what it saw."""
        ic = self.ic
        port = self.free_port()
        out = os.path.join(peers.mkdtemp(name), "rx.wav")
        li = ic.start_listen(peers, name + "-rx", port, transport="udp", duration=call_s + 20,
                             extra=["--auto-answer", "--max-calls", "1", "--audio-in", "none",
                                    "--audio-out", out if audio else "none", "--codecs", codec]
                             + self.fec_args(fec))
        up = ic.wait_listening(li, "UDP", port, 5)
        ca = ic.start_call(peers, name + "-tx", "sip:rx@%s:%d" % (ic.LOOPBACK, port),
                           duration=call_s,
                           extra=["--audio-in", self.speech if audio else "tone",
                                  "--audio-out", "none", "--codecs", codec]
                           + self.fec_args(fec) + self.loss_args(loss, burst, False))
        crc = ic.finish(ca, call_s + 20)
        lrc = ic.finish(li, 5)
        return {"up": up, "rc": (crc, lrc), "rx": li, "tx": ca, "out": out}

    def bellbird_baresip(self, peers, name, codec, fec, loss, burst, call_s):
        ic, ts = self.ic, self.ts
        bport = self.free_port(span=10)   # SIP on P, RTP on P+2..P+8 (write_baresip_config)
        d = ts.baresip_dir(peers, name, bport, "<sip:b@%s:%d>;regint=0;answermode=auto"
                           % (ic.LOOPBACK, bport),
                           self.baresip_source.get(codec, self.speech_long),
                           BARESIP_CODEC.get(codec, codec))
        cfg = os.path.join(d, "config")
        lines = ic.read_text(cfg).splitlines()
        first = next(i for i, l in enumerate(lines) if l.startswith("module "))
        # plc (spandsp's concealment) is for G.711 at 8 kHz: with another codec its decode
        # filter fails and baresip refuses the call (486).
        mods = ["opus", "g722", "rtcpsummary"]
        mods += ["plc"] if BARESIP_MODULE.get(codec) == "g711" else []
        extra = ["module %s.so" % m for m in mods if ic.baresip_has_module(m)]
        extra += ["opus_inbandfec %s" % ("no" if fec == "off" else "yes"),
                  "opus_packet_loss %d" % loss]
        lines[first:first] = extra
        with open(cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        out = os.path.join(peers.mkdtemp(name + "-bb"), "rx.wav")
        bs = ic.start_baresip(peers, name + "-bs", d)
        up = (bs.wait_line(lambda l: "baresip is ready" in l, 8) is not None
              and ic.wait_bound(bport, "udp", 3))
        ca = ic.start_call(peers, name + "-bb", "sip:b@%s:%d" % (ic.LOOPBACK, bport),
                           duration=call_s,
                           extra=["--audio-in", self.speech, "--audio-out", out, "--codecs", codec]
                           + self.fec_args(fec) + self.loss_args(loss, burst, True))
        crc = ic.finish(ca, call_s + 20)
        bs.wait_line(lambda l: "terminated" in l, 2)
        ic.stop_baresip(bs)
        return {"up": up, "rc": (crc, bs.rc), "bb": ca, "bs": bs, "out": out,
                "dump": ts.dump(d, "dec")}

    def probe(self, codec):
        """(codec, media error or None): what bellbird-cli negotiates when asked for codec,
        between two of its own."""
        with self.ic.Peers() as peers:
            r = self.bellbird_pair(peers, "probe-" + codec, codec, "", 0, 1, 2, audio=False)
            media = [e for e in r["rx"].events() if e.get("event") == "media"]
            if not media:
                return None, "no media event"
            if media[-1].get("error"):
                return media[-1].get("codec"), media[-1]["error"]
            return media[-1].get("codec"), None


def run_job(bench, job):
    """One call, run again once when the machine starved it (disturbed()) or it failed (a
    port handed out as free taken meanwhile by another program's socket: the peers bind
    what they are told): a list of result lines (dicts), one per direction measured, each
    with retried set when it was."""
    out = run_call(bench, job)
    if any(not o["ok"] or (o["path"] != "bellbird -> baresip" and disturbed(o["quality"]))
           for o in out):
        out = run_call(bench, job)
        for o in out:
            o["retried"] = True
    return out


def run_call(bench, job):
    loss, burst, codec, fec, path = job
    name = "%s-%s-%d-%g-%s" % (path, codec, loss, burst, fec or "def")
    call_s = bench.seconds + 1
    base = {"loss": loss, "burst": burst, "codec": codec, "fec": fec or "n/a"}
    burst_r = burst_ratio(loss / 100.0, burst)
    out = []
    with bench.ic.Peers() as peers:
        if path == "bb":
            r = bench.bellbird_pair(peers, name, codec, fec, loss, burst, call_s)
            q = last_quality(r["rx"])
            m = Match(bench.speech, r["out"])
            reached, src = reached_by_bellbird(q)
            delay = delay_of(q)
            mos, ours = mos_of(q, codec, reached, burst_r, delay)
            media = [e.get("codec") for e in r["rx"].events() if e.get("event") == "media"]
            out.append(dict(base, path="bellbird -> bellbird", reached=reached, src=src,
                            lately=reached_lately(q),
                            corr=m.corr, lag=m.lag_ms, delay=delay, mos=mos, ours=ours,
                            ok=r["up"] and r["rc"] == (0, 0), media=media, error=m.error,
                            quality=q))
        else:
            r = bench.bellbird_baresip(peers, name, codec, fec, loss, burst, call_s)
            q = last_quality(r["bb"])
            media = [e.get("codec") for e in r["bb"].events() if e.get("event") == "media"]
            ok = r["up"] and r["rc"][0] == 0
            m = Match(bench.speech_long, r["out"])
            reached, src = reached_by_bellbird(q)
            delay = delay_of(q)
            mos, ours = mos_of(q, codec, reached, burst_r, delay)
            out.append(dict(base, path="baresip -> bellbird", reached=reached, src=src,
                            lately=reached_lately(q),
                            corr=m.corr, lag=m.lag_ms, delay=delay, mos=mos, ours=ours, ok=ok,
                            media=media, error=m.error, quality=q))
            m = Match(bench.speech, r["dump"])
            reached, src = reached_by_baresip(r["bs"])
            if reached is None:
                reached, src = reached_by_remote(q)
            out.append(dict(base, path="bellbird -> baresip", reached=reached, src=src,
                            lately=None,
                            corr=m.corr, lag=m.lag_ms, delay=None, mos=None, ours=False,
                            ok=ok, media=media, error=m.error, quality=q))
        for o in out:
            o["retried"] = False
            o["disturbed"] = disturbed(o["quality"])
            if not o["ok"] or o["error"]:
                o["diag"] = [l for p in peers.procs for l in p.diag(8)]
    return out


# --------------------------------------------------------------------------------------------
# Output

def fmt_pct(v):
    return "-" if v is None else "%.1f %%" % (100 * v)


def fmt_f(v, spec="%.3f"):
    return "-" if v is None else spec % v


def fmt_mos(r):
    if r["mos"] is None:
        return "-"
    return "%.2f%s" % (r["mos"], "*" if r["ours"] else "")


def plain_table(results):
    head = ("%-18s %-5s %-4s %-19s %9s %-4s %8s %6s %8s %7s %5s %s"
            % ("loss", "codec", "FEC", "path", "reached", "src", "lately", "corr", "lag ms",
               "delay", "MOS", "goal"))
    lines = [head, "-" * len(head)]
    for r in results:
        lines.append("%-18s %-5s %-4s %-19s %9s %-4s %8s %6s %8s %7s %5s %s"
                     % (row_label(r["loss"], r["burst"]), r["codec"], r["fec"], r["path"],
                        fmt_pct(r["reached"]), r["src"] if r["reached"] is not None else "?",
                        fmt_pct(r["lately"]),
                        fmt_f(r["corr"]), fmt_f(r["lag"], "%+.0f"),
                        fmt_f(r["delay"], "%.0f"), fmt_mos(r),
                        verdict(r["loss"], r["burst"], r["reached"], r["corr"])
                        if r["path"] != "bellbird -> baresip" else ""))
        if not r["ok"]:
            lines[-1] += "  (call failed)"
        elif r["error"]:
            lines[-1] += "  (%s)" % r["error"]
        elif r["reached"] is None:
            lines[-1] += "  (%s)" % r["src"]
        if r["path"] != "bellbird -> baresip" and (r["disturbed"] or r["retried"]):
            lines[-1] += "  (%s)" % ("starved again on its second run" if r["disturbed"]
                                      else "second run: the first was starved")
    lines.append("src: where the frames reached come from (rtp: Bellbird's RTP counts; dec: its "
                 "decoder's frame counts; bs: baresip's RTP counts; rtcp: the loss baresip "
                 "reported); ?: none came. lately: reached between the receiver's last two "
                 "quality events (~ the last 5 s)")
    return lines


def cell(r):
    if r is None:
        return "-"
    if not r["ok"]:
        return "call failed"
    reached = fmt_pct(r["reached"])
    if r["lately"] is not None:
        reached += " (%s)" % fmt_pct(r["lately"])
    s = "%s · %s · %s ms · %s ms" % (reached, fmt_f(r["corr"], "%.2f"), fmt_f(r["lag"], "%+.0f"),
                                     fmt_f(r["delay"], "%.0f"))
    if r["mos"] is not None:
        s += " · %s" % fmt_mos(r)
    if r["path"] != "bellbird -> baresip" and r["disturbed"]:
        s += " (²)"
    return s


def markdown_table(results, notes):
    paths = ["bellbird -> bellbird", "baresip -> bellbird", "bellbird -> baresip"]
    keys = []
    by = {}
    for r in results:
        k = (r["loss"], r["burst"], r["codec"], r["fec"])
        if k not in by:
            keys.append(k)
            by[k] = {}
        by[k][r["path"]] = r
    lines = ["| loss | codec | FEC/RED | Bellbird → Bellbird | baresip → Bellbird | "
             "Bellbird → baresip (¹) | goal (Bellbird → Bellbird) |",
             "|---|---|---|---|---|---|---|"]
    for k in keys:
        loss, burst, codec, fec = k
        cells = [cell(by[k].get(p)) for p in paths]
        r = by[k].get(paths[0])
        goal = verdict(loss, burst, r["reached"], r["corr"]) if r else ""
        lines.append("| %s | %s | %s | %s | %s | %s | %s |"
                     % (row_label(loss, burst), codec, fec, cells[0], cells[1], cells[2], goal))
    lines.append("")
    lines += [textwrap.fill(n, 96, initial_indent="- ", subsequent_indent="  ",
                            break_on_hyphens=False) for n in notes]
    return lines


def notes_for(results, bench, skipped):
    srcs = sorted({r["src"] for r in results if r["reached"] is not None})
    out = ["Each cell: frames that reached the decoder (in brackets: over the last ~5 s, "
           "between the receiver's last two quality events, once the sender's rate control "
           "has heard of the loss) · speech-envelope correlation · alignment lag · one-way "
           "delay (20 ms packetisation + the receiver's jitter buffer + RTT / 2, from its last "
           "quality event; not known toward baresip) · MOS (see bench/loss_bench.py for the "
           "definitions). Goals are judged on the whole call."]
    if "rtp" in srcs:
        out.append("Frames reached from Bellbird's RTP counts (received / (received + lost)): "
                   "its quality events have no frame counts yet, so nothing is recovered by "
                   "FEC/RED.")
    if "dec" in srcs:
        out.append("Frames reached toward Bellbird: 1 − frames_concealed / frames of its "
                   "quality events (FEC/RED recoveries count as reached).")
    out.append("(¹) Toward baresip: the RTP baresip received against what it found missing "
               "(its rtcpsummary at the call's end; else 1 − the loss it reported in RTCP), "
               "before its own FEC or concealment; no MOS. The correlation "
               "is of what baresip's decoder gave its sndfile dump, which does not keep time "
               "under loss (at 30 % the speech in it falls behind by about 0.1 s per second), "
               "so one alignment for the whole utterance scores it low.")
    starved = [r for r in results if r["path"] != "bellbird -> baresip" and r["disturbed"]]
    retried = [r for r in results if r["path"] != "bellbird -> baresip" and r["retried"]]
    if retried:
        out.append("%d call(s) ran twice: the first time a jitter buffer grew past %d ms, which "
                   "on loopback means the machine starved the call of CPU (the test loss only "
                   "removes packets), or the call failed; the second run is shown."
                   % (len(retried), JB_DISTURBED_MS))
    if starved:
        out.append("(²) Starved again on the second run: the figure says more about the "
                   "machine than about the path.")
    delays = {r["delay"] for r in results if r["delay"] is not None}
    if delays:
        span = sorted({int(min(delays)), int(max(delays))})
        out.append("MOS from Bellbird's E-model with its own delay, which includes the jitter "
                   "buffer: a call that records to a file (or to none) keeps it at least 60 ms, "
                   "so %s ms here (20 ms packetisation included), more than a call to a person "
                   "on a clean path would have." % "–".join(str(d) for d in span))
    if any(r["ours"] and r["mos"] is not None for r in results):
        out.append("MOS with *: the E-model computed by the bench (G.107, G.113 G.711 values); "
                   "without *: Bellbird's own estimate.")
    if not bench.has_fec:
        out.append("FEC/RED n/a: this bellbird-cli has no --fec option; calls ran with its "
                   "defaults.")
    for codec, why in skipped:
        out.append("%s left out: %s." % (codec, why))
    return out


# --------------------------------------------------------------------------------------------

def cmd_run(args):
    if not shutil.which("espeak-ng") or not shutil.which("sox"):
        sys.exit("loss_bench.py: espeak-ng and sox are needed (packages espeak-ng, sox)")
    workdir = tempfile.mkdtemp(prefix="bellbird-loss-bench-")
    try:
        bench = Bench(os.path.abspath(args.cli), args.seconds, workdir, args.keep)
        have_baresip = bool(bench.ic.baresip_path()) and all(
            bench.ic.baresip_has_module(m) for m in ("aufile", "sndfile", "account", "menu"))
        codecs, skipped = [], []
        for c in [c.strip() for c in args.codecs.split(",") if c.strip()]:
            got, error = bench.probe(c)
            if (got or "").upper() != c.upper():
                skipped.append((c, "bellbird-cli --codecs %s negotiated %s between two "
                                "Bellbirds" % (c, got or "nothing")))
            elif error:
                skipped.append((c, "its media does not run: %s" % error))
            else:
                codecs.append(c)
        fecs = ["on", "off"] if bench.has_fec else [""]
        rows = ROWS
        if args.rows:
            rows = [r for r in ROWS if row_label(*r).split(" %")[0] + ("b" if r[1] > 1 else "")
                    in args.rows.split(",")]
        jobs = []
        for loss, burst in rows:
            for codec in codecs:
                for fec in fecs:
                    jobs.append((loss, burst, codec, fec, "bb"))
                    if have_baresip and bench.ic.baresip_has_module(BARESIP_MODULE.get(codec, "")):
                        jobs.append((loss, burst, codec, fec, "bs"))
        print("loss bench: %d calls of %d s, %d at a time; codecs %s; FEC/RED %s; baresip %s"
              % (len(jobs), args.seconds + 1, args.jobs, ",".join(codecs) or "none",
                 "on/off" if bench.has_fec else "n/a (no --fec)",
                 "yes" if have_baresip else "missing"), file=sys.stderr, flush=True)
        start = time.monotonic()
        results = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(run_job, bench, j) for j in jobs]
            for i, f in enumerate(futures):
                res = f.result()
                results += res
                for r in res:
                    if not r["ok"] or r["error"]:
                        print("loss bench: %s %s %s: %s" % (row_label(r["loss"], r["burst"]),
                                                           r["codec"], r["path"],
                                                           r["error"] or "call failed"),
                              file=sys.stderr)
                        for l in r.get("diag", [])[:40]:
                            print("  " + l, file=sys.stderr)
                print("loss bench: %d/%d calls done (%.0f s)" % (i + 1, len(jobs),
                                                                 time.monotonic() - start),
                      file=sys.stderr, flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump([{k: v for k, v in r.items() if k not in ("diag",)} for r in results],
                          f, indent=1)
        print("\n".join(plain_table(results)))
        md = markdown_table(results, notes_for(results, bench, skipped))
        print()
        print("\n".join(md))
        if args.markdown:
            with open(args.markdown, "w") as f:
                f.write("\n".join(md) + "\n")
    finally:
        if args.keep:
            print("loss_bench.py: files kept in %s" % workdir, file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--cli", required=True)
    r.add_argument("--jobs", type=int, default=2)
    r.add_argument("--codecs", default="opus,PCMU")
    r.add_argument("--seconds", type=float, default=8.0)
    r.add_argument("--rows", default="", help="e.g. 0,30,30b (b: bursts); default all")
    r.add_argument("--markdown")
    r.add_argument("--json")
    r.add_argument("--keep", action="store_true")
    args = p.parse_args()
    if args.cmd == "run":
        cmd_run(args)


if __name__ == "__main__":
    main()
