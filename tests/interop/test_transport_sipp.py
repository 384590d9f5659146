#!/usr/bin/env python3
"""Interop: sipp as UAC against `bellbird-cli listen` on 127.0.0.1 (TAP).

1. OPTIONS over UDP, TCP and TLS gets 200; bellbird reports the incoming OPTIONS; the 200's Via
   carries received/rport (RFC 3581) for the port the request came from.
5. Malformed requests (overflowing CSeq -> 400, SIP/3.0 -> 505) over UDP and TCP, then a good
   OPTIONS still gets 200 from the same listener.

TLS: Debian's sipp 3.6.1 has no TLS (`-t l1` needs a build with OpenSSL), so sipp speaks TCP
to tls_relay.py, which opens a verified TLS connection (test CA, IP:127.0.0.1) to bellbird.
"""

import json
import re

import interop_common as ic

TRANSPORTS = ["udp", "tcp", "tls"]


def descs_options(t):
    d = ["%s: sipp UAC sends OPTIONS to bellbird listen and gets 200" % t.upper(),
         "%s: bellbird reports the incoming OPTIONS answered 200 on %s" % (t.upper(), t.upper()),
         "%s: the 200's Via carries received=127.0.0.1 and rport=<source port>" % t.upper()]
    if t == "tls":
        d.insert(0, "TLS: the relay verified bellbird's certificate (test CA, IP:127.0.0.1) "
                    "with TLS >= 1.2")
    return d


MALFORMED_DESCS = [
    "UDP: overflowing CSeq 99999999999 is answered 400",
    "UDP: SIP/3.0 request is answered 505",
    "UDP: a good OPTIONS after the malformed ones still gets 200",
    "TCP: overflowing CSeq 99999999999 is answered 400",
    "TCP: SIP/3.0 request is answered 505",
    "TCP: a good OPTIONS after the malformed ones still gets 200",
    "bellbird listen is still running after the malformed requests",
    "400/505 responses carry a To tag (RFC 3261 8.2.6.2) and Via received/rport (RFC 3581)",
    "two 200 OK from one listener carry different To tags (RFC 3261 19.3)",
]

PLAN = sum(len(descs_options(t)) for t in TRANSPORTS) + len(MALFORMED_DESCS)


def parse_source(ev):
    """'UDP 127.0.0.1:5060 -> 127.0.0.1:5070' -> ('UDP', 5070) (remote port), or (T, None)."""
    src = str(ev.get("source", ""))
    m = re.match(r"\s*(\w+)\s+\S+\s*->\s*\[?([0-9a-fA-F.:]+?)\]?:(\d+)\s*$", src)
    if not m:
        return (src.split(" ", 1)[0].upper(), None)
    return (m.group(1).upper(), int(m.group(3)))


def received_response(trace, code):
    for m in trace:
        if m["dir"] == "received" and ic.first_line(m).startswith("SIP/2.0 %d " % code):
            return m
    return None


def via_params(msg):
    via = ic.header(msg, "Via") or ic.header(msg, "v") or ""
    params = {}
    for p in via.split(";")[1:]:
        k, _, v = p.partition("=")
        params[k.strip().lower()] = v.strip()
    return via, params


def to_tag(msg):
    to = ic.header(msg, "To") or ic.header(msg, "t") or ""
    m = re.search(r";\s*tag=([^;\s>]+)", to)
    return m.group(1) if m else None


def wait_incoming(listener, transport, timeout=3.0):
    def pred(line):
        try:
            ev = json.loads(line)
        except ValueError:
            return False
        return (isinstance(ev, dict) and ev.get("event") == "incoming"
                and ev.get("method") == "OPTIONS"
                and parse_source(ev)[0] == transport.upper())
    line = listener.wait_line(pred, timeout)
    return json.loads(line) if line else None


def test_options(tap, t, certs, cert_error=None):
    descs = descs_options(t)
    if t == "tls" and cert_error:
        for d in descs:
            tap.ok(False, d, ["making test certificates failed: %s" % cert_error])
        return
    if t == "tls" and certs is None:
        tap.skip_rest(descs, "openssl CLI not found (needed to make test certificates)")
        return
    with ic.Peers() as peers:
        port = ic.free_port()
        sipp_port = ic.free_port()
        extra = []
        if t == "tls":
            extra = ["--tls-cert", certs["server"], "--tls-key", certs["server_key"]]
        listener = ic.start_listen(peers, "bellbird-listen-" + t, port, transport=t, extra=extra)
        if not ic.wait_listening(listener, t, port, timeout=5):
            diag = ["bellbird listen did not report listening on %s 127.0.0.1:%d" % (t.upper(), port)]
            diag += listener.diag()
            for d in descs:
                tap.ok(False, d, diag)
            return

        remote_port = port
        relay = None
        if t == "tls":
            relay, rport = ic.start_relay(peers, "tls-relay-client", "client", port,
                                          ca=certs["ca"], server_name="127.0.0.1")
            if rport is None:
                diag = ["the TLS relay did not start"] + relay.diag()
                for d in descs:
                    tap.ok(False, d, diag)
                return
            remote_port = rport

        sipp = ic.start_sipp(peers, "sipp-uac-" + t, "uac_options.xml", sipp_port,
                             "udp" if t == "udp" else "tcp", via_transport=t,
                             remote="127.0.0.1:%d" % remote_port)
        rc = sipp.wait(20)
        if rc is None:
            sipp.stop()
        ev = wait_incoming(listener, t)
        trace = ic.parse_trace(sipp.msg_path)

        if t == "tls":
            hs = ic.relay_events(relay, "handshake")
            good = [h for h in hs if h.get("ok") and h.get("version") in ("TLSv1.2", "TLSv1.3")]
            tap.ok(bool(good), descs[0], lambda: ["relay handshakes: %r" % hs]
                   + relay.diag() + listener.diag())
            descs = descs[1:]

        tap.ok(rc == 0, descs[0],
               lambda: ["sipp exit status %r (0 = the call succeeded)" % rc]
               + ic.sipp_diag(sipp) + listener.diag())
        tap.ok(ev is not None and ev.get("status") == 200, descs[1],
               lambda: ["incoming event: %r" % ev, "events: %r" % listener.events()]
               + listener.diag())

        ok200 = received_response(trace, 200)
        diag = []
        good = False
        if ok200 is None:
            diag.append("sipp received no 200 (see trace)")
        else:
            via, params = via_params(ok200)
            diag.append("Via of the 200: %s" % via)
            if t == "udp":
                want_port = sipp_port
            else:
                want_port = parse_source(ev)[1] if ev else None
                diag.append("source port bellbird reported: %r (event %r)" % (want_port, ev))
            good = (params.get("received") == "127.0.0.1"
                    and want_port is not None and params.get("rport") == str(want_port))
        tap.ok(good, descs[2], lambda: diag + ic.sipp_diag(sipp))


def test_malformed(tap):
    descs = list(MALFORMED_DESCS)
    with ic.Peers() as peers:
        port = ic.free_port()
        listener = ic.start_listen(peers, "bellbird-listen-malformed", port)
        up = (ic.wait_listening(listener, "udp", port, 5)
              and ic.wait_listening(listener, "tcp", port, 5))
        if not up:
            diag = ["bellbird listen (no --transport) did not report UDP and TCP on port %d" % port]
            diag += listener.diag()
            for d in descs:
                tap.ok(False, d, diag)
            return

        error_responses = []
        ok_tags = []
        i = 0
        for t in ("udp", "tcp"):
            for scen, code in (("uac_bad_cseq.xml", 400), ("uac_bad_version.xml", 505),
                               ("uac_options.xml", 200)):
                sipp = ic.start_sipp(peers, "sipp-uac-%s-%d" % (t, code), scen, ic.free_port(), t,
                                     remote="127.0.0.1:%d" % port)
                rc = sipp.wait(20)
                if rc is None:
                    sipp.stop()
                resp = received_response(ic.parse_trace(sipp.msg_path), code)
                if resp is not None:
                    if code == 200:
                        ok_tags.append(to_tag(resp))
                    else:
                        error_responses.append((t, code, resp))
                tap.ok(rc == 0 and resp is not None, descs[i],
                       lambda: ["sipp exit status %r; response %d seen: %s" % (rc, code, resp is not None)]
                       + ic.sipp_diag(sipp) + listener.diag())
                i += 1

        tap.ok(listener.alive(), descs[i], lambda: listener.diag())
        i += 1

        problems = []
        for t, code, resp in error_responses:
            via, params = via_params(resp)
            if not to_tag(resp):
                problems.append("%s %d has no To tag: To: %s" % (t.upper(), code, ic.header(resp, "To")))
            if params.get("received") != "127.0.0.1" or not params.get("rport", "").isdigit():
                problems.append("%s %d Via lacks received/rport: Via: %s" % (t.upper(), code, via))
        if not error_responses:
            problems.append("no 400/505 responses were received")
        tap.ok(not problems, descs[i], problems)
        i += 1

        tap.ok(len(ok_tags) == 2 and all(ok_tags) and ok_tags[0] != ok_tags[1], descs[i],
               ["To tags of the two 200 OK: %r" % ok_tags])


def body(tap):
    if not ic.bellbird_cli():
        tap.note("BELLBIRD_CLI is not set to an executable bellbird-cli")
        for t in TRANSPORTS:
            for d in descs_options(t):
                tap.ok(False, d, ["BELLBIRD_CLI missing"])
        for d in MALFORMED_DESCS:
            tap.ok(False, d, ["BELLBIRD_CLI missing"])
        return
    if not ic.sipp_path():
        for t in TRANSPORTS:
            tap.skip_rest(descs_options(t), "sipp (package sip-tester) not installed")
        tap.skip_rest(MALFORMED_DESCS, "sipp (package sip-tester) not installed")
        return

    certs = None
    if ic.openssl_path():
        with ic.Peers() as peers:
            d = peers.mkdtemp("certs")
            cert_error = None
            try:
                certs = ic.make_certs(d)
            except Exception as e:  # noqa: BLE001
                cert_error = str(e)
            for t in TRANSPORTS:
                test_options(tap, t, certs, cert_error)
    else:
        for t in TRANSPORTS:
            test_options(tap, t, None)
    test_malformed(tap)


if __name__ == "__main__":
    ic.run_tests(PLAN, body)
