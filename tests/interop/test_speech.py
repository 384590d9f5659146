#!/usr/bin/env python3
"""Interop: speech both ways between bellbird-cli and baresip 1.0, measured end to end (TAP,
127.0.0.1 only).

Fixtures (made at run time, nothing committed): two utterances from espeak-ng, converted by sox
to 8 kHz mono 16-bit, normalised to -6 dBFS peak, with 0.3 s of silence in front and padded
with silence to a fixed length. SPEECH_A is what Bellbird says (`--audio-in A.wav`), SPEECH_B
what baresip says (`audio_source aufile,B.wav`). Each side records what it receives: Bellbird
with `--audio-out OUT.wav` (it starts at the first received packet; a lost packet is written
as silence), baresip with its sndfile module (`dump-*-dec.wav` in its snd_path).

Calls (all at once, each pair on ports of its own; every call checks both directions):
  Bellbird `call` -> baresip (answermode=auto) and baresip `/dial` -> Bellbird `listen
  --auto-answer`, each with PCMU and with PCMA (PCMA: baresip's account audio_codecs=PCMA and
  Bellbird --codecs PCMA), plain RTP and SRTP (baresip's srtp.so, mediaenc=srtp or srtp-mand;
  Bellbird --srtp optional or mandatory).

SRTP suites, what can be forced with these two peers:
  - baresip 1.0 offers exactly one a=crypto, AES_CM_128_HMAC_SHA1_80 (hard-coded in its srtp
    module), and Bellbird answers the first offered suite it supports: baresip -> Bellbird
    runs on _80.
  - Bellbird offers AEAD_AES_128_GCM, AES_CM_128_HMAC_SHA1_80, _32 in that order and baresip
    answers the first offered suite it supports, GCM: Bellbird -> baresip unassisted runs on
    AEAD_AES_128_GCM (kept as a ninth call).
  - AES_CM_128_HMAC_SHA1_32 cannot be had from either peer as configured; the test forces it
    with a small SIP relay of its own (SdpRelay below): Bellbird calls the relay, which passes
    every datagram on unchanged except that, on the way to baresip, it drops the a=crypto lines
    of the other suites (and fixes Content-Length and the Request-URI's port). baresip then
    answers _32 and Bellbird keys the call with the _32 line of its own offer.

Measurement, pure Python (no numpy): both signals are cut into 10 ms frames and turned into an
RMS envelope. The template is the sent file's envelope over its speech (from 0.2 s before the
first frame within 40 dB of the loudest to 0.2 s after the last); it is slid over the received
envelope for lags of -2 s..+2 s (frames outside the recording count as silence) and the lag
with the highest normalised (Pearson) correlation wins. Asserted per direction:
  correlation >= 0.8 at that lag; the level of the received speech over the matched span within
  3 dB of the sent speech's; the lag within -0.3..+0.3 s; and the received speech matches its
  own utterance better than the other one (by >= 0.2), so an echo or a swapped file fails.
The lag is (time of the speech in the recording) - (time in the sent file), i.e. the one-way
delay as the recording shows it. Both recorders start at the first packet they take (Bellbird:
--audio-out starts with the first packet out of its jitter buffer; baresip: sndfile writes what
its decoder produces), and both senders start their file with the stream, so an intact path
gives 0 (the network's and the buffers' delay is not in the file). Negative: the start of what
was sent is missing (packets not taken, or audio cut out later on); positive: silence was put in
front. The bound, 0.3 s either way, is the silence in front of each utterance: past it, speech
itself is lost or displaced.
One lag for the whole utterance hides audio cut out of the middle, so each call also checks
continuity: the lags of the utterance's first and of its last second (envelope within +-0.4 s
of the overall lag, then refined on the waveform to the sample: G.711 both ways without
resampling gives r ~ 1.0) must agree within 25 ms: one 20 ms packet may slip when the CPU is
starved (the whole suite on two cores), not more.

BELLBIRD_SPEECH_ONLY=key,key runs only the calls named (keys in CALLS), e.g. one call alone.
"""

import math
import operator
import os
import re
import shutil
import socket
import subprocess
import sys
import threading

sys.dont_write_bytecode = True   # importing the other test scripts leaves no __pycache__

import interop_common as ic  # noqa: E402

finish = ic.finish
states = ic.states


def media_events(proc):
    return ic.events(proc, "media")
import test_calls_baresip as tcb  # noqa: E402

T = ic.Cases()
ic.extend_budget(25)             # 80 s in all; a run takes ~20 s

RATE = 8000
FRAME = 80                       # 10 ms at 8 kHz
SEARCH_S = 2.0                   # lag window, +-
LEAD_S = 0.3                     # silence in front of each utterance
CORR_MIN = 0.8
LEVEL_MAX_DB = 3.0
LAG_MIN, LAG_MAX = -0.3, 0.3
# Under ASan/UBSan (./setup asan sets ASAN_OPTIONS) a call's pipelines take up to 1.5 s to
# start, and what arrives before they play is not taken: packets that waited in the socket while
# the pipelines were built are stale for a listener, by design. So under the sanitizers the
# speech starts later, and only the content is checked (correlation, level, the last second
# intact); the start-of-call timing bounds are for the normal build.
SANITIZED = "ASAN_OPTIONS" in os.environ
if SANITIZED:
    LAG_MIN = -1.5
    LEAD_S = 1.5                 # the speech starts once the slower pipelines play
DRIFT_MAX_MS = 25.0              # first vs last second of speech: at most one 20 ms packet
                                 # (a starved CPU can slip one; the bug this catches cut 120-260 ms)
WAVE_R_MIN = 0.9                 # G.711 both ways, no resampling: the waveform itself matches
MARGIN_MIN = 0.2                 # own utterance must beat the other one by this much
CALL_S = 6.5                     # Bellbird's --duration for calls it places
OUT_B_LEN = 11.0                 # baresip's source when it answers: outlasts the call
IN_B_LEN = 6.5                   # baresip's source when it dials: it hangs up when it ends
A_LEN = 10.0                     # Bellbird's source

TEXT_A = "Bellbird calling. One, two, three, four, five. Quick brown fox."
TEXT_B = "Baresip here. Six, seven, eight, nine, ten. Lazy dog."

GCM = "AEAD_AES_128_GCM"
S80 = "AES_CM_128_HMAC_SHA1_80"
S32 = "AES_CM_128_HMAC_SHA1_32"

# key, who calls ('out': Bellbird calls baresip; 'in': baresip calls Bellbird), codec,
# Bellbird --srtp, baresip mediaenc, suite the relay keeps (None: no relay), expected suite
CALLS = [
    ("out-pcmu-plain", "out", "PCMU", None, None, None, None),
    ("out-pcma-plain", "out", "PCMA", None, None, None, None),
    ("in-pcmu-plain", "in", "PCMU", None, None, None, None),
    ("in-pcma-plain", "in", "PCMA", None, None, None, None),
    ("out-pcmu-srtp32", "out", "PCMU", "mandatory", "srtp-mand", S32, S32),
    ("out-pcma-srtp32", "out", "PCMA", "optional", "srtp", S32, S32),
    ("in-pcmu-srtp80", "in", "PCMU", "mandatory", "srtp-mand", None, S80),
    ("in-pcma-srtp80", "in", "PCMA", "optional", "srtp", None, S80),
    ("out-pcmu-gcm", "out", "PCMU", "optional", "srtp", None, GCM),
]


def title(c):
    key, way, codec, bb, menc, keep, suite = c
    who = "Bellbird -> baresip" if way == "out" else "baresip -> Bellbird"
    if not suite:
        sec = "plain RTP"
    else:
        sec = "SRTP %s (Bellbird --srtp %s, baresip mediaenc=%s%s)" % (
            suite, bb, menc, ", relay keeps only %s in Bellbird's offer" % keep if keep else "")
    return "%s, %s, %s" % (who, codec, sec)


def descs_of(c):
    t = title(c)
    return [
        "%s: the call connects and ends cleanly; Bellbird's media events say %s%s; the SDP "
        "answer carries %s" % (t, c[2], ", encrypted with %s" % c[6] if c[6] else
                               ", not encrypted", "one a=crypto of that suite" if c[6]
                               else "no a=crypto"),
        "%s: Bellbird's speech arrives at baresip (its sndfile dump): envelope correlation >= "
        "%.1f, level within %.0f dB, lag in %.1f..%.1f s, own utterance beats the other by >= "
        "%.1f" % (t, CORR_MIN, LEVEL_MAX_DB, LAG_MIN, LAG_MAX, MARGIN_MIN),
        "%s: baresip's speech arrives at Bellbird (--audio-out): envelope correlation >= %.1f, "
        "level within %.0f dB, lag in %.1f..%.1f s, own utterance beats the other by >= %.1f"
        % (t, CORR_MIN, LEVEL_MAX_DB, LAG_MIN, LAG_MAX, MARGIN_MIN),
        "%s: neither recording has audio cut out or inserted: the waveform lags of the first "
        "and of the last second of speech agree within %.0f ms (r >= %.1f) in both"
        % (t, DRIFT_MAX_MS, WAVE_R_MIN),
    ]


if os.environ.get("BELLBIRD_SPEECH_ONLY"):
    CALLS = [c for c in CALLS if c[0] in os.environ["BELLBIRD_SPEECH_ONLY"].split(",")]
DESCS = [d for c in CALLS for d in descs_of(c)]


def missing():
    if not ic.bellbird_cli():
        return "BELLBIRD_CLI not set or not executable"
    if not ic.baresip_path():
        return "baresip not installed"
    lack = [m for m in ("g711", "aufile", "alsa", "menu", "account", "srtp", "sndfile")
            if not ic.baresip_has_module(m)]
    if lack:
        return "baresip modules missing: %s" % ", ".join(lack)
    for tool, pkg in (("espeak-ng", "espeak-ng"), ("sox", "sox")):
        if not shutil.which(tool):
            return "%s not installed (package %s)" % (tool, pkg)
    return None


# --------------------------------------------------------------------------------------------
# Fixtures

def make_speech(d, name, text, length, voice=None):
    """espeak-ng -> sox: d/NAME.wav, 8 kHz mono 16-bit, -6 dBFS peak, LEAD_S of silence in front,
    cut/padded to LENGTH seconds. Returns the path."""
    raw = os.path.join(d, name + "-raw.wav")
    out = os.path.join(d, name + ".wav")
    argv = ["espeak-ng", "-s", "185", "-w", raw]
    if voice:
        argv += ["-v", voice]
    subprocess.run(argv + [text], check=True, timeout=ic.bounded(20), stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    subprocess.run(["sox", raw, "-r", str(RATE), "-c", "1", "-b", "16", out, "gain", "-n", "-6",
                    "pad", str(LEAD_S), "20", "trim", "0", str(length)], check=True,
                   timeout=ic.bounded(20), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)
    return out


# --------------------------------------------------------------------------------------------
# Signal analysis (pure Python)

def read_wav(path):
    """(samples as array('h') of the first channel, rate) or (None, reason); 8 kHz only."""
    return ic.read_wav(path, RATE)


def frame_energy(samples):
    """Mean square of every whole 10 ms frame."""
    out = []
    for i in range(0, len(samples) - FRAME + 1, FRAME):
        f = samples[i:i + FRAME]
        out.append(sum(x * x for x in f) / FRAME)
    return out


def speech_span(energy):
    """(first, last+1) frames of the speech in a sent file: frames within 40 dB of the loudest,
    widened by 0.2 s each side."""
    peak = max(energy) if energy else 0
    if peak <= 0:
        return 0, len(energy)
    voiced = [i for i, e in enumerate(energy) if e >= peak * 1e-4]
    return max(0, voiced[0] - 20), min(len(energy), voiced[-1] + 21)


def dot(a, b):
    return sum(map(operator.mul, a, b))


def pearson_lags(template, env, base, search, center=0):
    """[(lag frames, r)]: Pearson correlation of template against env[base+lag : ...+len]
    (frames outside env count as silence) for lag in center-search..center+search."""
    n = len(template)
    mt = sum(template) / n
    t = [x - mt for x in template]
    st = math.sqrt(dot(t, t))
    out = []
    m = len(env)
    for lag in range(center - search, center + search + 1):
        start = base + lag
        if start >= 0 and start + n <= m:
            seg = env[start:start + n]
        else:
            seg = [env[j] if 0 <= j < m else 0.0 for j in range(start, start + n)]
        ms = sum(seg) / n
        s = [x - ms for x in seg]
        ss = math.sqrt(dot(s, s))
        out.append((lag, dot(t, s) / (st * ss) if st and ss else 0.0))
    return out


def waveform_lag(sent, recv, lag_frames, lo, hi, win=RATE // 4):
    """Sample-accurate refinement of an envelope lag: normalised cross-correlation of the
    loudest WIN samples of the sent waveform within frames lo..hi against the received one,
    for lags within +-FRAME samples of lag_frames. (lag in samples, r) or (None, 0)."""
    a0, a1 = lo * FRAME, min(hi * FRAME, len(sent))
    if a1 - a0 < win:
        return None, 0.0
    best_i, best_e = a0, -1
    for i in range(a0, a1 - win + 1, FRAME * 2):
        e = dot(sent[i:i + win:4], sent[i:i + win:4])
        if e > best_e:
            best_i, best_e = i, e
    ref = sent[best_i:best_i + win]
    sr = math.sqrt(dot(ref, ref))
    best = (None, 0.0)
    if not sr:
        return best
    center = lag_frames * FRAME
    for lag in range(center - FRAME, center + FRAME + 1):
        j = best_i + lag
        if j < 0 or j + win > len(recv):
            continue
        seg = recv[j:j + win]
        ss = math.sqrt(dot(seg, seg))
        if ss:
            r = dot(ref, seg) / (sr * ss)
            if r > best[1]:
                best = (lag, r)
    return best


class Match:
    """How a recording matches a sent file (and, for contrast, the other utterance).

    corr, lag_s: the envelope's best normalised correlation over the whole utterance and its
    lag; level_db: received minus sent level over the matched span; other_corr: the same
    correlation against the other utterance; early_ms / late_ms: sample-accurate lags of the
    utterance's first and last second (envelope lag within +-0.4 s of the overall one, refined
    on the waveform), whose difference is audio cut from (negative) or inserted into
    (positive) the middle of the recording."""

    def __init__(self, sent_path, recv_path, other_path):
        self.error = None
        self.corr = self.level_db = self.lag_s = self.other_corr = None
        self.early_ms = self.late_ms = None
        self.early_r = self.late_r = 0.0
        self.recv_s = 0.0
        sent, why = read_wav(sent_path)
        recv, why2 = read_wav(recv_path) if recv_path else (None, "no recording found")
        other, _ = read_wav(other_path)
        if sent is None or recv is None:
            self.error = why if sent is None else why2
            return
        self.recv_s = len(recv) / float(RATE)
        es, er = frame_energy(sent), frame_energy(recv)
        lo, hi = speech_span(es)
        tmpl = [math.sqrt(x) for x in es[lo:hi]]
        env = [math.sqrt(x) for x in er]
        search = int(SEARCH_S * 100)
        lag, r = max(pearson_lags(tmpl, env, lo, search), key=lambda p: p[1])
        self.corr, self.lag_s = r, lag / 100.0
        e_sent = sum(es[lo:hi])
        e_recv = sum(er[j] for j in range(lo + lag, hi + lag) if 0 <= j < len(er))
        self.level_db = (10 * math.log10(e_recv / e_sent) if e_recv > 0 and e_sent > 0
                         else float("-inf"))
        if other is not None:
            eo = frame_energy(other)
            olo, ohi = speech_span(eo)
            otmpl = [math.sqrt(x) for x in eo[olo:ohi]]
            self.other_corr = max(r for _, r in pearson_lags(otmpl, env, olo, search))
        sec = min(100, (hi - lo) // 2)
        for name, a, b in (("early", lo, lo + sec), ("late", hi - sec, hi)):
            seg = [math.sqrt(x) for x in es[a:b]]
            slag, _ = max(pearson_lags(seg, env, a, 40, center=lag), key=lambda p: p[1])
            wl, wr = waveform_lag(sent, recv, slag, a, b)
            if wl is not None:
                setattr(self, name + "_ms", wl * 1000.0 / RATE)
                setattr(self, name + "_r", wr)

    def matches(self):
        return (self.error is None and self.corr >= CORR_MIN
                and abs(self.level_db) <= LEVEL_MAX_DB and LAG_MIN <= self.lag_s <= LAG_MAX
                and self.other_corr is not None and self.corr - self.other_corr >= MARGIN_MIN)

    def drift_ms(self):
        if self.early_ms is None or self.late_ms is None:
            return None
        return self.late_ms - self.early_ms

    def continuous(self):
        d = self.drift_ms()
        if SANITIZED and self.late_ms is not None:
            return self.late_r >= WAVE_R_MIN   # the first second may be the part not taken
        return (d is not None and abs(d) < DRIFT_MAX_MS and self.early_r >= WAVE_R_MIN
                and self.late_r >= WAVE_R_MIN)

    def summary(self):
        if self.error:
            return self.error
        return ("envelope correlation %.3f at lag %+.2f s, level %+.1f dB, other utterance "
                "%.3f; waveform lag of the first second %s, of the last %s; recording %.2f s"
                % (self.corr, self.lag_s, self.level_db, self.other_corr or 0.0,
                   "%+.1f ms (r %.2f)" % (self.early_ms, self.early_r)
                   if self.early_ms is not None else "n/a",
                   "%+.1f ms (r %.2f)" % (self.late_ms, self.late_r)
                   if self.late_ms is not None else "n/a", self.recv_s))


# --------------------------------------------------------------------------------------------
# A SIP relay that edits SDP on the way to baresip (to force AES_CM_128_HMAC_SHA1_32)

class SdpRelay:
    """UDP on 127.0.0.1:port. Datagrams from baresip (127.0.0.1:target) go to whoever last sent
    one to the relay; every other datagram goes to baresip, its SDP keeping only the a=crypto
    lines of suite KEEP (Content-Length fixed) and, for a request, its Request-URI's port set to
    baresip's. Only the dialog-forming transaction passes through it: ACK, BYE and the rest go
    between the peers' Contacts directly."""

    def __init__(self, target_port, keep):
        self.target = (ic.LOOPBACK, target_port)
        self.keep = keep
        self.client = None
        self.seen = []            # (direction, first line, [a=crypto lines]) in order
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ic.LOOPBACK, 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _edit(self, data):
        head, sep, body = data.partition(b"\r\n\r\n")
        if not sep:
            return data
        lines = head.split(b"\r\n")
        if not lines[0].startswith(b"SIP/2.0"):
            lines[0] = re.sub(rb"(@?127\.0\.0\.1):%d\b" % self.port,
                              rb"\g<1>:%d" % self.target[1], lines[0])
        if body:
            keep = []
            for line in body.split(b"\r\n"):
                m = re.match(rb"a=crypto:\d+ (\S+)", line)
                if m and m.group(1).decode() != self.keep:
                    continue
                keep.append(line)
            body = b"\r\n".join(keep)
            lines = [re.sub(rb"^(Content-Length|l)\s*:\s*\d+", rb"\g<1>: %d" % len(body), l,
                            flags=re.I) for l in lines]
        return b"\r\n".join(lines) + sep + body

    @staticmethod
    def _crypto(data):
        return [l.decode("latin-1") for l in re.findall(rb"a=crypto:[^\r\n]*", data)]

    def _run(self):
        while not self._stop:
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            first = data.split(b"\r\n", 1)[0].decode("latin-1")
            try:
                if addr == self.target:
                    if self.client:
                        self.seen.append(("to Bellbird", first, self._crypto(data)))
                        self.sock.sendto(data, self.client)
                else:
                    self.client = addr
                    out = self._edit(data)
                    self.seen.append(("to baresip", first, self._crypto(out)))
                    self.sock.sendto(out, self.target)
            except OSError:
                continue

    def stop(self):
        self._stop = True
        self._thread.join(2)
        self.sock.close()


# --------------------------------------------------------------------------------------------
# baresip

def baresip_dir(peers, name, port, account, wav, codec):
    """Config (ic.write_baresip_config) with srtp.so before the account module and sndfile.so
    dumping every call's audio into the directory."""
    d = peers.mkdtemp(name)
    ic.write_baresip_config(d, port, account, wav, codecs=codec)
    cfg = os.path.join(d, "config")
    lines = ic.read_text(cfg).splitlines()
    first_mod = next(i for i, l in enumerate(lines) if l.startswith("module "))
    lines[first_mod:first_mod] = ["module srtp.so", "module sndfile.so", "snd_path %s" % d]
    with open(cfg, "w") as f:
        f.write("\n".join(lines) + "\n")
    return d


def dump(d, kind):
    """The longest dump-*-KIND.wav baresip's sndfile wrote in d, or None."""
    files = [os.path.join(d, f) for f in os.listdir(d)
             if f.startswith("dump-") and f.endswith("-%s.wav" % kind)]
    return max(files, key=os.path.getsize) if files else None


def sdp_media(body):
    """(first m=audio line's payload types, proto, [a=crypto suites]) of an SDP body."""
    m = re.search(r"^m=audio \d+ (\S+) ([\d ]+)", body or "", re.M)
    if not m:
        return None
    return {"proto": m.group(1), "pts": m.group(2).split(),
            "crypto": re.findall(r"^a=crypto:\d+ (\S+)", body, re.M)}


def bs_sdp(bs, port, direction, what):
    for m in tcb.baresip_trace(bs.stdout(), port):
        if m["dir"] != direction:
            continue
        if what == "offer" and tcb.first_word(m) == "INVITE":
            return sdp_media(tcb.sdp_of(m))
        if what == "answer" and tcb.status(m) == 200 and tcb.cseq_method(m) == "INVITE":
            return sdp_media(tcb.sdp_of(m))
    return None


# --------------------------------------------------------------------------------------------

@T.case(DESCS)
def case_speech(tap, peers):
    fix = peers.mkdtemp("speech")
    a_wav = make_speech(fix, "speech-a", TEXT_A, A_LEN)
    b_out = make_speech(fix, "speech-b-long", TEXT_B, OUT_B_LEN, voice="en+f3")
    b_in = make_speech(fix, "speech-b-short", TEXT_B, IN_B_LEN, voice="en+f3")

    runs = []
    for c in CALLS:
        key, way, codec, bb, menc, keep, suite = c
        r = {"c": c, "key": key, "relay": None}
        bport = ic.free_port(span=10)
        r["bport"] = bport
        extra = []
        if bb:
            extra += ["--srtp", bb]
        if codec == "PCMA":
            extra += ["--codecs", "PCMA"]
        if way == "out":
            acc = "<sip:b@%s:%d>;regint=0;answermode=auto" % (ic.LOOPBACK, bport)
            r["dir"] = baresip_dir(peers, "bs-" + key, bport,
                                   acc + (";mediaenc=" + menc if menc else ""), b_out, codec)
            r["bs"] = ic.start_baresip(peers, "bs-" + key, r["dir"])
            r["bb_out"] = os.path.join(r["dir"], "bellbird-heard.wav")
            r["bb_extra"] = extra + ["--audio-in", a_wav, "--audio-out", r["bb_out"]]
            r["b_src"] = b_out
        else:
            r["lport"] = ic.free_port()
            r["ldir"] = peers.mkdtemp("li-" + key)
            r["bb_out"] = os.path.join(r["ldir"], "bellbird-heard.wav")
            r["li"] = ic.start_listen(peers, "li-" + key, r["lport"], transport="udp",
                                      extra=["--auto-answer", "--max-calls", "1"] + extra
                                      + ["--audio-in", a_wav, "--audio-out", r["bb_out"]],
                                      duration=25)
            acc = "<sip:a@%s:%d>;regint=0" % (ic.LOOPBACK, bport)
            r["dir"] = baresip_dir(peers, "bs-" + key, bport,
                                   acc + (";mediaenc=" + menc if menc else ""), b_in, codec)
            r["b_src"] = b_in
        runs.append(r)

    try:
        # Bellbird's listeners up -> the dialling baresips; answering baresips up -> the calls.
        for r in runs:
            if r["c"][1] == "in":
                r["up"] = ic.wait_listening(r["li"], "UDP", r["lport"], 5)
                r["bs"] = ic.start_baresip(peers, "bs-" + r["key"], r["dir"],
                                           extra=["-e", "/dial sip:x@%s:%d" % (ic.LOOPBACK,
                                                                              r["lport"]),
                                                  "-t", "14"])
        for r in runs:
            if r["c"][1] == "out":
                r["up"] = (r["bs"].wait_line(lambda l: "baresip is ready" in l, 8) is not None
                           and ic.wait_bound(r["bport"], "udp", 3))
                target = r["bport"]
                if r["c"][5]:
                    r["relay"] = SdpRelay(r["bport"], r["c"][5])
                    target = r["relay"].port
                r["call"] = ic.start_call(peers, "call-" + r["key"],
                                          "sip:b@%s:%d" % (ic.LOOPBACK, target),
                                          duration=CALL_S, extra=r["bb_extra"])
        for r in runs:
            if r["c"][1] == "out":
                r["rc"] = finish(r["call"], 25)
                r["bb"] = r["call"]
        for r in runs:
            if r["c"][1] == "out":
                r["bs"].wait_line(lambda l: "terminated" in l, 2)
                ic.stop_baresip(r["bs"])
                r["brc"] = r["bs"].rc
        for r in runs:
            if r["c"][1] == "in":
                r["brc"] = r["bs"].wait(20)
                if r["brc"] is None:
                    ic.stop_baresip(r["bs"])
                r["rc"] = finish(r["li"], 5)
                r["bb"] = r["li"]
    finally:
        for r in runs:
            if r["relay"]:
                r["relay"].stop()

    table = []
    for r in runs:
        key, way, codec, bb, menc, keep, suite = r["c"]
        descs = descs_of(r["c"])
        ev = media_events(r["bb"])
        st = states(r["bb"])
        if way == "out":
            offer = bs_sdp(r["bs"], r["bport"], "received", "offer")
            answer = bs_sdp(r["bs"], r["bport"], "sent", "answer")
        else:
            offer = bs_sdp(r["bs"], r["bport"], "sent", "offer")
            answer = bs_sdp(r["bs"], r["bport"], "received", "answer")
        want_pt = "0" if codec == "PCMU" else "8"
        bs_log = tcb._ANSI.sub("", r["bs"].stdout())
        bs_suites = re.findall(r"SRTP is Enabled \(cryptosuite=(\S+?)\)", bs_log)
        if suite:
            enc_ok = (bool(ev) and all(e.get("encrypted") is True and e.get("srtp") == suite
                                       for e in ev)
                      and answer is not None and answer["crypto"] == [suite]
                      and bs_suites[:1] == [suite])
        else:
            enc_ok = (bool(ev) and all(e.get("encrypted") is False for e in ev)
                      and answer is not None and not answer["crypto"] and not bs_suites)
        sig_ok = (r["up"] and "connected" in st and st[-1:] == ["ended"]
                  and (r["rc"] == 0) and bool(ev) and all(e.get("codec") == codec for e in ev)
                  and answer is not None and answer["pts"][:1] == [want_pt] and enc_ok)

        def diag(r=r, ev=ev, st=st, offer=offer, answer=answer, bs_suites=bs_suites):
            out = ["up %s; Bellbird exit %s, states %s; baresip exit %s"
                   % (r["up"], r["rc"], st, r.get("brc")),
                   "Bellbird media events: %s" % [{k: e.get(k) for k in
                                                   ("codec", "encrypted", "srtp")} for e in ev],
                   "offer as baresip saw it %s; answer %s; baresip's SRTP lines %s"
                   % (offer, answer, bs_suites)]
            out.append("Bellbird quality events (its RTP receive counters): %s"
                       % [{k: e.get(k) for k in ("received", "lost")}
                          for e in r["bb"].events() if e.get("event") == "quality"])
            if r["relay"]:
                out.append("relay: %s" % r["relay"].seen)
            return out + r["bb"].diag(20) + r["bs"].diag(40)

        tap.ok(sig_ok, descs[0], diag)

        to_bs = Match(a_wav, dump(r["dir"], "dec"), r["b_src"])
        to_bb = Match(r["b_src"], r["bb_out"], a_wav)
        tap.ok(to_bs.matches(), descs[1],
               lambda m=to_bs, r=r, diag=diag: ["Bellbird -> baresip: " + m.summary(),
                                                "baresip's dumps: %s" % sorted(
                                                    f for f in os.listdir(r["dir"])
                                                    if f.startswith("dump-"))] + diag())
        tap.ok(to_bb.matches(), descs[2],
               lambda m=to_bb, diag=diag: ["baresip -> Bellbird: " + m.summary()] + diag())
        tap.ok(to_bs.continuous() and to_bb.continuous(), descs[3],
               lambda: ["Bellbird -> baresip (baresip's dump): " + to_bs.summary(),
                        "baresip -> Bellbird (Bellbird's --audio-out): " + to_bb.summary(),
                        "late - early: to baresip %s ms, to Bellbird %s ms (audio cut from the "
                        "recording when negative, inserted when positive)"
                        % (fmt(to_bs.drift_ms()), fmt(to_bb.drift_ms()))]
               + CUT_HINT + diag())
        if r["relay"]:
            tap.note("%s: relay: %s" % (key, [s for s in r["relay"].seen if s[2]]))
        tap.note("%s: offer %s, answer %s, Bellbird media %s, baresip: SRTP %s"
                 % (key, offer, answer, [(e.get("codec"), e.get("srtp")) for e in ev],
                    bs_suites or "off"),
                 "  Bellbird -> baresip: " + to_bs.summary(),
                 "  baresip -> Bellbird: " + to_bb.summary())
        table.append((key, (ev[-1].get("codec") if ev else "?"),
                      (ev[-1].get("srtp") or "plain") if ev else "?", to_bs, to_bb))

    head = "corr  level   lag    first/last s (ms)"
    tap.note("", "%-16s %-5s %-23s | %-37s | %-37s"
             % ("call", "codec", "SRTP", "Bellbird -> baresip", "baresip -> Bellbird"),
             "%-16s %-5s %-23s | %-37s | %-37s" % ("", "", "", head, head))

    def cell(m):
        if m.error:
            return "error"
        return "%.3f %+5.1fdB %+.2fs %s/%s" % (m.corr, m.level_db, m.lag_s, fmt(m.early_ms),
                                               fmt(m.late_ms))
    for key, codec, suite, x, y in table:
        tap.note("%-16s %-5s %-23s | %-37s | %-37s" % (key, codec, suite, cell(x), cell(y)))


def fmt(v):
    return "n/a" if v is None else "%+.1f" % v


CUT_HINT = [
    "A negative late - early in Bellbird's recording with no RTP lost (its quality events) is "
    "audio deleted inside Bellbird: with GST_DEBUG=rtpjitterbuffer:5,audiorate:5 its stderr "
    "shows the packets queued before the receive pipeline ran pushed at one instant, the "
    "jitter buffer's skew estimate pulling PTS back, and audiorate 'dropping 160 samples'.",
]


if __name__ == "__main__":
    T.run(missing)
