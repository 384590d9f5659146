#!/usr/bin/env python3
"""Interop (issue 10): an INVITE flood with sipp on loopback against a phone that takes its
calls through a registrar (TAP). Prints its figures as diagnostics ("# flood: ...").

kamailio on 127.0.0.1 is registrar and authenticating proxy (write_kamailio_cfg(calls=True));
bob is `bellbird-cli listen --user sip:bob@bellbird.test --registrar ... --auto-answer
--no-media --events`: with an account and the default --direct-calls auto, a call that does not
come from the registrar's address and port gets a stateless 403, and each source address may
send 20 new requests a second (burst 60) before the rest are dropped unparsed.

1. Baseline: alice (`bellbird-cli call` with her password) calls bob through kamailio and it
   connects; then bob's idle RSS (VmRSS) and CPU (the runtime of all its threads, from
   /proc/PID/task/*/schedstat in ns; utime+stime ticks where that is missing) over 1 s.
2. The flood: sipp (scenarios/flood_uac_invite.xml) straight at bob, `-t un` (a new UDP socket,
   so a new source port, per call), `-r 1000 -m 5000 -nr`: each call one INVITE with a new
   Call-ID, ACKed when a 403 comes, given up after 800 ms without an answer.
3. One second into the flood alice calls bob through kamailio again: it must connect, and bob
   must see it as an incoming call of its account (kamailio's flow is trusted, never limited).
4. bob's RSS every 50 ms from before the flood until the end: peak - idle <= 10 MB.
5. bob's CPU in 250 ms windows (from the 50 ms readings) from 1 s before the flood's last INVITE
   to 3 s after sipp's exit: idle again within 2 s of the last INVITE and staying so. The last
   INVITE left 800 ms before sipp exited (the scenario's wait for an answer), so this is
   stricter than "2 s after sipp's exit". "Idle" is the idle rate measured in step 1 plus
   0.5 % of one core (1.25 ms of CPU in a window).
   5 % of a core, the first idea, would not tell anything: dropping 1000 datagrams a second
   unparsed costs bob only 1-3 % of a core, so a phone still chewing on a backlog would pass.
   CPU time used is what bob did, not what the loaded machine let it do, so the margin holds
   with other work on the cores; 0.5 % covers the core's own timers and the one "protection"
   event that follows the flood.
6. bob's events: its only "call" events are alice's two calls; the flood's counters in the
   last "protection" event before step 7 add up exactly: policy_refused = the 403s sipp got
   (each 403 is one refused INVITE); rate_limited + total_rate_limited + policy_refused lies
   between INVITEs - kernel drops on bob's socket (/proc/net/udp) and INVITEs + ACKs (the ACKs
   of the 403s go through the same limiter; those it lets through are not counted); at most
   one protection event a second.
7. Scanners: from 127.0.0.2 (a source with a full bucket), an INVITE with an ordinary
   User-Agent gets 403, the same INVITE and an OPTIONS with User-Agent: friendly-scanner get no
   answer at all, and scanner_dropped grows by 2.
"""

import glob
import json
import os
import re
import socket
import threading
import time

import interop_common as ic

REALM = ic.KAMAILIO_REALM
ALICE = "sip:alice@%s" % REALM
BOB = "sip:bob@%s" % REALM
USERS = {"alice": "s3cret-alice", "bob": "s3cret-bob"}

FLOOD_CALLS = 5000
FLOOD_RATE = 1000
RSS_MARGIN_KB = 10 * 1024
IDLE_MARGIN = 0.005        # of one core, above the idle rate (see 5. above)
WINDOW_S = 0.25
ANSWER_WAIT_S = 0.8        # the scenario's wait for a 403 (recv timeout="800")
WINDOWS_BEFORE = 4         # the flood's last second, for comparison
WINDOWS_AFTER = 14         # 3.5 s from the last INVITE: idle by 2 s, then staying idle
IDLE_BY_S = 2.0
SCANNER_SOURCE = "127.0.0.2"

DESCS = [
    "setup: kamailio runs, bob (listen --user, default --direct-calls) registers through it, and "
    "alice's call to bob through kamailio before the flood connects",
    "flood: sipp sent %d INVITEs at %d/s from a new UDP port each (-t un); each got a 403 or no "
    "answer, nothing else" % (FLOOD_CALLS, FLOOD_RATE),
    "during the flood alice's call through kamailio connects, and bob takes it as an incoming "
    "call of its account",
    "no call of the flood is offered: bob's only call events are alice's two calls",
    "bob's RSS during and after the flood stays within 10 MB of idle",
    "bob's CPU is back to idle (idle rate + 0.5 % of a core in 250 ms windows) within 2 s after "
    "the flood's last INVITE, and stays there",
    "bob's protection counters account for the flood (policy_refused = 403s sipp got; "
    "rate_limited + total_rate_limited + policy_refused between INVITEs - kernel drops and "
    "INVITEs + ACKs), at most one protection event a second",
    "scanner: from a fresh source an ordinary INVITE gets 403, the same INVITE and an OPTIONS "
    "with User-Agent: friendly-scanner get no answer, and scanner_dropped grows by 2",
]


# --------------------------------------------------------------------------------------------
# bob's process, from /proc

def rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def cpu_s(pid):
    """CPU seconds pid's threads used: the sum of their schedstat runtimes (ns), or utime+stime
    (ticks) where schedstat is missing."""
    total, seen = 0, False
    for path in glob.glob("/proc/%d/task/*/schedstat" % pid):
        try:
            with open(path) as f:
                total += int(f.read().split()[0])
                seen = True
        except (OSError, ValueError, IndexError):
            continue
    if seen:
        return total / 1e9
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def udp_drops(port):
    """The kernel's drop count of the UDP socket bound to 127.0.0.1:port (or 0.0.0.0:port)."""
    drops = None
    for fn in ("/proc/net/udp",):
        try:
            with open(fn) as f:
                next(f, None)
                for line in f:
                    parts = line.split()
                    if len(parts) < 13:
                        continue
                    ip, p = parts[1].split(":")
                    if int(p, 16) == port and ip in ("0100007F", "00000000"):
                        drops = (drops or 0) + int(parts[-1])
        except (OSError, ValueError):
            continue
    return drops


def cpu_windows(samples, start, n):
    """CPU seconds used in n windows of WINDOW_S from start, from the Sampler's readings nearest
    each boundary (scaled to WINDOW_S when those are further apart or closer); None where no
    readings tell."""
    def at(t):
        return min(samples, key=lambda s: abs(s[0] - t)) if samples else None
    out = []
    for k in range(n):
        a, b = at(start + k * WINDOW_S), at(start + (k + 1) * WINDOW_S)
        if a is None or b[0] - a[0] < WINDOW_S / 2:
            out.append(None)
            continue
        out.append(max(0.0, (b[2] - a[2]) * WINDOW_S / (b[0] - a[0])))
    return out


def ms_list(windows):
    return " ".join("-" if w is None else "%.3f" % (w * 1000) for w in windows)


class Sampler(threading.Thread):
    """(monotonic time, RSS kB, CPU s) of pid every 50 ms until stopped."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.samples = []
        self._done = threading.Event()

    def run(self):
        while not self._done.is_set():
            r, c = rss_kb(self.pid), cpu_s(self.pid)
            if r is not None and c is not None:
                self.samples.append((time.monotonic(), r, c))
            self._done.wait(0.05)

    def stop(self):
        self._done.set()
        self.join(2)


# --------------------------------------------------------------------------------------------
# Calls

class StampedLines(list):
    """A Proc's stdout lines that remember when each arrived (monotonic), in .times."""

    def __init__(self, lines):
        super().__init__(lines)
        self.times = [time.monotonic()] * len(lines)

    def append(self, line):
        self.times.append(time.monotonic())
        super().append(line)


def stamp_lines(proc):
    """From now on, proc's stdout lines carry their arrival times (the reader thread appends
    under proc._cond)."""
    with proc._cond:
        proc.lines = StampedLines(proc.lines)


def setup_ms(proc):
    """ms from a call's first event (dialing) to its "connected", as they reached the test."""
    with proc._cond:
        lines, times = list(proc.lines), list(getattr(proc.lines, "times", []))
    first = connected = None
    for line, t in zip(lines, times):
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if not isinstance(ev, dict) or ev.get("event") != "call":
            continue
        if first is None:
            first = t
        if ev.get("state") == "connected":
            connected = t
            break
    if first is None or connected is None:
        return None
    return (connected - first) * 1000


def alice_call(peers, name, kport):
    p = ic.start_call(peers, name, "sip:bob@%s:%d" % (ic.LOOPBACK, kport), duration=1,
                      user=ALICE, password=USERS["alice"], extra=["--no-media"])
    stamp_lines(p)
    return p


def kam_diag(kam):
    return ["kamailio BB* records:"] + ["  %s" % r for r in ic.kamailio_records(kam)[-12:]] \
        + kam.diag(6)


# --------------------------------------------------------------------------------------------
# sipp

def start_flood(peers, bport):
    d = peers.mkdtemp("flood-sipp")
    sport = ic.free_port(span=4)
    argv = [ic.sipp_path(), "-sf", os.path.join(ic.SCENARIOS, "flood_uac_invite.xml"),
            "-s", "bob", "-i", ic.LOOPBACK, "-p", str(sport), "-mp", str(sport + 2),
            "-t", "un", "-max_socket", "4000", "-nr",
            "-r", str(FLOOD_RATE), "-m", str(FLOOD_CALLS), "-nostdin",
            "-trace_counts", "-trace_stat", "-stf", os.path.join(d, "stats.csv"),
            "-timeout", "30s", "-timeout_error",
            "%s:%d" % (ic.LOOPBACK, bport)]
    p = peers.start("flood-sipp", argv, cwd=d)
    p.stat_path = os.path.join(d, "stats.csv")
    return p


def sipp_counts(p):
    """The last row of sipp's -trace_counts file: {"0_INVITE_Sent": n, ...}."""
    files = glob.glob(os.path.join(p.dir, "*_counts.csv"))
    rows = [l for l in ic.read_text(files[0]).splitlines() if l.strip()] if files else []
    if len(rows) < 2:
        return {}
    out = {}
    for k, v in zip(rows[0].rstrip(";").split(";"), rows[-1].rstrip(";").split(";")):
        try:
            out[k] = int(v)
        except ValueError:
            pass
    return out


def count(counts, suffix):
    return sum(v for k, v in counts.items() if re.match(r"\d+_" + suffix + "$", k))


# --------------------------------------------------------------------------------------------
# Scanner probe

def probe(sock, bport, n, user_agent, method="INVITE"):
    lip, lport = sock.getsockname()
    msg = ("%s sip:bob@%s:%d SIP/2.0\r\n"
           "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-bbscan-%d-%d;rport\r\n"
           "Max-Forwards: 70\r\n"
           "From: \"probe\" <sip:100@%s>;tag=bbscan%d\r\n"
           "To: <sip:bob@%s:%d>\r\n"
           "Call-ID: bbscan-%d-%d@%s\r\n"
           "CSeq: 1 %s\r\n"
           "Contact: <sip:100@%s:%d>\r\n"
           "User-Agent: %s\r\n"
           "Content-Length: 0\r\n\r\n"
           % (method, ic.LOOPBACK, bport, lip, lport, os.getpid(), n, lip, n, ic.LOOPBACK, bport,
              os.getpid(), n, lip, method, lip, lport, user_agent))
    sock.sendto(msg.encode(), (ic.LOOPBACK, bport))


def answers(sock, seconds):
    """Status lines received on sock within seconds."""
    out = []
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return out
        sock.settimeout(left)
        try:
            data, _ = sock.recvfrom(65535)
        except (socket.timeout, OSError):
            return out
        out.append(data.split(b"\r\n", 1)[0].decode("utf-8", "replace"))


def protection_events(bob, start=0, end=None):
    out = []
    with bob._cond:
        lines = list(bob.lines[start:end])
    for line in lines:
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if isinstance(ev, dict) and ev.get("event") == "protection":
            out.append(ev)
    return out


# --------------------------------------------------------------------------------------------

def body(tap):
    reason = ic.kamailio_missing() or (None if ic.sipp_path() else "sipp not installed "
                                       "(package sip-tester)")
    if not reason and not os.path.exists("/proc/self/status"):
        reason = "no /proc to read bob's RSS and CPU from"
    if reason:
        tap.skip_rest(DESCS, reason)
        return
    with ic.Peers() as peers:
        run(tap, peers)


def run(tap, peers):
    kport = ic.free_port()
    rundir = peers.mkdtemp("kamailio")
    ic.write_kamailio_cfg(rundir, kport, users=USERS, ctl=False, calls=True)
    kam, ready = ic.start_kamailio(peers, "kamailio", rundir, kport)
    if not ready:
        tap.ok(False, DESCS[0], ["kamailio did not start"] + kam.diag(20))
        return

    # 1. bob, the baseline call, the idle figures.
    bport = ic.free_port()
    env = dict(os.environ)
    env["BELLBIRD_TEST_PASSWORD"] = USERS["bob"]
    bob = peers.start("bob", [ic.bellbird_cli(), "listen", "--user", BOB,
                              "--registrar", "sip:%s:%d" % (ic.LOOPBACK, kport),
                              "--password-env", "BELLBIRD_TEST_PASSWORD",
                              "--bind", "%s:%d" % (ic.LOOPBACK, bport), "--auto-answer",
                              "--no-media", "--events", "--duration", "50"],
                      collect=True, env=env)
    _, reg = ic.wait_event(bob, ic.reg_state("registered"), 8)
    alice1 = alice_call(peers, "alice-before", kport)
    rc1 = alice1.wait(12)
    _, ended1 = ic.wait_event(bob, ic.call_state("ended"), 5)
    ok = tap.ok(reg is not None and rc1 == 0 and setup_ms(alice1) is not None
                and ended1 is not None, DESCS[0],
                lambda: ["bob registered: %s; alice exit %s, setup %s ms"
                         % (reg, rc1, setup_ms(alice1))]
                + alice1.diag() + bob.diag() + kam_diag(kam))
    if not ok:
        return
    time.sleep(0.5)
    idle_rss0, idle_cpu0, t0 = rss_kb(bob.pid), cpu_s(bob.pid), time.monotonic()
    time.sleep(1.0)
    idle_rss1, idle_cpu1, t1 = rss_kb(bob.pid), cpu_s(bob.pid), time.monotonic()
    idle_rss = max(idle_rss0, idle_rss1)
    idle_rate = max(0.0, (idle_cpu1 - idle_cpu0) / (t1 - t0))
    drops0 = udp_drops(bport)

    # 2.-4. The flood, alice's call one second into it, bob's RSS and CPU all along.
    sampler = Sampler(bob.pid)
    sampler.start()
    events_before = ic.line_count(bob)
    cpu_flood0 = cpu_s(bob.pid)
    sipp = start_flood(peers, bport)
    t_flood = time.monotonic()
    time.sleep(1.0)
    alice2 = alice_call(peers, "alice-during", kport)
    sipp_rc = sipp.wait(25)
    t_end = time.monotonic()
    flood_s = t_end - t_flood
    cpu_flood1 = cpu_s(bob.pid)

    # 5. Readings for the CPU windows after the flood.
    t_last = t_end - ANSWER_WAIT_S
    time.sleep(max(0.0, t_last + (WINDOWS_AFTER + 0.5) * WINDOW_S - time.monotonic()))
    sampler.stop()
    rc2 = alice2.wait(10)
    drops1 = udp_drops(bport)
    events_flood_end, t_events_end = ic.line_count(bob), time.monotonic()

    # 7. The scanner probe (from another loopback address: a source with its bucket full).
    scan_lines = []
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((SCANNER_SOURCE, 0))
    except OSError as e:
        sock = None
        scan_lines.append("cannot bind %s: %s" % (SCANNER_SOURCE, e))
    control = scanned = []
    if sock:
        with sock:
            probe(sock, bport, 1, "bellbird-flood-test")
            control = answers(sock, 1.0)
            probe(sock, bport, 2, "friendly-scanner")
            probe(sock, bport, 3, "friendly-scanner", method="OPTIONS")
            scanned = answers(sock, 1.0)
    _, scan_ev = ic.wait_event(bob, lambda e: e.get("event") == "protection"
                               and e.get("scanner_dropped", 0) >= 2, 3, start=events_flood_end)

    # The figures.
    counts = sipp_counts(sipp)
    stats = ic.sipp_stats(sipp)
    sent = counts.get("0_INVITE_Sent")
    got403 = count(counts, "403_Recv")
    unanswered = count(counts, "403_Timeout")
    unexpected = count(counts, "403_Unexp")
    acks = counts.get("2_ACK_Sent", 0)
    samples = list(sampler.samples)
    peak_rss = max([s[1] for s in samples] + [idle_rss])
    flood_cpu = (cpu_flood1 - cpu_flood0) if cpu_flood1 is not None else None
    threshold = (idle_rate + IDLE_MARGIN) * WINDOW_S
    before = cpu_windows(samples, t_last - WINDOWS_BEFORE * WINDOW_S, WINDOWS_BEFORE)
    windows = cpu_windows(samples, t_last, WINDOWS_AFTER)
    idle_from = next((k for k in range(len(windows))
                      if all(w is not None and w <= threshold for w in windows[k:])), None)
    to_idle = None if idle_from is None else idle_from * WINDOW_S
    kdrops = None if drops0 is None or drops1 is None else drops1 - drops0
    flood_prot = protection_events(bob, events_before, events_flood_end)
    last = flood_prot[-1] if flood_prot else {}
    limited = sum(int(last.get(k, 0)) for k in ("rate_limited", "total_rate_limited",
                                                 "transactions_limited"))
    refused = int(last.get("policy_refused", 0))

    invite_s = max(0.1, flood_s - ANSWER_WAIT_S)
    tap.note("flood: INVITEs sent %s over %.2f s (%s/s asked; sipp ran %.2f s), answered 403: %d, "
             "unanswered: %d, other answers: %d, ACKs sent: %d"
             % (sent, invite_s, FLOOD_RATE, flood_s, got403, unanswered, unexpected, acks),
             "flood: bob's counters: rate_limited %s, total_rate_limited %s, policy_refused %s, "
             "transactions_limited %s; kernel drops on bob's socket: %s"
             % (last.get("rate_limited"), last.get("total_rate_limited"), refused,
                last.get("transactions_limited"), kdrops),
             "flood: bob's RSS idle %d kB, peak %d kB (+%d kB)" % (idle_rss, peak_rss,
                                                                  peak_rss - idle_rss),
             "flood: bob's CPU idle %.3f %% of a core; during the flood %.3f s (%.2f %% of a "
             "core over the %.2f s of INVITEs)" % (idle_rate * 100, flood_cpu or 0,
                                                  100 * (flood_cpu or 0) / invite_s, invite_s),
             "flood: bob's CPU per 250 ms (ms) in the flood's last second: %s; after its last "
             "INVITE (sipp's exit - %.1f s): %s; idle threshold %.3f ms; seconds to idle: %s"
             % (ms_list(before), ANSWER_WAIT_S, ms_list(windows), threshold * 1000, to_idle),
             "flood: legit call setup (alice's dialing -> connected through kamailio, as her "
             "events reached the test) %s ms during the flood, %s ms before it"
             % (None if setup_ms(alice2) is None else "%.0f" % setup_ms(alice2),
                "%.0f" % setup_ms(alice1)))

    tap.ok(sent == FLOOD_CALLS and got403 + unanswered == sent and unexpected == 0
           and ic.sipp_stat_int(sipp, "FailedUnexpectedMessage(C)") == 0, DESCS[1],
           lambda: ["sipp exit %s, counts %s" % (sipp_rc, counts),
                    "stats: %s" % {k: v for k, v in stats.items() if "(C)" in k}]
           + sipp.diag(10))

    calls = ic.call_histories(bob)
    bob_calls = [e for e in ic.call_events(bob) if e.get("state") == "incoming"]
    during = [e for e in bob_calls if e.get("id") != ended1.get("id")]
    tap.ok(rc2 == 0 and "connected" in ic.states(alice2) and len(during) == 1
           and during[0].get("account") == BOB
           and "connected" in calls.get(during[0].get("id"), []), DESCS[2],
           lambda: ["alice exit %s, states %s; bob's calls %s" % (rc2, ic.states(alice2), calls)]
           + alice2.diag() + bob.diag() + kam_diag(kam))

    tap.ok(len(calls) == 2 and all(e.get("account") == BOB for e in bob_calls), DESCS[3],
           lambda: ["bob's calls %s" % calls, "incoming: %s" % bob_calls])

    tap.ok(samples and peak_rss - idle_rss <= RSS_MARGIN_KB, DESCS[4],
           lambda: ["%d samples; RSS idle %d kB, peak %d kB" % (len(samples), idle_rss, peak_rss)])

    tap.ok(to_idle is not None and to_idle <= IDLE_BY_S - WINDOW_S, DESCS[5],
           lambda: ["windows after the last INVITE (ms): %s, threshold %.3f ms; %d readings"
                    % (ms_list(windows), threshold * 1000, len(samples))])

    lower = (sent or 0) - (kdrops or 0)
    upper = (sent or 0) + acks
    flood_window = t_events_end - t_flood
    tap.ok(last and kdrops is not None and refused == got403
           and lower <= limited + refused <= upper
           and len(flood_prot) <= int(flood_window) + 2, DESCS[6],
           lambda: ["last protection event of the flood: %s" % last,
                    "%d protection events in %.1f s; 403s sipp got %d; %d <= %d <= %d?"
                    % (len(flood_prot), flood_window, got403, lower, limited + refused, upper)]
           + bob.diag(8))

    scanner0 = int(last.get("scanner_dropped", 0))
    tap.ok(sock is not None and len(control) == 1 and control[0].startswith("SIP/2.0 403")
           and scanned == [] and scan_ev is not None
           and int(scan_ev.get("scanner_dropped", 0)) - scanner0 == 2, DESCS[7],
           lambda: scan_lines + ["control answers %s; scanner answers %s; protection after: %s"
                                 % (control, scanned, scan_ev)] + bob.diag(8))


if __name__ == "__main__":
    ic.run_tests(len(DESCS), body)
