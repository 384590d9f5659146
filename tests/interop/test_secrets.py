#!/usr/bin/env python3
"""Interop: no secret in Bellbird's files or logs after a full session (issue 10's "secrets"
test; TAP, 127.0.0.1 only).

kamailio is registrar and authenticating proxy (interop_common.write_kamailio_cfg(calls=True)),
with two lines added to its config that log the body of every request and reply it handles:
that is the SDP as it went over the wire, the only place this test takes SRTP keys from (never
from Bellbird's own output).

Two bellbird-cli run with G_MESSAGES_DEBUG=all (every SIP message they send and receive is
logged), GSETTINGS_BACKEND=keyfile, and HOME, XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_CACHE_HOME and
XDG_STATE_HOME in a temporary directory of their own, where their stdout and stderr are written
too. Each has a random password, given through --password-env:
  bob    `listen --user sip:bob@... --registrar ... --auto-answer --srtp mandatory` (his
         REGISTER challenged with 401; unlike `register`, listen outlives its calls);
  alice  `call sip:bob@... --user sip:alice@... --srtp mandatory --duration 2` (INVITE
         challenged with 407), so her offer carries a=crypto keys and bob's answer one more.
Then every file under those directories (settings, data, caches, state, logs, anything else
they wrote) is searched for each password (as is, base64, and its Digest H(A1) in MD5 and
SHA-256, which is as good as the password for the realm) and for each SRTP key seen on the wire
(its base64, the first 16 characters of it, the decoded key||salt, the master key alone, and
their hex). None may be found. The logs must show the SDP each side received, its a=crypto
lines with "<redacted>" for keys, and the challenged REGISTER, so that the search is not vacuous.

The session runs twice: over UDP, then over TLS (kamailio's tls module; skipped without it),
where bob registers and takes the call over his TLS connection to kamailio and alice calls over
hers. kamailio reaches each phone over the connection it came from (reach_over_flows(): a
client has no server certificate to be connected to). Over TLS the memory case also covers
OpenSSL's read buffer, which keeps each record it deciphered in place (the INVITE with alice's
keys) until a later record overwrites it, unless told to cleanse it.

Memory: 1 s after the call ended, bob's process memory is read (/proc/PID/mem, his writable
private maps; he runs without MALLOC_PERTURB_, so that freed memory keeps what our own wiping
left). No key may be found, in base64, as bytes or in hex: not even in the INVITE and our 200,
which the server INVITE transaction keeps for Timer L (RFC 6026: 32 s after the 200), and whose
bodies the call wipes when it ends; key_places() tells, on failure, whether a copy was in the
text of a SIP message or elsewhere. /proc/PID/environ must no longer show his password (the CLI
wipes it once the core has its copy).

Crash output: a third account (carol) registers with a password and is killed with SIGABRT
(core dumps off): Bellbird installs no fatal-signal handler of its own, and what the process
wrote before dying holds no password.
"""

import base64
import hashlib
import os
import re
import resource
import secrets
import signal
import sys
import time

sys.dont_write_bytecode = True

import interop_common as ic  # noqa: E402

REALM = ic.KAMAILIO_REALM
ALICE = "sip:alice@%s" % REALM
BOB = "sip:bob@%s" % REALM
CAROL = "sip:carol@%s" % REALM
CALL_S = 2 + (1.5 if "ASAN_OPTIONS" in os.environ else 0.0)

SESSION_DESCS = [
    "session: bob registers through kamailio with a random password, challenged (401) and "
    "accepted",
    "session: alice calls bob with --srtp mandatory through kamailio (407 answered): the call "
    "connects, both sides' media events say encrypted with the same suite, alice exits 0 and "
    "bob's call ends",
    "wire: the SDP kamailio relayed holds alice's offered SRTP keys (a=crypto inline:, at least "
    "one) and the one key of bob's answer, all different",
    "logs: debug logging was on: bob's log shows the INVITE with its SDP, alice's the 200's SDP, "
    "their a=crypto lines as inline:<redacted>; bob's shows his challenged REGISTER with its "
    "Authorization header",
    "memory: 1 s after the call ended, bob's process memory (/proc/PID/mem) holds none of its "
    "SRTP keys (base64, key||salt, hex), not even in the INVITE and our 200 that the server "
    "transaction keeps for Timer L (RFC 6026, 32 s), and his environment no longer holds his "
    "password",
    "files: no password of alice or bob (as is, base64, Digest H(A1) MD5/SHA-256) in any file "
    "under their HOME, XDG config/data/cache/state dirs or logs",
    "files: no SRTP key of the call (base64, its first 16 characters, the decoded key||salt, "
    "the master key, hex) in any of those files",
]
CRASH_DESC = ("crash output: carol, registered with a password and killed with SIGABRT (no core "
              "dump), left no password in what she wrote")

# The session once over UDP and once over TLS (bob registers and is called over his TLS
# connection to kamailio, alice calls over hers): OpenSSL deciphers each record in place, in a
# read buffer that keeps it until a later record overwrites it, so over TLS the memory case
# also covers what OpenSSL keeps (the INVITE's offer, with alice's keys, among it).
TRANSPORTS = ("udp", "tls")
DESCS = ["%s: %s" % (t, d) for t in TRANSPORTS for d in SESSION_DESCS] + [CRASH_DESC]

INLINE = re.compile(r"inline:([A-Za-z0-9+/]+={0,2})")
SDP_LOG = re.compile(r"BBSDP (rm|rs)=\[([^\]]*)\] ci=\[([^\]]*)\] body=\[(.*?)\]\s*$",
                     re.S | re.M)


def random_password():
    # Letters and digits only: it goes into kamailio's config between double quotes.
    return "bb-" + secrets.token_hex(12)


def account_env(root, name, password):
    """HOME and the XDG dirs in root/name, debug logs on, settings in a keyfile, the password
    in $BELLBIRD_TEST_PASSWORD. Returns (env, logs dir)."""
    env = dict(os.environ)
    base = os.path.join(root, name)
    # GStreamer's registry stays where it was: rebuilding it in a fresh cache dir would cost
    # seconds, and it holds plugin descriptions only.
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    env.setdefault("GST_REGISTRY", os.path.join(cache, "gstreamer-1.0",
                                                "registry.%s.bin" % os.uname().machine))
    for var, sub in (("HOME", "home"), ("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"),
                     ("XDG_CACHE_HOME", "cache"), ("XDG_STATE_HOME", "state")):
        d = os.path.join(base, sub)
        os.makedirs(d, mode=0o700, exist_ok=True)
        env[var] = d
    logs = os.path.join(base, "logs")
    os.makedirs(logs, exist_ok=True)
    # meson test sets MALLOC_PERTURB_, and glibc then overwrites what is freed: the memory
    # case must see what our own wiping leaves, so the account runs without it.
    env.pop("MALLOC_PERTURB_", None)
    env["GSETTINGS_BACKEND"] = "keyfile"
    env["G_MESSAGES_DEBUG"] = "all"
    env["BELLBIRD_TEST_PASSWORD"] = password
    return env, logs


def add_body_logging(cfg):
    """Makes kamailio log the body of every request and reply it handles (the SDP on the wire)."""
    with open(cfg) as f:
        text = f.read()
    line = '  xlog("L_NOTICE", "BBSDP %s=[%s] ci=[$ci] body=[$rb]\\n");\n'
    assert "request_route {\n" in text
    text = text.replace("request_route {\n", "request_route {\n" + line % ("rm", "$rm"), 1)
    text += "\nonreply_route {\n" + line % ("rs", "$rs") + "}\n"
    with open(cfg, "w") as f:
        f.write(text)


def transport_args(transport, ca):
    """bellbird-cli's options for transport: TLS verified against the test CA."""
    return ["--transport", "tls", "--tls-ca", ca] if transport == "tls" else []


def reach_over_flows(cfg):
    """Makes kamailio reach each phone over the connection it came from, as an edge proxy
    does for clients that cannot be connected to (nathelper's fix_nated_contact() on every
    Contact: a REGISTER's, a call's and its answer's). A phone's Contact names its TLS port,
    where nothing listens: a client has no server certificate. Run after add_body_logging."""
    with open(cfg) as f:
        text = f.read()
    fix = '  if (is_present_hf("Contact")) { fix_nated_contact(); }\n'
    for anchor in ('loadmodule "xlog.so"\n', "request_route {\n", "onreply_route {\n"):
        assert text.count(anchor) == 1, anchor
    text = text.replace('loadmodule "xlog.so"\n',
                        'loadmodule "xlog.so"\nloadmodule "nathelper.so"\n')
    text = text.replace("request_route {\n", "request_route {\n" + fix)
    text = text.replace("onreply_route {\n", "onreply_route {\n" + fix)
    with open(cfg, "w") as f:
        f.write(text)


def call_bob(peers, name, kport, env, logs, seconds, transport="udp", ca=None):
    """alice calls bob through kamailio (at kport, over transport) with SRTP mandatory for
    seconds."""
    argv = ic.call_argv("sip:bob@%s:%d" % (ic.LOOPBACK, kport), duration=seconds, user=ALICE,
                        password_env="BELLBIRD_TEST_PASSWORD",
                        extra=["--srtp", "mandatory", "--audio-in", "tone", "--audio-out", "none"]
                        + transport_args(transport, ca))
    return peers.start(name, argv, cwd=logs, collect=True, env=env)


def wire_keys(kam):
    """Per call (Call-ID, in the order kamailio saw them): {"offered": [keys of the INVITE's
    a=crypto lines], "answered": [keys of the 2xx]}."""
    calls = {}
    for m in SDP_LOG.finditer(kam.stderr()):
        what, call_id, body = m.group(2), m.group(3), m.group(4)
        c = calls.setdefault(call_id, {"offered": [], "answered": []})
        side = "offered" if what == "INVITE" else "answered" if what.startswith("2") else None
        for k in INLINE.findall(body) if side else []:
            if k not in c[side]:
                c[side].append(k)
    return [c for c in calls.values() if c["offered"] or c["answered"]]   # not REGISTERs


def key_places(memory, key):
    """(copies inside the text of a SIP message, copies elsewhere) of key in memory. A SIP
    message's copy sits on an a=crypto line with "SIP/2.0" (a start line or a Via) at most
    4 KB before it."""
    inside = outside = 0
    needle = key.encode()
    i = memory.find(needle)
    while i >= 0:
        if (memory.rfind(b"a=crypto:", max(0, i - 64), i) >= 0
                and memory.rfind(b"SIP/2.0", max(0, i - 4096), i) >= 0):
            inside += 1
        else:
            outside += 1
        i = memory.find(needle, i + 1)
    return inside, outside


def password_needles(user, password):
    needles = {"password of %s" % user: password.encode(),
               "password of %s, base64" % user: base64.b64encode(password.encode())}
    a1 = ("%s:%s:%s" % (user, REALM, password)).encode()
    for alg in ("md5", "sha256"):
        digest = hashlib.new(alg, a1).hexdigest()
        needles["H(A1) %s of %s" % (alg, user)] = digest.encode()
        needles["H(A1) %s of %s, upper case" % (alg, user)] = digest.upper().encode()
    return needles


def key_needles(keys):
    needles = {}
    for i, key in enumerate(keys):
        raw = base64.b64decode(key)
        needles["key %d, base64" % i] = key.encode()
        needles["key %d, first 16 base64 characters" % i] = key[:16].encode()
        needles["key %d, key||salt" % i] = raw
        needles["key %d, master key" % i] = raw[:16]
        needles["key %d, hex" % i] = raw.hex().encode()
        needles["key %d, hex upper case" % i] = raw.hex().upper().encode()
    return needles


def all_files(dirs):
    out = []
    for d in dirs:
        for base, _, files in os.walk(d):
            out += [os.path.join(base, f) for f in files]
    return sorted(out)


def search(files, needles):
    """['what in which file', ...] for every needle found."""
    found = []
    for path in files:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            continue
        for what, needle in needles.items():
            if needle and needle in data:
                found.append("%s in %s" % (what, path))
    return found


def process_memory(pid):
    """The readable, writable private memory of process pid (heap, anonymous maps, stacks), as
    one bytes object; b"" when it cannot be read."""
    chunks = []
    try:
        with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem:
            for line in maps:
                fields = line.split()
                perms = fields[1]
                path = fields[5] if len(fields) > 5 else ""
                if not perms.startswith("rw") or path.startswith("/") or path == "[vvar]":
                    continue
                start, end = (int(x, 16) for x in fields[0].split("-"))
                if end - start > (1 << 30):
                    continue   # a sanitizer's shadow memory: reserved, not ours
                try:
                    mem.seek(start)
                    chunks.append(mem.read(end - start))
                except OSError:
                    continue
    except OSError:
        return b""
    return b"".join(chunks)


def crash_case(tap, peers, root, kport, password):
    # No core dump from carol (the limit is inherited): a dump holds the whole heap, which is
    # not what this case is about. This script's own limit goes with it; it never crashes.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    env, logs = account_env(root, "carol", password)
    argv = ic.register_argv(CAROL, "sip:%s:%d" % (ic.LOOPBACK, kport), "BELLBIRD_TEST_PASSWORD")
    carol = peers.start("carol", argv, cwd=logs, collect=True, env=env)
    _, reg = ic.wait_event(carol, lambda e: e.get("event") == "registration"
                           and e.get("state") == "registered", 8)
    if carol.alive():
        os.kill(carol.pid, signal.SIGABRT)
    rc = carol.wait(5)
    carol.stop()
    files = all_files([os.path.join(root, "carol")])
    found = search(files, password_needles("carol", password))
    tap.ok(reg is not None and rc == -signal.SIGABRT and not found, CRASH_DESC,
           lambda: ["registered: %s, exit %s, %d files searched" % (reg, rc, len(files))]
           + found + carol.diag())
    return files


def session(tap, peers, root, kam, kport, users, transport, ca):
    """The register-and-call session over transport (kport: kamailio's port for it)."""
    descs = DESCS[TRANSPORTS.index(transport) * len(SESSION_DESCS):]
    root = os.path.join(root, transport)
    registrar = "sip:%s:%d" % (ic.LOOPBACK, kport)
    seen_calls = len(wire_keys(kam))
    seen_challenges = len([r for r in ic.kamailio_records(kam) if r["kind"] == "BBAUTH"])
    bob_env, bob_logs = account_env(root, "bob", users["bob"])
    # listen --user: bob's phone registers and, unlike register, outlives its calls.
    bob_argv = [ic.bellbird_cli(), "listen", "--user", BOB, "--registrar", registrar,
                "--password-env", "BELLBIRD_TEST_PASSWORD", "--events",
                "--bind", "%s:%d" % (ic.LOOPBACK, ic.free_port()), "--auto-answer",
                "--srtp", "mandatory", "--audio-in", "tone", "--audio-out", "none",
                "--duration", "60"] + transport_args(transport, ca)
    bob = peers.start("bob-" + transport, bob_argv, cwd=bob_logs, collect=True, env=bob_env)
    _, reg = ic.wait_event(bob, lambda e: e.get("event") == "registration"
                           and e.get("state") == "registered", 8)
    challenged = [r for r in ic.kamailio_records(kam) if r["kind"] == "BBAUTH"][seen_challenges:]
    tap.ok(reg is not None and challenged, descs[0],
           lambda: ["registered: %s, kamailio challenges: %d" % (reg, len(challenged))]
           + bob.diag() + kam.diag(10))

    alice_env, alice_logs = account_env(root, "alice", users["alice"])
    alice = call_bob(peers, "alice-" + transport, kport, alice_env, alice_logs, CALL_S,
                     transport, ca)
    rc = alice.wait(CALL_S + 12)
    _, ended = ic.wait_event(bob, ic.call_state("ended"), 5)
    media = ic.events(alice, "media") + ic.events(bob, "media")
    suites = {e.get("srtp") for e in media}
    encrypted = (bool(ic.events(alice, "media")) and bool(ic.events(bob, "media"))
                 and all(e.get("encrypted") is True for e in media) and len(suites) == 1)
    tap.ok(rc == 0 and "connected" in ic.states(alice) and ended is not None and encrypted,
           descs[1], lambda: ["alice exit %s, states %s; bob ended %s; media suites %s"
                              % (rc, ic.states(alice), ended, suites)]
           + alice.diag() + bob.diag())

    # bob's memory once the call is over.
    time.sleep(1)
    memory = process_memory(bob.pid) if bob.alive() else b""
    try:
        with open("/proc/%d/environ" % bob.pid, "rb") as f:
            environ = f.read()
    except OSError:
        environ = b""
    # bob un-registers on SIGTERM: that REGISTER, challenged again, is in the logs too.
    bob.stop()
    alice.stop()

    calls = wire_keys(kam)[seen_calls:]
    offered = calls[0]["offered"] if calls else []
    answered = calls[0]["answered"] if calls else []
    keys = offered + answered
    tap.ok(len(calls) == 1 and offered and len(answered) == 1 and len(set(keys)) == len(keys),
           descs[2], lambda: ["calls on the wire (keys offered, answered): %s"
                              % [(len(c["offered"]), len(c["answered"])) for c in calls]]
           + kam.diag(30))

    logs = {"alice": alice.stdout() + alice.stderr(), "bob": bob.stdout() + bob.stderr()}
    redacted = "inline:<redacted>"
    # Each saw the other's SDP arrive (bob the INVITE's offer, alice the 200's answer).
    shown = (all(re.search(r"\r?\na=crypto:\d+ \S+ inline:<redacted>", t) for t in logs.values())
             and "INVITE sip:" in logs["bob"]
             and re.search(r"REGISTER sip:.*?\nAuthorization: Digest ", logs["bob"], re.S))
    tap.ok(bool(shown), descs[3],
           lambda: ["%s's log: %d lines, INVITE %s, a=crypto %s, %s %s"
                    % (n, t.count("\n"), "INVITE sip:" in t, "a=crypto:" in t, redacted,
                       redacted in t) for n, t in logs.items()])

    if not memory or not environ:
        tap.skip(descs[4], "bob's memory cannot be read (/proc/PID/mem)")
    else:
        places = {k: key_places(memory, k) for k in keys}
        raw = [k for k in keys
               if base64.b64decode(k) in memory or base64.b64decode(k).hex().encode() in memory]
        tap.ok(keys and all(places_ == (0, 0) for places_ in places.values())
               and not raw and users["bob"].encode() not in environ, descs[4],
               lambda: ["copies of each key (in SIP message text, elsewhere): %s"
                        % list(places.values()),
                        "key||salt or hex found for %d keys; password in the environment: %s"
                        % (len(raw), users["bob"].encode() in environ)])

    files = all_files([os.path.join(root, n) for n in ("alice", "bob")])
    needles = dict(password_needles("alice", users["alice"]))
    needles.update(password_needles("bob", users["bob"]))
    found = search(files, needles)
    tap.ok(len(files) >= 4 and not found, descs[5],
           lambda: ["%d files searched:" % len(files)] + ["  " + f for f in files] + found)
    found = search(files, key_needles(keys))
    tap.ok(keys and not found, descs[6],
           lambda: ["%d keys, %d files searched" % (len(keys), len(files))] + found)


def body(tap):
    reason = ic.kamailio_missing()
    if reason:
        tap.skip_rest(DESCS, reason)
        return
    with ic.Peers() as peers:
        users = {"alice": random_password(), "bob": random_password(),
                 "carol": random_password()}
        root = peers.mkdtemp("secrets")
        kport = ic.free_port()
        no_tls = None if ic.kamailio_has_module("tls") else \
            "kamailio tls module missing (package kamailio-tls-modules)"
        tls_port = None if no_tls else ic.free_port()
        rundir = peers.mkdtemp("kamailio")
        certs = ic.make_certs(rundir) if not no_tls else {}
        cfg = ic.write_kamailio_cfg(rundir, kport, tls_port=tls_port, users=users, ctl=False,
                                    calls=True, cert=certs.get("server"),
                                    key=certs.get("server_key"))
        add_body_logging(cfg)
        reach_over_flows(cfg)
        kam, ready = ic.start_kamailio(peers, "kamailio", rundir, kport, tls_port=tls_port)
        if not ready:
            for d in DESCS:
                tap.ok(False, d, ["kamailio did not start"] + kam.diag(20))
            return
        session(tap, peers, root, kam, kport, users, "udp", None)
        if no_tls:
            for d in DESCS[len(SESSION_DESCS):-1]:
                tap.skip(d, no_tls)
        else:
            session(tap, peers, root, kam, tls_port, users, "tls", certs["ca"])
        crash_case(tap, peers, root, kport, users["carol"])


if __name__ == "__main__":
    ic.run_tests(len(DESCS), body)
