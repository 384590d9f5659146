"""Shared helpers for Bellbird's interop tests against sipp (Python 3 standard library only).

Every peer runs as a subprocess in its own temporary directory and is stopped by its pid
(terminate, wait 3 s, kill) by the Peers context manager; nothing is ever killed by name.
Only 127.0.0.1 is used. Tests print TAP on stdout (meson's `protocol: 'tap'`).
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "scenarios")
TLS_RELAY = os.path.join(HERE, "tls_relay.py")
LOOPBACK = "127.0.0.1"


# --------------------------------------------------------------------------------------------
# TAP

class Tap:
    """Collects results; prints the plan first, then one line per test, always exits 0."""

    def __init__(self, plan):
        self.plan = plan
        self.n = 0
        self.failed = 0
        print("1..%d" % plan, flush=True)

    def _diag(self, lines):
        for line in lines:
            for part in str(line).splitlines() or [""]:
                print("# " + part, flush=True)

    def ok(self, cond, desc, diag=()):
        self.n += 1
        if cond:
            print("ok %d - %s" % (self.n, desc), flush=True)
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.n, desc), flush=True)
            self._diag(diag() if callable(diag) else diag)
        return cond

    def skip(self, desc, reason):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, desc, reason), flush=True)

    def skip_rest(self, descs, reason):
        for d in descs:
            self.skip(d, reason)

    def note(self, *lines):
        self._diag(lines)

    def finish(self):
        # Keep the plan honest even if a test forgot a line (an exception, an early return).
        while self.n < self.plan:
            self.n += 1
            self.failed += 1
            print("not ok %d - (test did not run: see diagnostics above)" % self.n, flush=True)
        sys.stdout.flush()
        return 0


def run_tests(plan, body):
    """Runs body(tap); an unexpected exception becomes diagnostics + failed lines, exit 0."""
    tap = Tap(plan)
    try:
        body(tap)
    except Exception:  # noqa: BLE001 - report everything as TAP
        import traceback
        tap.note("unexpected exception in the test script:", traceback.format_exc())
    tap.finish()
    sys.exit(0)


# --------------------------------------------------------------------------------------------
# Time budget: every wait in a script is cut to what is left of it, so a hanging peer turns
# into failed lines, never into a meson timeout (two scripts stay well under 2 minutes).

_START = time.monotonic()
BUDGET = float(os.environ.get("BELLBIRD_INTEROP_BUDGET", "55"))


def extend_budget(seconds):
    global BUDGET
    BUDGET += seconds


def budget_left():
    return BUDGET - (time.monotonic() - _START)


def bounded(timeout):
    """timeout, cut to the script's remaining budget (at least 0.5 s)."""
    return max(0.5, min(timeout, budget_left()))


# --------------------------------------------------------------------------------------------
# Environment

def bellbird_cli():
    path = os.environ.get("BELLBIRD_CLI")
    if path and os.access(path, os.X_OK):
        return path
    return None


def sipp_path():
    return shutil.which("sipp")


def openssl_path():
    return shutil.which("openssl")


def tail(text, n=25):
    lines = (text or "").splitlines()
    return lines[-n:]


def read_text(path):
    try:
        with open(path, "r", encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


# --------------------------------------------------------------------------------------------
# Ports

_used_ports = set()


def _bindable(port):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def free_port(span=4):
    """A port P on 127.0.0.1 free for UDP and TCP, with P+1..P+span-1 free too (sipp's
    companion sockets), not handed out before in this run."""
    for _ in range(200):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((LOOPBACK, 0))
            port = s.getsockname()[1]
        finally:
            s.close()
        if port + span >= 65535:
            continue
        rng = range(port, port + span)
        if any(p in _used_ports for p in rng):
            continue
        if all(_bindable(p) for p in rng):
            _used_ports.update(rng)
            return port
    raise RuntimeError("no free port block found on 127.0.0.1")


def _proc_net_has(port, proto):
    """Is something bound to 127.0.0.1/0.0.0.0:port (TCP: listening)? None if unknown."""
    files = {"tcp": ["/proc/net/tcp", "/proc/net/tcp6"], "udp": ["/proc/net/udp", "/proc/net/udp6"]}[proto]
    seen_any = False
    for fn in files:
        try:
            with open(fn) as f:
                next(f, None)
                seen_any = True
                for line in f:
                    parts = line.split()
                    if len(parts) < 4:
                        continue
                    local, state = parts[1], parts[3]
                    if int(local.rsplit(":", 1)[1], 16) != port:
                        continue
                    if proto == "tcp" and state != "0A":
                        continue
                    return True
        except OSError:
            continue
    return False if seen_any else None


def wait_bound(port, proto, timeout=5.0):
    """Waits until a socket is bound on port (TCP: listening). Without /proc, sleeps 0.5 s."""
    deadline = time.monotonic() + bounded(timeout)
    while time.monotonic() < deadline:
        r = _proc_net_has(port, proto)
        if r is None:
            time.sleep(0.5)
            return True
        if r:
            return True
        time.sleep(0.02)
    return False


# --------------------------------------------------------------------------------------------
# Processes

class Proc:
    """A subprocess with stdout/stderr going to files in its own directory; stdout lines are
    also collected live (for JSON events) when collect=True."""

    def __init__(self, name, argv, cwd=None, collect=False, env=None):
        self.name = name
        self.argv = list(argv)
        self.dir = cwd or tempfile.mkdtemp(prefix="bellbird-interop-%s-" % name)
        self.out_path = os.path.join(self.dir, name + ".stdout")
        self.err_path = os.path.join(self.dir, name + ".stderr")
        self.lines = []
        self._cond = threading.Condition()
        self._reader = None
        self.rc = None
        self.stopped = False
        self._err = open(self.err_path, "wb")
        if collect:
            self.p = subprocess.Popen(self.argv, cwd=self.dir, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=self._err, env=env)
            self._out = open(self.out_path, "wb")
            self._reader = threading.Thread(target=self._read, daemon=True)
            self._reader.start()
        else:
            self._out = open(self.out_path, "wb")
            self.p = subprocess.Popen(self.argv, cwd=self.dir, stdin=subprocess.DEVNULL,
                                      stdout=self._out, stderr=self._err, env=env)

    @property
    def pid(self):
        return self.p.pid

    def _read(self):
        for raw in iter(self.p.stdout.readline, b""):
            self._out.write(raw)
            self._out.flush()
            with self._cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\r\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_line(self, pred, timeout):
        """Waits for a stdout line satisfying pred; returns it or None."""
        deadline = time.monotonic() + bounded(timeout)
        idx = 0
        with self._cond:
            while True:
                while idx < len(self.lines):
                    if pred(self.lines[idx]):
                        return self.lines[idx]
                    idx += 1
                left = deadline - time.monotonic()
                if left <= 0 or (self.p.poll() is not None and idx >= len(self.lines)
                                 and not (self._reader and self._reader.is_alive())):
                    return None
                self._cond.wait(min(left, 0.1))

    def events(self):
        out = []
        with self._cond:
            lines = list(self.lines)
        for line in lines:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if isinstance(ev, dict):
                out.append(ev)
        return out

    def wait(self, timeout):
        """Waits for exit (bounded by the script's budget); returns the exit code or None when
        it did not exit in time."""
        try:
            self.rc = self.p.wait(timeout=bounded(timeout))
        except subprocess.TimeoutExpired:
            return None
        if self._reader:
            self._reader.join(2)
        return self.rc

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        """Stops this process by its pid: SIGTERM, wait 3 s, SIGKILL."""
        if self.p.poll() is None:
            self.stopped = True
            try:
                self.p.terminate()
                self.p.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.p.kill()
                try:
                    self.p.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    pass
            except OSError:
                pass
        if self._reader:
            self._reader.join(2)
        if self.rc is None:
            self.rc = self.p.poll()
        for f in (self._out, self._err):
            try:
                f.close()
            except OSError:
                pass

    def stdout(self):
        return read_text(self.out_path)

    def stderr(self):
        return read_text(self.err_path)

    def diag(self, n=25):
        rc = self.p.poll()
        state = ("still running" if rc is None else
                 "stopped by the test, then exit %s" % rc if self.stopped else "exit %s" % rc)
        lines = ["%s: %s (pid %d, %s) in %s" % (self.name, " ".join(self.argv), self.pid,
                                                 state, self.dir)]
        out, err = self.stdout(), self.stderr()
        if out.strip():
            lines.append("%s stdout (last lines):" % self.name)
            lines += ["  " + l for l in tail(out, n)]
        if err.strip():
            lines.append("%s stderr (last lines):" % self.name)
            lines += ["  " + l for l in tail(err, n)]
        return lines


class Peers:
    """Context manager: every Proc started through it is stopped (by pid) on exit."""

    def __init__(self):
        self.procs = []
        self.dirs = []

    def __enter__(self):
        return self

    def start(self, name, argv, cwd=None, collect=False, env=None):
        p = Proc(name, argv, cwd=cwd, collect=collect, env=env)
        self.procs.append(p)
        return p

    def mkdtemp(self, name):
        d = tempfile.mkdtemp(prefix="bellbird-interop-%s-" % name)
        self.dirs.append(d)
        return d

    def __exit__(self, *exc):
        for p in reversed(self.procs):
            p.stop()
        if os.environ.get("BELLBIRD_INTEROP_KEEP"):
            return False
        for p in self.procs:
            shutil.rmtree(p.dir, ignore_errors=True)
        for d in self.dirs:
            shutil.rmtree(d, ignore_errors=True)
        return False


def run_cli(peers, name, args, timeout):
    """Runs bellbird-cli ARGS to completion (bounded). Returns the Proc; proc.rc is None when
    it had to be killed."""
    p = peers.start(name, [bellbird_cli()] + list(args))
    rc = p.wait(timeout)
    if rc is None:
        p.stop()
        p.rc = None
    return p


# --------------------------------------------------------------------------------------------
# Bellbird listen

def start_listen(peers, name, port, transport=None, extra=(), duration=90):
    argv = [bellbird_cli(), "listen", "--bind", "%s:%d" % (LOOPBACK, port), "--events",
            "--duration", str(duration)]
    if transport:
        argv += ["--transport", transport]
    argv += list(extra)
    return peers.start(name, argv, collect=True)


def wait_listening(proc, transport, port, timeout=5.0):
    """Waits for {"event":"listening","transport":T,"port":P}."""
    def pred(line):
        try:
            ev = json.loads(line)
        except ValueError:
            return False
        return (isinstance(ev, dict) and ev.get("event") == "listening"
                and str(ev.get("transport", "")).upper() == transport.upper()
                and ev.get("port") == port)
    return proc.wait_line(pred, timeout) is not None


# --------------------------------------------------------------------------------------------
# sipp

SIPP_TRANSPORT = {"udp": "u1", "tcp": "t1"}


def start_sipp(peers, name, scenario, port, transport, remote=None, via_transport=None,
               calls=1, timeout_s=15, cwd=None):
    """Starts sipp with an explicit -p and -i 127.0.0.1, -nostdin, a message trace, a bounded
    run (-timeout ... -timeout_error) and its companion ports (-mp, -cp) on free ports."""
    d = cwd or peers.mkdtemp(name)
    companion = free_port(span=4)
    argv = [sipp_path(), "-sf", os.path.join(SCENARIOS, scenario),
            "-p", str(port), "-i", LOOPBACK, "-t", SIPP_TRANSPORT[transport],
            "-m", str(calls), "-nostdin",
            "-trace_msg", "-message_file", os.path.join(d, "messages.log"),
            "-trace_err", "-error_file", os.path.join(d, "errors.log"),
            "-timeout", "%ds" % timeout_s, "-timeout_error",
            "-recv_timeout", "8000",
            "-mp", str(companion), "-cp", str(companion + 3),
            "-key", "via_transport", (via_transport or transport).upper()]
    if remote:
        argv.append(remote)
    p = peers.start(name, argv, cwd=d)
    p.msg_path = os.path.join(d, "messages.log")
    p.errlog_path = os.path.join(d, "errors.log")
    return p


def sipp_diag(p, n=40):
    lines = p.diag(12)
    msgs = read_text(getattr(p, "msg_path", ""))
    if msgs.strip():
        lines.append("sipp message trace (last lines):")
        lines += ["  " + l for l in tail(msgs, n)]
    errs = read_text(getattr(p, "errlog_path", ""))
    if errs.strip():
        lines.append("sipp error log (last lines):")
        lines += ["  " + l for l in tail(errs, 12)]
    return lines


_TRACE_SEP = re.compile(r"^-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\s*$", re.M)
_TRACE_HEAD = re.compile(r"^(\w+) message (sent|received)")


def parse_trace(path):
    """sipp -trace_msg file -> [{'time': float, 'dir': 'sent'|'received', 'transport': str,
    'text': message}]"""
    data = read_text(path)
    out = []
    matches = list(_TRACE_SEP.finditer(data))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(data)
        body = data[m.end():end].lstrip("\r\n")
        head, _, msg = body.partition("\n")
        hm = _TRACE_HEAD.match(head)
        if not hm:
            continue
        try:
            t = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
        except ValueError:
            t = 0.0
        out.append({"time": t, "dir": hm.group(2), "transport": hm.group(1),
                    "text": msg.strip("\r\n")})
    return out


def first_line(msg):
    return msg["text"].lstrip().split("\n", 1)[0].strip()


def header(msg, name):
    """First value of header NAME in a traced message (case-insensitive), or None."""
    for line in msg["text"].splitlines():
        if not line.strip():
            break
        k, sep, v = line.partition(":")
        if sep and k.strip().lower() == name.lower():
            return v.strip()
    return None


# --------------------------------------------------------------------------------------------
# Test certificates (openssl CLI, in a temporary directory; never committed)

def _openssl(args, cwd):
    r = subprocess.run([openssl_path()] + args, cwd=cwd, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (" ".join(args),
                                                      r.stderr.decode("utf-8", "replace")))


def make_certs(d):
    """In d: a test CA (ca.pem/ca.key); server.pem/server.key signed by it for IP:127.0.0.1,
    IP:::1, DNS:localhost; wronghost.pem/.key signed by it for DNS:wrong.invalid only;
    selfsigned.pem/.key (self-signed, IP:127.0.0.1). Returns a dict of paths."""
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(["req", "-x509"] + key + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
              "-subj", "/CN=Bellbird Interop Test CA",
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign"], d)

    def leaf(name, cn, san):
        ext = os.path.join(d, name + ".ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth,clientAuth\n"
                    "subjectAltName=%s\n" % san)
        _openssl(["req"] + key + ["-keyout", name + ".key", "-out", name + ".csr",
                  "-subj", "/CN=%s" % cn], d)
        _openssl(["x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                  "-CAcreateserial", "-out", name + ".pem", "-days", "2",
                  "-extfile", ext], d)

    leaf("server", "localhost", "IP:127.0.0.1,IP:::1,DNS:localhost")
    leaf("wronghost", "wrong.invalid", "DNS:wrong.invalid")
    _openssl(["req", "-x509"] + key + ["-keyout", "selfsigned.key", "-out", "selfsigned.pem",
              "-days", "2", "-subj", "/CN=localhost",
              "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], d)
    names = ["ca", "server", "wronghost", "selfsigned"]
    out = {}
    for n in names:
        out[n] = os.path.join(d, n + ".pem")
        out[n + "_key"] = os.path.join(d, n + ".key")
    return out


# --------------------------------------------------------------------------------------------
# TLS relay (sipp 3.6.1 as packaged by Debian is built without OpenSSL: `-t l1` answers
# "To use a TLS transport you must compile SIPp with OpenSSL". The relay carries sipp's TCP
# stream over a real TLS connection made with Python's ssl module.)

def start_relay(peers, name, mode, target_port, cert=None, key=None, ca=None,
                server_name=None):
    """mode 'server': TLS in (cert/key) -> plain TCP to target_port.
    mode 'client': plain TCP in -> TLS to target_port, verifying with ca and server_name.
    Returns (proc, listen_port) or (proc, None) when it did not come up."""
    argv = [sys.executable, TLS_RELAY, mode, "--target", "%s:%d" % (LOOPBACK, target_port)]
    if cert:
        argv += ["--cert", cert, "--key", key]
    if ca:
        argv += ["--ca", ca]
    if server_name:
        argv += ["--server-name", server_name]
    p = peers.start(name, argv, collect=True)
    line = p.wait_line(lambda l: '"ready"' in l, 10)
    if not line:
        return p, None
    return p, json.loads(line)["port"]


def relay_events(p, kind):
    return [e for e in p.events() if e.get("event") == kind]
