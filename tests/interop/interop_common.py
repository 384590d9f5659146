"""Shared helpers for Bellbird's interop tests against sipp (Python 3 standard library only).

Every peer runs as a subprocess in its own temporary directory and is stopped by its pid
(terminate, wait 3 s, kill) by the Peers context manager; nothing is ever killed by name.
Only 127.0.0.1 is used. Tests print TAP on stdout (meson's `protocol: 'tap'`).
"""

import hashlib
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
# Digest (RFC 7616) as the peers check it

_PARAM = re.compile(r'([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def digest_params(value):
    """'Digest a="x", b=y' -> {'a': 'x', 'b': 'y'} (keys lower-case), None if not Digest."""
    if not value or not value.strip().lower().startswith("digest "):
        return None
    out = {}
    for m in _PARAM.finditer(value.strip()[7:]):
        out[m.group(1).lower()] = m.group(2) if m.group(2) is not None else m.group(3)
    return out


def digest_expected(p, method, password):
    alg = (p.get("algorithm") or "MD5").upper()
    if alg == "MD5":
        H = lambda s: hashlib.md5(s.encode()).hexdigest()      # noqa: E731
    elif alg == "SHA-256":
        H = lambda s: hashlib.sha256(s.encode()).hexdigest()   # noqa: E731
    else:
        return None
    ha1 = H("%s:%s:%s" % (p.get("username"), p.get("realm"), password))
    ha2 = H("%s:%s" % (method, p.get("uri")))
    if p.get("qop"):
        return H("%s:%s:%s:%s:%s:%s" % (ha1, p.get("nonce"), p.get("nc"), p.get("cnonce"),
                                      p.get("qop"), ha2))
    return H("%s:%s:%s" % (ha1, p.get("nonce"), ha2))


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


# --------------------------------------------------------------------------------------------
# kamailio as registrar with Digest (added for the registration tests; config generated at run
# time in the peer's own directory, credentials in the config, no database: usrloc db_mode 0).
#
# The REGISTER route logs one line per step with xlog, all on kamailio's -E stderr:
#   BBREQ  rm=[method] proto=[udp|tcp|tls] si=[src ip] sp=[src port] ci=[Call-ID] cs=[CSeq]
#          fu=[From URI] ct=[every Contact, comma-separated] expires=[Expires header]
#          auth=[Authorization]
#   BBAUTH rc=[pv_auth_check result: -5 no credentials, -4 nonce expired (-> stale=true),
#          -2 wrong password, ...] ...  (the request was challenged with 401)
#   every line also has t=[unix time with microseconds]
#   BBSAVE ok|fail ct=[...] expires=[...] ... (save("location") result)

KAMAILIO_REALM = "bellbird.test"


def kamailio_path():
    return shutil.which("kamailio") or next(
        (p for p in ("/usr/sbin/kamailio", "/usr/local/sbin/kamailio") if os.access(p, os.X_OK)),
        None)


def kamailio_missing():
    """Why a kamailio interop test cannot run here, or None."""
    if not bellbird_cli():
        return "BELLBIRD_CLI not set or not executable"
    if not kamailio_path():
        return "kamailio not installed (package kamailio)"
    return None


def kamcmd_path():
    return shutil.which("kamcmd") or next(
        (p for p in ("/usr/sbin/kamcmd", "/usr/local/sbin/kamcmd") if os.access(p, os.X_OK)),
        None)


def kamailio_module_dirs():
    import glob
    dirs = []
    for pat in ("/usr/lib/*/kamailio/modules", "/usr/lib/kamailio/modules",
                "/usr/lib64/kamailio/modules", "/usr/local/lib*/kamailio/modules"):
        dirs += [d for d in glob.glob(pat) if os.path.isdir(d)]
    return dirs


def kamailio_has_module(name):
    return any(os.path.exists(os.path.join(d, name + ".so")) for d in kamailio_module_dirs())


# The proxy part of the request route (write_kamailio_cfg(calls=True)).
_KAMAILIO_CALL_ROUTE = """
  if (has_totag()) {
    if (loose_route()) {
      xlog("L_NOTICE", "BBROUTE t=[$TV(Sn)] rm=[$rm] ci=[$ci] ru=[$ru]\\n");
      t_relay();
      exit;
    }
    if (is_method("ACK") && t_check_trans()) { t_relay(); exit; }
    if (!is_method("ACK")) sl_send_reply("404", "Not Here");
    exit;
  }
  if (is_method("CANCEL")) { if (t_check_trans()) t_relay(); exit; }
  if (is_method("INVITE")) {
    $var(pw) = "";
%s
    if (!pv_proxy_authenticate("%s", "$var(pw)", "0")) {
      $var(rc) = $rc;
      xlog("L_NOTICE", "BBPAUTH t=[$TV(Sn)] rc=[$var(rc)] ci=[$ci] cs=[$cs]\\n");
      proxy_challenge("%s", "1");
      exit;
    }
    consume_credentials();
    record_route();
    if (!lookup("location")) { sl_send_reply("404", "Not Found"); exit; }
    xlog("L_NOTICE", "BBRELAY t=[$TV(Sn)] ci=[$ci] cs=[$cs] ru=[$ru]\\n");
    t_relay();
    exit;
  }"""


def write_kamailio_cfg(rundir, port, tls_port=None, users=None, realm=KAMAILIO_REALM,
                       cert=None, key=None, ctl=True, max_expires=3600, min_expires=0,
                       nonce_expire=300, transports=("udp", "tcp"), calls=False):
    """Writes RUNDIR/kamailio.cfg (and tls.cfg when tls_port is given) for a Digest registrar on
    127.0.0.1:port (each of transports) and tls:127.0.0.1:tls_port. users: {name: password}.
    ctl=True adds the ctl module with a binrpc unix socket RUNDIR/ctl.sock (for kamcmd).
    calls=True makes it a proxy too: a new INVITE must carry Proxy-Authorization of a user (407
    otherwise; BBPAUTH logs the check), is record-routed to the callee's registered contact
    (BBRELAY, or 404 when not registered); in-dialog requests follow their Route; CANCEL and
    the ACK for a non-2xx go statelessly with the transaction."""
    users = users or {}
    lines = ["#!KAMAILIO",
             "debug=2", "log_stderror=yes", "memdbg=5", "memlog=5",
             "children=2", "tcp_children=2", "auto_aliases=no",
             # A peer that vanishes must not keep a worker busy for long.
             "tcp_connect_timeout=2", "tcp_send_timeout=2"]
    for t in transports:
        lines.append("listen=%s:%s:%d" % (t, LOOPBACK, port))
    if tls_port:
        lines += ["enable_tls=yes", "listen=tls:%s:%d" % (LOOPBACK, tls_port)]
    lines.append('alias="%s"' % realm)
    mods = []
    if tls_port:
        mods.append("tls")   # before the others, as kamailio's docs ask
    if ctl:
        mods.append("ctl")
    mods += ["tm", "sl", "rr", "pv", "maxfwd", "usrloc", "registrar", "textops", "siputils",
             "sanity", "auth", "xlog"]
    lines += ['loadmodule "%s.so"' % m for m in mods]
    if tls_port:
        tls_cfg = os.path.join(rundir, "tls.cfg")
        with open(tls_cfg, "w") as f:
            f.write("[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\n"
                    "require_certificate = no\nprivate_key = %s\ncertificate = %s\n\n"
                    "[client:default]\nverify_certificate = no\nrequire_certificate = no\n"
                    % (key, cert))
        lines.append('modparam("tls", "config", "%s")' % tls_cfg)
    if ctl:
        lines.append('modparam("ctl", "binrpc", "unix:%s")' % os.path.join(rundir, "ctl.sock"))
    lines += ['modparam("usrloc", "db_mode", 0)',
              'modparam("registrar", "max_expires", %d)' % max_expires,
              'modparam("registrar", "min_expires", %d)' % min_expires,
              'modparam("auth", "nonce_expire", %d)' % nonce_expire]
    pw = "\n".join('    if ($fU == "%s") { $var(pw) = "%s"; }' % (u, p) for u, p in users.items())
    lines.append("""
request_route {
  xlog("L_NOTICE", "BBREQ t=[$TV(Sn)] rm=[$rm] proto=[$proto] si=[$si] sp=[$sp] ci=[$ci] cs=[$cs] fu=[$fu] ct=[$(hdr(Contact)[*])] expires=[$hdr(Expires)] auth=[$hdr(Authorization)]\\n");
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (!sanity_check("1511", "7")) { xlog("L_NOTICE", "BBSANITY fail ci=[$ci]\\n"); exit; }
  if (is_method("REGISTER")) {
    $var(pw) = "";
%s
    if (!pv_auth_check("%s", "$var(pw)", "0", "1")) {
      $var(rc) = $rc;
      xlog("L_NOTICE", "BBAUTH t=[$TV(Sn)] rc=[$var(rc)] ci=[$ci] cs=[$cs]\\n");
      auth_challenge("%s", "1");
      exit;
    }
    consume_credentials();
    if (!save("location")) {
      xlog("L_NOTICE", "BBSAVE fail t=[$TV(Sn)] ci=[$ci] cs=[$cs] ct=[$(hdr(Contact)[*])] expires=[$hdr(Expires)]\\n");
      sl_reply_error();
      exit;
    }
    xlog("L_NOTICE", "BBSAVE ok t=[$TV(Sn)] ci=[$ci] cs=[$cs] ct=[$(hdr(Contact)[*])] expires=[$hdr(Expires)]\\n");
    exit;
  }
  if (is_method("OPTIONS")) { sl_send_reply("200", "OK"); exit; }
%s
  sl_send_reply("404", "Not Here");
}
""" % (pw, realm, realm, _KAMAILIO_CALL_ROUTE % (pw, realm, realm) if calls else ""))
    cfg = os.path.join(rundir, "kamailio.cfg")
    with open(cfg, "w") as f:
        f.write("\n".join(lines) + "\n")
    return cfg


def check_kamailio_cfg(cfg):
    """`kamailio -c -f CFG` -> (ok, output)."""
    try:
        r = subprocess.run([kamailio_path(), "-c", "-f", cfg], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=bounded(15), cwd=os.path.dirname(cfg))
    except subprocess.TimeoutExpired:
        return False, "kamailio -c timed out"
    return r.returncode == 0, r.stdout.decode("utf-8", "replace")


def sip_ping_udp(port, timeout=5.0):
    """Sends OPTIONS over UDP to 127.0.0.1:port until a 200 comes back (bounded)."""
    deadline = time.monotonic() + bounded(timeout)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((LOOPBACK, 0))
        lport = s.getsockname()[1]
        n = 0
        while time.monotonic() < deadline:
            n += 1
            msg = ("OPTIONS sip:%s:%d SIP/2.0\r\n"
                   "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-ping-%d-%d;rport\r\n"
                   "Max-Forwards: 70\r\n"
                   "From: <sip:ping@%s>;tag=ping%d\r\n"
                   "To: <sip:%s:%d>\r\n"
                   "Call-ID: ping-%d-%d@%s\r\n"
                   "CSeq: %d OPTIONS\r\n"
                   "Content-Length: 0\r\n\r\n"
                   % (LOOPBACK, port, LOOPBACK, lport, os.getpid(), n, LOOPBACK, n,
                      LOOPBACK, port, os.getpid(), lport, LOOPBACK, n))
            s.sendto(msg.encode(), (LOOPBACK, port))
            s.settimeout(max(0.05, min(0.3, deadline - time.monotonic())))
            try:
                data, _ = s.recvfrom(65535)
                if data.startswith(b"SIP/2.0 200"):
                    return True
            except (socket.timeout, OSError):
                pass
        return False
    finally:
        s.close()


def start_kamailio(peers, name, rundir, port, tls_port=None, udp=True, timeout=8.0):
    """Starts `kamailio -f RUNDIR/kamailio.cfg -DD -E -Y RUNDIR -w RUNDIR` (its own process
    group leader is kamailio's main process; stopping it by pid stops its children). Waits until
    it answers OPTIONS over UDP (or listens on TCP when udp=False) and TLS listens.
    Returns (proc, ready)."""
    cfg = os.path.join(rundir, "kamailio.cfg")
    p = peers.start(name, [kamailio_path(), "-f", cfg, "-DD", "-E", "-Y", rundir, "-w", rundir],
                    cwd=rundir)
    p.rundir = rundir
    ready = sip_ping_udp(port, timeout) if udp else wait_bound(port, "tcp", timeout)
    if ready and tls_port:
        ready = wait_bound(tls_port, "tcp", timeout)
    if ready and not udp:
        ready = wait_bound(port, "tcp", timeout)
    return p, ready and p.alive()


_KAM_FIELD = re.compile(r"(\w+)=\[(.*?)\](?=\s+\w+=\[|\s*$)")
_KAM_LINE = re.compile(r"<script>: (BB[A-Z]+)(?: (ok|fail))?\s*(.*)$")


def kamailio_records(proc):
    """Parses the BB* xlog lines of a kamailio Proc's stderr -> [{'kind': 'BBREQ'|'BBAUTH'|
    'BBSAVE'|'BBSANITY', 'result': 'ok'|'fail'|None, field: value, ...}] in log order."""
    out = []
    for line in proc.stderr().splitlines():
        m = _KAM_LINE.search(line)
        if not m:
            continue
        rec = {"kind": m.group(1), "result": m.group(2)}
        for fm in _KAM_FIELD.finditer(m.group(3)):
            v = fm.group(2)
            rec[fm.group(1)] = None if v == "<null>" else v
        out.append(rec)
    return out


def kamailio_registers(proc):
    return [r for r in kamailio_records(proc) if r["kind"] == "BBREQ" and r.get("rm") == "REGISTER"]


def split_contacts(text):
    """'<a>;p=1, <b;x=y>;expires=0' -> ['<a>;p=1', '<b;x=y>;expires=0'] (commas inside <> or
    quotes do not split)."""
    out, cur, depth, quote = [], [], 0, False
    for ch in text or "":
        if ch == '"' and not depth:
            quote = not quote
        elif ch == "<" and not quote:
            depth += 1
        elif ch == ">" and not quote and depth:
            depth -= 1
        if ch == "," and not depth and not quote:
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return out


def contact_bindings(ct, expires_hdr):
    """Every Contact of a REGISTER -> [(user@host:port, expires or None)]."""
    return [(uri_hostport(c), contact_expires(c, expires_hdr)) for c in split_contacts(ct)]


def contact_expires(ct, expires_hdr):
    """Expiry asked by a REGISTER: the Contact's expires= parameter, else the Expires header,
    else None."""
    m = re.search(r";\s*expires\s*=\s*(\d+)", ct or "", re.I)
    if m:
        return int(m.group(1))
    if expires_hdr is not None and str(expires_hdr).strip().isdigit():
        return int(str(expires_hdr).strip())
    return None


def kamcmd(rundir, *args, timeout=5.0):
    """kamcmd -s unix:RUNDIR/ctl.sock ARGS -> (rc, output); rc None when kamcmd is missing or
    timed out."""
    exe = kamcmd_path()
    if not exe:
        return None, "kamcmd not found"
    try:
        r = subprocess.run([exe, "-s", "unix:" + os.path.join(rundir, "ctl.sock")] + list(args),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=bounded(timeout))
    except subprocess.TimeoutExpired:
        return None, "kamcmd timed out"
    return r.returncode, r.stdout.decode("utf-8", "replace")


def ul_contacts(rundir, aor="alice"):
    """Addresses bound to AOR in kamailio's usrloc (kamcmd ul.dump) -> (list, raw output) or
    (None, raw) when kamcmd did not work."""
    rc, out = kamcmd(rundir, "ul.dump")
    if rc != 0:
        return None, out
    addrs = []
    cur_aor = None
    for line in out.splitlines():
        s = line.strip()
        if s.startswith("AoR:"):
            cur_aor = s.split(":", 1)[1].strip()
        elif s.startswith("Address:") and cur_aor == aor:
            addrs.append(s.split(":", 1)[1].strip())
    return addrs, out


def uri_hostport(uri):
    """'<sip:alice@127.0.0.1:5060;transport=tcp>;expires=3' -> 'alice@127.0.0.1:5060' (the
    user@host:port of the first SIP URI in the text), or None."""
    m = re.search(r"sips?:([^;>\s,?]+)", uri or "", re.I)
    return m.group(1).lower() if m else None


# --------------------------------------------------------------------------------------------
# bellbird-cli register

def register_argv(user, registrar, password_env, transport=None, tls_ca=None, expires=None,
                  once=False, duration=None, bind=LOOPBACK + ":0", extra=()):
    """bind: bellbird's local address (default 127.0.0.1, any port: tests stay on loopback;
    without --bind bellbird listens on all addresses)."""
    argv = [bellbird_cli(), "register", "--user", user, "--password-env", password_env,
            "--registrar", registrar, "--events"]
    if bind:
        argv += ["--bind", bind]
    if transport:
        argv += ["--transport", transport]
    if tls_ca:
        argv += ["--tls-ca", tls_ca]
    if expires is not None:
        argv += ["--expires", str(expires)]
    if once:
        argv.append("--once")
    if duration is not None:
        argv += ["--duration", str(duration)]
    return argv + list(extra)


def start_register(peers, name, password, **kw):
    """Starts `bellbird-cli register ... --events` with the password in the environment
    (BELLBIRD_TEST_PASSWORD); stdout events are collected live. kw: see register_argv."""
    env = dict(os.environ)
    env["BELLBIRD_TEST_PASSWORD"] = password
    return peers.start(name, register_argv(password_env="BELLBIRD_TEST_PASSWORD", **kw),
                       collect=True, env=env)


def run_register(peers, name, password, timeout, **kw):
    """Runs `bellbird-cli register ... --once` to completion (bounded). proc.rc is None when it
    had to be stopped."""
    kw.setdefault("once", True)
    p = start_register(peers, name, password, **kw)
    rc = p.wait(timeout)
    if rc is None:
        p.stop()
        p.rc = None
    return p


def reg_events(proc, start=0):
    """Registration events ({"event":"registration",...}) printed by proc (from event index
    start on, counting registration events only)."""
    return [e for e in proc.events() if e.get("event") == "registration"][start:]


def wait_event(proc, pred, timeout, start=0):
    """Waits for a JSON event on proc's stdout with pred(event) true, looking only at stdout
    lines from index start on. Returns (line_index, event) or (None, None) (bounded)."""
    deadline = time.monotonic() + bounded(timeout)
    idx = start
    with proc._cond:
        while True:
            while idx < len(proc.lines):
                try:
                    ev = json.loads(proc.lines[idx])
                except ValueError:
                    ev = None
                if isinstance(ev, dict) and pred(ev):
                    return idx, ev
                idx += 1
            left = deadline - time.monotonic()
            if left <= 0 or (proc.p.poll() is not None
                             and not (proc._reader and proc._reader.is_alive())):
                return None, None
            proc._cond.wait(min(left, 0.1))


def reg_state(*states):
    """Predicate for wait_event: a registration event in one of states."""
    return lambda ev: ev.get("event") == "registration" and ev.get("state") in states


def line_count(proc):
    with proc._cond:
        return len(proc.lines)


# --------------------------------------------------------------------------------------------
# Calls (added for the call tests: bellbird-cli call/listen against sipp and baresip)

def start_sipp_call(peers, name, port, scenario=None, builtin=None, remote=None, calls=1,
                    rate=None, timeout_s=15, transport="udp", extra=()):
    """Starts sipp on 127.0.0.1:port with either one of our scenarios (scenarios/SCENARIO, -sf)
    or a built-in one (-sn BUILTIN), -nostdin, a message trace, counters (-trace_stat), an error
    log, a bounded run (-timeout ... -timeout_error) and companion ports on free ports.
    Returns the Proc with msg_path, errlog_path and stat_path set."""
    d = peers.mkdtemp(name)
    companion = free_port(span=4)
    argv = [sipp_path()]
    argv += ["-sn", builtin] if builtin else ["-sf", os.path.join(SCENARIOS, scenario)]
    argv += ["-p", str(port), "-i", LOOPBACK, "-t", SIPP_TRANSPORT[transport],
             "-m", str(calls), "-nostdin",
             "-trace_msg", "-message_file", os.path.join(d, "messages.log"),
             "-trace_err", "-error_file", os.path.join(d, "errors.log"),
             "-trace_stat", "-stf", os.path.join(d, "stats.csv"),
             "-timeout", "%ds" % timeout_s, "-timeout_error",
             "-recv_timeout", "8000",
             "-mp", str(companion), "-cp", str(companion + 3)]
    if rate:
        argv += ["-r", str(rate)]
    argv += list(extra)
    if remote:
        argv.append(remote)
    p = peers.start(name, argv, cwd=d)
    p.msg_path = os.path.join(d, "messages.log")
    p.errlog_path = os.path.join(d, "errors.log")
    p.stat_path = os.path.join(d, "stats.csv")
    return p


def sipp_stats(p):
    """The last row of sipp's -trace_stat file as {column: value} (cumulative columns end in
    '(C)'), or {} when there is none."""
    rows = [l for l in read_text(getattr(p, "stat_path", "")).splitlines() if l.strip()]
    if len(rows) < 2:
        return {}
    head = rows[0].rstrip(";").split(";")
    last = rows[-1].rstrip(";").split(";")
    return dict(zip(head, last))


def sipp_stat_int(p, column):
    try:
        return int(sipp_stats(p).get(column, ""))
    except ValueError:
        return None


def trace_requests(msgs, method, direction="received"):
    """Requests METHOD in a parsed sipp trace (parse_trace), in one direction."""
    return [m for m in msgs if m["dir"] == direction
            and first_line(m).split(" ", 1)[0] == method]


def trace_responses(msgs, code, direction="sent", cseq_method=None):
    """Responses with status CODE in a parsed sipp trace, in one direction; cseq_method: only
    those whose CSeq names that method."""
    out = []
    for m in msgs:
        fl = first_line(m).split(" ")
        if m["dir"] != direction or len(fl) < 2 or fl[0] != "SIP/2.0" or fl[1] != str(code):
            continue
        if cseq_method and (header(m, "CSeq") or "").split()[-1:] != [cseq_method]:
            continue
        out.append(m)
    return out


def via_branch(msg):
    m = re.search(r";\s*branch=([^;,\s]+)", header(msg, "Via") or "", re.I)
    return m.group(1) if m else None


def tag_of(value):
    m = re.search(r";\s*tag=([^;,\s>]+)", value or "", re.I)
    return m.group(1) if m else None


def call_argv(uri, duration=None, transport=None, bind=LOOPBACK + ":0", user=None,
              password_env=None, extra=()):
    """bellbird-cli call URI --events (bound to 127.0.0.1 unless bind is None); with user, from
    that account, its password (if any) in $PASSWORD_ENV."""
    argv = [bellbird_cli(), "call", uri, "--events"]
    if user:
        argv += ["--user", user]
    if password_env:
        argv += ["--password-env", password_env]
    if bind:
        argv += ["--bind", bind]
    if duration is not None:
        argv += ["--duration", str(duration)]
    if transport:
        argv += ["--transport", transport]
    return argv + list(extra)


def start_call(peers, name, uri, password=None, **kw):
    """Starts `bellbird-cli call URI --events ...` with its events collected live
    (kw: see call_argv; password goes to the account given as user=)."""
    env = None
    if password is not None:
        env = dict(os.environ)
        env["BELLBIRD_TEST_PASSWORD"] = password
        kw["password_env"] = "BELLBIRD_TEST_PASSWORD"
    return peers.start(name, call_argv(uri, **kw), collect=True, env=env)


def call_events(proc, call_id=None):
    """{"event":"call",...} events printed by proc (of one call id when given)."""
    return [e for e in proc.events() if e.get("event") == "call"
            and (call_id is None or e.get("id") == call_id)]


def call_state(*states):
    """Predicate for wait_event: a call event in one of states."""
    return lambda ev: ev.get("event") == "call" and ev.get("state") in states


def call_histories(proc):
    """{call id: [state, ...]} in event order."""
    out = {}
    for e in call_events(proc):
        out.setdefault(e.get("id"), []).append(e.get("state"))
    return out


# --------------------------------------------------------------------------------------------
# baresip (headless: config, accounts and contacts in its own directory; see PEERS.md)

def baresip_path():
    return shutil.which("baresip")


def baresip_module_dirs():
    import glob
    dirs = []
    for pat in ("/usr/lib/baresip/modules", "/usr/lib/*/baresip/modules",
                "/usr/local/lib/baresip/modules"):
        dirs += [d for d in glob.glob(pat) if os.path.isdir(d)]
    return dirs


def baresip_has_module(name):
    return any(os.path.exists(os.path.join(d, name + ".so")) for d in baresip_module_dirs())


def write_wav(path, seconds, rate=8000, freq=440.0):
    """A mono 16-bit WAV of a quiet sine tone (Python's wave module, no sox needed)."""
    import math
    import struct
    import wave
    n = int(seconds * rate)
    frames = b"".join(struct.pack("<h", int(3000 * math.sin(2 * math.pi * freq * i / rate)))
                      for i in range(n))
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path


def write_baresip_config(d, sip_port, account, wav, codecs="PCMU,PCMA"):
    """Writes d/config, d/accounts (the one account line given, e.g.
    '<sip:b@127.0.0.1:P>;regint=0;answermode=auto'), d/contacts (empty) for a headless baresip
    on 127.0.0.1:sip_port: aufile source (wav), alsa,null player, G.711 only, no TLS use."""
    mdir = (baresip_module_dirs() or ["/usr/lib/baresip/modules"])[0]
    mods = ["g711", "aufile", "alsa", "account", "contact", "menu"]
    lines = ["module_path %s" % mdir,
             "sip_listen %s:%d" % (LOOPBACK, sip_port),
             "net_interface %s" % LOOPBACK,
             "audio_player alsa,null",
             "audio_source aufile,%s" % wav,
             "audio_alert alsa,null",
             "rtp_ports %d-%d" % (sip_port + 2, sip_port + 8),
             "call_local_timeout 20",
             "sip_trans_def udp"]
    lines += ["module %s.so" % m for m in mods if baresip_has_module(m)]
    with open(os.path.join(d, "config"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(d, "accounts"), "w") as f:
        f.write(account + ";audio_codecs=%s\n" % codecs)
    with open(os.path.join(d, "contacts"), "w") as f:
        f.write("")


def start_baresip(peers, name, d, extra=()):
    """Starts `baresip -f D -s ...` in D (SIP trace on, to its stdout). Stop it with
    stop_baresip (it can linger after SIGTERM)."""
    return peers.start(name, [baresip_path(), "-f", d, "-s"] + list(extra), cwd=d, collect=True)


def stop_baresip(proc, grace=1.0):
    """SIGTERM, a short wait, then SIGKILL, by pid."""
    if proc.p.poll() is None:
        proc.stopped = True
        try:
            proc.p.terminate()
            proc.p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.p.kill()
            try:
                proc.p.wait(timeout=3)
            except subprocess.TimeoutExpired:
                pass
        except OSError:
            pass
    proc.stop()


# --------------------------------------------------------------------------------------------
# Scripts made of cases: each case a function (tap, peers) with its TAP descriptions, run in a
# Peers of its own so that one broken case neither hides the others nor leaks processes.

class Cases:
    def __init__(self):
        self.cases = []
        self.descs = []

    def case(self, descs):
        def deco(fn):
            self.cases.append((fn, descs))
            self.descs.extend(descs)
            return fn
        return deco

    def run(self, missing=None):
        """Runs every case as TAP; missing() returns why nothing can run (or None)."""
        run_cases(self.cases, self.descs, missing)


def run_cases(cases, descs, missing=None):
    """Runs [(fn, descs), ...] as one TAP script of len(descs) lines (see Cases)."""
    def body(tap):
        reason = missing() if missing else None
        if reason:
            tap.skip_rest(descs, reason)
            return
        for fn, case_descs in cases:
            n0 = tap.n
            with Peers() as peers:
                try:
                    fn(tap, peers)
                except Exception:  # noqa: BLE001 - one broken case must not hide the others
                    import traceback
                    tb = traceback.format_exc()
                    for d in case_descs[tap.n - n0:]:
                        tap.ok(False, d, ["exception in the test script:", tb])
    run_tests(len(descs), body)


def read_wav(path, rate=None):
    """(first channel of a 16-bit WAV as array('h'), its rate), or (None, why); with rate, a
    file at another rate is refused too."""
    import array
    import wave
    try:
        with wave.open(path) as w:
            got, ch, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
            data = w.readframes(w.getnframes())
    except (OSError, EOFError, wave.Error) as e:
        return None, "cannot read %s: %s" % (path, e)
    if width != 2:
        return None, "%s: %d-byte samples, expected 16-bit" % (path, width)
    a = array.array("h")
    a.frombytes(data[:len(data) // 2 * 2])
    if sys.byteorder == "big":
        a.byteswap()
    if ch > 1:
        a = a[::ch]
    if rate is not None and got != rate:
        return None, "%s: %d Hz, expected %d" % (path, got, rate)
    return a, got


def wav_tone(path, freq):
    """(seconds, rms, share of the signal's power at freq) of a mono 16-bit WAV (Goertzel);
    (0, 0, 0) when it cannot be read."""
    import math
    import struct
    import wave
    try:
        with wave.open(path) as w:
            rate, n = w.getframerate(), w.getnframes()
            data = w.readframes(n)
    except (OSError, EOFError, wave.Error):
        return (0.0, 0.0, 0.0)
    n = len(data) // 2
    if not n:
        return (0.0, 0.0, 0.0)
    samples = struct.unpack("<%dh" % n, data[:2 * n])
    energy = sum(x * x for x in samples)
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    power = (s1 * s1 + s2 * s2 - k * s1 * s2) * 2 / n
    return (n / rate, math.sqrt(energy / n), power / energy if energy else 0.0)


def wav_rms(path, start_s=0.0):
    """RMS of a mono 16-bit WAV from start_s on; 0 when it cannot be read or is shorter."""
    import math
    import struct
    import wave
    try:
        with wave.open(path) as w:
            w.setpos(min(w.getnframes(), int(start_s * w.getframerate())))
            data = w.readframes(w.getnframes())
    except (OSError, EOFError, wave.Error):
        return 0.0
    n = len(data) // 2
    if not n:
        return 0.0
    samples = struct.unpack("<%dh" % n, data[:2 * n])
    return math.sqrt(sum(x * x for x in samples) / n)


# --------------------------------------------------------------------------------------------
# What the call scripts read from a bellbird-cli they ran

def finish(proc, timeout):
    """Waits for proc to exit by itself (bounded), then stops it by pid. Returns its exit code,
    or None when it had to be stopped."""
    rc = proc.wait(timeout)
    if rc is None:
        proc.stop()
        return None
    return rc


def states(proc, call_id=None):
    """The call states proc reported (of one call id when given), in order."""
    return [e.get("state") for e in call_events(proc, call_id)]


def events(proc, name):
    """proc's events called name ("hold", "media", "dtmf" ...), in order."""
    return [e for e in proc.events() if e.get("event") == name]


def loopback_uri(user, port, scheme="sip"):
    return "%s:%s@%s:%d" % (scheme, user, LOOPBACK, port)
