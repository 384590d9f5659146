#!/usr/bin/env python3
"""Interop: SRTP keyed in SDP (RFC 4568 a=crypto), measured in recordings and on the wire (TAP,
127.0.0.1 only).

1. Bellbird with Bellbird, every pair of --srtp policies (caller -> callee), all at once on
   ports of their own: the callee is `listen --srtp Y --auto-answer --max-calls 1 --audio-in
   tone --audio-out OUT`, the caller `call --srtp X --audio-in tone --duration 2.5`.
   optional/mandatory with optional/mandatory: connected, every media event of both sides says
   encrypted with one and the same suite, and OUT holds >= 1.5 s of the caller's 440 Hz tone
   (SRTP decrypts). off -> mandatory and mandatory -> off: 488, the caller never connects.
   optional -> off: connected in plain RTP (media events encrypted false), audio still flows.
   When this process may open an AF_PACKET socket (root), loopback is sniffed meanwhile: the
   offers and answers on the wire (optional: RTP/AVP with a=crypto AEAD_AES_128_GCM,
   AES_CM_128_HMAC_SHA1_80, _32; mandatory: RTP/SAVP; off: no a=crypto; an answer: exactly one
   a=crypto, of the suite the events name) and the RTP of each connected pair, both ways (SRTP:
   every G.711 payload is a whole number of 10 ms frames plus the suite's tag, 16 bytes for GCM,
   10 for _80, 4 for _32, and looks random; plain: whole frames, no tag).
2. --srtp left at its default: over TLS (`listen --transport tls --tls-cert/--tls-key`, called
   as sips:... and as sip:... --transport tls --tls-ca CA) the call is encrypted; over UDP it
   is not. Audio flows in each.
3. baresip 1.0 (module srtp.so, added to the generated config here, before the account module;
   sndfile.so when present, whose dump-*-dec.wav is what baresip decoded), all runs at once:
   `call --srtp mandatory` -> account mediaenc=srtp-mand (answermode=auto) and `call --srtp
   optional` -> mediaenc=srtp: encrypted, Bellbird records baresip's 440 Hz aufile tone and
   baresip's dump holds Bellbird's tone (Bellbird's SRTP checked by libre's). `call --srtp
   optional` -> mediaenc=srtp-mand: baresip 1.0 takes RTP/SAVP offers only, so it answers the
   RTP/AVP offer 488 ("no common audio codecs"); Bellbird calls again once without a=crypto,
   488 again, and the call ends 488. baresip mediaenc=srtp-mand and mediaenc=srtp dial `listen
   --srtp optional`: encrypted, listen records the tone. Plain fallback: `call --srtp optional`
   -> baresip without mediaenc ignores a=crypto: plain RTP, audio flows.
"""

import os
import re
import socket
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True   # importing the other test scripts leaves no __pycache__

import interop_common as ic  # noqa: E402

finish = ic.finish
states = ic.states
uri = ic.loopback_uri


def media_events(proc):
    return ic.events(proc, "media")
import test_calls_baresip as tcb  # noqa: E402
import test_media as tm  # noqa: E402

T = ic.Cases()

OPTIONAL_SUITES = ["AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"]
TAG_LEN = {"AEAD_AES_128_GCM": 16, "AEAD_AES_256_GCM": 16, "AES_CM_128_HMAC_SHA1_80": 10,
           "AES_CM_128_HMAC_SHA1_32": 4, "AES_256_CM_HMAC_SHA1_80": 10,
           "AES_256_CM_HMAC_SHA1_32": 4}
TONE_MIN_S = 1.5
# Under ASan/UBSan (./setup asan sets ASAN_OPTIONS) a call's pipelines take up to 1.5 s to
# start, and what arrives before they play is dropped as stale: calls last that much longer.
SANITIZER_S = 1.5 if "ASAN_OPTIONS" in os.environ else 0.0
CALL_S = 2.5 + SANITIZER_S

ENC_PAIRS = [("optional", "optional"), ("mandatory", "optional"), ("optional", "mandatory"),
             ("mandatory", "mandatory")]
REFUSED_PAIRS = [("off", "mandatory"), ("mandatory", "off")]
PLAIN_PAIR = ("optional", "off")

PAIR_DESCS = []
for _x, _y in ENC_PAIRS:
    PAIR_DESCS += [
        "%s -> %s: the call connects, caller exits 0, every media event of both sides says "
        "encrypted true with one and the same suite" % (_x, _y),
        "%s -> %s: the callee's recording holds >= %.1f s of the caller's 440 Hz tone (SRTP "
        "decrypted)" % (_x, _y, TONE_MIN_S),
    ]
for _x, _y in REFUSED_PAIRS:
    PAIR_DESCS.append("%s -> %s: the callee refuses with 488 (its call ends 488), the caller "
                      "ends with code 488, never connected, exits non-zero, no media event"
                      % (_x, _y))
PAIR_DESCS += [
    "optional -> off: connects unencrypted (media events of both sides encrypted false)",
    "optional -> off: the callee's recording holds >= %.1f s of the caller's 440 Hz tone"
    % TONE_MIN_S,
    "on the wire (SDP): optional offers RTP/AVP with a=crypto %s (in that order), mandatory "
    "RTP/SAVP with a=crypto, off none; each answer keeps the offer's profile and has exactly "
    "one a=crypto, of the suite both media events name (none for optional -> off)"
    % ", ".join(OPTIONAL_SUITES),
    "on the wire (RTP, both ways in every connected pair): SRTP payloads are whole 10 ms G.711 "
    "frames plus the suite's authentication tag and look random; optional -> off carries plain "
    "G.711 (whole frames, no tag)",
]
TLS_DESCS = [
    "TLS, --srtp default, call sips:a@127.0.0.1:P --tls-ca CA -> listen --transport tls: "
    "connects, both sides' media events encrypted true with the same suite, the callee records "
    ">= %.1f s of 440 Hz" % TONE_MIN_S,
    "TLS, --srtp default, call sip:a@127.0.0.1:P --transport tls --tls-ca CA -> listen "
    "--transport tls: the same (encrypted, same suite, tone recorded)",
    "UDP, --srtp default on both sides: connects, both sides' media events encrypted false, the "
    "callee records >= %.1f s of 440 Hz" % TONE_MIN_S,
]
BS_DESCS = [
    "Bellbird call --srtp mandatory -> baresip mediaenc=srtp-mand (answermode=auto): connects, "
    "call exits 0, Bellbird's media events encrypted true; baresip's 200 answers RTP/SAVP with "
    "one a=crypto, of that suite",
    "Bellbird mandatory -> baresip srtp-mand: Bellbird's recording holds >= %.1f s of "
    "baresip's 440 Hz aufile tone" % TONE_MIN_S,
    "Bellbird mandatory -> baresip srtp-mand: baresip's sndfile dump of what it decoded holds "
    ">= %.1f s of Bellbird's 440 Hz tone (Bellbird's SRTP decrypted by libre)" % TONE_MIN_S,
    "Bellbird call --srtp optional -> baresip mediaenc=srtp: connects, call exits 0, media "
    "events encrypted true; baresip's 200 answers RTP/AVP with one a=crypto, of that suite; "
    "Bellbird's recording holds >= %.1f s of baresip's tone" % TONE_MIN_S,
    "Bellbird optional -> baresip srtp: baresip's sndfile dump of what it decoded holds >= "
    "%.1f s of Bellbird's tone" % TONE_MIN_S,
    "Bellbird call --srtp optional -> baresip mediaenc=srtp-mand (which takes RTP/SAVP offers "
    "only): baresip answers the RTP/AVP offer with a=crypto 488; Bellbird calls again once, "
    "without a=crypto; 488 again; the call ends 488, never connected, exit non-zero",
    "baresip mediaenc=srtp-mand dials listen --srtp optional: connects, listen's media events "
    "encrypted true, its 200 answers RTP/SAVP with one a=crypto, a suite of baresip's offer",
    "baresip srtp-mand -> listen --srtp optional: listen's recording holds >= %.1f s of "
    "baresip's 440 Hz tone" % TONE_MIN_S,
    "baresip mediaenc=srtp (RTP/AVP with a=crypto) dials listen --srtp optional: encrypted, "
    "the 200 answers RTP/AVP with one a=crypto of baresip's offer; listen's recording holds "
    ">= %.1f s of baresip's tone" % TONE_MIN_S,
    "plain fallback: Bellbird call --srtp optional -> baresip without mediaenc: baresip answers "
    "RTP/AVP without a=crypto, the call connects unencrypted (media events encrypted false), "
    "Bellbird's recording holds >= %.1f s of baresip's tone" % TONE_MIN_S,
]


# --------------------------------------------------------------------------------------------
# Helpers

def enc_summary(evs):
    return ["encrypted=%s srtp=%s codec=%s" % (e.get("encrypted"), e.get("srtp"), e.get("codec"))
            for e in evs]


def both_encrypted(ea, eb):
    """(ok, suite): every media event of both sides encrypted with one and the same suite."""
    suites = {e.get("srtp") for e in ea + eb}
    ok = (bool(ea) and bool(eb) and all(e.get("encrypted") is True for e in ea + eb)
          and len(suites) == 1 and None not in suites and "" not in suites)
    return ok, (next(iter(suites)) if len(suites) == 1 else None)


def both_plain(ea, eb):
    return bool(ea) and bool(eb) and all(e.get("encrypted") is False for e in ea + eb)


def sdp_info(body):
    """SDP text -> {'port': int, 'proto': str, 'crypto': [suite, ...]} of its first m=audio, or
    None."""
    m = re.search(r"^m=audio (\d+) (\S+)", body, re.M)
    if not m:
        return None
    audio = body[m.start():]
    nxt = re.search(r"^m=", audio[2:], re.M)
    if nxt:
        audio = audio[:nxt.start() + 2]
    crypto = re.findall(r"^a=crypto:\d+ (\S+)", audio, re.M)
    return {"port": int(m.group(1)), "proto": m.group(2), "crypto": crypto}


def baresip_missing():
    if not ic.baresip_path():
        return "baresip not installed"
    lack = [m for m in ("g711", "aufile", "alsa", "menu", "account", "srtp")
            if not ic.baresip_has_module(m)]
    return "baresip modules missing: %s" % ", ".join(lack) if lack else None


def missing():
    return None if ic.bellbird_cli() else "BELLBIRD_CLI not set or not executable"


# --------------------------------------------------------------------------------------------
# A loopback sniffer (AF_PACKET on lo; needs CAP_NET_RAW: without it the wire checks skip)

class Sniffer:
    ETH_P_ALL = 3
    PACKET_OUTGOING = 4

    def __init__(self):
        self.packets = []          # (monotonic time, proto 'udp'|'tcp', sport, dport, payload)
        self.error = None
        self._stop = False
        self._thread = None
        try:
            self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                      socket.htons(self.ETH_P_ALL))
            self.sock.bind(("lo", 0))
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
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
            if len(data) < 34 or data[12:14] != b"\x08\x00":
                continue
            ip = data[14:]
            ihl = (ip[0] & 15) * 4
            proto = ip[9]
            seg = ip[ihl:struct.unpack("!H", ip[2:4])[0]]
            if proto == 17 and len(seg) >= 8:
                sport, dport = struct.unpack("!HH", seg[:4])
                self.packets.append((time.monotonic(), "udp", sport, dport, bytes(seg[8:])))
            elif proto == 6 and len(seg) >= 20:
                sport, dport = struct.unpack("!HH", seg[:4])
                off = (seg[12] >> 4) * 4
                if len(seg) > off:
                    self.packets.append((time.monotonic(), "tcp", sport, dport, bytes(seg[off:])))

    def stop(self):
        self._stop = True
        if self._thread:
            self._thread.join(2)
        if self.sock:
            self.sock.close()

    # --- SIP and RTP of one callee port ---

    def sdp_exchange(self, sip_port):
        """(offer info, answer info) of the first INVITE to sip_port and the first 200 to an
        INVITE from it, as seen on the wire (None when not seen)."""
        offer = answer = None
        for _, _, sport, dport, data in list(self.packets):
            head, sep, body = data.partition(b"\r\n\r\n")
            if not sep:
                continue
            text = head.decode("latin-1")
            if offer is None and dport == sip_port and text.startswith("INVITE "):
                offer = sdp_info(body.decode("latin-1"))
            elif (answer is None and sport == sip_port and text.startswith("SIP/2.0 200")
                  and re.search(r"^CSeq:\s*\d+\s+INVITE", text, re.M | re.I)):
                answer = sdp_info(body.decode("latin-1"))
        return offer, answer

    def rtp_flow(self, dport):
        """G.711 RTP (payload type 0 or 8) sent to dport over UDP -> [payload bytes]."""
        out = []
        for _, proto, _, dp, data in list(self.packets):
            if proto != "udp" or dp != dport or len(data) < 12 or data[0] >> 6 != 2:
                continue
            if data[1] & 0x7f not in (0, 8):
                continue
            hdr = 12 + 4 * (data[0] & 15)
            if data[0] & 0x10 and len(data) >= hdr + 4:
                hdr += 4 + 4 * struct.unpack("!H", data[hdr + 2:hdr + 4])[0]
            out.append(data[hdr:])
        return out


def flow_verdict(payloads, suite):
    """(ok, text): payloads of one direction against a suite (None: plain G.711)."""
    if len(payloads) < 20:
        return False, "%d G.711 packets" % len(payloads)
    tag = TAG_LEN.get(suite, None) if suite else 0
    lens = sorted({len(p) for p in payloads})
    distinct = sum(len(set(p[:160])) for p in payloads) / float(len(payloads))
    text = ("%d packets, payload lengths %s, %.0f distinct byte values per payload on average"
            % (len(payloads), lens, distinct))
    if tag is None:
        return False, text + " (unknown suite %s)" % suite
    whole = all(len(p) > tag and (len(p) - tag) % 80 == 0 for p in payloads)
    if suite:
        # An encrypted payload looks random (~119 distinct values in 160 bytes); G.711 of a
        # tone or of silence repeats a few dozen codes at most.
        return whole and distinct >= 90, text + " (tag %d: whole frames + tag %s)" % (tag, whole)
    return whole, text + " (plain: whole frames %s)" % whole


# --------------------------------------------------------------------------------------------
# 1. Bellbird with Bellbird, every policy pair

def start_pair(peers, d, caller, callee):
    name = "%s-%s" % (caller, callee)
    out = os.path.join(d, "out-%s.wav" % name)
    port = ic.free_port()
    li = ic.start_listen(peers, "listen-" + name, port, transport="udp",
                         extra=["--auto-answer", "--max-calls", "1", "--srtp", callee,
                                "--audio-in", "tone", "--audio-out", out], duration=15)
    return {"caller": caller, "callee": callee, "name": name, "listen": li, "port": port,
            "out": out}


@T.case(PAIR_DESCS)
def case_pairs(tap, peers):
    d = peers.mkdtemp("pairs")
    sniffer = Sniffer()
    try:
        pairs = [start_pair(peers, d, x, y) for x, y in ENC_PAIRS + REFUSED_PAIRS + [PLAIN_PAIR]]
        for p in pairs:
            p["up"] = ic.wait_listening(p["listen"], "UDP", p["port"], 5)
        for p in pairs:
            p["call"] = ic.start_call(peers, "call-" + p["name"], uri("a", p["port"]),
                                      duration=CALL_S,
                                      # G.711 without RED: the wire check below
                                      # reads whole G.711 frames (+ the tag)
                                      extra=["--srtp", p["caller"], "--audio-in", "tone",
                                             "--audio-out", "none", "--codecs", "PCMU,PCMA",
                                             "--fec", "off"])
        for p in pairs:
            p["crc"] = finish(p["call"], 15)
        for p in pairs:
            p["lrc"] = finish(p["listen"], 5)
        time.sleep(0.2)
    finally:
        sniffer.stop()

    def diag(p, extra=()):
        return (["listening %s, listen exit %s, listen states %s; call exit %s, call states %s"
                 % (p["up"], p["lrc"], states(p["listen"]), p["crc"], states(p["call"]))]
                + ["caller media: %s" % s for s in enc_summary(media_events(p["call"]))]
                + ["callee media: %s" % s for s in enc_summary(media_events(p["listen"]))]
                + list(extra) + p["call"].diag() + p["listen"].diag())

    by = {(p["caller"], p["callee"]): p for p in pairs}
    for x, y in ENC_PAIRS:
        p = by[(x, y)]
        ea, eb = media_events(p["call"]), media_events(p["listen"])
        ok, suite = both_encrypted(ea, eb)
        p["suite"] = suite
        tap.ok(p["up"] and p["crc"] == 0 and "connected" in states(p["call"])
               and "connected" in states(p["listen"]) and ok, PAIR_DESCS[ENC_PAIRS.index((x, y)) * 2],
               lambda p=p: diag(p))
        rec = tm.Rec(p["out"], 440)
        p["tone"] = rec.tone_seconds()
        tap.ok(rec.tone_seconds() >= TONE_MIN_S, PAIR_DESCS[ENC_PAIRS.index((x, y)) * 2 + 1],
               lambda p=p, rec=rec: [rec.summary()] + rec.window_lines() + diag(p))
        tap.note("%s -> %s: suite %s; callee's %s" % (x, y, suite, rec.summary()))

    base = len(ENC_PAIRS) * 2
    for i, (x, y) in enumerate(REFUSED_PAIRS):
        p = by[(x, y)]
        ce, le = ic.call_events(p["call"]), ic.call_events(p["listen"])
        last_c, last_l = (ce or [{}])[-1], (le or [{}])[-1]
        tap.ok(p["up"] and "connected" not in states(p["call"])
               and "connected" not in states(p["listen"])
               and last_c.get("state") == "ended" and last_c.get("code") == 488
               and last_l.get("state") == "ended" and last_l.get("code") == 488
               and p["crc"] not in (0, None) and not media_events(p["call"])
               and not media_events(p["listen"]), PAIR_DESCS[base + i],
               lambda p=p, last_c=last_c, last_l=last_l: diag(
                   p, ["caller's last call event %s" % last_c,
                       "callee's last call event %s" % last_l]))
        tap.note("%s -> %s: caller ended %s %r; callee ended %s %r"
                 % (x, y, last_c.get("code"), last_c.get("reason"), last_l.get("code"),
                    last_l.get("reason")))

    base += len(REFUSED_PAIRS)
    p = by[PLAIN_PAIR]
    ea, eb = media_events(p["call"]), media_events(p["listen"])
    tap.ok(p["up"] and p["crc"] == 0 and "connected" in states(p["call"]) and both_plain(ea, eb),
           PAIR_DESCS[base], lambda: diag(p))
    rec = tm.Rec(p["out"], 440)
    p["suite"] = None
    p["tone"] = rec.tone_seconds()
    tap.ok(rec.tone_seconds() >= TONE_MIN_S, PAIR_DESCS[base + 1],
           lambda: [rec.summary()] + rec.window_lines() + diag(p))
    tap.note("optional -> off: callee's %s" % rec.summary())

    # On the wire
    if sniffer.error:
        tap.skip(PAIR_DESCS[base + 2], sniffer.error)
        tap.skip(PAIR_DESCS[base + 3], sniffer.error)
        return
    sdp_ok, sdp_facts = True, []
    for p in pairs:
        offer, answer = sniffer.sdp_exchange(p["port"])
        p["offer"], p["answer"] = offer, answer
        want = {"optional": ("RTP/AVP", OPTIONAL_SUITES), "off": ("RTP/AVP", [])}.get(p["caller"])
        if offer is None:
            good = False
        elif p["caller"] == "mandatory":
            good = offer["proto"] == "RTP/SAVP" and len(offer["crypto"]) >= 1
        else:
            good = (offer["proto"], offer["crypto"]) == want
        refused = (p["caller"], p["callee"]) in REFUSED_PAIRS
        if refused:
            agood = answer is None
        elif answer is None:
            agood = False
        else:
            agood = (answer["proto"] == offer["proto"]
                     and answer["crypto"] == ([p["suite"]] if p["suite"] else []))
        sdp_ok = sdp_ok and good and agood
        sdp_facts.append("%s -> %s: offer %s; answer %s%s"
                         % (p["caller"], p["callee"], offer, answer,
                            "" if good and agood else "  <-- not as expected"))
    tap.ok(sdp_ok, PAIR_DESCS[base + 2],
           lambda: sdp_facts + ["%d packets sniffed on lo" % len(sniffer.packets)])
    tap.note(*["SDP " + f for f in sdp_facts])

    rtp_ok, rtp_facts = True, []
    for p in pairs:
        if (p["caller"], p["callee"]) in REFUSED_PAIRS:
            continue
        if not p["offer"] or not p["answer"]:
            rtp_ok = False
            rtp_facts.append("%s: no offer/answer seen on the wire" % p["name"])
            continue
        for label, port in (("caller -> callee", p["answer"]["port"]),
                            ("callee -> caller", p["offer"]["port"])):
            ok, text = flow_verdict(sniffer.rtp_flow(port), p["suite"])
            rtp_ok = rtp_ok and ok
            rtp_facts.append("%s -> %s (%s), %s to port %d: %s%s"
                             % (p["caller"], p["callee"], p["suite"] or "plain", label, port,
                                text, "" if ok else "  <-- not as expected"))
    tap.ok(rtp_ok, PAIR_DESCS[base + 3], rtp_facts)
    tap.note(*["RTP " + f for f in rtp_facts])


# --------------------------------------------------------------------------------------------
# 2. The default policy: SRTP over TLS, none over UDP

@T.case(TLS_DESCS)
def case_default(tap, peers):
    d = peers.mkdtemp("tls")
    if not ic.openssl_path():
        tap.skip_rest(TLS_DESCS[:2], "openssl CLI not found (needed to make test certificates)")
        certs = None
    else:
        certs = ic.make_certs(d)
    runs = []
    variants = []
    if certs:
        variants += [("sips", TLS_DESCS[0]), ("tls", TLS_DESCS[1])]
    variants.append(("udp", TLS_DESCS[2]))
    for kind, desc in variants:
        out = os.path.join(d, "out-%s.wav" % kind)
        port = ic.free_port()
        common = ["--auto-answer", "--max-calls", "1", "--audio-in", "tone", "--audio-out", out]
        if kind == "udp":
            li = ic.start_listen(peers, "listen-udp", port, transport="udp", extra=common,
                                 duration=15)
        else:
            li = ic.start_listen(peers, "listen-" + kind, port, transport="tls",
                                 extra=common + ["--tls-cert", certs["server"], "--tls-key",
                                                 certs["server_key"]], duration=15)
        runs.append({"kind": kind, "desc": desc, "listen": li, "port": port, "out": out})
    for r in runs:
        r["up"] = ic.wait_listening(r["listen"], "UDP" if r["kind"] == "udp" else "TLS",
                                    r["port"], 5)
    for r in runs:
        extra = ["--audio-in", "tone", "--audio-out", "none"]
        if r["kind"] == "sips":
            target = uri("a", r["port"], "sips")
            extra += ["--tls-ca", certs["ca"]]
        elif r["kind"] == "tls":
            target = uri("a", r["port"])
            extra += ["--transport", "tls", "--tls-ca", certs["ca"]]
        else:
            target = uri("a", r["port"])
        r["call"] = ic.start_call(peers, "call-" + r["kind"], target, duration=CALL_S,
                                  extra=extra)
    for r in runs:
        r["crc"] = finish(r["call"], 15)
    for r in runs:
        r["lrc"] = finish(r["listen"], 5)
    for r in runs:
        ea, eb = media_events(r["call"]), media_events(r["listen"])
        rec = tm.Rec(r["out"], 440)
        if r["kind"] == "udp":
            enc_ok, suite = both_plain(ea, eb), None
        else:
            enc_ok, suite = both_encrypted(ea, eb)
        tap.ok(r["up"] and r["crc"] == 0 and "connected" in states(r["call"]) and enc_ok
               and rec.tone_seconds() >= TONE_MIN_S, r["desc"],
               lambda r=r, rec=rec, ea=ea, eb=eb:
               ["listening %s, listen exit %s, call exit %s, call states %s"
                % (r["up"], r["lrc"], r["crc"], states(r["call"]))]
               + ["caller media: %s" % s for s in enc_summary(ea)]
               + ["callee media: %s" % s for s in enc_summary(eb)]
               + [rec.summary()] + rec.window_lines() + r["call"].diag() + r["listen"].diag())
        tap.note("default policy, %s: encrypted %s, suite %s; callee's %s"
                 % (r["kind"], [e.get("encrypted") for e in ea + eb], suite, rec.summary()))


# --------------------------------------------------------------------------------------------
# 3. baresip with SRTP (and without)

def baresip_dir(peers, name, port, account):
    """A baresip directory (ic.write_baresip_config) with srtp.so loaded before the account
    module (the account's mediaenc is looked up when the account is read) and, when present,
    sndfile.so dumping every call's audio into the directory."""
    d = peers.mkdtemp(name)
    wav = ic.write_wav(os.path.join(d, "tone.wav"), 15)
    ic.write_baresip_config(d, port, account, wav)
    cfg = os.path.join(d, "config")
    lines = ic.read_text(cfg).splitlines()
    first_mod = next(i for i, l in enumerate(lines) if l.startswith("module "))
    extra = ["module srtp.so"]
    if ic.baresip_has_module("sndfile"):
        extra += ["module sndfile.so", "snd_path %s" % d]
    lines[first_mod:first_mod] = extra
    with open(cfg, "w") as f:
        f.write("\n".join(lines) + "\n")
    return d


def dump_rec(d, kind):
    """tm.Rec of baresip's sndfile dump-*-KIND.wav in d (the longest), or None."""
    files = [os.path.join(d, f) for f in os.listdir(d)
             if f.startswith("dump-") and f.endswith("-%s.wav" % kind)]
    if not files:
        return None
    return max((tm.Rec(f, 440) for f in files), key=lambda r: r.seconds)


def bs_sdp(bs, port, direction, what):
    """SDP info of the first INVITE (what='offer') or 200/INVITE (what='answer') in baresip's
    trace, sent or received by baresip."""
    for m in tcb.baresip_trace(bs.stdout(), port):
        if m["dir"] != direction:
            continue
        if what == "offer" and tcb.first_word(m) == "INVITE":
            return sdp_info(tcb.sdp_of(m))
        if what == "answer" and tcb.status(m) == 200 and tcb.cseq_method(m) == "INVITE":
            return sdp_info(tcb.sdp_of(m))
    return None


def bs_invites(bs, port):
    """[(INVITE sdp info, status of baresip's final response to it or None)] of the INVITEs
    baresip received, in order."""
    msgs = tcb.baresip_trace(bs.stdout(), port)
    out = []
    for m in msgs:
        if m["dir"] == "received" and tcb.first_word(m) == "INVITE":
            cseq = ic.header(m, "CSeq")
            final = next((tcb.status(r) for r in msgs if r["dir"] == "sent"
                          and (tcb.status(r) or 0) >= 200 and ic.header(r, "CSeq") == cseq), None)
            out.append((sdp_info(tcb.sdp_of(m)), final, ic.header(m, "Call-ID")))
    return out


# Bellbird calls baresip: (key, baresip mediaenc, Bellbird --srtp)
BS_OUT = [("mand", "srtp-mand", "mandatory"), ("opt", "srtp", "optional"),
          ("opt-mand", "srtp-mand", "optional"), ("plain", None, "optional")]
# baresip calls listen --srtp optional: (key, baresip mediaenc)
BS_IN = [("in-mand", "srtp-mand"), ("in-opt", "srtp")]


@T.case(BS_DESCS)
def case_baresip(tap, peers):
    reason = baresip_missing()
    if reason:
        tap.skip_rest(BS_DESCS, reason)
        return
    runs = {}
    # Every run at once, each on ports of its own: the answering baresips first.
    for key, menc, policy in BS_OUT:
        port = ic.free_port(span=10)
        acc = "<sip:b@%s:%d>;regint=0;answermode=auto" % (ic.LOOPBACK, port)
        d = baresip_dir(peers, "baresip-" + key, port, acc + (";mediaenc=" + menc if menc else ""))
        runs[key] = {"bs": ic.start_baresip(peers, "baresip-" + key, d), "port": port, "dir": d,
                     "heard": os.path.join(d, "heard.wav"), "policy": policy, "menc": menc}
    for key, menc in BS_IN:
        d = peers.mkdtemp("listen-" + key)
        out = os.path.join(d, "out.wav")
        lport = ic.free_port()
        li = ic.start_listen(peers, "listen-" + key, lport, transport="udp",
                             extra=["--auto-answer", "--max-calls", "1", "--srtp", "optional",
                                    "--audio-in", "tone", "--audio-out", out], duration=15)
        runs[key] = {"listen": li, "lport": lport, "out": out, "menc": menc}
    for key, menc in BS_IN:
        r = runs[key]
        r["up"] = ic.wait_listening(r["listen"], "UDP", r["lport"], 5)
        port = ic.free_port(span=10)
        d = baresip_dir(peers, "baresip-" + key, port, "<sip:a@%s:%d>;regint=0;mediaenc=%s"
                        % (ic.LOOPBACK, port, menc))
        r.update(port=port, dir=d)
        r["bs"] = ic.start_baresip(peers, "baresip-" + key, d,
                                   extra=["-e", "/dial %s" % uri("x", r["lport"]),
                                          "-t", "%d" % (5 + round(SANITIZER_S))])
    for key, _, _ in BS_OUT:
        r = runs[key]
        r["up"] = (r["bs"].wait_line(lambda l: "baresip is ready" in l, 8) is not None
                   and ic.wait_bound(r["port"], "udp", 3))
        r["call"] = ic.start_call(peers, "call-" + key, uri("b", r["port"]), duration=3,
                                  extra=["--srtp", r["policy"], "--audio-in", "tone",
                                         "--audio-out", r["heard"]])
    for key, _, _ in BS_OUT:
        runs[key]["crc"] = finish(runs[key]["call"], 15)
    for key, _, _ in BS_OUT:
        runs[key]["bs"].wait_line(lambda l: "terminated" in l, 2)
        ic.stop_baresip(runs[key]["bs"])
    for key, _ in BS_IN:
        r = runs[key]
        r["brc"] = r["bs"].wait(12)
        if r["brc"] is None:
            ic.stop_baresip(r["bs"])
        r["lrc"] = finish(r["listen"], 5)

    def out_facts(r):
        ev = media_events(r["call"])
        r["ev"] = ev
        r["offer"] = bs_sdp(r["bs"], r["port"], "received", "offer")
        r["answer"] = bs_sdp(r["bs"], r["port"], "sent", "answer")
        r["suite"] = ev[-1].get("srtp") if ev else None
        r["rec"] = tm.Rec(r["heard"], 440)
        r["dec"] = dump_rec(r["dir"], "dec")
        r["diag"] = lambda: (["baresip (mediaenc=%s) up %s; call --srtp %s exit %s, states %s"
                              % (r["menc"], r["up"], r["policy"], r["crc"], states(r["call"]))]
                             + ["Bellbird media: %s" % s for s in enc_summary(ev)]
                             + ["Bellbird's offer %s" % r["offer"],
                                "baresip's answer %s" % r["answer"],
                                "INVITEs baresip got (offer, its final status, Call-ID): %s"
                                % bs_invites(r["bs"], r["port"])]
                             + r["call"].diag() + r["bs"].diag(60))
        return r

    def encrypted_out(r, proto):
        return (r["up"] and r["crc"] == 0 and "connected" in states(r["call"]) and r["ev"]
                and all(e.get("encrypted") is True for e in r["ev"]) and r["answer"] is not None
                and r["answer"]["proto"] == proto and r["answer"]["crypto"] == [r["suite"]])

    def dec_line(r, desc):
        dec = r["dec"]
        if not ic.baresip_has_module("sndfile"):
            tap.skip(desc, "baresip module sndfile missing")
            return
        tap.ok(dec is not None and dec.tone_seconds() >= TONE_MIN_S, desc,
               lambda: ([dec.summary()] + dec.window_lines() if dec else
                        ["no dump-*-dec.wav in %s: %s" % (r["dir"], sorted(os.listdir(r["dir"])))])
               + r["diag"]())

    def out_note(key, r):
        tap.note("Bellbird --srtp %s -> baresip mediaenc=%s: offer %s; baresip's answer %s; "
                 "Bellbird's media %s" % (r["policy"], r["menc"], r["offer"], r["answer"],
                                          enc_summary(r["ev"])),
                 "  Bellbird's %s" % r["rec"].summary(),
                 "  baresip's decoded %s" % (r["dec"].summary() if r["dec"] else "dump: none"))

    # Bellbird mandatory -> baresip srtp-mand
    r = out_facts(runs["mand"])
    tap.ok(encrypted_out(r, "RTP/SAVP"), BS_DESCS[0], r["diag"])
    tap.ok(r["rec"].tone_seconds() >= TONE_MIN_S, BS_DESCS[1],
           lambda: [r["rec"].summary()] + r["rec"].window_lines() + r["diag"]())
    dec_line(r, BS_DESCS[2])
    out_note("mand", r)

    # Bellbird optional -> baresip srtp
    r2 = out_facts(runs["opt"])
    tap.ok(encrypted_out(r2, "RTP/AVP") and r2["rec"].tone_seconds() >= TONE_MIN_S, BS_DESCS[3],
           lambda: [r2["rec"].summary()] + r2["rec"].window_lines() + r2["diag"]())
    dec_line(r2, BS_DESCS[4])
    out_note("opt", r2)

    # Bellbird optional -> baresip srtp-mand: 488, the documented retry without a=crypto, 488
    r3 = out_facts(runs["opt-mand"])
    inv = bs_invites(r3["bs"], r3["port"])
    last = (ic.call_events(r3["call"]) or [{}])[-1]
    shape = [(i[0]["proto"] if i[0] else None, bool(i[0] and i[0]["crypto"]), i[1]) for i in inv]
    tap.ok(r3["up"] and shape == [("RTP/AVP", True, 488), ("RTP/AVP", False, 488)]
           and "connected" not in states(r3["call"]) and last.get("state") == "ended"
           and last.get("code") == 488 and r3["crc"] not in (0, None), BS_DESCS[5],
           lambda: ["INVITEs baresip got (profile, with a=crypto, its final status): %s"
                    % shape, "Bellbird's last call event %s" % last] + r3["diag"]())
    tap.note("Bellbird --srtp optional -> baresip mediaenc=srtp-mand: INVITEs (profile, with "
             "a=crypto, baresip's final status) %s; Call-IDs %s; Bellbird's call ended %s %r"
             % (shape, [i[2] for i in inv], last.get("code"), last.get("reason")))

    # baresip -> listen --srtp optional
    for key, proto, descs in (("in-mand", "RTP/SAVP", BS_DESCS[6:8]),
                              ("in-opt", "RTP/AVP", BS_DESCS[8:9])):
        r = runs[key]
        ev = media_events(r["listen"])
        boff = bs_sdp(r["bs"], r["port"], "sent", "offer")
        bans = bs_sdp(r["bs"], r["port"], "received", "answer")
        suite = ev[-1].get("srtp") if ev else None
        rec = tm.Rec(r["out"], 440)
        ok = (r["up"] and "connected" in states(r["listen"]) and bool(ev)
              and all(e.get("encrypted") is True for e in ev) and boff is not None
              and bans is not None and boff["proto"] == proto and bans["proto"] == proto
              and bans["crypto"] == [suite] and suite in boff["crypto"])
        diag = (lambda r=r, ev=ev, boff=boff, bans=bans, rec=rec:
                ["listening %s, listen exit %s, states %s, baresip (mediaenc=%s) exit %s"
                 % (r["up"], r["lrc"], states(r["listen"]), r["menc"], r["brc"])]
                + ["listen media: %s" % s for s in enc_summary(ev)]
                + ["baresip's offer %s" % boff, "listen's answer %s" % bans, rec.summary()]
                + rec.window_lines() + r["listen"].diag() + r["bs"].diag(60))
        if len(descs) == 2:
            tap.ok(ok, descs[0], diag)
            tap.ok(rec.tone_seconds() >= TONE_MIN_S, descs[1], diag)
        else:
            tap.ok(ok and rec.tone_seconds() >= TONE_MIN_S, descs[0], diag)
        tap.note("baresip mediaenc=%s -> listen --srtp optional: baresip's offer %s; listen's "
                 "answer %s; media %s" % (r["menc"], boff, bans, enc_summary(ev)),
                 "  listen's %s" % rec.summary())

    # plain fallback
    r4 = out_facts(runs["plain"])
    tap.ok(r4["up"] and r4["crc"] == 0 and "connected" in states(r4["call"]) and r4["ev"]
           and all(e.get("encrypted") is False for e in r4["ev"]) and r4["answer"] is not None
           and r4["answer"]["proto"] == "RTP/AVP" and not r4["answer"]["crypto"]
           and r4["rec"].tone_seconds() >= TONE_MIN_S, BS_DESCS[9],
           lambda: [r4["rec"].summary()] + r4["rec"].window_lines() + r4["diag"]())
    out_note("plain", r4)


if __name__ == "__main__":
    T.run(missing)
