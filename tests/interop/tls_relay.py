#!/usr/bin/env python3
"""A small TLS <-> TCP relay on 127.0.0.1 for the interop tests (standard library only).

sipp 3.6.1 as packaged by Debian (sip-tester) is built without OpenSSL, so `-t l1` is not
available; the tests run sipp over TCP and put this relay in front of it:

  server mode: accepts TLS (with --cert/--key) and forwards the plaintext to --target over TCP
               (a TLS server in front of a sipp UAS);
  client mode: accepts plain TCP and forwards it over TLS to --target, verifying the server's
               certificate against --ca and --server-name (a sipp UAC talking to a TLS server).

It prints one JSON object per line on stdout: {"event":"ready","port":P} once listening,
{"event":"handshake","ok":true,"version":...,"cipher":...} or {"event":"handshake","ok":false,
"error":...} per connection, {"event":"closed",...}. It runs until terminated (or --duration).
"""

import argparse
import json
import select
import signal
import socket
import ssl
import sys
import threading
import time

_lock = threading.Lock()


def emit(**ev):
    with _lock:
        sys.stdout.write(json.dumps(ev) + "\n")
        sys.stdout.flush()


def pump(a, b, tag):
    """Copies bytes both ways until either side closes; one thread, select() + pending()."""
    total = {"up": 0, "down": 0}
    socks = [a, b]
    for s in socks:
        s.settimeout(5)
    try:
        while True:
            ready = [s for s in socks if isinstance(s, ssl.SSLSocket) and s.pending()]
            if not ready:
                ready, _, _ = select.select(socks, [], [], 1.0)
            for s in ready:
                other = b if s is a else a
                try:
                    # Non-blocking read: a readable TLS socket may hold only a handshake record
                    # (a TLS 1.3 session ticket) and no application data.
                    s.setblocking(False)
                    try:
                        data = s.recv(65536)
                    finally:
                        s.settimeout(5)
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    continue
                except (OSError, ssl.SSLError) as e:
                    emit(event="closed", conn=tag, reason=str(e), **total)
                    return
                if not data:
                    emit(event="closed", conn=tag, reason="eof from %s" %
                         ("accepted side" if s is a else "target side"), **total)
                    return
                total["up" if s is a else "down"] += len(data)
                other.sendall(data)
    except (OSError, ssl.SSLError) as e:
        emit(event="closed", conn=tag, reason=str(e), **total)
    finally:
        for s in socks:
            try:
                s.close()
            except OSError:
                pass


def handle_server(conn, peer, ctx, target, tag):
    try:
        tls = ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
        tls.settimeout(5)
        tls.do_handshake()
    except (OSError, ssl.SSLError) as e:
        emit(event="handshake", ok=False, conn=tag, peer=peer, error=str(e))
        conn.close()
        return
    emit(event="handshake", ok=True, conn=tag, peer=peer, version=tls.version(),
         cipher=tls.cipher()[0], sni=getattr(tls, "sni", None))
    try:
        up = socket.create_connection(target, timeout=5)
    except OSError as e:
        emit(event="closed", conn=tag, reason="target: %s" % e)
        tls.close()
        return
    pump(tls, up, tag)


def handle_client(conn, peer, ctx, target, server_name, tag):
    try:
        raw = socket.create_connection(target, timeout=5)
        tls = ctx.wrap_socket(raw, server_hostname=server_name)
    except (OSError, ssl.SSLError) as e:
        emit(event="handshake", ok=False, conn=tag, peer=peer, error=str(e))
        conn.close()
        return
    emit(event="handshake", ok=True, conn=tag, peer=peer, version=tls.version(),
         cipher=tls.cipher()[0],
         subject_alt_name=(tls.getpeercert() or {}).get("subjectAltName"))
    pump(conn, tls, tag)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["server", "client"])
    ap.add_argument("--listen", default="127.0.0.1:0")
    ap.add_argument("--target", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--ca")
    ap.add_argument("--server-name", default="127.0.0.1")
    ap.add_argument("--duration", type=float, default=120.0)
    args = ap.parse_args()

    host, port = args.target.rsplit(":", 1)
    target = (host, int(port))
    if args.mode == "server":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)

        def on_sni(sock, name, _ctx):
            try:
                sock.sni = name
            except AttributeError:
                pass
        ctx.sni_callback = on_sni
    else:
        ctx = ssl.create_default_context(cafile=args.ca)
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2

    lhost, lport = args.listen.rsplit(":", 1)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((lhost, int(lport)))
    ls.listen(16)
    ls.settimeout(0.5)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    emit(event="ready", mode=args.mode, port=ls.getsockname()[1])

    deadline = time.monotonic() + args.duration
    n = 0
    while time.monotonic() < deadline:
        try:
            conn, peer = ls.accept()
        except socket.timeout:
            continue
        n += 1
        emit(event="accepted", conn=n, peer="%s:%d" % peer)
        if args.mode == "server":
            t = threading.Thread(target=handle_server,
                                 args=(conn, "%s:%d" % peer, ctx, target, n), daemon=True)
        else:
            t = threading.Thread(target=handle_client,
                                 args=(conn, "%s:%d" % peer, ctx, target, args.server_name, n),
                                 daemon=True)
        t.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
