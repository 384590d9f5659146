#!/usr/bin/env python3
"""Interop: direct calls (no registrar) between bellbird-cli and baresip on 127.0.0.1 (TAP).

- bellbird-cli call sip:b@127.0.0.1:P --duration 2 -> baresip with account
  <sip:b@127.0.0.1:P>;regint=0;answermode=auto (aufile source from a generated WAV,
  alsa,null player, G.711 only).
- baresip -e "/dial sip:x@127.0.0.1:Q" -t 5 -> bellbird-cli listen --auto-answer --max-calls 1.

Bellbird offers and answers PCMU/PCMA (and telephone-event) with real RTP: the outgoing call
records what baresip plays (its aufile source, a 440 Hz tone) with --audio-out FILE.wav and the
test measures that tone in the recording. baresip's own SIP trace (-s, on its stdout) is parsed
for the signalling assertions.
"""

import re
import time

import interop_common as ic

OUT_DESCS = [
    "bellbird-cli call -> baresip (answermode=auto): call exits 0 after dialing -> connected -> "
    "ended ('hung up' after --duration 2)",
    "bellbird-cli call -> baresip: baresip's trace has bellbird's INVITE (SDP offering PCMU, PCMA "
    "and telephone-event/8000 among its formats, sendrecv, on a real port), its own 200 with an SDP answer, bellbird's "
    "ACK and BYE (in the dialog: Request-URI = baresip's Contact) and its 200 to the BYE; "
    "baresip counts a call of >= 1 s",
    "bellbird-cli call -> baresip: audio flows: bellbird's --audio-out WAV holds >= 1 s of "
    "baresip's 440 Hz tone (most of its power at 440 Hz)",
]
IN_DESCS = [
    "baresip /dial -> bellbird-cli listen --auto-answer --max-calls 1: incoming -> connected -> "
    "ended ('the other side hung up'), listen exits 0 by itself",
    "baresip /dial -> listen: baresip's trace has bellbird's 180 and 200 (SDP answer with audio "
    "PCMU or PCMA on a real port, not inactive), baresip's ACK and BYE, and bellbird's 200 to "
    "the BYE; baresip reports 'Call established'",
]
BYE_UDP_DESCS = [
    "callee hangs up (UDP): baresip (answermode=auto, -t 4) ends the call it answered; "
    "bellbird-cli call (--duration 10) gets the BYE: 'ended' with 'the other side hung up' well "
    "before its own --duration, exit 0",
]
BYE_TCP_DESCS = [
    "callee hangs up (TCP, sip:b@...;transport=tcp): baresip's BYE reaches bellbird-cli call "
    "('the other side hung up' before its own --duration 6)",
]
ALL_DESCS = OUT_DESCS + IN_DESCS + BYE_UDP_DESCS + BYE_TCP_DESCS

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_HOP = re.compile(r"^(UDP|TCP|TLS) (\S+) -> (\S+)$")


def missing():
    if not ic.bellbird_cli():
        return "BELLBIRD_CLI not set or not executable"
    if not ic.baresip_path():
        return "baresip not installed"
    lack = [m for m in ("g711", "aufile", "alsa", "menu", "account") if not ic.baresip_has_module(m)]
    if lack:
        return "baresip modules missing: %s" % ", ".join(lack)
    return None


def baresip_trace(text, own_port):
    """baresip -s output -> [{'dir': 'sent'|'received', 'text': message}] (sent = from
    baresip's own SIP port)."""
    out = []
    lines = _ANSI.sub("", text).replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        m = _HOP.match(lines[i].strip())
        if not m:
            i += 1
            continue
        i += 1
        body = []
        while i < len(lines) and not (lines[i].strip() == "#" or _HOP.match(lines[i].strip())):
            body.append(lines[i])
            i += 1
        sent = m.group(2).endswith(":%d" % own_port)
        out.append({"dir": "sent" if sent else "received", "text": "\n".join(body).strip("\n"),
                    "time": 0.0, "transport": m.group(1)})
    return out


def first_word(msg):
    return ic.first_line(msg).split(" ", 1)[0]


def status(msg):
    fl = ic.first_line(msg).split(" ")
    return int(fl[1]) if len(fl) > 1 and fl[0] == "SIP/2.0" and fl[1].isdigit() else None


def cseq_method(msg):
    v = (ic.header(msg, "CSeq") or "").split()
    return v[-1] if v else None


def sdp_of(msg):
    text = msg["text"]
    return text.split("\n\n", 1)[1] if "\n\n" in text else ""


def audio_rates(bs):
    """The highest tx/rx bit rates of baresip's status line ('audio=TX/RX (bit/s)')."""
    rates = [(int(a), int(b)) for a, b in re.findall(r"audio=(\d+)/(\d+)", ic.read_text(bs.out_path))]
    if not rates:
        return "none shown"
    return "%d/%d bit/s" % (max(r[0] for r in rates), max(r[1] for r in rates))


def ready_baresip(peers, name, port, account, extra=()):
    d = peers.mkdtemp(name)
    wav = ic.write_wav("%s/tone.wav" % d, 15)
    ic.write_baresip_config(d, port, account, wav)
    p = ic.start_baresip(peers, name, d, extra=extra)
    return p


def case_outgoing(tap, peers):
    port = ic.free_port(span=10)
    bs = ready_baresip(peers, "baresip-b", port, "<sip:b@%s:%d>;regint=0;answermode=auto"
                       % (ic.LOOPBACK, port))
    up = bs.wait_line(lambda l: "baresip is ready" in l, 8) is not None and \
        ic.wait_bound(port, "udp", 3)
    if not up:
        for d in OUT_DESCS:
            tap.ok(False, d, ["baresip did not come up"] + bs.diag())
        return
    heard = "%s/heard.wav" % peers.mkdtemp("heard")
    call = ic.start_call(peers, "call", "sip:b@%s:%d" % (ic.LOOPBACK, port), duration=2,
                         extra=["--audio-in", "tone", "--audio-out", heard])
    rc = call.wait(12)
    if rc is None:
        call.stop()
    bs.wait_line(lambda l: "terminated" in l, 3)
    ic.stop_baresip(bs)
    st = [e.get("state") for e in ic.call_events(call)]
    last = (ic.call_events(call) or [{}])[-1]
    tap.ok(rc == 0 and st[:1] == ["dialing"] and "connected" in st and st[-1:] == ["ended"]
           and last.get("reason") == "hung up", OUT_DESCS[0],
           lambda: ["call exit %s, states %s, last %s" % (rc, st, last)] + call.diag()
           + bs.diag(40))
    if last.get("state") == "ended" and "connected" not in st:
        tap.note("baresip refused the call: code %s reason %r" % (last.get("code"),
                                                                  last.get("reason")))
    msgs = baresip_trace(bs.stdout(), port)
    inv = [m for m in msgs if m["dir"] == "received" and first_word(m) == "INVITE"]
    ok200 = [m for m in msgs if m["dir"] == "sent" and status(m) == 200
             and cseq_method(m) == "INVITE"]
    ack = [m for m in msgs if m["dir"] == "received" and first_word(m) == "ACK"]
    bye = [m for m in msgs if m["dir"] == "received" and first_word(m) == "BYE"]
    bye200 = [m for m in msgs if m["dir"] == "sent" and status(m) == 200 and cseq_method(m) == "BYE"]
    contact = re.search(r"<([^>]+)>", ic.header(ok200[0], "Contact") or "") if ok200 else None
    ruri_ok = bool(contact and ack and bye
                   and ic.first_line(ack[0]).split(" ")[1] == contact.group(1)
                   and ic.first_line(bye[0]).split(" ")[1] == contact.group(1))
    dur = re.search(r"terminated \(duration: (\d+) secs\)", ic.read_text(bs.out_path))
    answer = sdp_of(ok200[0]) if ok200 else ""
    offer = sdp_of(inv[0]) if inv else ""
    m_line = re.search(r"^m=audio [1-9]\d* RTP/AVP ((?:\d+ ?)+)\s*$", offer, re.M)
    formats = m_line.group(1).split() if m_line else []
    offer_ok = ("0" in formats and "8" in formats and "a=sendrecv" in offer
                and re.search(r"^a=rtpmap:(\d+) telephone-event/8000", offer, re.M) is not None)
    tap.ok(offer_ok and ok200 and "m=audio" in answer and ruri_ok
           and bye200 and dur and int(dur.group(1)) >= 1, OUT_DESCS[1],
           lambda: ["INVITE %d, 200/INVITE %d, ACK %d, BYE %d, 200/BYE %d, in-dialog R-URI ok %s, "
                    "duration %s" % (len(inv), len(ok200), len(ack), len(bye), len(bye200), ruri_ok,
                                     dur.group(1) if dur else None)]
           + ["  %s %s" % (m["dir"], ic.first_line(m)) for m in msgs] + bs.diag(60))
    seconds, rms, share = ic.wav_tone(heard, 440)
    tap.ok(seconds >= 1.0 and rms > 300 and share > 0.5, OUT_DESCS[2],
           lambda: ["recording %s: %.2f s, rms %.0f, share at 440 Hz %.2f" % (heard, seconds, rms, share)]
           + call.diag() + bs.diag(40))
    tap.note("baresip's audio bit rates (tx/rx): %s" % audio_rates(bs))


def case_incoming(tap, peers):
    lport = ic.free_port()
    listen = ic.start_listen(peers, "listen", lport, transport="udp",
                             extra=["--auto-answer", "--max-calls", "1", "--audio-in", "tone",
                                    "--audio-out", "none"], duration=20)
    lready = ic.wait_listening(listen, "UDP", lport, 5)
    bport = ic.free_port(span=10)
    d = peers.mkdtemp("baresip-a")
    wav = ic.write_wav("%s/tone.wav" % d, 15)
    ic.write_baresip_config(d, bport, "<sip:a@%s:%d>;regint=0" % (ic.LOOPBACK, bport), wav)
    bs = ic.start_baresip(peers, "baresip-a", d,
                          extra=["-e", "/dial sip:x@%s:%d" % (ic.LOOPBACK, lport), "-t", "5"])
    brc = bs.wait(12)
    lrc = listen.wait(5)
    if lrc is None:
        listen.stop()
    if brc is None:
        ic.stop_baresip(bs)
    st = [e.get("state") for e in ic.call_events(listen)]
    last = (ic.call_events(listen) or [{}])[-1]
    tap.ok(lready and st == ["incoming", "connected", "ended"]
           and last.get("reason") == "the other side hung up" and lrc == 0, IN_DESCS[0],
           lambda: ["listening %s, listen exit %s, states %s, last %s, baresip exit %s"
                    % (lready, lrc, st, last, brc)] + listen.diag() + bs.diag(40))
    msgs = baresip_trace(bs.stdout(), bport)
    r180 = [m for m in msgs if m["dir"] == "received" and status(m) == 180]
    r200 = [m for m in msgs if m["dir"] == "received" and status(m) == 200
            and cseq_method(m) == "INVITE"]
    ack = [m for m in msgs if m["dir"] == "sent" and first_word(m) == "ACK"]
    bye = [m for m in msgs if m["dir"] == "sent" and first_word(m) == "BYE"]
    bye200 = [m for m in msgs if m["dir"] == "received" and status(m) == 200
              and cseq_method(m) == "BYE"]
    answer = sdp_of(r200[0]) if r200 else ""
    codec_ok = bool(re.search(r"^m=audio \d+ RTP/AVP (0|8)( \d+)?\s*$", answer, re.M))
    established = "Call established" in ic.read_text(bs.out_path)
    tap.ok(r180 and r200 and codec_ok and "a=inactive" not in answer and " 9 RTP" not in answer
           and ack and bye and bye200
           and established, IN_DESCS[1],
           lambda: ["180 %d, 200/INVITE %d (codec ok %s), ACK %d, BYE %d, 200/BYE %d, "
                    "established %s" % (len(r180), len(r200), codec_ok, len(ack), len(bye),
                                        len(bye200), established),
                    "bellbird's answer:"] + ["  " + l for l in answer.splitlines()]
           + ["  %s %s" % (m["dir"], ic.first_line(m)) for m in msgs] + bs.diag(60))
    tap.note("baresip's audio bit rates (tx/rx): %s" % audio_rates(bs))


def case_callee_bye(tap, peers, transport, descs):
    port = ic.free_port(span=10)
    bs = ready_baresip(peers, "baresip-bye-%s" % transport, port,
                       "<sip:b@%s:%d>;regint=0;answermode=auto" % (ic.LOOPBACK, port),
                       extra=["-t", "4"])
    up = bs.wait_line(lambda l: "baresip is ready" in l, 3) is not None and \
        ic.wait_bound(port, "udp", 2)
    uri = "sip:b@%s:%d" % (ic.LOOPBACK, port) + (";transport=tcp" if transport == "tcp" else "")
    duration = 10 if transport == "udp" else 6
    call = ic.start_call(peers, "call", uri, duration=duration)
    _, conn = ic.wait_event(call, ic.call_state("connected"), 5)
    t0 = time.monotonic()
    _, end = ic.wait_event(call, ic.call_state("ended"), duration + 3)
    took = time.monotonic() - t0
    rc = call.wait(3)
    if rc is None:
        call.stop()
    if bs.wait(3) is None:
        ic.stop_baresip(bs)
    cond = bool(up and conn and end and end.get("reason") == "the other side hung up"
                and took < duration - 1 and rc == 0)
    diag = (["baresip up %s, connected %s, ended %s after %.1f s, call exit %s"
             % (up, bool(conn), end, took, rc)] + call.diag() + bs.diag(40))
    tap.ok(cond, descs[0], diag)


CASES = ((case_outgoing, OUT_DESCS), (case_incoming, IN_DESCS),
         (lambda t, p: case_callee_bye(t, p, "udp", BYE_UDP_DESCS), BYE_UDP_DESCS),
         (lambda t, p: case_callee_bye(t, p, "tcp", BYE_TCP_DESCS), BYE_TCP_DESCS))


if __name__ == "__main__":
    ic.run_cases(CASES, ALL_DESCS, missing)
