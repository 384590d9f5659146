#!/usr/bin/env python3
"""Interop: TLS certificate pins (issue 10) with `bellbird-cli register` and `options` (TAP).

The registrar is a small SIP-over-TLS server in this script (Python's ssl module, on 127.0.0.1):
it answers every request 200 OK and can switch the certificate it presents between
connections, as a server that was given a new certificate does. Certificates are made at run
time with the openssl CLI (interop_common.make_certs, plus a second self-signed one).

(a) No pin, self-signed certificate: the registration fails as "tls-untrusted" and the event
    names the certificate (SHA-256 of its DER, subject); no REGISTER reaches the server; in text
    mode the CLI tells how to trust it (--tls-pin sha256:...).
(b) --tls-pin with that fingerprint: registered (the REGISTER and un-REGISTER reach the server);
    `options` with the pin gets 200, without it fails naming the fingerprint.
(c) The server switches to another self-signed certificate: with the old pin the registration
    fails as "tls-changed" with both fingerprints; nothing is sent.
(d) The server switches to a certificate from a CA the client trusts (--tls-ca): with the old
    pin it registers (a renewal verifies, so it is accepted).
"""

import hashlib
import os
import re
import socket
import ssl
import threading

import interop_common as ic

# Nine bellbird-cli runs of about a second each; under the sanitizers (./setup asan) each takes
# several, ~45 s in all: room for that on a busy machine, within meson's 120 s.
ic.extend_budget(40)

USER = "sip:alice@127.0.0.1"
PASSWORD = "pin-test-password"
CLI_TIMEOUT = 10

A_DESCS = [
    "(a) no pin, self-signed: register --once exits non-zero with 'failed', reason tls-untrusted",
    "(a) the event's tls_fingerprint is the SHA-256 of the server certificate's DER (sha256:AB:..) "
    "and tls_subject names it (CN=localhost); no tls_pinned",
    "(a) the handshake was refused: no REGISTER reached the server, and no retry followed",
    "(a) text mode: the CLI prints the fingerprint and how to trust it (--tls-pin sha256:...)",
]
B_DESCS = [
    "(b) --tls-pin with that fingerprint: registered (exit 0); REGISTER and un-REGISTER reached "
    "the server over TLS",
    "(b) options --tls-pin: 200 (exit 0); options without the pin: exit 1, the error names the "
    "certificate's fingerprint",
]
C_DESCS = [
    "(c) the server switches to another self-signed certificate: with the old pin, 'failed', "
    "reason tls-changed, tls_fingerprint = the new one, tls_pinned = the old one; exit non-zero",
    "(c) nothing was sent over the changed certificate (no REGISTER)",
]
D_DESCS = [
    "(d) the server switches to a certificate from a trusted CA (--tls-ca): with the old pin it "
    "registers (a renewal that verifies is accepted)",
]
ALL_DESCS = A_DESCS + B_DESCS + C_DESCS + D_DESCS


def missing():
    if not ic.bellbird_cli():
        return "BELLBIRD_CLI not set or not executable"
    if not ic.openssl_path():
        return "the openssl command is not installed (it makes the test certificates)"
    return None


def fingerprint(pem_path):
    with open(pem_path) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    digest = hashlib.sha256(der).hexdigest().upper()
    return "sha256:" + ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


class TlsRegistrar:
    """Accepts TLS on 127.0.0.1 and answers every SIP request 200 OK (a REGISTER's Contact
    echoed with expires=120). set_cert() changes the certificate for later connections."""

    def __init__(self, cert, key):
        self.lock = threading.Lock()
        self.requests = []       # request lines received
        self.handshakes = []     # True/False per connection
        self.set_cert(cert, key)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ic.LOOPBACK, 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def set_cert(self, cert, key):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(cert, key)
        with self.lock:
            self.ctx = ctx

    def close(self):
        self.running = False
        self.thread.join(3)
        self.sock.close()

    def _accept(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        with self.lock:
            ctx = self.ctx
        conn.settimeout(5)
        try:
            tls = ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            with self.lock:
                self.handshakes.append(False)
            conn.close()
            return
        with self.lock:
            self.handshakes.append(True)
        buf = b""
        try:
            while self.running:
                try:
                    data = tls.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    break
                buf += data
                while True:
                    buf = buf.lstrip(b"\r\n")      # keep-alive CRLFs
                    end = buf.find(b"\r\n\r\n")
                    if end < 0:
                        break
                    head = buf[:end].decode("utf-8", "replace")
                    m = re.search(r"^(?:Content-Length|l)\s*:\s*(\d+)", head, re.I | re.M)
                    length = int(m.group(1)) if m else 0
                    if len(buf) < end + 4 + length:
                        break
                    buf = buf[end + 4 + length:]
                    tls.sendall(self._answer(head))
        except (ssl.SSLError, OSError):
            pass
        finally:
            tls.close()

    def _answer(self, head):
        lines = head.split("\r\n")
        with self.lock:
            self.requests.append(lines[0])
        keep = [l for l in lines[1:] if re.match(r"(Via|v|From|f|To|t|Call-ID|i|CSeq)\s*:", l, re.I)]
        out = ["SIP/2.0 200 OK"]
        for l in keep:
            if re.match(r"(To|t)\s*:", l, re.I) and "tag=" not in l:
                l += ";tag=pintest"
            out.append(l)
        if lines[0].startswith("REGISTER"):
            ct = next((l for l in lines if re.match(r"(Contact|m)\s*:", l, re.I)), None)
            exp = re.search(r"^Expires\s*:\s*(\d+)", head, re.I | re.M)
            if ct and not (exp and exp.group(1) == "0"):
                out.append(ct.split(";expires")[0] + ";expires=120")
        out += ["Server: bellbird-pin-test", "Content-Length: 0", "", ""]
        return "\r\n".join(out).encode()

    def registers(self):
        with self.lock:
            return [r for r in self.requests if r.startswith("REGISTER")]


def registrar_uri(reg):
    return "sip:%s:%d;transport=tls" % (ic.LOOPBACK, reg.port)


def register(peers, name, reg, pin=None, ca=None, events=True):
    extra = ["--tls-pin", pin] if pin else []
    if events:
        return ic.run_register(peers, name, PASSWORD, CLI_TIMEOUT, user=USER,
                               registrar=registrar_uri(reg), transport="tls", tls_ca=ca,
                               extra=extra)
    env = dict(os.environ)
    env["BELLBIRD_TEST_PASSWORD"] = PASSWORD
    argv = [a for a in ic.register_argv(USER, registrar_uri(reg), "BELLBIRD_TEST_PASSWORD",
                                        transport="tls", tls_ca=ca, once=True, extra=extra)
            if a != "--events"]
    p = peers.start(name, argv, env=env)
    if p.wait(CLI_TIMEOUT) is None:
        p.stop()
        p.rc = None
    return p


def failed_event(p):
    return next((e for e in ic.reg_events(p) if e.get("state") == "failed"), None)


def main():
    def body(tap):
        reason = missing()
        if reason:
            tap.skip_rest(ALL_DESCS, reason)
            return
        with ic.Peers() as peers:
            d = peers.mkdtemp("tls-pin")
            certs = ic.make_certs(d)
            ic._openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt",
                         "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "other.key",
                         "-out", "other.pem", "-days", "2", "-subj", "/CN=localhost",
                         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], d)
            other, other_key = os.path.join(d, "other.pem"), os.path.join(d, "other.key")
            fp_self = fingerprint(certs["selfsigned"])
            fp_other = fingerprint(other)
            tap.note("self-signed: %s" % fp_self, "replacement: %s" % fp_other)

            reg = TlsRegistrar(certs["selfsigned"], certs["selfsigned_key"])
            try:
                run_cases(tap, peers, reg, certs, other, other_key, fp_self, fp_other)
            finally:
                reg.close()

    def run_cases(tap, peers, reg, certs, other, other_key, fp_self, fp_other):
        # (a)
        p = register(peers, "reg-nopin", reg)
        ev = failed_event(p)
        tap.ok(p.rc not in (0, None) and ev is not None and ev.get("reason") == "tls-untrusted",
               A_DESCS[0], lambda: p.diag())
        tap.ok(ev is not None and ev.get("tls_fingerprint") == fp_self
               and "CN=localhost" in (ev.get("tls_subject") or "") and "tls_pinned" not in ev,
               A_DESCS[1], lambda: ["expected %s" % fp_self, "event: %r" % (ev,)] + p.diag())
        tap.ok(not reg.registers() and reg.handshakes and not any(reg.handshakes)
               and len([e for e in ic.reg_events(p) if e.get("state") == "failed"]) == 1,
               A_DESCS[2], lambda: ["requests %r, handshakes %r" % (reg.requests, reg.handshakes)]
               + p.diag())
        t = register(peers, "reg-nopin-text", reg, events=False)
        err = t.stderr()
        tap.ok(t.rc not in (0, None) and ("--tls-pin " + fp_self) in err, A_DESCS[3],
               lambda: t.diag())

        # (b)
        before = len(reg.registers())
        p = register(peers, "reg-pin", reg, pin=fp_self)
        regs = reg.registers()[before:]
        tap.ok(p.rc == 0 and any(e.get("state") == "registered" for e in ic.reg_events(p))
               and len(regs) >= 2, B_DESCS[0],
               lambda: ["REGISTERs: %r" % regs] + p.diag())
        uri = registrar_uri(reg)
        o1 = ic.run_cli(peers, "options-pin", ["options", uri, "--bind", ic.LOOPBACK + ":0",
                                               "--tls-pin", fp_self], CLI_TIMEOUT)
        o2 = ic.run_cli(peers, "options-nopin", ["options", uri, "--bind", ic.LOOPBACK + ":0"],
                        CLI_TIMEOUT)
        tap.ok(o1.rc == 0 and "200" in o1.stdout() and o2.rc == 1 and fp_self in o2.stderr(),
               B_DESCS[1], lambda: o1.diag() + o2.diag())

        # (c)
        reg.set_cert(other, other_key)
        before = len(reg.registers())
        p = register(peers, "reg-changed", reg, pin=fp_self)
        ev = failed_event(p)
        tap.ok(p.rc not in (0, None) and ev is not None and ev.get("reason") == "tls-changed"
               and ev.get("tls_fingerprint") == fp_other and ev.get("tls_pinned") == fp_self,
               C_DESCS[0], lambda: ["event: %r" % (ev,)] + p.diag())
        tap.ok(len(reg.registers()) == before, C_DESCS[1],
               lambda: ["requests %r" % reg.requests])

        # (d)
        reg.set_cert(certs["server"], certs["server_key"])
        p = register(peers, "reg-renewed", reg, pin=fp_self, ca=certs["ca"])
        tap.ok(p.rc == 0 and any(e.get("state") == "registered" for e in ic.reg_events(p)),
               D_DESCS[0], lambda: p.diag())

    ic.run_tests(len(ALL_DESCS), body)


if __name__ == "__main__":
    main()
