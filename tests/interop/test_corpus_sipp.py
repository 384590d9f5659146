#!/usr/bin/env python3
"""Interop: the third-party sipp scenarios of ../shared/corpus/sipp/thirdparty/ that apply to
what Bellbird does today, run as they are, read from the corpus (never copied here) (TAP).

- drachtio-srf/uas-auth-register.xml: a registrar challenging with Digest (no qop) and checking
  the answer with <verifyauth> foo/bar -> `bellbird-cli register` is registered.
- asterisk-testsuite/uas-401-challenge-md5-qop-options.xml: OPTIONS challenged with MD5,
  qop=auth and opaque, verified (optuser/optpasswd) -> `bellbird-cli options` gets 200.
- asterisk-testsuite/uas-401-multi-realm-multi-algorithm-options.xml: one 401 with six
  challenges for two realms (sha256, md5 and a bogus sha256-512) -> Bellbird answers the realms
  it can, its first Authorization for realm "ast" -> 200.
- drachtio-srf/uas-cancel.xml: a callee that only rings and waits for a CANCEL -> `bellbird-cli
  call`, interrupted while ringing, cancels (200 to the CANCEL, 487, ACK).
- drachtio-srf/uas-auth.xml: 407 to the INVITE -> `call --user --password-env` sends it again
  with Proxy-Authorization, is answered, hangs up after --duration.
- asterisk-testsuite/uas-180-183-sdp-early-media-then-200.xml: 100, 180, 183 with SDP, 200 ->
  the call connects and hangs up. The scenario checks that the caller's Contact user is
  "asterisk": called from the account sip:asterisk@127.0.0.1, our Contact names that user.
- asterisk-testsuite/uas-forked-early-media-183-200-different-tags.xml: 183 under one To tag,
  200 under another (a fork) -> the call connects in the 200's dialog: ACK and BYE carry its tag.

Not run: asterisk-testsuite/uas-answer-then-bye.xml. Under Debian's sipp 3.6 its BYE is
malformed twice over: the Request-URI is sip:service@:5060 (no remote host when sipp is the
UAS) and its To holds two name-addrs (its ereg assigns the whole From to remote_tag). Bellbird
drops it (no To to answer to); a callee's BYE is covered by test_calls_baresip.py instead.
Not run: drachtio-srf/uas-302.xml, whose Contact is 172.29.0.13: following it would send
traffic off loopback. test_calls_sipp.py's call_uas_302.xml redirects to loopback instead.

Skipped (as passed) when the corpus or sipp is not there, e.g. on a user's machine.
"""

import os
import signal
import time

import interop_common as ic

CORPUS = os.environ.get("BELL_CORPUS_DIR", "")
THIRDPARTY = os.path.join(CORPUS, "sipp", "thirdparty")

CASES = [
    "drachtio uas-auth-register: register answers the Digest challenge and is registered",
    "drachtio uas-auth-register: sipp ran its scenario to the end (exit 0)",
    "asterisk md5 qop options: options answers 401 (MD5, qop=auth, opaque) and gets 200",
    "asterisk md5 qop options: sipp verified the answer (exit 0)",
    "asterisk multi-realm options: options picks usable challenges among six and gets 200",
    "asterisk multi-realm options: sipp accepted the answer (exit 0)",
    "drachtio uas-cancel: call interrupted while ringing ends with 487 (exit 1, cancelled)",
    "drachtio uas-cancel: sipp saw the CANCEL and the ACK for the 487 (exit 0)",
    "drachtio uas-auth: call answers the 407 with the account's password and the call connects "
    "(exit 0)",
    "drachtio uas-auth: sipp got the ACK of the 407, the authenticated INVITE, ACK and BYE (exit 0)",
    "asterisk 180-183-sdp-early-media-then-200: the call connects after early media (exit 0)",
    "asterisk 180-183-sdp-early-media-then-200: sipp got ACK and BYE (exit 0)",
    "asterisk forked-early-media 183/200 different tags: the call connects (exit 0)",
    "asterisk forked-early-media 183/200 different tags: sipp got ACK and BYE (exit 0)",
    "asterisk forked-early-media 183/200 different tags: the ACK and the BYE carry the 200's To "
    "tag, not the 183's",
]


def start_corpus_sipp(peers, name, scenario, port):
    d = peers.mkdtemp(name)
    companion = ic.free_port(span=4)
    argv = [ic.sipp_path(), "-sf", os.path.join(THIRDPARTY, scenario),
            "-p", str(port), "-i", ic.LOOPBACK, "-t", "u1", "-m", "1", "-nostdin",
            "-trace_msg", "-message_file", os.path.join(d, "messages.log"),
            "-timeout", "15s", "-timeout_error", "-mp", str(companion), "-cp", str(companion + 3)]
    p = peers.start(name, argv, cwd=d)
    p.msg_path = os.path.join(d, "messages.log")
    p.errlog_path = ""
    return p


def run_pair(tap, peers, name, scenario, cli_args, env, expect_rc, desc_cli, desc_sipp,
             interrupt_after=None):
    port = ic.free_port()
    sipp = start_corpus_sipp(peers, name, scenario, port)
    ic.wait_bound(port, "udp", 5.0)
    argv = [ic.bellbird_cli()] + [a.replace("PORT", str(port)) for a in cli_args]
    cli = peers.start(name + "-bellbird", argv, env=env, collect=True)
    if interrupt_after:
        time.sleep(interrupt_after)
        cli.p.send_signal(signal.SIGINT)
    rc = cli.wait(ic.bounded(20))
    tap.ok(rc == expect_rc, desc_cli, lambda: ["bellbird-cli exit: %r" % rc] + cli.diag(20))
    src = sipp.wait(ic.bounded(20))
    tap.ok(src == 0, desc_sipp, lambda: ["sipp exit: %r" % src] + ic.sipp_diag(sipp))
    return sipp


def body(tap):
    if not ic.bellbird_cli():
        tap.skip_rest(CASES, "BELLBIRD_CLI is not set")
        return
    if not CORPUS or not os.path.isdir(THIRDPARTY):
        tap.skip_rest(CASES, "corpus not found")
        return
    if not ic.sipp_path():
        tap.skip_rest(CASES, "sipp (package sip-tester) is not installed")
        return
    env = dict(os.environ)
    with ic.Peers() as peers:
        # The scenario ends at its 200 and does not expect our un-REGISTER: stop Bellbird
        # without one (SIGKILL) once it reports "registered".
        env["BELL_PW"] = "bar"
        port = ic.free_port()
        sipp = start_corpus_sipp(peers, "reg-auth", "drachtio-srf/uas-auth-register.xml", port)
        ic.wait_bound(port, "udp", 5.0)
        cli = peers.start("reg-auth-bellbird",
                          [ic.bellbird_cli(), "register", "--events", "--user", "sip:foo@127.0.0.1",
                           "--password-env", "BELL_PW", "--registrar", "sip:127.0.0.1:%d" % port,
                           "--bind", "127.0.0.1:0"], env=dict(env), collect=True)
        line = cli.wait_line(lambda l: '"state":"registered"' in l or '"state":"failed"' in l,
                             ic.bounded(15))
        tap.ok(line is not None and '"registered"' in line, CASES[0],
               lambda: ["event: %r" % line] + cli.diag(20))
        src = sipp.wait(ic.bounded(15))
        cli.p.kill()
        tap.ok(src == 0, CASES[1], lambda: ["sipp exit: %r" % src] + ic.sipp_diag(sipp))
    with ic.Peers() as peers:
        env["BELL_PW"] = "optpasswd"
        run_pair(tap, peers, "opt-md5", "asterisk-testsuite/uas-401-challenge-md5-qop-options.xml",
                 ["options", "sip:127.0.0.1:PORT", "--user", "sip:optuser@127.0.0.1",
                  "--password-env", "BELL_PW", "--bind", "127.0.0.1:0"],
                 dict(env), 0, CASES[2], CASES[3])
    with ic.Peers() as peers:
        env["BELL_PW"] = "any"   # the scenario checks user names and realms, not the hash
        run_pair(tap, peers, "opt-multi",
                 "asterisk-testsuite/uas-401-multi-realm-multi-algorithm-options.xml",
                 ["options", "sip:127.0.0.1:PORT", "--user", "sip:astuser@127.0.0.1",
                  "--password-env", "BELL_PW", "--bind", "127.0.0.1:0"],
                 dict(env), 0, CASES[4], CASES[5])
    with ic.Peers() as peers:
        run_pair(tap, peers, "cancel", "drachtio-srf/uas-cancel.xml",
                 ["call", "sip:callee@127.0.0.1:PORT", "--bind", "127.0.0.1:0"],
                 dict(env), 1, CASES[6], CASES[7], interrupt_after=1.0)
    with ic.Peers() as peers:
        env["BELL_PW"] = "any"   # the scenario captures Proxy-Authorization without checking it
        run_pair(tap, peers, "invite-auth", "drachtio-srf/uas-auth.xml",
                 ["call", "sip:callee@127.0.0.1:PORT", "--duration", "1", "--user",
                  "sip:foo@127.0.0.1", "--password-env", "BELL_PW", "--bind", "127.0.0.1:0"],
                 dict(env), 0, CASES[8], CASES[9])
    with ic.Peers() as peers:
        # The scenario checks that the caller's Contact names the user "asterisk".
        run_pair(tap, peers, "early-media",
                 "asterisk-testsuite/uas-180-183-sdp-early-media-then-200.xml",
                 ["call", "sip:callee@127.0.0.1:PORT", "--duration", "1", "--bind", "127.0.0.1:0",
                  "--user", "sip:asterisk@127.0.0.1"], dict(env), 0, CASES[10], CASES[11])
    with ic.Peers() as peers:
        sipp = run_pair(tap, peers, "forked",
                        "asterisk-testsuite/uas-forked-early-media-183-200-different-tags.xml",
                        ["call", "sip:callee@127.0.0.1:PORT", "--duration", "1",
                         "--bind", "127.0.0.1:0"], dict(env), 0, CASES[12], CASES[13])
        msgs = ic.parse_trace(sipp.msg_path)
        in_dialog = ic.trace_requests(msgs, "ACK") + ic.trace_requests(msgs, "BYE")
        tags = [ic.tag_of(ic.header(m, "To")) or "" for m in in_dialog]
        tap.ok(len(tags) == 2 and all("SIPpForkTag01" in t for t in tags), CASES[14],
               lambda: ["To tags of the ACK and BYE: %s" % tags])


if __name__ == "__main__":
    ic.run_tests(len(CASES), body)
