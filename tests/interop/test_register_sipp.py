#!/usr/bin/env python3
"""Interop: `bellbird-cli register` against sipp as registrar on 127.0.0.1 (TAP).

Scenarios in scenarios/reg_*.xml (written for Bellbird after reading the REGISTER scenarios of
../shared/corpus/sipp/thirdparty/), all over UDP:

- reg_401_md5_qop.xml: 401 Digest MD5 qop=auth with opaque -> sipp's <verifyauth> checks the
  answer -> 200; the test also recomputes the response from the message trace.
- reg_401_sha256.xml: 401 Digest SHA-256 (sipp cannot verify it: it checks algorithm=SHA-256 and
  a 64-hex response with <ereg>); the test recomputes the SHA-256 response (RFC 7616).
- reg_401_multi_alg.xml: one 401 with an unknown algorithm, SHA-256 and MD5 challenges -> bellbird
  answers SHA-256, once.
- reg_401_md5_noqop.xml: 401 without qop/algorithm/opaque (RFC 2069 style) -> verifyauth -> 200.
- reg_401_stale.xml: 401, then 401 stale=true with a new nonce -> the new nonce is used -> 200.
- reg_503_then_200.xml: 503 (Retry-After: 2) -> bellbird retries by itself -> 200.
- reg_423_then_200.xml: 423 Min-Expires: 1800 -> the next REGISTER asks for >= 1800 s -> 200.
Every scenario then answers the un-REGISTER (expires 0) that bellbird sends on exit.
"""

import re
import signal

import interop_common as ic

USER = "sip:alice@bellbird.test"
PASSWORD = "s3cret-sipp"          # the scenarios' <verifyauth> password
REALM = "sipp.bellbird.test"
CLI_TIMEOUT = 10
BACKOFF_FIRST = 5.0
SLACK = 3.0

MD5_DESCS = [
    "MD5 qop=auth: register --once exits 0 after 'registered' with sipp's expires (120) and a contact",
    "MD5 qop=auth: sipp's verifyauth accepted the Digest answer (200, no 403); it echoes realm, "
    "nonce, opaque, uri = Request-URI, qop=auth, nc=00000001, a cnonce, and the response recomputes",
    "MD5 qop=auth: un-REGISTER (expires 0) on exit in the same Call-ID with a higher CSeq; sipp "
    "ran its scenario to the end (exit 0)",
]
SHA_DESCS = [
    "SHA-256: register --once exits 0 after 'registered' (sipp accepted the answer's form)",
    "SHA-256: Authorization has algorithm=SHA-256 and a 64-hex response that recomputes (RFC 7616)",
]
MULTI_DESCS = [
    "several challenges (unknown, SHA-256, MD5 in that order): exactly one Authorization, for the "
    "SHA-256 challenge (its nonce, response recomputes), and bellbird registers (exit 0)",
]
R503_DESCS = [
    "503 then 200: bellbird reports 'failed' (server-error, code 503), then 'registered' by itself",
    "503 then 200: the retry came after >= 1.5 s (Retry-After: 2 or back-off, not at once) and "
    "within %.0f s + %.0f s, same Call-ID, higher CSeq" % (BACKOFF_FIRST, SLACK),
    "503 then 200: SIGTERM -> un-REGISTER answered, bellbird exits 0, sipp ran to the end (exit 0)",
]
R423_DESCS = [
    "423 Min-Expires 1800: register --once (--expires 300) exits 0 after 'registered' with expires 1800",
    "423 Min-Expires 1800: the retry asks for >= 1800 s (the first asked 300), same Call-ID, higher "
    "CSeq, and came at once (< 2 s)",
]

NOQOP_DESCS = [
    "MD5 without qop (RFC 2069 style): sipp's verifyauth accepts the answer, which has no qop, nc "
    "or cnonce and recomputes; register --once exits 0",
]
STALE_DESCS = [
    "stale=true: a second 401 with stale=true and a new nonce is answered at once with that nonce "
    "(nc=00000001, recomputes); bellbird registers (exit 0), no 'auth-failed'",
]

ALL_DESCS = (MD5_DESCS + SHA_DESCS + MULTI_DESCS + NOQOP_DESCS + STALE_DESCS + R503_DESCS
             + R423_DESCS)


def missing():
    if not ic.bellbird_cli():
        return "BELLBIRD_CLI not set or not executable"
    if not ic.sipp_path():
        return "sipp not installed (package sip-tester)"
    return None


# --------------------------------------------------------------------------------------------
# Digest helpers (RFC 2617 / RFC 7616 / RFC 8760)

def all_headers(msg, name):
    out = []
    for line in msg["text"].splitlines():
        if not line.strip():
            break
        k, sep, v = line.partition(":")
        if sep and k.strip().lower() == name.lower():
            out.append(v.strip())
    return out


def request_uri(msg):
    parts = ic.first_line(msg).split()
    return parts[1] if len(parts) >= 2 else None


def cseq_num(msg):
    v = ic.header(msg, "CSeq") or ""
    m = re.match(r"\s*(\d+)", v)
    return int(m.group(1)) if m else None


def req_expires(msg):
    return ic.contact_expires(ic.header(msg, "Contact"), ic.header(msg, "Expires"))


# --------------------------------------------------------------------------------------------

class Run:
    """One scenario: sipp as registrar on a free UDP port, bellbird register against it."""

    def __init__(self, peers, name, scenario, timeout_s=20):
        self.port = ic.free_port()
        self.sipp = ic.start_sipp(peers, "sipp-" + name, scenario, self.port, "udp",
                                  timeout_s=timeout_s)
        self.up = ic.wait_bound(self.port, "udp", 5)
        self.registrar = "sip:%s:%d" % (ic.LOOPBACK, self.port)
        self.cli = None

    def trace(self):
        return ic.parse_trace(self.sipp.msg_path)

    def registers(self):
        return [m for m in self.trace() if m["dir"] == "received"
                and ic.first_line(m).startswith("REGISTER ")]

    def sent_codes(self):
        out = []
        for m in self.trace():
            if m["dir"] == "sent":
                f = ic.first_line(m).split()
                if len(f) >= 2 and f[0] == "SIP/2.0" and f[1].isdigit():
                    out.append(int(f[1]))
        return out

    def finish_sipp(self, timeout=8):
        rc = self.sipp.wait(timeout)
        if rc is None:
            self.sipp.stop()
        return rc

    def diag(self):
        lines = []
        if self.cli is not None:
            lines += ["bellbird exit status: %s" % ("killed (did not exit in time)"
                                                    if self.cli.rc is None else self.cli.rc)]
            lines += self.cli.diag(20)
        return lines + ic.sipp_diag(self.sipp, 60)


def registered_event(p, expires=None):
    for e in ic.reg_events(p):
        if (e.get("state") == "registered" and e.get("contact")
                and isinstance(e.get("expires"), int) and e["expires"] > 0
                and (expires is None or e["expires"] == expires)):
            return e
    return None


def check_auth(reg, password, realm, nonce=None, opaque=None, algorithm=None, qop=True,
               nc="00000001"):
    """Problems found in REGISTER reg's Authorization (empty list = fine). qop=False: the
    challenge had no qop, so the answer must carry no qop, nc or cnonce (RFC 2617 3.2.2)."""
    auths = all_headers(reg, "Authorization")
    if len(auths) != 1:
        return ["want exactly 1 Authorization header, got %d" % len(auths)]
    p = ic.digest_params(auths[0])
    if p is None:
        return ["Authorization is not Digest: %s" % auths[0]]
    bad = []
    if p.get("username") != "alice":
        bad.append("username %r" % p.get("username"))
    if p.get("realm") != realm:
        bad.append("realm %r, want %r" % (p.get("realm"), realm))
    if nonce and p.get("nonce") != nonce:
        bad.append("nonce %r, want %r" % (p.get("nonce"), nonce))
    if opaque and p.get("opaque") != opaque:
        bad.append("opaque %r, want %r" % (p.get("opaque"), opaque))
    if p.get("uri") != request_uri(reg):
        bad.append("uri %r != Request-URI %r" % (p.get("uri"), request_uri(reg)))
    if qop:
        if p.get("qop") != "auth":
            bad.append("qop %r, want auth" % p.get("qop"))
        if p.get("nc") != nc:
            bad.append("nc %r, want %s" % (p.get("nc"), nc))
        if not p.get("cnonce"):
            bad.append("no cnonce")
    else:
        extra = [k for k in ("qop", "nc", "cnonce") if k in p]
        if extra:
            bad.append("challenge had no qop, yet the answer has %s" % ", ".join(extra))
    alg = (p.get("algorithm") or "MD5")
    if algorithm and alg.upper() != algorithm.upper():
        bad.append("algorithm %r, want %s" % (alg, algorithm))
    want_len = 64 if alg.upper() == "SHA-256" else 32
    resp = p.get("response") or ""
    if not re.fullmatch(r"[0-9a-f]{%d}" % want_len, resp):
        bad.append("response %r is not %d lower-case hex digits" % (resp, want_len))
    exp = ic.digest_expected(p, "REGISTER", password)
    if exp is None or exp != resp:
        bad.append("response %s does not recompute (want %s)" % (resp, exp))
    return bad


# --------------------------------------------------------------------------------------------

def case_md5(tap, peers):
    r = Run(peers, "md5", "reg_401_md5_qop.xml")
    if not r.up:
        for d in MD5_DESCS:
            tap.ok(False, d, ["sipp did not bind its port"] + r.diag())
        return
    r.cli = ic.run_register(peers, "reg-md5", PASSWORD, CLI_TIMEOUT, user=USER,
                            registrar=r.registrar, transport="udp")
    src = r.finish_sipp()
    regs = r.registers()
    tap.ok(r.cli.rc == 0 and registered_event(r.cli, 120) is not None, MD5_DESCS[0], r.diag)

    codes = r.sent_codes()
    bad = (check_auth(regs[1], PASSWORD, REALM, nonce="5f1d3c7e0a9b4d2e8c6f7a1b3e5d9c0f",
                      opaque="b1e2l3l4", algorithm="MD5")
           if len(regs) >= 2 else ["sipp received %d REGISTERs" % len(regs)])
    tap.ok(codes[:2] == [401, 200] and 403 not in codes and not bad, MD5_DESCS[1],
           lambda: ["responses sent by sipp: %s" % codes] + bad + r.diag())

    ok3 = (len(regs) == 3 and req_expires(regs[2]) == 0
           and ic.header(regs[2], "Call-ID") == ic.header(regs[0], "Call-ID")
           and (cseq_num(regs[2]) or 0) > (cseq_num(regs[1]) or 0) and src == 0)
    tap.ok(ok3, MD5_DESCS[2],
           lambda: ["REGISTERs: %s" % [(cseq_num(m), req_expires(m), ic.header(m, "Call-ID"))
                                       for m in regs], "sipp exit: %s" % src] + r.diag())


def case_sha256(tap, peers):
    r = Run(peers, "sha256", "reg_401_sha256.xml")
    if not r.up:
        for d in SHA_DESCS:
            tap.ok(False, d, ["sipp did not bind its port"] + r.diag())
        return
    r.cli = ic.run_register(peers, "reg-sha256", PASSWORD, CLI_TIMEOUT, user=USER,
                            registrar=r.registrar, transport="udp")
    r.finish_sipp()
    regs = r.registers()
    codes = r.sent_codes()
    tap.ok(r.cli.rc == 0 and registered_event(r.cli, 120) is not None and 403 not in codes,
           SHA_DESCS[0], lambda: ["responses sent by sipp: %s" % codes] + r.diag())
    bad = (check_auth(regs[1], PASSWORD, REALM, nonce="a7c3e9b1d5f2468097ace1358bdf0246",
                      opaque="s2h5a6", algorithm="SHA-256")
           if len(regs) >= 2 else ["sipp received %d REGISTERs" % len(regs)])
    tap.ok(not bad, SHA_DESCS[1], lambda: bad + r.diag())


def case_multi(tap, peers):
    r = Run(peers, "multi", "reg_401_multi_alg.xml")
    if not r.up:
        tap.ok(False, MULTI_DESCS[0], ["sipp did not bind its port"] + r.diag())
        return
    r.cli = ic.run_register(peers, "reg-multi", PASSWORD, CLI_TIMEOUT, user=USER,
                            registrar=r.registrar, transport="udp")
    r.finish_sipp()
    regs = r.registers()
    codes = r.sent_codes()
    bad = (check_auth(regs[1], PASSWORD, REALM, nonce="256256256256256256256256256256ab",
                      algorithm="SHA-256")
           if len(regs) >= 2 else ["sipp received %d REGISTERs" % len(regs)])
    tap.ok(r.cli.rc == 0 and registered_event(r.cli) is not None and not bad
           and 403 not in codes, MULTI_DESCS[0],
           lambda: ["responses sent by sipp: %s" % codes] + bad + r.diag())


def case_noqop(tap, peers):
    r = Run(peers, "noqop", "reg_401_md5_noqop.xml")
    if not r.up:
        tap.ok(False, NOQOP_DESCS[0], ["sipp did not bind its port"] + r.diag())
        return
    r.cli = ic.run_register(peers, "reg-noqop", PASSWORD, CLI_TIMEOUT, user=USER,
                            registrar=r.registrar, transport="udp")
    r.finish_sipp()
    regs = r.registers()
    codes = r.sent_codes()
    bad = (check_auth(regs[1], PASSWORD, REALM, nonce="c0ffee00c0ffee00c0ffee00c0ffee00",
                      qop=False)
           if len(regs) >= 2 else ["sipp received %d REGISTERs" % len(regs)])
    tap.ok(r.cli.rc == 0 and registered_event(r.cli) is not None and not bad
           and codes[:2] == [401, 200], NOQOP_DESCS[0],
           lambda: ["responses sent by sipp: %s" % codes] + bad + r.diag())


def case_stale(tap, peers):
    r = Run(peers, "stale", "reg_401_stale.xml")
    if not r.up:
        tap.ok(False, STALE_DESCS[0], ["sipp did not bind its port"] + r.diag())
        return
    r.cli = ic.run_register(peers, "reg-stale", PASSWORD, CLI_TIMEOUT, user=USER,
                            registrar=r.registrar, transport="udp")
    r.finish_sipp()
    regs = r.registers()
    codes = r.sent_codes()
    bad = []
    if len(regs) >= 3:
        bad += ["1st answer: " + b for b in check_auth(
            regs[1], PASSWORD, REALM, nonce="11111111111111111111111111111111")]
        bad += ["answer to stale=true: " + b for b in check_auth(
            regs[2], PASSWORD, REALM, nonce="22222222222222222222222222222222")]
        gap = regs[2]["time"] - regs[1]["time"]
        if gap > 1.0:
            bad.append("the answer to stale=true came %.2f s later (want at once)" % gap)
    else:
        bad.append("sipp received %d REGISTERs (want 3 before the un-REGISTER)" % len(regs))
    authfail = [e for e in ic.reg_events(r.cli) if e.get("reason") == "auth-failed"]
    tap.ok(r.cli.rc == 0 and registered_event(r.cli) is not None and not bad and not authfail
           and codes[:3] == [401, 401, 200], STALE_DESCS[0],
           lambda: ["responses sent by sipp: %s" % codes] + bad + r.diag())


def case_503(tap, peers):
    r = Run(peers, "503", "reg_503_then_200.xml", timeout_s=25)
    if not r.up:
        for d in R503_DESCS:
            tap.ok(False, d, ["sipp did not bind its port"] + r.diag())
        return
    p = r.cli = ic.start_register(peers, "reg-503", PASSWORD, user=USER, registrar=r.registrar,
                                  transport="udp", expires=600)
    idx, fail = ic.wait_event(p, ic.reg_state("failed"), 5)
    _, reg = ic.wait_event(p, ic.reg_state("registered"), BACKOFF_FIRST + SLACK + 4,
                           start=(idx + 1) if idx is not None else 0)
    tap.ok(fail is not None and fail.get("reason") == "server-error" and fail.get("code") == 503
           and reg is not None, R503_DESCS[0],
           lambda: ["failed event: %s" % fail, "registered event: %s" % reg] + r.diag())

    regs = r.registers()
    if len(regs) >= 2:
        gap = regs[1]["time"] - regs[0]["time"]
        ok2 = (1.5 <= gap <= BACKOFF_FIRST + SLACK
               and ic.header(regs[1], "Call-ID") == ic.header(regs[0], "Call-ID")
               and (cseq_num(regs[1]) or 0) > (cseq_num(regs[0]) or 0))
        tap.note("503 -> retry after %.2f s" % gap)
    else:
        gap, ok2 = None, False
    tap.ok(ok2, R503_DESCS[1],
           lambda: ["REGISTERs received by sipp: %d, gap %s" % (len(regs), gap)]
           + ["  CSeq %s Call-ID %s" % (cseq_num(m), ic.header(m, "Call-ID")) for m in regs]
           + r.diag())

    if reg is not None:
        p.p.send_signal(signal.SIGTERM)
    rc = p.wait(5)
    src = r.finish_sipp()
    regs = r.registers()
    unreg = [m for m in regs[2:] if req_expires(m) == 0]
    tap.ok(reg is not None and rc == 0 and unreg and src == 0, R503_DESCS[2],
           lambda: ["bellbird exit %s, un-REGISTERs %d, sipp exit %s" % (rc, len(unreg), src)]
           + r.diag())


def case_423(tap, peers):
    r = Run(peers, "423", "reg_423_then_200.xml")
    if not r.up:
        for d in R423_DESCS:
            tap.ok(False, d, ["sipp did not bind its port"] + r.diag())
        return
    r.cli = ic.run_register(peers, "reg-423", PASSWORD, CLI_TIMEOUT, user=USER,
                            registrar=r.registrar, transport="udp", expires=300)
    r.finish_sipp()
    regs = r.registers()
    tap.ok(r.cli.rc == 0 and registered_event(r.cli, 1800) is not None, R423_DESCS[0], r.diag)
    if len(regs) >= 2:
        e1, e2 = req_expires(regs[0]), req_expires(regs[1])
        gap = regs[1]["time"] - regs[0]["time"]
        ok = (e1 == 300 and e2 is not None and e2 >= 1800
              and ic.header(regs[1], "Call-ID") == ic.header(regs[0], "Call-ID")
              and (cseq_num(regs[1]) or 0) > (cseq_num(regs[0]) or 0) and gap < 2.0)
    else:
        e1 = e2 = gap = None
        ok = False
    tap.ok(ok, R423_DESCS[1],
           lambda: ["expires asked: first %s, second %s; gap %s s" % (e1, e2, gap)]
           + ["  CSeq %s Call-ID %s" % (cseq_num(m), ic.header(m, "Call-ID")) for m in regs]
           + r.diag())


CASES = ((case_md5, MD5_DESCS), (case_sha256, SHA_DESCS), (case_multi, MULTI_DESCS),
         (case_noqop, NOQOP_DESCS), (case_stale, STALE_DESCS), (case_503, R503_DESCS),
         (case_423, R423_DESCS))


if __name__ == "__main__":
    ic.run_cases(CASES, ALL_DESCS, missing)
