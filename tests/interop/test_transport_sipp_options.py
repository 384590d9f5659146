#!/usr/bin/env python3
"""Interop: `bellbird-cli options` against sipp as UAS on 127.0.0.1 (TAP).

2. OPTIONS over UDP, TCP, TLS and to a sips: URI gets sipp's 200 and prints its Allow line;
   a 200 sent at once (microseconds after the request) is never lost (UDP, several runs).
3. TLS: a self-signed server certificate is refused with an error about the certificate and
   accepted with --tls-accept-untrusted (with a warning); a certificate from the trusted CA
   but for another host name is refused.
4. UDP retransmission: sipp stays silent for 1.3 s; bellbird retransmits (Timer E, 500 ms) and
   takes the late 200. Over TCP it must not retransmit.
6. No listener: TCP and TLS fail at once with "Connection refused"; the UDP case (Timer F,
   32 s) runs only with BELLBIRD_INTEROP_SLOW=1.

TLS: Debian's sipp 3.6.1 has no TLS (`-t l1` needs a build with OpenSSL), so sipp runs over
TCP behind tls_relay.py, a TLS server (Python ssl/OpenSSL) with the test's certificate.
"""

import os
import re
import time

import interop_common as ic

CLI_TIMEOUT = 8          # seconds; bellbird's own Timer F is 32 s
ALLOW = "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, SIPPTEST"
FAST_RUNS = 5

CASES = ["udp", "tcp", "tls", "sips"]


def case_descs(c):
    name = "sips: URI" if c == "sips" else c.upper()
    return ["%s: bellbird-cli options gets sipp's 200 (exit 0) and prints its Allow line" % name,
            "%s: sipp UAS received the OPTIONS and answered it (sipp exit 0)" % name,
            "%s: bellbird's Via names %s and carries rport" % (name, "TLS" if c == "sips" else c.upper())]


FAST_DESC = "UDP: a 200 sent within microseconds is never lost (%d runs, each < 3 s)" % FAST_RUNS
TLS_NEG_DESC = "TLS: bellbird negotiated TLS 1.2 or 1.3 with the TLS peer"
REFUSE_DESCS = [
    "TLS: a self-signed server certificate is refused: exit 1, error mentions the certificate",
    "TLS: --tls-accept-untrusted accepts the self-signed certificate (exit 0, 200 OK)",
    "TLS: --tls-accept-untrusted prints a warning on stderr",
    "TLS: a CA-signed certificate for another host name is refused: exit 1, error mentions it",
]
RETRANS_DESCS = [
    "UDP: bellbird-cli retransmits an unanswered OPTIONS and takes the late 200 (exit 0)",
    "UDP: sipp saw >= 2 identical copies of the OPTIONS, the second 0.5 s (+-0.2) after the first",
    "TCP: no retransmission over a reliable transport (1 copy in 1.3 s) and the late 200 is taken",
]
NOLISTEN_DESCS = [
    "TCP: nothing listening -> exit 1 within 5 s with 'Connection refused' on stderr",
    "TLS: nothing listening -> exit 1 within 5 s with 'Connection refused' on stderr",
    "UDP: nothing answering -> exit 1 after the transaction timeout (Timer F, 32 s)",
]

ALL_DESCS = ([d for c in CASES for d in case_descs(c)] + [TLS_NEG_DESC, FAST_DESC]
             + REFUSE_DESCS + RETRANS_DESCS + NOLISTEN_DESCS)
PLAN = len(ALL_DESCS)


def cli_diag(p):
    return ["bellbird-cli exit status: %s" % ("killed after %d s" % CLI_TIMEOUT if p.rc is None
                                               else p.rc)] + p.diag()


def start_uas(peers, name, scenario, transport):
    port = ic.free_port()
    sipp = ic.start_sipp(peers, name, scenario, port, transport)
    up = ic.wait_bound(port, transport, 5)
    return sipp, port, up


def received_options(sipp):
    return [m for m in ic.parse_trace(sipp.msg_path)
            if m["dir"] == "received" and ic.first_line(m).startswith("OPTIONS ")]


def via_ok(sipp, transport):
    msgs = received_options(sipp)
    if not msgs:
        return False, ["sipp received no OPTIONS"]
    via = ic.header(msgs[0], "Via") or ic.header(msgs[0], "v") or ""
    m = re.match(r"SIP\s*/\s*2\.0\s*/\s*(\w+)\s+(\S+?)\s*(;.*)?$", via)
    params = [p.strip().split("=", 1)[0].lower() for p in (m.group(3) or "").split(";")] if m else []
    good = bool(m) and m.group(1).upper() == transport.upper() and "rport" in params
    return good, ["Via: %s" % via]


def test_cases(tap, certs, cert_error):
    tls_handshakes = []
    for c in CASES:
        descs = case_descs(c)
        tls = c in ("tls", "sips")
        if tls and cert_error:
            for d in descs:
                tap.ok(False, d, ["making test certificates failed: %s" % cert_error])
            continue
        if tls and certs is None:
            tap.skip_rest(descs, "openssl CLI not found (needed to make test certificates)")
            continue
        with ic.Peers() as peers:
            sipp, port, up = start_uas(peers, "sipp-uas-" + c, "uas_options.xml",
                                       "tcp" if tls else c)
            if not up:
                diag = ["sipp did not bind port %d" % port] + ic.sipp_diag(sipp)
                for d in descs:
                    tap.ok(False, d, diag)
                continue
            target = port
            relay = None
            if tls:
                relay, rport = ic.start_relay(peers, "tls-relay-" + c, "server", port,
                                              cert=certs["server"], key=certs["server_key"])
                if rport is None:
                    diag = ["the TLS relay did not start"] + relay.diag()
                    for d in descs:
                        tap.ok(False, d, diag)
                    continue
                target = rport
            if c == "sips":
                args = ["options", "sips:127.0.0.1:%d" % target, "--tls-ca", certs["ca"]]
            else:
                args = ["options", "sip:127.0.0.1:%d" % target, "--transport", c]
                if c == "tls":
                    args += ["--tls-ca", certs["ca"]]
            cli = ic.run_cli(peers, "bellbird-cli-" + c, args, CLI_TIMEOUT)
            out = cli.stdout()
            sipp_rc = sipp.wait(5)
            if sipp_rc is None:
                sipp.stop()
            extra = relay.diag() if relay else []
            tap.ok(cli.rc == 0 and re.search(r"^200 OK\b", out, re.M) is not None
                   and ALLOW in out.splitlines(), descs[0],
                   lambda: cli_diag(cli) + ic.sipp_diag(sipp) + extra)
            tap.ok(sipp_rc == 0, descs[1],
                   lambda: ["sipp exit status %r" % sipp_rc] + ic.sipp_diag(sipp) + extra)
            good, diag = via_ok(sipp, "tls" if tls else c)
            tap.ok(good, descs[2], lambda: diag + ic.sipp_diag(sipp))
            if relay:
                tls_handshakes += ic.relay_events(relay, "handshake")

    if certs is None:
        tap.skip(TLS_NEG_DESC, "no test certificates")
    else:
        good = [h for h in tls_handshakes if h.get("ok")]
        tap.ok(good and all(h.get("version") in ("TLSv1.2", "TLSv1.3") for h in good),
               TLS_NEG_DESC, ["relay handshakes: %r" % tls_handshakes])


def test_fast_answer(tap):
    fails = []
    for i in range(FAST_RUNS):
        with ic.Peers() as peers:
            sipp, port, up = start_uas(peers, "sipp-uas-fast%d" % i, "uas_options.xml", "udp")
            if not up:
                fails += ["run %d: sipp did not bind port %d" % (i + 1, port)] + ic.sipp_diag(sipp)
                continue
            t0 = time.monotonic()
            cli = ic.run_cli(peers, "bellbird-cli-fast%d" % i,
                             ["options", "sip:127.0.0.1:%d" % port, "--transport", "udp"], 3)
            took = time.monotonic() - t0
            sipp_rc = sipp.wait(5)
            if cli.rc != 0:
                answered = [m for m in ic.parse_trace(sipp.msg_path)
                            if m["dir"] == "sent" and ic.first_line(m).startswith("SIP/2.0 200")]
                fails += ["run %d: bellbird-cli %s after %.2f s; sipp exit %r, sipp sent 200: %s"
                          % (i + 1, "killed" if cli.rc is None else "exit %r" % cli.rc, took,
                             sipp_rc, bool(answered))]
                if len(fails) <= 1:
                    fails += cli.diag(8) + ic.sipp_diag(sipp, 30)
    tap.ok(not fails, FAST_DESC, fails)


def test_refused(tap, certs, cert_error):
    if cert_error:
        for d in REFUSE_DESCS:
            tap.ok(False, d, ["making test certificates failed: %s" % cert_error])
        return
    if certs is None:
        tap.skip_rest(REFUSE_DESCS, "openssl CLI not found (needed to make test certificates)")
        return
    with ic.Peers() as peers:
        sipp, port, up = start_uas(peers, "sipp-uas-selfsigned", "uas_options.xml", "tcp")
        relay, rport = ic.start_relay(peers, "tls-relay-selfsigned", "server", port,
                                      cert=certs["selfsigned"], key=certs["selfsigned_key"])
        if not up or rport is None:
            diag = ["sipp up: %s, relay port: %r" % (up, rport)] + ic.sipp_diag(sipp) + relay.diag()
            for d in REFUSE_DESCS[:3]:
                tap.ok(False, d, diag)
        else:
            uri = "sip:127.0.0.1:%d" % rport
            cli = ic.run_cli(peers, "bellbird-cli-refuse", ["options", uri, "--transport", "tls"],
                             CLI_TIMEOUT)
            err = cli.stderr()
            tap.ok(cli.rc == 1 and "certif" in err.lower()
                   and not received_options(sipp), REFUSE_DESCS[0],
                   lambda: cli_diag(cli) + ["sipp received %d OPTIONS" % len(received_options(sipp))]
                   + relay.diag())
            cli2 = ic.run_cli(peers, "bellbird-cli-untrusted",
                              ["options", uri, "--transport", "tls", "--tls-accept-untrusted"],
                              CLI_TIMEOUT)
            out2, err2 = cli2.stdout(), cli2.stderr()
            tap.ok(cli2.rc == 0 and re.search(r"^200 OK\b", out2, re.M) is not None,
                   REFUSE_DESCS[1], lambda: cli_diag(cli2) + ic.sipp_diag(sipp) + relay.diag())
            tap.ok(re.search(r"warn|untrusted|insecure|not verified|unverified", err2, re.I)
                   is not None, REFUSE_DESCS[2],
                   lambda: ["stderr of bellbird-cli --tls-accept-untrusted:"]
                   + ["  " + l for l in err2.splitlines()])

        relay2, rport2 = ic.start_relay(peers, "tls-relay-wronghost", "server", ic.free_port(),
                                        cert=certs["wronghost"], key=certs["wronghost_key"])
        if rport2 is None:
            tap.ok(False, REFUSE_DESCS[3], ["the TLS relay did not start"] + relay2.diag())
            return
        cli3 = ic.run_cli(peers, "bellbird-cli-wronghost",
                          ["options", "sip:127.0.0.1:%d" % rport2, "--transport", "tls",
                           "--tls-ca", certs["ca"]], CLI_TIMEOUT)
        err3 = cli3.stderr().lower()
        tap.ok(cli3.rc == 1 and ("certif" in err3 or "host" in err3 or "name" in err3
                                 or "127.0.0.1" in err3), REFUSE_DESCS[3],
               lambda: cli_diag(cli3) + relay2.diag())


def test_retrans(tap):
    # UDP: two or more copies, ~500 ms apart.
    with ic.Peers() as peers:
        sipp, port, up = start_uas(peers, "sipp-uas-retrans", "uas_options_retrans.xml", "udp")
        if not up:
            diag = ["sipp did not bind port %d" % port] + ic.sipp_diag(sipp)
            tap.ok(False, RETRANS_DESCS[0], diag)
            tap.ok(False, RETRANS_DESCS[1], diag)
        else:
            cli = ic.run_cli(peers, "bellbird-cli-retrans",
                             ["options", "sip:127.0.0.1:%d" % port, "--transport", "udp"],
                             CLI_TIMEOUT)
            sipp.wait(5)
            tap.ok(cli.rc == 0 and ALLOW in cli.stdout().splitlines(), RETRANS_DESCS[0],
                   lambda: cli_diag(cli) + ic.sipp_diag(sipp))
            copies = received_options(sipp)
            texts = set(m["text"] for m in copies)
            gap = copies[1]["time"] - copies[0]["time"] if len(copies) >= 2 else None
            tap.ok(len(copies) >= 2 and len(texts) == 1 and gap is not None and 0.3 <= gap <= 0.7,
                   RETRANS_DESCS[1],
                   lambda: ["%d copies received by sipp, %d distinct; times: %s"
                            % (len(copies), len(texts),
                               ", ".join("%.3f" % (m["time"] - copies[0]["time"]) for m in copies))]
                   + ic.sipp_diag(sipp))
    # TCP: exactly one copy.
    with ic.Peers() as peers:
        sipp, port, up = start_uas(peers, "sipp-uas-retrans-tcp", "uas_options_retrans.xml", "tcp")
        if not up:
            tap.ok(False, RETRANS_DESCS[2], ["sipp did not bind port %d" % port] + ic.sipp_diag(sipp))
            return
        cli = ic.run_cli(peers, "bellbird-cli-retrans-tcp",
                         ["options", "sip:127.0.0.1:%d" % port, "--transport", "tcp"], CLI_TIMEOUT)
        sipp.wait(5)
        copies = received_options(sipp)
        tap.ok(cli.rc == 0 and len(copies) == 1, RETRANS_DESCS[2],
               lambda: ["%d copies received by sipp" % len(copies)] + cli_diag(cli)
               + ic.sipp_diag(sipp))


def test_nolisten(tap):
    with ic.Peers() as peers:
        for t, desc in (("tcp", NOLISTEN_DESCS[0]), ("tls", NOLISTEN_DESCS[1])):
            port = ic.free_port()
            t0 = time.monotonic()
            cli = ic.run_cli(peers, "bellbird-cli-nolisten-" + t,
                             ["options", "sip:127.0.0.1:%d" % port, "--transport", t], 5)
            took = time.monotonic() - t0
            tap.ok(cli.rc == 1 and "connection refused" in cli.stderr().lower(), desc,
                   lambda: ["took %.2f s" % took] + cli_diag(cli))
        if not os.environ.get("BELLBIRD_INTEROP_SLOW"):
            tap.skip(NOLISTEN_DESCS[2], "takes 32 s (Timer F); set BELLBIRD_INTEROP_SLOW=1")
            return
        ic.extend_budget(40)
        port = ic.free_port()
        t0 = time.monotonic()
        cli = ic.run_cli(peers, "bellbird-cli-nolisten-udp",
                         ["options", "sip:127.0.0.1:%d" % port, "--transport", "udp"], 45)
        took = time.monotonic() - t0
        tap.ok(cli.rc == 1 and 28 <= took <= 40 and cli.stderr().lower().startswith("error:"),
               NOLISTEN_DESCS[2], lambda: ["took %.2f s" % took] + cli_diag(cli))


def body(tap):
    if not ic.bellbird_cli():
        tap.note("BELLBIRD_CLI is not set to an executable bellbird-cli")
        for d in ALL_DESCS:
            tap.ok(False, d, ["BELLBIRD_CLI missing"])
        return
    have_sipp = ic.sipp_path() is not None
    if not have_sipp:
        reason = "sipp (package sip-tester) not installed"
        for c in CASES:
            tap.skip_rest(case_descs(c), reason)
        tap.skip(TLS_NEG_DESC, reason)
        tap.skip(FAST_DESC, reason)
        tap.skip_rest(REFUSE_DESCS, reason)
        tap.skip_rest(RETRANS_DESCS, reason)
        test_nolisten(tap)   # needs no peer
        return

    certs, cert_error = None, None
    with ic.Peers() as peers:
        if ic.openssl_path():
            try:
                certs = ic.make_certs(peers.mkdtemp("certs"))
            except Exception as e:  # noqa: BLE001
                cert_error = str(e)
        test_cases(tap, certs, cert_error)
        test_fast_answer(tap)
        test_refused(tap, certs, cert_error)
        test_retrans(tap)
        test_nolisten(tap)


if __name__ == "__main__":
    ic.run_tests(PLAN, body)
