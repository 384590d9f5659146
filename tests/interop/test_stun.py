#!/usr/bin/env python3
"""Interop: STUN for a call's media address (TAP, 127.0.0.1 only).

1. coturn as a plain STUN server (`turnserver -n --stun-only -L 127.0.0.1 -p P`, its config,
   log and database in a temporary directory, stopped by its pid): B = `call --stun-server
   127.0.0.1:P` to A = `listen --auto-answer --max-calls 1`.
   - the call connects and B exits 0; B says on stderr which address STUN found (127.0.0.1 and
     a port).
   - when loopback can be sniffed (root): B's Binding request left from the port that its offer
     names, before the INVITE; coturn's success response gave that same address and port
     (XOR-MAPPED-ADDRESS), and the INVITE's offer says c=IN IP4 127.0.0.1 and m=audio <port>.
2. A STUN server that never answers (a UDP socket of this script that only reads): the call
   still connects, B says why it uses its local address ("no answer ... within 1500 ms"), the
   server saw 2 requests, 0.5 s apart (RFC 5389: RTO 500 ms), and (sniffed) the INVITE left
   1.5 s after the first request, not 39.5 s, with the local RTP port in its offer.
"""

import os
import re
import shutil
import socket
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True   # importing the other test scripts leaves no __pycache__

import interop_common as ic  # noqa: E402
import test_srtp as ts  # noqa: E402  (its loopback Sniffer)

finish = ic.finish
T = ic.Cases()

CALL_S = 2
COOKIE = 0x2112A442
RE_FOUND = re.compile(r"STUN: the call's RTP is reachable at (\S+) port (\d+)")

COTURN_DESCS = [
    "coturn: B (call --stun-server) connects to A and exits 0; A's call ends normally",
    "coturn: B reports the address STUN found: 127.0.0.1 and a port",
    "coturn (sniffed): B's Binding request leaves from the RTP port its offer names, before the "
    "INVITE; coturn's XOR-MAPPED-ADDRESS is 127.0.0.1 and that port; the offer says c=IN IP4 "
    "127.0.0.1, m=audio <that port>",
]
SILENT_DESCS = [
    "silent STUN server: the call still connects, B exits 0 and says it goes with its local "
    "address (no answer within 1500 ms)",
    "silent STUN server: it got 2 Binding requests, 0.5 s apart, from one port",
    "silent STUN server (sniffed): the INVITE leaves 1.4-3 s after the first request, its offer "
    "naming the port the requests came from",
]


def turnserver_path():
    return shutil.which("turnserver")


def stun_packets(sniffer, server_port):
    """(requests, responses) to and from server_port on the wire: (time, port, bytes)."""
    requests, responses = [], []
    for t, proto, sport, dport, data in list(sniffer.packets):
        if proto != "udp" or len(data) < 20 or struct.unpack("!I", data[4:8])[0] != COOKIE:
            continue
        if dport == server_port and data[0:2] == b"\x00\x01":
            requests.append((t, sport, data))
        elif sport == server_port and data[0:2] == b"\x01\x01":
            responses.append((t, dport, data))
    return requests, responses


def xor_mapped(msg):
    """(ip, port) of a STUN message's IPv4 XOR-MAPPED-ADDRESS, or None."""
    off = 20
    while off + 4 <= len(msg):
        atype, alen = struct.unpack("!HH", msg[off:off + 4])
        value = msg[off + 4:off + 4 + alen]
        if atype == 0x0020 and alen == 8 and value[1] == 1:
            port = struct.unpack("!H", value[2:4])[0] ^ (COOKIE >> 16)
            ip = struct.unpack("!I", value[4:8])[0] ^ COOKIE
            return socket.inet_ntoa(struct.pack("!I", ip)), port
        off += 4 + (alen + 3) // 4 * 4
    return None


def invite_offer(sniffer, sip_port):
    """(time, c= address, m=audio port) of the first INVITE to sip_port, or None."""
    for t, _, _, dport, data in list(sniffer.packets):
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep and dport == sip_port and head.startswith(b"INVITE "):
            text = body.decode("latin-1")
            c = re.search(r"^c=IN IP4 (\S+)", text, re.M)
            m = re.search(r"^m=audio (\d+) ", text, re.M)
            return t, c.group(1) if c else None, int(m.group(1)) if m else None
    return None


def call_through(peers, name, stun_server):
    """B calls A with --stun-server; returns (a, b, a's exit, b's exit)."""
    port = ic.free_port()
    a = ic.start_listen(peers, "a-" + name, port, transport="udp", duration=CALL_S + 20,
                        extra=["--auto-answer", "--max-calls", "1", "--audio-in", "none",
                               "--audio-out", "none"])
    ic.wait_listening(a, "UDP", port, 5)
    b = ic.start_call(peers, "b-" + name, "sip:alice@%s:%d" % (ic.LOOPBACK, port),
                      duration=CALL_S, extra=["--audio-in", "none", "--audio-out", "none",
                                              "--stun-server", stun_server])
    brc = finish(b, CALL_S + 15)
    arc = finish(a, 5)
    return a, b, arc, brc, port


def connected_ok(a, b, arc, brc):
    states_b = [e.get("state") for e in ic.call_events(b)]
    states_a = [e.get("state") for e in ic.call_events(a)]
    ok = (brc == 0 and "connected" in states_b and arc == 0
          and states_a == ["incoming", "connected", "ended"])
    return ok, lambda: (["B exit %s, states %s; A exit %s, states %s"
                         % (brc, states_b, arc, states_a)] + b.diag() + a.diag())


@T.case(COTURN_DESCS)
def case_coturn(tap, peers):
    if not turnserver_path():
        tap.skip_rest(COTURN_DESCS, "coturn (turnserver) not installed")
        return
    d = peers.mkdtemp("coturn")
    stun_port = ic.free_port()
    turn = peers.start("turnserver", [
        turnserver_path(), "-n", "--stun-only", "-L", ic.LOOPBACK, "-p", str(stun_port),
        "--no-cli", "--no-tls", "--no-dtls", "--simple-log", "--log-file",
        os.path.join(d, "turn.log"), "--pidfile", os.path.join(d, "turn.pid"),
        "--userdb", os.path.join(d, "turndb")], cwd=d)
    if not ic.wait_bound(stun_port, "udp", 5):
        for desc in COTURN_DESCS:
            tap.ok(False, desc, ["turnserver did not bind UDP %d" % stun_port] + turn.diag())
        return
    sniffer = ts.Sniffer()
    try:
        a, b, arc, brc, sip_port = call_through(peers, "coturn", "%s:%d" % (ic.LOOPBACK, stun_port))
    finally:
        sniffer.stop()

    ok, diag = connected_ok(a, b, arc, brc)
    tap.ok(ok, COTURN_DESCS[0], diag)
    found = RE_FOUND.search(b.stderr())
    tap.ok(found and found.group(1) == ic.LOOPBACK, COTURN_DESCS[1],
           lambda: ["no 'reachable at 127.0.0.1' on B's stderr"] + b.diag() + turn.diag())

    if sniffer.error:
        tap.skip(COTURN_DESCS[2], sniffer.error)
        return
    requests, responses = stun_packets(sniffer, stun_port)
    offer = invite_offer(sniffer, sip_port)
    mapped = xor_mapped(responses[0][2]) if responses else None
    src = requests[0][1] if requests else None
    tap.ok(requests and responses and offer and mapped == (ic.LOOPBACK, src)
           and offer[1] == ic.LOOPBACK and offer[2] == src and requests[0][0] < offer[0]
           and (not found or int(found.group(2)) == src), COTURN_DESCS[2],
           lambda: ["requests from ports %s, responses %d, XOR-MAPPED %s, offer %s, B says %s"
                    % ([r[1] for r in requests], len(responses), mapped, offer,
                       found.group(0) if found else None)] + b.diag() + turn.diag())
    tap.note("coturn: the Binding request from RTP port %s, answered %s; offer c=%s m=audio %s"
             % (src, mapped, offer[1] if offer else None, offer[2] if offer else None))


class SilentServer:
    """A UDP socket on 127.0.0.1 that reads what comes (time, source port) and never answers."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((ic.LOOPBACK, 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.got = []
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop:
            try:
                data, addr = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            except OSError:
                return
            self.got.append((time.monotonic(), addr[1], data))

    def stop(self):
        self._stop = True
        self._thread.join(2)
        self.sock.close()


@T.case(SILENT_DESCS)
def case_silent(tap, peers):
    server = SilentServer()
    sniffer = ts.Sniffer()
    try:
        a, b, arc, brc, sip_port = call_through(peers, "silent", "%s:%d" % (ic.LOOPBACK, server.port))
    finally:
        sniffer.stop()
        server.stop()

    ok, diag = connected_ok(a, b, arc, brc)
    err = b.stderr()
    said = "no answer from the STUN server" in err and "within 1500 ms" in err and \
        "goes with its local address" in err
    tap.ok(ok and said, SILENT_DESCS[0], diag)
    gap = server.got[1][0] - server.got[0][0] if len(server.got) == 2 else None
    tap.ok(len(server.got) == 2 and 0.4 <= gap <= 0.8 and server.got[0][1] == server.got[1][1]
           and server.got[0][2][0:2] == b"\x00\x01", SILENT_DESCS[1],
           lambda: ["got %d datagrams at %s" % (len(server.got), [round(g[0] - server.got[0][0], 3)
                                                               for g in server.got])] + b.diag())

    if sniffer.error:
        tap.skip(SILENT_DESCS[2], sniffer.error)
        return
    offer = invite_offer(sniffer, sip_port)
    wait = offer[0] - server.got[0][0] if offer and server.got else None
    tap.ok(offer and 1.4 <= wait <= 3.0 and offer[2] == server.got[0][1], SILENT_DESCS[2],
           lambda: ["offer %s, %s s after the first request from port %s"
                    % (offer, wait, server.got[0][1] if server.got else None)] + b.diag())
    if wait is not None:
        tap.note("silent server: INVITE %.2f s after the first Binding request" % wait)


def missing():
    return None if ic.bellbird_cli() else "BELLBIRD_CLI not set or not executable"


if __name__ == "__main__":
    T.run(missing)
