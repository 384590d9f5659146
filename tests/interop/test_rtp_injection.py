#!/usr/bin/env python3
"""Interop: RTP from a third address during a call never reaches the decoder (issue 10, media
hygiene; TAP, 127.0.0.1 only).

A = `listen --auto-answer --max-calls 1 --codecs PCMU --audio-in none --audio-out OUT`,
B = `call --codecs PCMU --audio-in tone (440 Hz) --duration 12`, both `--fec off` (no RED:
plain PCMU, payload type 0), both plain RTP, then both `--srtp mandatory`. While the call runs this script, a third party, sends A's RTP port (read
from /proc: the even port of the UDP pair A binds besides its SIP port) PCMU packets of a
full-scale 3 kHz tone, payload type 0 like B's, 50 a second:
  1. from its own port, with an SSRC of its own (from 1.5 s to 3.5 s of the call);
  2. from its own port, with B's SSRC and the sequence number and timestamp that B's next
     packet will carry, each sent as soon as B's previous one is seen on the wire, so that it
     would be first in A's jitter buffer (from 4 s to 6.5 s; B's headers are read by sniffing
     loopback, which needs CAP_NET_RAW: without it this part is skipped);
  3. SRTP call only, CAP_NET_RAW: spoofed as B itself (a raw IP socket writes B's address and
     port as the source), the one stranger the latch cannot tell from B: SRTP authentication
     drops it (from 7 s to 9 s).
Then:
  - the call connects and ends as B hangs up (both exit 0);
  - OUT holds B's tone (>= 5 s, 440 Hz > 0.5 of the power) and no 3 kHz: in no 50 ms window
    does 3 kHz carry more than 5 % of the power, nor 1 % of the whole file's;
  - A's log names the stranger once: "RTP from 127.0.0.1 port N dropped" (rate-limited: one
    line per new source);
  - A counted what it dropped: the highest `rejected` of its "quality" events is > 0.
A control call (CAP_NET_RAW, plain RTP) sends the same 3 kHz spoofed as B: the latch takes it
(it is B's address and SSRC), and OUT holds it: the 3 kHz check above does see the injected
tone when it gets through.
"""

import math
import os
import random
import re
import socket
import struct
import threading
import time

import interop_common as ic

T = ic.Cases()

DURATION = 12           # seconds of call: A's reports (about every 5 s) come after the injection
WIN = 0.05              # analysis window, seconds
QUIET_RMS = 100.0       # windows quieter than this are not judged
INJECT_HZ = 3000.0
WINDOW_MAX_SHARE = 0.05
FILE_MAX_SHARE = 0.01
PHASES = {"own": (1.5, 3.5), "ssrc": (4.0, 6.5), "spoof": (7.0, 9.0)}

ic.extend_budget(50)    # three calls of 12-15 s one after the other


def call_descs(mode):
    return [
        "%s: B calls A (PCMU, --srtp %s), the call connects and ends by B's BYE, both exit 0"
        % (mode, "mandatory" if mode == "srtp" else "off"),
        "%s: a third port sends A's RTP port 3 kHz PCMU with its own SSRC, then with B's SSRC "
        "and B's next sequence numbers%s: A's recording holds B's 440 Hz tone and no 3 kHz"
        % (mode, ", then spoofed as B's address (SRTP drops it)" if mode == "srtp" else ""),
        "%s: A's log names the stranger once (one line for its ~225 packets: 'RTP from "
        "127.0.0.1 port N dropped')" % mode,
        "%s: A's quality events count the packets it rejected (rejected > 0)" % mode,
    ]


CONTROL_DESCS = [
    "control (plain RTP, CAP_NET_RAW): the same 3 kHz spoofed as B's own address and SSRC is "
    "taken by the latch, and A's recording shows it (the 3 kHz check can fail)",
]


# --------------------------------------------------------------------------------------------
# G.711 and the recording

def ulaw(sample):
    """One 16-bit linear sample to a G.711 mu-law byte."""
    sign = 0x80 if sample < 0 else 0
    mag = min(-sample if sample < 0 else sample, 32635) + 0x84
    exponent = max(0, min(7, mag.bit_length() - 8))
    mantissa = (mag >> (exponent + 3)) & 0x0F
    return ~(sign | exponent << 4 | mantissa) & 0xFF


def tone_payloads(freq, n_packets, amplitude=32000):
    """n_packets payloads of 160 mu-law samples (20 ms at 8 kHz) of a continuous tone."""
    out = []
    for p in range(n_packets):
        out.append(bytes(ulaw(int(amplitude * math.sin(2 * math.pi * freq * (p * 160 + i) / 8000)))
                         for i in range(160)))
    return out


def window_shares(path, freq):
    """Share of the power at freq (Goertzel) in each WIN-second window that is not quiet."""
    samples, rate = ic.read_wav(path)
    if samples is None:
        return []
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


# --------------------------------------------------------------------------------------------
# Where A's RTP is, and what B sends it

def udp_ports_of(pid):
    """The local ports of the IPv4 UDP sockets process pid has open (from /proc)."""
    inodes = set()
    fd_dir = "/proc/%d/fd" % pid
    try:
        for fd in os.listdir(fd_dir):
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            m = re.match(r"socket:\[(\d+)\]", target)
            if m:
                inodes.add(m.group(1))
        with open("/proc/net/udp") as f:
            next(f, None)
            lines = f.readlines()
    except OSError:
        return set()
    ports = set()
    for line in lines:
        parts = line.split()
        if len(parts) > 9 and parts[9] in inodes:
            ports.add(int(parts[1].rsplit(":", 1)[1], 16))
    return ports


def rtp_port_of(proc, sip_port, timeout):
    """A's RTP port: the even port of an even/odd UDP pair it binds, not its SIP port."""
    deadline = time.monotonic() + ic.bounded(timeout)
    while time.monotonic() < deadline:
        ports = udp_ports_of(proc.pid) - {sip_port}
        pairs = sorted(p for p in ports if p % 2 == 0 and p + 1 in ports)
        if pairs:
            return pairs[0]
        time.sleep(0.05)
    return None


class RtpSniffer:
    """The header of the last RTP packet sent to one UDP port on lo (AF_PACKET; needs
    CAP_NET_RAW), and the source it came from; packets whose payload is in ignore (ours) are
    not counted."""
    ETH_P_ALL = 3
    PACKET_OUTGOING = 4

    def __init__(self, dport, ignore=frozenset()):
        self.dport = dport
        self.ignore = ignore
        self.last = None           # (seq, timestamp, ssrc, sport)
        self.count = 0
        self.error = None
        self._cond = threading.Condition()
        self._stop = False
        self._thread = None
        try:
            self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                      socket.htons(self.ETH_P_ALL))
            self.sock.bind(("lo", 0))
            self.sock.settimeout(0.1)
        except (OSError, AttributeError) as e:
            self.sock = None
            self.error = "cannot sniff loopback (AF_PACKET): %s" % e
            return
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(addr) > 2 and addr[2] == self.PACKET_OUTGOING:
                continue          # lo shows every packet twice: keep the incoming copy
            if len(data) < 14 + 20 + 8 + 12 or data[12:14] != b"\x08\x00":
                continue
            ip = data[14:]
            ihl = (ip[0] & 15) * 4
            if ip[9] != 17:
                continue
            udp = ip[ihl:]
            sport, dport = struct.unpack("!HH", udp[:4])
            rtp = udp[8:]
            if dport != self.dport or len(rtp) < 12 or rtp[0] >> 6 != 2 or rtp[1] & 0x7f != 0:
                continue
            if bytes(rtp[12:]) in self.ignore:
                continue
            seq, ts, ssrc = struct.unpack("!HII", rtp[2:12])
            with self._cond:
                self.last = (seq, ts, ssrc, sport)
                self.count += 1
                self._cond.notify_all()

    def wait_next(self, count, timeout):
        """Waits for a packet after the count-th; returns (count, last) or (count, None)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.count <= count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return count, None
                self._cond.wait(left)
            return self.count, self.last

    def stop(self):
        self._stop = True
        if self._thread:
            self._thread.join(2)
        if self.sock:
            self.sock.close()


PAYLOADS = tone_payloads(INJECT_HZ, 100)


def rtp_packet(seq, ts, ssrc, payload):
    return struct.pack("!BBHII", 0x80, 0, seq & 0xffff, ts & 0xffffffff, ssrc) + payload


def ip_checksum(header):
    total = sum(struct.unpack("!%dH" % (len(header) // 2), header))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


class Spoofer:
    """UDP datagrams with any source on 127.0.0.1 (a raw IPv4 socket; needs CAP_NET_RAW)."""

    def __init__(self):
        self.error = None
        try:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
        except OSError as e:
            self.sock = None
            self.error = "cannot send raw IP: %s" % e

    def send(self, sport, dport, payload):
        udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload  # no checksum
        lo = socket.inet_aton(ic.LOOPBACK)
        head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), random.randrange(65536), 0,
                           64, 17, 0, lo, lo)
        head = head[:10] + struct.pack("!H", ip_checksum(head)) + head[12:]
        self.sock.sendto(head + udp, (ic.LOOPBACK, dport))

    def close(self):
        if self.sock:
            self.sock.close()


class Injector:
    """Sends the 3 kHz tone to A's RTP port in the phases asked for, timed from start."""

    def __init__(self, a_port, sniffer, spoofer, phases, start):
        self.a_port = a_port
        self.sniffer = sniffer
        self.spoofer = spoofer
        self.phases = phases
        self.start = start
        self.sent = {}
        self.notes = []
        self.payloads = PAYLOADS
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ic.LOOPBACK, 0))
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sleep_until(self, t):
        left = self.start + t - time.monotonic()
        if left > 0:
            time.sleep(left)

    def _own(self, begin, end):
        """Our own SSRC and sequence, paced at 20 ms."""
        ssrc, seq, ts, n = random.randrange(1 << 32), random.randrange(65536), 0, 0
        self._sleep_until(begin)
        while time.monotonic() < self.start + end:
            self.sock.sendto(rtp_packet(seq + n, ts + 160 * n, ssrc,
                                        self.payloads[n % len(self.payloads)]),
                             (ic.LOOPBACK, self.a_port))
            n += 1
            self._sleep_until(begin + 0.02 * n)
        return n

    def _follow(self, begin, end, send):
        """B's SSRC and next sequence number and timestamp, each sent as soon as B's packet
        before it is seen."""
        n, count = 0, 0
        self._sleep_until(begin)
        while time.monotonic() < self.start + end:
            count, last = self.sniffer.wait_next(count, 0.5)
            if last is None:
                continue
            seq, ts, ssrc, b_port = last
            send(b_port, rtp_packet(seq + 1, ts + 160, ssrc, self.payloads[n % len(self.payloads)]))
            n += 1
        return n

    def _run(self):
        try:
            for phase in self.phases:
                begin, end = PHASES[phase] if phase != "control" else (2.0, 4.0)
                if phase == "own":
                    self.sent[phase] = self._own(begin, end)
                elif phase == "ssrc":
                    self.sent[phase] = self._follow(
                        begin, end, lambda b_port, pkt: self.sock.sendto(pkt, (ic.LOOPBACK,
                                                                               self.a_port)))
                else:
                    self.sent[phase] = self._follow(
                        begin, end, lambda b_port, pkt: self.spoofer.send(b_port, self.a_port, pkt))
        except Exception as e:  # noqa: BLE001 - reported by the case
            self.notes.append("injector: %r" % e)

    def join(self, timeout):
        self._thread.join(timeout)
        self.sock.close()


# --------------------------------------------------------------------------------------------
# The call

def injected_call(peers, name, srtp, phases, sniff, spoof, duration=DURATION):
    """B calls A; phases are injected meanwhile. Returns a dict of what happened."""
    d = peers.mkdtemp(name)
    out = os.path.join(d, "out.wav")
    port = ic.free_port()
    # --fec off: no RED, so that B's packets are plain PCMU, payload type 0, as ours are.
    policy = ["--fec", "off", "--srtp", "mandatory" if srtp else "off"]
    a = ic.start_listen(peers, "a-" + name, port, transport="udp", duration=duration + 15,
                        extra=["--auto-answer", "--max-calls", "1", "--codecs", "PCMU",
                               "--audio-in", "none", "--audio-out", out] + policy)
    r = {"a": a, "out": out, "notes": []}
    if not ic.wait_listening(a, "UDP", port, 5):
        r["notes"].append("A did not listen on UDP %d" % port)
    b = ic.start_call(peers, "b-" + name, "sip:alice@%s:%d" % (ic.LOOPBACK, port),
                      duration=duration, extra=["--codecs", "PCMU", "--audio-in", "tone",
                                                "--audio-out", "none"] + policy)
    r["b"] = b
    a_port = rtp_port_of(a, port, 5)
    r["a_port"] = a_port
    connected = a.wait_line(lambda l: '"state":"connected"' in l.replace(" ", ""), 10)
    start = time.monotonic()
    injector = None
    sniffer = RtpSniffer(a_port, frozenset(PAYLOADS)) if sniff and a_port else None
    if a_port and connected:
        injector = Injector(a_port, sniffer, spoof, phases, start)
    else:
        r["notes"].append("A's RTP port %s, connected %s: nothing injected" % (a_port, connected))
    r["brc"] = ic.finish(b, duration + 10)
    r["arc"] = ic.finish(a, 5)
    if injector:
        injector.join(5)
        r["sent"] = injector.sent
        r["notes"] += injector.notes
    else:
        r["sent"] = {}
    if sniffer:
        r["b_packets"] = sniffer.count
        sniffer.stop()
    r["quality"] = ic.events(a, "quality")
    return r


def call_ok(r):
    states_a = ic.states(r["a"])
    states_b = ic.states(r["b"])
    return (r["brc"] == 0 and r["arc"] == 0 and "connected" in states_b
            and states_a == ["incoming", "connected", "ended"]), states_a, states_b


def check_call(tap, descs, r, phases):
    ok, states_a, states_b = call_ok(r)
    tap.ok(ok, descs[0], lambda: ["B exit %s, states %s; A exit %s, states %s"
                                  % (r["brc"], states_b, r["arc"], states_a)] + r["notes"]
           + r["b"].diag() + r["a"].diag())

    seconds, rms, share440 = ic.wav_tone(r["out"], 440)
    _, _, share3k = ic.wav_tone(r["out"], INJECT_HZ)
    shares = window_shares(r["out"], INJECT_HZ)
    worst = max(shares) if shares else 0.0
    sent_all = all(r["sent"].get(p, 0) >= 20 for p in phases)
    tap.ok(sent_all and seconds >= 5.0 and share440 > 0.5 and share3k < FILE_MAX_SHARE
           and worst < WINDOW_MAX_SHARE, descs[1],
           lambda: ["injected %s (A's RTP port %s); %s: %.2f s, 440 Hz share %.3f, 3 kHz share "
                    "%.4f, worst 50 ms window %.3f of %d"
                    % (r["sent"], r["a_port"], r["out"], seconds, share440, share3k, worst,
                       len(shares))] + r["notes"] + r["a"].diag())

    logged = re.findall(r"RTP from 127\.0\.0\.1 port \d+ dropped", r["a"].stderr())
    tap.ok(len(logged) == 1, descs[2],
           lambda: ["A's log lines: %s" % logged] + r["a"].diag())
    rejected = [q.get("rejected") for q in r["quality"] if "rejected" in q]
    if r["quality"] and not rejected:
        # The field comes from BellMediaStats.rejected through bell-core-calls.c's "quality"
        # event; until that line is there, say so rather than fail.
        tap.skip(descs[3], "A's quality events have no 'rejected' field yet")
    else:
        tap.ok(rejected and max(rejected) > 0, descs[3],
               lambda: ["A's quality events' rejected: %s (of %d events)"
                        % (rejected, len(r["quality"]))] + r["a"].diag())
    tap.note("%s: injected %s; A's recording %.2f s, 440 Hz share %.3f, 3 kHz share %.4f (worst "
             "window %.3f); A's rejected %s; %s B packets sniffed"
             % (descs[0].split(":")[0], r["sent"], seconds, share440, share3k, worst, rejected,
                r.get("b_packets", "no")))


def case_for(mode):
    descs = call_descs(mode)

    @T.case(descs)
    def case(tap, peers):
        srtp = mode == "srtp"
        probe = RtpSniffer(0)
        can_sniff = probe.sock is not None
        probe.stop()
        spoofer = Spoofer() if srtp else None
        phases = ["own"] + (["ssrc"] if can_sniff else [])
        if srtp and spoofer.sock is not None and can_sniff:
            phases.append("spoof")
        r = injected_call(peers, mode, srtp, phases, can_sniff, spoofer)
        if spoofer:
            spoofer.close()
        if not can_sniff:
            r["notes"].append("no CAP_NET_RAW: only the stranger with its own SSRC was sent")
        check_call(tap, descs, r, phases)
    return case


case_plain = case_for("plain")
case_srtp = case_for("srtp")


@T.case(CONTROL_DESCS)
def case_control(tap, peers):
    spoofer = Spoofer()
    probe = RtpSniffer(0)
    reason = spoofer.error or probe.error
    probe.stop()
    if reason:
        spoofer.close()
        tap.skip(CONTROL_DESCS[0], reason)
        return
    r = injected_call(peers, "control", False, ["control"], True, spoofer, duration=6)
    spoofer.close()
    shares = window_shares(r["out"], INJECT_HZ)
    heard = sum(1 for s in shares if s > 0.5)
    ok, _, _ = call_ok(r)
    tap.ok(ok and r["sent"].get("control", 0) >= 20 and heard >= 5, CONTROL_DESCS[0],
           lambda: ["injected %s; %d windows of %d with 3 kHz > 0.5 of the power"
                    % (r["sent"], heard, len(shares))] + r["notes"] + r["a"].diag())
    tap.note("control: injected %s spoofed as B; %d of %d windows mostly 3 kHz"
             % (r["sent"], heard, len(shares)))


def missing():
    return None if ic.bellbird_cli() else "BELLBIRD_CLI not set or not executable"


if __name__ == "__main__":
    T.run(missing)
